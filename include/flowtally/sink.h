/* flowtally — sinks: where closed steps go (the ledger, round-robin time series, ...).
 *
 * A sink is a small table of functions: open from the configuration, write a closed
 * step, optionally write closed interface steps (SNMP polling), flush, close, and report its
 * own statistics rows.  It owns its state behind a void pointer and sees nothing but
 * the contract types (step.h), never the receive path.  The daemon's sinks are listed
 * in exporters/sinks.def; adding a sink is one folder under exporters/ and one line
 * there.
 *
 * The first sink of the table, the ledger, is authoritative: it is written first and
 * synchronously, a step it cannot take for the moment (a full disk) is kept and
 * retried, and only the steps it committed go on to the others.  The others are fed
 * from one bounded queue on a writer thread, so none of them can stall receiving or the
 * ledger; a failing sink is counted and logged, never fatal.  Besides the rows a sink
 * reports itself, every sink has the same counters (struct ft_sink_counts), shown per
 * sink by stats.json and `flowtally status`.
 */
#ifndef FLOWTALLY_SINK_H
#define FLOWTALLY_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"
#include "flowtally/names.h"
#include "flowtally/step.h"

/* What a sink is opened with. */
struct ft_sink_env {
	const char *data_dir;       /* the collector's data directory (it exists) */
	const void *conf;           /* the sink's part of the configuration, or NULL */
	bool live;                  /* the running daemon (not a replay of a capture) */
	int64_t step_ms;            /* the configured step length */
};

/* One interface's closed step, from SNMP polling (collector/snmp): the exact counts of
 * the step, time-weighted from the readings around it, each counter known or not (and
 * why not).  The counters are those of enum ft_snmp_counter (snmp.h): octets, unicast
 * packets, errors and discards, in then out. */
#define FT_IF_COUNTERS 8
#define FT_IF_KEY_MAX 128
struct ft_if_step {
	char device[FT_NAME_MAX];   /* the configured device */
	char key[FT_IF_KEY_MAX];    /* the interface's name under the device's key (ifName, ...) */
	uint32_t ifindex;
	int64_t start_ms;           /* UTC: the step */
	uint8_t known;              /* bit i: v[i] is the step's count */
	uint8_t verdict[FT_IF_COUNTERS];    /* why not (enum ft_snmp_verdict); 0 when known */
	uint64_t v[FT_IF_COUNTERS];
	uint64_t speed_bps;         /* at the step's last reading; 0 unknown */
	int32_t oper_status;        /* ifOperStatus at the step's last reading; 0 unknown */
};

/* One exporter's running counters (since the collector started), for graphs. */
struct ft_counters_exporter {
	struct ft_addr addr;
	uint32_t domain;            /* observation domain or source ID; v5 engine type and ID */
	uint64_t datagrams;
	uint64_t records;
	uint64_t bytes;             /* as exported */
	uint64_t parse_errors;      /* every error reason counted for it */
	uint64_t seq_lost;          /* sequence-gap losses: records (v5, IPFIX), datagrams (v9) */
	uint64_t no_template;       /* data sets dropped, their template never came */
	uint64_t sampling_changes;  /* times its sampling rate changed */
	uint32_t sampling_rate;     /* the rate it announced last (1: none) */
};

/* The collector's counters at the end of a committed step: running counts since the
 * start (rates are the sink's business) and the latencies of that step. */
struct ft_counters {
	int64_t time_ms;            /* UTC: the end of the step just committed */
	uint64_t records;           /* flow records decoded, all exporters */
	uint64_t kernel_drops;      /* datagrams the kernel dropped, all sockets */
	int64_t step_close_ms;      /* from the step's end to the ledger's commit (-1: unknown, a replay's) */
	int64_t ledger_write_ms;    /* the ledger's write of it */
	uint64_t queue_depth;       /* items waiting in the sinks' queue (set by the writer) */
	struct ft_counters_exporter *exporters;
	size_t n_exporters;
};

/* A statistics row: name (a static string, the JSON key) and value. */
enum ft_sink_stat_kind { FT_SINK_STAT_COUNT, FT_SINK_STAT_TIME_MS, FT_SINK_STAT_TEXT };
#define FT_SINK_STAT_TEXT_MAX 200
struct ft_sink_stat {
	const char *name;
	uint8_t kind;               /* enum ft_sink_stat_kind; a time of 0 is "never" */
	int64_t value;
	char text[FT_SINK_STAT_TEXT_MAX];   /* FT_SINK_STAT_TEXT: the value ("" none) */
};
#define FT_SINK_STATS_MAX 16    /* rows a sink may add of its own */

struct ft_sink_ops {
	const char *name;           /* stats.json key and log prefix: "ledger", "rrd" */
	/* 0 and *ret_state, or negative errno, having logged what went wrong with the
	 * paths or addresses concerned.  The ledger not opening stops the start; another
	 * sink stays off for the run, its steps counted as dropped.  -ECANCELED: turned
	 * off by the configuration (not an error: the sink is not there this run). */
	int (*open)(const struct ft_sink_env *env, void **ret_state);
	/* One closed step, the caller's (NULL for a sink of interface steps only; never
	 * for the first, authoritative sink).  0; -EEXIST when the sink already holds it (after
	 * a restart: not an error, not written again); -EINVAL or -EBADMSG when it can never
	 * take this step; -EAGAIN when it cannot now but will later (a server down): the
	 * step stays queued for it, in order, and is given again after a pause; another
	 * negative errno when it failed (the ledger's are retried, the others' counted). */
	int (*write_step)(void *state, const struct ft_step *s);
	/* Optional (NULL): closed interface steps, the caller's, oldest first.  0; -EAGAIN
	 * as for write_step; another negative errno, counted. */
	int (*write_interfaces)(void *state, const struct ft_if_step *s, size_t n);
	/* Optional: the collector's counters at a step's end, the caller's.  0; -EAGAIN
	 * when it cannot now and wants it again later (see write_step); another negative
	 * errno, counted. */
	int (*write_counters)(void *state, const struct ft_counters *c);
	/* Optional: the start of the newest step the sink holds (UTC ms); -ENOENT when it
	 * holds none.  Steps at or before it are not given to it again. */
	int (*last_step)(void *state, int64_t *ret_start_ms);
	/* Optional: makes what was written durable (when the queue runs dry, and before
	 * close).  0 or negative errno. */
	int (*flush)(void *state);
	/* Releases everything (NULL-safe). */
	void (*close)(void *state);
	/* Optional: the sink's own rows, up to cap; returns how many.  Called from the
	 * control thread while the sink may be writing on the writer thread: it reads its
	 * counters as they are (atomics), never waits for a write. */
	size_t (*stats)(void *state, struct ft_sink_stat *ret, size_t cap);
};

/* A sink in a table: its functions and where its part of the configuration is
 * (offsetof(struct ft_config, ...)), or FT_SINK_NO_CONF. */
#define FT_SINK_NO_CONF SIZE_MAX
struct ft_sink_entry {
	const struct ft_sink_ops *ops;
	size_t conf_off;
};

/* What every sink counts (kept by the daemon, not by the sink). */
struct ft_sink_counts {
	uint64_t written;           /* steps the sink took */
	uint64_t refused;           /* steps it already held (-EEXIST) */
	uint64_t errors;            /* failed writes (the ledger's are retried) */
	uint64_t dropped;           /* steps it never got: queue full, or refused for good */
	uint64_t pending;           /* steps waiting for it now */
	uint64_t samples;           /* interface steps it took */
	uint64_t retries;           /* writes it asked to have again later (-EAGAIN) */
	int64_t last_ms;            /* start of the last step it took; 0 none */
};

/* One sink's statistics: its counters and its own rows. */
struct ft_sink_report {
	char name[FT_NAME_MAX];
	struct ft_sink_counts c;
	struct ft_sink_stat rows[FT_SINK_STATS_MAX];
	size_t n_rows;
};

#endif
