/* flowtally ledger: verify the step ledger (DATA_DIR/ledger), and show what it holds
 * per tenant over a range of time.  Both read through the ledger's reader, which
 * verifies every block it returns; show prints no sums when the range has a problem. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "progress.h"
#include "flowtally/file.h"
#include "flowtally/clock.h"
#include "flowtally/config.h"
#include "flowtally/ledger.h"

#define SYNOPSIS \
"Usage: flowtally ledger verify [-d DIR | -c FILE] [--from T] [--to T]\n" \
"       flowtally ledger show [-d DIR | -c FILE] [--from T] [--to T] [--tenant NAME]\n" \
"                             [--by-class] [--json] [--across-breaks]\n" \
"       flowtally ledger acknowledge [-d DIR | -c FILE] [--note TEXT] [--all | ID...]\n"

static const char short_usage[] = SYNOPSIS "Try 'flowtally ledger --help'.\n";

static const char usage_text[] = SYNOPSIS
"\n"
"The ledger (DATA_DIR/ledger/) is flowtallyd's authoritative record of traffic per\n"
"tenant, from which recharge volumes are computed: one block of exact counters per\n"
"closed step, one text file per UTC day, every block checksummed (SHA-256) and\n"
"chained to the block before it.  Its format is described in the README.\n"
"\n"
"verify  checks every block of the range: its checksum, its link to the previous\n"
"        block (across day files), the order of the steps, the syntax, and the\n"
"        attribution contract (out cells + unattributed source = total = in cells +\n"
"        unattributed destination).  Each problem is printed on standard error as\n"
"        FILE:LINE: what.  A summary follows on standard output: days, steps, totals,\n"
"        and the hash at the head of the chain, which must be the one DIR/ledger/HEAD\n"
"        names (so blocks removed from the end, or deleted day files, are seen).\n"
"        Breaks in the chain are listed: where flowtallyd set a damaged day file aside\n"
"        (DIR/ledger/quarantine/) or found blocks missing at a start.  A long verify\n"
"        shows the day it is reading on one line of standard error, on a terminal.\n"
"show    sums the range per tenant: bytes, packets and flows sent (out: the tenant\n"
"        owns the source) and received (in: it owns the destination), then the\n"
"        unattributed volume and the total, so each column adds up.  It verifies as\n"
"        it reads and prints no sums if the range has a problem, or crosses a break\n"
"        not acknowledged yet (unless --across-breaks).\n"
"acknowledge  records that a break or a damaged file was looked into (in\n"
"        DIR/ledger/acknowledged, with the time and the note): flowtally status stops\n"
"        showing it and show sums across it.  Without --all or an ID it lists what\n"
"        is to be acknowledged, with the IDs.  It works while flowtallyd runs.\n"
"\n"
"Options:\n"
"  -d, --data-dir DIR  the data directory (default: ./flowtally-data)\n"
"  -c, --config FILE   take the data directory from this configuration file\n"
"      --from T        steps that start at or after T (default: the first step)\n"
"      --to T          steps that start before T (default: the last step)\n"
"      --tenant NAME   show: this tenant only; zeros for a tenant of the tenant map\n"
"                      (-c FILE) without traffic in the range; a tenant in no step\n"
"                      of the range nor in that map is unknown (exit status 2)\n"
"      --by-class      show: a row per traffic class, and a subtotal per tenant\n"
"  -j, --json          show: print one JSON object (schema in the README)\n"
"      --across-breaks  show: sum across breaks not acknowledged yet (each is named)\n"
"      --note TEXT     acknowledge: why (a ticket, who looked)\n"
"      --all           acknowledge: everything listed\n"
"  -h, --help          show this help and exit\n"
"\n"
"T is a UTC time (2026-11-01T00:00:00Z) or a date (2026-11-01, its midnight UTC).\n"
"The range includes --from and excludes --to: --from 2026-11-01 --to 2026-12-01 is\n"
"November.  A step is in the range when it starts in it.\n"
"\n"
"Exit status: 0 success (verify: no problem found, no break left unacknowledged;\n"
"acknowledge: nothing left to acknowledge), 1 problems or unacknowledged breaks\n"
"found, or no readable ledger, 2 usage or configuration error, or\n"
"show --tenant names an unknown tenant.\n"
"\n"
"Examples:\n"
"  flowtally ledger verify -c /etc/flowtally/flowtally.conf\n"
"  flowtally ledger show -d /var/lib/flowtally --from 2026-11-01 --to 2026-12-01\n"
"  flowtally ledger show --tenant acme --by-class --json --from 2026-11-01 --to 2026-12-01\n"
"  flowtally ledger acknowledge -c /etc/flowtally/flowtally.conf --all --note 'disk fault, INC-42'\n";

struct opts {
	bool show, ack, across, all;
	const char *note;
	char dir[4096];
	const char *config;         /* -c: its tenant map tells the tenants known */
	int64_t from_ms, to_ms;
	const char *tenant;
	bool by_class, json;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("flowtally ledger: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(short_usage, stderr);
	return FT_EXIT_USAGE;
}


static void time_text(int64_t ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms / 1000 - (ms % 1000 < 0));
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One option; -1 to go on, else the exit status. */
static int take_option(int c, struct opts *o)
{
	switch (c) {
	case 'd':
		snprintf(o->dir, sizeof(o->dir), "%s", optarg);
		return -1;
	case 'c':
		o->config = optarg;
		return ft_cli_data_dir_from_config(optarg, o->dir, sizeof(o->dir)) < 0 ? FT_EXIT_USAGE : -1;
	case 'F':
	case 'U':
		if (ft_time_parse_utc(optarg, c == 'F' ? &o->from_ms : &o->to_ms) < 0)
			return usage_error("'%s' is not a UTC time (2026-11-01T00:00:00Z) or a date "
			                   "(2026-11-01)", optarg);
		return -1;
	case 'T':
		o->tenant = optarg;
		return -1;
	case 'C':
		o->by_class = true;
		return -1;
	case 'j':
		o->json = true;
		return -1;
	case 'A':
		o->across = true;
		return -1;
	case 'N':
		o->note = optarg;
		return -1;
	case 'a':
		o->all = true;
		return -1;
	case 'h':
		fputs(usage_text, stdout);
		return FT_EXIT_OK;
	default:
		fputs(short_usage, stderr);
		return FT_EXIT_USAGE;
	}
}

static int parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "data-dir", required_argument, NULL, 'd' }, { "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'F' }, { "to", required_argument, NULL, 'U' },
		{ "tenant", required_argument, NULL, 'T' }, { "by-class", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ "across-breaks", no_argument, NULL, 'A' }, { "note", required_argument, NULL, 'N' },
		{ "all", no_argument, NULL, 'a' }, { 0 },
	};
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:c:jh", lopts, NULL)) != -1)
		if ((rc = take_option(c, o)) >= 0)
			return rc;
	if (optind != argc && !o->ack)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->show && (o->tenant || o->by_class || o->json || o->across))
		return usage_error("%s", "--tenant, --by-class, --json and --across-breaks are options of show");
	if (!o->ack && (o->note || o->all))
		return usage_error("%s", "--note and --all are options of acknowledge");
	if (o->ack && o->all && optind != argc)
		return usage_error("%s", "give --all or IDs, not both");
	if (o->from_ms >= o->to_ms)
		return usage_error("%s", "--from must be before --to");
	return -1;
}

static int open_reader(const struct opts *o, char *path, size_t size, struct ft_ledger_reader **r)
{
	snprintf(path, size, "%s/ledger", o->dir);
	int rc = ft_ledger_reader_open(path, o->from_ms, o->to_ms, r);
	if (rc == -ENOENT)
		fprintf(stderr, "flowtally ledger: %s: no ledger there (is this flowtallyd's data "
		        "directory?)\n", path);
	else if (rc < 0)
		fprintf(stderr, "flowtally ledger: %s: %s\n", path, strerror(-rc));
	return rc;
}

static void print_problems(struct ft_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->lines[i]);
	ft_diag_done(d);
}

/* What verify counts beyond the sums. */
struct tally {
	uint64_t cells, days, problems;
	uint64_t breaks, open_breaks;
	char first_open[1400];      /* the first break not acknowledged */
	const char *dir;            /* DIR/ledger */
	bool list_breaks;           /* verify: one line per break on standard output */
	char first_day[11], last_day[11], file[4096];
	char head[FT_LEDGER_HASH_HEX];
	bool overflow;
	struct ft_progress line;    /* on a terminal: the day being read */
};

static void count_day(struct tally *t, const char *path)
{
	if (strcmp(path, t->file) == 0)
		return;
	snprintf(t->file, sizeof(t->file), "%s", path);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!t->days++)
		snprintf(t->first_day, sizeof(t->first_day), "%.10s", base);
	snprintf(t->last_day, sizeof(t->last_day), "%.10s", base);
}

/* A break in the range: counted, and named (verify lists them all). */
static void note_break(struct ft_ledger_reader *r, struct tally *t)
{
	const struct ft_ledger_break *k = ft_ledger_reader_break(r);
	char when[32], line[1400];
	bool ack = ft_ledger_acknowledged(t->dir, k->hash);
	time_text(k->time_ms, when, sizeof(when));
	snprintf(line, sizeof(line), "%.400s:%d: break (%s) at %s: %s%s%s [%s; id %s]",
	         ft_ledger_reader_file(r), ft_ledger_reader_line(r), k->kind, when, k->text,
	         strcmp(k->kind, "quarantine") ? "" : "; set aside in ", strcmp(k->kind, "quarantine") ? "" : k->ref,
	         ack ? "acknowledged" : "NOT acknowledged", k->hash);
	t->breaks++;
	if (!ack && !t->open_breaks++)
		snprintf(t->first_open, sizeof(t->first_open), "%s", line);
	if (t->list_breaks)
		printf("%-15s %s\n", "break", line);
}

/* Reads the range into sum; returns the exit status when reading must stop, else -1. */
static int read_range(struct ft_ledger_reader *r, struct ft_ledger_sum *sum, struct tally *t)
{
	struct ft_step s;
	struct ft_diag d = { 0 };
	int rc;
	ft_progress_init(&t->line);
	while ((rc = ft_ledger_reader_next(r, &s, &d)) != 0) {
		if (rc == -ENOMEM || d.n)
			ft_progress_done(&t->line);
		if (rc == -ENOMEM) {
			fputs("flowtally ledger: out of memory\n", stderr);
			ft_diag_done(&d);
			return FT_EXIT_FAILURE;
		}
		if (rc < 0)
			t->problems += d.errors ? d.errors : 1;
		print_problems(&d);
		if (rc < 0)
			continue;
		if (rc == 2) {
			note_break(r, t);
			continue;
		}
		t->cells += s.n_cells;
		count_day(t, ft_ledger_reader_file(r));
		snprintf(t->head, sizeof(t->head), "%s", ft_ledger_reader_hash(r));
		if (!t->overflow && ft_ledger_sum_add(sum, &s) < 0)
			t->overflow = true;
		ft_step_done(&s);
		if (ft_progress_due(&t->line))
			ft_progress_show(&t->line, "flowtally ledger: %s, %" PRIu64 " steps read", t->last_day,
			                 sum->steps);
	}
	ft_progress_done(&t->line);
	return -1;
}

static void print_range(const char *what, const struct opts *o)
{
	char a[32] = "the first step", b[32] = "the last step";
	if (o->from_ms != INT64_MIN)
		time_text(o->from_ms, a, sizeof(a));
	if (o->to_ms != INT64_MAX)
		time_text(o->to_ms, b, sizeof(b));
	printf("%-15s %s .. %s\n", what, a, b);
}

static void print_volume_line(const char *what, const struct ft_volume *v)
{
	printf("%-15s %" PRIu64 " bytes, %" PRIu64 " packets, %" PRIu64 " flows\n", what,
	       v->bytes, v->packets, v->flows);
}

/* "late" says what it is: newcomers read it as lost. */
static void print_late_line(const struct ft_volume *v)
{
	printf("%-15s %" PRIu64 " bytes, %" PRIu64 " packets, %" PRIu64 " flows (arrived after their "
	       "step had closed; counted in the oldest step still open)\n", "late", v->bytes, v->packets,
	       v->flows);
}

static void print_verify(const char *path, const struct opts *o, const struct ft_ledger_sum *sum,
                         const struct tally *t)
{
	char a[32], b[32];
	printf("%-15s %s\n", "ledger", path);
	print_range("range", o);
	if (t->days > 1)
		printf("%-15s %" PRIu64 " (%s .. %s)\n", "days", t->days, t->first_day, t->last_day);
	else if (t->days)
		printf("%-15s 1 (%s)\n", "days", t->first_day);
	else
		printf("%-15s 0\n", "days");
	time_text(sum->first_ms, a, sizeof(a));
	time_text(sum->end_ms, b, sizeof(b));
	if (sum->steps)
		printf("%-15s %" PRIu64 ", covering %s .. %s\n", "steps", sum->steps, a, b);
	else
		printf("%-15s 0\n", "steps");
	printf("%-15s %" PRIu64 "\n", "cells", t->cells);
	print_volume_line("total", &sum->total);
	print_volume_line("unattr. source", &sum->unattributed_src);
	print_volume_line("unattr. dest.", &sum->unattributed_dst);
	print_late_line(&sum->late);
	print_volume_line("not accounted", &sum->not_accounted);
	if (t->overflow)
		printf("%-15s sums passed 2^64 - 1 and stopped: use a shorter range\n", "note");
	printf("%-15s %s\n", "head", t->days ? t->head : "-");
	if (t->breaks)
		printf("%-15s %" PRIu64 " (%" PRIu64 " not acknowledged)\n", "breaks", t->breaks, t->open_breaks);
	if (t->problems && t->open_breaks)
		printf("%-15s %" PRIu64 " problem%s found, %" PRIu64 " break%s to acknowledge\n", "result",
		       t->problems, t->problems == 1 ? "" : "s", t->open_breaks, t->open_breaks == 1 ? "" : "s");
	else if (t->open_breaks)
		printf("%-15s %" PRIu64 " break%s to acknowledge (flowtally ledger acknowledge)\n", "result",
		       t->open_breaks, t->open_breaks == 1 ? "" : "s");
	else if (t->problems)
		printf("%-15s %" PRIu64 " problem%s found\n", "result", t->problems,
		       t->problems == 1 ? "" : "s");
	else
		printf("%-15s ok\n", "result");
}

static int run_verify(const struct opts *o)
{
	char path[4200];
	struct ft_ledger_reader *r;
	struct ft_ledger_sum sum;
	struct tally t = { .dir = path, .list_breaks = true };
	if (open_reader(o, path, sizeof(path), &r) < 0)
		return FT_EXIT_FAILURE;
	ft_ledger_sum_init(&sum, false);
	int rc = read_range(r, &sum, &t);
	if (rc < 0) {
		if (ft_ledger_reader_no_head(r))
			printf("%-15s no %s/HEAD yet (a ledger of an older flowtallyd): blocks removed from "
			       "the end cannot be seen until flowtallyd has started once\n", "note", path);
		print_verify(path, o, &sum, &t);
		rc = t.problems || t.open_breaks ? FT_EXIT_FAILURE : FT_EXIT_OK;
	}
	ft_ledger_sum_done(&sum);
	ft_ledger_reader_free(r);
	return rc;
}

/* ---- show ---- */

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void json_volume(const char *key, const struct ft_volume *v)
{
	printf("\"%s\": {\"bytes\": %" PRIu64 ", \"packets\": %" PRIu64 ", \"flows\": %" PRIu64 "}",
	       key, v->bytes, v->packets, v->flows);
}

static void json_pair(const char *what, const char *name, const struct ft_volume *out,
                      const struct ft_volume *in)
{
	printf("{\"%s\": ", what);
	json_string(name);
	fputs(", ", stdout);
	json_volume("out", out);
	fputs(", ", stdout);
	json_volume("in", in);
}

static void json_time(const char *key, bool present, int64_t ms)
{
	char t[32];
	time_text(ms, t, sizeof(t));
	printf("  \"%s\": ", key);
	if (present)
		printf("\"%s\",\n", t);
	else
		fputs("null,\n", stdout);
}

static size_t tenant_end(const struct ft_ledger_sum *sum, size_t i)
{
	size_t j = i;
	while (j < sum->n_rows && strcmp(sum->rows[j].tenant, sum->rows[i].tenant) == 0)
		j++;
	return j;
}

/* Rows [i, j) are one tenant's: its total, then its classes. */
static void json_tenant(const struct ft_ledger_sum *sum, size_t i, size_t j, bool first)
{
	fputs(first ? "\n    " : ",\n    ", stdout);
	json_pair("tenant", sum->rows[i].tenant, &sum->rows[i].out, &sum->rows[i].in);
	if (sum->by_class) {
		fputs(", \"classes\": [", stdout);
		for (size_t k = i + 1; k < j; k++) {
			fputs(k == i + 1 ? "\n      " : ",\n      ", stdout);
			json_pair("class", sum->rows[k].class_, &sum->rows[k].out, &sum->rows[k].in);
			putchar('}');
		}
		fputs("]", stdout);
	}
	putchar('}');
}

static void print_json(const struct opts *o, const struct ft_ledger_sum *sum)
{
	static const struct ft_volume zero;
	bool first = true;
	fputs("{\n", stdout);
	json_time("from", o->from_ms != INT64_MIN, o->from_ms);
	json_time("to", o->to_ms != INT64_MAX, o->to_ms);
	printf("  \"steps\": %" PRIu64 ",\n", sum->steps);
	json_time("first_step", sum->steps, sum->first_ms);
	json_time("end", sum->steps, sum->end_ms);
	fputs("  \"tenants\": [", stdout);
	for (size_t i = 0, j; i < sum->n_rows; i = j, first = false) {
		j = tenant_end(sum, i);
		json_tenant(sum, i, j, first);
	}
	if (first && o->tenant) {
		fputs("\n    ", stdout);
		json_pair("tenant", o->tenant, &zero, &zero);
		fputs(sum->by_class ? ", \"classes\": []}" : "}", stdout);
	}
	fputs("],\n  \"unattributed\": {", stdout);
	json_volume("out", &sum->unattributed_src);
	fputs(", ", stdout);
	json_volume("in", &sum->unattributed_dst);
	fputs("},\n  ", stdout);
	json_volume("total", &sum->total);
	fputs(",\n  ", stdout);
	json_volume("late", &sum->late);
	fputs(",\n  ", stdout);
	json_volume("not_accounted", &sum->not_accounted);
	fputs("\n}\n", stdout);
}

/* The text table is laid out in two passes over the same rows: measure, then print. */
struct table {
	bool measure, by_class;
	int w[8];
};

static void text_cells(struct table *tb, const char *const text[8])
{
	for (int i = 0; i < 8; i++) {
		int n = (int)strlen(text[i]);
		if (i == 1 && !tb->by_class)
			continue;
		if (tb->measure)
			tb->w[i] = n > tb->w[i] ? n : tb->w[i];
		else
			printf(i < 2 ? "%-*s  " : i < 7 ? "%*s  " : "%*s\n", tb->w[i], text[i]);
	}
}

static void text_row(struct table *tb, const char *tenant, const char *class_,
                     const struct ft_volume *out, const struct ft_volume *in)
{
	char n[6][24];
	const uint64_t v[6] = { out->bytes, out->packets, out->flows, in->bytes, in->packets, in->flows };
	for (int i = 0; i < 6; i++)
		snprintf(n[i], sizeof(n[i]), "%" PRIu64, v[i]);
	const char *const text[8] = { tenant, class_, n[0], n[1], n[2], n[3], n[4], n[5] };
	text_cells(tb, text);
}

static void text_body(const struct opts *o, const struct ft_ledger_sum *sum, struct table *tb)
{
	static const struct ft_volume zero;
	static const char *const head[8] = { "tenant", "class", "out bytes", "out packets",
	                                     "out flows", "in bytes", "in packets", "in flows" };
	text_cells(tb, head);
	for (size_t i = 0, j; i < sum->n_rows; i = j) {
		j = tenant_end(sum, i);
		for (size_t k = i + 1; k < j; k++)
			text_row(tb, sum->rows[k].tenant, sum->rows[k].class_, &sum->rows[k].out,
			         &sum->rows[k].in);
		text_row(tb, sum->rows[i].tenant, "(all)", &sum->rows[i].out, &sum->rows[i].in);
	}
	if (!sum->n_rows && o->tenant)
		text_row(tb, o->tenant, "(all)", &zero, &zero);
	if (o->tenant)
		return;
	text_row(tb, "(unattributed)", "", &sum->unattributed_src, &sum->unattributed_dst);
	text_row(tb, "(total)", "", &sum->total, &sum->total);
}

static void print_text(const struct opts *o, const struct ft_ledger_sum *sum)
{
	struct table tb = { .measure = true, .by_class = sum->by_class };
	char a[32], b[32];
	print_range("range", o);
	time_text(sum->first_ms, a, sizeof(a));
	time_text(sum->end_ms, b, sizeof(b));
	if (sum->steps)
		printf("%-15s %" PRIu64 ", covering %s .. %s\n\n", "steps", sum->steps, a, b);
	else
		printf("%-15s 0\n\n", "steps");
	text_body(o, sum, &tb);
	tb.measure = false;
	text_body(o, sum, &tb);
	if (o->tenant)
		return;
	putchar('\n');
	print_late_line(&sum->late);
	print_volume_line("not accounted", &sum->not_accounted);
}

/* A tenant in no step of the range: known when the tenant map of -c declares it (a
 * tenant without traffic: zeros), else unknown, said with where it was looked for. */
static bool tenant_known(const struct opts *o, const char *path)
{
	char a[32] = "the first step", b[32] = "the last step";
	int known = o->config ? ft_cli_config_has_tenant(o->config, o->tenant) : 0;
	if (known > 0) {
		fprintf(stderr, "flowtally ledger: note: tenant '%s' has no traffic in the range\n",
		        o->tenant);
		return true;
	}
	if (o->from_ms != INT64_MIN)
		time_text(o->from_ms, a, sizeof(a));
	if (o->to_ms != INT64_MAX)
		time_text(o->to_ms, b, sizeof(b));
	fprintf(stderr, "flowtally ledger: unknown tenant '%s': in no step of %s from %s to %s, ",
	        o->tenant, path, a, b);
	if (strcmp(o->tenant, "unattributed") == 0)
		fputs("and not a tenant (show without --tenant has the unattributed volume)\n", stderr);
	else if (o->config)
		fprintf(stderr, "nor in the tenant map of %s\n", o->config);
	else
		fputs("and no configuration (-c FILE) gave a tenant map to look in\n", stderr);
	return false;
}

/* Keeps only the rows of one tenant; false when it is unknown. */
static bool keep_tenant(struct ft_ledger_sum *sum, const struct opts *o, const char *path)
{
	size_t n = 0;
	for (size_t i = 0; i < sum->n_rows; i++)
		if (strcmp(sum->rows[i].tenant, o->tenant) == 0)
			sum->rows[n++] = sum->rows[i];
	sum->n_rows = n;
	return n || tenant_known(o, path);
}

static int run_show(const struct opts *o)
{
	char path[4200];
	struct ft_ledger_reader *r;
	struct ft_ledger_sum sum;
	struct tally t = { .dir = path };
	if (open_reader(o, path, sizeof(path), &r) < 0)
		return FT_EXIT_FAILURE;
	ft_ledger_sum_init(&sum, o->by_class);
	int rc = read_range(r, &sum, &t);
	if (rc < 0 && t.open_breaks && !o->across) {
		fprintf(stderr, "flowtally ledger: the range crosses %" PRIu64 " break%s in the chain not "
		        "acknowledged yet: no sums printed.  The first:\n  %s\nLook into it (flowtally ledger "
		        "verify), then flowtally ledger acknowledge; or sum anyway with --across-breaks.\n",
		        t.open_breaks, t.open_breaks == 1 ? "" : "s", t.first_open);
		rc = FT_EXIT_FAILURE;
	} else if (rc < 0 && t.problems) {
		fprintf(stderr, "flowtally ledger: %" PRIu64 " problem%s in the range: no sums "
		        "printed\n", t.problems, t.problems == 1 ? "" : "s");
		rc = FT_EXIT_FAILURE;
	} else if (rc < 0 && t.overflow) {
		fputs("flowtally ledger: a sum passes 2^64 - 1: use a shorter range\n", stderr);
		rc = FT_EXIT_FAILURE;
	} else if (rc < 0 && o->tenant && !keep_tenant(&sum, o, path)) {
		rc = FT_EXIT_USAGE;
	} else if (rc < 0) {
		if (t.open_breaks)
			fprintf(stderr, "flowtally ledger: note: summed across %" PRIu64 " break%s not "
			        "acknowledged (--across-breaks); the first:\n  %s\n", t.open_breaks,
			        t.open_breaks == 1 ? "" : "s", t.first_open);
		if (o->json)
			print_json(o, &sum);
		else
			print_text(o, &sum);
		rc = FT_EXIT_OK;
	}
	ft_ledger_sum_done(&sum);
	ft_ledger_reader_free(r);
	return rc;
}

/* ---- acknowledge ---- */

static int run_acknowledge(const struct opts *o, int argc, char **argv)
{
	char path[4200];
	struct ft_ledger_attention a;
	snprintf(path, sizeof(path), "%s/ledger", o->dir);
	int rc = ft_ledger_attention_scan(path, &a, NULL);
	if (rc < 0) {
		fprintf(stderr, "flowtally ledger: %s: %s\n", path, rc == -ENOENT ? "no ledger there (is "
		        "this flowtallyd's data directory?)" : strerror(-rc));
		return FT_EXIT_FAILURE;
	}
	bool listing = !o->all && optind == argc;
	size_t done = 0;
	for (int i = optind; i < argc; i++) {
		size_t k = 0;
		while (k < a.n && strcmp(a.v[k].id, argv[i]) != 0)
			k++;
		if (k == a.n) {
			fprintf(stderr, "flowtally ledger: %s: nothing with this id to acknowledge (run "
			        "flowtally ledger acknowledge alone for the list)\n", argv[i]);
			ft_ledger_attention_done(&a);
			return FT_EXIT_USAGE;
		}
	}
	for (size_t k = 0; k < a.n; k++) {
		bool chosen = o->all;
		for (int i = optind; i < argc && !chosen; i++)
			chosen = strcmp(a.v[k].id, argv[i]) == 0;
		if (a.v[k].acknowledged) {
			if (listing)
				printf("acknowledged    %s\n                id %s\n", a.v[k].what, a.v[k].id);
			continue;
		}
		if (listing) {
			printf("to acknowledge  %s\n                id %s\n", a.v[k].what, a.v[k].id);
		} else if (chosen) {
			if ((rc = ft_ledger_acknowledge(path, a.v[k].id, o->note)) < 0) {
				fprintf(stderr, "flowtally ledger: %s/acknowledged: %s\n", path, ft_file_strerror(rc));
				ft_ledger_attention_done(&a);
				return FT_EXIT_FAILURE;
			}
			printf("acknowledged    %s\n", a.v[k].what);
			done++;
		}
	}
	size_t left = a.open - done;
	if (listing && !a.open)
		printf("nothing to acknowledge: no break in the chain and no damage not acknowledged\n");
	else if (listing)
		printf("%zu to acknowledge: give their ids, or --all (with --note TEXT to say why)\n", a.open);
	ft_ledger_attention_done(&a);
	return left ? FT_EXIT_FAILURE : FT_EXIT_OK;
}

int ft_cmd_ledger(int argc, char **argv)
{
	struct opts o = { .dir = "./flowtally-data", .from_ms = INT64_MIN, .to_ms = INT64_MAX };
	if (argc < 2) {
		fputs(short_usage, stderr);
		return FT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return FT_EXIT_OK;
	}
	o.show = strcmp(argv[1], "show") == 0;
	o.ack = strcmp(argv[1], "acknowledge") == 0;
	if (!o.show && !o.ack && strcmp(argv[1], "verify") != 0)
		return usage_error("unknown subcommand '%s' (verify, show or acknowledge)", argv[1]);
	int rc = parse_options(argc - 1, argv + 1, &o);
	if (rc >= 0)
		return rc;
	if (o.ack)
		return run_acknowledge(&o, argc - 1, argv + 1);
	return o.show ? run_show(&o) : run_verify(&o);
}
