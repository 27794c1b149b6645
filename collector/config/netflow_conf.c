/* The decoder's part of the configuration (struct ft_netflow_conf, netflow.h): the
 * caps on what exporters can make grow, the bounds a record's counters and times must
 * keep, and per-exporter settings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* exporter_settings = ( { match = "192.0.2.0/24"; sampling_default = 100;
 *                         sampling_override = 0; count_totals = false;
 *                         v9_variable_length = false; }, ... ); */
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
				ft_config_err(c, s, "exporter_settings: match '%s' is not an address or prefix",
				    config_setting_get_string(s));
				bad++;
			}
		} else if ((strcmp(name, "sampling_default") == 0 || strcmp(name, "sampling_override") == 0) &&
		           (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)) {
			long long v = config_setting_get_int64(s);
			if (v < 0 || v > 16777215) {
				ft_config_err(c, s, "exporter_settings: %s = %lld is out of range [0, 16777215]", name, v);
				bad++;
			} else {
				*(name[9] == 'd' ? &x->sampling_default : &x->sampling_override) = (uint32_t)v;
			}
		} else if (strcmp(name, "count_totals") == 0 && t == CONFIG_TYPE_BOOL) {
			x->count_totals = config_setting_get_bool(s);
		} else if (strcmp(name, "v9_variable_length") == 0 && t == CONFIG_TYPE_BOOL) {
			x->v9_variable_length = config_setting_get_bool(s);
		} else {
			ft_config_err(c, s, "exporter_settings: unknown key or wrong type '%s' (keys: match (string), "
			    "sampling_default, sampling_override (numbers), count_totals, "
			    "v9_variable_length (true/false))", name);
			bad++;
		}
	}
	if (!have_match) {
		ft_config_err(c, g, "exporter_settings: an entry has no 'match'");
		bad++;
	}
	return bad ? -EINVAL : 0;
}

static int apply_exporter_settings(struct cctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		ft_config_err(c, s, "exporter_settings must be a list of groups: ( { match = \"...\"; ... } )");
		return -EINVAL;
	}
	int n = config_setting_length(s), bad = 0;
	struct ft_exporter_conf *x = calloc((size_t)n + 1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (!config_setting_is_group(g)) {
			ft_config_err(c, g, "exporter_settings: element %d is not a group { ... }", i + 1);
			bad++;
			continue;
		}
		bad += exporter_setting(c, g, &x[i]) < 0;
	}
	free((struct ft_exporter_conf *)c->cfg->netflow.exporters);
	c->cfg->netflow.exporters = x;
	c->cfg->netflow.n_exporters = (size_t)n;
	return bad ? -EINVAL : 0;
}

/* ipfix_withdrawals = "ignore" | "apply" */
static int apply_ipfix_withdrawals(struct cctx *c, const config_setting_t *s)
{
	const char *v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
	if (!v || (strcmp(v, "ignore") != 0 && strcmp(v, "apply") != 0)) {
		ft_config_err(c, s, "ipfix_withdrawals must be \"ignore\" (RFC 7011 §8.4, the default) "
		    "or \"apply\"");
		return -EINVAL;
	}
	c->cfg->netflow.ipfix_withdrawals = strcmp(v, "apply") == 0;
	return 0;
}

/* memory_budget = "256M"; (K, M, G: binary multiples) or a number of bytes. */
#define BUDGET_MIN (4ull << 20)
#define BUDGET_MAX (1ull << 40)
static int apply_memory_budget(struct cctx *c, const config_setting_t *s)
{
	int t = config_setting_type(s);
	unsigned long long v = 0;
	bool ok = false;
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
		long long n = config_setting_get_int64(s);
		ok = n > 0;
		v = ok ? (unsigned long long)n : 0;
	} else if (t == CONFIG_TYPE_STRING) {
		const char *text = config_setting_get_string(s);
		char *end;
		errno = 0;
		v = strtoull(text, &end, 10);
		unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
		ok = end != text && errno == 0 && (shift ? end[1] == '\0' : *end == '\0') &&
		     v <= BUDGET_MAX >> shift && text[0] >= '0' && text[0] <= '9';
		v <<= shift;
	}
	if (!ok || v < BUDGET_MIN || v > BUDGET_MAX) {
		ft_config_err(c, s, "memory_budget must be a size from 4M to 1024G: bytes, or a string "
		    "such as \"256M\" (K, M, G)");
		return -EINVAL;
	}
	c->cfg->netflow.memory_budget = v;
	return 0;
}

/* max_flow_bytes / max_flow_packets: 64-bit bounds, which FT_KEY_U32 cannot hold. */
static int apply_flow_bound(struct cctx *c, const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		ft_config_err(c, s, "'%s' must be a whole number", name);
		return -EINVAL;
	}
	long long v = config_setting_get_int64(s);
	if (v < 1) {
		ft_config_err(c, s, "'%s' = %lld is out of range [1, %lld]", name, v, (long long)INT64_MAX);
		return -EINVAL;
	}
	*(strcmp(name, "max_flow_bytes") == 0 ? &c->cfg->netflow.max_flow_bytes
	                                       : &c->cfg->netflow.max_flow_packets) = (uint64_t)v;
	return 0;
}

#define NF(field) offsetof(struct ft_config, netflow.field)

static const struct ft_config_key keys[] = {
	{ "max_exporters", FT_KEY_U32, 1, 1000000, NF(max_exporters), NULL, false },
	{ "max_templates", FT_KEY_U32, 1, 65535, NF(max_templates), NULL, false },
	{ "template_lifetime", FT_KEY_U32, 0, 30 * 86400, NF(template_lifetime), NULL, false },
	{ "pending_sets", FT_KEY_U32, 1, 1000000, NF(max_pending_sets), NULL, false },
	{ "pending_bytes", FT_KEY_U32, 1024, 1LL << 30, NF(max_pending_bytes), NULL, false },
	{ "memory_budget", FT_KEY_APPLY, 0, 0, 0, apply_memory_budget, false },
	{ "max_template_fields", FT_KEY_U32, 1, 16384, NF(max_template_fields), NULL, false },
	{ "max_template_bytes", FT_KEY_U32, 4096, 1LL << 30, NF(max_template_bytes), NULL, false },
	{ "exporter_idle_timeout", FT_KEY_U32, 0, 30 * 86400, NF(exporter_idle_timeout), NULL, false },
	{ "max_exporters_per_address", FT_KEY_U32, 0, 1000000, NF(max_exporters_per_address), NULL, false },
	{ "exporter_settings", FT_KEY_APPLY, 0, 0, 0, apply_exporter_settings, false },
	{ "ipfix_withdrawals", FT_KEY_APPLY, 0, 0, 0, apply_ipfix_withdrawals, false },
	{ "max_flow_bytes", FT_KEY_APPLY, 0, 0, 0, apply_flow_bound, false },
	{ "max_flow_packets", FT_KEY_APPLY, 0, 0, 0, apply_flow_bound, false },
	{ "max_flow_age", FT_KEY_SECONDS_MS, 0, 36500LL * 86400, NF(max_flow_age_ms), NULL, false },
	{ "max_clock_skew", FT_KEY_SECONDS_MS, 0, 3650LL * 86400, NF(max_clock_skew_ms), NULL, false },
};

static int init(struct ft_config *c)
{
	c->netflow = (struct ft_netflow_conf){
		.max_exporters = FT_NETFLOW_DEFAULT_MAX_EXPORTERS,
		.max_templates = FT_NETFLOW_DEFAULT_MAX_TEMPLATES,
		.template_lifetime = 7200,
		.max_pending_sets = FT_NETFLOW_DEFAULT_PENDING_SETS,
		.max_pending_bytes = FT_NETFLOW_DEFAULT_PENDING_BYTES,
		.memory_budget = FT_NETFLOW_DEFAULT_MEMORY_BUDGET,
		.max_template_fields = FT_NETFLOW_DEFAULT_TEMPLATE_FIELDS,
		.max_template_bytes = FT_NETFLOW_DEFAULT_TEMPLATE_BYTES,
		.exporter_idle_timeout = FT_NETFLOW_DEFAULT_IDLE_TIMEOUT,
		.max_exporters_per_address = FT_NETFLOW_DEFAULT_PER_ADDRESS,
		.max_flow_bytes = FT_NETFLOW_DEFAULT_MAX_FLOW_BYTES,
		.max_flow_packets = FT_NETFLOW_DEFAULT_MAX_FLOW_PACKETS,
		/* Wide: an exporter that buffered its flows through an outage, or whose clock
		 * is days off (one capture of a real exporter runs 7 days ahead), still
		 * counts; a time of another year, the epoch or the ends of int64 does not. */
		.max_flow_age_ms = 30 * 86400 * 1000LL,
		.max_clock_skew_ms = 30 * 86400 * 1000LL,
	};
	return 0;
}

static void done(struct ft_config *c)
{
	free((struct ft_exporter_conf *)c->netflow.exporters);
}

const struct ft_config_section ft_config_netflow = {
	keys, sizeof(keys) / sizeof(keys[0]), init, NULL, done, NULL,
};
