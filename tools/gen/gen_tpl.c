/* flowtally — NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams of the generator.
 *
 * A layout (struct ft_gen_layout) is worked out once from the options: the template's
 * fields with their lengths in the version, the record length and where the record
 * times sit, the template set as sent, and how many records fit a datagram with and
 * without the template.  An exporter's datagram is
 *
 *   header | template set (ID 0 v9, 2 IPFIX) | data set (ID 256 or 257): records
 *
 * with the template set when ft_gen_carries_template() says so; with
 * template_separate a datagram holds either the template set or the data set.
 *
 * v9 header (§5.1, 20 bytes): version, count (template and data records), sysUptime,
 * unix_secs, package sequence (datagrams this source ID sent before), source ID.
 * Data FlowSets are padded to 4 bytes (§5.3).  IPFIX message header (§3.1, 16 bytes):
 * version 10, length, export time (s), sequence (data records this observation domain
 * sent before), observation domain ID; no set padding.
 *
 * Record times: v9 FIRST/LAST_SWITCHED are sysUptime ms of the header's clock, as in
 * v5.  IPFIX flowStart/EndMilliseconds are UTC ms, ending up to a second before the
 * header's export second (the header has no finer time), so that ft_gen_restamp() can
 * move them by what the header alone says.
 */
#include <errno.h>
#include <string.h>

#include "flowtally/clock.h"
#include "gen_int.h"

#define V9_HDR_LEN 20
#define IPFIX_HDR_LEN 16
#define SET_HDR_LEN 4
#define TID_V4 256
#define TID_V6 257

/* What a field holds. */
enum kind {
	F_BYTES, F_PACKETS, F_PROTO, F_TOS, F_FLAGS, F_SPORT, F_DPORT, F_SRC, F_DST,
	F_SRC_MASK, F_DST_MASK, F_IN_IF, F_OUT_IF, F_NEXT_HOP, F_SRC_AS, F_DST_AS,
	F_LAST, F_FIRST,
};

/* A template field: element IDs and lengths in v9 and in IPFIX. */
struct field {
	uint16_t ie_v9, ie_ipfix;
	uint8_t len_v9, len_ipfix;
	uint8_t kind;
};

/* The usual IPv4 flow cache export (RFC 3954 §8 names / IANA IPFIX names).  IPFIX
 * counters and times are the registry's 8 bytes, interfaces and AS numbers 4,
 * tcpControlBits 2 (RFC 7125); v9 keeps Cisco's 4-byte counters and 2-byte SNMP
 * indexes. */
static const struct field fields_v4[TPL_MAX_FIELDS] = {
	{ 1, 1, 4, 8, F_BYTES },        /* IN_BYTES / octetDeltaCount */
	{ 2, 2, 4, 8, F_PACKETS },      /* IN_PKTS / packetDeltaCount */
	{ 4, 4, 1, 1, F_PROTO },        /* PROTOCOL / protocolIdentifier */
	{ 5, 5, 1, 1, F_TOS },          /* SRC_TOS / ipClassOfService */
	{ 6, 6, 1, 2, F_FLAGS },        /* TCP_FLAGS / tcpControlBits */
	{ 7, 7, 2, 2, F_SPORT },        /* L4_SRC_PORT / sourceTransportPort */
	{ 8, 8, 4, 4, F_SRC },          /* IPV4_SRC_ADDR / sourceIPv4Address */
	{ 9, 9, 1, 1, F_SRC_MASK },     /* SRC_MASK / sourceIPv4PrefixLength */
	{ 10, 10, 2, 4, F_IN_IF },      /* INPUT_SNMP / ingressInterface */
	{ 11, 11, 2, 2, F_DPORT },      /* L4_DST_PORT / destinationTransportPort */
	{ 12, 12, 4, 4, F_DST },        /* IPV4_DST_ADDR / destinationIPv4Address */
	{ 13, 13, 1, 1, F_DST_MASK },   /* DST_MASK / destinationIPv4PrefixLength */
	{ 14, 14, 2, 4, F_OUT_IF },     /* OUTPUT_SNMP / egressInterface */
	{ 15, 15, 4, 4, F_NEXT_HOP },   /* IPV4_NEXT_HOP / ipNextHopIPv4Address */
	{ 16, 16, 4, 4, F_SRC_AS },     /* SRC_AS / bgpSourceAsNumber */
	{ 17, 17, 4, 4, F_DST_AS },     /* DST_AS / bgpDestinationAsNumber */
	{ 21, 153, 4, 8, F_LAST },      /* LAST_SWITCHED / flowEndMilliseconds */
	{ 22, 152, 4, 8, F_FIRST },     /* FIRST_SWITCHED / flowStartMilliseconds */
};

/* The same for IPv6 flows. */
static const struct field fields_v6[TPL_MAX_FIELDS] = {
	{ 1, 1, 4, 8, F_BYTES },
	{ 2, 2, 4, 8, F_PACKETS },
	{ 4, 4, 1, 1, F_PROTO },
	{ 5, 5, 1, 1, F_TOS },
	{ 6, 6, 1, 2, F_FLAGS },
	{ 7, 7, 2, 2, F_SPORT },
	{ 27, 27, 16, 16, F_SRC },      /* IPV6_SRC_ADDR / sourceIPv6Address */
	{ 29, 29, 1, 1, F_SRC_MASK },   /* IPV6_SRC_MASK / sourceIPv6PrefixLength */
	{ 10, 10, 2, 4, F_IN_IF },
	{ 11, 11, 2, 2, F_DPORT },
	{ 28, 28, 16, 16, F_DST },      /* IPV6_DST_ADDR / destinationIPv6Address */
	{ 30, 30, 1, 1, F_DST_MASK },   /* IPV6_DST_MASK / destinationIPv6PrefixLength */
	{ 14, 14, 2, 4, F_OUT_IF },
	{ 62, 62, 16, 16, F_NEXT_HOP }, /* IPV6_NEXT_HOP / ipNextHopIPv6Address */
	{ 16, 16, 4, 4, F_SRC_AS },
	{ 17, 17, 4, 4, F_DST_AS },
	{ 21, 153, 4, 8, F_LAST },
	{ 22, 152, 4, 8, F_FIRST },
};

/* The values of one record. */
struct vals {
	uint64_t bytes, packets;
	uint64_t first, last;          /* v9: sysUptime ms (low 32 bits); IPFIX: UTC ms */
	uint32_t in_if, out_if, src_as, dst_as;
	uint16_t sport, dport;
	uint8_t proto, tos, flags, src_mask, dst_mask;
	uint8_t src[16], dst[16], nh[16];  /* IPv4 in the last 4 bytes */
};

/* ---- layout ---- */

static size_t set_len(const struct ft_gen_layout *L, uint32_t n)
{
	size_t len = SET_HDR_LEN + (size_t)n * L->rec_len;
	return (len + L->pad_to - 1) / L->pad_to * L->pad_to;
}

/* Records a data set may hold in avail bytes, at most rpd (0: no limit). */
static uint32_t fit(const struct ft_gen_layout *L, size_t avail, uint32_t rpd)
{
	avail -= avail % L->pad_to;
	if (avail < SET_HDR_LEN + (size_t)L->rec_len)
		return 0;
	size_t n = (avail - SET_HDR_LEN) / L->rec_len;
	return rpd && n > rpd ? rpd : (uint32_t)n;
}

static void layout_fields(struct ft_gen_layout *L, const struct field *f, bool v9)
{
	uint8_t *t = L->tset + 8;
	uint16_t off = 0;

	L->n_fields = TPL_MAX_FIELDS;
	for (unsigned i = 0; i < L->n_fields; i++, t += 4) {
		L->kind[i] = f[i].kind;
		L->flen[i] = v9 ? f[i].len_v9 : f[i].len_ipfix;
		put16(t, v9 ? f[i].ie_v9 : f[i].ie_ipfix);
		put16(t + 2, L->flen[i]);
		switch (f[i].kind) {
		case F_FIRST: L->off_first = off; break;
		case F_LAST: L->off_last = off; break;
		case F_SRC: L->off_src = off; L->addr_len = L->flen[i]; break;
		case F_DST: L->off_dst = off; break;
		case F_BYTES: L->off_bytes = off; L->ctr_len = L->flen[i]; break;
		case F_PACKETS: L->off_packets = off; break;
		default: break;
		}
		off += L->flen[i];
	}
	L->rec_len = off;
	L->tset_len = (uint16_t)(8 + 4 * L->n_fields);
	put16(L->tset, L->tset_id);
	put16(L->tset + 2, L->tset_len);
	put16(L->tset + 4, L->tid);
	put16(L->tset + 6, L->n_fields);
}

int ft_gen_layout_init(struct ft_gen_layout *L, const struct ft_gen_opts *o)
{
	bool v9 = o->version == 9, v6 = o->template == FT_GEN_TEMPLATE_V6;

	memset(L, 0, sizeof(*L));
	L->tid = v6 ? TID_V6 : TID_V4;
	L->tset_id = v9 ? 0 : 2;
	L->hdr_len = v9 ? V9_HDR_LEN : IPFIX_HDR_LEN;
	L->time_len = v9 ? 4 : 8;
	L->pad_to = v9 ? 4 : 1;
	layout_fields(L, v6 ? fields_v6 : fields_v4, v9);
	if (o->datagram_size < L->hdr_len + (size_t)L->tset_len)
		return -EINVAL;
	size_t avail = o->datagram_size - L->hdr_len;
	L->per_data = fit(L, avail, o->records_per_datagram);
	L->per_tpl = o->template_separate ? 0 : fit(L, avail - L->tset_len, o->records_per_datagram);
	if (L->per_data == 0 || (!o->template_separate && L->per_tpl == 0))
		return -EINVAL;
	return 0;
}

size_t ft_gen_layout_min(const struct ft_gen_layout *L, const struct ft_gen_opts *o)
{
	size_t one = set_len(L, 1);
	if (o->template_separate)
		return L->hdr_len + (one > L->tset_len ? one : L->tset_len);
	return L->hdr_len + L->tset_len + one;
}

size_t ft_gen_layout_max(const struct ft_gen_layout *L, const struct ft_gen_opts *o)
{
	size_t data = set_len(L, L->per_data);
	size_t tpl = L->tset_len + (o->template_separate ? 0 : set_len(L, L->per_tpl));
	return L->hdr_len + (data > tpl ? data : tpl);
}

/* ---- records ---- */

static void rand_addr(struct ft_gen *g, const struct ft_gen_net *n, uint8_t out[16], bool v6)
{
	uint64_t w[2] = { v6 ? rnd(g->rng) : 0, rnd(g->rng) };
	uint8_t r[16];

	memcpy(r, w, sizeof(r));
	for (unsigned i = 0; i < 16; i++)
		out[i] = (uint8_t)(n->net[i] | (r[i] & n->host[i]));
}

/* A mask length from the prefix's own up to /32, or for IPv6 up to /64 (routes
 * longer than /64 are rare) unless the prefix is longer already. */
static uint8_t mask_len(const struct ft_gen_net *n, uint64_t bits, bool v6)
{
	unsigned lo = v6 ? n->len : n->len - 96u;
	unsigned hi = v6 ? (lo <= 64 ? 64 : 128) : 32;
	return (uint8_t)(lo + pick16(bits, hi - lo + 1));
}

/* One of 16 neighbours: 192.0.2.1..16 or 2001:db8:ffff::1..16 (documentation
 * addresses, RFC 5737 and RFC 3849). */
static void next_hop(uint8_t out[16], bool v6, unsigned k)
{
	static const uint8_t v6net[6] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff };

	memset(out, 0, 16);
	if (v6) {
		memcpy(out, v6net, sizeof(v6net));
	} else {
		out[12] = 192;
		out[14] = 2;
	}
	out[15] = (uint8_t)(1 + k);
}

/* The same random model as the v5 records, plus next hop and IPv6. */
static void draw(struct ft_gen *g, struct vals *v, uint64_t end_ref, bool v6)
{
	uint64_t b = rnd(g->rng), c = rnd(g->rng), e = rnd(g->rng), m = rnd(g->rng);
	bool tcp = c & 1;

	v->packets = 1 + pick16(b, 1000);
	v->bytes = v->packets * (40 + pick16(b >> 16, 1461));
	v->last = end_ref - pick16(b >> 32, MAX_END_LAG_MS);
	v->first = v->last - pick16(b >> 48, g->opts.max_flow_ms);
	v->in_if = 1 + pick16(c >> 8, 64);
	v->out_if = 1 + pick16(c >> 24, 64);
	v->sport = (uint16_t)(1024 + pick16(e, 65536 - 1024));
	v->dport = (c & 2) ? ft_gen_common_port(c >> 2)
	                   : (uint16_t)(1 + pick16(e >> 16, 65535));
	v->flags = tcp ? (uint8_t)(0x10 | ((c >> 40) & 0x2f)) : 0;  /* ACK plus FIN/SYN/RST/PSH/URG */
	v->proto = tcp ? 6 : 17;
	v->tos = (uint8_t)(c >> 48);
	v->src_as = 64512 + pick16(e >> 32, 1024);                 /* private ASNs, RFC 6996 */
	v->dst_as = 64512 + pick16(e >> 48, 1024);
	rand_addr(g, &g->src, v->src, v6);
	rand_addr(g, &g->dst, v->dst, v6);
	v->src_mask = mask_len(&g->src, m, v6);
	v->dst_mask = mask_len(&g->dst, m >> 16, v6);
	next_hop(v->nh, v6, (unsigned)(m >> 32) & 15);
}

static void put_uint(uint8_t *p, uint64_t v, unsigned len)
{
	while (len--) {
		p[len] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_uint(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_field(uint8_t *p, uint8_t kind, unsigned len, const struct vals *v)
{
	switch (kind) {
	case F_BYTES: put_uint(p, v->bytes, len); break;
	case F_PACKETS: put_uint(p, v->packets, len); break;
	case F_PROTO: put_uint(p, v->proto, len); break;
	case F_TOS: put_uint(p, v->tos, len); break;
	case F_FLAGS: put_uint(p, v->flags, len); break;
	case F_SPORT: put_uint(p, v->sport, len); break;
	case F_DPORT: put_uint(p, v->dport, len); break;
	case F_SRC: memcpy(p, v->src + 16 - len, len); break;
	case F_DST: memcpy(p, v->dst + 16 - len, len); break;
	case F_NEXT_HOP: memcpy(p, v->nh + 16 - len, len); break;
	case F_SRC_MASK: put_uint(p, v->src_mask, len); break;
	case F_DST_MASK: put_uint(p, v->dst_mask, len); break;
	case F_IN_IF: put_uint(p, v->in_if, len); break;
	case F_OUT_IF: put_uint(p, v->out_if, len); break;
	case F_SRC_AS: put_uint(p, v->src_as, len); break;
	case F_DST_AS: put_uint(p, v->dst_as, len); break;
	case F_LAST: put_uint(p, v->last, len); break;
	case F_FIRST: put_uint(p, v->first, len); break;
	default: break;
	}
}

/* A data set of n records at p, timed back from end_ref (see the top comment). */
static void data_set(struct ft_gen *g, uint8_t *p, uint32_t n, uint64_t end_ref,
                     struct ft_gen_totals *d)
{
	const struct ft_gen_layout *L = &g->lay;
	bool v6 = g->opts.template == FT_GEN_TEMPLATE_V6;
	size_t len = set_len(L, n);
	uint8_t *r = p + SET_HDR_LEN;
	struct vals v;

	put16(p, L->tid);
	put16(p + 2, (uint16_t)len);
	for (uint32_t i = 0; i < n; i++) {
		draw(g, &v, end_ref, v6);
		for (unsigned f = 0; f < L->n_fields; f++) {
			put_field(r, L->kind[f], L->flen[f], &v);
			r += L->flen[f];
		}
		d->bytes += v.bytes;
		d->packets += v.packets;
	}
	memset(r, 0, (size_t)(p + len - r));   /* padding */
	d->records = n;
}

bool ft_gen_carries_template(const struct ft_gen *g, uint64_t n)
{
	const struct ft_gen_opts *o = &g->opts;

	if (o->version == 5)
		return false;
	if (o->template_once)
		return n == 0;
	/* Separate: a template datagram, then template_every data datagrams. */
	return n % ((uint64_t)o->template_every + o->template_separate) == 0;
}

size_t ft_gen_tpl_build(struct ft_gen *g, uint8_t *buf, size_t cap, uint32_t e,
                        int64_t export_ms, struct ft_gen_totals *d)
{
	const struct ft_gen_layout *L = &g->lay;
	bool v9 = g->opts.version == 9;
	bool tpl = ft_gen_carries_template(g, g->per[e].datagrams);
	bool data = !(tpl && g->opts.template_separate);
	uint32_t n = !data ? 0 : tpl ? L->per_tpl : L->per_data;
	size_t len = L->hdr_len + (tpl ? L->tset_len : 0) + (data ? set_len(L, n) : 0);
	uint32_t uptime = uptime_at(g, export_ms);
	uint32_t secs = (uint32_t)(export_ms / 1000);
	uint8_t *p = buf + L->hdr_len;

	if (cap < len)
		return 0;
	if (tpl) {
		memcpy(p, L->tset, L->tset_len);
		p += L->tset_len;
		d->templates = 1;
	}
	if (data)
		data_set(g, p, n, v9 ? uptime : (uint64_t)secs * 1000, d);
	put16(buf, g->opts.version);
	if (v9) {
		put16(buf + 2, (uint16_t)(tpl + n));
		put32(buf + 4, uptime);
		put32(buf + 8, secs);
		put32(buf + 12, g->seq[e]);
		put32(buf + 16, e);
		g->seq[e]++;
	} else {
		put16(buf + 2, (uint16_t)len);
		put32(buf + 4, secs);
		put32(buf + 8, g->seq[e]);
		put32(buf + 12, e);
		g->seq[e] += n;
	}
	return len;
}

/* ---- walking a datagram ---- */

/* Called for each data set: the offset of its first record in the datagram and how
 * many records it holds. */
typedef void set_fn(void *ctx, size_t off, size_t n);

/* Walks the sets of buf; false unless they are what L builds.  fn (if not NULL) is
 * called for every data set. */
static bool walk_sets(const struct ft_gen_layout *L, const uint8_t *buf, size_t len,
                      set_fn *fn, void *ctx)
{
	size_t o = L->hdr_len;

	while (o < len) {
		if (len - o < SET_HDR_LEN)
			return false;
		uint16_t id = get16(buf + o), slen = get16(buf + o + 2);
		if (slen < SET_HDR_LEN || slen > len - o)
			return false;
		if (id == L->tset_id) {
			if (slen != L->tset_len || memcmp(buf + o, L->tset, slen) != 0)
				return false;
		} else if (id == L->tid) {
			size_t n = (slen - SET_HDR_LEN) / L->rec_len;
			if (n == 0 || set_len(L, (uint32_t)n) != slen)
				return false;
			if (fn)
				fn(ctx, o + SET_HDR_LEN, n);
		} else {
			return false;
		}
		o += slen;
	}
	return true;
}

/* Whether buf is a whole datagram g built (version, IPFIX length, sets). */
static bool is_ours(const struct ft_gen *g, const uint8_t *buf, size_t len)
{
	const struct ft_gen_layout *L = &g->lay;

	return len >= L->hdr_len && len <= FT_GEN_MAX_DATAGRAM &&
	       get16(buf) == g->opts.version && (g->opts.version == 9 || get16(buf + 2) == len) &&
	       walk_sets(L, buf, len, NULL, NULL);
}

/* ---- restamping ---- */

struct shift {
	const struct ft_gen_layout *L;
	uint8_t *buf;
	uint64_t by;                 /* modulo the time field's size */
};

static void shift_records(void *ctx, size_t off, size_t n)
{
	const struct shift *sh = ctx;
	const struct ft_gen_layout *L = sh->L;
	uint8_t *r = sh->buf + off;

	for (size_t i = 0; i < n; i++, r += L->rec_len) {
		uint8_t *f = r + L->off_first, *l = r + L->off_last;
		put_uint(f, get_uint(f, L->time_len) + sh->by, L->time_len);
		put_uint(l, get_uint(l, L->time_len) + sh->by, L->time_len);
	}
}

int ft_gen_tpl_restamp(const struct ft_gen *g, uint8_t *buf, size_t len, int64_t export_ns,
                       uint32_t sequence)
{
	const struct ft_gen_layout *L = &g->lay;
	bool v9 = g->opts.version == 9;
	uint32_t secs = (uint32_t)(export_ns / FT_NS_PER_SEC);
	struct shift sh = { .L = L, .buf = buf };

	if (!is_ours(g, buf, len))
		return -EINVAL;
	if (v9) {
		uint32_t uptime = uptime_at(g, export_ns / FT_NS_PER_MS);
		sh.by = (uint32_t)(uptime - get32(buf + 4));
		walk_sets(L, buf, len, shift_records, &sh);
		put32(buf + 4, uptime);
		put32(buf + 8, secs);
		put32(buf + 12, sequence);
	} else {
		/* Unsigned arithmetic: a move back wraps to the same 64-bit sum. */
		sh.by = ((uint64_t)secs - get32(buf + 4)) * 1000u;
		walk_sets(L, buf, len, shift_records, &sh);
		put32(buf + 4, secs);
		put32(buf + 8, sequence);
	}
	return 0;
}

/* ---- reading records back ---- */

struct reading {
	const struct ft_gen_layout *L;
	const uint8_t *buf;
	struct ft_gen_rec *out;
	size_t n, cap;
};

static void read_addr(struct ft_addr *a, const uint8_t *p, unsigned len)
{
	if (len == 4)
		ft_addr_from_v4_bytes(a, p);
	else
		ft_addr_from_v6(a, p);
}

static void read_records(void *ctx, size_t off, size_t n)
{
	struct reading *rd = ctx;
	const struct ft_gen_layout *L = rd->L;
	const uint8_t *r = rd->buf + off;

	for (size_t i = 0; i < n; i++, r += L->rec_len, rd->n++) {
		if (rd->n >= rd->cap)
			continue;
		struct ft_gen_rec *x = &rd->out[rd->n];
		read_addr(&x->src, r + L->off_src, L->addr_len);
		read_addr(&x->dst, r + L->off_dst, L->addr_len);
		x->bytes = get_uint(r + L->off_bytes, L->ctr_len);
		x->packets = get_uint(r + L->off_packets, L->ctr_len);
		x->rate = 1;             /* the generator announces no sampling in v9/IPFIX */
	}
}

int ft_gen_tpl_records(const struct ft_gen *g, const uint8_t *buf, size_t len,
                       struct ft_gen_rec *ret, size_t cap)
{
	struct reading rd = { .L = &g->lay, .buf = buf, .out = ret, .cap = cap };

	if (!is_ours(g, buf, len))
		return -EINVAL;
	walk_sets(&g->lay, buf, len, read_records, &rd);
	return rd.n > cap ? -ENOBUFS : (int)rd.n;
}
