/* Fuzz target: attribution and aggregation of decoded records with any times and any
 * counters (struct ft_flow as the decoders hand it on, but with nothing bounded).
 *
 * Input:
 *   1 byte   the configuration: step (1 s, 60 s, 300 s, 3600 s) and lateness
 *            (0, one step, two steps, a day; ten minutes for 1 s steps)
 *   a time   the clock the aggregation starts at.  A time is a tag byte, then: when the
 *            tag is odd, 8 bytes, big-endian two's complement ms (any int64); when it
 *            is even, 4 bytes, a signed offset in ms from 2026-11-01T00:00:00Z
 *            (realistic times, not only absurd ones)
 *   then commands, one byte each and its operands:
 *     0, 1  a record: start, end (a time each), bytes, packets (8 bytes each),
 *           sampling rate (4), flags (1), addresses and interfaces (1: source, 1:
 *           destination, 1: exporter and in/out interfaces)
 *     2     the clock moves by a signed 4-byte offset in ms (or to a time when the
 *           command's next byte is odd), closing what is due
 *     3     a clean restart: the open steps are snapshot and restored into a new
 *           aggregation at the same clock
 * The tenant map has two tenants (one of them dated), a class and an accounting point,
 * so that records are attributed, unattributed and not accounted.
 *
 * Checked, whatever the input (UBSan halts on any signed overflow):
 *   - every closed step meets the attribution contract (ft_step_check) and its late
 *     volume is within its total; steps close oldest first, each once per aggregation;
 *   - nothing is lost or made up: the closed steps' total + not_accounted, over the run,
 *     is exactly the sum of rate × bytes (packets, and one flow per first half) of the
 *     records the aggregation did not refuse, computed here in 128 bits;
 *   - a record is refused only when it must be: its rate × bytes or rate × packets
 *     cannot be represented, or everything taken so far plus it passes 2^64 - 1 (no
 *     single step can then overflow);
 *   - a restore of a snapshot into a fresh aggregation is taken whole.
 */
#include <string.h>

#include "flowtally/agg.h"
#include "flowtally/diag.h"
#include "flowtally/step.h"
#include "flowtally/tenant.h"
#include "fuzz.h"

#define T0 1793491200000LL          /* 2026-11-01T00:00:00Z */
#define MAX_COMMANDS 256
#define CLOSE_CAP 16

typedef unsigned __int128 u128;

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n)
			in->p++, in->n--;
	}
	return v;
}

static int64_t take_time(struct in *in)
{
	if (take(in, 1) & 1)
		return (int64_t)take(in, 8);
	return T0 + (int64_t)(int32_t)(uint32_t)take(in, 4);
}

static struct ft_addr addr(const char *s)
{
	struct ft_addr a;
	CHECK(ft_addr_parse(s, &a) == 0);
	return a;
}

static struct ft_prefix prefix(const char *s)
{
	struct ft_prefix p;
	CHECK(ft_prefix_parse(s, &p) == 0);
	return p;
}

/* acme 10.1.0.0/16 always, bravo 10.2.0.0/16 from T0, class psn 192.168.0.0/16, and
 * one accounting point: 192.0.2.1, ifIndex 1 in.  Built once: maps are dear. */
static const struct ft_tenant_map *the_map(void)
{
	static struct ft_tenant_map *m;
	if (m)
		return m;
	struct ft_tenant_conf c;
	CHECK(ft_tenant_conf_init(&c) == 0);
	const char *file = ft_tenant_conf_file(&c, "fuzz.conf");
	int acme = ft_tenant_conf_add_tenant(&c, "acme", (struct ft_where){ file, 1 });
	int bravo = ft_tenant_conf_add_tenant(&c, "bravo", (struct ft_where){ file, 2 });
	int psn = ft_tenant_conf_add_class(&c, "psn");
	CHECK(acme > 0 && bravo > 0 && psn >= 2);
	struct ft_rule r = { .kind = FT_RULE_PREFIX, .tenant = (uint16_t)acme, .prefix = prefix("10.1.0.0/16"),
	                     .from_ms = FT_TIME_MIN, .until_ms = FT_TIME_MAX, .at = { file, 3 } };
	CHECK(ft_tenant_conf_add_rule(&c, &r) == 0);
	r = (struct ft_rule){ .kind = FT_RULE_PREFIX, .tenant = (uint16_t)bravo, .prefix = prefix("10.2.0.0/16"),
	                      .from_ms = T0, .until_ms = FT_TIME_MAX, .at = { file, 4 } };
	CHECK(ft_tenant_conf_add_rule(&c, &r) == 0);
	struct ft_class_rule cr = { .cls = (uint8_t)psn, .prefix = prefix("192.168.0.0/16"),
	                            .from_ms = FT_TIME_MIN, .until_ms = FT_TIME_MAX, .at = { file, 5 } };
	CHECK(ft_tenant_conf_add_class_rule(&c, &cr) == 0);
	struct ft_acct_point pt = { .exporter = addr("192.0.2.1"), .ifindex = 1, .dir = FT_POINT_IN,
	                            .from_ms = FT_TIME_MIN, .until_ms = FT_TIME_MAX, .at = { file, 6 } };
	CHECK(ft_tenant_conf_add_point(&c, &pt) == 0);
	struct ft_diag diag = { 0 };
	m = ft_tenant_map_build(&c, &diag);
	CHECK(m && diag.errors == 0);
	ft_diag_done(&diag);
	ft_tenant_conf_done(&c);
	return m;
}

static const char *const hosts[8] = { "10.1.0.1", "10.1.255.7", "10.2.0.1", "192.168.4.4",
                                      "8.8.8.8", "2001:db8::1", "10.2.9.9", "0.0.0.0" };

struct run {
	struct ft_agg *a;
	int64_t clock;                /* the aggregation's: it never goes back */
	int64_t last_start;           /* of the last step closed by this aggregation */
	bool closed_any;
	u128 want[3], got[3];         /* bytes, packets, flows: taken, and closed */
};

static void vsum(u128 *v, const struct ft_volume *x)
{
	v[0] += x->bytes, v[1] += x->packets, v[2] += x->flows;
}

static void check_steps(struct run *r, struct ft_step *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct ft_step *s = &st[i];
		CHECK(ft_step_check(s) == 0);
		CHECK(s->late.bytes <= s->total.bytes && s->late.packets <= s->total.packets &&
		      s->late.flows <= s->total.flows);
		CHECK(!r->closed_any || s->start_ms > r->last_start);
		r->closed_any = true;
		r->last_start = s->start_ms;
		vsum(r->got, &s->total);
		vsum(r->got, &s->not_accounted);
		ft_step_done(&st[i]);
	}
}

static void advance(struct run *r, int64_t now, bool all)
{
	struct ft_step st[CLOSE_CAP];
	size_t n;
	if (now > r->clock)
		r->clock = now;
	do {
		n = all ? ft_agg_flush(r->a, st, CLOSE_CAP) : ft_agg_advance(r->a, now, st, CLOSE_CAP);
		check_steps(r, st, n);
	} while (n == CLOSE_CAP);
}

static void add(struct run *r, struct in *in)
{
	const struct ft_tenant_map *m = the_map();
	struct ft_flow f = { .version = 10 };
	f.start_ms = take_time(in);
	f.end_ms = take_time(in);
	f.bytes = take(in, 8);
	f.packets = take(in, 8);
	f.sampling_rate = (uint32_t)take(in, 4);
	f.flags = (uint8_t)(take(in, 1) & 0x0f);
	f.src = addr(hosts[take(in, 1) % 8]);
	f.dst = addr(hosts[take(in, 1) % 8]);
	unsigned x = (unsigned)take(in, 1);
	f.exporter = addr(x & 1 ? "192.0.2.1" : "192.0.2.2");
	f.in_if = x >> 1 & 3, f.out_if = x >> 3 & 3;
	struct ft_attr at;
	ft_tenant_attribute(m, &f, &at);
	uint64_t before = ft_agg_refused(r->a);
	ft_agg_add(r->a, &f, &at);
	bool refused = ft_agg_refused(r->a) != before;
	CHECK(ft_agg_refused(r->a) - before <= 1);

	uint64_t rate = f.sampling_rate ? f.sampling_rate : 1, b, p;
	bool unrepresentable = __builtin_mul_overflow(f.bytes, rate, &b) ||
	                       __builtin_mul_overflow(f.packets, rate, &p);
	uint64_t fl = f.flags & FT_FLOW_SECOND_HALF ? 0 : 1;
	if (unrepresentable) {
		CHECK(refused);
		return;
	}
	/* Taken so far (closed or open) plus this record: when it fits 64 bits, no step's
	 * sum can overflow, and the record must have been taken. */
	u128 max = UINT64_MAX;
	bool must_fit = r->want[0] + b <= max && r->want[1] + p <= max && r->want[2] + fl <= max;
	CHECK(!must_fit || !refused);
	if (!refused)
		r->want[0] += b, r->want[1] += p, r->want[2] += fl;
}

static void restart(struct run *r, const struct ft_agg_conf *o)
{
	size_t k = ft_agg_max_open(r->a);
	struct ft_step *s = calloc(k + 1, sizeof(*s));
	CHECK(s);
	size_t n = ft_agg_snapshot(r->a, s, k);
	struct ft_agg *b = ft_agg_new(o, the_map(), r->clock);
	CHECK(b);
	for (size_t i = 0; i < n; i++) {
		CHECK(ft_agg_restore(b, &s[i]) == 0);
		ft_step_done(&s[i]);
	}
	free(s);
	ft_agg_free(r->a);
	r->a = b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t steps[4] = { 1000, 60000, 300000, 3600000 };
	if (size < 1)
		return 0;
	struct in in = { data + 1, size - 1 };
	int64_t step = steps[data[0] & 3];
	/* a day of 1 s steps would make every input allocate 86,402 slots: ten minutes */
	int64_t lateness[4] = { 0, step, 2 * step, step == 1000 ? 600000 : 86400000 };
	struct ft_agg_conf o = { .step_ms = step, .lateness_ms = lateness[data[0] >> 2 & 3] };
	int64_t now = take_time(&in);
	struct run r = { .a = ft_agg_new(&o, the_map(), now), .clock = now };
	CHECK(r.a);
	for (int c = 0; c < MAX_COMMANDS && in.n; c++) {
		switch (take(&in, 1) & 3) {
		case 0:
		case 1:
			add(&r, &in);
			break;
		case 2: {
			if (take(&in, 1) & 1) {
				now = take_time(&in);
			} else {
				int64_t d = (int32_t)(uint32_t)take(&in, 4), t;
				now = __builtin_add_overflow(now, d, &t) ? (d < 0 ? INT64_MIN : INT64_MAX) : t;
			}
			advance(&r, now, false);
			break;
		}
		default:
			restart(&r, &o);
			break;
		}
	}
	advance(&r, now, true);
	for (int i = 0; i < 3; i++)
		CHECK(r.got[i] == r.want[i]);
	ft_agg_free(r.a);
	return 0;
}
