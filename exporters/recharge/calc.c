/* The month, percentiles and shares (recharge.h).
 *
 * The month: the zone is put in TZ for the length of the call and the local wall time
 * of an instant u is read with localtime_r (u + tm_gmtoff).  Local midnight of a date is
 * the earliest u whose wall time is that midnight; where a transition skips midnight
 * (clocks forward at 24:00), it is the first instant after it: the transition itself.
 * mktime is not used because what it does with a wall time that does not exist or
 * exists twice differs between C libraries; a search over localtime_r does not.
 *
 * Percentiles select from a copy.  Shares use unsigned __int128 throughout, so nothing is
 * rounded but the floor the method asks for. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/recharge.h"

/* ---- the month ------------------------------------------------------------------------- */

/* A name inside the system's time zone database whose file is a TZif file (RFC 8536
 * §3.1): the same check as the configuration's, kept here so that this library needs
 * no other.  glibc falls back to UTC, silently, for a TZ it cannot load: hence the file. */
static bool zone_known(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[4200], magic[4];
	if (!*zone || zone[0] == '/' || zone[0] == ':' || strstr(zone, "..") || strspn(zone,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-") != strlen(zone))
		return false;
	if (snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone) >=
	    (int)sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil): exact for every year here, without timegm. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The wall time of u in the zone in TZ, as seconds of the same scale as days_from_civil
 * × 86400. */
static int wall(time_t u, int64_t *ret)
{
	struct tm tm;
	if (!localtime_r(&u, &tm))
		return -ERANGE;
	*ret = (int64_t)u + tm.tm_gmtoff;
	return 0;
}

#define HOUR 3600
#define SPAN (27 * HOUR)    /* beyond any zone's offset (-12 h .. +14 h) and a day's change */

/* The first instant whose wall time is at or after local (a midnight as wall seconds),
 * with TZ already set. */
static int local_instant(int64_t local, int64_t *ret)
{
	int64_t w, best = INT64_MAX;
	int r;
	/* every offset in force for an hour or more near the date: sampled hourly */
	long offs[2 * SPAN / HOUR + 1];
	size_t n_offs = 0;
	for (int64_t u = local - SPAN; u <= local + SPAN; u += HOUR) {
		if ((r = wall((time_t)u, &w)) < 0)
			return r;
		long off = (long)(w - u);
		bool seen = false;
		for (size_t i = 0; i < n_offs; i++)
			seen |= offs[i] == off;
		if (!seen)
			offs[n_offs++] = off;
	}
	/* midnight exists where an offset in force maps it to itself; the earliest such
	 * instant when it exists twice */
	for (size_t i = 0; i < n_offs; i++) {
		int64_t u = local - offs[i];
		if ((r = wall((time_t)u, &w)) < 0)
			return r;
		if (w == local && u < best)
			best = u;
	}
	if (best != INT64_MAX) {
		*ret = best;
		return 0;
	}
	/* skipped: the wall time jumps over midnight; find the jump by bisection.  The wall
	 * time at local - SPAN is before midnight and at local + SPAN after it. */
	int64_t lo = local - SPAN, hi = local + SPAN;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if ((r = wall((time_t)mid, &w)) < 0)
			return r;
		if (w >= local)
			hi = mid;
		else
			lo = mid;
	}
	*ret = hi;
	return 0;
}

/* "YYYY-MM" exactly: four digits, a hyphen, two digits. */
static int parse_month(const char *s, long *ret_y, long *ret_m)
{
	static const char digit[] = "0123456789";
	if (strlen(s) != 7 || strspn(s, digit) != 4 || s[4] != '-' || strspn(s + 5, digit) != 2)
		return -EINVAL;
	char buf[5], *end;
	memcpy(buf, s, 4);
	buf[4] = '\0';
	errno = 0;
	long y = strtol(buf, &end, 10);
	if (errno || *end || y < 1970 || y > 9999)
		return -EINVAL;
	long m = strtol(s + 5, &end, 10);
	if (errno || *end || m < 1 || m > 12)
		return -EINVAL;
	*ret_y = y;
	*ret_m = m;
	return 0;
}

int ft_recharge_month(const char *yyyymm, const char *zone, int contract_day, int64_t *ret_start_ms,
                      int64_t *ret_end_ms)
{
	long y, m;
	int r;
	if (!yyyymm || !zone || contract_day < 1 || contract_day > 28)
		return -EINVAL;
	if ((r = parse_month(yyyymm, &y, &m)) < 0)
		return r;
	if (!zone_known(zone))
		return -EINVAL;

	/* TZ is the process's: the caller's value comes back before returning (this is
	 * not safe alongside another thread that reads the local time) */
	const char *old = getenv("TZ");
	char *saved = NULL;
	if (old && !(saved = strdup(old)))
		return -ENOMEM;
	if (setenv("TZ", zone, 1) < 0) {
		r = -errno;
		free(saved);
		return r;
	}
	tzset();
	int64_t start, end;
	long ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
	r = local_instant(days_from_civil(y, (int)m, contract_day) * 86400, &start);
	if (r == 0)
		r = local_instant(days_from_civil(ny, (int)nm, contract_day) * 86400, &end);
	if (saved) {
		if (setenv("TZ", saved, 1) < 0 && r == 0)
			r = -errno;
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
	if (r < 0)
		return r;

	start *= 1000;
	end *= 1000;
	if (start % FT_RECHARGE_BIN_MS || end % FT_RECHARGE_BIN_MS)
		return -ERANGE;
	*ret_start_ms = start;
	*ret_end_ms = end;
	return 0;
}

/* ---- percentiles ----------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The k-th smallest (0-based) of c[0..n), which it reorders: a quickselect (median of
 * three, three-way partition, so runs of equal bins cost nothing), falling back to a
 * sort of what is left when the partitions keep coming out lopsided, so no input takes
 * quadratic time.  A month's statement takes some 5,000 percentiles of 9,000 bins:
 * sorting each was most of its time. */
static uint64_t select_kth(uint64_t *c, size_t n, size_t k)
{
	size_t lo = 0, hi = n, budget = 64;
	while (hi - lo > 16 && budget--) {
		uint64_t a = c[lo], b = c[lo + (hi - lo) / 2], d = c[hi - 1];
		uint64_t pivot = a < b ? (b < d ? b : a < d ? d : a) : (a < d ? a : b < d ? d : b);
		/* [lo, lt) < pivot, [lt, i) == pivot, [gt, hi) > pivot */
		size_t lt = lo, i = lo, gt = hi;
		while (i < gt) {
			uint64_t x = c[i];
			if (x < pivot) {
				c[i++] = c[lt];
				c[lt++] = x;
			} else if (x > pivot) {
				c[i] = c[--gt];
				c[gt] = x;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return pivot;
	}
	qsort(c + lo, hi - lo, sizeof(*c), cmp_u64);
	return c[k];
}

int ft_recharge_percentile(const uint64_t *v, size_t n, unsigned p, uint64_t *ret)
{
	if (p < 1 || p > 100 || (n && !v))
		return -EINVAL;
	if (n == 0) {
		*ret = 0;
		return 0;
	}
	if (n > SIZE_MAX / sizeof(*v))
		return -ENOMEM;
	uint64_t *c = malloc(n * sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(c, v, n * sizeof(*c));
	*ret = select_kth(c, n, (size_t)ft_recharge_rank(n, p) - 1);
	free(c);
	return 0;
}

/* ---- shares ------------------------------------------------------------------------------- */

struct share {
	unsigned __int128 rem;      /* (amount × w) mod W */
	const char *name;
	size_t i;
	uint64_t pence;
	bool zero;                  /* a weight of 0: never a leftover penny */
};

/* Largest remainder first; ties to the name that sorts first, then to the lower index
 * (names NULL or equal) so that the order is total. */
static int cmp_share(const void *a, const void *b)
{
	const struct share *x = a, *y = b;
	if (x->zero != y->zero)
		return x->zero ? 1 : -1;
	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	if (x->name && y->name) {
		int c = strcmp(x->name, y->name);
		if (c)
			return c;
	}
	return (x->i > y->i) - (x->i < y->i);
}

static int cmp_index(const void *a, const void *b)
{
	const struct share *x = a, *y = b;
	return (x->i > y->i) - (x->i < y->i);
}

/* The bound enforced: W = Σ weight and every amount × weight must fit in 128 bits
 * (-EOVERFLOW otherwise).  Weights below 2^64, as the tariff's are, always do for any
 * amount and up to 2^64 tenants. */
int ft_recharge_shares(uint64_t amount, const unsigned __int128 *weight, const char *const *name, size_t n,
                       uint64_t *ret)
{
	const unsigned __int128 max = ~(unsigned __int128)0;
	unsigned __int128 W = 0;
	if (n == 0 || !weight || !ret)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (W > max - weight[i])
			return -EOVERFLOW;
		W += weight[i];
		if (amount && weight[i] > max / amount)
			return -EOVERFLOW;
	}
	if (W == 0)
		return -EINVAL;
	if (n > SIZE_MAX / sizeof(struct share))
		return -ENOMEM;
	struct share *s = malloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	uint64_t given = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned __int128 aw = (unsigned __int128)amount * weight[i];
		s[i] = (struct share){ .rem = aw % W, .name = name ? name[i] : NULL, .i = i,
		                       .pence = (uint64_t)(aw / W), .zero = weight[i] == 0 };
		given += s[i].pence;    /* Σ floor ≤ amount: no overflow */
	}
	/* Σ rem = W × left and each rem < W, so more than left shares have a remainder:
	 * the pennies go to non-zero remainders only, hence never to a weight of 0 */
	uint64_t left = amount - given;
	qsort(s, n, sizeof(*s), cmp_share);
	for (uint64_t k = 0; k < left; k++)
		s[k].pence++;
	qsort(s, n, sizeof(*s), cmp_index);
	for (size_t i = 0; i < n; i++)
		ret[i] = s[i].pence;
	free(s);
	return 0;
}
