/* Data sets that arrived before their template.
 *
 * Each exporter keeps copies in a FIFO array, oldest first, capped at max_pending_sets
 * sets and max_pending_bytes bytes; to make room the oldest is dropped, counted as
 * no_template.  Copies and the array count against the memory budget: a set it has no
 * room for is not kept, counted as memory_budget.  A copy keeps the header times of the message that brought it, so when
 * a template with its ID arrives it is decoded as it would have been then, and its
 * records count with the datagram that brought the template.
 */
#include <stdlib.h>
#include <string.h>

#include "netflow_int.h"

/* What a kept copy of len bytes holds against the budget (its slot in the array is
 * counted with the array). */
static size_t copy_mem(size_t len)
{
	return (len ? len : 1) + FT_MALLOC_OVERHEAD;
}

static void pending_drop_oldest(struct ft_netflow *nf, struct exporter *e)
{
	struct pending *p = &e->pend;
	ft_mem_give(nf, e, copy_mem(p->sets[0].len));
	p->bytes -= p->sets[0].len;
	free(p->sets[0].data);
	memmove(p->sets, p->sets + 1, (p->n - 1) * sizeof(*p->sets));
	p->n--;
	e->s.errors[FT_NF_ERR_NO_TEMPLATE]++;
}

/* A set that could not be kept for want of memory is lost, and counted so. */
static int lost(struct exporter *e)
{
	e->s.errors[FT_NF_ERR_NOMEM]++;
	return -FT_NF_ERR_NOMEM;
}

/* A set the memory budget has no room for is lost, and counted so. */
static int refused(struct exporter *e)
{
	e->s.errors[FT_NF_ERR_MEMORY_BUDGET]++;
	return -FT_NF_ERR_MEMORY_BUDGET;
}

int ft_pending_add(const struct ft_msg *m, uint16_t tid, const uint8_t *data, size_t len)
{
	struct ft_netflow *nf = m->nf;
	struct exporter *e = m->e;
	struct pending *p = &e->pend;
	if (nf->o.max_pending_sets == 0 || len > nf->o.max_pending_bytes) {
		e->s.errors[FT_NF_ERR_NO_TEMPLATE]++;
		return -FT_NF_ERR_NO_TEMPLATE;
	}
	while (p->n && (p->n >= nf->o.max_pending_sets || p->bytes + len > nf->o.max_pending_bytes))
		pending_drop_oldest(nf, e);
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 8;
		size_t more = (cap - p->cap) * sizeof(*p->sets) + (p->cap ? 0 : FT_MALLOC_OVERHEAD);
		if (!ft_mem_take(nf, e, more))
			return refused(e);
		struct pending_set *s = realloc(p->sets, cap * sizeof(*s));
		if (!s) {
			ft_mem_give(nf, e, more);
			return lost(e);
		}
		p->sets = s;
		p->cap = cap;
	}
	if (!ft_mem_take(nf, e, copy_mem(len)))
		return refused(e);
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy) {
		ft_mem_give(nf, e, copy_mem(len));
		return lost(e);
	}
	memcpy(copy, data, len);
	p->sets[p->n++] = (struct pending_set){ copy, (uint32_t)len, tid, m->uptime, m->export_ms, m->recv_ns };
	p->bytes += len;
	e->s.pending_sets = p->n;
	return 0;
}

void ft_pending_replay(struct ft_msg *m, const struct ft_template *t)
{
	struct exporter *e = m->e;
	struct pending *p = &e->pend;
	uint32_t keep = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		struct pending_set *s = &p->sets[i];
		if (s->tid != t->id) {
			p->sets[keep++] = *s;
			continue;
		}
		/* Decoded under the header times of the message that brought it. */
		struct ft_msg late = { .nf = m->nf, .e = e, .version = e->s.key.version,
		                       .uptime = s->uptime, .export_ms = s->export_ms,
		                       .recv_ns = s->recv_ns, .out = m->out };
		m->late_records += ft_data_set(&late, t, s->data, s->len);
		e->s.pending_decoded++;
		ft_mem_give(m->nf, e, copy_mem(s->len));
		p->bytes -= s->len;
		free(s->data);
	}
	p->n = keep;
	e->s.pending_sets = keep;
}

void ft_netflow_drop_pending(struct ft_netflow *nf)
{
	for (size_t i = 0; i < nf->size; i++) {
		struct exporter *e = &nf->tab[i];
		if (!e->used)
			continue;
		e->s.errors[FT_NF_ERR_NO_TEMPLATE] += e->pend.n;
		ft_mem_give(nf, e, ft_pending_mem(&e->pend));
		ft_pending_done(&e->pend);
		e->s.pending_sets = 0;
	}
}

size_t ft_pending_mem(const struct pending *p)
{
	size_t m = p->cap ? p->cap * sizeof(*p->sets) + FT_MALLOC_OVERHEAD : 0;
	for (uint32_t i = 0; i < p->n; i++)
		m += copy_mem(p->sets[i].len);
	return m;
}

void ft_pending_done(struct pending *p)
{
	for (uint32_t i = 0; i < p->n; i++)
		free(p->sets[i].data);
	free(p->sets);
	memset(p, 0, sizeof(*p));
}
