/* NetFlow v5 decoder: every header and record field from hand-built datagrams, and
 * every way a datagram can be malformed. */
#include <check.h>

#include "check_main.h"
#include "flowtally/netflow.h"
#include "flowtally/nf5.h"
#include "nf5_build.h"

static uint8_t buf[24 + 48 * 31 + 16];
static struct ft_flow flows[FT_NF5_MAX_RECORDS];
static struct ft_addr exporter;

static void setup(void)
{
	ft_addr_parse("192.0.2.7", &exporter);
	memset(flows, 0xa5, sizeof(flows));
}

static int decode(size_t len, struct ft_nf5_header *h)
{
	return ft_nf5_decode(buf, len, &exporter, h, flows);
}

START_TEST(header_fields_are_read)
{
	struct v5hdr in = { .count = 2, .uptime = 3600000, .secs = 1764000000, .nsecs = 250000000,
	                    .seq = 0xdeadbeef, .engine_type = 7, .engine_id = 9,
	                    .sampling = (1u << 14) | 100 };
	struct ft_nf5_header h;
	ck_assert_int_eq(decode(build_v5(buf, &in, 2), &h), 2);
	ck_assert_uint_eq(h.version, 5);
	ck_assert_uint_eq(h.count, 2);
	ck_assert_uint_eq(h.sys_uptime_ms, 3600000);
	ck_assert_uint_eq(h.unix_secs, 1764000000);
	ck_assert_uint_eq(h.unix_nsecs, 250000000);
	ck_assert_uint_eq(h.flow_sequence, 0xdeadbeef);
	ck_assert_uint_eq(h.engine_type, 7);
	ck_assert_uint_eq(h.engine_id, 9);
	ck_assert_uint_eq(h.sampling_mode, 1);
	ck_assert_uint_eq(h.sampling_interval, 100);
	ck_assert_uint_eq(flows[0].domain, 7 << 8 | 9);
	ck_assert_uint_eq(flows[0].sampling_rate, 100);
	ck_assert_uint_eq(flows[0].sampling_mode, 1);
	ck_assert(flows[0].flags & FT_FLOW_SAMPLED);
}
END_TEST

START_TEST(record_fields_are_read)
{
	struct v5hdr in = { .count = 3, .uptime = 3600000, .secs = 1764000000, .nsecs = 250000000 };
	struct ft_nf5_header h;
	char a[FT_ADDR_STRLEN];
	ck_assert_int_eq(decode(build_v5(buf, &in, 3), &h), 3);
	const struct ft_flow *f = &flows[2];
	ck_assert(ft_addr_equal(&f->exporter, &exporter));
	ck_assert_str_eq(ft_addr_format(&f->src, a), "10.0.0.2");
	ck_assert_str_eq(ft_addr_format(&f->dst, a), "192.168.1.2");
	ck_assert_str_eq(ft_addr_format(&f->nexthop, a), "172.16.0.1");
	ck_assert_uint_eq(f->in_if, 3);
	ck_assert_uint_eq(f->out_if, 4);
	ck_assert_uint_eq(f->packets, 3);
	ck_assert_uint_eq(f->bytes, 300);
	ck_assert_uint_eq(f->sport, 1024);
	ck_assert_uint_eq(f->dport, 443);
	ck_assert_uint_eq(f->tcp_flags, 0x1b);
	ck_assert_uint_eq(f->proto, 6);
	ck_assert_uint_eq(f->tos, 0xb8);
	ck_assert_uint_eq(f->src_as, 64500);
	ck_assert_uint_eq(f->dst_as, 64501);
	ck_assert_uint_eq(f->src_mask, 24);
	ck_assert_uint_eq(f->dst_mask, 16);
	ck_assert_uint_eq(f->direction, 255);  /* v5 exports none: unknown, as flow.h says */
	ck_assert_uint_eq(f->vlan, 0);
	ck_assert_uint_eq(f->version, 5);
	ck_assert_uint_eq(f->sampling_rate, 1);
	ck_assert(!(f->flags & FT_FLOW_SAMPLED));
	/* export time 1764000000.250 s; First is 1002 ms and Last 2 ms before sysUptime */
	ck_assert_int_eq(f->start_ms, 1764000000250LL - 1002);
	ck_assert_int_eq(f->end_ms, 1764000000250LL - 2);
}
END_TEST

START_TEST(times_survive_uptime_wrap)
{
	/* sysUptime wrapped to 500 ms; the flow started 1000 ms before the wrap. */
	struct v5hdr in = { .count = 1, .uptime = 500, .secs = 1764000000 };
	struct ft_nf5_header h;
	size_t len = build_v5(buf, &in, 1);
	put32(buf + 24 + 24, 0xffffffffu - 999);   /* First */
	put32(buf + 24 + 28, 400);                  /* Last */
	ck_assert_int_eq(decode(len, &h), 1);
	ck_assert_int_eq(flows[0].start_ms, 1764000000000LL - 1500);
	ck_assert_int_eq(flows[0].end_ms, 1764000000000LL - 100);
}
END_TEST

START_TEST(last_after_header_uptime)
{
	/* Some exporters stamp Last a few ms after their own header: no underflow. */
	struct v5hdr in = { .count = 1, .uptime = 10000, .secs = 1764000000 };
	struct ft_nf5_header h;
	size_t len = build_v5(buf, &in, 1);
	put32(buf + 24 + 28, 10005);
	ck_assert_int_eq(decode(len, &h), 1);
	ck_assert_int_eq(flows[0].end_ms, 1764000000000LL + 5);
}
END_TEST

START_TEST(thirty_records_is_the_maximum)
{
	struct v5hdr in = { .count = 30, .uptime = 99999, .secs = 1 };
	struct ft_nf5_header h;
	ck_assert_int_eq(decode(build_v5(buf, &in, 30), &h), 30);
	ck_assert_uint_eq(flows[29].bytes, 3000);
	in.count = 31;
	ck_assert_int_eq(decode(build_v5(buf, &in, 31), &h), -FT_NF_ERR_COUNT);
	ck_assert_uint_eq(h.count, 31);
}
END_TEST

START_TEST(count_zero_is_rejected)
{
	struct v5hdr in = { .count = 0, .uptime = 1, .secs = 1 };
	struct ft_nf5_header h;
	ck_assert_int_eq(decode(build_v5(buf, &in, 0), &h), -FT_NF_ERR_COUNT);
}
END_TEST

START_TEST(length_must_match_count)
{
	struct v5hdr in = { .count = 2, .uptime = 1, .secs = 1 };
	struct ft_nf5_header h;
	size_t len = build_v5(buf, &in, 2);
	ck_assert_int_eq(decode(len - 1, &h), -FT_NF_ERR_LENGTH);
	ck_assert_int_eq(decode(len + 1, &h), -FT_NF_ERR_LENGTH);
	ck_assert_int_eq(decode(len - 48, &h), -FT_NF_ERR_LENGTH);
	in.count = 3;                 /* header claims more records than were sent */
	build_v5(buf, &in, 2);
	ck_assert_int_eq(decode(len, &h), -FT_NF_ERR_LENGTH);
	/* the capture ls__nf5_invalid01: count 55582 over 30 records' worth of bytes */
	put16(buf + 2, 55582);
	ck_assert_int_eq(decode(len, &h), -FT_NF_ERR_COUNT);
}
END_TEST

START_TEST(truncated_header_is_rejected)
{
	struct v5hdr in = { .count = 1, .uptime = 1, .secs = 1 };
	struct ft_nf5_header h = { .count = 77 };
	build_v5(buf, &in, 1);
	for (size_t len = 2; len < 24; len++) {
		ck_assert_int_eq(decode(len, &h), -FT_NF_ERR_SHORT_HEADER);
		ck_assert_uint_eq(h.count, 77);    /* untouched */
	}
	ck_assert_int_eq(decode(0, &h), -FT_NF_ERR_SHORT_HEADER);
	ck_assert_int_eq(decode(1, &h), -FT_NF_ERR_SHORT_HEADER);
}
END_TEST

START_TEST(wrong_version_is_rejected)
{
	struct v5hdr in = { .count = 1, .uptime = 1, .secs = 1 };
	struct ft_nf5_header h;
	size_t len = build_v5(buf, &in, 1);
	static const uint16_t versions[] = { 0, 1, 7, 9, 10, 0x0500 };
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		put16(buf, versions[i]);
		ck_assert_int_eq(decode(len, &h), -FT_NF_ERR_VERSION);
	}
}
END_TEST

START_TEST(unsampled_header_means_rate_one)
{
	struct v5hdr in = { .count = 1, .uptime = 1, .secs = 1, .sampling = 2u << 14 };
	struct ft_nf5_header h;
	ck_assert_int_eq(decode(build_v5(buf, &in, 1), &h), 1);
	ck_assert_uint_eq(h.sampling_mode, 2);
	ck_assert_uint_eq(h.sampling_interval, 0);
	ck_assert_uint_eq(flows[0].sampling_rate, 1);
}
END_TEST

/* ---- input: records that cannot be right ----------------------------------------- */

#define SECS 1764000000u
#define NOW_NS (SECS * 1000000000LL)

static struct ft_flow in_flows[64];
static struct ft_flow_batch in_batch;

static int input(struct ft_netflow *nf, size_t len, int64_t recv_ns)
{
	struct ft_datagram dg = { .src = exporter, .data = buf, .len = len, .recv_ns = recv_ns };
	in_batch = (struct ft_flow_batch){ .flows = in_flows, .cap = 64 };
	return ft_netflow_input(nf, &dg, &in_batch);
}

static struct ft_exporter_stats only(const struct ft_netflow *nf)
{
	struct ft_exporter_stats e[2];
	ck_assert_uint_eq(ft_netflow_exporters(nf, e, 2), 1);
	return e[0];
}

START_TEST(counters_beyond_the_bound_are_refused)
{
	/* Sampled 1 in 2^24 - 1 (the largest override), 2^32 - 1 bytes is past 2^50. */
	struct ft_exporter_conf x = { .sampling_override = 16777215 };
	ft_prefix_parse("192.0.2.0/24", &x.match);
	struct ft_netflow_conf o = { .exporters = &x, .n_exporters = 1 };
	struct ft_netflow *nf = ft_netflow_new(&o);
	ck_assert_ptr_nonnull(nf);
	struct v5hdr in = { .count = 3, .uptime = 3600000, .secs = SECS };
	size_t len = build_v5(buf, &in, 3);
	put32(buf + 24 + 20, 0xffffffffu);           /* record 0: dOctets */
	put32(buf + 24 + 48 * 2 + 16, 0xffffffffu);  /* record 2: dPkts */
	ck_assert_int_eq(input(nf, len, NOW_NS), 1);
	ck_assert_uint_eq(in_batch.n, 1);
	ck_assert_uint_eq(in_flows[0].bytes, 200);   /* record 1, moved up */
	ck_assert_uint_eq(in_flows[0].sampling_rate, 16777215);
	struct ft_exporter_stats e = only(nf);
	ck_assert_uint_eq(e.errors[FT_NF_ERR_IMPLAUSIBLE_COUNTER], 2);
	ck_assert_uint_eq(e.records, 1);
	ck_assert_uint_eq(e.bytes, 200);
	ck_assert_uint_eq(e.packets, 2);
	ck_assert_uint_eq(e.refused_bytes, 0xffffffffull + 300);
	ck_assert_uint_eq(e.refused_packets, 1 + 0xffffffffull);
	ck_assert_uint_eq(e.accepted, 1);
	ft_netflow_free(nf);
}
END_TEST

START_TEST(times_outside_the_window_or_before_boot_are_refused)
{
	struct ft_netflow_conf o = { .max_flow_age_ms = 7 * 86400000LL, .max_clock_skew_ms = 3600000LL };
	struct ft_netflow *nf = ft_netflow_new(&o);
	ck_assert_ptr_nonnull(nf);
	/* sysUptime 1 s: booted at export time - 1000 ms */
	struct v5hdr in = { .count = 4, .uptime = 1000, .secs = SECS };
	size_t len = build_v5(buf, &in, 4);
	put32(buf + 24 + 24, 1000 - 3700000u);                   /* 0: Last over an hour */
	put32(buf + 24 + 28, 1000 - 3601001u);                   /*    before boot */
	put32(buf + 24 + 48 + 28, 0xfffff000u);                  /* 1: 4 s before: kept */
	put32(buf + 24 + 48 * 2 + 28, 1000 + 7200000u);          /* 2: Last 2 h ahead */
	put32(buf + 24 + 48 * 3 + 24, 1000 - 0x7fffffffu);       /* 3: First 24.8 days ago */
	ck_assert_int_eq(input(nf, len, NOW_NS), 1);
	ck_assert_uint_eq(in_flows[0].bytes, 200);
	ck_assert_int_eq(in_flows[0].end_ms, SECS * 1000LL - 1000 - 4096);
	struct ft_exporter_stats e = only(nf);
	ck_assert_uint_eq(e.errors[FT_NF_ERR_TIME_RANGE], 3);
	ck_assert_uint_eq(e.records, 1);
	ck_assert_uint_eq(e.refused_bytes, 100 + 300 + 400);
	/* an export header of 1970, received now: every record */
	in = (struct v5hdr){ .count = 2, .uptime = 3600000, .secs = 1, .seq = 4 };
	ck_assert_int_eq(input(nf, build_v5(buf, &in, 2), NOW_NS), 0);
	ck_assert_uint_eq(in_batch.n, 0);
	e = only(nf);
	ck_assert_uint_eq(e.errors[FT_NF_ERR_TIME_RANGE], 5);
	ck_assert_uint_eq(e.lost_records, 0);        /* the sequence counts them all */
	ft_netflow_free(nf);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("nf5");
	TCase *tc = tcase_create("decode");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, header_fields_are_read);
	tcase_add_test(tc, record_fields_are_read);
	tcase_add_test(tc, times_survive_uptime_wrap);
	tcase_add_test(tc, last_after_header_uptime);
	tcase_add_test(tc, thirty_records_is_the_maximum);
	tcase_add_test(tc, count_zero_is_rejected);
	tcase_add_test(tc, length_must_match_count);
	tcase_add_test(tc, truncated_header_is_rejected);
	tcase_add_test(tc, wrong_version_is_rejected);
	tcase_add_test(tc, unsampled_header_means_rate_one);
	suite_add_tcase(s, tc);
	tc = tcase_create("implausible");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, counters_beyond_the_bound_are_refused);
	tcase_add_test(tc, times_outside_the_window_or_before_boot_are_refused);
	suite_add_tcase(s, tc);
	return s;
}
