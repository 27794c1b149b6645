/* Logging: level test in the macro, one writer here.  stderr for tools and foreground
 * runs (with a UTC timestamp), syslog for the daemon. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "flowtally/log.h"

int ft_log_level = FT_LOG_NOTICE;
static bool to_syslog;
static const char *log_ident = "flowtally";

static const char *const level_names[] = {
	[FT_LOG_ERR] = "err", [FT_LOG_WARNING] = "warning", [FT_LOG_NOTICE] = "notice",
	[FT_LOG_INFO] = "info", [FT_LOG_DEBUG] = "debug",
};

void ft_log_open(const char *ident, bool use_syslog)
{
	log_ident = ident;
	to_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int ft_log_level_parse(const char *name)
{
	for (int l = FT_LOG_ERR; l <= FT_LOG_DEBUG; l++)
		if (strcmp(name, level_names[l]) == 0)
			return l;
	return -EINVAL;
}

const char *ft_log_level_name(int level)
{
	if (level < FT_LOG_ERR || level > FT_LOG_DEBUG)
		return "?";
	return level_names[level];
}

void ft_log_write(int level, const char *group, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_syslog) {
		syslog(level, "%s: %s", group, msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s[%s] %s: %s\n", when, log_ident, ft_log_level_name(level),
	        group, msg);
}

bool ft_log_rl_allow(struct ft_log_rl *rl, int64_t now_s, uint32_t burst, uint32_t interval_s)
{
	if (now_s - rl->window_start_s >= (int64_t)interval_s) {
		rl->window_start_s = now_s;
		rl->count = 0;
	}
	if (rl->count < burst) {
		rl->count++;
		return true;
	}
	rl->suppressed++;
	return false;
}
