/* Drawing the dashboards (dashboard.h): every graph of every page, for each period, as
 * librrd's graph call with the definition expanded into rrdtool's DEF, CDEF, VDEF and
 * drawing elements.
 *
 * Each graph is two librrd calls over the same data:
 *   - an xport of the graph's DEFs and CDEFs: the numbers behind each drawn element
 *     (the page's table) and, for a PERCENT vdef, how many values are known;
 *   - the graph itself (rrd_graph_v), with a PRINT of every VDEF after the elements, so
 *     the page lists the values the graph computed.
 * A PERCENT vdef is the nearest-rank percentile of the known values, as flowtally
 * recharge takes the 95th: the value of rank ceil(p/100 × N).  rrdtool's PERCENTNAN
 * takes the sorted known values' element round(p/100 × (N - 1)) (rrd_graph.c,
 * vdef_calc), which for N mod 20 in 12..19 is the one below, and its PERCENT counts
 * unknown values as the lowest; PERCENTNAN here is rrdtool's.
 *
 * Every graph reads the 300-second archives (--step 300), those the bills come from:
 * a 95th percentile of hourly averages would be another figure; but the year pages
 * read the hourly ones (105,120 rows a series would be read for a year: twelve times
 * the disk and the time, for a page about the trend), and say so.  Images are exactly the
 * configured size (--full-size-mode).  The periods end at the render's time rounded
 * down to 300 s and start on a 300-s boundary, so the rows are the periods' 5-minute
 * bins, row t standing for the bin [t - 300, t).
 *
 * The work is shared among worker processes (fork: librrd, cairo and pango keep state
 * that is not meant for threads), each taking the next graph from a counter in shared
 * memory and writing its results into a shared slot; an image is written to a
 * temporary file and renamed into place.  The parent, alone before the fork, reads the
 * directory and ranks the top tenants. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <rrd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/dashboard.h"
#include "flowtally/recharge.h"
#include "ft_version.h"

#define BIN 300
#define SERIES_MAX 128
#define VALUES_MAX 256

/* A graph to draw: a page's graph for one period (or its month to date, once for all
 * periods), with what its placeholders stand for. */
struct job {
	const struct ft_dashboard *def;
	const struct ft_dashboard_graph *g;
	enum ft_dash_kind kind;
	const char *tenant;                 /* tenant page */
	const struct ft_dash_tenant *t;
	const char *device, *interface, *exporter;
	int64_t start, end;
	int step;                           /* the archive's rows read: 300 s, 3600 s for a year */
	const char *const *top;             /* overview: the top tenants, ranked */
	size_t n_top;
	const char *const *exporters;       /* overview: every exporter */
	size_t n_exporters;
	char file[256];                     /* relative to the output directory */
};

/* What a worker gives back, in shared memory. */
struct slot {
	int width, height;
	bool drawn, no_data;
	char error[512];
	size_t n_series, n_values;
	struct ft_dash_series series[SERIES_MAX];
	struct ft_dash_value values[VALUES_MAX];
};

struct shared {
	atomic_size_t next, done;
	struct slot slots[];
};

/* ---- text ------------------------------------------------------------------------------------- */

struct buf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->n + n + 1)
			nc *= 2;
		char *ns = realloc(b->s, nc);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns, b->cap = nc;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A name as rrdtool reads it inside an element: ':' escaped. */
static void put_escaped(struct buf *b, const char *s)
{
	for (; *s; s++)
		if (*s == ':')
			put(b, "\\:", 2);
		else
			put(b, s, 1);
}

/* text with its placeholders filled for job j (file: the names encoded), ':' escaped
 * in what is substituted when esc, and in the written text too when esc_all. */
static void subst(struct buf *b, const char *text, const struct job *j, const char *cls, const char *tenant,
                  const char *exporter, bool file, bool esc, bool esc_all)
{
	for (const char *p = text; *p;) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			const char *v = NULL;
			size_t len = e ? (size_t)(e - p - 1) : 0;
#define IS(w) (len == sizeof(w) - 1 && memcmp(p + 1, w, len) == 0)
			if (IS("tenant"))
				v = tenant;
			else if (IS("class"))
				v = cls;
			else if (IS("device"))
				v = j->device;
			else if (IS("interface"))
				v = j->interface;
			else if (IS("exporter"))
				v = exporter;
#undef IS
			if (e && v) {
				char enc[1024];
				if (file && ft_rrd_name_encode(v, enc, sizeof(enc)) >= 0)
					v = enc;
				if (esc)
					put_escaped(b, v);
				else
					puts_(b, v);
				p = e + 1;
				continue;
			}
		}
		if (esc_all && *p == ':')
			put(b, "\\:", 2);
		else
			put(b, p, 1);
		p++;
	}
}

/* A legend as the page's table shows it: no rrdtool escapes, no trailing \l etc. */
static void plain_label(char *dst, size_t size, const char *s)
{
	size_t o = 0;
	for (; *s && o + 1 < size; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			if (*s == ':' || *s == '\\')
				dst[o++] = *s;
			continue;
		}
		dst[o++] = *s;
	}
	while (o && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* ---- the expansion -------------------------------------------------------------------------- */

struct exp {
	const struct ft_dash_opts *o;
	const struct job *j;
	const char *const *rep[FT_DASH_EACH_EXPORTER + 1];  /* each kind: its repetitions */
	size_t n_rep[FT_DASH_EACH_EXPORTER + 1];
	char **argv;
	size_t argc, cap;
	bool oom;
};

static void arg(struct exp *x, struct buf *b)
{
	if (b->oom || x->oom) {
		x->oom = true;
		free(b->s);
		*b = (struct buf){ 0 };
		return;
	}
	if (x->argc + 2 > x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 64;
		char **na = realloc(x->argv, nc * sizeof(*na));
		if (!na) {
			x->oom = true;
			free(b->s);
			*b = (struct buf){ 0 };
			return;
		}
		x->argv = na, x->cap = nc;
	}
	x->argv[x->argc++] = b->s ? b->s : strdup("");
	x->argv[x->argc] = NULL;
	*b = (struct buf){ 0 };
}

static void argf(struct exp *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void argf(struct exp *x, const char *fmt, ...)
{
	struct buf b = { 0 };
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= sizeof(tmp)) {
		x->oom = true;
		return;
	}
	puts_(&b, tmp);
	arg(x, &b);
}

static void exp_free(struct exp *x)
{
	for (size_t i = 0; i < x->argc; i++)
		free(x->argv[i]);
	free(x->argv);
	x->argv = NULL;
	x->argc = x->cap = 0;
}

/* The names of repetition k (0-based) of family each: what {tenant}, {class} and
 * {exporter} stand for there. */
static void rep_names(const struct exp *x, enum ft_dash_each each, size_t k, const char **cls, const char **tenant,
                      const char **exporter)
{
	*cls = NULL;
	*tenant = x->j->tenant;
	*exporter = x->j->exporter;
	if (each == FT_DASH_EACH_CLASS)
		*cls = x->rep[each][k];
	else if (each == FT_DASH_EACH_TENANT)
		*tenant = x->rep[each][k];
	else if (each == FT_DASH_EACH_EXPORTER)
		*exporter = x->rep[each][k];
}

/* Whether a name is defined by an item repeated as each in graph g. */
static bool repeated_name(const struct ft_dashboard_graph *g, const char *name, enum ft_dash_each each)
{
	for (size_t i = 0; i < g->n_items; i++)
		if (g->items[i].type != FT_DASH_DRAW && strcmp(g->items[i].vname, name) == 0)
			return g->items[i].each == each && each != FT_DASH_ONCE;
	return false;
}

/* A name as used by an item repeated as each, in repetition k: suffixed when the name
 * is of the same family. */
static void put_name(struct buf *b, const struct ft_dashboard_graph *g, const char *name, enum ft_dash_each each,
                     size_t k)
{
	puts_(b, name);
	if (each != FT_DASH_ONCE && repeated_name(g, name, each)) {
		char sfx[24];
		snprintf(sfx, sizeof(sfx), "-%zu", k + 1);
		puts_(b, sfx);
	}
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A def's file for repetition k, as a path (esc: ':' escaped for a DEF). */
static void def_path(struct buf *b, const struct exp *x, const struct ft_dashboard_item *it, size_t k, bool esc)
{
	const char *cls, *tenant, *exporter;
	rep_names(x, it->each, k, &cls, &tenant, &exporter);
	if (esc)
		put_escaped(b, x->o->rrd_dir);
	else
		puts_(b, x->o->rrd_dir);
	puts_(b, "/");
	subst(b, it->file, x->j, cls, tenant, exporter, true, esc, esc);
}

static const char *const cf_arg[] = { "AVERAGE", "MAX" };

/* The repetitions of family each: all of its kind, less those whose def files are
 * missing.  names is the caller's array of size n_all. */
static size_t family_reps(struct exp *x, enum ft_dash_each each, const char *const *all, size_t n_all,
                          const char **names)
{
	const struct ft_dashboard_graph *g = x->j->g;
	size_t n = 0;
	x->rep[each] = all;
	x->n_rep[each] = n_all;
	for (size_t k = 0; k < n_all; k++) {
		bool ok = true;
		for (size_t i = 0; i < g->n_items && ok; i++) {
			const struct ft_dashboard_item *it = &g->items[i];
			if (it->type != FT_DASH_DEF || it->each != each)
				continue;
			struct buf p = { 0 };
			def_path(&p, x, it, k, false);
			ok = !p.oom && file_exists(p.s);
			free(p.s);
		}
		if (ok)
			names[n++] = all[k];
	}
	return n;
}

/* The DEF and CDEF lines of the graph (into x), and whether any def file is missing
 * (why: which; *missing set). */
static bool data_lines(struct exp *x, char *why, size_t why_size, bool *missing)
{
	const struct ft_dashboard_graph *g = x->j->g;
	for (size_t i = 0; i < g->n_items; i++) {
		const struct ft_dashboard_item *it = &g->items[i];
		if (it->type != FT_DASH_DEF && it->type != FT_DASH_CDEF)
			continue;
		size_t reps = it->each == FT_DASH_ONCE ? 1 : x->n_rep[it->each];
		for (size_t k = 0; k < reps; k++) {
			struct buf b = { 0 };
			if (it->type == FT_DASH_DEF) {
				struct buf p = { 0 };
				def_path(&p, x, it, k, false);
				if (!p.oom && !file_exists(p.s)) {
					snprintf(why, why_size, "no data yet: %s does not exist", p.s);
					*missing = true;
					free(p.s);
					return false;
				}
				free(p.s);
				puts_(&b, "DEF:");
				put_name(&b, g, it->vname, it->each, k);
				puts_(&b, "=");
				def_path(&b, x, it, k, true);
				puts_(&b, ":");
				puts_(&b, it->ds);
				puts_(&b, ":");
				puts_(&b, cf_arg[it->cf]);
			} else {
				puts_(&b, "CDEF:");
				put_name(&b, g, it->vname, it->each, k);
				puts_(&b, "=");
				/* the RPN, token by token: names of the family suffixed */
				char rpn[FT_DASH_TEXT_MAX];
				snprintf(rpn, sizeof(rpn), "%s", it->rpn);
				char *save = NULL;
				bool first = true;
				for (char *t = strtok_r(rpn, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
					if (!first)
						puts_(&b, ",");
					first = false;
					put_name(&b, g, t, it->each, k);
				}
			}
			arg(x, &b);
		}
	}
	return true;
}

/* ---- the numbers behind a graph ---------------------------------------------------------- */

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The series' figures over the known values of v (n rows, stride apart). */
static void figures(struct ft_dash_series *s, const double *v, size_t rows, size_t stride, double *scratch)
{
	size_t n = 0;
	double sum = 0;
	s->last = NAN;
	for (size_t r = 0; r < rows; r++) {
		double x = v[r * stride];
		if (isnan(x))
			continue;
		scratch[n++] = x;
		sum += x;
		s->last = x;
	}
	s->n = n;
	if (!n) {
		s->avg = s->min = s->max = s->p95 = NAN;
		return;
	}
	qsort(scratch, n, sizeof(double), dbl_cmp);
	s->avg = sum / (double)n;
	s->min = scratch[0];
	s->max = scratch[n - 1];
	size_t rank = (size_t)ceil(0.95 * (double)n - 1e-9);
	s->p95 = scratch[(rank ? rank : 1) - 1];
}

/* A vdef's value over the known values of v (rows of step seconds), as rrdtool's VDEF
 * functions define them (rrd_graph.c, vdef_calc), but over the 5-minute rows, and
 * PERCENT as the nearest rank (see the top). */
static double vdef_value(const struct ft_dashboard_item *it, const double *v, size_t rows, size_t stride,
                         int step, double *scratch)
{
	size_t n = 0;
	double sum = 0, first = NAN, last = NAN;
	for (size_t r = 0; r < rows; r++) {
		double x = v[r * stride];
		if (isnan(x))
			continue;
		if (n == 0)
			first = x;
		last = x;
		scratch[n++] = x;
		sum += x;
	}
	if (n == 0)
		return NAN;
	switch (it->fn) {
	case FT_DASH_MAXIMUM:
	case FT_DASH_MINIMUM: {
		double m = scratch[0];
		for (size_t i = 1; i < n; i++)
			if (it->fn == FT_DASH_MAXIMUM ? scratch[i] > m : scratch[i] < m)
				m = scratch[i];
		return m;
	}
	case FT_DASH_VAVERAGE:
		return sum / (double)n;
	case FT_DASH_STDEV: {
		double mean = sum / (double)n, sq = 0;
		for (size_t i = 0; i < n; i++)
			sq += (scratch[i] - mean) * (scratch[i] - mean);
		return sqrt(sq / (double)n);
	}
	case FT_DASH_LAST:
		return last;
	case FT_DASH_FIRST:
		return first;
	case FT_DASH_TOTAL:
		return sum * step;
	case FT_DASH_PERCENT: {
		qsort(scratch, n, sizeof(double), dbl_cmp);
		double rank = ceil(it->percent / 100.0 * (double)n - 1e-9);
		size_t k = rank < 1 ? 1 : rank > (double)n ? n : (size_t)rank;
		return scratch[k - 1];
	}
	case FT_DASH_PERCENTNAN: {
		qsort(scratch, n, sizeof(double), dbl_cmp);
		return scratch[(size_t)round(it->percent * (double)(n - 1) / 100.0)];
	}
	}
	return NAN;
}

static const char *rrd_error(void)
{
	const char *e = rrd_test_error() ? rrd_get_error() : NULL;
	return e && *e ? e : "librrd gave no reason";
}

/* ---- one graph --------------------------------------------------------------------------- */

static const char *const draw_arg[] = { "LINE1", "LINE2", "LINE3", "AREA", "HRULE", "GPRINT", "COMMENT" };

/* Whether an item is repeated in this graph zero times (its family is empty). */
static size_t reps_of(const struct exp *x, const struct ft_dashboard_item *it)
{
	return it->each == FT_DASH_ONCE ? 1 : x->n_rep[it->each];
}

static void draw_one(const struct ft_dash_opts *o, const struct job *j, struct slot *sl)
{
	const struct ft_dashboard_graph *g = j->g;
	struct exp x = { .o = o, .j = j };
	const char **names[FT_DASH_EACH_EXPORTER + 1] = { 0 };
	memset(sl, 0, sizeof(*sl));
	sl->width = g->width, sl->height = g->height;

	/* the families: classes of the tenant, top tenants, exporters */
	const char *const *all[FT_DASH_EACH_EXPORTER + 1] = { 0 };
	size_t n_all[FT_DASH_EACH_EXPORTER + 1] = { 0 };
	if (j->t)
		all[FT_DASH_EACH_CLASS] = (const char *const *)j->t->classes, n_all[FT_DASH_EACH_CLASS] = j->t->n_classes;
	all[FT_DASH_EACH_TENANT] = j->top, n_all[FT_DASH_EACH_TENANT] = j->n_top;
	all[FT_DASH_EACH_EXPORTER] = j->exporters, n_all[FT_DASH_EACH_EXPORTER] = j->n_exporters;
	for (int e = FT_DASH_EACH_CLASS; e <= FT_DASH_EACH_EXPORTER; e++) {
		if (!(names[e] = calloc(n_all[e] + 1, sizeof(char *))))
			goto oom;
		size_t n = family_reps(&x, (enum ft_dash_each)e, all[e], n_all[e], names[e]);
		x.rep[e] = names[e], x.n_rep[e] = n;
	}

	/* first the xport: the data lines, and an XPORT of every element drawn and of
	 * every PERCENT vdef's source */
	argf(&x, "xport");
	argf(&x, "--start");
	argf(&x, "%" PRId64, j->start);
	argf(&x, "--end");
	argf(&x, "%" PRId64, j->end);
	argf(&x, "--step");
	argf(&x, "%d", j->step);
	argf(&x, "--maxrows");
	argf(&x, "%" PRId64, (j->end - j->start) / j->step + 10);
	if (o->daemon) {
		argf(&x, "--daemon");
		argf(&x, "%s", o->daemon);
	}
	size_t data_from = x.argc;
	if (!data_lines(&x, sl->error, sizeof(sl->error), &sl->no_data))
		goto out;
	size_t data_to = x.argc;
	if (data_to == data_from) {
		/* every def is of a family with no files yet (no exporter, no tenant) */
		snprintf(sl->error, sizeof(sl->error), "no data yet: none of the files this graph draws exists");
		sl->no_data = true;
		goto out;
	}
	/* which xport column is which */
	struct col { const struct ft_dashboard_item *it; size_t k; } cols[SERIES_MAX + VALUES_MAX];
	size_t n_cols = 0, n_drawn = 0;
	for (size_t i = 0; i < g->n_items; i++) {
		const struct ft_dashboard_item *it = &g->items[i];
		bool series = it->type == FT_DASH_DRAW && it->draw <= FT_DASH_AREA;
		bool vdef = it->type == FT_DASH_VDEF;
		if (!series && !vdef)
			continue;
		for (size_t k = 0; k < reps_of(&x, it); k++) {
			if (n_cols == sizeof(cols) / sizeof(cols[0]) || (series && n_drawn == SERIES_MAX)) {
				snprintf(sl->error, sizeof(sl->error), "graph '%s' draws more than %d elements", g->name,
				         SERIES_MAX);
				goto out;
			}
			struct buf b = { 0 };
			puts_(&b, "XPORT:");
			put_name(&b, g, series ? it->value : it->of, it->each, k);
			cols[n_cols++] = (struct col){ it, k };
			n_drawn += series;
			(void)vdef;
			arg(&x, &b);
		}
	}
	if (x.oom)
		goto oom;
	double *vval = calloc(n_cols + 1, sizeof(double));
	if (!vval)
		goto oom;
	if (n_cols) {
		int xsize;
		time_t xs, xe;
		unsigned long xstep, xcols;
		char **legends = NULL;
		rrd_value_t *data = NULL;
		rrd_clear_error();
		optind = 0;
		if (rrd_xport((int)x.argc, x.argv, &xsize, &xs, &xe, &xstep, &xcols, &legends, &data) != 0) {
			snprintf(sl->error, sizeof(sl->error), "%s", rrd_error());
			free(vval);
			goto out;
		}
		size_t rows = xstep ? (size_t)((xe - xs) / (time_t)xstep) : 0;
		double *scratch = malloc((rows + 1) * sizeof(double));
		if (!scratch) {
			for (unsigned long c = 0; c < xcols; c++)
				rrd_freemem(legends[c]);
			rrd_freemem(legends);
			rrd_freemem(data);
			free(vval);
			goto oom;
		}
		for (size_t c = 0; c < n_cols && c < xcols; c++) {
			const struct ft_dashboard_item *it = cols[c].it;
			struct ft_dash_series s;
			memset(&s, 0, sizeof(s));
			figures(&s, data + c, rows, xcols, scratch);
			if (it->type == FT_DASH_VDEF) {
				vval[c] = vdef_value(it, data + c, rows, xcols, (int)xstep, scratch);
				continue;
			}
			const char *cls, *tenant, *exporter;
			rep_names(&x, it->each, cols[c].k, &cls, &tenant, &exporter);
			struct buf lb = { 0 };
			subst(&lb, it->legend[0] ? it->legend : it->value, j, cls, tenant, exporter, false, false, false);
			plain_label(s.label, sizeof(s.label), lb.s ? lb.s : "");
			free(lb.s);
			sl->series[sl->n_series++] = s;
		}
		free(scratch);
		for (unsigned long c = 0; c < xcols; c++)
			rrd_freemem(legends[c]);
		rrd_freemem(legends);
		rrd_freemem(data);
	}

	/* then the graph: the same data lines, the vdefs, the elements, the PRINTs */
	struct exp y = { .o = o, .j = j };
	memcpy(y.rep, x.rep, sizeof(y.rep));
	memcpy(y.n_rep, x.n_rep, sizeof(y.n_rep));
	char out[4096], tmp[4096 + 32];
	snprintf(out, sizeof(out), "%s/%s", o->out_dir, j->file);
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", out, (long)getpid());
	argf(&y, "graph");
	argf(&y, "%s", tmp);
	argf(&y, "--imgformat");
	argf(&y, "%s", o->format == FT_DASH_SVG ? "SVG" : "PNG");
	argf(&y, "--start");
	argf(&y, "%" PRId64, j->start);
	argf(&y, "--end");
	argf(&y, "%" PRId64, j->end);
	argf(&y, "--step");
	argf(&y, "%d", j->step);
	argf(&y, "--width");
	argf(&y, "%d", g->width);
	argf(&y, "--height");
	argf(&y, "%d", g->height);
	argf(&y, "--full-size-mode");
	if (o->daemon) {
		argf(&y, "--daemon");
		argf(&y, "%s", o->daemon);
	}
	{
		struct buf b = { 0 };
		argf(&y, "--title");
		subst(&b, g->title, j, NULL, j->tenant, j->exporter, false, false, false);
		arg(&y, &b);
		if (g->vertical_label[0]) {
			argf(&y, "--vertical-label");
			subst(&b, g->vertical_label, j, NULL, j->tenant, j->exporter, false, false, false);
			arg(&y, &b);
		}
	}
	if (g->has_lower) {
		argf(&y, "--lower-limit");
		argf(&y, "%.17g", g->lower_limit);
	}
	if (g->has_upper) {
		argf(&y, "--upper-limit");
		argf(&y, "%.17g", g->upper_limit);
		argf(&y, "--rigid");
	} else {
		/* the y axis reaches the highest rule: a 95th percentile of 5-minute rates is
		 * often above every pixel of a month's (averaged) curve, and a rule off the
		 * graph says nothing (without --rigid this is the least the axis shows) */
		double top = -INFINITY;
		for (size_t i = 0; i < g->n_items; i++) {
			const struct ft_dashboard_item *it = &g->items[i];
			if (it->type != FT_DASH_DRAW || it->draw != FT_DASH_HRULE)
				continue;
			if (!it->value[0]) {
				top = it->at > top ? it->at : top;
				continue;
			}
			for (size_t q = 0; q < n_cols; q++)
				if (cols[q].it->type == FT_DASH_VDEF && strcmp(cols[q].it->vname, it->value) == 0 &&
				    isfinite(vval[q]) && vval[q] > top)
					top = vval[q];
		}
		if (isfinite(top) && top > 0) {
			argf(&y, "--upper-limit");
			argf(&y, "%.17g", top * 1.05);
		}
	}
	for (size_t i = data_from; i < data_to; i++)
		argf(&y, "%s", x.argv[i]);
	/* vdefs, then the elements in order (a vdef is defined where written: before use) */
	size_t c = 0;
	for (size_t i = 0; i < g->n_items; i++) {
		const struct ft_dashboard_item *it = &g->items[i];
		for (size_t k = 0; k < reps_of(&y, it); k++) {
			const char *cls, *tenant, *exporter;
			rep_names(&y, it->each, k, &cls, &tenant, &exporter);
			struct buf b = { 0 };
			if (it->type == FT_DASH_VDEF) {
				/* the value computed over the 5-minute rows, made a constant series
				 * ("-v": a suffix no written or expanded name has) that the VDEF
				 * takes the maximum of: librrd's own VDEF would see the image's
				 * pixels, one per hour or more over a month, not the bins */
				while (c < n_cols && cols[c].it->type != FT_DASH_VDEF)
					c++;
				double val = c < n_cols ? vval[c++] : NAN;
				char num[64];
				if (isnan(val))
					snprintf(num, sizeof(num), "UNKN");
				else
					snprintf(num, sizeof(num), "%.17g", val);
				struct buf cb = { 0 };
				puts_(&cb, "CDEF:");
				put_name(&cb, g, it->vname, it->each, k);
				puts_(&cb, "-v=");
				/* the number first: librrd's RPN parser refuses one as the last token */
				puts_(&cb, num);
				puts_(&cb, ",");
				put_name(&cb, g, it->of, it->each, k);
				puts_(&cb, ",POP");
				arg(&y, &cb);
				puts_(&b, "VDEF:");
				put_name(&b, g, it->vname, it->each, k);
				puts_(&b, "=");
				put_name(&b, g, it->vname, it->each, k);
				puts_(&b, "-v,MAXIMUM");
			} else if (it->type == FT_DASH_DRAW) {
				switch (it->draw) {
				case FT_DASH_LINE1:
				case FT_DASH_LINE2:
				case FT_DASH_LINE3:
				case FT_DASH_AREA:
				case FT_DASH_HRULE:
					puts_(&b, draw_arg[it->draw]);
					puts_(&b, ":");
					if (it->draw == FT_DASH_HRULE && !it->value[0]) {
						char at[64];
						snprintf(at, sizeof(at), "%.17g", it->at);
						puts_(&b, at);
					} else {
						put_name(&b, g, it->value, it->each, k);
					}
					puts_(&b, it->colours[k % it->n_colours]);
					puts_(&b, ":");
					subst(&b, it->legend, j, cls, tenant, exporter, false, true, true);
					/* stacked: rrdtool's STACK; the first repetition of a family that
					 * opens the graph is drawn unstacked */
					if (it->stack && it->draw != FT_DASH_HRULE) {
						bool before = k > 0;
						for (size_t q = 0; q < i && !before; q++) {
							const struct ft_dashboard_item *pi = &g->items[q];
							before = pi->type == FT_DASH_DRAW && pi->draw <= FT_DASH_AREA && reps_of(&y, pi) > 0;
						}
						if (before)
							puts_(&b, ":STACK");
					}
					break;
				case FT_DASH_GPRINT:
					puts_(&b, "GPRINT:");
					put_name(&b, g, it->value, it->each, k);
					puts_(&b, ":");
					subst(&b, it->format, j, cls, tenant, exporter, false, true, true);
					break;
				case FT_DASH_COMMENT:
					puts_(&b, "COMMENT:");
					subst(&b, it->legend, j, cls, tenant, exporter, false, true, true);
					break;
				}
			} else {
				continue;
			}
			arg(&y, &b);
		}
	}
	/* a PRINT of every vdef: the values the page lists */
	struct ft_dash_value *vals = sl->values;
	for (size_t i = 0; i < g->n_items; i++) {
		const struct ft_dashboard_item *it = &g->items[i];
		if (it->type != FT_DASH_VDEF)
			continue;
		for (size_t k = 0; k < reps_of(&y, it) && sl->n_values < VALUES_MAX; k++) {
			struct buf b = { 0 }, nb = { 0 };
			put_name(&nb, g, it->vname, it->each, k);
			snprintf(vals[sl->n_values].name, sizeof(vals[0].name), "%s", nb.s ? nb.s : "");
			puts_(&b, "PRINT:");
			puts_(&b, nb.s ? nb.s : "");
			puts_(&b, ":%.17le");
			free(nb.s);
			arg(&y, &b);
			vals[sl->n_values++].value = NAN;
		}
	}
	free(vval);
	if (y.oom) {
		exp_free(&y);
		goto oom;
	}
	rrd_clear_error();
	optind = 0;
	rrd_info_t *info = rrd_graph_v((int)y.argc, y.argv);
	if (!info) {
		snprintf(sl->error, sizeof(sl->error), "%s", rrd_error());
		unlink(tmp);
		exp_free(&y);
		goto out;
	}
	for (rrd_info_t *p = info; p; p = p->next) {
		unsigned idx;
		if (p->type == RD_I_CNT && strcmp(p->key, "image_width") == 0)
			sl->width = (int)p->value.u_cnt;
		else if (p->type == RD_I_CNT && strcmp(p->key, "image_height") == 0)
			sl->height = (int)p->value.u_cnt;
		else if (p->type == RD_I_STR && sscanf(p->key, "print[%u]", &idx) == 1 && idx < sl->n_values)
			sl->values[idx].value = strtod(p->value.u_str, NULL);
	}
	rrd_info_free(info);
	exp_free(&y);
	if (rename(tmp, out) != 0) {
		snprintf(sl->error, sizeof(sl->error), "%.400s: cannot rename into place: %s", out, strerror(errno));
		unlink(tmp);
		goto out;
	}
	sl->drawn = true;
	goto out;
oom:
	snprintf(sl->error, sizeof(sl->error), "out of memory");
out:
	exp_free(&x);
	for (int e = 0; e <= FT_DASH_EACH_EXPORTER; e++)
		free(names[e]);
}

/* ---- the top tenants ------------------------------------------------------------------------ */

struct ranking {
	int64_t start, end;
	const char **names;                 /* ranked: in + out bytes over [start, end), largest first */
	size_t n;
};

struct ranked {
	const char *name;
	double bytes;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The tenants of inv ranked by their in + out bytes over [start, end) (the 300-second
 * archive; hourly for more than 31 days, where the order is what matters). */
static int rank_tenants(const struct ft_dash_opts *o, const struct ft_dash_inventory *inv, struct ranking *r)
{
	struct ranked *v = calloc(inv->n_tenants + 1, sizeof(*v));
	r->names = calloc(inv->n_tenants + 1, sizeof(char *));
	if (!v || !r->names) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < inv->n_tenants; i++) {
		char enc[1024], path[4096 + 1024];
		v[i].name = inv->tenants[i].name;
		if (ft_rrd_name_encode(v[i].name, enc, sizeof(enc)) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/tenants/%s.rrd", o->rrd_dir, enc);
		time_t s = (time_t)r->start, e = (time_t)r->end;
		unsigned long step = r->end - r->start > 31 * 86400 ? 3600 : BIN, n_ds = 0;
		char **dsn = NULL;
		rrd_value_t *data = NULL;
		rrd_clear_error();
		if (rrd_fetch_r(path, "AVERAGE", &s, &e, &step, &n_ds, &dsn, &data) != 0)
			continue;
		int in = -1, out = -1;
		for (unsigned long d = 0; d < n_ds; d++) {
			if (strcmp(dsn[d], "in_bytes") == 0)
				in = (int)d;
			else if (strcmp(dsn[d], "out_bytes") == 0)
				out = (int)d;
		}
		size_t rows = step ? (size_t)((e - s) / (time_t)step) : 0;
		for (size_t k = 0; k < rows && in >= 0 && out >= 0; k++) {
			double a = data[k * n_ds + (size_t)in], b = data[k * n_ds + (size_t)out];
			v[i].bytes += (isnan(a) ? 0 : a * (double)step) + (isnan(b) ? 0 : b * (double)step);
		}
		for (unsigned long d = 0; d < n_ds; d++)
			rrd_freemem(dsn[d]);
		rrd_freemem(dsn);
		rrd_freemem(data);
	}
	qsort(v, inv->n_tenants, sizeof(*v), ranked_cmp);
	for (size_t i = 0; i < inv->n_tenants; i++)
		r->names[i] = v[i].name;
	r->n = inv->n_tenants;
	free(v);
	return 0;
}

/* ---- the plan ------------------------------------------------------------------------------- */

/* The start of the recharge month holding at - 1 (zone, contract day), or at - 31 days
 * when the zone cannot be used. */
static int64_t month_start(int64_t at, const char *zone, int contract_day)
{
	time_t t = (time_t)(at - 1);
	struct tm tm;
	gmtime_r(&t, &tm);
	int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
	/* the month holding t is this UTC month's, the one before or the one after */
	for (int d = -1; d <= 1; d++) {
		int yy = y, mm = m + d;
		if (mm < 1)
			mm = 12, yy--;
		if (mm > 12)
			mm = 1, yy++;
		char ym[16];
		int64_t s, e;
		snprintf(ym, sizeof(ym), "%04d-%02d", yy, mm);
		if (ft_recharge_month(ym, zone, contract_day, &s, &e) == 0 && s / 1000 <= at - 1 && at - 1 < e / 1000)
			return s / 1000;
	}
	return at - 31 * 86400;
}

int64_t ft_dash_span_start(enum ft_dash_span s, int64_t at, const char *zone, int contract_day)
{
	switch (s) {
	case FT_DASH_DAY:
		return at - 86400;
	case FT_DASH_WEEK:
		return at - 7 * 86400;
	case FT_DASH_MONTH:
		return month_start(at, zone, contract_day);
	default:
		return at - 365 * 86400;
	}
}

struct plan {
	struct job *jobs;
	size_t n_jobs, cap_jobs;
	struct ranking rank[FT_DASH__SPANS + 1];
	size_t n_rank;
};

static const struct ranking *ranking_for(struct plan *p, const struct ft_dash_opts *o,
                                         const struct ft_dash_inventory *inv, int64_t start, int64_t end, int *err)
{
	for (size_t i = 0; i < p->n_rank; i++)
		if (p->rank[i].start == start && p->rank[i].end == end)
			return &p->rank[i];
	if (p->n_rank == sizeof(p->rank) / sizeof(p->rank[0])) {
		*err = -ENOMEM;
		return NULL;
	}
	struct ranking *r = &p->rank[p->n_rank];
	r->start = start, r->end = end;
	if ((*err = rank_tenants(o, inv, r)) < 0)
		return NULL;
	p->n_rank++;
	return r;
}

/* The job drawing file, added when no job draws it yet: its index, or -1. */
static ssize_t add_job(struct plan *p, const struct job *j)
{
	for (size_t i = p->n_jobs; i-- > 0;)
		if (strcmp(p->jobs[i].file, j->file) == 0)
			return (ssize_t)i;
	if (p->n_jobs == p->cap_jobs) {
		size_t nc = p->cap_jobs ? p->cap_jobs * 2 : 256;
		struct job *nj = realloc(p->jobs, nc * sizeof(*nj));
		if (!nj)
			return -1;
		p->jobs = nj, p->cap_jobs = nc;
	}
	p->jobs[p->n_jobs] = *j;
	return (ssize_t)p->n_jobs++;
}

/* A page of site, and the jobs of its graphs; idx[] (per image) the job. */
static int add_page(struct ft_dash_site *site, struct plan *p, size_t **idx, size_t *n_idx, size_t *cap_idx,
                    const struct ft_dash_opts *o, const struct ft_dash_inventory *inv, const struct ft_dashboard *def,
                    enum ft_dash_span span, const struct job *proto, const char *a, const char *b)
{
	struct ft_dash_page *pg = &site->pages[site->n_pages];
	memset(pg, 0, sizeof(*pg));
	pg->kind = def->kind;
	pg->span = span;
	if (a && b)
		snprintf(pg->subject, sizeof(pg->subject), "%s %s", a, b);
	else if (a)
		snprintf(pg->subject, sizeof(pg->subject), "%s", a);
	if (ft_dash_page_file(def->kind, a, b, span, pg->file, sizeof(pg->file)) < 0)
		return -ENAMETOOLONG;
	struct buf t = { 0 };
	subst(&t, def->title, proto, NULL, proto->tenant, proto->exporter, false, false, false);
	snprintf(pg->title, sizeof(pg->title), "%s", t.s ? t.s : "");
	free(t.s);
	if (!(pg->images = calloc(def->n_graphs ? def->n_graphs : 1, sizeof(*pg->images))))
		return -ENOMEM;
	site->n_pages++;
	/* the page's file without its ".SPAN.html": its images' names start so */
	char stem[512];
	snprintf(stem, sizeof(stem), "%s", pg->file);
	stem[strlen(stem) - strlen(ft_dash_span_name(span)) - strlen("..html")] = '\0';
	for (size_t gi = 0; gi < def->n_graphs; gi++) {
		const struct ft_dashboard_graph *g = &def->graphs[gi];
		struct job j = *proto;
		j.def = def, j.g = g, j.kind = def->kind;
		j.end = o->at;
		bool mtd = g->period == FT_DASH_PERIOD_MONTH_TO_DATE;
		j.start = mtd ? month_start(o->at, o->zone, o->contract_day)
		              : ft_dash_span_start(span, o->at, o->zone, o->contract_day);
		j.step = span == FT_DASH_YEAR && !mtd ? 3600 : BIN;
		if (snprintf(j.file, sizeof(j.file), "img/%s.%s.%s.%s", stem, mtd ? "mtd" : ft_dash_span_name(span), g->name,
		             o->format == FT_DASH_SVG ? "svg" : "png") >= (int)sizeof(j.file))
			return -ENAMETOOLONG;
		if (g->top_tenants) {
			int err = 0;
			const struct ranking *r = ranking_for(p, o, inv, j.start, j.end, &err);
			if (!r)
				return err;
			j.top = r->names, j.n_top = r->n < g->top_tenants ? r->n : g->top_tenants;
		}
		ssize_t ji = add_job(p, &j);
		if (ji < 0)
			return -ENOMEM;
		if (*n_idx == *cap_idx) {
			size_t nc = *cap_idx ? *cap_idx * 2 : 256;
			size_t *ni = realloc(*idx, nc * sizeof(*ni));
			if (!ni)
				return -ENOMEM;
			*idx = ni, *cap_idx = nc;
		}
		(*idx)[(*n_idx)++] = (size_t)ji;
		struct ft_dash_image *im = &pg->images[pg->n_images++];
		snprintf(im->graph, sizeof(im->graph), "%s", g->name);
		snprintf(im->file, sizeof(im->file), "%s", j.file);
		struct buf tb = { 0 };
		subst(&tb, g->title, &j, NULL, j.tenant, j.exporter, false, false, false);
		snprintf(im->title, sizeof(im->title), "%s", tb.s ? tb.s : "");
		free(tb.s);
		tb = (struct buf){ 0 };
		subst(&tb, g->vertical_label, &j, NULL, j.tenant, j.exporter, false, false, false);
		snprintf(im->vertical_label, sizeof(im->vertical_label), "%s", tb.s ? tb.s : "");
		free(tb.s);
		im->period = g->period;
		im->start = j.start, im->end = j.end;
		im->step = j.step;
		im->width = g->width, im->height = g->height;
	}
	return 0;
}

/* ---- the workers -------------------------------------------------------------------------- */

static void worker(const struct ft_dash_opts *o, const struct plan *p, struct shared *sh)
{
	for (;;) {
		size_t i = atomic_fetch_add(&sh->next, 1);
		if (i >= p->n_jobs)
			break;
		draw_one(o, &p->jobs[i], &sh->slots[i]);
		atomic_fetch_add(&sh->done, 1);
	}
}

static int mkdir_p(const char *dir)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void progress(const struct shared *sh, size_t n, bool final)
{
	size_t d = atomic_load(&sh->done);
	fprintf(stderr, "\rflowtally dashboard: %zu of %zu graphs drawn%s", d, n, final ? "\n" : "");
	fflush(stderr);
}

int ft_dash_render(const struct ft_dash_opts *o, const struct ft_dash_inventory *inv, struct ft_dash_site *site,
                   struct ft_diag *diag)
{
	memset(site, 0, sizeof(*site));
	struct plan p = { 0 };
	size_t *idx = NULL, n_idx = 0, cap_idx = 0;
	struct shared *sh = MAP_FAILED;
	size_t sh_size = 0;
	int r = 0;
	site->at = o->at;
	site->empty = ft_dash_inventory_empty(inv);
	snprintf(site->version, sizeof(site->version), "%s", FT_VERSION);
	{
		time_t t = (time_t)o->at;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(site->generated, sizeof(site->generated), "%Y-%m-%d %H:%M %Z", &tm);
	}
	for (int s = 0; s < FT_DASH__SPANS; s++)
		if (o->spans[s])
			site->spans[site->n_spans++] = (enum ft_dash_span)s;
	char img[4096];
	snprintf(img, sizeof(img), "%s/img", o->out_dir);
	if ((r = mkdir_p(img)) < 0) {
		ft_diag_add(diag, true, img, 0, "cannot make the directory: %s", strerror(-r));
		return r;
	}

	/* the pages: every span's overview, then its tenants, links and exporters */
	size_t per_span = 1 + inv->n_tenants + inv->n_links + inv->n_exporters;
	if (!(site->pages = calloc(per_span * site->n_spans + 1, sizeof(*site->pages)))) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t si = 0; si < site->n_spans; si++) {
		enum ft_dash_span span = site->spans[si];
		struct job proto = { .exporters = (const char *const *)inv->exporters, .n_exporters = inv->n_exporters };
		const struct ft_dashboard *d = o->defs[FT_DASH_OVERVIEW];
		if (site->empty || !d) {
			/* the overview page is always there: it says there is no data yet, or lists
			 * the problems */
			struct ft_dash_page *pg = &site->pages[site->n_pages++];
			pg->kind = FT_DASH_OVERVIEW;
			pg->span = span;
			snprintf(pg->title, sizeof(pg->title), "%s", d ? d->title : "flowtally");
			ft_dash_page_file(FT_DASH_OVERVIEW, NULL, NULL, span, pg->file, sizeof(pg->file));
		} else if ((r = add_page(site, &p, &idx, &n_idx, &cap_idx, o, inv, d, span, &proto, NULL, NULL)) < 0) {
			goto fail;
		}
		if (site->empty)
			continue;
		if ((d = o->defs[FT_DASH_TENANT]))
			for (size_t i = 0; i < inv->n_tenants; i++) {
				struct job pj = proto;
				pj.tenant = inv->tenants[i].name, pj.t = &inv->tenants[i];
				if ((r = add_page(site, &p, &idx, &n_idx, &cap_idx, o, inv, d, span, &pj, pj.tenant, NULL)) < 0)
					goto fail;
			}
		if ((d = o->defs[FT_DASH_LINK]))
			for (size_t i = 0; i < inv->n_links; i++) {
				struct job pj = proto;
				pj.device = inv->links[i].device, pj.interface = inv->links[i].interface;
				if ((r = add_page(site, &p, &idx, &n_idx, &cap_idx, o, inv, d, span, &pj, pj.device,
				                  pj.interface)) < 0)
					goto fail;
			}
		if ((d = o->defs[FT_DASH_EXPORTER]))
			for (size_t i = 0; i < inv->n_exporters; i++) {
				struct job pj = proto;
				pj.exporter = inv->exporters[i];
				if ((r = add_page(site, &p, &idx, &n_idx, &cap_idx, o, inv, d, span, &pj, pj.exporter, NULL)) < 0)
					goto fail;
			}
	}

	/* the drawing, in worker processes */
	sh_size = sizeof(struct shared) + (p.n_jobs + 1) * sizeof(struct slot);
	sh = mmap(NULL, sh_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	atomic_init(&sh->next, 0);
	atomic_init(&sh->done, 0);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned jobs = o->jobs ? o->jobs : cpus > 0 ? (unsigned)cpus : 1;
	if (jobs > p.n_jobs)
		jobs = p.n_jobs ? (unsigned)p.n_jobs : 1;
	pid_t pids[256];
	unsigned n_pids = 0;
	fflush(NULL);
	for (unsigned w = 0; w < jobs && w < 256 && p.n_jobs; w++) {
		pid_t pid = fork();
		if (pid == 0) {
			signal(SIGPIPE, SIG_IGN);
			worker(o, &p, sh);
			_exit(0);
		}
		if (pid < 0)
			break;
		pids[n_pids++] = pid;
	}
	if (!n_pids && p.n_jobs)
		worker(o, &p, sh);          /* no process could be started: draw here */
	for (unsigned w = 0; w < n_pids; w++) {
		int st;
		while (o->progress) {
			pid_t q = waitpid(pids[w], &st, WNOHANG);
			if (q == pids[w] || (q < 0 && errno != EINTR))
				break;
			progress(sh, p.n_jobs, false);
			struct timespec ts = { 0, 200 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (!o->progress)
			while (waitpid(pids[w], &st, 0) < 0 && errno == EINTR)
				;
	}
	/* a worker that died left its graph undone: the others' are kept */
	if (o->progress && p.n_jobs)
		progress(sh, p.n_jobs, true);

	/* the results into the pages */
	size_t q = 0;
	for (size_t pi = 0; pi < site->n_pages; pi++) {
		struct ft_dash_page *pg = &site->pages[pi];
		for (size_t ii = 0; ii < pg->n_images; ii++) {
			struct ft_dash_image *im = &pg->images[ii];
			const struct slot *sl = &sh->slots[idx[q++]];
			im->drawn = sl->drawn;
			im->no_data = sl->no_data;
			if (sl->drawn)
				im->width = sl->width, im->height = sl->height;
			snprintf(im->error, sizeof(im->error), "%s",
			         sl->drawn || sl->error[0] ? sl->error : "not drawn: its worker process ended early");
			if (sl->n_series && !(im->series = calloc(sl->n_series, sizeof(*im->series)))) {
				r = -ENOMEM;
				goto fail;
			}
			if (sl->n_series)
				memcpy(im->series, sl->series, sl->n_series * sizeof(*im->series));
			im->n_series = sl->n_series;
			if (sl->n_values && !(im->values = calloc(sl->n_values, sizeof(*im->values)))) {
				r = -ENOMEM;
				goto fail;
			}
			if (sl->n_values)
				memcpy(im->values, sl->values, sl->n_values * sizeof(*im->values));
			im->n_values = sl->n_values;
		}
	}
	for (size_t i = 0; i < p.n_jobs; i++)
		if (sh->slots[i].drawn)
			site->images++;
		else if (sh->slots[i].no_data)
			site->no_data++;
		else
			site->failed++;
	goto done;
fail:
	if (r == -ENOMEM)
		ft_diag_add(diag, true, o->out_dir, 0, "out of memory drawing the dashboard");
	else if (r == -ENAMETOOLONG)
		ft_diag_add(diag, true, o->out_dir, 0, "a name is too long for a file name");
	else if (r < 0)
		ft_diag_add(diag, true, o->out_dir, 0, "cannot draw the dashboard: %s", strerror(-r));
	ft_dash_site_free(site);
done:
	if (sh != MAP_FAILED)
		munmap(sh, sh_size);
	for (size_t i = 0; i < p.n_rank; i++)
		free(p.rank[i].names);
	free(p.jobs);
	free(idx);
	return r;
}

void ft_dash_site_free(struct ft_dash_site *site)
{
	for (size_t i = 0; i < site->n_pages; i++) {
		for (size_t k = 0; k < site->pages[i].n_images; k++) {
			free(site->pages[i].images[k].series);
			free(site->pages[i].images[k].values);
		}
		free(site->pages[i].images);
	}
	free(site->pages);
	free(site->problems);
	memset(site, 0, sizeof(*site));
}
