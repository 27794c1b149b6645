/* Datagram dispatch, NetFlow v5 accounting, and turning template records into flows.
 *
 * ft_netflow_input() reads the version and hands the datagram to the v5 code here or
 * to nf9.c / ipfix.c.  Every datagram is counted against exactly one exporter entry
 * (exporter.c): the one its header names, or (address, version 0) when the header is
 * unreadable.
 *
 * v5 sequence numbers count records: a forward jump adds the gap to lost_records; a
 * small backward jump is a reordered datagram, which gives back what its early
 * successor had counted as lost; a jump with sysUptime back by more than a minute is an
 * exporter restart, which resets tracking.  v9 counts datagrams and IPFIX data records
 * the same way (nf9.c, ipfix.c use ft_seq_track()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/nf5.h"
#include "netflow_int.h"
#include "wire.h"

/* How far behind the expected sequence a datagram may arrive and still count as
 * reordered rather than as an exporter restart. */
#define REORDER_WINDOW 65536u
/* sysUptime going back by more than this (ms) means the exporter restarted. */
#define RESTART_UPTIME_MS 60000u
/* Seconds between 1900-01-01 (NTP era 0) and the Unix epoch. */
#define NTP_UNIX_OFFSET 2208988800ll

static const char *const error_names[FT_NF_ERR__MAX] = {
	[FT_NF_OK] = "ok",
	[FT_NF_ERR_SHORT_HEADER] = "short_header",
	[FT_NF_ERR_VERSION] = "bad_version",
	[FT_NF_ERR_COUNT] = "bad_count",
	[FT_NF_ERR_LENGTH] = "bad_length",
	[FT_NF_ERR_EXPORTER_LIMIT] = "exporter_limit",
	[FT_NF_ERR_SET_LENGTH] = "bad_set_length",
	[FT_NF_ERR_SET_ID] = "bad_set_id",
	[FT_NF_ERR_TEMPLATE_EMPTY] = "template_no_fields",
	[FT_NF_ERR_TEMPLATE_OVERFLOW] = "template_overflow",
	[FT_NF_ERR_TEMPLATE_ID] = "bad_template_id",
	[FT_NF_ERR_FIELD_LENGTH] = "bad_field_length",
	[FT_NF_ERR_SCOPE] = "bad_scope",
	[FT_NF_ERR_TEMPLATE_TOO_LONG] = "template_too_long",
	[FT_NF_ERR_TEMPLATE_LIMIT] = "template_limit",
	[FT_NF_ERR_VARLEN] = "varlen_overrun",
	[FT_NF_ERR_PADDING] = "bad_padding",
	[FT_NF_ERR_NO_TEMPLATE] = "no_template",
	[FT_NF_ERR_NOMEM] = "out_of_memory",
};

const char *ft_nf_error_name(enum ft_nf_error e)
{
	if ((unsigned)e >= FT_NF_ERR__MAX)
		return "unknown";
	return error_names[e];
}

static int copy_conf(struct ft_netflow *nf, const struct ft_netflow_conf *o)
{
	if (!o || !o->n_exporters)
		return 0;
	nf->conf = malloc(o->n_exporters * sizeof(*nf->conf));
	if (!nf->conf)
		return -ENOMEM;
	memcpy(nf->conf, o->exporters, o->n_exporters * sizeof(*nf->conf));
	nf->n_conf = o->n_exporters;
	return 0;
}

struct ft_netflow *ft_netflow_new(const struct ft_netflow_conf *opts)
{
	struct ft_netflow *nf = calloc(1, sizeof(*nf));
	if (!nf)
		return NULL;
	if (opts)
		nf->o = *opts;
	nf->o.exporters = NULL;
	if (!nf->o.max_exporters)
		nf->o.max_exporters = FT_NETFLOW_DEFAULT_MAX_EXPORTERS;
	if (!nf->o.max_templates)
		nf->o.max_templates = FT_NETFLOW_DEFAULT_MAX_TEMPLATES;
	if (!nf->o.max_pending_sets)
		nf->o.max_pending_sets = FT_NETFLOW_DEFAULT_PENDING_SETS;
	if (!nf->o.max_pending_bytes)
		nf->o.max_pending_bytes = FT_NETFLOW_DEFAULT_PENDING_BYTES;
	nf->size = 64;
	nf->tab = calloc(nf->size, sizeof(*nf->tab));
	nf->scratch = malloc(FT_SCRATCH_FIELDS * sizeof(*nf->scratch));
	if (!nf->tab || !nf->scratch || copy_conf(nf, opts) < 0)
		return ft_netflow_free(nf);
	return nf;
}

struct ft_netflow *ft_netflow_free(struct ft_netflow *nf)
{
	if (!nf)
		return NULL;
	for (size_t i = 0; nf->tab && i < nf->size; i++)
		if (nf->tab[i].used)
			ft_exporter_release(&nf->tab[i]);
	free(nf->tab);
	free(nf->conf);
	free(nf->scratch);
	free(nf);
	return NULL;
}

bool ft_netflow_dirty(const struct ft_netflow *nf)
{
	return nf->templates_changed;
}

struct ft_flow *ft_batch_push(struct ft_flow_batch *b)
{
	if (b->n == b->cap && b->flush)
		b->flush(b, b->ctx);
	if (b->n >= b->cap) {
		b->overflow++;
		return NULL;
	}
	return &b->flows[b->n++];
}

/* ---- sequence numbers ---------------------------------------------------------- */

/* Tracks a sequence that advances by `count` per datagram; *lost grows by gaps.
 * uptime_back: the exporter's clock went back far enough to mean a restart. */
void ft_seq_track(struct exporter *e, uint32_t seq, uint32_t count, bool uptime_back, uint64_t *lost)
{
	if (e->seq_valid && seq != e->next_seq) {
		uint32_t ahead = seq - e->next_seq;
		uint32_t behind = e->next_seq - seq;
		if (ahead < 0x80000000u && !uptime_back) {
			*lost += ahead;
		} else if (behind <= REORDER_WINDOW && !uptime_back) {
			/* A late datagram: its records were counted lost when its successor came. */
			e->s.reordered++;
			*lost -= *lost < count ? *lost : count;
			return;
		} else {
			e->s.seq_resets++;
		}
	}
	e->seq_valid = true;
	e->next_seq = seq + count;
}

/* True when sysUptime went back by more than any datagram stays in flight. */
bool ft_uptime_back(struct exporter *e, uint32_t uptime)
{
	bool back = e->seq_valid && uptime < e->last_uptime && e->last_uptime - uptime > RESTART_UPTIME_MS;
	if (!e->seq_valid || uptime >= e->last_uptime || back)
		e->last_uptime = uptime;
	return back;
}

/* ---- NetFlow v5 ---------------------------------------------------------------- */

static void count_volume(struct exporter *e, const struct ft_flow *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].flags & FT_FLOW_NOT_ACCOUNTED)
			continue;
		e->s.bytes += f[i].bytes;
		e->s.packets += f[i].packets;
	}
}

static int input_v5(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out)
{
	struct ft_nf5_header h;
	struct ft_flow local[FT_NF5_MAX_RECORDS];
	if (out->cap - out->n < FT_NF5_MAX_RECORDS && out->flush)
		out->flush(out, out->ctx);
	bool direct = out->cap - out->n >= FT_NF5_MAX_RECORDS;
	struct ft_flow *flows = direct ? out->flows + out->n : local;
	int n = ft_nf5_decode(dg->data, dg->len, &dg->src, &h, flows);
	if (n == -FT_NF_ERR_SHORT_HEADER)
		return n;
	struct exporter *e = ft_exporter_for(nf, dg, 5, (uint32_t)h.engine_type << 8 | h.engine_id);
	if (!e)
		return -FT_NF_ERR_EXPORTER_LIMIT;
	if (n < 0) {
		e->s.errors[-n]++;
		return n;
	}
	ft_seq_track(e, h.flow_sequence, h.count, ft_uptime_back(e, h.sys_uptime_ms), &e->s.lost_records);
	uint32_t rate = e->conf_override_rate ? e->conf_override_rate :
	                h.sampling_interval ? h.sampling_interval : e->conf_default_rate ? e->conf_default_rate : 1;
	if (rate != e->s.sampling_rate && e->s.records)
		e->s.sampling_changes++, e->s.sampling_changed_ns = dg->recv_ns;
	e->s.sampling_rate = rate;
	e->s.sampling_mode = h.sampling_mode;
	for (int i = 0; i < n; i++)
		flows[i].sampling_rate = rate;
	e->s.records += (uint64_t)n;
	count_volume(e, flows, (size_t)n);
	if (direct) {
		out->n += (size_t)n;
	} else {
		for (int i = 0; i < n; i++) {
			struct ft_flow *f = ft_batch_push(out);
			if (f)
				*f = local[i];
		}
	}
	return n;
}

/* ---- template records into flows ----------------------------------------------- */

static int64_t ntp_to_ms(uint64_t v)
{
	int64_t sec = (int64_t)(v >> 32);
	/* RFC 5905 §6: a set top bit is era 0 (1968-2036), a clear one era 1. */
	if (sec < 0x80000000ll)
		sec += 1ll << 32;
	return (sec - NTP_UNIX_OFFSET) * 1000 + (int64_t)(((v & 0xffffffffu) * 1000) >> 32);
}

/* One end of a flow's time span in UTC ms, or INT64_MIN when the record lacks it. */
static int64_t flow_time(const struct ft_msg *m, const struct ft_rec *r, bool start)
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
	if (m->version == 9)   /* RFC 3954 §8: FIRST/LAST_SWITCHED are sysUptime ms */
		return m->export_ms - (int32_t)(m->uptime - (uint32_t)ft_rec_val(r, up));
	/* IPFIX flowStart/EndSysUpTime count from systemInitTimeMilliseconds (RFC 7011 IE 160) */
	int64_t init = ft_rec_has(r, SL_INIT_MS) ? (int64_t)ft_rec_val(r, SL_INIT_MS) : m->e->opt.init_ms;
	int64_t t;
	if (!init || ft_rec_val(r, up) > (uint64_t)INT64_MAX || __builtin_add_overflow(init, (int64_t)ft_rec_val(r, up), &t))
		return INT64_MIN;
	return t;
}

static void set_times(const struct ft_msg *m, const struct ft_rec *r, struct ft_flow *f)
{
	int64_t s = flow_time(m, r, true), en = flow_time(m, r, false);
	if (s == INT64_MIN && en == INT64_MIN) {
		f->start_ms = f->end_ms = m->export_ms;
		return;
	}
	f->start_ms = s == INT64_MIN ? en : s;
	f->end_ms = en == INT64_MIN ? s : en;
	f->flags |= FT_FLOW_TIMES_ABSOLUTE;
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

static void emit(const struct ft_msg *m, const struct ft_rec *r)
{
	/* Copied from a zero flow: GCC turns a 192-byte memset into rep stos, which costs
	 * more than the rest of the record. */
	static const struct ft_flow zero;
	struct exporter *e = m->e;
	struct ft_flow *f = ft_batch_push(m->out);
	if (!f)
		return;
	*f = zero;
	f->exporter = e->s.key.addr;
	f->domain = e->s.key.domain;
	f->version = m->version;
	f->sampling_rate = ft_exporter_rate(e, r);
	if (f->sampling_rate > 1)
		f->flags |= FT_FLOW_SAMPLED;
	set_fields(r, f);
	set_times(m, r, f);
	set_volume(e, r, f);
	count_volume(e, f, 1);
	struct ft_flow second;
	if (second_half(r, f, &second)) {
		struct ft_flow *g = ft_batch_push(m->out);
		if (g) {
			*g = second;
			count_volume(e, g, 1);
		}
	}
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
		} else {
			e->s.records++;
			emit(m, &r);
		}
	}
	/* RFC 7011 §3.3.1 / RFC 3954 §5.3: what is left is padding, shorter than a record. */
	if (!all_zero(p + off, len - off))
		e->s.errors[FT_NF_ERR_PADDING]++;
	return n;
}

static bool expired(const struct ft_netflow *nf, const struct ft_template *t, int64_t now)
{
	return nf->o.template_lifetime &&
	       now - t->refreshed_ns > (int64_t)nf->o.template_lifetime * 1000000000ll;
}

/* A data set with ID tid: decoded with its template when known and live, else kept
 * for later. */
static void data_set(struct ft_msg *m, uint16_t tid, const uint8_t *p, size_t len)
{
	struct ft_template *t = ft_tpl_find(&m->e->tpls, tid);
	if (t && !expired(m->nf, t, m->recv_ns)) {
		m->records += ft_data_set(m, t, p, len);
		return;
	}
	m->pending = true;
	ft_pending_add(m, tid, p, len);
}

void ft_walk_sets(struct ft_msg *m, const uint8_t *p, size_t len, size_t off,
                  ft_template_set_fn tpl)
{
	struct exporter *e = m->e;
	while (len - off >= 4) {
		uint16_t id = rd16(p + off), slen = rd16(p + off + 2);
		if (slen < 4 || slen > len - off) {
			e->s.errors[FT_NF_ERR_SET_LENGTH]++;
			return;
		}
		const uint8_t *body = p + off + 4;
		if (id >= 256)
			data_set(m, id, body, slen - 4u);
		else if (!tpl(m, id, body, slen - 4u))
			e->s.errors[FT_NF_ERR_SET_ID]++;
		off += slen;
	}
}

void ft_template_arrived(struct ft_msg *m, uint16_t tid)
{
	struct exporter *e = m->e;
	e->s.templates++;
	if (!e->pend.n)
		return;
	struct ft_template *t = ft_tpl_find(&e->tpls, tid);
	if (t)
		ft_pending_replay(m, t);
}

struct exporter *ft_exporter_for(struct ft_netflow *nf, const struct ft_datagram *dg,
                                 uint8_t version, uint32_t domain)
{
	struct ft_exporter_key k = { .addr = dg->src, .version = version, .domain = domain };
	struct exporter *e = ft_exporter_get(nf, &k, dg->recv_ns);
	if (!e) {
		nf->overflow.datagrams++;
		nf->overflow.errors[FT_NF_ERR_EXPORTER_LIMIT]++;
		return NULL;
	}
	e->s.datagrams++;
	e->s.last_seen_ns = dg->recv_ns;
	return e;
}

/* ---- dispatch and statistics ---------------------------------------------------- */

/* A datagram whose header could not be read is counted against (address, version 0). */
static int drop_unreadable(struct ft_netflow *nf, const struct ft_datagram *dg, int err)
{
	struct ft_exporter_key k = { .addr = dg->src };
	struct exporter *e = ft_exporter_get(nf, &k, dg->recv_ns);
	if (!e) {
		nf->overflow.datagrams++;
		nf->overflow.errors[FT_NF_ERR_EXPORTER_LIMIT]++;
		return -FT_NF_ERR_EXPORTER_LIMIT;
	}
	e->s.datagrams++;
	e->s.last_seen_ns = dg->recv_ns;
	e->s.errors[-err]++;
	return err;
}

int ft_netflow_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out)
{
	int r;

	if (dg->len < 2)
		return drop_unreadable(nf, dg, -FT_NF_ERR_SHORT_HEADER);
	switch (rd16(dg->data)) {
	case 5:
		r = input_v5(nf, dg, out);
		break;
	case 9:
		r = ft_nf9_input(nf, dg, out);
		break;
	case 10:
		r = ft_ipfix_input(nf, dg, out);
		break;
	default:
		r = -FT_NF_ERR_VERSION;
		break;
	}
	if (r == -FT_NF_ERR_SHORT_HEADER || r == -FT_NF_ERR_VERSION)
		return drop_unreadable(nf, dg, r);
	return r;
}

size_t ft_netflow_exporters(const struct ft_netflow *nf, struct ft_exporter_stats *ret, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < nf->size; i++) {
		if (!nf->tab[i].used)
			continue;
		if (n < cap)
			ret[n] = nf->tab[i].s;
		n++;
	}
	return n;
}

void ft_exporter_stats_add(struct ft_exporter_stats *dst, const struct ft_exporter_stats *src)
{
	dst->datagrams += src->datagrams;
	dst->records += src->records;
	dst->bytes += src->bytes;
	dst->packets += src->packets;
	dst->lost_records += src->lost_records;
	dst->lost_datagrams += src->lost_datagrams;
	dst->seq_resets += src->seq_resets;
	dst->reordered += src->reordered;
	dst->option_records += src->option_records;
	dst->templates += src->templates;
	dst->templates_active += src->templates_active;
	dst->template_changes += src->template_changes;
	dst->pending_sets += src->pending_sets;
	dst->pending_decoded += src->pending_decoded;
	dst->sampling_changes += src->sampling_changes;
	for (int i = 0; i < FT_NF_ERR__MAX; i++)
		dst->errors[i] += src->errors[i];
	if (src->first_seen_ns && (!dst->first_seen_ns || src->first_seen_ns < dst->first_seen_ns))
		dst->first_seen_ns = src->first_seen_ns;
	if (src->sampling_changed_ns > dst->sampling_changed_ns)
		dst->sampling_changed_ns = src->sampling_changed_ns;
	if (src->last_seen_ns > dst->last_seen_ns) {
		dst->last_seen_ns = src->last_seen_ns;
		dst->sampling_rate = src->sampling_rate;
		dst->sampling_mode = src->sampling_mode;
	}
}

void ft_netflow_totals(const struct ft_netflow *nf, struct ft_exporter_stats *ret)
{
	struct ft_exporter_stats t = { 0 };
	for (size_t i = 0; i < nf->size; i++)
		if (nf->tab[i].used)
			ft_exporter_stats_add(&t, &nf->tab[i].s);
	ft_exporter_stats_add(&t, &nf->overflow);
	memset(&t.key, 0, sizeof(t.key));
	*ret = t;
}
