/* The decoder's memory: every table a peer can grow counts against one budget in bytes
 * (exporter table, templates with their compiled plans, options data, kept data
 * sets); at the budget, further state is refused and counted while what exists keeps
 * decoding; templates are bounded by their fields and an exporter's templates by
 * their bytes.  No lockout: one address holds at most max_exporters_per_address
 * entries, idle entries are evicted (on the datagrams' clock), and a new exporter is
 * accepted after a flood of observation domains, also after a restart.  From
 * hand-built IPFIX messages (msg_build.h). */
#include <check.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/log.h"
#include "netflow_int.h"
#include "nf_fixture.h"

#define EXP "192.0.2.10"
#define DOM 5u
#define SECS 1764000000u
#define NOW_NS (SECS * 1000000000LL)

static int send_from(const char *src, int64_t recv_ns)
{
	return nf_send(src, 4739, recv_ns);
}

static int send_msg(void)
{
	return send_from(EXP, NOW_NS);
}

static struct ft_exporter_stats stats_of(const char *addr, uint32_t domain)
{
	return nf_stats(addr, 10, domain);
}

static struct ft_exporter_stats stats(void)
{
	return stats_of(EXP, DOM);
}

static uint64_t mem_used(void)
{
	struct ft_netflow_memory mm;
	ft_netflow_memory(nf, &mm);
	return mm.used;
}

static const struct mb_field small_fields[] = { { 8, 4, 0 }, { 1, 4, 0 } };

/* A template of n fields: sourceIPv4Address, octetDeltaCount, then n - 2 unused
 * 4-byte elements (skipped by length, but each one a field and an op of the plan). */
static void wide_template(uint16_t tid, uint16_t n)
{
	static struct mb_field f[2048];
	ck_assert_uint_le(n, N(f));
	f[0] = (struct mb_field){ 8, 4, 0 };
	f[1] = (struct mb_field){ 1, 4, 0 };
	for (uint16_t i = 2; i < n; i++)
		f[i] = (struct mb_field){ 999, 4, 0 };
	mb_template(&m, tid, f, n);
}

static void send_wide(const char *src, uint32_t domain, uint16_t tid, uint16_t n)
{
	mb_ipfix(&m, SECS, 0, domain);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	wide_template(tid, n);
	send_from(src, NOW_NS);
}

static void send_small_template(uint16_t tid)
{
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, tid, small_fields, N(small_fields));
	send_msg();
}

/* One record of small_fields under tid: decodes to one flow of `bytes` bytes. */
static int send_small_record(uint16_t tid, uint32_t bytes)
{
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, tid);
	mb_v4(&m, "10.0.0.1");
	mb_u32(&m, bytes);
	return send_msg();
}

START_TEST(template_fields_are_bounded_before_compiling)
{
	struct ft_netflow_conf o = { .max_template_fields = 8 };
	open_nf(&o);
	uint64_t before = mem_used();
	send_wide(EXP, DOM, 300, 9);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_FIELDS], 1);
	ck_assert_uint_eq(error_sum(&s), 1);
	ck_assert_uint_eq(s.templates_active, 0);
	/* nothing kept for the refused template: not even a table of slots */
	ck_assert_uint_eq(mem_used(), before);
	send_wide(EXP, DOM, 301, 8);
	s = stats();
	ck_assert_uint_eq(s.templates_active, 1);
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_FIELDS], 1);
	ck_assert_str_eq(ft_nf_error_name(FT_NF_ERR_TEMPLATE_FIELDS), "template_fields");
}
END_TEST

START_TEST(default_field_cap_refuses_a_maximum_size_template)
{
	/* the flood's templates: one of 8,000 fields fills most of a 64 KiB datagram */
	send_wide(EXP, DOM, 256, 2000);
	ck_assert_uint_eq(stats().errors[FT_NF_ERR_TEMPLATE_FIELDS], 1);
	ck_assert_uint_eq(stats().templates_active, 0);
}
END_TEST

START_TEST(an_exporters_template_bytes_are_bounded)
{
	struct ft_netflow_conf o = { .max_template_bytes = 64 * 1024, .max_template_fields = 1000 };
	open_nf(&o);
	uint16_t kept = 0;
	for (uint16_t id = 256; id < 356; id++)
		send_wide(EXP, DOM, id, 200);
	struct ft_exporter_stats s = stats();
	kept = (uint16_t)s.templates_active;
	/* 200 fields: 1,600 bytes of fields and 1,200 each of ops and plan (plus slots) */
	ck_assert_uint_gt(kept, 10);
	ck_assert_uint_lt(kept, 64 * 1024 / (200 * 20));
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_BYTES], 100 - kept);
	ck_assert_uint_eq(s.errors[FT_NF_ERR_TEMPLATE_LIMIT], 0);
	/* another exporter has bytes of its own */
	send_wide("192.0.2.11", DOM, 256, 200);
	ck_assert_uint_eq(stats_of("192.0.2.11", DOM).templates_active, 1);
	/* a smaller redefinition of a kept ID fits, and frees bytes for another */
	send_wide(EXP, DOM, 256, 2);
	ck_assert_uint_eq(stats().template_changes, 1);
	send_wide(EXP, DOM, 999, 200);
	ck_assert_uint_eq(stats().templates_active, kept + 1u);
}
END_TEST

START_TEST(plans_count_against_the_budget_and_come_back)
{
	struct ft_netflow_conf o = { .ipfix_withdrawals = true };   /* withdrawals applied */
	open_nf(&o);
	uint64_t before = mem_used();
	send_wide(EXP, DOM, 256, 400);
	uint64_t one = mem_used() - before;
	/* the fields (8 bytes each), the ops and the plan (6 each): 20 bytes a field */
	ck_assert_uint_ge(one, 400 * 20);
	send_wide(EXP, DOM, 257, 400);
	uint64_t two = mem_used() - before;
	ck_assert_uint_ge(two - one, 400 * 20);
	ck_assert_uint_lt(two - one, 400 * 20 + 200);
	/* a withdrawal of all data templates (RFC 7011 §8.1, ID 2) gives their bytes back */
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_u16(&m, 2);
	mb_u16(&m, 0);
	send_msg();
	ck_assert_uint_eq(stats().templates_active, 0);
	ck_assert_uint_eq(mem_used() - before, one - (two - one));   /* the slots stay */
}
END_TEST

START_TEST(at_the_budget_templates_are_refused_and_decoding_goes_on)
{
	struct ft_netflow_conf probe = { 0 };
	open_nf(&probe);
	uint64_t base = mem_used();
	struct ft_netflow_conf o = { .memory_budget = base + 256 * 1024, .max_template_fields = 1000 };
	open_nf(&o);
	send_small_template(256);
	for (uint16_t id = 300; id < 700; id++)
		send_wide(EXP, DOM, id, 1000);
	struct ft_netflow_memory mm;
	ft_netflow_memory(nf, &mm);
	ck_assert_uint_le(mm.used, mm.limit);
	ck_assert_uint_eq(mm.limit, base + 256 * 1024);
	struct ft_exporter_stats s = stats();
	ck_assert_uint_gt(s.errors[FT_NF_ERR_MEMORY_BUDGET], 300);
	ck_assert_uint_eq(mm.refused, s.errors[FT_NF_ERR_MEMORY_BUDGET]);
	ck_assert_uint_lt(s.templates_active, 20);
	/* what exists decodes */
	ck_assert_int_eq(send_small_record(256, 1234), 1);
	ck_assert_uint_eq(got[n_got - 1].bytes, 1234);
	assert_addr(&got[n_got - 1].src, "10.0.0.1");
	/* new exporters cannot grow the table past the budget: refused, counted, no crash */
	char a[32];
	for (unsigned i = 0; i < 4000; i++) {
		snprintf(a, sizeof(a), "10.9.%u.%u", i >> 8, i & 255);
		mb_ipfix(&m, SECS, 0, DOM);
		send_from(a, NOW_NS);
	}
	struct ft_exporter_stats t;
	ft_netflow_totals(nf, &t);
	ck_assert_uint_gt(t.errors[FT_NF_ERR_EXPORTER_LIMIT], 0);
	ft_netflow_memory(nf, &mm);
	ck_assert_uint_le(mm.used, mm.limit);
}
END_TEST

START_TEST(kept_sets_count_against_the_budget)
{
	struct ft_netflow_conf probe = { 0 };
	open_nf(&probe);
	uint64_t base = mem_used();
	struct ft_netflow_conf o = { .memory_budget = base + 64 * 1024 };
	open_nf(&o);
	for (unsigned i = 0; i < 100; i++) {
		mb_ipfix(&m, SECS, 0, DOM);
		mb_set(&m, 400);
		mb_fill(&m, 1, 1200);
		send_msg();
	}
	struct ft_exporter_stats s = stats();
	ck_assert_uint_gt(s.errors[FT_NF_ERR_MEMORY_BUDGET], 40);
	ck_assert_uint_lt(s.pending_sets, 60);
	ck_assert_uint_gt(s.pending_sets, 30);
	struct ft_netflow_memory mm;
	ft_netflow_memory(nf, &mm);
	ck_assert_uint_le(mm.used, mm.limit);
	/* at exit the kept sets are counted and their bytes given back */
	ft_netflow_drop_pending(nf);
	ck_assert_uint_lt(mem_used(), base + 2048);
}
END_TEST

START_TEST(decoders_share_one_budget)
{
	struct ft_netflow_conf o = { .memory_budget = 8u << 20 };
	open_nf(&o);
	struct ft_netflow *other = ft_netflow_new(&o);
	ck_assert_ptr_nonnull(other);
	uint64_t alone = mem_used();
	ft_netflow_share_budget(other, nf);
	uint64_t both = mem_used();
	ck_assert_uint_eq(both, 2 * alone);
	struct ft_netflow_memory mo;
	ft_netflow_memory(other, &mo);
	ck_assert_uint_eq(mo.used, both);
	send_wide(EXP, DOM, 256, 100);
	ft_netflow_memory(other, &mo);
	ck_assert_uint_eq(mo.used, mem_used());
	ck_assert_uint_gt(mo.used, both);
	/* the other decoder's bytes go back when it is freed; the budget stays */
	ft_netflow_free(other);
	ck_assert_uint_eq(mem_used(), mo.used - alone);
}
END_TEST

/* ---- no lockout ------------------------------------------------------------------ */

#define FLOODER "198.51.100.66"

/* 30,000 observation domains from one address, each a message with one template when
 * with_templates, else an empty message. */
static void flood_domains(uint32_t n, bool with_templates, int64_t at)
{
	for (uint32_t d = 0; d < n; d++) {
		mb_ipfix(&m, SECS, 0, d);
		if (with_templates) {
			mb_set(&m, MB_IPFIX_TEMPLATE);
			mb_template(&m, 256, small_fields, N(small_fields));
		}
		send_from(FLOODER, at);
	}
}

static size_t entries_of(const char *addr)
{
	static struct ft_exporter_stats s[8192];
	struct ft_addr a;
	ft_addr_parse(addr, &a);
	size_t n = ft_netflow_exporters(nf, s, N(s)), k = 0;
	for (size_t i = 0; i < n && i < N(s); i++)
		k += ft_addr_equal(&s[i].key.addr, &a);
	return k;
}

/* A new exporter defines a template and sends a record of it: decoded. */
static void assert_newcomer_decodes(int64_t at)
{
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, MB_IPFIX_TEMPLATE);
	mb_template(&m, 256, small_fields, N(small_fields));
	mb_set(&m, 256);
	mb_v4(&m, "10.0.0.9");
	mb_u32(&m, 4321);
	n_got = 0;
	ck_assert_int_eq(send_from(EXP, at), 1);
	ck_assert_uint_eq(n_got, 1);
	ck_assert_uint_eq(got[0].bytes, 4321);
}

START_TEST(one_address_cannot_fill_the_exporter_table)
{
	struct ft_netflow_conf o = { .max_exporters = 4096, .max_exporters_per_address = 256 };
	open_nf(&o);
	flood_domains(30000, false, NOW_NS);
	ck_assert_uint_eq(entries_of(FLOODER), 256);
	struct ft_exporter_stats t;
	ft_netflow_totals(nf, &t);
	ck_assert_uint_eq(t.errors[FT_NF_ERR_EXPORTER_LIMIT], 30000 - 256);
	ck_assert_uint_eq(t.address_limit, 30000 - 256);
	ck_assert_uint_eq(t.datagrams, 30000);
	assert_newcomer_decodes(NOW_NS);
	ft_netflow_totals(nf, &t);
	ck_assert_uint_eq(t.address_limit, 30000 - 256);
	/* other addresses of the flooder's neighbourhood are not held to its count */
	mb_ipfix(&m, SECS, 0, 1);
	ck_assert_int_eq(send_from("198.51.100.67", NOW_NS), 0);
	ck_assert_uint_eq(entries_of("198.51.100.67"), 1);
}
END_TEST

START_TEST(a_flood_saved_is_not_a_lockout_after_a_restart)
{
	char dir[] = "/tmp/ft-budget-XXXXXX", path[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/templates.state", dir);
	/* a table filled by one address, as saved before the per-address cap */
	struct ft_netflow_conf before = { .max_exporters = 4096 };
	open_nf(&before);
	flood_domains(5000, true, NOW_NS);
	ck_assert_uint_eq(entries_of(FLOODER), 4096);
	ck_assert_int_eq(ft_netflow_save(nf, path), 0);
	/* restarted with the cap: the flood takes its share only */
	struct ft_netflow_conf o = { .max_exporters = 4096, .max_exporters_per_address = 256 };
	open_nf(&o);
	char why[300];
	ck_assert_int_eq(ft_netflow_load(nf, path, NOW_NS, why, sizeof(why)), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(why, "max_exporters_per_address"));
	ck_assert_uint_eq(entries_of(FLOODER), 256);
	assert_newcomer_decodes(NOW_NS + 1);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(idle_exporters_are_evicted)
{
	struct ft_netflow_conf o = { .max_exporters = 4, .exporter_idle_timeout = 60 };
	open_nf(&o);
	uint64_t empty = mem_used();
	char a[32];
	for (int i = 0; i < 4; i++) {
		snprintf(a, sizeof(a), "192.0.2.%d", 100 + i);
		send_wide(a, DOM, 256, 100);
	}
	uint64_t full = mem_used();
	ck_assert_uint_gt(full, empty + 4 * 100 * 20);
	/* the table is full: a fifth exporter is refused while the others are not idle */
	mb_ipfix(&m, SECS, 0, DOM);
	ck_assert_int_eq(send_from("192.0.2.200", NOW_NS + 59 * FT_NS_PER_SEC), -FT_NF_ERR_EXPORTER_LIMIT);
	/* one of the four keeps sending */
	mb_ipfix(&m, SECS, 0, DOM);
	send_from("192.0.2.101", NOW_NS + 30 * FT_NS_PER_SEC);
	/* past the timeout the three idle ones are dropped, the newcomer accepted */
	assert_newcomer_decodes(NOW_NS + 61 * FT_NS_PER_SEC);
	ck_assert_uint_eq(entries_of("192.0.2.100"), 0);
	ck_assert_uint_eq(entries_of("192.0.2.101"), 1);
	ck_assert_uint_eq(entries_of(EXP), 1);
	struct ft_exporter_stats t;
	ft_netflow_totals(nf, &t);
	ck_assert_uint_eq(t.evicted, 3);
	ck_assert_uint_eq(t.datagrams, 4 + 1 + 1 + 1);      /* the evicted ones' still count */
	ck_assert_uint_eq(t.templates, 4 + 1);
	ck_assert_uint_eq(t.templates_active, 1 + 1);
	/* their templates' bytes are back */
	ck_assert_uint_lt(mem_used(), full - 3 * 100 * 20);
	/* an evicted exporter that comes back is a new entry: its data waits for its
	 * template as if the exporter were new */
	mb_ipfix(&m, SECS, 0, DOM);
	mb_set(&m, 256);
	mb_fill(&m, 0, 400);
	ck_assert_int_eq(send_from("192.0.2.100", NOW_NS + 200 * FT_NS_PER_SEC), 0);
	ck_assert_uint_eq(stats_of("192.0.2.100", DOM).pending_sets, 1);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, template_fields_are_bounded_before_compiling);
	tcase_add_test(tc, default_field_cap_refuses_a_maximum_size_template);
	tcase_add_test(tc, an_exporters_template_bytes_are_bounded);
	tcase_add_test(tc, plans_count_against_the_budget_and_come_back);
	tcase_add_test(tc, at_the_budget_templates_are_refused_and_decoding_goes_on);
	tcase_add_test(tc, kept_sets_count_against_the_budget);
	tcase_add_test(tc, decoders_share_one_budget);
	tcase_add_test(tc, one_address_cannot_fill_the_exporter_table);
	tcase_add_test(tc, a_flood_saved_is_not_a_lockout_after_a_restart);
	tcase_add_test(tc, idle_exporters_are_evicted);
	suite_add_tcase(s, tc);
	return s;
}
