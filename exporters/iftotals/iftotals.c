/* Interface totals (iftotals.h): the line format, the sink that appends closed
 * interface steps to DATA_DIR/interfaces/YYYY-MM-DD.tsv, and the sums over a range.
 *
 * The sink keeps, per interface, the start of the last step it wrote (read back from
 * the two newest day files when it opens), and skips what is not newer: a step given
 * again after a restart or a retry is never counted twice.  Each batch (one poll cycle)
 * is appended with one write per day file and fsynced before the sink answers; a full
 * disk takes the write back out and asks for the batch again later (-EAGAIN). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "flowtally/iftotals.h"
#include "flowtally/log.h"

#define CHECK_HEX 16
/* The longest line: every byte of the device and key escaped (3 each), the widest
 * numbers and reasons, the tabs and the check, with room to spare. */
#define LINE_MAX_BYTES (3 * (FT_NAME_MAX + FT_IF_KEY_MAX) + 2 * 40 + 10 + 9 * 21 + 8 * 14 + 21 + 12 + 20 + CHECK_HEX + 64)

/* ---- the line ----------------------------------------------------------------------------- */

static size_t escape(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < size; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '%') {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	return o;
}

static int unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o + 1 >= size)
			return -1;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		unsigned v = 0;
		for (int k = 1; k <= 2; k++) {
			char c = i + (size_t)k < n ? s[i + (size_t)k] : 0;
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (d < 0)
				return -1;
			v = v * 16 + (unsigned)d;
		}
		out[o++] = (char)v;
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

static void check_of(const char *text, size_t len, char out[CHECK_HEX + 1])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, len, (const uint8_t *)text);
	sha256_digest(&c, sizeof(d), d);
	for (int i = 0; i < CHECK_HEX / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int ft_iftotals_format(const struct ft_if_step *s, char *buf, size_t size)
{
	char dev[3 * FT_NAME_MAX + 1], key[3 * FT_IF_KEY_MAX + 1], when[40], reasons[200];
	escape(s->device, dev, sizeof(dev));
	escape(s->key, key, sizeof(key));
	ft_time_format_utc(s->start_ms * FT_NS_PER_MS, when, sizeof(when));
	size_t r = 0;
	if (s->known == (1u << FT_IF_COUNTERS) - 1)
		snprintf(reasons, sizeof(reasons), "-");
	else
		for (int i = 0; i < FT_IF_COUNTERS; i++)
			r += (size_t)snprintf(reasons + r, sizeof(reasons) - r, "%s%s", i ? "," : "",
			                      ft_snmp_verdict_name(s->known & (1u << i) ? FT_SNMP_NORMAL : s->verdict[i]));
	int n = snprintf(buf, size, "v1\t%s\t%s\t%s\t%" PRIu32 "\t%02x", when, dev, key, s->ifindex, s->known);
	for (int i = 0; i < FT_IF_COUNTERS && n > 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - (size_t)n, "\t%" PRIu64, s->known & (1u << i) ? s->v[i] : 0);
	if (n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "\t%s\t%" PRIu64 "\t%" PRId32 "\t", reasons, s->speed_bps,
		              s->oper_status);
	if (n < 0 || (size_t)n + CHECK_HEX + 1 > size)
		return -1;
	check_of(buf, (size_t)n, buf + n);
	return n + CHECK_HEX;
}

static int verdict_of(const char *s, size_t n)
{
	for (unsigned v = 0; v < FT_SNMP__VERDICTS; v++)
		if (strlen(ft_snmp_verdict_name(v)) == n && strncmp(ft_snmp_verdict_name(v), s, n) == 0)
			return (int)v;
	return -1;
}

static int parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	if (!n || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

#define FIELDS 18

int ft_iftotals_parse(const char *line, struct ft_if_step *ret)
{
	const char *f[FIELDS + 1];
	size_t len[FIELDS + 1], n = 0;
	const char *p = line;
	size_t total = strlen(line);
	if (total < CHECK_HEX + 1)
		return -EBADMSG;
	char want[CHECK_HEX + 1];
	check_of(line, total - CHECK_HEX, want);
	if (memcmp(want, line + total - CHECK_HEX, CHECK_HEX) != 0)
		return -EBADMSG;
	while (n <= FIELDS) {
		const char *t = strchr(p, '\t');
		f[n] = p;
		len[n] = t ? (size_t)(t - p) : strlen(p);
		n++;
		if (!t)
			break;
		p = t + 1;
	}
	/* exactly FIELDS fields (a 19th means a tab too many), the last the check alone */
	if (n != FIELDS || len[FIELDS - 1] != CHECK_HEX || len[0] != 2 || memcmp(f[0], "v1", 2) != 0)
		return -EBADMSG;
	struct ft_if_step s = { 0 };
	char when[40];
	uint64_t u;
	if (len[1] >= sizeof(when))
		return -EBADMSG;
	memcpy(when, f[1], len[1]);
	when[len[1]] = '\0';
	/* a start past 2262 would overflow the nanoseconds ft_iftotals_format writes it from */
	if (ft_time_parse_utc(when, &s.start_ms) < 0 || s.start_ms > INT64_MAX / FT_NS_PER_MS ||
	    unescape(f[2], len[2], s.device, sizeof(s.device)) < 0 || unescape(f[3], len[3], s.key, sizeof(s.key)) < 0 ||
	    parse_u64(f[4], len[4], &u) < 0 || u > UINT32_MAX)
		return -EBADMSG;
	s.ifindex = (uint32_t)u;
	char *end;
	char mask[4] = { 0 };
	if (len[5] != 2)
		return -EBADMSG;
	memcpy(mask, f[5], 2);
	s.known = (uint8_t)strtoul(mask, &end, 16);
	if (*end)
		return -EBADMSG;
	for (int i = 0; i < FT_IF_COUNTERS; i++)
		if (parse_u64(f[6 + i], len[6 + i], &s.v[i]) < 0)
			return -EBADMSG;
	if (!(len[14] == 1 && f[14][0] == '-')) {
		const char *r = f[14], *e = f[14] + len[14];
		for (int i = 0; i < FT_IF_COUNTERS; i++) {
			const char *c = memchr(r, ',', (size_t)(e - r));
			size_t k = c ? (size_t)(c - r) : (size_t)(e - r);
			int v = verdict_of(r, k);
			if (v < 0 || (i < FT_IF_COUNTERS - 1 && !c))
				return -EBADMSG;
			s.verdict[i] = (uint8_t)v;
			r = c ? c + 1 : e;
		}
	} else if (s.known != (1u << FT_IF_COUNTERS) - 1) {
		return -EBADMSG;
	}
	if (parse_u64(f[15], len[15], &s.speed_bps) < 0)
		return -EBADMSG;
	long oper = strtol(f[16], &end, 10);
	if (end != f[16] + len[16] || oper < 0 || oper > 1000)
		return -EBADMSG;
	s.oper_status = (int32_t)oper;
	*ret = s;
	return 0;
}

/* ---- the sink ------------------------------------------------------------------------------ */

struct last {
	char device[FT_NAME_MAX];
	char key[FT_IF_KEY_MAX];
	int64_t start_ms;
};

struct ift_sink {
	char dir[4096];
	struct last *last;          /* sorted by device, key */
	size_t n_last, cap_last;
	atomic_uint_fast64_t lines, skipped, errors;
	pthread_mutex_t mu;
	char last_error[FT_SINK_STAT_TEXT_MAX];
};

static int cmp_last(const char *dev, const char *key, const struct last *l)
{
	int c = strcmp(dev, l->device);
	return c ? c : strcmp(key, l->key);
}

static struct last *last_get(struct ift_sink *d, const char *dev, const char *key)
{
	size_t lo = 0, hi = d->n_last;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_last(dev, key, &d->last[mid]);
		if (c == 0)
			return &d->last[mid];
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (d->n_last == d->cap_last) {
		size_t cap = d->cap_last ? 2 * d->cap_last : 64;
		struct last *n = realloc(d->last, cap * sizeof(*n));
		if (!n)
			return NULL;
		d->last = n;
		d->cap_last = cap;
	}
	memmove(&d->last[lo + 1], &d->last[lo], (d->n_last - lo) * sizeof(*d->last));
	d->n_last++;
	struct last *l = &d->last[lo];
	snprintf(l->device, sizeof(l->device), "%s", dev);
	snprintf(l->key, sizeof(l->key), "%s", key);
	l->start_ms = INT64_MIN;
	return l;
}

static bool is_day_file(const char *n)
{
	int y, m, dd;
	char tail[8];
	return strlen(n) == 14 && sscanf(n, "%4d-%2d-%2d%7s", &y, &m, &dd, tail) == 4 && strcmp(tail, ".tsv") == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The day files of dir, sorted (the caller frees them). */
static int day_files(const char *dir, char ***ret, size_t *ret_n)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return -errno;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(dh))) {
		if (!is_day_file(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			char **nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[n] = strdup(e->d_name))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(dh);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

typedef void (*line_fn)(void *ctx, const struct ft_if_step *s);

/* Every line of path: good ones to fn, bad ones counted. */
static int read_file(const char *path, line_fn fn, void *ctx, uint64_t *lines, uint64_t *bad)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n') {
			(*bad)++;           /* cut short: a write that never finished */
			break;
		}
		line[n - 1] = '\0';
		struct ft_if_step s;
		if (ft_iftotals_parse(line, &s) < 0) {
			(*bad)++;
			continue;
		}
		(*lines)++;
		fn(ctx, &s);
	}
	free(line);
	fclose(f);
	return 0;
}

static void note_last(void *ctx, const struct ft_if_step *s)
{
	struct last *l = last_get(ctx, s->device, s->key);
	if (l && s->start_ms > l->start_ms)
		l->start_ms = s->start_ms;
}

static void sink_error(struct ift_sink *d, const char *fmt, const char *a, const char *b)
{
	pthread_mutex_lock(&d->mu);
	snprintf(d->last_error, sizeof(d->last_error), fmt, a, b);
	pthread_mutex_unlock(&d->mu);
	ft_log_err(FT_LOG_MAIN, fmt, a, b);
}

static void ift_close(void *state)
{
	struct ift_sink *d = state;
	if (!d)
		return;
	pthread_mutex_destroy(&d->mu);
	free(d->last);
	free(d);
}

static int ift_open(const struct ft_sink_env *env, void **ret)
{
	const struct ft_snmp_conf *c = env->conf;
	if (!c || !c->n_devices)
		return -ECANCELED;
	struct ift_sink *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->mu, NULL);
	snprintf(d->dir, sizeof(d->dir), "%s/interfaces", env->data_dir);
	if (mkdir(d->dir, FT_FILE_DIR_MODE) < 0 && errno != EEXIST) {
		ft_log_err(FT_LOG_MAIN, "iftotals: cannot make %s: %s", d->dir, strerror(errno));
		ift_close(d);
		return -errno;
	}
	char **files = NULL;
	size_t n = 0;
	uint64_t lines = 0, bad = 0;
	if (day_files(d->dir, &files, &n) == 0) {
		for (size_t i = n > 2 ? n - 2 : 0; i < n; i++) {
			char path[4200];
			snprintf(path, sizeof(path), "%s/%s", d->dir, files[i]);
			read_file(path, note_last, d, &lines, &bad);
		}
		for (size_t i = 0; i < n; i++)
			free(files[i]);
		free(files);
	}
	if (bad)
		ft_log_warn(FT_LOG_MAIN, "iftotals: %" PRIu64 " damaged line(s) in the newest files of %s: skipped "
		            "(flowtally snmp totals counts them)", bad, d->dir);
	*ret = d;
	return 0;
}

/* Appends text to the day file of day (YYYY-MM-DD) and fsyncs it. */
static int append(struct ift_sink *d, const char *day, const char *text, size_t len)
{
	char name[64];
	snprintf(name, sizeof(name), "%s.tsv", day);
	int dfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int fd = ft_file_open_at(dfd, name, O_WRONLY | O_CREAT | O_APPEND);
	close(dfd);
	if (fd < 0)
		return fd;
	struct stat st = { .st_size = -1 };
	int r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0)
		r = ft_file_write_all(fd, text, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	/* a write that failed half way (a full disk) is taken back whole, so the next
	 * line never joins a cut one */
	if (r < 0 && st.st_size >= 0 && ftruncate(fd, st.st_size) < 0)
		ft_log_err(FT_LOG_MAIN, "iftotals: cannot take a failed write back out of %s: %s (its last line will "
		           "read as damaged)", name, strerror(errno));
	close(fd);
	return r;
}

static int ift_write_interfaces(void *state, const struct ft_if_step *s, size_t n)
{
	struct ift_sink *d = state;
	char *buf = malloc(n * LINE_MAX_BYTES + 1);
	if (!buf)
		return -ENOMEM;
	int ret = 0;
	size_t i = 0;
	while (i < n) {
		/* one day's steps a write */
		char day[40], d2[40];
		ft_time_format_utc(s[i].start_ms * FT_NS_PER_MS, day, sizeof(day));
		day[10] = '\0';
		size_t len = 0, taken = 0, j = i;
		/* the steps written, by index: last_get may move the entries (it inserts in
		 * order and reallocates), so a pointer to one is not kept across calls */
		size_t pending[64];
		size_t np = 0;
		for (; j < n && np < 64; j++) {
			ft_time_format_utc(s[j].start_ms * FT_NS_PER_MS, d2, sizeof(d2));
			if (strncmp(day, d2, 10) != 0)
				break;
			struct last *l = last_get(d, s[j].device, s[j].key);
			if (l && s[j].start_ms <= l->start_ms) {
				atomic_fetch_add(&d->skipped, 1);
				continue;
			}
			int k = ft_iftotals_format(&s[j], buf + len, LINE_MAX_BYTES - 1);
			if (k < 0) {            /* cannot be, by LINE_MAX_BYTES: counted if it were */
				atomic_fetch_add(&d->errors, 1);
				continue;
			}
			len += (size_t)k;
			buf[len++] = '\n';
			taken++;
			if (l)
				pending[np++] = j;
		}
		int r = len ? append(d, day, buf, len) : 0;
		if (r < 0) {
			atomic_fetch_add(&d->errors, 1);
			sink_error(d, "iftotals: cannot append to %s: %s", day, ft_file_strerror(r));
			/* a full disk or quota passes: the steps stay queued and come again (those
			 * written meanwhile are then skipped) */
			ret = r == -ENOSPC || r == -EDQUOT ? -EAGAIN : r;
			if (ret == -EAGAIN)
				break;
		} else {
			atomic_fetch_add(&d->lines, taken);
			for (size_t k = 0; k < np; k++) {
				const struct ft_if_step *w = &s[pending[k]];
				struct last *l = last_get(d, w->device, w->key);
				if (l && w->start_ms > l->start_ms)
					l->start_ms = w->start_ms;
			}
		}
		i = j;
	}
	free(buf);
	return ret;
}

static size_t ift_stats(void *state, struct ft_sink_stat *ret, size_t cap)
{
	struct ift_sink *d = state;
	struct ft_sink_stat rows[] = {
		{ "lines", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->lines), "" },
		{ "skipped_older", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->skipped), "" },
		{ "file_errors", FT_SINK_STAT_COUNT, (int64_t)atomic_load(&d->errors), "" },
		{ "last_error", FT_SINK_STAT_TEXT, 0, "" },
	};
	size_t n = sizeof(rows) / sizeof(*rows);
	pthread_mutex_lock(&d->mu);
	snprintf(rows[n - 1].text, sizeof(rows[n - 1].text), "%s", d->last_error);
	pthread_mutex_unlock(&d->mu);
	n = n < cap ? n : cap;
	memcpy(ret, rows, n * sizeof(*rows));
	return n;
}

const struct ft_sink_ops ft_iftotals_sink = {
	.name = "iftotals",
	.open = ift_open,
	.write_interfaces = ift_write_interfaces,
	.close = ift_close,
	.stats = ift_stats,
};

/* ---- sums ---------------------------------------------------------------------------------- */

struct sum_ctx {
	struct ft_iftotals_result *r;
	size_t cap;
	int64_t from, to;
	bool oom;
};

static void add_line(void *ctx, const struct ft_if_step *s)
{
	struct sum_ctx *c = ctx;
	if (s->start_ms < c->from || s->start_ms >= c->to)
		return;
	struct ft_iftotals_result *r = c->r;
	size_t lo = 0, hi = r->n_rows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int k = strcmp(s->device, r->rows[mid].device);
		k = k ? k : strcmp(s->key, r->rows[mid].key);
		if (k == 0) {
			lo = mid;
			hi = mid + 1;
			break;
		}
		if (k > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct ft_iftotals_row *row = lo < r->n_rows && strcmp(r->rows[lo].device, s->device) == 0 &&
	                              strcmp(r->rows[lo].key, s->key) == 0 ? &r->rows[lo] : NULL;
	if (!row) {
		if (r->n_rows == c->cap) {
			size_t cap = c->cap ? 2 * c->cap : 64;
			struct ft_iftotals_row *n = realloc(r->rows, cap * sizeof(*n));
			if (!n) {
				c->oom = true;
				return;
			}
			r->rows = n;
			c->cap = cap;
		}
		memmove(&r->rows[lo + 1], &r->rows[lo], (r->n_rows - lo) * sizeof(*r->rows));
		r->n_rows++;
		row = &r->rows[lo];
		memset(row, 0, sizeof(*row));
		snprintf(row->device, sizeof(row->device), "%s", s->device);
		snprintf(row->key, sizeof(row->key), "%s", s->key);
		row->first_ms = s->start_ms;
	}
	row->steps++;
	row->ifindex = s->ifindex;
	row->first_ms = s->start_ms < row->first_ms ? s->start_ms : row->first_ms;
	row->last_ms = s->start_ms > row->last_ms ? s->start_ms : row->last_ms;
	for (int i = 0; i < FT_IF_COUNTERS; i++)
		if (s->known & (1u << i)) {
			row->v[i] += s->v[i];
			row->known_steps[i]++;
		}
	if (!(s->known & 1u) && s->verdict[0] < FT_SNMP__VERDICTS)
		row->unknown[s->verdict[0]]++;
}

int ft_iftotals_sum(const char *dir, int64_t from_ms, int64_t to_ms, struct ft_iftotals_result *ret)
{
	memset(ret, 0, sizeof(*ret));
	char **files;
	size_t n;
	int r = day_files(dir, &files, &n);
	if (r < 0)
		return r;
	struct sum_ctx c = { ret, 0, from_ms, to_ms, false };
	for (size_t i = 0; i < n; i++) {
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		/* a day file holds the steps starting on its UTC day */
		char day[16];
		int64_t day_ms = 0;
		snprintf(day, sizeof(day), "%.10s", files[i]);
		bool outside = ft_time_parse_utc(day, &day_ms) == 0 &&
		               (day_ms + 86400000 <= from_ms || day_ms >= to_ms);
		if (r == 0 && !outside) {
			int k = read_file(path, add_line, &c, &ret->lines, &ret->bad_lines);
			if (k < 0)
				r = k;
			ret->files++;
		}
		free(files[i]);
	}
	free(files);
	if (c.oom)
		r = -ENOMEM;
	if (r < 0)
		ft_iftotals_result_done(ret);
	return r;
}

void ft_iftotals_result_done(struct ft_iftotals_result *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}
