/* An RRD directory of the real layout (rrd.h, full-size archives) for the dashboard
 * benchmark (dashboard.sh): T tenants, each with its own file and one per class, L
 * SNMP-polled links, E exporters, and total, unattributed and the collector, every
 * file filled step by step over the last D days before an end time, through the
 * store the RRD sink writes with (store.c, librrd), many steps a call.
 *
 *   dashboard_gen --dir DIR [--tenants N] [--classes N] [--links N] [--exporters N]
 *                 [--days N] [--step S] [--end T] [--seed S] [--jobs N] [--odd-every N]
 *
 * The files and their names are the sink's: tenants/T.rrd and tenants/T/C.rrd (names
 * through ft_rrd_name_encode: "tenant-007", a few with spaces and UTF-8 letters);
 * interfaces/DEVICE/IFNAME.rrd ("core-3", "ge-0/0/7"); exporters/ADDRESS.rrd, with
 * "-DOMAIN" when the observation domain is not 0 (IPv4 and IPv6 addresses).  The step
 * is the collector's default (60 s: the files have its 3-day archive of single steps).
 *
 * The values.  Each file's value at a step is a pure function of the seed, the file
 * and the step (a counter-based hash, splitmix64), so that worker processes need no
 * shared state and the sums agree: a tenant's own file is the sum of its classes, the
 * total is every tenant's traffic and the unattributed.  Volumes follow a diurnal
 * curve (quiet at night, low at weekends) times a tenant scale spread over three orders
 * of magnitude (100 kB/s to 100 MB/s), with noise; about one step in 4,000 of a file is
 * unknown ("U"), and every file misses the same 20 minutes once (a collector outage,
 * which librrd records as unknown).  Interfaces carry bits against their speed (1 or
 * 10 Gb/s) with the odd error and discard; exporters and the collector carry running
 * counters (DERIVE) and latencies (GAUGE), as the sink feeds them.
 *
 * Files are shared out between --jobs worker processes (default: the CPUs) through a
 * counter in shared memory; with standard error a terminal, a progress line.  Prints
 * on standard output one line:
 *   files=N bytes=B steps=K updates=U seconds=S
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/rrd.h"

#define BATCH 1440                  /* steps given to librrd in one update call */
#define VAL_MAX 256                 /* one "TIME:V1:...:V10" */
#define OUTAGE_STEPS 20             /* the collector outage, in 60-second steps */

static const char *const class_names[] = { "internet", "janet", "internal", "psn", "hscn", "partner",
                                           "nhs", "research" };
#define CLASSES_MAX (sizeof(class_names) / sizeof(class_names[0]))

enum file_role { R_TENANT, R_CLASS, R_UNATTR, R_TOTAL, R_EXPORTER, R_COLLECTOR, R_LINK };

struct file {
	char rel[600];
	enum file_role role;
	enum ft_rrd_kind kind;
	unsigned a, b;              /* tenant and class; exporter; link */
};

struct gen {
	const char *dir;
	unsigned tenants, classes, links, exporters, days, jobs;
	int64_t step, end, first;   /* first: the time of the first update */
	uint64_t seed;
	uint64_t steps;             /* updates per file (outage included) */
	uint64_t outage_from;       /* the outage's first step index */
	struct file *files;
	size_t n_files;
	char **tenant_names;
	/* per tenant and class: bytes per second at the busiest, in and out (made once:
	 * the total sums every one of them at every step) */
	double (*rate)[CLASSES_MAX][2];
};

/* What the workers share: the next file to take, and what is done. */
struct shared {
	atomic_size_t next;
	atomic_size_t done;
	atomic_uint_fast64_t updates;
	atomic_int failed;
};

/* ---- numbers ------------------------------------------------------------------------------ */

static uint64_t mix(uint64_t x)
{
	/* splitmix64's finaliser: a counter-based generator, the same value for the same
	 * inputs in any process and order */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t hash4(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
	return mix(mix(mix(seed ^ a) ^ b) ^ c);
}

/* uniform in [0, 1) */
static double unit(uint64_t h)
{
	return (double)(h >> 11) / 9007199254740992.0;
}

/* about normal, mean 0, deviation 1 (Irwin-Hall of four) */
static double noise(uint64_t h)
{
	double s = 0;
	for (int i = 0; i < 4; i++, h = mix(h))
		s += unit(h);
	return (s - 2.0) * 1.7320508;
}

/* The day's shape at t (UTC, treated as local): about 0.15 at 4 am, 1 at 4 pm, weekends
 * at 60 %. */
static double diurnal(int64_t t)
{
	double h = (double)(t % 86400) / 3600.0;
	double c = 0.5 - 0.5 * cos(2 * M_PI * (h - 4.0) / 24.0);
	int wday = (int)((t / 86400 + 4) % 7);         /* 1970-01-01 was a Thursday */
	return (0.15 + 0.85 * pow(c, 1.5)) * (wday == 0 || wday == 6 ? 0.6 : 1.0);
}

/* ---- the files' values ---------------------------------------------------------------------- */

/* Each tenant's and class's busiest rates: a tenant's inbound bytes per second
 * 1e5 .. 1e8, most of it in the first class, outbound 20 % to 100 % of inbound. */
static int make_rates(struct gen *g)
{
	g->rate = calloc(g->tenants ? g->tenants : 1, sizeof(*g->rate));
	if (!g->rate)
		return -1;
	for (unsigned t = 0; t < g->tenants; t++) {
		double scale = pow(10.0, 5.0 + 3.0 * unit(hash4(g->seed, 1, t, 0)));
		for (unsigned c = 0; c < g->classes; c++) {
			double share = (c == 0 ? 6.0 : 3.0 / (double)c) * (0.5 + unit(hash4(g->seed, 2, t, c)));
			g->rate[t][c][0] = scale * share / 10.0;
			g->rate[t][c][1] = g->rate[t][c][0] * (0.2 + 0.8 * unit(hash4(g->seed, 3, t, c)));
		}
	}
	return 0;
}

/* Bytes of tenant t's class c in step k (in: dir 0, out: dir 1). */
static uint64_t class_bytes(const struct gen *g, unsigned t, unsigned c, int dir, uint64_t k, double day)
{
	double v = g->rate[t][c][dir] * day;
	uint64_t h = hash4(g->seed, 4, ((uint64_t)t << 16) | (c << 1) | (unsigned)dir, k);
	v *= 1.0 + 0.2 * noise(h);
	if (h % 997 == 0)
		v *= 3.0;                                  /* a burst */
	return v > 0 ? (uint64_t)(v * (double)g->step) : 0;
}

/* Whether file f's step k is unknown (about one in 4,000). */
static bool unknown(const struct gen *g, size_t f, uint64_t k)
{
	return hash4(g->seed, 5, f, k) % 4000 == 0;
}

static int put_u64s(char *buf, size_t size, int64_t t, const uint64_t *v, size_t n)
{
	size_t o = (size_t)snprintf(buf, size, "%lld", (long long)t);
	for (size_t i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, ":%" PRIu64, v[i]);
	return o < size ? 0 : -1;
}

/* A tenant's (c == -1: all its classes) six volumes in step k. */
static void tenant_vals(const struct gen *g, unsigned t, int c, uint64_t k, double day, uint64_t v[6])
{
	uint64_t in = 0, out = 0;
	for (unsigned i = 0; i < g->classes; i++) {
		if (c >= 0 && (unsigned)c != i)
			continue;
		in += class_bytes(g, t, i, 0, k, day);
		out += class_bytes(g, t, i, 1, k, day);
	}
	v[0] = in, v[1] = out;
	v[2] = in / 900, v[3] = out / 700;              /* packets of 900 and 700 bytes */
	v[4] = v[2] / 40 + (in > 0), v[5] = v[3] / 30 + (out > 0);
}

/* The unattributed traffic's six volumes: a few per cent of the tenants' */
static void unattr_vals(const struct gen *g, uint64_t k, double day, uint64_t v[6])
{
	double base = 2e6 * day * (double)g->step;
	uint64_t h = hash4(g->seed, 6, 0, k);
	v[0] = (uint64_t)(base * (1.0 + 0.3 * fabs(noise(h))));
	v[3] = (uint64_t)(base * 0.4 * (1.0 + 0.3 * fabs(noise(mix(h)))));
	v[1] = v[0] / 600, v[4] = v[3] / 600;
	v[2] = v[1] / 10 + 1, v[5] = v[4] / 10 + 1;
}

static void total_vals(const struct gen *g, uint64_t k, double day, uint64_t v[5])
{
	uint64_t u[6], tv[6], bytes = 0, packets = 0, flows = 0;
	for (unsigned t = 0; t < g->tenants; t++) {
		tenant_vals(g, t, -1, k, day, tv);
		bytes += tv[0] + tv[1], packets += tv[2] + tv[3], flows += tv[4] + tv[5];
	}
	unattr_vals(g, k, day, u);
	uint64_t h = hash4(g->seed, 7, 0, k);
	v[0] = bytes + u[0] + u[3], v[1] = packets + u[1] + u[4], v[2] = flows + u[2] + u[5];
	v[3] = h % 50 == 0 ? v[0] / 500 : 0;           /* late now and then */
	v[4] = h % 300 == 1 ? v[0] / 2000 : 0;
}

/* An interface's ten values in step k: bits, unicast packets, errors, discards (counts
 * of the step), oper_status and speed. */
static int link_val(const struct gen *g, const struct file *f, uint64_t k, int64_t t, double day, char *buf)
{
	double speed = hash4(g->seed, 8, f->a, 0) % 3 == 0 ? 1e10 : 1e9;
	double load = 0.05 + 0.75 * unit(hash4(g->seed, 8, f->a, 1));
	uint64_t h = hash4(g->seed, 9, f->a, k), v[10];
	bool down = f->a % 17 == 3 && t % 604800 < 5400;   /* weekly maintenance on a few */
	for (int dir = 0; dir < 2; dir++) {
		double u = load * day * (dir ? 0.6 : 1.0) * (1.0 + 0.15 * noise(mix(h + (uint64_t)dir)));
		u = down ? 0 : u < 0 ? 0 : u > 0.98 ? 0.98 : u;
		v[dir] = (uint64_t)(u * speed * (double)g->step);
		v[2 + dir] = v[dir] / 8 / 800;
		v[4 + dir] = h % 1500 == (uint64_t)dir ? h % 40 + 1 : 0;
		v[6 + dir] = u > 0.9 ? v[2 + dir] / 1000 : h % 3000 == 7 ? 3 : 0;
	}
	v[8] = down ? 2 : 1;
	v[9] = (uint64_t)speed;
	return put_u64s(buf, VAL_MAX, t, v, 10);
}

/* Running counters of an exporter at step k: a rate integrated by the closed form so
 * that any step can be made alone (the counters only grow). */
static int exporter_val(const struct gen *g, const struct file *f, uint64_t k, int64_t t, char *buf)
{
	double rate = 500.0 + 15000.0 * unit(hash4(g->seed, 10, f->a, 0)), s = (double)(k + 1);
	uint64_t base = hash4(g->seed, 10, f->a, 1) % 1000000000u, v[6];
	/* datagrams: the rate's mean over the day (0.55) times the steps, plus a wobble */
	double dg = rate * (double)g->step * (0.55 * s + 0.2 * sin((double)k / 97.0));
	v[0] = base + (uint64_t)dg;
	v[1] = base * 20 + (uint64_t)(dg * 24.5);
	v[2] = base * 1400 + (uint64_t)(dg * 1400.0);
	/* parse errors: ten in a burst every 5,000 steps; sequence gaps: a trickle and a
	 * jump every 700; records without a template: a burst every 20,000 (a restart) */
	v[3] = (k / 5000) * 10 + (k % 5000 >= 4990 ? k % 5000 - 4989 : 0);
	v[4] = (uint64_t)(s * 0.3) + (k / 700) * 50;
	v[5] = (k / 20000) * 400 + (k % 20000 < 3 ? (k % 20000) * 130 : 390);
	return put_u64s(buf, VAL_MAX, t, v, 6);
}

static int collector_val(const struct gen *g, uint64_t k, int64_t t, double day, char *buf)
{
	uint64_t h = hash4(g->seed, 11, 0, k);
	double s = (double)(k + 1);
	uint64_t records = (uint64_t)(s * (double)g->step * 180000.0);
	uint64_t drops = (k / 3000) * 120 + (h % 5000 == 0 ? 500 : 0);
	int n = snprintf(buf, VAL_MAX, "%lld:%" PRIu64 ":%" PRIu64 ":%.0f:%.0f:%.0f:%" PRIu64, (long long)t, records,
	                 drops, 3 + 8 * day + 2 * fabs(noise(h)), 8 + 25 * day + 5 * fabs(noise(mix(h))),
	                 120 + 250 * day + 40 * fabs(noise(mix(h + 1))), h % 100 == 0 ? h % 7 : 0);
	return n > 0 && n < VAL_MAX ? 0 : -1;
}

/* File f's value at step k (time t). */
static int file_val(const struct gen *g, size_t fi, uint64_t k, int64_t t, char *buf)
{
	const struct file *f = &g->files[fi];
	double day = diurnal(t);
	uint64_t v[6];
	if (f->role != R_EXPORTER && f->role != R_COLLECTOR && unknown(g, fi, k)) {
		const char *const *names;
		size_t n = ft_rrd_ds_names(f->kind, &names), o = (size_t)snprintf(buf, VAL_MAX, "%lld", (long long)t);
		for (size_t i = 0; i < n; i++)
			o += (size_t)snprintf(buf + o, VAL_MAX - o, ":U");
		return 0;
	}
	switch (f->role) {
	case R_TENANT: tenant_vals(g, f->a, -1, k, day, v); return put_u64s(buf, VAL_MAX, t, v, 6);
	case R_CLASS: tenant_vals(g, f->a, (int)f->b, k, day, v); return put_u64s(buf, VAL_MAX, t, v, 6);
	case R_UNATTR: unattr_vals(g, k, day, v); return put_u64s(buf, VAL_MAX, t, v, 6);
	case R_TOTAL: total_vals(g, k, day, v); return put_u64s(buf, VAL_MAX, t, v, 5);
	case R_LINK: return link_val(g, f, k, t, day, buf);
	case R_EXPORTER: return exporter_val(g, f, k, t, buf);
	case R_COLLECTOR: return collector_val(g, k, t, day, buf);
	}
	return -1;
}

/* ---- the names ------------------------------------------------------------------------------ */

/* Tenant i's name: "tenant-NNN", and every odd_every-th one (40 unless --odd-every
 * says otherwise: from tenant 17 % odd_every on) a name with spaces or UTF-8. */
static unsigned odd_every = 40;

static char *tenant_name(unsigned i)
{
	static const char *const odd[] = { "Café Nord %03u", "Universität Köln %03u", "NHS Trust – Ward %03u",
	                                   "Ōsaka branch %03u", "Łódź office %03u" };
	char buf[128];
	if (i % odd_every == 17 % odd_every)
		snprintf(buf, sizeof(buf), odd[(i / odd_every) % 5], i);
	else
		snprintf(buf, sizeof(buf), "tenant-%03u", i);
	return strdup(buf);
}

/* Exporter i as the sink names it: IPv4 mostly, every 8th IPv6, every 5th with an
 * observation domain. */
static void exporter_name(unsigned i, char *buf, size_t size)
{
	int o;
	if (i % 8 == 7)
		o = snprintf(buf, size, "2001:db8:10::%x", i + 1);
	else
		o = snprintf(buf, size, "10.255.%u.%u", i / 250, i % 250 + 1);
	if (i % 5 == 4 && o > 0 && (size_t)o < size)
		snprintf(buf + o, size - (size_t)o, "-%u", 256 + i);
}

static int add_file(struct gen *g, enum file_role role, enum ft_rrd_kind kind, unsigned a, unsigned b,
                    const char *rel)
{
	struct file *f = &g->files[g->n_files++];
	*f = (struct file){ .role = role, .kind = kind, .a = a, .b = b };
	int n = snprintf(f->rel, sizeof(f->rel), "%s", rel);
	return n > 0 && (size_t)n < sizeof(f->rel) ? 0 : -1;
}

static int mkdir_p(const char *dir, const char *rel)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "dashboard_gen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int add_tenants(struct gen *g)
{
	char enc[256], cls[256], rel[600];
	if (mkdir_p(g->dir, "tenants") < 0)
		return -1;
	for (unsigned t = 0; t < g->tenants; t++) {
		if (ft_rrd_name_encode(g->tenant_names[t], enc, sizeof(enc)) < 0)
			return -1;
		snprintf(rel, sizeof(rel), "tenants/%s.rrd", enc);
		if (add_file(g, R_TENANT, FT_RRD_TENANT, t, 0, rel) < 0)
			return -1;
		snprintf(rel, sizeof(rel), "tenants/%s", enc);
		if (g->classes && mkdir_p(g->dir, rel) < 0)
			return -1;
		for (unsigned c = 0; c < g->classes; c++) {
			if (ft_rrd_name_encode(class_names[c], cls, sizeof(cls)) < 0)
				return -1;
			snprintf(rel, sizeof(rel), "tenants/%s/%s.rrd", enc, cls);
			if (add_file(g, R_CLASS, FT_RRD_TENANT, t, c, rel) < 0)
				return -1;
		}
	}
	return 0;
}

/* Links: ten interfaces a device, core-1 ge-0/0/0 .. ge-0/0/9, core-2 ... */
static int add_links(struct gen *g)
{
	char dev[64], ifn[64], edev[256], eif[256], rel[600];
	if (g->links && mkdir_p(g->dir, "interfaces") < 0)
		return -1;
	for (unsigned i = 0; i < g->links; i++) {
		snprintf(dev, sizeof(dev), "core-%u", i / 10 + 1);
		snprintf(ifn, sizeof(ifn), "ge-0/0/%u", i % 10);
		if (ft_rrd_name_encode(dev, edev, sizeof(edev)) < 0 || ft_rrd_name_encode(ifn, eif, sizeof(eif)) < 0)
			return -1;
		snprintf(rel, sizeof(rel), "interfaces/%s", edev);
		if (i % 10 == 0 && mkdir_p(g->dir, rel) < 0)
			return -1;
		snprintf(rel, sizeof(rel), "interfaces/%s/%s.rrd", edev, eif);
		if (add_file(g, R_LINK, FT_RRD_INTERFACE, i, 0, rel) < 0)
			return -1;
	}
	return 0;
}

static int add_files(struct gen *g)
{
	char name[128], enc[400], rel[600];
	g->files = calloc((size_t)g->tenants * (1 + g->classes) + g->links + g->exporters + 3, sizeof(*g->files));
	g->tenant_names = calloc(g->tenants ? g->tenants : 1, sizeof(char *));
	if (!g->files || !g->tenant_names)
		return -1;
	for (unsigned t = 0; t < g->tenants; t++)
		if (!(g->tenant_names[t] = tenant_name(t)))
			return -1;
	if (add_file(g, R_TOTAL, FT_RRD_TOTAL, 0, 0, "total.rrd") < 0 ||
	    add_file(g, R_UNATTR, FT_RRD_UNATTRIBUTED, 0, 0, "unattributed.rrd") < 0 ||
	    add_file(g, R_COLLECTOR, FT_RRD_COLLECTOR, 0, 0, "collector.rrd") < 0)
		return -1;
	if (g->exporters && mkdir_p(g->dir, "exporters") < 0)
		return -1;
	for (unsigned i = 0; i < g->exporters; i++) {
		exporter_name(i, name, sizeof(name));
		if (ft_rrd_name_encode(name, enc, sizeof(enc)) < 0)
			return -1;
		snprintf(rel, sizeof(rel), "exporters/%s.rrd", enc);
		if (add_file(g, R_EXPORTER, FT_RRD_EXPORTER, i, 0, rel) < 0)
			return -1;
	}
	if (add_links(g) < 0)
		return -1;
	return add_tenants(g);
}

/* The size of a file of kind k, from the layout's archives. */
static uint64_t file_bytes(const struct gen *g, enum ft_rrd_kind k)
{
	char buf[1024];
	const char *argv[FT_RRD_ARGS_MAX], *const *names;
	int argc = ft_rrd_layout(k, g->step, FT_RRD_FINE_DAYS, buf, sizeof(buf), argv);
	uint64_t rows = 0, ds = ft_rrd_ds_names(k, &names);
	for (int i = 0; i < argc; i++) {
		const char *p = strrchr(argv[i], ':');
		if (strncmp(argv[i], "RRA:", 4) == 0 && p)
			rows += strtoull(p + 1, NULL, 10);
	}
	return rows * ds * 8 + 4096;
}

/* ---- the work -------------------------------------------------------------------------------- */

/* Creates file fi and gives it every step, BATCH at a time. */
static int fill_file(const struct gen *g, struct ft_rrd_store *st, size_t fi, struct shared *sh)
{
	char path[4400], err[4800];
	static char vals[BATCH][VAL_MAX];
	const char *argv[BATCH];
	const struct file *f = &g->files[fi];
	snprintf(path, sizeof(path), "%s/%s", g->dir, f->rel);
	if (ft_rrd_store_create(st, path, f->kind, g->step, FT_RRD_FINE_DAYS, g->first - g->step, true, err,
	                        sizeof(err)) < 0) {
		fprintf(stderr, "dashboard_gen: %s\n", err);
		return -1;
	}
	for (uint64_t k = 0; k < g->steps;) {
		int n = 0;
		for (; k < g->steps && n < BATCH; k++) {
			if (k >= g->outage_from && k < g->outage_from + OUTAGE_STEPS)
				continue;            /* nothing written: librrd makes it unknown */
			if (file_val(g, fi, k, g->first + (int64_t)k * g->step, vals[n]) < 0)
				return -1;
			argv[n] = vals[n];
			n++;
		}
		if (n && ft_rrd_store_update(st, path, n, argv, err, sizeof(err)) < 0) {
			fprintf(stderr, "dashboard_gen: %s\n", err);
			return -1;
		}
		atomic_fetch_add(&sh->updates, (uint64_t)n);
	}
	return 0;
}

static void worker(const struct gen *g, struct shared *sh)
{
	struct ft_rrd_store *st;
	if (ft_rrd_store_open(NULL, NULL, &st) < 0)
		_exit(1);
	for (;;) {
		size_t fi = atomic_fetch_add(&sh->next, 1);
		if (fi >= g->n_files || atomic_load(&sh->failed))
			break;
		if (fill_file(g, st, fi, sh) < 0) {
			atomic_store(&sh->failed, 1);
			_exit(1);
		}
		atomic_fetch_add(&sh->done, 1);
	}
	ft_rrd_store_close(st);
	_exit(0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for the workers, with a progress line when standard error is a terminal. */
static int wait_workers(const struct gen *g, struct shared *sh, unsigned n, double t0)
{
	bool tty = isatty(2);
	int failed = 0;
	unsigned left = n;
	while (left) {
		int status;
		pid_t p = waitpid(-1, &status, WNOHANG);
		if (p > 0) {
			left--;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				failed = 1;
			continue;
		}
		if (p < 0 && errno != EINTR)
			return -1;
		if (tty)
			fprintf(stderr, "\rdashboard_gen: %zu/%zu files, %.1f M updates, %.0f s ", atomic_load(&sh->done),
			        g->n_files, (double)atomic_load(&sh->updates) / 1e6, now_s() - t0);
		usleep(250000);
	}
	if (tty)
		fputc('\n', stderr);
	return failed || atomic_load(&sh->failed) ? -1 : 0;
}

/* ---- options --------------------------------------------------------------------------------- */

static int num(const char *opt, const char *s, long long lo, long long hi, long long *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "dashboard_gen: --%s: a whole number from %lld to %lld\n", opt, lo, hi);
		return -1;
	}
	*ret = v;
	return 0;
}

static int parse_args(struct gen *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' }, { "tenants", required_argument, NULL, 't' },
		{ "classes", required_argument, NULL, 'c' }, { "links", required_argument, NULL, 'l' },
		{ "exporters", required_argument, NULL, 'e' }, { "days", required_argument, NULL, 'D' },
		{ "step", required_argument, NULL, 's' }, { "end", required_argument, NULL, 'E' },
		{ "seed", required_argument, NULL, 'S' }, { "jobs", required_argument, NULL, 'j' },
		{ "odd-every", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 }
	};
	long long v;
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *name = "";
		for (size_t i = 0; opts[i].name; i++)
			if (opts[i].val == o)
				name = opts[i].name;
		if (o == 'd') {
			g->dir = optarg;
			continue;
		}
		if (o == '?')
			return -1;
		if (num(name, optarg, o == 'E' ? 86400 : 0, o == 'S' || o == 'E' ? INT64_MAX / 2 : 100000, &v) < 0)
			return -1;
		switch (o) {
		case 't': g->tenants = (unsigned)v; break;
		case 'c': g->classes = (unsigned)v; break;
		case 'l': g->links = (unsigned)v; break;
		case 'e': g->exporters = (unsigned)v; break;
		case 'D': g->days = (unsigned)v; break;
		case 's': g->step = v; break;
		case 'E': g->end = v; break;
		case 'S': g->seed = (uint64_t)v; break;
		case 'j': g->jobs = (unsigned)v; break;
		case 'o': odd_every = v > 0 ? (unsigned)v : 1; break;
		}
	}
	if (optind != argc || !g->dir) {
		fprintf(stderr, "usage: dashboard_gen --dir DIR [--tenants N] [--classes N] [--links N] "
		                "[--exporters N] [--days N] [--step S] [--end T] [--seed S] [--jobs N] [--odd-every N]\n");
		return -1;
	}
	if (g->classes > CLASSES_MAX || g->days < 1 || g->days > 400 || ft_rrd_step_problem(g->step) ||
	    g->end % 300 || g->jobs < 1 || g->tenants > 9999) {
		fprintf(stderr, "dashboard_gen: --classes at most %zu, --days 1..400, --step one the archives take, "
		                "--end a multiple of 300, --jobs from 1, --tenants at most 9999\n", CLASSES_MAX);
		return -1;
	}
	return 0;
}

/* What add_files and make_rates made: freed before the program ends, so that the
 * sanitizer build (the browser test runs this) finds nothing left. */
static void gen_done(struct gen *g)
{
	for (unsigned t = 0; g->tenant_names && t < g->tenants; t++)
		free(g->tenant_names[t]);
	free(g->tenant_names);
	free(g->files);
	free(g->rate);
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	time_t now = time(NULL);
	struct gen g = { .tenants = 200, .classes = 3, .links = 50, .exporters = 20, .days = 35, .step = 60,
	                 .end = (int64_t)(now - now % 300), .seed = 1, .jobs = ncpu > 0 ? (unsigned)ncpu : 1 };
	if (parse_args(&g, argc, argv) < 0)
		return 2;
	if (mkdir(g.dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "dashboard_gen: %s: %s\n", g.dir, strerror(errno));
		return 1;
	}
	if (add_files(&g) < 0 || make_rates(&g) < 0) {
		fprintf(stderr, "dashboard_gen: cannot lay out the files\n");
		gen_done(&g);
		return 1;
	}
	g.steps = (uint64_t)g.days * 86400 / (uint64_t)g.step;
	g.first = g.end - (int64_t)g.steps * g.step + g.step;
	g.outage_from = g.steps * 7 / 10;
	uint64_t bytes = 0;
	for (size_t i = 0; i < g.n_files; i++)
		bytes += file_bytes(&g, g.files[i].kind);
	struct statvfs vs;
	if (statvfs(g.dir, &vs) == 0 && (uint64_t)vs.f_bavail * vs.f_frsize < bytes + (bytes >> 4)) {
		fprintf(stderr, "dashboard_gen: %s: %zu files need about %.1f GB, %.1f GB free\n", g.dir, g.n_files,
		        (double)bytes / 1e9, (double)vs.f_bavail * (double)vs.f_frsize / 1e9);
		gen_done(&g);
		return 1;
	}
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		gen_done(&g);
		return 1;
	}
	double t0 = now_s();
	unsigned started = 0;
	for (; started < g.jobs; started++) {
		pid_t p = fork();
		if (p < 0)
			break;
		if (p == 0)
			worker(&g, sh);
	}
	if (started < g.jobs)
		atomic_store(&sh->failed, 1);
	int r = wait_workers(&g, sh, started, t0);
	gen_done(&g);
	if (r < 0) {
		fprintf(stderr, "dashboard_gen: failed\n");
		return 1;
	}
	printf("files=%zu bytes=%" PRIu64 " steps=%" PRIu64 " updates=%" PRIu64 " seconds=%.1f\n", g.n_files, bytes,
	       g.steps, (uint64_t)atomic_load(&sh->updates), now_s() - t0);
	return 0;
}
