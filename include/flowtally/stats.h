/* flowtally — the collector's own statistics and their machine-readable form.
 *
 * struct ft_stats is a plain snapshot: exporters (merged by key), listeners, rejected
 * sources, every sink's counters and rows and, for replays, the capture reader's
 * counters.  Receive threads fill their
 * own snapshot off the hot path; the main thread merges them and writes stats.json
 * atomically (write, fsync, rename).  The schema is documented in the README.
 */
#ifndef FLOWTALLY_STATS_H
#define FLOWTALLY_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/listener.h"
#include "flowtally/netflow.h"
#include "flowtally/pcap.h"
#include "flowtally/sink.h"
#include "flowtally/snmp.h"

/* Datagrams from sources outside the exporter allow-list, per source address.  Such
 * sources are whoever a peer says they are (spoofing costs nothing), so the table is
 * bounded: it keeps the FT_REJECTS_MAX heaviest sources by the Space-Saving algorithm
 * (Metwally, Agrawal, El Abbadi, "Efficient computation of frequent and top-k elements
 * in data streams", ICDT 2005).  A source not listed takes the place of the listed one
 * with the lowest estimate (datagrams + error), whose datagrams move to `other`; the
 * newcomer's error is that estimate, the most it can have sent before.  So, exactly:
 *   - total = Σ datagrams + other: every datagram counts once, for the listed source
 *     that sent it or in other (datagrams of sources not listed when they were counted);
 *   - a listed source sent between datagrams and datagrams + error;
 *   - a source not listed sent at most floor; in one stream floor <= total /
 *     FT_REJECTS_MAX (the estimates add up to total), so every source that sent more
 *     than that share is listed.
 * Below FT_REJECTS_MAX sources every count is exact (errors and floor 0).  A new source
 * costs a scan of the table for the lowest estimate, as a lookup already scans it. */
#define FT_REJECTS_MAX 256
struct ft_source_count {
	struct ft_addr addr;
	uint64_t datagrams;         /* counted for it while listed */
	uint64_t error;             /* it may have sent this many more before, in other */
};
struct ft_rejects {
	struct ft_source_count src[FT_REJECTS_MAX];
	size_t n;
	uint64_t total;
	uint64_t other;
	uint64_t floor;             /* the most a source not listed may have sent */
	size_t last;                /* index of the last hit, checked first */
};
void ft_rejects_add(struct ft_rejects *r, const struct ft_addr *a, uint64_t count);
/* Adds src into dst, keeping the heaviest FT_REJECTS_MAX of both by estimate; the
 * bounds above hold for the merged streams (a source listed in one and not the other
 * takes the other's floor into its error). */
void ft_rejects_merge(struct ft_rejects *dst, const struct ft_rejects *src);

struct ft_stats_listener {
	char name[64];
	struct ft_listener_stats st;
};

/* flowtallyd's dashboard redraws (collector/daemon/dashboard.c), once dashboard_interval
 * was set.  renders = runs that ended; failures of them, killed of the failures. */
struct ft_stats_dashboard {
	uint32_t interval_s;        /* in force; 0: off since a reload */
	bool running;
	uint64_t renders, failures, killed;
	uint64_t skipped;           /* runs due while the last one still ran */
	int64_t last_start_ns;      /* UTC; 0: none yet */
	int64_t last_duration_ms;
	int last_exit;              /* its exit status; -1: it did not exit (a signal, not started) */
	int last_signal;            /* the signal that ended it; 0: none */
	char last_result[96];       /* "ok", "exit status 3", "killed by SIGKILL", ... */
};

struct ft_stats {
	int64_t started_ns;
	char mode[16];              /* "udp" or "replay" */
	struct ft_exporter_stats *exporters;
	size_t n_exporters;
	size_t cap_exporters;
	struct ft_exporter_stats totals;
	struct ft_netflow_memory memory;   /* the decoders' memory budget (shared: the largest
	                                    * figures seen, not a sum) */
	struct ft_stats_listener *listeners;
	size_t n_listeners;
	struct ft_rejects rejects;
	uint64_t agg_refused;       /* records the aggregation refused (ft_agg_refused()) */
	bool have_pcap;
	struct ft_pcap_stats pcap;
	struct ft_sink_report *sinks;   /* in the order of the sink table */
	size_t n_sinks;
	struct ft_snmp_device_stats *snmp;  /* the SNMP poller's devices, in configuration order */
	size_t n_snmp;
	bool have_dashboard;
	struct ft_stats_dashboard dashboard;
};

void ft_stats_init(struct ft_stats *s, int64_t started_ns, const char *mode);
void ft_stats_done(struct ft_stats *s);
/* Empties the snapshot, keeping allocations. */
void ft_stats_clear(struct ft_stats *s);
/* Adds nf's exporters and totals. 0 or -ENOMEM. */
int ft_stats_add_netflow(struct ft_stats *s, const struct ft_netflow *nf);
int ft_stats_add_listener(struct ft_stats *s, const char *name, const struct ft_listener_stats *ls);
/* Replaces the sinks' statistics with a copy of r[0..n).  0 or -ENOMEM. */
int ft_stats_set_sinks(struct ft_stats *s, const struct ft_sink_report *r, size_t n);
/* Replaces the SNMP devices' statistics with a copy of d[0..n).  0 or -ENOMEM. */
int ft_stats_set_snmp(struct ft_stats *s, const struct ft_snmp_device_stats *d, size_t n);
/* Adds everything in src to dst, merging exporters and listeners by name. */
int ft_stats_merge(struct ft_stats *dst, const struct ft_stats *src);
/* Writes the snapshot as JSON to path atomically (exporters sorted by address,
 * version and domain, which reorders s->exporters); 0 or negative errno. */
int ft_stats_write_json(struct ft_stats *s, const char *path);

#endif
