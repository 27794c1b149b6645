/* NetFlow v9 (RFC 3954) through ft_netflow_input(): record fields, template scoping and
 * lifetime, data waiting for its template, options data (sampling, interface names),
 * times, sequence numbers, and every malformed FlowSet class, from hand-built
 * datagrams (msg_build.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/log.h"
#include "netflow_int.h"
#include "nf_fixture.h"

#define EXP "192.0.2.1"
#define SID 77u
#define SECS 1764000000u
#define UPTIME 3600000u
#define EXPORT_MS (SECS * 1000LL)
#define NOW_NS (SECS * 1000000000LL)

static int send_dg(const char *src, uint16_t sport, int64_t recv_ns)
{
	return nf_send(src, sport, recv_ns);
}

static int send_msg(void)
{
	return send_dg(EXP, 2055, NOW_NS);
}

static struct ft_exporter_stats stats_of(const char *addr, uint32_t domain)
{
	return nf_stats(addr, 9, domain);
}

static struct ft_exporter_stats stats(void)
{
	return stats_of(EXP, SID);
}

/* ---- the IPv4 template used throughout ------------------------------------------ */

static const struct mb_field v4_fields[] = {
	{ 8, 4, 0 }, { 12, 4, 0 }, { 15, 4, 0 }, { 18, 4, 0 },   /* addresses, next hops */
	{ 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 5, 1, 0 }, { 6, 1, 0 },
	{ 9, 1, 0 }, { 13, 1, 0 }, { 61, 1, 0 },                 /* masks, direction */
	{ 10, 2, 0 }, { 14, 4, 0 }, { 16, 2, 0 }, { 17, 4, 0 }, { 58, 2, 0 },
	{ 1, 4, 0 }, { 2, 8, 0 }, { 22, 4, 0 }, { 21, 4, 0 },    /* IN_BYTES 4, IN_PKTS 8 */
};
#define V4_LEN 60

static void v4_template(uint16_t tid)
{
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, tid, v4_fields, N(v4_fields));
	mb_end(&m);
}

/* Record i: 10.0.0.i -> 192.168.1.i, sport 1024+i, 1000*(i+1) bytes, i+1 packets,
 * FIRST 10 s + i ms and LAST 1 s + i ms before the header's sysUptime. */
static void v4_record(uint32_t i, uint32_t uptime)
{
	mb_u32(&m, 0x0a000000u | i);
	mb_u32(&m, 0xc0a80100u | i);
	mb_v4(&m, "172.16.0.1");
	mb_v4(&m, "203.0.113.9");
	mb_u16(&m, (uint16_t)(1024 + i));
	mb_u16(&m, 443);
	mb_u8(&m, 6);
	mb_u8(&m, 0xb8);
	mb_u8(&m, 0x1b);
	mb_u8(&m, 24);
	mb_u8(&m, 16);
	mb_u8(&m, 1);
	mb_u16(&m, 3);
	mb_u32(&m, 4);
	mb_u16(&m, 64500);
	mb_u32(&m, 4200000000u);
	mb_u16(&m, 100);
	mb_u32(&m, 1000 * (i + 1));
	mb_u64(&m, i + 1);
	mb_u32(&m, uptime - 10000 - i);
	mb_u32(&m, uptime - 1000 - i);
	mb_rec(&m);
}

static void v4_data(uint16_t tid, uint32_t first, uint32_t n)
{
	mb_set(&m, tid);
	for (uint32_t i = 0; i < n; i++)
		v4_record(first + i, UPTIME);
	mb_end(&m);
}

/* A flow from v4_record(i) in a datagram stamped export_ms. */
static void assert_v4_flow(const struct ft_flow *f, uint32_t i, int64_t export_ms)
{
	char want[32];
	struct ft_addr e;
	ft_addr_parse(EXP, &e);
	ck_assert(ft_addr_equal(&f->exporter, &e));
	ck_assert_uint_eq(f->version, 9);
	ck_assert_uint_eq(f->domain, SID);
	snprintf(want, sizeof(want), "10.0.0.%u", i);
	assert_addr(&f->src, want);
	snprintf(want, sizeof(want), "192.168.1.%u", i);
	assert_addr(&f->dst, want);
	assert_addr(&f->nexthop, "172.16.0.1");
	assert_addr(&f->bgp_nexthop, "203.0.113.9");
	ck_assert_uint_eq(f->sport, 1024 + i);
	ck_assert_uint_eq(f->dport, 443);
	ck_assert_uint_eq(f->proto, 6);
	ck_assert_uint_eq(f->tos, 0xb8);
	ck_assert_uint_eq(f->tcp_flags, 0x1b);
	ck_assert_uint_eq(f->src_mask, 24);
	ck_assert_uint_eq(f->dst_mask, 16);
	ck_assert_uint_eq(f->direction, 1);
	ck_assert_uint_eq(f->in_if, 3);
	ck_assert_uint_eq(f->out_if, 4);
	ck_assert_uint_eq(f->src_as, 64500);
	ck_assert_uint_eq(f->dst_as, 4200000000u);
	ck_assert_uint_eq(f->vlan, 100);
	ck_assert_uint_eq(f->bytes, 1000 * (i + 1));
	ck_assert_uint_eq(f->packets, i + 1);
	ck_assert_uint_eq(f->counter, FT_COUNTER_DELTA);
	ck_assert_uint_eq(f->post_bytes, 0);
	ck_assert_uint_eq(f->total_bytes, 0);
	ck_assert_uint_eq(f->sampling_rate, 1);
	ck_assert_uint_eq(f->flags, FT_FLOW_TIMES_ABSOLUTE);
	/* RFC 3954 §8: FIRST/LAST_SWITCHED are sysUptime ms; export time is unix_secs. */
	ck_assert_int_eq(f->start_ms, export_ms - 10000 - i);
	ck_assert_int_eq(f->end_ms, export_ms - 1000 - i);
}

/* ---- record fields -------------------------------------------------------------- */

START_TEST(v4_record_fields_are_decoded)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(m.buf[3], 3);            /* count: one template + two data records */
	ck_assert_uint_eq(n_got, 2);
	assert_v4_flow(&got[0], 1, EXPORT_MS);
	assert_v4_flow(&got[1], 2, EXPORT_MS);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.key.version, 9);
	ck_assert_uint_eq(s.datagrams, 1);
	ck_assert_uint_eq(s.records, 2);
	ck_assert_uint_eq(s.bytes, 2000 + 3000);
	ck_assert_uint_eq(s.packets, 2 + 3);
	ck_assert_uint_eq(s.templates, 1);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

START_TEST(v6_record_fields_and_next_hops)
{
	static const struct mb_field f[] = {
		{ 27, 16, 0 }, { 28, 16, 0 }, { 62, 16, 0 }, { 63, 16, 0 }, { 29, 1, 0 }, { 30, 1, 0 },
		{ 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 1, 8, 0 }, { 2, 4, 0 }, { 243, 2, 0 },
	};
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 257, f, N(f));
	mb_set(&m, 257);
	mb_v6(&m, "2001:db8::1");
	mb_v6(&m, "2001:db8::2");
	mb_v6(&m, "fe80::1");
	mb_v6(&m, "2001:db8:ffff::9");
	mb_u8(&m, 48);
	mb_u8(&m, 64);
	mb_u16(&m, 53);
	mb_u16(&m, 5353);
	mb_u8(&m, 17);
	mb_u64(&m, 123456789012ull);
	mb_u32(&m, 99);
	mb_u16(&m, 4094);
	mb_end(&m);                                /* 85-byte record, 3 bytes padding */
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(n_got, 1);
	const struct ft_flow *g = &got[0];
	assert_addr(&g->src, "2001:db8::1");
	assert_addr(&g->dst, "2001:db8::2");
	assert_addr(&g->nexthop, "fe80::1");
	assert_addr(&g->bgp_nexthop, "2001:db8:ffff::9");
	ck_assert_uint_eq(g->src_mask, 48);
	ck_assert_uint_eq(g->dst_mask, 64);
	ck_assert_uint_eq(g->sport, 53);
	ck_assert_uint_eq(g->dport, 5353);
	ck_assert_uint_eq(g->proto, 17);
	ck_assert_uint_eq(g->bytes, 123456789012ull);
	ck_assert_uint_eq(g->packets, 99);
	ck_assert_uint_eq(g->vlan, 4094);          /* dot1qVlanId (243) when 58 is absent */
	ck_assert_uint_eq(g->direction, 255);      /* no flowDirection: unknown */
	/* no time fields: the export time, not marked absolute */
	ck_assert_int_eq(g->start_ms, EXPORT_MS);
	ck_assert_int_eq(g->end_ms, EXPORT_MS);
	ck_assert_uint_eq(g->flags, 0);
	struct ft_exporter_stats st = stats();
	ck_assert_uint_eq(error_sum(&st), 0);
}
END_TEST

START_TEST(post_counters_are_extras)
{
	static const struct mb_field both[] = { { 1, 4, 0 }, { 2, 4, 0 }, { 23, 4, 0 }, { 24, 4, 0 } };
	static const struct mb_field post[] = { { 8, 4, 0 }, { 23, 8, 0 }, { 24, 8, 0 } };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 258, both, N(both));
	mb_template(&m, 259, post, N(post));
	mb_set(&m, 258);
	mb_u32(&m, 100), mb_u32(&m, 2), mb_u32(&m, 90), mb_u32(&m, 1);
	mb_set(&m, 259);
	mb_v4(&m, "10.1.1.1"), mb_u64(&m, 5000), mb_u64(&m, 7);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got[0].counter, FT_COUNTER_DELTA);
	ck_assert_uint_eq(got[0].bytes, 100);
	ck_assert_uint_eq(got[0].packets, 2);
	ck_assert_uint_eq(got[0].post_bytes, 90);
	ck_assert_uint_eq(got[0].post_packets, 1);
	/* OUT_BYTES/OUT_PKTS alone are the volume */
	ck_assert_uint_eq(got[1].counter, FT_COUNTER_POST);
	ck_assert_uint_eq(got[1].bytes, 5000);
	ck_assert_uint_eq(got[1].packets, 7);
	ck_assert_uint_eq(got[1].post_bytes, 0);
	ck_assert_uint_eq(got[1].flags & FT_FLOW_NOT_ACCOUNTED, 0);
	ck_assert_uint_eq(stats().bytes, 5100);
}
END_TEST

static void totals_datagram(void)
{
	static const struct mb_field total[] = { { 85, 8, 0 }, { 86, 8, 0 } };
	static const struct mb_field both[] = { { 1, 4, 0 }, { 2, 4, 0 }, { 85, 8, 0 }, { 86, 8, 0 } };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 260, total, N(total));
	mb_template(&m, 261, both, N(both));
	mb_set(&m, 260);
	mb_u64(&m, 1000000), mb_u64(&m, 1000);
	mb_set(&m, 261);
	mb_u32(&m, 10), mb_u32(&m, 1), mb_u64(&m, 2000000), mb_u64(&m, 2000);
}

START_TEST(total_counters_are_not_accounted)
{
	totals_datagram();
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got[0].counter, FT_COUNTER_TOTAL);
	ck_assert_uint_eq(got[0].bytes, 1000000);
	ck_assert_uint_eq(got[0].packets, 1000);
	ck_assert(got[0].flags & FT_FLOW_NOT_ACCOUNTED);
	ck_assert_uint_eq(got[1].counter, FT_COUNTER_DELTA);
	ck_assert_uint_eq(got[1].bytes, 10);
	ck_assert_uint_eq(got[1].total_bytes, 2000000);
	ck_assert_uint_eq(got[1].total_packets, 2000);
	ck_assert_uint_eq(got[1].flags & FT_FLOW_NOT_ACCOUNTED, 0);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.records, 2);
	ck_assert_uint_eq(s.bytes, 10);
	ck_assert_uint_eq(s.packets, 1);
}
END_TEST

START_TEST(count_totals_accounts_total_counters)
{
	struct ft_exporter_conf c = { .count_totals = true };
	ck_assert_int_eq(ft_prefix_parse("192.0.2.0/24", &c.match), 0);
	struct ft_netflow_conf o = { .exporters = &c, .n_exporters = 1 };
	open_nf(&o);
	totals_datagram();
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(got[0].counter, FT_COUNTER_TOTAL);
	ck_assert_uint_eq(got[0].flags & FT_FLOW_NOT_ACCOUNTED, 0);
	ck_assert_uint_eq(stats().bytes, 1000010);
	ck_assert_uint_eq(stats().packets, 1001);
}
END_TEST

/* ---- templates: scope, arrival order, lifetime ---------------------------------- */

START_TEST(template_and_data_in_separate_datagrams)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	ck_assert_int_eq(send_msg(), 0);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_data(256, 7, 3);
	ck_assert_int_eq(send_msg(), 3);
	ck_assert_uint_eq(n_got, 3);
	assert_v4_flow(&got[2], 9, EXPORT_MS);
	ck_assert_uint_eq(stats().pending_decoded, 0);
}
END_TEST

START_TEST(templates_are_shared_across_source_ports)
{
	/* RFC 3954 §5.1: templates belong to (exporter, source ID), not to a UDP port. */
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	ck_assert_int_eq(send_dg(EXP, 1000, NOW_NS), 0);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_dg(EXP, 40000, NOW_NS), 2);
	ck_assert_uint_eq(ft_netflow_exporters(nf, NULL, 0), 1);
	ck_assert_uint_eq(stats().datagrams, 2);
}
END_TEST

START_TEST(source_ids_and_addresses_are_separate)
{
	mb_v9(&m, UPTIME, SECS, 0, 1);
	v4_template(256);
	send_msg();
	mb_v9(&m, UPTIME, SECS, 0, 2);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 0);           /* source ID 2 has no template 256 */
	mb_v9(&m, UPTIME, SECS, 0, 1);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_dg("192.0.2.2", 2055, NOW_NS), 0);   /* nor another address */
	ck_assert_uint_eq(n_got, 0);
	mb_v9(&m, UPTIME, SECS, 1, 1);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(got[0].domain, 1);
	ck_assert_uint_eq(ft_netflow_exporters(nf, NULL, 0), 3);
	ck_assert_uint_eq(stats_of(EXP, 2).pending_sets, 1);
	ck_assert_uint_eq(stats_of("192.0.2.2", 1).pending_sets, 1);
	ck_assert_uint_eq(stats_of(EXP, 1).pending_sets, 0);
}
END_TEST

START_TEST(data_before_template_is_decoded_when_it_arrives)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 0);
	ck_assert_uint_eq(n_got, 0);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.pending_sets, 1);
	ck_assert_uint_eq(s.records, 0);
	/* the template comes 5 s later; the records keep their own datagram's times */
	mb_v9(&m, UPTIME + 5000, SECS + 5, 1, SID);
	v4_template(256);
	send_dg(EXP, 2055, NOW_NS + 5000000000LL);
	ck_assert_uint_eq(n_got, 2);
	assert_v4_flow(&got[0], 1, EXPORT_MS);
	assert_v4_flow(&got[1], 2, EXPORT_MS);
	s = stats();
	ck_assert_uint_eq(s.pending_sets, 0);
	ck_assert_uint_eq(s.pending_decoded, 1);
	ck_assert_uint_eq(s.records, 2);
	ck_assert_uint_eq(s.bytes, 5000);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

START_TEST(data_set_ahead_of_its_template_in_one_datagram)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_data(256, 1, 2);
	v4_template(256);
	send_msg();
	ck_assert_uint_eq(n_got, 2);
	assert_v4_flow(&got[0], 1, EXPORT_MS);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.records, 2);
	ck_assert_uint_eq(s.pending_sets, 0);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

START_TEST(late_records_count_with_the_template_datagram)
{
	/* netflow.h: records decoded late count with the datagram that brought the template. */
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 0);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_template(256);
	v4_data(256, 3, 1);
	ck_assert_int_eq(send_msg(), 3);
	ck_assert_uint_eq(n_got, 3);
}
END_TEST

START_TEST(pending_overflow_counts_no_template)
{
	struct ft_netflow_conf o = { .max_pending_sets = 2, .max_pending_bytes = 1u << 20 };
	open_nf(&o);
	for (uint32_t i = 0; i < 3; i++) {
		mb_v9(&m, UPTIME, SECS, i, SID);
		v4_data(256, i + 1, 1);
		ck_assert_int_eq(send_msg(), 0);
	}
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.pending_sets, 2);
	ck_assert_uint_eq(s.errors[FT_NF_ERR_NO_TEMPLATE], 1);   /* the oldest went */
	mb_v9(&m, UPTIME, SECS, 3, SID);
	v4_template(256);
	send_msg();
	ck_assert_uint_eq(n_got, 2);
	assert_v4_flow(&got[0], 2, EXPORT_MS);
	assert_v4_flow(&got[1], 3, EXPORT_MS);
	s = stats();
	ck_assert_uint_eq(s.pending_sets, 0);
	ck_assert_uint_eq(s.pending_decoded, 2);
	ck_assert_uint_eq(s.errors[FT_NF_ERR_NO_TEMPLATE], 1);
}
END_TEST

START_TEST(pending_bytes_cap_counts_no_template)
{
	struct ft_netflow_conf o = { .max_pending_sets = 100, .max_pending_bytes = 100 };
	open_nf(&o);
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_data(256, 1, 1);                        /* 60 bytes */
	v4_data(256, 2, 1);                        /* 120 > 100: the first goes */
	send_msg();
	ck_assert_uint_eq(stats().errors[FT_NF_ERR_NO_TEMPLATE], 1);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_data(256, 3, 2);                        /* 120 bytes: never fits */
	send_msg();
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_NO_TEMPLATE], 2);
	ck_assert_uint_eq(s.pending_sets, 1);
	mb_v9(&m, UPTIME, SECS, 2, SID);
	v4_template(256);
	send_msg();
	ck_assert_uint_eq(n_got, 1);
	assert_v4_flow(&got[0], 2, EXPORT_MS);
}
END_TEST

START_TEST(drop_pending_counts_leftovers)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_data(256, 1, 1);
	v4_data(257, 2, 1);
	send_msg();
	mb_v9(&m, UPTIME, SECS, 0, SID + 1);
	v4_data(256, 3, 1);
	send_msg();
	ck_assert_uint_eq(stats().pending_sets, 2);
	ft_netflow_drop_pending(nf);
	struct ft_exporter_stats t;
	ft_netflow_totals(nf, &t);
	ck_assert_uint_eq(t.errors[FT_NF_ERR_NO_TEMPLATE], 3);
	ck_assert_uint_eq(t.pending_sets, 0);
	ck_assert_uint_eq(stats().errors[FT_NF_ERR_NO_TEMPLATE], 2);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_template(256);
	send_msg();
	ck_assert_uint_eq(n_got, 0);               /* nothing left to decode */
	ck_assert_uint_eq(stats().pending_decoded, 0);
}
END_TEST

START_TEST(template_redefinition_uses_the_new_layout)
{
	static const struct mb_field a[] = { { 8, 4, 0 }, { 1, 4, 0 } };
	static const struct mb_field b[] = { { 1, 8, 0 }, { 12, 4, 0 }, { 2, 2, 0 } };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, a, N(a));
	mb_set(&m, 256);
	mb_v4(&m, "10.9.9.9"), mb_u32(&m, 100);
	ck_assert_int_eq(send_msg(), 1);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, b, N(b));
	mb_set(&m, 256);
	mb_u64(&m, 7), mb_v4(&m, "198.51.100.7"), mb_u16(&m, 3);
	mb_end(&m);
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got[0].bytes, 100);
	assert_addr(&got[0].src, "10.9.9.9");
	ck_assert_uint_eq(got[1].bytes, 7);
	ck_assert_uint_eq(got[1].packets, 3);
	assert_addr(&got[1].dst, "198.51.100.7");
	ck_assert(!ft_addr_equal(&got[1].src, &got[0].src));
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.template_changes, 1);
	ck_assert_uint_eq(s.templates, 2);
	ck_assert_uint_eq(s.templates_active, 1);
	/* sending the same template again is a refresh, not a change */
	mb_v9(&m, UPTIME, SECS, 2, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, b, N(b));
	send_msg();
	s = stats();
	ck_assert_uint_eq(s.template_changes, 1);
	ck_assert_uint_eq(s.templates, 3);
}
END_TEST

START_TEST(template_expires_after_its_lifetime)
{
	struct ft_netflow_conf o = { .template_lifetime = 60 };
	open_nf(&o);
	const int64_t s1 = 1000000000LL;
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	v4_data(256, 1, 1);
	ck_assert_int_eq(send_dg(EXP, 2055, NOW_NS), 1);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_data(256, 2, 1);
	ck_assert_int_eq(send_dg(EXP, 2055, NOW_NS + 50 * s1), 1);
	/* refreshed at +50 s: alive until +110 s */
	mb_v9(&m, UPTIME, SECS, 2, SID);
	v4_template(256);
	send_dg(EXP, 2055, NOW_NS + 50 * s1);
	mb_v9(&m, UPTIME, SECS, 3, SID);
	v4_data(256, 3, 1);
	ck_assert_int_eq(send_dg(EXP, 2055, NOW_NS + 100 * s1), 1);
	/* +111 s: expired, so the data waits */
	mb_v9(&m, UPTIME, SECS, 4, SID);
	v4_data(256, 4, 1);
	ck_assert_int_eq(send_dg(EXP, 2055, NOW_NS + 111 * s1), 0);
	ck_assert_uint_eq(n_got, 3);
	ck_assert_uint_eq(stats().pending_sets, 1);
	mb_v9(&m, UPTIME, SECS, 5, SID);
	v4_template(256);
	send_dg(EXP, 2055, NOW_NS + 112 * s1);
	ck_assert_uint_eq(n_got, 4);
	assert_v4_flow(&got[3], 4, EXPORT_MS);
	ck_assert_uint_eq(stats().pending_decoded, 1);
	ck_assert_uint_eq(stats().template_changes, 0);
}
END_TEST

START_TEST(template_cap_counts_template_limit)
{
	static const struct mb_field other[] = { { 1, 8, 0 } };
	struct ft_netflow_conf o = { .max_templates = 2 };
	open_nf(&o);
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, v4_fields, N(v4_fields));
	mb_template(&m, 257, v4_fields, N(v4_fields));
	mb_template(&m, 258, v4_fields, N(v4_fields));
	v4_data(258, 1, 1);
	v4_data(257, 2, 1);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_LIMIT], 1);
	ck_assert_uint_eq(s.templates_active, 2);
	ck_assert_uint_eq(s.pending_sets, 1);
	/* a known ID may still be redefined at the cap; a new one may not */
	mb_v9(&m, UPTIME, SECS, 1, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, other, N(other));
	mb_template(&m, 259, other, N(other));
	mb_set(&m, 256);
	mb_u64(&m, 42);
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(got[n_got - 1].bytes, 42);
	s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_LIMIT], 2);
	ck_assert_uint_eq(s.template_changes, 1);
	ck_assert_uint_eq(s.templates_active, 2);
}
END_TEST

/* ---- options: sampling and interface names -------------------------------------- */

/* Options template 300 (scope: system) with SAMPLING_INTERVAL 34 and ALGORITHM 35, and
 * its data record announcing 1 in `rate`. */
static void sampling_options(uint32_t rate)
{
	static const struct mb_field scope[] = { { 1, 4, 0 } };
	static const struct mb_field opt[] = { { 34, 4, 0 }, { 35, 1, 0 } };
	mb_set(&m, MB_V9_OPTIONS);
	mb_v9_options(&m, 300, scope, 1, opt, 2);
	mb_end(&m);                                /* 22 bytes, 2 of padding (§6.1) */
	mb_set(&m, 300);
	mb_u32(&m, 0), mb_u32(&m, rate), mb_u8(&m, 2);
	mb_rec(&m);
	mb_end(&m);
}

START_TEST(options_sampling_interval_applies_to_records)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	sampling_options(34);
	v4_template(256);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 3);           /* one options record, two flows */
	ck_assert_uint_eq(n_got, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_uint_eq(got[i].sampling_rate, 34);
		ck_assert_uint_eq(got[i].flags, FT_FLOW_SAMPLED | FT_FLOW_TIMES_ABSOLUTE);
		ck_assert_uint_eq(got[i].bytes, 1000 * (i + 2));   /* as exported */
	}
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.option_records, 1);
	ck_assert_uint_eq(s.records, 2);
	ck_assert_uint_eq(s.sampling_rate, 34);
	ck_assert_uint_eq(s.templates, 2);
	ck_assert_uint_eq(error_sum(&s), 0);
	/* the rate stays for later datagrams */
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_data(256, 3, 1);
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(got[2].sampling_rate, 34);
}
END_TEST

START_TEST(sampler_ids_have_their_own_rates)
{
	/* FLOW_SAMPLER_ID 48, FLOW_SAMPLER_MODE 49, FLOW_SAMPLER_RANDOM_INTERVAL 50 */
	static const struct mb_field scope[] = { { 1, 4, 0 } };
	static const struct mb_field opt[] = { { 48, 1, 0 }, { 49, 1, 0 }, { 50, 4, 0 } };
	static const struct mb_field data[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 48, 1, 0 } };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_OPTIONS);
	mb_v9_options(&m, 301, scope, 1, opt, 3);
	mb_end(&m);
	mb_set(&m, 301);
	mb_u32(&m, 0), mb_u8(&m, 1), mb_u8(&m, 2), mb_u32(&m, 100);
	mb_u32(&m, 0), mb_u8(&m, 2), mb_u8(&m, 2), mb_u32(&m, 1000);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 257, data, N(data));
	mb_set(&m, 257);
	for (uint8_t id = 1; id <= 3; id++)
		mb_v4(&m, "10.0.0.1"), mb_u32(&m, id), mb_u8(&m, id);
	mb_end(&m);
	ck_assert_int_eq(send_msg(), 5);
	ck_assert_uint_eq(n_got, 3);
	ck_assert_uint_eq(got[0].sampling_rate, 100);
	ck_assert_uint_eq(got[1].sampling_rate, 1000);
	ck_assert_uint_eq(got[2].sampling_rate, 1);       /* sampler 3 was never announced */
	ck_assert(got[0].flags & FT_FLOW_SAMPLED);
	ck_assert(!(got[2].flags & FT_FLOW_SAMPLED));
	ck_assert_uint_eq(stats().option_records, 2);
}
END_TEST

START_TEST(sampler_refresh_is_not_a_rate_change)
{
	/* Exporters resend options data periodically; two samplers announcing the same
	 * rates again change nothing (netflow.h: sampling_changes counts changes). */
	static const struct mb_field scope[] = { { 1, 4, 0 } };
	static const struct mb_field opt[] = { { 48, 1, 0 }, { 50, 4, 0 } };
	uint64_t after_first = 0;
	for (uint32_t round = 0; round < 3; round++) {
		mb_v9(&m, UPTIME + round, SECS, round, SID);
		mb_set(&m, MB_V9_OPTIONS);
		mb_v9_options(&m, 301, scope, 1, opt, 2);
		mb_end(&m);
		mb_set(&m, 301);
		mb_u32(&m, 0), mb_u8(&m, 1), mb_u32(&m, 100);
		mb_u32(&m, 0), mb_u8(&m, 2), mb_u32(&m, 1000);
		mb_end(&m);
		ck_assert_int_eq(send_msg(), 2);
		if (round == 0)
			after_first = stats().sampling_changes;
	}
	ck_assert_uint_eq(stats().sampling_changes, after_first);
}
END_TEST

START_TEST(a_rate_change_is_logged_with_the_rate_before_it)
{
	/* Sampler 1, new, announces 1 in 100 where none was in force (1 in 1), then 1 in
	 * 250: each line names the new rate and the one in force before it. */
	static const struct mb_field scope[] = { { 1, 4, 0 } };
	static const struct mb_field opt[] = { { 48, 1, 0 }, { 50, 4, 0 } };
	char path[] = "/tmp/ft-nf9-log-XXXXXX", text[4096] = "";
	int fd = mkstemp(path), saved = dup(2);
	ck_assert(fd >= 0 && saved >= 0);
	int level = ft_log_level;
	ft_log_level = FT_LOG_NOTICE;
	dup2(fd, 2);
	for (uint32_t round = 0; round < 2; round++) {
		mb_v9(&m, UPTIME + round, SECS, round, SID);
		mb_set(&m, MB_V9_OPTIONS);
		mb_v9_options(&m, 301, scope, 1, opt, 2);
		mb_end(&m);
		mb_set(&m, 301);
		mb_u32(&m, 0), mb_u8(&m, 1), mb_u32(&m, round ? 250 : 100);
		mb_end(&m);
		ck_assert_int_eq(send_msg(), 1);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ft_log_level = level;
	ck_assert(pread(fd, text, sizeof(text) - 1, 0) > 0);
	close(fd);
	unlink(path);
	ck_assert_msg(strstr(text, "sampler 1 sampling rate 1 in 100 (was 1 in 1)"), "logged: %s", text);
	ck_assert_msg(strstr(text, "sampler 1 sampling rate 1 in 250 (was 1 in 100)"), "logged: %s", text);
}
END_TEST

START_TEST(configured_override_wins)
{
	struct ft_exporter_conf c = { .sampling_override = 7, .sampling_default = 3 };
	ck_assert_int_eq(ft_prefix_parse("192.0.2.0/24", &c.match), 0);
	struct ft_netflow_conf o = { .exporters = &c, .n_exporters = 1 };
	open_nf(&o);
	mb_v9(&m, UPTIME, SECS, 0, SID);
	sampling_options(34);
	v4_template(256);
	v4_data(256, 1, 1);
	send_msg();
	send_dg("198.51.100.9", 2055, NOW_NS);     /* not matched by the configuration */
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got[0].sampling_rate, 7);
	ck_assert(got[0].flags & FT_FLOW_SAMPLED);
	ck_assert_uint_eq(got[1].sampling_rate, 34);
}
END_TEST

START_TEST(configured_default_when_nothing_announced)
{
	struct ft_exporter_conf c = { .sampling_default = 10 };
	ck_assert_int_eq(ft_prefix_parse(EXP, &c.match), 0);
	struct ft_netflow_conf o = { .exporters = &c, .n_exporters = 1 };
	open_nf(&o);
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	v4_data(256, 1, 1);
	send_msg();
	send_dg("192.0.2.2", 2055, NOW_NS);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	sampling_options(34);
	v4_data(256, 2, 1);
	send_msg();
	ck_assert_uint_eq(n_got, 3);
	ck_assert_uint_eq(got[0].sampling_rate, 10);
	ck_assert(got[0].flags & FT_FLOW_SAMPLED);
	ck_assert_uint_eq(got[1].sampling_rate, 1);       /* 192.0.2.2: no configuration */
	ck_assert_uint_eq(got[2].sampling_rate, 34);      /* announced beats the default */
}
END_TEST

START_TEST(interface_names_from_options)
{
	/* scope type 2 (interface), IF_NAME 82 and IF_DESC 83, fixed length */
	static const struct mb_field scope[] = { { 2, 4, 0 } };
	static const struct mb_field opt[] = { { 82, 16, 0 }, { 83, 32, 0 } };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_OPTIONS);
	mb_v9_options(&m, 302, scope, 1, opt, 2);
	mb_end(&m);
	mb_set(&m, 302);
	mb_u32(&m, 3), mb_str(&m, "Gi0/0/3", 16), mb_str(&m, "uplink to core", 32);
	mb_u32(&m, 4), mb_str(&m, "TenGigE0/1/0/12X", 16), mb_str(&m, "", 32);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 0);
	struct ft_exporter_key k = { .version = 9, .domain = SID };
	ft_addr_parse(EXP, &k.addr);
	struct exporter *e = ft_exporter_get(nf, &k, NOW_NS);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->opt.n_ifnames, 2);
	ck_assert_uint_eq(e->opt.ifnames[0].ifindex, 3);
	ck_assert_str_eq(e->opt.ifnames[0].name, "Gi0/0/3");
	ck_assert_str_eq(e->opt.ifnames[0].desc, "uplink to core");
	ck_assert_uint_eq(e->opt.ifnames[1].ifindex, 4);
	ck_assert_str_eq(e->opt.ifnames[1].name, "TenGigE0/1/0/12X");
	ck_assert_str_eq(e->opt.ifnames[1].desc, "");
	ck_assert_uint_eq(stats().option_records, 2);
}
END_TEST

/* ---- times and sequence numbers ------------------------------------------------- */

START_TEST(switched_times_across_uptime_wrap)
{
	static const struct mb_field f[] = { { 22, 4, 0 }, { 21, 4, 0 }, { 1, 4, 0 } };
	/* sysUptime wrapped 5 s ago; the flow started 4096 ms before the wrap */
	mb_v9(&m, 5000, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, f, N(f));
	mb_set(&m, 256);
	mb_u32(&m, 0xfffff000u), mb_u32(&m, 1000), mb_u32(&m, 1);
	mb_u32(&m, 4000), mb_u32(&m, 5005), mb_u32(&m, 2);   /* LAST just after the header */
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_int_eq(got[0].start_ms, EXPORT_MS - 5000 - 4096);
	ck_assert_int_eq(got[0].end_ms, EXPORT_MS - 4000);
	ck_assert_int_eq(got[1].start_ms, EXPORT_MS - 1000);
	ck_assert_int_eq(got[1].end_ms, EXPORT_MS + 5);
	ck_assert(got[0].flags & FT_FLOW_TIMES_ABSOLUTE);
}
END_TEST

START_TEST(sequence_counts_datagrams)
{
	/* RFC 3954 §5.1: the sequence counts export packets, whatever they carry. */
	static const uint32_t seq[] = { 10, 11, 12, 15, 16 };
	for (size_t i = 0; i < N(seq); i++) {
		mb_v9(&m, UPTIME + (uint32_t)i, SECS, seq[i], SID);
		if (i == 0)
			v4_template(256);
		else
			v4_data(256, 1, 3);
		send_msg();
	}
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.lost_datagrams, 2);
	ck_assert_uint_eq(s.lost_records, 0);
	ck_assert_uint_eq(s.records, 12);
	/* wrap: 0xfffffffe, 0xffffffff, 0, 1 lose nothing; then 3 loses one */
	static const uint32_t wrap[] = { 0xfffffffeu, 0xffffffffu, 0, 1, 3 };
	for (size_t i = 0; i < N(wrap); i++) {
		mb_v9(&m, UPTIME + (uint32_t)i, SECS, wrap[i], SID + 1);
		send_msg();                            /* a bare header is a datagram too */
		ck_assert_uint_eq(stats_of(EXP, SID + 1).lost_datagrams, i == 4);
	}
	ck_assert_uint_eq(stats_of(EXP, SID + 1).seq_resets, 0);
}
END_TEST

/* ---- malformed datagrams -------------------------------------------------------- */

START_TEST(short_header_is_dropped)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	struct ft_datagram dg = mb_datagram(&m, EXP, 2055, NOW_NS);
	for (size_t len = 2; len < 20; len++) {
		dg.len = len;
		ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), -FT_NF_ERR_SHORT_HEADER);
	}
	struct ft_exporter_stats s[2];
	ck_assert_uint_eq(ft_netflow_exporters(nf, s, 2), 1);
	ck_assert_uint_eq(s[0].key.version, 0);
	ck_assert_uint_eq(s[0].datagrams, 18);
	ck_assert_uint_eq(s[0].errors[FT_NF_ERR_SHORT_HEADER], 18);
	dg.len = 20;                               /* a bare header is fine */
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), 0);
	struct ft_exporter_stats st = stats();
	ck_assert_uint_eq(error_sum(&st), 0);
}
END_TEST

START_TEST(set_length_below_four)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	v4_data(256, 1, 2);
	mb_raw_set(&m, 256, 2);
	mb_u32(&m, 0);
	ck_assert_int_eq(send_msg(), 2);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_data(256, 3, 1);
	mb_raw_set(&m, 256, 0);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_SET_LENGTH], 2);
	ck_assert_uint_eq(s.records, 3);
	ck_assert_uint_eq(error_sum(&s), 2);
}
END_TEST

START_TEST(set_length_past_the_datagram)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	v4_data(256, 1, 2);
	mb_raw_set(&m, 256, 4 + V4_LEN);           /* claims a record, has 8 bytes */
	mb_u64(&m, 0);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_SET_LENGTH], 1);
	ck_assert_uint_eq(error_sum(&s), 1);
}
END_TEST

START_TEST(reserved_set_ids)
{
	/* RFC 3954 §5.2: FlowSet IDs 2..255 are reserved. */
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	static const uint16_t ids[] = { 2, 128, 255 };
	for (size_t i = 0; i < N(ids); i++) {
		mb_set(&m, ids[i]);
		mb_u32(&m, 0xdeadbeef);
		v4_data(256, (uint32_t)i, 1);
	}
	ck_assert_int_eq(send_msg(), 3);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_SET_ID], 3);
	ck_assert_uint_eq(error_sum(&s), 3);
}
END_TEST

START_TEST(template_without_fields)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 300, NULL, 0);
	mb_template(&m, 256, v4_fields, N(v4_fields));
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 2);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_EMPTY], 1);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 1);
}
END_TEST

START_TEST(template_fields_overflow_the_set)
{
	static const struct mb_field two[] = { { 8, 4, 0 }, { 1, 4, 0 } };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	send_msg();
	mb_v9(&m, UPTIME, SECS, 1, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_u16(&m, 257), mb_u16(&m, 10);           /* says 10 fields, has 2 */
	mb_field(&m, &two[0]), mb_field(&m, &two[1]);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 2);
	/* options template: scope and option lengths past the set */
	mb_v9(&m, UPTIME, SECS, 2, SID);
	mb_set(&m, MB_V9_OPTIONS);
	mb_u16(&m, 301), mb_u16(&m, 4), mb_u16(&m, 40);
	mb_field(&m, &two[0]), mb_field(&m, &two[1]);
	mb_end(&m);
	v4_data(256, 3, 1);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_OVERFLOW], 2);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 2);
}
END_TEST

START_TEST(template_id_below_256)
{
	static const struct mb_field f[] = { { 1, 4, 0 } };
	static const struct mb_field scope[] = { { 1, 4, 0 } };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 255, f, 1);
	mb_template(&m, 0, f, 1);
	mb_template(&m, 256, v4_fields, N(v4_fields));
	mb_set(&m, MB_V9_OPTIONS);
	mb_v9_options(&m, 100, scope, 1, f, 1);
	mb_end(&m);
	v4_data(256, 1, 1);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_ID], 3);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 3);
}
END_TEST

START_TEST(bad_field_lengths)
{
	static const struct mb_field other[] = { { 8, 4, 0 }, { 2, 12, 0 } };
	static const struct mb_field addr[] = { { 8, 16, 0 }, { 1, 4, 0 } };
	static const struct mb_field wide[] = { { 8, 4, 0 }, { 1, 9, 0 } };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, other, 2);
	mb_template(&m, 257, addr, 2);
	mb_template(&m, 258, wide, 2);
	mb_template(&m, 259, v4_fields, N(v4_fields));
	v4_data(256, 1, 1);
	v4_data(259, 2, 1);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_FIELD_LENGTH], 3);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(s.pending_sets, 1);
	ck_assert_uint_eq(error_sum(&s), 3);
}
END_TEST

START_TEST(padding_fields_of_length_zero_are_skipped)
{
	/* Exporters pad templates with type 0, length 0 entries: the template is kept and
	 * its records read as without them (counted once per definition). */
	struct mb_field padded[N(v4_fields) + 2];
	memcpy(padded, v4_fields, sizeof(v4_fields));
	padded[N(v4_fields)] = (struct mb_field){ 0, 0, 0 };
	padded[N(v4_fields) + 1] = (struct mb_field){ 0, 0, 0 };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, padded, N(padded));
	mb_end(&m);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	assert_v4_flow(&got[0], 1, EXPORT_MS);
	assert_v4_flow(&got[1], 2, EXPORT_MS);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.templates_empty_fields, 1);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

/* RFC 3954 has no variable-length encoding: a v9 field of length 65535 is refused
 * (v9_variable_length) unless the exporter is configured to use IPFIX's (RFC 7011 §7),
 * when its records decode. */
static const struct mb_field varlen_fields[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 82, 65535, 0 } };

static void varlen_datagram(void)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, varlen_fields, N(varlen_fields));
	mb_end(&m);
	mb_set(&m, 256);
	mb_v4(&m, "10.1.0.1");
	mb_u32(&m, 1234);
	mb_var(&m, "eth0", 4, false);
	mb_end(&m);
}

START_TEST(field_length_65535_is_refused)
{
	varlen_datagram();
	ck_assert_int_eq(send_msg(), 0);
	ck_assert_uint_eq(n_got, 0);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_V9_VARLEN], 1);
	ck_assert_uint_eq(s.templates_active, 0);
	ck_assert_uint_eq(s.pending_sets, 1);
	ck_assert_uint_eq(error_sum(&s), 1);
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR_V9_VARLEN), "v9_variable_length");
}
END_TEST

START_TEST(field_length_65535_read_as_variable_when_configured)
{
	struct ft_exporter_conf c = { .v9_variable_length = true };
	ck_assert_int_eq(ft_prefix_parse(EXP, &c.match), 0);
	struct ft_netflow_conf o = { .exporters = &c, .n_exporters = 1 };
	open_nf(&o);
	varlen_datagram();
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(n_got, 1);
	ck_assert_uint_eq(got[0].bytes, 1234);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

START_TEST(a_header_count_that_disagrees_is_counted)
{
	/* RFC 3954 §5.1: the header counts template, options template and data records.
	 * Sets are read by their lengths either way; a count that disagrees is counted. */
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 2);         /* count 3: right */
	ck_assert_uint_eq(stats().header_count_mismatch, 0);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_data(256, 3, 2);
	m.records += 5;                          /* the header says 7 */
	ck_assert_int_eq(send_msg(), 2);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.header_count_mismatch, 1);
	ck_assert_uint_eq(s.records, 4);
	ck_assert_uint_eq(error_sum(&s), 0);
	/* a data set waiting for its template: its records are not known yet, no verdict */
	mb_v9(&m, UPTIME, SECS, 2, SID);
	v4_data(999, 1, 1);
	ck_assert_int_eq(send_msg(), 0);
	ck_assert_uint_eq(stats().header_count_mismatch, 1);
}
END_TEST

START_TEST(options_template_without_scope)
{
	static const struct mb_field scope[] = { { 1, 4, 0 } };
	static const struct mb_field opt[] = { { 34, 4, 0 } };
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_OPTIONS);
	mb_v9_options(&m, 300, NULL, 0, opt, 1);   /* scope length 0 (§6.1 requires one) */
	mb_v9_options(&m, 301, scope, 1, opt, 1);
	mb_end(&m);
	mb_set(&m, 301);
	mb_u32(&m, 0), mb_u32(&m, 20);
	v4_template(256);
	v4_data(256, 1, 1);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(got[0].sampling_rate, 20);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_SCOPE], 1);
	ck_assert_uint_eq(s.templates_active, 2);
	ck_assert_uint_eq(error_sum(&s), 1);
}
END_TEST

START_TEST(nonzero_padding)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	mb_set(&m, 256);
	v4_record(1, UPTIME);
	mb_end_pad(&m, 3, 0x01);
	v4_data(256, 2, 1);
	ck_assert_int_eq(send_msg(), 2);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_PADDING], 1);
	ck_assert_uint_eq(s.records, 2);
	ck_assert_uint_eq(error_sum(&s), 1);
}
END_TEST

START_TEST(broken_exporter_leaves_others_alone)
{
	mb_v9(&m, UPTIME, SECS, 0, SID);
	v4_template(256);
	send_msg();
	/* another exporter, same source ID, sends one of every broken FlowSet */
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, NULL, 0);
	mb_u16(&m, 100), mb_u16(&m, 1), mb_u16(&m, 1), mb_u16(&m, 4);
	mb_u16(&m, 257), mb_u16(&m, 1), mb_u16(&m, 1), mb_u16(&m, 9);   /* IN_BYTES of 9 bytes */
	mb_set(&m, 7);
	mb_u32(&m, 0);
	mb_raw_set(&m, 256, 60000);
	send_dg("192.0.2.66", 2055, NOW_NS);
	struct ft_exporter_stats b = stats_of("192.0.2.66", SID);
	ck_assert_uint_eq(b.errors[FT_NF_ERR_TEMPLATE_EMPTY], 1);
	ck_assert_uint_eq(b.errors[FT_NF_ERR_TEMPLATE_ID], 1);
	ck_assert_uint_eq(b.errors[FT_NF_ERR_FIELD_LENGTH], 1);
	ck_assert_uint_eq(b.errors[FT_NF_ERR_SET_ID], 1);
	ck_assert_uint_eq(b.errors[FT_NF_ERR_SET_LENGTH], 1);
	mb_v9(&m, UPTIME, SECS, 1, SID);
	v4_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 2);
	assert_v4_flow(&got[1], 2, EXPORT_MS);
	struct ft_exporter_stats a = stats();
	ck_assert_uint_eq(error_sum(&a), 0);
	ck_assert_uint_eq(a.templates_active, 1);
}
END_TEST

/* ---- records that cannot be right --------------------------------------------- */

/* IN_BYTES and IN_PKTS of 8 bytes, FIRST/LAST_SWITCHED. */
static const struct mb_field wide_fields[] = { { 1, 8, 0 }, { 2, 8, 0 }, { 22, 4, 0 }, { 21, 4, 0 } };

static void wide_record(uint64_t bytes, uint64_t packets, uint32_t first, uint32_t last)
{
	mb_u64(&m, bytes), mb_u64(&m, packets), mb_u32(&m, first), mb_u32(&m, last);
	mb_rec(&m);
}

START_TEST(counters_no_link_could_carry_are_refused)
{
	/* Two records of 2^63 bytes would wrap a step's total to 0: refused, with the
	 * bound (2^50 by default) taken as inclusive; the good record is kept. */
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, wide_fields, N(wide_fields));
	mb_set(&m, 256);
	wide_record(1ull << 63, 1, UPTIME - 2000, UPTIME - 1000);
	wide_record(1ull << 63, 1, UPTIME - 2000, UPTIME - 1000);
	wide_record(1ull << 50, 1ull << 50, UPTIME - 2000, UPTIME - 1000);
	wide_record((1ull << 50) + 1, 1, UPTIME - 2000, UPTIME - 1000);
	wide_record(1, (1ull << 50) + 1, UPTIME - 2000, UPTIME - 1000);
	wide_record(1000, 10, UPTIME - 2000, UPTIME - 1000);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got[0].bytes, 1ull << 50);
	ck_assert_uint_eq(got[1].bytes, 1000);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_IMPLAUSIBLE_COUNTER], 4);
	ck_assert_uint_eq(s.records, 2);
	ck_assert_uint_eq(s.bytes, (1ull << 50) + 1000);
	ck_assert_uint_eq(s.packets, (1ull << 50) + 10);
	ck_assert_uint_eq(s.refused_bytes, UINT64_MAX);         /* 2^64 + ...: saturated */
	ck_assert_uint_eq(s.refused_packets, (1ull << 50) + 4);
	ck_assert_uint_eq(s.header_count_mismatch, 0);          /* refused records were there */
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR_IMPLAUSIBLE_COUNTER), "implausible_counter");
}
END_TEST

START_TEST(configured_counter_bounds_apply)
{
	const struct ft_netflow_conf o = { .max_flow_bytes = 5000, .max_flow_packets = 3 };
	open_nf(&o);
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, wide_fields, N(wide_fields));
	mb_set(&m, 256);
	wide_record(5000, 3, UPTIME - 2000, UPTIME - 1000);
	wide_record(5001, 3, UPTIME - 2000, UPTIME - 1000);
	wide_record(5000, 4, UPTIME - 2000, UPTIME - 1000);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_IMPLAUSIBLE_COUNTER], 2);
	ck_assert_uint_eq(s.refused_bytes, 10001);
	ck_assert_uint_eq(s.refused_packets, 7);
}
END_TEST

START_TEST(sampling_correction_that_wraps_is_refused)
{
	/* 2^40 bytes sampled 1 in 2^32 - 1 is more than 2^64: refused, not wrapped; 2 bytes
	 * at that rate is within the bound. */
	mb_v9(&m, UPTIME, SECS, 0, SID);
	sampling_options(UINT32_MAX);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, wide_fields, N(wide_fields));
	mb_set(&m, 256);
	wide_record(1ull << 40, 1, UPTIME - 2000, UPTIME - 1000);
	wide_record(1, 1ull << 40, UPTIME - 2000, UPTIME - 1000);
	wide_record(2, 1, UPTIME - 2000, UPTIME - 1000);
	ck_assert_int_eq(send_msg(), 2);               /* the options record and one flow */
	ck_assert_uint_eq(n_got, 1);
	ck_assert_uint_eq(got[0].sampling_rate, UINT32_MAX);
	ck_assert_uint_eq(got[0].bytes, 2);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_IMPLAUSIBLE_COUNTER], 2);
	ck_assert_uint_eq(s.records, 1);
	ck_assert_uint_eq(s.refused_bytes, (1ull << 40) + 1);
}
END_TEST

static const struct ft_netflow_conf window_conf = { .max_flow_age_ms = 7 * 86400000LL,
                                                    .max_clock_skew_ms = 3600000LL };

START_TEST(records_ending_before_the_exporters_boot_are_refused)
{
	/* sysUptime 5 s: the exporter booted at EXPORT_MS - 5000.  A LAST more than an
	 * hour before that is refused; one an hour before, or 4 s before (it ended just
	 * before sysUptime wrapped), is kept, and so is a FIRST before boot (a flow across
	 * the wrap). */
	open_nf(&window_conf);
	mb_v9(&m, 5000, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, wide_fields, N(wide_fields));
	mb_set(&m, 256);
	wide_record(100, 1, (uint32_t)(5000 - 7200000), (uint32_t)(5000 - 3605001));
	wide_record(200, 2, (uint32_t)(5000 - 7200000), (uint32_t)(5000 - 3605000));
	wide_record(300, 3, 0xffffe000u, 0xfffff000u);
	wide_record(400, 4, 0xfffff000u, 4000);
	ck_assert_int_eq(send_msg(), 3);
	ck_assert_uint_eq(n_got, 3);
	ck_assert_uint_eq(got[0].bytes, 200);
	ck_assert_int_eq(got[0].end_ms, EXPORT_MS - 5000 - 3600000);
	ck_assert_int_eq(got[1].end_ms, EXPORT_MS - 5000 - 4096);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TIME_RANGE], 1);
	ck_assert_uint_eq(s.refused_bytes, 100);
	ck_assert_uint_eq(s.refused_packets, 1);
	ck_assert_uint_eq(s.records, 3);
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR_TIME_RANGE), "time_out_of_range");
	/* without a window nothing is judged */
	open_nf(NULL);
	mb_v9(&m, 5000, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, wide_fields, N(wide_fields));
	mb_set(&m, 256);
	wide_record(100, 1, (uint32_t)(5000 - 7200000), (uint32_t)(5000 - 3605001));
	ck_assert_int_eq(send_msg(), 1);
}
END_TEST

START_TEST(records_outside_the_window_around_receipt_are_refused)
{
	/* Absolute times (flowStart/EndMilliseconds, IE 152/153, 8 bytes): the ends of
	 * int64 time, a week and a day ago, two hours ahead, and right ones. */
	static const struct mb_field f[] = { { 152, 8, 0 }, { 153, 8, 0 }, { 1, 4, 0 } };
	static const struct { int64_t s, e; bool ok; } c[] = {
		{ INT64_MIN + 1, EXPORT_MS, false },
		{ INT64_MIN + 1, INT64_MIN + 1, false },
		{ EXPORT_MS - 1000, INT64_MAX, false },
		{ INT64_MAX, INT64_MAX, false },
		{ EXPORT_MS - 8 * 86400000LL, EXPORT_MS - 8 * 86400000LL + 1000, false },
		{ EXPORT_MS + 7200000LL, EXPORT_MS + 7201000LL, false },
		{ EXPORT_MS - 7 * 86400000LL, EXPORT_MS, true },         /* the edges are in */
		{ EXPORT_MS, EXPORT_MS + 3600000LL, true },
		{ EXPORT_MS - 2000, EXPORT_MS - 1000, true },
	};
	open_nf(&window_conf);
	mb_v9(&m, UPTIME, SECS, 0, SID);
	mb_set(&m, MB_V9_TEMPLATE);
	mb_template(&m, 256, f, N(f));
	mb_set(&m, 256);
	for (size_t i = 0; i < N(c); i++) {
		mb_u64(&m, (uint64_t)c[i].s), mb_u64(&m, (uint64_t)c[i].e), mb_u32(&m, 10);
		mb_rec(&m);
	}
	ck_assert_int_eq(send_msg(), 3);
	ck_assert_uint_eq(n_got, 3);
	for (size_t i = 0, j = 0; i < N(c); i++)
		if (c[i].ok) {
			ck_assert_int_eq(got[j].start_ms, c[i].s);
			ck_assert_int_eq(got[j++].end_ms, c[i].e);
		}
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TIME_RANGE], 6);
	ck_assert_uint_eq(s.refused_bytes, 60);
	ck_assert_uint_eq(s.records, 3);
	ck_assert_uint_eq(s.bytes, 30);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("nf9");
	TCase *tc = tcase_create("records");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, v4_record_fields_are_decoded);
	tcase_add_test(tc, v6_record_fields_and_next_hops);
	tcase_add_test(tc, post_counters_are_extras);
	tcase_add_test(tc, total_counters_are_not_accounted);
	tcase_add_test(tc, count_totals_accounts_total_counters);
	tcase_add_test(tc, switched_times_across_uptime_wrap);
	tcase_add_test(tc, sequence_counts_datagrams);
	suite_add_tcase(s, tc);
	tc = tcase_create("templates");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, template_and_data_in_separate_datagrams);
	tcase_add_test(tc, templates_are_shared_across_source_ports);
	tcase_add_test(tc, source_ids_and_addresses_are_separate);
	tcase_add_test(tc, data_before_template_is_decoded_when_it_arrives);
	tcase_add_test(tc, data_set_ahead_of_its_template_in_one_datagram);
	tcase_add_test(tc, late_records_count_with_the_template_datagram);
	tcase_add_test(tc, pending_overflow_counts_no_template);
	tcase_add_test(tc, pending_bytes_cap_counts_no_template);
	tcase_add_test(tc, drop_pending_counts_leftovers);
	tcase_add_test(tc, template_redefinition_uses_the_new_layout);
	tcase_add_test(tc, template_expires_after_its_lifetime);
	tcase_add_test(tc, template_cap_counts_template_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, options_sampling_interval_applies_to_records);
	tcase_add_test(tc, sampler_ids_have_their_own_rates);
	tcase_add_test(tc, sampler_refresh_is_not_a_rate_change);
	tcase_add_test(tc, a_rate_change_is_logged_with_the_rate_before_it);
	tcase_add_test(tc, configured_override_wins);
	tcase_add_test(tc, configured_default_when_nothing_announced);
	tcase_add_test(tc, interface_names_from_options);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, short_header_is_dropped);
	tcase_add_test(tc, set_length_below_four);
	tcase_add_test(tc, set_length_past_the_datagram);
	tcase_add_test(tc, reserved_set_ids);
	tcase_add_test(tc, template_without_fields);
	tcase_add_test(tc, template_fields_overflow_the_set);
	tcase_add_test(tc, template_id_below_256);
	tcase_add_test(tc, bad_field_lengths);
	tcase_add_test(tc, padding_fields_of_length_zero_are_skipped);
	tcase_add_test(tc, field_length_65535_is_refused);
	tcase_add_test(tc, field_length_65535_read_as_variable_when_configured);
	tcase_add_test(tc, a_header_count_that_disagrees_is_counted);
	tcase_add_test(tc, options_template_without_scope);
	tcase_add_test(tc, nonzero_padding);
	tcase_add_test(tc, broken_exporter_leaves_others_alone);
	suite_add_tcase(s, tc);
	tc = tcase_create("implausible");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counters_no_link_could_carry_are_refused);
	tcase_add_test(tc, configured_counter_bounds_apply);
	tcase_add_test(tc, sampling_correction_that_wraps_is_refused);
	tcase_add_test(tc, records_ending_before_the_exporters_boot_are_refused);
	tcase_add_test(tc, records_outside_the_window_around_receipt_are_refused);
	suite_add_tcase(s, tc);
	return s;
}
