/* flowtally — SNMP interface polling (net-snmp): the devices to poll, one poll's
 * reading of a device, the book-keeping of interface counters, and the poller.
 *
 * The poller (collector/snmp/poller.c) runs on its own thread, one ft_loop over the
 * sessions' sockets: every `snmp_interval` seconds, aligned to UTC, it sends each
 * device its first request at once and walks IF-MIB with GETBULK (net-snmp's
 * asynchronous single-session API), so a dead or slow device never delays another.
 * What a walk reads is a struct ft_snmp_poll.  Between two polls of an interface each
 * counter's delta is classified (ft_snmp_classify: normal, 32-bit wrap, agent restart,
 * discontinuity, impossible, ...); only normal and wrap deltas become data, spread over
 * the collector's steps by time (ft_snmp_acc), and closed steps leave as struct
 * ft_if_step (sink.h) for the interface RRDs and the exact interface totals.
 */
#ifndef FLOWTALLY_SNMP_H
#define FLOWTALLY_SNMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "flowtally/flow.h"
#include "flowtally/names.h"
#include "flowtally/sink.h"

#define FT_LOG_SNMP "snmp"      /* the log group of SNMP polling */

/* ---- configuration -------------------------------------------------------------------- */

enum ft_snmp_version { FT_SNMP_V2C = 2, FT_SNMP_V3 = 3 };
enum ft_snmp_level { FT_SNMP_NOAUTH, FT_SNMP_AUTHNOPRIV, FT_SNMP_AUTHPRIV };
/* USM authentication (RFC 3414 SHA-1, RFC 7860 SHA-2) and privacy (RFC 3826 AES-128;
 * AES-192 and AES-256 as net-snmp builds them, draft-blumenthal-aes-usm-04). */
enum ft_snmp_auth { FT_SNMP_AUTH_NONE, FT_SNMP_SHA1, FT_SNMP_SHA224, FT_SNMP_SHA256, FT_SNMP_SHA384,
                    FT_SNMP_SHA512 };
enum ft_snmp_priv { FT_SNMP_PRIV_NONE, FT_SNMP_AES128, FT_SNMP_AES192, FT_SNMP_AES256 };
/* The value a name stands for, as the configuration and `flowtally snmp walk` take them
 * (letter case aside), or -1: "noAuthNoPriv", "authNoPriv", "authPriv"; "SHA" (also
 * "SHA-1", "SHA1"), "SHA-224" ... "SHA-512" (also without the dash); "AES" (also
 * "AES-128", "AES128"), "AES-192", "AES-256". */
static inline int ft_snmp_name_pick(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcasecmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}
static inline int ft_snmp_level_parse(const char *s)
{
	static const char *const names[] = { "noAuthNoPriv", "authNoPriv", "authPriv" };
	return ft_snmp_name_pick(s, names, 3);
}
static inline int ft_snmp_auth_parse(const char *s)
{
	static const char *const names[] = { NULL, "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512",
	                                     "SHA-1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA1" };
	int i = ft_snmp_name_pick(s, names, sizeof(names) / sizeof(*names));
	return i < 0 ? -1 : i == 11 || i == 6 ? FT_SNMP_SHA1 : i > 6 ? i - 5 : i;
}
static inline int ft_snmp_priv_parse(const char *s)
{
	static const char *const names[] = { NULL, "AES", "AES-192", "AES-256", "AES-128", "AES192", "AES256",
	                                     "AES128" };
	int i = ft_snmp_name_pick(s, names, sizeof(names) / sizeof(*names));
	return i < 0 ? -1 : i == 4 || i == 7 ? FT_SNMP_AES128 : i > 4 ? i - 3 : i;
}

/* What an interface is known by across polls (its RRD file, its tenant rules). */
enum ft_snmp_key { FT_SNMP_BY_IFNAME, FT_SNMP_BY_IFINDEX, FT_SNMP_BY_IFDESCR };

#define FT_SNMP_DEVICES_MAX 200
#define FT_SNMP_EXPORTERS_MAX 16    /* exporter addresses one device stands for */
#define FT_SNMP_SECRET_MAX 128

struct ft_snmp_device {
	char name[FT_NAME_MAX];     /* its RRD directory and statistics key */
	char address[128];          /* as net-snmp takes it: "udp:127.0.0.1:16161", "udp6:[::1]:161" */
	struct ft_addr exporters[FT_SNMP_EXPORTERS_MAX];
	size_t n_exporters;
	uint8_t version;            /* enum ft_snmp_version */
	uint8_t level;              /* enum ft_snmp_level (v3) */
	uint8_t auth;               /* enum ft_snmp_auth */
	uint8_t priv;               /* enum ft_snmp_priv */
	char community[FT_SNMP_SECRET_MAX];     /* v2c */
	char user[64];                          /* v3 */
	char auth_pass[FT_SNMP_SECRET_MAX];
	char priv_pass[FT_SNMP_SECRET_MAX];
	uint32_t timeout_ms;        /* per request */
	uint32_t retries;
	uint32_t max_rows;          /* interfaces kept a poll; more are counted, not kept */
	uint32_t max_repetitions;   /* GETBULK */
	uint8_t key;                /* enum ft_snmp_key */
	char **include;             /* fnmatch(3) patterns on the key's name; none: all */
	size_t n_include;
	char **exclude;
	size_t n_exclude;
	const char *file;           /* where it is configured (for messages) */
	int line;
};

struct ft_snmp_conf {
	struct ft_snmp_device *devices;
	size_t n_devices;
	uint32_t interval_s;        /* snmp_interval (60) */
	int64_t max_gap_ms;         /* snmp_max_gap: a longer interval between two readings is a gap */
	uint32_t speed_tolerance_pct;   /* snmp_speed_tolerance: rate allowed above ifSpeed (10 %) */
	char *secrets;              /* snmp_secrets: file of passwords and communities, or NULL */
};

/* ---- one poll of a device --------------------------------------------------------------- */

/* The counters of an interface, in the order of struct ft_snmp_reading.c[]. */
enum ft_snmp_counter { FT_SNMP_IN_OCTETS, FT_SNMP_OUT_OCTETS, FT_SNMP_IN_UCAST, FT_SNMP_OUT_UCAST,
                       FT_SNMP_IN_ERRORS, FT_SNMP_OUT_ERRORS, FT_SNMP_IN_DISCARDS, FT_SNMP_OUT_DISCARDS,
                       FT_SNMP_N_COUNTERS };

#define FT_SNMP_IFNAME_MAX 128      /* ifName, ifAlias (SnmpAdminString up to 64 octets; kept longer) */
#define FT_SNMP_IFDESCR_MAX 256     /* ifDescr (DisplayString up to 255) */

/* One interface as one poll read it.  `have` says which fields came (FT_SNMP_HAVE_*). */
struct ft_snmp_if {
	uint32_t ifindex;
	uint32_t have;
	char name[FT_SNMP_IFNAME_MAX];
	char alias[FT_SNMP_IFNAME_MAX];
	char descr[FT_SNMP_IFDESCR_MAX];
	uint32_t high_speed;        /* ifHighSpeed, Mb/s */
	uint32_t speed;             /* ifSpeed, b/s (Gauge32: 4294967295 above) */
	int32_t oper_status;        /* ifOperStatus: up(1), down(2), ... */
	uint32_t disc_time;         /* ifCounterDiscontinuityTime, TimeTicks */
	uint64_t hc[4];             /* ifHCInOctets, ifHCOutOctets, ifHCInUcastPkts, ifHCOutUcastPkts */
	uint32_t c32[8];            /* ifInOctets, ifOutOctets, ifInUcastPkts, ifOutUcastPkts,
	                             * ifInErrors, ifOutErrors, ifInDiscards, ifOutDiscards */
	int64_t time_ms;            /* UTC: when its counters were read (the middle of the request
	                             * that brought them and its answer) */
};
#define FT_SNMP_HAVE_NAME      (1u << 0)
#define FT_SNMP_HAVE_ALIAS     (1u << 1)
#define FT_SNMP_HAVE_DESCR     (1u << 2)
#define FT_SNMP_HAVE_HIGHSPEED (1u << 3)
#define FT_SNMP_HAVE_SPEED     (1u << 4)
#define FT_SNMP_HAVE_OPER      (1u << 5)
#define FT_SNMP_HAVE_DISC      (1u << 6)
#define FT_SNMP_HAVE_HC(i)     (1u << (7 + (i)))        /* i in 0..3, as hc[] */
#define FT_SNMP_HAVE_C32(i)    (1u << (11 + (i)))       /* i in 0..7, as c32[] */

/* One device as one poll read it (the caller's: ft_snmp_poll_done). */
struct ft_snmp_poll {
	char sys_name[256];
	bool have_uptime;
	uint32_t sys_uptime;        /* sysUpTime, TimeTicks (1/100 s) */
	int64_t uptime_ms;          /* UTC: when it was read */
	int64_t started_ms;         /* UTC: the poll's first request */
	int64_t finished_ms;        /* UTC: its last answer */
	struct ft_snmp_if *ifs;     /* by ifIndex */
	size_t n_ifs;
	uint64_t rows_over_cap;     /* interfaces seen beyond max_rows, not kept */
	uint64_t filtered;          /* interfaces left out by include/exclude */
	uint32_t requests;          /* requests sent */
};
void ft_snmp_poll_done(struct ft_snmp_poll *p);

/* The name an interface is known by under key ("" when its poll did not bring it; the
 * ifIndex as text for FT_SNMP_BY_IFINDEX): into buf. */
const char *ft_snmp_if_key(const struct ft_snmp_if *i, enum ft_snmp_key key, char *buf, size_t size);

/* ---- counters by the book ------------------------------------------------------------ */

/* What an interval between two readings of a counter is. */
enum ft_snmp_verdict {
	FT_SNMP_NORMAL,             /* it went up by less than the interface can carry */
	FT_SNMP_WRAP,               /* a 32-bit counter wrapped once, at a possible rate */
	FT_SNMP_RESTART,            /* the agent restarted (sysUpTime went back or moved unlike the wall clock) */
	FT_SNMP_DISCONTINUITY,      /* ifCounterDiscontinuityTime changed (RFC 2863 section 3.1.5) */
	FT_SNMP_IMPOSSIBLE,         /* faster than the interface speed, or a 64-bit counter went back */
	FT_SNMP_AMBIGUOUS,          /* a 32-bit counter could have wrapped more than once */
	FT_SNMP_REINDEX,            /* the interface moved to another ifIndex */
	FT_SNMP_GAP,                /* the readings are further apart than snmp_max_gap */
	FT_SNMP_ABSENT,             /* the counter was missing from a reading */
	FT_SNMP_NO_ANSWER,          /* no reading covers the step (the device did not answer) */
	FT_SNMP__VERDICTS
};
/* "normal", "wrap", "restart", ... */
const char *ft_snmp_verdict_name(unsigned v);

/* One interface's reading, as the book-keeping takes it. */
struct ft_snmp_reading {
	int64_t time_ms;            /* UTC: when its counters were read */
	bool have_uptime;
	uint32_t uptime;            /* the device's sysUpTime at the same poll */
	int64_t uptime_ms;          /* when sysUpTime was read */
	bool have_disc;
	uint32_t disc_time;
	uint32_t ifindex;
	uint64_t speed_bps;         /* 0: unknown */
	bool hc;                    /* octets and unicast packets from the 64-bit counters */
	uint32_t have;              /* bit i: c[i] is there */
	uint64_t c[FT_SNMP_N_COUNTERS];
};
/* The reading of one interface of a poll: the 64-bit counters when it has them. */
void ft_snmp_reading_of(const struct ft_snmp_poll *p, const struct ft_snmp_if *i,
                        struct ft_snmp_reading *ret);

struct ft_snmp_limits {
	int64_t max_gap_ms;         /* longer intervals are FT_SNMP_GAP */
	uint32_t speed_tolerance_pct;
	int64_t uptime_slack_ms;    /* sysUpTime may differ from the wall clock by this much, plus 1 % */
};

/* The interval between two readings of one interface. */
struct ft_snmp_delta {
	int64_t from_ms, to_ms;
	uint8_t verdict[FT_SNMP_N_COUNTERS];    /* enum ft_snmp_verdict */
	uint64_t d[FT_SNMP_N_COUNTERS];         /* the increase (NORMAL, WRAP), else 0 */
};
/* Classifies each counter's change from prev to cur (cur later). */
void ft_snmp_classify(const struct ft_snmp_reading *prev, const struct ft_snmp_reading *cur,
                      const struct ft_snmp_limits *lim, struct ft_snmp_delta *ret);
/* Whether a verdict's delta is data. */
static inline bool ft_snmp_verdict_ok(unsigned v) { return v == FT_SNMP_NORMAL || v == FT_SNMP_WRAP; }

/* The steps of one interface still open: intervals are spread over them by time, each
 * counter's share exact (largest remainder), and a step closes once readings cover it
 * whole.  A counter of a step is known only when every interval over the step was data
 * for it; otherwise the step carries the first reason it is not. */
#define FT_SNMP_ACC_STEPS 64
struct ft_snmp_acc {
	int64_t step_ms;
	int64_t first_ms;           /* start of the oldest step not closed (open from it: n);
	                             * INT64_MIN until the first interval */
	size_t n;                   /* open steps from first_ms */
	struct ft_snmp_acc_step {
		int64_t covered_ms;
		uint8_t verdict[FT_SNMP_N_COUNTERS];    /* NORMAL while known */
		uint64_t v[FT_SNMP_N_COUNTERS];
	} steps[FT_SNMP_ACC_STEPS];
};
void ft_snmp_acc_init(struct ft_snmp_acc *a, int64_t step_ms);
/* Spreads d over the steps it overlaps.  An interval reaching more than
 * FT_SNMP_ACC_STEPS steps back from its end only fills those (what is older was closed
 * as unknown).  Returns 0. */
int ft_snmp_acc_add(struct ft_snmp_acc *a, const struct ft_snmp_delta *d);
/* Closes the open steps that end at or before before_ms, oldest first, into ret (up to
 * cap; what does not fit stays open): a step not covered whole has its uncovered
 * counters FT_SNMP_NO_ANSWER unless another reason came first.  Fills start_ms, known,
 * verdict[] and the counters of each ft_if_step; the caller names it.  Returns how many. */
size_t ft_snmp_acc_close(struct ft_snmp_acc *a, int64_t before_ms, struct ft_if_step *ret, size_t cap);

/* ---- polling ------------------------------------------------------------------------------ */

/* Readies net-snmp for the process (once, before any thread polls): no MIB files, no
 * configuration or persistent files of its own, its log to flowtally's. */
void ft_snmp_init(const char *app);

/* Polls one device once, in the calling thread, waiting up to its timeout and retries
 * for each request: 0 and *ret (the caller's: ft_snmp_poll_done); -ETIMEDOUT no answer;
 * -EACCES authentication failed (wrong password, unknown user: err says which);
 * -EINVAL a setting net-snmp refused; -EIO another failure.  err gets one line naming
 * the device. */
int ft_snmp_walk(const struct ft_snmp_device *d, struct ft_snmp_poll *ret, char *err, size_t err_size);

/* The poller: every configured device, polled concurrently each cycle on one loop. */
struct ft_snmp_poller;

struct ft_snmp_poller_env {
	const struct ft_snmp_conf *conf;    /* the caller's, for the poller's lifetime */
	int64_t step_ms;                    /* the collector's step */
	/* Closed interface steps of a cycle, oldest first per interface (on the poller's
	 * thread; s is the poller's, valid during the call).  NULL: none wanted. */
	void (*emit)(void *ctx, const struct ft_if_step *s, size_t n);
	/* One device's finished poll, successful or not (status as ft_snmp_walk), on the
	 * poller's thread: for the interface table.  NULL: none wanted. */
	void (*polled)(void *ctx, const struct ft_snmp_device *d, int status, const struct ft_snmp_poll *p);
	void *ctx;
	/* Where the book-keeping is kept across restarts (each interface's last reading and
	 * its steps still open): read at the start, written at the stop; NULL none.  So the
	 * interval over a restart is booked like any other (a gap if longer than
	 * snmp_max_gap), and no step is lost or given twice. */
	const char *state_path;
};

/* What the statistics show of a device. */
enum ft_snmp_state { FT_SNMP_UNPOLLED, FT_SNMP_UP, FT_SNMP_TIMING_OUT, FT_SNMP_AUTH_FAILURE, FT_SNMP_FAILING };
const char *ft_snmp_state_name(unsigned s);     /* "unpolled", "up", "timing_out", "auth_failure", "failing" */

struct ft_snmp_device_stats {
	char name[FT_NAME_MAX];
	char address[128];
	uint8_t state;              /* enum ft_snmp_state */
	char sys_name[64];
	char last_error[256];
	int64_t last_error_ms;      /* UTC; 0 never */
	int64_t last_ok_ms;         /* UTC: the last poll that answered; 0 never */
	int64_t last_poll_ms;       /* UTC: how long the last finished poll took */
	uint64_t polls, failures, skipped;  /* skipped: a cycle came while the last poll still ran */
	uint64_t interfaces;        /* in the last poll */
	uint64_t interfaces_hc;     /* of them, with 64-bit octet counters (ifHCInOctets) */
	uint64_t requests;          /* requests the last poll sent */
	uint64_t rows_over_cap, filtered;   /* in the last poll */
	uint64_t reindexed;         /* interfaces found under another ifIndex */
	uint64_t steps, steps_unknown;      /* interface steps closed, and those with a counter unknown */
	uint64_t verdicts[FT_SNMP__VERDICTS];   /* intervals by verdict (of ifHCInOctets or ifInOctets) */
};

/* 0 and *ret, -ENOMEM, or -EINVAL (a device whose session cannot open: logged, and it
 * is tried again at each cycle, so this is only for a bad configuration). */
int ft_snmp_poller_new(const struct ft_snmp_poller_env *env, struct ft_snmp_poller **ret);
/* Stops the thread if it runs, closes every session.  NULL-safe; returns NULL. */
struct ft_snmp_poller *ft_snmp_poller_free(struct ft_snmp_poller *p);
/* Runs the poller on a thread of its own, cycles aligned to snmp_interval in UTC. */
int ft_snmp_poller_start(struct ft_snmp_poller *p);
/* Stops the thread (polls in flight are abandoned; the steps closed so far are given to
 * emit); the statistics stay readable.  NULL-safe. */
void ft_snmp_poller_stop(struct ft_snmp_poller *p);
/* Polls every device once now, in the calling thread (no thread started), and returns
 * when all have answered or failed: `flowtally snmp poll`. */
int ft_snmp_poller_cycle(struct ft_snmp_poller *p);
/* Each device's statistics, up to cap, in configuration order (any thread); returns
 * how many. */
size_t ft_snmp_poller_stats(struct ft_snmp_poller *p, struct ft_snmp_device_stats *ret, size_t cap);

#endif
