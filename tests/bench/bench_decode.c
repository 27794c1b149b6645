/* Decode throughput from memory, one core: NetFlow v5 records per second through
 * ft_nf5_decode() alone, and through ft_netflow_input() (the daemon's path: exporter
 * lookup, sequence tracking, counters); NetFlow v9 and IPFIX data records through
 * ft_netflow_input() with the generator's 18-field IPv4 template and its IPv6
 * template.  Datagrams come from the generator, 8 exporters: v5 with 30 records,
 * v9/IPFIX filled up to 1400 bytes.  v9/IPFIX templates go in datagrams of their own,
 * decoded once before the clock starts; then the data datagrams, like the v5 ones,
 * are decoded round and round for a fixed time.
 *
 *   bench_decode [SECONDS] [CPU|-] [NAME] prints one line per figure, or only the
 *                                         figure NAME (nf5, v5, v9-v4, v9-v6, ipfix-v4,
 *                                         ipfix-v6), e.g. under perf record
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/clock.h"
#include "flowtally/gen.h"
#include "flowtally/netflow.h"
#include "flowtally/nf5.h"

#define POOL 4096
#define EXPORTERS 8

struct pool {
	uint8_t *mem;
	size_t stride;
	size_t n_tpl;                /* template datagrams, first */
	size_t n;                    /* all datagrams: n_tpl, then POOL data ones */
	uint8_t *buf[POOL + EXPORTERS];
	size_t len[POOL + EXPORTERS];
};

static void build_pool(struct pool *p, uint8_t version, enum ft_gen_template tpl)
{
	struct ft_gen_opts o = { .seed = 42, .exporters = EXPORTERS, .version = version,
	                         .template = tpl, .template_once = true,
	                         .template_separate = true };
	ft_gen_opts_default(&o);
	struct ft_gen *g = ft_gen_new(&o);
	if (!g)
		abort();
	p->n_tpl = version == 5 ? 0 : EXPORTERS;
	p->n = p->n_tpl + POOL;
	p->stride = (ft_gen_datagram_max(g) + 63) / 64 * 64;
	p->mem = aligned_alloc(64, p->n * p->stride);
	if (!p->mem)
		abort();
	for (size_t i = 0; i < p->n; i++) {
		p->buf[i] = p->mem + i * p->stride;
		p->len[i] = ft_gen_next(g, p->buf[i], p->stride, NULL);
		if ((i < p->n_tpl) != (ft_gen_last(g)->templates > 0))
			abort();
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
		for (size_t i = 0; i < p->n; i++) {
			int n = ft_nf5_decode(p->buf[i], p->len[i], &ex, &h, flows);
			records += (uint64_t)n;
			check += flows[n - 1].bytes;
		}
	} while ((now = ft_clock_mono_ns()) < end);
	*ret_check = check;
	return records / ((now - t0) / 1e9);
}

/* The consumer of decoded flows: here, nothing. */
static void discard(struct ft_flow_batch *b, void *ctx)
{
	(void)ctx;
	b->n = 0;
}

/* Data records a second through ft_netflow_input(); the check is the bytes counted,
 * or 0 when the counters disagree with what was decoded or something was an error. */
static double bench_input(const struct pool *p, double seconds, uint64_t *ret_check)
{
	struct ft_netflow *nf = ft_netflow_new(NULL);
	static struct ft_flow flows[1024];
	struct ft_flow_batch b = { .flows = flows, .cap = 1024, .flush = discard };
	struct ft_datagram dg = { .recv_ns = 1 };
	uint64_t records = 0, tpl_records = 0, errors = 0;
	ft_addr_from_v4(&dg.src, 0x7f000001);
	for (size_t i = 0; i < p->n_tpl; i++) {
		dg.data = p->buf[i];
		dg.len = p->len[i];
		tpl_records += (uint64_t)ft_netflow_input(nf, &dg, &b);
	}
	int64_t t0 = ft_clock_mono_ns(), end = t0 + (int64_t)(seconds * 1e9), now;
	do {
		for (size_t i = p->n_tpl; i < p->n; i++) {
			dg.data = p->buf[i];
			dg.len = p->len[i];
			if (b.cap - b.n < FT_NETFLOW_BATCH_MIN)
				b.n = 0;
			records += (uint64_t)ft_netflow_input(nf, &dg, &b);
		}
	} while ((now = ft_clock_mono_ns()) < end);
	struct ft_exporter_stats t;
	ft_netflow_totals(nf, &t);
	for (int e = 0; e < FT_NF_ERR__MAX; e++)
		errors += t.errors[e];
	*ret_check = t.records == records + tpl_records && !errors && !b.overflow ? t.bytes : 0;
	ft_netflow_free(nf);
	return records / ((now - t0) / 1e9);
}

static const struct figure {
	const char *name;
	const char *label;
	uint8_t version;
	enum ft_gen_template tpl;
	bool nf5;                    /* ft_nf5_decode() alone */
} figures[] = {
	{ "nf5", "nf5 decode (ft_nf5_decode):", 5, FT_GEN_TEMPLATE_V4, true },
	{ "v5", "datagram input (ft_netflow_input):", 5, FT_GEN_TEMPLATE_V4, false },
	{ "v9-v4", "v9 IPv4, 18 fields (ft_netflow_input):", 9, FT_GEN_TEMPLATE_V4, false },
	{ "v9-v6", "v9 IPv6 (ft_netflow_input):", 9, FT_GEN_TEMPLATE_V6, false },
	{ "ipfix-v4", "IPFIX IPv4, 18 fields (ft_netflow_input):", 10, FT_GEN_TEMPLATE_V4, false },
	{ "ipfix-v6", "IPFIX IPv6 (ft_netflow_input):", 10, FT_GEN_TEMPLATE_V6, false },
};

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0;
	const char *only = argc > 3 ? argv[3] : NULL;
	bool ok = true, found = false;

	if (argc > 2 && strcmp(argv[2], "-") != 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((int)strtol(argv[2], NULL, 10), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	for (size_t f = 0; f < sizeof(figures) / sizeof(figures[0]); f++) {
		const struct figure *x = &figures[f];
		struct pool p;
		uint64_t check;
		if (only && strcmp(only, x->name) != 0)
			continue;
		found = true;
		build_pool(&p, x->version, x->tpl);
		double r = x->nf5 ? bench_nf5(&p, seconds, &check) : bench_input(&p, seconds, &check);
		free(p.mem);
		printf("%-42s %8.1f M records/s, one core\n", x->label, r / 1e6);
		fflush(stdout);
		ok = ok && check;
	}
	return ok && found ? 0 : 1;
}
