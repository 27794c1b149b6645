#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "flowtally/diag.h"

void ft_diag_add(struct ft_diag *d, bool error, const char *file, int line, const char *fmt, ...)
{
	char text[512], *msg;
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	char **nl = realloc(d->lines, (d->n + 1) * sizeof(*nl));
	if (!nl)
		return;
	d->lines = nl;
	bool *nw = realloc(d->warning, (d->n + 1) * sizeof(*nw));
	if (!nw)
		return;
	d->warning = nw;
	int r = line > 0 ? asprintf(&msg, "%s:%d: %s%s", file, line, error ? "" : "warning: ", text)
	                 : asprintf(&msg, "%s: %s%s", file, error ? "" : "warning: ", text);
	if (r < 0)
		return;
	d->warning[d->n] = !error;
	d->lines[d->n++] = msg;
	if (error)
		d->errors++;
	else
		d->warnings++;
}

void ft_diag_done(struct ft_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	free(d->warning);
	*d = (struct ft_diag){ 0 };
}
