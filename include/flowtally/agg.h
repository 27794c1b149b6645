/* flowtally — aggregation of attributed flows into time steps.
 *
 * One struct ft_agg per receive thread (no locks, no allocation per record).  Steps are
 * aligned to multiples of the step length in UTC.  A step stays open until `lateness`
 * after its end; a record (part) older than the oldest open step goes into that step
 * and is counted as late: never dropped.  A record's bytes and packets, multiplied by
 * its sampling rate, are spread over the steps its lifetime spans, pro rata by time,
 * with exact integer remainders (largest remainder), so the parts add up to the whole.
 * Its flow count goes to the step of its end.
 *
 * Counters live in dense arrays indexed by the tenant map's tenant and class numbers;
 * ft_agg_set_map() re-keys the open steps by name when the map changes, so a reload
 * keeps every count.
 */
#ifndef FLOWTALLY_AGG_H
#define FLOWTALLY_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"
#include "flowtally/step.h"
#include "flowtally/tenant.h"

struct ft_agg_opts {
	int64_t step_ms;            /* divides a day */
	int64_t lateness_ms;
};

struct ft_agg;

/* now_ms: the clock the agg starts at (wall clock, or a capture's first time). */
struct ft_agg *ft_agg_new(const struct ft_agg_opts *o, const struct ft_tenant_map *map, int64_t now_ms);
struct ft_agg *ft_agg_free(struct ft_agg *a);
/* Switches to another map (owned by the caller, who keeps it alive while in use);
 * the open steps' counts are re-keyed by name.  0 or -ENOMEM (counts kept even then,
 * but some may stay keyed to the old map's numbering: the caller should not free it). */
int ft_agg_set_map(struct ft_agg *a, const struct ft_tenant_map *map);

/* Attributes and adds one flow (never fails, never allocates). */
void ft_agg_add(struct ft_agg *a, const struct ft_flow *f);
/* The same for n flows, faster (the tenant map lookups of several flows overlap). */
void ft_agg_add_batch(struct ft_agg *a, const struct ft_flow *f, size_t n);

/* Moves the clock to now_ms (never back), closing the steps whose lateness window has
 * passed: up to cap of them into ret (oldest first; each to be ft_step_done()).  Returns
 * how many were closed; call again while it returns cap. */
size_t ft_agg_advance(struct ft_agg *a, int64_t now_ms, struct ft_step *ret, size_t cap);
/* Closes every open step (at exit, or at the end of a capture). */
size_t ft_agg_flush(struct ft_agg *a, struct ft_step *ret, size_t cap);

/* The open steps (and restored ones still to close), for saving at a clean stop; cap
 * should be ft_agg_max_open().  ft_agg_restore() adds saved
 * steps back (a step already past its window closes at the next advance). */
size_t ft_agg_snapshot(const struct ft_agg *a, struct ft_step *ret, size_t cap);
int ft_agg_restore(struct ft_agg *a, const struct ft_step *s);

/* Start of the oldest open step. */
int64_t ft_agg_oldest(const struct ft_agg *a);
/* The most steps ft_agg_snapshot() can return now (open and restored). */
size_t ft_agg_max_open(const struct ft_agg *a);

#endif
