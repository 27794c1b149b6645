/* Drawing the dashboards (exporters/dashboard/render.c) from RRD files of the real
 * layout with known data: every image exists at the configured size; the vdef values
 * the graphs print equal librrd's own VDEFs over a day (where librrd does not reduce
 * the data) and, independently, the values computed here from the counts written, with
 * PERCENT as the nearest rank (the recharge's 95th); the numbers behind each element;
 * for_each expanded per class with its own names; the top tenants ranked; a missing
 * file is "no data yet"; an empty directory is an empty site; names with spaces and
 * non-ASCII characters make file names and links that work; and the set of definition
 * files keeps the good ones when one is broken. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/dashboard.h"

#define BIN 300
#define START 1798761600          /* 2027-01-01T00:00:00Z */
#define BINS 288                  /* the day drawn */
#define AT (START + BINS * BIN)

static char dir[256], rrd[300], out[300];

/* fontconfig, which librrd's text layout starts in the test's own librrd calls, keeps
 * its configuration for the life of the process: not a leak of flowtally's.  Any other
 * leak still fails the sanitizer build. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

/* A known count for bin k of series s (deterministic, spread over three orders of
 * magnitude); UINT64_MAX: the bin is unknown. */
static uint64_t count(unsigned s, size_t k)
{
	uint64_t x = (uint64_t)(k + 1) * 2654435761u ^ (uint64_t)(s + 7) * 40503u;
	x ^= x >> 13;
	x *= 0x9E3779B97F4A7C15ull;
	x ^= x >> 29;
	if (s == 0 && (k % 31 == 5))
		return UINT64_MAX;        /* 10 unknown bins of 288: N = 278, 278 mod 20 = 18 */
	return 1000 + x % (1000000 * (s + 1));
}

static void mkdirs(const char *p)
{
	char b[1000];
	snprintf(b, sizeof(b), "%s", p);
	for (char *q = b + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			mkdir(b, 0755);
			*q = '/';
		}
	mkdir(b, 0755);
}

/* tenants/NAME.rrd (or tenants/NAME/CLASS.rrd) with in_bytes from series s_in and
 * out_bytes from s_out, every other data source 1. */
static void make_tenant_file(const char *tenant, const char *cls, unsigned s_in, unsigned s_out)
{
	char enc[256], encc[256], path[900], err[600];
	ck_assert_int_gt(ft_rrd_name_encode(tenant, enc, sizeof(enc)), 0);
	if (cls) {
		ck_assert_int_gt(ft_rrd_name_encode(cls, encc, sizeof(encc)), 0);
		snprintf(path, sizeof(path), "%s/tenants/%s", rrd, enc);
		mkdirs(path);
		snprintf(path, sizeof(path), "%s/tenants/%s/%s.rrd", rrd, enc, encc);
	} else {
		snprintf(path, sizeof(path), "%s/tenants", rrd);
		mkdirs(path);
		snprintf(path, sizeof(path), "%s/tenants/%s.rrd", rrd, enc);
	}
	const char *const *names;
	size_t n_ds = ft_rrd_ds_names(FT_RRD_TENANT, &names);
	struct ft_rrd_store *st;
	ck_assert_int_eq(ft_rrd_store_open(NULL, NULL, &st), 0);
	ck_assert_msg(ft_rrd_store_create(st, path, FT_RRD_TENANT, BIN, FT_RRD_FINE_DAYS, START, false, err,
	                                  sizeof(err)) == 0, "%s", err);
	static char lines[BINS][256];
	const char *vp[BINS];
	for (size_t k = 0; k < BINS; k++) {
		int o = snprintf(lines[k], sizeof(lines[k]), "%d", START + (int)((k + 1) * BIN));
		for (size_t d = 0; d < n_ds; d++) {
			uint64_t v = strcmp(names[d], "in_bytes") == 0 ? count(s_in, k)
			           : strcmp(names[d], "out_bytes") == 0 ? count(s_out, k) : 1;
			if (v == UINT64_MAX)
				o += snprintf(lines[k] + o, sizeof(lines[k]) - (size_t)o, ":U");
			else
				o += snprintf(lines[k] + o, sizeof(lines[k]) - (size_t)o, ":%" PRIu64, v);
		}
		vp[k] = lines[k];
	}
	ck_assert_msg(ft_rrd_store_update(st, path, BINS, vp, err, sizeof(err)) == 0, "%s", err);
	ft_rrd_store_close(st);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ft-dash-render-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(rrd, sizeof(rrd), "%s/rrd", dir);
	snprintf(out, sizeof(out), "%s/site", dir);
	setenv("TZ", "Europe/London", 1);
}

static void teardown(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- what the test knows of the data ------------------------------------------------ */

/* in_bytes of series s as bits per second per bin, NaN when unknown. */
static void bits_of(unsigned s, double *v)
{
	for (size_t k = 0; k < BINS; k++) {
		uint64_t c = count(s, k);
		v[k] = c == UINT64_MAX ? NAN : (double)c / BIN * 8;
	}
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile: the smallest value with at least p % of the known
 * values at or below it. */
static double nearest_rank(const double *v, double p)
{
	double s[BINS];
	size_t n = 0;
	for (size_t k = 0; k < BINS; k++)
		if (!isnan(v[k]))
			s[n++] = v[k];
	qsort(s, n, sizeof(double), dcmp);
	for (size_t i = 0; i < n; i++) {
		size_t at_or_below = i + 1;
		while (at_or_below < n && s[at_or_below] == s[i])
			at_or_below++;
		if ((double)at_or_below * 100 >= p * (double)n)
			return s[i];
	}
	return NAN;
}

static bool close_to(double a, double b, double rel)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-300;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static const char tenant_def[] =
	"kind = \"tenant\"; title = \"T {tenant}\"; width = 640; height = 180;\n"
	"graphs = (\n"
	" { name = \"in\"; title = \"{tenant}: in\"; vertical_label = \"bits/s\"; lower_limit = 0;\n"
	"   items = (\n"
	"    { def = \"cin\"; file = \"tenants/{tenant}/{class}.rrd\"; ds = \"in_bytes\"; for_each = \"class\"; },\n"
	"    { cdef = \"cbits\"; rpn = \"cin,8,*\"; for_each = \"class\"; },\n"
	"    { vdef = \"cmax\"; of = \"cbits\"; function = \"MAXIMUM\"; for_each = \"class\"; },\n"
	"    { draw = \"AREA\"; value = \"cbits\"; stack = true; for_each = \"class\"; legend = \"{class}: x\";\n"
	"      colour = [ \"#112233\", \"#445566\" ]; },\n"
	"    { def = \"in\"; file = \"tenants/{tenant}.rrd\"; ds = \"in_bytes\"; },\n"
	"    { cdef = \"bits\"; rpn = \"in,8,*\"; },\n"
	"    { vdef = \"p95\"; of = \"bits\"; function = \"PERCENT\"; percent = 95; },\n"
	"    { vdef = \"pnan\"; of = \"bits\"; function = \"PERCENTNAN\"; percent = 95; },\n"
	"    { vdef = \"mx\"; of = \"bits\"; function = \"MAXIMUM\"; },\n"
	"    { vdef = \"mn\"; of = \"bits\"; function = \"MINIMUM\"; },\n"
	"    { vdef = \"av\"; of = \"bits\"; function = \"AVERAGE\"; },\n"
	"    { vdef = \"sd\"; of = \"bits\"; function = \"STDEV\"; },\n"
	"    { vdef = \"fi\"; of = \"bits\"; function = \"FIRST\"; },\n"
	"    { vdef = \"la\"; of = \"bits\"; function = \"LAST\"; },\n"
	"    { vdef = \"tot\"; of = \"in\"; function = \"TOTAL\"; },\n"
	"    { draw = \"LINE1\"; value = \"bits\"; colour = \"#000000\"; legend = \"all\\\\l\"; },\n"
	"    { draw = \"HRULE\"; value = \"p95\"; colour = \"#CC0000\"; legend = \"95th\"; },\n"
	"    { draw = \"GPRINT\"; value = \"p95\"; format = \"%6.2lf %sb/s\"; }\n"
	"   ); }\n"
	");\n";

static const char overview_def[] =
	"kind = \"overview\"; title = \"O\";\n"
	"graphs = (\n"
	" { name = \"total\"; title = \"all\"; items = (\n"
	"    { def = \"b\"; file = \"total.rrd\"; ds = \"bytes\"; },\n"
	"    { draw = \"LINE1\"; value = \"b\"; colour = \"#000000\"; } ); },\n"
	" { name = \"top\"; title = \"top\"; top_tenants = 1; items = (\n"
	"    { def = \"i\"; file = \"tenants/{tenant}.rrd\"; ds = \"in_bytes\"; for_each = \"tenant\"; },\n"
	"    { draw = \"AREA\"; value = \"i\"; stack = true; for_each = \"tenant\"; legend = \"{tenant}\";\n"
	"      colour = \"#3366CC\"; } ); }\n"
	");\n";

static struct ft_dashboard *parse_def(const char *text, const char *name)
{
	struct ft_dashboard *d = NULL;
	struct ft_diag diag = { 0 };
	int r = ft_dashboard_parse(text, name, &d, &diag);
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.lines[i]);
	ft_diag_done(&diag);
	ck_assert_int_eq(r, 0);
	return d;
}

static void render(struct ft_dashboard *defs[FT_DASH__KINDS], struct ft_dash_inventory *inv,
                   struct ft_dash_site *site, unsigned jobs)
{
	struct ft_diag diag = { 0 };
	ck_assert_int_eq(ft_dash_inventory_scan(rrd, inv, &diag), 0);
	struct ft_dash_opts o = { .rrd_dir = rrd, .out_dir = out, .at = AT, .zone = "Europe/London",
	                          .contract_day = 1, .jobs = jobs };
	o.spans[FT_DASH_DAY] = true;
	for (int k = 0; k < FT_DASH__KINDS; k++)
		o.defs[k] = defs[k];
	int r = ft_dash_render(&o, inv, site, &diag);
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.lines[i]);
	ft_diag_done(&diag);
	ck_assert_int_eq(r, 0);
}

static const struct ft_dash_page *page_of(const struct ft_dash_site *s, enum ft_dash_kind k, const char *subject)
{
	for (size_t i = 0; i < s->n_pages; i++)
		if (s->pages[i].kind == k && strcmp(s->pages[i].subject, subject) == 0)
			return &s->pages[i];
	return NULL;
}

static double value_of(const struct ft_dash_image *im, const char *name)
{
	for (size_t i = 0; i < im->n_values; i++)
		if (strcmp(im->values[i].name, name) == 0)
			return im->values[i].value;
	ck_abort_msg("no value '%s'", name);
	return NAN;
}

/* The PNG's size from its IHDR chunk. */
static void png_size(const char *rel, int *w, int *h)
{
	char path[900];
	unsigned char b[24];
	snprintf(path, sizeof(path), "%s/%s", out, rel);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s is missing", path);
	ck_assert_int_eq(fread(b, 1, sizeof(b), f), sizeof(b));
	fclose(f);
	ck_assert(memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0);
	*w = b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
	*h = b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
}

/* librrd's own VDEF function fn over in_bytes × 8 of path for the day (no reduction:
 * a day is fewer bins than the image is pixels wide). */
static double librrd_vdef(const char *path, const char *fn, bool bits)
{
	char def[900], cdef[64], vdef[128], print[64], s[32], e[32];
	snprintf(def, sizeof(def), "DEF:in=%s:in_bytes:AVERAGE", path);
	snprintf(cdef, sizeof(cdef), "CDEF:bits=in,8,*");
	snprintf(vdef, sizeof(vdef), "VDEF:v=%s,%s", bits ? "bits" : "in", fn);
	snprintf(print, sizeof(print), "PRINT:v:%%.17le");
	snprintf(s, sizeof(s), "%d", START);
	snprintf(e, sizeof(e), "%d", AT);
	char *argv[] = { "graph", "/dev/null", "--start", s, "--end", e, "--step", "300", "--width", "640", def, cdef,
		         vdef, print, NULL };
	optind = 0;
	rrd_clear_error();
	rrd_info_t *info = rrd_graph_v(14, argv);
	ck_assert_msg(info != NULL, "%s", rrd_get_error());
	double v = NAN;
	for (rrd_info_t *p = info; p; p = p->next)
		if (strcmp(p->key, "print[0]") == 0)
			v = strtod(p->value.u_str, NULL);
	rrd_info_free(info);
	return v;
}

/* ---- the tests ----------------------------------------------------------------------------- */

START_TEST(test_values_against_librrd_and_the_data)
{
	make_tenant_file("acme", NULL, 0, 1);
	make_tenant_file("acme", "internet", 2, 3);
	make_tenant_file("acme", "janet", 4, 5);
	struct ft_dashboard *defs[FT_DASH__KINDS] = { 0 };
	defs[FT_DASH_TENANT] = parse_def(tenant_def, "tenant.conf");
	struct ft_dash_inventory inv;
	struct ft_dash_site site;
	render(defs, &inv, &site, 2);
	ck_assert_uint_eq(inv.n_tenants, 1);
	ck_assert_uint_eq(inv.tenants[0].n_classes, 2);
	const struct ft_dash_page *pg = page_of(&site, FT_DASH_TENANT, "acme");
	ck_assert_ptr_nonnull(pg);
	ck_assert_str_eq(pg->file, "tenant=acme.day.html");
	ck_assert_str_eq(pg->title, "T acme");
	ck_assert_uint_eq(pg->n_images, 1);
	const struct ft_dash_image *im = &pg->images[0];
	ck_assert_msg(im->drawn, "%s", im->error);
	ck_assert_str_eq(im->title, "acme: in");
	ck_assert_int_eq(im->start, START);
	ck_assert_int_eq(im->end, AT);
	/* the configured size, as librrd says and as the file is */
	int w, h;
	png_size(im->file, &w, &h);
	ck_assert_int_eq(w, 640);
	ck_assert_int_eq(h, 180);
	ck_assert_int_eq(im->width, 640);
	ck_assert_int_eq(im->height, 180);

	char path[600];
	snprintf(path, sizeof(path), "%s/tenants/acme.rrd", rrd);
	double v[BINS];
	bits_of(0, v);
	/* against librrd's own VDEFs (over a day librrd does not reduce the rows) */
	static const struct { const char *name, *fn; bool bits; double rel; } fns[] = {
		{ "mx", "MAXIMUM", true, 1e-12 }, { "mn", "MINIMUM", true, 1e-12 }, { "av", "AVERAGE", true, 1e-12 },
		{ "sd", "STDEV", true, 1e-9 },   { "fi", "FIRST", true, 1e-12 },   { "la", "LAST", true, 1e-12 },
		{ "tot", "TOTAL", false, 1e-12 }, { "pnan", "95,PERCENTNAN", true, 1e-12 },
	};
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		double ours = value_of(im, fns[i].name), theirs = librrd_vdef(path, fns[i].fn, fns[i].bits);
		ck_assert_msg(close_to(ours, theirs, fns[i].rel), "%s: the graph printed %.17g, librrd's VDEF %.17g",
		              fns[i].fn, ours, theirs);
	}
	/* against the data written: the total is the bytes, the 95th the nearest rank */
	double total = 0, mx = -1;
	size_t n = 0;
	for (size_t k = 0; k < BINS; k++)
		if (count(0, k) != UINT64_MAX)
			total += (double)count(0, k), mx = fmax(mx, v[k]), n++;
	ck_assert_uint_eq(n, 278);
	ck_assert_msg(close_to(value_of(im, "tot"), total, 1e-12), "%.17g %.17g", value_of(im, "tot"), total);
	ck_assert(close_to(value_of(im, "mx"), mx, 1e-12));
	double p95 = nearest_rank(v, 95);
	ck_assert_msg(close_to(value_of(im, "p95"), p95, 1e-12), "PERCENT %.17g, nearest rank %.17g",
	              value_of(im, "p95"), p95);
	/* with 278 known values librrd's PERCENTNAN takes the value below the nearest rank:
	 * PERCENT is not it */
	ck_assert(value_of(im, "pnan") < value_of(im, "p95"));
	/* the bytes of the 95th bin, as the statement gives it */
	double bin_bytes = value_of(im, "p95") * BIN / 8;
	ck_assert(fabs(bin_bytes - round(bin_bytes)) < 1e-6);

	/* for_each class: one name per class, in name order, and the numbers behind */
	double ci[BINS], cj[BINS];
	bits_of(2, ci);
	bits_of(4, cj);
	ck_assert(close_to(value_of(im, "cmax-1"), nearest_rank(ci, 100), 1e-12));
	ck_assert(close_to(value_of(im, "cmax-2"), nearest_rank(cj, 100), 1e-12));
	ck_assert_uint_eq(im->n_series, 3);
	ck_assert_str_eq(im->series[0].label, "internet: x");
	ck_assert_str_eq(im->series[1].label, "janet: x");
	ck_assert_str_eq(im->series[2].label, "all");
	ck_assert_uint_eq(im->series[2].n, 278);
	ck_assert(close_to(im->series[2].p95, p95, 1e-12));
	ck_assert(close_to(im->series[0].max, nearest_rank(ci, 100), 1e-12));
	ck_assert_uint_eq(im->series[0].n, BINS);
	ck_assert_uint_eq(site.images, 1);
	ck_assert_uint_eq(site.failed, 0);

	ft_dash_site_free(&site);
	ft_dash_inventory_free(&inv);
	ft_dashboard_set_free(defs);
}
END_TEST

START_TEST(test_top_tenants_missing_files_and_names)
{
	/* series 5 is larger than series 0 on the whole: "Cyngor Môn & Co" ranks first */
	make_tenant_file("acme", NULL, 0, 1);
	make_tenant_file("Cyngor Môn & Co", NULL, 5, 5);
	struct ft_dashboard *defs[FT_DASH__KINDS] = { 0 };
	defs[FT_DASH_TENANT] = parse_def(tenant_def, "tenant.conf");
	defs[FT_DASH_OVERVIEW] = parse_def(overview_def, "overview.conf");
	struct ft_dash_inventory inv;
	struct ft_dash_site site;
	render(defs, &inv, &site, 1);
	ck_assert(!site.empty);
	const struct ft_dash_page *ov = page_of(&site, FT_DASH_OVERVIEW, "");
	ck_assert_ptr_nonnull(ov);
	ck_assert_str_eq(ov->file, "overview.day.html");
	/* total.rrd does not exist: that graph has no data yet, the other is drawn */
	ck_assert(!ov->images[0].drawn && ov->images[0].no_data);
	ck_assert_ptr_nonnull(strstr(ov->images[0].error, "total.rrd"));
	ck_assert_msg(ov->images[1].drawn, "%s", ov->images[1].error);
	ck_assert_uint_eq(ov->images[1].n_series, 1);
	ck_assert_str_eq(ov->images[1].series[0].label, "Cyngor Môn & Co");
	/* the name: its page file, and the link to it, escaped for a URL */
	const struct ft_dash_page *cy = page_of(&site, FT_DASH_TENANT, "Cyngor Môn & Co");
	ck_assert_ptr_nonnull(cy);
	ck_assert_str_eq(cy->file, "tenant=Cyngor%20M%C3%B4n%20%26%20Co.day.html");
	char href[600];
	ck_assert_int_eq(ft_dash_href(cy->file, href, sizeof(href)), 0);
	ck_assert_str_eq(href, "tenant=Cyngor%2520M%25C3%25B4n%2520%2526%2520Co.day.html");
	ck_assert_str_eq(cy->title, "T Cyngor Môn & Co");
	/* no class files: the class family is empty, the tenant's own line is drawn */
	ck_assert_msg(cy->images[0].drawn, "%s", cy->images[0].error);
	ck_assert_uint_eq(cy->images[0].n_series, 1);
	struct stat st;
	char path[900];
	snprintf(path, sizeof(path), "%s/%s", out, cy->images[0].file);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(site.no_data, 1);
	ck_assert_uint_eq(site.failed, 0);
	ft_dash_site_free(&site);
	ft_dash_inventory_free(&inv);
	ft_dashboard_set_free(defs);
}
END_TEST

START_TEST(test_empty_directory)
{
	struct ft_dashboard *defs[FT_DASH__KINDS] = { 0 };
	struct ft_diag diag = { 0 };
	ck_assert_int_eq(ft_dashboard_load_set(NULL, defs, &diag), 0);
	ck_assert_uint_eq(diag.errors, 0);
	for (int k = 0; k < FT_DASH__KINDS; k++)
		ck_assert_ptr_nonnull(defs[k]);
	ft_diag_done(&diag);
	struct ft_dash_inventory inv;
	struct ft_dash_site site;
	render(defs, &inv, &site, 0);
	ck_assert(site.empty);
	ck_assert_uint_eq(site.n_pages, 1);
	ck_assert_uint_eq(site.pages[0].n_images, 0);
	ck_assert_uint_eq(site.images + site.failed + site.no_data, 0);
	ft_dash_site_free(&site);
	ft_dash_inventory_free(&inv);
	ft_dashboard_set_free(defs);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_set_keeps_the_good_files)
{
	char d[400], p[500];
	snprintf(d, sizeof(d), "%s/defs", dir);
	mkdir(d, 0755);
	snprintf(p, sizeof(p), "%s/a-overview.conf", d);
	write_file(p, overview_def);
	snprintf(p, sizeof(p), "%s/b-tenant.conf", d);
	write_file(p, "kind = \"tenant\";\ntitle = \"x\";\ngraphs = ( { name = \"g\"; title = \"t\";\n"
	              "  items = ( { def = \"a\"; file = \"tenants/{tenant}.rrd\"; ds = \"in_bytez\"; } ); } );\n");
	snprintf(p, sizeof(p), "%s/c-overview.conf", d);
	write_file(p, overview_def);
	snprintf(p, sizeof(p), "%s/notes.txt", d);
	write_file(p, "not a definition");
	struct ft_dashboard *defs[FT_DASH__KINDS] = { 0 };
	struct ft_diag diag = { 0 };
	ck_assert_int_eq(ft_dashboard_load_set(d, defs, &diag), 0);
	ck_assert_ptr_nonnull(defs[FT_DASH_OVERVIEW]);
	ck_assert_ptr_null(defs[FT_DASH_TENANT]);
	ck_assert_ptr_null(defs[FT_DASH_LINK]);
	bool line4 = false, second = false;
	for (size_t i = 0; i < diag.n; i++) {
		line4 |= strstr(diag.lines[i], "b-tenant.conf:4:") && strstr(diag.lines[i], "in_bytez");
		second |= strstr(diag.lines[i], "c-overview.conf") && strstr(diag.lines[i], "second definition");
	}
	ck_assert_msg(line4, "the bad data source is not named at b-tenant.conf:4");
	ck_assert_msg(second, "a second overview definition is not refused");
	ck_assert_uint_eq(diag.errors, 3);     /* the data source, the graph left drawing nothing, the second */
	ft_diag_done(&diag);
	ft_dashboard_set_free(defs);
	snprintf(p, sizeof(p), "%s/missing", dir);
	ck_assert_int_eq(ft_dashboard_load_set(p, defs, &diag), -ENOENT);
	ck_assert_uint_eq(diag.errors, 1);
	ft_diag_done(&diag);
}
END_TEST

START_TEST(test_spans_and_files)
{
	/* 2026-10-15 12:00 UTC: the month from 2026-09-30T23:00Z (1 October, BST) */
	int64_t at = 1792065600;
	ck_assert_int_eq(ft_dash_span_start(FT_DASH_DAY, at, "Europe/London", 1), at - 86400);
	ck_assert_int_eq(ft_dash_span_start(FT_DASH_WEEK, at, "Europe/London", 1), at - 7 * 86400);
	ck_assert_int_eq(ft_dash_span_start(FT_DASH_YEAR, at, "Europe/London", 1), at - 365 * 86400);
	ck_assert_int_eq(ft_dash_span_start(FT_DASH_MONTH, at, "Europe/London", 1), 1790809200);
	/* at a month's end: that month, not the next */
	ck_assert_int_eq(ft_dash_span_start(FT_DASH_MONTH, 1793491200, "Europe/London", 1), 1790809200);
	/* a contract day of 20: from 20 September */
	ck_assert_int_eq(ft_dash_span_start(FT_DASH_MONTH, at, "Europe/London", 20), 1789858800);
	ck_assert_int_eq(ft_dash_span_parse("week"), FT_DASH_WEEK);
	ck_assert_int_eq(ft_dash_span_parse("fortnight"), -1);
	char f[300];
	ck_assert_int_eq(ft_dash_page_file(FT_DASH_LINK, "core-1", "ge-0/0/1", FT_DASH_YEAR, f, sizeof(f)), 0);
	ck_assert_str_eq(f, "link=core-1=ge-0%2F0%2F1.year.html");
	ck_assert_int_eq(ft_dash_page_file(FT_DASH_EXPORTER, "2001:db8::1-7", NULL, FT_DASH_DAY, f, sizeof(f)), 0);
	ck_assert_str_eq(f, "exporter=2001%3Adb8%3A%3A1-7.day.html");
	ck_assert_int_eq(ft_dash_href("a b'<>\"&?#.html", f, sizeof(f)), 0);
	ck_assert_str_eq(f, "a%20b%27%3C%3E%22%26%3F%23.html");
	ck_assert_int_eq(ft_dash_page_file(FT_DASH_OVERVIEW, NULL, NULL, FT_DASH_DAY, f, 8), -1);
}
END_TEST


/* interfaces/core-1/ge-0%2F0%2F1.rrd: in_bits from series 6 × 8 (bits), in_errors from
 * series 7 % 5, speed 1 Gb/s, the rest 0 or 1. */
static void make_link_file(void)
{
	char path[900], err[600];
	snprintf(path, sizeof(path), "%s/interfaces/core-1", rrd);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/interfaces/core-1/ge-0%%2F0%%2F1.rrd", rrd);
	const char *const *names;
	size_t n_ds = ft_rrd_ds_names(FT_RRD_INTERFACE, &names);
	struct ft_rrd_store *st;
	ck_assert_int_eq(ft_rrd_store_open(NULL, NULL, &st), 0);
	ck_assert_msg(ft_rrd_store_create(st, path, FT_RRD_INTERFACE, BIN, FT_RRD_FINE_DAYS, START, false, err,
	                                  sizeof(err)) == 0, "%s", err);
	static char lines[BINS][400];
	const char *vp[BINS];
	for (size_t k = 0; k < BINS; k++) {
		int o = snprintf(lines[k], sizeof(lines[k]), "%d", START + (int)((k + 1) * BIN));
		for (size_t d = 0; d < n_ds; d++) {
			uint64_t v = strcmp(names[d], "in_bits") == 0 ? count(6, k) * 8
			           : strcmp(names[d], "in_errors") == 0 ? count(7, k) % 5
			           : strcmp(names[d], "speed") == 0 ? 1000000000u : strcmp(names[d], "oper_status") == 0;
			o += snprintf(lines[k] + o, sizeof(lines[k]) - (size_t)o, ":%" PRIu64, v);
		}
		vp[k] = lines[k];
	}
	ck_assert_msg(ft_rrd_store_update(st, path, BINS, vp, err, sizeof(err)) == 0, "%s", err);
	ft_rrd_store_close(st);
}

START_TEST(test_link_page)
{
	make_link_file();
	struct ft_dashboard *defs[FT_DASH__KINDS] = { 0 };
	struct ft_diag diag = { 0 };
	ck_assert_int_eq(ft_dashboard_load_set(NULL, defs, &diag), 0);
	ft_diag_done(&diag);
	struct ft_dash_inventory inv;
	struct ft_dash_site site;
	render(defs, &inv, &site, 2);
	ck_assert_uint_eq(inv.n_links, 1);
	ck_assert_str_eq(inv.links[0].interface, "ge-0/0/1");
	const struct ft_dash_page *pg = page_of(&site, FT_DASH_LINK, "core-1 ge-0/0/1");
	ck_assert_ptr_nonnull(pg);
	ck_assert_str_eq(pg->file, "link=core-1=ge-0%2F0%2F1.day.html");
	const struct ft_dash_image *traffic = NULL, *util = NULL, *errs = NULL;
	for (size_t i = 0; i < pg->n_images; i++) {
		ck_assert_msg(pg->images[i].drawn, "%s: %s", pg->images[i].graph, pg->images[i].error);
		if (strcmp(pg->images[i].graph, "traffic") == 0)
			traffic = &pg->images[i];
		else if (strcmp(pg->images[i].graph, "utilisation") == 0)
			util = &pg->images[i];
		else if (strcmp(pg->images[i].graph, "errors") == 0)
			errs = &pg->images[i];
	}
	ck_assert(traffic && util && errs);
	ck_assert_str_eq(traffic->title, "core-1 ge-0/0/1: traffic");
	/* b/s: the bits of a bin over 300 s; per cent of 1 Gb/s */
	double bps[BINS], pct[BINS], errors = 0;
	for (size_t k = 0; k < BINS; k++) {
		bps[k] = (double)(count(6, k) * 8) / BIN;
		pct[k] = bps[k] / 1e9 * 100;
		errors += (double)(count(7, k) % 5);
	}
	ck_assert(close_to(value_of(traffic, "in_p95"), nearest_rank(bps, 95), 1e-12));
	ck_assert(close_to(value_of(util, "in_p95"), nearest_rank(pct, 95), 1e-12));
	ck_assert(close_to(value_of(util, "in_peak"), nearest_rank(pct, 100), 1e-12));
	ck_assert_msg(close_to(value_of(errs, "in_err_total"), errors, 1e-12), "%.17g %.17g",
	              value_of(errs, "in_err_total"), errors);
	ft_dash_site_free(&site);
	ft_dash_inventory_free(&inv);
	ft_dashboard_set_free(defs);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("dashboard_render");
	TCase *tc = tcase_create("render");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_values_against_librrd_and_the_data);
	tcase_add_test(tc, test_top_tenants_missing_files_and_names);
	tcase_add_test(tc, test_empty_directory);
	tcase_add_test(tc, test_set_keeps_the_good_files);
	tcase_add_test(tc, test_spans_and_files);
	tcase_add_test(tc, test_link_page);
	suite_add_tcase(s, tc);
	return s;
}
