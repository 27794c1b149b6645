/* Configuration: libconfig reads the syntax (and reports syntax errors with their
 * line); this file checks every setting against one table of keys, converts it, and
 * names file:line for each problem.  Any error rejects the whole file. */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "flowtally/log.h"

enum key_type { KEY_INT, KEY_STRING, KEY_STRLIST };


struct key {
	const char *name;
	enum key_type type;
	long long min, max;         /* KEY_INT bounds */
	size_t off;                 /* KEY_INT: uint32_t field */
	int (*apply)(struct cctx *c, const config_setting_t *s);  /* other types */
};

#define diag_add ft_diag_add
#define err ft_config_err

int ft_config_string_list(struct cctx *c, const config_setting_t *s)
{
	if (!config_setting_is_aggregate(s) || config_setting_is_group(s)) {
		err(c, s, "'%s' must be a list of strings, e.g. [\"...\", \"...\"]", config_setting_name(s));
		return -1;
	}
	int n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		if (config_setting_type(config_setting_get_elem(s, (unsigned)i)) != CONFIG_TYPE_STRING) {
			err(c, s, "'%s': element %d is not a string", config_setting_name(s), i + 1);
			return -1;
		}
	}
	return n;
}

static int apply_listen(struct cctx *c, const config_setting_t *s)
{
	int n = ft_config_string_list(c, s);
	if (n < 0)
		return -EINVAL;
	struct ft_listen_addr *l = calloc((size_t)n + 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	int bad = 0;
	for (int i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(s, (unsigned)i);
		if (ft_listen_addr_parse(v, &l[i]) < 0) {
			err(c, s, "listen: '%s' is not host:port (e.g. 127.0.0.1:2055 or [::1]:2055)", v);
			bad++;
		}
	}
	if (n == 0)
		err(c, s, "listen: the list is empty; give at least one host:port");
	free(c->cfg->listen);
	c->cfg->listen = l;
	c->cfg->n_listen = (size_t)n;
	return bad || n == 0 ? -EINVAL : 0;
}

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
			err(c, s, "exporters: '%s' is not an address or prefix (e.g. 192.0.2.0/24)", v);
			bad++;
		}
	}
	free(c->cfg->exporters);
	c->cfg->exporters = p;
	c->cfg->n_exporters = (size_t)n;
	return bad ? -EINVAL : 0;
}

static int apply_string(struct cctx *c, const config_setting_t *s, char **field)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		err(c, s, "'%s' must be a string in double quotes", config_setting_name(s));
		return -EINVAL;
	}
	const char *v = config_setting_get_string(s);
	if (!*v) {
		err(c, s, "'%s' must not be empty", config_setting_name(s));
		return -EINVAL;
	}
	char *dup = strdup(v);
	if (!dup)
		return -ENOMEM;
	free(*field);
	*field = dup;
	return 0;
}

static int apply_data_dir(struct cctx *c, const config_setting_t *s)
{
	return apply_string(c, s, &c->cfg->data_dir);
}

static int apply_timezone(struct cctx *c, const config_setting_t *s)
{
	return apply_string(c, s, &c->cfg->timezone);
}

static int apply_log_level(struct cctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		err(c, s, "log_level must be a string: \"err\", \"warning\", \"notice\", \"info\" or \"debug\"");
		return -EINVAL;
	}
	int l = ft_log_level_parse(config_setting_get_string(s));
	if (l < 0) {
		err(c, s, "log_level '%s' is not one of err, warning, notice, info, debug",
		    config_setting_get_string(s));
		return -EINVAL;
	}
	c->cfg->log_level = l;
	return 0;
}

/* exporter_settings = ( { match = "192.0.2.0/24"; sampling_default = 100;
 *                         sampling_override = 0; count_totals = false; }, ... ); */
static int exporter_setting(struct cctx *c, const config_setting_t *g, struct ft_exporter_conf *x)
{
	int bad = 0;
	bool have_match = false;
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		int t = config_setting_type(s);
		if (strcmp(name, "match") == 0 && t == CONFIG_TYPE_STRING) {
			have_match = true;
			if (ft_prefix_parse(config_setting_get_string(s), &x->match) < 0) {
				err(c, s, "exporter_settings: match '%s' is not an address or prefix",
				    config_setting_get_string(s));
				bad++;
			}
		} else if ((strcmp(name, "sampling_default") == 0 || strcmp(name, "sampling_override") == 0) &&
		           (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)) {
			long long v = config_setting_get_int64(s);
			if (v < 0 || v > 16777215) {
				err(c, s, "exporter_settings: %s = %lld is out of range [0, 16777215]", name, v);
				bad++;
			} else {
				*(name[9] == 'd' ? &x->sampling_default : &x->sampling_override) = (uint32_t)v;
			}
		} else if (strcmp(name, "count_totals") == 0 && t == CONFIG_TYPE_BOOL) {
			x->count_totals = config_setting_get_bool(s);
		} else {
			err(c, s, "exporter_settings: unknown key or wrong type '%s' (keys: match (string), "
			    "sampling_default, sampling_override (numbers), count_totals (true/false))", name);
			bad++;
		}
	}
	if (!have_match) {
		err(c, g, "exporter_settings: an entry has no 'match'");
		bad++;
	}
	return bad ? -EINVAL : 0;
}

static int apply_exporter_settings(struct cctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		err(c, s, "exporter_settings must be a list of groups: ( { match = \"...\"; ... } )");
		return -EINVAL;
	}
	int n = config_setting_length(s), bad = 0;
	struct ft_exporter_conf *x = calloc((size_t)n + 1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (!config_setting_is_group(g)) {
			err(c, g, "exporter_settings: element %d is not a group { ... }", i + 1);
			bad++;
			continue;
		}
		bad += exporter_setting(c, g, &x[i]) < 0;
	}
	free(c->cfg->exporter_settings);
	c->cfg->exporter_settings = x;
	c->cfg->n_exporter_settings = (size_t)n;
	return bad ? -EINVAL : 0;
}

#define U32(field) offsetof(struct ft_config, field)

static const struct key keys[] = {
	{ "listen", KEY_STRLIST, 0, 0, 0, apply_listen },
	{ "exporters", KEY_STRLIST, 0, 0, 0, apply_exporters },
	{ "receive_buffer", KEY_INT, 4096, 1LL << 30, U32(receive_buffer), NULL },
	{ "receive_threads", KEY_INT, 1, 64, U32(receive_threads), NULL },
	{ "data_dir", KEY_STRING, 0, 0, 0, apply_data_dir },
	{ "step", KEY_INT, 1, 86400, U32(step), NULL },
	{ "log_level", KEY_STRING, 0, 0, 0, apply_log_level },
	{ "stats_interval", KEY_INT, 1, 3600, U32(stats_interval), NULL },
	{ "max_exporters", KEY_INT, 1, 1000000, U32(max_exporters), NULL },
	{ "max_templates", KEY_INT, 1, 65535, U32(max_templates), NULL },
	{ "template_lifetime", KEY_INT, 0, 30 * 86400, U32(template_lifetime), NULL },
	{ "pending_sets", KEY_INT, 1, 1000000, U32(pending_sets), NULL },
	{ "pending_bytes", KEY_INT, 1024, 1LL << 30, U32(pending_bytes), NULL },
	{ "state_interval", KEY_INT, 1, 86400, U32(state_interval), NULL },
	{ "exporter_settings", KEY_STRLIST, 0, 0, 0, apply_exporter_settings },
	{ "tenants", KEY_STRLIST, 0, 0, 0, ft_config_apply_tenants },
	{ "classes", KEY_STRLIST, 0, 0, 0, ft_config_apply_classes },
	{ "accounting_points", KEY_STRLIST, 0, 0, 0, ft_config_apply_points },
	{ "address_space", KEY_STRLIST, 0, 0, 0, ft_config_apply_address_space },
	{ "prefix_files", KEY_STRLIST, 0, 0, 0, ft_config_apply_prefix_files },
	{ "lateness", KEY_INT, 0, 86400, U32(lateness), NULL },
	{ "timezone", KEY_STRING, 0, 0, 0, apply_timezone },
};

static int apply_int(struct cctx *c, const struct key *k, const config_setting_t *s)
{
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		err(c, s, "'%s' must be a whole number", k->name);
		return -EINVAL;
	}
	long long v = config_setting_get_int64(s);
	if (v < k->min || v > k->max) {
		err(c, s, "'%s' = %lld is out of range [%lld, %lld]", k->name, v, k->min, k->max);
		return -EINVAL;
	}
	*(uint32_t *)((char *)c->cfg + k->off) = (uint32_t)v;
	return 0;
}

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static void validate(struct cctx *c, const config_t *lc)
{
	config_setting_t *root = config_root_setting(lc);
	config_setting_t *s = config_setting_get_member(root, "exporters");
	if (!s || c->cfg->n_exporters == 0)
		diag_add(c->diag, false, c->file, s ? config_setting_source_line(s) : 0,
		         "the exporter allow-list ('exporters') is %s: no exporter will be accepted",
		         s ? "empty" : "absent");
	if (86400 % c->cfg->step != 0) {
		s = config_setting_get_member(root, "step");
		err(c, s, "step = %u does not divide a day (86400 s) into whole steps", c->cfg->step);
	}
}

static int apply_all(struct cctx *c, const config_t *lc)
{
	config_setting_t *root = config_root_setting(lc);
	int bad = 0;

	c->cfg->n_exporters = 0;    /* in a file, an absent allow-list accepts nothing */
	for (int pass = 0; pass < 2; pass++) {
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const struct key *k = find_key(config_setting_name(s));
		int r;
		/* prefix files name tenants: they are read once all tenants are known */
		if ((k && k->apply == ft_config_apply_prefix_files) != (pass == 1))
			continue;
		if (!k) {
			err(c, s, "unknown key '%s'", config_setting_name(s));
			bad++;
			continue;
		}
		r = k->type == KEY_INT ? apply_int(c, k, s) : k->apply(c, s);
		if (r == -ENOMEM)
			return r;
		bad += r < 0;
	}
	}
	validate(c, lc);
	return bad || c->diag->errors ? -EINVAL : 0;
}

static int finish(config_t *lc, int read_ok, const char *name, struct ft_config **ret, struct ft_diag *diag)
{
	struct ft_diag local = { 0 };
	if (!diag)
		diag = &local;
	if (!read_ok) {
		int r = config_error_type(lc) == CONFIG_ERR_FILE_IO ? -errno : -EINVAL;
		if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
			diag_add(diag, true, name, 0, "cannot read: %s", strerror(errno));
		else
			diag_add(diag, true, config_error_file(lc) ? config_error_file(lc) : name,
			         config_error_line(lc), "syntax error: %s", config_error_text(lc));
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
	ft_diag_done(&local);
	if (r < 0) {
		ft_config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

int ft_config_load(const char *path, struct ft_config **ret, struct ft_diag *diag)
{
	config_t lc;
	config_init(&lc);
	errno = 0;
	int ok = config_read_file(&lc, path);
	int saved = errno;
	errno = saved ? saved : EIO;
	int r = finish(&lc, ok, path, ret, diag);
	config_destroy(&lc);
	return r;
}

int ft_config_parse(const char *text, const char *name, struct ft_config **ret, struct ft_diag *diag)
{
	config_t lc;
	config_init(&lc);
	int ok = config_read_string(&lc, text);
	int r = finish(&lc, ok, name, ret, diag);
	config_destroy(&lc);
	return r;
}

struct ft_config *ft_config_new_default(void)
{
	struct ft_config *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->source = strdup("(defaults)");
	c->data_dir = strdup("./flowtally-data");
	c->listen = calloc(2, sizeof(*c->listen));
	c->exporters = calloc(2, sizeof(*c->exporters));
	if (!c->source || !c->data_dir || !c->listen || !c->exporters)
		return ft_config_free(c);
	ft_listen_addr_parse("127.0.0.1:2055", &c->listen[0]);
	ft_listen_addr_parse("[::1]:2055", &c->listen[1]);
	c->n_listen = 2;
	ft_prefix_parse("127.0.0.0/8", &c->exporters[0]);
	ft_prefix_parse("::1/128", &c->exporters[1]);
	c->n_exporters = 2;
	c->receive_buffer = 32u << 20;
	c->receive_threads = 1;
	c->step = 60;
	c->log_level = FT_LOG_NOTICE;
	c->stats_interval = 5;
	c->max_exporters = FT_NETFLOW_DEFAULT_MAX_EXPORTERS;
	c->max_templates = FT_NETFLOW_DEFAULT_MAX_TEMPLATES;
	c->template_lifetime = 7200;
	c->pending_sets = FT_NETFLOW_DEFAULT_PENDING_SETS;
	c->pending_bytes = FT_NETFLOW_DEFAULT_PENDING_BYTES;
	c->state_interval = 60;
	c->lateness = 120;
	c->timezone = strdup("Europe/London");
	if (!c->timezone || ft_tenant_conf_init(&c->tenants) < 0)
		return ft_config_free(c);
	return c;
}

struct ft_config *ft_config_free(struct ft_config *c)
{
	if (c) {
		free(c->source);
		free(c->listen);
		free(c->exporters);
		free(c->data_dir);
		free(c->exporter_settings);
		free(c->timezone);
		ft_tenant_conf_done(&c->tenants);
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

void ft_config_netflow_opts(const struct ft_config *c, struct ft_netflow_opts *ret)
{
	*ret = (struct ft_netflow_opts){
		.max_exporters = c->max_exporters,
		.max_templates = c->max_templates,
		.template_lifetime = c->template_lifetime,
		.max_pending_sets = c->pending_sets,
		.max_pending_bytes = c->pending_bytes,
		.exporters = c->exporter_settings,
		.n_exporters = c->n_exporter_settings,
	};
}
