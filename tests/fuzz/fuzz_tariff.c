/* Fuzz target for the tariff file (exporters/recharge/tariff.c): the input is the text
 * of a tariff, read with ft_tariff_parse() against a small fixed list of tenants and
 * classes, then again without names.
 *
 * Checked whatever the bytes: the result is 0 with a tariff or a negative errno without
 * one; -EINVAL has at least one error and 0 none; every finding is "tariff.conf:..." and
 * counted.  On success: every pool's basis, direction and metric is one of the enum's,
 * the counts are within the header's bounds, every name is NUL-terminated and a valid
 * name (and one of the list when the list is given), no pool name appears twice, a
 * weights pool has a weight that is not 0, the sha256 is 64 hex digits; a tariff read
 * with the names is also read without them.
 *
 * An @include is refused by the parser before libconfig could follow it, so the input
 * never opens a file.
 *
 * Seeds: corpus/tariff/ (the example of the recharge issue, variants, and files with
 * errors).
 */
#include <errno.h>
#include <string.h>

#include "flowtally/recharge.h"
#include "fuzz.h"

/* libconfig 1.5 (Debian 12) does not free the string token its grammar refuses (a file
 * `"x"`): that memory is libconfig's, out of config_destroy()'s reach.  As in
 * fuzz_config.c, LeakSanitizer leaves memory allocated inside libconfig alone; any other
 * leak still stops the run. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

static const char *const tenants[] = { "county", "city", "fire", "university" };
static const char *const classes[] = { "internet", "peering", "janet" };
static const struct ft_tariff_names names = { tenants, 4, classes, 3 };

static bool valid_name(const char *s, const char *const *list, size_t n)
{
	if (!memchr(s, '\0', FT_NAME_MAX) || !ft_name_valid(s))
		return false;
	for (size_t i = 0; list && i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return !list;
}

static void check_diag(const struct ft_diag *d, int r)
{
	CHECK(d->errors + d->warnings == d->n);
	CHECK(r != -EINVAL || d->errors > 0);
	CHECK(r != 0 || d->errors == 0);
	for (size_t i = 0; i < d->n; i++)
		CHECK(d->lines[i] && strncmp(d->lines[i], "tariff.conf:", 12) == 0);
}

static void check_tariff(const struct ft_tariff *t, const struct ft_tariff_names *nm)
{
	const char *const *tl = nm ? nm->tenants : NULL, *const *cl = nm ? nm->classes : NULL;
	size_t nt = nm ? nm->n_tenants : 0, nc = nm ? nm->n_classes : 0;
	CHECK(strcmp(t->file, "tariff.conf") == 0);
	CHECK(strlen(t->sha256) == 64 && strspn(t->sha256, "0123456789abcdef") == 64);
	CHECK(t->n_pools + t->n_fixed > 0);
	CHECK(t->n_pools <= FT_TARIFF_POOLS_MAX);
	for (size_t i = 0; i < t->n_pools; i++) {
		const struct ft_pool *p = &t->pools[i];
		CHECK(valid_name(p->name, NULL, 0));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(t->pools[j].name, p->name) != 0);
		CHECK(p->basis <= FT_BASIS_WEIGHTS);
		CHECK(p->direction >= FT_POOL_IN && p->direction <= FT_POOL_BOTH);
		CHECK(p->metric <= FT_METRIC_MAX_IN_OUT);
		CHECK(p->direction == FT_POOL_BOTH || p->basis == FT_BASIS_VOLUME || p->basis == FT_BASIS_PEAK_SHARE);
		CHECK(p->metric == FT_METRIC_IN_PLUS_OUT || p->basis == FT_BASIS_P95);
		CHECK(!p->prorate || p->basis == FT_BASIS_EQUAL || p->basis == FT_BASIS_WEIGHTS);
		CHECK(p->n_classes <= FT_TARIFF_CLASSES_MAX && (p->n_classes == 0 || p->basis == FT_BASIS_VOLUME));
		CHECK(p->n_members <= FT_TARIFF_MEMBERS_MAX && p->n_weights <= FT_TARIFF_MEMBERS_MAX);
		CHECK((p->n_weights > 0) == (p->basis == FT_BASIS_WEIGHTS));
		CHECK(p->line > 0);
		for (size_t j = 0; j < p->n_classes; j++)
			CHECK(valid_name(p->classes[j], cl, nc));
		for (size_t j = 0; j < p->n_members; j++) {
			CHECK(valid_name(p->members[j], tl, nt));
			for (size_t k = 0; k < j; k++)
				CHECK(strcmp(p->members[k], p->members[j]) != 0);
		}
		uint64_t any = 0;
		for (size_t j = 0; j < p->n_weights; j++) {
			CHECK(valid_name(p->weights[j].tenant, tl, nt));
			any |= p->weights[j].weight;
			for (size_t k = 0; k < j; k++)
				CHECK(strcmp(p->weights[k].tenant, p->weights[j].tenant) != 0);
			bool member = p->n_members == 0;
			for (size_t k = 0; k < p->n_members && !member; k++)
				member = strcmp(p->members[k], p->weights[j].tenant) == 0;
			CHECK(member);
		}
		CHECK(p->basis != FT_BASIS_WEIGHTS || any);
	}
	CHECK(t->n_fixed <= FT_TARIFF_MEMBERS_MAX);
	for (size_t i = 0; i < t->n_fixed; i++) {
		CHECK(valid_name(t->fixed[i].tenant, tl, nt));
		CHECK(memchr(t->fixed[i].description, '\0', sizeof(t->fixed[i].description)));
		CHECK(t->fixed[i].line > 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';

	struct ft_tariff *t = NULL, *t2 = NULL;
	struct ft_diag d = { 0 }, d2 = { 0 };
	int r = ft_tariff_parse(text, "tariff.conf", &names, &t, &d);
	CHECK(r <= 0 && (r == 0) == (t != NULL));
	check_diag(&d, r);
	if (getenv("FT_FUZZ_LOG"))
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "fuzz_tariff: %s\n", d.lines[i]);
	if (t)
		check_tariff(t, &names);

	/* Without names: what passed with them passes without. */
	int r2 = ft_tariff_parse(text, "tariff.conf", NULL, &t2, &d2);
	CHECK(r2 <= 0 && (r2 == 0) == (t2 != NULL));
	check_diag(&d2, r2);
	if (t2)
		check_tariff(t2, NULL);
	CHECK(r != 0 || r2 == 0);
	CHECK(!t || !t2 || strcmp(t->sha256, t2->sha256) == 0);

	ft_tariff_free(t);
	ft_tariff_free(t2);
	ft_diag_done(&d);
	ft_diag_done(&d2);
	free(text);
	return 0;
}
