/* NetFlow version 9 (RFC 3954).
 *
 * Header (20 bytes): 0 version, 2 count, 4 sysUptime, 8 unix_secs, 12 package
 * sequence, 16 source ID.  Then FlowSets, each 2 ID + 2 length (header included):
 * ID 0 templates, 1 options templates, >= 256 data, 2..255 reserved (§5.2).
 * Templates are scoped by (exporter address, source ID) — never by UDP port — and
 * the package sequence counts datagrams (§5.1), so gaps are lost datagrams.
 */
#include "netflow_int.h"
#include "wire.h"

#define NF9_HEADER_LEN 20

/* Template FlowSet (§5.2): template ID, field count, then (type, length) pairs. */
static void template_set(struct ft_msg *m, const uint8_t *p, size_t len)
{
	struct ft_netflow *nf = m->nf;
	struct exporter *e = m->e;
	size_t o = 0;
	while (len - o >= 4) {
		uint16_t tid = rd16(p + o), cnt = rd16(p + o + 2);
		o += 4;
		if ((size_t)cnt * 4 > len - o) {
			e->s.errors[FT_NF_ERR_TEMPLATE_OVERFLOW]++;
			return;
		}
		for (uint16_t i = 0; i < cnt; i++)
			nf->scratch[i] = (struct ft_tpl_field){ rd16(p + o + 4 * i), rd16(p + o + 4 * i + 2), 0 };
		o += (size_t)cnt * 4;
		m->tpl_records++;
		if (tid < 256) {
			e->s.errors[FT_NF_ERR_TEMPLATE_ID]++;
			continue;
		}
		int r = ft_exporter_define(nf, e, tid, nf->scratch, cnt, 0, false, m->recv_ns);
		if (r < 0)
			e->s.errors[-r]++;
		else
			ft_template_arrived(m, tid);
	}
}

/* Options Template FlowSet (§6.1): template ID, scope length, option length (bytes),
 * scope (type, length) pairs, option (type, length) pairs; scope types are renumbered
 * into FT_V9_SCOPE_BASE + type. */
static void options_set(struct ft_msg *m, const uint8_t *p, size_t len)
{
	struct ft_netflow *nf = m->nf;
	struct exporter *e = m->e;
	size_t o = 0;
	while (len - o >= 6) {
		uint16_t tid = rd16(p + o), slen = rd16(p + o + 2), olen = rd16(p + o + 4);
		o += 6;
		m->tpl_records++;
		if ((size_t)slen + olen > len - o) {
			e->s.errors[FT_NF_ERR_TEMPLATE_OVERFLOW]++;
			return;
		}
		if (slen % 4 || olen % 4 || slen == 0) {
			e->s.errors[slen == 0 || slen % 4 ? FT_NF_ERR_SCOPE : FT_NF_ERR_FIELD_LENGTH]++;
			o += (size_t)slen + olen;
			continue;
		}
		uint16_t ns = slen / 4, n = (uint16_t)(ns + olen / 4);
		for (uint16_t i = 0; i < n; i++) {
			const uint8_t *f = p + o + 4 * i;
			uint16_t type = rd16(f);
			nf->scratch[i] = (struct ft_tpl_field){
				i < ns ? (uint16_t)(type <= 0xff ? FT_V9_SCOPE_BASE + type : 0xfeff) : type,
				rd16(f + 2), 0 };
		}
		o += (size_t)slen + olen;
		if (tid < 256) {
			e->s.errors[FT_NF_ERR_TEMPLATE_ID]++;
			continue;
		}
		int r = ft_exporter_define(nf, e, tid, nf->scratch, n, ns, true, m->recv_ns);
		if (r < 0)
			e->s.errors[-r]++;
		else
			ft_template_arrived(m, tid);
	}
}

/* Template (ID 0) and options template (ID 1) sets. */
static bool template_sets(struct ft_msg *m, uint16_t id, const uint8_t *p, size_t len)
{
	if (id == 0)
		template_set(m, p, len);
	else if (id == 1)
		options_set(m, p, len);
	else
		return false;
	return true;
}

int ft_nf9_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out)
{
	const uint8_t *p = dg->data;
	size_t len = dg->len;
	if (len < NF9_HEADER_LEN)
		return -FT_NF_ERR_SHORT_HEADER;
	struct exporter *e = ft_exporter_for(nf, dg, 9, rd32(p + 16));
	if (!e)
		return -FT_NF_ERR_EXPORTER_LIMIT;
	e->s.accepted++;
	struct ft_msg m = { .nf = nf, .e = e, .version = 9, .uptime = rd32(p + 4),
	                    .export_ms = (int64_t)rd32(p + 8) * 1000, .recv_ns = dg->recv_ns,
	                    .out = out };
	ft_seq_track(e, rd32(p + 12), 1, ft_uptime_back(e, m.uptime), &e->s.lost_datagrams);
	uint64_t refused = ft_refused_records(e);
	ft_walk_sets(&m, p, len, NF9_HEADER_LEN, template_sets);
	/* RFC 3954 §5.1: count is the datagram's template, options template and data
	 * records.  The sets are read by their lengths, which is right; a header that
	 * disagrees is counted (not knowable while a data set waits for its template). */
	if (!m.pending && rd16(p + 2) != m.tpl_records + m.records)
		e->s.header_count_mismatch++;
	/* refused records were decoded (and count above) but are not handed on */
	return (int)(m.records + m.late_records - (ft_refused_records(e) - refused));
}
