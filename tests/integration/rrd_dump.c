/* rrd_dump FILE STEP FROM TO: the finest AVERAGE archive of FILE from FROM to TO (UNIX
 * seconds), read back through librrd's own rrd_fetch (what rrdtool fetch calls), as
 * one line per row and data source: "END NAME VALUE", VALUE the per-second average
 * times STEP rounded to an integer ("U" unknown), printed in full (rrdtool fetch
 * prints ten digits).  The reference rrd.sh and rrdcached.sh compare the ledger with. */
#include <inttypes.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: rrd_dump FILE STEP FROM TO\n");
		return 2;
	}
	unsigned long step = strtoul(argv[2], NULL, 10), got, n;
	time_t from = (time_t)strtoll(argv[3], NULL, 10), to = (time_t)strtoll(argv[4], NULL, 10);
	char **names;
	rrd_value_t *data;
	got = step;
	if (rrd_fetch_r(argv[1], "AVERAGE", &from, &to, &got, &n, &names, &data) != 0) {
		fprintf(stderr, "rrd_dump: %s: %s\n", argv[1], rrd_get_error());
		return 1;
	}
	if (got != step) {
		fprintf(stderr, "rrd_dump: %s: the archive found has %lu-second rows, not %lu\n", argv[1], got, step);
		return 1;
	}
	size_t rows = (size_t)((to - from) / (time_t)step);
	for (size_t r = 0; r < rows; r++)
		for (unsigned long k = 0; k < n; k++) {
			double v = data[r * n + k];
			long long t = (long long)from + (long long)((r + 1) * step);
			if (isnan(v))
				printf("%lld %s U\n", t, names[k]);
			else
				printf("%lld %s %.0f\n", t, names[k], round(v * (double)step));
		}
	for (unsigned long k = 0; k < n; k++)
		rrd_freemem(names[k]);
	rrd_freemem(names);
	rrd_freemem(data);
	return 0;
}
