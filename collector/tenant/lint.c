/* The map's identity and the lint that check-config prints.
 *
 * Identity: SHA-256 (nettle) over a canonical text — one line per tenant, class, rule
 * and accounting point, sorted — so the same map written in another order or split
 * across other files has the same identity.
 *
 * Lint (warnings; conflicts are errors found while building): address space of the
 * configured plan ('address_space') that no tenant announces, listed as prefixes (not
 * for a map built from a configuration with errors, which may lack what announces it),
 * and a map without accounting points (every record then counts, so traffic seen by two
 * routers is counted twice), named at the line that declares the tenants.
 */
#include <errno.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenant_int.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *rule_line(const struct ft_tenant_conf *c, const struct ft_rule *r)
{
	char p[64] = "", a[FT_ADDR_STRLEN], *s = NULL;
	const char *t = c->tenants[r->tenant].name;
	switch (r->kind) {
	case FT_RULE_PREFIX:
		ft_prefix_format(&r->prefix, p, sizeof(p));
		if (asprintf(&s, "P %s %s %" PRId64 " %" PRId64, p, t, r->from_ms, r->until_ms) < 0)
			return NULL;
		break;
	case FT_RULE_INTERFACE:
		if (asprintf(&s, "I %s %" PRIu32 " %s %" PRId64 " %" PRId64, ft_addr_format(&r->exporter, a),
		             r->ifindex, t, r->from_ms, r->until_ms) < 0)
			return NULL;
		break;
	default:
		if (asprintf(&s, "%c %s %" PRIu32 " %s %" PRId64 " %" PRId64, r->kind == FT_RULE_VLAN ? 'V' : 'A',
		             r->any_exporter || r->kind == FT_RULE_ASN ? "*" : ft_addr_format(&r->exporter, a),
		             r->value, t, r->from_ms, r->until_ms) < 0)
			return NULL;
		break;
	}
	return s;
}

static char *other_line(const struct ft_tenant_conf *c, size_t i)
{
	char *s = NULL, p[64], a[FT_ADDR_STRLEN];
	size_t nt = c->n_tenants, nc = c->n_classes, ncr = c->n_class_rules;
	int r;
	if (i < nt) {
		const struct ft_tenant_def *t = &c->tenants[i];
		r = asprintf(&s, "T %s\t%s\t%s", t->name, t->display, t->cost_centre);
	} else if ((i -= nt) < nc) {
		r = asprintf(&s, "C %s", c->classes[i]);
	} else if ((i -= nc) < ncr) {
		const struct ft_class_rule *cr = &c->class_rules[i];
		ft_prefix_format(&cr->prefix, p, sizeof(p));
		r = asprintf(&s, "K %s %s %" PRId64 " %" PRId64, p, c->classes[cr->cls], cr->from_ms, cr->until_ms);
	} else {
		const struct ft_acct_point *pt = &c->points[i - ncr];
		r = asprintf(&s, "AP %s %" PRIu32 " %u %" PRId64 " %" PRId64, ft_addr_format(&pt->exporter, a),
		             pt->ifindex, pt->dir, pt->from_ms, pt->until_ms);
	}
	return r < 0 ? NULL : s;
}

int ft_tenant_map_digest(struct ft_tenant_map *m, const struct ft_tenant_conf *c)
{
	size_t n_other = c->n_tenants + c->n_classes + c->n_class_rules + c->n_points;
	size_t n = c->n_rules + n_other;
	char **lines = calloc(n + 1, sizeof(*lines));
	int r = lines ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		lines[i] = i < c->n_rules ? rule_line(c, &c->rules[i]) : other_line(c, i - c->n_rules);
		if (!lines[i])
			r = -ENOMEM;
	}
	if (r == 0) {
		struct sha256_ctx ctx;
		uint8_t d[SHA256_DIGEST_SIZE];
		qsort(lines, n, sizeof(*lines), cmp_str);
		sha256_init(&ctx);
		for (size_t i = 0; i < n; i++) {
			sha256_update(&ctx, strlen(lines[i]), (const uint8_t *)lines[i]);
			sha256_update(&ctx, 1, (const uint8_t *)"\n");
		}
		sha256_digest(&ctx, sizeof(d), d);
		for (size_t i = 0; i < sizeof(d); i++)
			snprintf(m->id + 2 * i, 3, "%02x", d[i]);
	}
	for (size_t i = 0; lines && i < n; i++)
		free(lines[i]);
	free(lines);
	return r;
}

/* ---- address space announced by no tenant ------------------------------------------- */

struct gaps {
	struct ft_diag *diag;
	struct ft_where at;
	const char *plan;
	size_t listed;
	uint64_t more;
};

static bool announced_within(const struct ptable *t, const struct ft_prefix *p, bool *ret_covers)
{
	*ret_covers = false;
	bool any = false;
	bool p4 = ft_addr_is_v4(&p->addr) && p->len >= 96;
	for (size_t i = 0; i < t->n; i++) {
		const struct ft_prefix *q = &t->e[i].p;
		if ((ft_addr_is_v4(&q->addr) && q->len >= 96) != p4)
			continue;   /* an IPv6 ::/0 announces no IPv4 space (as in the LPM) */
		if (q->len <= p->len && ft_prefix_contains(q, &p->addr)) {
			*ret_covers = true;
			return true;
		}
		if (q->len > p->len && ft_prefix_contains(p, &q->addr))
			any = true;
	}
	return any;
}

#define GAPS_LISTED 8

/* Splits p until each part is wholly announced (nothing to say) or wholly not. */
static void find_gaps(const struct ptable *t, struct ft_prefix p, struct gaps *g, int depth)
{
	bool covers;
	if (announced_within(t, &p, &covers)) {
		if (covers || depth > 24)
			return;
		struct ft_prefix lo = p, hi = p;
		lo.len = hi.len = (uint8_t)(p.len + 1);
		hi.addr.b[p.len / 8] |= (uint8_t)(0x80 >> (p.len % 8));
		find_gaps(t, lo, g, depth + 1);
		find_gaps(t, hi, g, depth + 1);
		return;
	}
	if (g->listed++ < GAPS_LISTED) {
		char s[64];
		ft_prefix_format(&p, s, sizeof(s));
		ft_diag_add(g->diag, false, g->at.file, g->at.line,
		            "address space %s: %s is announced by no tenant", g->plan, s);
	} else {
		g->more++;
	}
}

void ft_tenant_lint(const struct ft_tenant_map *m, const struct ft_tenant_conf *c, struct ft_diag *diag)
{
	for (size_t i = 0; !c->incomplete && i < c->n_address_space; i++) {
		char plan[64];
		ft_prefix_format(&c->address_space[i], plan, sizeof(plan));
		struct gaps g = { diag, c->address_space_at, plan, 0, 0 };
		find_gaps(&m->tenant_pfx, c->address_space[i], &g, 0);
		if (g.more)
			ft_diag_add(diag, false, g.at.file, g.at.line, "address space %s: %" PRIu64
			            " more unannounced prefixes not listed", plan, g.more);
	}
	struct ft_where at = c->tenants_at.file ? c->tenants_at
	                                        : (struct ft_where){ c->n_files ? c->files[0] : "tenant map", 0 };
	if (c->n_tenants > 1 && c->n_points == 0)
		ft_diag_add(diag, false, at.file, at.line,
		            "no accounting_points: every record counts, so traffic seen by two routers is "
		            "counted twice");
}
