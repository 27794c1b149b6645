/* flowtally — findings about the configuration: errors and warnings, each one line
 * "file:line: text" (or "file: text" when no line applies).
 *
 * Findings are added in the order they are found (the keys of a file, then the prefix
 * files it names, then the tenant map's checks); ft_diag_sort() puts them in the order
 * a reader goes through the files: file by file, line by line. */
#ifndef FLOWTALLY_DIAG_H
#define FLOWTALLY_DIAG_H

#include <stdbool.h>
#include <stddef.h>

/* Where a finding is: its file (an index into ft_diag.files) and line (0: none). */
struct ft_diag_at {
	size_t file;
	int line;
};

struct ft_diag {
	char **lines;
	bool *warning;              /* warning[i]: lines[i] is a warning, not an error */
	struct ft_diag_at *at;      /* at[i]: where lines[i] is */
	size_t n;
	size_t errors;
	size_t warnings;
	char **files;               /* file names in the order first named */
	size_t n_files;
};

/* line <= 0: no line number.  A NULL diag is allowed and ignores everything. */
void ft_diag_add(struct ft_diag *d, bool error, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Names a file before any finding in it, so that ft_diag_sort() puts it in this place
 * among the files (a configuration, then the prefix files in the order it names them).
 * NULL-safe. */
void ft_diag_file(struct ft_diag *d, const char *file);
/* Orders the findings by file (in the order the files were first named, here or by a
 * finding) and line, a finding without a line first in its file; findings at the same
 * place keep their order. */
void ft_diag_sort(struct ft_diag *d);
/* Appends the findings of from to d, and empties from. */
void ft_diag_move(struct ft_diag *d, struct ft_diag *from);
void ft_diag_done(struct ft_diag *d);

#endif
