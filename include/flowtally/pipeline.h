/* flowtally — the receive path of one thread.
 *
 * A source's datagrams (the UDP listener's, or a capture's) go through the exporter
 * allow-list and then the stages, each a call on a batch of plain structs:
 *
 *   decode (netflow.h) → enrich → attribute (tenant.h) → aggregate (agg.h) → closed steps
 *
 * The stages after decoding read one immutable view (view.h), given to the pipeline
 * and swapped by ft_pipeline_use_view().  Closed steps are handed to the caller, who
 * sends them to the sinks.  The UDP receive threads, `flowtallyd --replay` and
 * `flowtally replay --by-tenant` all run this code, so a capture is counted by exactly
 * what counts the network.  Nothing here allocates per datagram or per record; one
 * pipeline belongs to one thread.
 */
#ifndef FLOWTALLY_PIPELINE_H
#define FLOWTALLY_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/config.h"
#include "flowtally/datagram.h"
#include "flowtally/pcap.h"
#include "flowtally/stats.h"
#include "flowtally/step.h"
#include "flowtally/view.h"

/* Decoded flows go through the stages this many at a time: one v5 datagram's worth (a
 * v5 datagram is decoded straight into the batch when 30 records fit), small enough to
 * stay in the first-level cache. */
#define FT_PIPELINE_BATCH 32

/* ft_pipeline_close(): close every step (at a stop, or at the end of a capture). */
#define FT_PIPELINE_CLOSE_ALL INT64_MAX

struct ft_pipeline_opts {
	unsigned index;             /* the receive thread's number: names its template file */
	bool accept_all;            /* no exporter allow-list (flowtally replay) */
	bool keep_state;            /* templates loaded from and saved to DATA_DIR/state/ */
};

/* Receives a closed step; takes it (ft_step_done). */
struct ft_step_out {
	void (*step)(struct ft_step *s, void *ctx);
	void *ctx;
};

struct ft_pipeline;

/* A pipeline reading cfg (which must outlive it) and view v, with the step clock at
 * now_ms (the wall clock, or for a capture INT64_MIN / 4: its first datagram moves it).
 * 0 and *ret (the caller's: ft_pipeline_free), -EINVAL for cfg's step and lateness,
 * -ENOMEM. */
int ft_pipeline_new(const struct ft_config *cfg, const struct ft_pipeline_opts *o,
                    const struct ft_view *v, int64_t now_ms, struct ft_pipeline **ret);
/* NULL-safe; returns NULL. */
struct ft_pipeline *ft_pipeline_free(struct ft_pipeline *p);

/* One datagram: allow-list, decode; its flows go on through the stages in batches. */
void ft_pipeline_datagram(struct ft_pipeline *p, const struct ft_datagram *dg);

/* The view in use. */
const struct ft_view *ft_pipeline_view(const struct ft_pipeline *p);
/* From now on the stages read v (which must outlive its use); the records decoded so
 * far go through the old view first, and the open steps keep their counts.  0;
 * -ENOMEM: still on the old view; -ENOBUFS: on v, but some counts of tenants or
 * classes v lacks were lost. */
int ft_pipeline_use_view(struct ft_pipeline *p, const struct ft_view *v);

/* The records decoded so far go through the stages, the step clock moves to now_ms
 * (never back; FT_PIPELINE_CLOSE_ALL closes every step), and each step whose lateness
 * window has passed goes to out, oldest first.  Returns the start of the oldest step
 * still open (FT_PIPELINE_CLOSE_ALL when none is left): every step before it has gone
 * to out. */
int64_t ft_pipeline_close(struct ft_pipeline *p, int64_t now_ms, const struct ft_step_out *out);

/* Feeds a capture: before each datagram the capture's time moves the step clock, and
 * at the end every data set still waiting for its template is counted as such, the
 * templates are saved (keep_state) and every step is closed.  0, or the reader's
 * negative errno (the datagrams before the error are counted). */
int ft_pipeline_replay(struct ft_pipeline *p, struct ft_pcap_reader *rd, const struct ft_step_out *out);

/* Steps saved open at the last stop, back into the open window (or, when their window
 * has passed, closed at the next ft_pipeline_close()).  0, -EINVAL (another step
 * length, or a step beyond the clock), -ENOMEM. */
int ft_pipeline_restore(struct ft_pipeline *p, const struct ft_step *s);
/* The steps still open (restored ones included), for saving at a stop: *ret the
 * caller's (ft_step_done each, then free).  0 or -ENOMEM. */
int ft_pipeline_open_steps(const struct ft_pipeline *p, struct ft_step **ret, size_t *ret_n);

/* Templates: loaded from every pipeline's saved file (keep_state), saved when changed
 * (ft_pipeline_save_state() checks) and at ft_pipeline_finish(). */
void ft_pipeline_load_state(struct ft_pipeline *p);
void ft_pipeline_save_state(struct ft_pipeline *p);
/* At a stop: the records through the stages, the data sets still waiting for a
 * template counted as no_template, the templates saved. */
void ft_pipeline_finish(struct ft_pipeline *p);

/* Adds this pipeline's counters (exporters, rejected sources, records the aggregation
 * refused) to s. 0 or -ENOMEM. */
int ft_pipeline_stats(const struct ft_pipeline *p, struct ft_stats *s);
/* Makes p's decoder count against with's memory budget (ft_netflow_share_budget()):
 * the receive threads share one.  Before either thread runs. */
void ft_pipeline_share_budget(struct ft_pipeline *p, const struct ft_pipeline *with);
/* p is receive thread index of n: it loads the saved templates of its exporters only
 * (ft_netflow_set_shard()). */
void ft_pipeline_set_shard(struct ft_pipeline *p, unsigned index, unsigned n);

#endif
