/* Fuzz target for NetFlow decoding: ft_netflow_input() with its exporter table and
 * sequence tracking, and ft_nf5_decode() on its own.
 *
 * An input is one byte choosing the exporter cap (1 + byte % MAX_EXPORTERS: small caps
 * are reached quickly, large ones make the table grow first), then a sequence of
 * datagrams, each
 *   1 byte   source: which of NADDR exporter addresses (IPv4 and IPv6) sent it
 *   2 bytes  payload length, big-endian, cut to what is left of the input
 *   n bytes  payload
 * All of them go through one struct ft_netflow.  Each payload is copied to a buffer of
 * its exact size, so a read past its end is caught.  Flows go to a batch of BATCH_CAP
 * with a flush hook (flow_sink.c), which checks and counts every flow handed out.
 *
 * Results are checked against a model written from the wire format and the contracts
 * in netflow.h and nf5.h, not from the decoder.  For NetFlow v5 the model is exact: the
 * drop reason or record count each datagram must get, the exporter it is counted
 * against (or the cap), the header and every record field.  Versions 9 (NetFlow v9) and
 * 10 (IPFIX) go to the template decoders, which the model does not imitate (fuzz_nf9 and
 * fuzz_ipfix exercise them); for those it predicts what the header alone decides: the
 * exporter key, the cap, a short header, an IPFIX length that is not the datagram's,
 * and otherwise a record count >= 0: the data and options records the totals gained,
 * those of kept sets decoded late included (netflow.h).  Their
 * records, bytes and packets must equal what the flows handed out add up to.  Every
 * other version must be dropped as bad_version.  At the end, the exporter table and the
 * totals must agree with the model's counters and the flows.  A disagreement prints the
 * failed check and aborts.
 */
#include <string.h>

#include "flow_sink.h"
#include "flowtally/log.h"
#include "flowtally/netflow.h"
#include "flowtally/nf5.h"
#include "fuzz.h"

#define MAX_EXPORTERS 80         /* the largest cap; large enough for the table to grow */
#define NADDR 6
#define BATCH_CAP (2 * FT_NETFLOW_BATCH_MIN)
#define START_NS 1700000000000000000LL
#define STEP_NS 1000000LL
/* expected_input(): a v9 or IPFIX datagram that is decoded; its count is not modelled. */
#define ANY_RECORDS INT32_MAX

/* What the exporter table must hold for one key. */
struct model_exporter {
	struct ft_exporter_key key;
	uint64_t datagrams;
	uint64_t good;             /* datagrams that were decoded (not dropped) */
	uint64_t records;
	uint64_t bytes;
	uint64_t packets;
	uint64_t errors[FT_NF_ERR__MAX];
	uint32_t sampling_rate;
	int64_t first_seen_ns;
	int64_t last_seen_ns;
};

struct model {
	struct model_exporter exp[MAX_EXPORTERS];
	size_t n;
	size_t cap;
	uint64_t overflow;         /* datagrams dropped at the cap */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void source_addr(uint8_t sel, struct ft_addr *ret)
{
	unsigned i = sel % NADDR;
	if (i < 4) {
		ft_addr_from_v4(ret, 0xc0000201u + i);          /* 192.0.2.1 .. 192.0.2.4 */
	} else {
		uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = (uint8_t)i };
		ft_addr_from_v6(ret, v6);                       /* 2001:db8::4, ::5 */
	}
}

/* What ft_nf5_decode() must return: the checks in nf5.h's order. */
static int expected_nf5(const uint8_t *p, size_t len)
{
	if (len < 2)
		return -FT_NF_ERR_SHORT_HEADER;
	if (get16(p) != 5)
		return -FT_NF_ERR_VERSION;
	if (len < FT_NF5_HEADER_LEN)
		return -FT_NF_ERR_SHORT_HEADER;
	unsigned count = get16(p + 2);
	if (count < 1 || count > FT_NF5_MAX_RECORDS)
		return -FT_NF_ERR_COUNT;
	if (len != FT_NF5_HEADER_LEN + (size_t)count * FT_NF5_RECORD_LEN)
		return -FT_NF_ERR_LENGTH;
	return (int)count;
}

/* What ft_netflow_input() must return when the exporter has room: v5 exactly; for v9
 * (20-byte header) and IPFIX (16 bytes, whose length field must be the datagram's, RFC
 * 7011 §10.3.3) a drop the header decides, else ANY_RECORDS. */
static int expected_input(const uint8_t *p, size_t len)
{
	if (len < 2)
		return -FT_NF_ERR_SHORT_HEADER;
	switch (get16(p)) {
	case 5:
		return expected_nf5(p, len);
	case 9:
		return len < 20 ? -FT_NF_ERR_SHORT_HEADER : ANY_RECORDS;
	case 10:
		if (len < 16)
			return -FT_NF_ERR_SHORT_HEADER;
		return get16(p + 2) != len ? -FT_NF_ERR_LENGTH : ANY_RECORDS;
	default:
		return -FT_NF_ERR_VERSION;
	}
}

static uint32_t v5_domain(const uint8_t *p)
{
	return (uint32_t)p[20] << 8 | p[21];
}

static bool template_version(uint8_t version)
{
	return version == 9 || version == 10;
}

/* The exporter a datagram is counted against: (address, version, domain) once its
 * header was read: v5 engine_type << 8 | engine_id, v9 source ID, IPFIX observation
 * domain; else (address, 0, 0). */
static struct ft_exporter_key expected_key(const struct ft_datagram *dg, int expect)
{
	struct ft_exporter_key k = { .addr = dg->src };
	if (expect == -FT_NF_ERR_SHORT_HEADER || expect == -FT_NF_ERR_VERSION)
		return k;
	k.version = (uint8_t)get16(dg->data);
	k.domain = k.version == 5 ? v5_domain(dg->data) : get32(dg->data + (k.version == 9 ? 16 : 12));
	return k;
}

static bool key_equal(const struct ft_exporter_key *a, const struct ft_exporter_key *b)
{
	return exporter_key_equal(a, b);
}

/* The entry for k, created on first sight; NULL when the table is full. */
static struct model_exporter *model_lookup(struct model *m, const struct ft_exporter_key *k,
                                           int64_t now)
{
	for (size_t i = 0; i < m->n; i++)
		if (key_equal(&m->exp[i].key, k))
			return &m->exp[i];
	if (m->n == m->cap)
		return NULL;
	/* Rate 1 until the exporter says otherwise (no per-exporter configuration here). */
	m->exp[m->n] = (struct model_exporter){ .key = *k, .first_seen_ns = now, .sampling_rate = 1 };
	return &m->exp[m->n++];
}

static void check_header(const uint8_t *p, int r, const struct ft_nf5_header *h,
                         const struct ft_nf5_header *before)
{
	if (r == -FT_NF_ERR_SHORT_HEADER || r == -FT_NF_ERR_VERSION) {
		CHECK(memcmp(h, before, sizeof(*h)) == 0);
		return;
	}
	uint16_t sampling = get16(p + 22);
	CHECK(h->version == 5 && h->count == get16(p + 2));
	CHECK(h->sys_uptime_ms == get32(p + 4) && h->unix_secs == get32(p + 8));
	CHECK(h->unix_nsecs == get32(p + 12) && h->flow_sequence == get32(p + 16));
	CHECK(h->engine_type == p[20] && h->engine_id == p[21]);
	CHECK(h->sampling_mode == sampling >> 14 && h->sampling_interval == (sampling & 0x3fff));
}

static bool is_v4(const struct ft_addr *a, const uint8_t *v4)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	return memcmp(a->b, mapped, 12) == 0 && memcmp(a->b + 12, v4, 4) == 0;
}

/* A record time is the export time minus (sysUptime - First) taken modulo 2^32 as a
 * signed 32-bit value. */
static bool time_ok(int64_t t, int64_t export_ms, uint32_t uptime, uint32_t at)
{
	int64_t d = export_ms - t;
	return d >= INT32_MIN && d <= INT32_MAX && (uint32_t)d == uptime - at;
}

/* Each record against its 48 bytes (Cisco's v5 record layout, see nf5.c). */
static void check_flows(const uint8_t *p, int n, const struct ft_addr *src, const struct ft_flow *flows)
{
	uint32_t uptime = get32(p + 4);
	int64_t export_ms = (int64_t)get32(p + 8) * 1000 + get32(p + 12) / 1000000;
	unsigned interval = get16(p + 22) & 0x3fff;
	uint8_t flags = FT_FLOW_TIMES_ABSOLUTE | (interval > 1 ? FT_FLOW_SAMPLED : 0);

	for (int i = 0; i < n; i++) {
		const uint8_t *r = p + FT_NF5_HEADER_LEN + (size_t)i * FT_NF5_RECORD_LEN;
		const struct ft_flow *f = &flows[i];
		CHECK(ft_addr_equal(&f->exporter, src) && f->domain == v5_domain(p));
		CHECK(f->version == 5 && f->flags == flags && f->sampling_mode == p[22] >> 6);
		CHECK(f->sampling_rate == (interval ? interval : 1));
		CHECK(is_v4(&f->src, r) && is_v4(&f->dst, r + 4) && is_v4(&f->nexthop, r + 8));
		CHECK(f->in_if == get16(r + 12) && f->out_if == get16(r + 14));
		CHECK(f->packets == get32(r + 16) && f->bytes == get32(r + 20));
		CHECK(time_ok(f->start_ms, export_ms, uptime, get32(r + 24)));
		CHECK(time_ok(f->end_ms, export_ms, uptime, get32(r + 28)));
		CHECK(f->sport == get16(r + 32) && f->dport == get16(r + 34));
		CHECK(f->tcp_flags == r[37] && f->proto == r[38] && f->tos == r[39]);
		CHECK(f->src_as == get16(r + 40) && f->dst_as == get16(r + 42));
		CHECK(f->src_mask == r[44] && f->dst_mask == r[45]);
	}
}

static void decode_alone(const struct ft_datagram *dg, int expect)
{
	struct ft_nf5_header h, before;
	struct ft_flow flows[FT_NF5_MAX_RECORDS];
	memset(&h, 0xa5, sizeof(h));
	memcpy(&before, &h, sizeof(h));

	int r = ft_nf5_decode(dg->data, dg->len, &dg->src, &h, flows);
	CHECK(r == expect);
	check_header(dg->data, r, &h, &before);
	if (r > 0)
		check_flows(dg->data, r, &dg->src, flows);
}

static void model_count(struct model_exporter *e, const struct ft_datagram *dg, int r)
{
	e->datagrams++;
	e->last_seen_ns = dg->recv_ns;
	if (r < 0) {
		CHECK(strcmp(ft_nf_error_name((enum ft_nf_error)-r), "unknown") != 0);
		e->errors[-r]++;
		return;
	}
	e->good++;
	if (template_version(e->key.version))
		return;
	unsigned interval = get16(dg->data + 22) & 0x3fff;
	e->records += (unsigned)r;
	e->sampling_rate = interval ? interval : 1;
	for (int i = 0; i < r; i++) {
		const uint8_t *rec = dg->data + FT_NF5_HEADER_LEN + (size_t)i * FT_NF5_RECORD_LEN;
		e->packets += get32(rec + 16);
		e->bytes += get32(rec + 20);
	}
}

static void input(struct ft_netflow *nf, struct model *m, struct flow_sink *sink,
                  const struct ft_datagram *dg)
{
	decode_alone(dg, expected_nf5(dg->data, dg->len));

	int expect = expected_input(dg->data, dg->len);
	struct ft_exporter_key k = expected_key(dg, expect);
	struct model_exporter *e = model_lookup(m, &k, dg->recv_ns);
	struct ft_flow_batch *out = &sink->batch;
	/* A v5 datagram then goes straight into the batch, without a flush. */
	if (out->cap - out->n < FT_NETFLOW_BATCH_MIN)
		sink_drain(sink);
	size_t before = out->n;
	uint64_t flushes = sink->flushes;
	struct ft_exporter_stats t0, t1;
	ft_netflow_totals(nf, &t0);
	int r = ft_netflow_input(nf, dg, out);
	ft_netflow_totals(nf, &t1);
	CHECK(t1.datagrams == t0.datagrams + 1 && t1.records >= t0.records);
	if (!e) {
		CHECK(r == -FT_NF_ERR_EXPORTER_LIMIT && out->n == before && sink->flushes == flushes);
		CHECK(t1.records == t0.records);
		m->overflow++;
		return;
	}
	if (expect == ANY_RECORDS) {
		CHECK(r >= 0);
		CHECK(t1.records + t1.option_records - t0.records - t0.option_records == (uint64_t)r);
	} else {
		CHECK(r == expect);
		CHECK(out->n == before + (r > 0 ? (size_t)r : 0) && sink->flushes == flushes);
		CHECK(t1.records == t0.records + (r > 0 ? (unsigned)r : 0));
		if (r > 0)
			check_flows(dg->data, r, &dg->src, out->flows + before);
	}
	model_count(e, dg, r);
}

/* Errors a datagram's header decides, which the model counts for every version. */
static const enum ft_nf_error header_errors[] = {
	FT_NF_ERR_SHORT_HEADER, FT_NF_ERR_VERSION, FT_NF_ERR_COUNT, FT_NF_ERR_LENGTH,
	FT_NF_ERR_EXPORTER_LIMIT,
};

static void check_exporter(const struct ft_exporter_stats *s, const struct model_exporter *e,
                           const struct flow_sink *sink)
{
	struct sink_tally t = sink_tally_of(sink, &e->key);
	CHECK(s->datagrams == e->datagrams);
	CHECK(s->records == t.records && s->bytes == t.bytes && s->packets == t.packets);
	CHECK(s->first_seen_ns == e->first_seen_ns && s->last_seen_ns == e->last_seen_ns);
	/* A decoded datagram is at most one of reordered or a restart. */
	CHECK(s->reordered + s->seq_resets <= e->good);
	if (template_version(e->key.version)) {
		/* Errors of single sets and templates are the template decoders' business. */
		for (size_t i = 0; i < sizeof(header_errors) / sizeof(header_errors[0]); i++)
			CHECK(s->errors[header_errors[i]] == e->errors[header_errors[i]]);
		return;
	}
	CHECK(s->records == e->records && s->bytes == e->bytes && s->packets == e->packets);
	CHECK(memcmp(s->errors, e->errors, sizeof(s->errors)) == 0);
	CHECK(s->sampling_rate == e->sampling_rate);
}

/* The totals are the model's, with the exporter table's own counts for v9/IPFIX
 * exporters, and their records are the first halves of all flows handed out. */
static void check_totals(const struct ft_netflow *nf, const struct model *m,
                         const struct ft_exporter_stats *s, size_t n, const struct flow_sink *sink)
{
	struct ft_exporter_stats t, want = { .datagrams = m->overflow };
	want.errors[FT_NF_ERR_EXPORTER_LIMIT] = m->overflow;
	for (size_t i = 0; i < m->n; i++) {
		const struct model_exporter *e = &m->exp[i];
		if (template_version(e->key.version))
			continue;
		want.datagrams += e->datagrams;
		want.records += e->records;
		want.bytes += e->bytes;
		want.packets += e->packets;
		for (int j = 0; j < FT_NF_ERR__MAX; j++)
			want.errors[j] += e->errors[j];
	}
	for (size_t i = 0; i < n; i++) {
		if (!template_version(s[i].key.version))
			continue;
		want.datagrams += s[i].datagrams;
		want.records += s[i].records;
		want.bytes += s[i].bytes;
		want.packets += s[i].packets;
		for (int j = 0; j < FT_NF_ERR__MAX; j++)
			want.errors[j] += s[i].errors[j];
	}
	ft_netflow_totals(nf, &t);
	CHECK(t.datagrams == want.datagrams && t.records == want.records);
	CHECK(t.bytes == want.bytes && t.packets == want.packets);
	CHECK(memcmp(t.errors, want.errors, sizeof(t.errors)) == 0);
	CHECK(t.records == sink->records);
}

static void check_table(const struct ft_netflow *nf, const struct model *m, const struct flow_sink *sink)
{
	struct ft_exporter_stats s[MAX_EXPORTERS + 1];
	bool seen[MAX_EXPORTERS] = { false };
	size_t n = ft_netflow_exporters(nf, s, MAX_EXPORTERS + 1);
	CHECK(n == m->n);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < m->n && !key_equal(&s[i].key, &m->exp[j].key))
			j++;
		CHECK(j < m->n && !seen[j]);
		seen[j] = true;
		check_exporter(&s[i], &m->exp[j], sink);
	}
	check_totals(nf, m, s, n, sink);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	ft_log_level = 0;   /* v9/IPFIX template changes and sampling rates are logged */
	struct model m = { .cap = 1 + data[0] % MAX_EXPORTERS };
	const struct ft_netflow_conf opts = { .max_exporters = (uint32_t)m.cap };
	struct ft_netflow *nf = ft_netflow_new(&opts);
	struct flow_sink sink;
	CHECK(nf);
	sink_init(&sink, BATCH_CAP, NULL, 0);
	data++;
	size--;

	for (int64_t now = START_NS; size >= 3; now += STEP_NS) {
		struct ft_datagram dg = { .recv_ns = now };
		size_t len = (size_t)get16(data + 1);
		source_addr(data[0], &dg.src);
		data += 3;
		size -= 3;
		dg.len = len < size ? len : size;
		uint8_t *payload = malloc(dg.len ? dg.len : 1);
		CHECK(payload);
		memcpy(payload, data, dg.len);
		dg.data = payload;
		input(nf, &m, &sink, &dg);
		free(payload);
		data += dg.len;
		size -= dg.len;
	}
	sink_drain(&sink);
	CHECK(sink.batch.overflow == 0);
	check_table(nf, &m, &sink);
	ft_netflow_drop_pending(nf);
	sink_done(&sink);
	ft_netflow_free(nf);
	return 0;
}
