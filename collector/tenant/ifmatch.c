/* Interface rules from the interface table (SNMP): the configuration names a tenant's
 * interfaces by pattern (ifName, ifAlias, ifDescr; one device or any) or by a tag in
 * the interface description ("[tenant:exeter]", as operators already write); once the
 * poller knows the interfaces, each one matched becomes an ordinary interface rule,
 * exporter + ifIndex, on every address its device exports from.  The map is built from
 * the configuration's rules plus these, so attribution, precedence (interface > VLAN >
 * prefix > AS) and the map's identity treat them as any other interface rule. */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenant_int.h"

/* The tenant the tag names in text ("[TAG:NAME]"), or 0; *ret_name the name found. */
static uint16_t tagged(const struct ft_tenant_conf *c, const char *text, char *ret_name, size_t size)
{
	char open[40];
	snprintf(open, sizeof(open), "[%s:", c->if_tag);
	const char *p = strstr(text, open);
	if (!p)
		return 0;
	p += strlen(open);
	const char *e = strchr(p, ']');
	if (!e || e == p || (size_t)(e - p) >= size)
		return 0;
	memcpy(ret_name, p, (size_t)(e - p));
	ret_name[e - p] = '\0';
	return ft_tenant_conf_find(c, ret_name);
}

static const char *field_of(const struct ft_tenant_if *i, uint8_t f)
{
	const char *v = f == FT_IF_ALIAS ? i->alias : f == FT_IF_DESCR ? i->descr : i->name;
	return v ? v : "";
}

/* The configuration's own interface rules (few: most rules are prefixes). */
struct explicit {
	const struct ft_rule **r;
	size_t n;
};

/* The rules being made: grown as they come. */
struct out {
	struct ft_rule *r;
	size_t n, cap;
	bool oom;
};

static void put(struct out *o, const struct ft_rule *r)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		struct ft_rule *n = realloc(o->r, cap * sizeof(*n));
		if (!n) {
			o->oom = true;
			return;
		}
		o->r = n;
		o->cap = cap;
	}
	o->r[o->n++] = *r;
}

static int cmp_from(const void *a, const void *b)
{
	const struct ft_rule *x = *(const struct ft_rule *const *)a, *y = *(const struct ft_rule *const *)b;
	return x->from_ms < y->from_ms ? -1 : x->from_ms > y->from_ms;
}

/* r for the parts of its period that no rule of the configuration for the same
 * exporter and ifIndex covers: the configuration's own rule wins while it is valid,
 * the derived one holds before and after it. */
static void put_outside(struct out *o, const struct explicit *x, struct ft_rule r)
{
	const struct ft_rule *mine[64];
	size_t n = 0;
	for (size_t k = 0; k < x->n && n < 64; k++)
		if (x->r[k]->ifindex == r.ifindex && ft_addr_equal(&x->r[k]->exporter, &r.exporter))
			mine[n++] = x->r[k];
	qsort(mine, n, sizeof(*mine), cmp_from);
	int64_t at = r.from_ms, end = r.until_ms;
	for (size_t k = 0; k < n && at < end; k++) {
		if (mine[k]->until_ms <= at)
			continue;
		if (mine[k]->from_ms > at) {
			r.from_ms = at;
			r.until_ms = mine[k]->from_ms < end ? mine[k]->from_ms : end;
			put(o, &r);
		}
		at = mine[k]->until_ms > at ? mine[k]->until_ms : at;
	}
	if (at < end) {
		r.from_ms = at;
		r.until_ms = end;
		put(o, &r);
	}
}

/* The first pattern of the configuration that matches i, or NULL; a second one that
 * also does, of another tenant, is a warning. */
static const struct ft_if_match *matching(const struct ft_tenant_conf *c, const struct ft_tenant_if *i,
                                          struct ft_diag *diag)
{
	const struct ft_if_match *first = NULL;
	for (size_t k = 0; k < c->n_if_matches; k++) {
		const struct ft_if_match *m = &c->if_matches[k];
		if ((m->device[0] && strcmp(m->device, i->device) != 0) || fnmatch(m->pattern, field_of(i, m->field), 0) != 0)
			continue;
		if (!first) {
			first = m;
		} else if (m->tenant != first->tenant) {
			ft_diag_add(diag, false, m->at.file, m->at.line, "interface %s (ifIndex %" PRIu32 ") of device %s "
			            "matches the patterns of tenants %s and %s: %s's, at line %d, wins", field_of(i, FT_IF_NAME),
			            i->ifindex, i->device, c->tenants[first->tenant].name, c->tenants[m->tenant].name,
			            c->tenants[first->tenant].name, first->at.line);
			break;
		}
	}
	return first;
}

/* The rules an interface gives, appended to o. */
static void derive(const struct ft_tenant_conf *c, const struct explicit *x, const struct ft_tenant_if *i,
                   struct out *o, struct ft_diag *diag)
{
	const struct ft_if_match *m = matching(c, i, diag);
	struct ft_rule r = { .kind = FT_RULE_INTERFACE, .ifindex = i->ifindex, .from_ms = FT_TIME_MIN,
	                     .until_ms = FT_TIME_MAX };
	if (m) {
		r.tenant = m->tenant;
		r.from_ms = m->from_ms;
		r.until_ms = m->until_ms;
		r.at = m->at;
	} else if (c->if_tag[0]) {
		char name[FT_NAME_MAX];
		name[0] = '\0';
		r.tenant = tagged(c, field_of(i, FT_IF_ALIAS), name, sizeof(name));
		if (!r.tenant && !name[0])
			r.tenant = tagged(c, field_of(i, FT_IF_DESCR), name, sizeof(name));
		if (!r.tenant && name[0])
			ft_diag_add(diag, false, "interface table", 0, "interface %s (ifIndex %" PRIu32 ") of device %s is "
			            "tagged [%s:%s], but there is no tenant %s", field_of(i, FT_IF_NAME), i->ifindex, i->device,
			            c->if_tag, name, name);
		r.at = (struct ft_where){ "interface table", 0 };
	}
	if (!r.tenant)
		return;
	for (size_t e = 0; e < i->n_exporters; e++) {
		r.exporter = i->exporters[e];
		put_outside(o, x, r);
	}
}

struct ft_tenant_map *ft_tenant_map_build_ifs(const struct ft_tenant_conf *c, const struct ft_tenant_if *ifs,
                                              size_t n_ifs, struct ft_diag *diag)
{
	struct out o = { 0 };
	struct explicit x = { calloc(c->n_rules + 1, sizeof(*x.r)), 0 };
	for (size_t k = 0; x.r && k < c->n_rules; k++) {
		put(&o, &c->rules[k]);
		if (c->rules[k].kind == FT_RULE_INTERFACE)
			x.r[x.n++] = &c->rules[k];
	}
	if (x.r && (c->n_if_matches || c->if_tag[0]))
		for (size_t k = 0; k < n_ifs; k++)
			derive(c, &x, &ifs[k], &o, diag);
	if (!x.r || o.oom) {
		free(o.r);
		free(x.r);
		ft_diag_add(diag, true, "tenant map", 0, "out of memory");
		return NULL;
	}
	free(x.r);
	/* the configuration with these rules added: read only, the rest shared */
	struct ft_tenant_conf with = *c;
	with.rules = o.r;
	with.n_rules = o.n;
	struct ft_tenant_map *m = ft_tenant_map_build(&with, diag);
	if (m)
		m->n_if_rules = o.n - c->n_rules;
	free(o.r);
	return m;
}

size_t ft_tenant_map_n_if_rules(const struct ft_tenant_map *m)
{
	return m->n_if_rules;
}
