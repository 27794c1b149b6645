/* What one update of one RRD file costs with the layout flowtallyd makes (layout.c),
 * through the store the RRD sink writes with (store.c, librrd directly): FILES tenant
 * files of six ABSOLUTE data sources are created in DIR, written out to the disk
 * (syncfs), then updated ROUNDS times each, one step apart, round after round as the
 * sink does every step.  tests/bench/rrd.sh runs it twice, with and without
 * FT_RRD_BENCH_SHORT=1 in the environment (rrd.h), to show that the one-day archives
 * its 10,000 files need to fit on the disk do not make an update cheaper.
 *
 *   bench_rrd_layout DIR FILES ROUNDS [STEP]
 *
 * Prints one line on standard output:
 *   bytes=B create_s=S median_us=M first_us=F max_us=X
 * B the size of one file, S the time to create and write out all of them, M, F and X
 * the median, first and largest over the rounds of a round's time per file (µs).  The
 * first round also pays for mapping each file for the first time, so the median is
 * the figure to compare.  DIR must exist and is left with the files in it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/rrd.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: bench_rrd_layout DIR FILES ROUNDS [STEP]\n");
		return 2;
	}
	const char *dir = argv[1];
	long files = strtol(argv[2], NULL, 10), rounds = strtol(argv[3], NULL, 10);
	long step = argc > 4 ? strtol(argv[4], NULL, 10) : 10;
	if (files < 1 || rounds < 1 || ft_rrd_step_problem(step)) {
		fprintf(stderr, "bench_rrd_layout: FILES and ROUNDS from 1, STEP one the archives take\n");
		return 2;
	}
	struct ft_rrd_store *st;
	char path[4200], err[4800], val[200];
	if (ft_rrd_store_open(NULL, NULL, &st) < 0)
		return 1;
	/* the files start a step before the first round, on a whole hour, as the sink's do */
	time_t now = time(NULL), t0 = now - now % 3600 - (time_t)(rounds + 1) * step;
	int64_t c0 = ft_clock_mono_ns();
	for (long i = 0; i < files; i++) {
		snprintf(path, sizeof(path), "%s/f%05ld.rrd", dir, i);
		if (ft_rrd_store_create(st, path, FT_RRD_TENANT, step, FT_RRD_FINE_DAYS, t0, true, err,
		                        sizeof(err)) < 0) {
			fprintf(stderr, "bench_rrd_layout: %s\n", err);
			return 1;
		}
	}
	/* what an update costs, not what writing the new files out costs meanwhile */
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || syncfs(fd) < 0) {
		perror("bench_rrd_layout: syncfs");
		return 1;
	}
	close(fd);
	double create_s = (double)(ft_clock_mono_ns() - c0) / 1e9;
	struct stat sb;
	snprintf(path, sizeof(path), "%s/f%05d.rrd", dir, 0);
	if (stat(path, &sb) < 0)
		return 1;
	double *per_file = calloc((size_t)rounds, sizeof(*per_file));
	if (!per_file)
		return 1;
	for (long r = 0; r < rounds; r++) {
		time_t t = t0 + (time_t)(r + 1) * step;
		int64_t r0 = ft_clock_mono_ns();
		for (long i = 0; i < files; i++) {
			const char *v = val;
			/* counts of a busy tenant, different in every file and step */
			snprintf(val, sizeof(val), "%lld:%ld:%ld:%ld:%ld:%ld:%ld", (long long)t, 1000000 + i * 7 + r,
			         2000000 + i * 3 + r, 1000 + i, 2000 + r, 10 + i % 7, 20 + r % 5);
			snprintf(path, sizeof(path), "%s/f%05ld.rrd", dir, i);
			if (ft_rrd_store_update(st, path, 1, &v, err, sizeof(err)) < 0) {
				fprintf(stderr, "bench_rrd_layout: %s\n", err);
				return 1;
			}
		}
		per_file[r] = (double)(ft_clock_mono_ns() - r0) / 1e3 / (double)files;
	}
	double first = per_file[0];
	qsort(per_file, (size_t)rounds, sizeof(*per_file), cmp_double);
	printf("bytes=%lld create_s=%.2f median_us=%.1f first_us=%.1f max_us=%.1f\n", (long long)sb.st_size,
	       create_s, per_file[rounds / 2], first, per_file[rounds - 1]);
	free(per_file);
	ft_rrd_store_close(st);
	return 0;
}
