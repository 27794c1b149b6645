/* Helpers for stand-alone files of libconfig text (conftext.h). */
#include <string.h>

#include "flowtally/conftext.h"

void ft_conftext_syntax_error(const config_t *lc, const char *name, const char *text, struct ft_diag *diag)
{
	int line = config_error_line(lc);
	const char *at = text;
	for (int i = 1; at && i < line; i++)
		if ((at = strchr(at, '\n')))
			at++;
	at = at ? at + strspn(at, " \t") : "";
	int n = (int)strcspn(at, "\r\n");
	if (n > 80)
		n = 80;
	if (n)
		ft_diag_add(diag, true, name, line, "%s in \"%.*s\"", config_error_text(lc), n, at);
	else
		ft_diag_add(diag, true, name, line, "%s", config_error_text(lc));
}

int ft_conftext_include_line(const char *text)
{
	int line = 1;
	for (const char *p = text; *p; line++) {
		p += strspn(p, " \t\r");
		if (strncmp(p, "@include", 8) == 0)
			return line;
		if (!(p = strchr(p, '\n')))
			break;
		p++;
	}
	return 0;
}
