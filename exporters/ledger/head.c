/* DIR/HEAD, the chain's head kept outside the day files (ledger_int.h), and two small
 * whole-file helpers: counting steps, hashing a file. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/file.h"
#include "ledger_int.h"

#define HEAD_MAGIC "flowtally-ledger-head"

int ft_ledger_headrec_read(const char *dir, struct ft_ledger_headrec *h)
{
	char path[4200], buf[512], hash[80], t[40];
	unsigned long long steps, len_s;
	snprintf(path, sizeof(path), "%s/" LEDGER_HEAD_NAME, dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	*h = (struct ft_ledger_headrec){ 0 };
	int used = 0;
	if (sscanf(buf, HEAD_MAGIC "\t1\nhash\t%79[0-9a-f]\nsteps\t%llu\nlast\t%n", hash, &steps,
	           &used) != 2 || !used || !ft_ledger_hash_ok(hash, strlen(hash)))
		return -EBADMSG;
	const char *rest = buf + used;
	if (strcmp(rest, "-\n") == 0) {
		h->have_last = false;
	} else {
		int end = 0;
		if (sscanf(rest, "%39[^\t]\t%llu\n%n", t, &len_s, &end) != 2 || rest[end] != '\0' ||
		    end == 0 || rest[end - 1] != '\n' || ft_ledger_time_read(t, &h->last_start_ms) < 0 ||
		    len_s == 0 || len_s > 86400)
			return -EBADMSG;
		h->have_last = true;
		h->last_length_ms = (int64_t)len_s * 1000;
	}
	memcpy(h->hash, hash, FT_LEDGER_HASH_HEX);
	h->steps = steps;
	return 0;
}

int ft_ledger_headrec_write(int dir_fd, const struct ft_ledger_headrec *h)
{
	char buf[512], t[LEDGER_TIME_LEN + 1];
	int n;
	if (h->have_last) {
		ft_ledger_time_text(h->last_start_ms, t);
		n = snprintf(buf, sizeof(buf), HEAD_MAGIC "\t1\nhash\t%s\nsteps\t%" PRIu64 "\nlast\t%s\t%" PRId64 "\n",
		             h->hash, h->steps, t, h->last_length_ms / 1000);
	} else {
		n = snprintf(buf, sizeof(buf), HEAD_MAGIC "\t1\nhash\t%s\nsteps\t%" PRIu64 "\nlast\t-\n",
		             h->hash, h->steps);
	}
	int fd = ft_file_create_excl_at(dir_fd, LEDGER_HEAD_NAME ".tmp");
	if (fd < 0)
		return fd;
	int rc = ft_file_write_all(fd, buf, (size_t)n);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && renameat(dir_fd, LEDGER_HEAD_NAME ".tmp", dir_fd, LEDGER_HEAD_NAME) < 0)
		rc = -errno;
	if (rc == 0 && fsync(dir_fd) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(dir_fd, LEDGER_HEAD_NAME ".tmp", 0);
	return rc;
}

int ft_ledger_count_steps(const char *dir, uint64_t *ret)
{
	struct ft_ledger_file *files;
	size_t n;
	uint64_t steps = 0;
	int rc = ft_ledger_list(dir, &files, &n);
	if (rc < 0)
		return rc;
	char *line = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		FILE *f = fopen(path, "re");
		if (!f) {
			rc = -errno;
			break;
		}
		ssize_t len;
		while ((len = getline(&line, &cap, f)) > 0)
			if (len > 2 && line[0] == 'B' && line[1] == '\t' && line[len - 1] == '\n')
				steps++;
		fclose(f);
	}
	free(line);
	free(files);
	if (rc == 0)
		*ret = steps;
	return rc;
}

int ft_ledger_file_sha256(const char *path, char ret[FT_LEDGER_HASH_HEX])
{
	uint8_t buf[65536], d[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	sha256_init(&ctx);
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&ctx, (size_t)n, buf);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	sha256_digest(&ctx, sizeof(d), d);
	ft_ledger_sha256_hex(d, ret);
	return 0;
}
