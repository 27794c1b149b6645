/* flowtally — generator of NetFlow v5 export traffic.
 *
 * Builds deterministic (seeded) v5 datagrams, and keeps the exact totals of what it
 * built per exporter, so tests and benchmarks can compare a collector's counts with
 * what was sent.  Used by `flowtally generate`, the end-to-end tests, the benchmarks
 * and the demo.
 */
#ifndef FLOWTALLY_GEN_H
#define FLOWTALLY_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"

#define FT_GEN_MAX_EXPORTERS 256
/* Longest datagram ft_gen_next() builds: a v5 header and 30 records. */
#define FT_GEN_MAX_DATAGRAM (24 + 48 * 30)

struct ft_gen_opts {
	uint64_t seed;
	uint32_t exporters;          /* engine IDs 0..exporters-1 (engine_type 0); 1..256 */
	uint32_t records_per_datagram; /* 1..30 */
	uint16_t sampling_interval;  /* the header's 16-bit field as is: 2-bit mode, 14-bit
	                              * interval; 0 = unsampled */
	int64_t start_ms;            /* export time of the first datagram, UTC ms */
	uint32_t ms_per_datagram;    /* export clock advance per datagram (0 = frozen) */
	struct ft_prefix src_prefix; /* IPv4 prefixes the random addresses come from */
	struct ft_prefix dst_prefix;
};

struct ft_gen_totals {
	uint64_t datagrams;
	uint64_t records;
	uint64_t bytes;
	uint64_t packets;
};

struct ft_gen;

/* Fills unset fields of opts with defaults (1 exporter, 30 records, 10.0.0.0/8 to
 * 192.168.0.0/16, start now). */
void ft_gen_opts_default(struct ft_gen_opts *opts);
/* A new generator, owned by the caller (opts is copied).  NULL with errno EINVAL when
 * opts are out of range (exporters, records_per_datagram, a non-IPv4 prefix, start_ms
 * outside 0 .. 2^32 s), or ENOMEM. */
struct ft_gen *ft_gen_new(const struct ft_gen_opts *opts);
/* Frees g (NULL is fine); returns NULL. */
struct ft_gen *ft_gen_free(struct ft_gen *g);

/* Builds the next datagram into buf (cap >= 24 + 48 * records_per_datagram); returns
 * its length and the exporter index (engine_id) it belongs to.  Sequence numbers are
 * kept per exporter as a real exporter would.  Returns 0, building nothing, when cap
 * is too small. */
size_t ft_gen_next(struct ft_gen *g, uint8_t *buf, size_t cap, uint32_t *ret_exporter);

/* Totals of everything built so far, per exporter index (NULL when exporter is out of
 * range) and overall.  The pointers stay valid, and current, until ft_gen_free(). */
const struct ft_gen_totals *ft_gen_totals(const struct ft_gen *g, uint32_t exporter);
const struct ft_gen_totals *ft_gen_total(const struct ft_gen *g);

/* Totals of the datagram the last ft_gen_next() built (datagrams = 1; all zero before
 * the first), for callers that keep datagrams and account for them when sent. */
const struct ft_gen_totals *ft_gen_last(const struct ft_gen *g);

/* Makes a datagram that ft_gen_next() built fit to be sent again: writes export_ns (UTC
 * ns, 0 .. 2^32 s) as its export time, g's sysUptime for that time and flow_sequence
 * into the header, and moves every record's First and Last by as much as sysUptime
 * moved, so the records keep their age.  Records, addresses and counters are left
 * alone.  0, or -EINVAL when buf is not a whole v5 datagram or export_ns is out of
 * range. */
int ft_gen_restamp(const struct ft_gen *g, uint8_t *buf, size_t len, int64_t export_ns,
                   uint32_t flow_sequence);

#endif
