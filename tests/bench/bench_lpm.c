/* Longest-prefix match from memory, one core: lookups a second in a 100,000-prefix IPv4
 * table and a 20,000-prefix IPv6 table, build times and the memory the tables use.
 *
 * The tables have the shape of routing tables: IPv4 from /8 to /32, mostly /16 to /24
 * (/24 about half), a third of them inside a shorter prefix already there; IPv6 /29 and
 * /32 allocations in 2000::/3, and inside them prefixes from /36 to /64, mostly /48.
 * The addresses looked up are drawn once before the clock starts, half from inside a
 * random prefix of the table, half at random (IPv4: any address; IPv6: in 2000::/3),
 * then looked up round and round for a fixed time.
 *
 *   bench_lpm [SECONDS] [CPU]   prints one line per figure
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/clock.h"
#include "flowtally/flow.h"
#include "flowtally/lpm.h"

#define V4_PREFIXES 100000
#define V6_PREFIXES 20000
#define V6_ALLOCATIONS 2000
#define ADDRS (1u << 20)             /* addresses looked up, round and round */
#define BUILDS 5                     /* build time: the best of */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static unsigned rng_below(uint64_t *s, unsigned n)
{
	return (unsigned)(rng_next(s) % n);
}

/* Random address inside p (host bits random). */
static struct ft_addr inside(uint64_t *s, const struct ft_prefix *p)
{
	struct ft_addr a = p->addr;
	for (unsigned bit = p->len; bit < 128; bit++)
		if (rng_next(s) >> 63)
			a.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	return a;
}

static void mask_to(struct ft_addr *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		if (bits < 8)
			a->b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

/* IPv4 length, by the shape of a routing table: /24 about half, /16 a tenth. */
static unsigned v4_len(uint64_t *s)
{
	unsigned r = rng_below(s, 1000);
	if (r < 5)
		return 8;
	if (r < 50)
		return 9 + rng_below(s, 7);          /* /9../15 */
	if (r < 150)
		return 16;
	if (r < 300)
		return 17 + rng_below(s, 5);         /* /17../21 */
	if (r < 400)
		return 22;
	if (r < 500)
		return 23;
	if (r < 950)
		return 24;
	return 25 + rng_below(s, 8);                 /* /25../32 */
}

/* The IPv4 table: a third nested inside a prefix already in it. */
static size_t v4_table(uint64_t *s, struct ft_lpm_builder *b, struct ft_prefix *p)
{
	size_t n = 0;
	while (n < V4_PREFIXES) {
		struct ft_prefix x;
		unsigned len = v4_len(s);
		const struct ft_prefix *outer = n > 0 ? &p[rng_below(s, (unsigned)n)] : NULL;
		if (outer && rng_below(s, 3) == 0 && outer->len < 96 + len)
			x.addr = inside(s, outer);
		else
			ft_addr_from_v4(&x.addr, 0x01000000u + rng_below(s, 0xdf000000u));
		x.len = (uint8_t)(96 + len);
		mask_to(&x.addr, x.len);
		if (ft_lpm_builder_add(b, &x, (uint32_t)n) == 0)
			p[n++] = x;
	}
	return n;
}

static unsigned v6_len(uint64_t *s)
{
	static const unsigned lens[] = { 36, 40, 44, 48, 48, 48, 48, 48, 48, 48, 48, 48,
	                                 48, 48, 48, 52, 56, 56, 60, 64 };
	return lens[rng_below(s, sizeof(lens) / sizeof(lens[0]))];
}

/* A random address in 2000::/3. */
static struct ft_addr v6_global(uint64_t *s)
{
	struct ft_addr a;
	uint64_t x = rng_next(s), y = rng_next(s);
	memcpy(a.b, &x, 8);
	memcpy(a.b + 8, &y, 8);
	a.b[0] = (uint8_t)(0x20 | (a.b[0] & 0x1f));
	return a;
}

/* The IPv6 table: allocations (/29, /32) first, then prefixes inside them. */
static size_t v6_table(uint64_t *s, struct ft_lpm_builder *b, struct ft_prefix *p)
{
	size_t n = 0;
	while (n < V6_PREFIXES) {
		struct ft_prefix x;
		if (n < V6_ALLOCATIONS) {
			x.addr = v6_global(s);
			x.len = rng_below(s, 8) ? 32 : 29;
		} else {
			x.addr = inside(s, &p[rng_below(s, V6_ALLOCATIONS)]);
			x.len = (uint8_t)v6_len(s);
		}
		mask_to(&x.addr, x.len);
		if (ft_lpm_builder_add(b, &x, (uint32_t)n) == 0)
			p[n++] = x;
	}
	return n;
}

/* Addresses to look up: half inside the table's prefixes, half from random(). */
static void draw(uint64_t *s, const struct ft_prefix *p, size_t n, struct ft_addr *out,
                 struct ft_addr (*random)(uint64_t *))
{
	for (size_t i = 0; i < ADDRS; i++)
		out[i] = i & 1 ? random(s) : inside(s, &p[rng_below(s, (unsigned)n)]);
}

static struct ft_addr v4_any(uint64_t *s)
{
	struct ft_addr a;
	ft_addr_from_v4(&a, (uint32_t)rng_next(s));
	return a;
}

static uint32_t host_order(const struct ft_addr *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 | a->b[15];
}

/* Lookups a second through ft_lpm_lookup() (v4 == NULL), ft_lpm_lookup_v4(), or, with
 * pairs, ft_lpm_lookup2() on consecutive addresses (as a flow's source and destination
 * are looked up), passing over all ADDRS addresses round after round: the mean, the best round (the figure a
 * busy machine disturbs least) into *ret_best, the share of hits into *ret_hits. */
static double bench_lookup(const struct ft_lpm *t, const struct ft_addr *a, const uint32_t *v4,
                           bool pairs, double seconds, double *ret_best, double *ret_hits)
{
	uint64_t lookups = 0, hits = 0;
	double best = 0;
	int64_t t0 = ft_clock_mono_ns(), end = t0 + (int64_t)(seconds * 1e9), now, r0 = t0;
	do {
		if (v4)
			for (size_t i = 0; i < ADDRS; i++)
				hits += ft_lpm_lookup_v4(t, v4[i]) != FT_LPM_NONE;
		else if (pairs)
			for (size_t i = 0; i + 1 < ADDRS; i += 2) {
				uint32_t two[2];
				ft_lpm_lookup2(t, &a[i], &a[i + 1], two);
				hits += (two[0] != FT_LPM_NONE) + (two[1] != FT_LPM_NONE);
			}
		else
			for (size_t i = 0; i < ADDRS; i++)
				hits += ft_lpm_lookup(t, &a[i]) != FT_LPM_NONE;
		lookups += ADDRS;
		now = ft_clock_mono_ns();
		double r = ADDRS / ((now - r0) / 1e9);
		best = r > best ? r : best;
		r0 = now;
	} while (now < end);
	*ret_best = best;
	*ret_hits = (double)hits / (double)lookups;
	return lookups / ((now - t0) / 1e9);
}

/* The best of BUILDS builds of b, in ms; the last table into *ret. */
static double bench_build(const struct ft_lpm_builder *b, struct ft_lpm **ret)
{
	double best = 1e30;
	for (int i = 0; i < BUILDS; i++) {
		int64_t t0 = ft_clock_mono_ns();
		struct ft_lpm *t = ft_lpm_build(b);
		double ms = (ft_clock_mono_ns() - t0) / 1e6;
		if (!t)
			abort();
		best = ms < best ? ms : best;
		if (i < BUILDS - 1)
			ft_lpm_free(t);
		else
			*ret = t;
	}
	return best;
}

/* Adding n prefixes to a new builder, in ms. */
static double bench_add(const struct ft_prefix *p, size_t n)
{
	struct ft_lpm_builder *b = ft_lpm_builder_new();
	int64_t t0 = ft_clock_mono_ns();
	for (size_t i = 0; i < n; i++)
		if (!b || ft_lpm_builder_add(b, &p[i], (uint32_t)i) < 0)
			abort();
	double ms = (ft_clock_mono_ns() - t0) / 1e6;
	ft_lpm_builder_free(b);
	return ms;
}

static void report_build(const char *what, double add_ms, const struct ft_lpm_builder *b,
                         struct ft_lpm **ret)
{
	double ms = bench_build(b, ret);
	printf("%-40s %8.1f ms to add, %.1f ms to build, %.1f MB (%zu prefixes)\n", what,
	       add_ms, ms, ft_lpm_memory(*ret) / 1e6, ft_lpm_builder_count(b));
}

static void report_lookup(const char *what, const struct ft_lpm *t, const struct ft_addr *a,
                          const uint32_t *v4, bool pairs, double seconds)
{
	double best, hits, r = bench_lookup(t, a, v4, pairs, seconds, &best, &hits);
	printf("%-40s %8.1f M lookups/s, one core (best round %.1f; %.0f%% hits)\n", what,
	       r / 1e6, best / 1e6, hits * 100);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0;
	uint64_t s = 0x5eed1e55ULL;
	struct ft_prefix *p4 = calloc(V4_PREFIXES, sizeof(*p4)), *p6 = calloc(V6_PREFIXES, sizeof(*p6));
	struct ft_addr *a4 = malloc(ADDRS * sizeof(*a4)), *a6 = malloc(ADDRS * sizeof(*a6));
	uint32_t *h4 = malloc(ADDRS * sizeof(*h4));
	struct ft_lpm_builder *b4 = ft_lpm_builder_new(), *b6 = ft_lpm_builder_new();
	struct ft_lpm_builder *both = ft_lpm_builder_new();
	struct ft_lpm *t4, *t6, *tb;

	if (argc > 2 && strcmp(argv[2], "-") != 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((int)strtol(argv[2], NULL, 10), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	if (!p4 || !p6 || !a4 || !a6 || !h4 || !b4 || !b6 || !both)
		return 1;
	size_t n4 = v4_table(&s, b4, p4), n6 = v6_table(&s, b6, p6);
	for (size_t i = 0; i < n4; i++)
		ft_lpm_builder_add(both, &p4[i], (uint32_t)i);
	for (size_t i = 0; i < n6; i++)
		ft_lpm_builder_add(both, &p6[i], (uint32_t)i);
	draw(&s, p4, n4, a4, v4_any);
	draw(&s, p6, n6, a6, v6_global);
	for (size_t i = 0; i < ADDRS; i++)
		h4[i] = host_order(&a4[i]);

	double add4 = bench_add(p4, n4), add6 = bench_add(p6, n6);
	report_build("IPv4 table:", add4, b4, &t4);
	report_build("IPv6 table:", add6, b6, &t6);
	report_build("IPv4 + IPv6 in one table:", add4 + add6, both, &tb);
	report_lookup("IPv4 (ft_lpm_lookup_v4):", t4, NULL, h4, false, seconds);
	report_lookup("IPv4 mapped (ft_lpm_lookup):", t4, a4, NULL, false, seconds);
	report_lookup("IPv4 mapped, pairs (ft_lpm_lookup2):", t4, a4, NULL, true, seconds);
	report_lookup("IPv6 (ft_lpm_lookup):", t6, a6, NULL, false, seconds);
	report_lookup("IPv6, pairs (ft_lpm_lookup2):", t6, a6, NULL, true, seconds);
	report_lookup("IPv6, IPv4 + IPv6 table (ft_lpm_lookup):", tb, a6, NULL, false, seconds);

	ft_lpm_free(t4);
	ft_lpm_free(t6);
	ft_lpm_free(tb);
	ft_lpm_builder_free(b4);
	ft_lpm_builder_free(b6);
	ft_lpm_builder_free(both);
	free(p4);
	free(p6);
	free(a4);
	free(a6);
	free(h4);
	return 0;
}
