/* Tests of the NetFlow v5 generator: what it builds decodes with flowtally's own
 * decoder, and its totals are exactly what was built. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "check_main.h"
#include "flowtally/gen.h"
#include "flowtally/nf5.h"

#define START_MS 1764075600000LL    /* 2025-11-25T13:00:00Z */

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
		ck_assert_uint_eq(len, FT_GEN_MAX_DATAGRAM);
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
			ck_assert_int_le(f->end_ms, export_ms);
			ck_assert_int_gt(f->end_ms, export_ms - 1000);
			ck_assert_int_le(f->start_ms, f->end_ms);
			ck_assert_int_gt(f->start_ms, f->end_ms - 60000);
			ck_assert_uint_ge(f->packets, 1);
			ck_assert_uint_le(f->packets, 1000);
			ck_assert_uint_ge(f->bytes, 40 * f->packets);
			ck_assert_uint_le(f->bytes, 1500 * f->packets);
			ck_assert(f->proto == 6 || f->proto == 17);
			tcp += f->proto == 6;
			udp += f->proto == 17;
			ck_assert(f->proto == 6 || f->tcp_flags == 0);
			ck_assert_uint_ge(f->sport, 1024);
			ck_assert_uint_ne(f->dport, 0);
			ck_assert_uint_ge(f->in_if, 1);
			ck_assert_uint_ge(f->out_if, 1);
			ck_assert_uint_ge(f->src_as, 64512);
			ck_assert_uint_eq(f->sampling_rate, 1);
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

	ck_assert_uint_eq(ft_gen_next(g, buf, 24 + 48 * rpd - 1, NULL), 0);
	for (int i = 0; i < 50; i++) {
		size_t len = ft_gen_next(g, buf, 24 + 48 * rpd, NULL);
		ck_assert_uint_eq(len, 24 + 48 * rpd);
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

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("gen");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, same_seed_builds_same_bytes);
	tcase_add_test(tc, every_datagram_decodes_and_totals_match);
	tcase_add_test(tc, sequence_numbers_are_contiguous_per_exporter);
	tcase_add_test(tc, addresses_fall_in_the_prefixes);
	tcase_add_test(tc, records_are_plausible);
	tcase_add_loop_test(tc, records_per_datagram_edges, 0,
	                    (int)(sizeof(rpd_edges) / sizeof(rpd_edges[0])));
	tcase_add_test(tc, sampling_field_is_written_as_given);
	tcase_add_test(tc, restamp_moves_time_and_sequence_only);
	tcase_add_test(tc, restamp_rejects_what_it_did_not_build);
	tcase_add_test(tc, invalid_options_are_refused);
	tcase_add_test(tc, defaults_fill_only_unset_fields);
	suite_add_tcase(s, tc);
	return s;
}
