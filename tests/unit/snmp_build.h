/* A BER writer for SNMP PDUs, for the SNMP walker's tests and the seeds of its fuzz
 * target: the bytes net-snmp's snmp_pdu_parse() takes, that is a PDU without the
 * message around it (RFC 3416 section 3):
 *
 *   PDU tag (GetResponse-PDU 0xa2, Report-PDU 0xa8)
 *     INTEGER request-id, INTEGER error-status, INTEGER error-index,
 *     SEQUENCE OF SEQUENCE { OBJECT IDENTIFIER name, value }
 *
 * Values are encoded as X.690 says (definite lengths, shortest form, unsigned types with
 * a leading zero octet when the top bit is set); the application types of RFC 2578
 * section 7.1 and the exceptions of RFC 3416 section 3 carry their own tags.  Plain C:
 * no net-snmp, so what is tested is never written by the library that parses it.
 * Constructed values are opened and closed; the length is put in at the close.
 */
#ifndef FT_SNMP_BUILD_H
#define FT_SNMP_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SB_PDU_RESPONSE 0xa2
#define SB_PDU_REPORT 0xa8
#define SB_INTEGER 0x02
#define SB_OCTETS 0x04
#define SB_NULL 0x05
#define SB_OID 0x06
#define SB_SEQUENCE 0x30
#define SB_COUNTER32 0x41
#define SB_GAUGE32 0x42
#define SB_TIMETICKS 0x43
#define SB_COUNTER64 0x46
#define SB_NO_SUCH_OBJECT 0x80
#define SB_NO_SUCH_INSTANCE 0x81
#define SB_END_OF_MIB_VIEW 0x82

#define SB_ERR_TOOBIG 1
#define SB_ERR_NOSUCHNAME 2
#define SB_ERR_GENERR 5

#define SB_SIZE 65536
#define SB_DEPTH 8
#define SB_OID_MAX 128

struct sb {
	uint8_t b[SB_SIZE];
	size_t n;
	size_t open[SB_DEPTH];      /* where each open value's contents start */
	int depth;
	bool overflow;              /* something did not fit: the bytes are not to be used */
};

struct sb_oid {
	uint32_t a[SB_OID_MAX];
	size_t n;
};

static inline void sb_init(struct sb *s)
{
	s->n = 0;
	s->depth = 0;
	s->overflow = false;
}

static inline void sb_byte(struct sb *s, uint8_t c)
{
	if (s->n < SB_SIZE)
		s->b[s->n++] = c;
	else
		s->overflow = true;
}

/* X.690 8.1.3: short form below 128, else 0x80 | count of length octets. */
static inline size_t sb_len_size(size_t len)
{
	size_t k = 1;
	if (len < 128)
		return 1;
	for (size_t l = len; l; l >>= 8)
		k++;
	return k;
}

static inline void sb_len_at(uint8_t *p, size_t len, size_t k)
{
	if (k == 1) {
		p[0] = (uint8_t)len;
		return;
	}
	p[0] = (uint8_t)(0x80 | (k - 1));
	for (size_t i = k - 1; i >= 1; i--, len >>= 8)
		p[i] = (uint8_t)(len & 0xff);
}

static inline void sb_tlv(struct sb *s, uint8_t tag, const uint8_t *v, size_t len)
{
	size_t k = sb_len_size(len);
	if (s->n + 1 + k + len > SB_SIZE) {
		s->overflow = true;
		return;
	}
	s->b[s->n++] = tag;
	sb_len_at(s->b + s->n, len, k);
	s->n += k;
	if (len)
		memcpy(s->b + s->n, v, len);
	s->n += len;
}

static inline void sb_open(struct sb *s, uint8_t tag)
{
	sb_byte(s, tag);
	if (s->depth >= SB_DEPTH) {
		s->overflow = true;
		return;
	}
	s->open[s->depth++] = s->n;
}

/* Closes the innermost open value: its length goes in before its contents. */
static inline void sb_close(struct sb *s)
{
	if (s->depth == 0 || s->overflow) {
		s->overflow = true;
		return;
	}
	size_t start = s->open[--s->depth], len = s->n - start, k = sb_len_size(len);
	if (s->n + k > SB_SIZE) {
		s->overflow = true;
		return;
	}
	memmove(s->b + start + k, s->b + start, len);
	sb_len_at(s->b + start, len, k);
	s->n += k;
}

/* INTEGER (X.690 8.3): two's complement, fewest octets. */
static inline void sb_int(struct sb *s, uint8_t tag, int64_t v)
{
	uint8_t o[8];
	size_t n = 8;
	for (int i = 7; i >= 0; i--, v >>= 8)
		o[i] = (uint8_t)(v & 0xff);
	size_t i = 0;
	while (i < 7 && ((o[i] == 0x00 && !(o[i + 1] & 0x80)) || (o[i] == 0xff && (o[i + 1] & 0x80))))
		i++, n--;
	sb_tlv(s, tag, o + i, n);
}

/* Counter32, Gauge32, TimeTicks, Counter64 (RFC 2578 section 7.1): non-negative, so a
 * zero octet first when the top bit is set. */
static inline void sb_uint(struct sb *s, uint8_t tag, uint64_t v)
{
	uint8_t o[9];
	o[0] = 0;
	for (int i = 8; i >= 1; i--, v >>= 8)
		o[i] = (uint8_t)(v & 0xff);
	size_t i = 0;
	while (i < 8 && o[i] == 0x00 && !(o[i + 1] & 0x80))
		i++;
	sb_tlv(s, tag, o + i, 9 - i);
}

/* OBJECT IDENTIFIER (X.690 8.19): the first two arcs as 40 * a + b, each arc base 128. */
static inline void sb_oid_value(struct sb *s, uint8_t tag, const struct sb_oid *o)
{
	uint8_t v[SB_OID_MAX * 5];
	size_t n = 0;
	for (size_t i = o->n >= 2 ? 1 : 0; i < o->n; i++) {
		uint64_t arc = i == 1 ? (uint64_t)o->a[0] * 40 + o->a[1] : o->a[i];
		uint8_t t[10];
		size_t k = 0;
		do {
			t[k++] = (uint8_t)(arc & 0x7f);
			arc >>= 7;
		} while (arc);
		while (k--)
			v[n++] = (uint8_t)(t[k] | (k ? 0x80 : 0));
	}
	sb_tlv(s, tag, v, n);
}

static inline struct sb_oid sb_oid_of(const uint32_t *a, size_t n)
{
	struct sb_oid o = { .n = 0 };
	o.n = n < SB_OID_MAX ? n : SB_OID_MAX;
	memcpy(o.a, a, o.n * sizeof(*a));
	return o;
}

/* o with sub-identifier arc added. */
static inline struct sb_oid sb_oid_add(struct sb_oid o, uint32_t arc)
{
	if (o.n < SB_OID_MAX)
		o.a[o.n++] = arc;
	return o;
}

/* IF-MIB (RFC 2863): ifEntry 1.3.6.1.2.1.2.2.1 and ifXEntry 1.3.6.1.2.1.31.1.1.1,
 * column col, instance ifindex (0: the column itself). */
static inline struct sb_oid sb_if_col(bool x, uint32_t col, uint32_t ifindex)
{
	static const uint32_t ife[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1 };
	static const uint32_t ifxe[] = { 1, 3, 6, 1, 2, 1, 31, 1, 1, 1 };
	struct sb_oid o = x ? sb_oid_of(ifxe, 10) : sb_oid_of(ife, 9);
	o = sb_oid_add(o, col);
	return ifindex ? sb_oid_add(o, ifindex) : o;
}

/* system group (RFC 3418): sysUpTime.0 (3) and sysName.0 (5). */
static inline struct sb_oid sb_sys(uint32_t leaf)
{
	static const uint32_t sys[] = { 1, 3, 6, 1, 2, 1, 1, 0, 0 };
	struct sb_oid o = sb_oid_of(sys, 9);
	o.a[7] = leaf;
	return o;
}

/* ---- PDUs --------------------------------------------------------------------------------- */

/* Opens a PDU and its varbind list: close both with sb_pdu_end. */
static inline void sb_pdu_begin(struct sb *s, uint8_t tag, int32_t reqid, int32_t errstat, int32_t errindex)
{
	sb_init(s);
	sb_open(s, tag);
	sb_int(s, SB_INTEGER, reqid);
	sb_int(s, SB_INTEGER, errstat);
	sb_int(s, SB_INTEGER, errindex);
	sb_open(s, SB_SEQUENCE);
}

static inline void sb_pdu_end(struct sb *s)
{
	sb_close(s);
	sb_close(s);
}

static inline void sb_vb_uint(struct sb *s, struct sb_oid o, uint8_t tag, uint64_t v)
{
	sb_open(s, SB_SEQUENCE);
	sb_oid_value(s, SB_OID, &o);
	sb_uint(s, tag, v);
	sb_close(s);
}

static inline void sb_vb_int(struct sb *s, struct sb_oid o, int64_t v)
{
	sb_open(s, SB_SEQUENCE);
	sb_oid_value(s, SB_OID, &o);
	sb_int(s, SB_INTEGER, v);
	sb_close(s);
}

static inline void sb_vb_bytes(struct sb *s, struct sb_oid o, const void *v, size_t len)
{
	sb_open(s, SB_SEQUENCE);
	sb_oid_value(s, SB_OID, &o);
	sb_tlv(s, SB_OCTETS, v, len);
	sb_close(s);
}

static inline void sb_vb_str(struct sb *s, struct sb_oid o, const char *v)
{
	sb_vb_bytes(s, o, v, strlen(v));
}

static inline void sb_vb_oid(struct sb *s, struct sb_oid o, struct sb_oid v)
{
	sb_open(s, SB_SEQUENCE);
	sb_oid_value(s, SB_OID, &o);
	sb_oid_value(s, SB_OID, &v);
	sb_close(s);
}

/* NULL, noSuchObject, noSuchInstance, endOfMibView: a tag and no contents. */
static inline void sb_vb_empty(struct sb *s, struct sb_oid o, uint8_t tag)
{
	sb_open(s, SB_SEQUENCE);
	sb_oid_value(s, SB_OID, &o);
	sb_tlv(s, tag, NULL, 0);
	sb_close(s);
}

#endif
