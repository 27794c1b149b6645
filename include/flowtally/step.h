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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"
#include "flowtally/names.h"

struct ft_volume {
	uint64_t bytes;
	uint64_t packets;
	uint64_t flows;
};

/* a += b; false when a sum passes 2^64 - 1 (a is then partly added: discard it). */
static inline bool ft_volume_add_checked(struct ft_volume *a, const struct ft_volume *b)
{
	return !__builtin_add_overflow(a->bytes, b->bytes, &a->bytes) &&
	       !__builtin_add_overflow(a->packets, b->packets, &a->packets) &&
	       !__builtin_add_overflow(a->flows, b->flows, &a->flows);
}

enum ft_direction { FT_DIR_OUT = 0, FT_DIR_IN = 1 };

struct ft_step_cell {
	char tenant[FT_NAME_MAX];
	char class_[FT_NAME_MAX];
	uint8_t direction;          /* enum ft_direction */
	struct ft_volume v;
};

/* An accounting point's volume in a step (ledger format 2): the accounted records the
 * exporter exported with input interface (direction in) or output interface (out)
 * ifindex, spread over the steps as the cells are.  A record that enters at one point
 * and leaves at another counts at both: these are what each interface carried, to set
 * against its SNMP octets, not a second attribution. */
struct ft_step_point {
	struct ft_addr exporter;
	uint32_t ifindex;
	uint8_t direction;          /* enum ft_direction */
	struct ft_volume v;
};

/* An exporter's counters over a step (ledger format 2): how much each grew from the
 * snapshot taken when the previous step was committed to the one taken at this step's
 * commit (the first step after a start: since the start). */
struct ft_step_exporter {
	struct ft_addr exporter;
	uint32_t domain;            /* observation domain or source ID; v5 engine type << 8 | ID */
	uint64_t datagrams;
	uint64_t records;
	uint64_t seq_lost;          /* sequence-gap losses: records (v5, IPFIX), datagrams (v9) */
	uint64_t no_template;       /* data sets dropped, their template never came */
	uint64_t parse_errors;      /* every error reason counted */
	uint64_t sampling_changes;  /* times its sampling rate changed */
	uint32_t sampling_rate;     /* the rate in force at the snapshot (1: unsampled) */
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
	/* ledger format 2 */
	struct ft_step_point *points;   /* sorted by exporter, ifindex, direction; none zero */
	size_t n_points;
	struct ft_step_exporter *exporters; /* sorted by exporter, domain */
	size_t n_exporters;
	uint64_t kernel_drops;      /* datagrams the kernel dropped over the step, all sockets */
	bool have_counters;         /* exporters and kernel_drops were recorded for the step
	                             * (false: a step of ledger format 1, or not committed by
	                             * flowtallyd) */
};

/* The order of cells in a step: tenant, direction, class.  qsort-compatible. */
int ft_step_cell_cmp(const void *a, const void *b);
/* Checks the contract above, with sums that do not wrap (a sum past 2^64 - 1 fails),
 * and that every point has a direction and carries at most the step's total; 0, or
 * -EBADMSG naming nothing (callers report). */
int ft_step_check(const struct ft_step *s);
/* Sorts the cells into that order, adding up cells with the same key. */
void ft_step_sort(struct ft_step *s);
/* The order of points (exporter, ifindex, direction) and of exporters (exporter,
 * domain).  qsort-compatible. */
int ft_step_point_cmp(const void *a, const void *b);
int ft_step_exporter_cmp(const void *a, const void *b);
/* Sorts the points into that order, adding up points with the same key and dropping
 * those that are zero. */
void ft_step_sort_points(struct ft_step *s);
/* Frees the cells, points and exporters (the step itself is the caller's). */
void ft_step_done(struct ft_step *s);
/* A deep copy of src into *ret (the caller's: ft_step_done).  0 or -ENOMEM. */
int ft_step_copy(const struct ft_step *src, struct ft_step *ret);
/* Adds src into dst (same start and length): cells merged by name, points by key,
 * kept in order; exporters' counters and kernel drops added (have_counters: either's).
 * 0, -EOVERFLOW (a sum would pass 2^64 - 1) or -ENOMEM; dst is then unchanged.  Both
 * steps must meet the contract. */
int ft_step_merge(struct ft_step *dst, const struct ft_step *src);

/* Steps across a clean restart: saved as JSON (atomically), loaded back with every
 * field and their contract checked.  0 or negative errno: -ENOENT, no file; -EINVAL, a
 * file that cannot be read or is not what ft_steps_save() writes (a field missing or
 * out of range, cells or steps out of order); -EBADMSG, a step does not balance;
 * -ENOMEM.  On -EINVAL and -EBADMSG, why (why_size bytes; NULL for none) says what is
 * wrong and where: "line 3, column 7: ..." for JSON that does not parse, "steps[2]
 * (start_ms N): ..." for a step.  *ret belongs to the caller (ft_step_done each, then
 * free). */
int ft_steps_save(const char *path, const struct ft_step *steps, size_t n);
int ft_steps_load(const char *path, struct ft_step **ret, size_t *ret_n, char *why, size_t why_size);

#endif
