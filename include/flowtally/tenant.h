/* flowtally — the tenant map: who owns which traffic.
 *
 * struct ft_tenant_conf is the map as configured: tenants, rules that assign traffic to
 * them (interface, VLAN, prefix, AS number; each may be limited to a UTC validity
 * period), named traffic classes (prefix sets) and accounting points.  The
 * configuration module fills it from the configuration file and prefix files.
 *
 * struct ft_tenant_map is built from it once and is immutable: longest-prefix-match
 * tables for tenants and classes, hash tables for interface, VLAN and AS rules, the
 * accounting points.  Readers never lock; a reload builds a new map and swaps a pointer.
 * ft_tenant_attribute() applies the attribution contract (README, "Attribution").
 */
#ifndef FLOWTALLY_TENANT_H
#define FLOWTALLY_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/diag.h"
#include "flowtally/flow.h"
#include "flowtally/names.h"

#define FT_TIME_MIN INT64_MIN   /* open start of a validity period */
#define FT_TIME_MAX INT64_MAX   /* open end */

/* Tenant 0 is "unattributed"; configured tenants are 1..n. */
#define FT_TENANT_UNATTRIBUTED 0
/* Class 0 is "internet", 1 "partner" (the other end is a tenant); configured 2..n. */
#define FT_CLASS_INTERNET 0
#define FT_CLASS_PARTNER 1
#define FT_TENANTS_MAX 4000
#define FT_CLASSES_MAX 64
#define FT_POINTS_MAX 4096      /* accounting points (and so accounting interfaces) */

struct ft_where {
	const char *file;            /* owned by the ft_tenant_conf */
	int line;
};

struct ft_tenant_def {
	char name[FT_NAME_MAX];
	char display[128];
	char cost_centre[32];
	struct ft_where at;
};

enum ft_rule_kind { FT_RULE_INTERFACE, FT_RULE_VLAN, FT_RULE_PREFIX, FT_RULE_ASN };

struct ft_rule {
	uint8_t kind;                /* enum ft_rule_kind */
	bool any_exporter;           /* VLAN rules: any exporter */
	uint16_t tenant;             /* 1..n */
	struct ft_prefix prefix;     /* FT_RULE_PREFIX */
	struct ft_addr exporter;     /* FT_RULE_INTERFACE, FT_RULE_VLAN */
	uint32_t ifindex;            /* FT_RULE_INTERFACE */
	uint32_t value;              /* FT_RULE_VLAN: VLAN ID; FT_RULE_ASN: AS number */
	int64_t from_ms;             /* [from, until) UTC */
	int64_t until_ms;
	struct ft_where at;
};

struct ft_class_rule {
	uint8_t cls;                 /* 2..n */
	struct ft_prefix prefix;
	int64_t from_ms;
	int64_t until_ms;
	struct ft_where at;
};

/* A tenant's interfaces named by what SNMP polling learns of them (an fnmatch(3)
 * pattern on ifName, ifAlias or ifDescr, on one device or any): they become interface
 * rules, exporter + ifIndex, once the interface table knows them. */
enum ft_if_field { FT_IF_NAME, FT_IF_ALIAS, FT_IF_DESCR };
#define FT_IF_PATTERN_MAX 128
struct ft_if_match {
	uint16_t tenant;
	char device[FT_NAME_MAX];    /* "" any polled device */
	uint8_t field;               /* enum ft_if_field */
	char pattern[FT_IF_PATTERN_MAX];
	int64_t from_ms;
	int64_t until_ms;
	struct ft_where at;
};

/* One interface as SNMP polling knows it, for ft_tenant_map_build_ifs (the caller's). */
struct ft_tenant_if {
	const char *device;
	const struct ft_addr *exporters;    /* the addresses the device exports flows from */
	size_t n_exporters;
	uint32_t ifindex;
	const char *name, *alias, *descr;   /* "" when unknown */
};

enum ft_point_dir { FT_POINT_IN = 1, FT_POINT_OUT = 2, FT_POINT_BOTH = 3 };

/* Records count when exported by `exporter` with in_if (IN) or out_if (OUT) = ifindex. */
struct ft_acct_point {
	struct ft_addr exporter;
	uint32_t ifindex;
	uint8_t dir;                 /* enum ft_point_dir */
	int64_t from_ms;
	int64_t until_ms;
	struct ft_where at;
};

struct ft_tenant_conf {
	struct ft_tenant_def *tenants;   /* [0] is "unattributed" */
	size_t n_tenants;                /* including [0] */
	char (*classes)[FT_NAME_MAX];    /* [0] "internet", [1] "partner" */
	size_t n_classes;
	struct ft_rule *rules;
	size_t n_rules;
	struct ft_class_rule *class_rules;
	size_t n_class_rules;
	struct ft_acct_point *points;
	size_t n_points;
	struct ft_if_match *if_matches;  /* in configuration order: the first that matches wins */
	size_t n_if_matches;
	char if_tag[32];                 /* interface_tag: "[TAG:tenant]" in ifAlias or ifDescr
	                                  * names the interface's tenant; "" none */
	struct ft_prefix *address_space; /* the network's address plan, for the lint */
	size_t n_address_space;
	struct ft_where address_space_at;
	struct ft_where tenants_at;      /* where the tenants are declared, for the lint */
	char **files;                    /* names referred to by ft_where */
	size_t n_files;
	/* Only part of the configuration could be read (it has errors): the map is built
	 * for its conflicts and lint alone, and address space is not listed as announced
	 * by no tenant, since what failed may announce it. */
	bool incomplete;
};

/* An empty map: only "unattributed", "internet" and "partner". */
int ft_tenant_conf_init(struct ft_tenant_conf *c);
void ft_tenant_conf_done(struct ft_tenant_conf *c);
/* Interns a file name for ft_where; NULL on ENOMEM. */
const char *ft_tenant_conf_file(struct ft_tenant_conf *c, const char *name);
/* Tenant index by name, or 0. */
uint16_t ft_tenant_conf_find(const struct ft_tenant_conf *c, const char *name);
/* Adds a tenant (name checked by the caller); its index, or negative errno. */
int ft_tenant_conf_add_tenant(struct ft_tenant_conf *c, const char *name, struct ft_where at);
int ft_tenant_conf_add_class(struct ft_tenant_conf *c, const char *name);
int ft_tenant_conf_add_rule(struct ft_tenant_conf *c, const struct ft_rule *r);
int ft_tenant_conf_add_class_rule(struct ft_tenant_conf *c, const struct ft_class_rule *r);
int ft_tenant_conf_add_point(struct ft_tenant_conf *c, const struct ft_acct_point *p);   /* -E2BIG past FT_POINTS_MAX */
int ft_tenant_conf_add_if_match(struct ft_tenant_conf *c, const struct ft_if_match *m);
/* Reads a file of "prefix tenant" lines (# comments, blank lines).  Unknown tenants
 * are errors unless implicit, when they are created.  Problems go to diag as
 * file:line; returns 0, -EINVAL (errors in diag) or -errno (cannot read, in diag too). */
int ft_tenant_conf_read_prefixes(struct ft_tenant_conf *c, const char *path, bool implicit,
                                 int64_t from_ms, int64_t until_ms, struct ft_diag *diag);
/* The same for a file named at `named` (a configuration's file:line), which a file that
 * cannot be read is reported at.  The file takes its place among the files of diag
 * (ft_diag_file()) before it is read. */
int ft_tenant_conf_read_prefixes_at(struct ft_tenant_conf *c, const char *path, const struct ft_where *named,
                                    bool implicit, int64_t from_ms, int64_t until_ms, struct ft_diag *diag);

struct ft_tenant_map;

/* Builds the map.  Errors (conflicting rules) and warnings (the lint: shadowed
 * rules, address space announced by no tenant, validity gaps, no accounting points)
 * go to diag; returns NULL when there were errors or on ENOMEM. */
struct ft_tenant_map *ft_tenant_map_build(const struct ft_tenant_conf *c, struct ft_diag *diag);
/* The same with the interfaces SNMP polling knows: each interface (on every exporter
 * address of its device) that a tenant's pattern matches, or whose ifAlias (else
 * ifDescr) carries the interface tag, gets that tenant's interface rule, unless a rule
 * of the configuration names it already (exporter + ifIndex: that rule wins).  Two
 * patterns on one interface: the first in the configuration wins (a warning in diag);
 * a tag naming no tenant is a warning.  These rules are part of the map's identity. */
struct ft_tenant_map *ft_tenant_map_build_ifs(const struct ft_tenant_conf *c, const struct ft_tenant_if *ifs,
                                              size_t n_ifs, struct ft_diag *diag);
/* Interface rules the interface table gave the map (ft_tenant_map_build_ifs). */
size_t ft_tenant_map_n_if_rules(const struct ft_tenant_map *m);
struct ft_tenant_map *ft_tenant_map_free(struct ft_tenant_map *m);
/* SHA-256 (hex) of the map's canonical form: the same rules give the same ID. */
const char *ft_tenant_map_id(const struct ft_tenant_map *m);
size_t ft_tenant_map_n_tenants(const struct ft_tenant_map *m);    /* including 0 */
size_t ft_tenant_map_n_classes(const struct ft_tenant_map *m);
const struct ft_tenant_def *ft_tenant_map_tenant(const struct ft_tenant_map *m, uint16_t i);
const char *ft_tenant_map_class(const struct ft_tenant_map *m, uint8_t i);

/* An accounting interface: an exporter and ifIndex that accounting points name (one
 * per pair, whatever the points' directions and dates), numbered from 0 in the map. */
struct ft_point_key {
	struct ft_addr exporter;
	uint32_t ifindex;
};
size_t ft_tenant_map_n_point_keys(const struct ft_tenant_map *m);
const struct ft_point_key *ft_tenant_map_point_key(const struct ft_tenant_map *m, size_t i);

struct ft_attr {
	uint16_t src;                /* tenant owning the source, 0 unattributed */
	uint16_t dst;
	uint8_t src_class;           /* class of the source ledger: where the destination is */
	uint8_t dst_class;           /* class of the destination ledger: where the source is */
	bool accounted;              /* inside the accounting points */
	uint16_t point_in;           /* 1 + the accounting interface it came in by (its input
	                              * interface, at a point counting in), 0 none */
	uint16_t point_out;          /* 1 + the one it left by (output interface, counting out) */
};

/* Attributes one flow at its end time.  Precedence per side: interface rule > VLAN rule
 * > longest prefix > AS rule > unattributed. */
void ft_tenant_attribute(const struct ft_tenant_map *m, const struct ft_flow *f, struct ft_attr *ret);
/* The attribution stage: ft_tenant_attribute() of n flows into ret[0..n), faster than n
 * calls (the lookups of several flows are in flight at once). */
void ft_tenant_attribute_batch(const struct ft_tenant_map *m, const struct ft_flow *f, size_t n,
                               struct ft_attr *ret);

#endif
