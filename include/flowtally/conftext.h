/* flowtally — small helpers for files of libconfig text that stand alone (a tariff, a
 * dashboard definition): the line a syntax error stopped at, and where an @include is
 * (such a file is one file: its hash or its errors name it alone). */
#ifndef FLOWTALLY_CONFTEXT_H
#define FLOWTALLY_CONFTEXT_H

#include <libconfig.h>

#include "flowtally/diag.h"

/* libconfig's error of lc (it says little more than "syntax error") into diag as
 * name:line, with the text of the line it stopped at (text: what was read). */
void ft_conftext_syntax_error(const config_t *lc, const char *name, const char *text, struct ft_diag *diag);
/* The line of text's first @include, 0 when there is none. */
int ft_conftext_include_line(const char *text);

#endif
