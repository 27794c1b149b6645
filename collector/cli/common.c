/* Helpers shared by the flowtally subcommands. */
#include <stdio.h>

#include "cli.h"
#include "flowtally/config.h"

int ft_cli_data_dir_from_config(const char *path, char *buf, size_t size)
{
	struct ft_config *cfg = NULL;
	struct ft_diag d = { 0 };
	int r = ft_config_load(path, &cfg, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.lines[i]);
	ft_diag_done(&d);
	if (r == 0)
		snprintf(buf, size, "%s", cfg->data_dir);
	ft_config_free(cfg);
	return r;
}

int ft_cli_config_has_tenant(const char *path, const char *name)
{
	struct ft_config *cfg = NULL;
	int r = ft_config_load(path, &cfg, NULL);
	if (r == 0)
		r = ft_tenant_conf_find(&cfg->tenants, name) != 0;
	ft_config_free(cfg);
	return r;
}
