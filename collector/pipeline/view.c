/* Views (view.h): building one from the configuration, and publishing a new one to the
 * receive threads without a lock.
 *
 * current is the published view.  Each reader has two slots: held, the view it uses,
 * and entering, the one it is switching to (or NULL).  A reader enters by storing the
 * current view in entering and reading current again: if it changed in between, it
 * tries again, so once it stops, the publisher (which stores current before it reads
 * the slots) either saw the view in entering or had not retired it yet.  A retired
 * view in no reader's slot is then freed: no reader can come to use it any more.  All
 * atomics are sequentially consistent, which this order (store, then load, on both
 * sides) needs.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/view.h"

static int cmp_if(const void *a, const void *b)
{
	const struct ft_view_if *x = a, *y = b;
	int c = memcmp(x->exporter.b, y->exporter.b, sizeof(x->exporter.b));
	return c ? c : x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

/* The interface table: one entry per exporter address of each interface's device. */
static int copy_ifs(struct ft_view *v, const struct ft_tenant_if *ifs, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += ifs[i].n_exporters;
	v->ifs = calloc(total + 1, sizeof(*v->ifs));
	if (!v->ifs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t e = 0; e < ifs[i].n_exporters; e++) {
			struct ft_view_if *x = &v->ifs[v->n_ifs++];
			x->exporter = ifs[i].exporters[e];
			x->ifindex = ifs[i].ifindex;
			snprintf(x->device, sizeof(x->device), "%s", ifs[i].device);
			snprintf(x->name, sizeof(x->name), "%s", ifs[i].name ? ifs[i].name : "");
			snprintf(x->alias, sizeof(x->alias), "%s", ifs[i].alias ? ifs[i].alias : "");
		}
	qsort(v->ifs, v->n_ifs, sizeof(*v->ifs), cmp_if);
	return 0;
}

int ft_view_build_ifs(const struct ft_config *cfg, const struct ft_tenant_if *ifs, size_t n_ifs,
                      struct ft_diag *diag, struct ft_view **ret)
{
	struct ft_view *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t errors = diag ? diag->errors : 0;
	v->tenants = ft_tenant_map_build_ifs(&cfg->tenants, ifs, n_ifs, diag);
	if (!v->tenants) {
		free(v);
		return diag && diag->errors > errors ? -EINVAL : -ENOMEM;
	}
	if (copy_ifs(v, ifs, n_ifs) < 0) {
		ft_view_free(v);
		return -ENOMEM;
	}
	*ret = v;
	return 0;
}

int ft_view_build(const struct ft_config *cfg, struct ft_diag *diag, struct ft_view **ret)
{
	return ft_view_build_ifs(cfg, NULL, 0, diag, ret);
}

const struct ft_view_if *ft_view_interface(const struct ft_view *v, const struct ft_addr *exporter,
                                           uint32_t ifindex)
{
	struct ft_view_if key = { .exporter = *exporter, .ifindex = ifindex };
	return v->n_ifs ? bsearch(&key, v->ifs, v->n_ifs, sizeof(*v->ifs), cmp_if) : NULL;
}

struct ft_view *ft_view_free(struct ft_view *v)
{
	if (v) {
		ft_tenant_map_free(v->tenants);
		free(v->ifs);
		free(v);
	}
	return NULL;
}

struct reader {
	_Atomic(const struct ft_view *) held;
	_Atomic(const struct ft_view *) entering;
};

struct ft_views {
	_Atomic(const struct ft_view *) current;
	struct reader r[FT_VIEWS_MAX_READERS];
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
	for (unsigned i = 0; i < readers; i++) {
		atomic_store(&vs->r[i].held, first);
		atomic_store(&vs->r[i].entering, NULL);
	}
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

const struct ft_view *ft_views_enter(struct ft_views *vs, unsigned reader)
{
	const struct ft_view *v;
	do {
		v = atomic_load(&vs->current);
		atomic_store(&vs->r[reader].entering, v);
	} while (atomic_load(&vs->current) != v);
	return v;
}

void ft_views_leave(struct ft_views *vs, unsigned reader, bool switched)
{
	if (switched)
		atomic_store(&vs->r[reader].held, atomic_load(&vs->r[reader].entering));
	atomic_store(&vs->r[reader].entering, NULL);
}

static bool in_use(const struct ft_views *vs, const struct ft_view *v)
{
	for (unsigned i = 0; i < vs->readers; i++)
		if (atomic_load(&vs->r[i].held) == v || atomic_load(&vs->r[i].entering) == v)
			return true;
	return false;
}

void ft_views_collect(struct ft_views *vs)
{
	size_t keep = 0;
	for (size_t i = 0; i < vs->n_retired; i++) {
		if (in_use(vs, vs->retired[i]))
			vs->retired[keep++] = vs->retired[i];
		else
			ft_view_free(vs->retired[i]);
	}
	vs->n_retired = keep;
}

size_t ft_views_retired(const struct ft_views *vs)
{
	return vs->n_retired;
}

int ft_views_publish(struct ft_views *vs, struct ft_view *v)
{
	if (vs->n_retired == FT_VIEWS_MAX_RETIRED)
		ft_views_collect(vs);
	if (vs->n_retired == FT_VIEWS_MAX_RETIRED)
		return -EBUSY;
	vs->retired[vs->n_retired++] = (struct ft_view *)atomic_exchange(&vs->current, v);
	ft_views_collect(vs);
	return 0;
}
