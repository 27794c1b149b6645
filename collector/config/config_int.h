/* Configuration internals shared by config.c and the modules' sections
 * (<module>_conf.c).
 *
 * Each module owns a part of struct ft_config and one section here: its keys (name,
 * type, bounds, offsetof target or apply hook), its embedded defaults, its checks
 * across keys, and what it frees.  config.c reads the file with libconfig and hands
 * every top-level setting to the section that has its key; a module adds keys by
 * adding its own section, without touching the others. */
#ifndef FT_CONFIG_INT_H
#define FT_CONFIG_INT_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "flowtally/config.h"

struct cctx {
	struct ft_config *cfg;
	struct ft_diag *diag;
	const char *file;
};

#define ft_config_err(c, s, ...) \
	ft_diag_add((c)->diag, true, (c)->file, config_setting_source_line(s), __VA_ARGS__)

enum ft_key_type {
	FT_KEY_U32,                 /* a whole number into a uint32_t */
	FT_KEY_SECONDS_MS,          /* seconds, into an int64_t of milliseconds */
	FT_KEY_APPLY,               /* anything else: the key's apply hook */
};

struct ft_config_key {
	const char *name;
	enum ft_key_type type;
	long long min, max;         /* bounds of FT_KEY_U32 and FT_KEY_SECONDS_MS (seconds) */
	size_t off;                 /* offsetof(struct ft_config, ...) of the target */
	/* FT_KEY_APPLY: checks and stores s; 0, -EINVAL (reported in c->diag), -ENOMEM */
	int (*apply)(struct cctx *c, const config_setting_t *s);
	bool late;                  /* applied after every other key (prefix files name tenants) */
};

struct ft_config_section {
	const struct ft_config_key *keys;
	size_t n_keys;
	int (*init)(struct ft_config *c);                   /* the embedded defaults; 0 or -ENOMEM */
	void (*check)(struct cctx *c, const config_t *lc);  /* across keys, once all are read; or NULL */
	void (*done)(struct ft_config *c);                  /* frees what it owns; or NULL */
	/* A file with errors, once all are read: the checks that still apply to the rest of
	 * it (the tenant map's conflicts and lint), so that one run names every problem;
	 * or NULL. */
	void (*rest)(struct cctx *c);
};

extern const struct ft_config_section ft_config_general;    /* config.c */
extern const struct ft_config_section ft_config_net;        /* net_conf.c */
extern const struct ft_config_section ft_config_netflow;    /* netflow_conf.c */
extern const struct ft_config_section ft_config_tenants;    /* tenant_conf.c */
extern const struct ft_config_section ft_config_agg;        /* agg_conf.c */
extern const struct ft_config_section ft_config_rrd;        /* rrd_conf.c */
extern const struct ft_config_section ft_config_snmp;       /* snmp_conf.c */

/* Checks that s is a list (or array) of strings; returns its length or -1 (reported). */
int ft_config_string_list(struct cctx *c, const config_setting_t *s);
/* A non-empty string into *field (freed and replaced); 0, -EINVAL (reported), -ENOMEM. */
int ft_config_string(struct cctx *c, const config_setting_t *s, char **field);
/* The setting named key at the top level, for checks that name its line; or NULL. */
const config_setting_t *ft_config_top(const config_t *lc, const char *key);

#endif
