/* The set of definitions a dashboard is drawn with (dashboard.h): a directory's .conf
 * files, or the built-in ones, one file per page kind. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/dashboard.h"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keeps d in defs unless its kind has a file already (then refused, in diag). */
static void keep(struct ft_dashboard *defs[FT_DASH__KINDS], struct ft_dashboard *d, struct ft_diag *diag)
{
	if (defs[d->kind]) {
		ft_diag_file(diag, d->file);
		ft_diag_add(diag, true, d->file, 0, "a second definition of the %s pages (%s has them): refused",
		            ft_dash_kind_name(d->kind), defs[d->kind]->file);
		ft_dashboard_free(d);
		return;
	}
	defs[d->kind] = d;
}

int ft_dashboard_load_set(const char *dir, struct ft_dashboard *defs[FT_DASH__KINDS], struct ft_diag *diag)
{
	for (int k = 0; k < FT_DASH__KINDS; k++)
		defs[k] = NULL;
	if (!dir) {
		for (size_t i = 0; i < ft_dash_n_builtins; i++) {
			char name[128];
			struct ft_dashboard *d = NULL;
			snprintf(name, sizeof(name), "(built in) %s", ft_dash_builtins[i].name);
			int r = ft_dashboard_parse(ft_dash_builtins[i].text, name, &d, diag);
			if (r == -ENOMEM) {
				ft_dashboard_set_free(defs);
				return r;
			}
			if (r == 0)
				keep(defs, d, diag);
		}
		return 0;
	}
	DIR *dh = opendir(dir);
	if (!dh) {
		int e = -errno;
		ft_diag_file(diag, dir);
		ft_diag_add(diag, true, dir, 0, "cannot read the directory of dashboard definitions: %s", strerror(-e));
		return e;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **nn = realloc(names, nc * sizeof(*nn));
			if (!nn) {
				r = -ENOMEM;
				break;
			}
			names = nn, cap = nc;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(dh);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && r == 0; i++) {
		char path[4096];
		struct ft_dashboard *d = NULL;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		int e = ft_dashboard_load(path, &d, diag);
		if (e == -ENOMEM)
			r = e;
		else if (e == 0)
			keep(defs, d, diag);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (r < 0)
		ft_dashboard_set_free(defs);
	return r;
}

void ft_dashboard_set_free(struct ft_dashboard *defs[FT_DASH__KINDS])
{
	for (int k = 0; k < FT_DASH__KINDS; k++)
		defs[k] = ft_dashboard_free(defs[k]);
}
