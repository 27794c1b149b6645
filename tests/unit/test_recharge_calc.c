/* The recharge's arithmetic (recharge.h, exporters/recharge/calc.c): months as UTC bins
 * against hand-checked transitions, percentiles and shares against references written
 * here independently, by hand cases and random ones. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/recharge.h"

Suite *ft_test_suite(void);

/* UTC y-m-d h:mi as ms, by the C library's timegm (calc.c does its own calendar) */
static int64_t utc_ms(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
	return (int64_t)timegm(&tm) * 1000;
}

static uint64_t state = 88172645463325252ull;

static uint64_t rnd(void)
{
	/* xorshift64: the same sequence on every run and every C library */
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

/* ---- the month ------------------------------------------------------------------------- */

#define HOUR_MS 3600000LL

START_TEST(london_months_have_their_hours)
{
	int64_t s, e;
	ck_assert_int_eq(ft_recharge_month("2026-10", "Europe/London", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 9, 30, 23, 0));    /* BST */
	ck_assert_int_eq(e, utc_ms(2026, 11, 1, 0, 0));     /* GMT: BST ended 2026-10-25 01:00 UTC */
	ck_assert_int_eq(e - s, 745 * HOUR_MS);
	ck_assert_uint_eq(ft_recharge_bins(s, e), 8940);
	ck_assert_int_eq(ft_recharge_month("2026-03", "Europe/London", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 3, 1, 0, 0));
	ck_assert_int_eq(e, utc_ms(2026, 3, 31, 23, 0));
	ck_assert_int_eq(e - s, 743 * HOUR_MS);
	ck_assert_uint_eq(ft_recharge_bins(s, e), 8916);
	ck_assert_int_eq(ft_recharge_month("2026-01", "Europe/London", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 1, 1, 0, 0));
	ck_assert_int_eq(e - s, 744 * HOUR_MS);
	ck_assert_uint_eq(ft_recharge_bins(s, e), 8928);
	/* December runs into the next year */
	ck_assert_int_eq(ft_recharge_month("2026-12", "Europe/London", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 12, 1, 0, 0));
	ck_assert_int_eq(e, utc_ms(2027, 1, 1, 0, 0));
}
END_TEST

START_TEST(other_zones_and_contract_days)
{
	int64_t s, e;
	ck_assert_int_eq(ft_recharge_month("2026-02", "UTC", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 2, 1, 0, 0));
	ck_assert_int_eq(e, utc_ms(2026, 3, 1, 0, 0));
	ck_assert_int_eq(ft_recharge_month("2028-02", "UTC", 1, &s, &e), 0);  /* leap year */
	ck_assert_uint_eq(ft_recharge_bins(s, e), 29 * 288);
	/* the 15th: 15 October to 15 November, BST ending in between */
	ck_assert_int_eq(ft_recharge_month("2026-10", "Europe/London", 15, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 10, 14, 23, 0));
	ck_assert_int_eq(e, utc_ms(2026, 11, 15, 0, 0));
	ck_assert_int_eq(ft_recharge_month("2026-12", "UTC", 28, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 12, 28, 0, 0));
	ck_assert_int_eq(e, utc_ms(2027, 1, 28, 0, 0));
	/* +5:30 and +5:45 are whole bins */
	ck_assert_int_eq(ft_recharge_month("2026-10", "Asia/Kolkata", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 9, 30, 18, 30));
	ck_assert_int_eq(e, utc_ms(2026, 10, 31, 18, 30));
	ck_assert_int_eq(ft_recharge_month("2026-10", "Asia/Kathmandu", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 9, 30, 18, 15));
	ck_assert_int_eq(e, utc_ms(2026, 10, 31, 18, 15));
	ck_assert_int_eq(ft_recharge_month("2026-10", "America/New_York", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 10, 1, 4, 0));
	ck_assert_int_eq(e, utc_ms(2026, 11, 1, 4, 0));    /* EDT ends 1 Nov 06:00 UTC */
	/* the first and last months there are; 1970-01 east of UTC starts in 1969 */
	ck_assert_int_eq(ft_recharge_month("1970-01", "Asia/Kolkata", 1, &s, &e), 0);
	ck_assert_int_eq(s, -(5 * HOUR_MS + 30 * 60000));
	ck_assert_int_eq(ft_recharge_month("9999-12", "UTC", 1, &s, &e), 0);
	ck_assert_int_eq(e, utc_ms(10000, 1, 1, 0, 0));
	ck_assert_int_eq(ft_recharge_month("9999-12", "Europe/London", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(9999, 12, 1, 0, 0));
}
END_TEST

START_TEST(midnights_skipped_or_twice)
{
	int64_t s, e;
	/* Santiago: 2026-09-06 00:00 does not exist (23:59:59 -04 then 01:00 -03): the
	 * month starts at the first instant after, 04:00 UTC */
	ck_assert_int_eq(ft_recharge_month("2026-09", "America/Santiago", 6, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 9, 6, 4, 0));
	ck_assert_int_eq(e, utc_ms(2026, 10, 6, 3, 0));
	ck_assert_int_eq(ft_recharge_month("2026-08", "America/Santiago", 6, &s, &e), 0);
	ck_assert_int_eq(e, utc_ms(2026, 9, 6, 4, 0));
	/* 2026-04-05: 24:00 -03 becomes 23:00 -04, so midnight is once, at 04:00 UTC */
	ck_assert_int_eq(ft_recharge_month("2026-04", "America/Santiago", 5, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 4, 5, 4, 0));
	/* Beirut 1993-03-28: 00:00 skipped, 22:00 UTC the day before is 01:00 EEST */
	ck_assert_int_eq(ft_recharge_month("1993-03", "Asia/Beirut", 28, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(1993, 3, 27, 22, 0));
	/* Havana: 2026-03-08 00:00 skipped (CST 23:59:59 then CDT 01:00, at 05:00 UTC);
	 * 2026-11-01 00:00 twice (CDT 00:59:59 then CST 00:00): the first, 04:00 UTC */
	ck_assert_int_eq(ft_recharge_month("2026-03", "America/Havana", 8, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 3, 8, 5, 0));
	ck_assert_int_eq(ft_recharge_month("2026-10", "America/Havana", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 10, 1, 4, 0));
	ck_assert_int_eq(e, utc_ms(2026, 11, 1, 4, 0));
	ck_assert_int_eq(ft_recharge_month("2026-11", "America/Havana", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 11, 1, 4, 0));
	ck_assert_int_eq(e, utc_ms(2026, 12, 1, 5, 0));
}
END_TEST

START_TEST(odd_offsets_are_out_of_range)
{
	int64_t s = 1, e = 2;
	/* Amsterdam 1930: +00:19:32 */
	ck_assert_int_eq(ft_recharge_month("1930-06", "Europe/Amsterdam", 1, &s, &e), -EINVAL); /* < 1970 */
	/* Monrovia kept -0:44:30 until 1972 */
	ck_assert_int_eq(ft_recharge_month("1971-06", "Africa/Monrovia", 1, &s, &e), -ERANGE);
	ck_assert_int_eq(s, 1);
	ck_assert_int_eq(e, 2);
	/* from 1972-01-07 Monrovia is UTC: the month that starts before the change is out,
	 * the next one in */
	ck_assert_int_eq(ft_recharge_month("1971-12", "Africa/Monrovia", 1, &s, &e), -ERANGE);
	ck_assert_int_eq(ft_recharge_month("1972-01", "Africa/Monrovia", 15, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(1972, 1, 15, 0, 0));
}
END_TEST

/* A TZif file (RFC 8536, version 1) of one fixed offset and no transitions. */
static void write_fixed_zone(const char *path, int32_t utoff)
{
	unsigned char b[44 + 6 + 4] = { 'T', 'Z', 'i', 'f' };
	b[20 + 4 * 4 + 3] = 1;      /* typecnt */
	b[20 + 5 * 4 + 3] = 4;      /* charcnt */
	for (int i = 0; i < 4; i++)
		b[44 + i] = (unsigned char)((uint32_t)utoff >> (24 - 8 * i));
	memcpy(b + 50, "TST", 4);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b, 1, sizeof(b), f), sizeof(b));
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(offsets_off_the_bins_in_tzdir)
{
	char dir[] = "/tmp/ft-recharge-XXXXXX", path[300];
	int64_t s = 1, e = 2;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Seven", dir);
	write_fixed_zone(path, 7 * 60);         /* whole minutes, not whole bins */
	snprintf(path, sizeof(path), "%s/Ten", dir);
	write_fixed_zone(path, -10 * 60);
	snprintf(path, sizeof(path), "%s/NotTZif", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("UTC0\n", f);
	fclose(f);
	ck_assert_int_eq(setenv("TZDIR", dir, 1), 0);
	ck_assert_int_eq(ft_recharge_month("2026-10", "Seven", 1, &s, &e), -ERANGE);
	ck_assert_int_eq(s, 1);
	ck_assert_int_eq(ft_recharge_month("2026-10", "NotTZif", 1, &s, &e), -EINVAL);
	ck_assert_int_eq(ft_recharge_month("2026-10", "Europe/London", 1, &s, &e), -EINVAL);  /* not here */
	ck_assert_int_eq(ft_recharge_month("2026-10", "Ten", 1, &s, &e), 0);
	ck_assert_int_eq(s, utc_ms(2026, 10, 1, 0, 10));
	ck_assert_int_eq(e, utc_ms(2026, 11, 1, 0, 10));
	ck_assert_int_eq(unsetenv("TZDIR"), 0);
	tzset();
	snprintf(path, sizeof(path), "%s/Seven", dir);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/Ten", dir);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/NotTZif", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(bad_months_days_and_zones)
{
	int64_t s = 1, e = 2;
	static const char *const months[] = { "2026-13", "2026-00", "2026-1", "26-10", "2026-10x", "", "2026/10",
	                                      " 2026-10", "+026-10", "2026-+1", "2026- 1", "1969-12", "0000-01",
	                                      "20260-1", "2026-100", "abcd-ef" };
	for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++)
		ck_assert_msg(ft_recharge_month(months[i], "UTC", 1, &s, &e) == -EINVAL, "%s", months[i]);
	ck_assert_int_eq(ft_recharge_month("2026-10", "UTC", 0, &s, &e), -EINVAL);
	ck_assert_int_eq(ft_recharge_month("2026-10", "UTC", 29, &s, &e), -EINVAL);
	ck_assert_int_eq(ft_recharge_month("2026-10", "UTC", -1, &s, &e), -EINVAL);
	static const char *const zones[] = { "Nowhere/None", "../etc/passwd", "Europe/../Europe/London", "/etc/localtime",
	                                     ":Europe/London", "", "Europe", "Europe/London ", "zone.tab" };
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		ck_assert_msg(ft_recharge_month("2026-10", zones[i], 1, &s, &e) == -EINVAL, "'%s'", zones[i]);
	ck_assert_int_eq(s, 1);
	ck_assert_int_eq(e, 2);
}
END_TEST

START_TEST(tz_is_as_it_was)
{
	int64_t s, e;
	ck_assert_int_eq(setenv("TZ", "America/New_York", 1), 0);
	tzset();
	ck_assert_int_eq(ft_recharge_month("2026-10", "Asia/Kathmandu", 1, &s, &e), 0);
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
	/* and the C library reads it again: New York's offset, not Kathmandu's */
	time_t t = 1790000000;   /* 2026-09-21: EDT */
	struct tm tm;
	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	ck_assert_int_eq(tm.tm_gmtoff, -4 * 3600);
	/* a failed call too */
	ck_assert_int_eq(ft_recharge_month("2026-10", "Nowhere/None", 1, &s, &e), -EINVAL);
	ck_assert_int_eq(ft_recharge_month("1971-06", "Africa/Monrovia", 1, &s, &e), -ERANGE);
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
	/* unset stays unset */
	ck_assert_int_eq(unsetenv("TZ"), 0);
	tzset();
	ck_assert_int_eq(ft_recharge_month("2026-10", "Europe/London", 1, &s, &e), 0);
	ck_assert_ptr_null(getenv("TZ"));
}
END_TEST

/* ---- percentiles ----------------------------------------------------------------------- */

static uint64_t pct(const uint64_t *v, size_t n, unsigned p)
{
	uint64_t r = 0xdeadbeef;
	ck_assert_int_eq(ft_recharge_percentile(v, n, p, &r), 0);
	return r;
}

START_TEST(percentiles_by_hand)
{
	uint64_t v[100], r = 7;
	ck_assert_int_eq(ft_recharge_percentile(NULL, 0, 95, &r), 0);
	ck_assert_uint_eq(r, 0);
	v[0] = 42;
	ck_assert_uint_eq(pct(v, 1, 95), 42);
	ck_assert_uint_eq(pct(v, 1, 1), 42);
	/* 20 values 1..20 reversed: rank 19; 21 values: rank 20 */
	for (int i = 0; i < 21; i++)
		v[i] = (uint64_t)(21 - i);
	ck_assert_uint_eq(ft_recharge_rank(20, 95), 19);
	ck_assert_uint_eq(ft_recharge_rank(21, 95), 20);
	ck_assert_uint_eq(pct(v + 1, 20, 95), 19);
	ck_assert_uint_eq(pct(v, 21, 95), 20);
	ck_assert_uint_eq(pct(v, 21, 100), 21);
	ck_assert_uint_eq(pct(v, 21, 1), 1);
	ck_assert_uint_eq(pct(v, 21, 50), 11);
	/* v is left alone */
	for (int i = 0; i < 21; i++)
		ck_assert_uint_eq(v[i], (uint64_t)(21 - i));
	/* 100 values 0..99 shuffled: the 95th smallest is 94 */
	for (int i = 0; i < 100; i++)
		v[i] = (uint64_t)((i * 37) % 100);
	ck_assert_uint_eq(pct(v, 100, 95), 94);
	ck_assert_uint_eq(pct(v, 100, 100), 99);
	ck_assert_uint_eq(pct(v, 100, 1), 0);
	/* ties: 90 zeros and 10 fives: the 95th smallest is a five, the 90th a zero */
	for (int i = 0; i < 100; i++)
		v[i] = i % 10 == 3 ? 5 : 0;
	ck_assert_uint_eq(pct(v, 100, 95), 5);
	ck_assert_uint_eq(pct(v, 100, 90), 0);
	ck_assert_uint_eq(pct(v, 100, 91), 5);
	for (int i = 0; i < 100; i++)
		v[i] = UINT64_MAX;
	ck_assert_uint_eq(pct(v, 100, 95), UINT64_MAX);
	ck_assert_uint_eq(pct(v, 37, 1), UINT64_MAX);
	/* p outside 1..100 */
	r = 7;
	ck_assert_int_eq(ft_recharge_percentile(v, 100, 0, &r), -EINVAL);
	ck_assert_int_eq(ft_recharge_percentile(v, 100, 101, &r), -EINVAL);
	ck_assert_int_eq(ft_recharge_percentile(v, 0, 0, &r), -EINVAL);
	ck_assert_uint_eq(r, 7);
}
END_TEST

/* the smallest value of which at least ceil(p n / 100) are <= it */
static uint64_t pct_reference(const uint64_t *v, size_t n, unsigned p)
{
	uint64_t rank = (p * n) / 100 + ((p * n) % 100 != 0);
	uint64_t best = 0;
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		uint64_t le = 0;
		for (size_t j = 0; j < n; j++)
			le += v[j] <= v[i];
		if (le >= rank && (!found || v[i] < best)) {
			best = v[i];
			found = true;
		}
	}
	ck_assert(found);
	return best;
}

START_TEST(percentiles_match_the_reference)
{
	uint64_t v[300];
	for (int k = 0; k < 3000; k++) {
		size_t n = 1 + rnd() % 300;
		/* a small range for many ties, or the full one */
		uint64_t range = k % 3 == 0 ? 5 : k % 3 == 1 ? 1000 : 0;
		for (size_t i = 0; i < n; i++)
			v[i] = range ? rnd() % range : rnd();
		unsigned p = k % 5 == 0 ? 95 : 1 + (unsigned)(rnd() % 100);
		ck_assert_msg(pct(v, n, p) == pct_reference(v, n, p), "n %zu p %u", n, p);
	}
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* A month of bins in the orders that trouble a selection (sorted, reversed, organ
 * pipe, all equal, a few values, random), against a sort. */
START_TEST(percentiles_of_a_month_in_awkward_orders)
{
	enum { N = 8940 };
	static uint64_t v[N], sorted[N];
	for (int shape = 0; shape < 6; shape++) {
		for (size_t n = N - 3; n <= N; n++) {
			for (size_t i = 0; i < n; i++) {
				switch (shape) {
				case 0: v[i] = i * 7; break;
				case 1: v[i] = (n - i) * 7; break;
				case 2: v[i] = i < n / 2 ? i : n - i; break;
				case 3: v[i] = 42; break;
				case 4: v[i] = rnd() % 3; break;
				default: v[i] = rnd(); break;
				}
			}
			memcpy(sorted, v, n * sizeof(*v));
			qsort(sorted, n, sizeof(*sorted), cmp_u64);
			for (unsigned p = 1; p <= 100; p += p < 90 ? 11 : 1)
				ck_assert_msg(pct(v, n, p) == sorted[ft_recharge_rank(n, p) - 1], "shape %d n %zu p %u",
				              shape, n, p);
		}
	}
}
END_TEST

/* ---- shares ------------------------------------------------------------------------------- */

typedef unsigned __int128 u128;

START_TEST(shares_by_hand)
{
	u128 w[4] = { 1, 1, 1, 0 };
	uint64_t r[4];
	const char *abc[] = { "a", "b", "c", "d" };
	ck_assert_int_eq(ft_recharge_shares(100, w, abc, 3, r), 0);
	ck_assert_uint_eq(r[0], 34);
	ck_assert_uint_eq(r[1], 33);
	ck_assert_uint_eq(r[2], 33);
	/* the tie goes to the name that sorts first, wherever it is */
	const char *cab[] = { "c", "a", "b" };
	ck_assert_int_eq(ft_recharge_shares(100, w, cab, 3, r), 0);
	ck_assert_uint_eq(r[0], 33);
	ck_assert_uint_eq(r[1], 34);
	ck_assert_uint_eq(r[2], 33);
	ck_assert_int_eq(ft_recharge_shares(101, w, cab, 3, r), 0);
	ck_assert_uint_eq(r[0], 33);
	ck_assert_uint_eq(r[1], 34);
	ck_assert_uint_eq(r[2], 34);
	ck_assert_int_eq(ft_recharge_shares(1, w, cab, 3, r), 0);
	ck_assert_uint_eq(r[0], 0);
	ck_assert_uint_eq(r[1], 1);
	ck_assert_uint_eq(r[2], 0);
	/* a weight of 0 gets nothing, even with pence left over */
	ck_assert_int_eq(ft_recharge_shares(100, w, abc, 4, r), 0);
	ck_assert_uint_eq(r[0], 34);
	ck_assert_uint_eq(r[3], 0);
	u128 wz[3] = { 0, 3, 0 };
	ck_assert_int_eq(ft_recharge_shares(100, wz, abc, 3, r), 0);
	ck_assert_uint_eq(r[0], 0);
	ck_assert_uint_eq(r[1], 100);
	ck_assert_uint_eq(r[2], 0);
	/* larger remainders first: 10 over 1,2,4 is 1.43, 2.86, 5.71 → 1, 3, 6 */
	u128 w124[3] = { 1, 2, 4 };
	ck_assert_int_eq(ft_recharge_shares(10, w124, abc, 3, r), 0);
	ck_assert_uint_eq(r[0], 1);
	ck_assert_uint_eq(r[1], 3);
	ck_assert_uint_eq(r[2], 6);
	/* amount 0 */
	ck_assert_int_eq(ft_recharge_shares(0, w, abc, 3, r), 0);
	ck_assert_uint_eq(r[0] + r[1] + r[2], 0);
	/* the whole range of an amount */
	ck_assert_int_eq(ft_recharge_shares(UINT64_MAX, w, abc, 3, r), 0);
	ck_assert_uint_eq(r[0], UINT64_MAX / 3);
	ck_assert(r[0] + r[1] + r[2] == UINT64_MAX);
	/* every weight 0, or none */
	u128 zero[3] = { 0, 0, 0 };
	r[0] = 9;
	ck_assert_int_eq(ft_recharge_shares(100, zero, abc, 3, r), -EINVAL);
	ck_assert_int_eq(ft_recharge_shares(100, w, abc, 0, r), -EINVAL);
	ck_assert_uint_eq(r[0], 9);
	/* sums or products beyond 128 bits */
	u128 big[2] = { (u128)1 << 127, (u128)1 << 127 };
	ck_assert_int_eq(ft_recharge_shares(1, big, abc, 2, r), -EOVERFLOW);
	u128 b100[2] = { (u128)1 << 100, 1 };
	ck_assert_int_eq(ft_recharge_shares((uint64_t)1 << 40, b100, abc, 2, r), -EOVERFLOW);
	ck_assert_int_eq(ft_recharge_shares((uint64_t)1 << 20, b100, abc, 2, r), 0);
	ck_assert_uint_eq(r[0], (uint64_t)1 << 20);
	ck_assert_uint_eq(r[1], 0);
	/* no names: ties to the lower index */
	ck_assert_int_eq(ft_recharge_shares(2, w, NULL, 3, r), 0);
	ck_assert_uint_eq(r[0], 1);
	ck_assert_uint_eq(r[1], 1);
	ck_assert_uint_eq(r[2], 0);
}
END_TEST

START_TEST(huge_weights_many_tenants)
{
	enum { N = 4000 };
	static u128 w[N];
	static uint64_t r[N];
	static char names[N][8];
	static const char *np[N];
	/* names in reverse order of index so that the ties do not follow it */
	for (int i = 0; i < N; i++) {
		w[i] = (u128)1 << 63;
		snprintf(names[i], sizeof(names[i]), "t%04d", N - 1 - i);
		np[i] = names[i];
	}
	/* 123456789 / 4000 = 30864 and 789 left: to t0000..t0788, the last 789 indices */
	ck_assert_int_eq(ft_recharge_shares(123456789, w, np, N, r), 0);
	uint64_t sum = 0;
	for (int i = 0; i < N; i++) {
		ck_assert_uint_eq(r[i], 30864 + (N - 1 - i < 789));
		sum += r[i];
	}
	ck_assert_uint_eq(sum, 123456789);
	ck_assert_int_eq(ft_recharge_shares(UINT64_MAX, w, np, N, r), 0);
	sum = 0;
	for (int i = 0; i < N; i++)
		sum += r[i];
	ck_assert(sum == UINT64_MAX);
}
END_TEST

START_TEST(shares_match_the_method)
{
	enum { N = 60 };
	u128 w[N];
	uint64_t r[N];
	char names[N][8];
	const char *np[N];
	for (int k = 0; k < 5000; k++) {
		size_t n = 1 + rnd() % N;
		bool any = false;
		for (size_t i = 0; i < n; i++) {
			/* zeros, ties (a few small values) or large weights below 2^48 */
			uint64_t kind = rnd() % 4;
			w[i] = kind == 0 ? 0 : kind == 1 ? 1 + rnd() % 3 : rnd() >> 16;
			any |= w[i] != 0;
			snprintf(names[i], sizeof(names[i]), "n%02u", (unsigned)(rnd() % 100));
			np[i] = names[i];
		}
		if (!any)
			w[rnd() % n] = 1 + rnd() % 1000;
		uint64_t amount = k % 4 == 0 ? rnd() % 1000 : rnd() >> 1;
		ck_assert_int_eq(ft_recharge_shares(amount, w, np, n, r), 0);
		u128 W = 0, sum = 0;
		for (size_t i = 0; i < n; i++)
			W += w[i];
		for (size_t i = 0; i < n; i++) {
			sum += r[i];
			u128 exact = (u128)amount * w[i];   /* share × W against amount × w */
			u128 got = (u128)r[i] * W;
			ck_assert_msg(got > exact ? got - exact < W : exact - got < W, "k %d i %zu", k, i);
			if (w[i] == 0)
				ck_assert_uint_eq(r[i], 0);
		}
		ck_assert_msg(sum == amount, "k %d: sum is not the amount", k);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++) {
				if (w[i] > w[j])
					ck_assert_msg(r[i] >= r[j], "k %d: a larger weight got less", k);
				/* who got a leftover penny had the larger remainder, or the same and
				 * a name no later */
				u128 ri = (u128)amount * w[i] % W, rj = (u128)amount * w[j] % W;
				bool xi = r[i] > (u128)amount * w[i] / W, xj = r[j] > (u128)amount * w[j] / W;
				if (xi && !xj && w[j])
					ck_assert_msg(ri > rj || (ri == rj && strcmp(np[i], np[j]) <= 0),
					              "k %d: %s got a penny before %s", k, np[i], np[j]);
			}
	}
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("recharge_calc");
	TCase *tc = tcase_create("month");
	tcase_add_test(tc, london_months_have_their_hours);
	tcase_add_test(tc, other_zones_and_contract_days);
	tcase_add_test(tc, midnights_skipped_or_twice);
	tcase_add_test(tc, odd_offsets_are_out_of_range);
	tcase_add_test(tc, offsets_off_the_bins_in_tzdir);
	tcase_add_test(tc, bad_months_days_and_zones);
	tcase_add_test(tc, tz_is_as_it_was);
	suite_add_tcase(s, tc);
	tc = tcase_create("percentile");
	tcase_add_test(tc, percentiles_by_hand);
	tcase_add_test(tc, percentiles_match_the_reference);
	tcase_add_test(tc, percentiles_of_a_month_in_awkward_orders);
	suite_add_tcase(s, tc);
	tc = tcase_create("shares");
	tcase_add_test(tc, shares_by_hand);
	tcase_add_test(tc, huge_weights_many_tenants);
	tcase_add_test(tc, shares_match_the_method);
	suite_add_tcase(s, tc);
	return s;
}
