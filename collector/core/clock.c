#include <errno.h>
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

int ft_time_parse_utc(const char *s, int64_t *ret_ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, n = 0;
	size_t len = strlen(s);
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -EINVAL;
	if (len > 10) {
		int m = 0;
		if (sscanf(s + 10, "T%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3 || m != 9)
			return -EINVAL;
		const char *rest = s + 19;
		if (rest[0] == '.') {
			int k = 0;
			if (sscanf(rest, ".%3d%n", &ms, &k) != 1 || k != 4)
				return -EINVAL;
			rest += 4;
		}
		if (strcmp(rest, "Z") != 0)
			return -EINVAL;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
	                 .tm_min = mi, .tm_sec = sec };
	time_t t = timegm(&tm);
	if (tm.tm_mday != d)          /* 31 February and the like */
		return -EINVAL;
	*ret_ms = (int64_t)t * 1000 + ms;
	return 0;
}
