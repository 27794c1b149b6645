/* flowtally replay --by-tenant: flows go through ft_agg (attribution, sampling
 * correction, steps) exactly as in flowtallyd, with the capture's timestamps as the
 * clock; the closed steps are summed per tenant, direction and class. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowtally/agg.h"
#include "flowtally/clock.h"
#include "flowtally/tenant.h"
#include "tenant_report.h"

#define CLOSE_BATCH 16

struct sums {
	struct ft_volume v[2];                  /* out, in */
	struct ft_volume (*cls)[2];             /* per class */
};

struct tenant_report {
	struct ft_tenant_conf own;              /* for --prefixes */
	struct ft_tenant_map *map;
	struct ft_agg_opts opts;
	struct ft_agg *agg;
	struct sums *tenants;                   /* per map tenant; [0] unused */
	size_t nt, nc;
	struct ft_volume unattr[2], total, late, not_accounted;
};

static void print_diag(struct ft_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->lines[i]);
	ft_diag_done(d);
}

static int build_map(struct tenant_report *t, const struct ft_config *cfg, const char *prefixes)
{
	struct ft_diag d = { 0 };
	const struct ft_tenant_conf *conf = cfg ? &cfg->tenants : &t->own;
	if (!cfg) {
		if (ft_tenant_conf_init(&t->own) < 0)
			return -ENOMEM;
		if (ft_tenant_conf_read_prefixes(&t->own, prefixes, true, FT_TIME_MIN, FT_TIME_MAX, &d) < 0) {
			print_diag(&d);
			return -EINVAL;
		}
	}
	t->map = ft_tenant_map_build(conf, &d);
	/* the lint's warnings are for check-config; here only errors matter */
	if (!t->map)
		print_diag(&d);
	else
		ft_diag_done(&d);
	return t->map ? 0 : -EINVAL;
}

struct tenant_report *tenant_report_new(const struct ft_config *cfg, const char *prefixes, int *ret_exit)
{
	struct tenant_report *t = calloc(1, sizeof(*t));
	*ret_exit = FT_EXIT_FAILURE;
	if (!t)
		return NULL;
	int r = build_map(t, cfg, prefixes);
	if (r < 0) {
		*ret_exit = r == -EINVAL ? FT_EXIT_USAGE : FT_EXIT_FAILURE;
		return tenant_report_free(t);
	}
	t->opts.step_ms = (cfg ? cfg->step : 60) * 1000ll;
	t->opts.lateness_ms = (cfg ? cfg->lateness : 120) * 1000ll;
	t->nt = ft_tenant_map_n_tenants(t->map);
	t->nc = ft_tenant_map_n_classes(t->map);
	t->tenants = calloc(t->nt, sizeof(*t->tenants));
	if (!t->tenants)
		return tenant_report_free(t);
	for (size_t i = 0; i < t->nt; i++)
		if (!(t->tenants[i].cls = calloc(t->nc, sizeof(*t->tenants[i].cls))))
			return tenant_report_free(t);
	*ret_exit = FT_EXIT_OK;
	return t;
}

struct tenant_report *tenant_report_free(struct tenant_report *t)
{
	if (!t)
		return NULL;
	ft_agg_free(t->agg);
	for (size_t i = 0; t->tenants && i < t->nt; i++)
		free(t->tenants[i].cls);
	free(t->tenants);
	ft_tenant_map_free(t->map);
	ft_tenant_conf_done(&t->own);
	free(t);
	return NULL;
}

void tenant_report_flows(struct tenant_report *t, const struct ft_flow *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!t->agg && !(t->agg = ft_agg_new(&t->opts, t->map, f[i].end_ms)))
			return;
		ft_agg_add(t->agg, &f[i]);
	}
}

static void vadd(struct ft_volume *a, const struct ft_volume *b)
{
	a->bytes += b->bytes;
	a->packets += b->packets;
	a->flows += b->flows;
}

static void add_step(struct tenant_report *t, const struct ft_step *s)
{
	for (size_t i = 0; i < s->n_cells; i++) {
		const struct ft_step_cell *c = &s->cells[i];
		size_t ti = SIZE_MAX, ci = SIZE_MAX;
		for (size_t k = 1; k < t->nt && ti == SIZE_MAX; k++)
			if (strcmp(ft_tenant_map_tenant(t->map, (uint16_t)k)->name, c->tenant) == 0)
				ti = k;
		for (size_t k = 0; k < t->nc && ci == SIZE_MAX; k++)
			if (strcmp(ft_tenant_map_class(t->map, (uint8_t)k), c->class_) == 0)
				ci = k;
		if (ti == SIZE_MAX || ci == SIZE_MAX)
			continue;   /* one map for the whole replay: cannot happen */
		vadd(&t->tenants[ti].v[c->direction], &c->v);
		vadd(&t->tenants[ti].cls[ci][c->direction], &c->v);
	}
	vadd(&t->unattr[0], &s->unattributed_src);
	vadd(&t->unattr[1], &s->unattributed_dst);
	vadd(&t->total, &s->total);
	vadd(&t->late, &s->late);
	vadd(&t->not_accounted, &s->not_accounted);
}

static void take(struct tenant_report *t, struct ft_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ft_step_check(&steps[i]) < 0)
			fprintf(stderr, "flowtally replay: internal error: step %" PRId64 " does not balance\n",
			        steps[i].start_ms);
		add_step(t, &steps[i]);
		ft_step_done(&steps[i]);
	}
}

void tenant_report_tick(struct tenant_report *t, int64_t now_ns)
{
	struct ft_step steps[CLOSE_BATCH];
	size_t n;
	if (!t->agg)
		return;
	while ((n = ft_agg_advance(t->agg, now_ns / FT_NS_PER_MS, steps, CLOSE_BATCH)) > 0) {
		take(t, steps, n);
		if (n < CLOSE_BATCH)
			break;
	}
}

static void print_vol(const char *key, const struct ft_volume *v)
{
	printf("\"%s\":{\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"flows\":%" PRIu64 "}", key,
	       v->bytes, v->packets, v->flows);
}

static void print_tenant(const struct tenant_report *t, size_t i)
{
	const struct sums *s = &t->tenants[i];
	printf("\"%s\":{", ft_tenant_map_tenant(t->map, (uint16_t)i)->name);
	print_vol("out", &s->v[0]);
	putchar(',');
	print_vol("in", &s->v[1]);
	printf(",\"classes\":{");
	const char *sep = "";
	for (size_t c = 0; c < t->nc; c++) {
		if (!s->cls[c][0].flows && !s->cls[c][0].bytes && !s->cls[c][1].flows && !s->cls[c][1].bytes)
			continue;
		printf("%s\"%s\":{", sep, ft_tenant_map_class(t->map, (uint8_t)c));
		print_vol("out", &s->cls[c][0]);
		putchar(',');
		print_vol("in", &s->cls[c][1]);
		putchar('}');
		sep = ",";
	}
	printf("}}");
}

void tenant_report_print(struct tenant_report *t)
{
	struct ft_step steps[CLOSE_BATCH];
	size_t n;
	while (t->agg && (n = ft_agg_flush(t->agg, steps, CLOSE_BATCH)) > 0)
		take(t, steps, n);
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
