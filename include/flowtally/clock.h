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

/* Parses "2026-12-01T00:00:00Z", "2026-12-01T00:00:00.250Z" or "2026-12-01" (UTC
 * midnight) into milliseconds since the epoch.  0 or -EINVAL. */
int ft_time_parse_utc(const char *s, int64_t *ret_ms);

#endif
