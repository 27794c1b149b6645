/* flowtally — generator of NetFlow export traffic: v5, v9 (RFC 3954) and IPFIX
 * (RFC 7011).
 *
 * Builds deterministic (seeded) datagrams, and keeps the exact totals of what it
 * built per exporter, so tests and benchmarks can compare a collector's counts with
 * what was sent.  A test and benchmark tool (tools/gen/), no stage of the collector:
 * used by `flowtally generate`, the end-to-end tests, the benchmarks and the demo.
 */
#ifndef FLOWTALLY_GEN_H
#define FLOWTALLY_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"

#define FT_GEN_MAX_EXPORTERS 256
/* Longest datagram ft_gen_next() can build: the largest datagram_size (v5 datagrams
 * are at most 24 + 48 * 30 bytes).  ft_gen_datagram_max() tells for a generator. */
#define FT_GEN_MAX_DATAGRAM 8192
#define FT_GEN_DEFAULT_DATAGRAM_SIZE 1400
#define FT_GEN_DEFAULT_TEMPLATE_EVERY 100
/* A record lasts up to a minute by default, as a router's active timeout cuts flows. */
#define FT_GEN_DEFAULT_FLOW_MS 60000
#define FT_GEN_MAX_FLOW_MS 65536

/* The data template of v9 and IPFIX datagrams (template ID 256 and 257). */
enum ft_gen_template {
	/* 18 fields: bytes, packets, protocol, ToS, TCP flags, ports, IPv4 addresses and
	 * masks, interfaces, next hop, AS numbers, flow end and start (v9: sysUptime ms,
	 * IE 21/22; IPFIX: UTC ms, IE 153/152).  49 bytes a record in v9, 70 in IPFIX. */
	FT_GEN_TEMPLATE_V4 = 0,
	/* The same fields with IPv6 addresses, prefix lengths and next hop (IE 27, 28,
	 * 29, 30, 62).  85 bytes a record in v9, 106 in IPFIX. */
	FT_GEN_TEMPLATE_V6,
};

struct ft_gen_opts {
	uint64_t seed;
	uint32_t exporters;          /* 1..256: v5 engine IDs (engine_type 0), v9 source
	                              * IDs, IPFIX observation domain IDs 0..exporters-1 */
	uint32_t records_per_datagram; /* v5: 1..30.  v9/IPFIX: at most this many data
	                              * records a datagram; 0 = as many as datagram_size
	                              * holds */
	uint16_t sampling_interval;  /* v5 only: the header's 16-bit field as is: 2-bit
	                              * mode, 14-bit interval; 0 = unsampled */
	int64_t start_ms;            /* export time of the first datagram, UTC ms */
	uint32_t ms_per_datagram;    /* export clock advance per datagram (0 = frozen) */
	struct ft_prefix src_prefix; /* prefixes the random addresses come from: IPv4, or */
	struct ft_prefix dst_prefix; /* IPv6 with FT_GEN_TEMPLATE_V6 */
	uint8_t version;             /* 5 (also 0), 9, or 10 (IPFIX) */
	enum ft_gen_template template;  /* v9/IPFIX; v5 records are IPv4 */
	/* v9/IPFIX: each exporter sends its template in its first datagram and in every
	 * template_every-th one after (0 = FT_GEN_DEFAULT_TEMPLATE_EVERY); only in the
	 * first when template_once.  With template_separate the template goes in a
	 * datagram of its own, just before the data datagram it would have been in. */
	uint32_t template_every;
	bool template_once;
	bool template_separate;
	uint32_t datagram_size;      /* v9/IPFIX: data sets fill datagrams up to this many
	                              * bytes (0 = FT_GEN_DEFAULT_DATAGRAM_SIZE), at most
	                              * FT_GEN_MAX_DATAGRAM */
	uint32_t max_flow_ms;        /* records last less than this many ms (0:
	                              * FT_GEN_DEFAULT_FLOW_MS), at most FT_GEN_MAX_FLOW_MS */
};

struct ft_gen_totals {
	uint64_t datagrams;          /* template-only datagrams included */
	uint64_t records;            /* data records */
	uint64_t bytes;
	uint64_t packets;
	uint64_t templates;          /* template records (v9/IPFIX) */
};

struct ft_gen;

/* Fills unset fields of opts with defaults (version 5, 1 exporter, 30 records a v5
 * datagram, 10.0.0.0/8 to 192.168.0.0/16 or, with the IPv6 template, 2001:db8:1::/48
 * to 2001:db8:2::/48, template every 100 datagrams, 1400-byte datagrams, records of up
 * to a minute, start now). */
void ft_gen_opts_default(struct ft_gen_opts *opts);
/* Smallest datagram_size that holds the template (unless separate) and one record
 * with these options; 0 for version 5 or an unknown version or template. */
size_t ft_gen_min_datagram_size(const struct ft_gen_opts *opts);
/* A new generator, owned by the caller (opts is copied).  NULL with errno EINVAL when
 * opts are out of range (version, exporters, records_per_datagram, a prefix of the
 * wrong family, datagram_size, max_flow_ms, start_ms outside 0 .. 2^32 s), or ENOMEM. */
struct ft_gen *ft_gen_new(const struct ft_gen_opts *opts);
/* Frees g (NULL is fine); returns NULL. */
struct ft_gen *ft_gen_free(struct ft_gen *g);

/* Longest datagram g builds, at most FT_GEN_MAX_DATAGRAM. */
size_t ft_gen_datagram_max(const struct ft_gen *g);

/* Builds the next datagram into buf; returns its length and the exporter index it
 * belongs to.  Exporters take turns, one datagram each.  Sequence numbers are kept per
 * exporter as the RFCs say: v5 and IPFIX count data records sent before the datagram
 * (RFC 7011 §3.1), v9 counts datagrams (RFC 3954 §5.1).  Returns 0, building nothing,
 * when cap is too small for it (cap >= ft_gen_datagram_max() is always enough). */
size_t ft_gen_next(struct ft_gen *g, uint8_t *buf, size_t cap, uint32_t *ret_exporter);

/* Whether an exporter's n-th datagram (from 0) carries its template under g's
 * options; always false for v5.  With template_separate such a datagram holds the
 * template only. */
bool ft_gen_carries_template(const struct ft_gen *g, uint64_t n);
/* By how much a datagram with totals d advances its exporter's sequence number:
 * d->records (v5, IPFIX) or 1 (v9). */
uint32_t ft_gen_sequence_step(const struct ft_gen *g, const struct ft_gen_totals *d);

/* Totals of everything built so far, per exporter index (NULL when exporter is out of
 * range) and overall.  The pointers stay valid, and current, until ft_gen_free(). */
const struct ft_gen_totals *ft_gen_totals(const struct ft_gen *g, uint32_t exporter);
const struct ft_gen_totals *ft_gen_total(const struct ft_gen *g);

/* Totals of the datagram the last ft_gen_next() built (datagrams = 1; all zero before
 * the first), for callers that keep datagrams and account for them when sent. */
const struct ft_gen_totals *ft_gen_last(const struct ft_gen *g);

/* Makes a datagram that ft_gen_next() built fit to be sent again: writes export_ns
 * (UTC ns, 0 .. 2^32 s) as its export time and sequence as its sequence number, and
 * moves every record's times so that they keep their age: v5 and v9 by as much as
 * sysUptime moved (v5 First/Last, v9 FIRST/LAST_SWITCHED), IPFIX by as much as the
 * header's export second moved (flowStart/EndMilliseconds; generated IPFIX records
 * are timed from the export second).  Records, addresses and counters are left
 * alone.  0, or -EINVAL when buf is not a whole datagram of g's version and template
 * or export_ns is out of range (buf is then left as it was). */
int ft_gen_restamp(const struct ft_gen *g, uint8_t *buf, size_t len, int64_t export_ns,
                   uint32_t sequence);

/* ---- What a tenant map should make of the traffic ----
 *
 * Expected per-tenant volumes, worked out apart from the collector's tenant map: a
 * table of "prefix tenant" rules searched by a plain linear scan for the longest
 * prefix that holds an address (IPv4 rules hold only IPv4 addresses, IPv6 rules only
 * IPv6 ones), applied to the records of a datagram as the README's attribution
 * contract says: the source's tenant gets the record as "out", the destination's as
 * "in", an address no rule holds goes to the unattributed bucket of its side; bytes
 * and packets are multiplied by the record's sampling rate (the v5 header's interval,
 * or 1; generated v9 and IPFIX traffic is unsampled) and each record is one flow. */

#define FT_GEN_TENANT_NAME_MAX 32   /* NUL included, as the collector's names */

struct ft_gen_volume {
	uint64_t bytes;
	uint64_t packets;
	uint64_t flows;
};

enum ft_gen_side { FT_GEN_OUT = 0, FT_GEN_IN = 1 };  /* source side, destination side */

/* What one datagram gives one (tenant, side).  tenant is an index of the table, or
 * the table's tenant count for the unattributed bucket. */
struct ft_gen_share {
	uint32_t tenant;
	uint32_t side;               /* enum ft_gen_side */
	struct ft_gen_volume v;
};

struct ft_gen_tenants;

/* An empty table, owned by the caller; NULL with errno ENOMEM. */
struct ft_gen_tenants *ft_gen_tenants_new(void);
/* Frees t (NULL is fine); returns NULL. */
struct ft_gen_tenants *ft_gen_tenants_free(struct ft_gen_tenants *t);
/* Feeds one line of a prefix file: "PREFIX TENANT" separated by blanks, an optional
 * "# comment" after, or a blank or comment line.  Tenants are numbered in order of
 * first appearance.  0; -EINVAL with the reason in err (not a prefix, a bad tenant
 * name, a missing or extra field, the same prefix given to two tenants); -ENOMEM.
 * The same prefix given twice to one tenant counts once. */
int ft_gen_tenants_line(struct ft_gen_tenants *t, const char *line, char *err, size_t err_size);
/* Number of tenants; also the index of the unattributed bucket. */
uint32_t ft_gen_tenants_count(const struct ft_gen_tenants *t);
/* Name of tenant i (NULL when out of range); valid until t is freed. */
const char *ft_gen_tenants_name(const struct ft_gen_tenants *t, uint32_t i);
/* The tenant whose longest prefix holds a, or ft_gen_tenants_count(t) when none. */
uint32_t ft_gen_tenants_lookup(const struct ft_gen_tenants *t, const struct ft_addr *a);

/* The most shares ft_gen_shares() gives for a datagram of g (two a record). */
size_t ft_gen_shares_max(const struct ft_gen *g);
/* Works out what datagram buf (built by g, restamped or not) gives each (tenant,
 * side), one share per pair that gets something, sorted by tenant then side.  Returns
 * how many shares it wrote into ret, -EINVAL when buf is not a datagram of g's
 * version and template, or -ENOBUFS when cap is too small (cap >= ft_gen_shares_max()
 * always does). */
int ft_gen_shares(const struct ft_gen *g, const struct ft_gen_tenants *t, const uint8_t *buf,
                  size_t len, struct ft_gen_share *ret, size_t cap);

#endif
