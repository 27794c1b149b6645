/* flowtally — interface totals: the exact record of the closed interface steps SNMP
 * polling makes, the meter recharge reconciles flows against (without RRD rounding).
 *
 * DIR/YYYY-MM-DD.tsv (DIR is DATA_DIR/interfaces) holds the interface steps that start
 * on that UTC day, one tab-separated line each, appended in batches and fsynced:
 *
 *   v1 START DEVICE KEY IFINDEX KNOWN C0 .. C7 REASONS SPEED OPER CHECK
 *
 * START the step's start (UTC, 2026-12-01T10:05:00Z); DEVICE and KEY (the interface's
 * name under its device's match_by) with '%', tab, newline, other control bytes and
 * DEL escaped as %XX; KNOWN the counters known, a hexadecimal mask (bit i for C_i);
 * C0..C7 the step's exact counts of ifHCInOctets (or ifInOctets), out octets, in and
 * out unicast packets, in and out errors, in and out discards (0 where unknown);
 * REASONS "-" when all are known, else the reason of each counter, comma-separated
 * ("normal" for a known one: restart, discontinuity, impossible, ...); SPEED b/s and
 * OPER ifOperStatus (0: unknown); CHECK the first 16 hexadecimal digits of the SHA-256
 * of the line before it (its tab included), so a damaged line is found, counted and
 * skipped.  A step already written for an interface is never written again (the sink
 * knows the last step of each interface from the newest files at its start).
 */
#ifndef FLOWTALLY_IFTOTALS_H
#define FLOWTALLY_IFTOTALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/names.h"
#include "flowtally/sink.h"
#include "flowtally/snmp.h"

/* The sink (sinks.def): off (-ECANCELED) when no SNMP device is configured. */
extern const struct ft_sink_ops ft_iftotals_sink;

/* One line into buf (NUL-terminated, no newline): its length, or -1 when buf is small. */
int ft_iftotals_format(const struct ft_if_step *s, char *buf, size_t size);
/* One line (without its newline) back: 0, or -EBADMSG (not a line of this format, or
 * its check does not match). */
int ft_iftotals_parse(const char *line, struct ft_if_step *ret);

/* One interface's totals over a range. */
struct ft_iftotals_row {
	char device[FT_NAME_MAX];
	char key[FT_IF_KEY_MAX];
	uint32_t ifindex;                   /* in its last step */
	uint64_t steps;                     /* steps recorded */
	uint64_t known_steps[FT_IF_COUNTERS];   /* steps each counter is known in */
	uint64_t v[FT_IF_COUNTERS];         /* the sums of the known counts: exact */
	uint64_t unknown[FT_SNMP__VERDICTS];    /* steps with ifHC(In)Octets unknown, by reason */
	int64_t first_ms, last_ms;          /* the first and last step's start */
};

struct ft_iftotals_result {
	struct ft_iftotals_row *rows;       /* by device, then key */
	size_t n_rows;
	uint64_t files, lines, bad_lines;   /* bad: damaged, skipped (their steps are not summed) */
};

/* Sums the steps starting in [from_ms, to_ms) of DIR's files.  0 (bad lines counted),
 * -ENOENT when DIR does not exist, -ENOMEM, or another negative errno (a file cannot
 * be read).  ft_iftotals_result_done frees the rows. */
int ft_iftotals_sum(const char *dir, int64_t from_ms, int64_t to_ms, struct ft_iftotals_result *ret);
void ft_iftotals_result_done(struct ft_iftotals_result *r);

#endif
