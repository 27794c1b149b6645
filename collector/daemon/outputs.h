/* flowtallyd internals: closed steps from the receive threads to the sinks, and the
 * open steps across restarts (outputs.c). */
#ifndef FT_OUTPUTS_H
#define FT_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/config.h"
#include "flowtally/sink.h"
#include "flowtally/step.h"

struct ft_outputs;

/* Opens the sinks of a table (the daemon's is ft_sink_table; tests bring their own):
 * sinks[0] is authoritative (the ledger), the others are fed by a writer thread that
 * starts here when there are any.  live: the running daemon, which keeps
 * state/running.json to tell a crash from a clean stop.  0 and *ret, or negative errno
 * (logged: a sink that does not open stops the start). */
int ft_outputs_open(const struct ft_config *cfg, const struct ft_sink_entry *sinks, size_t n,
                    bool live, struct ft_outputs **ret);
/* A live run writes a block for every step from its first on: at each commit a step
 * that is complete and no thread closed with records gets an empty one (all zeros,
 * the map set last), and at a stop those up to the one holding the clock are saved
 * empty with the open steps.  ft_outputs_open() makes the step holding the wall clock
 * the first of a live run (never one the first sink holds); this makes the one holding
 * t_ms the first instead (tests, with a clock of their own), before the first commit. */
void ft_outputs_set_first_step(struct ft_outputs *o, int64_t t_ms);
/* The identity of the tenant map in force (copied), for the empty steps: at the start
 * and at every reload, as receive threads key their steps to it. */
void ft_outputs_set_map_id(struct ft_outputs *o, const char *map_id);
/* Writes what the queue still holds (for 15 s at most: what is left then is dropped,
 * counted), closes every sink, removes the running marker.  NULL-safe. */
void ft_outputs_close(struct ft_outputs *o);
/* The same with another bound than 15 s. */
void ft_outputs_close_within(struct ft_outputs *o, int64_t drain_ns);

/* The steps saved open at the last clean stop, but those the authoritative sink already
 * holds (their file is then removed: they are restored once).  *ret the caller's.  In a
 * live run, also logs (notice) and reports in the first sink's statistics the steps
 * between the end of the last one it holds or was saved and this run's first: they
 * have no block, and never will (flowtallyd was not running). */
int ft_outputs_take_open(struct ft_outputs *o, struct ft_step **ret, size_t *ret_n);
/* Saves the steps still open at a stop, with every step not written yet (parts merged
 * by start; taken) and, in a live run, an empty step for each one of the run no thread
 * had records in, up to the one holding the clock (at most the open window past the
 * last commit): the next start restores them, so nothing is counted twice or lost when
 * threads stop at slightly different times or the ledger cannot write, and every step
 * the run was up for gets its block. */
int ft_outputs_save_open(struct ft_outputs *o, struct ft_step *open, size_t n);

/* Takes a closed step, or one receive thread's part of it (merged with the others). */
void ft_outputs_add(struct ft_outputs *o, struct ft_step *s);
/* The steps starting before complete_before (closed by every thread) go to the
 * authoritative sink, oldest first, then to the others' queue; in a live run with an
 * empty step for each one no thread had records in (up to 4096 filled in a call, the
 * rest at the next calls).  A step the first sink cannot write now stays, in order with
 * the empty ones, and is tried again at the next call. */
void ft_outputs_commit(struct ft_outputs *o, int64_t complete_before);
/* A replay's queue is patient (a full queue makes a push wait, up to a minute, before
 * it drops the oldest item); the daemon's never waits.  This sets either. */
void ft_outputs_set_patient(struct ft_outputs *o, bool patient);
/* Waits until the sinks after the first have written everything queued, up to
 * timeout_ns (a replay, before its statistics).  0 or -ETIMEDOUT. */
int ft_outputs_drain(struct ft_outputs *o, int64_t timeout_ns);
/* Whether a step was committed since the last call (once); *ret_end_ms the end of
 * the newest committed step. */
bool ft_outputs_boundary(struct ft_outputs *o, int64_t *ret_end_ms);
/* The collector's counters at the newest committed step's end, for the sinks that take
 * them: c's time and latencies are set here (copied; queued). */
void ft_outputs_counters(struct ft_outputs *o, const struct ft_counters *c);
/* The collector's running counters now (exporters and kernel drops; c stays the
 * caller's): the next step the ledger takes records how much they grew since the step
 * it took before (the first one after the start: since the start). */
void ft_outputs_set_counters(struct ft_outputs *o, const struct ft_counters *c);
/* Closed interface steps (SNMP) for the sinks that take them (copied; queued). */
void ft_outputs_interfaces(struct ft_outputs *o, const struct ft_if_step *s, size_t n);

/* Each sink's statistics, up to cap, in table order; returns how many sinks. */
size_t ft_outputs_report(struct ft_outputs *o, struct ft_sink_report *ret, size_t cap);

#endif
