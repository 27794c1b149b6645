/* Decode throughput from memory, one core: NetFlow v5 records per second through
 * ft_nf5_decode() alone, and through ft_netflow_input() (the daemon's path: exporter
 * lookup, sequence tracking, counters).  Datagrams come from the generator (30 random
 * records each, 8 exporters) and are decoded round and round for a fixed time.
 *
 *   bench_decode [SECONDS] [CPU]      prints one line per figure
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "flowtally/clock.h"
#include "flowtally/gen.h"
#include "flowtally/netflow.h"
#include "flowtally/nf5.h"

#define POOL 4096

struct pool {
	uint8_t (*buf)[FT_GEN_MAX_DATAGRAM];
	size_t len[POOL];
};

static void build_pool(struct pool *p)
{
	struct ft_gen_opts o = { .seed = 42, .exporters = 8, .records_per_datagram = 30 };
	ft_gen_opts_default(&o);
	struct ft_gen *g = ft_gen_new(&o);
	p->buf = malloc(sizeof(*p->buf) * POOL);
	if (!g || !p->buf)
		abort();
	for (size_t i = 0; i < POOL; i++) {
		uint32_t e;
		p->len[i] = ft_gen_next(g, p->buf[i], FT_GEN_MAX_DATAGRAM, &e);
	}
	ft_gen_free(g);
}

static double bench_nf5(const struct pool *p, double seconds, uint64_t *ret_check)
{
	static struct ft_flow flows[FT_NF5_MAX_RECORDS];
	struct ft_addr ex;
	struct ft_nf5_header h;
	uint64_t records = 0, check = 0;
	ft_addr_from_v4(&ex, 0x7f000001);
	int64_t t0 = ft_clock_mono_ns(), end = t0 + (int64_t)(seconds * 1e9), now;
	do {
		for (size_t i = 0; i < POOL; i++) {
			int n = ft_nf5_decode(p->buf[i], p->len[i], &ex, &h, flows);
			records += (uint64_t)n;
			check += flows[n - 1].bytes;
		}
	} while ((now = ft_clock_mono_ns()) < end);
	*ret_check = check;
	return records / ((now - t0) / 1e9);
}

static double bench_input(const struct pool *p, double seconds, uint64_t *ret_check)
{
	struct ft_netflow *nf = ft_netflow_new(NULL);
	static struct ft_flow flows[1024];
	struct ft_flow_batch b = { .flows = flows, .cap = 1024 };
	struct ft_datagram dg = { .recv_ns = 1 };
	uint64_t records = 0;
	ft_addr_from_v4(&dg.src, 0x7f000001);
	int64_t t0 = ft_clock_mono_ns(), end = t0 + (int64_t)(seconds * 1e9), now;
	do {
		for (size_t i = 0; i < POOL; i++) {
			dg.data = p->buf[i];
			dg.len = p->len[i];
			if (b.cap - b.n < FT_NETFLOW_BATCH_MIN)
				b.n = 0;
			records += (uint64_t)ft_netflow_input(nf, &dg, &b);
		}
	} while ((now = ft_clock_mono_ns()) < end);
	struct ft_exporter_stats t;
	ft_netflow_totals(nf, &t);
	*ret_check = t.records == records ? t.bytes : 0;
	ft_netflow_free(nf);
	return records / ((now - t0) / 1e9);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0;
	if (argc > 2) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((int)strtol(argv[2], NULL, 10), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	struct pool p;
	uint64_t c1, c2;
	build_pool(&p);
	double r1 = bench_nf5(&p, seconds, &c1);
	double r2 = bench_input(&p, seconds, &c2);
	printf("nf5 decode (ft_nf5_decode):        %8.1f M records/s, one core\n", r1 / 1e6);
	printf("datagram input (ft_netflow_input): %8.1f M records/s, one core\n", r2 / 1e6);
	free(p.buf);
	return c1 && c2 ? 0 : 1;
}
