/* Receive threads, the UDP source.  Each owns its listeners (one socket per listen
 * address, several threads sharing an address through SO_REUSEPORT) and its pipeline
 * (pipeline.h): no locks on the per-datagram path.  About once a second, and when
 * asked to stop, a thread copies its counters into a snapshot under its mutex; the
 * control thread merges snapshots.
 *
 * Below its limit a thread would wake for every few datagrams, and the wake-ups (a
 * context switch each, and the system calls around it) would cost more than the
 * records.  So when a read has emptied the sockets, the thread waits without polling
 * them (ppoll's timeout) and lets datagrams gather in the kernel: long enough for about
 * GATHER_TARGET datagrams at the rate it just saw, within GATHER_MIN_NS and
 * GATHER_MAX_NS, and never so long that they could fill more than a quarter of the
 * receive buffer.  While the sockets do not empty, or when none had anything, it
 * polls them. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/log.h"
#include "receiver.h"

#define PUBLISH_NS (1 * FT_NS_PER_SEC)
#define POLL_MS 100
#define DRAIN_BATCHES 64
/* Counters and steps a few milliseconds late are not seen by anyone; 256 datagrams are
 * 16 reads of FT_LISTENER_BATCH. */
#define GATHER_TARGET 256
#define GATHER_MIN_NS (FT_NS_PER_MS / 4)
#define GATHER_MAX_NS (8 * FT_NS_PER_MS)

static void publish(struct ft_receiver *r)
{
	pthread_mutex_lock(&r->lock);
	ft_stats_clear(&r->snap);
	ft_pipeline_stats(r->pipe, &r->snap);
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
			ft_pipeline_datagram(r->pipe, &dgs[i]);
		got += (unsigned)n;
		if (n < FT_LISTENER_BATCH)
			break;              /* recvmmsg stopped at an empty queue */
	}
	return got;
}

/* Reads the listeners that poll() found ready (all of them after a pause); *got: the
 * datagrams read.  Returns true when they ended empty after some datagrams: time to
 * let more gather. */
static bool read_ready(struct ft_receiver *r, const struct pollfd *pfd, bool all, unsigned *got)
{
	bool behind = false;
	*got = 0;
	for (size_t i = 0; i < r->n_listeners; i++) {
		if (!all && !(pfd[i].revents & POLLIN))
			continue;
		unsigned n = drain(r, r->listeners[i], DRAIN_BATCHES);
		behind |= n == DRAIN_BATCHES * FT_LISTENER_BATCH;
		*got += n;
	}
	return *got > 0 && !behind;
}

/* How long to let datagrams gather, after `got` arrived in `since_ns`. */
static int64_t gather_ns(const struct ft_receiver *r, unsigned got, int64_t since_ns)
{
	uint64_t bytes = 0, datagrams = 0, buffer = UINT32_MAX;
	for (size_t i = 0; i < r->n_listeners; i++) {
		const struct ft_listener_stats *st = ft_listener_stats(r->listeners[i]);
		bytes += st->bytes;
		datagrams += st->datagrams;
		buffer = st->rcvbuf && st->rcvbuf < buffer ? st->rcvbuf : buffer;
	}
	/* what a datagram takes of the buffer: its bytes rounded up to a power of two,
	 * plus the kernel's bookkeeping (skb truesize) */
	uint64_t len = datagrams ? bytes / datagrams + 320 : 1500, size = 256;
	while (size < len)
		size *= 2;
	size += 256;
	double per_ns = (double)got / (double)(since_ns > 0 ? since_ns : 1);
	double want = GATHER_TARGET / per_ns, room = (double)buffer / 4 / (double)size / per_ns;
	double ns = want < room ? want : room;
	return ns < GATHER_MIN_NS ? GATHER_MIN_NS : ns > GATHER_MAX_NS ? GATHER_MAX_NS : (int64_t)ns;
}

/* A closed step part, into the outbox for the control thread. */
static void push_closed(struct ft_step *st, void *ctx)
{
	struct ft_receiver *r = ctx;
	pthread_mutex_lock(&r->lock);
	if (r->n_out == r->cap_out) {
		size_t cap = r->cap_out ? r->cap_out * 2 : 8;
		struct ft_step *o = realloc(r->outbox, cap * sizeof(*o));
		if (!o) {
			pthread_mutex_unlock(&r->lock);
			ft_log_err(FT_LOG_MAIN, "out of memory: step %lld part lost", (long long)st->start_ms);
			ft_step_done(st);
			return;
		}
		r->outbox = o;
		r->cap_out = cap;
	}
	r->outbox[r->n_out++] = *st;
	pthread_mutex_unlock(&r->lock);
}

/* Takes up a reloaded view: records read before it are attributed with the old one,
 * every record read after it with the new one. */
static void follow_view(struct ft_receiver *r)
{
	if (ft_views_current(r->views) == ft_pipeline_view(r->pipe))
		return;
	const struct ft_view *v = ft_views_enter(r->views, r->index);
	int e = ft_pipeline_use_view(r->pipe, v);
	/* -ENOMEM: still on the old view, tried again next round */
	ft_views_leave(r->views, r->index, e != -ENOMEM);
	if (e == -ENOBUFS)
		ft_log_err(FT_LOG_MAIN, "out of memory while re-keying the open steps to the new "
		           "tenant map: some counts of tenants or classes it lacks are lost");
}

/* Closes the steps whose lateness window has passed. */
static void tick_steps(struct ft_receiver *r)
{
	follow_view(r);
	int64_t before = ft_pipeline_close(r->pipe, ft_clock_now_ns() / FT_NS_PER_MS,
	                                   &(struct ft_step_out){ push_closed, r });
	pthread_mutex_lock(&r->lock);
	r->closed_before = before;
	pthread_mutex_unlock(&r->lock);
}

static void keep_open_steps(struct ft_receiver *r)
{
	if (ft_pipeline_open_steps(r->pipe, &r->open_at_exit, &r->n_open) < 0)
		ft_log_err(FT_LOG_MAIN, "out of memory: the open steps of receive thread %u are lost", r->index);
}

/* The saved templates, restored by each thread once its sockets are open: what
 * arrives meanwhile waits in the socket buffers, decoded once the templates are back,
 * so no data set is judged without its saved template and the sockets are open at
 * once however much was saved.  One thread at a time, so that the first to find a
 * damaged file sets it aside and reports it, and the others no longer see it. */
static void restore_templates(struct ft_receiver *r)
{
	static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;
	int64_t t0 = ft_clock_mono_ns();
	pthread_mutex_lock(&one_at_a_time);
	ft_pipeline_load_state(r->pipe);
	pthread_mutex_unlock(&one_at_a_time);
	ft_log_info(FT_LOG_NET, "receive thread %u: saved templates restored in %.3f s", r->index,
	            (double)(ft_clock_mono_ns() - t0) / FT_NS_PER_SEC);
	publish(r);
}

static void *receiver_main(void *arg)
{
	struct ft_receiver *r = arg;
	struct pollfd pfd[FT_RECEIVER_MAX_LISTENERS];
	restore_templates(r);
	int64_t save_every = (int64_t)r->cfg->state_interval * FT_NS_PER_SEC;
	int64_t next_publish = ft_clock_mono_ns() + PUBLISH_NS, next_save = ft_clock_mono_ns() + save_every;
	int64_t pause = 0, last_read = ft_clock_mono_ns();

	for (size_t i = 0; i < r->n_listeners; i++)
		pfd[i] = (struct pollfd){ .fd = ft_listener_fd(r->listeners[i]), .events = POLLIN };
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		/* a pause waits on nothing but its timeout; otherwise the sockets are polled */
		int64_t wait = pause ? pause : POLL_MS * FT_NS_PER_MS;
		struct timespec ts = { .tv_sec = wait / FT_NS_PER_SEC, .tv_nsec = wait % FT_NS_PER_SEC };
		for (size_t i = 0; i < r->n_listeners; i++)
			pfd[i].events = pause ? 0 : POLLIN;
		int n = ppoll(pfd, r->n_listeners, &ts, NULL);
		follow_view(r);
		if (pause || n > 0) {
			unsigned got;
			int64_t start = ft_clock_mono_ns();
			bool gather = read_ready(r, pfd, pause != 0, &got);
			pause = gather ? gather_ns(r, got, start - last_read) : 0;
			last_read = start;
		}
		tick_steps(r);
		int64_t now = ft_clock_mono_ns();
		if (now >= next_publish) {
			publish(r);
			next_publish = now + PUBLISH_NS;
		}
		if (now >= next_save) {
			ft_pipeline_save_state(r->pipe);
			next_save = now + save_every;
		}
	}
	/* What the kernel already holds was sent before the stop: count it. */
	for (size_t i = 0; i < r->n_listeners; i++)
		drain(r, r->listeners[i], UINT32_MAX);
	ft_pipeline_finish(r->pipe);
	tick_steps(r);
	keep_open_steps(r);
	publish(r);
	return NULL;
}

static int open_listeners(struct ft_receiver *r, const struct ft_receiver *first, char *err, size_t errlen)
{
	const struct ft_listener_conf *c = &r->cfg->net;
	for (size_t i = 0; i < c->n_listen && i < FT_RECEIVER_MAX_LISTENERS; i++) {
		struct ft_listen_addr a = c->listen[i];
		if (first && a.port == 0)   /* join the port the first thread was given */
			a.port = ft_listener_port(first->listeners[i]);
		int ret = ft_listener_open(&a, c->receive_buffer, c->receive_threads, first != NULL,
		                           &r->listeners[i], err, errlen);
		if (ret < 0)
			return ret;
		r->n_listeners++;
		if (r->index == 0)
			ft_log_info(FT_LOG_NET, "listening on %s (port %u), receive buffer: %u bytes "
			            "configured, %u granted (the kernel doubles what it is asked for)",
			            c->listen[i].text, ft_listener_port(r->listeners[i]), c->receive_buffer,
			            ft_listener_stats(r->listeners[i])->rcvbuf);
	}
	return 0;
}

int ft_receiver_open(struct ft_receiver *r, const struct ft_config *cfg, unsigned index,
                     const struct ft_receiver *first, char *err, size_t errlen)
{
	*r = (struct ft_receiver){ .index = index, .cfg = cfg };
	pthread_mutex_init(&r->lock, NULL);
	ft_stats_init(&r->snap, 0, "udp");
	return open_listeners(r, first, err, errlen);
}

int ft_receiver_start(struct ft_receiver *r, const struct ft_receiver *first, struct ft_views *views,
                      const struct ft_step *restore, size_t n_restore, char *err, size_t errlen)
{
	struct ft_pipeline_opts po = { .index = r->index, .keep_state = true };
	r->views = views;
	int ret = ft_pipeline_new(r->cfg, &po, ft_views_current(views), ft_clock_now_ns() / FT_NS_PER_MS, &r->pipe);
	if (ret < 0) {
		snprintf(err, errlen, "cannot set up receive thread %u: %s", r->index, strerror(-ret));
		return ret;
	}
	if (first)                  /* one memory budget for all threads' decoding state */
		ft_pipeline_share_budget(r->pipe, first->pipe);
	/* the saved templates of the exporters the listeners steer to this thread */
	ft_pipeline_set_shard(r->pipe, r->index, r->cfg->net.receive_threads);
	for (size_t i = 0; i < n_restore; i++)
		if (ft_pipeline_restore(r->pipe, &restore[i]) < 0)
			ft_log_err(FT_LOG_MAIN, "saved step %lld could not be restored: its records are lost",
			           (long long)restore[i].start_ms);
	r->closed_before = ft_pipeline_close(r->pipe, ft_clock_now_ns() / FT_NS_PER_MS,
	                                     &(struct ft_step_out){ push_closed, r });
	publish(r);
	ret = pthread_create(&r->thread, NULL, receiver_main, r);
	if (ret) {
		snprintf(err, errlen, "cannot start receive thread: %s", strerror(ret));
		return -ret;
	}
	r->running = true;
	return 0;
}

void ft_receiver_stop(struct ft_receiver *r)
{
	atomic_store(&r->stop, true);
}

void ft_receiver_join(struct ft_receiver *r)
{
	ft_receiver_stop(r);
	if (r->running)
		pthread_join(r->thread, NULL);
	r->running = false;
}

void ft_receiver_free(struct ft_receiver *r)
{
	ft_receiver_join(r);
	for (size_t i = 0; i < r->n_listeners; i++)
		r->listeners[i] = ft_listener_close(r->listeners[i]);
	r->pipe = ft_pipeline_free(r->pipe);
	ft_stats_done(&r->snap);
	for (size_t i = 0; i < r->n_out; i++)
		ft_step_done(&r->outbox[i]);
	free(r->outbox);
	for (size_t i = 0; i < r->n_open; i++)
		ft_step_done(&r->open_at_exit[i]);
	free(r->open_at_exit);
	pthread_mutex_destroy(&r->lock);
}

int64_t ft_receiver_take_steps(struct ft_receiver *r, struct ft_outputs *o)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_out; i++)
		ft_outputs_add(o, &r->outbox[i]);
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
