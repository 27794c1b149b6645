/* flowtally — text for the static pages flowtally writes (the recharge statement, the
 * dashboards): one escaping and one way of writing a count for both, so that a name from a configuration (a
 * tenant "North <&> Council") reads the same, and safely, everywhere. */
#ifndef FLOWTALLY_HTML_H
#define FLOWTALLY_HTML_H

#include <stddef.h>
#include <stdio.h>

/* s (at most max bytes; NULL writes nothing) as HTML text or a quoted attribute's
 * value: & < > " ' as character references, and each control character other than tab
 * and newline (not allowed in HTML) as U+FFFD.  UTF-8 passes as it is. */
void ft_html_text(FILE *f, const char *s, size_t max);

/* v in decimal with a comma every three digits ("1,234,567"), as the pages and the
 * commands' summaries show counts (39 digits and 12 commas at most). */
struct ft_grouped {
	char s[56];
};
struct ft_grouped ft_text_grouped(unsigned __int128 v);

#endif
