/* Closed steps, from the receive threads to the ledger (main thread).
 *
 * Each receive thread closes a step when the wall clock passes its end plus the
 * lateness window, and leaves its part of it in its outbox; a thread also says up to
 * where it has closed.  A step is complete once every thread has closed past it: its
 * parts are merged by name and appended to the ledger, oldest first.  A step the
 * ledger already holds is refused by the ledger and not written again (a restart can
 * never count twice); a step that cannot be written (full disk) stays here and is
 * retried at the next tick.
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
#include "steps.h"

static void paths(struct ft_stepper *s, const struct ft_config *cfg)
{
	snprintf(s->marker, sizeof(s->marker), "%s/state/running.json", cfg->data_dir);
	snprintf(s->open_path, sizeof(s->open_path), "%s/state/steps.json", cfg->data_dir);
	snprintf(s->ledger_dir, sizeof(s->ledger_dir), "%s/ledger", cfg->data_dir);
}

static void write_marker(struct ft_stepper *s, int64_t oldest_open)
{
	char when[40], open[40];
	json_t *j = json_pack("{s:i,s:s,s:s}", "pid", (int)getpid(),
	                      "alive", ft_time_format_utc(ft_clock_now_ns(), when, sizeof(when)),
	                      "oldest_open", ft_time_format_utc(oldest_open * FT_NS_PER_MS, open, sizeof(open)));
	char tmp[4300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->marker);
	if (j && json_dump_file(j, tmp, JSON_COMPACT) == 0)
		rename(tmp, s->marker);
	json_decref(j);
}

static void check_unclean(struct ft_stepper *s)
{
	json_t *j = json_load_file(s->marker, 0, NULL);
	if (!j)
		return;
	const char *alive = json_string_value(json_object_get(j, "alive"));
	const char *open = json_string_value(json_object_get(j, "oldest_open"));
	ft_log_warn(FT_LOG_MAIN, "the last run did not stop cleanly (alive at %s): the records of "
	            "the steps it had open, from %s on, are lost; nothing was counted twice",
	            alive ? alive : "?", open ? open : "?");
	s->unclean = true;
	json_decref(j);
}

int ft_stepper_open(struct ft_stepper *s, const struct ft_config *cfg, bool live)
{
	*s = (struct ft_stepper){ .live = live };
	paths(s, cfg);
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/state", cfg->data_dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	int r = ft_ledger_open(s->ledger_dir, &s->ledger);
	if (r < 0) {
		ft_log_err(FT_LOG_MAIN, "cannot open the ledger in %s: %s", s->ledger_dir, strerror(-r));
		return r;
	}
	if (live) {
		check_unclean(s);
		write_marker(s, ft_clock_now_ns() / FT_NS_PER_MS);
	}
	return 0;
}

void ft_stepper_close(struct ft_stepper *s)
{
	for (size_t i = 0; i < s->n; i++)
		ft_step_done(&s->pending[i]);
	free(s->pending);
	s->ledger = ft_ledger_close(s->ledger);
	if (s->live)
		unlink(s->marker);
}

int ft_stepper_take_open(struct ft_stepper *s, struct ft_step **ret, size_t *ret_n)
{
	struct ft_step *st = NULL;
	size_t n = 0, keep = 0;
	int64_t last = INT64_MIN, len;
	int r = ft_steps_load(s->open_path, &st, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		ft_log_err(FT_LOG_MAIN, "%s: cannot use the saved open steps (%s): they are not restored",
		           s->open_path, strerror(-r));
		return r;
	}
	if (ft_ledger_last_step(s->ledger, &last, &len) < 0)
		last = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		if (st[i].start_ms <= last) {
			ft_log_warn(FT_LOG_MAIN, "saved step %" PRId64 " is already in the ledger: not restored",
			            st[i].start_ms);
			ft_step_done(&st[i]);
			continue;
		}
		st[keep++] = st[i];
	}
	unlink(s->open_path);    /* restored once: a later crash loses them, never counts them twice */
	ft_log_notice(FT_LOG_MAIN, "restored %zu open step(s) saved at the last stop", keep);
	*ret = st;
	*ret_n = keep;
	return 0;
}

/* ---- pending parts ---------------------------------------------------------------------- */

static struct ft_step *find_or_insert(struct ft_stepper *s, const struct ft_step *st)
{
	size_t i = 0;
	while (i < s->n && s->pending[i].start_ms < st->start_ms)
		i++;
	if (i < s->n && s->pending[i].start_ms == st->start_ms)
		return &s->pending[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct ft_step *p = realloc(s->pending, cap * sizeof(*p));
		if (!p)
			return NULL;
		s->pending = p;
		s->cap = cap;
	}
	memmove(&s->pending[i + 1], &s->pending[i], (s->n - i) * sizeof(*s->pending));
	s->pending[i] = (struct ft_step){ .start_ms = st->start_ms, .length_ms = st->length_ms };
	snprintf(s->pending[i].map_id, sizeof(s->pending[i].map_id), "%s", st->map_id);
	s->n++;
	return &s->pending[i];
}

void ft_stepper_add(struct ft_stepper *s, struct ft_step *st)
{
	struct ft_step *d = find_or_insert(s, st);
	if (!d || ft_step_merge(d, st) < 0)
		ft_log_err(FT_LOG_MAIN, "out of memory: step %" PRId64 " part lost", st->start_ms);
	else
		snprintf(d->map_id, sizeof(d->map_id), "%s", st->map_id);
	ft_step_done(st);
}

static void drop_first(struct ft_stepper *s)
{
	ft_step_done(&s->pending[0]);
	memmove(s->pending, s->pending + 1, (s->n - 1) * sizeof(*s->pending));
	s->n--;
}

void ft_stepper_commit(struct ft_stepper *s, int64_t complete_before)
{
	char t[40];
	while (s->n && s->pending[0].start_ms < complete_before) {
		struct ft_step *st = &s->pending[0];
		ft_time_format_utc(st->start_ms * FT_NS_PER_MS, t, sizeof(t));
		if (ft_step_check(st) < 0) {
			ft_log_err(FT_LOG_MAIN, "step %s does not balance: not written (internal error)", t);
			s->errors++;
			drop_first(s);
			continue;
		}
		int r = ft_ledger_append(s->ledger, st);
		if (r == -EEXIST) {
			ft_log_warn(FT_LOG_MAIN, "step %s is already in the ledger: not written again", t);
			s->refused++;
		} else if (r == -EINVAL || r == -EBADMSG) {
			/* the ledger cannot hold this step as it is: retrying will not help */
			ft_log_err(FT_LOG_MAIN, "step %s refused by the ledger (%s): not written", t, strerror(-r));
			s->errors++;
		} else if (r < 0) {
			if (ft_log_rl_allow(&s->rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 300))
				ft_log_err(FT_LOG_MAIN, "cannot write step %s to the ledger in %s: %s (kept, "
				           "retried)", t, s->ledger_dir, strerror(-r));
			s->errors++;
			return;
		} else {
			s->written++;
			s->last_written = st->start_ms;
		}
		drop_first(s);
	}
	if (s->live && complete_before < INT64_MAX / FT_NS_PER_MS)
		write_marker(s, complete_before);
}

int ft_stepper_save_open(struct ft_stepper *s, struct ft_step *open, size_t n)
{
	struct ft_stepper tmp = { 0 };
	for (size_t i = 0; i < n; i++)
		ft_stepper_add(&tmp, &open[i]);
	int r = ft_steps_save(s->open_path, tmp.pending, tmp.n);
	if (r < 0)
		ft_log_err(FT_LOG_MAIN, "cannot save the open steps to %s: %s: their records are lost",
		           s->open_path, strerror(-r));
	else if (tmp.n)
		ft_log_notice(FT_LOG_MAIN, "saved %zu open step(s) to %s", tmp.n, s->open_path);
	for (size_t i = 0; i < tmp.n; i++)
		ft_step_done(&tmp.pending[i]);
	free(tmp.pending);
	return r;
}
