/* IPFIX (RFC 7011).
 *
 * Message header (16 bytes): 0 version 10, 2 length, 4 export time (s), 8 sequence,
 * 12 observation domain ID.  Over UDP one message fills one datagram (§10.3.3), so
 * the length must equal the datagram's.  Sets: ID 2 templates, 3 options templates,
 * >= 256 data, the rest reserved (§3.3.2).  Field specifiers are 4 bytes, or 8 when
 * the enterprise bit is set (§3.2).  A template record with field count 0 withdraws
 * its template, ID 2 or 3 all of their kind (§8.1); over UDP, which is all flowtally
 * receives, §8.4 has collectors ignore withdrawals (a lost or reordered one would
 * leave the two sides disagreeing), so they are counted and ignored unless the
 * configuration applies them (ipfix_withdrawals).  The sequence number counts data
 * records (§3.1), so gaps are lost records; it is tracked only across messages whose
 * data sets could all be decoded, since a set kept for its template has an unknown
 * number of records.
 */
#include "netflow_int.h"
#include "wire.h"

#define IPFIX_HEADER_LEN 16

/* Reads cnt (> 0) field specifiers at p into nf->scratch; returns the bytes they took,
 * or 0 when they run past len. */
static size_t read_fields(struct ft_netflow *nf, const uint8_t *p, size_t len, uint16_t cnt)
{
	size_t o = 0;
	for (uint16_t i = 0; i < cnt; i++) {
		if (len - o < 4)
			return 0;
		uint16_t id = rd16(p + o), flen = rd16(p + o + 2);
		uint32_t pen = 0;
		o += 4;
		if (id & 0x8000) {
			if (len - o < 4)
				return 0;
			pen = rd32(p + o);
			o += 4;
		}
		nf->scratch[i] = (struct ft_tpl_field){ id & 0x7fff, flen, pen };
	}
	return o;
}

static void define(struct ft_msg *m, uint16_t tid, uint16_t cnt, uint16_t scope, bool options)
{
	struct exporter *e = m->e;
	if (tid < 256) {
		e->s.errors[FT_NF_ERR_TEMPLATE_ID]++;
		return;
	}
	int r = ft_exporter_define(m->nf, e, tid, m->nf->scratch, cnt, scope, options, m->recv_ns);
	if (r < 0)
		e->s.errors[-r]++;
	else
		ft_template_arrived(m, tid);
}

/* Template Set (§3.4.1) and Options Template Set (§3.4.2). */
static void template_set(struct ft_msg *m, const uint8_t *p, size_t len, bool options)
{
	struct ft_netflow *nf = m->nf;
	struct exporter *e = m->e;
	size_t hdr = options ? 6 : 4, o = 0;
	while (len - o >= 4) {
		uint16_t tid = rd16(p + o), cnt = rd16(p + o + 2);
		if (cnt == 0) {
			if (nf->o.ipfix_withdrawals) {
				ft_exporter_withdraw(nf, e, tid);
				e->s.withdrawals++;
			} else {
				e->s.withdrawals_ignored++;
			}
			o += 4;       /* a withdrawal has no scope count (§8.1) */
			continue;
		}
		if (len - o < hdr)
			return;       /* padding */
		uint16_t scope = options ? rd16(p + o + 4) : 0;
		o += hdr;
		size_t used = read_fields(nf, p + o, len - o, cnt);
		if (!used) {
			e->s.errors[FT_NF_ERR_TEMPLATE_OVERFLOW]++;
			return;
		}
		o += used;
		if (options && (scope == 0 || scope > cnt)) {
			e->s.errors[FT_NF_ERR_SCOPE]++;
			continue;
		}
		define(m, tid, cnt, scope, options);
	}
}

/* Template (ID 2) and Options Template (ID 3) sets. */
static bool template_sets(struct ft_msg *m, uint16_t id, const uint8_t *p, size_t len)
{
	if (id != 2 && id != 3)
		return false;
	template_set(m, p, len, id == 3);
	return true;
}

int ft_ipfix_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out)
{
	const uint8_t *p = dg->data;
	size_t len = dg->len;
	if (len < IPFIX_HEADER_LEN)
		return -FT_NF_ERR_SHORT_HEADER;
	struct exporter *e = ft_exporter_for(nf, dg, 10, rd32(p + 12));
	if (!e)
		return -FT_NF_ERR_EXPORTER_LIMIT;
	if (rd16(p + 2) != len) {
		e->s.errors[FT_NF_ERR_LENGTH]++;
		return -FT_NF_ERR_LENGTH;
	}
	e->s.accepted++;
	struct ft_msg m = { .nf = nf, .e = e, .version = 10,
	                    .export_ms = (int64_t)rd32(p + 4) * 1000, .recv_ns = dg->recv_ns,
	                    .out = out };
	uint64_t refused = ft_refused_records(e);
	ft_walk_sets(&m, p, len, IPFIX_HEADER_LEN, template_sets);
	/* RFC 7011 §3.1: the sequence counts every data record sent, refused ones too */
	ft_seq_track(e, rd32(p + 8), m.records, false, &e->s.lost_records);
	if (m.pending)
		e->seq_valid = false;
	return (int)(m.records + m.late_records - (ft_refused_records(e) - refused));
}
