/* flowtallyd internals: the writer thread that feeds every sink after the ledger from
 * one bounded queue (writer.c), so that a slow or failing sink stalls neither receiving
 * nor the ledger. */
#ifndef FT_WRITER_H
#define FT_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/log.h"
#include "flowtally/sink.h"

/* Steps (or sample batches) the queue holds; one more is dropped for every queued sink,
 * counted and logged (the ledger has the step: the sink can be rebuilt from it). */
#define FT_WRITER_QUEUE 64

/* A sink of the table. */
struct ft_sink_slot {
	const struct ft_sink_ops *ops;
	void *state;
	bool off;                   /* did not open: every step it would get counts as dropped */
	struct ft_sink_counts c;
	int64_t held_until;         /* the newest step it held when opened; INT64_MIN none */
	struct ft_log_rl rl;
};

struct ft_writer;

/* Starts the thread for slots[0..n) (n > 0), which stay the caller's but are only
 * touched by the writer until ft_writer_stop().  0 and *ret, or negative errno. */
int ft_writer_start(struct ft_sink_slot *slots, size_t n, struct ft_writer **ret);
/* Queues a copy of s for every slot; false (counted as dropped) when the queue is full
 * or memory is short. */
bool ft_writer_push_step(struct ft_writer *w, const struct ft_step *s);
/* Queues a copy of the samples for the slots that take samples. */
bool ft_writer_push_samples(struct ft_writer *w, const struct ft_if_sample *s, size_t n);
/* Slot i's counters, pending included. */
void ft_writer_counts(struct ft_writer *w, size_t i, struct ft_sink_counts *ret);
/* Slot i's own statistics rows. */
size_t ft_writer_stats(struct ft_writer *w, size_t i, struct ft_sink_stat *ret, size_t cap);
/* Writes what is queued for up to timeout_ns, drops what is left (counted), flushes the
 * sinks and ends the thread.  0; -ETIMEDOUT when a sink has not come back from a write
 * by then: the thread is left to it, and w, the slots and their sinks must not be
 * freed or closed (the process is about to exit).  NULL-safe. */
int ft_writer_stop(struct ft_writer *w, int64_t timeout_ns);

#endif
