/* A generated month of ledger blocks for the recharge benchmark (recharge.sh): 200
 * tenants × 5 classes × 2 directions, every step of [2026-09-30T23:00Z, 2026-11-01T00:00Z)
 * (October 2026 in Europe/London) at a given step length, volumes pseudo-random but the
 * same on every run, each step meeting the attribution contract.
 *
 *   recharge_gen [-s STEP_S] [-t TENANTS] [-m append|direct] [-n STEPS] DIR
 *
 * append: ft_ledger_append, as flowtallyd writes (fsync per block, HEAD per block).
 * direct: the same bytes through the ledger's own formatting (ft_ledger_format_header,
 * ft_ledger_format_block), written in large chunks without fsync, and HEAD once at the
 * end: a generated month is a fixture, not a record, so durability buys nothing.
 * Either way `flowtally ledger verify -d DIR` accepts the result. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/ledger.h"
#include "flowtally/step.h"
#include "ledger_int.h"

#define GEN_FROM_MS 1790809200000LL    /* 2026-09-30T23:00:00Z */
#define GEN_TO_MS 1793491200000LL      /* 2026-11-01T00:00:00Z */
#define GEN_CLASSES 5

static const char *const class_names[GEN_CLASSES] = { "backup", "bulk", "interactive", "video", "voice" };

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64*: cheap, and the same sequence on every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A cell's volume: bytes spread over several orders of magnitude, scaled by the step
 * length and by a daily curve so that percentiles differ from means. */
static void volume(struct ft_volume *v, int64_t start_ms, int64_t length_ms, size_t tenant)
{
	int hour = (int)((start_ms / 3600000) % 24);
	uint64_t day_factor = hour >= 8 && hour < 18 ? 4 : hour >= 1 && hour < 6 ? 1 : 2;
	uint64_t r = rng();
	uint64_t scale = (uint64_t)1 << (10 + (r & 15) + tenant % 4);  /* 1 KiB .. 256 MiB */
	v->bytes = ((r >> 8) % scale) * day_factor * (uint64_t)(length_ms / 60000);
	v->packets = v->bytes / 700 + (v->bytes > 0);
	v->flows = v->packets / 40 + (v->packets > 0);
}

static void add(struct ft_volume *a, const struct ft_volume *b)
{
	a->bytes += b->bytes;
	a->packets += b->packets;
	a->flows += b->flows;
}

static uint64_t extra(void)
{
	return rng() % 5000000;
}

/* Fills s's cells (kept in place) and totals for the step at start_ms. */
static void fill(struct ft_step *s, int64_t start_ms)
{
	struct ft_volume out = { 0 }, in = { 0 };
	s->start_ms = start_ms;
	for (size_t i = 0; i < s->n_cells; i++) {
		struct ft_step_cell *c = &s->cells[i];
		volume(&c->v, start_ms, s->length_ms, i / (2 * GEN_CLASSES));
		add(c->direction == FT_DIR_OUT ? &out : &in, &c->v);
	}
	/* total covers both sides; what no tenant's cells hold is unattributed */
	s->total.bytes = (out.bytes > in.bytes ? out.bytes : in.bytes) + extra();
	s->total.packets = (out.packets > in.packets ? out.packets : in.packets) + extra() / 700;
	s->total.flows = (out.flows > in.flows ? out.flows : in.flows) + extra() / 28000;
	s->unattributed_src = (struct ft_volume){ s->total.bytes - out.bytes, s->total.packets - out.packets,
	                                          s->total.flows - out.flows };
	s->unattributed_dst = (struct ft_volume){ s->total.bytes - in.bytes, s->total.packets - in.packets,
	                                          s->total.flows - in.flows };
	s->late = (struct ft_volume){ rng() % 1000, rng() % 10, rng() % 3 };
	s->not_accounted = (struct ft_volume){ rng() % 100000, rng() % 100, rng() % 10 };
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* direct mode: the day files written through the format code, HEAD at the end. */
struct direct {
	const char *dir;
	int fd;
	int64_t day;
	struct ft_ledger_buf buf;
	char head[FT_LEDGER_HASH_HEX];
	uint64_t steps;
	int64_t last_start_ms, last_length_ms;
};

static int direct_flush(struct direct *d)
{
	int rc = d->fd >= 0 ? write_all(d->fd, d->buf.p, d->buf.len) : 0;
	d->buf.len = 0;
	return rc;
}

static int direct_add(struct direct *d, const struct ft_step *s)
{
	int64_t day = ft_ledger_day_of(s->start_ms);
	int rc = 0;
	if (d->fd < 0 || day != d->day) {
		char name[LEDGER_NAME_LEN + 1], path[4200];
		if ((rc = direct_flush(d)) < 0)
			return rc;
		if (d->fd >= 0)
			close(d->fd);
		ft_ledger_file_name(day, name);
		snprintf(path, sizeof(path), "%s/%s", d->dir, name);
		d->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (d->fd < 0)
			return -errno;
		d->day = day;
		ft_ledger_format_header(&d->buf, day);
	}
	char hash[FT_LEDGER_HASH_HEX];
	ft_ledger_format_block(&d->buf, s, d->head, hash);
	if (d->buf.oom)
		return -ENOMEM;
	memcpy(d->head, hash, sizeof(hash));
	d->steps++;
	d->last_start_ms = s->start_ms;
	d->last_length_ms = s->length_ms;
	return d->buf.len >= (8u << 20) ? direct_flush(d) : 0;
}

static int direct_finish(struct direct *d)
{
	int rc = direct_flush(d);
	if (d->fd >= 0 && close(d->fd) < 0 && rc == 0)
		rc = -errno;
	d->fd = -1;
	ft_ledger_buf_done(&d->buf);
	if (rc < 0)
		return rc;
	struct ft_ledger_headrec h = { .steps = d->steps, .have_last = d->steps > 0,
	                               .last_start_ms = d->last_start_ms, .last_length_ms = d->last_length_ms };
	memcpy(h.hash, d->head, sizeof(h.hash));
	int dfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	rc = ft_ledger_headrec_write(dfd, &h);
	close(dfd);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: recharge_gen [-s STEP_S] [-t TENANTS] [-m append|direct] [-n STEPS] DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int step_s = 60, n_tenants = 200, opt;
	long long max_steps = -1;
	bool append = false;
	while ((opt = getopt(argc, argv, "s:t:m:n:")) != -1) {
		switch (opt) {
		case 's': step_s = atoi(optarg); break;
		case 't': n_tenants = atoi(optarg); break;
		case 'n': max_steps = atoll(optarg); break;
		case 'm':
			if (strcmp(optarg, "append") == 0)
				append = true;
			else if (strcmp(optarg, "direct") != 0)
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc - 1 || step_s <= 0 || 300 % step_s || n_tenants <= 0 || n_tenants > 9999)
		usage();
	const char *dir = argv[optind];
	/* append: ft_ledger_open makes the directory as flowtallyd would */
	if (!append && mkdir(dir, 0750) < 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}

	/* the cells, in ledger order (tenant, direction, class); only volumes change */
	struct ft_step s = { .length_ms = (int64_t)step_s * 1000 };
	snprintf(s.map_id, sizeof(s.map_id), "%s",
	         "5f2b1c0e9d8a7f6e5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a19087f6e");
	s.n_cells = (size_t)n_tenants * 2 * GEN_CLASSES;
	s.cells = calloc(s.n_cells, sizeof(*s.cells));
	if (!s.cells)
		return 1;
	size_t k = 0;
	for (int t = 0; t < n_tenants; t++)
		for (int d = 0; d < 2; d++)
			for (int c = 0; c < GEN_CLASSES; c++) {
				struct ft_step_cell *cell = &s.cells[k++];
				snprintf(cell->tenant, sizeof(cell->tenant), "tenant-%04d", t);
				snprintf(cell->class_, sizeof(cell->class_), "%s", class_names[c]);
				cell->direction = d == 0 ? FT_DIR_OUT : FT_DIR_IN;
			}

	struct ft_ledger *l = NULL;
	struct direct dw = { .dir = dir, .fd = -1 };
	memset(dw.head, '0', FT_LEDGER_HASH_HEX - 1);
	int rc;
	if (append && (rc = ft_ledger_open(dir, &l)) < 0) {
		fprintf(stderr, "%s: cannot open the ledger: %s\n", dir, strerror(-rc));
		return 1;
	}
	long long total = (GEN_TO_MS - GEN_FROM_MS) / s.length_ms, done = 0;
	if (max_steps >= 0 && max_steps < total)
		total = max_steps;
	double t0 = now_s();
	int64_t last_day = INT64_MIN;
	for (int64_t t = GEN_FROM_MS; done < total; t += s.length_ms, done++) {
		fill(&s, t);
		if (ft_step_check(&s) < 0) {
			fprintf(stderr, "generated step breaks the contract\n");
			return 1;
		}
		rc = append ? ft_ledger_append(l, &s) : direct_add(&dw, &s);
		if (rc < 0) {
			fprintf(stderr, "%s: writing step %lld: %s\n", dir, done, strerror(-rc));
			return 1;
		}
		if (ft_ledger_day_of(t) != last_day) {
			last_day = ft_ledger_day_of(t);
			char tt[LEDGER_TIME_LEN + 1];
			ft_ledger_time_text(t, tt);
			fprintf(stderr, "\rrecharge_gen: %.10s  %lld/%lld steps  %.1f s", tt, done, total, now_s() - t0);
		}
	}
	if (append)
		ft_ledger_close(l);
	else if ((rc = direct_finish(&dw)) < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(-rc));
		return 1;
	}
	fprintf(stderr, "\rrecharge_gen: %lld steps of %d s, %zu L lines each, in %.1f s (%s)\n", done, step_s,
	        s.n_cells, now_s() - t0, append ? "ft_ledger_append, fsync per block" : "direct, no fsync");
	ft_step_done(&s);
	return 0;
}
