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

/* Items (steps, sample batches, counters) the queue holds by default.  When it is full
 * the oldest is dropped for every sink that had not written it yet, counted and logged
 * (the ledger has the step: the sink can be rebuilt from it). */
#define FT_WRITER_QUEUE 64
#define FT_WRITER_SLOTS_MAX 32

/* A sink of the table. */
struct ft_sink_slot {
	const struct ft_sink_ops *ops;
	void *state;
	bool off;                   /* did not open: every step it would get counts as dropped */
	struct ft_sink_counts c;
	int64_t held_until;         /* the newest step it held when opened; INT64_MIN none */
	struct ft_log_rl rl;
	/* the writer's, under its lock */
	size_t next;                /* its next item, counted from the queue's oldest */
	int64_t retry_ns;           /* CLOCK_MONOTONIC: when it asked for a pause (-EAGAIN), the
	                             * end of it; 0 none */
	int64_t backoff_ns;
};

struct ft_writer;

/* Starts the thread for slots[0..n) (0 < n <= FT_WRITER_SLOTS_MAX), which stay the
 * caller's but are only touched by the writer until ft_writer_stop(); the queue holds
 * up to capacity items (0: FT_WRITER_QUEUE).  0 and *ret, or negative errno. */
int ft_writer_start(struct ft_sink_slot *slots, size_t n, size_t capacity, struct ft_writer **ret);
/* Queues a copy of s for every slot.  A full queue drops its oldest item (counted for
 * the slots that had not written it) to make room; false only when memory is short
 * (the step is then counted as dropped). */
bool ft_writer_push_step(struct ft_writer *w, const struct ft_step *s);
/* Queues a copy of the samples for the slots that take samples. */
bool ft_writer_push_interfaces(struct ft_writer *w, const struct ft_if_step *s, size_t n);
/* Queues a copy of the counters for the slots that take counters. */
bool ft_writer_push_counters(struct ft_writer *w, const struct ft_counters *c);
/* Patient (a replay, which has no clock to keep up with): a full queue makes a push
 * wait for room, up to a minute, before it drops the oldest item. */
void ft_writer_set_patient(struct ft_writer *w, bool patient);
/* Waits until the queue is empty, up to timeout_ns, or until only sinks pausing after
 * -EAGAIN have items left: 0 (empty) or -ETIMEDOUT. */
int ft_writer_drain(struct ft_writer *w, int64_t timeout_ns);
/* Items queued now (for any slot). */
size_t ft_writer_depth(struct ft_writer *w);
/* Slot i's counters, pending included. */
void ft_writer_counts(struct ft_writer *w, size_t i, struct ft_sink_counts *ret);
/* Slot i's own statistics rows. */
size_t ft_writer_stats(struct ft_writer *w, size_t i, struct ft_sink_stat *ret, size_t cap);
/* Writes what is queued for up to timeout_ns (a sink pausing after -EAGAIN is given
 * that long to come back), drops what is left (counted), flushes the sinks and ends
 * the thread.  0; -ETIMEDOUT when a sink has not come back from a write by then: the
 * thread is left to it, and w, the slots and their sinks must not be freed or closed
 * (the process is about to exit).  NULL-safe. */
int ft_writer_stop(struct ft_writer *w, int64_t timeout_ns);

#endif
