/* The tariff file (exporters/recharge/tariff.c): the values of a valid file, and every
 * problem named as file:line with the whole file rejected. */
#include <check.h>
#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/recharge.h"

static struct ft_tariff *tariff;
static struct ft_diag diag;

static const char *const tenants[] = { "county", "city", "fire" };
static const char *const classes[] = { "internet", "peering" };
static const struct ft_tariff_names names = { tenants, 3, classes, 2 };

static const char example[] =
	"pools = (\n"
	"  { name = \"core-capacity\"; amount_pence = 1250000; basis = \"peak_share\"; },\n"
	"  { name = \"internet\";      amount_pence = 480000;  basis = \"volume\"; direction = \"in\"; classes = [ \"internet\" ]; },\n"
	"  { name = \"resilience\";    amount_pence = 99999;   basis = \"p95\"; metric = \"max_in_out\"; members = [ \"county\", \"city\" ]; },\n"
	"  { name = \"service-desk\";  amount_pence = 300001;  basis = \"equal\"; },\n"
	"  { name = \"sites\";         amount_pence = 700000;  basis = \"weights\"; prorate = true;\n"
	"    weights = ( { tenant = \"county\"; weight = 12; }, { tenant = \"city\"; weight = 7; } ); }\n"
	");\n"
	"fixed = ( { tenant = \"fire\"; pence = 25000; description = \"dark fibre rental\"; } );\n";

static void teardown(void)
{
	tariff = ft_tariff_free(tariff);
	ft_diag_done(&diag);
}

static int parse_with(const char *text, const struct ft_tariff_names *n)
{
	tariff = ft_tariff_free(tariff);
	ft_diag_done(&diag);
	return ft_tariff_parse(text, "t.tariff", n, &tariff, &diag);
}

static int parse(const char *text)
{
	return parse_with(text, &names);
}

static bool diag_has(const char *needle)
{
	for (size_t i = 0; i < diag.n; i++)
		if (strstr(diag.lines[i], needle))
			return true;
	return false;
}

/* text is rejected, and one of its findings holds needle ("t.tariff:LINE: what"). */
static void rejected(const char *text, const char *needle)
{
	int r = parse(text);
	for (size_t i = 0; !diag_has(needle) && i < diag.n; i++)
		fprintf(stderr, "test_tariff: got %s\n", diag.lines[i]);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_null(tariff);
	ck_assert_uint_ge(diag.errors, 1);
	ck_assert_msg(diag_has(needle), "no finding holds \"%s\"", needle);
}

static void sha256_of(const char *text, size_t n, char out[65])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&ctx);
	sha256_update(&ctx, n, (const uint8_t *)text);
	sha256_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

START_TEST(example_is_read_exactly)
{
	ck_assert_int_eq(parse(example), 0);
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_str_eq(tariff->file, "t.tariff");
	ck_assert_uint_eq(tariff->n_pools, 5);
	const struct ft_pool *p = tariff->pools;

	ck_assert_str_eq(p[0].name, "core-capacity");
	ck_assert_uint_eq(p[0].amount_pence, 1250000);
	ck_assert_uint_eq(p[0].basis, FT_BASIS_PEAK_SHARE);
	ck_assert_uint_eq(p[0].direction, FT_POOL_BOTH);
	ck_assert_uint_eq(p[0].metric, FT_METRIC_IN_PLUS_OUT);
	ck_assert(!p[0].prorate);
	ck_assert_uint_eq(p[0].n_classes + p[0].n_members + p[0].n_weights, 0);
	ck_assert_int_eq(p[0].line, 2);

	ck_assert_str_eq(p[1].name, "internet");
	ck_assert_uint_eq(p[1].amount_pence, 480000);
	ck_assert_uint_eq(p[1].basis, FT_BASIS_VOLUME);
	ck_assert_uint_eq(p[1].direction, FT_POOL_IN);
	ck_assert_uint_eq(p[1].n_classes, 1);
	ck_assert_str_eq(p[1].classes[0], "internet");
	ck_assert_uint_eq(p[1].n_members, 0);
	ck_assert_int_eq(p[1].line, 3);

	ck_assert_str_eq(p[2].name, "resilience");
	ck_assert_uint_eq(p[2].amount_pence, 99999);
	ck_assert_uint_eq(p[2].basis, FT_BASIS_P95);
	ck_assert_uint_eq(p[2].metric, FT_METRIC_MAX_IN_OUT);
	ck_assert_uint_eq(p[2].direction, FT_POOL_BOTH);
	ck_assert_uint_eq(p[2].n_members, 2);
	ck_assert_str_eq(p[2].members[0], "county");
	ck_assert_str_eq(p[2].members[1], "city");

	ck_assert_str_eq(p[3].name, "service-desk");
	ck_assert_uint_eq(p[3].amount_pence, 300001);
	ck_assert_uint_eq(p[3].basis, FT_BASIS_EQUAL);
	ck_assert(!p[3].prorate);

	ck_assert_str_eq(p[4].name, "sites");
	ck_assert_uint_eq(p[4].amount_pence, 700000);
	ck_assert_uint_eq(p[4].basis, FT_BASIS_WEIGHTS);
	ck_assert(p[4].prorate);
	ck_assert_uint_eq(p[4].n_weights, 2);
	ck_assert_str_eq(p[4].weights[0].tenant, "county");
	ck_assert_uint_eq(p[4].weights[0].weight, 12);
	ck_assert_str_eq(p[4].weights[1].tenant, "city");
	ck_assert_uint_eq(p[4].weights[1].weight, 7);
	ck_assert_int_eq(p[4].line, 6);

	ck_assert_uint_eq(tariff->n_fixed, 1);
	ck_assert_str_eq(tariff->fixed[0].tenant, "fire");
	ck_assert_uint_eq(tariff->fixed[0].pence, 25000);
	ck_assert_str_eq(tariff->fixed[0].description, "dark fibre rental");
	ck_assert_int_eq(tariff->fixed[0].line, 9);

	char want[65];
	sha256_of(example, strlen(example), want);
	ck_assert_str_eq(tariff->sha256, want);
}
END_TEST

START_TEST(amounts_take_64_bit_integers)
{
	ck_assert_int_eq(parse("pools = ( { name = \"a\"; amount_pence = 50000000000L; basis = \"equal\"; } );\n"), 0);
	ck_assert_uint_eq(tariff->pools[0].amount_pence, 50000000000ULL);
	ck_assert_int_eq(parse("fixed = ( { tenant = \"fire\"; pence = 0; } );\n"), 0);
	ck_assert_uint_eq(tariff->fixed[0].pence, 0);
	ck_assert_str_eq(tariff->fixed[0].description, "");
	ck_assert_int_eq(parse("fixed = ( { tenant = \"fire\"; pence = 0x10; } );\n"), 0);
	ck_assert_uint_eq(tariff->fixed[0].pence, 16);
}
END_TEST

START_TEST(top_level_errors)
{
	rejected("pools = ( { name = \"a\"; amount_pence = 1; basis = \"equal\"; } );\nrate = 3;\n",
	         "t.tariff:2: unknown key 'rate'");
	rejected("pools = 3;\n", "t.tariff:1: 'pools' must be a list of groups");
	rejected("fixed = [ 1, 2 ];\n", "t.tariff:1: 'fixed' must be a list of groups");
	rejected("pools = ( 3 );\n", "t.tariff:1: 'pools': element 1 is not a group");
	rejected("", "t.tariff: the tariff charges nothing");
	rejected("pools = ();\n", "t.tariff:1: the tariff charges nothing");
	rejected("\n\npools = (\n  { name = \"a\" }\n  { name = \"b\" }\n);\n", "t.tariff:5: syntax error");
	rejected("@include \"/etc/passwd\"\n", "t.tariff:1: @include");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\"; }\n);\n"
	         "pools = ();\n", "t.tariff:4: duplicate setting name");   /* libconfig's own check */
}
END_TEST

START_TEST(pool_errors_name_their_line)
{
	rejected("pools = (\n  { amount_pence = 1; basis = \"equal\"; }\n);\n", "t.tariff:2: a pool has no 'name'");
	rejected("pools = (\n  { name = \" a\"; amount_pence = 1; basis = \"equal\"; }\n);\n",
	         "t.tariff:2: pool name ' a' is not a name");
	rejected("pools = (\n  { name = 7; amount_pence = 1; basis = \"equal\"; }\n);\n",
	         "t.tariff:2: pool name must be a string");
	rejected("pools = (\n  { name = \"a\"; basis = \"equal\"; }\n);\n", "t.tariff:2: pool 'a' has no 'amount_pence'");
	rejected("pools = (\n  { name = \"a\";\n    amount_pence = -1; basis = \"equal\"; }\n);\n",
	         "t.tariff:3: 'amount_pence' = -1 is negative");
	rejected("pools = (\n  { name = \"a\";\n    amount_pence = -5000000000L; basis = \"equal\"; }\n);\n",
	         "t.tariff:3: 'amount_pence' = -5000000000 is negative");
	rejected("pools = (\n  { name = \"a\";\n    amount_pence = 1.5; basis = \"equal\"; }\n);\n",
	         "t.tariff:3: 'amount_pence' must be a whole number");
	rejected("pools = (\n  { name = \"a\";\n    amount_pence = \"100\"; basis = \"equal\"; }\n);\n",
	         "t.tariff:3: 'amount_pence' must be a whole number");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; }\n);\n", "t.tariff:2: pool 'a' has no 'basis'");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1;\n    basis = \"share\"; }\n);\n",
	         "t.tariff:3: basis 'share' is not one of volume, p95, peak_share, equal, weights");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\";\n    colour = \"red\"; }\n);\n",
	         "t.tariff:3: pool: unknown key 'colour'");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"volume\";\n    direction = \"up\"; }\n);\n",
	         "t.tariff:3: direction 'up' is not one of in, out, both");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"p95\";\n    direction = \"in\"; }\n);\n",
	         "t.tariff:3: pool 'a': 'direction' is only for volume and peak_share pools, not p95");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"p95\";\n    metric = \"avg\"; }\n);\n",
	         "t.tariff:3: metric 'avg' is not one of in, out, in_plus_out, max_in_out");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"volume\";\n    metric = \"in\"; }\n);\n",
	         "t.tariff:3: pool 'a': 'metric' is only for p95 pools, not volume");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\";\n    classes = [\"internet\"]; }\n);\n",
	         "t.tariff:3: pool 'a': 'classes' is only for volume pools, not equal");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"volume\";\n    classes = [\"transit\"]; }\n);\n",
	         "t.tariff:3: class 'transit' is not a traffic class");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"volume\";\n    classes = \"internet\"; }\n);\n",
	         "t.tariff:3: 'classes' must be a list of names");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\";\n    members = [\"county\", \"town\"]; }\n);\n",
	         "t.tariff:3: tenant 'town' is not a tenant of the map");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\";\n    members = [\"county\", \"county\"]; }\n);\n",
	         "t.tariff:3: 'members': 'county' is named twice");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\";\n    members = (\"county\", 3); }\n);\n",
	         "t.tariff:3: 'members': element 2 must be a string");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\";\n    members = [\"county\", 3]; }\n);\n",
	         "t.tariff:3: mismatched element type in array");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"p95\";\n    prorate = true; }\n);\n",
	         "t.tariff:3: pool 'a': 'prorate' is only for equal and weights pools, not p95");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\";\n    prorate = 1; }\n);\n",
	         "t.tariff:3: 'prorate' must be true or false");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\"; },\n"
	         "  { name = \"a\"; amount_pence = 2; basis = \"volume\"; }\n);\n",
	         "t.tariff:3: pool 'a' is already defined at line 2");
}
END_TEST

START_TEST(weights_errors_name_their_line)
{
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"weights\"; }\n);\n",
	         "t.tariff:2: pool 'a' has basis weights but no 'weights'");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\";\n"
	         "    weights = ( { tenant = \"city\"; weight = 1; } ); }\n);\n",
	         "t.tariff:3: pool 'a': 'weights' is only for weights pools, not equal");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"weights\"; weights = (\n"
	         "    { tenant = \"city\"; weight = 1; },\n    { tenant = \"city\"; weight = 2; } ); }\n);\n",
	         "t.tariff:4: 'weights': tenant 'city' has a weight twice");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"weights\";\n"
	         "    weights = ( { tenant = \"city\"; weight = 0; }, { tenant = \"fire\"; weight = 0; } ); }\n);\n",
	         "t.tariff:3: 'weights': every weight is 0");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"weights\"; weights = (\n"
	         "    { tenant = \"city\"; weight = -1; } ); }\n);\n",
	         "t.tariff:3: 'weight' = -1 is negative");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"weights\"; weights = (\n"
	         "    { tenant = \"town\"; weight = 1; } ); }\n);\n",
	         "t.tariff:3: tenant 'town' is not a tenant of the map");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"weights\"; weights = (\n"
	         "    { weight = 1; } ); }\n);\n",
	         "t.tariff:3: 'weights': an entry has no 'tenant'");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"weights\"; weights = (\n"
	         "    { tenant = \"city\"; share = 1; } ); }\n);\n",
	         "t.tariff:3: 'weights': unknown key 'share'");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"weights\";\n"
	         "    weights = [ 1, 2 ]; }\n);\n",
	         "t.tariff:3: 'weights' must be a list of groups");
	rejected("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"weights\"; members = [\"county\"];\n"
	         "    weights = ( { tenant = \"county\"; weight = 1; },\n"
	         "                { tenant = \"city\"; weight = 1; } ); }\n);\n",
	         "t.tariff:4: pool 'a': tenant 'city' has a weight but is not one of its members");
}
END_TEST

START_TEST(fixed_errors_name_their_line)
{
	rejected("fixed = (\n  { pence = 1; }\n);\n", "t.tariff:2: a fixed charge has no 'tenant'");
	rejected("fixed = (\n  { tenant = \"fire\"; }\n);\n", "t.tariff:2: a fixed charge has no 'pence'");
	rejected("fixed = (\n  { tenant = \"fire\";\n    pence = -3; }\n);\n", "t.tariff:3: 'pence' = -3 is negative");
	rejected("fixed = (\n  { tenant = \"town\"; pence = 3; }\n);\n",
	         "t.tariff:2: tenant 'town' is not a tenant of the map");
	rejected("fixed = (\n  { tenant = \"fire\"; pence = 3;\n    note = \"x\"; }\n);\n",
	         "t.tariff:3: fixed: unknown key 'note'");
	rejected("fixed = (\n  { tenant = \"fire\"; pence = 3;\n    description = 5; }\n);\n",
	         "t.tariff:3: 'description' must be a string");
	char text[512], d[200];
	memset(d, 'x', 128);
	d[128] = '\0';
	snprintf(text, sizeof(text), "fixed = (\n  { tenant = \"fire\"; pence = 3;\n    description = \"%s\"; }\n);\n", d);
	rejected(text, "t.tariff:3: 'description' is 128 bytes, more than 127");
	d[127] = '\0';
	snprintf(text, sizeof(text), "fixed = (\n  { tenant = \"fire\"; pence = 3;\n    description = \"%s\"; }\n);\n", d);
	ck_assert_int_eq(parse(text), 0);
	ck_assert_str_eq(tariff->fixed[0].description, d);
}
END_TEST

START_TEST(every_error_of_a_file_is_reported)
{
	int r = parse("pools = (\n"
	              "  { name = \"a\"; amount_pence = -1; basis = \"equal\"; },\n"
	              "  { name = \"b\"; amount_pence = 1; basis = \"volume\"; classes = [\"transit\"]; },\n"
	              "  { name = \"a\"; amount_pence = 1; basis = \"equal\"; }\n"
	              ");\n"
	              "fixed = ( { tenant = \"town\"; pence = 1; } );\n"
	              "extra = 1;\n");
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_null(tariff);
	ck_assert_uint_eq(diag.errors, 5);
	ck_assert_uint_eq(diag.n, 5);
	/* in line order */
	ck_assert_ptr_nonnull(strstr(diag.lines[0], "t.tariff:2: 'amount_pence' = -1 is negative"));
	ck_assert_ptr_nonnull(strstr(diag.lines[1], "t.tariff:3: class 'transit'"));
	ck_assert_ptr_nonnull(strstr(diag.lines[2], "t.tariff:4: pool 'a' is already defined at line 2"));
	ck_assert_ptr_nonnull(strstr(diag.lines[3], "t.tariff:6: tenant 'town'"));
	ck_assert_ptr_nonnull(strstr(diag.lines[4], "t.tariff:7: unknown key 'extra'"));
}
END_TEST

START_TEST(names_are_checked_only_when_given)
{
	const char *text = "pools = ( { name = \"a\"; amount_pence = 1; basis = \"volume\"; classes = [\"transit\"];"
	                   " members = [\"town\"]; } );\n"
	                   "fixed = ( { tenant = \"village\"; pence = 1; } );\n";
	ck_assert_int_eq(parse_with(text, &names), -EINVAL);
	ck_assert_uint_eq(diag.errors, 3);
	ck_assert_int_eq(parse_with(text, NULL), 0);
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_str_eq(tariff->pools[0].classes[0], "transit");
	ck_assert_str_eq(tariff->pools[0].members[0], "town");
	ck_assert_str_eq(tariff->fixed[0].tenant, "village");
	/* a name is still a name without the list */
	ck_assert_int_eq(parse_with("fixed = ( { tenant = \"\"; pence = 1; } );\n", NULL), -EINVAL);
	ck_assert(diag_has("t.tariff:1: 'tenant' '' is not a name"));
}
END_TEST

START_TEST(syntax_error_names_its_line)
{
	ck_assert_int_eq(parse("pools = (\n  { name = \"a\"; amount_pence = 1; basis = \"equal\"; }\n);\nfixed = ( { x = ; } );\n"),
	                 -EINVAL);
	ck_assert_ptr_null(tariff);
	ck_assert_uint_eq(diag.errors, 1);
	ck_assert(diag_has("t.tariff:4: syntax error"));
}
END_TEST

START_TEST(missing_file_is_enoent)
{
	ck_assert_int_eq(ft_tariff_load("/nonexistent/flowtally/t.tariff", &names, &tariff, &diag), -ENOENT);
	ck_assert_ptr_null(tariff);
	ck_assert_uint_eq(diag.errors, 1);
	ck_assert(diag_has("/nonexistent/flowtally/t.tariff: cannot read: No such file or directory"));
}
END_TEST

START_TEST(loaded_file_has_the_sha256_of_its_bytes)
{
	char path[] = "/tmp/ft-test-tariff-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, example, strlen(example)), (ssize_t)strlen(example));
	close(fd);
	int r = ft_tariff_load(path, &names, &tariff, &diag);
	char want[65];
	sha256_of(example, strlen(example), want);
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(tariff->sha256, want);
	ck_assert_str_eq(tariff->file, path);
	ck_assert_uint_eq(tariff->n_pools, 5);
	/* the same digest as sha256sum(1), when it is there */
	char cmd[128], out[128] = "";
	snprintf(cmd, sizeof(cmd), "sha256sum %s 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	if (p && fgets(out, sizeof(out), p) && strlen(out) > 64) {
		out[64] = '\0';
		ck_assert_str_eq(out, want);
	}
	if (p)
		pclose(p);

	/* an error of a loaded file is named by its path */
	ft_diag_done(&diag);
	tariff = ft_tariff_free(tariff);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("fixed = (\n  { tenant = \"fire\"; pence = -1; }\n);\n", f);
	fclose(f);
	ck_assert_int_eq(ft_tariff_load(path, &names, &tariff, &diag), -EINVAL);
	char needle[64];
	snprintf(needle, sizeof(needle), "%s:2: 'pence' = -1", path);
	ck_assert(diag_has(needle));

	/* a NUL byte would end libconfig's reading but not the hash: refused */
	ft_diag_done(&diag);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fwrite("fixed = ( { tenant = \"fire\"; pence = 1; } );\n\0rest", 1, 50, f);
	fclose(f);
	ck_assert_int_eq(ft_tariff_load(path, &names, &tariff, &diag), -EINVAL);
	snprintf(needle, sizeof(needle), "%s:2: holds a NUL byte", path);
	ck_assert(diag_has(needle));
	unlink(path);
}
END_TEST

START_TEST(free_is_null_safe)
{
	ck_assert_ptr_null(ft_tariff_free(NULL));
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("tariff");
	TCase *tc = tcase_create("tariff");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, example_is_read_exactly);
	tcase_add_test(tc, amounts_take_64_bit_integers);
	tcase_add_test(tc, top_level_errors);
	tcase_add_test(tc, pool_errors_name_their_line);
	tcase_add_test(tc, weights_errors_name_their_line);
	tcase_add_test(tc, fixed_errors_name_their_line);
	tcase_add_test(tc, every_error_of_a_file_is_reported);
	tcase_add_test(tc, names_are_checked_only_when_given);
	tcase_add_test(tc, syntax_error_names_its_line);
	tcase_add_test(tc, missing_file_is_enoent);
	tcase_add_test(tc, loaded_file_has_the_sha256_of_its_bytes);
	tcase_add_test(tc, free_is_null_safe);
	suite_add_tcase(s, tc);
	return s;
}
