/* flowtallyd internals: the UDP receive threads (receiver.c). */
#ifndef FT_RECEIVER_H
#define FT_RECEIVER_H

#include <pthread.h>
#include <stdatomic.h>

#include "flowtally/listener.h"
#include "flowtally/log.h"
#include "flowtally/pipeline.h"
#include "flowtally/view.h"
#include "outputs.h"

#define FT_RECEIVER_MAX_LISTENERS 32

struct ft_receiver {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	unsigned index;             /* its reader number in views */
	const struct ft_config *cfg;
	struct ft_views *views;     /* where reloaded views are published */
	struct ft_pipeline *pipe;
	struct ft_listener *listeners[FT_RECEIVER_MAX_LISTENERS];
	size_t n_listeners;
	struct ft_log_rl err_rl;
	pthread_mutex_t lock;       /* guards snap, outbox, closed_before */
	struct ft_stats snap;
	struct ft_step *outbox;     /* closed step parts for the control thread */
	size_t n_out, cap_out;
	int64_t closed_before;      /* every step before this is closed here */
	struct ft_step *open_at_exit;   /* after the thread ended: its open steps */
	size_t n_open;
};

/* Opens the listeners of cfg for thread `index` (bound: what needs privileges is done
 * here, before flowtallyd drops them).  Threads after the first pass the first, whose
 * ports they join where the configuration says port 0.  On failure the caller still
 * calls ft_receiver_free() to release what was opened. */
int ft_receiver_open(struct ft_receiver *r, const struct ft_config *cfg, unsigned index,
                     const struct ft_receiver *first, char *err, size_t errlen);
/* Starts the thread of an opened receiver, which reads views as reader `index`; threads
 * after the first pass the first (started), whose memory budget they share.
 * restore: steps saved open at the last stop (copied). */
int ft_receiver_start(struct ft_receiver *r, const struct ft_receiver *first, struct ft_views *views,
                      const struct ft_step *restore, size_t n_restore, char *err, size_t errlen);
/* Moves the closed step parts into o; returns the thread's closed_before. */
int64_t ft_receiver_take_steps(struct ft_receiver *r, struct ft_outputs *o);
/* Asks the thread to stop: it drains its sockets, closes what its clock says is closed
 * and publishes its last snapshot. */
void ft_receiver_stop(struct ft_receiver *r);
/* Stops the thread if not asked yet, and waits for it. */
void ft_receiver_join(struct ft_receiver *r);
/* Joins if needed, then frees everything. */
void ft_receiver_free(struct ft_receiver *r);
/* Merges the thread's latest snapshot into `into`. */
int ft_receiver_collect(struct ft_receiver *r, struct ft_stats *into);

#endif
