/* Sums of steps per tenant (and class): what `flowtally ledger show` prints and
 * recharge bills.  Rows stay sorted, so a lookup is a binary search. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/ledger.h"

void ft_ledger_sum_init(struct ft_ledger_sum *sum, bool by_class)
{
	*sum = (struct ft_ledger_sum){ .by_class = by_class };
}

void ft_ledger_sum_done(struct ft_ledger_sum *sum)
{
	free(sum->rows);
	*sum = (struct ft_ledger_sum){ 0 };
}

static int add(struct ft_volume *a, const struct ft_volume *b)
{
	return ft_volume_add_checked(a, b) ? 0 : -EOVERFLOW;
}

static int row_cmp(const struct ft_ledger_row *r, const char *tenant, const char *class_)
{
	int c = strcmp(r->tenant, tenant);
	return c ? c : strcmp(r->class_, class_);
}

/* Index of the row, or where it belongs (*found false). */
static size_t locate(const struct ft_ledger_sum *sum, const char *tenant, const char *class_,
                     bool *found)
{
	size_t lo = 0, hi = sum->n_rows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = row_cmp(&sum->rows[mid], tenant, class_);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct ft_ledger_row *row(struct ft_ledger_sum *sum, const char *tenant, const char *class_)
{
	bool found;
	size_t i = locate(sum, tenant, class_, &found);
	if (found)
		return &sum->rows[i];
	if (sum->n_rows == sum->cap) {
		size_t nc = sum->cap ? 2 * sum->cap : 32;
		struct ft_ledger_row *nv = realloc(sum->rows, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		sum->rows = nv;
		sum->cap = nc;
	}
	memmove(&sum->rows[i + 1], &sum->rows[i], (sum->n_rows - i) * sizeof(*sum->rows));
	sum->n_rows++;
	struct ft_ledger_row *r = &sum->rows[i];
	*r = (struct ft_ledger_row){ 0 };
	snprintf(r->tenant, sizeof(r->tenant), "%s", tenant);
	snprintf(r->class_, sizeof(r->class_), "%s", class_);
	return r;
}

static int add_cell(struct ft_ledger_sum *sum, const struct ft_step_cell *c, const char *class_)
{
	struct ft_ledger_row *r = row(sum, c->tenant, class_);
	if (!r)
		return -ENOMEM;
	return add(c->direction == FT_DIR_OUT ? &r->out : &r->in, &c->v);
}

int ft_ledger_sum_add(struct ft_ledger_sum *sum, const struct ft_step *s)
{
	int rc = 0;
	for (size_t i = 0; i < s->n_cells && rc == 0; i++) {
		rc = add_cell(sum, &s->cells[i], "");
		if (rc == 0 && sum->by_class)
			rc = add_cell(sum, &s->cells[i], s->cells[i].class_);
	}
	if (rc || (rc = add(&sum->unattributed_src, &s->unattributed_src)) ||
	    (rc = add(&sum->unattributed_dst, &s->unattributed_dst)) ||
	    (rc = add(&sum->total, &s->total)) || (rc = add(&sum->late, &s->late)) ||
	    (rc = add(&sum->not_accounted, &s->not_accounted)))
		return rc;
	if (sum->steps == 0 || s->start_ms < sum->first_ms)
		sum->first_ms = s->start_ms;
	if (sum->steps == 0 || s->start_ms + s->length_ms > sum->end_ms)
		sum->end_ms = s->start_ms + s->length_ms;
	sum->steps++;
	return 0;
}

const struct ft_ledger_row *ft_ledger_sum_find(const struct ft_ledger_sum *sum,
                                               const char *tenant, const char *class_)
{
	bool found;
	size_t i = locate(sum, tenant, class_ ? class_ : "", &found);
	return found ? &sum->rows[i] : NULL;
}
