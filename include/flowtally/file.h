/* flowtally — small state files: written so that a crash leaves the old copy or the
 * new, never half of one; set aside, never deleted, when they turn out damaged. */
#ifndef FLOWTALLY_FILE_H
#define FLOWTALLY_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Writes all of data to fd, retrying short writes and EINTR.  0 or negative errno. */
int ft_file_write_all(int fd, const void *data, size_t len);

/* Writes data to path.tmp, fsyncs it and renames it over path.  0 or negative errno. */
int ft_file_write_atomic(const char *path, const void *data, size_t len);

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
