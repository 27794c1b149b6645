#ifndef FT_CHECK_MAIN_H
#define FT_CHECK_MAIN_H
#include <check.h>
/* Each tests/unit/test_<module>.c defines this. */
Suite *ft_test_suite(void);
#endif
