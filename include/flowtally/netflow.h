/* flowtally — export datagrams in, flow records out.
 *
 * struct ft_netflow is the decoding state of one receive thread: the table of exporters
 * it has heard from, with their statistics and sequence tracking.  The daemon's
 * receivers, `flowtallyd --replay` and `flowtally replay` all pass datagrams through
 * ft_netflow_input(), so a capture is decoded by exactly the code that decodes the
 * network.  Not thread-safe: one per thread, merged by copying statistics out; the
 * memory budget alone may be shared between threads (ft_netflow_share_budget()).
 */
#ifndef FLOWTALLY_NETFLOW_H
#define FLOWTALLY_NETFLOW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flowtally/datagram.h"
#include "flowtally/flow.h"

#define FT_LOG_NETFLOW "netflow"  /* log group (log.h) */

/* Why a datagram (or part of one) was dropped.  Names are stable: they are the keys of
 * the "errors" objects in stats.json and in `flowtally replay --totals`. */
enum ft_nf_error {
	FT_NF_OK = 0,
	FT_NF_ERR_SHORT_HEADER,      /* shorter than the version's header */
	FT_NF_ERR_VERSION,           /* version field is not one flowtally decodes */
	FT_NF_ERR_COUNT,             /* record count outside the version's range */
	FT_NF_ERR_LENGTH,            /* datagram length disagrees with the record count */
	FT_NF_ERR_EXPORTER_LIMIT,    /* exporter table full (max_exporters, or the memory budget) */
	FT_NF_ERR_SET_LENGTH,        /* set shorter than its header, or past the message */
	FT_NF_ERR_SET_ID,            /* reserved set ID (v9: 2..255, IPFIX: 0, 1, 4..255) */
	FT_NF_ERR_TEMPLATE_EMPTY,    /* v9 template with no fields */
	FT_NF_ERR_TEMPLATE_OVERFLOW, /* template's fields run past its set */
	FT_NF_ERR_TEMPLATE_ID,       /* template ID below 256 */
	FT_NF_ERR_FIELD_LENGTH,      /* zero-length field, or a length the element cannot have */
	FT_NF_ERR_SCOPE,             /* options template: no scope, or scope beyond the fields */
	FT_NF_ERR_TEMPLATE_TOO_LONG, /* records of this template cannot fit in a message */
	FT_NF_ERR_TEMPLATE_LIMIT,    /* exporter at max_templates: template refused */
	FT_NF_ERR_VARLEN,            /* variable-length field runs past its set */
	FT_NF_ERR_PADDING,           /* non-zero bytes after the last record of a set */
	FT_NF_ERR_NO_TEMPLATE,       /* data set whose template never came (buffer overflow,
	                              * expiry, or still waiting at exit) */
	FT_NF_ERR_NOMEM,             /* out of memory while keeping state */
	FT_NF_ERR_V9_VARLEN,         /* v9 template with a field of length 65535, which RFC 3954
	                              * cannot carry (no variable-length encoding in v9) */
	FT_NF_ERR_MEMORY_BUDGET,     /* a template, kept set or options entry refused: the
	                              * memory budget is used up */
	FT_NF_ERR_TEMPLATE_FIELDS,   /* template with more than max_template_fields fields */
	FT_NF_ERR_TEMPLATE_BYTES,    /* template refused: the exporter's templates would take
	                              * more than max_template_bytes */
	FT_NF_ERR_IMPLAUSIBLE_COUNTER, /* a data record whose counters times its sampling rate
	                              * cannot be represented or pass max_flow_bytes/packets */
	FT_NF_ERR_TIME_RANGE,        /* a data record whose times lie outside max_flow_age /
	                              * max_clock_skew of its receipt, or end over an hour
	                              * before the exporter's boot */
	FT_NF_ERR__MAX
};
const char *ft_nf_error_name(enum ft_nf_error e);
/* True for the reasons that drop a whole datagram: short_header, bad_version, bad_count,
 * bad_length and exporter_limit.  A datagram dropped so counts one of them, once, and
 * is not accepted.  Every other reason drops part of a datagram (a set, a template
 * record, the rest of a data set) or nothing (bad_padding), in a datagram that is
 * accepted all the same: such a datagram may count several of them, or one later
 * (no_template, when a kept set is given up). */
bool ft_nf_error_drops_datagram(enum ft_nf_error e);

/* A caller-owned array that decoders append flow records to.  When it is full the
 * decoder calls flush (which must consume the records and set n to 0); without a flush
 * hook, further records are dropped and counted in `overflow`.  A v5 datagram's
 * records always fit when cap - n >= FT_NETFLOW_BATCH_MIN. */
struct ft_flow_batch {
	struct ft_flow *flows;
	size_t n;
	size_t cap;
	void (*flush)(struct ft_flow_batch *b, void *ctx);
	void *ctx;
	uint64_t overflow;
};
#define FT_NETFLOW_BATCH_MIN 30

struct ft_exporter_key {
	struct ft_addr addr;
	uint32_t domain;           /* v5: engine_type << 8 | engine_id */
	uint8_t version;           /* 0 when the datagram was too broken to tell */
};

struct ft_exporter_stats {
	struct ft_exporter_key key;
	uint64_t datagrams;        /* every datagram, good or bad */
	uint64_t accepted;         /* datagrams not dropped whole: datagrams = accepted + the
	                            * errors of the reasons ft_nf_error_drops_datagram() names */
	uint64_t records;          /* flow records decoded */
	uint64_t bytes;            /* as exported */
	uint64_t packets;
	uint64_t lost_records;     /* estimated from sequence-number gaps (v5, IPFIX) */
	uint64_t lost_datagrams;   /* the same for NetFlow v9, whose sequence counts datagrams */
	uint64_t option_records;   /* v9/IPFIX options data records */
	uint64_t templates;        /* template and options template records received */
	uint64_t templates_active; /* templates known now */
	uint64_t template_changes; /* a known template ID redefined differently */
	uint64_t templates_empty_fields; /* templates defined with fields of length 0 (skipped) */
	uint64_t header_count_mismatch;  /* v9 datagrams whose header count is not their records' */
	uint64_t withdrawals;      /* IPFIX template withdrawals applied */
	uint64_t withdrawals_ignored; /* IPFIX template withdrawals ignored (RFC 7011 §8.4) */
	uint64_t refused_bytes;    /* as exported, of the records refused as implausible_counter
	                            * or time_out_of_range (not in bytes; at most 2^64 - 1) */
	uint64_t refused_packets;
	uint64_t pending_sets;     /* data sets waiting for their template now */
	uint64_t pending_decoded;  /* data sets decoded late, when their template came */
	uint64_t sampling_changes; /* times the exporter's sampling rate changed */
	int64_t sampling_changed_ns; /* when it last changed */
	uint64_t seq_resets;       /* exporter restarts and backward jumps */
	uint64_t reordered;        /* datagrams that arrived behind the expected sequence */
	uint64_t address_limit;    /* datagrams of a new exporter refused because its address
	                            * had max_exporters_per_address entries (counted as
	                            * exporter_limit too; in the totals only) */
	uint64_t evicted;          /* exporter entries dropped after exporter_idle_timeout
	                            * (in the totals only) */
	uint64_t errors[FT_NF_ERR__MAX];
	uint32_t sampling_rate;    /* last rate announced by the exporter (1 = none) */
	uint8_t sampling_mode;
	int64_t first_seen_ns;
	int64_t last_seen_ns;
};

/* Per-exporter settings from the configuration. */
struct ft_exporter_conf {
	struct ft_prefix match;
	uint32_t sampling_default;   /* used when the exporter announces no rate; 0 none */
	uint32_t sampling_override;  /* wins over everything the exporter says; 0 none */
	bool count_totals;           /* account octetTotalCount/packetTotalCount (IE 85/86) */
	bool v9_variable_length;     /* read v9 field length 65535 as IPFIX's variable length */
};

struct ft_netflow_conf {
	uint32_t max_exporters;      /* cap on the exporter table; 0: default */
	uint32_t max_templates;      /* per exporter/domain; 0: default */
	uint32_t template_lifetime;  /* seconds without refresh before a template expires; 0: never */
	uint32_t max_pending_sets;   /* data sets kept per exporter/domain awaiting a template;
	                              * 0: default */
	uint32_t max_pending_bytes;  /* 0: default */
	bool ipfix_withdrawals;      /* apply IPFIX template withdrawals (RFC 7011 §8.4 says a
	                              * collector ignores them over UDP); default false */
	uint64_t memory_budget;      /* bytes all decoding state may take (exporter table,
	                              * templates with their plans, options data, kept sets),
	                              * shared by the decoders that share it
	                              * (ft_netflow_share_budget()); 0: default */
	uint32_t max_template_fields; /* fields per template; 0: default */
	uint32_t max_template_bytes; /* bytes one exporter/domain's templates may take; 0: default */
	uint32_t exporter_idle_timeout; /* seconds without a datagram after which an exporter
	                              * entry is dropped, with its templates; 0: never */
	uint32_t max_exporters_per_address; /* entries (versions, domains) one address may
	                              * hold; 0: no cap beyond max_exporters */
	uint64_t max_flow_bytes;     /* a record's bytes times its sampling rate; 0: default */
	uint64_t max_flow_packets;   /* the same for packets; 0: default */
	int64_t max_flow_age_ms;     /* refuse records ending longer before their receipt, or
	                              * over an hour before the exporter's boot; 0: times
	                              * not checked */
	int64_t max_clock_skew_ms;   /* refuse records starting or ending further after their
	                              * receipt; 0: not checked */
	const struct ft_exporter_conf *exporters;  /* first match wins; copied */
	size_t n_exporters;
};
#define FT_NETFLOW_DEFAULT_MAX_EXPORTERS 4096
#define FT_NETFLOW_DEFAULT_MAX_TEMPLATES 1024
#define FT_NETFLOW_DEFAULT_PENDING_SETS 512
#define FT_NETFLOW_DEFAULT_PENDING_BYTES (1u << 20)
#define FT_NETFLOW_DEFAULT_MEMORY_BUDGET (256ull << 20)
#define FT_NETFLOW_DEFAULT_TEMPLATE_FIELDS 512
#define FT_NETFLOW_DEFAULT_TEMPLATE_BYTES (4u << 20)
#define FT_NETFLOW_DEFAULT_IDLE_TIMEOUT 7200       /* the configuration's default */
#define FT_NETFLOW_DEFAULT_PER_ADDRESS 256         /* the configuration's default */
/* 2^50 bytes (1 PiB) is ten days of a 10 Gb/s link at line rate, longer than any flow
 * lives in an exporter's cache; a packet is at least a byte. */
#define FT_NETFLOW_DEFAULT_MAX_FLOW_BYTES (UINT64_C(1) << 50)
#define FT_NETFLOW_DEFAULT_MAX_FLOW_PACKETS (UINT64_C(1) << 50)

struct ft_netflow *ft_netflow_new(const struct ft_netflow_conf *opts);
struct ft_netflow *ft_netflow_free(struct ft_netflow *nf);
/* Makes nf count its state against with's memory budget from now on (what it holds
 * moves over), so that the decoders of several receive threads share one budget; the
 * budget lives until the last decoder sharing it is freed.  Call from one thread
 * before either decodes; afterwards each thread may use its own decoder. */
void ft_netflow_share_budget(struct ft_netflow *nf, const struct ft_netflow *with);

/* Makes ft_netflow_load() skip the saved exporters another of n receive threads
 * receives: the listeners steer an exporter to thread (the last 32 bits of its address)
 * mod n (collector/net), so each thread holds only its own exporters' templates and
 * the shared budget is not spent twice.  n < 2: load all (the default). */
void ft_netflow_set_shard(struct ft_netflow *nf, unsigned index, unsigned n);

/* What the memory budget holds: bytes in use and allowed, and how many times state
 * was refused for it (templates, exporters, kept sets, options entries). */
struct ft_netflow_memory {
	uint64_t used;
	uint64_t limit;
	uint64_t refused;
};
void ft_netflow_memory(const struct ft_netflow *nf, struct ft_netflow_memory *ret);

/* Decodes one datagram (NetFlow v5, v9 or IPFIX) and appends its flow records to out.
 * Returns the number of records it decoded (data and options records; data sets
 * decoded late, when their template comes, count with the datagram that brought the
 * template), or -(enum ft_nf_error) when the whole datagram was dropped.
 * Either way it is counted.  Problems with single sets are counted and skipped; the
 * datagram's other sets are kept.  So are single data records refused for their
 * counters or times (implausible_counter, time_out_of_range): counted there, and in
 * neither the return value nor `records`, `bytes` or `packets`.  Data sets whose template is not known yet are kept
 * and decoded into out when it arrives. */
int ft_netflow_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out);

/* Counts every data set still waiting for its template as no_template and drops it
 * (at exit). */
void ft_netflow_drop_pending(struct ft_netflow *nf);

/* Templates and options data survive restarts: ft_netflow_save() writes them to path
 * (atomically, in a compact binary format with a checksum: persist.c), ft_netflow_load()
 * reads them back, from that format or the JSON flowtally wrote before; templates an
 * exporter sends again replace the loaded ones.  Save: 0 or negative errno.  Load logs
 * nothing: 0, every entry used; -ENOENT, no file; -EINVAL, a file that cannot be read
 * or is not what flowtally writes (a binary file whose checksum fails is not used at
 * all; otherwise the entries that are valid are used all the same); -ENOSPC, a valid
 * file some of whose entries the caps or the memory budget refused.  On -EINVAL and
 * -ENOSPC, why (why_size bytes, NULL for none) says what: "line 3, column 7: ..." for
 * JSON that does not parse, the checksum, or how many entries, and the first one's
 * reason. */
int ft_netflow_save(struct ft_netflow *nf, const char *path);
int ft_netflow_load(struct ft_netflow *nf, const char *path, int64_t now_ns, char *why, size_t why_size);
/* Writes nf's templates and options data to out as JSON (the format 1 layout, for
 * people: `flowtally status --templates`), exporters by address, version and domain,
 * templates by ID.  0 or -ENOMEM, -EIO. */
int ft_netflow_dump_json(const struct ft_netflow *nf, FILE *out);
/* True when templates or options changed since the last save. */
bool ft_netflow_dirty(const struct ft_netflow *nf);

/* Copies up to cap exporter entries into ret; returns how many there are in all. */
size_t ft_netflow_exporters(const struct ft_netflow *nf, struct ft_exporter_stats *ret, size_t cap);

/* Sum over all exporters; key is zeroed. */
void ft_netflow_totals(const struct ft_netflow *nf, struct ft_exporter_stats *ret);
/* Adds src's counters into dst (keys are left alone). */
void ft_exporter_stats_add(struct ft_exporter_stats *dst, const struct ft_exporter_stats *src);

#endif
