/* Clocks, and time as users write it (clock.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flowtally/clock.h"

static int64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * FT_NS_PER_SEC + ts.tv_nsec;
}

int64_t ft_clock_now_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

int64_t ft_clock_mono_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

char *ft_time_format_utc(int64_t ns, char *buf, size_t size)
{
	int64_t ms = ns / FT_NS_PER_MS;
	if (ns < 0 && ns % FT_NS_PER_MS)
		ms--;
	time_t secs = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return buf;
}

/* ---- UTC ISO-8601 ----
 *
 * One grammar for every time a user writes (configuration, `flowtally ledger
 * --from/--to`, `flowtally generate --start`), read into whole seconds and the
 * fraction in ns apart: nanoseconds end in 2262, milliseconds reach the year 9999 the
 * ledger's dates may have. */

/* Exactly n digits at *p. */
static bool take_digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* ".123" → 123000000 ns, nothing → 0; digits beyond nanoseconds are ignored. */
static bool take_fraction(const char **p, int64_t *ret_ns)
{
	int64_t ns = 0, scale = FT_NS_PER_SEC;

	*ret_ns = 0;
	if (!take_char(p, '.'))
		return true;
	if (**p < '0' || **p > '9')
		return false;
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		scale /= 10;
		ns += (**p - '0') * scale;
	}
	*ret_ns = ns;
	return true;
}

/* "HH:MM[:SS[.fraction]]" into seconds of the day (up to second 60) and ns. */
static bool take_clock(const char **p, int64_t *ret_s, int64_t *ret_ns)
{
	int h, mi, sec = 0;

	*ret_ns = 0;
	if (!take_digits(p, 2, &h) || !take_char(p, ':') || !take_digits(p, 2, &mi))
		return false;
	if (take_char(p, ':') && (!take_digits(p, 2, &sec) || !take_fraction(p, ret_ns)))
		return false;
	if (h > 23 || mi > 59 || sec > 60)
		return false;
	*ret_s = h * 3600 + mi * 60 + sec;
	return true;
}

/* UTC midnight of a date from 1970 on; a day the month has not (31 February) comes
 * back from timegm() as another day and is refused. */
static bool take_date(const char **p, int64_t *ret_s)
{
	int y, mo, d;

	if (!take_digits(p, 4, &y) || !take_char(p, '-') || !take_digits(p, 2, &mo) ||
	    !take_char(p, '-') || !take_digits(p, 2, &d))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return false;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d };
	time_t t = timegm(&tm);
	if (tm.tm_mday != d)
		return false;
	*ret_s = t;
	return true;
}

/* DATE[(T| )CLOCK][Z|+00:00]. */
static int parse_iso8601(const char *s, int64_t *ret_s, int64_t *ret_ns)
{
	const char *p = s;
	int64_t day, secs = 0, ns = 0;

	if (!take_date(&p, &day))
		return -EINVAL;
	if ((take_char(&p, 'T') || take_char(&p, ' ')) && !take_clock(&p, &secs, &ns))
		return -EINVAL;
	if (!take_char(&p, 'Z') && strcmp(p, "+00:00") == 0)
		p += 6;
	if (*p != '\0')
		return -EINVAL;
	*ret_s = day + secs;
	*ret_ns = ns;
	return 0;
}

int ft_time_parse_ns(const char *s, int64_t *ret_ns)
{
	int64_t secs, ns;

	if (parse_iso8601(s, &secs, &ns) < 0 || secs > (INT64_MAX - ns) / FT_NS_PER_SEC)
		return -EINVAL;
	*ret_ns = secs * FT_NS_PER_SEC + ns;
	return 0;
}

int ft_time_parse_utc(const char *s, int64_t *ret_ms)
{
	int64_t secs, ns;

	if (parse_iso8601(s, &secs, &ns) < 0)
		return -EINVAL;
	*ret_ms = secs * 1000 + ns / FT_NS_PER_MS;
	return 0;
}
