/* The dashboards' HTML (dashboard.h, ft_dash_html_write): one static page per page of
 * the rendered site, plus index.html, a copy of the first span's overview.  Every page
 * is in the output directory and its images in img/ below it, so every link is a plain
 * relative file name (ft_dash_href) and the site reads the same from file:// as from
 * any web server.  No script, no asset from elsewhere: an inline <style> only.
 *
 * Every page has one skeleton (page()): a header with the site's navigation (the
 * overview, its lists of tenants, links and exporters) and the period switch (the same
 * subject's page in each span drawn), the title, then on an overview the problems and
 * the "no data yet" notice, then one section per graph: its image, or why it was not
 * drawn, with a table of the numbers behind it and the values its VDEFs computed; an
 * overview ends with its lists; last the footer (when, which version).
 *
 * A span whose overview was not drawn (its definition refused, say) still gets an
 * overview page, without graphs, so that index.html and every "Overview" link lead
 * somewhere that shows the problems.
 *
 * Identical sites give identical bytes: nothing but the site reaches the page, and
 * figures are printed with snprintf in the C locale (flowtally never calls setlocale). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/dashboard.h"
#include "flowtally/html.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define SERIES_IN_ALT 4             /* series an image's alt text sums up; the table has them all */

static const char *const span_label[] = { "Day", "Week", "Month", "Year" };
static const char *const span_phrase[] = { "the last day", "the last 7 days", "the recharge month so far",
                                           "the last 365 days" };

/* What a page is written with: the site and each span's overview (site->spans order). */
struct ctx {
	FILE *f;
	const struct ft_dash_site *site;
	const struct ft_dash_page *ov[FT_DASH__SPANS];
};

/* ---- text ------------------------------------------------------------------------------- */

/* s (at most max bytes) as HTML text or an attribute's value (html.h). */
static void esc(FILE *f, const char *s, size_t max)
{
	ft_html_text(f, s, max);
}
#define ESC(f, arr) esc((f), (arr), sizeof(arr))

/* A relative file name, with an optional #fragment, as an attribute: name="url".
 * ft_dash_href makes at most three bytes of one, so the buffer always fits the
 * largest file name of dashboard.h's structs. */
static void url_attr(FILE *f, const char *name, const char *file, const char *frag)
{
	char u[3 * sizeof(((struct ft_dash_page *)0)->file) + 1];
	if (ft_dash_href(file, u, sizeof(u)) < 0)
		u[0] = '\0';
	fprintf(f, " %s=\"", name);
	esc(f, u, sizeof(u));
	if (frag)
		fprintf(f, "#%s", frag);
	fputc('"', f);
}

/* A figure as text, by value so that it can sit in a printf's arguments. */
struct num {
	char s[64];
};

/* v with an SI prefix, four significant figures: "12.35 M", "870", "4.5 m"; "no data"
 * for an unknown value.  Prefixes below 1 only under 0.01, so that per cents and
 * milliseconds read plainly. */
static struct num si(double v)
{
	static const char *const big[] = { "k", "M", "G", "T", "P", "E" };
	static const char *const small[] = { "m", "\xc2\xb5", "n", "p" };
	struct num out;
	if (isnan(v)) {
		snprintf(out.s, sizeof(out.s), "no data");
		return out;
	}
	if (isinf(v)) {
		snprintf(out.s, sizeof(out.s), "%s\xe2\x88\x9e", v < 0 ? "-" : "");
		return out;
	}
	/* rounded first, so that 999,960 reads "1 M" rather than "1000 k" */
	char e[32];
	snprintf(e, sizeof(e), "%.3e", v);
	double r = strtod(e, NULL), a = fabs(r);
	if (r == 0)
		r = 0;                      /* never "-0" */
	const char *prefix = "";
	size_t i = 0;
	if (a >= 1000) {
		for (r /= 1000, a /= 1000; a >= 1000 && i + 1 < N_OF(big); i++)
			r /= 1000, a /= 1000;
		prefix = big[i];
	} else if (a != 0 && a < 0.01) {
		for (r *= 1000, a *= 1000; a < 1 && i + 1 < N_OF(small); i++)
			r *= 1000, a *= 1000;
		prefix = small[i];
	}
	snprintf(out.s, sizeof(out.s), "%.4g%s%s", r, *prefix ? " " : "", prefix);
	return out;
}

/* v and the unit after it: "12.35 M bits per second"; an unknown value has none. */
static void figure(FILE *f, double v, const char *unit, size_t max)
{
	fputs(si(v).s, f);
	if (!isnan(v) && *unit) {
		fputc(' ', f);
		esc(f, unit, max);
	}
}

/* "2026-12-02 09:15 UTC". */
static struct num utc(int64_t t)
{
	struct num out;
	time_t u = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&u, &tm))
		snprintf(out.s, sizeof(out.s), "%" PRId64, t);
	else
		snprintf(out.s, sizeof(out.s), "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
		         tm.tm_mday, tm.tm_hour, tm.tm_min);
	return out;
}

static const char *label(enum ft_dash_span s)
{
	return (unsigned)s < N_OF(span_label) ? span_label[s] : "?";
}

/* ---- the site's pages --------------------------------------------------------------------- */

static const struct ft_dash_page *find(const struct ft_dash_site *site, enum ft_dash_kind k, const char *subject,
                                       enum ft_dash_span s)
{
	for (size_t i = 0; i < site->n_pages; i++) {
		const struct ft_dash_page *p = &site->pages[i];
		if (p->kind == k && p->span == s && strcmp(p->subject, subject) == 0)
			return p;
	}
	return NULL;
}

/* The overview of the span s: a drawn one, else the stand-in made for it. */
static const struct ft_dash_page *overview(const struct ctx *c, enum ft_dash_span s)
{
	for (size_t i = 0; i < c->site->n_spans; i++)
		if (c->site->spans[i] == s)
			return c->ov[i];
	return c->ov[0];
}

/* ---- the parts of a page ------------------------------------------------------------------ */

static const char style[] =
	"<style>\n"
	"body{font-family:\"DejaVu Sans\",Arial,Helvetica,sans-serif;color:#111;background:#fff;margin:0 auto;"
	"max-width:74em;padding:0 1em;line-height:1.4}\n"
	"a{color:#0b4f9c;text-decoration:underline}a:visited{color:#5a2d82}\n"
	"a[aria-current]{color:#111;font-weight:bold;text-decoration:none;border-bottom:3px solid #0b4f9c}\n"
	"header{border-bottom:1px solid #888;padding:.4em 0}nav,nav ul{display:flex;flex-wrap:wrap;gap:.2em 1.2em;"
	"align-items:baseline}nav ul{list-style:none;margin:.3em 0;padding:0}.what{color:#444}\n"
	"h1{font-size:1.6em;margin:.5em 0}h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:1px solid #ccc}\n"
	"img{display:block;max-width:100%;height:auto;margin:.4em 0}.when{color:#444;margin:.2em 0}\n"
	"table{border-collapse:collapse;margin:.5em 0 1em}caption{text-align:left;font-weight:bold;padding:.2em 0;"
	"white-space:nowrap}\nth,td{border:1px solid #999;padding:.15em .5em;text-align:right}thead th{background:#eee}"
	"thead th:first-child,th[scope=row]{text-align:left}th[scope=row]{font-weight:normal}\n"
	".error{color:#9c0000;border-left:4px solid #9c0000;padding:.3em .7em}\n"
	".problems{border:2px solid #9c0000;background:#fff6f6;padding:0 1em .5em;margin:1em 0}"
	".problems h2{border:0;color:#9c0000}\n"
	".empty{border:2px solid #555;background:#f4f4f4;padding:.6em 1em}.none{color:#555}\n"
	"ul.list{columns:18em}footer{border-top:1px solid #888;margin:2em 0 1em;padding-top:.5em;color:#333}\n"
	"</style>\n";

/* The site's navigation and the period switch: the same subject in each span drawn,
 * the one shown marked; a span without that page is named, not linked. */
static void nav(const struct ctx *c, const struct ft_dash_page *p)
{
	static const char *const lists[][2] = { { "tenants", "Tenants" }, { "links", "Links" },
		                                { "exporters", "Exporters" } };
	const struct ft_dash_page *ov = overview(c, p->span);
	bool on_ov = p->kind == FT_DASH_OVERVIEW;
	FILE *f = c->f;
	fputs("<header>\n<nav aria-label=\"Site\"><ul>\n<li><a", f);
	url_attr(f, "href", ov->file, NULL);
	fprintf(f, "%s>Overview</a></li>\n", on_ov ? " aria-current=\"page\"" : "");
	for (size_t i = 0; i < N_OF(lists); i++) {
		fputs("<li><a", f);
		if (on_ov)
			fprintf(f, " href=\"#%s\"", lists[i][0]);
		else
			url_attr(f, "href", ov->file, lists[i][0]);
		fprintf(f, ">%s</a></li>\n", lists[i][1]);
	}
	fputs("</ul></nav>\n<nav aria-label=\"Period\"><span class=\"what\">Period:</span>\n<ul>\n", f);
	for (size_t i = 0; i < c->site->n_spans; i++) {
		enum ft_dash_span s = c->site->spans[i];
		const struct ft_dash_page *t = on_ov ? c->ov[i] : find(c->site, p->kind, p->subject, s);
		if (!t) {
			fprintf(f, "<li class=\"none\">%s</li>\n", label(s));
			continue;
		}
		fputs("<li><a", f);
		url_attr(f, "href", t->file, NULL);
		fprintf(f, "%s>%s</a></li>\n", s == p->span ? " aria-current=\"page\"" : "", label(s));
	}
	fputs("</ul></nav>\n</header>\n", f);
}

static const char *phrase(enum ft_dash_span s)
{
	return (unsigned)s < N_OF(span_phrase) ? span_phrase[s] : "?";
}

/* What an image shows, for those who cannot see it: its title, its period, and the 95th
 * percentile and maximum of its first few series. */
static void alt_text(FILE *f, const struct ft_dash_image *im, enum ft_dash_span span)
{
	const char *unit = im->vertical_label;
	ESC(f, im->title);
	fprintf(f, ", %s (%s to %s)", im->period == FT_DASH_PERIOD_MONTH_TO_DATE ? "this month so far" : phrase(span),
	        utc(im->start).s, utc(im->end).s);
	if (im->n_series == 0)
		fputs(": no series", f);
	for (size_t i = 0; i < im->n_series && i < SERIES_IN_ALT; i++) {
		const struct ft_dash_series *s = &im->series[i];
		fputs(i ? "; " : ": ", f);
		ESC(f, s->label);
		if (s->n == 0) {
			fputs(" no data", f);
			continue;
		}
		fputs(" 95th percentile ", f);
		figure(f, s->p95, unit, sizeof(im->vertical_label));
		fputs(", maximum ", f);
		figure(f, s->max, unit, sizeof(im->vertical_label));
	}
	if (im->n_series > SERIES_IN_ALT)
		fprintf(f, "; and %zu more in the table below", im->n_series - SERIES_IN_ALT);
}

static void series_table(FILE *f, const struct ft_dash_image *im)
{
	fputs("<table>\n<caption>The numbers behind the graph", f);
	if (im->vertical_label[0]) {
		fputs(", in ", f);
		ESC(f, im->vertical_label);
	}
	fputs("</caption>\n<thead><tr><th scope=\"col\">Series</th><th scope=\"col\">Values known</th>"
	      "<th scope=\"col\">Average</th><th scope=\"col\">Minimum</th><th scope=\"col\">Maximum</th>"
	      "<th scope=\"col\">95th percentile</th><th scope=\"col\">Last</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < im->n_series; i++) {
		const struct ft_dash_series *s = &im->series[i];
		bool known = s->n > 0;
		fputs("<tr><th scope=\"row\">", f);
		ESC(f, s->label);
		fprintf(f, "</th><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
		        ft_text_grouped(s->n).s, si(known ? s->avg : NAN).s, si(known ? s->min : NAN).s,
		        si(known ? s->max : NAN).s, si(known ? s->p95 : NAN).s, si(known ? s->last : NAN).s);
	}
	fputs("</tbody>\n</table>\n", f);
}

/* The VDEFs' values: their unit is not always the graph's (a TOTAL of bytes per second
 * is bytes), so the figures stand alone. */
static void values_table(FILE *f, const struct ft_dash_image *im)
{
	fputs("<table>\n<caption>Values computed for the graph</caption>\n<thead><tr><th scope=\"col\">Name</th>"
	      "<th scope=\"col\">Value</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < im->n_values; i++) {
		fputs("<tr><th scope=\"row\">", f);
		ESC(f, im->values[i].name);
		fprintf(f, "</th><td>%s</td></tr>\n", si(im->values[i].value).s);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void graph(FILE *f, const struct ft_dash_image *im, enum ft_dash_span span)
{
	fputs("<section id=\"g-", f);
	ESC(f, im->graph);
	fputs("\">\n<h2>", f);
	ESC(f, im->title);
	/* what its figures are of: the bills' 5-minute rows, or hourly ones (a year) */
	fprintf(f, "</h2>\n<p class=\"when\">%s to %s%s</p>\n", utc(im->start).s, utc(im->end).s,
	        im->step == 3600 ? "; the figures are of hourly averages"
	        : im->step == 300 ? "; the figures are of 5-minute averages" : "");
	if (im->drawn) {
		fputs("<img", f);
		url_attr(f, "src", im->file, NULL);
		fprintf(f, " width=\"%d\" height=\"%d\" alt=\"", im->width, im->height);
		alt_text(f, im, span);
		fputs("\">\n", f);
	} else {
		fputs("<p class=\"error\"><strong>Not drawn:</strong> ", f);
		ESC(f, im->error);
		fputs("</p>\n", f);
	}
	if (im->n_series)
		series_table(f, im);
	if (im->n_values)
		values_table(f, im);
	fputs("</section>\n", f);
}

static void problems(const struct ctx *c)
{
	if (c->site->n_problems == 0)
		return;
	fputs("<section class=\"problems\" id=\"problems\">\n<h2>Problems</h2>\n<ul>\n", c->f);
	for (size_t i = 0; i < c->site->n_problems; i++) {
		fputs("<li>", c->f);
		ESC(c->f, c->site->problems[i].text);
		fputs("</li>\n", c->f);
	}
	fputs("</ul>\n</section>\n", c->f);
}

/* An overview's list of the pages of one kind in its span, in the site's order. */
static void list(const struct ctx *c, enum ft_dash_kind k, enum ft_dash_span s, const char *id, const char *title)
{
	size_t n = 0;
	fprintf(c->f, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
	for (size_t i = 0; i < c->site->n_pages; i++) {
		const struct ft_dash_page *p = &c->site->pages[i];
		if (p->kind != k || p->span != s)
			continue;
		fputs(n++ ? "<li><a" : "<ul class=\"list\">\n<li><a", c->f);
		url_attr(c->f, "href", p->file, NULL);
		fputc('>', c->f);
		ESC(c->f, p->subject);
		fputs("</a></li>\n", c->f);
	}
	fputs(n ? "</ul>\n</section>\n" : "<p class=\"none\">None.</p>\n</section>\n", c->f);
}

/* The page skeleton every page shares. */
static void page(const struct ctx *c, const struct ft_dash_page *p)
{
	FILE *f = c->f;
	bool ov = p->kind == FT_DASH_OVERVIEW;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	ESC(f, p->title);
	fprintf(f, " (%s)</title>\n", label(p->span));
	fputs(style, f);
	fputs("</head>\n<body>\n", f);
	nav(c, p);
	fputs("<main>\n<h1>", f);
	ESC(f, p->title);
	fprintf(f, "</h1>\n<p class=\"when\">Period: %s, up to %s.</p>\n", phrase(p->span), utc(c->site->at).s);
	if (ov)
		problems(c);
	if (ov && c->site->empty)
		fputs("<p class=\"empty\"><strong>No data yet.</strong> The RRD directory holds no files yet: "
		      "flowtallyd writes them as each step closes, and the next render draws them.</p>\n", f);
	for (size_t i = 0; i < p->n_images; i++)
		graph(f, &p->images[i], p->span);
	if (ov) {
		list(c, FT_DASH_TENANT, p->span, "tenants", "Tenants");
		list(c, FT_DASH_LINK, p->span, "links", "Links");
		list(c, FT_DASH_EXPORTER, p->span, "exporters", "Exporters");
	}
	fputs("</main>\n<footer>\n<p>Generated ", f);
	if (c->site->generated[0]) {
		ESC(f, c->site->generated);
		fputc(' ', f);
	}
	fputs("by flowtally", f);
	if (c->site->version[0]) {
		fputc(' ', f);
		ESC(f, c->site->version);
	}
	fprintf(f, ": %" PRIu64 " graphs drawn, %" PRIu64 " not drawn.</p>\n</footer>\n</body>\n</html>\n",
	        c->site->images, c->site->failed);
}

/* ---- files -------------------------------------------------------------------------------- */

/* p's page as dir/name, through a temporary file in dir renamed into place, so that a
 * reader never sees half a page.  The temporary name is short whatever name is. */
static int write_one(struct ctx *c, const char *dir, const char *name, const struct ft_dash_page *p, char *err,
                     size_t err_size)
{
	char path[4096], tmp[4096];
	if (!*name || *name == '.' || strchr(name, '/')) {
		snprintf(err, err_size, "%s/%s: not a page's file name", dir, name);
		return -EINVAL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.ft-html-%ld.tmp", dir, (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, err_size, "%s/%s: name too long", dir, name);
		return -ENAMETOOLONG;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, err_size, "%s: %s", path, strerror(e));
		return -e;
	}
	c->f = f;
	page(c, p);
	int bad = ferror(f), e = errno;
	if (fclose(f) != 0 && !bad)
		bad = 1, e = errno;
	if (!bad && rename(tmp, path) != 0)
		bad = 1, e = errno;
	if (bad) {
		unlink(tmp);
		e = e ? e : EIO;
		snprintf(err, err_size, "%s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

int ft_dash_html_write(const struct ft_dash_site *site, const char *out_dir, char *err, size_t err_size)
{
	struct ft_dash_page stand_in[FT_DASH__SPANS];
	struct ctx c = { .site = site };
	if (!site->n_spans || site->n_spans > FT_DASH__SPANS) {
		snprintf(err, err_size, "%s: no period to write", out_dir);
		return -EINVAL;
	}
	for (size_t i = 0; i < site->n_spans; i++) {
		c.ov[i] = find(site, FT_DASH_OVERVIEW, "", site->spans[i]);
		if (c.ov[i])
			continue;
		struct ft_dash_page *s = &stand_in[i];
		*s = (struct ft_dash_page){ .kind = FT_DASH_OVERVIEW, .span = site->spans[i] };
		snprintf(s->title, sizeof(s->title), "flowtally overview");
		if (ft_dash_page_file(FT_DASH_OVERVIEW, NULL, NULL, s->span, s->file, sizeof(s->file)) < 0) {
			snprintf(err, err_size, "%s: span %d has no page name", out_dir, (int)s->span);
			return -EINVAL;
		}
		c.ov[i] = s;
	}
	if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, err_size, "%s: %s", out_dir, strerror(e));
		return -e;
	}
	int r = 0;
	for (size_t i = 0; r == 0 && i < site->n_pages; i++)
		r = write_one(&c, out_dir, site->pages[i].file, &site->pages[i], err, err_size);
	for (size_t i = 0; r == 0 && i < site->n_spans; i++)
		if (c.ov[i] == &stand_in[i])
			r = write_one(&c, out_dir, stand_in[i].file, &stand_in[i], err, err_size);
	/* last, so that the way in never leads to a page not yet written */
	return r ? r : write_one(&c, out_dir, "index.html", c.ov[0], err, err_size);
}
