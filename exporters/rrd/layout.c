/* Data sources and archives of each kind of file (rrd.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/rrd.h"

static const char *const tenant_ds[] = { "in_bytes", "out_bytes", "in_packets", "out_packets",
                                         "in_flows", "out_flows" };
static const char *const unattr_ds[] = { "src_bytes", "src_packets", "src_flows", "dst_bytes",
                                         "dst_packets", "dst_flows" };
static const char *const total_ds[] = { "bytes", "packets", "flows", "late_bytes", "not_accounted_bytes" };
static const char *const exporter_ds[] = { "datagrams", "records", "bytes", "parse_errors", "seq_lost",
                                           "no_template" };
static const char *const collector_ds[] = { "records", "kernel_drops", "step_close_ms", "ledger_write_ms",
                                            "rrd_write_ms", "queue_depth" };

static const char *const interface_ds[] = { "in_bits", "out_bits", "in_ucast", "out_ucast", "in_errors",
                                            "out_errors", "in_discards", "out_discards", "oper_status", "speed" };

static const struct {
	const char *const *names;
	size_t n;
	const char *type;           /* of the first n_typed; GAUGE after */
	size_t n_typed;
} kinds[FT_RRD__KINDS] = {
	[FT_RRD_TENANT] = { tenant_ds, 6, "ABSOLUTE", 6 },
	[FT_RRD_UNATTRIBUTED] = { unattr_ds, 6, "ABSOLUTE", 6 },
	[FT_RRD_TOTAL] = { total_ds, 5, "ABSOLUTE", 5 },
	[FT_RRD_EXPORTER] = { exporter_ds, 6, "DERIVE", 6 },
	[FT_RRD_COLLECTOR] = { collector_ds, 6, "DERIVE", 2 },
	[FT_RRD_INTERFACE] = { interface_ds, 10, "ABSOLUTE", 8 },
};

const char *ft_rrd_ds_type(enum ft_rrd_kind k, size_t i)
{
	return i < kinds[k].n_typed ? kinds[k].type : "GAUGE";
}

size_t ft_rrd_ds_names(enum ft_rrd_kind k, const char *const **ret)
{
	*ret = kinds[k].names;
	return kinds[k].n;
}

/* Two years and ten years, in days (leap days included). */
#define HOURLY_DAYS 732
#define DAILY_DAYS 3653
/* The step's own archive keeps three days. */
#define STEP_DAYS 3

int ft_rrd_layout(enum ft_rrd_kind k, int64_t step_s, uint32_t fine_days, char *buf, size_t size,
                  const char *argv[FT_RRD_ARGS_MAX])
{
	int argc = 0;
	size_t used = 0;
	if (fine_days < FT_RRD_FINE_DAYS_MIN || ft_rrd_step_problem(step_s))
		return -1;
#define ADD(...)                                                                          \
	do {                                                                                  \
		int w_ = snprintf(buf + used, size - used, __VA_ARGS__);                          \
		if (w_ < 0 || (size_t)w_ >= size - used || argc >= FT_RRD_ARGS_MAX)                 \
			return -1;                                                                    \
		argv[argc++] = buf + used;                                                        \
		used += (size_t)w_ + 1;                                                           \
	} while (0)
	for (size_t i = 0; i < kinds[k].n; i++)
		ADD("DS:%s:%s:%lld:0:U", kinds[k].names[i], i < kinds[k].n_typed ? kinds[k].type : "GAUGE",
		    (long long)(2 * step_s));
	/* benchmarks only (rrd.h): one day in every archive, same data sources and
	 * archives, so that 10,000 files fit on a test machine's disk */
	const char *bench = getenv("FT_RRD_BENCH_SHORT");
	bool short_ = bench && strcmp(bench, "1") == 0;
	long long fine = step_s < 300 ? 300 / step_s : 1;
	long long fine_rows = (long long)(short_ ? 1 : fine_days) * 86400 / (fine * step_s);
	if (step_s < 300)
		ADD("RRA:AVERAGE:0.5:1:%lld", (long long)((short_ ? 1 : STEP_DAYS) * 86400 / step_s));
	ADD("RRA:AVERAGE:0.5:%lld:%lld", fine, fine_rows);
	ADD("RRA:MAX:0.5:%lld:%lld", fine, fine_rows);
	ADD("RRA:AVERAGE:0.5:%lld:%d", (long long)(3600 / step_s), short_ ? 24 : HOURLY_DAYS * 24);
	ADD("RRA:MAX:0.5:%lld:%d", (long long)(3600 / step_s), short_ ? 24 : HOURLY_DAYS * 24);
	ADD("RRA:AVERAGE:0.5:%lld:%d", (long long)(86400 / step_s), short_ ? 2 : DAILY_DAYS);
	ADD("RRA:MAX:0.5:%lld:%d", (long long)(86400 / step_s), short_ ? 2 : DAILY_DAYS);
#undef ADD
	/* the refusal the layout exists for: never less than 13 months of 5-minute data */
	if (!short_ && fine_rows * fine * step_s < (long long)FT_RRD_FINE_DAYS_MIN * 86400)
		return -1;
	return argc;
}
