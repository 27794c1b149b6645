/* flowtally replay --by-tenant: attribution of a capture with the daemon's own stages
 * (tenant map, aggregation into steps), summed over the whole capture. */
#ifndef FT_TENANT_REPORT_H
#define FT_TENANT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "flowtally/config.h"
#include "flowtally/flow.h"

struct tenant_report;

/* From a configuration (cfg, whose tenants/step/lateness are used) or, when cfg is
 * NULL, from a plain "prefix tenant" file whose tenant names need no declaration.
 * NULL on error (already reported on stderr); *ret_exit says which exit status. */
struct tenant_report *tenant_report_new(const struct ft_config *cfg, const char *prefixes, int *ret_exit);
struct tenant_report *tenant_report_free(struct tenant_report *t);
void tenant_report_flows(struct tenant_report *t, const struct ft_flow *f, size_t n);
/* The capture's clock: closes the steps whose lateness window has passed. */
void tenant_report_tick(struct tenant_report *t, int64_t now_ns);
/* Closes every step and prints the JSON object. */
void tenant_report_print(struct tenant_report *t);

#endif
