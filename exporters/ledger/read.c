/* Reading the ledger: the day files of a range, oldest first, line by line; each block
 * is rebuilt into a struct ft_step while its lines are hashed, then checked as a whole
 * (hash, link to the previous block, order, day, syntax, contract).  After damage the
 * reader resynchronises on the next B line, so one pass reports every problem.
 *
 * A month is some 90 M lines, so the common case is made cheap without changing what
 * is checked: a day file is read in 1 MiB chunks (by a thread of the reader's own, so
 * the copy out of the page cache overlaps the parsing), a line is a slice of the chunk
 * hashed in one update, and a well-formed L line is parsed in one pass over it (any
 * other goes through the field-by-field checks, which say what is wrong).
 *
 * The link of the range's first block is checked against the hash on the last line of
 * the nearest earlier day file (read from its tail, not the whole file); the first
 * block of the whole ledger links to 64 zeros. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/file.h"
#include "ledger_int.h"

#define MAX_FIELDS 12

enum { READ_END = 0, READ_BLOCK = 1, READ_OTHER = 2, READ_BREAK = 3 };

/* One block being read. */
struct block {
	struct ft_step s;
	size_t cap;
	int line;                   /* of its B line */
	off_t off;
	bool in_range;
	char time[LEDGER_TIME_LEN + 1];
	char prev[FT_LEDGER_HASH_HEX];
	uint64_t declared;          /* cells the B line announces */
	int n_stats;                /* S lines read */
	char last_kind;             /* of the P, X, D lines after them: the last one read */
	size_t cap_points, cap_exporters;
	struct sha256_ctx ctx;
	bool is_break;              /* a K block: brk, not s */
	size_t problems_before;     /* the reader's count when it began */
	struct ft_ledger_break brk;
};

static void report(struct ft_ledger_reader *r, struct ft_diag *diag, bool shown, int line,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(struct ft_ledger_reader *r, struct ft_diag *diag, bool shown, int line,
                   const char *fmt, ...)
{
	char text[400];
	va_list ap;
	if (!shown)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ft_diag_add(diag, true, r->path ? r->path : r->dir, line, "%s", text);
	r->n_problems++;
}

#define READ_CHUNK (1u << 20)
#define READ_AHEAD ((off_t)16 << 20)
#define PREFETCH_CHUNKS 4

/* The file's bytes come from a thread of the reader's own, a few chunks ahead: the
 * copy out of the page cache (which, for a file not read since it was written, costs
 * as much as hashing it) then runs on another core than the parsing.  The reader's
 * results do not change: the same bytes arrive in the same order. */
struct ft_ledger_prefetch {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t changed;
	int fd;
	char *chunk[PREFETCH_CHUNKS];
	size_t len[PREFETCH_CHUNKS];
	size_t first, n;            /* the chunks filled, in file order, from first */
	size_t taken;               /* of the first chunk, bytes already handed over */
	bool eof, stop;
	int err;
};

/* The kernel's own read-ahead is a few hundred KiB; between reads the bytes are
 * parsed, so without asking for more each read would wait for the disk. */
static void read_ahead(int fd, off_t at, off_t *advised)
{
	if (at + READ_AHEAD / 2 > *advised) {
		if (*advised < at)
			*advised = at;
		posix_fadvise(fd, *advised, READ_AHEAD, POSIX_FADV_WILLNEED);
		*advised += READ_AHEAD;
	}
}

static ssize_t read_some(int fd, char *p, size_t n)
{
	ssize_t got;
	while ((got = read(fd, p, n)) < 0 && errno == EINTR)
		;
	return got;
}

static void *prefetch_thread(void *arg)
{
	struct ft_ledger_prefetch *pf = arg;
	off_t at = 0, advised = 0;
	pthread_mutex_lock(&pf->mu);
	while (!pf->stop) {
		if (pf->n == PREFETCH_CHUNKS) {
			pthread_cond_wait(&pf->changed, &pf->mu);
			continue;
		}
		size_t i = (pf->first + pf->n) % PREFETCH_CHUNKS;   /* not handed over: ours */
		pthread_mutex_unlock(&pf->mu);
		read_ahead(pf->fd, at, &advised);
		ssize_t got = read_some(pf->fd, pf->chunk[i], READ_CHUNK);
		pthread_mutex_lock(&pf->mu);
		if (got <= 0) {
			pf->eof = true;
			pf->err = got < 0 ? -EIO : 0;
			pthread_cond_broadcast(&pf->changed);
			break;
		}
		at += got;
		pf->len[i] = (size_t)got;
		pf->n++;
		pthread_cond_broadcast(&pf->changed);
	}
	pthread_mutex_unlock(&pf->mu);
	return NULL;
}

static void prefetch_stop(struct ft_ledger_reader *r)
{
	struct ft_ledger_prefetch *pf = r->prefetch;
	if (!pf)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->stop = true;
	pthread_cond_broadcast(&pf->changed);
	pthread_mutex_unlock(&pf->mu);
	pthread_join(pf->th, NULL);
	pthread_cond_destroy(&pf->changed);
	pthread_mutex_destroy(&pf->mu);
	for (int i = 0; i < PREFETCH_CHUNKS; i++)
		free(pf->chunk[i]);
	free(pf);
	r->prefetch = NULL;
}

/* Starts the thread on r->fd; without memory or a thread, the reader reads itself. */
static void prefetch_start(struct ft_ledger_reader *r)
{
	struct ft_ledger_prefetch *pf = calloc(1, sizeof(*pf));
	if (!pf)
		return;
	pf->fd = r->fd;
	bool ok = true;
	for (int i = 0; i < PREFETCH_CHUNKS; i++)
		ok = ok && (pf->chunk[i] = malloc(READ_CHUNK));
	if (ok && pthread_mutex_init(&pf->mu, NULL) != 0)
		ok = false;
	else if (ok && pthread_cond_init(&pf->changed, NULL) != 0) {
		pthread_mutex_destroy(&pf->mu);
		ok = false;
	} else if (ok && pthread_create(&pf->th, NULL, prefetch_thread, pf) != 0) {
		pthread_cond_destroy(&pf->changed);
		pthread_mutex_destroy(&pf->mu);
		ok = false;
	}
	if (!ok) {
		for (int i = 0; i < PREFETCH_CHUNKS; i++)
			free(pf->chunk[i]);
		free(pf);
		return;
	}
	r->prefetch = pf;
}

/* Up to room bytes of the file from the thread into p: the count, 0 at the end, or
 * -EIO. */
static ssize_t prefetched(struct ft_ledger_prefetch *pf, char *p, size_t room)
{
	pthread_mutex_lock(&pf->mu);
	while (pf->n == 0 && !pf->eof)
		pthread_cond_wait(&pf->changed, &pf->mu);
	if (pf->n == 0) {
		int err = pf->err;
		pthread_mutex_unlock(&pf->mu);
		return err;
	}
	size_t i = pf->first, n = pf->len[i] - pf->taken;
	pthread_mutex_unlock(&pf->mu);
	/* chunk i stays counted in n while it is copied, so the thread leaves it alone */
	if (n > room)
		n = room;
	memcpy(p, pf->chunk[i] + pf->taken, n);
	pthread_mutex_lock(&pf->mu);
	pf->taken += n;
	if (pf->taken == pf->len[i]) {
		pf->taken = 0;
		pf->first = (pf->first + 1) % PREFETCH_CHUNKS;
		pf->n--;
		pthread_cond_broadcast(&pf->changed);
	}
	pthread_mutex_unlock(&pf->mu);
	return (ssize_t)n;
}

/* More of the file into buf, after what is left of it: 0, or -errno (buf_eof at the
 * end of the file). */
static int fill(struct ft_ledger_reader *r)
{
	if (r->buf_pos == 0 && r->buf_end == r->buf_cap) {
		/* a line longer than the buffer (damage: a real one is < 250 bytes) */
		size_t cap = r->buf_cap ? 2 * r->buf_cap : READ_CHUNK;
		char *nb = realloc(r->buf, cap + 1);
		if (!nb)
			return -ENOMEM;
		r->buf = nb;
		r->buf_cap = cap;
	} else if (r->buf_pos) {
		memmove(r->buf, r->buf + r->buf_pos, r->buf_end - r->buf_pos);
		r->buf_end -= r->buf_pos;
		r->buf_pos = 0;
	}
	ssize_t n;
	if (r->prefetch) {
		n = prefetched(r->prefetch, r->buf + r->buf_end, r->buf_cap - r->buf_end);
	} else {
		read_ahead(r->fd, r->off + (off_t)r->buf_end, &r->advised);
		n = read_some(r->fd, r->buf + r->buf_end, r->buf_cap - r->buf_end);
	}
	if (n < 0)
		return -EIO;
	if (n == 0)
		r->buf_eof = true;
	r->buf_end += (size_t)n;
	return 0;
}

/* 1: a line in r->line without its newline; 2: a last line without newline; 0: end. */
static int get_line(struct ft_ledger_reader *r)
{
	if (r->held) {
		r->held = false;
		return 1;
	}
	char *nl;
	size_t n;
	for (;;) {
		size_t have = r->buf_end - r->buf_pos;
		if (have && (nl = memchr(r->buf + r->buf_pos, '\n', have))) {
			n = (size_t)(nl - (r->buf + r->buf_pos)) + 1;
			break;
		}
		if (r->buf_eof) {
			if (!have)
				return 0;
			nl = NULL;
			n = have;
			break;
		}
		int rc = fill(r);
		if (rc < 0)
			return rc;
	}
	r->line = r->buf + r->buf_pos;
	r->buf_pos += n;
	r->line_off = r->off;
	r->off += (off_t)n;
	r->lineno++;
	r->line_len = (ssize_t)n;
	if (!nl) {
		r->line[n] = '\0';     /* buf has a byte to spare after buf_cap */
		return 2;
	}
	r->line[--r->line_len] = '\0';
	return 1;
}

/* A line read with its newline into the hash, as it was in the file. */
static void hash_line(struct sha256_ctx *ctx, struct ft_ledger_reader *r)
{
	r->line[r->line_len] = '\n';
	sha256_update(ctx, (size_t)r->line_len + 1, (const uint8_t *)r->line);
	r->line[r->line_len] = '\0';
}

/* 'B', 'L', 'S', 'P', 'X', 'D', 'E', 'H', 'K' or 0 for a line that cannot be one of them. */
static char line_type(const struct ft_ledger_reader *r)
{
	if (r->line_len < 2 || r->line_len > LEDGER_LINE_MAX || r->line[1] != '\t' ||
	    strlen(r->line) != (size_t)r->line_len)
		return 0;
	switch (r->line[0]) {
	case 'B': case 'L': case 'S': case 'E': case 'H': case 'K': case 'P': case 'X': case 'D':
		return r->line[0];
	default:
		return 0;
	}
}

/* Splits a copy of the line on tabs; the count of fields, or -1 for more than max. */
static int split(const char *line, char *copy, char **f, int max)
{
	int n = 0;
	memcpy(copy, line, strlen(line) + 1);   /* line_type() bounded it by LEDGER_LINE_MAX */
	for (char *p = copy;; p++) {
		if (n == max)
			return -1;
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			return n;
		*p = '\0';
	}
}

static bool read_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	if (!*s || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return true;
}

static bool read_volume(char **f, struct ft_volume *v)
{
	return read_u64(f[0], &v->bytes) && read_u64(f[1], &v->packets) && read_u64(f[2], &v->flows);
}

static bool writer_holds(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static void close_file(struct ft_ledger_reader *r)
{
	prefetch_stop(r);
	if (r->file_open)
		close(r->fd);
	r->file_open = false;
	r->held = false;
	r->buf_pos = r->buf_end = 0;
	r->buf_eof = false;
	r->advised = 0;
}

/* An incomplete block (or header) starting at off, line: the end of what was written
 * before a crash, or what a writer is writing now. */
static void tail(struct ft_ledger_reader *r, struct ft_diag *diag, off_t off, int line)
{
	if (r->recover && r->file_newest) {
		r->tail_incomplete = true;
		r->tail_off = off;
		free(r->tail_path);
		r->tail_path = strdup(r->path);
	} else if (!r->file_newest) {
		report(r, diag, true, line, "incomplete block, yet newer day files follow");
	} else if (!writer_holds(r->dir)) {
		report(r, diag, true, line, "incomplete block at the end of the newest file "
		       "(a crash while writing it; flowtallyd cuts it off when it starts)");
	}
	close_file(r);
}

static void skip_to_block(struct ft_ledger_reader *r)
{
	int rc;
	while ((rc = get_line(r)) == 1) {
		if (line_type(r) == 'B' || line_type(r) == 'K') {
			r->held = true;
			return;
		}
	}
}

static bool parse_b(struct ft_ledger_reader *r, struct block *b, const char **why)
{
	char copy[LEDGER_LINE_MAX + 1], *f[MAX_FIELDS];
	uint64_t len_s;
	if (split(r->line, copy, f, MAX_FIELDS) != 6)
		return *why = "a B line has 6 fields", false;
	if (ft_ledger_time_read(f[1], &b->s.start_ms) < 0)
		return *why = "bad step start (want 2026-11-01T00:00:00Z)", false;
	if (!read_u64(f[2], &len_s) || len_s == 0 || len_s > 86400)
		return *why = "bad step length", false;
	if (strcmp(f[3], "-") != 0 && !ft_ledger_map_id_ok(f[3], strlen(f[3])))
		return *why = "bad map id", false;
	if (!ft_ledger_hash_ok(f[4], strlen(f[4])))
		return *why = "bad previous-block hash (want 64 lowercase hex digits)", false;
	if (!read_u64(f[5], &b->declared))
		return *why = "bad cell count", false;
	b->s.length_ms = (int64_t)len_s * 1000;
	snprintf(b->s.map_id, sizeof(b->s.map_id), "%s", strcmp(f[3], "-") ? f[3] : "");
	snprintf(b->prev, sizeof(b->prev), "%s", f[4]);
	snprintf(b->time, sizeof(b->time), "%s", f[1]);
	return true;
}

/* K  TIME  PREV_HASH  KIND  REF  TEXT */
static bool parse_k(struct ft_ledger_reader *r, struct block *b, const char **why)
{
	char copy[LEDGER_LINE_MAX + 1], *f[MAX_FIELDS];
	b->is_break = true;
	if (split(r->line, copy, f, MAX_FIELDS) != 6)
		return *why = "a K line (a break) has 6 fields", false;
	if (ft_ledger_time_read(f[1], &b->brk.time_ms) < 0)
		return *why = "bad break time (want 2026-11-01T00:00:00Z)", false;
	if (!ft_ledger_hash_ok(f[2], strlen(f[2])))
		return *why = "bad previous-block hash (want 64 lowercase hex digits)", false;
	if (!*f[3] || strlen(f[3]) >= sizeof(b->brk.kind) || !*f[4] ||
	    strlen(f[4]) >= sizeof(b->brk.ref) || strlen(f[5]) >= sizeof(b->brk.text))
		return *why = "a break's kind, reference or text is empty or too long", false;
	b->s.start_ms = b->brk.time_ms;
	snprintf(b->brk.kind, sizeof(b->brk.kind), "%s", f[3]);
	snprintf(b->brk.ref, sizeof(b->brk.ref), "%s", f[4]);
	snprintf(b->brk.text, sizeof(b->brk.text), "%s", f[5]);
	snprintf(b->prev, sizeof(b->prev), "%s", f[2]);
	snprintf(b->time, sizeof(b->time), "%s", f[1]);
	return true;
}

/* A name field at p, up to its tab: its length, or 0 when it is not a name
 * (ft_ledger_name_ok) or not followed by a tab. */
static size_t name_field(const char *p)
{
	size_t n = 0;
	while ((unsigned char)p[n] >= 0x20 && p[n] != 0x7f)
		n++;
	return p[n] == '\t' && n > 0 && n < FT_NAME_MAX ? n : 0;
}

/* A number field at *p, as read_u64() takes it, followed by `end`: false otherwise. */
static bool number_field(const char **p, char end, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t n = 0;
	for (; s[n] >= '0' && s[n] <= '9'; n++) {
		if (v > (UINT64_MAX - (uint64_t)(s[n] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[n] - '0');
	}
	if (n == 0 || n > 20 || s[n] != end)
		return false;
	*p = s + n + 1;
	*ret = v;
	return true;
}

/* An L line read in one pass over it, for the millions a month holds: true when it is
 * well formed, with the cell added.  It accepts exactly what parse_l() does; anything
 * else (and a short memory) is left to parse_l(), which says what is wrong. */
static bool parse_l_fast(struct ft_ledger_reader *r, struct block *b)
{
	const char *p = r->line, *end = r->line + r->line_len;
	if (b->n_stats || b->s.n_cells == b->cap || p[2 + LEDGER_TIME_LEN] != '\t' ||
	    memcmp(p + 2, b->time, LEDGER_TIME_LEN) != 0)
		return false;
	p += 3 + LEDGER_TIME_LEN;
	const char *tenant = p;
	size_t tlen = name_field(p);
	if (!tlen)
		return false;
	p += tlen + 1;
	uint8_t dir;
	if (memcmp(p, "out\t", 4) == 0)
		dir = FT_DIR_OUT, p += 4;
	else if (memcmp(p, "in\t", 3) == 0)
		dir = FT_DIR_IN, p += 3;
	else
		return false;
	const char *class_ = p;
	size_t clen = name_field(p);
	if (!clen)
		return false;
	p += clen + 1;
	struct ft_volume v;
	if (!number_field(&p, '\t', &v.bytes) || !number_field(&p, '\t', &v.packets) ||
	    !number_field(&p, '\0', &v.flows) || p != end + 1)
		return false;
	struct ft_step_cell *c = &b->s.cells[b->s.n_cells++];
	memset(c, 0, sizeof(*c));
	memcpy(c->tenant, tenant, tlen);
	memcpy(c->class_, class_, clen);
	c->direction = dir;
	c->v = v;
	return true;
}

static const char *parse_l(struct ft_ledger_reader *r, struct block *b)
{
	if (parse_l_fast(r, b))
		return "";
	char copy[LEDGER_LINE_MAX + 1], *f[MAX_FIELDS];
	struct ft_step_cell c = { 0 };
	if (b->n_stats)
		return "an L line after the S lines";
	if (split(r->line, copy, f, MAX_FIELDS) != 8)
		return "an L line has 8 fields";
	if (strcmp(f[1], b->time) != 0)
		return "the line's time is not its block's";
	if (!ft_ledger_name_ok(f[2], strlen(f[2])) || !ft_ledger_name_ok(f[4], strlen(f[4])))
		return "bad tenant or class name";
	if (strcmp(f[3], "out") && strcmp(f[3], "in"))
		return "the direction is neither out nor in";
	if (!read_volume(f + 5, &c.v))
		return "bad number (want 0 to 18446744073709551615)";
	memcpy(c.tenant, f[2], strlen(f[2]) + 1);
	memcpy(c.class_, f[4], strlen(f[4]) + 1);
	c.direction = strcmp(f[3], "out") == 0 ? FT_DIR_OUT : FT_DIR_IN;
	if (b->s.n_cells == b->cap) {
		size_t nc = b->cap ? 2 * b->cap : 16;
		struct ft_step_cell *nv = realloc(b->s.cells, nc * sizeof(*nv));
		if (!nv)
			return NULL;    /* the caller sees ENOMEM through errno */
		b->s.cells = nv;
		b->cap = nc;
	}
	b->s.cells[b->s.n_cells++] = c;
	return "";
}

static const char *parse_s(struct ft_ledger_reader *r, struct block *b)
{
	char copy[LEDGER_LINE_MAX + 1], *f[MAX_FIELDS];
	if (b->n_stats == LEDGER_N_STATS)
		return "an S line too many";
	if (split(r->line, copy, f, MAX_FIELDS) != 6)
		return "an S line has 6 fields";
	if (strcmp(f[1], b->time) != 0)
		return "the line's time is not its block's";
	if (strcmp(f[2], ft_ledger_stat_names[b->n_stats]) != 0)
		return "S lines out of order (unattributed_src, unattributed_dst, total, late, "
		       "not_accounted)";
	if (!read_volume(f + 3, LEDGER_STAT(&b->s, b->n_stats)))
		return "bad number (want 0 to 18446744073709551615)";
	b->n_stats++;
	return "";
}

/* The lines of version 2 after the S lines: P (accounting interfaces), then X
 * (exporters), then D (kernel drops), in that order.  "" when the line is good, NULL on
 * ENOMEM, else why not. */
static const char *parse_pxd(struct ft_ledger_reader *r, struct block *b, char type)
{
	char copy[LEDGER_LINE_MAX + 1], *f[MAX_FIELDS];
	if (r->file_version < 2)
		return "a P, X or D line in a file of version 1";
	if (b->n_stats != LEDGER_N_STATS)
		return "a P, X or D line before the five S lines";
	if ((type == 'P' && b->last_kind && b->last_kind != 'P') || (type == 'X' && b->last_kind == 'D') ||
	    (type == 'D' && b->last_kind == 'D'))
		return "P, X and D lines out of order (P lines, then X lines, then one D line)";
	int n = split(r->line, copy, f, MAX_FIELDS);
	if (n < 2 || strcmp(f[1], b->time) != 0)
		return "the line's time is not its block's";
	b->last_kind = type;
	if (type == 'D') {
		if (n != 4 || strcmp(f[2], "kernel_drops") != 0 || !read_u64(f[3], &b->s.kernel_drops))
			return "bad D line (want D, the time, kernel_drops, a count)";
		b->s.have_counters = true;
		return "";
	}
	struct ft_addr a;
	uint64_t x;
	if (n < 3 || ft_addr_parse(f[2], &a) < 0)
		return "bad exporter address";
	if (type == 'P') {
		struct ft_step_point p = { .exporter = a };
		if (n != 8)
			return "a P line has 8 fields";
		if (!read_u64(f[3], &x) || x > UINT32_MAX)
			return "bad ifindex";
		p.ifindex = (uint32_t)x;
		if (strcmp(f[4], "out") && strcmp(f[4], "in"))
			return "the direction is neither out nor in";
		p.direction = strcmp(f[4], "out") == 0 ? FT_DIR_OUT : FT_DIR_IN;
		if (!read_volume(f + 5, &p.v))
			return "bad number (want 0 to 18446744073709551615)";
		if (b->s.n_points == b->cap_points) {
			size_t nc = b->cap_points ? 2 * b->cap_points : 8;
			struct ft_step_point *nv = realloc(b->s.points, nc * sizeof(*nv));
			if (!nv)
				return NULL;
			b->s.points = nv;
			b->cap_points = nc;
		}
		b->s.points[b->s.n_points++] = p;
		return "";
	}
	struct ft_step_exporter e = { .exporter = a };
	uint64_t rate, dom;
	if (n != 11)
		return "an X line has 11 fields";
	if (!read_u64(f[3], &dom) || dom > UINT32_MAX || !read_u64(f[4], &e.datagrams) || !read_u64(f[5], &e.records) ||
	    !read_u64(f[6], &e.seq_lost) || !read_u64(f[7], &e.no_template) || !read_u64(f[8], &e.parse_errors) ||
	    !read_u64(f[9], &e.sampling_changes) || !read_u64(f[10], &rate) || rate > UINT32_MAX)
		return "bad number (want 0 to 18446744073709551615; domain and rate below 2^32)";
	e.domain = (uint32_t)dom;
	e.sampling_rate = (uint32_t)rate;
	if (b->s.n_exporters == b->cap_exporters) {
		size_t nc = b->cap_exporters ? 2 * b->cap_exporters : 8;
		struct ft_step_exporter *nv = realloc(b->s.exporters, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		b->s.exporters = nv;
		b->cap_exporters = nc;
	}
	b->s.exporters[b->s.n_exporters++] = e;
	return "";
}

/* One line inside a block: 0, or -ENOMEM. */
static int block_line(struct ft_ledger_reader *r, struct block *b, struct ft_diag *diag, char type)
{
	hash_line(&b->ctx, r);
	const char *why;
	if (b->is_break) {
		why = "a break (K line) is followed by its E line only";
	} else if (type == 'L') {
		why = parse_l(r, b);
		if (!why)
			return -ENOMEM;
	} else if (type == 'S') {
		why = b->last_kind ? "an S line after the P, X or D lines" : parse_s(r, b);
	} else if (type == 'P' || type == 'X' || type == 'D') {
		why = parse_pxd(r, b, type);
		if (!why)
			return -ENOMEM;
	} else {
		why = "expected an L, S, P, X, D or E line";
	}
	if (*why)
		report(r, diag, b->in_range, r->lineno, "%s", why);
	return 0;
}

static void check_chain(struct ft_ledger_reader *r, struct block *b, struct ft_diag *diag)
{
	if (!r->chain_known) {
		if (r->link_problem)
			report(r, diag, b->in_range, b->line, "%s", r->link_problem);
	} else if (strcmp(b->prev, r->prev_hash) != 0) {
		report(r, diag, b->in_range, b->line,
		       "chain broken: the block names %.12s… as the previous block's hash, "
		       "but the previous block's hash is %.12s…", b->prev, r->prev_hash);
	}
	free(r->link_problem);
	r->link_problem = NULL;
	if (b->s.start_ms < r->prev_end_ms)
		report(r, diag, b->in_range, b->line,
		       "the step starts before the end of the previous step: blocks out of order");
}

static void check_step(struct ft_ledger_reader *r, struct block *b, struct ft_diag *diag)
{
	const char *why = ft_ledger_step_invalid(&b->s);
	if (b->declared != b->s.n_cells)
		report(r, diag, b->in_range, b->line, "the B line announces %" PRIu64 " cells, "
		       "the block has %zu L lines", b->declared, b->s.n_cells);
	if (b->n_stats != LEDGER_N_STATS)
		report(r, diag, b->in_range, b->line, "the block lacks the S line '%s'",
		       ft_ledger_stat_names[b->n_stats]);
	if (b->s.n_exporters && !b->s.have_counters)
		report(r, diag, b->in_range, b->line, "X lines without their D line");
	for (size_t i = 0; !why && i < b->s.n_points; i++) {
		const struct ft_volume *v = &b->s.points[i].v;
		if (v->bytes > b->s.total.bytes || v->packets > b->s.total.packets || v->flows > b->s.total.flows)
			why = "a P line carries more than the step's total";
	}
	if (why)
		report(r, diag, b->in_range, b->line, "%s", why);
	else if (ft_step_check(&b->s) < 0)
		report(r, diag, b->in_range, b->line, "the attribution contract fails: "
		       "out cells + unattributed_src, in cells + unattributed_dst and total differ");
	if (ft_ledger_day_of(b->s.start_ms) != r->file_day)
		report(r, diag, b->in_range, b->line, "the step does not start on the file's day");
}

/* The E line ends the block: everything is checked, and the chain moves on. */
static void end_block(struct ft_ledger_reader *r, struct block *b, struct ft_diag *diag, bool has_e)
{
	char copy[LEDGER_LINE_MAX + 1], *f[MAX_FIELDS], computed[FT_LEDGER_HASH_HEX];
	uint8_t d[SHA256_DIGEST_SIZE];
	const char *next = NULL;
	bool intact = r->n_problems == b->problems_before;   /* its lines parsed */
	sha256_digest(&b->ctx, sizeof(d), d);
	ft_ledger_sha256_hex(d, computed);
	if (!has_e) {
		report(r, diag, b->in_range, b->line, "the block has no E line");
	} else if (split(r->line, copy, f, MAX_FIELDS) != 3 || strcmp(f[1], b->time) ||
	           !ft_ledger_hash_ok(f[2], strlen(f[2]))) {
		report(r, diag, b->in_range, r->lineno, "bad E line (want E, the block's time, a hash)");
	} else if (strcmp(f[2], computed) != 0) {
		report(r, diag, b->in_range, r->lineno, "checksum mismatch: the block's lines hash "
		       "to %.12s…, the E line says %.12s…", computed, f[2]);
		next = f[2];
		intact = false;
	} else {
		next = f[2];
	}
	intact = intact && has_e && next;
	if (b->is_break) {
		if (ft_ledger_day_of(b->brk.time_ms) != r->file_day)
			report(r, diag, b->in_range, b->line, "the break is not on the file's day");
	} else {
		check_step(r, b, diag);
	}
	check_chain(r, b, diag);
	/* The next block links to the hash written here (or, without one, to the true one),
	 * so one damaged block is one problem, not two. */
	snprintf(r->prev_hash, sizeof(r->prev_hash), "%s", next ? next : computed);
	snprintf(r->hash, sizeof(r->hash), "%s", r->prev_hash);
	snprintf(b->brk.hash, sizeof(b->brk.hash), "%s", r->prev_hash);
	r->chain_known = true;
	if (!b->is_break && intact && ft_ledger_day_of(b->s.start_ms) == r->file_day)
		/* only a block whose bytes are as written says where the steps are (a moved
		 * one too): a damaged one's times would make every later block look out of
		 * order */
		r->prev_end_ms = b->s.start_ms + b->s.length_ms;
	if (!b->is_break) {
		r->steps++;
		r->last_start_ms = b->s.start_ms;
		r->after_head += r->head_seen;
	}
	if (r->head_state == 0 && strcmp(r->prev_hash, r->head.hash) == 0) {
		r->head_seen = true;
		r->after_head = 0;
	}
	r->any_block = true;
	r->block_line = b->line;
	r->block_end = r->off;
}

/* READ_BLOCK: a block in *b (damaged or not); READ_OTHER: lines outside any block, or an
 * incomplete block; READ_END: the file is done; -errno. */
static int read_block(struct ft_ledger_reader *r, struct block *b, struct ft_diag *diag)
{
	const char *why = NULL;
	int rc = get_line(r);
	if (rc <= 0)
		return rc;
	if (rc == 2) {
		tail(r, diag, r->line_off, r->lineno);
		return READ_OTHER;
	}
	b->line = r->lineno;
	b->off = r->line_off;
	b->in_range = true;
	b->problems_before = r->n_problems;
	char first = line_type(r);
	if ((first != 'B' && first != 'K') || !(first == 'B' ? parse_b(r, b, &why) : parse_k(r, b, &why))) {
		report(r, diag, true, r->lineno, "%s", why ? why : "expected a B line (a block's start)");
		skip_to_block(r);
		return READ_OTHER;
	}
	b->in_range = r->recover || (b->s.start_ms >= r->from_ms && b->s.start_ms < r->to_ms);
	sha256_init(&b->ctx);
	hash_line(&b->ctx, r);
	while ((rc = get_line(r)) == 1) {
		char type = line_type(r);
		if (type == 'B' || type == 'K') {
			r->held = true;
			end_block(r, b, diag, false);
			return b->is_break ? READ_BREAK : READ_BLOCK;
		}
		if (type == 'E') {
			end_block(r, b, diag, true);
			return b->is_break ? READ_BREAK : READ_BLOCK;
		}
		if ((rc = block_line(r, b, diag, type)) < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	tail(r, diag, b->off, b->line);
	return READ_OTHER;
}

static int open_file(struct ft_ledger_reader *r, struct ft_diag *diag)
{
	const struct ft_ledger_file *fe = &r->files[r->next_file++];
	char *path;
	if (asprintf(&path, "%s/%s", r->dir, fe->name) < 0)
		return -ENOMEM;
	free(r->path);
	r->path = path;
	r->file_day = fe->day;
	r->file_newest = r->next_file > r->last_content;
	r->lineno = 0;
	r->off = 0;
	r->held = false;
	/* a day file is never read through a link (file.h) */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		report(r, diag, true, 0, "cannot open: %s", ft_file_strerror(-e));
		return -e;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);   /* a larger read-ahead: read once, in order */
	r->fd = fd;
	r->file_open = true;
	prefetch_start(r);
	r->buf_pos = r->buf_end = 0;
	r->buf_eof = false;
	r->advised = 0;
	struct ft_ledger_buf want = { 0 };
	ft_ledger_format_header(&want, fe->day);
	if (want.oom) {
		ft_ledger_buf_done(&want);
		return -ENOMEM;
	}
	int rc = get_line(r);
	if (rc == 2 && (size_t)r->line_len < want.len && memcmp(r->line, want.p, (size_t)r->line_len) == 0) {
		/* the header cut short: a crash or a full disk before the first block was
		 * written, a torn write of nothing (the writer cuts it off) */
		if (r->recover && r->file_newest)
			tail(r, diag, 0, 1);
		rc = 0;
	}
	if (rc <= 0 || rc == 2) {
		/* an empty file is a torn write of nothing too */
		if (rc == 2)
			tail(r, diag, 0, 1);
		close_file(r);
		ft_ledger_buf_done(&want);
		return rc < 0 ? rc : 0;
	}
	r->file_version = ft_ledger_header_version(r->line, (size_t)r->line_len, fe->day);
	if (!r->file_version) {
		report(r, diag, true, 1, "not the header of this day's file (want H, %s, %d to %d, the day)",
		       LEDGER_MAGIC, LEDGER_VERSION_MIN, LEDGER_VERSION);
		r->held = line_type(r) == 'B' || line_type(r) == 'K';
		r->file_version = LEDGER_VERSION;   /* read on as the newest */
	}
	ft_ledger_buf_done(&want);
	return 1;
}

/* The hash on the last line of a day file: 1; 0 when it holds only its header or
 * nothing; -EBADMSG when its last line is neither. */
static int file_last_hash(const char *path, char ret[FT_LEDGER_HASH_HEX])
{
	char buf[LEDGER_LINE_MAX + 2];
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	off_t at = 0;
	ssize_t n = 0;
	if (fstat(fd, &st) == 0) {
		at = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0;
		n = pread(fd, buf, sizeof(buf) - 1, at);
	}
	close(fd);
	if (n <= 0)
		return n < 0 ? -EIO : 0;
	if (at == 0 && n < LEDGER_LINE_MAX && !memchr(buf, '\n', (size_t)n) &&
	    strncmp(buf, "H\t", n < 2 ? (size_t)n : 2) == 0)
		return 0;               /* a header cut short: nothing was written after it */
	if (buf[n - 1] != '\n')
		return -EBADMSG;
	buf[n - 1] = '\0';
	char *last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	if (at == 0 && last == buf && buf[0] == 'H')
		return 0;
	if (strlen(last) != 2 + LEDGER_TIME_LEN + 1 + FT_LEDGER_HASH_HEX - 1 ||
	    strncmp(last, "E\t", 2) != 0 || !ft_ledger_hash_ok(last + 23, FT_LEDGER_HASH_HEX - 1))
		return -EBADMSG;
	memcpy(ret, last + 23, FT_LEDGER_HASH_HEX);
	return 1;
}

/* What the range's first block must link to: the last hash of the nearest earlier day
 * file holding a block, or zeros at the start of the ledger. */
static int find_link(struct ft_ledger_reader *r, size_t first)
{
	memset(r->prev_hash, '0', FT_LEDGER_HASH_HEX - 1);
	r->prev_hash[FT_LEDGER_HASH_HEX - 1] = '\0';
	r->chain_known = true;
	for (size_t i = first; i-- > 0;) {
		char *path;
		if (asprintf(&path, "%s/%s", r->dir, r->files[i].name) < 0)
			return -ENOMEM;
		int rc = file_last_hash(path, r->prev_hash);
		if (rc > 0 && r->head_state == 0 && strcmp(r->prev_hash, r->head.hash) == 0)
			r->head_seen = true;
		if (rc < 0) {
			r->chain_known = false;
			if (asprintf(&r->link_problem, "cannot check the link to the previous block: "
			             "%s does not end with a complete block", path) < 0)
				r->link_problem = NULL;
		}
		free(path);
		if (rc != 0)
			break;
	}
	return 0;
}

int ft_ledger_reader_open_mode(const char *dir, int64_t from_ms, int64_t to_ms, bool recover,
                               struct ft_ledger_reader **ret)
{
	if (from_ms >= to_ms)
		return -EINVAL;
	struct ft_ledger_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->dir = strdup(dir))) {
		free(r);
		return -ENOMEM;
	}
	r->from_ms = from_ms;
	r->to_ms = to_ms;
	r->recover = recover;
	r->prev_end_ms = INT64_MIN;
	r->last_start_ms = INT64_MIN;
	r->head_state = ft_ledger_headrec_read(dir, &r->head);
	int rc = ft_ledger_list(dir, &r->files, &r->n_files);
	if (rc < 0) {
		ft_ledger_reader_free(r);
		return rc;
	}
	/* The newest file is the last one holding more than a header: an empty or
	 * header-only file after it is a torn write of nothing, and changes nothing. */
	for (size_t i = 0; i < r->n_files; i++) {
		char path[4200];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, r->files[i].name);
		if (stat(path, &st) < 0 || st.st_size > LEDGER_HEADER_LEN)
			r->last_content = i;
	}
	int64_t first_day = ft_ledger_day_of(from_ms), last_day = ft_ledger_day_of(to_ms - 1);
	while (r->next_file < r->n_files && r->files[r->next_file].day < first_day)
		r->next_file++;
	r->end_file = r->next_file;
	while (r->end_file < r->n_files && r->files[r->end_file].day <= last_day)
		r->end_file++;
	if ((rc = find_link(r, r->next_file)) < 0) {
		ft_ledger_reader_free(r);
		return rc;
	}
	*ret = r;
	return 0;
}

int ft_ledger_reader_open(const char *dir, int64_t from_ms, int64_t to_ms,
                          struct ft_ledger_reader **ret)
{
	return ft_ledger_reader_open_mode(dir, from_ms, to_ms, false, ret);
}

/* The chain's end against DIR/HEAD, once the range has been read to the end of the
 * ledger. */
static void check_head(struct ft_ledger_reader *r, struct ft_diag *diag)
{
	char path[4200], a[LEDGER_TIME_LEN + 1] = "-", b[LEDGER_TIME_LEN + 1] = "-";
	snprintf(path, sizeof(path), "%s/" LEDGER_HEAD_NAME, r->dir);
	if (r->head_state == -ENOENT) {
		r->no_head = r->n_files > 0;
		return;
	}
	free(r->path);
	r->path = strdup(path);
	if (r->head_state < 0) {
		report(r, diag, true, 0, "unreadable (%s): flowtallyd rebuilds it at its next start",
		       r->head_state == -EBADMSG ? "not a ledger HEAD" : strerror(-r->head_state));
		return;
	}
	if (r->head.have_last && r->head.last_start_ms >= r->to_ms)
		return;                 /* the range ends before the head */
	if (r->last_start_ms != INT64_MIN)
		ft_ledger_time_text(r->last_start_ms, a);
	if (r->head.have_last)
		ft_ledger_time_text(r->head.last_start_ms, b);
	if (strcmp(r->prev_hash, r->head.hash) == 0) {
		if (r->from_ms == INT64_MIN && r->steps != r->head.steps && !r->n_problems)
			report(r, diag, true, 0, "HEAD counts %" PRIu64 " steps, the chain holds %" PRIu64,
			       r->head.steps, r->steps);
		return;
	}
	if (r->head_seen) {
		ft_diag_add(diag, false, path, 0, "%" PRIu64 " step%s after the block HEAD names (a stop "
		            "between writing a block and HEAD): flowtallyd brings HEAD up to date when it "
		            "starts", r->after_head, r->after_head == 1 ? "" : "s");
		return;
	}
	/* A writer may have appended since this reader read the newest file: then HEAD
	 * and the newest file's end agree, on a later step (a few tries: a block may be
	 * half written at the moment) */
	for (int tries = 0; tries < 5 && writer_holds(r->dir); tries++) {
		struct ft_ledger_headrec now;
		struct ft_ledger_file *files;
		size_t n;
		char end[FT_LEDGER_HASH_HEX] = "", *p = NULL;
		bool agree = false;
		if (ft_ledger_headrec_read(r->dir, &now) == 0 && ft_ledger_list(r->dir, &files, &n) == 0) {
			agree = n && asprintf(&p, "%s/%s", r->dir, files[n - 1].name) >= 0 &&
			        file_last_hash(p, end) > 0 && strcmp(end, now.hash) == 0 &&
			        (!r->any_block || now.last_start_ms > r->last_start_ms);
			free(p);
			free(files);
		}
		if (agree)
			return;
		usleep(20000);
	}
	if (r->head.have_last && r->head.last_start_ms == r->last_start_ms)
		report(r, diag, true, 0, "the last block (step %s) was changed after it was written: it "
		       "hashes to %.12s…, HEAD names %.12s…", a, r->prev_hash, r->head.hash);
	else
		report(r, diag, true, 0, "the chain ends with block %.12s… (step %s), but HEAD names block "
	       "%.12s… (step %s, %" PRIu64 " steps in all): blocks were removed from the end of the "
	       "newest day file, or day files deleted", r->prev_hash, a, r->head.hash, b, r->head.steps);
}

int ft_ledger_reader_next(struct ft_ledger_reader *r, struct ft_step *ret, struct ft_diag *diag)
{
	size_t before = r->n_problems;
	for (;;) {
		if (!r->file_open) {
			if (r->next_file >= r->end_file && !r->head_checked && r->end_file == r->n_files &&
			    !r->recover) {
				r->head_checked = true;
				check_head(r, diag);
			}
			if (r->next_file >= r->end_file)
				return r->n_problems > before ? -EBADMSG : 0;
			int rc = open_file(r, diag);
			if (rc < 0)
				return rc;
			if (r->n_problems > before)
				return -EBADMSG;
			continue;
		}
		struct block b = { 0 };
		int rc = read_block(r, &b, diag);
		if (rc < 0) {
			ft_step_done(&b.s);
			report(r, diag, true, r->lineno, "read error: %s", strerror(-rc));
			close_file(r);
			return rc;
		}
		if (rc == READ_END)
			close_file(r);
		if (rc == READ_BREAK && b.in_range && r->n_problems == before) {
			r->brk = b.brk;
			ft_step_done(&b.s);
			return 2;
		}
		if (rc == READ_BLOCK && b.in_range && r->n_problems == before) {
			*ret = b.s;
			return 1;
		}
		ft_step_done(&b.s);
		if (r->n_problems > before)
			return -EBADMSG;
	}
}

const char *ft_ledger_reader_file(const struct ft_ledger_reader *r)
{
	return r->path ? r->path : "";
}

const char *ft_ledger_reader_hash(const struct ft_ledger_reader *r)
{
	return r->hash;
}

int ft_ledger_reader_line(const struct ft_ledger_reader *r)
{
	return r->block_line;
}

const struct ft_ledger_break *ft_ledger_reader_break(const struct ft_ledger_reader *r)
{
	return &r->brk;
}

bool ft_ledger_reader_no_head(const struct ft_ledger_reader *r)
{
	return r->no_head;
}

struct ft_ledger_reader *ft_ledger_reader_free(struct ft_ledger_reader *r)
{
	if (!r)
		return NULL;
	close_file(r);
	free(r->dir);
	free(r->files);
	free(r->path);
	free(r->buf);
	free(r->link_problem);
	free(r->tail_path);
	free(r);
	return NULL;
}
