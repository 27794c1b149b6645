/* The header of an RRD file, checked before librrd is given it (rrd.h).
 *
 * librrd trusts the files it opens: a damaged or crafted header makes it divide by
 * zero or free what it never allocated (both found by tests/fuzz/fuzz_rrd.c), and a
 * file shorter than its header says would be mapped and read past its end.  So the sink reads the header itself first, in the layout
 * librrd writes on this machine (rrd_format.h, native byte order and alignment, format
 * versions 0003 and 0004), and hands librrd only a file whose header is sound and one
 * of flowtally's: the cookies, the data sources (names and types) of its kind, the
 * step, archives that are AVERAGE or MAX with at least one row and one primary point a
 * row, each archive's current row inside it, and a file exactly as long as the header
 * says.  Every count is checked against the bytes there are before it is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/rrd.h"

/* The on-disk sizes of librrd's structures (rrd_format.h) on a 64-bit machine. */
#define STAT_HEAD 128           /* cookie[4] version[5] (pad) float_cookie ds_cnt rra_cnt pdp_step par[10] */
#define DS_DEF 120              /* ds_nam[20] dst[20] par[10] */
#define RRA_DEF 120             /* cf_nam[20] (pad) row_cnt pdp_cnt par[10] */
#define LIVE_HEAD 16            /* last_up last_up_usec */
#define PDP_PREP 112            /* last_ds[30] (pad) scratch[10] */
#define CDP_PREP 80             /* scratch[10] */
#define RRA_PTR 8               /* cur_row */
#define FLOAT_COOKIE 8.642135E130
#define RRA_MAX 32
#define ROWS_MAX (1ul << 28)

static unsigned long word(const unsigned char *p)
{
	unsigned long v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* A NUL-terminated string of at most size - 1 bytes at p equal to want. */
static bool name_is(const unsigned char *p, size_t size, const char *want)
{
	return memchr(p, '\0', size) && strcmp((const char *)p, want) == 0;
}

int ft_rrd_header_check(const char *path, enum ft_rrd_kind k, int64_t step_s, char *err, size_t err_size)
{
	_Static_assert(sizeof(unsigned long) == 8 && sizeof(double) == 8, "a 64-bit layout");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return -ENOENT;
		snprintf(err, err_size, "%s: cannot open: %s", path, strerror(e));
		return -EIO;
	}
	struct stat sb;
	const char *const *names;
	size_t n_ds = ft_rrd_ds_names(k, &names);
	size_t max = STAT_HEAD + RRA_MAX * (RRA_DEF + RRA_PTR + CDP_PREP * FT_RRD_DS_MAX) +
	             FT_RRD_DS_MAX * (DS_DEF + PDP_PREP) + LIVE_HEAD;
	unsigned char *h = malloc(max);
	ssize_t got = h && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? pread(fd, h, max, 0) : -1;
	close(fd);
	const char *why = NULL;
	unsigned long ds_cnt = 0, rra_cnt = 0;
	double cookie = 0;
	if (got < 0)
		why = h ? "not a regular file, or cannot be read" : "out of memory";
	else if ((size_t)got < STAT_HEAD || memcmp(h, "RRD", 4) != 0)
		why = "not a round-robin database (no RRD cookie)";
	else if (memcmp(h + 4, "0003", 5) != 0 && memcmp(h + 4, "0004", 5) != 0)
		why = "not of RRD format 0003 or 0004";
	else if (memcpy(&cookie, h + 16, 8), cookie != FLOAT_COOKIE)
		why = "not of this machine's byte order or floating point (float cookie)";
	else if ((ds_cnt = word(h + 24)) != n_ds)
		why = "another number of data sources than flowtally's";
	else if ((rra_cnt = word(h + 32)) == 0 || rra_cnt > RRA_MAX)
		why = "no archives, or more than flowtally's layouts have";
	else if ((int64_t)word(h + 40) != step_s)
		why = "another step";
	/* from here on the counts are bounded: ds_cnt <= FT_RRD_DS_MAX, rra_cnt <= RRA_MAX */
	size_t header = why ? 0 : STAT_HEAD + ds_cnt * (DS_DEF + PDP_PREP) +
	                          rra_cnt * (RRA_DEF + RRA_PTR + CDP_PREP * ds_cnt) + LIVE_HEAD;
	if (!why && (size_t)got < header)
		why = "shorter than its header";
	unsigned long long size = header;
	for (size_t i = 0; !why && i < ds_cnt; i++) {
		const unsigned char *d = h + STAT_HEAD + i * DS_DEF;
		if (!name_is(d, 20, names[i]) || !name_is(d + 20, 20, ft_rrd_ds_type(k, i)))
			why = "other data sources than flowtally's";
	}
	size_t rra = STAT_HEAD + ds_cnt * DS_DEF;
	size_t live = rra + rra_cnt * RRA_DEF;
	size_t ptr = live + LIVE_HEAD + ds_cnt * PDP_PREP + rra_cnt * ds_cnt * CDP_PREP;
	/* a last update a clock could show: from 1970 to beyond any collector's life */
	if (!why && word(h + live) >= (1ul << 38))
		why = "a last update time no clock shows";
	for (size_t i = 0; !why && i < rra_cnt; i++) {
		const unsigned char *r = h + rra + i * RRA_DEF;
		unsigned long rows = word(r + 24), pdp = word(r + 32), cur = word(h + ptr + i * RRA_PTR);
		if (!name_is(r, 20, "AVERAGE") && !name_is(r, 20, "MAX"))
			why = "an archive of another consolidation than AVERAGE or MAX";
		else if (rows == 0 || rows > ROWS_MAX || pdp == 0 || pdp > ROWS_MAX || cur >= rows)
			why = "an archive of no rows, of too many, or whose current row is outside it";
		size += (unsigned long long)rows * ds_cnt * sizeof(double);
	}
	free(h);
	if (!why && (unsigned long long)sb.st_size != size) {
		snprintf(err, err_size, "%s: damaged: %lld bytes, where its header says %llu", path,
		         (long long)sb.st_size, size);
		return -EBADF;
	}
	if (why) {
		snprintf(err, err_size, "%s: %s", path, why);
		return -EBADF;
	}
	return 0;
}
