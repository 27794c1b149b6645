/* Writes the seed corpus of fuzz_agg: run by hand,
 *
 *   build/tests/fuzz/gen_agg_corpus ../shared/fixtures/captures tests/fuzz/corpus/agg
 *
 * Built with the project but never run by it: the seeds are committed, and this
 * program says how each was made.  The pcap-* seeds are the records the decoder makes
 * of public capture files (see SOURCES.md next to them: v5, v9 and IPFIX exporters),
 * the first 200 of each, with the clock moved to each datagram's capture time before
 * its records; times are shifted so that the first datagram is received at
 * 2026-11-01T00:00:00Z (fuzz_agg's short form), and a restart comes half way.  Each
 * capture gives two seeds: one-minute steps with two minutes of lateness, and
 * one-second steps with none.  The ubsan-* seeds are the records that reached signed
 * overflow in collector/agg/agg.c before it clamped times (start near INT64_MIN,
 * "1796111189000 - -9223372036854775807"; end near INT64_MIN, "-9223372036854776 *
 * 1000"), and one of 2^63 bytes twice, which wrapped a step's total to 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/netflow.h"
#include "flowtally/pcap.h"

#define T0 1793491200000LL        /* 2026-11-01T00:00:00Z, fuzz_agg's short-form origin */
#define MAX_RECORDS 200
#define SEED_MAX 16384

struct seed {
	unsigned char b[SEED_MAX];
	size_t n;
};

static void put(struct seed *s, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes && s->n < SEED_MAX; i++)
		s->b[s->n++] = (unsigned char)(v >> 8 * (bytes - 1 - i));
}

/* A time, short form when it fits (see fuzz_agg.c). */
static void put_time(struct seed *s, int64_t t)
{
	int64_t d = t - T0;
	if (t > INT64_MIN / 2 && t < INT64_MAX / 2 && d >= INT32_MIN && d <= INT32_MAX) {
		put(s, 0, 1);
		put(s, (uint32_t)(int32_t)d, 4);
	} else {
		put(s, 1, 1);
		put(s, (uint64_t)t, 8);
	}
}

static void put_flow(struct seed *s, const struct ft_flow *f, unsigned k)
{
	put(s, 0, 1);
	put_time(s, f->start_ms);
	put_time(s, f->end_ms);
	put(s, f->bytes, 8);
	put(s, f->packets, 8);
	put(s, f->sampling_rate, 4);
	put(s, f->flags, 1);
	put(s, k, 1);                     /* host pool choices (fuzz_agg.c) */
	put(s, k * 7 + 3, 1);
	put(s, f->in_if << 1 | (f->out_if & 3) << 3 | (k & 1), 1);
}

static void put_clock(struct seed *s, int64_t t)
{
	put(s, 2, 1);
	put(s, 1, 1);                     /* to a time */
	put_time(s, t);
}

static void write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
		fprintf(stderr, "gen_agg_corpus: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void from_capture(const char *captures, const char *file, const char *out)
{
	char path[4096], err[256];
	snprintf(path, sizeof(path), "%s/%s", captures, file);
	struct ft_pcap_reader *r = ft_pcap_open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "gen_agg_corpus: %s: %s\n", path, err);
		exit(1);
	}
	struct ft_netflow *nf = ft_netflow_new(NULL);
	static struct ft_flow flows[4096];
	struct ft_flow_batch b = { .flows = flows, .cap = 4096 };
	static const unsigned char configs[2] = { 1 | 2 << 2, 0 };   /* 60 s + 2 steps; 1 s + 0 */
	struct seed s[2] = { 0 };
	struct ft_datagram dg;
	int64_t base = 0;
	unsigned records = 0;
	bool first = true, restarted = false;
	for (int i = 0; i < 2; i++)
		put(&s[i], configs[i], 1);
	while (records < MAX_RECORDS && ft_pcap_next(r, &dg) == 1) {
		int64_t recv_ms = dg.recv_ns / 1000000;
		if (first) {
			base = recv_ms - T0;
			for (int i = 0; i < 2; i++)
				put_time(&s[i], recv_ms - base);
			first = false;
		}
		b.n = 0;
		if (ft_netflow_input(nf, &dg, &b) <= 0 || b.n == 0)
			continue;
		for (int i = 0; i < 2; i++)
			put_clock(&s[i], recv_ms - base);
		for (size_t j = 0; j < b.n && records < MAX_RECORDS; j++, records++) {
			struct ft_flow f = flows[j];
			f.start_ms -= base, f.end_ms -= base;
			for (int i = 0; i < 2; i++)
				put_flow(&s[i], &f, records);
		}
		if (!restarted && records >= MAX_RECORDS / 2) {
			for (int i = 0; i < 2; i++)
				put(&s[i], 3, 1);
			restarted = true;
		}
	}
	ft_netflow_free(nf);
	ft_pcap_close(r);
	if (!records) {
		fprintf(stderr, "gen_agg_corpus: %s: no records\n", path);
		exit(1);
	}
	char name[512], stem[256];
	snprintf(stem, sizeof(stem), "%.*s", (int)(strlen(file) - 5), file);   /* no .pcap */
	snprintf(name, sizeof(name), "pcap-%s", stem);
	write_seed(out, name, &s[0]);
	snprintf(name, sizeof(name), "pcap-%s-1s", stem);
	write_seed(out, name, &s[1]);
}

/* One accounted record [start, end) of bytes at the clock T0 + 1 s, added count
 * times, then the clock an hour on and a flush. */
static void extreme(const char *out, const char *name, int64_t start, int64_t end, uint64_t bytes,
                    unsigned count)
{
	struct seed s = { 0 };
	put(&s, 1 | 2 << 2, 1);
	put_time(&s, T0 + 1000);
	for (unsigned i = 0; i < count; i++) {
		/* from 192.0.2.1 on ifIndex 1: accounted (fuzz_agg.c's map) */
		struct ft_flow f = { .start_ms = start, .end_ms = end, .bytes = bytes, .packets = 1,
		                     .sampling_rate = 1, .in_if = 1 };
		put_flow(&s, &f, 1);
	}
	put_clock(&s, T0 + 3600000);
	write_seed(out, name, &s);
}

int main(int argc, char **argv)
{
	static const char *const captures[] = {
		"fb__ipt_netflow_v5.pcap", "ls__nf5_softflowd.pcap", "ls__nf9_cisco_asr1001x.pcap",
		"ls__nf9_cisco_wlc.pcap", "fb__ipt_netflow_v9.pcap", "ls__ipfix_ixia_256.pcap",
		"ls__ipfix_softflowd.pcap", "scapy__ipfix.pcap",
	};
	if (argc != 3) {
		fprintf(stderr, "usage: gen_agg_corpus CAPTURE_DIR OUT_DIR\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++)
		from_capture(argv[1], captures[i], argv[2]);
	extreme(argv[2], "ubsan-start-near-int64-min", INT64_MIN + 1, 1796111189000LL, 1000, 1);
	extreme(argv[2], "ubsan-end-near-int64-min", 1796111189000LL, INT64_MIN + 1, 1000, 1);
	extreme(argv[2], "wrap-two-records-of-2-63-bytes", T0, T0 + 500, 1ull << 63, 2);
	return 0;
}
