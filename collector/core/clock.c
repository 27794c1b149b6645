#include <stdio.h>
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
