/* Fuzz target for what the RRD sink reads from disk (exporters/rrd): the file names it
 * finds under DATA_DIR/rrd/tenants and the files themselves, which librrd parses when
 * the sink looks at them before their first update.  The input is a file name and the
 * bytes of a file, separated by the first NUL byte:
 *
 *   NAME  NUL  BYTES
 *
 * NAME must decode only if it is the spelling the encoder makes (and then encode back
 * to itself); any name must encode and decode back to itself.  BYTES become both
 * tenants/acme.rrd and total.rrd of a fresh store, and a sink opened on it writes a
 * step for tenant acme: whatever the bytes, it must not crash, and the step must still
 * reach the other files.  The store uses a 300-second step and FT_RRD_BENCH_SHORT's short
 * archives, so that a valid file (the seeds) is a few tens of kilobytes.
 *
 * Seeds: corpus/rrd/, names and NUL, then: a valid total.rrd and tenant file of that
 * layout (rrdtool create --step 300 with the arguments ft_rrd_layout() gives), the
 * tenant file after some updates, truncated and bit-flipped variants, a file of other
 * data sources.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/log.h"
#include "flowtally/rrd.h"
#include "flowtally/sink.h"
#include "fuzz.h"

extern const struct ft_sink_ops ft_rrd_sink;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void put(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	CHECK(f);
	CHECK(fwrite(data, 1, size, f) == size || size == 0);
	fclose(f);
}

static void names(const uint8_t *data, size_t size)
{
	char s[256], out[1024], back[1024];
	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ft_rrd_name_decode(s, out, sizeof(out)) >= 0) {
		CHECK(ft_rrd_name_encode(out, back, sizeof(back)) >= 0);
		CHECK(strcmp(back, s) == 0);
	}
	if (s[0] && ft_rrd_name_encode(s, out, sizeof(out)) >= 0) {
		size_t n = strlen(out);
		CHECK(out[0] != '.' && !(n >= 4 && strcmp(out + n - 4, ".rrd") == 0));
		CHECK(ft_rrd_name_decode(out, back, sizeof(back)) >= 0);
		CHECK(strcmp(back, s) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	char path[128];
	const uint8_t *nul = memchr(data, 0, size);
	size_t name_len = nul ? (size_t)(nul - data) : size;
	names(data, name_len);
	if (!nul)
		return 0;
	const uint8_t *bytes = nul + 1;
	size_t n = size - name_len - 1;

	setenv("FT_RRD_BENCH_SHORT", "1", 1);
	ft_log_level = -1;          /* the refusals are meant */
	snprintf(dir, sizeof(dir), "/tmp/ft-fuzz-rrd-XXXXXX");
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rrd", dir);
	CHECK(mkdir(path, 0750) == 0);
	snprintf(path, sizeof(path), "%s/rrd/tenants", dir);
	CHECK(mkdir(path, 0750) == 0);
	snprintf(path, sizeof(path), "%s/rrd/tenants/acme.rrd", dir);
	put(path, bytes, n);
	snprintf(path, sizeof(path), "%s/rrd/total.rrd", dir);
	put(path, bytes, n);

	struct ft_rrd_conf conf = { .enabled = true, .fine_days = FT_RRD_FINE_DAYS };
	struct ft_sink_env env = { .data_dir = dir, .conf = &conf, .step_ms = 300000 };
	void *st = NULL;
	CHECK(ft_rrd_sink.open(&env, &st) == 0);
	struct ft_step_cell cell = { .tenant = "acme", .class_ = "internet", .direction = 0,
	                             .v = { 1000, 10, 1 } };
	struct ft_step s = { .start_ms = 1764547200000LL, .length_ms = 300000, .cells = &cell, .n_cells = 1,
	                     .total = { 1000, 10, 1 }, .unattributed_dst = { 1000, 10, 1 } };
	int r = ft_rrd_sink.write_step(st, &s);
	CHECK(r == 0 || r == -EIO || r == -EEXIST);
	ft_rrd_sink.close(st);
	/* the step reached the files it could */
	struct stat sb;
	snprintf(path, sizeof(path), "%s/rrd/unattributed.rrd", dir);
	CHECK(stat(path, &sb) == 0 && sb.st_size > 0);
	snprintf(path, sizeof(path), "%s/rrd/tenants/acme/internet.rrd", dir);
	CHECK(stat(path, &sb) == 0 && sb.st_size > 0);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
