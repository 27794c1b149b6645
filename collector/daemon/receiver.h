#ifndef FT_RECEIVER_H
#define FT_RECEIVER_H

#include <pthread.h>
#include <stdatomic.h>

#include "daemon_int.h"
#include "flowtally/listener.h"
#include "flowtally/log.h"

#define FT_RECEIVER_MAX_LISTENERS 32

struct ft_receiver {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	struct ft_pipeline pipe;
	struct ft_listener *listeners[FT_RECEIVER_MAX_LISTENERS];
	size_t n_listeners;
	struct ft_log_rl err_rl;
	pthread_mutex_t lock;       /* guards snap */
	struct ft_stats snap;
};

/* Opens the listeners of cfg and starts the thread.  Threads after the first pass the
 * first, whose ports they join where the configuration says port 0.  On failure the caller still calls
 * ft_receiver_free() to release what was opened. */
int ft_receiver_start(struct ft_receiver *r, const struct ft_config *cfg, unsigned index,
                      const struct ft_receiver *first, char *err, size_t errlen);
/* Stops the thread after it has drained its sockets and published its last snapshot. */
void ft_receiver_join(struct ft_receiver *r);
/* Joins if needed, then frees everything. */
void ft_receiver_free(struct ft_receiver *r);
/* Merges the thread's latest snapshot into `into`. */
int ft_receiver_collect(struct ft_receiver *r, struct ft_stats *into);

#endif
