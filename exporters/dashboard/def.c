/* The dashboards' definition files (dashboard.h): libconfig reads the syntax and reports
 * a syntax error with its line; this file walks the page's keys, then each graph and its
 * items in order, and converts them into struct ft_dashboard, naming file:line for every
 * problem it meets.  It goes on after a problem, so that one run lists them all, and any
 * error refuses the whole file: a page is drawn from a whole definition or not at all,
 * while the caller goes on with the other files.
 *
 * Items are checked in order against the names the graph has defined so far (a table
 * of vnames with their type and repetition), so that what reaches the renderer only
 * names what exists: files of the RRD layout (rrd.h) and their data sources, RPN whose
 * every token is a number, a known name or an operator of known arity, and placeholders
 * the page can fill.  The renderer then only substitutes and escapes.
 *
 * A definition is one file: an @include is refused before libconfig could follow it,
 * and so is a NUL byte (libconfig would stop reading there). */
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/dashboard.h"
#include "flowtally/conftext.h"
#include "flowtally/file.h"

#define DEF_MAX_BYTES (4u << 20)    /* a definition is a few pages of text */
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kind_names[] = { "overview", "tenant", "link", "exporter" };
static const char *const cf_names[] = { "AVERAGE", "MAX" };
static const char *const fn_names[] = { "MAXIMUM", "MINIMUM", "AVERAGE", "STDEV", "LAST",
                                        "FIRST", "TOTAL", "PERCENT", "PERCENTNAN" };
static const char *const draw_names[] = { "LINE1", "LINE2", "LINE3", "AREA", "HRULE", "GPRINT", "COMMENT" };
static const char *const each_names[] = { NULL, "class", "tenant", "exporter" };
static const char *const period_names[] = { "page", "month_to_date" };

const char *ft_dash_kind_name(enum ft_dash_kind k)
{
	return (unsigned)k < N_OF(kind_names) ? kind_names[k] : "?";
}

const char *ft_dash_cf_name(enum ft_dash_cf cf)
{
	return (unsigned)cf < N_OF(cf_names) ? cf_names[cf] : "?";
}

const char *ft_dash_vdef_fn_name(enum ft_dash_vdef_fn fn)
{
	return (unsigned)fn < N_OF(fn_names) ? fn_names[fn] : "?";
}

const char *ft_dash_each_name(enum ft_dash_each e)
{
	return (unsigned)e < N_OF(each_names) && each_names[e] ? each_names[e] : "once";
}

const char *ft_dash_period_name(enum ft_dash_period p)
{
	return (unsigned)p < N_OF(period_names) ? period_names[p] : "?";
}

const char *ft_dash_draw_name(enum ft_dash_draw d)
{
	return (unsigned)d < N_OF(draw_names) ? draw_names[d] : "?";
}

/* RPN operators a cdef may use, with how many values each takes from the stack and
 * leaves on it.  Only operators of fixed arity, so that the depth can be checked. */
static const struct {
	const char *name;
	unsigned char pops, pushes;
} rpn_ops[] = {
	{ "+", 2, 1 }, { "-", 2, 1 }, { "*", 2, 1 }, { "/", 2, 1 }, { "%", 2, 1 }, { "ADDNAN", 2, 1 },
	{ "POW", 2, 1 }, { "ATAN2", 2, 1 }, { "MIN", 2, 1 }, { "MAX", 2, 1 }, { "MINNAN", 2, 1 },
	{ "MAXNAN", 2, 1 }, { "LT", 2, 1 }, { "LE", 2, 1 }, { "GT", 2, 1 }, { "GE", 2, 1 }, { "EQ", 2, 1 },
	{ "NE", 2, 1 }, { "IF", 3, 1 }, { "LIMIT", 3, 1 }, { "UN", 1, 1 }, { "ISINF", 1, 1 },
	{ "SIN", 1, 1 }, { "COS", 1, 1 }, { "LOG", 1, 1 }, { "EXP", 1, 1 }, { "SQRT", 1, 1 },
	{ "ATAN", 1, 1 }, { "FLOOR", 1, 1 }, { "CEIL", 1, 1 }, { "ABS", 1, 1 }, { "DEG2RAD", 1, 1 },
	{ "RAD2DEG", 1, 1 }, { "TREND", 2, 1 }, { "TRENDNAN", 2, 1 }, { "DUP", 1, 2 }, { "POP", 1, 0 },
	{ "EXC", 2, 2 }, { "UNKN", 0, 1 }, { "INF", 0, 1 }, { "NEGINF", 0, 1 }, { "PREV", 0, 1 },
	{ "COUNT", 0, 1 }, { "NOW", 0, 1 }, { "TIME", 0, 1 }, { "LTIME", 0, 1 }, { "STEPWIDTH", 0, 1 },
	{ "NEWDAY", 0, 1 }, { "NEWWEEK", 0, 1 }, { "NEWMONTH", 0, 1 }, { "NEWYEAR", 0, 1 },
};

/* Words librrd 1.7's graph parser takes as keys (DEF:rrd=..., ds=, cf=, ...) wherever a
 * name stands: a DEF or VDEF of such a name is refused by rrdtool ("Not a valid vname"),
 * so the definition refuses it first. */
static const char *const rrdtool_words[] = { "rrd", "ds", "cf", "step", "start", "end", "reduce",
                                             "daemon", "vname", "colour", "label" };

/* A name the graph has defined so far. */
struct vname {
	const char *name;
	enum ft_dash_item_type type;
	enum ft_dash_each each;
};

struct dctx {
	const char *file;
	struct ft_diag *diag;
	int kind;                   /* enum ft_dash_kind; -1 while unknown (checks that need it are
	                             * skipped, so that one bad kind does not bury the file) */
	size_t bad;
	bool oom;
};

#define derr(c, s, ...)                                                                   \
	do {                                                                              \
		ft_diag_add((c)->diag, true, (c)->file, config_setting_source_line(s),      \
		            __VA_ARGS__);                                                 \
		(c)->bad++;                                                               \
	} while (0)

/* A finding about the file as a whole (a top-level key it lacks): no line applies. */
static void file_err(struct dctx *c, const char *what)
{
	ft_diag_add(c->diag, true, c->file, 0, "%s", what);
	c->bad++;
}

/* ---- values ---- */

static const char *get_string(struct dctx *c, const config_setting_t *s, const char *what)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		derr(c, s, "%s must be a string in double quotes", what);
		return NULL;
	}
	return config_setting_get_string(s);
}

/* The index of v in table[0..n), -1 (and said, with the choices) when it is none. */
static int get_enum(struct dctx *c, const config_setting_t *s, const char *what, const char *const *table,
                    size_t n)
{
	const char *v = get_string(c, s, what);
	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (table[i] && strcmp(v, table[i]) == 0)
			return (int)i;
	char choices[160] = "";
	size_t len = 0;
	for (size_t i = 0; i < n && len < sizeof(choices); i++)
		if (table[i])
			len += (size_t)snprintf(choices + len, sizeof(choices) - len, "%s%s", len ? ", " : "",
			                        table[i]);
	derr(c, s, "%s '%s' is not one of %s", what, v, choices);
	return -1;
}

static bool get_int(struct dctx *c, const config_setting_t *s, const char *what, long long lo, long long hi,
                    int *out)
{
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		derr(c, s, "%s must be a whole number", what);
		return false;
	}
	long long v = config_setting_get_int64(s);
	if (v < lo || v > hi) {
		derr(c, s, "%s = %lld is not within %lld..%lld", what, v, lo, hi);
		return false;
	}
	*out = (int)v;
	return true;
}

static bool get_number(struct dctx *c, const config_setting_t *s, const char *what, double *out)
{
	int t = config_setting_type(s);
	double v;
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (t == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else {
		derr(c, s, "%s must be a number", what);
		return false;
	}
	if (!isfinite(v)) {
		derr(c, s, "%s is not a finite number", what);
		return false;
	}
	*out = v;
	return true;
}

/* Whether placeholder p (its name, len bytes) can be filled where each applies; the
 * message when not into why. */
static bool placeholder_ok(const struct dctx *c, const char *p, size_t len, enum ft_dash_each each,
                           const char **why)
{
#define IS(s) (len == sizeof(s) - 1 && memcmp(p, s, len) == 0)
	*why = NULL;
	if (IS("tenant")) {
		if (c->kind < 0 || c->kind == FT_DASH_TENANT || (c->kind == FT_DASH_OVERVIEW && each == FT_DASH_EACH_TENANT))
			return true;
		*why = "only on a tenant page, and on the overview inside for_each \"tenant\"";
	} else if (IS("class")) {
		if (c->kind < 0 || (c->kind == FT_DASH_TENANT && each == FT_DASH_EACH_CLASS))
			return true;
		*why = "only on a tenant page inside for_each \"class\"";
	} else if (IS("device") || IS("interface")) {
		if (c->kind < 0 || c->kind == FT_DASH_LINK)
			return true;
		*why = "only on a link page";
	} else if (IS("exporter")) {
		if (c->kind < 0 || c->kind == FT_DASH_EXPORTER || (c->kind == FT_DASH_OVERVIEW && each == FT_DASH_EACH_EXPORTER))
			return true;
		*why = "only on an exporter page, and on the overview inside for_each \"exporter\"";
	}
	return false;
#undef IS
}

/* Text a person reads (title, label, legend, comment): bounded, no control characters,
 * braces only around a placeholder the page can fill.  Into out. */
static bool get_text(struct dctx *c, const config_setting_t *s, const char *what, enum ft_dash_each each,
                     char out[FT_DASH_TEXT_MAX])
{
	const char *v = get_string(c, s, what);
	if (!v)
		return false;
	size_t n = strlen(v);
	if (n >= FT_DASH_TEXT_MAX) {
		derr(c, s, "%s is %zu bytes, more than %d", what, n, FT_DASH_TEXT_MAX - 1);
		return false;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			derr(c, s, "%s holds a control character (write rrdtool's markers as \"\\\\n\", "
			     "\"\\\\l\", ...)", what);
			return false;
		}
	for (const char *p = v; *p; p++) {
		if (*p == '}') {
			derr(c, s, "%s: a '}' without its '{' (placeholders are {tenant}, {class}, {device}, "
			     "{interface}, {exporter})", what);
			return false;
		}
		if (*p != '{')
			continue;
		const char *e = strchr(p + 1, '}');
		size_t len = e ? (size_t)(e - p - 1) : 0;
		const char *why;
		if (!e || strcspn(p + 1, "{") < len) {
			derr(c, s, "%s: a '{' without its '}'", what);
			return false;
		}
		if (!placeholder_ok(c, p + 1, len, each, &why)) {
			if (why)
				derr(c, s, "%s: placeholder {%.*s} is not available here (%s)", what, (int)len, p + 1,
				     why);
			else
				derr(c, s, "%s: unknown placeholder {%.*s} (placeholders are {tenant}, {class}, "
				     "{device}, {interface}, {exporter})", what, (int)len, p + 1);
			return false;
		}
		p = e;
	}
	memcpy(out, v, n + 1);
	return true;
}

/* A colour "#RRGGBB" or "#RRGGBBAA", upper case into out. */
static bool colour_ok(const char *v, char out[10])
{
	size_t n = strlen(v);
	if (v[0] != '#' || (n != 7 && n != 9))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isxdigit((unsigned char)v[i]))
			return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)toupper((unsigned char)v[i]);
	return true;
}

static void get_colours(struct dctx *c, const config_setting_t *s, struct ft_dashboard_item *it)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);
		if (colour_ok(v, it->colours[0]))
			it->n_colours = 1;
		else
			derr(c, s, "colour '%s' is not #RRGGBB or #RRGGBBAA (hexadecimal)", v);
		return;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		derr(c, s, "'colour' must be \"#RRGGBB\", \"#RRGGBBAA\" or, for a for_each element, a list of them");
		return;
	}
	int n = config_setting_length(s);
	if (it->each == FT_DASH_ONCE) {
		derr(c, s, "'colour': a list of colours is only for a for_each element");
		return;
	}
	if (n < 1 || n > FT_DASH_COLOURS_MAX) {
		derr(c, s, "'colour' has %d colours, not 1..%d", n, FT_DASH_COLOURS_MAX);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
		if (!v || !colour_ok(v, it->colours[it->n_colours])) {
			derr(c, e, "'colour': element %d is not \"#RRGGBB\" or \"#RRGGBBAA\"", i + 1);
			it->n_colours = 0;
			return;
		}
		it->n_colours++;
	}
}

/* A name a def, cdef or vdef defines. */
static bool get_vname(struct dctx *c, const config_setting_t *s, const char *what, char out[FT_DASH_VNAME_MAX])
{
	const char *v = get_string(c, s, what);
	if (!v)
		return false;
	size_t n = strlen(v);
	bool ok = n > 0 && n < FT_DASH_VNAME_MAX && (isalpha((unsigned char)v[0]) || v[0] == '_');
	for (size_t i = 1; ok && i < n; i++)
		ok = isalnum((unsigned char)v[i]) || v[i] == '_';
	bool lower = false;
	for (size_t i = 0; i < n; i++)
		lower |= islower((unsigned char)v[i]) != 0;
	if (!ok || !lower) {
		derr(c, s, "%s '%s' is not a name (a letter or '_', then letters, digits or '_', at least one "
		     "lower-case letter so that it is never taken for an RPN operator; at most %d bytes)",
		     what, v, FT_DASH_VNAME_MAX - 1);
		return false;
	}
	for (size_t i = 0; i < N_OF(rrdtool_words); i++)
		if (strcmp(v, rrdtool_words[i]) == 0) {
			derr(c, s, "%s '%s' is a word rrdtool's graph arguments keep for themselves (%s=...): "
			     "choose another name", what, v, v);
			return false;
		}
	memcpy(out, v, n + 1);
	return true;
}

/* ---- names defined so far in a graph ---- */

static const struct vname *find_vname(const struct vname *v, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i].name) == len && memcmp(v[i].name, name, len) == 0)
			return &v[i];
	return NULL;
}

/* Whether an item repeated as each may use a name repeated as vn->each. */
static bool reach_ok(const struct vname *vn, enum ft_dash_each each)
{
	return vn->each == FT_DASH_ONCE || vn->each == each;
}

/* The name s gives (what) is defined before, of one of the types in mask (a bit per
 * enum ft_dash_item_type), and usable by an item repeated as each. */
static bool use_vname(struct dctx *c, const config_setting_t *s, const char *what, const struct vname *v,
                      size_t n, unsigned mask, const char *types, enum ft_dash_each each,
                      char out[FT_DASH_VNAME_MAX])
{
	const char *name = get_string(c, s, what);
	if (!name)
		return false;
	const struct vname *vn = find_vname(v, n, name, strlen(name));
	if (!vn) {
		derr(c, s, "%s '%s' is not defined before (by a def, cdef or vdef of the graph)", what, name);
		return false;
	}
	if (!(mask & (1u << vn->type))) {
		derr(c, s, "%s '%s' must be %s", what, name, types);
		return false;
	}
	if (!reach_ok(vn, each)) {
		derr(c, s, "%s '%s' is defined for_each \"%s\": only an item repeated the same way may use it",
		     what, name, each_names[vn->each]);
		return false;
	}
	snprintf(out, FT_DASH_VNAME_MAX, "%s", name);
	return true;
}

/* ---- def: the file and its data source ---- */

/* The kind of RRD file a pattern names (rrd.h's layout), each component literal (a name
 * as ft_rrd_name_encode writes it) or a whole placeholder that belongs there; -1 (and
 * said) when it names none. */
static int file_kind(struct dctx *c, const config_setting_t *s, const char *v, enum ft_dash_each each)
{
	static const char layout[] = "tenants/{tenant}.rrd, tenants/{tenant}/{class}.rrd, unattributed.rrd, "
	                             "total.rrd, exporters/{exporter}.rrd, collector.rrd, "
	                             "interfaces/{device}/{interface}.rrd";
	char buf[FT_DASH_TEXT_MAX];
	size_t n = strlen(v);
	if (n >= sizeof(buf) || n < 5 || strcmp(v + n - 4, ".rrd") != 0) {
		derr(c, s, "file '%s' is not one of the RRD files (%s)", v, layout);
		return -1;
	}
	memcpy(buf, v, n - 4);
	buf[n - 4] = '\0';
	char *comp[3];
	size_t k = 0;
	for (char *p = buf; p; k++) {
		if (k == N_OF(comp)) {
			derr(c, s, "file '%s' is not one of the RRD files (%s)", v, layout);
			return -1;
		}
		comp[k] = p;
		if ((p = strchr(p, '/')))
			*p++ = '\0';
	}
	int kind = -1;
	const char *want[3] = { NULL, NULL, NULL };  /* the placeholder each component may be */
	if (k == 1 && strcmp(comp[0], "total") == 0)
		kind = FT_RRD_TOTAL;
	else if (k == 1 && strcmp(comp[0], "unattributed") == 0)
		kind = FT_RRD_UNATTRIBUTED;
	else if (k == 1 && strcmp(comp[0], "collector") == 0)
		kind = FT_RRD_COLLECTOR;
	else if ((k == 2 || k == 3) && strcmp(comp[0], "tenants") == 0) {
		kind = FT_RRD_TENANT;
		want[1] = "tenant";
		want[2] = "class";
	} else if (k == 2 && strcmp(comp[0], "exporters") == 0) {
		kind = FT_RRD_EXPORTER;
		want[1] = "exporter";
	} else if (k == 3 && strcmp(comp[0], "interfaces") == 0) {
		kind = FT_RRD_INTERFACE;
		want[1] = "device";
		want[2] = "interface";
	}
	if (kind < 0) {
		derr(c, s, "file '%s' is not one of the RRD files (%s)", v, layout);
		return -1;
	}
	for (size_t i = 1; i < k; i++) {
		const char *p = comp[i];
		size_t len = strlen(p);
		if (p[0] == '{') {
			const char *why;
			if (len < 3 || p[len - 1] != '}' || strcspn(p + 1, "{}") != len - 2) {
				derr(c, s, "file '%s': a placeholder is a whole path component, {name}", v);
				return -1;
			}
			bool known = placeholder_ok(c, p + 1, len - 2, each, &why) || why;
			if (!known) {
				derr(c, s, "file '%s': unknown placeholder %s (placeholders are {tenant}, {class}, "
				     "{device}, {interface}, {exporter})", v, p);
				return -1;
			}
			if (len - 2 != strlen(want[i]) || memcmp(p + 1, want[i], len - 2) != 0) {
				derr(c, s, "file '%s': %s cannot stand there (it takes {%s} or a name)", v, p, want[i]);
				return -1;
			}
			if (why) {
				derr(c, s, "file '%s': placeholder %s is not available here (%s)", v, p, why);
				return -1;
			}
			continue;
		}
		bool ok = len > 0 && p[0] != '.';
		for (size_t j = 0; ok && j < len; j++)
			ok = isalnum((unsigned char)p[j]) || strchr("-_.%", p[j]);
		if (!ok) {
			derr(c, s, "file '%s': '%s' is neither a placeholder nor a file name (letters, digits, "
			     "'-', '_', '.', %%XX)", v, p);
			return -1;
		}
	}
	return kind;
}

/* ---- cdef: RPN ---- */

static void check_rpn(struct dctx *c, const config_setting_t *s, const char *rpn, const struct vname *v,
                      size_t n_v, enum ft_dash_each each)
{
	size_t depth = 0, len = strlen(rpn);
	if (len == 0) {
		derr(c, s, "rpn is empty");
		return;
	}
	if (len >= FT_DASH_TEXT_MAX) {
		derr(c, s, "rpn is %zu bytes, more than %d", len, FT_DASH_TEXT_MAX - 1);
		return;
	}
	for (const char *p = rpn;; p++) {
		size_t tl = strcspn(p, ",");
		char tok[FT_DASH_TEXT_MAX];
		memcpy(tok, p, tl);
		tok[tl] = '\0';
		size_t pops = 0, pushes = 1;
		if (tl == 0) {
			derr(c, s, "rpn '%s': an empty token (two commas, or one at an end)", rpn);
			return;
		}
		char *end;
		double num = strtod(tok, &end);
		bool is_num = (isdigit((unsigned char)tok[0]) || tok[0] == '.' ||
		               ((tok[0] == '-' || tok[0] == '+') && tl > 1)) && *end == '\0' && isfinite(num);
		if (!is_num) {
			size_t i = 0;
			while (i < N_OF(rpn_ops) && strcmp(rpn_ops[i].name, tok) != 0)
				i++;
			if (i < N_OF(rpn_ops)) {
				pops = rpn_ops[i].pops;
				pushes = rpn_ops[i].pushes;
			} else {
				const struct vname *vn = find_vname(v, n_v, tok, tl);
				if (!vn) {
					derr(c, s, "rpn '%s': token '%s' is not a number, an operator or a name defined "
					     "before", rpn, tok);
					return;
				}
				if (!reach_ok(vn, each)) {
					derr(c, s, "rpn '%s': '%s' is defined for_each \"%s\": only an item repeated the "
					     "same way may use it", rpn, tok, each_names[vn->each]);
					return;
				}
			}
		}
		if (depth < pops) {
			derr(c, s, "rpn '%s': '%s' needs %zu values, the stack holds %zu", rpn, tok, pops, depth);
			return;
		}
		depth = depth - pops + pushes;
		p += tl;
		if (!*p)
			break;
	}
	if (depth != 1)
		derr(c, s, "rpn '%s' leaves %zu values, not one", rpn, depth);
}

/* ---- GPRINT's format ---- */

/* One %lf, %le or %lg (flags, width, precision allowed), then at most one %s or %S
 * (rrdtool's SI prefix); %% anywhere; nothing else, since rrdtool hands it to printf. */
static bool format_ok(const char *f)
{
	int nums = 0, si = 0;
	for (const char *p = f; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '%')
			continue;
		if (*p == 's' || *p == 'S') {
			if (!nums || si++)
				return false;
			continue;
		}
		p += strspn(p, "-+ 0#");
		p += strspn(p, "0123456789");
		if (*p == '.') {
			p++;
			p += strspn(p, "0123456789");
		}
		if (p[0] != 'l' || !p[1] || !strchr("feg", p[1]) || nums++)
			return false;
		p++;
	}
	return nums == 1;
}

static bool get_format(struct dctx *c, const config_setting_t *s, char out[FT_DASH_TEXT_MAX])
{
	const char *f = get_string(c, s, "'format'");
	if (!f)
		return false;
	for (const char *p = f; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			derr(c, s, "'format' holds a control character");
			return false;
		}
	if (strlen(f) >= FT_DASH_TEXT_MAX || !format_ok(f)) {
		derr(c, s, "format '%s' must hold one %%lf, %%le or %%lg (with flags, width, precision), "
		     "then at most one %%s, and %%%% for a percent sign", f);
		return false;
	}
	snprintf(out, FT_DASH_TEXT_MAX, "%s", f);
	return true;
}

/* ---- items ---- */

/* Which item types, and for draw which elements, take a key. */
#define T(x) (1u << (x))
#define D(x) (1u << (x))
#define ALL_DRAW (D(FT_DASH_LINE1) | D(FT_DASH_LINE2) | D(FT_DASH_LINE3) | D(FT_DASH_AREA) | D(FT_DASH_HRULE) | \
                  D(FT_DASH_GPRINT) | D(FT_DASH_COMMENT))
#define LINES (D(FT_DASH_LINE1) | D(FT_DASH_LINE2) | D(FT_DASH_LINE3) | D(FT_DASH_AREA))
static const struct {
	const char *name;
	unsigned types;
	unsigned draws;             /* for draw items */
} item_keys[] = {
	{ "def", T(FT_DASH_DEF), 0 },
	{ "cdef", T(FT_DASH_CDEF), 0 },
	{ "vdef", T(FT_DASH_VDEF), 0 },
	{ "draw", T(FT_DASH_DRAW), ALL_DRAW },
	{ "for_each", T(FT_DASH_DEF) | T(FT_DASH_CDEF) | T(FT_DASH_VDEF) | T(FT_DASH_DRAW), ALL_DRAW },
	{ "file", T(FT_DASH_DEF), 0 },
	{ "ds", T(FT_DASH_DEF), 0 },
	{ "cf", T(FT_DASH_DEF), 0 },
	{ "rpn", T(FT_DASH_CDEF), 0 },
	{ "of", T(FT_DASH_VDEF), 0 },
	{ "function", T(FT_DASH_VDEF), 0 },
	{ "percent", T(FT_DASH_VDEF), 0 },
	{ "value", T(FT_DASH_DRAW), LINES | D(FT_DASH_HRULE) | D(FT_DASH_GPRINT) },
	{ "colour", T(FT_DASH_DRAW), LINES | D(FT_DASH_HRULE) },
	{ "legend", T(FT_DASH_DRAW), LINES | D(FT_DASH_HRULE) },
	{ "stack", T(FT_DASH_DRAW), LINES },
	{ "format", T(FT_DASH_DRAW), D(FT_DASH_GPRINT) },
	{ "text", T(FT_DASH_DRAW), D(FT_DASH_COMMENT) },
};
enum { K_DEF, K_CDEF, K_VDEF, K_DRAW, K_EACH, K_FILE, K_DS, K_CF, K_RPN, K_OF, K_FUNCTION, K_PERCENT,
       K_VALUE, K_COLOUR, K_LEGEND, K_STACK, K_FORMAT, K_TEXT, N_ITEM_KEYS };

static const char *const type_names[] = { "def", "cdef", "vdef", "draw" };

static void get_item(struct dctx *c, const config_setting_t *g, struct ft_dashboard_graph *gr,
                     struct ft_dashboard_item *it, struct vname *v, size_t *n_v, bool *drawn)
{
	const config_setting_t *k[N_ITEM_KEYS] = { 0 };
	it->line = config_setting_source_line(g);
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		size_t j = 0;
		while (j < N_ITEM_KEYS && strcmp(item_keys[j].name, config_setting_name(e)) != 0)
			j++;
		if (j == N_ITEM_KEYS)
			derr(c, e, "item: unknown key '%s' (keys: def, cdef, vdef, draw, for_each, file, ds, cf, "
			     "rpn, of, function, percent, value, colour, legend, stack, format, text)",
			     config_setting_name(e));
		else
			k[j] = e;
	}
	int type = -1, n_types = 0;
	for (int t = FT_DASH_DEF; t <= FT_DASH_DRAW; t++)
		if (k[K_DEF + t]) {
			type = t;
			n_types++;
		}
	if (n_types != 1) {
		derr(c, g, "graph '%s': an item needs exactly one of def, cdef, vdef and draw", gr->name);
		return;
	}
	it->type = (enum ft_dash_item_type)type;
	int draw = -1;
	if (type == FT_DASH_DRAW) {
		const char *dv = config_setting_type(k[K_DRAW]) == CONFIG_TYPE_STRING
		                 ? config_setting_get_string(k[K_DRAW]) : NULL;
		if (dv && strcmp(dv, "STACK") == 0) {
			derr(c, k[K_DRAW], "draw 'STACK': write draw = \"AREA\" (or LINEn) with stack = true");
			return;
		}
		if ((draw = get_enum(c, k[K_DRAW], "draw", draw_names, N_OF(draw_names))) < 0)
			return;
		it->draw = (enum ft_dash_draw)draw;
	}
	/* keys this type or element does not take */
	bool wrong = false;
	for (size_t j = 0; j < N_ITEM_KEYS; j++)
		if (k[j] && (!(item_keys[j].types & T(type)) || (draw >= 0 && !(item_keys[j].draws & D(draw))))) {
			derr(c, k[j], "'%s' is not a key of a %s item", item_keys[j].name,
			     draw >= 0 ? draw_names[draw] : type_names[type]);
			wrong = true;
		}
	if (wrong)
		return;

	if (k[K_EACH]) {
		int e = get_enum(c, k[K_EACH], "for_each", each_names, N_OF(each_names));
		if (e < 0)
			return;
		if (c->kind >= 0 && e == FT_DASH_EACH_CLASS && c->kind != FT_DASH_TENANT) {
			derr(c, k[K_EACH], "for_each \"class\" is only for a tenant page, not %s", kind_names[c->kind]);
			return;
		}
		if (c->kind >= 0 && e != FT_DASH_EACH_CLASS && c->kind != FT_DASH_OVERVIEW) {
			derr(c, k[K_EACH], "for_each \"%s\" is only for the overview, not %s", each_names[e],
			     kind_names[c->kind]);
			return;
		}
		if (e == FT_DASH_EACH_TENANT && !gr->top_tenants) {
			derr(c, k[K_EACH], "graph '%s': for_each \"tenant\" needs the graph's top_tenants", gr->name);
			return;
		}
		it->each = (enum ft_dash_each)e;
	}

	static const char *const required[][3] = {
		[FT_DASH_DEF] = { "file", "ds", NULL },
		[FT_DASH_CDEF] = { "rpn", NULL, NULL },
		[FT_DASH_VDEF] = { "of", "function", NULL },
	};
	bool missing = false;
	if (type != FT_DASH_DRAW)
		for (size_t i = 0; required[type][i]; i++) {
			size_t j = 0;
			while (strcmp(item_keys[j].name, required[type][i]) != 0)
				j++;
			if (!k[j]) {
				derr(c, g, "graph '%s': a %s item has no '%s'", gr->name, type_names[type], required[type][i]);
				missing = true;
			}
		}
	if (missing)
		return;

	switch (it->type) {
	case FT_DASH_DEF: {
		get_vname(c, k[K_DEF], "def", it->vname);
		const char *f = get_string(c, k[K_FILE], "'file'");
		int fk = f ? file_kind(c, k[K_FILE], f, it->each) : -1;
		const char *ds = get_string(c, k[K_DS], "'ds'");
		if (fk >= 0 && ds) {
			it->rrd_kind = (enum ft_rrd_kind)fk;
			snprintf(it->file, sizeof(it->file), "%s", f);
			const char *const *names;
			size_t n = ft_rrd_ds_names(it->rrd_kind, &names), i = 0;
			while (i < n && strcmp(names[i], ds) != 0)
				i++;
			if (i == n) {
				char list[200] = "";
				size_t len = 0;
				for (size_t j = 0; j < n && len < sizeof(list); j++)
					len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", j ? ", " : "", names[j]);
				derr(c, k[K_DS], "ds '%s' is not a data source of %s (it has %s)", ds, f, list);
			} else {
				snprintf(it->ds, sizeof(it->ds), "%s", ds);
			}
		}
		if (k[K_CF]) {
			int cf = get_enum(c, k[K_CF], "cf", cf_names, N_OF(cf_names));
			it->cf = cf < 0 ? FT_DASH_AVERAGE : (enum ft_dash_cf)cf;
		}
		break;
	}
	case FT_DASH_CDEF: {
		get_vname(c, k[K_CDEF], "cdef", it->vname);
		const char *r = get_string(c, k[K_RPN], "'rpn'");
		if (r) {
			size_t bad = c->bad;
			check_rpn(c, k[K_RPN], r, v, *n_v, it->each);
			if (c->bad == bad)
				snprintf(it->rpn, sizeof(it->rpn), "%s", r);
		}
		break;
	}
	case FT_DASH_VDEF: {
		get_vname(c, k[K_VDEF], "vdef", it->vname);
		use_vname(c, k[K_OF], "'of'", v, *n_v, T(FT_DASH_DEF) | T(FT_DASH_CDEF), "a def or a cdef", it->each,
		          it->of);
		int fn = get_enum(c, k[K_FUNCTION], "function", fn_names, N_OF(fn_names));
		if (fn < 0)
			break;
		it->fn = (enum ft_dash_vdef_fn)fn;
		bool pct = fn == FT_DASH_PERCENT || fn == FT_DASH_PERCENTNAN;
		if (pct && !k[K_PERCENT])
			derr(c, g, "graph '%s': vdef '%s' with %s has no 'percent'", gr->name, it->vname, fn_names[fn]);
		else if (!pct && k[K_PERCENT])
			derr(c, k[K_PERCENT], "'percent' is only for PERCENT and PERCENTNAN, not %s", fn_names[fn]);
		else if (pct && get_number(c, k[K_PERCENT], "'percent'", &it->percent) &&
		         (it->percent < 0 || it->percent > 100)) {
			derr(c, k[K_PERCENT], "'percent' = %g is not within 0..100", it->percent);
			it->percent = 0;
		}
		break;
	}
	case FT_DASH_DRAW:
		switch (it->draw) {
		case FT_DASH_LINE1:
		case FT_DASH_LINE2:
		case FT_DASH_LINE3:
		case FT_DASH_AREA:
			if (!k[K_VALUE] || !k[K_COLOUR]) {
				derr(c, g, "graph '%s': a %s element has no '%s'", gr->name, draw_names[draw],
				     k[K_VALUE] ? "colour" : "value");
				return;
			}
			use_vname(c, k[K_VALUE], "'value'", v, *n_v, T(FT_DASH_DEF) | T(FT_DASH_CDEF), "a def or a cdef",
			          it->each, it->value);
			if (k[K_STACK] && config_setting_type(k[K_STACK]) != CONFIG_TYPE_BOOL)
				derr(c, k[K_STACK], "'stack' must be true or false");
			else if (k[K_STACK] && (it->stack = config_setting_get_bool(k[K_STACK])) && !*drawn &&
			         it->each == FT_DASH_ONCE)
				/* a repeated element may open the graph: its first repetition is drawn
				 * unstacked (dashboard.h) */
				derr(c, k[K_STACK], "graph '%s': stack = true, but no line or area is drawn before to "
				     "stack on", gr->name);
			*drawn = true;
			break;
		case FT_DASH_HRULE:
			if (!k[K_VALUE] || !k[K_COLOUR]) {
				derr(c, g, "graph '%s': a HRULE element has no '%s'", gr->name, k[K_VALUE] ? "colour" : "value");
				return;
			}
			if (config_setting_type(k[K_VALUE]) == CONFIG_TYPE_STRING)
				use_vname(c, k[K_VALUE], "'value'", v, *n_v, T(FT_DASH_VDEF), "a vdef", it->each, it->value);
			else
				get_number(c, k[K_VALUE], "'value'", &it->at);
			break;
		case FT_DASH_GPRINT:
			if (!k[K_VALUE] || !k[K_FORMAT]) {
				derr(c, g, "graph '%s': a GPRINT element has no '%s'", gr->name, k[K_VALUE] ? "format" : "value");
				return;
			}
			use_vname(c, k[K_VALUE], "'value'", v, *n_v, T(FT_DASH_VDEF), "a vdef", it->each, it->value);
			get_format(c, k[K_FORMAT], it->format);
			break;
		case FT_DASH_COMMENT:
			if (!k[K_TEXT]) {
				derr(c, g, "graph '%s': a COMMENT element has no 'text'", gr->name);
				return;
			}
			get_text(c, k[K_TEXT], "'text'", it->each, it->legend);
			break;
		}
		if (k[K_COLOUR])
			get_colours(c, k[K_COLOUR], it);
		if (k[K_LEGEND])
			get_text(c, k[K_LEGEND], "'legend'", it->each, it->legend);
		break;
	}
	/* a bad item's name is still defined, so that its uses are not reported as well */
	if (!*it->vname)
		return;
	if (find_vname(v, *n_v, it->vname, strlen(it->vname))) {
		derr(c, k[K_DEF + type], "graph '%s': '%s' is already defined", gr->name, it->vname);
		return;
	}
	v[(*n_v)++] = (struct vname){ it->vname, it->type, it->each };
}

/* ---- graphs ---- */

/* A list of groups: false (and said) when s is not one. */
static bool group_list(struct dctx *c, const config_setting_t *s, const char *what, const char *example)
{
	if (!config_setting_is_list(s)) {
		derr(c, s, "'%s' must be a list of groups: ( %s, ... )", what, example);
		return false;
	}
	bool ok = true;
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (!config_setting_is_group(g)) {
			derr(c, g, "'%s': element %d is not a group %s", what, i + 1, example);
			ok = false;
		}
	}
	return ok;
}

static const char *const graph_keys[] = { "name", "title", "vertical_label", "width", "height",
                                          "lower_limit", "upper_limit", "top_tenants", "period", "items" };
enum { G_NAME, G_TITLE, G_LABEL, G_WIDTH, G_HEIGHT, G_LOWER, G_UPPER, G_TOP, G_PERIOD, G_ITEMS, N_GRAPH_KEYS };

static void get_graph(struct dctx *c, const config_setting_t *g, const struct ft_dashboard *d,
                      struct ft_dashboard_graph *gr)
{
	const config_setting_t *k[N_GRAPH_KEYS] = { 0 };
	gr->line = config_setting_source_line(g);
	gr->width = d->width;
	gr->height = d->height;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		size_t j = 0;
		while (j < N_GRAPH_KEYS && strcmp(graph_keys[j], config_setting_name(e)) != 0)
			j++;
		if (j == N_GRAPH_KEYS)
			derr(c, e, "graph: unknown key '%s' (keys: name, title, vertical_label, width, height, "
			     "lower_limit, upper_limit, top_tenants, period, items)", config_setting_name(e));
		else
			k[j] = e;
	}
	if (!k[G_NAME]) {
		derr(c, g, "a graph has no 'name'");
	} else {
		const char *v = get_string(c, k[G_NAME], "graph name");
		size_t n = v ? strlen(v) : 0;
		bool ok = v && n > 0 && n < FT_DASH_NAME_MAX;
		for (size_t i = 0; ok && i < n; i++)
			ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-';
		if (v && !ok)
			derr(c, k[G_NAME], "graph name '%s' is not 1-%d bytes of a-z, 0-9, '_' and '-' (it names "
			     "the image file)", v, FT_DASH_NAME_MAX - 1);
		else if (v)
			memcpy(gr->name, v, n + 1);
	}
	if (!k[G_TITLE])
		derr(c, g, "graph '%s' has no 'title'", gr->name);
	else
		get_text(c, k[G_TITLE], "'title'", FT_DASH_ONCE, gr->title);
	if (k[G_LABEL])
		get_text(c, k[G_LABEL], "'vertical_label'", FT_DASH_ONCE, gr->vertical_label);
	if (k[G_WIDTH])
		get_int(c, k[G_WIDTH], "'width'", FT_DASH_WIDTH_MIN, FT_DASH_WIDTH_MAX, &gr->width);
	if (k[G_HEIGHT])
		get_int(c, k[G_HEIGHT], "'height'", FT_DASH_HEIGHT_MIN, FT_DASH_HEIGHT_MAX, &gr->height);
	if (k[G_LOWER])
		gr->has_lower = get_number(c, k[G_LOWER], "'lower_limit'", &gr->lower_limit);
	if (k[G_UPPER])
		gr->has_upper = get_number(c, k[G_UPPER], "'upper_limit'", &gr->upper_limit);
	if (gr->has_lower && gr->has_upper && gr->lower_limit >= gr->upper_limit)
		derr(c, k[G_UPPER], "graph '%s': upper_limit %g is not above lower_limit %g", gr->name,
		     gr->upper_limit, gr->lower_limit);
	if (k[G_TOP]) {
		int top = 0;
		if (c->kind >= 0 && c->kind != FT_DASH_OVERVIEW)
			derr(c, k[G_TOP], "'top_tenants' is only for the overview, not %s", kind_names[c->kind]);
		else if (get_int(c, k[G_TOP], "'top_tenants'", 1, FT_DASH_TOP_MAX, &top))
			gr->top_tenants = (unsigned)top;
	}
	if (k[G_PERIOD]) {
		int p = get_enum(c, k[G_PERIOD], "period", period_names, N_OF(period_names));
		gr->period = p < 0 ? FT_DASH_PERIOD_PAGE : (enum ft_dash_period)p;
	}
	if (!k[G_ITEMS]) {
		derr(c, g, "graph '%s' has no 'items'", gr->name);
		return;
	}
	if (!group_list(c, k[G_ITEMS], "items", "{ def = \"in\"; file = \"total.rrd\"; ds = \"bytes\"; }"))
		return;
	size_t n = (size_t)config_setting_length(k[G_ITEMS]);
	if (n > FT_DASH_ITEMS_MAX) {
		derr(c, k[G_ITEMS], "graph '%s' has %zu items, more than %d", gr->name, n, FT_DASH_ITEMS_MAX);
		return;
	}
	if (n == 0) {
		derr(c, k[G_ITEMS], "graph '%s' has no items", gr->name);
		return;
	}
	struct vname *v = calloc(n, sizeof(*v));
	if (!v || !(gr->items = calloc(n, sizeof(*gr->items)))) {
		free(v);
		c->oom = true;
		return;
	}
	size_t n_v = 0;
	bool drawn = false, draws = false;
	for (size_t i = 0; i < n; i++) {
		struct ft_dashboard_item *it = &gr->items[gr->n_items++];
		get_item(c, config_setting_get_elem(k[G_ITEMS], (unsigned)i), gr, it, v, &n_v, &drawn);
		draws |= it->type == FT_DASH_DRAW;
	}
	free(v);
	if (!draws)
		derr(c, k[G_ITEMS], "graph '%s' draws nothing (no draw item)", gr->name);
}

/* ---- reading ---- */

static const char *const page_keys[] = { "kind", "title", "width", "height", "graphs" };
enum { P_KIND, P_TITLE, P_WIDTH, P_HEIGHT, P_GRAPHS, N_PAGE_KEYS };

static void get_page(struct dctx *c, const config_setting_t *root, struct ft_dashboard *d)
{
	const config_setting_t *k[N_PAGE_KEYS] = { 0 };
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *e = config_setting_get_elem(root, (unsigned)i);
		size_t j = 0;
		while (j < N_PAGE_KEYS && strcmp(page_keys[j], config_setting_name(e)) != 0)
			j++;
		if (j == N_PAGE_KEYS)
			derr(c, e, "unknown key '%s' (a definition has kind, title, width, height, graphs)",
			     config_setting_name(e));
		else
			k[j] = e;
	}
	/* the kind first: what a graph may say depends on it */
	if (!k[P_KIND])
		file_err(c, "no 'kind' (overview, tenant, link or exporter)");
	else
		c->kind = get_enum(c, k[P_KIND], "kind", kind_names, N_OF(kind_names));
	d->kind = c->kind < 0 ? FT_DASH_OVERVIEW : (enum ft_dash_kind)c->kind;
	if (!k[P_TITLE])
		file_err(c, "no 'title'");
	else
		get_text(c, k[P_TITLE], "'title'", FT_DASH_ONCE, d->title);
	d->width = FT_DASH_WIDTH_DEFAULT;
	d->height = FT_DASH_HEIGHT_DEFAULT;
	if (k[P_WIDTH])
		get_int(c, k[P_WIDTH], "'width'", FT_DASH_WIDTH_MIN, FT_DASH_WIDTH_MAX, &d->width);
	if (k[P_HEIGHT])
		get_int(c, k[P_HEIGHT], "'height'", FT_DASH_HEIGHT_MIN, FT_DASH_HEIGHT_MAX, &d->height);
	if (!k[P_GRAPHS]) {
		file_err(c, "no 'graphs'");
		return;
	}
	if (!group_list(c, k[P_GRAPHS], "graphs", "{ name = \"...\"; title = \"...\"; items = ( ... ); }"))
		return;
	size_t n = (size_t)config_setting_length(k[P_GRAPHS]);
	if (n == 0 || n > FT_DASH_GRAPHS_MAX) {
		derr(c, k[P_GRAPHS], "'graphs' has %zu graphs, not 1..%d", n, FT_DASH_GRAPHS_MAX);
		return;
	}
	if (!(d->graphs = calloc(n, sizeof(*d->graphs)))) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < n && !c->oom; i++) {
		const config_setting_t *g = config_setting_get_elem(k[P_GRAPHS], (unsigned)i);
		struct ft_dashboard_graph *gr = &d->graphs[d->n_graphs++];
		get_graph(c, g, d, gr);
		for (size_t j = 0; *gr->name && j + 1 < d->n_graphs; j++)
			if (strcmp(d->graphs[j].name, gr->name) == 0) {
				derr(c, g, "graph '%s' is already defined at line %d", gr->name, d->graphs[j].line);
				break;
			}
	}
}

/* text[0..len) (NUL-terminated at len), named name. */
static int parse(const char *text, size_t len, const char *name, struct ft_dashboard **ret, struct ft_diag *diag)
{
	struct ft_diag local = { 0 };
	if (!diag)
		diag = &local;
	ft_diag_file(diag, name);
	const char *nul = memchr(text, '\0', len);
	int inc = ft_conftext_include_line(text);
	if (nul || inc) {
		int line = 1;
		for (const char *p = text; nul && p < nul; p++)
			line += *p == '\n';
		if (nul)
			ft_diag_add(diag, true, name, line, "holds a NUL byte: a definition is text");
		else
			ft_diag_add(diag, true, name, inc, "@include: a definition is one file");
		ft_diag_sort(diag);
		ft_diag_done(&local);
		return -EINVAL;
	}

	config_t lc;
	config_init(&lc);
	if (!config_read_string(&lc, text)) {
		ft_conftext_syntax_error(&lc, name, text, diag);
		config_destroy(&lc);
		ft_diag_sort(diag);
		ft_diag_done(&local);
		return -EINVAL;
	}
	struct dctx c = { .file = name, .diag = diag, .kind = -1 };
	struct ft_dashboard *d = calloc(1, sizeof(*d));
	if (!d || !(d->file = strdup(name)))
		c.oom = true;
	else
		get_page(&c, config_root_setting(&lc), d);
	config_destroy(&lc);
	ft_diag_sort(diag);
	ft_diag_done(&local);
	if (c.oom || c.bad) {
		ft_dashboard_free(d);
		return c.oom ? -ENOMEM : -EINVAL;
	}
	*ret = d;
	return 0;
}

int ft_dashboard_parse(const char *text, const char *name, struct ft_dashboard **ret, struct ft_diag *diag)
{
	return parse(text, strlen(text), name, ret, diag);
}

int ft_dashboard_load(const char *path, struct ft_dashboard **ret, struct ft_diag *diag)
{
	char *text;
	size_t len;
	int err = ft_file_read_all(path, DEF_MAX_BYTES, &text, &len);
	if (err < 0) {
		ft_diag_file(diag, path);
		ft_diag_add(diag, true, path, 0, "cannot read: %s", strerror(-err));
		return err;
	}
	int r = parse(text, len, path, ret, diag);
	free(text);
	return r;
}

struct ft_dashboard *ft_dashboard_free(struct ft_dashboard *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->n_graphs; i++)
		free(d->graphs[i].items);
	free(d->graphs);
	free(d->file);
	free(d);
	return NULL;
}
