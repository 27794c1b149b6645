/* Writes the seed corpus of fuzz_netflow into a directory:
 *
 *   build/tests/fuzz/gen_netflow_corpus tests/fuzz/corpus/netflow
 *
 * Built with the project but never run by it: the seeds are committed, and this program
 * says how each was made.  Rerunning it rewrites the seeds it knows and leaves other
 * files (inputs the fuzzer found) alone.  The input format is fuzz_netflow.c's: one
 * byte choosing the exporter cap, then per datagram one source byte, a 2-byte
 * big-endian length, the payload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/nf5.h"

#define SEED_MAX 4000
/* The first byte of an input: fuzz_netflow caps its exporter table at 1 + byte % 80. */
#define CAP(n) ((uint8_t)((n) - 1))

struct seed {
	uint8_t b[SEED_MAX];
	size_t n;
};

/* A v5 datagram to build: header fields and how many records follow the header. */
struct v5 {
	uint16_t count;
	unsigned records;
	uint32_t uptime;
	uint32_t secs;
	uint32_t nsecs;
	uint32_t seq;
	uint8_t engine_type;
	uint8_t engine_id;
	uint16_t sampling;
};

/* Sources, as fuzz_netflow.c maps them: 0..3 are 192.0.2.1..4, 4 and 5 are 2001:db8::4, ::5. */
enum { SRC_A, SRC_B, SRC_C, SRC_D, SRC_V6_A, SRC_V6_B };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static struct v5 v5(unsigned records, uint32_t seq)
{
	return (struct v5){ .count = (uint16_t)records, .records = records, .seq = seq,
	                    .uptime = 3600000, .secs = 1700000000, .nsecs = 250000000 };
}

/* Record i: 10.0.0.i:1024+i -> 10.1.0.i:443, TCP, started i s and ended 1 s before export. */
static void v5_record(uint8_t *r, unsigned i, uint32_t uptime)
{
	memset(r, 0, FT_NF5_RECORD_LEN);
	put32(r, 0x0a000000u + i);
	put32(r + 4, 0x0a010000u + i);
	put32(r + 8, 0xc0000201u);
	put16(r + 12, 1);
	put16(r + 14, 2);
	put32(r + 16, i + 1);
	put32(r + 20, 1500 * (i + 1));
	put32(r + 24, uptime - 1000 * (i + 2));
	put32(r + 28, uptime - 1000);
	put16(r + 32, (uint16_t)(1024 + i));
	put16(r + 34, 443);
	r[37] = 0x1b;
	r[38] = 6;
	put16(r + 40, 64496);
	put16(r + 42, 64511);
	r[44] = 24;
	r[45] = 16;
}

/* Builds h into buf (room for SEED_MAX bytes); returns its length. */
static size_t v5_build(uint8_t *buf, const struct v5 *h)
{
	put16(buf, 5);
	put16(buf + 2, h->count);
	put32(buf + 4, h->uptime);
	put32(buf + 8, h->secs);
	put32(buf + 12, h->nsecs);
	put32(buf + 16, h->seq);
	buf[20] = h->engine_type;
	buf[21] = h->engine_id;
	put16(buf + 22, h->sampling);
	for (unsigned i = 0; i < h->records; i++)
		v5_record(buf + FT_NF5_HEADER_LEN + i * FT_NF5_RECORD_LEN, i, h->uptime);
	return FT_NF5_HEADER_LEN + (size_t)h->records * FT_NF5_RECORD_LEN;
}

static void put_bytes(struct seed *s, const void *p, size_t len)
{
	if (len > SEED_MAX - s->n) {
		fprintf(stderr, "seed too large\n");
		exit(1);
	}
	memcpy(s->b + s->n, p, len);
	s->n += len;
}

/* Appends a datagram whose length prefix says len_field (the payload may be shorter). */
static void add_prefixed(struct seed *s, uint8_t src, uint16_t len_field, const uint8_t *p, size_t len)
{
	uint8_t pre[3] = { src };
	put16(pre + 1, len_field);
	put_bytes(s, pre, sizeof(pre));
	put_bytes(s, p, len);
}

static void add_raw(struct seed *s, uint8_t src, const uint8_t *p, size_t len)
{
	add_prefixed(s, src, (uint16_t)len, p, len);
}

static void add(struct seed *s, uint8_t src, const struct v5 *h)
{
	uint8_t buf[SEED_MAX];
	add_raw(s, src, buf, v5_build(buf, h));
}

/* Appends datagrams of n records each from src, sequence numbers as given. */
static void add_seqs(struct seed *s, uint8_t src, unsigned n, const uint32_t *seq, size_t nseq)
{
	for (size_t i = 0; i < nseq; i++) {
		struct v5 h = v5(n, seq[i]);
		h.uptime += (uint32_t)i * 1000;
		add(s, src, &h);
	}
}

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	int w = snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = w > 0 && (size_t)w < sizeof(path) ? fopen(path, "wb") : NULL;
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "%s/%s: %s\n", dir, name, strerror(errno));
		exit(1);
	}
}

static void save_cap(const char *dir, const char *name, uint8_t cap, const struct seed *s)
{
	uint8_t buf[1 + SEED_MAX] = { cap };
	memcpy(buf + 1, s->b, s->n);
	write_file(dir, name, buf, 1 + s->n);
}

/* Most seeds run with 4 exporters at most. */
static void save(const char *dir, const char *name, const struct seed *s)
{
	save_cap(dir, name, CAP(4), s);
}

static void seeds_valid(const char *dir)
{
	struct seed s = { .n = 0 };
	struct v5 h = v5(1, 0);
	add(&s, SRC_A, &h);
	save(dir, "v5-one-record", &s);

	s.n = 0;
	h = v5(FT_NF5_MAX_RECORDS, 0);
	add(&s, SRC_A, &h);
	save(dir, "v5-thirty-records", &s);

	/* Two full datagrams: the second is appended behind the first in one batch. */
	h.seq = FT_NF5_MAX_RECORDS;
	add(&s, SRC_A, &h);
	save(dir, "v5-two-full-datagrams", &s);

	s.n = 0;
	add_seqs(&s, SRC_V6_A, 2, (const uint32_t[]){ 0, 2, 4 }, 3);
	add_seqs(&s, SRC_V6_B, 1, (const uint32_t[]){ 7 }, 1);
	save(dir, "v5-ipv6-exporters", &s);

	s.n = 0;
	uint16_t modes[] = { 0x4064, 0x8001, 0x0001, 0xffff };   /* 1/100 deterministic, ... */
	for (size_t i = 0; i < 4; i++) {
		h = v5(1, (uint32_t)i);
		h.sampling = modes[i];
		add(&s, SRC_A, &h);
	}
	save(dir, "v5-sampling", &s);
}

static void seeds_sequence(const char *dir)
{
	struct seed s = { .n = 0 };
	add_seqs(&s, SRC_A, 2, (const uint32_t[]){ 0, 2, 4, 6 }, 4);
	save(dir, "seq-in-order", &s);

	s.n = 0;
	add_seqs(&s, SRC_A, 2, (const uint32_t[]){ 0, 10, 12, 100 }, 4);
	save(dir, "seq-gaps", &s);

	s.n = 0;   /* 0xfffffffe + 3 records wraps to 1 */
	add_seqs(&s, SRC_A, 3, (const uint32_t[]){ 0xfffffffb, 0xfffffffe, 1, 4 }, 4);
	save(dir, "seq-wrap", &s);

	s.n = 0;
	add_seqs(&s, SRC_A, 1, (const uint32_t[]){ 0xfffffff0, 5 }, 2);
	save(dir, "seq-wrap-gap", &s);

	s.n = 0;
	add_seqs(&s, SRC_A, 1, (const uint32_t[]){ 0, 2, 1, 3 }, 4);
	save(dir, "seq-reordered-pair", &s);

	s.n = 0;
	add_seqs(&s, SRC_A, 1, (const uint32_t[]){ 1000000, 10, 11 }, 3);
	save(dir, "seq-backward-jump", &s);

	s.n = 0;
	add_seqs(&s, SRC_A, 1, (const uint32_t[]){ 0, 0x80000001u, 0x80000002u }, 3);
	save(dir, "seq-half-range-jump", &s);

	/* Restart: the sequence and sysUptime both go back. */
	s.n = 0;
	struct v5 h = v5(1, 1000);
	h.uptime = 100000;
	add(&s, SRC_A, &h);
	h.seq = 0;
	h.uptime = 50;
	add(&s, SRC_A, &h);
	h.seq = 1;
	h.uptime = 60;
	add(&s, SRC_A, &h);
	save(dir, "seq-exporter-restart", &s);

	/* Same sequence numbers from two engines of one address: tracked apart. */
	s.n = 0;
	for (uint32_t seq = 0; seq < 3; seq++) {
		for (uint8_t engine = 0; engine < 2; engine++) {
			h = v5(1, seq);
			h.engine_id = engine;
			add(&s, SRC_B, &h);
		}
	}
	save(dir, "seq-two-engines", &s);
}

static void seeds_times(const char *dir)
{
	struct seed s = { .n = 0 };
	uint8_t buf[SEED_MAX];
	/* sysUptime wrapped between First and export; Last a little after export. */
	struct v5 h = v5(2, 0);
	h.uptime = 500;
	size_t len = v5_build(buf, &h);
	put32(buf + FT_NF5_HEADER_LEN + 24, 0xfffffc18);
	put32(buf + FT_NF5_HEADER_LEN + 28, 600);
	add_raw(&s, SRC_A, buf, len);
	save(dir, "time-uptime-wrap", &s);

	s.n = 0;
	h = v5(1, 0);
	h.secs = 0xffffffff;
	h.nsecs = 0xffffffff;
	h.uptime = 0;
	len = v5_build(buf, &h);
	put32(buf + FT_NF5_HEADER_LEN + 24, 0x80000000);
	put32(buf + FT_NF5_HEADER_LEN + 28, 0x7fffffff);
	add_raw(&s, SRC_A, buf, len);
	save(dir, "time-extremes", &s);

	s.n = 0;
	h = v5(1, 0);
	len = v5_build(buf, &h);
	memset(buf + FT_NF5_HEADER_LEN, 0xff, FT_NF5_RECORD_LEN);
	add_raw(&s, SRC_A, buf, len);
	save(dir, "record-all-ones", &s);
}

static void seeds_malformed(const char *dir)
{
	static const uint16_t bad_versions[] = { 0, 1, 7, 0xffff };
	struct seed s = { .n = 0 };
	uint8_t buf[SEED_MAX];
	struct v5 h = v5(0, 0);
	add(&s, SRC_A, &h);
	save(dir, "count-zero", &s);

	s.n = 0;
	h = v5(FT_NF5_MAX_RECORDS + 1, 0);
	add(&s, SRC_A, &h);
	save(dir, "count-31", &s);

	s.n = 0;
	h = v5(1, 0);
	h.count = 0xffff;
	add(&s, SRC_A, &h);
	save(dir, "count-65535", &s);

	s.n = 0;
	h = v5(1, 0);
	h.count = 2;
	add(&s, SRC_A, &h);
	save(dir, "length-fewer-records", &s);

	s.n = 0;
	h = v5(1, 0);
	size_t len = v5_build(buf, &h);
	add_raw(&s, SRC_A, buf, len + 1);
	add_raw(&s, SRC_A, buf, len - 1);
	save(dir, "length-off-by-one", &s);

	s.n = 0;
	for (size_t i = 0; i < 4; i++) {
		h = v5(1, 0);
		len = v5_build(buf, &h);
		put16(buf, bad_versions[i]);
		add_raw(&s, (uint8_t)i, buf, len);
	}
	save(dir, "version-wrong", &s);

	s.n = 0;
	h = v5(1, 0);
	len = v5_build(buf, &h);
	add_raw(&s, SRC_A, buf, FT_NF5_HEADER_LEN - 1);
	add_raw(&s, SRC_A, buf, 10);
	add_raw(&s, SRC_A, buf, 2);
	add_raw(&s, SRC_A, buf, 1);
	add_raw(&s, SRC_A, buf, 0);
	save(dir, "header-truncated", &s);

	/* The input ends inside a datagram, then inside a length prefix. */
	s.n = 0;
	add_prefixed(&s, SRC_A, (uint16_t)len, buf, len / 2);
	save(dir, "input-ends-in-datagram", &s);
	s.n = 0;
	add(&s, SRC_A, &h);
	put_bytes(&s, "\0\0", 2);
	save(dir, "input-ends-in-prefix", &s);

	write_file(dir, "empty", (const uint8_t *)"", 0);
}

/* More exporters than the table holds: addresses, engines, and unreadable datagrams,
 * which count against (address, version 0). */
static void seeds_exporters(const char *dir)
{
	struct seed s = { .n = 0 };
	for (uint8_t src = SRC_A; src <= SRC_V6_B; src++) {
		struct v5 h = v5(1, src);
		add(&s, src, &h);
	}
	struct v5 h = v5(1, 1);
	add(&s, SRC_A, &h);
	save(dir, "exporters-many-addresses", &s);

	s.n = 0;
	for (uint8_t engine = 0; engine < 6; engine++) {
		h = v5(1, 0);
		h.engine_type = engine & 1;
		h.engine_id = engine;
		add(&s, SRC_C, &h);
	}
	save(dir, "exporters-many-engines", &s);

	s.n = 0;
	uint8_t buf[SEED_MAX];
	h = v5(1, 0);
	size_t len = v5_build(buf, &h);
	for (uint8_t src = SRC_A; src <= SRC_D; src++)
		add_raw(&s, src, buf, len);
	add_raw(&s, SRC_V6_A, buf, 1);                     /* unreadable, table full */
	add_raw(&s, SRC_A, buf, 1);                        /* unreadable, new key */
	put16(buf + 2, 0);
	add_raw(&s, SRC_V6_B, buf, len);                   /* bad count, table full */
	save(dir, "exporters-full-then-bad", &s);

	/* Good and bad datagrams from a few exporters, interleaved. */
	s.n = 0;
	for (uint32_t i = 0; i < 12; i++) {
		h = v5(i % 3 + 1, i * 3);
		h.count = (uint16_t)(i % 4 == 3 ? 0 : h.count);
		add(&s, (uint8_t)(i % 3), &h);
	}
	save(dir, "exporters-mixed", &s);

	s.n = 0;
	h = v5(1, 0);
	add(&s, SRC_A, &h);
	add_raw(&s, SRC_A, buf, 1);
	add(&s, SRC_B, &h);
	add(&s, SRC_A, &h);
	save_cap(dir, "exporters-cap-one", CAP(1), &s);

	/* 45 engines under a cap of 40: the table grows, then fills. */
	s.n = 0;
	for (uint8_t engine = 0; engine < 45; engine++) {
		h = v5(1, engine);
		h.engine_id = engine;
		add(&s, SRC_D, &h);
	}
	save_cap(dir, "exporters-grow-then-cap", CAP(40), &s);

	/* 70 header-only datagrams (bad count, still an exporter each) under a cap of 80,
	 * then the first exporters again, found after the table has been rehashed. */
	s.n = 0;
	h = v5(0, 0);
	for (uint8_t i = 0; i < 70; i++) {
		h.engine_type = i;
		add(&s, (uint8_t)(i % 6), &h);
	}
	h = v5(1, 0);
	for (uint8_t i = 0; i < 3; i++) {
		h.engine_type = i;
		add(&s, i, &h);
	}
	save_cap(dir, "exporters-table-grows", CAP(80), &s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	seeds_valid(argv[1]);
	seeds_sequence(argv[1]);
	seeds_times(argv[1]);
	seeds_malformed(argv[1]);
	seeds_exporters(argv[1]);
	return 0;
}
