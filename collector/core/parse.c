/* The strict decimal reader (parse.h). */
#include <errno.h>
#include <stdlib.h>

#include "flowtally/parse.h"

int ft_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')   /* strtoull would take blanks and a sign */
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}
