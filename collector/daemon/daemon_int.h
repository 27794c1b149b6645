/* flowtallyd internals: the per-thread pipeline that both the UDP receivers and
 * --replay drive, so a capture goes through exactly what the network goes through. */
#ifndef FT_DAEMON_INT_H
#define FT_DAEMON_INT_H

#include "flowtally/agg.h"
#include "flowtally/config.h"
#include "flowtally/netflow.h"
#include "flowtally/stats.h"

/* Decoded flows handed on to attribution and aggregation at a time: one v5 datagram's
 * worth (a v5 datagram is decoded straight into the batch when 30 records fit), small
 * enough to stay in the first-level cache. */
#define FT_PIPELINE_BATCH 32

struct ft_pipeline {
	const struct ft_config *cfg;
	struct ft_netflow *nf;
	struct ft_flow_batch batch;
	struct ft_rejects rejects;
	struct ft_addr last_ok;     /* the last source that passed the allow-list */
	bool have_last_ok;
	char state_path[4096];      /* where this pipeline's templates are saved */
	const struct ft_tenant_map *map;
	struct ft_agg *agg;
};

/* index: the receive thread's number, which names its state file; now_ms starts the
 * step clock. */
int ft_pipeline_init(struct ft_pipeline *p, const struct ft_config *cfg, unsigned index,
                     const struct ft_tenant_map *map, int64_t now_ms);
/* Hands the batched records to aggregation. */
void ft_pipeline_flush(struct ft_pipeline *p);
void ft_pipeline_done(struct ft_pipeline *p);
/* Checks the allow-list, decodes, and hands the records on. */
void ft_pipeline_datagram(struct ft_pipeline *p, const struct ft_datagram *dg);
/* Loads the templates every pipeline saved (state/templates*.json); saves this one's. */
void ft_pipeline_load_state(struct ft_pipeline *p);
void ft_pipeline_save_state(struct ft_pipeline *p);
/* At the end: counts what still waits for a template, saves templates. */
void ft_pipeline_finish(struct ft_pipeline *p);
/* Adds this pipeline's counters to s. */
int ft_pipeline_snapshot(const struct ft_pipeline *p, struct ft_stats *s);

#endif
