/* The round-robin time series' part of the configuration (struct ft_rrd_conf, rrd.h),
 * and the length of the sinks' queue. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define RRD(field) offsetof(struct ft_config, rrd.field)

/* rrd = true | false */
static int apply_rrd(struct cctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		ft_config_err(c, s, "rrd must be true or false");
		return -EINVAL;
	}
	c->cfg->rrd.enabled = config_setting_get_bool(s);
	return 0;
}

/* rrdcached = "unix:/path" | "/path" | "host:port" */
static int apply_rrdcached(struct cctx *c, const config_setting_t *s)
{
	int r = ft_config_string(c, s, &c->cfg->rrd.daemon);
	if (r < 0)
		return r;
	const char *v = c->cfg->rrd.daemon;
	bool unix_ = strncmp(v, "unix:", 5) == 0 || v[0] == '/';
	if ((unix_ && strlen(v) < 2 + (v[0] != '/') * 5) || (!unix_ && !strchr(v, ':') && v[0] != '[')) {
		ft_config_err(c, s, "rrdcached = \"%s\": give \"unix:/path/to/socket\" or \"host:port\" "
		              "(\"127.0.0.1:42217\")", v);
		return -EINVAL;
	}
	return 0;
}

static int apply_rrd_dir(struct cctx *c, const config_setting_t *s)
{
	int r = ft_config_string(c, s, &c->cfg->rrd.dir);
	if (r == 0 && c->cfg->rrd.dir[0] != '/') {
		ft_config_err(c, s, "rrd_dir must be an absolute path (it is also what rrdcached is told)");
		return -EINVAL;
	}
	return r;
}

static int apply_rrdcached_base(struct cctx *c, const config_setting_t *s)
{
	int r = ft_config_string(c, s, &c->cfg->rrd.daemon_base);
	if (r == 0 && c->cfg->rrd.daemon_base[0] != '/') {
		ft_config_err(c, s, "rrdcached_base must be an absolute path (rrdcached's -b directory)");
		return -EINVAL;
	}
	return r;
}

static const struct ft_config_key keys[] = {
	{ "rrd", FT_KEY_APPLY, 0, 0, 0, apply_rrd, false },
	{ "rrdcached", FT_KEY_APPLY, 0, 0, 0, apply_rrdcached, false },
	{ "rrd_dir", FT_KEY_APPLY, 0, 0, 0, apply_rrd_dir, false },
	{ "rrdcached_base", FT_KEY_APPLY, 0, 0, 0, apply_rrdcached_base, false },
	{ "rrd_fine_days", FT_KEY_U32, FT_RRD_FINE_DAYS_MIN, 36600, RRD(fine_days), NULL, false },
	{ "sink_queue", FT_KEY_U32, 1, 100000, offsetof(struct ft_config, sink_queue), NULL, false },
};

static int init(struct ft_config *c)
{
	c->rrd = (struct ft_rrd_conf){ .enabled = true, .fine_days = FT_RRD_FINE_DAYS };
	c->sink_queue = 64;
	return 0;
}

/* The archives hold whole steps: with RRD output on, the step must suit them. */
static void check(struct cctx *c, const config_t *lc)
{
	const struct ft_rrd_conf *r = &c->cfg->rrd;
	int64_t step_ms = c->cfg->agg.step_ms;
	const char *problem = ft_rrd_step_problem(step_ms / 1000);
	if (!r->enabled)
		return;
	if (problem) {
		const config_setting_t *s = ft_config_top(lc, "step");
		ft_diag_add(c->diag, true, c->file, s ? config_setting_source_line(s) : 0,
		            "step = %lld: %s (or set rrd = false)", (long long)(step_ms / 1000), problem);
	}
	/* over TCP rrdcached is sent paths relative to its base: the RRD directory must be
	 * inside it */
	if (!ft_rrd_daemon_is_tcp(r->daemon))
		return;
	const config_setting_t *s = ft_config_top(lc, "rrdcached");
	const char *dir = r->dir ? r->dir : c->cfg->data_dir;
	size_t n = r->daemon_base ? strlen(r->daemon_base) : 0;
	while (n > 1 && r->daemon_base[n - 1] == '/')
		n--;
	if (!r->daemon_base)
		ft_diag_add(c->diag, true, c->file, s ? config_setting_source_line(s) : 0,
		            "rrdcached = \"%s\" is a TCP address: rrdcached is then sent paths relative to its base "
		            "directory, so set rrdcached_base to that directory (its -b) and rrd_dir inside it",
		            r->daemon);
	else if (strncmp(dir, r->daemon_base, n) != 0 || dir[n] != '/')
		ft_diag_add(c->diag, true, c->file, s ? config_setting_source_line(s) : 0,
		            "%s %s is not inside rrdcached_base %s: set rrd_dir to a directory under it",
		            r->dir ? "rrd_dir" : "the RRD directory (data_dir/rrd)", dir, r->daemon_base);
}

static void done(struct ft_config *c)
{
	free(c->rrd.daemon);
	free(c->rrd.daemon_base);
	free(c->rrd.dir);
}

const struct ft_config_section ft_config_rrd = {
	keys, sizeof(keys) / sizeof(keys[0]), init, check, done, NULL,
};
