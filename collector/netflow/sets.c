/* The set walk shared by NetFlow v9 and IPFIX messages.
 *
 * Both formats follow their message header with sets under one 4-byte set header, ID
 * and length (RFC 3954 §5.2, RFC 7011 §3.3.2).  Template sets, whose IDs differ (v9 0
 * and 1, IPFIX 2 and 3), are read by the format through its callback; a data set
 * (ID >= 256) is decoded into flows (records.c) when its template is known and live,
 * else kept (pending.c) until a template with its ID arrives.  Everything here works
 * on the message context (struct ft_msg) of the format that called it.
 */
#include "netflow_int.h"
#include "wire.h"

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
