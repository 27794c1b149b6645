/* The daemon's outputs (collector/daemon/outputs.c, writer.c): closed steps go to the
 * authoritative ledger first and then, through the writer thread's queue, to every other
 * sink of the table.  A recording sink registered here, as a new sink would be in
 * exporters/sinks.c, must receive exactly the steps the ledger holds afterwards; a
 * failing sink is counted and harms nothing; a stuck sink loses steps to the queue's
 * bound (counted), never the ledger's. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "same_step.h"
#include "flowtally/clock.h"
#include "flowtally/config.h"
#include "flowtally/gen.h"
#include "flowtally/ledger.h"
#include "flowtally/log.h"
#include "flowtally/pipeline.h"
#include "flowtally/view.h"
#include "outputs.h"
#include "writer.h"

static char dir[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ft-outputs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ft_log_level = FT_LOG_ERR - 1;      /* the failures below are meant */
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the recording sink: keeps a copy of every step and counts samples ---- */

struct recorder {
	pthread_mutex_t mu;
	struct ft_step *steps;
	size_t n;
	size_t samples;
	int64_t last;               /* what last_step() says: INT64_MIN none */
	bool fail;                  /* every write fails with -EIO */
	bool no_open;               /* open fails with -ECONNREFUSED */
	int64_t slow_ns;            /* every write takes this long */
	bool gate_closed;           /* writes wait until the gate opens */
	bool down;                  /* writes say -EAGAIN (a server down) and keep nothing */
	size_t again;               /* writes that said so */
	pthread_cond_t gate;
};

static struct recorder rec;

static void rec_init(void)
{
	rec = (struct recorder){ .last = INT64_MIN };
	pthread_mutex_init(&rec.mu, NULL);
	pthread_cond_init(&rec.gate, NULL);
}

static void rec_done(void)
{
	for (size_t i = 0; i < rec.n; i++)
		ft_step_done(&rec.steps[i]);
	free(rec.steps);
	pthread_cond_destroy(&rec.gate);
	pthread_mutex_destroy(&rec.mu);
}

static int rec_open(const struct ft_sink_env *env, void **ret)
{
	ck_assert_str_eq(env->data_dir, dir);
	if (rec.no_open)
		return -ECONNREFUSED;
	*ret = &rec;
	return 0;
}

static int rec_write(void *state, const struct ft_step *s)
{
	struct recorder *r = state;
	pthread_mutex_lock(&r->mu);
	while (r->gate_closed)
		pthread_cond_wait(&r->gate, &r->mu);
	if (r->down) {
		r->again++;
		pthread_mutex_unlock(&r->mu);
		return -EAGAIN;
	}
	if (r->slow_ns) {
		struct timespec ts = { 0, (long)r->slow_ns };
		nanosleep(&ts, NULL);
	}
	int ret = r->fail ? -EIO : 0;
	if (!r->fail) {
		r->steps = realloc(r->steps, (r->n + 1) * sizeof(*r->steps));
		ck_assert_ptr_nonnull(r->steps);
		ck_assert_int_eq(ft_step_copy(s, &r->steps[r->n]), 0);
		r->n++;
	}
	pthread_mutex_unlock(&r->mu);
	return ret;
}

static int rec_samples(void *state, const struct ft_if_step *s, size_t n)
{
	struct recorder *r = state;
	(void)s;
	pthread_mutex_lock(&r->mu);
	r->samples += n;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

static int rec_last(void *state, int64_t *ret)
{
	struct recorder *r = state;
	if (r->last == INT64_MIN)
		return -ENOENT;
	*ret = r->last;
	return 0;
}

static void rec_close(void *state)
{
	(void)state;
}

static const struct ft_sink_ops recorder_sink = {
	.name = "recorder", .open = rec_open, .write_step = rec_write, .write_interfaces = rec_samples,
	.last_step = rec_last, .close = rec_close,
};

static const struct ft_sink_entry table[] = {
	{ &ft_ledger_sink, FT_SINK_NO_CONF },
	{ &recorder_sink, FT_SINK_NO_CONF },
};

/* A second recording sink, for what one sink's trouble does to another. */
static struct recorder rec2;

static int rec2_open(const struct ft_sink_env *env, void **ret)
{
	(void)env;
	*ret = &rec2;
	return 0;
}

static const struct ft_sink_ops second_sink = {
	.name = "second", .open = rec2_open, .write_step = rec_write, .close = rec_close,
};

static const struct ft_sink_entry table3[] = {
	{ &ft_ledger_sink, FT_SINK_NO_CONF },
	{ &recorder_sink, FT_SINK_NO_CONF },
	{ &second_sink, FT_SINK_NO_CONF },
};

static size_t rec_count(struct recorder *r, size_t *again)
{
	pthread_mutex_lock(&r->mu);
	size_t n = r->n;
	if (again)
		*again = r->again;
	pthread_mutex_unlock(&r->mu);
	return n;
}

static void gate(bool closed)
{
	pthread_mutex_lock(&rec.mu);
	rec.gate_closed = closed;
	pthread_cond_broadcast(&rec.gate);
	pthread_mutex_unlock(&rec.mu);
}

/* ---- traffic: generated v5 datagrams through the pipeline, steps to the outputs ---- */

static struct ft_config *config(void)
{
	struct ft_config *cfg = NULL;
	char text[512];
	snprintf(text, sizeof(text),
	         "data_dir = \"%s\";\nstep = 1;\nlateness = 2;\nexporters = [\"127.0.0.0/8\"];\n"
	         "tenants = ( { name = \"north\"; prefixes = [\"10.0.0.0/9\"]; },\n"
	         "            { name = \"south\"; prefixes = [\"10.128.0.0/9\", \"192.168.0.0/17\"]; } );\n", dir);
	ck_assert_int_eq(ft_config_parse(text, "t.conf", &cfg, NULL), 0);
	return cfg;
}

static void to_outputs(struct ft_step *s, void *ctx)
{
	ft_outputs_add(ctx, s);
	ft_outputs_commit(ctx, INT64_MAX);      /* one pipeline: every closed step is complete */
}

/* Sends `datagrams` v5 datagrams, 10 ms of export time apart, through a pipeline whose
 * clock is their export time; returns the records sent. */
static uint64_t feed(const struct ft_config *cfg, struct ft_outputs *o, uint32_t datagrams, int64_t start_ms)
{
	struct ft_gen_opts go = { .seed = 11, .exporters = 3, .start_ms = start_ms, .ms_per_datagram = 10 };
	ft_gen_opts_default(&go);
	struct ft_gen *g = ft_gen_new(&go);
	struct ft_view *v;
	struct ft_pipeline *p;
	struct ft_pipeline_opts po = { 0 };
	struct ft_step_out out = { to_outputs, o };
	uint8_t buf[FT_GEN_MAX_DATAGRAM];
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(ft_view_build(cfg, NULL, &v), 0);
	ck_assert_int_eq(ft_pipeline_new(cfg, &po, v, INT64_MIN / 4, &p), 0);
	for (uint32_t i = 0; i < datagrams; i++) {
		uint32_t e;
		struct ft_datagram dg = { .data = buf, .recv_ns = (start_ms + 10 * (int64_t)i) * FT_NS_PER_MS };
		dg.len = ft_gen_next(g, buf, sizeof(buf), &e);
		ft_addr_from_v4(&dg.src, 0x7f000001);
		ft_pipeline_close(p, dg.recv_ns / FT_NS_PER_MS, &out);
		ft_pipeline_datagram(p, &dg);
	}
	ft_pipeline_finish(p);
	ft_pipeline_close(p, FT_PIPELINE_CLOSE_ALL, &out);
	uint64_t records = ft_gen_total(g)->records;
	ft_pipeline_free(p);
	ft_view_free(v);
	ft_gen_free(g);
	return records;
}

/* Every step of the ledger, in order. */
static size_t read_ledger(struct ft_step **ret)
{
	char ldir[128];
	struct ft_ledger_reader *r;
	struct ft_step *s = NULL;
	size_t n = 0;
	snprintf(ldir, sizeof(ldir), "%s/ledger", dir);
	ck_assert_int_eq(ft_ledger_reader_open(ldir, INT64_MIN, INT64_MAX, &r), 0);
	for (;;) {
		s = realloc(s, (n + 1) * sizeof(*s));
		int k = ft_ledger_reader_next(r, &s[n], NULL);
		ck_assert_int_ge(k, 0);
		if (k == 0)
			break;
		n++;
	}
	ft_ledger_reader_free(r);
	*ret = s;
	return n;
}

static void free_steps(struct ft_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ft_step_done(&s[i]);
	free(s);
}

static const struct ft_sink_report *report_of(const struct ft_sink_report *r, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0)
			return &r[i];
	ck_abort_msg("no report for sink %s", name);
	return NULL;
}

/* Waits (10 s at most) until the writer has dealt with every step the ledger wrote and
 * with `samples` interface samples; leaves the reports in rep. */
static void settle(struct ft_outputs *o, struct ft_sink_report rep[2], uint64_t samples)
{
	for (int i = 0; i < 1000; i++) {
		ck_assert_uint_eq(ft_outputs_report(o, rep, 2), 2);
		const struct ft_sink_counts *l = &rep[0].c, *r = &rep[1].c;
		if (r->written + r->refused + r->errors + r->dropped == l->written && r->samples >= samples)
			return;
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("the writer did not catch up");
}

/* ---- a live run: hand-made steps, the commits a control thread would make ---- */

#define T0 1764000000000LL      /* 2025-11-24T16:00:00Z, a multiple of a minute */

/* A step at t with `flows` flows of 100 bytes, 2 packets each, owned by no tenant. */
static struct ft_step data_step(int64_t t, uint64_t flows, const char *map_id)
{
	struct ft_volume v = { 100 * flows, 2 * flows, flows };
	struct ft_step s = { .start_ms = t, .length_ms = 1000, .total = v, .unattributed_src = v,
	                     .unattributed_dst = v };
	snprintf(s.map_id, sizeof(s.map_id), "%s", map_id);
	return s;
}

/* That step, closed by every thread, to the outputs. */
static void add_data(struct ft_outputs *o, int64_t t, uint64_t flows, const char *map_id)
{
	struct ft_step s = data_step(t, flows, map_id);
	ft_outputs_add(o, &s);
}

static bool all_zero(const struct ft_step *s)
{
	const struct ft_volume *v[] = { &s->total, &s->unattributed_src, &s->unattributed_dst, &s->late,
	                                &s->not_accounted };
	for (size_t i = 0; i < 5; i++)
		if (v[i]->bytes || v[i]->packets || v[i]->flows)
			return false;
	return s->n_cells == 0;
}

/* Standard error into a file while a test runs, to look for warnings in it. */
static int saved_stderr = -1;
static char err_path[96];

static void capture_stderr(void)
{
	snprintf(err_path, sizeof(err_path), "%s.stderr", dir);
	fflush(stderr);
	saved_stderr = dup(2);
	FILE *f = fopen(err_path, "w");
	ck_assert_ptr_nonnull(f);
	dup2(fileno(f), 2);
	fclose(f);
}

/* Ends the capture; true when it holds no warning or error. */
static bool stderr_clean(void)
{
	char line[1200];
	bool clean = true;
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	FILE *f = fopen(err_path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[warning]") || strstr(line, "[err]")) {
			fprintf(stderr, "logged: %s", line);
			clean = false;
		}
	fclose(f);
	remove(err_path);
	return clean;
}

/* ---- tests ---- */

START_TEST(a_registered_sink_gets_exactly_the_ledgers_steps)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	rec_init();
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	uint64_t sent = feed(cfg, o, 2000, 1764000000000);   /* 20 s of traffic, 1 s steps */
	ft_outputs_close(o);                 /* the writer's queue is written before this returns */

	struct ft_step *ledger;
	size_t n = read_ledger(&ledger);
	ck_assert_uint_ge(n, 20);
	ck_assert_uint_eq(rec.n, n);
	uint64_t flows = 0;
	for (size_t i = 0; i < n; i++) {
		same_step(&ledger[i], &rec.steps[i]);
		flows += ledger[i].total.flows;
	}
	ck_assert_uint_eq(flows, sent);
	free_steps(ledger, n);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

START_TEST(each_sink_is_counted_on_its_own)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_sink_report rep[2];
	struct ft_if_step samples[3] = { { .ifindex = 1 }, { .ifindex = 2 }, { .ifindex = 3 } };
	rec_init();
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	feed(cfg, o, 500, 1764000000000);
	ft_outputs_interfaces(o, samples, 3);
	settle(o, rep, 3);
	ck_assert_uint_eq(rep[1].c.written, rep[0].c.written);
	ck_assert_uint_eq(rep[1].c.samples, 3);
	ck_assert_int_eq(rep[1].c.last_ms, rep[0].c.last_ms);
	ft_outputs_close(o);
	ck_assert_uint_eq(rec.samples, 3);
	/* reopened, the ledger refuses what it holds, and so does a sink that says it holds it */
	struct ft_step *ledger;
	size_t n = read_ledger(&ledger);
	rec.last = ledger[n - 1].start_ms;
	size_t before = rec.n;
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	ft_outputs_add(o, &(struct ft_step){ .start_ms = ledger[n - 1].start_ms, .length_ms = 1000 });
	ft_outputs_commit(o, INT64_MAX);
	ck_assert_uint_eq(ft_outputs_report(o, rep, 2), 2);
	ck_assert_uint_eq(rep[0].c.refused, 1);
	ck_assert_uint_eq(rep[0].c.written, 0);
	ft_outputs_close(o);
	ck_assert_uint_eq(rec.n, before);
	free_steps(ledger, n);

	/* a failing sink is counted; the ledger goes on */
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	rec.fail = true;
	feed(cfg, o, 300, 1764000100000);
	settle(o, rep, 0);
	ck_assert_uint_ge(rep[0].c.written, 3);
	ck_assert_uint_eq(rep[1].c.errors, rep[0].c.written);
	ck_assert_uint_eq(rep[1].c.written, 0);
	ft_outputs_close(o);
	n = read_ledger(&ledger);
	ck_assert_uint_eq(rec.n, before);
	ck_assert_int_eq(ledger[n - 1].start_ms / 1000, (1764000100000 + 299 * 10) / 1000);
	free_steps(ledger, n);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* After a restart a sink may hold steps the ledger has not (it wrote them, the ledger's
 * block was cut by a crash): it is not given them again. */
START_TEST(a_sink_is_not_given_what_it_holds)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_sink_report rep[2];
	int64_t start = 1764000000000;
	rec_init();
	rec.last = start + 5000;
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	feed(cfg, o, 2000, start);
	settle(o, rep, 0);
	ft_outputs_close(o);
	struct ft_step *ledger;
	size_t n = read_ledger(&ledger), held = 0;
	for (size_t i = 0; i < n; i++)
		held += ledger[i].start_ms <= rec.last;
	ck_assert_uint_ge(held, 1);
	ck_assert_uint_eq(rep[1].c.refused, held);
	ck_assert_uint_eq(rec.n, n - held);
	for (size_t i = 0; i < rec.n; i++)
		same_step(&ledger[held + i], &rec.steps[i]);
	free_steps(ledger, n);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* A sink that does not keep up loses steps beyond the queue's bound (counted as
 * dropped); the ledger and receiving are never held up by it. */
START_TEST(a_stuck_sink_holds_up_nothing)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_sink_report rep[2];
	rec_init();
	gate(true);
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	ft_outputs_set_patient(o, false);               /* as the daemon's queue is */
	feed(cfg, o, 50000, 1764000000000);             /* 500 steps */
	ck_assert_uint_eq(ft_outputs_report(o, rep, 2), 2);
	const struct ft_sink_report *l = report_of(rep, 2, "ledger"), *r = report_of(rep, 2, "recorder");
	size_t queue = 2 * cfg->sink_queue;
	ck_assert_uint_ge(l->c.written, 500);
	ck_assert_uint_eq(r->c.written, 0);
	ck_assert_uint_ge(r->c.dropped, l->c.written - queue - 1);
	ck_assert_uint_le(r->c.pending, queue);
	uint64_t written = l->c.written, dropped = r->c.dropped;
	int64_t last = l->c.last_ms;
	gate(false);
	ft_outputs_close(o);
	ck_assert_uint_eq(rec.n + dropped, written);
	/* the oldest went: after the one the sink was stuck in come the newest, in order */
	ck_assert_uint_ge(rec.n, 2);
	ck_assert_int_eq(rec.steps[rec.n - 1].start_ms, last);
	for (size_t i = 2; i < rec.n; i++)
		ck_assert_int_eq(rec.steps[i].start_ms, rec.steps[i - 1].start_ms + 1000);
	ck_assert_int_gt(rec.steps[1].start_ms, rec.steps[0].start_ms + 1000 * (int64_t)(written - queue - 2));
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* A sink whose server is down (-EAGAIN) keeps its steps queued, in order, and gets
 * every one when it comes back, while the other sinks go on meanwhile. */
START_TEST(a_sink_whose_server_is_down_gets_every_step_later)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_sink_report rep[3];
	size_t again = 0;
	rec_init();
	rec2 = (struct recorder){ .last = INT64_MIN };
	pthread_mutex_init(&rec2.mu, NULL);
	pthread_cond_init(&rec2.gate, NULL);
	rec.down = true;
	ck_assert_int_eq(ft_outputs_open(cfg, table3, 3, false, &o), 0);
	feed(cfg, o, 2000, 1764000000000);              /* 20 steps */
	ck_assert_uint_eq(ft_outputs_report(o, rep, 3), 3);
	uint64_t written = rep[0].c.written;
	ck_assert_uint_ge(written, 20);
	for (int i = 0; i < 1000 && rec_count(&rec2, NULL) < written; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	ck_assert_uint_eq(rec_count(&rec2, NULL), written);        /* the other went on */
	ck_assert_uint_eq(rec_count(&rec, &again), 0);
	ck_assert_uint_ge(again, 1);
	ft_outputs_report(o, rep, 3);
	ck_assert_uint_eq(report_of(rep, 3, "recorder")->c.pending, written);
	ck_assert_uint_ge(report_of(rep, 3, "recorder")->c.retries, 1);
	pthread_mutex_lock(&rec.mu);
	rec.down = false;
	pthread_mutex_unlock(&rec.mu);
	for (int i = 0; i < 4000 && rec_count(&rec, NULL) < written; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	ck_assert_uint_eq(rec_count(&rec, NULL), written);
	for (size_t i = 0; i < rec.n; i++)
		same_step(&rec.steps[i], &rec2.steps[i]);
	ft_outputs_report(o, rep, 3);
	ck_assert_uint_eq(report_of(rep, 3, "recorder")->c.dropped, 0);
	ck_assert_uint_eq(report_of(rep, 3, "recorder")->c.written, written);
	/* down again at the stop: it does not hold the stop up (the next start catches up) */
	pthread_mutex_lock(&rec.mu);
	rec.down = true;
	pthread_mutex_unlock(&rec.mu);
	feed(cfg, o, 500, 1764000000000 + 60000);
	int64_t t0 = ft_clock_mono_ns();
	ft_outputs_close(o);
	ck_assert_int_lt(ft_clock_mono_ns() - t0, 5 * FT_NS_PER_SEC);
	rec_done();
	for (size_t i = 0; i < rec2.n; i++)
		ft_step_done(&rec2.steps[i]);
	free(rec2.steps);
	ft_config_free(cfg);
}
END_TEST

/* A sink that does not open is off for the run: counted, and nothing else stops. */
START_TEST(a_sink_that_does_not_open_is_off)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_sink_report rep[2];
	rec_init();
	rec.no_open = true;
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	feed(cfg, o, 500, 1764000000000);
	settle(o, rep, 0);
	ck_assert_uint_ge(rep[0].c.written, 5);
	ck_assert_uint_eq(rep[1].c.dropped, rep[0].c.written);
	ck_assert_uint_eq(rep[1].c.written, 0);
	ft_outputs_close(o);
	ck_assert_uint_eq(rec.n, 0);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* At a stop a slow sink gets what it can write within the bound; the rest of the queue
 * is dropped, counted, and the stop does not wait for it. */
START_TEST(a_slow_sink_is_cut_off_at_the_stop)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	rec_init();
	rec.slow_ns = 100 * FT_NS_PER_MS;
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	feed(cfg, o, 5000, 1764000000000);              /* 50 steps, 5 s of writing */
	int64_t t0 = ft_clock_mono_ns();
	ft_outputs_close_within(o, FT_NS_PER_SEC);
	int64_t took = ft_clock_mono_ns() - t0;
	ck_assert_int_lt(took, 3 * FT_NS_PER_SEC);
	struct ft_step *ledger;
	size_t n = read_ledger(&ledger);
	ck_assert_uint_ge(n, 50);
	ck_assert_uint_gt(rec.n, 0);
	ck_assert_uint_lt(rec.n, n);
	for (size_t i = 0; i < rec.n; i++)
		same_step(&ledger[i], &rec.steps[i]);
	free_steps(ledger, n);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* A live run writes a block for every step from the one holding its start, a quiet
 * one as zeros with the map in force, so that a missing block means flowtallyd was not
 * running; the other sinks get the same steps. */
START_TEST(a_live_run_writes_a_block_for_every_step)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_sink_report rep[2];
	rec_init();
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, true, &o), 0);
	ft_outputs_set_first_step(o, T0 + 400);         /* started within step T0 */
	ft_outputs_set_map_id(o, "mapA");
	add_data(o, T0 + 3000, 5, "mapA");
	ft_outputs_commit(o, T0 + 2000);                /* every thread closed T0 and T0 + 1 s */
	ft_outputs_commit(o, T0 + 5000);
	ft_outputs_set_map_id(o, "mapB");               /* a reload */
	add_data(o, T0 + 7000, 3, "mapB");
	ft_outputs_commit(o, T0 + 10000);
	settle(o, rep, 0);
	ck_assert_uint_eq(rep[0].c.written, 10);
	ck_assert_uint_eq(rep[0].c.pending, 0);
	ck_assert_uint_eq(rep[0].c.refused + rep[0].c.errors + rep[0].c.dropped, 0);
	ft_outputs_close(o);

	struct ft_step *ledger;
	size_t n = read_ledger(&ledger);
	ck_assert_uint_eq(n, 10);
	for (size_t i = 0; i < n; i++) {
		int64_t t = T0 + 1000 * (int64_t)i;
		ck_assert_int_eq(ledger[i].start_ms, t);
		ck_assert_int_eq(ledger[i].length_ms, 1000);
		if (t == T0 + 3000 || t == T0 + 7000) {
			ck_assert_uint_eq(ledger[i].total.flows, t == T0 + 3000 ? 5 : 3);
			continue;
		}
		ck_assert_msg(all_zero(&ledger[i]), "step %zu is not all zeros", i);
		ck_assert_str_eq(ledger[i].map_id, t < T0 + 5000 ? "mapA" : "mapB");
	}
	ck_assert_uint_eq(rec.n, n);
	for (size_t i = 0; i < n; i++)
		same_step(&ledger[i], &rec.steps[i]);
	free_steps(ledger, n);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* A replay writes the steps with records only: its capture's quiet times are not a
 * collector's. */
START_TEST(a_replay_writes_the_steps_with_records_only)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	rec_init();
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	add_data(o, T0 + 3000, 5, "mapA");
	add_data(o, T0 + 7000, 3, "mapA");
	ft_outputs_commit(o, T0 + 10000);
	ft_outputs_close(o);
	struct ft_step *ledger;
	size_t n = read_ledger(&ledger);
	ck_assert_uint_eq(n, 2);
	free_steps(ledger, n);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* Steps the ledger holds are never written again, and the empty steps a restart would
 * give them are no warning: not after the ledger's last step of this length, nor inside
 * a longer step an earlier configuration wrote. */
START_TEST(steps_the_ledger_holds_get_no_empty_step)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_sink_report rep[2];
	rec_init();
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	for (int64_t t = T0; t <= T0 + 5000; t += 1000)
		add_data(o, t, 1, "mapA");
	ft_outputs_commit(o, INT64_MAX);
	ft_outputs_close(o);

	capture_stderr();
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, true, &o), 0);
	ft_outputs_set_first_step(o, T0 + 2500);        /* a step the ledger holds */
	ft_outputs_set_map_id(o, "mapA");
	ft_outputs_commit(o, T0 + 9000);
	settle(o, rep, 0);
	ck_assert_uint_eq(rep[0].c.written, 3);         /* T0 + 6, 7, 8 s */
	ck_assert_uint_eq(rep[0].c.refused + rep[0].c.errors, 0);
	ft_outputs_close(o);
	ck_assert(stderr_clean());

	/* the ledger's last step a minute long, from an earlier configuration: the steps of
	 * a second inside it are covered, the next minute's are written */
	char ldir[128];
	struct ft_ledger *l;
	snprintf(ldir, sizeof(ldir), "%s/ledger", dir);
	nftw(ldir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	ck_assert_int_eq(ft_ledger_open(ldir, &l), 0);
	struct ft_step minute = data_step(T0, 4, "mapA");
	minute.length_ms = 60000;
	ck_assert_int_eq(ft_ledger_append(l, &minute), 0);
	ft_ledger_close(l);
	capture_stderr();
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, true, &o), 0);
	ft_outputs_set_first_step(o, T0 + 10000);
	ft_outputs_set_map_id(o, "mapA");
	ft_outputs_commit(o, T0 + 62000);
	settle(o, rep, 0);
	ck_assert_uint_eq(rep[0].c.written, 2);         /* T0 + 60 and 61 s */
	ck_assert_uint_eq(rep[0].c.refused, 50);        /* T0 + 10 … 59 s, held */
	ck_assert_uint_eq(rep[0].c.errors, 0);
	ft_outputs_close(o);
	ck_assert(stderr_clean());
	struct ft_step *ledger;
	size_t n = read_ledger(&ledger);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ledger[1].start_ms, T0 + 60000);
	ck_assert_int_eq(ledger[2].start_ms, T0 + 61000);
	free_steps(ledger, n);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

static int64_t row(const struct ft_sink_report *r, const char *name)
{
	for (size_t i = 0; i < r->n_rows; i++)
		if (strcmp(r->rows[i].name, name) == 0)
			return r->rows[i].value;
	ck_abort_msg("no row %s in the report of %s", name, r->name);
	return 0;
}

/* Opens a live run starting at t_ms and takes the saved steps back, as the daemon
 * starts; returns how many were restored (freed). */
static size_t start_live(const struct ft_config *cfg, int64_t t_ms, struct ft_outputs **o)
{
	struct ft_step *restored = NULL;
	size_t n = 0;
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, true, o), 0);
	ft_outputs_set_first_step(*o, t_ms);
	ft_outputs_set_map_id(*o, "mapA");
	ck_assert_int_eq(ft_outputs_take_open(*o, &restored, &n), 0);
	free_steps(restored, n);
	return n;
}

/* The steps between the last run's and a start's first are said once, reported, and
 * get no block: after the ledger's last step, or after the last step saved at a stop. */
START_TEST(the_steps_before_a_start_are_said_and_get_no_block)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_sink_report rep[2];
	char path[128], line[1200];
	rec_init();
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, false, &o), 0);
	for (int64_t t = T0; t <= T0 + 5000; t += 1000)
		add_data(o, t, 1, "mapA");
	ft_outputs_commit(o, INT64_MAX);
	ft_outputs_close(o);

	/* the first start after the ledger's last step, T0 + 5 s: 14 steps missed */
	int saved_level = ft_log_level;
	ft_log_level = FT_LOG_NOTICE;
	capture_stderr();
	ck_assert_uint_eq(start_live(cfg, T0 + 20500, &o), 0);
	ft_log_level = saved_level;
	ft_outputs_commit(o, T0 + 23000);
	settle(o, rep, 0);
	ck_assert_int_eq(row(&rep[0], "gap_steps"), 14);
	ck_assert_int_eq(row(&rep[0], "gap_from"), T0 + 6000);
	ck_assert_int_eq(row(&rep[0], "gap_to"), T0 + 20000);
	ft_outputs_close(o);
	fflush(stderr);
	FILE *f = fopen(err_path, "r");
	ck_assert_ptr_nonnull(f);
	int said = 0;
	while (fgets(line, sizeof(line), f))
		said += strstr(line, "no steps from 2025-11-24T16:00:06.000Z to 2025-11-24T16:00:20.000Z "
		                     "(14 steps of 1 s): flowtallyd was not running") != NULL;
	fclose(f);
	ck_assert(stderr_clean());
	ck_assert_int_eq(said, 1);
	struct ft_step *ledger;
	size_t n = read_ledger(&ledger);
	ck_assert_uint_eq(n, 9);                        /* T0 … T0 + 5 s, T0 + 20 … 22 s */
	ck_assert_int_eq(ledger[5].start_ms, T0 + 5000);
	ck_assert_int_eq(ledger[6].start_ms, T0 + 20000);
	free_steps(ledger, n);

	/* steps saved at the stop, up to T0 + 30 s, end the last run there */
	struct ft_step saved[2] = { data_step(T0 + 29000, 1, "mapA"), data_step(T0 + 30000, 0, "mapA") };
	snprintf(path, sizeof(path), "%s/state/steps.json", dir);
	ck_assert_int_eq(ft_steps_save(path, saved, 2), 0);
	ck_assert_uint_eq(start_live(cfg, T0 + 40000, &o), 2);
	ck_assert_uint_eq(ft_outputs_report(o, rep, 2), 2);
	ck_assert_int_eq(row(&rep[0], "gap_steps"), 9);
	ck_assert_int_eq(row(&rep[0], "gap_from"), T0 + 31000);
	ft_outputs_close(o);

	/* a start right after the last run's last step: nothing missed */
	ck_assert_uint_eq(start_live(cfg, T0 + 23999, &o), 0);
	ck_assert_uint_eq(ft_outputs_report(o, rep, 2), 2);
	ck_assert_int_eq(row(&rep[0], "gap_steps"), 0);
	ck_assert_int_eq(row(&rep[0], "gap_from"), 0);
	ft_outputs_close(o);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* The names in dir/state that start with prefix, and the text of the last (sorted). */
static size_t set_aside_as(const char *prefix, char *ret_text, size_t size)
{
	char sdir[128], p[512];
	struct dirent **names;
	snprintf(sdir, sizeof(sdir), "%s/state", dir);
	int n = scandir(sdir, &names, NULL, alphasort);
	size_t found = 0;
	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++) {
		if (strncmp(names[i]->d_name, prefix, strlen(prefix)) == 0) {
			found++;
			snprintf(p, sizeof(p), "%s/%s", sdir, names[i]->d_name);
			FILE *f = fopen(p, "r");
			ck_assert_ptr_nonnull(f);
			size_t k = fread(ret_text, 1, size - 1, f);
			ret_text[k] = '\0';
			fclose(f);
		}
		free(names[i]);
	}
	free(names);
	return found;
}

static void put_state(const char *name, const char *text)
{
	char p[256], sdir[128];
	snprintf(sdir, sizeof(sdir), "%s/state", dir);
	mkdir(sdir, 0755);
	snprintf(p, sizeof(p), "%s/%s", sdir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Lines of the captured standard error that hold both strings. */
static int said(const char *a, const char *b)
{
	char line[1200];
	int n = 0;
	fflush(stderr);
	FILE *f = fopen(err_path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, a) && strstr(line, b);
	fclose(f);
	return n;
}

static void end_capture(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	remove(err_path);
}

/* A running marker that cannot be read still means the last run did not stop cleanly
 * (said, with "?" for what it cannot tell); it is set aside with what is wrong, and the
 * start goes on with a new one. */
START_TEST(a_damaged_running_marker_still_tells_an_unclean_stop)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	char text[256], marker[128];
	static const char *const garbage[] = { "{\"pid\": 12, \"alive\": tru", "", "{\"pid\": \"x\"}" };
	rec_init();
	snprintf(marker, sizeof(marker), "%s/state/running.json", dir);
	ft_log_level = FT_LOG_WARNING;
	for (size_t i = 0; i < 3; i++) {
		put_state("running.json", garbage[i]);
		capture_stderr();
		ck_assert_int_eq(ft_outputs_open(cfg, table, 2, true, &o), 0);
		ck_assert_int_eq(said("[warning]", "did not stop cleanly (alive at ?)"), 1);
		ck_assert_int_eq(said("[warning]", "from ? on, are lost"), 1);
		ck_assert_int_eq(said("[warning]", i < 2 ? "running.json: the running marker cannot be read (line 1, column "
		                                         : "running.json: the running marker is not {"), 1);
		ck_assert_int_eq(said("[warning]", "the file is kept as "), 1);
		ck_assert_int_eq(said("[warning]", ""), 2);     /* those two lines, and nothing else */
		ck_assert_int_eq(said("[err]", ""), 0);
		end_capture();
		ck_assert_uint_eq(set_aside_as("running.json.damaged-", text, sizeof(text)), i + 1);
		ck_assert_str_eq(text, garbage[i]);     /* the last one sorted: the newest */
		ck_assert_int_eq(access(marker, F_OK), 0);      /* a new marker for this run */
		ft_outputs_close(o);
	}
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* Saved open steps that cannot be used are said, with what is wrong, and set aside;
 * the start goes on without them. */
START_TEST(damaged_saved_steps_are_set_aside)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_step *restored = NULL;
	size_t n = 9;
	char text[256];
	static const char garbage[] = "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":\"x\"}]}";
	rec_init();
	put_state("steps.json", garbage);
	ft_log_level = FT_LOG_WARNING;
	capture_stderr();
	ck_assert_int_eq(ft_outputs_open(cfg, table, 2, true, &o), 0);
	ck_assert_int_eq(ft_outputs_take_open(o, &restored, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(said("[err]", "steps.json: the saved open steps cannot be used (steps[0]: start_ms "
	                      "and length_ms are not a step"), 1);
	ck_assert_int_eq(said("[err]", "the file is kept as "), 1);
	ck_assert_int_eq(said("[err]", ""), 1);
	ck_assert_int_eq(said("[warning]", ""), 0);
	end_capture();
	ck_assert_uint_eq(set_aside_as("steps.json.damaged-", text, sizeof(text)), 1);
	ck_assert_str_eq(text, garbage);
	ck_assert_uint_eq(set_aside_as("steps.json", text, sizeof(text)), 1);   /* only the one set aside */
	ft_outputs_close(o);
	free(restored);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

/* The authoritative sink first, and it cannot write (a full disk). */
static const struct ft_sink_entry recorder_first[] = {
	{ &recorder_sink, FT_SINK_NO_CONF },
};

/* A ledger that cannot write keeps the quiet steps pending with the others, in order,
 * and the stop saves them all with the empty open ones after them: no hole. */
START_TEST(quiet_steps_wait_in_order_when_the_ledger_cannot_write)
{
	struct ft_config *cfg = config();
	struct ft_outputs *o;
	struct ft_sink_report rep[1];
	char path[128];
	struct ft_step *saved;
	size_t n;
	rec_init();
	rec.fail = true;
	ck_assert_int_eq(ft_outputs_open(cfg, recorder_first, 1, true, &o), 0);
	ft_outputs_set_first_step(o, T0);
	ft_outputs_set_map_id(o, "mapA");
	add_data(o, T0 + 2000, 7, "mapA");
	ft_outputs_commit(o, T0 + 4000);
	ft_outputs_commit(o, T0 + 5000);
	ck_assert_uint_eq(ft_outputs_report(o, rep, 1), 1);
	ck_assert_uint_eq(rep[0].c.pending, 5);
	ck_assert_uint_eq(rep[0].c.written, 0);
	/* a thread stopped with T0 + 6 s open; the clock is past the open window (a test's
	 * clock is long ago), so the stop fills in that window: two steps of lateness, and
	 * two more */
	struct ft_step open = data_step(T0 + 6000, 2, "mapA");
	ck_assert_int_eq(ft_outputs_save_open(o, &open, 1), 0);
	ft_outputs_close(o);
	snprintf(path, sizeof(path), "%s/state/steps.json", dir);
	ck_assert_int_eq(ft_steps_load(path, &saved, &n, NULL, 0), 0);
	ck_assert_uint_eq(n, 9);                        /* T0 … T0 + 8 s */
	for (size_t i = 0; i < n; i++) {
		int64_t t = T0 + 1000 * (int64_t)i;
		ck_assert_int_eq(saved[i].start_ms, t);
		if (t == T0 + 2000 || t == T0 + 6000)
			ck_assert_uint_eq(saved[i].total.flows, t == T0 + 2000 ? 7 : 2);
		else
			ck_assert_msg(all_zero(&saved[i]) && strcmp(saved[i].map_id, "mapA") == 0,
			              "saved step %zu is not an empty step of mapA", i);
	}
	free_steps(saved, n);
	rec_done();
	ft_config_free(cfg);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("outputs");
	TCase *tc = tcase_create("sinks");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_registered_sink_gets_exactly_the_ledgers_steps);
	tcase_add_test(tc, each_sink_is_counted_on_its_own);
	tcase_add_test(tc, a_sink_is_not_given_what_it_holds);
	tcase_add_test(tc, a_stuck_sink_holds_up_nothing);
	tcase_add_test(tc, a_sink_that_does_not_open_is_off);
	tcase_add_test(tc, a_sink_whose_server_is_down_gets_every_step_later);
	tcase_add_test(tc, a_slow_sink_is_cut_off_at_the_stop);
	tcase_add_test(tc, a_live_run_writes_a_block_for_every_step);
	tcase_add_test(tc, a_replay_writes_the_steps_with_records_only);
	tcase_add_test(tc, steps_the_ledger_holds_get_no_empty_step);
	tcase_add_test(tc, quiet_steps_wait_in_order_when_the_ledger_cannot_write);
	tcase_add_test(tc, the_steps_before_a_start_are_said_and_get_no_block);
	tcase_add_test(tc, a_damaged_running_marker_still_tells_an_unclean_stop);
	tcase_add_test(tc, damaged_saved_steps_are_set_aside);
	suite_add_tcase(s, tc);
	return s;
}
