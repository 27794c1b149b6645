/* Interface counters by the book (include/flowtally/snmp.h): what a poll's reading of
 * an interface says, whether the change of each counter between two readings can be
 * believed (RFC 2863 section 3.1.5 and 3.1.6: counters wrap, agents restart,
 * discontinuities are announced by ifCounterDiscontinuityTime), and the spreading of
 * the deltas that can over the collector's steps.
 *
 * ft_snmp_classify decides interface-wide first (a gap, a new ifIndex, an agent
 * restart, a discontinuity spoil every counter), then counter by counter: a counter
 * missing, a change of width (32 to 64 bits), then the increase against what the
 * interface could carry at its speed plus a tolerance.  A 32-bit counter that could
 * have wrapped more than once is ambiguous; one that went down wrapped only when the
 * speed is known and the wrapped delta is possible; a 64-bit counter that went down
 * was reset, and no delta is ever made up for it.
 *
 * ft_snmp_acc keeps up to FT_SNMP_ACC_STEPS open steps as a window steps[0..n) from
 * first_ms.  Each interval [from, to) is split over the steps it overlaps in proportion
 * to the milliseconds of overlap, exactly: each step's floor, then the units left over
 * one each to the largest remainders, ties to the earlier step.  Only the first and the
 * last step of an interval can be covered in part, so the steps between share one
 * remainder and a step's rank among the remainders is found without sorting, whatever
 * the interval's length.  Once the window has held a step, first_ms stays at the oldest
 * step not yet closed (n may then be 0), so an interval reaching back into closed steps
 * never opens them again.
 *
 * Pure logic: no net-snmp, no I/O.
 */
#include <stdio.h>
#include <string.h>

#include "flowtally/snmp.h"

typedef unsigned __int128 u128;
#define U128_MAX (~(u128)0)

/* 84 octets: the smallest Ethernet frame (64) with its preamble (8) and gap (12), so the
 * most packets an interface can carry in a second is its speed / (84 × 8). */
#define FRAME_BITS (84u * 8u)

static const char *const verdict_names[FT_SNMP__VERDICTS] = {
	[FT_SNMP_NORMAL] = "normal",
	[FT_SNMP_WRAP] = "wrap",
	[FT_SNMP_RESTART] = "restart",
	[FT_SNMP_DISCONTINUITY] = "discontinuity",
	[FT_SNMP_IMPOSSIBLE] = "impossible",
	[FT_SNMP_AMBIGUOUS] = "ambiguous",
	[FT_SNMP_REINDEX] = "reindex",
	[FT_SNMP_GAP] = "gap",
	[FT_SNMP_ABSENT] = "absent",
	[FT_SNMP_NO_ANSWER] = "no_answer",
};

const char *ft_snmp_verdict_name(unsigned v)
{
	return v < FT_SNMP__VERDICTS ? verdict_names[v] : "?";
}

/* ---- a reading ------------------------------------------------------------------------ */

/* ifHighSpeed when the interface has it and it is not 0 (below 1 Mb/s it reads 0, and
 * ifSpeed tops out at 4294967295 above 4.29 Gb/s: RFC 2863 section 3.1.15). */
static uint64_t speed_of(const struct ft_snmp_if *i)
{
	if ((i->have & FT_SNMP_HAVE_HIGHSPEED) && i->high_speed > 0)
		return (uint64_t)i->high_speed * 1000000u;
	if (i->have & FT_SNMP_HAVE_SPEED)
		return i->speed;
	return 0;
}

void ft_snmp_reading_of(const struct ft_snmp_poll *p, const struct ft_snmp_if *i,
                        struct ft_snmp_reading *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->time_ms = i->time_ms;
	ret->have_uptime = p->have_uptime;
	ret->uptime = p->sys_uptime;
	ret->uptime_ms = p->uptime_ms;
	ret->have_disc = (i->have & FT_SNMP_HAVE_DISC) != 0;
	ret->disc_time = i->disc_time;
	ret->ifindex = i->ifindex;
	ret->speed_bps = speed_of(i);
	uint32_t hc_octets = FT_SNMP_HAVE_HC(0) | FT_SNMP_HAVE_HC(1);
	ret->hc = (i->have & hc_octets) == hc_octets;
	for (unsigned k = 0; k < 4; k++) {
		bool have = ret->hc ? (i->have & FT_SNMP_HAVE_HC(k)) : (i->have & FT_SNMP_HAVE_C32(k));
		if (have) {
			ret->have |= 1u << k;
			ret->c[k] = ret->hc ? i->hc[k] : i->c32[k];
		}
	}
	for (unsigned k = 4; k < FT_SNMP_N_COUNTERS; k++)
		if (i->have & FT_SNMP_HAVE_C32(k)) {
			ret->have |= 1u << k;
			ret->c[k] = i->c32[k];
		}
}

const char *ft_snmp_if_key(const struct ft_snmp_if *i, enum ft_snmp_key key, char *buf, size_t size)
{
	if (size == 0)
		return "";
	buf[0] = '\0';
	switch (key) {
	case FT_SNMP_BY_IFNAME:
		if (i->have & FT_SNMP_HAVE_NAME)
			snprintf(buf, size, "%s", i->name);
		break;
	case FT_SNMP_BY_IFINDEX:
		snprintf(buf, size, "%u", (unsigned)i->ifindex);
		break;
	case FT_SNMP_BY_IFDESCR:
		if (i->have & FT_SNMP_HAVE_DESCR)
			snprintf(buf, size, "%s", i->descr);
		break;
	}
	return buf;
}

/* ---- classification ------------------------------------------------------------------- */

/* speed × dt_ms × (100 + tolerance): 100 000 times the bits the interface can carry in
 * dt with the tolerance, saturated (then nothing is over it, and every 32-bit counter
 * could have wrapped).  Comparing against it whole keeps the bound free of rounding. */
static u128 capacity(uint64_t speed_bps, int64_t dt_ms, uint32_t tolerance_pct)
{
	u128 x = (u128)speed_bps * (uint64_t)dt_ms;
	uint64_t f = 100u + (uint64_t)tolerance_pct;
	if (x != 0 && f > U128_MAX / x)
		return U128_MAX;
	return x * f;
}

/* Whether `units` octets (or packets) in dt are more than the interface could carry:
 * units × bits × 1000 > speed × dt × (100 + tolerance) / 100. */
static bool over(uint64_t units, unsigned bits, u128 cap)
{
	return (u128)units * bits * 100000u > cap;
}

/* Whether the interface could have carried 2^32 units in dt, so a 32-bit counter may
 * have wrapped more than once: speed × dt × (100 + tolerance) / 100 / bits / 1000 >= 2^32. */
static bool could_wrap_twice(unsigned bits, u128 cap)
{
	return cap >= ((u128)1 << 32) * bits * 100000u;
}

/* sysUpTime against the wall clock.  TimeTicks wrap at 2^32 (497 days), so the ticks
 * are taken modulo 2^32: a wrap that matches the wall clock is no restart, while a
 * sysUpTime that went back comes out as about 2^32 ticks and is one. */
static bool restarted(const struct ft_snmp_reading *prev, const struct ft_snmp_reading *cur,
                      const struct ft_snmp_limits *lim)
{
	if (!prev->have_uptime || !cur->have_uptime)
		return false;
	int64_t ticks_ms = (int64_t)(uint32_t)(cur->uptime - prev->uptime) * 10;
	int64_t wall_ms = cur->uptime_ms - prev->uptime_ms;
	int64_t off = ticks_ms - wall_ms;
	if (off < 0)
		off = -off;
	int64_t slack = lim->uptime_slack_ms + (wall_ms > 0 ? wall_ms / 100 : 0);
	return off > slack;
}

/* The verdict for the whole interface, or FT_SNMP_NORMAL when it is for each counter. */
static unsigned interface_verdict(const struct ft_snmp_reading *prev, const struct ft_snmp_reading *cur,
                                  const struct ft_snmp_limits *lim, int64_t dt)
{
	if (dt > lim->max_gap_ms)
		return FT_SNMP_GAP;
	if (prev->ifindex != cur->ifindex)
		return FT_SNMP_REINDEX;
	if (restarted(prev, cur, lim))
		return FT_SNMP_RESTART;
	if (prev->have_disc && cur->have_disc && prev->disc_time != cur->disc_time)
		return FT_SNMP_DISCONTINUITY;
	return FT_SNMP_NORMAL;
}

/* One counter of width 32 or 64 bits; *d only for NORMAL and WRAP. */
static unsigned counter_verdict(uint64_t a, uint64_t b, bool wide, unsigned bits, uint64_t speed_bps,
                                u128 cap, uint64_t *d)
{
	if (!wide) {
		a = (uint32_t)a;
		b = (uint32_t)b;
		if (speed_bps > 0 && could_wrap_twice(bits, cap))
			return FT_SNMP_AMBIGUOUS;
	}
	uint64_t x;
	if (b >= a)
		x = b - a;
	else if (wide || speed_bps == 0)
		return FT_SNMP_IMPOSSIBLE;      /* a reset; or a wrap nothing shows possible */
	else
		x = b + ((uint64_t)1 << 32) - a;
	if (speed_bps > 0 && over(x, bits, cap))
		return FT_SNMP_IMPOSSIBLE;
	*d = x;
	return b >= a ? FT_SNMP_NORMAL : FT_SNMP_WRAP;
}

void ft_snmp_classify(const struct ft_snmp_reading *prev, const struct ft_snmp_reading *cur,
                      const struct ft_snmp_limits *lim, struct ft_snmp_delta *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->from_ms = prev->time_ms;
	ret->to_ms = cur->time_ms;
	int64_t dt;
	unsigned all;
	if (__builtin_sub_overflow(cur->time_ms, prev->time_ms, &dt) || dt <= 0)
		all = FT_SNMP_IMPOSSIBLE;       /* the clock went back: no rate can be had */
	else
		all = interface_verdict(prev, cur, lim, dt);
	if (all != FT_SNMP_NORMAL) {
		memset(ret->verdict, all, sizeof(ret->verdict));
		return;
	}
	/* The speed is the later reading's, the one the interval ends in; a Counter32 is
	 * taken modulo 2^32 whatever the reading holds. */
	u128 cap = capacity(cur->speed_bps, dt, lim->speed_tolerance_pct);
	for (unsigned i = 0; i < FT_SNMP_N_COUNTERS; i++) {
		if (!(prev->have & cur->have & (1u << i))) {
			ret->verdict[i] = FT_SNMP_ABSENT;
			continue;
		}
		bool wide = false;
		if (i < 4) {
			if (prev->hc != cur->hc) {
				ret->verdict[i] = FT_SNMP_DISCONTINUITY;
				continue;
			}
			wide = cur->hc;
		}
		unsigned bits = i < 2 ? 8u : FRAME_BITS;
		ret->verdict[i] = (uint8_t)counter_verdict(prev->c[i], cur->c[i], wide, bits, cur->speed_bps,
		                                           cap, &ret->d[i]);
	}
}

/* ---- the accumulator ------------------------------------------------------------------- */

void ft_snmp_acc_init(struct ft_snmp_acc *a, int64_t step_ms)
{
	memset(a, 0, sizeof(*a));
	a->step_ms = step_ms;
	a->first_ms = INT64_MIN;
}

static int64_t floor_div(int64_t x, int64_t y)
{
	int64_t q = x / y;
	return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}

/* An interval over m steps (positions 0 .. m-1): the first and the last covered in
 * part, those between whole, so there are three remainders at most. */
struct split {
	uint64_t d;
	int64_t dt;
	int64_t m;
	int64_t ov[3];          /* overlap of the first, a middle and the last step */
	uint64_t q[3];          /* floor(d × ov / dt) */
	uint64_t r[3];          /* its remainder (< dt) */
	int64_t count[3];       /* how many steps of each kind */
	uint64_t left;          /* units left over by the floors */
};

static int kind_of(const struct split *s, int64_t j)
{
	return j == 0 ? 0 : j == s->m - 1 ? 2 : 1;
}

static void split_init(struct split *s, uint64_t d, int64_t from, int64_t to, int64_t k0, int64_t m,
                       int64_t step)
{
	memset(s, 0, sizeof(*s));
	s->d = d;
	s->dt = to - from;
	s->m = m;
	if (m == 1) {
		s->ov[0] = s->dt;
		s->count[0] = 1;
	} else {
		s->ov[0] = (k0 + 1) * step - from;
		s->ov[1] = step;
		s->ov[2] = to - (k0 + m - 1) * step;
		s->count[0] = 1;
		s->count[1] = m - 2;
		s->count[2] = 1;
	}
	u128 given = 0;
	for (int g = 0; g < 3; g++) {
		u128 x = (u128)d * (uint64_t)s->ov[g];
		s->q[g] = (uint64_t)(x / (uint64_t)s->dt);
		s->r[g] = (uint64_t)(x % (uint64_t)s->dt);
		given += (u128)s->q[g] * (uint64_t)s->count[g];
	}
	s->left = d - (uint64_t)given;
}

/* Step j's share: its floor, plus one when it ranks among the `left` largest remainders
 * (ties to the earlier step; the kinds lie in position order, first, middles, last). */
static uint64_t split_share(const struct split *s, int64_t j)
{
	int g = kind_of(s, j);
	uint64_t rank = g == 1 ? (uint64_t)(j - 1) : 0;
	for (int h = 0; h < 3; h++)
		if (h != g && (s->r[h] > s->r[g] || (s->r[h] == s->r[g] && h < g)))
			rank += (uint64_t)s->count[h];
	return s->q[g] + (rank < s->left);
}

static void clear_steps(struct ft_snmp_acc *a, size_t from, size_t to)
{
	memset(&a->steps[from], 0, (to - from) * sizeof(a->steps[0]));
}

/* Drops the open steps before step start `first` (an interval ends too far ahead for
 * them to stay open), or moves first_ms up to it when none is open. */
static void slide_to(struct ft_snmp_acc *a, int64_t first)
{
	int64_t drop = (first - a->first_ms) / a->step_ms;
	if ((uint64_t)drop >= a->n) {
		a->n = 0;
	} else {
		memmove(&a->steps[0], &a->steps[drop], (a->n - (size_t)drop) * sizeof(a->steps[0]));
		a->n -= (size_t)drop;
	}
	a->first_ms = first;
}

int ft_snmp_acc_add(struct ft_snmp_acc *a, const struct ft_snmp_delta *d)
{
	int64_t from = d->from_ms, to = d->to_ms, step = a->step_ms;
	if (to <= from)
		return 0;
	int64_t k0 = floor_div(from, step), k1 = floor_div(to - 1, step);
	int64_t m = k1 - k0 + 1;
	int64_t lo = k1 - (FT_SNMP_ACC_STEPS - 1) > k0 ? k1 - (FT_SNMP_ACC_STEPS - 1) : k0;
	if (a->first_ms == INT64_MIN || (a->n == 0 && lo * step > a->first_ms))
		a->first_ms = lo * step;
	int64_t first_k = a->first_ms / step;
	if (k1 < first_k)
		return 0;                       /* all of it in steps already closed */
	if (k1 - first_k >= FT_SNMP_ACC_STEPS)
		slide_to(a, (k1 - (FT_SNMP_ACC_STEPS - 1)) * step);
	first_k = a->first_ms / step;
	if (lo < first_k)
		lo = first_k;
	size_t end = (size_t)(k1 - first_k + 1);
	if (end > a->n) {
		clear_steps(a, a->n, end);
		a->n = end;
	}
	struct split sp[FT_SNMP_N_COUNTERS];
	for (unsigned i = 0; i < FT_SNMP_N_COUNTERS; i++)
		if (ft_snmp_verdict_ok(d->verdict[i]))
			split_init(&sp[i], d->d[i], from, to, k0, m, step);
	for (int64_t k = lo; k <= k1; k++) {
		struct ft_snmp_acc_step *st = &a->steps[k - first_k];
		int64_t j = k - k0;
		int64_t s0 = k * step, e0 = s0 + step;
		st->covered_ms += (to < e0 ? to : e0) - (from > s0 ? from : s0);
		for (unsigned i = 0; i < FT_SNMP_N_COUNTERS; i++) {
			if (ft_snmp_verdict_ok(d->verdict[i]))
				st->v[i] += split_share(&sp[i], j);
			else if (st->verdict[i] == FT_SNMP_NORMAL)
				st->verdict[i] = d->verdict[i];
		}
	}
	return 0;
}

static void close_one(const struct ft_snmp_acc *a, size_t j, struct ft_if_step *ret)
{
	const struct ft_snmp_acc_step *st = &a->steps[j];
	memset(ret, 0, sizeof(*ret));
	ret->start_ms = a->first_ms + (int64_t)j * a->step_ms;
	bool whole = st->covered_ms == a->step_ms;
	for (unsigned i = 0; i < FT_SNMP_N_COUNTERS; i++) {
		ret->v[i] = st->v[i];
		ret->verdict[i] = st->verdict[i];
		if (st->verdict[i] != FT_SNMP_NORMAL)
			continue;
		if (whole)
			ret->known |= (uint8_t)(1u << i);
		else
			ret->verdict[i] = FT_SNMP_NO_ANSWER;
	}
}

size_t ft_snmp_acc_close(struct ft_snmp_acc *a, int64_t before_ms, struct ft_if_step *ret, size_t cap)
{
	size_t k = 0;
	while (k < a->n && k < cap && a->first_ms + ((int64_t)k + 1) * a->step_ms <= before_ms) {
		close_one(a, k, &ret[k]);
		k++;
	}
	if (k > 0)
		slide_to(a, a->first_ms + (int64_t)k * a->step_ms);
	return k;
}
