/* Templates and options data across restarts.
 *
 * The file is binary, its size in proportion to the templates' size on the wire (8
 * bytes a field), so that saving and loading take as long as the templates took to
 * arrive, not the minutes JSON takes for big ones; written to a temporary name,
 * fsynced and renamed, so a crash leaves the previous copy.  Every integer is
 * big-endian:
 *   "FTTPLST\n"  magic (8 bytes), u32 format (2), i64 saved (ns, UTC), u32 exporters
 *   per exporter: address (16 bytes, IPv4 as ::ffff:a.b.c.d), u8 version (9 or 10),
 *     u32 domain, u32 templates, then each template: u16 id, u8 options (0 or 1),
 *     u16 scope fields, i64 refreshed (ns), u16 fields, fields x (u16 element ID,
 *     u16 length, u32 enterprise); then the options data: u32 default rate, i64 init
 *     (ms), u32 samplers x (u32 id, u32 rate), u32 selectors x (u32 id, u32 rate),
 *     u32 interface names x (u32 ifindex, u8 length, name, u8 length, description)
 *   u32 CRC-32 (IEEE 802.3) of every byte before it.
 * Reading checks the checksum first (a file that fails it is damaged, and nothing in
 * it is used), then every count against the bytes left before reading it.
 *
 * The JSON of format 1, which flowtally wrote before, is still read, for an upgrade:
 *   {"schema":1,"saved":"<UTC>","exporters":[{"address":"192.0.2.1","version":9,
 *     "domain":0,"templates":[{"id":256,"options":false,"scope":0,
 *     "refreshed_ns":N,"fields":[[id,length,enterprise],...]}],
 *     "options":{"default_rate":N,"init_ms":N,"samplers":[[id,rate]],
 *     "selectors":[[id,rate]],"ifnames":[[ifindex,"name","description"]]}}]}
 * and is what ft_netflow_dump_json() writes, for people (`flowtally status
 * --templates`).
 * Loading compiles every template again, exactly as if the exporter had sent it (the
 * caps and the memory budget apply), and logs nothing: it tells its caller whether the
 * file is damaged (not either format, or an entry flowtally could not have written) or
 * only had entries beyond the configured caps, with the first reason, and the caller
 * reports it once (pipeline.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "netflow_int.h"
#include "wire.h"

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

static int cmp_tpl(const void *x, const void *y)
{
	const struct ft_template *a = *(const struct ft_template *const *)x;
	const struct ft_template *b = *(const struct ft_template *const *)y;
	return (a->id > b->id) - (a->id < b->id);
}

static int cmp_exporter(const void *x, const void *y)
{
	const struct ft_exporter_key *a = &(*(const struct exporter *const *)x)->s.key;
	const struct ft_exporter_key *b = &(*(const struct exporter *const *)y)->s.key;
	int c = memcmp(a->addr.b, b->addr.b, 16);
	if (c)
		return c;
	if (a->version != b->version)
		return a->version < b->version ? -1 : 1;
	return (a->domain > b->domain) - (a->domain < b->domain);
}

/* Templates by ID, so that the same templates always read the same. */
static json_t *exporter_json(const struct exporter *e)
{
	char a[FT_ADDR_STRLEN];
	json_t *tpls = json_array();
	const struct ft_template **by_id = malloc((e->tpls.used + 1) * sizeof(*by_id));
	uint32_t n = 0;
	for (uint32_t i = 0; by_id && i < e->tpls.size; i++)
		if (e->tpls.slot[i].id)
			by_id[n++] = &e->tpls.slot[i];
	if (n)
		qsort(by_id, n, sizeof(*by_id), cmp_tpl);
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(tpls, template_json(by_id[i]));
	free(by_id);
	return json_pack("{s:s,s:i,s:I,s:o,s:o}", "address", ft_addr_format(&e->s.key.addr, a),
	                 "version", e->s.key.version, "domain", (json_int_t)e->s.key.domain,
	                 "templates", tpls, "options", options_json(&e->opt));
}

static bool worth_saving(const struct exporter *e)
{
	return e->used && (e->tpls.used || e->opt.default_rate || e->opt.n_samplers ||
	                   e->opt.n_selectors || e->opt.n_ifnames || e->opt.init_ms);
}

int ft_netflow_dump_json(const struct ft_netflow *nf, FILE *out)
{
	char when[40];
	json_t *ex = json_array();
	const struct exporter **sorted = malloc((nf->used + 1) * sizeof(*sorted));
	size_t n = 0;
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < nf->size; i++)
		if (worth_saving(&nf->tab[i]))
			sorted[n++] = &nf->tab[i];
	if (n)
		qsort(sorted, n, sizeof(*sorted), cmp_exporter);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ex, exporter_json(sorted[i]));
	free(sorted);
	json_t *root = json_pack("{s:i,s:s,s:o}", "schema", 1,
	                         "saved", ft_time_format_utc(ft_clock_now_ns(), when, sizeof(when)),
	                         "exporters", ex);
	if (!root)
		return -ENOMEM;
	int r = json_dumpf(root, out, JSON_INDENT(1)) < 0 ? -EIO : 0;
	json_decref(root);
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

/* The entry for a saved exporter: made now (idle from now on, for the idle timeout),
 * though not yet seen. */
static struct exporter *loaded_entry(struct ft_netflow *nf, const struct ft_exporter_key *k, int64_t now)
{
	struct exporter *e = ft_exporter_get(nf, k, now);
	if (e && !e->s.datagrams)
		e->s.first_seen_ns = 0;
	return e;
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
	if (!ft_netflow_loads(nf, &k.addr))
		return 0;               /* another receive thread's */
	struct exporter *e = loaded_entry(nf, &k, now);
	if (!e)
		return refuse(why, -ENOSPC, "%s: beyond max_exporters, max_exporters_per_address or "
		              "the memory budget", addr);
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

/* ---- the binary format ----------------------------------------------------------- */

#define MAGIC "FTTPLST\n"
#define MAGIC_LEN 8
#define FORMAT 2
#define HEADER_LEN (MAGIC_LEN + 4 + 8 + 4)
#define MAX_FILE (4ull << 30)

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32_of(const uint8_t *p, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, crc_init);
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < len; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* An output buffer that grows; a failed growth sets failed and writes nothing more. */
struct out {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, uint64_t v, unsigned n)
{
	if (o->len + n > o->cap && !o->failed) {
		size_t cap = o->cap ? o->cap * 2 : 65536;
		while (cap < o->len + n)
			cap *= 2;
		uint8_t *p = realloc(o->p, cap);
		if (!p)
			o->failed = true;
		else
			o->p = p, o->cap = cap;
	}
	if (o->failed)
		return;
	for (unsigned i = 0; i < n; i++)
		o->p[o->len + i] = (uint8_t)(v >> 8 * (n - 1 - i));
	o->len += n;
}

static void put_bytes(struct out *o, const void *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(o, ((const uint8_t *)b)[i], 1);
}

static void put_rates(struct out *o, const struct sampler *s, uint32_t n)
{
	put(o, n, 4);
	for (uint32_t i = 0; i < n; i++) {
		put(o, s[i].id, 4);
		put(o, s[i].rate, 4);
	}
}

static void put_text(struct out *o, const char *t, size_t max)
{
	size_t n = strnlen(t, max);
	put(o, n, 1);
	put_bytes(o, t, n);
}

static void put_exporter(struct out *o, const struct exporter *e)
{
	put_bytes(o, e->s.key.addr.b, 16);
	put(o, e->s.key.version, 1);
	put(o, e->s.key.domain, 4);
	put(o, e->tpls.used, 4);
	for (uint32_t i = 0; i < e->tpls.size; i++) {
		const struct ft_template *t = &e->tpls.slot[i];
		if (!t->id)
			continue;
		put(o, t->id, 2);
		put(o, t->options, 1);
		put(o, t->scope_fields, 2);
		put(o, (uint64_t)t->refreshed_ns, 8);
		put(o, t->n_fields, 2);
		for (uint16_t k = 0; k < t->n_fields; k++) {
			put(o, t->fields[k].id, 2);
			put(o, t->fields[k].len, 2);
			put(o, t->fields[k].pen, 4);
		}
	}
	const struct options *op = &e->opt;
	put(o, op->default_rate, 4);
	put(o, (uint64_t)op->init_ms, 8);
	put_rates(o, op->samplers, op->n_samplers);
	put_rates(o, op->selectors, op->n_selectors);
	put(o, op->n_ifnames, 4);
	for (uint32_t i = 0; i < op->n_ifnames; i++) {
		put(o, op->ifnames[i].ifindex, 4);
		put_text(o, op->ifnames[i].name, sizeof(op->ifnames[i].name) - 1);
		put_text(o, op->ifnames[i].desc, sizeof(op->ifnames[i].desc) - 1);
	}
}

int ft_netflow_save_mem(const struct ft_netflow *nf, uint8_t **ret, size_t *ret_len)
{
	struct out o = { 0 };
	uint32_t n = 0;
	for (size_t i = 0; i < nf->size; i++)
		n += worth_saving(&nf->tab[i]);
	put_bytes(&o, MAGIC, MAGIC_LEN);
	put(&o, FORMAT, 4);
	put(&o, (uint64_t)ft_clock_now_ns(), 8);
	put(&o, n, 4);
	for (size_t i = 0; i < nf->size; i++)
		if (worth_saving(&nf->tab[i]))
			put_exporter(&o, &nf->tab[i]);
	if (!o.failed)
		put(&o, crc32_of(o.p, o.len), 4);
	if (o.failed) {
		free(o.p);
		return -ENOMEM;
	}
	*ret = o.p;
	*ret_len = o.len;
	return 0;
}

int ft_netflow_save(struct ft_netflow *nf, const char *path)
{
	uint8_t *p;
	size_t len;
	int r = ft_netflow_save_mem(nf, &p, &len);
	if (r < 0)
		return r;
	r = ft_file_write_atomic(path, p, len);
	free(p);
	if (r == 0)
		nf->templates_changed = false;
	return r;
}

/* A bounds-checked reader: past the end, every read gives 0 and sets short_. */
struct in {
	const uint8_t *p;
	size_t len, off;
	bool short_;
};

static uint64_t get(struct in *in, unsigned n)
{
	if (in->len - in->off < n) {
		in->short_ = true;
		in->off = in->len;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | in->p[in->off + i];
	in->off += n;
	return v;
}

static bool skip(struct in *in, size_t n)
{
	if (in->len - in->off < n) {
		in->short_ = true;
		in->off = in->len;
		return false;
	}
	in->off += n;
	return true;
}

/* Whether n items of at least size bytes each can still be there. */
static bool room_for(const struct in *in, uint64_t n, size_t size)
{
	return n <= (in->len - in->off) / size;
}

static int bin_template(struct ft_netflow *nf, struct exporter *e, struct in *in, struct refusal *why)
{
	uint16_t id = (uint16_t)get(in, 2);
	uint8_t options = (uint8_t)get(in, 1);
	uint16_t scope = (uint16_t)get(in, 2);
	int64_t refreshed = (int64_t)get(in, 8);
	uint16_t n = (uint16_t)get(in, 2);
	if (in->short_)
		return refuse(why, -EINVAL, "a template cut short");
	if (id < 256 || options > 1 || n == 0 || n > FT_SCRATCH_FIELDS || scope > n ||
	    !room_for(in, n, 8))
		return refuse(why, -EINVAL, "template %u: an ID below 256, no fields, too many, or "
		              "a scope beyond them", id);
	for (uint16_t i = 0; i < n; i++) {
		uint16_t fid = (uint16_t)get(in, 2), len = (uint16_t)get(in, 2);
		nf->scratch[i] = (struct ft_tpl_field){ fid, len, (uint32_t)get(in, 4) };
	}
	int r = ft_exporter_define(nf, e, id, nf->scratch, n, scope, options, refreshed);
	if (r == -FT_NF_ERR_TEMPLATE_LIMIT || r == -FT_NF_ERR_TEMPLATE_FIELDS ||
	    r == -FT_NF_ERR_TEMPLATE_BYTES || r == -FT_NF_ERR_MEMORY_BUDGET || r == -FT_NF_ERR_NOMEM)
		return refuse(why, -ENOSPC, "template %u: %s", id, ft_nf_error_name((enum ft_nf_error)-r));
	if (r < 0)
		return refuse(why, -EINVAL, "template %u: %s", id, ft_nf_error_name((enum ft_nf_error)-r));
	struct ft_template *t = ft_tpl_find(&e->tpls, id);
	if (t)
		t->loaded = true;
	return 0;
}

/* n (id, rate) pairs into a table of its own (*tab, *ret_n, both empty), or -EINVAL. */
static int bin_rates(struct in *in, struct sampler **tab, uint32_t *ret_n)
{
	uint32_t n = (uint32_t)get(in, 4);
	if (in->short_ || !room_for(in, n, 8))
		return -EINVAL;
	struct sampler *t = n ? malloc(n * sizeof(*t)) : NULL;
	if (n && !t)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		t[i].id = (uint32_t)get(in, 4);
		t[i].rate = (uint32_t)get(in, 4);
	}
	*tab = t;
	*ret_n = n;
	return 0;
}

static bool bin_text(struct in *in, char *dst, size_t size)
{
	size_t n = (size_t)get(in, 1);
	if (in->short_ || n >= size || !room_for(in, n, 1))
		return false;
	memcpy(dst, in->p + in->off, n);
	dst[n] = '\0';
	return skip(in, n);
}

/* The options data into o (empty); -EINVAL for a record that cannot be right. */
static int bin_options(struct in *in, struct options *o)
{
	o->default_rate = (uint32_t)get(in, 4);
	o->init_ms = (int64_t)get(in, 8);
	int r = bin_rates(in, &o->samplers, &o->n_samplers);
	if (r == 0)
		r = bin_rates(in, &o->selectors, &o->n_selectors);
	uint32_t n = r == 0 ? (uint32_t)get(in, 4) : 0;
	if (r == 0 && (in->short_ || !room_for(in, n, 6)))
		r = -EINVAL;
	if (r == 0 && n && !(o->ifnames = calloc(n, sizeof(*o->ifnames))))
		r = -ENOMEM;
	for (uint32_t i = 0; r == 0 && i < n; i++) {
		struct ifname *f = &o->ifnames[o->n_ifnames++];
		f->ifindex = (uint32_t)get(in, 4);
		if (!bin_text(in, f->name, sizeof(f->name)) || !bin_text(in, f->desc, sizeof(f->desc)))
			r = -EINVAL;
	}
	return r;
}

/* What an exporter taught itself already wins over what was saved. */
static void bin_take_options(struct ft_netflow *nf, struct exporter *e, struct options *o,
                             struct refusal *why, int *r)
{
	if (e->opt.n_samplers || e->opt.n_selectors || e->opt.n_ifnames || e->opt.default_rate ||
	    e->opt.init_ms) {
		ft_options_done(o);
		return;
	}
	if (!ft_mem_take(nf, e, ft_options_mem(o))) {
		ft_options_done(o);
		if (*r == 0)
			*r = refuse(why, -ENOSPC, "options data beyond the memory budget");
		return;
	}
	e->opt = *o;
}

static int bin_exporter(struct ft_netflow *nf, struct in *in, int64_t now, struct refusal *why)
{
	struct ft_exporter_key k = { 0 };
	char a[FT_ADDR_STRLEN];
	if (!room_for(in, 1, 16 + 1 + 4 + 4))
		return refuse(why, -EINVAL, "an exporter cut short");
	memcpy(k.addr.b, in->p + in->off, 16);
	in->off += 16;
	k.version = (uint8_t)get(in, 1);
	k.domain = (uint32_t)get(in, 4);
	uint32_t n = (uint32_t)get(in, 4);
	ft_addr_format(&k.addr, a);
	if (k.version != 9 && k.version != 10)
		return refuse(why, -EINVAL, "%s: version %u, not 9 or 10", a, k.version);
	if (!room_for(in, n, 2 + 1 + 2 + 8 + 2 + 8))
		return refuse(why, -EINVAL, "%s: %u templates cannot fit in the file", a, n);
	bool mine = ft_netflow_loads(nf, &k.addr);
	struct exporter *e = mine ? loaded_entry(nf, &k, now) : NULL;
	struct exporter none = { 0 };
	int r = 0;
	if (!mine) {
		e = &none;              /* another receive thread's: read past it */
	} else if (!e) {
		r = refuse(why, -ENOSPC, "%s: beyond max_exporters, max_exporters_per_address or the "
		           "memory budget", a);
		e = &none;              /* read past its entry all the same */
	}
	for (uint32_t i = 0; i < n; i++) {
		struct refusal one;
		int t;
		if (e == &none) {       /* skip: id, options, scope, refreshed, then the fields */
			skip(in, 13);
			uint16_t nfld = (uint16_t)get(in, 2);
			if (in->short_ || !skip(in, (size_t)nfld * 8))
				return refuse(why, -EINVAL, "%s: a template cut short", a);
			continue;
		}
		if ((t = bin_template(nf, e, in, &one)) < 0 && (r == 0 || (t == -EINVAL && r != -EINVAL)))
			r = refuse(why, t, "%s: %.100s", a, one.why);
		if (t == -EINVAL)
			return r;           /* where the next one starts is not known */
	}
	struct options o = { 0 };
	int ro = bin_options(in, &o);
	if (ro < 0) {
		ft_options_done(&o);
		return refuse(why, ro == -ENOMEM ? -ENOSPC : -EINVAL, "%s: options data %s", a,
		              ro == -ENOMEM ? "beyond the memory at hand" : "cut short or not valid");
	}
	if (e == &none)
		ft_options_done(&o);
	else
		bin_take_options(nf, e, &o, why, &r);
	return r;
}

static int load_bin(struct ft_netflow *nf, const uint8_t *p, size_t len, int64_t now, char *why,
                    size_t size)
{
	if (len < HEADER_LEN + 4) {
		snprintf(why, size, "shorter than its header");
		return -EINVAL;
	}
	struct in in = { .p = p, .len = len - 4 };
	uint32_t want = rd32(p + len - 4), crc = crc32_of(p, len - 4);
	if (crc != want) {
		snprintf(why, size, "checksum 0x%08x, the file says 0x%08x: nothing in it is used", crc, want);
		return -EINVAL;
	}
	in.off = MAGIC_LEN;
	uint32_t format = (uint32_t)get(&in, 4);
	get(&in, 8);                /* saved: for people */
	uint32_t n = (uint32_t)get(&in, 4);
	if (format != FORMAT) {
		snprintf(why, size, "format %u, not %u", format, FORMAT);
		return -EINVAL;
	}
	int r = 0;
	size_t bad = 0;
	struct refusal first = { 0 };
	for (uint32_t i = 0; i < n && !in.short_; i++) {
		struct refusal one;
		int x = bin_exporter(nf, &in, now, &one);
		if (x == 0)
			continue;
		bad++;
		if (r == 0 || (x == -EINVAL && r != -EINVAL)) {
			r = x;
			snprintf(first.why, sizeof(first.why), "exporters[%u]: %.100s", i, one.why);
		}
		if (x == -EINVAL)
			break;              /* where the next one starts is not known */
	}
	if (r == 0 && in.off != in.len) {
		snprintf(why, size, "%zu bytes after the last of %u exporters", in.len - in.off, n);
		return -EINVAL;
	}
	if (r < 0)
		snprintf(why, size, "%zu of %u exporter entries %s, the first %s", bad, n,
		         r == -EINVAL ? "not valid" : "not kept", first.why);
	return r;
}

/* The whole file into *ret (the caller frees it); 0 or negative errno. */
static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct stat st;
	int e = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL :
	        (uint64_t)st.st_size > MAX_FILE ? -EFBIG : 0;
	if (e < 0) {
		close(fd);
		return e;
	}
	size_t len = (size_t)st.st_size, got = 0;
	uint8_t *p = malloc(len + 1);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*ret = p;
	*ret_len = got;
	return 0;
}

int ft_netflow_load(struct ft_netflow *nf, const char *path, int64_t now_ns, char *why, size_t why_size)
{
	char scratch[8];
	uint8_t *p = NULL;
	size_t len = 0;
	if (!why || !why_size)
		why = scratch, why_size = sizeof(scratch);
	int r = read_file(path, &p, &len);
	if (r < 0)
		return r;               /* the caller names the file and the reason */
	r = ft_netflow_load_mem(nf, p, len, now_ns, why, why_size);
	free(p);
	return r;
}

int ft_netflow_load_mem(struct ft_netflow *nf, const uint8_t *p, size_t len, int64_t now_ns,
                        char *why, size_t why_size)
{
	char scratch[8];
	int r;
	if (!why || !why_size)
		why = scratch, why_size = sizeof(scratch);
	bool bin = len >= MAGIC_LEN && memcmp(p, MAGIC, MAGIC_LEN) == 0;
	if (bin) {
		r = load_bin(nf, p, len, now_ns, why, why_size);
	} else {
		json_error_t err;
		json_t *root = json_loadb((const char *)p, len, 0, &err);
		if (!root) {
			snprintf(why, why_size, "line %d, column %d: %s", err.line, err.column, err.text);
			r = -EINVAL;
		} else {
			r = load_exporters(nf, root, now_ns, why, why_size);
			json_decref(root);
		}
	}
	/* what the JSON of an earlier version held is to be saved in the binary format */
	nf->templates_changed = !bin;
	return r;
}
