/* Closed steps: the attribution contract, checked. */
#include <errno.h>
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
	struct ft_volume out = s->unattributed_src, in = s->unattributed_dst;
	for (size_t i = 0; i < s->n_cells; i++)
		add(s->cells[i].direction == FT_DIR_OUT ? &out : &in, &s->cells[i].v);
	return same(&out, &s->total) && same(&in, &s->total) ? 0 : -EBADMSG;
}

void ft_step_done(struct ft_step *s)
{
	free(s->cells);
	s->cells = NULL;
	s->n_cells = 0;
}
