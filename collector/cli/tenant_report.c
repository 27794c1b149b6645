/* flowtally replay --by-tenant: the steps that the pipeline closed (attribution,
 * sampling correction and steps exactly as in flowtallyd) summed per tenant, direction
 * and class with the ledger's own sums (ft_ledger_sum, as `flowtally ledger show`), and
 * printed as one JSON object with every tenant of the map. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "flowtally/ledger.h"
#include "tenant_report.h"

struct tenant_report {
	const struct ft_tenant_map *map;
	struct ft_ledger_sum sum;
	unsigned long bad_steps;
};

struct tenant_report *tenant_report_new(const struct ft_tenant_map *m)
{
	struct tenant_report *t = calloc(1, sizeof(*t));
	if (t) {
		t->map = m;
		ft_ledger_sum_init(&t->sum, true);
	}
	return t;
}

struct tenant_report *tenant_report_free(struct tenant_report *t)
{
	if (t) {
		ft_ledger_sum_done(&t->sum);
		free(t);
	}
	return NULL;
}

unsigned long tenant_report_bad_steps(const struct tenant_report *t)
{
	return t->bad_steps;
}

void tenant_report_step(struct ft_step *s, void *ctx)
{
	struct tenant_report *t = ctx;
	if (ft_step_check(s) < 0 || ft_ledger_sum_add(&t->sum, s) < 0) {
		fprintf(stderr, "flowtally replay: internal error: step %" PRId64 " does not balance or "
		        "its sums overflow\n", s->start_ms);
		t->bad_steps++;
	}
	ft_step_done(s);
}

static void print_vol(const char *key, const struct ft_volume *v)
{
	printf("\"%s\":{\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"flows\":%" PRIu64 "}", key,
	       v->bytes, v->packets, v->flows);
}

static void print_row(const struct ft_ledger_row *r)
{
	static const struct ft_ledger_row zero;
	if (!r)
		r = &zero;
	print_vol("out", &r->out);
	putchar(',');
	print_vol("in", &r->in);
}

static void print_tenant(const struct tenant_report *t, const char *name)
{
	const char *sep = "";
	printf("\"%s\":{", name);
	print_row(ft_ledger_sum_find(&t->sum, name, ""));
	printf(",\"classes\":{");
	for (size_t c = 0; c < ft_tenant_map_n_classes(t->map); c++) {
		const char *cls = ft_tenant_map_class(t->map, (uint8_t)c);
		const struct ft_ledger_row *r = ft_ledger_sum_find(&t->sum, name, cls);
		if (!r)
			continue;
		printf("%s\"%s\":{", sep, cls);
		print_row(r);
		putchar('}');
		sep = ",";
	}
	printf("}}");
}

void tenant_report_print(const struct tenant_report *t)
{
	printf("{\"tenants\":{");
	for (size_t i = 1; i < ft_tenant_map_n_tenants(t->map); i++) {
		if (i > 1)
			putchar(',');
		print_tenant(t, ft_tenant_map_tenant(t->map, (uint16_t)i)->name);
	}
	printf("},\"unattributed\":{");
	print_vol("src", &t->sum.unattributed_src);
	putchar(',');
	print_vol("dst", &t->sum.unattributed_dst);
	printf("},");
	print_vol("total", &t->sum.total);
	putchar(',');
	print_vol("late", &t->sum.late);
	putchar(',');
	print_vol("not_accounted", &t->sum.not_accounted);
	printf(",\"map\":\"%s\"}\n", ft_tenant_map_id(t->map));
}
