/* The one check of tenant, class and sink names (names.h). */
#include <string.h>

#include "flowtally/names.h"

/* The length of the UTF-8 sequence at s (shortest form, no surrogates, at most
 * U+10FFFF), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0 || n > left || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && c == 0xe0 && s[1] < 0xa0) || (n == 3 && c == 0xed && s[1] >= 0xa0) ||
	    (n == 4 && c == 0xf0 && s[1] < 0x90) || (n == 4 && c == 0xf4 && s[1] >= 0x90))
		return 0;
	/* C1 controls (U+0080..U+009F) */
	if (n == 2 && c == 0xc2 && s[1] < 0xa0)
		return 0;
	return n;
}

bool ft_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= FT_NAME_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n;) {
		const unsigned char *p = (const unsigned char *)s + i;
		if (*p < 0x20 || *p == 0x7f)
			return false;
		size_t k = utf8_len(p, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}
