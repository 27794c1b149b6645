/* flowtally: the command-line tool.  One table maps subcommands to their functions;
 * each parses its own options. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ft_version.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "replay", ft_cmd_replay, "decode a pcap/pcapng capture, or attribute it per tenant" },
	{ "check-config", ft_cmd_check_config, "validate a configuration file without starting anything" },
	{ "status", ft_cmd_status, "show the running (or last) collector's statistics" },
	{ "generate", ft_cmd_generate, "send or write NetFlow v5, v9 or IPFIX test traffic (loopback only)" },
	{ "ledger", ft_cmd_ledger, "verify the step ledger, or sum it per tenant over a time range" },
	{ "rrd", ft_cmd_rrd, "rebuild the round-robin time series from the ledger; file names" },
	{ "recharge", ft_cmd_recharge, "the month's recharge statement: volumes, 95th percentiles, charges" },
	{ "dashboard", ft_cmd_dashboard, "the operations dashboards: static pages of RRD graphs" },
	{ "snmp", ft_cmd_snmp, "poll one SNMP device once, as the poller does, and show what it reads" },
};

static void usage(FILE *f)
{
	fputs("Usage: flowtally COMMAND [OPTION]... [ARG]...\n"
	      "       flowtally --help | --version\n\n"
	      "flowtally is the companion tool of the flowtallyd collector.\n\nCommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fputs("\n`flowtally COMMAND --help` describes each command.\n"
	      "Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return FT_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return FT_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("flowtally %s\n", FT_VERSION);
		return FT_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "flowtally: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return FT_EXIT_USAGE;
}
