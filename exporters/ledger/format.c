/* The ledger's text: times, file names, the rules a step must meet to be written, and
 * the lines of headers and blocks (the format is described in ledger.c). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowtally/clock.h"
#include "ledger_int.h"

const char *const ft_ledger_stat_names[LEDGER_N_STATS] = {
	"unattributed_src", "unattributed_dst", "total", "late", "not_accounted",
};

const size_t ft_ledger_stat_offsets[LEDGER_N_STATS] = {
	offsetof(struct ft_step, unattributed_src), offsetof(struct ft_step, unattributed_dst),
	offsetof(struct ft_step, total), offsetof(struct ft_step, late),
	offsetof(struct ft_step, not_accounted),
};

void ft_ledger_buf_printf(struct ft_ledger_buf *b, const char *fmt, ...)
{
	va_list ap;
	for (int pass = 0; pass < 2 && !b->oom; pass++) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
		} else if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		} else {
			size_t cap = b->cap ? b->cap : 4096;
			while (cap - b->len <= (size_t)n)
				cap *= 2;
			char *p = realloc(b->p, cap);
			if (!p)
				b->oom = true;
			else
				b->p = p, b->cap = cap;
		}
	}
}

void ft_ledger_buf_done(struct ft_ledger_buf *b)
{
	free(b->p);
	*b = (struct ft_ledger_buf){ 0 };
}

int64_t ft_ledger_day_of(int64_t ms)
{
	return ms / LEDGER_DAY_MS - (ms % LEDGER_DAY_MS < 0);
}

void ft_ledger_time_text(int64_t ms, char buf[LEDGER_TIME_LEN + 1])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char t[64];
	gmtime_r(&secs, &tm);
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(buf, t, LEDGER_TIME_LEN);    /* callers keep ms within the years 1970-9999 */
	buf[LEDGER_TIME_LEN] = '\0';
}

int ft_ledger_time_read(const char *s, int64_t *ret_ms)
{
	char again[LEDGER_TIME_LEN + 1];
	int64_t ms;
	if (strlen(s) != LEDGER_TIME_LEN || ft_time_parse_utc(s, &ms) < 0)
		return -EINVAL;
	if (ms < 0 || ms >= LEDGER_MAX_MS)
		return -EINVAL;
	ft_ledger_time_text(ms, again);
	if (strcmp(again, s) != 0)      /* 31 February, second 60, ... */
		return -EINVAL;
	*ret_ms = ms;
	return 0;
}

void ft_ledger_file_name(int64_t day, char buf[LEDGER_NAME_LEN + 1])
{
	char t[LEDGER_TIME_LEN + 1];
	ft_ledger_time_text(day * LEDGER_DAY_MS, t);
	snprintf(buf, LEDGER_NAME_LEN + 1, "%.10s.ledger", t);
}

bool ft_ledger_file_day(const char *name, int64_t *ret_day)
{
	char date[11], again[LEDGER_NAME_LEN + 1];
	int64_t ms;
	if (strlen(name) != LEDGER_NAME_LEN || strcmp(name + 10, ".ledger") != 0)
		return false;
	memcpy(date, name, 10);
	date[10] = '\0';
	if (ft_time_parse_utc(date, &ms) < 0 || ms < 0 || ms >= LEDGER_MAX_MS)
		return false;
	ft_ledger_file_name(ms / LEDGER_DAY_MS, again);
	if (strcmp(again, name) != 0)
		return false;
	*ret_day = ms / LEDGER_DAY_MS;
	return true;
}

bool ft_ledger_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= FT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

bool ft_ledger_map_id_ok(const char *s, size_t len)
{
	if (len == 0 || len >= sizeof(((struct ft_step *)0)->map_id))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

bool ft_ledger_hash_ok(const char *s, size_t len)
{
	if (len != FT_LEDGER_HASH_HEX - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static const char *cell_invalid(const struct ft_step_cell *c)
{
	if (!ft_ledger_name_ok(c->tenant, strnlen(c->tenant, FT_NAME_MAX)))
		return "a tenant name is empty, too long or has a control character";
	if (!ft_ledger_name_ok(c->class_, strnlen(c->class_, FT_NAME_MAX)))
		return "a class name is empty, too long or has a control character";
	if (c->direction != FT_DIR_OUT && c->direction != FT_DIR_IN)
		return "a cell's direction is neither out nor in";
	return NULL;
}

const char *ft_ledger_step_invalid(const struct ft_step *s)
{
	if (s->length_ms <= 0 || s->length_ms % 1000 || LEDGER_DAY_MS % s->length_ms)
		return "the step length is not a whole number of seconds dividing a day";
	if (s->start_ms < 0 || s->start_ms >= LEDGER_MAX_MS)
		return "the step starts before 1970 or after 9999";
	if (s->start_ms % s->length_ms)
		return "the step start is not a multiple of its length";
	size_t idlen = strnlen(s->map_id, sizeof(s->map_id));
	if (idlen == sizeof(s->map_id) || (idlen && !ft_ledger_map_id_ok(s->map_id, idlen)))
		return "the map id is too long or has blanks or control characters";
	if (s->n_cells && !s->cells)
		return "cells missing";
	for (size_t i = 0; i < s->n_cells; i++) {
		const char *why = cell_invalid(&s->cells[i]);
		if (why)
			return why;
		if (i && ft_step_cell_cmp(&s->cells[i - 1], &s->cells[i]) >= 0)
			return "cells are not sorted by (tenant, direction, class) or a key repeats";
	}
	if ((s->n_points && !s->points) || (s->n_exporters && !s->exporters))
		return "points or exporters missing";
	for (size_t i = 0; i < s->n_points; i++) {
		if (s->points[i].direction != FT_DIR_OUT && s->points[i].direction != FT_DIR_IN)
			return "a point's direction is neither out nor in";
		if (i && ft_step_point_cmp(&s->points[i - 1], &s->points[i]) >= 0)
			return "points are not sorted by (exporter, ifindex, direction) or a key repeats";
	}
	for (size_t i = 1; i < s->n_exporters; i++)
		if (ft_step_exporter_cmp(&s->exporters[i - 1], &s->exporters[i]) >= 0)
			return "exporters are not sorted by (address, domain) or one repeats";
	return NULL;
}

void ft_ledger_sha256_hex(const uint8_t digest[32], char ret[FT_LEDGER_HASH_HEX])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		ret[2 * i] = hex[digest[i] >> 4];
		ret[2 * i + 1] = hex[digest[i] & 15];
	}
	ret[64] = '\0';
}

void ft_ledger_format_header_v(struct ft_ledger_buf *b, int64_t day, int version)
{
	char t[LEDGER_TIME_LEN + 1];
	ft_ledger_time_text(day * LEDGER_DAY_MS, t);
	ft_ledger_buf_printf(b, "H\t%s\t%d\t%.10s\n", LEDGER_MAGIC, version, t);
}

void ft_ledger_format_header(struct ft_ledger_buf *b, int64_t day)
{
	ft_ledger_format_header_v(b, day, LEDGER_VERSION);
}

int ft_ledger_header_version(const char *line, size_t len, int64_t day)
{
	char want[LEDGER_HEADER_LEN + 1];
	for (int v = LEDGER_VERSION_MIN; v <= LEDGER_VERSION; v++) {
		char t[LEDGER_TIME_LEN + 1];
		ft_ledger_time_text(day * LEDGER_DAY_MS, t);
		int n = snprintf(want, sizeof(want), "H\t%s\t%d\t%.10s", LEDGER_MAGIC, v, t);
		if (n > 0 && (size_t)n == len && memcmp(line, want, len) == 0)
			return v;
	}
	return 0;
}

static void format_volume(struct ft_ledger_buf *b, const struct ft_volume *v)
{
	ft_ledger_buf_printf(b, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n", v->bytes, v->packets,
	                     v->flows);
}

/* The E line of the block from `begin`: its hash, into ret_hash too. */
static void end_block(struct ft_ledger_buf *b, size_t begin, const char *t,
                      char ret_hash[FT_LEDGER_HASH_HEX])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&ctx);
	if (!b->oom)
		sha256_update(&ctx, b->len - begin, (const uint8_t *)b->p + begin);
	sha256_digest(&ctx, sizeof(d), d);
	ft_ledger_sha256_hex(d, ret_hash);
	ft_ledger_buf_printf(b, "E\t%s\t%s\n", t, ret_hash);
}

void ft_ledger_format_block(struct ft_ledger_buf *b, const struct ft_step *s,
                            const char *prev_hash, char ret_hash[FT_LEDGER_HASH_HEX])
{
	ft_ledger_format_block_v(b, s, prev_hash, ret_hash, LEDGER_VERSION);
}

void ft_ledger_format_block_v(struct ft_ledger_buf *b, const struct ft_step *s, const char *prev_hash,
                              char ret_hash[FT_LEDGER_HASH_HEX], int version)
{
	char t[LEDGER_TIME_LEN + 1];
	size_t begin = b->len;
	ft_ledger_time_text(s->start_ms, t);
	ft_ledger_buf_printf(b, "B\t%s\t%" PRId64 "\t%s\t%s\t%zu\n", t, s->length_ms / 1000,
	                     s->map_id[0] ? s->map_id : "-", prev_hash, s->n_cells);
	for (size_t i = 0; i < s->n_cells; i++) {
		const struct ft_step_cell *c = &s->cells[i];
		ft_ledger_buf_printf(b, "L\t%s\t%s\t%s\t%s", t, c->tenant,
		                     c->direction == FT_DIR_OUT ? "out" : "in", c->class_);
		format_volume(b, &c->v);
	}
	for (int i = 0; i < LEDGER_N_STATS; i++) {
		ft_ledger_buf_printf(b, "S\t%s\t%s", t, ft_ledger_stat_names[i]);
		format_volume(b, LEDGER_STAT_C(s, i));
	}
	for (size_t i = 0; version >= 2 && i < s->n_points; i++) {
		const struct ft_step_point *p = &s->points[i];
		char a[FT_ADDR_STRLEN];
		ft_ledger_buf_printf(b, "P\t%s\t%s\t%" PRIu32 "\t%s", t, ft_addr_format(&p->exporter, a), p->ifindex,
		                     p->direction == FT_DIR_OUT ? "out" : "in");
		format_volume(b, &p->v);
	}
	for (size_t i = 0; version >= 2 && s->have_counters && i < s->n_exporters; i++) {
		const struct ft_step_exporter *e = &s->exporters[i];
		char a[FT_ADDR_STRLEN];
		ft_ledger_buf_printf(b, "X\t%s\t%s\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
		                     "\t%" PRIu64 "\t%" PRIu32 "\n", t, ft_addr_format(&e->exporter, a), e->domain, e->datagrams,
		                     e->records, e->seq_lost, e->no_template, e->parse_errors, e->sampling_changes,
		                     e->sampling_rate);
	}
	if (version >= 2 && s->have_counters)
		ft_ledger_buf_printf(b, "D\t%s\tkernel_drops\t%" PRIu64 "\n", t, s->kernel_drops);
	end_block(b, begin, t, ret_hash);
}

static int file_cmp(const void *a, const void *b)
{
	const struct ft_ledger_file *x = a, *y = b;
	return x->day < y->day ? -1 : x->day > y->day;
}

int ft_ledger_list(const char *dir, struct ft_ledger_file **ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct ft_ledger_file *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		int64_t day;
		if (!ft_ledger_file_day(e->d_name, &day))
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			struct ft_ledger_file *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv, cap = nc;
		}
		memcpy(v[n].name, e->d_name, LEDGER_NAME_LEN + 1);   /* its length was checked */
		v[n++].day = day;
	}
	closedir(d);
	if (r < 0) {
		free(v);
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), file_cmp);
	*ret = v;
	*ret_n = n;
	return 0;
}

void ft_ledger_clean_text(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

void ft_ledger_format_break(struct ft_ledger_buf *b, const struct ft_ledger_break *k,
                            const char *prev_hash, char ret_hash[FT_LEDGER_HASH_HEX])
{
	char t[LEDGER_TIME_LEN + 1];
	size_t begin = b->len;
	ft_ledger_time_text(k->time_ms, t);
	ft_ledger_buf_printf(b, "K\t%s\t%s\t%s\t%s\t%s\n", t, prev_hash, k->kind, k->ref, k->text);
	end_block(b, begin, t, ret_hash);
}
