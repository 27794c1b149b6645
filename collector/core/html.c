/* Text for the pages (html.h). */
#include "flowtally/html.h"

void ft_html_text(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; s && i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				fputs("&#xfffd;", f);
			else
				fputc(c, f);
		}
	}
}

struct ft_grouped ft_text_grouped(unsigned __int128 v)
{
	char d[48];
	size_t n = 0, o = 0;
	do {
		d[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	struct ft_grouped out;
	for (size_t i = n; i-- > 0;) {
		out.s[o++] = d[i];
		if (i && i % 3 == 0)
			out.s[o++] = ',';
	}
	out.s[o] = '\0';
	return out;
}
