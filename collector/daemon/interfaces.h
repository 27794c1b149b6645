/* flowtallyd internals: the interface table the SNMP poller learns, handed from its
 * thread to the control thread, which builds a new view with it when it changes
 * (interfaces.c). */
#ifndef FT_INTERFACES_H
#define FT_INTERFACES_H

#include <stddef.h>

#include "flowtally/snmp.h"
#include "flowtally/tenant.h"

struct ft_ifstate;

/* For the devices of conf (the caller's, for the object's lifetime).  NULL on ENOMEM. */
struct ft_ifstate *ft_ifstate_new(const struct ft_snmp_conf *conf);
struct ft_ifstate *ft_ifstate_free(struct ft_ifstate *s);
/* Readable (an eventfd) when the table changed since the last snapshot. */
int ft_ifstate_fd(const struct ft_ifstate *s);
/* The poller's thread: a device's finished poll.  A failed one keeps what the device
 * had; a successful one whose interfaces (ifIndex, names, alias, description) differ
 * from the last makes the table changed. */
void ft_ifstate_polled(struct ft_ifstate *s, const struct ft_snmp_device *d, int status, const struct ft_snmp_poll *p);

/* Makes the table changed (a view that could not be built is tried again). */
void ft_ifstate_poke(struct ft_ifstate *s);

/* A copy of the table: ifs[0..n) point into it.  ft_ifsnap_done frees it. */
struct ft_ifsnap {
	struct ft_tenant_if *ifs;
	size_t n;
	size_t devices;             /* devices that answered at least once */
	char *strings;
};
/* Any thread (the control thread): the table now; clears the changed state.  0 or
 * -ENOMEM. */
int ft_ifstate_snapshot(struct ft_ifstate *s, struct ft_ifsnap *ret);
void ft_ifsnap_done(struct ft_ifsnap *snap);

#endif
