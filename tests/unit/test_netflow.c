/* Datagram input: per-exporter counters, sequence gaps (with 32-bit wrap, reordering and
 * exporter restarts), error keying and the exporter cap; every datagram counted once, as
 * accepted or under one reason that drops it whole, however it is broken. */
#include <check.h>

#include "check_main.h"
#include "flowtally/netflow.h"
#include "msg_build.h"
#include "nf5_build.h"

static struct ft_netflow *nf;
static struct ft_flow flows[256];
static struct ft_flow_batch batch;
static uint8_t buf[24 + 48 * 30];

static void setup(void)
{
	struct ft_netflow_conf o = { .max_exporters = 3 };
	nf = ft_netflow_new(&o);
	ck_assert_ptr_nonnull(nf);
	batch = (struct ft_flow_batch){ .flows = flows, .cap = 256 };
}

static void teardown(void)
{
	nf = ft_netflow_free(nf);
}

static int send_dg(const char *src, const struct v5hdr *h, unsigned records)
{
	struct ft_datagram dg = { .recv_ns = 1000 };
	ft_addr_parse(src, &dg.src);
	dg.data = buf;
	dg.len = build_v5(buf, h, records);
	if (batch.cap - batch.n < FT_NETFLOW_BATCH_MIN)
		batch.n = 0;
	return ft_netflow_input(nf, &dg, &batch);
}

static int send_seq(uint32_t seq, uint32_t uptime, unsigned count)
{
	struct v5hdr h = { .count = (uint16_t)count, .uptime = uptime, .secs = 1, .seq = seq };
	return send_dg("192.0.2.1", &h, count);
}

static struct ft_exporter_stats only_exporter(void)
{
	struct ft_exporter_stats e[4];
	ck_assert_uint_eq(ft_netflow_exporters(nf, e, 4), 1);
	return e[0];
}

START_TEST(counts_records_bytes_packets)
{
	ck_assert_int_eq(send_seq(0, 1000, 30), 30);
	ck_assert_int_eq(send_seq(30, 2000, 2), 2);
	struct ft_exporter_stats e = only_exporter();
	ck_assert_uint_eq(e.datagrams, 2);
	ck_assert_uint_eq(e.accepted, 2);
	ck_assert_uint_eq(e.records, 32);
	/* bytes 100 * (1 + ... + 30) + 100 * (1 + 2), packets likewise / 100 */
	ck_assert_uint_eq(e.bytes, 100 * 465 + 300);
	ck_assert_uint_eq(e.packets, 465 + 3);
	ck_assert_uint_eq(e.lost_records, 0);
	ck_assert_uint_eq(batch.n, 32);
}
END_TEST

START_TEST(gap_counts_lost_records)
{
	send_seq(100, 1000, 10);
	send_seq(110, 1001, 10);
	send_seq(150, 1002, 10);    /* 30 records missing */
	ck_assert_uint_eq(only_exporter().lost_records, 30);
}
END_TEST

START_TEST(sequence_wraps_at_32_bits)
{
	send_seq(0xfffffff0u, 1000, 30);   /* next expected: 14 after the wrap */
	send_seq(14, 1001, 30);
	send_seq(44, 1002, 5);
	struct ft_exporter_stats e = only_exporter();
	ck_assert_uint_eq(e.lost_records, 0);
	ck_assert_uint_eq(e.seq_resets, 0);
	send_seq(0xfffffff0u + 30 * 10, 1003, 1);
	ck_assert_uint_eq(only_exporter().lost_records, 0xfffffff0u + 300 - 49);
}
END_TEST

START_TEST(reordered_datagram_gives_back_its_loss)
{
	send_seq(0, 1000, 30);
	send_seq(60, 1002, 30);      /* 30..59 not yet here: counted lost */
	ck_assert_uint_eq(only_exporter().lost_records, 30);
	send_seq(30, 1001, 30);      /* ... and there it is */
	struct ft_exporter_stats e = only_exporter();
	ck_assert_uint_eq(e.lost_records, 0);
	ck_assert_uint_eq(e.reordered, 1);
	ck_assert_uint_eq(e.records, 90);
	send_seq(90, 1003, 1);        /* tracking continues from the newest */
	ck_assert_uint_eq(only_exporter().lost_records, 0);
}
END_TEST

START_TEST(exporter_restart_resets_tracking)
{
	send_seq(5000, 900000, 30);
	send_seq(0, 500, 30);         /* uptime and sequence back: a restart, no loss */
	struct ft_exporter_stats e = only_exporter();
	ck_assert_uint_eq(e.seq_resets, 1);
	ck_assert_uint_eq(e.lost_records, 0);
	send_seq(30, 600, 1);
	ck_assert_uint_eq(only_exporter().lost_records, 0);
}
END_TEST

START_TEST(engines_are_separate_exporters)
{
	struct v5hdr a = { .count = 1, .uptime = 1, .secs = 1, .seq = 0, .engine_id = 1 };
	struct v5hdr b = { .count = 1, .uptime = 1, .secs = 1, .seq = 500, .engine_id = 2 };
	send_dg("192.0.2.1", &a, 1);
	send_dg("192.0.2.1", &b, 1);
	a.seq = 1;
	b.seq = 501;
	send_dg("192.0.2.1", &a, 1);
	send_dg("192.0.2.1", &b, 1);
	struct ft_exporter_stats e[4];
	ck_assert_uint_eq(ft_netflow_exporters(nf, e, 4), 2);
	ck_assert_uint_eq(e[0].lost_records + e[1].lost_records, 0);
	ck_assert_uint_eq(e[0].records + e[1].records, 4);
}
END_TEST

START_TEST(bad_datagram_is_counted_and_next_one_decodes)
{
	struct v5hdr h = { .count = 2, .uptime = 1, .secs = 1 };
	struct ft_datagram dg = { .data = buf };
	ft_addr_parse("192.0.2.1", &dg.src);
	dg.len = build_v5(buf, &h, 2) - 3;
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), -FT_NF_ERR_LENGTH);
	ck_assert_int_eq(send_seq(0, 1, 2), 2);
	struct ft_exporter_stats e = only_exporter();
	ck_assert_uint_eq(e.datagrams, 2);
	ck_assert_uint_eq(e.accepted, 1);
	ck_assert_uint_eq(e.records, 2);
	ck_assert_uint_eq(e.errors[FT_NF_ERR_LENGTH], 1);
}
END_TEST

START_TEST(unreadable_header_counts_against_version_zero)
{
	static const uint8_t junk[] = { 0x00, 0x07, 1, 2, 3 };
	struct ft_datagram dg = { .data = junk, .len = sizeof(junk) };
	ft_addr_parse("2001:db8::1", &dg.src);
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), -FT_NF_ERR_VERSION);
	dg.len = 1;
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), -FT_NF_ERR_SHORT_HEADER);
	dg.len = 0;
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), -FT_NF_ERR_SHORT_HEADER);
	struct ft_exporter_stats e = only_exporter();
	ck_assert_uint_eq(e.key.version, 0);
	ck_assert_uint_eq(e.datagrams, 3);
	ck_assert_uint_eq(e.accepted, 0);
	ck_assert_uint_eq(e.errors[FT_NF_ERR_VERSION], 1);
	ck_assert_uint_eq(e.errors[FT_NF_ERR_SHORT_HEADER], 2);
}
END_TEST

START_TEST(exporter_cap_is_enforced_and_counted)
{
	struct v5hdr h = { .count = 1, .uptime = 1, .secs = 1 };
	ck_assert_int_eq(send_dg("192.0.2.1", &h, 1), 1);
	ck_assert_int_eq(send_dg("192.0.2.2", &h, 1), 1);
	ck_assert_int_eq(send_dg("192.0.2.3", &h, 1), 1);
	ck_assert_int_eq(send_dg("192.0.2.4", &h, 1), -FT_NF_ERR_EXPORTER_LIMIT);
	ck_assert_int_eq(send_dg("192.0.2.1", &h, 1), 1);      /* known ones still work */
	struct ft_exporter_stats t;
	ft_netflow_totals(nf, &t);
	ck_assert_uint_eq(t.datagrams, 5);
	ck_assert_uint_eq(t.accepted, 4);
	ck_assert_uint_eq(t.records, 4);
	ck_assert_uint_eq(t.errors[FT_NF_ERR_EXPORTER_LIMIT], 1);
	ck_assert_uint_eq(ft_netflow_exporters(nf, NULL, 0), 3);
}
END_TEST

START_TEST(table_grows_past_its_initial_size)
{
	struct ft_netflow_conf o = { .max_exporters = 1000 };
	struct ft_netflow *big = ft_netflow_new(&o);
	struct v5hdr h = { .count = 1, .uptime = 1, .secs = 1 };
	for (unsigned i = 0; i < 1000; i++) {
		struct ft_datagram dg = { .data = buf, .len = build_v5(buf, &h, 1) };
		ft_addr_from_v4(&dg.src, 0x0a000000u + i);
		batch.n = 0;
		ck_assert_int_eq(ft_netflow_input(big, &dg, &batch), 1);
		ck_assert_int_eq(ft_netflow_input(big, &dg, &batch), 1);
	}
	ck_assert_uint_eq(ft_netflow_exporters(big, NULL, 0), 1000);
	struct ft_exporter_stats t;
	ft_netflow_totals(big, &t);
	ck_assert_uint_eq(t.records, 2000);
	ft_netflow_free(big);
}
END_TEST

/* A datagram whose header, exporter and length are right is accepted, whatever its sets
 * hold: what is wrong in them is counted per set, and the good sets are kept. */
START_TEST(a_bad_set_leaves_its_datagram_accepted)
{
	static struct mb m;
	static const struct mb_field f[] = { { 1, 4, 0 }, { 8, 4, 0 } };
	mb_v9(&m, 5000, 1700000000, 0, 7);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, f, 2);
	mb_set(&m, 256);
	mb_u32(&m, 1500);
	mb_v4(&m, "10.0.0.1");
	mb_rec(&m);
	mb_set(&m, 100);                    /* reserved FlowSet ID (RFC 3954 §5.2) */
	mb_u32(&m, 0);
	struct ft_datagram dg = mb_datagram(&m, "192.0.2.1", 2055, 1000);
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), 1);

	mb_ipfix(&m, 1700000000, 0, 7);
	mb_raw_set(&m, 300, 40);            /* runs past the message */
	mb_u32(&m, 0);
	dg = mb_datagram(&m, "192.0.2.1", 2055, 1000);
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), 0);
	m.buf[3]++;                         /* the length field: now not the datagram's */
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), -FT_NF_ERR_LENGTH);

	struct ft_exporter_stats e[4];
	ck_assert_uint_eq(ft_netflow_exporters(nf, e, 4), 2);
	const struct ft_exporter_stats *v9 = e[0].key.version == 9 ? &e[0] : &e[1];
	const struct ft_exporter_stats *ipfix = e[0].key.version == 9 ? &e[1] : &e[0];
	ck_assert_uint_eq(v9->datagrams, 1);
	ck_assert_uint_eq(v9->accepted, 1);
	ck_assert_uint_eq(v9->records, 1);
	ck_assert_uint_eq(v9->errors[FT_NF_ERR_SET_ID], 1);
	ck_assert_uint_eq(ipfix->datagrams, 2);
	ck_assert_uint_eq(ipfix->accepted, 1);
	ck_assert_uint_eq(ipfix->errors[FT_NF_ERR_SET_LENGTH], 1);
	ck_assert_uint_eq(ipfix->errors[FT_NF_ERR_LENGTH], 1);
}
END_TEST

START_TEST(only_header_exporter_and_length_reasons_drop_a_datagram)
{
	for (int e = 1; e < FT_NF_ERR__MAX; e++)
		ck_assert_msg(ft_nf_error_drops_datagram(e) == (e <= FT_NF_ERR_EXPORTER_LIMIT), "%s",
		              ft_nf_error_name(e));
	ck_assert(!ft_nf_error_drops_datagram(FT_NF_OK));
}
END_TEST

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: deterministic, so a failure names its seed and repeats. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint32_t below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng_next(s) % n);
}

/* A well-formed datagram of a random kind: v5, or v9 / IPFIX with a template (now and
 * then an options template or a varlen field) and a data set, or bytes of any kind. */
static void random_datagram(uint64_t *s, struct mb *m)
{
	static const struct mb_field f[] = { { 1, 4, 0 }, { 2, 4, 0 }, { 8, 4, 0 }, { 12, 4, 0 } };
	static const struct mb_field opt[] = { { 149, 4, 0 }, { 34, 4, 0 } };
	static const struct mb_field var[] = { { 1, 4, 0 }, { 82, MB_VARLEN, 0 } };
	uint32_t kind = below(s, 8), domain = below(s, 3);
	uint16_t tid = (uint16_t)(256 + below(s, 6));
	if (kind < 2) {
		struct v5hdr h = { .count = (uint16_t)(1 + below(s, 30)), .uptime = 100000, .secs = 1,
		                   .engine_id = (uint8_t)domain };
		m->len = build_v5(m->buf, &h, h.count);
		return;
	}
	if (kind == 7) {
		m->len = below(s, 200);
		for (size_t i = 0; i < m->len; i++)
			m->buf[i] = (uint8_t)rng_next(s);
		return;
	}
	bool ipfix = kind >= 5;
	if (ipfix)
		mb_ipfix(m, 1700000000, below(s, 100), domain);
	else
		mb_v9(m, 100000, 1700000000, below(s, 100), domain);
	uint32_t shape = below(s, 3);
	mb_set(m, ipfix ? (shape == 1 ? MB_IPFIX_OPTIONS : MB_IPFIX_TEMPLATE)
	                : (shape == 1 ? MB_V9_OPTIONS : MB_V9_TEMPLATE));
	if (shape == 1 && ipfix)
		mb_ipfix_options(m, tid, opt, 2, 1);
	else if (shape == 1)
		mb_v9_options(m, tid, opt, 1, opt + 1, 1);
	else if (shape == 2 && ipfix)
		mb_template(m, tid, var, 2);
	else
		mb_template(m, tid, f, 4);
	mb_end(m);
	mb_set(m, tid);
	for (uint32_t r = below(s, 5); r-- > 0;) {
		if (shape == 2 && ipfix)
			mb_u32(m, 100), mb_var(m, "eth0", 4, false);
		else
			for (int i = 0; i < (shape == 1 ? 2 : 4); i++)
				mb_u32(m, (uint32_t)rng_next(s));
		mb_rec(m);
	}
	mb_end(m);
	mb_done(m);
}

/* Breaks it now and then: cut short, bytes flipped, a 16-bit field (a count, a length,
 * an ID) overwritten. */
static void mutate(uint64_t *s, struct mb *m)
{
	for (uint32_t k = below(s, 4); k-- > 0 && m->len;) {
		uint32_t what = below(s, 3), at = below(s, (uint32_t)m->len);
		if (what == 0)
			m->len = at;
		else if (what == 1)
			m->buf[at] ^= (uint8_t)(1 + below(s, 255));
		else if (at + 1 < m->len)
			put16(m->buf + at, (uint16_t)rng_next(s));
	}
}

static uint64_t dropped_whole(const struct ft_exporter_stats *e)
{
	uint64_t n = 0;
	for (int i = 1; i < FT_NF_ERR__MAX; i++)
		if (ft_nf_error_drops_datagram(i))
			n += e->errors[i];
	return n;
}

START_TEST(every_datagram_is_accepted_or_dropped_whole_once)
{
	static struct mb m;
	static const char *const sources[] = { "192.0.2.1", "192.0.2.2", "2001:db8::3" };
	struct ft_netflow_conf o = { .max_exporters = 12, .max_templates = 4, .max_pending_sets = 3 };
	struct ft_netflow *t = ft_netflow_new(&o);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < 30000; i++) {
		struct ft_exporter_stats before, after;
		random_datagram(&seed, &m);
		mutate(&seed, &m);
		struct ft_datagram dg = { .data = m.buf, .len = m.len, .recv_ns = 1000000000ll * i };
		ft_addr_parse(sources[below(&seed, 3)], &dg.src);
		ft_netflow_totals(t, &before);
		batch.n = 0;
		int r = ft_netflow_input(t, &dg, &batch);
		ft_netflow_totals(t, &after);
		ck_assert_uint_eq(after.datagrams, before.datagrams + 1);
		ck_assert_msg(r >= 0 || ft_nf_error_drops_datagram(-r), "datagram %u: %d", i, r);
		ck_assert_uint_eq(after.accepted, before.accepted + (r >= 0));
		ck_assert_uint_eq(dropped_whole(&after), dropped_whole(&before) + (r < 0));
	}
	ft_netflow_drop_pending(t);
	struct ft_exporter_stats e[16], total;
	size_t n = ft_netflow_exporters(t, e, 16);
	ck_assert_uint_eq(n, 12);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(e[i].datagrams, e[i].accepted + dropped_whole(&e[i]));
	ft_netflow_totals(t, &total);
	ck_assert_uint_eq(total.datagrams, total.accepted + dropped_whole(&total));
	/* every reason that drops a datagram came up, and so did some that leave it accepted */
	for (int i = 1; i <= FT_NF_ERR_EXPORTER_LIMIT; i++)
		ck_assert_msg(total.errors[i] > 0, "%s", ft_nf_error_name(i));
	ck_assert_uint_gt(total.errors[FT_NF_ERR_SET_LENGTH], 0);
	ck_assert_uint_gt(total.errors[FT_NF_ERR_NO_TEMPLATE], 0);
	ft_netflow_free(t);
}
END_TEST

START_TEST(error_names_are_stable)
{
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR_SHORT_HEADER), "short_header");
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR_VERSION), "bad_version");
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR_COUNT), "bad_count");
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR_LENGTH), "bad_length");
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR_EXPORTER_LIMIT), "exporter_limit");
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR__MAX), "unknown");
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("netflow");
	TCase *tc = tcase_create("input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counts_records_bytes_packets);
	tcase_add_test(tc, gap_counts_lost_records);
	tcase_add_test(tc, sequence_wraps_at_32_bits);
	tcase_add_test(tc, reordered_datagram_gives_back_its_loss);
	tcase_add_test(tc, exporter_restart_resets_tracking);
	tcase_add_test(tc, engines_are_separate_exporters);
	tcase_add_test(tc, bad_datagram_is_counted_and_next_one_decodes);
	tcase_add_test(tc, unreadable_header_counts_against_version_zero);
	tcase_add_test(tc, exporter_cap_is_enforced_and_counted);
	tcase_add_test(tc, table_grows_past_its_initial_size);
	tcase_add_test(tc, a_bad_set_leaves_its_datagram_accepted);
	tcase_add_test(tc, only_header_exporter_and_length_reasons_drop_a_datagram);
	tcase_add_test(tc, every_datagram_is_accepted_or_dropped_whole_once);
	tcase_add_test(tc, error_names_are_stable);
	suite_add_tcase(s, tc);
	return s;
}
