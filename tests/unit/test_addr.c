/* The core suite: addresses and prefixes in the one 16-byte form, listen addresses,
 * time, numbers. */
#include <check.h>
#include <errno.h>
#include <stdint.h>

#include "check_main.h"
#include "flowtally/clock.h"
#include "flowtally/flow.h"
#include "flowtally/listen.h"
#include "flowtally/parse.h"

START_TEST(ipv4_is_mapped)
{
	struct ft_addr a, b;
	char s[FT_ADDR_STRLEN];
	ck_assert_int_eq(ft_addr_parse("192.0.2.33", &a), 0);
	ck_assert(ft_addr_is_v4(&a));
	ck_assert_uint_eq(a.b[10], 0xff);
	ck_assert_uint_eq(a.b[11], 0xff);
	ck_assert_uint_eq(a.b[12], 192);
	ck_assert_uint_eq(a.b[15], 33);
	ft_addr_from_v4(&b, 0xc0000221u);
	ck_assert(ft_addr_equal(&a, &b));
	ck_assert_str_eq(ft_addr_format(&a, s), "192.0.2.33");
}
END_TEST

START_TEST(ipv6_round_trips)
{
	struct ft_addr a;
	char s[FT_ADDR_STRLEN];
	ck_assert_int_eq(ft_addr_parse("2001:db8::1", &a), 0);
	ck_assert(!ft_addr_is_v4(&a));
	ck_assert_str_eq(ft_addr_format(&a, s), "2001:db8::1");
	ck_assert_int_eq(ft_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &a), 0);
	ck_assert_str_eq(ft_addr_format(&a, s), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ck_assert_int_eq(ft_addr_parse("example.org", &a), -EINVAL);
	ck_assert_int_eq(ft_addr_parse("", &a), -EINVAL);
}
END_TEST

START_TEST(prefixes_parse_and_match)
{
	struct ft_prefix p;
	struct ft_addr a;
	char s[64];
	ck_assert_int_eq(ft_prefix_parse("10.1.2.3/8", &p), 0);
	ck_assert_uint_eq(p.len, 104);
	ck_assert_str_eq(ft_prefix_format(&p, s, sizeof(s)), "10.0.0.0/8");
	ft_addr_parse("10.255.0.1", &a);
	ck_assert(ft_prefix_contains(&p, &a));
	ft_addr_parse("11.0.0.1", &a);
	ck_assert(!ft_prefix_contains(&p, &a));
	ck_assert_int_eq(ft_prefix_parse("2001:db8::/33", &p), 0);
	ft_addr_parse("2001:db8:7fff::1", &a);
	ck_assert(ft_prefix_contains(&p, &a));
	ft_addr_parse("2001:db8:8000::1", &a);
	ck_assert(!ft_prefix_contains(&p, &a));
	ck_assert_int_eq(ft_prefix_parse("0.0.0.0/0", &p), 0);
	ft_addr_parse("2001:db8::1", &a);
	ck_assert(!ft_prefix_contains(&p, &a));      /* IPv4 /0 is not all of IPv6 */
	ck_assert_int_eq(ft_prefix_parse("::/0", &p), 0);
	ck_assert(ft_prefix_contains(&p, &a));
	ck_assert_int_eq(ft_prefix_parse("192.0.2.9", &p), 0);
	ck_assert_uint_eq(p.len, 128);
	ck_assert_int_eq(ft_prefix_parse("10.0.0.0/33", &p), -EINVAL);
	ck_assert_int_eq(ft_prefix_parse("::/129", &p), -EINVAL);
	ck_assert_int_eq(ft_prefix_parse("10.0.0.0/", &p), -EINVAL);
	ck_assert_int_eq(ft_prefix_parse("10.0.0.0/-1", &p), -EINVAL);
	ck_assert_int_eq(ft_prefix_parse("10.0.0.0/8x", &p), -EINVAL);
	ck_assert_int_eq(ft_prefix_parse("/8", &p), -EINVAL);
}
END_TEST

START_TEST(utc_time_formats)
{
	char s[40];
	ck_assert_str_eq(ft_time_format_utc(0, s, sizeof(s)), "1970-01-01T00:00:00.000Z");
	ck_assert_str_eq(ft_time_format_utc(1764000000123LL * FT_NS_PER_MS, s, sizeof(s)),
	                 "2025-11-24T16:00:00.123Z");
	ck_assert_str_eq(ft_time_format_utc(-1 * FT_NS_PER_MS, s, sizeof(s)), "1969-12-31T23:59:59.999Z");
}
END_TEST

/* 2026-11-25T13:00:00Z */
#define T13 1795611600LL

static int64_t ns_of(const char *s)
{
	int64_t ns = -1;
	ck_assert_msg(ft_time_parse_ns(s, &ns) == 0, "refused '%s'", s);
	return ns;
}

START_TEST(time_takes_every_iso8601_form)
{
	ck_assert_int_eq(ns_of("2026-11-25"), (T13 - 13 * 3600) * FT_NS_PER_SEC);
	ck_assert_int_eq(ns_of("2026-11-25Z"), (T13 - 13 * 3600) * FT_NS_PER_SEC);
	ck_assert_int_eq(ns_of("2026-11-25T13:00"), T13 * FT_NS_PER_SEC);
	ck_assert_int_eq(ns_of("2026-11-25 13:00"), T13 * FT_NS_PER_SEC);
	ck_assert_int_eq(ns_of("2026-11-25T13:00Z"), T13 * FT_NS_PER_SEC);
	ck_assert_int_eq(ns_of("2026-11-25T13:00:00Z"), T13 * FT_NS_PER_SEC);
	ck_assert_int_eq(ns_of("2026-11-25 13:00:07+00:00"), (T13 + 7) * FT_NS_PER_SEC);
	ck_assert_int_eq(ns_of("2026-11-25T13:00:07.5"), (T13 + 7) * FT_NS_PER_SEC + 500000000);
	ck_assert_int_eq(ns_of("2026-11-25T13:00:07.123456789Z"),
	                 (T13 + 7) * FT_NS_PER_SEC + 123456789);
	ck_assert_int_eq(ns_of("2026-11-25T13:00:07.1234567891234Z"),
	                 (T13 + 7) * FT_NS_PER_SEC + 123456789);
	ck_assert_int_eq(ns_of("2026-11-25T13:00:60Z"), (T13 + 60) * FT_NS_PER_SEC);
	ck_assert_int_eq(ns_of("2024-02-29"), 1709164800LL * FT_NS_PER_SEC);
	ck_assert_int_eq(ns_of("1970-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(ns_of("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
}
END_TEST

START_TEST(time_refuses_what_is_no_time)
{
	static const char *const bad[] = {
		"", "2026", "2026-11", "2026-11-2", "2026-1-25", "2026-11-25T", "2026-11-25 ",
		"2026-11-25T13", "2026-11-25T13:0", "2026-11-25T1300", "2026-11-25T13:00:0",
		"2026-11-25T13:00:00.", "2026-11-25T13:00.5", "2026-11-25T13:00:00ZZ",
		"2026-11-25T13:00:00+01:00", "2026-11-25T13:00:00 Z", "2026-11-25x", " 2026-11-25",
		"+2026-11-25", "2026-+1-25", "2026-11--1", "2O26-11-25", "2026-11-25T13:00:00x",
		"2026-02-31", "2026-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-11-00",
		"2026-11-32", "2026-11-25T25:00", "2026-11-25T24:00", "2026-11-25T13:60",
		"2026-11-25T13:00:61", "1969-12-31T23:59:59Z", "0000-01-01",
		"2262-04-11T23:47:16.854775808Z", "9999-12-31", "1795611600",
	};
	int64_t ns = 42;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ft_time_parse_ns(bad[i], &ns) == -EINVAL, "took '%s'", bad[i]);
	ck_assert_int_eq(ns, 42);
}
END_TEST

START_TEST(time_in_ms_floors_and_reaches_9999)
{
	int64_t ms = 42;
	ck_assert_int_eq(ft_time_parse_utc("2026-11-25T13:00:00.250Z", &ms), 0);
	ck_assert_int_eq(ms, T13 * 1000 + 250);
	ck_assert_int_eq(ft_time_parse_utc("2026-11-25T13:00:00.2509Z", &ms), 0);
	ck_assert_int_eq(ms, T13 * 1000 + 250);
	ck_assert_int_eq(ft_time_parse_utc("2026-11-25 13:00", &ms), 0);
	ck_assert_int_eq(ms, T13 * 1000);
	ck_assert_int_eq(ft_time_parse_utc("9999-12-31T23:59:59.999Z", &ms), 0);
	ck_assert_int_eq(ms, 253402300799999LL);
	ck_assert_int_eq(ft_time_parse_utc("2026-02-31", &ms), -EINVAL);
	ck_assert_int_eq(ft_time_parse_utc("2026-11-25T13:00:00Zjunk", &ms), -EINVAL);
	ck_assert_int_eq(ms, 253402300799999LL);
}
END_TEST

START_TEST(u64_accepts_whole_decimal_numbers_in_range)
{
	uint64_t v = 7;
	ck_assert_int_eq(ft_parse_u64("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(ft_parse_u64("10", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(ft_parse_u64("007", 1, 10, &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(ft_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
}
END_TEST

START_TEST(u64_rejects_anything_else_and_leaves_ret)
{
	static const char *const bad[] = { "", " 5", "5 ", "+5", "-5", "-0", "5x", "x5", "0x10",
	                                   "1e3", "5.0", "18446744073709551616",
	                                   "99999999999999999999999" };
	uint64_t v = 7;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ft_parse_u64(bad[i], 0, UINT64_MAX, &v) == -EINVAL, "took '%s'", bad[i]);
	ck_assert_int_eq(ft_parse_u64("11", 0, 10, &v), -EINVAL);
	ck_assert_int_eq(ft_parse_u64("0", 1, 10, &v), -EINVAL);
	ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(listen_port_is_a_plain_number)
{
	static const char *const bad[] = { "127.0.0.1:65536", "127.0.0.1:+5", "[::1]: 5",
	                                   "[::1]:5x" };
	struct ft_listen_addr l;
	ck_assert_int_eq(ft_listen_addr_parse("127.0.0.1:02055", &l), 0);
	ck_assert_uint_eq(l.port, 2055);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ft_listen_addr_parse(bad[i], &l) == -EINVAL, "took '%s'", bad[i]);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");
	tcase_add_test(tc, ipv4_is_mapped);
	tcase_add_test(tc, ipv6_round_trips);
	tcase_add_test(tc, prefixes_parse_and_match);
	tcase_add_test(tc, utc_time_formats);
	tcase_add_test(tc, time_takes_every_iso8601_form);
	tcase_add_test(tc, time_refuses_what_is_no_time);
	tcase_add_test(tc, time_in_ms_floors_and_reaches_9999);
	tcase_add_test(tc, u64_accepts_whole_decimal_numbers_in_range);
	tcase_add_test(tc, u64_rejects_anything_else_and_leaves_ret);
	tcase_add_test(tc, listen_port_is_a_plain_number);
	suite_add_tcase(s, tc);
	return s;
}
