/* Template engine shared by the NetFlow v9 and IPFIX decoders (internal).
 *
 * A template as received is a list of (element ID, length, enterprise number) fields.
 * ft_tpl_compile() turns it into a decoding plan: one small op per field, which says
 * how many bytes to read and which value slot of struct ft_rec they go to, elements
 * flowtally does not use being skipped by length.  Decoding a record is then a loop
 * over the plan with no per-element lookups; ft_rec_to_flow() turns the slots into
 * struct ft_flow once per record.
 */
#ifndef FT_NETFLOW_TEMPLATE_H
#define FT_NETFLOW_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"

/* IPFIX "variable length" (RFC 7011 §7). */
#define FT_VARLEN 0xffff
/* NetFlow v9 options scope field types (RFC 3954 §6.1: 1 system, 2 interface, 3 line
 * card, 4 cache, 5 template) are entered as this base plus the type. */
#define FT_V9_SCOPE_BASE 0xff00u
/* RFC 5103 reverse information elements carry this private enterprise number. */
#define FT_PEN_REVERSE 29305u

/* Unsigned value slots of a record. */
enum ft_slot {
	SL_BYTES, SL_PACKETS, SL_POST_BYTES, SL_POST_PACKETS, SL_REV_BYTES, SL_REV_PACKETS,
	SL_INIT_BYTES, SL_RESP_BYTES, SL_INIT_PACKETS, SL_RESP_PACKETS,
	SL_TOTAL_BYTES, SL_TOTAL_PACKETS,
	SL_PROTO, SL_TOS, SL_DSCP, SL_TCP_FLAGS, SL_SPORT, SL_DPORT,
	SL_SRC_MASK, SL_DST_MASK, SL_SRC_MASK6, SL_DST_MASK6,
	SL_IN_IF, SL_OUT_IF, SL_SRC_AS, SL_DST_AS, SL_VLAN, SL_DOT1Q_VLAN, SL_POST_VLAN,
	SL_POST_DOT1Q_VLAN, SL_DIRECTION,
	SL_FIRST_UPTIME, SL_LAST_UPTIME, SL_START_S, SL_END_S, SL_START_MS, SL_END_MS,
	SL_START_US, SL_END_US, SL_START_NS, SL_END_NS, SL_START_DELTA_US, SL_END_DELTA_US,
	SL_INIT_MS,
	SL_SAMPLING_INTERVAL, SL_SAMPLING_ALGO, SL_SAMPLER_ID, SL_SAMPLER_MODE,
	SL_SAMPLER_INTERVAL, SL_SELECTOR_ID, SL_SELECTOR_ALGO, SL_PKT_INTERVAL, SL_PKT_SPACE,
	SL_SCOPE_SYSTEM, SL_SCOPE_INTERFACE, SL_SCOPE_LINECARD, SL_SCOPE_CACHE, SL_SCOPE_TEMPLATE,
	SL__COUNT
};

_Static_assert(SL__COUNT <= 64, "slots must fit the presence mask");

/* Address slots: pointers into the record. */
enum ft_aslot {
	AS_SRC4, AS_DST4, AS_NH4, AS_BGP4, AS_SRC6, AS_DST6, AS_NH6, AS_BGP6, AS__COUNT
};

/* String slots (options data). */
enum ft_sslot { SS_IF_NAME, SS_IF_DESC, SS__COUNT };

/* OP_U8..OP_U64: unsigned of that width, only in fixed-length plans. */
enum ft_op_kind { OP_SKIP, OP_UINT, OP_ADDR4, OP_ADDR6, OP_STR, OP_U8, OP_U16, OP_U32, OP_U64 };

struct ft_op {
	uint8_t kind;
	uint8_t slot;
	uint16_t len;            /* FT_VARLEN: length in the record */
	uint16_t off;            /* in fixed-length plans: offset in the record */
};

struct ft_tpl_field {
	uint16_t id;             /* without the enterprise bit */
	uint16_t len;
	uint32_t pen;            /* 0: IETF */
};

struct ft_template {
	uint16_t id;
	uint16_t n_fields;
	uint16_t scope_fields;   /* options templates: how many leading fields are scope */
	bool options;
	bool varlen;             /* some field is variable-length */
	bool loaded;             /* from saved state, not yet confirmed by the exporter */
	uint32_t min_len;        /* record length (fixed), or its minimum (variable) */
	uint16_t empty_fields;   /* fields of length 0: no data, skipped (padding entries) */
	int64_t refreshed_ns;    /* last (re)definition */
	struct ft_tpl_field *fields;
	struct ft_op *ops;
	/* Fixed-length templates: the ops that read something, at their offsets, with
	 * unsigned reads by width, and the slots every record has. */
	struct ft_op *plan;
	uint16_t n_plan;
	uint16_t plan_end[4];    /* the plan is grouped: U8 ops up to plan_end[0], then U16,
	                          * U32 and U64 ops, then the rest (addresses, strings, odd
	                          * widths), so that decoding runs a branch-free loop a width */
	uint64_t plan_present;
};

/* One decoded record: slots and which are present. */
struct ft_rec {
	uint64_t present;                 /* bit per enum ft_slot */
	uint64_t v[SL__COUNT];
	const uint8_t *addr[AS__COUNT];
	const uint8_t *str[SS__COUNT];
	uint16_t str_len[SS__COUNT];
};

static inline bool ft_rec_has(const struct ft_rec *r, enum ft_slot s)
{
	return r->present >> s & 1;
}

/* A slot's value, 0 when the record does not have it (slots are not cleared between
 * records). */
static inline uint64_t ft_rec_val(const struct ft_rec *r, enum ft_slot s)
{
	return r->v[s] & (0 - (r->present >> s & 1));
}

/* Why a template is refused; 0 when valid. */
enum ft_tpl_error {
	FT_TPL_OK = 0,
	FT_TPL_EMPTY,            /* no fields, or none with a length */
	FT_TPL_FIELD_LENGTH,     /* a length the element cannot have */
	FT_TPL_SCOPE,            /* options: no scope field, or more scope than fields */
	FT_TPL_TOO_LONG,         /* records could not fit in any datagram */
};

/* Builds the plan for fields[0..n) (copied into t).  Returns 0, -(enum ft_tpl_error)
 * for a template that must be refused, or -ENOMEM. */
int ft_tpl_compile(struct ft_template *t, uint16_t id, const struct ft_tpl_field *fields,
                   uint16_t n, uint16_t scope_fields, bool options);
void ft_tpl_done(struct ft_template *t);
bool ft_tpl_same(const struct ft_template *t, const struct ft_tpl_field *fields, uint16_t n,
                 uint16_t scope_fields, bool options);

/* Decodes one record at p (at most avail bytes).  Returns the bytes consumed, or 0 when
 * the record does not fit (a variable-length field runs past avail). */
size_t ft_tpl_decode(const struct ft_template *t, const uint8_t *p, size_t avail, struct ft_rec *r);

#endif
