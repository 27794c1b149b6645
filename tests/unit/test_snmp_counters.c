/* Interface counters by the book (snmp.h, collector/snmp/counters.c): a poll's reading
 * of an interface, each verdict of ft_snmp_classify on hand-made readings (rate bounds
 * worked out here), and the accumulator's spreading over steps against hand-computed
 * shares, a largest-remainder reference written here, and random polls whose deltas
 * must all be found again in the steps. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "flowtally/snmp.h"

#define T0 1799971200000LL           /* 2027-01-15T00:00:00Z: a multiple of every step */
#define SEC 1000LL
#define MINUTE 60000LL
#define GBPS 1000000000ull
#define TWO32 4294967296ull

static const struct ft_snmp_limits lim = {
	.max_gap_ms = 10 * MINUTE, .speed_tolerance_pct = 10, .uptime_slack_ms = 2000,
};

/* A reading at t of a 64-bit interface at `speed`, every counter there, its agent up
 * since T0 - 1 day (sysUpTime in step with the wall clock), all counters at c. */
static struct ft_snmp_reading rd(int64_t t, uint64_t speed, uint64_t c)
{
	struct ft_snmp_reading r = {
		.time_ms = t, .have_uptime = true, .uptime_ms = t, .have_disc = true, .disc_time = 0,
		.ifindex = 3, .speed_bps = speed, .hc = true, .have = 0xff,
	};
	r.uptime = (uint32_t)((t - (T0 - 86400 * SEC)) / 10);
	for (int i = 0; i < FT_SNMP_N_COUNTERS; i++)
		r.c[i] = c;
	return r;
}

static struct ft_snmp_delta classify(const struct ft_snmp_reading *a, const struct ft_snmp_reading *b)
{
	struct ft_snmp_delta d;
	memset(&d, 0x5a, sizeof(d));
	ft_snmp_classify(a, b, &lim, &d);
	return d;
}

static void all_are(const struct ft_snmp_delta *d, unsigned v)
{
	for (int i = 0; i < FT_SNMP_N_COUNTERS; i++) {
		ck_assert_msg(d->verdict[i] == v, "counter %d: %s, not %s", i,
		              ft_snmp_verdict_name(d->verdict[i]), ft_snmp_verdict_name(v));
		if (!ft_snmp_verdict_ok(v))
			ck_assert_uint_eq(d->d[i], 0);
	}
}

/* ---- names and readings ---------------------------------------------------------------- */

START_TEST(verdicts_have_names)
{
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_NORMAL), "normal");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_WRAP), "wrap");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_RESTART), "restart");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_DISCONTINUITY), "discontinuity");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_IMPOSSIBLE), "impossible");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_AMBIGUOUS), "ambiguous");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_REINDEX), "reindex");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_GAP), "gap");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_ABSENT), "absent");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP_NO_ANSWER), "no_answer");
	ck_assert_str_eq(ft_snmp_verdict_name(FT_SNMP__VERDICTS), "?");
	ck_assert_str_eq(ft_snmp_verdict_name(1000), "?");
}
END_TEST

START_TEST(reading_takes_64_bit_counters_and_high_speed)
{
	struct ft_snmp_poll p = { .have_uptime = true, .sys_uptime = 12345, .uptime_ms = T0 + 7 };
	struct ft_snmp_if i = { .ifindex = 9, .high_speed = 10000, .speed = 4294967295u, .disc_time = 77,
	                        .time_ms = T0 + 9 };
	i.have = FT_SNMP_HAVE_HIGHSPEED | FT_SNMP_HAVE_SPEED | FT_SNMP_HAVE_DISC;
	for (int k = 0; k < 4; k++) {
		i.have |= FT_SNMP_HAVE_HC(k);
		i.hc[k] = 10000000000ull + (uint64_t)k;
	}
	for (int k = 0; k < 8; k++) {
		i.c32[k] = 100u + (uint32_t)k;
		if (k != 5)
			i.have |= FT_SNMP_HAVE_C32(k);
	}
	struct ft_snmp_reading r;
	ft_snmp_reading_of(&p, &i, &r);
	ck_assert_int_eq(r.time_ms, T0 + 9);
	ck_assert(r.have_uptime);
	ck_assert_uint_eq(r.uptime, 12345);
	ck_assert_int_eq(r.uptime_ms, T0 + 7);
	ck_assert(r.have_disc);
	ck_assert_uint_eq(r.disc_time, 77);
	ck_assert_uint_eq(r.ifindex, 9);
	ck_assert_uint_eq(r.speed_bps, 10000 * 1000000ull);
	ck_assert(r.hc);
	for (int k = 0; k < 4; k++)
		ck_assert_uint_eq(r.c[k], 10000000000ull + (uint64_t)k);
	ck_assert_uint_eq(r.c[4], 104);
	ck_assert_uint_eq(r.c[6], 106);
	ck_assert_uint_eq(r.have, 0xff & ~(1u << 5));
}
END_TEST

START_TEST(reading_falls_back_to_32_bit_counters_and_if_speed)
{
	struct ft_snmp_poll p = { 0 };
	struct ft_snmp_if i = { .ifindex = 2, .high_speed = 0, .speed = 512000, .time_ms = T0 };
	/* ifHCInOctets without ifHCOutOctets: not a 64-bit interface. */
	i.have = FT_SNMP_HAVE_HIGHSPEED | FT_SNMP_HAVE_SPEED | FT_SNMP_HAVE_HC(0);
	i.hc[0] = 1ull << 40;
	for (int k = 0; k < 4; k++) {
		i.have |= FT_SNMP_HAVE_C32(k);
		i.c32[k] = 1000u + (uint32_t)k;
	}
	struct ft_snmp_reading r;
	ft_snmp_reading_of(&p, &i, &r);
	ck_assert(!r.hc);
	ck_assert(!r.have_uptime);
	ck_assert(!r.have_disc);
	ck_assert_uint_eq(r.speed_bps, 512000);     /* ifHighSpeed 0: below 1 Mb/s */
	ck_assert_uint_eq(r.have, 0x0f);
	for (int k = 0; k < 4; k++)
		ck_assert_uint_eq(r.c[k], 1000u + (uint64_t)k);

	i.have &= ~(FT_SNMP_HAVE_HIGHSPEED | FT_SNMP_HAVE_SPEED);
	ft_snmp_reading_of(&p, &i, &r);
	ck_assert_uint_eq(r.speed_bps, 0);
}
END_TEST

START_TEST(interface_keys)
{
	struct ft_snmp_if i = { .ifindex = 4242 };
	char buf[64];
	ck_assert_str_eq(ft_snmp_if_key(&i, FT_SNMP_BY_IFNAME, buf, sizeof(buf)), "");
	ck_assert_str_eq(ft_snmp_if_key(&i, FT_SNMP_BY_IFDESCR, buf, sizeof(buf)), "");
	ck_assert_str_eq(ft_snmp_if_key(&i, FT_SNMP_BY_IFINDEX, buf, sizeof(buf)), "4242");
	snprintf(i.name, sizeof(i.name), "ge-0/0/1");
	snprintf(i.descr, sizeof(i.descr), "GigabitEthernet0/0/1 uplink");
	i.have = FT_SNMP_HAVE_NAME | FT_SNMP_HAVE_DESCR;
	ck_assert_str_eq(ft_snmp_if_key(&i, FT_SNMP_BY_IFNAME, buf, sizeof(buf)), "ge-0/0/1");
	ck_assert_str_eq(ft_snmp_if_key(&i, FT_SNMP_BY_IFDESCR, buf, sizeof(buf)), "GigabitEthernet0/0/1 uplink");
	ck_assert_str_eq(ft_snmp_if_key(&i, FT_SNMP_BY_IFNAME, buf, 4), "ge-");
}
END_TEST

/* ---- classification ------------------------------------------------------------------- */

START_TEST(normal_64_bit_delta)
{
	struct ft_snmp_reading a = rd(T0, 10 * GBPS, 5000000000ull), b = rd(T0 + MINUTE, 10 * GBPS, 0);
	for (int i = 0; i < FT_SNMP_N_COUNTERS; i++)
		b.c[i] = a.c[i] + 1000u * (uint64_t)(i + 1);
	a.c[4] = 7;                     /* errors are Counter32 */
	b.c[4] = 9;
	struct ft_snmp_delta d = classify(&a, &b);
	ck_assert_int_eq(d.from_ms, T0);
	ck_assert_int_eq(d.to_ms, T0 + MINUTE);
	for (int i = 0; i < FT_SNMP_N_COUNTERS; i++) {
		ck_assert_uint_eq(d.verdict[i], FT_SNMP_NORMAL);
		ck_assert_uint_eq(d.d[i], i == 4 ? 2u : 1000u * (uint64_t)(i + 1));
	}
}
END_TEST

START_TEST(rate_above_speed_is_impossible)
{
	/* 1 Gb/s, 10 % tolerance, 60 s: at most 8.25e9 octets and 8.25e9/84 = 98214285.7
	 * packets. */
	struct ft_snmp_reading a = rd(T0, GBPS, 1000), b = rd(T0 + MINUTE, GBPS, 1000);
	b.c[FT_SNMP_IN_OCTETS] += 8250000000ull;        /* exactly the bound */
	b.c[FT_SNMP_OUT_OCTETS] += 8250000001ull;
	b.c[FT_SNMP_IN_UCAST] += 98214285;
	b.c[FT_SNMP_OUT_UCAST] += 98214286;
	struct ft_snmp_delta d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_OCTETS], FT_SNMP_NORMAL);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_OCTETS], 8250000000ull);
	ck_assert_uint_eq(d.verdict[FT_SNMP_OUT_OCTETS], FT_SNMP_IMPOSSIBLE);
	ck_assert_uint_eq(d.d[FT_SNMP_OUT_OCTETS], 0);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_UCAST], FT_SNMP_NORMAL);
	ck_assert_uint_eq(d.verdict[FT_SNMP_OUT_UCAST], FT_SNMP_IMPOSSIBLE);
	ck_assert_uint_eq(d.d[FT_SNMP_OUT_UCAST], 0);
	/* Errors are Counter32: over 60 s a 1 Gb/s link carries 98214285 frames at most. */
	b.c[FT_SNMP_IN_ERRORS] = a.c[FT_SNMP_IN_ERRORS] + 98214286;
	d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_ERRORS], FT_SNMP_IMPOSSIBLE);
}
END_TEST

START_TEST(unknown_speed_takes_any_increase)
{
	struct ft_snmp_reading a = rd(T0, 0, 1000), b = rd(T0 + MINUTE, 0, 1000);
	b.c[0] += 1ull << 60;
	b.c[4] = 4000000000u;           /* a 32-bit counter far up: no bound to check */
	struct ft_snmp_delta d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[0], FT_SNMP_NORMAL);
	ck_assert_uint_eq(d.d[0], 1ull << 60);
	ck_assert_uint_eq(d.verdict[4], FT_SNMP_NORMAL);
	ck_assert_uint_eq(d.d[4], 4000000000u - 1000);
}
END_TEST

START_TEST(a_64_bit_decrease_is_impossible_never_a_delta)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 1ull << 40), b = rd(T0 + MINUTE, GBPS, 1ull << 40);
	b.c[FT_SNMP_IN_OCTETS] = 12345;         /* reset, though 2^64 - 2^40 + 12345 is no delta */
	b.c[FT_SNMP_IN_UCAST] = (1ull << 40) - 1;
	struct ft_snmp_delta d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_OCTETS], FT_SNMP_IMPOSSIBLE);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_OCTETS], 0);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_UCAST], FT_SNMP_IMPOSSIBLE);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_UCAST], 0);
	ck_assert_uint_eq(d.verdict[FT_SNMP_OUT_OCTETS], FT_SNMP_NORMAL);
	ck_assert_uint_eq(d.d[FT_SNMP_OUT_OCTETS], 0);
}
END_TEST

START_TEST(a_32_bit_wrap_at_a_possible_rate_is_a_wrap)
{
	/* 100 Mb/s over 60 s: 825e6 octets at most, well below 2^32. */
	struct ft_snmp_reading a = rd(T0, 100000000, 0), b = rd(T0 + MINUTE, 100000000, 0);
	a.hc = b.hc = false;
	a.c[FT_SNMP_IN_OCTETS] = 4294000000u;
	b.c[FT_SNMP_IN_OCTETS] = 500000000u;
	a.c[FT_SNMP_OUT_OCTETS] = 4294000000u;
	b.c[FT_SNMP_OUT_OCTETS] = 900000000u;   /* 900967296: more than the link carries */
	a.c[FT_SNMP_IN_ERRORS] = 4294967290u;
	b.c[FT_SNMP_IN_ERRORS] = 4;
	struct ft_snmp_delta d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_OCTETS], FT_SNMP_WRAP);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_OCTETS], 500000000u + TWO32 - 4294000000u);
	ck_assert_uint_eq(d.verdict[FT_SNMP_OUT_OCTETS], FT_SNMP_IMPOSSIBLE);
	ck_assert_uint_eq(d.d[FT_SNMP_OUT_OCTETS], 0);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_ERRORS], FT_SNMP_WRAP);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_ERRORS], 10);
}
END_TEST

START_TEST(a_32_bit_wrap_at_unknown_speed_is_impossible)
{
	struct ft_snmp_reading a = rd(T0, 0, 0), b = rd(T0 + MINUTE, 0, 0);
	a.hc = b.hc = false;
	a.c[FT_SNMP_IN_OCTETS] = 4294000000u;
	b.c[FT_SNMP_IN_OCTETS] = 1000;
	a.c[FT_SNMP_IN_DISCARDS] = 4294967295u;
	b.c[FT_SNMP_IN_DISCARDS] = 0;
	struct ft_snmp_delta d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_OCTETS], FT_SNMP_IMPOSSIBLE);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_OCTETS], 0);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_DISCARDS], FT_SNMP_IMPOSSIBLE);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_DISCARDS], 0);
}
END_TEST

START_TEST(a_32_bit_counter_at_10_gbps_over_60_s_is_ambiguous)
{
	/* 10 Gb/s × 60 s × 1.1 / 8 = 8.25e10 octets > 2^32; packets 9.8e8 < 2^32. */
	struct ft_snmp_reading a = rd(T0, 10 * GBPS, 100), b = rd(T0 + MINUTE, 10 * GBPS, 200);
	a.hc = b.hc = false;
	struct ft_snmp_delta d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_OCTETS], FT_SNMP_AMBIGUOUS);
	ck_assert_uint_eq(d.verdict[FT_SNMP_OUT_OCTETS], FT_SNMP_AMBIGUOUS);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_OCTETS], 0);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_UCAST], FT_SNMP_NORMAL);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_UCAST], 100);
	/* A wrapped reading is no better. */
	b.c[FT_SNMP_IN_OCTETS] = 50;
	d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_OCTETS], FT_SNMP_AMBIGUOUS);
	/* The threshold: 2^32 octets in dt exactly (speed 8 × 2^32 × 1000 / 1.1 / dt). */
	a = rd(T0, 1000000000, 100);
	b = rd(T0 + 31237, 1000000000, 200);    /* 1e9 × 31.237 × 1.1 / 8 = 4295087500 >= 2^32 */
	a.hc = b.hc = false;
	d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_OCTETS], FT_SNMP_AMBIGUOUS);
	b = rd(T0 + 31236, 1000000000, 200);    /* 4294950000 < 2^32 */
	b.hc = false;
	d = classify(&a, &b);
	ck_assert_uint_eq(d.verdict[FT_SNMP_IN_OCTETS], FT_SNMP_NORMAL);
	ck_assert_uint_eq(d.d[FT_SNMP_IN_OCTETS], 100);
}
END_TEST

START_TEST(the_wall_clock_going_back_is_impossible)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 100), b = rd(T0, GBPS, 200);
	struct ft_snmp_delta d = classify(&a, &b);
	all_are(&d, FT_SNMP_IMPOSSIBLE);
	b = rd(T0 - SEC, GBPS, 200);
	d = classify(&a, &b);
	all_are(&d, FT_SNMP_IMPOSSIBLE);
}
END_TEST

START_TEST(sys_uptime_going_back_is_a_restart)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 100), b = rd(T0 + MINUTE, GBPS, 200);
	b.uptime = 3000;                /* 30 s after a reboot */
	struct ft_snmp_delta d = classify(&a, &b);
	all_are(&d, FT_SNMP_RESTART);
	/* Only a little back: modulo 2^32, almost 497 days ahead. */
	b.uptime = a.uptime - 1;
	d = classify(&a, &b);
	all_are(&d, FT_SNMP_RESTART);
}
END_TEST

START_TEST(sys_uptime_wrapping_at_2_32_is_no_restart)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 100), b = rd(T0 + MINUTE, GBPS, 200);
	a.uptime = 4294967295u - 2999;  /* 30 s before the wrap */
	b.uptime = 3000;                /* 30 s after */
	struct ft_snmp_delta d = classify(&a, &b);
	all_are(&d, FT_SNMP_NORMAL);
	ck_assert_uint_eq(d.d[0], 100);
	/* Within the slack (2 s + 1 % of 60 s): 2.6 s off is fine, 2.7 s is not. */
	b.uptime = 3000 + 260;
	d = classify(&a, &b);
	all_are(&d, FT_SNMP_NORMAL);
	b.uptime = 3000 + 270;
	d = classify(&a, &b);
	all_are(&d, FT_SNMP_RESTART);
}
END_TEST

START_TEST(sys_uptime_slower_than_the_wall_is_a_restart)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 100), b = rd(T0 + MINUTE, GBPS, 200);
	b.uptime = a.uptime + 600;      /* 6 s of ticks in 60 s */
	struct ft_snmp_delta d = classify(&a, &b);
	all_are(&d, FT_SNMP_RESTART);
	/* No sysUpTime on one side: nothing to check it with. */
	b.have_uptime = false;
	d = classify(&a, &b);
	all_are(&d, FT_SNMP_NORMAL);
}
END_TEST

START_TEST(a_changed_discontinuity_time_is_a_discontinuity)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 100), b = rd(T0 + MINUTE, GBPS, 200);
	b.disc_time = 12;
	struct ft_snmp_delta d = classify(&a, &b);
	all_are(&d, FT_SNMP_DISCONTINUITY);
	b.have_disc = false;
	d = classify(&a, &b);
	all_are(&d, FT_SNMP_NORMAL);
}
END_TEST

START_TEST(a_new_ifindex_is_a_reindex)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 100), b = rd(T0 + MINUTE, GBPS, 200);
	b.ifindex = 4;
	b.disc_time = 12;               /* a reindex comes before a discontinuity */
	b.uptime = 3000;                /* and before a restart */
	struct ft_snmp_delta d = classify(&a, &b);
	all_are(&d, FT_SNMP_REINDEX);
}
END_TEST

START_TEST(readings_too_far_apart_are_a_gap)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 100), b = rd(T0 + 10 * MINUTE, GBPS, 200);
	struct ft_snmp_delta d = classify(&a, &b);
	all_are(&d, FT_SNMP_NORMAL);
	b = rd(T0 + 10 * MINUTE + 1, GBPS, 200);
	b.ifindex = 4;                  /* a gap comes first */
	d = classify(&a, &b);
	all_are(&d, FT_SNMP_GAP);
}
END_TEST

START_TEST(a_missing_counter_is_absent)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 100), b = rd(T0 + MINUTE, GBPS, 200);
	a.have &= ~(1u << FT_SNMP_OUT_ERRORS);
	b.have &= ~(1u << FT_SNMP_IN_UCAST);
	struct ft_snmp_delta d = classify(&a, &b);
	for (int i = 0; i < FT_SNMP_N_COUNTERS; i++) {
		bool absent = i == FT_SNMP_OUT_ERRORS || i == FT_SNMP_IN_UCAST;
		ck_assert_uint_eq(d.verdict[i], absent ? FT_SNMP_ABSENT : FT_SNMP_NORMAL);
		ck_assert_uint_eq(d.d[i], absent ? 0 : 100);
	}
}
END_TEST

START_TEST(switching_to_64_bit_counters_is_a_discontinuity)
{
	struct ft_snmp_reading a = rd(T0, GBPS, 100), b = rd(T0 + MINUTE, GBPS, 200);
	a.hc = false;
	struct ft_snmp_delta d = classify(&a, &b);
	for (int i = 0; i < FT_SNMP_N_COUNTERS; i++) {
		ck_assert_uint_eq(d.verdict[i], i < 4 ? FT_SNMP_DISCONTINUITY : FT_SNMP_NORMAL);
		ck_assert_uint_eq(d.d[i], i < 4 ? 0 : 100);
	}
	a.hc = true;
	b.hc = false;
	d = classify(&a, &b);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(d.verdict[i], FT_SNMP_DISCONTINUITY);
}
END_TEST

START_TEST(extreme_values_do_not_overflow)
{
	struct ft_snmp_limits wide = { .max_gap_ms = INT64_MAX, .speed_tolerance_pct = UINT32_MAX,
	                               .uptime_slack_ms = 0 };
	struct ft_snmp_reading a = rd(1, UINT64_MAX, 0), b = rd(INT64_MAX, UINT64_MAX, UINT64_MAX);
	a.have_uptime = b.have_uptime = false;
	struct ft_snmp_delta d;
	ft_snmp_classify(&a, &b, &wide, &d);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(d.verdict[i], FT_SNMP_NORMAL);
		ck_assert_uint_eq(d.d[i], UINT64_MAX);
	}
	for (int i = 4; i < FT_SNMP_N_COUNTERS; i++)
		ck_assert_uint_eq(d.verdict[i], FT_SNMP_AMBIGUOUS);
	a = rd(T0, GBPS, 0);
	b = rd(T0, GBPS, 0);
	a.time_ms = INT64_MIN;
	b.time_ms = INT64_MAX;
	a.have_uptime = b.have_uptime = false;
	ft_snmp_classify(&b, &a, &wide, &d);
	all_are(&d, FT_SNMP_IMPOSSIBLE);
}
END_TEST

/* ---- the accumulator ------------------------------------------------------------------ */

/* A delta of [from, to) with every counter `v` at d. */
static struct ft_snmp_delta delta(int64_t from, int64_t to, unsigned v, uint64_t d)
{
	struct ft_snmp_delta x = { .from_ms = from, .to_ms = to };
	for (int i = 0; i < FT_SNMP_N_COUNTERS; i++) {
		x.verdict[i] = (uint8_t)v;
		x.d[i] = ft_snmp_verdict_ok(v) ? d + (uint64_t)i : 0;
	}
	return x;
}

START_TEST(an_interval_on_a_step_makes_it_known)
{
	struct ft_snmp_acc a;
	ft_snmp_acc_init(&a, MINUTE);
	struct ft_snmp_delta d = delta(T0, T0 + MINUTE, FT_SNMP_NORMAL, 1000);
	ck_assert_int_eq(ft_snmp_acc_add(&a, &d), 0);
	struct ft_if_step s[4];
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + MINUTE - 1, s, 4), 0);
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + MINUTE, s, 4), 1);
	ck_assert_int_eq(s[0].start_ms, T0);
	ck_assert_uint_eq(s[0].known, 0xff);
	for (int i = 0; i < FT_SNMP_N_COUNTERS; i++) {
		ck_assert_uint_eq(s[0].v[i], 1000u + (uint64_t)i);
		ck_assert_uint_eq(s[0].verdict[i], FT_SNMP_NORMAL);
	}
	ck_assert_str_eq(s[0].device, "");
	ck_assert_uint_eq(s[0].speed_bps, 0);
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 10 * MINUTE, s, 4), 0);
}
END_TEST

START_TEST(a_wrap_is_data)
{
	struct ft_snmp_acc a;
	ft_snmp_acc_init(&a, MINUTE);
	struct ft_snmp_delta d = delta(T0, T0 + MINUTE, FT_SNMP_WRAP, 70);
	ft_snmp_acc_add(&a, &d);
	struct ft_if_step s[1];
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + MINUTE, s, 1), 1);
	ck_assert_uint_eq(s[0].known, 0xff);
	ck_assert_uint_eq(s[0].v[0], 70);
	ck_assert_uint_eq(s[0].verdict[0], FT_SNMP_NORMAL);
}
END_TEST

START_TEST(a_late_poll_spreads_by_time)
{
	/* 0:00:05 -> 0:01:05, 1001: 1001 × 55/60 = 917.58, 1001 × 5/60 = 83.42; the unit
	 * left goes to the first.  0:01:05 -> 0:02:03, 999: 999 × 55/58 = 947.33,
	 * 999 × 3/58 = 51.67; the unit left goes to the second. */
	struct ft_snmp_acc a;
	ft_snmp_acc_init(&a, MINUTE);
	struct ft_if_step s[4];
	struct ft_snmp_delta d = delta(T0 + 5 * SEC, T0 + 65 * SEC, FT_SNMP_NORMAL, 1001);
	d.d[1] = 0;
	ft_snmp_acc_add(&a, &d);
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 65 * SEC, s, 4), 1);
	ck_assert_int_eq(s[0].start_ms, T0);
	ck_assert_uint_eq(s[0].known, 0);
	ck_assert_uint_eq(s[0].verdict[0], FT_SNMP_NO_ANSWER);
	ck_assert_uint_eq(s[0].v[0], 918);
	ck_assert_uint_eq(s[0].v[1], 0);

	d = delta(T0 + 65 * SEC, T0 + 123 * SEC, FT_SNMP_NORMAL, 999);
	d.d[1] = 0;
	ft_snmp_acc_add(&a, &d);
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 123 * SEC, s, 4), 1);
	ck_assert_int_eq(s[0].start_ms, T0 + MINUTE);
	ck_assert_uint_eq(s[0].known, 0xff);
	ck_assert_uint_eq(s[0].v[0], 83 + 947);
	ck_assert_uint_eq(s[0].v[1], 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_int_eq(a.first_ms, T0 + 2 * MINUTE);
	ck_assert_uint_eq(a.steps[0].v[0], 52);
	ck_assert_int_eq(a.steps[0].covered_ms, 3 * SEC);
	ck_assert_uint_eq(918 + 83 + 947 + 52, 1001 + 999);
	/* Counter 2 (1003, 1001): 919.4 + 83.6 -> 919, 84; 949.2 + 51.8 -> 949, 52. */
	ck_assert_uint_eq(s[0].v[2], 84 + 949);
	ck_assert_uint_eq(a.steps[0].v[2], 52);
}
END_TEST

START_TEST(a_restart_spoils_only_the_steps_it_overlaps)
{
	/* Readings at 0:00, 1:00, 2:10, 3:10, 4:00; 2:10 -> 3:10 a restart. */
	int64_t t[] = { 0, 60, 130, 190, 240 };
	struct ft_snmp_acc a;
	ft_snmp_acc_init(&a, MINUTE);
	for (int k = 0; k < 4; k++) {
		struct ft_snmp_delta d = delta(T0 + t[k] * SEC, T0 + t[k + 1] * SEC,
		                               k == 2 ? FT_SNMP_RESTART : FT_SNMP_NORMAL, 600);
		ft_snmp_acc_add(&a, &d);
	}
	struct ft_if_step s[8];
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 240 * SEC, s, 8), 4);
	ck_assert_uint_eq(s[0].known, 0xff);
	ck_assert_uint_eq(s[0].v[0], 600);
	ck_assert_uint_eq(s[1].known, 0xff);
	ck_assert_uint_eq(s[1].v[0], 600 * 60 / 70);        /* 514.29 -> 514 */
	for (int k = 2; k < 4; k++) {
		ck_assert_uint_eq(s[k].known, 0);
		for (int i = 0; i < FT_SNMP_N_COUNTERS; i++)
			ck_assert_uint_eq(s[k].verdict[i], FT_SNMP_RESTART);
	}
	/* The first reason stays: a later one does not replace it. */
	ft_snmp_acc_init(&a, MINUTE);
	struct ft_snmp_delta d = delta(T0, T0 + 30 * SEC, FT_SNMP_GAP, 0);
	ft_snmp_acc_add(&a, &d);
	d = delta(T0 + 30 * SEC, T0 + 60 * SEC, FT_SNMP_IMPOSSIBLE, 0);
	d.verdict[3] = FT_SNMP_NORMAL;
	d.d[3] = 5;
	ft_snmp_acc_add(&a, &d);
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + MINUTE, s, 8), 1);
	ck_assert_uint_eq(s[0].known, 0);
	for (int i = 0; i < FT_SNMP_N_COUNTERS; i++)
		ck_assert_uint_eq(s[0].verdict[i], FT_SNMP_GAP);
}
END_TEST

START_TEST(partial_coverage_is_no_answer)
{
	struct ft_snmp_acc a;
	ft_snmp_acc_init(&a, MINUTE);
	/* Readings from 0:00:20 on, then none from 0:03:00 to 0:04:30. */
	struct ft_snmp_delta d = delta(T0 + 20 * SEC, T0 + 180 * SEC, FT_SNMP_NORMAL, 1600);
	ft_snmp_acc_add(&a, &d);
	d = delta(T0 + 270 * SEC, T0 + 300 * SEC, FT_SNMP_NORMAL, 30);
	ft_snmp_acc_add(&a, &d);
	struct ft_if_step s[8];
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 300 * SEC, s, 8), 5);
	unsigned want_known[5] = { 0, 0xff, 0xff, 0, 0 };
	for (int k = 0; k < 5; k++) {
		ck_assert_int_eq(s[k].start_ms, T0 + k * MINUTE);
		ck_assert_uint_eq(s[k].known, want_known[k]);
		for (int i = 0; i < FT_SNMP_N_COUNTERS; i++)
			ck_assert_uint_eq(s[k].verdict[i], want_known[k] ? FT_SNMP_NORMAL : FT_SNMP_NO_ANSWER);
	}
	ck_assert_uint_eq(s[0].v[0], 400);
	ck_assert_uint_eq(s[1].v[0], 600);
	ck_assert_uint_eq(s[2].v[0], 600);
	ck_assert_uint_eq(s[3].v[0], 0);                    /* never touched: covered 0 */
	ck_assert_uint_eq(s[4].v[0], 30);
}
END_TEST

START_TEST(close_respects_its_cap)
{
	struct ft_snmp_acc a;
	ft_snmp_acc_init(&a, MINUTE);
	struct ft_snmp_delta d = delta(T0, T0 + 5 * MINUTE, FT_SNMP_NORMAL, 500);
	ft_snmp_acc_add(&a, &d);
	struct ft_if_step s[5];
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 5 * MINUTE, s, 2), 2);
	ck_assert_int_eq(s[0].start_ms, T0);
	ck_assert_int_eq(s[1].start_ms, T0 + MINUTE);
	ck_assert_uint_eq(a.n, 3);
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 5 * MINUTE, s, 0), 0);
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 5 * MINUTE, s, 5), 3);
	for (int k = 0; k < 3; k++) {
		ck_assert_int_eq(s[k].start_ms, T0 + (k + 2) * MINUTE);
		ck_assert_uint_eq(s[k].known, 0xff);
		ck_assert_uint_eq(s[k].v[0], 100);
	}
	ck_assert_uint_eq(a.n, 0);
}
END_TEST

START_TEST(closed_steps_are_not_opened_again)
{
	struct ft_snmp_acc a;
	ft_snmp_acc_init(&a, MINUTE);
	struct ft_snmp_delta d = delta(T0, T0 + 30 * SEC, FT_SNMP_NORMAL, 30);
	ft_snmp_acc_add(&a, &d);
	struct ft_if_step s[4];
	/* Closed at 1:30 with only its first half read. */
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 90 * SEC, s, 4), 1);
	ck_assert_uint_eq(s[0].verdict[0], FT_SNMP_NO_ANSWER);
	d = delta(T0 + 30 * SEC, T0 + 150 * SEC, FT_SNMP_NORMAL, 120);
	ft_snmp_acc_add(&a, &d);
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 150 * SEC, s, 4), 1);
	ck_assert_int_eq(s[0].start_ms, T0 + MINUTE);
	ck_assert_uint_eq(s[0].known, 0xff);
	ck_assert_uint_eq(s[0].v[0], 60);
	ck_assert_int_eq(a.first_ms, T0 + 2 * MINUTE);
	ck_assert_uint_eq(a.steps[0].v[0], 30);
	/* Wholly in closed steps: nothing. */
	d = delta(T0, T0 + 60 * SEC, FT_SNMP_NORMAL, 60);
	ft_snmp_acc_add(&a, &d);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_uint_eq(a.steps[0].v[0], 30);
	ck_assert_int_eq(a.steps[0].covered_ms, 30 * SEC);
}
END_TEST

START_TEST(a_long_interval_fills_only_the_last_steps)
{
	/* 100 whole steps, 1000003: 10000 each and the 3 left to the first three, which are
	 * beyond the window; the newest 64 hold 10000 each. */
	struct ft_snmp_acc a;
	ft_snmp_acc_init(&a, MINUTE);
	struct ft_snmp_delta d = delta(T0, T0 + 100 * MINUTE, FT_SNMP_NORMAL, 1000003);
	ft_snmp_acc_add(&a, &d);
	ck_assert_uint_eq(a.n, FT_SNMP_ACC_STEPS);
	ck_assert_int_eq(a.first_ms, T0 + (100 - FT_SNMP_ACC_STEPS) * MINUTE);
	struct ft_if_step s[FT_SNMP_ACC_STEPS];
	ck_assert_uint_eq(ft_snmp_acc_close(&a, T0 + 100 * MINUTE, s, FT_SNMP_ACC_STEPS), FT_SNMP_ACC_STEPS);
	for (int k = 0; k < FT_SNMP_ACC_STEPS; k++) {
		ck_assert_uint_eq(s[k].known, 0xff);
		ck_assert_uint_eq(s[k].v[0], 10000);
	}
	/* Open steps an interval ends too far past are dropped. */
	d = delta(T0 + 100 * MINUTE, T0 + 101 * MINUTE, FT_SNMP_NORMAL, 7);
	ft_snmp_acc_add(&a, &d);
	d = delta(T0 + 200 * MINUTE, T0 + 201 * MINUTE, FT_SNMP_NORMAL, 9);
	ft_snmp_acc_add(&a, &d);
	ck_assert_uint_eq(a.n, FT_SNMP_ACC_STEPS);
	ck_assert_int_eq(a.first_ms, T0 + (201 - FT_SNMP_ACC_STEPS) * MINUTE);
	ck_assert_uint_eq(a.steps[FT_SNMP_ACC_STEPS - 1].v[0], 9);
	ck_assert_uint_eq(a.steps[0].covered_ms, 0);
}
END_TEST

/* Largest remainder by the book: floors, then one each to the largest remainders,
 * ties to the earlier part. */
static void reference(uint64_t d, const int64_t *ov, size_t m, int64_t dt, uint64_t *ret)
{
	unsigned __int128 rem[256];
	uint64_t given = 0;
	for (size_t j = 0; j < m; j++) {
		unsigned __int128 x = (unsigned __int128)d * (uint64_t)ov[j];
		ret[j] = (uint64_t)(x / (uint64_t)dt);
		rem[j] = x % (uint64_t)dt;
		given += ret[j];
	}
	for (uint64_t left = d - given; left > 0; left--) {
		size_t best = 0;
		for (size_t j = 1; j < m; j++)
			if (rem[j] > rem[best])
				best = j;
		rem[best] = 0;
		ret[best]++;
	}
}

START_TEST(random_spreads_are_largest_remainder_apportionments)
{
	srandom(20270115);
	for (int round = 0; round < 3000; round++) {
		int64_t step = (random() % 3) ? MINUTE : 1 + random() % 1000;
		int64_t from = T0 + random() % (3 * step);
		int64_t dt = 1 + random() % (step * (random() % 2 ? 3 : 150));
		uint64_t d = ((uint64_t)random() << 33 ^ (uint64_t)random()) >> (random() % 64);
		if (round % 10 == 0)
			d = UINT64_MAX - (uint64_t)(random() % 3);
		int64_t k0 = from / step, k1 = (from + dt - 1) / step;
		size_t m = (size_t)(k1 - k0 + 1);
		int64_t ov[256];
		for (size_t j = 0; j < m; j++) {
			int64_t s0 = (k0 + (int64_t)j) * step, e0 = s0 + step;
			int64_t lo = from > s0 ? from : s0, hi = from + dt < e0 ? from + dt : e0;
			ov[j] = hi - lo;
		}
		uint64_t want[256];
		reference(d, ov, m, dt, want);
		struct ft_snmp_acc a;
		ft_snmp_acc_init(&a, step);
		struct ft_snmp_delta x = delta(from, from + dt, FT_SNMP_NORMAL, 0);
		x.d[0] = d;
		ft_snmp_acc_add(&a, &x);
		size_t kept = m < FT_SNMP_ACC_STEPS ? m : FT_SNMP_ACC_STEPS;
		ck_assert_uint_eq(a.n, kept);
		for (size_t j = 0; j < kept; j++) {
			size_t w = m - kept + j;
			ck_assert_msg(a.steps[j].v[0] == want[w], "round %d, step %zu of %zu: %" PRIu64
			              " not %" PRIu64, round, w, m, a.steps[j].v[0], want[w]);
			ck_assert_int_eq(a.steps[j].covered_ms, ov[w]);
		}
	}
}
END_TEST

START_TEST(random_polls_add_up_exactly)
{
	srandom(1799971);
	for (int round = 0; round < 50; round++) {
		struct ft_snmp_acc a;
		ft_snmp_acc_init(&a, MINUTE);
		struct ft_snmp_reading prev = rd(T0, 10 * GBPS, 0);
		for (int i = 4; i < FT_SNMP_N_COUNTERS; i++)
			prev.c[i] = 4294000000u;        /* Counter32s that wrap on the way */
		uint64_t sum_d[FT_SNMP_N_COUNTERS] = { 0 }, sum_v[FT_SNMP_N_COUNTERS] = { 0 };
		size_t closed = 0;
		for (int poll = 0; poll < 500; poll++) {
			int64_t dt = MINUTE - 25 * SEC + random() % (50 * SEC);
			struct ft_snmp_reading cur = rd(prev.time_ms + dt, 10 * GBPS, 0);
			for (int i = 0; i < FT_SNMP_N_COUNTERS; i++) {
				uint64_t inc = (uint64_t)random() % (i < 2 ? 40000000000ull : 1000000ull);
				cur.c[i] = i < 4 ? prev.c[i] + inc : (uint32_t)(prev.c[i] + inc);
			}
			struct ft_snmp_delta d;
			ft_snmp_classify(&prev, &cur, &lim, &d);
			for (int i = 0; i < FT_SNMP_N_COUNTERS; i++) {
				ck_assert(ft_snmp_verdict_ok(d.verdict[i]));
				sum_d[i] += d.d[i];
			}
			ft_snmp_acc_add(&a, &d);
			struct ft_if_step s[3];
			size_t n;
			while ((n = ft_snmp_acc_close(&a, cur.time_ms, s, 3)) > 0) {
				for (size_t k = 0; k < n; k++) {
					ck_assert_int_eq(s[k].start_ms, T0 + (int64_t)closed * MINUTE);
					ck_assert_uint_eq(s[k].known, 0xff);
					for (int i = 0; i < FT_SNMP_N_COUNTERS; i++)
						sum_v[i] += s[k].v[i];
					closed++;
				}
			}
			prev = cur;
		}
		ck_assert_uint_ge(closed, 250);
		for (size_t k = 0; k < a.n; k++)
			for (int i = 0; i < FT_SNMP_N_COUNTERS; i++)
				sum_v[i] += a.steps[k].v[i];
		for (int i = 0; i < FT_SNMP_N_COUNTERS; i++)
			ck_assert_msg(sum_v[i] == sum_d[i], "round %d, counter %d: %" PRIu64 " in steps, %"
			              PRIu64 " read", round, i, sum_v[i], sum_d[i]);
	}
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("snmp_counters");
	TCase *tc = tcase_create("readings");
	tcase_add_test(tc, verdicts_have_names);
	tcase_add_test(tc, reading_takes_64_bit_counters_and_high_speed);
	tcase_add_test(tc, reading_falls_back_to_32_bit_counters_and_if_speed);
	tcase_add_test(tc, interface_keys);
	suite_add_tcase(s, tc);

	tc = tcase_create("classify");
	tcase_add_test(tc, normal_64_bit_delta);
	tcase_add_test(tc, rate_above_speed_is_impossible);
	tcase_add_test(tc, unknown_speed_takes_any_increase);
	tcase_add_test(tc, a_64_bit_decrease_is_impossible_never_a_delta);
	tcase_add_test(tc, a_32_bit_wrap_at_a_possible_rate_is_a_wrap);
	tcase_add_test(tc, a_32_bit_wrap_at_unknown_speed_is_impossible);
	tcase_add_test(tc, a_32_bit_counter_at_10_gbps_over_60_s_is_ambiguous);
	tcase_add_test(tc, the_wall_clock_going_back_is_impossible);
	tcase_add_test(tc, sys_uptime_going_back_is_a_restart);
	tcase_add_test(tc, sys_uptime_wrapping_at_2_32_is_no_restart);
	tcase_add_test(tc, sys_uptime_slower_than_the_wall_is_a_restart);
	tcase_add_test(tc, a_changed_discontinuity_time_is_a_discontinuity);
	tcase_add_test(tc, a_new_ifindex_is_a_reindex);
	tcase_add_test(tc, readings_too_far_apart_are_a_gap);
	tcase_add_test(tc, a_missing_counter_is_absent);
	tcase_add_test(tc, switching_to_64_bit_counters_is_a_discontinuity);
	tcase_add_test(tc, extreme_values_do_not_overflow);
	suite_add_tcase(s, tc);

	tc = tcase_create("accumulator");
	tcase_add_test(tc, an_interval_on_a_step_makes_it_known);
	tcase_add_test(tc, a_wrap_is_data);
	tcase_add_test(tc, a_late_poll_spreads_by_time);
	tcase_add_test(tc, a_restart_spoils_only_the_steps_it_overlaps);
	tcase_add_test(tc, partial_coverage_is_no_answer);
	tcase_add_test(tc, close_respects_its_cap);
	tcase_add_test(tc, closed_steps_are_not_opened_again);
	tcase_add_test(tc, a_long_interval_fills_only_the_last_steps);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, random_spreads_are_largest_remainder_apportionments);
	tcase_add_test(tc, random_polls_add_up_exactly);
	suite_add_tcase(s, tc);
	return s;
}
