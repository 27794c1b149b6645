/* Checks of every flow a decoder hands out, whatever the input (see flow_sink.h).
 *
 * What any flow must satisfy, from flow.h and netflow.h:
 *   - version is 5, 9 or 10; counter is one of enum ft_counter; flags has no unknown bit;
 *   - sampling_rate is at least 1; for v9/IPFIX, FT_FLOW_SAMPLED is set exactly when it
 *     is above 1, and an exporter configured with sampling_override gets that rate;
 *   - a flow without FT_FLOW_TIMES_ABSOLUTE has the export time (whole seconds) as both
 *     start and end;
 *   - FT_FLOW_NOT_ACCOUNTED only on total counters (IE 85/86), and there exactly when
 *     the exporter is not configured with count_totals; a flow whose volume comes from
 *     post or total counters does not repeat them in post_* or total_*;
 *   - FT_FLOW_SECOND_HALF exactly on the reverse and responder counters, and only right
 *     after the first half of the same data record: same exporter, domain and version,
 *     the two ends swapped, the same times and rate, some volume of its own, and its
 *     own post and total counters zero.  A responder half follows an initiator half.
 */
#include <string.h>

#include "flow_sink.h"
#include "fuzz.h"

bool exporter_key_equal(const struct ft_exporter_key *a, const struct ft_exporter_key *b)
{
	return ft_addr_equal(&a->addr, &b->addr) && a->version == b->version &&
	       a->domain == b->domain;
}

static void sink_flush(struct ft_flow_batch *b, void *ctx)
{
	struct flow_sink *s = ctx;
	CHECK(b == &s->batch && b->n <= b->cap);
	s->flushes++;
	sink_drain(s);
}

void sink_init(struct flow_sink *s, size_t cap, const struct ft_exporter_conf *conf, size_t n_conf)
{
	memset(s, 0, sizeof(*s));
	s->batch.flows = calloc(cap, sizeof(struct ft_flow));
	CHECK(s->batch.flows);
	s->batch.cap = cap;
	s->batch.flush = sink_flush;
	s->batch.ctx = s;
	s->conf = conf;
	s->n_conf = n_conf;
}

void sink_done(struct flow_sink *s)
{
	free(s->batch.flows);
	s->batch.flows = NULL;
}

static const struct ft_exporter_conf *conf_for(const struct flow_sink *s, const struct ft_addr *a)
{
	for (size_t i = 0; i < s->n_conf; i++)
		if (ft_prefix_contains(&s->conf[i].match, a))
			return &s->conf[i];
	return NULL;
}

static struct sink_tally *tally(struct flow_sink *s, const struct ft_flow *f)
{
	struct ft_exporter_key k = { .addr = f->exporter, .version = f->version, .domain = f->domain };
	for (size_t i = 0; i < s->n; i++)
		if (exporter_key_equal(&s->t[i].key, &k))
			return &s->t[i];
	CHECK(s->n < SINK_MAX_KEYS);
	s->t[s->n] = (struct sink_tally){ .key = k };
	return &s->t[s->n++];
}

struct sink_tally sink_tally_of(const struct flow_sink *s, const struct ft_exporter_key *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (exporter_key_equal(&s->t[i].key, k))
			return s->t[i];
	return (struct sink_tally){ .key = *k };
}

static void check_second_half(const struct flow_sink *s, const struct ft_flow *f)
{
	const struct ft_flow *p = &s->prev;
	CHECK(s->have_prev && !(p->flags & FT_FLOW_SECOND_HALF));
	CHECK(ft_addr_equal(&f->exporter, &p->exporter) && f->domain == p->domain);
	CHECK(f->version == p->version && f->version != 5);
	CHECK(f->counter == FT_COUNTER_REVERSE || p->counter == FT_COUNTER_INITIATOR);
	CHECK(ft_addr_equal(&f->src, &p->dst) && ft_addr_equal(&f->dst, &p->src));
	CHECK(f->sport == p->dport && f->dport == p->sport);
	CHECK(f->src_mask == p->dst_mask && f->dst_mask == p->src_mask);
	CHECK(f->src_as == p->dst_as && f->dst_as == p->src_as);
	CHECK(f->in_if == p->out_if && f->out_if == p->in_if);
	CHECK(ft_addr_equal(&f->nexthop, &p->nexthop) && ft_addr_equal(&f->bgp_nexthop, &p->bgp_nexthop));
	CHECK(f->start_ms == p->start_ms && f->end_ms == p->end_ms);
	CHECK(f->sampling_rate == p->sampling_rate && f->sampling_mode == p->sampling_mode);
	CHECK(f->proto == p->proto && f->tos == p->tos && f->tcp_flags == p->tcp_flags);
	CHECK(f->vlan == p->vlan && f->direction == p->direction);
	CHECK(f->flags == ((p->flags & ~FT_FLOW_NOT_ACCOUNTED) | FT_FLOW_SECOND_HALF));
	CHECK(f->bytes || f->packets);
	CHECK(!f->post_bytes && !f->post_packets && !f->total_bytes && !f->total_packets);
}

static void check_flow(struct flow_sink *s, const struct ft_flow *f)
{
	bool second = f->flags & FT_FLOW_SECOND_HALF;
	CHECK(f->version == 5 || f->version == 9 || f->version == 10);
	CHECK(f->counter <= FT_COUNTER_TOTAL);
	CHECK(!(f->flags & ~(FT_FLOW_SAMPLED | FT_FLOW_TIMES_ABSOLUTE | FT_FLOW_SECOND_HALF |
	                     FT_FLOW_NOT_ACCOUNTED)));
	CHECK(f->sampling_rate >= 1);
	CHECK(second == (f->counter == FT_COUNTER_REVERSE || f->counter == FT_COUNTER_RESPONDER));
	if (f->version == 5)
		return;   /* fuzz_netflow.c checks v5 flows field by field */

	const struct ft_exporter_conf *c = conf_for(s, &f->exporter);
	CHECK(((f->flags & FT_FLOW_SAMPLED) != 0) == (f->sampling_rate > 1));
	if (c && c->sampling_override)
		CHECK(f->sampling_rate == c->sampling_override);
	if (!(f->flags & FT_FLOW_TIMES_ABSOLUTE))
		CHECK(f->start_ms == f->end_ms && f->start_ms % 1000 == 0);
	if (second) {
		check_second_half(s, f);
		return;
	}
	CHECK(((f->flags & FT_FLOW_NOT_ACCOUNTED) != 0) ==
	      (f->counter == FT_COUNTER_TOTAL && !(c && c->count_totals)));
	if (f->counter == FT_COUNTER_POST)
		CHECK(!f->post_bytes && !f->post_packets);
	if (f->counter == FT_COUNTER_TOTAL)
		CHECK(!f->total_bytes && !f->total_packets);
}

void sink_drain(struct flow_sink *s)
{
	CHECK(s->batch.n <= s->batch.cap);
	for (size_t i = 0; i < s->batch.n; i++) {
		const struct ft_flow *f = &s->batch.flows[i];
		check_flow(s, f);
		struct sink_tally *t = tally(s, f);
		bool second = f->flags & FT_FLOW_SECOND_HALF;
		t->flows++;
		t->records += !second;
		s->records += !second;
		s->flows++;
		if (!(f->flags & FT_FLOW_NOT_ACCOUNTED)) {
			t->bytes += f->bytes;
			t->packets += f->packets;
		}
		s->prev = *f;
		s->have_prev = true;
	}
	s->batch.n = 0;
}
