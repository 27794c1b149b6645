/* flowtally — names that leave the collector: tenants, traffic classes and sinks appear
 * in the ledger, in stats.json and in file names, so they share one limit and one
 * character set. */
#ifndef FLOWTALLY_NAMES_H
#define FLOWTALLY_NAMES_H

#include <stdbool.h>

#define FT_NAME_MAX 32          /* NUL included */

/* 1-31 bytes of UTF-8 text: no control characters, no space at either end (a name
 * with spaces, slashes or accents is one; file names escape what they must, rrd.h). */
bool ft_name_valid(const char *s);

#endif
