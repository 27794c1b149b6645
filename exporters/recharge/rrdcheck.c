/* The RRD cross-check (recharge.h): each tenant's four 95th percentiles recomputed from
 * its RRD file's 300-second AVERAGE archive, against the statement's from the ledger.
 *
 * The two are written from the same steps by different code (the RRD sink, the
 * ledger), so agreement says the bill rests on figures the graphs show too.  A tenant
 * file's in_bytes and out_bytes are ABSOLUTE, fed each step's exact count at the step's
 * end (rrd.h): a 300-second row's AVERAGE × 300, rounded, is that bin's byte count.
 * librrd's fetch gives the rows of (start, end], each row's value for the interval that
 * ends at its time, so the row of time t is the bin [t - 300, t): bin
 * (t - 300 - start) / 300.  tests/unit/test_recharge_rrdcheck.c checks that mapping on
 * a file with a single non-zero bin.
 *
 * The percentiles are over the same bins as the ledger's (the tenant's present bins
 * within its membership); a row the RRD does not know (NaN: the sink was behind, the
 * file newer than the month) leaves the bin out of the RRD's N, so it is a difference
 * exactly when it changes a percentile.
 *
 * Through rrdcached the file is flushed first, so that the fetch reads every update the
 * collector sent.  Over TCP rrdcached is sent paths relative to its base directory
 * (rrdcached_base), which this interface is not given: the check is then not done,
 * rather than made on a file that may lack what rrdcached still holds.
 *
 * The first tenant that cannot be checked ends the check (not done, why says which);
 * the differences met before it are kept. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/recharge.h"
#include "flowtally/rrd.h"

#define BIN_S (FT_RECHARGE_BIN_MS / 1000)

__attribute__((format(printf, 2, 3))) static void not_done(struct ft_recharge_rrd_check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	c->state = FT_RRD_CHECK_NOT_DONE;
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static const char *rrd_error(void)
{
	return rrd_test_error() ? rrd_get_error() : "librrd gave no reason";
}

/* The step a file's header claims (the word after the data source and archive counts),
 * for ft_rrd_header_check() to check with everything else: the collector's step is not
 * known here.  -ENOENT no file, -EIO it cannot be read, -EBADF too short. */
static int header_step(const char *path, int64_t *ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -EIO;
	unsigned char h[48];
	ssize_t got = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (got < 0)
		return -EIO;
	if ((size_t)got < sizeof(h))
		return -EBADF;
	unsigned long step;
	memcpy(&step, h + 40, sizeof(step));
	*ret = step > INT64_MAX ? -1 : (int64_t)step;
	return 0;
}

/* The index of the file's 300-second AVERAGE archive, or -1. */
static int fine_archive(const char *path)
{
	rrd_info_t *info = rrd_info_r(path);
	if (!info)
		return -1;
	unsigned long step = 0, pdp[32] = { 0 };
	bool average[32] = { false };
	for (rrd_info_t *i = info; i; i = i->next) {
		unsigned idx;
		int used = 0;
		if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT)
			step = i->value.u_cnt;
		else if (sscanf(i->key, "rra[%u].%n", &idx, &used) == 1 && used > 0 && idx < 32) {
			if (strcmp(i->key + used, "pdp_per_row") == 0 && i->type == RD_I_CNT)
				pdp[idx] = i->value.u_cnt;
			else if (strcmp(i->key + used, "cf") == 0 && i->type == RD_I_STR)
				average[idx] = strcmp(i->value.u_str, "AVERAGE") == 0;
		}
	}
	rrd_info_free(info);
	for (int k = 0; k < 32; k++)
		if (average[k] && pdp[k] * step == BIN_S)
			return k;
	return -1;
}

/* A row's value as a bin's byte count: AVERAGE × 300, rounded; false when unknown (or
 * not a count at all). */
static bool row_bytes(double v, uint64_t *ret)
{
	if (isnan(v))
		return false;
	double x = v * BIN_S;
	if (!(x >= 0 && x < 18446744073709551616.0))
		return false;
	*ret = (uint64_t)llround(x);
	return true;
}

/* The rows of in_bytes and out_bytes fetched over the bins of b, by bin: known[k] bit 0
 * in known, bit 1 out known.  0; -ENOMEM; 1 when it could not be fetched (c said). */
static int fetch_bins(const char *path, const struct ft_bins *b, uint64_t *in, uint64_t *out, uint8_t *known,
                      struct ft_recharge_rrd_check *c)
{
	time_t start = (time_t)(b->start_ms / 1000), end = (time_t)(b->end_ms / 1000);
	unsigned long step = BIN_S, n_ds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	rrd_clear_error();
	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &n_ds, &names, &data) != 0) {
		not_done(c, "%s: cannot fetch its 5-minute archive: %s", path, rrd_error());
		rrd_clear_error();
		return 1;
	}
	long i_in = -1, i_out = -1;
	for (unsigned long d = 0; d < n_ds; d++) {
		if (strcmp(names[d], "in_bytes") == 0)
			i_in = (long)d;
		else if (strcmp(names[d], "out_bytes") == 0)
			i_out = (long)d;
		rrd_freemem(names[d]);
	}
	rrd_freemem(names);
	int r = 0;
	if (step != BIN_S) {
		/* librrd took another archive: the 300-second one does not cover the month */
		not_done(c, "%s: its 5-minute archive does not cover the month (librrd answered from "
		         "%lu-second rows)", path, step);
		r = 1;
	} else if (i_in < 0 || i_out < 0) {
		not_done(c, "%s: no in_bytes or out_bytes data source", path);
		r = 1;
	}
	/* row j is of time start + (j + 1) × step: the bin [t - 300, t) */
	unsigned long rows = r == 0 && end > start ? (unsigned long)(end - start) / step : 0;
	for (unsigned long j = 0; j < rows; j++) {
		int64_t t = (int64_t)start + (int64_t)(j + 1) * BIN_S;
		int64_t from_ms = (t - BIN_S) * 1000;
		if (from_ms < b->start_ms || from_ms >= b->end_ms)
			continue;
		size_t k = (size_t)((from_ms - b->start_ms) / FT_RECHARGE_BIN_MS);
		const rrd_value_t *row = data + j * n_ds;
		if (row_bytes(row[i_in], &in[k]))
			known[k] |= 1;
		if (row_bytes(row[i_out], &out[k]))
			known[k] |= 2;
	}
	rrd_freemem(data);
	return r;
}

/* The four percentiles of the fetched rows over the bins of keep (each metric over the
 * bins where what it needs is known). */
static int rrd_p95(const struct ft_bins *b, const uint8_t *keep, const uint64_t *in, const uint64_t *out,
                   const uint8_t *known, uint64_t *v, struct ft_p95 *ret)
{
	static const uint8_t need[4] = { [FT_METRIC_IN] = 1, [FT_METRIC_OUT] = 2, [FT_METRIC_IN_PLUS_OUT] = 3,
	                                 [FT_METRIC_MAX_IN_OUT] = 3 };
	for (int m = 0; m < 4; m++) {
		size_t n = 0;
		for (size_t k = 0; k < b->n_bins; k++) {
			if (!keep[k] || (known[k] & need[m]) != need[m])
				continue;
			uint64_t x;
			switch (m) {
			case FT_METRIC_IN: x = in[k]; break;
			case FT_METRIC_OUT: x = out[k]; break;
			case FT_METRIC_IN_PLUS_OUT:
				/* the ledger's sum never passes 2^64 - 1; a sum that would is a difference */
				x = __builtin_add_overflow(in[k], out[k], &x) ? UINT64_MAX : x;
				break;
			default: x = in[k] > out[k] ? in[k] : out[k]; break;
			}
			v[n++] = x;
		}
		int r = ft_recharge_percentile(v, n, 95, &ret->bytes[m]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Flushes path through the rrdcached connected to: 0, or 1 (c said). */
static int flush(const char *path, const char *daemon, struct ft_recharge_rrd_check *c)
{
	rrd_clear_error();
	if (rrdc_flush(path) == 0)
		return 0;
	char why[200];
	snprintf(why, sizeof(why), "%s", rrd_error());
	rrd_clear_error();
	if (!rrdc_is_any_connected()) {
		not_done(c, "rrdcached at %s cannot be reached to flush the files: %s", daemon, why);
		return 1;
	}
	not_done(c, "%s: rrdcached cannot flush it: %s", path, why);
	return 1;
}

/* One tenant: 0 checked (diffs added), 1 skipped (no file, no traffic), 2 not done (c
 * said), -ENOMEM. */
static int one_tenant(const char *rrd_dir, const char *daemon, const struct ft_bins *b,
                      const struct ft_statement_tenant *t, struct ft_recharge_rrd_check *c, uint8_t *keep,
                      uint64_t *in, uint64_t *out, uint8_t *known, uint64_t *v)
{
	char enc[3 * FT_NAME_MAX + 1], path[4096 + sizeof(enc) + 16], err[600] = "";
	bool traffic = t->vin.bytes || t->vout.bytes;
	if (ft_rrd_name_encode(t->m.name, enc, sizeof(enc)) < 0) {
		not_done(c, "%s: a tenant name too long for a file name", t->m.name);
		return 2;
	}
	int w = snprintf(path, sizeof(path), "%s/tenants/%s.rrd", rrd_dir, enc);
	if (w < 0 || (size_t)w >= sizeof(path)) {
		not_done(c, "%s/tenants/%s.rrd: a path too long", rrd_dir, enc);
		return 2;
	}
	int64_t step_s = 0;
	int r = header_step(path, &step_s);
	if (r == -ENOENT) {
		if (!traffic)
			return 1;
		not_done(c, "%s: no such file, where tenant %s had traffic", path, t->m.name);
		return 2;
	}
	if (daemon && flush(path, daemon, c))
		return 2;
	if (r == 0)
		r = ft_rrd_header_check(path, FT_RRD_TENANT, step_s, err, sizeof(err));
	if (r < 0) {
		if (r == -ENOENT)
			not_done(c, "%s: gone while it was read", path);
		else if (err[0])
			not_done(c, "%s", err);
		else
			not_done(c, "%s: %s", path, r == -EBADF ? "too short for a round-robin database" : "cannot be read");
		return 2;
	}
	rrd_clear_error();
	int fine = fine_archive(path);
	if (fine < 0) {
		not_done(c, "%s: no 5-minute AVERAGE archive (a file of another step or layout)", path);
		return 2;
	}
	time_t first = rrd_first_r(path, fine);
	if (first <= 0 || (int64_t)first - BIN_S > b->start_ms / 1000) {
		char since[64] = "?";
		struct tm tm;
		if (first > 0 && gmtime_r(&first, &tm))
			strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
		not_done(c, "%s: its 5-minute archive does not reach back to the month's start (its first row "
		         "ends at %s)", path, since);
		rrd_clear_error();
		return 2;
	}
	memset(known, 0, b->n_bins + 1);
	r = fetch_bins(path, b, in, out, known, c);
	if (r != 0)
		return r < 0 ? r : 2;
	for (size_t k = 0; k < b->n_bins; k++) {
		int64_t bs = b->start_ms + (int64_t)k * FT_RECHARGE_BIN_MS;
		keep[k] = t->m.from_ms <= bs && bs < t->m.until_ms && b->present[k];
	}
	struct ft_p95 p;
	r = rrd_p95(b, keep, in, out, known, v, &p);
	if (r < 0)
		return r;
	for (uint8_t m = 0; m < 4; m++) {
		if (p.bytes[m] == t->p95.bytes[m])
			continue;
		struct ft_recharge_rrd_diff *d = &c->diffs[c->n_diffs++];
		snprintf(d->tenant, sizeof(d->tenant), "%s", t->m.name);
		d->metric = m;
		d->ledger_bytes = t->p95.bytes[m];
		d->rrd_bytes = p.bytes[m];
	}
	return 0;
}

int ft_recharge_rrd_check(const char *rrd_dir, const char *daemon, const struct ft_bins *b,
                          const struct ft_statement *st, struct ft_recharge_rrd_check *ret)
{
	struct ft_recharge_rrd_check c = { .state = FT_RRD_CHECK_AGREES };
	size_t n = b->n_bins + 1;
	c.diffs = calloc(st->n_tenants * 4 + 1, sizeof(*c.diffs));
	uint8_t *keep = malloc(n), *known = malloc(n);
	uint64_t *in = malloc(n * sizeof(*in)), *out = malloc(n * sizeof(*out)), *v = malloc(n * sizeof(*v));
	int r = c.diffs && keep && known && in && out && v ? 0 : -ENOMEM;
	bool connected = false;
	if (r == 0 && daemon && ft_rrd_daemon_is_tcp(daemon)) {
		not_done(&c, "rrdcached at %s is a TCP address: without rrdcached_base the files cannot be flushed "
		         "before they are read, so they may lack what it holds", daemon);
		daemon = NULL;
		st = NULL;
	} else if (r == 0 && daemon && !rrdc_is_connected(daemon)) {
		rrd_clear_error();
		if (rrdc_connect(daemon) != 0 || !rrdc_is_any_connected()) {
			not_done(&c, "cannot connect to rrdcached at %s to flush the files: %s", daemon, rrd_error());
			rrd_clear_error();
			st = NULL;
		} else {
			connected = true;
		}
	}
	for (size_t i = 0; r == 0 && st && i < st->n_tenants; i++) {
		int o = one_tenant(rrd_dir, daemon, b, &st->tenants[i], &c, keep, in, out, known, v);
		if (o < 0)
			r = o;
		else if (o == 0)
			c.tenants_checked++;
		else if (o == 2)
			break;
	}
	if (connected)
		rrdc_disconnect();
	free(keep);
	free(known);
	free(in);
	free(out);
	free(v);
	if (r < 0) {
		ft_recharge_rrd_check_done(&c);
		return r;
	}
	if (c.state == FT_RRD_CHECK_AGREES && c.n_diffs)
		c.state = FT_RRD_CHECK_DISAGREES;
	*ret = c;
	return 0;
}

void ft_recharge_rrd_check_done(struct ft_recharge_rrd_check *c)
{
	free(c->diffs);
	memset(c, 0, sizeof(*c));
}
