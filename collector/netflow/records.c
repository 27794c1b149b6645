/* Template records into flows.
 *
 * A data record decoded with its template (template.c) is a struct ft_rec of value
 * slots.  ft_data_set() turns each record of a set into one struct ft_flow in the
 * message's batch, or two for a biflow record (RFC 5103 reverse counters, or NSEL
 * initiator/responder), and counts it against the exporter; an options record instead
 * teaches the exporter its sampling rates, interface names and init time (options.c).
 * Flow times become UTC milliseconds from whichever time elements the template has,
 * under the header times of the message the set came in.  A record whose counters or
 * times cannot be right (ft_flow_check) is refused whole, both halves of a biflow, and
 * counted: it never reaches the aggregation.
 */
#include "netflow_int.h"

/* Seconds between 1900-01-01 (NTP era 0) and the Unix epoch. */
#define NTP_UNIX_OFFSET 2208988800ll

static int64_t ntp_to_ms(uint64_t v)
{
	int64_t sec = (int64_t)(v >> 32);
	/* RFC 5905 §6: a set top bit is era 0 (1968-2036), a clear one era 1. */
	if (sec < 0x80000000ll)
		sec += 1ll << 32;
	return (sec - NTP_UNIX_OFFSET) * 1000 + (int64_t)(((v & 0xffffffffu) * 1000) >> 32);
}

/* One end of a flow's time span in UTC ms, or INT64_MIN when the record lacks it;
 * *uptime set when it counts from the v9 header's sysUptime. */
static int64_t flow_time(const struct ft_msg *m, const struct ft_rec *r, bool start, bool *uptime)
{
	enum ft_slot ms = start ? SL_START_MS : SL_END_MS, s = start ? SL_START_S : SL_END_S;
	enum ft_slot us = start ? SL_START_US : SL_END_US, ns = start ? SL_START_NS : SL_END_NS;
	enum ft_slot d = start ? SL_START_DELTA_US : SL_END_DELTA_US;
	enum ft_slot up = start ? SL_FIRST_UPTIME : SL_LAST_UPTIME;
	if (ft_rec_has(r, ms))
		return (int64_t)ft_rec_val(r, ms);
	if (ft_rec_has(r, s))   /* beyond year 292 million: no time at all */
		return ft_rec_val(r, s) > (uint64_t)INT64_MAX / 1000 ? INT64_MIN : (int64_t)ft_rec_val(r, s) * 1000;
	if (ft_rec_has(r, ns))
		return ntp_to_ms(ft_rec_val(r, ns));
	if (ft_rec_has(r, us))
		return ntp_to_ms(ft_rec_val(r, us));
	if (ft_rec_has(r, d))
		return m->export_ms - (int64_t)(ft_rec_val(r, d) / 1000);
	if (!ft_rec_has(r, up))
		return INT64_MIN;
	if (m->version == 9) { /* RFC 3954 §8: FIRST/LAST_SWITCHED are sysUptime ms */
		*uptime = true;
		return m->export_ms - (int32_t)(m->uptime - (uint32_t)ft_rec_val(r, up));
	}
	/* IPFIX flowStart/EndSysUpTime count from systemInitTimeMilliseconds (RFC 7011 IE 160) */
	int64_t init = ft_rec_has(r, SL_INIT_MS) ? (int64_t)ft_rec_val(r, SL_INIT_MS) : m->e->opt.init_ms;
	int64_t t;
	if (!init || ft_rec_val(r, up) > (uint64_t)INT64_MAX || __builtin_add_overflow(init, (int64_t)ft_rec_val(r, up), &t))
		return INT64_MIN;
	return t;
}

/* Sets the flow's times; returns the exporter's boot by the v9 header's sysUptime when
 * its end counts from it, else INT64_MIN. */
static int64_t set_times(const struct ft_msg *m, const struct ft_rec *r, struct ft_flow *f)
{
	bool s_up = false, e_up = false;
	int64_t s = flow_time(m, r, true, &s_up), en = flow_time(m, r, false, &e_up);
	if (s == INT64_MIN && en == INT64_MIN) {
		f->start_ms = f->end_ms = m->export_ms;
		return INT64_MIN;
	}
	f->start_ms = s == INT64_MIN ? en : s;
	f->end_ms = en == INT64_MIN ? s : en;
	f->flags |= FT_FLOW_TIMES_ABSOLUTE;
	return (en == INT64_MIN ? s_up : e_up) ? m->export_ms - m->uptime : INT64_MIN;
}

/* t - d, or INT64_MIN when that is below; t + d, or INT64_MAX (d >= 0). */
static int64_t sub_sat(int64_t t, int64_t d)
{
	int64_t r;
	return __builtin_sub_overflow(t, d, &r) ? INT64_MIN : r;
}

static int64_t add_sat(int64_t t, int64_t d)
{
	int64_t r;
	return __builtin_add_overflow(t, d, &r) ? INT64_MAX : r;
}

/* How long before the boot its header implies a record may end: sysUptime wraps every
 * 49.7 days, and a record that ended just before the wrap and was exported after it
 * looks as if it ended before boot.  Exporters send a record within minutes of its end;
 * what ends longer before boot is nonsense (such times reach 24.8 days back). */
#define BOOT_SLACK_MS (3600 * 1000LL)

enum ft_nf_error ft_flow_check(const struct ft_netflow *nf, const struct ft_flow *f, int64_t recv_ms,
                               int64_t boot_ms)
{
	uint64_t rate = f->sampling_rate ? f->sampling_rate : 1, b, p;
	if (__builtin_mul_overflow(f->bytes, rate, &b) || __builtin_mul_overflow(f->packets, rate, &p) ||
	    b > nf->o.max_flow_bytes || p > nf->o.max_flow_packets)
		return FT_NF_ERR_IMPLAUSIBLE_COUNTER;
	if (nf->o.max_flow_age_ms) {
		int64_t oldest = sub_sat(recv_ms, nf->o.max_flow_age_ms);
		if (f->start_ms < oldest || f->end_ms < oldest || f->end_ms < sub_sat(boot_ms, BOOT_SLACK_MS))
			return FT_NF_ERR_TIME_RANGE;
	}
	if (nf->o.max_clock_skew_ms) {
		int64_t newest = add_sat(recv_ms, nf->o.max_clock_skew_ms);
		if (f->start_ms > newest || f->end_ms > newest)
			return FT_NF_ERR_TIME_RANGE;
	}
	return FT_NF_OK;
}

/* Adds what refused flow f would have accounted to e's refused volume. */
static void refused_volume(struct exporter *e, const struct ft_flow *f)
{
	if (f->flags & FT_FLOW_NOT_ACCOUNTED)
		return;
	e->s.refused_bytes = ft_sat_add(e->s.refused_bytes, f->bytes);
	e->s.refused_packets = ft_sat_add(e->s.refused_packets, f->packets);
}

void ft_flow_refuse(struct exporter *e, const struct ft_flow *f, enum ft_nf_error why)
{
	e->s.errors[why]++;
	refused_volume(e, f);
}

static void set_addr(struct ft_addr *a, const uint8_t *v4, const uint8_t *v6)
{
	if (v4)
		ft_addr_from_v4_bytes(a, v4);
	else if (v6)
		ft_addr_from_v6(a, v6);
}

static void set_fields(const struct ft_rec *r, struct ft_flow *f)
{
	set_addr(&f->src, r->addr[AS_SRC4], r->addr[AS_SRC6]);
	set_addr(&f->dst, r->addr[AS_DST4], r->addr[AS_DST6]);
	set_addr(&f->nexthop, r->addr[AS_NH4], r->addr[AS_NH6]);
	set_addr(&f->bgp_nexthop, r->addr[AS_BGP4], r->addr[AS_BGP6]);
	f->sport = (uint16_t)ft_rec_val(r, SL_SPORT);
	f->dport = (uint16_t)ft_rec_val(r, SL_DPORT);
	f->proto = (uint8_t)ft_rec_val(r, SL_PROTO);
	f->tcp_flags = (uint8_t)ft_rec_val(r, SL_TCP_FLAGS);
	f->tos = ft_rec_has(r, SL_TOS) ? (uint8_t)ft_rec_val(r, SL_TOS) : (uint8_t)(ft_rec_val(r, SL_DSCP) << 2);
	f->src_mask = (uint8_t)(ft_rec_has(r, SL_SRC_MASK) ? ft_rec_val(r, SL_SRC_MASK) : ft_rec_val(r, SL_SRC_MASK6));
	f->dst_mask = (uint8_t)(ft_rec_has(r, SL_DST_MASK) ? ft_rec_val(r, SL_DST_MASK) : ft_rec_val(r, SL_DST_MASK6));
	f->in_if = (uint32_t)ft_rec_val(r, SL_IN_IF);
	f->out_if = (uint32_t)ft_rec_val(r, SL_OUT_IF);
	f->src_as = (uint32_t)ft_rec_val(r, SL_SRC_AS);
	f->dst_as = (uint32_t)ft_rec_val(r, SL_DST_AS);
	f->vlan = (uint16_t)(ft_rec_has(r, SL_VLAN) ? ft_rec_val(r, SL_VLAN) : ft_rec_val(r, SL_DOT1Q_VLAN));
	f->post_vlan = (uint16_t)(ft_rec_has(r, SL_POST_VLAN) ? ft_rec_val(r, SL_POST_VLAN)
	                                                      : ft_rec_val(r, SL_POST_DOT1Q_VLAN));
	f->direction = ft_rec_has(r, SL_DIRECTION) ? (uint8_t)ft_rec_val(r, SL_DIRECTION) : 255;
}

/* Chooses the counter a record's volume comes from (see enum ft_counter). */
static void set_volume(const struct exporter *e, const struct ft_rec *r, struct ft_flow *f)
{
	static const struct { enum ft_slot b, p; enum ft_counter c; } order[] = {
		{ SL_BYTES, SL_PACKETS, FT_COUNTER_DELTA },
		{ SL_INIT_BYTES, SL_INIT_PACKETS, FT_COUNTER_INITIATOR },
		{ SL_POST_BYTES, SL_POST_PACKETS, FT_COUNTER_POST },
		{ SL_TOTAL_BYTES, SL_TOTAL_PACKETS, FT_COUNTER_TOTAL },
	};
	size_t i = 0;
	while (i < 4 && !ft_rec_has(r, order[i].b) && !ft_rec_has(r, order[i].p))
		i++;
	if (i == 4)
		i = 0;
	f->counter = order[i].c;
	f->bytes = ft_rec_val(r, order[i].b);
	f->packets = ft_rec_val(r, order[i].p);
	if (f->counter != FT_COUNTER_POST) {
		f->post_bytes = ft_rec_val(r, SL_POST_BYTES);
		f->post_packets = ft_rec_val(r, SL_POST_PACKETS);
	}
	if (f->counter != FT_COUNTER_TOTAL) {
		f->total_bytes = ft_rec_val(r, SL_TOTAL_BYTES);
		f->total_packets = ft_rec_val(r, SL_TOTAL_PACKETS);
	} else if (!e->count_totals) {
		f->flags |= FT_FLOW_NOT_ACCOUNTED;
	}
}

/* The other direction of a biflow record: RFC 5103 reverse counters, or the responder
 * side of an initiator/responder (NSEL) record.  False when there is none. */
static bool second_half(const struct ft_rec *r, const struct ft_flow *first, struct ft_flow *f)
{
	enum ft_slot b, p;
	if (ft_rec_has(r, SL_REV_BYTES) || ft_rec_has(r, SL_REV_PACKETS)) {
		b = SL_REV_BYTES, p = SL_REV_PACKETS;
		f->counter = FT_COUNTER_REVERSE;
	} else if (first->counter == FT_COUNTER_INITIATOR &&
	           (ft_rec_has(r, SL_RESP_BYTES) || ft_rec_has(r, SL_RESP_PACKETS))) {
		b = SL_RESP_BYTES, p = SL_RESP_PACKETS;
		f->counter = FT_COUNTER_RESPONDER;
	} else {
		return false;
	}
	if (!ft_rec_val(r, b) && !ft_rec_val(r, p))
		return false;
	*f = *first;
	f->counter = b == SL_REV_BYTES ? FT_COUNTER_REVERSE : FT_COUNTER_RESPONDER;
	f->src = first->dst, f->dst = first->src;
	f->sport = first->dport, f->dport = first->sport;
	f->src_mask = first->dst_mask, f->dst_mask = first->src_mask;
	f->src_as = first->dst_as, f->dst_as = first->src_as;
	f->in_if = first->out_if, f->out_if = first->in_if;
	f->bytes = ft_rec_val(r, b);
	f->packets = ft_rec_val(r, p);
	f->post_bytes = f->post_packets = f->total_bytes = f->total_packets = 0;
	f->flags = (uint8_t)((first->flags & ~FT_FLOW_NOT_ACCOUNTED) | FT_FLOW_SECOND_HALF);
	return true;
}

/* Hands on the flows of data record r; false when it was refused (counted). */
static bool emit(const struct ft_msg *m, const struct ft_rec *r)
{
	/* Copied from a zero flow: GCC turns a 192-byte memset into rep stos, which costs
	 * more than the rest of the record. */
	static const struct ft_flow zero;
	struct exporter *e = m->e;
	struct ft_flow *f = ft_batch_push(m->out);
	if (!f)
		return true;
	*f = zero;
	f->exporter = e->s.key.addr;
	f->domain = e->s.key.domain;
	f->version = m->version;
	f->sampling_rate = ft_exporter_rate(e, r);
	if (f->sampling_rate > 1)
		f->flags |= FT_FLOW_SAMPLED;
	set_fields(r, f);
	int64_t boot_ms = set_times(m, r, f);
	set_volume(e, r, f);
	struct ft_flow second;
	bool two = second_half(r, f, &second);
	int64_t recv_ms = m->recv_ns / 1000000;
	enum ft_nf_error why = ft_flow_check(m->nf, f, recv_ms, boot_ms);
	if (!why && two)
		why = ft_flow_check(m->nf, &second, recv_ms, boot_ms);
	if (__builtin_expect(why != FT_NF_OK, 0)) {
		/* f is the batch's last flow: take it back */
		m->out->n--;
		ft_flow_refuse(e, f, why);
		if (two)
			refused_volume(e, &second);   /* one record: one refusal, both halves' volume */
		return false;
	}
	ft_exporter_add_volume(e, f);
	if (two) {
		struct ft_flow *g = ft_batch_push(m->out);
		if (g) {
			*g = second;
			ft_exporter_add_volume(e, g);
		}
	}
	return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

uint32_t ft_data_set(const struct ft_msg *m, const struct ft_template *t, const uint8_t *p,
                     size_t len)
{
	struct exporter *e = m->e;
	struct ft_rec r;
	size_t off = 0;
	uint32_t n = 0;
	while (len - off >= t->min_len) {
		size_t used = ft_tpl_decode(t, p + off, len - off, &r);
		if (!used) {
			e->s.errors[FT_NF_ERR_VARLEN]++;
			return n;
		}
		off += used;
		n++;
		if (t->options) {
			e->s.option_records++;
			ft_exporter_options(m->nf, e, &r, m->recv_ns);
		} else if (emit(m, &r)) {
			e->s.records++;
		}
	}
	/* RFC 7011 §3.3.1 / RFC 3954 §5.3: what is left is padding, shorter than a record. */
	if (!all_zero(p + off, len - off))
		e->s.errors[FT_NF_ERR_PADDING]++;
	return n;
}
