/* flowtally snmp walk: one device polled once with the poller's own code (walk.c), for
 * troubleshooting credentials, filters and what an agent serves. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "cli.h"
#include "flowtally/clock.h"
#include "flowtally/config.h"
#include "flowtally/iftotals.h"
#include "flowtally/log.h"
#include "flowtally/snmp.h"

#define SYNOPSIS \
"Usage: flowtally snmp walk --config FILE DEVICE [--json]\n" \
"       flowtally snmp walk ADDRESS[:PORT] -v 2c -c COMMUNITY [--json]\n" \
"       flowtally snmp walk ADDRESS[:PORT] -v 3 -l LEVEL -u USER [-a AUTH -A PASS]\n" \
"                           [-x PRIV -X PASS] [--json]\n" \
"       flowtally snmp poll --config FILE [--cycles N] [--json]\n" \
"       flowtally snmp totals [-c FILE | -d DIR] [--from T] [--to T] [--json]\n" \
"       flowtally snmp --help\n"

static const char short_usage[] = SYNOPSIS "Try 'flowtally snmp --help' for more.\n";

static const char usage_text[] = SYNOPSIS
"\n"
"walk  polls one device once, as flowtallyd's poller does (GETBULK of ifName and\n"
"      ifDescr, then GET of the other IF-MIB columns of the interfaces its filters\n"
"      keep, with sysUpTime and sysName), and prints what it read: a table, or with\n"
"      --json one object with every counter as a JSON integer (full 64-bit values).\n"
"      The device is either one of a configuration's snmp_devices, with its\n"
"      credentials (snmp_secrets included), filters and timeouts, or one given as the\n"
"      net-snmp tools take it.  ADDRESS is an IP address (an IPv6 one in brackets\n"
"      with a port: [2001:db8::1]:161); the port defaults to 161.\n"
"poll  polls every device of the configuration's snmp_devices at once, as one cycle\n"
"      of flowtallyd's poller does (concurrently, on one thread), N cycles back to\n"
"      back, and prints each cycle's time and each device's state; then the CPU time\n"
"      and peak memory the polls took.  Nothing is written.\n"
"\n"
"totals  sums the exact interface totals flowtallyd keeps (DATA_DIR/interfaces/,\n"
"      one line per interface and step) over steps starting in [--from, --to): the\n"
"      octets, unicast packets, errors and discards of the steps each counter is\n"
"      known in, as integers, and the steps left unknown by reason (restart,\n"
"      discontinuity, impossible, no_answer, ...).  Damaged lines are counted and\n"
"      left out.\n"
"\n"
"Options:\n"
"      --config FILE  the configuration naming DEVICE (walk) or the devices (poll)\n"
"  -d, --data-dir DIR totals: the data directory (default: the configuration's, -c)\n"
"      --from T, --to T  totals: UTC times (2026-11-01T00:00:00Z, or a date)\n"
"      --cycles N     poll: cycles to run (default 1)\n"
"  -v VERSION         2c or 3\n"
"  -c COMMUNITY       SNMPv2c community\n"
"  -l LEVEL           SNMPv3 security level: noAuthNoPriv, authNoPriv, authPriv\n"
"  -u USER            SNMPv3 user\n"
"  -a AUTH            SHA (SHA-1), SHA-224, SHA-256, SHA-384, SHA-512 (default SHA)\n"
"  -A PASS            authentication passphrase\n"
"  -x PRIV            AES (AES-128), AES-192, AES-256 (default AES)\n"
"  -X PASS            privacy passphrase\n"
"  -t SECONDS         timeout of each request (default 2)\n"
"  -r RETRIES         retries of each request (default 1)\n"
"      --json         JSON instead of a table\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 the device answered; 1 it did not (timeout, authentication failure,\n"
"unknown user: one line on stderr names the device); 2 usage or configuration error.\n";

static const char *const hc_names[4] = { "ifHCInOctets", "ifHCOutOctets", "ifHCInUcastPkts", "ifHCOutUcastPkts" };
static const char *const c32_names[8] = { "ifInOctets", "ifOutOctets", "ifInUcastPkts", "ifOutUcastPkts",
                                          "ifInErrors", "ifOutErrors", "ifInDiscards", "ifOutDiscards" };

static void print_json_if(FILE *f, const struct ft_snmp_if *i)
{
	fprintf(f, "{\"ifIndex\":%" PRIu32, i->ifindex);
	if (i->have & FT_SNMP_HAVE_NAME)
		fputs(",\"ifName\":", f), ft_cli_json_string(f, i->name);
	if (i->have & FT_SNMP_HAVE_ALIAS)
		fputs(",\"ifAlias\":", f), ft_cli_json_string(f, i->alias);
	if (i->have & FT_SNMP_HAVE_DESCR)
		fputs(",\"ifDescr\":", f), ft_cli_json_string(f, i->descr);
	if (i->have & FT_SNMP_HAVE_HIGHSPEED)
		fprintf(f, ",\"ifHighSpeed\":%" PRIu32, i->high_speed);
	if (i->have & FT_SNMP_HAVE_SPEED)
		fprintf(f, ",\"ifSpeed\":%" PRIu32, i->speed);
	if (i->have & FT_SNMP_HAVE_OPER)
		fprintf(f, ",\"ifOperStatus\":%" PRId32, i->oper_status);
	for (int k = 0; k < 4; k++)
		if (i->have & FT_SNMP_HAVE_HC(k))
			fprintf(f, ",\"%s\":%" PRIu64, hc_names[k], i->hc[k]);
	for (int k = 0; k < 8; k++)
		if (i->have & FT_SNMP_HAVE_C32(k))
			fprintf(f, ",\"%s\":%" PRIu32, c32_names[k], i->c32[k]);
	if (i->have & FT_SNMP_HAVE_DISC)
		fprintf(f, ",\"ifCounterDiscontinuityTime\":%" PRIu32, i->disc_time);
	fputc('}', f);
}

static void print_json(const struct ft_snmp_device *d, const struct ft_snmp_poll *p)
{
	fputs("{\"device\":", stdout);
	ft_cli_json_string(stdout, d->name);
	fputs(",\"address\":", stdout);
	ft_cli_json_string(stdout, d->address);
	fputs(",\"sysName\":", stdout);
	ft_cli_json_string(stdout, p->sys_name);
	if (p->have_uptime)
		printf(",\"sysUpTime\":%" PRIu32, p->sys_uptime);
	printf(",\"requests\":%" PRIu32 ",\"filtered\":%" PRIu64 ",\"rows_over_cap\":%" PRIu64 ",\"interfaces\":[",
	       p->requests, p->filtered, p->rows_over_cap);
	for (size_t k = 0; k < p->n_ifs; k++) {
		if (k)
			fputc(',', stdout);
		print_json_if(stdout, &p->ifs[k]);
	}
	fputs("]}\n", stdout);
}

static void print_table(const struct ft_snmp_device *d, const struct ft_snmp_poll *p)
{
	printf("device %s (%s): sysName %s, sysUpTime %" PRIu32 " ticks, %zu interface%s, %" PRIu32 " request%s",
	       d->name, d->address, p->sys_name[0] ? p->sys_name : "-", p->sys_uptime, p->n_ifs, ft_cli_s(p->n_ifs),
	       p->requests, ft_cli_s(p->requests));
	if (p->filtered)
		printf(", %" PRIu64 " left out by filters", p->filtered);
	if (p->rows_over_cap)
		printf(", %" PRIu64 " beyond max_rows", p->rows_over_cap);
	printf("\n%8s  %-20s %4s %9s %20s %20s  %s\n", "ifIndex", "ifName", "oper", "Mb/s", "in octets", "out octets",
	       "ifAlias");
	for (size_t k = 0; k < p->n_ifs; k++) {
		const struct ft_snmp_if *i = &p->ifs[k];
		bool hc = (i->have & FT_SNMP_HAVE_HC(0)) && (i->have & FT_SNMP_HAVE_HC(1));
		uint64_t in = hc ? i->hc[0] : i->c32[0], out = hc ? i->hc[1] : i->c32[1];
		uint64_t mbps = i->have & FT_SNMP_HAVE_HIGHSPEED ? i->high_speed : i->speed / 1000000;
		printf("%8" PRIu32 "  %-20s %4" PRId32 " %9" PRIu64 " %20" PRIu64 " %20" PRIu64 "%s %s\n", i->ifindex,
		       i->have & FT_SNMP_HAVE_NAME ? i->name : i->descr, i->oper_status, mbps, in, out, hc ? "" : "*",
		       i->alias);
	}
	bool any32 = false;
	for (size_t k = 0; k < p->n_ifs; k++)
		any32 |= !((p->ifs[k].have & FT_SNMP_HAVE_HC(0)) && (p->ifs[k].have & FT_SNMP_HAVE_HC(1)));
	if (any32)
		puts("* 32-bit counters (ifInOctets, ifOutOctets): the agent has no ifHCInOctets/ifHCOutOctets");
}

static int device_from_config(const char *path, const char *name, struct ft_snmp_device *ret,
                              struct ft_config **ret_cfg)
{
	struct ft_config *cfg = NULL;
	if (ft_cli_load_config(path, &cfg) < 0)
		return FT_EXIT_USAGE;
	for (size_t i = 0; i < cfg->snmp.n_devices; i++)
		if (strcmp(cfg->snmp.devices[i].name, name) == 0) {
			*ret = cfg->snmp.devices[i];
			*ret_cfg = cfg;
			return FT_EXIT_OK;
		}
	fprintf(stderr, "flowtally snmp walk: %s names no device %s in snmp_devices\n", path, name);
	ft_config_free(cfg);
	return FT_EXIT_USAGE;
}

static int copy_opt(char *dst, size_t size, const char *v, const char *what)
{
	if (strlen(v) >= size || !*v) {
		fprintf(stderr, "flowtally snmp walk: %s must be 1 to %zu characters\n", what, size - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* The device given net-snmp style: address and options, into d (defaults set). */
static int parse_adhoc(struct ft_snmp_device *d, int opt, const char *v)
{
	long n;
	int i;
	char *end;
	switch (opt) {
	case 'v':
		if (strcmp(v, "2c") != 0 && strcmp(v, "3") != 0)
			return fprintf(stderr, "flowtally snmp walk: -v must be 2c or 3\n"), -1;
		d->version = v[0] == '3' ? FT_SNMP_V3 : FT_SNMP_V2C;
		return 0;
	case 'c': return copy_opt(d->community, sizeof(d->community), v, "the community");
	case 'u': return copy_opt(d->user, sizeof(d->user), v, "the user");
	case 'A': return copy_opt(d->auth_pass, sizeof(d->auth_pass), v, "the authentication passphrase");
	case 'X': return copy_opt(d->priv_pass, sizeof(d->priv_pass), v, "the privacy passphrase");
	case 'l':
		if ((i = ft_snmp_level_parse(v)) < 0)
			return fprintf(stderr, "flowtally snmp walk: -l must be noAuthNoPriv, authNoPriv or authPriv\n"), -1;
		d->level = (uint8_t)i;
		return 0;
	case 'a':
		if ((i = ft_snmp_auth_parse(v)) < 0)
			return fprintf(stderr, "flowtally snmp walk: -a must be SHA, SHA-224, SHA-256, SHA-384 or SHA-512\n"), -1;
		d->auth = (uint8_t)i;
		return 0;
	case 'x':
		if ((i = ft_snmp_priv_parse(v)) < 0)
			return fprintf(stderr, "flowtally snmp walk: -x must be AES, AES-192 or AES-256\n"), -1;
		d->priv = (uint8_t)i;
		return 0;
	case 't': case 'r':
		errno = 0;
		n = strtol(v, &end, 10);
		if (end == v || *end || errno || n < (opt == 't' ? 1 : 0) || n > 60)
			return fprintf(stderr, "flowtally snmp walk: -%c must be a whole number of %s\n", opt,
			               opt == 't' ? "seconds from 1 to 60" : "retries from 0 to 60"), -1;
		if (opt == 't')
			d->timeout_ms = (uint32_t)n * 1000;
		else
			d->retries = (uint32_t)n;
		return 0;
	}
	return -1;
}

/* The address as snmp_devices takes it, through the configuration's own parser. */
static int adhoc_address(struct ft_snmp_device *d, const char *addr)
{
	char text[512];
	snprintf(text, sizeof(text), "snmp_devices = ( { name = \"x\"; address = \"%s\"; community = \"x\"; } );",
	         addr);
	struct ft_config *cfg = NULL;
	if (strchr(addr, '"') || strchr(addr, '\\') || ft_config_parse(text, "ADDRESS", &cfg, NULL) < 0) {
		fprintf(stderr, "flowtally snmp walk: '%s' is not ADDRESS, ADDRESS:PORT or [IPv6]:PORT (an IP address)\n",
		        addr);
		return -1;
	}
	snprintf(d->address, sizeof(d->address), "%s", cfg->snmp.devices[0].address);
	snprintf(d->name, sizeof(d->name), "%.*s", (int)sizeof(d->name) - 1, addr);
	ft_config_free(cfg);
	return 0;
}

static int walk(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct ft_snmp_device d = { .version = 0, .level = FT_SNMP_AUTHPRIV, .auth = FT_SNMP_SHA1,
	                            .priv = FT_SNMP_AES128, .timeout_ms = 2000, .retries = 1, .max_rows = 100000,
	                            .max_repetitions = 25 };
	const char *config = NULL;
	bool json = false, adhoc = false;
	int c;
	while ((c = getopt_long(argc, argv, "v:c:l:u:a:A:x:X:t:r:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return FT_EXIT_OK;
		} else if (c == 'C') {
			config = optarg;
		} else if (c == 'j') {
			json = true;
		} else if (c == '?') {
			fputs(short_usage, stderr);
			return FT_EXIT_USAGE;
		} else {
			adhoc = true;
			if (parse_adhoc(&d, c, optarg) < 0)
				return FT_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || (config && adhoc) || (!config && !d.version)) {
		fprintf(stderr, "flowtally snmp walk: give --config FILE DEVICE, or ADDRESS with -v and credentials\n%s",
		        short_usage);
		return FT_EXIT_USAGE;
	}
	struct ft_config *cfg = NULL;
	if (config) {
		int r = device_from_config(config, argv[optind], &d, &cfg);
		if (r != FT_EXIT_OK)
			return r;
		d.max_rows = d.max_rows ? d.max_rows : 100000;
	} else {
		if (adhoc_address(&d, argv[optind]) < 0)
			return FT_EXIT_USAGE;
		if (d.version == FT_SNMP_V2C && !d.community[0]) {
			fprintf(stderr, "flowtally snmp walk: -v 2c needs -c COMMUNITY\n");
			return FT_EXIT_USAGE;
		}
		if (d.version == FT_SNMP_V3 && !d.user[0]) {
			fprintf(stderr, "flowtally snmp walk: -v 3 needs -u USER\n");
			return FT_EXIT_USAGE;
		}
	}
	ft_snmp_init("flowtally");
	struct ft_snmp_poll p = { 0 };
	char err[300];
	int r = ft_snmp_walk(&d, &p, err, sizeof(err));
	if (r == 0) {
		if (json)
			print_json(&d, &p);
		else
			print_table(&d, &p);
		ft_snmp_poll_done(&p);
	} else {
		fprintf(stderr, "flowtally snmp walk: %s\n", err);
	}
	ft_config_free(cfg);
	return r == 0 ? FT_EXIT_OK : r == -EINVAL ? FT_EXIT_USAGE : FT_EXIT_FAILURE;
}

static int64_t cpu_ms(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return ((int64_t)u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000;
}

static void print_poll_stats(const struct ft_snmp_device_stats *st, size_t n, bool json)
{
	for (size_t k = 0; k < n; k++) {
		const struct ft_snmp_device_stats *s = &st[k];
		if (json) {
			printf("%s{\"device\":", k ? "," : "");
			ft_cli_json_string(stdout, s->name);
			printf(",\"state\":\"%s\",\"interfaces\":%" PRIu64 ",\"requests\":%" PRIu64 ",\"poll_ms\":%" PRId64
			       ",\"failures\":%" PRIu64 ",\"last_error\":", ft_snmp_state_name(s->state), s->interfaces,
			       s->requests, s->last_poll_ms, s->failures);
			ft_cli_json_string(stdout, s->last_error);
			putchar('}');
		} else {
			printf("  %-20s %-12s %6" PRIu64 " interfaces %6" PRId64 " ms%s%s\n", s->name, ft_snmp_state_name(s->state),
			       s->interfaces, s->last_poll_ms, s->state == FT_SNMP_UP ? "" : "  ", s->state == FT_SNMP_UP ? "" : s->last_error);
		}
	}
}

static int poll_all(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' }, { "cycles", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	bool json = false;
	long cycles = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'h': fputs(usage_text, stdout); return FT_EXIT_OK;
		case 'C': config = optarg; break;
		case 'j': json = true; break;
		case 'n':
			errno = 0;
			cycles = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || cycles < 1 || cycles > 100000) {
				fprintf(stderr, "flowtally snmp poll: --cycles must be a whole number from 1 to 100000\n");
				return FT_EXIT_USAGE;
			}
			break;
		default: fputs(short_usage, stderr); return FT_EXIT_USAGE;
		}
	}
	if (!config || optind != argc) {
		fprintf(stderr, "flowtally snmp poll: give --config FILE\n%s", short_usage);
		return FT_EXIT_USAGE;
	}
	struct ft_config *cfg = NULL;
	if (ft_cli_load_config(config, &cfg) < 0)
		return FT_EXIT_USAGE;
	if (!cfg->snmp.n_devices) {
		fprintf(stderr, "flowtally snmp poll: %s has no snmp_devices\n", config);
		ft_config_free(cfg);
		return FT_EXIT_USAGE;
	}
	ft_snmp_init("flowtally");
	struct ft_snmp_poller_env env = { .conf = &cfg->snmp, .step_ms = cfg->agg.step_ms };
	struct ft_snmp_poller *p = NULL;
	if (ft_snmp_poller_new(&env, &p) < 0) {
		ft_config_free(cfg);
		return FT_EXIT_FAILURE;
	}
	size_t n = cfg->snmp.n_devices;
	struct ft_snmp_device_stats *st = calloc(n, sizeof(*st));
	int64_t cpu0 = cpu_ms();
	uint64_t up_all = 0;
	if (json)
		fputs("{\"cycles\":[", stdout);
	for (long k = 0; st && k < cycles; k++) {
		int64_t t0 = ft_clock_mono_ns();
		ft_snmp_poller_cycle(p);
		int64_t wall = (ft_clock_mono_ns() - t0) / 1000000;
		ft_snmp_poller_stats(p, st, n);
		uint64_t ifs = 0, hc = 0, up = 0;
		for (size_t j = 0; j < n; j++) {
			bool ok = st[j].state == FT_SNMP_UP;
			ifs += ok ? st[j].interfaces : 0;
			hc += ok ? st[j].interfaces_hc : 0;
			up += ok;
		}
		up_all = up;
		if (json) {
			printf("%s{\"wall_ms\":%" PRId64 ",\"devices\":%zu,\"up\":%" PRIu64 ",\"interfaces\":%" PRIu64
			       ",\"interfaces_hc\":%" PRIu64 ",\"states\":[", k ? "," : "", wall, n, up, ifs, hc);
			print_poll_stats(st, n, true);
			fputs("]}", stdout);
		} else {
			printf("cycle %ld: %zu device%s (%" PRIu64 " up), %" PRIu64 " interface%s, %" PRId64 " ms\n", k + 1, n,
			       ft_cli_s(n), up, ifs, ft_cli_s(ifs), wall);
			if (k + 1 == cycles || up != n)
				print_poll_stats(st, n, false);
		}
		fflush(stdout);
	}
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	int64_t cpu = cpu_ms() - cpu0;
	if (json)
		printf("],\"cpu_ms\":%" PRId64 ",\"max_rss_kb\":%ld}\n", cpu, u.ru_maxrss);
	else
		printf("CPU %" PRId64 " ms in all (%.1f ms a cycle); peak memory %ld kB\n", cpu, (double)cpu / (double)cycles,
		       u.ru_maxrss);
	free(st);
	ft_snmp_poller_free(p);
	ft_config_free(cfg);
	return up_all == n ? FT_EXIT_OK : FT_EXIT_FAILURE;
}

static const char *const counter_names[FT_IF_COUNTERS] = { "in_octets", "out_octets", "in_ucast", "out_ucast",
	"in_errors", "out_errors", "in_discards", "out_discards" };

static void print_totals(const struct ft_iftotals_result *t, bool json)
{
	char a[40], b[40];
	if (json)
		printf("{\"files\":%" PRIu64 ",\"lines\":%" PRIu64 ",\"bad_lines\":%" PRIu64 ",\"interfaces\":[",
		       t->files, t->lines, t->bad_lines);
	else
		printf("%-20s %-24s %8s %8s %22s %22s  unknown steps\n", "device", "interface", "steps", "known",
		       "in octets", "out octets");
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct ft_iftotals_row *r = &t->rows[i];
		ft_time_format_utc(r->first_ms * FT_NS_PER_MS, a, sizeof(a));
		ft_time_format_utc(r->last_ms * FT_NS_PER_MS, b, sizeof(b));
		if (json) {
			printf("%s{\"device\":", i ? "," : "");
			ft_cli_json_string(stdout, r->device);
			fputs(",\"interface\":", stdout);
			ft_cli_json_string(stdout, r->key);
			printf(",\"ifIndex\":%" PRIu32 ",\"steps\":%" PRIu64 ",\"known_steps\":%" PRIu64, r->ifindex, r->steps,
			       r->known_steps[0]);
			for (int k = 0; k < FT_IF_COUNTERS; k++)
				printf(",\"%s\":%" PRIu64, counter_names[k], r->v[k]);
			fputs(",\"unknown\":{", stdout);
			bool first = true;
			for (unsigned k = 0; k < FT_SNMP__VERDICTS; k++)
				if (r->unknown[k]) {
					printf("%s\"%s\":%" PRIu64, first ? "" : ",", ft_snmp_verdict_name(k), r->unknown[k]);
					first = false;
				}
			printf("},\"first_step\":\"%s\",\"last_step\":\"%s\"}", a, b);
		} else {
			printf("%-20s %-24s %8" PRIu64 " %8" PRIu64 " %22" PRIu64 " %22" PRIu64 " ", r->device, r->key, r->steps,
			       r->known_steps[0], r->v[0], r->v[1]);
			bool any = false;
			for (unsigned k = 0; k < FT_SNMP__VERDICTS; k++)
				if (r->unknown[k]) {
					printf("%s%s %" PRIu64, any ? ", " : " ", ft_snmp_verdict_name(k), r->unknown[k]);
					any = true;
				}
			printf("%s\n", any ? "" : " -");
		}
	}
	if (json)
		fputs("]}\n", stdout);
	else if (t->bad_lines)
		printf("%" PRIu64 " damaged line%s left out\n", t->bad_lines, ft_cli_s(t->bad_lines));
}

static int totals(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "data-dir", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *dir = NULL;
	int64_t from = INT64_MIN, to = INT64_MAX;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(usage_text, stdout); return FT_EXIT_OK;
		case 'c': config = optarg; break;
		case 'd': dir = optarg; break;
		case 'j': json = true; break;
		case 'f': case 't':
			if (ft_time_parse_utc(optarg, c == 'f' ? &from : &to) < 0) {
				fprintf(stderr, "flowtally snmp totals: --%s %s is not a UTC time (2026-11-01T00:00:00Z)\n",
				        c == 'f' ? "from" : "to", optarg);
				return FT_EXIT_USAGE;
			}
			break;
		default: fputs(short_usage, stderr); return FT_EXIT_USAGE;
		}
	}
	if (optind != argc || (config && dir)) {
		fputs(short_usage, stderr);
		return FT_EXIT_USAGE;
	}
	char data[4096];
	if (!dir) {
		if (ft_cli_data_dir_from_config(config, data, sizeof(data)) < 0)
			return FT_EXIT_USAGE;
		dir = data;
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/interfaces", dir);
	struct ft_iftotals_result t;
	int r = ft_iftotals_sum(path, from, to, &t);
	if (r < 0) {
		fprintf(stderr, "flowtally snmp totals: %s: %s\n", path,
		        r == -ENOENT ? "no interface totals (no SNMP device polled yet)" : strerror(-r));
		return FT_EXIT_FAILURE;
	}
	print_totals(&t, json);
	ft_iftotals_result_done(&t);
	return FT_EXIT_OK;
}

int ft_cmd_snmp(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return FT_EXIT_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "walk") == 0)
		return walk(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "poll") == 0)
		return poll_all(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "totals") == 0)
		return totals(argc - 1, argv + 1);
	fputs(short_usage, stderr);
	return FT_EXIT_USAGE;
}
