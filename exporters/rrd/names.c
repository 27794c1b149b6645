/* File names of tenants, classes and exporters (rrd.h): kept where they are safe,
 * %XX-escaped where they are not, one to one. */
#include <string.h>

#include "flowtally/rrd.h"

static bool kept(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.';
}

static bool ends_rrd(const char *s, size_t n)
{
	return n >= 4 && memcmp(s + n - 4, ".rrd", 4) == 0;
}

int ft_rrd_name_encode(const char *name, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(name), o = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		bool esc = !kept(c) || (c == '.' && (i == 0 || (i == n - 4 && ends_rrd(name, n))));
		if (o + (esc ? 3 : 1) >= size)
			return -1;
		if (esc) {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return (int)o;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ft_rrd_name_decode(const char *s, char *buf, size_t size)
{
	size_t n = strlen(s), o = 0;
	char again[1024];
	if (n == 0 || n >= sizeof(again))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o + 1 >= size)
			return -1;
		buf[o++] = c;
	}
	buf[o] = '\0';
	/* only what the encoder makes: one spelling of each name */
	if (memchr(buf, '\0', o) || ft_rrd_name_encode(buf, again, sizeof(again)) < 0 || strcmp(again, s) != 0)
		return -1;
	return (int)o;
}
