/* Stateful fuzz driver for the template decoders (NetFlow v9, IPFIX): fuzz_nf9.c and
 * fuzz_ipfix.c call tpl_target_run() with their version.
 *
 * An input is one configuration byte, then a sequence of datagrams, each
 *   1 byte   selector: bits 0-1 which of NADDR exporter addresses sent it; bit 2 (IPFIX)
 *            keep the message length field as it is; bit 3 save the state and load it
 *            into a second struct ft_netflow before this datagram (at most
 *            MAX_ROUND_TRIPS times); bits 4-7 k: the receive clock advances by 1 ms
 *            (k = 0) or 2^(k-1) * 125 ms before this datagram
 *   2 bytes  payload length, big-endian, cut to what is left of the input
 *   n bytes  payload; its version field (bytes 0-1) is set to the target's version, and
 *            for IPFIX the length field (bytes 2-3) to n unless bit 2 says otherwise
 * The configuration byte: bits 0-1 max_templates (8, 3, 1, 16); bits 2-3 the pending
 * caps, sets and bytes ((4, 4096), (1, default), (default, 64), defaults); bits 4-5
 * template_lifetime (0, 0, 2 s, 30 s); bit 6 per-exporter configuration (confs[]); bit 7
 * the batch capacity (5 or 1 flows), so the flush hook runs in the middle of datagrams
 * and between the two halves of a biflow.  max_exporters is 4, which the NADDR
 * addresses with a few domains reach quickly.  All datagrams go through one struct
 * ft_netflow, each payload in a buffer of its exact size.
 *
 * Checks, from netflow.h's contracts rather than from the decoders:
 *   - per datagram: what the header alone decides (the exporter key, the cap, a short
 *     header, an IPFIX length that is not the datagram's) gives the return value or
 *     its sign; a record count is the data and options records the totals gained,
 *     those of kept sets decoded late included; totals.datagrams grows by one;
 *   - every flow handed out is sane (flow_sink.c), and the batch never overflows;
 *   - after every datagram, per exporter: datagrams, first and last seen, the
 *     header-level errors as modelled; records, bytes and packets equal to what its
 *     flows add up to; counts that only grow have not shrunk; templates_active within
 *     max_templates and pending_sets within the pending cap; the totals equal to the
 *     sum of the table and the exporters cut off by the cap; and inside the table
 *     (netflow_int.h), the templates and kept sets agree with those counts and caps;
 *   - save then load into a fresh struct ft_netflow gives back every template (fields,
 *     scope, kind, refresh time) and all options data of every exporter that has some;
 *   - ft_netflow_drop_pending() at the end counts every kept set as no_template.
 * A failed check prints itself and aborts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow_sink.h"
#include "flowtally/log.h"
#include "flowtally/netflow.h"
#include "fuzz.h"
#include "netflow_int.h"
#include "tpl_target.h"

#define NADDR 4
#define MAX_EXPORTERS 4
#define MAX_ROUND_TRIPS 2
#define START_NS 1700000000000000000LL

static const uint32_t max_templates[4] = { 8, 3, 1, 16 };
static const struct { uint32_t sets, bytes; } pending_caps[4] = {
	{ 4, 4096 }, { 1, 0 }, { 0, 64 }, { 0, 0 },   /* 0: the default */
};
static const uint32_t lifetimes[4] = { 0, 0, 2, 30 };

/* Per-exporter configuration (bit 6): one IPv4 exporter has a default rate and counts
 * totals, the IPv6 one has its rate overridden. */
static struct ft_exporter_conf confs[2];

struct model_exporter {
	struct ft_exporter_key key;
	uint64_t datagrams;
	uint64_t good;             /* datagrams decoded (not dropped) */
	uint64_t errors[FT_NF_ERR__MAX];   /* the header-level ones only */
	int64_t first_seen_ns;
	int64_t last_seen_ns;
	struct ft_exporter_stats last;     /* as reported after the previous datagram */
};

struct model {
	struct model_exporter exp[MAX_EXPORTERS];
	size_t n;
	uint64_t overflow;
};

/* Errors a datagram's header decides. */
static const enum ft_nf_error header_errors[] = {
	FT_NF_ERR_SHORT_HEADER, FT_NF_ERR_VERSION, FT_NF_ERR_COUNT, FT_NF_ERR_LENGTH,
	FT_NF_ERR_EXPORTER_LIMIT,
};
#define N_HEADER_ERRORS (sizeof(header_errors) / sizeof(header_errors[0]))

/* expected(): a datagram that is decoded; its record count is not modelled. */
#define ANY_RECORDS INT32_MAX

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void source_addr(unsigned i, struct ft_addr *ret)
{
	if (i < 3) {
		ft_addr_from_v4(ret, 0xc0000201u + i);          /* 192.0.2.1 .. 192.0.2.3 */
	} else {
		static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 4 };
		ft_addr_from_v6(ret, v6);                       /* 2001:db8::4 */
	}
}

static void setup_once(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	ft_log_level = 0;   /* template changes and sampling rates are logged: keep quiet */
	CHECK(ft_prefix_parse("192.0.2.2", &confs[0].match) == 0);
	confs[0].sampling_default = 10;
	confs[0].count_totals = true;
	CHECK(ft_prefix_parse("2001:db8::/32", &confs[1].match) == 0);
	confs[1].sampling_override = 100;
}

/* ---- the header-level model ----------------------------------------------------- */

/* The return value when the exporter has room: a drop the header decides, else
 * ANY_RECORDS.  v9: 20-byte header; IPFIX: 16 bytes and the length field must be the
 * datagram's (RFC 7011 §10.3.3). */
static int expected(const uint8_t *p, size_t len, uint16_t version)
{
	if (len < 2 || len < (version == 9 ? 20u : 16u))
		return -FT_NF_ERR_SHORT_HEADER;
	if (version == 10 && get16(p + 2) != len)
		return -FT_NF_ERR_LENGTH;
	return ANY_RECORDS;
}

/* (address, version, source ID or observation domain), or (address, 0, 0) when the
 * header could not be read. */
static struct ft_exporter_key expected_key(const struct ft_datagram *dg, uint16_t version, int expect)
{
	struct ft_exporter_key k = { .addr = dg->src };
	if (expect == -FT_NF_ERR_SHORT_HEADER)
		return k;
	k.version = (uint8_t)version;
	k.domain = get32(dg->data + (version == 9 ? 16 : 12));
	return k;
}

static struct model_exporter *model_lookup(struct model *m, const struct ft_exporter_key *k,
                                           int64_t now)
{
	for (size_t i = 0; i < m->n; i++)
		if (exporter_key_equal(&m->exp[i].key, k))
			return &m->exp[i];
	if (m->n == MAX_EXPORTERS)
		return NULL;
	m->exp[m->n] = (struct model_exporter){ .key = *k, .first_seen_ns = now };
	return &m->exp[m->n++];
}

/* ---- checks after each datagram ------------------------------------------------- */

static void check_exporter(const struct ft_exporter_stats *s, const struct model_exporter *e,
                           const struct flow_sink *sink, const struct ft_netflow_conf *o)
{
	struct sink_tally t = sink_tally_of(sink, &e->key);
	CHECK(s->datagrams == e->datagrams);
	CHECK(s->first_seen_ns == e->first_seen_ns && s->last_seen_ns == e->last_seen_ns);
	CHECK(s->records == t.records && s->bytes == t.bytes && s->packets == t.packets);
	for (size_t i = 0; i < N_HEADER_ERRORS; i++)
		CHECK(s->errors[header_errors[i]] == e->errors[header_errors[i]]);
	CHECK(s->reordered + s->seq_resets <= e->good);
	CHECK(s->sampling_rate >= 1);   /* 1 when none was announced or configured */
	CHECK(s->templates_active <= o->max_templates);
	CHECK(s->pending_sets <= o->max_pending_sets);
	/* Counts that never go back (lost_* may: a late datagram gives back; bytes and
	 * packets wrap around when exporters send huge counters). */
	const struct ft_exporter_stats *l = &e->last;
	CHECK(s->records >= l->records && s->option_records >= l->option_records);
	CHECK(s->templates >= l->templates && s->template_changes >= l->template_changes);
	CHECK(s->pending_decoded >= l->pending_decoded && s->sampling_changes >= l->sampling_changes);
	CHECK(s->seq_resets >= l->seq_resets && s->reordered >= l->reordered);
	for (int i = 0; i < FT_NF_ERR__MAX; i++)
		CHECK(s->errors[i] >= l->errors[i]);
	if (!e->key.version) {
		/* Nothing but unreadable datagrams. */
		CHECK(s->records == 0 && s->option_records == 0 && s->templates == 0);
		CHECK(s->datagrams == s->errors[FT_NF_ERR_SHORT_HEADER]);
	}
}

/* The exporter table from inside: template tables and kept sets match the counts the
 * statistics report and stay within the caps. */
static void check_internals(const struct ft_netflow *nf, const struct ft_netflow_conf *o)
{
	size_t used = 0;
	CHECK(nf->size && !(nf->size & (nf->size - 1)) && nf->used * 2 <= nf->size);
	for (size_t i = 0; i < nf->size; i++) {
		const struct exporter *e = &nf->tab[i];
		if (!e->used)
			continue;
		used++;
		const struct tpl_table *t = &e->tpls;
		uint32_t n = 0;
		CHECK(!t->size || (!(t->size & (t->size - 1)) && t->used * 2 <= t->size));
		for (uint32_t j = 0; j < t->size; j++) {
			const struct ft_template *tp = &t->slot[j];
			if (!tp->id)
				continue;
			n++;
			CHECK(tp->id >= 256 && tp->n_fields > 0 && tp->min_len > 0);
			CHECK(!tp->options || (tp->scope_fields > 0 && tp->scope_fields <= tp->n_fields));
		}
		CHECK(n == t->used && t->used == e->s.templates_active && n <= o->max_templates);
		const struct pending *p = &e->pend;
		size_t bytes = 0;
		for (uint32_t j = 0; j < p->n; j++)
			bytes += p->sets[j].len;
		CHECK(p->n <= p->cap && p->n == e->s.pending_sets && bytes == p->bytes);
		CHECK(p->n <= o->max_pending_sets && p->bytes <= o->max_pending_bytes);
	}
	CHECK(used == nf->used);
}

static void check_table(const struct ft_netflow *nf, struct model *m,
                        const struct flow_sink *sink, const struct ft_netflow_conf *o)
{
	struct ft_exporter_stats s[MAX_EXPORTERS + 1], t, want = { .datagrams = m->overflow };
	bool seen[MAX_EXPORTERS] = { false };
	size_t n = ft_netflow_exporters(nf, s, MAX_EXPORTERS + 1);
	CHECK(n == m->n);
	want.errors[FT_NF_ERR_EXPORTER_LIMIT] = m->overflow;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < m->n && !exporter_key_equal(&s[i].key, &m->exp[j].key))
			j++;
		CHECK(j < m->n && !seen[j]);
		seen[j] = true;
		check_exporter(&s[i], &m->exp[j], sink, o);
		m->exp[j].last = s[i];
		ft_exporter_stats_add(&want, &s[i]);
	}
	ft_netflow_totals(nf, &t);
	CHECK(t.datagrams == want.datagrams && t.records == want.records);
	CHECK(t.bytes == want.bytes && t.packets == want.packets);
	CHECK(t.option_records == want.option_records && t.pending_sets == want.pending_sets);
	CHECK(memcmp(t.errors, want.errors, sizeof(t.errors)) == 0);
	CHECK(t.records == sink->records);
	check_internals(nf, o);
}

/* ---- save and load -------------------------------------------------------------- */

/* The state file lives in a private directory, on tmpfs when there is one (it is
 * written and fsynced often), made for one save and load and removed right after, so
 * that a check failing later leaves nothing behind. */
struct state_file {
	char dir[4096];
	char path[4200];
};

static void state_create(struct state_file *f)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/ft-fuzz-XXXXXX", base ? base : "/tmp");
	CHECK(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/templates.json", f->dir);
}

static void state_remove(struct state_file *f)
{
	char tmp[4300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	unlink(f->path);
	unlink(tmp);
	rmdir(f->dir);
}

static bool worth_saving(const struct exporter *e)
{
	return e->tpls.used || e->opt.default_rate || e->opt.n_samplers || e->opt.n_selectors ||
	       e->opt.n_ifnames || e->opt.init_ms;
}

static const struct exporter *find_exporter(const struct ft_netflow *nf, const struct ft_exporter_key *k)
{
	for (size_t i = 0; i < nf->size; i++)
		if (nf->tab[i].used && exporter_key_equal(&nf->tab[i].s.key, k))
			return &nf->tab[i];
	return NULL;
}

static void check_same_templates(const struct tpl_table *a, struct tpl_table *b)
{
	CHECK(a->used == b->used);
	for (uint32_t i = 0; i < a->size; i++) {
		const struct ft_template *t = &a->slot[i];
		if (!t->id)
			continue;
		const struct ft_template *u = ft_tpl_find(b, t->id);
		CHECK(u && u->loaded);
		CHECK(u->n_fields == t->n_fields && u->scope_fields == t->scope_fields);
		CHECK(u->options == t->options && u->varlen == t->varlen && u->min_len == t->min_len);
		CHECK(u->refreshed_ns == t->refreshed_ns);
		CHECK(memcmp(u->fields, t->fields, t->n_fields * sizeof(*t->fields)) == 0);
	}
}

static void check_same_options(const struct options *a, const struct options *b)
{
	CHECK(a->default_rate == b->default_rate && a->init_ms == b->init_ms);
	CHECK(a->n_samplers == b->n_samplers && a->n_selectors == b->n_selectors);
	CHECK(a->n_ifnames == b->n_ifnames);
	if (a->n_samplers)
		CHECK(memcmp(a->samplers, b->samplers, a->n_samplers * sizeof(*a->samplers)) == 0);
	if (a->n_selectors)
		CHECK(memcmp(a->selectors, b->selectors, a->n_selectors * sizeof(*a->selectors)) == 0);
	for (uint32_t i = 0; i < a->n_ifnames; i++) {
		CHECK(a->ifnames[i].ifindex == b->ifnames[i].ifindex);
		CHECK(strcmp(a->ifnames[i].name, b->ifnames[i].name) == 0);
		CHECK(strcmp(a->ifnames[i].desc, b->ifnames[i].desc) == 0);
	}
}

/* Saves nf, loads the file into a fresh struct ft_netflow, and compares what it holds
 * with what was saved: every exporter with templates or options data, nothing else. */
static void round_trip(struct ft_netflow *nf, const struct ft_netflow_conf *o, int64_t now)
{
	struct state_file f;
	state_create(&f);
	int saved_r = ft_netflow_save(nf, f.path);
	struct ft_netflow *nf2 = ft_netflow_new(o);
	int loaded_r = nf2 ? ft_netflow_load(nf2, f.path, now, NULL, 0) : 0;
	state_remove(&f);
	CHECK(saved_r == 0 && nf2 && loaded_r == 0);
	CHECK(!ft_netflow_dirty(nf) && !ft_netflow_dirty(nf2));
	size_t saved = 0;
	for (size_t i = 0; i < nf->size; i++) {
		const struct exporter *e = &nf->tab[i];
		if (!e->used || !worth_saving(e))
			continue;
		saved++;
		struct exporter *e2 = (struct exporter *)find_exporter(nf2, &e->s.key);
		CHECK(e2);
		check_same_templates(&e->tpls, &e2->tpls);
		check_same_options(&e->opt, &e2->opt);
	}
	CHECK(nf2->used == saved);
	ft_netflow_free(nf2);
}

/* ---- the run -------------------------------------------------------------------- */

struct run {
	struct ft_netflow *nf;
	struct ft_netflow_conf opts;
	struct model m;
	struct flow_sink sink;
	uint16_t version;
};

static void input(struct run *run, const struct ft_datagram *dg)
{
	int expect = expected(dg->data, dg->len, run->version);
	struct ft_exporter_key k = expected_key(dg, run->version, expect);
	struct model_exporter *e = model_lookup(&run->m, &k, dg->recv_ns);
	struct flow_sink *sink = &run->sink;
	uint64_t flows = sink->flows, flushes = sink->flushes;
	struct ft_exporter_stats t0, t1;

	ft_netflow_totals(run->nf, &t0);
	int r = ft_netflow_input(run->nf, dg, &sink->batch);
	ft_netflow_totals(run->nf, &t1);
	CHECK(t1.datagrams == t0.datagrams + 1 && t1.records >= t0.records);
	if (!e) {
		CHECK(r == -FT_NF_ERR_EXPORTER_LIMIT);
		run->m.overflow++;
	} else if (expect == ANY_RECORDS) {
		CHECK(r >= 0);
		CHECK(t1.records + t1.option_records - t0.records - t0.option_records == (uint64_t)r);
		e->good++;
	} else {
		CHECK(r == expect);
		e->errors[-r]++;
	}
	if (r < 0)
		CHECK(t1.records == t0.records && sink->batch.n == 0 && sink->flushes == flushes);
	if (e) {
		e->datagrams++;
		e->last_seen_ns = dg->recv_ns;
	}
	sink_drain(sink);
	CHECK(sink->batch.overflow == 0 && sink->flows >= flows);
	check_table(run->nf, &run->m, sink, &run->opts);
}

/* Pending sets are all dropped and counted as no_template. */
static void drop_pending(struct ft_netflow *nf)
{
	struct ft_exporter_stats before[MAX_EXPORTERS], after[MAX_EXPORTERS];
	size_t n = ft_netflow_exporters(nf, before, MAX_EXPORTERS);
	ft_netflow_drop_pending(nf);
	CHECK(ft_netflow_exporters(nf, after, MAX_EXPORTERS) == n);
	for (size_t i = 0; i < n; i++) {
		CHECK(exporter_key_equal(&before[i].key, &after[i].key));
		CHECK(after[i].pending_sets == 0);
		CHECK(after[i].errors[FT_NF_ERR_NO_TEMPLATE] ==
		      before[i].errors[FT_NF_ERR_NO_TEMPLATE] + before[i].pending_sets);
	}
}

void tpl_target_run(const uint8_t *data, size_t size, uint16_t version)
{
	if (size < 1)
		return;
	setup_once();
	uint8_t cfg = data[0];
	struct run run = { .version = version };
	run.opts = (struct ft_netflow_conf){
		.max_exporters = MAX_EXPORTERS,
		.max_templates = max_templates[cfg & 3],
		.max_pending_sets = pending_caps[cfg >> 2 & 3].sets,
		.max_pending_bytes = pending_caps[cfg >> 2 & 3].bytes,
		.template_lifetime = lifetimes[cfg >> 4 & 3],
		.exporters = cfg & 0x40 ? confs : NULL,
		.n_exporters = cfg & 0x40 ? 2 : 0,
	};
	run.nf = ft_netflow_new(&run.opts);
	CHECK(run.nf);
	/* What ft_netflow_new() makes of zero caps (the checks compare with them). */
	if (!run.opts.max_pending_sets)
		run.opts.max_pending_sets = FT_NETFLOW_DEFAULT_PENDING_SETS;
	if (!run.opts.max_pending_bytes)
		run.opts.max_pending_bytes = FT_NETFLOW_DEFAULT_PENDING_BYTES;
	sink_init(&run.sink, cfg & 0x80 ? 1 : 5, run.opts.exporters, run.opts.n_exporters);
	data++;
	size--;

	int64_t now = START_NS;
	int trips = 0;
	while (size >= 3) {
		uint8_t sel = data[0];
		unsigned k = sel >> 4;
		size_t len = (size_t)get16(data + 1);
		data += 3;
		size -= 3;
		len = len < size ? len : size;
		now += k ? (1ll << (k - 1)) * 125000000ll : 1000000ll;
		if (sel & 8 && trips < MAX_ROUND_TRIPS) {
			trips++;
			round_trip(run.nf, &run.opts, now);
		}

		struct ft_datagram dg = { .recv_ns = now, .len = len };
		source_addr(sel & 3, &dg.src);
		uint8_t *payload = malloc(len ? len : 1);
		CHECK(payload);
		memcpy(payload, data, len);
		if (len >= 2)
			put16(payload, version);
		if (version == 10 && len >= 4 && !(sel & 4))
			put16(payload + 2, (uint16_t)len);
		dg.data = payload;
		input(&run, &dg);
		free(payload);
		data += len;
		size -= len;
	}
	drop_pending(run.nf);
	sink_done(&run.sink);
	ft_netflow_free(run.nf);
}
