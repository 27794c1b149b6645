/* flowtallyd internals: the per-thread pipeline that both the UDP receivers and
 * --replay drive, so a capture goes through exactly what the network goes through. */
#ifndef FT_DAEMON_INT_H
#define FT_DAEMON_INT_H

#include "flowtally/config.h"
#include "flowtally/netflow.h"
#include "flowtally/stats.h"

#define FT_PIPELINE_BATCH 1024

struct ft_pipeline {
	const struct ft_config *cfg;
	struct ft_netflow *nf;
	struct ft_flow_batch batch;
	struct ft_rejects rejects;
	struct ft_addr last_ok;     /* the last source that passed the allow-list */
	bool have_last_ok;
};

int ft_pipeline_init(struct ft_pipeline *p, const struct ft_config *cfg);
void ft_pipeline_done(struct ft_pipeline *p);
/* Checks the allow-list, decodes, and hands the records on. */
void ft_pipeline_datagram(struct ft_pipeline *p, const struct ft_datagram *dg);
/* Adds this pipeline's counters to s. */
int ft_pipeline_snapshot(const struct ft_pipeline *p, struct ft_stats *s);

#endif
