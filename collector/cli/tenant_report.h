/* flowtally replay --by-tenant: the closed steps of a capture, summed per tenant,
 * direction and class over the whole capture (tenant_report.c). */
#ifndef FT_TENANT_REPORT_H
#define FT_TENANT_REPORT_H

#include "flowtally/step.h"
#include "flowtally/tenant.h"

struct tenant_report;

/* Sums for the tenants and classes of m (which must outlive it); NULL on ENOMEM. */
struct tenant_report *tenant_report_new(const struct ft_tenant_map *m);
struct tenant_report *tenant_report_free(struct tenant_report *t);
/* Adds a closed step and frees it (a struct ft_step_out function). */
void tenant_report_step(struct ft_step *s, void *ctx);
/* Prints the JSON object. */
void tenant_report_print(const struct tenant_report *t);
/* Steps that broke the attribution contract (an internal error): 0 normally. */
unsigned long tenant_report_bad_steps(const struct tenant_report *t);

#endif
