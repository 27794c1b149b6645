/* The writer thread (writer.h).
 *
 * A ring of FT_WRITER_QUEUE items under one mutex: each is a copy of a committed step
 * or of a batch of interface samples.  The control thread pushes (never waits: a full
 * ring drops the item, counted for every sink); the writer pops one item at a time and
 * hands it to each sink outside the lock, then updates the sink's counters under it.
 * When the ring runs dry the sinks are flushed.  A sink's error is counted and logged
 * (a few times an hour), and the next item is written as if nothing happened.  At a
 * stop the ring is written for a bounded time; what is left is dropped, counted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowtally/clock.h"
#include "writer.h"

struct item {
	bool is_step;
	struct ft_step step;
	struct ft_if_sample *samples;
	size_t n_samples;
};

struct ft_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ft_sink_slot *slots;
	size_t n;
	struct item ring[FT_WRITER_QUEUE];
	size_t head, used;
	bool stop;
	int64_t deadline_ns;        /* CLOCK_MONOTONIC: past it, a stopping writer drops */
};

static void item_done(struct item *it)
{
	ft_step_done(&it->step);
	free(it->samples);
	*it = (struct item){ 0 };
}

static void log_failure(struct ft_sink_slot *s, const char *what, int r)
{
	if (ft_log_rl_allow(&s->rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 3600))
		ft_log_err(FT_LOG_MAIN, "sink %s: cannot write %s: %s (counted; the ledger has it)",
		           s->ops->name, what, strerror(-r));
}

/* One item to one sink, outside the lock; the counters under it. */
static void write_item(struct ft_writer *w, struct ft_sink_slot *s, const struct item *it)
{
	char when[40];
	int r = 0;
	if (!it->is_step && !s->ops->write_samples)
		return;
	if (s->off) {
		pthread_mutex_lock(&w->mu);
		s->c.dropped++;
		pthread_mutex_unlock(&w->mu);
		return;
	}
	bool held = it->is_step && it->step.start_ms <= s->held_until;
	if (it->is_step && !held)
		r = s->ops->write_step(s->state, &it->step);
	else if (!it->is_step)
		r = s->ops->write_samples(s->state, it->samples, it->n_samples);
	if (r < 0 && r != -EEXIST)
		log_failure(s, it->is_step ? ft_time_format_utc(it->step.start_ms * FT_NS_PER_MS, when,
		            sizeof(when)) : "interface samples", r);
	pthread_mutex_lock(&w->mu);
	if (held || r == -EEXIST)
		s->c.refused++;
	else if (r < 0)
		s->c.errors++;
	else if (it->is_step)
		s->c.written++, s->c.last_ms = it->step.start_ms;
	else
		s->c.samples += it->n_samples;
	pthread_mutex_unlock(&w->mu);
}

/* Counts an item as dropped for every sink it was for (under the lock). */
static void count_dropped(struct ft_writer *w, const struct item *it)
{
	for (size_t i = 0; i < w->n; i++)
		if (it->is_step || w->slots[i].ops->write_samples)
			w->slots[i].c.dropped++;
}

/* A stopping writer past its deadline: the rest of the ring is dropped (locked). */
static void drop_rest(struct ft_writer *w)
{
	size_t n = w->used;
	for (; w->used; w->used--, w->head = (w->head + 1) % FT_WRITER_QUEUE) {
		count_dropped(w, &w->ring[w->head]);
		item_done(&w->ring[w->head]);
	}
	ft_log_err(FT_LOG_MAIN, "sinks still busy at the stop: %zu queued item(s) not written "
	           "(counted as dropped; the ledger has every step)", n);
}

static void flush_all(struct ft_writer *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct ft_sink_slot *s = &w->slots[i];
		int r = s->ops->flush && !s->off ? s->ops->flush(s->state) : 0;
		if (r < 0)
			log_failure(s, "(flush)", r);
	}
}

static void *writer_main(void *arg)
{
	struct ft_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->used && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop && w->used && ft_clock_mono_ns() > w->deadline_ns)
			drop_rest(w);
		if (!w->used)
			break;
		struct item it = w->ring[w->head];
		w->ring[w->head] = (struct item){ 0 };
		w->head = (w->head + 1) % FT_WRITER_QUEUE;
		w->used--;
		pthread_mutex_unlock(&w->mu);
		for (size_t i = 0; i < w->n; i++)
			write_item(w, &w->slots[i], &it);
		item_done(&it);
		pthread_mutex_lock(&w->mu);
		if (!w->used) {
			pthread_mutex_unlock(&w->mu);
			flush_all(w);
			pthread_mutex_lock(&w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int ft_writer_start(struct ft_sink_slot *slots, size_t n, struct ft_writer **ret)
{
	struct ft_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->slots = slots;
	w->n = n;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	int r = pthread_create(&w->thread, NULL, writer_main, w);
	if (r) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return -r;
	}
	*ret = w;
	return 0;
}

/* Puts it in the ring (taken), or drops it, counted for every sink it was for. */
static bool push(struct ft_writer *w, struct item *it)
{
	pthread_mutex_lock(&w->mu);
	bool room = w->used < FT_WRITER_QUEUE;
	if (room) {
		w->ring[(w->head + w->used) % FT_WRITER_QUEUE] = *it;
		w->used++;
		pthread_cond_signal(&w->cv);
	} else {
		count_dropped(w, it);
	}
	pthread_mutex_unlock(&w->mu);
	if (!room)
		item_done(it);
	return room;
}

bool ft_writer_push_step(struct ft_writer *w, const struct ft_step *s)
{
	struct item it = { .is_step = true };
	if (ft_step_copy(s, &it.step) < 0) {
		pthread_mutex_lock(&w->mu);
		count_dropped(w, &it);
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	return push(w, &it);
}

bool ft_writer_push_samples(struct ft_writer *w, const struct ft_if_sample *s, size_t n)
{
	struct item it = { .samples = malloc((n ? n : 1) * sizeof(*s)), .n_samples = n };
	if (!it.samples) {
		pthread_mutex_lock(&w->mu);
		count_dropped(w, &it);
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	if (n)
		memcpy(it.samples, s, n * sizeof(*s));
	return push(w, &it);
}

void ft_writer_counts(struct ft_writer *w, size_t i, struct ft_sink_counts *ret)
{
	pthread_mutex_lock(&w->mu);
	*ret = w->slots[i].c;
	ret->pending = 0;
	for (size_t k = 0; k < w->used; k++) {
		const struct item *it = &w->ring[(w->head + k) % FT_WRITER_QUEUE];
		ret->pending += it->is_step || w->slots[i].ops->write_samples;
	}
	pthread_mutex_unlock(&w->mu);
}

/* Runs on the control thread while the writer may be inside the same sink: a sink's
 * stats() reads its own counters as they are (sink.h). */
size_t ft_writer_stats(struct ft_writer *w, size_t i, struct ft_sink_stat *ret, size_t cap)
{
	const struct ft_sink_slot *s = &w->slots[i];
	return s->ops->stats ? s->ops->stats(s->state, ret, cap) : 0;
}

int ft_writer_stop(struct ft_writer *w, int64_t timeout_ns)
{
	struct timespec until;
	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	w->deadline_ns = ft_clock_mono_ns() + timeout_ns;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	/* a sink stuck inside a write never lets the thread see its deadline: wait a
	 * second longer for it, then leave it */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(timeout_ns / FT_NS_PER_SEC) + 1;
	if (pthread_timedjoin_np(w->thread, NULL, &until) != 0) {
		ft_log_err(FT_LOG_MAIN, "a sink has not come back from a write for %lld s: left as it "
		           "is at the stop", (long long)(timeout_ns / FT_NS_PER_SEC) + 1);
		return -ETIMEDOUT;
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return 0;
}
