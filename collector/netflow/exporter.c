/* Exporters: the table of everything flowtally knows per (address, version, domain).
 *
 * The table is open addressing by a hash of the key, grown by doubling at half full
 * up to max_exporters and as the memory budget allows, and the entry last looked up
 * is tried first.  Each entry holds its statistics, its sequence state (seq.c), the
 * settings of the first configured prefix that contains its address, and tables of its
 * own: its templates (tpl_table.c), what its options data said (options.c) and its
 * data sets waiting for a template (pending.c).  Everything an exporter can make grow
 * has a cap and a counter.
 *
 * No peer can lock others out: one address may hold at most max_exporters_per_address
 * entries (a flood of observation domains from it is refused and counted as
 * address_limit, within exporter_limit), and entries without a datagram for
 * exporter_idle_timeout are dropped (looked for when a new exporter arrives, at most
 * once a second of the datagrams' clock), their counters kept in the totals.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/clock.h"
#include "netflow_int.h"

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
	/* the new table, while the old one is still there; the old one's bytes go back */
	if (!ft_mem_take(nf, NULL, nsize * sizeof(struct exporter) + FT_MALLOC_OVERHEAD))
		return -ENOSPC;
	struct exporter *ntab = calloc(nsize, sizeof(*ntab));
	if (!ntab) {
		ft_mem_give(nf, NULL, nsize * sizeof(struct exporter) + FT_MALLOC_OVERHEAD);
		return -ENOMEM;
	}
	ft_mem_give(nf, NULL, nf->size * sizeof(struct exporter) + FT_MALLOC_OVERHEAD);
	for (size_t i = 0; i < nf->size; i++)
		if (nf->tab[i].used)
			*probe(ntab, nsize, &nf->tab[i].s.key) = nf->tab[i];
	free(nf->tab);
	nf->tab = ntab;
	nf->size = nsize;
	nf->last = NULL;
	return 0;
}

static void apply_conf(const struct ft_netflow *nf, struct exporter *e)
{
	for (size_t i = 0; i < nf->n_conf; i++) {
		const struct ft_exporter_conf *c = &nf->conf[i];
		if (!ft_prefix_contains(&c->match, &e->s.key.addr))
			continue;
		e->conf_default_rate = c->sampling_default;
		e->conf_override_rate = c->sampling_override;
		e->count_totals = c->count_totals;
		e->v9_varlen = c->v9_variable_length;
		return;
	}
}

/* Drops the entries idle since before `before`: their counters go to the retired
 * totals, their bytes back to the budget, and the table is rebuilt without them (open
 * addressing has no cheap removal; this runs at most once a second).  An entry's
 * templates go with it: exporters resend theirs, and with the default timeout, equal
 * to template_lifetime, they have expired by then anyway. */
static void sweep(struct ft_netflow *nf, int64_t before)
{
	size_t idle = 0;
	for (size_t i = 0; i < nf->size; i++)
		idle += nf->tab[i].used && nf->tab[i].alive_ns < before;
	if (!idle)
		return;
	struct exporter *ntab = calloc(nf->size, sizeof(*ntab));
	if (!ntab)
		return;                 /* tried again at the next sweep */
	for (size_t i = 0; i < nf->size; i++) {
		struct exporter *e = &nf->tab[i];
		if (!e->used)
			continue;
		if (e->alive_ns >= before) {
			*probe(ntab, nf->size, &e->s.key) = *e;
			continue;
		}
		struct ft_exporter_stats gone = e->s;
		gone.templates_active = 0;       /* what it holds now: nothing any more */
		gone.pending_sets = 0;
		gone.errors[FT_NF_ERR_NO_TEMPLATE] += e->pend.n;
		ft_exporter_stats_add(&nf->retired, &gone);
		nf->retired.evicted++;
		ft_mem_give(nf, e, e->mem);
		ft_exporter_release(e);
		nf->used--;
	}
	free(nf->tab);
	nf->tab = ntab;
	nf->last = NULL;
	nf->n_full = 0;
	nf->templates_changed = true;
}

/* Whether k's address may have one more entry; the addresses last found at the cap are
 * remembered, so that a flood of new domains from one of them costs no table scan. */
static bool address_has_room(struct ft_netflow *nf, const struct ft_exporter_key *k)
{
	uint32_t cap = nf->o.max_exporters_per_address, n = 0;
	if (!cap)
		return true;
	for (unsigned i = 0; i < nf->n_full; i++)
		if (ft_addr_equal(&nf->full[i], &k->addr))
			return false;
	for (size_t i = 0; i < nf->size && n < cap; i++)
		n += nf->tab[i].used && ft_addr_equal(&nf->tab[i].s.key.addr, &k->addr);
	if (n < cap)
		return true;
	if (nf->n_full < sizeof(nf->full) / sizeof(nf->full[0]))
		nf->full[nf->n_full++] = k->addr;
	else
		nf->full[nf->full_next++ % (sizeof(nf->full) / sizeof(nf->full[0]))] = k->addr;
	return false;
}

struct exporter *ft_exporter_get(struct ft_netflow *nf, const struct ft_exporter_key *k, int64_t now)
{
	if (nf->last && key_equal(&nf->last->s.key, k))
		return nf->last;
	struct exporter *e = probe(nf->tab, nf->size, k);
	if (!e->used && nf->o.exporter_idle_timeout && now >= nf->next_sweep_ns) {
		nf->next_sweep_ns = now + FT_NS_PER_SEC;
		sweep(nf, now - (int64_t)nf->o.exporter_idle_timeout * FT_NS_PER_SEC);
		e = probe(nf->tab, nf->size, k);
	}
	if (!e->used) {
		nf->refused_address = false;
		if (nf->used >= nf->o.max_exporters)
			return NULL;
		if (!address_has_room(nf, k)) {
			nf->refused_address = true;
			return NULL;
		}
		if ((nf->used + 1) * 2 > nf->size) {
			if (grow(nf) < 0)
				return NULL;
			e = probe(nf->tab, nf->size, k);
		}
		*e = (struct exporter){ .used = true, .s = { .key = *k, .first_seen_ns = now }, .alive_ns = now };
		apply_conf(nf, e);
		e->s.sampling_rate = e->conf_override_rate ? e->conf_override_rate :
		                     e->conf_default_rate ? e->conf_default_rate : 1;
		nf->used++;
	}
	nf->last = e;
	return e;
}

struct exporter *ft_exporter_for(struct ft_netflow *nf, const struct ft_datagram *dg,
                                 uint8_t version, uint32_t domain)
{
	struct ft_exporter_key k = { .addr = dg->src, .version = version, .domain = domain };
	struct exporter *e = ft_exporter_get(nf, &k, dg->recv_ns);
	if (!e) {
		nf->overflow.datagrams++;
		nf->overflow.errors[FT_NF_ERR_EXPORTER_LIMIT]++;
		nf->overflow.address_limit += nf->refused_address;
		return NULL;
	}
	e->s.datagrams++;
	e->s.last_seen_ns = dg->recv_ns;
	if (dg->recv_ns > e->alive_ns)
		e->alive_ns = dg->recv_ns;
	return e;
}

void ft_exporter_release(struct exporter *e)
{
	ft_tpl_table_done(&e->tpls);
	ft_pending_done(&e->pend);
	ft_options_done(&e->opt);
}

void ft_exporter_stats_add(struct ft_exporter_stats *dst, const struct ft_exporter_stats *src)
{
	dst->datagrams += src->datagrams;
	dst->accepted += src->accepted;
	dst->records += src->records;
	dst->bytes += src->bytes;
	dst->packets += src->packets;
	dst->lost_records += src->lost_records;
	dst->lost_datagrams += src->lost_datagrams;
	dst->seq_resets += src->seq_resets;
	dst->reordered += src->reordered;
	dst->address_limit += src->address_limit;
	dst->evicted += src->evicted;
	dst->option_records += src->option_records;
	dst->templates += src->templates;
	dst->templates_active += src->templates_active;
	dst->template_changes += src->template_changes;
	dst->templates_empty_fields += src->templates_empty_fields;
	dst->header_count_mismatch += src->header_count_mismatch;
	dst->withdrawals += src->withdrawals;
	dst->withdrawals_ignored += src->withdrawals_ignored;
	dst->refused_bytes = ft_sat_add(dst->refused_bytes, src->refused_bytes);
	dst->refused_packets = ft_sat_add(dst->refused_packets, src->refused_packets);
	dst->pending_sets += src->pending_sets;
	dst->pending_decoded += src->pending_decoded;
	dst->sampling_changes += src->sampling_changes;
	for (int i = 0; i < FT_NF_ERR__MAX; i++)
		dst->errors[i] += src->errors[i];
	if (src->first_seen_ns && (!dst->first_seen_ns || src->first_seen_ns < dst->first_seen_ns))
		dst->first_seen_ns = src->first_seen_ns;
	if (src->sampling_changed_ns > dst->sampling_changed_ns)
		dst->sampling_changed_ns = src->sampling_changed_ns;
	if (src->last_seen_ns > dst->last_seen_ns) {
		dst->last_seen_ns = src->last_seen_ns;
		dst->sampling_rate = src->sampling_rate;
		dst->sampling_mode = src->sampling_mode;
	}
}
