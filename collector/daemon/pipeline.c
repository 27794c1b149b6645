/* The receive pipeline of one thread: allow-list, decode, and (from the attribution
 * stage on) aggregation.  Nothing here allocates per datagram or per record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"

int ft_pipeline_init(struct ft_pipeline *p, const struct ft_config *cfg)
{
	struct ft_netflow_opts o = { .max_exporters = cfg->max_exporters };
	*p = (struct ft_pipeline){ .cfg = cfg };
	p->nf = ft_netflow_new(&o);
	p->batch.flows = calloc(FT_PIPELINE_BATCH, sizeof(struct ft_flow));
	p->batch.cap = FT_PIPELINE_BATCH;
	if (!p->nf || !p->batch.flows) {
		ft_pipeline_done(p);
		return -ENOMEM;
	}
	return 0;
}

void ft_pipeline_done(struct ft_pipeline *p)
{
	ft_netflow_free(p->nf);
	free(p->batch.flows);
	*p = (struct ft_pipeline){ 0 };
}

static bool allowed(struct ft_pipeline *p, const struct ft_addr *a)
{
	if (p->have_last_ok && ft_addr_equal(&p->last_ok, a))
		return true;
	if (!ft_config_exporter_allowed(p->cfg, a))
		return false;
	p->last_ok = *a;
	p->have_last_ok = true;
	return true;
}

/* Records leave here for the next stage; until attribution lands, the per-exporter
 * counters kept by ft_netflow_input() are the whole result. */
static void flush(struct ft_pipeline *p)
{
	p->batch.n = 0;
}

void ft_pipeline_datagram(struct ft_pipeline *p, const struct ft_datagram *dg)
{
	if (!allowed(p, &dg->src)) {
		ft_rejects_add(&p->rejects, &dg->src, 1);
		return;
	}
	if (p->batch.cap - p->batch.n < FT_NETFLOW_BATCH_MIN)
		flush(p);
	ft_netflow_input(p->nf, dg, &p->batch);
}

int ft_pipeline_snapshot(const struct ft_pipeline *p, struct ft_stats *s)
{
	ft_rejects_merge(&s->rejects, &p->rejects);
	return ft_stats_add_netflow(s, p->nf);
}
