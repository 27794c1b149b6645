/* Templates and options data across restarts.
 *
 * The file is JSON (jansson), written to a temporary name, fsynced and renamed, so a
 * crash leaves the previous copy:
 *   {"schema":1,"saved":"<UTC>","exporters":[{"address":"192.0.2.1","version":9,
 *     "domain":0,"templates":[{"id":256,"options":false,"scope":0,
 *     "refreshed_ns":N,"fields":[[id,length,enterprise],...]}],
 *     "options":{"default_rate":N,"init_ms":N,"samplers":[[id,rate]],
 *     "selectors":[[id,rate]],"ifnames":[[ifindex,"name","description"]]}}]}
 * Loading compiles every template again, exactly as if the exporter had sent it, and
 * logs nothing: it tells its caller whether the file is damaged (not JSON, or an entry
 * flowtally could not have written) or only had entries beyond the configured caps,
 * with the first reason, and the caller reports it once (pipeline.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "netflow_int.h"

static json_t *template_json(const struct ft_template *t)
{
	json_t *fields = json_array();
	for (uint16_t i = 0; i < t->n_fields; i++)
		json_array_append_new(fields, json_pack("[i,i,I]", t->fields[i].id, t->fields[i].len,
		                                        (json_int_t)t->fields[i].pen));
	return json_pack("{s:i,s:b,s:i,s:I,s:o}", "id", t->id, "options", t->options,
	                 "scope", t->scope_fields, "refreshed_ns", (json_int_t)t->refreshed_ns,
	                 "fields", fields);
}

static json_t *rates_json(const struct sampler *s, uint32_t n)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[I,I]", (json_int_t)s[i].id, (json_int_t)s[i].rate));
	return a;
}

static json_t *options_json(const struct options *o)
{
	json_t *ifn = json_array();
	for (uint32_t i = 0; i < o->n_ifnames; i++)
		json_array_append_new(ifn, json_pack("[I,s,s]", (json_int_t)o->ifnames[i].ifindex,
		                                     o->ifnames[i].name, o->ifnames[i].desc));
	return json_pack("{s:I,s:I,s:o,s:o,s:o}", "default_rate", (json_int_t)o->default_rate,
	                 "init_ms", (json_int_t)o->init_ms,
	                 "samplers", rates_json(o->samplers, o->n_samplers),
	                 "selectors", rates_json(o->selectors, o->n_selectors), "ifnames", ifn);
}

static json_t *exporter_json(const struct exporter *e)
{
	char a[FT_ADDR_STRLEN];
	json_t *tpls = json_array();
	for (uint32_t i = 0; i < e->tpls.size; i++)
		if (e->tpls.slot[i].id)
			json_array_append_new(tpls, template_json(&e->tpls.slot[i]));
	return json_pack("{s:s,s:i,s:I,s:o,s:o}", "address", ft_addr_format(&e->s.key.addr, a),
	                 "version", e->s.key.version, "domain", (json_int_t)e->s.key.domain,
	                 "templates", tpls, "options", options_json(&e->opt));
}

static bool worth_saving(const struct exporter *e)
{
	return e->used && (e->tpls.used || e->opt.default_rate || e->opt.n_samplers ||
	                   e->opt.n_selectors || e->opt.n_ifnames || e->opt.init_ms);
}

static int write_atomic(json_t *root, const char *path)
{
	char *text = json_dumps(root, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	int r = ft_file_write_atomic(path, text, strlen(text));
	free(text);
	return r;
}

int ft_netflow_save(struct ft_netflow *nf, const char *path)
{
	char when[40];
	json_t *ex = json_array();
	for (size_t i = 0; i < nf->size; i++)
		if (worth_saving(&nf->tab[i]))
			json_array_append_new(ex, exporter_json(&nf->tab[i]));
	json_t *root = json_pack("{s:i,s:s,s:o}", "schema", 1,
	                         "saved", ft_time_format_utc(ft_clock_now_ns(), when, sizeof(when)),
	                         "exporters", ex);
	if (!root)
		return -ENOMEM;
	int r = write_atomic(root, path);
	json_decref(root);
	if (r == 0)
		nf->templates_changed = false;
	return r;
}

/* ---- loading -------------------------------------------------------------------- */

/* What an entry that cannot be used says: -EINVAL (the file is damaged) or -ENOSPC (a
 * configured cap refused it), and why, into r. */
struct refusal {
	int err;
	char why[160];
};

__attribute__((format(printf, 3, 4)))
static int refuse(struct refusal *r, int err, const char *fmt, ...)
{
	va_list ap;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return err;
}

static int load_template(struct ft_netflow *nf, struct exporter *e, json_t *t, int64_t now, struct refusal *why)
{
	json_t *fields = json_object_get(t, "fields"), *f;
	size_t n = json_array_size(fields), i;
	json_int_t id = json_integer_value(json_object_get(t, "id"));
	json_int_t scope = json_integer_value(json_object_get(t, "scope"));
	json_t *refreshed = json_object_get(t, "refreshed_ns");
	if (!json_is_object(t) || id < 256 || id > 65535)
		return refuse(why, -EINVAL, "a template without an id from 256 to 65535");
	if (n == 0 || n > FT_SCRATCH_FIELDS || scope < 0 || scope > (json_int_t)n)
		return refuse(why, -EINVAL, "template %lld: no fields, too many, or a scope beyond them",
		              (long long)id);
	json_array_foreach(fields, i, f) {
		json_int_t fid = json_integer_value(json_array_get(f, 0));
		json_int_t len = json_integer_value(json_array_get(f, 1));
		json_int_t pen = json_integer_value(json_array_get(f, 2));
		if (fid < 0 || fid > 65535 || len < 0 || len > 65535 || pen < 0 || pen > UINT32_MAX)
			return refuse(why, -EINVAL, "template %lld: field %zu is not [id, length, enterprise]",
			              (long long)id, i);
		nf->scratch[i] = (struct ft_tpl_field){ (uint16_t)fid, (uint16_t)len, (uint32_t)pen };
	}
	int64_t when = json_is_integer(refreshed) ? json_integer_value(refreshed) : now;
	int r = ft_exporter_define(nf, e, (uint16_t)id, nf->scratch, (uint16_t)n, (uint16_t)scope,
	                           json_is_true(json_object_get(t, "options")), when);
	if (r == -FT_NF_ERR_TEMPLATE_LIMIT || r == -FT_NF_ERR_TEMPLATE_FIELDS ||
	    r == -FT_NF_ERR_TEMPLATE_BYTES || r == -FT_NF_ERR_MEMORY_BUDGET)
		return refuse(why, -ENOSPC, "template %lld: %s", (long long)id,
		              r == -FT_NF_ERR_TEMPLATE_LIMIT ? "beyond max_templates" :
		              r == -FT_NF_ERR_TEMPLATE_FIELDS ? "more fields than max_template_fields" :
		              r == -FT_NF_ERR_TEMPLATE_BYTES ? "beyond max_template_bytes" :
		              "beyond the memory budget");
	if (r < 0)
		return refuse(why, -EINVAL, "template %lld: %s", (long long)id,
		              ft_nf_error_name((enum ft_nf_error)-r));
	struct ft_template *tpl = ft_tpl_find(&e->tpls, (uint16_t)id);
	if (tpl)
		tpl->loaded = true;
	return 0;
}

static void load_rates(json_t *a, struct sampler **tab, uint32_t *n)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		json_int_t id = json_integer_value(json_array_get(v, 0));
		json_int_t rate = json_integer_value(json_array_get(v, 1));
		if (id < 0 || id > UINT32_MAX || rate <= 0 || rate > UINT32_MAX)
			continue;
		struct sampler *t = realloc(*tab, (*n + 1) * sizeof(*t));
		if (!t)
			return;
		t[(*n)++] = (struct sampler){ (uint32_t)id, (uint32_t)rate };
		*tab = t;
	}
}

static void load_ifnames(json_t *a, struct options *o)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		const char *name = json_string_value(json_array_get(v, 1));
		const char *desc = json_string_value(json_array_get(v, 2));
		struct ifname *t = realloc(o->ifnames, (o->n_ifnames + 1) * sizeof(*t));
		if (!t)
			return;
		o->ifnames = t;
		t = &t[o->n_ifnames++];
		t->ifindex = (uint32_t)json_integer_value(json_array_get(v, 0));
		snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
		snprintf(t->desc, sizeof(t->desc), "%s", desc ? desc : "");
	}
}

static void load_options(struct exporter *e, json_t *o)
{
	json_int_t rate = json_integer_value(json_object_get(o, "default_rate"));
	if (e->opt.n_samplers || e->opt.n_selectors || e->opt.n_ifnames)
		return;       /* already taught by the exporter itself */
	if (rate > 0 && rate <= UINT32_MAX)
		e->opt.default_rate = (uint32_t)rate;
	e->opt.init_ms = json_integer_value(json_object_get(o, "init_ms"));
	load_rates(json_object_get(o, "samplers"), &e->opt.samplers, &e->opt.n_samplers);
	load_rates(json_object_get(o, "selectors"), &e->opt.selectors, &e->opt.n_selectors);
	load_ifnames(json_object_get(o, "ifnames"), &e->opt);
}

/* One exporter's entry; on a refusal, the first of its templates refused says why. */
static int load_exporter(struct ft_netflow *nf, json_t *x, int64_t now, struct refusal *why)
{
	struct ft_exporter_key k = { 0 };
	const char *addr = json_string_value(json_object_get(x, "address"));
	json_int_t version = json_integer_value(json_object_get(x, "version"));
	json_int_t domain = json_integer_value(json_object_get(x, "domain"));
	if (!addr || ft_addr_parse(addr, &k.addr) < 0 || (version != 9 && version != 10) ||
	    domain < 0 || domain > UINT32_MAX)
		return refuse(why, -EINVAL, "no address, version 9 or 10 and domain");
	k.version = (uint8_t)version;
	k.domain = (uint32_t)domain;
	struct exporter *e = ft_exporter_get(nf, &k, 0);
	if (!e)
		return refuse(why, -ENOSPC, "%s: beyond max_exporters", addr);
	size_t i;
	json_t *t;
	int r = 0;
	struct refusal first = { 0 };
	json_array_foreach(json_object_get(x, "templates"), i, t) {
		struct refusal one;
		/* a damaged template outweighs one that did not fit */
		if (load_template(nf, e, t, now, &one) < 0 && (r == 0 || (one.err == -EINVAL && r != -EINVAL))) {
			r = one.err;
			snprintf(first.why, sizeof(first.why), "%s: %.100s", addr, one.why);
		}
	}
	size_t had = ft_options_mem(&e->opt);
	load_options(e, json_object_get(x, "options"));
	size_t more = ft_options_mem(&e->opt) - had;
	if (more && !ft_mem_take(nf, e, more)) {
		ft_mem_give(nf, e, had);         /* taken for what the exporter taught itself */
		ft_options_done(&e->opt);
		memset(&e->opt, 0, sizeof(e->opt));
		if (r == 0)
			r = refuse(&first, -ENOSPC, "%s: options data beyond the memory budget", addr);
	}
	if (r < 0)
		return refuse(why, r, "%s", first.why);
	return 0;
}

/* The file as a whole: 0, or the worst of its entries (-EINVAL over -ENOSPC) with the
 * first such entry's reason and how many there were. */
static int load_exporters(struct ft_netflow *nf, json_t *root, int64_t now, char *why, size_t size)
{
	json_t *arr = json_object_get(root, "exporters"), *x;
	size_t i, bad = 0;
	int r = 0;
	struct refusal first = { 0 };
	if (!json_is_object(root) || json_integer_value(json_object_get(root, "schema")) != 1 ||
	    !json_is_array(arr)) {
		if (why && size)
			snprintf(why, size, "not {\"schema\": 1, \"exporters\": [...]}");
		return -EINVAL;
	}
	json_array_foreach(arr, i, x) {
		struct refusal one;
		if (load_exporter(nf, x, now, &one) == 0)
			continue;
		bad++;
		if (r == 0 || (one.err == -EINVAL && r != -EINVAL)) {
			r = one.err;
			snprintf(first.why, sizeof(first.why), "exporters[%zu]: %.100s", i, one.why);
		}
	}
	if (r < 0 && why && size)
		snprintf(why, size, "%zu of %zu exporter entries %s, the first %s", bad, json_array_size(arr),
		         r == -EINVAL ? "not valid" : "not kept", first.why);
	return r;
}

int ft_netflow_load(struct ft_netflow *nf, const char *path, int64_t now_ns, char *why, size_t why_size)
{
	json_error_t err;
	FILE *f = fopen(path, "r");     /* not json_load_file(): its reasons repeat the path */
	if (!f && errno == ENOENT)
		return -ENOENT;
	if (!f)
		return -errno;          /* the caller names the file and the reason */
	json_t *root = json_loadf(f, 0, &err);
	fclose(f);
	if (!root) {
		if (why && why_size)
			snprintf(why, why_size, "line %d, column %d: %s", err.line, err.column, err.text);
		return -EINVAL;
	}
	int r = load_exporters(nf, root, now_ns, why, why_size);
	json_decref(root);
	nf->templates_changed = false;
	return r;
}
