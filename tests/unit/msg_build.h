/* Hand-built NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) messages for the unit tests.
 *
 * Every byte is written from the RFCs' wire formats, independently of the decoder:
 *   v9 header (§5.1): version 9, count, sysUptime, unix_secs, sequence, source ID;
 *   IPFIX header (§3.1): version 10, length, export time, sequence, domain ID;
 *   set / FlowSet header: ID, length including the header;
 *   template record: template ID, field count, field specifiers (type, length), an
 *   IPFIX specifier with the enterprise bit followed by its enterprise number (§3.2);
 *   v9 options template (§6.1): ID, scope length and option length in bytes;
 *   IPFIX options template (§3.4.2.2): ID, field count, scope field count;
 *   variable-length values (RFC 7011 §7): one length byte, or 255 then two bytes.
 *
 * Usage: mb_v9() or mb_ipfix() starts a message, mb_set() opens a set (closing the one
 * before without padding), mb_end() closes it padded to four bytes, mb_done() closes
 * the open set and fills the v9 count or the IPFIX length.
 */
#ifndef FT_TEST_MSG_BUILD_H
#define FT_TEST_MSG_BUILD_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "flowtally/netflow.h"

#define MB_CAP 70000            /* room for oversize messages in the length tests */

/* IPFIX set IDs (RFC 7011 §3.3.2) and v9 FlowSet IDs (RFC 3954 §5.2, §6.1). */
#define MB_IPFIX_TEMPLATE 2
#define MB_IPFIX_OPTIONS 3
#define MB_V9_TEMPLATE 0
#define MB_V9_OPTIONS 1
#define MB_VARLEN 0xffff
#define MB_PEN_REVERSE 29305u   /* RFC 5103 §6.1 */

struct mb {
	uint8_t buf[MB_CAP];
	size_t len;
	size_t set;                 /* offset of the open set's header; 0: none */
	uint8_t version;
	uint16_t records;           /* v9 header count: template and data records */
};

struct mb_field {
	uint16_t id;
	uint16_t len;
	uint32_t pen;               /* 0: IETF element (IPFIX: no enterprise bit) */
};

static inline void mb_put(struct mb *m, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		m->buf[m->len + i] = (uint8_t)(v >> 8 * (n - 1 - i));
	m->len += n;
}

static inline void mb_u8(struct mb *m, uint8_t v) { mb_put(m, v, 1); }
static inline void mb_u16(struct mb *m, uint16_t v) { mb_put(m, v, 2); }
static inline void mb_u32(struct mb *m, uint32_t v) { mb_put(m, v, 4); }
static inline void mb_u64(struct mb *m, uint64_t v) { mb_put(m, v, 8); }

static inline void mb_bytes(struct mb *m, const void *p, size_t n)
{
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

static inline void mb_fill(struct mb *m, uint8_t byte, size_t n)
{
	memset(m->buf + m->len, byte, n);
	m->len += n;
}

/* A fixed-length string field: s, NUL-padded to n bytes. */
static inline void mb_str(struct mb *m, const char *s, size_t n)
{
	size_t l = strlen(s);
	mb_bytes(m, s, l < n ? l : n);
	if (l < n)
		mb_fill(m, 0, n - l);
}

static inline void mb_v4(struct mb *m, const char *a)
{
	uint8_t b[4] = { 0 };
	inet_pton(AF_INET, a, b);
	mb_bytes(m, b, 4);
}

static inline void mb_v6(struct mb *m, const char *a)
{
	uint8_t b[16] = { 0 };
	inet_pton(AF_INET6, a, b);
	mb_bytes(m, b, 16);
}

/* A variable-length value (RFC 7011 §7): the 3-byte length form when asked or needed. */
static inline void mb_var(struct mb *m, const void *p, size_t n, bool long_form)
{
	if (n < 255 && !long_form) {
		mb_u8(m, (uint8_t)n);
	} else {
		mb_u8(m, 255);
		mb_u16(m, (uint16_t)n);
	}
	mb_bytes(m, p, n);
}

/* ---- messages ------------------------------------------------------------------ */

static inline void mb_v9(struct mb *m, uint32_t uptime, uint32_t secs, uint32_t seq, uint32_t source_id)
{
	m->len = 0;
	m->set = 0;
	m->version = 9;
	m->records = 0;
	mb_u16(m, 9);
	mb_u16(m, 0);               /* count: mb_done() */
	mb_u32(m, uptime);
	mb_u32(m, secs);
	mb_u32(m, seq);
	mb_u32(m, source_id);
}

static inline void mb_ipfix(struct mb *m, uint32_t export_secs, uint32_t seq, uint32_t domain)
{
	m->len = 0;
	m->set = 0;
	m->version = 10;
	m->records = 0;
	mb_u16(m, 10);
	mb_u16(m, 0);               /* length: mb_done() */
	mb_u32(m, export_secs);
	mb_u32(m, seq);
	mb_u32(m, domain);
}

/* Closes the open set after npad padding bytes of value pad_byte. */
static inline void mb_end_pad(struct mb *m, size_t npad, uint8_t pad_byte)
{
	if (!m->set)
		return;
	mb_fill(m, pad_byte, npad);
	size_t l = m->len - m->set;
	m->buf[m->set + 2] = (uint8_t)(l >> 8);
	m->buf[m->set + 3] = (uint8_t)l;
	m->set = 0;
}

/* Closes the open set, zero-padded to a multiple of four bytes. */
static inline void mb_end(struct mb *m)
{
	if (m->set)
		mb_end_pad(m, (4 - (m->len - m->set) % 4) % 4, 0);
}

static inline void mb_set(struct mb *m, uint16_t id)
{
	mb_end_pad(m, 0, 0);
	m->set = m->len;
	mb_u16(m, id);
	mb_u16(m, 0);               /* length: mb_end() */
}

/* A raw set header with the given length, for malformed sets. */
static inline void mb_raw_set(struct mb *m, uint16_t id, uint16_t len)
{
	mb_end_pad(m, 0, 0);
	mb_u16(m, id);
	mb_u16(m, len);
}

/* Closes the open set unpadded and fills in the header's count or length. */
static inline size_t mb_done(struct mb *m)
{
	mb_end_pad(m, 0, 0);
	m->buf[2] = (uint8_t)((m->version == 9 ? m->records : m->len) >> 8);
	m->buf[3] = (uint8_t)(m->version == 9 ? m->records : m->len);
	return m->len;
}

/* ---- templates ----------------------------------------------------------------- */

static inline void mb_field(struct mb *m, const struct mb_field *f)
{
	if (f->pen) {
		mb_u16(m, (uint16_t)(0x8000 | f->id));
		mb_u16(m, f->len);
		mb_u32(m, f->pen);
	} else {
		mb_u16(m, f->id);
		mb_u16(m, f->len);
	}
}

/* A template record (v9 §5.2, IPFIX §3.4.1) in the open set. */
static inline void mb_template(struct mb *m, uint16_t tid, const struct mb_field *f, uint16_t n)
{
	mb_u16(m, tid);
	mb_u16(m, n);
	for (uint16_t i = 0; i < n; i++)
		mb_field(m, &f[i]);
	m->records++;
}

/* A v9 options template record (§6.1): scope types are 1 system, 2 interface,
 * 3 line card, 4 cache, 5 template. */
static inline void mb_v9_options(struct mb *m, uint16_t tid, const struct mb_field *scope, uint16_t ns,
                                 const struct mb_field *opt, uint16_t no)
{
	mb_u16(m, tid);
	mb_u16(m, (uint16_t)(4 * ns));
	mb_u16(m, (uint16_t)(4 * no));
	for (uint16_t i = 0; i < ns; i++)
		mb_field(m, &scope[i]);
	for (uint16_t i = 0; i < no; i++)
		mb_field(m, &opt[i]);
	m->records++;
}

/* An IPFIX options template record (§3.4.2.2): the first ns of the n fields are scope. */
static inline void mb_ipfix_options(struct mb *m, uint16_t tid, const struct mb_field *f, uint16_t n,
                                    uint16_t ns)
{
	mb_u16(m, tid);
	mb_u16(m, n);
	mb_u16(m, ns);
	for (uint16_t i = 0; i < n; i++)
		mb_field(m, &f[i]);
	m->records++;
}

/* A (Options) Template Withdrawal record (RFC 7011 §8.1): ID and field count 0 only. */
static inline void mb_withdraw(struct mb *m, uint16_t tid)
{
	mb_u16(m, tid);
	mb_u16(m, 0);
}

/* Counts one data record in the v9 header's count. */
static inline void mb_rec(struct mb *m)
{
	m->records++;
}

/* The finished message as a datagram from src:sport received at recv_ns. */
static inline struct ft_datagram mb_datagram(struct mb *m, const char *src, uint16_t sport, int64_t recv_ns)
{
	struct ft_datagram dg = { .sport = sport, .dport = 2055, .recv_ns = recv_ns };
	ft_addr_parse(src, &dg.src);
	ft_addr_parse("198.51.100.1", &dg.dst);
	dg.len = mb_done(m);
	dg.data = m->buf;
	return dg;
}

#endif
