/* flowtally — small state files: written so that a crash leaves the old copy or the
 * new, never half of one; set aside, never deleted, when they turn out damaged. */
#ifndef FLOWTALLY_FILE_H
#define FLOWTALLY_FILE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes all of data to fd, retrying short writes and EINTR.  0 or negative errno. */
int ft_file_write_all(int fd, const void *data, size_t len);
/* Reads the whole file path (at most max bytes) into *ret, NUL-terminated (the caller's:
 * free()), its length in *ret_len.  0, -EFBIG past max, or negative errno. */
int ft_file_read_all(const char *path, size_t max, char **ret, size_t *ret_len);

/* Every file flowtally writes is opened with O_NOFOLLOW and checked to be a regular file
 * owned by the effective user, and gets FT_FILE_MODE whatever the umask: a symbolic link
 * planted at one of its names makes it refuse that file, never write where the link
 * points.  The refusals are these negative errnos (ft_file_strerror says them):
 *   -ELOOP              the name is a symbolic link
 *   -FT_FILE_ENOTREG    it is not a regular file (a directory, a FIFO, a device)
 *   -FT_FILE_EFOREIGN   it is owned by another user */
#define FT_FILE_MODE 0640
#define FT_FILE_DIR_MODE 0750
#define FT_FILE_ENOTREG EMEDIUMTYPE
#define FT_FILE_EFOREIGN EPERM

/* 0 when fd is a regular file owned by the effective user, else a refusal above (or the
 * negative errno of fstat). */
int ft_file_check_fd(int fd);
/* openat(dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC) for writing (dir_fd AT_FDCWD for
 * a path), checked as above and made FT_FILE_MODE.  As root in a directory another user
 * owns (`flowtally ledger acknowledge` run by root in the data directory of a flowtallyd
 * that runs as its own user), the file must be that user's, and one root creates is
 * given to it.  The descriptor (the caller's), or a negative errno. */
int ft_file_open_at(int dir_fd, const char *name, int flags);
/* Creates name with O_EXCL for writing: a temporary.  One a crash left (a regular file
 * of ours) is removed first; anything else there (a link, a foreign file) is refused and
 * left where it is.  fd or negative errno. */
int ft_file_create_excl_at(int dir_fd, const char *name);
/* Writes data to name.tmp (ft_file_create_excl_at), fsyncs it and renames it over name
 * (which replaces a link at name, never what it points to).  0 or negative errno. */
int ft_file_write_atomic_at(int dir_fd, const char *name, const void *data, size_t len);
/* The same with a path. */
int ft_file_write_atomic(const char *path, const void *data, size_t len);
/* strerror, with the refusals above said as such. */
const char *ft_file_strerror(int r);

/* Makes sure path is a directory flowtally may keep its files in, creating it (mode
 * FT_FILE_DIR_MODE whatever the umask) when it is missing: not a symbolic link, owned by
 * uid (as root for another uid, one root made is chowned to uid and gid first).  One
 * with more permissions than FT_FILE_DIR_MODE (0755, as older versions made them) is
 * tightened to it, which is logged.  0, or negative errno with what is wrong in err. */
int ft_file_own_dir(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen);
/* Checks the directories above path (the data directory), as written and as its links
 * resolve: each is owned by root or uid, and nobody else may replace its entries (not
 * writable by group or others, unless sticky as /tmp).  0, or negative errno with why
 * in err. */
int ft_file_check_parents(const char *path, uid_t uid, char *err, size_t errlen);

/* A file that cannot be used (it does not parse, or fails its checks) is renamed to
 * PATH.damaged-YYYYMMDDTHHMMSSZ, the UTC time now_ns (PATH.damaged-...Z-2, -3 ... when
 * that name is taken: never over another file), for whoever looks into it, and out of
 * the way of the next save.  0 and the new name in ret_path (size bytes), or negative
 * errno (-ENAMETOOLONG when it does not fit in size). */
int ft_file_set_aside(const char *path, int64_t now_ns, char *ret_path, size_t size);
/* Sets path aside (now) and logs it at level in group, in one line:
 *   "PATH: WHAT; the file is kept as PATH.damaged-20261201T120000Z"
 * what says what is wrong and what follows ("the saved open steps cannot be used (line
 * 1, column 2: ...): they are not restored"). */
void ft_file_damaged(int level, const char *group, const char *path, const char *what);

#endif
