/* flowtally — the view: everything the stages of the receive path read, built once and
 * immutable (the tenant map now; the interface table learned by SNMP and the GeoIP
 * databases join it as they arrive).  No stage keeps a pointer of its own into it:
 * every stage call is given the view.
 *
 * A reload builds a new view and publishes it (struct ft_views); each receive thread
 * takes the published view up between two batches, so records read before the reload
 * are attributed with the old view and every record read after it with the new one.
 * A replaced view is freed once every thread has moved past it.
 */
#ifndef FLOWTALLY_VIEW_H
#define FLOWTALLY_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "flowtally/config.h"
#include "flowtally/diag.h"
#include "flowtally/tenant.h"

/* One interface of the interface table: what SNMP polling learned of (exporter,
 * ifIndex), for the stages that name interfaces. */
struct ft_view_if {
	struct ft_addr exporter;
	uint32_t ifindex;
	char device[FT_NAME_MAX];
	char name[128];
	char alias[128];
};

struct ft_view {
	struct ft_tenant_map *tenants;       /* attribution: never NULL */
	struct ft_view_if *ifs;              /* the interface table, by exporter then ifIndex */
	size_t n_ifs;
	/* The GeoIP/ASN databases join here. */
};

/* Builds the view cfg asks for.  Problems go to diag (the tenant map's errors, and
 * its lint's warnings); 0 and *ret (the caller's: ft_view_free), -EINVAL when there
 * were errors, -ENOMEM. */
int ft_view_build(const struct ft_config *cfg, struct ft_diag *diag, struct ft_view **ret);
/* The same with the interfaces SNMP polling knows (ft_tenant_map_build_ifs): the
 * tenant map's interface patterns and tags resolved against them, and the interface
 * table for names. */
int ft_view_build_ifs(const struct ft_config *cfg, const struct ft_tenant_if *ifs, size_t n_ifs,
                      struct ft_diag *diag, struct ft_view **ret);
/* The interface ifindex of exporter, or NULL when polling does not know it. */
const struct ft_view_if *ft_view_interface(const struct ft_view *v, const struct ft_addr *exporter,
                                           uint32_t ifindex);
/* NULL-safe; returns NULL. */
struct ft_view *ft_view_free(struct ft_view *v);

/* ---- Publishing views to the receive threads ----
 *
 * One publisher (the control thread) and up to FT_VIEWS_MAX_READERS readers (the
 * receive threads), each with a number.  When ft_views_current() differs from the view
 * it uses, a reader calls ft_views_enter(), which returns the current view and keeps it
 * alive for that reader; having switched to it (or failed to), the reader calls
 * ft_views_leave().  A replaced view is freed as soon as no reader uses it or is
 * entering it, so a burst of reloads costs no more than the views still in use. */

#define FT_VIEWS_MAX_READERS 64
/* Replaced views that may still be alive: at most two a reader (the one it uses, the
 * one it is entering). */
#define FT_VIEWS_MAX_RETIRED (2 * FT_VIEWS_MAX_READERS + 1)

struct ft_views;

/* Takes first (which every reader holds to begin with).  NULL on ENOMEM or when
 * readers > FT_VIEWS_MAX_READERS (first is then the caller's still). */
struct ft_views *ft_views_new(struct ft_view *first, unsigned readers);
/* Frees every view (the readers must have stopped).  NULL-safe; returns NULL. */
struct ft_views *ft_views_free(struct ft_views *vs);

/* Any thread: the view published last, to compare with the one in use (a reader must
 * not use it without ft_views_enter()). */
const struct ft_view *ft_views_current(const struct ft_views *vs);
/* Reader `reader`: the view published last, alive for it until ft_views_leave(). */
const struct ft_view *ft_views_enter(struct ft_views *vs, unsigned reader);
/* Reader `reader`: switched true, it now uses the view it entered (the one it used may
 * go); false, it stays on the view it used. */
void ft_views_leave(struct ft_views *vs, unsigned reader, bool switched);

/* Publisher: makes v current (taken) and retires the one before.  0, or -EBUSY when
 * FT_VIEWS_MAX_RETIRED replaced views are still in use (v is then left to the
 * caller). */
int ft_views_publish(struct ft_views *vs, struct ft_view *v);
/* Publisher: frees the replaced views that no reader uses or is entering. */
void ft_views_collect(struct ft_views *vs);
/* Publisher: replaced views not freed yet. */
size_t ft_views_retired(const struct ft_views *vs);

#endif
