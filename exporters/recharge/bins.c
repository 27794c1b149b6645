/* The month's bins from the ledgers (recharge.h): every verified block of the range is
 * added into the 5-minute bin that holds it, per tenant (all classes, and each class),
 * plus the unattributed and the total series.  A bin is present when each ledger read
 * covered it whole (the daemon writes a block for every step it ran, quiet ones
 * included), so a bin the collector was not running for is missing, never zero.
 *
 * Series are kept sorted by (tenant, class) in one array, found by binary search; a new
 * one is inserted in place (a month has a few hundred to a few thousand).  A cell looks
 * first where the same cell of the last step found its series.  Each ledger is read in
 * a second thread, a few blocks ahead (read_one). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/ledger.h"
#include "flowtally/recharge.h"

static int cmp_key(const char *t1, const char *c1, const char *t2, const char *c2)
{
	int c = strcmp(t1, t2);
	return c ? c : strcmp(c1, c2);
}

static size_t locate(const struct ft_bins *b, const char *tenant, const char *class_, bool *found)
{
	size_t lo = 0, hi = b->n_series;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(b->series[mid].tenant, b->series[mid].class_, tenant, class_);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

const struct ft_bin_series *ft_bins_find(const struct ft_bins *b, const char *tenant, const char *class_)
{
	bool found;
	size_t i = locate(b, tenant, class_ ? class_ : "", &found);
	return found ? &b->series[i] : NULL;
}

/* The series of tenant and class, added when new; NULL when memory is short. */
static struct ft_bin_series *series_get(struct ft_bins *b, size_t *cap, const char *tenant, const char *class_)
{
	bool found;
	size_t i = locate(b, tenant, class_, &found);
	if (found)
		return &b->series[i];
	if (b->n_series == *cap) {
		size_t n = *cap ? 2 * *cap : 64;
		struct ft_bin_series *s = realloc(b->series, n * sizeof(*s));
		if (!s)
			return NULL;
		b->series = s;
		*cap = n;
	}
	struct ft_bin_series s = { 0 };
	snprintf(s.tenant, sizeof(s.tenant), "%s", tenant);
	snprintf(s.class_, sizeof(s.class_), "%s", class_);
	s.in = calloc(b->n_bins + 1, sizeof(*s.in));
	s.out = calloc(b->n_bins + 1, sizeof(*s.out));
	if (!s.in || !s.out) {
		free(s.in);
		free(s.out);
		return NULL;
	}
	memmove(&b->series[i + 1], &b->series[i], (b->n_series - i) * sizeof(*b->series));
	b->series[i] = s;
	b->n_series++;
	return &b->series[i];
}

/* v into the series' bin k and its month: -EOVERFLOW when a sum would wrap. */
static int put(struct ft_bin_series *s, size_t k, uint8_t dir, const struct ft_volume *v)
{
	uint64_t *bin = dir == FT_DIR_IN ? &s->in[k] : &s->out[k];
	struct ft_volume *m = dir == FT_DIR_IN ? &s->vin : &s->vout;
	if (__builtin_add_overflow(*bin, v->bytes, bin) || !ft_volume_add_checked(m, v))
		return -EOVERFLOW;
	return 0;
}

static int put_named(struct ft_bins *b, size_t *cap, const char *tenant, const char *class_, size_t k, uint8_t dir,
                     const struct ft_volume *v)
{
	struct ft_bin_series *s = series_get(b, cap, tenant, class_);
	return s ? put(s, k, dir, v) : -ENOMEM;
}

static void note_map(struct ft_bins *b, const struct ft_step *s)
{
	struct ft_recharge_map *m = NULL;
	for (size_t i = 0; i < b->n_maps && !m; i++)
		if (strcmp(b->maps[i].id, s->map_id) == 0)
			m = &b->maps[i];
	if (!m && b->n_maps == sizeof(b->maps) / sizeof(b->maps[0])) {
		b->maps_more++;
		return;
	}
	if (!m) {
		m = &b->maps[b->n_maps++];
		snprintf(m->id, sizeof(m->id), "%s", s->map_id);
		m->first_ms = s->start_ms;
		m->end_ms = s->start_ms + s->length_ms;
	}
	/* several ledgers: their steps come in each one's order */
	if (s->start_ms < m->first_ms)
		m->first_ms = s->start_ms;
	if (s->start_ms + s->length_ms > m->end_ms)
		m->end_ms = s->start_ms + s->length_ms;
	m->steps++;
}

/* ---- ledger format 2: accounting interfaces and exporters over the month ---------------- */

static int cmp_point(const struct ft_recharge_point *a, const struct ft_step_point *b)
{
	int c = memcmp(a->exporter.b, b->exporter.b, sizeof(a->exporter.b));
	if (c)
		return c;
	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	return (a->direction > b->direction) - (a->direction < b->direction);
}

static int add_point(struct ft_bins *b, const struct ft_step_point *p)
{
	size_t lo = 0, hi = b->n_points;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_point(&b->points[mid], p);
		if (c == 0)
			return ft_volume_add_checked(&b->points[mid].v, &p->v) ? 0 : -EOVERFLOW;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct ft_recharge_point *v = realloc(b->points, (b->n_points + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	b->points = v;
	memmove(&v[lo + 1], &v[lo], (b->n_points - lo) * sizeof(*v));
	v[lo] = (struct ft_recharge_point){ p->exporter, p->ifindex, p->direction, p->v };
	b->n_points++;
	return 0;
}

static int cmp_exporter(const struct ft_recharge_exporter *a, const struct ft_step_exporter *e, size_t source)
{
	int c = memcmp(a->exporter.b, e->exporter.b, sizeof(a->exporter.b));
	if (c)
		return c;
	if (a->domain != e->domain)
		return a->domain < e->domain ? -1 : 1;
	return (a->source > source) - (a->source < source);
}

static uint64_t sat(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static int add_exporter(struct ft_bins *b, const struct ft_step_exporter *e, size_t source)
{
	size_t lo = 0, hi = b->n_exporters;
	struct ft_recharge_exporter *x = NULL;
	while (lo < hi && !x) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_exporter(&b->exporters[mid], e, source);
		if (c == 0)
			x = &b->exporters[mid];
		else if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!x) {
		struct ft_recharge_exporter *v = realloc(b->exporters, (b->n_exporters + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		b->exporters = v;
		memmove(&v[lo + 1], &v[lo], (b->n_exporters - lo) * sizeof(*v));
		x = &v[lo];
		*x = (struct ft_recharge_exporter){ .exporter = e->exporter, .domain = e->domain, .source = source,
		                                    .rate_first = e->sampling_rate, .rate_min = e->sampling_rate,
		                                    .rate_max = e->sampling_rate };
		b->n_exporters++;
	}
	/* counters of a month cannot reach 2^64; saturate rather than wrap all the same */
	x->steps++;
	x->datagrams = sat(x->datagrams, e->datagrams);
	x->records = sat(x->records, e->records);
	x->seq_lost = sat(x->seq_lost, e->seq_lost);
	x->no_template = sat(x->no_template, e->no_template);
	x->parse_errors = sat(x->parse_errors, e->parse_errors);
	x->sampling_changes = sat(x->sampling_changes, e->sampling_changes);
	x->rate_last = e->sampling_rate;
	x->rate_min = e->sampling_rate < x->rate_min ? e->sampling_rate : x->rate_min;
	x->rate_max = e->sampling_rate > x->rate_max ? e->sampling_rate : x->rate_max;
	return 0;
}

static int add_counters(struct ft_bins *b, const struct ft_step *s, size_t source)
{
	int r = 0;
	for (size_t i = 0; i < s->n_points && r == 0; i++)
		r = add_point(b, &s->points[i]);
	if (!s->have_counters)
		return r;
	for (size_t i = 0; i < s->n_exporters && r == 0; i++)
		r = add_exporter(b, &s->exporters[i], source);
	b->kernel_drops = sat(b->kernel_drops, s->kernel_drops);
	b->steps_counted++;
	return r;
}

/* Where each cell of the last step found its series (by the cell's place in the step):
 * the steps of a ledger mostly hold the same cells in the same order, so a cell's
 * series is most often where the same cell's was, and checking that costs two short
 * compares against a binary search of two strcmps a level. */
struct hints {
	size_t *v;                  /* two per cell: all classes, its class */
	size_t n;
};

static struct ft_bin_series *series_at(struct ft_bins *b, size_t *cap, size_t *hint, const char *tenant,
                                       const char *class_)
{
	if (*hint < b->n_series) {
		struct ft_bin_series *s = &b->series[*hint];
		if (strcmp(s->tenant, tenant) == 0 && strcmp(s->class_, class_) == 0)
			return s;
	}
	struct ft_bin_series *s = series_get(b, cap, tenant, class_);
	if (s)
		*hint = (size_t)(s - b->series);
	return s;
}

/* One block: into its bin, and its time into what that ledger covered of the bin. */
static int add_step(struct ft_bins *b, size_t *cap, const struct ft_step *s, int64_t *covered, struct hints *h)
{
	size_t k = (size_t)((s->start_ms - b->start_ms) / FT_RECHARGE_BIN_MS);
	int r = 0;
	if (s->n_cells > h->n) {
		size_t *v = realloc(h->v, 2 * s->n_cells * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (size_t i = 2 * h->n; i < 2 * s->n_cells; i++)
			v[i] = SIZE_MAX;
		h->v = v;
		h->n = s->n_cells;
	}
	for (size_t i = 0; i < s->n_cells && r == 0; i++) {
		const struct ft_step_cell *c = &s->cells[i];
		struct ft_bin_series *all = series_at(b, cap, &h->v[2 * i], c->tenant, "");
		r = all ? put(all, k, c->direction, &c->v) : -ENOMEM;
		if (r == 0) {
			struct ft_bin_series *one = series_at(b, cap, &h->v[2 * i + 1], c->tenant, c->class_);
			r = one ? put(one, k, c->direction, &c->v) : -ENOMEM;
		}
	}
	if (r == 0)
		r = put_named(b, cap, "unattributed", "", k, FT_DIR_IN, &s->unattributed_dst);
	if (r == 0)
		r = put_named(b, cap, "unattributed", "", k, FT_DIR_OUT, &s->unattributed_src);
	if (r == 0)
		r = put_named(b, cap, "total", "", k, FT_DIR_IN, &s->total);
	if (r == 0)
		r = put_named(b, cap, "total", "", k, FT_DIR_OUT, &s->total);
	if (r == 0)
		r = add_counters(b, s, b->n_sources);
	if (r == 0) {
		covered[k] += s->length_ms;
		note_map(b, s);
		b->steps++;
	}
	return r;
}

/* Reading a ledger runs in a thread of its own, a few blocks ahead of the adding: the
 * reader (hashing, parsing, checking) and the bins each take one core.  What the
 * reader returns goes through a short queue in order, each with what it said in diag,
 * and the adding thread does everything with it as if it had read it itself: a diag
 * line is the caller's only once its block is taken, so a read that stops early (an
 * error) reports exactly what a read in one thread would. */
enum { ITEM_STEP, ITEM_BREAK, ITEM_DAMAGE, ITEM_FAIL, ITEM_END };

struct item {
	int kind;
	int rc;                     /* ITEM_FAIL */
	struct ft_step s;           /* ITEM_STEP */
	char hash[65];
	struct ft_ledger_break brk; /* ITEM_BREAK */
	struct ft_diag d;           /* what the reader said meanwhile */
};

#define QUEUE_LEN 4

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t changed;
	struct item q[QUEUE_LEN];
	size_t first, n;
	bool stop;                  /* the adding thread takes no more */
	struct ft_ledger_reader *rd;
	bool keep_diag;
};

/* The next thing the reader has, into *it. */
static void produce(struct ft_ledger_reader *rd, bool keep_diag, struct item *it)
{
	memset(it, 0, sizeof(*it));
	struct ft_diag *d = keep_diag ? &it->d : NULL;
	int r = ft_ledger_reader_next(rd, &it->s, d);
	if (r == 0) {
		it->kind = ITEM_END;
	} else if (r == 2) {
		it->kind = ITEM_BREAK;
		it->brk = *ft_ledger_reader_break(rd);
	} else if (r < 0) {
		it->kind = ITEM_DAMAGE;
	} else if (it->s.length_ms <= 0 || FT_RECHARGE_BIN_MS % it->s.length_ms != 0) {
		ft_diag_add(d, true, ft_ledger_reader_file(rd), ft_ledger_reader_line(rd),
		            "a step of %lld ms: recharge needs steps that divide 300 s", (long long)it->s.length_ms);
		ft_step_done(&it->s);
		it->kind = ITEM_FAIL;
		it->rc = -EINVAL;
	} else {
		it->kind = ITEM_STEP;
		snprintf(it->hash, sizeof(it->hash), "%s", ft_ledger_reader_hash(rd));
		/* "total" is the name of the bins' total series (unattributed is never a cell) */
		for (size_t i = 0; i < it->s.n_cells; i++)
			if (strcmp(it->s.cells[i].tenant, "total") == 0) {
				ft_diag_add(d, true, ft_ledger_reader_file(rd), ft_ledger_reader_line(rd),
				            "a tenant named 'total': recharge keeps the measured total under that name, "
				            "so this ledger cannot be recharged until the tenant is renamed");
				ft_step_done(&it->s);
				it->kind = ITEM_FAIL;
				it->rc = -EINVAL;
				break;
			}
	}
}

static void item_done(struct item *it)
{
	if (it->kind == ITEM_STEP)
		ft_step_done(&it->s);
	ft_diag_done(&it->d);
}

static void *reader_thread(void *arg)
{
	struct queue *q = arg;
	for (bool last = false; !last;) {
		struct item it;
		produce(q->rd, q->keep_diag, &it);
		last = it.kind == ITEM_END || it.kind == ITEM_FAIL;
		pthread_mutex_lock(&q->mu);
		while (q->n == QUEUE_LEN && !q->stop)
			pthread_cond_wait(&q->changed, &q->mu);
		if (q->stop) {
			pthread_mutex_unlock(&q->mu);
			item_done(&it);
			break;
		}
		q->q[(q->first + q->n++) % QUEUE_LEN] = it;
		pthread_cond_broadcast(&q->changed);
		pthread_mutex_unlock(&q->mu);
	}
	return NULL;
}

static void take(struct queue *q, struct item *it)
{
	pthread_mutex_lock(&q->mu);
	while (q->n == 0)
		pthread_cond_wait(&q->changed, &q->mu);
	*it = q->q[q->first];
	q->first = (q->first + 1) % QUEUE_LEN;
	q->n--;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

struct progress {
	void (*fn)(void *ctx, size_t dir, int64_t step_ms);
	void *ctx;
};

static int read_one(struct ft_bins *b, size_t *cap, const char *dir, int64_t *covered, struct ft_diag *diag,
                    struct ft_recharge_source *src, const struct progress *pg)
{
	snprintf(src->dir, sizeof(src->dir), "%s", dir);
	struct ft_ledger_reader *rd;
	int r = ft_ledger_reader_open(dir, b->start_ms, b->end_ms, &rd);
	if (r < 0)
		return r;
	struct queue q = { .rd = rd, .keep_diag = diag != NULL };
	pthread_t th;
	/* without a thread (none to be had), the same in this one */
	bool threaded = pthread_mutex_init(&q.mu, NULL) == 0;
	if (threaded && pthread_cond_init(&q.changed, NULL) != 0) {
		pthread_mutex_destroy(&q.mu);
		threaded = false;
	}
	if (threaded && pthread_create(&th, NULL, reader_thread, &q) != 0) {
		pthread_cond_destroy(&q.changed);
		pthread_mutex_destroy(&q.mu);
		threaded = false;
	}
	struct hints h = { 0 };
	for (bool done = false; !done;) {
		struct item it;
		if (threaded)
			take(&q, &it);
		else
			produce(rd, q.keep_diag, &it);
		if (diag)
			ft_diag_move(diag, &it.d);
		switch (it.kind) {
		case ITEM_END:
			done = true;
			break;
		case ITEM_BREAK:
			b->breaks++;
			if (!ft_ledger_acknowledged(dir, it.brk.hash))
				b->breaks_open++;
			break;
		case ITEM_DAMAGE:
			b->damaged++;           /* said in diag; its bins stay short of it */
			break;
		case ITEM_FAIL:
			r = it.rc;
			done = true;
			break;
		case ITEM_STEP:
			r = add_step(b, cap, &it.s, covered, &h);
			if (r == 0) {
				snprintf(src->head, sizeof(src->head), "%s", it.hash);
				src->steps++;
				if (pg->fn)
					pg->fn(pg->ctx, b->n_sources, it.s.start_ms);
			}
			done = r < 0;
			break;
		}
		item_done(&it);
	}
	if (threaded) {
		pthread_mutex_lock(&q.mu);
		q.stop = true;
		pthread_cond_broadcast(&q.changed);
		pthread_mutex_unlock(&q.mu);
		pthread_join(th, NULL);
		for (size_t i = 0; i < q.n; i++)
			item_done(&q.q[(q.first + i) % QUEUE_LEN]);
		pthread_cond_destroy(&q.changed);
		pthread_mutex_destroy(&q.mu);
	}
	free(h.v);
	ft_ledger_reader_free(rd);
	return r;
}

int ft_bins_read(const char *const *dirs, size_t n_dirs, int64_t start_ms, int64_t end_ms, struct ft_bins *ret,
                 struct ft_diag *diag)
{
	return ft_bins_read_progress(dirs, n_dirs, start_ms, end_ms, ret, diag, NULL, NULL);
}

int ft_bins_read_progress(const char *const *dirs, size_t n_dirs, int64_t start_ms, int64_t end_ms,
                          struct ft_bins *ret, struct ft_diag *diag,
                          void (*progress)(void *ctx, size_t dir, int64_t step_ms), void *ctx)
{
	const struct progress pg = { progress, ctx };
	struct ft_bins b = { .start_ms = start_ms, .end_ms = end_ms, .n_bins = ft_recharge_bins(start_ms, end_ms) };
	size_t cap = 0;
	if (start_ms % FT_RECHARGE_BIN_MS || end_ms % FT_RECHARGE_BIN_MS || !b.n_bins || !n_dirs)
		return -EINVAL;
	b.present = calloc(b.n_bins, 1);
	b.sources = calloc(n_dirs, sizeof(*b.sources));
	int64_t *covered = calloc(b.n_bins, sizeof(*covered));
	int r = b.present && covered && b.sources ? 0 : -ENOMEM;
	for (size_t d = 0; d < n_dirs && r == 0; d++) {
		memset(covered, 0, b.n_bins * sizeof(*covered));
		r = read_one(&b, &cap, dirs[d], covered, diag, &b.sources[d], &pg);
		b.n_sources += r == 0;
		/* present: every ledger covered it whole */
		for (size_t k = 0; r == 0 && k < b.n_bins; k++)
			b.present[k] = (d == 0 || b.present[k]) && covered[k] == FT_RECHARGE_BIN_MS;
	}
	free(covered);
	for (size_t k = 0; r == 0 && k < b.n_bins; k++)
		b.present_bins += b.present[k];
	if (r < 0) {
		ft_bins_done(&b);
		return r;
	}
	*ret = b;
	return 0;
}

void ft_bins_done(struct ft_bins *b)
{
	for (size_t i = 0; i < b->n_series; i++) {
		free(b->series[i].in);
		free(b->series[i].out);
	}
	free(b->series);
	free(b->present);
	free(b->sources);
	free(b->points);
	free(b->exporters);
	memset(b, 0, sizeof(*b));
}
