/* Helpers shared by the flowtally subcommands. */
#include <stdio.h>

#include "cli.h"
#include "flowtally/config.h"

/* The length of the well-formed UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;
	if (p[0] >= 0xf5)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))) ||
	    (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))))
		return 0;
	return n;
}

void ft_cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n = *p >= 0x80 ? utf8_len(p) : 1;
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f || n == 0)
			fprintf(f, "\\u%04x", *p);     /* a byte that is not UTF-8: as Latin-1 */
		else {
			fwrite(p, 1, n, f);
			p += n - 1;
		}
	}
	fputc('"', f);
}

int ft_cli_load_config(const char *path, struct ft_config **ret)
{
	struct ft_diag d = { 0 };
	int r = ft_config_load(path, ret, &d);
	for (size_t i = 0; i < d.n; i++)
		if (!d.warning[i] || r < 0)
			fprintf(stderr, "%s\n", d.lines[i]);
	ft_diag_done(&d);
	return r;
}

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
