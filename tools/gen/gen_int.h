/* Generator internals shared by gen.c (options, v5, totals) and gen_tpl.c (v9 and
 * IPFIX). */
#ifndef FT_GEN_INT_H
#define FT_GEN_INT_H

#include <arpa/inet.h>
#include <string.h>

#include "flowtally/gen.h"

#define BOOT_AGE_MS 3600000u
#define MAX_END_LAG_MS 1000u
#define TPL_MAX_FIELDS 18

/* A prefix in the 16-byte form: random host bits are masked in under net. */
struct ft_gen_net {
	uint8_t net[16];
	uint8_t host[16];       /* 1 bits where the address is random */
	uint8_t len;            /* 0..128 */
};

/* How v9/IPFIX datagrams of one generator are laid out (gen_tpl.c). */
struct ft_gen_layout {
	uint8_t kind[TPL_MAX_FIELDS];  /* what each field holds (gen_tpl.c) */
	uint8_t flen[TPL_MAX_FIELDS];  /* its length in this version */
	uint16_t n_fields;
	uint16_t tid;           /* template ID: 256 (IPv4), 257 (IPv6) */
	uint16_t tset_id;       /* template set ID: 0 (v9), 2 (IPFIX) */
	uint16_t hdr_len;       /* 20 (v9), 16 (IPFIX) */
	uint16_t rec_len;
	uint16_t tset_len;
	uint16_t off_first, off_last;  /* of the record times */
	uint16_t off_src, off_dst;     /* of the addresses (4 or 16 bytes) */
	uint16_t off_bytes, off_packets;  /* of the counters (4 or 8 bytes) */
	uint8_t addr_len, ctr_len;
	uint8_t time_len;       /* 4: v9 sysUptime ms; 8: IPFIX UTC ms */
	uint8_t pad_to;         /* data sets are padded to this (v9: 4, RFC 3954 §5.3) */
	uint32_t per_data;      /* records in a data datagram without the template */
	uint32_t per_tpl;       /* ... with it */
	uint8_t tset[8 + 4 * TPL_MAX_FIELDS];  /* the template set as sent */
};

struct ft_gen {
	struct ft_gen_opts opts;
	uint64_t rng[4];
	uint64_t index;         /* datagrams built */
	struct ft_gen_net src, dst;
	struct ft_gen_layout lay;
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

/* The exporter clock: booted BOOT_AGE_MS before start_ms. */
static inline uint32_t uptime_at(const struct ft_gen *g, int64_t export_ms)
{
	return (uint32_t)(BOOT_AGE_MS + (uint64_t)(export_ms - g->opts.start_ms));
}

/* What the attribution of a generated record needs (expect.c). */
struct ft_gen_rec {
	struct ft_addr src, dst;
	uint64_t bytes, packets;     /* as exported */
	uint32_t rate;               /* sampling: 1 in rate packets */
};

/* The most records a datagram of g holds. */
size_t ft_gen_records_max(const struct ft_gen *g);
/* Reads the records of a datagram g built (any version) into ret: how many, -EINVAL
 * when buf is not such a datagram, -ENOBUFS when there are more than cap. */
int ft_gen_records(const struct ft_gen *g, const uint8_t *buf, size_t len,
                   struct ft_gen_rec *ret, size_t cap);

/* Destination ports a record picks from half of the time: the i-th (mod 8). */
static inline uint16_t ft_gen_common_port(uint64_t i)
{
	static const uint16_t ports[8] = { 53, 80, 443, 123, 22, 25, 993, 8080 };
	return ports[i & 7];
}

/* gen_tpl.c: fills g->lay from g->opts; 0 or -EINVAL when datagrams cannot hold
 * what the options ask. */
int ft_gen_layout_init(struct ft_gen_layout *lay, const struct ft_gen_opts *o);
/* Smallest datagram that holds what lay needs (template unless separate, and one
 * record). */
size_t ft_gen_layout_min(const struct ft_gen_layout *lay, const struct ft_gen_opts *o);
size_t ft_gen_layout_max(const struct ft_gen_layout *lay, const struct ft_gen_opts *o);
/* Builds exporter e's next v9/IPFIX datagram (its sums into d); 0 when cap is short. */
size_t ft_gen_tpl_build(struct ft_gen *g, uint8_t *buf, size_t cap, uint32_t e,
                        int64_t export_ms, struct ft_gen_totals *d);
int ft_gen_tpl_restamp(const struct ft_gen *g, uint8_t *buf, size_t len, int64_t export_ns,
                       uint32_t sequence);
/* ft_gen_records() for v9 and IPFIX. */
int ft_gen_tpl_records(const struct ft_gen *g, const uint8_t *buf, size_t len,
                       struct ft_gen_rec *ret, size_t cap);

#endif
