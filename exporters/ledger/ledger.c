/* The step ledger: the authoritative record of closed steps, appended by flowtallyd and
 * read by `flowtally ledger` and recharge.
 *
 * FORMAT (version 1).  DIR/YYYY-MM-DD.ledger holds the steps that start on that UTC day.
 * Text; one record per line; fields separated by one tab; lines end with "\n"; numbers
 * in decimal, exact (no units, no rounding); times as 2026-11-01T00:00:00Z (UTC, whole
 * seconds).  The first field says what a line is:
 *
 *   H  flowtally-ledger  1  2026-11-01                      the file's first line
 *   B  START  LENGTH_S  MAP_ID  PREV_HASH  N_CELLS          a step's block begins
 *   L  START  TENANT  out|in  CLASS  BYTES  PACKETS  FLOWS  N_CELLS lines, sorted by
 *                                                           tenant, direction, class
 *   S  START  unattributed_src  BYTES  PACKETS  FLOWS       five lines, in this order
 *   S  START  unattributed_dst  ...
 *   S  START  total  ...
 *   S  START  late  ...
 *   S  START  not_accounted  ...
 *   E  START  HASH                                          the block ends
 *
 * START is the step's start on every line of its block, so a line means something
 * alone (grep, sort).  MAP_ID is the tenant map's identity ("-" when none).  HASH is
 * the SHA-256, in lowercase hex, of the block's bytes from its B line through the
 * newline of its last S line.  PREV_HASH is the HASH of the block before (in the same
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
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/file.h"
#include "flowtally/log.h"
#include "ledger_int.h"

struct ft_ledger {
	char *dir;
	int dir_fd;                 /* holds the lock */
	int fd;                     /* the day file being appended, or -1 */
	int64_t fd_day;
	bool have_last;
	int64_t last_start_ms, last_length_ms;
	char head[FT_LEDGER_HASH_HEX];
	bool broken;                /* a failed write could not be undone */
};

/* mkdir, and when it made the directory, fsync its parent so the entry is durable. */
static int make_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0)
		return errno == EEXIST ? 0 : -errno;
	char *parent = strdup(dir);
	if (!parent)
		return -ENOMEM;
	char *slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	int fd = open(slash ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = fd < 0 || fsync(fd) < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	free(parent);
	return r;
}

static int cut_tail(const char *path, off_t off)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = ftruncate(fd, off) < 0 || fsync(fd) < 0 ? -errno : 0;
	close(fd);
	if (r == 0)
		ft_log_warn(FT_LOG_MAIN, "ledger: %s: cut off an incomplete block at byte %lld "
		            "(written when the collector stopped; that step was never committed)",
		            path, (long long)off);
	return r;
}

/* Verifies the day files from `from_day` on; the last good block becomes the head. */
static int scan(struct ft_ledger *l, int64_t from_day)
{
	struct ft_ledger_reader *r;
	struct ft_diag d = { 0 };
	struct ft_step s;
	bool damaged = false;
	int rc = ft_ledger_reader_open_mode(l->dir, from_day * LEDGER_DAY_MS, INT64_MAX, true, &r);
	if (rc < 0)
		return rc;
	while ((rc = ft_ledger_reader_next(r, &s, &d)) != 0 && rc != -ENOMEM) {
		if (rc < 0) {
			damaged = true;
			continue;
		}
		l->have_last = true;
		l->last_start_ms = s.start_ms;
		l->last_length_ms = s.length_ms;
		snprintf(l->head, sizeof(l->head), "%s", ft_ledger_reader_hash(r));
		ft_step_done(&s);
	}
	for (size_t i = 0; i < d.n; i++)
		ft_log_err(FT_LOG_MAIN, "ledger: %s", d.lines[i]);
	ft_diag_done(&d);
	if (rc == 0 && damaged) {
		ft_log_err(FT_LOG_MAIN, "ledger: %s is damaged; nothing is appended to it until "
		           "`flowtally ledger verify` passes", l->dir);
		rc = -EBADMSG;
	} else if (rc == 0 && r->tail_incomplete) {
		rc = cut_tail(r->tail_path, r->tail_off);
	}
	ft_ledger_reader_free(r);
	return rc;
}

static int recover(struct ft_ledger *l)
{
	struct ft_ledger_file *files;
	size_t n;
	int rc = ft_ledger_list(l->dir, &files, &n);
	if (rc < 0)
		return rc;
	for (size_t k = n; k-- > 0 && !l->have_last && rc == 0;)
		rc = scan(l, files[k].day);
	free(files);
	return rc;
}

static int lock_dir(struct ft_ledger *l)
{
	l->dir_fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
	l->fd = openat(l->dir_fd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (l->fd < 0)
		return -errno;
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

int ft_ledger_append(struct ft_ledger *l, const struct ft_step *s)
{
	if (l->broken)
		return -EIO;
	if (ft_ledger_step_invalid(s))
		return -EINVAL;
	if (ft_step_check(s) < 0)
		return -EBADMSG;
	if (l->have_last && s->start_ms < l->last_start_ms + l->last_length_ms)
		return -EEXIST;
	int64_t day = ft_ledger_day_of(s->start_ms);
	struct stat st;
	int rc = 0;
	if ((l->fd < 0 || l->fd_day != day) && (rc = open_day(l, day)) < 0)
		return rc;
	if (fstat(l->fd, &st) < 0)
		return -errno;
	struct ft_ledger_buf b = { 0 };
	char hash[FT_LEDGER_HASH_HEX];
	if (st.st_size == 0)
		ft_ledger_format_header(&b, day);
	ft_ledger_format_block(&b, s, l->head, hash);
	rc = b.oom ? -ENOMEM : commit(l, &b, st.st_size);
	ft_ledger_buf_done(&b);
	if (rc < 0)
		return rc;
	l->have_last = true;
	l->last_start_ms = s->start_ms;
	l->last_length_ms = s->length_ms;
	memcpy(l->head, hash, sizeof(hash));
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
