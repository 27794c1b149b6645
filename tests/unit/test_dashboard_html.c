/* The dashboards' pages (exporters/dashboard/html.c) from a site built by hand: every
 * page is written, every link and image source leads to a file of the folder (and a
 * #fragment to an id there), nothing outside it is referred to and there is no script,
 * images carry alt text and their size, a graph not drawn shows why instead, data is
 * escaped, the figures read as the table promises, the period switch marks the page
 * shown, an empty site says so, two writes give the same bytes and a folder that cannot
 * be written is an error naming the file. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/dashboard.h"

#define AWKWARD "Cyngor Sir Ynys M\xc3\xb4n & Co <x>"
#define AWKWARD_HTML "Cyngor Sir Ynys M\xc3\xb4n &amp; Co &lt;x&gt;"
#define PROBLEM "dashboards/tenant.conf:12: unknown key 'colr' <b>"
#define PROBLEM_HTML "dashboards/tenant.conf:12: unknown key &#39;colr&#39; &lt;b&gt;"
#define NOT_DRAWN "opening 'total.rrd': No such file <or> directory"
#define NOT_DRAWN_HTML "opening &#39;total.rrd&#39;: No such file &lt;or&gt; directory"
#define AT 1796202900               /* 2026-12-02 09:15 UTC */
#define MAX_PAGES 16

static struct ft_dash_site site;
static struct ft_dash_page pages[MAX_PAGES];
static struct ft_dash_image images[MAX_PAGES][2];
static struct ft_dash_series series[MAX_PAGES][2];
static struct ft_dash_value values[MAX_PAGES][1];
static char base[64], dir[80];

/* ---- the site ------------------------------------------------------------------------------ */

static void image(struct ft_dash_page *p, size_t k, const char *graph, bool drawn)
{
	struct ft_dash_image *im = &images[p - pages][k];
	char stem[512];
	snprintf(stem, sizeof(stem), "%s", p->file);
	*strrchr(stem, '.') = '\0';         /* ".html" */
	*im = (struct ft_dash_image){ .period = FT_DASH_PERIOD_PAGE, .start = AT - 86400, .end = AT,
		                      .width = 897, .height = 311, .drawn = drawn };
	snprintf(im->graph, sizeof(im->graph), "%s", graph);
	ck_assert_uint_lt((size_t)snprintf(im->file, sizeof(im->file), "img/%s.%s.png", stem, graph), sizeof(im->file));
	ck_assert_uint_lt((size_t)snprintf(im->title, sizeof(im->title), "%s: %s", p->subject[0] ? p->subject : "All traffic",
	                                   graph), sizeof(im->title));
	snprintf(im->vertical_label, sizeof(im->vertical_label), "bits per second");
	if (drawn) {
		struct ft_dash_series *s = series[p - pages];
		s[0] = (struct ft_dash_series){ "in <&>", 8640, 12345678, -0.0, 25e6, 2e7, 0.0045 };
		s[1] = (struct ft_dash_series){ "out", 0, NAN, NAN, NAN, NAN, NAN };
		snprintf(s[1].label, sizeof(s[1].label), "out");
		im->series = s;
		im->n_series = 2;
		values[p - pages][0] = (struct ft_dash_value){ "in_p95", 999960 };
		im->values = values[p - pages];
		im->n_values = 1;
	} else {
		snprintf(im->error, sizeof(im->error), NOT_DRAWN);
	}
	p->n_images = k + 1;
}

static struct ft_dash_page *page(enum ft_dash_kind k, const char *a, const char *b, enum ft_dash_span s)
{
	ck_assert_uint_lt(site.n_pages, MAX_PAGES);
	struct ft_dash_page *p = &pages[site.n_pages++];
	*p = (struct ft_dash_page){ .kind = k, .span = s, .images = images[p - pages] };
	ck_assert_int_eq(ft_dash_page_file(k, a, b, s, p->file, sizeof(p->file)), 0);
	if (k == FT_DASH_LINK)
		snprintf(p->subject, sizeof(p->subject), "%s %s", a, b);
	else if (a)
		snprintf(p->subject, sizeof(p->subject), "%s", a);
	snprintf(p->title, sizeof(p->title), "%s %s", k == FT_DASH_OVERVIEW ? "flowtally overview" : ft_dash_kind_name(k),
	         a ? a : "");
	return p;
}

/* Two spans, each with an overview (its second graph not drawn), two tenants (one of
 * them awkwardly named), a link and an exporter; one problem. */
static void build(void)
{
	static struct ft_dash_problem problem = { PROBLEM };
	memset(&site, 0, sizeof(site));
	site.spans[0] = FT_DASH_DAY;
	site.spans[1] = FT_DASH_WEEK;
	site.n_spans = 2;
	site.at = AT;
	snprintf(site.generated, sizeof(site.generated), "2026-12-02 09:15 GMT");
	snprintf(site.version, sizeof(site.version), "0.1.0");
	site.pages = pages;
	site.problems = &problem;
	site.n_problems = 1;
	for (size_t i = 0; i < site.n_spans; i++) {
		enum ft_dash_span s = site.spans[i];
		struct ft_dash_page *p = page(FT_DASH_OVERVIEW, NULL, NULL, s);
		image(p, 0, "total", true);
		image(p, 1, "latency", false);
		image(page(FT_DASH_TENANT, "alpha", NULL, s), 0, "in", true);
		image(page(FT_DASH_TENANT, AWKWARD, NULL, s), 0, "in", true);
		image(page(FT_DASH_LINK, "sw1", "ge-0/0/1", s), 0, "traffic", true);
		image(page(FT_DASH_EXPORTER, "127.0.0.1-256", NULL, s), 0, "records", true);
	}
	site.images = 10;
	site.failed = 2;
}

/* ---- files --------------------------------------------------------------------------------- */

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[1024];
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

/* Each case's folder is in one made for the suite, which the runner's own process
 * removes, so that a failed case (its process ends at the failure) leaves nothing. */
static void suite_setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(base, sizeof(base), "%s/ft_dash_html_XXXXXX", t && strlen(t) < 30 ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(base));
}

static void suite_teardown(void)
{
	rm_tree(base);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/case_XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	rm_tree(dir);
}

/* dir/name, whole, NUL-terminated; NULL when it cannot be read. */
static char *slurp(const char *d, const char *name)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", d, name);
	FILE *f = fopen(p, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static bool exists(const char *d, const char *name)
{
	char p[2048];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", d, name);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The pages written (*.html in dir), sorted; returns how many. */
static size_t html_files(const char *d, char names[][512], size_t max)
{
	DIR *dd = opendir(d);
	struct dirent *e;
	size_t n = 0;
	ck_assert_ptr_nonnull(dd);
	while ((e = readdir(dd)) && n < max) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".html") == 0)
			snprintf(names[n++], 512, "%s", e->d_name);
	}
	closedir(dd);
	qsort(names, n, 512, (int (*)(const void *, const void *))strcmp);
	return n;
}

static int write_site(const char *d)
{
	char err[256] = "";
	int r = ft_dash_html_write(&site, d, err, sizeof(err));
	if (r)
		fprintf(stderr, "test_dashboard_html: %s\n", err);
	return r;
}

/* The dummy images the pages show, so that their sources can be followed. */
static void make_images(void)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/img", dir);
	ck_assert_int_eq(mkdir(p, 0777), 0);
	for (size_t i = 0; i < site.n_pages; i++)
		for (size_t k = 0; k < pages[i].n_images; k++) {
			snprintf(p, sizeof(p), "%s/%s", dir, pages[i].images[k].file);
			FILE *f = fopen(p, "w");
			ck_assert_ptr_nonnull(f);
			fputs("png", f);
			fclose(f);
		}
}

/* ---- HTML ---------------------------------------------------------------------------------- */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A URL's %XX undone; false for a bad escape. */
static bool unescape(const char *u, char *out, size_t size)
{
	size_t o = 0;
	for (; *u && o + 1 < size; u++) {
		if (*u != '%') {
			out[o++] = *u;
			continue;
		}
		int h = hexval(u[1]), l = h < 0 ? -1 : hexval(u[2]);
		if (l < 0)
			return false;
		out[o++] = (char)(h * 16 + l);
		u += 2;
	}
	out[o] = '\0';
	return !*u;
}

/* Every attr="..." value of html in turn: *pos is where to look next. */
static bool next_attr(const char *html, const char *attr, const char **pos, char *val, size_t size)
{
	char key[16];
	snprintf(key, sizeof(key), " %s=\"", attr);
	const char *p = strstr(*pos ? *pos : html, key);
	if (!p)
		return false;
	p += strlen(key);
	const char *q = strchr(p, '"');
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_lt((size_t)(q - p), size);
	memcpy(val, p, (size_t)(q - p));
	val[q - p] = '\0';
	*pos = q;
	return true;
}

/* The link or source u of page `from` leads to a file of d, and its #fragment (if
 * any) to an id on that page. */
static void resolves(const char *d, const char *from, const char *u)
{
	char path[1024], id[128];
	ck_assert_msg(!strstr(u, "//") && !strchr(u, ':') && u[0] != '/', "%s: %s is not a relative file", from, u);
	ck_assert_msg(!strstr(u, "&"), "%s: %s holds an entity", from, u);
	const char *hash = strchr(u, '#');
	size_t n = hash ? (size_t)(hash - u) : strlen(u);
	char file[1024];
	memcpy(file, u, n);
	file[n] = '\0';
	ck_assert_msg(unescape(file, path, sizeof(path)), "%s: %s: a bad escape", from, u);
	if (!path[0])
		snprintf(path, sizeof(path), "%s", from);
	ck_assert_msg(exists(d, path), "%s: %s leads to %s, which is not there", from, u, path);
	if (!hash)
		return;
	char *target = slurp(d, path);
	snprintf(id, sizeof(id), " id=\"%s\"", hash + 1);
	ck_assert_msg(strstr(target, id), "%s: %s: no such id on %s", from, u, path);
	free(target);
}

/* The <img> tags of html, each with alt text, width and height. */
static size_t check_images(const char *name, const char *html)
{
	size_t n = 0;
	for (const char *p = html; (p = strstr(p, "<img")); p++, n++) {
		const char *end = strchr(p, '>');
		ck_assert_ptr_nonnull(end);
		char tag[4096];
		ck_assert_uint_lt((size_t)(end - p), sizeof(tag));
		memcpy(tag, p, (size_t)(end - p));
		tag[end - p] = '\0';
		ck_assert_msg(strstr(tag, " alt=\"") && !strstr(tag, " alt=\"\""), "%s: an image without alt text", name);
		ck_assert_msg(strstr(tag, " width=\"897\" height=\"311\""), "%s: an image without its size: %s", name, tag);
	}
	return n;
}

/* h1 first and once, and no level skipped going down. */
static void headings_in_order(const char *name, const char *html)
{
	int last = 0, h1 = 0;
	for (const char *p = html; (p = strstr(p, "<h")); p++) {
		if (p[2] < '1' || p[2] > '6' || (p[3] != '>' && p[3] != ' '))
			continue;
		int level = p[2] - '0';
		ck_assert_msg(level <= last + 1, "%s: h%d after h%d", name, level, last);
		h1 += level == 1;
		last = level;
	}
	ck_assert_msg(h1 == 1, "%s: %d h1", name, h1);
}

static bool has(const char *d, const char *name, const char *needle)
{
	char *s = slurp(d, name);
	ck_assert_msg(s != NULL, "%s is missing", name);
	bool r = strstr(s, needle) != NULL;
	free(s);
	return r;
}

/* ---- cases --------------------------------------------------------------------------------- */

START_TEST(every_page_is_written)
{
	build();
	ck_assert_int_eq(write_site(dir), 0);
	ck_assert(exists(dir, "index.html"));
	for (size_t i = 0; i < site.n_pages; i++)
		ck_assert_msg(exists(dir, pages[i].file), "%s is missing", pages[i].file);
	char names[32][512];
	ck_assert_uint_eq(html_files(dir, names, 32), site.n_pages + 1);
	/* the awkward names make awkward files, which the links must still reach */
	ck_assert(exists(dir, "tenant=Cyngor%20Sir%20Ynys%20M%C3%B4n%20%26%20Co%20%3Cx%3E.day.html"));
	ck_assert(exists(dir, "link=sw1=ge-0%2F0%2F1.week.html"));
	/* and no temporary file is left */
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d)))
		ck_assert_msg(e->d_name[0] != '.' || !e->d_name[1] || strcmp(e->d_name, "..") == 0, "left: %s",
		              e->d_name);
	closedir(d);
}
END_TEST

START_TEST(every_link_and_image_is_in_the_folder)
{
	build();
	make_images();
	ck_assert_int_eq(write_site(dir), 0);
	char names[32][512], u[2048];
	size_t n = html_files(dir, names, 32), links = 0, srcs = 0;
	for (size_t i = 0; i < n; i++) {
		char *html = slurp(dir, names[i]);
		const char *pos = NULL;
		while (next_attr(html, "href", &pos, u, sizeof(u)))
			resolves(dir, names[i], u), links++;
		pos = NULL;
		while (next_attr(html, "src", &pos, u, sizeof(u))) {
			resolves(dir, names[i], u), srcs++;
			ck_assert_msg(strncmp(u, "img/", 4) == 0, "%s: %s", names[i], u);
		}
		ck_assert_msg(!strcasestr(html, "<script") && !strcasestr(html, "javascript:") &&
		              !strcasestr(html, "http:") && !strcasestr(html, "https:") && !strcasestr(html, "url(") &&
		              !strcasestr(html, "@import") && !strcasestr(html, "<link"),
		              "%s refers to something outside the folder or runs a script", names[i]);
		ck_assert_msg(strstr(html, "<html lang=\"en\">") && strstr(html, "<meta charset=\"utf-8\">"), "%s",
		              names[i]);
		ck_assert_uint_eq(check_images(names[i], html), 1);
		headings_in_order(names[i], html);
		free(html);
	}
	ck_assert_uint_ge(links, n * 7);
	ck_assert_uint_eq(srcs, n);         /* one drawn image a page; the one not drawn has none */
}
END_TEST

START_TEST(images_are_the_files_given)
{
	build();
	ck_assert_int_eq(write_site(dir), 0);
	char u[2048], file[1024];
	for (size_t i = 0; i < site.n_pages; i++) {
		char *html = slurp(dir, pages[i].file);
		const char *pos = NULL;
		size_t k = 0;
		while (next_attr(html, "src", &pos, u, sizeof(u))) {
			ck_assert(unescape(u, file, sizeof(file)));
			ck_assert_str_eq(file, pages[i].images[k++].file);
		}
		ck_assert_uint_eq(k, 1);
		free(html);
	}
	/* the encoded name's '%' is escaped in the URL */
	ck_assert(has(dir, "tenant=Cyngor%20Sir%20Ynys%20M%C3%B4n%20%26%20Co%20%3Cx%3E.day.html",
	              " src=\"img/tenant=Cyngor%2520Sir%2520Ynys%2520M%25C3%25B4n%2520%2526%2520Co%2520"
	              "%253Cx%253E.day.in.png\""));
}
END_TEST

START_TEST(a_graph_not_drawn_says_why)
{
	build();
	ck_assert_int_eq(write_site(dir), 0);
	char *html = slurp(dir, "overview.day.html");
	ck_assert_ptr_nonnull(strstr(html, "<h2>All traffic: latency</h2>"));
	ck_assert_ptr_nonnull(strstr(html, "<strong>Not drawn:</strong> " NOT_DRAWN_HTML "</p>"));
	ck_assert_ptr_null(strstr(html, "latency.png"));
	ck_assert_ptr_null(strstr(html, "<or>"));
	free(html);
}
END_TEST

START_TEST(data_is_escaped)
{
	build();
	ck_assert_int_eq(write_site(dir), 0);
	const char *f = "tenant=Cyngor%20Sir%20Ynys%20M%C3%B4n%20%26%20Co%20%3Cx%3E.day.html";
	ck_assert(has(dir, f, "<h1>tenant " AWKWARD_HTML "</h1>"));
	ck_assert(has(dir, f, "<title>tenant " AWKWARD_HTML " (Day)</title>"));
	ck_assert(has(dir, "overview.day.html", ">" AWKWARD_HTML "</a></li>"));
	ck_assert(has(dir, f, "<th scope=\"row\">in &lt;&amp;&gt;</th>"));
	char names[32][512];
	size_t n = html_files(dir, names, 32);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(!has(dir, names[i], "<x>") && !has(dir, names[i], "<b>") && !has(dir, names[i], "<&>"),
		              "%s: unescaped data", names[i]);
	}
}
END_TEST

START_TEST(problems_show_on_the_overview)
{
	build();
	ck_assert_int_eq(write_site(dir), 0);
	const char *want = "<h2>Problems</h2>\n<ul>\n<li>" PROBLEM_HTML "</li>";
	ck_assert(has(dir, "index.html", want));
	ck_assert(has(dir, "overview.day.html", want));
	ck_assert(has(dir, "overview.week.html", want));
	ck_assert(!has(dir, "tenant=alpha.day.html", "Problems"));
	ck_assert(!has(dir, "index.html", "No data yet"));
}
END_TEST

/* The table's figures: SI prefixes, four significant figures, "no data" for unknown
 * values; the alt text sums up the first series in the graph's unit. */
START_TEST(figures_read_plainly)
{
	build();
	ck_assert_int_eq(write_site(dir), 0);
	const char *f = "tenant=alpha.day.html";
	ck_assert(has(dir, f, "<caption>The numbers behind the graph, in bits per second</caption>"));
	ck_assert(has(dir, f, "<tr><th scope=\"row\">in &lt;&amp;&gt;</th><td>8,640</td><td>12.35 M</td><td>0</td>"
	                      "<td>25 M</td><td>20 M</td><td>4.5 m</td></tr>"));
	ck_assert(has(dir, f, "<tr><th scope=\"row\">out</th><td>0</td><td>no data</td><td>no data</td>"
	                      "<td>no data</td><td>no data</td><td>no data</td></tr>"));
	ck_assert(has(dir, f, "<tr><th scope=\"row\">in_p95</th><td>1 M</td></tr>"));
	ck_assert(has(dir, f, " alt=\"alpha: in, the last day (2026-12-01 09:15 UTC to 2026-12-02 09:15 UTC): "
	                      "in &lt;&amp;&gt; 95th percentile 20 M bits per second, maximum 25 M bits per second; "
	                      "out no data\""));
	ck_assert(has(dir, f, "<footer>\n<p>Generated 2026-12-02 09:15 GMT by flowtally 0.1.0"));
}
END_TEST

START_TEST(the_period_switch_marks_the_page)
{
	build();
	ck_assert_int_eq(write_site(dir), 0);
	ck_assert(has(dir, "tenant=alpha.day.html",
	              "<li><a href=\"tenant=alpha.day.html\" aria-current=\"page\">Day</a></li>\n"
	              "<li><a href=\"tenant=alpha.week.html\">Week</a></li>"));
	ck_assert(has(dir, "tenant=alpha.week.html",
	              "<li><a href=\"tenant=alpha.day.html\">Day</a></li>\n"
	              "<li><a href=\"tenant=alpha.week.html\" aria-current=\"page\">Week</a></li>"));
	ck_assert(has(dir, "tenant=alpha.week.html", "<li><a href=\"overview.week.html\">Overview</a></li>"));
	ck_assert(has(dir, "tenant=alpha.week.html", "<li><a href=\"overview.week.html#links\">Links</a></li>"));
	ck_assert(has(dir, "link=sw1=ge-0%2F0%2F1.day.html", "<a href=\"link=sw1=ge-0%252F0%252F1.week.html\">Week</a>"));
	/* a subject missing from a span is named there, not linked */
	site.n_pages--;                     /* the week's exporter */
	ck_assert_int_eq(write_site(dir), 0);
	ck_assert(has(dir, "exporter=127.0.0.1-256.day.html", "<li class=\"none\">Week</li>"));
}
END_TEST

START_TEST(index_is_the_first_overview)
{
	build();
	ck_assert_int_eq(write_site(dir), 0);
	char *a = slurp(dir, "index.html"), *b = slurp(dir, "overview.day.html");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(an_empty_site_says_so)
{
	memset(&site, 0, sizeof(site));
	site.spans[0] = FT_DASH_WEEK;
	site.spans[1] = FT_DASH_MONTH;
	site.n_spans = 2;
	site.at = AT;
	site.empty = true;
	ck_assert_int_eq(write_site(dir), 0);
	ck_assert(has(dir, "index.html", "<strong>No data yet.</strong>"));
	ck_assert(has(dir, "index.html", "flowtallyd writes them"));
	ck_assert(has(dir, "overview.month.html", "No data yet"));
	ck_assert(has(dir, "index.html", "<a href=\"overview.week.html\" aria-current=\"page\">Week</a>"));
	ck_assert(has(dir, "index.html", "<a href=\"overview.month.html\">Month</a>"));
	ck_assert(has(dir, "index.html", "<section id=\"tenants\">\n<h2>Tenants</h2>\n<p class=\"none\">None.</p>"));
	ck_assert(!has(dir, "index.html", "<img"));
	ck_assert(has(dir, "index.html", "<p>Generated by flowtally: 0 graphs drawn, 0 not drawn.</p>"));
	char names[8][512];
	ck_assert_uint_eq(html_files(dir, names, 8), 3);
}
END_TEST

START_TEST(identical_sites_give_identical_bytes)
{
	char other[160], names[32][512];
	build();
	ck_assert_int_eq(write_site(dir), 0);
	snprintf(other, sizeof(other), "%s/again", dir);
	ck_assert_int_eq(write_site(other), 0);
	size_t n = html_files(dir, names, 32);
	ck_assert_uint_eq(n, site.n_pages + 1);
	for (size_t i = 0; i < n; i++) {
		char *a = slurp(dir, names[i]), *b = slurp(other, names[i]);
		ck_assert_msg(b && strcmp(a, b) == 0, "%s differs", names[i]);
		free(a);
		free(b);
	}
	/* written over itself: the same again */
	char *before = slurp(dir, "index.html");
	ck_assert_int_eq(write_site(dir), 0);
	char *after = slurp(dir, "index.html");
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(an_unwritable_folder_is_an_error)
{
	char p[256], err[256];
	build();
	/* below a regular file: even root cannot */
	snprintf(p, sizeof(p), "%s/plain", dir);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/plain/site", dir);
	ck_assert_int_eq(ft_dash_html_write(&site, p, err, sizeof(err)), -ENOTDIR);
	ck_assert_ptr_nonnull(strstr(err, "/plain/site"));
	/* a page that cannot take the place of what is there: the file is named, nothing left behind */
	snprintf(p, sizeof(p), "%s/site", dir);
	ck_assert_int_eq(mkdir(p, 0777), 0);
	snprintf(p, sizeof(p), "%s/site/index.html", dir);
	ck_assert_int_eq(mkdir(p, 0777), 0);
	snprintf(p, sizeof(p), "%s/site", dir);
	int r = ft_dash_html_write(&site, p, err, sizeof(err));
	ck_assert_msg(r == -EISDIR || r == -EEXIST || r == -ENOTEMPTY, "%d: %s", r, err);
	ck_assert_ptr_nonnull(strstr(err, "/site/index.html: "));
	char names[32][512];
	ck_assert_uint_eq(html_files(p, names, 32), site.n_pages + 1);   /* the pages, and the directory */
	ck_assert(exists(p, "tenant=alpha.day.html"));
	/* a folder without write permission, where permissions bind */
	if (geteuid() != 0) {
		snprintf(p, sizeof(p), "%s/ro", dir);
		ck_assert_int_eq(mkdir(p, 0555), 0);
		ck_assert_int_eq(ft_dash_html_write(&site, p, err, sizeof(err)), -EACCES);
		ck_assert_ptr_nonnull(strstr(err, "/ro/"));
		chmod(p, 0755);
	}
	/* no span: nothing to write */
	site.n_spans = 0;
	ck_assert_int_eq(ft_dash_html_write(&site, dir, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(a_page_outside_the_folder_is_refused)
{
	char err[256], p[256];
	build();
	snprintf(pages[3].file, sizeof(pages[3].file), "../escape.html");
	ck_assert_int_eq(ft_dash_html_write(&site, dir, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "../escape.html"));
	snprintf(p, sizeof(p), "%s/../escape.html", dir);
	ck_assert_int_ne(access(p, F_OK), 0);
}
END_TEST

/* The tags nest and close (void elements aside), read by Python's html.parser: run when
 * python3 is there. */
static const char checker[] =
	"import sys, os, html.parser\n"
	"VOID = {'meta','br','img','hr','wbr','link','input','source'}\n"
	"class P(html.parser.HTMLParser):\n"
	"    def __init__(s):\n"
	"        super().__init__(convert_charrefs=True); s.stack = []; s.bad = []\n"
	"    def handle_starttag(s, t, a):\n"
	"        if t not in VOID: s.stack.append(t)\n"
	"    def handle_endtag(s, t):\n"
	"        if t in VOID: return\n"
	"        if not s.stack or s.stack[-1] != t: s.bad.append((t, list(s.stack))); return\n"
	"        s.stack.pop()\n"
	"bad = 0\n"
	"for n in sorted(os.listdir(sys.argv[1])):\n"
	"    if not n.endswith('.html'): continue\n"
	"    p = P(); p.feed(open(os.path.join(sys.argv[1], n), encoding='utf-8').read()); p.close()\n"
	"    if p.bad or p.stack: print(n, p.bad, p.stack); bad = 1\n"
	"sys.exit(bad)\n";

START_TEST(the_documents_parse)
{
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return;                 /* no python3: the other cases stand */
	char site_dir[256], py[256], cmd[640];
	build();
	snprintf(site_dir, sizeof(site_dir), "%s/site", dir);
	ck_assert_int_eq(write_site(site_dir), 0);
	snprintf(py, sizeof(py), "%s/check.py", dir);
	FILE *f = fopen(py, "w");
	ck_assert_ptr_nonnull(f);
	fputs(checker, f);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "timeout 30 python3 %s %s", py, site_dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("dashboard_html");
	TCase *tc = tcase_create("dashboard_html");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_page_is_written);
	tcase_add_test(tc, every_link_and_image_is_in_the_folder);
	tcase_add_test(tc, images_are_the_files_given);
	tcase_add_test(tc, a_graph_not_drawn_says_why);
	tcase_add_test(tc, data_is_escaped);
	tcase_add_test(tc, problems_show_on_the_overview);
	tcase_add_test(tc, figures_read_plainly);
	tcase_add_test(tc, the_period_switch_marks_the_page);
	tcase_add_test(tc, index_is_the_first_overview);
	tcase_add_test(tc, an_empty_site_says_so);
	tcase_add_test(tc, identical_sites_give_identical_bytes);
	tcase_add_test(tc, an_unwritable_folder_is_an_error);
	tcase_add_test(tc, a_page_outside_the_folder_is_refused);
	tcase_add_test(tc, the_documents_parse);
	suite_add_tcase(s, tc);
	return s;
}
