/* Aggregation into time steps, checked against the contract in include/flowtally/agg.h
 * and DESIGN.md ("Attribution rules", "Time"): pro-rata spreading with exact integer
 * remainders (checked against hand-computed parts and a largest-remainder reference
 * written here), sampling correction, the lateness window, flows counted once,
 * not-accounted volume, flush, snapshot and restore, map reloads, merging.  Then
 * random maps, records, clock moves, reloads and restarts, with every closed step
 * checked against the ledger invariant and the whole run against the records' sums. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "same_step.h"
#include "flowtally/agg.h"
#include "flowtally/diag.h"
#include "flowtally/flow.h"
#include "flowtally/step.h"
#include "flowtally/tenant.h"

#define T0 1799971200000LL           /* 2027-01-15T00:00:00Z: a multiple of every step */
#define MINUTE 60000LL

/* Random tests run fewer rounds under AddressSanitizer, which makes each map build (two
 * 64 Ki-entry LPM roots per family and table) many times slower. */
#if defined(__SANITIZE_ADDRESS__)
#define ROUNDS(n) ((n) / 8)
#else
#define ROUNDS(n) (n)
#endif

/* ---- maps ---------------------------------------------------------------------------- */

struct mapdef {
	struct ft_tenant_conf c;
	const char *file;
	int line;
};

static void md_init(struct mapdef *d)
{
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(ft_tenant_conf_init(&d->c), 0);
	d->file = ft_tenant_conf_file(&d->c, "tenants.conf");
	ck_assert_ptr_nonnull(d->file);
}

static struct ft_where md_line(struct mapdef *d)
{
	return (struct ft_where){ d->file, ++d->line };
}

static uint16_t md_tenant(struct mapdef *d, const char *name)
{
	uint16_t t = ft_tenant_conf_find(&d->c, name);
	if (t)
		return t;
	int r = ft_tenant_conf_add_tenant(&d->c, name, md_line(d));
	ck_assert_int_gt(r, 0);
	return (uint16_t)r;
}

static uint8_t md_class(struct mapdef *d, const char *name)
{
	for (size_t i = 0; i < d->c.n_classes; i++)
		if (strcmp(d->c.classes[i], name) == 0)
			return (uint8_t)i;
	int r = ft_tenant_conf_add_class(&d->c, name);
	ck_assert_int_ge(r, 2);
	return (uint8_t)r;
}

static void md_prefix(struct mapdef *d, const char *tenant, const char *prefix)
{
	struct ft_rule r = { .kind = FT_RULE_PREFIX, .tenant = md_tenant(d, tenant),
	                     .from_ms = FT_TIME_MIN, .until_ms = FT_TIME_MAX, .at = md_line(d) };
	ck_assert_int_eq(ft_prefix_parse(prefix, &r.prefix), 0);
	ck_assert_int_eq(ft_tenant_conf_add_rule(&d->c, &r), 0);
}

static void md_class_prefix(struct mapdef *d, const char *cls, const char *prefix)
{
	struct ft_class_rule r = { .cls = md_class(d, cls), .from_ms = FT_TIME_MIN,
	                           .until_ms = FT_TIME_MAX, .at = md_line(d) };
	ck_assert_int_eq(ft_prefix_parse(prefix, &r.prefix), 0);
	ck_assert_int_eq(ft_tenant_conf_add_class_rule(&d->c, &r), 0);
}

static void md_point(struct mapdef *d, const char *exporter, uint32_t ifindex, uint8_t dir)
{
	struct ft_acct_point p = { .ifindex = ifindex, .dir = dir, .from_ms = FT_TIME_MIN,
	                           .until_ms = FT_TIME_MAX, .at = md_line(d) };
	ck_assert_int_eq(ft_addr_parse(exporter, &p.exporter), 0);
	ck_assert_int_eq(ft_tenant_conf_add_point(&d->c, &p), 0);
}

/* Builds the map (it must build without errors) and drops the definition. */
static struct ft_tenant_map *md_build(struct mapdef *d)
{
	struct ft_diag diag = { 0 };
	struct ft_tenant_map *m = ft_tenant_map_build(&d->c, &diag);
	ck_assert_msg(m != NULL && diag.errors == 0, "map not built: %s", diag.n ? diag.lines[0] : "?");
	ft_diag_done(&diag);
	ft_tenant_conf_done(&d->c);
	return m;
}

/* acme 10.1.0.0/16, bravo 10.2.0.0/16, class psn 192.168.0.0/16. */
static struct ft_tenant_map *basic_map(void)
{
	struct mapdef d;
	md_init(&d);
	md_prefix(&d, "acme", "10.1.0.0/16");
	md_prefix(&d, "bravo", "10.2.0.0/16");
	md_class_prefix(&d, "psn", "192.168.0.0/16");
	return md_build(&d);
}

/* ---- flows and steps ----------------------------------------------------------------- */

static struct ft_addr addr(const char *s)
{
	struct ft_addr a;
	ck_assert_msg(ft_addr_parse(s, &a) == 0, "bad address %s", s);
	return a;
}

static struct ft_flow flow(const char *src, const char *dst, int64_t start, int64_t end, uint64_t bytes,
                           uint64_t packets)
{
	struct ft_flow f = { .start_ms = start, .end_ms = end, .bytes = bytes, .packets = packets,
	                     .sampling_rate = 1 };
	f.exporter = addr("192.0.2.1");
	f.src = addr(src);
	f.dst = addr(dst);
	return f;
}

/* The attribution stage, then aggregation, as the receive path runs them. */
static void add(struct ft_agg *a, const struct ft_tenant_map *m, const struct ft_flow *f)
{
	struct ft_attr at;
	ft_tenant_attribute(m, f, &at);
	ft_agg_add(a, f, &at);
}

static struct ft_agg *agg_at(const struct ft_tenant_map *m, int64_t step, int64_t lateness, int64_t now)
{
	struct ft_agg_conf o = { .step_ms = step, .lateness_ms = lateness };
	struct ft_agg *a = ft_agg_new(&o, m, now);
	ck_assert_ptr_nonnull(a);
	return a;
}

/* Closed steps, in the order they came. */
struct steps {
	struct ft_step *s;
	size_t n, cap;
};

static void steps_take(struct steps *st, const struct ft_step *s, size_t n)
{
	if (n == 0)
		return;
	if (st->n + n > st->cap) {
		st->cap = (st->n + n) * 2;
		st->s = realloc(st->s, st->cap * sizeof(*st->s));
		ck_assert_ptr_nonnull(st->s);
	}
	memcpy(st->s + st->n, s, n * sizeof(*s));
	st->n += n;
}

static void steps_done(struct steps *st)
{
	for (size_t i = 0; i < st->n; i++)
		ft_step_done(&st->s[i]);
	free(st->s);
	*st = (struct steps){ 0 };
}

/* Advances to now (or flushes, now == INT64_MAX), `cap` steps per call, calling again
 * while a call fills its array; returns how many closed. */
static size_t close_steps(struct ft_agg *a, int64_t now, size_t cap, struct steps *out)
{
	struct ft_step buf[8];
	size_t n, total = 0;
	ck_assert_uint_le(cap, 8);
	do {
		n = now == INT64_MAX ? ft_agg_flush(a, buf, cap) : ft_agg_advance(a, now, buf, cap);
		steps_take(out, buf, n);
		total += n;
	} while (n == cap);
	return total;
}

static const struct ft_step *step_at(const struct steps *st, int64_t start)
{
	const struct ft_step *found = NULL;
	for (size_t i = 0; i < st->n; i++) {
		if (st->s[i].start_ms != start)
			continue;
		ck_assert_msg(!found, "step %lld closed twice", (long long)(start - T0));
		found = &st->s[i];
	}
	return found;
}

static const struct ft_volume *cell(const struct ft_step *s, const char *tenant, int dir, const char *cls)
{
	for (size_t i = 0; i < s->n_cells; i++)
		if (strcmp(s->cells[i].tenant, tenant) == 0 && s->cells[i].direction == dir &&
		    strcmp(s->cells[i].class_, cls) == 0)
			return &s->cells[i].v;
	return NULL;
}

static void vol_is(const struct ft_volume *v, uint64_t bytes, uint64_t packets, uint64_t flows, int line)
{
	static const struct ft_volume zero;
	if (!v)
		v = &zero;
	ck_assert_msg(v->bytes == bytes && v->packets == packets && v->flows == flows,
	              "line %d: volume %llu/%llu/%llu, want %llu/%llu/%llu", line,
	              (unsigned long long)v->bytes, (unsigned long long)v->packets, (unsigned long long)v->flows,
	              (unsigned long long)bytes, (unsigned long long)packets, (unsigned long long)flows);
}

#define VOL(v, b, p, f) vol_is((v), (b), (p), (f), __LINE__)
#define CELL(s, t, d, c, b, p, f) vol_is(cell((s), (t), (d), (c)), (b), (p), (f), __LINE__)

static void check_ok(const struct ft_step *s)
{
	ck_assert_msg(ft_step_check(s) == 0, "step at T0%+lld breaks Σ out + unattributed_src = total = "
	              "Σ in + unattributed_dst", (long long)(s->start_ms - T0));
}

/* ---- pro-rata spreading -------------------------------------------------------------- */

/* One record [start, end) spread over 1 s steps, all in the open window; the parts per
 * step, from the first step on, must be want_bytes / want_packets; its one flow goes to
 * the last. */
static void spread_is(int64_t start, int64_t end, uint64_t bytes, uint64_t packets, uint32_t rate,
                      const uint64_t *want_bytes, const uint64_t *want_packets, size_t n, int line)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, 1000, 20000, end + 1);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", start, end, bytes, packets);
	f.sampling_rate = rate;
	add(a, m, &f);
	close_steps(a, INT64_MAX, 8, &st);
	int64_t first = start - start % 1000;
	for (size_t i = 0; i < n; i++) {
		const struct ft_step *s = step_at(&st, first + 1000 * (int64_t)i);
		ck_assert_msg(s != NULL, "line %d: no step %zu", line, i);
		check_ok(s);
		ck_assert_int_eq(s->length_ms, 1000);
		vol_is(&s->total, want_bytes[i], want_packets[i], i == n - 1, line);
		vol_is(cell(s, "acme", FT_DIR_OUT, "internet"), want_bytes[i], want_packets[i], i == n - 1, line);
		vol_is(&s->unattributed_dst, want_bytes[i], want_packets[i], i == n - 1, line);
		vol_is(&s->late, 0, 0, 0, line);
	}
	for (size_t i = 0; i < st.n; i++)
		ck_assert_msg(st.s[i].start_ms >= first && st.s[i].start_ms < first + 1000 * (int64_t)n,
		              "line %d: a step at T0%+lld", line, (long long)(st.s[i].start_ms - T0));
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}

#define SPREAD(s, e, b, p, r, wb, wp) spread_is((s), (e), (b), (p), (r), (const uint64_t[])wb, \
	(const uint64_t[])wp, sizeof((const uint64_t[])wb) / sizeof(uint64_t), __LINE__)
#define PARTS(...) { __VA_ARGS__ }

START_TEST(spreads_pro_rata_with_largest_remainders)
{
	/* 400, 1000, 600 ms: 9 bytes are 1.8 + 4.5 + 2.7, so 1 + 4 + 2 and the two largest
	 * remainders (.8, .7) get the last two; 3 packets are 0.6 + 1.5 + 0.9. */
	SPREAD(T0 + 600, T0 + 2600, 9, 3, 1, PARTS(2, 4, 3), PARTS(1, 1, 1));
	/* 100, 1000, 1000, 999 ms: 10 bytes are 0.32 + 3.23 + 3.23 + 3.22: the small first
	 * part has the largest remainder; 31 packets are 1.0003 + 2 × 10.003 + 9.993. */
	SPREAD(T0 + 900, T0 + 3999, 10, 31, 1, PARTS(1, 3, 3, 3), PARTS(1, 10, 10, 10));
	/* 300, 1000, 700 ms, sampled 1 in 3: 21 bytes are 3.15 + 10.5 + 7.35; 3 packets are
	 * 0.45 + 1.5 + 1.05. */
	SPREAD(T0 + 700, T0 + 2700, 7, 1, 3, PARTS(3, 11, 7), PARTS(0, 2, 1));
	/* Inside one step. */
	SPREAD(T0 + 1000, T0 + 1999, 12345, 17, 1, PARTS(12345), PARTS(17));
	/* 1 ms in the first step, 999 in the second. */
	SPREAD(T0 + 999, T0 + 1999, 1000, 2, 1, PARTS(1, 999), PARTS(0, 2));
}
END_TEST

/* The parts of `total` per step for one record [start, end), from the first step. */
static size_t parts_of(const struct steps *st, int64_t step, int64_t start, int64_t end, bool packets,
                       uint64_t *ret)
{
	int64_t first = start - start % step;
	size_t n = (size_t)((end - 1 - first) / step + 1);
	for (size_t i = 0; i < n; i++) {
		const struct ft_step *s = step_at(st, first + step * (int64_t)i);
		ret[i] = !s ? 0 : packets ? s->total.packets : s->total.bytes;
	}
	return n;
}

/* The reference: `got` must be a largest-remainder apportionment of total by the time
 * each step holds of [start, end): sum exact, each part its quota's floor or one more,
 * and one more only where the remainder is at least every remainder that got none. */
static void check_apportioned(uint64_t total, int64_t step, int64_t start, int64_t end, const uint64_t *got,
                              size_t n, const char *what)
{
	unsigned __int128 wsum = (unsigned __int128)(end - start);
	uint64_t sum = 0, q[64], r[64];
	int64_t first = start - start % step;
	ck_assert_uint_le(n, 64);
	for (size_t i = 0; i < n; i++) {
		int64_t lo = first + step * (int64_t)i, hi = lo + step;
		int64_t w = (end < hi ? end : hi) - (start > lo ? start : lo);
		unsigned __int128 x = (unsigned __int128)total * (uint64_t)w;
		q[i] = (uint64_t)(x / wsum);
		r[i] = (uint64_t)(x % wsum);
		sum += got[i];
		ck_assert_msg(got[i] == q[i] || got[i] == q[i] + 1, "%s: part %zu of %llu over [%lld, %lld) "
		              "is %llu, quota %llu + %llu/%llu", what, i, (unsigned long long)total,
		              (long long)(start - T0), (long long)(end - T0), (unsigned long long)got[i],
		              (unsigned long long)q[i], (unsigned long long)r[i], (unsigned long long)wsum);
	}
	ck_assert_msg(sum == total, "%s: parts add up to %llu, not %llu", what, (unsigned long long)sum,
	              (unsigned long long)total);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			ck_assert_msg(!(got[i] > q[i] && got[j] == q[j] && r[i] < r[j]), "%s: part %zu (remainder "
			              "%llu) got one more, part %zu (remainder %llu) did not", what, i,
			              (unsigned long long)r[i], j, (unsigned long long)r[j]);
}

/* One record alone in a fresh aggregator, all of it in the window; returns the steps. */
static void one_record(const struct ft_tenant_map *m, int64_t step, const struct ft_flow *f, struct steps *st)
{
	struct ft_agg *a = agg_at(m, step, 70 * step, f->end_ms + 1);
	add(a, m, f);
	close_steps(a, INT64_MAX, 8, st);
	ft_agg_free(a);
}

START_TEST(ties_go_to_one_of_the_tied_parts)
{
	struct ft_tenant_map *m = basic_map();
	static const struct { int64_t s, e; uint64_t bytes; } c[] = {
		{ T0 + 500, T0 + 1500, 3 },          /* 1.5 + 1.5 */
		{ T0, T0 + 3000, 10 },               /* 3 × 3.33 */
		{ T0 + 250, T0 + 3750, 7 },          /* 1.5 + 2 + 2 + 1.5 */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct steps st = { 0 };
		uint64_t got[64];
		struct ft_flow f = flow("10.1.0.1", "10.2.0.1", c[i].s, c[i].e, c[i].bytes, 1);
		one_record(m, 1000, &f, &st);
		size_t n = parts_of(&st, 1000, c[i].s, c[i].e, false, got);
		check_apportioned(c[i].bytes, 1000, c[i].s, c[i].e, got, n, "tie");
		steps_done(&st);
	}
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(huge_volumes_spread_exactly)
{
	struct ft_tenant_map *m = basic_map();
	struct steps st = { 0 };
	uint64_t got[64];
	struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0 + 1, T0 + 3000, 1ull << 50, (1ull << 40) + 7);
	f.sampling_rate = 4096;                    /* 2^62 bytes in all */
	one_record(m, 1000, &f, &st);
	size_t n = parts_of(&st, 1000, f.start_ms, f.end_ms, false, got);
	ck_assert_uint_eq(n, 3);
	check_apportioned(1ull << 62, 1000, f.start_ms, f.end_ms, got, n, "bytes");
	n = parts_of(&st, 1000, f.start_ms, f.end_ms, true, got);
	check_apportioned(((1ull << 40) + 7) * 4096, 1000, f.start_ms, f.end_ms, got, n, "packets");
	steps_done(&st);
	ft_tenant_map_free(m);
}
END_TEST

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: deterministic, so a failure names its seed and repeats. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

static const uint32_t rates[] = { 1, 1, 1, 2, 10, 100, 512, 4096 };
#define N_RATES (sizeof(rates) / sizeof(rates[0]))

START_TEST(random_spreads_are_largest_remainder_apportionments)
{
	static const int64_t step_choice[] = { 1000, 60000, 300000 };
	struct ft_tenant_map *m = basic_map();
	for (unsigned k = 0; k < ROUNDS(4000); k++) {
		uint64_t seed = 3000000 + k, s = seed * 0x9e3779b97f4a7c15ULL | 1;
		int64_t step = step_choice[below(&s, 3)];
		int64_t start = T0 + (int64_t)below(&s, (uint64_t)(2 * step));
		int64_t end = start + 1 + (int64_t)below(&s, below(&s, 4) ? (uint64_t)step : (uint64_t)(8 * step));
		struct ft_flow f = flow("10.1.0.1", "8.8.8.8", start, end, 0, 0);
		f.sampling_rate = rates[below(&s, N_RATES)];
		f.bytes = below(&s, 3) == 0 ? below(&s, 20) : below(&s, (1ull << 62) / f.sampling_rate);
		f.packets = below(&s, 2) ? below(&s, 10) : below(&s, 1ull << 32);
		struct steps st = { 0 };
		uint64_t got[64];
		char what[64];
		one_record(m, step, &f, &st);
		size_t n = parts_of(&st, step, start, end, false, got);
		snprintf(what, sizeof(what), "seed %llu bytes", (unsigned long long)seed);
		check_apportioned(f.bytes * f.sampling_rate, step, start, end, got, n, what);
		n = parts_of(&st, step, start, end, true, got);
		snprintf(what, sizeof(what), "seed %llu packets", (unsigned long long)seed);
		check_apportioned(f.packets * f.sampling_rate, step, start, end, got, n, what);
		uint64_t flows = 0, bytes = 0;
		for (size_t i = 0; i < st.n; i++) {
			check_ok(&st.s[i]);
			flows += st.s[i].total.flows;
			bytes += st.s[i].total.bytes;
		}
		ck_assert_uint_eq(flows, 1);
		ck_assert_uint_eq(bytes, f.bytes * f.sampling_rate);  /* nothing outside the steps spanned */
		if (end % step)
			ck_assert_uint_eq(step_at(&st, end - end % step)->total.flows, 1);
		steps_done(&st);
	}
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(sampling_multiplies_bytes_and_packets_not_flows)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0 + 1000, T0 + 2000, 1000, 10);
	f.sampling_rate = 100;
	f.flags = FT_FLOW_SAMPLED;
	add(a, m, &f);
	f.sampling_rate = 1;
	f.flags = 0;
	add(a, m, &f);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 1);
	const struct ft_step *s = &st.s[0];
	check_ok(s);
	VOL(&s->total, 101000, 1010, 2);
	CELL(s, "acme", FT_DIR_OUT, "partner", 101000, 1010, 2);
	CELL(s, "bravo", FT_DIR_IN, "partner", 101000, 1010, 2);
	ck_assert_uint_eq(s->n_cells, 2);
	VOL(&s->unattributed_src, 0, 0, 0);
	VOL(&s->unattributed_dst, 0, 0, 0);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

/* ---- the lateness window ------------------------------------------------------------- */

START_TEST(late_records_go_to_the_oldest_open_step)
{
	struct ft_tenant_map *m = basic_map();
	/* Steps of a minute held open two minutes: at T0+5:01 the open steps are
	 * T0+3:00 .. T0+5:00. */
	struct ft_agg *a = agg_at(m, MINUTE, 2 * MINUTE, T0 + 5 * MINUTE + 1000);
	struct steps st = { 0 };
	ck_assert_int_eq(ft_agg_oldest(a), T0 + 3 * MINUTE);
	struct ft_flow old = flow("10.1.0.1", "8.8.8.8", T0 + 90000, T0 + 100000, 600, 1);
	struct ft_flow half = flow("10.1.0.1", "8.8.8.8", T0 + 170000, T0 + 190000, 100, 2);
	add(a, m, &old);
	add(a, m, &half);                    /* half of it before T0+3:00 */

	ck_assert_uint_eq(close_steps(a, T0 + 4 * MINUTE + 2 * MINUTE - 1, 8, &st), 0);
	ck_assert_uint_eq(close_steps(a, T0 + 4 * MINUTE + 2 * MINUTE, 8, &st), 1);
	const struct ft_step *s = &st.s[0];
	ck_assert_int_eq(s->start_ms, T0 + 3 * MINUTE);
	check_ok(s);
	VOL(&s->total, 700, 3, 2);
	VOL(&s->late, 650, 2, 1);
	CELL(s, "acme", FT_DIR_OUT, "internet", 700, 3, 2);
	VOL(&s->unattributed_dst, 700, 3, 2);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(steps_close_after_their_window_oldest_first)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, 1000, 10000, T0 + 10500);
	struct steps st = { 0 };
	static const int64_t at[] = { 7000, 2000, 9000, 4000, 10000 };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		struct ft_flow f = flow("10.2.0.1", "10.1.0.1", T0 + at[i] + 100, T0 + at[i] + 200, 10 + i, 1);
		add(a, m, &f);
	}
	ck_assert_uint_eq(close_steps(a, T0 + 12999, 8, &st), 0);   /* T0+2 s closes at T0+13 s */
	ck_assert_uint_eq(close_steps(a, T0 + 13000, 8, &st), 1);
	ck_assert_int_eq(st.s[0].start_ms, T0 + 2000);
	/* One at a time: each call closes the oldest that is due. */
	struct ft_step one;
	ck_assert_uint_eq(ft_agg_advance(a, T0 + 30000, &one, 1), 1);
	ck_assert_int_eq(one.start_ms, T0 + 4000);
	steps_take(&st, &one, 1);
	ck_assert_uint_eq(ft_agg_advance(a, T0 + 30000, &one, 1), 1);
	ck_assert_int_eq(one.start_ms, T0 + 7000);
	steps_take(&st, &one, 1);
	ck_assert_uint_eq(close_steps(a, T0 + 30000, 8, &st), 2);
	ck_assert_int_eq(st.s[3].start_ms, T0 + 9000);
	ck_assert_int_eq(st.s[4].start_ms, T0 + 10000);
	VOL(&st.s[4].total, 14, 1, 1);
	/* The clock never goes back. */
	int64_t oldest = ft_agg_oldest(a);
	ck_assert_uint_eq(close_steps(a, T0, 8, &st), 0);
	ck_assert_int_eq(ft_agg_oldest(a), oldest);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 0);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(flush_closes_every_open_step)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, MINUTE, 5 * MINUTE, T0 + 5 * MINUTE + 1);
	struct steps st = { 0 };
	struct ft_flow f = flow("8.8.8.8", "10.1.0.1", T0 + 30000, T0 + 5 * MINUTE + 1, 3 * MINUTE * 2 + 2, 1);
	add(a, m, &f);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 2, &st), 6);
	for (size_t i = 0; i < st.n; i++) {
		ck_assert_int_eq(st.s[i].start_ms, T0 + (int64_t)i * MINUTE);
		check_ok(&st.s[i]);
	}
	ck_assert_uint_eq(st.s[5].total.flows, 1);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 0);
	ck_assert_uint_eq(close_steps(a, T0 + 100 * MINUTE, 8, &st), 0);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

/* ---- flows, biflows, accounting ------------------------------------------------------ */

START_TEST(flow_counted_once_in_the_step_of_its_end)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, 1000, 10000, T0 + 5000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "192.168.0.1", T0 + 500, T0 + 2500, 300, 3);
	add(a, m, &f);
	struct ft_flow back = flow("192.168.0.1", "10.1.0.1", T0 + 500, T0 + 2500, 40, 3);
	back.flags = FT_FLOW_SECOND_HALF;      /* the reverse direction of the same record */
	add(a, m, &back);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 3);
	uint64_t bytes = 0;
	for (size_t i = 0; i < 3; i++) {
		const struct ft_step *s = &st.s[i];
		check_ok(s);
		ck_assert_uint_eq(s->total.flows, i == 2);
		bytes += s->total.bytes;
	}
	ck_assert_uint_eq(bytes, 340);
	/* 500, 1000, 500 ms: 300 bytes are 75 + 150 + 75, 40 are 10 + 20 + 10. */
	CELL(&st.s[2], "acme", FT_DIR_OUT, "psn", 75, 1, 1);
	CELL(&st.s[2], "acme", FT_DIR_IN, "psn", 10, 1, 0);
	CELL(&st.s[1], "acme", FT_DIR_OUT, "psn", 150, 1, 0);
	CELL(&st.s[0], "acme", FT_DIR_IN, "psn", 10, 1, 0);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(flow_ending_on_a_step_boundary_counts_in_that_step)
{
	/* agg.h: "Its flow count goes to the step of its end"; a record ending at T0+2 s
	 * ends in the step [T0+2 s, T0+3 s). */
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, 1000, 10000, T0 + 5000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", T0 + 1500, T0 + 2000, 100, 1);
	add(a, m, &f);
	close_steps(a, INT64_MAX, 8, &st);
	uint64_t flows = 0;
	for (size_t i = 0; i < st.n; i++)
		flows += st.s[i].total.flows;
	ck_assert_uint_eq(flows, 1);
	const struct ft_step *s = step_at(&st, T0 + 2000);
	ck_assert_msg(s && s->total.flows == 1, "the flow of [T0+1.5 s, T0+2 s) was counted in step T0+%lld s",
	              (long long)((st.s[0].start_ms - T0) / 1000));
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(record_ending_before_it_starts_counts_at_its_end)
{
	/* A record whose end is before its start (an exporter's clock went back): its volume
	 * and its flow both belong to the step of end_ms. */
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, 1000, 10000, T0 + 5000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", T0 + 2500, T0 + 1500, 100, 1);
	add(a, m, &f);
	close_steps(a, INT64_MAX, 8, &st);
	const struct ft_step *s = step_at(&st, T0 + 1000);
	ck_assert_ptr_nonnull(s);
	check_ok(s);
	VOL(&s->total, 100, 1, 1);
	CELL(s, "acme", FT_DIR_OUT, "internet", 100, 1, 1);
	for (size_t i = 0; i < st.n; i++)
		if (st.s[i].start_ms != T0 + 1000) {
			check_ok(&st.s[i]);
			VOL(&st.s[i].total, 0, 0, 0);
		}
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(not_accounted_volume_kept_apart)
{
	struct mapdef d;
	md_init(&d);
	md_prefix(&d, "acme", "10.1.0.0/16");
	md_point(&d, "192.0.2.1", 5, FT_POINT_IN);
	struct ft_tenant_map *m = md_build(&d);
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", T0 + 1000, T0 + 2000, 1000, 10);
	f.in_if = 5;
	f.sampling_rate = 10;
	add(a, m, &f);                     /* counts */
	f.in_if = 6;
	add(a, m, &f);                     /* outside the accounting points */
	f.in_if = 5;
	f.flags = FT_FLOW_NOT_ACCOUNTED;       /* a total counter */
	add(a, m, &f);
	f.flags = FT_FLOW_NOT_ACCOUNTED | FT_FLOW_SECOND_HALF;
	add(a, m, &f);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 1);
	const struct ft_step *s = &st.s[0];
	check_ok(s);
	VOL(&s->total, 10000, 100, 1);
	VOL(&s->not_accounted, 30000, 300, 2);
	CELL(s, "acme", FT_DIR_OUT, "internet", 10000, 100, 1);
	ck_assert_uint_eq(s->n_cells, 1);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

/* ---- accounting interfaces ------------------------------------------------------------- */

static const struct ft_step_point *point_of(const struct ft_step *s, const char *exporter, uint32_t ifindex, int dir)
{
	struct ft_addr e = addr(exporter);
	for (size_t i = 0; i < s->n_points; i++)
		if (ft_addr_equal(&s->points[i].exporter, &e) && s->points[i].ifindex == ifindex &&
		    s->points[i].direction == dir)
			return &s->points[i];
	return NULL;
}

static void point_is(const struct ft_step *s, const char *exporter, uint32_t ifindex, int dir, uint64_t bytes,
                     uint64_t packets, uint64_t flows, int line)
{
	const struct ft_step_point *p = point_of(s, exporter, ifindex, dir);
	if (!bytes && !packets && !flows) {
		ck_assert_msg(!p, "line %d: a point that should not be there", line);
		return;
	}
	ck_assert_msg(p, "line %d: no point %s/%u %s", line, exporter, ifindex, dir == FT_DIR_IN ? "in" : "out");
	vol_is(&p->v, bytes, packets, flows, line);
}
#define POINT(s, e, i, d, b, p, f) point_is((s), (e), (i), (d), (b), (p), (f), __LINE__)

START_TEST(points_carry_what_each_interface_carried)
{
	struct mapdef d;
	md_init(&d);
	md_prefix(&d, "acme", "10.1.0.0/16");
	md_point(&d, "192.0.2.1", 5, FT_POINT_IN);
	md_point(&d, "192.0.2.1", 7, FT_POINT_BOTH);
	md_point(&d, "192.0.2.2", 5, FT_POINT_OUT);
	struct ft_tenant_map *m = md_build(&d);
	ck_assert_uint_eq(ft_tenant_map_n_point_keys(m), 3);
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	/* in by 5, out by 7: counts at both; spread over two steps 1:3 */
	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", T0 - 15000, T0 + 45000, 1000, 10);
	f.in_if = 5;
	f.out_if = 7;
	f.sampling_rate = 2;
	add(a, m, &f);
	/* in by 7 (a both point), out by 9 (no point) */
	struct ft_flow g = flow("8.8.8.8", "10.1.0.1", T0 + 1000, T0 + 2000, 300, 3);
	g.in_if = 7;
	g.out_if = 9;
	add(a, m, &g);
	/* out by 5 on 192.0.2.1: point 5 there counts in only, and in by 3: not accounted */
	struct ft_flow h = flow("10.1.0.1", "8.8.8.8", T0 + 1000, T0 + 2000, 50, 1);
	h.in_if = 3;
	h.out_if = 5;
	add(a, m, &h);
	/* the other exporter: out by 5 counts there */
	struct ft_flow k = flow("10.1.0.1", "8.8.8.8", T0 + 1000, T0 + 2000, 70, 1);
	k.exporter = addr("192.0.2.2");
	k.in_if = 1;
	k.out_if = 5;
	add(a, m, &k);
	struct steps st = { 0 };
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 2);
	const struct ft_step *s0 = step_at(&st, T0 - MINUTE), *s1 = step_at(&st, T0);
	check_ok(s0);
	check_ok(s1);
	POINT(s0, "192.0.2.1", 5, FT_DIR_IN, 500, 5, 0);
	POINT(s0, "192.0.2.1", 7, FT_DIR_OUT, 500, 5, 0);
	POINT(s1, "192.0.2.1", 5, FT_DIR_IN, 1500, 15, 1);
	POINT(s1, "192.0.2.1", 7, FT_DIR_OUT, 1500, 15, 1);
	POINT(s1, "192.0.2.1", 7, FT_DIR_IN, 300, 3, 1);
	POINT(s1, "192.0.2.1", 5, FT_DIR_OUT, 0, 0, 0);
	POINT(s1, "192.0.2.2", 5, FT_DIR_OUT, 70, 1, 1);
	POINT(s1, "192.0.2.2", 5, FT_DIR_IN, 0, 0, 0);
	ck_assert_uint_eq(s0->n_points, 2);
	ck_assert_uint_eq(s1->n_points, 4);
	VOL(&s1->not_accounted, 50, 1, 1);
	/* in order, none zero */
	for (size_t i = 1; i < s1->n_points; i++)
		ck_assert_int_lt(ft_step_point_cmp(&s1->points[i - 1], &s1->points[i]), 0);
	/* a copy and a JSON round trip keep them */
	char dir[] = "/tmp/ft-agg-XXXXXX", path[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/steps.json", dir);
	ck_assert_int_eq(ft_steps_save(path, st.s, st.n), 0);
	struct ft_step *back_ = NULL;
	size_t n = 0;
	char why[200];
	ck_assert_int_eq(ft_steps_load(path, &back_, &n, why, sizeof(why)), 0);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(back_[i].n_points, st.s[i].n_points);
		for (size_t j = 0; j < back_[i].n_points; j++)
			ck_assert_int_eq(memcmp(&back_[i].points[j], &st.s[i].points[j], sizeof(struct ft_step_point)), 0);
		ft_step_done(&back_[i]);
	}
	free(back_);
	unlink(path);
	rmdir(dir);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(points_survive_reloads_restores_and_merges)
{
	struct mapdef d1, d2;
	md_init(&d1);
	md_prefix(&d1, "acme", "10.1.0.0/16");
	md_point(&d1, "192.0.2.1", 5, FT_POINT_IN);
	md_point(&d1, "192.0.2.1", 6, FT_POINT_IN);
	struct ft_tenant_map *m1 = md_build(&d1);
	md_init(&d2);
	md_prefix(&d2, "acme", "10.1.0.0/16");
	md_point(&d2, "192.0.2.1", 8, FT_POINT_IN);      /* a new one first: numbers move */
	md_point(&d2, "192.0.2.1", 6, FT_POINT_IN);      /* 5 is gone */
	struct ft_tenant_map *m2 = md_build(&d2);
	struct ft_agg *a = agg_at(m1, MINUTE, MINUTE, T0 + 30000);
	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", T0 + 1000, T0 + 2000, 100, 1);
	f.in_if = 5;
	add(a, m1, &f);
	f.in_if = 6;
	add(a, m1, &f);
	ck_assert_int_eq(ft_agg_set_map(a, m2), 0);
	f.in_if = 6;
	add(a, m2, &f);
	f.in_if = 8;
	add(a, m2, &f);
	/* a snapshot restored into a fresh aggregator adds back where it was */
	struct ft_step snap[8];
	size_t ns = ft_agg_snapshot(a, snap, 8);
	ck_assert_uint_eq(ns, 1);
	struct ft_agg *b = agg_at(m2, MINUTE, MINUTE, T0 + 30000);
	ck_assert_int_eq(ft_agg_restore(b, &snap[0]), 0);
	ck_assert_int_eq(ft_agg_restore(b, &snap[0]), 0);   /* twice: twice the volume */
	struct steps st = { 0 };
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 1);
	ck_assert_uint_eq(close_steps(b, INT64_MAX, 8, &st), 1);
	POINT(&st.s[0], "192.0.2.1", 5, FT_DIR_IN, 100, 1, 1);
	POINT(&st.s[0], "192.0.2.1", 6, FT_DIR_IN, 200, 2, 2);
	POINT(&st.s[0], "192.0.2.1", 8, FT_DIR_IN, 100, 1, 1);
	POINT(&st.s[1], "192.0.2.1", 5, FT_DIR_IN, 200, 2, 2);
	POINT(&st.s[1], "192.0.2.1", 6, FT_DIR_IN, 400, 4, 4);
	POINT(&st.s[1], "192.0.2.1", 8, FT_DIR_IN, 200, 2, 2);
	/* a merge adds by key */
	ck_assert_int_eq(ft_step_merge(&st.s[0], &st.s[1]), 0);
	POINT(&st.s[0], "192.0.2.1", 5, FT_DIR_IN, 300, 3, 3);
	POINT(&st.s[0], "192.0.2.1", 6, FT_DIR_IN, 600, 6, 6);
	ck_assert_uint_eq(st.s[0].n_points, 3);
	for (size_t i = 0; i < ns; i++)
		ft_step_done(&snap[i]);
	steps_done(&st);
	ft_agg_free(a);
	ft_agg_free(b);
	ft_tenant_map_free(m1);
	ft_tenant_map_free(m2);
}
END_TEST


/* ---- review: points that break the step's own bounds ------------------------------------ */

/* A one-minute step at T0 with nothing attributed: total = both unattributed sums. */
static struct ft_step bare_step(uint64_t bytes, uint64_t packets, uint64_t flows)
{
	struct ft_step st = { .start_ms = T0, .length_ms = MINUTE };
	st.total = st.unattributed_src = st.unattributed_dst = (struct ft_volume){ bytes, packets, flows };
	return st;
}

/* A point of no direction fails the contract, so ft_agg_restore() never indexes the slot's
 * array by it (direction 3 at the last interface would be one past the array's end). */
START_TEST(restore_refuses_a_point_of_no_direction)
{
	struct mapdef d;
	md_init(&d);
	md_prefix(&d, "acme", "10.1.0.0/16");
	md_point(&d, "192.0.2.1", 5, FT_POINT_BOTH);
	struct ft_tenant_map *m = md_build(&d);
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	struct ft_step st = bare_step(100, 1, 1);
	struct ft_step_point p = { .exporter = addr("192.0.2.1"), .ifindex = 5, .direction = 3, .v = { 100, 1, 1 } };
	st.points = &p;
	st.n_points = 1;
	ck_assert_int_eq(ft_step_check(&st), -EBADMSG);   /* the contract covers points */
	ck_assert_int_eq(ft_agg_restore(a, &st), -EINVAL);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

/* A point carries at most its step's total, packets and flows as well as bytes: steps.json
 * and ft_agg_restore() refuse one beyond it, so no point can wrap with the next record
 * (restore_then_record_keeps_points_within_the_total). */
START_TEST(steps_json_refuses_a_point_beyond_its_total)
{
	struct mapdef d;
	md_init(&d);
	md_prefix(&d, "acme", "10.1.0.0/16");
	md_point(&d, "192.0.2.1", 5, FT_POINT_IN);
	struct ft_tenant_map *m = md_build(&d);
	/* the loader takes it */
	char dir[] = "/tmp/ft-agg-XXXXXX", path[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/steps.json", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"schema\":1,\"steps\":[{\"start_ms\":%lld,\"length_ms\":%lld,\"map\":\"-\",\"total\":[100,1,1],"
	           "\"unattributed_src\":[100,1,1],\"unattributed_dst\":[100,1,1],\"late\":[0,0,0],"
	           "\"not_accounted\":[0,0,0],\"cells\":[],"
	           "\"points\":[[\"192.0.2.1\",5,\"in\",100,9223372036854775807,1]]}]}\n",
	        (long long)T0, (long long)MINUTE);
	fclose(f);
	struct ft_step *loaded = NULL;
	size_t n = 0;
	char why[200] = "";
	int lr = ft_steps_load(path, &loaded, &n, why, sizeof(why));
	unlink(path);
	rmdir(dir);
	for (size_t i = 0; lr == 0 && i < n; i++)
		ft_step_done(&loaded[i]);
	free(loaded);
	ck_assert_msg(lr < 0, "steps.json: a point of 2^63 - 1 packets in a step of 1 packet was loaded");
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(restore_then_record_keeps_points_within_the_total)
{
	struct mapdef d;
	md_init(&d);
	md_prefix(&d, "acme", "10.1.0.0/16");
	md_point(&d, "192.0.2.1", 5, FT_POINT_IN);
	struct ft_tenant_map *m = md_build(&d);
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	struct ft_step st = bare_step(100, 1, 1);
	struct ft_step_point p = { .exporter = addr("192.0.2.1"), .ifindex = 5, .direction = FT_DIR_IN,
	                           .v = { 100, UINT64_MAX, 1 } };
	st.points = &p;
	st.n_points = 1;
	ck_assert_int_eq(ft_step_check(&st), -EBADMSG);
	int r = ft_agg_restore(a, &st);
	ck_assert_int_eq(r, -EINVAL);
	if (r == 0) {
		struct ft_flow fl = flow("10.1.0.1", "8.8.8.8", T0 + 1000, T0 + 2000, 100, 1);
		fl.exporter = addr("192.0.2.1");
		fl.in_if = 5;
		add(a, m, &fl);
		struct steps out = { 0 };
		ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &out), 1);
		const struct ft_step_point *q = point_of(&out.s[0], "192.0.2.1", 5, FT_DIR_IN);
		ck_assert_ptr_nonnull(q);
		ck_assert_msg(q->v.packets >= 1 && q->v.packets <= out.s[0].total.packets,
		              "point packets %llu, the step's total %llu: the point wrapped",
		              (unsigned long long)q->v.packets, (unsigned long long)out.s[0].total.packets);
		steps_done(&out);
	}
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

/* ft_step_merge(): "-EOVERFLOW (a sum would pass 2^64 - 1) ... dst is then unchanged",
 * for a point beyond its total too. */
START_TEST(merge_never_wraps_a_point)
{
	struct ft_step x = bare_step(10, 1, 1), y = bare_step(10, 1, 1);
	x.points = calloc(1, sizeof(*x.points));
	y.points = calloc(1, sizeof(*y.points));
	ck_assert_ptr_nonnull(x.points);
	ck_assert_ptr_nonnull(y.points);
	x.points[0] = y.points[0] = (struct ft_step_point){ .exporter = addr("192.0.2.1"), .ifindex = 5,
	                                                     .direction = FT_DIR_IN, .v = { 10, 1ULL << 63, 1 } };
	x.n_points = y.n_points = 1;
	ck_assert_int_eq(ft_step_check(&x), -EBADMSG);
	int r = ft_step_merge(&x, &y);
	ck_assert_msg(r == -EOVERFLOW || (x.n_points == 1 && x.points[0].v.packets >= 1ULL << 63),
	              "merge returned %d and the point's packets wrapped to %llu", r,
	              (unsigned long long)(x.n_points ? x.points[0].v.packets : 0));
	ft_step_done(&x);
	ft_step_done(&y);
}
END_TEST

/* ---- snapshot and restore ------------------------------------------------------------ */

static const struct ft_step *by_start(const struct ft_step *s, size_t n, int64_t start)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].start_ms == start)
			return &s[i];
	return NULL;
}

START_TEST(restore_into_an_open_step)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, MINUTE, 2 * MINUTE, T0 + 150000);
	struct ft_flow r1 = flow("10.1.0.1", "10.2.0.1", T0 + 70000, T0 + 80000, 100, 1);
	struct ft_flow r2 = flow("8.8.8.8", "9.9.9.9", T0 + 130000, T0 + 140000, 200, 2);
	struct ft_flow r3 = flow("10.2.0.1", "192.168.7.7", T0 + 61000, T0 + 62000, 400, 4);
	add(a, m, &r1);
	add(a, m, &r2);
	size_t k = ft_agg_max_open(a);
	ck_assert_uint_ge(k, 3);
	struct ft_step *saved = calloc(k, sizeof(*saved));
	size_t n = ft_agg_snapshot(a, saved, k);
	ck_assert_uint_eq(n, 2);
	ft_agg_free(a);

	a = agg_at(m, MINUTE, 2 * MINUTE, T0 + 150000);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(ft_agg_restore(a, &saved[i]), 0);
	struct ft_step wrong = saved[0];
	wrong.length_ms = 2 * MINUTE;
	ck_assert_int_eq(ft_agg_restore(a, &wrong), -EINVAL);
	wrong = saved[0];
	wrong.start_ms = T0 + 10 * MINUTE;       /* after the newest open step */
	ck_assert_int_eq(ft_agg_restore(a, &wrong), -EINVAL);
	add(a, m, &r3);

	struct steps st = { 0 };
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 2);
	const struct ft_step *s = step_at(&st, T0 + MINUTE);
	ck_assert_ptr_nonnull(s);
	check_ok(s);
	VOL(&s->total, 500, 5, 2);
	CELL(s, "acme", FT_DIR_OUT, "partner", 100, 1, 1);
	CELL(s, "bravo", FT_DIR_IN, "partner", 100, 1, 1);
	CELL(s, "bravo", FT_DIR_OUT, "psn", 400, 4, 1);
	VOL(&s->unattributed_dst, 400, 4, 1);
	ck_assert_uint_eq(s->n_cells, 3);
	s = step_at(&st, T0 + 2 * MINUTE);
	ck_assert_ptr_nonnull(s);
	check_ok(s);
	VOL(&s->total, 200, 2, 1);
	VOL(&s->unattributed_src, 200, 2, 1);
	VOL(&s->unattributed_dst, 200, 2, 1);
	ck_assert_uint_eq(s->n_cells, 0);
	for (size_t i = 0; i < n; i++)
		ft_step_done(&saved[i]);
	free(saved);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

/* Saves the open steps of an aggregator that saw r1 (T0+0:xx) and r2 (T0+1:xx). */
static size_t saved_steps(const struct ft_tenant_map *m, struct ft_step *saved, size_t cap)
{
	struct ft_agg *a = agg_at(m, MINUTE, 2 * MINUTE, T0 + 150000);
	struct ft_flow r1 = flow("10.1.0.1", "10.2.0.1", T0 + 10000, T0 + 20000, 100, 1);
	struct ft_flow r2 = flow("192.168.0.1", "10.2.0.1", T0 + 70000, T0 + 80000, 200, 2);
	r2.sampling_rate = 3;
	add(a, m, &r1);
	add(a, m, &r2);
	add(a, m, &r1);
	size_t n = ft_agg_snapshot(a, saved, cap);
	ft_agg_free(a);
	ck_assert_uint_eq(n, 2);
	return n;
}

START_TEST(restored_step_past_its_window_closes_unchanged)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_step saved[8];
	size_t n = saved_steps(m, saved, 8);
	const struct ft_step *late = by_start(saved, n, T0 + MINUTE);
	ck_assert_ptr_nonnull(late);
	/* Back a day later: T0+1:00 is long past its window. */
	struct ft_agg *a = agg_at(m, MINUTE, 2 * MINUTE, T0 + 86400000);
	ck_assert_int_eq(ft_agg_restore(a, late), 0);
	struct steps st = { 0 };
	ck_assert_uint_eq(close_steps(a, T0 + 86400000, 8, &st), 1);
	same_step(&st.s[0], late);
	check_ok(&st.s[0]);
	CELL(&st.s[0], "bravo", FT_DIR_IN, "psn", 600, 6, 1);
	for (size_t i = 0; i < n; i++)
		ft_step_done(&saved[i]);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(restored_steps_past_their_window_close_oldest_first)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_step saved[8];
	size_t n = saved_steps(m, saved, 8);
	const struct ft_step *s0 = by_start(saved, n, T0), *s1 = by_start(saved, n, T0 + MINUTE);
	ck_assert(s0 && s1);
	struct ft_agg *a = agg_at(m, MINUTE, 2 * MINUTE, T0 + 86400000);
	ck_assert_int_eq(ft_agg_restore(a, s0), 0);   /* saved files are read oldest first */
	ck_assert_int_eq(ft_agg_restore(a, s1), 0);
	struct steps st = { 0 };
	ck_assert_uint_eq(close_steps(a, T0 + 86400000, 8, &st), 2);
	ck_assert_msg(st.s[0].start_ms == T0 && st.s[1].start_ms == T0 + MINUTE,
	              "restored steps T0+0:00, T0+1:00 came out as T0%+lld s, T0%+lld s",
	              (long long)(st.s[0].start_ms - T0) / 1000, (long long)(st.s[1].start_ms - T0) / 1000);
	for (size_t i = 0; i < n; i++)
		ft_step_done(&saved[i]);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(restored_step_not_yet_closed_survives_another_restart)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_step saved[8], again[16];
	size_t n = saved_steps(m, saved, 8);
	const struct ft_step *s0 = by_start(saved, n, T0);
	ck_assert_ptr_nonnull(s0);
	struct ft_agg *a = agg_at(m, MINUTE, 2 * MINUTE, T0 + 86400000);
	ck_assert_int_eq(ft_agg_restore(a, s0), 0);
	/* Stopped again before the step was handed on: a clean stop saves what it holds. */
	size_t k = ft_agg_snapshot(a, again, 16);
	ft_agg_free(a);
	a = agg_at(m, MINUTE, 2 * MINUTE, T0 + 86400000);
	for (size_t i = 0; i < k; i++) {
		ck_assert_int_eq(ft_agg_restore(a, &again[i]), 0);
		ft_step_done(&again[i]);
	}
	struct steps st = { 0 };
	close_steps(a, T0 + 86400000, 8, &st);
	ck_assert_msg(st.n == 1, "restored step T0+0:00, saved again before the next advance, is lost "
	              "(%zu steps saved, %zu closed)", k, st.n);
	same_step(&st.s[0], s0);
	for (size_t i = 0; i < n; i++)
		ft_step_done(&saved[i]);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

/* ---- map reloads --------------------------------------------------------------------- */

START_TEST(reload_mid_step_keeps_counts_by_name)
{
	struct ft_tenant_map *m1 = basic_map();
	struct mapdef d;
	md_init(&d);
	md_class(&d, "janet");                  /* psn is gone, class numbers move */
	md_prefix(&d, "charlie", "10.3.0.0/16"); /* tenant numbers move too */
	md_prefix(&d, "acme", "10.1.0.0/16");
	md_prefix(&d, "acme", "10.2.0.0/16");    /* bravo is gone: acme took its space */
	md_class_prefix(&d, "janet", "172.16.0.0/12");
	struct ft_tenant_map *m2 = md_build(&d);

	struct ft_agg *a = agg_at(m1, MINUTE, MINUTE, T0 + 30000);
	struct ft_flow r1 = flow("10.1.0.1", "10.2.0.1", T0 + 1000, T0 + 2000, 100, 1);
	struct ft_flow r2 = flow("10.2.0.1", "192.168.1.1", T0 + 1000, T0 + 2000, 200, 2);
	struct ft_flow r3 = flow("10.2.0.1", "8.8.8.8", T0 + 3000, T0 + 4000, 400, 4);
	struct ft_flow r4 = flow("192.168.1.1", "10.3.0.1", T0 + 3000, T0 + 4000, 800, 8);
	add(a, m1, &r1);
	add(a, m1, &r2);
	ck_assert_int_eq(ft_agg_set_map(a, m2), 0);
	ft_tenant_map_free(m1);                  /* the aggregator no longer needs it */
	add(a, m2, &r3);
	add(a, m2, &r4);

	struct steps st = { 0 };
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 1);
	const struct ft_step *s = &st.s[0];
	ck_assert_str_eq(s->map_id, ft_tenant_map_id(m2));
	CELL(s, "acme", FT_DIR_OUT, "partner", 100, 1, 1);
	CELL(s, "bravo", FT_DIR_IN, "partner", 100, 1, 1);
	CELL(s, "bravo", FT_DIR_OUT, "psn", 200, 2, 1);
	CELL(s, "acme", FT_DIR_OUT, "internet", 400, 4, 1);
	CELL(s, "charlie", FT_DIR_IN, "internet", 800, 8, 1);
	ck_assert_uint_eq(s->n_cells, 5);
	VOL(&s->total, 1500, 15, 4);
	VOL(&s->unattributed_src, 800, 8, 1);
	VOL(&s->unattributed_dst, 600, 6, 2);
	check_ok(s);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m2);
}
END_TEST

START_TEST(reload_keeps_unattributed_counts)
{
	struct ft_tenant_map *m1 = basic_map(), *m2 = basic_map();
	struct ft_agg *a = agg_at(m1, MINUTE, MINUTE, T0 + 30000);
	struct ft_flow f = flow("8.8.8.8", "9.9.9.9", T0 + 1000, T0 + 2000, 100, 1);
	add(a, m1, &f);
	ck_assert_int_eq(ft_agg_set_map(a, m2), 0);
	struct steps st = { 0 };
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 1);
	VOL(&st.s[0].total, 100, 1, 1);
	VOL(&st.s[0].unattributed_src, 100, 1, 1);
	VOL(&st.s[0].unattributed_dst, 100, 1, 1);
	check_ok(&st.s[0]);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m1);
	ft_tenant_map_free(m2);
}
END_TEST

/* ---- merging and checking closed steps ----------------------------------------------- */

static struct ft_step_cell mkcell(const char *tenant, int dir, const char *cls, uint64_t b, uint64_t p,
                                  uint64_t f)
{
	struct ft_step_cell c = { .direction = (uint8_t)dir, .v = { b, p, f } };
	snprintf(c.tenant, sizeof(c.tenant), "%s", tenant);
	snprintf(c.class_, sizeof(c.class_), "%s", cls);
	return c;
}

static struct ft_step mkstep(const struct ft_step_cell *cells, size_t n, struct ft_volume total,
                             struct ft_volume usrc, struct ft_volume udst)
{
	struct ft_step s = { .start_ms = T0, .length_ms = MINUTE, .total = total, .unattributed_src = usrc,
	                     .unattributed_dst = udst, .late = { 1, 1, 0 }, .not_accounted = { 5, 1, 1 } };
	s.cells = malloc((n + 1) * sizeof(*s.cells));
	ck_assert_ptr_nonnull(s.cells);
	memcpy(s.cells, cells, n * sizeof(*cells));
	s.n_cells = n;
	return s;
}

START_TEST(merge_adds_cells_by_name_and_keeps_order)
{
	struct ft_step_cell a[] = {
		mkcell("acme", FT_DIR_OUT, "internet", 10, 1, 1),
		mkcell("bravo", FT_DIR_IN, "internet", 10, 1, 1),
	};
	struct ft_step_cell b[] = {
		mkcell("acme", FT_DIR_IN, "psn", 5, 1, 1),
		mkcell("acme", FT_DIR_OUT, "internet", 7, 2, 0),
		mkcell("zulu", FT_DIR_OUT, "hscn", 3, 1, 1),
	};
	struct ft_step x = mkstep(a, 2, (struct ft_volume){ 10, 1, 1 }, (struct ft_volume){ 0 },
	                          (struct ft_volume){ 0 });
	struct ft_step y = mkstep(b, 3, (struct ft_volume){ 15, 4, 2 }, (struct ft_volume){ 5, 1, 1 },
	                          (struct ft_volume){ 10, 3, 1 });
	check_ok(&x);
	check_ok(&y);
	struct ft_step empty = { .start_ms = T0, .length_ms = MINUTE };
	ck_assert_int_eq(ft_step_merge(&empty, &x), 0);
	same_step(&empty, &x);
	ck_assert_int_eq(ft_step_merge(&x, &y), 0);
	check_ok(&x);
	VOL(&x.total, 25, 5, 3);
	VOL(&x.unattributed_src, 5, 1, 1);
	VOL(&x.unattributed_dst, 10, 3, 1);
	VOL(&x.late, 2, 2, 0);
	VOL(&x.not_accounted, 10, 2, 2);
	ck_assert_uint_eq(x.n_cells, 4);
	static const char *const order[][3] = { { "acme", "0", "internet" }, { "acme", "1", "psn" },
	                                        { "bravo", "1", "internet" }, { "zulu", "0", "hscn" } };
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(x.cells[i].tenant, order[i][0]);
		ck_assert_uint_eq(x.cells[i].direction, (unsigned)(order[i][1][0] - '0'));
		ck_assert_str_eq(x.cells[i].class_, order[i][2]);
	}
	CELL(&x, "acme", FT_DIR_OUT, "internet", 17, 3, 1);
	ft_step_done(&x);
	ft_step_done(&y);
	ft_step_done(&empty);
}
END_TEST

START_TEST(check_refuses_a_step_that_does_not_add_up)
{
	struct ft_step_cell c[] = {
		mkcell("acme", FT_DIR_OUT, "internet", 10, 1, 1),
		mkcell("bravo", FT_DIR_IN, "partner", 10, 1, 1),
	};
	struct ft_step s = mkstep(c, 2, (struct ft_volume){ 10, 1, 1 }, (struct ft_volume){ 0 },
	                          (struct ft_volume){ 0 });
	check_ok(&s);
	s.cells[1].v.packets++;
	ck_assert_int_eq(ft_step_check(&s), -EBADMSG);
	s.cells[1].v.packets--;
	s.unattributed_src.flows = 1;
	ck_assert_int_eq(ft_step_check(&s), -EBADMSG);
	s.unattributed_src.flows = 0;
	s.total.bytes = 11;
	ck_assert_int_eq(ft_step_check(&s), -EBADMSG);
	ft_step_done(&s);
	ck_assert_ptr_null(s.cells);
	ck_assert_uint_eq(s.n_cells, 0);
}
END_TEST

/* ---- random records against the ledger invariant ------------------------------------- */

static const char *const tenant_pool[] = { "acme", "bravo", "charlie", "delta", "echo", "foxtrot" };
static const char *const class_pool[] = { "internet", "partner", "psn", "hscn", "janet" };
#define N_TP (sizeof(tenant_pool) / sizeof(tenant_pool[0]))
#define N_CP (sizeof(class_pool) / sizeof(class_pool[0]))
#define MAX_PFX 24
#define MAX_STEPS 1024

struct rmap {
	struct ft_tenant_map *m;
	struct ft_prefix p[MAX_PFX];   /* tenant and class prefixes, for picking addresses */
	size_t np;
};

static void mask_to(struct ft_addr *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		if (bits < 8)
			a->b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

static struct ft_prefix random_prefix(uint64_t *s)
{
	static const char *const bases[] = { "10.0.0.0", "10.1.2.3", "192.168.5.5", "0.0.0.0", "2001:db8::",
	                                     "2001:db8:1::", "::", "fd00::1" };
	struct ft_prefix p = { .addr = addr(bases[below(s, 8)]) };
	bool v4 = ft_addr_is_v4(&p.addr);
	unsigned len = v4 ? 96 + (unsigned)below(s, 33) : (unsigned)below(s, 129);
	unsigned lo = v4 ? 96 : 0;
	if (len > lo && below(s, 2))
		p.addr.b[(lo + below(s, len - lo)) / 8] ^= (uint8_t)(1u << below(s, 8));
	p.len = (uint8_t)len;
	mask_to(&p.addr, len);
	return p;
}

static bool has_prefix(const struct rmap *r, const struct ft_prefix *p)
{
	for (size_t i = 0; i < r->np; i++)
		if (r->p[i].len == p->len && ft_addr_equal(&r->p[i].addr, &p->addr))
			return true;
	return false;
}

/* A random map over a random part of the name pools, declared in random order. */
static void random_map(uint64_t *s, struct rmap *r)
{
	struct mapdef d;
	md_init(&d);
	r->np = 0;
	for (size_t i = 0, first = below(s, N_TP); i < N_TP; i++)
		if (below(s, 3))
			md_tenant(&d, tenant_pool[(first + i * 5) % N_TP]);
	for (size_t i = 2, first = below(s, N_CP - 2); i < N_CP; i++)
		if (below(s, 2))
			md_class(&d, class_pool[2 + (first + i) % (N_CP - 2)]);
	for (unsigned k = (unsigned)below(s, MAX_PFX); k > 0; k--) {
		struct ft_prefix p = random_prefix(s);
		bool for_class = d.c.n_classes > 2 && below(s, 4) == 0;
		if (has_prefix(r, &p) || (!for_class && d.c.n_tenants < 2))
			continue;
		r->p[r->np++] = p;
		if (for_class) {
			struct ft_class_rule cr = { .cls = (uint8_t)(2 + below(s, d.c.n_classes - 2)), .prefix = p,
			                            .from_ms = FT_TIME_MIN, .until_ms = FT_TIME_MAX, .at = md_line(&d) };
			ck_assert_int_eq(ft_tenant_conf_add_class_rule(&d.c, &cr), 0);
		} else {
			struct ft_rule tr = { .kind = FT_RULE_PREFIX, .tenant = (uint16_t)(1 + below(s, d.c.n_tenants - 1)),
			                      .prefix = p, .from_ms = FT_TIME_MIN, .until_ms = FT_TIME_MAX,
			                      .at = md_line(&d) };
			ck_assert_int_eq(ft_tenant_conf_add_rule(&d.c, &tr), 0);
		}
	}
	if (below(s, 4) == 0)
		for (unsigned k = 1 + (unsigned)below(s, 2); k > 0; k--)
			md_point(&d, "192.0.2.1", 1 + (uint32_t)below(s, 3), (uint8_t)(1 + below(s, 3)));
	r->m = md_build(&d);
}

static struct ft_addr random_addr(uint64_t *s, const struct rmap *r)
{
	if (r->np == 0 || below(s, 5) == 0) {
		struct ft_addr a;
		uint64_t x = rng_next(s), y = rng_next(s);
		memcpy(a.b, &x, 8);
		memcpy(a.b + 8, &y, 8);
		if (below(s, 2))
			ft_addr_from_v4(&a, (uint32_t)y);
		return a;
	}
	const struct ft_prefix *p = &r->p[below(s, r->np)];
	struct ft_addr a = p->addr;
	for (unsigned bit = p->len; bit < 128; bit++)
		if (below(s, 2))
			a.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	return a;
}

static size_t pool_index(const char *const *pool, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(pool[i], name) == 0)
			return i;
	ck_abort_msg("unknown name '%s' in a closed step", name);
	return 0;
}

static void vsum(struct ft_volume *d, const struct ft_volume *v)
{
	d->bytes += v->bytes;
	d->packets += v->packets;
	d->flows += v->flows;
}

/* What the records add up to, and what the closed steps do. */
struct ledger {
	struct ft_volume cells[N_TP][2][N_CP];
	struct ft_volume usrc, udst, total, not_accounted;
	uint64_t flows[MAX_STEPS], late_flows[MAX_STEPS];
	uint64_t late_bytes;
};

enum { RELOADS = 1, RESTARTS = 2 };

struct run {
	uint64_t seed, s;
	int64_t step, lateness, now, base;
	struct rmap maps[3];
	size_t n_maps, cur;
	struct ft_agg *a;
	struct ledger want, got;
	size_t closed;
};

static int64_t floor_to(int64_t t, int64_t step)
{
	int64_t q = t / step;
	if (t % step && t < 0)
		q--;
	return q * step;
}

static size_t step_index(const struct run *r, int64_t start)
{
	ck_assert_msg(start >= r->base && (start - r->base) % r->step == 0 &&
	              (start - r->base) / r->step < MAX_STEPS, "seed %llu: step at T0%+lld out of range",
	              (unsigned long long)r->seed, (long long)(start - T0));
	return (size_t)((start - r->base) / r->step);
}

static struct ft_flow random_record(struct run *r, const struct rmap *rm)
{
	uint64_t *s = &r->s;
	struct ft_flow f = { .sampling_rate = rates[below(s, N_RATES)] };
	f.exporter = addr(below(s, 4) ? "192.0.2.1" : "2001:db8::1");
	f.src = random_addr(s, rm);
	f.dst = random_addr(s, rm);
	f.in_if = 1 + (uint32_t)below(s, 3);
	f.out_if = 1 + (uint32_t)below(s, 3);
	f.bytes = below(s, 8) == 0 ? below(s, 3) : below(s, 1ull << 31);
	f.packets = below(s, 1ull << 16);
	f.flags = below(s, 6) == 0 ? FT_FLOW_SECOND_HALF : 0;
	if (below(s, 10) == 0)
		f.flags |= FT_FLOW_NOT_ACCOUNTED;
	/* Mostly recent, some older than the window, a few a little ahead of the clock. */
	int64_t back = below(s, 8) == 0 ? (int64_t)below(s, (uint64_t)(r->lateness + 4 * r->step)) :
	               below(s, 20) == 0 ? -(int64_t)below(s, (uint64_t)r->step) :
	               (int64_t)below(s, (uint64_t)r->step);
	f.end_ms = r->now - back;
	unsigned shape = (unsigned)below(s, 10);
	int64_t dur = shape == 0 ? 0 : shape == 1 ? -(int64_t)below(s, 5000) :
	              (int64_t)below(s, (uint64_t)((shape == 2 ? 30 : 3) * r->step));
	f.start_ms = f.end_ms - dur;
	if (below(s, 20) == 0)                    /* an end on a step boundary */
		f.end_ms -= f.end_ms % r->step;
	return f;
}

static struct ft_volume *want_cell(struct run *r, const struct ft_tenant_map *m, uint16_t t, int dir,
                                   uint8_t c)
{
	return &r->want.cells[pool_index(tenant_pool, N_TP, ft_tenant_map_tenant(m, t)->name)][dir]
	                     [pool_index(class_pool, N_CP, ft_tenant_map_class(m, c))];
}

/* Adds a random record to the aggregator and, by the contract, to the expected ledger. */
static void add_record(struct run *r)
{
	const struct rmap *rm = &r->maps[r->cur];
	struct ft_flow f = random_record(r, rm);
	struct ft_attr at;
	ft_tenant_attribute(rm->m, &f, &at);
	ft_agg_add(r->a, &f, &at);

	struct ft_volume v = { f.bytes * f.sampling_rate, f.packets * f.sampling_rate,
	                       f.flags & FT_FLOW_SECOND_HALF ? 0 : 1 };
	if (!at.accounted) {
		vsum(&r->want.not_accounted, &v);
		return;
	}
	vsum(&r->want.total, &v);
	vsum(at.src ? want_cell(r, rm->m, at.src, FT_DIR_OUT, at.src_class) : &r->want.usrc, &v);
	vsum(at.dst ? want_cell(r, rm->m, at.dst, FT_DIR_IN, at.dst_class) : &r->want.udst, &v);
	/* The flow goes to the step of the end, held within the open window. */
	int64_t oldest = floor_to(r->now - r->lateness, r->step), newest = floor_to(r->now, r->step);
	int64_t st = floor_to(f.end_ms, r->step);
	size_t i = step_index(r, st < oldest ? oldest : st > newest ? newest : st);
	r->want.flows[i] += v.flows;
	if (st < oldest)
		r->want.late_flows[i] += v.flows;
}

static void take_closed(struct run *r, const struct ft_step *st, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const struct ft_step *s = &st[k];
		ck_assert_msg(ft_step_check(s) == 0, "seed %llu: closed step at T0%+lld s does not add up "
		              "(total %llu bytes)", (unsigned long long)r->seed, (long long)(s->start_ms - T0) / 1000,
		              (unsigned long long)s->total.bytes);
		ck_assert_int_eq(s->length_ms, r->step);
		size_t i = step_index(r, s->start_ms);
		r->got.flows[i] += s->total.flows;
		r->got.late_flows[i] += s->late.flows;
		ck_assert_uint_le(s->late.bytes, s->total.bytes);
		for (size_t c = 0; c < s->n_cells; c++) {
			const struct ft_step_cell *cl = &s->cells[c];
			ck_assert_uint_le(cl->direction, 1);
			vsum(&r->got.cells[pool_index(tenant_pool, N_TP, cl->tenant)][cl->direction]
			                  [pool_index(class_pool, N_CP, cl->class_)], &cl->v);
		}
		vsum(&r->got.usrc, &s->unattributed_src);
		vsum(&r->got.udst, &s->unattributed_dst);
		vsum(&r->got.total, &s->total);
		vsum(&r->got.not_accounted, &s->not_accounted);
		r->closed++;
	}
}

static void close_random(struct run *r, bool flush)
{
	struct ft_step buf[4];
	size_t cap = 1 + below(&r->s, 4), n;
	do {
		n = flush ? ft_agg_flush(r->a, buf, cap) : ft_agg_advance(r->a, r->now, buf, cap);
		take_closed(r, buf, n);
		for (size_t i = 0; i < n; i++)
			ft_step_done(&buf[i]);
	} while (n == cap);
}

/* A clean stop and start as flowtallyd makes it: what is due closed, the open steps
 * saved, a new aggregator (perhaps much later), the steps restored. */
static void restart(struct run *r)
{
	close_random(r, false);
	size_t k = ft_agg_max_open(r->a);
	struct ft_step *saved = calloc(k, sizeof(*saved));
	ck_assert_ptr_nonnull(saved);
	size_t n = ft_agg_snapshot(r->a, saved, k);
	ft_agg_free(r->a);
	if (below(&r->s, 2))
		r->now += (int64_t)below(&r->s, (uint64_t)(r->lateness + 3 * r->step));
	struct ft_agg_conf o = { r->step, r->lateness };
	r->a = ft_agg_new(&o, r->maps[r->cur].m, r->now);
	ck_assert_ptr_nonnull(r->a);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(ft_agg_restore(r->a, &saved[i]), 0);
		ft_step_done(&saved[i]);
	}
	free(saved);
}

static void same_volume(const struct run *r, const struct ft_volume *got, const struct ft_volume *want,
                        const char *what)
{
	ck_assert_msg(got->bytes == want->bytes && got->packets == want->packets && got->flows == want->flows,
	              "seed %llu: %s: closed steps hold %llu/%llu/%llu, the records %llu/%llu/%llu",
	              (unsigned long long)r->seed, what, (unsigned long long)got->bytes,
	              (unsigned long long)got->packets, (unsigned long long)got->flows,
	              (unsigned long long)want->bytes, (unsigned long long)want->packets,
	              (unsigned long long)want->flows);
}

static void compare(const struct run *r)
{
	struct ft_volume in = r->want.total;
	vsum(&in, &r->want.not_accounted);
	struct ft_volume out = r->got.total;
	vsum(&out, &r->got.not_accounted);
	same_volume(r, &out, &in, "total + not accounted");
	same_volume(r, &r->got.total, &r->want.total, "total");
	same_volume(r, &r->got.not_accounted, &r->want.not_accounted, "not accounted");
	same_volume(r, &r->got.usrc, &r->want.usrc, "unattributed source");
	same_volume(r, &r->got.udst, &r->want.udst, "unattributed destination");
	for (size_t t = 0; t < N_TP; t++)
		for (int d = 0; d < 2; d++)
			for (size_t c = 0; c < N_CP; c++) {
				char what[96];
				snprintf(what, sizeof(what), "%s %s %s", tenant_pool[t], d ? "in" : "out", class_pool[c]);
				same_volume(r, &r->got.cells[t][d][c], &r->want.cells[t][d][c], what);
			}
	for (size_t i = 0; i < MAX_STEPS; i++) {
		ck_assert_msg(r->got.flows[i] == r->want.flows[i], "seed %llu: step T0%+lld s: %llu flows, want %llu",
		              (unsigned long long)r->seed, (long long)(r->base + (int64_t)i * r->step - T0) / 1000,
		              (unsigned long long)r->got.flows[i], (unsigned long long)r->want.flows[i]);
		ck_assert_msg(r->got.late_flows[i] == r->want.late_flows[i], "seed %llu: step T0%+lld s: %llu late "
		              "flows, want %llu", (unsigned long long)r->seed,
		              (long long)(r->base + (int64_t)i * r->step - T0) / 1000,
		              (unsigned long long)r->got.late_flows[i], (unsigned long long)r->want.late_flows[i]);
	}
}

static void run_one(uint64_t seed, unsigned what, unsigned actions)
{
	static const int64_t steps[] = { 1000, 60000, 300000 };
	struct run *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->seed = seed;
	r->s = seed * 0x9e3779b97f4a7c15ULL | 1;
	r->step = steps[below(&r->s, 3)];
	static const int64_t late_x2[] = { 0, 1, 2, 5, 10 };   /* lateness in half steps */
	r->lateness = late_x2[below(&r->s, 5)] * r->step / 2 + (below(&r->s, 3) == 0 ? 7 : 0);
	r->now = T0 + (int64_t)below(&r->s, (uint64_t)r->step);
	r->base = floor_to(T0 - r->lateness, r->step) - r->step;
	r->n_maps = what & RELOADS ? 3 : 1;
	for (size_t i = 0; i < r->n_maps; i++)
		random_map(&r->s, &r->maps[i]);
	struct ft_agg_conf o = { r->step, r->lateness };
	r->a = ft_agg_new(&o, r->maps[0].m, r->now);
	ck_assert_ptr_nonnull(r->a);
	for (unsigned k = 0; k < actions; k++) {
		unsigned act = (unsigned)below(&r->s, 100);
		if (act < 75) {
			add_record(r);
		} else if (act < 92) {
			/* The clock: a little, a step or two, or past the whole window (bounded, so
			 * the run stays within MAX_STEPS steps). */
			unsigned how = (unsigned)below(&r->s, 4);
			int64_t by = how == 0 ? (int64_t)below(&r->s, 1000) : how == 1 ? r->step :
			             how == 2 ? (int64_t)below(&r->s, (uint64_t)(2 * r->step)) :
			             r->lateness + r->step + (int64_t)below(&r->s, (uint64_t)r->step);
			if ((r->now + by - r->base) / r->step < MAX_STEPS - 4)
				r->now += by;
			close_random(r, false);
		} else if (act < 96 && (what & RELOADS)) {
			r->cur = (r->cur + 1 + below(&r->s, 2)) % r->n_maps;
			ck_assert_int_eq(ft_agg_set_map(r->a, r->maps[r->cur].m), 0);
		} else if (act < 98 && (what & RESTARTS) && (r->now - r->base) / r->step < MAX_STEPS / 2) {
			restart(r);
		}
	}
	close_random(r, true);
	compare(r);
	ft_agg_free(r->a);
	for (size_t i = 0; i < r->n_maps; i++)
		ft_tenant_map_free(r->maps[i].m);
	free(r);
}

static void run_random(uint64_t seed0, unsigned runs, unsigned what)
{
	for (unsigned k = 0; k < runs; k++)
		run_one(seed0 + k, what, 400);
}

START_TEST(random_records_keep_the_ledger_invariant)
{
	run_random(4000000, ROUNDS(800), 0);
}
END_TEST

START_TEST(random_records_with_reloads_and_restarts_keep_the_ledger_invariant)
{
	run_random(5000000, ROUNDS(500), RELOADS | RESTARTS);
}
END_TEST

START_TEST(random_records_across_restarts_keep_the_ledger_invariant)
{
	run_random(6000000, ROUNDS(800), RESTARTS);
}
END_TEST

/* The attribution and aggregation stages on batches (ft_tenant_attribute_batch(),
 * ft_agg_add_batch()) give exactly the steps that one flow at a time does. */
START_TEST(batches_add_up_as_single_records)
{
	for (uint64_t seed = 7000000; seed < 7000000 + ROUNDS(200); seed++) {
		struct run *r = calloc(1, sizeof(*r));
		ck_assert_ptr_nonnull(r);
		r->seed = seed;
		r->s = seed * 0x9e3779b97f4a7c15ULL | 1;
		r->step = below(&r->s, 2) ? 60000 : 1000;
		r->lateness = (int64_t)below(&r->s, 4) * r->step / 2;
		r->now = T0 + (int64_t)below(&r->s, (uint64_t)r->step);
		random_map(&r->s, &r->maps[0]);
		struct ft_agg_conf o = { r->step, r->lateness };
		struct ft_agg *one = ft_agg_new(&o, r->maps[0].m, r->now), *many = ft_agg_new(&o, r->maps[0].m, r->now);
		ck_assert_ptr_nonnull(one);
		ck_assert_ptr_nonnull(many);
		struct ft_flow f[100];
		for (unsigned round = 0; round < 5; round++) {
			size_t n = (size_t)below(&r->s, 101);
			for (size_t i = 0; i < n; i++) {
				f[i] = random_record(r, &r->maps[0]);
				add(one, r->maps[0].m, &f[i]);
			}
			for (size_t i = 0, k; i < n; i += k) {
				k = 1 + (size_t)below(&r->s, n - i);
				struct ft_attr at[100];
				ft_tenant_attribute_batch(r->maps[0].m, f + i, k, at);
				ft_agg_add_batch(many, f + i, at, k);
			}
			r->now += (int64_t)below(&r->s, (uint64_t)r->step);
			struct ft_step a[16], b[16];
			size_t na = ft_agg_advance(one, r->now, a, 16), nb = ft_agg_advance(many, r->now, b, 16);
			ck_assert_uint_eq(na, nb);
			for (size_t i = 0; i < na; i++) {
				same_step(&a[i], &b[i]);
				ft_step_done(&a[i]);
				ft_step_done(&b[i]);
			}
		}
		struct ft_step a[16], b[16];
		size_t na = ft_agg_flush(one, a, 16), nb = ft_agg_flush(many, b, 16);
		ck_assert_uint_eq(na, nb);
		for (size_t i = 0; i < na; i++) {
			same_step(&a[i], &b[i]);
			ft_step_done(&a[i]);
			ft_step_done(&b[i]);
		}
		ft_agg_free(one);
		ft_agg_free(many);
		ft_tenant_map_free(r->maps[0].m);
		free(r);
	}
}
END_TEST

/* ---- hostile input: any time, any counter -------------------------------------------- */

/* Sums of every closed step's total. */
static struct ft_volume total_of(const struct steps *st)
{
	struct ft_volume v = { 0 };
	for (size_t i = 0; i < st->n; i++) {
		check_ok(&st->s[i]);
		v.bytes += st->s[i].total.bytes;
		v.packets += st->s[i].total.packets;
		v.flows += st->s[i].total.flows;
	}
	return v;
}

START_TEST(extreme_times_are_added_without_overflow)
{
	/* Records at the ends of int64 time, around a clock at the present: every part is
	 * added (late, or into the newest step) and nothing overflows (UBSan halts). */
	static const int64_t times[] = { INT64_MIN, INT64_MIN + 1, -1000, 0, T0, T0 + 500,
	                                 INT64_MAX - 1, INT64_MAX };
	const size_t nt = sizeof(times) / sizeof(times[0]);
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, MINUTE, 2 * MINUTE, T0 + 1000);
	struct steps st = { 0 };
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < nt; j++) {
			struct ft_flow f = flow("10.1.0.1", "10.2.0.1", times[i], times[j], 1000, 10);
			add(a, m, &f);
		}
	ck_assert_uint_eq(ft_agg_refused(a), 0);
	close_steps(a, INT64_MAX, 8, &st);
	struct ft_volume v = total_of(&st);
	VOL(&v, 1000 * nt * nt, 10 * nt * nt, nt * nt);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(extreme_clocks_are_safe)
{
	/* The clock itself at the ends of int64 time (a capture's broken timestamps). */
	static const int64_t clocks[] = { INT64_MIN, INT64_MIN + 1, INT64_MAX - 1, INT64_MAX };
	struct ft_tenant_map *m = basic_map();
	for (size_t c = 0; c < 4; c++) {
		struct ft_agg *a = agg_at(m, MINUTE, 2 * MINUTE, clocks[c]);
		struct steps st = { 0 };
		struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0, T0 + 1000, 1000, 10);
		add(a, m, &f);
		f.start_ms = INT64_MIN, f.end_ms = INT64_MAX;
		add(a, m, &f);
		close_steps(a, INT64_MAX - 1, 8, &st);
		close_steps(a, INT64_MAX, 8, &st);
		struct ft_volume v = total_of(&st);
		VOL(&v, 2000, 20, 2);
		steps_done(&st);
		ft_agg_free(a);
	}
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(step_totals_never_wrap)
{
	/* Two records of 2^63 bytes: the second would wrap the step's total to 0; it is
	 * refused and counted, the first kept. */
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0 + 1000, T0 + 2000, 1ull << 63, 1);
	add(a, m, &f);
	add(a, m, &f);
	ck_assert_uint_eq(ft_agg_refused(a), 1);
	/* the same across two steps, by the slow path */
	f.start_ms = T0 - 30000;
	f.bytes = 1;
	f.packets = UINT64_MAX;
	add(a, m, &f);
	ck_assert_uint_eq(ft_agg_refused(a), 2);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 1);
	VOL(&st.s[0].total, 1ull << 63, 1, 1);
	check_ok(&st.s[0]);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(sums_near_2_64_in_two_steps_never_wrap)
{
	/* fuzz_agg found it (crash-high-water-mark-without-the-record): 2^63 bytes in one
	 * step, then 2^63 + 2^62 in the next, then 2^62 + 1 there, which would wrap it. */
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0 - 50000, T0 - 40000, 1ull << 63, 1);
	add(a, m, &f);
	f = flow("10.1.0.1", "10.2.0.1", T0 + 1000, T0 + 2000, (1ull << 63) + (1ull << 62), 1);
	add(a, m, &f);
	f.bytes = (1ull << 62) + 1;
	add(a, m, &f);
	ck_assert_uint_eq(ft_agg_refused(a), 1);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 2);
	VOL(&st.s[0].total, 1ull << 63, 1, 1);
	VOL(&st.s[1].total, (1ull << 63) + (1ull << 62), 1, 1);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(a_long_record_near_2_64_is_checked_in_every_step)
{
	/* fuzz_agg found it (crash-long-record-near-2-64): the exact check of a record
	 * split into the most parts there are wrote past its array. */
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, 1000, 100000, T0 + 100500);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0 + 99000, T0 + 99500, 1ull << 63, 1);
	add(a, m, &f);
	f = flow("10.1.0.1", "10.2.0.1", T0 - 5000, T0 + 200000, 1ull << 63, 1);   /* 64 parts */
	add(a, m, &f);
	ck_assert_uint_eq(ft_agg_refused(a), 0);
	f.bytes = UINT64_MAX;
	add(a, m, &f);
	ck_assert_uint_eq(ft_agg_refused(a), 1);
	close_steps(a, INT64_MAX, 8, &st);
	struct ft_volume v = total_of(&st);
	VOL(&v, 0, 2, 2);                       /* 2^63 + 2^63, wrapped by the sum here */
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(sampling_correction_never_wraps)
{
	/* 2^40 bytes sampled 1 in 2^32 - 1 is more than 2^64: refused, never wrapped. */
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0 + 1000, T0 + 2000, 1ull << 40, 1);
	f.sampling_rate = UINT32_MAX;
	f.flags = FT_FLOW_SAMPLED;
	add(a, m, &f);
	f.bytes = 1, f.packets = 1ull << 40;
	add(a, m, &f);
	ck_assert_uint_eq(ft_agg_refused(a), 2);
	f.packets = 1;
	add(a, m, &f);
	ck_assert_uint_eq(ft_agg_refused(a), 2);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 1);
	VOL(&st.s[0].total, UINT32_MAX, UINT32_MAX, 1);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(not_accounted_volume_never_wraps)
{
	struct mapdef d;
	md_init(&d);
	md_prefix(&d, "acme", "10.1.0.0/16");
	md_point(&d, "192.0.2.9", 1, FT_DIR_IN);     /* no record of 192.0.2.1 is accounted */
	struct ft_tenant_map *m = md_build(&d);
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0 + 1000, T0 + 2000, 1ull << 63, 1);
	add(a, m, &f);
	add(a, m, &f);
	ck_assert_uint_eq(ft_agg_refused(a), 1);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 1);
	VOL(&st.s[0].not_accounted, 1ull << 63, 1, 1);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(restore_that_would_wrap_is_refused)
{
	struct ft_tenant_map *m = basic_map();
	struct ft_agg *a = agg_at(m, MINUTE, MINUTE, T0 + 30000);
	struct steps st = { 0 };
	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", T0 + 1000, T0 + 2000, 1ull << 63, 1);
	add(a, m, &f);
	struct ft_step_cell c[] = { mkcell("acme", FT_DIR_OUT, "internet", 1ull << 63, 1, 1) };
	struct ft_step s = mkstep(c, 1, (struct ft_volume){ 1ull << 63, 1, 1 }, (struct ft_volume){ 0 },
	                          (struct ft_volume){ 1ull << 63, 1, 1 });
	s.start_ms = T0;
	ck_assert_int_eq(ft_agg_restore(a, &s), -EOVERFLOW);
	ft_step_done(&s);
	ck_assert_uint_eq(close_steps(a, INT64_MAX, 8, &st), 1);
	VOL(&st.s[0].total, 1ull << 63, 1, 1);
	check_ok(&st.s[0]);
	steps_done(&st);
	ft_agg_free(a);
	ft_tenant_map_free(m);
}
END_TEST

START_TEST(check_refuses_sums_that_wrap)
{
	/* Two cells of 2^63 bytes and a total of 0 add up only modulo 2^64. */
	struct ft_step_cell c[] = {
		mkcell("acme", FT_DIR_OUT, "internet", 1ull << 63, 1, 1),
		mkcell("bravo", FT_DIR_OUT, "internet", 1ull << 63, 1, 1),
	};
	struct ft_step s = mkstep(c, 2, (struct ft_volume){ 0, 2, 2 }, (struct ft_volume){ 0 },
	                          (struct ft_volume){ 0, 2, 2 });
	ck_assert_int_eq(ft_step_check(&s), -EBADMSG);
	ft_step_done(&s);
}
END_TEST

START_TEST(merge_refuses_sums_that_would_wrap)
{
	/* Two receive threads' parts of one step, 2^63 bytes each: merged they would wrap. */
	struct ft_step_cell c[] = { mkcell("acme", FT_DIR_OUT, "internet", 1ull << 63, 1, 1) };
	struct ft_step x = mkstep(c, 1, (struct ft_volume){ 1ull << 63, 1, 1 }, (struct ft_volume){ 0 },
	                          (struct ft_volume){ 1ull << 63, 1, 1 });
	struct ft_step y = mkstep(c, 1, (struct ft_volume){ 1ull << 63, 1, 1 }, (struct ft_volume){ 0 },
	                          (struct ft_volume){ 1ull << 63, 1, 1 });
	ck_assert_int_eq(ft_step_merge(&x, &y), -EOVERFLOW);
	ck_assert_uint_eq(x.n_cells, 1);
	VOL(&x.total, 1ull << 63, 1, 1);
	check_ok(&x);
	ft_step_done(&x);
	ft_step_done(&y);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("agg");
	TCase *tc = tcase_create("spreading");
	tcase_add_test(tc, spreads_pro_rata_with_largest_remainders);
	tcase_add_test(tc, ties_go_to_one_of_the_tied_parts);
	tcase_add_test(tc, huge_volumes_spread_exactly);
	tcase_add_test(tc, sampling_multiplies_bytes_and_packets_not_flows);
	suite_add_tcase(s, tc);

	tc = tcase_create("window");
	tcase_add_test(tc, late_records_go_to_the_oldest_open_step);
	tcase_add_test(tc, steps_close_after_their_window_oldest_first);
	tcase_add_test(tc, flush_closes_every_open_step);
	suite_add_tcase(s, tc);

	tc = tcase_create("counting");
	tcase_add_test(tc, flow_counted_once_in_the_step_of_its_end);
	tcase_add_test(tc, flow_ending_on_a_step_boundary_counts_in_that_step);
	tcase_add_test(tc, record_ending_before_it_starts_counts_at_its_end);
	tcase_add_test(tc, not_accounted_volume_kept_apart);
	tcase_add_test(tc, points_carry_what_each_interface_carried);
	tcase_add_test(tc, points_survive_reloads_restores_and_merges);
	suite_add_tcase(s, tc);

	tc = tcase_create("snapshot and restore");
	tcase_add_test(tc, restore_into_an_open_step);
	tcase_add_test(tc, restored_step_past_its_window_closes_unchanged);
	tcase_add_test(tc, restored_steps_past_their_window_close_oldest_first);
	tcase_add_test(tc, restored_step_not_yet_closed_survives_another_restart);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_test(tc, reload_mid_step_keeps_counts_by_name);
	tcase_add_test(tc, reload_keeps_unattributed_counts);
	suite_add_tcase(s, tc);

	tc = tcase_create("steps");
	tcase_add_test(tc, merge_adds_cells_by_name_and_keeps_order);
	tcase_add_test(tc, check_refuses_a_step_that_does_not_add_up);
	tcase_add_test(tc, check_refuses_sums_that_wrap);
	tcase_add_test(tc, merge_refuses_sums_that_would_wrap);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, extreme_times_are_added_without_overflow);
	tcase_add_test(tc, extreme_clocks_are_safe);
	tcase_add_test(tc, step_totals_never_wrap);
	tcase_add_test(tc, sums_near_2_64_in_two_steps_never_wrap);
	tcase_add_test(tc, a_long_record_near_2_64_is_checked_in_every_step);
	tcase_add_test(tc, sampling_correction_never_wraps);
	tcase_add_test(tc, not_accounted_volume_never_wraps);
	tcase_add_test(tc, restore_that_would_wrap_is_refused);
	tcase_add_test(tc, restore_refuses_a_point_of_no_direction);
	tcase_add_test(tc, steps_json_refuses_a_point_beyond_its_total);
	tcase_add_test(tc, restore_then_record_keeps_points_within_the_total);
	tcase_add_test(tc, merge_never_wraps_a_point);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, random_spreads_are_largest_remainder_apportionments);
	tcase_add_test(tc, random_records_keep_the_ledger_invariant);
	tcase_add_test(tc, random_records_with_reloads_and_restarts_keep_the_ledger_invariant);
	tcase_add_test(tc, random_records_across_restarts_keep_the_ledger_invariant);
	tcase_add_test(tc, batches_add_up_as_single_records);
	suite_add_tcase(s, tc);
	return s;
}
