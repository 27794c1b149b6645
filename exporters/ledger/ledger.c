/* The step ledger: the authoritative record of closed steps, appended by flowtallyd and
 * read by `flowtally ledger` and recharge.
 *
 * FORMAT (version 2; files of version 1 are read, and appended to as they are).
 * DIR/YYYY-MM-DD.ledger holds the steps that start on that UTC day.  Text; one record
 * per line; fields separated by one tab; lines end with "\n"; numbers in decimal, exact
 * (no units, no rounding); times as 2026-11-01T00:00:00Z (UTC, whole seconds).  The
 * first field says what a line is:
 *
 *   H  flowtally-ledger  2  2026-11-01                      the file's first line
 *   B  START  LENGTH_S  MAP_ID  PREV_HASH  N_CELLS          a step's block begins
 *   L  START  TENANT  out|in  CLASS  BYTES  PACKETS  FLOWS  N_CELLS lines, sorted by
 *                                                           tenant, direction, class
 *   S  START  unattributed_src  BYTES  PACKETS  FLOWS       five lines, in this order
 *   S  START  unattributed_dst  ...
 *   S  START  total  ...
 *   S  START  late  ...
 *   S  START  not_accounted  ...
 *   P  START  EXPORTER  IFINDEX  out|in  BYTES  PACKETS  FLOWS
 *                             version 2: an accounting interface's volume (the accounted
 *                             records it carried in or out), sorted by exporter, ifindex,
 *                             direction; none for a step without any
 *   X  START  EXPORTER  DOMAIN  DATAGRAMS  RECORDS  SEQ_LOST  NO_TEMPLATE  PARSE_ERRORS
 *             SAMPLING_CHANGES  SAMPLING_RATE
 *                             version 2: how an exporter's counters grew from the
 *                             previous step's commit to this one's, sorted by exporter,
 *                             domain (exporters that did nothing are left out)
 *   D  START  kernel_drops  N version 2: the datagrams the kernel dropped meanwhile; with
 *                             the X lines, present when the collector recorded counters
 *   E  START  HASH                                          the block ends
 *
 * START is the step's start on every line of its block, so a line means something
 * alone (grep, sort).  MAP_ID is the tenant map's identity ("-" when none).  EXPORTER is
 * an address as text (192.0.2.1, 2001:db8::1).  HASH is the SHA-256, in lowercase hex, of
 * the block's bytes from its B line through the newline of the line before E.  PREV_HASH is the HASH of the block before (in the same
 * file, or the last block of the nearest earlier day file; 64 zeros for the first block
 * of the ledger), so each hash covers all history before it and the blocks form one
 * chain across day files: a changed digit, a removed or added line, a removed or moved
 * block, all break it.  A step's contract (step.h) holds in every block:
 *   Σ L out + unattributed_src = total = Σ L in + unattributed_dst.
 *
 * WRITING.  A block is formatted in memory, written with one write() at the end of its
 * day file (O_APPEND), and fsynced; a new day file gets its header in the same write,
 * then the directory is fsynced too.  A step is accepted only if it starts at or after
 * the end of the last step in the ledger (-EEXIST otherwise), so a step committed
 * before a restart is never counted again.  A failed write is cut off again at once.
 *
 * OPENING.  The writer locks the directory (flock, exclusive; readers test it to tell a
 * block being written from one left by a crash), then verifies the newest day file, and
 * earlier ones until one holds a block (the last step and the head of the chain come
 * from there).  An incomplete block at the very end of the newest file is a crash while
 * writing: its step was not committed (flowtallyd still holds it as open), so it is cut
 * off with a warning.  Any other damage refuses the open.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/file.h"
#include "flowtally/log.h"
#include "ledger_int.h"

struct ft_ledger {
	char *dir;
	int dir_fd;                 /* holds the lock */
	int fd;                     /* the day file being appended, or -1 */
	int64_t fd_day;
	int fd_version;             /* of the day file being appended: its blocks are of it */
	int64_t refused_day;        /* the day file last refused, said once (file.h) */
	bool have_last;
	int64_t last_start_ms, last_length_ms;
	int64_t floor_ms;           /* no step before this (a break's time) */
	char head[FT_LEDGER_HASH_HEX];
	uint64_t steps;
	bool broken;                /* a failed write could not be undone */
	bool head_stale;            /* HEAD could not be written: retried with each block */
	size_t open_breaks;
	/* breaks found at open, appended once the chain's end is known */
	struct ft_ledger_break todo[8];
	size_t n_todo;
};

/* mkdir (a directory of flowtally's own: file.h), and when it made the directory, fsync
 * its parent so the entry is durable. */
static int make_dir(const char *dir)
{
	char err[4400];
	bool made = access(dir, F_OK) < 0 && errno == ENOENT;
	int r = ft_file_own_dir(dir, geteuid(), (gid_t)-1, err, sizeof(err));
	if (r < 0)
		ft_log_err(FT_LOG_MAIN, "ledger: %s", err);
	if (r < 0 || !made)
		return r;
	char *parent = strdup(dir);
	if (!parent)
		return -ENOMEM;
	char *slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	int fd = open(slash ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = fd < 0 || fsync(fd) < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	free(parent);
	return r;
}

static int cut_tail(const char *path, off_t off, bool confirmed)
{
	int fd = ft_file_open_at(AT_FDCWD, path, O_WRONLY);
	if (fd < 0)
		return fd;
	int r = ftruncate(fd, off) < 0 || fsync(fd) < 0 ? -errno : 0;
	close(fd);
	if (r == 0 && confirmed)
		ft_log_warn(FT_LOG_MAIN, "ledger: %s: cut off an incomplete %s at byte %lld (written when "
		            "the collector stopped; HEAD shows that step was never committed)", path,
		            off ? "block" : "file header", (long long)off);
	else if (r == 0)
		ft_log_warn(FT_LOG_MAIN, "ledger: %s: cut off an incomplete %s at byte %lld (written when "
		            "the collector stopped; there is no HEAD yet to confirm the step was never "
		            "committed)", path, off ? "block" : "file header", (long long)off);
	return r;
}

/* What one day file holds, verified, up to its first problem. */
struct scan {
	bool any;                   /* a good block */
	int64_t last_start_ms, last_length_ms, floor_ms;
	bool have_last;
	char hash[FT_LEDGER_HASH_HEX];
	off_t good_end;             /* after the last good block */
	uint64_t good_steps;
	bool damaged;
	char problem[300];          /* the first, "LINE: what" */
	size_t problems;
	bool tail;                  /* an incomplete block at its end, and nothing else wrong */
	off_t tail_off;
	bool head_seen;             /* at the last good block: HEAD names it or one before */
	uint64_t after_head;
};

static void note_problem(struct scan *sc, const struct ft_diag *d, size_t from, const char *name)
{
	for (size_t i = from; i < d->n; i++) {
		if (!d->warning[i] && !sc->problems++) {
			const char *p = strstr(d->lines[i], name);
			p = p ? p + strlen(name) : d->lines[i];
			snprintf(sc->problem, sizeof(sc->problem), "line %s", *p == ':' ? p + 1 : p);
			ft_ledger_clean_text(sc->problem);
		}
	}
}

static int scan_file(struct ft_ledger *l, const struct ft_ledger_file *fe, struct scan *sc)
{
	struct ft_ledger_reader *r;
	struct ft_diag d = { 0 };
	struct ft_step s;
	*sc = (struct scan){ .floor_ms = INT64_MIN };
	int rc = ft_ledger_reader_open_mode(l->dir, fe->day * LEDGER_DAY_MS, (fe->day + 1) * LEDGER_DAY_MS,
	                                    true, &r);
	if (rc < 0)
		return rc;
	sc->head_seen = r->head_seen;
	while ((rc = ft_ledger_reader_next(r, &s, &d)) != 0 && rc != -ENOMEM) {
		if (rc < 0) {
			sc->damaged = true;
			continue;
		}
		if (rc == 1)
			ft_step_done(&s);
		if (sc->damaged)
			continue;       /* nothing after the first problem is kept */
		if (rc == 1) {
			sc->have_last = true;
			sc->last_start_ms = s.start_ms;
			sc->last_length_ms = s.length_ms;
			sc->good_steps++;
		} else {
			sc->floor_ms = ft_ledger_reader_break(r)->time_ms;
		}
		sc->any = true;
		snprintf(sc->hash, sizeof(sc->hash), "%s", ft_ledger_reader_hash(r));
		sc->good_end = r->block_end;
		sc->head_seen = r->head_seen;
		sc->after_head = r->after_head;
	}
	note_problem(sc, &d, 0, fe->name);
	for (size_t i = 0; i < d.n; i++)
		ft_log_err(FT_LOG_MAIN, "ledger: %s", d.lines[i]);
	ft_diag_done(&d);
	if (!sc->damaged && r->tail_incomplete) {
		sc->tail = true;
		sc->tail_off = r->tail_off;
	}
	ft_ledger_reader_free(r);
	return rc;
}

/* Moves a damaged day file whole into DIR/quarantine/ and puts its verified blocks
 * (up to the first problem) back in its place; a break is to be appended. */
static int quarantine(struct ft_ledger *l, const struct ft_ledger_file *fe, const struct scan *sc,
                      const char *why)
{
	char src[4200], qdir[4200], dst[4300], kept[4200], stamp[32], t[LEDGER_TIME_LEN + 1] = "";
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(src, sizeof(src), "%s/%s", l->dir, fe->name);
	snprintf(qdir, sizeof(qdir), "%s/quarantine", l->dir);
	snprintf(kept, sizeof(kept), "%s.kept", fe->name);
	int rc = make_dir(qdir);
	/* a hard link first: the damaged bytes are never anywhere but in one of the two */
	for (int i = 0; rc == 0; i++) {
		snprintf(dst, sizeof(dst), i ? "%s/%s.%s.%d" : "%s/%s.%s", qdir, fe->name, stamp, i);
		if (link(src, dst) == 0)
			break;
		if (errno != EEXIST || i > 100)
			rc = -errno;
	}
	if (rc == 0 && sc->any) {
		/* the good prefix becomes the day file again, atomically */
		int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		int out = ft_file_create_excl_at(l->dir_fd, kept);
		char *buf = malloc((size_t)sc->good_end ? (size_t)sc->good_end : 1);
		if (in < 0 || out < 0 || !buf)
			rc = !buf ? -ENOMEM : in < 0 ? -errno : out;
		else if (pread(in, buf, (size_t)sc->good_end, 0) != sc->good_end)
			rc = -EIO;
		else if ((rc = ft_file_write_all(out, buf, (size_t)sc->good_end)) == 0 && fsync(out) < 0)
			rc = -errno;
		if (rc == 0 && renameat(l->dir_fd, kept, l->dir_fd, fe->name) < 0)
			rc = -errno;
		if (rc < 0 && out >= 0)
			unlinkat(l->dir_fd, kept, 0);
		free(buf);
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
	} else if (rc == 0 && unlink(src) < 0) {
		rc = -errno;
	}
	int qfd = rc == 0 ? open(qdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (rc == 0 && (fsync(l->dir_fd) < 0 || qfd < 0 || fsync(qfd) < 0))
		rc = -errno;
	if (qfd >= 0)
		close(qfd);
	if (rc < 0) {
		ft_log_err(FT_LOG_MAIN, "ledger: %s is damaged and cannot be moved to %s: %s; nothing is "
		           "appended to the ledger until it is", src, qdir, strerror(-rc));
		return rc;
	}
	if (sc->have_last)
		ft_ledger_time_text(sc->last_start_ms, t);
	const char *base = strrchr(dst, '/') + 1;
	ft_log_err(FT_LOG_MAIN, "ledger: %s is damaged (%s): moved to quarantine/%s; kept in its "
	           "place: the %" PRIu64 " verified step%s before the damage%s%s; a break record starts a "
	           "new chain segment (flowtally ledger verify shows it; acknowledge it with flowtally "
	           "ledger acknowledge)", src, why, base, sc->good_steps, sc->good_steps == 1 ? "" : "s",
	           *t ? ", to " : "", t);
	struct ft_ledger_break *k = &l->todo[l->n_todo++];
	*k = (struct ft_ledger_break){ .time_ms = sc->have_last ? sc->last_start_ms + sc->last_length_ms
	                                                          : fe->day * LEDGER_DAY_MS };
	snprintf(k->kind, sizeof(k->kind), "quarantine");
	snprintf(k->ref, sizeof(k->ref), "quarantine/%s", base);
	snprintf(k->text, sizeof(k->text), "%s damaged (%.200s): %" PRIu64 " step%s kept, the rest set aside",
	         fe->name, why, sc->good_steps, sc->good_steps == 1 ? "" : "s");
	ft_ledger_clean_text(k->ref);
	ft_ledger_clean_text(k->text);
	return 0;
}

static void take_end(struct ft_ledger *l, const struct scan *sc)
{
	if (!sc->any)
		return;                 /* an empty ledger: the chain starts from 64 zeros */
	l->have_last = sc->have_last;
	l->last_start_ms = sc->last_start_ms;
	l->last_length_ms = sc->last_length_ms;
	l->floor_ms = sc->floor_ms;
	memcpy(l->head, sc->hash, sizeof(l->head));
}

/* The day files from the newest back to the one holding the chain's last good block. */
static int find_end(struct ft_ledger *l, const struct ft_ledger_headrec *h, bool have_head,
                    struct scan *end)
{
	struct ft_ledger_file *files;
	size_t n;
	int rc = ft_ledger_list(l->dir, &files, &n);
	if (rc < 0)
		return rc;
	*end = (struct scan){ .floor_ms = INT64_MIN };
	for (size_t k = n; k-- > 0 && rc >= 0;) {
		struct scan sc;
		char why[400];
		if ((rc = scan_file(l, &files[k], &sc)) < 0)
			break;
		/* HEAD names a later step than the last complete block: the block cut short at
		 * the end had been committed, and was damaged later */
		bool committed = sc.tail && sc.tail_off > 0 && have_head && h->have_last && !sc.head_seen &&
		                 h->last_start_ms >= files[k].day * LEDGER_DAY_MS &&
		                 (!sc.have_last || h->last_start_ms > sc.last_start_ms);
		if (sc.damaged || committed) {
			if (committed) {
				char t[LEDGER_TIME_LEN + 1];
				ft_ledger_time_text(h->last_start_ms, t);
				snprintf(why, sizeof(why), "its last block, committed (HEAD names step %s), was "
				         "cut short at byte %lld", t, (long long)sc.tail_off);
			} else {
				snprintf(why, sizeof(why), "%zu problem%s, the first at %s", sc.problems,
				         sc.problems == 1 ? "" : "s", sc.problem);
			}
			if (l->n_todo == sizeof(l->todo) / sizeof(l->todo[0]) - 1) {
				ft_log_err(FT_LOG_MAIN, "ledger: %s: %zu damaged day files at the end and more: "
				           "nothing is appended until someone looks into it", l->dir, l->n_todo);
				rc = -EBADMSG;
			} else
				rc = quarantine(l, &files[k], &sc, why);
		} else if (sc.tail) {
			char path[4200];
			snprintf(path, sizeof(path), "%s/%s", l->dir, files[k].name);
			rc = cut_tail(path, sc.tail_off, have_head);
		}
		if (rc >= 0 && sc.any) {
			*end = sc;
			break;
		}
		/* empty, header only, or nothing kept: the chain ends in an earlier file */
	}
	free(files);
	return rc < 0 ? rc : 0;
}

static int write_head(struct ft_ledger *l)
{
	struct ft_ledger_headrec h = { .steps = l->steps, .have_last = l->have_last,
	                               .last_start_ms = l->last_start_ms, .last_length_ms = l->last_length_ms };
	memcpy(h.hash, l->head, sizeof(h.hash));
	int rc = ft_ledger_headrec_write(l->dir_fd, &h);
	if (rc < 0 && !l->head_stale)
		ft_log_err(FT_LOG_MAIN, "ledger: %s/" LEDGER_HEAD_NAME ": cannot write: %s (the blocks are "
		           "written; HEAD is retried with each block)", l->dir, strerror(-rc));
	else if (rc == 0 && l->head_stale)
		ft_log_notice(FT_LOG_MAIN, "ledger: %s/" LEDGER_HEAD_NAME " is up to date again", l->dir);
	l->head_stale = rc < 0;
	return rc;
}

static int append_break(struct ft_ledger *l, const struct ft_ledger_break *k);

static int recover(struct ft_ledger *l)
{
	struct ft_ledger_headrec h;
	char path[4200];
	int hs = ft_ledger_headrec_read(l->dir, &h);
	snprintf(path, sizeof(path), "%s/" LEDGER_HEAD_NAME, l->dir);
	if (hs < 0 && hs != -ENOENT) {
		char what[200];
		snprintf(what, sizeof(what), "unreadable (%s): rebuilt from the chain (a truncation before "
		         "now cannot be seen)", hs == -EBADMSG ? "not a ledger HEAD" : strerror(-hs));
		ft_file_damaged(FT_LOG_ERR, FT_LOG_MAIN, path, what);
	}
	struct scan end;
	int rc = find_end(l, &h, hs == 0, &end);
	if (rc < 0)
		return rc;
	take_end(l, &end);
	bool quarantined = l->n_todo > 0;
	char a[LEDGER_TIME_LEN + 1] = "-", b[LEDGER_TIME_LEN + 1] = "-";
	if (hs == 0 && !quarantined && strcmp(h.hash, l->head) == 0) {
		l->steps = h.steps;
	} else if (hs == 0 && !quarantined && end.head_seen) {
		l->steps = h.steps + end.after_head;
		ft_log_notice(FT_LOG_MAIN, "ledger: %s was %" PRIu64 " step%s behind the chain (a stop "
		              "between writing a block and HEAD): brought up to date", path, end.after_head,
		              end.after_head == 1 ? "" : "s");
	} else {
		if ((rc = ft_ledger_count_steps(l->dir, &l->steps)) < 0)
			return rc;
		if (hs != 0 && (l->have_last || l->steps)) {
			ft_log_notice(FT_LOG_MAIN, "ledger: no %s (a ledger of an older flowtallyd, or a first "
			              "start): written from the chain, %" PRIu64 " step%s", path, l->steps,
			              l->steps == 1 ? "" : "s");
		} else if (hs == 0 && !quarantined) {
			struct ft_ledger_break *k = &l->todo[l->n_todo++];
			if (l->have_last)
				ft_ledger_time_text(l->last_start_ms, a);
			if (h.have_last)
				ft_ledger_time_text(h.last_start_ms, b);
			ft_log_err(FT_LOG_MAIN, "ledger: the chain ends with step %s (%" PRIu64 " steps), but %s "
			           "names step %s (%" PRIu64 " steps): blocks were removed from the end of the "
			           "newest day file, or day files deleted; a break record starts a new chain "
			           "segment (acknowledge it with flowtally ledger acknowledge)", a, l->steps, path,
			           b, h.steps);
			*k = (struct ft_ledger_break){ .time_ms = l->have_last ? l->last_start_ms + l->last_length_ms
			                                                         : h.last_start_ms };
			snprintf(k->kind, sizeof(k->kind), "truncated");
			snprintf(k->ref, sizeof(k->ref), "%s", h.hash);
			snprintf(k->text, sizeof(k->text), "HEAD named step %s (%" PRIu64 " steps); the chain "
			         "ended with step %s (%" PRIu64 " steps): blocks or day files removed", b, h.steps,
			         a, l->steps);
		}
	}
	for (size_t i = 0; i < l->n_todo && rc == 0; i++)
		rc = append_break(l, &l->todo[i]);
	l->open_breaks = l->n_todo;
	if (rc == 0)
		write_head(l);          /* a failure is logged, and retried with each block */
	return rc;
}

static int lock_dir(struct ft_ledger *l)
{
	l->dir_fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (l->dir_fd < 0)
		return -errno;
	if (flock(l->dir_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

int ft_ledger_open(const char *dir, struct ft_ledger **ret)
{
	int rc = make_dir(dir);
	if (rc < 0)
		return rc;
	struct ft_ledger *l = calloc(1, sizeof(*l));
	if (!l || !(l->dir = strdup(dir))) {
		free(l);
		return -ENOMEM;
	}
	l->fd = -1;
	l->dir_fd = -1;
	l->refused_day = INT64_MIN;
	memset(l->head, '0', FT_LEDGER_HASH_HEX - 1);
	if ((rc = lock_dir(l)) < 0 || (rc = recover(l)) < 0) {
		ft_ledger_close(l);
		return rc;
	}
	*ret = l;
	return 0;
}

static int open_day(struct ft_ledger *l, int64_t day)
{
	char name[LEDGER_NAME_LEN + 1];
	if (l->fd >= 0)
		close(l->fd);
	ft_ledger_file_name(day, name);
	/* never appended through a link planted at today's name (file.h) */
	l->fd = ft_file_open_at(l->dir_fd, name, O_RDWR | O_APPEND | O_CREAT);
	if (l->fd < 0) {
		int rc = l->fd;
		if (l->refused_day != day)
			ft_log_err(FT_LOG_MAIN, "ledger: %s/%s: %s", l->dir, name, ft_file_strerror(rc));
		l->refused_day = day;
		return rc;
	}
	l->refused_day = INT64_MIN;
	l->fd_day = day;
	return 0;
}

/* Writes the block (and the header of a new file) and makes it durable. */
static int commit(struct ft_ledger *l, const struct ft_ledger_buf *b, off_t size)
{
	int rc = ft_file_write_all(l->fd, b->p, b->len);
	if (rc == 0 && fsync(l->fd) < 0)
		rc = -errno;
	if (rc == 0 && size == 0 && fsync(l->dir_fd) < 0)
		rc = -errno;
	if (rc < 0 && (ftruncate(l->fd, size) < 0 || fsync(l->fd) < 0)) {
		ft_log_err(FT_LOG_MAIN, "ledger: %s: cannot remove a partly written block: %s; "
		           "appending stops until the ledger is reopened", l->dir, strerror(errno));
		l->broken = true;
	}
	return rc;
}

/* The day file of `day`, its size (0: the header is to be written first). */
static int day_file(struct ft_ledger *l, int64_t day, off_t *ret_size)
{
	struct stat st;
	int rc;
	if ((l->fd < 0 || l->fd_day != day) && (rc = open_day(l, day)) < 0)
		return rc;
	if (fstat(l->fd, &st) < 0)
		return -errno;
	*ret_size = st.st_size;
	/* a file begun by an older flowtallyd goes on in its own version */
	l->fd_version = LEDGER_VERSION;
	if (st.st_size > 0) {
		char h[LEDGER_HEADER_LEN + 1];
		ssize_t n = pread(l->fd, h, LEDGER_HEADER_LEN, 0);
		int v = n == LEDGER_HEADER_LEN && h[n - 1] == '\n' ? ft_ledger_header_version(h, (size_t)n - 1, day) : 0;
		l->fd_version = v ? v : LEDGER_VERSION;
	}
	return 0;
}

/* One block, a step's (s) or a break's (k), at the end of the day file of `at`, with
 * the file's header when it is new; the chain's head moves on to it. */
static int append_block(struct ft_ledger *l, int64_t at, const struct ft_step *s,
                        const struct ft_ledger_break *k)
{
	int64_t day = ft_ledger_day_of(at);
	off_t size = 0;
	int rc = day_file(l, day, &size);
	if (rc < 0)
		return rc;
	struct ft_ledger_buf b = { 0 };
	char hash[FT_LEDGER_HASH_HEX];
	if (size == 0)
		ft_ledger_format_header(&b, day);
	if (s)
		ft_ledger_format_block_v(&b, s, l->head, hash, l->fd_version);
	else
		ft_ledger_format_break(&b, k, l->head, hash);
	rc = b.oom ? -ENOMEM : commit(l, &b, size);
	ft_ledger_buf_done(&b);
	if (rc == 0)
		memcpy(l->head, hash, sizeof(hash));
	return rc;
}

static int append_break(struct ft_ledger *l, const struct ft_ledger_break *brk)
{
	/* never before what the chain already holds: breaks found in earlier files come
	 * after those found in later ones */
	struct ft_ledger_break kk = *brk, *k = &kk;
	int64_t next = ft_ledger_next_start(l);
	if (k->time_ms < next)
		k->time_ms = next;
	int rc = append_block(l, k->time_ms, NULL, k);
	if (rc == 0)
		l->floor_ms = k->time_ms;
	return rc;
}

int ft_ledger_append(struct ft_ledger *l, const struct ft_step *s)
{
	if (l->broken)
		return -EIO;
	if (ft_ledger_step_invalid(s))
		return -EINVAL;
	if (ft_step_check(s) < 0)
		return -EBADMSG;
	if ((l->have_last && s->start_ms < l->last_start_ms + l->last_length_ms) || s->start_ms < l->floor_ms)
		return -EEXIST;
	int rc = append_block(l, s->start_ms, s, NULL);
	if (rc < 0)
		return rc;
	l->have_last = true;
	l->last_start_ms = s->start_ms;
	l->last_length_ms = s->length_ms;
	l->steps++;
	/* the block is committed; HEAD follows (a stop in between leaves HEAD one behind,
	 * which the next open sees and brings up to date) */
	write_head(l);
	return 0;
}

int ft_ledger_last_step(const struct ft_ledger *l, int64_t *ret_start_ms, int64_t *ret_length_ms)
{
	if (!l->have_last)
		return -ENOENT;
	*ret_start_ms = l->last_start_ms;
	*ret_length_ms = l->last_length_ms;
	return 0;
}

const char *ft_ledger_head(const struct ft_ledger *l)
{
	return l->head;
}

int64_t ft_ledger_next_start(const struct ft_ledger *l)
{
	int64_t end = l->have_last ? l->last_start_ms + l->last_length_ms : INT64_MIN;
	return end > l->floor_ms ? end : l->floor_ms;
}

uint64_t ft_ledger_steps(const struct ft_ledger *l)
{
	return l->steps;
}

size_t ft_ledger_open_breaks(const struct ft_ledger *l)
{
	return l->open_breaks;
}

struct ft_ledger *ft_ledger_close(struct ft_ledger *l)
{
	if (!l)
		return NULL;
	if (l->fd >= 0)
		close(l->fd);
	if (l->dir_fd >= 0)
		close(l->dir_fd);
	free(l->dir);
	free(l);
	return NULL;
}
