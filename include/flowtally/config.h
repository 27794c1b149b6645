/* flowtally — configuration.
 *
 * One table in config.c holds every key with its type, bounds, default and parser.
 * Files use libconfig syntax (`key = value;`, lists in [ ]); every problem is reported
 * as "file:line: what" and rejects the whole file.  An unknown key is an error.
 */
#ifndef FLOWTALLY_CONFIG_H
#define FLOWTALLY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/diag.h"
#include "flowtally/flow.h"
#include "flowtally/listen.h"
#include "flowtally/netflow.h"
#include "flowtally/tenant.h"

struct ft_config {
	char *source;               /* file name, or "(defaults)" */
	struct ft_listen_addr *listen;
	size_t n_listen;
	struct ft_prefix *exporters;   /* allow-list; empty accepts nothing */
	size_t n_exporters;
	uint32_t receive_buffer;    /* SO_RCVBUF bytes per socket */
	uint32_t receive_threads;   /* sockets per listen address (SO_REUSEPORT) */
	char *data_dir;
	uint32_t step;              /* seconds; divides a day */
	int log_level;
	uint32_t stats_interval;    /* seconds between stats.json rewrites */
	uint32_t max_exporters;
	uint32_t max_templates;     /* per exporter and domain */
	uint32_t template_lifetime; /* seconds; 0 never expires */
	uint32_t pending_sets;      /* data sets kept per exporter awaiting their template */
	uint32_t pending_bytes;
	uint32_t state_interval;    /* seconds between saves of templates to state/ */
	struct ft_exporter_conf *exporter_settings;  /* first match wins */
	size_t n_exporter_settings;
	struct ft_tenant_conf tenants;  /* the tenant map as configured */
	uint32_t lateness;          /* seconds a step stays open for late records */
	char *timezone;             /* local time zone of the edges (recharge months, graphs) */
};

/* The decoder options this configuration asks for (pointers into c). */
void ft_config_netflow_opts(const struct ft_config *c, struct ft_netflow_opts *ret);

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

#endif
