/* flowtally replay --by-tenant: the steps that the pipeline closed (attribution,
 * sampling correction and steps exactly as in flowtallyd) summed per tenant, direction
 * and class, and printed as one JSON object. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenant_report.h"

struct sums {
	struct ft_volume v[2];                  /* out, in */
	struct ft_volume (*cls)[2];             /* per class */
};

struct tenant_report {
	const struct ft_tenant_map *map;
	struct sums *tenants;                   /* per map tenant; [0] unused */
	size_t nt, nc;
	struct ft_volume unattr[2], total, late, not_accounted;
	unsigned long bad_steps;
};

struct tenant_report *tenant_report_new(const struct ft_tenant_map *m)
{
	struct tenant_report *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->map = m;
	t->nt = ft_tenant_map_n_tenants(m);
	t->nc = ft_tenant_map_n_classes(m);
	if (!(t->tenants = calloc(t->nt, sizeof(*t->tenants))))
		return tenant_report_free(t);
	for (size_t i = 0; i < t->nt; i++)
		if (!(t->tenants[i].cls = calloc(t->nc, sizeof(*t->tenants[i].cls))))
			return tenant_report_free(t);
	return t;
}

struct tenant_report *tenant_report_free(struct tenant_report *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; t->tenants && i < t->nt; i++)
		free(t->tenants[i].cls);
	free(t->tenants);
	free(t);
	return NULL;
}

unsigned long tenant_report_bad_steps(const struct tenant_report *t)
{
	return t->bad_steps;
}

static void vadd(struct ft_volume *a, const struct ft_volume *b)
{
	a->bytes += b->bytes;
	a->packets += b->packets;
	a->flows += b->flows;
}

static size_t tenant_index(const struct tenant_report *t, const char *name)
{
	for (size_t k = 1; k < t->nt; k++)
		if (strcmp(ft_tenant_map_tenant(t->map, (uint16_t)k)->name, name) == 0)
			return k;
	return SIZE_MAX;
}

static size_t class_index(const struct tenant_report *t, const char *name)
{
	for (size_t k = 0; k < t->nc; k++)
		if (strcmp(ft_tenant_map_class(t->map, (uint8_t)k), name) == 0)
			return k;
	return SIZE_MAX;
}

void tenant_report_step(struct ft_step *s, void *ctx)
{
	struct tenant_report *t = ctx;
	if (ft_step_check(s) < 0) {
		fprintf(stderr, "flowtally replay: internal error: step %" PRId64 " does not balance\n",
		        s->start_ms);
		t->bad_steps++;
	}
	for (size_t i = 0; i < s->n_cells; i++) {
		const struct ft_step_cell *c = &s->cells[i];
		size_t ti = tenant_index(t, c->tenant), ci = class_index(t, c->class_);
		if (ti == SIZE_MAX || ci == SIZE_MAX) {
			t->bad_steps++;         /* one map for the whole replay: cannot happen */
			continue;
		}
		vadd(&t->tenants[ti].v[c->direction], &c->v);
		vadd(&t->tenants[ti].cls[ci][c->direction], &c->v);
	}
	vadd(&t->unattr[0], &s->unattributed_src);
	vadd(&t->unattr[1], &s->unattributed_dst);
	vadd(&t->total, &s->total);
	vadd(&t->late, &s->late);
	vadd(&t->not_accounted, &s->not_accounted);
	ft_step_done(s);
}

static void print_vol(const char *key, const struct ft_volume *v)
{
	printf("\"%s\":{\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"flows\":%" PRIu64 "}", key,
	       v->bytes, v->packets, v->flows);
}

static void print_pair(const struct ft_volume v[2])
{
	print_vol("out", &v[0]);
	putchar(',');
	print_vol("in", &v[1]);
}

static bool used(const struct ft_volume v[2])
{
	return v[0].flows || v[0].bytes || v[1].flows || v[1].bytes;
}

static void print_tenant(const struct tenant_report *t, size_t i)
{
	const struct sums *s = &t->tenants[i];
	const char *sep = "";
	printf("\"%s\":{", ft_tenant_map_tenant(t->map, (uint16_t)i)->name);
	print_pair(s->v);
	printf(",\"classes\":{");
	for (size_t c = 0; c < t->nc; c++) {
		if (!used(s->cls[c]))
			continue;
		printf("%s\"%s\":{", sep, ft_tenant_map_class(t->map, (uint8_t)c));
		print_pair(s->cls[c]);
		putchar('}');
		sep = ",";
	}
	printf("}}");
}

void tenant_report_print(const struct tenant_report *t)
{
	printf("{\"tenants\":{");
	for (size_t i = 1; i < t->nt; i++) {
		if (i > 1)
			putchar(',');
		print_tenant(t, i);
	}
	printf("},\"unattributed\":{");
	print_vol("src", &t->unattr[0]);
	putchar(',');
	print_vol("dst", &t->unattr[1]);
	printf("},");
	print_vol("total", &t->total);
	putchar(',');
	print_vol("late", &t->late);
	putchar(',');
	print_vol("not_accounted", &t->not_accounted);
	printf(",\"map\":\"%s\"}\n", ft_tenant_map_id(t->map));
}
