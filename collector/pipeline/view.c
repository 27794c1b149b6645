/* Views (view.h): building one from the configuration, and publishing a new one to the
 * receive threads without a lock.
 *
 * current is the published view; held[i] the one reader i uses.  A reader only ever
 * holds a view it read from current, and current never goes back to an older view,
 * so once every held[i] equals current no reader can pick up a retired view again:
 * that is when the retired ones are freed.  A reader that read current just before a
 * publish and holds it a moment later holds a view newer than its old one and older
 * than current, which keeps the retired list until it moves on.  (Sequentially
 * consistent atomics: the publisher's store of current comes before its loads of
 * held[].)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "flowtally/view.h"

int ft_view_build(const struct ft_config *cfg, struct ft_diag *diag, struct ft_view **ret)
{
	struct ft_view *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t errors = diag ? diag->errors : 0;
	v->tenants = ft_tenant_map_build(&cfg->tenants, diag);
	if (!v->tenants) {
		free(v);
		return diag && diag->errors > errors ? -EINVAL : -ENOMEM;
	}
	*ret = v;
	return 0;
}

struct ft_view *ft_view_free(struct ft_view *v)
{
	if (v) {
		ft_tenant_map_free(v->tenants);
		free(v);
	}
	return NULL;
}

struct ft_views {
	_Atomic(const struct ft_view *) current;
	_Atomic(const struct ft_view *) held[FT_VIEWS_MAX_READERS];
	unsigned readers;
	struct ft_view *retired[FT_VIEWS_MAX_RETIRED];
	size_t n_retired;
};

struct ft_views *ft_views_new(struct ft_view *first, unsigned readers)
{
	struct ft_views *vs = readers <= FT_VIEWS_MAX_READERS ? calloc(1, sizeof(*vs)) : NULL;
	if (!vs)
		return NULL;
	vs->readers = readers;
	atomic_store(&vs->current, first);
	for (unsigned i = 0; i < readers; i++)
		atomic_store(&vs->held[i], first);
	return vs;
}

struct ft_views *ft_views_free(struct ft_views *vs)
{
	if (!vs)
		return NULL;
	for (size_t i = 0; i < vs->n_retired; i++)
		ft_view_free(vs->retired[i]);
	ft_view_free((struct ft_view *)atomic_load(&vs->current));
	free(vs);
	return NULL;
}

const struct ft_view *ft_views_current(const struct ft_views *vs)
{
	return atomic_load((_Atomic(const struct ft_view *) *)&vs->current);
}

void ft_views_hold(struct ft_views *vs, unsigned reader, const struct ft_view *v)
{
	if (reader < vs->readers)
		atomic_store(&vs->held[reader], v);
}

void ft_views_collect(struct ft_views *vs)
{
	const struct ft_view *cur = atomic_load(&vs->current);
	for (unsigned i = 0; i < vs->readers; i++)
		if (atomic_load(&vs->held[i]) != cur)
			return;
	for (size_t i = 0; i < vs->n_retired; i++)
		ft_view_free(vs->retired[i]);
	vs->n_retired = 0;
}

int ft_views_publish(struct ft_views *vs, struct ft_view *v)
{
	ft_views_collect(vs);
	if (vs->n_retired == FT_VIEWS_MAX_RETIRED)
		return -EBUSY;
	vs->retired[vs->n_retired++] = (struct ft_view *)atomic_exchange(&vs->current, v);
	return 0;
}
