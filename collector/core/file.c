/* Small state files (file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "flowtally/log.h"

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

int ft_file_write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int r = ft_file_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
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
