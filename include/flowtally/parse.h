/* flowtally — numbers in option values, configuration and addresses: one strict reader,
 * so "+5", " 5", "5x" and "-1" mean the same (nothing) everywhere. */
#ifndef FLOWTALLY_PARSE_H
#define FLOWTALLY_PARSE_H

#include <stdint.h>

/* The whole of s as a decimal number within min..max: digits only (no sign, no
 * blanks, no base prefix; leading zeros are fine).  0 with the number in *ret, or
 * -EINVAL (empty, another character, out of range or past 2^64 - 1) leaving *ret
 * alone. */
int ft_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

#endif
