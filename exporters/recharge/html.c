/* The month's statement as one self-contained HTML page (recharge.h, ft_report_html):
 * what a partner's finance officer reads and prints.  No external assets: the style is
 * an inline <style>, the daily graph inline SVG, so the page reads the same offline and
 * in ten years.
 *
 * The page: a header with the month, then one section per tenant (all of them in the
 * statement's order, by name, or the one asked for), each on its own printed page:
 * who it is, the period in UTC and in the statement's zone, coverage, usage, the 95th
 * percentiles, the charges (when there is a tariff) and a bar pair per local day; last
 * the provenance (version, files and their hashes, tenant maps, ledgers and their
 * heads, the RRD cross-check, notes).
 *
 * Every figure comes from integers: bytes and pence exactly, with thousands separators,
 * and the human figures (GB, Mb/s, pounds) by integer rounding, so that identical
 * reports give identical bytes on every platform.  Nothing of the time of day, the
 * locale or a pointer reaches the page; local times are worked out once, with the
 * report's zone in TZ for that pass only.  Every string from the data is escaped:
 * tenant names, display names and descriptions come from configuration. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowtally/html.h"
#include "flowtally/recharge.h"

/* ---- text ------------------------------------------------------------------------------- */

/* s (at most max bytes) as HTML text or an attribute's value (html.h). */
static void esc(FILE *f, const char *s, size_t max)
{
	ft_html_text(f, s, max);
}
#define ESC(f, arr) esc((f), (arr), sizeof(arr))
#define ESCP(f, p) esc((f), (p), SIZE_MAX)

/* A figure as text, returned by value so that it can sit in a printf's arguments. */
struct num {
	char s[80];
};

/* v / div rounded to the nearest hundredth (halves up), as "1,234.57" and unit. */
static struct num hundredths(uint64_t v, uint64_t div, const char *unit)
{
	unsigned __int128 h = ((unsigned __int128)v * 100 + div / 2) / div;
	struct num out;
	snprintf(out.s, sizeof(out.s), "%s.%02u%s%s", ft_text_grouped(h / 100).s, (unsigned)(h % 100), *unit ? " " : "",
	         unit);
	return out;
}

static struct num gb(uint64_t bytes)
{
	return hundredths(bytes, 1000000000u, "GB");
}

static struct num mbps(uint64_t bps)
{
	return hundredths(bps, 1000000u, "Mb/s");
}

/* Decimal units, the largest that keeps the figure at 1 or more (the graph's axis). */
static struct num human(uint64_t bytes)
{
	static const char *const unit[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
	if (bytes < 1000) {
		struct num out;
		snprintf(out.s, sizeof(out.s), "%u B", (unsigned)bytes);
		return out;
	}
	uint64_t div = 1000;
	size_t u = 0;
	while (u + 1 < sizeof(unit) / sizeof(unit[0]) && bytes / div >= 1000) {
		div *= 1000;
		u++;
	}
	return hundredths(bytes, div, unit[u]);
}

/* Pounds from integer pence: "£1,234.56". */
static struct num pounds(uint64_t pence)
{
	struct num out;
	snprintf(out.s, sizeof(out.s), "\xc2\xa3%s.%02u", ft_text_grouped(pence / 100).s, (unsigned)(pence % 100));
	return out;
}

/* Hundredths of a per cent of part in whole, rounded down (a coverage is never
 * overstated): "99.87 %". */
static struct num percent(uint64_t part, uint64_t whole)
{
	struct num out;
	if (!whole) {
		snprintf(out.s, sizeof(out.s), "-");
		return out;
	}
	unsigned __int128 h = (unsigned __int128)part * 10000 / whole;
	snprintf(out.s, sizeof(out.s), "%u.%02u %%", (unsigned)(h / 100), (unsigned)(h % 100));
	return out;
}

/* ---- time ------------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The date of days since 1970-01-01 (H. Hinnant's civil_from_days). */
static void civil(int64_t z, int64_t *ret_y, int *ret_m, int *ret_d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*ret_y = yoe + era * 400 + (m <= 2);
	*ret_m = m;
	*ret_d = d;
}

/* "2026-10-01 00:00 UTC" (seconds only when not 0); an open end says so. */
static struct num utc(int64_t ms)
{
	struct num out;
	if (ms == INT64_MIN || ms == INT64_MAX) {
		snprintf(out.s, sizeof(out.s), "open");
		return out;
	}
	int64_t s = floor_div(ms, 1000), days = floor_div(s, 86400), sod = s - days * 86400, y;
	int m, d;
	civil(days, &y, &m, &d);
	int n = snprintf(out.s, sizeof(out.s), "%04lld-%02d-%02d %02d:%02d", (long long)y, m, d, (int)(sod / 3600),
	                 (int)(sod / 60 % 60));
	if (sod % 60)
		n += snprintf(out.s + n, sizeof(out.s) - (size_t)n, ":%02d", (int)(sod % 60));
	snprintf(out.s + n, sizeof(out.s) - (size_t)n, " UTC");
	return out;
}

/* The instant ms in the zone now in TZ: "2026-10-01 01:00 BST (UTC+01:00)".  Called
 * only while local() has the report's zone in TZ. */
static void local_text(int64_t ms, char out[80])
{
	if (ms == INT64_MIN || ms == INT64_MAX) {
		snprintf(out, 80, "open");
		return;
	}
	time_t u = (time_t)floor_div(ms, 1000);
	struct tm tm;
	if (!localtime_r(&u, &tm)) {
		snprintf(out, 80, "(not representable)");
		return;
	}
	long off = tm.tm_gmtoff, a = off < 0 ? -off : off;
	int n = snprintf(out, 80, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                 tm.tm_hour, tm.tm_min);
	if (tm.tm_sec)
		n += snprintf(out + n, 80 - (size_t)n, ":%02d", tm.tm_sec);
	snprintf(out + n, 80 - (size_t)n, " %.16s (UTC%c%02ld:%02ld)", tm.tm_zone ? tm.tm_zone : "",
	         off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/* The day number (since 1970-01-01) of the local date of ms, zone in TZ. */
static int64_t local_day(int64_t ms)
{
	time_t u = (time_t)floor_div(ms, 1000);
	struct tm tm;
	if (!localtime_r(&u, &tm))
		return floor_div((int64_t)u, 86400);
	return floor_div((int64_t)u + tm.tm_gmtoff, 86400);
}

/* What the page says in local time, worked out in one pass with the zone in TZ. */
struct local {
	char start[80], end[80];
	char (*from)[80], (*until)[80];     /* per tenant of the statement */
	int64_t day0;                       /* local day number of the first bin */
	size_t n_days;
	uint32_t *day;                      /* per bin: its local day, from 0 */
};

static void local_done(struct local *L)
{
	free(L->from);
	free(L->until);
	free(L->day);
}

static int local_compute(const struct ft_recharge_report *r, struct local *L)
{
	const struct ft_statement *st = r->st;
	const struct ft_bins *b = r->bins;
	memset(L, 0, sizeof(*L));
	L->from = calloc(st->n_tenants + 1, sizeof(*L->from));
	L->until = calloc(st->n_tenants + 1, sizeof(*L->until));
	L->day = calloc(b ? b->n_bins + 1 : 1, sizeof(*L->day));
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	if (!L->from || !L->until || !L->day || (old && !saved)) {
		free(saved);
		local_done(L);
		return -ENOMEM;
	}
	/* TZ is the process's: the caller's value (or its absence) comes back below */
	int rc = setenv("TZ", r->zone[0] ? r->zone : "UTC", 1) < 0 ? -errno : 0;
	tzset();
	if (rc == 0) {
		local_text(st->start_ms, L->start);
		local_text(st->end_ms, L->end);
		for (size_t i = 0; i < st->n_tenants; i++) {
			local_text(st->tenants[i].m.from_ms, L->from[i]);
			local_text(st->tenants[i].m.until_ms, L->until[i]);
		}
		if (b && b->n_bins) {
			L->day0 = local_day(b->start_ms);
			for (size_t k = 0; k < b->n_bins; k++) {
				int64_t d = local_day(b->start_ms + (int64_t)k * FT_RECHARGE_BIN_MS) - L->day0;
				L->day[k] = d < 0 ? 0 : (uint32_t)d;
				if ((size_t)L->day[k] + 1 > L->n_days)
					L->n_days = (size_t)L->day[k] + 1;
			}
		}
	}
	if (saved) {
		if (setenv("TZ", saved, 1) < 0 && rc == 0)
			rc = -errno;
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
	if (rc < 0)
		local_done(L);
	return rc;
}

/* ---- the page's parts ------------------------------------------------------------------- */

static const char *const metric_names[] = { "in", "out", "in + out", "max(in, out)" };

static const char *dir_text(uint8_t dir)
{
	return dir == FT_POOL_IN ? "in" : dir == FT_POOL_OUT ? "out" : "in and out";
}

static const struct ft_pool *tariff_pool(const struct ft_tariff *t, const char *name)
{
	for (size_t i = 0; t && i < t->n_pools; i++)
		if (strcmp(t->pools[i].name, name) == 0)
			return &t->pools[i];
	return NULL;
}

static const struct ft_statement_pool *statement_pool(const struct ft_statement *st, const char *name)
{
	for (size_t i = 0; i < st->n_pools; i++)
		if (strcmp(st->pools[i].name, name) == 0)
			return &st->pools[i];
	return NULL;
}

/* What a pool's shares are in proportion to, in words, and the unit of its weights. */
static const char *basis_text(FILE *f, const struct ft_pool *p, uint8_t basis)
{
	const char *unit = "";
	switch (basis) {
	case FT_BASIS_VOLUME:
		fputs("volume", f);
		unit = "bytes";
		if (p) {
			fprintf(f, ": bytes %s, ", dir_text(p->direction));
			if (!p->n_classes)
				fputs("all classes", f);
			for (size_t i = 0; i < p->n_classes; i++) {
				fputs(i ? ", " : "classes ", f);
				ESC(f, p->classes[i]);
			}
		}
		break;
	case FT_BASIS_P95:
		fputs("p95", f);
		unit = "bytes";
		if (p && p->metric < 4)
			fprintf(f, ": 95th percentile of %s per 5-minute bin", metric_names[p->metric]);
		break;
	case FT_BASIS_PEAK_SHARE:
		fputs("peak_share", f);
		unit = "bytes";
		if (p)
			fprintf(f, ": bytes %s in the busiest 5 %% of the month&#39;s present bins", dir_text(p->direction));
		break;
	case FT_BASIS_EQUAL:
		fputs("equal", f);
		unit = "bins";
		if (p)
			fputs(p->prorate ? ": equal shares, by bins of membership" : ": equal shares", f);
		break;
	case FT_BASIS_WEIGHTS:
		fputs("weights", f);
		unit = p && p->prorate ? "weight &#215; bins of membership" : "weight &#215; bins";
		if (p)
			fputs(p->prorate ? ": fixed weights, by bins of membership" : ": fixed weights", f);
		break;
	default:
		fputs("unknown", f);
		break;
	}
	if (p && p->n_members) {
		fputs("; members ", f);
		for (size_t i = 0; i < p->n_members; i++) {
			fputs(i ? ", " : "", f);
			ESC(f, p->members[i]);
		}
	}
	return unit;
}

static const char style[] =
	"<style>\n"
	"body{font-family:\"DejaVu Sans\",Arial,Helvetica,sans-serif;font-size:10.5pt;color:#111;background:#fff;"
	"margin:1.5em auto;max-width:60em;padding:0 1em}\n"
	"h1{font-size:17pt;margin:0 0 .3em}h2{font-size:14pt;border-bottom:2px solid #333;padding-bottom:.15em;"
	"margin:1.2em 0 .4em}h3{font-size:11.5pt;margin:1em 0 .3em}\n"
	"table{border-collapse:collapse;margin:.3em 0 .8em}th,td{border:1px solid #999;padding:.2em .5em;"
	"vertical-align:top;text-align:left}th{background:#eee}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"table.facts th{width:13em}tr.total td{font-weight:bold;border-top:2px solid #333}\n"
	".mono{font-family:\"DejaVu Sans Mono\",Consolas,monospace;font-size:9pt;word-break:break-all}\n"
	"p.note{font-style:italic}svg{display:block;max-width:100%;height:auto}\n"
	"svg text{font-family:\"DejaVu Sans\",Arial,sans-serif}\n"
	"section.tenant+section.tenant,section.provenance{break-before:page;page-break-before:always}\n"
	"@media print{body{margin:0;max-width:none}table,svg,tr{break-inside:avoid;page-break-inside:avoid}"
	"h2,h3{break-after:avoid;page-break-after:avoid}}\n"
	"</style>\n";

static void period(FILE *f, const struct ft_recharge_report *r, const struct local *L)
{
	const struct ft_statement *st = r->st;
	fprintf(f, "<tr><th>Period (UTC)</th><td>%s to %s</td></tr>\n", utc(st->start_ms).s, utc(st->end_ms).s);
	fputs("<tr><th>Period (", f);
	ESC(f, r->zone);
	fprintf(f, ")</th><td>%s to %s</td></tr>\n", L->start, L->end);
}

static void coverage(FILE *f, const struct ft_recharge_report *r, const struct ft_statement_tenant *t)
{
	const struct ft_statement *st = r->st;
	fputs("<h3>Coverage</h3>\n<table class=\"facts\">\n", f);
	fprintf(f, "<tr><th>Its bins present</th><td class=\"n\">%s of %s inside its membership (%s)</td></tr>\n",
	        ft_text_grouped(t->bins_present).s, ft_text_grouped(t->bins_member).s, percent(t->bins_present, t->bins_member).s);
	fprintf(f, "<tr><th>The month&#39;s bins present</th><td class=\"n\">%s of %s expected (%s)</td></tr>\n",
	        ft_text_grouped(st->bins_present).s, ft_text_grouped(st->bins_expected).s,
	        percent(st->bins_present, st->bins_expected).s);
	fputs("</table>\n<p>A bin is 5 minutes of traffic.  A missing bin (the collector did not record "
	      "all of it) is left out of the 95th percentiles, never counted as zero; the volumes "
	      "count every step recorded.</p>\n", f);
	if (r->n_gaps) {
		fputs("<table>\n<tr><th>Missing from (UTC)</th><th>Missing until (UTC)</th><th class=\"n\">Bins</th>"
		      "</tr>\n", f);
		for (size_t i = 0; i < r->n_gaps; i++) {
			const struct ft_recharge_gap *g = &r->gaps[i];
			fprintf(f, "<tr><td>%s</td><td>%s</td><td class=\"n\">%s</td></tr>\n", utc(g->start_ms).s,
			        utc(g->end_ms).s, ft_text_grouped(ft_recharge_bins(g->start_ms, g->end_ms)).s);
		}
		fputs("</table>\n", f);
	} else if (st->bins_present == st->bins_expected) {
		fputs("<p>No bin of the month is missing.</p>\n", f);
	}
	if (r->n_snmp) {
		fputs("<p>SNMP-polled interfaces over the month (their own counters, for comparison):</p>\n"
		      "<table>\n<tr><th>Device</th><th>Interface</th><th class=\"n\">Steps known</th>"
		      "<th class=\"n\">Steps unknown</th><th class=\"n\">In octets (known steps)</th>"
		      "<th class=\"n\">Out octets (known steps)</th></tr>\n", f);
		for (size_t i = 0; i < r->n_snmp; i++) {
			const struct ft_recharge_snmp *s = &r->snmp[i];
			fputs("<tr><td>", f);
			ESC(f, s->device);
			fputs("</td><td>", f);
			ESC(f, s->interface);
			fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
			        "<td class=\"n\">%s</td></tr>\n", ft_text_grouped(s->steps_known).s, ft_text_grouped(s->steps_unknown).s,
			        ft_text_grouped(s->in_octets).s, ft_text_grouped(s->out_octets).s);
		}
		fputs("</table>\n", f);
	}
	const struct ft_bins *b = r->bins;
	if (b && b->steps_counted) {
		uint64_t dg = 0, lost = 0, nt = 0, sc = 0;
		for (size_t i = 0; i < b->n_exporters; i++) {
			dg += b->exporters[i].datagrams;
			lost += b->exporters[i].seq_lost;
			nt += b->exporters[i].no_template;
			sc += b->exporters[i].sampling_changes;
		}
		fprintf(f, "<p>What the routers sent over the month's %s steps with counters: %s datagrams from %s "
		        "exporter%s; lost on the way (sequence gaps) %s; dropped for want of a template %s; dropped by "
		        "the collector's kernel %s; sampling-rate changes %s.</p>\n", ft_text_grouped(b->steps_counted).s,
		        ft_text_grouped(dg).s, ft_text_grouped(b->n_exporters).s, b->n_exporters == 1 ? "" : "s", ft_text_grouped(lost).s,
		        ft_text_grouped(nt).s, ft_text_grouped(b->kernel_drops).s, ft_text_grouped(sc).s);
	}
	if (r->n_recon) {
		fputs("<p>Accounting interfaces against their SNMP counters (flows count IP bytes, SNMP frames: a "
		      "few per cent apart is usual):</p>\n<table>\n<tr><th>Device</th><th>Interface</th><th>Direction"
		      "</th><th class=\"n\">Flow bytes</th><th class=\"n\">SNMP octets</th><th class=\"n\">Difference"
		      "</th><th>Flag</th></tr>\n", f);
		for (size_t i = 0; i < r->n_recon; i++) {
			const struct ft_recharge_recon *x = &r->recon[i];
			uint64_t mag = x->diff_ppm < 0 ? (uint64_t)0 - (uint64_t)x->diff_ppm : (uint64_t)x->diff_ppm;
			fputs("<tr><td>", f);
			ESC(f, x->device);
			fputs("</td><td>", f);
			ESC(f, x->interface);
			fprintf(f, "</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s%" PRIu64
			        ".%02" PRIu64 " %%</td><td>%s</td></tr>\n", x->direction == FT_DIR_IN ? "in" : "out",
			        ft_text_grouped(x->flow_bytes).s, ft_text_grouped(x->snmp_octets).s, x->diff_ppm < 0 ? "&minus;" : "+",
			        mag / 10000, mag / 100 % 100, x->partial ? "SNMP missed steps" : x->flagged ? "above the threshold" : "");
		}
		fputs("</table>\n", f);
	}
}

static void usage_rows(FILE *f, const char *name, size_t max, const struct ft_volume *in,
                       const struct ft_volume *out, bool total)
{
	const struct ft_volume *v[2] = { in, out };
	for (int d = 0; d < 2; d++) {
		fputs(total ? "<tr class=\"total\">" : "<tr>", f);
		if (d == 0) {
			fputs("<td rowspan=\"2\">", f);
			esc(f, name, max);
			fputs("</td>", f);
		}
		fprintf(f, "<td>%s</td><td class=\"n\">%s bytes</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
		        "<td class=\"n\">%s</td></tr>\n", d ? "out" : "in", ft_text_grouped(v[d]->bytes).s, gb(v[d]->bytes).s,
		        ft_text_grouped(v[d]->packets).s, ft_text_grouped(v[d]->flows).s);
	}
}

static void usage(FILE *f, const struct ft_statement_tenant *t)
{
	fputs("<h3>Usage</h3>\n<table>\n<tr><th>Class</th><th>Direction</th><th class=\"n\">Bytes</th>"
	      "<th class=\"n\">GB (10<sup>9</sup> bytes)</th><th class=\"n\">Packets</th><th class=\"n\">Flows</th>"
	      "</tr>\n", f);
	for (size_t i = 0; i < t->n_classes; i++)
		usage_rows(f, t->classes[i].name, sizeof(t->classes[i].name), &t->classes[i].vin, &t->classes[i].vout,
		           false);
	usage_rows(f, "All classes", SIZE_MAX, &t->vin, &t->vout, true);
	fputs("</table>\n", f);
}

/* 1st, 2nd, 3rd, 4th, 11th, 21st ... */
static struct num ordinal(uint64_t n)
{
	const char *sfx = "th";
	if (n % 100 < 11 || n % 100 > 13)
		sfx = n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
	struct num out;
	snprintf(out.s, sizeof(out.s), "%s%s", ft_text_grouped(n).s, sfx);
	return out;
}

static void percentiles(FILE *f, const struct ft_statement_tenant *t)
{
	fprintf(f, "<h3>95th percentiles</h3>\n<p>Over its %s present bins, by nearest rank: the %s "
	        "smallest bin of each measure.  Bits per second are the bin&#39;s bytes &#215; 8 / 300.</p>\n",
	        ft_text_grouped(t->bins_present).s, ordinal(ft_recharge_rank(t->bins_present, 95)).s);
	fputs("<table>\n<tr><th>Measure</th><th class=\"n\">Bytes in the 5-minute bin</th>"
	      "<th class=\"n\">Bits per second</th><th class=\"n\">Mb/s</th></tr>\n", f);
	for (int m = 0; m < 4; m++) {
		uint64_t bytes = t->p95.bytes[m], bps = ft_recharge_bin_bps(bytes);
		fprintf(f, "<tr><td>%s</td><td class=\"n\">%s bytes</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
		        "</tr>\n", metric_names[m], ft_text_grouped(bytes).s, ft_text_grouped(bps).s, mbps(bps).s);
	}
	fputs("</table>\n", f);
}

static void charges(FILE *f, const struct ft_recharge_report *r, size_t ti)
{
	const struct ft_statement *st = r->st;
	const struct ft_statement_tenant *t = &st->tenants[ti];
	fputs("<h3>Charges</h3>\n", f);
	if (!r->tariff) {
		fputs("<p class=\"note\">This statement has no tariff: volumes only.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>Pool</th><th>Basis</th><th class=\"n\">Pool amount</th>"
	      "<th class=\"n\">Its weight of all</th><th class=\"n\">Charge</th></tr>\n", f);
	for (size_t i = 0; i < t->n_charges; i++) {
		const struct ft_statement_charge *c = &t->charges[i];
		fputs("<tr><td>", f);
		if (c->basis == FT_BASIS__FIXED) {
			fputs("fixed</td><td>fixed", f);
			if (c->description[0]) {
				fputs(": ", f);
				ESC(f, c->description);
			}
			fprintf(f, "</td><td class=\"n\">-</td><td class=\"n\">-</td><td class=\"n\">%s</td></tr>\n",
			        pounds(c->pence).s);
			continue;
		}
		ESC(f, c->pool);
		fputs("</td><td>", f);
		const struct ft_statement_pool *sp = statement_pool(st, c->pool);
		const char *unit = basis_text(f, tariff_pool(r->tariff, c->pool), c->basis);
		fputs("</td>", f);
		if (sp) {
			unsigned __int128 sum = 0;
			for (size_t j = 0; j < st->n_tenants; j++)
				sum += sp->weights[j];
			fprintf(f, "<td class=\"n\">%s</td><td class=\"n\">%s of %s %s</td>", pounds(sp->amount_pence).s,
			        ft_text_grouped(sp->weights[ti]).s, ft_text_grouped(sum).s, unit);
		} else {
			fputs("<td class=\"n\">-</td><td class=\"n\">-</td>", f);
		}
		fprintf(f, "<td class=\"n\">%s</td></tr>\n", pounds(c->pence).s);
	}
	fprintf(f, "<tr class=\"total\"><td colspan=\"4\">Total</td><td class=\"n\">%s</td></tr>\n</table>\n",
	        pounds(t->total_pence).s);
	fputs("<p>Each pool&#39;s amount is shared in proportion to the weights, to the penny (the "
	      "pence left over go to the largest remainders); the shares of all tenants add up to the "
	      "pool&#39;s amount exactly.</p>\n", f);
}

/* The axis step: the smallest of 1, 2, 5 × 10^k bytes that takes max in 4 steps or
 * fewer. */
static uint64_t axis_step(uint64_t max)
{
	static const uint64_t m[] = { 1, 2, 5 };
	for (uint64_t p = 1;; p *= 10) {
		for (int i = 0; i < 3; i++)
			if ((unsigned __int128)m[i] * p * 4 >= max)
				return m[i] * p;
		if (p > UINT64_MAX / 100)
			return UINT64_MAX / 4 + 1;
	}
}

#define G_W 760
#define G_H 270
#define G_LEFT 78
#define G_RIGHT 8
#define G_TOP 26
#define G_BOTTOM 44

static int graph(FILE *f, const struct ft_recharge_report *r, const struct ft_statement_tenant *t,
                 const struct local *L)
{
	const struct ft_bins *b = r->bins;
	fputs("<h3>Daily traffic</h3>\n", f);
	if (!b || !b->n_bins || !L->n_days) {
		fputs("<p class=\"note\">No bins to draw.</p>\n", f);
		return 0;
	}
	size_t nd = L->n_days;
	uint64_t *din = calloc(nd, sizeof(*din)), *dout = calloc(nd, sizeof(*dout)), *miss = calloc(nd, sizeof(*miss));
	if (!din || !dout || !miss) {
		free(din), free(dout), free(miss);
		return -ENOMEM;
	}
	const struct ft_bin_series *s = ft_bins_find(b, t->m.name, "");
	uint64_t max = 0;
	for (size_t k = 0; k < b->n_bins; k++) {
		size_t d = L->day[k];
		if (s) {
			din[d] += s->in[k];
			dout[d] += s->out[k];
		}
		miss[d] += !b->present[k];
	}
	for (size_t d = 0; d < nd; d++) {
		max = din[d] > max ? din[d] : max;
		max = dout[d] > max ? dout[d] : max;
	}
	uint64_t step = axis_step(max), ticks = max ? (uint64_t)(((unsigned __int128)max + step - 1) / step) : 1;
	unsigned __int128 top = (unsigned __int128)step * ticks;
	const int pw = G_W - G_LEFT - G_RIGHT, ph = G_H - G_TOP - G_BOTTOM, base = G_TOP + ph;
	int slot = pw / (int)nd, bw = (slot - 2) / 2;
	bw = bw < 1 ? 1 : bw > 24 ? 24 : bw;    /* a short range keeps slim bars */

	fprintf(f, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	        "role=\"img\" aria-label=\"bytes in and out per local day\">\n", G_W, G_H, G_W, G_H);
	/* legend */
	fprintf(f, "<rect x=\"%d\" y=\"6\" width=\"10\" height=\"10\" fill=\"#1f5fa8\"/>"
	        "<text x=\"%d\" y=\"15\" font-size=\"11\">in</text>"
	        "<rect x=\"%d\" y=\"6\" width=\"10\" height=\"10\" fill=\"#e08a1e\"/>"
	        "<text x=\"%d\" y=\"15\" font-size=\"11\">out</text>"
	        "<text x=\"%d\" y=\"15\" font-size=\"11\" text-anchor=\"end\">bytes per local day (",
	        G_LEFT, G_LEFT + 14, G_LEFT + 44, G_LEFT + 58, G_W - G_RIGHT);
	ESC(f, r->zone);
	fputs(")</text>\n", f);
	/* the value axis: a line and a label per step */
	for (uint64_t i = 0; i <= ticks; i++) {
		int y = base - (int)((unsigned __int128)i * (unsigned)ph / ticks);
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1\"/>"
		        "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%s</text>\n", G_LEFT, y,
		        G_LEFT + pw, y, i ? "#ccc" : "#333", G_LEFT - 5, y + 4,
		        human((uint64_t)((unsigned __int128)step * i)).s);
	}
	for (size_t d = 0; d < nd; d++) {
		int64_t y;
		int m, dd;
		civil(L->day0 + (int64_t)d, &y, &m, &dd);
		int x = G_LEFT + (int)d * slot + slot / 2 - bw;
		int hin = (int)((unsigned __int128)din[d] * (unsigned)ph / top);
		int hout = (int)((unsigned __int128)dout[d] * (unsigned)ph / top);
		fprintf(f, "<g><title>%04lld-%02d-%02d: in %s bytes, out %s bytes", (long long)y, m, dd,
		        ft_text_grouped(din[d]).s, ft_text_grouped(dout[d]).s);
		if (miss[d])
			fprintf(f, ", missing bins: %s", ft_text_grouped(miss[d]).s);
		fprintf(f, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#1f5fa8\"/>"
		        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#e08a1e\"/>"
		        "<text x=\"%d\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">%d</text>", x, base - hin, bw,
		        hin, x + bw, base - hout, bw, hout, x + bw, base + 13, dd);
		if (miss[d])
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"3\" fill=\"#b00\"/>", x, base + 17,
			        2 * bw);
		fputs("</g>\n", f);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">day of the month (local); "
	        "a red mark under a day: some of its bins are missing</text>\n</svg>\n", G_LEFT + pw / 2, G_H - 6);
	free(din), free(dout), free(miss);
	return 0;
}

static int tenant_section(FILE *f, const struct ft_recharge_report *r, size_t ti, const struct local *L)
{
	const struct ft_statement *st = r->st;
	const struct ft_statement_tenant *t = &st->tenants[ti];
	fputs("<section class=\"tenant\">\n<h2>", f);
	if (t->m.display[0])
		ESC(f, t->m.display);
	else
		ESC(f, t->m.name);
	fputs("</h2>\n<table class=\"facts\">\n<tr><th>Tenant</th><td>", f);
	ESC(f, t->m.name);
	fputs("</td></tr>\n<tr><th>Cost centre</th><td>", f);
	ESC(f, t->m.cost_centre);
	fputs("</td></tr>\n<tr><th>Month</th><td>", f);
	ESC(f, r->month);
	if (r->contract_day > 1)
		fprintf(f, " (from day %d)", r->contract_day);
	fputs("</td></tr>\n", f);
	period(f, r, L);
	if (t->m.from_ms > st->start_ms || t->m.until_ms < st->end_ms) {
		fprintf(f, "<tr><th>Its membership (UTC)</th><td>%s to %s</td></tr>\n", utc(t->m.from_ms).s,
		        utc(t->m.until_ms).s);
		fputs("<tr><th>Its membership (", f);
		ESC(f, r->zone);
		fprintf(f, ")</th><td>%s to %s</td></tr>\n", L->from[ti], L->until[ti]);
	} else {
		fputs("<tr><th>Its membership</th><td>the whole month</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	coverage(f, r, t);
	usage(f, t);
	percentiles(f, t);
	charges(f, r, ti);
	int rc = graph(f, r, t, L);
	fputs("</section>\n", f);
	return rc;
}

static void provenance(FILE *f, const struct ft_recharge_report *r)
{
	const struct ft_statement *st = r->st;
	const struct ft_bins *b = r->bins;
	fputs("<section class=\"provenance\">\n<h2>Provenance</h2>\n<table class=\"facts\">\n"
	      "<tr><th>flowtally version</th><td>", f);
	ESC(f, r->version);
	fputs("</td></tr>\n<tr><th>Configuration</th><td>", f);
	if (r->config_file[0]) {
		ESC(f, r->config_file);
		fputs("<br><span class=\"mono\">sha256 ", f);
		ESC(f, r->config_sha256);
		fputs("</span>", f);
	} else {
		fputs("none", f);
	}
	fputs("</td></tr>\n<tr><th>Tariff</th><td>", f);
	if (r->tariff) {
		ESCP(f, r->tariff->file);
		fputs("<br><span class=\"mono\">sha256 ", f);
		ESC(f, r->tariff->sha256);
		fputs("</span>", f);
	} else {
		fputs("none (no tariff: volumes only)", f);
	}
	fputs("</td></tr>\n<tr><th>Time zone</th><td>", f);
	ESC(f, r->zone);
	fprintf(f, "</td></tr>\n<tr><th>Contract day</th><td>%d</td></tr>\n", r->contract_day);
	fprintf(f, "<tr><th>Accounted traffic</th><td class=\"n\">%s bytes (%s)</td></tr>\n", ft_text_grouped(st->total.bytes).s,
	        gb(st->total.bytes).s);
	fprintf(f, "<tr><th>Unattributed</th><td class=\"n\">in %s bytes, out %s bytes</td></tr>\n",
	        ft_text_grouped(st->unattributed_in.bytes).s, ft_text_grouped(st->unattributed_out.bytes).s);
	if (r->tariff)
		fprintf(f, "<tr><th>Charged in all</th><td class=\"n\">%s</td></tr>\n", pounds(st->charged_pence).s);
	if (b)
		fprintf(f, "<tr><th>Ledger blocks</th><td class=\"n\">%s read, %s refused as damaged, %s breaks in "
		        "the chains</td></tr>\n", ft_text_grouped(b->steps).s, ft_text_grouped(b->damaged).s, ft_text_grouped(b->breaks).s);
	fputs("</table>\n", f);

	if (b && b->n_maps) {
		fputs("<h3>Tenant maps met</h3>\n<table>\n<tr><th>Map</th><th>First step (UTC)</th>"
		      "<th>End of its last step (UTC)</th><th class=\"n\">Steps</th></tr>\n", f);
		size_t n = b->n_maps < sizeof(b->maps) / sizeof(b->maps[0]) ? b->n_maps
		                                                              : sizeof(b->maps) / sizeof(b->maps[0]);
		for (size_t i = 0; i < n; i++) {
			fputs("<tr><td class=\"mono\">", f);
			ESC(f, b->maps[i].id);
			fprintf(f, "</td><td>%s</td><td>%s</td><td class=\"n\">%s</td></tr>\n", utc(b->maps[i].first_ms).s,
			        utc(b->maps[i].end_ms).s, ft_text_grouped(b->maps[i].steps).s);
		}
		fputs("</table>\n", f);
		if (b->maps_more)
			fprintf(f, "<p>and %s more maps.</p>\n", ft_text_grouped(b->maps_more).s);
	}
	if (b && b->n_sources) {
		fputs("<h3>Ledgers read</h3>\n<table>\n<tr><th>Directory</th><th>Head at the month&#39;s end</th>"
		      "<th class=\"n\">Steps</th></tr>\n", f);
		for (size_t i = 0; i < b->n_sources; i++) {
			fputs("<tr><td class=\"mono\">", f);
			ESC(f, b->sources[i].dir);
			fputs("</td><td class=\"mono\">", f);
			if (b->sources[i].head[0])
				ESC(f, b->sources[i].head);
			else
				fputs("(no block this month)", f);
			fprintf(f, "</td><td class=\"n\">%s</td></tr>\n", ft_text_grouped(b->sources[i].steps).s);
		}
		fputs("</table>\n", f);
	}

	fputs("<h3>RRD cross-check</h3>\n", f);
	switch (r->rrd.state) {
	case FT_RRD_CHECK_AGREES:
		fprintf(f, "<p>The 95th percentiles recomputed from the RRD files agree with the ledger&#39;s for %s "
		        "tenants.</p>\n", ft_text_grouped(r->rrd.tenants_checked).s);
		break;
	case FT_RRD_CHECK_DISAGREES:
		fprintf(f, "<p>The 95th percentiles recomputed from the RRD files of %s tenants disagree with the "
		        "ledger&#39;s (the statement uses the ledger):</p>\n<table>\n<tr><th>Tenant</th><th>Measure</th>"
		        "<th class=\"n\">Ledger bytes</th><th class=\"n\">RRD bytes</th></tr>\n",
		        ft_text_grouped(r->rrd.tenants_checked).s);
		for (size_t i = 0; i < r->rrd.n_diffs; i++) {
			const struct ft_recharge_rrd_diff *d = &r->rrd.diffs[i];
			fputs("<tr><td>", f);
			ESC(f, d->tenant);
			fprintf(f, "</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
			        d->metric < 4 ? metric_names[d->metric] : "?", ft_text_grouped(d->ledger_bytes).s,
			        ft_text_grouped(d->rrd_bytes).s);
		}
		fputs("</table>\n", f);
		break;
	default:
		fputs("<p>Not done", f);
		if (r->rrd.why[0]) {
			fputs(": ", f);
			ESC(f, r->rrd.why);
		}
		fputs(".</p>\n", f);
		break;
	}
	if (r->n_notes) {
		fputs("<h3>Notes</h3>\n<ul>\n", f);
		for (size_t i = 0; i < r->n_notes; i++) {
			fputs("<li>", f);
			ESC(f, r->notes[i]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	if (r->generated_at[0]) {
		fputs("<p>Generated at ", f);
		ESC(f, r->generated_at);
		fputs(".</p>\n", f);
	}
	fputs("</section>\n", f);
}

/* ---- the page ----------------------------------------------------------------------------- */

int ft_report_html(FILE *f, const struct ft_recharge_report *r, const char *tenant)
{
	if (!f || !r || !r->st)
		return -EINVAL;
	const struct ft_statement *st = r->st;
	size_t only = SIZE_MAX;
	if (tenant) {
		for (size_t i = 0; i < st->n_tenants && only == SIZE_MAX; i++)
			if (strcmp(st->tenants[i].m.name, tenant) == 0)
				only = i;
		if (only == SIZE_MAX)
			return -ENOENT;
	}
	struct local L;
	int rc = local_compute(r, &L);
	if (rc < 0)
		return rc;

	fputs("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Network recharge "
	      "statement ", f);
	ESC(f, r->month);
	if (only != SIZE_MAX) {
		fputs(": ", f);
		ESC(f, st->tenants[only].m.name);
	}
	fputs("</title>\n", f);
	fputs(style, f);
	fputs("</head>\n<body>\n<header>\n<h1>Network recharge statement: ", f);
	ESC(f, r->month);
	fprintf(f, "</h1>\n<p>%s to %s; ", utc(st->start_ms).s, utc(st->end_ms).s);
	ESC(f, r->zone);
	fprintf(f, ": %s to %s.</p>\n</header>\n", L.start, L.end);
	if (!st->n_tenants)
		fputs("<p class=\"note\">No tenant this month.</p>\n", f);
	for (size_t i = 0; rc == 0 && i < st->n_tenants; i++)
		if (only == SIZE_MAX || i == only)
			rc = tenant_section(f, r, i, &L);
	if (rc == 0) {
		provenance(f, r);
		fputs("</body>\n</html>\n", f);
	}
	local_done(&L);
	if (rc < 0)
		return rc;
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 0;
}
