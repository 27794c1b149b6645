/* The receive path of one thread (collector/pipeline/): the exporter allow-list, the
 * stage list on batches, closing steps, and views published to readers: records read
 * before a view change are attributed with the old view, every record after it with the
 * new one, and a replaced view outlives every reader that may still use it. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/clock.h"
#include "flowtally/config.h"
#include "flowtally/netflow.h"
#include "flowtally/pipeline.h"
#include "flowtally/stats.h"
#include "flowtally/view.h"
#include "nf5_build.h"

#define T0 1764000000000LL      /* 2025-11-24T16:00:00Z */

/* A configuration with tenants acme and bravo, of which `owner` has 10.0.0.0/24 (the
 * sources of build_v5()). */
static struct ft_config *config(const char *owner)
{
	char text[512];
	struct ft_config *cfg = NULL;
	bool acme = strcmp(owner, "acme") == 0;
	snprintf(text, sizeof(text), "exporters = [\"127.0.0.0/8\"];\nstep = 60;\nlateness = 60;\n"
	         "tenants = ( { name = \"acme\"; %s }, { name = \"bravo\"; %s } );\n",
	         acme ? "prefixes = [\"10.0.0.0/24\"];" : "", acme ? "" : "prefixes = [\"10.0.0.0/24\"];");
	ck_assert_int_eq(ft_config_parse(text, "t.conf", &cfg, NULL), 0);
	return cfg;
}

static struct ft_view *view(const struct ft_config *cfg)
{
	struct ft_view *v;
	ck_assert_int_eq(ft_view_build(cfg, NULL, &v), 0);
	return v;
}

/* A v5 datagram of `records` records (100 × (i + 1) bytes each) exported at t_ms from
 * 127.0.0.1, or from `from` when given. */
static void send_v5(struct ft_pipeline *p, uint8_t *buf, unsigned records, int64_t t_ms, const char *from)
{
	struct v5hdr h = { .count = (uint16_t)records, .uptime = 100000, .secs = (uint32_t)(t_ms / 1000) };
	struct ft_datagram dg = { .data = buf, .recv_ns = t_ms * FT_NS_PER_MS };
	dg.len = build_v5(buf, &h, records);
	ck_assert_int_eq(ft_addr_parse(from ? from : "127.0.0.1", &dg.src), 0);
	ft_pipeline_datagram(p, &dg);
}

struct closed {
	struct ft_step s[16];
	size_t n;
};

static void take(struct ft_step *s, void *ctx)
{
	struct closed *c = ctx;
	ck_assert_uint_lt(c->n, 16);
	ck_assert_int_eq(ft_step_check(s), 0);
	c->s[c->n++] = *s;
}

static uint64_t out_bytes(const struct ft_step *s, const char *tenant)
{
	uint64_t b = 0;
	for (size_t i = 0; i < s->n_cells; i++)
		if (strcmp(s->cells[i].tenant, tenant) == 0 && s->cells[i].direction == FT_DIR_OUT)
			b += s->cells[i].v.bytes;
	return b;
}

static void closed_done(struct closed *c)
{
	for (size_t i = 0; i < c->n; i++)
		ft_step_done(&c->s[i]);
}

START_TEST(records_before_a_view_change_keep_the_old_view)
{
	struct ft_config *c1 = config("acme"), *c2 = config("bravo");
	struct ft_view *v1 = view(c1), *v2 = view(c2);
	struct ft_pipeline_opts po = { 0 };
	struct ft_pipeline *p;
	struct closed cl = { .n = 0 };
	uint8_t buf[24 + 48 * 30];
	ck_assert_int_eq(ft_pipeline_new(c1, &po, v1, T0, &p), 0);
	send_v5(p, buf, 3, T0 + 30000, NULL);    /* 600 bytes, not yet through the stages */
	ck_assert_int_eq(ft_pipeline_use_view(p, v2), 0);
	ck_assert_ptr_eq(ft_pipeline_view(p), v2);
	ft_view_free(v1);                        /* the pipeline keeps no pointer into it */
	send_v5(p, buf, 2, T0 + 30000, NULL);    /* 300 bytes */
	ft_pipeline_close(p, FT_PIPELINE_CLOSE_ALL, &(struct ft_step_out){ take, &cl });
	ck_assert_uint_eq(cl.n, 1);
	ck_assert_uint_eq(out_bytes(&cl.s[0], "acme"), 600);
	ck_assert_uint_eq(out_bytes(&cl.s[0], "bravo"), 300);
	ck_assert_str_eq(cl.s[0].map_id, ft_tenant_map_id(v2->tenants));
	closed_done(&cl);
	ft_pipeline_free(p);
	ft_view_free(v2);
	ft_config_free(c1);
	ft_config_free(c2);
}
END_TEST

START_TEST(records_the_aggregation_refuses_are_counted)
{
	/* Bounds raised past 2^56 and every record sampled 1 in 2^24 - 1: 2^32 - 1 bytes
	 * each is 2^56 corrected, and a step's total takes 256 of them.  The rest are
	 * refused, counted, and never wrap the total. */
	char text[512];
	struct ft_config *cfg = NULL;
	snprintf(text, sizeof(text), "exporters = [\"127.0.0.0/8\"];\nstep = 60;\nlateness = 60;\n"
	         "max_flow_bytes = 9223372036854775807L;\n"
	         "exporter_settings = ( { match = \"127.0.0.1\"; sampling_override = 16777215; } );\n");
	ck_assert_int_eq(ft_config_parse(text, "t.conf", &cfg, NULL), 0);
	struct ft_view *v = view(cfg);
	struct ft_pipeline_opts po = { 0 };
	struct ft_pipeline *p;
	struct closed cl = { .n = 0 };
	uint8_t buf[24 + 48 * 30];
	ck_assert_int_eq(ft_pipeline_new(cfg, &po, v, T0, &p), 0);
	for (int d = 0; d < 10; d++) {
		struct v5hdr h = { .count = 30, .uptime = 100000, .secs = (uint32_t)(T0 / 1000) + 30,
		                   .seq = 30u * (uint32_t)d };
		struct ft_datagram dg = { .data = buf, .recv_ns = (T0 + 30000) * FT_NS_PER_MS };
		dg.len = build_v5(buf, &h, 30);
		for (int i = 0; i < 30; i++)
			put32(buf + 24 + 48 * i + 20, 0xffffffffu);
		ck_assert_int_eq(ft_addr_parse("127.0.0.1", &dg.src), 0);
		ft_pipeline_datagram(p, &dg);
	}
	ft_pipeline_close(p, FT_PIPELINE_CLOSE_ALL, &(struct ft_step_out){ take, &cl });
	uint64_t each = 0xffffffffull * 16777215ull, kept = UINT64_MAX / each;
	ck_assert_uint_eq(cl.n, 1);
	ck_assert_uint_eq(cl.s[0].total.bytes, kept * each);
	ck_assert_uint_eq(cl.s[0].total.flows, kept);
	struct ft_stats st;
	ft_stats_init(&st, 0, "udp");
	ck_assert_int_eq(ft_pipeline_stats(p, &st), 0);
	ck_assert_uint_eq(st.agg_refused, 300 - kept);
	ck_assert_uint_eq(st.totals.records, 300);
	ft_stats_done(&st);
	closed_done(&cl);
	ft_pipeline_free(p);
	ft_view_free(v);
	ft_config_free(cfg);
}
END_TEST

START_TEST(the_allow_list_rejects_and_counts)
{
	struct ft_config *cfg = config("acme");
	struct ft_view *v = view(cfg);
	struct ft_pipeline_opts po = { 0 }, all = { .accept_all = true };
	struct ft_pipeline *p, *q;
	struct ft_stats st;
	uint8_t buf[24 + 48 * 30];
	ck_assert_int_eq(ft_pipeline_new(cfg, &po, v, T0, &p), 0);
	ck_assert_int_eq(ft_pipeline_new(cfg, &all, v, T0, &q), 0);
	for (int i = 0; i < 3; i++) {
		send_v5(p, buf, 1, T0, "192.0.2.7");
		send_v5(q, buf, 1, T0, "192.0.2.7");
	}
	send_v5(p, buf, 1, T0, NULL);
	ft_stats_init(&st, 0, "test");
	ft_pipeline_stats(p, &st);
	ck_assert_uint_eq(st.rejects.total, 3);
	ck_assert_uint_eq(st.totals.records, 1);
	ft_stats_clear(&st);
	ft_pipeline_stats(q, &st);
	ck_assert_uint_eq(st.rejects.total, 0);
	ck_assert_uint_eq(st.totals.records, 3);
	ft_stats_done(&st);
	ft_pipeline_free(p);
	ft_pipeline_free(q);
	ft_view_free(v);
	ft_config_free(cfg);
}
END_TEST

START_TEST(closing_follows_the_clock)
{
	struct ft_config *cfg = config("acme");
	struct ft_view *v = view(cfg);
	struct ft_pipeline_opts po = { 0 };
	struct ft_pipeline *p;
	struct closed cl = { .n = 0 };
	struct ft_step_out out = { take, &cl };
	uint8_t buf[24 + 48 * 30];
	ck_assert_int_eq(ft_pipeline_new(cfg, &po, v, INT64_MIN / 4, &p), 0);
	ck_assert_int_eq(ft_pipeline_close(p, T0, &out), T0 - 60000);   /* step 60 s, lateness 60 s */
	send_v5(p, buf, 4, T0 + 30000, NULL);
	ck_assert_int_eq(ft_pipeline_close(p, T0 + 119999, &out), T0);
	ck_assert_uint_eq(cl.n, 0);
	ck_assert_int_eq(ft_pipeline_close(p, T0 + 120000, &out), T0 + 60000);
	ck_assert_uint_eq(cl.n, 1);
	ck_assert_int_eq(cl.s[0].start_ms, T0);
	ck_assert_uint_eq(cl.s[0].total.flows, 4);
	ck_assert_uint_eq(cl.s[0].total.bytes, 1000);
	ck_assert_int_eq(ft_pipeline_close(p, FT_PIPELINE_CLOSE_ALL, &out), FT_PIPELINE_CLOSE_ALL);
	closed_done(&cl);
	ft_pipeline_free(p);
	ft_view_free(v);
	ft_config_free(cfg);
}
END_TEST

/* Reader 1 lags behind while reader 0 follows every reload: the view reader 1 uses
 * stays alive (ASan would see a use after free), every other replaced view goes at
 * once, so a burst of reloads never fills the list; once reader 1 has switched,
 * nothing replaced is left. */
START_TEST(a_view_outlives_its_last_reader)
{
	struct ft_config *cfg = config("acme");
	struct ft_view *first = view(cfg);
	struct ft_views *vs = ft_views_new(first, 2);
	ck_assert_ptr_nonnull(vs);
	ck_assert_ptr_eq(ft_views_current(vs), first);
	const struct ft_view *lagging = ft_views_current(vs);
	for (int i = 0; i < 3 * FT_VIEWS_MAX_RETIRED; i++) {
		ck_assert_int_eq(ft_views_publish(vs, view(cfg)), 0);
		const struct ft_view *v = ft_views_enter(vs, 0);
		ck_assert_ptr_eq(v, ft_views_current(vs));
		ft_views_leave(vs, 0, true);
		ft_views_collect(vs);
		ck_assert_uint_eq(ft_views_retired(vs), 1);     /* only the lagging one's */
		ck_assert_str_eq(ft_tenant_map_id(lagging->tenants), ft_tenant_map_id(first->tenants));
	}
	/* a reader that fails to switch keeps its view; entering protects the new one */
	const struct ft_view *v = ft_views_enter(vs, 1);
	ck_assert_int_eq(ft_views_publish(vs, view(cfg)), 0);
	ck_assert_uint_eq(ft_views_retired(vs), 2);         /* lagging, and v being entered */
	ck_assert_ptr_nonnull(v->tenants);
	ft_views_leave(vs, 1, false);
	ft_views_enter(vs, 0);                              /* reader 0 leaves v too */
	ft_views_leave(vs, 0, true);
	ft_views_collect(vs);
	ck_assert_uint_eq(ft_views_retired(vs), 1);
	ck_assert_str_eq(ft_tenant_map_id(lagging->tenants), ft_tenant_map_id(first->tenants));
	ft_views_enter(vs, 1);
	ft_views_leave(vs, 1, true);
	ft_views_collect(vs);
	ck_assert_uint_eq(ft_views_retired(vs), 0);
	ck_assert_ptr_null(ft_views_new(NULL, FT_VIEWS_MAX_READERS + 1));
	ft_views_free(vs);
	ft_config_free(cfg);
}
END_TEST

/* ---- saved templates ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void put(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* How many names in sdir start with prefix; the text of the last (sorted) in text. */
static int files_like(const char *sdir, const char *prefix, char *text, size_t size)
{
	struct dirent **names;
	char p[512];
	int n = scandir(sdir, &names, NULL, alphasort), found = 0;
	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++) {
		if (strncmp(names[i]->d_name, prefix, strlen(prefix)) == 0) {
			found++;
			snprintf(p, sizeof(p), "%s/%s", sdir, names[i]->d_name);
			FILE *f = fopen(p, "r");
			ck_assert_ptr_nonnull(f);
			text[fread(text, 1, size - 1, f)] = '\0';
			fclose(f);
		}
		free(names[i]);
	}
	free(names);
	return found;
}

/* A v9 exporter entry with template `id` of four fields. */
#define TPL_ENTRY(addr, id) "{\"address\":\"" addr "\",\"version\":9,\"domain\":0,\"templates\":" \
	"[{\"id\":" #id ",\"options\":false,\"scope\":0,\"fields\":[[8,4,0],[12,4,0],[1,4,0],[2,4,0]]}]}"

/* Saved templates that do not parse, or hold entries that are not valid, are set aside
 * (never overwritten: the next save would replace them); what is valid in them is used. */
START_TEST(damaged_saved_templates_are_set_aside)
{
	char ddir[64], sdir[128], tpl[256], saved[256], text[4096];
	static const char *const garbage[] = {
		"{\"schema\":1,\"exporters\":[" TPL_ENTRY("127.0.0.1", 256) ",",
		"{\"schema\":1,\"exporters\":[" TPL_ENTRY("127.0.0.1", 256) "," TPL_ENTRY("127.0.0.2", 12) "]}",
		"{\"schema\":1,\"exporters\":{}}",
	};
	snprintf(ddir, sizeof(ddir), "/tmp/ft-pipeline-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(ddir));
	snprintf(sdir, sizeof(sdir), "%s/state", ddir);
	snprintf(tpl, sizeof(tpl), "%s/templates.json", sdir);
	ck_assert_int_eq(mkdir(sdir, 0755), 0);
	struct ft_config *cfg = config("acme");
	free(cfg->data_dir);
	cfg->data_dir = strdup(ddir);
	struct ft_view *v = view(cfg);
	struct ft_pipeline_opts po = { .keep_state = true };
	for (int i = 0; i < 3; i++) {
		struct ft_pipeline *p;
		put(tpl, garbage[i]);
		ck_assert_int_eq(ft_pipeline_new(cfg, &po, v, T0, &p), 0);
		ft_pipeline_load_state(p);
		ck_assert_int_eq(files_like(sdir, "templates.json.damaged-", text, sizeof(text)), i + 1);
		ck_assert_str_eq(text, garbage[i]);             /* the newest, as it was */
		ck_assert_int_eq(access(tpl, F_OK), -1);
		ft_pipeline_finish(p);                          /* saves what it holds */
		ck_assert_int_eq(files_like(sdir, "templates.json", text, sizeof(text)), i + 1);
		ck_assert_int_eq(files_like(sdir, "templates.json.damaged-", text, sizeof(text)), i + 1);
		ck_assert_int_eq(files_like(sdir, "templates.state", text, sizeof(text)), 1);
		/* the valid entry of the second file was used and is saved again (in the
		 * binary format: read back and shown as JSON) */
		snprintf(saved, sizeof(saved), "%s/templates.state", sdir);
		struct ft_netflow *nf = ft_netflow_new(NULL);
		ck_assert_int_eq(ft_netflow_load(nf, saved, T0 * 1000000, NULL, 0), 0);
		FILE *f = fmemopen(text, sizeof(text), "w");
		ck_assert_int_eq(ft_netflow_dump_json(nf, f), 0);
		fclose(f);
		ft_netflow_free(nf);
		ck_assert_int_eq(strstr(text, "\"id\": 256") != NULL, i == 1);
		ck_assert_ptr_null(strstr(text, "\"id\": 12,"));
		unlink(saved);
		ft_pipeline_free(p);
	}
	ft_view_free(v);
	ft_config_free(cfg);
	nftw(ddir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("pipeline");
	tcase_add_test(tc, records_before_a_view_change_keep_the_old_view);
	tcase_add_test(tc, the_allow_list_rejects_and_counts);
	tcase_add_test(tc, records_the_aggregation_refuses_are_counted);
	tcase_add_test(tc, closing_follows_the_clock);
	tcase_add_test(tc, a_view_outlives_its_last_reader);
	tcase_add_test(tc, damaged_saved_templates_are_set_aside);
	suite_add_tcase(s, tc);
	return s;
}
