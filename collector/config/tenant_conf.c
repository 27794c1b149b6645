/* Configuration of the tenant map: the keys tenants, classes, prefix_files,
 * accounting_points and address_space (see the README, "Tenants").  Each setting is
 * checked here and turned into struct ft_tenant_conf entries that remember their
 * file:line, so the map's own checks can name them too. */
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "flowtally/clock.h"

#define LINE(s) config_setting_source_line(s)

static struct ft_where where(struct cctx *c, const config_setting_t *s)
{
	return (struct ft_where){ ft_tenant_conf_file(&c->cfg->tenants, c->file), LINE(s) };
}

/* valid_from / valid_until of a group (absent: open). */
static int validity(struct cctx *c, const config_setting_t *g, int64_t *from, int64_t *until)
{
	const char *v;
	*from = FT_TIME_MIN;
	*until = FT_TIME_MAX;
	if (!config_setting_is_group(g))
		return 0;
	if (config_setting_lookup_string(g, "valid_from", &v) && ft_time_parse_utc(v, from) < 0) {
		ft_config_err(c, config_setting_get_member(g, "valid_from"),
		              "valid_from '%s' is not a UTC time (2026-12-01T00:00:00Z or 2026-12-01)", v);
		return -EINVAL;
	}
	if (config_setting_lookup_string(g, "valid_until", &v) && ft_time_parse_utc(v, until) < 0) {
		ft_config_err(c, config_setting_get_member(g, "valid_until"),
		              "valid_until '%s' is not a UTC time (2026-12-01T00:00:00Z or 2026-12-01)", v);
		return -EINVAL;
	}
	if (*from >= *until) {
		ft_config_err(c, g, "valid_from is not before valid_until");
		return -EINVAL;
	}
	return 0;
}

/* Checks that group g has only the given keys. */
static int only_keys(struct cctx *c, const config_setting_t *g, const char *what, const char *const *keys)
{
	int bad = 0;
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		size_t k = 0;
		while (keys[k] && strcmp(keys[k], name) != 0)
			k++;
		if (!keys[k]) {
			ft_config_err(c, s, "%s: unknown key '%s'", what, name);
			bad++;
		}
	}
	return bad ? -EINVAL : 0;
}

/* An element that is either a scalar, or a group with `key` and validity dates. */
static const config_setting_t *dated_elem(struct cctx *c, const config_setting_t *e, const char *key,
                                          const char *what, int64_t *from, int64_t *until)
{
	const char *const keys[] = { key, "valid_from", "valid_until", NULL };
	*from = FT_TIME_MIN;
	*until = FT_TIME_MAX;
	if (!config_setting_is_group(e))
		return e;
	if (only_keys(c, e, what, keys) < 0 || validity(c, e, from, until) < 0)
		return NULL;
	const config_setting_t *v = config_setting_get_member(e, key);
	if (!v)
		ft_config_err(c, e, "%s: the group has no '%s'", what, key);
	return v;
}

static int prefix_rules(struct cctx *c, const config_setting_t *list, uint16_t tenant, int cls)
{
	int bad = 0;
	if (!config_setting_is_aggregate(list) || config_setting_is_group(list)) {
		ft_config_err(c, list, "prefixes must be a list: [\"10.1.0.0/16\", ...]");
		return -EINVAL;
	}
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		int64_t from, until;
		const config_setting_t *v = dated_elem(c, e, "prefix", "prefixes", &from, &until);
		struct ft_prefix p;
		const char *s = v ? config_setting_get_string(v) : NULL;
		if (!s || ft_prefix_parse(s, &p) < 0) {
			if (v)
				ft_config_err(c, e, "prefixes: %s%s%s is not a prefix (e.g. 10.1.0.0/16)",
				              s ? "'" : "element", s ? s : "", s ? "'" : "");
			bad++;
			continue;
		}
		int r;
		if (cls >= 0) {
			struct ft_class_rule cr = { (uint8_t)cls, p, from, until, where(c, e) };
			r = ft_tenant_conf_add_class_rule(&c->cfg->tenants, &cr);
		} else {
			struct ft_rule rr = { .kind = FT_RULE_PREFIX, .tenant = tenant, .prefix = p,
			                      .from_ms = from, .until_ms = until, .at = where(c, e) };
			r = ft_tenant_conf_add_rule(&c->cfg->tenants, &rr);
		}
		if (r < 0)
			return r;
	}
	return bad ? -EINVAL : 0;
}

static int exporter_of(struct cctx *c, const config_setting_t *g, const char *what, struct ft_addr *ret)
{
	const char *s;
	if (!config_setting_lookup_string(g, "exporter", &s)) {
		ft_config_err(c, g, "%s: 'exporter' (an address in quotes) is missing", what);
		return -EINVAL;
	}
	if (ft_addr_parse(s, ret) < 0) {
		ft_config_err(c, config_setting_get_member(g, "exporter"), "%s: exporter '%s' is not an address", what, s);
		return -EINVAL;
	}
	return 0;
}

static int uint_member(struct cctx *c, const config_setting_t *g, const char *key, const char *what,
                       long long max, uint32_t *ret)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	if (!s || (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)) {
		ft_config_err(c, s ? s : g, "%s: '%s' (a whole number) is missing", what, key);
		return -EINVAL;
	}
	long long v = config_setting_get_int64(s);
	if (v < 0 || v > max) {
		ft_config_err(c, s, "%s: %s = %lld is out of range [0, %lld]", what, key, v, max);
		return -EINVAL;
	}
	*ret = (uint32_t)v;
	return 0;
}

/* { device = "core1"; ifname | ifalias | ifdescr = "pattern"; }: the interfaces SNMP
 * polling finds whose name, alias or description matches (fnmatch), on that device or
 * any. */
static int interface_match(struct cctx *c, const config_setting_t *g, uint16_t tenant)
{
	static const char *const keys[] = { "device", "ifname", "ifalias", "ifdescr", "valid_from", "valid_until", NULL };
	static const char *const fields[] = { "ifname", "ifalias", "ifdescr" };
	struct ft_if_match m = { .tenant = tenant, .at = where(c, g) };
	const char *v = NULL;
	int n = 0;
	if (only_keys(c, g, "interfaces", keys) < 0 || validity(c, g, &m.from_ms, &m.until_ms) < 0)
		return -EINVAL;
	for (int f = 0; f < 3; f++) {
		const char *p;
		if (config_setting_lookup_string(g, fields[f], &p)) {
			v = p;
			m.field = (uint8_t)f;
			n++;
		}
	}
	if (n != 1 || !*v || strlen(v) >= sizeof(m.pattern)) {
		ft_config_err(c, g, "interfaces: give one of ifname, ifalias or ifdescr, a pattern of 1 to %zu characters "
		              "(* ? [...] as in shell patterns)", sizeof(m.pattern) - 1);
		return -EINVAL;
	}
	snprintf(m.pattern, sizeof(m.pattern), "%s", v);
	if (config_setting_lookup_string(g, "device", &v)) {
		if (!*v || strlen(v) >= sizeof(m.device)) {
			ft_config_err(c, g, "interfaces: device must name one of snmp_devices");
			return -EINVAL;
		}
		snprintf(m.device, sizeof(m.device), "%s", v);
	}
	return ft_tenant_conf_add_if_match(&c->cfg->tenants, &m) < 0 ? -ENOMEM : 0;
}

static int interface_rules(struct cctx *c, const config_setting_t *list, uint16_t tenant)
{
	static const char *const keys[] = { "exporter", "ifindex", "valid_from", "valid_until", NULL };
	int bad = 0;
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		if (config_setting_is_group(g) && !config_setting_get_member(g, "ifindex") &&
		    !config_setting_get_member(g, "exporter")) {
			int r = interface_match(c, g, tenant);
			if (r == -ENOMEM)
				return r;
			bad += r < 0;
			continue;
		}
		struct ft_rule r = { .kind = FT_RULE_INTERFACE, .tenant = tenant, .at = where(c, g) };
		if (!config_setting_is_group(g) || only_keys(c, g, "interfaces", keys) < 0 ||
		    exporter_of(c, g, "interfaces", &r.exporter) < 0 ||
		    uint_member(c, g, "ifindex", "interfaces", UINT32_MAX, &r.ifindex) < 0 ||
		    validity(c, g, &r.from_ms, &r.until_ms) < 0) {
			if (!config_setting_is_group(g))
				ft_config_err(c, g, "interfaces: each entry is a group { exporter = \"...\"; ifindex = N; } or "
				              "{ device = \"...\"; ifname | ifalias | ifdescr = \"pattern\"; }");
			bad++;
			continue;
		}
		if (ft_tenant_conf_add_rule(&c->cfg->tenants, &r) < 0)
			return -ENOMEM;
	}
	return bad ? -EINVAL : 0;
}

static int vlan_rules(struct cctx *c, const config_setting_t *list, uint16_t tenant)
{
	static const char *const keys[] = { "vlan", "exporter", "valid_from", "valid_until", NULL };
	int bad = 0;
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct ft_rule r = { .kind = FT_RULE_VLAN, .tenant = tenant, .at = where(c, g),
		                     .any_exporter = true };
		if (config_setting_is_group(g) && config_setting_get_member(g, "exporter")) {
			r.any_exporter = false;
			bad += exporter_of(c, g, "vlans", &r.exporter) < 0;
		}
		if (!config_setting_is_group(g) || only_keys(c, g, "vlans", keys) < 0 ||
		    uint_member(c, g, "vlan", "vlans", 4095, &r.value) < 0 ||
		    validity(c, g, &r.from_ms, &r.until_ms) < 0) {
			if (!config_setting_is_group(g))
				ft_config_err(c, g, "vlans: each entry is a group { vlan = N; [exporter = \"...\";] }");
			bad++;
			continue;
		}
		if (ft_tenant_conf_add_rule(&c->cfg->tenants, &r) < 0)
			return -ENOMEM;
	}
	return bad ? -EINVAL : 0;
}

static int asn_rules(struct cctx *c, const config_setting_t *list, uint16_t tenant)
{
	int bad = 0;
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		struct ft_rule r = { .kind = FT_RULE_ASN, .tenant = tenant, .at = where(c, e) };
		const config_setting_t *v = dated_elem(c, e, "asn", "asns", &r.from_ms, &r.until_ms);
		int t = v ? config_setting_type(v) : 0;
		long long n = (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) ? config_setting_get_int64(v) : -1;
		if (n < 1 || n > UINT32_MAX) {
			if (v)
				ft_config_err(c, e, "asns: an AS number from 1 to 4294967295 is expected");
			bad++;
			continue;
		}
		r.value = (uint32_t)n;
		if (ft_tenant_conf_add_rule(&c->cfg->tenants, &r) < 0)
			return -ENOMEM;
	}
	return bad ? -EINVAL : 0;
}

static int tenant_strings(struct cctx *c, const config_setting_t *g, struct ft_tenant_def *t)
{
	const char *s;
	if (config_setting_lookup_string(g, "display", &s))
		snprintf(t->display, sizeof(t->display), "%s", s);
	if (config_setting_lookup_string(g, "cost_centre", &s))
		snprintf(t->cost_centre, sizeof(t->cost_centre), "%s", s);
	(void)c;
	return 0;
}

static int one_tenant(struct cctx *c, const config_setting_t *g)
{
	static const char *const keys[] = { "name", "display", "cost_centre", "prefixes", "interfaces",
	                                    "vlans", "asns", NULL };
	const char *name;
	if (!config_setting_is_group(g)) {
		ft_config_err(c, g, "tenants: each tenant is a group { name = \"...\"; ... }");
		return -EINVAL;
	}
	int bad = only_keys(c, g, "tenants", keys) < 0;
	if (!config_setting_lookup_string(g, "name", &name) || !ft_name_valid(name) ||
	    strcmp(name, "unattributed") == 0 || strcmp(name, "total") == 0) {
		ft_config_err(c, g, "tenants: 'name' must be 1-31 bytes of UTF-8 text without control "
		              "characters or a space at either end (not \"unattributed\" or \"total\", the "
		              "names of the volume no tenant owns and of the measured total)");
		return -EINVAL;
	}
	if (ft_tenant_conf_find(&c->cfg->tenants, name)) {
		ft_config_err(c, g, "tenants: '%s' is defined twice", name);
		return -EINVAL;
	}
	int t = ft_tenant_conf_add_tenant(&c->cfg->tenants, name, where(c, g));
	if (t < 0)
		return t;
	tenant_strings(c, g, &c->cfg->tenants.tenants[t]);
	const config_setting_t *s;
	if ((s = config_setting_get_member(g, "prefixes")))
		bad += prefix_rules(c, s, (uint16_t)t, -1) < 0;
	if ((s = config_setting_get_member(g, "interfaces")))
		bad += interface_rules(c, s, (uint16_t)t) < 0;
	if ((s = config_setting_get_member(g, "vlans")))
		bad += vlan_rules(c, s, (uint16_t)t) < 0;
	if ((s = config_setting_get_member(g, "asns")))
		bad += asn_rules(c, s, (uint16_t)t) < 0;
	return bad ? -EINVAL : 0;
}

static int apply_tenants(struct cctx *c, const config_setting_t *s)
{
	int bad = 0;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		ft_config_err(c, s, "tenants must be a list of groups: ( { name = \"...\"; ... }, ... )");
		return -EINVAL;
	}
	c->cfg->tenants.tenants_at = where(c, s);
	for (int i = 0; i < config_setting_length(s); i++) {
		int r = one_tenant(c, config_setting_get_elem(s, (unsigned)i));
		if (r == -ENOMEM)
			return r;
		bad += r < 0;
	}
	return bad ? -EINVAL : 0;
}

static int one_class(struct cctx *c, const config_setting_t *g)
{
	static const char *const keys[] = { "name", "prefixes", NULL };
	const char *name;
	if (!config_setting_is_group(g) || only_keys(c, g, "classes", keys) < 0)
		return -EINVAL;
	if (!config_setting_lookup_string(g, "name", &name) || !ft_name_valid(name)) {
		ft_config_err(c, g, "classes: 'name' must be 1-31 bytes of UTF-8 text without control "
		              "characters or a space at either end");
		return -EINVAL;
	}
	for (size_t i = 0; i < c->cfg->tenants.n_classes; i++) {
		if (strcmp(c->cfg->tenants.classes[i], name) == 0) {
			ft_config_err(c, g, "classes: '%s' is %s", name, i < 2 ? "built in" : "defined twice");
			return -EINVAL;
		}
	}
	int cls = ft_tenant_conf_add_class(&c->cfg->tenants, name);
	if (cls < 0) {
		ft_config_err(c, g, "classes: more than %d classes", FT_CLASSES_MAX - 2);
		return cls;
	}
	const config_setting_t *p = config_setting_get_member(g, "prefixes");
	return p ? prefix_rules(c, p, 0, cls) : 0;
}

static int apply_classes(struct cctx *c, const config_setting_t *s)
{
	int bad = 0;
	for (int i = 0; config_setting_type(s) == CONFIG_TYPE_LIST && i < config_setting_length(s); i++)
		bad += one_class(c, config_setting_get_elem(s, (unsigned)i)) < 0;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		ft_config_err(c, s, "classes must be a list of groups: ( { name = \"psn\"; prefixes = [...]; } )");
		return -EINVAL;
	}
	return bad ? -EINVAL : 0;
}

static int one_point(struct cctx *c, const config_setting_t *g)
{
	static const char *const keys[] = { "exporter", "ifindex", "direction", "valid_from", "valid_until", NULL };
	struct ft_acct_point p = { .dir = FT_POINT_BOTH, .at = where(c, g) };
	const char *dir;
	if (!config_setting_is_group(g) || only_keys(c, g, "accounting_points", keys) < 0 ||
	    exporter_of(c, g, "accounting_points", &p.exporter) < 0 ||
	    uint_member(c, g, "ifindex", "accounting_points", UINT32_MAX, &p.ifindex) < 0 ||
	    validity(c, g, &p.from_ms, &p.until_ms) < 0)
		return -EINVAL;
	if (config_setting_lookup_string(g, "direction", &dir)) {
		if (strcmp(dir, "in") == 0)
			p.dir = FT_POINT_IN;
		else if (strcmp(dir, "out") == 0)
			p.dir = FT_POINT_OUT;
		else if (strcmp(dir, "both") != 0) {
			ft_config_err(c, config_setting_get_member(g, "direction"),
			              "accounting_points: direction must be \"in\", \"out\" or \"both\"");
			return -EINVAL;
		}
	}
	int r = ft_tenant_conf_add_point(&c->cfg->tenants, &p);
	if (r == -E2BIG)
		ft_config_err(c, g, "accounting_points: more than %d points", FT_POINTS_MAX);
	return r;
}

static int apply_points(struct cctx *c, const config_setting_t *s)
{
	int bad = 0;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		ft_config_err(c, s, "accounting_points must be a list of groups: ( { exporter = \"...\"; "
		              "ifindex = N; direction = \"in\"; } )");
		return -EINVAL;
	}
	for (int i = 0; i < config_setting_length(s); i++)
		bad += one_point(c, config_setting_get_elem(s, (unsigned)i)) < 0;
	return bad ? -EINVAL : 0;
}

/* prefix_files = ( "ipam.txt", { path = "next.txt"; valid_from = "2027-01-01"; } );
 * read after the whole file, when every tenant is known. */
static int apply_prefix_files(struct cctx *c, const config_setting_t *s)
{
	int bad = 0;
	for (int i = 0; config_setting_is_array(s) || config_setting_is_list(s) ? i < config_setting_length(s) : 0; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		int64_t from, until;
		const config_setting_t *v = dated_elem(c, e, "path", "prefix_files", &from, &until);
		const char *path = v ? config_setting_get_string(v) : NULL;
		if (!path) {
			bad++;
			continue;
		}
		struct ft_where at = where(c, e);
		int r = ft_tenant_conf_read_prefixes_at(&c->cfg->tenants, path, &at, false, from, until, c->diag);
		if (r == -ENOMEM)
			return r;
		bad += r < 0;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		ft_config_err(c, s, "prefix_files must be a list of file names");
		return -EINVAL;
	}
	return bad ? -EINVAL : 0;
}

static int apply_address_space(struct cctx *c, const config_setting_t *s)
{
	int n = ft_config_string_list(c, s);
	if (n < 0)
		return -EINVAL;
	struct ft_tenant_conf *t = &c->cfg->tenants;
	free(t->address_space);
	t->address_space = calloc((size_t)n + 1, sizeof(*t->address_space));
	if (!t->address_space)
		return -ENOMEM;
	t->address_space_at = where(c, s);
	int bad = 0;
	for (int i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(s, (unsigned)i);
		if (ft_prefix_parse(v, &t->address_space[t->n_address_space]) < 0) {
			ft_config_err(c, s, "address_space: '%s' is not a prefix", v);
			bad++;
		} else {
			t->n_address_space++;
		}
	}
	return bad ? -EINVAL : 0;
}

/* interface_tag = "tenant": "[tenant:NAME]" in an interface's ifAlias (or ifDescr)
 * makes it NAME's. */
static int apply_interface_tag(struct cctx *c, const config_setting_t *s)
{
	const char *v = config_setting_get_string(s);
	size_t n = v ? strlen(v) : 0;
	bool ok = n > 0 && n < sizeof(c->cfg->tenants.if_tag);
	for (size_t i = 0; ok && i < n; i++)
		ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
		     v[i] == '-' || v[i] == '_';
	if (!ok) {
		ft_config_err(c, s, "interface_tag must be a word of 1 to %zu letters, digits, '-' or '_' (\"tenant\" "
		              "for [tenant:NAME])", sizeof(c->cfg->tenants.if_tag) - 1);
		return -EINVAL;
	}
	snprintf(c->cfg->tenants.if_tag, sizeof(c->cfg->tenants.if_tag), "%s", v);
	return 0;
}

static const struct ft_config_key keys[] = {
	{ "tenants", FT_KEY_APPLY, 0, 0, 0, apply_tenants, false },
	{ "interface_tag", FT_KEY_APPLY, 0, 0, 0, apply_interface_tag, false },
	{ "classes", FT_KEY_APPLY, 0, 0, 0, apply_classes, false },
	{ "accounting_points", FT_KEY_APPLY, 0, 0, 0, apply_points, false },
	{ "address_space", FT_KEY_APPLY, 0, 0, 0, apply_address_space, false },
	{ "prefix_files", FT_KEY_APPLY, 0, 0, 0, apply_prefix_files, true },
};

static int init(struct ft_config *c)
{
	return ft_tenant_conf_init(&c->tenants);
}

static void done(struct ft_config *c)
{
	ft_tenant_conf_done(&c->tenants);
}

/* A file with errors (a prefix file missing, say): the map of what could be read, built
 * for its conflicts and lint only. */
static void rest(struct cctx *c)
{
	c->cfg->tenants.incomplete = true;
	ft_tenant_map_free(ft_tenant_map_build(&c->cfg->tenants, c->diag));
}

const struct ft_config_section ft_config_tenants = {
	keys, sizeof(keys) / sizeof(keys[0]), init, NULL, done, rest,
};
