/* flowtally — logging.
 *
 * ft_log_<level>(FT_LOG_<GROUP>, fmt, ...) tests the level before formatting anything.
 * Output goes to stderr (foreground, tools) or syslog (daemon).  ft_log_rl() limits
 * messages caused by remote peers to a few per key and interval.
 *
 * A group is the short tag a message starts with: the groups of the program as a whole
 * are here, and each module names its own in its header (FT_LOG_NET in listener.h,
 * FT_LOG_NETFLOW in netflow.h, ...), so a new module adds its group without touching
 * this file.
 */
#ifndef FLOWTALLY_LOG_H
#define FLOWTALLY_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum ft_log_level {
	FT_LOG_ERR = 3,
	FT_LOG_WARNING = 4,
	FT_LOG_NOTICE = 5,
	FT_LOG_INFO = 6,
	FT_LOG_DEBUG = 7,
};

#define FT_LOG_MAIN "main"
#define FT_LOG_CONFIG "config"
#define FT_LOG_STATS "stats"

extern int ft_log_level;   /* messages above this level are not formatted */

void ft_log_open(const char *ident, bool use_syslog);
/* "err", "warning", "notice", "info", "debug"; returns the level or -EINVAL. */
int ft_log_level_parse(const char *name);
const char *ft_log_level_name(int level);
void ft_log_write(int level, const char *group, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ft_log(level, group, ...) \
	do { if ((level) <= ft_log_level) ft_log_write((level), (group), __VA_ARGS__); } while (0)
#define ft_log_err(g, ...)    ft_log(FT_LOG_ERR, g, __VA_ARGS__)
#define ft_log_warn(g, ...)   ft_log(FT_LOG_WARNING, g, __VA_ARGS__)
#define ft_log_notice(g, ...) ft_log(FT_LOG_NOTICE, g, __VA_ARGS__)
#define ft_log_info(g, ...)   ft_log(FT_LOG_INFO, g, __VA_ARGS__)
#define ft_log_debug(g, ...)  ft_log(FT_LOG_DEBUG, g, __VA_ARGS__)

/* Rate limit for messages caused by remote input: the caller keeps one of these per
 * source.  ft_log_rl_allow() returns true at most `burst` times per `interval_s`. */
struct ft_log_rl {
	int64_t window_start_s;
	uint32_t count;
	uint32_t suppressed;
};
bool ft_log_rl_allow(struct ft_log_rl *rl, int64_t now_s, uint32_t burst, uint32_t interval_s);

#endif
