/* Configuration: defaults, every key, and errors that name file:line. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>

#include "check_main.h"
#include "flowtally/config.h"
#include "flowtally/log.h"

static struct ft_config *cfg;
static struct ft_diag diag;

static void teardown(void)
{
	cfg = ft_config_free(cfg);
	ft_diag_done(&diag);
}

static int parse(const char *text)
{
	cfg = ft_config_free(cfg);
	ft_diag_done(&diag);
	return ft_config_parse(text, "t.conf", &cfg, &diag);
}

static bool diag_has(const char *needle)
{
	for (size_t i = 0; i < diag.n; i++)
		if (strstr(diag.lines[i], needle))
			return true;
	return false;
}

START_TEST(defaults_listen_on_loopback)
{
	cfg = ft_config_new_default();
	ck_assert_uint_eq(cfg->net.n_listen, 2);
	ck_assert_str_eq(cfg->net.listen[0].text, "127.0.0.1:2055");
	ck_assert_str_eq(cfg->net.listen[1].text, "[::1]:2055");
	ck_assert(cfg->net.listen[1].v6);
	ck_assert_str_eq(cfg->data_dir, "./flowtally-data");
	struct ft_addr a;
	ft_addr_parse("127.0.0.5", &a);
	ck_assert(ft_config_exporter_allowed(cfg, &a));
	ft_addr_parse("::1", &a);
	ck_assert(ft_config_exporter_allowed(cfg, &a));
	ft_addr_parse("192.0.2.1", &a);
	ck_assert(!ft_config_exporter_allowed(cfg, &a));
	ck_assert_int_eq(cfg->agg.step_ms, 60 * 1000);
}
END_TEST

START_TEST(every_key_is_read)
{
	ck_assert_int_eq(parse("listen = [\"192.0.2.1:9995\", \"[2001:db8::1]:4739\", \"*:2055\"];\n"
	                       "exporters = [\"192.0.2.0/24\", \"2001:db8::/32\", \"198.51.100.7\"];\n"
	                       "receive_buffer = 8388608;\nreceive_threads = 2;\n"
	                       "data_dir = \"/var/lib/flowtally\";\nstep = 300;\nlog_level = \"debug\";\n"
	                       "stats_interval = 10;\nmax_exporters = 100;\n"), 0);
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_uint_eq(cfg->net.n_listen, 3);
	ck_assert_uint_eq(cfg->net.listen[0].port, 9995);
	ck_assert_uint_eq(cfg->net.listen[1].port, 4739);
	ck_assert(cfg->net.listen[1].v6);
	ck_assert(!cfg->net.listen[2].v6);
	ck_assert_uint_eq(cfg->n_exporters, 3);
	ck_assert_uint_eq(cfg->net.receive_buffer, 8388608);
	ck_assert_uint_eq(cfg->net.receive_threads, 2);
	ck_assert_str_eq(cfg->data_dir, "/var/lib/flowtally");
	ck_assert_int_eq(cfg->agg.step_ms, 300 * 1000);
	ck_assert_int_eq(cfg->log_level, FT_LOG_DEBUG);
	ck_assert_uint_eq(cfg->stats_interval, 10);
	ck_assert_uint_eq(cfg->netflow.max_exporters, 100);
	struct ft_addr a;
	ft_addr_parse("2001:db8:ffff::9", &a);
	ck_assert(ft_config_exporter_allowed(cfg, &a));
	ft_addr_parse("198.51.100.8", &a);
	ck_assert(!ft_config_exporter_allowed(cfg, &a));
}
END_TEST

START_TEST(template_protocol_choices)
{
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\n"), 0);
	ck_assert(!cfg->netflow.ipfix_withdrawals);           /* RFC 7011 §8.4: ignored */
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nipfix_withdrawals = \"apply\";\n"
	                       "exporter_settings = ( { match = \"127.0.0.1\"; v9_variable_length = true; } );\n"),
	                 0);
	ck_assert(cfg->netflow.ipfix_withdrawals);
	ck_assert_uint_eq(cfg->netflow.n_exporters, 1);
	ck_assert(cfg->netflow.exporters[0].v9_variable_length);
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nipfix_withdrawals = \"sometimes\";\n"
	                       "exporter_settings = ( { match = \"127.0.0.1\"; v9_variable_length = 1; } );\n"),
	                 -EINVAL);
	ck_assert(diag_has("t.conf:2: ipfix_withdrawals must be \"ignore\""));
	ck_assert(diag_has("t.conf:3: exporter_settings: unknown key or wrong type 'v9_variable_length'"));
}
END_TEST

START_TEST(memory_budget_and_template_bounds)
{
	ck_assert_int_eq(parse("memory_budget = \"512M\";\nmax_template_fields = 64;\n"
	                       "max_template_bytes = 65536;\n"), 0);
	ck_assert_uint_eq(cfg->netflow.memory_budget, 512ull << 20);
	ck_assert_uint_eq(cfg->netflow.max_template_fields, 64);
	ck_assert_uint_eq(cfg->netflow.max_template_bytes, 65536);
	ck_assert_int_eq(parse("memory_budget = \"2G\";\n"), 0);
	ck_assert_uint_eq(cfg->netflow.memory_budget, 2ull << 30);
	ck_assert_int_eq(parse("memory_budget = 67108864;\n"), 0);
	ck_assert_uint_eq(cfg->netflow.memory_budget, 64ull << 20);
	ck_assert_int_eq(parse(""), 0);
	ck_assert_uint_eq(cfg->netflow.memory_budget, FT_NETFLOW_DEFAULT_MEMORY_BUDGET);
	ck_assert_int_eq(parse("\nmemory_budget = \"12X\";\n"), -EINVAL);
	ck_assert(diag_has("t.conf:2: memory_budget must be a size"));
	ck_assert_int_eq(parse("memory_budget = \"1M\";\n"), -EINVAL);      /* below 4M */
	ck_assert_int_eq(parse("memory_budget = \"-5M\";\n"), -EINVAL);
	ck_assert_int_eq(parse("memory_budget = \"2048G\";\n"), -EINVAL);
	ck_assert_int_eq(parse("max_template_fields = 0;\n"), -EINVAL);
}
END_TEST

START_TEST(record_bounds_have_defaults_and_are_read)
{
	cfg = ft_config_new_default();
	ck_assert_uint_eq(cfg->netflow.max_flow_bytes, 1ull << 50);
	ck_assert_uint_eq(cfg->netflow.max_flow_packets, 1ull << 50);
	ck_assert_int_eq(cfg->netflow.max_flow_age_ms, 30 * 86400 * 1000LL);
	ck_assert_int_eq(cfg->netflow.max_clock_skew_ms, 30 * 86400 * 1000LL);
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nmax_flow_bytes = 9007199254740992L;\n"
	                       "max_flow_packets = 1000;\nmax_flow_age = 0;\nmax_clock_skew = 600;\n"), 0);
	ck_assert_uint_eq(cfg->netflow.max_flow_bytes, 1ull << 53);
	ck_assert_uint_eq(cfg->netflow.max_flow_packets, 1000);
	ck_assert_int_eq(cfg->netflow.max_flow_age_ms, 0);
	ck_assert_int_eq(cfg->netflow.max_clock_skew_ms, 600000);
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nmax_flow_bytes = 0;\n"
	                       "max_flow_packets = \"many\";\nmax_clock_skew = -1;\n"), -EINVAL);
	ck_assert(diag_has("t.conf:2: 'max_flow_bytes' = 0 is out of range"));
	ck_assert(diag_has("t.conf:3: 'max_flow_packets' must be a whole number"));
	ck_assert(diag_has("t.conf:4: 'max_clock_skew' = -1 is out of range"));
	ck_assert_uint_eq(diag.errors, 3);
}
END_TEST

START_TEST(unknown_key_is_an_error_with_its_line)
{
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\n\nlisten_port = 2055;\n"), -EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert(diag_has("t.conf:3: unknown key 'listen_port'"));
	ck_assert_uint_eq(diag.errors, 1);
}
END_TEST

START_TEST(syntax_error_names_the_line)
{
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nstep = 60;\nlog_level = = \"info\";\n"), -EINVAL);
	ck_assert_uint_eq(diag.errors, 1);
	ck_assert_msg(strncmp(diag.lines[0], "t.conf:3: syntax error", 22) == 0, "%s", diag.lines[0]);
}
END_TEST

START_TEST(bad_values_are_each_reported)
{
	ck_assert_int_eq(parse("exporters = [\"10.0.0.0/33\", \"nonsense\"];\n"
	                       "listen = [\"127.0.0.1\", \"[::1]:70000\", \"::1:2055\"];\n"
	                       "step = 7;\nreceive_threads = 0;\nlog_level = \"loud\";\n"
	                       "data_dir = 5;\n"), -EINVAL);
	ck_assert(diag_has("t.conf:1: exporters: '10.0.0.0/33'"));
	ck_assert(diag_has("t.conf:1: exporters: 'nonsense'"));
	ck_assert(diag_has("t.conf:2: listen: '127.0.0.1'"));
	ck_assert(diag_has("t.conf:2: listen: '[::1]:70000'"));
	ck_assert(diag_has("t.conf:2: listen: '::1:2055'"));
	ck_assert(diag_has("t.conf:3: step = 7 does not divide a day"));
	ck_assert(diag_has("t.conf:4: 'receive_threads' = 0 is out of range [1, 64]"));
	ck_assert(diag_has("t.conf:5: log_level 'loud'"));
	ck_assert(diag_has("t.conf:6: 'data_dir' must be a string"));
	ck_assert(diag_has("t.conf:3: step = 7: RRD output needs a step that divides 300 s"));
	ck_assert_uint_eq(diag.errors, 10);
}
END_TEST

START_TEST(wrong_types_are_errors)
{
	ck_assert_int_eq(parse("exporters = \"127.0.0.1\";\nstep = \"60\";\nlisten = [1, 2];\n"), -EINVAL);
	ck_assert(diag_has("t.conf:1: 'exporters' must be a list of strings"));
	ck_assert(diag_has("t.conf:2: 'step' must be a whole number"));
	ck_assert(diag_has("t.conf:3: 'listen': element 1 is not a string"));
}
END_TEST

START_TEST(absent_allow_list_accepts_nothing_and_warns)
{
	ck_assert_int_eq(parse("step = 60;\n"), 0);
	ck_assert_uint_eq(cfg->n_exporters, 0);
	ck_assert_uint_eq(diag.warnings, 1);
	ck_assert(diag_has("t.conf: warning: the exporter allow-list ('exporters') is absent"));
	struct ft_addr a;
	ft_addr_parse("127.0.0.1", &a);
	ck_assert(!ft_config_exporter_allowed(cfg, &a));
	ck_assert_int_eq(parse("exporters = [];\n"), 0);
	ck_assert(diag_has("t.conf:1: warning: the exporter allow-list ('exporters') is empty"));
}
END_TEST

START_TEST(unreadable_file_is_reported)
{
	ck_assert_int_eq(ft_config_load("/nonexistent/flowtally.conf", &cfg, &diag), -ENOENT);
	ck_assert(diag_has("/nonexistent/flowtally.conf: cannot read"));
}
END_TEST

START_TEST(file_errors_name_the_file)
{
	char path[] = "/tmp/ft-config-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	fputs("# flowtally\nexporters = [\"127.0.0.1\"];\nbogus = 1;\n", f);
	fclose(f);
	ck_assert_int_eq(ft_config_load(path, &cfg, &diag), -EINVAL);
	char want[64];
	snprintf(want, sizeof(want), "%s:3: unknown key 'bogus'", path);
	ck_assert(diag_has(want));
	unlink(path);
}
END_TEST

/* A file with errors is still linted, and every finding comes in file and line order:
 * the file first, then its prefix files in the order it names them. */
START_TEST(findings_come_in_file_and_line_order)
{
	char dir[] = "/tmp/ft-config-XXXXXX", ipam[64], text[512];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ipam, sizeof(ipam), "%s/ipam.txt", dir);
	FILE *f = fopen(ipam, "w");
	ck_assert_ptr_nonnull(f);
	fputs("10.9.0.0/16 a\nnot-a-prefix a\n", f);
	fclose(f);
	snprintf(text, sizeof(text),
	         "exporters = [\"127.0.0.1\"];\n"
	         "tenants = ( { name = \"a\"; prefixes = [\"10.0.0.0/8\"]; },\n"
	         "            { name = \"b\"; prefixes = [\"10.0.0.0/8\"]; } );\n"
	         "prefix_files = [ \"%s/missing.txt\", \"%s\" ];\n"
	         "colour = \"blue\";\n", dir, ipam);
	ck_assert_int_eq(parse(text), -EINVAL);
	char want[5][160];
	snprintf(want[0], sizeof(want[0]), "t.conf:2: warning: no accounting_points");
	snprintf(want[1], sizeof(want[1]), "t.conf:3: 10.0.0.0/8: assigned to tenant 'b' here and to 'a' at t.conf:2");
	snprintf(want[2], sizeof(want[2]), "t.conf:4: cannot read %s/missing.txt: ", dir);
	snprintf(want[3], sizeof(want[3]), "t.conf:5: unknown key 'colour'");
	snprintf(want[4], sizeof(want[4]), "%s:2: 'not-a-prefix' is not a prefix", ipam);
	ck_assert_uint_eq(diag.n, 5);
	for (size_t i = 0; i < 5; i++)
		ck_assert_msg(strncmp(diag.lines[i], want[i], strlen(want[i])) == 0, "finding %zu: %s, "
		              "expected %s", i, diag.lines[i], want[i]);
	ck_assert(diag.warning[0] && !diag.warning[1] && !diag.warning[4]);
	unlink(ipam);
	rmdir(dir);
}
END_TEST

/* ft_diag_sort() and ft_diag_move(): files in the order first named, a finding without a
 * line first in its file, ties kept in the order found. */
/* A prefix file that opens but cannot be read (a directory, a read error) is an error
 * at the line naming it, never a file of no prefixes. */
START_TEST(unreadable_prefix_file_is_an_error)
{
	char dir[] = "/tmp/ft-config-XXXXXX", text[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(text, sizeof(text), "exporters = [\"127.0.0.1\"];\ntenants = ( { name = \"a\"; } );\n"
	         "prefix_files = [ \"%s\" ];\n", dir);
	ck_assert_int_eq(parse(text), -EINVAL);
	char want[160];
	snprintf(want, sizeof(want), "t.conf:3: cannot read %s: %s", dir, strerror(EISDIR));
	ck_assert_msg(diag_has(want), "no finding '%s'", want);
	ck_assert_ptr_null(cfg);
	rmdir(dir);
}
END_TEST

START_TEST(diag_sorts_by_file_then_line)
{
	struct ft_diag a = { 0 }, b = { 0 };
	ft_diag_file(&a, "main.conf");
	ft_diag_add(&a, true, "ipam.txt", 7, "x");
	ft_diag_add(&a, true, "main.conf", 9, "y");
	ft_diag_add(&a, false, "main.conf", 0, "z");
	ft_diag_add(&a, true, "main.conf", 9, "w");
	ft_diag_add(&b, true, "ipam.txt", 2, "v");
	ft_diag_add(&b, false, "main.conf", 3, "u");
	ft_diag_move(&a, &b);
	ck_assert_uint_eq(b.n, 0);
	ft_diag_sort(&a);
	static const char *const want[] = { "main.conf: warning: z", "main.conf:3: warning: u",
	                                    "main.conf:9: y", "main.conf:9: w", "ipam.txt:2: v",
	                                    "ipam.txt:7: x" };
	ck_assert_uint_eq(a.n, 6);
	ck_assert_uint_eq(a.errors, 4);
	ck_assert_uint_eq(a.warnings, 2);
	for (size_t i = 0; i < 6; i++)
		ck_assert_str_eq(a.lines[i], want[i]);
	ck_assert(a.warning[0] && a.warning[1] && !a.warning[2]);
	ft_diag_done(&a);
}
END_TEST


START_TEST(timezone_must_be_a_known_zone)
{
	cfg = ft_config_new_default();
	ck_assert_str_eq(cfg->timezone, "Europe/London");
	ck_assert_msg(ft_config_zone_known("Europe/London") && ft_config_zone_known("UTC"),
	              "no time zone database on this machine: install tzdata (scripts/deps.sh does)");
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\ntimezone = \"America/New_York\";\n"), 0);
	ck_assert_str_eq(cfg->timezone, "America/New_York");
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\n\ntimezone = \"Mars/Olympus_Mons\";\n"), -EINVAL);
	ck_assert(diag_has("t.conf:3: timezone 'Mars/Olympus_Mons' is not a zone of the system's time zone database"));
	/* names outside the database, and files in it that are not zones */
	static const char *const bad[] = { "/etc/localtime", "../../../etc/passwd", "Europe/../UTC", "",
	                                   "Europe/London ", "tzdata.zi", "Europe" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!ft_config_zone_known(bad[i]), "'%s' taken for a zone", bad[i]);
}
END_TEST

START_TEST(user_and_group_must_exist)
{
	cfg = ft_config_new_default();
	ck_assert_ptr_null(cfg->user);
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nuser = \"nobody\";\ngroup = \"nogroup\";\n"), 0);
	ck_assert_str_eq(cfg->user, "nobody");
	ck_assert_str_eq(cfg->group, "nogroup");
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nuser = \"no-such-user-ft\";\n"
	                       "group = \"no-such-group-ft\";\n"), -EINVAL);
	ck_assert(diag_has("t.conf:2: user 'no-such-user-ft' is not a user of this system"));
	ck_assert(diag_has("t.conf:3: group 'no-such-group-ft' is not a group of this system"));
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\ngroup = \"nogroup\";\n"), -EINVAL);
	ck_assert(diag_has("t.conf:2: 'group' needs 'user'"));
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nuser = 7;\n"), -EINVAL);
	ck_assert(diag_has("t.conf:2: 'user' must be a string"));
}
END_TEST

START_TEST(listen_addresses_parse)
{
	struct ft_listen_addr l;
	ck_assert_int_eq(ft_listen_addr_parse("[::]:4739", &l), 0);
	ck_assert(l.v6);
	ck_assert_int_eq(ft_listen_addr_parse("0.0.0.0:0", &l), 0);
	ck_assert_uint_eq(l.port, 0);
	ck_assert_int_eq(ft_listen_addr_parse("127.0.0.1:-5", &l), -EINVAL);
	ck_assert_int_eq(ft_listen_addr_parse("127.0.0.1:", &l), -EINVAL);
	ck_assert_int_eq(ft_listen_addr_parse(":2055", &l), -EINVAL);
	ck_assert_int_eq(ft_listen_addr_parse("[127.0.0.1]:2055", &l), -EINVAL);
	ck_assert_int_eq(ft_listen_addr_parse("[::1]2055", &l), -EINVAL);
	ck_assert_int_eq(ft_listen_addr_parse("localhost:2055", &l), -EINVAL);
}
END_TEST

/* ---- SNMP devices, secrets and interface tenant rules -------------------------------- */

static void dump(void)
{
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "  diag: %s\n", diag.lines[i]);
}

/* text is rejected as a whole, with a finding that starts with `want`. */
#define REJECTED(text, want) rejected_at((text), (want), __LINE__)
static void rejected_at(const char *text, const char *want, int line)
{
	int r = parse(text);
	bool found = false;
	for (size_t i = 0; i < diag.n; i++)
		found = found || strncmp(diag.lines[i], want, strlen(want)) == 0;
	if (r != -EINVAL || !found)
		dump();
	ck_assert_msg(r == -EINVAL, "line %d: parse gave %d, not -EINVAL", line, r);
	ck_assert_msg(cfg == NULL, "line %d: a configuration came back though the file was rejected", line);
	ck_assert_msg(found, "line %d: no finding starting '%s'", line, want);
}

/* "unattributed" and "total" name the volume no tenant owns and the measured total in the
 * ledger's sums and the recharge statement: no tenant may take either name. */
START_TEST(reserved_tenant_names_are_refused)
{
	REJECTED("tenants = ( { name = \"total\"; } );\n", "t.conf:1: tenants: 'name' must be");
	ft_diag_done(&diag);
	REJECTED("tenants = ( { name = \"unattributed\"; } );\n", "t.conf:1: tenants: 'name' must be");
}
END_TEST

static const char *const v2c_core1 =
	"exporters = [\"192.0.2.1\"];\n"
	"snmp_devices = (\n"
	"  { name = \"core1\"; address = \"192.0.2.1\"; community = \"public-ro\"; } );\n";

START_TEST(snmp_v2c_device_with_its_defaults)
{
	ck_assert_int_eq(parse(v2c_core1), 0);
	ck_assert_uint_eq(cfg->snmp.n_devices, 1);
	const struct ft_snmp_device *d = &cfg->snmp.devices[0];
	ck_assert_str_eq(d->name, "core1");
	ck_assert_str_eq(d->address, "udp:192.0.2.1:161");
	ck_assert_uint_eq(d->version, FT_SNMP_V2C);
	ck_assert_str_eq(d->community, "public-ro");
	/* no exporters: the device exports from the address it is polled at */
	ck_assert_uint_eq(d->n_exporters, 1);
	struct ft_addr a;
	ft_addr_parse("192.0.2.1", &a);
	ck_assert(ft_addr_equal(&d->exporters[0], &a));
	ck_assert_uint_eq(d->timeout_ms, 2000);
	ck_assert_uint_eq(d->retries, 1);
	ck_assert_uint_eq(d->max_rows, 10000);
	ck_assert_uint_eq(d->max_repetitions, 25);
	ck_assert_uint_eq(d->key, FT_SNMP_BY_IFNAME);
	ck_assert_uint_eq(d->n_include, 0);
	ck_assert_uint_eq(d->n_exclude, 0);
	ck_assert_int_eq(d->line, 3);
	ck_assert_uint_eq(cfg->snmp.interval_s, 60);
	ck_assert_int_eq(cfg->snmp.max_gap_ms, 300 * 1000);       /* 5 intervals */
	ck_assert_uint_eq(cfg->snmp.speed_tolerance_pct, 10);
	ck_assert_ptr_null(cfg->snmp.secrets);
	/* valid, with a warning that the community goes in clear */
	ck_assert_uint_eq(diag.errors, 0);
	ck_assert_uint_eq(diag.warnings, 1);
	ck_assert(diag_has("t.conf:3: warning: device core1: SNMPv2c sends its community in clear"));
}
END_TEST

START_TEST(snmp_v3_device_every_field)
{
	ck_assert_int_eq(parse("exporters = [\"192.0.2.0/24\"];\n"
	                       "snmp_interval = 30;\nsnmp_max_gap = 600;\nsnmp_speed_tolerance = 25;\n"
	                       "snmp_devices = (\n"
	                       "  { name = \"edge2\"; address = \"[2001:db8::1]:1161\";\n"
	                       "    exporters = [\"192.0.2.7\", \"2001:db8::7\"];\n"
	                       "    version = \"3\"; security = \"authPriv\"; user = \"flowtally\";\n"
	                       "    auth = \"SHA-512\"; auth_password = \"authpass1\";\n"
	                       "    priv = \"AES-256\"; priv_password = \"privpass1\";\n"
	                       "    timeout = 5; retries = 3; max_rows = 500; max_repetitions = 10;\n"
	                       "    match_by = \"ifDescr\"; include = [\"xe-*\", \"ae*\"]; exclude = [\"*.32767\"]; } );\n"),
	                 0);
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_uint_eq(cfg->snmp.interval_s, 30);
	ck_assert_int_eq(cfg->snmp.max_gap_ms, 600 * 1000);
	ck_assert_uint_eq(cfg->snmp.speed_tolerance_pct, 25);
	ck_assert_uint_eq(cfg->snmp.n_devices, 1);
	const struct ft_snmp_device *d = &cfg->snmp.devices[0];
	ck_assert_str_eq(d->name, "edge2");
	ck_assert_str_eq(d->address, "udp6:[2001:db8::1]:1161");
	ck_assert_uint_eq(d->n_exporters, 2);
	struct ft_addr a;
	ft_addr_parse("192.0.2.7", &a);
	ck_assert(ft_addr_equal(&d->exporters[0], &a));
	ft_addr_parse("2001:db8::7", &a);
	ck_assert(ft_addr_equal(&d->exporters[1], &a));
	ck_assert_uint_eq(d->version, FT_SNMP_V3);
	ck_assert_uint_eq(d->level, FT_SNMP_AUTHPRIV);
	ck_assert_str_eq(d->user, "flowtally");
	ck_assert_uint_eq(d->auth, FT_SNMP_SHA512);
	ck_assert_str_eq(d->auth_pass, "authpass1");
	ck_assert_uint_eq(d->priv, FT_SNMP_AES256);
	ck_assert_str_eq(d->priv_pass, "privpass1");
	ck_assert_uint_eq(d->timeout_ms, 5000);
	ck_assert_uint_eq(d->retries, 3);
	ck_assert_uint_eq(d->max_rows, 500);
	ck_assert_uint_eq(d->max_repetitions, 10);
	ck_assert_uint_eq(d->key, FT_SNMP_BY_IFDESCR);
	ck_assert_uint_eq(d->n_include, 2);
	ck_assert_str_eq(d->include[0], "xe-*");
	ck_assert_str_eq(d->include[1], "ae*");
	ck_assert_uint_eq(d->n_exclude, 1);
	ck_assert_str_eq(d->exclude[0], "*.32767");
}
END_TEST

START_TEST(snmp_address_forms_and_algorithm_names)
{
	static const struct { const char *in, *want; } addrs[] = {
		{ "192.0.2.1", "udp:192.0.2.1:161" },
		{ "192.0.2.1:16161", "udp:192.0.2.1:16161" },
		{ "2001:db8::1", "udp6:[2001:db8::1]:161" },
		{ "[2001:db8::1]:1161", "udp6:[2001:db8::1]:1161" },
		{ "[::1]", "udp6:[::1]:161" },
	};
	char text[512];
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		snprintf(text, sizeof(text), "exporters = [\"127.0.0.1\"];\nsnmp_devices = ( { name = \"r\"; "
		         "address = \"%s\"; community = \"c\"; } );\n", addrs[i].in);
		ck_assert_msg(parse(text) == 0, "address %s refused", addrs[i].in);
		ck_assert_str_eq(cfg->snmp.devices[0].address, addrs[i].want);
	}
	static const struct { const char *name; int want; } auths[] = {
		{ "SHA", FT_SNMP_SHA1 }, { "sha-1", FT_SNMP_SHA1 }, { "SHA-224", FT_SNMP_SHA224 },
		{ "SHA-256", FT_SNMP_SHA256 }, { "SHA-384", FT_SNMP_SHA384 }, { "SHA-512", FT_SNMP_SHA512 },
	};
	for (size_t i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		snprintf(text, sizeof(text), "exporters = [\"127.0.0.1\"];\nsnmp_devices = ( { name = \"r\"; "
		         "address = \"192.0.2.1\"; version = \"3\"; user = \"u\"; auth = \"%s\"; "
		         "auth_password = \"12345678\"; priv_password = \"abcdefgh\"; } );\n", auths[i].name);
		ck_assert_msg(parse(text) == 0, "auth %s refused", auths[i].name);
		ck_assert_uint_eq(cfg->snmp.devices[0].auth, auths[i].want);
		ck_assert_uint_eq(cfg->snmp.devices[0].priv, FT_SNMP_AES128);       /* the default */
	}
	static const struct { const char *name; int want; } privs[] = {
		{ "AES", FT_SNMP_AES128 }, { "AES-128", FT_SNMP_AES128 }, { "AES-192", FT_SNMP_AES192 },
		{ "AES-256", FT_SNMP_AES256 },
	};
	for (size_t i = 0; i < sizeof(privs) / sizeof(privs[0]); i++) {
		snprintf(text, sizeof(text), "exporters = [\"127.0.0.1\"];\nsnmp_devices = ( { name = \"r\"; "
		         "address = \"192.0.2.1\"; version = \"3\"; user = \"u\"; priv = \"%s\"; "
		         "auth_password = \"12345678\"; priv_password = \"abcdefgh\"; } );\n", privs[i].name);
		ck_assert_msg(parse(text) == 0, "priv %s refused", privs[i].name);
		ck_assert_uint_eq(cfg->snmp.devices[0].priv, privs[i].want);
		ck_assert_uint_eq(cfg->snmp.devices[0].auth, FT_SNMP_SHA1);         /* the default */
	}
	static const struct { const char *name; int want; } keys[] = {
		{ "ifName", FT_SNMP_BY_IFNAME }, { "ifIndex", FT_SNMP_BY_IFINDEX }, { "ifDescr", FT_SNMP_BY_IFDESCR },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "exporters = [\"127.0.0.1\"];\nsnmp_devices = ( { name = \"r\"; "
		         "address = \"192.0.2.1\"; community = \"c\"; match_by = \"%s\"; } );\n", keys[i].name);
		ck_assert_msg(parse(text) == 0, "match_by %s refused", keys[i].name);
		ck_assert_uint_eq(cfg->snmp.devices[0].key, keys[i].want);
	}
}
END_TEST

/* Each error names its file:line, and the whole file is rejected. */
START_TEST(snmp_device_errors_reject_the_file)
{
#define DEV(keys) "exporters = [\"127.0.0.1\"];\nsnmp_devices = (\n  { name = \"r\"; " keys " } );\n"
	REJECTED(DEV("address = \"router1.example.net\"; community = \"c\";"),
	         "t.conf:3: snmp_devices: address \"router1.example.net\" is not ADDRESS");
	REJECTED(DEV("address = \"192.0.2.1:0\"; community = \"c\";"), "t.conf:3: snmp_devices: address");
	REJECTED(DEV("address = \"192.0.2.1:65536\"; community = \"c\";"), "t.conf:3: snmp_devices: address");
	REJECTED(DEV("address = \"192.0.2.1:snmp\"; community = \"c\";"), "t.conf:3: snmp_devices: address");
	REJECTED(DEV("address = \"[2001:db8::1]161\"; community = \"c\";"), "t.conf:3: snmp_devices: address");
	REJECTED(DEV("address = \"192.0.2.1\"; community = \"c\"; colour = \"red\";"),
	         "t.conf:3: snmp_devices: unknown key or wrong type 'colour'");
	REJECTED(DEV("address = \"192.0.2.1\"; community = \"c\"; version = \"1\";"),
	         "t.conf:3: snmp_devices: version must be \"2c\" or \"3\"");
	REJECTED(DEV("address = \"192.0.2.1\"; community = \"c\"; version = 1;"),
	         "t.conf:3: snmp_devices: version must be \"2c\" or \"3\"");
	REJECTED(DEV("address = \"192.0.2.1\"; version = \"3\"; user = \"u\"; auth = \"MD5\";\n"
	             "    auth_password = \"12345678\"; priv_password = \"abcdefgh\";"),
	         "t.conf:3: snmp_devices: auth \"MD5\"");
	REJECTED(DEV("address = \"192.0.2.1\"; version = \"3\"; user = \"u\"; priv = \"DES\";\n"
	             "    auth_password = \"12345678\"; priv_password = \"abcdefgh\";"),
	         "t.conf:3: snmp_devices: priv \"DES\"");
	REJECTED(DEV("address = \"192.0.2.1\"; version = \"3\";\n"
	             "    auth_password = \"12345678\"; priv_password = \"abcdefgh\";"),
	         "t.conf:3: snmp_devices: device r is SNMPv3 but has no user");
	REJECTED(DEV("address = \"192.0.2.1\"; version = \"3\"; user = \"u\";\n"
	             "    auth_password = \"1234567\"; priv_password = \"abcdefgh\";"),
	         "t.conf:3: device r: auth_password is shorter than 8 characters");
	REJECTED(DEV("address = \"192.0.2.1\"; version = \"3\"; user = \"u\";\n"
	             "    auth_password = \"12345678\"; priv_password = \"abc\";"),
	         "t.conf:3: device r: priv_password is shorter than 8 characters");
	REJECTED(DEV("address = \"192.0.2.1\"; version = \"3\"; user = \"u\"; auth_password = \"12345678\";"),
	         "t.conf:3: device r: priv_password is missing");
	REJECTED(DEV("address = \"192.0.2.1\";"), "t.conf:3: device r: SNMPv2c needs a community");
	REJECTED(DEV("community = \"c\";"), "t.conf:3: snmp_devices: device r has no address");
	REJECTED(DEV("address = \"192.0.2.1\"; community = \"c\"; match_by = \"ifAlias\";"),
	         "t.conf:3: snmp_devices: match_by must be");
	REJECTED(DEV("address = \"192.0.2.1\"; community = \"c\"; timeout = 0;"),
	         "t.conf:3: snmp_devices: timeout (seconds) must be a whole number in [1, 60]");
	REJECTED(DEV("address = \"192.0.2.1\"; community = \"c\"; exporters = [\"core1\"];"),
	         "t.conf:3: snmp_devices: exporter 'core1' is not an address");
	REJECTED("exporters = [\"127.0.0.1\"];\nsnmp_devices = (\n"
	         "  { name = \"r\"; address = \"192.0.2.1\"; community = \"c\"; },\n"
	         "  { name = \"r\"; address = \"192.0.2.2\"; community = \"c\"; } );\n",
	         "t.conf:4: snmp_devices: device name r is used twice (also at line 3)");
#undef DEV
	/* every error of a file is named, not just the first */
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nsnmp_devices = (\n"
	                       "  { name = \"a\"; address = \"no.such.host\"; community = \"c\"; },\n"
	                       "  { name = \"b\"; address = \"192.0.2.2\"; version = \"1\"; community = \"c\"; } );\n"),
	                 -EINVAL);
	ck_assert(diag_has("t.conf:3: snmp_devices: address"));
	ck_assert(diag_has("t.conf:4: snmp_devices: version"));
}
END_TEST

/* Where tenants name interfaces by pattern or tag, an exporter address stands for one
 * device: its flows' ifIndex numbers are that device's interfaces. */
START_TEST(snmp_exporter_address_of_one_device_only)
{
	static const char *const two =
		"exporters = [\"192.0.2.0/24\"];\nsnmp_devices = (\n"
		"  { name = \"a\"; address = \"192.0.2.1\"; community = \"c\"; },\n"
		"  { name = \"b\"; address = \"192.0.2.2\"; exporters = [\"192.0.2.3\", \"192.0.2.1\"];\n"
		"    community = \"c\"; } );\n";
	char text[768];
	snprintf(text, sizeof(text), "%sinterface_tag = \"tenant\";\n", two);
	REJECTED(text, "t.conf:4: device b: exporter 192.0.2.1 is device a's too (line 3)");
	ck_assert_uint_eq(diag.errors, 1);
	snprintf(text, sizeof(text), "%stenants = ( { name = \"x\"; interfaces = ( { ifname = \"xe-*\"; } ); } );\n", two);
	REJECTED(text, "t.conf:4: device b: exporter 192.0.2.1 is device a's too (line 3)");
	REJECTED("exporters = [\"192.0.2.0/24\"];\ninterface_tag = \"tenant\";\nsnmp_devices = (\n"
	         "  { name = \"a\"; address = \"192.0.2.1\"; exporters = [\"192.0.2.1\", \"::ffff:192.0.2.1\"];\n"
	         "    community = \"c\"; } );\n",
	         "t.conf:4: device a: exporter 192.0.2.1 is given twice");
	/* without rules derived from the interfaces, agents may share an address */
	ck_assert_int_eq(parse(two), 0);
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nsnmp_devices = (\n"
	                       "  { name = \"a\"; address = \"127.0.0.1:16161\"; community = \"c\"; },\n"
	                       "  { name = \"b\"; address = \"127.0.0.1:16162\"; community = \"c\"; } );\n"), 0);
}
END_TEST

START_TEST(snmp_interval_and_max_gap_against_the_step)
{
	char text[512];
	/* divides the step, or a multiple of it: fine */
	static const unsigned ok[] = { 1, 10, 30, 60, 120, 300, 3600 };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "%s\nsnmp_interval = %u;\nsnmp_max_gap = 3720;\n", v2c_core1, ok[i]);
		ck_assert_msg(parse(text) == 0, "snmp_interval = %u refused", ok[i]);
	}
	snprintf(text, sizeof(text), "%s\nsnmp_interval = 45;\n", v2c_core1);
	REJECTED(text, "t.conf:5: snmp_interval = 45: it must divide the step (60 s) or be a multiple of it");
	snprintf(text, sizeof(text), "%s\nsnmp_interval = 90;\n", v2c_core1);
	REJECTED(text, "t.conf:5: snmp_interval = 90: it must divide the step (60 s)");
	snprintf(text, sizeof(text), "%s\nsnmp_interval = 0;\n", v2c_core1);
	REJECTED(text, "t.conf:5: 'snmp_interval' = 0 is out of range");
	/* max_gap shorter than the interval: every interval would be a gap */
	snprintf(text, sizeof(text), "%s\nsnmp_interval = 120;\nsnmp_max_gap = 60;\n", v2c_core1);
	REJECTED(text, "t.conf:6: snmp_max_gap (60 s) is shorter than snmp_interval (120 s)");
	/* 62 steps at most (a step of 60 s: 3720 s) */
	snprintf(text, sizeof(text), "%s\nsnmp_max_gap = 3721;\n", v2c_core1);
	REJECTED(text, "t.conf:5: snmp_max_gap = 3721: with a step of 60 s it can be at most 3720 s (62 steps)");
	snprintf(text, sizeof(text), "%s\nstep = 300;\nsnmp_max_gap = 18601;\n", v2c_core1);
	REJECTED(text, "t.conf:6: snmp_max_gap = 18601: with a step of 300 s it can be at most 18600 s");
	snprintf(text, sizeof(text), "%s\nstep = 300;\nsnmp_max_gap = 18600;\n", v2c_core1);
	ck_assert_int_eq(parse(text), 0);
	ck_assert_int_eq(cfg->snmp.max_gap_ms, 18600 * 1000LL);
	snprintf(text, sizeof(text), "%s\nsnmp_max_gap = \"5m\";\n", v2c_core1);
	REJECTED(text, "t.conf:5: snmp_max_gap must be a number of seconds");
	/* the default, 5 intervals, is held to the window too */
	snprintf(text, sizeof(text), "%s\nsnmp_interval = 3600;\n", v2c_core1);
	ck_assert_int_eq(parse(text), 0);
	ck_assert_int_eq(cfg->snmp.max_gap_ms, 62 * 60 * 1000LL);
	snprintf(text, sizeof(text), "%s\nsnmp_speed_tolerance = 101;\n", v2c_core1);
	REJECTED(text, "t.conf:5: 'snmp_speed_tolerance' = 101 is out of range");
}
END_TEST

START_TEST(snmp_weak_security_is_a_warning)
{
	ck_assert_int_eq(parse("exporters = [\"127.0.0.1\"];\nsnmp_devices = (\n"
	                       "  { name = \"old\"; address = \"192.0.2.1\"; version = 2; community = \"c\"; },\n"
	                       "  { name = \"open\"; address = \"192.0.2.2\"; version = \"3\"; user = \"u\";\n"
	                       "    security = \"noAuthNoPriv\"; },\n"
	                       "  { name = \"half\"; address = \"192.0.2.3\"; version = \"3\"; user = \"u\";\n"
	                       "    security = \"authNoPriv\"; auth_password = \"12345678\"; } );\n"), 0);
	ck_assert_uint_eq(diag.errors, 0);
	ck_assert_uint_eq(diag.warnings, 2);
	ck_assert(diag_has("t.conf:3: warning: device old: SNMPv2c sends its community in clear"));
	ck_assert(diag_has("t.conf:4: warning: device open: noAuthNoPriv has no authentication and no privacy"));
	ck_assert_uint_eq(cfg->snmp.devices[1].level, FT_SNMP_NOAUTH);
	ck_assert_uint_eq(cfg->snmp.devices[2].level, FT_SNMP_AUTHNOPRIV);
}
END_TEST

/* A scratch directory for files a configuration names. */
struct scratch {
	char dir[32];
	char paths[4][96];
	size_t n;
};

static const char *scratch_file(struct scratch *s, const char *name, const char *text, mode_t mode)
{
	if (!s->dir[0]) {
		snprintf(s->dir, sizeof(s->dir), "/tmp/ft-config-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(s->dir));
	}
	ck_assert_uint_lt(s->n, 4);
	char *p = s->paths[s->n++], dir[sizeof(s->dir)];
	memcpy(dir, s->dir, sizeof(dir));
	snprintf(p, sizeof(s->paths[0]), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(p, mode), 0);
	return p;
}

static void scratch_done(struct scratch *s)
{
	for (size_t i = 0; i < s->n; i++)
		unlink(s->paths[i]);
	if (s->dir[0])
		rmdir(s->dir);
}

/* Two devices whose secrets come from `path`, named at line 2. */
static const char *secrets_conf(const char *path)
{
	static char text[768];
	snprintf(text, sizeof(text),
	         "exporters = [\"127.0.0.1\"];\n"
	         "snmp_secrets = \"%s\";\n"
	         "snmp_devices = (\n"
	         "  { name = \"core1\"; address = \"192.0.2.1\"; },\n"
	         "  { name = \"edge2\"; address = \"192.0.2.2\"; version = \"3\"; user = \"flowtally\"; } );\n",
	         path);
	return text;
}

START_TEST(snmp_secrets_file_fills_the_devices)
{
	struct scratch s = { 0 };
	const char *path = scratch_file(&s, "secrets", "# flowtally's SNMP secrets\n\n"
	                                "core1 community s3cret community  \n"
	                                "  edge2\tauth_password authpass1\n"
	                                "\r\n"                                    /* a blank line, CRLF */
	                                "edge2 priv_password privpass1\r\n", 0600);
	int r = parse(secrets_conf(path));
	if (r != 0)
		dump();
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(cfg->snmp.secrets, path);
	ck_assert_str_eq(cfg->snmp.devices[0].community, "s3cret community");
	ck_assert_str_eq(cfg->snmp.devices[1].auth_pass, "authpass1");
	ck_assert_str_eq(cfg->snmp.devices[1].priv_pass, "privpass1");
	/* mode 0600: no warning about the file (the one warning is core1's v2c) */
	ck_assert_uint_eq(diag.warnings, 1);
	ck_assert(!diag_has("can be read by others"));
	/* readable by others: a warning at the line that names it, the file still valid */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(parse(secrets_conf(path)), 0);
	char want[192];
	snprintf(want, sizeof(want), "t.conf:2: warning: snmp_secrets: %s can be read by others than its owner "
	         "(mode 0644)", path);
	ck_assert_msg(diag_has(want), "no finding '%s'", want);
	ck_assert_uint_eq(diag.warnings, 2);
	scratch_done(&s);
}
END_TEST

START_TEST(snmp_secrets_file_errors_name_its_lines)
{
	struct scratch s = { 0 };
	const char *path = scratch_file(&s, "secrets",
	                                "core1 community c1\n"
	                                "core9 community c9\n"                /* no such device */
	                                "edge2 password authpass1\n"          /* no such key */
	                                "edge2 auth_password\n"               /* no value */
	                                "edge2\n"
	                                "edge2 auth_password authpass1\n"
	                                "edge2 priv_password privpass1\n", 0600);
	ck_assert_int_eq(parse(secrets_conf(path)), -EINVAL);
	ck_assert_ptr_null(cfg);
	char want[5][192];
	snprintf(want[0], sizeof(want[0]), "%s:2: no device core9 in snmp_devices", path);
	snprintf(want[1], sizeof(want[1]), "%s:3: unknown key password", path);
	snprintf(want[2], sizeof(want[2]), "%s:4: expected DEVICE KEY VALUE", path);
	snprintf(want[3], sizeof(want[3]), "%s:5: expected DEVICE KEY VALUE", path);
	for (size_t i = 0; i < 4; i++)
		ck_assert_msg(diag_has(want[i]), "no finding '%s'", want[i]);
	ck_assert_uint_eq(diag.errors, 4);

	/* a secret also given in the configuration: keep it in one place */
	const char *path2 = scratch_file(&s, "secrets2", "core1 community c1\n", 0600);
	char text[512];
	snprintf(text, sizeof(text), "exporters = [\"127.0.0.1\"];\nsnmp_secrets = \"%s\";\n"
	         "snmp_devices = ( { name = \"core1\"; address = \"192.0.2.1\"; community = \"c0\"; } );\n", path2);
	ck_assert_int_eq(parse(text), -EINVAL);
	snprintf(want[4], sizeof(want[4]), "%s:1: community of core1 is also given in t.conf (line 3)", path2);
	ck_assert_msg(diag_has(want[4]), "no finding '%s'", want[4]);
	scratch_done(&s);
}
END_TEST

START_TEST(snmp_missing_secrets_file_names_the_config_line)
{
	ck_assert_int_eq(parse(secrets_conf("/nonexistent/snmp-secrets")), -EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert(diag_has("t.conf:2: snmp_secrets: cannot read /nonexistent/snmp-secrets: "));
}
END_TEST

/* Lines of a secrets file are counted as lines however long, and a file that opens but
 * cannot be read (a directory) is an error, never a file of no secrets. */
START_TEST(snmp_secrets_file_long_lines_and_unreadable)
{
	struct scratch s = { 0 };
	char text[3000];
	memset(text, 0, sizeof(text));
	text[0] = '#';
	for (size_t i = 1; i < 2000; i++)
		text[i] = i % 10 ? 'x' : ' ';
	snprintf(text + 2000, sizeof(text) - 2000, "\ncore9 community c\ncore1 community c1\n"
	         "edge2 auth_password authpass1\nedge2 priv_password privpass1\n");
	const char *path = scratch_file(&s, "secrets", text, 0600);
	ck_assert_int_eq(parse(secrets_conf(path)), -EINVAL);
	char want[192];
	snprintf(want, sizeof(want), "%s:2: no device core9 in snmp_devices", path);
	if (!diag_has(want) || diag.errors != 1)
		dump();
	ck_assert_msg(diag_has(want), "no finding '%s'", want);
	ck_assert_uint_eq(diag.errors, 1);

	ck_assert_int_eq(parse(secrets_conf(s.dir)), -EINVAL);
	snprintf(want, sizeof(want), "t.conf:2: snmp_secrets: cannot read %s: %s", s.dir, strerror(EISDIR));
	if (!diag_has(want))
		dump();
	ck_assert_msg(diag_has(want), "no finding '%s'", want);
	scratch_done(&s);
}
END_TEST

START_TEST(tenant_interface_patterns_are_read)
{
	ck_assert_int_eq(parse("exporters = [\"192.0.2.1\"];\n"
	                       "snmp_devices = ( { name = \"core1\"; address = \"192.0.2.1\"; community = \"c\"; } );\n"
	                       "interface_tag = \"tenant\";\n"
	                       "tenants = (\n"
	                       "  { name = \"devon\"; interfaces = ( { device = \"core1\"; ifalias = \"Devon*\"; },\n"
	                       "      { ifname = \"ae12.*\"; valid_from = \"2027-01-01\"; },\n"
	                       "      { ifdescr = \"Gi0/[0-9]\"; valid_until = \"2027-06-01T12:00:00Z\"; },\n"
	                       "      { exporter = \"192.0.2.1\"; ifindex = 12; } ); } );\n"), 0);
	const struct ft_tenant_conf *t = &cfg->tenants;
	ck_assert_str_eq(t->if_tag, "tenant");
	ck_assert_uint_eq(t->n_if_matches, 3);
	uint16_t devon = ft_tenant_conf_find(t, "devon");
	ck_assert_uint_gt(devon, 0);
	const struct ft_if_match *m = t->if_matches;
	ck_assert_uint_eq(m[0].tenant, devon);
	ck_assert_str_eq(m[0].device, "core1");
	ck_assert_uint_eq(m[0].field, FT_IF_ALIAS);
	ck_assert_str_eq(m[0].pattern, "Devon*");
	ck_assert(m[0].from_ms == FT_TIME_MIN && m[0].until_ms == FT_TIME_MAX);
	ck_assert_str_eq(m[0].at.file, "t.conf");
	ck_assert_int_eq(m[0].at.line, 5);
	ck_assert_str_eq(m[1].device, "");
	ck_assert_uint_eq(m[1].field, FT_IF_NAME);
	ck_assert_str_eq(m[1].pattern, "ae12.*");
	ck_assert_int_eq(m[1].from_ms, 1798761600000LL);       /* 2027-01-01T00:00:00Z */
	ck_assert(m[1].until_ms == FT_TIME_MAX);
	ck_assert_int_eq(m[1].at.line, 6);
	ck_assert_uint_eq(m[2].field, FT_IF_DESCR);
	ck_assert_str_eq(m[2].pattern, "Gi0/[0-9]");
	ck_assert_int_eq(m[2].until_ms, 1811851200000LL);      /* 2027-06-01T12:00:00Z */
	/* the exporter + ifIndex entry stays an ordinary interface rule */
	ck_assert_uint_eq(t->n_rules, 1);
	ck_assert_uint_eq(t->rules[0].kind, FT_RULE_INTERFACE);
	ck_assert_uint_eq(t->rules[0].ifindex, 12);
}
END_TEST

START_TEST(tenant_interface_pattern_errors)
{
#define TEN(entry) "exporters = [\"192.0.2.1\"];\n" \
	"snmp_devices = ( { name = \"core1\"; address = \"192.0.2.1\"; community = \"c\"; } );\n" \
	"tenants = ( { name = \"devon\";\n  interfaces = ( " entry " ); } );\n"
	REJECTED(TEN("{ device = \"core1\"; ifname = \"xe-*\"; ifalias = \"Devon*\"; }"),
	         "t.conf:4: interfaces: give one of ifname, ifalias or ifdescr");
	REJECTED(TEN("{ ifdescr = \"a*\"; ifalias = \"b*\"; }"), "t.conf:4: interfaces: give one of");
	REJECTED(TEN("{ device = \"core1\"; }"), "t.conf:4: interfaces: give one of");
	REJECTED(TEN("{ ifalias = \"\"; }"), "t.conf:4: interfaces: give one of");
	REJECTED(TEN("{ device = \"core2\"; ifalias = \"Devon*\"; }"),
	         "t.conf:4: interfaces: no device core2 in snmp_devices");
	REJECTED(TEN("{ ifalias = \"Devon*\"; port = 3; }"), "t.conf:4: interfaces: unknown key 'port'");
	REJECTED(TEN("{ ifalias = \"Devon*\"; valid_from = \"soon\"; }"), "t.conf:4: valid_from 'soon' is not a UTC time");
#undef TEN
	/* interface_tag: a word */
	ck_assert_int_eq(parse("exporters = [\"192.0.2.1\"];\n"
	                       "snmp_devices = ( { name = \"core1\"; address = \"192.0.2.1\"; community = \"c\"; } );\n"
	                       "interface_tag = \"cust_id-2\";\n"), 0);
	ck_assert_str_eq(cfg->tenants.if_tag, "cust_id-2");
	REJECTED("exporters = [\"192.0.2.1\"];\ninterface_tag = \"ten ant\";\n",
	         "t.conf:2: interface_tag must be a word");
	REJECTED("exporters = [\"192.0.2.1\"];\ninterface_tag = \"\";\n", "t.conf:2: interface_tag must be a word");
	REJECTED("exporters = [\"192.0.2.1\"];\ninterface_tag = \"tenant:\";\n", "t.conf:2: interface_tag must be a word");
	REJECTED("exporters = [\"192.0.2.1\"];\ninterface_tag = 1;\n", "t.conf:2: interface_tag must be a word");
	/* patterns with no device polled match nothing: a warning */
	ck_assert_int_eq(parse("exporters = [\"192.0.2.1\"];\n"
	                       "tenants = ( { name = \"devon\"; interfaces = ( { ifalias = \"Devon*\"; } ); } );\n"), 0);
	ck_assert(diag_has("t.conf: warning: tenants name interfaces by pattern, but no snmp_devices are polled"));
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, defaults_listen_on_loopback);
	tcase_add_test(tc, every_key_is_read);
	tcase_add_test(tc, template_protocol_choices);
	tcase_add_test(tc, memory_budget_and_template_bounds);
	tcase_add_test(tc, record_bounds_have_defaults_and_are_read);
	tcase_add_test(tc, unknown_key_is_an_error_with_its_line);
	tcase_add_test(tc, syntax_error_names_the_line);
	tcase_add_test(tc, bad_values_are_each_reported);
	tcase_add_test(tc, wrong_types_are_errors);
	tcase_add_test(tc, absent_allow_list_accepts_nothing_and_warns);
	tcase_add_test(tc, unreadable_file_is_reported);
	tcase_add_test(tc, file_errors_name_the_file);
	tcase_add_test(tc, findings_come_in_file_and_line_order);
	tcase_add_test(tc, unreadable_prefix_file_is_an_error);
	tcase_add_test(tc, diag_sorts_by_file_then_line);
	tcase_add_test(tc, timezone_must_be_a_known_zone);
	tcase_add_test(tc, reserved_tenant_names_are_refused);
	tcase_add_test(tc, user_and_group_must_exist);
	tcase_add_test(tc, listen_addresses_parse);
	tcase_add_test(tc, snmp_v2c_device_with_its_defaults);
	tcase_add_test(tc, snmp_v3_device_every_field);
	tcase_add_test(tc, snmp_address_forms_and_algorithm_names);
	tcase_add_test(tc, snmp_device_errors_reject_the_file);
	tcase_add_test(tc, snmp_exporter_address_of_one_device_only);
	tcase_add_test(tc, snmp_interval_and_max_gap_against_the_step);
	tcase_add_test(tc, snmp_weak_security_is_a_warning);
	tcase_add_test(tc, snmp_secrets_file_fills_the_devices);
	tcase_add_test(tc, snmp_secrets_file_errors_name_its_lines);
	tcase_add_test(tc, snmp_missing_secrets_file_names_the_config_line);
	tcase_add_test(tc, snmp_secrets_file_long_lines_and_unreadable);
	tcase_add_test(tc, tenant_interface_patterns_are_read);
	tcase_add_test(tc, tenant_interface_pattern_errors);
	suite_add_tcase(s, tc);
	return s;
}
