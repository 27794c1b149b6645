/* Step ledger: steps written and read back exactly, across reopening and day files;
 * old steps refused; every kind of damage (a digit, a line, a block, the chain, a crash
 * mid-block, a broken contract) reported as file:line; damage at open quarantined and
 * collection going on; HEAD catching removed blocks and files; torn writes told from
 * committed blocks damaged later; empty day files; acknowledgements; sums over a range. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/clock.h"
#include "flowtally/ledger.h"
#include "flowtally/log.h"

#define MIN_MS 60000LL
#define DAY_MS 86400000LL

static char dir[64];
static struct ft_diag diag;

/* ---- helpers ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ft-ledger-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ft_log_level = getenv("FT_TEST_LOG") ? FT_LOG_DEBUG : FT_LOG_ERR - 1;  /* the damage below is meant */
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	ft_diag_done(&diag);
}

static int64_t t(const char *s)
{
	int64_t ms;
	ck_assert_msg(ft_time_parse_utc(s, &ms) == 0, "bad time %s", s);
	return ms;
}

static struct ft_step_cell cell(const char *tenant, int dir_, const char *class_, uint64_t b,
                                uint64_t p, uint64_t f)
{
	struct ft_step_cell c = { .direction = (uint8_t)dir_, .v = { b, p, f } };
	snprintf(c.tenant, sizeof(c.tenant), "%s", tenant);
	snprintf(c.class_, sizeof(c.class_), "%s", class_);
	return c;
}

static void vol_add(struct ft_volume *a, const struct ft_volume *b)
{
	a->bytes += b->bytes, a->packets += b->packets, a->flows += b->flows;
}

/* A step from cells (copied); total = out + in, so unattributed_src is the in side and
 * unattributed_dst the out side: the contract holds. */
static struct ft_step step_of(int64_t start, int64_t len, const struct ft_step_cell *c, size_t n)
{
	struct ft_step s = { .start_ms = start, .length_ms = len, .n_cells = n };
	struct ft_volume out = { 0 }, in = { 0 };
	s.cells = calloc(n ? n : 1, sizeof(*c));
	memcpy(s.cells, c, n * sizeof(*c));
	for (size_t i = 0; i < n; i++)
		vol_add(c[i].direction == FT_DIR_OUT ? &out : &in, &c[i].v);
	s.unattributed_src = in;
	s.unattributed_dst = out;
	s.total = out;
	vol_add(&s.total, &in);
	s.late = (struct ft_volume){ 7, 1, 1 };
	s.not_accounted = (struct ft_volume){ 11, 2, 1 };
	snprintf(s.map_id, sizeof(s.map_id), "%s", "5f1e0c");
	return s;
}

/* Step number k at start: two tenants, two classes, numbers that depend on k. */
static struct ft_step step_k(int64_t start, uint64_t k)
{
	struct ft_step_cell c[] = {
		cell("acme", FT_DIR_OUT, "internet", 1000 * k + 1, 10 * k + 1, k + 1),
		cell("acme", FT_DIR_IN, "internet", 2000 * k + 3, 20 * k + 3, k + 2),
		cell("beta", FT_DIR_OUT, "janet", 500 + k, 5, 1),
		cell("beta", FT_DIR_IN, "partner", 700 + k, 7, 1),
	};
	return step_of(start, MIN_MS, c, 4);
}

static void append_ok(struct ft_ledger *l, struct ft_step s)
{
	ck_assert_int_eq(ft_ledger_append(l, &s), 0);
	ft_step_done(&s);
}

/* Writes steps k = 0 .. n-1, one minute apart from start. */
static void write_steps(int64_t start, int n)
{
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	for (int k = 0; k < n; k++)
		append_ok(l, step_k(start + k * MIN_MS, (uint64_t)k));
	ft_ledger_close(l);
}

struct read_result {
	int good, bad, breaks;
	int64_t starts[64];
	struct ft_ledger_break brk[4];
};

static struct read_result read_range(int64_t from, int64_t to)
{
	struct read_result rr = { 0 };
	struct ft_ledger_reader *r;
	struct ft_step s;
	int rc;
	ck_assert_int_eq(ft_ledger_reader_open(dir, from, to, &r), 0);
	while ((rc = ft_ledger_reader_next(r, &s, &diag)) != 0) {
		if (rc < 0) {
			rr.bad++;
			continue;
		}
		if (rc == 2) {
			if (rr.breaks < 4)
				rr.brk[rr.breaks] = *ft_ledger_reader_break(r);
			rr.breaks++;
			continue;
		}
		ck_assert_int_eq(ft_step_check(&s), 0);
		if (rr.good < 64)
			rr.starts[rr.good] = s.start_ms;
		rr.good++;
		ft_step_done(&s);
	}
	ft_ledger_reader_free(r);
	return rr;
}

static struct read_result read_all(void)
{
	return read_range(INT64_MIN, INT64_MAX);
}

static bool diag_has(const char *needle)
{
	for (size_t i = 0; i < diag.n; i++)
		if (strstr(diag.lines[i], needle))
			return true;
	return false;
}

static void dump_diag(void)
{
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "  diag: %s\n", diag.lines[i]);
}

static const char *day_file(const char *day)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s.ledger", dir, day);
	return path;
}

/* ---- a day file as lines, to damage it ---- */

struct lines {
	char *v[512];
	size_t n;
};

static void load(const char *path, struct lines *L)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ck_assert_ptr_nonnull(f);
	L->n = 0;
	while (getline(&line, &cap, f) > 0 && L->n < 512)
		L->v[L->n++] = strdup(line);
	free(line);
	fclose(f);
}

static void save(const char *path, struct lines *L)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < L->n; i++) {
		fputs(L->v[i], f);
		free(L->v[i]);
	}
	fclose(f);
	L->n = 0;
}

/* Index of the nth (0-based) line that starts with prefix. */
static size_t nth(const struct lines *L, const char *prefix, int n)
{
	for (size_t i = 0; i < L->n; i++)
		if (strncmp(L->v[i], prefix, strlen(prefix)) == 0 && n-- == 0)
			return i;
	ck_abort_msg("no line %s number %d", prefix, n);
	return 0;
}

static void replace(struct lines *L, size_t i, const char *text)
{
	free(L->v[i]);
	L->v[i] = strdup(text);
}

static void drop(struct lines *L, size_t i)
{
	free(L->v[i]);
	memmove(&L->v[i], &L->v[i + 1], (L->n - i - 1) * sizeof(L->v[0]));
	L->n--;
}

/* Recomputes the E line of the block whose B line is at index b, as a forger would. */
static void rehash(struct lines *L, size_t b)
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	char e[128], hex[65];
	size_t i = b;
	sha256_init(&ctx);
	for (; L->v[i][0] != 'E'; i++)
		sha256_update(&ctx, strlen(L->v[i]), (const uint8_t *)L->v[i]);
	sha256_digest(&ctx, sizeof(d), d);
	for (int k = 0; k < 32; k++)
		snprintf(hex + 2 * k, 3, "%02x", d[k]);
	snprintf(e, sizeof(e), "E\t%.20s\t%s\n", L->v[i] + 2, hex);
	replace(L, i, e);
}

static off_t file_size(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* A file of the ledger directory (HEAD), whole. */
static const char *read_text(const char *name)
{
	static char buf[4096];
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_text(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Files in DIR/quarantine/. */
static int quarantined(void)
{
	char path[128];
	int n = 0;
	snprintf(path, sizeof(path), "%s/quarantine", dir);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* ---- tests ---- */

START_TEST(steps_read_back_exactly)
{
	int64_t t0 = t("2026-11-01T10:00:00Z");
	write_steps(t0, 3);
	struct ft_ledger_reader *r;
	struct ft_step s;
	ck_assert_int_eq(ft_ledger_reader_open(dir, INT64_MIN, INT64_MAX, &r), 0);
	for (uint64_t k = 0; k < 3; k++) {
		struct ft_step want = step_k(t0 + (int64_t)k * MIN_MS, k);
		ck_assert_int_eq(ft_ledger_reader_next(r, &s, &diag), 1);
		ck_assert_int_eq(s.start_ms, want.start_ms);
		ck_assert_int_eq(s.length_ms, want.length_ms);
		ck_assert_str_eq(s.map_id, want.map_id);
		ck_assert_uint_eq(s.n_cells, want.n_cells);
		for (size_t i = 0; i < s.n_cells; i++) {
			ck_assert_str_eq(s.cells[i].tenant, want.cells[i].tenant);
			ck_assert_str_eq(s.cells[i].class_, want.cells[i].class_);
			ck_assert_uint_eq(s.cells[i].direction, want.cells[i].direction);
			ck_assert(memcmp(&s.cells[i].v, &want.cells[i].v, sizeof(s.cells[i].v)) == 0);
		}
		ck_assert(memcmp(&s.total, &want.total, sizeof(s.total)) == 0);
		ck_assert(memcmp(&s.unattributed_src, &want.unattributed_src, sizeof(s.total)) == 0);
		ck_assert(memcmp(&s.unattributed_dst, &want.unattributed_dst, sizeof(s.total)) == 0);
		ck_assert(memcmp(&s.late, &want.late, sizeof(s.total)) == 0);
		ck_assert(memcmp(&s.not_accounted, &want.not_accounted, sizeof(s.total)) == 0);
		ck_assert(strstr(ft_ledger_reader_file(r), "2026-11-01.ledger"));
		ft_step_done(&s);
		ft_step_done(&want);
	}
	ck_assert_int_eq(ft_ledger_reader_next(r, &s, &diag), 0);
	ft_ledger_reader_free(r);
	ck_assert_uint_eq(diag.n, 0);
}
END_TEST

START_TEST(file_is_plain_tab_separated_text)
{
	write_steps(t("2026-11-01T10:00:00Z"), 1);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	ck_assert_uint_eq(L.n, 1 + 1 + 4 + 5 + 1);
	ck_assert_str_eq(L.v[0], "H\tflowtally-ledger\t2\t2026-11-01\n");
	ck_assert_str_eq(L.v[1], "B\t2026-11-01T10:00:00Z\t60\t5f1e0c\t"
	                         "0000000000000000000000000000000000000000000000000000000000000000\t4\n");
	ck_assert_str_eq(L.v[2], "L\t2026-11-01T10:00:00Z\tacme\tout\tinternet\t1\t1\t1\n");
	ck_assert_str_eq(L.v[3], "L\t2026-11-01T10:00:00Z\tacme\tin\tinternet\t3\t3\t2\n");
	ck_assert_str_eq(L.v[6], "S\t2026-11-01T10:00:00Z\tunattributed_src\t703\t10\t3\n");
	ck_assert_str_eq(L.v[8], "S\t2026-11-01T10:00:00Z\ttotal\t1204\t16\t5\n");
	ck_assert_str_eq(L.v[10], "S\t2026-11-01T10:00:00Z\tnot_accounted\t11\t2\t1\n");
	ck_assert(strncmp(L.v[11], "E\t2026-11-01T10:00:00Z\t", 23) == 0);
	save(day_file("2026-11-01"), &L);
}
END_TEST

START_TEST(reopen_continues_the_chain)
{
	int64_t t0 = t("2026-11-01T10:00:00Z"), start, len;
	char head[FT_LEDGER_HASH_HEX];
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_int_eq(ft_ledger_last_step(l, &start, &len), -ENOENT);
	ck_assert_str_eq(ft_ledger_head(l), "0000000000000000000000000000000000000000000000000000000000000000");
	append_ok(l, step_k(t0, 0));
	append_ok(l, step_k(t0 + MIN_MS, 1));
	snprintf(head, sizeof(head), "%s", ft_ledger_head(l));
	ft_ledger_close(l);

	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_int_eq(ft_ledger_last_step(l, &start, &len), 0);
	ck_assert_int_eq(start, t0 + MIN_MS);
	ck_assert_int_eq(len, MIN_MS);
	ck_assert_str_eq(ft_ledger_head(l), head);
	append_ok(l, step_k(t0 + 5 * MIN_MS, 2));   /* a gap is fine: the collector was down */
	ft_ledger_close(l);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 3);
	ck_assert_int_eq(rr.bad, 0);
}
END_TEST

START_TEST(second_writer_is_refused)
{
	struct ft_ledger *l, *l2;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_int_eq(ft_ledger_open(dir, &l2), -EBUSY);
	ft_ledger_close(l);
	ck_assert_int_eq(ft_ledger_open(dir, &l2), 0);
	ft_ledger_close(l2);
}
END_TEST

START_TEST(days_rotate_and_chain_across_files)
{
	int64_t t0 = t("2026-11-01T23:58:00Z");
	write_steps(t0, 4);     /* 23:58, 23:59 | 00:00, 00:01 */
	ck_assert_int_eq(access(day_file("2026-11-01"), F_OK), 0);
	ck_assert_int_eq(access(day_file("2026-11-02"), F_OK), 0);
	struct lines L;
	load(day_file("2026-11-02"), &L);
	ck_assert_str_eq(L.v[0], "H\tflowtally-ledger\t2\t2026-11-02\n");
	save(day_file("2026-11-02"), &L);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 4);
	/* the second day alone: its first block is linked to the first day's last one */
	rr = read_range(t("2026-11-02"), t("2026-11-03"));
	ck_assert_int_eq(rr.good, 2);
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_int_eq(rr.starts[0], t("2026-11-02T00:00:00Z"));
	/* a range inside a day */
	rr = read_range(t("2026-11-01T23:59:00Z"), t("2026-11-02T00:01:00Z"));
	ck_assert_int_eq(rr.good, 2);
	ck_assert_int_eq(rr.starts[1], t("2026-11-02T00:00:00Z"));
	ck_assert_uint_eq(diag.n, 0);
}
END_TEST

/* A link planted at the next day's file while the ledger is open: the day's blocks are
 * refused (kept by the caller, retried), never appended to where the link points. */
START_TEST(a_link_at_a_new_day_file_is_never_appended_to)
{
	char decoy[128];
	struct ft_ledger *l;
	snprintf(decoy, sizeof(decoy), "%s/decoy", dir);
	write_text("decoy", "precious\n");
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	append_ok(l, step_k(t("2026-11-01T23:59:00Z"), 1));
	ck_assert_int_eq(symlink(decoy, day_file("2026-11-02")), 0);
	struct ft_step s = step_k(t("2026-11-02T00:00:00Z"), 2);
	ck_assert_int_eq(ft_ledger_append(l, &s), -ELOOP);
	ck_assert_int_eq(ft_ledger_append(l, &s), -ELOOP);
	ck_assert_str_eq(read_text("decoy"), "precious\n");
	/* the link gone, the same step goes in */
	ck_assert_int_eq(unlink(day_file("2026-11-02")), 0);
	ck_assert_int_eq(ft_ledger_append(l, &s), 0);
	ft_step_done(&s);
	ft_ledger_close(l);
	ck_assert_int_eq(read_all().good, 2);
}
END_TEST

START_TEST(old_and_overlapping_steps_are_refused)
{
	int64_t t0 = t("2026-11-01T10:00:00Z");
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	struct ft_step s = step_k(t0, 0);
	s.length_ms = 5 * MIN_MS;               /* 10:00 - 10:05 */
	ck_assert_int_eq(ft_ledger_append(l, &s), 0);
	off_t size = file_size(day_file("2026-11-01"));
	ck_assert_int_eq(ft_ledger_append(l, &s), -EEXIST);     /* the same step again */
	ft_step_done(&s);
	s = step_k(t0 + 2 * MIN_MS, 1);         /* inside it */
	ck_assert_int_eq(ft_ledger_append(l, &s), -EEXIST);
	ft_step_done(&s);
	s = step_k(t0 - MIN_MS, 1);             /* before it */
	ck_assert_int_eq(ft_ledger_append(l, &s), -EEXIST);
	ft_step_done(&s);
	ft_ledger_close(l);
	ck_assert_int_eq(file_size(day_file("2026-11-01")), size);
	/* after a restart as well: a step committed before is not counted twice */
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	s = step_k(t0, 0);
	s.length_ms = 5 * MIN_MS;
	ck_assert_int_eq(ft_ledger_append(l, &s), -EEXIST);
	ft_step_done(&s);
	append_ok(l, step_k(t0 + 5 * MIN_MS, 1));  /* the next one is fine */
	ft_ledger_close(l);
	ck_assert_int_eq(read_all().good, 2);
}
END_TEST

START_TEST(steps_the_format_cannot_hold_are_refused)
{
	int64_t t0 = t("2026-11-01T10:00:00Z");
	struct ft_ledger *l;
	struct ft_step s;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	s = step_k(t0 + 1000, 0);               /* not on a step boundary */
	ck_assert_int_eq(ft_ledger_append(l, &s), -EINVAL);
	ft_step_done(&s);
	s = step_k(t0, 0);
	s.length_ms = 7 * 1000;                 /* does not divide a day */
	ck_assert_int_eq(ft_ledger_append(l, &s), -EINVAL);
	s.length_ms = MIN_MS;
	struct ft_step_cell c = s.cells[0];
	s.cells[0] = s.cells[1], s.cells[1] = c;   /* in before out */
	ck_assert_int_eq(ft_ledger_append(l, &s), -EINVAL);
	s.cells[1] = s.cells[0], s.cells[0] = c;
	snprintf(s.cells[2].tenant, FT_NAME_MAX, "be\tta");
	ck_assert_int_eq(ft_ledger_append(l, &s), -EINVAL);
	snprintf(s.cells[2].tenant, FT_NAME_MAX, "beta");
	s.cells[0].v.bytes++;                   /* the contract breaks */
	ck_assert_int_eq(ft_ledger_append(l, &s), -EBADMSG);
	s.cells[0].v.bytes--;
	ck_assert_int_eq(ft_ledger_append(l, &s), 0);
	ft_step_done(&s);
	ft_ledger_close(l);
}
END_TEST

START_TEST(a_flipped_digit_is_found)
{
	write_steps(t("2026-11-01T10:00:00Z"), 3);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	size_t i = nth(&L, "S", 5 + 1);        /* block 2's unattributed_dst: 1001 + 501 */
	ck_assert_str_eq(L.v[i], "S\t2026-11-01T10:01:00Z\tunattributed_dst\t1502\t16\t3\n");
	replace(&L, i, "S\t2026-11-01T10:01:00Z\tunattributed_dst\t1503\t16\t3\n");
	save(day_file("2026-11-01"), &L);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 2);           /* blocks 1 and 3 are fine */
	ck_assert_int_eq(rr.bad, 1);
	dump_diag();
	char where[256];
	snprintf(where, sizeof(where), "%s:23: checksum mismatch", day_file("2026-11-01"));
	ck_assert(diag_has(where));              /* the E line of block 2 */
	snprintf(where, sizeof(where), "%s:13: the attribution contract fails", day_file("2026-11-01"));
	ck_assert(diag_has(where));              /* its B line */
	ck_assert(!diag_has("chain"));           /* block 3 still links to what block 2 says */
	/* the writer sets the file aside, keeps block 1, and collection goes on */
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_uint_eq(ft_ledger_open_breaks(l), 1);
	ck_assert_uint_eq(ft_ledger_steps(l), 1);
	append_ok(l, step_k(t("2026-11-01T10:05:00Z"), 5));
	ft_ledger_close(l);
	ck_assert_int_eq(quarantined(), 1);
	ft_diag_done(&diag);
	rr = read_all();
	dump_diag();
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_int_eq(rr.good, 2);            /* block 1 kept, the new one appended */
	ck_assert_int_eq(rr.breaks, 1);
	ck_assert_str_eq(rr.brk[0].kind, "quarantine");
	ck_assert_int_eq(rr.brk[0].time_ms, t("2026-11-01T10:01:00Z"));   /* block 1's end */
	ck_assert(strstr(rr.brk[0].text, "1 step kept"));
	ck_assert(strstr(rr.brk[0].text, "the first at line 23: checksum mismatch"));
}
END_TEST

START_TEST(a_removed_line_is_found)
{
	write_steps(t("2026-11-01T10:00:00Z"), 3);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	drop(&L, nth(&L, "L", 4 + 3));          /* block 2's last L line */
	save(day_file("2026-11-01"), &L);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 2);
	ck_assert_int_eq(rr.bad, 1);
	ck_assert(diag_has("the B line announces 4 cells, the block has 3 L lines"));
	ck_assert(diag_has("checksum mismatch"));
}
END_TEST

START_TEST(a_reordered_block_is_found)
{
	write_steps(t("2026-11-01T10:00:00Z"), 3);
	struct lines L, M = { .n = 0 };
	load(day_file("2026-11-01"), &L);
	size_t b2 = nth(&L, "B", 1), b3 = nth(&L, "B", 2);
	M.v[M.n++] = L.v[0];
	for (size_t i = 1; i < b2; i++)
		M.v[M.n++] = L.v[i];
	for (size_t i = b3; i < L.n; i++)       /* block 3 before block 2 */
		M.v[M.n++] = L.v[i];
	for (size_t i = b2; i < b3; i++)
		M.v[M.n++] = L.v[i];
	save(day_file("2026-11-01"), &M);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 1);
	ck_assert_int_eq(rr.bad, 2);
	ck_assert(diag_has("chain broken"));
	ck_assert(diag_has("blocks out of order"));
}
END_TEST

START_TEST(a_rewritten_block_breaks_the_chain)
{
	/* A forger changes block 2 consistently (contract kept) and recomputes its hash:
	 * block 3 still names the old hash. */
	write_steps(t("2026-11-01T10:00:00Z"), 3);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	size_t b2 = nth(&L, "B", 1);
	replace(&L, b2 + 1, "L\t2026-11-01T10:01:00Z\tacme\tout\tinternet\t1000\t11\t2\n");
	replace(&L, b2 + 5, "S\t2026-11-01T10:01:00Z\tunattributed_src\t2705\t30\t4\n");
	rehash(&L, b2);
	save(day_file("2026-11-01"), &L);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 2);
	ck_assert_int_eq(rr.bad, 1);
	ck_assert_uint_eq(diag.n, 1);
	char where[256];
	snprintf(where, sizeof(where), "%s:24: chain broken", day_file("2026-11-01"));
	ck_assert(diag_has(where));
}
END_TEST

START_TEST(a_removed_block_breaks_the_chain)
{
	write_steps(t("2026-11-01T23:58:00Z"), 5);  /* 2 blocks on the 1st, 3 on the 2nd */
	struct lines L;
	load(day_file("2026-11-02"), &L);
	size_t b2 = nth(&L, "B", 1), b3 = nth(&L, "B", 2);
	for (size_t i = b2; i < b3; i++)
		drop(&L, b2);
	save(day_file("2026-11-02"), &L);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 3);
	ck_assert_int_eq(rr.bad, 1);
	char where[256];
	snprintf(where, sizeof(where), "%s:13: chain broken", day_file("2026-11-02"));
	ck_assert(diag_has(where));
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);          /* set aside, and on */
	ck_assert_uint_eq(ft_ledger_open_breaks(l), 1);
	ft_ledger_close(l);
	ft_diag_done(&diag);
	rr = read_all();
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_int_eq(rr.good, 3);            /* the 1st's two, the 2nd's first */
	ck_assert_int_eq(rr.breaks, 1);
}
END_TEST

START_TEST(a_removed_day_breaks_the_chain)
{
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	append_ok(l, step_k(t("2026-11-01T23:59:00Z"), 0));
	append_ok(l, step_k(t("2026-11-02T00:00:00Z"), 1));
	append_ok(l, step_k(t("2026-11-03T00:00:00Z"), 2));
	ft_ledger_close(l);
	ck_assert_int_eq(unlink(day_file("2026-11-02")), 0);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 1);
	ck_assert_int_eq(rr.bad, 1);
	char where[256];
	snprintf(where, sizeof(where), "%s:2: chain broken", day_file("2026-11-03"));
	ck_assert(diag_has(where));
	/* reading the last day alone checks its link to the 1st as well */
	ft_diag_done(&diag);
	rr = read_range(t("2026-11-03"), INT64_MAX);
	ck_assert_int_eq(rr.bad, 1);
	ck_assert(diag_has(where));
}
END_TEST

START_TEST(a_crash_mid_block_is_cut_off_at_open)
{
	int64_t t0 = t("2026-11-01T10:00:00Z");
	write_steps(t0, 2);
	off_t committed = file_size(day_file("2026-11-01"));
	struct ft_ledger *l;
	/* the third block as a crash leaves it: cut in the middle of a line, HEAD not
	 * moved on (the block was never committed) */
	char head[4096];
	snprintf(head, sizeof(head), "%s", read_text("HEAD"));
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	append_ok(l, step_k(t0 + 2 * MIN_MS, 2));
	ft_ledger_close(l);
	ck_assert_int_eq(truncate(day_file("2026-11-01"), committed + 150), 0);
	write_text("HEAD", head);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 2);
	ck_assert_int_eq(rr.bad, 1);
	char where[256];
	snprintf(where, sizeof(where), "%s:24: incomplete block", day_file("2026-11-01"));
	ck_assert(diag_has(where));
	/* the writer cuts it off and carries on from the second step */
	int64_t start, len;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_int_eq(file_size(day_file("2026-11-01")), committed);
	ck_assert_int_eq(ft_ledger_last_step(l, &start, &len), 0);
	ck_assert_int_eq(start, t0 + MIN_MS);
	append_ok(l, step_k(t0 + 2 * MIN_MS, 2));
	ft_ledger_close(l);
	ft_diag_done(&diag);
	rr = read_all();
	ck_assert_int_eq(rr.good, 3);
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_int_eq(quarantined(), 0);
}
END_TEST

START_TEST(a_committed_block_cut_short_later_is_set_aside)
{
	int64_t t0 = t("2026-11-01T10:00:00Z");
	write_steps(t0, 3);
	off_t size = file_size(day_file("2026-11-01"));
	/* the last block was committed (HEAD names it), then lost its end */
	ck_assert_int_eq(truncate(day_file("2026-11-01"), size - 40), 0);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 2);
	ck_assert(diag_has("HEAD names block"));
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_uint_eq(ft_ledger_open_breaks(l), 1);
	int64_t start, len;
	ck_assert_int_eq(ft_ledger_last_step(l, &start, &len), 0);
	ck_assert_int_eq(start, t0 + MIN_MS);
	ft_ledger_close(l);
	ck_assert_int_eq(quarantined(), 1);
	ft_diag_done(&diag);
	rr = read_all();
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_int_eq(rr.good, 2);
	ck_assert_int_eq(rr.breaks, 1);
	ck_assert(strstr(rr.brk[0].text, "committed (HEAD names step 2026-11-01T10:02:00Z)"));
}
END_TEST

START_TEST(removed_blocks_and_files_are_seen_through_head)
{
	int64_t t0 = t("2026-11-01T23:58:00Z");
	write_steps(t0, 4);                     /* 2 on the 1st, 2 on the 2nd */
	struct lines L;
	load(day_file("2026-11-02"), &L);
	size_t b2 = nth(&L, "B", 1);
	while (L.n > b2)
		drop(&L, b2);                       /* the last block, whole */
	save(day_file("2026-11-02"), &L);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 3);
	ck_assert_int_eq(rr.bad, 1);
	ck_assert(diag_has("blocks were removed from the end of the newest day file, or day files deleted"));
	/* flowtallyd sees it at start: a truncated break, and collection goes on */
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_uint_eq(ft_ledger_open_breaks(l), 1);
	ck_assert_uint_eq(ft_ledger_steps(l), 3);
	ft_ledger_close(l);
	ft_diag_done(&diag);
	rr = read_all();
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_int_eq(rr.breaks, 1);
	ck_assert_str_eq(rr.brk[0].kind, "truncated");
	ck_assert(strstr(rr.brk[0].text, "HEAD named step 2026-11-02T00:01:00Z (4 steps)"));
	/* the newest day file deleted */
	ck_assert_int_eq(unlink(day_file("2026-11-02")), 0);
	ft_diag_done(&diag);
	rr = read_all();
	ck_assert_int_eq(rr.bad, 1);
	ck_assert(diag_has("HEAD names block"));
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_uint_eq(ft_ledger_open_breaks(l), 1);
	ck_assert_uint_eq(ft_ledger_steps(l), 2);
	ft_ledger_close(l);
	/* a ledger without HEAD (an older flowtallyd's) reads, and gets one */
	char path[128];
	snprintf(path, sizeof(path), "%s/HEAD", dir);
	ck_assert_int_eq(unlink(path), 0);
	ft_diag_done(&diag);
	rr = read_all();
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_uint_eq(ft_ledger_open_breaks(l), 0);
	ck_assert_uint_eq(ft_ledger_steps(l), 2);
	ft_ledger_close(l);
	ck_assert(strstr(read_text("HEAD"), "steps\t2\n"));
}
END_TEST

START_TEST(a_head_behind_by_a_block_is_brought_up_to_date)
{
	int64_t t0 = t("2026-11-01T10:00:00Z");
	write_steps(t0, 2);
	char head[4096];
	snprintf(head, sizeof(head), "%s", read_text("HEAD"));
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	append_ok(l, step_k(t0 + 2 * MIN_MS, 2));
	ft_ledger_close(l);
	write_text("HEAD", head);               /* a stop between the block and HEAD */
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.bad, 0);
	ck_assert(diag_has("1 step after the block HEAD names"));
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_uint_eq(ft_ledger_open_breaks(l), 0);
	ck_assert_uint_eq(ft_ledger_steps(l), 3);
	ft_ledger_close(l);
	ft_diag_done(&diag);
	rr = read_all();
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_uint_eq(diag.n, 0);
}
END_TEST

START_TEST(empty_and_header_only_day_files_are_torn_writes_of_nothing)
{
	write_steps(t("2026-11-01T10:00:00Z"), 1);
	/* a day file created, then nothing written (a crash, a full disk) */
	fclose(fopen(day_file("2026-11-02"), "w"));
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_uint_eq(ft_ledger_open_breaks(l), 0);
	append_ok(l, step_k(t("2026-11-03T10:00:00Z"), 1));
	ft_ledger_close(l);
	struct read_result rr = read_all();
	dump_diag();
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_int_eq(rr.good, 2);
	/* a header alone, between two full days */
	FILE *f = fopen(day_file("2026-11-04"), "w");
	fputs("H\tflowtally-ledger\t1\t2026-11-04\n", f);
	fclose(f);
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	append_ok(l, step_k(t("2026-11-05T10:00:00Z"), 2));
	ft_ledger_close(l);
	ft_diag_done(&diag);
	rr = read_all();
	ck_assert_int_eq(rr.bad, 0);
	ck_assert_int_eq(rr.good, 3);
	ck_assert_int_eq(rr.breaks, 0);
}
END_TEST

START_TEST(acknowledgements_are_kept)
{
	write_steps(t("2026-11-01T10:00:00Z"), 3);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	drop(&L, nth(&L, "L", 4 + 3));
	save(day_file("2026-11-01"), &L);
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ft_ledger_close(l);
	struct ft_ledger_attention a;
	ck_assert_int_eq(ft_ledger_attention_scan(dir, &a, NULL), 0);
	ck_assert_uint_eq(a.breaks, 1);
	ck_assert_uint_eq(a.damaged, 0);
	ck_assert_uint_eq(a.open, 1);
	ck_assert(strstr(a.v[0].what, "set aside in quarantine/2026-11-01.ledger."));
	ck_assert(!ft_ledger_acknowledged(dir, a.v[0].id));
	ck_assert_int_eq(ft_ledger_acknowledge(dir, a.v[0].id, "disk\tfault, ticket 7"), 0);
	ck_assert(ft_ledger_acknowledged(dir, a.v[0].id));
	ck_assert_uint_eq(ft_ledger_attention_mark(dir, &a), 0);
	ft_ledger_attention_done(&a);
	/* damage in an older file: found, and new again when the file changes again */
	write_steps(t("2026-11-02T10:00:00Z"), 1);
	load(day_file("2026-11-01"), &L);
	replace(&L, 1, "B\tgarbage\n");
	save(day_file("2026-11-01"), &L);
	ck_assert_int_eq(ft_ledger_attention_scan(dir, &a, NULL), 0);
	ck_assert_uint_eq(a.damaged, 1);
	ck_assert_uint_eq(a.open, 1);            /* the break is still acknowledged */
	ck_assert_int_eq(ft_ledger_acknowledge(dir, a.v[0].id, NULL), 0);
	ck_assert_uint_eq(ft_ledger_attention_mark(dir, &a), 0);
	ft_ledger_attention_done(&a);
}
END_TEST

START_TEST(a_crash_between_lines_or_in_a_new_header_is_cut_off)
{
	int64_t t0 = t("2026-11-01T23:59:00Z");
	write_steps(t0, 1);
	/* a block without its S and E lines */
	FILE *f = fopen(day_file("2026-11-01"), "a");
	fputs("B\t2026-11-01T23:59:00Z\t60\t-\t", f);
	fclose(f);
	/* a new day file with half a header */
	f = fopen(day_file("2026-11-02"), "w");
	fputs("H\tflowtally-le", f);
	fclose(f);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 1);
	/* the half header is a torn write of nothing: the block before it ends the chain */
	ck_assert(!diag_has("newer day files follow"));
	ck_assert(!diag_has("2026-11-02"));
	ck_assert(diag_has("2026-11-01.ledger:13: incomplete block at the end of the newest file"));
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_uint_eq(ft_ledger_open_breaks(l), 0);
	append_ok(l, step_k(t("2026-11-02T00:00:00Z"), 1));
	ft_ledger_close(l);
	ft_diag_done(&diag);
	rr = read_all();
	ck_assert_int_eq(rr.good, 2);
	ck_assert_int_eq(rr.bad, 0);
}
END_TEST

START_TEST(a_block_being_written_is_not_damage)
{
	write_steps(t("2026-11-01T10:00:00Z"), 1);
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	FILE *f = fopen(day_file("2026-11-01"), "a");   /* what a reader may see mid-write */
	fputs("B\t2026-11-01T10:01:00Z\t60\t-\t", f);
	fclose(f);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 1);
	ck_assert_int_eq(rr.bad, 0);
	ft_ledger_close(l);
	rr = read_all();                         /* no writer: a crash's remains */
	ck_assert_int_eq(rr.bad, 1);
}
END_TEST

START_TEST(a_broken_contract_is_found)
{
	write_steps(t("2026-11-01T10:00:00Z"), 2);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	size_t b2 = nth(&L, "B", 1);
	replace(&L, b2 + 1, "L\t2026-11-01T10:01:00Z\tacme\tout\tinternet\t1002\t11\t2\n");
	rehash(&L, b2);                          /* the hash is right, the numbers are not */
	save(day_file("2026-11-01"), &L);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 1);
	ck_assert_int_eq(rr.bad, 2);             /* and HEAD names the block as it was */
	ck_assert_uint_eq(diag.n, 2);
	ck_assert(diag_has("the last block (step 2026-11-01T10:01:00Z) was changed after it was written"));
	char where[256];
	snprintf(where, sizeof(where), "%s:13: the attribution contract fails", day_file("2026-11-01"));
	ck_assert(diag_has(where));
}
END_TEST

START_TEST(a_step_whose_sums_wrap_is_refused)
{
	/* Two out cells of 2^63 bytes and a total of 0 add up only modulo 2^64: such a
	 * step is never written. */
	struct ft_ledger *l;
	struct ft_step_cell c[] = {
		cell("acme", FT_DIR_OUT, "internet", 1ull << 63, 1, 1),
		cell("beta", FT_DIR_OUT, "internet", 1ull << 63, 1, 1),
	};
	struct ft_step s = step_of(t("2026-11-01T10:00:00Z"), MIN_MS, c, 2);
	ck_assert_uint_eq(s.total.bytes, 0);                /* wrapped */
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	ck_assert_int_eq(ft_ledger_append(l, &s), -EBADMSG);
	ck_assert_uint_eq(ft_ledger_steps(l), 0);
	ft_step_done(&s);
	ft_ledger_close(l);
	ck_assert_int_eq(read_all().good, 0);
}
END_TEST

START_TEST(sums_that_agree_only_after_wrapping_fail_verify)
{
	/* A block rewritten with cells of 2^63 bytes whose sums wrap to its totals, its
	 * hash recomputed and HEAD removed (a ledger without HEAD reads): only the sums
	 * are wrong, and the reader says so. */
	write_steps(t("2026-11-01T10:00:00Z"), 2);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	size_t b2 = nth(&L, "B", 1);
	static const char *const lines[] = {
		"L\t2026-11-01T10:01:00Z\tacme\tout\tinternet\t9223372036854775808\t1\t1\n",
		"L\t2026-11-01T10:01:00Z\tacme\tin\tinternet\t9223372036854775808\t1\t1\n",
		"L\t2026-11-01T10:01:00Z\tbeta\tout\tjanet\t9223372036854775808\t1\t1\n",
		"L\t2026-11-01T10:01:00Z\tbeta\tin\tpartner\t9223372036854775808\t1\t1\n",
		"S\t2026-11-01T10:01:00Z\tunattributed_src\t1000\t2\t2\n",
		"S\t2026-11-01T10:01:00Z\tunattributed_dst\t1000\t2\t2\n",
		"S\t2026-11-01T10:01:00Z\ttotal\t1000\t4\t4\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		replace(&L, b2 + 1 + i, lines[i]);
	rehash(&L, b2);
	save(day_file("2026-11-01"), &L);
	char path[128];
	snprintf(path, sizeof(path), "%s/HEAD", dir);
	ck_assert_int_eq(unlink(path), 0);
	struct read_result rr = read_all();
	dump_diag();
	ck_assert_int_eq(rr.good, 1);
	ck_assert_int_eq(rr.bad, 1);
	ck_assert_uint_eq(diag.n, 1);
	char where[256];
	snprintf(where, sizeof(where), "%s:13: the attribution contract fails", day_file("2026-11-01"));
	ck_assert(diag_has(where));
}
END_TEST

START_TEST(garbage_and_bad_fields_are_named)
{
	write_steps(t("2026-11-01T10:00:00Z"), 2);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	size_t b2 = nth(&L, "B", 1);
	replace(&L, b2 + 2, "L\t2026-11-01T10:01:00Z\tacme\tsideways\tinternet\t1\t1\t1\n");
	replace(&L, b2 - 1, "hello\n");         /* block 1's E line */
	save(day_file("2026-11-01"), &L);
	read_all();
	dump_diag();
	ck_assert(diag_has("2026-11-01.ledger:12: expected an L, S, P, X, D or E line"));
	ck_assert(diag_has("2026-11-01.ledger:15: the direction is neither out nor in"));
}
END_TEST


/* The reader refuses a P line with more bytes than the step's total, but not one with
 * more packets or flows: ft_step_merge() and recharge add points on the promise that "a
 * point carries at most its step's total". */
START_TEST(a_point_beyond_its_total_packets_is_refused)
{
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	struct ft_step s = step_k(t("2026-11-01T10:00:00Z"), 0);
	s.points = calloc(1, sizeof(*s.points));
	ck_assert_ptr_nonnull(s.points);
	ck_assert_int_eq(ft_addr_parse("192.0.2.1", &s.points[0].exporter), 0);
	s.points[0].ifindex = 5;
	s.points[0].direction = FT_DIR_IN;
	s.points[0].v = (struct ft_volume){ 1, s.total.packets + 1000000, s.total.flows + 1000000 };
	s.n_points = 1;
	int w = ft_ledger_append(l, &s);
	ft_step_done(&s);
	ft_ledger_close(l);
	if (w < 0)
		return;                 /* the writer refused it: right */
	struct read_result rr = read_all();
	dump_diag();
	ck_assert_msg(rr.good == 0 && diag.n > 0, "a P line with more packets and flows than the step's total "
	              "was written and read back as good");
}
END_TEST

/* ---- format 2: accounting interfaces, exporters' counters, kernel drops ---- */

/* step_k with two accounting interfaces, two exporters and kernel drops. */
static struct ft_step step_v2(int64_t start, uint64_t k)
{
	struct ft_step s = step_k(start, k);
	s.points = calloc(3, sizeof(*s.points));
	s.exporters = calloc(2, sizeof(*s.exporters));
	ck_assert_int_eq(ft_addr_parse("192.0.2.1", &s.points[0].exporter), 0);
	s.points[1].exporter = s.points[2].exporter = s.points[0].exporter;
	s.points[0].ifindex = 5, s.points[0].direction = FT_DIR_OUT, s.points[0].v = (struct ft_volume){ 100 + k, 2, 1 };
	s.points[1].ifindex = 5, s.points[1].direction = FT_DIR_IN, s.points[1].v = (struct ft_volume){ 200, 3, 1 };
	s.points[2].ifindex = 7, s.points[2].direction = FT_DIR_IN, s.points[2].v = (struct ft_volume){ 1, 1, 1 };
	s.n_points = 3;
	ck_assert_int_eq(ft_addr_parse("192.0.2.1", &s.exporters[0].exporter), 0);
	ck_assert_int_eq(ft_addr_parse("2001:db8::9", &s.exporters[1].exporter), 0);
	s.exporters[0] = (struct ft_step_exporter){ s.exporters[0].exporter, 0, 40 + k, 1200, 30, 0, 1, 0, 1 };
	s.exporters[1] = (struct ft_step_exporter){ s.exporters[1].exporter, 256, 3, 90, 0, 2, 0, 1, 1000 };
	s.n_exporters = 2;
	s.kernel_drops = 17;
	s.have_counters = true;
	return s;
}

START_TEST(format_2_round_trips_interfaces_and_counters)
{
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	for (int k = 0; k < 3; k++)
		append_ok(l, step_v2(t("2026-11-01T10:00:00Z") + k * MIN_MS, (uint64_t)k));
	ft_ledger_close(l);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	ck_assert_str_eq(L.v[0], "H\tflowtally-ledger\t2\t2026-11-01\n");
	size_t p = nth(&L, "P", 0);
	ck_assert_str_eq(L.v[p - 1], "S\t2026-11-01T10:00:00Z\tnot_accounted\t11\t2\t1\n");
	ck_assert_str_eq(L.v[p], "P\t2026-11-01T10:00:00Z\t192.0.2.1\t5\tout\t100\t2\t1\n");
	ck_assert_str_eq(L.v[p + 3], "X\t2026-11-01T10:00:00Z\t192.0.2.1\t0\t40\t1200\t30\t0\t1\t0\t1\n");
	ck_assert_str_eq(L.v[p + 4], "X\t2026-11-01T10:00:00Z\t2001:db8::9\t256\t3\t90\t0\t2\t0\t1\t1000\n");
	ck_assert_str_eq(L.v[p + 5], "D\t2026-11-01T10:00:00Z\tkernel_drops\t17\n");
	ck_assert_uint_eq(strncmp(L.v[p + 6], "E\t", 2), 0);
	save(day_file("2026-11-01"), &L);
	struct ft_ledger_reader *r;
	struct ft_step s;
	ck_assert_int_eq(ft_ledger_reader_open(dir, INT64_MIN, INT64_MAX, &r), 0);
	for (uint64_t k = 0; k < 3; k++) {
		ck_assert_int_eq(ft_ledger_reader_next(r, &s, &diag), 1);
		struct ft_step want = step_v2(t("2026-11-01T10:00:00Z") + (int64_t)k * MIN_MS, k);
		ck_assert_uint_eq(s.n_points, 3);
		ck_assert_uint_eq(s.n_exporters, 2);
		ck_assert(s.have_counters);
		ck_assert_uint_eq(s.kernel_drops, 17);
		ck_assert_int_eq(memcmp(s.points, want.points, 3 * sizeof(*s.points)), 0);
		ck_assert_int_eq(memcmp(s.exporters, want.exporters, 2 * sizeof(*s.exporters)), 0);
		ft_step_done(&s);
		ft_step_done(&want);
	}
	ck_assert_int_eq(ft_ledger_reader_next(r, &s, &diag), 0);
	ft_ledger_reader_free(r);
	dump_diag();
	ck_assert_uint_eq(diag.n, 0);
}
END_TEST

START_TEST(format_1_files_are_read_and_appended_to_as_they_are)
{
	/* a day file of an older flowtallyd: its header says 1, its blocks have no P, X, D */
	write_steps(t("2026-11-01T10:00:00Z"), 2);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	replace(&L, 0, "H\tflowtally-ledger\t1\t2026-11-01\n");
	save(day_file("2026-11-01"), &L);
	struct read_result rr = read_all();
	ck_assert_int_eq(rr.good, 2);
	ck_assert_uint_eq(diag.n, 0);
	/* appended to in version 1 the same day, in version 2 from the next day's file */
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	append_ok(l, step_v2(t("2026-11-01T10:05:00Z"), 5));
	append_ok(l, step_v2(t("2026-11-02T00:00:00Z"), 6));
	ft_ledger_close(l);
	load(day_file("2026-11-01"), &L);
	for (size_t i = 0; i < L.n; i++)
		ck_assert_msg(!strchr("PXD", L.v[i][0]), "a version 2 line in a version 1 file: %s", L.v[i]);
	save(day_file("2026-11-01"), &L);      /* as it was: frees the lines */
	load(day_file("2026-11-02"), &L);
	ck_assert_str_eq(L.v[0], "H\tflowtally-ledger\t2\t2026-11-02\n");
	ck_assert_uint_gt(nth(&L, "D", 0), 0);
	save(day_file("2026-11-02"), &L);
	rr = read_all();
	dump_diag();
	ck_assert_int_eq(rr.good, 4);
	ck_assert_uint_eq(diag.n, 0);
}
END_TEST

START_TEST(format_2_damage_is_named)
{
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	for (int k = 0; k < 5; k++)
		append_ok(l, step_v2(t("2026-11-01T10:00:00Z") + k * MIN_MS, (uint64_t)k));
	ft_ledger_close(l);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	/* block 0: the D line before the X lines; block 1: a P line out of order (after X);
	 * block 2: a bad address; block 3: X lines without D; block 4: a P line in the S lines */
	size_t d0 = nth(&L, "D", 0), x0 = nth(&L, "X", 0);
	char *tmp = L.v[d0];
	L.v[d0] = L.v[x0];
	L.v[x0] = tmp;
	rehash(&L, nth(&L, "B", 0));
	size_t x1 = nth(&L, "X", 2), p1 = nth(&L, "P", 3);
	tmp = L.v[x1];
	L.v[x1] = L.v[p1];
	L.v[p1] = tmp;
	rehash(&L, nth(&L, "B", 1));
	size_t p2 = nth(&L, "P", 6);
	replace(&L, p2, "P\t2026-11-01T10:02:00Z\t192.0.2.300\t5\tout\t102\t2\t1\n");
	rehash(&L, nth(&L, "B", 2));
	drop(&L, nth(&L, "D", 3));
	rehash(&L, nth(&L, "B", 3));
	size_t s4 = nth(&L, "S", 4 * 5 + 4), p4 = nth(&L, "P", 12);
	tmp = L.v[s4];
	L.v[s4] = L.v[p4];
	L.v[p4] = tmp;
	rehash(&L, nth(&L, "B", 4));
	save(day_file("2026-11-01"), &L);
	struct read_result rr = read_all();
	dump_diag();
	ck_assert_int_eq(rr.good, 0);
	ck_assert(diag_has("P, X and D lines out of order"));
	ck_assert(diag_has("bad exporter address"));
	ck_assert(diag_has("X lines without their D line"));
	ck_assert(diag_has("a P, X or D line before the five S lines"));
	/* a P line in a version 1 file is damage too */
	load(day_file("2026-11-01"), &L);
	replace(&L, 0, "H\tflowtally-ledger\t1\t2026-11-01\n");
	save(day_file("2026-11-01"), &L);
	ft_diag_done(&diag);
	read_all();
	ck_assert(diag_has("a P, X or D line in a file of version 1"));
}
END_TEST

/* The reader takes the file in large chunks and has a quick way for well-formed L
 * lines: a line longer than a chunk, and L lines just off the form, are reported as
 * they always were, at their own line numbers. */
START_TEST(long_and_odd_lines_are_named_at_their_lines)
{
	write_steps(t("2026-11-01T10:00:00Z"), 4);
	struct lines L;
	load(day_file("2026-11-01"), &L);
	size_t huge = 3u << 20;
	char *big = malloc(huge + 4);
	ck_assert_ptr_nonnull(big);
	memcpy(big, "L\t", 2);
	memset(big + 2, 'x', huge);
	memcpy(big + 2 + huge, "\n", 2);
	size_t b2 = nth(&L, "B", 1), b3 = nth(&L, "B", 2), b4 = nth(&L, "B", 3);
	replace(&L, b2 + 1, big);
	free(big);
	replace(&L, b3 + 1, "L\t2026-11-01T10:02:00Z\tacme\tout\tinternet\t2001\t21\t3\t\n");
	replace(&L, b4 + 2, "L\t2026-11-01T10:03:00Z\tacme\tin\tinternet\t184467440737095516160\t1\t1\n");
	save(day_file("2026-11-01"), &L);
	struct read_result rr = read_all();
	dump_diag();
	ck_assert_int_eq(rr.good, 1);
	ck_assert_int_eq(rr.bad, 3);
	ck_assert(diag_has("2026-11-01.ledger:14: expected an L, S, P, X, D or E line"));
	ck_assert(diag_has("2026-11-01.ledger:25: an L line has 8 fields"));
	ck_assert(diag_has("2026-11-01.ledger:37: bad number"));
	ck_assert(diag_has("2026-11-01.ledger:23: checksum mismatch"));
	ck_assert(diag_has("2026-11-01.ledger:45: checksum mismatch"));
	ck_assert(!diag_has("chain"));
}
END_TEST

START_TEST(sums_over_a_range_match_hand_counts)
{
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(dir, &l), 0);
	/* 23:58 on the 1st: outside the range below */
	struct ft_step_cell a[] = { cell("acme", FT_DIR_OUT, "internet", 5, 1, 1) };
	struct ft_step_cell b[] = {                         /* 23:59 */
		cell("acme", FT_DIR_OUT, "internet", 100, 2, 1),
		cell("acme", FT_DIR_OUT, "janet", 40, 1, 1),
		cell("acme", FT_DIR_IN, "internet", 300, 3, 1),
		cell("beta", FT_DIR_IN, "partner", 100, 2, 1),
	};
	struct ft_step_cell c[] = {                         /* 00:00 on the 2nd */
		cell("acme", FT_DIR_IN, "internet", 1000, 10, 2),
		cell("beta", FT_DIR_OUT, "partner", 100, 2, 1),
		cell("beta", FT_DIR_IN, "janet", 7, 1, 1),
	};
	struct ft_step_cell d[] = { cell("beta", FT_DIR_OUT, "partner", 9, 9, 9) };  /* 00:01 */
	append_ok(l, step_of(t("2026-11-01T23:58:00Z"), MIN_MS, a, 1));
	append_ok(l, step_of(t("2026-11-01T23:59:00Z"), MIN_MS, b, 4));
	append_ok(l, step_of(t("2026-11-02T00:00:00Z"), MIN_MS, c, 3));
	append_ok(l, step_of(t("2026-11-02T00:01:00Z"), MIN_MS, d, 1));
	ft_ledger_close(l);

	struct ft_ledger_reader *r;
	struct ft_ledger_sum sum;
	struct ft_step s;
	int rc;
	ft_ledger_sum_init(&sum, true);
	ck_assert_int_eq(ft_ledger_reader_open(dir, t("2026-11-01T23:59:00Z"),
	                                       t("2026-11-02T00:01:00Z"), &r), 0);
	while ((rc = ft_ledger_reader_next(r, &s, &diag)) == 1) {
		ck_assert_int_eq(ft_ledger_sum_add(&sum, &s), 0);
		ft_step_done(&s);
	}
	ck_assert_int_eq(rc, 0);
	ft_ledger_reader_free(r);
	ck_assert_uint_eq(sum.steps, 2);
	ck_assert_int_eq(sum.first_ms, t("2026-11-01T23:59:00Z"));
	ck_assert_int_eq(sum.end_ms, t("2026-11-02T00:01:00Z"));
	const struct ft_ledger_row *acme = ft_ledger_sum_find(&sum, "acme", NULL);
	ck_assert_uint_eq(acme->out.bytes, 140);            /* 100 + 40 */
	ck_assert_uint_eq(acme->out.packets, 3);
	ck_assert_uint_eq(acme->out.flows, 2);
	ck_assert_uint_eq(acme->in.bytes, 1300);            /* 300 + 1000 */
	ck_assert_uint_eq(acme->in.packets, 13);
	ck_assert_uint_eq(acme->in.flows, 3);
	const struct ft_ledger_row *ai = ft_ledger_sum_find(&sum, "acme", "internet");
	ck_assert_uint_eq(ai->out.bytes, 100);
	ck_assert_uint_eq(ai->in.bytes, 1300);
	ck_assert_uint_eq(ft_ledger_sum_find(&sum, "acme", "janet")->out.bytes, 40);
	const struct ft_ledger_row *beta = ft_ledger_sum_find(&sum, "beta", "");
	ck_assert_uint_eq(beta->out.bytes, 100);            /* the 00:01 step is outside */
	ck_assert_uint_eq(beta->in.bytes, 107);             /* 100 + 7 */
	ck_assert_ptr_null(ft_ledger_sum_find(&sum, "gamma", NULL));
	/* step_of: total = out + in of each step */
	ck_assert_uint_eq(sum.total.bytes, 540 + 1107);
	ck_assert_uint_eq(sum.unattributed_src.bytes, 400 + 1007);   /* the in side */
	ck_assert_uint_eq(sum.unattributed_dst.bytes, 140 + 100);    /* the out side */
	ck_assert_uint_eq(sum.late.bytes, 14);
	ck_assert_uint_eq(sum.not_accounted.packets, 4);
	ck_assert_uint_eq(sum.n_rows, 2 + 2 + 2);           /* 2 tenants, 2 classes each */
	ft_ledger_sum_done(&sum);
}
END_TEST

START_TEST(sums_refuse_to_overflow)
{
	struct ft_ledger_sum sum;
	struct ft_step_cell c[] = { cell("acme", FT_DIR_OUT, "internet", UINT64_MAX - 1, 1, 1) };
	struct ft_step s = step_of(0, MIN_MS, c, 1);
	ft_ledger_sum_init(&sum, false);
	ck_assert_int_eq(ft_ledger_sum_add(&sum, &s), 0);
	ck_assert_int_eq(ft_ledger_sum_add(&sum, &s), -EOVERFLOW);
	ft_ledger_sum_done(&sum);
	ft_step_done(&s);
}
END_TEST

START_TEST(empty_and_missing_ledgers)
{
	struct ft_ledger_reader *r;
	struct ft_step s;
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/none", dir);
	ck_assert_int_eq(ft_ledger_reader_open(sub, INT64_MIN, INT64_MAX, &r), -ENOENT);
	ck_assert_int_eq(ft_ledger_reader_open(dir, 5, 5, &r), -EINVAL);
	ck_assert_int_eq(ft_ledger_reader_open(dir, INT64_MIN, INT64_MAX, &r), 0);
	ck_assert_int_eq(ft_ledger_reader_next(r, &s, &diag), 0);
	ft_ledger_reader_free(r);
	struct ft_ledger *l;
	ck_assert_int_eq(ft_ledger_open(sub, &l), 0);          /* created */
	ft_ledger_close(l);
	ck_assert_int_eq(access(sub, F_OK), 0);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("ledger");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, steps_read_back_exactly);
	tcase_add_test(tc, file_is_plain_tab_separated_text);
	tcase_add_test(tc, format_2_round_trips_interfaces_and_counters);
	tcase_add_test(tc, a_point_beyond_its_total_packets_is_refused);
	tcase_add_test(tc, format_1_files_are_read_and_appended_to_as_they_are);
	tcase_add_test(tc, format_2_damage_is_named);
	tcase_add_test(tc, reopen_continues_the_chain);
	tcase_add_test(tc, second_writer_is_refused);
	tcase_add_test(tc, days_rotate_and_chain_across_files);
	tcase_add_test(tc, a_link_at_a_new_day_file_is_never_appended_to);
	tcase_add_test(tc, old_and_overlapping_steps_are_refused);
	tcase_add_test(tc, steps_the_format_cannot_hold_are_refused);
	tcase_add_test(tc, a_flipped_digit_is_found);
	tcase_add_test(tc, a_removed_line_is_found);
	tcase_add_test(tc, a_reordered_block_is_found);
	tcase_add_test(tc, a_rewritten_block_breaks_the_chain);
	tcase_add_test(tc, a_removed_block_breaks_the_chain);
	tcase_add_test(tc, a_removed_day_breaks_the_chain);
	tcase_add_test(tc, a_crash_mid_block_is_cut_off_at_open);
	tcase_add_test(tc, a_committed_block_cut_short_later_is_set_aside);
	tcase_add_test(tc, removed_blocks_and_files_are_seen_through_head);
	tcase_add_test(tc, a_head_behind_by_a_block_is_brought_up_to_date);
	tcase_add_test(tc, empty_and_header_only_day_files_are_torn_writes_of_nothing);
	tcase_add_test(tc, acknowledgements_are_kept);
	tcase_add_test(tc, a_crash_between_lines_or_in_a_new_header_is_cut_off);
	tcase_add_test(tc, a_block_being_written_is_not_damage);
	tcase_add_test(tc, a_broken_contract_is_found);
	tcase_add_test(tc, a_step_whose_sums_wrap_is_refused);
	tcase_add_test(tc, sums_that_agree_only_after_wrapping_fail_verify);
	tcase_add_test(tc, garbage_and_bad_fields_are_named);
	tcase_add_test(tc, long_and_odd_lines_are_named_at_their_lines);
	tcase_add_test(tc, sums_over_a_range_match_hand_counts);
	tcase_add_test(tc, sums_refuse_to_overflow);
	tcase_add_test(tc, empty_and_missing_ledgers);
	suite_add_tcase(s, tc);
	return s;
}
