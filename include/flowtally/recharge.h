/* flowtally — the monthly recharge (exporters/recharge): the arithmetic a statement
 * rests on, each piece exact and testable alone.
 *
 *  - the month: a calendar month in the configured time zone (or from a contract day
 *    other than the 1st) as a UTC range of whole 5-minute bins;
 *  - the 95th percentile by nearest rank of a tenant's own bins;
 *  - shares of a pool's amount in pence by the largest-remainder method, summing to the
 *    amount exactly;
 *  - the tariff file: cost pools and fixed charges (libconfig; errors as file:line).
 *
 * Everything here is integer arithmetic on counts (bytes of a bin, pence): no floating
 * point decides a charge.
 */
#ifndef FLOWTALLY_RECHARGE_H
#define FLOWTALLY_RECHARGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flowtally/diag.h"
#include "flowtally/flow.h"
#include "flowtally/names.h"
#include "flowtally/step.h"

#define FT_RECHARGE_BIN_MS 300000   /* bins are UTC-aligned 5-minute intervals */

/* ---- the month ------------------------------------------------------------------------- */

/* The month "YYYY-MM" in time zone zone (a tz database name: "Europe/London"), starting
 * on contract_day (1..28) at 00:00 local time and ending at the same local time of the
 * next month: [*ret_start_ms, *ret_end_ms) in UTC.  Both ends fall on bin boundaries in
 * every zone whose offset is a multiple of 5 minutes (all of today's); -ERANGE
 * otherwise.  Where a transition skips that midnight the month starts at the first
 * instant after it; where midnight comes twice, at the first.  yyyymm is exactly four
 * digits, '-', two digits, years 1970..9999.  0; -EINVAL for a month, day or zone that
 * is not one (the zone must be a TZif file of the system's database, $TZDIR or
 * /usr/share/zoneinfo: the check of ft_config_zone_known()); -ENOMEM.  The zone goes
 * into TZ for the call and the caller's TZ (or its absence) comes back before it
 * returns: not safe while another thread reads the local time.  October 2026 in
 * Europe/London: 745 hours, 8,940 bins; March 2026: 743 hours, 8,916 bins. */
int ft_recharge_month(const char *yyyymm, const char *zone, int contract_day, int64_t *ret_start_ms,
                      int64_t *ret_end_ms);
/* The bins of [start, end): (end - start) / FT_RECHARGE_BIN_MS. */
static inline uint64_t ft_recharge_bins(int64_t start_ms, int64_t end_ms)
{
	return end_ms > start_ms ? (uint64_t)(end_ms - start_ms) / FT_RECHARGE_BIN_MS : 0;
}

/* ---- the month's bins, from ledgers --------------------------------------------------- */

/* A tenant map met in the month's ledger blocks: its identity and the steps it
 * attributed ([first_ms, end_ms): the first such step's start, the last one's end). */
struct ft_recharge_map {
	char id[65];
	int64_t first_ms, end_ms;
	uint64_t steps;
};

/* One data directory read: its ledger's head at the end of the month (the hash of the
 * month's last block: "" when the month has none). */
struct ft_recharge_source {
	char dir[4096];
	char head[65];
	uint64_t steps;
};

/* An accounting interface's month, from the ledgers' P lines (format 2): what it carried
 * of the accounted records, in or out, after sampling correction. */
struct ft_recharge_point {
	struct ft_addr exporter;
	uint32_t ifindex;
	uint8_t direction;          /* enum ft_direction */
	struct ft_volume v;
};

/* An exporter's month, from the ledgers' X lines (format 2): its counters' growth over
 * the month's steps, and the sampling rates it announced. */
struct ft_recharge_exporter {
	struct ft_addr exporter;
	uint32_t domain;
	size_t source;              /* the ledger (index of the directories read) it is in */
	uint64_t steps;             /* steps it did something in */
	uint64_t datagrams, records, seq_lost, no_template, parse_errors, sampling_changes;
	uint32_t rate_first, rate_last, rate_min, rate_max;   /* of those steps */
};

/* One series of bins: a tenant's bytes per bin, in and out (all classes: class_ "", or
 * one class), with the month's exact volumes; "unattributed" (in: the volume whose
 * destination no tenant owns, out: whose source) and "total" (in and out: the
 * accounted total) have class "". */
struct ft_bin_series {
	char tenant[FT_NAME_MAX];
	char class_[FT_NAME_MAX];
	uint64_t *in, *out;         /* n_bins each */
	struct ft_volume vin, vout;
};

struct ft_bins {
	int64_t start_ms, end_ms;
	size_t n_bins;
	uint8_t *present;           /* bin k has every one of its steps in every ledger read */
	uint64_t present_bins;
	struct ft_bin_series *series;   /* by tenant, then class ("" first) */
	size_t n_series;
	uint64_t steps;             /* ledger blocks read */
	uint64_t damaged;           /* blocks refused as damaged (their bins are missing) */
	uint64_t breaks;            /* breaks met in the chains */
	uint64_t breaks_open;       /* of them, not acknowledged (flowtally ledger acknowledge) */
	struct ft_recharge_map maps[16];    /* the tenant maps the steps were attributed with,
	                                     * in the order met (more: counted in maps_more) */
	size_t n_maps;
	uint64_t maps_more;
	struct ft_recharge_source *sources; /* one per directory read, in the order given */
	size_t n_sources;
	/* ledger format 2 */
	struct ft_recharge_point *points;   /* sorted by exporter, ifindex, direction */
	size_t n_points;
	struct ft_recharge_exporter *exporters;   /* sorted by exporter, domain, source */
	size_t n_exporters;
	uint64_t kernel_drops;      /* Σ D lines */
	uint64_t steps_counted;     /* steps with counters (X and D lines) */
};

/* The bins of [start_ms, end_ms) (bin boundaries) from the ledgers in dirs (each a
 * DATA_DIR/ledger): each bin the sum of the steps inside it, of every ledger (several
 * collectors' steps add).  Steps must divide the bin (-EINVAL naming the step
 * otherwise).  Damaged blocks are said in diag and counted; their bins are missing, not
 * zero.  0 and *ret (ft_bins_done), -ENOENT a ledger does not exist, -ENOMEM,
 * -EOVERFLOW a bin's sum would pass 2^64 - 1. */
int ft_bins_read(const char *const *dirs, size_t n_dirs, int64_t start_ms, int64_t end_ms, struct ft_bins *ret,
                 struct ft_diag *diag);
/* The same, calling progress(ctx, d, start_ms) after each step of directory d is added
 * (progress NULL: none), for a progress line on long reads. */
int ft_bins_read_progress(const char *const *dirs, size_t n_dirs, int64_t start_ms, int64_t end_ms,
                          struct ft_bins *ret, struct ft_diag *diag,
                          void (*progress)(void *ctx, size_t dir, int64_t step_ms), void *ctx);
void ft_bins_done(struct ft_bins *b);
/* The series of tenant and class ("" all classes), or NULL. */
const struct ft_bin_series *ft_bins_find(const struct ft_bins *b, const char *tenant, const char *class_);

/* ---- reconciliation ---------------------------------------------------------------------- */

/* An SNMP-polled interface's month (the caller's, from DATA_DIR/interfaces/): its
 * device's exporter addresses (what its flows come from), its ifIndex, and the octets of
 * the steps it was known in. */
struct ft_recharge_if {
	char device[FT_NAME_MAX];
	char interface[128];
	uint32_t ifindex;
	const struct ft_addr *exporters;
	size_t n_exporters;
	uint64_t in_octets, out_octets;
	uint64_t in_known, out_known;       /* steps each was known in */
	uint64_t steps;                     /* steps recorded */
};

/* One accounting interface and direction against SNMP. */
struct ft_recharge_recon {
	char device[FT_NAME_MAX];
	char interface[128];
	struct ft_addr exporter;
	uint32_t ifindex;
	uint8_t direction;                  /* enum ft_direction */
	uint64_t flow_bytes;                /* the ledgers' (P lines) */
	uint64_t snmp_octets;               /* the interface totals' */
	uint64_t snmp_known, snmp_steps;    /* steps SNMP knew the counter in, of those recorded */
	int64_t diff_ppm;                   /* (flow - snmp) / snmp, parts per million; 0 when
	                                     * snmp is 0 (then flagged if flow is not) */
	bool flagged;                       /* |diff| above the threshold, or a partial count */
	bool partial;                       /* SNMP missed steps: the octets are of fewer steps */
};

/* For each accounting interface of the month (b's points) that an SNMP interface is
 * (one of its device's exporters and its ifIndex), each direction: the flows' bytes
 * against SNMP's octets, flagged above threshold_ppm (a month SNMP did not fully know
 * is flagged too).  Ordered by device, interface, direction (in first).  0 and *ret
 * (free()), -ENOMEM. */
int ft_recharge_reconcile(const struct ft_bins *b, const struct ft_recharge_if *ifs, size_t n_ifs,
                          uint32_t threshold_ppm, struct ft_recharge_recon **ret, size_t *ret_n);

/* ---- percentiles ----------------------------------------------------------------------- */

/* The nearest-rank p-th percentile (p in 1..100) of v[0..n): the ceil(p * n / 100)-th
 * smallest value (1-based), exactly as integers; 0 when n is 0.  v is left as it was
 * (the selection works on a copy: -ENOMEM leaves *ret alone).  Ties need nothing
 * special: the rank decides.  -EINVAL for p outside 1..100. */
int ft_recharge_percentile(const uint64_t *v, size_t n, unsigned p, uint64_t *ret);
/* The rank ft_recharge_percentile takes (1-based), 0 when n is 0. */
static inline uint64_t ft_recharge_rank(uint64_t n, unsigned p)
{
	return n ? (p * n + 99) / 100 : 0;
}
/* Bits per second of a bin's byte count: bytes × 8 / 300, rounded to the nearest
 * integer (ties up), for display; the byte count is the exact figure. */
static inline uint64_t ft_recharge_bin_bps(uint64_t bytes)
{
	unsigned __int128 b = (unsigned __int128)bytes * 8;
	return (uint64_t)((b + 150) / 300);
}

/* ---- shares ------------------------------------------------------------------------------- */

/* amount pence shared in proportion to weight[0..n) (any non-negative integers, not all
 * zero): each gets floor(amount × w / W), and the pence left over go one each to the
 * largest remainders, ties to the name (name[i], strcmp order) that sorts first.  The
 * shares sum to amount exactly; a weight of 0 gets 0.  name NULL (or two names the
 * same): ties to the lower index.  0 and ret[0..n); -EINVAL when every weight is 0 (or
 * n is 0); -EOVERFLOW when Σ weight or some amount × weight does not fit in 128 bits
 * (weights below 2^64 always do); -ENOMEM. */
int ft_recharge_shares(uint64_t amount, const unsigned __int128 *weight, const char *const *name, size_t n,
                       uint64_t *ret);

/* ---- the tariff ------------------------------------------------------------------------- */

enum ft_pool_basis { FT_BASIS_VOLUME, FT_BASIS_P95, FT_BASIS_PEAK_SHARE, FT_BASIS_EQUAL, FT_BASIS_WEIGHTS };
enum ft_pool_dir { FT_POOL_IN = 1, FT_POOL_OUT = 2, FT_POOL_BOTH = 3 };
enum ft_pool_metric { FT_METRIC_IN, FT_METRIC_OUT, FT_METRIC_IN_PLUS_OUT, FT_METRIC_MAX_IN_OUT };

#define FT_TARIFF_POOLS_MAX 256
#define FT_TARIFF_CLASSES_MAX 64
#define FT_TARIFF_MEMBERS_MAX 4000

struct ft_pool_weight {
	char tenant[FT_NAME_MAX];
	uint64_t weight;
};

struct ft_pool {
	char name[FT_NAME_MAX];
	uint64_t amount_pence;
	uint8_t basis;              /* enum ft_pool_basis */
	uint8_t direction;          /* enum ft_pool_dir (volume, peak_share; default both) */
	uint8_t metric;             /* enum ft_pool_metric (p95; default in_plus_out) */
	bool prorate;               /* equal, weights: a tenant of part of the month gets that part */
	char (*classes)[FT_NAME_MAX];   /* volume: only these classes; none: all */
	size_t n_classes;
	char (*members)[FT_NAME_MAX];   /* none: every tenant of the map during the month */
	size_t n_members;
	struct ft_pool_weight *weights; /* weights */
	size_t n_weights;
	int line;                   /* where it is in the file */
};

struct ft_fixed_charge {
	char tenant[FT_NAME_MAX];
	uint64_t pence;
	char description[128];
	int line;
};

struct ft_tariff {
	char *file;
	char sha256[65];            /* of the file's bytes: the statement's provenance */
	struct ft_pool *pools;
	size_t n_pools;
	struct ft_fixed_charge *fixed;
	size_t n_fixed;
};

/* The names a tariff may use: the tenants of the map during the month and the traffic
 * classes. */
struct ft_tariff_names {
	const char *const *tenants;
	size_t n_tenants;
	const char *const *classes;
	size_t n_classes;
};

/* Reads a tariff file.  Every problem goes to diag as file:line (an unknown key, a
 * negative or missing amount, an unknown basis, direction or metric, a key the pool's
 * basis does not take, a tenant or class that names does not hold, a weights pool whose
 * weights are all zero or that names a tenant twice, two pools of one name, a fixed
 * charge without a tenant); any error rejects the file, and every error of the file is
 * reported, in line order.  A tariff that charges nothing (no pools and no fixed
 * charges: an empty file) is an error too.  A tariff is one file, since its sha256 is
 * the statement's provenance: an @include or a NUL byte is an error.  Lists of members,
 * weights and fixed charges hold at most FT_TARIFF_MEMBERS_MAX entries.  names NULL:
 * tenants and classes are not checked (that they are names still is).  0 and *ret (the
 * caller's: ft_tariff_free), -EINVAL (errors in diag), -ENOMEM, -errno when the file
 * cannot be read (in diag too, as "file: cannot read: ..."). */
int ft_tariff_load(const char *path, const struct ft_tariff_names *names, struct ft_tariff **ret,
                   struct ft_diag *diag);
/* The same from text (the sha256 is of its strlen(text) bytes); name stands for the
 * file in messages and in t->file. */
int ft_tariff_parse(const char *text, const char *name, const struct ft_tariff_names *names,
                    struct ft_tariff **ret, struct ft_diag *diag);
struct ft_tariff *ft_tariff_free(struct ft_tariff *t);

/* ---- the statement ------------------------------------------------------------------------ */

/* A tenant's 95th percentiles over its present bins: the chosen bin's byte count of
 * each metric (enum ft_pool_metric: in, out, in + out per bin, max(in, out) per bin). */
struct ft_p95 {
	uint64_t bytes[4];
};

struct ft_statement_class {
	char name[FT_NAME_MAX];
	struct ft_volume vin, vout;
	struct ft_p95 p95;
};

struct ft_statement_charge {
	char pool[FT_NAME_MAX];     /* or "fixed" */
	uint8_t basis;              /* enum ft_pool_basis; FT_BASIS__FIXED for a fixed charge */
	uint64_t pence;
	char description[128];      /* a fixed charge's */
};
#define FT_BASIS__FIXED 255

/* Who is billed: a tenant of the map (with its cost centre) during the month. */
struct ft_statement_member {
	char name[FT_NAME_MAX];
	char cost_centre[32];
	char display[128];
	int64_t from_ms, until_ms;  /* its membership: its earliest rule's start, its latest end
	                             * (open: FT_TIME_MIN, FT_TIME_MAX) */
};

struct ft_statement_tenant {
	struct ft_statement_member m;
	uint64_t bins_member;       /* bins of the month inside its membership */
	uint64_t bins_present;      /* of them, present: its N */
	struct ft_volume vin, vout; /* exact, all classes (every step of the month) */
	struct ft_p95 p95;
	struct ft_statement_class *classes;
	size_t n_classes;
	struct ft_statement_charge *charges;
	size_t n_charges;
	uint64_t total_pence;
};

struct ft_statement_pool {
	char name[FT_NAME_MAX];
	uint8_t basis;
	uint64_t amount_pence;
	uint64_t *shares;           /* pence, by tenant (the statement's order) */
	unsigned __int128 *weights; /* what the shares are in proportion to */
};

struct ft_statement {
	int64_t start_ms, end_ms;
	uint64_t bins_expected, bins_present;
	struct ft_statement_tenant *tenants;    /* by name */
	size_t n_tenants;
	struct ft_volume unattributed_in, unattributed_out, total;
	struct ft_statement_pool *pools;        /* in the tariff's order */
	size_t n_pools;
	uint64_t charged_pence;                 /* Σ tenants' totals = Σ pools + fixed */
};

/* The statement of the month of bins b for the members (the tenants of the map during
 * the month; a tenant with volume in the bins but no member entry is an error) under
 * tariff t (NULL: volumes and percentiles only).  A pool whose members' weights are all
 * zero is said in diag and shares nothing (its amount is then not charged: the
 * statement says so).  0 and *ret (ft_statement_done), -EINVAL (in diag), -ENOMEM,
 * -EOVERFLOW (a tenant's in + out in one bin passes 2^64 - 1). */
int ft_statement_build(const struct ft_bins *b, const struct ft_statement_member *members, size_t n_members,
                       const struct ft_tariff *t, struct ft_statement *ret, struct ft_diag *diag);
void ft_statement_done(struct ft_statement *s);


/* ---- the report: what a statement says besides the charges -------------------------------- */

/* A run of missing bins: [start_ms, end_ms). */
struct ft_recharge_gap {
	int64_t start_ms, end_ms;
};

/* An SNMP-polled interface's month (from DATA_DIR/interfaces/): steps it was known for,
 * and steps it was not (a poll missed, a counter that could not be trusted). */
struct ft_recharge_snmp {
	char device[FT_NAME_MAX];
	char interface[128];        /* its key (FT_IF_KEY_MAX) */
	uint64_t steps_known, steps_unknown;
	uint64_t in_octets, out_octets;     /* of the known steps */
};

/* The RRD cross-check: each tenant's 95th percentiles recomputed from its RRD file's
 * 5-minute archive, against the ledger's. */
struct ft_recharge_rrd_diff {
	char tenant[FT_NAME_MAX];
	uint8_t metric;                     /* enum ft_pool_metric */
	uint64_t ledger_bytes, rrd_bytes;
};
struct ft_recharge_rrd_check {
	int state;                          /* enum below */
	char why[256];                      /* not checked: why */
	uint64_t tenants_checked;
	struct ft_recharge_rrd_diff *diffs;
	size_t n_diffs;
};
enum { FT_RRD_CHECK_NOT_DONE, FT_RRD_CHECK_AGREES, FT_RRD_CHECK_DISAGREES };

/* The RRD cross-check of statement st (from bins b): for each tenant, its file
 * rrd_dir/tenants/NAME.rrd (the name as ft_rrd_name_encode() writes it) is fetched at
 * 300-second resolution over the month (AVERAGE × 300, rounded, is a bin's byte count),
 * and the four 95th percentiles are computed from it over the same bins as the ledger's
 * (the tenant's present bins within its membership); each that differs from the
 * statement's is a diff.  daemon: the rrdcached address the collector writes through
 * (flushed first), or NULL.  A tenant without a file, or without the 300-second archive
 * over the month, makes the check not done (why says which) unless the tenant had no
 * traffic.  0 and *ret (ft_recharge_rrd_check_done), -ENOMEM. */
int ft_recharge_rrd_check(const char *rrd_dir, const char *daemon, const struct ft_bins *b,
                          const struct ft_statement *st, struct ft_recharge_rrd_check *ret);
void ft_recharge_rrd_check_done(struct ft_recharge_rrd_check *c);

struct ft_recharge_report {
	char month[8];                      /* "2026-10" */
	char zone[64];
	int contract_day;
	char generated_at[40];              /* "2026-11-01T09:00:00Z"; "" to leave it out */
	const struct ft_statement *st;
	const struct ft_bins *bins;         /* for the daily figures and graph */
	const struct ft_tariff *tariff;     /* NULL: no charges */
	/* coverage */
	struct ft_recharge_gap *gaps;       /* the missing bins as runs, in time order */
	size_t n_gaps;
	struct ft_recharge_snmp *snmp;
	size_t n_snmp;
	/* provenance (the maps met and the directories read, with their heads: in bins) */
	char version[32];
	char config_file[4096];             /* "" without one */
	char config_sha256[65];
	struct ft_recharge_rrd_check rrd;
	/* what the statement warns of, one line each (a pool not charged, a disagreement) */
	char (*notes)[512];
	size_t n_notes;
	struct ft_recharge_recon *recon;    /* reconciliation, and its threshold */
	size_t n_recon;
	uint32_t recon_threshold_ppm;
};

/* The report in each format, byte-identical for identical reports.  0, or -errno of
 * the stream (EIO when a write failed). */
int ft_report_json(FILE *f, const struct ft_recharge_report *r);
int ft_report_csv(FILE *f, const struct ft_recharge_report *r);
/* One self-contained page (no external assets): the month's statement for every
 * tenant, or for the tenant named only (NULL: all). */
int ft_report_html(FILE *f, const struct ft_recharge_report *r, const char *tenant);

#endif
