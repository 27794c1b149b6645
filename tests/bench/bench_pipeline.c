/* The whole per-record path from memory, one core: flowtallyd's pipeline (pipeline.h),
 * the exporter allow-list, decoding, then the stages attribute (tenant map lookups on
 * both sides, classes) and aggregate (sampling correction, pro-rata spreading over
 * steps), with steps closed by the wall clock.  Datagrams come from the generator
 * (v5, 30 records each, or IPFIX with the 18-field template); the tenant map has
 * 10,000 IPv4 prefixes for 40 tenants and a class, as a regional WAN might.
 *
 *   bench_pipeline [SECONDS] [CPU]
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/clock.h"
#include "flowtally/config.h"
#include "flowtally/gen.h"
#include "flowtally/pipeline.h"
#include "flowtally/view.h"

#define POOL 2048

struct pool {
	uint8_t (*buf)[FT_GEN_MAX_DATAGRAM];
	size_t len[POOL];
};

static void build_pool(struct pool *p, uint8_t version)
{
	struct ft_gen_opts o = { .seed = 7, .exporters = 4, .records_per_datagram = 30, .version = version };
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

/* 40 tenants sharing 10,000 random /24../16 prefixes of 10.0.0.0/8 and 192.168.0.0/16,
 * in the embedded defaults (which accept exporters on loopback). */
static struct ft_config *build_config(void)
{
	struct ft_config *cfg = ft_config_new_default();
	struct ft_where at = { "bench", 1 };
	uint64_t x = 88172645463325252ull;
	if (!cfg)
		abort();
	struct ft_tenant_conf *c = &cfg->tenants;
	for (int t = 0; t < 40; t++) {
		char name[16];
		snprintf(name, sizeof(name), "t%02d", t);
		ft_tenant_conf_add_tenant(c, name, at);
	}
	int cls = ft_tenant_conf_add_class(c, "psn");
	struct ft_class_rule cr = { (uint8_t)cls, { { { 0 } }, 0 }, FT_TIME_MIN, FT_TIME_MAX, at };
	ft_prefix_parse("192.168.192.0/19", &cr.prefix);
	ft_tenant_conf_add_class_rule(c, &cr);
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		struct ft_rule r = { .kind = FT_RULE_PREFIX, .from_ms = FT_TIME_MIN, .until_ms = FT_TIME_MAX,
		                     .at = at };
		uint32_t len = 16 + (uint32_t)(x >> 20) % 9;
		uint32_t v4 = i % 2 ? 0x0a000000u | ((uint32_t)(x >> 32) & 0xffffffu) : 0xc0a80000u | ((uint32_t)(x >> 32) & 0xffffu);
		v4 &= 0xffffffffu << (32 - len);
		/* the owner follows from the prefix, so a prefix drawn twice is no conflict */
		r.tenant = (uint16_t)(1 + (v4 * 2654435761u ^ len) % 40);
		ft_addr_from_v4(&r.prefix.addr, v4);
		r.prefix.len = (uint8_t)(96 + len);
		ft_tenant_conf_add_rule(c, &r);
	}
	return cfg;
}

/* Closed steps: checked and dropped. */
static void take_step(struct ft_step *st, void *ctx)
{
	uint64_t *closed = ctx;
	if (ft_step_check(st) < 0)
		abort();
	ft_step_done(st);
	(*closed)++;
}

static double run(const struct pool *p, const struct ft_config *cfg, const struct ft_view *v, double seconds,
                  uint64_t *ret_steps)
{
	struct ft_pipeline_opts po = { 0 };
	struct ft_pipeline *pipe;
	/* received now, as the generator's export times are: records far from their
	 * receipt are refused (max_flow_age, max_clock_skew) */
	struct ft_datagram dg = { .recv_ns = ft_clock_now_ns() };
	uint64_t closed = 0;
	struct ft_step_out out = { take_step, &closed };
	struct ft_stats st;
	if (ft_pipeline_new(cfg, &po, v, ft_clock_now_ns() / FT_NS_PER_MS, &pipe) < 0)
		abort();
	ft_addr_from_v4(&dg.src, 0x7f000001);
	int64_t t0 = ft_clock_mono_ns(), end = t0 + (int64_t)(seconds * 1e9), now;
	do {
		for (size_t i = 0; i < POOL; i++) {
			dg.data = p->buf[i];
			dg.len = p->len[i];
			ft_pipeline_datagram(pipe, &dg);
		}
		ft_pipeline_close(pipe, ft_clock_now_ns() / FT_NS_PER_MS, &out);
	} while ((now = ft_clock_mono_ns()) < end);
	ft_pipeline_close(pipe, FT_PIPELINE_CLOSE_ALL, &out);
	ft_stats_init(&st, 0, "bench");
	ft_pipeline_stats(pipe, &st);
	*ret_steps = closed;
	double records = (double)st.totals.records;
	ft_stats_done(&st);
	ft_pipeline_free(pipe);
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
	struct ft_config *cfg = build_config();
	struct ft_view *v;
	if (ft_view_build(cfg, NULL, &v) < 0) {
		fprintf(stderr, "bench_pipeline: the tenant map did not build\n");
		return 1;
	}
	static const struct { uint8_t version; const char *name; } runs[] = {
		{ 5, "NetFlow v5" }, { 10, "IPFIX, 18-field IPv4 template" },
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct pool p;
		uint64_t steps;
		build_pool(&p, runs[i].version);
		double r = run(&p, cfg, v, seconds, &steps);
		printf("pipeline %-30s %6.1f M records/s, one core (decode + attribute + aggregate)\n",
		       runs[i].name, r / 1e6);
		free(p.buf);
	}
	ft_view_free(v);
	ft_config_free(cfg);
	return 0;
}
