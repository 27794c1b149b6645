/* The store (rrd.h): librrd's thread-safe calls on the files themselves, or its client
 * of rrdcached.  librrd says what went wrong in a per-thread error string: each call
 * clears it first and copies it into err after.  With rrdcached, a call that leaves
 * the client disconnected is the daemon being unreachable (-EAGAIN: try again later);
 * one answered with an error is about the file (-EIO). */
#include <errno.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "flowtally/rrd.h"

/* Debian's librrd exports only the client calls of the process's one connection
 * (rrdc_*, under librrd's own lock): a store with a daemon uses that connection. */
/* More archives than flowtally's layouts have, and then some. */
#define RRA_MAX 32

struct ft_rrd_store {
	char *daemon;
	bool client;
	bool tcp;                   /* rrdcached over TCP: it is sent paths relative to base */
	char *base;
	char sent[4400];            /* the path last sent (sent_path) */
};

int ft_rrd_store_open(const char *daemon, const char *base, struct ft_rrd_store **ret)
{
	struct ft_rrd_store *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (daemon) {
		st->daemon = strdup(daemon);
		st->client = true;
		st->tcp = ft_rrd_daemon_is_tcp(daemon);
		st->base = base ? strdup(base) : NULL;
		if (!st->daemon || (base && !st->base)) {
			ft_rrd_store_close(st);
			return -ENOMEM;
		}
	}
	*ret = st;
	return 0;
}

void ft_rrd_store_close(struct ft_rrd_store *st)
{
	if (!st)
		return;
	if (st->client)
		rrdc_disconnect();
	free(st->daemon);
	free(st->base);
	free(st);
}

bool ft_rrd_store_cached(const struct ft_rrd_store *st)
{
	return st->client;
}

/* librrd does not always say why a write failed (a create that hit a full disk): what
 * the file system and the limits say, when they explain it. */
static const char *guess(const char *path, char *buf, size_t size)
{
	struct rlimit rl;
	struct statvfs vfs;
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (64ul << 20))
		snprintf(buf, size, "a file-size limit of %llu bytes (ulimit -f) is below what an RRD file takes",
		         (unsigned long long)rl.rlim_cur);
	else if (statvfs(slash ? dir : ".", &vfs) == 0 && (unsigned long long)vfs.f_bavail * vfs.f_frsize < (64ull << 20))
		snprintf(buf, size, "the file system has %llu bytes free",
		         (unsigned long long)vfs.f_bavail * vfs.f_frsize);
	else
		snprintf(buf, size, "librrd gave no reason");
	return buf;
}

static void say(char *err, size_t size, const char *path, const char *what)
{
	char why[200];
	const char *e = rrd_test_error() ? rrd_get_error() : "";
	if (!*e && *what)
		e = guess(path, why, sizeof(why));
	snprintf(err, size, "%s: %s%s%s", path, what, *e && *what ? ": " : "", e);
}

/* Connected to rrdcached (or direct): 0, or -EAGAIN with err said. */
static int connect_daemon(struct ft_rrd_store *st, const char *path, char *err, size_t size)
{
	rrd_clear_error();
	if (!st->client || rrdc_is_any_connected())
		return 0;
	if (rrdc_connect(st->daemon) == 0 && rrdc_is_any_connected())
		return 0;
	say(err, size, path, "");
	if (!rrd_test_error())
		snprintf(err, size, "%s: cannot connect to rrdcached at %s", path, st->daemon);
	return -EAGAIN;
}

/* The path as rrdcached is to be sent it: over TCP librrd's client takes only paths
 * relative to rrdcached's base directory (-b, rrdcached_base); NULL (err said) when the
 * path is not under it. */
static const char *sent_path(struct ft_rrd_store *st, const char *path, char *err, size_t size)
{
	if (!st->tcp)
		return path;
	size_t n = st->base ? strlen(st->base) : 0;
	while (n > 1 && st->base[n - 1] == '/')
		n--;
	if (!st->base || strncmp(path, st->base, n) != 0 || path[n] != '/') {
		snprintf(err, size, "%s: not under rrdcached_base (%s): rrdcached over TCP is sent paths "
		         "relative to its base directory", path, st->base ? st->base : "not set");
		return NULL;
	}
	snprintf(st->sent, sizeof(st->sent), "%s", path + n + 1);
	return st->sent;
}

/* Before each call: connected (with rrdcached), and the path to send it.  0 and *ret,
 * -EAGAIN (unreachable) or -EIO (not under rrdcached_base), err said. */
static int begin(struct ft_rrd_store *st, const char *path, const char **ret, char *err, size_t size)
{
	int r = connect_daemon(st, path, err, size);
	if (r < 0)
		return r;
	*ret = sent_path(st, path, err, size);
	return *ret ? 0 : -EIO;
}

/* A call that failed: the daemon gone, or the file. */
static int failed(struct ft_rrd_store *st, const char *path, const char *what, char *err, size_t size)
{
	say(err, size, path, what);
	return st->client && !rrdc_is_any_connected() ? -EAGAIN : -EIO;
}

static bool missing(const char *path)
{
	const char *e = rrd_test_error() ? rrd_get_error() : "";
	struct stat sb;
	return strstr(e, "No such file") || (stat(path, &sb) < 0 && errno == ENOENT && !strstr(e, "ermission"));
}

int ft_rrd_store_last(struct ft_rrd_store *st, const char *path, time_t *ret, char *err, size_t err_size)
{
	const char *p;
	int r = begin(st, path, &p, err, err_size);
	if (r < 0)
		return r;
	time_t t = st->client ? rrdc_last(p) : rrd_last_r(path);
	if (t <= 0)
		return failed(st, path, "cannot read its last update", err, err_size);
	*ret = t;
	return 0;
}

int ft_rrd_store_check(struct ft_rrd_store *st, const char *path, enum ft_rrd_kind k, int64_t step_s,
                       time_t *ret_last, char *err, size_t err_size)
{
	const char *p;
	int r = begin(st, path, &p, err, err_size);
	if (r < 0)
		return r;
	/* the header checked before librrd reads it (header.c): where the file is local,
	 * as it always is without rrdcached */
	struct stat lb;
	if (!st->client || stat(path, &lb) == 0) {
		r = ft_rrd_header_check(path, k, step_s, err, err_size);
		if (r < 0)
			return r;           /* -ENOENT: made with its directories */
	}
	rrd_info_t *info = st->client ? rrdc_info(p) : rrd_info_r(path);
	if (!info) {
		if (st->client && !rrdc_is_any_connected())
			return failed(st, path, "", err, err_size);
		if (missing(path))
			return -ENOENT;
		say(err, err_size, path, "not a round-robin database flowtally can read");
		return -EBADF;
	}
	struct rra { unsigned long rows, cur, pdp; double xff; bool cf_ok, seen; } rra[RRA_MAX] = { { 0 } };
	const char *const *names;
	size_t n = ft_rrd_ds_names(k, &names), found = 0, other = 0, n_rra = 0, bad_ds = 0;
	unsigned long step = 0, last = 0, header = 0;
	bool have_last = false, too_many = false;
	char key[80];
	for (rrd_info_t *i = info; i; i = i->next) {
		unsigned idx;
		int used = 0;
		if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT)
			step = i->value.u_cnt;
		else if (strcmp(i->key, "last_update") == 0 && i->type == RD_I_CNT)
			last = i->value.u_cnt, have_last = true;
		else if (strcmp(i->key, "header_size") == 0 && i->type == RD_I_CNT)
			header = i->value.u_cnt;
		else if (strncmp(i->key, "ds[", 3) == 0 && strstr(i->key, "].type")) {
			size_t j = 0;
			for (; j < n; j++) {
				snprintf(key, sizeof(key), "ds[%s].type", names[j]);
				if (strcmp(key, i->key) == 0)
					break;
			}
			if (j == n)
				other++;
			else if (i->type != RD_I_STR || strcmp(i->value.u_str, ft_rrd_ds_type(k, j)) != 0)
				bad_ds++;
			else
				found++;
		} else if (sscanf(i->key, "rra[%u].%n", &idx, &used) == 1 && used > 0) {
			const char *field = i->key + used;
			if (idx >= RRA_MAX) {
				too_many = true;
				continue;
			}
			struct rra *ra = &rra[idx];
			ra->seen = true;
			if (idx + 1 > n_rra)
				n_rra = idx + 1;
			if (strcmp(field, "rows") == 0 && i->type == RD_I_CNT)
				ra->rows = i->value.u_cnt;
			else if (strcmp(field, "cur_row") == 0 && i->type == RD_I_CNT)
				ra->cur = i->value.u_cnt;
			else if (strcmp(field, "pdp_per_row") == 0 && i->type == RD_I_CNT)
				ra->pdp = i->value.u_cnt;
			else if (strcmp(field, "xff") == 0 && i->type == RD_I_VAL)
				ra->xff = i->value.u_val;
			else if (strcmp(field, "cf") == 0 && i->type == RD_I_STR)
				ra->cf_ok = strcmp(i->value.u_str, "AVERAGE") == 0 || strcmp(i->value.u_str, "MAX") == 0;
		}
	}
	rrd_info_free(info);
	if (!have_last || found != n || other || bad_ds) {
		snprintf(err, err_size, "%s: a round-robin database with other data sources than flowtally's "
		         "(%zu of the %zu expected, %zu of another type, %zu others)", path, found, n, bad_ds, other);
		return -EBADF;
	}
	if ((int64_t)step != step_s) {
		snprintf(err, err_size, "%s: a round-robin database of %lu-second steps, not %lld (made with "
		         "another step: move it away, or 'flowtally rrd rebuild --force' it)", path, step,
		         (long long)step_s);
		return -EBADF;
	}
	/* librrd trusts the archives it is given (a row count of 0 divides by zero, a file
	 * shorter than its header says is read past its end): so does flowtally only
	 * once they are sound */
	unsigned long long size = header;
	for (size_t j = 0; j < n_rra; j++) {
		const struct rra *ra = &rra[j];
		if (!ra->seen || !ra->cf_ok || ra->rows == 0 || ra->rows > (1ul << 28) || ra->pdp == 0 ||
		    ra->cur >= ra->rows || !(ra->xff >= 0 && ra->xff < 1))
			too_many = true;
		size += (unsigned long long)ra->rows * n * sizeof(rrd_value_t);
	}
	struct stat sb;
	if (too_many || n_rra == 0 || header == 0 ||
	    (!st->client && (stat(path, &sb) < 0 || (unsigned long long)sb.st_size != size))) {
		snprintf(err, err_size, "%s: damaged, or not flowtally's: its archives are not sound "
		         "(%zu archives, header %lu bytes, file %lld bytes for %llu)", path, n_rra, header,
		         st->client ? -1LL : (long long)sb.st_size, size);
		return -EBADF;
	}
	/* rrdcached answers INFO from the file, LAST from what it holds too */
	time_t cached;
	if (st->client && ft_rrd_store_last(st, path, &cached, err, err_size) == 0 && (unsigned long)cached > last)
		last = (unsigned long)cached;
	*ret_last = (time_t)last;
	return 0;
}

int ft_rrd_store_create(struct ft_rrd_store *st, const char *path, enum ft_rrd_kind k, int64_t step_s,
                        uint32_t fine_days, time_t start, bool overwrite, char *err, size_t err_size)
{
	char buf[1024];
	const char *argv[FT_RRD_ARGS_MAX];
	int argc = ft_rrd_layout(k, step_s, fine_days, buf, sizeof(buf), argv);
	if (argc < 0) {
		snprintf(err, err_size, "%s: refused: a layout of %u days of 5-minute data is shorter than 13 "
		         "months (%d days)", path, fine_days, FT_RRD_FINE_DAYS_MIN);
		return -EINVAL;
	}
	const char *p;
	int r = begin(st, path, &p, err, err_size);
	if (r < 0)
		return r;
	if (!overwrite && !st->client) {
		struct stat sb;
		if (stat(path, &sb) == 0)
			return -EEXIST;
	}
	if (overwrite && st->client) {
		rrdc_forget(p);      /* what it holds of the old file goes */
		rrd_clear_error();
	}
	r = st->client ? rrdc_create_r2(p, (unsigned long)step_s, start, !overwrite, NULL, NULL, argc, argv)
	               : rrd_create_r2(path, (unsigned long)step_s, start, !overwrite, NULL, NULL, argc, argv);
	if (r != 0) {
		const char *e = rrd_test_error() ? rrd_get_error() : "";
		if (!overwrite && strstr(e, "exist"))
			return -EEXIST;
		return failed(st, path, "cannot create", err, err_size);
	}
	return 0;
}

int ft_rrd_store_update(struct ft_rrd_store *st, const char *path, int n, const char **values, char *err,
                        size_t err_size)
{
	const char *p;
	int r = begin(st, path, &p, err, err_size);
	if (r < 0)
		return r;
	r = st->client ? rrdc_update(p, n, values) : rrd_update_r(path, NULL, n, values);
	return r == 0 ? 0 : failed(st, path, "cannot update", err, err_size);
}
