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

#include <stddef.h>

#include "flowtally/config.h"
#include "flowtally/diag.h"
#include "flowtally/tenant.h"

struct ft_view {
	struct ft_tenant_map *tenants;       /* attribution: never NULL */
	/* The interface table (SNMP) and the GeoIP/ASN databases join here. */
};

/* Builds the view cfg asks for.  Problems go to diag (the tenant map's errors, and
 * its lint's warnings); 0 and *ret (the caller's: ft_view_free), -EINVAL when there
 * were errors, -ENOMEM. */
int ft_view_build(const struct ft_config *cfg, struct ft_diag *diag, struct ft_view **ret);
/* NULL-safe; returns NULL. */
struct ft_view *ft_view_free(struct ft_view *v);

/* ---- Publishing views to the receive threads ----
 *
 * One publisher (the control thread) and up to FT_VIEWS_MAX_READERS readers (the
 * receive threads), each with a number.  A reader reads ft_views_current() and, once it
 * has switched to that view, says so with ft_views_hold(); until then it goes on with
 * the view it held before, which stays alive.  Replaced views are freed only when
 * every reader holds the current one, so a reader can never be left with a freed view,
 * whenever it reads. */

#define FT_VIEWS_MAX_READERS 64
#define FT_VIEWS_MAX_RETIRED 8

struct ft_views;

/* Takes first (which every reader holds to begin with).  NULL on ENOMEM or when
 * readers > FT_VIEWS_MAX_READERS (first is then the caller's still). */
struct ft_views *ft_views_new(struct ft_view *first, unsigned readers);
/* Frees every view (the readers must have stopped).  NULL-safe; returns NULL. */
struct ft_views *ft_views_free(struct ft_views *vs);

/* Any thread: the view published last. */
const struct ft_view *ft_views_current(const struct ft_views *vs);
/* Reader `reader`: it now uses v, a view it had from ft_views_current(). */
void ft_views_hold(struct ft_views *vs, unsigned reader, const struct ft_view *v);

/* Publisher: makes v current (taken) and retires the one before.  0, or -EBUSY when
 * FT_VIEWS_MAX_RETIRED replaced views still wait for a reader to move past them (v is
 * then left to the caller). */
int ft_views_publish(struct ft_views *vs, struct ft_view *v);
/* Publisher: frees the retired views once every reader holds the current one. */
void ft_views_collect(struct ft_views *vs);

#endif
