/* The one check of tenant, class and sink names (names.h). */
#include <string.h>

#include "flowtally/names.h"

bool ft_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= FT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", s[i]))
			return false;
	return true;
}
