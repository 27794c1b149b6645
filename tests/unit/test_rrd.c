/* The RRD sink against real files (rrd.h, exporters/rrd): names, layouts, and steps
 * written and fetched back through librrd, compared with what was written. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/ledger.h"
#include "flowtally/rrd.h"
#include "flowtally/sink.h"

extern const struct ft_sink_ops ft_rrd_sink;

static char dir[256];

Suite *ft_test_suite(void);

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ft-rrd-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- names -------------------------------------------------------------------------------- */

START_TEST(names_map_one_to_one_and_back)
{
	static const char *const names[] = { "acme", "Kent County Council", "a/b", "..", ".", ".hidden",
	                                     "x.rrd", "x.rrd.rrd", "100%", "%41", "Ysgol – Ŵ", "tab\there",
	                                     "a b", "a_b", "a-b", "a.b", "A", "a" };
	char enc[256][256], back[256];
	size_t n = sizeof(names) / sizeof(names[0]);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_gt(ft_rrd_name_encode(names[i], enc[i], sizeof(enc[i])), 0);
		ck_assert_int_ge(ft_rrd_name_decode(enc[i], back, sizeof(back)), 0);
		ck_assert_str_eq(back, names[i]);
		size_t m = strlen(enc[i]);
		ck_assert_msg(!(m >= 4 && strcmp(enc[i] + m - 4, ".rrd") == 0), "%s ends in .rrd", enc[i]);
		ck_assert_msg(enc[i][0] != '.', "%s starts with a dot", enc[i]);
		ck_assert_msg(strspn(enc[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.%") == m,
		              "%s has an unsafe character", enc[i]);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(enc[i], enc[j]) != 0, "%s and %s collide", names[i], names[j]);
	}
	ck_assert_str_eq(enc[1], "Kent%20County%20Council");
	ck_assert_str_eq(enc[2], "a%2Fb");
	ck_assert_str_eq(enc[6], "x%2Errd");
	/* random bytes: every one has its own file name */
	srand(7);
	for (int k = 0; k < 20000; k++) {
		char s[32], e[128];
		size_t len = 1 + (size_t)rand() % 31;
		for (size_t i = 0; i < len; i++)
			s[i] = (char)(1 + rand() % 255);
		s[len] = '\0';
		ck_assert_int_gt(ft_rrd_name_encode(s, e, sizeof(e)), 0);
		ck_assert_int_ge(ft_rrd_name_decode(e, back, sizeof(back)), 0);
		ck_assert_mem_eq(back, s, len + 1);
	}
}
END_TEST

START_TEST(only_the_encoders_spelling_decodes)
{
	char back[64];
	static const char *const bad[] = { "%2e", "%41", "a%2", "a%", "%zz", ".x", "x.rrd", "", "%00" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ft_rrd_name_decode(bad[i], back, sizeof(back)) < 0, "'%s' decoded", bad[i]);
	char small[4];
	ck_assert_int_lt(ft_rrd_name_encode("a b", small, sizeof(small)), 0);
}
END_TEST

/* ---- layouts ------------------------------------------------------------------------------ */

static bool has_arg(const char **argv, int argc, const char *want)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], want) == 0)
			return true;
	return false;
}

START_TEST(layouts_keep_what_billing_needs)
{
	char buf[1024];
	const char *argv[FT_RRD_ARGS_MAX];
	int argc = ft_rrd_layout(FT_RRD_TENANT, 60, FT_RRD_FINE_DAYS, buf, sizeof(buf), argv);
	ck_assert_int_eq(argc, 6 + 7);
	ck_assert(has_arg(argv, argc, "DS:in_bytes:ABSOLUTE:120:0:U"));
	ck_assert(has_arg(argv, argc, "RRA:AVERAGE:0.5:1:4320"));          /* 3 days of steps */
	ck_assert(has_arg(argv, argc, "RRA:AVERAGE:0.5:5:115200"));        /* 400 days of 5 min */
	ck_assert(has_arg(argv, argc, "RRA:MAX:0.5:5:115200"));
	ck_assert(has_arg(argv, argc, "RRA:AVERAGE:0.5:60:17568"));        /* 2 years of hours */
	ck_assert(has_arg(argv, argc, "RRA:MAX:0.5:1440:3653"));           /* 10 years of days */
	/* a step of 5 minutes or more is its own 5-minute archive */
	argc = ft_rrd_layout(FT_RRD_TOTAL, 900, FT_RRD_FINE_DAYS, buf, sizeof(buf), argv);
	ck_assert_int_eq(argc, 5 + 6);
	ck_assert(has_arg(argv, argc, "RRA:AVERAGE:0.5:1:38400"));
	ck_assert(has_arg(argv, argc, "RRA:AVERAGE:0.5:4:17568"));
	argc = ft_rrd_layout(FT_RRD_COLLECTOR, 60, FT_RRD_FINE_DAYS, buf, sizeof(buf), argv);
	ck_assert(has_arg(argv, argc, "DS:records:DERIVE:120:0:U"));
	ck_assert(has_arg(argv, argc, "DS:queue_depth:GAUGE:120:0:U"));
	/* refused: less than 13 months of 5-minute data, or a step the archives cannot hold */
	ck_assert_int_lt(ft_rrd_layout(FT_RRD_TENANT, 60, FT_RRD_FINE_DAYS_MIN - 1, buf, sizeof(buf), argv), 0);
	ck_assert_int_gt(ft_rrd_layout(FT_RRD_TENANT, 60, FT_RRD_FINE_DAYS_MIN, buf, sizeof(buf), argv), 0);
	ck_assert_int_lt(ft_rrd_layout(FT_RRD_TENANT, 7, FT_RRD_FINE_DAYS, buf, sizeof(buf), argv), 0);
	ck_assert_int_lt(ft_rrd_layout(FT_RRD_TENANT, 2100, FT_RRD_FINE_DAYS, buf, sizeof(buf), argv), 0);
	ck_assert_ptr_null(ft_rrd_step_problem(1));
	ck_assert_ptr_null(ft_rrd_step_problem(300));
	ck_assert_ptr_null(ft_rrd_step_problem(1800));
	ck_assert_ptr_nonnull(ft_rrd_step_problem(7));
	ck_assert_ptr_nonnull(ft_rrd_step_problem(450));
	ck_assert_ptr_nonnull(ft_rrd_step_problem(7200));
}
END_TEST

/* ---- steps written and fetched back ------------------------------------------------------- */

#define STEP_S 60
#define T0 1764547200           /* 2025-12-01T00:00:00Z */

static void *open_sink(struct ft_rrd_conf *conf)
{
	struct ft_sink_env env = { .data_dir = dir, .conf = conf, .step_ms = STEP_S * 1000 };
	void *st = NULL;
	ck_assert_int_eq(ft_rrd_sink.open(&env, &st), 0);
	return st;
}

static uint64_t big(unsigned k)
{
	/* up to 2^50 a class, so that a tenant's two add up to near 2^51, the exactness
	 * bound of rrd.h, with every bit in use */
	uint64_t v = ((uint64_t)rand() << 31 ^ (uint64_t)rand()) & ((UINT64_C(1) << 50) - 1);
	return k % 3 == 0 ? (UINT64_C(1) << 50) - (uint64_t)(rand() % 1000) : k % 3 == 1 ? v : (uint64_t)(rand() % 100);
}

struct expect {
	uint64_t v[2][3][6];        /* tenant, series (classes x, y, total), data source */
};

static void make_step(struct ft_step *s, int64_t start, struct ft_step_cell *cells, struct expect *e, unsigned k)
{
	static const char *const tenants[] = { "Kent County Council", "fire/rescue" };
	static const char *const classes[] = { "psn", "web" };
	size_t n = 0;
	memset(e, 0, sizeof(*e));
	*s = (struct ft_step){ .start_ms = start * 1000, .length_ms = STEP_S * 1000, .cells = cells };
	for (unsigned t = 0; t < 2; t++)
		for (unsigned d = 0; d < 2; d++)
			for (unsigned c = 0; c < 2; c++) {
				if (k > 0 && (k + t + c) % 5 == 0)   /* a class quiet now and then */
					continue;
				struct ft_step_cell *x = &cells[n++];
				*x = (struct ft_step_cell){ .direction = (uint8_t)(d == 0 ? FT_DIR_OUT : FT_DIR_IN) };
				snprintf(x->tenant, sizeof(x->tenant), "%s", tenants[t]);
				snprintf(x->class_, sizeof(x->class_), "%s", classes[c]);
				x->v = (struct ft_volume){ big(k + c), big(k + 1) >> 20, big(k + 2) >> 30 };
				/* in_bytes, out_bytes, in_packets, out_packets, in_flows, out_flows */
				unsigned side = d == 0 ? 1 : 0;
				uint64_t vv[3] = { x->v.bytes, x->v.packets, x->v.flows };
				for (unsigned q = 0; q < 3; q++) {
					e->v[t][c][2 * q + side] = vv[q];
					e->v[t][2][2 * q + side] += vv[q];
				}
			}
	s->n_cells = n;
	/* the contract's sides, for the unattributed and total series */
	for (size_t i = 0; i < n; i++) {
		struct ft_volume *side = cells[i].direction == FT_DIR_OUT ? &s->unattributed_dst : &s->unattributed_src;
		ft_volume_add_checked(side, &cells[i].v);
		ft_volume_add_checked(&s->total, &cells[i].v);
	}
	s->late = (struct ft_volume){ 12345, 1, 0 };
	ft_step_sort(s);
}

/* The finest AVERAGE of a file × step, rounded, from (from, to]. */
static void fetch(const char *rel, time_t from, time_t to, double **ret, unsigned long *ret_n)
{
	char path[600];
	char **names;
	unsigned long step = STEP_S, n;
	snprintf(path, sizeof(path), "%s/rrd/%s", dir, rel);
	ck_assert_msg(rrd_fetch_r(path, "AVERAGE", &from, &to, &step, &n, &names, ret) == 0, "%s: %s", path,
	              rrd_get_error());
	ck_assert_uint_eq(step, STEP_S);
	for (unsigned long i = 0; i < n; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	*ret_n = n;
}

static uint64_t count_of(double v)
{
	return (uint64_t)llround(v * STEP_S);
}

START_TEST(every_step_reads_back_exactly)
{
	struct ft_rrd_conf conf = { .enabled = true, .fine_days = FT_RRD_FINE_DAYS };
	void *st = open_sink(&conf);
	enum { STEPS = 200, GAP_AT = 120, GAP = 7 };
	static struct expect e[STEPS];
	struct ft_step_cell cells[8];
	struct ft_step s;
	srand(3);
	for (unsigned k = 0; k < STEPS; k++) {
		make_step(&s, T0 + (int64_t)k * STEP_S, cells, &e[k], k);
		if (k >= GAP_AT && k < GAP_AT + GAP)
			continue;               /* the collector was down */
		ck_assert_int_eq(ft_rrd_sink.write_step(st, &s), 0);
	}
	static const char *const rel[2][3] = {
		{ "tenants/Kent%20County%20Council/psn.rrd", "tenants/Kent%20County%20Council/web.rrd",
		  "tenants/Kent%20County%20Council.rrd" },
		{ "tenants/fire%2Frescue/psn.rrd", "tenants/fire%2Frescue/web.rrd", "tenants/fire%2Frescue.rrd" },
	};
	for (unsigned t = 0; t < 2; t++)
		for (unsigned c = 0; c < 3; c++) {
			double *d;
			unsigned long n;
			fetch(rel[t][c], T0, T0 + STEPS * STEP_S, &d, &n);
			ck_assert_uint_eq(n, 6);
			for (unsigned k = 0; k < STEPS; k++)
				for (unsigned q = 0; q < 6; q++) {
					double v = d[k * 6 + q];
					if (k >= GAP_AT && k < GAP_AT + GAP) {
						ck_assert_msg(isnan(v), "%s step %u: not unknown in the gap", rel[t][c], k);
						continue;
					}
					ck_assert_msg(!isnan(v) && count_of(v) == e[k].v[t][c][q],
					              "%s step %u ds %u: %.17g x %d != %" PRIu64, rel[t][c], k, q, v, STEP_S,
					              e[k].v[t][c][q]);
				}
			rrd_freemem(d);
		}
	/* an old step: skipped, counted, nothing sent to librrd */
	make_step(&s, T0 + 5 * STEP_S, cells, &e[0], 5);
	ck_assert_int_eq(ft_rrd_sink.write_step(st, &s), -EEXIST);
	struct ft_sink_stat rows[FT_SINK_STATS_MAX];
	size_t n = ft_rrd_sink.stats(st, rows, FT_SINK_STATS_MAX);
	bool seen = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].name, "skipped_older") == 0)
			seen = rows[i].value > 0;
	ck_assert(seen);
	ft_rrd_sink.close(st);
}
END_TEST

/* A foreign file, a file of other data sources and a directory that cannot be made:
 * each said and counted, and every other file written. */
START_TEST(bad_files_are_said_and_the_rest_written)
{
	char path[600];
	struct ft_rrd_conf conf = { .enabled = true, .fine_days = FT_RRD_FINE_DAYS };
	snprintf(path, sizeof(path), "%s/rrd", dir);
	ck_assert_int_eq(mkdir(path, 0750), 0);
	snprintf(path, sizeof(path), "%s/rrd/tenants", dir);
	ck_assert_int_eq(mkdir(path, 0750), 0);
	/* a foreign file with a tenant's name */
	snprintf(path, sizeof(path), "%s/rrd/tenants/Kent%%20County%%20Council.rrd", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a round-robin database\n", f);
	fclose(f);
	/* an RRD of other data sources */
	snprintf(path, sizeof(path), "%s/rrd/total.rrd", dir);
	const char *args[] = { "DS:x:GAUGE:120:0:U", "RRA:AVERAGE:0.5:1:10" };
	ck_assert_int_eq(rrd_create_r(path, STEP_S, T0 - STEP_S, 2, args), 0);
	/* a file where a tenant's directory must go */
	snprintf(path, sizeof(path), "%s/rrd/tenants/fire%%2Frescue", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);

	void *st = open_sink(&conf);
	struct ft_step_cell cells[8];
	struct ft_step s;
	struct expect e;
	make_step(&s, T0, cells, &e, 1);
	ck_assert_int_eq(ft_rrd_sink.write_step(st, &s), -EIO);
	struct ft_sink_stat rows[FT_SINK_STATS_MAX];
	size_t n = ft_rrd_sink.stats(st, rows, FT_SINK_STATS_MAX);
	int64_t bad = -1, errors = -1;
	const char *last = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].name, "bad_files") == 0)
			bad = rows[i].value;
		if (strcmp(rows[i].name, "file_errors") == 0)
			errors = rows[i].value;
		if (strcmp(rows[i].name, "last_error") == 0)
			last = rows[i].text;
	}
	ck_assert_int_eq(bad, 2);
	ck_assert_int_ge(errors, 3);
	ck_assert_ptr_nonnull(last);
	ck_assert_msg(strstr(last, dir), "last error names no file: %s", last);
	/* the others were written */
	double *d;
	unsigned long k;
	fetch("tenants/Kent%20County%20Council/psn.rrd", T0 - STEP_S, T0 + STEP_S, &d, &k);
	rrd_freemem(d);
	fetch("unattributed.rrd", T0 - STEP_S, T0 + STEP_S, &d, &k);
	ck_assert_uint_eq(count_of(d[k]), s.unattributed_src.bytes);
	rrd_freemem(d);
	/* the foreign file is untouched */
	snprintf(path, sizeof(path), "%s/rrd/tenants/Kent%%20County%%20Council.rrd", dir);
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 27);
	ft_rrd_sink.close(st);
}
END_TEST

/* A new run finds the files of the last and goes on after them: a quiet tenant gets
 * zeros, and the steps between the runs stay unknown. */
START_TEST(a_new_run_goes_on_after_the_last)
{
	struct ft_rrd_conf conf = { .enabled = true, .fine_days = FT_RRD_FINE_DAYS };
	struct ft_step_cell cells[8];
	struct ft_step s;
	struct expect e;
	void *st = open_sink(&conf);
	for (unsigned k = 0; k < 3; k++) {
		make_step(&s, T0 + k * STEP_S, cells, &e, 1);
		ck_assert_int_eq(ft_rrd_sink.write_step(st, &s), 0);
	}
	ft_rrd_sink.close(st);
	char path[600];
	snprintf(path, sizeof(path), "%s/rrd/total.rrd", dir);
	ck_assert_int_eq(rrd_last_r(path), T0 + 3 * STEP_S);
	st = open_sink(&conf);
	/* an old step again: every file skips it */
	make_step(&s, T0 + STEP_S, cells, &e, 1);
	ck_assert_int_eq(ft_rrd_sink.write_step(st, &s), -EEXIST);
	/* after two steps down, a step with no cells at all */
	s = (struct ft_step){ .start_ms = (T0 + 5 * STEP_S) * 1000LL, .length_ms = STEP_S * 1000 };
	ck_assert_int_eq(ft_rrd_sink.write_step(st, &s), 0);
	ft_rrd_sink.close(st);
	double *d;
	unsigned long n;
	fetch("tenants/fire%2Frescue/web.rrd", T0, T0 + 6 * STEP_S, &d, &n);
	ck_assert(!isnan(d[2 * 6]));
	ck_assert(isnan(d[3 * 6]) && isnan(d[4 * 6]));
	for (unsigned q = 0; q < 6; q++)
		ck_assert_msg(!isnan(d[5 * 6 + q]) && d[5 * 6 + q] == 0, "ds %u of the quiet step: %g", q, d[5 * 6 + q]);
	rrd_freemem(d);
}
END_TEST

/* Steps the ledger committed and the series never got (the last run was killed with
 * them queued) are taken from the ledger before the first step of the next run. */
START_TEST(a_new_run_catches_up_from_the_ledger)
{
	struct ft_rrd_conf conf = { .enabled = true, .fine_days = FT_RRD_FINE_DAYS };
	static struct ft_step s[8];
	static struct ft_step_cell all[8][8];
	struct expect e[8];
	char path[600];
	struct ft_ledger *l;
	snprintf(path, sizeof(path), "%s/ledger", dir);
	ck_assert_int_eq(ft_ledger_open(path, &l), 0);
	srand(5);
	for (unsigned k = 0; k < 8; k++) {
		make_step(&s[k], T0 + k * STEP_S, all[k], &e[k], k + 1);
		snprintf(s[k].map_id, sizeof(s[k].map_id), "test");
		if (k < 7)
			ck_assert_int_eq(ft_ledger_append(l, &s[k]), 0);
	}
	ft_ledger_close(l);
	void *st = open_sink(&conf);
	for (unsigned k = 0; k < 3; k++)
		ck_assert_int_eq(ft_rrd_sink.write_step(st, &s[k]), 0);
	ft_rrd_sink.close(st);              /* killed with steps 3-6 in its queue */
	st = open_sink(&conf);
	ck_assert_int_eq(ft_rrd_sink.write_step(st, &s[7]), 0);
	ft_rrd_sink.close(st);
	double *d;
	unsigned long n;
	fetch("tenants/Kent%20County%20Council.rrd", T0, T0 + 8 * STEP_S, &d, &n);
	for (unsigned k = 0; k < 8; k++)
		for (unsigned q = 0; q < 6; q++)
			ck_assert_msg(!isnan(d[k * 6 + q]) && count_of(d[k * 6 + q]) == e[k].v[0][2][q],
			              "step %u ds %u: %.17g", k, q, d[k * 6 + q]);
	rrd_freemem(d);
}
END_TEST

START_TEST(turned_off_it_is_not_there)
{
	struct ft_rrd_conf conf = { .enabled = false };
	struct ft_sink_env env = { .data_dir = dir, .conf = &conf, .step_ms = 60000 };
	void *st = NULL;
	ck_assert_int_eq(ft_rrd_sink.open(&env, &st), -ECANCELED);
	conf.enabled = true;
	env.step_ms = 7000;
	ck_assert_int_eq(ft_rrd_sink.open(&env, &st), -EINVAL);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("rrd");
	TCase *tc = tcase_create("names and layouts");
	tcase_add_test(tc, names_map_one_to_one_and_back);
	tcase_add_test(tc, only_the_encoders_spelling_decodes);
	tcase_add_test(tc, layouts_keep_what_billing_needs);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_step_reads_back_exactly);
	tcase_add_test(tc, bad_files_are_said_and_the_rest_written);
	tcase_add_test(tc, a_new_run_goes_on_after_the_last);
	tcase_add_test(tc, a_new_run_catches_up_from_the_ledger);
	tcase_add_test(tc, turned_off_it_is_not_there);
	suite_add_tcase(s, tc);
	return s;
}
