/* flowtally command-line tool: one function per subcommand, each parsing its own
 * options (getopt_long) and returning the process exit status:
 * 0 ok, 1 runtime failure, 2 usage or configuration error. */
#ifndef FT_CLI_H
#define FT_CLI_H

#include <stdint.h>
#include <stdio.h>

enum { FT_EXIT_OK = 0, FT_EXIT_FAILURE = 1, FT_EXIT_USAGE = 2,
       FT_EXIT_NOTHING = 3 };     /* replay: the capture held nothing it could decode */

/* "" for one, "s" for any other count: "1 datagram", "2 datagrams". */
static inline const char *ft_cli_s(uint64_t n)
{
	return n == 1 ? "" : "s";
}

int ft_cmd_replay(int argc, char **argv);
int ft_cmd_check_config(int argc, char **argv);
int ft_cmd_status(int argc, char **argv);
int ft_cmd_generate(int argc, char **argv);
int ft_cmd_ledger(int argc, char **argv);
int ft_cmd_rrd(int argc, char **argv);
int ft_cmd_snmp(int argc, char **argv);
int ft_cmd_recharge(int argc, char **argv);
int ft_cmd_dashboard(int argc, char **argv);

/* s as a JSON string, quoted, with '"', '\\' and control characters escaped; UTF-8
 * as it is, and a byte that is not part of well-formed UTF-8 (an agent's Latin-1
 * ifAlias) as the Latin-1 character, so the output is always valid JSON. */
void ft_cli_json_string(FILE *f, const char *s);

/* Loads a configuration for a command: its errors on stderr (its warnings too when it
 * does not load).  0 and *ret, or negative errno as ft_config_load() returns it. */
struct ft_config;
int ft_cli_load_config(const char *path, struct ft_config **ret);

/* The data directory a configuration file names, into buf; its findings go to stderr.
 * 0, or negative errno as ft_config_load() returns it. */
int ft_cli_data_dir_from_config(const char *path, char *buf, size_t size);
/* Whether the tenant map of the configuration file path declares tenant name: 1 or 0,
 * or negative errno when the file does not load (its findings are not printed). */
int ft_cli_config_has_tenant(const char *path, const char *name);

#endif
