/* Configuration: defaults, every key, and errors that name file:line. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
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
	tcase_add_test(tc, user_and_group_must_exist);
	tcase_add_test(tc, listen_addresses_parse);
	suite_add_tcase(s, tc);
	return s;
}
