/* Receive threads.  Each owns its listeners (one socket per listen address, several
 * threads sharing an address through SO_REUSEPORT) and its pipeline: no locks on the
 * per-datagram path.  About once a second, and when asked to stop, a thread copies its
 * counters into a snapshot under its mutex; the main thread merges snapshots.
 *
 * Below its limit a thread would wake for every few datagrams, and the wake-ups (a
 * context switch each) would cost more than the records.  So when a read has emptied
 * the sockets, the thread stops polling them for GATHER_NS, a timerfd in the same poll
 * set, and lets datagrams gather in the kernel: the next wake-up reads dozens.  While
 * the sockets do not empty, or when none had anything, it polls them as before. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/log.h"
#include "receiver.h"

#define PUBLISH_NS (1 * FT_NS_PER_SEC)
#define POLL_MS 100
#define DRAIN_BATCHES 64
/* At 20 M records/s a millisecond of datagrams is under 2 MiB of receive buffer, and
 * counters a millisecond late are not seen by anyone. */
#define GATHER_NS (1 * FT_NS_PER_MS)

static void publish(struct ft_receiver *r)
{
	pthread_mutex_lock(&r->lock);
	ft_stats_clear(&r->snap);
	ft_pipeline_snapshot(&r->pipe, &r->snap);
	for (size_t i = 0; i < r->n_listeners; i++)
		ft_listener_update_drops(r->listeners[i]);
	for (size_t i = 0; i < r->n_listeners; i++)
		ft_stats_add_listener(&r->snap, ft_listener_name(r->listeners[i]),
		                      ft_listener_stats(r->listeners[i]));
	pthread_mutex_unlock(&r->lock);
}

/* Reads one listener until it has nothing waiting (or a bounded number of batches, so
 * that one busy exporter cannot starve the others); returns the datagrams read. */
static unsigned drain(struct ft_receiver *r, struct ft_listener *l, unsigned max_batches)
{
	struct ft_datagram dgs[FT_LISTENER_BATCH];
	unsigned got = 0;
	for (unsigned b = 0; b < max_batches; b++) {
		int n = ft_listener_recv(l, dgs, FT_LISTENER_BATCH);
		if (n < 0 && ft_log_rl_allow(&r->err_rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 60))
			ft_log_err(FT_LOG_NET, "%s: receive failed: %s", ft_listener_name(l), strerror(-n));
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			ft_pipeline_datagram(&r->pipe, &dgs[i]);
		got += (unsigned)n;
	}
	return got;
}

/* Polls the sockets, or (gather) only the timer, armed for GATHER_NS. */
static void set_gather(struct ft_receiver *r, struct pollfd *pfd, bool gather)
{
	if (gather) {
		struct itimerspec its = { .it_value = { 0, GATHER_NS } };
		if (r->timer_fd < 0 || timerfd_settime(r->timer_fd, 0, &its, NULL) < 0)
			return;             /* no pause without a timer to end it */
	} else {
		uint64_t expirations;
		ssize_t n = read(r->timer_fd, &expirations, sizeof(expirations));
		(void)n;                /* EAGAIN if it had not fired: nothing to clear */
	}
	for (size_t i = 0; i < r->n_listeners; i++)
		pfd[i].events = gather ? 0 : POLLIN;
}

/* Reads the listeners that poll() found ready (all of them after a pause); returns
 * true when they ended empty after some datagrams: time to let more gather. */
static bool read_ready(struct ft_receiver *r, const struct pollfd *pfd, bool all)
{
	unsigned got = 0;
	bool behind = false;
	for (size_t i = 0; i < r->n_listeners; i++) {
		if (!all && !(pfd[i].revents & POLLIN))
			continue;
		unsigned n = drain(r, r->listeners[i], DRAIN_BATCHES);
		behind |= n == DRAIN_BATCHES * FT_LISTENER_BATCH;
		got += n;
	}
	return got > 0 && !behind;
}

#define CLOSE_BATCH 8

static void push_closed(struct ft_receiver *r, struct ft_step *st, size_t n)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		if (r->n_out == r->cap_out) {
			size_t cap = r->cap_out ? r->cap_out * 2 : 8;
			struct ft_step *o = realloc(r->outbox, cap * sizeof(*o));
			if (!o) {
				ft_log_err(FT_LOG_MAIN, "out of memory: step %lld part lost", (long long)st[i].start_ms);
				ft_step_done(&st[i]);
				continue;
			}
			r->outbox = o;
			r->cap_out = cap;
		}
		r->outbox[r->n_out++] = st[i];
	}
	r->closed_before = ft_agg_oldest(r->pipe.agg);
	pthread_mutex_unlock(&r->lock);
}

/* Takes a reloaded map: records read before it are attributed with the old one, every
 * record read after it with the new one. */
static void follow_map(struct ft_receiver *r)
{
	const struct ft_tenant_map *m = atomic_load(r->shared_map);
	if (m == r->pipe.map)
		return;
	ft_pipeline_flush(&r->pipe);
	if (ft_agg_set_map(r->pipe.agg, m) == 0) {
		r->pipe.map = m;
		atomic_store(&r->map_in_use, m);
	}
}

/* Closes the steps whose lateness window has passed. */
static void tick_steps(struct ft_receiver *r)
{
	struct ft_step st[CLOSE_BATCH];
	size_t n;
	ft_pipeline_flush(&r->pipe);
	follow_map(r);
	do {
		n = ft_agg_advance(r->pipe.agg, ft_clock_now_ns() / FT_NS_PER_MS, st, CLOSE_BATCH);
		push_closed(r, st, n);
	} while (n == CLOSE_BATCH);
}

static void keep_open_steps(struct ft_receiver *r)
{
	size_t k = ft_agg_max_open(r->pipe.agg);
	r->open_at_exit = calloc(k, sizeof(*r->open_at_exit));
	if (r->open_at_exit)
		r->n_open = ft_agg_snapshot(r->pipe.agg, r->open_at_exit, k);
}

static void *receiver_main(void *arg)
{
	struct ft_receiver *r = arg;
	struct pollfd pfd[FT_RECEIVER_MAX_LISTENERS + 1];
	struct pollfd *timer = &pfd[r->n_listeners];
	int64_t next_publish = ft_clock_mono_ns() + PUBLISH_NS;
	int64_t next_save = ft_clock_mono_ns() + (int64_t)r->pipe.cfg->state_interval * FT_NS_PER_SEC;

	for (size_t i = 0; i < r->n_listeners; i++)
		pfd[i] = (struct pollfd){ .fd = ft_listener_fd(r->listeners[i]), .events = POLLIN };
	*timer = (struct pollfd){ .fd = r->timer_fd, .events = POLLIN };   /* -1: ignored */
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		int n = poll(pfd, r->n_listeners + 1, POLL_MS);
		bool paused = n > 0 && (timer->revents & POLLIN);
		follow_map(r);
		if (paused)
			set_gather(r, pfd, false);
		if (n > 0 && read_ready(r, pfd, paused))
			set_gather(r, pfd, true);
		tick_steps(r);
		int64_t now = ft_clock_mono_ns();
		if (now >= next_publish) {
			publish(r);
			next_publish = now + PUBLISH_NS;
		}
		if (now >= next_save) {
			if (ft_netflow_dirty(r->pipe.nf))
				ft_pipeline_save_state(&r->pipe);
			next_save = now + (int64_t)r->pipe.cfg->state_interval * FT_NS_PER_SEC;
		}
	}
	/* What the kernel already holds was sent before the stop: count it. */
	for (size_t i = 0; i < r->n_listeners; i++)
		drain(r, r->listeners[i], UINT32_MAX);
	ft_pipeline_finish(&r->pipe);
	tick_steps(r);
	keep_open_steps(r);
	publish(r);
	return NULL;
}

int ft_receiver_start(struct ft_receiver *r, const struct ft_config *cfg, unsigned index,
                      const struct ft_receiver *first,
                      _Atomic(const struct ft_tenant_map *) *shared_map,
                      const struct ft_step *restore, size_t n_restore, char *err, size_t errlen)
{
	int ret;
	memset(r, 0, sizeof(*r));
	/* Without a timer the thread polls the sockets only, and wakes more often. */
	r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	pthread_mutex_init(&r->lock, NULL);
	ft_stats_init(&r->snap, 0, "udp");
	r->shared_map = shared_map;
	const struct ft_tenant_map *map = atomic_load(shared_map);
	atomic_store(&r->map_in_use, map);
	if ((ret = ft_pipeline_init(&r->pipe, cfg, index, map, ft_clock_now_ns() / FT_NS_PER_MS)) < 0)
		return ret;
	for (size_t i = 0; i < n_restore; i++)
		if (ft_agg_restore(r->pipe.agg, &restore[i]) < 0)
			ft_log_err(FT_LOG_MAIN, "saved step %lld could not be restored: its records are lost",
			           (long long)restore[i].start_ms);
	r->closed_before = ft_agg_oldest(r->pipe.agg);
	ft_pipeline_load_state(&r->pipe);
	for (size_t i = 0; i < cfg->n_listen && i < FT_RECEIVER_MAX_LISTENERS; i++) {
		struct ft_listen_addr a = cfg->listen[i];
		if (first && a.port == 0)   /* join the port the first thread was given */
			a.port = ft_listener_port(first->listeners[i]);
		ret = ft_listener_open(&a, cfg->receive_buffer, cfg->receive_threads,
		                       &r->listeners[i], err, errlen);
		if (ret < 0)
			return ret;
		r->n_listeners++;
		if (index == 0)
			ft_log_info(FT_LOG_NET, "listening on %s (port %u), receive buffer %u bytes",
			            cfg->listen[i].text, ft_listener_port(r->listeners[i]),
			            ft_listener_stats(r->listeners[i])->rcvbuf);
	}
	publish(r);
	ret = pthread_create(&r->thread, NULL, receiver_main, r);
	if (ret) {
		snprintf(err, errlen, "cannot start receive thread: %s", strerror(ret));
		return -ret;
	}
	r->running = true;
	return 0;
}

void ft_receiver_join(struct ft_receiver *r)
{
	atomic_store(&r->stop, true);
	if (r->running)
		pthread_join(r->thread, NULL);
	r->running = false;
}

void ft_receiver_free(struct ft_receiver *r)
{
	ft_receiver_join(r);
	for (size_t i = 0; i < r->n_listeners; i++)
		r->listeners[i] = ft_listener_close(r->listeners[i]);
	if (r->timer_fd > 0)            /* 0: a receiver that was never started */
		close(r->timer_fd);
	r->timer_fd = -1;
	ft_pipeline_done(&r->pipe);
	ft_stats_done(&r->snap);
	for (size_t i = 0; i < r->n_out; i++)
		ft_step_done(&r->outbox[i]);
	free(r->outbox);
	for (size_t i = 0; i < r->n_open; i++)
		ft_step_done(&r->open_at_exit[i]);
	free(r->open_at_exit);
	pthread_mutex_destroy(&r->lock);
}

int64_t ft_receiver_take_steps(struct ft_receiver *r, struct ft_stepper *s)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_out; i++)
		ft_stepper_add(s, &r->outbox[i]);
	r->n_out = 0;
	int64_t before = r->closed_before;
	pthread_mutex_unlock(&r->lock);
	return before;
}

int ft_receiver_collect(struct ft_receiver *r, struct ft_stats *into)
{
	pthread_mutex_lock(&r->lock);
	int ret = ft_stats_merge(into, &r->snap);
	pthread_mutex_unlock(&r->lock);
	return ret;
}
