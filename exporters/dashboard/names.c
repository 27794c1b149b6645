/* The dashboards' names (dashboard.h): the spans' words, a page's HTML file and a file
 * name as a relative URL.  A page's file is made of ft_rrd_name_encode'd names, which
 * keep letters, digits, '-', '_' and '.' and write every other byte as %XX, joined by
 * '=' (which encoding never makes), so that two subjects never share a file. */
#include <stdio.h>
#include <string.h>

#include "flowtally/dashboard.h"

static const char *const span_names[] = { "day", "week", "month", "year" };
static const char *const page_prefix[] = { "overview", "tenant", "link", "exporter" };

const char *ft_dash_span_name(enum ft_dash_span s)
{
	return (unsigned)s < FT_DASH__SPANS ? span_names[s] : "?";
}

int ft_dash_span_parse(const char *name)
{
	for (int s = 0; name && s < FT_DASH__SPANS; s++)
		if (strcmp(name, span_names[s]) == 0)
			return s;
	return -1;
}

int ft_dash_page_file(enum ft_dash_kind k, const char *a, const char *b, enum ft_dash_span s, char *buf,
                      size_t size)
{
	char ea[512], eb[512];
	int n;
	if ((unsigned)k >= FT_DASH__KINDS || (unsigned)s >= FT_DASH__SPANS)
		return -1;
	if (k == FT_DASH_OVERVIEW)
		n = snprintf(buf, size, "overview.%s.html", span_names[s]);
	else if (!a || ft_rrd_name_encode(a, ea, sizeof(ea)) < 0)
		return -1;
	else if (k != FT_DASH_LINK)
		n = snprintf(buf, size, "%s=%s.%s.html", page_prefix[k], ea, span_names[s]);
	else if (!b || ft_rrd_name_encode(b, eb, sizeof(eb)) < 0)
		return -1;
	else
		n = snprintf(buf, size, "link=%s=%s.%s.html", ea, eb, span_names[s]);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* RFC 3986 section 3.3: a path segment may hold the unreserved characters, the
 * sub-delimiters, ':' and '@'.  Of those only the unreserved ones, '=' and the '/'
 * between segments stay: ':' in a first segment would read as a scheme, and the others
 * mean something to some server or shell. */
static int url_kept(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~' || c == '=' || c == '/';
}

int ft_dash_href(const char *file, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	if (!file || !*file || size == 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)file; *p; p++) {
		int kept = url_kept(*p);
		if (o + (kept ? 1 : 3) >= size)
			return -1;
		if (kept) {
			buf[o++] = (char)*p;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		}
	}
	buf[o] = '\0';
	return 0;
}
