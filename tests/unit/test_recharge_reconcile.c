/* SNMP against flows (exporters/recharge/reconcile.c) on figures worked out here: which
 * accounting interfaces an SNMP interface is, the difference in parts per million, the
 * threshold, a month SNMP did not fully know, and the order of the rows. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "flowtally/recharge.h"

static struct ft_addr A(const char *s)
{
	struct ft_addr a;
	ck_assert_int_eq(ft_addr_parse(s, &a), 0);
	return a;
}

static struct ft_recharge_point P(const char *e, uint32_t ifx, uint8_t dir, uint64_t bytes)
{
	return (struct ft_recharge_point){ .exporter = A(e), .ifindex = ifx, .direction = dir, .v = { bytes, 1, 1 } };
}

START_TEST(interfaces_against_flows)
{
	struct ft_recharge_point pts[] = {
		P("192.0.2.1", 5, FT_DIR_IN, 1010000),      /* +1 % against 1,000,000 */
		P("192.0.2.1", 5, FT_DIR_OUT, 950000),      /* -5 % against 1,000,000 */
		P("192.0.2.2", 5, FT_DIR_IN, 123),          /* the other exporter of router2 */
		P("192.0.2.1", 9, FT_DIR_IN, 500),          /* an interface SNMP does not poll */
		P("192.0.2.3", 1, FT_DIR_OUT, 10),          /* SNMP saw nothing */
	};
	struct ft_bins b = { .points = pts, .n_points = 5 };
	struct ft_addr r1[] = { A("192.0.2.1") }, r2[] = { A("192.0.2.9"), A("192.0.2.2") }, r3[] = { A("192.0.2.3") };
	struct ft_recharge_if ifs[] = {
		{ "router1", "xe-0/0/0", 5, r1, 1, 1000000, 1000000, 100, 100, 100 },
		{ "router2", "ge-1/0/0", 5, r2, 2, 100, 0, 99, 100, 100 },   /* in missed a step */
		{ "router1", "ge-0/0/7", 7, r1, 1, 7, 7, 10, 10, 10 },      /* no point on it */
		{ "router3", "eth0", 1, r3, 1, 0, 0, 10, 10, 10 },
	};
	struct ft_recharge_recon *v;
	size_t n;
	ck_assert_int_eq(ft_recharge_reconcile(&b, ifs, 4, 20000, &v, &n), 0);
	ck_assert_uint_eq(n, 4);
	/* by device, interface, in first */
	ck_assert_str_eq(v[0].device, "router1");
	ck_assert_str_eq(v[0].interface, "xe-0/0/0");
	ck_assert_uint_eq(v[0].direction, FT_DIR_IN);
	ck_assert_uint_eq(v[0].flow_bytes, 1010000);
	ck_assert_uint_eq(v[0].snmp_octets, 1000000);
	ck_assert_int_eq(v[0].diff_ppm, 10000);
	ck_assert(!v[0].flagged);
	ck_assert_uint_eq(v[1].direction, FT_DIR_OUT);
	ck_assert_int_eq(v[1].diff_ppm, -50000);
	ck_assert(v[1].flagged);
	ck_assert_str_eq(v[2].device, "router2");
	ck_assert_uint_eq(v[2].flow_bytes, 123);
	ck_assert_int_eq(v[2].diff_ppm, 230000);
	ck_assert(v[2].partial);
	ck_assert(v[2].flagged);
	ck_assert(ft_addr_equal(&v[2].exporter, &r2[1]));
	ck_assert_str_eq(v[3].device, "router3");
	ck_assert_uint_eq(v[3].snmp_octets, 0);
	ck_assert_int_eq(v[3].diff_ppm, 0);
	ck_assert(v[3].flagged);                 /* flows where SNMP counted nothing */
	free(v);
	/* a threshold of 5 % lets the -5 % through, not the +23 % */
	ck_assert_int_eq(ft_recharge_reconcile(&b, ifs, 4, 50000, &v, &n), 0);
	ck_assert(!v[1].flagged);
	ck_assert(v[2].flagged);
	free(v);
	/* nothing to reconcile */
	ck_assert_int_eq(ft_recharge_reconcile(&b, NULL, 0, 20000, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
}
END_TEST

START_TEST(huge_differences_stay_in_range)
{
	struct ft_recharge_point pts[] = { P("192.0.2.1", 1, FT_DIR_IN, UINT64_MAX) };
	struct ft_bins b = { .points = pts, .n_points = 1 };
	struct ft_addr r1[] = { A("192.0.2.1") };
	struct ft_recharge_if ifs[] = { { "r", "i", 1, r1, 1, 1, 1, 1, 1, 1 } };
	struct ft_recharge_recon *v;
	size_t n;
	ck_assert_int_eq(ft_recharge_reconcile(&b, ifs, 1, 0, &v, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0].diff_ppm, INT64_MAX);
	ck_assert(v[0].flagged);
	free(v);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("recharge_reconcile");
	TCase *tc = tcase_create("reconcile");
	tcase_add_test(tc, interfaces_against_flows);
	tcase_add_test(tc, huge_differences_stay_in_range);
	suite_add_tcase(s, tc);
	return s;
}
