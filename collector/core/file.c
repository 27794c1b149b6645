/* Small state files (file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "flowtally/log.h"

int ft_file_read_all(const char *path, size_t max, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int err = f ? 0 : errno;
	while (f && !err) {
		if (len + 1 >= cap) {
			size_t want = cap ? 2 * cap : 4096;
			char *n = want > max ? NULL : realloc(text, want);
			if (!n) {
				err = want > max ? EFBIG : ENOMEM;
				break;
			}
			text = n;
			cap = want;
		}
		errno = 0;
		size_t got = fread(text + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0) {
			if (ferror(f))
				err = errno ? errno : EIO;
			break;
		}
	}
	if (f)
		fclose(f);
	if (err) {
		free(text);
		return -err;
	}
	text[len] = '\0';
	*ret = text;
	*ret_len = len;
	return 0;
}

int ft_file_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Whom a file at name must belong to: the effective user; but root (the flowtally
 * command run by an administrator) writing in a directory of another user (flowtallyd's,
 * when it runs as its own user) writes that user's files, so that the daemon can go on
 * using them. */
static void owner_for(int dir_fd, const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
	struct stat st;
	char dir[4200];
	*ret_uid = geteuid();
	*ret_gid = (gid_t)-1;
	if (*ret_uid != 0)
		return;
	const char *slash = strrchr(name, '/');
	int r = -1;
	if (!slash)
		r = dir_fd == AT_FDCWD ? stat(".", &st) : fstat(dir_fd, &st);
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name) + (slash == name), name) < (int)sizeof(dir))
		r = fstatat(dir_fd, dir, &st, 0);
	if (r == 0 && st.st_uid != 0) {
		*ret_uid = st.st_uid;
		*ret_gid = st.st_gid;
	}
}

/* 0 when st is a regular file of uid, else -ELOOP, -FT_FILE_ENOTREG or -FT_FILE_EFOREIGN. */
static int judge_file(const struct stat *st, uid_t uid)
{
	if (S_ISLNK(st->st_mode))
		return -ELOOP;          /* a link itself, or an O_PATH descriptor of one */
	if (!S_ISREG(st->st_mode))
		return -FT_FILE_ENOTREG;
	return st->st_uid == uid ? 0 : -FT_FILE_EFOREIGN;
}

static int check_owned(int fd, uid_t uid)
{
	struct stat st;
	return fstat(fd, &st) < 0 ? -errno : judge_file(&st, uid);
}

int ft_file_check_fd(int fd)
{
	return check_owned(fd, geteuid());
}

/* A descriptor just opened: refused (and closed) unless it is a regular file of the
 * owner it must have (one root just made is given to it first); then made FT_FILE_MODE
 * (the mode asked for at open is cut by the umask), which also tightens a file an older
 * version left 0644. */
static int adopt_fd(int fd, uid_t uid, gid_t gid)
{
	struct stat st;
	if (uid != geteuid() && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    fchown(fd, uid, gid) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	int r = check_owned(fd, uid);
	if (r == 0 && fchmod(fd, FT_FILE_MODE) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int ft_file_open_at(int dir_fd, const char *name, int flags)
{
	uid_t uid;
	gid_t gid;
	owner_for(dir_fd, name, &uid, &gid);
	/* O_NONBLOCK: a FIFO planted at the name is refused at once, never waited on (it
	 * changes nothing for a regular file) */
	int fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, FT_FILE_MODE);
	return fd < 0 ? -errno : adopt_fd(fd, uid, gid);
}

/* What stands at a name that O_EXCL refused: -ELOOP, -FT_FILE_ENOTREG or
 * -FT_FILE_EFOREIGN, or 0 for a regular file of ours (a temporary a crash left). */
static int stale_kind(int dir_fd, const char *name)
{
	struct stat st;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	return judge_file(&st, geteuid());
}

int ft_file_create_excl_at(int dir_fd, const char *name)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd = ft_file_open_at(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL);
		if (fd != -EEXIST)
			return fd;
		/* only a temporary of our own is removed; anything else is left for whoever
		 * planted it to be found, and refused */
		int r = stale_kind(dir_fd, name);
		if (r < 0)
			return r;
		if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
			return -errno;
	}
	return -EEXIST;
}

int ft_file_write_atomic_at(int dir_fd, const char *name, const void *data, size_t len)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = ft_file_create_excl_at(dir_fd, tmp);
	if (fd < 0)
		return fd;
	int r = ft_file_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	/* rename replaces whatever is at name, a link included, never what a link points to */
	if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dir_fd, tmp, 0);
	return r;
}

int ft_file_write_atomic(const char *path, const void *data, size_t len)
{
	return ft_file_write_atomic_at(AT_FDCWD, path, data, len);
}

const char *ft_file_strerror(int r)
{
	switch (-r) {
	case ELOOP: return "it is a symbolic link (refused: flowtally never follows one to its files)";
	case FT_FILE_ENOTREG: return "it is not a regular file (refused)";
	case FT_FILE_EFOREIGN: return "it is owned by another user (refused)";
	default: return strerror(-r);
	}
}

/* ---- directories ---------------------------------------------------------------------- */

/* Why a directory found at path cannot hold flowtally's files, into err; 0 when it can:
 * a directory owned by uid (its mode is the caller's). */
static int judge_dir(const char *path, const struct stat *st, uid_t uid, char *err, size_t errlen)
{
	if (!S_ISDIR(st->st_mode)) {
		snprintf(err, errlen, "%s is not a directory", path);
		return -ENOTDIR;
	}
	if (st->st_uid != uid) {
		snprintf(err, errlen, "%s is owned by uid %u, not by uid %u that flowtally runs as: "
		         "refused (chown it, or remove it to have it made)", path, (unsigned)st->st_uid,
		         (unsigned)uid);
		return -FT_FILE_EFOREIGN;
	}
	return 0;
}

/* Opens (creating it when missing) the directory path for flowtally's files: never a
 * link, owned by uid (chowned to uid and gid when root made it), mode FT_FILE_DIR_MODE at
 * most.  fd or negative errno, with err said. */
static int open_own_dir(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	bool made = mkdir(path, FT_FILE_DIR_MODE) == 0;
	if (!made && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
		return -e;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, e == ELOOP || e == ENOTDIR ? "it is a symbolic "
		         "link or not a directory (refused: flowtally keeps its files in a directory of "
		         "its own)" : strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	/* root prepares the directories for the user it will run as (user = "..."), and takes
	 * over for it those an older version made as root */
	if (geteuid() == 0 && uid != 0 && st.st_uid == 0 && fchown(fd, uid, gid) == 0)
		st.st_uid = uid;
	int r = judge_dir(path, &st, uid, err, errlen);
	mode_t mode = st.st_mode & 07777;
	if (r == 0 && (made || (mode & ~(mode_t)FT_FILE_DIR_MODE))) {
		if (fchmod(fd, made ? FT_FILE_DIR_MODE : mode & FT_FILE_DIR_MODE) < 0) {
			r = -errno;
			snprintf(err, errlen, "cannot set the mode of %s: %s", path, strerror(-r));
		} else if (!made) {
			ft_log_notice(FT_LOG_MAIN, "%s was mode %04o: now %04o (nobody but flowtally's user "
			              "and group reads its files)", path, (unsigned)mode,
			              (unsigned)(mode & FT_FILE_DIR_MODE));
		}
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int ft_file_own_dir(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	int fd = open_own_dir(path, uid, gid, err, errlen);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* One directory above the data directory: trusted when root or uid owns it, or nobody
 * else may change its entries (not writable by group or others, or sticky as /tmp). */
static int judge_parent(const char *path, uid_t uid, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX);
	if (S_ISDIR(st.st_mode) && !others_write && (st.st_uid == 0 || st.st_uid == uid))
		return 0;
	if (S_ISDIR(st.st_mode) && !others_write && st.st_uid != 0 && st.st_uid != uid) {
		snprintf(err, errlen, "%s, above the data directory, is owned by uid %u (neither root "
		         "nor flowtally's user): refused, since its owner could replace the data "
		         "directory", path, (unsigned)st.st_uid);
		return -FT_FILE_EFOREIGN;
	}
	snprintf(err, errlen, "%s, above the data directory, is writable by %s: refused, since "
	         "they could replace the data directory (make it 0755, or sticky as /tmp)", path,
	         st.st_mode & S_IWOTH ? "everyone" : "its group");
	return -EACCES;
}

/* Each directory of path from / down to (not including) its last component. */
static int judge_parents(const char *path, uid_t uid, char *err, size_t errlen)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	char *end = strrchr(buf, '/');
	if (!end)
		return 0;
	for (char *p = buf; p <= end; p++) {
		if (*p != '/' || (p > buf && p[-1] == '/'))
			continue;
		char keep = p[1];
		p[1] = '\0';
		int r = judge_parent(buf, uid, err, errlen);
		p[1] = keep;
		if (r < 0)
			return r;
	}
	return 0;
}

int ft_file_check_parents(const char *path, uid_t uid, char *err, size_t errlen)
{
	char abs[4096], *real;
	int r = 0;
	size_t n = 0;
	if (path[0] != '/' && !getcwd(abs, sizeof(abs) - 2))
		r = -errno;
	else if (path[0] != '/')
		n = strlen(abs);
	if (r == 0 && snprintf(abs + n, sizeof(abs) - n, n ? "/%s" : "%s", path) >= (int)(sizeof(abs) - n))
		r = -ENAMETOOLONG;
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	/* the path as written (whoever may replace a link on it could redirect it), then
	 * where its links lead */
	if ((r = judge_parents(abs, uid, err, errlen)) < 0)
		return r;
	if (!(real = realpath(abs, NULL))) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	r = judge_parents(real, uid, err, errlen);
	free(real);
	return r;
}

/* rename() that never replaces `to`: -EEXIST when it exists. */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* a file system without RENAME_NOREPLACE: a hard link refuses an existing name too */
	if (link(from, to) < 0)
		return -errno;
	return unlink(from) < 0 ? -errno : 0;
}

int ft_file_set_aside(const char *path, int64_t now_ns, char *ret_path, size_t size)
{
	char when[32], aside[4200];
	time_t secs = (time_t)(now_ns / FT_NS_PER_SEC);
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm))
		return -EINVAL;
	for (unsigned k = 1; k <= 1000; k++) {
		int len = k == 1 ? snprintf(aside, sizeof(aside), "%s.damaged-%s", path, when)
		                 : snprintf(aside, sizeof(aside), "%s.damaged-%s-%u", path, when, k);
		if (len < 0 || (size_t)len >= sizeof(aside) || (size_t)len >= size)
			return -ENAMETOOLONG;
		int r = rename_noreplace(path, aside);
		if (r == -EEXIST)
			continue;
		if (r < 0)
			return r;
		memcpy(ret_path, aside, (size_t)len + 1);
		return 0;
	}
	return -EEXIST;
}

void ft_file_damaged(int level, const char *group, const char *path, const char *what)
{
	char aside[4300];
	int r = ft_file_set_aside(path, ft_clock_now_ns(), aside, sizeof(aside));
	if (r < 0)
		ft_log(level, group, "%s: %s; the file could not be set aside (%s) and stays as it is",
		       path, what, strerror(-r));
	else
		ft_log(level, group, "%s: %s; the file is kept as %s", path, what, aside);
}
