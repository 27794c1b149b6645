/* NetFlow input internals shared by the files of collector/netflow/; tests use them too.
 *
 * netflow.c dispatches each datagram to its format: nf5.c, nf9.c or ipfix.c.  The two
 * template formats share the set walk (sets.c), which turns data sets into flows
 * (records.c) or keeps them until their template comes (pending.c).  Beneath them lies
 * the state per exporter: the exporter table (exporter.c) and each entry's templates
 * (tpl_table.c), options data (options.c) and sequence numbers (seq.c); persist.c saves
 * and loads templates and options.  Nothing below a format names one: the set walk
 * reaches a format's template sets only through the callback it is given. */
#ifndef FT_NETFLOW_INT_H
#define FT_NETFLOW_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/log.h"
#include "flowtally/netflow.h"
#include "template.h"

/* Templates of one exporter (address, version, domain): open addressing by ID
 * (tpl_table.c). */
struct tpl_table {
	struct ft_template *slot;     /* size entries; id 0 = empty (real IDs are >= 256) */
	uint32_t size;
	uint32_t used;
	struct ft_template *last;     /* the last one looked up */
};

struct sampler {
	uint32_t id;
	uint32_t rate;
};

struct ifname {
	uint32_t ifindex;
	char name[64];
	char desc[128];
};

/* What options data taught us about one exporter/domain (options.c). */
struct options {
	uint32_t default_rate;        /* from samplingInterval / packet interval+space; 0 unknown */
	struct sampler *samplers;     /* samplerId (48) -> rate */
	uint32_t n_samplers;
	struct sampler *selectors;    /* selectorId (302) -> rate */
	uint32_t n_selectors;
	struct ifname *ifnames;
	uint32_t n_ifnames;
	int64_t init_ms;              /* systemInitTimeMilliseconds; 0 unknown */
};

/* A data set that arrived before its template, kept for later (pending.c) with what
 * rebuilds its message context then. */
struct pending_set {
	uint8_t *data;                /* the set's records (after the set header) */
	uint32_t len;
	uint16_t tid;
	uint32_t uptime;              /* v9 header sysUptime */
	int64_t export_ms;
	int64_t recv_ns;
};

struct pending {
	struct pending_set *sets;     /* FIFO, oldest first */
	uint32_t n;
	uint32_t cap;
	size_t bytes;
};

/* One entry of the exporter table (exporter.c). */
struct exporter {
	struct ft_exporter_stats s;
	struct ft_log_rl log_rl;      /* notices about this exporter */
	bool used;
	bool seq_valid;
	uint32_t next_seq;
	uint32_t last_uptime;
	uint32_t conf_default_rate;   /* from the configuration; 0 none */
	uint32_t conf_override_rate;
	bool count_totals;
	bool v9_varlen;               /* v9 field length 65535 read as variable length */
	struct tpl_table tpls;
	struct options opt;
	struct pending pend;
	size_t mem;                   /* bytes it holds against the budget (budget.c) */
	size_t tpl_mem;               /* of which its templates: slots, fields and plans */
	int64_t alive_ns;             /* its last datagram, or when it was made or loaded */
};

/* The memory budget (budget.c): one per set of decoders that share it, each receive
 * thread's decoder adding what it holds to `used` with atomic operations, so that
 * the budget is global and no lock sits on the decode path. */
struct ft_nf_budget {
	_Atomic uint64_t used;
	_Atomic uint64_t refused;
	_Atomic unsigned refs;
	uint64_t limit;
};

struct ft_netflow {
	struct exporter *tab;
	size_t size;                  /* power of two */
	size_t used;
	struct exporter *last;
	struct ft_exporter_stats overflow;
	struct ft_exporter_stats retired; /* the counters of evicted entries, for the totals */
	int64_t next_sweep_ns;        /* when idle entries are looked for next */
	struct ft_addr full[8];       /* addresses last found at max_exporters_per_address */
	unsigned n_full, full_next;
	bool refused_address;         /* the last ft_exporter_get() refusal: the address cap */
	unsigned shard, shards;       /* loads only exporters whose address steers here
	                               * (ft_netflow_set_shard()); shards 0: all */
	struct ft_netflow_conf o;
	struct ft_exporter_conf *conf;
	size_t n_conf;
	bool templates_changed;       /* since the last save */
	struct ft_nf_budget *budget;  /* shared (ft_netflow_share_budget()) */
	size_t mem;                   /* bytes this decoder holds against it */
	struct ft_tpl_field *scratch; /* fields of the template being read: 16384 entries */
};
#define FT_SCRATCH_FIELDS 16384

/* One v9/IPFIX message being decoded, passed through the set walk, the format's
 * template sets, data sets and kept sets: whose it is, its header times (for turning
 * record times into UTC), where its flows go, and what came of it so far.  A kept data
 * set is decoded later under one rebuilt from its struct pending_set. */
struct ft_msg {
	struct ft_netflow *nf;
	struct exporter *e;
	uint8_t version;
	uint32_t uptime;              /* v9 header sysUptime */
	int64_t export_ms;
	int64_t recv_ns;
	struct ft_flow_batch *out;
	uint32_t records;             /* decoded from its own data sets (data and options) */
	uint32_t late_records;        /* decoded from kept sets its templates explained */
	bool pending;                 /* a data set was kept for its template */
	uint32_t tpl_records;         /* v9: template and options template records walked */
};

/* ---- budget.c: the memory budget ---- */

/* Bytes malloc() spends on one allocation beyond what it was asked for (glibc: a
 * 16-byte header and alignment): counted with every allocation state makes. */
#define FT_MALLOC_OVERHEAD 16
/* Takes bytes from the budget for state of e (NULL: the decoder's own, such as the
 * exporter table); false, counted in the budget's refusals, when they do not fit. */
bool ft_mem_take(struct ft_netflow *nf, struct exporter *e, size_t bytes);
/* Whether bytes more would fit now (taking nothing); false counted as ft_mem_take()'s.
 * For state refused before the work of making it. */
bool ft_mem_fits(const struct ft_netflow *nf, size_t bytes);
/* Gives bytes back (what ft_mem_take() took for e). */
void ft_mem_give(struct ft_netflow *nf, struct exporter *e, size_t bytes);
/* The bytes a compiled template holds outside its table slot: fields, ops and plan. */
size_t ft_tpl_mem(const struct ft_template *t);
/* A new budget of limit bytes (refs 1), or NULL. */
struct ft_nf_budget *ft_budget_new(uint64_t limit);
/* Drops a reference, freeing the budget with the last. */
void ft_budget_unref(struct ft_nf_budget *b);

/* ---- persist.c: saved templates, in memory (for ft_netflow_save/load and the fuzz
 * target) ---- */

/* The file ft_netflow_save() writes, into *ret (the caller frees it); 0 or -ENOMEM. */
int ft_netflow_save_mem(const struct ft_netflow *nf, uint8_t **ret, size_t *ret_len);
/* ft_netflow_load() of the len bytes at p. */
int ft_netflow_load_mem(struct ft_netflow *nf, const uint8_t *p, size_t len, int64_t now_ns,
                        char *why, size_t why_size);

/* Whether saved state of the exporter at addr is this decoder's to load. */
static inline bool ft_netflow_loads(const struct ft_netflow *nf, const struct ft_addr *addr)
{
	uint32_t low = (uint32_t)addr->b[12] << 24 | (uint32_t)addr->b[13] << 16 |
	               (uint32_t)addr->b[14] << 8 | addr->b[15];
	return nf->shards < 2 || low % nf->shards == nf->shard;
}

/* ---- batch.c: the output batch ---- */

/* Appends one flow, flushing the batch through its flush hook when full; NULL (counted
 * in b->overflow) when it stays full.  Its own file, below the formats and records.c
 * that append, so that none of them needs netflow.c (dispatch), which sits above. */
struct ft_flow *ft_batch_push(struct ft_flow_batch *b);

/* ---- nf5.c, nf9.c, ipfix.c: one datagram of each format ---- */

/* Decodes one datagram of the format, counted against the exporter its header names, and
 * as accepted there once its header, exporter entry and length have passed; returns
 * the records decoded (late ones included) or -(enum ft_nf_error), a SHORT_HEADER
 * uncounted, for the dispatcher to count. */
int ft_nf5_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out);
int ft_nf9_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out);
int ft_ipfix_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out);

/* ---- sets.c: the v9/IPFIX set walk ---- */

/* A format's template sets (v9 IDs 0 and 1, IPFIX 2 and 3): parses the set body p of
 * len bytes and returns true, or returns false when id is none of them. */
typedef bool (*ft_template_set_fn)(struct ft_msg *m, uint16_t id, const uint8_t *p, size_t len);
/* The sets of a v9 or IPFIX message from offset off of the len-byte message p (both
 * formats share the 4-byte set header, RFC 3954 §5.2 / RFC 7011 §3.3.2): template sets
 * through tpl, data sets (ID >= 256) decoded with their template when known and live,
 * else kept for later; other IDs are counted as errors, and a set length that cannot
 * be right ends the message.  Adds the records decoded (data and options) to
 * m->records; sets m->pending when a data set was kept. */
void ft_walk_sets(struct ft_msg *m, const uint8_t *p, size_t len, size_t off,
                  ft_template_set_fn tpl);
/* After template tid was defined: counts it and decodes the kept sets it explains. */
void ft_template_arrived(struct ft_msg *m, uint16_t tid);

/* ---- pending.c: data sets waiting for their template ---- */

/* Keeps a copy of data set tid (len bytes at p) with m's header times, dropping the
 * oldest kept sets to stay within the caps; 0, -FT_NF_ERR_NO_TEMPLATE when it can never
 * fit, -FT_NF_ERR_MEMORY_BUDGET or -FT_NF_ERR_NOMEM, each counted. */
int ft_pending_add(const struct ft_msg *m, uint16_t tid, const uint8_t *p, size_t len);
/* Decodes the kept sets of m's exporter that template t now explains, each under its own
 * message's header times, adding their records to m->late_records. */
void ft_pending_replay(struct ft_msg *m, const struct ft_template *t);
/* The bytes p holds against the budget. */
size_t ft_pending_mem(const struct pending *p);
/* Frees the kept sets (uncounted) and empties p. */
void ft_pending_done(struct pending *p);

/* ---- records.c: template records into flows ---- */

/* Whether flow f, received at recv_ms, may be handed on: FT_NF_OK, else why not:
 * FT_NF_ERR_IMPLAUSIBLE_COUNTER (bytes or packets times the sampling rate cannot be
 * represented or pass the configured bound) or FT_NF_ERR_TIME_RANGE (a time outside
 * the configured window around recv_ms, or an end more than an hour before boot_ms,
 * the exporter's boot by the header's sysUptime, INT64_MIN when the end does not count
 * from it). */
enum ft_nf_error ft_flow_check(const struct ft_netflow *nf, const struct ft_flow *f, int64_t recv_ms,
                               int64_t boot_ms);
/* Counts flow f refused for why against e: the reason, and its volume as exported. */
void ft_flow_refuse(struct exporter *e, const struct ft_flow *f, enum ft_nf_error why);
/* Data records e refused so far (the difference across a datagram: its refused ones). */
static inline uint64_t ft_refused_records(const struct exporter *e)
{
	return e->s.errors[FT_NF_ERR_IMPLAUSIBLE_COUNTER] + e->s.errors[FT_NF_ERR_TIME_RANGE];
}

/* Decodes the records of one data set (after its 4-byte header) with template t under
 * m's header times; appends flows to m->out (flushing when full).  Returns records
 * decoded. */
uint32_t ft_data_set(const struct ft_msg *m, const struct ft_template *t, const uint8_t *p,
                     size_t len);

/* ---- tpl_table.c: an exporter's templates ---- */

/* The template with ID id, or NULL. */
struct ft_template *ft_tpl_find(struct tpl_table *t, uint16_t id);
/* Adds or replaces a template; 0, -FT_NF_ERR_TEMPLATE_LIMIT, or -(ft_tpl_error mapped). */
int ft_exporter_define(struct ft_netflow *nf, struct exporter *e, uint16_t id,
                       const struct ft_tpl_field *f, uint16_t n, uint16_t scope, bool options,
                       int64_t now);
/* Withdraws one template (id), or all data (id 2) or options (id 3) templates. */
void ft_exporter_withdraw(struct ft_netflow *nf, struct exporter *e, uint16_t id);
/* Frees every template and empties t. */
void ft_tpl_table_done(struct tpl_table *t);

/* ---- options.c: what options data said ---- */

/* The sampling rate of data record r (1 when nothing says otherwise). */
uint32_t ft_exporter_rate(const struct exporter *e, const struct ft_rec *r);
/* Learns what options record r says (rates, interface names, init time), received at now. */
void ft_exporter_options(struct ft_netflow *nf, struct exporter *e, const struct ft_rec *r, int64_t now);
/* The bytes o's tables hold against the budget. */
size_t ft_options_mem(const struct options *o);
/* Frees o's tables. */
void ft_options_done(struct options *o);

/* ---- seq.c: sequence numbers ---- */

/* Tracks a sequence that advances by count per datagram: *lost grows by gaps, a late
 * datagram gives its count back, and a jump too far back or with uptime_back (the
 * exporter restarted) starts tracking afresh. */
void ft_seq_track(struct exporter *e, uint32_t seq, uint32_t count, bool uptime_back, uint64_t *lost);
/* Records sysUptime; true when it went back by more than any datagram stays in flight. */
bool ft_uptime_back(struct exporter *e, uint32_t uptime);

/* ---- exporter.c: the exporter table ---- */

/* The entry for k, created (first seen at now) when new; NULL at max_exporters or out
 * of memory. */
struct exporter *ft_exporter_get(struct ft_netflow *nf, const struct ft_exporter_key *k, int64_t now);
/* The exporter for a datagram's header, counting the datagram; NULL (counted) at the cap. */
struct exporter *ft_exporter_for(struct ft_netflow *nf, const struct ft_datagram *dg,
                                 uint8_t version, uint32_t domain);
/* Frees what the entry holds (its templates, options data and kept sets). */
void ft_exporter_release(struct exporter *e);

/* a + b, or 2^64 - 1 when that overflows. */
static inline uint64_t ft_sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Adds a flow's volume to its exporter's counters unless it is not accounted (inline:
 * once per flow on the decode path). */
static inline void ft_exporter_add_volume(struct exporter *e, const struct ft_flow *f)
{
	if (f->flags & FT_FLOW_NOT_ACCOUNTED)
		return;
	e->s.bytes += f->bytes;
	e->s.packets += f->packets;
}

#endif
