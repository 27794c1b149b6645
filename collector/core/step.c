/* Closed steps (step.h): the cell order, the attribution contract checked, copies and
 * merges.  Everything a sink or an offline tool needs of a step, with nothing of the
 * aggregation that made it. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/step.h"

static void add(struct ft_volume *a, const struct ft_volume *b)
{
	a->bytes += b->bytes;
	a->packets += b->packets;
	a->flows += b->flows;
}

static int same(const struct ft_volume *a, const struct ft_volume *b)
{
	return a->bytes == b->bytes && a->packets == b->packets && a->flows == b->flows;
}

int ft_step_cell_cmp(const void *x, const void *y)
{
	const struct ft_step_cell *a = x, *b = y;
	int c = strcmp(a->tenant, b->tenant);
	if (c)
		return c;
	if (a->direction != b->direction)
		return a->direction < b->direction ? -1 : 1;
	return strcmp(a->class_, b->class_);
}

int ft_step_check(const struct ft_step *s)
{
	/* Sums that wrap could agree modulo 2^64 (two cells of 2^63 and a total of 0):
	 * a sum past 2^64 - 1 fails the contract. */
	struct ft_volume out = s->unattributed_src, in = s->unattributed_dst;
	for (size_t i = 0; i < s->n_cells; i++)
		if (!ft_volume_add_checked(s->cells[i].direction == FT_DIR_OUT ? &out : &in, &s->cells[i].v))
			return -EBADMSG;
	return same(&out, &s->total) && same(&in, &s->total) ? 0 : -EBADMSG;
}

void ft_step_sort(struct ft_step *s)
{
	size_t w = 0;
	if (s->n_cells)
		qsort(s->cells, s->n_cells, sizeof(*s->cells), ft_step_cell_cmp);
	for (size_t i = 0; i < s->n_cells; i++) {
		if (w && ft_step_cell_cmp(&s->cells[w - 1], &s->cells[i]) == 0)
			add(&s->cells[w - 1].v, &s->cells[i].v);
		else
			s->cells[w++] = s->cells[i];
	}
	s->n_cells = w;
}

void ft_step_done(struct ft_step *s)
{
	free(s->cells);
	s->cells = NULL;
	s->n_cells = 0;
}

int ft_step_copy(const struct ft_step *src, struct ft_step *ret)
{
	struct ft_step_cell *c = malloc((src->n_cells + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (src->n_cells)
		memcpy(c, src->cells, src->n_cells * sizeof(*c));
	*ret = *src;
	ret->cells = c;
	return 0;
}

int ft_step_merge(struct ft_step *dst, const struct ft_step *src)
{
	/* Cells are within their step's total (the contract): once the sums fit, so do
	 * the cells merged by name. */
	for (int i = 0; i < 5; i++) {
		static const size_t off[] = { offsetof(struct ft_step, total),
		                              offsetof(struct ft_step, unattributed_src),
		                              offsetof(struct ft_step, unattributed_dst),
		                              offsetof(struct ft_step, late),
		                              offsetof(struct ft_step, not_accounted) };
		struct ft_volume v = *(const struct ft_volume *)((const char *)dst + off[i]);
		if (!ft_volume_add_checked(&v, (const struct ft_volume *)((const char *)src + off[i])))
			return -EOVERFLOW;
	}
	struct ft_step_cell *c = realloc(dst->cells, (dst->n_cells + src->n_cells + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (src->n_cells)
		memcpy(c + dst->n_cells, src->cells, src->n_cells * sizeof(*c));
	dst->cells = c;
	dst->n_cells += src->n_cells;
	ft_step_sort(dst);
	add(&dst->total, &src->total);
	add(&dst->unattributed_src, &src->unattributed_src);
	add(&dst->unattributed_dst, &src->unattributed_dst);
	add(&dst->late, &src->late);
	add(&dst->not_accounted, &src->not_accounted);
	return 0;
}
