/* flowtally — findings about the configuration: errors and warnings, each one line
 * "file:line: text" (or "file: text" when no line applies). */
#ifndef FLOWTALLY_DIAG_H
#define FLOWTALLY_DIAG_H

#include <stdbool.h>
#include <stddef.h>

struct ft_diag {
	char **lines;
	bool *warning;              /* warning[i]: lines[i] is a warning, not an error */
	size_t n;
	size_t errors;
	size_t warnings;
};

/* line <= 0: no line number.  A NULL diag is allowed and ignores everything. */
void ft_diag_add(struct ft_diag *d, bool error, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void ft_diag_done(struct ft_diag *d);

#endif
