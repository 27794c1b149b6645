/* Runner shared by every unit test program: runs the file's suite, prints Check's summary
 * line, exits 0 when all passed, 1 on a failure, 77 when the suite asked to skip. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"

int main(void)
{
	SRunner *sr = srunner_create(ft_test_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	int run = srunner_ntests_run(sr);
	srunner_free(sr);
	if (run == 0)
		return 77;
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
