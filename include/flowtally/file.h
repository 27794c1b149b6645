/* flowtally — writing small state files so that a crash leaves the old copy or the new,
 * never half of one. */
#ifndef FLOWTALLY_FILE_H
#define FLOWTALLY_FILE_H

#include <stddef.h>

/* Writes all of data to fd, retrying short writes and EINTR.  0 or negative errno. */
int ft_file_write_all(int fd, const void *data, size_t len);

/* Writes data to path.tmp, fsyncs it and renames it over path.  0 or negative errno. */
int ft_file_write_atomic(const char *path, const void *data, size_t len);

#endif
