/* What an RRD directory holds (dashboard.h): the tenants and their classes, the
 * exporters, the polled interfaces, and the collector-wide files, names decoded from
 * the file names the RRD sink makes (rrd.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flowtally/dashboard.h"

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int tenant_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ft_dash_tenant *)a)->name, ((const struct ft_dash_tenant *)b)->name);
}

static int link_cmp(const void *a, const void *b)
{
	const struct ft_dash_link *x = a, *y = b;
	int c = strcmp(x->device, y->device);
	return c ? c : strcmp(x->interface, y->interface);
}

static bool is_file(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;
	return snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p) && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The decoded names of dir's NAME.rrd regular files (dirs false) or of its
 * subdirectories (dirs true), sorted.  A missing directory holds none. */
static int names_in(const char *dir, bool dirs, char ***ret, size_t *n_ret, struct ft_diag *diag)
{
	*ret = NULL;
	*n_ret = 0;
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		int e = -errno;
		ft_diag_add(diag, true, dir, 0, "cannot read the directory: %s", strerror(-e));
		return e;
	}
	char **v = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *s = de->d_name;
		size_t len = strlen(s);
		char stem[1024], name[1024];
		if (s[0] == '.')
			continue;
		if (dirs) {
			char p[4096];
			struct stat st;
			if (snprintf(p, sizeof(p), "%s/%s", dir, s) >= (int)sizeof(p) || stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
				continue;
			if (len >= sizeof(stem))
				continue;
			memcpy(stem, s, len + 1);
		} else {
			if (len <= 4 || len - 4 >= sizeof(stem) || strcmp(s + len - 4, ".rrd") != 0 || !is_file(dir, s))
				continue;
			memcpy(stem, s, len - 4);
			stem[len - 4] = '\0';
		}
		if (ft_rrd_name_decode(stem, name, sizeof(name)) < 0) {
			ft_diag_add(diag, false, dir, 0, "'%s' is not a name flowtally writes: left out", s);
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = realloc(v, nc * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv, cap = nc;
		}
		if (!(v[n] = strdup(name))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), str_cmp);
	*ret = v;
	*n_ret = n;
	return 0;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int ft_dash_inventory_scan(const char *rrd_dir, struct ft_dash_inventory *inv, struct ft_diag *diag)
{
	memset(inv, 0, sizeof(*inv));
	char path[4096], enc[1024];
	char **names = NULL;
	size_t n = 0;
	int r;
	struct stat st;
	if (stat(rrd_dir, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		ft_diag_add(diag, true, rrd_dir, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	inv->total = is_file(rrd_dir, "total.rrd");
	inv->unattributed = is_file(rrd_dir, "unattributed.rrd");
	inv->collector = is_file(rrd_dir, "collector.rrd");

	snprintf(path, sizeof(path), "%s/tenants", rrd_dir);
	if ((r = names_in(path, false, &names, &n, diag)) < 0)
		goto fail;
	if (n && !(inv->tenants = calloc(n, sizeof(*inv->tenants)))) {
		free_names(names, n);
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct ft_dash_tenant *t = &inv->tenants[inv->n_tenants++];
		t->name = names[i];
		names[i] = NULL;
		if (ft_rrd_name_encode(t->name, enc, sizeof(enc)) < 0)
			continue;
		char cdir[4096 + 1024];
		snprintf(cdir, sizeof(cdir), "%s/%s", path, enc);
		if ((r = names_in(cdir, false, &t->classes, &t->n_classes, diag)) < 0) {
			free_names(names, n);
			goto fail;
		}
	}
	free(names);
	if (inv->n_tenants)
		qsort(inv->tenants, inv->n_tenants, sizeof(*inv->tenants), tenant_cmp);

	snprintf(path, sizeof(path), "%s/exporters", rrd_dir);
	if ((r = names_in(path, false, &inv->exporters, &inv->n_exporters, diag)) < 0)
		goto fail;

	snprintf(path, sizeof(path), "%s/interfaces", rrd_dir);
	char **devs = NULL;
	size_t n_devs = 0;
	if ((r = names_in(path, true, &devs, &n_devs, diag)) < 0)
		goto fail;
	for (size_t i = 0; i < n_devs && r == 0; i++) {
		char ddir[4096 + 1024];
		char **ifs = NULL;
		size_t n_ifs = 0;
		if (ft_rrd_name_encode(devs[i], enc, sizeof(enc)) < 0)
			continue;
		snprintf(ddir, sizeof(ddir), "%s/%s", path, enc);
		if ((r = names_in(ddir, false, &ifs, &n_ifs, diag)) < 0)
			break;
		struct ft_dash_link *nl = n_ifs ? realloc(inv->links, (inv->n_links + n_ifs) * sizeof(*nl)) : inv->links;
		if (n_ifs && !nl) {
			free_names(ifs, n_ifs);
			r = -ENOMEM;
			break;
		}
		inv->links = nl;
		for (size_t j = 0; j < n_ifs; j++) {
			struct ft_dash_link *l = &inv->links[inv->n_links];
			if (!(l->device = strdup(devs[i]))) {
				free_names(ifs + j, n_ifs - j);
				ifs = NULL;
				r = -ENOMEM;
				break;
			}
			l->interface = ifs[j];
			inv->n_links++;
		}
		free(ifs);
	}
	free_names(devs, n_devs);
	if (r < 0)
		goto fail;
	if (inv->n_links)
		qsort(inv->links, inv->n_links, sizeof(*inv->links), link_cmp);
	return 0;
fail:
	if (r == -ENOMEM)
		ft_diag_add(diag, true, rrd_dir, 0, "out of memory reading the directory");
	ft_dash_inventory_free(inv);
	return r;
}

void ft_dash_inventory_free(struct ft_dash_inventory *inv)
{
	for (size_t i = 0; i < inv->n_tenants; i++) {
		free(inv->tenants[i].name);
		free_names(inv->tenants[i].classes, inv->tenants[i].n_classes);
	}
	free(inv->tenants);
	free_names(inv->exporters, inv->n_exporters);
	for (size_t i = 0; i < inv->n_links; i++) {
		free(inv->links[i].device);
		free(inv->links[i].interface);
	}
	free(inv->links);
	memset(inv, 0, sizeof(*inv));
}

bool ft_dash_inventory_empty(const struct ft_dash_inventory *inv)
{
	return !inv->n_tenants && !inv->n_exporters && !inv->n_links && !inv->total && !inv->unattributed &&
	       !inv->collector;
}
