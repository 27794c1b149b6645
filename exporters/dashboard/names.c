/* The dashboards' periods and file names (dashboard.h): one HTML file per page and
 * period, in one folder, named from the encoded names of what it shows. */
#include <stdio.h>
#include <string.h>

#include "flowtally/dashboard.h"

static const char *const span_names[FT_DASH__SPANS] = { "day", "week", "month", "year" };

const char *ft_dash_span_name(enum ft_dash_span s)
{
	return (unsigned)s < FT_DASH__SPANS ? span_names[s] : "?";
}

int ft_dash_span_parse(const char *name)
{
	for (int i = 0; i < FT_DASH__SPANS; i++)
		if (strcmp(name, span_names[i]) == 0)
			return i;
	return -1;
}

int ft_dash_page_file(enum ft_dash_kind k, const char *a, const char *b, enum ft_dash_span s, char *buf,
                      size_t size)
{
	char ea[FT_DASH_TEXT_MAX * 3], eb[FT_DASH_TEXT_MAX * 3];
	int w;
	if ((unsigned)s >= FT_DASH__SPANS)
		return -1;
	switch (k) {
	case FT_DASH_OVERVIEW:
		w = snprintf(buf, size, "overview.%s.html", span_names[s]);
		break;
	case FT_DASH_TENANT:
	case FT_DASH_EXPORTER:
		if (!a || ft_rrd_name_encode(a, ea, sizeof(ea)) < 0)
			return -1;
		w = snprintf(buf, size, "%s=%s.%s.html", ft_dash_kind_name(k), ea, span_names[s]);
		break;
	case FT_DASH_LINK:
		if (!a || !b || ft_rrd_name_encode(a, ea, sizeof(ea)) < 0 || ft_rrd_name_encode(b, eb, sizeof(eb)) < 0)
			return -1;
		w = snprintf(buf, size, "link=%s=%s.%s.html", ea, eb, span_names[s]);
		break;
	default:
		return -1;
	}
	return w < 0 || (size_t)w >= size ? -1 : 0;
}

/* RFC 3986's unreserved characters, '/' and the sub-delimiters a path segment may hold
 * that HTML does not mind in an attribute ('&' and '\'' are escaped); everything else,
 * '%' first, is escaped.  ':' is escaped too: in a first segment it would read as a
 * scheme. */
static bool url_kept(unsigned char c)
{
	return c && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	             strchr("-._~!$()*+,;=@/", c) != NULL);
}

int ft_dash_href(const char *file, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)file; *p; p++) {
		bool esc = !url_kept(*p);
		if (o + (esc ? 3 : 1) >= size)
			return -1;
		if (esc) {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		} else {
			buf[o++] = (char)*p;
		}
	}
	if (o >= size)
		return -1;
	buf[o] = '\0';
	return 0;
}
