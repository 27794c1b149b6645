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
 * A live run (the daemon, not --replay) writes a block for every step it ran, from
 * the step holding its start on: a step no thread closed with records gets an empty
 * one (all zeros, the tenant map in force) when the commit reaches it, so in the ledger
 * a quiet step is a block of zeros and a step without a block is one flowtallyd did not
 * run.  next_ms is where that filling has got to: every step before it is pending or
 * was handed to the ledger.  A replay writes only the steps its capture has records
 * for: a capture says nothing about when a collector was running.
 *
 * state/steps.json holds the steps still open at a clean stop; the next start takes
 * them back and deletes the file.  state/running.json exists while flowtallyd runs; if
 * a start finds it, the last run did not stop cleanly and the steps it had open are
 * lost, which is logged with the times concerned.  Either file, found damaged (it does
 * not parse, or fails its checks), is said with what is wrong and set aside as
 * NAME.damaged-TIME (file.h) for inspection; the start goes on without it, and a marker
 * that cannot be read still tells an unclean stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/file.h"
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
	int64_t step_ms, lateness_ms;   /* the configuration's */
	int64_t first_ms;           /* live: the run's first step, the one holding its start */
	int64_t next_ms;            /* live: the first step not filled in yet (see above) */
	bool unclean;               /* live: the last run did not stop cleanly */
	int64_t gap_from, gap_to;   /* the steps between the last run and this one: none */
	int64_t gap_steps;
	char map_id[65];            /* live: the tenant map in force, for the empty steps */
	int64_t committed_end;      /* end of the newest step the ledger took; INT64_MIN none */
	bool boundary;              /* a step was committed since ft_outputs_boundary() */
	int64_t close_ms, write_ms; /* its close latency and the ledger's write time */
	size_t queue_steps;         /* the configuration's sink_queue */
	struct ft_log_rl fill_rl;
	struct ft_log_rl marker_rl;
	char marker[4200], open_path[4200];
	/* the running counters now, and as they were when the ledger took its last step */
	struct ft_counters_exporter *cur, *base;
	size_t n_cur, n_base;
	uint64_t drops_cur, drops_base;
	bool have_cur;
};

/* ---- the running marker and the steps saved open ---------------------------------------- */

/* Nothing in it: no cells, all zeros (an empty step, or records of no volume). */
static bool step_empty(const struct ft_step *s)
{
	const struct ft_volume *v[] = { &s->total, &s->unattributed_src, &s->unattributed_dst, &s->late,
	                                &s->not_accounted };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i]->bytes || v[i]->packets || v[i]->flows)
			return false;
	return s->n_cells == 0;
}

static void write_marker(struct ft_outputs *o, int64_t oldest_open)
{
	char when[40], open[40];
	json_t *j = json_pack("{s:i,s:s,s:s}", "pid", (int)getpid(),
	                      "alive", ft_time_format_utc(ft_clock_now_ns(), when, sizeof(when)),
	                      "oldest_open", ft_time_format_utc(oldest_open * FT_NS_PER_MS, open, sizeof(open)));
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int r = text ? ft_file_write_atomic(o->marker, text, strlen(text)) : -ENOMEM;
	if (r < 0 && ft_log_rl_allow(&o->marker_rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 1, 3600))
		ft_log_err(FT_LOG_MAIN, "cannot write %s: %s", o->marker, ft_file_strerror(r));
	free(text);
	json_decref(j);
}

/* A time of the marker, or NULL when it is not one. */
static const char *marker_time(json_t *j, const char *key)
{
	const char *t = json_string_value(json_object_get(j, key));
	int64_t ns;
	return t && ft_time_parse_ns(t, &ns) == 0 ? t : NULL;
}

/* json_load_file, never through a link (file.h): one is a marker that cannot be read. */
static json_t *load_marker(const char *path, json_error_t *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (err) {
			memset(err, 0, sizeof(*err));
			snprintf(err->text, sizeof(err->text), "%s", ft_file_strerror(-errno));
		}
		return NULL;
	}
	json_t *j = json_loadfd(fd, 0, err);
	close(fd);
	return j;
}

/* A marker left at the start is a run that did not stop cleanly.  One that cannot be
 * read (a crash or a full disk while it was written, or worse) is still one: it is set
 * aside for inspection, and what it cannot tell is "?". */
static void check_unclean(struct ft_outputs *o)
{
	json_error_t err;
	struct stat st;
	json_t *j = load_marker(o->marker, &err);
	if (!j && lstat(o->marker, &st) < 0 && errno == ENOENT)
		return;
	const char *alive = marker_time(j, "alive"), *open = marker_time(j, "oldest_open");
	if (!alive || !open || json_integer_value(json_object_get(j, "pid")) <= 0) {
		char what[400];
		if (j)
			snprintf(what, sizeof(what), "the running marker is not {\"pid\": N, \"alive\": TIME, "
			         "\"oldest_open\": TIME}");
		else
			snprintf(what, sizeof(what), "the running marker cannot be read (line %d, column %d: %s)",
			         err.line, err.column, err.text);
		ft_file_damaged(FT_LOG_WARNING, FT_LOG_MAIN, o->marker, what);
	}
	ft_log_warn(FT_LOG_MAIN, "the last run did not stop cleanly (alive at %s): the records of "
	            "the steps it had open, from %s on, are lost; nothing was counted twice",
	            alive ? alive : "?", open ? open : "?");
	o->unclean = true;
	json_decref(j);
}

/* Live, at the start: the steps from the end of the last one the ledger holds or the
 * last run saved to this run's first have no block, and never will (the ledger takes
 * no step before its last): said once, and kept for the statistics.  The ledger's last
 * step is taken to be of this configuration's length, as in ft_outputs_set_first_step. */
static void say_gap(struct ft_outputs *o, const struct ft_step *restored, size_t n)
{
	int64_t end = INT64_MIN, held = o->slots[0].held_until;
	char from[40], to[40];
	if (held != INT64_MIN && held < INT64_MAX - o->step_ms)
		end = held + o->step_ms;
	for (size_t i = 0; i < n; i++)
		if (restored[i].start_ms + restored[i].length_ms > end)
			end = restored[i].start_ms + restored[i].length_ms;
	if (end == INT64_MIN || end >= o->first_ms)
		return;
	o->gap_from = end;
	o->gap_to = o->first_ms;
	o->gap_steps = (o->first_ms - end + o->step_ms - 1) / o->step_ms;
	ft_log_notice(FT_LOG_MAIN, "no steps from %s to %s (%" PRId64 " step%s of %" PRId64 " s): "
	              "flowtallyd was not running%s", ft_time_format_utc(end * FT_NS_PER_MS, from, sizeof(from)),
	              ft_time_format_utc(o->first_ms * FT_NS_PER_MS, to, sizeof(to)), o->gap_steps,
	              o->gap_steps == 1 ? "" : "s", o->step_ms / 1000,
	              o->unclean ? " (or, since the last run did not stop cleanly, lost the steps it had "
	              "open among them)" : "");
}

int ft_outputs_take_open(struct ft_outputs *o, struct ft_step **ret, size_t *ret_n)
{
	struct ft_step *st = NULL;
	size_t n = 0, keep = 0;
	char why[300], what[400];
	int r = ft_steps_load(o->open_path, &st, &n, why, sizeof(why));
	if (r == -EINVAL || r == -EBADMSG) {
		/* kept for inspection, and out of the way of the next stop's save */
		snprintf(what, sizeof(what), "the saved open steps cannot be used (%s): they are not "
		         "restored, their records are lost", why);
		ft_file_damaged(FT_LOG_ERR, FT_LOG_MAIN, o->open_path, what);
	} else if (r < 0 && r != -ENOENT) {
		ft_log_err(FT_LOG_MAIN, "%s: cannot use the saved open steps (%s): they are not restored",
		           o->open_path, strerror(-r));
		return r;
	}
	if (r < 0) {
		if (o->live)
			say_gap(o, NULL, 0);
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (st[i].start_ms <= o->slots[0].held_until) {
			if (step_empty(&st[i]))     /* nothing lost */
				ft_log_debug(FT_LOG_MAIN, "saved empty step %" PRId64 " is already in the %s",
				             st[i].start_ms, o->slots[0].ops->name);
			else
				ft_log_warn(FT_LOG_MAIN, "saved step %" PRId64 " is already in the %s: not restored",
				            st[i].start_ms, o->slots[0].ops->name);
			ft_step_done(&st[i]);
			continue;
		}
		st[keep++] = st[i];
	}
	unlink(o->open_path);    /* restored once: a later crash loses them, never counts them twice */
	ft_log_notice(FT_LOG_MAIN, "restored %zu open step(s) saved at the last stop", keep);
	if (o->live)
		say_gap(o, st, keep);
	*ret = st;
	*ret_n = keep;
	return 0;
}

/* ---- opening the sinks -------------------------------------------------------------------- */

/* Opens one sink.  The sink logs what went wrong itself, with its paths or addresses. */
static int open_slot(struct ft_sink_slot *s, const struct ft_sink_entry *e, const struct ft_config *cfg,
                     bool live)
{
	struct ft_sink_env env = { .data_dir = cfg->data_dir, .live = live, .step_ms = cfg->agg.step_ms,
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
	size_t n = o->n, k = 0;
	for (size_t i = 0; i < n; i++) {
		int r = open_slot(&o->slots[k], &sinks[i], cfg, o->live);
		if (r < 0 && i == 0)
			return r;
		if (r == -ECANCELED) {  /* turned off by the configuration: not there at all */
			o->n--;
			continue;
		}
		k++;
		if (r < 0)
			ft_log_err(FT_LOG_MAIN, "sink %s did not open (%s): it is off until the next start; "
			           "its steps are counted as dropped and the ledger has them", sinks[i].ops->name,
			           strerror(-r));
	}
	/* a step comes with its counters: two items */
	int r = o->n > 1 ? ft_writer_start(o->slots + 1, o->n - 1, 2 * o->queue_steps, &o->writer) : 0;
	if (r == 0 && o->writer && !o->live)
		ft_writer_set_patient(o->writer, true);
	return r;
}

/* Another flowtallyd holds the data directory: which one, from its running marker. */
static void say_who(const struct ft_outputs *o, const char *data_dir)
{
	json_t *j = load_marker(o->marker, NULL);
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
	struct ft_outputs *o = n && cfg->agg.step_ms > 0 ? calloc(1, sizeof(*o)) : NULL;
	if (!o)
		return n && cfg->agg.step_ms > 0 ? -ENOMEM : -EINVAL;
	o->live = live;
	o->n = n;
	o->step_ms = cfg->agg.step_ms;
	o->lateness_ms = cfg->agg.lateness_ms;
	o->queue_steps = cfg->sink_queue ? cfg->sink_queue : FT_WRITER_QUEUE / 2;
	o->committed_end = INT64_MIN;
	snprintf(o->marker, sizeof(o->marker), "%s/state/running.json", cfg->data_dir);
	snprintf(o->open_path, sizeof(o->open_path), "%s/state/steps.json", cfg->data_dir);
	snprintf(dir, sizeof(dir), "%s/state", cfg->data_dir);
	char err[4400];
	int r = ft_file_own_dir(dir, geteuid(), (gid_t)-1, err, sizeof(err));
	if (r < 0)
		ft_log_err(FT_LOG_MAIN, "%s", err);
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
		ft_outputs_set_first_step(o, ft_clock_now_ns() / FT_NS_PER_MS);
	}
	*ret = o;
	return 0;
}

static int64_t floor_to(int64_t t, int64_t step)
{
	int64_t q = t / step;
	return (q - (t % step < 0)) * step;
}

void ft_outputs_set_first_step(struct ft_outputs *o, int64_t t_ms)
{
	int64_t held = o->slots[0].held_until;
	o->first_ms = o->next_ms = floor_to(t_ms, o->step_ms);
	/* the sink says where its last step starts, not how long it is: taken to be a step
	 * of this configuration's (a longer one only makes the ledger refuse empty steps
	 * it covers, which loses nothing) */
	if (held != INT64_MIN && held < INT64_MAX - 2 * o->step_ms && held + o->step_ms > o->next_ms)
		o->next_ms = floor_to(held + 2 * o->step_ms - 1, o->step_ms);
}

void ft_outputs_set_map_id(struct ft_outputs *o, const char *map_id)
{
	snprintf(o->map_id, sizeof(o->map_id), "%s", map_id);
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
	free(o->cur);
	free(o->base);
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
	/* steps mostly come in order: after the last one, without a walk */
	size_t i = o->n_pending && o->pending[o->n_pending - 1].start_ms < st->start_ms ? o->n_pending : 0;
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
	int r = d ? ft_step_merge(d, st) : -ENOMEM;
	if (r < 0)
		ft_log_err(FT_LOG_MAIN, "%s: step %" PRId64 " part lost",
		           r == -EOVERFLOW ? "its sums would pass 2^64 - 1" : "out of memory", st->start_ms);
	else
		snprintf(d->map_id, sizeof(d->map_id), "%s", st->map_id);
	ft_step_done(st);
}

/* Every step start in [from, before) (from aligned) that d holds no step for gets an
 * empty one with map_id, up to max of them; returns the first start not filled in (the
 * first aligned one at or after before when all were). */
static int64_t fill_quiet(struct ft_outputs *d, int64_t from, int64_t before, int64_t step,
                          const char *map_id, size_t max)
{
	int64_t s = from;
	for (size_t k = 0; s < before && k < max; k++, s += step) {
		size_t n = d->n_pending;
		struct ft_step *st = find_or_insert(d, &(struct ft_step){ .start_ms = s, .length_ms = step });
		if (!st) {
			char t[40];
			if (ft_log_rl_allow(&d->fill_rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 300))
				ft_log_err(FT_LOG_MAIN, "out of memory: the empty step %s and those after it wait",
				           ft_time_format_utc(s * FT_NS_PER_MS, t, sizeof(t)));
			break;
		}
		if (d->n_pending > n)
			snprintf(st->map_id, sizeof(st->map_id), "%s", map_id);
	}
	return s;
}

static void drop_first(struct ft_outputs *o)
{
	ft_step_done(&o->pending[0]);
	memmove(o->pending, o->pending + 1, (o->n_pending - 1) * sizeof(*o->pending));
	o->n_pending--;
}

void ft_outputs_set_counters(struct ft_outputs *o, const struct ft_counters *c)
{
	struct ft_counters_exporter *v = malloc((c->n_exporters + 1) * sizeof(*v));
	if (!v)
		return;                 /* the next call brings them: nothing is lost */
	if (c->n_exporters)
		memcpy(v, c->exporters, c->n_exporters * sizeof(*v));
	free(o->cur);
	o->cur = v;
	o->n_cur = c->n_exporters;
	o->drops_cur = c->kernel_drops;
	o->have_cur = true;
}

static uint64_t grew(uint64_t now, uint64_t then)
{
	return now >= then ? now - then : now;   /* an entry evicted and seen again starts over */
}

/* How much each exporter's counters grew since the ledger's last step, into st (the
 * exporters that did anything, in order). */
static void attach_counters(struct ft_outputs *o, struct ft_step *st)
{
	if (!o->have_cur)
		return;
	struct ft_step_exporter *v = calloc(o->n_cur + 1, sizeof(*v));
	if (!v)
		return;
	size_t n = 0;
	for (size_t i = 0; i < o->n_cur; i++) {
		const struct ft_counters_exporter *c = &o->cur[i], *b = NULL;
		for (size_t j = 0; j < o->n_base && !b; j++)
			if (o->base[j].domain == c->domain && ft_addr_equal(&o->base[j].addr, &c->addr))
				b = &o->base[j];
		struct ft_counters_exporter z = { 0 };
		if (!b)
			b = &z;
		struct ft_step_exporter e = { .exporter = c->addr, .domain = c->domain,
		                              .datagrams = grew(c->datagrams, b->datagrams),
		                              .records = grew(c->records, b->records),
		                              .seq_lost = grew(c->seq_lost, b->seq_lost),
		                              .no_template = grew(c->no_template, b->no_template),
		                              .parse_errors = grew(c->parse_errors, b->parse_errors),
		                              .sampling_changes = grew(c->sampling_changes, b->sampling_changes),
		                              .sampling_rate = c->sampling_rate ? c->sampling_rate : 1 };
		if (e.datagrams || e.records || e.seq_lost || e.no_template || e.parse_errors || e.sampling_changes)
			v[n++] = e;
	}
	qsort(v, n, sizeof(*v), ft_step_exporter_cmp);
	free(st->exporters);
	st->exporters = v;
	st->n_exporters = n;
	st->kernel_drops = grew(o->drops_cur, o->drops_base);
	st->have_counters = true;
}

/* The ledger took a step: the counters it recorded are the base of the next one's. */
static void counters_taken(struct ft_outputs *o)
{
	if (!o->have_cur)
		return;
	struct ft_counters_exporter *v = malloc((o->n_cur + 1) * sizeof(*v));
	if (!v)
		return;
	if (o->n_cur)
		memcpy(v, o->cur, o->n_cur * sizeof(*v));
	free(o->base);
	o->base = v;
	o->n_base = o->n_cur;
	o->drops_base = o->drops_cur;
}

/* The first pending step to the authoritative sink; false when it must wait. */
static bool commit_first(struct ft_outputs *o)
{
	struct ft_sink_slot *s = &o->slots[0];
	struct ft_step *st = &o->pending[0];
	char t[40];
	ft_time_format_utc(st->start_ms * FT_NS_PER_MS, t, sizeof(t));
	attach_counters(o, st);
	int64_t t0 = ft_clock_mono_ns();
	int r = ft_step_check(st) < 0 ? -EBADMSG : s->ops->write_step(s->state, st);
	int64_t t1 = ft_clock_mono_ns();
	if (r == -EEXIST) {
		/* an empty one is covered by a step the sink holds (a longer one of an earlier
		 * configuration): nothing is lost, nothing to warn of */
		if (step_empty(st))
			ft_log_debug(FT_LOG_MAIN, "empty step %s is in the %s already", t, s->ops->name);
		else
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
		counters_taken(o);
		s->c.written++;
		s->c.last_ms = st->start_ms;
		o->committed_end = st->start_ms + st->length_ms;
		o->boundary = true;
		o->write_ms = (t1 - t0) / FT_NS_PER_MS;
		o->close_ms = ft_clock_now_ns() / FT_NS_PER_MS - o->committed_end;
		if (o->writer && !ft_writer_push_step(o->writer, st) &&
		    ft_log_rl_allow(&s->rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 300))
			ft_log_err(FT_LOG_MAIN, "sink queue full: step %s is in the %s only", t, s->ops->name);
	}
	drop_first(o);
	return true;
}

/* Empty steps filled in at one commit at most: a clock that jumped far ahead keeps the
 * control loop turning, and the rest come at the next commits. */
#define FILL_MAX 4096

void ft_outputs_commit(struct ft_outputs *o, int64_t complete_before)
{
	int64_t upto = complete_before;
	if (o->live && complete_before < INT64_MAX / 2) {
		o->next_ms = fill_quiet(o, o->next_ms, complete_before, o->step_ms, o->map_id, FILL_MAX);
		upto = o->next_ms < complete_before ? o->next_ms : complete_before;
	}
	/* only what is filled in: a step after an empty one not made yet would shut it out */
	while (o->n_pending && o->pending[0].start_ms < upto && commit_first(o))
		;
	if (o->live && complete_before < INT64_MAX / FT_NS_PER_MS)
		write_marker(o, complete_before);
}

int ft_outputs_drain(struct ft_outputs *o, int64_t timeout_ns)
{
	return o->writer ? ft_writer_drain(o->writer, timeout_ns) : 0;
}

void ft_outputs_set_patient(struct ft_outputs *o, bool patient)
{
	if (o->writer)
		ft_writer_set_patient(o->writer, patient);
}

bool ft_outputs_boundary(struct ft_outputs *o, int64_t *ret_end_ms)
{
	bool b = o->boundary;
	o->boundary = false;
	*ret_end_ms = o->committed_end;
	return b;
}

void ft_outputs_counters(struct ft_outputs *o, const struct ft_counters *c)
{
	if (!o->writer)
		return;
	struct ft_counters k = *c;
	k.time_ms = o->committed_end;
	/* a replay's steps end in the capture's time: how long after that the step closed
	 * says nothing (unknown, not a latency of years) */
	k.step_close_ms = o->live ? o->close_ms : -1;
	k.ledger_write_ms = o->write_ms;
	ft_writer_push_counters(o->writer, &k);
}

void ft_outputs_interfaces(struct ft_outputs *o, const struct ft_if_step *s, size_t n)
{
	if (o->writer)
		ft_writer_push_interfaces(o->writer, s, n);
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

/* At a stop the steps from next_ms to the one holding the clock were the run's too:
 * those no thread had records in are saved empty with the others, for the next start to
 * write.  Not beyond the open window (the clock may have jumped), but up to the last
 * step saved, so that the saved steps follow each other without a hole. */
static void fill_saved(const struct ft_outputs *o, struct ft_outputs *tmp)
{
	int64_t window = ((o->lateness_ms + o->step_ms - 1) / o->step_ms + 2) * o->step_ms;
	int64_t end = floor_to(ft_clock_now_ns() / FT_NS_PER_MS, o->step_ms) + o->step_ms;
	if (end > o->next_ms + window)
		end = o->next_ms + window;
	if (tmp->n_pending && tmp->pending[tmp->n_pending - 1].start_ms >= end)
		end = tmp->pending[tmp->n_pending - 1].start_ms + o->step_ms;
	fill_quiet(tmp, o->next_ms, end, o->step_ms, o->map_id, SIZE_MAX);
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
	if (o->live)
		fill_saved(o, &tmp);
	int r = tmp.n_pending ? ft_steps_save(o->open_path, tmp.pending, tmp.n_pending) : 0;
	if (r < 0 && tmp.n_pending)
		ft_log_err(FT_LOG_MAIN, "cannot save %zu step(s) to %s (%s): they are LOST, %s", tmp.n_pending,
		           o->open_path, strerror(-r), describe(tmp.pending, tmp.n_pending, what, sizeof(what)));
	else if (r < 0)
		ft_log_err(FT_LOG_MAIN, "cannot write %s: %s", o->open_path, ft_file_strerror(r));
	else if (tmp.n_pending)
		ft_log_notice(FT_LOG_MAIN, "saved %zu open step(s) to %s, %s", tmp.n_pending, o->open_path,
		              describe(tmp.pending, tmp.n_pending, what, sizeof(what)));
	for (size_t i = 0; i < tmp.n_pending; i++)
		ft_step_done(&tmp.pending[i]);
	free(tmp.pending);
	return r;
}

/* ---- statistics --------------------------------------------------------------------------- */

/* The authoritative sink's gap before this run: the steps it will never have a block
 * for (0 and never when there are none). */
static void add_gap_rows(const struct ft_outputs *o, struct ft_sink_report *r)
{
	r->rows[r->n_rows++] = (struct ft_sink_stat){ "gap_steps", FT_SINK_STAT_COUNT, o->gap_steps, "" };
	r->rows[r->n_rows++] = (struct ft_sink_stat){ "gap_from", FT_SINK_STAT_TIME_MS, o->gap_from, "" };
	r->rows[r->n_rows++] = (struct ft_sink_stat){ "gap_to", FT_SINK_STAT_TIME_MS, o->gap_to, "" };
}

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
			r->n_rows = s->ops->stats ? s->ops->stats(s->state, r->rows, FT_SINK_STATS_MAX - 3) : 0;
			add_gap_rows(o, r);
		} else {
			ft_writer_counts(o->writer, i - 1, &r->c);
			r->n_rows = ft_writer_stats(o->writer, i - 1, r->rows, FT_SINK_STATS_MAX);
		}
	}
	return n;
}
