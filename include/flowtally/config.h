/* flowtally — configuration.
 *
 * Files use libconfig syntax (`key = value;`, lists in [ ] or ( )); every problem is
 * reported as "file:line: what" and rejects the whole file.  An unknown key is an
 * error.  struct ft_config holds the general settings and one part per module, each
 * module's struct declared in its own header and parsed by its own section
 * (collector/config/<module>_conf.c), so a module adds keys without touching the
 * others.  A reload parses into a new struct, validates it, then swaps.
 */
#ifndef FLOWTALLY_CONFIG_H
#define FLOWTALLY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/agg.h"
#include "flowtally/diag.h"
#include "flowtally/flow.h"
#include "flowtally/listener.h"
#include "flowtally/netflow.h"
#include "flowtally/rrd.h"
#include "flowtally/snmp.h"
#include "flowtally/tenant.h"

struct ft_config {
	char *source;               /* file name, or "(defaults)" */
	/* general (config.c) */
	char *data_dir;
	int log_level;
	uint32_t stats_interval;    /* seconds between stats.json rewrites */
	uint32_t state_interval;    /* seconds between saves of templates to state/ */
	char *user;                 /* flowtallyd drops to this user once its sockets are open */
	char *group;                /* and this group (the user's own when NULL) */
	char *timezone;             /* local time zone of the edges (recharge months, graphs) */
	uint32_t contract_day;      /* recharge months start on this day (1..28) at 00:00 local */
	uint32_t reconcile_ppm;     /* recharge: SNMP against flows, flagged above this (ppm) */
	char *tariff;               /* recharge: the tariff file when --tariff is not given */
	char *dashboard_definitions;   /* dashboards: a directory of graph definitions (NULL: the
	                             * built-in ones, those of the source's dashboards/) */
	char *dashboard_dir;        /* dashboards: where the site is written (NULL: DATA_DIR/dashboard) */
	uint32_t dashboard_interval;   /* flowtallyd redraws the dashboard every this many seconds
	                             * (0, the default: never; 300: every five minutes) */
	char *dashboard_command;    /* the flowtally program flowtallyd runs to draw it (NULL: found
	                             * beside flowtallyd, then in the install's bindir) */
	struct ft_prefix *exporters;   /* allow-list; empty accepts nothing */
	size_t n_exporters;
	/* the modules' parts */
	struct ft_listener_conf net;        /* UDP sockets (net_conf.c) */
	struct ft_netflow_conf netflow;     /* decoder caps, per-exporter settings (netflow_conf.c) */
	struct ft_tenant_conf tenants;      /* the tenant map as configured (tenant_conf.c) */
	struct ft_agg_conf agg;             /* step and lateness (agg_conf.c) */
	struct ft_rrd_conf rrd;             /* round-robin time series (rrd_conf.c) */
	uint32_t sink_queue;                /* steps queued for the sinks after the ledger */
	struct ft_snmp_conf snmp;           /* SNMP interface polling (snmp_conf.c) */
};

/* The embedded defaults: listen on 127.0.0.1:2055 and [::1]:2055, accept exporters on
 * loopback only, data in ./flowtally-data. */
struct ft_config *ft_config_new_default(void);
struct ft_config *ft_config_free(struct ft_config *c);

/* Reads a file.  Returns 0 and *ret on success (warnings may be in diag), -EINVAL when
 * the file has errors (all in diag), -errno when it cannot be read (also in diag). */
int ft_config_load(const char *path, struct ft_config **ret, struct ft_diag *diag);
/* The same from a string; name stands for the file name in messages. */
int ft_config_parse(const char *text, const char *name, struct ft_config **ret, struct ft_diag *diag);

bool ft_config_exporter_allowed(const struct ft_config *c, const struct ft_addr *a);

/* Whether the system's time zone database knows zone (e.g. "Europe/London"): a file
 * under $TZDIR or /usr/share/zoneinfo in the TZif format. */
bool ft_config_zone_known(const char *zone);

#endif
