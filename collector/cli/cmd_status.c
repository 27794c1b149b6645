/* flowtally status: read the collector's stats.json (rewritten atomically by flowtallyd
 * every stats_interval seconds and at exit) and show it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "flowtally/config.h"
#include "flowtally/netflow.h"

static const char usage_text[] =
"Usage: flowtally status [--json | --templates] [-d DIR | -c FILE]\n"
"Show the statistics of the running collector (or of its last run): totals, listeners\n"
"with kernel drops, exporters with records, bytes, loss estimates and parse errors,\n"
"datagrams rejected by the exporter allow-list, and, until acknowledged, breaks and\n"
"damage found in the ledger (a line ATTENTION).  They are read from stats.json in the\n"
"data directory.\n"
"\n"
"  -d, --data-dir DIR  the data directory (default: ./flowtally-data)\n"
"  -c, --config FILE   take the data directory from this configuration file\n"
"  -j, --json          print stats.json as it is (schema in the README)\n"
"  -t, --templates     print the templates and options data saved in DIR/state/ as\n"
"                      JSON (their files are binary), exporters by address\n"
"  -h, --help          show this help and exit\n"
"\n"
"Exit status: 0 success, 1 no readable statistics, 2 usage or configuration error.\n";

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

/* Whether errors of the reason named so drop whole datagrams, or parts of accepted ones. */
static bool drops_datagram(const char *name)
{
	for (int e = 1; e < FT_NF_ERR__MAX; e++)
		if (strcmp(ft_nf_error_name(e), name) == 0)
			return ft_nf_error_drops_datagram(e);
	return false;
}

static void print_exporter(json_t *e)
{
	char id[64];
	if (json_object_get(e, "engine_id"))
		snprintf(id, sizeof(id), "engine %lld/%lld", num(e, "engine_type"), num(e, "engine_id"));
	else
		snprintf(id, sizeof(id), "domain %lld", num(e, "domain"));
	printf("  %-39s v%-2lld %-14s %12lld %12lld %12lld %16lld %10lld %8lld  %s\n", str(e, "address"),
	       num(e, "version"), id, num(e, "datagrams"), num(e, "accepted"), num(e, "records"),
	       num(e, "bytes"), num(e, "lost_records"), num(e, "parse_errors"), str(e, "last_seen"));
}

/* Every sink alike: the counters all have, then its own rows. */
static void print_sinks(json_t *sinks)
{
	static const char *const common[] = { "steps_written", "last_step", "steps_refused", "write_errors",
	                                      "steps_dropped", "steps_pending", "interface_steps_written",
	                                      "write_retries", NULL };
	const char *name, *k;
	json_t *sk, *v;
	json_object_foreach(sinks, name, sk) {
		printf("\n%s: %lld steps written (last %s), %lld already held, %lld write errors, "
		       "%lld dropped, %lld waiting", name, num(sk, "steps_written"), str(sk, "last_step"),
		       num(sk, "steps_refused"), num(sk, "write_errors"), num(sk, "steps_dropped"),
		       num(sk, "steps_pending"));
		if (num(sk, "interface_steps_written"))
			printf(", %lld interface steps", num(sk, "interface_steps_written"));
		if (num(sk, "write_retries"))
			printf(", %lld writes retried (server unreachable)", num(sk, "write_retries"));
		json_object_foreach(sk, k, v) {
			size_t i = 0;
			while (common[i] && strcmp(common[i], k) != 0)
				i++;
			if (common[i])
				continue;
			if (json_is_integer(v))
				printf(", %s %lld", k, json_integer_value(v));
			else if (json_is_string(v) && *json_string_value(v))
				printf(", %s %s", k, json_string_value(v));
		}
		putchar('\n');
	}
}

/* The SNMP devices: state, last error, polls, and the intervals not taken as data. */
static void print_snmp(json_t *devs)
{
	size_t i;
	json_t *d;
	if (!json_array_size(devs))
		return;
	printf("\nSNMP devices:\n");
	json_array_foreach(devs, i, d) {
		printf("  %-20s %-12s %-24s %5lld interfaces, %lld polls, %lld failed, last answer %s\n",
		       str(d, "name"), str(d, "state"), str(d, "address"), num(d, "interfaces"), num(d, "polls"),
		       num(d, "failures"), str(d, "last_ok_at"));
		if (*str(d, "last_error") && strcmp(str(d, "state"), "up") != 0)
			printf("      last error at %s: %s\n", str(d, "last_error_at"), str(d, "last_error"));
		json_t *iv = json_object_get(d, "intervals"), *v;
		const char *k;
		bool any = false;
		json_object_foreach(iv, k, v) {
			if (strcmp(k, "normal") == 0 || strcmp(k, "wrap") == 0 || !json_integer_value(v))
				continue;
			printf("%s%s %lld", any ? ", " : "      intervals not taken as data: ", k, json_integer_value(v));
			any = true;
		}
		if (any)
			putchar('\n');
		if (num(d, "rows_over_cap") || num(d, "reindexed") || num(d, "skipped"))
			printf("      %lld interfaces beyond max_rows, %lld re-indexed, %lld cycles skipped (poll still running)\n",
			       num(d, "rows_over_cap"), num(d, "reindexed"), num(d, "skipped"));
	}
}

/* flowtallyd's dashboard redraws, when dashboard_interval was set. */
static void print_dashboard(json_t *d)
{
	if (!d)
		return;
	printf("\ndashboard: every %lld s%s, %lld renders, %lld failed (%lld killed at the bound), "
	       "%lld skipped (the last still running); last %s, %lld ms: %s\n", num(d, "interval_s"),
	       json_is_true(json_object_get(d, "running")) ? ", one running now" : "", num(d, "renders"),
	       num(d, "failures"), num(d, "killed"), num(d, "skipped"), str(d, "last_start"),
	       num(d, "last_duration_ms"), str(d, "last_result"));
}

/* The heaviest sources outside the allow-list, each with how many more it may have sent
 * before it was listed, and what the others sent. */
static void print_rejected(json_t *rej)
{
	json_t *errors = json_object_get(rej, "by_source_error"), *v;
	const char *k;
	json_object_foreach(json_object_get(rej, "by_source"), k, v) {
		json_int_t n = json_integer_value(v), more = json_integer_value(json_object_get(errors, k));
		printf("rejected (not in the exporter allow-list): %s, %lld datagram%s", k, n,
		       ft_cli_s((uint64_t)n));
		if (more)
			printf(" (up to %lld more before it was listed)", more);
		putchar('\n');
	}
	if (num(rej, "other_sources"))
		printf("rejected (not in the exporter allow-list): other sources, %lld datagram%s "
		       "(at most %lld from any one)\n", num(rej, "other_sources"),
		       ft_cli_s((uint64_t)num(rej, "other_sources")), num(rej, "other_source_max"));
}

static void print_human(json_t *root)
{
	json_t *t = json_object_get(root, "totals"), *v;
	size_t i;
	const char *k;
	printf("flowtallyd (%s), started %s, statistics of %s\n", str(root, "mode"),
	       str(root, "started"), str(root, "generated"));
	printf("totals: %lld datagrams received: %lld accepted, %lld dropped whole, %lld rejected by "
	       "the allow-list\n"
	       "        %lld records, %lld bytes, %lld packets\n"
	       "        %lld records lost (sequence gaps), %lld parse errors, %lld kernel drops\n",
	       num(t, "received"), num(t, "accepted"), num(t, "dropped"), num(t, "rejected_datagrams"),
	       num(t, "records"), num(t, "bytes"), num(t, "packets"),
	       num(t, "lost_records"), num(t, "parse_errors"), num(t, "kernel_drops"));
	json_t *mem = json_object_get(root, "memory");
	if (mem)
		printf("memory: %lld of %lld bytes of the decoders' budget in use (%.1f %%), %lld "
		       "refusal%s of state for it\n", num(mem, "used_bytes"), num(mem, "limit_bytes"),
		       num(mem, "limit_bytes") ? 100.0 * (double)num(mem, "used_bytes") /
		       (double)num(mem, "limit_bytes") : 0.0, num(mem, "refused"),
		       ft_cli_s((uint64_t)num(mem, "refused")));
	printf("\nlisteners:\n");
	json_array_foreach(json_object_get(root, "listeners"), i, v)
		printf("  %-30s port %-5lld %12lld datagrams, %lld kernel drops, receive buffer %lld "
		       "bytes configured, %lld granted\n", str(v, "address"), num(v, "port"),
		       num(v, "datagrams"), num(v, "kernel_drops"), num(v, "receive_buffer_configured"),
		       num(v, "receive_buffer"));
	printf("\nexporters:\n  %-39s %-3s %-14s %12s %12s %12s %16s %10s %8s  %s\n", "address", "ver",
	       "id", "datagrams", "accepted", "records", "bytes", "lost", "errors", "last seen");
	json_array_foreach(json_object_get(root, "exporters"), i, v)
		print_exporter(v);
	print_sinks(json_object_get(root, "sinks"));
	print_snmp(json_object_get(root, "snmp_devices"));
	print_dashboard(json_object_get(root, "dashboard"));
	json_object_foreach(json_object_get(root, "errors"), k, v) {
		json_int_t n = json_integer_value(v);
		if (n && drops_datagram(k))
			printf("dropped (%s): %lld datagram%s\n", k, n, ft_cli_s((uint64_t)n));
		else if (n)
			printf("error in accepted datagrams (%s): %lld\n", k, n);
	}
	print_rejected(json_object_get(root, "rejected"));
	json_t *lg = json_object_get(json_object_get(root, "sinks"), "ledger");
	if (num(lg, "attention") > 0)
		printf("\nATTENTION: the ledger has %lld thing%s to look into (%lld break%s in the chain, "
		       "%lld damaged file%s): see flowtally ledger verify, then flowtally ledger "
		       "acknowledge\n", num(lg, "attention"), ft_cli_s((uint64_t)num(lg, "attention")),
		       num(lg, "breaks"), ft_cli_s((uint64_t)num(lg, "breaks")), num(lg, "damaged_files"),
		       ft_cli_s((uint64_t)num(lg, "damaged_files")));
}


/* The saved templates of every receive thread, read as flowtallyd reads them (without
 * its caps), as one JSON document. */
static int print_templates(const char *dir)
{
	static const char *const names[] = { "templates*.json", "templates*.state" };
	struct ft_netflow_conf o = { .max_exporters = 1000000, .max_templates = 65535,
	                             .max_template_fields = 16384, .max_template_bytes = 1u << 30,
	                             .memory_budget = 1ull << 40 };
	struct ft_netflow *nf = ft_netflow_new(&o);
	char pattern[4200], why[300];
	int ret = FT_EXIT_OK;
	if (!nf)
		return FT_EXIT_FAILURE;
	for (size_t k = 0; k < 2; k++) {
		glob_t g;
		snprintf(pattern, sizeof(pattern), "%s/state/%s", dir, names[k]);
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			int r = ft_netflow_load(nf, g.gl_pathv[i], 0, why, sizeof(why));
			if (r < 0) {
				fprintf(stderr, "flowtally status: %s: %s\n", g.gl_pathv[i],
				        r == -EINVAL || r == -ENOSPC ? why : strerror(-r));
				ret = FT_EXIT_FAILURE;
			}
		}
		globfree(&g);
	}
	if (ft_netflow_dump_json(nf, stdout) < 0)
		ret = FT_EXIT_FAILURE;
	putchar('\n');
	ft_netflow_free(nf);
	return ret;
}

int ft_cmd_status(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "data-dir", required_argument, NULL, 'd' }, { "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' }, { "templates", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	char dir[4096] = "./flowtally-data", path[4200];
	bool as_json = false, templates = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:c:jth", lopts, NULL)) != -1) {
		if (c == 'd') {
			snprintf(dir, sizeof(dir), "%s", optarg);
		} else if (c == 'c') {
			if (ft_cli_data_dir_from_config(optarg, dir, sizeof(dir)) < 0)
				return FT_EXIT_USAGE;
		} else if (c == 'j') {
			as_json = true;
		} else if (c == 't') {
			templates = true;
		} else if (c == 'h') {
			fputs(usage_text, stdout);
			return FT_EXIT_OK;
		} else {
			fputs(usage_text, stderr);
			return FT_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return FT_EXIT_USAGE;
	}
	if (templates)
		return print_templates(dir);
	snprintf(path, sizeof(path), "%s/stats.json", dir);
	json_error_t jerr;
	/* flowtallyd writes a plain file: a symbolic link there is not its statistics */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	json_t *root = fd >= 0 ? json_loadfd(fd, 0, &jerr) : NULL;
	if (fd < 0)
		snprintf(jerr.text, sizeof(jerr.text), "%s", errno == ELOOP ? "a symbolic link, not "
		         "flowtallyd's statistics" : strerror(errno));
	if (fd >= 0)
		close(fd);
	if (!root) {
		fprintf(stderr, "flowtally status: %s: %s (is flowtallyd running with this data directory?)\n",
		        path, jerr.text);
		return FT_EXIT_FAILURE;
	}
	if (as_json)
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else
		print_human(root);
	if (as_json)
		putchar('\n');
	json_decref(root);
	return FT_EXIT_OK;
}
