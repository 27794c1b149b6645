/* Fuzz target for the dashboards' definition files (exporters/dashboard/def.c): the
 * input is the text of a definition, read with ft_dashboard_parse().
 *
 * Checked whatever the bytes: the result is 0 with a definition or a negative errno
 * without one; -EINVAL has at least one error and 0 none; every finding is
 * "dash.conf..." and counted.  On success, what the renderer relies on: the kind and
 * every enum are in range, counts within the header's bounds, every string
 * NUL-terminated within its array, graph names unique, every def names a data source
 * its file kind has, every name an item uses (vdef of, draw value) is defined by an
 * earlier item of the graph that the item may use, a line or area has a colour and
 * only an expanded one has more, colours are #RRGGBB[AA] in upper case, a GPRINT has a
 * format, for_each "tenant" only in a graph with top_tenants, and sizes within bounds.
 *
 * An @include is refused by the parser before libconfig could follow it, so the input
 * never opens a file.
 *
 * Seeds: corpus/dashboard/ (the four default definitions of dashboards/, and files with
 * errors).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "flowtally/dashboard.h"
#include "fuzz.h"

/* As in fuzz_tariff.c: libconfig 1.5 leaks a string token its grammar refuses, out of
 * config_destroy()'s reach; any other leak still stops the run. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static void check_diag(const struct ft_diag *d, int r)
{
	CHECK(d->errors + d->warnings == d->n);
	CHECK(r != -EINVAL || d->errors > 0);
	CHECK(r != 0 || d->errors == 0);
	for (size_t i = 0; i < d->n; i++)
		CHECK(d->lines[i] && strncmp(d->lines[i], "dash.conf", 9) == 0);
}

/* The item of g before index i that defines name, or NULL. */
static const struct ft_dashboard_item *defined(const struct ft_dashboard_graph *g, size_t i, const char *name)
{
	for (size_t j = 0; j < i; j++)
		if (g->items[j].type != FT_DASH_DRAW && strcmp(g->items[j].vname, name) == 0)
			return &g->items[j];
	return NULL;
}

static void check_use(const struct ft_dashboard_graph *g, size_t i, const char *name, bool vdef)
{
	const struct ft_dashboard_item *d = defined(g, i, name);
	CHECK(d);
	CHECK(vdef ? d->type == FT_DASH_VDEF : (d->type == FT_DASH_DEF || d->type == FT_DASH_CDEF));
	CHECK(d->each == FT_DASH_ONCE || d->each == g->items[i].each);
}

static void check_colour(const char *c)
{
	size_t n = strlen(c);
	CHECK(c[0] == '#' && (n == 7 || n == 9));
	for (size_t i = 1; i < n; i++)
		CHECK(isxdigit((unsigned char)c[i]) && !islower((unsigned char)c[i]));
}

static void check_dashboard(const struct ft_dashboard *d)
{
	CHECK(strcmp(d->file, "dash.conf") == 0);
	CHECK(d->kind >= FT_DASH_OVERVIEW && d->kind < FT_DASH__KINDS);
	CHECK(TERMINATED(d->title));
	CHECK(d->width >= FT_DASH_WIDTH_MIN && d->width <= FT_DASH_WIDTH_MAX);
	CHECK(d->height >= FT_DASH_HEIGHT_MIN && d->height <= FT_DASH_HEIGHT_MAX);
	CHECK(d->n_graphs >= 1 && d->n_graphs <= FT_DASH_GRAPHS_MAX);
	for (size_t gi = 0; gi < d->n_graphs; gi++) {
		const struct ft_dashboard_graph *g = &d->graphs[gi];
		CHECK(TERMINATED(g->name) && *g->name && TERMINATED(g->title) && TERMINATED(g->vertical_label));
		for (size_t j = 0; j < gi; j++)
			CHECK(strcmp(d->graphs[j].name, g->name) != 0);
		CHECK(g->width >= FT_DASH_WIDTH_MIN && g->width <= FT_DASH_WIDTH_MAX);
		CHECK(g->height >= FT_DASH_HEIGHT_MIN && g->height <= FT_DASH_HEIGHT_MAX);
		CHECK(!g->has_lower || !g->has_upper || g->lower_limit < g->upper_limit);
		CHECK(g->top_tenants <= FT_DASH_TOP_MAX && (g->top_tenants == 0 || d->kind == FT_DASH_OVERVIEW));
		CHECK(g->period == FT_DASH_PERIOD_PAGE || g->period == FT_DASH_PERIOD_MONTH_TO_DATE);
		CHECK(g->n_items >= 1 && g->n_items <= FT_DASH_ITEMS_MAX);
		CHECK(g->line > 0);
		bool draws = false;
		for (size_t i = 0; i < g->n_items; i++) {
			const struct ft_dashboard_item *it = &g->items[i];
			CHECK(it->line > 0);
			CHECK(TERMINATED(it->vname) && TERMINATED(it->file) && TERMINATED(it->ds) && TERMINATED(it->rpn) &&
			      TERMINATED(it->of) && TERMINATED(it->value) && TERMINATED(it->legend) &&
			      TERMINATED(it->format));
			CHECK(it->each <= FT_DASH_EACH_EXPORTER);
			CHECK(it->each != FT_DASH_EACH_CLASS || d->kind == FT_DASH_TENANT);
			CHECK(it->each != FT_DASH_EACH_TENANT || (d->kind == FT_DASH_OVERVIEW && g->top_tenants > 0));
			CHECK(it->each != FT_DASH_EACH_EXPORTER || d->kind == FT_DASH_OVERVIEW);
			if (it->type != FT_DASH_DRAW) {
				CHECK(*it->vname);
				CHECK(defined(g, i, it->vname) == NULL);
			}
			switch (it->type) {
			case FT_DASH_DEF: {
				CHECK(it->rrd_kind < FT_RRD__KINDS && *it->file && it->cf <= FT_DASH_MAX);
				const char *const *names;
				size_t n = ft_rrd_ds_names(it->rrd_kind, &names), k = 0;
				while (k < n && strcmp(names[k], it->ds) != 0)
					k++;
				CHECK(k < n);
				break;
			}
			case FT_DASH_CDEF:
				CHECK(*it->rpn);
				break;
			case FT_DASH_VDEF:
				CHECK(it->fn <= FT_DASH_PERCENTNAN);
				CHECK(it->percent >= 0 && it->percent <= 100);
				check_use(g, i, it->of, false);
				break;
			case FT_DASH_DRAW:
				draws = true;
				CHECK(it->draw <= FT_DASH_COMMENT);
				CHECK(it->n_colours <= FT_DASH_COLOURS_MAX);
				CHECK(it->n_colours <= 1 || it->each != FT_DASH_ONCE);
				for (size_t k = 0; k < it->n_colours; k++)
					check_colour(it->colours[k]);
				if (it->draw <= FT_DASH_AREA) {
					CHECK(it->n_colours >= 1);
					check_use(g, i, it->value, false);
				} else if (it->draw == FT_DASH_HRULE) {
					CHECK(it->n_colours >= 1);
					if (*it->value)
						check_use(g, i, it->value, true);
				} else if (it->draw == FT_DASH_GPRINT) {
					CHECK(it->n_colours == 0 && *it->format);
					check_use(g, i, it->value, true);
				} else {
					CHECK(it->n_colours == 0);
				}
				CHECK(!it->stack || it->draw <= FT_DASH_AREA);
				break;
			default:
				CHECK(!"item type out of range");
			}
		}
		CHECK(draws);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';

	struct ft_dashboard *d = NULL;
	struct ft_diag diag = { 0 };
	int r = ft_dashboard_parse(text, "dash.conf", &d, &diag);
	CHECK(r <= 0 && (r == 0) == (d != NULL));
	check_diag(&diag, r);
	if (getenv("FT_FUZZ_LOG"))
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "fuzz_dashboard: %s\n", diag.lines[i]);
	if (d)
		check_dashboard(d);

	ft_dashboard_free(d);
	ft_diag_done(&diag);
	free(text);
	return 0;
}
