/* flowtally — a closed time step: what the aggregation stage hands to the sinks.
 *
 * A step covers [start, start + length) in UTC.  Its cells are exact integer volumes
 * per (tenant, direction, traffic class); tenant and class are names, so a step means
 * the same whatever map produced it.  The step's totals let anyone check the
 * attribution contract: for bytes, packets and flows alike,
 *   Σ cells(direction out) + unattributed_src = total = Σ cells(direction in) + unattributed_dst.
 */
#ifndef FLOWTALLY_STEP_H
#define FLOWTALLY_STEP_H

#include <stddef.h>
#include <stdint.h>

#define FT_NAME_MAX 32          /* tenant and class names, NUL included */

struct ft_volume {
	uint64_t bytes;
	uint64_t packets;
	uint64_t flows;
};

enum ft_direction { FT_DIR_OUT = 0, FT_DIR_IN = 1 };

struct ft_step_cell {
	char tenant[FT_NAME_MAX];
	char class_[FT_NAME_MAX];
	uint8_t direction;          /* enum ft_direction */
	struct ft_volume v;
};

struct ft_step {
	int64_t start_ms;           /* UTC, a multiple of length_ms */
	int64_t length_ms;
	struct ft_step_cell *cells; /* sorted by tenant, direction, class */
	size_t n_cells;
	struct ft_volume total;             /* accepted (accounted) volume */
	struct ft_volume unattributed_src;  /* source owned by no tenant */
	struct ft_volume unattributed_dst;
	struct ft_volume late;              /* arrived after the lateness window: in here anyway */
	struct ft_volume not_accounted;     /* outside the accounting points, or total counters */
	char map_id[65];            /* SHA-256 (hex) of the tenant map in force at the close */
};

/* The order of cells in a step: tenant, direction, class.  qsort-compatible. */
int ft_step_cell_cmp(const void *a, const void *b);
/* Checks the contract above; 0, or -EBADMSG naming nothing (callers report). */
int ft_step_check(const struct ft_step *s);
void ft_step_done(struct ft_step *s);

#endif
