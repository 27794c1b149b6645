/* flowtally — what a tenant map should make of generated traffic.
 *
 * A table of rules (prefix, tenant index) in the order given, and the tenant names.
 * It is worked out apart from the collector's tenant map on purpose, so that a test
 * comparing the two compares two pieces of code: the longest prefix is found by
 * scanning every rule, and the attribution contract (README, "Tenants and
 * attribution") is applied to the records as the generator itself reads them back
 * from its datagram (ft_gen_records()).
 *
 * A datagram's shares are (tenant, side, volume) triples, one per pair that gets
 * something; `flowtally generate` works them out once for each datagram of its pool
 * and adds them up each time the kernel accepts that datagram.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_int.h"

/* Most records a generated datagram can hold: v9 IPv4 records are the smallest, at
 * 49 bytes. */
#define MAX_RECORDS_ANY (FT_GEN_MAX_DATAGRAM / 49 + 1)

struct rule {
	struct ft_prefix prefix;
	bool v4;
	uint32_t tenant;
};

struct ft_gen_tenants {
	struct rule *rules;
	size_t n_rules, cap_rules;
	char (*names)[FT_GEN_TENANT_NAME_MAX];
	uint32_t n_names, cap_names;
};

struct ft_gen_tenants *ft_gen_tenants_new(void)
{
	return calloc(1, sizeof(struct ft_gen_tenants));
}

struct ft_gen_tenants *ft_gen_tenants_free(struct ft_gen_tenants *t)
{
	if (t) {
		free(t->rules);
		free(t->names);
		free(t);
	}
	return NULL;
}

uint32_t ft_gen_tenants_count(const struct ft_gen_tenants *t)
{
	return t ? t->n_names : 0;
}

const char *ft_gen_tenants_name(const struct ft_gen_tenants *t, uint32_t i)
{
	return t && i < t->n_names ? t->names[i] : NULL;
}

/* ---- reading the rules ---- */

/* Letters, digits, '-', '_', '.'; 1..31 characters (the collector's rule). */
static bool name_ok(const char *s, size_t len)
{
	static const char ok[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

	if (len == 0 || len >= FT_GEN_TENANT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!memchr(ok, s[i], sizeof(ok) - 1))
			return false;
	return true;
}

/* The next blank-separated word of *p, or NULL at the end or at a '#'. */
static const char *word(const char **p, size_t *ret_len)
{
	const char *s = *p + strspn(*p, " \t\r\n");
	size_t n = strcspn(s, " \t\r\n");

	*p = s + n;
	*ret_len = n;
	return n && s[0] != '#' ? s : NULL;
}

/* Index of tenant `name`, added when new; -ENOMEM. */
static int tenant_index(struct ft_gen_tenants *t, const char *name, size_t len)
{
	for (uint32_t i = 0; i < t->n_names; i++)
		if (strlen(t->names[i]) == len && memcmp(t->names[i], name, len) == 0)
			return (int)i;
	if (t->n_names == t->cap_names) {
		uint32_t cap = t->cap_names ? 2 * t->cap_names : 8;
		void *p = realloc(t->names, cap * sizeof(*t->names));
		if (!p)
			return -ENOMEM;
		t->names = p;
		t->cap_names = cap;
	}
	memcpy(t->names[t->n_names], name, len);
	t->names[t->n_names][len] = '\0';
	return (int)t->n_names++;
}

static bool same_prefix(const struct ft_prefix *a, const struct ft_prefix *b)
{
	return a->len == b->len && memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b)) == 0;
}

/* Adds (p, tenant) unless the table has p already: -EEXIST when for another tenant. */
static int add_rule(struct ft_gen_tenants *t, const struct ft_prefix *p, uint32_t tenant)
{
	for (size_t i = 0; i < t->n_rules; i++)
		if (same_prefix(&t->rules[i].prefix, p))
			return t->rules[i].tenant == tenant ? 0 : -EEXIST;
	if (t->n_rules == t->cap_rules) {
		size_t cap = t->cap_rules ? 2 * t->cap_rules : 16;
		struct rule *r = realloc(t->rules, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		t->rules = r;
		t->cap_rules = cap;
	}
	t->rules[t->n_rules++] = (struct rule){
		.prefix = *p, .tenant = tenant, .v4 = p->len >= 96 && ft_addr_is_v4(&p->addr),
	};
	return 0;
}

int ft_gen_tenants_line(struct ft_gen_tenants *t, const char *line, char *err, size_t err_size)
{
	const char *p = line, *pfx, *name;
	size_t pl, nl, xl;
	char text[FT_ADDR_STRLEN + 8] = "";
	struct ft_prefix prefix;

	if (!(pfx = word(&p, &pl)))
		return 0;
	if (!(name = word(&p, &nl)) || word(&p, &xl)) {
		snprintf(err, err_size, "expected 'PREFIX TENANT'");
		return -EINVAL;
	}
	if (pl < sizeof(text))
		memcpy(text, pfx, pl);
	if (pl >= sizeof(text) || ft_prefix_parse(text, &prefix) < 0) {
		snprintf(err, err_size, "'%.*s' is not a prefix", (int)(pl < 64 ? pl : 64), pfx);
		return -EINVAL;
	}
	if (!name_ok(name, nl)) {
		snprintf(err, err_size, "'%.*s' is not a tenant name (1-31 letters, digits, '-', "
		         "'_', '.')", (int)(nl < 64 ? nl : 64), name);
		return -EINVAL;
	}
	int i = tenant_index(t, name, nl);
	int r = i < 0 ? i : add_rule(t, &prefix, (uint32_t)i);
	if (r == -EEXIST) {
		snprintf(err, err_size, "%s is given to two tenants", text);
		return -EINVAL;
	}
	if (r == -ENOMEM)
		snprintf(err, err_size, "out of memory");
	return r;
}

/* ---- attribution ---- */

/* Whether the first len bits of a and b agree. */
static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & (0xff00u >> rest) & 0xff) == 0;
}

uint32_t ft_gen_tenants_lookup(const struct ft_gen_tenants *t, const struct ft_addr *a)
{
	bool v4 = ft_addr_is_v4(a);
	uint32_t best = t->n_names;
	int best_len = -1;

	for (size_t i = 0; i < t->n_rules; i++) {
		const struct rule *r = &t->rules[i];
		if (r->v4 == v4 && (int)r->prefix.len > best_len &&
		    bits_equal(r->prefix.addr.b, a->b, r->prefix.len)) {
			best = r->tenant;
			best_len = r->prefix.len;
		}
	}
	return best;
}

size_t ft_gen_shares_max(const struct ft_gen *g)
{
	return 2 * ft_gen_records_max(g);
}

/* Adds v to the share of (tenant, side), keeping the n shares sorted. */
static int share_add(struct ft_gen_share *s, size_t *n, size_t cap, uint32_t tenant,
                     uint32_t side, const struct ft_gen_volume *v)
{
	size_t i = 0;

	while (i < *n && (s[i].tenant < tenant || (s[i].tenant == tenant && s[i].side < side)))
		i++;
	if (i == *n || s[i].tenant != tenant || s[i].side != side) {
		if (*n == cap)
			return -ENOBUFS;
		memmove(&s[i + 1], &s[i], (*n - i) * sizeof(*s));
		s[i] = (struct ft_gen_share){ .tenant = tenant, .side = side };
		(*n)++;
	}
	s[i].v.bytes += v->bytes;
	s[i].v.packets += v->packets;
	s[i].v.flows += v->flows;
	return 0;
}

int ft_gen_shares(const struct ft_gen *g, const struct ft_gen_tenants *t, const uint8_t *buf,
                  size_t len, struct ft_gen_share *ret, size_t cap)
{
	struct ft_gen_rec recs[MAX_RECORDS_ANY];
	size_t n = 0;

	if (!g || !t || !buf)
		return -EINVAL;
	int k = ft_gen_records(g, buf, len, recs, MAX_RECORDS_ANY);
	for (int i = 0; i < k; i++) {
		struct ft_gen_volume v = {
			.bytes = recs[i].bytes * recs[i].rate,
			.packets = recs[i].packets * recs[i].rate,
			.flows = 1,
		};
		int r = share_add(ret, &n, cap, ft_gen_tenants_lookup(t, &recs[i].src), FT_GEN_OUT, &v);
		if (r == 0)
			r = share_add(ret, &n, cap, ft_gen_tenants_lookup(t, &recs[i].dst), FT_GEN_IN, &v);
		if (r < 0)
			return r;
	}
	return k < 0 ? k : (int)n;
}
