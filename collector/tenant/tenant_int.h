/* Tenant map internals shared by map.c, attr.c and lint.c (and the tests). */
#ifndef FT_TENANT_INT_H
#define FT_TENANT_INT_H

#include "flowtally/clock.h"
#include "flowtally/lpm.h"
#include "flowtally/tenant.h"

/* An assignment valid over [from, until). */
struct dated {
	int64_t from;
	int64_t until;
	uint16_t value;               /* tenant or class */
};

struct dpool {
	struct dated *d;
	size_t n;
};

/* LPM values with this bit carry the tenant (or class) itself: the prefix has one
 * assignment, valid at all times, so neither the group nor its parent need reading. */
#define FT_PT_DIRECT 0x80000000u

/* A prefix and its assignments d[first .. first + n) over time. */
struct pentry {
	struct ft_prefix p;
	uint32_t first;
	uint32_t n;
	uint32_t parent;              /* closest containing prefix, or FT_LPM_NONE */
};

struct ptable {
	struct ft_lpm *lpm;           /* address -> pentry index */
	struct pentry *e;
	size_t n;
};

/* Interface (exporter, ifindex), VLAN (exporter or any, VLAN) and AS rules. */
struct kentry {
	struct ft_addr exporter;      /* all zero: any exporter */
	uint64_t key;                 /* ifindex, VLAN, AS; bit 32: any exporter (VLAN) */
	uint32_t first;
	uint32_t n;
};

struct ktable {
	struct kentry *e;             /* sorted by exporter, key */
	size_t n;
};

struct ft_tenant_map {
	struct ft_tenant_def *tenants;
	size_t n_tenants;
	char (*classes)[FT_NAME_MAX];
	size_t n_classes;
	struct ft_acct_point *points;
	size_t n_points;
	uint16_t *point_key;          /* points[i]'s accounting interface: pkeys[point_key[i]] */
	struct ft_point_key *pkeys;
	size_t n_pkeys;
	struct ptable tenant_pfx;
	struct ptable class_pfx;
	struct ktable ifaces;
	struct ktable vlans;
	struct ktable asns;
	struct dpool pool;
	char id[65];
	size_t n_if_rules;            /* interface rules from the interface table */
};

/* The value valid at t among d[first .. first + n), or -1. */
static inline int ft_dated_at(const struct dpool *p, uint32_t first, uint32_t n, int64_t t)
{
	for (uint32_t i = first; i < first + n; i++)
		if (p->d[i].from <= t && t < p->d[i].until)
			return p->d[i].value;
	return -1;
}

int ft_tenant_map_digest(struct ft_tenant_map *m, const struct ft_tenant_conf *c);
void ft_tenant_lint(const struct ft_tenant_map *m, const struct ft_tenant_conf *c, struct ft_diag *diag);
/* The tenant a prefix table gives address a at time t (0: none). */
uint16_t ft_ptable_find(const struct ptable *t, const struct dpool *p, const struct ft_addr *a, int64_t when);

#endif
