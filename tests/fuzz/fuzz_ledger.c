/* Fuzz target for the ledger's readers of on-disk bytes: the day-file reader
 * (ft_ledger_reader_*), the HEAD parser, and the writer's recovery at open (torn
 * writes cut off, damaged newest files quarantined, breaks appended).
 *
 * An input is up to three files, each
 *   2 bytes  length, big-endian, cut to what is left of the input
 *   n bytes  content
 * written as DIR/2026-11-01.ledger, DIR/2026-11-02.ledger and DIR/HEAD, in that order
 * (a file the input does not reach is not created).
 *
 * Checked whatever the bytes: every step the reader returns can be written and
 * balances; the writer opens the ledger (damage never refuses it), takes one more
 * step after its last, and the reader then returns that step last; a second open
 * finds nothing more to repair (no new break), the chain being whole again from the
 * newest file on.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/ledger.h"
#include "flowtally/log.h"
#include "fuzz.h"

static const char *const names[] = { "2026-11-01.ledger", "2026-11-02.ledger", "HEAD" };

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

/* Reads the whole ledger; the start of the last step returned, or INT64_MIN. */
static int64_t read_all(const char *dir)
{
	struct ft_ledger_reader *r;
	struct ft_step s;
	int64_t last = INT64_MIN;
	int rc;
	CHECK(ft_ledger_reader_open(dir, INT64_MIN, INT64_MAX, &r) == 0);
	while ((rc = ft_ledger_reader_next(r, &s, NULL)) != 0) {
		CHECK(rc == 1 || rc == 2 || rc == -EBADMSG || rc == -EIO || rc == -ENOMEM);
		if (rc != 1)
			continue;
		CHECK(ft_step_check(&s) == 0);
		CHECK(s.start_ms % s.length_ms == 0);
		last = s.start_ms;
		ft_step_done(&s);
	}
	ft_ledger_reader_free(r);
	return last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[64] = "/tmp/ft-fuzz-ledger-XXXXXX", path[128];
	ft_log_level = getenv("FT_FUZZ_LOG") ? FT_LOG_DEBUG : FT_LOG_ERR - 1;
	CHECK(mkdtemp(dir));
	for (int i = 0; i < 3 && size >= 2; i++) {
		size_t n = (size_t)data[0] << 8 | data[1];
		data += 2, size -= 2;
		n = n < size ? n : size;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "w");
		CHECK(f && fwrite(data, 1, n, f) == n && fclose(f) == 0);
		data += n, size -= n;
	}
	read_all(dir);

	struct ft_ledger *l;
	CHECK(ft_ledger_open(dir, &l) == 0);
	int64_t start = ft_ledger_next_start(l);
	start = start < 0 ? 0 : start + 60000 - start % 60000;   /* a whole minute after */
	struct ft_step s = { .start_ms = start, .length_ms = 60000, .total = { 100, 2, 1 },
	                     .unattributed_src = { 100, 2, 1 }, .unattributed_dst = { 100, 2, 1 } };
	int rc = ft_ledger_append(l, &s);
	CHECK(rc == 0 || rc == -EINVAL);        /* -EINVAL: after 9999 */
	ft_ledger_close(l);
	if (getenv("FT_FUZZ_LOG"))
		fprintf(stderr, "fuzz_ledger: %s, step %lld appended: %d\n", dir, (long long)start, rc);
	if (rc == 0)
		CHECK(read_all(dir) == start);
	CHECK(ft_ledger_open(dir, &l) == 0);
	CHECK(ft_ledger_open_breaks(l) == 0);
	ft_ledger_close(l);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
