/* The receive path of one thread (pipeline.h).
 *
 * A datagram passes the exporter allow-list (the last source that passed is
 * remembered, since datagrams come in runs from one exporter), then the decoder, which
 * appends its flows to a batch of FT_PIPELINE_BATCH; a full batch, and whatever is in it
 * when steps close or the view changes, runs through the stages after decoding
 * (run_stages(): the stage list).  The view is the only shared thing the stages read,
 * and they are given it at every call.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/agg.h"
#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "flowtally/log.h"
#include "flowtally/netflow.h"
#include "flowtally/pipeline.h"

struct ft_pipeline {
	const struct ft_config *cfg;
	struct ft_pipeline_opts o;
	const struct ft_view *view;
	struct ft_netflow *nf;
	struct ft_flow_batch batch;
	struct ft_attr attr[FT_PIPELINE_BATCH];
	struct ft_agg *agg;
	struct ft_rejects rejects;
	struct ft_addr last_ok;     /* the last source that passed the allow-list */
	bool have_last_ok;
	char state_path[4200];      /* where this pipeline's templates are saved */
	char old_path[4200];        /* where flowtally saved them in JSON before (upgrade) */
};

/* The stages after decoding, in order, on one batch.  An enrich stage (interface names
 * from SNMP, GeoIP and ASN) is one more call here, before attribution. */
static void run_stages(struct ft_pipeline *p, struct ft_flow *f, size_t n)
{
	const struct ft_view *v = p->view;
	ft_tenant_attribute_batch(v->tenants, f, n, p->attr);
	ft_agg_add_batch(p->agg, f, p->attr, n);
}

static void flush(struct ft_flow_batch *b, void *ctx)
{
	run_stages(ctx, b->flows, b->n);
	b->n = 0;
}

static void set_state_path(struct ft_pipeline *p)
{
	const char *dir = p->cfg->data_dir;
	if (p->o.index == 0) {
		snprintf(p->state_path, sizeof(p->state_path), "%s/state/templates.state", dir);
		snprintf(p->old_path, sizeof(p->old_path), "%s/state/templates.json", dir);
	} else {
		snprintf(p->state_path, sizeof(p->state_path), "%s/state/templates-%u.state", dir, p->o.index);
		snprintf(p->old_path, sizeof(p->old_path), "%s/state/templates-%u.json", dir, p->o.index);
	}
}

int ft_pipeline_new(const struct ft_config *cfg, const struct ft_pipeline_opts *o,
                    const struct ft_view *v, int64_t now_ms, struct ft_pipeline **ret)
{
	struct ft_pipeline *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct ft_pipeline){ .cfg = cfg, .o = *o, .view = v };
	set_state_path(p);
	p->agg = ft_agg_new(&cfg->agg, v->tenants, now_ms);
	p->nf = ft_netflow_new(&cfg->netflow);
	p->batch = (struct ft_flow_batch){ .flows = calloc(FT_PIPELINE_BATCH, sizeof(struct ft_flow)),
	                                   .cap = FT_PIPELINE_BATCH, .flush = flush, .ctx = p };
	if (!p->agg || !p->nf || !p->batch.flows) {
		int r = !p->agg && cfg->agg.step_ms <= 0 ? -EINVAL : -ENOMEM;
		ft_pipeline_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

struct ft_pipeline *ft_pipeline_free(struct ft_pipeline *p)
{
	if (p) {
		ft_agg_free(p->agg);
		ft_netflow_free(p->nf);
		free(p->batch.flows);
		free(p);
	}
	return NULL;
}

static bool allowed(struct ft_pipeline *p, const struct ft_addr *a)
{
	if (p->o.accept_all || (p->have_last_ok && ft_addr_equal(&p->last_ok, a)))
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

const struct ft_view *ft_pipeline_view(const struct ft_pipeline *p)
{
	return p->view;
}

int ft_pipeline_use_view(struct ft_pipeline *p, const struct ft_view *v)
{
	flush(&p->batch, p);
	int r = ft_agg_set_map(p->agg, v->tenants);
	if (r != -ENOMEM)
		p->view = v;
	return r;
}

#define CLOSE_BATCH 8

int64_t ft_pipeline_close(struct ft_pipeline *p, int64_t now_ms, const struct ft_step_out *out)
{
	struct ft_step st[CLOSE_BATCH];
	size_t n;
	bool all = now_ms == FT_PIPELINE_CLOSE_ALL;
	flush(&p->batch, p);
	do {
		n = all ? ft_agg_flush(p->agg, st, CLOSE_BATCH) : ft_agg_advance(p->agg, now_ms, st, CLOSE_BATCH);
		for (size_t i = 0; i < n; i++)
			out->step(&st[i], out->ctx);
	} while (n == CLOSE_BATCH);
	/* a step some record may still go into, or one held back by a close cut short */
	int64_t held = ft_agg_first_held(p->agg), oldest = ft_agg_oldest(p->agg);
	return all || held < oldest ? held : oldest;
}

int ft_pipeline_replay(struct ft_pipeline *p, struct ft_pcap_reader *rd, const struct ft_step_out *out)
{
	struct ft_datagram dg;
	int r;
	while ((r = ft_pcap_next(rd, &dg)) > 0) {
		/* the capture's time is the clock: it moves before the datagram's records */
		ft_pipeline_close(p, dg.recv_ns / FT_NS_PER_MS, out);
		ft_pipeline_datagram(p, &dg);
	}
	ft_pipeline_finish(p);
	ft_pipeline_close(p, FT_PIPELINE_CLOSE_ALL, out);
	return r;
}

int ft_pipeline_restore(struct ft_pipeline *p, const struct ft_step *s)
{
	return ft_agg_restore(p->agg, s);
}

int ft_pipeline_open_steps(const struct ft_pipeline *p, struct ft_step **ret, size_t *ret_n)
{
	size_t k = ft_agg_max_open(p->agg);
	struct ft_step *s = calloc(k + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*ret_n = ft_agg_snapshot(p->agg, s, k);
	*ret = s;
	return 0;
}

int ft_pipeline_stats(const struct ft_pipeline *p, struct ft_stats *s)
{
	ft_rejects_merge(&s->rejects, &p->rejects);
	s->agg_refused += ft_agg_refused(p->agg);
	return ft_stats_add_netflow(s, p->nf);
}

void ft_pipeline_share_budget(struct ft_pipeline *p, const struct ft_pipeline *with)
{
	ft_netflow_share_budget(p->nf, with->nf);
}

void ft_pipeline_set_shard(struct ft_pipeline *p, unsigned index, unsigned n)
{
	ft_netflow_set_shard(p->nf, index, n);
}

/* One thread's saved templates.  A damaged file is set aside (what is valid in it is
 * used all the same): kept for inspection, and out of the way of the next save, which
 * would replace it.  Every thread reads every file (keeping the exporters it receives,
 * ft_pipeline_set_shard()), one after the other at the start,
 * so the first to find a damaged one reports it and the others no longer see it. */
static void load_file(struct ft_pipeline *p, const char *path)
{
	char why[300], what[400];
	int r = ft_netflow_load(p->nf, path, ft_clock_now_ns(), why, sizeof(why));
	if (r == 0)
		ft_log_info(FT_LOG_NETFLOW, "templates loaded from %s", path);
	else if (r == -ENOSPC)
		ft_log_warn(FT_LOG_NETFLOW, "%s: %s: the others are loaded", path, why);
	else if (r == -EINVAL) {
		snprintf(what, sizeof(what), "the saved templates are damaged (%s): what is valid in them "
		         "is loaded, exporters resend the rest", why);
		ft_file_damaged(FT_LOG_ERR, FT_LOG_NETFLOW, path, what);
	} else if (r != -ENOENT)
		ft_log_err(FT_LOG_NETFLOW, "%s: cannot load the saved templates: %s", path, strerror(-r));
}

void ft_pipeline_load_state(struct ft_pipeline *p)
{
	static const char *const names[] = { "templates*.json", "templates*.state" };
	char pattern[4200];
	glob_t g;
	if (!p->o.keep_state)
		return;
	/* the JSON files of an earlier version first: a binary file written since wins */
	for (size_t k = 0; k < 2; k++) {
		snprintf(pattern, sizeof(pattern), "%s/state/%s", p->cfg->data_dir, names[k]);
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++)
			load_file(p, g.gl_pathv[i]);
		globfree(&g);
	}
}

/* Saves the templates; at the stop (final) the JSON of an earlier version goes too:
 * every thread has saved what it took from it by then (loading it marks the state
 * changed, so each saves within state_interval; a crash before the stop leaves it to
 * be read again, and the binary files read after it win). */
static void save_state(struct ft_pipeline *p, bool final)
{
	char dir[4200], err[4400];
	if (!p->o.keep_state)
		return;
	snprintf(dir, sizeof(dir), "%s/state", p->cfg->data_dir);
	if (ft_file_own_dir(dir, geteuid(), (gid_t)-1, err, sizeof(err)) < 0) {
		ft_log_err(FT_LOG_NETFLOW, "%s", err);
		return;
	}
	int r = ft_netflow_save(p->nf, p->state_path);
	if (r < 0)
		ft_log_err(FT_LOG_NETFLOW, "cannot save templates to %s: %s", p->state_path, ft_file_strerror(r));
	else if (final)
		unlink(p->old_path);
}

void ft_pipeline_save_state(struct ft_pipeline *p)
{
	if (ft_netflow_dirty(p->nf))
		save_state(p, false);
}

void ft_pipeline_finish(struct ft_pipeline *p)
{
	flush(&p->batch, p);
	ft_netflow_drop_pending(p->nf);
	save_state(p, true);
}
