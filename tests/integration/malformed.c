/* The malformed-input corpus of counters.sh: at least CASES datagrams for every reason
 * flowtally drops a datagram or a part of one, each built byte by byte from the RFCs'
 * wire formats (tests/unit/msg_build.h, nf5_build.h) and varied with a seeded generator,
 * and sent to flowtallyd on 127.0.0.1 and ::1 only.
 *
 *   malformed plan                  what `main` sends, without sending it
 *   malformed main PORT4 PORT6      every case but out_of_memory, valid traffic between,
 *                                   and sources outside the allow-list
 *   malformed oom PORT4 N           N data sets of 60,000 bytes for a template not known
 *                                   yet, from one IPFIX domain (see counters.sh)
 *   malformed oom-end PORT4         that template, and valid traffic after
 *
 * Each prints a JSON summary of what it sent and what flowtally must make of it: for
 * every reason the errors it must count, the datagrams it must accept, those the
 * allow-list must reject, and (plan) the exporter entries the datagrams that are no
 * exporter_limit case create, for the configuration's max_exporters.  What a reason
 * means is taken from the README's table, not from the collector's code: this program
 * links none of it.  Every case is built to count exactly one error of its reason
 * (whole-datagram reasons: the datagram is not accepted; the others: it is).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "msg_build.h"
#include "nf5_build.h"

#define CASES 120               /* per reason: at least 100 */
#define MAX_TEMPLATES 4         /* the configuration's max_templates */
#define MAX_TEMPLATE_FIELDS 200 /* the configuration's max_template_fields */
#define MAX_TEMPLATE_BYTES 5000 /* the configuration's max_template_bytes */
#define OOM_SET_LEN 60000
#define OOM_DOMAIN 18

/* The reasons, as the README names them; the first five drop the whole datagram. */
enum reason {
	R_SHORT_HEADER, R_BAD_VERSION, R_BAD_COUNT, R_BAD_LENGTH, R_EXPORTER_LIMIT,
	R_BAD_SET_LENGTH, R_BAD_SET_ID, R_TEMPLATE_NO_FIELDS, R_TEMPLATE_OVERFLOW,
	R_BAD_TEMPLATE_ID, R_BAD_FIELD_LENGTH, R_BAD_SCOPE, R_TEMPLATE_TOO_LONG,
	R_TEMPLATE_LIMIT, R_VARLEN_OVERRUN, R_BAD_PADDING, R_NO_TEMPLATE, R_OUT_OF_MEMORY,
	R_V9_VARIABLE_LENGTH, R_TEMPLATE_FIELDS, R_TEMPLATE_BYTES, R_IMPLAUSIBLE_COUNTER,
	R_TIME_OUT_OF_RANGE, R_COUNT,
	R_NONE = -1                 /* a valid datagram */
};
static const char *const reason_names[R_COUNT] = {
	"short_header", "bad_version", "bad_count", "bad_length", "exporter_limit",
	"bad_set_length", "bad_set_id", "template_no_fields", "template_overflow",
	"bad_template_id", "bad_field_length", "bad_scope", "template_too_long",
	"template_limit", "varlen_overrun", "bad_padding", "no_template", "out_of_memory",
	"v9_variable_length",
	"template_fields", "template_bytes",
	"implausible_counter", "time_out_of_range",
};

/* An exporter entry as the README keys it: (source address, version, domain). */
struct key {
	bool v6;
	uint8_t version;
	uint32_t domain;
};

struct gen {
	bool dry;
	int fd4, fd6;
	struct sockaddr_in to4;
	struct sockaddr_in6 to6;
	uint64_t rng;
	struct mb m;
	uint64_t errors[R_COUNT];
	uint64_t accepted, rejected, sent4, sent6;
	struct key keys[256];
	size_t n_keys;
};

static uint64_t rnd(struct gen *g)
{
	/* xorshift64*: the same corpus on every run */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dULL;
}

static uint32_t below(struct gen *g, uint32_t n)
{
	return (uint32_t)(rnd(g) % n);
}

static void random_bytes(struct gen *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mb_u8(&g->m, (uint8_t)rnd(g));
}

static void note_key(struct gen *g, const struct key *k)
{
	for (size_t i = 0; i < g->n_keys; i++)
		if (g->keys[i].v6 == k->v6 && g->keys[i].version == k->version &&
		    g->keys[i].domain == k->domain)
			return;
	if (g->n_keys == sizeof(g->keys) / sizeof(g->keys[0])) {
		fprintf(stderr, "malformed: too many exporters\n");
		exit(1);
	}
	g->keys[g->n_keys++] = *k;
}

/* Paces the sender so that a receive buffer of any size keeps up: nothing here may be
 * lost to the kernel, or the counts would not be the corpus's. */
static void pace(size_t len, uint64_t n)
{
	struct timespec ts = { 0, len > 8000 ? 4000000 : 1000000 };
	if (len > 8000 || n % 16 == 0)
		nanosleep(&ts, NULL);
}

static void send_to(struct gen *g, int fd, const struct sockaddr *to, socklen_t tl, size_t len)
{
	if (g->dry)
		return;
	if (sendto(fd, g->m.buf, len, 0, to, tl) != (ssize_t)len) {
		fprintf(stderr, "malformed: sendto: %s\n", strerror(errno));
		exit(1);
	}
	pace(len, g->sent4 + g->sent6 + g->rejected);
}

/* Sends the datagram in g->m (len bytes) from an allowed source: 127.0.0.1, or ::1 with
 * v6; it must count one error of reason r (R_NONE: none), and be accepted unless r
 * drops whole datagrams.  k is its exporter entry (NULL for exporter_limit cases). */
static void emit(struct gen *g, size_t len, bool v6, enum reason r, const struct key *k)
{
	if (v6)
		send_to(g, g->fd6, (const struct sockaddr *)&g->to6, sizeof(g->to6), len);
	else
		send_to(g, g->fd4, (const struct sockaddr *)&g->to4, sizeof(g->to4), len);
	*(v6 ? &g->sent6 : &g->sent4) += 1;
	if (r != R_NONE)
		g->errors[r]++;
	if (r == R_NONE || r > R_EXPORTER_LIMIT)
		g->accepted++;
	if (k)
		note_key(g, k);
}

/* The finished v9 or IPFIX message in g->m, from 127.0.0.1. */
static void emit_msg(struct gen *g, enum reason r)
{
	/* the v9 source ID (header offset 16) or the IPFIX observation domain (12) */
	const uint8_t *d = g->m.buf + (g->m.version == 9 ? 16 : 12);
	struct key k = { false, g->m.version,
	                 (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3] };
	emit(g, mb_done(&g->m), false, r, &k);
}

/* A v9 message (even k) or an IPFIX one (odd k) of reason r's exporter. */
static bool start_msg(struct gen *g, unsigned k, uint32_t domain)
{
	if (k % 2 == 0) {
		mb_v9(&g->m, 3600000, 1700000000 + k, k, domain);
		return false;
	}
	mb_ipfix(&g->m, 1700000000 + k, k, domain);
	return true;
}

/* 1 to n fields of the usual IPv4 flow record (octets, packets, addresses, ports). */
static uint16_t some_fields(struct gen *g, struct mb_field *f, uint16_t n)
{
	static const struct mb_field pool[] = { { 1, 4, 0 }, { 2, 4, 0 }, { 8, 4, 0 }, { 12, 4, 0 },
	                                        { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 } };
	uint16_t c = (uint16_t)(1 + below(g, n));
	for (uint16_t i = 0; i < c; i++)
		f[i] = pool[below(g, sizeof(pool) / sizeof(pool[0]))];
	return c;
}

/* ---- whole-datagram reasons -------------------------------------------------------- */

static void short_header(struct gen *g, unsigned k)
{
	static const uint16_t versions[] = { 5, 9, 10 };
	static const size_t headers[] = { 24, 20, 16 };
	g->m.len = 0;
	if (k % 4 == 0) {
		random_bytes(g, below(g, 2));          /* not even a version field */
	} else {
		mb_u16(&g->m, versions[k % 4 - 1]);
		random_bytes(g, below(g, (uint32_t)headers[k % 4 - 1] - 2));
	}
	emit(g, g->m.len, k % 2, R_SHORT_HEADER, &(struct key){ k % 2, 0, 0 });
}

static void bad_version(struct gen *g, unsigned k)
{
	uint16_t v;
	do
		v = (uint16_t)rnd(g);
	while (v == 5 || v == 9 || v == 10);
	g->m.len = 0;
	mb_u16(&g->m, k < 12 ? (uint16_t)k : v);   /* 0 .. 11 and random ones */
	if (k == 5 || k == 9 || k == 10)
		g->m.buf[1] = (uint8_t)(g->m.buf[1] + 100);
	random_bytes(g, below(g, 200));
	emit(g, g->m.len, k % 2, R_BAD_VERSION, &(struct key){ k % 2, 0, 0 });
}

static void bad_count(struct gen *g, unsigned k)
{
	uint16_t count = k % 2 ? 0 : (uint16_t)(31 + below(g, 65535 - 31));
	struct v5hdr h = { .count = count, .uptime = 100000 + k, .secs = 1700000000, .seq = k,
	                   .engine_id = 3 };
	size_t records = below(g, 31);
	build_v5(g->m.buf, &h, (unsigned)records);
	emit(g, 24 + 48 * records, false, R_BAD_COUNT, &(struct key){ false, 5, 3 });
}

static void bad_length(struct gen *g, unsigned k)
{
	if (k % 2) {                            /* IPFIX: a length field not the datagram's */
		mb_ipfix(&g->m, 1700000000, k, 4);
		mb_set(&g->m, 300 + k);
		random_bytes(g, 4 + below(g, 100));
		size_t len = mb_done(&g->m);
		uint16_t wrong;
		do
			wrong = (uint16_t)rnd(g);
		while (wrong == len);
		put16(g->m.buf + 2, wrong);
		emit(g, len, false, R_BAD_LENGTH, &(struct key){ false, 10, 4 });
		return;
	}
	unsigned count = 1 + below(g, 30);        /* v5: not 24 + 48 × count */
	struct v5hdr h = { .count = (uint16_t)count, .uptime = 100000, .secs = 1700000000,
	                   .engine_id = 4 };
	build_v5(g->m.buf, &h, 31);
	size_t right = 24 + 48 * (size_t)count, len;
	do
		len = 24 + below(g, 48 * 31 - 23);
	while (len == right);
	emit(g, len, false, R_BAD_LENGTH, &(struct key){ false, 5, 4 });
}

/* Exporters beyond max_exporters: valid datagrams (some broken past the header) of
 * domains no other case uses. */
static void exporter_limit(struct gen *g, unsigned k)
{
	if (k % 3 == 0) {
		struct v5hdr h = { .count = 1, .uptime = 1000, .secs = 1700000000, .engine_type = 1,
		                   .engine_id = (uint8_t)k };
		emit(g, build_v5(g->m.buf, &h, 1), false, R_EXPORTER_LIMIT, NULL);
		return;
	}
	if (k % 3 == 1)
		mb_v9(&g->m, 1000, 1700000000, 0, 1000 + k);
	else
		mb_ipfix(&g->m, 1700000000, 0, 1000 + k);
	mb_set(&g->m, 400);
	random_bytes(g, below(g, 64));
	size_t len = mb_done(&g->m);
	emit(g, k % 5 == 0 ? len - below(g, 4) : len, false, R_EXPORTER_LIMIT, NULL);
}

/* ---- sets and templates: the datagram is accepted ----------------------------------- */

static void bad_set_length(struct gen *g, unsigned k)
{
	static const struct mb_field f[] = { { 1, 4, 0 }, { 8, 4, 0 } };
	bool ipfix = start_msg(g, k, 6);
	if (k % 4 < 2) {                        /* a good set first: it is kept */
		mb_set(&g->m, ipfix ? MB_IPFIX_TEMPLATE : MB_V9_TEMPLATE);
		mb_template(&g->m, 256, f, 2);
		mb_end(&g->m);
	}
	uint16_t body = (uint16_t)below(g, 40);
	uint16_t len = k % 3 ? (uint16_t)below(g, 4) :
	               (uint16_t)(4 + body + 1 + below(g, 65535u - 4 - body - 1));
	mb_raw_set(&g->m, (uint16_t)rnd(g), len);
	random_bytes(g, body);
	emit_msg(g, R_BAD_SET_LENGTH);
}

static void bad_set_id(struct gen *g, unsigned k)
{
	bool ipfix = start_msg(g, k, 7);
	/* v9 reserves 2..255 (RFC 3954 §5.2), IPFIX 0, 1 and 4..255 (RFC 7011 §3.3.2) */
	uint16_t id = ipfix ? (uint16_t)(k % 8 == 1 ? 0 : k % 8 == 3 ? 1 : 4 + below(g, 252))
	                    : (uint16_t)(2 + below(g, 254));
	mb_set(&g->m, id);
	random_bytes(g, 4 * below(g, 10));
	mb_end(&g->m);
	emit_msg(g, R_BAD_SET_ID);
}

static void v9_variable_length(struct gen *g, unsigned k)
{
	/* IPFIX's variable-length marker, which NetFlow v9 does not have */
	struct mb_field f[8];
	uint16_t n = some_fields(g, f, 7);
	f[n] = (struct mb_field){ (uint16_t)(82 + below(g, 2)), 65535, 0 };
	mb_v9(&g->m, 3600000, 1700000000, k, 23);
	mb_set(&g->m, MB_V9_TEMPLATE);
	mb_template(&g->m, (uint16_t)(256 + below(g, 65280)), f, (uint16_t)(n + 1));
	mb_end(&g->m);
	emit_msg(g, R_V9_VARIABLE_LENGTH);
}

static void template_no_fields(struct gen *g, unsigned k)
{
	mb_v9(&g->m, 3600000, 1700000000, k, 8);   /* in IPFIX, no fields is a withdrawal */
	mb_set(&g->m, MB_V9_TEMPLATE);
	mb_u16(&g->m, (uint16_t)(256 + below(g, 65280)));
	mb_u16(&g->m, 0);
	mb_end_pad(&g->m, below(g, 4), 0);
	emit_msg(g, R_TEMPLATE_NO_FIELDS);
}

static void template_overflow(struct gen *g, unsigned k)
{
	struct mb_field f[8];
	bool ipfix = start_msg(g, k, 9), options = k % 4 >= 2;
	uint16_t have = some_fields(g, f, 8), tid = (uint16_t)(256 + below(g, 65280));
	uint16_t claimed = (uint16_t)(have + 1 + below(g, 1000));
	mb_set(&g->m, ipfix ? (options ? MB_IPFIX_OPTIONS : MB_IPFIX_TEMPLATE)
	                    : (options ? MB_V9_OPTIONS : MB_V9_TEMPLATE));
	mb_u16(&g->m, tid);
	if (!ipfix && options) {                /* scope and option lengths past the set */
		mb_u16(&g->m, 4);
		mb_u16(&g->m, (uint16_t)(4 * claimed));
	} else {
		mb_u16(&g->m, claimed);
		if (options)
			mb_u16(&g->m, 1);
	}
	for (uint16_t i = 0; i < have; i++)
		mb_field(&g->m, &f[i]);
	mb_end_pad(&g->m, ipfix ? 0 : below(g, 4), 0);
	emit_msg(g, R_TEMPLATE_OVERFLOW);
}

static void bad_template_id(struct gen *g, unsigned k)
{
	struct mb_field f[8];
	bool ipfix = start_msg(g, k, 10), options = k % 4 >= 2;
	uint16_t n = some_fields(g, f, 8), tid = (uint16_t)below(g, 256);
	mb_set(&g->m, ipfix ? (options ? MB_IPFIX_OPTIONS : MB_IPFIX_TEMPLATE)
	                    : (options ? MB_V9_OPTIONS : MB_V9_TEMPLATE));
	if (options && ipfix)
		mb_ipfix_options(&g->m, tid, f, n, 1);
	else if (options)
		mb_v9_options(&g->m, tid, f, 1, f, n);
	else
		mb_template(&g->m, tid, f, n);
	mb_end(&g->m);
	emit_msg(g, R_BAD_TEMPLATE_ID);
}

/* One field the element cannot have: a counter over 8 bytes (octets or packets), an
 * IPv4 address not 4 bytes long or an IPv6 one not 16.  (Length 0 is padding: kept.) */
static struct mb_field bad_field(struct gen *g)
{
	switch (below(g, 4)) {
	case 0: return (struct mb_field){ 2, (uint16_t)(9 + below(g, 100)), 0 };
	case 1: return (struct mb_field){ 1, (uint16_t)(9 + below(g, 100)), 0 };
	case 2: {
		uint16_t l = (uint16_t)(1 + below(g, 40));
		return (struct mb_field){ 8, l == 4 ? 5 : l, 0 };
	}
	default: {
		uint16_t l = (uint16_t)(1 + below(g, 40));
		return (struct mb_field){ 27, l == 16 ? 17 : l, 0 };
	}
	}
}

static void bad_field_length(struct gen *g, unsigned k)
{
	struct mb_field f[9];
	bool ipfix = start_msg(g, k, 11);
	uint16_t n = some_fields(g, f, 8), tid = (uint16_t)(256 + below(g, 65280));
	if (!ipfix && k % 4 == 2) {             /* v9 options: option length not whole fields */
		uint16_t olen = (uint16_t)(4 * below(g, 4) + 1 + below(g, 3));
		mb_set(&g->m, MB_V9_OPTIONS);
		mb_u16(&g->m, tid);
		mb_u16(&g->m, 4);
		mb_u16(&g->m, olen);
		random_bytes(g, 4 + olen);
		mb_end(&g->m);
		emit_msg(g, R_BAD_FIELD_LENGTH);
		return;
	}
	uint16_t at = (uint16_t)below(g, n + 1u);
	memmove(f + at + 1, f + at, (n - at) * sizeof(*f));
	f[at] = bad_field(g);
	mb_set(&g->m, ipfix ? MB_IPFIX_TEMPLATE : MB_V9_TEMPLATE);
	mb_template(&g->m, tid, f, (uint16_t)(n + 1));
	mb_end(&g->m);
	emit_msg(g, R_BAD_FIELD_LENGTH);
}

static void bad_scope(struct gen *g, unsigned k)
{
	struct mb_field f[8];
	bool ipfix = start_msg(g, k, 12);
	uint16_t n = some_fields(g, f, 8), tid = (uint16_t)(256 + below(g, 65280));
	if (ipfix) {                            /* no scope field, or more than fields */
		mb_set(&g->m, MB_IPFIX_OPTIONS);
		mb_ipfix_options(&g->m, tid, f, n, k % 4 == 1 ? 0 : (uint16_t)(n + 1 + below(g, 10)));
	} else {                                /* scope length 0, or not whole fields */
		uint16_t slen = k % 4 == 0 ? 0 : (uint16_t)(4 * below(g, 3) + 1 + below(g, 3));
		mb_set(&g->m, MB_V9_OPTIONS);
		mb_u16(&g->m, tid);
		mb_u16(&g->m, slen);
		mb_u16(&g->m, (uint16_t)(4 * n));
		random_bytes(g, slen);
		for (uint16_t i = 0; i < n; i++)
			mb_field(&g->m, &f[i]);
	}
	mb_end(&g->m);
	emit_msg(g, R_BAD_SCOPE);
}

static void template_too_long(struct gen *g, unsigned k)
{
	/* elements flowtally skips, whose lengths add up past what a message can hold */
	uint16_t a = (uint16_t)(32758 + below(g, 32000));
	uint16_t b = (uint16_t)(65516 - a + below(g, 65534u - (65516u - a)));
	struct mb_field f[3] = { { (uint16_t)(400 + below(g, 100)), a, 0 },
	                         { (uint16_t)(400 + below(g, 100)), b, 0 }, { 1, 4, 0 } };
	bool ipfix = start_msg(g, k, 13);
	mb_set(&g->m, ipfix ? MB_IPFIX_TEMPLATE : MB_V9_TEMPLATE);
	mb_template(&g->m, (uint16_t)(256 + below(g, 65280)), f, (uint16_t)(2 + k % 2));
	mb_end(&g->m);
	emit_msg(g, R_TEMPLATE_TOO_LONG);
}

/* More fields than max_template_fields: elements flowtally skips, one byte each. */
static void template_fields(struct gen *g, unsigned k)
{
	static struct mb_field f[400];
	uint16_t n = (uint16_t)(MAX_TEMPLATE_FIELDS + 1 + below(g, 200));
	for (uint16_t i = 0; i < n; i++)
		f[i] = (struct mb_field){ (uint16_t)(400 + below(g, 100)), 1, 0 };
	bool ipfix = start_msg(g, k, 21);
	mb_set(&g->m, ipfix ? MB_IPFIX_TEMPLATE : MB_V9_TEMPLATE);
	mb_template(&g->m, (uint16_t)(256 + below(g, 65280)), f, n);
	mb_end(&g->m);
	emit_msg(g, R_TEMPLATE_FIELDS);
}

/* A template within max_template_fields whose compiled form alone passes
 * max_template_bytes: 190..200 fields, each held as 20 bytes (the field, its op and its
 * place in the plan, README "Memory"), beside the exporter's table of 16 slots. */
static void template_bytes(struct gen *g, unsigned k)
{
	static struct mb_field f[MAX_TEMPLATE_FIELDS];
	uint16_t n = (uint16_t)(MAX_TEMPLATE_FIELDS - below(g, 11));
	for (uint16_t i = 0; i < n; i++)
		f[i] = (struct mb_field){ (uint16_t)(400 + below(g, 100)), 1, 0 };
	f[0] = (struct mb_field){ 1, 4, 0 };
	_Static_assert((MAX_TEMPLATE_FIELDS - 10) * 20 > MAX_TEMPLATE_BYTES - 16 * 80, "too few fields");
	bool ipfix = start_msg(g, k, 22);
	mb_set(&g->m, ipfix ? MB_IPFIX_TEMPLATE : MB_V9_TEMPLATE);
	mb_template(&g->m, (uint16_t)(256 + below(g, 65280)), f, n);
	mb_end(&g->m);
	emit_msg(g, R_TEMPLATE_BYTES);
}

/* A valid template tid with fields f of exporter (version of k, domain) in a message of
 * its own. */
static void define(struct gen *g, unsigned k, uint32_t domain, uint16_t tid,
                   const struct mb_field *f, uint16_t n)
{
	bool ipfix = start_msg(g, k, domain);
	mb_set(&g->m, ipfix ? MB_IPFIX_TEMPLATE : MB_V9_TEMPLATE);
	mb_template(&g->m, tid, f, n);
	mb_end(&g->m);
	emit_msg(g, R_NONE);
}

static void template_limit(struct gen *g, unsigned k)
{
	struct mb_field f[8];
	if (k < 2)                              /* the exporter's first max_templates */
		for (uint16_t i = 0; i < MAX_TEMPLATES; i++)
			define(g, k, 14, (uint16_t)(256 + i), f, some_fields(g, f, 8));
	define(g, k, 14, (uint16_t)(256 + MAX_TEMPLATES + k), f, some_fields(g, f, 8));
	g->errors[R_TEMPLATE_LIMIT]++;
}

static void varlen_overrun(struct gen *g, unsigned k)
{
	/* octetDeltaCount, interfaceName (RFC 7011 §7: a 1- or 3-byte length) */
	static const struct mb_field f[] = { { 1, 4, 0 }, { 82, MB_VARLEN, 0 } };
	if (k == 0)
		define(g, 1, 15, 256, f, 2);
	mb_ipfix(&g->m, 1700000000, k, 15);
	mb_set(&g->m, 256);
	for (uint32_t r = below(g, 4); r-- > 0;) {   /* good records: kept */
		mb_u32(&g->m, (uint32_t)rnd(g));
		mb_var(&g->m, "ge-0/0/1", 8, below(g, 2));
	}
	mb_u32(&g->m, (uint32_t)rnd(g));
	uint32_t left = below(g, 20);
	switch (k % 3) {
	case 0:                                 /* the 1-byte length past the set */
		mb_u8(&g->m, (uint8_t)(left + 1 + below(g, 254 - left)));
		break;
	case 1:                                 /* the 3-byte length past the set */
		mb_u8(&g->m, 255);
		mb_u16(&g->m, (uint16_t)(left + 1 + below(g, 60000)));
		break;
	default:                                /* the 3-byte length itself cut */
		mb_u8(&g->m, 255);
		left = 1;
		break;
	}
	random_bytes(g, left);
	emit_msg(g, R_VARLEN_OVERRUN);
}

static void bad_padding(struct gen *g, unsigned k)
{
	static const struct mb_field f[] = { { 1, 4, 0 }, { 2, 4, 0 }, { 8, 4, 0 } };
	if (k < 2)
		define(g, k, 16, 256, f, 3);
	start_msg(g, k, 16);
	mb_set(&g->m, 256);
	for (uint32_t r = 1 + below(g, 5); r-- > 0;) {
		random_bytes(g, 12);
		mb_rec(&g->m);
	}
	uint32_t pad = 1 + below(g, 11), nonzero = below(g, pad);
	for (uint32_t i = 0; i < pad; i++)     /* shorter than a record, not all zero */
		mb_u8(&g->m, i == nonzero ? (uint8_t)(1 + below(g, 255)) : (uint8_t)(below(g, 2) * rnd(g)));
	emit_msg(g, R_BAD_PADDING);
}

/* Data sets whose template never comes: kept, and counted when given up at exit. */
static void no_template(struct gen *g, unsigned k)
{
	start_msg(g, k, 17);
	mb_set(&g->m, (uint16_t)(300 + below(g, 1000)));
	random_bytes(g, 1 + below(g, 200));
	emit_msg(g, R_NO_TEMPLATE);
}

/* A record whose bytes or packets no link could carry (past 2^50, counters.sh's
 * max_flow_bytes and max_flow_packets), among good ones. */
static void implausible_counter(struct gen *g, unsigned k)
{
	static const struct mb_field f[] = { { 1, 8, 0 }, { 2, 8, 0 }, { 8, 4, 0 } };
	if (k < 2)
		define(g, k, 19, 256, f, 3);
	start_msg(g, k, 19);
	mb_set(&g->m, 256);
	uint32_t bad = below(g, 4);
	for (uint32_t r = 0; r < 4; r++) {
		uint64_t big = (1ull << 50) + 1 + (rnd(g) >> 14), small = rnd(g) >> 40;
		bool bytes = k % 2;
		mb_u64(&g->m, r == bad && bytes ? big : small);
		mb_u64(&g->m, r == bad && !bytes ? big : small);
		random_bytes(g, 4);
		mb_rec(&g->m);
	}
	emit_msg(g, R_IMPLAUSIBLE_COUNTER);
}

/* A record whose end lies over an hour before the exporter's boot (v5: Last more than
 * sysUptime + 1 h before the export), or far outside any window around its receipt (v9, IPFIX:
 * flowEndMilliseconds before 1970 or 146 million years ahead), among good ones. */
static void time_out_of_range(struct gen *g, unsigned k)
{
	static const struct mb_field f[] = { { 1, 4, 0 }, { 153, 8, 0 } };
	if (k % 3 == 2) {
		struct v5hdr h = { .count = 3, .uptime = 1000, .secs = 1700000000, .seq = 3 * k,
		                   .engine_id = 6 };
		build_v5(g->m.buf, &h, 3);
		uint8_t *r = g->m.buf + 24 + 48 * below(g, 3);
		/* more than the hour flowtally allows for a wrap of sysUptime */
		put32(r + 24, 1000 - 3700000u - below(g, 1000000));
		put32(r + 28, 1000 - 3601001u - below(g, 60000));
		emit(g, 24 + 48 * 3, false, R_TIME_OUT_OF_RANGE, &(struct key){ false, 5, 6 });
		return;
	}
	if (k < 2)
		define(g, k, 20, 256, f, 2);
	start_msg(g, k, 20);
	mb_set(&g->m, 256);
	uint32_t bad = below(g, 3);
	for (uint32_t r = 0; r < 3; r++) {
		uint64_t at = (1700000000ull + k) * 1000 - below(g, 60000);
		if (r == bad)
			at = k % 2 ? 1ull << 63 | rnd(g) : (1ull << 62) + (rnd(g) >> 2);
		mb_u32(&g->m, (uint32_t)rnd(g));
		mb_u64(&g->m, at);
		mb_rec(&g->m);
	}
	emit_msg(g, R_TIME_OUT_OF_RANGE);
}

/* ---- valid traffic and sources outside the allow-list ------------------------------- */

static void valid(struct gen *g, unsigned k)
{
	static const struct mb_field f[] = { { 1, 4, 0 }, { 2, 4, 0 }, { 8, 4, 0 }, { 12, 4, 0 } };
	if (k % 3 == 0) {
		struct v5hdr h = { .count = (uint16_t)(1 + below(g, 30)), .uptime = 100000 + k,
		                   .secs = 1700000000 + k, .seq = k };
		emit(g, build_v5(g->m.buf, &h, h.count), false, R_NONE, &(struct key){ false, 5, 0 });
		return;
	}
	bool ipfix = start_msg(g, k, 0);
	mb_set(&g->m, ipfix ? MB_IPFIX_TEMPLATE : MB_V9_TEMPLATE);
	mb_template(&g->m, 256, f, 4);
	mb_set(&g->m, 256);
	for (uint32_t r = 1 + below(g, 20); r-- > 0;) {
		random_bytes(g, 16);
		mb_rec(&g->m);
	}
	mb_end(&g->m);
	emit_msg(g, R_NONE);
}

/* From 127.0.s.t, outside the allow-list (127.0.0.1 and ::1): 300 sources once each,
 * then a heavy one, 127.0.3.1, 150 times. */
static void rejected(struct gen *g)
{
	for (unsigned i = 0; i < 450; i++) {
		uint32_t src = i < 300 ? 0x7f000100u + 1 + i : 0x7f000301u;
		struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(src) };
		struct v5hdr h = { .count = 1, .uptime = 1000, .secs = 1700000000 };
		size_t len = i % 2 ? build_v5(g->m.buf, &h, 1) : (memset(g->m.buf, 0xa5, 40), 40u);
		g->rejected++;
		if (g->dry)
			continue;
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0) {
			fprintf(stderr, "malformed: bind to 127.0.x.y: %s\n", strerror(errno));
			exit(1);
		}
		send_to(g, fd, (const struct sockaddr *)&g->to4, sizeof(g->to4), len);
		close(fd);
	}
}

/* ---- phases --------------------------------------------------------------------------- */

typedef void (*case_fn)(struct gen *g, unsigned k);

static void phase_main(struct gen *g)
{
	static const case_fn cases[] = {
		short_header, bad_version, bad_count, bad_length, bad_set_length, bad_set_id,
		template_no_fields, template_overflow, bad_template_id, bad_field_length,
		bad_scope, template_too_long, template_limit, varlen_overrun, bad_padding,
		no_template, v9_variable_length, template_fields, template_bytes,
		implausible_counter, time_out_of_range,
	};
	/* The out_of_memory domain is known before the table fills: a message of no sets. */
	mb_ipfix(&g->m, 1700000000, 0, OOM_DOMAIN);
	emit_msg(g, R_NONE);
	for (unsigned k = 0; k < CASES; k++) {
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			cases[c](g, k);
			valid(g, (unsigned)(k * 16 + c));
		}
	}
	/* Only now is the table at max_exporters (the number of entries made so far). */
	for (unsigned k = 0; k < CASES; k++)
		exporter_limit(g, k);
	rejected(g);
}

static void phase_oom(struct gen *g, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		mb_ipfix(&g->m, 1700000000 + i, 0, OOM_DOMAIN);
		mb_set(&g->m, 256);
		random_bytes(g, OOM_SET_LEN);
		/* kept for its template, or out_of_memory: counted by counters.sh */
		emit_msg(g, R_NONE);
	}
}

static void phase_oom_end(struct gen *g)
{
	/* one element flowtally skips, as long as a kept set: one record each */
	const struct mb_field f = { 450, OOM_SET_LEN, 0 };
	define(g, 1, OOM_DOMAIN, 256, &f, 1);
	for (unsigned k = 0; k < 30; k++)
		valid(g, k);
}

static void print_summary(const struct gen *g)
{
	printf("{\"errors\":{");
	for (int r = 0; r < R_COUNT; r++)
		printf("%s\"%s\":%" PRIu64, r ? "," : "", reason_names[r], g->errors[r]);
	printf("},\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"sent\":%" PRIu64
	       ",\"sent4\":%" PRIu64 ",\"sent6\":%" PRIu64 ",\"exporters\":%zu}\n", g->accepted,
	       g->rejected, g->sent4 + g->sent6 + g->rejected, g->sent4, g->sent6, g->n_keys);
}

static int usage(void)
{
	fprintf(stderr, "usage: malformed plan | main PORT4 PORT6 | oom PORT4 N | oom-end PORT4\n");
	return 2;
}

static uint16_t port(const char *s)
{
	char *end;
	unsigned long p = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || p == 0 || p > 65535) {
		fprintf(stderr, "malformed: %s: not a port\n", s);
		exit(2);
	}
	return (uint16_t)p;
}

/* Loopback only: 127.0.0.1 and ::1, whatever the arguments. */
static void open_sockets(struct gen *g, uint16_t p4, uint16_t p6)
{
	g->to4 = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(p4),
	                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	g->to6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(p6),
	                                .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	g->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g->fd6 = p6 ? socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
	if (g->fd4 < 0 || (p6 && g->fd6 < 0)) {
		fprintf(stderr, "malformed: socket: %s\n", strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static struct gen g = { .rng = 0x5eed1234abcdull };
	if (argc < 2)
		return usage();
	const char *what = argv[1];
	if (strcmp(what, "plan") == 0 && argc == 2) {
		g.dry = true;
		phase_main(&g);
	} else if (strcmp(what, "main") == 0 && argc == 4) {
		open_sockets(&g, port(argv[2]), port(argv[3]));
		phase_main(&g);
	} else if (strcmp(what, "oom") == 0 && argc == 4) {
		open_sockets(&g, port(argv[2]), 0);
		phase_oom(&g, port(argv[3]));
	} else if (strcmp(what, "oom-end") == 0 && argc == 3) {
		open_sockets(&g, port(argv[2]), 0);
		phase_oom_end(&g);
	} else {
		return usage();
	}
	print_summary(&g);
	return 0;
}
