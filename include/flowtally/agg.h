/* flowtally — aggregation of attributed flows into time steps: the last stage of the
 * receive path (decode → enrich → attribute → aggregate), whose closed steps go to the
 * sinks.
 *
 * One struct ft_agg per receive thread (no locks, no allocation per record).  Steps are
 * aligned to multiples of the step length in UTC.  A step stays open until `lateness`
 * after its end; a record (part) older than the oldest open step goes into that step
 * and is counted as late: never dropped.  A record's bytes and packets, multiplied by
 * its sampling rate, are spread over the steps its lifetime spans, pro rata by time,
 * with exact integer remainders (largest remainder), so the parts add up to the whole.
 * Its flow count goes to the step of its end.  Any time and any counters are safe: a
 * record whose corrected volume cannot be represented, or would take a step's sums past
 * 2^64 - 1, is refused whole and counted (the decoders bound records well below that).
 *
 * Counters live in dense arrays indexed by the tenant and class numbers of the map the
 * attribution stage used (struct ft_attr); the aggregation copies that map's names and
 * keeps no pointer to it.  ft_agg_set_map() re-keys the open steps by name when the map
 * changes, so a reload keeps every count.
 */
#ifndef FLOWTALLY_AGG_H
#define FLOWTALLY_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"
#include "flowtally/step.h"
#include "flowtally/tenant.h"

struct ft_agg_conf {
	int64_t step_ms;            /* divides a day */
	int64_t lateness_ms;
};

struct ft_agg;

/* now_ms: the clock the agg starts at (wall clock, or a capture's first time).  map is
 * only read during the call (its numbering and names).  NULL on ENOMEM or bad opts. */
struct ft_agg *ft_agg_new(const struct ft_agg_conf *o, const struct ft_tenant_map *map, int64_t now_ms);
struct ft_agg *ft_agg_free(struct ft_agg *a);
/* Re-keys the open steps' counts by name to map's numbering (map is only read during
 * the call), for flows attributed with map from now on.  0; -ENOMEM: nothing changed
 * (still keyed as before); -ENOBUFS: re-keyed, but some counts of tenants or classes
 * the new map lacks could not be kept for want of memory. */
int ft_agg_set_map(struct ft_agg *a, const struct ft_tenant_map *map);

/* Adds one flow, attributed by the tenant map the agg is keyed to (never fails, never
 * allocates). */
void ft_agg_add(struct ft_agg *a, const struct ft_flow *f, const struct ft_attr *at);
/* The same for n flows and their attributions. */
void ft_agg_add_batch(struct ft_agg *a, const struct ft_flow *f, const struct ft_attr *at, size_t n);

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
/* 0; -EINVAL: s is not of this agg's step length, starts after the newest open step,
 * or fails ft_step_check(); -EOVERFLOW: its sums added to the open step's would pass
 * 2^64 - 1 (nothing added); -ENOMEM. */
int ft_agg_restore(struct ft_agg *a, const struct ft_step *s);

/* Start of the oldest open step. */
int64_t ft_agg_oldest(const struct ft_agg *a);
/* Start of the oldest step it still holds: open, restored, or due but not handed out
 * yet (a close cut short by cap or by a lack of memory); INT64_MAX when it holds none.
 * Every step before it has been handed out. */
int64_t ft_agg_first_held(const struct ft_agg *a);
/* The most steps ft_agg_snapshot() can return now (open and restored). */
size_t ft_agg_max_open(const struct ft_agg *a);
/* Records refused so far: their volume times their sampling rate cannot be represented,
 * or would make a step's sums overflow. */
uint64_t ft_agg_refused(const struct ft_agg *a);

#endif
