/* Writes the seed corpora of fuzz_nf9 and fuzz_ipfix, and the v9/IPFIX seeds of
 * fuzz_netflow:
 *
 *   build/tests/fuzz/gen_tpl_corpus ../shared/fixtures/captures tests/fuzz/corpus
 *
 * into CORPUS/nf9/, CORPUS/ipfix/ and CORPUS/netflow/ (mixed-*).  Built with the
 * project but never run by it: the seeds are committed, and this program says how each
 * was made.  Rerunning it rewrites the seeds it knows and leaves other files (inputs
 * the fuzzer found) alone.  Most seeds are built here from the RFCs (3954 for v9, 7011
 * for IPFIX, 5103 for biflows), the same scenario for both versions where both have
 * it; the pcap-* seeds are the UDP payloads of public capture files (see SOURCES.md
 * next to them), as sent and with their datagrams reversed, so data comes before its
 * template.
 *
 * Input format (tpl_target.c): one configuration byte, then per datagram a selector
 * byte, a 2-byte big-endian length and the payload.  fuzz_netflow's format is the same
 * but for the meaning of the first byte (exporter cap) and of the selector (address
 * only).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/pcap.h"

#define SEED_MAX 60000
#define MSG_MAX 8192
#define UPTIME 3600000u
#define SECS 1700000000u
#define PEN_REVERSE 29305u     /* RFC 5103 */
#define VARLEN 0xffff

/* ---- configuration and selector bytes (tpl_target.c) ---------------------------- */

#define CFG_TEMPLATES_3 0x01
#define CFG_TEMPLATES_1 0x02
#define CFG_TEMPLATES_16 0x03
#define CFG_PENDING_1SET 0x04
#define CFG_PENDING_64B 0x08
#define CFG_PENDING_DEFAULT 0x0c
#define CFG_LIFETIME_2S 0x20
#define CFG_LIFETIME_30S 0x30
#define CFG_CONF 0x40
#define CFG_BATCH_1 0x80

/* Addresses: 0..2 are 192.0.2.1..3 (192.0.2.2 counts totals, default rate 10 with
 * CFG_CONF), 3 is 2001:db8::4 (rate overridden to 100 with CFG_CONF). */
#define SEL_RAW_LENGTH 0x04
#define SEL_ROUND_TRIP 0x08
#define SEL_STEP(k) ((uint8_t)((k) << 4))   /* clock + 2^(k-1) * 125 ms */
#define SEL_STEP_4S SEL_STEP(6)
#define SEL_STEP_1S SEL_STEP(4)

struct seed {
	uint8_t b[SEED_MAX];
	size_t n;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_bytes(struct seed *s, const void *p, size_t len)
{
	if (len > SEED_MAX - s->n) {
		fprintf(stderr, "seed too large\n");
		exit(1);
	}
	memcpy(s->b + s->n, p, len);
	s->n += len;
}

static void seed_begin(struct seed *s, uint8_t cfg)
{
	s->n = 0;
	put_bytes(s, &cfg, 1);
}

static void seed_dgram(struct seed *s, uint8_t sel, const uint8_t *p, size_t len)
{
	uint8_t pre[3] = { sel };
	put16(pre + 1, (uint16_t)len);
	put_bytes(s, pre, 3);
	put_bytes(s, p, len);
}

static const char *out_root;

static void write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	int w = snprintf(path, sizeof(path), "%s/%s/%s", out_root, dir, name);
	FILE *f = w > 0 && (size_t)w < sizeof(path) ? fopen(path, "wb") : NULL;
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
		fprintf(stderr, "%s/%s/%s: %s\n", out_root, dir, name, strerror(errno));
		exit(1);
	}
}

static const char *dir_of(int v)
{
	return v == 9 ? "nf9" : "ipfix";
}

static void save(int v, const char *name, const struct seed *s)
{
	write_seed(dir_of(v), name, s);
}

/* ---- message builder ------------------------------------------------------------ */

struct msg {
	uint8_t b[MSG_MAX];
	size_t n;
	size_t set;                /* offset of the open set's header */
	uint16_t records;          /* v9 header count: template and data records */
	int v;
};

static void m_bytes(struct msg *m, const void *p, size_t len)
{
	if (len > MSG_MAX - m->n) {
		fprintf(stderr, "message too large\n");
		exit(1);
	}
	memcpy(m->b + m->n, p, len);
	m->n += len;
}

static void m_uint(struct msg *m, uint64_t v, unsigned len)
{
	uint8_t b[8];
	for (unsigned i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> 8 * (len - 1 - i));
	m_bytes(m, b, len);
}

static void m_u8(struct msg *m, uint8_t v) { m_uint(m, v, 1); }
static void m_u16(struct msg *m, uint16_t v) { m_uint(m, v, 2); }
static void m_u32(struct msg *m, uint32_t v) { m_uint(m, v, 4); }

static void m_zero(struct msg *m, size_t n)
{
	static const uint8_t z[MSG_MAX];
	m_bytes(m, z, n);
}

/* v9 (RFC 3954 §5.1): version, count, sysUptime, unix_secs, sequence, source ID.
 * IPFIX (RFC 7011 §3.1): version, length, export time, sequence, observation domain. */
static void m_begin(struct msg *m, int v, uint32_t seq, uint32_t domain)
{
	m->n = m->set = 0;
	m->records = 0;
	m->v = v;
	m_u16(m, (uint16_t)v);
	m_u16(m, 0);
	if (v == 9)
		m_u32(m, UPTIME);
	m_u32(m, SECS);
	m_u32(m, seq);
	m_u32(m, domain);
}

static size_t m_end(struct msg *m)
{
	put16(m->b + 2, m->v == 9 ? m->records : (uint16_t)m->n);
	return m->n;
}

static void s_begin(struct msg *m, uint16_t id)
{
	m->set = m->n;
	m_u16(m, id);
	m_u16(m, 0);
}

static void s_end(struct msg *m)
{
	put16(m->b + m->set + 2, (uint16_t)(m->n - m->set));
}

static uint16_t tset(int v) { return v == 9 ? 0 : 2; }
static uint16_t oset(int v) { return v == 9 ? 1 : 3; }

static void add_msg(struct seed *s, uint8_t sel, struct msg *m)
{
	seed_dgram(s, sel, m->b, m_end(m));
}

/* A field specifier; pen only in IPFIX (enterprise bit). */
struct fld {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
};
#define NF(a) (sizeof(a) / sizeof((a)[0]))

static void spec(struct msg *m, const struct fld *f)
{
	if (m->v == 10 && f->pen) {
		m_u16(m, (uint16_t)(f->id | 0x8000));
		m_u16(m, f->len);
		m_u32(m, f->pen);
	} else {
		m_u16(m, f->id);
		m_u16(m, f->len);
	}
}

/* One template record (inside a template set). */
static void tpl(struct msg *m, uint16_t tid, const struct fld *f, size_t n)
{
	m_u16(m, tid);
	m_u16(m, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		spec(m, &f[i]);
	m->records++;
}

/* A template set holding one template. */
static void tpl_set(struct msg *m, uint16_t tid, const struct fld *f, size_t n)
{
	s_begin(m, tset(m->v));
	tpl(m, tid, f, n);
	s_end(m);
}

/* One options template record: the first `scope` fields are scope.  v9 (RFC 3954 §6.1)
 * gives scope and option lengths in bytes; IPFIX (RFC 7011 §3.4.2.2) the field count
 * and the scope field count. */
static void opt_tpl(struct msg *m, uint16_t tid, const struct fld *f, size_t n, size_t scope)
{
	m_u16(m, tid);
	if (m->v == 9) {
		m_u16(m, (uint16_t)(scope * 4));
		m_u16(m, (uint16_t)((n - scope) * 4));
	} else {
		m_u16(m, (uint16_t)n);
		m_u16(m, (uint16_t)scope);
	}
	for (size_t i = 0; i < n; i++)
		spec(m, &f[i]);
	m->records++;
}

static void opt_tpl_set(struct msg *m, uint16_t tid, const struct fld *f, size_t n, size_t scope)
{
	s_begin(m, oset(m->v));
	opt_tpl(m, tid, f, n, scope);
	s_end(m);
}

static uint64_t ntp(uint32_t unix_secs)
{
	return (uint64_t)(unix_secs + 2208988800u) << 32 | 0x80000000u;
}

/* A plausible value for element f in record i. */
static uint64_t value(const struct fld *f, unsigned i)
{
	if (f->pen == PEN_REVERSE)
		return f->id == 1 ? 700u * (i + 1) : f->id == 2 ? i + 1 : i;
	if (f->pen)
		return 0xdead0000u + i;
	switch (f->id) {
	case 1: case 231: return 1500u * (i + 1);
	case 2: case 298: case 299: case 24: return i + 1;
	case 232: return 300u * (i + 1);
	case 23: return 1400u * (i + 1);
	case 85: return 100000u + i;
	case 86: return 100u + i;
	case 4: return i % 3 == 2 ? 17 : 6;
	case 5: return 0x28;
	case 195: return 10;
	case 6: return 0x1b;
	case 7: return 1024u + i;
	case 11: return 443;
	case 8: return 0x0a000001u + i;
	case 12: return 0x0a010001u + i;
	case 15: return 0xc0000201u;
	case 18: return 0xc0000202u;
	case 9: return 24;
	case 13: return 16;
	case 29: return 64;
	case 30: return 48;
	case 10: return 1;
	case 14: return 2;
	case 16: return 64496;
	case 17: return 64511;
	case 21: return UPTIME - 1000;
	case 22: return UPTIME - 1000u * (i + 2);
	case 150: return SECS - 2 - i;
	case 151: return SECS - 1;
	case 152: return (SECS - 2ull) * 1000 + i;
	case 153: return (SECS - 1ull) * 1000;
	case 154: case 156: return ntp(SECS - 2);
	case 155: case 157: return ntp(SECS - 1);
	case 158: return 2000000u + i;
	case 159: return 1000000u;
	case 160: return (SECS - 3600ull) * 1000;
	case 34: return 100;
	case 35: return 2;
	case 48: return 1;
	case 49: return 2;
	case 50: return 512;
	case 302: return 7;
	case 304: return 1;
	case 305: return 1;
	case 306: return 99;
	case 58: case 243: return 100;
	case 61: return i & 1;
	default: return i;
	}
}

/* A string field: fixed length (zero-padded), or variable length (RFC 7011 §7) in the
 * one-byte form, or the three-byte form (255, then two bytes), short or long. */
static void m_string(struct msg *m, uint16_t len, const char *s, unsigned form)
{
	char big[300];
	size_t n = strlen(s);
	if (len != VARLEN) {
		size_t c = n < len ? n : len;
		m_bytes(m, s, c);
		m_zero(m, len - c);
		return;
	}
	if (form % 3 == 2) {
		memset(big, 'x', sizeof(big));
		memcpy(big, s, n < sizeof(big) ? n : sizeof(big));
		s = big;
		n = sizeof(big);
	}
	if (form % 3 == 0) {
		m_u8(m, (uint8_t)n);
	} else {
		m_u8(m, 255);
		m_u16(m, (uint16_t)n);
	}
	m_bytes(m, s, n);
}

static bool is_string(const struct fld *f)
{
	return !f->pen && (f->id == 82 || f->id == 83 || f->id == 96 || f->id == 94);
}

/* One record of template f: values from value(), addresses of their length, strings
 * ("if<i>"-like) for string elements and every variable-length field. */
static void rec(struct msg *m, const struct fld *f, size_t n, unsigned i)
{
	for (size_t k = 0; k < n; k++) {
		char str[32];
		uint64_t v = value(&f[k], i);
		if (is_string(&f[k]) || f[k].len == VARLEN) {
			snprintf(str, sizeof(str), "%s%u", f[k].id == 83 ? "uplink " : "ge-0/0/", i);
			m_string(m, f[k].len, str, i);
		} else if (f[k].len == 16) {
			static const uint8_t pfx[8] = { 0x20, 0x01, 0x0d, 0xb8 };
			m_bytes(m, pfx, 8);
			m_uint(m, v, 8);
		} else if (f[k].len > 8) {
			m_zero(m, f[k].len - 8u);
			m_uint(m, v, 8);
		} else {
			m_uint(m, v, f[k].len);
		}
	}
	m->records++;
}

/* A data set of count records of template tid (fields f), first record index `first`. */
static void data_set(struct msg *m, uint16_t tid, const struct fld *f, size_t n, unsigned first, unsigned count)
{
	s_begin(m, tid);
	for (unsigned i = 0; i < count; i++)
		rec(m, f, n, first + i);
	s_end(m);
}

/* ---- templates used by many seeds ------------------------------------------------ */

static const struct fld flow4_v9[] = {
	{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 6, 1, 0 }, { 5, 1, 0 }, { 1, 4, 0 }, { 2, 4, 0 },
	{ 22, 4, 0 }, { 21, 4, 0 }, { 10, 2, 0 }, { 14, 2, 0 }, { 16, 2, 0 }, { 17, 2, 0 }, { 9, 1, 0 }, { 13, 1, 0 },
	{ 15, 4, 0 }, { 61, 1, 0 },
};
static const struct fld flow4_ipfix[] = {
	{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 6, 1, 0 }, { 5, 1, 0 }, { 1, 8, 0 }, { 2, 8, 0 },
	{ 152, 8, 0 }, { 153, 8, 0 }, { 10, 4, 0 }, { 14, 4, 0 }, { 16, 4, 0 }, { 17, 4, 0 }, { 9, 1, 0 }, { 13, 1, 0 },
	{ 15, 4, 0 }, { 61, 1, 0 },
};
static const struct fld flow6[] = {
	{ 27, 16, 0 }, { 28, 16, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 195, 1, 0 }, { 1, 8, 0 }, { 2, 8, 0 },
	{ 29, 1, 0 }, { 30, 1, 0 }, { 62, 16, 0 }, { 63, 16, 0 }, { 243, 2, 0 }, { 22, 4, 0 }, { 21, 4, 0 },
};

static const struct fld *flow4(int v, size_t *n)
{
	*n = v == 9 ? NF(flow4_v9) : NF(flow4_ipfix);
	return v == 9 ? flow4_v9 : flow4_ipfix;
}

/* A message holding the flow4 template (256) and, when count > 0, a data set. */
static void flow4_msg(struct msg *m, int v, uint32_t seq, unsigned count)
{
	size_t n;
	const struct fld *f = flow4(v, &n);
	m_begin(m, v, seq, 0);
	tpl_set(m, 256, f, n);
	if (count)
		data_set(m, 256, f, n, 0, count);
}

static void flow4_data(struct msg *m, int v, uint32_t seq, uint32_t domain, unsigned first, unsigned count)
{
	size_t n;
	const struct fld *f = flow4(v, &n);
	m_begin(m, v, seq, domain);
	data_set(m, 256, f, n, first, count);
}

/* v9 sequence numbers count datagrams, IPFIX ones data records. */
static uint32_t next_seq(int v, uint32_t seq, unsigned records)
{
	return v == 9 ? seq + 1 : seq + records;
}

/* ---- valid traffic ------------------------------------------------------------- */

static void seeds_basic(int v)
{
	struct seed s;
	struct msg m;
	size_t n;
	const struct fld *f = flow4(v, &n);

	seed_begin(&s, 0);
	flow4_msg(&m, v, 0, 3);
	add_msg(&s, 0, &m);
	save(v, "tpl-and-data", &s);

	seed_begin(&s, 0);
	flow4_msg(&m, v, 0, 0);
	add_msg(&s, 0, &m);
	flow4_data(&m, v, next_seq(v, 0, 0), 0, 0, 2);
	add_msg(&s, 0, &m);
	flow4_data(&m, v, next_seq(v, next_seq(v, 0, 0), 2), 0, 2, 2);
	add_msg(&s, SEL_STEP_1S, &m);
	save(v, "tpl-then-data", &s);

	/* Data first: kept, decoded when the template comes. */
	seed_begin(&s, 0);
	flow4_data(&m, v, 0, 0, 0, 2);
	add_msg(&s, 0, &m);
	flow4_data(&m, v, next_seq(v, 0, 2), 0, 2, 1);
	add_msg(&s, 0, &m);
	flow4_msg(&m, v, next_seq(v, next_seq(v, 0, 2), 1), 1);
	add_msg(&s, 0, &m);
	save(v, "data-before-tpl", &s);

	/* Data set before the template set in the same datagram. */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	data_set(&m, 256, f, n, 0, 2);
	tpl_set(&m, 256, f, n);
	data_set(&m, 256, f, n, 2, 1);
	add_msg(&s, 0, &m);
	save(v, "data-before-tpl-same-msg", &s);

	/* 40 records: the batch (5, or 1) is flushed inside the set. */
	seed_begin(&s, 0);
	flow4_msg(&m, v, 0, 40);
	add_msg(&s, 0, &m);
	save(v, "many-records", &s);
	s.b[0] = CFG_BATCH_1;
	save(v, "many-records-batch-1", &s);

	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 300, flow6, NF(flow6));
	data_set(&m, 300, flow6, NF(flow6), 0, 3);
	add_msg(&s, 3, &m);
	save(v, "ipv6-flows", &s);

	/* Three templates in one set, then data for each, interleaved. */
	static const struct fld small[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 1, 4, 0 }, { 2, 4, 0 } };
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	s_begin(&m, tset(v));
	tpl(&m, 256, f, n);
	tpl(&m, 257, flow6, NF(flow6));
	tpl(&m, 258, small, NF(small));
	s_end(&m);
	data_set(&m, 258, small, NF(small), 0, 2);
	data_set(&m, 256, f, n, 0, 1);
	data_set(&m, 257, flow6, NF(flow6), 0, 1);
	data_set(&m, 258, small, NF(small), 2, 1);
	add_msg(&s, 0, &m);
	save(v, "multi-template", &s);

	/* Redefined with other fields, then the same again (a refresh). */
	seed_begin(&s, 0);
	flow4_msg(&m, v, 0, 1);
	add_msg(&s, 0, &m);
	m_begin(&m, v, next_seq(v, 0, 1), 0);
	tpl_set(&m, 256, small, NF(small));
	data_set(&m, 256, small, NF(small), 0, 2);
	add_msg(&s, 0, &m);
	m_begin(&m, v, next_seq(v, next_seq(v, 0, 1), 2), 0);
	tpl_set(&m, 256, small, NF(small));
	data_set(&m, 256, small, NF(small), 2, 1);
	add_msg(&s, 0, &m);
	save(v, "tpl-redefine-refresh", &s);

	/* Zero padding after the records: valid (RFC 3954 §5.3, RFC 7011 §3.3.1). */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 258, small, NF(small));
	s_begin(&m, 258);
	rec(&m, small, NF(small), 0);
	m_zero(&m, 3);
	s_end(&m);
	add_msg(&s, 0, &m);
	save(v, "padding-zero", &s);

	/* Reduced-size encoding (RFC 7011 §6.2) of counters, mixed IPv4/IPv6 ends, VLANs,
	 * DSCP, BGP next hops. */
	static const struct fld odd[] = {
		{ 8, 4, 0 }, { 28, 16, 0 }, { 1, 3, 0 }, { 2, 1, 0 }, { 85, 5, 0 }, { 86, 7, 0 }, { 23, 2, 0 }, { 24, 6, 0 },
		{ 58, 2, 0 }, { 195, 1, 0 }, { 18, 4, 0 }, { 63, 16, 0 }, { 7, 1, 0 }, { 11, 3, 0 }, { 16, 8, 0 }, { 10, 8, 0 },
	};
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 400, odd, NF(odd));
	data_set(&m, 400, odd, NF(odd), 0, 2);
	add_msg(&s, 0, &m);
	save(v, "reduced-size-mixed", &s);
}

/* Counters: post (23/24), totals (85/86, accounted only where configured), initiator
 * and responder (Cisco NSEL 231/232/298/299: a second half). */
static void seeds_counters(int v)
{
	static const struct fld post[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 23, 4, 0 }, { 24, 4, 0 } };
	static const struct fld both[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 1, 4, 0 }, { 2, 4, 0 }, { 23, 4, 0 }, { 24, 4, 0 }, { 85, 8, 0 }, { 86, 8, 0 } };
	static const struct fld total[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 85, 8, 0 }, { 86, 8, 0 } };
	static const struct fld nsel[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 231, 4, 0 }, { 232, 4, 0 }, { 298, 4, 0 }, { 299, 4, 0 },
		{ 10, 2, 0 }, { 14, 2, 0 }, { 152, 8, 0 },
	};
	struct seed s;
	struct msg m;

	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	s_begin(&m, tset(v));
	tpl(&m, 256, post, NF(post));
	tpl(&m, 257, both, NF(both));
	s_end(&m);
	data_set(&m, 256, post, NF(post), 0, 2);
	data_set(&m, 257, both, NF(both), 0, 2);
	add_msg(&s, 0, &m);
	save(v, "counters-post", &s);

	/* Totals from 192.0.2.2 (counted with CFG_CONF) and from 192.0.2.1 (not). */
	seed_begin(&s, CFG_CONF);
	for (uint8_t src = 0; src < 2; src++) {
		m_begin(&m, v, 0, 0);
		tpl_set(&m, 256, total, NF(total));
		data_set(&m, 256, total, NF(total), 0, 2);
		add_msg(&s, src, &m);
	}
	save(v, "counters-total-conf", &s);

	seed_begin(&s, CFG_BATCH_1);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 263, nsel, NF(nsel));
	data_set(&m, 263, nsel, NF(nsel), 0, 4);
	add_msg(&s, 0, &m);
	save(v, "counters-initiator-responder", &s);
}

/* Time fields: every form the decoder reads. */
static void seeds_times(int v)
{
	static const struct fld secs[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 150, 4, 0 }, { 151, 4, 0 } };
	static const struct fld usec[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 154, 8, 0 }, { 155, 8, 0 } };
	static const struct fld nsec[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 156, 8, 0 }, { 157, 8, 0 } };
	static const struct fld delta[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 158, 4, 0 }, { 159, 4, 0 } };
	static const struct fld end_only[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 153, 8, 0 } };
	static const struct fld none[] = { { 8, 4, 0 }, { 1, 4, 0 } };
	static const struct fld uptime[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 22, 4, 0 }, { 21, 4, 0 } };
	struct seed s;
	struct msg m;

	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	s_begin(&m, tset(v));
	tpl(&m, 256, secs, NF(secs));
	tpl(&m, 257, usec, NF(usec));
	tpl(&m, 258, nsec, NF(nsec));
	tpl(&m, 259, delta, NF(delta));
	tpl(&m, 260, end_only, NF(end_only));
	tpl(&m, 261, none, NF(none));
	s_end(&m);
	for (uint16_t t = 256; t <= 261; t++) {
		static const struct fld *const fs[] = { secs, usec, nsec, delta, end_only, none };
		static const size_t ns[] = { NF(secs), NF(usec), NF(nsec), NF(delta), NF(end_only), NF(none) };
		data_set(&m, t, fs[t - 256], ns[t - 256], 0, 1);
	}
	add_msg(&s, 0, &m);
	save(v, "times-all-forms", &s);

	/* NTP timestamps with the top bit clear: era 1, from 2036 (RFC 5905 §6). */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 258, nsec, NF(nsec));
	s_begin(&m, 258);
	m_u32(&m, 0x0a000001);
	m_u32(&m, 100);
	m_uint(&m, 0x0000001080000000ull, 8);
	m_uint(&m, 0x7fffffffffffffffull, 8);
	s_end(&m);
	add_msg(&s, 0, &m);
	save(v, "times-ntp-era1", &s);

	/* sysUptime times: v9 relative to the header, with First before an uptime wrap;
	 * IPFIX relative to systemInitTimeMilliseconds, unknown here. */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 256, uptime, NF(uptime));
	s_begin(&m, 256);
	m_u32(&m, 0x0a000001);
	m_u32(&m, 100);
	m_u32(&m, 0xfffffc18);
	m_u32(&m, 0x7fffffff);
	s_end(&m);
	add_msg(&s, 0, &m);
	save(v, "times-uptime", &s);
}

/* Options data: sampling (34/35, 48-50, 302/305/306), interface names (82/83),
 * system init time (160). */
static void seeds_options(int v)
{
	/* v9 scope types (RFC 3954 §6.1): 1 system, 2 interface; IPFIX scopes are elements. */
	const struct fld sys = v == 9 ? (struct fld){ 1, 4, 0 } : (struct fld){ 149, 4, 0 };
	const struct fld ifc = v == 9 ? (struct fld){ 2, 4, 0 } : (struct fld){ 10, 4, 0 };
	const struct fld interval[] = { sys, { 34, 4, 0 }, { 35, 1, 0 } };
	const struct fld sampler[] = { ifc, { 48, 1, 0 }, { 49, 1, 0 }, { 50, 4, 0 } };
	const struct fld selector[] = { sys, { 302, 8, 0 }, { 304, 2, 0 }, { 305, 4, 0 }, { 306, 4, 0 } };
	const struct fld ifname[] = { ifc, { 82, (uint16_t)(v == 9 ? 16 : VARLEN), 0 }, { 83, (uint16_t)(v == 9 ? 32 : VARLEN), 0 } };
	const struct fld init[] = { sys, { 160, 8, 0 } };
	static const struct fld with_sampler[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 1, 4, 0 }, { 2, 4, 0 }, { 48, 1, 0 }, { 10, 4, 0 } };
	static const struct fld with_selector[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 1, 4, 0 }, { 2, 4, 0 }, { 302, 4, 0 } };
	static const struct fld with_interval[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 2, 4, 0 }, { 34, 4, 0 } };
	static const struct fld uptime[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 22, 4, 0 }, { 21, 4, 0 } };
	struct seed s;
	struct msg m;
	size_t n;
	const struct fld *f = flow4(v, &n);

	/* Exporter-wide rate, then flows; then a data record carrying its own interval.
	 * Again with the configuration, from an exporter with a default rate (10) and
	 * from one whose rate is overridden. */
	for (int conf = 0; conf < 2; conf++) {
		seed_begin(&s, conf ? CFG_CONF : 0);
		m_begin(&m, v, 0, 0);
		opt_tpl_set(&m, 512, interval, NF(interval), 1);
		data_set(&m, 512, interval, NF(interval), 0, 1);
		tpl_set(&m, 256, f, n);
		data_set(&m, 256, f, n, 0, 2);
		add_msg(&s, conf ? 1 : 0, &m);
		m_begin(&m, v, 1, 0);
		tpl_set(&m, 257, with_interval, NF(with_interval));
		data_set(&m, 257, with_interval, NF(with_interval), 0, 1);
		add_msg(&s, conf ? 3 : 0, &m);
		save(v, conf ? "opt-sampling-interval-conf" : "opt-sampling-interval", &s);
	}

	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	opt_tpl_set(&m, 513, sampler, NF(sampler), 1);
	data_set(&m, 513, sampler, NF(sampler), 0, 1);
	tpl_set(&m, 256, with_sampler, NF(with_sampler));
	data_set(&m, 256, with_sampler, NF(with_sampler), 0, 2);
	add_msg(&s, 0, &m);
	save(v, "opt-sampler", &s);

	/* The same sampler announced again, then with another rate, then a second one. */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	opt_tpl_set(&m, 513, sampler, NF(sampler), 1);
	data_set(&m, 513, sampler, NF(sampler), 0, 1);
	data_set(&m, 513, sampler, NF(sampler), 0, 1);
	s_begin(&m, 513);
	m_u32(&m, 1);
	m_u8(&m, 1);         /* samplerId 1 */
	m_u8(&m, 2);
	m_u32(&m, 1000);     /* now 1 in 1000 */
	m_u32(&m, 1);
	m_u8(&m, 2);         /* samplerId 2 */
	m_u8(&m, 2);
	m_u32(&m, 10);
	s_end(&m);
	tpl_set(&m, 256, with_sampler, NF(with_sampler));
	data_set(&m, 256, with_sampler, NF(with_sampler), 0, 2);
	add_msg(&s, 0, &m);
	save(v, "opt-sampler-rate-change", &s);

	/* Flows first (kept), then the options and templates: rates apply late. */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	data_set(&m, 256, with_selector, NF(with_selector), 0, 2);
	add_msg(&s, 0, &m);
	m_begin(&m, v, 1, 0);
	opt_tpl_set(&m, 514, selector, NF(selector), 1);
	data_set(&m, 514, selector, NF(selector), 0, 1);
	tpl_set(&m, 256, with_selector, NF(with_selector));
	add_msg(&s, 0, &m);
	save(v, "opt-selector-late", &s);

	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	opt_tpl_set(&m, 515, ifname, NF(ifname), 1);
	data_set(&m, 515, ifname, NF(ifname), 0, 3);
	add_msg(&s, 0, &m);
	save(v, "opt-ifnames", &s);

	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	opt_tpl_set(&m, 516, init, NF(init), 1);
	data_set(&m, 516, init, NF(init), 0, 1);
	tpl_set(&m, 256, uptime, NF(uptime));
	data_set(&m, 256, uptime, NF(uptime), 0, 2);
	add_msg(&s, 0, &m);
	save(v, "opt-init-time", &s);

	/* All options in one datagram, then a save/load round trip before more flows. */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	s_begin(&m, oset(v));
	opt_tpl(&m, 512, interval, NF(interval), 1);
	opt_tpl(&m, 513, sampler, NF(sampler), 1);
	opt_tpl(&m, 514, selector, NF(selector), 1);
	opt_tpl(&m, 515, ifname, NF(ifname), 1);
	opt_tpl(&m, 516, init, NF(init), 1);
	s_end(&m);
	data_set(&m, 512, interval, NF(interval), 0, 1);
	data_set(&m, 513, sampler, NF(sampler), 0, 1);
	data_set(&m, 514, selector, NF(selector), 0, 1);
	data_set(&m, 515, ifname, NF(ifname), 0, 2);
	data_set(&m, 516, init, NF(init), 0, 1);
	tpl_set(&m, 256, with_sampler, NF(with_sampler));
	add_msg(&s, 0, &m);
	m_begin(&m, v, 1, 0);
	data_set(&m, 256, with_sampler, NF(with_sampler), 0, 2);
	add_msg(&s, SEL_ROUND_TRIP, &m);
	save(v, "opt-all-round-trip", &s);
}

/* Exporter state: sequence tracking, domains and the exporter cap, template and pending
 * caps, template expiry. */
static void seeds_state(int v)
{
	struct seed s;
	struct msg m;
	size_t n;
	const struct fld *f = flow4(v, &n);

	/* Sequence: in order, a gap, a late datagram, a restart (v9: sysUptime back too). */
	static const uint32_t seqs[] = { 100, 101, 110, 105, 0, 1 };
	seed_begin(&s, 0);
	flow4_msg(&m, v, 99, 1);
	add_msg(&s, 0, &m);
	for (size_t i = 0; i < NF(seqs); i++) {
		uint32_t seq = v == 9 ? seqs[i] : seqs[i] * 2;
		flow4_data(&m, v, seq, 0, (unsigned)i, 2);
		if (v == 9 && seqs[i] < 100)
			put16(m.b + 4, 0), put16(m.b + 6, 50);   /* sysUptime 50 ms */
		add_msg(&s, 0, &m);
	}
	save(v, "seq-gap-reorder-restart", &s);

	/* Six domains from two addresses, and unreadable datagrams: past the cap of 4. */
	seed_begin(&s, 0);
	for (uint32_t d = 0; d < 6; d++) {
		m_begin(&m, v, 0, d);
		tpl_set(&m, 256, f, n);
		data_set(&m, 256, f, n, d, 1);
		add_msg(&s, (uint8_t)(d & 1), &m);
	}
	seed_dgram(&s, 2, m.b, 8);
	seed_dgram(&s, 0, m.b, 1);
	save(v, "exporters-cap", &s);

	/* More templates than max_templates (1 with CFG_TEMPLATES_1, 3 with _3). */
	static const struct fld small[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 1, 4, 0 }, { 2, 4, 0 } };
	seed_begin(&s, CFG_TEMPLATES_1);
	m_begin(&m, v, 0, 0);
	s_begin(&m, tset(v));
	for (uint16_t t = 256; t < 261; t++)
		tpl(&m, t, small, NF(small));
	s_end(&m);
	for (uint16_t t = 256; t < 261; t++)
		data_set(&m, t, small, NF(small), 0, 1);
	add_msg(&s, 0, &m);
	save(v, "tpl-limit-1", &s);
	s.b[0] = CFG_TEMPLATES_3;
	save(v, "tpl-limit-3", &s);

	/* Twelve templates under max_templates 16: the template table grows (rehash). */
	seed_begin(&s, CFG_TEMPLATES_16);
	m_begin(&m, v, 0, 0);
	s_begin(&m, tset(v));
	for (uint16_t t = 256; t < 268; t++)
		tpl(&m, (uint16_t)(t * 7), small, NF(small));
	s_end(&m);
	for (uint16_t t = 256; t < 268; t += 5)
		data_set(&m, (uint16_t)(t * 7), small, NF(small), t, 1);
	add_msg(&s, 0, &m);
	save(v, "tpl-table-grows", &s);

	/* Six data sets kept before their template: past 4 sets (or 1, or 64 bytes). */
	seed_begin(&s, 0);
	for (unsigned i = 0; i < 6; i++) {
		flow4_data(&m, v, i, 0, i, 1 + i % 2);
		add_msg(&s, 0, &m);
	}
	m_begin(&m, v, 6, 0);
	data_set(&m, 257, small, NF(small), 0, 1);
	tpl_set(&m, 256, f, n);
	add_msg(&s, 0, &m);
	save(v, "pending-overflow", &s);
	s.b[0] = CFG_PENDING_1SET;
	save(v, "pending-overflow-1set", &s);
	s.b[0] = CFG_PENDING_64B;
	save(v, "pending-overflow-64bytes", &s);

	/* Never sent: kept until ft_netflow_drop_pending(). */
	seed_begin(&s, CFG_PENDING_DEFAULT);
	flow4_data(&m, v, 0, 0, 0, 3);
	add_msg(&s, 0, &m);
	add_msg(&s, 1, &m);
	save(v, "pending-never", &s);

	/* Lifetime 2 s: data 4 s after the template is kept, until the template comes again. */
	seed_begin(&s, CFG_LIFETIME_2S);
	flow4_msg(&m, v, 0, 1);
	add_msg(&s, 0, &m);
	flow4_data(&m, v, next_seq(v, 0, 1), 0, 1, 2);
	add_msg(&s, SEL_STEP_1S, &m);
	flow4_data(&m, v, next_seq(v, 1, 3), 0, 3, 2);
	add_msg(&s, SEL_STEP_4S, &m);
	flow4_msg(&m, v, next_seq(v, 2, 5), 1);
	add_msg(&s, 0, &m);
	save(v, "tpl-expiry", &s);

	/* Templates, then a save/load round trip with the state of four exporters. */
	seed_begin(&s, 0);
	for (uint8_t src = 0; src < 4; src++) {
		m_begin(&m, v, 0, src);
		tpl_set(&m, (uint16_t)(256 + src), f, n);
		tpl_set(&m, 300, flow6, NF(flow6));
		add_msg(&s, src, &m);
	}
	flow4_data(&m, v, 1, 0, 0, 1);
	add_msg(&s, SEL_ROUND_TRIP, &m);
	save(v, "round-trip-templates", &s);
}

/* IPFIX only: variable-length fields, enterprise fields, RFC 5103 biflows, withdrawal. */
static void seeds_ipfix_only(void)
{
	const int v = 10;
	static const struct fld varlen[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 1, 4, 0 }, { 96, VARLEN, 0 }, { 82, VARLEN, 0 }, { 2, 4, 0 }, { 400, VARLEN, 9 },
	};
	static const struct fld enterprise[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 1, 8, 0 }, { 1, 4, 9 }, { 100, 2, 6871 }, { 2, 8, 0 }, { 3, 4, PEN_REVERSE },
		{ 1, 8, 0xffffffff },
	};
	static const struct fld biflow[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 1, 8, 0 }, { 2, 8, 0 },
		{ 1, 8, PEN_REVERSE }, { 2, 8, PEN_REVERSE }, { 150, 4, 0 }, { 151, 4, 0 }, { 10, 4, 0 }, { 14, 4, 0 },
		{ 16, 4, 0 }, { 17, 4, 0 }, { 9, 1, 0 }, { 13, 1, 0 },
	};
	static const struct fld rev_only[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 2, 4, PEN_REVERSE } };
	static const struct fld small[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 1, 4, 0 }, { 2, 4, 0 } };
	const struct fld opt[] = { { 149, 4, 0 }, { 34, 4, 0 } };
	struct seed s;
	struct msg m;

	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 256, varlen, NF(varlen));
	data_set(&m, 256, varlen, NF(varlen), 0, 3);   /* one-byte, three-byte, 300 bytes */
	add_msg(&s, 0, &m);
	save(v, "varlen-forms", &s);

	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 256, enterprise, NF(enterprise));
	data_set(&m, 256, enterprise, NF(enterprise), 0, 2);
	add_msg(&s, 0, &m);
	save(v, "enterprise-fields", &s);

	/* Forward and reverse counters: two flows per record; then a record whose reverse
	 * counters are zero (one flow), and one with reverse packets only. */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 256, biflow, NF(biflow));
	data_set(&m, 256, biflow, NF(biflow), 0, 3);
	s_begin(&m, 256);
	for (size_t k = 0; k < NF(biflow); k++)
		m_uint(&m, biflow[k].pen ? 0 : value(&biflow[k], 9), biflow[k].len);
	s_end(&m);
	tpl_set(&m, 257, rev_only, NF(rev_only));
	data_set(&m, 257, rev_only, NF(rev_only), 0, 2);
	add_msg(&s, 0, &m);
	save(v, "biflow-rfc5103", &s);
	s.b[0] = CFG_BATCH_1 | CFG_CONF;
	s.b[1] = 3;
	save(v, "biflow-rfc5103-batch-1", &s);

	/* Withdrawal (§8.1): one template (count 0), then all data templates (ID 2), then
	 * all options templates (ID 3); data after a withdrawal is kept. */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	s_begin(&m, 2);
	tpl(&m, 256, small, NF(small));
	tpl(&m, 257, small, NF(small));
	s_end(&m);
	opt_tpl_set(&m, 258, opt, NF(opt), 1);
	data_set(&m, 256, small, NF(small), 0, 1);
	add_msg(&s, 0, &m);
	m_begin(&m, v, 1, 0);
	s_begin(&m, 2);
	m_u16(&m, 256);
	m_u16(&m, 0);
	s_end(&m);
	data_set(&m, 256, small, NF(small), 1, 1);
	data_set(&m, 257, small, NF(small), 1, 1);
	add_msg(&s, 0, &m);
	m_begin(&m, v, 2, 0);
	s_begin(&m, 2);
	m_u16(&m, 2);
	m_u16(&m, 0);
	s_end(&m);
	s_begin(&m, 3);
	m_u16(&m, 3);
	m_u16(&m, 0);
	s_end(&m);
	data_set(&m, 257, small, NF(small), 2, 1);
	data_set(&m, 258, opt, NF(opt), 0, 1);
	tpl_set(&m, 256, small, NF(small));
	add_msg(&s, 0, &m);
	save(v, "withdraw", &s);

	/* The message length field not the datagram's (raw): longer, shorter, zero. */
	seed_begin(&s, 0);
	flow4_msg(&m, v, 0, 1);
	size_t len = m_end(&m);
	put16(m.b + 2, (uint16_t)(len + 4));
	seed_dgram(&s, SEL_RAW_LENGTH, m.b, len);
	put16(m.b + 2, (uint16_t)(len - 4));
	seed_dgram(&s, SEL_RAW_LENGTH, m.b, len);
	put16(m.b + 2, 0);
	seed_dgram(&s, SEL_RAW_LENGTH, m.b, len);
	put16(m.b + 2, (uint16_t)len);
	seed_dgram(&s, SEL_RAW_LENGTH, m.b, len);
	save(v, "length-field-raw", &s);
}

/* ---- malformed ------------------------------------------------------------------ */

/* A message with the flow4 template, then `bad` bytes appended verbatim. */
static void bad_after_tpl(int v, const char *name, const uint8_t *bad, size_t len, uint8_t cfg)
{
	struct seed s;
	struct msg m;
	seed_begin(&s, cfg);
	flow4_msg(&m, v, 0, 1);
	m_bytes(&m, bad, len);
	add_msg(&s, 0, &m);
	/* A good datagram after it. */
	flow4_data(&m, v, 1, 0, 1, 1);
	add_msg(&s, 0, &m);
	save(v, name, &s);
}

static void seeds_malformed(int v)
{
	struct seed s;
	struct msg m;
	size_t n;
	const struct fld *f = flow4(v, &n);
	uint8_t t = (uint8_t)tset(v), o = (uint8_t)oset(v);

	/* Set lengths: 0, below the header, past the message. */
	bad_after_tpl(v, "set-length-zero", (const uint8_t[]){ 1, 0, 0, 0, 1, 2, 3, 4 }, 8, 0);
	bad_after_tpl(v, "set-length-short", (const uint8_t[]){ 1, 0, 0, 3, 1, 2, 3, 4 }, 8, 0);
	bad_after_tpl(v, "set-length-past-end", (const uint8_t[]){ 1, 0, 0, 40, 1, 2, 3, 4 }, 8, 0);
	/* Trailing bytes shorter than a set header. */
	bad_after_tpl(v, "set-trailing-bytes", (const uint8_t[]){ 1, 0, 0 }, 3, 0);

	/* Reserved set IDs: v9 2..255; IPFIX 0, 1, 4..255. */
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	static const uint16_t reserved_v9[] = { 2, 3, 255 }, reserved_ipfix[] = { 0, 1, 4, 255 };
	const uint16_t *res = v == 9 ? reserved_v9 : reserved_ipfix;
	for (size_t i = 0; i < (v == 9 ? NF(reserved_v9) : NF(reserved_ipfix)); i++) {
		s_begin(&m, res[i]);
		m_u32(&m, 0x01000004);
		s_end(&m);
	}
	tpl_set(&m, 256, f, n);
	data_set(&m, 256, f, n, 0, 1);
	add_msg(&s, 0, &m);
	save(v, "set-id-reserved", &s);

	/* Template records: no fields (v9; an IPFIX withdrawal), ID below 256, fields past
	 * the set, zero-length field, lengths an element cannot have, too long. */
	bad_after_tpl(v, "tpl-no-fields", (const uint8_t[]){ 0, t, 0, 12, 1, 1, 0, 0, 1, 2, 0, 0 }, 12, 0);
	bad_after_tpl(v, "tpl-id-low", (const uint8_t[]){ 0, t, 0, 20, 0, 255, 0, 1, 0, 8, 0, 4, 0, 0, 0, 1, 0, 8, 0, 4 }, 20, 0);
	bad_after_tpl(v, "tpl-id-zero", (const uint8_t[]){ 0, t, 0, 12, 0, 0, 0, 1, 0, 8, 0, 4 }, 12, 0);
	bad_after_tpl(v, "tpl-count-overflow", (const uint8_t[]){ 0, t, 0, 16, 1, 4, 0, 9, 0, 8, 0, 4, 0, 12, 0, 4 }, 16, 0);
	bad_after_tpl(v, "tpl-count-65535", (const uint8_t[]){ 0, t, 0, 12, 1, 4, 0xff, 0xff, 0, 8, 0, 4 }, 12, 0);
	bad_after_tpl(v, "tpl-field-length-zero", (const uint8_t[]){ 0, t, 0, 16, 1, 4, 0, 2, 0, 8, 0, 4, 0, 12, 0, 0 }, 16, 0);
	bad_after_tpl(v, "tpl-field-length-addr4", (const uint8_t[]){ 0, t, 0, 16, 1, 4, 0, 2, 0, 8, 0, 3, 0, 1, 0, 4 }, 16, 0);
	bad_after_tpl(v, "tpl-field-length-uint9", (const uint8_t[]){ 0, t, 0, 16, 1, 4, 0, 2, 0, 8, 0, 4, 0, 1, 0, 9 }, 16, 0);
	bad_after_tpl(v, "tpl-field-length-addr6", (const uint8_t[]){ 0, t, 0, 12, 1, 4, 0, 1, 0, 27, 0, 4 }, 12, 0);
	bad_after_tpl(v, "tpl-too-long", (const uint8_t[]){ 0, t, 0, 16, 1, 4, 0, 2, 0, 200, 0x9c, 0x40, 0, 201, 0x9c, 0x40 }, 16, 0);
	/* v9 field length 65535 (IPFIX: variable length) and a template with 2000 fields. */
	bad_after_tpl(v, "tpl-field-length-65535", (const uint8_t[]){ 0, t, 0, 16, 1, 4, 0, 2, 0, 8, 0, 4, 0, 82, 0xff, 0xff }, 16, 0);
	{
		struct msg big;
		m_begin(&big, v, 0, 0);
		s_begin(&big, tset(v));
		m_u16(&big, 260);
		m_u16(&big, 2000);
		for (unsigned i = 0; i < 2000; i++) {
			m_u16(&big, (uint16_t)(i % 3 ? 1000 + i : 8));
			m_u16(&big, (uint16_t)(i % 3 ? 1 : 4));
		}
		s_end(&big);
		seed_begin(&s, 0);
		add_msg(&s, 0, &big);
		save(v, "tpl-many-fields", &s);
	}

	/* Options templates: no scope, more scope than fields (IPFIX), lengths not a
	 * multiple of 4 (v9), ID below 256, fields past the set. */
	if (v == 9) {
		bad_after_tpl(v, "opt-scope-zero", (const uint8_t[]){ 0, o, 0, 14, 2, 0, 0, 0, 0, 4, 0, 34, 0, 4 }, 14, 0);
		bad_after_tpl(v, "opt-scope-odd", (const uint8_t[]){ 0, o, 0, 18, 2, 0, 0, 6, 0, 2, 0, 1, 0, 4, 0, 34, 0, 4 }, 18, 0);
		bad_after_tpl(v, "opt-length-odd", (const uint8_t[]){ 0, o, 0, 18, 2, 0, 0, 4, 0, 2, 0, 1, 0, 4, 0, 34, 0, 4 }, 18, 0);
		bad_after_tpl(v, "opt-overflow", (const uint8_t[]){ 0, o, 0, 18, 2, 0, 0, 4, 0, 40, 0, 1, 0, 4, 0, 34, 0, 4 }, 18, 0);
		bad_after_tpl(v, "opt-id-low", (const uint8_t[]){ 0, o, 0, 18, 0, 200, 0, 4, 0, 4, 0, 1, 0, 4, 0, 34, 0, 4 }, 18, 0);
		bad_after_tpl(v, "opt-field-length-zero", (const uint8_t[]){ 0, o, 0, 18, 2, 0, 0, 4, 0, 4, 0, 1, 0, 4, 0, 34, 0, 0 }, 18, 0);
		bad_after_tpl(v, "opt-scope-type-unknown", (const uint8_t[]){ 0, o, 0, 22, 2, 0, 0, 8, 0, 4, 1, 0, 0, 4, 0, 9, 0, 2, 0, 34, 0, 4 }, 22, 0);
	} else {
		bad_after_tpl(v, "opt-scope-zero", (const uint8_t[]){ 0, o, 0, 18, 2, 0, 0, 2, 0, 0, 0, 149, 0, 4, 0, 34, 0, 4 }, 18, 0);
		bad_after_tpl(v, "opt-scope-too-big", (const uint8_t[]){ 0, o, 0, 18, 2, 0, 0, 2, 0, 3, 0, 149, 0, 4, 0, 34, 0, 4 }, 18, 0);
		bad_after_tpl(v, "opt-overflow", (const uint8_t[]){ 0, o, 0, 18, 2, 0, 0, 4, 0, 1, 0, 149, 0, 4, 0, 34, 0, 4 }, 18, 0);
		bad_after_tpl(v, "opt-id-low", (const uint8_t[]){ 0, o, 0, 18, 0, 200, 0, 2, 0, 1, 0, 149, 0, 4, 0, 34, 0, 4 }, 18, 0);
		bad_after_tpl(v, "opt-field-length-zero", (const uint8_t[]){ 0, o, 0, 18, 2, 0, 0, 2, 0, 1, 0, 149, 0, 4, 0, 34, 0, 0 }, 18, 0);
		/* Two variable-length fields: the second's length byte missing, then the
		 * two bytes of a three-byte length missing. */
		bad_after_tpl(v, "varlen-length-cut", (const uint8_t[]){ 0, t, 0, 16, 1, 4, 0, 2, 0, 82, 0xff, 0xff, 0, 83, 0xff, 0xff,
		                                                       1, 4, 0, 6, 1, 'x', 1, 4, 0, 6, 255, 0 }, 28, 0);
		/* Enterprise bit set but the enterprise number missing. */
		bad_after_tpl(v, "tpl-enterprise-truncated", (const uint8_t[]){ 0, t, 0, 12, 1, 4, 0, 1, 0x80, 1, 0, 4 }, 12, 0);
		/* Variable-length field whose length runs past the set. */
		bad_after_tpl(v, "varlen-overrun", (const uint8_t[]){ 0, t, 0, 16, 1, 4, 0, 2, 0, 8, 0, 4, 0, 82, 0xff, 0xff,
		                                                    1, 4, 0, 14, 10, 0, 0, 1, 200, 'a', 'b', 'c', 'd', 'e' }, 30, 0);
		bad_after_tpl(v, "varlen-overrun-long", (const uint8_t[]){ 0, t, 0, 16, 1, 4, 0, 2, 0, 8, 0, 4, 0, 82, 0xff, 0xff,
		                                                         1, 4, 0, 14, 10, 0, 0, 1, 255, 0x10, 0, 'c', 'd', 'e' }, 30, 0);
	}

	/* Non-zero bytes after the last record. */
	static const struct fld small[] = { { 8, 4, 0 }, { 12, 4, 0 }, { 1, 4, 0 }, { 2, 4, 0 } };
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 258, small, NF(small));
	s_begin(&m, 258);
	rec(&m, small, NF(small), 0);
	m_u8(&m, 0);
	m_u8(&m, 7);
	s_end(&m);
	s_begin(&m, 258);    /* an empty data set */
	s_end(&m);
	add_msg(&s, 0, &m);
	save(v, "padding-nonzero", &s);

	/* Headers cut short: 0, 1, 3 bytes, one byte short of the header. */
	seed_begin(&s, 0);
	flow4_msg(&m, v, 0, 1);
	m_end(&m);
	static const size_t cuts[] = { 0, 1, 3, 15, 19 };
	for (size_t i = 0; i < NF(cuts); i++)
		seed_dgram(&s, (uint8_t)(i & 1), m.b, cuts[i]);
	seed_dgram(&s, 0, m.b, m.n);
	save(v, "header-short", &s);
}

/* ---- findings ---------------------------------------------------------------------- */

/* Inputs that failed a check when they were found, kept as regression tests (crash-*).
 * Interface names and descriptions from options data (IE 82/83) must survive a save
 * and load: one name in Latin-1 (not UTF-8), and one valid UTF-8 description longer
 * than what is kept of it (127 bytes), so that cutting it splits a character. */
static void seeds_findings(int v)
{
	const struct fld ifc = v == 9 ? (struct fld){ 2, 4, 0 } : (struct fld){ 10, 4, 0 };
	const struct fld ifname[] = { ifc, { 82, (uint16_t)(v == 9 ? 16 : VARLEN), 0 },
	                              { 83, (uint16_t)(v == 9 ? 160 : VARLEN), 0 } };
	static const char *const names[] = { "eth0\xe9", "ge-0/0/2" };
	char desc[2][160];
	struct seed s;
	struct msg m;

	snprintf(desc[0], sizeof(desc[0]), "uplink");
	desc[1][0] = 0;
	for (int i = 0; i < 70; i++)
		strcat(desc[1], "\xc3\xa9");   /* U+00E9, 140 bytes in all */
	for (int k = 0; k < 2; k++) {
		seed_begin(&s, 0);
		m_begin(&m, v, 0, 0);
		opt_tpl_set(&m, 515, ifname, NF(ifname), 1);
		s_begin(&m, 515);
		m_u32(&m, 1 + (uint32_t)k);
		m_string(&m, ifname[1].len, names[k], 0);
		m_string(&m, ifname[2].len, desc[k], 0);
		s_end(&m);
		add_msg(&s, 0, &m);
		m_begin(&m, v, 1, 0);
		add_msg(&s, SEL_ROUND_TRIP, &m);
		save(v, k ? "crash-persist-ifdesc-utf8-cut" : "crash-persist-ifname-latin1", &s);
	}

	/* Time elements in 8 bytes (reduced-size encoding allows up to 8): flowStartSeconds
	 * (150) 2^63 - 1, whose milliseconds do not fit in 64 bits; for IPFIX also
	 * systemInitTimeMilliseconds (160) plus flowStartSysUpTime (22) past 2^63. */
	static const struct fld secs[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 150, 8, 0 } };
	static const struct fld init_up[] = { { 8, 4, 0 }, { 1, 4, 0 }, { 160, 8, 0 }, { 22, 8, 0 } };
	seed_begin(&s, 0);
	m_begin(&m, v, 0, 0);
	tpl_set(&m, 256, secs, NF(secs));
	s_begin(&m, 256);
	m_u32(&m, 0x0a000001);
	m_u32(&m, 100);
	m_uint(&m, 0x7fffffffffffffffull, 8);
	s_end(&m);
	add_msg(&s, 0, &m);
	save(v, "crash-time-seconds-overflow", &s);
	if (v == 10) {
		seed_begin(&s, 0);
		m_begin(&m, v, 0, 0);
		tpl_set(&m, 256, init_up, NF(init_up));
		s_begin(&m, 256);
		m_u32(&m, 0x0a000001);
		m_u32(&m, 100);
		m_uint(&m, 0x7000000000000000ull, 8);
		m_uint(&m, 0x7000000000000000ull, 8);
		s_end(&m);
		add_msg(&s, 0, &m);
		save(v, "crash-time-init-uptime-overflow", &s);
	}
}

/* ---- from captures --------------------------------------------------------------- */

/* The datagrams of a capture, as sent and (when it has more than one) reversed. */
static void seeds_capture(const char *captures, const char *file, int v, const char *name)
{
	char path[4096], err[256];
	static uint8_t dg[64][2048];
	static size_t len[64];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/%s", captures, file);
	struct ft_pcap_reader *r = ft_pcap_open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "%s: %s\n", path, err);
		exit(1);
	}
	struct ft_datagram d;
	while (ft_pcap_next(r, &d) == 1) {
		if (n == 64 || d.len > sizeof(dg[0])) {
			fprintf(stderr, "%s: too many or too large datagrams\n", path);
			exit(1);
		}
		memcpy(dg[n], d.data, d.len);
		len[n++] = d.len;
	}
	ft_pcap_close(r);

	struct seed s;
	char out[128];
	seed_begin(&s, 0);
	for (size_t i = 0; i < n; i++)
		seed_dgram(&s, 0, dg[i], len[i]);
	snprintf(out, sizeof(out), "pcap-%s", name);
	save(v, out, &s);
	if (n < 2)
		return;
	seed_begin(&s, 0);
	for (size_t i = n; i-- > 0;)
		seed_dgram(&s, 0, dg[i], len[i]);
	snprintf(out, sizeof(out), "pcap-%s-reversed", name);
	save(v, out, &s);
}

static void seeds_captures(const char *captures)
{
	static const struct { const char *file, *name; int v; } caps[] = {
		{ "ls__nf9_cisco_1941k9.pcap", "cisco-1941k9", 9 },
		{ "ls__nf9_cisco_asr1001x.pcap", "cisco-asr1001x", 9 },
		{ "ls__nf9_cisco_asr9k_260.pcap", "cisco-asr9k", 9 },
		{ "ls__nf9_cisco_wlc.pcap", "cisco-wlc", 9 },
		{ "ls__nf9_fortigate_521.pcap", "fortigate", 9 },
		{ "ls__nf9_h3c.pcap", "h3c", 9 },
		{ "ls__nf9_macaddress.pcap", "macaddress", 9 },
		{ "ls__nf9_streamcore.pcap", "streamcore", 9 },
		{ "fb__ipt_netflow_v9.pcap", "ipt-netflow", 9 },
		{ "ls__ipfix_barracuda_ext_uniflow.pcap", "barracuda", 10 },
		{ "ls__ipfix_ixia_256.pcap", "ixia", 10 },
		{ "ls__ipfix_softflowd.pcap", "softflowd", 10 },
	};
	for (size_t i = 0; i < NF(caps); i++)
		seeds_capture(captures, caps[i].file, caps[i].v, caps[i].name);
}

/* ---- fuzz_netflow: v9 and IPFIX among v5 --------------------------------------- */

/* fuzz_netflow's first byte caps the exporter table at 1 + byte % 80. */
static void seeds_netflow(void)
{
	struct seed s;
	struct msg m;
	uint8_t v5[24 + 48] = { 0, 5, 0, 1 };

	/* v5, v9 and IPFIX from one address; then v9 from another. */
	seed_begin(&s, 3);
	seed_dgram(&s, 0, v5, sizeof(v5));
	flow4_msg(&m, 9, 0, 2);
	add_msg(&s, 0, &m);
	flow4_msg(&m, 10, 0, 2);
	add_msg(&s, 0, &m);
	flow4_data(&m, 9, 1, 0, 2, 1);
	add_msg(&s, 1, &m);
	write_seed("netflow", "mixed-v5-v9-ipfix", &s);

	/* 70 v9 records into the 60-flow batch: flushed in the middle, then v5 behind. */
	seed_begin(&s, 3);
	flow4_msg(&m, 9, 0, 70);
	add_msg(&s, 4, &m);
	seed_dgram(&s, 4, v5, sizeof(v5));
	write_seed("netflow", "mixed-v9-flush", &s);

	/* IPFIX data before its template, in another observation domain. */
	seed_begin(&s, 3);
	flow4_data(&m, 10, 0, 7, 0, 2);
	add_msg(&s, 5, &m);
	flow4_msg(&m, 10, 2, 1);
	put16(m.b + 12, 0);
	put16(m.b + 14, 7);
	add_msg(&s, 5, &m);
	write_seed("netflow", "mixed-ipfix-late", &s);

	/* Short v9/IPFIX headers, a wrong IPFIX length, and the cap (2) reached by domains. */
	seed_begin(&s, 1);
	flow4_msg(&m, 10, 0, 1);
	size_t len = m_end(&m);
	seed_dgram(&s, 0, m.b, 15);
	put16(m.b + 2, (uint16_t)(len + 1));
	seed_dgram(&s, 0, m.b, len);
	flow4_msg(&m, 9, 0, 1);
	seed_dgram(&s, 0, m.b, 19);
	for (uint32_t d = 0; d < 3; d++) {
		flow4_data(&m, 9, d, d, 0, 1);
		add_msg(&s, 2, &m);
	}
	write_seed("netflow", "mixed-short-length-cap", &s);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s CAPTURES_DIR CORPUS_DIR\n", argv[0]);
		return 2;
	}
	out_root = argv[2];
	for (int v = 9; v <= 10; v++) {
		seeds_basic(v);
		seeds_counters(v);
		seeds_times(v);
		seeds_options(v);
		seeds_state(v);
		seeds_malformed(v);
		seeds_findings(v);
	}
	seeds_ipfix_only();
	seeds_captures(argv[1]);
	seeds_netflow();
	return 0;
}
