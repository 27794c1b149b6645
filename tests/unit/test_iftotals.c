/* The exact interface totals (iftotals.h, exporters/iftotals): the line format both
 * ways, damage found by the check, the sink's day files and its refusal to write a step
 * twice (also across a restart), and the sums over a range compared with sums made
 * here from the steps given. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/iftotals.h"
#include "flowtally/log.h"
#include "flowtally/sink.h"
#include "flowtally/snmp.h"

Suite *ft_test_suite(void);

#define DAY_MS 86400000LL
#define MIN5_MS 300000LL
#define D1 1764547200000LL          /* 2025-12-01T00:00:00Z */
#define D2 (D1 + DAY_MS)            /* 2025-12-02T00:00:00Z */
#define ALL_KNOWN 0xffu

static char dir[256];                /* the data directory */
static char ifdir[300];              /* its interfaces/ */

static void setup(void)
{
	ft_log_level = -1;          /* the damaged lines' warnings are meant */
	snprintf(dir, sizeof(dir), "/tmp/ft-iftotals-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ifdir, sizeof(ifdir), "%s/interfaces", dir);
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A step with every byte not set here zero, so that two steps compare field by field. */
static struct ft_if_step step(const char *dev, const char *key, uint32_t ifindex, int64_t start_ms,
                              uint64_t base)
{
	struct ft_if_step s;
	memset(&s, 0, sizeof(s));
	snprintf(s.device, sizeof(s.device), "%s", dev);
	snprintf(s.key, sizeof(s.key), "%s", key);
	s.ifindex = ifindex;
	s.start_ms = start_ms;
	s.known = ALL_KNOWN;
	for (int i = 0; i < FT_IF_COUNTERS; i++)
		s.v[i] = base + (uint64_t)i * 1000003u;
	s.speed_bps = 10000000000ull;
	s.oper_status = 1;
	return s;
}

static void unknown(struct ft_if_step *s, int i, enum ft_snmp_verdict why)
{
	s->known &= (uint8_t)~(1u << i);
	s->verdict[i] = (uint8_t)why;
	s->v[i] = 0;
}

static void assert_same_step(const struct ft_if_step *a, const struct ft_if_step *b)
{
	ck_assert_mem_eq(a->device, b->device, sizeof(a->device));
	ck_assert_mem_eq(a->key, b->key, sizeof(a->key));
	ck_assert_uint_eq(a->ifindex, b->ifindex);
	ck_assert_int_eq(a->start_ms, b->start_ms);
	ck_assert_uint_eq(a->known, b->known);
	for (int i = 0; i < FT_IF_COUNTERS; i++) {
		ck_assert_uint_eq(a->verdict[i], b->verdict[i]);
		ck_assert_uint_eq(a->v[i], b->v[i]);
	}
	ck_assert_uint_eq(a->speed_bps, b->speed_bps);
	ck_assert_int_eq(a->oper_status, b->oper_status);
}

static void round_trip(const struct ft_if_step *s)
{
	char line[1024];
	struct ft_if_step back;
	int n = ft_iftotals_format(s, line, sizeof(line));
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(line), (size_t)n);
	ck_assert_ptr_null(strchr(line, '\n'));
	size_t tabs = 0;
	for (const char *p = line; *p; p++)
		tabs += *p == '\t';
	ck_assert_uint_eq(tabs, 17);        /* 18 fields whatever the names hold */
	memset(&back, 0x5a, sizeof(back));
	ck_assert_msg(ft_iftotals_parse(line, &back) == 0, "does not parse back: %s", line);
	assert_same_step(s, &back);
}

/* ---- the line ------------------------------------------------------------------------------ */

START_TEST(a_step_with_all_counters_known_reads_back_exactly)
{
	struct ft_if_step s = step("r1", "ge-0/0/0", 5, D1 + 10 * MIN5_MS, 123456789);
	round_trip(&s);
	char line[1024];
	ft_iftotals_format(&s, line, sizeof(line));
	ck_assert_msg(strncmp(line, "v1\t2025-12-01T00:50:00", 22) == 0, "%s", line);
	ck_assert_msg(strstr(line, "\tff\t") && strstr(line, "\t-\t10000000000\t1\t"), "%s", line);
}
END_TEST

START_TEST(unknown_counters_keep_their_reasons)
{
	for (unsigned v = FT_SNMP_WRAP; v < FT_SNMP__VERDICTS; v++) {
		struct ft_if_step s = step("r1", "xe-1/2/3", 7, D1, 99);
		unknown(&s, (int)(v % FT_IF_COUNTERS), v);
		round_trip(&s);
	}
	struct ft_if_step s = step("r1", "xe-1/2/3", 7, D1, 99);
	unknown(&s, 0, FT_SNMP_RESTART);
	unknown(&s, 1, FT_SNMP_NO_ANSWER);
	unknown(&s, 5, FT_SNMP_DISCONTINUITY);
	round_trip(&s);
	char line[1024];
	ft_iftotals_format(&s, line, sizeof(line));
	ck_assert_msg(strstr(line, "\tdc\t0\t0\t") != NULL, "%s", line);
	ck_assert_msg(strstr(line, "\trestart,no_answer,normal,normal,normal,discontinuity,normal,normal\t"),
	              "%s", line);
	struct ft_if_step none = step("r1", "xe-1/2/3", 7, D1, 99);
	for (int i = 0; i < FT_IF_COUNTERS; i++)
		unknown(&none, i, FT_SNMP_GAP);
	none.speed_bps = 0;
	none.oper_status = 0;
	round_trip(&none);
}
END_TEST

START_TEST(names_with_any_byte_are_escaped_and_restored)
{
	static const char *const names[] = { "tab\there", "new\nline", "cr\rhere", "100%", "%41", "%%",
	                                     "a b  c ", " lead", "Gig\xc3\xa4 \xe2\x80\x93 \xc5\xb4", "del\x7f",
	                                     "\x01\x1f", "\xff\xfe", "-", "" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct ft_if_step s = step(names[i], names[sizeof(names) / sizeof(names[0]) - 1 - i], 1, D1, 1);
		round_trip(&s);
	}
	/* the longest names, every byte escaped */
	struct ft_if_step s = step("", "", 1, D1, 1);
	memset(s.device, '%', sizeof(s.device) - 1);
	memset(s.key, '\t', sizeof(s.key) - 1);
	round_trip(&s);
	char line[1024];
	ft_iftotals_format(&s, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "\t%25%25%25"));
	ck_assert_ptr_nonnull(strstr(line, "%09%09%09"));
}
END_TEST

START_TEST(extreme_numbers_read_back_exactly)
{
	struct ft_if_step s = step("r1", "lo0", 2147483647u, D1, 0);
	for (int i = 0; i < FT_IF_COUNTERS; i++)
		s.v[i] = UINT64_MAX - (uint64_t)i;
	s.speed_bps = UINT64_MAX;
	round_trip(&s);
	char line[1024];
	ft_iftotals_format(&s, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "\t2147483647\tff\t18446744073709551615\t18446744073709551614\t"));
	s.ifindex = UINT32_MAX;
	round_trip(&s);
	s = step("r1", "lo0", 0, 0, 0);     /* the epoch, all zero */
	round_trip(&s);
	s = step("r1", "lo0", 1, D1 + 1, 0);        /* not on a step boundary: milliseconds kept */
	round_trip(&s);
}
END_TEST

START_TEST(a_small_buffer_is_refused)
{
	struct ft_if_step s = step("r1", "ge-0/0/0", 5, D1, 1);
	char line[1024];
	int n = ft_iftotals_format(&s, line, sizeof(line));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ft_iftotals_format(&s, line, (size_t)n), -1);
	ck_assert_int_eq(ft_iftotals_format(&s, line, (size_t)n + 1), n);
}
END_TEST

/* body (everything before the check, its last tab included) with its check: a line
 * that passes the check, to try the fields' own tests. */
static void seal(const char *body, char *out, size_t size)
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, strlen(body), (const uint8_t *)body);
	sha256_digest(&c, sizeof(d), d);
	int n = snprintf(out, size, "%s", body);
	for (int i = 0; i < 8; i++)
		n += snprintf(out + n, size - (size_t)n, "%02x", d[i]);
}

/* The sample's body with field i (0: "v1") replaced by with. */
static void with_field(const char *line, int field, const char *with, char *out, size_t size)
{
	char body[1024];
	size_t o = 0;
	int f = 0;
	size_t n = strlen(line) - 16;
	for (size_t i = 0; i < n; i++) {
		if (f == field && line[i] != '\t') {
			if (i == 0 || line[i - 1] == '\t')
				o += (size_t)snprintf(body + o, sizeof(body) - o, "%s", with);
			continue;
		}
		if (line[i] == '\t')
			f++;
		body[o++] = line[i];
	}
	body[o] = '\0';
	seal(body, out, size);
}

static void sample(char *line, size_t size)
{
	struct ft_if_step s = step("r1", "ge 0/0%0", 5, D1 + MIN5_MS, 4000000000ull);
	unknown(&s, 2, FT_SNMP_RESTART);
	ck_assert_int_gt(ft_iftotals_format(&s, line, size), 0);
}

static void refused(const char *line)
{
	struct ft_if_step s;
	ck_assert_msg(ft_iftotals_parse(line, &s) == -EBADMSG, "parsed: %s", line);
}

static void taken(const char *line)
{
	struct ft_if_step s;
	ck_assert_msg(ft_iftotals_parse(line, &s) == 0, "refused: %s", line);
}

START_TEST(one_byte_changed_anywhere_is_found)
{
	char line[1024], bad[1024];
	sample(line, sizeof(line));
	taken(line);
	size_t n = strlen(line);
	static const unsigned char flips[] = { 0x01, 0x20, 0x02, 0x80 };
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(flips); k++) {
			memcpy(bad, line, n + 1);
			bad[i] = (char)(bad[i] ^ flips[k]);
			if (!bad[i])
				continue;
			refused(bad);
		}
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, line, n + 1);
		bad[i] = '0' + (bad[i] == '0');
		refused(bad);
	}
}
END_TEST

START_TEST(a_cut_or_lengthened_line_is_refused)
{
	char line[1024], bad[1100];
	sample(line, sizeof(line));
	size_t n = strlen(line);
	for (size_t k = 0; k < n; k++) {
		memcpy(bad, line, k);
		bad[k] = '\0';
		refused(bad);
	}
	snprintf(bad, sizeof(bad), "%s\n", line);
	refused(bad);
	snprintf(bad, sizeof(bad), "%s0", line);
	refused(bad);
	snprintf(bad, sizeof(bad), " %s", line);
	refused(bad);
}
END_TEST

START_TEST(a_sealed_line_of_wrong_fields_is_refused)
{
	char line[1024], body[1024], bad[1100];
	sample(line, sizeof(line));
	/* the helpers: the sample's own body sealed again, and a field replaced by itself */
	size_t n = strlen(line);
	snprintf(body, sizeof(body), "%.*s", (int)(n - 16), line);
	seal(body, bad, sizeof(bad));
	ck_assert_str_eq(bad, line);
	with_field(line, 6, "4000000000", bad, sizeof(bad));
	ck_assert_str_eq(bad, line);

	/* field counts */
	snprintf(body, sizeof(body), "%.*s0\t", (int)(n - 16), line);      /* a field more */
	seal(body, bad, sizeof(bad));
	refused(bad);
	char *oper = body + n - 16 - 3;     /* "...\t1\t0\t": drop a field */
	snprintf(body, sizeof(body), "%.*s", (int)(n - 16), line);
	ck_assert_str_eq(oper, "\t1\t");
	oper[1] = '\0';
	seal(body, bad, sizeof(bad));
	refused(bad);
	snprintf(body, sizeof(body), "%.*s\t", (int)(n - 16), line);       /* an empty field more */
	seal(body, bad, sizeof(bad));
	refused(bad);
	snprintf(body, sizeof(body), "%.*s", (int)(n - 17), line);         /* no tab before the check */
	seal(body, bad, sizeof(bad));
	refused(bad);
	snprintf(body, sizeof(body), "%.*sXX", (int)(n - 16), line);       /* more than the check after it */
	seal(body, bad, sizeof(bad));
	refused(bad);
	seal("", bad, sizeof(bad));
	refused(bad);
	seal("\t", bad, sizeof(bad));
	refused(bad);

	/* each field's own test; each case's neighbour that must still parse first */
	static const struct {
		int field;
		const char *good, *bad;
	} cases[] = {
		{ 0, "v1", "v2" }, { 0, "v1", "v" }, { 0, "v1", "v10" },
		{ 1, "2025-12-01T00:05:00Z", "2025-13-01T00:05:00Z" }, { 1, "2025-12-01T00:05:00Z", "yesterday" },
		{ 1, "2025-12-01", "" }, { 1, "2262-04-11T00:00:00Z", "2262-04-12T00:00:00Z" },
		{ 1, "2262-04-11T00:00:00Z", "9999-12-31T23:59:59Z" },
		{ 2, "r%2541", "r%2" }, { 2, "r%41", "r%zz" }, { 2, "r%4A", "r%4a" }, { 2, "r%41", "r%" },
		{ 2, "1234567890123456789012345678901", "12345678901234567890123456789012" },
		{ 4, "4294967295", "4294967296" }, { 4, "5", "-5" }, { 4, "5", "" }, { 4, "5", "5x" },
		{ 5, "fb", "fbb" }, { 5, "fb", "b" }, { 5, "fb", "zz" }, { 5, "fb", "" },
		{ 6, "18446744073709551615", "18446744073709551616" },
		{ 6, "18446744073709551615", "99999999999999999999" },
		{ 6, "18446744073709551615", "100000000000000000000" },
		{ 6, "00000000000000000001", "000000000000000000001" },
		{ 6, "4000000000", "4000000000x" }, { 6, "4000000000", "-1" }, { 6, "4000000000", "+1" },
		{ 6, "4000000000", " 1" }, { 6, "4000000000", "" }, { 6, "4000000000", "0x10" },
		{ 13, "1", "1.5" }, { 13, "1", "1e3" },
		{ 14, "normal,normal,restart,normal,normal,normal,normal,normal",
		  "normal,normal,restart,normal,normal,normal,normal" },
		{ 14, "normal,normal,restart,normal,normal,normal,normal,normal",
		  "normal,normal,rebooted,normal,normal,normal,normal,normal" },
		{ 14, "normal,normal,restart,normal,normal,normal,normal,normal", "-" },
		{ 14, "normal,normal,restart,normal,normal,normal,normal,normal", "" },
		{ 15, "18446744073709551615", "18446744073709551616" }, { 15, "0", "" },
		{ 16, "7", "-1" }, { 16, "7", "x" }, { 16, "1000", "1001" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		with_field(line, cases[i].field, cases[i].good, bad, sizeof(bad));
		taken(bad);
		with_field(line, cases[i].field, cases[i].bad, bad, sizeof(bad));
		refused(bad);
	}
	/* "-" stands for all known only */
	struct ft_if_step s = step("r1", "k", 1, D1, 1);
	ck_assert_int_gt(ft_iftotals_format(&s, line, sizeof(line)), 0);
	with_field(line, 5, "fe", bad, sizeof(bad));
	refused(bad);
}
END_TEST

/* ---- the sink ------------------------------------------------------------------------------ */

static struct ft_snmp_device device;
static struct ft_snmp_conf conf = { .devices = &device, .n_devices = 1, .interval_s = 60 };

static void *open_sink(void)
{
	struct ft_sink_env env = { .data_dir = dir, .conf = &conf, .live = true, .step_ms = MIN5_MS };
	void *st = NULL;
	ck_assert_int_eq(ft_iftotals_sink.open(&env, &st), 0);
	ck_assert_ptr_nonnull(st);
	return st;
}

static int64_t stat_of(void *st, const char *name)
{
	struct ft_sink_stat rows[FT_SINK_STATS_MAX];
	size_t n = ft_iftotals_sink.stats(st, rows, FT_SINK_STATS_MAX);
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return rows[i].value;
	ck_abort_msg("no stats row %s", name);
	return -1;
}

/* The lines of a day file, each checked to parse and to start on that day. */
static size_t lines_of(const char *day, int64_t day_ms)
{
	char path[400], line[2048];
	snprintf(path, sizeof(path), "%s/%s.tsv", ifdir, day);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t k = strlen(line);
		ck_assert_msg(k > 0 && line[k - 1] == '\n', "%s: a line without its newline", path);
		line[k - 1] = '\0';
		struct ft_if_step s;
		ck_assert_msg(ft_iftotals_parse(line, &s) == 0, "%s: %s", path, line);
		ck_assert_msg(s.start_ms >= day_ms && s.start_ms < day_ms + DAY_MS, "%s: %s", path, line);
		n++;
	}
	fclose(f);
	return n;
}

static off_t size_of(const char *day)
{
	char path[400];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s.tsv", ifdir, day);
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

START_TEST(it_is_off_without_devices)
{
	struct ft_snmp_conf none = { 0 };
	struct ft_sink_env env = { .data_dir = dir, .conf = &none, .step_ms = MIN5_MS };
	void *st = NULL;
	ck_assert_int_eq(ft_iftotals_sink.open(&env, &st), -ECANCELED);
	env.conf = NULL;
	ck_assert_int_eq(ft_iftotals_sink.open(&env, &st), -ECANCELED);
	struct stat sb;
	ck_assert_int_ne(stat(ifdir, &sb), 0);
	ft_iftotals_sink.close(NULL);
}
END_TEST

/* Two interfaces, steps from 23:50 to 00:05 UTC: two on each day. */
static size_t midnight_steps(struct ft_if_step *s)
{
	size_t n = 0;
	for (int k = 0; k < 2; k++)
		for (int64_t t = D2 - 2 * MIN5_MS; t <= D2 + MIN5_MS; t += MIN5_MS)
			s[n++] = step("r1", k ? "ge-0/0/1" : "ge-0/0/0", (uint32_t)k + 1, t, (uint64_t)(t / 1000));
	return n;
}

START_TEST(steps_across_midnight_go_into_two_day_files)
{
	struct ft_if_step s[16];
	size_t n = midnight_steps(s);
	ck_assert_uint_eq(n, 8);
	void *st = open_sink();
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, s, n), 0);
	ck_assert_uint_eq(lines_of("2025-12-01", D1), 4);
	ck_assert_uint_eq(lines_of("2025-12-02", D2), 4);
	ck_assert_int_eq(stat_of(st, "lines"), 8);
	ck_assert_int_eq(stat_of(st, "skipped_older"), 0);
	ck_assert_int_eq(stat_of(st, "file_errors"), 0);
	ft_iftotals_sink.close(st);
}
END_TEST

START_TEST(a_step_given_again_is_not_written_again)
{
	struct ft_if_step s[16];
	size_t n = midnight_steps(s);
	void *st = open_sink();
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, s, n), 0);
	off_t a = size_of("2025-12-01"), b = size_of("2025-12-02");
	ck_assert_int_gt(a, 0);
	ck_assert_int_gt(b, 0);
	/* the same sink */
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, s, n), 0);
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, s + 1, 2), 0);
	ck_assert_int_eq(stat_of(st, "lines"), 8);
	ck_assert_int_eq(stat_of(st, "skipped_older"), 10);
	ck_assert_int_eq(size_of("2025-12-01"), a);
	ck_assert_int_eq(size_of("2025-12-02"), b);
	ft_iftotals_sink.close(st);
	/* a restart: a new sink on the same directory */
	st = open_sink();
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, s, n), 0);
	ck_assert_int_eq(stat_of(st, "lines"), 0);
	ck_assert_int_eq(stat_of(st, "skipped_older"), 8);
	ck_assert_int_eq(size_of("2025-12-01"), a);
	ck_assert_int_eq(size_of("2025-12-02"), b);
	/* and a newer step still goes in, once */
	struct ft_if_step next = step("r1", "ge-0/0/1", 2, D2 + 2 * MIN5_MS, 1);
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, &next, 1), 0);
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, &next, 1), 0);
	ck_assert_int_eq(stat_of(st, "lines"), 1);
	ck_assert_uint_eq(lines_of("2025-12-02", D2), 5);
	ft_iftotals_sink.close(st);
}
END_TEST

/* A poll cycle names its interfaces in ifIndex order, not by name: the sink's own
 * order of them must not mix up which interface a step was written for. */
START_TEST(many_interfaces_in_any_order_are_each_written_once)
{
	enum { N = 200 };
	static struct ft_if_step s[2 * N];
	for (int i = 0; i < N; i++) {
		char key[32];
		snprintf(key, sizeof(key), "if%03d", (i * 37) % N);
		s[i] = step("r1", key, (uint32_t)i + 1, D1, (uint64_t)i);
		s[N + i] = step("r1", key, (uint32_t)i + 1, D1 + MIN5_MS, (uint64_t)i);
	}
	void *st = open_sink();
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, s, N), 0);
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, s, N), 0);
	ck_assert_int_eq(stat_of(st, "lines"), N);
	ck_assert_int_eq(stat_of(st, "skipped_older"), N);
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, s, 2 * N), 0);
	ck_assert_int_eq(stat_of(st, "lines"), 2 * N);
	ck_assert_int_eq(stat_of(st, "skipped_older"), 2 * N);
	ft_iftotals_sink.close(st);
	ck_assert_uint_eq(lines_of("2025-12-01", D1), 2 * N);
	st = open_sink();
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, s, 2 * N), 0);
	ck_assert_int_eq(stat_of(st, "lines"), 0);
	ck_assert_int_eq(stat_of(st, "skipped_older"), 2 * N);
	ft_iftotals_sink.close(st);
	ck_assert_uint_eq(lines_of("2025-12-01", D1), 2 * N);
}
END_TEST

/* ---- sums ---------------------------------------------------------------------------------- */

/* Three interfaces over two days, some counters unknown; the expected rows are made
 * here from the same steps. */
#define SUM_STEPS 60
static struct ft_if_step sum_steps[SUM_STEPS];

static size_t make_sum_steps(void)
{
	static const char *const devs[] = { "r2", "r1", "r1" }, *const keys[] = { "a", "b", "a" };
	size_t n = 0;
	for (int t = 0; t < SUM_STEPS / 3; t++)
		for (int k = 0; k < 3; k++) {
			int64_t start = D2 - 10 * MIN5_MS + t * MIN5_MS;  /* 10 steps on each day */
			struct ft_if_step s = step(devs[k], keys[k], (uint32_t)(10 + k + (t >= 15)), start,
			                           (1ull << 58) + (uint64_t)t * 1000000007ull + (uint64_t)k);
			if (k == 1 && t % 4 == 1)
				unknown(&s, 0, FT_SNMP_RESTART);
			if (k == 1 && t % 4 == 3)
				unknown(&s, 0, FT_SNMP_NO_ANSWER);
			if (k == 2 && t % 5 == 2)
				unknown(&s, 3, FT_SNMP_DISCONTINUITY);  /* not octets: no reason counted */
			if (k == 0 && t == 7)
				for (int i = 0; i < FT_IF_COUNTERS; i++)
					unknown(&s, i, FT_SNMP_GAP);
			sum_steps[n++] = s;
		}
	return n;
}

static void write_sum_steps(void)
{
	size_t n = make_sum_steps();
	void *st = open_sink();
	ck_assert_int_eq(ft_iftotals_sink.write_interfaces(st, sum_steps, n), 0);
	ck_assert_int_eq(stat_of(st, "lines"), (int64_t)n);
	ft_iftotals_sink.close(st);
}

/* Checks r against the steps starting in [from, to) but those marked skip. */
static void assert_sums(const struct ft_iftotals_result *r, int64_t from, int64_t to, const bool *skip)
{
	static const char *const order[][2] = { { "r1", "a" }, { "r1", "b" }, { "r2", "a" } };
	size_t want_rows = 0;
	for (size_t k = 0; k < 3; k++) {
		struct ft_iftotals_row w;
		memset(&w, 0, sizeof(w));
		for (size_t i = 0; i < SUM_STEPS; i++) {
			const struct ft_if_step *s = &sum_steps[i];
			if (strcmp(s->device, order[k][0]) || strcmp(s->key, order[k][1]) || s->start_ms < from ||
			    s->start_ms >= to || (skip && skip[i]))
				continue;
			if (!w.steps)
				w.first_ms = s->start_ms;
			w.steps++;
			w.last_ms = s->start_ms;
			w.ifindex = s->ifindex;
			for (int c = 0; c < FT_IF_COUNTERS; c++)
				if (s->known & (1u << c)) {
					w.v[c] += s->v[c];
					w.known_steps[c]++;
				}
			if (!(s->known & 1u))
				w.unknown[s->verdict[0]]++;
		}
		if (!w.steps)
			continue;
		ck_assert_uint_lt(want_rows, r->n_rows);
		const struct ft_iftotals_row *g = &r->rows[want_rows++];
		ck_assert_str_eq(g->device, order[k][0]);
		ck_assert_str_eq(g->key, order[k][1]);
		ck_assert_uint_eq(g->steps, w.steps);
		ck_assert_uint_eq(g->ifindex, w.ifindex);
		ck_assert_int_eq(g->first_ms, w.first_ms);
		ck_assert_int_eq(g->last_ms, w.last_ms);
		for (int c = 0; c < FT_IF_COUNTERS; c++) {
			ck_assert_uint_eq(g->v[c], w.v[c]);
			ck_assert_uint_eq(g->known_steps[c], w.known_steps[c]);
		}
		for (int v = 0; v < FT_SNMP__VERDICTS; v++)
			ck_assert_uint_eq(g->unknown[v], w.unknown[v]);
	}
	ck_assert_uint_eq(r->n_rows, want_rows);
}

START_TEST(sums_are_exact_per_interface_and_known_counts_only)
{
	write_sum_steps();
	struct ft_iftotals_result r;
	ck_assert_int_eq(ft_iftotals_sum(ifdir, D1, D2 + DAY_MS, &r), 0);
	ck_assert_uint_eq(r.files, 2);
	ck_assert_uint_eq(r.lines, SUM_STEPS);
	ck_assert_uint_eq(r.bad_lines, 0);
	assert_sums(&r, D1, D2 + DAY_MS, NULL);
	/* the figures themselves, for one row: r1/b lost octets in 10 of its 20 steps */
	ck_assert_uint_eq(r.n_rows, 3);
	ck_assert_uint_eq(r.rows[1].known_steps[0], 10);
	ck_assert_uint_eq(r.rows[1].known_steps[1], 20);
	ck_assert_uint_eq(r.rows[1].unknown[FT_SNMP_RESTART], 5);
	ck_assert_uint_eq(r.rows[1].unknown[FT_SNMP_NO_ANSWER], 5);
	ck_assert_uint_eq(r.rows[1].v[1], 20 * ((1ull << 58) + 1 + 1000003u) + 190 * 1000000007ull);
	ck_assert_uint_eq(r.rows[2].unknown[FT_SNMP_GAP], 1);
	ck_assert_uint_eq(r.rows[2].ifindex, 11);
	ft_iftotals_result_done(&r);
	ck_assert_ptr_null(r.rows);
}
END_TEST

START_TEST(the_range_takes_its_start_and_not_its_end)
{
	write_sum_steps();
	struct ft_iftotals_result r;
	/* steps start every 5 minutes from D2 - 50 min; [D2 - 20 min, D2 + 15 min) takes 7 of each */
	int64_t from = D2 - 4 * MIN5_MS, to = D2 + 3 * MIN5_MS;
	ck_assert_int_eq(ft_iftotals_sum(ifdir, from, to, &r), 0);
	assert_sums(&r, from, to, NULL);
	ck_assert_uint_eq(r.rows[0].steps, 7);
	ck_assert_int_eq(r.rows[0].first_ms, from);
	ck_assert_int_eq(r.rows[0].last_ms, to - MIN5_MS);
	ft_iftotals_result_done(&r);
	/* one millisecond either way */
	ck_assert_int_eq(ft_iftotals_sum(ifdir, from + 1, to + 1, &r), 0);
	assert_sums(&r, from + 1, to + 1, NULL);
	ck_assert_uint_eq(r.rows[0].steps, 7);
	ck_assert_int_eq(r.rows[0].first_ms, from + MIN5_MS);
	ck_assert_int_eq(r.rows[0].last_ms, to);
	ft_iftotals_result_done(&r);
	/* the second day alone: the first day's file is not read */
	ck_assert_int_eq(ft_iftotals_sum(ifdir, D2, D2 + DAY_MS, &r), 0);
	ck_assert_uint_eq(r.files, 1);
	ck_assert_uint_eq(r.lines, SUM_STEPS / 2);
	assert_sums(&r, D2, D2 + DAY_MS, NULL);
	ft_iftotals_result_done(&r);
	/* an empty range, and one before everything */
	ck_assert_int_eq(ft_iftotals_sum(ifdir, D2, D2, &r), 0);
	ck_assert_uint_eq(r.n_rows, 0);
	ft_iftotals_result_done(&r);
	ck_assert_int_eq(ft_iftotals_sum(ifdir, 0, D1, &r), 0);
	ck_assert_uint_eq(r.n_rows, 0);
	ck_assert_uint_eq(r.files, 0);
	ft_iftotals_result_done(&r);
}
END_TEST

/* Changes one digit (of C1) in the nth line (from 0) of a day file, in place. */
static void damage_line(const char *day, int nth)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s.tsv", ifdir, day);
	FILE *f = fopen(path, "r+");
	ck_assert_ptr_nonnull(f);
	char line[2048];
	long off = 0;
	for (int i = 0; i < nth; i++) {
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
		off = ftell(f);
	}
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	/* the first digit of C1, after the 7th tab */
	char *p = line;
	for (int t = 0; t < 7; t++)
		p = strchr(p, '\t') + 1;
	*p = *p == '9' ? '8' : (char)(*p + 1);
	fseek(f, off, SEEK_SET);
	fputs(line, f);
	fclose(f);
}

START_TEST(a_damaged_line_is_counted_and_its_step_left_out)
{
	write_sum_steps();
	damage_line("2025-12-02", 4);       /* the second day's 5th line */
	bool skip[SUM_STEPS] = { false };
	skip[SUM_STEPS / 2 + 4] = true;
	struct ft_iftotals_result r;
	ck_assert_int_eq(ft_iftotals_sum(ifdir, D1, D2 + DAY_MS, &r), 0);
	ck_assert_uint_eq(r.bad_lines, 1);
	ck_assert_uint_eq(r.lines, SUM_STEPS - 1);
	assert_sums(&r, D1, D2 + DAY_MS, skip);
	ft_iftotals_result_done(&r);
}
END_TEST

START_TEST(a_file_cut_short_counts_one_bad_line)
{
	write_sum_steps();
	char path[400], line[1024];
	snprintf(path, sizeof(path), "%s/2025-12-02.tsv", ifdir);
	/* a whole valid line, its newline never written */
	struct ft_if_step last = step("r1", "a", 12, D2 + 20 * MIN5_MS, 5);
	ck_assert_int_gt(ft_iftotals_format(&last, line, sizeof(line)), 0);
	FILE *f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs(line, f);
	fclose(f);
	struct ft_iftotals_result r;
	ck_assert_int_eq(ft_iftotals_sum(ifdir, D1, D2 + DAY_MS, &r), 0);
	ck_assert_uint_eq(r.bad_lines, 1);
	ck_assert_uint_eq(r.lines, SUM_STEPS);
	assert_sums(&r, D1, D2 + DAY_MS, NULL);
	ft_iftotals_result_done(&r);
	/* a half line: the same */
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "\n%.40s", line);
	fclose(f);
	ck_assert_int_eq(ft_iftotals_sum(ifdir, D1, D2 + DAY_MS, &r), 0);
	ck_assert_uint_eq(r.bad_lines, 1);
	ck_assert_uint_eq(r.lines, SUM_STEPS + 1);
	ft_iftotals_result_done(&r);
}
END_TEST

START_TEST(a_missing_directory_is_said)
{
	struct ft_iftotals_result r;
	ck_assert_int_eq(ft_iftotals_sum(ifdir, D1, D2, &r), -ENOENT);
	ck_assert_uint_eq(r.n_rows, 0);
	ck_assert_ptr_null(r.rows);
	ft_iftotals_result_done(&r);
	/* other files in the directory are not day files */
	ck_assert_int_eq(mkdir(ifdir, 0750), 0);
	char path[400];
	snprintf(path, sizeof(path), "%s/notes.txt", ifdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a line\n", f);
	fclose(f);
	ck_assert_int_eq(ft_iftotals_sum(ifdir, D1, D2, &r), 0);
	ck_assert_uint_eq(r.files, 0);
	ck_assert_uint_eq(r.bad_lines, 0);
	ft_iftotals_result_done(&r);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("iftotals");
	TCase *tc = tcase_create("lines");
	tcase_add_test(tc, a_step_with_all_counters_known_reads_back_exactly);
	tcase_add_test(tc, unknown_counters_keep_their_reasons);
	tcase_add_test(tc, names_with_any_byte_are_escaped_and_restored);
	tcase_add_test(tc, extreme_numbers_read_back_exactly);
	tcase_add_test(tc, a_small_buffer_is_refused);
	tcase_add_test(tc, one_byte_changed_anywhere_is_found);
	tcase_add_test(tc, a_cut_or_lengthened_line_is_refused);
	tcase_add_test(tc, a_sealed_line_of_wrong_fields_is_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("sink and sums");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, it_is_off_without_devices);
	tcase_add_test(tc, steps_across_midnight_go_into_two_day_files);
	tcase_add_test(tc, a_step_given_again_is_not_written_again);
	tcase_add_test(tc, many_interfaces_in_any_order_are_each_written_once);
	tcase_add_test(tc, sums_are_exact_per_interface_and_known_counts_only);
	tcase_add_test(tc, the_range_takes_its_start_and_not_its_end);
	tcase_add_test(tc, a_damaged_line_is_counted_and_its_step_left_out);
	tcase_add_test(tc, a_file_cut_short_counts_one_bad_line);
	tcase_add_test(tc, a_missing_directory_is_said);
	suite_add_tcase(s, tc);
	return s;
}
