/* Writes the seed corpus of fuzz_ledger: run by hand,
 *   build/tests/fuzz/gen_ledger_corpus tests/fuzz/corpus/ledger
 * A ledger of five one-minute steps over two UTC days (format 2: accounting interfaces,
 * exporters' counters and kernel drops in all but the last) is written by the ledger writer
 * itself, then packed as fuzz_ledger reads its input (three files, each a 2-byte
 * big-endian length and the bytes), as it is and in the states a crash, a full disk or
 * a hand leave behind: the last block torn, a digit changed, HEAD missing, HEAD ahead
 * of the chain, an empty newest file, a break written at a reopen. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/ledger.h"
#include "flowtally/log.h"

#define T0 1793577480000LL        /* 2026-11-01T23:58:00Z */

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	*n = 0;
	if (!f)
		return NULL;
	char *buf = malloc(65536);
	*n = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static void pack(const char *out, const char *dir, const char *name, size_t cut_last, int flip)
{
	static const char *const files[] = { "2026-11-01.ledger", "2026-11-02.ledger", "HEAD" };
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", out, name);
	FILE *o = fopen(path, "w");
	for (int i = 0; i < 3; i++) {
		char p[512];
		size_t n;
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		char *b = slurp(p, &n);
		if (i == 1 && cut_last && n > cut_last)
			n -= cut_last;
		if (i == 1 && flip && n > (size_t)flip)
			b[n - (size_t)flip] ^= 1;
		fputc((int)(n >> 8), o);
		fputc((int)(n & 255), o);
		if (n)
			fwrite(b, 1, n, o);
		free(b);
	}
	fclose(o);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/ft-ledger-seed-XXXXXX", p[512];
	if (argc != 2 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: gen_ledger_corpus OUT_DIR\n");
		return 2;
	}
	ft_log_level = FT_LOG_ERR - 1;
	struct ft_ledger *l;
	if (ft_ledger_open(dir, &l) < 0)
		return 1;
	for (int k = 0; k < 5; k++) {
		struct ft_step_cell c[2] = { { .tenant = "acme", .class_ = "internet", .direction = FT_DIR_OUT,
		                               .v = { 1000u + (unsigned)k, 10, 1 } },
		                             { .tenant = "beta", .class_ = "janet", .direction = FT_DIR_IN,
		                               .v = { 500, 5, 1 } } };
		struct ft_step s = { .start_ms = T0 + k * 60000LL, .length_ms = 60000, .cells = c, .n_cells = 2,
		                     .total = { 1500u + (unsigned)k, 15, 2 }, .unattributed_src = { 500, 5, 1 },
		                     .unattributed_dst = { 1000u + (unsigned)k, 10, 1 }, .late = { 3, 1, 1 } };
		snprintf(s.map_id, sizeof(s.map_id), "5f1e0c");
		/* format 2's lines in every block but the last (whose length the seeds below
		 * cut by) */
		struct ft_step_point pt[2] = { { .ifindex = 3, .direction = FT_DIR_OUT, .v = { 700, 7, 1 } },
		                               { .ifindex = 3, .direction = FT_DIR_IN, .v = { 400, 4, 1 } } };
		struct ft_step_exporter ex[1] = { { .domain = 256, .datagrams = 4, .records = 2, .seq_lost = 1,
		                                    .sampling_rate = 1 } };
		ft_addr_parse("192.0.2.1", &pt[0].exporter);
		pt[1].exporter = ex[0].exporter = pt[0].exporter;
		if (k < 4) {
			s.points = pt;
			s.n_points = 2;
			s.exporters = ex;
			s.n_exporters = 1;
			s.kernel_drops = (uint64_t)k;
			s.have_counters = true;
		}
		if (ft_ledger_append(l, &s) < 0)
			return 1;
	}
	ft_ledger_close(l);
	pack(argv[1], dir, "clean", 0, 0);
	pack(argv[1], dir, "torn-last-block", 37, 0);
	pack(argv[1], dir, "changed-digit", 0, 90);
	snprintf(p, sizeof(p), "%s/HEAD", dir);
	rename(p, "/tmp/ft-ledger-seed-head");
	pack(argv[1], dir, "no-head", 0, 0);
	rename("/tmp/ft-ledger-seed-head", p);
	/* the last block removed whole: HEAD is ahead */
	pack(argv[1], dir, "head-ahead", 251, 0);
	snprintf(p, sizeof(p), "%s/2026-11-02.ledger", dir);
	truncate(p, 0);
	pack(argv[1], dir, "empty-newest", 0, 0);
	/* a reopen writes a truncated break */
	if (ft_ledger_open(dir, &l) == 0)
		ft_ledger_close(l);
	pack(argv[1], dir, "with-break", 0, 0);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	return system(p) == 0 ? 0 : 1;
}
