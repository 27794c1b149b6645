/* Datagram input: per-exporter counters, sequence gaps (with 32-bit wrap, reordering and
 * exporter restarts), error keying and the exporter cap. */
#include <check.h>

#include "check_main.h"
#include "flowtally/netflow.h"
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
	tcase_add_test(tc, error_names_are_stable);
	suite_add_tcase(s, tc);
	return s;
}
