/* The tenant map: built once from struct ft_tenant_conf, then read-only.
 *
 * Prefix rules (tenants and classes alike) are grouped by prefix.  Each group holds its
 * dated assignments and a parent: the longest shorter prefix of the same family that
 * contains it.  The LPM table maps an address to its longest group; a lookup at time t
 * takes the group's assignment valid at t, or walks up to the parent when none is, so
 * a prefix whose validity ended falls back to the covering prefix, as if it had been
 * removed from the map at that time.  Interface, VLAN and AS rules are sorted arrays of
 * keyed groups, searched by bisection.
 *
 * The map's identity is the SHA-256 of a canonical text of all its rules (sorted), so
 * the ledger can name the map in force without keeping it.
 */
#include <errno.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/lpm.h"
#include "flowtally/tenant.h"
#include "tenant_int.h"

/* ---- building blocks ------------------------------------------------------------- */

static bool overlaps(int64_t f1, int64_t u1, int64_t f2, int64_t u2)
{
	return f1 < u2 && f2 < u1;
}

static bool same_family(const struct ft_prefix *a, const struct ft_prefix *b)
{
	bool a4 = ft_addr_is_v4(&a->addr) && a->len >= 96, b4 = ft_addr_is_v4(&b->addr) && b->len >= 96;
	return a4 == b4;
}

static int cmp_prefix(const struct ft_prefix *a, const struct ft_prefix *b)
{
	bool a4 = ft_addr_is_v4(&a->addr) && a->len >= 96, b4 = ft_addr_is_v4(&b->addr) && b->len >= 96;
	if (a4 != b4)
		return a4 ? -1 : 1;
	int c = memcmp(a->addr.b, b->addr.b, 16);
	return c ? c : (int)a->len - (int)b->len;
}

static void time_text(int64_t ms, char *buf, size_t size)
{
	if (ms == FT_TIME_MIN || ms == FT_TIME_MAX) {
		snprintf(buf, size, "%s", ms == FT_TIME_MIN ? "-" : "+");
		return;
	}
	char t[40];
	snprintf(buf, size, "%s", ft_time_format_utc(ms * 1000000, t, sizeof(t)));
}

/* ---- grouping items by key, with conflict checks ---------------------------------- */

/* One assignment, to be grouped by key: what every rule kind reduces to. */
struct item {
	struct ft_prefix prefix;      /* prefix rules */
	struct ft_addr exporter;      /* keyed rules */
	uint64_t key;                 /* keyed rules: ifindex, VLAN or AS number (+ any flag) */
	struct dated d;
	struct ft_where at;
};

static int cmp_item_prefix(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int c = cmp_prefix(&a->prefix, &b->prefix);
	return c ? c : (a->d.from < b->d.from ? -1 : a->d.from > b->d.from);
}

static int cmp_item_key(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int c = memcmp(a->exporter.b, b->exporter.b, 16);
	if (c)
		return c;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->d.from < b->d.from ? -1 : a->d.from > b->d.from;
}

struct names {
	const char *what;            /* "tenant" or "class" */
	const char *(*name)(const void *ctx, uint16_t v);
	const void *ctx;
};

/* Checks one group of items with the same key (sorted by start): two overlapping
 * periods are an error when they assign different owners, a warning (a shadowed
 * duplicate) otherwise; a gap between consecutive periods is a warning. */
static void check_group(const struct item *it, size_t n, const char *key, const struct names *nm,
                        struct ft_diag *diag)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (!overlaps(it[i].d.from, it[i].d.until, it[j].d.from, it[j].d.until))
				continue;
			if (it[i].d.value == it[j].d.value)
				ft_diag_add(diag, false, it[j].at.file, it[j].at.line,
				            "%s: duplicate of the rule at %s:%d (%s '%s'): shadowed", key,
				            it[i].at.file, it[i].at.line, nm->what, nm->name(nm->ctx, it[i].d.value));
			else
				ft_diag_add(diag, true, it[j].at.file, it[j].at.line,
				            "%s: assigned to %s '%s' here and to '%s' at %s:%d for overlapping periods",
				            key, nm->what, nm->name(nm->ctx, it[j].d.value),
				            nm->name(nm->ctx, it[i].d.value), it[i].at.file, it[i].at.line);
		}
		if (i + 1 < n && it[i].d.until < it[i + 1].d.from) {
			char a[40], b[40];
			time_text(it[i].d.until, a, sizeof(a));
			time_text(it[i + 1].d.from, b, sizeof(b));
			ft_diag_add(diag, false, it[i + 1].at.file, it[i + 1].at.line,
			            "%s: no rule from %s to %s (after the rule at %s:%d): that traffic falls "
			            "to the next rule in precedence", key, a, b, it[i].at.file, it[i].at.line);
		}
	}
}

static int add_dated(struct dpool *p, const struct item *it, size_t n, uint32_t *ret_first)
{
	struct dated *d = realloc(p->d, (p->n + n) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	p->d = d;
	*ret_first = (uint32_t)p->n;
	for (size_t i = 0; i < n; i++)
		d[p->n++] = it[i].d;
	return 0;
}

/* ---- prefix tables ----------------------------------------------------------------- */

static void prefix_key(const struct ft_prefix *p, char *buf, size_t size)
{
	ft_prefix_format(p, buf, size);
}

/* Parents by nesting: in (family, address, length) order a prefix's ancestors come
 * before it, so a stack of open prefixes gives each one its closest container. */
static void link_parents(struct ptable *t)
{
	uint32_t *stack = t->n ? malloc(t->n * sizeof(*stack)) : NULL;
	size_t top = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct pentry *e = &t->e[i];
		while (top && !(same_family(&t->e[stack[top - 1]].p, &e->p) &&
		                ft_prefix_contains(&t->e[stack[top - 1]].p, &e->p.addr)))
			top--;
		e->parent = top ? stack[top - 1] : FT_LPM_NONE;
		if (stack)
			stack[top++] = (uint32_t)i;
	}
	free(stack);
}

static int ptable_build(struct ptable *t, struct item *it, size_t n, const struct names *nm,
                        struct dpool *pool, struct ft_diag *diag)
{
	qsort(it, n, sizeof(*it), cmp_item_prefix);
	t->e = calloc(n + 1, sizeof(*t->e));
	struct ft_lpm_builder *b = ft_lpm_builder_new();
	if (!t->e || !b) {
		ft_lpm_builder_free(b);
		return -ENOMEM;
	}
	for (size_t i = 0, j; i < n; i = j) {
		char key[64];
		for (j = i + 1; j < n && cmp_prefix(&it[j].prefix, &it[i].prefix) == 0; j++)
			;
		prefix_key(&it[i].prefix, key, sizeof(key));
		check_group(it + i, j - i, key, nm, diag);
		struct pentry *e = &t->e[t->n];
		e->p = it[i].prefix;
		e->n = (uint32_t)(j - i);
		/* one undated owner (the same rule repeated included): the value itself */
		bool always = true;
		for (size_t k = i; k < j && always; k++)
			always = it[k].d.from == FT_TIME_MIN && it[k].d.until == FT_TIME_MAX &&
			         it[k].d.value == it[i].d.value;
		uint32_t value = always ? FT_PT_DIRECT | it[i].d.value : (uint32_t)t->n;
		if (add_dated(pool, it + i, j - i, &e->first) < 0 || ft_lpm_builder_add(b, &e->p, value) < 0) {
			ft_lpm_builder_free(b);
			return -ENOMEM;
		}
		t->n++;
	}
	link_parents(t);
	t->lpm = ft_lpm_build(b);
	ft_lpm_builder_free(b);
	return t->lpm ? 0 : -ENOMEM;
}

/* ---- keyed tables ------------------------------------------------------------------- */

static int ktable_build(struct ktable *t, struct item *it, size_t n, const char *what,
                        const struct names *nm, struct dpool *pool, struct ft_diag *diag)
{
	qsort(it, n, sizeof(*it), cmp_item_key);
	t->e = calloc(n + 1, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	for (size_t i = 0, j; i < n; i = j) {
		char key[96], a[FT_ADDR_STRLEN];
		for (j = i + 1; j < n && ft_addr_equal(&it[j].exporter, &it[i].exporter) &&
		                it[j].key == it[i].key; j++)
			;
		bool any = it[i].key >> 32 || strcmp(what, "AS") == 0;   /* AS rules have no exporter */
		snprintf(key, sizeof(key), "%s %" PRIu64 "%s%s", what, it[i].key & 0xffffffffu,
		         any ? "" : " on ", any ? "" : ft_addr_format(&it[i].exporter, a));
		check_group(it + i, j - i, key, nm, diag);
		struct kentry *e = &t->e[t->n++];
		e->exporter = it[i].exporter;
		e->key = it[i].key;
		e->n = (uint32_t)(j - i);
		if (add_dated(pool, it + i, j - i, &e->first) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- the map -------------------------------------------------------------------------- */

static const char *tenant_name(const void *ctx, uint16_t v)
{
	return ((const struct ft_tenant_conf *)ctx)->tenants[v].name;
}

static const char *class_name(const void *ctx, uint16_t v)
{
	return ((const struct ft_tenant_conf *)ctx)->classes[v];
}

/* Collects the rules of one kind as items. */
static size_t collect(const struct ft_tenant_conf *c, enum ft_rule_kind kind, struct item *out)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct ft_rule *r = &c->rules[i];
		if (r->kind != kind)
			continue;
		struct item *it = &out[n++];
		*it = (struct item){ .prefix = r->prefix, .at = r->at,
		                     .d = { r->from_ms, r->until_ms, r->tenant } };
		if (kind == FT_RULE_INTERFACE || kind == FT_RULE_VLAN)
			it->exporter = r->any_exporter ? (struct ft_addr){ { 0 } } : r->exporter;
		it->key = kind == FT_RULE_INTERFACE ? r->ifindex : r->value;
		if (kind == FT_RULE_VLAN && r->any_exporter)
			it->key |= 1ull << 32;
	}
	return n;
}

static int build_tables(struct ft_tenant_map *m, const struct ft_tenant_conf *c, struct ft_diag *diag)
{
	size_t cap = c->n_rules > c->n_class_rules ? c->n_rules : c->n_class_rules;
	struct item *it = calloc(cap + 1, sizeof(*it));
	struct names tn = { "tenant", tenant_name, c }, cn = { "class", class_name, c };
	int r = it ? 0 : -ENOMEM;
	if (r == 0)
		r = ptable_build(&m->tenant_pfx, it, collect(c, FT_RULE_PREFIX, it), &tn, &m->pool, diag);
	if (r == 0)
		r = ktable_build(&m->ifaces, it, collect(c, FT_RULE_INTERFACE, it), "interface", &tn, &m->pool, diag);
	if (r == 0)
		r = ktable_build(&m->vlans, it, collect(c, FT_RULE_VLAN, it), "VLAN", &tn, &m->pool, diag);
	if (r == 0)
		r = ktable_build(&m->asns, it, collect(c, FT_RULE_ASN, it), "AS", &tn, &m->pool, diag);
	if (r == 0) {
		for (size_t i = 0; i < c->n_class_rules; i++) {
			const struct ft_class_rule *cr = &c->class_rules[i];
			it[i] = (struct item){ .prefix = cr->prefix, .at = cr->at,
			                       .d = { cr->from_ms, cr->until_ms, cr->cls } };
		}
		r = ptable_build(&m->class_pfx, it, c->n_class_rules, &cn, &m->pool, diag);
	}
	free(it);
	return r;
}

static int copy_conf(struct ft_tenant_map *m, const struct ft_tenant_conf *c)
{
	m->n_tenants = c->n_tenants;
	m->n_classes = c->n_classes;
	m->n_points = c->n_points;
	m->tenants = malloc(c->n_tenants * sizeof(*m->tenants));
	m->classes = malloc(c->n_classes * sizeof(*m->classes));
	m->points = malloc((c->n_points + 1) * sizeof(*m->points));
	if (!m->tenants || !m->classes || !m->points)
		return -ENOMEM;
	memcpy(m->tenants, c->tenants, c->n_tenants * sizeof(*m->tenants));
	memcpy(m->classes, c->classes, c->n_classes * sizeof(*m->classes));
	if (c->n_points)
		memcpy(m->points, c->points, c->n_points * sizeof(*m->points));
	for (size_t i = 0; i < c->n_tenants; i++)
		m->tenants[i].at = (struct ft_where){ NULL, 0 };   /* file names stay with the conf */
	for (size_t i = 0; i < c->n_points; i++)
		m->points[i].at = (struct ft_where){ NULL, 0 };
	/* the accounting interfaces, in the order the points first name them */
	m->point_key = malloc((c->n_points + 1) * sizeof(*m->point_key));
	m->pkeys = malloc((c->n_points + 1) * sizeof(*m->pkeys));
	if (!m->point_key || !m->pkeys)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_points; i++) {
		size_t k = 0;
		while (k < m->n_pkeys && !(m->pkeys[k].ifindex == c->points[i].ifindex &&
		                           ft_addr_equal(&m->pkeys[k].exporter, &c->points[i].exporter)))
			k++;
		if (k == m->n_pkeys)
			m->pkeys[m->n_pkeys++] = (struct ft_point_key){ c->points[i].exporter, c->points[i].ifindex };
		m->point_key[i] = (uint16_t)k;
	}
	return 0;
}

size_t ft_tenant_map_n_point_keys(const struct ft_tenant_map *m)
{
	return m->n_pkeys;
}

const struct ft_point_key *ft_tenant_map_point_key(const struct ft_tenant_map *m, size_t i)
{
	return i < m->n_pkeys ? &m->pkeys[i] : NULL;
}

struct ft_tenant_map *ft_tenant_map_build(const struct ft_tenant_conf *c, struct ft_diag *diag)
{
	struct ft_diag local = { 0 };
	if (!diag) {
		struct ft_tenant_map *m = ft_tenant_map_build(c, &local);
		ft_diag_done(&local);
		return m;
	}
	struct ft_tenant_map *m = calloc(1, sizeof(*m));
	size_t errors = diag->errors;
	if (!m || copy_conf(m, c) < 0 || build_tables(m, c, diag) < 0 ||
	    ft_tenant_map_digest(m, c) < 0) {
		ft_diag_add(diag, true, "tenant map", 0, "out of memory");
		return ft_tenant_map_free(m);
	}
	ft_tenant_lint(m, c, diag);
	if (diag->errors > errors)
		return ft_tenant_map_free(m);
	return m;
}

static void ptable_done(struct ptable *t)
{
	ft_lpm_free(t->lpm);
	free(t->e);
}

struct ft_tenant_map *ft_tenant_map_free(struct ft_tenant_map *m)
{
	if (!m)
		return NULL;
	ptable_done(&m->tenant_pfx);
	ptable_done(&m->class_pfx);
	free(m->ifaces.e);
	free(m->vlans.e);
	free(m->asns.e);
	free(m->pool.d);
	free(m->tenants);
	free(m->classes);
	free(m->points);
	free(m->point_key);
	free(m->pkeys);
	free(m);
	return NULL;
}

const char *ft_tenant_map_id(const struct ft_tenant_map *m)
{
	return m->id;
}

size_t ft_tenant_map_n_tenants(const struct ft_tenant_map *m)
{
	return m->n_tenants;
}

size_t ft_tenant_map_n_classes(const struct ft_tenant_map *m)
{
	return m->n_classes;
}

const struct ft_tenant_def *ft_tenant_map_tenant(const struct ft_tenant_map *m, uint16_t i)
{
	return i < m->n_tenants ? &m->tenants[i] : NULL;
}

const char *ft_tenant_map_class(const struct ft_tenant_map *m, uint8_t i)
{
	return i < m->n_classes ? m->classes[i] : NULL;
}
