/* The SNMP walker's handling of agents' answers (collector/snmp/walk.c), fed through
 * ft_snmp_walker_feed: each PDU is written here in BER (snmp_build.h) as an agent
 * would answer the request the walker has in flight, and nothing is sent.  What a poll
 * must hold is written out per case (tables of interfaces by ifIndex), never taken from
 * the walker: a whole poll of three interfaces, an agent without ifXTable, columns
 * missing from the GET, filters, the row cap, values of the wrong type, OIDs that do not
 * increase, tooBig, error statuses, and reports.
 *
 * The GET of a row asks, in this order: ifAlias, ifHighSpeed, ifSpeed, ifOperStatus,
 * ifCounterDiscontinuityTime, ifHCInOctets, ifHCOutOctets, ifHCInUcastPkts,
 * ifHCOutUcastPkts, then ifInOctets, ifOutOctets, ifInUcastPkts, ifOutUcastPkts,
 * ifInErrors, ifOutErrors, ifInDiscards, ifOutDiscards (the ifXTable ones only of an
 * agent that answered ifName); an answer carries its varbinds in the request's order
 * (RFC 3416 section 4.2.1), so the rows below are written in it. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/snmp/snmp_int.h"
#include "check_main.h"
#include "flowtally/log.h"
#include "snmp_build.h"

#define ALL_X 0x7ffffu          /* every FT_SNMP_HAVE_* bit: 19 fields */
#define NO_X (FT_SNMP_HAVE_DESCR | FT_SNMP_HAVE_SPEED | FT_SNMP_HAVE_OPER | 0x7f800u)
#define TWO63 9223372036854775808ull

/* One interface as an agent holds it (and as the poll must then read it). */
struct agent_if {
	uint32_t ifindex;
	const char *name, *descr, *alias;
	uint32_t high_speed, speed;
	int32_t oper;
	uint32_t disc;
	uint64_t hc[4];
	uint32_t c32[8];
};

/* The columns of a row's GET, in the order asked (the opening comment). */
struct get_col {
	bool x;
	uint32_t col;
};
static const struct get_col get_x[17] = {
	{ true, 18 }, { true, 15 }, { false, 5 }, { false, 8 }, { true, 19 }, { true, 6 }, { true, 10 },
	{ true, 7 }, { true, 11 }, { false, 10 }, { false, 16 }, { false, 11 }, { false, 17 }, { false, 14 },
	{ false, 20 }, { false, 13 }, { false, 19 },
};
static const struct get_col get_nox[10] = {
	{ false, 5 }, { false, 8 }, { false, 10 }, { false, 16 }, { false, 11 }, { false, 17 }, { false, 14 },
	{ false, 20 }, { false, 13 }, { false, 19 },
};

static const struct agent_if three[] = {
	{ 1, "lo", "loopback", "", 0, 0, 1, 0, { 5, 6, 7, 8 }, { 1, 2, 3, 4, 0, 0, 0, 0 } },
	{ 2, "xe-0/0/0", "Ten Gigabit Ethernet 0/0/0", "uplink to transit", 10000, 4294967295u, 1, 12345678,
	  { TWO63 + 12345, 18446744073709551615ull, TWO63, 1ull << 32 },
	  { 4294967295u, 2147483648u, 1, 65536, 17, 18, 19, 20 } },
	{ 7, "ae1", "Aggregated Ethernet 1", "customer: acme", 20000, 4294967295u, 2, 42,
	  { 1000000000000ull, 2, 3, 4 }, { 100, 200, 300, 400, 500, 600, 700, 800 } },
};

/* ---- writing answers ------------------------------------------------------------------- */

static void vb_field(struct sb *s, struct get_col c, const struct agent_if *r)
{
	struct sb_oid o = sb_if_col(c.x, c.col, r->ifindex);
	if (c.x) {
		switch (c.col) {
		case 18: sb_vb_str(s, o, r->alias); return;
		case 15: sb_vb_uint(s, o, SB_GAUGE32, r->high_speed); return;
		case 19: sb_vb_uint(s, o, SB_TIMETICKS, r->disc); return;
		case 6: sb_vb_uint(s, o, SB_COUNTER64, r->hc[0]); return;
		case 10: sb_vb_uint(s, o, SB_COUNTER64, r->hc[1]); return;
		case 7: sb_vb_uint(s, o, SB_COUNTER64, r->hc[2]); return;
		case 11: sb_vb_uint(s, o, SB_COUNTER64, r->hc[3]); return;
		}
	}
	switch (c.col) {
	case 5: sb_vb_uint(s, o, SB_GAUGE32, r->speed); return;
	case 8: sb_vb_int(s, o, r->oper); return;
	case 10: sb_vb_uint(s, o, SB_COUNTER32, r->c32[0]); return;
	case 16: sb_vb_uint(s, o, SB_COUNTER32, r->c32[1]); return;
	case 11: sb_vb_uint(s, o, SB_COUNTER32, r->c32[2]); return;
	case 17: sb_vb_uint(s, o, SB_COUNTER32, r->c32[3]); return;
	case 14: sb_vb_uint(s, o, SB_COUNTER32, r->c32[4]); return;
	case 20: sb_vb_uint(s, o, SB_COUNTER32, r->c32[5]); return;
	case 13: sb_vb_uint(s, o, SB_COUNTER32, r->c32[6]); return;
	case 19: sb_vb_uint(s, o, SB_COUNTER32, r->c32[7]); return;
	}
	ck_abort_msg("no column %u", c.col);
}

/* The varbinds of one row's GET, every column answered. */
static void vb_row(struct sb *s, const struct agent_if *r, bool x)
{
	const struct get_col *cols = x ? get_x : get_nox;
	size_t n = x ? 17 : 10;
	for (size_t i = 0; i < n; i++)
		vb_field(s, cols[i], r);
}

static void vb_scalars(struct sb *s)
{
	sb_vb_uint(s, sb_sys(3), SB_TIMETICKS, 987654321);
	sb_vb_str(s, sb_sys(5), "core-1.example.net");
}

/* GETNEXT past each column: ifName.last -> ifInMulticastPkts.1, ifDescr.last -> ifType.1. */
static void vb_names_end(struct sb *s)
{
	sb_vb_uint(s, sb_if_col(true, 2, 1), SB_COUNTER32, 5);
	sb_vb_int(s, sb_if_col(false, 3, 1), 6);
}

/* The first answer: sysUpTime.0, sysName.0, then ifName and ifDescr of each row
 * interleaved, then past both columns. */
static void names_answer_id(struct sb *s, int32_t reqid, const struct agent_if *ifs, size_t n)
{
	sb_pdu_begin(s, SB_PDU_RESPONSE, reqid, 0, 0);
	vb_scalars(s);
	for (size_t i = 0; i < n; i++) {
		sb_vb_str(s, sb_if_col(true, 1, ifs[i].ifindex), ifs[i].name);
		sb_vb_str(s, sb_if_col(false, 2, ifs[i].ifindex), ifs[i].descr);
	}
	vb_names_end(s);
	sb_pdu_end(s);
}

static void names_answer(struct sb *s, const struct agent_if *ifs, size_t n)
{
	names_answer_id(s, 1, ifs, n);
}

/* An answer to a counters GET: rows ifs[0..n), each fully. */
static void rows_answer(struct sb *s, const struct agent_if *ifs, size_t n, bool x)
{
	sb_pdu_begin(s, SB_PDU_RESPONSE, 2, 0, 0);
	for (size_t i = 0; i < n; i++)
		vb_row(s, &ifs[i], x);
	sb_pdu_end(s);
}

/* ---- the walker ---------------------------------------------------------------------- */

static void device(struct ft_snmp_device *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "r1");
	snprintf(d->address, sizeof(d->address), "udp:127.0.0.1:9");
	d->version = FT_SNMP_V2C;
	snprintf(d->community, sizeof(d->community), "public");
	d->timeout_ms = 1000;
	d->retries = 0;
	d->max_rows = 1000;
	d->max_repetitions = 25;
	d->key = FT_SNMP_BY_IFNAME;
}

static struct ft_snmp_walker *walker(const struct ft_snmp_device *d)
{
	static bool inited;
	if (!inited) {
		ft_log_level = FT_LOG_ERR - 1;
		ft_snmp_init("test");
		inited = true;
	}
	struct ft_snmp_walker *w = NULL;
	char err[256] = "";
	int r = ft_snmp_walker_new(d, &w, err, sizeof(err));
	ck_assert_msg(r == 0, "ft_snmp_walker_new: %d %s", r, err);
	return w;
}

static int feed(struct ft_snmp_walker *w, const struct sb *s)
{
	ck_assert(!s->overflow && s->depth == 0);
	return ft_snmp_walker_feed(w, s->b, s->n);
}

static void feed_ok(struct ft_snmp_walker *w, const struct sb *s)
{
	ck_assert_int_eq(feed(w, s), 0);
}

/* The poll must be over: it is taken into *p. */
static void over(struct ft_snmp_walker *w, struct ft_snmp_poll *p)
{
	ck_assert(!ft_snmp_walker_busy(w));
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	sb_pdu_end(&s);
	ck_assert_int_eq(feed(w, &s), -ENOENT);
	ft_snmp_walker_take(w, p);
}

/* Every field of got as want says, of those in the have mask; the others absent. */
static void same_if(const struct ft_snmp_if *got, const struct agent_if *want, uint32_t have)
{
	ck_assert_uint_eq(got->ifindex, want->ifindex);
	ck_assert_msg(got->have == have, "ifIndex %u: have %#x, want %#x", want->ifindex, got->have, have);
	ck_assert_str_eq(got->name, have & FT_SNMP_HAVE_NAME ? want->name : "");
	ck_assert_str_eq(got->descr, have & FT_SNMP_HAVE_DESCR ? want->descr : "");
	ck_assert_str_eq(got->alias, have & FT_SNMP_HAVE_ALIAS ? want->alias : "");
	ck_assert_uint_eq(got->high_speed, have & FT_SNMP_HAVE_HIGHSPEED ? want->high_speed : 0);
	ck_assert_uint_eq(got->speed, have & FT_SNMP_HAVE_SPEED ? want->speed : 0);
	ck_assert_int_eq(got->oper_status, have & FT_SNMP_HAVE_OPER ? want->oper : 0);
	ck_assert_uint_eq(got->disc_time, have & FT_SNMP_HAVE_DISC ? want->disc : 0);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(got->hc[i] == (have & FT_SNMP_HAVE_HC(i) ? want->hc[i] : 0),
		              "ifIndex %u hc[%d] = %llu", want->ifindex, i, (unsigned long long)got->hc[i]);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(got->c32[i], have & FT_SNMP_HAVE_C32(i) ? want->c32[i] : 0);
}

/* ---- whole polls ------------------------------------------------------------------------ */

START_TEST(whole_poll_reads_every_field_exactly)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer(&s, three, 3);
	feed_ok(w, &s);
	ck_assert(ft_snmp_walker_busy(w));
	/* 17 columns a row, 48 varbinds a request: two rows, then one */
	rows_answer(&s, three, 2, true);
	feed_ok(w, &s);
	ck_assert(ft_snmp_walker_busy(w));
	rows_answer(&s, three + 2, 1, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_str_eq(ft_snmp_walker_error(w), "");
	ck_assert(p.have_uptime);
	ck_assert_uint_eq(p.sys_uptime, 987654321);
	ck_assert_str_eq(p.sys_name, "core-1.example.net");
	ck_assert_uint_eq(p.n_ifs, 3);
	ck_assert_uint_eq(p.requests, 3);
	ck_assert_uint_eq(p.filtered, 0);
	ck_assert_uint_eq(p.rows_over_cap, 0);
	for (size_t i = 0; i < 3; i++) {
		same_if(&p.ifs[i], &three[i], ALL_X);
		ck_assert(p.ifs[i].time_ms > 0);
	}
	ck_assert(p.ifs[1].hc[0] == 9223372036854788153ull);
	ck_assert(p.ifs[1].hc[1] == 18446744073709551615ull);
	ck_assert_uint_eq(p.ifs[1].c32[0], 4294967295u);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(names_walk_continues_over_answers)
{
	struct ft_snmp_device d;
	device(&d);
	d.max_repetitions = 4;      /* two repetitions a column */
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	vb_scalars(&s);
	for (int i = 0; i < 2; i++) {
		sb_vb_str(&s, sb_if_col(true, 1, three[i].ifindex), three[i].name);
		sb_vb_str(&s, sb_if_col(false, 2, three[i].ifindex), three[i].descr);
	}
	sb_pdu_end(&s);
	feed_ok(w, &s);
	/* the next GETBULK carries no non-repeaters: the varbinds are the columns' */
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, 0, 0);
	sb_vb_str(&s, sb_if_col(true, 1, three[2].ifindex), three[2].name);
	sb_vb_str(&s, sb_if_col(false, 2, three[2].ifindex), three[2].descr);
	vb_names_end(&s);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	rows_answer(&s, three, 2, true);
	feed_ok(w, &s);
	rows_answer(&s, three + 2, 1, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.requests, 4);
	ck_assert_str_eq(p.sys_name, "core-1.example.net");
	ck_assert_uint_eq(p.n_ifs, 3);
	for (size_t i = 0; i < 3; i++)
		same_if(&p.ifs[i], &three[i], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(answers_request_id_does_not_matter)
{
	/* the feed answers the request in flight whatever its request-id says */
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer_id(&s, 0x55aa55, three, 1);
	feed_ok(w, &s);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, -7, 0, 0);
	vb_row(&s, &three[0], true);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.n_ifs, 1);
	same_if(&p.ifs[0], &three[0], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(agent_without_ifxtable_reads_iftable_only)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	/* GETNEXT of ifName on an agent without ifXTable: whatever follows it (entPhysicalDescr) */
	static const uint32_t ent[] = { 1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 2 };
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	vb_scalars(&s);
	for (uint32_t i = 0; i < 3; i++) {
		sb_vb_str(&s, sb_oid_add(sb_oid_of(ent, 12), i + 1), "chassis");
		sb_vb_str(&s, sb_if_col(false, 2, three[i].ifindex), three[i].descr);
	}
	sb_vb_str(&s, sb_oid_add(sb_oid_of(ent, 12), 4), "chassis");
	sb_vb_int(&s, sb_if_col(false, 3, 1), 6);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	/* 10 columns a row: the three rows in one GET */
	rows_answer(&s, three, 3, false);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.requests, 2);
	ck_assert_uint_eq(p.n_ifs, 3);
	for (size_t i = 0; i < 3; i++)
		same_if(&p.ifs[i], &three[i], NO_X);
	/* filters and keys by ifName fall back on ifDescr */
	char key[FT_SNMP_IFDESCR_MAX];
	ck_assert_str_eq(ft_snmp_if_key(&p.ifs[1], FT_SNMP_BY_IFDESCR, key, sizeof(key)), three[1].descr);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(columns_the_agent_lacks_stay_absent)
{
	/* ifXTable with ifName but no 64-bit counters or ifHighSpeed, and one row without ifAlias */
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer(&s, three, 2);
	feed_ok(w, &s);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, 0, 0);
	for (size_t r = 0; r < 2; r++)
		for (size_t i = 0; i < 17; i++) {
			struct get_col c = get_x[i];
			struct sb_oid o = sb_if_col(c.x, c.col, three[r].ifindex);
			if (c.x && (c.col == 15 || (c.col >= 6 && c.col <= 11)))
				sb_vb_empty(&s, o, SB_NO_SUCH_OBJECT);
			else if (c.x && c.col == 18 && r == 1)
				sb_vb_empty(&s, o, SB_NO_SUCH_INSTANCE);
			else
				vb_field(&s, c, &three[r]);
		}
	sb_pdu_end(&s);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	uint32_t lack = FT_SNMP_HAVE_HIGHSPEED | FT_SNMP_HAVE_HC(0) | FT_SNMP_HAVE_HC(1) | FT_SNMP_HAVE_HC(2) |
	                FT_SNMP_HAVE_HC(3);
	ck_assert_uint_eq(p.n_ifs, 2);
	same_if(&p.ifs[0], &three[0], ALL_X & ~lack);
	same_if(&p.ifs[1], &three[1], ALL_X & ~lack & ~FT_SNMP_HAVE_ALIAS);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

/* ---- what is kept -------------------------------------------------------------------------- */

static const struct agent_if four[] = {
	{ 1, "lo", "loopback", "", 0, 0, 1, 0, { 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 1, 1, 1 } },
	{ 2, "eth0", "Ethernet 0", "a", 1000, 1000000000, 1, 0, { 2, 2, 2, 2 }, { 2, 2, 2, 2, 2, 2, 2, 2 } },
	{ 3, "eth1", "Ethernet 1", "b", 1000, 1000000000, 2, 0, { 3, 3, 3, 3 }, { 3, 3, 3, 3, 3, 3, 3, 3 } },
	{ 4, "eth2", "Ethernet 2", "c", 1000, 1000000000, 1, 0, { 4, 4, 4, 4 }, { 4, 4, 4, 4, 4, 4, 4, 4 } },
};

START_TEST(filters_keep_only_matching_rows)
{
	struct ft_snmp_device d;
	device(&d);
	char *inc[] = { "eth*" }, *exc[] = { "eth1" };
	d.include = inc;
	d.n_include = 1;
	d.exclude = exc;
	d.n_exclude = 1;
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer(&s, four, 4);
	feed_ok(w, &s);
	/* the GET asks eth0 and eth2 only, in one request */
	const struct agent_if kept[] = { four[1], four[3] };
	rows_answer(&s, kept, 2, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.filtered, 2);
	ck_assert_uint_eq(p.requests, 2);
	ck_assert_uint_eq(p.n_ifs, 2);
	same_if(&p.ifs[0], &kept[0], ALL_X);
	same_if(&p.ifs[1], &kept[1], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(filters_by_descr_when_keyed_by_descr)
{
	struct ft_snmp_device d;
	device(&d);
	d.key = FT_SNMP_BY_IFDESCR;
	char *inc[] = { "Ethernet [02]" };
	d.include = inc;
	d.n_include = 1;
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer(&s, four, 4);
	feed_ok(w, &s);
	const struct agent_if kept[] = { four[1], four[3] };
	rows_answer(&s, kept, 2, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.filtered, 2);
	ck_assert_uint_eq(p.n_ifs, 2);
	same_if(&p.ifs[0], &kept[0], ALL_X);
	same_if(&p.ifs[1], &kept[1], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(row_cap_counts_interfaces_beyond_it)
{
	struct ft_snmp_device d;
	device(&d);
	d.max_rows = 2;
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer(&s, four, 4);
	feed_ok(w, &s);
	rows_answer(&s, four, 2, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.n_ifs, 2);
	ck_assert_uint_eq(p.requests, 2);
	/* two interfaces (ifIndex 3 and 4) were not kept, each seen in both columns */
	ck_assert_uint_eq(p.rows_over_cap, 2);
	same_if(&p.ifs[0], &four[0], ALL_X);
	same_if(&p.ifs[1], &four[1], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(row_cap_counts_by_ifname_without_ifdescr)
{
	/* an agent whose ifDescr walk ends at once: ifName counts the interfaces not kept */
	struct ft_snmp_device d;
	device(&d);
	d.max_rows = 2;
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	vb_scalars(&s);
	sb_vb_str(&s, sb_if_col(true, 1, 1), four[0].name);
	/* ifType.1 after ifDescr: no ifDescr; the repetitions stay interleaved */
	sb_vb_int(&s, sb_if_col(false, 3, 1), 6);
	for (uint32_t i = 1; i < 4; i++) {
		sb_vb_str(&s, sb_if_col(true, 1, four[i].ifindex), four[i].name);
		sb_vb_int(&s, sb_if_col(false, 3, i + 1), 6);
	}
	sb_vb_uint(&s, sb_if_col(true, 2, 1), SB_COUNTER32, 5);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	rows_answer(&s, four, 2, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.n_ifs, 2);
	ck_assert_uint_eq(p.rows_over_cap, 2);
	same_if(&p.ifs[0], &four[0], ALL_X & ~FT_SNMP_HAVE_DESCR);
	same_if(&p.ifs[1], &four[1], ALL_X & ~FT_SNMP_HAVE_DESCR);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(row_cap_counts_once_without_ifxtable)
{
	struct ft_snmp_device d;
	device(&d);
	d.max_rows = 1;
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	vb_scalars(&s);
	/* endOfMibView for every repetition of ifName */
	for (size_t i = 0; i < 4; i++) {
		sb_vb_empty(&s, sb_if_col(true, 1, 0), SB_END_OF_MIB_VIEW);
		sb_vb_str(&s, sb_if_col(false, 2, four[i].ifindex), four[i].descr);
	}
	sb_vb_empty(&s, sb_if_col(true, 1, 0), SB_END_OF_MIB_VIEW);
	sb_vb_int(&s, sb_if_col(false, 3, 1), 6);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	rows_answer(&s, four, 1, false);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.n_ifs, 1);
	ck_assert_uint_eq(p.rows_over_cap, 3);
	same_if(&p.ifs[0], &four[0], NO_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

/* ---- bad answers --------------------------------------------------------------------------- */

START_TEST(value_of_wrong_type_is_not_stored)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	/* ifName.2 an INTEGER: row 2 is there, without its name */
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	vb_scalars(&s);
	sb_vb_str(&s, sb_if_col(true, 1, 1), four[0].name);
	sb_vb_str(&s, sb_if_col(false, 2, 1), four[0].descr);
	sb_vb_int(&s, sb_if_col(true, 1, 2), 7);
	sb_vb_str(&s, sb_if_col(false, 2, 2), four[1].descr);
	vb_names_end(&s);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	/* row 1: ifHCInOctets a Counter32, ifOperStatus an OCTET STRING, ifInOctets a Gauge32 */
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, 0, 0);
	for (size_t i = 0; i < 17; i++) {
		struct get_col c = get_x[i];
		struct sb_oid o = sb_if_col(c.x, c.col, 1);
		if (c.x && c.col == 6)
			sb_vb_uint(&s, o, SB_COUNTER32, 99);
		else if (!c.x && c.col == 8)
			sb_vb_str(&s, o, "up");
		else if (!c.x && c.col == 10)
			sb_vb_uint(&s, o, SB_GAUGE32, 99);
		else
			vb_field(&s, c, &four[0]);
	}
	vb_row(&s, &four[1], true);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_str_eq(ft_snmp_walker_error(w), "");
	ck_assert_uint_eq(p.n_ifs, 2);
	same_if(&p.ifs[0], &four[0], ALL_X & ~(FT_SNMP_HAVE_HC(0) | FT_SNMP_HAVE_OPER | FT_SNMP_HAVE_C32(0)));
	same_if(&p.ifs[1], &four[1], ALL_X & ~FT_SNMP_HAVE_NAME);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(strings_are_cut_to_their_buffer_and_nul_free)
{
	/* a NUL inside ifName becomes a space; an ifDescr longer than its buffer is cut */
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	char descr[400];
	memset(descr, 'd', sizeof(descr));
	char want_descr[FT_SNMP_IFDESCR_MAX];
	memset(want_descr, 'd', sizeof(want_descr) - 1);
	want_descr[sizeof(want_descr) - 1] = '\0';
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	vb_scalars(&s);
	sb_vb_bytes(&s, sb_if_col(true, 1, 5), "ge\0x", 4);
	sb_vb_bytes(&s, sb_if_col(false, 2, 5), descr, sizeof(descr));
	vb_names_end(&s);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, 0, 0);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.n_ifs, 1);
	ck_assert_str_eq(p.ifs[0].name, "ge x");
	ck_assert_str_eq(p.ifs[0].descr, want_descr);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(oid_not_increasing_ends_that_column)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	vb_scalars(&s);
	sb_vb_str(&s, sb_if_col(true, 1, 1), four[0].name);
	sb_vb_str(&s, sb_if_col(false, 2, 1), four[0].descr);
	sb_vb_str(&s, sb_if_col(true, 1, 3), four[2].name);
	sb_vb_str(&s, sb_if_col(false, 2, 2), four[1].descr);
	sb_vb_str(&s, sb_if_col(true, 1, 2), four[1].name);       /* back: ifName ends here */
	sb_vb_str(&s, sb_if_col(false, 2, 3), four[2].descr);
	sb_vb_str(&s, sb_if_col(true, 1, 4), four[3].name);       /* after its end: not taken */
	sb_vb_str(&s, sb_if_col(false, 2, 4), four[3].descr);
	sb_vb_str(&s, sb_if_col(true, 1, 5), "eth3");
	sb_vb_str(&s, sb_if_col(false, 2, 4), "again");           /* the same: ifDescr ends */
	sb_pdu_end(&s);
	feed_ok(w, &s);
	/* both columns ended: the counters, two rows a GET, answered with nothing */
	ck_assert_uint_eq(ft_snmp_walker_busy(w), true);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, 0, 0);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.requests, 3);
	ck_assert_uint_eq(p.n_ifs, 4);
	same_if(&p.ifs[0], &four[0], FT_SNMP_HAVE_NAME | FT_SNMP_HAVE_DESCR);
	same_if(&p.ifs[1], &four[1], FT_SNMP_HAVE_DESCR);
	same_if(&p.ifs[2], &four[2], FT_SNMP_HAVE_NAME | FT_SNMP_HAVE_DESCR);
	same_if(&p.ifs[3], &four[3], FT_SNMP_HAVE_DESCR);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(end_of_mib_view_ends_the_walk)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	vb_scalars(&s);
	sb_vb_str(&s, sb_if_col(true, 1, 1), four[0].name);
	sb_vb_str(&s, sb_if_col(false, 2, 1), four[0].descr);
	sb_vb_empty(&s, sb_if_col(true, 1, 1), SB_END_OF_MIB_VIEW);
	sb_vb_empty(&s, sb_if_col(false, 2, 1), SB_END_OF_MIB_VIEW);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	rows_answer(&s, four, 1, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.requests, 2);
	ck_assert_uint_eq(p.n_ifs, 1);
	same_if(&p.ifs[0], &four[0], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(toobig_halves_rows_a_request)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer(&s, three, 3);
	feed_ok(w, &s);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, SB_ERR_TOOBIG, 0);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	/* one row a request from now on: an answer of one row each time completes the poll */
	for (size_t i = 0; i < 3; i++) {
		ck_assert(ft_snmp_walker_busy(w));
		rows_answer(&s, three + i, 1, true);
		feed_ok(w, &s);
	}
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.requests, 5);
	ck_assert_uint_eq(p.n_ifs, 3);
	for (size_t i = 0; i < 3; i++)
		same_if(&p.ifs[i], &three[i], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(toobig_for_one_row_leaves_it_absent)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer(&s, three, 1);
	feed_ok(w, &s);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, SB_ERR_TOOBIG, 0);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_str_eq(ft_snmp_walker_error(w), "");
	ck_assert_uint_eq(p.requests, 2);
	same_if(&p.ifs[0], &three[0], FT_SNMP_HAVE_NAME | FT_SNMP_HAVE_DESCR);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(error_status_to_get_leaves_fields_absent)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer(&s, three, 3);
	feed_ok(w, &s);
	/* genErr with every varbind there: none taken */
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, SB_ERR_GENERR, 3);
	vb_row(&s, &three[0], true);
	vb_row(&s, &three[1], true);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	rows_answer(&s, three + 2, 1, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_str_eq(ft_snmp_walker_error(w), "");
	ck_assert_uint_eq(p.requests, 3);
	same_if(&p.ifs[0], &three[0], FT_SNMP_HAVE_NAME | FT_SNMP_HAVE_DESCR);
	same_if(&p.ifs[1], &three[1], FT_SNMP_HAVE_NAME | FT_SNMP_HAVE_DESCR);
	same_if(&p.ifs[2], &three[2], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(error_status_to_walk_fails_the_poll)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, SB_ERR_GENERR, 1);
	vb_scalars(&s);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	const char *e = ft_snmp_walker_error(w);
	ck_assert_msg(strncmp(e, "device r1 (udp:127.0.0.1:9): ", 29) == 0, "error: %s", e);
	ck_assert_ptr_nonnull(strstr(e, "refused"));
	ck_assert_uint_eq(p.n_ifs, 0);
	ck_assert(!p.have_uptime);
	ck_assert_uint_eq(p.requests, 1);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(unparsable_or_other_pdu_is_refused)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	names_answer(&s, three, 1);
	ck_assert_int_eq(ft_snmp_walker_feed(w, s.b, s.n - 3), -EBADMSG);        /* cut short */
	s.b[0] = 0xa0;                                                           /* a GetRequest */
	ck_assert_int_eq(feed(w, &s), -EBADMSG);
	ck_assert(ft_snmp_walker_busy(w));
	/* the request is still in flight: its answer is taken */
	names_answer(&s, three, 1);
	feed_ok(w, &s);
	rows_answer(&s, three, 1, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.requests, 2);
	same_if(&p.ifs[0], &three[0], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

/* usmStatsUnknownUserNames.0 (RFC 3414 section 5) */
static void unknown_user_report(struct sb *s)
{
	static const uint32_t usm_unknown_user[] = { 1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0 };
	sb_pdu_begin(s, SB_PDU_REPORT, 0, 0, 0);
	sb_vb_uint(s, sb_oid_of(usm_unknown_user, 11), SB_COUNTER32, 1);
	sb_pdu_end(s);
}

START_TEST(report_is_the_error_once_the_request_ends)
{
	/* a report leaves the request in flight (net-snmp ends it next, with a security
	 * error or a timeout); the report names the failure then */
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	unknown_user_report(&s);
	feed_ok(w, &s);
	ck_assert(ft_snmp_walker_busy(w));
	ft_snmp_walker_timeout(w);
	struct ft_snmp_poll p;
	over(w, &p);
	const char *e = ft_snmp_walker_error(w);
	ck_assert_msg(strcmp(e, "device r1 (udp:127.0.0.1:9): unknown user") == 0, "error: %s", e);
	ck_assert_uint_eq(p.n_ifs, 0);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(answer_after_report_is_taken)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	unknown_user_report(&s);
	feed_ok(w, &s);
	names_answer(&s, three, 1);
	feed_ok(w, &s);
	unknown_user_report(&s);
	feed_ok(w, &s);
	rows_answer(&s, three, 1, true);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_str_eq(ft_snmp_walker_error(w), "");
	ck_assert_uint_eq(p.requests, 2);
	same_if(&p.ifs[0], &three[0], ALL_X);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(no_interfaces_ends_after_the_walk)
{
	struct ft_snmp_device d;
	device(&d);
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	vb_scalars(&s);
	vb_names_end(&s);
	sb_pdu_end(&s);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_str_eq(ft_snmp_walker_error(w), "");
	ck_assert_uint_eq(p.requests, 1);
	ck_assert_uint_eq(p.n_ifs, 0);
	ck_assert(p.have_uptime);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(walk_of_a_table_without_end_gives_up)
{
	/* an agent whose ifName and ifDescr never leave their columns: the walk stops
	 * within a bound of the row cap, and the poll goes on to the counters */
	struct ft_snmp_device d;
	device(&d);
	d.max_rows = 1;
	d.max_repetitions = 2;
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	int answers = 0;
	uint32_t idx = 1;
	for (; answers < 1000; answers++) {
		sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
		if (answers == 0)
			vb_scalars(&s);
		sb_vb_str(&s, sb_if_col(true, 1, idx), "x");
		sb_vb_str(&s, sb_if_col(false, 2, idx), "y");
		idx++;
		sb_pdu_end(&s);
		feed_ok(w, &s);
		/* once walking stops, this answers the one row's GET: no counters in it */
		if (!ft_snmp_walker_busy(w))
			break;
	}
	ck_assert_msg(answers < 100, "still walking after %d answers", answers);
	/* every answer of the walk but the first brought an interface beyond the cap */
	struct ft_snmp_poll p;
	over(w, &p);
	ck_assert_uint_eq(p.n_ifs, 1);
	ck_assert_uint_eq(p.ifs[0].ifindex, 1);
	ck_assert_uint_eq(p.rows_over_cap, (uint64_t)answers - 1);
	ck_assert_uint_eq(p.ifs[0].have, FT_SNMP_HAVE_NAME | FT_SNMP_HAVE_DESCR);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

START_TEST(v3_discovery_answer_without_engine_id_fails)
{
	/* SNMPv3: the first request learns the agent's engine ID, which comes in the
	 * message's security parameters; a bare PDU carries none */
	struct ft_snmp_device d;
	device(&d);
	d.version = FT_SNMP_V3;
	d.level = FT_SNMP_NOAUTH;
	snprintf(d.user, sizeof(d.user), "monitor");
	struct ft_snmp_walker *w = walker(&d);
	struct sb s;
	unknown_user_report(&s);
	feed_ok(w, &s);
	struct ft_snmp_poll p;
	over(w, &p);
	const char *e = ft_snmp_walker_error(w);
	ck_assert_msg(strncmp(e, "device r1 (udp:127.0.0.1:9): ", 29) == 0 && strstr(e, "engine ID"), "error: %s", e);
	ck_assert_uint_eq(p.requests, 1);
	ft_snmp_poll_done(&p);
	ft_snmp_walker_free(w);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("snmp_walk");
	TCase *t = tcase_create("polls");
	tcase_add_test(t, whole_poll_reads_every_field_exactly);
	tcase_add_test(t, names_walk_continues_over_answers);
	tcase_add_test(t, answers_request_id_does_not_matter);
	tcase_add_test(t, agent_without_ifxtable_reads_iftable_only);
	tcase_add_test(t, columns_the_agent_lacks_stay_absent);
	tcase_add_test(t, no_interfaces_ends_after_the_walk);
	tcase_add_test(t, walk_of_a_table_without_end_gives_up);
	tcase_add_test(t, v3_discovery_answer_without_engine_id_fails);
	suite_add_tcase(s, t);
	t = tcase_create("kept");
	tcase_add_test(t, filters_keep_only_matching_rows);
	tcase_add_test(t, filters_by_descr_when_keyed_by_descr);
	tcase_add_test(t, row_cap_counts_interfaces_beyond_it);
	tcase_add_test(t, row_cap_counts_by_ifname_without_ifdescr);
	tcase_add_test(t, row_cap_counts_once_without_ifxtable);
	suite_add_tcase(s, t);
	t = tcase_create("bad_answers");
	tcase_add_test(t, value_of_wrong_type_is_not_stored);
	tcase_add_test(t, strings_are_cut_to_their_buffer_and_nul_free);
	tcase_add_test(t, oid_not_increasing_ends_that_column);
	tcase_add_test(t, end_of_mib_view_ends_the_walk);
	tcase_add_test(t, toobig_halves_rows_a_request);
	tcase_add_test(t, toobig_for_one_row_leaves_it_absent);
	tcase_add_test(t, error_status_to_get_leaves_fields_absent);
	tcase_add_test(t, error_status_to_walk_fails_the_poll);
	tcase_add_test(t, unparsable_or_other_pdu_is_refused);
	tcase_add_test(t, report_is_the_error_once_the_request_ends);
	tcase_add_test(t, answer_after_report_is_taken);
	suite_add_tcase(s, t);
	return s;
}
