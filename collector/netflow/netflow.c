/* Datagram dispatch and per-exporter accounting.
 *
 * struct ft_netflow owns an open-addressing hash table of exporters keyed by
 * (address, version, domain).  Every datagram is counted against exactly one entry:
 * the exporter named by its header, or, when the header is unreadable, the
 * (address, version 0) entry.  The table grows by doubling up to max_exporters entries;
 * past that, datagrams from new exporters are dropped and counted in `overflow`.
 *
 * Sequence numbers (NetFlow v5 flow_sequence counts records) turn into a loss estimate:
 * a forward jump adds the gap to lost_records; a small backward jump is a reordered
 * datagram, which gives back what its early successor had counted as lost; a backward
 * jump with sysUptime going back by more than a minute is an exporter restart, which
 * resets tracking.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/netflow.h"
#include "flowtally/nf5.h"
#include "wire.h"

/* How far behind the expected sequence a datagram may arrive and still count as
 * reordered rather than as an exporter restart, in records. */
#define REORDER_WINDOW 65536u
/* sysUptime going back by more than this (ms) means the exporter restarted. */
#define RESTART_UPTIME_MS 60000u

struct exporter {
	struct ft_exporter_stats s;
	bool used;
	bool seq_valid;
	uint32_t next_seq;
	uint32_t last_uptime;
};

struct ft_netflow {
	struct exporter *tab;
	size_t size;          /* power of two */
	size_t used;
	size_t max;
	struct exporter *last;
	struct ft_exporter_stats overflow;
};

static const char *const error_names[FT_NF_ERR__MAX] = {
	[FT_NF_OK] = "ok",
	[FT_NF_ERR_SHORT_HEADER] = "short_header",
	[FT_NF_ERR_VERSION] = "bad_version",
	[FT_NF_ERR_COUNT] = "bad_count",
	[FT_NF_ERR_LENGTH] = "bad_length",
	[FT_NF_ERR_EXPORTER_LIMIT] = "exporter_limit",
};

const char *ft_nf_error_name(enum ft_nf_error e)
{
	if ((unsigned)e >= FT_NF_ERR__MAX)
		return "unknown";
	return error_names[e];
}

struct ft_netflow *ft_netflow_new(const struct ft_netflow_opts *opts)
{
	struct ft_netflow *nf = calloc(1, sizeof(*nf));
	if (!nf)
		return NULL;
	nf->max = opts && opts->max_exporters ? opts->max_exporters : FT_NETFLOW_DEFAULT_MAX_EXPORTERS;
	nf->size = 64;
	nf->tab = calloc(nf->size, sizeof(*nf->tab));
	if (!nf->tab) {
		free(nf);
		return NULL;
	}
	return nf;
}

struct ft_netflow *ft_netflow_free(struct ft_netflow *nf)
{
	if (nf) {
		free(nf->tab);
		free(nf);
	}
	return NULL;
}

static uint64_t key_hash(const struct ft_exporter_key *k)
{
	uint64_t a, b;
	memcpy(&a, k->addr.b, 8);
	memcpy(&b, k->addr.b + 8, 8);
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ b;
	h ^= ((uint64_t)k->domain << 8 | k->version) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

static bool key_equal(const struct ft_exporter_key *a, const struct ft_exporter_key *b)
{
	return a->domain == b->domain && a->version == b->version &&
	       ft_addr_equal(&a->addr, &b->addr);
}

static struct exporter *probe(struct exporter *tab, size_t size, const struct ft_exporter_key *k)
{
	size_t i = key_hash(k) & (size - 1);
	while (tab[i].used && !key_equal(&tab[i].s.key, k))
		i = (i + 1) & (size - 1);
	return &tab[i];
}

static int grow(struct ft_netflow *nf)
{
	size_t nsize = nf->size * 2;
	struct exporter *ntab = calloc(nsize, sizeof(*ntab));
	if (!ntab)
		return -ENOMEM;
	for (size_t i = 0; i < nf->size; i++)
		if (nf->tab[i].used)
			*probe(ntab, nsize, &nf->tab[i].s.key) = nf->tab[i];
	free(nf->tab);
	nf->tab = ntab;
	nf->size = nsize;
	nf->last = NULL;
	return 0;
}

/* The entry for key, created on first sight; NULL when the table is at its cap. */
static struct exporter *lookup(struct ft_netflow *nf, const struct ft_exporter_key *k, int64_t now)
{
	if (nf->last && key_equal(&nf->last->s.key, k))
		return nf->last;
	struct exporter *e = probe(nf->tab, nf->size, k);
	if (!e->used) {
		if (nf->used >= nf->max)
			return NULL;
		if ((nf->used + 1) * 2 > nf->size) {
			if (grow(nf) < 0)
				return NULL;
			e = probe(nf->tab, nf->size, k);
		}
		*e = (struct exporter){ .used = true, .s = { .key = *k, .first_seen_ns = now } };
		nf->used++;
	}
	nf->last = e;
	return e;
}

static void track_v5_sequence(struct exporter *e, const struct ft_nf5_header *h)
{
	uint32_t seq = h->flow_sequence;
	/* A late datagram carries a slightly older sysUptime; a restarted exporter's clock
	 * went back by more than any datagram stays in flight. */
	bool uptime_back = h->sys_uptime_ms < e->last_uptime &&
	                   e->last_uptime - h->sys_uptime_ms > RESTART_UPTIME_MS;

	if (e->seq_valid && seq != e->next_seq) {
		uint32_t ahead = seq - e->next_seq;
		uint32_t behind = e->next_seq - seq;
		if (ahead < 0x80000000u && !uptime_back) {
			e->s.lost_records += ahead;
		} else if (behind <= REORDER_WINDOW && !uptime_back) {
			/* A late datagram: its records were counted lost when its successor came. */
			e->s.reordered++;
			e->s.lost_records -= e->s.lost_records < h->count ? e->s.lost_records : h->count;
			return;
		} else {
			e->s.seq_resets++;
		}
	}
	e->seq_valid = true;
	e->next_seq = seq + h->count;
	e->last_uptime = h->sys_uptime_ms;
}

static void count_error(struct exporter *e, int err)
{
	e->s.errors[-err]++;
}

static int input_v5(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out)
{
	struct ft_nf5_header h;
	struct ft_flow *flows = out->flows + out->n;
	int n = ft_nf5_decode(dg->data, dg->len, &dg->src, &h, flows);
	if (n == -FT_NF_ERR_SHORT_HEADER)
		return n;
	struct ft_exporter_key k = { .addr = dg->src, .version = 5,
	                             .domain = (uint32_t)h.engine_type << 8 | h.engine_id };
	struct exporter *e = lookup(nf, &k, dg->recv_ns);
	if (!e) {
		nf->overflow.datagrams++;
		nf->overflow.errors[FT_NF_ERR_EXPORTER_LIMIT]++;
		return -FT_NF_ERR_EXPORTER_LIMIT;
	}
	e->s.datagrams++;
	e->s.last_seen_ns = dg->recv_ns;
	if (n < 0) {
		count_error(e, n);
		return n;
	}
	track_v5_sequence(e, &h);
	e->s.sampling_rate = h.sampling_interval ? h.sampling_interval : 1;
	e->s.sampling_mode = h.sampling_mode;
	uint64_t bytes = 0, packets = 0;
	for (int i = 0; i < n; i++) {
		bytes += flows[i].bytes;
		packets += flows[i].packets;
	}
	e->s.records += (uint64_t)n;
	e->s.bytes += bytes;
	e->s.packets += packets;
	out->n += (size_t)n;
	return n;
}

/* A datagram whose header could not be read is counted against (address, version 0). */
static int drop_unreadable(struct ft_netflow *nf, const struct ft_datagram *dg, int err)
{
	struct ft_exporter_key k = { .addr = dg->src };
	struct exporter *e = lookup(nf, &k, dg->recv_ns);
	if (!e) {
		nf->overflow.datagrams++;
		nf->overflow.errors[FT_NF_ERR_EXPORTER_LIMIT]++;
		return -FT_NF_ERR_EXPORTER_LIMIT;
	}
	e->s.datagrams++;
	e->s.last_seen_ns = dg->recv_ns;
	count_error(e, err);
	return err;
}

int ft_netflow_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out)
{
	int r;

	if (dg->len < 2)
		return drop_unreadable(nf, dg, -FT_NF_ERR_SHORT_HEADER);
	switch (rd16(dg->data)) {
	case 5:
		r = input_v5(nf, dg, out);
		break;
	default:
		r = -FT_NF_ERR_VERSION;
		break;
	}
	if (r == -FT_NF_ERR_SHORT_HEADER || r == -FT_NF_ERR_VERSION)
		return drop_unreadable(nf, dg, r);
	return r;
}

size_t ft_netflow_exporters(const struct ft_netflow *nf, struct ft_exporter_stats *ret, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < nf->size; i++) {
		if (!nf->tab[i].used)
			continue;
		if (n < cap)
			ret[n] = nf->tab[i].s;
		n++;
	}
	return n;
}

void ft_exporter_stats_add(struct ft_exporter_stats *dst, const struct ft_exporter_stats *src)
{
	dst->datagrams += src->datagrams;
	dst->records += src->records;
	dst->bytes += src->bytes;
	dst->packets += src->packets;
	dst->lost_records += src->lost_records;
	dst->seq_resets += src->seq_resets;
	dst->reordered += src->reordered;
	for (int i = 0; i < FT_NF_ERR__MAX; i++)
		dst->errors[i] += src->errors[i];
	if (src->first_seen_ns && (!dst->first_seen_ns || src->first_seen_ns < dst->first_seen_ns))
		dst->first_seen_ns = src->first_seen_ns;
	if (src->last_seen_ns > dst->last_seen_ns) {
		dst->last_seen_ns = src->last_seen_ns;
		dst->sampling_rate = src->sampling_rate;
		dst->sampling_mode = src->sampling_mode;
	}
}

void ft_netflow_totals(const struct ft_netflow *nf, struct ft_exporter_stats *ret)
{
	struct ft_exporter_stats t = { 0 };
	for (size_t i = 0; i < nf->size; i++)
		if (nf->tab[i].used)
			ft_exporter_stats_add(&t, &nf->tab[i].s);
	ft_exporter_stats_add(&t, &nf->overflow);
	memset(&t.key, 0, sizeof(t.key));
	*ret = t;
}
