/* The RRD cross-check (exporters/recharge/rrdcheck.c) against real tenant files of the
 * collector's layout (ft_rrd_layout through a local store), fed steps of known counts,
 * and bins made by hand to match them, or to differ from them in one known place. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/recharge.h"
#include "flowtally/rrd.h"

#define NB 24                       /* two hours of bins */
#define BIN_S 300
#define START_S 1790812800LL        /* 2026-10-01T00:00:00Z */
#define START (START_S * 1000)

#define RRDCACHED "/usr/bin/rrdcached"

static char dir[256];
static pid_t cached_pid;            /* rrdcached started here, or 0 */

/* rrdcached stopped (SIGTERM, then SIGKILL after 5 s) and reaped. */
static void stop_cached(void)
{
	if (cached_pid <= 0)
		return;
	kill(cached_pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(cached_pid, NULL, WNOHANG) == cached_pid) {
			cached_pid = 0;
			return;
		}
		usleep(10000);
	}
	kill(cached_pid, SIGKILL);
	waitpid(cached_pid, NULL, 0);
	cached_pid = 0;
}

static void rm_rf(const char *what)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", what);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: cannot remove\n", what);
}

/* The directory is made and removed once for all the tests, outside their processes: a
 * failed assertion ends a test's process without its teardown, and the files are large.
 * Each test starts with it empty but for tenants/. */
static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ft-rrdcheck-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char what[300];
	snprintf(what, sizeof(what), "'%s'", dir);
	rm_rf(what);
}

static void setup(void)
{
	char what[300];
	snprintf(what, sizeof(what), "'%s'/*", dir);
	rm_rf(what);
	snprintf(what, sizeof(what), "%s/tenants", dir);
	ck_assert_int_eq(mkdir(what, 0755), 0);
}

static void teardown(void)
{
	stop_cached();
	char what[300];
	snprintf(what, sizeof(what), "'%s'/*", dir);
	rm_rf(what);
}

/* ---- the files ------------------------------------------------------------------------------ */

/* The counts of bin k of a tenant, and how a bin's count is split over its steps. */
typedef uint64_t (*count_fn)(size_t k);

static void file_path(const char *tenant, char *buf, size_t size)
{
	char enc[256];
	ck_assert_int_gt(ft_rrd_name_encode(tenant, enc, sizeof(enc)), 0);
	snprintf(buf, size, "%s/tenants/%s.rrd", dir, enc);
}

/* tenants/TENANT.rrd of the real layout for steps of step_s, fed the first n_bins bins:
 * each bin's count split over its steps (the remainder in the last), as the sink feeds
 * each step's exact count at the step's end. */
static void make_file_via(const char *daemon, const char *tenant, int64_t step_s, count_fn in, count_fn out,
                          size_t n_bins)
{
	char path[600], err[600];
	file_path(tenant, path, sizeof(path));
	struct ft_rrd_store *st;
	ck_assert_int_eq(ft_rrd_store_open(daemon, NULL, &st), 0);
	ck_assert_msg(ft_rrd_store_create(st, path, FT_RRD_TENANT, step_s, FT_RRD_FINE_DAYS, (time_t)START_S, false,
	                                  err, sizeof(err)) == 0, "%s", err);
	int64_t per = BIN_S / step_s;
	for (size_t k = 0; k < n_bins; k++) {
		uint64_t bi = in(k), bo = out(k);
		for (int64_t j = 0; j < per; j++) {
			uint64_t si = bi / (uint64_t)per + (j == per - 1 ? bi % (uint64_t)per : 0);
			uint64_t so = bo / (uint64_t)per + (j == per - 1 ? bo % (uint64_t)per : 0);
			char v[128];
			const char *vp = v;
			snprintf(v, sizeof(v), "%lld:%" PRIu64 ":%" PRIu64 ":1:1:1:1",
			         (long long)(START_S + (int64_t)k * BIN_S + (j + 1) * step_s), si, so);
			ck_assert_msg(ft_rrd_store_update(st, path, 1, &vp, err, sizeof(err)) == 0, "%s", err);
		}
	}
	ft_rrd_store_close(st);
}

static void make_file(const char *tenant, int64_t step_s, count_fn in, count_fn out, size_t n_bins)
{
	make_file_via(NULL, tenant, step_s, in, out, n_bins);
}

/* ---- the bins ------------------------------------------------------------------------------- */

static void series(struct ft_bins *b, const char *tenant, count_fn in, count_fn out)
{
	struct ft_bin_series *s = &b->series[b->n_series++];
	memset(s, 0, sizeof(*s));
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	s->in = calloc(NB, sizeof(*s->in));
	s->out = calloc(NB, sizeof(*s->out));
	for (size_t k = 0; k < NB; k++) {
		s->in[k] = in ? in(k) : 0;
		s->out[k] = out ? out(k) : 0;
		s->vin.bytes += s->in[k];
		s->vout.bytes += s->out[k];
	}
}

static int cmp_series(const void *a, const void *b)
{
	const struct ft_bin_series *x = a, *y = b;
	int c = strcmp(x->tenant, y->tenant);
	return c ? c : strcmp(x->class_, y->class_);
}

/* NB bins, bin 20 missing unless all_present. */
static void make_bins(struct ft_bins *b, bool all_present)
{
	memset(b, 0, sizeof(*b));
	b->start_ms = START;
	b->end_ms = START + NB * FT_RECHARGE_BIN_MS;
	b->n_bins = NB;
	b->present = calloc(NB, 1);
	for (size_t k = 0; k < NB; k++)
		b->present[k] = all_present || k != 20;
	b->present_bins = all_present ? NB : NB - 1;
	b->series = calloc(16, sizeof(*b->series));
}

static void sort_bins(struct ft_bins *b)
{
	series(b, "total", NULL, NULL);
	series(b, "unattributed", NULL, NULL);
	qsort(b->series, b->n_series, sizeof(*b->series), cmp_series);
}

static struct ft_statement_member member(const char *name, int64_t from, int64_t until)
{
	struct ft_statement_member m = { .from_ms = from, .until_ms = until };
	snprintf(m.name, sizeof(m.name), "%s", name);
	return m;
}

static struct ft_bin_series *find(struct ft_bins *b, const char *tenant)
{
	for (size_t i = 0; i < b->n_series; i++)
		if (strcmp(b->series[i].tenant, tenant) == 0 && !b->series[i].class_[0])
			return &b->series[i];
	ck_abort_msg("no series %s", tenant);
	return NULL;
}

/* ---- the tenants ---------------------------------------------------------------------------- */

/* a: steps of 60 s, rising in; Kent County Council (a name encoded): steps of 300 s. */
static uint64_t a_in(size_t k) { return 500 * (k + 1) + 10; }
static uint64_t a_out(size_t k) { return 35 * k; }
static uint64_t k_in(size_t k) { return 1000 + 13 * ((k * 7) % NB); }
static uint64_t k_out(size_t k) { (void)k; return 3; }
/* big: counts near 2^40 a bin, so that AVERAGE × 300 must round back exactly */
static uint64_t big_in(size_t k) { return (1ull << 40) + 7919 * k + 1; }
static uint64_t big_out(size_t k) { return (1ull << 39) + 104729 * (NB - k) + 2; }

#define KENT "Kent County Council"

static void three_tenants(struct ft_bins *b, struct ft_statement_member *m)
{
	make_file("a", 60, a_in, a_out, NB);
	make_file(KENT, 300, k_in, k_out, NB);
	make_file("big", 60, big_in, big_out, NB);
	make_bins(b, false);
	series(b, "a", a_in, a_out);
	series(b, KENT, k_in, k_out);
	series(b, "big", big_in, big_out);
	sort_bins(b);
	m[0] = member("a", INT64_MIN, INT64_MAX);
	m[1] = member(KENT, INT64_MIN, INT64_MAX);
	m[2] = member("big", INT64_MIN, INT64_MAX);
	m[3] = member("idle", INT64_MIN, INT64_MAX);   /* no traffic, no file */
}

static void build(const struct ft_bins *b, const struct ft_statement_member *m, size_t n, struct ft_statement *s)
{
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_statement_build(b, m, n, NULL, s, &d), 0);
	ft_diag_done(&d);
}

START_TEST(matching_files_agree)
{
	struct ft_bins b;
	struct ft_statement_member m[4];
	three_tenants(&b, m);
	struct ft_statement s;
	build(&b, m, 4, &s);
	struct ft_recharge_rrd_check c;
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_msg(c.state == FT_RRD_CHECK_AGREES, "state %d: %s (%zu diffs, first %s %u %" PRIu64 " %" PRIu64 ")",
	              c.state, c.why, c.n_diffs, c.n_diffs ? c.diffs[0].tenant : "", c.n_diffs ? c.diffs[0].metric : 0,
	              c.n_diffs ? c.diffs[0].ledger_bytes : 0, c.n_diffs ? c.diffs[0].rrd_bytes : 0);
	ck_assert_uint_eq(c.tenants_checked, 3);             /* idle skipped */
	ck_assert_uint_eq(c.n_diffs, 0);
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	ft_bins_done(&b);
}
END_TEST

START_TEST(one_bin_that_differs_is_a_diff_of_its_metrics)
{
	struct ft_bins b;
	struct ft_statement_member m[4];
	three_tenants(&b, m);
	/* N = 23 (bin 20 missing): rank ceil(0.95 × 23) = 22, a's bin 22 for every metric;
	 * one byte more out in the ledger moves out and in + out, not in nor max(in, out) */
	struct ft_bin_series *a = find(&b, "a");
	a->out[22]++;
	a->vout.bytes++;
	struct ft_statement s;
	build(&b, m, 4, &s);
	struct ft_recharge_rrd_check c;
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_DISAGREES);
	ck_assert_uint_eq(c.tenants_checked, 3);
	ck_assert_uint_eq(c.n_diffs, 2);
	ck_assert_str_eq(c.diffs[0].tenant, "a");
	ck_assert_uint_eq(c.diffs[0].metric, FT_METRIC_OUT);
	ck_assert_uint_eq(c.diffs[0].ledger_bytes, 35 * 22 + 1);
	ck_assert_uint_eq(c.diffs[0].rrd_bytes, 35 * 22);
	ck_assert_str_eq(c.diffs[1].tenant, "a");
	ck_assert_uint_eq(c.diffs[1].metric, FT_METRIC_IN_PLUS_OUT);
	ck_assert_uint_eq(c.diffs[1].ledger_bytes, a_in(22) + 35 * 22 + 1);
	ck_assert_uint_eq(c.diffs[1].rrd_bytes, a_in(22) + 35 * 22);
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	/* a bin the percentile does not choose changes nothing: the check compares
	 * percentiles, not bins */
	a->out[22]--;
	a->out[3] += 5;
	a->vout.bytes += 4;
	build(&b, m, 4, &s);
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_AGREES);
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	ft_bins_done(&b);
}
END_TEST

START_TEST(a_missing_file_of_a_tenant_with_traffic_is_not_done)
{
	struct ft_bins b;
	struct ft_statement_member m[4];
	three_tenants(&b, m);
	struct ft_statement s;
	build(&b, m, 4, &s);
	char path[600];
	file_path(KENT, path, sizeof(path));
	ck_assert_int_eq(unlink(path), 0);
	struct ft_recharge_rrd_check c;
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_NOT_DONE);
	ck_assert_msg(strstr(c.why, "tenants/Kent%20County%20Council.rrd") && strstr(c.why, "no such file"),
	              "why: %s", c.why);
	ft_recharge_rrd_check_done(&c);
	/* a file that is not a round-robin database: not done, naming it */
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not an RRD file, but long enough to have a header of one ............\n", f);
	fclose(f);
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_NOT_DONE);
	ck_assert_msg(strstr(c.why, "tenants/Kent%20County%20Council.rrd:"), "why: %s", c.why);
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	ft_bins_done(&b);
}
END_TEST

/* ---- the row → bin mapping ------------------------------------------------------------------ */

static uint64_t solo_in(size_t k) { return k == 7 ? 4242 : 0; }
static uint64_t solo_in_shifted(size_t k) { return k == 8 ? 4242 : 0; }

START_TEST(a_row_lands_in_its_own_bin)
{
	make_file("solo", 60, solo_in, solo_in, NB);
	/* what librrd answers: rows of (start, end], each for the interval ending at its
	 * time (row j of time start + (j + 1) × 300); the only non-zero one is of time
	 * start + 8 × 300, the end of bin 7.  librrd 1.7 moves an end on a row's boundary
	 * on by one row: the last row, past the bins, is the file's future (unknown). */
	char path[600];
	file_path("solo", path, sizeof(path));
	time_t from = (time_t)START_S, to = (time_t)(START_S + NB * BIN_S);
	unsigned long step = BIN_S, n_ds;
	char **names;
	rrd_value_t *data;
	ck_assert_msg(rrd_fetch_r(path, "AVERAGE", &from, &to, &step, &n_ds, &names, &data) == 0, "%s",
	              rrd_get_error());
	ck_assert_uint_eq(step, BIN_S);
	ck_assert_int_eq(from, START_S);
	ck_assert_int_eq(to, START_S + (NB + 1) * BIN_S);
	ck_assert_uint_eq(n_ds, 6);
	ck_assert_str_eq(names[0], "in_bytes");
	ck_assert_msg(isnan(data[NB * n_ds]), "the row after the last update is known");
	int nonzero = 0;
	for (unsigned long j = 0; j < NB; j++) {
		double v = data[j * n_ds];
		ck_assert_msg(!isnan(v), "row %lu unknown", j);
		if (v != 0) {
			nonzero++;
			ck_assert_uint_eq(j, 7);                      /* row j: time from + (j + 1) × 300 */
			ck_assert_int_eq(llround(v * BIN_S), 4242);
		}
	}
	ck_assert_int_eq(nonzero, 1);
	for (unsigned long d = 0; d < n_ds; d++)
		rrd_freemem(names[d]);
	rrd_freemem(names);
	rrd_freemem(data);

	/* the check over bin 7 alone (its membership) finds 4242 there ... */
	struct ft_statement_member m = member("solo", START + 7 * FT_RECHARGE_BIN_MS, START + 8 * FT_RECHARGE_BIN_MS);
	struct ft_bins b;
	make_bins(&b, true);
	series(&b, "solo", solo_in, solo_in);
	sort_bins(&b);
	struct ft_statement s;
	build(&b, &m, 1, &s);
	ck_assert_uint_eq(s.tenants[0].p95.bytes[FT_METRIC_IN], 4242);
	struct ft_recharge_rrd_check c;
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_msg(c.state == FT_RRD_CHECK_AGREES, "state %d: %s", c.state, c.why);
	ck_assert_uint_eq(c.tenants_checked, 1);
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	ft_bins_done(&b);

	/* ... and a ledger one bin later disagrees: 4242 in bin 8, where the RRD has 0 */
	m = member("solo", START + 8 * FT_RECHARGE_BIN_MS, START + 9 * FT_RECHARGE_BIN_MS);
	make_bins(&b, true);
	series(&b, "solo", solo_in_shifted, solo_in_shifted);
	sort_bins(&b);
	build(&b, &m, 1, &s);
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_DISAGREES);
	ck_assert_uint_eq(c.n_diffs, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(c.diffs[i].metric, i);
		ck_assert_uint_eq(c.diffs[i].ledger_bytes, i == FT_METRIC_IN_PLUS_OUT ? 8484 : 4242);
		ck_assert_uint_eq(c.diffs[i].rrd_bytes, 0);
	}
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	ft_bins_done(&b);
}
END_TEST

/* ---- unknown rows --------------------------------------------------------------------------- */

START_TEST(unknown_rows_are_left_out_of_the_rrds_n)
{
	/* the file stops after bin 21: bins 22 and 23 unknown there, present in the ledger.
	 * Ledger N = 24, rank 23: bin 22; RRD N = 22, rank 21: bin 20 */
	make_file("a", 300, a_in, a_out, 22);
	struct ft_statement_member m = member("a", INT64_MIN, INT64_MAX);
	struct ft_bins b;
	make_bins(&b, true);
	series(&b, "a", a_in, a_out);
	sort_bins(&b);
	struct ft_statement s;
	build(&b, &m, 1, &s);
	struct ft_recharge_rrd_check c;
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_DISAGREES);
	ck_assert_uint_eq(c.n_diffs, 4);
	ck_assert_uint_eq(c.diffs[FT_METRIC_IN].ledger_bytes, a_in(22));
	ck_assert_uint_eq(c.diffs[FT_METRIC_IN].rrd_bytes, a_in(20));
	ck_assert_uint_eq(c.diffs[FT_METRIC_OUT].rrd_bytes, a_out(20));
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	/* the same two bins missing from the ledger too: the same N, agreement */
	b.present[22] = b.present[23] = 0;
	b.present_bins -= 2;
	build(&b, &m, 1, &s);
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_msg(c.state == FT_RRD_CHECK_AGREES, "state %d: %s", c.state, c.why);
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	ft_bins_done(&b);
}
END_TEST

START_TEST(a_month_before_the_files_archive_is_not_done)
{
	/* a file whose 5-minute archive (400 days) ends long after the month: librrd would
	 * answer from a coarser archive, or with unknown rows */
	char path[600], err[600];
	file_path("a", path, sizeof(path));
	struct ft_rrd_store *st;
	ck_assert_int_eq(ft_rrd_store_open(NULL, NULL, &st), 0);
	time_t later = (time_t)(START_S + 500LL * 86400);
	ck_assert_msg(ft_rrd_store_create(st, path, FT_RRD_TENANT, 60, FT_RRD_FINE_DAYS, later, false, err,
	                                  sizeof(err)) == 0, "%s", err);
	ft_rrd_store_close(st);
	struct ft_statement_member m = member("a", INT64_MIN, INT64_MAX);
	struct ft_bins b;
	make_bins(&b, true);
	series(&b, "a", a_in, a_out);
	sort_bins(&b);
	struct ft_statement s;
	build(&b, &m, 1, &s);
	struct ft_recharge_rrd_check c;
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_NOT_DONE);
	ck_assert_msg(strstr(c.why, "tenants/a.rrd") && strstr(c.why, "5-minute archive"), "why: %s", c.why);
	ck_assert_uint_eq(c.tenants_checked, 0);
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	ft_bins_done(&b);
}
END_TEST

START_TEST(a_tcp_rrdcached_is_not_done)
{
	struct ft_statement_member m = member("idle", INT64_MIN, INT64_MAX);
	struct ft_bins b;
	make_bins(&b, true);
	sort_bins(&b);
	struct ft_statement s;
	build(&b, &m, 1, &s);
	struct ft_recharge_rrd_check c;
	ck_assert_int_eq(ft_recharge_rrd_check(dir, "127.0.0.1:1", &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_NOT_DONE);
	ck_assert_msg(strstr(c.why, "TCP"), "why: %s", c.why);
	ft_recharge_rrd_check_done(&c);
	/* no traffic and no file, directly: nothing to disagree with */
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_AGREES);
	ck_assert_uint_eq(c.tenants_checked, 0);
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	ft_bins_done(&b);
}
END_TEST

/* ---- through rrdcached ---------------------------------------------------------------------- */

START_TEST(through_rrdcached_the_files_are_flushed_first)
{
	if (access(RRDCACHED, X_OK) != 0) {
		fprintf(stderr, "through_rrdcached_the_files_are_flushed_first: skipped, no %s\n", RRDCACHED);
		return;
	}
	char sock[300], addr[310], pidf[300];
	snprintf(sock, sizeof(sock), "%s/rrdcached.sock", dir);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	snprintf(pidf, sizeof(pidf), "%s/rrdcached.pid", dir);
	cached_pid = fork();
	ck_assert_int_ge(cached_pid, 0);
	if (cached_pid == 0) {
		/* it goes with this process, however this process ends */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		/* updates held an hour: only a flush writes them */
		execl(RRDCACHED, "rrdcached", "-g", "-l", addr, "-b", dir, "-B", "-w", "3600", "-f", "7200", "-p",
		      pidf, (char *)NULL);
		_exit(127);
	}
	struct stat sb;
	int i = 0;
	for (; i < 500 && !(stat(sock, &sb) == 0 && S_ISSOCK(sb.st_mode)); i++) {
		ck_assert_msg(waitpid(cached_pid, NULL, WNOHANG) == 0, "rrdcached exited at its start");
		usleep(10000);
	}
	ck_assert_msg(i < 500, "rrdcached did not open %s within 5 s", sock);

	make_file_via(addr, "a", 60, a_in, a_out, NB);
	struct ft_statement_member m = member("a", INT64_MIN, INT64_MAX);
	struct ft_bins b;
	make_bins(&b, true);
	series(&b, "a", a_in, a_out);
	sort_bins(&b);
	struct ft_statement s;
	build(&b, &m, 1, &s);
	/* read directly, the file has none of the updates rrdcached holds: every row unknown */
	struct ft_recharge_rrd_check c;
	ck_assert_int_eq(ft_recharge_rrd_check(dir, NULL, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_DISAGREES);
	ck_assert_uint_eq(c.n_diffs, 4);
	ck_assert_uint_eq(c.diffs[0].rrd_bytes, 0);
	ft_recharge_rrd_check_done(&c);
	/* through rrdcached, flushed first */
	ck_assert_int_eq(ft_recharge_rrd_check(dir, addr, &b, &s, &c), 0);
	ck_assert_msg(c.state == FT_RRD_CHECK_AGREES, "state %d: %s", c.state, c.why);
	ck_assert_uint_eq(c.tenants_checked, 1);
	ft_recharge_rrd_check_done(&c);
	/* rrdcached gone: not done, saying so */
	stop_cached();
	ck_assert_int_eq(ft_recharge_rrd_check(dir, addr, &b, &s, &c), 0);
	ck_assert_int_eq(c.state, FT_RRD_CHECK_NOT_DONE);
	ck_assert_msg(strstr(c.why, "rrdcached") && strstr(c.why, sock), "why: %s", c.why);
	ft_recharge_rrd_check_done(&c);
	ft_statement_done(&s);
	ft_bins_done(&b);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("recharge_rrdcheck");
	TCase *tc = tcase_create("files");
	tcase_add_unchecked_fixture(tc, make_dir, remove_dir);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, matching_files_agree);
	tcase_add_test(tc, one_bin_that_differs_is_a_diff_of_its_metrics);
	tcase_add_test(tc, a_missing_file_of_a_tenant_with_traffic_is_not_done);
	tcase_add_test(tc, a_row_lands_in_its_own_bin);
	tcase_add_test(tc, unknown_rows_are_left_out_of_the_rrds_n);
	tcase_add_test(tc, a_month_before_the_files_archive_is_not_done);
	tcase_add_test(tc, a_tcp_rrdcached_is_not_done);
	tcase_add_test(tc, through_rrdcached_the_files_are_flushed_first);
	suite_add_tcase(s, tc);
	return s;
}
