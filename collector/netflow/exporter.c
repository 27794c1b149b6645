/* Exporters: the table of everything flowtally knows per (address, version, domain).
 *
 * The table is open addressing by a hash of the key, grown by doubling at half full
 * up to max_exporters and as the memory budget allows, and the entry last looked up
 * is tried first.  Each entry holds
 * its statistics, its sequence state (seq.c), the settings of the first configured
 * prefix that contains its address, and tables of its own: its templates
 * (tpl_table.c), what its options data said (options.c) and its data sets waiting for
 * a template (pending.c).  Everything an exporter can make grow has a cap and a
 * counter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
		return;
	}
}

struct exporter *ft_exporter_get(struct ft_netflow *nf, const struct ft_exporter_key *k, int64_t now)
{
	if (nf->last && key_equal(&nf->last->s.key, k))
		return nf->last;
	struct exporter *e = probe(nf->tab, nf->size, k);
	if (!e->used) {
		if (nf->used >= nf->o.max_exporters)
			return NULL;
		if ((nf->used + 1) * 2 > nf->size) {
			if (grow(nf) < 0)
				return NULL;
			e = probe(nf->tab, nf->size, k);
		}
		*e = (struct exporter){ .used = true, .s = { .key = *k, .first_seen_ns = now } };
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
		return NULL;
	}
	e->s.datagrams++;
	e->s.last_seen_ns = dg->recv_ns;
	return e;
}

void ft_exporter_release(struct exporter *e)
{
	ft_tpl_table_done(&e->tpls);
	ft_pending_done(&e->pend);
	ft_options_done(&e->opt);
}
