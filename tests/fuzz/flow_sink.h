/* A flow batch for the NetFlow fuzz targets that checks every flow handed out.
 *
 * struct flow_sink owns a struct ft_flow_batch whose flush hook consumes the flows, so
 * decoders may fill it past its capacity, flushing in the middle of a datagram, and
 * nothing is lost.  Every flow leaves the batch through sink_drain(), directly or by the
 * hook, exactly once; each is checked against what netflow.h and flow.h promise of any
 * flow (see flow_sink.c) and counted per exporter key, so a target can compare an
 * exporter's records, bytes and packets with the flows that were really handed out.
 */
#ifndef FT_FUZZ_FLOW_SINK_H
#define FT_FUZZ_FLOW_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/netflow.h"

/* What the flows of one exporter key added up to. */
struct sink_tally {
	struct ft_exporter_key key;
	uint64_t records;          /* first halves: one per data record */
	uint64_t flows;            /* first and second halves */
	uint64_t bytes;            /* of the flows without FT_FLOW_NOT_ACCOUNTED */
	uint64_t packets;
};

#define SINK_MAX_KEYS 128

struct flow_sink {
	struct ft_flow_batch batch;
	struct sink_tally t[SINK_MAX_KEYS];
	size_t n;
	uint64_t records;          /* sum of t[].records */
	uint64_t flows;
	uint64_t flushes;          /* calls of the flush hook */
	struct ft_flow prev;       /* the last flow consumed */
	bool have_prev;
	const struct ft_exporter_conf *conf;   /* as given to ft_netflow_new() */
	size_t n_conf;
};

/* A batch of cap flows (cap >= 1), flushed into the sink.  conf is borrowed. */
void sink_init(struct flow_sink *s, size_t cap, const struct ft_exporter_conf *conf, size_t n_conf);
void sink_done(struct flow_sink *s);
/* Consumes and checks the flows in the batch; leaves it empty. */
void sink_drain(struct flow_sink *s);
/* The tally of key k; a zero tally (with key k) when no flow had it. */
struct sink_tally sink_tally_of(const struct flow_sink *s, const struct ft_exporter_key *k);

bool exporter_key_equal(const struct ft_exporter_key *a, const struct ft_exporter_key *b);

#endif
