/* The dashboards' definition files (exporters/dashboard/def.c): the four default files
 * of dashboards/ parse and say what the pages need, a small definition is read exactly,
 * and every problem is named as file:line with the whole file refused while another
 * file still parses. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/dashboard.h"

static struct ft_dashboard *dash;
static struct ft_diag diag;

static void teardown(void)
{
	dash = ft_dashboard_free(dash);
	ft_diag_done(&diag);
}

static int parse(const char *text)
{
	dash = ft_dashboard_free(dash);
	ft_diag_done(&diag);
	return ft_dashboard_parse(text, "t.conf", &dash, &diag);
}

static bool diag_has(const char *needle)
{
	for (size_t i = 0; i < diag.n; i++)
		if (strstr(diag.lines[i], needle))
			return true;
	return false;
}

static void dump(void)
{
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "test_dashboard_def: got %s\n", diag.lines[i]);
}

/* text is refused, and one of its findings holds needle ("t.conf:LINE: what"). */
static void rejected(const char *text, const char *needle)
{
	int r = parse(text);
	if (!diag_has(needle))
		dump();
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_null(dash);
	ck_assert_uint_ge(diag.errors, 1);
	ck_assert_msg(diag_has(needle), "no finding holds \"%s\"", needle);
}

/* The default files' folder: FT_DASHBOARDS (set by tests/unit/meson.build). */
static void default_path(const char *file, char *buf, size_t size)
{
	const char *dir = getenv("FT_DASHBOARDS");
	ck_assert_msg(dir && *dir, "FT_DASHBOARDS is not set");
	snprintf(buf, size, "%s/%s", dir, file);
}

static const struct ft_dashboard_graph *graph(const struct ft_dashboard *d, const char *name)
{
	for (size_t i = 0; i < d->n_graphs; i++)
		if (strcmp(d->graphs[i].name, name) == 0)
			return &d->graphs[i];
	ck_abort_msg("no graph '%s' in %s", name, d->file);
	return NULL;
}

/* Whether graph g has a def of ds in a file of kind k (repeated as each). */
static bool has_def(const struct ft_dashboard_graph *g, enum ft_rrd_kind k, const char *ds, enum ft_dash_each each)
{
	for (size_t i = 0; i < g->n_items; i++)
		if (g->items[i].type == FT_DASH_DEF && g->items[i].rrd_kind == k && strcmp(g->items[i].ds, ds) == 0 &&
		    g->items[i].each == each)
			return true;
	return false;
}

static bool has_vdef(const struct ft_dashboard_graph *g, enum ft_dash_vdef_fn fn, double pct)
{
	for (size_t i = 0; i < g->n_items; i++)
		if (g->items[i].type == FT_DASH_VDEF && g->items[i].fn == fn &&
		    (fn != FT_DASH_PERCENT || g->items[i].percent == pct))
			return true;
	return false;
}

static bool has_stacked(const struct ft_dashboard_graph *g, enum ft_dash_each each)
{
	for (size_t i = 0; i < g->n_items; i++)
		if (g->items[i].type == FT_DASH_DRAW && g->items[i].draw == FT_DASH_AREA && g->items[i].stack &&
		    g->items[i].each == each && g->items[i].n_colours > 1)
			return true;
	return false;
}

static void load_default(const char *file, enum ft_dash_kind kind)
{
	char path[4096];
	default_path(file, path, sizeof(path));
	dash = ft_dashboard_free(dash);
	ft_diag_done(&diag);
	int r = ft_dashboard_load(path, &dash, &diag);
	dump();
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_int_eq(dash->kind, kind);
	ck_assert_uint_ge(dash->n_graphs, 2);
	for (size_t i = 0; i < dash->n_graphs; i++) {
		const struct ft_dashboard_graph *g = &dash->graphs[i];
		ck_assert(*g->name && *g->title);
		ck_assert_uint_ge(g->n_items, 2);
		ck_assert_int_ge(g->width, FT_DASH_WIDTH_MIN);
		for (size_t j = 0; j < g->n_items; j++) {
			const struct ft_dashboard_item *it = &g->items[j];
			ck_assert_int_gt(it->line, g->line - 1);
			if (it->type == FT_DASH_DRAW && it->draw <= FT_DASH_HRULE)
				ck_assert_uint_ge(it->n_colours, 1);
			if (it->type == FT_DASH_DEF)
				ck_assert(*it->file && *it->ds && *it->vname);
		}
	}
}

START_TEST(overview_covers_the_issue)
{
	load_default("overview.conf", FT_DASH_OVERVIEW);
	const struct ft_dashboard_graph *g = graph(dash, "total");
	ck_assert(has_def(g, FT_RRD_TOTAL, "bytes", FT_DASH_ONCE));
	g = graph(dash, "unattributed");
	ck_assert(has_def(g, FT_RRD_UNATTRIBUTED, "src_bytes", FT_DASH_ONCE));
	ck_assert(has_def(g, FT_RRD_UNATTRIBUTED, "dst_bytes", FT_DASH_ONCE));
	ck_assert(g->has_upper && g->upper_limit == 100);
	g = graph(dash, "top_tenants_in");
	ck_assert_uint_eq(g->top_tenants, 8);
	ck_assert(has_def(g, FT_RRD_TENANT, "in_bytes", FT_DASH_EACH_TENANT));
	ck_assert(has_stacked(g, FT_DASH_EACH_TENANT));
	g = graph(dash, "top_tenants_out");
	ck_assert(has_def(g, FT_RRD_TENANT, "out_bytes", FT_DASH_EACH_TENANT));
	g = graph(dash, "records");
	ck_assert(has_def(g, FT_RRD_COLLECTOR, "records", FT_DASH_ONCE));
	ck_assert(has_def(g, FT_RRD_COLLECTOR, "kernel_drops", FT_DASH_ONCE));
	ck_assert(has_def(graph(dash, "sequence_gaps"), FT_RRD_EXPORTER, "seq_lost", FT_DASH_EACH_EXPORTER));
	ck_assert(has_def(graph(dash, "no_template"), FT_RRD_EXPORTER, "no_template", FT_DASH_EACH_EXPORTER));
	ck_assert(has_def(graph(dash, "latency"), FT_RRD_COLLECTOR, "rrd_write_ms", FT_DASH_ONCE));
}
END_TEST

START_TEST(tenant_page_covers_the_issue)
{
	load_default("tenant.conf", FT_DASH_TENANT);
	const char *dirs[] = { "in", "out" }, *ds[] = { "in_bytes", "out_bytes" };
	for (int i = 0; i < 2; i++) {
		const struct ft_dashboard_graph *g = graph(dash, dirs[i]);
		ck_assert(has_def(g, FT_RRD_TENANT, ds[i], FT_DASH_EACH_CLASS));
		ck_assert(has_def(g, FT_RRD_TENANT, ds[i], FT_DASH_ONCE));
		ck_assert(has_stacked(g, FT_DASH_EACH_CLASS));
		ck_assert(has_vdef(g, FT_DASH_PERCENT, 95));
		ck_assert_int_eq(g->period, FT_DASH_PERIOD_PAGE);
	}
	const struct ft_dashboard_graph *g = graph(dash, "month");
	ck_assert_int_eq(g->period, FT_DASH_PERIOD_MONTH_TO_DATE);
	ck_assert(has_vdef(g, FT_DASH_TOTAL, 0));
	ck_assert_str_eq(g->items[0].file, "tenants/{tenant}.rrd");
}
END_TEST

START_TEST(link_page_covers_the_issue)
{
	load_default("link.conf", FT_DASH_LINK);
	const struct ft_dashboard_graph *g = graph(dash, "utilisation");
	ck_assert(has_def(g, FT_RRD_INTERFACE, "in_bits", FT_DASH_ONCE));
	ck_assert(has_def(g, FT_RRD_INTERFACE, "out_bits", FT_DASH_ONCE));
	ck_assert(has_def(g, FT_RRD_INTERFACE, "speed", FT_DASH_ONCE));
	ck_assert(has_vdef(g, FT_DASH_PERCENT, 95));
	g = graph(dash, "errors");
	ck_assert(has_def(g, FT_RRD_INTERFACE, "in_errors", FT_DASH_ONCE));
	ck_assert(has_def(g, FT_RRD_INTERFACE, "out_discards", FT_DASH_ONCE));
}
END_TEST

START_TEST(exporter_page_covers_the_issue)
{
	load_default("exporter.conf", FT_DASH_EXPORTER);
	ck_assert(has_def(graph(dash, "datagrams"), FT_RRD_EXPORTER, "datagrams", FT_DASH_ONCE));
	ck_assert(has_def(graph(dash, "datagrams"), FT_RRD_EXPORTER, "records", FT_DASH_ONCE));
	const struct ft_dashboard_graph *g = graph(dash, "errors");
	ck_assert(has_def(g, FT_RRD_EXPORTER, "parse_errors", FT_DASH_ONCE));
	ck_assert(has_def(g, FT_RRD_EXPORTER, "seq_lost", FT_DASH_ONCE));
	ck_assert(has_def(g, FT_RRD_EXPORTER, "no_template", FT_DASH_ONCE));
}
END_TEST

static const char small[] =
	"kind = \"tenant\";\n"                                                              /* 1 */
	"title = \"Tenant {tenant}\";\n"                                                     /* 2 */
	"height = 150;\n"                                                                    /* 3 */
	"graphs = (\n"                                                                       /* 4 */
	"  { name = \"in\"; title = \"{tenant} in\"; vertical_label = \"b/s\"; width = 640;\n" /* 5 */
	"    items = (\n"                                                                    /* 6 */
	"      { def = \"c\"; file = \"tenants/{tenant}/{class}.rrd\"; ds = \"in_bytes\"; for_each = \"class\"; },\n"
	"      { cdef = \"c_bits\"; rpn = \"c,8,*\"; for_each = \"class\"; },\n"              /* 8 */
	"      { draw = \"AREA\"; value = \"c_bits\"; stack = true; for_each = \"class\";\n"  /* 9 */
	"        colour = [ \"#ff0000\", \"#00FF0080\" ]; legend = \"{class}\"; },\n"        /* 10 */
	"      { def = \"t\"; file = \"tenants/{tenant}.rrd\"; ds = \"in_bytes\"; cf = \"MAX\"; },\n"
	"      { vdef = \"p\"; of = \"t\"; function = \"PERCENT\"; percent = 95.5; },\n"      /* 12 */
	"      { draw = \"HRULE\"; value = \"p\"; colour = \"#123abc\"; },\n"                /* 13 */
	"      { draw = \"HRULE\"; value = 1e9; colour = \"#000000\"; legend = \"1 Gb/s\"; },\n"
	"      { draw = \"GPRINT\"; value = \"p\"; format = \"%6.2lf %sb/s\"; },\n"          /* 15 */
	"      { draw = \"COMMENT\"; text = \"\\\\n\"; }\n"                                   /* 16 */
	"    ); }\n"
	");\n";

START_TEST(small_definition_is_read_exactly)
{
	int r = parse(small);
	dump();
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_str_eq(dash->file, "t.conf");
	ck_assert_int_eq(dash->kind, FT_DASH_TENANT);
	ck_assert_str_eq(dash->title, "Tenant {tenant}");
	ck_assert_int_eq(dash->width, FT_DASH_WIDTH_DEFAULT);
	ck_assert_int_eq(dash->height, 150);
	ck_assert_uint_eq(dash->n_graphs, 1);
	const struct ft_dashboard_graph *g = &dash->graphs[0];
	ck_assert_str_eq(g->name, "in");
	ck_assert_str_eq(g->vertical_label, "b/s");
	ck_assert_int_eq(g->width, 640);
	ck_assert_int_eq(g->height, 150);
	ck_assert(!g->has_lower && !g->has_upper);
	ck_assert_int_eq(g->line, 5);
	ck_assert_uint_eq(g->n_items, 9);
	const struct ft_dashboard_item *it = g->items;
	ck_assert_int_eq(it[0].type, FT_DASH_DEF);
	ck_assert_int_eq(it[0].each, FT_DASH_EACH_CLASS);
	ck_assert_str_eq(it[0].vname, "c");
	ck_assert_str_eq(it[0].file, "tenants/{tenant}/{class}.rrd");
	ck_assert_int_eq(it[0].rrd_kind, FT_RRD_TENANT);
	ck_assert_str_eq(it[0].ds, "in_bytes");
	ck_assert_int_eq(it[0].cf, FT_DASH_AVERAGE);
	ck_assert_int_eq(it[0].line, 7);
	ck_assert_int_eq(it[1].type, FT_DASH_CDEF);
	ck_assert_str_eq(it[1].rpn, "c,8,*");
	ck_assert_int_eq(it[2].type, FT_DASH_DRAW);
	ck_assert_int_eq(it[2].draw, FT_DASH_AREA);
	ck_assert(it[2].stack);
	ck_assert_uint_eq(it[2].n_colours, 2);
	ck_assert_str_eq(it[2].colours[0], "#FF0000");
	ck_assert_str_eq(it[2].colours[1], "#00FF0080");
	ck_assert_str_eq(it[2].legend, "{class}");
	ck_assert_int_eq(it[3].cf, FT_DASH_MAX);
	ck_assert_int_eq(it[3].each, FT_DASH_ONCE);
	ck_assert_int_eq(it[4].type, FT_DASH_VDEF);
	ck_assert_str_eq(it[4].of, "t");
	ck_assert_int_eq(it[4].fn, FT_DASH_PERCENT);
	ck_assert(it[4].percent == 95.5);
	ck_assert_int_eq(it[5].draw, FT_DASH_HRULE);
	ck_assert_str_eq(it[5].value, "p");
	ck_assert_str_eq(it[5].colours[0], "#123ABC");
	ck_assert_str_eq(it[6].value, "");
	ck_assert(it[6].at == 1e9);
	ck_assert_str_eq(it[6].legend, "1 Gb/s");
	ck_assert_int_eq(it[7].draw, FT_DASH_GPRINT);
	ck_assert_str_eq(it[7].format, "%6.2lf %sb/s");
	ck_assert_uint_eq(it[7].n_colours, 0);
	ck_assert_int_eq(it[8].draw, FT_DASH_COMMENT);
	ck_assert_str_eq(it[8].legend, "\\n");
	ck_assert_int_eq(it[8].line, 16);
	ck_assert_str_eq(ft_dash_kind_name(dash->kind), "tenant");
	ck_assert_str_eq(ft_dash_vdef_fn_name(FT_DASH_VAVERAGE), "AVERAGE");
	ck_assert_str_eq(ft_dash_draw_name(FT_DASH_LINE2), "LINE2");
	ck_assert_str_eq(ft_dash_each_name(FT_DASH_EACH_EXPORTER), "exporter");
}
END_TEST

/* A one-graph exporter page around the given items (lines 4 onwards, one item a line). */
#define PAGE(items)                                                                        \
	"kind = \"exporter\";\ntitle = \"x\";\n"                                                \
	"graphs = ( { name = \"g\"; title = \"t\"; items = (\n" items                         \
	"  { draw = \"COMMENT\"; text = \"end\"; }\n) } );\n"
#define DEF_D "  { def = \"d\"; file = \"exporters/{exporter}.rrd\"; ds = \"datagrams\"; },\n"

START_TEST(unknown_keys_name_their_line)
{
	rejected("kind = \"link\";\ntitle = \"x\";\ncolour = 1;\ngraphs = ();\n", "t.conf:3: unknown key 'colour'");
	rejected("kind = \"exporter\";\ntitle = \"x\";\ngraphs = (\n { name = \"g\"; title = \"t\";\n  size = 3;\n"
	         "  items = ( { draw = \"COMMENT\"; text = \"a\"; } ); }\n);\n",
	         "t.conf:5: graph: unknown key 'size'");
	rejected(PAGE(DEF_D "  { cdef = \"e\"; rpn = \"d\"; colour = \"#000000\"; },\n"),
	         "t.conf:5: 'colour' is not a key of a cdef item");
	rejected(PAGE(DEF_D "  { draw = \"GPRINT\"; value = \"d\"; format = \"%lf\"; stack = true; },\n"),
	         "t.conf:5: 'stack' is not a key of a GPRINT item");
	rejected(PAGE("  { def = \"d\"; file = \"exporters/{exporter}.rrd\"; ds = \"records\"; step = 60; },\n"),
	         "t.conf:4: item: unknown key 'step'");
}
END_TEST

START_TEST(bad_colours_name_their_line)
{
	rejected(PAGE(DEF_D "  { draw = \"LINE1\"; value = \"d\"; colour = \"red\"; },\n"),
	         "t.conf:5: colour 'red' is not #RRGGBB or #RRGGBBAA");
	rejected(PAGE(DEF_D "  { draw = \"LINE1\"; value = \"d\"; colour = \"#12345\"; },\n"), "t.conf:5: colour '#12345'");
	rejected(PAGE(DEF_D "  { draw = \"AREA\"; value = \"d\"; colour = \"#12345G\"; },\n"), "t.conf:5: colour '#12345G'");
	rejected(PAGE(DEF_D "  { draw = \"AREA\"; value = \"d\"; colour = [ \"#123456\" ]; },\n"),
	         "t.conf:5: 'colour': a list of colours is only for a for_each element");
	rejected("kind = \"tenant\";\ntitle = \"x\";\ngraphs = ( { name = \"g\"; title = \"t\"; items = (\n"
	         "  { def = \"c\"; file = \"tenants/{tenant}/{class}.rrd\"; ds = \"in_bytes\"; for_each = \"class\"; },\n"
	         "  { draw = \"AREA\"; value = \"c\"; for_each = \"class\";\n    colour = [ \"#123456\", \"blue\" ]; }\n"
	         ") } );\n", "t.conf:6: 'colour': element 2 is not");
	rejected(PAGE(DEF_D "  { draw = \"HRULE\"; value = 5; },\n"), "t.conf:5: graph 'g': a HRULE element has no 'colour'");
}
END_TEST

START_TEST(unknown_ds_names_its_line)
{
	rejected(PAGE("  { def = \"d\"; file = \"exporters/{exporter}.rrd\"; ds = \"in_bytes\"; },\n"),
	         "t.conf:4: ds 'in_bytes' is not a data source of exporters/{exporter}.rrd (it has datagrams, "
	         "records, bytes, parse_errors, seq_lost, no_template)");
	rejected("kind = \"overview\";\ntitle = \"x\";\ngraphs = ( { name = \"g\"; title = \"t\"; items = (\n"
	         "  { def = \"b\"; file = \"total.rrd\"; ds = \"in_bytes\"; },\n"
	         "  { draw = \"LINE1\"; value = \"b\"; colour = \"#000000\"; }\n) } );\n",
	         "t.conf:4: ds 'in_bytes' is not a data source of total.rrd");
	rejected(PAGE("  { def = \"d\"; file = \"exporters/{exporter}.rrd\"; ds = \"records\"; cf = \"LAST\"; },\n"),
	         "t.conf:4: cf 'LAST' is not one of AVERAGE, MAX");
	rejected(PAGE("  { def = \"d\"; file = \"exporter/{exporter}.rrd\"; ds = \"records\"; },\n"),
	         "t.conf:4: file 'exporter/{exporter}.rrd' is not one of the RRD files");
	rejected(PAGE("  { def = \"d\"; file = \"tenants/../x.rrd\"; ds = \"in_bytes\"; },\n"),
	         "t.conf:4: file 'tenants/../x.rrd': '..' is neither a placeholder nor a file name");
	rejected(PAGE("  { def = \"d\"; file = \"exporters/.x.rrd\"; ds = \"records\"; },\n"),
	         "t.conf:4: file 'exporters/.x.rrd': '.x' is neither a placeholder nor a file name");
	rejected(PAGE("  { def = \"d\"; file = \"exporters/a/b/c.rrd\"; ds = \"records\"; },\n"),
	         "t.conf:4: file 'exporters/a/b/c.rrd' is not one of the RRD files");
}
END_TEST

START_TEST(bad_rpn_names_its_line)
{
	rejected(PAGE(DEF_D "  { cdef = \"e\"; rpn = \"d,8,SHIFT\"; },\n"),
	         "t.conf:5: rpn 'd,8,SHIFT': token 'SHIFT' is not a number, an operator or a name defined before");
	rejected(PAGE(DEF_D "  { cdef = \"e\"; rpn = \"d,later,+\"; },\n"), "t.conf:5: rpn 'd,later,+': token 'later'");
	rejected(PAGE(DEF_D "  { cdef = \"e\"; rpn = \"d,+\"; },\n"),
	         "t.conf:5: rpn 'd,+': '+' needs 2 values, the stack holds 1");
	rejected(PAGE(DEF_D "  { cdef = \"e\"; rpn = \"d,8\"; },\n"), "t.conf:5: rpn 'd,8' leaves 2 values, not one");
	rejected(PAGE(DEF_D "  { cdef = \"e\"; rpn = \"d,,8,*\"; },\n"), "t.conf:5: rpn 'd,,8,*': an empty token");
	rejected(PAGE(DEF_D "  { cdef = \"e\"; rpn = \"\"; },\n"), "t.conf:5: rpn is empty");
	rejected(PAGE(DEF_D "  { cdef = \"e\"; rpn = \"d,inf,*\"; },\n"), "t.conf:5: rpn 'd,inf,*': token 'inf'");
	/* numbers, operators of every arity, DUP/EXC/POP: all accepted */
	ck_assert_int_eq(parse(PAGE(DEF_D "  { cdef = \"e\"; rpn = \"d,-1.5e3,*,DUP,EXC,POP,UN,0,d,IF,NOW,+\"; },\n")), 0);
}
END_TEST

START_TEST(placeholders_are_checked)
{
	rejected("kind = \"exporter\";\ntitle = \"x {router}\";\ngraphs = ();\n",
	         "t.conf:2: 'title': unknown placeholder {router}");
	rejected(PAGE("  { def = \"d\"; file = \"exporters/{exp}.rrd\"; ds = \"records\"; },\n"),
	         "t.conf:4: file 'exporters/{exp}.rrd': unknown placeholder {exp}");
	rejected(PAGE("  { def = \"d\"; file = \"tenants/{tenant}.rrd\"; ds = \"in_bytes\"; },\n"),
	         "t.conf:4: file 'tenants/{tenant}.rrd': placeholder {tenant} is not available here");
	rejected(PAGE("  { def = \"d\"; file = \"exporters/x{exporter}.rrd\"; ds = \"records\"; },\n"),
	         "t.conf:4: file 'exporters/x{exporter}.rrd': 'x{exporter}' is neither");
	rejected(PAGE("  { def = \"d\"; file = \"interfaces/{interface}/{device}.rrd\"; ds = \"speed\"; },\n"),
	         "t.conf:4: file 'interfaces/{interface}/{device}.rrd'");
	rejected("kind = \"tenant\";\ntitle = \"x\";\ngraphs = ( { name = \"g\"; title = \"t\"; items = (\n"
	         "  { def = \"c\"; file = \"tenants/{tenant}/{class}.rrd\"; ds = \"in_bytes\"; },\n"
	         "  { draw = \"AREA\"; value = \"c\"; colour = \"#000000\"; }\n) } );\n",
	         "t.conf:4: file 'tenants/{tenant}/{class}.rrd': placeholder {class} is not available here "
	         "(only on a tenant page inside for_each \"class\")");
	rejected(PAGE(DEF_D "  { draw = \"LINE1\"; value = \"d\"; colour = \"#000000\"; legend = \"a {b\"; },\n"),
	         "t.conf:5: 'legend': a '{' without its '}'");
	rejected(PAGE(DEF_D "  { draw = \"LINE1\"; value = \"d\"; colour = \"#000000\"; legend = \"a}\"; },\n"),
	         "t.conf:5: 'legend': a '}' without its '{'");
	rejected("kind = \"overview\";\ntitle = \"x\";\ngraphs = ( { name = \"g\"; title = \"t\"; items = (\n"
	         "  { def = \"c\"; file = \"tenants/{tenant}.rrd\"; ds = \"in_bytes\"; for_each = \"tenant\"; },\n"
	         "  { draw = \"AREA\"; value = \"c\"; colour = \"#000000\"; for_each = \"tenant\"; }\n) } );\n",
	         "t.conf:4: graph 'g': for_each \"tenant\" needs the graph's top_tenants");
	rejected(PAGE(DEF_D "  { draw = \"LINE1\"; value = \"d\"; colour = \"#000000\"; for_each = \"class\"; },\n"),
	         "t.conf:5: for_each \"class\" is only for a tenant page, not exporter");
}
END_TEST

START_TEST(missing_keys_name_their_line)
{
	rejected("title = \"x\";\ngraphs = ();\n", "t.conf: no 'kind'");
	rejected("kind = \"link\";\ngraphs = ();\n", "t.conf: no 'title'");
	rejected("kind = \"link\";\ntitle = \"x\";\n", "t.conf: no 'graphs'");
	rejected("kind = \"board\";\ntitle = \"x\";\ngraphs = ();\n",
	         "t.conf:1: kind 'board' is not one of overview, tenant, link, exporter");
	rejected("kind = \"link\";\ntitle = \"x\";\ngraphs = (\n { title = \"t\"; items = ( { draw = \"COMMENT\"; text = \"a\"; } ); }\n);\n",
	         "t.conf:4: a graph has no 'name'");
	rejected("kind = \"link\";\ntitle = \"x\";\ngraphs = (\n { name = \"g\"; items = ( { draw = \"COMMENT\"; text = \"a\"; } ); }\n);\n",
	         "t.conf:4: graph 'g' has no 'title'");
	rejected("kind = \"link\";\ntitle = \"x\";\ngraphs = (\n { name = \"g\"; title = \"t\"; }\n);\n",
	         "t.conf:4: graph 'g' has no 'items'");
	rejected(PAGE("  { def = \"d\"; file = \"exporters/{exporter}.rrd\"; },\n"), "t.conf:4: graph 'g': a def item has no 'ds'");
	rejected(PAGE(DEF_D "  { vdef = \"v\"; of = \"d\"; function = \"PERCENT\"; },\n"),
	         "t.conf:5: graph 'g': vdef 'v' with PERCENT has no 'percent'");
	rejected(PAGE(DEF_D "  { value = \"d\"; },\n"), "t.conf:5: graph 'g': an item needs exactly one of def, cdef, vdef and draw");
	rejected(PAGE(DEF_D "  { draw = \"GPRINT\"; value = \"d\"; },\n"), "t.conf:5: graph 'g': a GPRINT element has no 'format'");
	rejected("kind = \"link\";\ntitle = \"x\";\ngraphs = ();\n", "t.conf:3: 'graphs' has 0 graphs");
}
END_TEST

START_TEST(other_item_errors_name_their_line)
{
	rejected(PAGE(DEF_D "  { vdef = \"v\"; of = \"d\"; function = \"MEDIAN\"; },\n"),
	         "t.conf:5: function 'MEDIAN' is not one of MAXIMUM, MINIMUM, AVERAGE");
	rejected(PAGE(DEF_D "  { vdef = \"v\"; of = \"d\"; function = \"PERCENT\"; percent = 101; },\n"),
	         "t.conf:5: 'percent' = 101 is not within 0..100");
	rejected(PAGE(DEF_D "  { vdef = \"v\"; of = \"d\"; function = \"TOTAL\"; percent = 5; },\n"),
	         "t.conf:5: 'percent' is only for PERCENT and PERCENTNAN, not TOTAL");
	rejected(PAGE(DEF_D "  { draw = \"GPRINT\"; value = \"d\"; format = \"%lf\"; },\n"),
	         "t.conf:5: 'value' 'd' must be a vdef");
	rejected(PAGE(DEF_D "  { vdef = \"v\"; of = \"d\"; function = \"LAST\"; },\n"
	              "  { draw = \"GPRINT\"; value = \"v\"; format = \"%s %lf\"; },\n"),
	         "t.conf:6: format '%s %lf' must hold one %lf");
	rejected(PAGE(DEF_D "  { vdef = \"v\"; of = \"d\"; function = \"LAST\"; },\n"
	              "  { draw = \"GPRINT\"; value = \"v\"; format = \"%lf %n\"; },\n"),
	         "t.conf:6: format '%lf %n' must hold one %lf");
	rejected(PAGE(DEF_D "  { draw = \"STACK\"; value = \"d\"; colour = \"#000000\"; },\n"),
	         "t.conf:5: draw 'STACK': write draw = \"AREA\" (or LINEn) with stack = true");
	rejected(PAGE(DEF_D "  { draw = \"AREA\"; value = \"d\"; colour = \"#000000\"; stack = true; },\n"),
	         "t.conf:5: graph 'g': stack = true, but no line or area is drawn before");
	rejected(PAGE(DEF_D "  { def = \"d\"; file = \"exporters/{exporter}.rrd\"; ds = \"records\"; },\n"),
	         "t.conf:5: graph 'g': 'd' is already defined");
	rejected(PAGE("  { def = \"MAX\"; file = \"exporters/{exporter}.rrd\"; ds = \"records\"; },\n"),
	         "t.conf:4: def 'MAX' is not a name");
	rejected(PAGE("  { def = \"rrd\"; file = \"exporters/{exporter}.rrd\"; ds = \"records\"; },\n"),
	         "t.conf:4: def 'rrd' is a word rrdtool's graph arguments keep for themselves");
	rejected(PAGE(DEF_D "  { vdef = \"start\"; of = \"d\"; function = \"FIRST\"; },\n"),
	         "t.conf:5: vdef 'start' is a word rrdtool's graph arguments keep");
	rejected(PAGE(DEF_D "  { draw = \"LINE1\"; value = \"nothing\"; colour = \"#000000\"; },\n"),
	         "t.conf:5: 'value' 'nothing' is not defined before");
	rejected("kind = \"tenant\";\ntitle = \"x\";\ngraphs = ( { name = \"g\"; title = \"t\"; items = (\n"
	         "  { def = \"c\"; file = \"tenants/{tenant}/{class}.rrd\"; ds = \"in_bytes\"; for_each = \"class\"; },\n"
	         "  { draw = \"AREA\"; value = \"c\"; colour = \"#000000\"; }\n) } );\n",
	         "t.conf:5: 'value' 'c' is defined for_each \"class\": only an item repeated the same way may use it");
	rejected("kind = \"exporter\";\ntitle = \"x\";\ngraphs = ( { name = \"g\"; title = \"t\";\n  width = 10;\n"
	         "  items = ( { draw = \"COMMENT\"; text = \"a\"; } ); } );\n",
	         "t.conf:4: 'width' = 10 is not within 200..4000");
	rejected("kind = \"exporter\";\ntitle = \"x\";\ngraphs = ( { name = \"g\"; title = \"t\";\n  top_tenants = 3;\n"
	         "  items = ( { draw = \"COMMENT\"; text = \"a\"; } ); } );\n",
	         "t.conf:4: 'top_tenants' is only for the overview, not exporter");
	rejected("kind = \"exporter\";\ntitle = \"x\";\ngraphs = ( { name = \"g\"; title = \"t\";\n  items = (\n"
	         "  { def = \"d\"; file = \"exporters/{exporter}.rrd\"; ds = \"datagrams\"; }\n); } );\n",
	         "t.conf:4: graph 'g' draws nothing");
	rejected("kind = \"exporter\";\ntitle = \"x\";\ngraphs = ( { name = \"G 1\"; title = \"t\";\n  items = ( "
	         "{ draw = \"COMMENT\"; text = \"a\"; } ); } );\n", "t.conf:3: graph name 'G 1' is not");
	rejected(PAGE(DEF_D "  { draw = \"COMMENT\"; text = \"a\\tb\"; },\n"), "t.conf:5: 'text' holds a control character");
}
END_TEST

START_TEST(two_graphs_of_one_name)
{
	rejected("kind = \"exporter\";\ntitle = \"x\";\ngraphs = (\n"
	         "  { name = \"g\"; title = \"t\"; items = ( { draw = \"COMMENT\"; text = \"a\"; } ); },\n"
	         "  { name = \"h\"; title = \"t\"; items = ( { draw = \"COMMENT\"; text = \"a\"; } ); },\n"
	         "  { name = \"g\"; title = \"t\"; items = ( { draw = \"COMMENT\"; text = \"a\"; } ); }\n);\n",
	         "t.conf:6: graph 'g' is already defined at line 4");
}
END_TEST

START_TEST(include_and_nul_are_refused)
{
	rejected("kind = \"exporter\";\n  @include \"/etc/passwd\"\n", "t.conf:2: @include: a definition is one file");
	static const char nul[] = "kind = \"exporter\";\ntitle = \"x\";\0graphs = ();\n";
	char path[] = "/tmp/ft-dash-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, nul, sizeof(nul) - 1), (ssize_t)(sizeof(nul) - 1));
	close(fd);
	ck_assert_int_eq(ft_dashboard_load(path, &dash, &diag), -EINVAL);
	unlink(path);
	ck_assert_ptr_null(dash);
	ck_assert(diag_has(":2: holds a NUL byte"));
}
END_TEST

START_TEST(syntax_error_names_its_line)
{
	rejected("kind = \"exporter\";\ntitle = \"x\";\ngraphs = (\n  { name = \"a\" }\n  { name = \"b\" }\n);\n",
	         "t.conf:5: syntax error");
}
END_TEST

/* Every error of a file is reported, in line order. */
START_TEST(every_error_in_line_order)
{
	int r = parse("kind = \"exporter\";\ntitle = \"x {y}\";\ngraphs = ( { name = \"g\"; title = \"t\"; items = (\n"
	              "  { def = \"d\"; file = \"exporters/{exporter}.rrd\"; ds = \"nope\"; },\n"
	              "  { cdef = \"e\"; rpn = \"1,BOGUS,+\"; },\n"
	              "  { draw = \"LINE1\"; value = \"d\"; colour = \"#GGGGGG\"; }\n"
	              ") } );\nextra = 1;\n");
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_uint_eq(diag.errors, 5);
	const char *want[] = { "t.conf:2: ", "t.conf:4: ", "t.conf:5: ", "t.conf:6: ", "t.conf:8: " };
	for (size_t i = 0; i < 5; i++)
		ck_assert_msg(strncmp(diag.lines[i], want[i], strlen(want[i])) == 0, "finding %zu: %s", i, diag.lines[i]);
}
END_TEST

/* One bad graph refuses its file; another file still parses, and its findings stay
 * apart (the caller renders the files that passed). */
START_TEST(one_bad_graph_refuses_only_its_file)
{
	char dir[] = "/tmp/ft-dash-XXXXXX", bad[4200], good[4200], path[4096];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
	FILE *f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("kind = \"exporter\";\ntitle = \"x\";\ngraphs = (\n"
	      "  { name = \"ok\"; title = \"t\"; items = ( { draw = \"COMMENT\"; text = \"a\"; } ); },\n"
	      "  { name = \"broken\"; title = \"t\"; items = (\n"
	      "      { draw = \"LINE2\"; value = 3; colour = \"#000\"; } ); }\n);\n", f);
	fclose(f);
	default_path("exporter.conf", path, sizeof(path));
	snprintf(good, sizeof(good), "%s", path);

	struct ft_dashboard *b = NULL, *g = NULL;
	ck_assert_int_eq(ft_dashboard_load(bad, &b, &diag), -EINVAL);
	ck_assert_ptr_null(b);
	size_t errors = diag.errors;
	ck_assert_uint_ge(errors, 1);
	char want[4300];
	snprintf(want, sizeof(want), "%s:6: 'value' must be a string", bad);
	if (!diag_has(want))
		dump();
	ck_assert(diag_has(want));
	snprintf(want, sizeof(want), "%s:6: colour '#000'", bad);
	ck_assert(diag_has(want));
	ck_assert_int_eq(ft_dashboard_load(good, &g, &diag), 0);
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(diag.errors, errors);
	ck_assert_int_eq(g->kind, FT_DASH_EXPORTER);
	ft_dashboard_free(g);
	unlink(bad);
	rmdir(dir);
}
END_TEST

START_TEST(missing_file_is_enoent)
{
	ck_assert_int_eq(ft_dashboard_load("/nonexistent/dash.conf", &dash, &diag), -ENOENT);
	ck_assert_ptr_null(dash);
	ck_assert(diag_has("/nonexistent/dash.conf: cannot read:"));
}
END_TEST

START_TEST(free_is_null_safe)
{
	ck_assert_ptr_null(ft_dashboard_free(NULL));
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("dashboard_def");
	TCase *tc = tcase_create("dashboard_def");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, overview_covers_the_issue);
	tcase_add_test(tc, tenant_page_covers_the_issue);
	tcase_add_test(tc, link_page_covers_the_issue);
	tcase_add_test(tc, exporter_page_covers_the_issue);
	tcase_add_test(tc, small_definition_is_read_exactly);
	tcase_add_test(tc, unknown_keys_name_their_line);
	tcase_add_test(tc, bad_colours_name_their_line);
	tcase_add_test(tc, unknown_ds_names_its_line);
	tcase_add_test(tc, bad_rpn_names_its_line);
	tcase_add_test(tc, placeholders_are_checked);
	tcase_add_test(tc, missing_keys_name_their_line);
	tcase_add_test(tc, other_item_errors_name_their_line);
	tcase_add_test(tc, two_graphs_of_one_name);
	tcase_add_test(tc, include_and_nul_are_refused);
	tcase_add_test(tc, syntax_error_names_its_line);
	tcase_add_test(tc, every_error_in_line_order);
	tcase_add_test(tc, one_bad_graph_refuses_only_its_file);
	tcase_add_test(tc, missing_file_is_enoent);
	tcase_add_test(tc, free_is_null_safe);
	suite_add_tcase(s, tc);
	return s;
}
