/* NetFlow version 5: the stateless decoder, and datagram input with its exporter
 * accounting.
 *
 * A datagram is a 24-byte header and count (1..30) fixed 48-byte records; its length
 * must be exactly 24 + 48 × count.  Record times are sysUptime milliseconds: a record's
 * absolute time is the header's export time (unix_secs, unix_nsecs) minus how long
 * before the header's sysUptime the record's First/Last were.  The difference is taken
 * modulo 2^32 as a signed value, so uptime wrap (every 49.7 days) and exporters whose
 * Last is a little after their own header's sysUptime both come out right.
 *
 * Header, offsets in bytes: 0 version, 2 count, 4 sysUptime, 8 unix_secs,
 * 12 unix_nsecs, 16 flow_sequence, 20 engine_type, 21 engine_id,
 * 22 sampling (2-bit mode, 14-bit interval).
 * Record: 0 srcaddr, 4 dstaddr, 8 nexthop, 12 input, 14 output, 16 dPkts, 20 dOctets,
 * 24 First, 28 Last, 32 srcport, 34 dstport, 36 pad, 37 tcp_flags, 38 prot, 39 tos,
 * 40 src_as, 42 dst_as, 44 src_mask, 45 dst_mask, 46 pad.
 *
 * ft_nf5_input() counts the datagram against its (address, 5, engine) exporter, whose
 * flow_sequence counts records (seq.c), and stamps each record with the sampling rate
 * in force.  Records are decoded straight into the batch when they fit.  A record whose
 * counters or times cannot be right (ft_flow_check; it ends before the exporter's boot
 * when it ended more than the header's sysUptime before the export, and more than an
 * hour before is refused) is taken out and
 * counted; it is not among the datagram's records handed on.
 */
#include <string.h>

#include "flowtally/nf5.h"
#include "netflow_int.h"
#include "wire.h"

int ft_nf5_parse_header(const uint8_t *buf, size_t len, struct ft_nf5_header *ret)
{
	if (len < 2)
		return -FT_NF_ERR_SHORT_HEADER;
	if (rd16(buf) != 5)
		return -FT_NF_ERR_VERSION;
	if (len < FT_NF5_HEADER_LEN)
		return -FT_NF_ERR_SHORT_HEADER;
	uint16_t sampling = rd16(buf + 22);
	*ret = (struct ft_nf5_header){
		.version = 5,
		.count = rd16(buf + 2),
		.sys_uptime_ms = rd32(buf + 4),
		.unix_secs = rd32(buf + 8),
		.unix_nsecs = rd32(buf + 12),
		.flow_sequence = rd32(buf + 16),
		.engine_type = buf[20],
		.engine_id = buf[21],
		.sampling_mode = (uint8_t)(sampling >> 14),
		.sampling_interval = sampling & 0x3fff,
	};
	return 0;
}

/* proto holds what every record of the datagram shares, and its three addresses are
 * already IPv4-mapped: a record only fills in their last four bytes.  It is copied as
 * a whole from memory written once per datagram, not rebuilt per record. */
static void decode_record(const uint8_t *r, const struct ft_flow *proto,
                          int64_t export_ms, uint32_t uptime, struct ft_flow *f)
{
	memcpy(f, proto, sizeof(*f));
	memcpy(f->src.b + 12, r, 4);
	memcpy(f->dst.b + 12, r + 4, 4);
	memcpy(f->nexthop.b + 12, r + 8, 4);
	f->in_if = rd16(r + 12);
	f->out_if = rd16(r + 14);
	f->packets = rd32(r + 16);
	f->bytes = rd32(r + 20);
	f->start_ms = export_ms - (int32_t)(uptime - rd32(r + 24));
	f->end_ms = export_ms - (int32_t)(uptime - rd32(r + 28));
	f->sport = rd16(r + 32);
	f->dport = rd16(r + 34);
	f->tcp_flags = r[37];
	f->proto = r[38];
	f->tos = r[39];
	f->src_as = rd16(r + 40);
	f->dst_as = rd16(r + 42);
	f->src_mask = r[44];
	f->dst_mask = r[45];
}

int ft_nf5_decode(const uint8_t *buf, size_t len, const struct ft_addr *exporter,
                  struct ft_nf5_header *ret_hdr, struct ft_flow *flows)
{
	struct ft_nf5_header h;
	int r = ft_nf5_parse_header(buf, len, &h);
	if (r < 0)
		return r;
	*ret_hdr = h;
	if (h.count < 1 || h.count > FT_NF5_MAX_RECORDS)
		return -FT_NF_ERR_COUNT;
	if (len != FT_NF5_HEADER_LEN + (size_t)h.count * FT_NF5_RECORD_LEN)
		return -FT_NF_ERR_LENGTH;

	struct ft_flow proto = {
		.exporter = *exporter,
		.domain = (uint32_t)h.engine_type << 8 | h.engine_id,
		.sampling_rate = h.sampling_interval ? h.sampling_interval : 1,
		.sampling_mode = h.sampling_mode,
		.version = 5,
		.direction = 255,       /* v5 has no direction field: not exported */
		.flags = FT_FLOW_TIMES_ABSOLUTE | (h.sampling_interval > 1 ? FT_FLOW_SAMPLED : 0),
	};
	ft_addr_from_v4(&proto.src, 0);
	proto.dst = proto.nexthop = proto.src;
	int64_t export_ms = (int64_t)h.unix_secs * 1000 + h.unix_nsecs / 1000000;
	const uint8_t *rec = buf + FT_NF5_HEADER_LEN;
	for (unsigned i = 0; i < h.count; i++, rec += FT_NF5_RECORD_LEN)
		decode_record(rec, &proto, export_ms, h.sys_uptime_ms, &flows[i]);
	return h.count;
}

/* The rate in force for a datagram: the configuration's override, else the header's
 * interval, else the configuration's default, else 1.  A change is counted. */
static uint32_t sampling_rate(struct exporter *e, const struct ft_nf5_header *h, int64_t now)
{
	uint32_t rate = e->conf_override_rate ? e->conf_override_rate :
	                h->sampling_interval ? h->sampling_interval : e->conf_default_rate ? e->conf_default_rate : 1;
	if (rate != e->s.sampling_rate && e->s.records)
		e->s.sampling_changes++, e->s.sampling_changed_ns = now;
	e->s.sampling_rate = rate;
	e->s.sampling_mode = h->sampling_mode;
	return rate;
}

int ft_nf5_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out)
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
	e->s.accepted++;
	ft_seq_track(e, h.flow_sequence, h.count, ft_uptime_back(e, h.sys_uptime_ms), &e->s.lost_records);
	uint32_t rate = sampling_rate(e, &h, dg->recv_ns);
	int64_t recv_ms = dg->recv_ns / 1000000;
	int64_t boot_ms = (int64_t)h.unix_secs * 1000 + h.unix_nsecs / 1000000 - h.sys_uptime_ms;
	int kept = 0;
	for (int i = 0; i < n; i++) {
		flows[i].sampling_rate = rate;
		enum ft_nf_error why = ft_flow_check(nf, &flows[i], recv_ms, boot_ms);
		if (__builtin_expect(why != FT_NF_OK, 0)) {
			ft_flow_refuse(e, &flows[i], why);
			continue;
		}
		if (kept != i)
			flows[kept] = flows[i];
		ft_exporter_add_volume(e, &flows[kept++]);
	}
	n = kept;
	e->s.records += (uint64_t)n;
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
