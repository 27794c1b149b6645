/* NetFlow version 5 decoder.
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
 */
#include <string.h>

#include "flowtally/nf5.h"
#include "flowtally/netflow.h"
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
