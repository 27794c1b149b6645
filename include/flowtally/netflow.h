/* flowtally — export datagrams in, flow records out.
 *
 * struct ft_netflow is the decoding state of one receive thread: the table of exporters
 * it has heard from, with their statistics and sequence tracking.  The daemon's
 * receivers, `flowtallyd --replay` and `flowtally replay` all pass datagrams through
 * ft_netflow_input(), so a capture is decoded by exactly the code that decodes the
 * network.  Not thread-safe: one per thread, merged by copying statistics out.
 */
#ifndef FLOWTALLY_NETFLOW_H
#define FLOWTALLY_NETFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"

/* One received UDP datagram.  The payload is borrowed for the duration of the call. */
struct ft_datagram {
	struct ft_addr src;
	struct ft_addr dst;
	uint16_t sport;
	uint16_t dport;
	int64_t recv_ns;           /* receive time, UTC nanoseconds since the epoch */
	const uint8_t *data;
	size_t len;
};

/* Why a datagram (or part of one) was dropped.  Names are stable: they are the keys of
 * the "errors" objects in stats.json and in `flowtally replay --totals`. */
enum ft_nf_error {
	FT_NF_OK = 0,
	FT_NF_ERR_SHORT_HEADER,      /* shorter than the version's header */
	FT_NF_ERR_VERSION,           /* version field is not one flowtally decodes */
	FT_NF_ERR_COUNT,             /* record count outside the version's range */
	FT_NF_ERR_LENGTH,            /* datagram length disagrees with the record count */
	FT_NF_ERR_EXPORTER_LIMIT,    /* exporter table full (max_exporters) */
	FT_NF_ERR__MAX
};
const char *ft_nf_error_name(enum ft_nf_error e);

/* A caller-owned array that decoders append flow records to. */
struct ft_flow_batch {
	struct ft_flow *flows;
	size_t n;
	size_t cap;
};
/* The smallest batch ft_netflow_input() accepts: room for one datagram's records. */
#define FT_NETFLOW_BATCH_MIN 30

struct ft_exporter_key {
	struct ft_addr addr;
	uint32_t domain;           /* v5: engine_type << 8 | engine_id */
	uint8_t version;           /* 0 when the datagram was too broken to tell */
};

struct ft_exporter_stats {
	struct ft_exporter_key key;
	uint64_t datagrams;        /* every datagram, good or bad */
	uint64_t records;          /* flow records decoded */
	uint64_t bytes;            /* as exported */
	uint64_t packets;
	uint64_t lost_records;     /* estimated from sequence-number gaps */
	uint64_t seq_resets;       /* exporter restarts and backward jumps */
	uint64_t reordered;        /* datagrams that arrived behind the expected sequence */
	uint64_t errors[FT_NF_ERR__MAX];
	uint32_t sampling_rate;    /* last rate announced by the exporter (1 = none) */
	uint8_t sampling_mode;
	int64_t first_seen_ns;
	int64_t last_seen_ns;
};

struct ft_netflow_opts {
	uint32_t max_exporters;    /* cap on the exporter table; 0 means the default */
};
#define FT_NETFLOW_DEFAULT_MAX_EXPORTERS 4096

struct ft_netflow *ft_netflow_new(const struct ft_netflow_opts *opts);
struct ft_netflow *ft_netflow_free(struct ft_netflow *nf);

/* Decodes one datagram and appends its records to out (out->cap - out->n must be at
 * least FT_NETFLOW_BATCH_MIN).  Returns the number of records appended, or
 * -(enum ft_nf_error) when the datagram was dropped; either way it is counted. */
int ft_netflow_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out);

/* Copies up to cap exporter entries into ret; returns how many there are in all. */
size_t ft_netflow_exporters(const struct ft_netflow *nf, struct ft_exporter_stats *ret, size_t cap);

/* Sum over all exporters; key is zeroed. */
void ft_netflow_totals(const struct ft_netflow *nf, struct ft_exporter_stats *ret);
/* Adds src's counters into dst (keys are left alone). */
void ft_exporter_stats_add(struct ft_exporter_stats *dst, const struct ft_exporter_stats *src);

#endif
