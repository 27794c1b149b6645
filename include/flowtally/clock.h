/* flowtally — time.  One time type inside: int64 nanoseconds (or milliseconds where
 * the name says so) since the Unix epoch, UTC.  Local time only at the edges. */
#ifndef FLOWTALLY_CLOCK_H
#define FLOWTALLY_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define FT_NS_PER_SEC 1000000000LL
#define FT_NS_PER_MS 1000000LL

int64_t ft_clock_now_ns(void);        /* CLOCK_REALTIME */
int64_t ft_clock_mono_ns(void);       /* CLOCK_MONOTONIC, for intervals */
/* "2026-11-25T13:01:02.345Z" (milliseconds) into buf; returns buf. */
char *ft_time_format_utc(int64_t ns, char *buf, size_t size);

/* Parses a UTC time as users write it into ns since the epoch:
 *   "2026-12-01"                 midnight
 *   "2026-12-01T13:00"           'T' or ' ' before the time of day; seconds and a
 *   "2026-12-01 13:00:05.25"     fraction (any number of digits, those past
 *   "2026-12-01T13:00:05Z"       nanoseconds ignored) are optional
 * then "Z", "+00:00" or nothing: always UTC.  Years from 1970; a day the month has
 * not (31 February) is refused; second 60 is the next minute's 0.  0, or -EINVAL
 * (also past 2262-04-11, where int64 nanoseconds end) leaving *ret_ns alone. */
int ft_time_parse_ns(const char *s, int64_t *ret_ns);
/* The same in milliseconds (the fraction floored), up to the year 9999. */
int ft_time_parse_utc(const char *s, int64_t *ret_ms);

#endif
