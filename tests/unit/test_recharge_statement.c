/* The month's statement (exporters/recharge/statement.c) on bins made by hand, every
 * figure worked out here: percentiles over present bins only, a tenant joining mid-month
 * measured on its own period, every basis of pool, shares to the penny. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "flowtally/recharge.h"

#define NB 20
#define START 1790812800000LL       /* 2026-10-01T00:00:00Z */

static void series(struct ft_bins *b, const char *tenant, const char *class_, uint64_t (*in)(size_t),
                   uint64_t (*out)(size_t))
{
	struct ft_bin_series *s = &b->series[b->n_series++];
	memset(s, 0, sizeof(*s));
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	snprintf(s->class_, sizeof(s->class_), "%s", class_);
	s->in = calloc(NB, sizeof(*s->in));
	s->out = calloc(NB, sizeof(*s->out));
	for (size_t k = 0; k < NB; k++) {
		s->in[k] = in(k);
		s->out[k] = out(k);
		s->vin.bytes += s->in[k];
		s->vout.bytes += s->out[k];
	}
}

static uint64_t a_in(size_t k) { return (k + 1) * 100; }
static uint64_t a_out(size_t k) { (void)k; return 50; }
static uint64_t b_in(size_t k) { (void)k; return 10; }
static uint64_t b_out(size_t k) { return (20 - k) * 10; }
static uint64_t c_in(size_t k) { return k >= 10 ? 1000 : 0; }
static uint64_t zero(size_t k) { (void)k; return 0; }

/* Bins 0..18 present, bin 19 missing; tenants a, b (all classes and a's one class) and
 * c (from bin 10 on), in the order ft_bins keeps series: by tenant, then class. */
static void make_bins(struct ft_bins *b, bool with_stranger)
{
	memset(b, 0, sizeof(*b));
	b->start_ms = START;
	b->end_ms = START + NB * FT_RECHARGE_BIN_MS;
	b->n_bins = NB;
	b->present = calloc(NB, 1);
	for (size_t k = 0; k < NB - 1; k++)
		b->present[k] = 1;
	b->present_bins = NB - 1;
	b->series = calloc(8, sizeof(*b->series));
	series(b, "a", "", a_in, a_out);
	series(b, "a", "internet", a_in, a_out);
	series(b, "b", "", b_in, b_out);
	series(b, "c", "", c_in, zero);
	if (with_stranger)
		series(b, "d", "", b_in, zero);
	series(b, "total", "", zero, zero);
	series(b, "unattributed", "", zero, zero);
}

static struct ft_statement_member member(const char *name, int64_t from)
{
	struct ft_statement_member m = { .from_ms = from, .until_ms = INT64_MAX };
	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(m.cost_centre, sizeof(m.cost_centre), "CC-%s", name);
	return m;
}

static const struct ft_statement_tenant *tenant(const struct ft_statement *s, const char *name)
{
	for (size_t i = 0; i < s->n_tenants; i++)
		if (strcmp(s->tenants[i].m.name, name) == 0)
			return &s->tenants[i];
	ck_abort_msg("no tenant %s", name);
	return NULL;
}

static uint64_t charge(const struct ft_statement_tenant *t, const char *pool)
{
	for (size_t i = 0; i < t->n_charges; i++)
		if (strcmp(t->charges[i].pool, pool) == 0)
			return t->charges[i].pence;
	return UINT64_MAX;          /* no line at all */
}

START_TEST(percentiles_are_over_each_tenants_present_bins)
{
	struct ft_bins b;
	make_bins(&b, false);
	struct ft_statement_member m[] = { member("c", START + 10 * FT_RECHARGE_BIN_MS), member("a", INT64_MIN),
	                                   member("b", INT64_MIN) };
	struct ft_statement s;
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_statement_build(&b, m, 3, NULL, &s, &d), 0);
	ck_assert_uint_eq(s.n_tenants, 3);
	ck_assert_str_eq(s.tenants[0].m.name, "a");             /* sorted by name */
	ck_assert_uint_eq(s.bins_expected, 20);
	ck_assert_uint_eq(s.bins_present, 19);
	/* N = 19: rank ceil(0.95 * 19) = 19, the largest of bins 0..18 */
	const struct ft_statement_tenant *a = tenant(&s, "a"), *bb = tenant(&s, "b"), *c = tenant(&s, "c");
	ck_assert_uint_eq(a->bins_present, 19);
	ck_assert_uint_eq(a->p95.bytes[FT_METRIC_IN], 1900);   /* not bin 19's 2000: missing */
	ck_assert_uint_eq(a->p95.bytes[FT_METRIC_OUT], 50);
	ck_assert_uint_eq(a->p95.bytes[FT_METRIC_IN_PLUS_OUT], 1950);
	ck_assert_uint_eq(a->p95.bytes[FT_METRIC_MAX_IN_OUT], 1900);
	ck_assert_uint_eq(a->vin.bytes, 21000);                  /* volumes: every step, bin 19's too */
	ck_assert_uint_eq(a->n_classes, 1);
	ck_assert_str_eq(a->classes[0].name, "internet");
	ck_assert_uint_eq(a->classes[0].p95.bytes[FT_METRIC_IN], 1900);
	ck_assert_uint_eq(bb->p95.bytes[FT_METRIC_IN], 10);
	ck_assert_uint_eq(bb->p95.bytes[FT_METRIC_OUT], 200);
	ck_assert_uint_eq(bb->p95.bytes[FT_METRIC_IN_PLUS_OUT], 210);
	ck_assert_uint_eq(bb->p95.bytes[FT_METRIC_MAX_IN_OUT], 200);
	/* c from bin 10: 10 bins of membership, 9 present */
	ck_assert_uint_eq(c->bins_member, 10);
	ck_assert_uint_eq(c->bins_present, 9);
	ck_assert_uint_eq(c->p95.bytes[FT_METRIC_IN], 1000);
	ck_assert_uint_eq(c->n_charges, 0);
	ft_statement_done(&s);
	ft_diag_done(&d);
	ft_bins_done(&b);
}
END_TEST

static struct ft_pool pool(const char *name, uint64_t amount, uint8_t basis)
{
	struct ft_pool p = { .amount_pence = amount, .basis = basis, .direction = FT_POOL_BOTH,
	                     .metric = FT_METRIC_IN_PLUS_OUT };
	snprintf(p.name, sizeof(p.name), "%s", name);
	return p;
}

START_TEST(every_basis_shares_its_amount_to_the_penny)
{
	struct ft_bins b;
	make_bins(&b, false);
	struct ft_statement_member m[] = { member("a", INT64_MIN), member("b", INT64_MIN),
	                                   member("c", START + 10 * FT_RECHARGE_BIN_MS) };
	char ab[2][FT_NAME_MAX] = { "a", "b" };
	struct ft_pool p[] = {
		pool("equal", 100, FT_BASIS_EQUAL), pool("prorated", 90, FT_BASIS_EQUAL),
		pool("vol-in", 1000, FT_BASIS_VOLUME), pool("p95-max", 100, FT_BASIS_P95),
		pool("peak", 1000, FT_BASIS_PEAK_SHARE),
	};
	p[1].prorate = true;
	p[2].direction = FT_POOL_IN;
	p[3].metric = FT_METRIC_MAX_IN_OUT;
	p[3].members = ab;
	p[3].n_members = 2;
	struct ft_fixed_charge fx = { .tenant = "b", .pence = 250, .description = "dark fibre" };
	struct ft_tariff t = { .file = "t.tariff", .pools = p, .n_pools = 5, .fixed = &fx, .n_fixed = 1 };
	struct ft_statement s;
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_statement_build(&b, m, 3, &t, &s, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	const struct ft_statement_tenant *a = tenant(&s, "a"), *bb = tenant(&s, "b"), *c = tenant(&s, "c");
	/* equal, full shares: 100 / 3 = 33 each and 1 left, to the name first: a */
	ck_assert_uint_eq(charge(a, "equal"), 34);
	ck_assert_uint_eq(charge(bb, "equal"), 33);
	ck_assert_uint_eq(charge(c, "equal"), 33);
	/* prorated: 20 : 20 : 10 bins of 90 */
	ck_assert_uint_eq(charge(a, "prorated"), 36);
	ck_assert_uint_eq(charge(bb, "prorated"), 36);
	ck_assert_uint_eq(charge(c, "prorated"), 18);
	/* volume in: 21000 : 200 : 10000 of 1000 = 673.08, 6.41, 320.51: c's remainder is the
	 * largest */
	ck_assert_uint_eq(charge(a, "vol-in"), 673);
	ck_assert_uint_eq(charge(bb, "vol-in"), 6);
	ck_assert_uint_eq(charge(c, "vol-in"), 321);
	/* p95 max(in, out), members a and b: 1900 : 200 of 100 = 90.48, 9.52 */
	ck_assert_uint_eq(charge(a, "p95-max"), 90);
	ck_assert_uint_eq(charge(bb, "p95-max"), 10);
	ck_assert_uint_eq(charge(c, "p95-max"), UINT64_MAX);
	/* peak share: the busiest 5 % of 19 present bins is 1 bin, bin 18 (2980 in + out);
	 * there a 1950, b 30, c 1000 of 1000 = 654.36, 10.07, 335.57 */
	ck_assert_uint_eq(charge(a, "peak"), 654);
	ck_assert_uint_eq(charge(bb, "peak"), 10);
	ck_assert_uint_eq(charge(c, "peak"), 336);
	ck_assert_uint_eq(charge(bb, "fixed"), 250);
	ck_assert_uint_eq(a->total_pence, 34 + 36 + 673 + 90 + 654);
	ck_assert_uint_eq(bb->total_pence, 33 + 36 + 6 + 10 + 10 + 250);
	ck_assert_uint_eq(c->total_pence, 33 + 18 + 321 + 336);
	ck_assert_uint_eq(s.charged_pence, 100 + 90 + 1000 + 100 + 1000 + 250);
	for (size_t i = 0; i < s.n_pools; i++) {
		uint64_t sum = 0;
		for (size_t j = 0; j < s.n_tenants; j++)
			sum += s.pools[i].shares[j];
		ck_assert_uint_eq(sum, s.pools[i].amount_pence);
	}
	ft_statement_done(&s);
	ft_diag_done(&d);
	ft_bins_done(&b);
}
END_TEST

START_TEST(traffic_of_a_tenant_outside_the_map_is_an_error)
{
	struct ft_bins b;
	make_bins(&b, true);
	struct ft_statement_member m[] = { member("a", INT64_MIN), member("b", INT64_MIN), member("c", INT64_MIN) };
	struct ft_statement s;
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_statement_build(&b, m, 3, NULL, &s, &d), -EINVAL);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_ptr_nonnull(strstr(d.lines[0], "tenant d has traffic"));
	ft_diag_done(&d);
	ft_bins_done(&b);
}
END_TEST

START_TEST(a_pool_with_nothing_to_share_by_is_said)
{
	struct ft_bins b;
	make_bins(&b, false);
	struct ft_statement_member m[] = { member("a", INT64_MIN), member("b", INT64_MIN), member("c", INT64_MIN) };
	struct ft_pool p = pool("none", 500, FT_BASIS_VOLUME);
	char cls[1][FT_NAME_MAX] = { "hscn" };
	p.classes = cls;
	p.n_classes = 1;
	p.line = 7;
	struct ft_tariff t = { .file = "t.tariff", .pools = &p, .n_pools = 1 };
	struct ft_statement s;
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_statement_build(&b, m, 3, &t, &s, &d), 0);
	ck_assert_uint_eq(d.errors, 0);
	ck_assert_uint_eq(d.warnings, 1);
	ck_assert_ptr_nonnull(strstr(d.lines[0], "t.tariff:7:"));
	ck_assert_uint_eq(s.charged_pence, 0);
	ft_statement_done(&s);
	ft_diag_done(&d);
	ft_bins_done(&b);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("recharge_statement");
	TCase *tc = tcase_create("statement");
	tcase_add_test(tc, percentiles_are_over_each_tenants_present_bins);
	tcase_add_test(tc, every_basis_shares_its_amount_to_the_penny);
	tcase_add_test(tc, traffic_of_a_tenant_outside_the_map_is_an_error);
	tcase_add_test(tc, a_pool_with_nothing_to_share_by_is_said);
	suite_add_tcase(s, tc);
	return s;
}
