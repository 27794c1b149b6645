/* flowtally check-config: load a configuration exactly as flowtallyd would, report
 * every finding as file:line (in file and line order), start nothing. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowtally/config.h"
#include "flowtally/dashboard.h"
#include "flowtally/recharge.h"
#include "flowtally/view.h"

static const char usage_text[] =
"Usage: flowtally check-config [-q] FILE\n"
"Validate the flowtallyd configuration FILE without starting anything.  Every error\n"
"and warning is printed as FILE:LINE: what is wrong; any error rejects the file, as\n"
"flowtallyd would.  Unknown keys are errors.  An absent or empty exporter allow-list\n"
"is valid but accepts nothing, and is reported as a warning.  The tenant map is built\n"
"and linted: conflicting assignments are errors; duplicates (shadowed rules), gaps\n"
"between validity periods, address space of 'address_space' that no tenant announces,\n"
"and a map without accounting points are warnings.  A file with errors (a prefix file\n"
"that is missing, say) is linted all the same on the rest of it, so that one run names\n"
"every problem (but for unannounced address space: what failed may announce it).\n"
"Findings come in file and line order: FILE, then the prefix files in the order it\n"
"names them.  When recharge_tariff names a tariff file, it is read as flowtally\n"
"recharge would read it (its tenants and classes those of this file) and its findings\n"
"follow; when dashboard_definitions names a directory, its definition files are read\n"
"as flowtally dashboard would, and a refused one is an error of this file.\n"
"\n"
"  -q, --quiet   print nothing when the file is valid (warnings included)\n"
"  -h, --help    show this help and exit\n"
"\n"
"Exit status: 0 valid (warnings allowed), 1 the file cannot be read, 2 errors found or\n"
"usage error.\n";

int ft_cmd_check_config(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		if (c == 'q') {
			quiet = true;
		} else if (c == 'h') {
			fputs(usage_text, stdout);
			return FT_EXIT_OK;
		} else {
			fputs(usage_text, stderr);
			return FT_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(usage_text, stderr);
		return FT_EXIT_USAGE;
	}
	const char *path = argv[optind];
	struct ft_config *cfg = NULL;
	struct ft_diag d = { 0 };
	int r = ft_config_load(path, &cfg, &d);
	struct ft_view *v = NULL;
	if (r == 0)
		r = ft_view_build(cfg, &d, &v);     /* what the daemon's stages would read */
	ft_diag_sort(&d);                       /* the lint among the rest, by file and line */
	struct ft_tariff *tariff = NULL;
	if (r == 0 && cfg->tariff) {
		/* the tariff as flowtally recharge reads it: after the configuration's findings */
		const char **tn = calloc(cfg->tenants.n_tenants + 1, sizeof(*tn));
		const char **cn = calloc(cfg->tenants.n_classes + 1, sizeof(*cn));
		for (size_t i = 1; tn && i < cfg->tenants.n_tenants; i++)
			tn[i - 1] = cfg->tenants.tenants[i].name;
		for (size_t i = 0; cn && i < cfg->tenants.n_classes; i++)
			cn[i] = cfg->tenants.classes[i];
		struct ft_tariff_names names = { tn, cfg->tenants.n_tenants - 1, cn, cfg->tenants.n_classes };
		r = tn && cn ? ft_tariff_load(cfg->tariff, &names, &tariff, &d) : -ENOMEM;
		if (r == -ENOENT || (r < 0 && r != -EINVAL && r != -ENOMEM))
			r = -EINVAL;                /* a tariff that cannot be read: an error of this file */
		free(tn);
		free(cn);
	}
	/* the dashboard definitions as flowtally dashboard reads them */
	struct ft_dashboard *dash[FT_DASH__KINDS] = { 0 };
	size_t dash_errors = d.errors;
	if (r == 0 && cfg->dashboard_definitions) {
		r = ft_dashboard_load_set(cfg->dashboard_definitions, dash, &d);
		if (r == -ENOMEM)
			;
		else if (r < 0 || d.errors > dash_errors)
			r = -EINVAL;                /* a refused definition: an error of this configuration */
	}
	if (v && !quiet)
		printf("%s: tenant map %s: %zu tenant%s, %zu class%s\n", path, ft_tenant_map_id(v->tenants),
		       ft_tenant_map_n_tenants(v->tenants) - 1, ft_cli_s(ft_tenant_map_n_tenants(v->tenants) - 1),
		       ft_tenant_map_n_classes(v->tenants), ft_tenant_map_n_classes(v->tenants) == 1 ? "" : "es");
	if (v && !quiet && cfg->snmp.n_devices)
		printf("%s: %zu SNMP device%s polled every %u s (gaps beyond %lld s); %zu interface pattern%s%s%s%s\n", path,
		       cfg->snmp.n_devices, ft_cli_s(cfg->snmp.n_devices), cfg->snmp.interval_s,
		       (long long)(cfg->snmp.max_gap_ms / 1000), cfg->tenants.n_if_matches,
		       ft_cli_s(cfg->tenants.n_if_matches), cfg->tenants.if_tag[0] ? ", interface tag [" : "",
		       cfg->tenants.if_tag, cfg->tenants.if_tag[0] ? ":TENANT]" : "");
	if (r == 0 && !quiet)
		printf("%s: recharge months from day %u, 00:00 %s%s\n", path, cfg->contract_day, cfg->timezone,
		       tariff ? "" : "; no tariff (volumes and percentiles only)");
	if (tariff && !quiet)
		printf("%s: tariff %s: %zu pool%s, %zu fixed charge%s, sha256 %s\n", path, tariff->file, tariff->n_pools,
		       ft_cli_s(tariff->n_pools), tariff->n_fixed, ft_cli_s(tariff->n_fixed), tariff->sha256);
	if (r == 0 && !quiet) {
		printf("%s: dashboards: %s; ", path,
		       cfg->dashboard_definitions ? cfg->dashboard_definitions : "the built-in definitions");
		if (cfg->dashboard_interval)
			printf("flowtallyd redraws them every %u s\n", cfg->dashboard_interval);
		else
			printf("flowtallyd does not redraw them (dashboard_interval = 0)\n");
	}
	ft_dashboard_set_free(dash);
	ft_tariff_free(tariff);
	ft_view_free(v);
	for (size_t i = 0; i < d.n && !(quiet && r == 0); i++)   /* -q: nothing when valid */
		fprintf(stderr, "%s\n", d.lines[i]);
	if (r == 0 && !quiet)
		printf("%s: valid (%zu warning%s)\n", path, d.warnings, d.warnings == 1 ? "" : "s");
	else if (r == -EINVAL)                  /* a file that cannot be read said so */
		fprintf(stderr, "%s: %zu error%s: not valid\n", path, d.errors, d.errors == 1 ? "" : "s");
	ft_diag_done(&d);
	ft_config_free(cfg);
	if (r == 0)
		return FT_EXIT_OK;
	return r == -EINVAL ? FT_EXIT_USAGE : FT_EXIT_FAILURE;
}
