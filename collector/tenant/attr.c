/* Attribution of one flow (the contract in the README, "Attribution"): per side, the
 * tenant by rule precedence interface > VLAN > longest prefix > AS > unattributed; the
 * class of each side's ledger is where the other end is: "partner" when it belongs to
 * a tenant, else the configured prefix set it falls in, else "internet".  Rules are
 * taken as valid at the flow's end.  No allocation, no lock. */
#include <string.h>

#include "tenant_int.h"

/* The value in force at `when` for LPM result i (a pentry index or a direct value). */
static uint16_t resolve(const struct ptable *t, const struct dpool *p, uint32_t i, int64_t when)
{
	if (i != FT_LPM_NONE && (i & FT_PT_DIRECT))
		return (uint16_t)i;
	while (i != FT_LPM_NONE) {
		const struct pentry *e = &t->e[i];
		int v = ft_dated_at(p, e->first, e->n, when);
		if (v >= 0)
			return (uint16_t)v;
		i = e->parent;
	}
	return 0;
}

uint16_t ft_ptable_find(const struct ptable *t, const struct dpool *p, const struct ft_addr *a, int64_t when)
{
	return t->n ? resolve(t, p, ft_lpm_lookup(t->lpm, a), when) : 0;
}

static int kcmp(const struct kentry *e, const struct ft_addr *ex, uint64_t key)
{
	int c = memcmp(e->exporter.b, ex->b, 16);
	if (c)
		return c;
	return e->key < key ? -1 : e->key > key;
}

static const struct kentry *kfind(const struct ktable *t, const struct ft_addr *ex, uint64_t key)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = kcmp(&t->e[mid], ex, key);
		if (c == 0)
			return &t->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int keyed(const struct ft_tenant_map *m, const struct ktable *t, const struct ft_addr *ex,
                 uint64_t key, int64_t when)
{
	const struct kentry *e = kfind(t, ex, key);
	return e ? ft_dated_at(&m->pool, e->first, e->n, when) : -1;
}

/* One side's tenant.  pfx: that side's address looked up among the tenant prefixes
 * (FT_LPM_NONE when there are none).  Both sides are looked up together beforehand (one
 * walk for the two), even when an interface or VLAN rule then decides. */
static uint16_t side(const struct ft_tenant_map *m, const struct ft_flow *f, bool src, int64_t when,
                     uint32_t pfx)
{
	static const struct ft_addr any;
	int v = -1;
	if (m->ifaces.n)
		v = keyed(m, &m->ifaces, &f->exporter, src ? f->in_if : f->out_if, when);
	if (v < 0 && m->vlans.n) {
		uint16_t vlan = src || !f->post_vlan ? f->vlan : f->post_vlan;
		if (vlan) {
			v = keyed(m, &m->vlans, &f->exporter, vlan, when);
			if (v < 0)
				v = keyed(m, &m->vlans, &any, vlan | 1ull << 32, when);
		}
	}
	if (v < 0) {
		uint16_t t = resolve(&m->tenant_pfx, &m->pool, pfx, when);
		v = t ? t : -1;
	}
	if (v < 0 && m->asns.n) {
		uint32_t as = src ? f->src_as : f->dst_as;
		if (as)
			v = keyed(m, &m->asns, &any, as, when);
	}
	return v < 0 ? FT_TENANT_UNATTRIBUTED : (uint16_t)v;
}

static uint8_t class_of(const struct ft_tenant_map *m, const struct ft_addr *other, uint16_t other_tenant,
                        int64_t when)
{
	if (other_tenant != FT_TENANT_UNATTRIBUTED)
		return FT_CLASS_PARTNER;
	uint16_t c = ft_ptable_find(&m->class_pfx, &m->pool, other, when);
	return c ? (uint8_t)c : FT_CLASS_INTERNET;
}

/* Whether the record counts (inside the accounting points, or there are none), and
 * the accounting interfaces it came in and went out by (1 + key, 0 none). */
static bool accounted(const struct ft_tenant_map *m, const struct ft_flow *f, int64_t when, struct ft_attr *ret)
{
	ret->point_in = ret->point_out = 0;
	if (f->flags & FT_FLOW_NOT_ACCOUNTED)
		return false;
	if (!m->n_points)
		return true;
	for (size_t i = 0; i < m->n_points; i++) {
		const struct ft_acct_point *p = &m->points[i];
		if (when < p->from_ms || when >= p->until_ms || !ft_addr_equal(&p->exporter, &f->exporter))
			continue;
		if (!ret->point_in && (p->dir & FT_POINT_IN) && f->in_if == p->ifindex)
			ret->point_in = (uint16_t)(m->point_key[i] + 1);
		if (!ret->point_out && (p->dir & FT_POINT_OUT) && f->out_if == p->ifindex)
			ret->point_out = (uint16_t)(m->point_key[i] + 1);
	}
	return ret->point_in || ret->point_out;
}

void ft_tenant_attribute(const struct ft_tenant_map *m, const struct ft_flow *f, struct ft_attr *ret)
{
	int64_t when = f->end_ms;
	ret->accounted = accounted(m, f, when, ret);
	uint32_t pfx[2] = { FT_LPM_NONE, FT_LPM_NONE };
	if (m->tenant_pfx.n)
		ft_lpm_lookup2(m->tenant_pfx.lpm, &f->src, &f->dst, pfx);
	ret->src = side(m, f, true, when, pfx[0]);
	ret->dst = side(m, f, false, when, pfx[1]);
	ret->src_class = class_of(m, &f->dst, ret->dst, when);
	ret->dst_class = class_of(m, &f->src, ret->src, when);
}

void ft_tenant_attribute_batch(const struct ft_tenant_map *m, const struct ft_flow *f, size_t n,
                               struct ft_attr *ret)
{
	/* a loop of nothing but lookups keeps several of them in flight at once */
	for (size_t i = 0; i < n; i++)
		ft_tenant_attribute(m, &f[i], &ret[i]);
}
