/* The tenant map, checked against the attribution contract (DESIGN.md, "Attribution
 * rules") rather than against its own code: rule precedence per side, traffic classes,
 * validity dates, accounting points, IPv4 and IPv6 kept apart, the map's identity,
 * conflicts and lint findings, prefix files.  Then thousands of random maps, flow by
 * flow, against a brute-force reading of the same contract written here. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/diag.h"
#include "flowtally/flow.h"
#include "flowtally/tenant.h"

#define DAY 86400000LL
#define T0 1799971200000LL           /* 2027-01-15T00:00:00Z */
#define ALWAYS FT_TIME_MIN, FT_TIME_MAX

/* Random tests build fewer maps under AddressSanitizer, which makes each build (two
 * 64 Ki-entry LPM roots per table) several times slower, and try more flows on each. */
#if defined(__SANITIZE_ADDRESS__)
#define MAPS(n) ((n) / 10)
#define FLOWS(n) ((n) * 4)
#else
#define MAPS(n) (n)
#define FLOWS(n) (n)
#endif

/* ---- helpers ------------------------------------------------------------------------- */

static struct ft_addr addr(const char *s)
{
	struct ft_addr a;
	ck_assert_msg(ft_addr_parse(s, &a) == 0, "bad address %s", s);
	return a;
}

static struct ft_prefix pfx(const char *s)
{
	struct ft_prefix p;
	ck_assert_msg(ft_prefix_parse(s, &p) == 0, "bad prefix %s", s);
	return p;
}

/* A configuration being written, rule by rule, each at the next line of "tenants.conf". */
struct fx {
	struct ft_tenant_conf c;
	struct ft_diag d;
	const char *file;
	int line;
};

static void fx_init(struct fx *x)
{
	memset(x, 0, sizeof(*x));
	ck_assert_int_eq(ft_tenant_conf_init(&x->c), 0);
	x->file = ft_tenant_conf_file(&x->c, "tenants.conf");
	ck_assert_ptr_nonnull(x->file);
}

static void fx_done(struct fx *x)
{
	ft_tenant_conf_done(&x->c);
	ft_diag_done(&x->d);
}

static struct ft_where next_line(struct fx *x)
{
	return (struct ft_where){ x->file, ++x->line };
}

/* The tenant called name, declared on first use. */
static uint16_t tenant(struct fx *x, const char *name)
{
	uint16_t t = ft_tenant_conf_find(&x->c, name);
	if (t)
		return t;
	int r = ft_tenant_conf_add_tenant(&x->c, name, next_line(x));
	ck_assert_int_gt(r, 0);
	return (uint16_t)r;
}

/* The class called name, declared on first use. */
static uint8_t cls(struct fx *x, const char *name)
{
	for (size_t i = 0; i < x->c.n_classes; i++)
		if (strcmp(x->c.classes[i], name) == 0)
			return (uint8_t)i;
	int r = ft_tenant_conf_add_class(&x->c, name);
	ck_assert_int_ge(r, 2);
	return (uint8_t)r;
}

/* Each adds one rule and returns its line. */
static int add_rule(struct fx *x, struct ft_rule r)
{
	r.at = next_line(x);
	ck_assert_int_eq(ft_tenant_conf_add_rule(&x->c, &r), 0);
	return r.at.line;
}

static int prefix_rule(struct fx *x, const char *t, const char *p, int64_t from, int64_t until)
{
	uint16_t ti = tenant(x, t);
	return add_rule(x, (struct ft_rule){ .kind = FT_RULE_PREFIX, .tenant = ti, .prefix = pfx(p),
	                                     .from_ms = from, .until_ms = until });
}

static int iface_rule(struct fx *x, const char *t, const char *exporter, uint32_t ifindex,
                      int64_t from, int64_t until)
{
	uint16_t ti = tenant(x, t);
	return add_rule(x, (struct ft_rule){ .kind = FT_RULE_INTERFACE, .tenant = ti,
	                                     .exporter = addr(exporter), .ifindex = ifindex,
	                                     .from_ms = from, .until_ms = until });
}

/* exporter NULL: any exporter. */
static int vlan_rule(struct fx *x, const char *t, const char *exporter, uint32_t vlan,
                     int64_t from, int64_t until)
{
	uint16_t ti = tenant(x, t);
	struct ft_rule r = { .kind = FT_RULE_VLAN, .tenant = ti, .any_exporter = !exporter,
	                     .value = vlan, .from_ms = from, .until_ms = until };
	if (exporter)
		r.exporter = addr(exporter);
	return add_rule(x, r);
}

static int asn_rule(struct fx *x, const char *t, uint32_t as, int64_t from, int64_t until)
{
	uint16_t ti = tenant(x, t);
	return add_rule(x, (struct ft_rule){ .kind = FT_RULE_ASN, .tenant = ti, .value = as,
	                                     .from_ms = from, .until_ms = until });
}

static int class_rule(struct fx *x, const char *c, const char *p, int64_t from, int64_t until)
{
	struct ft_class_rule r = { .cls = cls(x, c), .prefix = pfx(p), .from_ms = from, .until_ms = until,
	                           .at = next_line(x) };
	ck_assert_int_eq(ft_tenant_conf_add_class_rule(&x->c, &r), 0);
	return r.at.line;
}

static int point(struct fx *x, const char *exporter, uint32_t ifindex, uint8_t dir, int64_t from,
                 int64_t until)
{
	struct ft_acct_point p = { .exporter = addr(exporter), .ifindex = ifindex, .dir = dir,
	                           .from_ms = from, .until_ms = until, .at = next_line(x) };
	ck_assert_int_eq(ft_tenant_conf_add_point(&x->c, &p), 0);
	return p.at.line;
}

/* Builds the map, which must succeed without errors. */
static struct ft_tenant_map *build(struct fx *x)
{
	struct ft_tenant_map *m = ft_tenant_map_build(&x->c, &x->d);
	ck_assert_msg(m != NULL, "map not built: %s", x->d.n ? x->d.lines[0] : "(no finding)");
	ck_assert_uint_eq(x->d.errors, 0);
	return m;
}

/* Some diag line that starts with `start` and contains every one of the NULL-ended
 * strings after it; errors and warnings told apart by the "warning: " that follows
 * the location. */
static bool has_line(const struct ft_diag *d, bool error, const char *start, ...)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *l = d->lines[i];
		if (strncmp(l, start, strlen(start)) != 0 || (strstr(l, ": warning: ") != NULL) == error)
			continue;
		va_list ap;
		bool all = true;
		va_start(ap, start);
		for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
			all = all && strstr(l, s);
		va_end(ap);
		if (all)
			return true;
	}
	return false;
}

static size_t count_lines(const struct ft_diag *d, const char *start)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += strncmp(d->lines[i], start, strlen(start)) == 0;
	return n;
}

static void dump_diag(const struct ft_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  diag: %s\n", d->lines[i]);
}

/* A flow seen by exporter 192.0.2.1, ending at `end`. */
static struct ft_flow flow(const char *src, const char *dst, int64_t end)
{
	struct ft_flow f = { .start_ms = end - 1000, .end_ms = end, .bytes = 1500, .packets = 1,
	                     .sampling_rate = 1 };
	f.exporter = addr("192.0.2.1");
	f.src = addr(src);
	f.dst = addr(dst);
	return f;
}

static const char *tname(const struct ft_tenant_map *m, uint16_t t)
{
	const struct ft_tenant_def *d = ft_tenant_map_tenant(m, t);
	return d ? d->name : "(no such tenant)";
}

static const char *cname(const struct ft_tenant_map *m, uint8_t c)
{
	const char *s = ft_tenant_map_class(m, c);
	return s ? s : "(no such class)";
}

static void expect_at(const struct ft_tenant_map *m, const struct ft_flow *f, const char *src,
                      const char *src_cls, const char *dst, const char *dst_cls, int line)
{
	struct ft_attr a;
	ft_tenant_attribute(m, f, &a);
	bool ok = strcmp(tname(m, a.src), src) == 0 && strcmp(tname(m, a.dst), dst) == 0 &&
	          (!src_cls || strcmp(cname(m, a.src_class), src_cls) == 0) &&
	          (!dst_cls || strcmp(cname(m, a.dst_class), dst_cls) == 0);
	ck_assert_msg(ok, "line %d: got src %s/%s dst %s/%s, want src %s/%s dst %s/%s", line,
	              tname(m, a.src), cname(m, a.src_class), tname(m, a.dst), cname(m, a.dst_class),
	              src, src_cls ? src_cls : "*", dst, dst_cls ? dst_cls : "*");
}

/* Tenants and classes of both sides (a NULL class: not checked). */
#define EXPECT(m, f, s, sc, d, dc) expect_at((m), (f), (s), (sc), (d), (dc), __LINE__)
#define EXPECT_T(m, f, s, d) expect_at((m), (f), (s), NULL, (d), NULL, __LINE__)

static bool accounted(const struct ft_tenant_map *m, const struct ft_flow *f)
{
	struct ft_attr a;
	ft_tenant_attribute(m, f, &a);
	return a.accounted;
}

/* ---- precedence ---------------------------------------------------------------------- */

START_TEST(interface_beats_vlan_beats_prefix_beats_as)
{
	struct fx x;
	fx_init(&x);
	iface_rule(&x, "iface", "192.0.2.1", 10, ALWAYS);
	vlan_rule(&x, "vlan-e1", "192.0.2.1", 100, ALWAYS);
	vlan_rule(&x, "vlan-any", NULL, 100, ALWAYS);
	prefix_rule(&x, "pfx", "10.1.0.0/16", ALWAYS);
	asn_rule(&x, "as", 64500, ALWAYS);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("10.1.0.1", "10.1.0.2", T0);
	f.in_if = f.out_if = 10;
	f.vlan = 100;
	f.src_as = f.dst_as = 64500;
	EXPECT_T(m, &f, "iface", "iface");
	f.in_if = 11;                          /* source side: the input interface decides */
	EXPECT_T(m, &f, "vlan-e1", "iface");
	f.out_if = 11;
	EXPECT_T(m, &f, "vlan-e1", "vlan-e1");
	f.exporter = addr("192.0.2.2");        /* no rule for this exporter's VLAN 100 */
	f.in_if = f.out_if = 10;               /* nor for its interface 10 */
	EXPECT_T(m, &f, "vlan-any", "vlan-any");
	f.vlan = 300;
	EXPECT_T(m, &f, "pfx", "pfx");
	f.src = addr("10.9.0.1");
	EXPECT_T(m, &f, "as", "pfx");
	f.dst = addr("10.9.0.2");
	EXPECT_T(m, &f, "as", "as");
	f.src_as = 0;
	f.dst_as = 64501;
	EXPECT_T(m, &f, "unattributed", "unattributed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(interface_rules_are_per_exporter_and_side)
{
	struct fx x;
	fx_init(&x);
	iface_rule(&x, "up", "192.0.2.1", 1, ALWAYS);
	iface_rule(&x, "down", "192.0.2.1", 2, ALWAYS);
	iface_rule(&x, "v6-router", "2001:db8::1", 1, ALWAYS);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("198.51.100.1", "203.0.113.1", T0);
	f.in_if = 1;
	f.out_if = 2;
	EXPECT(m, &f, "up", "partner", "down", "partner");
	f.in_if = 2;
	f.out_if = 1;
	EXPECT(m, &f, "down", "partner", "up", "partner");
	f.exporter = addr("2001:db8::1");
	EXPECT(m, &f, "unattributed", "partner", "v6-router", "internet");
	f.exporter = addr("192.0.2.9");
	EXPECT(m, &f, "unattributed", "internet", "unattributed", "internet");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(vlan_exporter_rule_before_any_exporter_rule)
{
	struct fx x;
	fx_init(&x);
	vlan_rule(&x, "here", "192.0.2.1", 100, ALWAYS);
	vlan_rule(&x, "anywhere", NULL, 100, ALWAYS);
	vlan_rule(&x, "two-hundred", NULL, 200, ALWAYS);
	vlan_rule(&x, "v6-exporter", "2001:db8::1", 200, ALWAYS);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("198.51.100.1", "203.0.113.1", T0);
	f.vlan = 100;
	EXPECT_T(m, &f, "here", "here");
	f.exporter = addr("192.0.2.77");
	EXPECT_T(m, &f, "anywhere", "anywhere");
	f.vlan = 200;
	EXPECT_T(m, &f, "two-hundred", "two-hundred");
	f.exporter = addr("2001:db8::1");
	EXPECT_T(m, &f, "v6-exporter", "v6-exporter");
	f.vlan = 0;                               /* no VLAN */
	EXPECT_T(m, &f, "unattributed", "unattributed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(destination_side_takes_the_egress_vlan_when_set)
{
	struct fx x;
	fx_init(&x);
	vlan_rule(&x, "v100", "192.0.2.1", 100, ALWAYS);
	vlan_rule(&x, "v200", NULL, 200, ALWAYS);
	prefix_rule(&x, "pfx", "10.0.0.0/8", ALWAYS);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("10.0.0.1", "10.0.0.2", T0);
	f.vlan = 300;
	f.post_vlan = 100;
	EXPECT_T(m, &f, "pfx", "v100");
	f.vlan = 100;
	f.post_vlan = 300;                        /* the egress VLAN has no rule: not v100 */
	EXPECT_T(m, &f, "v100", "pfx");
	f.vlan = 200;
	f.post_vlan = 0;                          /* none: the ingress VLAN serves both sides */
	EXPECT_T(m, &f, "v200", "v200");
	f.vlan = 0;
	f.post_vlan = 200;
	EXPECT_T(m, &f, "pfx", "v200");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(longest_prefix_then_as_on_both_sides)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "wide", "10.0.0.0/8", ALWAYS);
	prefix_rule(&x, "narrow", "10.1.0.0/16", ALWAYS);
	prefix_rule(&x, "host", "10.1.2.3/32", ALWAYS);
	prefix_rule(&x, "six", "2001:db8::/32", ALWAYS);
	prefix_rule(&x, "six-narrow", "2001:db8:1::/48", ALWAYS);
	asn_rule(&x, "by-as", 65001, ALWAYS);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("10.1.2.3", "10.1.2.4", T0);
	EXPECT_T(m, &f, "host", "narrow");
	f.src = addr("10.2.0.1");
	f.dst = addr("10.1.255.255");
	EXPECT_T(m, &f, "wide", "narrow");
	f.src = addr("2001:db8:1:ffff::1");
	f.dst = addr("2001:db8:2::1");
	EXPECT_T(m, &f, "six-narrow", "six");
	f.src = addr("11.0.0.1");
	f.dst = addr("2001:db9::1");
	f.src_as = 65001;
	f.dst_as = 65001;
	EXPECT_T(m, &f, "by-as", "by-as");
	f.src = addr("10.0.0.1");                 /* a prefix beats the AS rule */
	EXPECT_T(m, &f, "wide", "by-as");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

/* ---- classes ------------------------------------------------------------------------- */

START_TEST(class_is_where_the_other_end_is)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "acme", "10.1.0.0/16", ALWAYS);
	prefix_rule(&x, "bravo", "10.2.0.0/16", ALWAYS);
	class_rule(&x, "psn", "10.0.0.0/8", ALWAYS);
	class_rule(&x, "hscn", "10.200.0.0/16", ALWAYS);
	class_rule(&x, "janet", "2001:630::/32", ALWAYS);
	iface_rule(&x, "transit", "192.0.2.1", 7, ALWAYS);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0);
	EXPECT(m, &f, "acme", "partner", "bravo", "partner");
	f.dst = addr("10.9.9.9");                 /* psn, and no tenant's */
	EXPECT(m, &f, "acme", "psn", "unattributed", "partner");
	f.dst = addr("10.200.1.1");               /* the longest class prefix */
	EXPECT(m, &f, "acme", "hscn", "unattributed", "partner");
	f.dst = addr("8.8.8.8");
	EXPECT(m, &f, "acme", "internet", "unattributed", "partner");
	f.src = addr("10.9.9.9");
	f.dst = addr("10.2.3.4");
	EXPECT(m, &f, "unattributed", "partner", "bravo", "psn");
	f.src = addr("10.200.0.1");
	f.dst = addr("8.8.4.4");
	EXPECT(m, &f, "unattributed", "internet", "unattributed", "hscn");
	f.src = addr("2001:630:1::1");
	f.dst = addr("2001:db8::1");
	EXPECT(m, &f, "unattributed", "internet", "unattributed", "janet");
	/* A tenant by interface makes the other side's class "partner", whatever the
	 * address says. */
	f.src = addr("10.200.0.1");
	f.dst = addr("10.1.2.3");
	f.in_if = 7;
	EXPECT(m, &f, "transit", "partner", "acme", "partner");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(class_rules_have_dates_too)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "acme", "10.1.0.0/16", ALWAYS);
	class_rule(&x, "psn", "172.16.0.0/12", FT_TIME_MIN, T0);
	class_rule(&x, "hscn", "172.16.0.0/12", T0, FT_TIME_MAX);
	class_rule(&x, "janet", "172.16.5.0/24", T0 + DAY, T0 + 2 * DAY);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("10.1.0.1", "172.16.5.1", T0 - 1);
	EXPECT(m, &f, "acme", "psn", "unattributed", "partner");
	f.end_ms = T0;
	EXPECT(m, &f, "acme", "hscn", "unattributed", "partner");
	f.end_ms = T0 + DAY;
	EXPECT(m, &f, "acme", "janet", "unattributed", "partner");
	f.end_ms = T0 + 2 * DAY;
	EXPECT(m, &f, "acme", "hscn", "unattributed", "partner");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

/* ---- effective dates ----------------------------------------------------------------- */

START_TEST(dated_prefix_falls_back_to_the_covering_prefix)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "wide", "10.0.0.0/8", ALWAYS);
	prefix_rule(&x, "mid", "10.1.0.0/16", T0, T0 + DAY);
	prefix_rule(&x, "deep", "10.1.2.0/24", T0 + DAY / 2, T0 + 2 * DAY);
	prefix_rule(&x, "alone", "192.168.0.0/16", T0, T0 + DAY);
	struct ft_tenant_map *m = build(&x);

	static const struct { int64_t t; const char *in24, *in16, *alone; } want[] = {
		{ T0 - 1, "wide", "wide", "unattributed" },
		{ T0, "mid", "mid", "alone" },
		{ T0 + DAY / 2 - 1, "mid", "mid", "alone" },
		{ T0 + DAY / 2, "deep", "mid", "alone" },
		{ T0 + DAY - 1, "deep", "mid", "alone" },
		{ T0 + DAY, "deep", "wide", "unattributed" },
		{ T0 + 2 * DAY - 1, "deep", "wide", "unattributed" },
		{ T0 + 2 * DAY, "wide", "wide", "unattributed" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct ft_flow f = flow("10.1.2.3", "10.1.9.9", want[i].t);
		EXPECT_T(m, &f, want[i].in24, want[i].in16);
		f = flow("192.168.1.1", "10.1.2.255", want[i].t);
		EXPECT_T(m, &f, want[i].alone, want[i].in24);
	}
	/* The end of the flow decides, not its start. */
	struct ft_flow f = flow("10.1.9.9", "10.1.9.9", T0);
	f.start_ms = T0 - DAY;
	EXPECT_T(m, &f, "mid", "mid");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(renumbered_prefix_changes_owner_on_the_day)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "old-owner", "10.5.0.0/16", FT_TIME_MIN, T0);
	prefix_rule(&x, "new-owner", "10.5.0.0/16", T0, FT_TIME_MAX);
	struct ft_tenant_map *m = build(&x);
	ck_assert_msg(!has_line(&x.d, false, "tenants.conf:", "10.5.0.0/16", NULL),
	              "adjacent periods are neither a conflict nor a gap");

	struct ft_flow f = flow("10.5.1.1", "8.8.8.8", T0 - 1);
	EXPECT_T(m, &f, "old-owner", "unattributed");
	f.end_ms = T0;
	EXPECT_T(m, &f, "new-owner", "unattributed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(interface_rule_only_in_its_period)
{
	struct fx x;
	fx_init(&x);
	iface_rule(&x, "leased", "192.0.2.1", 4, T0, T0 + DAY);
	vlan_rule(&x, "vlan", NULL, 42, T0 + DAY / 2, FT_TIME_MAX);
	prefix_rule(&x, "owner", "10.0.0.0/8", ALWAYS);
	asn_rule(&x, "as", 64999, FT_TIME_MIN, T0);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("10.0.0.1", "11.0.0.1", T0 - 1);
	f.in_if = 4;
	f.vlan = 42;
	f.dst_as = 64999;
	EXPECT_T(m, &f, "owner", "as");
	f.end_ms = T0;
	EXPECT_T(m, &f, "leased", "unattributed");
	f.end_ms = T0 + DAY / 2;
	EXPECT_T(m, &f, "leased", "vlan");
	f.end_ms = T0 + DAY - 1;
	EXPECT_T(m, &f, "leased", "vlan");
	f.end_ms = T0 + DAY;
	EXPECT_T(m, &f, "vlan", "vlan");
	f.vlan = 0;
	EXPECT_T(m, &f, "owner", "unattributed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

/* ---- accounting points --------------------------------------------------------------- */

START_TEST(only_records_at_accounting_points_count)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "acme", "10.1.0.0/16", ALWAYS);
	point(&x, "192.0.2.1", 5, FT_POINT_IN, ALWAYS);
	point(&x, "192.0.2.1", 7, FT_POINT_OUT, ALWAYS);
	point(&x, "2001:db8::2", 5, FT_POINT_BOTH, ALWAYS);
	point(&x, "192.0.2.3", 9, FT_POINT_BOTH, T0, T0 + DAY);
	struct ft_tenant_map *m = build(&x);

	static const struct { const char *exporter; uint32_t in, out; int64_t t; bool counts; } c[] = {
		{ "192.0.2.1", 5, 1, T0, true },
		{ "192.0.2.1", 1, 5, T0, false },      /* point 5 is "in" only */
		{ "192.0.2.1", 1, 7, T0, true },
		{ "192.0.2.1", 7, 1, T0, false },      /* point 7 is "out" only */
		{ "192.0.2.1", 1, 2, T0, false },
		{ "2001:db8::2", 5, 1, T0, true },
		{ "2001:db8::2", 1, 5, T0, true },
		{ "2001:db8::2", 7, 7, T0, false },
		{ "192.0.2.2", 5, 7, T0, false },      /* another exporter */
		{ "192.0.2.3", 9, 1, T0 - 1, false },  /* before its period */
		{ "192.0.2.3", 9, 1, T0, true },
		{ "192.0.2.3", 1, 9, T0 + DAY - 1, true },
		{ "192.0.2.3", 9, 9, T0 + DAY, false },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ft_flow f = flow("10.1.0.1", "8.8.8.8", c[i].t);
		f.exporter = addr(c[i].exporter);
		f.in_if = c[i].in;
		f.out_if = c[i].out;
		ck_assert_msg(accounted(m, &f) == c[i].counts, "case %zu: %s in %u out %u", i, c[i].exporter,
		              c[i].in, c[i].out);
		f.flags = FT_FLOW_NOT_ACCOUNTED;
		ck_assert_msg(!accounted(m, &f), "case %zu: a not-accounted record counted", i);
	}
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(without_points_everything_counts_but_not_accounted_flows)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "acme", "10.1.0.0/16", ALWAYS);
	struct ft_tenant_map *m = build(&x);
	ck_assert_msg(has_line(&x.d, false, "", "accounting_points", NULL),
	              "a map of tenants without accounting points is worth a warning");

	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", T0);
	f.exporter = addr("203.0.113.200");
	f.in_if = 77;
	ck_assert(accounted(m, &f));
	f.flags = FT_FLOW_SECOND_HALF;
	ck_assert(accounted(m, &f));
	f.flags = FT_FLOW_NOT_ACCOUNTED;
	ck_assert(!accounted(m, &f));
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

/* ---- the two families ---------------------------------------------------------------- */

START_TEST(ipv6_default_does_not_catch_ipv4)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "v6-all", "::/0", ALWAYS);
	prefix_rule(&x, "v6-low", "::/80", ALWAYS);   /* covers ::ffff:0:0/96 as bits */
	class_rule(&x, "v6-class", "::/0", ALWAYS);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("10.1.2.3", "192.0.2.55", T0);
	EXPECT(m, &f, "unattributed", "internet", "unattributed", "internet");
	f.src = addr("2001:db8::1");
	f.dst = addr("::1");
	EXPECT(m, &f, "v6-all", "partner", "v6-low", "partner");
	f.dst = addr("198.51.100.1");
	EXPECT(m, &f, "v6-all", "internet", "unattributed", "partner");
	f.src = addr("198.51.100.1");
	f.dst = addr("2001:db8::99");
	EXPECT(m, &f, "unattributed", "partner", "v6-all", "internet");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(ipv4_default_does_not_catch_ipv6)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "v4-all", "0.0.0.0/0", ALWAYS);
	prefix_rule(&x, "v6-doc", "2001:db8::/32", ALWAYS);
	class_rule(&x, "v4-class", "0.0.0.0/0", ALWAYS);
	struct ft_tenant_map *m = build(&x);

	struct ft_flow f = flow("2001:db9::1", "2001:db8::1", T0);
	EXPECT(m, &f, "unattributed", "partner", "v6-doc", "internet");
	f.src = addr("::ffff:0:1");               /* an IPv4-mapped address is IPv4 */
	EXPECT(m, &f, "v4-all", "partner", "v6-doc", "partner");
	f.src = addr("2001:db9::1");
	f.dst = addr("2001:dba::1");
	EXPECT(m, &f, "unattributed", "internet", "unattributed", "internet");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

/* ---- identity ------------------------------------------------------------------------ */

/* One line of a test map. */
struct spec {
	char kind;              /* P prefix, I interface, V VLAN, A AS, K class rule, X point */
	const char *a;          /* prefix or exporter (V: NULL for any) */
	const char *who;        /* tenant; K: class; X: "in", "out" or "both" */
	uint32_t n;             /* ifindex, VLAN or AS */
	int64_t from, until;
};

static void apply(struct fx *x, const struct spec *s)
{
	switch (s->kind) {
	case 'P': prefix_rule(x, s->who, s->a, s->from, s->until); break;
	case 'I': iface_rule(x, s->who, s->a, s->n, s->from, s->until); break;
	case 'V': vlan_rule(x, s->who, s->a, s->n, s->from, s->until); break;
	case 'A': asn_rule(x, s->who, s->n, s->from, s->until); break;
	case 'K': class_rule(x, s->who, s->a, s->from, s->until); break;
	default:
		point(x, s->a, s->n, strcmp(s->who, "in") == 0 ? FT_POINT_IN :
		      strcmp(s->who, "out") == 0 ? FT_POINT_OUT : FT_POINT_BOTH, s->from, s->until);
		break;
	}
}

static const struct spec id_map[] = {
	{ 'P', "10.1.0.0/16", "acme", 0, ALWAYS },
	{ 'P', "10.1.128.0/17", "bravo", 0, T0, T0 + DAY },
	{ 'P', "2001:db8:1::/48", "charlie", 0, ALWAYS },
	{ 'P', "10.2.0.0/16", "charlie", 0, FT_TIME_MIN, T0 },
	{ 'I', "192.0.2.1", "bravo", 3, ALWAYS },
	{ 'V', NULL, "acme", 100, ALWAYS },
	{ 'V', "192.0.2.1", "charlie", 100, T0, FT_TIME_MAX },
	{ 'A', NULL, "acme", 64500, ALWAYS },
	{ 'K', "172.16.0.0/12", "psn", 0, ALWAYS },
	{ 'K', "2001:630::/32", "janet", 0, ALWAYS },
	{ 'X', "192.0.2.1", "in", 3, ALWAYS },
	{ 'X', "192.0.2.2", "both", 1, T0, FT_TIME_MAX },
};
#define N_ID (sizeof(id_map) / sizeof(id_map[0]))

/* The map of `specs`, in order or backwards, with classes declared in the given order;
 * its ID into id. */
static void map_id_of(const struct spec *specs, size_t n, bool backwards, const char *const *classes,
                      const char *file, char id[65])
{
	struct fx x;
	fx_init(&x);
	x.file = ft_tenant_conf_file(&x.c, file);
	for (size_t i = 0; classes[i]; i++)
		cls(&x, classes[i]);
	for (size_t i = 0; i < n; i++)
		apply(&x, &specs[backwards ? n - 1 - i : i]);
	struct ft_tenant_map *m = build(&x);
	ck_assert_uint_eq(strlen(ft_tenant_map_id(m)), 64);
	snprintf(id, 65, "%s", ft_tenant_map_id(m));
	ft_tenant_map_free(m);
	fx_done(&x);
}

static const char *const psn_janet[] = { "psn", "janet", NULL };

START_TEST(same_rules_in_another_order_same_id)
{
	char a[65], b[65], c[65];
	map_id_of(id_map, N_ID, false, psn_janet, "tenants.conf", a);
	map_id_of(id_map, N_ID, true, psn_janet, "tenants.conf", b);
	map_id_of(id_map, N_ID, false, psn_janet, "other/place.conf", c);
	for (size_t i = 0; i < 64; i++)
		ck_assert_msg(strchr("0123456789abcdef", a[i]), "ID %s is not lowercase hex", a);
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(a, c);
}
END_TEST

START_TEST(same_classes_in_another_order_same_id)
{
	static const char *const janet_psn[] = { "janet", "psn", NULL };
	char a[65], b[65];
	map_id_of(id_map, N_ID, false, psn_janet, "tenants.conf", a);
	map_id_of(id_map, N_ID, false, janet_psn, "tenants.conf", b);
	ck_assert_msg(strcmp(a, b) == 0, "classes psn, janet declared the other way round give "
	              "another map ID (%s vs %s), though class numbers are internal", a, b);
}
END_TEST

START_TEST(a_changed_rule_changes_the_id)
{
	struct spec s[N_ID];
	char base[65], ids[7][65];
	map_id_of(id_map, N_ID, false, psn_janet, "tenants.conf", base);
	for (int v = 0; v < 7; v++) {
		memcpy(s, id_map, sizeof(s));
		switch (v) {
		case 0: s[0].a = "10.1.0.0/17"; break;            /* a prefix length */
		case 1: s[1].who = "charlie"; break;               /* an owner */
		case 2: s[1].until = T0 + 2 * DAY; break;          /* a date */
		case 3: s[4].n = 4; break;                         /* an ifindex */
		case 4: s[6].a = "192.0.2.2"; break;               /* a VLAN rule's exporter */
		case 5: s[8].a = "172.16.0.0/16"; break;           /* a class prefix */
		default: s[11].who = "out"; break;                 /* a point's direction */
		}
		map_id_of(s, N_ID, false, psn_janet, "tenants.conf", ids[v]);
		ck_assert_msg(strcmp(ids[v], base) != 0, "variant %d has the unchanged map's ID", v);
		for (int w = 0; w < v; w++)
			ck_assert_msg(strcmp(ids[v], ids[w]) != 0, "variants %d and %d share an ID", v, w);
	}
}
END_TEST

/* ---- interface rules from the interface table ------------------------------------------ */

/* Two polled devices: core1 exports from 192.0.2.1 and 198.51.100.1, edge2 from
 * 192.0.2.2. */
struct devs {
	struct ft_addr core1[2], edge2[1];
};

static void devs_init(struct devs *d)
{
	d->core1[0] = addr("192.0.2.1");
	d->core1[1] = addr("198.51.100.1");
	d->edge2[0] = addr("192.0.2.2");
}

static struct ft_tenant_if core1_if(const struct devs *d, uint32_t ifindex, const char *name, const char *alias,
                                    const char *descr)
{
	return (struct ft_tenant_if){ "core1", d->core1, 2, ifindex, name, alias, descr };
}

static struct ft_tenant_if edge2_if(const struct devs *d, uint32_t ifindex, const char *name, const char *alias,
                                    const char *descr)
{
	return (struct ft_tenant_if){ "edge2", d->edge2, 1, ifindex, name, alias, descr };
}

/* A pattern of tenant t on field of device (NULL: any), at the next line. */
static int if_pattern(struct fx *x, const char *t, const char *device, uint8_t field, const char *pattern,
                      int64_t from, int64_t until)
{
	struct ft_if_match m = { .tenant = tenant(x, t), .field = field, .from_ms = from, .until_ms = until };
	snprintf(m.device, sizeof(m.device), "%s", device ? device : "");
	snprintf(m.pattern, sizeof(m.pattern), "%s", pattern);
	m.at = next_line(x);
	ck_assert_int_eq(ft_tenant_conf_add_if_match(&x->c, &m), 0);
	return m.at.line;
}

/* Builds the map with the interfaces, which must succeed without errors. */
static struct ft_tenant_map *build_ifs(struct fx *x, const struct ft_tenant_if *ifs, size_t n)
{
	struct ft_tenant_map *m = ft_tenant_map_build_ifs(&x->c, ifs, n, &x->d);
	if (!m || x->d.errors)
		dump_diag(&x->d);
	ck_assert_msg(m != NULL, "map not built: %s", x->d.n ? x->d.lines[0] : "(no finding)");
	ck_assert_uint_eq(x->d.errors, 0);
	return m;
}

/* A flow through exporter e, in at in_if and out at out_if. */
static struct ft_flow if_flow(const char *e, uint32_t in_if, uint32_t out_if, int64_t end)
{
	struct ft_flow f = flow("198.51.100.77", "203.0.113.77", end);
	f.exporter = addr(e);
	f.in_if = in_if;
	f.out_if = out_if;
	return f;
}

START_TEST(interface_tag_gives_a_rule_on_every_exporter_address)
{
	struct fx x;
	struct devs d;
	fx_init(&x);
	devs_init(&d);
	tenant(&x, "exeter");
	tenant(&x, "plymouth");
	snprintf(x.c.if_tag, sizeof(x.c.if_tag), "tenant");
	struct ft_tenant_if ifs[] = {
		core1_if(&d, 5, "xe-0/0/5", "Link to Exeter [tenant:exeter]", "Juniper xe-0/0/5"),
		core1_if(&d, 6, "xe-0/0/6", "no tag here", "uplink [tenant:plymouth]"),   /* descr, alias untagged */
		core1_if(&d, 7, "xe-0/0/7", "[tenant:exeter]", "[tenant:plymouth]"),     /* the alias first */
		core1_if(&d, 8, "xe-0/0/8", "[customer:plymouth] [tenant:]", ""),        /* another tag, empty name */
		edge2_if(&d, 9, "ge-0/0/9", "", "[tenant:plymouth]"),
	};
	struct ft_tenant_map *m = build_ifs(&x, ifs, 5);
	ck_assert_uint_eq(ft_tenant_map_n_if_rules(m), 2 + 2 + 2 + 1);

	struct ft_flow f = if_flow("192.0.2.1", 5, 99, T0);
	EXPECT_T(m, &f, "exeter", "unattributed");         /* in at a tenant's interface: the source */
	f = if_flow("198.51.100.1", 99, 5, T0);
	EXPECT_T(m, &f, "unattributed", "exeter");         /* out of it: the destination */
	f = if_flow("192.0.2.2", 5, 5, T0);                 /* another device's ifIndex 5 */
	EXPECT_T(m, &f, "unattributed", "unattributed");
	f = if_flow("192.0.2.1", 6, 7, T0);
	EXPECT_T(m, &f, "plymouth", "exeter");
	f = if_flow("198.51.100.1", 8, 8, T0);
	EXPECT_T(m, &f, "unattributed", "unattributed");
	f = if_flow("192.0.2.2", 9, 6, T0);
	EXPECT_T(m, &f, "plymouth", "unattributed");
	ck_assert_uint_eq(x.d.warnings, count_lines(&x.d, "tenants.conf"));   /* none of the interfaces' */
	ft_tenant_map_free(m);

	/* without interface_tag, tags mean nothing */
	x.c.if_tag[0] = '\0';
	m = build_ifs(&x, ifs, 5);
	ck_assert_uint_eq(ft_tenant_map_n_if_rules(m), 0);
	f = if_flow("192.0.2.1", 5, 6, T0);
	EXPECT_T(m, &f, "unattributed", "unattributed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(interface_patterns_by_field_and_device)
{
	struct fx x;
	struct devs d;
	fx_init(&x);
	devs_init(&d);
	if_pattern(&x, "devon", "core1", FT_IF_ALIAS, "Devon*", ALWAYS);
	if_pattern(&x, "cornwall", NULL, FT_IF_NAME, "ae12.*", ALWAYS);
	if_pattern(&x, "somerset", "edge2", FT_IF_DESCR, "Gi0/[0-9]", ALWAYS);
	struct ft_tenant_if ifs[] = {
		core1_if(&d, 1, "xe-1", "Devon County Council", "Gi0/1"),
		edge2_if(&d, 1, "xe-1", "Devon elsewhere", "x"),      /* devon's pattern is core1's only */
		core1_if(&d, 2, "ae12.100", "", ""),
		edge2_if(&d, 2, "ae12.200", "", ""),                   /* cornwall's: any device */
		edge2_if(&d, 3, "ge-3", "", "Gi0/3"),
		core1_if(&d, 3, "ge-3", "", "Gi0/3"),                  /* somerset's is edge2's only */
		core1_if(&d, 4, "ae120", "devon", "Gi0/10"),           /* no pattern matches */
	};
	struct ft_tenant_map *m = build_ifs(&x, ifs, 7);
	ck_assert_uint_eq(ft_tenant_map_n_if_rules(m), 2 + 2 + 1 + 1);

	struct ft_flow f = if_flow("192.0.2.1", 1, 2, T0);
	EXPECT_T(m, &f, "devon", "cornwall");
	f = if_flow("198.51.100.1", 2, 1, T0);
	EXPECT_T(m, &f, "cornwall", "devon");
	f = if_flow("192.0.2.2", 1, 2, T0);
	EXPECT_T(m, &f, "unattributed", "cornwall");
	f = if_flow("192.0.2.2", 3, 1, T0);
	EXPECT_T(m, &f, "somerset", "unattributed");
	f = if_flow("192.0.2.1", 3, 4, T0);
	EXPECT_T(m, &f, "unattributed", "unattributed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(configured_interface_rule_wins_over_a_pattern)
{
	struct fx x;
	struct devs d;
	fx_init(&x);
	devs_init(&d);
	iface_rule(&x, "cornwall", "192.0.2.1", 12, ALWAYS);
	if_pattern(&x, "devon", "core1", FT_IF_ALIAS, "Devon*", ALWAYS);
	struct ft_tenant_if ifs[] = { core1_if(&d, 12, "ae12", "Devon link", "") };
	struct ft_tenant_map *m = build_ifs(&x, ifs, 1);
	/* the configuration names 192.0.2.1 only: the device's other address is devon's */
	ck_assert_uint_eq(ft_tenant_map_n_if_rules(m), 1);
	ck_assert_uint_eq(x.d.warnings, count_lines(&x.d, "tenants.conf:"));
	struct ft_flow f = if_flow("192.0.2.1", 12, 12, T0);
	EXPECT_T(m, &f, "cornwall", "cornwall");
	f = if_flow("198.51.100.1", 12, 12, T0);
	EXPECT_T(m, &f, "devon", "devon");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

/* A dated rule of the configuration wins only while it is valid: before and after it,
 * the pattern's tenant has the interface. */
START_TEST(a_dated_configured_rule_wins_only_while_valid)
{
	struct fx x;
	struct devs d;
	fx_init(&x);
	devs_init(&d);
	iface_rule(&x, "cornwall", "192.0.2.1", 12, T0, T0 + DAY);
	if_pattern(&x, "devon", "core1", FT_IF_ALIAS, "Devon*", ALWAYS);
	struct ft_tenant_if ifs[] = { core1_if(&d, 12, "ae12", "Devon link", "") };
	struct ft_tenant_map *m = build_ifs(&x, ifs, 1);
	ck_assert_uint_eq(x.d.errors, 0);
	/* 192.0.2.1: before and after cornwall's day; 198.51.100.1: always */
	ck_assert_uint_eq(ft_tenant_map_n_if_rules(m), 3);
	struct ft_flow f = if_flow("192.0.2.1", 12, 12, T0 - 1);
	EXPECT_T(m, &f, "devon", "devon");
	f = if_flow("192.0.2.1", 12, 12, T0);
	EXPECT_T(m, &f, "cornwall", "cornwall");
	f = if_flow("192.0.2.1", 12, 12, T0 + DAY - 1);
	EXPECT_T(m, &f, "cornwall", "cornwall");
	f = if_flow("192.0.2.1", 12, 12, T0 + DAY);
	EXPECT_T(m, &f, "devon", "devon");
	f = if_flow("198.51.100.1", 12, 12, T0);
	EXPECT_T(m, &f, "devon", "devon");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(two_tenants_patterns_on_one_interface_first_wins)
{
	struct fx x;
	struct devs d;
	fx_init(&x);
	devs_init(&d);
	int l1 = if_pattern(&x, "devon", NULL, FT_IF_ALIAS, "Devon*", ALWAYS);
	if_pattern(&x, "devon", "core1", FT_IF_NAME, "xe-*", ALWAYS);            /* the same tenant: fine */
	int l3 = if_pattern(&x, "southwest", "core1", FT_IF_ALIAS, "*Exeter*", ALWAYS);
	struct ft_tenant_if ifs[] = {
		core1_if(&d, 3, "xe-0/0/3", "Devon and Exeter", ""),
		core1_if(&d, 4, "ge-4", "Exeter only", ""),
		core1_if(&d, 5, "xe-0/0/5", "Devon", ""),
	};
	struct ft_tenant_map *m = ft_tenant_map_build_ifs(&x.c, ifs, 3, &x.d);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(x.d.errors, 0);
	char at[32], win[32];
	snprintf(at, sizeof(at), "tenants.conf:%d:", l3);
	snprintf(win, sizeof(win), "at line %d, wins", l1);
	if (!has_line(&x.d, false, at, "xe-0/0/3", "ifIndex 3", "core1", "devon", "southwest", win, NULL))
		dump_diag(&x.d);
	ck_assert(has_line(&x.d, false, at, "xe-0/0/3", "ifIndex 3", "core1", "devon", "southwest", win, NULL));
	ck_assert_uint_eq(count_lines(&x.d, at), 1);              /* ifIndex 4 and 5: one tenant's each */
	ck_assert_uint_eq(ft_tenant_map_n_if_rules(m), 6);
	struct ft_flow f = if_flow("192.0.2.1", 3, 4, T0);
	EXPECT_T(m, &f, "devon", "southwest");
	f = if_flow("198.51.100.1", 5, 3, T0);
	EXPECT_T(m, &f, "devon", "devon");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(interface_tag_naming_no_tenant_is_a_warning)
{
	struct fx x;
	struct devs d;
	fx_init(&x);
	devs_init(&d);
	tenant(&x, "exeter");
	snprintf(x.c.if_tag, sizeof(x.c.if_tag), "tenant");
	struct ft_tenant_if ifs[] = {
		core1_if(&d, 5, "xe-0/0/5", "to [tenant:nobody]", ""),
		core1_if(&d, 6, "xe-0/0/6", "[tenant:exeter]", ""),
	};
	struct ft_tenant_map *m = ft_tenant_map_build_ifs(&x.c, ifs, 2, &x.d);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(x.d.errors, 0);
	if (!has_line(&x.d, false, "interface table", "xe-0/0/5", "core1", "[tenant:nobody]", "no tenant nobody", NULL))
		dump_diag(&x.d);
	ck_assert(has_line(&x.d, false, "interface table", "xe-0/0/5", "core1", "[tenant:nobody]",
	                   "no tenant nobody", NULL));
	ck_assert_uint_eq(ft_tenant_map_n_if_rules(m), 2);
	struct ft_flow f = if_flow("192.0.2.1", 5, 6, T0);
	EXPECT_T(m, &f, "unattributed", "exeter");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

/* The map's ID, built with ifs; a fresh configuration each time. */
static void if_map_id(const struct ft_tenant_if *ifs, size_t n, int64_t from, char id[65], size_t *ret_rules)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "other", "10.1.0.0/16", ALWAYS);
	iface_rule(&x, "cornwall", "192.0.2.1", 12, ALWAYS);
	if_pattern(&x, "devon", "core1", FT_IF_ALIAS, "Devon*", from, FT_TIME_MAX);
	struct ft_tenant_map *m = ifs ? build_ifs(&x, ifs, n) : build(&x);
	snprintf(id, 65, "%s", ft_tenant_map_id(m));
	*ret_rules = ft_tenant_map_n_if_rules(m);
	ft_tenant_map_free(m);
	fx_done(&x);
}

START_TEST(derived_rules_are_part_of_the_map_id)
{
	struct devs d;
	devs_init(&d);
	char none[65], base[65], again[65], id[65];
	size_t n;
	if_map_id(NULL, 0, FT_TIME_MIN, none, &n);
	ck_assert_uint_eq(n, 0);                                 /* a map built without interfaces */
	struct ft_tenant_if ifs[] = { core1_if(&d, 1, "xe-1", "Devon 1", ""), core1_if(&d, 2, "xe-2", "Devon 2", ""),
	                              core1_if(&d, 3, "xe-3", "Cornwall", "") };
	if_map_id(ifs, 3, FT_TIME_MIN, base, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_ne(base, none);
	/* the same rules, whatever the order the interfaces come in, or what does not match */
	struct ft_tenant_if other_order[] = { ifs[2], ifs[1], ifs[0], core1_if(&d, 9, "xe-9", "Dorset", "") };
	if_map_id(other_order, 4, FT_TIME_MIN, again, &n);
	ck_assert_str_eq(again, base);
	struct ft_tenant_if renamed[] = { core1_if(&d, 1, "et-1", "Devon 1 renamed", "new"), ifs[1], ifs[2] };
	if_map_id(renamed, 3, FT_TIME_MIN, again, &n);
	ck_assert_str_eq(again, base);
	/* no interface matches: the map of the configuration alone */
	if_map_id(ifs + 2, 1, FT_TIME_MIN, id, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(id, none);
	/* the configuration's rule wins: no derived rule on 192.0.2.1 ifIndex 12, the same ID */
	struct ft_tenant_if named[] = { ifs[0], ifs[1], ifs[2], core1_if(&d, 12, "ae12", "Devon 12", "") };
	if_map_id(named, 4, FT_TIME_MIN, id, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_ne(id, base);                              /* 198.51.100.1 ifIndex 12 is devon's */
	/* a derived rule that changes changes the ID */
	struct ft_tenant_if gone[] = { ifs[0], core1_if(&d, 2, "xe-2", "Cornwall now", ""), ifs[2] };
	if_map_id(gone, 3, FT_TIME_MIN, id, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_ne(id, base);
	struct ft_tenant_if reindexed[] = { ifs[0], core1_if(&d, 20, "xe-2", "Devon 2", ""), ifs[2] };
	if_map_id(reindexed, 3, FT_TIME_MIN, id, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_ne(id, base);
	struct ft_tenant_if moved[] = { ifs[0], edge2_if(&d, 2, "xe-2", "Devon 2", ""), ifs[2] };
	if_map_id(moved, 3, FT_TIME_MIN, id, &n);                /* edge2: devon's pattern is core1's */
	ck_assert_uint_eq(n, 2);
	ck_assert_str_ne(id, base);
	if_map_id(ifs, 3, T0, id, &n);                            /* the pattern's validity */
	ck_assert_uint_eq(n, 4);
	ck_assert_str_ne(id, base);
}
END_TEST

START_TEST(pattern_validity_applies_to_its_rules)
{
	struct fx x;
	struct devs d;
	fx_init(&x);
	devs_init(&d);
	if_pattern(&x, "devon", NULL, FT_IF_NAME, "ae12.*", T0, T0 + DAY);
	struct ft_tenant_if ifs[] = { core1_if(&d, 12, "ae12.0", "", "") };
	struct ft_tenant_map *m = build_ifs(&x, ifs, 1);
	struct ft_flow f = if_flow("192.0.2.1", 12, 1, T0 - 1);
	EXPECT_T(m, &f, "unattributed", "unattributed");           /* before valid_from */
	f.end_ms = T0;
	EXPECT_T(m, &f, "devon", "unattributed");
	f.end_ms = T0 + DAY - 1;
	EXPECT_T(m, &f, "devon", "unattributed");
	f.end_ms = T0 + DAY;                                        /* valid_until is not in it */
	EXPECT_T(m, &f, "unattributed", "unattributed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(derived_interface_rule_beats_a_prefix)
{
	struct fx x;
	struct devs d;
	fx_init(&x);
	devs_init(&d);
	prefix_rule(&x, "other", "10.1.0.0/16", ALWAYS);
	vlan_rule(&x, "by-vlan", NULL, 100, ALWAYS);
	if_pattern(&x, "devon", "core1", FT_IF_ALIAS, "Devon*", ALWAYS);
	snprintf(x.c.if_tag, sizeof(x.c.if_tag), "tenant");
	tenant(&x, "exeter");
	struct ft_tenant_if ifs[] = { core1_if(&d, 1, "xe-1", "Devon", ""),
	                              core1_if(&d, 2, "xe-2", "[tenant:exeter]", "") };
	struct ft_tenant_map *m = build_ifs(&x, ifs, 2);
	struct ft_flow f = flow("10.1.0.1", "10.1.0.2", T0);        /* both ends other's by prefix */
	f.in_if = 1;
	f.out_if = 2;
	EXPECT_T(m, &f, "devon", "exeter");
	f.vlan = 100;                                              /* and beats a VLAN rule */
	EXPECT_T(m, &f, "devon", "exeter");
	f.vlan = 0;
	f.in_if = 3;
	f.out_if = 4;
	EXPECT_T(m, &f, "other", "other");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

/* ---- conflicts and lint -------------------------------------------------------------- */

START_TEST(same_prefix_two_tenants_overlapping_fails_with_location)
{
	struct fx x;
	fx_init(&x);
	int l1 = prefix_rule(&x, "acme", "10.1.0.0/16", FT_TIME_MIN, T0 + DAY);
	/* The same prefix in IPv6 notation. */
	int l2 = prefix_rule(&x, "bravo", "::ffff:10.1.0.0/112", T0, FT_TIME_MAX);
	prefix_rule(&x, "charlie", "10.2.0.0/16", ALWAYS);
	ck_assert_ptr_null(ft_tenant_map_build(&x.c, &x.d));
	ck_assert_uint_ge(x.d.errors, 1);
	char at1[64], at2[64];
	snprintf(at1, sizeof(at1), "tenants.conf:%d: ", l1);
	snprintf(at2, sizeof(at2), "tenants.conf:%d: ", l2);
	if (!has_line(&x.d, true, at1, "10.1.0.0/16", NULL) && !has_line(&x.d, true, at2, "10.1.0.0/16", NULL)) {
		dump_diag(&x.d);
		ck_abort_msg("no error at %s or %s naming 10.1.0.0/16", at1, at2);
	}
	fx_done(&x);
}
END_TEST

START_TEST(same_interface_two_tenants_fails_with_location)
{
	struct fx x;
	fx_init(&x);
	int l1 = iface_rule(&x, "acme", "192.0.2.1", 3, ALWAYS);
	int l2 = iface_rule(&x, "bravo", "192.0.2.1", 3, T0, T0 + DAY);
	ck_assert_ptr_null(ft_tenant_map_build(&x.c, &x.d));
	char at1[64], at2[64];
	snprintf(at1, sizeof(at1), "tenants.conf:%d: ", l1);
	snprintf(at2, sizeof(at2), "tenants.conf:%d: ", l2);
	ck_assert(has_line(&x.d, true, at1, NULL) || has_line(&x.d, true, at2, NULL));
	fx_done(&x);
}
END_TEST

START_TEST(conflict_fails_even_without_a_diag)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "acme", "10.1.0.0/16", ALWAYS);
	prefix_rule(&x, "bravo", "10.1.0.0/16", ALWAYS);
	struct ft_tenant_map *m = ft_tenant_map_build(&x.c, NULL);
	ck_assert_msg(m == NULL, "a map with 10.1.0.0/16 given to two tenants was built when no "
	              "diag was passed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(no_conflict_across_kinds_or_exporters)
{
	struct fx x;
	fx_init(&x);
	vlan_rule(&x, "acme", NULL, 100, ALWAYS);
	vlan_rule(&x, "bravo", "192.0.2.1", 100, ALWAYS);
	iface_rule(&x, "acme", "192.0.2.1", 100, ALWAYS);
	iface_rule(&x, "bravo", "192.0.2.2", 100, ALWAYS);
	asn_rule(&x, "charlie", 100, ALWAYS);
	prefix_rule(&x, "acme", "10.1.0.0/16", ALWAYS);
	prefix_rule(&x, "bravo", "10.1.0.0/17", ALWAYS);
	struct ft_tenant_map *m = build(&x);
	struct ft_flow f = flow("10.1.200.1", "10.1.1.1", T0);
	EXPECT_T(m, &f, "acme", "bravo");
	f.vlan = 100;
	EXPECT_T(m, &f, "bravo", "bravo");
	f.exporter = addr("192.0.2.2");
	f.in_if = 100;
	EXPECT_T(m, &f, "bravo", "acme");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(same_tenant_twice_is_a_warning)
{
	struct fx x;
	fx_init(&x);
	int l1 = prefix_rule(&x, "acme", "10.1.0.0/16", ALWAYS);
	int l2 = prefix_rule(&x, "acme", "10.1.0.0/16", T0, T0 + DAY);
	struct ft_tenant_map *m = build(&x);
	char at1[64], at2[64];
	snprintf(at1, sizeof(at1), "tenants.conf:%d: ", l1);
	snprintf(at2, sizeof(at2), "tenants.conf:%d: ", l2);
	ck_assert_uint_ge(x.d.warnings, 1);
	ck_assert(has_line(&x.d, false, at1, "10.1.0.0/16", NULL) ||
	          has_line(&x.d, false, at2, "10.1.0.0/16", NULL));
	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", T0);
	EXPECT_T(m, &f, "acme", "unattributed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

START_TEST(gap_between_periods_is_a_warning)
{
	struct fx x;
	fx_init(&x);
	prefix_rule(&x, "wide", "10.0.0.0/8", ALWAYS);
	prefix_rule(&x, "acme", "10.1.0.0/16", FT_TIME_MIN, T0);
	prefix_rule(&x, "bravo", "10.1.0.0/16", T0 + DAY, FT_TIME_MAX);
	iface_rule(&x, "acme", "192.0.2.1", 2, T0, T0 + DAY);
	iface_rule(&x, "acme", "192.0.2.1", 2, T0 + 2 * DAY, T0 + 3 * DAY);
	struct ft_tenant_map *m = build(&x);
	ck_assert(has_line(&x.d, false, "tenants.conf:", "10.1.0.0/16", NULL));
	ck_assert(has_line(&x.d, false, "tenants.conf:", "192.0.2.1", NULL));
	struct ft_flow f = flow("10.1.0.1", "8.8.8.8", T0 + DAY / 2);    /* in the gap */
	EXPECT_T(m, &f, "wide", "unattributed");
	f.end_ms = T0 + DAY;
	EXPECT_T(m, &f, "bravo", "unattributed");
	ft_tenant_map_free(m);
	fx_done(&x);
}
END_TEST

/* Sets the configured address plan (freed with the conf) at `line`. */
static void address_plan(struct fx *x, const char *const *plan, int line)
{
	size_t n = 0;
	while (plan[n])
		n++;
	x->c.address_space = calloc(n + 1, sizeof(*x->c.address_space));
	ck_assert_ptr_nonnull(x->c.address_space);
	for (size_t i = 0; i < n; i++)
		x->c.address_space[i] = pfx(plan[i]);
	x->c.n_address_space = n;
	x->c.address_space_at = (struct ft_where){ x->file, line };
}

/* The lint must list exactly the unannounced prefixes `gaps` (NULL-ended) at the plan's
 * line. */
static void expect_gaps(const char *const *plan, const char *const *owned, const char *const *gaps)
{
	struct fx x;
	fx_init(&x);
	point(&x, "192.0.2.1", 1, FT_POINT_BOTH, ALWAYS);
	for (size_t i = 0; owned[i]; i++)
		prefix_rule(&x, i % 2 ? "acme" : "bravo", owned[i], ALWAYS);
	address_plan(&x, plan, 500);
	struct ft_tenant_map *m = build(&x);
	size_t n = 0;
	for (; gaps[n]; n++) {
		char quoted[64];
		snprintf(quoted, sizeof(quoted), " %s ", gaps[n]);
		if (!has_line(&x.d, false, "tenants.conf:500: ", quoted, NULL)) {
			dump_diag(&x.d);
			ck_abort_msg("unannounced %s not listed", gaps[n]);
		}
	}
	if (count_lines(&x.d, "tenants.conf:500: ") != n) {
		dump_diag(&x.d);
		ck_abort_msg("%zu findings at the address plan, want %zu", count_lines(&x.d, "tenants.conf:500: "), n);
	}
	ft_tenant_map_free(m);
	fx_done(&x);
}

START_TEST(lint_lists_unannounced_address_space)
{
	expect_gaps((const char *const[]){ "10.0.0.0/8", NULL },
	            (const char *const[]){ "10.0.0.0/9", "10.192.0.0/10", NULL },
	            (const char *const[]){ "10.128.0.0/10", NULL });
	expect_gaps((const char *const[]){ "192.168.0.0/16", NULL },
	            (const char *const[]){ "192.168.0.0/24", "192.168.2.0/23", NULL },
	            (const char *const[]){ "192.168.1.0/24", "192.168.4.0/22", "192.168.8.0/21",
	                                   "192.168.16.0/20", "192.168.32.0/19", "192.168.64.0/18",
	                                   "192.168.128.0/17", NULL });
	expect_gaps((const char *const[]){ "2001:db8::/32", "10.0.0.0/8", NULL },
	            (const char *const[]){ "2001:db8::/33", "0.0.0.0/0", NULL },
	            (const char *const[]){ "2001:db8:8000::/33", NULL });
	expect_gaps((const char *const[]){ "172.16.0.0/12", NULL },
	            (const char *const[]){ "172.16.0.0/13", "172.24.0.0/13", "172.20.0.0/24", NULL },
	            (const char *const[]){ NULL });
}
END_TEST

START_TEST(lint_ipv6_default_does_not_announce_ipv4)
{
	expect_gaps((const char *const[]){ "10.0.0.0/8", "2001:db8::/32", NULL },
	            (const char *const[]){ "::/0", NULL },
	            (const char *const[]){ "10.0.0.0/8", NULL });
}
END_TEST

/* ---- prefix files -------------------------------------------------------------------- */

struct tmp {
	char dir[256];
	char paths[4][300];
	int n;
};

static const char *tmp_file(struct tmp *t, const char *name, const char *text)
{
	if (!t->dir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(t->dir, sizeof(t->dir), "%s/ft-tenant-XXXXXX", base && *base ? base : "/tmp");
		ck_assert_ptr_nonnull(mkdtemp(t->dir));
	}
	ck_assert_int_lt(t->n, 4);
	char buf[sizeof(t->paths[0])];
	snprintf(buf, sizeof(buf), "%s/%s", t->dir, name);
	char *p = memcpy(t->paths[t->n++], buf, sizeof(buf));
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

static void tmp_done(struct tmp *t)
{
	for (int i = 0; i < t->n; i++)
		unlink(t->paths[i]);
	if (t->dir[0])
		rmdir(t->dir);
}

static const char ipam[] =
	"# IPAM export, 2027-01\n"            /* 1 */
	"\n"                                  /* 2 */
	"10.1.0.0/16 acme\n"                  /* 3 */
	"10.2.0.0/16\tbravo   # core site\n"  /* 4 */
	"  2001:db8:1::/48 acme\r\n"          /* 5 */
	"10.3.0.0/16 charlie\n"               /* 6: unknown tenant */
	"not-a-prefix acme\n"                 /* 7 */
	"10.4.0.0/16\n"                       /* 8: no tenant */
	"10.5.0.0/16 acme bravo\n"            /* 9: one word too many */
	"   # indented comment\n"             /* 10 */
	"10.6.0.0/33 acme\n"                  /* 11 */
	"192.0.2.7 bravo";                    /* 12: a host, no newline at the end */

START_TEST(prefix_file_good_and_bad_lines)
{
	struct fx x;
	struct tmp t = { 0 };
	fx_init(&x);
	tenant(&x, "acme");
	tenant(&x, "bravo");
	const char *path = tmp_file(&t, "ipam.txt", ipam);
	ck_assert_int_eq(ft_tenant_conf_read_prefixes(&x.c, path, false, T0, T0 + DAY, &x.d), -EINVAL);
	static const int bad[] = { 6, 7, 8, 9, 11 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char at[400];
		snprintf(at, sizeof(at), "%s:%d: ", path, bad[i]);
		if (!has_line(&x.d, true, at, NULL)) {
			dump_diag(&x.d);
			ck_abort_msg("no error at %s", at);
		}
	}
	ck_assert_uint_eq(x.d.errors, 5);
	ck_assert(has_line(&x.d, true, path, "charlie", NULL));
	ck_assert_uint_eq(ft_tenant_conf_find(&x.c, "charlie"), 0);

	/* The good lines are rules with their own line and the file's validity. */
	static const struct { const char *p, *who; int line; } good[] = {
		{ "10.1.0.0/16", "acme", 3 }, { "10.2.0.0/16", "bravo", 4 },
		{ "2001:db8:1::/48", "acme", 5 }, { "192.0.2.7/32", "bravo", 12 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct ft_prefix p = pfx(good[i].p);
		bool found = false;
		for (size_t k = 0; k < x.c.n_rules; k++) {
			const struct ft_rule *r = &x.c.rules[k];
			if (r->kind != FT_RULE_PREFIX || r->prefix.len != p.len || !ft_addr_equal(&r->prefix.addr, &p.addr))
				continue;
			found = true;
			ck_assert_str_eq(x.c.tenants[r->tenant].name, good[i].who);
			ck_assert_int_eq(r->at.line, good[i].line);
			ck_assert_str_eq(r->at.file, path);
			ck_assert(r->from_ms == T0 && r->until_ms == T0 + DAY);
		}
		ck_assert_msg(found, "%s (line %d) not read", good[i].p, good[i].line);
	}
	tmp_done(&t);
	fx_done(&x);
}
END_TEST

START_TEST(prefix_file_implicit_tenants)
{
	struct fx x;
	struct tmp t = { 0 };
	fx_init(&x);
	tenant(&x, "acme");
	const char *path = tmp_file(&t, "ipam.txt", "10.1.0.0/16 acme\n10.3.0.0/16 charlie\n"
	                                            "10.4.0.0/16 charlie\n");
	ck_assert_int_eq(ft_tenant_conf_read_prefixes(&x.c, path, true, ALWAYS, &x.d), 0);
	ck_assert_uint_eq(x.d.errors, 0);
	uint16_t c = ft_tenant_conf_find(&x.c, "charlie");
	ck_assert_uint_gt(c, 0);
	ck_assert_uint_eq(x.c.n_tenants, 3);            /* unattributed, acme, charlie */
	struct ft_tenant_map *m = build(&x);
	struct ft_flow f = flow("10.3.1.1", "10.4.1.1", T0);
	EXPECT_T(m, &f, "charlie", "charlie");
	ft_tenant_map_free(m);

	const char *bad = tmp_file(&t, "bad.txt", "10.5.0.0/16 a-name-of-more-than-thirty-one-bytes\n");
	ck_assert_int_eq(ft_tenant_conf_read_prefixes(&x.c, bad, true, ALWAYS, &x.d), -EINVAL);
	char at[400];
	snprintf(at, sizeof(at), "%s:1: ", bad);
	ck_assert(has_line(&x.d, true, at, NULL));
	tmp_done(&t);
	fx_done(&x);
}
END_TEST

START_TEST(prefix_file_cannot_name_unattributed)
{
	struct tmp t = { 0 };
	for (int implicit = 0; implicit <= 1; implicit++) {
		struct fx x;
		fx_init(&x);
		tenant(&x, "acme");
		const char *path = tmp_file(&t, implicit ? "b.txt" : "a.txt", "10.9.0.0/16 unattributed\n");
		int r = ft_tenant_conf_read_prefixes(&x.c, path, implicit, ALWAYS, &x.d);
		size_t n = x.c.n_tenants;
		fx_done(&x);
		ck_assert_msg(r == -EINVAL && n == 2, "implicit=%d: 'unattributed' in a prefix file gave %d "
		              "and %zu tenants (a second tenant named unattributed)", implicit, r, n);
	}
	tmp_done(&t);
}
END_TEST

START_TEST(prefix_file_long_comment_is_one_line)
{
	struct fx x;
	struct tmp t = { 0 };
	char text[3000];
	fx_init(&x);
	tenant(&x, "acme");
	memset(text, 0, sizeof(text));
	text[0] = '#';
	for (size_t i = 1; i < 2000; i++)
		text[i] = i % 10 ? 'x' : ' ';
	snprintf(text + 2000, sizeof(text) - 2000, "\n10.1.0.0/16 acme\n");
	const char *path = tmp_file(&t, "long.txt", text);
	int r = ft_tenant_conf_read_prefixes(&x.c, path, false, ALWAYS, &x.d);
	if (r != 0)
		dump_diag(&x.d);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(x.c.n_rules, 1);
	ck_assert_int_eq(x.c.rules[0].at.line, 2);
	tmp_done(&t);
	fx_done(&x);
}
END_TEST

START_TEST(prefix_file_missing)
{
	struct fx x;
	fx_init(&x);
	ck_assert_int_eq(ft_tenant_conf_read_prefixes(&x.c, "/nonexistent/ft/ipam.txt", false, ALWAYS, &x.d),
	                 -ENOENT);
	ck_assert(has_line(&x.d, true, "/nonexistent/ft/ipam.txt", NULL));
	fx_done(&x);
}
END_TEST

START_TEST(prefix_files_dated_and_conflicting)
{
	struct fx x;
	struct tmp t = { 0 };
	fx_init(&x);
	tenant(&x, "acme");
	tenant(&x, "bravo");
	const char *now = tmp_file(&t, "now.txt", "10.1.0.0/16 acme\n10.2.0.0/16 bravo\n");
	const char *next = tmp_file(&t, "next.txt", "# from the 1st\n10.1.0.0/16 bravo\n");
	ck_assert_int_eq(ft_tenant_conf_read_prefixes(&x.c, now, false, FT_TIME_MIN, T0, &x.d), 0);
	ck_assert_int_eq(ft_tenant_conf_read_prefixes(&x.c, next, false, T0, FT_TIME_MAX, &x.d), 0);
	struct ft_tenant_map *m = build(&x);
	struct ft_flow f = flow("10.1.0.1", "10.2.0.1", T0 - 1);
	EXPECT_T(m, &f, "acme", "bravo");
	f.end_ms = T0;
	EXPECT_T(m, &f, "bravo", "unattributed");
	ft_tenant_map_free(m);

	/* The same file for all time conflicts with the first; the error names a file:line. */
	ck_assert_int_eq(ft_tenant_conf_read_prefixes(&x.c, next, false, ALWAYS, &x.d), 0);
	ck_assert_ptr_null(ft_tenant_map_build(&x.c, &x.d));
	char a[400], b[400];
	snprintf(a, sizeof(a), "%s:1: ", now);
	snprintf(b, sizeof(b), "%s:2: ", next);
	if (!has_line(&x.d, true, a, "10.1.0.0/16", NULL) && !has_line(&x.d, true, b, "10.1.0.0/16", NULL)) {
		dump_diag(&x.d);
		ck_abort_msg("no error at %s or %s", a, b);
	}
	tmp_done(&t);
	fx_done(&x);
}
END_TEST

/* ---- random maps against a brute-force reading of the contract ----------------------- */

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: deterministic, so a failure names its seed and repeats. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static unsigned below(uint64_t *s, unsigned n)
{
	return (unsigned)(rng_next(s) % n);
}

static void mask_to(struct ft_addr *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		if (bits < 8)
			a->b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

static void flip(struct ft_addr *a, unsigned bit)
{
	a->b[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
}

static bool is_v4_prefix(const struct ft_prefix *p)
{
	return p->len >= 96 && ft_addr_is_v4(&p->addr);
}

static bool during(int64_t from, int64_t until, int64_t t)
{
	return from <= t && t < until;
}

/* The contract, by brute force: the rule kinds in order of precedence, each taken only
 * when valid at the flow's end. */
static int ref_keyed(const struct ft_tenant_conf *c, uint8_t kind, const struct ft_addr *exporter,
                     bool any, uint32_t key, int64_t t)
{
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct ft_rule *r = &c->rules[i];
		if (r->kind != kind || !during(r->from_ms, r->until_ms, t))
			continue;
		uint32_t k = kind == FT_RULE_INTERFACE ? r->ifindex : r->value;
		bool ex;
		if (kind == FT_RULE_ASN)
			ex = true;
		else if (any)
			ex = kind == FT_RULE_VLAN && r->any_exporter;
		else
			ex = !r->any_exporter && ft_addr_equal(&r->exporter, exporter);
		if (k == key && ex)
			return r->tenant;
	}
	return -1;
}

static int ref_prefix(const struct ft_tenant_conf *c, const struct ft_addr *a, int64_t t)
{
	int best = -1, best_len = -1;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct ft_rule *r = &c->rules[i];
		if (r->kind == FT_RULE_PREFIX && during(r->from_ms, r->until_ms, t) &&
		    is_v4_prefix(&r->prefix) == ft_addr_is_v4(a) && r->prefix.len > best_len &&
		    ft_prefix_contains(&r->prefix, a)) {
			best = r->tenant;
			best_len = r->prefix.len;
		}
	}
	return best;
}

static uint16_t ref_side(const struct ft_tenant_conf *c, const struct ft_flow *f, bool src)
{
	int64_t t = f->end_ms;
	int v = ref_keyed(c, FT_RULE_INTERFACE, &f->exporter, false, src ? f->in_if : f->out_if, t);
	uint16_t vlan = src || !f->post_vlan ? f->vlan : f->post_vlan;
	if (v < 0 && vlan)
		v = ref_keyed(c, FT_RULE_VLAN, &f->exporter, false, vlan, t);
	if (v < 0 && vlan)
		v = ref_keyed(c, FT_RULE_VLAN, &f->exporter, true, vlan, t);
	if (v < 0)
		v = ref_prefix(c, src ? &f->src : &f->dst, t);
	uint32_t as = src ? f->src_as : f->dst_as;
	if (v < 0 && as)
		v = ref_keyed(c, FT_RULE_ASN, &f->exporter, true, as, t);
	return v < 0 ? FT_TENANT_UNATTRIBUTED : (uint16_t)v;
}

static uint8_t ref_class(const struct ft_tenant_conf *c, const struct ft_addr *other, uint16_t owner,
                         int64_t t)
{
	int best = FT_CLASS_INTERNET, best_len = -1;
	if (owner != FT_TENANT_UNATTRIBUTED)
		return FT_CLASS_PARTNER;
	for (size_t i = 0; i < c->n_class_rules; i++) {
		const struct ft_class_rule *r = &c->class_rules[i];
		if (during(r->from_ms, r->until_ms, t) && is_v4_prefix(&r->prefix) == ft_addr_is_v4(other) &&
		    r->prefix.len > best_len && ft_prefix_contains(&r->prefix, other)) {
			best = r->cls;
			best_len = r->prefix.len;
		}
	}
	return (uint8_t)best;
}

static bool ref_accounted(const struct ft_tenant_conf *c, const struct ft_flow *f)
{
	if (f->flags & FT_FLOW_NOT_ACCOUNTED)
		return false;
	if (c->n_points == 0)
		return true;
	for (size_t i = 0; i < c->n_points; i++) {
		const struct ft_acct_point *p = &c->points[i];
		if (!during(p->from_ms, p->until_ms, f->end_ms) || !ft_addr_equal(&p->exporter, &f->exporter))
			continue;
		if (((p->dir & FT_POINT_IN) && f->in_if == p->ifindex) ||
		    ((p->dir & FT_POINT_OUT) && f->out_if == p->ifindex))
			return true;
	}
	return false;
}

static struct ft_attr ref_attribute(const struct ft_tenant_conf *c, const struct ft_flow *f)
{
	struct ft_attr a = { .src = ref_side(c, f, true), .dst = ref_side(c, f, false) };
	a.src_class = ref_class(c, &f->dst, a.dst, f->end_ms);
	a.dst_class = ref_class(c, &f->src, a.src, f->end_ms);
	a.accounted = ref_accounted(c, f);
	return a;
}

/* ---- random maps ---- */

static const int64_t times[] = { T0 - DAY, T0, T0 + 3600000, T0 + DAY };
#define N_TIMES (sizeof(times) / sizeof(times[0]))

static void random_period(uint64_t *s, int64_t *from, int64_t *until)
{
	*from = below(s, 3) == 0 ? FT_TIME_MIN : below(s, 2) ? times[below(s, N_TIMES)] : FT_TIME_MIN;
	*until = below(s, 2) ? FT_TIME_MAX : times[below(s, N_TIMES)];
	if (*from >= *until)
		*until = FT_TIME_MAX;
}

static void random_bases(uint64_t *s, struct ft_addr *b, size_t n)
{
	static const char *const fixed[] = { "10.0.0.0", "10.1.2.3", "0.0.0.0", "255.255.255.255",
	                                     "192.168.255.255", "2001:db8::", "2001:db8:ffff::1", "::",
	                                     "::1:0:0:0", "fe80::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
	for (size_t i = 0; i < n; i++) {
		if (below(s, 2)) {
			b[i] = addr(fixed[below(s, sizeof(fixed) / sizeof(fixed[0]))]);
			continue;
		}
		uint64_t hi = rng_next(s), lo = rng_next(s);
		memcpy(b[i].b, &hi, 8);
		memcpy(b[i].b + 8, &lo, 8);
		if (below(s, 2) || ft_addr_is_v4(&b[i]))
			ft_addr_from_v4(&b[i], (uint32_t)lo);
	}
}

/* A prefix grown from a base: lengths from a short list so that prefixes nest, and now and
 * then a flipped bit so that siblings appear. */
static struct ft_prefix random_prefix(uint64_t *s, const struct ft_addr *bases, size_t n)
{
	static const unsigned l4[] = { 0, 8, 12, 16, 20, 24, 25, 28, 31, 32 };
	static const unsigned l6[] = { 0, 16, 32, 48, 64, 80, 95, 112, 127, 128 };
	struct ft_prefix p = { .addr = bases[below(s, (unsigned)n)] };
	bool v4 = ft_addr_is_v4(&p.addr);
	unsigned lo = v4 ? 96 : 0, len;
	if (v4)
		len = 96 + (below(s, 3) ? l4[below(s, 10)] : below(s, 33));
	else
		len = below(s, 3) ? l6[below(s, 10)] : below(s, 129);
	if (len > lo && below(s, 3) == 0)
		flip(&p.addr, lo + below(s, len - lo));
	p.len = (uint8_t)len;
	mask_to(&p.addr, len);
	return p;
}

static bool same_prefix(const struct ft_prefix *a, const struct ft_prefix *b)
{
	return a->len == b->len && ft_addr_equal(&a->addr, &b->addr);
}

static bool same_key(const struct ft_rule *a, const struct ft_rule *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case FT_RULE_PREFIX: return same_prefix(&a->prefix, &b->prefix);
	case FT_RULE_INTERFACE: return a->ifindex == b->ifindex && ft_addr_equal(&a->exporter, &b->exporter);
	case FT_RULE_VLAN:
		return a->value == b->value && a->any_exporter == b->any_exporter &&
		       (a->any_exporter || ft_addr_equal(&a->exporter, &b->exporter));
	default: return a->value == b->value;
	}
}

/* Adds r unless it would conflict (same key, overlapping period, another tenant): then
 * it takes the other rule's tenant, or is left out. */
static void add_unconflicted(struct ft_tenant_conf *c, struct ft_rule *r)
{
	for (int pass = 0; pass < 2; pass++) {
		bool clash = false;
		for (size_t i = 0; i < c->n_rules && !clash; i++) {
			const struct ft_rule *o = &c->rules[i];
			if (same_key(o, r) && o->tenant != r->tenant &&
			    o->from_ms < r->until_ms && r->from_ms < o->until_ms) {
				r->tenant = o->tenant;
				clash = true;
			}
		}
		if (!clash) {
			ck_assert_int_eq(ft_tenant_conf_add_rule(c, r), 0);
			return;
		}
	}
}

static void add_class_unconflicted(struct ft_tenant_conf *c, struct ft_class_rule *r)
{
	for (size_t i = 0; i < c->n_class_rules; i++) {
		const struct ft_class_rule *o = &c->class_rules[i];
		if (same_prefix(&o->prefix, &r->prefix) && o->cls != r->cls &&
		    o->from_ms < r->until_ms && r->from_ms < o->until_ms)
			return;
	}
	ck_assert_int_eq(ft_tenant_conf_add_class_rule(c, r), 0);
}

static const char *const exporters[] = { "192.0.2.1", "2001:db8::e", "192.0.2.99" };

/* A random map: prefix rules always; with `all_kinds`, interface, VLAN and AS rules on
 * small key spaces (so flows hit them) and accounting points too. */
static void random_map(uint64_t *s, struct fx *x, const struct ft_addr *bases, size_t nb, bool all_kinds)
{
	unsigned nt = 1 + below(s, 6), nc = below(s, 4);
	for (unsigned i = 0; i < nt; i++) {
		char name[16];
		snprintf(name, sizeof(name), "t%u", i + 1);
		tenant(x, name);
	}
	for (unsigned i = 0; i < nc; i++) {
		char name[16];
		snprintf(name, sizeof(name), "c%u", i + 2);
		cls(x, name);
	}
	unsigned nr = below(s, 30);
	for (unsigned i = 0; i < nr; i++) {
		struct ft_rule r = { .kind = FT_RULE_PREFIX, .tenant = (uint16_t)(1 + below(s, nt)),
		                     .at = next_line(x) };
		random_period(s, &r.from_ms, &r.until_ms);
		if (all_kinds && below(s, 2)) {
			static const uint8_t kinds[] = { FT_RULE_INTERFACE, FT_RULE_VLAN, FT_RULE_ASN };
			r.kind = kinds[below(s, 3)];
			r.exporter = addr(exporters[below(s, 2)]);
			r.any_exporter = r.kind == FT_RULE_VLAN && below(s, 2);
			if (r.any_exporter || r.kind == FT_RULE_ASN)
				memset(&r.exporter, 0, sizeof(r.exporter));
			r.ifindex = 1 + below(s, 4);
			r.value = 1 + below(s, 4);
		} else {
			r.prefix = random_prefix(s, bases, nb);
		}
		add_unconflicted(&x->c, &r);
	}
	unsigned ncr = nc ? below(s, 8) : 0;
	for (unsigned i = 0; i < ncr; i++) {
		struct ft_class_rule r = { .cls = (uint8_t)(2 + below(s, nc)), .prefix = random_prefix(s, bases, nb),
		                           .at = next_line(x) };
		random_period(s, &r.from_ms, &r.until_ms);
		add_class_unconflicted(&x->c, &r);
	}
	unsigned np = all_kinds ? below(s, 4) : 0;
	for (unsigned i = 0; i < np; i++) {
		struct ft_acct_point p = { .exporter = addr(exporters[below(s, 2)]), .ifindex = 1 + below(s, 4),
		                           .dir = (uint8_t)(1 + below(s, 3)), .at = next_line(x) };
		random_period(s, &p.from_ms, &p.until_ms);
		ck_assert_int_eq(ft_tenant_conf_add_point(&x->c, &p), 0);
	}
}

/* An address near the configured prefixes: inside, at either end, just outside. */
static struct ft_addr random_addr(uint64_t *s, const struct ft_tenant_conf *c, const struct ft_addr *bases,
                                  size_t nb)
{
	unsigned kind = below(s, 8);
	size_t n = c->n_rules + c->n_class_rules;
	if (kind == 0 || n == 0) {
		struct ft_addr a = bases[below(s, (unsigned)nb)];
		unsigned lo = ft_addr_is_v4(&a) ? 96 : 0;
		for (unsigned k = below(s, 4); k > 0; k--)
			flip(&a, lo + below(s, 128 - lo));
		return a;
	}
	size_t i = below(s, (unsigned)n);
	const struct ft_prefix *p = i < c->n_rules ? &c->rules[i].prefix : &c->class_rules[i - c->n_rules].prefix;
	if (i < c->n_rules && c->rules[i].kind != FT_RULE_PREFIX)
		return bases[below(s, (unsigned)nb)];
	struct ft_addr a = p->addr;
	for (unsigned bit = p->len; bit < 128; bit++)
		if (kind == 2 || kind == 3 || (kind >= 5 && below(s, 2)))
			a.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	if (kind == 3)                            /* one past the end */
		for (int b = 15; b >= 0 && ++a.b[b] == 0; b--)
			;
	if (kind == 4)                            /* one before the start */
		for (int b = 15; b >= 0 && a.b[b]-- == 0; b--)
			;
	return a;
}

static int64_t random_time(uint64_t *s)
{
	unsigned k = below(s, 10);
	if (k == 0)
		return T0 - 100 * DAY;
	if (k == 1)
		return T0 + 100 * DAY;
	return times[below(s, N_TIMES)] + (int64_t)below(s, 3) - 1;
}

static struct ft_flow random_flow(uint64_t *s, const struct ft_tenant_conf *c, const struct ft_addr *bases,
                                  size_t nb, bool all_kinds)
{
	struct ft_flow f = { .end_ms = random_time(s), .bytes = 1, .packets = 1, .sampling_rate = 1 };
	f.start_ms = f.end_ms - 1000;
	f.exporter = addr(exporters[below(s, 3)]);
	f.src = random_addr(s, c, bases, nb);
	f.dst = random_addr(s, c, bases, nb);
	if (all_kinds) {
		f.in_if = below(s, 5);
		f.out_if = below(s, 5);
		f.vlan = (uint16_t)below(s, 5);
		f.post_vlan = below(s, 2) ? 0 : (uint16_t)below(s, 5);
		f.src_as = below(s, 5);
		f.dst_as = below(s, 5);
		f.flags = below(s, 8) == 0 ? FT_FLOW_NOT_ACCOUNTED : below(s, 8) == 0 ? FT_FLOW_SECOND_HALF : 0;
	}
	return f;
}

static const char *tn(const struct ft_tenant_conf *c, uint16_t t)
{
	return t < c->n_tenants ? c->tenants[t].name : "(out of range)";
}

static const char *cn(const struct ft_tenant_conf *c, uint8_t k)
{
	return k < c->n_classes ? c->classes[k] : "(out of range)";
}

static void check_flow(const struct ft_tenant_map *m, const struct ft_tenant_conf *c,
                       const struct ft_flow *f, uint64_t seed, unsigned k)
{
	struct ft_attr got, want = ref_attribute(c, f);
	ft_tenant_attribute(m, f, &got);
	if (got.src == want.src && got.dst == want.dst && got.src_class == want.src_class &&
	    got.dst_class == want.dst_class && got.accounted == want.accounted)
		return;
	char s[FT_ADDR_STRLEN], d[FT_ADDR_STRLEN], e[FT_ADDR_STRLEN];
	for (size_t i = 0; i < c->n_rules; i++) {
		char p[64];
		const struct ft_rule *r = &c->rules[i];
		ft_prefix_format(&r->prefix, p, sizeof(p));
		fprintf(stderr, "  rule %zu: kind %u %s tenant %s key %u/%u exp %s%s [%lld, %lld)\n", i, r->kind,
		        r->kind == FT_RULE_PREFIX ? p : "-", c->tenants[r->tenant].name, r->ifindex, r->value,
		        ft_addr_format(&r->exporter, e), r->any_exporter ? " (any)" : "",
		        (long long)r->from_ms, (long long)r->until_ms);
	}
	for (size_t i = 0; i < c->n_class_rules; i++) {
		char p[64];
		const struct ft_class_rule *r = &c->class_rules[i];
		fprintf(stderr, "  class rule %zu: %s %s [%lld, %lld)\n", i, ft_prefix_format(&r->prefix, p, sizeof(p)),
		        c->classes[r->cls], (long long)r->from_ms, (long long)r->until_ms);
	}
	ck_abort_msg("seed %llu flow %u: %s -> %s at %lld (exporter %s in %u out %u vlan %u/%u as %u/%u "
	             "flags %u): got %s/%s -> %s/%s acc %d, want %s/%s -> %s/%s acc %d",
	             (unsigned long long)seed, k, ft_addr_format(&f->src, s), ft_addr_format(&f->dst, d),
	             (long long)f->end_ms, ft_addr_format(&f->exporter, e), f->in_if, f->out_if, f->vlan,
	             f->post_vlan, f->src_as, f->dst_as, f->flags,
	             tn(c, got.src), cn(c, got.src_class), tn(c, got.dst), cn(c, got.dst_class),
	             got.accounted, tn(c, want.src), cn(c, want.src_class), tn(c, want.dst),
	             cn(c, want.dst_class), want.accounted);
}

static void run_random(uint64_t seed0, unsigned maps, unsigned flows, bool all_kinds)
{
	for (unsigned k = 0; k < maps; k++) {
		uint64_t seed = seed0 + k, s = seed * 0x9e3779b97f4a7c15ULL | 1;
		struct ft_addr bases[8];
		size_t nb = 1 + below(&s, 8);
		struct fx x;
		fx_init(&x);
		random_bases(&s, bases, nb);
		random_map(&s, &x, bases, nb, all_kinds);
		struct ft_tenant_map *m = ft_tenant_map_build(&x.c, &x.d);
		if (!m)
			dump_diag(&x.d);
		ck_assert_msg(m != NULL, "seed %llu: map not built", (unsigned long long)seed);
		for (unsigned i = 0; i < flows; i++) {
			struct ft_flow f = random_flow(&s, &x.c, bases, nb, all_kinds);
			check_flow(m, &x.c, &f, seed, i);
		}
		ft_tenant_map_free(m);
		fx_done(&x);
	}
}

START_TEST(random_prefix_maps_longest_valid_prefix_wins)
{
	run_random(1000000, MAPS(3000), FLOWS(64), false);
}
END_TEST

START_TEST(random_maps_of_every_rule_kind_follow_the_contract)
{
	run_random(2000000, MAPS(3000), FLOWS(64), true);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("tenant");
	TCase *tc = tcase_create("precedence");
	tcase_add_test(tc, interface_beats_vlan_beats_prefix_beats_as);
	tcase_add_test(tc, interface_rules_are_per_exporter_and_side);
	tcase_add_test(tc, vlan_exporter_rule_before_any_exporter_rule);
	tcase_add_test(tc, destination_side_takes_the_egress_vlan_when_set);
	tcase_add_test(tc, longest_prefix_then_as_on_both_sides);
	suite_add_tcase(s, tc);

	tc = tcase_create("classes");
	tcase_add_test(tc, class_is_where_the_other_end_is);
	tcase_add_test(tc, class_rules_have_dates_too);
	suite_add_tcase(s, tc);

	tc = tcase_create("dates");
	tcase_add_test(tc, dated_prefix_falls_back_to_the_covering_prefix);
	tcase_add_test(tc, renumbered_prefix_changes_owner_on_the_day);
	tcase_add_test(tc, interface_rule_only_in_its_period);
	suite_add_tcase(s, tc);

	tc = tcase_create("accounting");
	tcase_add_test(tc, only_records_at_accounting_points_count);
	tcase_add_test(tc, without_points_everything_counts_but_not_accounted_flows);
	suite_add_tcase(s, tc);

	tc = tcase_create("families");
	tcase_add_test(tc, ipv6_default_does_not_catch_ipv4);
	tcase_add_test(tc, ipv4_default_does_not_catch_ipv6);
	suite_add_tcase(s, tc);

	tc = tcase_create("identity");
	tcase_add_test(tc, same_rules_in_another_order_same_id);
	tcase_add_test(tc, same_classes_in_another_order_same_id);
	tcase_add_test(tc, a_changed_rule_changes_the_id);
	suite_add_tcase(s, tc);

	tc = tcase_create("interface table");
	tcase_add_test(tc, interface_tag_gives_a_rule_on_every_exporter_address);
	tcase_add_test(tc, interface_patterns_by_field_and_device);
	tcase_add_test(tc, configured_interface_rule_wins_over_a_pattern);
	tcase_add_test(tc, a_dated_configured_rule_wins_only_while_valid);
	tcase_add_test(tc, two_tenants_patterns_on_one_interface_first_wins);
	tcase_add_test(tc, interface_tag_naming_no_tenant_is_a_warning);
	tcase_add_test(tc, derived_rules_are_part_of_the_map_id);
	tcase_add_test(tc, pattern_validity_applies_to_its_rules);
	tcase_add_test(tc, derived_interface_rule_beats_a_prefix);
	suite_add_tcase(s, tc);

	tc = tcase_create("conflicts and lint");
	tcase_add_test(tc, same_prefix_two_tenants_overlapping_fails_with_location);
	tcase_add_test(tc, same_interface_two_tenants_fails_with_location);
	tcase_add_test(tc, conflict_fails_even_without_a_diag);
	tcase_add_test(tc, no_conflict_across_kinds_or_exporters);
	tcase_add_test(tc, same_tenant_twice_is_a_warning);
	tcase_add_test(tc, gap_between_periods_is_a_warning);
	tcase_add_test(tc, lint_lists_unannounced_address_space);
	tcase_add_test(tc, lint_ipv6_default_does_not_announce_ipv4);
	suite_add_tcase(s, tc);

	tc = tcase_create("prefix files");
	tcase_add_test(tc, prefix_file_good_and_bad_lines);
	tcase_add_test(tc, prefix_file_implicit_tenants);
	tcase_add_test(tc, prefix_file_cannot_name_unattributed);
	tcase_add_test(tc, prefix_file_long_comment_is_one_line);
	tcase_add_test(tc, prefix_file_missing);
	tcase_add_test(tc, prefix_files_dated_and_conflicting);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, random_prefix_maps_longest_valid_prefix_wins);
	tcase_add_test(tc, random_maps_of_every_rule_kind_follow_the_contract);
	suite_add_tcase(s, tc);
	return s;
}
