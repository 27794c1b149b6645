/* flowtally dashboard: the operations dashboards, a folder of static HTML pages and
 * PNG (or SVG) graphs drawn with librrd from the RRD files (exporters/dashboard). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "flowtally/config.h"
#include "flowtally/dashboard.h"
#include "flowtally/html.h"
#include "flowtally/recharge.h"
#include "flowtally/rrd.h"

#define SYNOPSIS \
"Usage: flowtally dashboard [-c FILE | -d DIR] [--out DIR]\n" \
"                           [--period day|week|month|year|all] [--at TIME | --month YYYY-MM]\n"

static const char short_usage[] = SYNOPSIS "Try 'flowtally dashboard --help'.\n";

static const char usage_text[] = SYNOPSIS
"\n"
"Draws the operations dashboards from the RRD files flowtallyd writes: a folder of\n"
"static pages that any web server, or a browser opening index.html, shows.  No\n"
"script, nothing fetched from elsewhere.\n"
"\n"
"  index.html         the overview: all traffic, the unattributed share, the top\n"
"                     tenants stacked, the collector's health (records, kernel\n"
"                     drops, sequence-gap losses, no-template drops, write latency)\n"
"  tenant=NAME.*      per tenant: in and out stacked by traffic class, the 95th\n"
"                     percentile over the period, the month to date\n"
"  link=DEV=IF.*      per polled interface: traffic and utilisation against its\n"
"                     speed, 95th percentiles, errors and discards\n"
"  exporter=NAME.*    per exporter: datagrams, records, what could not be counted\n"
"\n"
"Every page exists once per period, with links between the periods; each graph has a\n"
"table of the numbers behind it.  The graphs are those of the definition files (one\n"
"per page kind; the built-in ones are the source's dashboards/, see its README): a\n"
"file with errors is refused with each error as file:line, and the other pages are\n"
"still drawn.  Graphs read the 5-minute archives; a PERCENT figure is the nearest-rank\n"
"percentile flowtally recharge bills with, so a tenant's 95th over a month is the one\n"
"on its statement.  Pages and images are replaced whole (written aside, then renamed).\n"
"\n"
"Periods end at TIME (default: now), rounded down to 5 minutes: day, week and year\n"
"are the last 1, 7 and 365 days; month is the recharge month so far (from the\n"
"configuration's recharge_contract_day in its timezone, as flowtally recharge counts\n"
"months), so a page drawn at a month's end shows that month exactly.  Graphs' times\n"
"are in that zone.\n"
"\n"
"Options:\n"
"  -c, --config FILE     the collector's configuration: its RRD directory (rrd_dir,\n"
"                        or DATA_DIR/rrd), rrdcached (flushed first), zone, contract\n"
"                        day, dashboard_definitions and dashboard_dir\n"
"  -d, --data-dir DIR    draw DIR/rrd without a configuration (default, without -c:\n"
"                        ./flowtally-data)\n"
"  -o, --out DIR         where the site goes (default: dashboard_dir, or\n"
"                        DATA_DIR/dashboard)\n"
"  -p, --period P        day, week, month, year, or all (the default): the periods\n"
"                        drawn; index.html is the first one's overview\n"
"      --at TIME         the end of the periods: UNIX seconds or YYYY-MM-DDTHH:MM[:SS]Z\n"
"      --month YYYY-MM   the recharge month: --period month --at its end\n"
"      --definitions DIR the graph definitions (default: dashboard_definitions, or the\n"
"                        built-in ones)\n"
"      --format FMT      png (the default) or svg\n"
"  -j, --jobs N          worker processes drawing (default: one per CPU)\n"
"      --zone ZONE       the time zone instead of the configuration's\n"
"      --contract-day N  the day months start on (1..28) instead of the configuration's\n"
"  -q, --quiet           no summary on standard output, no progress line\n"
"  -h, --help            show this help and exit\n"
"\n"
"The summary's last line is the path of index.html.  On a terminal, a line of\n"
"standard error shows how far the drawing has got.\n"
"\n"
"Exit status: 0 every page was drawn (a graph of files that do not exist yet says so\n"
"on its page); 1 a definition file was refused or a graph could not be drawn (its page\n"
"says why; the others are drawn), or the site could not be written; 2 usage or\n"
"configuration error.\n"
"\n"
"Examples:\n"
"  flowtally dashboard -c /etc/flowtally/flowtally.conf --out /var/www/flowtally\n"
"  flowtally dashboard -d ./flowtally-data --month 2026-10 --out /tmp/october\n";

struct opts {
	const char *config, *data_dir, *out, *period, *at, *month, *defs, *format, *zone;
	int contract_day;
	unsigned jobs;
	bool quiet;
};

/* TIME: UNIX seconds, or YYYY-MM-DDTHH:MM[:SS]Z.  0 or -1. */
static int parse_time(const char *s, int64_t *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!errno && *s && !*end && v > 0) {
		*ret = v;
		return 0;
	}
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!p)
		return -1;
	if (*p == ':') {
		const char *q = strptime(p + 1, "%S", &tm);
		if (!q)
			return -1;
		p = q;
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	time_t t = timegm(&tm);
	if (t <= 0)
		return -1;
	*ret = t;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_AT = 256, O_MONTH, O_DEFS, O_FORMAT, O_ZONE, O_DAY };
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },    { "data-dir", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },       { "period", required_argument, NULL, 'p' },
		{ "at", required_argument, NULL, O_AT },       { "month", required_argument, NULL, O_MONTH },
		{ "definitions", required_argument, NULL, O_DEFS }, { "format", required_argument, NULL, O_FORMAT },
		{ "jobs", required_argument, NULL, 'j' },      { "zone", required_argument, NULL, O_ZONE },
		{ "contract-day", required_argument, NULL, O_DAY }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },            { NULL, 0, NULL, 0 },
	};
	int ch;
	char *end;
	long v;
	while ((ch = getopt_long(argc, argv, "c:d:o:p:j:qh", longs, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'd': o->data_dir = optarg; break;
		case 'o': o->out = optarg; break;
		case 'p': o->period = optarg; break;
		case O_AT: o->at = optarg; break;
		case O_MONTH: o->month = optarg; break;
		case O_DEFS: o->defs = optarg; break;
		case O_FORMAT: o->format = optarg; break;
		case O_ZONE: o->zone = optarg; break;
		case 'q': o->quiet = true; break;
		case 'j':
		case O_DAY:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > (ch == 'j' ? 256 : 28)) {
				fprintf(stderr, "flowtally dashboard: %s '%s' is not %s\n", ch == 'j' ? "--jobs" : "--contract-day",
				        optarg, ch == 'j' ? "a number from 1 to 256" : "a day from 1 to 28");
				return FT_EXIT_USAGE;
			}
			if (ch == 'j')
				o->jobs = (unsigned)v;
			else
				o->contract_day = (int)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return FT_EXIT_OK;
		default:
			fputs(short_usage, stderr);
			return FT_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowtally dashboard: unexpected argument '%s'\n%s", argv[optind], short_usage);
		return FT_EXIT_USAGE;
	}
	if (o->config && o->data_dir) {
		fprintf(stderr, "flowtally dashboard: -c and -d both name the data: give one\n%s", short_usage);
		return FT_EXIT_USAGE;
	}
	if (o->at && o->month) {
		fprintf(stderr, "flowtally dashboard: --at and --month both give the time: give one\n%s", short_usage);
		return FT_EXIT_USAGE;
	}
	if (o->month && o->period && strcmp(o->period, "month") != 0) {
		fprintf(stderr, "flowtally dashboard: --month draws the month: --period %s does not go with it\n",
		        o->period);
		return FT_EXIT_USAGE;
	}
	if (o->format && strcmp(o->format, "png") != 0 && strcmp(o->format, "svg") != 0) {
		fprintf(stderr, "flowtally dashboard: --format '%s' is not png or svg\n", o->format);
		return FT_EXIT_USAGE;
	}
	return -1;
}

int ft_cmd_dashboard(int argc, char **argv)
{
	struct opts o = { 0 };
	int r = parse_opts(argc, argv, &o);
	if (r >= 0)
		return r;

	struct ft_config *cfg = NULL;
	if (o.config && ft_cli_load_config(o.config, &cfg) < 0)
		return FT_EXIT_USAGE;
	int status = FT_EXIT_OK;
	const char *data_dir = cfg ? cfg->data_dir : o.data_dir ? o.data_dir : "./flowtally-data";
	const char *zone = o.zone ? o.zone : cfg ? cfg->timezone : "Europe/London";
	int contract_day = o.contract_day ? o.contract_day : cfg ? (int)cfg->contract_day : 1;
	char rrd_dir[PATH_MAX], out[PATH_MAX], index[PATH_MAX + 16];
	struct ft_dashboard *defs[FT_DASH__KINDS] = { 0 };
	struct ft_diag dd = { 0 }, di = { 0 };
	struct ft_dash_inventory inv = { 0 };
	struct ft_dash_site site = { 0 };

	if (!ft_config_zone_known(zone)) {
		fprintf(stderr, "flowtally dashboard: the time zone '%s' is not in the system's database "
		        "(/usr/share/zoneinfo)\n", zone);
		status = FT_EXIT_USAGE;
		goto done;
	}
	/* the graphs' axes are in local time, librrd's: the zone is the process's */
	setenv("TZ", zone, 1);
	tzset();

	struct ft_dash_opts d = { .zone = zone, .contract_day = contract_day, .jobs = o.jobs,
	                          .format = o.format && strcmp(o.format, "svg") == 0 ? FT_DASH_SVG : FT_DASH_PNG,
	                          .progress = !o.quiet && isatty(STDERR_FILENO) };
	/* the periods and their end */
	int64_t now = (int64_t)time(NULL);
	if (o.month) {
		int64_t s, e;
		int mr = ft_recharge_month(o.month, zone, contract_day, &s, &e);
		if (mr < 0) {
			fprintf(stderr, "flowtally dashboard: --month '%s' is not a month YYYY-MM%s\n", o.month,
			        mr == -ERANGE ? " with bin boundaries in this zone" : "");
			status = FT_EXIT_USAGE;
			goto done;
		}
		d.at = e / 1000;
		d.spans[FT_DASH_MONTH] = true;
	} else {
		if (o.at && parse_time(o.at, &now) < 0) {
			fprintf(stderr, "flowtally dashboard: --at '%s' is not UNIX seconds or YYYY-MM-DDTHH:MM[:SS]Z\n", o.at);
			status = FT_EXIT_USAGE;
			goto done;
		}
		d.at = now - now % 300;
		if (!o.period || strcmp(o.period, "all") == 0) {
			for (int s = 0; s < FT_DASH__SPANS; s++)
				d.spans[s] = true;
		} else {
			int s = ft_dash_span_parse(o.period);
			if (s < 0) {
				fprintf(stderr, "flowtally dashboard: --period '%s' is not day, week, month, year or all\n",
				        o.period);
				status = FT_EXIT_USAGE;
				goto done;
			}
			d.spans[s] = true;
		}
	}
	if (cfg && cfg->rrd.dir)
		snprintf(rrd_dir, sizeof(rrd_dir), "%s", cfg->rrd.dir);
	else
		snprintf(rrd_dir, sizeof(rrd_dir), "%s/rrd", data_dir);
	if (o.out)
		snprintf(out, sizeof(out), "%s", o.out);
	else if (cfg && cfg->dashboard_dir)
		snprintf(out, sizeof(out), "%s", cfg->dashboard_dir);
	else
		snprintf(out, sizeof(out), "%s/dashboard", data_dir);
	d.rrd_dir = rrd_dir;
	d.out_dir = out;
	if (cfg && cfg->rrd.daemon) {
		if (ft_rrd_daemon_is_tcp(cfg->rrd.daemon))
			fprintf(stderr, "flowtally dashboard: warning: rrdcached at %s is over TCP: the files are drawn "
			        "as they are on disk, without its pending updates\n", cfg->rrd.daemon);
		else
			d.daemon = cfg->rrd.daemon;
	}

	/* the definitions: a refused file is listed on the overview, the others drawn */
	const char *defs_dir = o.defs ? o.defs : cfg ? cfg->dashboard_definitions : NULL;
	r = ft_dashboard_load_set(defs_dir, defs, &dd);
	ft_diag_sort(&dd);
	for (size_t i = 0; i < dd.n; i++)
		fprintf(stderr, "%s\n", dd.lines[i]);
	if (r < 0) {
		status = r == -ENOMEM ? FT_EXIT_FAILURE : FT_EXIT_USAGE;
		goto done;
	}
	if (dd.errors)
		status = FT_EXIT_FAILURE;
	for (int k = 0; k < FT_DASH__KINDS; k++)
		d.defs[k] = defs[k];

	r = ft_dash_inventory_scan(rrd_dir, &inv, &di);
	for (size_t i = 0; i < di.n; i++)
		fprintf(stderr, "%s\n", di.lines[i]);
	if (r < 0) {
		status = FT_EXIT_FAILURE;
		goto done;
	}
	struct ft_diag dr = { 0 };
	r = ft_dash_render(&d, &inv, &site, &dr);
	for (size_t i = 0; i < dr.n; i++)
		fprintf(stderr, "%s\n", dr.lines[i]);
	ft_diag_done(&dr);
	if (r < 0) {
		status = FT_EXIT_FAILURE;
		goto done;
	}
	/* what the overview lists: the refused definitions, the kinds without one */
	size_t n_prob = dd.errors;
	for (int k = 0; k < FT_DASH__KINDS; k++)
		n_prob += !defs[k];
	if (n_prob && !(site.problems = calloc(n_prob, sizeof(*site.problems)))) {
		status = FT_EXIT_FAILURE;
		goto done;
	}
	for (size_t i = 0; i < dd.n; i++)
		if (!dd.warning[i])
			snprintf(site.problems[site.n_problems++].text, sizeof(site.problems[0].text), "%s", dd.lines[i]);
	for (int k = 0; k < FT_DASH__KINDS; k++)
		if (!defs[k])
			snprintf(site.problems[site.n_problems++].text, sizeof(site.problems[0].text),
			         "no definition of the %s pages could be used: they are not drawn",
			         ft_dash_kind_name((enum ft_dash_kind)k));
	char err[1024];
	if ((r = ft_dash_html_write(&site, out, err, sizeof(err))) < 0 ||
	    (r = ft_dash_json_write(&site, out, err, sizeof(err))) < 0) {
		fprintf(stderr, "flowtally dashboard: %s\n", err);
		status = FT_EXIT_FAILURE;
		goto done;
	}
	/* the graphs librrd could not draw, each with why */
	for (size_t i = 0, said = 0; i < site.n_pages; i++)
		for (size_t k = 0; k < site.pages[i].n_images; k++) {
			const struct ft_dash_image *im = &site.pages[i].images[k];
			if (im->drawn || im->no_data || said++ >= 20)
				continue;
			fprintf(stderr, "flowtally dashboard: %s: %s: not drawn: %s\n", site.pages[i].file, im->graph, im->error);
		}
	if (site.failed)
		status = FT_EXIT_FAILURE;
	char abs[PATH_MAX];
	snprintf(index, sizeof(index), "%s/index.html", realpath(out, abs) ? abs : out);
	if (!o.quiet) {
		printf("flowtally dashboard: %zu period%s, %s page%s, %s graph%s drawn, %s not drawn", site.n_spans,
		       ft_cli_s(site.n_spans), ft_text_grouped(site.n_pages).s, ft_cli_s(site.n_pages),
		       ft_text_grouped(site.images).s, ft_cli_s(site.images), ft_text_grouped(site.failed).s);
		if (site.no_data)
			printf(", %" PRIu64 " without data yet", site.no_data);
		if (site.empty)
			printf(" (no RRD files in %s yet)", rrd_dir);
		printf("\n%s\n", index);
	}
done:
	ft_dash_site_free(&site);
	ft_dash_inventory_free(&inv);
	ft_dashboard_set_free(defs);
	ft_diag_done(&dd);
	ft_diag_done(&di);
	ft_config_free(cfg);
	return status;
}
