/* Aggregation into time steps (see include/flowtally/agg.h for the contract).
 *
 * The open steps live in a ring of k slots, k = ceil(lateness / step) + 2, indexed by
 * (start / step) mod k; the open window is [oldest, newest], oldest being the oldest
 * step whose lateness window has not passed and newest the step holding the clock.  A
 * slot's counters are a dense array [tenant][direction][class] of struct ft_volume for
 * map it is keyed to; tenant 0 is "unattributed".  The names of that map's tenants and
 * classes are copied in (the aggregation keeps no pointer to a map, which the view that
 * holds it may retire).  Counts that a map reload could not re-key (a tenant or class
 * the new map lacks) stay in a per-slot list keyed by name.
 *
 * Whatever a record holds, nothing here overflows.  Times are clamped to ±2^61 ms (73
 * million years: the parts before and after the open window keep their weights' order
 * of magnitude, and every difference of two times fits an int64).  Counters are added
 * only when the step's sums can take them: a slot's total is at least each of its cells
 * (a record adds the same to its two cells, of different directions, and to the total),
 * its late volume and its unattributed sums, so a record whose corrected volume, or whose
 * volume added to a total (or to the not-accounted sum), would pass 2^64 - 1 is refused
 * whole and counted (ft_agg_refused()).  A high-water mark of every slot's sums keeps
 * that check to one comparison per counter on the way of nearly every record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/agg.h"

struct slot {
	int64_t start;
	bool used;
	struct ft_volume *cells;
	struct ft_volume total, unattr_src, unattr_dst, late, not_accounted;
	struct ft_step_cell *named;
	size_t n_named;
	struct ft_step_point *named_pts;  /* points a reload could not re-key (by key) */
	size_t n_named_pts;
};

struct ft_agg {
	int64_t step;
	int64_t lateness;
	char (*tenants)[FT_NAME_MAX];  /* names of the keyed map's tenants, [0] unattributed */
	char (*classes)[FT_NAME_MAX];
	char map_id[65];
	size_t nt, nc;
	struct ft_point_key *pkeys;   /* the keyed map's accounting interfaces */
	size_t np;
	size_t k;
	struct slot *slots;
	int64_t oldest;
	int64_t newest;
	int64_t now;
	struct ft_step *restored;     /* saved steps already past their window */
	size_t n_restored;
	struct slot **due;            /* k entries: scratch for closing */
	struct slot *last[2];         /* the slots touched last */
	struct slot **win;            /* k entries: win[d] is the slot of step newest - d × step */
	size_t nwin;                  /* steps in the open window */
	struct ft_volume high;        /* at least every slot's total and not-accounted sums */
	uint64_t refused;             /* records whose volume the sums could not take */
};

/* Times beyond this (either way) are taken as this: see the comment at the top. */
#define TIME_LIMIT (INT64_C(1) << 61)

static int64_t clamp_time(int64_t t)
{
	return t < -TIME_LIMIT ? -TIME_LIMIT : t > TIME_LIMIT ? TIME_LIMIT : t;
}

static int64_t floor_step(int64_t t, int64_t step)
{
	int64_t q = t / step;
	if (t % step && t < 0)
		q--;
	return q * step;
}

static size_t n_cells(const struct ft_agg *a)
{
	return a->nt * 2 * a->nc;
}

/* A slot's array: the cells, then each accounting interface's out and in volume, then
 * one that takes the volume of records without an interface (never read). */
static size_t n_all(const struct ft_agg *a)
{
	return n_cells(a) + 2 * a->np + 1;
}

static struct slot *slot_of(struct ft_agg *a, int64_t start)
{
	int64_t i = (start / a->step) % (int64_t)a->k;
	return &a->slots[i < 0 ? i + (int64_t)a->k : i];
}

/* The slot for an open step, zeroed on first use. */
static struct slot *touch(struct ft_agg *a, int64_t start)
{
	/* records mostly span the current and the previous step: remember both */
	for (int i = 0; i < 2; i++)
		if (a->last[i] && a->last[i]->used && a->last[i]->start == start)
			return a->last[i];
	struct slot *s = slot_of(a, start);
	a->last[1] = a->last[0];
	a->last[0] = s;
	if (!s->used || s->start != start) {
		memset(s->cells, 0, n_all(a) * sizeof(*s->cells));
		free(s->named);
		free(s->named_pts);
		struct ft_volume *cells = s->cells;
		*s = (struct slot){ .start = start, .used = true, .cells = cells };
	}
	return s;
}

static void window(struct ft_agg *a, int64_t now)
{
	now = clamp_time(now);
	a->now = now;
	a->newest = floor_step(now, a->step);
	a->oldest = floor_step(now - a->lateness, a->step);
	a->nwin = (size_t)((a->newest - a->oldest) / a->step) + 1;
	for (size_t d = 0; d < a->nwin; d++)
		a->win[d] = slot_of(a, a->newest - (int64_t)d * a->step);
}

/* Takes map's numbering: its tenant and class names by number, and its identity. */
static int key_to(struct ft_agg *a, const struct ft_tenant_map *map)
{
	size_t nt = ft_tenant_map_n_tenants(map), nc = ft_tenant_map_n_classes(map);
	size_t np = ft_tenant_map_n_point_keys(map);
	char (*t)[FT_NAME_MAX] = calloc(nt, FT_NAME_MAX), (*c)[FT_NAME_MAX] = calloc(nc, FT_NAME_MAX);
	struct ft_point_key *pk = calloc(np + 1, sizeof(*pk));
	if (!t || !c || !pk) {
		free(t);
		free(c);
		free(pk);
		return -ENOMEM;
	}
	for (size_t i = 0; i < np; i++)
		pk[i] = *ft_tenant_map_point_key(map, i);
	free(a->pkeys);
	a->pkeys = pk;
	a->np = np;
	for (size_t i = 0; i < nt; i++)
		snprintf(t[i], FT_NAME_MAX, "%s", ft_tenant_map_tenant(map, (uint16_t)i)->name);
	for (size_t i = 0; i < nc; i++)
		snprintf(c[i], FT_NAME_MAX, "%s", ft_tenant_map_class(map, (uint8_t)i));
	free(a->tenants);
	free(a->classes);
	a->tenants = t;
	a->classes = c;
	a->nt = nt;
	a->nc = nc;
	snprintf(a->map_id, sizeof(a->map_id), "%s", ft_tenant_map_id(map));
	return 0;
}

struct ft_agg *ft_agg_new(const struct ft_agg_conf *o, const struct ft_tenant_map *map, int64_t now_ms)
{
	struct ft_agg *a = calloc(1, sizeof(*a));
	if (!a || o->step_ms <= 0 || o->lateness_ms < 0) {
		free(a);
		return NULL;
	}
	a->step = o->step_ms;
	a->lateness = o->lateness_ms;
	a->k = (size_t)((o->lateness_ms + o->step_ms - 1) / o->step_ms) + 2;
	if (key_to(a, map) < 0)
		return ft_agg_free(a);
	a->slots = calloc(a->k, sizeof(*a->slots));
	a->due = calloc(a->k, sizeof(*a->due));
	a->win = calloc(a->k, sizeof(*a->win));
	if (!a->slots || !a->due || !a->win)
		return ft_agg_free(a);
	for (size_t i = 0; i < a->k; i++)
		if (!(a->slots[i].cells = calloc(n_all(a), sizeof(struct ft_volume))))
			return ft_agg_free(a);
	window(a, now_ms);
	return a;
}

struct ft_agg *ft_agg_free(struct ft_agg *a)
{
	if (!a)
		return NULL;
	for (size_t i = 0; a->slots && i < a->k; i++) {
		free(a->slots[i].cells);
		free(a->slots[i].named);
		free(a->slots[i].named_pts);
	}
	for (size_t i = 0; i < a->n_restored; i++)
		ft_step_done(&a->restored[i]);
	free(a->restored);
	free(a->tenants);
	free(a->classes);
	free(a->pkeys);
	free(a->slots);
	free(a->due);
	free(a->win);
	free(a);
	return NULL;
}

int64_t ft_agg_oldest(const struct ft_agg *a)
{
	return a->oldest;
}

int64_t ft_agg_first_held(const struct ft_agg *a)
{
	int64_t first = INT64_MAX;
	for (size_t i = 0; i < a->n_restored; i++)
		first = a->restored[i].start_ms < first ? a->restored[i].start_ms : first;
	for (size_t i = 0; i < a->k; i++)
		if (a->slots[i].used && a->slots[i].start < first)
			first = a->slots[i].start;
	return first;
}

size_t ft_agg_max_open(const struct ft_agg *a)
{
	return a->k + a->n_restored;
}

uint64_t ft_agg_refused(const struct ft_agg *a)
{
	return a->refused;
}

/* ---- adding ------------------------------------------------------------------------- */

static void vadd(struct ft_volume *v, uint64_t bytes, uint64_t packets, uint64_t flows)
{
	v->bytes += bytes;
	v->packets += packets;
	v->flows += flows;
}

/* The open step holding a record's end (clamped to the window). */
static int64_t end_step(const struct ft_agg *a, int64_t s, int64_t e)
{
	(void)s;   /* a record that ends before it starts counts at its end, like its bytes */
	int64_t st = floor_step(e, a->step);
	return st < a->oldest ? a->oldest : st > a->newest ? a->newest : st;
}

struct part {
	int64_t step;
	uint64_t w;
	bool late;
	uint64_t bytes, packets;
};

#define MAX_PARTS 64

/* Splits [s, e) into parts per open step; time before the window goes to the oldest
 * step (late), after it to the newest.  Returns the number of parts. */
static size_t split(const struct ft_agg *a, int64_t s, int64_t e, struct part *p)
{
	int64_t lo = a->oldest, hi = a->newest + a->step;
	size_t n = 0;
	if (e <= s) {
		int64_t st = floor_step(e, a->step);
		p[0] = (struct part){ st < lo ? lo : st > a->newest ? a->newest : st, 1, st < lo, 0, 0 };
		return 1;
	}
	if (s < lo)
		p[n++] = (struct part){ lo, (uint64_t)((e < lo ? e : lo) - s), true, 0, 0 };
	for (int64_t st = floor_step(s > lo ? s : lo, a->step); st < e && st < hi && n < MAX_PARTS - 1; st += a->step) {
		int64_t from = s > st ? s : st, to = e < st + a->step ? e : st + a->step;
		if (to > from)
			p[n++] = (struct part){ st, (uint64_t)(to - from), false, 0, 0 };
	}
	if (e > hi)
		p[n++] = (struct part){ a->newest, (uint64_t)(e - (s > hi ? s : hi)), false, 0, 0 };
	return n;
}

/* The first of two shares of `total` in proportion to w0 and w - w0 (w > 0), exact:
 * one division; the second share is what is left, and the unit left over by the two
 * floors goes to the larger remainder (the first on a tie).  Without a branch: which
 * remainder is larger is as good as random.  False when total × w0 overflows. */
static inline bool share0(uint64_t total, uint64_t w0, uint64_t w, uint64_t *q0)
{
	uint64_t x;
	if (__builtin_mul_overflow(total, w0, &x))
		return false;
	uint64_t q = x / w, r = x % w;
	*q0 = q + ((uint64_t)(r != 0) & (uint64_t)(r >= w - r));
	return true;
}

/* Shares of `total` in proportion to the weights, exact: largest remainder, ties to the
 * earlier part. */
static void apportion(struct part *p, size_t n, uint64_t total, bool packets)
{
	if (n == 1) {
		*(packets ? &p[0].packets : &p[0].bytes) = total;
		return;
	}
	uint64_t q0;
	if (n == 2 && share0(total, p[0].w, p[0].w + p[1].w, &q0)) {
		*(packets ? &p[0].packets : &p[0].bytes) = q0;
		*(packets ? &p[1].packets : &p[1].bytes) = total - q0;
		return;
	}
	uint64_t wsum = 0, given = 0;
	uint64_t rem[MAX_PARTS];
	for (size_t i = 0; i < n; i++)
		wsum += p[i].w;
	for (size_t i = 0; i < n; i++) {
		uint64_t q, x64;
		if (!__builtin_mul_overflow(total, p[i].w, &x64)) {
			q = x64 / wsum;
			rem[i] = x64 % wsum;
		} else {
			unsigned __int128 x = (unsigned __int128)total * p[i].w;
			q = (uint64_t)(x / wsum);
			rem[i] = (uint64_t)(x % wsum);
		}
		*(packets ? &p[i].packets : &p[i].bytes) = q;
		given += q;
	}
	for (uint64_t left = total - given; left > 0; left--) {
		size_t best = 0;
		for (size_t i = 1; i < n; i++)
			if (rem[i] > rem[best])
				best = i;
		rem[best] = 0;
		(*(packets ? &p[best].packets : &p[best].bytes))++;
	}
}

/* Index of a cell in a slot's dense array [tenant][direction][class]. */
static inline size_t cell_index(const struct ft_agg *a, uint16_t tenant, int dir, uint8_t cls)
{
	return ((size_t)tenant * 2 + (size_t)dir) * a->nc + cls;
}

static struct ft_volume *cell(struct ft_agg *a, struct slot *s, uint16_t tenant, int dir, uint8_t cls)
{
	return &s->cells[cell_index(a, tenant, dir, cls)];
}

/* The slot of the open step newest - d × step, which starts at `start`. */
static inline struct slot *back(struct ft_agg *a, size_t d, int64_t start)
{
	struct slot *s = a->win[d];
	return __builtin_expect(s->used && s->start == start, 1) ? s : touch(a, start);
}

/* A record's places in a slot's array: its two cells (source out, destination in) and
 * the accounting interfaces it came in and went out by (or the spare entry). */
struct where {
	size_t src, dst, pin, pout;
};

/* Adds to a record's cells, its interfaces and the step's total. */
static inline __attribute__((always_inline)) void add_cells(struct slot *s, const struct where *w,
                                                           uint64_t bytes, uint64_t packets,
                                                           uint64_t flows)
{
	vadd(&s->cells[w->src], bytes, packets, flows);
	vadd(&s->cells[w->dst], bytes, packets, flows);
	vadd(&s->cells[w->pin], bytes, packets, flows);
	vadd(&s->cells[w->pout], bytes, packets, flows);
	vadd(&s->total, bytes, packets, flows);
}

/* Any record: split over the open steps (late parts to the oldest), any number of parts. */
static void add_parts(struct ft_agg *a, int64_t start, int64_t end, const struct where *w,
                      uint64_t bytes, uint64_t packets, uint64_t flows)
{
	struct part p[MAX_PARTS];
	size_t n = split(a, start, end, p);
	apportion(p, n, bytes, false);
	apportion(p, n, packets, true);
	for (size_t i = 0; i < n; i++) {
		struct slot *s = touch(a, p[i].step);
		add_cells(s, w, p[i].bytes, p[i].packets, 0);
		if (p[i].late)
			vadd(&s->late, p[i].bytes, p[i].packets, 0);
	}
	/* the flow itself counts once, in the step holding its end */
	struct slot *s = touch(a, end_step(a, start, end));
	add_cells(s, w, 0, 0, flows);
	if (floor_step(end, a->step) < a->oldest)
		s->late.flows += flows;
}

static bool vfits(const struct ft_volume *v, uint64_t bytes, uint64_t packets, uint64_t flows)
{
	uint64_t x;
	return !__builtin_add_overflow(v->bytes, bytes, &x) && !__builtin_add_overflow(v->packets, packets, &x) &&
	       !__builtin_add_overflow(v->flows, flows, &x);
}

/* The sum (total, or not-accounted when !acc) of the slot of the open step at start, or
 * NULL when that step has no slot yet (its sums are 0). */
static const struct ft_volume *sums_at(struct ft_agg *a, int64_t start, bool acc)
{
	struct slot *s = slot_of(a, start);
	if (!s->used || s->start != start)
		return NULL;
	return acc ? &s->total : &s->not_accounted;
}

/* True when every step the record [start, end) touches can take its whole volume (a
 * part is at most the whole, and the flow count goes to one of them).  One comparison
 * per counter against the high-water mark; the steps themselves only near 2^64. */
static bool fits(struct ft_agg *a, int64_t start, int64_t end, bool acc, uint64_t bytes, uint64_t packets,
                 uint64_t flows)
{
	if (__builtin_expect(vfits(&a->high, bytes, packets, flows), 1))
		return true;
	struct part p[MAX_PARTS + 1];          /* the parts, and the step of the end */
	size_t n = acc ? split(a, start, end, p) : 0;
	p[n++].step = end_step(a, start, end);
	for (size_t i = 0; i < n; i++) {
		const struct ft_volume *v = sums_at(a, p[i].step, acc);
		if (v && !vfits(v, bytes, packets, flows))
			return false;
	}
	return true;
}

/* Raises the high-water mark to a step's sums once a record was added to it. */
static void vmax(struct ft_volume *h, const struct ft_volume *v)
{
	h->bytes = v->bytes > h->bytes ? v->bytes : h->bytes;
	h->packets = v->packets > h->packets ? v->packets : h->packets;
	h->flows = v->flows > h->flows ? v->flows : h->flows;
}

/* The high-water mark from the slots themselves: their largest sums. */
static void reset_high(struct ft_agg *a)
{
	a->high = (struct ft_volume){ 0 };
	for (size_t i = 0; i < a->k; i++)
		if (a->slots[i].used) {
			vmax(&a->high, &a->slots[i].total);
			vmax(&a->high, &a->slots[i].late);
			vmax(&a->high, &a->slots[i].not_accounted);
		}
}

static uint64_t sat_add(uint64_t x, uint64_t y)
{
	uint64_t r;
	return __builtin_add_overflow(x, y, &r) ? UINT64_MAX : r;
}

/* The high-water mark before a record adds at most v to the steps: the old mark plus
 * v, or, when that overflows, the largest sums of the slots plus v (at most 2^64 - 1,
 * which sends every record to the exact check until the next close). */
static void raise_high(struct ft_agg *a, uint64_t bytes, uint64_t packets, uint64_t flows)
{
	if (!vfits(&a->high, bytes, packets, flows))
		reset_high(a);
	a->high.bytes = sat_add(a->high.bytes, bytes);
	a->high.packets = sat_add(a->high.packets, packets);
	a->high.flows = sat_add(a->high.flows, flows);
}

static void add_attributed(struct ft_agg *a, const struct ft_flow *f, const struct ft_attr *at)
{
	uint64_t rate = f->sampling_rate ? f->sampling_rate : 1;
	uint64_t bytes, packets;
	uint64_t flows = f->flags & FT_FLOW_SECOND_HALF ? 0 : 1;
	int64_t s = clamp_time(f->start_ms), e = clamp_time(f->end_ms), step = a->step;
	if (__builtin_mul_overflow(f->bytes, rate, &bytes) || __builtin_mul_overflow(f->packets, rate, &packets) ||
	    !fits(a, s, e, at->accounted, bytes, packets, flows)) {
		a->refused++;
		return;
	}
	raise_high(a, bytes, packets, flows);
	size_t spare = n_all(a) - 1, pts = n_cells(a);
	struct where pl = { cell_index(a, at->src, FT_DIR_OUT, at->src_class),
	                   cell_index(a, at->dst, FT_DIR_IN, at->dst_class),
	                   at->point_in && at->point_in <= a->np ? pts + 2 * (at->point_in - 1u) + FT_DIR_IN : spare,
	                   at->point_out && at->point_out <= a->np ? pts + 2 * (at->point_out - 1u) + FT_DIR_OUT : spare };
	if (!at->accounted) {
		vadd(&touch(a, end_step(a, s, e))->not_accounted, bytes, packets, flows);
		return;
	}
	/* Most records lie within the open window and span one step or two: found by
	 * stepping back from the newest step (no division), spread with one division per
	 * counter when they span two, added straight into the cells.  A record within one
	 * step is added as if over two with nothing in the first (the same code after the
	 * division, which it skips).  The same parts as add_parts() would give. */
	if (e > s && s >= a->oldest && e <= a->newest + step) {
		size_t de = 0;
		int64_t ste = a->newest;                /* the step holding e - 1 */
		while (ste >= e)
			ste -= step, de++;
		uint64_t b0, p0;
		bool two = s < ste;
		uint64_t w0 = two ? (uint64_t)(ste - s) : 0, w = (uint64_t)(e - s);
		/* within one step, nothing goes to the first: no division (most records, with
		 * steps longer than flows) */
		if (s >= ste - step && (two ? share0(bytes, w0, w, &b0) && share0(packets, w0, w, &p0)
		                            : (b0 = p0 = 0, true))) {
			add_cells(back(a, de + two, two ? ste - step : ste), &pl, b0, p0, 0);
			/* the flow counts in the step holding its end: the next one when it ends
			 * on the boundary, unless that is past the newest */
			bool next = e == ste + step && de > 0;
			add_cells(back(a, de, ste), &pl, bytes - b0, packets - p0, next ? 0 : flows);
			if (__builtin_expect(next, 0))
				add_cells(back(a, de - 1, ste + step), &pl, 0, 0, flows);
			return;
		}
	}
	add_parts(a, s, e, &pl, bytes, packets, flows);
}

void ft_agg_add(struct ft_agg *a, const struct ft_flow *f, const struct ft_attr *at)
{
	add_attributed(a, f, at);
}

void ft_agg_add_batch(struct ft_agg *a, const struct ft_flow *f, const struct ft_attr *at, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add_attributed(a, &f[i], &at[i]);
}

/* ---- steps out --------------------------------------------------------------------------- */

static void vsum(struct ft_volume *d, const struct ft_volume *s)
{
	vadd(d, s->bytes, s->packets, s->flows);
}

static bool vzero(const struct ft_volume *v)
{
	return !v->bytes && !v->packets && !v->flows;
}

/* Adds a named cell to a sorted-later array (duplicates merged after sorting). */
static int push_cell(struct ft_step *st, size_t *cap, const char *tenant, int dir, const char *cls,
                     const struct ft_volume *v)
{
	if (st->n_cells == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct ft_step_cell *c = realloc(st->cells, nc * sizeof(*c));
		if (!c)
			return -ENOMEM;
		st->cells = c;
		*cap = nc;
	}
	struct ft_step_cell *c = &st->cells[st->n_cells++];
	memset(c, 0, sizeof(*c));
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	snprintf(c->class_, sizeof(c->class_), "%s", cls);
	c->direction = (uint8_t)dir;
	c->v = *v;
	return 0;
}

/* The named form of a slot. */
static int to_step(const struct ft_agg *a, const struct slot *s, struct ft_step *st)
{
	size_t cap = 0;
	*st = (struct ft_step){ .start_ms = s->start, .length_ms = a->step, .total = s->total,
	                        .unattributed_src = s->unattr_src, .unattributed_dst = s->unattr_dst,
	                        .late = s->late, .not_accounted = s->not_accounted };
	snprintf(st->map_id, sizeof(st->map_id), "%s", a->map_id);
	for (size_t i = 0; i < n_cells(a); i++) {
		const struct ft_volume *v = &s->cells[i];
		size_t cls = i % a->nc, dir = i / a->nc % 2, t = i / a->nc / 2;
		if (vzero(v))
			continue;
		if (t == FT_TENANT_UNATTRIBUTED) {
			vsum(dir == FT_DIR_OUT ? &st->unattributed_src : &st->unattributed_dst, v);
			continue;
		}
		if (push_cell(st, &cap, a->tenants[t], (int)dir, a->classes[cls], v) < 0)
			goto fail;
	}
	for (size_t i = 0; i < s->n_named; i++)
		if (push_cell(st, &cap, s->named[i].tenant, s->named[i].direction, s->named[i].class_,
		              &s->named[i].v) < 0)
			goto fail;
	ft_step_sort(st);
	/* the accounting interfaces' volumes */
	st->points = calloc(2 * a->np + s->n_named_pts + 1, sizeof(*st->points));
	if (!st->points)
		goto fail;
	for (size_t i = 0; i < 2 * a->np; i++) {
		const struct ft_volume *v = &s->cells[n_cells(a) + i];
		if (!vzero(v))
			st->points[st->n_points++] = (struct ft_step_point){ a->pkeys[i / 2].exporter, a->pkeys[i / 2].ifindex,
			                                                     (uint8_t)(i % 2), *v };
	}
	for (size_t i = 0; i < s->n_named_pts; i++)
		st->points[st->n_points++] = s->named_pts[i];
	ft_step_sort_points(st);
	return 0;
fail:
	ft_step_done(st);
	return -ENOMEM;
}

static int cmp_slot_start(const void *x, const void *y)
{
	const struct slot *a = *(struct slot *const *)x, *b = *(struct slot *const *)y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Closes used slots whose start is before `before`, oldest first. */
static size_t close_before(struct ft_agg *a, int64_t before, struct ft_step *ret, size_t cap)
{
	size_t n = 0, m = 0;
	while (n < cap && a->n_restored) {   /* oldest first, as they were saved */
		ret[n++] = a->restored[0];
		memmove(a->restored, a->restored + 1, (--a->n_restored) * sizeof(*a->restored));
	}
	struct slot **due = a->due;
	for (size_t i = 0; i < a->k; i++)
		if (a->slots[i].used && a->slots[i].start < before)
			due[m++] = &a->slots[i];
	qsort(due, m, sizeof(*due), cmp_slot_start);
	for (size_t i = 0; i < m && n < cap; i++) {
		if (to_step(a, due[i], &ret[n]) < 0)
			break;
		n++;
		due[i]->used = false;
		a->last[0] = a->last[1] = NULL;
	}
	if (n)
		reset_high(a);
	return n;
}

size_t ft_agg_advance(struct ft_agg *a, int64_t now_ms, struct ft_step *ret, size_t cap)
{
	if (now_ms > a->now)
		window(a, now_ms);
	return close_before(a, a->oldest, ret, cap);
}

size_t ft_agg_flush(struct ft_agg *a, struct ft_step *ret, size_t cap)
{
	return close_before(a, INT64_MAX, ret, cap);
}

size_t ft_agg_snapshot(const struct ft_agg *a, struct ft_step *ret, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_restored && n < cap; i++)
		if (ft_step_copy(&a->restored[i], &ret[n]) == 0)
			n++;
	for (size_t i = 0; i < a->k && n < cap; i++)
		if (a->slots[i].used && to_step(a, &a->slots[i], &ret[n]) == 0)
			n++;
	return n;
}

/* ---- named cells: reloads and restores ------------------------------------------------------ */

static int find_name(const struct ft_agg *a, const char *tenant, const char *cls, size_t *rt, size_t *rc)
{
	*rt = SIZE_MAX;
	for (size_t t = 1; t < a->nt && *rt == SIZE_MAX; t++)
		if (strcmp(a->tenants[t], tenant) == 0)
			*rt = t;
	*rc = SIZE_MAX;
	for (size_t c = 0; c < a->nc && *rc == SIZE_MAX; c++)
		if (strcmp(a->classes[c], cls) == 0)
			*rc = c;
	return *rt != SIZE_MAX && *rc != SIZE_MAX ? 0 : -ENOENT;
}

/* Adds named cells into a slot of the current map; names it lacks stay named. */
static int add_named(struct ft_agg *a, struct slot *s, const struct ft_step_cell *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t t, k;
		if (find_name(a, c[i].tenant, c[i].class_, &t, &k) == 0) {
			vsum(cell(a, s, (uint16_t)t, c[i].direction, (uint8_t)k), &c[i].v);
			continue;
		}
		struct ft_step_cell *nn = realloc(s->named, (s->n_named + 1) * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		s->named = nn;
		s->named[s->n_named++] = c[i];
	}
	return 0;
}

/* Adds points into a slot by their interface's key; those the keyed map lacks stay as
 * they are. */
static int add_named_points(struct ft_agg *a, struct slot *s, const struct ft_step_point *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		if (p[i].direction != FT_DIR_OUT && p[i].direction != FT_DIR_IN)
			continue;               /* ft_step_check() refuses such a step before */
		while (k < a->np && !(a->pkeys[k].ifindex == p[i].ifindex && ft_addr_equal(&a->pkeys[k].exporter, &p[i].exporter)))
			k++;
		if (k < a->np) {
			vsum(&s->cells[n_cells(a) + 2 * k + p[i].direction], &p[i].v);
			continue;
		}
		struct ft_step_point *nn = realloc(s->named_pts, (s->n_named_pts + 1) * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		s->named_pts = nn;
		s->named_pts[s->n_named_pts++] = p[i];
	}
	return 0;
}

/* The open slots in named form, and zeroed counter arrays for a map of nt × nc with np
 * accounting interfaces. */
static int unkey(struct ft_agg *a, size_t nt, size_t nc, size_t np, struct ft_step *old, struct ft_volume **cells)
{
	for (size_t i = 0; i < a->k; i++) {
		if (a->slots[i].used && to_step(a, &a->slots[i], &old[i]) < 0)
			return -ENOMEM;
		if (!(cells[i] = calloc(nt * 2 * nc + 2 * np + 1, sizeof(**cells))))
			return -ENOMEM;
	}
	return 0;
}

int ft_agg_set_map(struct ft_agg *a, const struct ft_tenant_map *map)
{
	size_t nt = ft_tenant_map_n_tenants(map), nc = ft_tenant_map_n_classes(map);
	struct ft_step *old = calloc(a->k, sizeof(*old));
	struct ft_volume **cells = calloc(a->k, sizeof(*cells));
	int r = old && cells ? unkey(a, nt, nc, ft_tenant_map_n_point_keys(map), old, cells) : -ENOMEM;
	bool named_lost = false;
	if (r == 0)
		r = key_to(a, map);
	for (size_t i = 0; i < a->k && r == 0; i++) {   /* from here on, every slot is re-keyed */
		struct slot *s = &a->slots[i];
		free(s->cells);
		s->cells = cells[i];
		cells[i] = NULL;
		if (!s->used)
			continue;
		free(s->named);
		s->named = NULL;
		s->n_named = 0;
		free(s->named_pts);
		s->named_pts = NULL;
		s->n_named_pts = 0;
		/* unattributed volume lived in tenant 0's cells: now it is in the step's sums */
		s->unattr_src = old[i].unattributed_src;
		s->unattr_dst = old[i].unattributed_dst;
		if (add_named(a, s, old[i].cells, old[i].n_cells) < 0 ||
		    add_named_points(a, s, old[i].points, old[i].n_points) < 0)
			named_lost = true;
	}
	for (size_t i = 0; i < a->k; i++) {
		if (old)
			ft_step_done(&old[i]);
		if (cells)
			free(cells[i]);
	}
	free(old);
	free(cells);
	return r < 0 ? r : named_lost ? -ENOBUFS : 0;
}

/* False when a step's sums cannot take st's. */
static bool totals_fit(const struct slot *s, const struct ft_step *st)
{
	const struct ft_volume *a[] = { &s->total, &s->late, &s->not_accounted };
	const struct ft_volume *b[] = { &st->total, &st->late, &st->not_accounted };
	for (int i = 0; i < 3; i++)
		if (!vfits(a[i], b[i]->bytes, b[i]->packets, b[i]->flows))
			return false;
	return true;
}

static void add_totals(struct slot *s, const struct ft_step *st)
{
	vsum(&s->total, &st->total);
	vsum(&s->unattr_src, &st->unattributed_src);
	vsum(&s->unattr_dst, &st->unattributed_dst);
	vsum(&s->late, &st->late);
	vsum(&s->not_accounted, &st->not_accounted);
}

int ft_agg_restore(struct ft_agg *a, const struct ft_step *st)
{
	if (st->length_ms != a->step || st->start_ms > a->newest)
		return -EINVAL;
	if (st->start_ms < a->oldest) {
		/* Its window passed while flowtallyd was stopped: it closes as it was. */
		struct ft_step *r = realloc(a->restored, (a->n_restored + 1) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		a->restored = r;
		if (ft_step_copy(st, &r[a->n_restored]) < 0)
			return -ENOMEM;
		a->n_restored++;
		return 0;
	}
	/* A step that passed ft_step_check() has cells, late and unattributed sums within
	 * its total: once the totals fit, so does everything else. */
	if (ft_step_check(st) < 0)
		return -EINVAL;
	struct slot *s = slot_of(a, st->start_ms);
	if (s->used && s->start == st->start_ms && !totals_fit(s, st))
		return -EOVERFLOW;
	s = touch(a, st->start_ms);
	add_totals(s, st);
	vmax(&a->high, &s->total);
	vmax(&a->high, &s->late);
	vmax(&a->high, &s->not_accounted);
	int r = add_named(a, s, st->cells, st->n_cells);
	return r < 0 ? r : add_named_points(a, s, st->points, st->n_points);
}
