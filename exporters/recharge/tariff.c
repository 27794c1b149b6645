/* The tariff file (recharge.h): libconfig reads the syntax and reports a syntax error
 * with its line; this file walks the two top-level lists, `pools` and `fixed`, converts
 * each group into a struct ft_pool or ft_fixed_charge and names file:line for every
 * problem it meets.  It goes on after a problem, so that one run lists them all, and
 * any error rejects the whole file: a statement is never drawn from half a tariff.
 *
 * The file is hashed (sha256 of its bytes) for the statement's provenance; so that the
 * hash covers everything the tariff says, a tariff is one file: an @include is refused
 * before libconfig could follow it, and so is a NUL byte (libconfig would stop reading
 * there while the hash went on). */
#include <errno.h>
#include <libconfig.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/conftext.h"
#include "flowtally/file.h"
#include "flowtally/recharge.h"

struct tctx {
	const char *file;
	struct ft_diag *diag;
	const struct ft_tariff_names *names;
	size_t bad;                 /* errors found in this file */
	bool oom;
};

#define terr(c, s, ...)                                                                   \
	do {                                                                              \
		ft_diag_add((c)->diag, true, (c)->file, config_setting_source_line(s),      \
		            __VA_ARGS__);                                                 \
		(c)->bad++;                                                               \
	} while (0)

static const char *const basis_names[] = { "volume", "p95", "peak_share", "equal", "weights" };
static const char *const dir_names[] = { NULL, "in", "out", "both" };
static const char *const metric_names[] = { "in", "out", "in_plus_out", "max_in_out" };
#define TARIFF_MAX_BYTES (64u << 20)  /* a tariff is a page of text, not a data set */
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- values ---- */

static const char *get_string(struct tctx *c, const config_setting_t *s, const char *what)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		terr(c, s, "%s must be a string in double quotes", what);
		return NULL;
	}
	return config_setting_get_string(s);
}

/* A flowtally name (names.h) into out; false (and said) when it is not one. */
static bool get_name(struct tctx *c, const config_setting_t *s, const char *what, char out[FT_NAME_MAX])
{
	const char *v = get_string(c, s, what);
	if (!v)
		return false;
	if (!ft_name_valid(v)) {
		terr(c, s, "%s '%s' is not a name (1-31 bytes, no control characters, no space at "
		     "either end)", what, v);
		return false;
	}
	snprintf(out, FT_NAME_MAX, "%s", v);
	return true;
}

/* A whole number >= 0 (a plain int or a 64-bit one, with the L suffix). */
static bool get_count(struct tctx *c, const config_setting_t *s, const char *what, uint64_t *out)
{
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		terr(c, s, "%s must be a whole number", what);
		return false;
	}
	long long v = config_setting_get_int64(s);
	if (v < 0) {
		terr(c, s, "%s = %lld is negative", what, v);
		return false;
	}
	*out = (uint64_t)v;
	return true;
}

/* The index of v in table[0..n), -1 (and said, with the choices) when it is none. */
static int get_enum(struct tctx *c, const config_setting_t *s, const char *what, const char *const *table,
                    size_t n)
{
	const char *v = get_string(c, s, what);
	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (table[i] && strcmp(v, table[i]) == 0)
			return (int)i;
	char choices[128] = "";
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		if (table[i])
			len += (size_t)snprintf(choices + len, sizeof(choices) - len, "%s%s", len ? ", " : "",
			                        table[i]);
	terr(c, s, "%s '%s' is not one of %s", what, v, choices);
	return -1;
}

static bool in_list(const char *const *list, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], v) == 0)
			return true;
	return false;
}

/* Whether the tariff may name tenant (or class) v: always when no names are given. */
static bool known(struct tctx *c, bool tenant, const char *v)
{
	if (!c->names)
		return true;
	return tenant ? in_list(c->names->tenants, c->names->n_tenants, v)
	              : in_list(c->names->classes, c->names->n_classes, v);
}

static bool check_known(struct tctx *c, const config_setting_t *s, bool tenant, const char *v)
{
	if (known(c, tenant, v))
		return true;
	terr(c, s, "%s '%s' is not %s", tenant ? "tenant" : "class", v,
	     tenant ? "a tenant of the map during the month" : "a traffic class");
	return false;
}

/* A list of names, [ "a", "b" ]: each a name, known, and there once.  The array into
 * *out (NULL when empty); false when any is wrong. */
static bool get_names(struct tctx *c, const config_setting_t *s, const char *key, bool tenant, size_t max,
                      char (**out)[FT_NAME_MAX], size_t *n_out)
{
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		terr(c, s, "'%s' must be a list of names, e.g. [\"a\", \"b\"]", key);
		return false;
	}
	size_t n = (size_t)config_setting_length(s);
	if (n > max) {
		terr(c, s, "'%s' has %zu names, more than %zu", key, n, max);
		return false;
	}
	char (*v)[FT_NAME_MAX] = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v) {
		c->oom = true;
		return false;
	}
	bool ok = true;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		char what[64];
		snprintf(what, sizeof(what), "'%s': element %zu", key, i + 1);
		if (!get_name(c, e, what, v[k]) || !check_known(c, e, tenant, v[k])) {
			ok = false;
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = strcmp(v[j], v[k]) == 0;
		if (dup) {
			terr(c, e, "'%s': '%s' is named twice", key, v[k]);
			ok = false;
			continue;
		}
		k++;
	}
	*out = v;
	*n_out = k;
	return ok;
}

/* ---- pools ---- */

/* members: the pool's members when it names them (each weight's tenant must be one). */
static void get_weights(struct tctx *c, const config_setting_t *s, struct ft_pool *p, bool members)
{
	if (!config_setting_is_list(s)) {
		terr(c, s, "'weights' must be a list of groups: ( { tenant = \"...\"; weight = 1; }, ... )");
		return;
	}
	size_t n = (size_t)config_setting_length(s);
	if (n > FT_TARIFF_MEMBERS_MAX) {
		terr(c, s, "'weights' has %zu entries, more than %d", n, FT_TARIFF_MEMBERS_MAX);
		return;
	}
	if (n == 0) {
		terr(c, s, "'weights' is empty: a weights pool needs at least one tenant with a weight");
		return;
	}
	if (!(p->weights = calloc(n, sizeof(*p->weights)))) {
		c->oom = true;
		return;
	}
	size_t bad = c->bad;
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (!config_setting_is_group(g)) {
			terr(c, g, "'weights': element %zu is not a group { tenant = \"...\"; weight = 1; }", i + 1);
			continue;
		}
		struct ft_pool_weight *w = &p->weights[p->n_weights];
		bool has_tenant = false, has_weight = false, ok = true;
		for (int k = 0; k < config_setting_length(g); k++) {
			const config_setting_t *e = config_setting_get_elem(g, (unsigned)k);
			const char *key = config_setting_name(e);
			if (strcmp(key, "tenant") == 0) {
				has_tenant = true;
				ok &= get_name(c, e, "'tenant'", w->tenant) && check_known(c, e, true, w->tenant);
			} else if (strcmp(key, "weight") == 0) {
				has_weight = true;
				ok &= get_count(c, e, "'weight'", &w->weight);
			} else {
				terr(c, e, "'weights': unknown key '%s' (keys: tenant, weight)", key);
				ok = false;
			}
		}
		if (!has_tenant || !has_weight) {
			terr(c, g, "'weights': an entry has no '%s'", has_tenant ? "weight" : "tenant");
			continue;
		}
		if (!ok)
			continue;
		for (size_t j = 0; j < p->n_weights && ok; j++)
			if (strcmp(p->weights[j].tenant, w->tenant) == 0) {
				terr(c, g, "'weights': tenant '%s' has a weight twice", w->tenant);
				ok = false;
			}
		if (!ok)
			continue;
		p->n_weights++;
		bool member = !members;
		for (size_t j = 0; j < p->n_members && !member; j++)
			member = strcmp(p->members[j], w->tenant) == 0;
		if (!member)
			terr(c, g, "pool '%s': tenant '%s' has a weight but is not one of its members", p->name,
			     w->tenant);
	}
	if (c->bad != bad)
		return;
	uint64_t any = 0;
	for (size_t i = 0; i < p->n_weights; i++)
		any |= p->weights[i].weight;
	if (!any)
		terr(c, s, "'weights': every weight is 0, so the pool cannot be shared");
}

/* Which bases a key is for: a bit per enum ft_pool_basis. */
#define B(x) (1u << (x))
#define ALL_BASES (B(FT_BASIS_VOLUME) | B(FT_BASIS_P95) | B(FT_BASIS_PEAK_SHARE) | B(FT_BASIS_EQUAL) | \
                   B(FT_BASIS_WEIGHTS))

static const struct {
	const char *name;
	unsigned bases;
	const char *for_what;
} pool_keys[] = {
	{ "name", ALL_BASES, NULL },
	{ "amount_pence", ALL_BASES, NULL },
	{ "basis", ALL_BASES, NULL },
	{ "direction", B(FT_BASIS_VOLUME) | B(FT_BASIS_PEAK_SHARE), "volume and peak_share" },
	{ "metric", B(FT_BASIS_P95), "p95" },
	{ "classes", B(FT_BASIS_VOLUME), "volume" },
	{ "members", ALL_BASES, NULL },
	{ "prorate", B(FT_BASIS_EQUAL) | B(FT_BASIS_WEIGHTS), "equal and weights" },
	{ "weights", B(FT_BASIS_WEIGHTS), "weights" },
};
enum { K_NAME, K_AMOUNT, K_BASIS, K_DIRECTION, K_METRIC, K_CLASSES, K_MEMBERS, K_PRORATE, K_WEIGHTS,
       N_POOL_KEYS };

static void get_pool(struct tctx *c, const config_setting_t *g, struct ft_pool *p)
{
	const config_setting_t *k[N_POOL_KEYS] = { 0 };
	p->line = config_setting_source_line(g);
	p->direction = FT_POOL_BOTH;
	p->metric = FT_METRIC_IN_PLUS_OUT;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		size_t j = 0;
		while (j < N_POOL_KEYS && strcmp(pool_keys[j].name, config_setting_name(e)) != 0)
			j++;
		if (j == N_POOL_KEYS)
			terr(c, e, "pool: unknown key '%s' (keys: name, amount_pence, basis, direction, metric, "
			     "classes, members, prorate, weights)", config_setting_name(e));
		else
			k[j] = e;
	}

	if (!k[K_NAME])
		terr(c, g, "a pool has no 'name'");
	else
		get_name(c, k[K_NAME], "pool name", p->name);
	if (!k[K_AMOUNT])
		terr(c, g, "pool '%s' has no 'amount_pence'", p->name);
	else
		get_count(c, k[K_AMOUNT], "'amount_pence'", &p->amount_pence);
	int basis = -1;
	if (!k[K_BASIS])
		terr(c, g, "pool '%s' has no 'basis' (volume, p95, peak_share, equal or weights)", p->name);
	else
		basis = get_enum(c, k[K_BASIS], "basis", basis_names, N_OF(basis_names));
	p->basis = basis < 0 ? FT_BASIS_VOLUME : (uint8_t)basis;

	/* The keys the basis does not take: said only once the basis is known. */
	for (size_t j = 0; basis >= 0 && j < N_POOL_KEYS; j++)
		if (k[j] && !(pool_keys[j].bases & B(basis))) {
			terr(c, k[j], "pool '%s': '%s' is only for %s pools, not %s", p->name, pool_keys[j].name,
			     pool_keys[j].for_what, basis_names[basis]);
			k[j] = NULL;
		}
	if (k[K_DIRECTION]) {
		int d = get_enum(c, k[K_DIRECTION], "direction", dir_names, N_OF(dir_names));
		if (d > 0)
			p->direction = (uint8_t)d;
	}
	if (k[K_METRIC]) {
		int m = get_enum(c, k[K_METRIC], "metric", metric_names, N_OF(metric_names));
		if (m >= 0)
			p->metric = (uint8_t)m;
	}
	if (k[K_CLASSES])
		get_names(c, k[K_CLASSES], "classes", false, FT_TARIFF_CLASSES_MAX, &p->classes, &p->n_classes);
	bool members_ok = true;
	if (k[K_MEMBERS])
		members_ok = get_names(c, k[K_MEMBERS], "members", true, FT_TARIFF_MEMBERS_MAX, &p->members,
		                       &p->n_members);
	if (k[K_PRORATE]) {
		if (config_setting_type(k[K_PRORATE]) != CONFIG_TYPE_BOOL)
			terr(c, k[K_PRORATE], "'prorate' must be true or false");
		else
			p->prorate = config_setting_get_bool(k[K_PRORATE]);
	}
	if (basis == FT_BASIS_WEIGHTS && !k[K_WEIGHTS])
		terr(c, g, "pool '%s' has basis weights but no 'weights'", p->name);
	if (k[K_WEIGHTS])
		get_weights(c, k[K_WEIGHTS], p, k[K_MEMBERS] && members_ok);
}

/* A list of groups: NULL (and said) when s is not one. */
static bool group_list(struct tctx *c, const config_setting_t *s, const char *what, const char *example)
{
	if (!config_setting_is_list(s)) {
		terr(c, s, "'%s' must be a list of groups: ( %s, ... )", what, example);
		return false;
	}
	bool ok = true;
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (!config_setting_is_group(g)) {
			terr(c, g, "'%s': element %d is not a group %s", what, i + 1, example);
			ok = false;
		}
	}
	return ok;
}

static void get_pools(struct tctx *c, const config_setting_t *s, struct ft_tariff *t)
{
	if (!group_list(c, s, "pools", "{ name = \"...\"; amount_pence = 100; basis = \"equal\"; }"))
		return;
	size_t n = (size_t)config_setting_length(s);
	if (n > FT_TARIFF_POOLS_MAX) {
		terr(c, s, "'pools' has %zu pools, more than %d", n, FT_TARIFF_POOLS_MAX);
		return;
	}
	if (n && !(t->pools = calloc(n, sizeof(*t->pools)))) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < n && !c->oom; i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		struct ft_pool *p = &t->pools[t->n_pools++];
		get_pool(c, g, p);
		for (size_t j = 0; *p->name && j + 1 < t->n_pools; j++)
			if (strcmp(t->pools[j].name, p->name) == 0) {
				terr(c, g, "pool '%s' is already defined at line %d", p->name, t->pools[j].line);
				break;
			}
	}
}

/* ---- fixed charges ---- */

static void get_fixed(struct tctx *c, const config_setting_t *s, struct ft_tariff *t)
{
	if (!group_list(c, s, "fixed", "{ tenant = \"...\"; pence = 100; description = \"...\"; }"))
		return;
	size_t n = (size_t)config_setting_length(s);
	if (n > FT_TARIFF_MEMBERS_MAX) {
		terr(c, s, "'fixed' has %zu charges, more than %d", n, FT_TARIFF_MEMBERS_MAX);
		return;
	}
	if (n && !(t->fixed = calloc(n, sizeof(*t->fixed)))) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		struct ft_fixed_charge *f = &t->fixed[t->n_fixed++];
		bool has_tenant = false, has_pence = false;
		f->line = config_setting_source_line(g);
		for (int k = 0; k < config_setting_length(g); k++) {
			const config_setting_t *e = config_setting_get_elem(g, (unsigned)k);
			const char *key = config_setting_name(e);
			if (strcmp(key, "tenant") == 0) {
				has_tenant = true;
				if (get_name(c, e, "'tenant'", f->tenant))
					check_known(c, e, true, f->tenant);
			} else if (strcmp(key, "pence") == 0) {
				has_pence = true;
				get_count(c, e, "'pence'", &f->pence);
			} else if (strcmp(key, "description") == 0) {
				const char *v = get_string(c, e, "'description'");
				bool ctl = false;
				for (const char *p = v; p && *p && !ctl; p++)
					ctl = (unsigned char)*p < 0x20 || *p == 0x7f;
				if (v && strlen(v) >= sizeof(f->description))
					terr(c, e, "'description' is %zu bytes, more than %zu", strlen(v),
					     sizeof(f->description) - 1);
				else if (ctl)
					terr(c, e, "'description' holds a control character");
				else if (v)
					snprintf(f->description, sizeof(f->description), "%s", v);
			} else {
				terr(c, e, "fixed: unknown key '%s' (keys: tenant, pence, description)", key);
			}
		}
		if (!has_tenant)
			terr(c, g, "a fixed charge has no 'tenant'");
		if (!has_pence)
			terr(c, g, "a fixed charge has no 'pence'");
	}
}

/* ---- reading ---- */

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&ctx);
	sha256_update(&ctx, n, p);
	sha256_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* text[0..len) (NUL-terminated at len), named name. */
static int parse(const char *text, size_t len, const char *name, const struct ft_tariff_names *names,
                 struct ft_tariff **ret, struct ft_diag *diag)
{
	struct ft_diag local = { 0 };
	if (!diag)
		diag = &local;
	ft_diag_file(diag, name);
	const char *nul = memchr(text, '\0', len);
	int inc = ft_conftext_include_line(text);
	if (nul || inc) {
		int line = 1;
		for (const char *p = text; nul && p < nul; p++)
			line += *p == '\n';
		if (nul)
			ft_diag_add(diag, true, name, line, "holds a NUL byte: a tariff is text");
		else
			ft_diag_add(diag, true, name, inc, "@include: a tariff is one file (its sha256 names it)");
		ft_diag_done(&local);
		return -EINVAL;
	}

	config_t lc;
	config_init(&lc);
	if (!config_read_string(&lc, text)) {
		ft_conftext_syntax_error(&lc, name, text, diag);
		config_destroy(&lc);
		ft_diag_done(&local);
		return -EINVAL;
	}
	struct tctx c = { .file = name, .diag = diag, .names = names };
	struct ft_tariff *t = calloc(1, sizeof(*t));
	if (!t || !(t->file = strdup(name))) {
		c.oom = true;
		goto out;
	}
	sha256_hex((const uint8_t *)text, len, t->sha256);
	const config_setting_t *root = config_root_setting(&lc), *pools = NULL, *fixed = NULL;
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		if (strcmp(config_setting_name(s), "pools") == 0)
			get_pools(&c, pools = s, t);
		else if (strcmp(config_setting_name(s), "fixed") == 0)
			get_fixed(&c, fixed = s, t);
		else
			terr(&c, s, "unknown key '%s' (a tariff has 'pools' and 'fixed')", config_setting_name(s));
		if (c.oom)
			goto out;
	}
	if (!c.bad && !t->n_pools && !t->n_fixed) {
		const config_setting_t *at = pools ? pools : fixed;
		ft_diag_add(diag, true, name, at ? config_setting_source_line(at) : 0,
		            "the tariff charges nothing: it has no pools and no fixed charges");
		c.bad++;
	}
out:
	config_destroy(&lc);
	ft_diag_sort(diag);
	ft_diag_done(&local);
	if (c.oom || c.bad) {
		ft_tariff_free(t);
		return c.oom ? -ENOMEM : -EINVAL;
	}
	*ret = t;
	return 0;
}

int ft_tariff_parse(const char *text, const char *name, const struct ft_tariff_names *names,
                    struct ft_tariff **ret, struct ft_diag *diag)
{
	return parse(text, strlen(text), name, names, ret, diag);
}

int ft_tariff_load(const char *path, const struct ft_tariff_names *names, struct ft_tariff **ret,
                   struct ft_diag *diag)
{
	char *text;
	size_t len;
	int err = ft_file_read_all(path, TARIFF_MAX_BYTES, &text, &len);
	if (err < 0) {
		ft_diag_file(diag, path);
		ft_diag_add(diag, true, path, 0, "cannot read: %s", strerror(-err));
		return err;
	}
	int r = parse(text, len, path, names, ret, diag);
	free(text);
	return r;
}

struct ft_tariff *ft_tariff_free(struct ft_tariff *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_pools; i++) {
		free(t->pools[i].classes);
		free(t->pools[i].members);
		free(t->pools[i].weights);
	}
	free(t->pools);
	free(t->fixed);
	free(t->file);
	free(t);
	return NULL;
}
