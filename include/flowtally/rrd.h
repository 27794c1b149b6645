/* flowtally — round-robin time series (librrd): the layout of DATA_DIR/rrd, file names,
 * archives and data sources, and the sink that writes them (exporters/rrd).
 *
 * Layout under the RRD directory (rrd_dir; DATA_DIR/rrd by default):
 *   tenants/TENANT.rrd         in_/out_ bytes, packets, flows of the tenant, all classes
 *   tenants/TENANT/CLASS.rrd   the same for one traffic class
 *   unattributed.rrd           src_/dst_ bytes, packets, flows owned by no tenant
 *   total.rrd                  bytes, packets, flows, late_bytes, not_accounted_bytes
 *   exporters/EXPORTER.rrd     datagrams, records, bytes, parse_errors, seq_lost,
 *                              no_template of one exporter (address, -DOMAIN when the
 *                              domain is not 0)
 *   collector.rrd              records, kernel_drops, step_close_ms, ledger_write_ms,
 *                              rrd_write_ms, queue_depth
 *   interfaces/DEVICE/INTERFACE.rrd   in_bits, out_bits, in_ucast, out_ucast, in_errors,
 *                              out_errors, in_discards, out_discards, oper_status, speed
 *                              of one polled interface (SNMP; INTERFACE is its key: ifName,
 *                              ifIndex or ifDescr)
 * Volumes (tenants, unattributed, total) are ABSOLUTE data sources fed each step's
 * exact count at the step's end, so the finest archive holds count / step per second
 * and AVERAGE × step gives the count back (exactly, after rounding, up to 2^51 a step).
 * Interfaces' counts are ABSOLUTE too, each step's exact, time-weighted count from the
 * SNMP readings around it (bits: octets × 8, so AVERAGE is bits per second); a step
 * whose count could not be trusted (an agent restart, a discontinuity, ...) is unknown,
 * never a guess.  Their oper_status (ifOperStatus) and speed (b/s) are GAUGE.
 * The exporters' and the collector's running counters are DERIVE (minimum 0: a restart
 * of the collector reads as unknown, not as a negative rate); latencies and the queue
 * depth are GAUGE.
 */
#ifndef FLOWTALLY_RRD_H
#define FLOWTALLY_RRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* The RRD part of the configuration. */
struct ft_rrd_conf {
	bool enabled;               /* rrd (default true) */
	char *daemon;               /* rrdcached: "unix:/path", "/path" or "host:port"; NULL: write
	                             * the files directly */
	char *daemon_base;          /* rrdcached_base: rrdcached's base directory (-b); over TCP
	                             * it is sent paths relative to it (rrd_dir inside it) */
	char *dir;                  /* rrd_dir; NULL: DATA_DIR/rrd */
	uint32_t fine_days;         /* rrd_fine_days: days the 300-second archives keep */
};

/* Days the 300-second AVERAGE and MAX archives keep by default, and the least they may
 * keep: 13 months of the longest kind (397 days), so last year's same month is there. */
#define FT_RRD_FINE_DAYS 400
#define FT_RRD_FINE_DAYS_MIN 397

/* NULL when a step of step_s seconds suits the archives (it divides 300, or is a
 * multiple of 300 that divides an hour); otherwise what is wrong with it. */
static inline const char *ft_rrd_step_problem(int64_t step_s)
{
	if (step_s > 0 && (300 % step_s == 0 || (step_s % 300 == 0 && 3600 % step_s == 0)))
		return NULL;
	return "RRD output needs a step that divides 300 s (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, "
	       "... 300) or a multiple of 300 s that divides an hour (600, 900, 1200, 1800, 3600), so "
	       "that the 5-minute, hourly and daily archives hold whole steps";
}

/* ---- names -------------------------------------------------------------------------------- */

/* A name's file name (without ".rrd"): letters, digits, '-', '_' and '.' stay; every
 * other byte, a '.' that starts the name and the '.' of a trailing ".rrd" become %XX
 * (two upper-case hexadecimal digits).  The mapping is one to one and reversible, and
 * no file name it makes ends in ".rrd", so a tenant's directory never meets a file.
 * Returns the length, or -1 when it does not fit in size bytes (NUL included). */
int ft_rrd_name_encode(const char *name, char *buf, size_t size);
/* The reverse: the name, or -1 when s is not a file name ft_rrd_name_encode makes. */
int ft_rrd_name_decode(const char *s, char *buf, size_t size);

/* ---- layouts ------------------------------------------------------------------------------ */

enum ft_rrd_kind { FT_RRD_TENANT, FT_RRD_UNATTRIBUTED, FT_RRD_TOTAL, FT_RRD_EXPORTER,
                   FT_RRD_COLLECTOR, FT_RRD_INTERFACE, FT_RRD__KINDS };

#define FT_RRD_DS_MAX 10
#define FT_RRD_ARGS_MAX (FT_RRD_DS_MAX + 12)

/* Benchmarks only: with FT_RRD_BENCH_SHORT=1 in the environment every archive keeps
 * one day (the same data sources and archives), so that the 10,000 files of
 * tests/bench/rrd.sh fit on a test machine's disk; the bench measures in the same run
 * that this does not change what an update costs.  Never set it in production. */

/* A file kind's data sources, in order; returns how many. */
size_t ft_rrd_ds_names(enum ft_rrd_kind k, const char *const **ret);
/* The type of its data source i: "ABSOLUTE", "DERIVE" or "GAUGE". */
const char *ft_rrd_ds_type(enum ft_rrd_kind k, size_t i);
/* The data source and archive definitions of a file of kind k for a step of step_s
 * seconds (ft_rrd_step_problem() NULL) keeping fine_days of 300-second archives, as
 * librrd's create takes them: into buf, pointers in argv.  Returns argc, or -1 when
 * fine_days is below FT_RRD_FINE_DAYS_MIN (such a layout is refused) or buf is small. */
int ft_rrd_layout(enum ft_rrd_kind k, int64_t step_s, uint32_t fine_days, char *buf, size_t size,
                  const char *argv[FT_RRD_ARGS_MAX]);

/* The header of the RRD file path, read before librrd is given it (librrd trusts what
 * it opens): 0 when it is sound and one of kind k with step step_s; -ENOENT no file;
 * -EBADF damaged, foreign or another layout; -EIO it cannot be read (err says which). */
int ft_rrd_header_check(const char *path, enum ft_rrd_kind k, int64_t step_s, char *err, size_t err_size);

/* ---- the store ---------------------------------------------------------------------------- */

/* Files written directly through librrd, or through an rrdcached (several collectors
 * can share one).  Every call says what went wrong in err (with the file concerned). */
struct ft_rrd_store;

/* daemon NULL: direct.  Over TCP (ft_rrd_daemon_is_tcp) rrdcached is sent every path
 * relative to base, its base directory (-b), which the paths must be under.  Never
 * connects here: the first use does. */
int ft_rrd_store_open(const char *daemon, const char *base, struct ft_rrd_store **ret);
/* Whether an rrdcached address is a TCP one ("host:port"), not a UNIX socket. */
static inline bool ft_rrd_daemon_is_tcp(const char *daemon)
{
	return daemon && strncmp(daemon, "unix:", 5) != 0 && daemon[0] != '/';
}
void ft_rrd_store_close(struct ft_rrd_store *st);
bool ft_rrd_store_cached(const struct ft_rrd_store *st);
/* The last update of path (with rrdcached, the updates it holds included), and whether
 * its data sources are those of kind k and its step step_s: 0; -ENOENT no file; -EBADF not an RRD file or not one of this layout
 * (err says how); -EAGAIN rrdcached unreachable; -EIO another failure. */
int ft_rrd_store_check(struct ft_rrd_store *st, const char *path, enum ft_rrd_kind k, int64_t step_s,
                       time_t *ret_last, char *err, size_t err_size);
/* The last update of path, as rrdcached holds it (updates it has not written yet
 * included): 0, -EAGAIN, -EIO. */
int ft_rrd_store_last(struct ft_rrd_store *st, const char *path, time_t *ret, char *err, size_t err_size);
/* Creates path (its directory must exist) with its last update at start: 0, -EEXIST
 * (when !overwrite), -EAGAIN, -EIO. */
int ft_rrd_store_create(struct ft_rrd_store *st, const char *path, enum ft_rrd_kind k, int64_t step_s,
                        uint32_t fine_days, time_t start, bool overwrite, char *err, size_t err_size);
/* Updates path with n "TIME:V1:V2:..." values, in time order: 0, -EAGAIN, -EIO. */
int ft_rrd_store_update(struct ft_rrd_store *st, const char *path, int n, const char **values, char *err,
                        size_t err_size);

/* ---- rebuilding from the ledger ----------------------------------------------------------- */

struct ft_rrd_rebuild_opts {
	const char *data_dir;       /* where the ledger is */
	const char *rrd_dir;        /* the RRD directory, as the store sees it */
	const char *daemon;         /* rrdcached, or NULL */
	const char *daemon_base;    /* rrdcached_base, or NULL */
	int64_t step_ms;
	uint32_t fine_days;
	int64_t from_ms, to_ms;     /* steps starting in [from, to); INT64_MIN / INT64_MAX: all */
	bool force;                 /* replace files holding data after the range */
	bool progress;              /* a progress line on stderr */
};

struct ft_rrd_rebuild_result {
	uint64_t steps;             /* ledger steps read */
	uint64_t files;             /* files made again */
	uint64_t updates;
	uint64_t refused;           /* files left alone: they hold newer data (without force) */
	uint64_t errors;
};

/* Makes the tenant, class, unattributed and total files again from the ledger's steps
 * in the range: each file is created anew at the range's first step and filled step by
 * step, so running it twice gives the same files.  A file whose last update is past the
 * range's end is left alone and counted as refused, unless force.  0 (see the result
 * for refused files and errors), or negative errno when the ledger cannot be read. */
int ft_rrd_rebuild(const struct ft_rrd_rebuild_opts *o, struct ft_rrd_rebuild_result *ret);

#endif
