/* The writer thread (writer.h).
 *
 * A ring of items under one mutex: each is a copy of a committed step, of a batch of
 * closed interface steps or of the collector's counters, with the set of slots that are
 * still to write it.  Every slot keeps its own place in the ring, so a sink that asks
 * for a pause (-EAGAIN: its server is down) holds up no other: the others go on, and it
 * takes its items again, in order, when its pause is over (1 s, doubling up to 30 s).
 * An item leaves the ring once every slot has written it.  The control thread pushes
 * and never waits: a full ring drops its oldest item, counted as dropped for every
 * slot that had not written it, and said loudly.  The writer hands one item at a time
 * to one sink outside the lock, then updates the counters under it; when no slot has
 * anything to do the sinks are flushed.  A sink's error is counted and logged (a few
 * times an hour), and its next item is written as if nothing happened.  At a stop the
 * ring is written for a bounded time; what is left then is dropped, counted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowtally/clock.h"
#include "writer.h"

enum item_kind { ITEM_STEP, ITEM_SAMPLES, ITEM_COUNTERS };

struct item {
	enum item_kind kind;
	struct ft_step step;
	struct ft_if_step *samples;
	size_t n_samples;
	struct ft_counters counters;
	uint32_t todo;              /* slots still to write it */
	uint32_t busy;              /* slots writing it now */
	unsigned refs;              /* the ring, and the writer while it writes it */
	bool in_ring;
};

struct ft_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t room;        /* signalled when an item leaves the ring */
	bool patient;               /* a full ring makes push wait (up to PATIENCE_NS) */
	struct ft_sink_slot *slots;
	size_t n;
	struct item **ring;
	size_t cap, head, used;
	size_t turn;                /* the slot served first at the next look */
	bool stop;
	bool unflushed;             /* something was written since the sinks were flushed */
	int64_t deadline_ns;        /* CLOCK_MONOTONIC: past it, a stopping writer drops */
	uint64_t dropped_oldest;
	struct ft_log_rl drop_rl;
};

#define BACKOFF_MIN_NS (1 * FT_NS_PER_SEC)
#define PATIENCE_NS (60 * FT_NS_PER_SEC)
#define STOP_RETRY_NS (2 * FT_NS_PER_SEC)
#define BACKOFF_MAX_NS (30 * FT_NS_PER_SEC)

static void item_free(struct item *it)
{
	ft_step_done(&it->step);
	free(it->samples);
	free(it->counters.exporters);
	free(it);
}

static void item_unref(struct item *it)
{
	if (--it->refs == 0)
		item_free(it);
}

static bool slot_takes(const struct ft_sink_slot *s, enum item_kind k)
{
	return (k == ITEM_STEP && s->ops->write_step) || (k == ITEM_SAMPLES && s->ops->write_interfaces) ||
	       (k == ITEM_COUNTERS && s->ops->write_counters);
}

static const char *item_what(const struct item *it, char *buf, size_t size)
{
	if (it->kind == ITEM_STEP)
		return ft_time_format_utc(it->step.start_ms * FT_NS_PER_MS, buf, size);
	return it->kind == ITEM_SAMPLES ? "interface steps" : "counters";
}

static void log_failure(struct ft_sink_slot *s, const char *what, int r)
{
	if (ft_log_rl_allow(&s->rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 3600))
		ft_log_err(FT_LOG_MAIN, "sink %s: cannot write %s: %s (counted; %s)", s->ops->name, what, strerror(-r),
		           strcmp(what, "interface steps") == 0 ? "the ledger does not hold interface steps: they are "
		           "missing from this sink" : "the ledger has it");
}

/* One item to one sink, outside the lock.  -EAGAIN: not taken, to be given again. */
static int write_one(struct ft_sink_slot *s, const struct item *it, bool *held)
{
	*held = it->kind == ITEM_STEP && it->step.start_ms <= s->held_until;
	if (*held)
		return 0;
	switch (it->kind) {
	case ITEM_STEP: return s->ops->write_step(s->state, &it->step);
	case ITEM_SAMPLES: return s->ops->write_interfaces(s->state, it->samples, it->n_samples);
	case ITEM_COUNTERS: return s->ops->write_counters(s->state, &it->counters);
	}
	return -EINVAL;
}

/* The counters of a write that is over (locked). */
static void count_write(struct ft_sink_slot *s, const struct item *it, bool held, int r)
{
	if (held || r == -EEXIST)
		s->c.refused++;
	else if (r < 0)
		s->c.errors++;
	else if (it->kind == ITEM_STEP)
		s->c.written++, s->c.last_ms = it->step.start_ms;
	else if (it->kind == ITEM_SAMPLES)
		s->c.samples += it->n_samples;
}

/* Removes the oldest item (locked): counted as dropped for the slots that had not
 * written it, but one writing it now (its write counts). */
static struct item *pop_oldest(struct ft_writer *w)
{
	struct item *it = w->ring[w->head];
	w->ring[w->head] = NULL;
	w->head = (w->head + 1) % w->cap;
	w->used--;
	it->in_ring = false;
	pthread_cond_broadcast(&w->room);
	for (size_t i = 0; i < w->n; i++) {
		struct ft_sink_slot *s = &w->slots[i];
		if (s->next > 0)
			s->next--;
		else if ((it->todo >> i & 1) && !(it->busy >> i & 1))
			s->c.dropped++;
	}
	return it;
}

/* Items every slot has written leave the ring (locked). */
static void pop_done(struct ft_writer *w)
{
	while (w->used && w->ring[w->head]->todo == 0)
		item_unref(pop_oldest(w));
}

/* A stopping writer past its deadline: the rest of the ring is dropped (locked). */
static void drop_rest(struct ft_writer *w)
{
	size_t n = w->used;
	while (w->used)
		item_unref(pop_oldest(w));
	ft_log_err(FT_LOG_MAIN, "sinks still busy or their server down at the stop: %zu queued item(s) "
	           "not written (counted as dropped; the ledger has every step, and the next start "
	           "gives the RRD series what they lack from it)", n);
}

static void flush_all(struct ft_writer *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct ft_sink_slot *s = &w->slots[i];
		int r = s->ops->flush && !s->off ? s->ops->flush(s->state) : 0;
		if (r < 0 && r != -EAGAIN)
			log_failure(s, "(flush)", r);
	}
}

/* The slot to serve now, or -1 with *wake the earliest end of a pause (locked). */
static long pick(struct ft_writer *w, int64_t now, int64_t *wake)
{
	*wake = INT64_MAX;
	for (size_t k = 0; k < w->n; k++) {
		size_t i = (w->turn + k) % w->n;
		struct ft_sink_slot *s = &w->slots[i];
		if (s->next >= w->used)
			continue;
		if (s->retry_ns <= now) {
			w->turn = (i + 1) % w->n;
			return (long)i;
		}
		if (s->retry_ns < *wake)
			*wake = s->retry_ns;
	}
	return -1;
}

static void wait_until(struct ft_writer *w, int64_t mono_ns)
{
	if (mono_ns == INT64_MAX) {
		pthread_cond_wait(&w->cv, &w->mu);
		return;
	}
	/* the condition variable runs on CLOCK_MONOTONIC (ft_writer_start) */
	struct timespec ts = { .tv_sec = mono_ns / FT_NS_PER_SEC, .tv_nsec = mono_ns % FT_NS_PER_SEC };
	pthread_cond_timedwait(&w->cv, &w->mu, &ts);
}

/* The slot's next item, written (locked on entry and exit). */
static void serve(struct ft_writer *w, size_t i)
{
	struct ft_sink_slot *s = &w->slots[i];
	struct item *it = w->ring[(w->head + s->next) % w->cap];
	char what[40];
	bool held;
	if (!(it->todo >> i & 1)) {     /* not for this slot */
		s->next++;
		return;
	}
	if (it->kind == ITEM_COUNTERS)
		it->counters.queue_depth = w->used;
	it->refs++;
	it->busy |= 1u << i;
	pthread_mutex_unlock(&w->mu);
	int r = write_one(s, it, &held);
	if (r < 0 && r != -EEXIST && r != -EAGAIN)
		log_failure(s, item_what(it, what, sizeof(what)), r);
	pthread_mutex_lock(&w->mu);
	it->busy &= ~(1u << i);
	if (r == -EAGAIN) {
		/* dropped while it was being written, and not taken: lost for this slot */
		if (!it->in_ring)
			s->c.dropped++;
		s->c.retries++;
		s->backoff_ns = s->backoff_ns ? s->backoff_ns * 2 : BACKOFF_MIN_NS;
		if (s->backoff_ns > BACKOFF_MAX_NS)
			s->backoff_ns = BACKOFF_MAX_NS;
		s->retry_ns = ft_clock_mono_ns() + s->backoff_ns;
		pthread_cond_broadcast(&w->room);  /* a drain waits for no pausing sink */
	} else {
		s->backoff_ns = s->retry_ns = 0;
		count_write(s, it, held, r);
		w->unflushed = true;
		it->todo &= ~(1u << i);
		if (it->in_ring) {      /* not dropped while it was being written */
			s->next++;
			pop_done(w);
		}
	}
	item_unref(it);
}

static void *writer_main(void *arg)
{
	struct ft_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		int64_t now = ft_clock_mono_ns(), wake;
		if (w->stop && w->used && now > w->deadline_ns)
			drop_rest(w);
		if (w->stop && !w->used)
			break;
		long i = pick(w, now, &wake);
		if (i >= 0) {
			serve(w, (size_t)i);
			continue;
		}
		if (w->unflushed) {
			w->unflushed = false;
			pthread_mutex_unlock(&w->mu);
			flush_all(w);
			pthread_mutex_lock(&w->mu);
			continue;
		}
		/* stopping, and only sinks whose server is down have items left: one more try
		 * if it comes within STOP_RETRY_NS, else they are dropped (counted; the next
		 * start takes them from the ledger) rather than holding the stop */
		if (w->stop && w->used && wake > now + STOP_RETRY_NS) {
			drop_rest(w);
			continue;
		}
		if (w->stop && wake > w->deadline_ns)
			wake = w->deadline_ns + 1;
		wait_until(w, wake);
	}
	pthread_mutex_unlock(&w->mu);
	if (w->unflushed)
		flush_all(w);
	return NULL;
}

int ft_writer_start(struct ft_sink_slot *slots, size_t n, size_t capacity, struct ft_writer **ret)
{
	if (n == 0 || n > FT_WRITER_SLOTS_MAX)
		return -EINVAL;
	struct ft_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cap = capacity ? capacity : FT_WRITER_QUEUE;
	w->ring = calloc(w->cap, sizeof(*w->ring));
	if (!w->ring) {
		free(w);
		return -ENOMEM;
	}
	w->slots = slots;
	w->n = n;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, &ca);
	pthread_cond_init(&w->room, &ca);
	pthread_condattr_destroy(&ca);
	int r = pthread_create(&w->thread, NULL, writer_main, w);
	if (r) {
		pthread_cond_destroy(&w->room);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w->ring);
		free(w);
		return -r;
	}
	*ret = w;
	return 0;
}

static void wait_room(struct ft_writer *w, int64_t mono_ns)
{
	struct timespec ts = { .tv_sec = mono_ns / FT_NS_PER_SEC, .tv_nsec = mono_ns % FT_NS_PER_SEC };
	pthread_cond_timedwait(&w->room, &w->mu, &ts);
}

/* Puts it in the ring (taken), dropping the oldest item when the ring is full. */
static bool push(struct ft_writer *w, struct item *it)
{
	char what[40], old[40];
	struct item *gone = NULL;
	it->refs = 1;
	it->in_ring = true;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->n; i++) {
		if (!slot_takes(&w->slots[i], it->kind))
			continue;
		if (w->slots[i].off)
			w->slots[i].c.dropped++;
		else
			it->todo |= 1u << i;
	}
	if (!it->todo) {
		pthread_mutex_unlock(&w->mu);
		item_unref(it);
		return true;
	}
	if (w->used == w->cap && w->patient) {
		int64_t until = ft_clock_mono_ns() + PATIENCE_NS;
		while (w->used == w->cap && ft_clock_mono_ns() < until)
			wait_room(w, until);
	}
	if (w->used == w->cap) {
		gone = pop_oldest(w);
		w->dropped_oldest++;
	}
	w->ring[(w->head + w->used) % w->cap] = it;
	w->used++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (gone) {
		if (ft_log_rl_allow(&w->drop_rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 600))
			ft_log_err(FT_LOG_MAIN, "sink queue full (%zu items): dropped the oldest (%s) to queue %s; "
			           "a sink is not keeping up or its server is down (counted as dropped; %s)", w->cap,
			           item_what(gone, old, sizeof(old)), item_what(it, what, sizeof(what)),
			           gone->kind == ITEM_SAMPLES ? "interface steps are not in the ledger: those are missing "
			           "from the interface series and totals" : "the ledger has every step: 'flowtally rrd "
			           "rebuild' restores the series");
		item_unref(gone);
	}
	return true;
}

/* Memory was short: counted as dropped for every slot it was for. */
static bool lost(struct ft_writer *w, struct item *it)
{
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->n; i++)
		if (slot_takes(&w->slots[i], it->kind))
			w->slots[i].c.dropped++;
	pthread_mutex_unlock(&w->mu);
	item_free(it);
	return false;
}

bool ft_writer_push_step(struct ft_writer *w, const struct ft_step *s)
{
	struct item *it = calloc(1, sizeof(*it));
	if (!it)
		return false;
	it->kind = ITEM_STEP;
	return ft_step_copy(s, &it->step) < 0 ? lost(w, it) : push(w, it);
}

bool ft_writer_push_interfaces(struct ft_writer *w, const struct ft_if_step *s, size_t n)
{
	struct item *it = calloc(1, sizeof(*it));
	if (!it)
		return false;
	it->kind = ITEM_SAMPLES;
	it->samples = malloc((n ? n : 1) * sizeof(*s));
	it->n_samples = n;
	if (!it->samples)
		return lost(w, it);
	if (n)
		memcpy(it->samples, s, n * sizeof(*s));
	return push(w, it);
}

bool ft_writer_push_counters(struct ft_writer *w, const struct ft_counters *c)
{
	struct item *it = calloc(1, sizeof(*it));
	if (!it)
		return false;
	it->kind = ITEM_COUNTERS;
	it->counters = *c;
	it->counters.exporters = malloc((c->n_exporters ? c->n_exporters : 1) * sizeof(*c->exporters));
	if (!it->counters.exporters)
		return lost(w, it);
	if (c->n_exporters)
		memcpy(it->counters.exporters, c->exporters, c->n_exporters * sizeof(*c->exporters));
	return push(w, it);
}

int ft_writer_drain(struct ft_writer *w, int64_t timeout_ns)
{
	int64_t until = ft_clock_mono_ns() + timeout_ns;
	int64_t wake;
	pthread_mutex_lock(&w->mu);
	/* not for a sink pausing after -EAGAIN (its server is down): its items stay */
	while (w->used && ft_clock_mono_ns() < until && pick(w, ft_clock_mono_ns(), &wake) >= 0)
		wait_room(w, until);
	int r = w->used ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&w->mu);
	return r;
}

size_t ft_writer_depth(struct ft_writer *w)
{
	pthread_mutex_lock(&w->mu);
	size_t n = w->used;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void ft_writer_counts(struct ft_writer *w, size_t i, struct ft_sink_counts *ret)
{
	pthread_mutex_lock(&w->mu);
	*ret = w->slots[i].c;
	ret->pending = 0;
	for (size_t k = w->slots[i].next; k < w->used; k++) {
		const struct item *it = w->ring[(w->head + k) % w->cap];
		ret->pending += it->todo >> i & 1;
	}
	pthread_mutex_unlock(&w->mu);
}

/* Runs on the control thread while the writer may be inside the same sink: a sink's
 * stats() reads its own counters as they are (sink.h). */
size_t ft_writer_stats(struct ft_writer *w, size_t i, struct ft_sink_stat *ret, size_t cap)
{
	const struct ft_sink_slot *s = &w->slots[i];
	return s->ops->stats && !s->off ? s->ops->stats(s->state, ret, cap) : 0;
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
	pthread_cond_destroy(&w->room);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->ring);
	free(w);
	return 0;
}

void ft_writer_set_patient(struct ft_writer *w, bool patient)
{
	pthread_mutex_lock(&w->mu);
	w->patient = patient;
	pthread_mutex_unlock(&w->mu);
}
