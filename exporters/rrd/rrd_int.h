/* The RRD sink's own calls for the rebuild (sink.c, rebuild.c). */
#ifndef FT_RRD_INT_H
#define FT_RRD_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "flowtally/sink.h"

int ft_rrd_sink_open(const struct ft_sink_env *env, void **ret);
int ft_rrd_sink_write_step(void *state, const struct ft_step *s);
void ft_rrd_sink_close(void *state);
/* From now on each file is made anew (overwritten) at its first step, but one updated
 * after end, which is left alone and counted, unless force. */
void ft_rrd_sink_set_rebuild(void *state, time_t end, bool force);
void ft_rrd_sink_counts(void *state, uint64_t *files, uint64_t *updates, uint64_t *refused, uint64_t *errors);

#endif
