/* Tests of the generator: what it builds decodes with flowtally's own decoders (v5
 * alone, v9 and IPFIX through ft_netflow_input()), and its totals are exactly what
 * was built. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "flowtally/gen.h"
#include "flowtally/netflow.h"
#include "flowtally/nf5.h"

#define START_MS 1764075600000LL    /* 2025-11-25T13:00:00Z */
#define V5_LEN(n) (24 + 48 * (n))

static struct ft_gen_opts opts_with(uint32_t exporters, uint32_t rpd)
{
	struct ft_gen_opts o = {
		.seed = 42,
		.exporters = exporters,
		.records_per_datagram = rpd,
		.start_ms = START_MS,
		.ms_per_datagram = 7,
	};
	ft_gen_opts_default(&o);
	return o;
}

static struct ft_gen *gen_with(uint32_t exporters, uint32_t rpd)
{
	struct ft_gen_opts o = opts_with(exporters, rpd);
	struct ft_gen *g = ft_gen_new(&o);
	ck_assert_ptr_nonnull(g);
	return g;
}

/* Decodes buf, checks it is a whole v5 datagram, and adds it to sum. */
static int decode_into(const uint8_t *buf, size_t len, struct ft_nf5_header *hdr,
                       struct ft_flow *flows, struct ft_gen_totals *sum)
{
	struct ft_addr exporter;
	ft_addr_from_v4(&exporter, 0x7f000001);
	int n = ft_nf5_decode(buf, len, &exporter, hdr, flows);
	ck_assert_int_gt(n, 0);
	sum->datagrams++;
	sum->records += (uint64_t)n;
	for (int i = 0; i < n; i++) {
		sum->bytes += flows[i].bytes;
		sum->packets += flows[i].packets;
	}
	return n;
}

static void assert_totals_eq(const struct ft_gen_totals *a, const struct ft_gen_totals *b)
{
	ck_assert_uint_eq(a->datagrams, b->datagrams);
	ck_assert_uint_eq(a->records, b->records);
	ck_assert_uint_eq(a->bytes, b->bytes);
	ck_assert_uint_eq(a->packets, b->packets);
}

START_TEST(same_seed_builds_same_bytes)
{
	struct ft_gen *a = gen_with(3, 30), *b = gen_with(3, 30);
	struct ft_gen_opts o = opts_with(3, 30);
	o.seed = 43;
	struct ft_gen *c = ft_gen_new(&o);
	uint8_t ba[FT_GEN_MAX_DATAGRAM], bb[FT_GEN_MAX_DATAGRAM], bc[FT_GEN_MAX_DATAGRAM];
	int differ = 0;

	for (int i = 0; i < 100; i++) {
		size_t la = ft_gen_next(a, ba, sizeof(ba), NULL);
		size_t lb = ft_gen_next(b, bb, sizeof(bb), NULL);
		size_t lc = ft_gen_next(c, bc, sizeof(bc), NULL);
		ck_assert_uint_eq(la, lb);
		ck_assert_uint_eq(la, lc);
		ck_assert_mem_eq(ba, bb, la);
		differ += memcmp(ba + 24, bc + 24, la - 24) != 0;
	}
	ck_assert_int_eq(differ, 100);
	assert_totals_eq(ft_gen_total(a), ft_gen_total(b));
	ft_gen_free(a);
	ft_gen_free(b);
	ft_gen_free(c);
}
END_TEST

START_TEST(every_datagram_decodes_and_totals_match)
{
	enum { EXPORTERS = 5, DATAGRAMS = 503 };
	struct ft_gen *g = gen_with(EXPORTERS, 30);
	struct ft_gen_totals sum = { 0 }, per[EXPORTERS] = { 0 };
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	struct ft_flow flows[FT_NF5_MAX_RECORDS];
	struct ft_nf5_header h;

	for (int i = 0; i < DATAGRAMS; i++) {
		uint32_t e = 999;
		size_t len = ft_gen_next(g, buf, sizeof(buf), &e);
		ck_assert_uint_eq(len, V5_LEN(30));
		ck_assert_uint_eq(e, (uint32_t)i % EXPORTERS);
		struct ft_gen_totals one = { 0 };
		decode_into(buf, len, &h, flows, &one);
		assert_totals_eq(&one, ft_gen_last(g));
		ck_assert_uint_eq(h.version, 5);
		ck_assert_uint_eq(h.engine_type, 0);
		ck_assert_uint_eq(h.engine_id, e);
		ck_assert_uint_eq(flows[0].domain, e);
		decode_into(buf, len, &h, flows, &sum);
		decode_into(buf, len, &h, flows, &per[e]);
	}
	assert_totals_eq(&sum, ft_gen_total(g));
	for (uint32_t e = 0; e < EXPORTERS; e++)
		assert_totals_eq(&per[e], ft_gen_totals(g, e));
	ck_assert_ptr_null(ft_gen_totals(g, EXPORTERS));
	ck_assert_uint_eq(ft_gen_total(g)->datagrams, DATAGRAMS);
	ft_gen_free(g);
}
END_TEST

START_TEST(sequence_numbers_are_contiguous_per_exporter)
{
	enum { EXPORTERS = 4 };
	struct ft_gen *g = gen_with(EXPORTERS, 17);
	uint32_t expect[EXPORTERS] = { 0 };
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	struct ft_nf5_header h;

	for (int i = 0; i < 400; i++) {
		uint32_t e;
		size_t len = ft_gen_next(g, buf, sizeof(buf), &e);
		ck_assert_int_eq(ft_nf5_parse_header(buf, len, &h), 0);
		ck_assert_uint_eq(h.flow_sequence, expect[e]);
		ck_assert_uint_eq(h.count, 17);
		expect[e] += h.count;
	}
	for (uint32_t e = 0; e < EXPORTERS; e++)
		ck_assert_uint_eq(ft_gen_totals(g, e)->records, expect[e]);
	ft_gen_free(g);
}
END_TEST

static void check_prefixes(const char *src, const char *dst)
{
	struct ft_gen_opts o = opts_with(2, 30);
	ck_assert_int_eq(ft_prefix_parse(src, &o.src_prefix), 0);
	ck_assert_int_eq(ft_prefix_parse(dst, &o.dst_prefix), 0);
	struct ft_gen *g = ft_gen_new(&o);
	ck_assert_ptr_nonnull(g);
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	struct ft_flow flows[FT_NF5_MAX_RECORDS];
	struct ft_nf5_header h;
	struct ft_gen_totals sum = { 0 };
	unsigned src_len = o.src_prefix.len - 96u, dst_len = o.dst_prefix.len - 96u;

	for (int i = 0; i < 200; i++) {
		size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);
		int n = decode_into(buf, len, &h, flows, &sum);
		for (int k = 0; k < n; k++) {
			ck_assert(ft_prefix_contains(&o.src_prefix, &flows[k].src));
			ck_assert(ft_prefix_contains(&o.dst_prefix, &flows[k].dst));
			ck_assert(ft_addr_is_v4(&flows[k].src));
			ck_assert_uint_ge(flows[k].src_mask, src_len);
			ck_assert_uint_le(flows[k].src_mask, 32);
			ck_assert_uint_ge(flows[k].dst_mask, dst_len);
			ck_assert_uint_le(flows[k].dst_mask, 32);
		}
	}
	ft_gen_free(g);
}

START_TEST(addresses_fall_in_the_prefixes)
{
	check_prefixes("10.0.0.0/8", "192.168.0.0/16");
	check_prefixes("172.16.0.0/12", "198.51.100.7/32");
	check_prefixes("0.0.0.0/0", "203.0.113.128/25");
	check_prefixes("100.64.0.0/10", "100.64.0.0/31");
}
END_TEST

/* What every generated record holds whatever the format (see flowtally generate
 * --help): it ends up to a second before export_ms and lasts up to a minute, 1..1000
 * packets of 40..1500 bytes, TCP or UDP (counted into *tcp and *udp), ports,
 * interfaces 1..64, private AS numbers, unsampled. */
static void assert_plausible(const struct ft_flow *f, int64_t export_ms, unsigned *tcp, unsigned *udp)
{
	ck_assert_int_le(f->end_ms, export_ms);
	ck_assert_int_gt(f->end_ms, export_ms - 1000);
	ck_assert_int_le(f->start_ms, f->end_ms);
	ck_assert_int_gt(f->start_ms, f->end_ms - 60000);
	ck_assert_uint_ge(f->packets, 1);
	ck_assert_uint_le(f->packets, 1000);
	ck_assert_uint_ge(f->bytes, 40 * f->packets);
	ck_assert_uint_le(f->bytes, 1500 * f->packets);
	ck_assert(f->proto == 6 || f->proto == 17);
	*tcp += f->proto == 6;
	*udp += f->proto == 17;
	ck_assert(f->proto == 6 || f->tcp_flags == 0);
	ck_assert_uint_ge(f->sport, 1024);
	ck_assert_uint_ne(f->dport, 0);
	ck_assert_uint_ge(f->in_if, 1);
	ck_assert_uint_ge(f->out_if, 1);
	ck_assert_uint_le(f->out_if, 64);
	ck_assert_uint_ge(f->src_as, 64512);
	ck_assert_uint_lt(f->dst_as, 64512 + 1024);
	ck_assert_uint_eq(f->sampling_rate, 1);
}

START_TEST(records_are_plausible)
{
	struct ft_gen *g = gen_with(3, 30);
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	struct ft_flow flows[FT_NF5_MAX_RECORDS];
	struct ft_nf5_header h;
	struct ft_gen_totals sum = { 0 };
	unsigned tcp = 0, udp = 0;

	for (int i = 0; i < 300; i++) {
		size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);
		int n = decode_into(buf, len, &h, flows, &sum);
		int64_t export_ms = START_MS + 7LL * i;
		ck_assert_int_eq((int64_t)h.unix_secs * 1000 + h.unix_nsecs / 1000000, export_ms);
		ck_assert_uint_eq(h.unix_nsecs % 1000000, 0);
		for (int k = 0; k < n; k++) {
			const struct ft_flow *f = &flows[k];
			assert_plausible(f, export_ms, &tcp, &udp);
		}
	}
	ck_assert_uint_gt(tcp, 1000);
	ck_assert_uint_gt(udp, 1000);
	ft_gen_free(g);
}
END_TEST

/* Loop over the two ends of records_per_datagram. */
static const uint32_t rpd_edges[] = { 1, 30 };

START_TEST(records_per_datagram_edges)
{
	uint32_t rpd = rpd_edges[_i];
	struct ft_gen *g = gen_with(2, rpd);
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	struct ft_flow flows[FT_NF5_MAX_RECORDS];
	struct ft_nf5_header h;
	struct ft_gen_totals sum = { 0 };

	ck_assert_uint_eq(ft_gen_datagram_max(g), V5_LEN(rpd));
	ck_assert_uint_eq(ft_gen_next(g, buf, V5_LEN(rpd) - 1, NULL), 0);
	for (int i = 0; i < 50; i++) {
		size_t len = ft_gen_next(g, buf, V5_LEN(rpd), NULL);
		ck_assert_uint_eq(len, V5_LEN(rpd));
		ck_assert_int_eq(decode_into(buf, len, &h, flows, &sum), (int)rpd);
	}
	assert_totals_eq(&sum, ft_gen_total(g));
	ck_assert_uint_eq(sum.records, 50 * rpd);
	ft_gen_free(g);
}
END_TEST

START_TEST(sampling_field_is_written_as_given)
{
	struct ft_gen_opts o = opts_with(1, 30);
	o.sampling_interval = 0x4000 | 100;
	struct ft_gen *g = ft_gen_new(&o);
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	struct ft_flow flows[FT_NF5_MAX_RECORDS];
	struct ft_nf5_header h;
	struct ft_gen_totals sum = { 0 };

	decode_into(buf, ft_gen_next(g, buf, sizeof(buf), NULL), &h, flows, &sum);
	ck_assert_uint_eq(h.sampling_mode, 1);
	ck_assert_uint_eq(h.sampling_interval, 100);
	ck_assert_uint_eq(flows[0].sampling_rate, 100);
	ft_gen_free(g);
}
END_TEST

START_TEST(restamp_moves_time_and_sequence_only)
{
	struct ft_gen *g = gen_with(1, 30);
	uint8_t buf[FT_GEN_MAX_DATAGRAM], orig[FT_GEN_MAX_DATAGRAM];
	struct ft_flow before[FT_NF5_MAX_RECORDS], after[FT_NF5_MAX_RECORDS];
	struct ft_nf5_header h0, h1;
	struct ft_gen_totals s0 = { 0 }, s1 = { 0 };

	size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);
	memcpy(orig, buf, len);
	decode_into(buf, len, &h0, before, &s0);
	int64_t later_ns = (START_MS + 86400000LL) * 1000000 + 123456789;
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, later_ns, 4242), 0);
	decode_into(buf, len, &h1, after, &s1);
	assert_totals_eq(&s0, &s1);
	ck_assert_uint_eq(h1.flow_sequence, 4242);
	ck_assert_uint_eq(h1.unix_secs, (uint32_t)(later_ns / 1000000000));
	ck_assert_uint_eq(h1.unix_nsecs, 123456789);
	ck_assert_uint_eq(h1.sys_uptime_ms - h0.sys_uptime_ms, 86400123u);
	for (int k = 0; k < 30; k++) {
		ck_assert_int_eq(after[k].start_ms - before[k].start_ms, 86400123);
		ck_assert_int_eq(after[k].end_ms - before[k].end_ms, 86400123);
		ck_assert(ft_addr_equal(&after[k].src, &before[k].src));
	}
	/* Back to the original time and sequence: the original bytes. */
	int64_t orig_ns = (int64_t)h0.unix_secs * 1000000000 + h0.unix_nsecs;
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, orig_ns, h0.flow_sequence), 0);
	ck_assert_mem_eq(buf, orig, len);
	ft_gen_free(g);
}
END_TEST

START_TEST(restamp_rejects_what_it_did_not_build)
{
	struct ft_gen *g = gen_with(1, 3);
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);

	ck_assert_int_eq(ft_gen_restamp(g, buf, len - 1, 0, 0), -EINVAL);
	ck_assert_int_eq(ft_gen_restamp(g, buf, 10, 0, 0), -EINVAL);
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, -1, 0), -EINVAL);
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, (1LL << 32) * 1000000000, 0), -EINVAL);
	buf[1] = 9;
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, 0, 0), -EINVAL);
	ft_gen_free(g);
}
END_TEST

START_TEST(invalid_options_are_refused)
{
	struct ft_gen_opts o = opts_with(1, 30);
	o.exporters = FT_GEN_MAX_EXPORTERS + 1;
	ck_assert_ptr_null(ft_gen_new(&o));
	ck_assert_int_eq(errno, EINVAL);
	o = opts_with(1, 31);
	ck_assert_ptr_null(ft_gen_new(&o));
	o = opts_with(1, 30);
	ck_assert_int_eq(ft_prefix_parse("2001:db8::/32", &o.dst_prefix), 0);
	ck_assert_ptr_null(ft_gen_new(&o));
	o = opts_with(1, 30);
	o.exporters = 0;
	ck_assert_ptr_null(ft_gen_new(&o));
	ck_assert_ptr_null(ft_gen_new(NULL));
	o = opts_with(FT_GEN_MAX_EXPORTERS, 30);
	struct ft_gen *g = ft_gen_new(&o);
	ck_assert_ptr_nonnull(g);
	ft_gen_free(g);
	ck_assert_ptr_null(ft_gen_free(NULL));
}
END_TEST

START_TEST(defaults_fill_only_unset_fields)
{
	struct ft_gen_opts o = { .seed = 7 };
	ft_gen_opts_default(&o);
	ck_assert_uint_eq(o.version, 5);
	ck_assert_uint_eq(o.exporters, 1);
	ck_assert_uint_eq(o.records_per_datagram, 30);
	ck_assert_int_gt(o.start_ms, START_MS);
	char buf[64];
	ck_assert_str_eq(ft_prefix_format(&o.src_prefix, buf, sizeof(buf)), "10.0.0.0/8");
	ck_assert_str_eq(ft_prefix_format(&o.dst_prefix, buf, sizeof(buf)), "192.168.0.0/16");

	struct ft_gen_opts p = { .exporters = 9, .records_per_datagram = 2, .start_ms = 5 };
	ck_assert_int_eq(ft_prefix_parse("0.0.0.0/0", &p.src_prefix), 0);
	ft_gen_opts_default(&p);
	ck_assert_uint_eq(p.exporters, 9);
	ck_assert_uint_eq(p.records_per_datagram, 2);
	ck_assert_int_eq(p.start_ms, 5);
	ck_assert_str_eq(ft_prefix_format(&p.src_prefix, buf, sizeof(buf)), "0.0.0.0/0");
}
END_TEST

/* ---- v9 and IPFIX ---- */

enum { V9_HDR = 20, IPFIX_HDR = 16, TSET_LEN = 8 + 4 * 18 };

/* Record lengths of the templates: v9 v4, v9 v6, IPFIX v4, IPFIX v6. */
static unsigned rec_len(uint8_t version, enum ft_gen_template t)
{
	return version == 9 ? (t == FT_GEN_TEMPLATE_V6 ? 85 : 49) : (t == FT_GEN_TEMPLATE_V6 ? 106 : 70);
}

static unsigned hdr_len(uint8_t version)
{
	return version == 9 ? V9_HDR : IPFIX_HDR;
}

struct variant {
	uint8_t version;
	enum ft_gen_template tpl;
	uint32_t every;              /* 0: default */
	bool once, separate;
	uint32_t size;               /* 0: default */
	uint32_t rpd;                /* 0: fill */
};

static const struct variant variants[] = {
	{ 9, FT_GEN_TEMPLATE_V4, 0, false, false, 0, 0 },
	{ 9, FT_GEN_TEMPLATE_V6, 0, false, false, 0, 0 },
	{ 10, FT_GEN_TEMPLATE_V4, 0, false, false, 0, 0 },
	{ 10, FT_GEN_TEMPLATE_V6, 0, false, false, 0, 0 },
	{ 9, FT_GEN_TEMPLATE_V4, 7, false, true, 0, 0 },
	{ 10, FT_GEN_TEMPLATE_V6, 1, false, false, 0, 0 },
	{ 10, FT_GEN_TEMPLATE_V4, 1, false, true, 0, 0 },
	{ 10, FT_GEN_TEMPLATE_V4, 0, true, true, 0, 0 },
	{ 9, FT_GEN_TEMPLATE_V6, 0, true, false, 0, 0 },
	{ 9, FT_GEN_TEMPLATE_V6, 3, false, false, FT_GEN_MAX_DATAGRAM, 0 },
	{ 10, FT_GEN_TEMPLATE_V4, 5, false, true, 300, 0 },
	{ 9, FT_GEN_TEMPLATE_V4, 4, false, false, 0, 2 },
};
#define N_VARIANTS ((int)(sizeof(variants) / sizeof(variants[0])))

static struct ft_gen_opts opts_of(const struct variant *v, uint32_t exporters)
{
	struct ft_gen_opts o = {
		.seed = 42,
		.exporters = exporters,
		.records_per_datagram = v->rpd,
		.start_ms = START_MS,
		.ms_per_datagram = 7,
		.version = v->version,
		.template = v->tpl,
		.template_every = v->every,
		.template_once = v->once,
		.template_separate = v->separate,
		.datagram_size = v->size,
	};
	ft_gen_opts_default(&o);
	return o;
}

static struct ft_gen *gen_of(const struct variant *v, uint32_t exporters)
{
	struct ft_gen_opts o = opts_of(v, exporters);
	struct ft_gen *g = ft_gen_new(&o);
	ck_assert_ptr_nonnull(g);
	return g;
}

/* Where the flow batch goes when full: summed up. */
struct sink {
	struct ft_gen_totals sum;
	uint64_t flushes;
};

static void sink_flush(struct ft_flow_batch *b, void *ctx)
{
	struct sink *s = ctx;
	for (size_t i = 0; i < b->n; i++) {
		s->sum.records++;
		s->sum.bytes += b->flows[i].bytes;
		s->sum.packets += b->flows[i].packets;
	}
	s->flushes++;
	b->n = 0;
}

struct collector {
	struct ft_netflow *nf;
	struct ft_flow flows[64];
	struct ft_flow_batch batch;
	struct sink sink;
	uint64_t returned;           /* sum of ft_netflow_input() results */
};

static void collector_init(struct collector *c)
{
	memset(c, 0, sizeof(*c));
	c->nf = ft_netflow_new(NULL);
	ck_assert_ptr_nonnull(c->nf);
	c->batch = (struct ft_flow_batch){ .flows = c->flows, .cap = 64, .flush = sink_flush,
	                                   .ctx = &c->sink };
}

static void collector_feed(struct collector *c, const uint8_t *buf, size_t len, int64_t recv_ns)
{
	struct ft_datagram dg = { .recv_ns = recv_ns, .data = buf, .len = len, .dport = 2055 };
	ft_addr_from_v4(&dg.src, 0x7f000001);
	int n = ft_netflow_input(c->nf, &dg, &c->batch);
	ck_assert_int_ge(n, 0);
	c->returned += (uint64_t)n;
}

/* Flushes what is left in the batch; frees the collector after checking it with
 * assert_collector_matches(). */
static void collector_flush(struct collector *c)
{
	sink_flush(&c->batch, &c->sink);
	ck_assert_uint_eq(c->batch.overflow, 0);
}

/* Every exporter the collector saw is one of those sent, with exactly the totals sent
 * (per[domain]), no errors and no sequence trouble. */
static void assert_collector_matches(const struct collector *c, const struct ft_gen_totals *per,
                                     uint32_t exporters, uint8_t version)
{
	struct ft_exporter_stats st[FT_GEN_MAX_EXPORTERS];
	size_t n = ft_netflow_exporters(c->nf, st, FT_GEN_MAX_EXPORTERS);

	ck_assert_uint_eq(n, exporters);
	for (size_t i = 0; i < n; i++) {
		const struct ft_exporter_stats *s = &st[i];
		ck_assert_uint_lt(s->key.domain, exporters);
		const struct ft_gen_totals *t = &per[s->key.domain];
		ck_assert_uint_eq(s->key.version, version);
		ck_assert_uint_eq(s->datagrams, t->datagrams);
		ck_assert_uint_eq(s->records, t->records);
		ck_assert_uint_eq(s->bytes, t->bytes);
		ck_assert_uint_eq(s->packets, t->packets);
		ck_assert_uint_eq(s->templates, t->templates);
		ck_assert_uint_eq(s->lost_records, 0);
		ck_assert_uint_eq(s->lost_datagrams, 0);
		ck_assert_uint_eq(s->seq_resets, 0);
		ck_assert_uint_eq(s->reordered, 0);
		ck_assert_uint_eq(s->template_changes, 0);
		ck_assert_uint_eq(s->pending_sets, 0);
		ck_assert_uint_eq(s->option_records, 0);
		for (int e = 0; e < FT_NF_ERR__MAX; e++)
			ck_assert_msg(s->errors[e] == 0, "%s: %llu", ft_nf_error_name((enum ft_nf_error)e),
			              (unsigned long long)s->errors[e]);
	}
}

START_TEST(v9_and_ipfix_decode_to_the_generator_totals)
{
	enum { EXPORTERS = 5, DATAGRAMS = 1003 };
	const struct variant *v = &variants[_i];
	struct ft_gen *g = gen_of(v, EXPORTERS);
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	struct collector c;

	collector_init(&c);
	for (int i = 0; i < DATAGRAMS; i++) {
		size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);
		ck_assert_uint_gt(len, 0);
		ck_assert_uint_le(len, ft_gen_datagram_max(g));
		collector_feed(&c, buf, len, (START_MS + 7LL * i) * 1000000);
	}
	collector_flush(&c);
	const struct ft_gen_totals *t = ft_gen_total(g);
	ck_assert_uint_eq(t->datagrams, DATAGRAMS);
	ck_assert_uint_gt(t->templates, 0);
	ck_assert_uint_eq(c.returned, t->records);
	ck_assert_uint_eq(c.sink.sum.records, t->records);
	ck_assert_uint_eq(c.sink.sum.bytes, t->bytes);
	ck_assert_uint_eq(c.sink.sum.packets, t->packets);
	ck_assert_uint_gt(c.sink.flushes, t->records / 64 - 1);
	struct ft_gen_totals per[EXPORTERS];
	for (uint32_t e = 0; e < EXPORTERS; e++)
		per[e] = *ft_gen_totals(g, e);
	assert_collector_matches(&c, per, EXPORTERS, v->version);
	ft_netflow_free(c.nf);
	ft_gen_free(g);
}
END_TEST

/* The datagram's sets: whether it starts with the template set, and its data records. */
static void read_sets(const struct variant *v, const uint8_t *buf, size_t len, bool *ret_tpl,
                      unsigned *ret_records)
{
	size_t o = hdr_len(v->version);
	unsigned rl = rec_len(v->version, v->tpl);

	*ret_tpl = false;
	*ret_records = 0;
	while (o < len) {
		unsigned id = (unsigned)buf[o] << 8 | buf[o + 1], sl = (unsigned)buf[o + 2] << 8 | buf[o + 3];
		ck_assert_uint_ge(sl, 4);
		ck_assert_uint_le(sl, len - o);
		if (id == (v->version == 9 ? 0u : 2u)) {
			ck_assert_uint_eq(o, hdr_len(v->version));
			ck_assert_uint_eq(sl, TSET_LEN);
			*ret_tpl = true;
		} else {
			ck_assert_uint_eq(id, v->tpl == FT_GEN_TEMPLATE_V6 ? 257 : 256);
			*ret_records += (sl - 4) / rl;
			ck_assert_uint_lt((sl - 4) % rl, v->version == 9 ? 4 : 1);
		}
		o += sl;
	}
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

START_TEST(templates_sequence_numbers_and_sizes_follow_the_options)
{
	enum { EXPORTERS = 3, DATAGRAMS = 600 };
	const struct variant *v = &variants[_i];
	struct ft_gen *g = gen_of(v, EXPORTERS);
	struct ft_gen_opts o = opts_of(v, EXPORTERS);
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	uint64_t sent[EXPORTERS] = { 0 }, seq[EXPORTERS] = { 0 };
	unsigned rl = rec_len(v->version, v->tpl), hl = hdr_len(v->version);

	for (int i = 0; i < DATAGRAMS; i++) {
		uint32_t e;
		size_t len = ft_gen_next(g, buf, sizeof(buf), &e);
		bool tpl;
		unsigned n;
		read_sets(v, buf, len, &tpl, &n);
		ck_assert_uint_le(len, o.datagram_size);
		ck_assert_int_eq(tpl, ft_gen_carries_template(g, sent[e]));
		ck_assert_int_eq(tpl, v->once ? sent[e] == 0 :
		                      sent[e] % (o.template_every + v->separate) == 0);
		ck_assert_uint_eq(n, ft_gen_last(g)->records);
		ck_assert_uint_eq(tpl, ft_gen_last(g)->templates);
		if (tpl && v->separate) {
			ck_assert_uint_eq(n, 0);
		} else if (v->rpd) {
			ck_assert_uint_eq(n, v->rpd);
		} else {
			/* One more record would not have fitted. */
			size_t more = 4 + (size_t)(n + 1) * rl;
			if (v->version == 9)
				more = (more + 3) / 4 * 4;
			ck_assert_uint_gt(hl + (tpl ? TSET_LEN : 0) + more, o.datagram_size);
		}
		ck_assert_uint_eq(buf[0] << 8 | buf[1], v->version);
		if (v->version == 9) {
			ck_assert_uint_eq(buf[2] << 8 | buf[3], n + tpl);   /* count: all records */
			ck_assert_uint_eq(rd32(buf + 12), (uint32_t)seq[e]);
			ck_assert_uint_eq(rd32(buf + 16), e);
			seq[e]++;                                       /* RFC 3954 §5.1: datagrams */
		} else {
			ck_assert_uint_eq(buf[2] << 8 | buf[3], len);
			ck_assert_uint_eq(rd32(buf + 8), (uint32_t)seq[e]);
			ck_assert_uint_eq(rd32(buf + 12), e);
			seq[e] += n;                                    /* RFC 7011 §3.1: data records */
		}
		ck_assert_uint_eq(ft_gen_sequence_step(g, ft_gen_last(g)), v->version == 9 ? 1 : n);
		sent[e]++;
	}
	ft_gen_free(g);
}
END_TEST

static const struct variant plain[] = {
	{ 9, FT_GEN_TEMPLATE_V4, 0, false, false, 0, 0 },
	{ 9, FT_GEN_TEMPLATE_V6, 0, false, false, 0, 0 },
	{ 10, FT_GEN_TEMPLATE_V4, 0, false, false, 0, 0 },
	{ 10, FT_GEN_TEMPLATE_V6, 0, false, false, 0, 0 },
};
#define N_PLAIN ((int)(sizeof(plain) / sizeof(plain[0])))

/* Decodes one datagram alone; returns the flows in flows (cap 64). */
static size_t decode_alone(const uint8_t *buf, size_t len, struct ft_flow *flows)
{
	struct ft_netflow *nf = ft_netflow_new(NULL);
	struct ft_flow_batch b = { .flows = flows, .cap = 64 };
	struct ft_datagram dg = { .recv_ns = START_MS * 1000000, .data = buf, .len = len };
	ft_addr_from_v4(&dg.src, 0x7f000001);
	ck_assert_int_ge(ft_netflow_input(nf, &dg, &b), 0);
	ck_assert_uint_eq(b.overflow, 0);
	ft_netflow_free(nf);
	return b.n;
}

START_TEST(v9_and_ipfix_records_are_plausible)
{
	struct variant every = plain[_i];
	every.every = 1;                       /* so each datagram decodes alone */
	const struct variant *v = &every;
	struct ft_gen_opts o = opts_of(v, 2);
	struct ft_gen *g = gen_of(v, 2);
	bool v6 = v->tpl == FT_GEN_TEMPLATE_V6;
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	struct ft_flow flows[64];
	struct ft_prefix nh;
	unsigned tcp = 0, udp = 0;

	ck_assert_int_eq(ft_prefix_parse(v6 ? "2001:db8:ffff::/123" : "192.0.2.0/27", &nh), 0);
	for (int i = 0; i < 200; i++) {
		uint32_t e;
		size_t len = ft_gen_next(g, buf, sizeof(buf), &e);
		size_t n = decode_alone(buf, len, flows);
		int64_t export_s_ms = (START_MS + 7LL * i) / 1000 * 1000;
		ck_assert_uint_eq(n, ft_gen_last(g)->records);
		for (size_t k = 0; k < n; k++) {
			const struct ft_flow *f = &flows[k];
			ck_assert_uint_eq(f->version, v->version);
			ck_assert_uint_eq(f->domain, e);
			ck_assert(ft_prefix_contains(&o.src_prefix, &f->src));
			ck_assert(ft_prefix_contains(&o.dst_prefix, &f->dst));
			ck_assert(ft_prefix_contains(&nh, &f->nexthop));
			ck_assert_int_eq(ft_addr_is_v4(&f->src), !v6);
			ck_assert_uint_ge(f->src_mask, v6 ? 48 : 8);
			ck_assert_uint_le(f->src_mask, v6 ? 64 : 32);
			ck_assert_uint_ge(f->dst_mask, v6 ? 48 : 16);
			ck_assert_uint_le(f->dst_mask, v6 ? 64 : 32);
			assert_plausible(f, export_s_ms, &tcp, &udp);
		}
	}
	ck_assert_uint_gt(tcp, 500);
	ck_assert_uint_gt(udp, 500);
	ft_gen_free(g);
}
END_TEST

/* max_flow_ms bounds how long records last, in every format; by default some last far
 * longer than a second (up to a minute). */
START_TEST(records_last_less_than_max_flow_ms)
{
	static const uint8_t versions[] = { 5, 9, 10 };
	for (size_t v = 0; v < sizeof(versions); v++) {
		for (uint32_t max = 0; max <= 1000; max += 1000) {
			struct variant plain_v = { versions[v], FT_GEN_TEMPLATE_V4, 1, false, false, 0, 0 };
			struct ft_gen_opts o = opts_of(&plain_v, 1);
			o.max_flow_ms = max;
			struct ft_gen *g = ft_gen_new(&o);
			ck_assert_ptr_nonnull(g);
			uint8_t buf[FT_GEN_MAX_DATAGRAM];
			struct ft_flow flows[64];
			int64_t longest = 0;
			for (int i = 0; i < 100; i++) {
				size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);
				size_t n = decode_alone(buf, len, flows);
				ck_assert_uint_gt(n, 0);
				for (size_t k = 0; k < n; k++) {
					int64_t d = flows[k].end_ms - flows[k].start_ms;
					ck_assert_int_ge(d, 0);
					longest = d > longest ? d : longest;
				}
			}
			if (max)
				ck_assert_int_lt(longest, max);
			else
				ck_assert_int_gt(longest, 30000);
			ft_gen_free(g);
		}
	}
	struct ft_gen_opts o = opts_with(1, 30);
	o.max_flow_ms = FT_GEN_MAX_FLOW_MS + 1;
	ck_assert_ptr_null(ft_gen_new(&o));
}
END_TEST

START_TEST(v9_and_ipfix_same_seed_builds_same_bytes)
{
	const struct variant *v = &plain[_i];
	struct ft_gen *a = gen_of(v, 3), *b = gen_of(v, 3);
	uint8_t ba[FT_GEN_MAX_DATAGRAM], bb[FT_GEN_MAX_DATAGRAM];

	for (int i = 0; i < 300; i++) {
		size_t la = ft_gen_next(a, ba, sizeof(ba), NULL);
		size_t lb = ft_gen_next(b, bb, sizeof(bb), NULL);
		ck_assert_uint_eq(la, lb);
		ck_assert_mem_eq(ba, bb, la);
	}
	ft_gen_free(a);
	ft_gen_free(b);
}
END_TEST

START_TEST(v9_and_ipfix_restamp_moves_time_and_sequence_only)
{
	const struct variant *v = &plain[_i];
	struct ft_gen *g = gen_of(v, 1);
	uint8_t buf[FT_GEN_MAX_DATAGRAM], orig[FT_GEN_MAX_DATAGRAM];
	struct ft_flow before[64], after[64];
	unsigned hl = hdr_len(v->version), seq_at = v->version == 9 ? 12 : 8;
	unsigned secs_at = v->version == 9 ? 8 : 4;

	size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);   /* template and records */
	memcpy(orig, buf, len);
	size_t n = decode_alone(buf, len, before);
	ck_assert_uint_gt(n, 0);
	int64_t later_ns = (START_MS + 86400000LL + 1234) * 1000000 + 5678;
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, later_ns, 4242), 0);
	ck_assert_uint_eq(decode_alone(buf, len, after), n);
	ck_assert_uint_eq(rd32(buf + seq_at), 4242);
	ck_assert_uint_eq(rd32(buf + secs_at), (uint32_t)(later_ns / 1000000000));
	int64_t moved = ((int64_t)rd32(buf + secs_at) - rd32(orig + secs_at)) * 1000;
	ck_assert_int_eq(moved, 86401000);
	if (v->version == 9)
		ck_assert_uint_eq(rd32(buf + 4) - rd32(orig + 4), 86401234u);   /* sysUptime */
	for (size_t k = 0; k < n; k++) {
		ck_assert_int_eq(after[k].start_ms - before[k].start_ms, moved);
		ck_assert_int_eq(after[k].end_ms - before[k].end_ms, moved);
		ck_assert(ft_addr_equal(&after[k].src, &before[k].src));
		ck_assert_uint_eq(after[k].bytes, before[k].bytes);
	}
	ck_assert_mem_eq(buf + hl, orig + hl, TSET_LEN);   /* the template is untouched */
	/* Back to the original time and sequence: the original bytes. */
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, START_MS * 1000000, 0), 0);
	ck_assert_mem_eq(buf, orig, len);
	ft_gen_free(g);
}
END_TEST

START_TEST(v9_and_ipfix_restamp_rejects_what_it_did_not_build)
{
	const struct variant *v = &plain[_i];
	struct ft_gen *g = gen_of(v, 1);
	struct ft_gen *v5 = gen_with(1, 30);
	uint8_t buf[FT_GEN_MAX_DATAGRAM], copy[FT_GEN_MAX_DATAGRAM], b5[FT_GEN_MAX_DATAGRAM];
	size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);
	size_t l5 = ft_gen_next(v5, b5, sizeof(b5), NULL);
	unsigned data_set = hdr_len(v->version) + TSET_LEN;

	memcpy(copy, buf, len);
	ck_assert_int_eq(ft_gen_restamp(g, buf, len - 1, 0, 0), -EINVAL);
	ck_assert_int_eq(ft_gen_restamp(g, buf, 10, 0, 0), -EINVAL);
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, -1, 0), -EINVAL);
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, (1LL << 32) * 1000000000, 0), -EINVAL);
	ck_assert_int_eq(ft_gen_restamp(g, b5, l5, 0, 0), -EINVAL);
	ck_assert_int_eq(ft_gen_restamp(v5, buf, len, 0, 0), -EINVAL);
	buf[data_set + 1] ^= 0x40;               /* another template ID */
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, 0, 0), -EINVAL);
	buf[data_set + 1] ^= 0x40;
	buf[hdr_len(v->version) + 9] ^= 1;       /* another first element */
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, 0, 0), -EINVAL);
	buf[hdr_len(v->version) + 9] ^= 1;
	buf[data_set + 3] -= 1;                  /* data set one byte short */
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, 0, 0), -EINVAL);
	buf[data_set + 3] += 1;
	ck_assert_mem_eq(buf, copy, len);        /* refused means untouched */
	ck_assert_int_eq(ft_gen_restamp(g, buf, len, 0, 0), 0);
	ft_gen_free(g);
	ft_gen_free(v5);
}
END_TEST

/* As `flowtally generate` and the benchmark use it: the templates once, then a pool
 * of data datagrams sent round and round, restamped with the sequence numbers the
 * RFCs want.  The collector sees no gap and exactly what was sent. */
START_TEST(restamped_pool_decodes_without_gaps)
{
	enum { EXPORTERS = 4, POOL = 40, ROUNDS = 5 };
	const struct variant *v = &plain[_i];
	struct variant once = *v;
	once.once = once.separate = true;
	struct ft_gen *g = gen_of(&once, EXPORTERS);
	static uint8_t pool[POOL][FT_GEN_MAX_DATAGRAM];
	size_t len[POOL];
	struct ft_gen_totals sums[POOL], sent = { 0 }, per[EXPORTERS] = { 0 };
	uint64_t seq[EXPORTERS] = { 0 };
	struct collector c;
	int64_t t = START_MS * 1000000;

	collector_init(&c);
	for (int i = 0; i < EXPORTERS; i++) {    /* the templates */
		uint32_t e;
		len[0] = ft_gen_next(g, pool[0], sizeof(pool[0]), &e);
		ck_assert_uint_eq(ft_gen_last(g)->templates, 1);
		collector_feed(&c, pool[0], len[0], t);
		seq[e] += ft_gen_sequence_step(g, ft_gen_last(g));
		per[e].datagrams++;
		per[e].templates++;
	}
	for (int i = 0; i < POOL; i++) {
		len[i] = ft_gen_next(g, pool[i], sizeof(pool[i]), NULL);
		sums[i] = *ft_gen_last(g);
		ck_assert_uint_eq(sums[i].templates, 0);
	}
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < POOL; i++, t += 3000000) {
			uint32_t e = (uint32_t)i % EXPORTERS;
			ck_assert_int_eq(ft_gen_restamp(g, pool[i], len[i], t, (uint32_t)seq[e]), 0);
			collector_feed(&c, pool[i], len[i], t);
			seq[e] += ft_gen_sequence_step(g, &sums[i]);
			per[e].datagrams++;
			per[e].records += sums[i].records;
			per[e].bytes += sums[i].bytes;
			per[e].packets += sums[i].packets;
			sent.records += sums[i].records;
		}
	}
	collector_flush(&c);
	ck_assert_uint_eq(c.sink.sum.records, sent.records);
	ck_assert_uint_eq(c.returned, sent.records);
	assert_collector_matches(&c, per, EXPORTERS, v->version);
	ft_netflow_free(c.nf);
	ft_gen_free(g);
}
END_TEST

START_TEST(v9_and_ipfix_options_are_checked)
{
	struct variant v = plain[0];
	struct ft_gen_opts o = opts_of(&v, 1);
	char buf[64];

	ck_assert_uint_eq(o.template_every, FT_GEN_DEFAULT_TEMPLATE_EVERY);
	ck_assert_uint_eq(o.datagram_size, FT_GEN_DEFAULT_DATAGRAM_SIZE);
	ck_assert_uint_eq(o.records_per_datagram, 0);
	o.version = 7;
	ck_assert_ptr_null(ft_gen_new(&o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(ft_gen_min_datagram_size(&o), 0);

	/* Smallest size: header, template set, data set of one record (v9: padded). */
	o = opts_of(&v, 1);
	ck_assert_uint_eq(ft_gen_min_datagram_size(&o), 20 + TSET_LEN + 4 + 52);
	o.datagram_size = 20 + TSET_LEN + 4 + 52 - 1;
	ck_assert_ptr_null(ft_gen_new(&o));
	o.datagram_size++;
	struct ft_gen *g = ft_gen_new(&o);
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(ft_gen_datagram_max(g), o.datagram_size);
	ft_gen_free(g);
	o.datagram_size = FT_GEN_MAX_DATAGRAM + 1;
	ck_assert_ptr_null(ft_gen_new(&o));
	o = opts_of(&v, 1);
	o.template_separate = true;
	ck_assert_uint_eq(ft_gen_min_datagram_size(&o), 20 + TSET_LEN);
	o = opts_of(&plain[3], 1);
	ck_assert_uint_eq(ft_gen_min_datagram_size(&o), 16 + TSET_LEN + 4 + 106);

	/* The IPv6 template wants IPv6 prefixes, and gets them by default. */
	o = opts_of(&plain[1], 1);
	ck_assert_str_eq(ft_prefix_format(&o.src_prefix, buf, sizeof(buf)), "2001:db8:1::/48");
	ck_assert_str_eq(ft_prefix_format(&o.dst_prefix, buf, sizeof(buf)), "2001:db8:2::/48");
	ck_assert_int_eq(ft_prefix_parse("10.0.0.0/8", &o.src_prefix), 0);
	ck_assert_ptr_null(ft_gen_new(&o));
	o = opts_of(&plain[0], 1);
	ck_assert_int_eq(ft_prefix_parse("2001:db8::/32", &o.src_prefix), 0);
	ck_assert_ptr_null(ft_gen_new(&o));
	o = opts_of(&plain[0], 1);
	o.template = (enum ft_gen_template)2;
	ck_assert_ptr_null(ft_gen_new(&o));

	/* v5 ignores the template options but keeps to IPv4 and 30 records. */
	o = opts_with(1, 30);
	o.template = FT_GEN_TEMPLATE_V6;
	o.datagram_size = 1;
	g = ft_gen_new(&o);
	ck_assert_ptr_nonnull(g);
	ck_assert(!ft_gen_carries_template(g, 0));
	ck_assert_uint_eq(ft_gen_sequence_step(g, &(struct ft_gen_totals){ .records = 30 }), 30);
	ft_gen_free(g);
}
END_TEST

/* ---- expected attribution (--expect-tenants) ---- */

static struct ft_gen_tenants *tenants_of(const char *const *lines)
{
	struct ft_gen_tenants *t = ft_gen_tenants_new();
	char err[160];

	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; lines[i]; i++)
		ck_assert_msg(ft_gen_tenants_line(t, lines[i], err, sizeof(err)) == 0, "%s: %s",
		              lines[i], err);
	return t;
}

static uint32_t lookup_text(const struct ft_gen_tenants *t, const char *addr)
{
	struct ft_addr a;
	ck_assert_int_eq(ft_addr_parse(addr, &a), 0);
	return ft_gen_tenants_lookup(t, &a);
}

START_TEST(tenant_lines_are_read_and_checked)
{
	static const char *const good[] = {
		"# a comment", "", "   \t", "10.0.0.0/8 a", "  10.1.0.0/16\tb  # trailing comment\n",
		"10.0.0.0/8 a", "2001:db8::/32 c", "192.168.1.7 b", NULL,
	};
	static const char *const bad[] = {
		"10.0.0.0/8", "10.0.0.0/8 a b", "10.0.0.0/33 a", "10.0.0.0/8 #a",
		"nonsense a", "10.0.0.0/8 a,b", "10.0.0.0/8 abcdefghijklmnopqrstuvwxyz0123456",
		"10.0.0.0/8 b",              /* given to a already */
		NULL,
	};
	struct ft_gen_tenants *t = tenants_of(good);
	char err[160];

	ck_assert_uint_eq(ft_gen_tenants_count(t), 3);
	ck_assert_str_eq(ft_gen_tenants_name(t, 0), "a");
	ck_assert_str_eq(ft_gen_tenants_name(t, 1), "b");
	ck_assert_str_eq(ft_gen_tenants_name(t, 2), "c");
	ck_assert_ptr_null(ft_gen_tenants_name(t, 3));
	for (size_t i = 0; bad[i]; i++) {
		err[0] = '\0';
		ck_assert_msg(ft_gen_tenants_line(t, bad[i], err, sizeof(err)) == -EINVAL, "%s", bad[i]);
		ck_assert_msg(err[0] != '\0', "%s: no reason given", bad[i]);
	}
	ck_assert_uint_eq(ft_gen_tenants_count(t), 3);
	ft_gen_tenants_free(t);
	ck_assert_ptr_null(ft_gen_tenants_free(NULL));
}
END_TEST

START_TEST(longest_prefix_wins_and_families_stay_apart)
{
	static const char *const rules[] = {
		"10.0.0.0/8 a", "10.1.0.0/16 b", "10.1.2.0/24 a", "10.1.2.128/25 c", "10.1.2.200/32 b",
		"::/0 v6", "2001:db8::/32 c", "0.0.0.0/1 low", NULL,
	};
	struct ft_gen_tenants *t = tenants_of(rules);
	uint32_t none = ft_gen_tenants_count(t);

	ck_assert_uint_eq(none, 5);                        /* a b c v6 low */
	ck_assert_uint_eq(lookup_text(t, "10.200.0.1"), 0);
	ck_assert_uint_eq(lookup_text(t, "10.1.9.9"), 1);
	ck_assert_uint_eq(lookup_text(t, "10.1.2.127"), 0);
	ck_assert_uint_eq(lookup_text(t, "10.1.2.128"), 2);
	ck_assert_uint_eq(lookup_text(t, "10.1.2.200"), 1);
	ck_assert_uint_eq(lookup_text(t, "10.1.2.201"), 2);
	ck_assert_uint_eq(lookup_text(t, "11.0.0.1"), 4);
	ck_assert_uint_eq(lookup_text(t, "127.255.255.255"), 4);
	ck_assert_uint_eq(lookup_text(t, "128.0.0.0"), none);  /* ::/0 holds no IPv4 address */
	ck_assert_uint_eq(lookup_text(t, "2001:db8:ffff::1"), 2);
	ck_assert_uint_eq(lookup_text(t, "2001:db9::1"), 3);
	ck_assert_uint_eq(lookup_text(t, "::1"), 3);
	ft_gen_tenants_free(t);
}
END_TEST

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One v5 record's addresses and counters, written over a generated one. */
static void set_v5_record(uint8_t *buf, unsigned i, uint32_t src, uint32_t dst, uint32_t packets,
                          uint32_t bytes)
{
	uint8_t *r = buf + 24 + 48 * i;
	put_be32(r, src);
	put_be32(r + 4, dst);
	put_be32(r + 16, packets);
	put_be32(r + 20, bytes);
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void assert_share(const struct ft_gen_share *s, uint32_t tenant, uint32_t side,
                         uint64_t bytes, uint64_t packets, uint64_t flows)
{
	ck_assert_uint_eq(s->tenant, tenant);
	ck_assert_uint_eq(s->side, side);
	ck_assert_uint_eq(s->v.bytes, bytes);
	ck_assert_uint_eq(s->v.packets, packets);
	ck_assert_uint_eq(s->v.flows, flows);
}

/* Four records worked out by hand, sampled 1 in 10. */
START_TEST(shares_of_a_hand_checked_datagram)
{
	static const char *const rules[] = {
		"10.0.0.0/8 a", "10.1.0.0/16 b", "10.1.2.0/24 a", "192.168.0.0/16 c", "2001:db8::/32 c",
		NULL,
	};
	struct ft_gen_opts o = opts_with(1, 4);
	o.sampling_interval = 0x4000 | 10;
	struct ft_gen *g = ft_gen_new(&o);
	struct ft_gen_tenants *t = tenants_of(rules);
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	struct ft_gen_share sh[8];

	ck_assert_uint_eq(ft_gen_shares_max(g), 8);
	size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);
	ck_assert_uint_eq(len, V5_LEN(4));
	/* 10.1.2.3 (a, by its /24) -> 10.9.9.9 (a): 100 bytes, 2 packets */
	set_v5_record(buf, 0, IP4(10, 1, 2, 3), IP4(10, 9, 9, 9), 2, 100);
	/* 10.1.3.3 (b) -> 192.168.1.1 (c): 50 bytes, 1 packet */
	set_v5_record(buf, 1, IP4(10, 1, 3, 3), IP4(192, 168, 1, 1), 1, 50);
	/* 172.16.0.1 (nobody) -> 10.1.200.1 (b): 7 bytes, 1 packet */
	set_v5_record(buf, 2, IP4(172, 16, 0, 1), IP4(10, 1, 200, 1), 1, 7);
	/* 11.0.0.1 (nobody) -> 8.8.8.8 (nobody): 1 byte, 1 packet */
	set_v5_record(buf, 3, IP4(11, 0, 0, 1), IP4(8, 8, 8, 8), 1, 1);

	int n = ft_gen_shares(g, t, buf, len, sh, 8);
	ck_assert_int_eq(n, 7);
	assert_share(&sh[0], 0, FT_GEN_OUT, 1000, 20, 1);
	assert_share(&sh[1], 0, FT_GEN_IN, 1000, 20, 1);
	assert_share(&sh[2], 1, FT_GEN_OUT, 500, 10, 1);
	assert_share(&sh[3], 1, FT_GEN_IN, 70, 10, 1);
	assert_share(&sh[4], 2, FT_GEN_IN, 500, 10, 1);
	assert_share(&sh[5], 3, FT_GEN_OUT, 80, 20, 2);     /* unattributed source */
	assert_share(&sh[6], 3, FT_GEN_IN, 10, 10, 1);      /* unattributed destination */

	/* Unsampled (interval 0) counts once; too small an array, or a datagram that is
	 * not whole, is refused. */
	buf[22] = buf[23] = 0;
	ck_assert_int_eq(ft_gen_shares(g, t, buf, len, sh, 8), 7);
	assert_share(&sh[0], 0, FT_GEN_OUT, 100, 2, 1);
	assert_share(&sh[5], 3, FT_GEN_OUT, 8, 2, 2);
	ck_assert_int_eq(ft_gen_shares(g, t, buf, len, sh, 6), -ENOBUFS);
	ck_assert_int_eq(ft_gen_shares(g, t, buf, len - 1, sh, 8), -EINVAL);
	ft_gen_tenants_free(t);
	ft_gen_free(g);
}
END_TEST

/* Decoded flows summed by tenant and side with the table's lookup. */
struct tenant_sink {
	const struct ft_gen_tenants *t;
	struct ft_gen_volume *vol;   /* [tenant * 2 + side] */
	uint64_t flows;
};

static void tenant_flush(struct ft_flow_batch *b, void *ctx)
{
	struct tenant_sink *s = ctx;
	for (size_t i = 0; i < b->n; i++) {
		const struct ft_flow *f = &b->flows[i];
		uint32_t side[2] = { ft_gen_tenants_lookup(s->t, &f->src), ft_gen_tenants_lookup(s->t, &f->dst) };
		for (int k = 0; k < 2; k++) {
			struct ft_gen_volume *v = &s->vol[2 * side[k] + (uint32_t)k];
			v->bytes += f->bytes * f->sampling_rate;
			v->packets += f->packets * f->sampling_rate;
			v->flows++;
		}
		s->flows++;
	}
	b->n = 0;
}

/* Variants for the shares: v5 sampled and not, and the v9/IPFIX variants. */
START_TEST(shares_agree_with_the_decoded_records)
{
	static const char *const rules[] = {
		"10.0.0.0/9 a", "10.64.0.0/10 b", "192.168.0.0/17 b", "192.168.64.0/18 c",
		"2001:db8:1::/49 a", "2001:db8:2:8000::/49 c", NULL,
	};
	enum { EXPORTERS = 3, DATAGRAMS = 200 };
	struct ft_gen_opts o;
	if (_i < 2) {
		o = opts_with(EXPORTERS, 30);
		o.sampling_interval = _i ? 0x4000 | 100 : 0;
	} else {
		o = opts_of(&variants[_i - 2], EXPORTERS);
	}
	struct ft_gen *g = ft_gen_new(&o);
	struct ft_gen_tenants *t = tenants_of(rules);
	uint32_t nt = ft_gen_tenants_count(t);
	struct ft_gen_volume want[8] = { 0 }, got[8] = { 0 };
	struct ft_flow flows[256];
	struct tenant_sink ts = { .t = t, .vol = want };
	struct ft_flow_batch batch = { .flows = flows, .cap = 256, .flush = tenant_flush, .ctx = &ts };
	struct ft_netflow *nf = ft_netflow_new(NULL);
	size_t max = ft_gen_shares_max(g);
	struct ft_gen_share *sh = calloc(max, sizeof(*sh));
	uint8_t buf[FT_GEN_MAX_DATAGRAM];

	ck_assert_uint_eq(nt, 3);
	ck_assert_ptr_nonnull(nf);
	ck_assert_ptr_nonnull(sh);
	for (int i = 0; i < DATAGRAMS; i++) {
		size_t len = ft_gen_next(g, buf, sizeof(buf), NULL);
		int n = ft_gen_shares(g, t, buf, len, sh, max);
		ck_assert_int_ge(n, 0);
		for (int k = 0; k < n; k++) {
			ck_assert(k == 0 || sh[k - 1].tenant < sh[k].tenant ||
			          (sh[k - 1].tenant == sh[k].tenant && sh[k - 1].side < sh[k].side));
			ck_assert_uint_le(sh[k].tenant, nt);
			struct ft_gen_volume *v = &got[2 * sh[k].tenant + sh[k].side];
			v->bytes += sh[k].v.bytes;
			v->packets += sh[k].v.packets;
			v->flows += sh[k].v.flows;
		}
		struct ft_datagram dg = { .recv_ns = (START_MS + 7LL * i) * 1000000, .data = buf,
		                          .len = len, .dport = 2055 };
		ft_addr_from_v4(&dg.src, 0x7f000001);
		ck_assert_int_ge(ft_netflow_input(nf, &dg, &batch), 0);
		tenant_flush(&batch, &ts);
	}
	ck_assert_uint_eq(ts.flows, ft_gen_total(g)->records);
	for (uint32_t k = 0; k < 2 * (nt + 1); k++) {
		ck_assert_uint_eq(got[k].bytes, want[k].bytes);
		ck_assert_uint_eq(got[k].packets, want[k].packets);
		ck_assert_uint_eq(got[k].flows, want[k].flows);
	}
	/* The rules split the traffic: every tenant and the unattributed bucket get some
	 * (a sends and b, c receive over IPv4; over IPv6 a sends and c receives). */
	ck_assert_uint_gt(got[2 * 0 + FT_GEN_OUT].flows, 0);
	ck_assert_uint_gt(got[2 * 2 + FT_GEN_IN].flows, 0);
	ck_assert_uint_gt(got[2 * nt + FT_GEN_OUT].flows, 0);
	ck_assert_uint_gt(got[2 * nt + FT_GEN_IN].flows, 0);
	free(sh);
	ft_netflow_free(nf);
	ft_gen_tenants_free(t);
	ft_gen_free(g);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("gen");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, same_seed_builds_same_bytes);
	tcase_add_test(tc, every_datagram_decodes_and_totals_match);
	tcase_add_test(tc, sequence_numbers_are_contiguous_per_exporter);
	tcase_add_test(tc, addresses_fall_in_the_prefixes);
	tcase_add_test(tc, records_are_plausible);
	tcase_add_test(tc, records_last_less_than_max_flow_ms);
	tcase_add_loop_test(tc, records_per_datagram_edges, 0,
	                    (int)(sizeof(rpd_edges) / sizeof(rpd_edges[0])));
	tcase_add_test(tc, sampling_field_is_written_as_given);
	tcase_add_test(tc, restamp_moves_time_and_sequence_only);
	tcase_add_test(tc, restamp_rejects_what_it_did_not_build);
	tcase_add_test(tc, invalid_options_are_refused);
	tcase_add_test(tc, defaults_fill_only_unset_fields);
	suite_add_tcase(s, tc);

	TCase *tt = tcase_create("v9-ipfix");
	tcase_add_loop_test(tt, v9_and_ipfix_decode_to_the_generator_totals, 0, N_VARIANTS);
	tcase_add_loop_test(tt, templates_sequence_numbers_and_sizes_follow_the_options, 0, N_VARIANTS);
	tcase_add_loop_test(tt, v9_and_ipfix_records_are_plausible, 0, N_PLAIN);
	tcase_add_loop_test(tt, v9_and_ipfix_same_seed_builds_same_bytes, 0, N_PLAIN);
	tcase_add_loop_test(tt, v9_and_ipfix_restamp_moves_time_and_sequence_only, 0, N_PLAIN);
	tcase_add_loop_test(tt, v9_and_ipfix_restamp_rejects_what_it_did_not_build, 0, N_PLAIN);
	tcase_add_loop_test(tt, restamped_pool_decodes_without_gaps, 0, N_PLAIN);
	tcase_add_test(tt, v9_and_ipfix_options_are_checked);
	suite_add_tcase(s, tt);

	TCase *te = tcase_create("expect-tenants");
	tcase_add_test(te, tenant_lines_are_read_and_checked);
	tcase_add_test(te, longest_prefix_wins_and_families_stay_apart);
	tcase_add_test(te, shares_of_a_hand_checked_datagram);
	tcase_add_loop_test(te, shares_agree_with_the_decoded_records, 0, 2 + N_VARIANTS);
	suite_add_tcase(s, te);
	return s;
}
