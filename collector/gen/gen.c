/* flowtally — NetFlow v5 traffic generator.
 *
 * A generator is a seeded xoshiro256** stream (state expanded from the seed by
 * splitmix64), a datagram index n, and per exporter the flow_sequence it has reached
 * and the totals of what it built.  ft_gen_next() builds datagram n for exporter
 * n mod exporters (round robin), exported at start_ms + n * ms_per_datagram.
 *
 * Clock model: every exporter booted BOOT_AGE_MS before start_ms, so the header's
 * sysUptime is BOOT_AGE_MS + (export time - start_ms), modulo 2^32.  A record ends up
 * to MAX_END_LAG_MS before that and lasts up to MAX_FLOW_MS, as a router's cache
 * exports flows shortly after they go idle.  ft_gen_restamp() moves a datagram to a
 * later export time along the same clock: `flowtally generate` builds a pool once and
 * sends it over and over, patching only header and record times.
 *
 * Wire format: Cisco "NetFlow Export Datagram Format", version 5, big-endian; the
 * field offsets are listed in collector/netflow/nf5.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/clock.h"
#include "flowtally/gen.h"

#define HDR_LEN 24
#define REC_LEN 48
#define MAX_RECORDS 30
#define BOOT_AGE_MS 3600000u
#define MAX_END_LAG_MS 1000u
#define MAX_FLOW_MS 60000u
#define MAX_EXPORT_NS (((int64_t)1 << 32) * FT_NS_PER_SEC)

/* A v4 prefix in host order: random host bits are masked in under net. */
struct v4net {
	uint32_t net;
	uint32_t host_mask;
	uint8_t len;            /* 0..32 */
};

struct ft_gen {
	struct ft_gen_opts opts;
	uint64_t rng[4];
	uint64_t index;         /* datagrams built */
	struct v4net src, dst;
	uint32_t seq[FT_GEN_MAX_EXPORTERS];
	struct ft_gen_totals per[FT_GEN_MAX_EXPORTERS];
	struct ft_gen_totals total;
	struct ft_gen_totals last;
};

/* ---- wire ---- */

static inline void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static inline uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return ntohs(v);
}

static inline uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return ntohl(v);
}

/* ---- random numbers (xoshiro256**, Blackman & Vigna) ---- */

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static inline uint64_t rnd(uint64_t s[4])
{
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* 0..n-1 from 16 random bits (n <= 65536); the bias is irrelevant here. */
static inline uint32_t pick16(uint64_t bits, uint32_t n)
{
	return (uint32_t)(((bits & 0xffff) * n) >> 16);
}

/* 0..n-1 from 32 random bits. */
static inline uint32_t pick32(uint64_t bits, uint32_t n)
{
	return (uint32_t)(((bits & 0xffffffffu) * n) >> 32);
}

/* ---- options ---- */

static bool prefix_is_v4(const struct ft_prefix *p)
{
	return p->len >= 96 && p->len <= 128 && ft_addr_is_v4(&p->addr);
}

static bool prefix_unset(const struct ft_prefix *p)
{
	static const struct ft_addr zero;
	return p->len == 0 && ft_addr_equal(&p->addr, &zero);
}

void ft_gen_opts_default(struct ft_gen_opts *opts)
{
	if (opts->exporters == 0)
		opts->exporters = 1;
	if (opts->records_per_datagram == 0)
		opts->records_per_datagram = MAX_RECORDS;
	if (prefix_unset(&opts->src_prefix))
		ft_prefix_parse("10.0.0.0/8", &opts->src_prefix);
	if (prefix_unset(&opts->dst_prefix))
		ft_prefix_parse("192.168.0.0/16", &opts->dst_prefix);
	if (opts->start_ms == 0)
		opts->start_ms = ft_clock_now_ns() / FT_NS_PER_MS;
}

static struct v4net v4net_of(const struct ft_prefix *p)
{
	struct v4net n = { .len = (uint8_t)(p->len - 96) };

	n.host_mask = n.len == 0 ? 0xffffffffu : (n.len == 32 ? 0 : 0xffffffffu >> n.len);
	n.net = get32(p->addr.b + 12) & ~n.host_mask;
	return n;
}

static bool opts_valid(const struct ft_gen_opts *o)
{
	return o->exporters >= 1 && o->exporters <= FT_GEN_MAX_EXPORTERS &&
	       o->records_per_datagram >= 1 && o->records_per_datagram <= MAX_RECORDS &&
	       o->start_ms >= 0 && o->start_ms < MAX_EXPORT_NS / FT_NS_PER_MS &&
	       prefix_is_v4(&o->src_prefix) && prefix_is_v4(&o->dst_prefix);
}

struct ft_gen *ft_gen_new(const struct ft_gen_opts *opts)
{
	if (!opts || !opts_valid(opts)) {
		errno = EINVAL;
		return NULL;
	}
	struct ft_gen *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->opts = *opts;
	uint64_t x = opts->seed;
	for (int i = 0; i < 4; i++)
		g->rng[i] = splitmix64(&x);
	g->src = v4net_of(&opts->src_prefix);
	g->dst = v4net_of(&opts->dst_prefix);
	return g;
}

struct ft_gen *ft_gen_free(struct ft_gen *g)
{
	free(g);
	return NULL;
}

/* ---- building ---- */

static uint32_t uptime_at(const struct ft_gen *g, int64_t export_ms)
{
	return (uint32_t)(BOOT_AGE_MS + (uint64_t)(export_ms - g->opts.start_ms));
}

static const uint16_t common_ports[8] = { 53, 80, 443, 123, 22, 25, 993, 8080 };

/* One 48-byte record; four random words feed every field. */
static void build_record(struct ft_gen *g, uint8_t *r, uint32_t uptime,
                         struct ft_gen_totals *d)
{
	uint64_t a = rnd(g->rng), b = rnd(g->rng), c = rnd(g->rng), e = rnd(g->rng);
	uint32_t packets = 1 + pick16(b, 1000);
	uint32_t bytes = packets * (40 + pick16(b >> 16, 1461));
	uint32_t last = uptime - pick16(b >> 32, MAX_END_LAG_MS);
	uint32_t first = last - pick16(b >> 48, MAX_FLOW_MS);
	bool tcp = c & 1;

	memset(r, 0, REC_LEN);
	put32(r, g->src.net | ((uint32_t)a & g->src.host_mask));
	put32(r + 4, g->dst.net | ((uint32_t)(a >> 32) & g->dst.host_mask));
	put16(r + 12, (uint16_t)(1 + pick16(c >> 8, 64)));
	put16(r + 14, (uint16_t)(1 + pick16(c >> 24, 64)));
	put32(r + 16, packets);
	put32(r + 20, bytes);
	put32(r + 24, first);
	put32(r + 28, last);
	put16(r + 32, (uint16_t)(1024 + pick16(e, 65536 - 1024)));
	put16(r + 34, (c & 2) ? common_ports[(c >> 2) & 7] : (uint16_t)(1 + pick16(e >> 16, 65535)));
	r[37] = tcp ? (uint8_t)(0x10 | ((c >> 40) & 0x2f)) : 0;   /* ACK plus FIN/SYN/RST/PSH/URG */
	r[38] = tcp ? 6 : 17;
	r[39] = (uint8_t)(c >> 48);
	put16(r + 40, (uint16_t)(64512 + pick16(e >> 32, 1024)));  /* private ASNs, RFC 6996 */
	put16(r + 42, (uint16_t)(64512 + pick16(e >> 48, 1024)));
	r[44] = (uint8_t)(g->src.len + pick32(a >> 8, 33u - g->src.len));
	r[45] = (uint8_t)(g->dst.len + pick32(a >> 40, 33u - g->dst.len));
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

static void totals_add(struct ft_gen_totals *t, const struct ft_gen_totals *d)
{
	t->datagrams += d->datagrams;
	t->records += d->records;
	t->bytes += d->bytes;
	t->packets += d->packets;
}

size_t ft_gen_next(struct ft_gen *g, uint8_t *buf, size_t cap, uint32_t *ret_exporter)
{
	if (!g || !buf)
		return 0;
	uint32_t n = g->opts.records_per_datagram;
	size_t len = HDR_LEN + (size_t)n * REC_LEN;
	if (cap < len)
		return 0;

	uint32_t e = (uint32_t)(g->index % g->opts.exporters);
	int64_t export_ms = g->opts.start_ms + (int64_t)g->index * g->opts.ms_per_datagram;
	uint32_t uptime = uptime_at(g, export_ms);
	struct ft_gen_totals d = { .datagrams = 1, .records = n };
	for (uint32_t i = 0; i < n; i++)
		build_record(g, buf + HDR_LEN + (size_t)i * REC_LEN, uptime, &d);
	put_header(buf, (uint16_t)n, uptime, export_ms * FT_NS_PER_MS, g->seq[e]);
	buf[20] = 0;                    /* engine_type */
	buf[21] = (uint8_t)e;           /* engine_id */
	put16(buf + 22, g->opts.sampling_interval);

	g->seq[e] += n;
	totals_add(&g->per[e], &d);
	totals_add(&g->total, &d);
	g->last = d;
	g->index++;
	if (ret_exporter)
		*ret_exporter = e;
	return len;
}

int ft_gen_restamp(const struct ft_gen *g, uint8_t *buf, size_t len, int64_t export_ns,
                   uint32_t flow_sequence)
{
	if (!g || !buf || len < HDR_LEN || get16(buf) != 5)
		return -EINVAL;
	unsigned count = get16(buf + 2);
	if (count < 1 || count > MAX_RECORDS || len != HDR_LEN + (size_t)count * REC_LEN)
		return -EINVAL;
	if (export_ns < 0 || export_ns >= MAX_EXPORT_NS)
		return -EINVAL;

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
