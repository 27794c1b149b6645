/* flowtally recharge: the month's statement from the ledgers: volumes and 95th
 * percentiles per tenant, the tariff's pools shared out to the penny, coverage and
 * provenance, as JSON, CSV and HTML (exporters/recharge; formats in the README). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "cli.h"
#include "progress.h"
#include "ft_version.h"
#include "flowtally/clock.h"
#include "flowtally/config.h"
#include "flowtally/file.h"
#include "flowtally/iftotals.h"
#include "flowtally/recharge.h"
#include "flowtally/rrd.h"
#include "flowtally/tenant.h"

#define SYNOPSIS \
"Usage: flowtally recharge --month YYYY-MM [-c FILE | -d DIR]... [--tariff FILE]\n" \
"                          [--format json|csv|html] [--out DIR] [--no-timestamp]\n"

static const char short_usage[] = SYNOPSIS "Try 'flowtally recharge --help'.\n";

static const char usage_text[] = SYNOPSIS
"\n"
"The month's recharge statement, from the step ledgers: for every tenant its exact\n"
"volumes in and out (per traffic class and in all), its own 95th percentiles of the\n"
"5-minute rates (nearest rank over the bins present, for in, out, in + out and the\n"
"larger of the two), and its share of each cost pool of the tariff in pence, shares\n"
"that add up to each pool's amount exactly; then the unattributed volume and the\n"
"measured total (tenants + unattributed = total), the coverage (bins present, the\n"
"missing runs, SNMP steps known), the RRD cross-check and the provenance (version,\n"
"hashes of the configuration and the tariff, the tenant maps of the month, each\n"
"ledger's head at the month's end).  Formats and columns are in the README.\n"
"\n"
"The month is the calendar month in the configuration's time zone (timezone,\n"
"default Europe/London), from its recharge_contract_day (default 1) at 00:00 local\n"
"time to the same day of the next month: October 2026 has 8,940 five-minute bins,\n"
"March 2026 8,916.  A bin is present when every ledger read has all its steps: the\n"
"collector writes a step for every step it ran, quiet ones included, so a missing\n"
"bin is a time it was not running.  Missing bins are left out of the percentiles and\n"
"listed, never taken as zero.  A tenant whose rules start or end within the month is\n"
"measured on its own period.  Several -c or -d add the ledgers of several\n"
"collectors; the first configuration gives the tenants, the zone and the tariff.\n"
"On a terminal, a line of standard error shows how far the reading has got.\n"
"\n"
"Options:\n"
"  -m, --month YYYY-MM   the month (required)\n"
"  -c, --config FILE     a collector's configuration: its data directory's ledger,\n"
"                        its tenants (cost centres, membership dates), zone, tariff\n"
"  -d, --data-dir DIR    a data directory's ledger (DIR/ledger) without its\n"
"                        configuration (default, without -c: ./flowtally-data)\n"
"  -t, --tariff FILE     the cost pools and fixed charges (default: the\n"
"                        configuration's recharge_tariff; none: volumes only)\n"
"  -f, --format FMT      json (default), csv or html: the one written to standard\n"
"                        output, or with --out the only one written\n"
"  -o, --out DIR         write recharge-YYYY-MM.json, .csv and .html (every tenant)\n"
"                        and recharge-YYYY-MM-TENANT.html (one per tenant) into DIR,\n"
"                        each replaced whole, and list them\n"
"      --tenant NAME     html: this tenant's statement only\n"
"      --zone ZONE       the time zone instead of the configuration's\n"
"      --contract-day N  the day months start on (1..28) instead of the configuration's\n"
"      --no-rrd-check    do not recompute the percentiles from the RRD files\n"
"      --no-timestamp    leave out the generated-at line, so the same month gives the\n"
"                        same bytes each time\n"
"  -h, --help            show this help and exit\n"
"\n"
"Exit status: 0 the statement was written; 1 it could not be (no ledger, an error\n"
"reading it), or it was written but the ledger had damaged blocks or breaks not\n"
"acknowledged, or the RRD cross-check disagrees (said on standard error and in the\n"
"statement's notes); 2 usage,\n"
"configuration or tariff error (file:line), a tenant with traffic that the\n"
"configuration does not list, or one exporter in two ledgers.\n"
"\n"
"Examples:\n"
"  flowtally recharge --month 2026-10 -c /etc/flowtally/flowtally.conf --out /srv/recharge\n"
"  flowtally recharge --month 2026-10 -c pop1.conf -d /srv/pop2-data --format csv\n";

#define MAX_SOURCES 64

struct opts {
	const char *month;
	const char *configs[MAX_SOURCES];
	size_t n_configs;
	const char *dirs[MAX_SOURCES];
	size_t n_dirs;
	const char *tariff, *format, *out, *tenant, *zone;
	int contract_day;
	bool no_rrd, no_timestamp;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_TENANT = 256, O_ZONE, O_DAY, O_NO_RRD, O_NO_TS };
	static const struct option longs[] = {
		{ "month", required_argument, NULL, 'm' },     { "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },  { "tariff", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },    { "out", required_argument, NULL, 'o' },
		{ "tenant", required_argument, NULL, O_TENANT }, { "zone", required_argument, NULL, O_ZONE },
		{ "contract-day", required_argument, NULL, O_DAY }, { "no-rrd-check", no_argument, NULL, O_NO_RRD },
		{ "no-timestamp", no_argument, NULL, O_NO_TS }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "m:c:d:t:f:o:h", longs, NULL)) != -1) {
		switch (ch) {
		case 'm': o->month = optarg; break;
		case 'c':
		case 'd':
			if (o->n_configs + o->n_dirs == MAX_SOURCES) {
				fprintf(stderr, "flowtally recharge: at most %d ledgers\n", MAX_SOURCES);
				return FT_EXIT_USAGE;
			}
			if (ch == 'c')
				o->configs[o->n_configs++] = optarg;
			else
				o->dirs[o->n_dirs++] = optarg;
			break;
		case 't': o->tariff = optarg; break;
		case 'f': o->format = optarg; break;
		case 'o': o->out = optarg; break;
		case O_TENANT: o->tenant = optarg; break;
		case O_ZONE: o->zone = optarg; break;
		case O_DAY:
			errno = 0;
			o->contract_day = (int)strtol(optarg, &end, 10);
			if (errno || *end || o->contract_day < 1 || o->contract_day > 28) {
				fprintf(stderr, "flowtally recharge: --contract-day takes a day from 1 to 28, not '%s'\n", optarg);
				return FT_EXIT_USAGE;
			}
			break;
		case O_NO_RRD: o->no_rrd = true; break;
		case O_NO_TS: o->no_timestamp = true; break;
		case 'h': fputs(usage_text, stdout); return FT_EXIT_OK;
		default: fputs(short_usage, stderr); return FT_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowtally recharge: unexpected argument '%s'\n%s", argv[optind], short_usage);
		return FT_EXIT_USAGE;
	}
	if (!o->month) {
		fprintf(stderr, "flowtally recharge: --month YYYY-MM is required\n%s", short_usage);
		return FT_EXIT_USAGE;
	}
	if (o->format && strcmp(o->format, "json") && strcmp(o->format, "csv") && strcmp(o->format, "html")) {
		fprintf(stderr, "flowtally recharge: --format is json, csv or html, not '%s'\n", o->format);
		return FT_EXIT_USAGE;
	}
	if (o->tenant && o->format && strcmp(o->format, "html")) {
		fprintf(stderr, "flowtally recharge: --tenant is for the html statement\n");
		return FT_EXIT_USAGE;
	}
	return -1;
}

/* The SHA-256 of a file's bytes in hex; -errno. */
static int sha256_file(const char *path, char hex[65])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	struct sha256_ctx c;
	sha256_init(&c);
	unsigned char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sha256_update(&c, n, buf);
	int r = ferror(f) ? -EIO : 0;
	fclose(f);
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(&c, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return r;
}

/* ---- who is billed ------------------------------------------------------------------ */

struct members {
	struct ft_statement_member *v;
	size_t n;
};

static struct ft_statement_member *member_find(struct members *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	return NULL;
}

static void widen(struct ft_statement_member *m, bool *seen, int64_t from, int64_t until)
{
	if (!*seen || from < m->from_ms)
		m->from_ms = from;
	if (!*seen || until > m->until_ms)
		m->until_ms = until;
	*seen = true;
}

/* The tenants of a configuration with their membership: the earliest start and the
 * latest end of their rules (prefix, interface, VLAN, AS and interface-name rules);
 * a tenant with no rule is a member all the time.  A tenant only in the month's
 * membership is billed: one whose rules all end before the month or start after it is
 * left out.  Two configurations naming one tenant with different cost centres: -EINVAL. */
static int add_members(struct members *ms, const struct ft_config *cfg, int64_t start, int64_t end)
{
	const struct ft_tenant_conf *c = &cfg->tenants;
	for (size_t t = 1; t < c->n_tenants; t++) {
		struct ft_statement_member m = { 0 };
		bool seen = false;
		snprintf(m.name, sizeof(m.name), "%s", c->tenants[t].name);
		snprintf(m.cost_centre, sizeof(m.cost_centre), "%s", c->tenants[t].cost_centre);
		snprintf(m.display, sizeof(m.display), "%s", c->tenants[t].display[0] ? c->tenants[t].display : m.name);
		for (size_t i = 0; i < c->n_rules; i++)
			if (c->rules[i].tenant == t)
				widen(&m, &seen, c->rules[i].from_ms, c->rules[i].until_ms);
		for (size_t i = 0; i < c->n_if_matches; i++)
			if (c->if_matches[i].tenant == t)
				widen(&m, &seen, c->if_matches[i].from_ms, c->if_matches[i].until_ms);
		if (!seen) {
			m.from_ms = FT_TIME_MIN;
			m.until_ms = FT_TIME_MAX;
		}
		if (m.until_ms <= start || m.from_ms >= end)
			continue;
		struct ft_statement_member *have = member_find(ms, m.name);
		if (have) {
			if (strcmp(have->cost_centre, m.cost_centre)) {
				fprintf(stderr, "flowtally recharge: %s: tenant %s has cost centre '%s' here and '%s' in an "
				        "earlier configuration\n", cfg->source, m.name, m.cost_centre, have->cost_centre);
				return -EINVAL;
			}
			if (m.from_ms < have->from_ms)
				have->from_ms = m.from_ms;
			if (m.until_ms > have->until_ms)
				have->until_ms = m.until_ms;
			continue;
		}
		struct ft_statement_member *v = realloc(ms->v, (ms->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ms->v = v;
		ms->v[ms->n++] = m;
	}
	return 0;
}

/* Without a configuration: the tenants the ledgers name, members all month. */
static int members_from_bins(struct members *ms, const struct ft_bins *b)
{
	for (size_t i = 0; i < b->n_series; i++) {
		const struct ft_bin_series *s = &b->series[i];
		if (s->class_[0] || !strcmp(s->tenant, "unattributed") || !strcmp(s->tenant, "total") ||
		    member_find(ms, s->tenant))
			continue;
		struct ft_statement_member *v = realloc(ms->v, (ms->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ms->v = v;
		struct ft_statement_member *m = &ms->v[ms->n++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", s->tenant);
		snprintf(m->display, sizeof(m->display), "%s", s->tenant);
		m->from_ms = FT_TIME_MIN;
		m->until_ms = FT_TIME_MAX;
	}
	return 0;
}

/* ---- the report ---------------------------------------------------------------------- */

static void note(struct ft_recharge_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct ft_recharge_report *r, const char *fmt, ...)
{
	char(*v)[512] = realloc(r->notes, (r->n_notes + 1) * sizeof(*v));
	if (!v)
		return;
	r->notes = v;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->n_notes++], sizeof(*v), fmt, ap);
	va_end(ap);
}

static int make_gaps(struct ft_recharge_report *r, const struct ft_bins *b)
{
	for (size_t k = 0; k < b->n_bins;) {
		if (b->present[k]) {
			k++;
			continue;
		}
		size_t e = k;
		while (e < b->n_bins && !b->present[e])
			e++;
		struct ft_recharge_gap *g = realloc(r->gaps, (r->n_gaps + 1) * sizeof(*g));
		if (!g)
			return -ENOMEM;
		r->gaps = g;
		r->gaps[r->n_gaps++] = (struct ft_recharge_gap){ b->start_ms + (int64_t)k * FT_RECHARGE_BIN_MS,
		                                                  b->start_ms + (int64_t)e * FT_RECHARGE_BIN_MS };
		k = e;
	}
	return 0;
}

struct ifs {
	struct ft_recharge_if *v;
	size_t n;
};

/* The SNMP-polled interfaces' steps of the month, from each data directory's interface
 * totals (none: no SNMP); with the configuration (cfg, or NULL), each interface with its
 * device's exporter addresses, for the reconciliation. */
static int add_snmp(struct ft_recharge_report *r, const char *data_dir, const struct ft_config *cfg, struct ifs *ifs,
                    int64_t start, int64_t end)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/interfaces", data_dir);
	struct ft_iftotals_result t;
	int e = ft_iftotals_sum(dir, start, end, &t);
	if (e == -ENOENT)
		return 0;
	if (e < 0) {
		note(r, "%s: the interface totals could not be read: %s", dir, strerror(-e));
		return 0;
	}
	if (t.bad_lines)
		note(r, "%s: %" PRIu64 " damaged line%s skipped", dir, t.bad_lines, ft_cli_s(t.bad_lines));
	struct ft_recharge_snmp *v = realloc(r->snmp, (r->n_snmp + t.n_rows + 1) * sizeof(*v));
	if (!v) {
		ft_iftotals_result_done(&t);
		return -ENOMEM;
	}
	r->snmp = v;
	for (size_t i = 0; i < t.n_rows; i++) {
		struct ft_recharge_snmp *x = &r->snmp[r->n_snmp++];
		memset(x, 0, sizeof(*x));
		snprintf(x->device, sizeof(x->device), "%s", t.rows[i].device);
		snprintf(x->interface, sizeof(x->interface), "%s", t.rows[i].key);
		x->steps_known = t.rows[i].known_steps[0];
		x->steps_unknown = t.rows[i].steps - t.rows[i].known_steps[0];
		x->in_octets = t.rows[i].v[0];
		x->out_octets = t.rows[i].v[1];
		const struct ft_snmp_device *dev = NULL;
		for (size_t k = 0; cfg && k < cfg->snmp.n_devices && !dev; k++)
			if (!strcmp(cfg->snmp.devices[k].name, t.rows[i].device))
				dev = &cfg->snmp.devices[k];
		if (!dev)
			continue;
		struct ft_recharge_if *nv = realloc(ifs->v, (ifs->n + 1) * sizeof(*nv));
		if (!nv) {
			ft_iftotals_result_done(&t);
			return -ENOMEM;
		}
		ifs->v = nv;
		struct ft_recharge_if *f = &ifs->v[ifs->n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->device, sizeof(f->device), "%s", x->device);
		snprintf(f->interface, sizeof(f->interface), "%s", x->interface);
		f->ifindex = t.rows[i].ifindex;
		f->exporters = dev->exporters;
		f->n_exporters = dev->n_exporters;
		f->in_octets = t.rows[i].v[0];
		f->out_octets = t.rows[i].v[1];
		f->in_known = t.rows[i].known_steps[0];
		f->out_known = t.rows[i].known_steps[1];
		f->steps = t.rows[i].steps;
	}
	ft_iftotals_result_done(&t);
	return 0;
}

/* path written whole: to path.tmp, then renamed over it. */
static int write_file(const char *path, const struct ft_recharge_report *r, const char *fmt, const char *tenant)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -errno;
	int e = !strcmp(fmt, "json") ? ft_report_json(f, r) : !strcmp(fmt, "csv") ? ft_report_csv(f, r)
	                                                                             : ft_report_html(f, r, tenant);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		e = e ? e : -errno;
	if (fclose(f) != 0 && !e)
		e = -errno;
	if (!e && rename(tmp, path) != 0)
		e = -errno;
	if (e)
		unlink(tmp);
	return e;
}

static int write_out(const struct opts *o, const struct ft_recharge_report *r)
{
	bool known = !o->tenant;
	for (size_t i = 0; i < r->st->n_tenants && !known; i++)
		known = !strcmp(r->st->tenants[i].m.name, o->tenant);
	if (!known) {
		fprintf(stderr, "flowtally recharge: --tenant %s: no such tenant this month\n", o->tenant);
		return FT_EXIT_USAGE;
	}
	if (mkdir(o->out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "flowtally recharge: %s: %s\n", o->out, strerror(errno));
		return FT_EXIT_FAILURE;
	}
	static const char *const fmts[] = { "json", "csv", "html" };
	char path[PATH_MAX];
	for (size_t i = 0; i < 3; i++) {
		if (o->format && strcmp(o->format, fmts[i]))
			continue;
		snprintf(path, sizeof(path), "%s/recharge-%s.%s", o->out, r->month, fmts[i]);
		int e = write_file(path, r, fmts[i], o->tenant);
		if (e) {
			fprintf(stderr, "flowtally recharge: %s: %s\n", path, strerror(-e));
			return FT_EXIT_FAILURE;
		}
		printf("%s\n", path);
	}
	if (o->format && strcmp(o->format, "html"))
		return FT_EXIT_OK;
	for (size_t i = 0; i < r->st->n_tenants && !o->tenant; i++) {
		const char *name = r->st->tenants[i].m.name;
		snprintf(path, sizeof(path), "%s/recharge-%s-%s.html", o->out, r->month, name);
		int e = write_file(path, r, "html", name);
		if (e) {
			fprintf(stderr, "flowtally recharge: %s: %s\n", path, strerror(-e));
			return FT_EXIT_FAILURE;
		}
		printf("%s\n", path);
	}
	return FT_EXIT_OK;
}

/* On a terminal: the ledger and the day being read, and how far into the month. */
struct read_progress {
	struct ft_progress line;
	const char *const *dirs;
	size_t n;
	int64_t start, end;
};

static void show_progress(void *ctx, size_t dir, int64_t step_ms)
{
	struct read_progress *p = ctx;
	if (!ft_progress_due(&p->line))
		return;
	char t[40];
	ft_time_format_utc(step_ms * 1000000, t, sizeof(t));
	int64_t span = p->end - p->start;
	ft_progress_show(&p->line, "flowtally recharge: ledger %zu of %zu (%s), %.10s, %d %% of the month", dir + 1,
	                 p->n, p->dirs[dir], t, span > 0 ? (int)((step_ms - p->start) * 100 / span) : 100);
}

static void print_diag(struct ft_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->lines[i]);
}

int ft_cmd_recharge(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	struct ft_config *cfgs[MAX_SOURCES] = { 0 };
	const char *dirs[MAX_SOURCES];
	char dirbuf[MAX_SOURCES][PATH_MAX];
	size_t n_dirs = 0;
	struct ft_bins b = { 0 };
	struct ft_statement st = { 0 };
	struct ft_tariff *tariff = NULL;
	struct members ms = { 0 };
	struct ft_recharge_report r = { 0 };
	struct ft_diag d = { 0 };
	struct ifs ifs = { 0 };
	bool have_bins = false, have_st = false;
	rc = FT_EXIT_USAGE;

	for (size_t i = 0; i < o.n_configs; i++) {
		if (ft_cli_load_config(o.configs[i], &cfgs[i]) < 0)
			goto out;
		snprintf(dirbuf[n_dirs], PATH_MAX, "%s/ledger", cfgs[i]->data_dir);
		dirs[n_dirs] = dirbuf[n_dirs];
		n_dirs++;
	}
	for (size_t i = 0; i < o.n_dirs; i++) {
		snprintf(dirbuf[n_dirs], PATH_MAX, "%s/ledger", o.dirs[i]);
		dirs[n_dirs] = dirbuf[n_dirs];
		n_dirs++;
	}
	if (!n_dirs) {
		snprintf(dirbuf[0], PATH_MAX, "./flowtally-data/ledger");
		dirs[n_dirs++] = dirbuf[0];
	}
	for (size_t i = 0; i < n_dirs; i++) {
		struct stat sb;
		errno = 0;
		if (stat(dirs[i], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "flowtally recharge: %s: no ledger there (%s): a collector that never ran, or a "
			        "wrong -c or -d\n", dirs[i], errno ? strerror(errno) : "not a directory");
			rc = FT_EXIT_FAILURE;
			goto out;
		}
	}
	/* the same ledger under two names (a trailing slash, a link) is the same ledger */
	static char real[MAX_SOURCES][PATH_MAX];
	for (size_t i = 0; i < n_dirs; i++)
		if (!realpath(dirs[i], real[i]))
			snprintf(real[i], PATH_MAX, "%s", dirs[i]);
	for (size_t i = 0; i < n_dirs; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(real[i], real[j])) {
				fprintf(stderr, "flowtally recharge: %s is named twice: its steps would be counted twice\n",
				        dirs[i]);
				goto out;
			}
	const struct ft_config *first = o.n_configs ? cfgs[0] : NULL;
	const char *zone = o.zone ? o.zone : first ? first->timezone : "Europe/London";
	int day = o.contract_day ? o.contract_day : first ? (int)first->contract_day : 1;
	int64_t start, end;
	int e = ft_recharge_month(o.month, zone, day, &start, &end);
	if (e == -ENOMEM) {
		rc = FT_EXIT_FAILURE;
		goto out;
	}
	if (e < 0) {
		fprintf(stderr, "flowtally recharge: %s\n", e == -ERANGE ?
		        "that time zone's midnight is not on a 5-minute boundary" :
		        !ft_config_zone_known(zone) ? "unknown time zone (see --zone)" :
		        "--month takes YYYY-MM, a month from 1970-01 to 9999-12");
		goto out;
	}
	snprintf(r.month, sizeof(r.month), "%s", o.month);
	snprintf(r.zone, sizeof(r.zone), "%s", zone);
	r.contract_day = day;

	struct read_progress rp = { .dirs = dirs, .n = n_dirs, .start = start, .end = end };
	ft_progress_init(&rp.line);
	e = ft_bins_read_progress(dirs, n_dirs, start, end, &b, &d, show_progress, &rp);
	ft_progress_done(&rp.line);
	print_diag(&d);
	if (e < 0) {
		fprintf(stderr, "flowtally recharge: %s\n", e == -ENOENT ? "no ledger in a data directory given "
		        "(a collector that never ran, or a wrong -c / -d)" : strerror(-e));
		rc = e == -EINVAL ? FT_EXIT_USAGE : FT_EXIT_FAILURE;
		goto out;
	}
	have_bins = true;
	ft_diag_done(&d);

	/* one exporter in two ledgers would be counted twice */
	for (size_t i = 1; i < b.n_exporters; i++) {
		const struct ft_recharge_exporter *x = &b.exporters[i - 1], *y = &b.exporters[i];
		if (x->domain == y->domain && ft_addr_equal(&x->exporter, &y->exporter) && x->source != y->source) {
			char a[FT_ADDR_STRLEN];
			fprintf(stderr, "flowtally recharge: exporter %s (domain %u) is in two ledgers, %s and %s: its "
			        "traffic would be counted twice (each router's flows go to one collector)\n",
			        ft_addr_format(&x->exporter, a), (unsigned)x->domain, b.sources[x->source].dir,
			        b.sources[y->source].dir);
			goto out;
		}
	}
	for (size_t i = 0; i < o.n_configs; i++)
		if (add_members(&ms, cfgs[i], start, end) < 0)
			goto out;
	if (!o.n_configs && members_from_bins(&ms, &b) < 0) {
		rc = FT_EXIT_FAILURE;
		goto out;
	}

	/* the tariff knows the month's tenants and every class named anywhere */
	const char *tariff_file = o.tariff ? o.tariff : first && first->tariff ? first->tariff : NULL;
	if (tariff_file) {
		const char **tn = calloc(ms.n + 1, sizeof(*tn));
		const char **cn = calloc(b.n_series + FT_CLASSES_MAX + 1, sizeof(*cn));
		size_t ncn = 0;
		for (size_t i = 0; tn && i < ms.n; i++)
			tn[i] = ms.v[i].name;
		for (size_t c = 0; cn && first && c < first->tenants.n_classes; c++)
			cn[ncn++] = first->tenants.classes[c];
		for (size_t i = 0; cn && i < b.n_series; i++)
			if (b.series[i].class_[0])
				cn[ncn++] = b.series[i].class_;
		struct ft_tariff_names names = { tn, ms.n, cn, ncn };
		e = tn && cn ? ft_tariff_load(tariff_file, &names, &tariff, &d) : -ENOMEM;
		free(tn);
		free(cn);
		print_diag(&d);
		ft_diag_done(&d);
		if (e < 0) {
			rc = e == -ENOMEM ? FT_EXIT_FAILURE : FT_EXIT_USAGE;
			goto out;
		}
	}
	e = ft_statement_build(&b, ms.v, ms.n, tariff, &st, &d);
	print_diag(&d);
	for (size_t i = 0; i < d.n; i++)
		if (d.warning[i])
			note(&r, "%s", d.lines[i]);
	ft_diag_done(&d);
	if (e < 0) {
		rc = e == -EINVAL ? FT_EXIT_USAGE : FT_EXIT_FAILURE;
		goto out;
	}
	have_st = true;
	r.st = &st;
	r.bins = &b;
	r.tariff = tariff;
	if (make_gaps(&r, &b) < 0) {
		rc = FT_EXIT_FAILURE;
		goto out;
	}
	for (size_t i = 0; i < o.n_configs; i++)
		if (add_snmp(&r, cfgs[i]->data_dir, cfgs[i], &ifs, start, end) < 0)
			goto oom;
	for (size_t i = 0; i < o.n_dirs; i++)
		if (add_snmp(&r, o.dirs[i], NULL, &ifs, start, end) < 0)
			goto oom;
	r.recon_threshold_ppm = first ? first->reconcile_ppm : 20000;
	if (ft_recharge_reconcile(&b, ifs.v, ifs.n, r.recon_threshold_ppm, &r.recon, &r.n_recon) < 0)
		goto oom;
	size_t flagged = 0;
	for (size_t i = 0; i < r.n_recon; i++)
		flagged += r.recon[i].flagged;
	if (flagged)
		note(&r, "SNMP and flows differ by more than %u.%04u %% (or SNMP missed steps) on %zu accounting "
		     "interface direction%s: see reconciliation", r.recon_threshold_ppm / 10000,
		     r.recon_threshold_ppm % 10000, flagged, ft_cli_s(flagged));
	if (b.steps > b.steps_counted)
		note(&r, "%" PRIu64 " of the month's %" PRIu64 " steps are of ledger format 1 or were not committed by "
		     "flowtallyd: they record no exporter counters or accounting interfaces", b.steps - b.steps_counted,
		     b.steps);

	snprintf(r.version, sizeof(r.version), "%s", FT_VERSION);
	if (first) {
		snprintf(r.config_file, sizeof(r.config_file), "%s", first->source);
		if (sha256_file(first->source, r.config_sha256) < 0)
			snprintf(r.config_sha256, sizeof(r.config_sha256), "unreadable");
	}
	int64_t now_ms = ft_clock_now_ns() / 1000000;
	if (end > now_ms)
		note(&r, "the month is not over: this statement is provisional");
	if (b.damaged)
		note(&r, "%" PRIu64 " damaged ledger block%s: their bins are missing", b.damaged, ft_cli_s(b.damaged));
	if (b.breaks)
		note(&r, "%" PRIu64 " break%s in the ledger chain this month, %" PRIu64 " not acknowledged (flowtally "
		     "ledger verify lists them)", b.breaks, ft_cli_s(b.breaks), b.breaks_open);
	if (st.bins_present < st.bins_expected)
		note(&r, "%" PRIu64 " of %" PRIu64 " bins missing: the collector was not running then",
		     st.bins_expected - st.bins_present, st.bins_expected);

	if (o.no_rrd) {
		snprintf(r.rrd.why, sizeof(r.rrd.why), "not asked for (--no-rrd-check)");
	} else {
		char rrd_dir[PATH_MAX];
		if (first && first->rrd.dir)
			snprintf(rrd_dir, sizeof(rrd_dir), "%s", first->rrd.dir);
		else
			snprintf(rrd_dir, sizeof(rrd_dir), "%s/rrd", first ? first->data_dir : o.n_dirs ? o.dirs[0] :
			         "./flowtally-data");
		if (n_dirs > 1)
			snprintf(r.rrd.why, sizeof(r.rrd.why), "several ledgers: their RRD store is not checked");
		else if (first && !first->rrd.enabled)
			snprintf(r.rrd.why, sizeof(r.rrd.why), "the configuration writes no RRD files (rrd = false)");
		else if (ft_recharge_rrd_check(rrd_dir, first ? first->rrd.daemon : NULL, &b, &st, &r.rrd) < 0) {
			rc = FT_EXIT_FAILURE;
			goto out;
		}
		if (r.rrd.state == FT_RRD_CHECK_DISAGREES)
			note(&r, "the RRD store's 95th percentiles disagree with the ledger's for %zu figure%s",
			     r.rrd.n_diffs, ft_cli_s(r.rrd.n_diffs));
	}
	if (!o.no_timestamp) {
		char ts[40];
		ft_time_format_utc(now_ms * 1000000, ts, sizeof(ts));
		/* whole seconds */
		char *dot = strchr(ts, '.');
		if (dot)
			strcpy(dot, "Z");
		snprintf(r.generated_at, sizeof(r.generated_at), "%s", ts);
	}

	if (o.out) {
		rc = write_out(&o, &r);
	} else {
		const char *fmt = o.format ? o.format : "json";
		e = !strcmp(fmt, "json") ? ft_report_json(stdout, &r) : !strcmp(fmt, "csv") ? ft_report_csv(stdout, &r)
		                                                                             : ft_report_html(stdout, &r, o.tenant);
		if (e == -ENOENT) {
			fprintf(stderr, "flowtally recharge: --tenant %s: no such tenant this month\n", o.tenant);
			rc = FT_EXIT_USAGE;
			goto out;
		}
		rc = e || fflush(stdout) ? FT_EXIT_FAILURE : FT_EXIT_OK;
	}
	if (rc == FT_EXIT_OK && (b.damaged || b.breaks_open || r.rrd.state == FT_RRD_CHECK_DISAGREES)) {
		fprintf(stderr, "flowtally recharge: the statement was written, but %s\n",
		        b.damaged ? "the ledger has damaged blocks (flowtally ledger verify)" :
		        b.breaks_open ? "the ledger has breaks not acknowledged (flowtally ledger acknowledge)" :
		        "the RRD store disagrees with the ledger (see rrd_check in the statement)");
		rc = FT_EXIT_FAILURE;
	}
	for (size_t i = 0; i < r.n_notes; i++)
		if (strstr(r.notes[i], "provisional"))
			fprintf(stderr, "flowtally recharge: %s\n", r.notes[i]);
	goto out;
oom:
	fprintf(stderr, "flowtally recharge: out of memory\n");
	rc = FT_EXIT_FAILURE;
out:
	ft_diag_done(&d);
	free(ifs.v);
	free(r.recon);
	if (have_st)
		ft_statement_done(&st);
	if (have_bins)
		ft_bins_done(&b);
	ft_recharge_rrd_check_done(&r.rrd);
	ft_tariff_free(tariff);
	free(ms.v);
	free(r.gaps);
	free(r.snmp);
	free(r.notes);
	for (size_t i = 0; i < o.n_configs; i++)
		ft_config_free(cfgs[i]);
	return rc;
}
