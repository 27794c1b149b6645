/* flowtally — NetFlow traffic generator: options, exporters, totals, NetFlow v5.
 *
 * A generator is a seeded xoshiro256** stream (state expanded from the seed by
 * splitmix64), a datagram index n, and per exporter the sequence number it has reached
 * and the totals of what it built.  ft_gen_next() builds datagram n for exporter
 * n mod exporters (round robin), exported at start_ms + n * ms_per_datagram: a v5
 * datagram here, a v9 or IPFIX one in gen_tpl.c.
 *
 * Clock model: every exporter booted BOOT_AGE_MS before start_ms, so the header's
 * sysUptime is BOOT_AGE_MS + (export time - start_ms), modulo 2^32.  A record ends up
 * to MAX_END_LAG_MS before that and lasts up to max_flow_ms (a minute), as a router's cache
 * exports flows shortly after they go idle.  ft_gen_restamp() moves a datagram to a
 * later export time along the same clock: `flowtally generate` builds a pool once and
 * sends it over and over, patching only header and record times.
 *
 * Wire format: Cisco "NetFlow Export Datagram Format", version 5, big-endian; the
 * field offsets are listed in collector/netflow/nf5.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/clock.h"
#include "gen_int.h"

#define HDR_LEN 24
#define REC_LEN 48
#define MAX_RECORDS 30
#define MAX_EXPORT_NS (((int64_t)1 << 32) * FT_NS_PER_SEC)

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* ---- options ---- */

static bool prefix_unset(const struct ft_prefix *p)
{
	static const struct ft_addr zero;
	return p->len == 0 && ft_addr_equal(&p->addr, &zero);
}

static bool v6_records(const struct ft_gen_opts *o)
{
	return o->version != 5 && o->template == FT_GEN_TEMPLATE_V6;
}

/* IPv4 prefixes for IPv4 records, IPv6 ones (not IPv4-mapped) for IPv6 records. */
static bool prefix_fits(const struct ft_gen_opts *o, const struct ft_prefix *p)
{
	if (p->len > 128)
		return false;
	if (v6_records(o))
		return !ft_addr_is_v4(&p->addr);
	return p->len >= 96 && ft_addr_is_v4(&p->addr);
}

void ft_gen_opts_default(struct ft_gen_opts *opts)
{
	bool v6;

	if (opts->version == 0)
		opts->version = 5;
	v6 = v6_records(opts);
	if (opts->exporters == 0)
		opts->exporters = 1;
	if (opts->records_per_datagram == 0 && opts->version == 5)
		opts->records_per_datagram = MAX_RECORDS;
	if (opts->template_every == 0)
		opts->template_every = FT_GEN_DEFAULT_TEMPLATE_EVERY;
	if (opts->datagram_size == 0)
		opts->datagram_size = FT_GEN_DEFAULT_DATAGRAM_SIZE;
	if (opts->max_flow_ms == 0)
		opts->max_flow_ms = FT_GEN_DEFAULT_FLOW_MS;
	if (prefix_unset(&opts->src_prefix))
		ft_prefix_parse(v6 ? "2001:db8:1::/48" : "10.0.0.0/8", &opts->src_prefix);
	if (prefix_unset(&opts->dst_prefix))
		ft_prefix_parse(v6 ? "2001:db8:2::/48" : "192.168.0.0/16", &opts->dst_prefix);
	if (opts->start_ms == 0)
		opts->start_ms = ft_clock_now_ns() / FT_NS_PER_MS;
}

static struct ft_gen_net net_of(const struct ft_prefix *p)
{
	struct ft_gen_net n = { .len = p->len };

	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = p->len > 8 * i ? p->len - 8 * i : 0;
		uint8_t keep = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
		n.net[i] = p->addr.b[i] & keep;
		n.host[i] = (uint8_t)~keep;
	}
	return n;
}

static bool opts_valid(const struct ft_gen_opts *o)
{
	bool v5 = o->version == 5;

	if (!v5 && o->version != 9 && o->version != 10)
		return false;
	if (v5 ? o->records_per_datagram < 1 || o->records_per_datagram > MAX_RECORDS
	       : (o->template != FT_GEN_TEMPLATE_V4 && o->template != FT_GEN_TEMPLATE_V6) ||
	         o->template_every < 1 || o->datagram_size > FT_GEN_MAX_DATAGRAM)
		return false;
	return o->exporters >= 1 && o->exporters <= FT_GEN_MAX_EXPORTERS &&
	       o->max_flow_ms <= FT_GEN_MAX_FLOW_MS &&
	       o->start_ms >= 0 && o->start_ms < MAX_EXPORT_NS / FT_NS_PER_MS &&
	       prefix_fits(o, &o->src_prefix) && prefix_fits(o, &o->dst_prefix);
}

size_t ft_gen_min_datagram_size(const struct ft_gen_opts *opts)
{
	struct ft_gen_opts o = *opts;
	struct ft_gen_layout lay;

	if (o.version == 5 || (o.version != 9 && o.version != 10) ||
	    (o.template != FT_GEN_TEMPLATE_V4 && o.template != FT_GEN_TEMPLATE_V6))
		return 0;
	o.datagram_size = FT_GEN_MAX_DATAGRAM;
	o.records_per_datagram = 1;
	if (ft_gen_layout_init(&lay, &o) < 0)
		return 0;
	return ft_gen_layout_min(&lay, &o);
}

struct ft_gen *ft_gen_new(const struct ft_gen_opts *opts)
{
	struct ft_gen_layout lay = { 0 };

	if (!opts || !opts_valid(opts) ||
	    (opts->version != 5 && ft_gen_layout_init(&lay, opts) < 0)) {
		errno = EINVAL;
		return NULL;
	}
	struct ft_gen *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->opts = *opts;
	if (g->opts.max_flow_ms == 0)
		g->opts.max_flow_ms = FT_GEN_DEFAULT_FLOW_MS;
	g->lay = lay;
	uint64_t x = opts->seed;
	for (int i = 0; i < 4; i++)
		g->rng[i] = splitmix64(&x);
	g->src = net_of(&opts->src_prefix);
	g->dst = net_of(&opts->dst_prefix);
	return g;
}

struct ft_gen *ft_gen_free(struct ft_gen *g)
{
	free(g);
	return NULL;
}

size_t ft_gen_datagram_max(const struct ft_gen *g)
{
	if (!g)
		return 0;
	if (g->opts.version == 5)
		return HDR_LEN + (size_t)g->opts.records_per_datagram * REC_LEN;
	return ft_gen_layout_max(&g->lay, &g->opts);
}

uint32_t ft_gen_sequence_step(const struct ft_gen *g, const struct ft_gen_totals *d)
{
	return g->opts.version == 9 ? 1 : (uint32_t)d->records;
}

/* ---- NetFlow v5 ---- */

/* v4 random host bits and mask lengths of a v5 record. */
static uint32_t v5_net(const struct ft_gen_net *n)
{
	return get32(n->net + 12);
}

static uint32_t v5_host(const struct ft_gen_net *n)
{
	return get32(n->host + 12);
}

/* One 48-byte record; four random words feed every field. */
static void build_record(struct ft_gen *g, uint8_t *r, uint32_t uptime,
                         struct ft_gen_totals *d)
{
	uint64_t a = rnd(g->rng), b = rnd(g->rng), c = rnd(g->rng), e = rnd(g->rng);
	uint32_t packets = 1 + pick16(b, 1000);
	uint32_t bytes = packets * (40 + pick16(b >> 16, 1461));
	uint32_t last = uptime - pick16(b >> 32, MAX_END_LAG_MS);
	uint32_t first = last - pick16(b >> 48, g->opts.max_flow_ms);
	unsigned src_len = g->src.len - 96u, dst_len = g->dst.len - 96u;
	bool tcp = c & 1;

	memset(r, 0, REC_LEN);
	put32(r, v5_net(&g->src) | ((uint32_t)a & v5_host(&g->src)));
	put32(r + 4, v5_net(&g->dst) | ((uint32_t)(a >> 32) & v5_host(&g->dst)));
	put16(r + 12, (uint16_t)(1 + pick16(c >> 8, 64)));
	put16(r + 14, (uint16_t)(1 + pick16(c >> 24, 64)));
	put32(r + 16, packets);
	put32(r + 20, bytes);
	put32(r + 24, first);
	put32(r + 28, last);
	put16(r + 32, (uint16_t)(1024 + pick16(e, 65536 - 1024)));
	put16(r + 34, (c & 2) ? ft_gen_common_port(c >> 2)
	                      : (uint16_t)(1 + pick16(e >> 16, 65535)));
	r[37] = tcp ? (uint8_t)(0x10 | ((c >> 40) & 0x2f)) : 0;   /* ACK plus FIN/SYN/RST/PSH/URG */
	r[38] = tcp ? 6 : 17;
	r[39] = (uint8_t)(c >> 48);
	put16(r + 40, (uint16_t)(64512 + pick16(e >> 32, 1024)));  /* private ASNs, RFC 6996 */
	put16(r + 42, (uint16_t)(64512 + pick16(e >> 48, 1024)));
	r[44] = (uint8_t)(src_len + pick32(a >> 8, 33u - src_len));
	r[45] = (uint8_t)(dst_len + pick32(a >> 40, 33u - dst_len));
	d->bytes += bytes;
	d->packets += packets;
}

static void put_header(uint8_t *h, uint16_t count, uint32_t uptime, int64_t export_ns,
                       uint32_t sequence)
{
	put16(h, 5);
	put16(h + 2, count);
	put32(h + 4, uptime);
	put32(h + 8, (uint32_t)(export_ns / FT_NS_PER_SEC));
	put32(h + 12, (uint32_t)(export_ns % FT_NS_PER_SEC));
	put32(h + 16, sequence);
}

static size_t build_v5(struct ft_gen *g, uint8_t *buf, size_t cap, uint32_t e,
                       int64_t export_ms, struct ft_gen_totals *d)
{
	uint32_t n = g->opts.records_per_datagram;
	size_t len = HDR_LEN + (size_t)n * REC_LEN;
	if (cap < len)
		return 0;

	uint32_t uptime = uptime_at(g, export_ms);
	d->records = n;
	for (uint32_t i = 0; i < n; i++)
		build_record(g, buf + HDR_LEN + (size_t)i * REC_LEN, uptime, d);
	put_header(buf, (uint16_t)n, uptime, export_ms * FT_NS_PER_MS, g->seq[e]);
	buf[20] = 0;                    /* engine_type */
	buf[21] = (uint8_t)e;           /* engine_id */
	put16(buf + 22, g->opts.sampling_interval);
	g->seq[e] += n;
	return len;
}

/* Whether buf is a whole v5 datagram (header and count agree with the length). */
static bool v5_whole(const uint8_t *buf, size_t len)
{
	if (len < HDR_LEN || get16(buf) != 5)
		return false;
	unsigned count = get16(buf + 2);
	return count >= 1 && count <= MAX_RECORDS && len == HDR_LEN + (size_t)count * REC_LEN;
}

static int restamp_v5(const struct ft_gen *g, uint8_t *buf, size_t len, int64_t export_ns,
                      uint32_t flow_sequence)
{
	if (!v5_whole(buf, len))
		return -EINVAL;
	unsigned count = get16(buf + 2);
	uint32_t uptime = uptime_at(g, export_ns / FT_NS_PER_MS);
	uint32_t shift = uptime - get32(buf + 4);
	uint8_t *r = buf + HDR_LEN;
	for (unsigned i = 0; i < count; i++, r += REC_LEN) {
		put32(r + 24, get32(r + 24) + shift);
		put32(r + 28, get32(r + 28) + shift);
	}
	put_header(buf, (uint16_t)count, uptime, export_ns, flow_sequence);
	return 0;
}

/* The records' addresses, dPkts and dOctets, and the header's sampling interval (its
 * low 14 bits; 0 is unsampled). */
static int records_v5(const uint8_t *buf, size_t len, struct ft_gen_rec *ret, size_t cap)
{
	if (!v5_whole(buf, len))
		return -EINVAL;
	unsigned count = get16(buf + 2);
	if (count > cap)
		return -ENOBUFS;
	uint32_t interval = get16(buf + 22) & 0x3fff;
	const uint8_t *r = buf + HDR_LEN;
	for (unsigned i = 0; i < count; i++, r += REC_LEN) {
		ft_addr_from_v4_bytes(&ret[i].src, r);
		ft_addr_from_v4_bytes(&ret[i].dst, r + 4);
		ret[i].packets = get32(r + 16);
		ret[i].bytes = get32(r + 20);
		ret[i].rate = interval ? interval : 1;
	}
	return (int)count;
}

/* ---- every version ---- */

static void totals_add(struct ft_gen_totals *t, const struct ft_gen_totals *d)
{
	t->datagrams += d->datagrams;
	t->records += d->records;
	t->bytes += d->bytes;
	t->packets += d->packets;
	t->templates += d->templates;
}

size_t ft_gen_next(struct ft_gen *g, uint8_t *buf, size_t cap, uint32_t *ret_exporter)
{
	if (!g || !buf)
		return 0;
	uint32_t e = (uint32_t)(g->index % g->opts.exporters);
	int64_t export_ms = g->opts.start_ms + (int64_t)g->index * g->opts.ms_per_datagram;
	struct ft_gen_totals d = { .datagrams = 1 };
	size_t len = g->opts.version == 5 ? build_v5(g, buf, cap, e, export_ms, &d)
	                                  : ft_gen_tpl_build(g, buf, cap, e, export_ms, &d);
	if (!len)
		return 0;
	totals_add(&g->per[e], &d);
	totals_add(&g->total, &d);
	g->last = d;
	g->index++;
	if (ret_exporter)
		*ret_exporter = e;
	return len;
}

int ft_gen_restamp(const struct ft_gen *g, uint8_t *buf, size_t len, int64_t export_ns,
                   uint32_t sequence)
{
	if (!g || !buf || export_ns < 0 || export_ns >= MAX_EXPORT_NS)
		return -EINVAL;
	if (g->opts.version == 5)
		return restamp_v5(g, buf, len, export_ns, sequence);
	return ft_gen_tpl_restamp(g, buf, len, export_ns, sequence);
}

size_t ft_gen_records_max(const struct ft_gen *g)
{
	if (!g)
		return 0;
	if (g->opts.version == 5)
		return g->opts.records_per_datagram;
	return g->lay.per_data > g->lay.per_tpl ? g->lay.per_data : g->lay.per_tpl;
}

int ft_gen_records(const struct ft_gen *g, const uint8_t *buf, size_t len,
                   struct ft_gen_rec *ret, size_t cap)
{
	if (!g || !buf)
		return -EINVAL;
	if (g->opts.version == 5)
		return records_v5(buf, len, ret, cap);
	return ft_gen_tpl_records(g, buf, len, ret, cap);
}

/* ---- totals ---- */

const struct ft_gen_totals *ft_gen_totals(const struct ft_gen *g, uint32_t exporter)
{
	if (!g || exporter >= g->opts.exporters)
		return NULL;
	return &g->per[exporter];
}

const struct ft_gen_totals *ft_gen_total(const struct ft_gen *g)
{
	return g ? &g->total : NULL;
}

const struct ft_gen_totals *ft_gen_last(const struct ft_gen *g)
{
	return g ? &g->last : NULL;
}
