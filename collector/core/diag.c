/* Findings (diag.h): parallel arrays of lines, kinds and places, and the names of the
 * files they are in, in the order first named; sorting goes through an array of keys. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/diag.h"

/* The index of file in d->files, added if new; SIZE_MAX on ENOMEM (sorted last). */
static size_t file_index(struct ft_diag *d, const char *file)
{
	for (size_t i = 0; i < d->n_files; i++)
		if (strcmp(d->files[i], file) == 0)
			return i;
	char **nf = realloc(d->files, (d->n_files + 1) * sizeof(*nf));
	if (!nf)
		return SIZE_MAX;
	d->files = nf;
	if (!(d->files[d->n_files] = strdup(file)))
		return SIZE_MAX;
	return d->n_files++;
}

void ft_diag_file(struct ft_diag *d, const char *file)
{
	if (d && file)
		file_index(d, file);
}

/* Makes room for one more finding. */
static bool grow(struct ft_diag *d)
{
	char **nl = realloc(d->lines, (d->n + 1) * sizeof(*nl));
	if (nl)
		d->lines = nl;
	bool *nw = nl ? realloc(d->warning, (d->n + 1) * sizeof(*nw)) : NULL;
	if (nw)
		d->warning = nw;
	struct ft_diag_at *na = nw ? realloc(d->at, (d->n + 1) * sizeof(*na)) : NULL;
	if (na)
		d->at = na;
	return na != NULL;
}

/* Takes msg (or frees it when there is no room). */
static void push(struct ft_diag *d, char *msg, bool error, size_t file, int line)
{
	if (!grow(d)) {
		free(msg);
		return;
	}
	d->warning[d->n] = !error;
	d->at[d->n] = (struct ft_diag_at){ file, line > 0 ? line : 0 };
	d->lines[d->n++] = msg;
	if (error)
		d->errors++;
	else
		d->warnings++;
}

void ft_diag_add(struct ft_diag *d, bool error, const char *file, int line, const char *fmt, ...)
{
	char text[512], *msg;
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	int r = line > 0 ? asprintf(&msg, "%s:%d: %s%s", file, line, error ? "" : "warning: ", text)
	                 : asprintf(&msg, "%s: %s%s", file, error ? "" : "warning: ", text);
	if (r < 0)
		return;
	push(d, msg, error, file_index(d, file), line);
}

/* A finding's place and its index, so that sorting keeps the order found at a tie. */
struct key {
	struct ft_diag_at at;
	size_t i;
};

static int cmp_key(const void *x, const void *y)
{
	const struct key *a = x, *b = y;
	if (a->at.file != b->at.file)
		return a->at.file < b->at.file ? -1 : 1;
	if (a->at.line != b->at.line)
		return a->at.line < b->at.line ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

void ft_diag_sort(struct ft_diag *d)
{
	struct key *k = d->n ? malloc(d->n * sizeof(*k)) : NULL;
	char **lines = k ? malloc(d->n * sizeof(*lines)) : NULL;
	bool *warning = lines ? malloc(d->n * sizeof(*warning)) : NULL;
	if (warning) {              /* without memory the findings keep the order found */
		for (size_t i = 0; i < d->n; i++)
			k[i] = (struct key){ d->at[i], i };
		qsort(k, d->n, sizeof(*k), cmp_key);
		for (size_t i = 0; i < d->n; i++) {
			lines[i] = d->lines[k[i].i];
			warning[i] = d->warning[k[i].i];
		}
		for (size_t i = 0; i < d->n; i++)
			d->at[i] = k[i].at;
		memcpy(d->lines, lines, d->n * sizeof(*lines));
		memcpy(d->warning, warning, d->n * sizeof(*warning));
	}
	free(warning);
	free(lines);
	free(k);
}

void ft_diag_move(struct ft_diag *d, struct ft_diag *from)
{
	for (size_t i = 0; i < from->n; i++) {
		const struct ft_diag_at *a = &from->at[i];
		size_t file = a->file < from->n_files ? file_index(d, from->files[a->file]) : SIZE_MAX;
		push(d, from->lines[i], !from->warning[i], file, a->line);
		from->lines[i] = NULL;
	}
	ft_diag_done(from);
}

void ft_diag_done(struct ft_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	for (size_t i = 0; i < d->n_files; i++)
		free(d->files[i]);
	free(d->lines);
	free(d->warning);
	free(d->at);
	free(d->files);
	*d = (struct ft_diag){ 0 };
}
