/* The statement page (exporters/recharge/html.c) from a statement built on bins made by
 * hand: the exact figures worked out here appear, data is escaped, nothing outside the
 * page is referred to, two runs give the same bytes, the tenant filter holds, and the
 * document's tags nest. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/recharge.h"

#define NB 576                      /* two days of bins */
#define START 1790809200000LL       /* 2026-09-30T23:00:00Z: 2026-10-01 00:00 in London (BST) */
#define G 2000000000ULL

/* alpha: in 2,000,000,000 + k bytes in bin k, out 500,000 (one class, "internet");
 * b<&>: in 1,000 and out 3,000 every bin. */
static void series(struct ft_bins *b, const char *tenant, const char *class_, uint64_t in0, uint64_t in_step,
                   uint64_t out)
{
	struct ft_bin_series *s = &b->series[b->n_series++];
	memset(s, 0, sizeof(*s));
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	snprintf(s->class_, sizeof(s->class_), "%s", class_);
	s->in = calloc(NB, sizeof(*s->in));
	s->out = calloc(NB, sizeof(*s->out));
	for (size_t k = 0; k < NB; k++) {
		s->in[k] = in0 + in_step * k;
		s->out[k] = out;
		s->vin.bytes += s->in[k];
		s->vout.bytes += s->out[k];
	}
	s->vin.packets = 1234567;
	s->vin.flows = 8901;
	s->vout.packets = 42;
	s->vout.flows = 7;
}

static struct ft_bins bins;
static struct ft_statement st;
static struct ft_tariff *tariff;
static struct ft_recharge_report rep;
static struct ft_recharge_gap gap = { START + (NB - 1) * (int64_t)FT_RECHARGE_BIN_MS,
                                      START + NB * (int64_t)FT_RECHARGE_BIN_MS };
static char notes[1][512] = { "pool <idle> & co: not charged" };

static const char tariff_text[] =
	"pools = ( { name = \"transit\"; amount_pence = 246913578; basis = \"equal\"; } );\n"
	"fixed = ( { tenant = \"alpha\"; pence = 250; description = \"dark <fibre> & \\\"co\\\"\"; } );\n";

static void build(bool with_tariff)
{
	memset(&bins, 0, sizeof(bins));
	bins.start_ms = START;
	bins.end_ms = START + NB * (int64_t)FT_RECHARGE_BIN_MS;
	bins.n_bins = NB;
	bins.present = calloc(NB, 1);
	for (size_t k = 0; k < NB - 1; k++)
		bins.present[k] = 1;
	bins.present_bins = NB - 1;
	bins.series = calloc(8, sizeof(*bins.series));
	/* sorted by tenant, then class, as ft_bins keeps them */
	series(&bins, "alpha", "", G, 1, 500000);
	series(&bins, "alpha", "internet", G, 1, 500000);
	series(&bins, "b<&>", "", 1000, 0, 3000);
	series(&bins, "total", "", 0, 0, 0);
	series(&bins, "unattributed", "", 0, 0, 0);
	bins.steps = NB - 1;
	bins.n_maps = 1;
	snprintf(bins.maps[0].id, sizeof(bins.maps[0].id), "%064d", 7);
	bins.maps[0].first_ms = START;
	bins.maps[0].end_ms = START + (NB - 1) * (int64_t)FT_RECHARGE_BIN_MS;
	bins.maps[0].steps = NB - 1;
	bins.sources = calloc(1, sizeof(*bins.sources));
	bins.n_sources = 1;
	snprintf(bins.sources[0].dir, sizeof(bins.sources[0].dir), "/var/lib/flowtally/ledger");
	snprintf(bins.sources[0].head, sizeof(bins.sources[0].head), "%064x", 0xabc);
	bins.sources[0].steps = NB - 1;

	struct ft_statement_member m[2] = { { .name = "b<&>", .cost_centre = "CC&2",
	                                      .display = "B <&> \"Co\" 'Ltd'", .from_ms = INT64_MIN,
	                                      .until_ms = INT64_MAX },
	                                    { .name = "alpha", .cost_centre = "CC-0001", .display = "Alpha Trust",
	                                      .from_ms = INT64_MIN, .until_ms = INT64_MAX } };
	struct ft_diag d = { 0 };
	tariff = NULL;
	if (with_tariff)
		ck_assert_int_eq(ft_tariff_parse(tariff_text, "t.tariff", NULL, &tariff, &d), 0);
	ck_assert_int_eq(ft_statement_build(&bins, m, 2, tariff, &st, &d), 0);
	ft_diag_done(&d);

	memset(&rep, 0, sizeof(rep));
	snprintf(rep.month, sizeof(rep.month), "2026-10");
	snprintf(rep.zone, sizeof(rep.zone), "Europe/London");
	rep.contract_day = 1;
	rep.st = &st;
	rep.bins = &bins;
	rep.tariff = tariff;
	rep.gaps = &gap;
	rep.n_gaps = 1;
	snprintf(rep.version, sizeof(rep.version), "0.9.0");
	snprintf(rep.config_file, sizeof(rep.config_file), "/etc/flowtally/flowtally.conf");
	snprintf(rep.config_sha256, sizeof(rep.config_sha256), "%064x", 0x1234);
	rep.rrd.state = FT_RRD_CHECK_NOT_DONE;
	snprintf(rep.rrd.why, sizeof(rep.rrd.why), "no RRD directory <configured>");
	rep.notes = notes;
	rep.n_notes = 1;
}

static void teardown(void)
{
	ft_statement_done(&st);
	ft_bins_done(&bins);
	tariff = ft_tariff_free(tariff);
}

static char *page(const char *tenant, int *ret_rc, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	*ret_rc = ft_report_html(f, &rep, tenant);
	ck_assert_int_eq(fclose(f), 0);
	if (ret_len)
		*ret_len = len;
	return text;
}

#define HAS(text, s) ck_assert_msg(strstr((text), (s)) != NULL, "missing: %s", (s))
#define HASNT(text, s) ck_assert_msg(strstr((text), (s)) == NULL, "present: %s", (s))

START_TEST(the_page_shows_the_exact_figures)
{
	build(true);
	int rc;
	char *p = page(NULL, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	/* alpha's in: 576 × 2,000,000,000 + (0 + ... + 575) = 1,152,000,000,000 + 165,600 */
	HAS(p, "1,152,000,165,600 bytes");
	HAS(p, "1,152.00 GB");
	HAS(p, "288,000,000 bytes");            /* out: 576 × 500,000 */
	HAS(p, "0.29 GB");
	HAS(p, "1,234,567");                    /* packets */
	/* N = 575 present (bin 575 missing); rank ceil(0.95 × 575) = 547: bin 546 */
	HAS(p, "Over its 575 present bins, by nearest rank: the 547th");
	HAS(p, "2,000,000,546 bytes");
	/* 2,000,000,546 × 8 / 300 = 53,333,347.89: 53,333,348 bit/s */
	HAS(p, "53,333,348");
	HAS(p, "53.33 Mb/s");
	/* in + out: 2,000,500,546 bytes, × 8 / 300 = 53,346,681.23 */
	HAS(p, "2,000,500,546 bytes");
	HAS(p, "53,346,681");
	/* b<&>: 3,000 bytes a bin out = 80 bit/s */
	HAS(p, "<td class=\"n\">3,000 bytes</td><td class=\"n\">80</td><td class=\"n\">0.00 Mb/s</td>");
	/* the pool of 2,469,135.78 shared equally: 1,234,567.89 each; alpha's fixed 2.50 */
	HAS(p, "\xc2\xa3" "2,469,135.78");
	HAS(p, "\xc2\xa3" "1,234,567.89");
	HAS(p, "\xc2\xa3" "2.50");
	HAS(p, "\xc2\xa3" "1,234,570.39");      /* alpha's total */
	HAS(p, "\xc2\xa3" "1,234,567.89</td></tr>\n</table>");  /* b's total, its only charge */
	HAS(p, "576 of 1,152 bins");             /* weights of the equal pool: bins */
	/* coverage and the period, in UTC and in London */
	HAS(p, "575 of 576 inside its membership (99.82 %)");
	HAS(p, "2026-09-30 23:00 UTC to 2026-10-02 23:00 UTC");
	HAS(p, "2026-10-01 00:00 BST (UTC+01:00) to 2026-10-03 00:00 BST (UTC+01:00)");
	HAS(p, "<td>2026-10-02 22:55 UTC</td><td>2026-10-02 23:00 UTC</td><td class=\"n\">1</td>");
	/* the graph: local day 1 holds bins 0..287, day 2 bins 288..575 */
	HAS(p, "<svg ");
	HAS(p, "2026-10-01: in 576,000,041,328 bytes, out 144,000,000 bytes</title>");
	HAS(p, "2026-10-02: in 576,000,124,272 bytes, out 144,000,000 bytes, missing bins: 1</title>");
	HASNT(p, "2026-10-03:");
	/* provenance */
	HAS(p, "0.9.0");
	HAS(p, "/etc/flowtally/flowtally.conf");
	HAS(p, "t.tariff");
	HAS(p, "sha256 0000000000000000000000000000000000000000000000000000000000001234");
	HAS(p, "0000000000000000000000000000000000000000000000000000000000000abc");
	HAS(p, "/var/lib/flowtally/ledger");
	HAS(p, "Not done: no RRD directory &lt;configured&gt;.");
	HASNT(p, "Generated at");
	/* one section per tenant, by name */
	char *a = strstr(p, "<h2>Alpha Trust</h2>"), *b = strstr(p, "<h2>B &lt;&amp;&gt;");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(a < b);
	free(p);
	teardown();
}
END_TEST

START_TEST(strings_from_data_are_escaped)
{
	build(true);
	int rc;
	char *p = page(NULL, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	HAS(p, "<td>b&lt;&amp;&gt;</td>");
	HAS(p, "B &lt;&amp;&gt; &quot;Co&quot; &#39;Ltd&#39;");
	HAS(p, "CC&amp;2");
	HAS(p, "dark &lt;fibre&gt; &amp; &quot;co&quot;");
	HAS(p, "<li>pool &lt;idle&gt; &amp; co: not charged</li>");
	HASNT(p, "b<&>");
	HASNT(p, "<fibre>");
	HASNT(p, "<idle>");
	free(p);
	teardown();
}
END_TEST

START_TEST(nothing_outside_the_page_is_referred_to)
{
	build(true);
	int rc;
	char *p = page(NULL, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(strncmp(p, "<!DOCTYPE html>\n", 16), 0);
	HAS(p, "<style>");
	static const char *const bad[] = { "http://", "https://", "src=", "<link", "@import", "url(", "<script",
	                                   "href=" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		HASNT(p, bad[i]);
	free(p);
	teardown();
}
END_TEST

START_TEST(two_runs_give_the_same_bytes_and_tz_comes_back)
{
	build(true);
	setenv("TZ", "America/New_York", 1);
	int rc1, rc2;
	size_t n1, n2;
	char *p1 = page(NULL, &rc1, &n1);
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
	unsetenv("TZ");
	char *p2 = page(NULL, &rc2, &n2);
	ck_assert_ptr_null(getenv("TZ"));
	ck_assert_int_eq(rc1, 0);
	ck_assert_int_eq(rc2, 0);
	ck_assert_uint_eq(n1, n2);
	ck_assert_int_eq(memcmp(p1, p2, n1), 0);
	free(p1);
	free(p2);
	/* generated_at appears only when given */
	snprintf(rep.generated_at, sizeof(rep.generated_at), "2026-11-01T09:00:00Z");
	p1 = page(NULL, &rc1, NULL);
	HAS(p1, "Generated at 2026-11-01T09:00:00Z.");
	free(p1);
	teardown();
}
END_TEST

START_TEST(the_filter_keeps_one_tenant)
{
	build(true);
	int rc;
	size_t n;
	char *p = page("alpha", &rc, NULL);
	ck_assert_int_eq(rc, 0);
	HAS(p, "<h2>Alpha Trust</h2>");
	HAS(p, "CC-0001");
	HASNT(p, "CC&amp;2");
	HASNT(p, "B &lt;&amp;&gt;");
	HAS(p, "Provenance");
	free(p);
	p = page("b<&>", &rc, NULL);
	ck_assert_int_eq(rc, 0);
	HAS(p, "CC&amp;2");
	HASNT(p, "CC-0001");
	free(p);
	p = page("nobody", &rc, &n);
	ck_assert_int_eq(rc, -ENOENT);
	ck_assert_uint_eq(n, 0);                /* nothing written */
	free(p);
	teardown();
}
END_TEST

START_TEST(without_a_tariff_only_volumes)
{
	build(false);
	int rc;
	char *p = page(NULL, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	HAS(p, "no tariff: volumes only");
	HAS(p, "1,152,000,165,600 bytes");
	HASNT(p, "Pool amount");
	HASNT(p, "\xc2\xa3");
	free(p);
	teardown();
}
END_TEST

START_TEST(a_write_error_is_eio)
{
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		return;                 /* no /dev/full here: nothing to try */
	build(true);
	ck_assert_int_eq(ft_report_html(f, &rep, NULL), -EIO);
	fclose(f);
	teardown();
}
END_TEST

/* The tags nest and close (void elements aside), read by Python's html.parser: run when
 * python3 is there. */
static const char checker[] =
	"import sys, html.parser\n"
	"VOID = {'meta','br','rect','line','area','base','col','embed','hr','img','input','source','wbr'}\n"
	"class P(html.parser.HTMLParser):\n"
	"    def __init__(s):\n"
	"        super().__init__(convert_charrefs=True); s.stack = []; s.bad = []\n"
	"    def handle_starttag(s, t, a):\n"
	"        if t not in VOID: s.stack.append(t)\n"
	"    def handle_startendtag(s, t, a):\n"
	"        pass\n"
	"    def handle_endtag(s, t):\n"
	"        if t in VOID: return\n"
	"        if not s.stack or s.stack[-1] != t: s.bad.append((t, list(s.stack))); return\n"
	"        s.stack.pop()\n"
	"p = P(); p.feed(open(sys.argv[1], encoding='utf-8').read()); p.close()\n"
	"sys.exit(1 if p.bad or p.stack else 0)\n";

START_TEST(the_document_parses)
{
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return;                 /* no python3: the other cases stand */
	build(true);
	char dir[] = "/tmp/ft_html_XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char html[64], py[64], cmd[256];
	snprintf(html, sizeof(html), "%s/page.html", dir);
	snprintf(py, sizeof(py), "%s/check.py", dir);
	FILE *f = fopen(html, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ft_report_html(f, &rep, NULL), 0);
	ck_assert_int_eq(fclose(f), 0);
	f = fopen(py, "w");
	ck_assert_ptr_nonnull(f);
	fputs(checker, f);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "timeout 30 python3 %s %s", py, html);
	int rc = system(cmd);
	unlink(html);
	unlink(py);
	rmdir(dir);
	ck_assert_int_eq(rc, 0);
	teardown();
}
END_TEST

/* October 2026 in London: 31 local days, the 25th 25 hours long (BST ends), so one byte
 * a bin makes 288 a day and 300 on the 25th; contract day 1, no tariff. */
START_TEST(the_graph_sums_local_days)
{
	int64_t start, end;
	ck_assert_int_eq(ft_recharge_month("2026-10", "Europe/London", 1, &start, &end), 0);
	size_t n = (size_t)ft_recharge_bins(start, end);
	ck_assert_uint_eq(n, 8940);
	memset(&bins, 0, sizeof(bins));
	bins.start_ms = start;
	bins.end_ms = end;
	bins.n_bins = n;
	bins.present = malloc(n);
	memset(bins.present, 1, n);
	bins.present_bins = n;
	bins.series = calloc(1, sizeof(*bins.series));
	struct ft_bin_series *s = &bins.series[bins.n_series++];
	snprintf(s->tenant, sizeof(s->tenant), "alpha");
	s->in = calloc(n, sizeof(*s->in));
	s->out = calloc(n, sizeof(*s->out));
	for (size_t k = 0; k < n; k++)
		s->in[k] = 1;
	s->vin.bytes = n;
	struct ft_statement_member m = { .name = "alpha", .from_ms = INT64_MIN, .until_ms = INT64_MAX };
	struct ft_diag d = { 0 };
	ck_assert_int_eq(ft_statement_build(&bins, &m, 1, NULL, &st, &d), 0);
	ft_diag_done(&d);
	tariff = NULL;
	memset(&rep, 0, sizeof(rep));
	snprintf(rep.month, sizeof(rep.month), "2026-10");
	snprintf(rep.zone, sizeof(rep.zone), "Europe/London");
	rep.contract_day = 1;
	rep.st = &st;
	rep.bins = &bins;
	int rc;
	char *p = page(NULL, &rc, NULL);
	ck_assert_int_eq(rc, 0);
	HAS(p, "2026-10-01 00:00 BST (UTC+01:00) to 2026-11-01 00:00 GMT (UTC+00:00)");
	HAS(p, "2026-09-30 23:00 UTC to 2026-11-01 00:00 UTC");
	HAS(p, "2026-10-01: in 288 bytes, out 0 bytes</title>");
	HAS(p, "2026-10-24: in 288 bytes, out 0 bytes</title>");
	HAS(p, "2026-10-25: in 300 bytes, out 0 bytes</title>");
	HAS(p, "2026-10-31: in 288 bytes, out 0 bytes</title>");
	HASNT(p, "2026-09-30:");
	HASNT(p, "2026-11-01:");
	HAS(p, "8,940 bytes");
	HAS(p, "No bin of the month is missing.");
	free(p);
	teardown();
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("recharge_html");
	TCase *tc = tcase_create("html");
	tcase_add_test(tc, the_page_shows_the_exact_figures);
	tcase_add_test(tc, strings_from_data_are_escaped);
	tcase_add_test(tc, nothing_outside_the_page_is_referred_to);
	tcase_add_test(tc, two_runs_give_the_same_bytes_and_tz_comes_back);
	tcase_add_test(tc, the_filter_keeps_one_tenant);
	tcase_add_test(tc, without_a_tariff_only_volumes);
	tcase_add_test(tc, a_write_error_is_eio);
	tcase_add_test(tc, the_document_parses);
	tcase_add_test(tc, the_graph_sums_local_days);
	suite_add_tcase(s, tc);
	return s;
}
