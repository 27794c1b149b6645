/* IPFIX (RFC 7011) through ft_netflow_input(): record fields with enterprise and
 * variable-length fields, observation domains, template withdrawal, options data
 * (selectors, sampling interval, system init time, interface names), every time
 * element, sequence numbers, biflows (RFC 5103, NSEL), every malformed set class and
 * the cost of big templates, from hand-built messages (msg_build.h). */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flowtally/log.h"
#include "netflow_int.h"
#include "nf_fixture.h"

#define EXP "192.0.2.10"
#define DOM 5u
#define SECS 1764000000u
#define EXPORT_MS (SECS * 1000LL)
#define NOW_NS (SECS * 1000000000LL)
/* Seconds from the NTP epoch (1900) to the Unix epoch (RFC 5905 §6). */
#define NTP_OFFSET 2208988800ull

static int send_dg(const char *src, int64_t recv_ns)
{
	return nf_send(src, 4739, recv_ns);
}

static int send_msg(void)
{
	return send_dg(EXP, NOW_NS);
}

static struct ft_exporter_stats stats_of(const char *addr, uint32_t domain)
{
	return nf_stats(addr, 10, domain);
}

static struct ft_exporter_stats stats(void)
{
	return stats_of(EXP, DOM);
}

/* ---- the basic template --------------------------------------------------------- */

static const struct mb_field basic_fields[] = {
	{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 6, 1, 0 },
	{ 195, 1, 0 },                             /* ipDiffServCodePoint */
	{ 100, 4, 9 },                             /* enterprise 9, element 100: skipped */
	{ 10, 4, 0 }, { 14, 4, 0 }, { 1, 8, 0 }, { 2, 8, 0 },
	{ 152, 8, 0 }, { 153, 8, 0 },              /* flowStart/EndMilliseconds */
	{ 999, 2, 0 },                             /* unassigned: skipped */
	{ 16, 4, 9 },                              /* enterprise 9, element 16: not an AS */
};

static void basic_template(uint16_t tid)
{
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, tid, basic_fields, N(basic_fields));
	mb_end(&m);
}

static void basic_record(uint32_t i)
{
	mb_u32(&m, 0x0a010000u | i);
	mb_u32(&m, 0x0a020000u | i);
	mb_u16(&m, (uint16_t)(5000 + i));
	mb_u16(&m, 80);
	mb_u8(&m, 6);
	mb_u8(&m, 0x02);
	mb_u8(&m, 46);
	mb_u32(&m, 0xdeadbeef);
	mb_u32(&m, 10);
	mb_u32(&m, 20);
	mb_u64(&m, 500 * (i + 1));
	mb_u64(&m, i + 1);
	mb_u64(&m, (uint64_t)(EXPORT_MS - 2000 - i));
	mb_u64(&m, (uint64_t)(EXPORT_MS - 500));
	mb_u16(&m, 0xffff);
	mb_u32(&m, 0xffffffff);
}

static void basic_data(uint16_t tid, uint32_t first, uint32_t n)
{
	mb_set(&m, tid);
	for (uint32_t i = 0; i < n; i++)
		basic_record(first + i);
	mb_end(&m);
}

static void assert_basic_flow(const struct ft_flow *f, uint32_t i)
{
	char want[32];
	ck_assert_uint_eq(f->version, 10);
	ck_assert_uint_eq(f->domain, DOM);
	snprintf(want, sizeof(want), "10.1.0.%u", i);
	assert_addr(&f->src, want);
	snprintf(want, sizeof(want), "10.2.0.%u", i);
	assert_addr(&f->dst, want);
	ck_assert_uint_eq(f->sport, 5000 + i);
	ck_assert_uint_eq(f->dport, 80);
	ck_assert_uint_eq(f->proto, 6);
	ck_assert_uint_eq(f->tcp_flags, 0x02);
	ck_assert_uint_eq(f->tos, 46 << 2);       /* DSCP in the TOS byte's upper six bits */
	ck_assert_uint_eq(f->in_if, 10);
	ck_assert_uint_eq(f->out_if, 20);
	ck_assert_uint_eq(f->src_as, 0);
	ck_assert_uint_eq(f->bytes, 500 * (i + 1));
	ck_assert_uint_eq(f->packets, i + 1);
	ck_assert_uint_eq(f->counter, FT_COUNTER_DELTA);
	ck_assert_uint_eq(f->direction, 255);
	ck_assert_uint_eq(f->sampling_rate, 1);
	ck_assert_uint_eq(f->flags, FT_FLOW_TIMES_ABSOLUTE);
	ck_assert_int_eq(f->start_ms, EXPORT_MS - 2000 - i);
	ck_assert_int_eq(f->end_ms, EXPORT_MS - 500);
}

/* ---- records -------------------------------------------------------------------- */

START_TEST(record_fields_with_enterprise_fields)
{
	mb_ipfix(&m, SECS, 0, DOM);
	basic_template(256);
	basic_data(256, 1, 3);
	ck_assert_int_eq(send_msg(), 3);
	ck_assert_uint_eq(n_got, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_basic_flow(&got[i], i + 1);
	struct ft_addr e;
	ft_addr_parse(EXP, &e);
	ck_assert(ft_addr_equal(&got[0].exporter, &e));
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.key.version, 10);
	ck_assert_uint_eq(s.records, 3);
	ck_assert_uint_eq(s.bytes, 500 * (2 + 3 + 4));
	ck_assert_uint_eq(s.packets, 2 + 3 + 4);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

START_TEST(variable_length_fields_in_data)
{
	/* an enterprise and an IETF element sent variable-length (RFC 7011 §7) */
	static const struct mb_field f[] = { { 8, 4, 0 }, { 5, MB_VARLEN, 9 }, { 96, MB_VARLEN, 0 },
	                                     { 1, 4, 0 } };
	static char x[300];
	memset(x, 'x', sizeof(x));
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 257, f, N(f));
	mb_set(&m, 257);
	mb_v4(&m, "10.0.0.1"), mb_var(&m, "abc", 3, false), mb_var(&m, "", 0, false), mb_u32(&m, 11);
	mb_v4(&m, "10.0.0.2"), mb_var(&m, x, 300, false), mb_var(&m, "hi", 2, true), mb_u32(&m, 22);
	mb_v4(&m, "10.0.0.3"), mb_var(&m, x, 254, false), mb_var(&m, "", 0, true), mb_u32(&m, 33);
	mb_end(&m);
	ck_assert_int_eq(send_msg(), 3);
	ck_assert_uint_eq(n_got, 3);
	static const char *const src[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3" };
	for (int i = 0; i < 3; i++) {
		assert_addr(&got[i].src, src[i]);
		ck_assert_uint_eq(got[i].bytes, 11u * (unsigned)(i + 1));
	}
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

START_TEST(variable_length_overrun_keeps_earlier_records)
{
	static const struct mb_field f[] = { { 8, 4, 0 }, { 82, MB_VARLEN, 0 }, { 1, 4, 0 } };
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 257, f, N(f));
	basic_template(256);
	mb_set(&m, 257);
	mb_v4(&m, "10.0.0.1"), mb_var(&m, "eth0", 4, false), mb_u32(&m, 1);
	mb_v4(&m, "10.0.0.2"), mb_u8(&m, 200), mb_fill(&m, 'z', 20);   /* 200 said, 20 sent */
	basic_data(256, 1, 1);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	assert_addr(&got[0].src, "10.0.0.1");
	assert_basic_flow(&got[1], 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_VARLEN], 1);
	ck_assert_uint_eq(error_sum(&s), 1);
}
END_TEST

START_TEST(biflow_reverse_counters)
{
	/* RFC 5103: reverseOctetDeltaCount / reversePacketDeltaCount, PEN 29305 */
	static const struct mb_field f[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 10, 4, 0 },
		{ 14, 4, 0 }, { 16, 4, 0 }, { 17, 4, 0 }, { 9, 1, 0 }, { 13, 1, 0 }, { 1, 8, 0 },
		{ 2, 8, 0 }, { 1, 8, MB_PEN_REVERSE }, { 2, 8, MB_PEN_REVERSE }, { 152, 8, 0 },
		{ 153, 8, 0 },
	};
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 258, f, N(f));
	mb_set(&m, 258);
	for (int i = 0; i < 2; i++) {
		mb_v4(&m, "10.0.0.1"), mb_v4(&m, "10.0.0.2"), mb_u16(&m, 40000), mb_u16(&m, 443);
		mb_u8(&m, 6), mb_u32(&m, 1), mb_u32(&m, 2), mb_u32(&m, 65001), mb_u32(&m, 65002);
		mb_u8(&m, 24), mb_u8(&m, 16), mb_u64(&m, 1000), mb_u64(&m, 10);
		mb_u64(&m, i ? 0 : 50000), mb_u64(&m, i ? 0 : 40);   /* the second: no reverse */
		mb_u64(&m, (uint64_t)EXPORT_MS - 3000), mb_u64(&m, (uint64_t)EXPORT_MS - 1000);
	}
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 3);
	const struct ft_flow *a = &got[0], *b = &got[1];
	ck_assert_uint_eq(a->counter, FT_COUNTER_DELTA);
	ck_assert_uint_eq(a->bytes, 1000);
	ck_assert_uint_eq(a->flags & FT_FLOW_SECOND_HALF, 0);
	ck_assert_uint_eq(b->counter, FT_COUNTER_REVERSE);
	ck_assert(b->flags & FT_FLOW_SECOND_HALF);
	ck_assert_uint_eq(b->bytes, 50000);
	ck_assert_uint_eq(b->packets, 40);
	assert_addr(&b->src, "10.0.0.2");
	assert_addr(&b->dst, "10.0.0.1");
	ck_assert_uint_eq(b->sport, 443);
	ck_assert_uint_eq(b->dport, 40000);
	ck_assert_uint_eq(b->in_if, 2);
	ck_assert_uint_eq(b->out_if, 1);
	ck_assert_uint_eq(b->src_as, 65002);
	ck_assert_uint_eq(b->dst_as, 65001);
	ck_assert_uint_eq(b->src_mask, 16);
	ck_assert_uint_eq(b->dst_mask, 24);
	ck_assert_uint_eq(b->proto, 6);
	ck_assert_int_eq(b->start_ms, a->start_ms);
	ck_assert_int_eq(b->end_ms, a->end_ms);
	/* the second record's reverse direction carried nothing: one flow */
	ck_assert_uint_eq(got[2].counter, FT_COUNTER_DELTA);
	ck_assert_uint_eq(got[2].flags & FT_FLOW_SECOND_HALF, 0);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.records, 2);
	ck_assert_uint_eq(s.bytes, 52000);
	ck_assert_uint_eq(s.packets, 60);
}
END_TEST

START_TEST(nsel_initiator_and_responder)
{
	/* initiatorOctets 231, responderOctets 232, initiatorPackets 298, responderPackets 299 */
	static const struct mb_field f[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 },
	                                     { 4, 1, 0 }, { 231, 4, 0 }, { 232, 4, 0 },
	                                     { 298, 4, 0 }, { 299, 4, 0 } };
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 259, f, N(f));
	mb_set(&m, 259);
	mb_v4(&m, "10.0.0.1"), mb_v4(&m, "10.0.0.2"), mb_u16(&m, 50000), mb_u16(&m, 53);
	mb_u8(&m, 17), mb_u32(&m, 600), mb_u32(&m, 9000), mb_u32(&m, 6), mb_u32(&m, 8);
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got[0].counter, FT_COUNTER_INITIATOR);
	ck_assert_uint_eq(got[0].bytes, 600);
	ck_assert_uint_eq(got[0].packets, 6);
	ck_assert_uint_eq(got[0].flags & FT_FLOW_SECOND_HALF, 0);
	ck_assert_uint_eq(got[1].counter, FT_COUNTER_RESPONDER);
	ck_assert(got[1].flags & FT_FLOW_SECOND_HALF);
	ck_assert_uint_eq(got[1].bytes, 9000);
	ck_assert_uint_eq(got[1].packets, 8);
	assert_addr(&got[1].src, "10.0.0.2");
	ck_assert_uint_eq(got[1].sport, 53);
	ck_assert_uint_eq(got[1].dport, 50000);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.records, 1);
	ck_assert_uint_eq(s.bytes, 9600);
}
END_TEST

START_TEST(total_only_record_is_not_accounted)
{
	static const struct mb_field f[] = { { 8, 4, 0 }, { 85, 8, 0 }, { 86, 8, 0 } };
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 260, f, N(f));
	mb_set(&m, 260);
	mb_v4(&m, "10.0.0.1"), mb_u64(&m, 777777), mb_u64(&m, 777);
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(n_got, 1);
	ck_assert_uint_eq(got[0].counter, FT_COUNTER_TOTAL);
	ck_assert_uint_eq(got[0].bytes, 777777);
	ck_assert_uint_eq(got[0].packets, 777);
	ck_assert(got[0].flags & FT_FLOW_NOT_ACCOUNTED);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.records, 1);
	ck_assert_uint_eq(s.bytes, 0);
	ck_assert_uint_eq(s.packets, 0);
}
END_TEST

/* ---- times ---------------------------------------------------------------------- */

/* One record of template tid with two 8-byte (or 4-byte) time values and a counter. */
static void time_record(uint16_t tid, uint16_t start_id, uint16_t end_id, uint16_t len,
                        uint64_t start, uint64_t end)
{
	const struct mb_field f[] = { { start_id, len, 0 }, { end_id, len, 0 }, { 1, 4, 0 } };
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, tid, f, N(f));
	mb_set(&m, tid);
	mb_put(&m, start, len), mb_put(&m, end, len), mb_u32(&m, 1);
}

static uint64_t ntp(uint64_t unix_secs, uint32_t frac)
{
	return ((unix_secs + NTP_OFFSET) & 0xffffffffu) << 32 | frac;
}

START_TEST(time_seconds_and_milliseconds)
{
	mb_ipfix(&m, SECS, 0, DOM);
	time_record(300, 150, 151, 4, SECS - 10, SECS - 5);
	time_record(301, 152, 153, 8, (uint64_t)EXPORT_MS - 10123, (uint64_t)EXPORT_MS - 5456);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_int_eq(got[0].start_ms, EXPORT_MS - 10000);
	ck_assert_int_eq(got[0].end_ms, EXPORT_MS - 5000);
	ck_assert_int_eq(got[1].start_ms, EXPORT_MS - 10123);
	ck_assert_int_eq(got[1].end_ms, EXPORT_MS - 5456);
	ck_assert(got[0].flags & FT_FLOW_TIMES_ABSOLUTE);
	ck_assert(got[1].flags & FT_FLOW_TIMES_ABSOLUTE);
}
END_TEST

START_TEST(time_micro_and_nanoseconds_ntp)
{
	/* RFC 7011 §6.1.9-10: NTP format, seconds since 1900 and a 2^-32 s fraction; a
	 * microsecond value has the fraction's 11 low bits zero. */
	mb_ipfix(&m, SECS, 0, DOM);
	time_record(300, 154, 155, 8, ntp(SECS - 10, 0x40000000u), ntp(SECS - 5, 0xc0000000u));
	time_record(301, 156, 157, 8, ntp(SECS - 10, 0x80000000u), ntp(SECS - 5, 0x00418938u));
	/* after 2036-02-07 the NTP seconds wrap: era 1, top bit clear (RFC 5905 §6) */
	time_record(302, 156, 157, 8, ntp(2200000000u, 0), ntp(2200000001u, 0x80000000u));
	ck_assert_int_eq(send_msg(), 3);
	ck_assert_uint_eq(n_got, 3);
	ck_assert_int_eq(got[0].start_ms, EXPORT_MS - 10000 + 250);
	ck_assert_int_eq(got[0].end_ms, EXPORT_MS - 5000 + 750);
	ck_assert_int_eq(got[1].start_ms, EXPORT_MS - 10000 + 500);
	ck_assert_int_eq(got[1].end_ms, EXPORT_MS - 5000 + 1);   /* just over 0.001 s */
	ck_assert_int_eq(got[2].start_ms, 2200000000000LL);
	ck_assert_int_eq(got[2].end_ms, 2200000001500LL);
}
END_TEST

START_TEST(time_delta_microseconds)
{
	/* RFC 7011 flowStart/EndDeltaMicroseconds: before the message's export time */
	mb_ipfix(&m, SECS, 0, DOM);
	time_record(300, 158, 159, 4, 5000000, 1000000);
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_int_eq(got[0].start_ms, EXPORT_MS - 5000);
	ck_assert_int_eq(got[0].end_ms, EXPORT_MS - 1000);
	ck_assert(got[0].flags & FT_FLOW_TIMES_ABSOLUTE);
}
END_TEST

START_TEST(time_sysuptime_with_init_time_option)
{
	/* flowStart/EndSysUpTime count from systemInitTimeMilliseconds (160), which comes
	 * in options data */
	static const struct mb_field o[] = { { 149, 4, 0 }, { 160, 8, 0 } };
	mb_ipfix(&m, SECS, 0, DOM);
	time_record(300, 22, 21, 4, 3590000, 3599000);
	ck_assert_int_eq(send_msg(), 1);
	/* nothing says when the uptime began: export time, not absolute */
	ck_assert_int_eq(got[0].start_ms, EXPORT_MS);
	ck_assert_int_eq(got[0].end_ms, EXPORT_MS);
	ck_assert_uint_eq(got[0].flags & FT_FLOW_TIMES_ABSOLUTE, 0);
	mb_ipfix(&m, SECS, 1, DOM);
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_ipfix_options(&m, 400, o, N(o), 1);
	mb_end(&m);
	mb_set(&m, 400);
	mb_u32(&m, DOM), mb_u64(&m, (uint64_t)EXPORT_MS - 3600000);
	mb_set(&m, 300);
	mb_u32(&m, 3590000), mb_u32(&m, 3599000), mb_u32(&m, 1);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_int_eq(got[1].start_ms, EXPORT_MS - 10000);
	ck_assert_int_eq(got[1].end_ms, EXPORT_MS - 1000);
	ck_assert(got[1].flags & FT_FLOW_TIMES_ABSOLUTE);
}
END_TEST

/* ---- messages, domains, sequence numbers ---------------------------------------- */

START_TEST(message_length_must_equal_datagram)
{
	mb_ipfix(&m, SECS, 0, DOM);
	basic_template(256);
	basic_data(256, 1, 1);
	struct ft_datagram dg = mb_datagram(&m, EXP, 4739, NOW_NS);
	size_t len = dg.len;
	static const int delta[] = { 4, -4, 1 };
	for (size_t i = 0; i < 3; i++) {
		size_t l = (size_t)((int)len + delta[i]);
		m.buf[2] = (uint8_t)(l >> 8), m.buf[3] = (uint8_t)l;
		ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), -FT_NF_ERR_LENGTH);
	}
	m.buf[2] = (uint8_t)(len >> 8), m.buf[3] = (uint8_t)len;
	memset(m.buf + len, 0, 8);
	dg.len = len + 8;                          /* trailing bytes after the message */
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), -FT_NF_ERR_LENGTH);
	ck_assert_uint_eq(batch.n, 0);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.datagrams, 4);
	ck_assert_uint_eq(s.errors[FT_NF_ERR_LENGTH], 4);
	ck_assert_uint_eq(s.records, 0);
	ck_assert_uint_eq(s.templates_active, 0);
	dg.len = len;
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), 1);
}
END_TEST

START_TEST(observation_domains_are_separate)
{
	mb_ipfix(&m, SECS, 0, 1);
	basic_template(256);
	send_msg();
	mb_ipfix(&m, SECS, 0, 2);
	basic_data(256, 1, 1);
	ck_assert_int_eq(send_msg(), 0);
	mb_ipfix(&m, SECS, 0, 1);
	basic_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got[0].domain, 1);
	ck_assert_uint_eq(stats_of(EXP, 1).templates_active, 1);
	ck_assert_uint_eq(stats_of(EXP, 2).templates_active, 0);
	ck_assert_uint_eq(stats_of(EXP, 2).pending_sets, 1);
}
END_TEST

START_TEST(sequence_counts_data_records)
{
	/* RFC 7011 §3.1: the sequence counts Data Records, options data records included */
	static const struct mb_field o[] = { { 149, 4, 0 }, { 34, 4, 0 } };
	mb_ipfix(&m, SECS, 0, DOM);
	basic_template(256);
	basic_data(256, 1, 3);
	send_msg();
	mb_ipfix(&m, SECS, 3, DOM);
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_ipfix_options(&m, 300, o, 2, 1);
	mb_set(&m, 300);
	mb_u32(&m, DOM), mb_u32(&m, 1);
	basic_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 3);
	mb_ipfix(&m, SECS, 6, DOM);                /* templates only: no data records */
	basic_template(256);
	send_msg();
	mb_ipfix(&m, SECS, 6, DOM);
	basic_data(256, 1, 2);
	send_msg();
	ck_assert_uint_eq(stats().lost_records, 0);
	mb_ipfix(&m, SECS, 12, DOM);               /* 8..11 never came */
	basic_data(256, 1, 1);
	send_msg();
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.lost_records, 4);
	ck_assert_uint_eq(s.lost_datagrams, 0);
	ck_assert_uint_eq(s.records, 8);
	ck_assert_uint_eq(s.option_records, 1);
}
END_TEST

START_TEST(sequence_wraps)
{
	mb_ipfix(&m, SECS, 0xfffffffeu, DOM);
	basic_template(256);
	basic_data(256, 1, 3);
	send_msg();
	mb_ipfix(&m, SECS, 1, DOM);
	basic_data(256, 1, 1);
	send_msg();
	ck_assert_uint_eq(stats().lost_records, 0);
	mb_ipfix(&m, SECS, 5, DOM);
	basic_data(256, 1, 1);
	send_msg();
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.lost_records, 3);
	ck_assert_uint_eq(s.seq_resets, 0);
}
END_TEST

START_TEST(sequence_tracking_suspended_while_data_waits)
{
	static const struct mb_field f[] = { { 8, 4, 0 }, { 1, 4, 0 } };
	mb_ipfix(&m, SECS, 100, DOM);
	basic_template(256);
	basic_data(256, 1, 2);
	send_msg();
	/* three records of template 257, not yet known: how many is unknown here */
	mb_ipfix(&m, SECS, 102, DOM);
	mb_set(&m, 257);
	for (int i = 0; i < 3; i++)
		mb_v4(&m, "10.0.0.9"), mb_u32(&m, 1);
	basic_data(256, 1, 1);
	ck_assert_int_eq(send_msg(), 1);
	mb_ipfix(&m, SECS, 106, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 257, f, N(f));
	basic_data(256, 1, 1);
	send_msg();
	ck_assert_uint_eq(n_got, 2 + 1 + 3 + 1);
	mb_ipfix(&m, SECS, 107, DOM);
	basic_data(256, 1, 1);
	send_msg();
	ck_assert_uint_eq(stats().lost_records, 0);
	mb_ipfix(&m, SECS, 110, DOM);              /* tracking resumed: 108, 109 lost */
	basic_data(256, 1, 1);
	send_msg();
	ck_assert_uint_eq(stats().lost_records, 2);
}
END_TEST

/* ---- templates: withdrawal, options scope, floods ------------------------------- */

static const struct mb_field small_fields[] = { { 8, 4, 0 }, { 1, 4, 0 } };
static const struct mb_field opt_fields[] = { { 149, 4, 0 }, { 34, 4, 0 } };

static void small_record(uint32_t bytes)
{
	mb_v4(&m, "10.3.3.3");
	mb_u32(&m, bytes);
}

/* Data templates 256 (basic) and 257 (small), options templates 300 and 301. */
static void four_templates(void)
{
	basic_template(256);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 257, small_fields, N(small_fields));
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_ipfix_options(&m, 300, opt_fields, 2, 1);
	mb_ipfix_options(&m, 301, opt_fields, 2, 1);
	mb_end(&m);
}

/* Withdrawals are applied only when the configuration says so (ipfix_withdrawals). */
static const struct ft_netflow_conf apply_withdrawals = { .ipfix_withdrawals = true };

START_TEST(withdraw_one_template)
{
	open_nf(&apply_withdrawals);
	mb_ipfix(&m, SECS, 0, DOM);
	four_templates();
	send_msg();
	ck_assert_uint_eq(stats().templates_active, 4);
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_withdraw(&m, 256);                      /* RFC 7011 §8.1: field count 0 */
	basic_data(256, 1, 1);
	mb_set(&m, 257);
	small_record(5);
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(n_got, 1);
	ck_assert_uint_eq(got[0].bytes, 5);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.templates_active, 3);
	ck_assert_uint_eq(s.pending_sets, 1);
	ck_assert_uint_eq(s.withdrawals, 1);
	ck_assert_uint_eq(s.withdrawals_ignored, 0);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

/* RFC 7011 §8.4: over UDP a collector ignores withdrawals (by default): every template
 * stays, the data after a withdrawal of one, of all data and of all options templates
 * still decodes, and each ignored withdrawal is counted. */
START_TEST(withdrawals_ignored_by_default)
{
	mb_ipfix(&m, SECS, 0, DOM);
	four_templates();
	send_msg();
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_withdraw(&m, 256);
	mb_withdraw(&m, 2);
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_withdraw(&m, 3);
	mb_end(&m);
	basic_data(256, 1, 1);
	mb_set(&m, 257);
	small_record(5);
	mb_set(&m, 300);
	mb_u32(&m, DOM), mb_u32(&m, 8);
	ck_assert_int_eq(send_msg(), 3);
	ck_assert_uint_eq(n_got, 2);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.templates_active, 4);
	ck_assert_uint_eq(s.option_records, 1);
	ck_assert_uint_eq(s.pending_sets, 0);
	ck_assert_uint_eq(s.withdrawals, 0);
	ck_assert_uint_eq(s.withdrawals_ignored, 3);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

START_TEST(withdraw_all_data_templates)
{
	open_nf(&apply_withdrawals);
	mb_ipfix(&m, SECS, 0, DOM);
	four_templates();
	send_msg();
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_withdraw(&m, 2);                        /* all data templates */
	mb_set(&m, 257);
	small_record(5);
	mb_set(&m, 300);
	mb_u32(&m, DOM), mb_u32(&m, 8);
	ck_assert_int_eq(send_msg(), 1);           /* only the options record */
	ck_assert_uint_eq(n_got, 0);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.templates_active, 2);
	ck_assert_uint_eq(s.option_records, 1);
	ck_assert_uint_eq(s.pending_sets, 1);
}
END_TEST

START_TEST(withdraw_all_options_templates)
{
	open_nf(&apply_withdrawals);
	mb_ipfix(&m, SECS, 0, DOM);
	four_templates();
	send_msg();
	ck_assert_uint_eq(stats().templates_active, 4);
	/* §8.1: an All Options Template Withdrawal is Set ID 3, length 8, template ID 3,
	 * field count 0 — no scope field count */
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_withdraw(&m, 3);
	mb_end(&m);
	ck_assert_uint_eq(m.buf[16 + 3], 8);
	mb_set(&m, 300);
	mb_u32(&m, DOM), mb_u32(&m, 8);
	mb_set(&m, 257);
	small_record(5);
	ck_assert_int_eq(send_msg(), 1);           /* only the data record */
	ck_assert_uint_eq(n_got, 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.templates_active, 2);
	ck_assert_uint_eq(s.option_records, 0);
	ck_assert_uint_eq(s.pending_sets, 1);
}
END_TEST

START_TEST(options_scope_count_checks)
{
	/* §3.4.2.2: the scope field count must not be zero, nor exceed the field count */
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_ipfix_options(&m, 300, opt_fields, 2, 0);
	mb_ipfix_options(&m, 301, opt_fields, 2, 3);
	mb_ipfix_options(&m, 302, opt_fields, 1, 2);
	mb_ipfix_options(&m, 303, opt_fields, 2, 2);  /* scope only: fine */
	mb_ipfix_options(&m, 304, opt_fields, 2, 1);
	mb_end(&m);
	mb_set(&m, 304);
	mb_u32(&m, DOM), mb_u32(&m, 16);
	basic_template(256);
	basic_data(256, 1, 1);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(got[0].sampling_rate, 16);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_SCOPE], 3);
	ck_assert_uint_eq(s.templates_active, 3);
	ck_assert_uint_eq(error_sum(&s), 3);
}
END_TEST

START_TEST(template_flood_hits_the_cap)
{
	static const struct mb_field wide[] = { { 8, 4, 0 }, { 1, 8, 0 } };
	struct ft_netflow_conf o = { .max_templates = 16 };
	open_nf(&o);
	for (uint32_t round = 0; round < 2; round++) {
		mb_ipfix(&m, SECS, 0, DOM);
		mb_set(&m, MB_IPFIX_TEMPLATE);
		for (uint16_t id = 256; id < 256 + 1000; id++)
			mb_template(&m, id, small_fields, N(small_fields));
		send_msg();
		struct ft_exporter_stats s = stats();
		ck_assert_uint_eq(s.templates_active, 16);
		ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_LIMIT], 984 * (round + 1));
		ck_assert_uint_eq(s.template_changes, 0);
	}
	/* redefinitions of a known ID, alternating layouts */
	for (uint32_t i = 0; i < 1000; i++) {
		mb_ipfix(&m, SECS, 0, DOM);
		mb_set(&m, MB_IPFIX_TEMPLATE);
		if (i % 2 == 0)
			mb_template(&m, 256, wide, N(wide));
		else
			mb_template(&m, 256, small_fields, N(small_fields));
		mb_template(&m, (uint16_t)(5000 + i), wide, N(wide));
		send_msg();
	}
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.template_changes, 1000);
	ck_assert_uint_eq(s.templates_active, 16);
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_LIMIT], 2 * 984 + 1000);
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, 256);
	small_record(77);
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(got[0].bytes, 77);
}
END_TEST

/* Flush hook for the cost test: counts flows and checks each one's counter. */
static uint64_t big_flows, big_bad;

static void count_big(struct ft_flow_batch *b, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < b->n; i++) {
		big_bad += b->flows[i].sport != 4242 || b->flows[i].bytes != (big_flows % 61) + 1;
		big_flows++;
	}
	b->n = 0;
}

START_TEST(decoding_cost_is_linear)
{
	/* a template of 1000 one-byte unknown fields between a port and a counter, resent
	 * with every message; each message then filled with records */
	static struct mb_field f[1002];
	f[0] = (struct mb_field){ 7, 2, 0 };
	for (int i = 1; i <= 1000; i++)
		f[i] = (struct mb_field){ 999, 1, 0 };
	f[1001] = (struct mb_field){ 1, 4, 0 };
	struct ft_netflow_conf o = { .max_template_fields = 16384 };   /* above the default */
	open_nf(&o);
	batch.flush = count_big;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t msg = 0; msg < 200; msg++) {
		mb_ipfix(&m, SECS, msg * 61, DOM);
		mb_set(&m, MB_IPFIX_TEMPLATE);
		mb_template(&m, 256, f, N(f));
		mb_set(&m, 256);
		for (uint32_t r = 0; r < 61; r++) {
			mb_u16(&m, 4242);
			mb_fill(&m, (uint8_t)r, 1000);
			mb_u32(&m, r + 1);
		}
		ck_assert_uint_le(m.len, 65535);
		ck_assert_int_eq(send_msg(), 61);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_uint_eq(big_flows, 200 * 61);
	ck_assert_uint_eq(big_bad, 0);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.records, 200 * 61);
	ck_assert_uint_eq(s.lost_records, 0);
	ck_assert_uint_eq(error_sum(&s), 0);
	/* 13 MB of records: well under a second when linear, even sanitized */
	ck_assert_msg(secs < 10.0, "decoding took %.2f s", secs);
}
END_TEST

START_TEST(largest_template_decodes)
{
	/* 16000 fields: about as many as a 64 KB message can define (RFC 7011 §3.4.1);
	 * the template comes again before every message of records */
	static struct mb_field f[16000];
	for (int i = 0; i < 15999; i++)
		f[i] = (struct mb_field){ 999, 1, 0 };
	f[15999] = (struct mb_field){ 2, 1, 0 };
	struct ft_netflow_conf o = { .max_template_fields = 16384 };   /* above the default */
	open_nf(&o);
	uint64_t packets = 0;
	for (uint32_t msg = 0; msg < 40; msg++) {
		mb_ipfix(&m, SECS, msg * 4, DOM);
		mb_set(&m, MB_IPFIX_TEMPLATE);
		mb_template(&m, 256, f, N(f));
		ck_assert_int_eq(send_msg(), 0);
		mb_ipfix(&m, SECS, msg * 4, DOM);
		mb_set(&m, 256);
		for (uint32_t r = 0; r < 4; r++) {
			mb_fill(&m, 0xee, 15999);
			mb_u8(&m, (uint8_t)(r + 1));
		}
		ck_assert_int_eq(send_msg(), 4);
		for (size_t i = 0; i < n_got; i++)
			packets += got[i].packets;
		n_got = 0;
	}
	ck_assert_uint_eq(packets, 40 * (1 + 2 + 3 + 4));
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.templates, 40);
	ck_assert_uint_eq(s.template_changes, 0);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

/* ---- options data --------------------------------------------------------------- */

START_TEST(selector_sampling_rates)
{
	/* RFC 5477: selectorId 302 with samplingPacketInterval 305 and samplingPacketSpace
	 * 306: one in (interval + space) / interval packets */
	static const struct mb_field o[] = { { 302, 8, 0 }, { 304, 2, 0 }, { 305, 4, 0 }, { 306, 4, 0 } };
	static const struct mb_field d[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 302, 8, 0 } };
	static const uint32_t sel[][3] = { { 5, 1, 99 }, { 6, 10, 90 }, { 8, 2, 6 } };
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_ipfix_options(&m, 310, o, N(o), 1);
	mb_end(&m);
	mb_set(&m, 310);
	for (int i = 0; i < 3; i++)
		mb_u64(&m, sel[i][0]), mb_u16(&m, 1), mb_u32(&m, sel[i][1]), mb_u32(&m, sel[i][2]);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 311, d, N(d));
	mb_set(&m, 311);
	static const uint64_t ids[] = { 5, 6, 7, 8 };
	for (int i = 0; i < 4; i++)
		mb_v4(&m, "10.0.0.1"), mb_u32(&m, 100), mb_u64(&m, ids[i]);
	ck_assert_int_eq(send_msg(), 7);
	ck_assert_uint_eq(n_got, 4);
	ck_assert_uint_eq(got[0].sampling_rate, 100);
	ck_assert_uint_eq(got[1].sampling_rate, 10);
	ck_assert_uint_eq(got[2].sampling_rate, 1);       /* selector 7: never announced */
	ck_assert_uint_eq(got[3].sampling_rate, 4);
	ck_assert(got[0].flags & FT_FLOW_SAMPLED);
	ck_assert_uint_eq(got[2].flags & FT_FLOW_SAMPLED, 0);
	ck_assert_uint_eq(stats().option_records, 3);
}
END_TEST

START_TEST(sampling_interval_option_is_domain_default)
{
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_ipfix_options(&m, 300, opt_fields, 2, 1);
	mb_end(&m);
	mb_set(&m, 300);
	mb_u32(&m, DOM), mb_u32(&m, 64);
	basic_template(256);
	basic_data(256, 1, 2);
	ck_assert_int_eq(send_msg(), 3);
	mb_ipfix(&m, SECS, 0, DOM + 1);            /* another domain: unsampled */
	basic_template(256);
	basic_data(256, 1, 1);
	send_msg();
	ck_assert_uint_eq(n_got, 3);
	ck_assert_uint_eq(got[0].sampling_rate, 64);
	ck_assert_uint_eq(got[1].sampling_rate, 64);
	ck_assert_uint_eq(got[0].flags, FT_FLOW_SAMPLED | FT_FLOW_TIMES_ABSOLUTE);
	ck_assert_uint_eq(got[2].sampling_rate, 1);
	ck_assert_uint_eq(stats().sampling_rate, 64);
}
END_TEST

START_TEST(interface_names_variable_length)
{
	static const struct mb_field o[] = { { 10, 4, 0 }, { 82, MB_VARLEN, 0 }, { 83, MB_VARLEN, 0 } };
	static char desc[300];
	memset(desc, 'd', sizeof(desc));
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_ipfix_options(&m, 330, o, N(o), 1);
	mb_end(&m);
	mb_set(&m, 330);
	mb_u32(&m, 3), mb_var(&m, "Gi0/0/3", 7, false), mb_var(&m, "uplink", 6, true);
	mb_u32(&m, 4), mb_var(&m, "x", 1, false), mb_var(&m, desc, sizeof(desc), false);
	mb_end(&m);
	ck_assert_int_eq(send_msg(), 2);
	struct ft_exporter_key k = { .version = 10, .domain = DOM };
	ft_addr_parse(EXP, &k.addr);
	struct exporter *e = ft_exporter_get(nf, &k, NOW_NS);
	ck_assert_uint_eq(e->opt.n_ifnames, 2);
	ck_assert_uint_eq(e->opt.ifnames[0].ifindex, 3);
	ck_assert_str_eq(e->opt.ifnames[0].name, "Gi0/0/3");
	ck_assert_str_eq(e->opt.ifnames[0].desc, "uplink");
	ck_assert_uint_eq(e->opt.ifnames[1].ifindex, 4);
	ck_assert_str_eq(e->opt.ifnames[1].name, "x");
	ck_assert_uint_eq(strlen(e->opt.ifnames[1].desc), sizeof(e->opt.ifnames[1].desc) - 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

/* ---- malformed messages --------------------------------------------------------- */

START_TEST(short_header_is_dropped)
{
	mb_ipfix(&m, SECS, 0, DOM);
	struct ft_datagram dg = mb_datagram(&m, EXP, 4739, NOW_NS);
	for (size_t len = 2; len < 16; len++) {
		dg.len = len;
		ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), -FT_NF_ERR_SHORT_HEADER);
	}
	struct ft_exporter_stats s[2];
	ck_assert_uint_eq(ft_netflow_exporters(nf, s, 2), 1);
	ck_assert_uint_eq(s[0].key.version, 0);
	ck_assert_uint_eq(s[0].errors[FT_NF_ERR_SHORT_HEADER], 14);
	dg.len = 16;
	ck_assert_int_eq(ft_netflow_input(nf, &dg, &batch), 0);
}
END_TEST

START_TEST(reserved_set_ids)
{
	/* §3.3.2: 0 and 1 are not used, 4..255 reserved */
	static const uint16_t ids[] = { 0, 1, 4, 255 };
	mb_ipfix(&m, SECS, 0, DOM);
	basic_template(256);
	for (size_t i = 0; i < N(ids); i++) {
		mb_set(&m, ids[i]);
		mb_u32(&m, 0x00010004);
		basic_data(256, (uint32_t)i, 1);
	}
	ck_assert_int_eq(send_msg(), 4);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_SET_ID], 4);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 4);
}
END_TEST

START_TEST(bad_set_lengths)
{
	mb_ipfix(&m, SECS, 0, DOM);
	basic_template(256);
	basic_data(256, 1, 1);
	mb_raw_set(&m, 256, 3);
	mb_u32(&m, 0);
	ck_assert_int_eq(send_msg(), 1);
	mb_ipfix(&m, SECS, 1, DOM);
	basic_data(256, 2, 1);
	mb_raw_set(&m, 256, 200);
	mb_u64(&m, 0);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_SET_LENGTH], 2);
	ck_assert_uint_eq(s.records, 2);
	ck_assert_uint_eq(error_sum(&s), 2);
}
END_TEST

START_TEST(template_id_below_256)
{
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 255, small_fields, N(small_fields));
	mb_template(&m, 257, small_fields, N(small_fields));
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_ipfix_options(&m, 100, opt_fields, 2, 1);
	mb_end(&m);
	mb_set(&m, 257);
	small_record(9);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_ID], 2);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 2);
}
END_TEST

START_TEST(template_fields_overflow_the_set)
{
	mb_ipfix(&m, SECS, 0, DOM);
	basic_template(256);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_u16(&m, 257), mb_u16(&m, 10);           /* says 10 fields, has 2 */
	mb_field(&m, &small_fields[0]), mb_field(&m, &small_fields[1]);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_u16(&m, 258), mb_u16(&m, 2);
	mb_field(&m, &small_fields[0]);
	mb_u16(&m, 0x8000 | 5), mb_u16(&m, 4);     /* enterprise bit, number cut off */
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_u16(&m, 300), mb_u16(&m, 3), mb_u16(&m, 1);
	mb_field(&m, &opt_fields[0]), mb_field(&m, &opt_fields[1]);
	mb_end(&m);
	basic_data(256, 1, 1);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_OVERFLOW], 3);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 3);
}
END_TEST

START_TEST(bad_field_lengths)
{
	static const struct mb_field v4wide[] = { { 8, 5, 0 }, { 1, 4, 0 } };
	static const struct mb_field v6[] = { { 8, 4, 0 }, { 28, 4, 0 } };
	static const struct mb_field addr[] = { { 27, 4, 0 }, { 1, 4, 0 } };
	static const struct mb_field wide[] = { { 8, 4, 0 }, { 2, 9, 0 } };
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 256, v4wide, 2);
	mb_template(&m, 257, v6, 2);
	mb_template(&m, 258, addr, 2);
	mb_template(&m, 259, wide, 2);
	mb_template(&m, 260, small_fields, 2);
	mb_set(&m, 260);
	small_record(1);
	ck_assert_int_eq(send_msg(), 1);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_FIELD_LENGTH], 4);
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(error_sum(&s), 4);
}
END_TEST

START_TEST(fields_of_length_zero_are_skipped)
{
	/* RFC 7011 gives a field's length, and a length of 0 reads nothing: the template
	 * is kept (an enterprise element of length 0 too), its records read around them. */
	static const struct mb_field padded[] = { { 8, 4, 0 }, { 0, 0, 0 }, { 7, 0, 9 }, { 1, 4, 0 },
	                                          { 0, 0, 0 } };
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 256, padded, N(padded));
	mb_end(&m);
	mb_set(&m, 256);
	small_record(1234);
	small_record(99);
	mb_end(&m);
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got[0].bytes, 1234);
	ck_assert_uint_eq(got[1].bytes, 99);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.templates_empty_fields, 1);
	ck_assert_uint_eq(error_sum(&s), 0);
}
END_TEST

START_TEST(nonzero_padding)
{
	mb_ipfix(&m, SECS, 0, DOM);
	basic_template(256);
	mb_set(&m, 256);
	basic_record(1);
	mb_end_pad(&m, 3, 0x80);
	basic_data(256, 2, 1);
	ck_assert_int_eq(send_msg(), 2);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_PADDING], 1);
	ck_assert_uint_eq(error_sum(&s), 1);
}
END_TEST

/* ---- records that cannot be right --------------------------------------------- */

START_TEST(biflow_with_a_wrapping_counter_is_refused_whole)
{
	/* Two records of 2^63 bytes (one of them the reverse half of a biflow) would wrap
	 * a step's total to 0: each record is refused whole, both halves. */
	static const struct mb_field f[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 1, 8, 0 }, { 2, 8, 0 },
	                                     { 1, 8, MB_PEN_REVERSE }, { 2, 8, MB_PEN_REVERSE },
	                                     { 152, 8, 0 }, { 153, 8, 0 } };
	static const uint64_t vol[3][4] = { { 1000, 10, 1ull << 63, 1 }, { 1ull << 63, 1, 0, 0 },
	                                    { 2000, 20, 3000, 30 } };
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 258, f, N(f));
	mb_set(&m, 258);
	for (int i = 0; i < 3; i++) {
		mb_v4(&m, "10.0.0.1"), mb_v4(&m, "10.0.0.2");
		mb_u64(&m, vol[i][0]), mb_u64(&m, vol[i][1]), mb_u64(&m, vol[i][2]), mb_u64(&m, vol[i][3]);
		mb_u64(&m, (uint64_t)EXPORT_MS - 3000), mb_u64(&m, (uint64_t)EXPORT_MS - 1000);
	}
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_uint_eq(got[0].bytes, 2000);
	ck_assert_uint_eq(got[1].bytes, 3000);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_IMPLAUSIBLE_COUNTER], 2);
	ck_assert_uint_eq(s.records, 1);
	ck_assert_uint_eq(s.bytes, 5000);
	ck_assert_uint_eq(s.refused_bytes, UINT64_MAX);            /* 2^64 + 1000: saturated */
	ck_assert_uint_eq(s.refused_packets, 12);
	/* the sequence counts every data record the exporter sent */
	mb_ipfix(&m, SECS, 3, DOM);
	mb_set(&m, 258);
	mb_v4(&m, "10.0.0.1"), mb_v4(&m, "10.0.0.2");
	mb_u64(&m, 1), mb_u64(&m, 1), mb_u64(&m, 0), mb_u64(&m, 0);
	mb_u64(&m, (uint64_t)EXPORT_MS - 3000), mb_u64(&m, (uint64_t)EXPORT_MS - 1000);
	ck_assert_int_eq(send_msg(), 1);
	ck_assert_uint_eq(stats().lost_records, 0);
}
END_TEST

START_TEST(times_of_every_element_are_checked_against_receipt)
{
	const struct ft_netflow_conf o = { .max_flow_age_ms = 7 * 86400000LL, .max_clock_skew_ms = 3600000LL };
	open_nf(&o);
	mb_ipfix(&m, SECS, 0, DOM);
	time_record(300, 150, 151, 4, SECS - 10, 0xffffffffu);                 /* 2106 */
	time_record(301, 152, 153, 8, 1, 2);                                   /* 1970 */
	time_record(302, 152, 153, 8, (uint64_t)INT64_MAX, (uint64_t)INT64_MAX);
	time_record(303, 152, 153, 8, 1ull << 63 | 1, (uint64_t)EXPORT_MS);    /* INT64_MIN + 1 */
	time_record(304, 156, 157, 8, ntp(SECS + 7200, 0), ntp(SECS + 7201, 0));
	time_record(305, 154, 155, 8, ntp(SECS - 10, 0), ntp(SECS - 5, 0));    /* kept */
	time_record(306, 158, 159, 4, 5000000, 1000000);                       /* kept */
	ck_assert_int_eq(send_msg(), 2);
	ck_assert_uint_eq(n_got, 2);
	ck_assert_int_eq(got[0].end_ms, EXPORT_MS - 5000);
	ck_assert_int_eq(got[1].end_ms, EXPORT_MS - 1000);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TIME_RANGE], 5);
	ck_assert_uint_eq(s.refused_bytes, 5);
	ck_assert_uint_eq(s.records, 2);
	/* the export time is the receiver's: received 10 days later, all are refused */
	mb_ipfix(&m, SECS, 7, DOM);
	time_record(305, 154, 155, 8, ntp(SECS - 10, 0), ntp(SECS - 5, 0));
	ck_assert_int_eq(send_dg(EXP, NOW_NS + 10 * 86400000000000LL), 0);
	ck_assert_uint_eq(stats().errors[FT_NF_ERR_TIME_RANGE], 6);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("ipfix");
	TCase *tc = tcase_create("records");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, record_fields_with_enterprise_fields);
	tcase_add_test(tc, variable_length_fields_in_data);
	tcase_add_test(tc, variable_length_overrun_keeps_earlier_records);
	tcase_add_test(tc, biflow_reverse_counters);
	tcase_add_test(tc, nsel_initiator_and_responder);
	tcase_add_test(tc, total_only_record_is_not_accounted);
	tcase_add_test(tc, time_seconds_and_milliseconds);
	tcase_add_test(tc, time_micro_and_nanoseconds_ntp);
	tcase_add_test(tc, time_delta_microseconds);
	tcase_add_test(tc, time_sysuptime_with_init_time_option);
	suite_add_tcase(s, tc);
	tc = tcase_create("messages");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, message_length_must_equal_datagram);
	tcase_add_test(tc, observation_domains_are_separate);
	tcase_add_test(tc, sequence_counts_data_records);
	tcase_add_test(tc, sequence_wraps);
	tcase_add_test(tc, sequence_tracking_suspended_while_data_waits);
	suite_add_tcase(s, tc);
	tc = tcase_create("templates");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, withdraw_one_template);
	tcase_add_test(tc, withdraw_all_data_templates);
	tcase_add_test(tc, withdraw_all_options_templates);
	tcase_add_test(tc, withdrawals_ignored_by_default);
	tcase_add_test(tc, options_scope_count_checks);
	tcase_add_test(tc, template_flood_hits_the_cap);
	tcase_add_test(tc, decoding_cost_is_linear);
	tcase_add_test(tc, largest_template_decodes);
	suite_add_tcase(s, tc);
	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, selector_sampling_rates);
	tcase_add_test(tc, sampling_interval_option_is_domain_default);
	tcase_add_test(tc, interface_names_variable_length);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, short_header_is_dropped);
	tcase_add_test(tc, reserved_set_ids);
	tcase_add_test(tc, bad_set_lengths);
	tcase_add_test(tc, template_id_below_256);
	tcase_add_test(tc, template_fields_overflow_the_set);
	tcase_add_test(tc, bad_field_lengths);
	tcase_add_test(tc, fields_of_length_zero_are_skipped);
	tcase_add_test(tc, nonzero_padding);
	suite_add_tcase(s, tc);
	tc = tcase_create("implausible");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, biflow_with_a_wrapping_counter_is_refused_whole);
	tcase_add_test(tc, times_of_every_element_are_checked_against_receipt);
	suite_add_tcase(s, tc);
	return s;
}
