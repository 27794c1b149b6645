/* The receive pipeline of one thread: allow-list, decode, and (from the attribution
 * stage on) aggregation.  Nothing here allocates per datagram or per record. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flowtally/clock.h"
#include "flowtally/log.h"

#include "daemon_int.h"

/* Decoded records go to attribution and aggregation in batches. */
static void flush(struct ft_flow_batch *b, void *ctx)
{
	struct ft_pipeline *p = ctx;
	ft_agg_add_batch(p->agg, b->flows, b->n);
	b->n = 0;
}

void ft_pipeline_flush(struct ft_pipeline *p)
{
	flush(&p->batch, p);
}

int ft_pipeline_init(struct ft_pipeline *p, const struct ft_config *cfg, unsigned index,
                     const struct ft_tenant_map *map, int64_t now_ms)
{
	struct ft_netflow_opts o;
	struct ft_agg_opts ao = { cfg->step * 1000ll, cfg->lateness * 1000ll };
	ft_config_netflow_opts(cfg, &o);
	*p = (struct ft_pipeline){ .cfg = cfg, .map = map };
	p->agg = ft_agg_new(&ao, map, now_ms);
	if (index == 0)
		snprintf(p->state_path, sizeof(p->state_path), "%s/state/templates.json", cfg->data_dir);
	else
		snprintf(p->state_path, sizeof(p->state_path), "%s/state/templates-%u.json", cfg->data_dir, index);
	p->nf = ft_netflow_new(&o);
	p->batch.flows = calloc(FT_PIPELINE_BATCH, sizeof(struct ft_flow));
	p->batch.cap = FT_PIPELINE_BATCH;
	p->batch.flush = flush;
	p->batch.ctx = p;
	if (!p->nf || !p->batch.flows || !p->agg) {
		ft_pipeline_done(p);
		return -ENOMEM;
	}
	return 0;
}

void ft_pipeline_done(struct ft_pipeline *p)
{
	ft_agg_free(p->agg);
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

void ft_pipeline_datagram(struct ft_pipeline *p, const struct ft_datagram *dg)
{
	if (!allowed(p, &dg->src)) {
		ft_rejects_add(&p->rejects, &dg->src, 1);
		return;
	}
	ft_netflow_input(p->nf, dg, &p->batch);
}

int ft_pipeline_snapshot(const struct ft_pipeline *p, struct ft_stats *s)
{
	ft_rejects_merge(&s->rejects, &p->rejects);
	return ft_stats_add_netflow(s, p->nf);
}

void ft_pipeline_load_state(struct ft_pipeline *p)
{
	char pattern[4200];
	glob_t g;
	snprintf(pattern, sizeof(pattern), "%s/state/templates*.json", p->cfg->data_dir);
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int r = ft_netflow_load(p->nf, g.gl_pathv[i], ft_clock_now_ns());
		if (r == 0)
			ft_log_info(FT_LOG_NETFLOW, "templates loaded from %s", g.gl_pathv[i]);
	}
	globfree(&g);
}

void ft_pipeline_save_state(struct ft_pipeline *p)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/state", p->cfg->data_dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ft_log_err(FT_LOG_NETFLOW, "cannot create %s: %s", dir, strerror(errno));
		return;
	}
	int r = ft_netflow_save(p->nf, p->state_path);
	if (r < 0)
		ft_log_err(FT_LOG_NETFLOW, "cannot save templates to %s: %s", p->state_path, strerror(-r));
}

void ft_pipeline_finish(struct ft_pipeline *p)
{
	p->batch.flush(&p->batch, p->batch.ctx);
	ft_netflow_drop_pending(p->nf);
	ft_pipeline_save_state(p);
}
