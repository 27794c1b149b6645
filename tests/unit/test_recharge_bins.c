/* The month's bins from ledgers (exporters/recharge/bins.c): ledgers written here with the
 * ledger's own writer, their bins checked against sums worked out in the test. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/ledger.h"
#include "flowtally/recharge.h"

#define MIN_MS 60000LL
#define T0 1790812800000LL          /* 2026-10-01T00:00:00Z, a bin boundary */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static char *tmp_dir(void)
{
	char *d = strdup("/tmp/ft-bins-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void rm_dir(char *d)
{
	nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

static struct ft_step_cell cell(const char *tenant, int dir_, const char *class_, uint64_t b)
{
	struct ft_step_cell c = { .direction = (uint8_t)dir_, .v = { b, b / 100 + 1, 1 } };
	snprintf(c.tenant, sizeof(c.tenant), "%s", tenant);
	snprintf(c.class_, sizeof(c.class_), "%s", class_);
	return c;
}

/* A balanced step: acme out (internet) and in (janet, partner), beta in (internet); the
 * unattributed sides make the contract hold. */
static struct ft_step step_k(int64_t start, int64_t len, uint64_t k)
{
	struct ft_step_cell c[] = {
		cell("acme", FT_DIR_OUT, "internet", 1000 + k),
		cell("acme", FT_DIR_IN, "janet", 2000 + 3 * k),
		cell("acme", FT_DIR_IN, "partner", 50),
		cell("beta", FT_DIR_IN, "internet", 7 * k),
	};
	struct ft_step s = { .start_ms = start, .length_ms = len, .n_cells = 4 };
	s.cells = calloc(4, sizeof(*s.cells));
	memcpy(s.cells, c, sizeof(c));
	struct ft_volume out = c[0].v, in = c[1].v;
	ck_assert(ft_volume_add_checked(&in, &c[2].v) && ft_volume_add_checked(&in, &c[3].v));
	s.unattributed_src = in;    /* total = out + in: both sides balance */
	s.unattributed_dst = out;
	s.total = out;
	ck_assert(ft_volume_add_checked(&s.total, &in));
	snprintf(s.map_id, sizeof(s.map_id), "%s", "abc123");
	return s;
}

/* Steps of len at T0 + i * len for each i of idx[0..n), k = i. */
static void write_ledger(const char *dir, int64_t len, const int *idx, size_t n)
{
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	for (size_t j = 0; j < n; j++) {
		struct ft_step s = step_k(T0 + idx[j] * len, len, (uint64_t)idx[j]);
		ck_assert_int_eq(ft_ledger_append(l, &s), 0);
		ft_step_done(&s);
	}
	ft_ledger_close(l);
}

START_TEST(bins_sum_their_steps_and_missing_ones_are_not_zero)
{
	char *root = tmp_dir(), dir[300];
	snprintf(dir, sizeof(dir), "%s/ledger", root);
	/* 1-minute steps: bins 0 and 1 whole (minutes 0-9), bin 2 short of minute 12, bin 3
	 * none */
	int idx[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14 };
	write_ledger(dir, MIN_MS, idx, sizeof(idx) / sizeof(*idx));
	const char *dirs[] = { dir };
	struct ft_bins b;
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_bins_read(dirs, 1, T0, T0 + 4 * FT_RECHARGE_BIN_MS, &b, &d), 0);
	ck_assert_uint_eq(b.n_bins, 4);
	ck_assert_uint_eq(b.steps, 14);
	ck_assert_uint_eq(b.present[0], 1);
	ck_assert_uint_eq(b.present[1], 1);
	ck_assert_uint_eq(b.present[2], 0);
	ck_assert_uint_eq(b.present[3], 0);
	ck_assert_uint_eq(b.present_bins, 2);
	const struct ft_bin_series *a = ft_bins_find(&b, "acme", "");
	ck_assert_ptr_nonnull(a);
	/* bin 0: k = 0..4: out 1000+k -> 5010; in 2000+3k+50 -> 10000+30+250 = 10280 */
	ck_assert_uint_eq(a->out[0], 5010);
	ck_assert_uint_eq(a->in[0], 10280);
	/* bin 1: k = 5..9: out 5035; in 10000+105+250 = 10355 */
	ck_assert_uint_eq(a->out[1], 5035);
	ck_assert_uint_eq(a->in[1], 10355);
	/* bin 2: k = 10, 11, 13, 14: out 4048; in 8000+144+200 = 8344 */
	ck_assert_uint_eq(a->out[2], 4048);
	ck_assert_uint_eq(a->in[2], 8344);
	ck_assert_uint_eq(a->out[3], 0);
	ck_assert_uint_eq(a->vout.bytes, 5010 + 5035 + 4048);
	ck_assert_uint_eq(a->vout.flows, 14);
	const struct ft_bin_series *aj = ft_bins_find(&b, "acme", "janet");
	ck_assert_ptr_nonnull(aj);
	ck_assert_uint_eq(aj->in[0], 10030);
	ck_assert_ptr_null(ft_bins_find(&b, "acme", "hscn"));
	const struct ft_bin_series *bi = ft_bins_find(&b, "beta", "internet");
	ck_assert_ptr_nonnull(bi);
	ck_assert_uint_eq(bi->in[1], 7 * (5 + 6 + 7 + 8 + 9));
	const struct ft_bin_series *u = ft_bins_find(&b, "unattributed", ""), *t = ft_bins_find(&b, "total", "");
	ck_assert_ptr_nonnull(u);
	ck_assert_ptr_nonnull(t);
	/* Σ tenants out + unattributed src = total, bin by bin */
	for (size_t k = 0; k < b.n_bins; k++) {
		const struct ft_bin_series *be = ft_bins_find(&b, "beta", "");
		ck_assert_uint_eq(a->out[k] + be->out[k] + u->out[k], t->out[k]);
		ck_assert_uint_eq(a->in[k] + be->in[k] + u->in[k], t->in[k]);
	}
	ck_assert_uint_eq(b.n_maps, 1);
	ck_assert_str_eq(b.maps[0].id, "abc123");
	ck_assert_uint_eq(b.maps[0].steps, b.steps);
	ck_assert_int_eq(b.maps[0].first_ms, T0);
	ck_assert_uint_eq(b.n_sources, 1);
	ck_assert_uint_eq(b.sources[0].steps, b.steps);
	ck_assert_uint_eq(strlen(b.sources[0].head), 64);
	ft_bins_done(&b);
	ft_diag_done(&d);
	rm_dir(root);
}
END_TEST

START_TEST(two_ledgers_add_and_a_bin_is_present_only_when_both_cover_it)
{
	char *root = tmp_dir(), d1[300], d2[300];
	snprintf(d1, sizeof(d1), "%s/a", root);
	snprintf(d2, sizeof(d2), "%s/b", root);
	int all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	write_ledger(d1, MIN_MS, all, 10);
	write_ledger(d2, MIN_MS, all, 7);      /* the second collector stopped at minute 7 */
	const char *dirs[] = { d1, d2 };
	struct ft_bins b;
	ck_assert_int_eq(ft_bins_read(dirs, 2, T0, T0 + 2 * FT_RECHARGE_BIN_MS, &b, NULL), 0);
	ck_assert_uint_eq(b.steps, 17);
	ck_assert_uint_eq(b.present[0], 1);
	ck_assert_uint_eq(b.present[1], 0);
	const struct ft_bin_series *a = ft_bins_find(&b, "acme", "");
	ck_assert_uint_eq(a->out[0], 2 * 5010);
	ck_assert_uint_eq(a->out[1], 5035 + 1005 + 1006);
	ck_assert_uint_eq(b.n_sources, 2);
	ck_assert_uint_eq(b.sources[0].steps, 10);
	ck_assert_uint_eq(b.sources[1].steps, 7);
	ck_assert_str_ne(b.sources[0].head, b.sources[1].head);
	ft_bins_done(&b);
	rm_dir(root);
}
END_TEST

START_TEST(a_step_that_does_not_divide_the_bin_is_refused)
{
	char *root = tmp_dir(), dir[300];
	snprintf(dir, sizeof(dir), "%s/ledger", root);
	int one[] = { 0 };
	write_ledger(dir, 400000, one, 1);
	const char *dirs[] = { dir };
	struct ft_bins b;
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_bins_read(dirs, 1, T0, T0 + 4 * FT_RECHARGE_BIN_MS, &b, &d), -EINVAL);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_ptr_nonnull(strstr(d.lines[0], "divide 300 s"));
	ft_diag_done(&d);
	/* and the arguments */
	ck_assert_int_eq(ft_bins_read(dirs, 1, T0 + 1, T0 + FT_RECHARGE_BIN_MS, &b, NULL), -EINVAL);
	ck_assert_int_eq(ft_bins_read(dirs, 1, T0, T0, &b, NULL), -EINVAL);
	const char *none[] = { "/nonexistent/ledger" };
	ck_assert_int_eq(ft_bins_read(none, 1, T0, T0 + FT_RECHARGE_BIN_MS, &b, NULL), -ENOENT);
	rm_dir(root);
}
END_TEST

/* Format 2: the month's accounting interfaces add up by key, exporters by key and ledger,
 * with their sampling rates; a step without counters adds none. */
START_TEST(interfaces_and_exporters_add_up_over_the_month)
{
	char *root = tmp_dir(), d1[300], d2[300];
	snprintf(d1, sizeof(d1), "%s/a", root);
	snprintf(d2, sizeof(d2), "%s/b", root);
	struct ft_ledger *l;
	for (int led = 0; led < 2; led++) {
		ck_assert_int_eq(ft_ledger_open(led ? d2 : d1, &l), 0);
		for (int k = 0; k < 4; k++) {
			struct ft_step s = step_k(T0 + k * MIN_MS, MIN_MS, (uint64_t)k);
			s.points = calloc(2, sizeof(*s.points));
			s.exporters = calloc(1, sizeof(*s.exporters));
			ck_assert_int_eq(ft_addr_parse(led ? "192.0.2.2" : "192.0.2.1", &s.points[0].exporter), 0);
			s.points[1].exporter = s.points[0].exporter;
			s.points[0].ifindex = s.points[1].ifindex = 3;
			s.points[0].direction = FT_DIR_OUT;
			s.points[1].direction = FT_DIR_IN;
			s.points[0].v = (struct ft_volume){ 10, 1, 1 };
			s.points[1].v = (struct ft_volume){ 20 + (uint64_t)k, 1, 1 };
			s.n_points = 2;
			s.exporters[0] = (struct ft_step_exporter){ s.points[0].exporter, 7, 5, 50, 1, 0, 0, k == 2, k < 2 ? 1 : 100 };
			s.n_exporters = 1;
			s.kernel_drops = 2;
			s.have_counters = k != 3;      /* the last step: no counters */
			ck_assert_int_eq(ft_ledger_append(l, &s), 0);
			ft_step_done(&s);
		}
		ft_ledger_close(l);
	}
	const char *dirs[] = { d1, d2 };
	struct ft_bins b;
	ck_assert_int_eq(ft_bins_read(dirs, 2, T0, T0 + FT_RECHARGE_BIN_MS, &b, NULL), 0);
	ck_assert_uint_eq(b.n_points, 4);
	struct ft_addr a1;
	ck_assert_int_eq(ft_addr_parse("192.0.2.1", &a1), 0);
	ck_assert(ft_addr_equal(&b.points[0].exporter, &a1));
	ck_assert_uint_eq(b.points[0].direction, FT_DIR_OUT);
	ck_assert_uint_eq(b.points[0].v.bytes, 40);
	ck_assert_uint_eq(b.points[1].direction, FT_DIR_IN);
	ck_assert_uint_eq(b.points[1].v.bytes, 20 + 21 + 22 + 23);
	ck_assert_uint_eq(b.n_exporters, 2);
	ck_assert_uint_eq(b.exporters[0].source, 0);
	ck_assert_uint_eq(b.exporters[1].source, 1);
	ck_assert_uint_eq(b.exporters[0].steps, 3);
	ck_assert_uint_eq(b.exporters[0].datagrams, 15);
	ck_assert_uint_eq(b.exporters[0].seq_lost, 3);
	ck_assert_uint_eq(b.exporters[0].sampling_changes, 1);
	ck_assert_uint_eq(b.exporters[0].rate_first, 1);
	ck_assert_uint_eq(b.exporters[0].rate_last, 100);
	ck_assert_uint_eq(b.exporters[0].rate_min, 1);
	ck_assert_uint_eq(b.exporters[0].rate_max, 100);
	ck_assert_uint_eq(b.steps_counted, 6);
	ck_assert_uint_eq(b.kernel_drops, 12);
	ft_bins_done(&b);
	rm_dir(root);
}
END_TEST

START_TEST(a_tenant_named_total_is_refused_by_name)
{
	char *root = tmp_dir(), dir[300];
	snprintf(dir, sizeof(dir), "%s/ledger", root);
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	struct ft_step s = step_k(T0, MIN_MS, 1);
	snprintf(s.cells[3].tenant, sizeof(s.cells[3].tenant), "total");
	ck_assert_int_eq(ft_ledger_append(l, &s), 0);
	ft_step_done(&s);
	ft_ledger_close(l);
	const char *dirs[] = { dir };
	struct ft_bins b;
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_bins_read(dirs, 1, T0, T0 + FT_RECHARGE_BIN_MS, &b, &d), -EINVAL);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_ptr_nonnull(strstr(d.lines[0], "a tenant named 'total'"));
	ft_diag_done(&d);
	rm_dir(root);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("recharge_bins");
	TCase *tc = tcase_create("bins");
	tcase_add_test(tc, bins_sum_their_steps_and_missing_ones_are_not_zero);
	tcase_add_test(tc, two_ledgers_add_and_a_bin_is_present_only_when_both_cover_it);
	tcase_add_test(tc, a_step_that_does_not_divide_the_bin_is_refused);
	tcase_add_test(tc, interfaces_and_exporters_add_up_over_the_month);
	tcase_add_test(tc, a_tenant_named_total_is_refused_by_name);
	suite_add_tcase(s, tc);
	return s;
}
