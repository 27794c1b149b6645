#ifndef FT_RECEIVER_H
#define FT_RECEIVER_H

#include <pthread.h>
#include <stdatomic.h>

#include "daemon_int.h"
#include "flowtally/listener.h"
#include "flowtally/log.h"
#include "steps.h"

#define FT_RECEIVER_MAX_LISTENERS 32

struct ft_receiver {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	struct ft_pipeline pipe;
	struct ft_listener *listeners[FT_RECEIVER_MAX_LISTENERS];
	size_t n_listeners;
	int timer_fd;               /* ends a pause that lets datagrams gather; -1 if none */
	struct ft_log_rl err_rl;
	pthread_mutex_t lock;       /* guards snap, outbox, closed_before */
	struct ft_stats snap;
	_Atomic(const struct ft_tenant_map *) *shared_map;   /* the map in force (main's) */
	_Atomic(const struct ft_tenant_map *) map_in_use;    /* the one this thread uses */
	struct ft_step *outbox;     /* closed step parts for the main thread */
	size_t n_out, cap_out;
	int64_t closed_before;      /* every step before this is closed here */
	struct ft_step *open_at_exit;   /* after the thread ended: its open steps */
	size_t n_open;
};

/* Opens the listeners of cfg and starts the thread.  Threads after the first pass the
 * first, whose ports they join where the configuration says port 0.  On failure the caller still calls
 * ft_receiver_free() to release what was opened. */
int ft_receiver_start(struct ft_receiver *r, const struct ft_config *cfg, unsigned index,
                      const struct ft_receiver *first,
                      _Atomic(const struct ft_tenant_map *) *shared_map,
                      const struct ft_step *restore, size_t n_restore, char *err, size_t errlen);
/* Moves the closed step parts into the stepper; returns the thread's closed_before. */
int64_t ft_receiver_take_steps(struct ft_receiver *r, struct ft_stepper *s);
/* Stops the thread after it has drained its sockets and published its last snapshot. */
void ft_receiver_join(struct ft_receiver *r);
/* Joins if needed, then frees everything. */
void ft_receiver_free(struct ft_receiver *r);
/* Merges the thread's latest snapshot into `into`. */
int ft_receiver_collect(struct ft_receiver *r, struct ft_stats *into);

#endif
