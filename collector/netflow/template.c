/* Template compilation and record decoding.
 *
 * The element table maps (enterprise, element ID) to a slot and a kind.  Unsigned
 * elements may use reduced-size encoding (RFC 7011 §6.2): any length 1..8 is read
 * big-endian.  Addresses must have their full length.  Elements flowtally does not
 * use, and every enterprise-specific element but the RFC 5103 reverse counters, are
 * skipped by their length, so they can never be misread.
 *
 * NetFlow v9 (RFC 3954 §8) and IPFIX (IANA registry) share element numbers for
 * everything read here; v9's scope field types (system, interface, line card, cache,
 * template) are mapped by the v9 decoder onto the scope slots before compiling.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "wire.h"

struct elem {
	uint16_t id;
	uint8_t kind;
	uint8_t slot;
};

/* IETF elements (IANA IPFIX registry numbers; the same in NetFlow v9). */
static const struct elem ietf[] = {
	{ 1, OP_UINT, SL_BYTES },            /* octetDeltaCount / IN_BYTES */
	{ 2, OP_UINT, SL_PACKETS },          /* packetDeltaCount / IN_PKTS */
	{ 4, OP_UINT, SL_PROTO },            /* protocolIdentifier */
	{ 5, OP_UINT, SL_TOS },              /* ipClassOfService */
	{ 6, OP_UINT, SL_TCP_FLAGS },        /* tcpControlBits */
	{ 7, OP_UINT, SL_SPORT },            /* sourceTransportPort */
	{ 8, OP_ADDR4, AS_SRC4 },            /* sourceIPv4Address */
	{ 9, OP_UINT, SL_SRC_MASK },         /* sourceIPv4PrefixLength */
	{ 10, OP_UINT, SL_IN_IF },           /* ingressInterface */
	{ 11, OP_UINT, SL_DPORT },           /* destinationTransportPort */
	{ 12, OP_ADDR4, AS_DST4 },           /* destinationIPv4Address */
	{ 13, OP_UINT, SL_DST_MASK },        /* destinationIPv4PrefixLength */
	{ 14, OP_UINT, SL_OUT_IF },          /* egressInterface */
	{ 15, OP_ADDR4, AS_NH4 },            /* ipNextHopIPv4Address */
	{ 16, OP_UINT, SL_SRC_AS },          /* bgpSourceAsNumber */
	{ 17, OP_UINT, SL_DST_AS },          /* bgpDestinationAsNumber */
	{ 18, OP_ADDR4, AS_BGP4 },           /* bgpNextHopIPv4Address */
	{ 21, OP_UINT, SL_LAST_UPTIME },     /* flowEndSysUpTime / LAST_SWITCHED */
	{ 22, OP_UINT, SL_FIRST_UPTIME },    /* flowStartSysUpTime / FIRST_SWITCHED */
	{ 23, OP_UINT, SL_POST_BYTES },      /* postOctetDeltaCount / OUT_BYTES */
	{ 24, OP_UINT, SL_POST_PACKETS },    /* postPacketDeltaCount / OUT_PKTS */
	{ 27, OP_ADDR6, AS_SRC6 },           /* sourceIPv6Address */
	{ 28, OP_ADDR6, AS_DST6 },           /* destinationIPv6Address */
	{ 29, OP_UINT, SL_SRC_MASK6 },       /* sourceIPv6PrefixLength */
	{ 30, OP_UINT, SL_DST_MASK6 },       /* destinationIPv6PrefixLength */
	{ 34, OP_UINT, SL_SAMPLING_INTERVAL }, /* samplingInterval */
	{ 35, OP_UINT, SL_SAMPLING_ALGO },   /* samplingAlgorithm */
	{ 48, OP_UINT, SL_SAMPLER_ID },      /* samplerId / FLOW_SAMPLER_ID */
	{ 49, OP_UINT, SL_SAMPLER_MODE },    /* samplerMode */
	{ 50, OP_UINT, SL_SAMPLER_INTERVAL }, /* samplerRandomInterval */
	{ 58, OP_UINT, SL_VLAN },            /* vlanId / SRC_VLAN */
	{ 59, OP_UINT, SL_POST_VLAN },       /* postVlanId / DST_VLAN */
	{ 61, OP_UINT, SL_DIRECTION },       /* flowDirection */
	{ 62, OP_ADDR6, AS_NH6 },            /* ipNextHopIPv6Address */
	{ 63, OP_ADDR6, AS_BGP6 },           /* bgpNextHopIPv6Address */
	{ 82, OP_STR, SS_IF_NAME },          /* interfaceName */
	{ 83, OP_STR, SS_IF_DESC },          /* interfaceDescription */
	{ 85, OP_UINT, SL_TOTAL_BYTES },     /* octetTotalCount */
	{ 86, OP_UINT, SL_TOTAL_PACKETS },   /* packetTotalCount */
	{ 149, OP_UINT, SL_SCOPE_SYSTEM },   /* observationDomainId (as scope) */
	{ 150, OP_UINT, SL_START_S },        /* flowStartSeconds */
	{ 151, OP_UINT, SL_END_S },          /* flowEndSeconds */
	{ 152, OP_UINT, SL_START_MS },       /* flowStartMilliseconds */
	{ 153, OP_UINT, SL_END_MS },         /* flowEndMilliseconds */
	{ 154, OP_UINT, SL_START_US },       /* flowStartMicroseconds (NTP format) */
	{ 155, OP_UINT, SL_END_US },         /* flowEndMicroseconds (NTP format) */
	{ 156, OP_UINT, SL_START_NS },       /* flowStartNanoseconds (NTP format) */
	{ 157, OP_UINT, SL_END_NS },         /* flowEndNanoseconds (NTP format) */
	{ 158, OP_UINT, SL_START_DELTA_US }, /* flowStartDeltaMicroseconds */
	{ 159, OP_UINT, SL_END_DELTA_US },   /* flowEndDeltaMicroseconds */
	{ 160, OP_UINT, SL_INIT_MS },        /* systemInitTimeMilliseconds */
	{ 195, OP_UINT, SL_DSCP },           /* ipDiffServCodePoint */
	{ 231, OP_UINT, SL_INIT_BYTES },     /* initiatorOctets */
	{ 232, OP_UINT, SL_RESP_BYTES },     /* responderOctets */
	{ 243, OP_UINT, SL_DOT1Q_VLAN },     /* dot1qVlanId */
	{ 254, OP_UINT, SL_POST_DOT1Q_VLAN }, /* postDot1qVlanId */
	{ 298, OP_UINT, SL_INIT_PACKETS },   /* initiatorPackets */
	{ 299, OP_UINT, SL_RESP_PACKETS },   /* responderPackets */
	{ 302, OP_UINT, SL_SELECTOR_ID },    /* selectorId */
	{ 304, OP_UINT, SL_SELECTOR_ALGO },  /* selectorAlgorithm */
	{ 305, OP_UINT, SL_PKT_INTERVAL },   /* samplingPacketInterval */
	{ 306, OP_UINT, SL_PKT_SPACE },      /* samplingPacketSpace */
};

static const struct elem v9_scopes[] = {
	{ FT_V9_SCOPE_BASE + 1, OP_UINT, SL_SCOPE_SYSTEM },
	{ FT_V9_SCOPE_BASE + 2, OP_UINT, SL_SCOPE_INTERFACE },
	{ FT_V9_SCOPE_BASE + 3, OP_UINT, SL_SCOPE_LINECARD },
	{ FT_V9_SCOPE_BASE + 4, OP_UINT, SL_SCOPE_CACHE },
	{ FT_V9_SCOPE_BASE + 5, OP_UINT, SL_SCOPE_TEMPLATE },
};

static const struct elem *find(const struct elem *tab, size_t n, uint16_t id)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i].id == id)
			return &tab[i];
	return NULL;
}

static const struct elem *lookup(const struct ft_tpl_field *f)
{
	static const struct elem rev_bytes = { 1, OP_UINT, SL_REV_BYTES };
	static const struct elem rev_packets = { 2, OP_UINT, SL_REV_PACKETS };
	if (f->pen == FT_PEN_REVERSE)
		return f->id == 1 ? &rev_bytes : f->id == 2 ? &rev_packets : NULL;
	if (f->pen != 0)
		return NULL;
	if (f->id >= FT_V9_SCOPE_BASE)
		return find(v9_scopes, sizeof(v9_scopes) / sizeof(v9_scopes[0]), f->id);
	return find(ietf, sizeof(ietf) / sizeof(ietf[0]), f->id);
}

/* The op for one field, or -enum ft_tpl_error. */
static int make_op(const struct ft_tpl_field *f, struct ft_op *op)
{
	const struct elem *e = lookup(f);
	*op = (struct ft_op){ .kind = OP_SKIP, .len = f->len };
	/* A field of length 0 carries no data (exporters send type 0, length 0 entries as
	 * padding at a template's end): it is skipped, and the rest of the template read. */
	if (!e || f->len == 0)
		return 0;
	if (f->len == FT_VARLEN)
		return e->kind == OP_STR ? (op->kind = OP_STR, op->slot = e->slot, 0) : 0;
	switch (e->kind) {
	case OP_UINT:
		if (f->len > 8)
			return -FT_TPL_FIELD_LENGTH;
		break;
	case OP_ADDR4:
		if (f->len != 4)
			return -FT_TPL_FIELD_LENGTH;
		break;
	case OP_ADDR6:
		if (f->len != 16)
			return -FT_TPL_FIELD_LENGTH;
		break;
	default:
		break;
	}
	op->kind = e->kind;
	op->slot = e->slot;
	return 0;
}

void ft_tpl_done(struct ft_template *t)
{
	free(t->fields);
	free(t->ops);
	free(t->plan);
	memset(t, 0, sizeof(*t));
}

/* Which of decode_plan()'s loops reads an op: U8, U16, U32, U64, then the rest. */
static int width_group(uint8_t kind)
{
	switch (kind) {
	case OP_U8: return 0;
	case OP_U16: return 1;
	case OP_U32: return 2;
	case OP_U64: return 3;
	default: return 4;
	}
}

/* Plan order: by width group, in template (offset) order within a group. */
static int cmp_plan_op(const void *x, const void *y)
{
	const struct ft_op *a = x, *b = y;
	int ga = width_group(a->kind), gb = width_group(b->kind);
	if (ga != gb)
		return ga - gb;
	return (a->off > b->off) - (a->off < b->off);
}

/* The plan of a fixed-length template: what ft_tpl_decode() reads, where, grouped by
 * width (see struct ft_template). */
static int make_plan(struct ft_template *t)
{
	static const uint8_t by_width[9] = { 0, OP_U8, OP_U16, OP_UINT, OP_U32,
	                                     OP_UINT, OP_UINT, OP_UINT, OP_U64 };
	uint16_t n = 0, off = 0;
	uint64_t seen[3] = { 0, 0, 0 };        /* value, address and string slots */
	bool *later = calloc(t->n_fields, sizeof(*later));

	t->plan = malloc(t->n_fields * sizeof(*t->plan));
	if (!t->plan || !later) {
		free(later);
		return -ENOMEM;
	}
	/* An element the template repeats: the last one wins, as it would read in order. */
	for (uint16_t i = t->n_fields; i-- > 0;) {
		const struct ft_op *op = &t->ops[i];
		int c = op->kind == OP_UINT ? 0 : op->kind == OP_ADDR4 || op->kind == OP_ADDR6 ? 1 :
		        op->kind == OP_STR ? 2 : -1;
		if (c < 0)
			continue;
		later[i] = seen[c] >> op->slot & 1;
		seen[c] |= 1ull << op->slot;
	}
	for (uint16_t i = 0; i < t->n_fields; off += t->ops[i].len, i++) {
		struct ft_op op = t->ops[i];
		if (op.kind == OP_SKIP || later[i])
			continue;
		op.off = off;
		if (op.kind == OP_UINT) {
			op.kind = by_width[op.len];
			t->plan_present |= 1ull << op.slot;
		}
		t->plan[n++] = op;
	}
	free(later);
	qsort(t->plan, n, sizeof(*t->plan), cmp_plan_op);
	for (uint16_t i = 0, g = 0; g < 4; g++) {
		while (i < n && width_group(t->plan[i].kind) == g)
			i++;
		t->plan_end[g] = i;
	}
	t->n_plan = n;
	return 0;
}

int ft_tpl_compile(struct ft_template *t, uint16_t id, const struct ft_tpl_field *fields,
                   uint16_t n, uint16_t scope_fields, bool options)
{
	struct ft_template nt = { .id = id, .n_fields = n, .scope_fields = scope_fields,
	                          .options = options };
	if (n == 0)
		return -FT_TPL_EMPTY;
	if (options && (scope_fields == 0 || scope_fields > n))
		return -FT_TPL_SCOPE;
	nt.fields = malloc(n * sizeof(*nt.fields));
	nt.ops = malloc(n * sizeof(*nt.ops));
	if (!nt.fields || !nt.ops) {
		ft_tpl_done(&nt);
		return -ENOMEM;
	}
	memcpy(nt.fields, fields, n * sizeof(*fields));
	for (uint16_t i = 0; i < n; i++) {
		int r = make_op(&fields[i], &nt.ops[i]);
		if (r < 0) {
			ft_tpl_done(&nt);
			return r;
		}
		nt.varlen |= fields[i].len == FT_VARLEN;
		nt.min_len += fields[i].len == FT_VARLEN ? 1 : fields[i].len;
		nt.empty_fields += fields[i].len == 0;
	}
	if (nt.min_len == 0) {          /* only empty fields: a record of nothing */
		ft_tpl_done(&nt);
		return -FT_TPL_EMPTY;
	}
	if (nt.min_len > 65535 - 20) {
		ft_tpl_done(&nt);
		return -FT_TPL_TOO_LONG;
	}
	if (!nt.varlen && make_plan(&nt) < 0) {
		ft_tpl_done(&nt);
		return -ENOMEM;
	}
	*t = nt;
	return 0;
}

bool ft_tpl_same(const struct ft_template *t, const struct ft_tpl_field *fields, uint16_t n,
                 uint16_t scope_fields, bool options)
{
	return t->n_fields == n && t->scope_fields == scope_fields && t->options == options &&
	       memcmp(t->fields, fields, n * sizeof(*fields)) == 0;
}

static inline uint64_t read_uint(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

/* Reads an RFC 7011 §7 variable length: one byte, or 255 then two bytes. */
static size_t varlen(const uint8_t *p, size_t avail, size_t *ret_hdr)
{
	if (avail < 1)
		return SIZE_MAX;
	if (p[0] < 255) {
		*ret_hdr = 1;
		return p[0];
	}
	if (avail < 3)
		return SIZE_MAX;
	*ret_hdr = 3;
	return (size_t)p[1] << 8 | p[2];
}

static void apply(const struct ft_op *op, const uint8_t *p, size_t len, struct ft_rec *r)
{
	switch (op->kind) {
	case OP_UINT:
		r->v[op->slot] = read_uint(p, (unsigned)len);
		r->present |= 1ull << op->slot;
		break;
	case OP_ADDR4:
	case OP_ADDR6:
		r->addr[op->slot] = p;
		break;
	case OP_STR:
		r->str[op->slot] = p;
		r->str_len[op->slot] = (uint16_t)len;
		break;
	default:
		break;
	}
}

static size_t decode_varlen(const struct ft_template *t, const uint8_t *p, size_t avail,
                            struct ft_rec *r)
{
	size_t off = 0;
	for (uint16_t i = 0; i < t->n_fields; i++) {
		const struct ft_op *op = &t->ops[i];
		size_t len = op->len, hdr = 0;
		if (len == FT_VARLEN && (len = varlen(p + off, avail - off, &hdr)) == SIZE_MAX)
			return 0;
		off += hdr;
		if (len > avail - off)
			return 0;
		apply(op, p + off, len, r);
		off += len;
	}
	return off;
}

static inline uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* A fixed-length record: only the plan's reads, at fixed offsets, a loop per width. */
static size_t decode_plan(const struct ft_template *t, const uint8_t *p, struct ft_rec *r)
{
	const struct ft_op *op = t->plan, *end;
	r->present = t->plan_present;
	for (end = t->plan + t->plan_end[0]; op < end; op++)
		r->v[op->slot] = p[op->off];
	for (end = t->plan + t->plan_end[1]; op < end; op++)
		r->v[op->slot] = rd16(p + op->off);
	for (end = t->plan + t->plan_end[2]; op < end; op++)
		r->v[op->slot] = rd32(p + op->off);
	for (end = t->plan + t->plan_end[3]; op < end; op++)
		r->v[op->slot] = rd64(p + op->off);
	for (end = t->plan + t->n_plan; op < end; op++)
		apply(op, p + op->off, op->len, r);
	return t->min_len;
}

size_t ft_tpl_decode(const struct ft_template *t, const uint8_t *p, size_t avail, struct ft_rec *r)
{
	memset(r->addr, 0, sizeof(r->addr));
	memset(r->str, 0, sizeof(r->str));
	if (!t->varlen)
		return avail < t->min_len ? 0 : decode_plan(t, p, r);
	r->present = 0;
	return decode_varlen(t, p, avail, r);
}
