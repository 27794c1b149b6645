/* Configuration: libconfig reads the syntax (and reports syntax errors with their
 * line); this file hands every top-level setting to the section that has its key (the
 * general one here, the modules' in <module>_conf.c), converts it and names file:line
 * for each problem.  Any error rejects the whole file; the checks that can still run on
 * the rest of it run all the same, and the findings come out in file and line order. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libconfig.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"
#include "flowtally/log.h"

/* Every module's part, in the order their defaults are set and their checks run. */
static const struct ft_config_section *const sections[] = {
	&ft_config_general, &ft_config_net, &ft_config_netflow, &ft_config_tenants, &ft_config_agg,
	&ft_config_rrd, &ft_config_snmp,
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* ---- helpers for the sections ---- */

int ft_config_string_list(struct cctx *c, const config_setting_t *s)
{
	if (!config_setting_is_aggregate(s) || config_setting_is_group(s)) {
		ft_config_err(c, s, "'%s' must be a list of strings, e.g. [\"...\", \"...\"]", config_setting_name(s));
		return -1;
	}
	int n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		if (config_setting_type(config_setting_get_elem(s, (unsigned)i)) != CONFIG_TYPE_STRING) {
			ft_config_err(c, s, "'%s': element %d is not a string", config_setting_name(s), i + 1);
			return -1;
		}
	}
	return n;
}

int ft_config_string(struct cctx *c, const config_setting_t *s, char **field)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		ft_config_err(c, s, "'%s' must be a string in double quotes", config_setting_name(s));
		return -EINVAL;
	}
	const char *v = config_setting_get_string(s);
	if (!*v) {
		ft_config_err(c, s, "'%s' must not be empty", config_setting_name(s));
		return -EINVAL;
	}
	char *dup = strdup(v);
	if (!dup)
		return -ENOMEM;
	free(*field);
	*field = dup;
	return 0;
}

const config_setting_t *ft_config_top(const config_t *lc, const char *key)
{
	return config_setting_get_member(config_root_setting(lc), key);
}

/* ---- the general section: data directory, logging, intervals, time zone, allow-list ---- */

static int apply_exporters(struct cctx *c, const config_setting_t *s)
{
	int n = ft_config_string_list(c, s);
	if (n < 0)
		return -EINVAL;
	struct ft_prefix *p = calloc((size_t)n + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int bad = 0;
	for (int i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(s, (unsigned)i);
		if (ft_prefix_parse(v, &p[i]) < 0) {
			ft_config_err(c, s, "exporters: '%s' is not an address or prefix (e.g. 192.0.2.0/24)", v);
			bad++;
		}
	}
	free(c->cfg->exporters);
	c->cfg->exporters = p;
	c->cfg->n_exporters = (size_t)n;
	return bad ? -EINVAL : 0;
}

static int apply_data_dir(struct cctx *c, const config_setting_t *s)
{
	return ft_config_string(c, s, &c->cfg->data_dir);
}

/* user and group: names the system knows now (check-config says so before a start
 * fails on them); the daemon looks them up again when it drops to them. */
static int apply_user(struct cctx *c, const config_setting_t *s)
{
	int r = ft_config_string(c, s, &c->cfg->user);
	if (r == 0 && !getpwnam(c->cfg->user)) {
		ft_config_err(c, s, "user '%s' is not a user of this system (getent passwd %s)",
		              c->cfg->user, c->cfg->user);
		return -EINVAL;
	}
	return r;
}

static int apply_group(struct cctx *c, const config_setting_t *s)
{
	int r = ft_config_string(c, s, &c->cfg->group);
	if (r == 0 && !getgrnam(c->cfg->group)) {
		ft_config_err(c, s, "group '%s' is not a group of this system (getent group %s)",
		              c->cfg->group, c->cfg->group);
		return -EINVAL;
	}
	return r;
}

bool ft_config_zone_known(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[4200], magic[4];
	/* a name inside the database: no absolute path, no way out of it */
	if (!*zone || zone[0] == '/' || strstr(zone, "..") || strspn(zone,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-") != strlen(zone))
		return false;
	if (snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone) >=
	    (int)sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;   /* RFC 8536 §3.1 */
	close(fd);
	return ok;
}

static int apply_timezone(struct cctx *c, const config_setting_t *s)
{
	int r = ft_config_string(c, s, &c->cfg->timezone);
	if (r == 0 && !ft_config_zone_known(c->cfg->timezone)) {
		ft_config_err(c, s, "timezone '%s' is not a zone of the system's time zone database "
		              "(/usr/share/zoneinfo, e.g. \"Europe/London\" or \"UTC\")", c->cfg->timezone);
		return -EINVAL;
	}
	return r;
}

static int apply_log_level(struct cctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		ft_config_err(c, s, "log_level must be a string: \"err\", \"warning\", \"notice\", \"info\" or \"debug\"");
		return -EINVAL;
	}
	int l = ft_log_level_parse(config_setting_get_string(s));
	if (l < 0) {
		ft_config_err(c, s, "log_level '%s' is not one of err, warning, notice, info, debug",
		              config_setting_get_string(s));
		return -EINVAL;
	}
	c->cfg->log_level = l;
	return 0;
}

/* recharge_reconcile_percent: a percentage 0..100 (integer or decimal), kept as parts
 * per million so the comparison is integer arithmetic. */
static int apply_reconcile(struct cctx *c, const config_setting_t *s)
{
	int t = config_setting_type(s);
	double v = t == CONFIG_TYPE_INT ? (double)config_setting_get_int(s)
	         : t == CONFIG_TYPE_INT64 ? (double)config_setting_get_int64(s)
	         : t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) : -1;
	if (!(v >= 0 && v <= 100)) {
		ft_config_err(c, s, "recharge_reconcile_percent must be a number from 0 to 100 (per cent)");
		return -EINVAL;
	}
	c->cfg->reconcile_ppm = (uint32_t)(v * 10000 + 0.5);
	return 0;
}

static int apply_tariff(struct cctx *c, const config_setting_t *s)
{
	return ft_config_string(c, s, &c->cfg->tariff);
}

static int apply_dash_defs(struct cctx *c, const config_setting_t *s)
{
	return ft_config_string(c, s, &c->cfg->dashboard_definitions);
}

static int apply_dash_dir(struct cctx *c, const config_setting_t *s)
{
	return ft_config_string(c, s, &c->cfg->dashboard_dir);
}

static int apply_dash_command(struct cctx *c, const config_setting_t *s)
{
	return ft_config_string(c, s, &c->cfg->dashboard_command);
}

#define GEN(field) offsetof(struct ft_config, field)

static const struct ft_config_key general_keys[] = {
	{ "exporters", FT_KEY_APPLY, 0, 0, 0, apply_exporters, false },
	{ "data_dir", FT_KEY_APPLY, 0, 0, 0, apply_data_dir, false },
	{ "log_level", FT_KEY_APPLY, 0, 0, 0, apply_log_level, false },
	{ "stats_interval", FT_KEY_U32, 1, 3600, GEN(stats_interval), NULL, false },
	{ "state_interval", FT_KEY_U32, 1, 86400, GEN(state_interval), NULL, false },
	{ "timezone", FT_KEY_APPLY, 0, 0, 0, apply_timezone, false },
	{ "user", FT_KEY_APPLY, 0, 0, 0, apply_user, false },
	{ "group", FT_KEY_APPLY, 0, 0, 0, apply_group, false },
	{ "recharge_contract_day", FT_KEY_U32, 1, 28, GEN(contract_day), NULL, false },
	{ "recharge_reconcile_percent", FT_KEY_APPLY, 0, 0, 0, apply_reconcile, false },
	{ "recharge_tariff", FT_KEY_APPLY, 0, 0, 0, apply_tariff, false },
	{ "dashboard_definitions", FT_KEY_APPLY, 0, 0, 0, apply_dash_defs, false },
	{ "dashboard_dir", FT_KEY_APPLY, 0, 0, 0, apply_dash_dir, false },
	{ "dashboard_interval", FT_KEY_U32, 0, 604800, GEN(dashboard_interval), NULL, false },
	{ "dashboard_command", FT_KEY_APPLY, 0, 0, 0, apply_dash_command, false },
};

static int general_init(struct ft_config *c)
{
	c->source = strdup("(defaults)");
	c->data_dir = strdup("./flowtally-data");
	c->timezone = strdup("Europe/London");
	c->exporters = calloc(2, sizeof(*c->exporters));
	if (!c->source || !c->data_dir || !c->timezone || !c->exporters)
		return -ENOMEM;
	ft_prefix_parse("127.0.0.0/8", &c->exporters[0]);
	ft_prefix_parse("::1/128", &c->exporters[1]);
	c->n_exporters = 2;
	c->log_level = FT_LOG_NOTICE;
	c->stats_interval = 5;
	c->state_interval = 60;
	c->contract_day = 1;
	c->reconcile_ppm = 20000;
	return 0;
}

/* In a file, an absent allow-list accepts nothing (deny by default): said as a warning. */
static void general_check(struct cctx *c, const config_t *lc)
{
	const config_setting_t *g = ft_config_top(lc, "group");
	if (g && !ft_config_top(lc, "user"))
		ft_diag_add(c->diag, true, c->file, config_setting_source_line(g),
		            "'group' needs 'user': flowtallyd changes its group only as it drops to a user");
	const config_setting_t *s = ft_config_top(lc, "exporters");
	if (!s)
		c->cfg->n_exporters = 0;
	if (c->cfg->n_exporters == 0)
		ft_diag_add(c->diag, false, c->file, s ? config_setting_source_line(s) : 0,
		            "the exporter allow-list ('exporters') is %s: no exporter will be accepted",
		            s ? "empty" : "absent");
}

static void general_done(struct ft_config *c)
{
	free(c->source);
	free(c->data_dir);
	free(c->timezone);
	free(c->tariff);
	free(c->dashboard_definitions);
	free(c->dashboard_dir);
	free(c->dashboard_command);
	free(c->user);
	free(c->group);
	free(c->exporters);
}

const struct ft_config_section ft_config_general = {
	general_keys, sizeof(general_keys) / sizeof(general_keys[0]), general_init, general_check,
	general_done, NULL,
};

/* ---- reading a file ---- */

static int apply_number(struct cctx *c, const struct ft_config_key *k, const config_setting_t *s)
{
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		ft_config_err(c, s, "'%s' must be a whole number", k->name);
		return -EINVAL;
	}
	long long v = config_setting_get_int64(s);
	if (v < k->min || v > k->max) {
		ft_config_err(c, s, "'%s' = %lld is out of range [%lld, %lld]", k->name, v, k->min, k->max);
		return -EINVAL;
	}
	char *field = (char *)c->cfg + k->off;
	int64_t ms;
	if (k->type == FT_KEY_SECONDS_MS && __builtin_mul_overflow((int64_t)v, 1000, &ms)) {
		ft_config_err(c, s, "'%s' = %lld is out of range", k->name, v);
		return -EINVAL;
	}
	if (k->type == FT_KEY_SECONDS_MS)
		*(int64_t *)(void *)field = ms;
	else
		*(uint32_t *)(void *)field = (uint32_t)v;
	return 0;
}

static const struct ft_config_key *find_key(const char *name)
{
	for (size_t i = 0; i < N_SECTIONS; i++)
		for (size_t k = 0; k < sections[i]->n_keys; k++)
			if (strcmp(sections[i]->keys[k].name, name) == 0)
				return &sections[i]->keys[k];
	return NULL;
}

/* The top-level settings of one pass: the keys that are not late, then the late ones. */
static int apply_pass(struct cctx *c, const config_t *lc, bool late)
{
	config_setting_t *root = config_root_setting(lc);
	int bad = 0;
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const struct ft_config_key *k = find_key(config_setting_name(s));
		if (!k) {
			if (!late)
				ft_config_err(c, s, "unknown key '%s'", config_setting_name(s));
			bad += !late;
			continue;
		}
		if (k->late != late)
			continue;
		int r = k->type == FT_KEY_APPLY ? k->apply(c, s) : apply_number(c, k, s);
		if (r == -ENOMEM)
			return r;
		bad += r < 0;
	}
	return bad;
}

static int apply_all(struct cctx *c, const config_t *lc)
{
	int bad = 0;
	for (int pass = 0; pass < 2; pass++) {
		int r = apply_pass(c, lc, pass == 1);
		if (r < 0)
			return r;
		bad += r;
	}
	for (size_t i = 0; i < N_SECTIONS; i++)
		if (sections[i]->check)
			sections[i]->check(c, lc);
	if (!bad && !c->diag->errors)
		return 0;
	for (size_t i = 0; i < N_SECTIONS; i++)
		if (sections[i]->rest)
			sections[i]->rest(c);
	return -EINVAL;
}

/* Line `line` (from 1) of text, without its newline, into buf. */
static void text_line(const char *text, int line, char *buf, size_t size)
{
	for (int i = 1; text && i < line; i++)
		if ((text = strchr(text, '\n')))
			text++;
	size_t n = text ? strcspn(text, "\n") : 0;
	snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), text ? text : "");
}

/* libconfig says little more than "syntax error": show the line it stopped at. */
static void syntax_error(const config_t *lc, const char *name, const char *text, struct ft_diag *diag)
{
	const char *file = config_error_file(lc) ? config_error_file(lc) : name;
	int line = config_error_line(lc);
	char buf[96] = "", *at = buf;
	text_line(text, line, buf, sizeof(buf));
	at += strspn(at, " \t");
	if (*at)
		ft_diag_add(diag, true, file, line, "%s in \"%s\" (a setting is: name = value;)",
		            config_error_text(lc), at);
	else
		ft_diag_add(diag, true, file, line, "%s", config_error_text(lc));
}

static int finish(config_t *lc, int read_ok, const char *name, const char *text, struct ft_config **ret,
                  struct ft_diag *diag)
{
	struct ft_diag local = { 0 };
	if (!diag)
		diag = &local;
	ft_diag_file(diag, name);          /* the file first, then the prefix files it names */
	if (!read_ok) {
		int r = config_error_type(lc) == CONFIG_ERR_FILE_IO ? -errno : -EINVAL;
		if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
			ft_diag_add(diag, true, name, 0, "cannot read: %s", strerror(errno));
		else
			syntax_error(lc, name, text, diag);
		ft_diag_done(&local);
		return r < 0 ? r : -EINVAL;
	}
	struct ft_config *cfg = ft_config_new_default();
	if (!cfg)
		return -ENOMEM;
	free(cfg->source);
	cfg->source = strdup(name);
	struct cctx c = { .cfg = cfg, .diag = diag, .file = name };
	ft_tenant_conf_file(&cfg->tenants, name);
	int r = cfg->source ? apply_all(&c, lc) : -ENOMEM;
	ft_diag_sort(diag);
	ft_diag_done(&local);
	if (r < 0) {
		ft_config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

/* The whole file, for showing where a syntax error is (NULL if unreadable). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0;
	if (f && getdelim(&text, &cap, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	if (f)
		fclose(f);
	return text;
}

int ft_config_load(const char *path, struct ft_config **ret, struct ft_diag *diag)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		ft_diag_add(diag, true, path, 0, "is a directory, not a configuration file");
		return -EISDIR;
	}
	config_t lc;
	config_init(&lc);
	errno = 0;
	int ok = config_read_file(&lc, path);
	int saved = errno;
	errno = saved ? saved : EIO;
	char *text = ok ? NULL : slurp(path);
	int r = finish(&lc, ok, path, text, ret, diag);
	free(text);
	config_destroy(&lc);
	return r;
}

int ft_config_parse(const char *text, const char *name, struct ft_config **ret, struct ft_diag *diag)
{
	config_t lc;
	config_init(&lc);
	int ok = config_read_string(&lc, text);
	int r = finish(&lc, ok, name, text, ret, diag);
	config_destroy(&lc);
	return r;
}

struct ft_config *ft_config_new_default(void)
{
	struct ft_config *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	for (size_t i = 0; i < N_SECTIONS; i++)
		if (sections[i]->init(c) < 0)
			return ft_config_free(c);
	return c;
}

struct ft_config *ft_config_free(struct ft_config *c)
{
	if (c) {
		for (size_t i = 0; i < N_SECTIONS; i++)
			if (sections[i]->done)
				sections[i]->done(c);
		free(c);
	}
	return NULL;
}

bool ft_config_exporter_allowed(const struct ft_config *c, const struct ft_addr *a)
{
	for (size_t i = 0; i < c->n_exporters; i++)
		if (ft_prefix_contains(&c->exporters[i], a))
			return true;
	return false;
}
