/* The ledger as a sink (sink.h): DATA_DIR/ledger, opened and locked once, one block
 * appended and fsynced per step.  The first and authoritative sink of the table.
 *
 * At a live start the whole ledger is verified once more on a thread of its own (the
 * open verifies only the newest files), so damage in older day files is reported
 * without delaying the start.  What needs looking into (breaks, damage) is the
 * "attention" row of stats.json until `flowtally ledger acknowledge` records it. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "flowtally/clock.h"
#include "flowtally/ledger.h"
#include "flowtally/log.h"

struct ledger_sink {
	struct ft_ledger *l;
	char dir[4200];
	pthread_t thread;
	bool thread_started;
	volatile bool stop;
	pthread_mutex_t lock;       /* guards attention, checked_ms, ack_mtime */
	struct ft_ledger_attention attention;
	int64_t checked_ms;         /* when the full check ended; 0: not yet */
	struct timespec ack_mtime;
	atomic_uint_fast64_t open_breaks;
};

static void *check_all(void *arg)
{
	struct ledger_sink *ls = arg;
	struct ft_ledger_attention a;
	int r = ft_ledger_attention_scan(ls->dir, &a, &ls->stop);
	if (r == -ECANCELED)
		return NULL;
	if (r < 0) {
		ft_log_err(FT_LOG_MAIN, "ledger: %s: the full check at start could not run: %s", ls->dir,
		           strerror(-r));
		return NULL;
	}
	for (size_t i = 0; i < a.n; i++)
		if (!a.v[i].acknowledged)
			ft_log_err(FT_LOG_MAIN, "ledger: to look into: %s (then: flowtally ledger acknowledge %s)",
			           a.v[i].what, a.v[i].id);
	if (a.open)
		ft_log_err(FT_LOG_MAIN, "ledger: %s: %zu thing%s to look into (flowtally ledger verify shows "
		           "them); flowtally status shows this until acknowledged", ls->dir, a.open,
		           a.open == 1 ? "" : "s");
	else
		ft_log_info(FT_LOG_MAIN, "ledger: %s: full check done, %llu steps, nothing to look into",
		            ls->dir, (unsigned long long)a.steps);
	pthread_mutex_lock(&ls->lock);
	ls->attention = a;
	ls->checked_ms = ft_clock_now_ns() / FT_NS_PER_MS;
	pthread_mutex_unlock(&ls->lock);
	return NULL;
}

static int open_ledger(const struct ft_sink_env *env, void **ret_state)
{
	struct ledger_sink *ls = calloc(1, sizeof(*ls));
	if (!ls)
		return -ENOMEM;
	pthread_mutex_init(&ls->lock, NULL);
	if (snprintf(ls->dir, sizeof(ls->dir), "%s/ledger", env->data_dir) >= (int)sizeof(ls->dir)) {
		free(ls);
		return -ENAMETOOLONG;
	}
	int r = ft_ledger_open(ls->dir, &ls->l);
	/* in use: the daemon names the holder; refused for damage: logged with what */
	if (r < 0 && r != -EBUSY && r != -EBADMSG)
		ft_log_err(FT_LOG_MAIN, "cannot open the ledger in %s: %s", ls->dir, strerror(-r));
	if (r < 0) {
		pthread_mutex_destroy(&ls->lock);
		free(ls);
		return r;
	}
	atomic_store(&ls->open_breaks, ft_ledger_open_breaks(ls->l));
	if (env->live && pthread_create(&ls->thread, NULL, check_all, ls) == 0)
		ls->thread_started = true;
	*ret_state = ls;
	return 0;
}

static int write_step(void *state, const struct ft_step *s)
{
	return ft_ledger_append(((struct ledger_sink *)state)->l, s);
}

static int last_step(void *state, int64_t *ret_start_ms)
{
	int64_t len;
	return ft_ledger_last_step(((struct ledger_sink *)state)->l, ret_start_ms, &len);
}

static void close_ledger(void *state)
{
	struct ledger_sink *ls = state;
	if (!ls)
		return;
	ls->stop = true;
	if (ls->thread_started)
		pthread_join(ls->thread, NULL);
	ft_ledger_close(ls->l);
	ft_ledger_attention_done(&ls->attention);
	pthread_mutex_destroy(&ls->lock);
	free(ls);
}

/* attention: what is to be looked into and not acknowledged (breaks this start made
 * count until the full check has run); re-marked when DIR/acknowledged changes. */
static size_t stats(void *state, struct ft_sink_stat *ret, size_t cap)
{
	struct ledger_sink *ls = state;
	char path[4300];
	struct stat st;
	int64_t attention, breaks, damaged, checked;
	snprintf(path, sizeof(path), "%s/acknowledged", ls->dir);
	bool have = stat(path, &st) == 0;
	pthread_mutex_lock(&ls->lock);
	if (ls->checked_ms && have && (st.st_mtim.tv_sec != ls->ack_mtime.tv_sec ||
	                               st.st_mtim.tv_nsec != ls->ack_mtime.tv_nsec)) {
		ft_ledger_attention_mark(ls->dir, &ls->attention);
		ls->ack_mtime = st.st_mtim;
	}
	checked = ls->checked_ms;
	attention = checked ? (int64_t)ls->attention.open : (int64_t)atomic_load(&ls->open_breaks);
	breaks = checked ? (int64_t)ls->attention.breaks : (int64_t)atomic_load(&ls->open_breaks);
	damaged = (int64_t)ls->attention.damaged;
	pthread_mutex_unlock(&ls->lock);
	const struct ft_sink_stat rows[] = {
		{ "steps", FT_SINK_STAT_COUNT, (int64_t)ft_ledger_steps(ls->l), "" },
		{ "attention", FT_SINK_STAT_COUNT, attention, "" },
		{ "breaks", FT_SINK_STAT_COUNT, breaks, "" },
		{ "damaged_files", FT_SINK_STAT_COUNT, damaged, "" },
		{ "checked", FT_SINK_STAT_TIME_MS, checked, "" },
	};
	size_t n = sizeof(rows) / sizeof(rows[0]) < cap ? sizeof(rows) / sizeof(rows[0]) : cap;
	memcpy(ret, rows, n * sizeof(*rows));
	return n;
}

const struct ft_sink_ops ft_ledger_sink = {
	.name = "ledger",
	.open = open_ledger,
	.write_step = write_step,
	.last_step = last_step,
	.close = close_ledger,
	.stats = stats,
};
