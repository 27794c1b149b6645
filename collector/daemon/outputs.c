/* Closed steps, from the receive threads to the sinks (outputs.h).
 *
 * Each receive thread closes a step when the wall clock passes its end plus the
 * lateness window, and hands its part of it over; a thread also says up to where it
 * has closed.  A step is complete once every thread has closed past it: its parts are
 * merged by name (pending, sorted by start) and written to the authoritative sink, the
 * ledger, oldest first, on this (the control) thread.  A step the ledger already holds
 * is refused and not written again (a restart can never count twice); a step that
 * cannot be written now (a full disk) stays pending and is retried at the next commit.
 * Every step the ledger committed is then queued for the other sinks (writer.c).
 *
 * state/steps.json holds the steps still open at a clean stop; the next start takes
 * them back and deletes the file.  state/running.json exists while flowtallyd runs; if
 * a start finds it, the last run did not stop cleanly and the steps it had open are
 * lost, which is logged with the times concerned.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/log.h"
#include "outputs.h"
#include "writer.h"

struct ft_outputs {
	bool live;                  /* a running daemon (not --replay): keeps the marker */
	struct ft_sink_slot *slots; /* [0] authoritative, [1..n) fed by the writer */
	size_t n;
	struct ft_writer *writer;   /* NULL when there is no sink after the first */
	struct ft_step *pending;    /* closed steps by start, parts merged */
	size_t n_pending, cap_pending;
	char marker[4200], open_path[4200];
};

/* ---- the running marker and the steps saved open ---------------------------------------- */

static void write_marker(struct ft_outputs *o, int64_t oldest_open)
{
	char when[40], open[40];
	json_t *j = json_pack("{s:i,s:s,s:s}", "pid", (int)getpid(),
	                      "alive", ft_time_format_utc(ft_clock_now_ns(), when, sizeof(when)),
	                      "oldest_open", ft_time_format_utc(oldest_open * FT_NS_PER_MS, open, sizeof(open)));
	char tmp[4300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", o->marker);
	if (j && json_dump_file(j, tmp, JSON_COMPACT) == 0)
		rename(tmp, o->marker);
	json_decref(j);
}

static void check_unclean(struct ft_outputs *o)
{
	json_t *j = json_load_file(o->marker, 0, NULL);
	if (!j)
		return;
	const char *alive = json_string_value(json_object_get(j, "alive"));
	const char *open = json_string_value(json_object_get(j, "oldest_open"));
	ft_log_warn(FT_LOG_MAIN, "the last run did not stop cleanly (alive at %s): the records of "
	            "the steps it had open, from %s on, are lost; nothing was counted twice",
	            alive ? alive : "?", open ? open : "?");
	json_decref(j);
}

int ft_outputs_take_open(struct ft_outputs *o, struct ft_step **ret, size_t *ret_n)
{
	struct ft_step *st = NULL;
	size_t n = 0, keep = 0;
	int r = ft_steps_load(o->open_path, &st, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		ft_log_err(FT_LOG_MAIN, "%s: cannot use the saved open steps (%s): they are not restored",
		           o->open_path, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		if (st[i].start_ms <= o->slots[0].held_until) {
			ft_log_warn(FT_LOG_MAIN, "saved step %" PRId64 " is already in the %s: not restored",
			            st[i].start_ms, o->slots[0].ops->name);
			ft_step_done(&st[i]);
			continue;
		}
		st[keep++] = st[i];
	}
	unlink(o->open_path);    /* restored once: a later crash loses them, never counts them twice */
	ft_log_notice(FT_LOG_MAIN, "restored %zu open step(s) saved at the last stop", keep);
	*ret = st;
	*ret_n = keep;
	return 0;
}

/* ---- opening the sinks -------------------------------------------------------------------- */

/* Opens one sink.  The sink logs what went wrong itself, with its paths or addresses. */
static int open_slot(struct ft_sink_slot *s, const struct ft_sink_entry *e, const struct ft_config *cfg,
                     bool live)
{
	struct ft_sink_env env = { .data_dir = cfg->data_dir, .live = live,
	                           .conf = e->conf_off == FT_SINK_NO_CONF ? NULL : (const char *)cfg + e->conf_off };
	*s = (struct ft_sink_slot){ .ops = e->ops, .held_until = INT64_MIN };
	int r = e->ops->open(&env, &s->state);
	if (r < 0) {
		s->off = true;
		return r;
	}
	if (!s->ops->last_step || s->ops->last_step(s->state, &s->held_until) < 0)
		s->held_until = INT64_MIN;
	return 0;
}

/* The first sink must open: nothing is counted without it.  Another that does not is
 * off for this run: its steps count as dropped, and the others go on. */
static int open_sinks(struct ft_outputs *o, const struct ft_config *cfg, const struct ft_sink_entry *sinks)
{
	for (size_t i = 0; i < o->n; i++) {
		int r = open_slot(&o->slots[i], &sinks[i], cfg, o->live);
		if (r < 0 && i == 0)
			return r;
		if (r < 0)
			ft_log_err(FT_LOG_MAIN, "sink %s did not open (%s): it is off until the next start; "
			           "its steps are counted as dropped and the ledger has them", sinks[i].ops->name,
			           strerror(-r));
	}
	return o->n > 1 ? ft_writer_start(o->slots + 1, o->n - 1, &o->writer) : 0;
}

/* Another flowtallyd holds the data directory: which one, from its running marker. */
static void say_who(const struct ft_outputs *o, const char *data_dir)
{
	json_t *j = json_load_file(o->marker, 0, NULL);
	json_int_t pid = json_integer_value(json_object_get(j, "pid"));
	if (pid > 0)
		ft_log_err(FT_LOG_MAIN, "%s is in use by flowtallyd pid %lld (state/running.json)", data_dir,
		           (long long)pid);
	else
		ft_log_err(FT_LOG_MAIN, "%s is in use by another flowtally process", data_dir);
	json_decref(j);
}

int ft_outputs_open(const struct ft_config *cfg, const struct ft_sink_entry *sinks, size_t n,
                    bool live, struct ft_outputs **ret)
{
	char dir[4200];
	struct ft_outputs *o = n ? calloc(1, sizeof(*o)) : NULL;
	if (!o)
		return n ? -ENOMEM : -EINVAL;
	o->live = live;
	o->n = n;
	snprintf(o->marker, sizeof(o->marker), "%s/state/running.json", cfg->data_dir);
	snprintf(o->open_path, sizeof(o->open_path), "%s/state/steps.json", cfg->data_dir);
	snprintf(dir, sizeof(dir), "%s/state", cfg->data_dir);
	int r = mkdir(dir, 0755) < 0 && errno != EEXIST ? -errno : 0;
	if (r < 0)
		ft_log_err(FT_LOG_MAIN, "cannot create %s: %s", dir, strerror(-r));
	if (r == 0)
		r = (o->slots = calloc(n, sizeof(*o->slots))) ? open_sinks(o, cfg, sinks) : -ENOMEM;
	if (r == -EBUSY)
		say_who(o, cfg->data_dir);
	if (r < 0) {
		o->live = false;        /* nothing ran: leave a crash's marker for the next start */
		ft_outputs_close(o);
		return r;
	}
	if (live) {
		check_unclean(o);
		write_marker(o, ft_clock_now_ns() / FT_NS_PER_MS);
	}
	*ret = o;
	return 0;
}

/* How long the other sinks may take to write what is queued at a stop. */
#define DRAIN_NS (15 * FT_NS_PER_SEC)

void ft_outputs_close(struct ft_outputs *o)
{
	ft_outputs_close_within(o, DRAIN_NS);
}

void ft_outputs_close_within(struct ft_outputs *o, int64_t drain_ns)
{
	if (!o)
		return;
	/* a sink stuck in a write keeps the writer thread: it and its sinks are left */
	bool stuck = ft_writer_stop(o->writer, drain_ns) < 0;
	for (size_t i = 0; i < o->n_pending; i++)
		ft_step_done(&o->pending[i]);
	free(o->pending);
	for (size_t i = 0; o->slots && i < (stuck ? 1 : o->n); i++)
		if (o->slots[i].ops && !o->slots[i].off)
			o->slots[i].ops->close(o->slots[i].state);
	if (!stuck)
		free(o->slots);
	if (o->live)
		unlink(o->marker);
	free(o);
}

/* ---- pending steps ------------------------------------------------------------------------ */

static struct ft_step *find_or_insert(struct ft_outputs *o, const struct ft_step *st)
{
	size_t i = 0;
	while (i < o->n_pending && o->pending[i].start_ms < st->start_ms)
		i++;
	if (i < o->n_pending && o->pending[i].start_ms == st->start_ms)
		return &o->pending[i];
	if (o->n_pending == o->cap_pending) {
		size_t cap = o->cap_pending ? o->cap_pending * 2 : 8;
		struct ft_step *p = realloc(o->pending, cap * sizeof(*p));
		if (!p)
			return NULL;
		o->pending = p;
		o->cap_pending = cap;
	}
	memmove(&o->pending[i + 1], &o->pending[i], (o->n_pending - i) * sizeof(*o->pending));
	o->pending[i] = (struct ft_step){ .start_ms = st->start_ms, .length_ms = st->length_ms };
	o->n_pending++;
	return &o->pending[i];
}

void ft_outputs_add(struct ft_outputs *o, struct ft_step *st)
{
	struct ft_step *d = find_or_insert(o, st);
	if (!d || ft_step_merge(d, st) < 0)
		ft_log_err(FT_LOG_MAIN, "out of memory: step %" PRId64 " part lost", st->start_ms);
	else
		snprintf(d->map_id, sizeof(d->map_id), "%s", st->map_id);
	ft_step_done(st);
}

static void drop_first(struct ft_outputs *o)
{
	ft_step_done(&o->pending[0]);
	memmove(o->pending, o->pending + 1, (o->n_pending - 1) * sizeof(*o->pending));
	o->n_pending--;
}

/* The first pending step to the authoritative sink; false when it must wait. */
static bool commit_first(struct ft_outputs *o)
{
	struct ft_sink_slot *s = &o->slots[0];
	struct ft_step *st = &o->pending[0];
	char t[40];
	ft_time_format_utc(st->start_ms * FT_NS_PER_MS, t, sizeof(t));
	int r = ft_step_check(st) < 0 ? -EBADMSG : s->ops->write_step(s->state, st);
	if (r == -EEXIST) {
		ft_log_warn(FT_LOG_MAIN, "step %s is already in the %s: not written again", t, s->ops->name);
		s->c.refused++;
	} else if (r == -EINVAL || r == -EBADMSG) {
		/* the sink cannot hold this step as it is: retrying will not help */
		ft_log_err(FT_LOG_MAIN, "step %s refused by the %s (%s): not written", t, s->ops->name,
		           r == -EBADMSG ? "it does not balance" : strerror(-r));
		s->c.errors++;
		s->c.dropped++;
	} else if (r < 0) {
		if (ft_log_rl_allow(&s->rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 300))
			ft_log_err(FT_LOG_MAIN, "cannot write step %s to the %s: %s (kept, retried)", t,
			           s->ops->name, strerror(-r));
		s->c.errors++;
		return false;
	} else {
		s->c.written++;
		s->c.last_ms = st->start_ms;
		if (o->writer && !ft_writer_push_step(o->writer, st) &&
		    ft_log_rl_allow(&s->rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 300))
			ft_log_err(FT_LOG_MAIN, "sink queue full: step %s is in the %s only", t, s->ops->name);
	}
	drop_first(o);
	return true;
}

void ft_outputs_commit(struct ft_outputs *o, int64_t complete_before)
{
	while (o->n_pending && o->pending[0].start_ms < complete_before && commit_first(o))
		;
	if (o->live && complete_before < INT64_MAX / FT_NS_PER_MS)
		write_marker(o, complete_before);
}

void ft_outputs_samples(struct ft_outputs *o, const struct ft_if_sample *s, size_t n)
{
	if (o->writer)
		ft_writer_push_samples(o->writer, s, n);
}

/* "from T to T: F flows, B bytes, P packets" of s[0..n) (n > 0), into buf. */
static char *describe(const struct ft_step *s, size_t n, char *buf, size_t size)
{
	struct ft_volume v = { 0 };
	char from[40], to[40];
	for (size_t i = 0; i < n; i++) {
		v.bytes += s[i].total.bytes + s[i].not_accounted.bytes;
		v.packets += s[i].total.packets + s[i].not_accounted.packets;
		v.flows += s[i].total.flows + s[i].not_accounted.flows;
	}
	snprintf(buf, size, "from %s to %s: %" PRIu64 " flows, %" PRIu64 " bytes, %" PRIu64 " packets",
	         ft_time_format_utc(s[0].start_ms * FT_NS_PER_MS, from, sizeof(from)),
	         ft_time_format_utc(s[n - 1].start_ms * FT_NS_PER_MS, to, sizeof(to)), v.flows, v.bytes,
	         v.packets);
	return buf;
}

int ft_outputs_save_open(struct ft_outputs *o, struct ft_step *open, size_t n)
{
	struct ft_outputs tmp = { 0 };
	char what[256];
	if (o->n_pending)
		ft_log_warn(FT_LOG_MAIN, "%zu closed step(s) not written (the %s could not take them, or "
		            "a thread stopped with them open), %s: saved with the open steps", o->n_pending,
		            o->slots[0].ops->name, describe(o->pending, o->n_pending, what, sizeof(what)));
	for (size_t i = 0; i < n; i++)
		ft_outputs_add(&tmp, &open[i]);
	for (size_t i = 0; i < o->n_pending; i++)
		ft_outputs_add(&tmp, &o->pending[i]);
	o->n_pending = 0;
	int r = tmp.n_pending ? ft_steps_save(o->open_path, tmp.pending, tmp.n_pending) : 0;
	if (r < 0 && tmp.n_pending)
		ft_log_err(FT_LOG_MAIN, "cannot save %zu step(s) to %s (%s): they are LOST, %s", tmp.n_pending,
		           o->open_path, strerror(-r), describe(tmp.pending, tmp.n_pending, what, sizeof(what)));
	else if (r < 0)
		ft_log_err(FT_LOG_MAIN, "cannot write %s: %s", o->open_path, strerror(-r));
	else if (tmp.n_pending)
		ft_log_notice(FT_LOG_MAIN, "saved %zu open step(s) to %s, %s", tmp.n_pending, o->open_path,
		              describe(tmp.pending, tmp.n_pending, what, sizeof(what)));
	for (size_t i = 0; i < tmp.n_pending; i++)
		ft_step_done(&tmp.pending[i]);
	free(tmp.pending);
	return r;
}

/* ---- statistics --------------------------------------------------------------------------- */

size_t ft_outputs_report(struct ft_outputs *o, struct ft_sink_report *ret, size_t cap)
{
	size_t n = o->n < cap ? o->n : cap;
	for (size_t i = 0; i < n; i++) {
		struct ft_sink_slot *s = &o->slots[i];
		struct ft_sink_report *r = &ret[i];
		*r = (struct ft_sink_report){ 0 };
		snprintf(r->name, sizeof(r->name), "%s", s->ops->name);
		if (i == 0) {
			r->c = s->c;
			r->c.pending = o->n_pending;
			r->n_rows = s->ops->stats ? s->ops->stats(s->state, r->rows, FT_SINK_STATS_MAX) : 0;
		} else {
			ft_writer_counts(o->writer, i - 1, &r->c);
			r->n_rows = ft_writer_stats(o->writer, i - 1, r->rows, FT_SINK_STATS_MAX);
		}
	}
	return n;
}
