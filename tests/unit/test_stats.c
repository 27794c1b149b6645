/* Statistics (collector/stats/): the sources outside the allow-list are a bounded table
 * of the heaviest ones (Space-Saving), checked against a brute-force count of random
 * streams, alone and merged, and as stats.json shows them. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/stats.h"

static struct ft_addr v4(uint32_t a)
{
	struct ft_addr r;
	ft_addr_from_v4(&r, a);
	return r;
}

static const struct ft_source_count *listed(const struct ft_rejects *r, uint32_t a)
{
	struct ft_addr x = v4(a);
	for (size_t i = 0; i < r->n; i++)
		if (ft_addr_equal(&r->src[i].addr, &x))
			return &r->src[i];
	return NULL;
}

static uint64_t listed_sum(const struct ft_rejects *r)
{
	uint64_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->src[i].datagrams;
	return n;
}

#define HEAVY 0xc6336401u       /* 198.51.100.1 */

/* The first sources seen are not the ones worth naming: a heavy source that comes after
 * more light ones than the table holds is listed, with every datagram it sent. */
START_TEST(a_heavy_source_after_300_light_ones_is_listed_with_its_count)
{
	static struct ft_rejects r;
	memset(&r, 0, sizeof(r));
	for (uint32_t i = 0; i < 300; i++) {
		struct ft_addr a = v4(0xc0000200u + i);
		ft_rejects_add(&r, &a, 1);
	}
	struct ft_addr h = v4(HEAVY);
	for (int i = 0; i < 1000; i++)
		ft_rejects_add(&r, &h, 1);
	const struct ft_source_count *c = listed(&r, HEAVY);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->datagrams, 1000);
	ck_assert_uint_eq(r.n, FT_REJECTS_MAX);
	ck_assert_uint_eq(r.total, 1300);
	ck_assert_uint_eq(listed_sum(&r) + r.other, r.total);
}
END_TEST

START_TEST(fewer_sources_than_the_table_holds_are_exact)
{
	static struct ft_rejects r;
	memset(&r, 0, sizeof(r));
	for (uint32_t i = 0; i < FT_REJECTS_MAX; i++)
		for (uint32_t k = 0; k <= i % 7; k++) {
			struct ft_addr a = v4(0x0a000000u + i);
			ft_rejects_add(&r, &a, 1);
		}
	ck_assert_uint_eq(r.n, FT_REJECTS_MAX);
	ck_assert_uint_eq(r.other, 0);
	ck_assert_uint_eq(r.floor, 0);
	for (uint32_t i = 0; i < FT_REJECTS_MAX; i++) {
		const struct ft_source_count *c = listed(&r, 0x0a000000u + i);
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(c->datagrams, i % 7 + 1);
		ck_assert_uint_eq(c->error, 0);
	}
}
END_TEST

/* ---- random streams against a brute-force count ------------------------------------ */

#define SOURCES 4096

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: deterministic, so a failure names its seed and repeats. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* A source drawn from a skewed law, about 1/(i + 1) for source i: below 2^b, uniformly,
 * with b uniform in 1 .. 12.  A few send most; thousands send a little. */
static uint32_t skewed(uint64_t *s)
{
	unsigned bits = 1 + (unsigned)(rng_next(s) % 12);
	return (uint32_t)(rng_next(s) & ((1u << bits) - 1));
}

/* Every bound stats.h promises, against the true counts. */
static void check_bounds(const struct ft_rejects *r, const uint64_t *truth, uint64_t total, bool one_stream)
{
	ck_assert_uint_eq(r->total, total);
	ck_assert_uint_eq(listed_sum(r) + r->other, total);
	ck_assert_uint_le(r->n, FT_REJECTS_MAX);
	if (one_stream)
		ck_assert_uint_le(r->floor, total / FT_REJECTS_MAX);
	for (uint32_t i = 0; i < SOURCES; i++) {
		const struct ft_source_count *c = listed(r, 0x0a000000u + i);
		if (!c) {
			ck_assert_msg(truth[i] <= r->floor, "source %u sent %llu, not listed, floor %llu", i,
			              (unsigned long long)truth[i], (unsigned long long)r->floor);
			continue;
		}
		ck_assert_uint_le(c->datagrams, truth[i]);
		ck_assert_uint_le(truth[i], c->datagrams + c->error);
	}
}

START_TEST(random_streams_keep_every_source_within_its_bounds)
{
	static struct ft_rejects r;
	static uint64_t truth[SOURCES];
	uint64_t seed = 0x1234567887654321ull + (uint64_t)_i;
	memset(&r, 0, sizeof(r));
	memset(truth, 0, sizeof(truth));
	uint64_t total = 0;
	for (int k = 0; k < 200000; k++) {
		uint32_t i = skewed(&seed);
		struct ft_addr a = v4(0x0a000000u + i);
		ft_rejects_add(&r, &a, 1);
		truth[i]++;
		total++;
		if (k % 20000 == 0)
			check_bounds(&r, truth, total, true);
	}
	check_bounds(&r, truth, total, true);
	ck_assert_uint_gt(r.other, 0);           /* the table did overflow */
}
END_TEST

/* Receive threads' tables are merged for stats.json: parts of one stream, each source
 * in any of them, merged in any order, keep the bounds of the whole stream. */
START_TEST(merged_tables_keep_every_source_within_its_bounds)
{
	static struct ft_rejects part[3], merged;
	static uint64_t truth[SOURCES];
	uint64_t seed = 0xfeedface12345678ull + (uint64_t)_i;
	memset(part, 0, sizeof(part));
	memset(truth, 0, sizeof(truth));
	for (int k = 0; k < 150000; k++) {
		uint32_t i = skewed(&seed);
		struct ft_addr a = v4(0x0a000000u + i);
		/* mostly one thread a source, as the listener steers them, but not always */
		uint32_t t = rng_next(&seed) % 8 ? i % 3 : (uint32_t)(rng_next(&seed) % 3);
		ft_rejects_add(&part[t], &a, 1);
		truth[i]++;
	}
	memset(&merged, 0, sizeof(merged));
	for (int t = 0; t < 3; t++)
		ft_rejects_merge(&merged, &part[(t + _i) % 3]);
	check_bounds(&merged, truth, 150000, false);
	/* the heaviest source is listed, whichever thread saw it */
	ck_assert_ptr_nonnull(listed(&merged, 0x0a000000u));
	/* and merging into an empty table copies */
	static struct ft_rejects copy;
	memset(&copy, 0, sizeof(copy));
	ft_rejects_merge(&copy, &part[0]);
	ck_assert_mem_eq(copy.src, part[0].src, part[0].n * sizeof(*copy.src));
	ck_assert_uint_eq(copy.other, part[0].other);
	ck_assert_uint_eq(copy.floor, part[0].floor);
}
END_TEST

/* ---- stats.json ---------------------------------------------------------------------- */

START_TEST(stats_json_lists_the_heaviest_sources_with_their_bounds)
{
	static struct ft_stats s;
	char dir[] = "/tmp/ft-test-stats-XXXXXX", path[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/stats.json", dir);
	ft_stats_init(&s, 1, "udp");
	for (uint32_t i = 0; i < 300; i++) {
		struct ft_addr a = v4(0xc0000200u + i);
		ft_rejects_add(&s.rejects, &a, 1);
	}
	struct ft_addr h = v4(HEAVY);
	ft_rejects_add(&s.rejects, &h, 500);
	ck_assert_int_eq(ft_stats_write_json(&s, path), 0);

	json_error_t e;
	json_t *root = json_load_file(path, 0, &e), *rej = json_object_get(root, "rejected");
	ck_assert_ptr_nonnull(rej);
	json_t *by = json_object_get(rej, "by_source"), *err = json_object_get(rej, "by_source_error");
	ck_assert_int_eq(json_object_size(by), FT_REJECTS_MAX);
	const char *first = json_object_iter_key(json_object_iter(by));
	ck_assert_str_eq(first, "198.51.100.1");          /* heaviest first */
	ck_assert_int_eq(json_integer_value(json_object_get(by, "198.51.100.1")), 500);
	ck_assert_int_eq(json_integer_value(json_object_get(err, "198.51.100.1")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(rej, "datagrams")), 800);
	json_int_t sum = json_integer_value(json_object_get(rej, "other_sources"));
	const char *k;
	json_t *v;
	json_object_foreach(by, k, v)
		sum += json_integer_value(v);
	ck_assert_int_eq(sum, 800);
	ck_assert_int_eq(json_integer_value(json_object_get(rej, "other_source_max")), 1);
	json_decref(root);
	ft_stats_done(&s);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Two receive threads share one memory budget: their snapshots show the same budget,
 * so the merged figures are the largest seen, not a sum; stats.json shows them. */
START_TEST(stats_json_shows_the_shared_memory_budget)
{
	static struct ft_stats s, t0, t1;
	char dir[] = "/tmp/ft-test-stats-XXXXXX", path[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/stats.json", dir);
	struct ft_netflow_conf o = { .memory_budget = 64u << 20 };
	struct ft_netflow *a = ft_netflow_new(&o), *b = ft_netflow_new(&o);
	ft_netflow_share_budget(b, a);
	ft_stats_init(&s, 1, "udp");
	ft_stats_init(&t0, 1, "udp");
	ft_stats_init(&t1, 1, "udp");
	ck_assert_int_eq(ft_stats_add_netflow(&t0, a), 0);
	ck_assert_int_eq(ft_stats_add_netflow(&t1, b), 0);
	ck_assert_int_eq(ft_stats_merge(&s, &t0), 0);
	ck_assert_int_eq(ft_stats_merge(&s, &t1), 0);
	struct ft_netflow_memory m;
	ft_netflow_memory(a, &m);
	ck_assert_uint_gt(m.used, 0);
	ck_assert_uint_eq(s.memory.used, m.used);
	ck_assert_int_eq(ft_stats_write_json(&s, path), 0);
	json_error_t e;
	json_t *root = json_load_file(path, 0, &e), *mem = json_object_get(root, "memory");
	ck_assert_ptr_nonnull(mem);
	ck_assert_int_eq(json_integer_value(json_object_get(mem, "used_bytes")), (json_int_t)m.used);
	ck_assert_int_eq(json_integer_value(json_object_get(mem, "limit_bytes")), 64 << 20);
	ck_assert_int_eq(json_integer_value(json_object_get(mem, "refused")), 0);
	json_decref(root);
	ft_stats_done(&s);
	ft_stats_done(&t0);
	ft_stats_done(&t1);
	ft_netflow_free(a);
	ft_netflow_free(b);
	unlink(path);
	rmdir(dir);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("rejects");
	tcase_add_test(tc, a_heavy_source_after_300_light_ones_is_listed_with_its_count);
	tcase_add_test(tc, fewer_sources_than_the_table_holds_are_exact);
	tcase_add_loop_test(tc, random_streams_keep_every_source_within_its_bounds, 0, 3);
	tcase_add_loop_test(tc, merged_tables_keep_every_source_within_its_bounds, 0, 3);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_add_test(tc, stats_json_lists_the_heaviest_sources_with_their_bounds);
	tcase_add_test(tc, stats_json_shows_the_shared_memory_budget);
	suite_add_tcase(s, tc);
	return s;
}
