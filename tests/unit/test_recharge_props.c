/* Property tests of the monthly recharge (exporters/recharge): random ledgers, series,
 * weights and tariffs, each result compared with a brute-force reference written here
 * from the rules recharge.h states, not from the code that computes them.  The
 * references are slow on purpose (sorting where the code selects, a loop where it
 * rounds up with a formula, one penny at a time where it sorts remainders), so that
 * the two do not share a mistake.
 *
 * Every case draws from its own seed, printed when it fails.  FT_PROPS_SEED=N changes
 * the base seed of every property; FT_PROPS_CASE=SEED replays the one case of that
 * seed in each property. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/ledger.h"
#include "flowtally/recharge.h"

typedef unsigned __int128 u128;

#define BIN FT_RECHARGE_BIN_MS
#define T0 1790812800000LL          /* 2026-10-01T00:00:00Z, a bin boundary */
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define OPEN_FROM INT64_MIN         /* a membership open at the start (recharge.h) */
#define OPEN_UNTIL INT64_MAX        /* and at the end */

/* ---- seeds and the generator -------------------------------------------------------------- */

struct rng {
	uint64_t s;
};

/* splitmix64: small, fast and good enough to spread test cases. */
static uint64_t next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next(r) % n : 0;
}

static uint64_t between(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + below(r, hi - lo + 1);
}

static bool chance(struct rng *r, unsigned percent)
{
	return below(r, 100) < percent;
}

static uint64_t case_seed;
static const char *case_what = "";

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

/* The seed of case i of a property (base differs per property, so they do not repeat
 * one another's draws). */
static uint64_t seed_of(uint64_t base, uint64_t i)
{
	struct rng r = { env_u64("FT_PROPS_SEED", 20261001) ^ base ^ (i * 0xd1b54a32d192ed03ULL) };
	return next(&r);
}

/* The cases to run: n, or the one FT_PROPS_CASE names. */
static uint64_t n_cases(uint64_t n)
{
	return getenv("FT_PROPS_CASE") ? 1 : n;
}

static struct rng start_case(const char *what, uint64_t base, uint64_t i)
{
	case_what = what;
	case_seed = getenv("FT_PROPS_CASE") ? env_u64("FT_PROPS_CASE", 0) : seed_of(base, i);
	return (struct rng){ case_seed };
}

#define REQ(cond, ...)                                                                            \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			char m_[600];                                                             \
			snprintf(m_, sizeof(m_), __VA_ARGS__);                                    \
			ck_abort_msg("%s: case seed %#" PRIx64 " (FT_PROPS_CASE=%#" PRIx64 "): %s: %s",  \
			             case_what, case_seed, case_seed, #cond, m_);                 \
		}                                                                                 \
	} while (0)

/* A 128-bit count in decimal, for messages. */
static const char *u128s(u128 v, char buf[48])
{
	char t[48];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = t[n - 1 - i];
	buf[n] = 0;
	return buf;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile the slow way: sort a copy, find the least k with
 * 100 k >= p n by counting up, take the k-th smallest. */
static uint64_t ref_percentile(const uint64_t *v, size_t n, unsigned p)
{
	if (n == 0)
		return 0;
	uint64_t *c = malloc(n * sizeof(*c));
	ck_assert_ptr_nonnull(c);
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_u64);
	uint64_t k = 0;
	while (100 * k < (uint64_t)p * n)
		k++;
	uint64_t x = c[k - 1];
	free(c);
	return x;
}

/* Largest remainder, exactly and slowly: every floor(amount w / W) in 128 bits, then
 * the pence left over handed out one at a time, each to the largest remainder
 * (amount w mod W: all have the same denominator) not served yet, ties to the name
 * first in strcmp order, then to the lower index. */
static int ref_shares(uint64_t amount, const u128 *w, const char *const *name, size_t n, uint64_t *ret)
{
	if (n == 0)
		return -EINVAL;
	u128 W = 0;
	for (size_t i = 0; i < n; i++)
		if (__builtin_add_overflow(W, w[i], &W))
			return -EOVERFLOW;
	if (W == 0)
		return -EINVAL;
	u128 *rem = calloc(n, sizeof(*rem));
	bool *served = calloc(n, sizeof(*served));
	ck_assert(rem && served);
	u128 given = 0;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		u128 p;
		if (__builtin_mul_overflow((u128)amount, w[i], &p)) {
			r = -EOVERFLOW;
			break;
		}
		ret[i] = (uint64_t)(p / W);
		rem[i] = p % W;
		given += p / W;
	}
	if (r == 0) {
		ck_assert(given <= amount);
		for (u128 left = amount - given; left > 0; left--) {
			size_t best = n;
			for (size_t i = 0; i < n; i++) {
				if (served[i])
					continue;
				if (best == n || rem[i] > rem[best]) {
					best = i;
					continue;
				}
				if (rem[i] < rem[best] || !name)
					continue;
				if (strcmp(name[i], name[best]) < 0)
					best = i;
			}
			ck_assert(best < n);
			served[best] = true;
			ret[best]++;
		}
	}
	free(rem);
	free(served);
	return r;
}

/* ---- 1. ledgers -> ft_bins_read ------------------------------------------------------------- */

static const char *const TEN[] = { "acme", "beta", "city", "delta" };     /* strcmp order */
static const char *const CLS[] = { "internet", "janet", "peering" };      /* strcmp order */
#define NT N_OF(TEN)
#define NC N_OF(CLS)
static const char *const MAPS[] = { "aa11", "bb22", "cc33" };
#define MAX_DIRS 3

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

/* A temporary directory: on tmpfs when there is one, since every block is fsynced. */
static char *tmp_dir(void)
{
	const char *base = getenv("TMPDIR");
	struct stat st;
	if (!base || !*base)
		base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
		                                                                                        : "/tmp";
	char *d = malloc(strlen(base) + 32);
	ck_assert_ptr_nonnull(d);
	sprintf(d, "%s/ft-props-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void rm_dir(char *d)
{
	nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

/* The test's directory, made and removed outside the test's process, so that a failing
 * case (which ends that process) leaves nothing behind. */
static char *test_root;

static void root_make(void)
{
	test_root = tmp_dir();
}

static void root_remove(void)
{
	rm_dir(test_root);
	test_root = NULL;
}

/* A case's directory inside it (one of its own: a failed case's stays until the end). */
static char *case_dir(void)
{
	char *d = malloc(strlen(test_root) + 16);
	ck_assert_ptr_nonnull(d);
	sprintf(d, "%s/case-XXXXXX", test_root);
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static uint64_t rand_bytes(struct rng *r)
{
	switch (below(r, 6)) {
	case 0: return 0;
	case 1: return below(r, 4);
	case 2: return below(r, 2000);
	case 3: return below(r, 1u << 20);
	case 4: return below(r, 1ULL << 36);
	default: return 1000 * below(r, 5);    /* ties */
	}
}

/* Adds c to a, asserting no wrap (the generator keeps sums small). */
static void vadd(struct ft_volume *a, const struct ft_volume *c)
{
	ck_assert(ft_volume_add_checked(a, c));
}

/* A step of [start, start + len) with random cells of random tenants and classes
 * (sorted as the ledger wants: tenant, direction, class) and totals that balance:
 * Σ out + unattributed_src = total = Σ in + unattributed_dst. */
static struct ft_step rand_step(struct rng *r, int64_t start, int64_t len, const char *map)
{
	struct ft_step s = { .start_ms = start, .length_ms = len };
	s.cells = calloc(NT * NC * 2 + 1, sizeof(*s.cells));
	ck_assert_ptr_nonnull(s.cells);
	struct ft_volume sum[2] = { { 0 } };
	unsigned tenant_p = (unsigned)between(r, 10, 90), cell_p = (unsigned)between(r, 20, 80);
	for (size_t t = 0; t < NT; t++) {
		if (!chance(r, tenant_p))
			continue;
		for (int dir = FT_DIR_OUT; dir <= FT_DIR_IN; dir++)
			for (size_t c = 0; c < NC; c++) {
				if (!chance(r, cell_p))
					continue;
				struct ft_step_cell *e = &s.cells[s.n_cells++];
				snprintf(e->tenant, sizeof(e->tenant), "%s", TEN[t]);
				snprintf(e->class_, sizeof(e->class_), "%s", CLS[c]);
				e->direction = (uint8_t)dir;
				e->v.bytes = rand_bytes(r);
				e->v.packets = below(r, 3) ? e->v.bytes / 700 + below(r, 3) : 0;
				e->v.flows = below(r, 20);
				vadd(&sum[dir], &e->v);
			}
	}
	/* total: at least each side's cells, and sometimes more (traffic of no tenant) */
	uint64_t *so = &sum[FT_DIR_OUT].bytes, *si = &sum[FT_DIR_IN].bytes;
	uint64_t *to = &s.total.bytes, *us = &s.unattributed_src.bytes, *ud = &s.unattributed_dst.bytes;
	for (int f = 0; f < 3; f++) {
		uint64_t hi = so[f] > si[f] ? so[f] : si[f];
		to[f] = hi + (chance(r, 50) ? rand_bytes(r) : 0);
		us[f] = to[f] - so[f];
		ud[f] = to[f] - si[f];
	}
	if (chance(r, 10))
		s.late.bytes = below(r, 1000);
	snprintf(s.map_id, sizeof(s.map_id), "%s", map);
	ck_assert_int_eq(ft_step_check(&s), 0);
	return s;
}

struct written {
	size_t dir;
	struct ft_step s;
};

struct exp_series {
	bool met;
	uint64_t *in, *out;
	struct ft_volume vin, vout;
};

static void exp_alloc(struct exp_series *e, size_t nb)
{
	memset(e, 0, sizeof(*e));
	e->in = calloc(nb + 1, sizeof(uint64_t));
	e->out = calloc(nb + 1, sizeof(uint64_t));
	ck_assert(e->in && e->out);
}

static void exp_add(struct exp_series *e, size_t k, int dir, const struct ft_volume *v)
{
	e->met = true;
	if (dir == FT_DIR_IN) {
		ck_assert(!__builtin_add_overflow(e->in[k], v->bytes, &e->in[k]));
		vadd(&e->vin, v);
	} else {
		ck_assert(!__builtin_add_overflow(e->out[k], v->bytes, &e->out[k]));
		vadd(&e->vout, v);
	}
}

static bool vol_eq(const struct ft_volume *a, const struct ft_volume *b)
{
	return a->bytes == b->bytes && a->packets == b->packets && a->flows == b->flows;
}

static bool exp_zero(const struct exp_series *e, size_t nb)
{
	const struct ft_volume z = { 0 };
	for (size_t k = 0; k < nb; k++)
		if (e->in[k] || e->out[k])
			return false;
	return vol_eq(&e->vin, &z) && vol_eq(&e->vout, &z);
}

static void cmp_series(const struct exp_series *e, const struct ft_bin_series *s, size_t nb)
{
	for (size_t k = 0; k < nb; k++) {
		REQ(s->in[k] == e->in[k], "%s/%s bin %zu in: got %" PRIu64 ", want %" PRIu64, s->tenant, s->class_, k,
		    s->in[k], e->in[k]);
		REQ(s->out[k] == e->out[k], "%s/%s bin %zu out: got %" PRIu64 ", want %" PRIu64, s->tenant, s->class_,
		    k, s->out[k], e->out[k]);
	}
	REQ(vol_eq(&s->vin, &e->vin), "%s/%s vin: got %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", want %" PRIu64 "/%" PRIu64
	    "/%" PRIu64, s->tenant, s->class_, s->vin.bytes, s->vin.packets, s->vin.flows, e->vin.bytes,
	    e->vin.packets, e->vin.flows);
	REQ(vol_eq(&s->vout, &e->vout), "%s/%s vout: got %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", want %" PRIu64 "/%"
	    PRIu64 "/%" PRIu64, s->tenant, s->class_, s->vout.bytes, s->vout.packets, s->vout.flows, e->vout.bytes,
	    e->vout.packets, e->vout.flows);
}

/* One random case: 1 to 3 ledgers with steps of 30, 60 or 300 s (a ledger may change
 * its length between steps, as after a restart with another configuration), steps
 * missing at random and in runs, steps before and after the range, then the bins
 * against sums over the steps kept here. */
static void one_ledger_case(struct rng *r)
{
	static const int64_t lens[] = { 30000, 60000, 300000 };
	char *root = case_dir();
	size_t n_dirs = chance(r, 60) ? 1 : chance(r, 70) ? 2 : 3;
	size_t nb = (size_t)between(r, 1, 12);
	int64_t start = T0 + (int64_t)below(r, 3000) * BIN, end = start + (int64_t)nb * BIN;
	char dirs_buf[MAX_DIRS][300];
	const char *dirs[MAX_DIRS];
	char head[MAX_DIRS][65] = { "", "", "" };
	struct written *w = NULL;
	size_t n_w = 0, cap_w = 0;

	for (size_t d = 0; d < n_dirs; d++) {
		snprintf(dirs_buf[d], sizeof(dirs_buf[d]), "%s/c%zu", root, d);
		dirs[d] = dirs_buf[d];
		struct ft_ledger *l;
		ck_assert_int_eq(ft_ledger_open(dirs[d], &l), 0);
		int64_t len = lens[below(r, 3)];
		unsigned miss = chance(r, 30) ? 0 : (unsigned)between(r, 1, 15);
		const char *map = MAPS[below(r, 2)];
		/* from up to two bins before the range to a bin after it */
		int64_t t = start - (int64_t)below(r, 3) * BIN;
		while (t < end + BIN) {
			if (chance(r, 8))
				len = lens[below(r, 3)];
			while (t % len)
				len = lens[below(r, 2)];   /* 30 s always fits, 60 s often */
			if (chance(r, 3))
				map = MAPS[below(r, 3)];
			if (chance(r, 2)) {        /* an outage of up to two bins */
				t += (int64_t)between(r, 1, 20) * 30000;
				continue;
			}
			if (chance(r, miss)) {
				t += len;
				continue;
			}
			struct ft_step s = rand_step(r, t, len, map);
			int a = ft_ledger_append(l, &s);
			REQ(a == 0, "append at %" PRId64 " len %" PRId64 ": %d", t, len, a);
			if (t >= start && t < end)
				snprintf(head[d], sizeof(head[d]), "%s", ft_ledger_head(l));
			if (n_w == cap_w) {
				cap_w = cap_w ? 2 * cap_w : 256;
				w = realloc(w, cap_w * sizeof(*w));
				ck_assert_ptr_nonnull(w);
			}
			w[n_w++] = (struct written){ d, s };
			t += len;
		}
		ft_ledger_close(l);
	}

	/* the reference: every step kept, those starting inside the range, bin by bin */
	struct exp_series ex[NT][NC + 1], un, tot;
	for (size_t t = 0; t < NT; t++)
		for (size_t c = 0; c <= NC; c++)
			exp_alloc(&ex[t][c], nb);
	exp_alloc(&un, nb);
	exp_alloc(&tot, nb);
	int64_t *covered = calloc(MAX_DIRS * nb, sizeof(*covered));
	uint64_t steps = 0, dsteps[MAX_DIRS] = { 0 };
	struct {
		int64_t first, end;
		uint64_t steps;
	} mexp[N_OF(MAPS)] = { { 0 } };
	for (size_t i = 0; i < n_w; i++) {
		const struct ft_step *s = &w[i].s;
		if (s->start_ms < start || s->start_ms >= end)
			continue;
		size_t k = (size_t)((s->start_ms - start) / BIN);
		ck_assert(s->start_ms + s->length_ms <= start + (int64_t)(k + 1) * BIN);
		covered[w[i].dir * nb + k] += s->length_ms;
		steps++;
		dsteps[w[i].dir]++;
		for (size_t m = 0; m < N_OF(MAPS); m++)
			if (strcmp(s->map_id, MAPS[m]) == 0) {
				if (!mexp[m].steps || s->start_ms < mexp[m].first)
					mexp[m].first = s->start_ms;
				if (!mexp[m].steps || s->start_ms + s->length_ms > mexp[m].end)
					mexp[m].end = s->start_ms + s->length_ms;
				mexp[m].steps++;
			}
		for (size_t j = 0; j < s->n_cells; j++) {
			const struct ft_step_cell *c = &s->cells[j];
			size_t ti = NT, ci = NC;
			for (size_t x = 0; x < NT; x++)
				if (strcmp(c->tenant, TEN[x]) == 0)
					ti = x;
			for (size_t x = 0; x < NC; x++)
				if (strcmp(c->class_, CLS[x]) == 0)
					ci = x;
			ck_assert(ti < NT && ci < NC);
			exp_add(&ex[ti][0], k, c->direction, &c->v);
			exp_add(&ex[ti][ci + 1], k, c->direction, &c->v);
		}
		exp_add(&un, k, FT_DIR_IN, &s->unattributed_dst);
		exp_add(&un, k, FT_DIR_OUT, &s->unattributed_src);
		exp_add(&tot, k, FT_DIR_IN, &s->total);
		exp_add(&tot, k, FT_DIR_OUT, &s->total);
	}

	struct ft_bins b;
	struct ft_diag diag = { 0 };
	int rc = ft_bins_read(dirs, n_dirs, start, end, &b, &diag);
	REQ(rc == 0, "ft_bins_read: %d (%s)", rc, diag.n ? diag.lines[0] : "");
	REQ(diag.errors == 0, "%s", diag.lines[0]);
	REQ(b.start_ms == start && b.end_ms == end && b.n_bins == nb, "range");
	REQ(b.steps == steps, "steps: got %" PRIu64 ", want %" PRIu64, b.steps, steps);
	REQ(b.damaged == 0 && b.breaks == 0, "damaged %" PRIu64 " breaks %" PRIu64, b.damaged, b.breaks);
	uint64_t present = 0;
	for (size_t k = 0; k < nb; k++) {
		bool p = true;
		for (size_t d = 0; d < n_dirs; d++)
			p = p && covered[d * nb + k] == BIN;
		present += p;
		REQ(!!b.present[k] == p, "bin %zu present: got %d, want %d", k, b.present[k], p);
	}
	REQ(b.present_bins == present, "present_bins: got %" PRIu64 ", want %" PRIu64, b.present_bins, present);

	/* every series the bins hold is one of the reference's, in (tenant, class) order */
	bool seen[NT][NC + 1] = { { false } }, seen_un = false, seen_tot = false;
	for (size_t i = 0; i < b.n_series; i++) {
		const struct ft_bin_series *s = &b.series[i];
		if (i > 0) {
			const struct ft_bin_series *p = &b.series[i - 1];
			int c = strcmp(p->tenant, s->tenant);
			REQ(c < 0 || (c == 0 && strcmp(p->class_, s->class_) < 0), "series %s/%s after %s/%s", s->tenant,
			    s->class_, p->tenant, p->class_);
		}
		REQ(ft_bins_find(&b, s->tenant, s->class_) == s, "ft_bins_find %s/%s", s->tenant, s->class_);
		if (strcmp(s->tenant, "unattributed") == 0 && !s->class_[0]) {
			cmp_series(&un, s, nb);
			seen_un = true;
			continue;
		}
		if (strcmp(s->tenant, "total") == 0 && !s->class_[0]) {
			cmp_series(&tot, s, nb);
			seen_tot = true;
			continue;
		}
		size_t ti = NT, ci = NC + 1;
		for (size_t x = 0; x < NT; x++)
			if (strcmp(s->tenant, TEN[x]) == 0)
				ti = x;
		if (!s->class_[0])
			ci = 0;
		for (size_t x = 0; x < NC; x++)
			if (strcmp(s->class_, CLS[x]) == 0)
				ci = x + 1;
		REQ(ti < NT && ci <= NC, "a series no step made: %s/%s", s->tenant, s->class_);
		cmp_series(&ex[ti][ci], s, nb);
		seen[ti][ci] = true;
	}
	/* and every one the steps made is there (one of nothing but zeros may be left out) */
	for (size_t t = 0; t < NT; t++)
		for (size_t c = 0; c <= NC; c++)
			REQ(seen[t][c] || !ex[t][c].met || exp_zero(&ex[t][c], nb), "no series %s/%s", TEN[t],
			    c ? CLS[c - 1] : "");
	REQ(seen_un || exp_zero(&un, nb), "no unattributed series");
	REQ(seen_tot || exp_zero(&tot, nb), "no total series");

	/* the maps met and the sources read */
	size_t maps_met = 0;
	for (size_t m = 0; m < N_OF(MAPS); m++) {
		if (!mexp[m].steps)
			continue;
		maps_met++;
		size_t j = 0;
		while (j < b.n_maps && strcmp(b.maps[j].id, MAPS[m]) != 0)
			j++;
		REQ(j < b.n_maps, "map %s not listed", MAPS[m]);
		REQ(b.maps[j].steps == mexp[m].steps, "map %s steps: got %" PRIu64 ", want %" PRIu64, MAPS[m],
		    b.maps[j].steps, mexp[m].steps);
		REQ(b.maps[j].first_ms == mexp[m].first && b.maps[j].end_ms == mexp[m].end,
		    "map %s: got [%" PRId64 ", %" PRId64 "), want [%" PRId64 ", %" PRId64 ")", MAPS[m], b.maps[j].first_ms,
		    b.maps[j].end_ms, mexp[m].first, mexp[m].end);
	}
	REQ(b.n_maps == maps_met && b.maps_more == 0, "maps: got %zu, want %zu", b.n_maps, maps_met);
	REQ(b.n_sources == n_dirs, "sources");
	for (size_t d = 0; d < n_dirs; d++) {
		REQ(strcmp(b.sources[d].dir, dirs[d]) == 0, "source %zu: %.200s", d, b.sources[d].dir);
		REQ(b.sources[d].steps == dsteps[d], "source %zu steps: got %" PRIu64 ", want %" PRIu64, d,
		    b.sources[d].steps, dsteps[d]);
		REQ(strcmp(b.sources[d].head, head[d]) == 0, "source %zu head: got '%s', want '%s'", d,
		    b.sources[d].head, head[d]);
	}

	ft_bins_done(&b);
	ft_diag_done(&diag);
	for (size_t t = 0; t < NT; t++)
		for (size_t c = 0; c <= NC; c++)
			free(ex[t][c].in), free(ex[t][c].out);
	free(un.in), free(un.out), free(tot.in), free(tot.out);
	free(covered);
	for (size_t i = 0; i < n_w; i++)
		ft_step_done(&w[i].s);
	free(w);
	rm_dir(root);
}

START_TEST(bins_are_the_sums_of_random_ledgers)
{
	for (uint64_t i = 0; i < n_cases(100); i++) {
		struct rng r = start_case("bins", 0x1111, i);
		one_ledger_case(&r);
	}
}
END_TEST

/* A step of one cell: tenant acme, in, class internet, b bytes; balanced. */
static struct ft_step big_step(int64_t start, uint64_t b)
{
	struct ft_step s = { .start_ms = start, .length_ms = BIN, .n_cells = 1 };
	s.cells = calloc(1, sizeof(*s.cells));
	ck_assert_ptr_nonnull(s.cells);
	snprintf(s.cells[0].tenant, FT_NAME_MAX, "acme");
	snprintf(s.cells[0].class_, FT_NAME_MAX, "internet");
	s.cells[0].direction = FT_DIR_IN;
	s.cells[0].v.bytes = b;
	s.total.bytes = b;
	s.unattributed_src.bytes = b;
	snprintf(s.map_id, sizeof(s.map_id), "aa11");
	return s;
}

/* Sums past 2^64 - 1: within a bin (two collectors' steps) ft_bins_read says
 * -EOVERFLOW, as documented; across the month's bins the exact volume cannot be held
 * either, and must not come back wrapped. */
START_TEST(bins_never_wrap)
{
	case_what = "bins_never_wrap";
	case_seed = 0;
	char *root = case_dir(), d1[300], d2[300];
	snprintf(d1, sizeof(d1), "%s/a", root);
	snprintf(d2, sizeof(d2), "%s/b", root);
	struct ft_ledger *l;
	/* one bin, two ledgers of 2^63 each */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(ft_ledger_open(i ? d2 : d1, &l), 0);
		struct ft_step s = big_step(T0, 1ULL << 63);
		ck_assert_int_eq(ft_ledger_append(l, &s), 0);
		ft_step_done(&s);
		if (i == 0) {           /* and a second bin of 2^63 in the first */
			s = big_step(T0 + BIN, 1ULL << 63);
			ck_assert_int_eq(ft_ledger_append(l, &s), 0);
			ft_step_done(&s);
		}
		ft_ledger_close(l);
	}
	const char *both[] = { d1, d2 }, *one[] = { d1 };
	struct ft_bins b;
	ck_assert_int_eq(ft_bins_read(both, 2, T0, T0 + BIN, &b, NULL), -EOVERFLOW);
	/* bins 0 and 1 of d1: each fits, the month's 2^64 bytes in does not */
	int rc = ft_bins_read(one, 1, T0, T0 + 2 * BIN, &b, NULL);
	if (rc == 0) {
		const struct ft_bin_series *s = ft_bins_find(&b, "acme", "");
		ck_assert_ptr_nonnull(s);
		REQ(false, "two bins of 2^63 bytes read as a month of %" PRIu64 " bytes in (bins %" PRIu64 ", %" PRIu64
		    "): the volume wrapped", s->vin.bytes, s->in[0], s->in[1]);
	}
	ck_assert_int_eq(rc, -EOVERFLOW);
	rm_dir(root);
}
END_TEST

/* ---- 2. percentiles ---------------------------------------------------------------------- */

START_TEST(percentile_is_the_nearest_rank)
{
	uint64_t *v = malloc(2001 * sizeof(*v)), *keep = malloc(2001 * sizeof(*keep));
	ck_assert(v && keep);
	for (uint64_t i = 0; i < n_cases(4000); i++) {
		struct rng r = start_case("percentile", 0x2222, i);
		size_t n = chance(&r, 30) ? (size_t)below(&r, 21) : (size_t)below(&r, 2001);
		int mode = (int)below(&r, 4);
		uint64_t range = between(&r, 1, 5);
		for (size_t k = 0; k < n; k++)
			switch (mode) {
			case 0: v[k] = below(&r, range); break;                  /* mostly ties */
			case 1: v[k] = next(&r); break;
			case 2: v[k] = chance(&r, 50) ? UINT64_MAX - below(&r, 3) : below(&r, 3); break;
			default: v[k] = rand_bytes(&r); break;
			}
		memcpy(keep, v, n * sizeof(*v));
		unsigned p = chance(&r, 20) ? (chance(&r, 50) ? 95 : (chance(&r, 50) ? 1 : 100))
		                            : (unsigned)between(&r, 1, 100);
		uint64_t got = 12345, want = ref_percentile(v, n, p);
		int rc = ft_recharge_percentile(v, n, p, &got);
		REQ(rc == 0, "n %zu p %u: %d", n, p, rc);
		REQ(got == want, "n %zu p %u: got %" PRIu64 ", want %" PRIu64, n, p, got, want);
		REQ(memcmp(keep, v, n * sizeof(*v)) == 0, "n %zu p %u: the values were changed", n, p);
		/* the rank helper agrees with counting up */
		uint64_t k = 0;
		while (n && 100 * k < (uint64_t)p * n)
			k++;
		REQ(ft_recharge_rank(n, p) == k, "rank n %zu p %u: got %" PRIu64 ", want %" PRIu64, n, p,
		    ft_recharge_rank(n, p), k);
		if (i % 64 == 0) {
			REQ(ft_recharge_percentile(v, n, 0, &got) == -EINVAL, "p 0");
			REQ(ft_recharge_percentile(v, n, 101, &got) == -EINVAL, "p 101");
		}
	}
	free(v);
	free(keep);
}
END_TEST

/* ---- 3. shares --------------------------------------------------------------------------- */

static const char *const SNAMES[] = { "a", "b", "B", "ab", "acme", "z", "a b", "city", "City", "ç" };

static u128 rand_weight(struct rng *r, int mode)
{
	switch (mode) {
	case 0: return chance(r, 40) ? 0 : below(r, 4);                      /* ties and zeros */
	case 1: return chance(r, 20) ? 0 : (1ULL << 63) - below(r, 3);       /* near 2^63 */
	case 2: return chance(r, 20) ? 0 : UINT64_MAX - below(r, 3);
	case 3: return next(r) >> below(r, 64);
	case 4: {                                                            /* past 2^64 */
		u128 w = ((u128)next(r) << 64 | next(r)) >> below(r, 128);
		return chance(r, 30) ? 0 : w;
	}
	default:
		switch (below(r, 4)) {
		case 0: return 0;
		case 1: return below(r, 10);
		case 2: return (1ULL << 63) + below(r, 5) - 2;
		default: return next(r);
		}
	}
}

START_TEST(shares_are_the_largest_remainders)
{
	enum { NMAX = 300 };
	u128 *w = malloc(NMAX * sizeof(*w));
	uint64_t *got = malloc(NMAX * sizeof(*got)), *want = malloc(NMAX * sizeof(*want));
	const char **names = malloc(NMAX * sizeof(*names));
	ck_assert(w && got && want && names);
	uint64_t einval = 0, eoverflow = 0, ok = 0;
	for (uint64_t i = 0; i < n_cases(20000); i++) {
		struct rng r = start_case("shares", 0x3333, i);
		size_t n = chance(&r, 90) ? (size_t)below(&r, 12) : (size_t)below(&r, NMAX + 1);
		int mode = (int)below(&r, 6);
		bool wide = mode == 4;
		for (size_t k = 0; k < n; k++)
			w[k] = rand_weight(&r, mode);
		if (chance(&r, 3))
			for (size_t k = 0; k < n; k++)
				w[k] = 0;
		uint64_t amount;
		switch (below(&r, 6)) {
		case 0: amount = below(&r, 3); break;
		case 1: amount = below(&r, 100); break;
		case 2: amount = below(&r, 10000000); break;
		case 3: amount = UINT64_MAX - below(&r, 2); break;
		case 4: amount = wide ? below(&r, 1000) : next(&r); break;
		default: amount = next(&r) >> below(&r, 64); break;
		}
		bool named = chance(&r, 75);
		for (size_t k = 0; k < n; k++)
			names[k] = SNAMES[below(&r, chance(&r, 50) ? 3 : N_OF(SNAMES))];
		const char *const *nm = named ? names : NULL;
		int wr = ref_shares(amount, w, nm, n, want);
		int rc = ft_recharge_shares(amount, w, nm, n, got);
		char b1[48];
		REQ(rc == wr, "n %zu amount %" PRIu64 " w[0] %s: got %d, want %d", n, amount, n ? u128s(w[0], b1) : "-",
		    rc, wr);
		einval += rc == -EINVAL;
		eoverflow += rc == -EOVERFLOW;
		if (rc != 0)
			continue;
		ok++;
		u128 sum = 0;
		for (size_t k = 0; k < n; k++) {
			sum += got[k];
			REQ(got[k] == want[k], "n %zu amount %" PRIu64 " share %zu (weight %s, name %s): got %" PRIu64
			    ", want %" PRIu64, n, amount, k, u128s(w[k], b1), nm ? nm[k] : "-", got[k], want[k]);
			REQ(w[k] || got[k] == 0, "a weight of 0 got %" PRIu64, got[k]);
		}
		REQ(sum == amount, "n %zu: the shares sum to %s, not %" PRIu64, n, u128s(sum, b1), amount);
	}
	/* the draws reached every outcome */
	if (!getenv("FT_PROPS_CASE"))
		ck_assert(einval > 100 && eoverflow > 100 && ok > 10000);
	free(w), free(got), free(want), free(names);
}
END_TEST

/* ---- 4. the statement -------------------------------------------------------------------- */

/* Tenant names, some of them sorting apart from their case. */
static const char *const STEN[] = { "Zeta", "acme", "beta", "beta-2", "city", "county", "fire" };
#define NST N_OF(STEN)

static int cmp_series_key(const void *a, const void *b)
{
	const struct ft_bin_series *x = a, *y = b;
	int c = strcmp(x->tenant, y->tenant);
	return c ? c : strcmp(x->class_, y->class_);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static uint64_t rand_bin(struct rng *r, int mode)
{
	switch (mode) {
	case 0: return 0;
	case 1: return 100 * below(r, 4);              /* ties */
	case 2: return below(r, 1u << 20);
	case 3: return below(r, 1ULL << 40);
	default: return chance(r, 70) ? below(r, 50) : below(r, 1ULL << 30);
	}
}

/* A member's membership edge: open, on a bin boundary of the month or around it, or
 * inside a bin. */
static int64_t rand_edge(struct rng *r, int64_t start, size_t nb, int64_t open)
{
	switch (below(r, 5)) {
	case 0:
	case 1: return open;
	case 2: return start + (int64_t)below(r, nb + 1) * BIN;
	case 3: return start + (int64_t)below(r, nb) * BIN + (int64_t)between(r, 1, BIN - 1);
	default: return start + ((int64_t)below(r, 5) - 2) * BIN + ((int64_t)below(r, 3) - 1) * (int64_t)below(r, BIN);
	}
}

struct tref {
	const char *name;
	int64_t from, until;
	uint64_t bins_member, n;
	uint64_t p95[4];
	const struct ft_bin_series *all;    /* its "" series, or NULL */
};

/* A tenant's four 95th percentiles over the bins where keep[k], from series s (NULL:
 * zeros). */
static void ref_p95(const struct ft_bins *b, const struct ft_bin_series *s, const bool *keep, uint64_t out[4])
{
	uint64_t *v[4];
	size_t n = 0;
	for (int m = 0; m < 4; m++) {
		v[m] = calloc(b->n_bins + 1, sizeof(uint64_t));
		ck_assert_ptr_nonnull(v[m]);
	}
	for (size_t k = 0; k < b->n_bins; k++) {
		if (!keep[k])
			continue;
		uint64_t in = s ? s->in[k] : 0, ou = s ? s->out[k] : 0;
		v[FT_METRIC_IN][n] = in;
		v[FT_METRIC_OUT][n] = ou;
		v[FT_METRIC_IN_PLUS_OUT][n] = in + ou;      /* the generator keeps these small */
		v[FT_METRIC_MAX_IN_OUT][n] = in > ou ? in : ou;
		n++;
	}
	for (int m = 0; m < 4; m++) {
		out[m] = ref_percentile(v[m], n, 95);
		free(v[m]);
	}
}

static const struct ft_bin_series *find_series(const struct ft_bins *b, const char *t, const char *c)
{
	for (size_t i = 0; i < b->n_series; i++)
		if (strcmp(b->series[i].tenant, t) == 0 && strcmp(b->series[i].class_, c) == 0)
			return &b->series[i];
	return NULL;
}

static u128 dir_of(uint64_t in, uint64_t out, int dir)
{
	return (dir & FT_POOL_IN ? (u128)in : 0) + (dir & FT_POOL_OUT ? (u128)out : 0);
}

/* What the generator meant a pool to be, to check the parsed tariff against and to work
 * the weights out from. */
struct gpool {
	int basis, dir, metric;
	bool prorate;
	bool member[NST];       /* by index into the sorted tenants: members (all when none listed) */
	bool cls[3];
	bool any_cls;
	uint64_t weight[NST];   /* weights pools */
	uint64_t amount;
};

struct gfixed {
	size_t tenant;
	uint64_t pence;
	char desc[40];
};

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		ck_assert_int_ge(n, 0);
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return;
		}
		*cap = 2 * *cap + (size_t)n;
		*buf = realloc(*buf, *cap);
		ck_assert_ptr_nonnull(*buf);
	}
}

static void one_statement_case(struct rng *r, uint64_t *zero_pools)
{
	static const char *const dirn[] = { NULL, "in", "out", "both" };
	static const char *const metn[] = { "in", "out", "in_plus_out", "max_in_out" };
	static const char *const basn[] = { "volume", "p95", "peak_share", "equal", "weights" };

	/* the month's bins */
	size_t nb = chance(r, 50) ? (size_t)between(r, 1, 40) : (size_t)between(r, 41, 400);
	int64_t start = T0 + (int64_t)below(r, 1000) * BIN, end = start + (int64_t)nb * BIN;
	struct ft_bins b = { .start_ms = start, .end_ms = end, .n_bins = nb };
	b.present = calloc(nb + 1, 1);
	ck_assert_ptr_nonnull(b.present);
	unsigned pp = chance(r, 10) ? 100 : chance(r, 5) ? 0 : (unsigned)between(r, 50, 99);
	for (size_t k = 0; k < nb; k++) {
		b.present[k] = chance(r, pp);
		if (!b.present[k] && chance(r, 30))  /* runs of missing bins */
			for (size_t e = k + between(r, 1, 10); k + 1 < nb && k + 1 < e; k++)
				b.present[k + 1] = 0;
	}
	for (size_t k = 0; k < nb; k++)
		b.present_bins += b.present[k];

	/* the members: a random subset of the names, given in a random order */
	size_t n_m = 0;
	struct ft_statement_member mem[NST];
	size_t perm[NST];
	for (size_t i = 0; i < NST; i++)
		perm[i] = i;
	for (size_t i = NST; i > 1; i--) {
		size_t j = (size_t)below(r, i), t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	size_t want_m = (size_t)between(r, 1, NST);
	for (size_t i = 0; i < want_m; i++) {
		struct ft_statement_member *m = &mem[n_m++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", STEN[perm[i]]);
		snprintf(m->cost_centre, sizeof(m->cost_centre), "CC-%zu", perm[i]);
		m->from_ms = rand_edge(r, start, nb, OPEN_FROM);
		m->until_ms = rand_edge(r, start, nb, OPEN_UNTIL);
	}

	/* series: members' traffic (all bins, inside their membership or not), per class and
	 * their sum, plus unattributed and total */
	b.series = calloc(n_m * 4 + 3, sizeof(*b.series));
	ck_assert_ptr_nonnull(b.series);
	/* a case of few distinct values, so that busy bins tie and percentiles sit in runs */
	int case_mode = chance(r, 30) ? 1 : -1;
	for (size_t i = 0; i < n_m; i++) {
		if (chance(r, 15))
			continue;       /* a member without traffic */
		size_t all = b.n_series++;
		struct ft_bin_series *sa = &b.series[all];
		memcpy(sa->tenant, mem[i].name, sizeof(sa->tenant));
		sa->in = calloc(nb, sizeof(uint64_t));
		sa->out = calloc(nb, sizeof(uint64_t));
		ck_assert(sa->in && sa->out);
		int mode = case_mode >= 0 ? case_mode : (int)below(r, 5);
		for (size_t c = 0; c < NC; c++) {
			if (chance(r, 40))
				continue;
			struct ft_bin_series *s = &b.series[b.n_series++];
			sa = &b.series[all];
			memcpy(s->tenant, mem[i].name, sizeof(s->tenant));
			snprintf(s->class_, sizeof(s->class_), "%s", CLS[c]);
			s->in = calloc(nb, sizeof(uint64_t));
			s->out = calloc(nb, sizeof(uint64_t));
			ck_assert(s->in && s->out);
			for (size_t k = 0; k < nb; k++) {
				s->in[k] = rand_bin(r, mode);
				s->out[k] = chance(r, 20) ? s->in[k] : rand_bin(r, mode);
				s->vin.bytes += s->in[k];
				s->vout.bytes += s->out[k];
				sa->in[k] += s->in[k];
				sa->out[k] += s->out[k];
			}
			s->vin.packets = below(r, 1000);
			s->vout.flows = below(r, 1000);
			vadd(&sa->vin, &s->vin);
			vadd(&sa->vout, &s->vout);
		}
	}
	for (int u = 0; u < 2; u++) {
		struct ft_bin_series *s = &b.series[b.n_series++];
		snprintf(s->tenant, sizeof(s->tenant), "%s", u ? "total" : "unattributed");
		s->in = calloc(nb, sizeof(uint64_t));
		s->out = calloc(nb, sizeof(uint64_t));
		ck_assert(s->in && s->out);
		s->vin = (struct ft_volume){ below(r, 1ULL << 40), below(r, 1000), below(r, 100) };
		s->vout = u ? s->vin : (struct ft_volume){ below(r, 1ULL << 40), below(r, 1000), below(r, 100) };
	}
	qsort(b.series, b.n_series, sizeof(*b.series), cmp_series_key);

	/* the reference's tenants, by name */
	const char *sorted[NST];
	for (size_t i = 0; i < n_m; i++)
		sorted[i] = mem[i].name;
	qsort(sorted, n_m, sizeof(*sorted), cmp_str);
	struct tref tr[NST];
	bool *keep = calloc(nb + 1, sizeof(bool));
	ck_assert_ptr_nonnull(keep);
	for (size_t i = 0; i < n_m; i++) {
		struct tref *t = &tr[i];
		memset(t, 0, sizeof(*t));
		t->name = sorted[i];
		for (size_t j = 0; j < n_m; j++)
			if (strcmp(mem[j].name, t->name) == 0)
				t->from = mem[j].from_ms, t->until = mem[j].until_ms;
		for (size_t k = 0; k < nb; k++) {
			int64_t bs = start + (int64_t)k * BIN;
			bool in_m = t->from <= bs && bs < t->until;
			t->bins_member += in_m;
			keep[k] = in_m && b.present[k];
			t->n += keep[k];
		}
		t->all = find_series(&b, t->name, "");
		ref_p95(&b, t->all, keep, t->p95);
	}

	/* the tariff: every basis at least once, then more at random */
	size_t n_pools = 5 + (size_t)below(r, 4);
	struct gpool *gp = calloc(n_pools, sizeof(*gp));
	ck_assert_ptr_nonnull(gp);
	int order[5] = { 0, 1, 2, 3, 4 };
	for (int i = 5; i > 1; i--) {
		int j = (int)below(r, (uint64_t)i), t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	size_t cap = 4096, len = 0;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	text[0] = 0;
	append(&text, &len, &cap, "# generated\npools = (\n");
	for (size_t p = 0; p < n_pools; p++) {
		struct gpool *g = &gp[p];
		g->basis = p < 5 ? order[p] : (int)below(r, 5);
		g->dir = FT_POOL_BOTH;
		g->metric = FT_METRIC_IN_PLUS_OUT;
		switch (below(r, 6)) {
		case 0: g->amount = 0; break;
		case 1: g->amount = below(r, 10); break;
		case 2: g->amount = below(r, 1ULL << 40); break;
		default: g->amount = below(r, 10000000); break;
		}
		append(&text, &len, &cap, "  { name = \"pool-%zu\"; amount_pence = %" PRIu64 "L; basis = \"%s\";", p,
		       g->amount, basn[g->basis]);
		if ((g->basis == FT_BASIS_VOLUME || g->basis == FT_BASIS_PEAK_SHARE) && chance(r, 75)) {
			g->dir = (int)between(r, 1, 3);
			append(&text, &len, &cap, " direction = \"%s\";", dirn[g->dir]);
		}
		if (g->basis == FT_BASIS_P95 && chance(r, 80)) {
			g->metric = (int)below(r, 4);
			append(&text, &len, &cap, " metric = \"%s\";", metn[g->metric]);
		}
		if (g->basis == FT_BASIS_VOLUME && chance(r, 50)) {
			append(&text, &len, &cap, " classes = [");
			const char *sep = "";
			for (size_t c = 0; c < NC; c++)
				if (chance(r, 50) || (c == NC - 1 && !g->any_cls)) {
					g->cls[c] = g->any_cls = true;
					append(&text, &len, &cap, "%s \"%s\"", sep, CLS[c]);
					sep = ",";
				}
			append(&text, &len, &cap, " ];");
		}
		if ((g->basis == FT_BASIS_EQUAL || g->basis == FT_BASIS_WEIGHTS) && chance(r, 70)) {
			g->prorate = chance(r, 60);
			append(&text, &len, &cap, " prorate = %s;", g->prorate ? "true" : "false");
		}
		bool listed = chance(r, 40);
		for (size_t i = 0; i < n_m; i++)
			g->member[i] = !listed;
		if (listed) {
			append(&text, &len, &cap, "\n    members = [");
			const char *sep = "";
			size_t first = (size_t)below(r, n_m);
			for (size_t j = 0; j < n_m; j++) {
				size_t i = (first + j) % n_m;   /* any order: the list is a set */
				if (j == 0 || chance(r, 50)) {
					g->member[i] = true;
					append(&text, &len, &cap, "%s \"%s\"", sep, tr[i].name);
					sep = ",";
				}
			}
			append(&text, &len, &cap, " ];");
		}
		if (g->basis == FT_BASIS_WEIGHTS) {
			append(&text, &len, &cap, "\n    weights = (");
			const char *sep = "";
			bool any = false;
			int wm = (int)below(r, 3);
			for (size_t i = 0; i < n_m; i++) {
				if (!g->member[i] || (chance(r, 30) && (any || i + 1 < n_m)))
					continue;
				uint64_t v = wm == 0 ? below(r, 4) : wm == 1 ? below(r, 1000) : (1ULL << 62) - below(r, 1ULL << 40);
				if (!any && v == 0)
					v = 1;  /* a weights pool needs a weight that is not 0 */
				any = true;
				g->weight[i] = v;
				append(&text, &len, &cap, "%s { tenant = \"%s\"; weight = %" PRIu64 "L; }", sep, tr[i].name, v);
				sep = ",";
			}
			if (!any) {     /* every member passed over: the first member then */
				for (size_t i = 0; i < n_m && !any; i++)
					if (g->member[i]) {
						g->weight[i] = 1;
						any = true;
						append(&text, &len, &cap, " { tenant = \"%s\"; weight = 1; }", tr[i].name);
					}
			}
			append(&text, &len, &cap, " );");
		}
		append(&text, &len, &cap, " }%s\n", p + 1 < n_pools ? "," : "");
	}
	append(&text, &len, &cap, ");\n");
	size_t n_fixed = (size_t)below(r, 4);
	struct gfixed gf[4];
	if (n_fixed) {
		append(&text, &len, &cap, "fixed = (\n");
		for (size_t f = 0; f < n_fixed; f++) {
			gf[f].tenant = (size_t)below(r, n_m);
			gf[f].pence = chance(r, 10) ? 0 : below(r, 100000);
			snprintf(gf[f].desc, sizeof(gf[f].desc), "line %zu", f);
			append(&text, &len, &cap, "  { tenant = \"%s\"; pence = %" PRIu64 "; description = \"%s\"; }%s\n",
			       tr[gf[f].tenant].name, gf[f].pence, gf[f].desc, f + 1 < n_fixed ? "," : "");
		}
		append(&text, &len, &cap, ");\n");
	}

	struct ft_tariff_names names = { sorted, n_m, CLS, NC };
	struct ft_tariff *t = NULL;
	struct ft_diag diag = { 0 };
	int rc = ft_tariff_parse(text, "gen.tariff", &names, &t, &diag);
	REQ(rc == 0, "the generated tariff is refused (%s):\n%s", diag.n ? diag.lines[0] : "", text);
	REQ(t->n_pools == n_pools && t->n_fixed == n_fixed, "tariff read as %zu pools, %zu fixed", t->n_pools,
	    t->n_fixed);
	for (size_t p = 0; p < n_pools; p++)
		REQ(t->pools[p].basis == gp[p].basis && t->pools[p].direction == gp[p].dir &&
		    t->pools[p].metric == gp[p].metric && t->pools[p].prorate == gp[p].prorate &&
		    t->pools[p].amount_pence == gp[p].amount, "pool-%zu read otherwise:\n%s", p, text);
	ft_diag_done(&diag);

	struct ft_statement st;
	rc = ft_statement_build(&b, mem, n_m, t, &st, &diag);
	REQ(rc == 0, "ft_statement_build: %d (%s)", rc, diag.n ? diag.lines[0] : "");
	REQ(diag.errors == 0, "%s", diag.lines[0]);

	/* the tenants */
	REQ(st.start_ms == start && st.end_ms == end, "range");
	REQ(st.bins_expected == nb && st.bins_present == b.present_bins, "bins %" PRIu64 " / %" PRIu64,
	    st.bins_expected, st.bins_present);
	REQ(st.n_tenants == n_m, "tenants: got %zu, want %zu", st.n_tenants, n_m);
	const struct ft_bin_series *un = find_series(&b, "unattributed", ""), *tot = find_series(&b, "total", "");
	REQ(vol_eq(&st.unattributed_in, &un->vin) && vol_eq(&st.unattributed_out, &un->vout), "unattributed");
	REQ(vol_eq(&st.total, &tot->vout), "total");
	for (size_t i = 0; i < n_m; i++) {
		const struct ft_statement_tenant *s = &st.tenants[i];
		const struct tref *e = &tr[i];
		REQ(strcmp(s->m.name, e->name) == 0, "tenant %zu: got %s, want %s", i, s->m.name, e->name);
		REQ(s->m.from_ms == e->from && s->m.until_ms == e->until, "%s membership", e->name);
		REQ(s->bins_member == e->bins_member, "%s bins_member: got %" PRIu64 ", want %" PRIu64 " [%" PRId64
		    ", %" PRId64 ")", e->name, s->bins_member, e->bins_member, e->from, e->until);
		REQ(s->bins_present == e->n, "%s N: got %" PRIu64 ", want %" PRIu64, e->name, s->bins_present, e->n);
		const struct ft_volume z = { 0 };
		REQ(vol_eq(&s->vin, e->all ? &e->all->vin : &z) && vol_eq(&s->vout, e->all ? &e->all->vout : &z),
		    "%s volumes", e->name);
		for (int m = 0; m < 4; m++)
			REQ(s->p95.bytes[m] == e->p95[m], "%s p95 %s: got %" PRIu64 ", want %" PRIu64 " (N %" PRIu64 ")",
			    e->name, metn[m], s->p95.bytes[m], e->p95[m], e->n);
		/* its classes: each class series of the tenant, in class order */
		size_t nc = 0;
		for (size_t c = 0; c < NC; c++) {
			const struct ft_bin_series *cs = find_series(&b, e->name, CLS[c]);
			if (!cs)
				continue;
			REQ(nc < s->n_classes, "%s: classes missing", e->name);
			const struct ft_statement_class *sc = &s->classes[nc++];
			REQ(strcmp(sc->name, CLS[c]) == 0, "%s class %s: got %s", e->name, CLS[c], sc->name);
			REQ(vol_eq(&sc->vin, &cs->vin) && vol_eq(&sc->vout, &cs->vout), "%s/%s volumes", e->name, CLS[c]);
			for (size_t k = 0; k < nb; k++) {
				int64_t bs = start + (int64_t)k * BIN;
				keep[k] = e->from <= bs && bs < e->until && b.present[k];
			}
			uint64_t cp[4];
			ref_p95(&b, cs, keep, cp);
			for (int m = 0; m < 4; m++)
				REQ(sc->p95.bytes[m] == cp[m], "%s/%s p95 %s: got %" PRIu64 ", want %" PRIu64, e->name, CLS[c],
				    metn[m], sc->p95.bytes[m], cp[m]);
		}
		REQ(s->n_classes == nc, "%s classes: got %zu, want %zu", e->name, s->n_classes, nc);
	}

	/* the pools: weights by the rules, shares by the reference */
	REQ(st.n_pools == n_pools, "pools: got %zu", st.n_pools);
	u128 w[NST];
	uint64_t share[NST][16];
	uint64_t charged = 0;
	size_t zero = 0;
	uint64_t *sum = calloc(nb + 1, sizeof(uint64_t));
	size_t *busy = calloc(nb + 1, sizeof(size_t));
	ck_assert(sum && busy);
	for (size_t p = 0; p < n_pools; p++) {
		const struct gpool *g = &gp[p];
		for (size_t i = 0; i < n_m; i++) {
			const struct tref *e = &tr[i];
			w[i] = 0;
			if (!g->member[i])
				continue;
			uint64_t span = g->prorate ? e->bins_member : nb;
			switch (g->basis) {
			case FT_BASIS_VOLUME:
				if (!g->any_cls) {
					if (e->all)
						w[i] = dir_of(e->all->vin.bytes, e->all->vout.bytes, g->dir);
				} else
					for (size_t c = 0; c < NC; c++) {
						const struct ft_bin_series *cs = g->cls[c] ? find_series(&b, e->name, CLS[c]) : NULL;
						if (cs)
							w[i] += dir_of(cs->vin.bytes, cs->vout.bytes, g->dir);
					}
				break;
			case FT_BASIS_P95: w[i] = e->p95[g->metric]; break;
			case FT_BASIS_EQUAL: w[i] = span; break;
			case FT_BASIS_WEIGHTS: w[i] = (u128)g->weight[i] * span; break;
			default: break;
			}
		}
		if (g->basis == FT_BASIS_PEAK_SHARE) {
			/* the present bins, the busiest first by the members' bytes of the
			 * direction (the earlier bin first among equals): a selection sort, slow
			 * and plain */
			size_t np = 0;
			for (size_t k = 0; k < nb; k++) {
				if (!b.present[k])
					continue;
				sum[k] = 0;
				for (size_t i = 0; i < n_m; i++)
					if (g->member[i] && tr[i].all)
						sum[k] += (uint64_t)dir_of(tr[i].all->in[k], tr[i].all->out[k], g->dir);
				busy[np++] = k;
			}
			uint64_t top = 0;
			while (100 * top < 5 * (uint64_t)np)
				top++;
			for (size_t j = 0; j < top; j++) {
				size_t best = j;
				for (size_t x = j + 1; x < np; x++)
					if (sum[busy[x]] > sum[busy[best]] ||
					    (sum[busy[x]] == sum[busy[best]] && busy[x] < busy[best]))
						best = x;
				size_t tmp = busy[j];
				busy[j] = busy[best];
				busy[best] = tmp;
				for (size_t i = 0; i < n_m; i++)
					if (g->member[i] && tr[i].all)
						w[i] += dir_of(tr[i].all->in[busy[j]], tr[i].all->out[busy[j]], g->dir);
			}
		}
		const struct ft_statement_pool *sp = &st.pools[p];
		REQ(strcmp(sp->name, t->pools[p].name) == 0 && sp->basis == g->basis && sp->amount_pence == g->amount,
		    "pool %zu", p);
		char b1[48], b2[48];
		for (size_t i = 0; i < n_m; i++)
			REQ(sp->weights[i] == w[i], "pool-%zu (%s) weight of %s: got %s, want %s\n%s", p, basn[g->basis],
			    tr[i].name, u128s(sp->weights[i], b1), u128s(w[i], b2), text);
		uint64_t want[NST];
		int wr = ref_shares(g->amount, w, sorted, n_m, want);
		ck_assert(wr == 0 || wr == -EINVAL);
		if (wr == -EINVAL) {
			zero++;
			memset(want, 0, sizeof(want));
		} else {
			charged += g->amount;
		}
		uint64_t total = 0;
		for (size_t i = 0; i < n_m; i++) {
			REQ(sp->shares[i] == want[i], "pool-%zu (%s) share of %s: got %" PRIu64 ", want %" PRIu64 "\n%s", p,
			    basn[g->basis], tr[i].name, sp->shares[i], want[i], text);
			share[i][p] = want[i];
			total += sp->shares[i];
		}
		REQ(total == (wr == 0 ? g->amount : 0), "pool-%zu shares sum to %" PRIu64 " of %" PRIu64, p, total,
		    g->amount);
	}
	*zero_pools += zero;
	REQ(diag.warnings == zero, "%zu warnings for %zu pools not charged", diag.warnings, zero);

	/* each tenant's charges: a line per pool it is a member of, its fixed charges in
	 * the tariff's order, and a total that is their sum */
	uint64_t all_total = 0;
	for (size_t f = 0; f < n_fixed; f++)
		charged += gf[f].pence;
	for (size_t i = 0; i < n_m; i++) {
		const struct ft_statement_tenant *s = &st.tenants[i];
		size_t want_n = 0, fx = 0;
		uint64_t sum_c = 0, want_total = 0;
		for (size_t p = 0; p < n_pools; p++) {
			size_t lines = 0;
			for (size_t c = 0; c < s->n_charges; c++)
				if (strcmp(s->charges[c].pool, t->pools[p].name) == 0) {
					lines++;
					REQ(s->charges[c].pence == share[i][p] && s->charges[c].basis == gp[p].basis,
					    "%s charge of pool-%zu: %" PRIu64 ", want %" PRIu64, tr[i].name, p, s->charges[c].pence,
					    share[i][p]);
				}
			REQ(lines == (gp[p].member[i] ? 1u : 0u), "%s: %zu lines for pool-%zu", tr[i].name, lines, p);
			if (gp[p].member[i]) {
				want_n++;
				want_total += share[i][p];
			}
		}
		for (size_t c = 0; c < s->n_charges; c++) {
			sum_c += s->charges[c].pence;
			if (strcmp(s->charges[c].pool, "fixed") != 0)
				continue;
			while (fx < n_fixed && gf[fx].tenant != i)
				fx++;
			REQ(fx < n_fixed, "%s: a fixed charge too many", tr[i].name);
			REQ(s->charges[c].pence == gf[fx].pence && s->charges[c].basis == FT_BASIS__FIXED &&
			    strcmp(s->charges[c].description, gf[fx].desc) == 0, "%s fixed charge %zu", tr[i].name, fx);
			fx++;
		}
		for (size_t f = 0; f < n_fixed; f++)
			if (gf[f].tenant == i) {
				want_n++;
				want_total += gf[f].pence;
			}
		REQ(s->n_charges == want_n, "%s: %zu charges, want %zu", tr[i].name, s->n_charges, want_n);
		REQ(s->total_pence == sum_c && s->total_pence == want_total, "%s total: %" PRIu64 ", charges %" PRIu64
		    ", want %" PRIu64, tr[i].name, s->total_pence, sum_c, want_total);
		all_total += s->total_pence;
	}
	REQ(st.charged_pence == all_total && st.charged_pence == charged, "charged %" PRIu64 ", tenants %" PRIu64
	    ", want %" PRIu64, st.charged_pence, all_total, charged);

	ft_statement_done(&st);
	ft_diag_done(&diag);
	ft_tariff_free(t);
	free(text);
	free(gp);
	free(keep);
	free(sum);
	free(busy);
	ft_bins_done(&b);
}

START_TEST(statements_follow_the_rules)
{
	uint64_t zero_pools = 0;
	for (uint64_t i = 0; i < n_cases(1500); i++) {
		struct rng r = start_case("statement", 0x4444, i);
		one_statement_case(&r, &zero_pools);
	}
	/* pools with nothing to share by were met too */
	if (!getenv("FT_PROPS_CASE"))
		ck_assert_uint_gt(zero_pools, 0);
}
END_TEST

/* Weights are 128-bit so that a pool's figures are exact: a volume pool of both
 * directions weighs in + out of the month even when that passes 2^64 - 1 (in one bin,
 * out in another: no single bin's in + out does). */
START_TEST(volume_weights_of_both_directions_do_not_wrap)
{
	case_what = "volume_weights_do_not_wrap";
	case_seed = 0;
	struct ft_bins b = { .start_ms = T0, .end_ms = T0 + 2 * BIN, .n_bins = 2, .present_bins = 2 };
	b.present = calloc(2, 1);
	b.series = calloc(4, sizeof(*b.series));
	ck_assert(b.present && b.series);
	b.present[0] = b.present[1] = 1;
	const char *ts[] = { "acme", "beta", "total", "unattributed" };
	for (size_t i = 0; i < 4; i++) {
		struct ft_bin_series *s = &b.series[b.n_series++];
		snprintf(s->tenant, sizeof(s->tenant), "%s", ts[i]);
		s->in = calloc(2, sizeof(uint64_t));
		s->out = calloc(2, sizeof(uint64_t));
		ck_assert(s->in && s->out);
	}
	/* acme: 2^63 + 10 in (bin 0), 2^63 out (bin 1); beta: 10 in */
	b.series[0].in[0] = (1ULL << 63) + 10;
	b.series[0].out[1] = 1ULL << 63;
	b.series[0].vin.bytes = (1ULL << 63) + 10;
	b.series[0].vout.bytes = 1ULL << 63;
	b.series[1].in[0] = 10;
	b.series[1].vin.bytes = 10;
	struct ft_statement_member m[2] = { { .name = "acme", .from_ms = OPEN_FROM, .until_ms = OPEN_UNTIL },
	                                    { .name = "beta", .from_ms = OPEN_FROM, .until_ms = OPEN_UNTIL } };
	const char *names[] = { "acme", "beta" };
	struct ft_tariff_names tn = { names, 2, NULL, 0 };
	struct ft_tariff *t;
	ck_assert_int_eq(ft_tariff_parse("pools = ( { name = \"v\"; amount_pence = 1000; basis = \"volume\"; } );\n",
	                                 "v.tariff", &tn, &t, NULL), 0);
	struct ft_statement st;
	struct ft_diag d = { 0 };
	int rc = ft_statement_build(&b, m, 2, t, &st, &d);
	ck_assert_int_eq(rc, 0);
	char b1[48], b2[48];
	u128 want = ((u128)1 << 64) + 10;
	REQ(st.pools[0].weights[0] == want, "acme's weight: got %s, want %s (shares %" PRIu64 " : %" PRIu64 ")",
	    u128s(st.pools[0].weights[0], b1), u128s(want, b2), st.pools[0].shares[0], st.pools[0].shares[1]);
	ck_assert_uint_eq(st.pools[0].shares[0], 1000);
	ck_assert_uint_eq(st.pools[0].shares[1], 0);
	ft_statement_done(&st);
	ft_diag_done(&d);
	ft_tariff_free(t);
	ft_bins_done(&b);
}
END_TEST

/* The same for peak_share: the busiest bins are chosen by the members' bytes of each
 * bin, in + out as one exact figure; acme's bin 0 (before its membership began, so its
 * percentiles do not see it) holds 2^63 in and 2^63 out. */
START_TEST(peak_share_bins_of_both_directions_do_not_wrap)
{
	case_what = "peak_share_bins_do_not_wrap";
	case_seed = 0;
	struct ft_bins b = { .start_ms = T0, .end_ms = T0 + 2 * BIN, .n_bins = 2, .present_bins = 2 };
	b.present = calloc(2, 1);
	b.series = calloc(2, sizeof(*b.series));
	ck_assert(b.present && b.series);
	b.present[0] = b.present[1] = 1;
	const char *ts[] = { "acme", "beta" };
	for (size_t i = 0; i < 2; i++) {
		struct ft_bin_series *s = &b.series[b.n_series++];
		snprintf(s->tenant, sizeof(s->tenant), "%s", ts[i]);
		s->in = calloc(2, sizeof(uint64_t));
		s->out = calloc(2, sizeof(uint64_t));
		ck_assert(s->in && s->out);
	}
	b.series[0].in[0] = b.series[0].out[0] = 1ULL << 63;
	b.series[0].vin.bytes = b.series[0].vout.bytes = 1ULL << 63;
	b.series[1].in[0] = 10;
	b.series[1].in[1] = 20;
	b.series[1].vin.bytes = 30;
	struct ft_statement_member m[2] = { { .name = "acme", .from_ms = T0 + BIN, .until_ms = OPEN_UNTIL },
	                                    { .name = "beta", .from_ms = OPEN_FROM, .until_ms = OPEN_UNTIL } };
	const char *names[] = { "acme", "beta" };
	struct ft_tariff_names tn = { names, 2, NULL, 0 };
	struct ft_tariff *t;
	ck_assert_int_eq(ft_tariff_parse("pools = ( { name = \"p\"; amount_pence = 1000; basis = \"peak_share\"; } );\n",
	                                 "p.tariff", &tn, &t, NULL), 0);
	struct ft_statement st;
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_statement_build(&b, m, 2, t, &st, &d), 0);
	/* N = 2, the busiest ceil(5 % of 2) = 1 bin: bin 0 (2^64 + 10 bytes against 20) */
	char b1[48], b2[48], b3[48];
	u128 want = (u128)1 << 64;
	REQ(st.pools[0].weights[0] == want && st.pools[0].weights[1] == 10,
	    "weights: got %s : %s, want %s : 10 (shares %" PRIu64 " : %" PRIu64 ")", u128s(st.pools[0].weights[0], b1),
	    u128s(st.pools[0].weights[1], b2), u128s(want, b3), st.pools[0].shares[0], st.pools[0].shares[1]);
	ft_statement_done(&st);
	ft_diag_done(&d);
	ft_tariff_free(t);
	ft_bins_done(&b);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("recharge_props");
	TCase *tc = tcase_create("props");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, root_make, root_remove);
	tcase_add_test(tc, bins_are_the_sums_of_random_ledgers);
	tcase_add_test(tc, bins_never_wrap);
	tcase_add_test(tc, percentile_is_the_nearest_rank);
	tcase_add_test(tc, shares_are_the_largest_remainders);
	tcase_add_test(tc, statements_follow_the_rules);
	tcase_add_test(tc, volume_weights_of_both_directions_do_not_wrap);
	tcase_add_test(tc, peak_share_bins_of_both_directions_do_not_wrap);
	suite_add_tcase(s, tc);
	return s;
}
