/* Configuration internals shared by config.c and tenant_conf.c. */
#ifndef FT_CONFIG_INT_H
#define FT_CONFIG_INT_H

#include <libconfig.h>

#include "flowtally/config.h"

struct cctx {
	struct ft_config *cfg;
	struct ft_diag *diag;
	const char *file;
};

#define ft_config_err(c, s, ...) \
	ft_diag_add((c)->diag, true, (c)->file, config_setting_source_line(s), __VA_ARGS__)

/* Checks that s is a list (or array) of strings; returns its length or -1. */
int ft_config_string_list(struct cctx *c, const config_setting_t *s);

int ft_config_apply_tenants(struct cctx *c, const config_setting_t *s);
int ft_config_apply_classes(struct cctx *c, const config_setting_t *s);
int ft_config_apply_points(struct cctx *c, const config_setting_t *s);
int ft_config_apply_prefix_files(struct cctx *c, const config_setting_t *s);
int ft_config_apply_address_space(struct cctx *c, const config_setting_t *s);

#endif
