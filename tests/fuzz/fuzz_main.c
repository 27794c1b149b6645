/* Replay main() for fuzz targets, linked in place of libFuzzer's.
 *
 * Runs LLVMFuzzerTestOneInput() once per file named on the command line, or once per
 * regular file in each directory named (in name order, dot files skipped, no recursion).
 * Each path is printed before its input runs, so when an input crashes the program the
 * last line names it; `meson test` then fails.  A path that cannot be read, or a run
 * with no input at all (an empty or missing corpus), also fails.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

struct tally {
	size_t ran;
	int failed;
};

static void fail(struct tally *t, const char *path, int err)
{
	fprintf(stderr, "%s: %s\n", path, strerror(err));
	t->failed = 1;
}

/* The input goes in a buffer of exactly its size, so that a sanitized build catches a
 * read past its end as libFuzzer would. */
static void run_file(const char *path, struct tally *t)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(t, path, errno);
		return;
	}
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = 0;
	if (fstat(fileno(f), &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = EINVAL;
	else if (!(buf = malloc((len = (size_t)st.st_size) ? len : 1)))
		err = ENOMEM;
	else if (fread(buf, 1, len, f) != len)
		err = EIO;
	fclose(f);
	if (err) {
		free(buf);
		fail(t, path, err);
		return;
	}
	fprintf(stderr, "%s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	t->ran++;
}

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void run_dir(const char *dir, struct tally *t)
{
	struct dirent **names;
	int n = scandir(dir, &names, not_dot, alphasort);
	if (n < 0) {
		fail(t, dir, errno);
		return;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (w < 0 || (size_t)w >= sizeof(path))
			fail(t, names[i]->d_name, ENAMETOOLONG);
		else if (stat(path, &st) < 0)
			fail(t, path, errno);
		else if (S_ISREG(st.st_mode))
			run_file(path, t);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0)
			fail(&t, argv[i], errno);
		else if (S_ISDIR(st.st_mode))
			run_dir(argv[i], &t);
		else
			run_file(argv[i], &t);
	}
	printf("%zu inputs ran\n", t.ran);
	if (t.ran == 0) {
		fprintf(stderr, "no inputs\n");
		return 1;
	}
	return t.failed;
}
