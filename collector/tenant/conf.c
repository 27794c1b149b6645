/* The tenant map as configured: growable arrays of tenants, classes, rules and
 * accounting points, and the reader of "prefix tenant" files (for maps generated from
 * an IP address management export). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/tenant.h"

/* Makes room for one more element in the array *pp of n elements. */
static bool grow(void *pp, size_t n, size_t elem)
{
	void **p = pp;
	void *nu = realloc(*p, (n + 1) * elem);
	if (!nu)
		return false;
	*p = nu;
	return true;
}

#define GROW(arr, n) grow(&(arr), (n), sizeof(*(arr)))

int ft_tenant_conf_init(struct ft_tenant_conf *c)
{
	*c = (struct ft_tenant_conf){ 0 };
	if (ft_tenant_conf_add_tenant(c, "unattributed", (struct ft_where){ "(built in)", 0 }) < 0 ||
	    ft_tenant_conf_add_class(c, "internet") < 0 || ft_tenant_conf_add_class(c, "partner") < 0) {
		ft_tenant_conf_done(c);
		return -ENOMEM;
	}
	return 0;
}

void ft_tenant_conf_done(struct ft_tenant_conf *c)
{
	free(c->tenants);
	free(c->classes);
	free(c->rules);
	free(c->class_rules);
	free(c->points);
	free(c->if_matches);
	free(c->address_space);
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	*c = (struct ft_tenant_conf){ 0 };
}

const char *ft_tenant_conf_file(struct ft_tenant_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_files; i++)
		if (strcmp(c->files[i], name) == 0)
			return c->files[i];
	char *dup = strdup(name);
	if (!dup || !GROW(c->files, c->n_files)) {
		free(dup);
		return NULL;
	}
	c->files[c->n_files++] = dup;
	return dup;
}

uint16_t ft_tenant_conf_find(const struct ft_tenant_conf *c, const char *name)
{
	for (size_t i = 1; i < c->n_tenants; i++)
		if (strcmp(c->tenants[i].name, name) == 0)
			return (uint16_t)i;
	return 0;
}

int ft_tenant_conf_add_tenant(struct ft_tenant_conf *c, const char *name, struct ft_where at)
{
	if (c->n_tenants > FT_TENANTS_MAX)
		return -ENOSPC;
	if (!GROW(c->tenants, c->n_tenants))
		return -ENOMEM;
	struct ft_tenant_def *t = &c->tenants[c->n_tenants];
	*t = (struct ft_tenant_def){ .at = at };
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->display, sizeof(t->display), "%s", name);
	return (int)c->n_tenants++;
}

int ft_tenant_conf_add_class(struct ft_tenant_conf *c, const char *name)
{
	if (c->n_classes >= FT_CLASSES_MAX)
		return -ENOSPC;
	if (!GROW(c->classes, c->n_classes))
		return -ENOMEM;
	snprintf(c->classes[c->n_classes], FT_NAME_MAX, "%s", name);
	return (int)c->n_classes++;
}

int ft_tenant_conf_add_rule(struct ft_tenant_conf *c, const struct ft_rule *r)
{
	if (!GROW(c->rules, c->n_rules))
		return -ENOMEM;
	c->rules[c->n_rules++] = *r;
	return 0;
}

int ft_tenant_conf_add_if_match(struct ft_tenant_conf *c, const struct ft_if_match *m)
{
	if (!GROW(c->if_matches, c->n_if_matches))
		return -ENOMEM;
	c->if_matches[c->n_if_matches++] = *m;
	return 0;
}

int ft_tenant_conf_add_class_rule(struct ft_tenant_conf *c, const struct ft_class_rule *r)
{
	if (!GROW(c->class_rules, c->n_class_rules))
		return -ENOMEM;
	c->class_rules[c->n_class_rules++] = *r;
	return 0;
}

int ft_tenant_conf_add_point(struct ft_tenant_conf *c, const struct ft_acct_point *p)
{
	if (c->n_points >= FT_POINTS_MAX)
		return -E2BIG;
	if (!GROW(c->points, c->n_points))
		return -ENOMEM;
	c->points[c->n_points++] = *p;
	return 0;
}

static int prefix_line(struct ft_tenant_conf *c, char *line, struct ft_where at, bool implicit,
                       int64_t from, int64_t until, struct ft_diag *diag)
{
	char *save, *pfx = strtok_r(line, " \t\r\n", &save);
	char *name = pfx ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	char *extra = name ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	struct ft_rule r = { .kind = FT_RULE_PREFIX, .from_ms = from, .until_ms = until, .at = at };
	if (!pfx || pfx[0] == '#')
		return 0;
	if (!name || (extra && extra[0] != '#')) {
		ft_diag_add(diag, true, at.file, at.line, "expected 'prefix tenant'");
		return -EINVAL;
	}
	if (ft_prefix_parse(pfx, &r.prefix) < 0) {
		ft_diag_add(diag, true, at.file, at.line, "'%s' is not a prefix (e.g. 10.1.0.0/16)", pfx);
		return -EINVAL;
	}
	int t = ft_tenant_conf_find(c, name);
	if (strcmp(name, "unattributed") == 0 || strcmp(name, "total") == 0) {
		ft_diag_add(diag, true, at.file, at.line, "'%s' is not a tenant name (it names %s)", name,
		            name[0] == 'u' ? "the volume no tenant owns" : "the measured total");
		return -EINVAL;
	}
	if (!t && implicit && ft_name_valid(name))
		t = ft_tenant_conf_add_tenant(c, name, at);
	if (t <= 0) {
		ft_diag_add(diag, true, at.file, at.line, t == 0 && !implicit ?
		            "unknown tenant '%s' (declare it in 'tenants')" : "bad tenant name '%s'", name);
		return -EINVAL;
	}
	r.tenant = (uint16_t)t;
	return ft_tenant_conf_add_rule(c, &r);
}

/* A prefix file that cannot be opened or read: at the line naming it, or the file's own. */
static int cannot_read(const char *path, const struct ft_where *named, int e, struct ft_diag *diag)
{
	if (named)
		ft_diag_add(diag, true, named->file, named->line, "cannot read %s: %s", path, strerror(e));
	else
		ft_diag_add(diag, true, path, 0, "cannot read: %s", strerror(e));
	return -e;
}

int ft_tenant_conf_read_prefixes(struct ft_tenant_conf *c, const char *path, bool implicit,
                                 int64_t from_ms, int64_t until_ms, struct ft_diag *diag)
{
	return ft_tenant_conf_read_prefixes_at(c, path, NULL, implicit, from_ms, until_ms, diag);
}

int ft_tenant_conf_read_prefixes_at(struct ft_tenant_conf *c, const char *path, const struct ft_where *named,
                                    bool implicit, int64_t from_ms, int64_t until_ms, struct ft_diag *diag)
{
	const char *file = ft_tenant_conf_file(c, path);
	FILE *f = file ? fopen(path, "r") : NULL;
	ft_diag_file(diag, path);
	if (!f)
		return cannot_read(path, named, file ? errno : ENOMEM, diag);
	char *line = NULL;
	size_t size = 0;
	int n = 0, bad = 0;
	errno = 0;
	while (getline(&line, &size, f) >= 0) {
		n++;
		int r = prefix_line(c, line, (struct ft_where){ file, n }, implicit, from_ms, until_ms, diag);
		if (r == -ENOMEM) {
			free(line);
			fclose(f);
			return r;
		}
		bad += r < 0;
		errno = 0;
	}
	/* getline() ends a read error as it ends the file: a directory (EISDIR) or an I/O
	 * error must not pass for a file of no prefixes. */
	int e = ferror(f) ? (errno ? errno : EIO) : 0;
	free(line);
	fclose(f);
	if (e)
		return cannot_read(path, named, e, diag);
	return bad ? -EINVAL : 0;
}
