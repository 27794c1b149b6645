/* flowtally — the operations dashboards' graph definitions (exporters/dashboard): one
 * libconfig file per page family in dashboards/, parsed into the structs below, which
 * the renderer turns into librrd graph arguments.  Operators add or change graphs there
 * without touching C.
 *
 * The format (dashboards/README.md has it at length, with examples):
 *
 *   kind   = "tenant";                 # overview | tenant | link | exporter (required)
 *   title  = "Tenant {tenant}";        # the page's title (required)
 *   width  = 800; height = 200;        # default size of the page's graphs (optional)
 *   graphs = (                         # at least one
 *     { name = "traffic";              # [a-z0-9_-], unique in the file (required)
 *       title = "{tenant}: traffic";   # (required)
 *       vertical_label = "bits/s";     # (optional)
 *       width = 800; height = 240;     # override the page's size (optional)
 *       lower_limit = 0; upper_limit = 100;   # the y axis (optional)
 *       top_tenants = 8;               # overview only: how many tenants for_each "tenant" draws
 *       period = "month_to_date";      # or "page", the default: the page's period
 *       items = (                      # in order: a name is defined before it is used
 *         { def = "in"; file = "tenants/{tenant}.rrd"; ds = "in_bytes"; cf = "AVERAGE"; },
 *         { cdef = "in_bits"; rpn = "in,8,*"; },
 *         { vdef = "in_p95"; of = "in_bits"; function = "PERCENT"; percent = 95; },
 *         { draw = "AREA"; value = "in_bits"; colour = "#3366CC"; legend = "in"; },
 *         { draw = "LINE1"; value = "in_p95"; colour = "#CC0000"; legend = "95th"; },
 *         { draw = "GPRINT"; value = "in_p95"; format = "%6.2lf %sb/s"; },
 *         { draw = "COMMENT"; text = "\n"; }
 *       ); }
 *   );
 *
 * An item is exactly one of def, cdef, vdef or draw:
 *   def    a data source: file (a pattern relative to the RRD directory: one of rrd.h's
 *          files, each path component literal or a whole placeholder), ds (one of that
 *          file kind's data sources), cf (AVERAGE, the default, or MAX: the archives
 *          the files keep).
 *   cdef   rpn: comma-separated RPN over numbers, names defined earlier and a fixed list
 *          of operators of known arity; it must leave exactly one value.
 *   vdef   of (a def or cdef), function (MAXIMUM, MINIMUM, AVERAGE, STDEV, LAST, FIRST,
 *          TOTAL, PERCENT, PERCENTNAN), percent (0..100, PERCENT and PERCENTNAN only,
 *          required by them).
 *   draw   LINE1, LINE2, LINE3 or AREA (value, colour, optional legend, stack = true to
 *          stack on the element drawn before it: rrdtool's STACK); HRULE (value: a vdef
 *          name or a number; colour; optional legend); GPRINT (value: a vdef; format:
 *          one %lf/%le/%lg conversion, an optional %s after it, %% anywhere); COMMENT
 *          (text).
 * Colours are "#RRGGBB" or "#RRGGBBAA".  Names (def, cdef, vdef) are a letter or '_'
 * then letters, digits, '_' (at most FT_DASH_VNAME_MAX - 1 bytes) with at least one
 * lower-case letter (so never an RPN operator's name), unique in their graph, and none
 * of the words librrd 1.7's graph parser keeps as keys (rrd, ds, cf, step, start, end,
 * reduce, daemon, vname, colour, label: rrdtool refuses such a name).
 *
 * Placeholders, in file, title, vertical_label, legend and text: {tenant} (tenant page;
 * overview inside for_each "tenant"), {class} (tenant page inside for_each "class"),
 * {device} and {interface} (link page), {exporter} (exporter page; overview inside
 * for_each "exporter").  Any other "{...}" or a lone brace is an error.  In a file
 * pattern a placeholder is a whole component and only where the layout has that name.
 *
 * Expansion: an item with for_each = "class" (tenant page) is repeated once per traffic
 * class of the tenant; for_each = "tenant" (overview, in a graph with top_tenants) once
 * per top tenant, ranked by in_bytes + out_bytes over the graph's period, largest
 * first; for_each = "exporter" (overview) once per exporter file.  What the renderer
 * must do:
 *   - expand item by item, in place: all repetitions of an item, in rank (or name)
 *     order, then the next item;
 *   - give each repetition's names a suffix a written name cannot have ("-1", "-2", ...:
 *     rrdtool takes '-' in a name, a definition never does), in every expanded item that
 *     uses them (plain names keep theirs);
 *   - stack = true on an expanded element: each repetition after the first stacks on the
 *     one before; the first stacks on the element drawn before the item if there is
 *     one, otherwise it is drawn unstacked (so a graph may open with a stacked family);
 *   - an expanded element's colours are taken in turn, cycling;
 *   - substitute placeholders (file names encoded with ft_rrd_name_encode), escape ':'
 *     as "\:" in legends, comments and GPRINT formats (not in the title and vertical
 *     label: they are options, where rrdtool would show the backslash), and skip
 *     repetitions whose file is missing.
 * An expanded item may use its own family's names and the graph's plain names; a plain
 * item may not use an expanded name (there is no one value it would stand for).
 *
 * Errors: every problem is a diag finding "file:line: what" (an unknown key, a missing
 * required key, a value of the wrong type or out of bounds, a bad colour, an unknown data
 * source for the file kind, a bad RPN token or an RPN that does not leave one value, a
 * name used before it is defined, an unknown or misplaced placeholder, two graphs of one
 * name, ...); parsing goes on after one, so that every error of a file is reported, in
 * line order, and any error refuses the whole file (its page is not drawn; the caller
 * goes on with the other files).  A definition is one file: an @include or a NUL byte is
 * an error, before libconfig could follow it.
 */
#ifndef FLOWTALLY_DASHBOARD_H
#define FLOWTALLY_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/diag.h"
#include "flowtally/rrd.h"

#define FT_DASH_NAME_MAX 32         /* a graph's name, NUL included */
#define FT_DASH_VNAME_MAX 32        /* a def/cdef/vdef name, NUL included */
#define FT_DASH_DS_MAX 24           /* a data source's name, NUL included */
#define FT_DASH_COLOURS_MAX 16      /* colours of one expanded drawing element */
#define FT_DASH_GRAPHS_MAX 32       /* graphs of one file */
#define FT_DASH_ITEMS_MAX 96        /* items of one graph */
#define FT_DASH_TEXT_MAX 256        /* a title, label, legend, text, format or RPN, NUL included */
#define FT_DASH_TOP_MAX 32          /* top_tenants */
#define FT_DASH_WIDTH_MIN 200
#define FT_DASH_WIDTH_MAX 4000
#define FT_DASH_HEIGHT_MIN 50
#define FT_DASH_HEIGHT_MAX 2000
#define FT_DASH_WIDTH_DEFAULT 800
#define FT_DASH_HEIGHT_DEFAULT 200

enum ft_dash_kind { FT_DASH_OVERVIEW, FT_DASH_TENANT, FT_DASH_LINK, FT_DASH_EXPORTER, FT_DASH__KINDS };

enum ft_dash_item_type { FT_DASH_DEF, FT_DASH_CDEF, FT_DASH_VDEF, FT_DASH_DRAW };

enum ft_dash_cf { FT_DASH_AVERAGE, FT_DASH_MAX };

enum ft_dash_vdef_fn { FT_DASH_MAXIMUM, FT_DASH_MINIMUM, FT_DASH_VAVERAGE, FT_DASH_STDEV, FT_DASH_LAST,
                       FT_DASH_FIRST, FT_DASH_TOTAL, FT_DASH_PERCENT, FT_DASH_PERCENTNAN };

enum ft_dash_draw { FT_DASH_LINE1, FT_DASH_LINE2, FT_DASH_LINE3, FT_DASH_AREA, FT_DASH_HRULE,
                    FT_DASH_GPRINT, FT_DASH_COMMENT };

/* Repetition of an item (for_each). */
enum ft_dash_each { FT_DASH_ONCE, FT_DASH_EACH_CLASS, FT_DASH_EACH_TENANT, FT_DASH_EACH_EXPORTER };

/* The time a graph covers: the page's (whatever period the renderer draws the page for:
 * a day, a week, ...), or from the start of the current month (the recharge month:
 * contract day and zone) to now, whatever the page's period. */
enum ft_dash_period { FT_DASH_PERIOD_PAGE, FT_DASH_PERIOD_MONTH_TO_DATE };

/* One item of a graph.  Strings are NUL-terminated; those of another type are empty. */
struct ft_dashboard_item {
	enum ft_dash_item_type type;
	enum ft_dash_each each;
	int line;                           /* where it is in the file */
	char vname[FT_DASH_VNAME_MAX];      /* def, cdef, vdef: the name it defines */
	/* def */
	char file[FT_DASH_TEXT_MAX];        /* pattern, relative to the RRD directory: placeholders
	                                     * stand for names to encode (ft_rrd_name_encode) */
	enum ft_rrd_kind rrd_kind;          /* the kind of file it names */
	char ds[FT_DASH_DS_MAX];
	enum ft_dash_cf cf;
	/* cdef: the RPN as written, every token checked */
	char rpn[FT_DASH_TEXT_MAX];
	/* vdef */
	char of[FT_DASH_VNAME_MAX];
	enum ft_dash_vdef_fn fn;
	double percent;                     /* PERCENT, PERCENTNAN */
	/* draw */
	enum ft_dash_draw draw;
	char value[FT_DASH_VNAME_MAX];      /* the name drawn or printed; HRULE at a number: "" */
	double at;                          /* HRULE at a number (value "") */
	bool stack;                         /* LINEn, AREA: on the element before (rrdtool STACK) */
	char colours[FT_DASH_COLOURS_MAX][10]; /* "#RRGGBB" or "#RRGGBBAA", upper case; more than
	                                     * one only for an expanded element */
	size_t n_colours;                   /* LINEn, AREA, HRULE: >= 1; GPRINT, COMMENT: 0 */
	char legend[FT_DASH_TEXT_MAX];      /* LINEn, AREA, HRULE (may be ""); COMMENT: its text */
	char format[FT_DASH_TEXT_MAX];      /* GPRINT */
};

struct ft_dashboard_graph {
	char name[FT_DASH_NAME_MAX];
	char title[FT_DASH_TEXT_MAX];
	char vertical_label[FT_DASH_TEXT_MAX];
	int width, height;                  /* the page's unless the graph gives its own */
	bool has_lower, has_upper;
	double lower_limit, upper_limit;
	unsigned top_tenants;               /* overview: how many tenants for_each "tenant" draws
	                                     * (0: not given; required by such items) */
	enum ft_dash_period period;
	struct ft_dashboard_item *items;
	size_t n_items;
	int line;
};

struct ft_dashboard {
	char *file;                         /* the name it was read under */
	enum ft_dash_kind kind;
	char title[FT_DASH_TEXT_MAX];
	int width, height;                  /* the page's default size */
	struct ft_dashboard_graph *graphs;
	size_t n_graphs;
};

/* "overview", "tenant", "link", "exporter". */
const char *ft_dash_kind_name(enum ft_dash_kind k);
const char *ft_dash_cf_name(enum ft_dash_cf cf);
const char *ft_dash_vdef_fn_name(enum ft_dash_vdef_fn fn);   /* "AVERAGE" for FT_DASH_VAVERAGE */
const char *ft_dash_draw_name(enum ft_dash_draw d);
const char *ft_dash_each_name(enum ft_dash_each e);         /* "once", "class", "tenant", "exporter" */
const char *ft_dash_period_name(enum ft_dash_period p);     /* "page", "month_to_date" */

/* Reads the definition file path.  Every problem goes to diag as file:line (see above),
 * in line order; any error refuses the file.  0 and *ret (the caller's:
 * ft_dashboard_free), -EINVAL (errors in diag), -ENOMEM, -errno when the file cannot be
 * read (in diag too, as "file: cannot read: ..."). */
int ft_dashboard_load(const char *path, struct ft_dashboard **ret, struct ft_diag *diag);
/* The same from text; name stands for the file in messages and in d->file. */
int ft_dashboard_parse(const char *text, const char *name, struct ft_dashboard **ret, struct ft_diag *diag);
/* NULL-safe; returns NULL. */
struct ft_dashboard *ft_dashboard_free(struct ft_dashboard *d);

/* The definitions built in: the .conf files of the source's dashboards/ at build time. */
struct ft_dash_builtin {
	const char *name;                   /* "overview.conf" */
	const char *text;
};
extern const struct ft_dash_builtin ft_dash_builtins[];
extern const size_t ft_dash_n_builtins;

/* The set of definitions drawn: every file of dir whose name ends in ".conf", in name order (dir NULL: the
 * built-in ones), at most one file of each kind.  A file with errors, or a second file
 * of a kind, is refused and its findings go to diag (file:line); the others are kept
 * in defs[kind] (the caller's: ft_dashboard_set_free), and a kind without a file is
 * NULL.  0 (even with refused files: diag has them), or -errno when dir cannot be read
 * (in diag too), -ENOMEM. */
int ft_dashboard_load_set(const char *dir, struct ft_dashboard *defs[FT_DASH__KINDS], struct ft_diag *diag);
void ft_dashboard_set_free(struct ft_dashboard *defs[FT_DASH__KINDS]);


/* ---- what there is to draw ---------------------------------------------------------------- */

/* The files of an RRD directory (rrd.h's layout), names decoded (ft_rrd_name_decode):
 * what the pages are made for.  Every list is sorted by strcmp of the names. */
struct ft_dash_tenant {
	char *name;
	char **classes;                     /* tenants/NAME/CLASS.rrd */
	size_t n_classes;
};
struct ft_dash_link {
	char *device, *interface;           /* interfaces/DEVICE/INTERFACE.rrd */
};
struct ft_dash_inventory {
	struct ft_dash_tenant *tenants;     /* tenants/NAME.rrd (a class directory alone does not make one) */
	size_t n_tenants;
	char **exporters;                   /* exporters/EXPORTER.rrd: "ADDRESS" or "ADDRESS-DOMAIN" */
	size_t n_exporters;
	struct ft_dash_link *links;
	size_t n_links;
	bool total, unattributed, collector;   /* total.rrd, unattributed.rrd, collector.rrd */
};

/* Reads the directory (a missing one is an empty inventory: no data yet).  A file name
 * ft_rrd_name_decode refuses is skipped with a warning in diag.  0, -ENOMEM, or -errno
 * when the directory cannot be read (in diag). */
int ft_dash_inventory_scan(const char *rrd_dir, struct ft_dash_inventory *inv, struct ft_diag *diag);
void ft_dash_inventory_free(struct ft_dash_inventory *inv);
/* Whether the inventory holds no file at all. */
bool ft_dash_inventory_empty(const struct ft_dash_inventory *inv);

/* ---- periods ------------------------------------------------------------------------------ */

/* What a page covers, ending at the render's time `at` (rounded down to 5 minutes):
 * day, week and year the last 1, 7 and 365 days; month the recharge month so far (from
 * the start of the month holding at - 1 s, in the zone from the contract day, as
 * flowtally recharge counts months), so that a page drawn at a month's end shows that
 * month exactly. */
enum ft_dash_span { FT_DASH_DAY, FT_DASH_WEEK, FT_DASH_MONTH, FT_DASH_YEAR, FT_DASH__SPANS };

const char *ft_dash_span_name(enum ft_dash_span s);    /* "day", "week", "month", "year" */
/* -1 for a name that is not one. */
int ft_dash_span_parse(const char *name);
/* The start of span s ending at at (UTC seconds, a multiple of 300).  Month: through
 * ft_recharge_month, which sets TZ for the call (not while another thread reads the
 * local time); at - 31 days if the zone cannot be used. */
int64_t ft_dash_span_start(enum ft_dash_span s, int64_t at, const char *zone, int contract_day);

/* ---- the rendered site -------------------------------------------------------------------- */

/* A drawn element's numbers over its graph's period, from the same data the graph drew
 * (librrd's xport of the graph's definitions): what the page's table shows. */
struct ft_dash_series {
	char label[FT_DASH_TEXT_MAX];       /* its legend, substituted (its name when it has none) */
	uint64_t n;                         /* values known (the others are unknown: NaN) */
	double avg, min, max, p95, last;    /* over the known values, NaN when n == 0; p95 is the
	                                     * nearest rank, as flowtally recharge takes it */
};

/* A VDEF's value as the graph computed it (a PRINT of it in the same librrd call). */
struct ft_dash_value {
	char name[FT_DASH_VNAME_MAX + 8];   /* the expanded name: "in_p95", "lost-2" */
	double value;                       /* NaN when unknown */
};

struct ft_dash_image {
	char graph[FT_DASH_NAME_MAX];       /* the definition's graph name */
	char file[256];                     /* the image, relative to the output directory ("img/...") */
	char title[FT_DASH_TEXT_MAX];       /* substituted */
	char vertical_label[FT_DASH_TEXT_MAX];
	enum ft_dash_period period;
	int64_t start, end;                 /* what it covers, UTC seconds: [start, end) */
	int width, height;                  /* the image's, in pixels, as librrd made it */
	struct ft_dash_series *series;
	size_t n_series;
	struct ft_dash_value *values;
	size_t n_values;
	bool drawn;
	bool no_data;                       /* not drawn because a file it reads does not exist yet */
	char error[512];                    /* not drawn: why (librrd's words, the file concerned) */
};

struct ft_dash_page {
	enum ft_dash_kind kind;
	enum ft_dash_span span;
	char subject[2 * FT_DASH_TEXT_MAX]; /* the tenant, "device interface", the exporter; "" overview */
	char title[FT_DASH_TEXT_MAX];       /* substituted */
	char file[512];                     /* its HTML file, relative to the output directory */
	struct ft_dash_image *images;
	size_t n_images;
};

/* ---- file names ----------------------------------------------------------------------------- */

/* The HTML file of a page (relative to the output directory, never with a '/'), made of
 * ft_rrd_name_encode'd names, '=' between parts (encode never makes one) and the span:
 *   overview.SPAN.html, tenant=NAME.SPAN.html, link=DEVICE=INTERFACE.SPAN.html,
 *   exporter=NAME.SPAN.html
 * (index.html is the overview of the first span drawn).  a is the tenant, the device
 * or the exporter, b the interface (NULL otherwise).  A file name may hold '%' (from
 * encoding): a link to it in HTML must escape it (ft_dash_href).  0, or -1 when it does
 * not fit. */
int ft_dash_page_file(enum ft_dash_kind k, const char *a, const char *b, enum ft_dash_span s, char *buf,
                      size_t size);
/* A relative file name as an HTML attribute's URL: '%' as "%25", and the bytes a URL
 * may not hold escaped too, so that file:// and any web server find the file.  0 or -1. */
int ft_dash_href(const char *file, char *buf, size_t size);


/* ---- rendering ------------------------------------------------------------------------------ */

enum ft_dash_format { FT_DASH_PNG, FT_DASH_SVG };

struct ft_dash_opts {
	const char *rrd_dir;                /* the files drawn */
	const char *daemon;                 /* rrdcached to flush them through first, or NULL */
	const char *out_dir;                /* the site: OUT/index.html, OUT/img/ (made when missing) */
	const struct ft_dashboard *defs[FT_DASH__KINDS];   /* NULL: that kind's pages are not drawn */
	bool spans[FT_DASH__SPANS];         /* the periods drawn (at least one) */
	int64_t at;                         /* the end of every period, UTC seconds (rounded down to 300) */
	const char *zone;                   /* recharge months (month, month_to_date); TZ is the caller's */
	int contract_day;
	enum ft_dash_format format;
	unsigned jobs;                      /* worker processes drawing (0: one per CPU) */
	bool progress;                      /* a progress line on stderr */
};

/* A definition file that was refused, or another problem the pages should show. */
struct ft_dash_problem {
	char text[1024];
};

struct ft_dash_site {
	enum ft_dash_span spans[FT_DASH__SPANS];   /* the periods drawn, in order */
	size_t n_spans;
	int64_t at;
	char generated[64];                 /* the render's time, local ("2026-12-02 09:15 GMT") */
	char version[32];
	bool empty;                         /* the RRD directory holds nothing yet */
	struct ft_dash_page *pages;         /* every span's overview, tenants, links, exporters */
	size_t n_pages;
	struct ft_dash_problem *problems;   /* definition errors and the like */
	size_t n_problems;
	uint64_t images, failed;            /* images drawn, images not drawn (for a reason other
	                                     * than no data yet) */
	uint64_t no_data;                   /* images not drawn: a file they read does not exist yet */
};

/* Draws every page of the inventory for each span of o into o->out_dir/img and fills
 * site (the caller's: ft_dash_site_free) with what was drawn.  A graph that cannot be
 * drawn (a missing file, librrd's error) is kept in its page, not drawn, with why; the
 * others are drawn.  0, or -errno when the output cannot be written or memory runs
 * out (diag says which). */
int ft_dash_render(const struct ft_dash_opts *o, const struct ft_dash_inventory *inv, struct ft_dash_site *site,
                   struct ft_diag *diag);
void ft_dash_site_free(struct ft_dash_site *site);

/* ---- the pages ------------------------------------------------------------------------------ */

/* Writes the site's HTML into out_dir: index.html (the first span's overview) and
 * every page of site, each through a temporary file renamed into place.  Static pages,
 * no script, no asset from elsewhere.  0, or -errno (err says which file). */
int ft_dash_html_write(const struct ft_dash_site *site, const char *out_dir, char *err, size_t err_size);
/* The same site as out_dir/dashboard.json (pages, images, their series' figures and
 * vdef values, null for unknown), for scripts: written aside and renamed.  0 or -errno. */
int ft_dash_json_write(const struct ft_dash_site *site, const char *out_dir, char *err, size_t err_size);

#endif
