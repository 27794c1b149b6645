/* The month's statement (recharge.h): from the bins, per tenant, its exact volumes and
 * its own 95th percentiles over its present bins (all classes and each class), then
 * each cost pool's shares and the fixed charges.
 *
 * A tenant's N is the present bins inside its membership (its earliest rule's start to
 * its latest rule's end), so a tenant that joins mid-month is measured on its own
 * period; missing bins are left out of N, never counted as zero.  Every share is an
 * integer number of pence from ft_recharge_shares(): each pool's shares add up to its
 * amount exactly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/recharge.h"

static bool in_membership(const struct ft_statement_member *m, int64_t bin_start_ms)
{
	return m->from_ms <= bin_start_ms && bin_start_ms < m->until_ms;
}

/* The 95th percentiles of a series over the bins where keep[k]. */
static int p95_of(const struct ft_bins *b, const struct ft_bin_series *s, const uint8_t *keep, struct ft_p95 *ret)
{
	memset(ret, 0, sizeof(*ret));
	uint64_t *v[4];
	size_t n = 0;
	for (int m = 0; m < 4; m++)
		v[m] = malloc((b->n_bins + 1) * sizeof(uint64_t));
	int r = v[0] && v[1] && v[2] && v[3] ? 0 : -ENOMEM;
	for (size_t k = 0; r == 0 && k < b->n_bins; k++) {
		if (!keep[k])
			continue;
		uint64_t in = s ? s->in[k] : 0, out = s ? s->out[k] : 0;
		v[FT_METRIC_IN][n] = in;
		v[FT_METRIC_OUT][n] = out;
		if (__builtin_add_overflow(in, out, &v[FT_METRIC_IN_PLUS_OUT][n]))
			r = -EOVERFLOW;
		v[FT_METRIC_MAX_IN_OUT][n] = in > out ? in : out;
		n++;
	}
	for (int m = 0; r == 0 && m < 4; m++)
		r = ft_recharge_percentile(v[m], n, 95, &ret->bytes[m]);
	for (int m = 0; m < 4; m++)
		free(v[m]);
	return r;
}

static int tenant_classes(const struct ft_bins *b, struct ft_statement_tenant *t, const uint8_t *keep)
{
	bool found = false;
	size_t first = 0, n = 0;
	for (size_t i = 0; i < b->n_series; i++)
		if (strcmp(b->series[i].tenant, t->m.name) == 0 && b->series[i].class_[0]) {
			if (!found)
				first = i;
			found = true;
			n++;
		}
	t->classes = calloc(n + 1, sizeof(*t->classes));
	if (!t->classes)
		return -ENOMEM;
	for (size_t i = first; i < first + n; i++) {
		const struct ft_bin_series *s = &b->series[i];
		struct ft_statement_class *c = &t->classes[t->n_classes++];
		snprintf(c->name, sizeof(c->name), "%s", s->class_);
		c->vin = s->vin;
		c->vout = s->vout;
		int r = p95_of(b, s, keep, &c->p95);
		if (r < 0)
			return r;
	}
	return 0;
}

static int one_tenant(const struct ft_bins *b, const struct ft_statement_member *m, struct ft_statement_tenant *t)
{
	memset(t, 0, sizeof(*t));
	t->m = *m;
	uint8_t *keep = calloc(b->n_bins + 1, 1);
	if (!keep)
		return -ENOMEM;
	for (size_t k = 0; k < b->n_bins; k++) {
		bool member = in_membership(m, b->start_ms + (int64_t)k * FT_RECHARGE_BIN_MS);
		t->bins_member += member;
		keep[k] = member && b->present[k];
		t->bins_present += keep[k];
	}
	const struct ft_bin_series *s = ft_bins_find(b, m->name, "");
	if (s) {
		t->vin = s->vin;
		t->vout = s->vout;
	}
	int r = p95_of(b, s, keep, &t->p95);
	if (r == 0)
		r = tenant_classes(b, t, keep);
	free(keep);
	return r;
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct ft_statement_member *)a)->name, ((const struct ft_statement_member *)b)->name);
}

static struct ft_statement_tenant *find_tenant(struct ft_statement *st, const char *name)
{
	for (size_t i = 0; i < st->n_tenants; i++)
		if (strcmp(st->tenants[i].m.name, name) == 0)
			return &st->tenants[i];
	return NULL;
}

/* ---- pools --------------------------------------------------------------------------------- */

static bool pool_member(const struct ft_pool *p, const char *name)
{
	if (!p->n_members)
		return true;
	for (size_t i = 0; i < p->n_members; i++)
		if (strcmp(p->members[i], name) == 0)
			return true;
	return false;
}

/* in 128 bits: a month's in and out together may pass 2^64 */
static unsigned __int128 dir_bytes(const struct ft_volume *in, const struct ft_volume *out, uint8_t dir)
{
	return (unsigned __int128)(dir & FT_POOL_IN ? in->bytes : 0) + (dir & FT_POOL_OUT ? out->bytes : 0);
}

static unsigned __int128 volume_weight(const struct ft_bins *b, const struct ft_pool *p,
                                       const struct ft_statement_tenant *t)
{
	if (!p->n_classes)
		return dir_bytes(&t->vin, &t->vout, p->direction);
	unsigned __int128 w = 0;
	for (size_t c = 0; c < p->n_classes; c++) {
		const struct ft_bin_series *s = ft_bins_find(b, t->m.name, p->classes[c]);
		if (s)
			w += dir_bytes(&s->vin, &s->vout, p->direction);
	}
	return w;
}

static unsigned __int128 bin_dir(const struct ft_bin_series *s, size_t k, uint8_t dir)
{
	return s ? (unsigned __int128)(dir & FT_POOL_IN ? s->in[k] : 0) + (dir & FT_POOL_OUT ? s->out[k] : 0) : 0;
}

static int cmp_busy(const void *a, const void *b, void *ctx)
{
	const unsigned __int128 *sum = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	if (sum[x] != sum[y])
		return sum[x] > sum[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* peak_share: each member's bytes in the pool's busiest 5 % of the present bins (by the
 * members' summed bins of the direction; ties to the earlier bin). */
static int peak_weights(const struct ft_bins *b, const struct ft_pool *p, struct ft_statement *st,
                        const bool *member, unsigned __int128 *w)
{
	unsigned __int128 *sum = calloc(b->n_bins + 1, sizeof(*sum));
	size_t *order = calloc(b->n_bins + 1, sizeof(*order));
	const struct ft_bin_series **ser = calloc(st->n_tenants + 1, sizeof(*ser));
	if (!sum || !order || !ser) {
		free(sum), free(order), free(ser);
		return -ENOMEM;
	}
	for (size_t i = 0; i < st->n_tenants; i++)
		ser[i] = member[i] ? ft_bins_find(b, st->tenants[i].m.name, "") : NULL;
	size_t n = 0;
	for (size_t k = 0; k < b->n_bins; k++) {
		if (!b->present[k])
			continue;
		for (size_t i = 0; i < st->n_tenants; i++)
			sum[k] += bin_dir(ser[i], k, p->direction);
		order[n++] = k;
	}
	/* the busiest first, the earlier bin first among equals */
	qsort_r(order, n, sizeof(*order), cmp_busy, sum);
	size_t top = (size_t)ft_recharge_rank(n, 5);
	for (size_t i = 0; i < st->n_tenants; i++)
		for (size_t j = 0; j < top; j++)
			w[i] += bin_dir(ser[i], order[j], p->direction);
	free(sum), free(order), free(ser);
	return 0;
}

static int pool_shares(const struct ft_bins *b, const struct ft_pool *p, struct ft_statement *st,
                       struct ft_statement_pool *sp, struct ft_diag *diag, const char *file)
{
	snprintf(sp->name, sizeof(sp->name), "%s", p->name);
	sp->basis = p->basis;
	sp->amount_pence = p->amount_pence;
	sp->shares = calloc(st->n_tenants + 1, sizeof(*sp->shares));
	sp->weights = calloc(st->n_tenants + 1, sizeof(*sp->weights));
	bool *member = calloc(st->n_tenants + 1, sizeof(*member));
	const char **names = calloc(st->n_tenants + 1, sizeof(*names));
	int r = sp->shares && sp->weights && member && names ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < st->n_tenants; i++) {
		const struct ft_statement_tenant *t = &st->tenants[i];
		names[i] = t->m.name;
		member[i] = pool_member(p, t->m.name);
		if (!member[i])
			continue;
		uint64_t span = p->prorate ? t->bins_member : st->bins_expected;
		switch (p->basis) {
		case FT_BASIS_VOLUME: sp->weights[i] = volume_weight(b, p, t); break;
		case FT_BASIS_P95: sp->weights[i] = t->p95.bytes[p->metric]; break;
		case FT_BASIS_EQUAL: sp->weights[i] = span; break;
		case FT_BASIS_WEIGHTS:
			for (size_t w = 0; w < p->n_weights; w++)
				if (strcmp(p->weights[w].tenant, t->m.name) == 0)
					sp->weights[i] = (unsigned __int128)p->weights[w].weight * span;
			break;
		default: break;
		}
	}
	if (r == 0 && p->basis == FT_BASIS_PEAK_SHARE)
		r = peak_weights(b, p, st, member, sp->weights);
	if (r == 0 && st->n_tenants) {
		r = ft_recharge_shares(p->amount_pence, sp->weights, names, st->n_tenants, sp->shares);
		if (r == -EINVAL) {
			ft_diag_add(diag, false, file, p->line, "pool %s: no member has anything to share it by this month "
			            "(every weight is 0): its %llu pence are not charged", p->name,
			            (unsigned long long)p->amount_pence);
			memset(sp->shares, 0, st->n_tenants * sizeof(*sp->shares));
			r = 0;
		}
	}
	for (size_t i = 0; r == 0 && i < st->n_tenants; i++) {
		if (!member[i])
			continue;
		struct ft_statement_tenant *t = &st->tenants[i];
		struct ft_statement_charge *c = realloc(t->charges, (t->n_charges + 1) * sizeof(*c));
		if (!c) {
			r = -ENOMEM;
			break;
		}
		t->charges = c;
		c = &t->charges[t->n_charges++];
		memset(c, 0, sizeof(*c));
		snprintf(c->pool, sizeof(c->pool), "%s", p->name);
		c->basis = p->basis;
		c->pence = sp->shares[i];
		t->total_pence += c->pence;
		st->charged_pence += c->pence;
	}
	free(member);
	free(names);
	return r;
}

static int fixed_charge(const struct ft_fixed_charge *f, struct ft_statement *st, struct ft_diag *diag,
                        const char *file)
{
	struct ft_statement_tenant *t = find_tenant(st, f->tenant);
	if (!t) {
		ft_diag_add(diag, true, file, f->line, "fixed charge: %s is not a tenant of the map this month", f->tenant);
		return -EINVAL;
	}
	struct ft_statement_charge *c = realloc(t->charges, (t->n_charges + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	t->charges = c;
	c = &t->charges[t->n_charges++];
	memset(c, 0, sizeof(*c));
	snprintf(c->pool, sizeof(c->pool), "fixed");
	c->basis = FT_BASIS__FIXED;
	c->pence = f->pence;
	snprintf(c->description, sizeof(c->description), "%s", f->description);
	t->total_pence += f->pence;
	st->charged_pence += f->pence;
	return 0;
}

/* ---- the statement ------------------------------------------------------------------------ */

static int check_members(const struct ft_bins *b, const struct ft_statement *st, struct ft_diag *diag)
{
	int r = 0;
	for (size_t i = 0; i < b->n_series; i++) {
		const char *n = b->series[i].tenant;
		if (b->series[i].class_[0] || strcmp(n, "unattributed") == 0 || strcmp(n, "total") == 0)
			continue;
		bool found = false;
		for (size_t j = 0; j < st->n_tenants && !found; j++)
			found = strcmp(st->tenants[j].m.name, n) == 0;
		if (!found) {
			ft_diag_add(diag, true, "ledger", 0, "tenant %s has traffic this month but is not in the tenant "
			            "map: its volume cannot be billed", n);
			r = -EINVAL;
		}
	}
	return r;
}

int ft_statement_build(const struct ft_bins *b, const struct ft_statement_member *members, size_t n_members,
                       const struct ft_tariff *t, struct ft_statement *ret, struct ft_diag *diag)
{
	struct ft_statement st = { .start_ms = b->start_ms, .end_ms = b->end_ms, .bins_expected = b->n_bins,
	                           .bins_present = b->present_bins };
	struct ft_statement_member *sorted = malloc((n_members + 1) * sizeof(*sorted));
	st.tenants = calloc(n_members + 1, sizeof(*st.tenants));
	int r = sorted && st.tenants ? 0 : -ENOMEM;
	if (r == 0 && n_members) {
		memcpy(sorted, members, n_members * sizeof(*sorted));
		qsort(sorted, n_members, sizeof(*sorted), cmp_member);
	}
	for (size_t i = 0; r == 0 && i < n_members; i++) {
		r = one_tenant(b, &sorted[i], &st.tenants[i]);
		st.n_tenants += r == 0;
	}
	free(sorted);
	if (r == 0)
		r = check_members(b, &st, diag);
	const struct ft_bin_series *u = ft_bins_find(b, "unattributed", ""), *tot = ft_bins_find(b, "total", "");
	if (u) {
		st.unattributed_in = u->vin;
		st.unattributed_out = u->vout;
	}
	if (tot)
		st.total = tot->vout;
	if (r == 0 && t) {
		st.pools = calloc(t->n_pools + 1, sizeof(*st.pools));
		r = st.pools ? 0 : -ENOMEM;
		for (size_t i = 0; r == 0 && i < t->n_pools; i++) {
			r = pool_shares(b, &t->pools[i], &st, &st.pools[i], diag, t->file);
			st.n_pools++;
		}
		for (size_t i = 0; r == 0 && i < t->n_fixed; i++)
			r = fixed_charge(&t->fixed[i], &st, diag, t->file);
	}
	if (r < 0) {
		ft_statement_done(&st);
		return r;
	}
	*ret = st;
	return 0;
}

void ft_statement_done(struct ft_statement *s)
{
	for (size_t i = 0; i < s->n_tenants; i++) {
		free(s->tenants[i].classes);
		free(s->tenants[i].charges);
	}
	free(s->tenants);
	for (size_t i = 0; i < s->n_pools; i++) {
		free(s->pools[i].shares);
		free(s->pools[i].weights);
	}
	free(s->pools);
	memset(s, 0, sizeof(*s));
}
