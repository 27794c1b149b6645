/* The memory budget: every byte of state an exporter can make the decoder hold.
 *
 * A peer can grow the exporter table, its templates (whose compiled plans cost more
 * than their bytes on the wire), its options data and its kept data sets; each cap
 * alone multiplies with the others into gigabytes.  So every such allocation is
 * counted here in bytes, what was asked of malloc() plus its overhead, against one
 * limit shared by all receive threads (an atomic counter: no lock on the decode path,
 * and one thread's flood leaves no more room to another thread than a budget split per
 * thread would, while an idle thread's share is not wasted).  When an allocation would
 * pass the limit it is refused and counted; the state already held keeps decoding.
 * Each exporter entry knows what it holds (mem), so that dropping it gives all of it
 * back; the decoder knows what it holds in all, so that freeing it does the same.
 */
#include <stdlib.h>

#include "netflow_int.h"

struct ft_nf_budget *ft_budget_new(uint64_t limit)
{
	struct ft_nf_budget *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->limit = limit;
	atomic_init(&b->refs, 1);
	return b;
}

void ft_budget_unref(struct ft_nf_budget *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

bool ft_mem_take(struct ft_netflow *nf, struct exporter *e, size_t bytes)
{
	struct ft_nf_budget *b = nf->budget;
	uint64_t before = atomic_fetch_add_explicit(&b->used, bytes, memory_order_relaxed);
	if (before + bytes > b->limit) {
		atomic_fetch_sub_explicit(&b->used, bytes, memory_order_relaxed);
		atomic_fetch_add_explicit(&b->refused, 1, memory_order_relaxed);
		return false;
	}
	nf->mem += bytes;
	if (e)
		e->mem += bytes;
	return true;
}

bool ft_mem_fits(const struct ft_netflow *nf, size_t bytes)
{
	struct ft_nf_budget *b = nf->budget;
	if (atomic_load_explicit(&b->used, memory_order_relaxed) + bytes <= b->limit)
		return true;
	atomic_fetch_add_explicit(&b->refused, 1, memory_order_relaxed);
	return false;
}

void ft_mem_give(struct ft_netflow *nf, struct exporter *e, size_t bytes)
{
	atomic_fetch_sub_explicit(&nf->budget->used, bytes, memory_order_relaxed);
	nf->mem -= bytes;
	if (e)
		e->mem -= bytes;
}

size_t ft_tpl_mem(const struct ft_template *t)
{
	size_t n = t->n_fields;
	size_t m = n * sizeof(*t->fields) + n * sizeof(*t->ops) + 2 * FT_MALLOC_OVERHEAD;
	if (t->plan)
		m += n * sizeof(*t->plan) + FT_MALLOC_OVERHEAD;
	return m;
}

void ft_netflow_share_budget(struct ft_netflow *nf, const struct ft_netflow *with)
{
	if (nf->budget == with->budget)
		return;
	atomic_fetch_sub(&nf->budget->used, nf->mem);
	ft_budget_unref(nf->budget);
	nf->budget = with->budget;
	atomic_fetch_add(&nf->budget->refs, 1);
	atomic_fetch_add(&nf->budget->used, nf->mem);   /* held already: never refused */
}

void ft_netflow_memory(const struct ft_netflow *nf, struct ft_netflow_memory *ret)
{
	*ret = (struct ft_netflow_memory){
		.used = atomic_load_explicit(&nf->budget->used, memory_order_relaxed),
		.limit = nf->budget->limit,
		.refused = atomic_load_explicit(&nf->budget->refused, memory_order_relaxed),
	};
}

void ft_netflow_set_shard(struct ft_netflow *nf, unsigned index, unsigned n)
{
	nf->shard = index;
	nf->shards = n;
}
