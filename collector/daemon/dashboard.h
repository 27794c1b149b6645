/* flowtallyd internals: the dashboard redraws (dashboard.c).  Every dashboard_interval
 * seconds a thread of its own runs `flowtally dashboard` as a child process at nice +10,
 * never two at once, and kills one that runs past its bound.  The daemon never draws
 * in its own address space: see dashboard.c for why. */
#ifndef FT_DASHBOARD_RUN_H
#define FT_DASHBOARD_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "flowtally/stats.h"

/* A render still running this long after its start is killed: BOUND_INTERVALS
 * intervals, and never less than FT_REDRAW_BOUND_MIN_S seconds. */
#define FT_REDRAW_BOUND_INTERVALS 3
#define FT_REDRAW_BOUND_MIN_S 30

/* What a run executes: COMMAND dashboard [-c CONFIG] [-d DATA_DIR] --out OUT --quiet.
 * The strings are copied. */
struct ft_redraw_conf {
	uint32_t interval_s;        /* 0: no runs (one already running ends on its own) */
	const char *command;        /* the flowtally program; NULL: "flowtally" in flowtallyd's
	                             * own directory, then ../cli/flowtally from it (the build
	                             * tree), then FT_BINDIR's.  A name without '/' is looked
	                             * up in PATH */
	const char *config;         /* NULL: no -c */
	const char *data_dir;       /* NULL: no -d (flowtally dashboard takes -c or -d) */
	const char *out;            /* required */
};

struct ft_redraw;

/* NULL on ENOMEM.  No thread runs until a configuration with an interval is set. */
struct ft_redraw *ft_redraw_new(void);
/* The control thread: c is in force from the next run on (a changed interval counts
 * from the last time a run was due).  The first configuration with an interval starts
 * the thread; its first run comes one interval later.  0 or negative errno (nothing
 * changed). */
int ft_redraw_set(struct ft_redraw *r, const struct ft_redraw_conf *c);
/* Asks the thread to stop and returns at once: a running child gets SIGTERM, and
 * SIGKILL a second later, with its process group. */
void ft_redraw_stop(struct ft_redraw *r);
/* After ft_redraw_stop(): waits for the thread to end; the counters stay readable. */
void ft_redraw_wait(struct ft_redraw *r);
/* Stops (as above), waits for the thread and frees.  NULL-safe; returns NULL. */
struct ft_redraw *ft_redraw_free(struct ft_redraw *r);
/* The counters now in *ret; false (and nothing written) while the thread never ran. */
bool ft_redraw_stats(struct ft_redraw *r, struct ft_stats_dashboard *ret);

#endif
