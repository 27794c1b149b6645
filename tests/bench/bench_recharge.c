/* The core of a monthly recharge, timed: the bins of October 2026 in Europe/London
 * from one ledger (ft_bins_read: every block verified), then the statement for the
 * tenants tenant-0000 .. tenant-NNNN under a small tariff (one pool of each basis).
 * Prints wall time, CPU time and peak RSS (driven by recharge.sh).
 *
 *   bench_recharge [-t TENANTS] LEDGER_DIR
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/diag.h"
#include "flowtally/recharge.h"
#include "flowtally/tenant.h"

static const char tariff_text[] =
	"pools = (\n"
	"  { name = \"core\";     amount_pence = 1250000; basis = \"peak_share\"; },\n"
	"  { name = \"internet\"; amount_pence = 480000;  basis = \"volume\"; direction = \"in\"; },\n"
	"  { name = \"capacity\"; amount_pence = 999999;  basis = \"p95\"; metric = \"max_in_out\"; },\n"
	"  { name = \"desk\";     amount_pence = 300001;  basis = \"equal\"; },\n"
	"  { name = \"sites\";    amount_pence = 700000;  basis = \"weights\";\n"
	"    weights = ( { tenant = \"tenant-0000\"; weight = 12; }, { tenant = \"tenant-0001\"; weight = 7; } ); }\n"
	");\n";

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(const struct rusage *u)
{
	return (double)u->ru_utime.tv_sec + u->ru_utime.tv_usec / 1e6 + (double)u->ru_stime.tv_sec +
	       u->ru_stime.tv_usec / 1e6;
}

static void print_diag(const struct ft_diag *d)
{
	for (size_t i = 0; i < d->n && i < 20; i++)
		fprintf(stderr, "  %s\n", d->lines[i]);
	if (d->n > 20)
		fprintf(stderr, "  ... %zu more\n", d->n - 20);
}

int main(int argc, char **argv)
{
	int n_tenants = 200, opt;
	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt == 't')
			n_tenants = atoi(optarg);
		else
			return 2;
	}
	if (optind != argc - 1 || n_tenants <= 0 || n_tenants > 9999) {
		fprintf(stderr, "usage: bench_recharge [-t TENANTS] LEDGER_DIR\n");
		return 2;
	}
	const char *dir = argv[optind];
	int64_t start, end;
	int rc = ft_recharge_month("2026-10", "Europe/London", 1, &start, &end);
	if (rc < 0) {
		fprintf(stderr, "ft_recharge_month: %s\n", strerror(-rc));
		return 1;
	}

	/* the members and the tariff are not timed: a command reads them from small files */
	struct ft_statement_member *members = calloc((size_t)n_tenants, sizeof(*members));
	const char **names = calloc((size_t)n_tenants, sizeof(*names));
	if (!members || !names)
		return 1;
	for (int i = 0; i < n_tenants; i++) {
		snprintf(members[i].name, sizeof(members[i].name), "tenant-%04d", i);
		snprintf(members[i].cost_centre, sizeof(members[i].cost_centre), "CC%04d", i);
		members[i].from_ms = FT_TIME_MIN;
		members[i].until_ms = FT_TIME_MAX;
		names[i] = members[i].name;
	}
	struct ft_tariff_names tn = { .tenants = names, .n_tenants = (size_t)n_tenants };
	struct ft_tariff *tariff;
	struct ft_diag diag = { 0 };
	if ((rc = ft_tariff_parse(tariff_text, "bench.tariff", &tn, &tariff, &diag)) < 0) {
		fprintf(stderr, "tariff: %s\n", strerror(-rc));
		print_diag(&diag);
		return 1;
	}

	struct rusage u0, u1;
	getrusage(RUSAGE_SELF, &u0);
	double t0 = mono_s();
	struct ft_bins bins;
	rc = ft_bins_read(&dir, 1, start, end, &bins, &diag);
	double t1 = mono_s();
	if (rc < 0) {
		fprintf(stderr, "ft_bins_read: %s\n", strerror(-rc));
		print_diag(&diag);
		return 1;
	}
	struct ft_statement st;
	rc = ft_statement_build(&bins, members, (size_t)n_tenants, tariff, &st, &diag);
	double t2 = mono_s();
	getrusage(RUSAGE_SELF, &u1);
	if (rc < 0) {
		fprintf(stderr, "ft_statement_build: %s\n", strerror(-rc));
		print_diag(&diag);
		return 1;
	}
	int bad = diag.n > 0 || bins.damaged || bins.breaks;
	if (bad) {
		fprintf(stderr, "bench_recharge: the ledger did not read clean: %zu diag lines, %" PRIu64
		        " damaged blocks, %" PRIu64 " breaks\n", diag.n, bins.damaged, bins.breaks);
		print_diag(&diag);
	}
	printf("steps %" PRIu64 "  series %zu  bins %zu (present %" PRIu64 ")  charged %" PRIu64 " pence\n",
	       bins.steps, bins.n_series, bins.n_bins, bins.present_bins, st.charged_pence);
	printf("read %.2f s  statement %.2f s\n", t1 - t0, t2 - t1);
	printf("wall_s %.2f\ncpu_s %.2f\nmaxrss_mb %.1f\n", t2 - t0, cpu_s(&u1) - cpu_s(&u0),
	       (double)u1.ru_maxrss / 1024.0);
	ft_statement_done(&st);
	ft_bins_done(&bins);
	ft_tariff_free(tariff);
	ft_diag_done(&diag);
	free(members);
	free(names);
	return bad ? 1 : 0;
}
