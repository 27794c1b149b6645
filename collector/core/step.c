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

/* Every point has a direction and carries at most the step's total (a record counts at
 * a point only with the whole of its part in the step's total). */
static bool points_within(const struct ft_step *s)
{
	for (size_t i = 0; i < s->n_points; i++) {
		const struct ft_step_point *p = &s->points[i];
		if ((p->direction != FT_DIR_OUT && p->direction != FT_DIR_IN) || p->v.bytes > s->total.bytes ||
		    p->v.packets > s->total.packets || p->v.flows > s->total.flows)
			return false;
	}
	return true;
}

int ft_step_check(const struct ft_step *s)
{
	if (!points_within(s))
		return -EBADMSG;
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

int ft_step_point_cmp(const void *x, const void *y)
{
	const struct ft_step_point *a = x, *b = y;
	int c = memcmp(a->exporter.b, b->exporter.b, sizeof(a->exporter.b));
	if (c)
		return c;
	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	return (a->direction > b->direction) - (a->direction < b->direction);
}

int ft_step_exporter_cmp(const void *x, const void *y)
{
	const struct ft_step_exporter *a = x, *b = y;
	int c = memcmp(a->exporter.b, b->exporter.b, sizeof(a->exporter.b));
	if (c)
		return c;
	return (a->domain > b->domain) - (a->domain < b->domain);
}

void ft_step_sort_points(struct ft_step *s)
{
	size_t w = 0;
	if (s->n_points)
		qsort(s->points, s->n_points, sizeof(*s->points), ft_step_point_cmp);
	for (size_t i = 0; i < s->n_points; i++) {
		if (w && ft_step_point_cmp(&s->points[w - 1], &s->points[i]) == 0)
			add(&s->points[w - 1].v, &s->points[i].v);
		else
			s->points[w++] = s->points[i];
	}
	s->n_points = w;
	w = 0;
	for (size_t i = 0; i < s->n_points; i++)
		if (s->points[i].v.bytes || s->points[i].v.packets || s->points[i].v.flows)
			s->points[w++] = s->points[i];
	s->n_points = w;
}

void ft_step_done(struct ft_step *s)
{
	free(s->cells);
	free(s->points);
	free(s->exporters);
	s->cells = NULL;
	s->n_cells = 0;
	s->points = NULL;
	s->n_points = 0;
	s->exporters = NULL;
	s->n_exporters = 0;
}

int ft_step_copy(const struct ft_step *src, struct ft_step *ret)
{
	struct ft_step_cell *c = malloc((src->n_cells + 1) * sizeof(*c));
	struct ft_step_point *p = malloc((src->n_points + 1) * sizeof(*p));
	struct ft_step_exporter *e = malloc((src->n_exporters + 1) * sizeof(*e));
	if (!c || !p || !e) {
		free(c), free(p), free(e);
		return -ENOMEM;
	}
	if (src->n_cells)
		memcpy(c, src->cells, src->n_cells * sizeof(*c));
	if (src->n_points)
		memcpy(p, src->points, src->n_points * sizeof(*p));
	if (src->n_exporters)
		memcpy(e, src->exporters, src->n_exporters * sizeof(*e));
	*ret = *src;
	ret->cells = c;
	ret->points = p;
	ret->exporters = e;
	return 0;
}

/* dst's exporters with src's added by key (sorted), into a new array: NULL on ENOMEM. */
static struct ft_step_exporter *merge_exporters(const struct ft_step *dst, const struct ft_step *src, size_t *ret_n)
{
	struct ft_step_exporter *v = malloc((dst->n_exporters + src->n_exporters + 1) * sizeof(*v));
	if (!v)
		return NULL;
	size_t n = 0, i = 0, j = 0;
	while (i < dst->n_exporters || j < src->n_exporters) {
		int c = i == dst->n_exporters ? 1 : j == src->n_exporters ? -1
		      : ft_step_exporter_cmp(&dst->exporters[i], &src->exporters[j]);
		if (c < 0) {
			v[n++] = dst->exporters[i++];
		} else if (c > 0) {
			v[n++] = src->exporters[j++];
		} else {
			struct ft_step_exporter x = dst->exporters[i++];
			const struct ft_step_exporter *y = &src->exporters[j++];
			x.datagrams += y->datagrams;
			x.records += y->records;
			x.seq_lost += y->seq_lost;
			x.no_template += y->no_template;
			x.parse_errors += y->parse_errors;
			x.sampling_changes += y->sampling_changes;
			x.sampling_rate = y->sampling_rate;
			v[n++] = x;
		}
	}
	*ret_n = n;
	return v;
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
	/* a point carries at most its step's total (ft_step_check), so it fits once the
	 * totals do: each is checked here all the same, being cheap */
	if (!points_within(dst) || !points_within(src))
		return -EOVERFLOW;
	size_t n_exp = 0;
	struct ft_step_exporter *e = merge_exporters(dst, src, &n_exp);
	struct ft_step_point *p = e ? realloc(dst->points, (dst->n_points + src->n_points + 1) * sizeof(*p)) : NULL;
	if (p)
		dst->points = p;
	struct ft_step_cell *c = p ? realloc(dst->cells, (dst->n_cells + src->n_cells + 1) * sizeof(*c)) : NULL;
	if (!c) {
		free(e);
		return -ENOMEM;
	}
	if (src->n_cells)
		memcpy(c + dst->n_cells, src->cells, src->n_cells * sizeof(*c));
	dst->cells = c;
	dst->n_cells += src->n_cells;
	ft_step_sort(dst);
	if (src->n_points)
		memcpy(p + dst->n_points, src->points, src->n_points * sizeof(*p));
	dst->n_points += src->n_points;
	ft_step_sort_points(dst);
	free(dst->exporters);
	dst->exporters = e;
	dst->n_exporters = n_exp;
	dst->kernel_drops += src->kernel_drops;
	dst->have_counters = dst->have_counters || src->have_counters;
	add(&dst->total, &src->total);
	add(&dst->unattributed_src, &src->unattributed_src);
	add(&dst->unattributed_dst, &src->unattributed_dst);
	add(&dst->late, &src->late);
	add(&dst->not_accounted, &src->not_accounted);
	return 0;
}
