/* The RRD sink (rrd.h, sink.h): every committed step becomes one update of every
 * volume file (a tenant, a tenant's class, the unattributed, the total), at the step's
 * end; the collector's counters at that end become one update of every exporter's file
 * and of the collector's.  Runs on the writer thread.
 *
 * Each file is looked at once per run before its first update (rrd.h: the store's
 * check): one that is missing is created starting at the step before the one it is
 * given, one that is not an RRD of this layout (foreign, damaged, other data sources or
 * step) is said with its name, counted and left alone (looked at again an hour later),
 * and every other file gets on.  Its last update is kept from then on: an update at or
 * before it (a replay of old traffic, a restart, a clock stepped back) is skipped and
 * counted, never sent, so librrd never refuses one.  A file that missed steps (the
 * collector was down) first gets an unknown value up to the step before, so that a
 * step's count never spreads over the time the collector did not see.  A file known
 * this run that has nothing in a step gets zeros: a quiet step reads 0, not unknown.
 *
 * The sink has no last_step: each file says how far it is, so an old step is skipped
 * (and counted) file by file, and a file behind the others still gets it.
 *
 * With rrdcached, a connection that fails makes the step -EAGAIN: the writer keeps it
 * and gives it again, in order, when the pause is over; files already updated with it
 * skip it then (not counted), and every file is looked at again once the daemon is
 * back, as the updates in flight when it went may or may not have arrived.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "flowtally/ledger.h"
#include "flowtally/log.h"
#include "flowtally/rrd.h"
#include "flowtally/sink.h"
#include "rrd_int.h"

enum file_state { FS_UNKNOWN, FS_OK, FS_BAD };

struct file {
	char *rel;                  /* under the RRD directory: the table's key */
	enum ft_rrd_kind kind;
	enum file_state state;
	time_t last;                /* its last update (FS_OK) */
	int64_t bad_until_ns;       /* FS_BAD: looked at again after this (monotonic) */
	time_t given;               /* the update time it was last given a value for */
};

struct rrd_sink {
	struct ft_rrd_store *store;
	char dir[4096];
	char ledger[4200];          /* DATA_DIR/ledger, for the catch-up */
	bool catch_up;              /* before the first step of the run (see catch_up()) */
	int64_t step_ms;
	time_t step_s;
	uint32_t fine_days;
	bool live;
	bool local;                 /* the RRD directory is on this machine */
	/* the files: a table by name (open addressing, a power of two) and a list */
	struct file **slots;
	size_t n_slots;
	struct file **files;
	size_t n_files, cap_files;
	time_t partial;             /* the update time of a step given back (-EAGAIN); 0 none */
	bool recheck;               /* rrdcached came back: look at every file again */
	/* a rebuild (rrd_int.h): every file is made anew at its first step */
	bool rebuild, force;
	time_t rebuild_end;         /* a file updated after this holds newer data */
	uint64_t refused_files;
	/* statistics (read by the control thread) */
	atomic_uint_fast64_t n_known, created, updates, skipped_older, errors, bad_files, write_ms, caught_up;
	pthread_mutex_t err_lock;
	char last_error[FT_SINK_STAT_TEXT_MAX];
	int64_t last_error_ms;
	struct ft_log_rl rl;
};

/* ---- the table of files ------------------------------------------------------------------- */

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int grow(struct rrd_sink *d)
{
	size_t n = d->n_slots ? d->n_slots * 2 : 1024;
	struct file **t = calloc(n, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_files; i++) {
		size_t k = hash(d->files[i]->rel) & (n - 1);
		while (t[k])
			k = (k + 1) & (n - 1);
		t[k] = d->files[i];
	}
	free(d->slots);
	d->slots = t;
	d->n_slots = n;
	return 0;
}

/* The file rel, added when new; NULL when memory is short. */
static struct file *file_get(struct rrd_sink *d, const char *rel, enum ft_rrd_kind kind)
{
	if ((d->n_files + 1) * 2 > d->n_slots && grow(d) < 0)
		return NULL;
	size_t k = hash(rel) & (d->n_slots - 1);
	for (; d->slots[k]; k = (k + 1) & (d->n_slots - 1))
		if (strcmp(d->slots[k]->rel, rel) == 0)
			return d->slots[k];
	if (d->n_files == d->cap_files) {
		size_t cap = d->cap_files ? d->cap_files * 2 : 256;
		struct file **f = realloc(d->files, cap * sizeof(*f));
		if (!f)
			return NULL;
		d->files = f;
		d->cap_files = cap;
	}
	struct file *f = calloc(1, sizeof(*f));
	if (!f || !(f->rel = strdup(rel))) {
		free(f);
		return NULL;
	}
	f->kind = kind;
	d->slots[k] = f;
	d->files[d->n_files++] = f;
	atomic_store(&d->n_known, d->n_files);
	return f;
}

/* ---- errors ------------------------------------------------------------------------------- */

static void set_error(struct rrd_sink *d, const char *msg)
{
	pthread_mutex_lock(&d->err_lock);
	snprintf(d->last_error, sizeof(d->last_error), "%s", msg);
	d->last_error_ms = ft_clock_now_ns() / FT_NS_PER_MS;
	pthread_mutex_unlock(&d->err_lock);
}

static void file_error(struct rrd_sink *d, const char *msg)
{
	atomic_fetch_add(&d->errors, 1);
	set_error(d, msg);
	if (ft_log_rl_allow(&d->rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 10, 600))
		ft_log_err(FT_LOG_MAIN, "rrd: %s (counted; the other files go on, the ledger has the step)", msg);
}

/* ---- one file ----------------------------------------------------------------------------- */

/* Makes the directories of rel under dir (0750; those that exist stay as they are). */
static int make_dirs(const struct rrd_sink *d, const char *rel, char *err, size_t size)
{
	char path[4400];
	mode_t mode = ft_rrd_store_cached(d->store) ? 0755 : 0750;   /* rrdcached writes them too */
	if (!d->local)
		return 0;               /* rrdcached's machine: it makes them */
	for (const char *p = strchr(rel, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(path, sizeof(path), "%s/%.*s", d->dir, (int)(p - rel), rel);
		struct stat sb;
		if (mkdir(path, mode) < 0 && errno != EEXIST) {
			snprintf(err, size, "%s: cannot create the directory: %s", path, strerror(errno));
			return -EIO;
		}
		if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			snprintf(err, size, "%s: cannot create the directory: something else has its name", path);
			return -EIO;
		}
	}
	return 0;
}

/* Looks at a file before its first update, creating it when missing, starting one step
 * before t.  0; -EAGAIN; another negative errno (said, counted; the file is set aside
 * for an hour when it is not one of flowtally's). */
static int file_check(struct rrd_sink *d, struct file *f, time_t t)
{
	char path[4400], err[4608];
	snprintf(path, sizeof(path), "%s/%s", d->dir, f->rel);
	int r = ft_rrd_store_check(d->store, path, f->kind, d->step_s, &f->last, err, sizeof(err));
	if (d->rebuild && r != -EAGAIN) {
		/* a file with newer data, or one that is not of this layout (another step, other
		 * data sources, not an RRD at all): replaced only when told */
		if (((r == 0 && f->last > d->rebuild_end) || r == -EBADF) && !d->force) {
			if (r == 0)
				ft_log_err(FT_LOG_MAIN, "rrd: %s holds data after the rebuild's range: left as it is "
				           "(--force replaces it)", path);
			else
				ft_log_err(FT_LOG_MAIN, "rrd: %s: left as it is (--force replaces it)", err);
			d->refused_files++;
			f->state = FS_BAD;
			f->bad_until_ns = INT64_MAX;
			return -EEXIST;
		}
		r = make_dirs(d, f->rel, err, sizeof(err));
		if (r == 0)
			r = ft_rrd_store_create(d->store, path, f->kind, d->step_s, d->fine_days, t - d->step_s, true,
			                        err, sizeof(err));
		if (r == 0) {
			f->last = t - d->step_s;
			f->state = FS_OK;
			atomic_fetch_add(&d->created, 1);
			return 0;
		}
	}
	if (r == -ENOENT) {
		r = make_dirs(d, f->rel, err, sizeof(err));
		if (r == 0)
			r = ft_rrd_store_create(d->store, path, f->kind, d->step_s, d->fine_days, t - d->step_s, false,
			                        err, sizeof(err));
		if (r == -EEXIST)       /* made meanwhile (another collector): look again */
			r = ft_rrd_store_check(d->store, path, f->kind, d->step_s, &f->last, err, sizeof(err));
		else if (r == 0) {
			f->last = t - d->step_s;
			atomic_fetch_add(&d->created, 1);
		}
	}
	if (r == -EAGAIN)
		return r;
	if (r == -EBADF) {
		atomic_fetch_add(&d->bad_files, 1);
		f->state = FS_BAD;
		f->bad_until_ns = ft_clock_mono_ns() + 3600 * FT_NS_PER_SEC;
		char msg[4800];
		snprintf(msg, sizeof(msg), "%s; not written for an hour (move it away to have it made again)", err);
		file_error(d, msg);
		return r;
	}
	if (r < 0) {
		file_error(d, err);
		return r;
	}
	f->state = FS_OK;
	return 0;
}

/* Gives file f the value vals ("V1:V2:...") for the step ending at t.  0; -EAGAIN;
 * -EIO (said, counted). */
static int file_put(struct rrd_sink *d, struct file *f, time_t t, const char *vals)
{
	char path[4400], err[4608], gap[256], now[600];
	const char *argv[2];
	int n = 0;
	f->given = t;
	if (f->state == FS_BAD && ft_clock_mono_ns() < f->bad_until_ns)
		return 0;
	if (f->state != FS_OK || d->recheck) {
		int r = file_check(d, f, t);
		if (r == -EEXIST)
			return 0;
		if (r < 0)
			return r == -EAGAIN ? r : -EIO;
	}
	if (t <= f->last) {
		if (!(t == f->last && t == d->partial))
			atomic_fetch_add(&d->skipped_older, 1);
		return 0;
	}
	if (f->last < t - d->step_s) {
		/* the steps it missed are unknown, not this step's */
		const char *const *names;
		size_t k = ft_rrd_ds_names(f->kind, &names), o;
		o = (size_t)snprintf(gap, sizeof(gap), "%lld", (long long)(t - d->step_s));
		for (size_t i = 0; i < k; i++)
			o += (size_t)snprintf(gap + o, sizeof(gap) - o, ":U");
		argv[n++] = gap;
	}
	snprintf(now, sizeof(now), "%lld:%s", (long long)t, vals);
	argv[n++] = now;
	snprintf(path, sizeof(path), "%s/%s", d->dir, f->rel);
	int r = ft_rrd_store_update(d->store, path, n, argv, err, sizeof(err));
	if (r == -EAGAIN)
		return r;
	if (r < 0) {
		f->state = FS_UNKNOWN;   /* looked at again before its next update */
		file_error(d, err);
		return r;
	}
	f->last = t;
	atomic_fetch_add(&d->updates, 1);
	return 0;
}

/* ---- a step --------------------------------------------------------------------------------- */

/* What a step's writes come to: -EAGAIN when one was given back, else an error when
 * one failed, else 0. */
static void keep_worst(int *worst, int r)
{
	if (r == -EAGAIN || (r < 0 && *worst != -EAGAIN))
		*worst = r;
}

static int put_volume(struct rrd_sink *d, const char *rel, enum ft_rrd_kind kind, time_t t,
                      const char *vals, int *worst)
{
	struct file *f = file_get(d, rel, kind);
	int r = f ? file_put(d, f, t, vals) : -ENOMEM;
	keep_worst(worst, r);
	return r;
}

static void six(char *buf, size_t size, const struct ft_volume *a, const struct ft_volume *b)
{
	snprintf(buf, size, "%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64, a->bytes,
	         b->bytes, a->packets, b->packets, a->flows, b->flows);
}

/* A tenant's cells s->cells[from, to): its classes (out cells then in cells, each by
 * class) and its total. */
static int put_tenant(struct rrd_sink *d, const struct ft_step *s, size_t from, size_t to, time_t t,
                      int *worst)
{
	char tenant[256], cls[256], rel[600], vals[200];
	struct ft_volume in_all = { 0 }, out_all = { 0 };
	size_t mid = from;
	if (ft_rrd_name_encode(s->cells[from].tenant, tenant, sizeof(tenant)) < 0)
		return -EINVAL;
	while (mid < to && s->cells[mid].direction == FT_DIR_OUT)
		mid++;
	/* merge the two runs by class */
	for (size_t i = from, j = mid; i < mid || j < to;) {
		struct ft_volume in = { 0 }, out = { 0 };
		const char *name;
		int c = i == mid ? 1 : j == to ? -1 : strcmp(s->cells[i].class_, s->cells[j].class_);
		if (c <= 0)
			out = s->cells[i].v, name = s->cells[i].class_, i++;
		if (c >= 0)
			in = s->cells[j].v, name = s->cells[j].class_, j++;
		ft_volume_add_checked(&in_all, &in);
		ft_volume_add_checked(&out_all, &out);
		if (ft_rrd_name_encode(name, cls, sizeof(cls)) < 0)
			continue;
		snprintf(rel, sizeof(rel), "tenants/%s/%s.rrd", tenant, cls);
		six(vals, sizeof(vals), &in, &out);
		if (put_volume(d, rel, FT_RRD_TENANT, t, vals, worst) == -EAGAIN)
			return -EAGAIN;
	}
	snprintf(rel, sizeof(rel), "tenants/%s.rrd", tenant);
	six(vals, sizeof(vals), &in_all, &out_all);
	return put_volume(d, rel, FT_RRD_TENANT, t, vals, worst);
}

static const char zeros6[] = "0:0:0:0:0:0";
static const char zeros5[] = "0:0:0:0:0";

static int write_one_step(struct rrd_sink *d, const struct ft_step *s);

/* Steps the catch-up takes at most; before them, 'flowtally rrd rebuild'. */
#define CATCH_UP_MAX 100000

/* The first step of a run: the ledger's steps from the end of total.rrd up to it are
 * written first.  They are those the last run committed but had not written yet when
 * it ended (killed, or its queue dropped them, or rrdcached was away), so that the
 * series agree with the ledger again without a rebuild.  -EAGAIN: again later. */
static int catch_up(struct rrd_sink *d, int64_t upto_ms)
{
	char path[4400], err[4608], from_t[40], to_t[40];
	time_t last;
	snprintf(path, sizeof(path), "%s/total.rrd", d->dir);
	int r = ft_rrd_store_check(d->store, path, FT_RRD_TOTAL, d->step_s, &last, err, sizeof(err));
	if (r == -EAGAIN)
		return r;
	if (r < 0 || last <= 0 || (int64_t)last >= upto_ms / 1000)
		return 0;
	int64_t from = (int64_t)last * 1000;
	if ((upto_ms - from) / d->step_ms > CATCH_UP_MAX) {
		int64_t skip_to = upto_ms - CATCH_UP_MAX * d->step_ms;
		ft_log_warn(FT_LOG_MAIN, "rrd: the series end at %s, long before this run: the last %d steps are "
		            "taken from the ledger, the rest is for 'flowtally rrd rebuild --to %s'",
		            ft_time_format_utc(from * FT_NS_PER_MS, from_t, sizeof(from_t)), CATCH_UP_MAX,
		            ft_time_format_utc(skip_to * FT_NS_PER_MS, to_t, sizeof(to_t)));
		from = skip_to;
	}
	struct ft_ledger_reader *rd;
	struct ft_step st;
	if (ft_ledger_reader_open(d->ledger, from, upto_ms, &rd) < 0)
		return 0;
	uint64_t n = 0;
	while ((r = ft_ledger_reader_next(rd, &st, NULL)) != 0) {
		if (r != 1)
			continue;
		int w = st.length_ms == d->step_ms ? write_one_step(d, &st) : 0;
		ft_step_done(&st);
		if (w == -EAGAIN) {
			ft_ledger_reader_free(rd);
			return w;
		}
		n++;
	}
	ft_ledger_reader_free(rd);
	atomic_fetch_add(&d->caught_up, n);
	if (n)
		ft_log_notice(FT_LOG_MAIN, "rrd: %" PRIu64 " step(s) from %s to %s taken from the ledger: committed "
		              "but not written to the series (a run killed with them queued, or dropped from the "
		              "queue while rrdcached was away)", n,
		              ft_time_format_utc(from * FT_NS_PER_MS, from_t, sizeof(from_t)),
		              ft_time_format_utc(upto_ms * FT_NS_PER_MS, to_t, sizeof(to_t)));
	return 0;
}

int ft_rrd_sink_write_step(void *state, const struct ft_step *s)
{
	struct rrd_sink *d = state;
	/* in a live run, a step after a hole in the series (the queue dropped steps while
	 * rrdcached was away) catches up from the ledger too */
	struct file *total = d->live && !d->rebuild ? file_get(d, "total.rrd", FT_RRD_TOTAL) : NULL;
	if (total && total->state == FS_OK && total->last > 0 && total->last < s->start_ms / 1000)
		d->catch_up = true;
	if (d->catch_up) {
		if (catch_up(d, s->start_ms) == -EAGAIN)
			return -EAGAIN;
		d->catch_up = false;
	}
	return write_one_step(d, s);
}

static int write_one_step(struct rrd_sink *d, const struct ft_step *s)
{
	int64_t t0 = ft_clock_mono_ns();
	time_t t = (time_t)((s->start_ms + s->length_ms) / 1000);
	int worst = 0;
	char vals[200];
	uint64_t skipped = atomic_load(&d->skipped_older), updates = atomic_load(&d->updates);
	if (s->length_ms != d->step_ms)
		return -EINVAL;
	for (size_t i = 0, j; i < s->n_cells && worst != -EAGAIN; i = j) {
		for (j = i + 1; j < s->n_cells && strcmp(s->cells[j].tenant, s->cells[i].tenant) == 0; j++)
			;
		if (put_tenant(d, s, i, j, t, &worst) == -EAGAIN)
			worst = -EAGAIN;
	}
	if (worst != -EAGAIN) {
		const struct ft_volume *a = &s->unattributed_src, *b = &s->unattributed_dst;
		snprintf(vals, sizeof(vals), "%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64,
		         a->bytes, a->packets, a->flows, b->bytes, b->packets, b->flows);
		put_volume(d, "unattributed.rrd", FT_RRD_UNATTRIBUTED, t, vals, &worst);
	}
	if (worst != -EAGAIN) {
		snprintf(vals, sizeof(vals), "%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64,
		         s->total.bytes, s->total.packets, s->total.flows, s->late.bytes, s->not_accounted.bytes);
		put_volume(d, "total.rrd", FT_RRD_TOTAL, t, vals, &worst);
	}
	/* the files known that had nothing in this step */
	for (size_t i = 0; i < d->n_files && worst != -EAGAIN; i++) {
		struct file *f = d->files[i];
		if (f->given == t || f->kind == FT_RRD_EXPORTER || f->kind == FT_RRD_COLLECTOR ||
		    f->kind == FT_RRD_INTERFACE)
			continue;
		keep_worst(&worst, file_put(d, f, t, f->kind == FT_RRD_TOTAL ? zeros5 : zeros6));
	}
	atomic_store(&d->write_ms, (uint64_t)((ft_clock_mono_ns() - t0) / FT_NS_PER_MS));
	if (worst == -EAGAIN) {
		d->partial = t;
		d->recheck = true;
		return -EAGAIN;
	}
	if (d->recheck && d->partial != t)
		d->recheck = false;
	if (d->partial == t) {
		d->partial = 0;
		d->recheck = false;
	}
	/* everything was older than the store: the step is held already */
	if (worst == 0 && atomic_load(&d->updates) == updates && atomic_load(&d->skipped_older) > skipped)
		return -EEXIST;
	return worst < 0 ? -EIO : 0;
}

/* ---- interfaces (SNMP) ---------------------------------------------------------------------- */

/* One closed interface step: bits (octets × 8), packets, errors and discards, unknown
 * ("U") where the step's count could not be trusted; status and speed as they were. */
static int put_interface(struct rrd_sink *d, const struct ft_if_step *s, int *worst)
{
	char dev[256], key[600], rel[900], vals[400];
	if (ft_rrd_name_encode(s->device, dev, sizeof(dev)) < 0 || ft_rrd_name_encode(s->key, key, sizeof(key)) < 0)
		return -EINVAL;
	snprintf(rel, sizeof(rel), "interfaces/%s/%s.rrd", dev, key);
	size_t o = 0;
	for (int i = 0; i < FT_IF_COUNTERS; i++) {
		uint64_t v = i < 2 ? s->v[i] * 8 : s->v[i];
		if (s->known & (1u << i))
			o += (size_t)snprintf(vals + o, sizeof(vals) - o, "%s%" PRIu64, i ? ":" : "", v);
		else
			o += (size_t)snprintf(vals + o, sizeof(vals) - o, "%sU", i ? ":" : "");
	}
	if (s->oper_status)
		o += (size_t)snprintf(vals + o, sizeof(vals) - o, ":%" PRId32, s->oper_status);
	else
		o += (size_t)snprintf(vals + o, sizeof(vals) - o, ":U");
	if (s->speed_bps)
		snprintf(vals + o, sizeof(vals) - o, ":%" PRIu64, s->speed_bps);
	else
		snprintf(vals + o, sizeof(vals) - o, ":U");
	return put_volume(d, rel, FT_RRD_INTERFACE, (time_t)((s->start_ms + d->step_ms) / 1000), vals, worst);
}

static int ft_rrd_sink_write_interfaces(void *state, const struct ft_if_step *s, size_t n)
{
	struct rrd_sink *d = state;
	int worst = 0;
	for (size_t i = 0; i < n && worst != -EAGAIN; i++)
		if (put_interface(d, &s[i], &worst) == -EINVAL)
			keep_worst(&worst, -EINVAL);
	if (worst == -EAGAIN)
		d->recheck = true;
	return worst == -EAGAIN ? -EAGAIN : worst < 0 ? -EIO : 0;
}

/* ---- the collector's counters ------------------------------------------------------------- */

static int ex_cmp(const void *a, const void *b)
{
	const struct ft_counters_exporter *x = a, *y = b;
	int c = memcmp(&x->addr, &y->addr, sizeof(x->addr));
	return c ? c : (x->domain > y->domain) - (x->domain < y->domain);
}

static int ft_rrd_sink_write_counters(void *state, const struct ft_counters *c)
{
	struct rrd_sink *d = state;
	time_t t = (time_t)(c->time_ms / 1000);
	char vals[300], rel[450], addr[FT_ADDR_STRLEN + 16], name[400];
	int worst = 0;
	if (c->time_ms <= 0)
		return 0;
	struct ft_counters_exporter *ex = malloc((c->n_exporters + 1) * sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	memcpy(ex, c->exporters, c->n_exporters * sizeof(*ex));
	qsort(ex, c->n_exporters, sizeof(*ex), ex_cmp);
	for (size_t i = 0, j; i < c->n_exporters && worst != -EAGAIN; i = j) {
		struct ft_counters_exporter sum = ex[i];
		for (j = i + 1; j < c->n_exporters && ex_cmp(&ex[i], &ex[j]) == 0; j++) {
			sum.datagrams += ex[j].datagrams, sum.records += ex[j].records, sum.bytes += ex[j].bytes;
			sum.parse_errors += ex[j].parse_errors, sum.seq_lost += ex[j].seq_lost;
			sum.no_template += ex[j].no_template;
		}
		ft_addr_format(&sum.addr, addr);
		if (sum.domain)
			snprintf(addr + strlen(addr), sizeof(addr) - strlen(addr), "-%" PRIu32, sum.domain);
		if (ft_rrd_name_encode(addr, name, sizeof(name)) < 0)
			continue;
		snprintf(rel, sizeof(rel), "exporters/%s.rrd", name);
		snprintf(vals, sizeof(vals), "%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64,
		         sum.datagrams, sum.records, sum.bytes, sum.parse_errors, sum.seq_lost, sum.no_template);
		put_volume(d, rel, FT_RRD_EXPORTER, t, vals, &worst);
	}
	free(ex);
	if (worst != -EAGAIN) {
		char close[24];         /* negative: unknown (a replay's) */
		if (c->step_close_ms < 0)
			snprintf(close, sizeof(close), "U");
		else
			snprintf(close, sizeof(close), "%" PRId64, c->step_close_ms);
		snprintf(vals, sizeof(vals), "%" PRIu64 ":%" PRIu64 ":%s:%" PRId64 ":%" PRIu64 ":%" PRIu64,
		         c->records, c->kernel_drops, close, c->ledger_write_ms,
		         (uint64_t)atomic_load(&d->write_ms), c->queue_depth);
		put_volume(d, "collector.rrd", FT_RRD_COLLECTOR, t, vals, &worst);
	}
	return worst == -EAGAIN ? -EAGAIN : worst < 0 ? -EIO : 0;
}

void ft_rrd_sink_set_rebuild(void *state, time_t end, bool force)
{
	struct rrd_sink *d = state;
	d->rebuild = true;
	d->catch_up = false;
	d->rebuild_end = end;
	d->force = force;
}

void ft_rrd_sink_counts(void *state, uint64_t *files, uint64_t *updates, uint64_t *refused, uint64_t *errors)
{
	struct rrd_sink *d = state;
	*files = atomic_load(&d->created);
	*updates = atomic_load(&d->updates);
	*refused = d->refused_files;
	*errors = atomic_load(&d->errors) + atomic_load(&d->bad_files);
}

/* ---- open, close, statistics -------------------------------------------------------------- */

/* The volume files already in the store (a local directory), so that a quiet tenant of
 * an earlier run still gets its zeros. */
/* Whether s is a name's file name (ft_rrd_name_encode), with ".rrd" when rrd. */
static bool is_name(const char *s, bool rrd)
{
	char name[256], back[256];
	size_t n = strlen(s);
	if (rrd && (n <= 4 || strcmp(s + n - 4, ".rrd") != 0))
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)(rrd ? n - 4 : n), s);
	return ft_rrd_name_decode(name, back, sizeof(back)) >= 0;
}

static void scan(struct rrd_sink *d)
{
	char path[4400], rel[600];
	snprintf(path, sizeof(path), "%s/tenants", d->dir);
	DIR *dir = opendir(path);
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		if (is_name(e->d_name, true)) {
			snprintf(rel, sizeof(rel), "tenants/%s", e->d_name);
			file_get(d, rel, FT_RRD_TENANT);
			continue;
		}
		if (!is_name(e->d_name, false))
			continue;
		snprintf(path, sizeof(path), "%s/tenants/%s", d->dir, e->d_name);
		DIR *sub = opendir(path);
		struct dirent *c;
		while (sub && (c = readdir(sub))) {
			if (!is_name(c->d_name, true))
				continue;
			snprintf(rel, sizeof(rel), "tenants/%s/%s", e->d_name, c->d_name);
			file_get(d, rel, FT_RRD_TENANT);
		}
		if (sub)
			closedir(sub);
	}
	if (dir)
		closedir(dir);
	snprintf(path, sizeof(path), "%s/unattributed.rrd", d->dir);
	if (access(path, F_OK) == 0)
		file_get(d, "unattributed.rrd", FT_RRD_UNATTRIBUTED);
	snprintf(path, sizeof(path), "%s/total.rrd", d->dir);
	if (access(path, F_OK) == 0)
		file_get(d, "total.rrd", FT_RRD_TOTAL);
}

void ft_rrd_sink_close(void *state);

int ft_rrd_sink_open(const struct ft_sink_env *env, void **ret)
{
	const struct ft_rrd_conf *c = env->conf;
	char err[4400];
	if (!c || !c->enabled)
		return -ECANCELED;
	const char *problem = ft_rrd_step_problem(env->step_ms / 1000);
	if (env->step_ms % 1000 != 0 || problem) {
		ft_log_err(FT_LOG_MAIN, "rrd: step %lld ms: %s", (long long)env->step_ms,
		           problem ? problem : "the step must be whole seconds");
		return -EINVAL;
	}
	struct rrd_sink *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->err_lock, NULL);
	d->step_ms = env->step_ms;
	d->step_s = (time_t)(env->step_ms / 1000);
	d->fine_days = c->fine_days ? c->fine_days : FT_RRD_FINE_DAYS;
	d->live = env->live;
	d->catch_up = true;
	snprintf(d->ledger, sizeof(d->ledger), "%s/ledger", env->data_dir);
	if (c->dir)
		snprintf(d->dir, sizeof(d->dir), "%s", c->dir);
	else
		snprintf(d->dir, sizeof(d->dir), "%s/rrd", env->data_dir);
	int r = ft_rrd_store_open(c->daemon, c->daemon_base, &d->store);
	d->local = true;
	if (r == 0 && !c->daemon) {
		/* written directly: a directory of flowtallyd's own */
		r = ft_file_own_dir(d->dir, geteuid(), (gid_t)-1, err, sizeof(err));
		if (r < 0)
			ft_log_err(FT_LOG_MAIN, "rrd: %s", err);
	} else if (r == 0) {
		/* through rrdcached, which writes the files as its own user: a directory where it
		 * can, made here when this machine has its parent; otherwise rrdcached is on
		 * another machine and makes the directories itself (rrdcached -R) */
		char parent[4200];
		snprintf(parent, sizeof(parent), "%s", d->dir);
		char *slash = strrchr(parent, '/');
		if (slash && slash != parent)
			*slash = '\0';
		if (mkdir(d->dir, 0755) < 0 && errno != EEXIST && access(parent, F_OK) == 0) {
			ft_log_err(FT_LOG_MAIN, "rrd: %s: cannot create the directory: %s", d->dir, strerror(errno));
			r = -errno;
		}
		d->local = access(d->dir, F_OK) == 0;
		if (!d->local)
			ft_log_info(FT_LOG_MAIN, "rrd: %s is not on this machine: rrdcached makes its directories "
			            "(start it with -R)", d->dir);
	}
	if (r < 0) {
		ft_rrd_sink_close(d);
		return r;
	}
	scan(d);
	ft_log_info(FT_LOG_MAIN, "rrd: %s%s%s, %zu files known", d->dir, c->daemon ? " through rrdcached at " : "",
	            c->daemon ? c->daemon : "", d->n_files);
	*ret = d;
	return 0;
}

void ft_rrd_sink_close(void *state)
{
	struct rrd_sink *d = state;
	if (!d)
		return;
	if (d->store && (atomic_load(&d->updates) || atomic_load(&d->skipped_older)))
		ft_log_notice(FT_LOG_MAIN, "rrd: %s: %llu updates to %zu files (%llu created); %llu skipped as "
		              "older than the store; %llu errors", d->dir,
		              (unsigned long long)atomic_load(&d->updates), d->n_files,
		              (unsigned long long)atomic_load(&d->created),
		              (unsigned long long)atomic_load(&d->skipped_older),
		              (unsigned long long)atomic_load(&d->errors));
	for (size_t i = 0; i < d->n_files; i++) {
		free(d->files[i]->rel);
		free(d->files[i]);
	}
	free(d->files);
	free(d->slots);
	ft_rrd_store_close(d->store);
	pthread_mutex_destroy(&d->err_lock);
	free(d);
}

static size_t ft_rrd_sink_stats(void *state, struct ft_sink_stat *ret, size_t cap)
{
	struct rrd_sink *d = state;
	struct ft_sink_stat rows[] = {
		{ "files", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->n_known), "" },
		{ "files_created", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->created), "" },
		{ "updates", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->updates), "" },
		{ "skipped_older", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->skipped_older), "" },
		{ "file_errors", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->errors), "" },
		{ "bad_files", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->bad_files), "" },
		{ "last_write_ms", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->write_ms), "" },
		{ "caught_up", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->caught_up), "" },
		{ "last_error", FT_SINK_STAT_TEXT, 0, "" },
		{ "last_error_at", FT_SINK_STAT_TIME_MS, 0, "" },
	};
	size_t n = sizeof(rows) / sizeof(rows[0]);
	pthread_mutex_lock(&d->err_lock);
	snprintf(rows[n - 2].text, sizeof(rows[n - 2].text), "%s", d->last_error);
	rows[n - 1].value = d->last_error_ms;
	pthread_mutex_unlock(&d->err_lock);
	n = n < cap ? n : cap;
	memcpy(ret, rows, n * sizeof(*rows));
	return n;
}

const struct ft_sink_ops ft_rrd_sink = {
	.name = "rrd",
	.open = ft_rrd_sink_open,
	.write_step = ft_rrd_sink_write_step,
	.write_counters = ft_rrd_sink_write_counters,
	.write_interfaces = ft_rrd_sink_write_interfaces,
	.close = ft_rrd_sink_close,
	.stats = ft_rrd_sink_stats,
};
