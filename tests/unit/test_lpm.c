/* Longest-prefix match: hand-picked edge cases, then thousands of random tables checked
 * lookup by lookup against a brute-force scan of the same prefixes. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "flowtally/flow.h"
#include "flowtally/lpm.h"

/* ---- helpers ---- */

static struct ft_prefix pfx(const char *s)
{
	struct ft_prefix p;
	ck_assert_msg(ft_prefix_parse(s, &p) == 0, "bad prefix %s", s);
	return p;
}

static struct ft_addr addr(const char *s)
{
	struct ft_addr a;
	ck_assert_msg(ft_addr_parse(s, &a) == 0, "bad address %s", s);
	return a;
}

static int add(struct ft_lpm_builder *b, const char *s, uint32_t value)
{
	struct ft_prefix p = pfx(s);
	return ft_lpm_builder_add(b, &p, value);
}

static uint32_t look(const struct ft_lpm *t, const char *s)
{
	struct ft_addr a = addr(s);
	return ft_lpm_lookup(t, &a);
}

/* The matched length in the 16-byte form, or 255 when nothing matched. */
static unsigned look_len(const struct ft_lpm *t, const char *s)
{
	struct ft_addr a = addr(s);
	uint8_t len = 255;
	ft_lpm_lookup_len(t, &a, &len);
	return len;
}

/* A table of the given "prefix=value" pairs, each expected to be added. */
static struct ft_lpm *table_of(const char *const *specs, size_t n)
{
	struct ft_lpm_builder *b = ft_lpm_builder_new();
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++) {
		char s[64];
		const char *eq = strchr(specs[i], '=');
		ck_assert_ptr_nonnull(eq);
		snprintf(s, sizeof(s), "%.*s", (int)(eq - specs[i]), specs[i]);
		ck_assert_int_eq(add(b, s, (uint32_t)strtoul(eq + 1, NULL, 10)), 0);
	}
	struct ft_lpm *t = ft_lpm_build(b);
	ck_assert_ptr_nonnull(t);
	ft_lpm_builder_free(b);
	return t;
}

#define TABLE(...) table_of((const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

/* ---- hand-picked cases ---- */

START_TEST(empty_table_matches_nothing)
{
	struct ft_lpm_builder *b = ft_lpm_builder_new();
	struct ft_lpm *t = ft_lpm_build(b);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(ft_lpm_builder_count(b), 0);
	ck_assert_uint_eq(look(t, "0.0.0.0"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "255.255.255.255"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "::"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "2001:db8::1"), FT_LPM_NONE);
	ck_assert_uint_eq(ft_lpm_lookup_v4(t, 0xc0000201u), FT_LPM_NONE);
	ck_assert_uint_eq(look_len(t, "192.0.2.1"), 255);     /* *ret_len left alone */
	ck_assert_uint_gt(ft_lpm_memory(t), 0);
	ck_assert_ptr_null(ft_lpm_free(t));
	ck_assert_ptr_null(ft_lpm_builder_free(b));
	ck_assert_ptr_null(ft_lpm_free(NULL));
	ck_assert_ptr_null(ft_lpm_builder_free(NULL));
}
END_TEST

START_TEST(nested_prefixes_take_the_longest)
{
	struct ft_lpm *t = TABLE("10.0.0.0/8=1", "10.1.0.0/16=2", "10.1.2.0/24=3",
	                         "10.1.2.3/32=4", "10.1.2.128/25=5", "10.1.128.0/17=6");
	ck_assert_uint_eq(look(t, "10.200.0.1"), 1);
	ck_assert_uint_eq(look(t, "10.1.3.1"), 2);
	ck_assert_uint_eq(look(t, "10.1.2.2"), 3);
	ck_assert_uint_eq(look(t, "10.1.2.3"), 4);
	ck_assert_uint_eq(look(t, "10.1.2.4"), 3);
	ck_assert_uint_eq(look(t, "10.1.2.200"), 5);
	ck_assert_uint_eq(look(t, "10.1.200.1"), 6);
	ck_assert_uint_eq(look(t, "11.0.0.0"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "9.255.255.255"), FT_LPM_NONE);
	ck_assert_uint_eq(look_len(t, "10.200.0.1"), 104);
	ck_assert_uint_eq(look_len(t, "10.1.2.3"), 128);
	ck_assert_uint_eq(look_len(t, "10.1.2.200"), 121);
	ck_assert_uint_eq(ft_lpm_lookup_v4(t, 0x0a010203u), 4);
	ck_assert_uint_eq(ft_lpm_lookup_v4(t, 0x0a0102ffu), 5);
	ft_lpm_free(t);
}
END_TEST

START_TEST(adjacent_prefixes_split_at_their_boundary)
{
	struct ft_lpm *t = TABLE("192.0.2.0/25=1", "192.0.2.128/25=2", "192.0.3.0/24=3",
	                         "10.0.0.0/16=4", "10.1.0.0/16=5", "10.2.0.0/15=6",
	                         "2001:db8::/33=7", "2001:db8:8000::/33=8");
	ck_assert_uint_eq(look(t, "192.0.1.255"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "192.0.2.0"), 1);
	ck_assert_uint_eq(look(t, "192.0.2.127"), 1);
	ck_assert_uint_eq(look(t, "192.0.2.128"), 2);
	ck_assert_uint_eq(look(t, "192.0.2.255"), 2);
	ck_assert_uint_eq(look(t, "192.0.3.0"), 3);
	ck_assert_uint_eq(look(t, "192.0.4.0"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "10.0.255.255"), 4);          /* across a root slot */
	ck_assert_uint_eq(look(t, "10.1.0.0"), 5);
	ck_assert_uint_eq(look(t, "10.2.0.0"), 6);
	ck_assert_uint_eq(look(t, "10.3.255.255"), 6);
	ck_assert_uint_eq(look(t, "10.4.0.0"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff"), 7);
	ck_assert_uint_eq(look(t, "2001:db8:8000::"), 8);
	ck_assert_uint_eq(look(t, "2001:db9::"), FT_LPM_NONE);
	ft_lpm_free(t);
}
END_TEST

START_TEST(host_routes_and_defaults)
{
	struct ft_lpm *t = TABLE("0.0.0.0/0=1", "255.255.255.255/32=2", "0.0.0.0/32=3",
	                         "::/0=4", "::/128=5", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128=6",
	                         "2001:db8::1/128=7");
	ck_assert_uint_eq(look(t, "0.0.0.0"), 3);
	ck_assert_uint_eq(look(t, "0.0.0.1"), 1);
	ck_assert_uint_eq(look(t, "255.255.255.255"), 2);
	ck_assert_uint_eq(look(t, "255.255.255.254"), 1);
	ck_assert_uint_eq(look(t, "::"), 5);
	ck_assert_uint_eq(look(t, "::1"), 4);
	ck_assert_uint_eq(look(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 6);
	ck_assert_uint_eq(look(t, "2001:db8::1"), 7);
	ck_assert_uint_eq(look(t, "2001:db8::2"), 4);
	ck_assert_uint_eq(look_len(t, "1.2.3.4"), 96);
	ck_assert_uint_eq(look_len(t, "2001:db8::2"), 0);
	ck_assert_uint_eq(look_len(t, "2001:db8::1"), 128);
	ck_assert_uint_eq(ft_lpm_lookup_v4(t, 0), 3);
	ck_assert_uint_eq(ft_lpm_lookup_v4(t, 0xffffffffu), 2);
	ft_lpm_free(t);
}
END_TEST

START_TEST(ipv6_default_does_not_catch_ipv4)
{
	struct ft_lpm *t = TABLE("::/0=1", "::/80=2", "::ffff:0:0/95=3", "2001:db8::/32=4");
	ck_assert_uint_eq(look(t, "192.0.2.1"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "0.0.0.0"), FT_LPM_NONE);
	ck_assert_uint_eq(ft_lpm_lookup_v4(t, 0xc0000201u), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "::fffe:c000:201"), 3);       /* next to the mapped space */
	ck_assert_uint_eq(look(t, "::abcd:0:1"), 2);
	ck_assert_uint_eq(look(t, "2001:db8::1"), 4);
	ck_assert_uint_eq(look(t, "3000::"), 1);
	ft_lpm_free(t);
}
END_TEST

START_TEST(ipv4_default_does_not_catch_ipv6)
{
	struct ft_lpm *t = TABLE("0.0.0.0/0=1", "192.0.2.0/24=2");
	ck_assert_uint_eq(look(t, "8.8.8.8"), 1);
	ck_assert_uint_eq(look(t, "192.0.2.9"), 2);
	ck_assert_uint_eq(look(t, "::"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "::c000:209"), FT_LPM_NONE);   /* IPv4-compatible, not mapped */
	ck_assert_uint_eq(look(t, "::fffe:c000:209"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "2001:db8::1"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t, "64:ff9b::c000:209"), FT_LPM_NONE);
	ft_lpm_free(t);
}
END_TEST

START_TEST(both_defaults_answer_their_own_family)
{
	struct ft_lpm *t = TABLE("::/0=6", "0.0.0.0/0=4");
	ck_assert_uint_eq(look(t, "203.0.113.7"), 4);
	ck_assert_uint_eq(look(t, "2001:db8::7"), 6);
	ck_assert_uint_eq(look(t, "::ffff:cb00:7107"), 4);       /* the same IPv4 address */
	ck_assert_uint_eq(look_len(t, "203.0.113.7"), 96);
	ck_assert_uint_eq(look_len(t, "2001:db8::7"), 0);
	ft_lpm_free(t);
}
END_TEST

START_TEST(deep_ipv6_prefixes)
{
	struct ft_lpm *t = TABLE("2001:db8::/32=1", "2001:db8:1::/48=2", "2001:db8:1:2::/64=3",
	                         "2001:db8:1:2::1/128=4", "2001:db8:1:2:8000::/65=5",
	                         "2001:db8:1:2:0:1::/127=6", "2001:db8:1:2:0:1::/96=7");
	ck_assert_uint_eq(look(t, "2001:db8:2::"), 1);
	ck_assert_uint_eq(look(t, "2001:db8:1:3::"), 2);
	ck_assert_uint_eq(look(t, "2001:db8:1:2::2"), 3);
	ck_assert_uint_eq(look(t, "2001:db8:1:2::1"), 4);
	ck_assert_uint_eq(look(t, "2001:db8:1:2:8000::1"), 5);
	ck_assert_uint_eq(look(t, "2001:db8:1:2:0:1:0:1"), 6);
	ck_assert_uint_eq(look(t, "2001:db8:1:2:0:1:0:2"), 7);
	ck_assert_uint_eq(look_len(t, "2001:db8:1:2:0:1:0:1"), 127);
	ck_assert_uint_eq(look_len(t, "2001:db8:1:2:0:1:0:2"), 96);
	ck_assert_uint_eq(look(t, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"), FT_LPM_NONE);
	ft_lpm_free(t);
}
END_TEST

START_TEST(same_prefix_twice_is_a_conflict)
{
	struct ft_lpm_builder *b = ft_lpm_builder_new();
	ck_assert_int_eq(add(b, "10.0.0.0/8", 1), 0);
	ck_assert_int_eq(add(b, "10.0.0.0/8", 2), -EEXIST);
	ck_assert_int_eq(add(b, "10.0.0.0/9", 3), 0);
	struct ft_prefix p = pfx("10.0.0.0/8");
	p.addr.b[15] = 1;                                        /* bits past len count for nothing */
	ck_assert_int_eq(ft_lpm_builder_add(b, &p, 4), -EEXIST);
	ck_assert_int_eq(add(b, "::ffff:0:0/96", 5), 0);         /* that is 0.0.0.0/0 ... */
	ck_assert_int_eq(add(b, "0.0.0.0/0", 6), -EEXIST);
	ck_assert_int_eq(add(b, "::/0", 7), 0);                  /* ... and this is not */
	ck_assert_int_eq(add(b, "2001:db8::/32", 8), 0);
	ck_assert_int_eq(add(b, "2001:db8::/32", 9), -EEXIST);
	ck_assert_uint_eq(ft_lpm_builder_count(b), 5);
	struct ft_lpm *t = ft_lpm_build(b);
	ck_assert_uint_eq(look(t, "10.200.0.0"), 1);             /* the first value stays */
	ck_assert_uint_eq(look(t, "10.1.0.0"), 3);
	ck_assert_uint_eq(look(t, "11.0.0.0"), 5);
	ck_assert_uint_eq(look(t, "2001:db8::"), 8);
	ft_lpm_free(t);
	ft_lpm_builder_free(b);
}
END_TEST

START_TEST(bad_prefixes_and_values_are_refused)
{
	struct ft_lpm_builder *b = ft_lpm_builder_new();
	struct ft_prefix p = pfx("2001:db8::/32");
	ck_assert_int_eq(ft_lpm_builder_add(b, &p, FT_LPM_NONE), -EINVAL);
	p.len = 129;
	ck_assert_int_eq(ft_lpm_builder_add(b, &p, 1), -EINVAL);
	ck_assert_uint_eq(ft_lpm_builder_count(b), 0);
	ck_assert_int_eq(add(b, "2001:db8::/32", FT_LPM_NONE - 1), 0);
	ck_assert_int_eq(add(b, "192.0.2.0/24", 0), 0);
	struct ft_lpm *t = ft_lpm_build(b);
	ck_assert_uint_eq(look(t, "2001:db8::1"), FT_LPM_NONE - 1);
	ck_assert_uint_eq(look(t, "192.0.2.1"), 0);
	ft_lpm_free(t);
	ft_lpm_builder_free(b);
}
END_TEST

START_TEST(builder_builds_again_after_more_prefixes)
{
	struct ft_lpm_builder *b = ft_lpm_builder_new();
	ck_assert_int_eq(add(b, "10.0.0.0/8", 1), 0);
	struct ft_lpm *t1 = ft_lpm_build(b);
	ck_assert_int_eq(add(b, "10.1.0.0/16", 2), 0);
	ck_assert_int_eq(add(b, "2001:db8::/32", 3), 0);
	struct ft_lpm *t2 = ft_lpm_build(b);
	ck_assert_uint_eq(look(t1, "10.1.0.1"), 1);
	ck_assert_uint_eq(look(t1, "2001:db8::1"), FT_LPM_NONE);
	ck_assert_uint_eq(look(t2, "10.1.0.1"), 2);
	ck_assert_uint_eq(look(t2, "2001:db8::1"), 3);
	ck_assert_uint_gt(ft_lpm_memory(t2), ft_lpm_memory(t1));
	ft_lpm_free(t1);
	ft_lpm_free(t2);
	ft_lpm_builder_free(b);
}
END_TEST

/* ---- random tables against a brute-force reference ---- */

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: deterministic, so a failure names its seed and repeats. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static unsigned rng_below(uint64_t *s, unsigned n)
{
	return (unsigned)(rng_next(s) % n);
}

struct ref {
	struct ft_prefix *p;            /* masked */
	uint32_t *value;
	size_t n;
};

static void mask_to(struct ft_addr *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		if (bits < 8)
			a->b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

static bool ref_is_v4_prefix(const struct ft_prefix *p)
{
	return p->len >= 96 && ft_addr_is_v4(&p->addr);
}

/* The longest containing prefix of a's family, by scanning them all. */
static uint32_t ref_lookup(const struct ref *r, const struct ft_addr *a, int *ret_len)
{
	bool v4 = ft_addr_is_v4(a);
	uint32_t best = FT_LPM_NONE;
	int best_len = -1;

	for (size_t i = 0; i < r->n; i++) {
		const struct ft_prefix *p = &r->p[i];
		if (ref_is_v4_prefix(p) == v4 && p->len > best_len && ft_prefix_contains(p, a)) {
			best = r->value[i];
			best_len = p->len;
		}
	}
	*ret_len = best_len;
	return best;
}

static bool ref_has(const struct ref *r, const struct ft_prefix *p)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->p[i].len == p->len && ft_addr_equal(&r->p[i].addr, &p->addr))
			return true;
	return false;
}

enum family { FAM_V4, FAM_V6, FAM_MIXED };

/* Addresses prefixes and lookups grow from: random ones, and now and then a corner of
 * the family (for IPv6, also the neighbours of the IPv4-mapped space). */
static void random_bases(uint64_t *s, enum family fam, struct ft_addr *bases, size_t n)
{
	static const char *const v4_corners[] = { "0.0.0.0", "255.255.255.255" };
	static const char *const v6_corners[] = { "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	                                          "::fffe:ffff:ffff", "::1:0:0:0" };
	for (size_t i = 0; i < n; i++) {
		bool v4 = fam == FAM_V4 || (fam == FAM_MIXED && rng_below(s, 2));
		if (rng_below(s, 6) == 0) {
			ft_addr_parse(v4 ? v4_corners[rng_below(s, 2)] : v6_corners[rng_below(s, 4)],
			              &bases[i]);
			continue;
		}
		uint64_t x = rng_next(s), y = rng_next(s);
		memcpy(bases[i].b, &x, 8);
		memcpy(bases[i].b + 8, &y, 8);
		if (v4)
			ft_addr_from_v4(&bases[i], (uint32_t)x);
	}
}

/* a with some of its bits from bit `from` on flipped at random. */
static struct ft_addr scramble(uint64_t *s, struct ft_addr a, unsigned from)
{
	unsigned flips = rng_below(s, 4);
	for (unsigned f = 0; f < flips && from < 128; f++) {
		unsigned bit = from + rng_below(s, 128 - from);
		a.b[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
	}
	return a;
}

static unsigned random_len(uint64_t *s, bool v4)
{
	unsigned max = v4 ? 32 : 128, r = rng_below(s, 10);
	unsigned len = r == 0 ? 0 : r == 1 ? max : rng_below(s, max + 1);
	return v4 ? len + 96 : len;
}

/* Adds n random prefixes to b and r (duplicates must be refused). */
static void random_table(uint64_t *s, const struct ft_addr *bases, size_t n_bases,
                         struct ft_lpm_builder *b, struct ref *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ft_prefix p;
		p.addr = bases[rng_below(s, (unsigned)n_bases)];
		bool v4 = ft_addr_is_v4(&p.addr);
		p.addr = scramble(s, p.addr, v4 ? 96 : 0);
		p.len = (uint8_t)random_len(s, v4);
		/* Values from a few, so runs of equal values with different lengths occur. */
		uint32_t value = rng_below(s, 3) ? rng_below(s, 4) : (uint32_t)rng_next(s) >> 1;
		struct ft_prefix m = p;
		mask_to(&m.addr, m.len);
		int expect = ref_has(r, &m) ? -EEXIST : 0, got = ft_lpm_builder_add(b, &p, value);
		if (got != expect)
			ck_abort_msg("add: got %d, want %d", got, expect);
		if (expect == 0) {
			r->p[r->n] = m;
			r->value[r->n++] = value;
		}
	}
}

/* An address to look up: inside, at the edges of or just past a prefix, or a base. */
static struct ft_addr random_addr(uint64_t *s, const struct ref *r, const struct ft_addr *bases,
                                  size_t n_bases)
{
	unsigned kind = rng_below(s, 6);
	if (r->n == 0 || kind == 0)
		return scramble(s, bases[rng_below(s, (unsigned)n_bases)], 96);
	const struct ft_prefix *p = &r->p[rng_below(s, (unsigned)r->n)];
	struct ft_addr a = p->addr;
	for (unsigned bit = p->len; bit < 128; bit++) {
		bool set = kind == 1 ? false : kind <= 3 ? true : rng_below(s, 2);
		if (set)
			a.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	}
	if (kind == 3)                  /* one past the last address (wraps at the top) */
		for (int i = 15; i >= 0 && ++a.b[i] == 0; i--)
			;
	return a;
}

/* Plain tests, with Check called only on a failure: a Check assertion costs a write. */
static void check_lookup(const struct ft_lpm *t, const struct ref *r, const struct ft_addr *a,
                         uint64_t seed)
{
	char buf[FT_ADDR_STRLEN];
	int want_len;
	uint32_t want = ref_lookup(r, a, &want_len);
	uint32_t got = ft_lpm_lookup(t, a), got_v4 = want;
	uint8_t len = 255;
	uint32_t got_len = ft_lpm_lookup_len(t, a, &len);

	if (ft_addr_is_v4(a)) {
		uint32_t v4 = (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
		              (uint32_t)a->b[14] << 8 | a->b[15];
		got_v4 = ft_lpm_lookup_v4(t, v4);
	}
	if (got != want || got_v4 != want || got_len != want ||
	    len != (want_len < 0 ? 255 : want_len))
		ck_abort_msg("seed %llu: %s: got %u (v4 %u, with len %u/%u), want %u/%d",
		             (unsigned long long)seed, ft_addr_format(a, buf), got, got_v4,
		             got_len, len, want, want_len);
}

/* tables random tables of up to max_prefixes prefixes, lookups lookups each. */
static void run_random(enum family fam, uint64_t seed0, unsigned tables, unsigned max_prefixes,
                       unsigned lookups)
{
	struct ref r = { calloc(max_prefixes, sizeof(*r.p)), calloc(max_prefixes, sizeof(*r.value)), 0 };
	struct ft_addr bases[24];

	ck_assert_ptr_nonnull(r.p);
	ck_assert_ptr_nonnull(r.value);
	for (unsigned k = 0; k < tables; k++) {
		uint64_t seed = seed0 + k, s = seed * 0x9e3779b97f4a7c15ULL | 1;
		size_t n_bases = 1 + rng_below(&s, 24);
		struct ft_lpm_builder *b = ft_lpm_builder_new();
		r.n = 0;
		random_bases(&s, fam, bases, n_bases);
		random_table(&s, bases, n_bases, b, &r, rng_below(&s, max_prefixes + 1));
		ck_assert_uint_eq(ft_lpm_builder_count(b), r.n);
		struct ft_lpm *t = ft_lpm_build(b);
		ck_assert_ptr_nonnull(t);
		struct ft_addr prev = { { 0 } };
		for (unsigned i = 0; i < lookups; i++) {
			struct ft_addr a = random_addr(&s, &r, bases, n_bases);
			check_lookup(t, &r, &a, seed);
			/* two at once, this address and the one before (of either family) */
			uint32_t two[2];
			int len;
			ft_lpm_lookup2(t, &prev, &a, two);
			if (two[0] != ref_lookup(&r, &prev, &len) || two[1] != ref_lookup(&r, &a, &len))
				ck_abort_msg("seed %llu: lookup2 of address %u and the one before disagrees",
				             (unsigned long long)seed, i);
			prev = a;
		}
		ft_lpm_free(t);
		ft_lpm_builder_free(b);
	}
	free(r.p);
	free(r.value);
}

START_TEST(random_ipv4_tables_match_a_scan)
{
	run_random(FAM_V4, 1000, 1000, 80, 200);
}
END_TEST

START_TEST(random_ipv6_tables_match_a_scan)
{
	run_random(FAM_V6, 2000000, 1000, 80, 200);
}
END_TEST

START_TEST(random_mixed_tables_match_a_scan)
{
	run_random(FAM_MIXED, 3000000, 1000, 80, 200);
}
END_TEST

START_TEST(large_random_tables_match_a_scan)
{
	run_random(FAM_V4, 4000000, 3, 3000, 4000);
	run_random(FAM_V6, 5000000, 3, 3000, 4000);
	run_random(FAM_MIXED, 6000000, 3, 3000, 4000);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("lpm");
	TCase *tc = tcase_create("edges");
	tcase_add_test(tc, empty_table_matches_nothing);
	tcase_add_test(tc, nested_prefixes_take_the_longest);
	tcase_add_test(tc, adjacent_prefixes_split_at_their_boundary);
	tcase_add_test(tc, host_routes_and_defaults);
	tcase_add_test(tc, ipv6_default_does_not_catch_ipv4);
	tcase_add_test(tc, ipv4_default_does_not_catch_ipv6);
	tcase_add_test(tc, both_defaults_answer_their_own_family);
	tcase_add_test(tc, deep_ipv6_prefixes);
	tcase_add_test(tc, same_prefix_twice_is_a_conflict);
	tcase_add_test(tc, bad_prefixes_and_values_are_refused);
	tcase_add_test(tc, builder_builds_again_after_more_prefixes);
	suite_add_tcase(s, tc);
	tc = tcase_create("random");
	tcase_add_test(tc, random_ipv4_tables_match_a_scan);
	tcase_add_test(tc, random_ipv6_tables_match_a_scan);
	tcase_add_test(tc, random_mixed_tables_match_a_scan);
	tcase_add_test(tc, large_random_tables_match_a_scan);
	suite_add_tcase(s, tc);
	return s;
}
