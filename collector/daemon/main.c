/* flowtallyd: the collector daemon.
 *
 * Startup reads the configuration (or the embedded defaults), opens the data directory
 * and the listeners, and starts the receive threads with the signals blocked; the main
 * thread then waits in sigtimedwait(2) for SIGTERM/SIGINT (stop), SIGHUP (reload) or
 * the statistics interval, and rewrites stats.json.  With --replay the same pipeline is
 * fed from a capture file in the main thread instead, and the daemon exits at its end.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/config.h"
#include "flowtally/log.h"
#include "flowtally/pcap.h"
#include "ft_version.h"
#include "flowtally/tenant.h"
#include "receiver.h"
#include "steps.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

struct opts {
	const char *config;
	const char *replay;
	const char *data_dir;
	const char *pidfile;
	bool foreground;
};

static const char usage_text[] =
"Usage: flowtallyd [OPTION]...\n"
"Receive NetFlow v5 export datagrams over UDP, account them per exporter, and keep the\n"
"collector's statistics in DATA_DIR/stats.json (see `flowtally status`).\n"
"\n"
"  -c, --config FILE     read the configuration from FILE (libconfig syntax; check it\n"
"                        first with `flowtally check-config FILE`).  Without it the\n"
"                        embedded defaults apply: listen on 127.0.0.1:2055 and\n"
"                        [::1]:2055, accept exporters on loopback only, data in\n"
"                        ./flowtally-data.\n"
"  -d, --data-dir DIR    use DIR as the data directory (overrides the configuration)\n"
"  -f, --foreground      stay in the foreground and log to standard error; without it\n"
"                        flowtallyd detaches and logs to syslog (facility daemon)\n"
"  -p, --pidfile FILE    write the process ID to FILE\n"
"      --replay FILE     feed a pcap/pcapng capture through the full pipeline instead\n"
"                        of the network (allow-list included), write stats.json, exit\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show the version and exit\n"
"\n"
"Signals: SIGTERM or SIGINT stop after the datagrams already received are counted;\n"
"SIGHUP re-reads the configuration file and applies its log level.\n"
"\n"
"Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n";

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "data-dir", required_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' }, { "pidfile", required_argument, NULL, 'p' },
		{ "replay", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:d:fp:hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'd': o->data_dir = optarg; break;
		case 'f': o->foreground = true; break;
		case 'p': o->pidfile = optarg; break;
		case 'r': o->replay = optarg; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case 'V': printf("flowtallyd %s\n", FT_VERSION); exit(0);
		default:
			fputs("Try 'flowtallyd --help'.\n", stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowtallyd: unexpected argument '%s'\nTry 'flowtallyd --help'.\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static struct ft_config *load_config(const struct opts *o)
{
	struct ft_config *cfg = NULL;
	struct ft_diag d = { 0 };

	if (!o->config)
		cfg = ft_config_new_default();
	else
		ft_config_load(o->config, &cfg, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "flowtallyd: %s\n", d.lines[i]);
	ft_diag_done(&d);
	if (cfg && o->data_dir) {
		char *dup = strdup(o->data_dir);
		if (!dup)
			return ft_config_free(cfg);
		free(cfg->data_dir);
		cfg->data_dir = dup;
	}
	return cfg;
}

static int make_dir(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void stats_path(const struct ft_config *cfg, char *buf, size_t size)
{
	snprintf(buf, size, "%s/stats.json", cfg->data_dir);
}

static void write_stats(const struct ft_config *cfg, struct ft_stats *s)
{
	char path[4096];
	stats_path(cfg, path, sizeof(path));
	int r = ft_stats_write_json(s, path);
	if (r < 0)
		ft_log_err(FT_LOG_STATS, "cannot write %s: %s", path, strerror(-r));
}

static void stats_ledger(struct ft_stats *s, const struct ft_stepper *st)
{
	s->have_ledger = true;
	s->ledger_steps = st->written;
	s->ledger_refused = st->refused;
	s->ledger_errors = st->errors;
	s->ledger_pending = st->n;
	s->ledger_last_ms = st->written ? st->last_written : 0;
}

static void log_totals(const struct ft_stats *s)
{
	const struct ft_exporter_stats *t = &s->totals;
	uint64_t errors = 0;
	for (int i = 1; i < FT_NF_ERR__MAX; i++)
		errors += t->errors[i];
	ft_log_notice(FT_LOG_MAIN, "totals: %llu datagrams, %llu records, %llu bytes, %llu packets, "
	              "%llu parse errors, %llu rejected datagrams, %zu exporters",
	              (unsigned long long)t->datagrams, (unsigned long long)t->records,
	              (unsigned long long)t->bytes, (unsigned long long)t->packets,
	              (unsigned long long)errors, (unsigned long long)s->rejects.total, s->n_exporters);
}

static struct ft_tenant_map *build_map(const struct ft_config *cfg)
{
	struct ft_diag d = { 0 };
	struct ft_tenant_map *m = ft_tenant_map_build(&cfg->tenants, &d);
	for (size_t i = 0; i < d.n; i++)
		if (!m || strstr(d.lines[i], ": warning: ") == NULL)
			ft_log_err(FT_LOG_CONFIG, "%s", d.lines[i]);
	if (m)
		ft_log_info(FT_LOG_CONFIG, "tenant map %s: %zu tenants, %zu classes (check-config shows "
		            "%zu warnings)", ft_tenant_map_id(m), ft_tenant_map_n_tenants(m) - 1,
		            ft_tenant_map_n_classes(m), d.warnings);
	ft_diag_done(&d);
	return m;
}

/* Closes what the capture's clock says is closed and writes it to the ledger. */
static void replay_steps(struct ft_pipeline *p, struct ft_stepper *st, int64_t now_ms, bool all)
{
	struct ft_step steps[8];
	size_t n;
	ft_pipeline_flush(p);
	do {
		n = all ? ft_agg_flush(p->agg, steps, 8) : ft_agg_advance(p->agg, now_ms, steps, 8);
		for (size_t i = 0; i < n; i++)
			ft_stepper_add(st, &steps[i]);
	} while (n == 8);
	ft_stepper_commit(st, all ? INT64_MAX : ft_agg_oldest(p->agg));
}

static int replay_loop(const struct ft_config *cfg, struct ft_pcap_reader *rd, struct ft_pipeline *p,
                       struct ft_stepper *st, const char *file)
{
	struct ft_stats s;
	struct ft_datagram dg;
	int r;
	ft_stats_init(&s, ft_clock_now_ns(), "replay");
	while ((r = ft_pcap_next(rd, &dg)) > 0) {
		/* the capture's time is the clock: move it before the datagram's records */
		replay_steps(p, st, dg.recv_ns / FT_NS_PER_MS, false);
		ft_pipeline_datagram(p, &dg);
	}
	if (r < 0)
		ft_log_err(FT_LOG_PCAP, "%s: read error: %s", file, strerror(-r));
	ft_pipeline_finish(p);
	replay_steps(p, st, 0, true);
	ft_pipeline_snapshot(p, &s);
	s.have_pcap = true;
	s.pcap = *ft_pcap_stats(rd);
	stats_ledger(&s, st);
	write_stats(cfg, &s);
	log_totals(&s);
	ft_stats_done(&s);
	return r < 0 ? EXIT_RUNTIME : 0;
}

static int run_replay(const struct ft_config *cfg, const char *file)
{
	char err[256];
	struct ft_pcap_reader *rd = ft_pcap_open(file, err, sizeof(err));
	struct ft_tenant_map *map = rd ? build_map(cfg) : NULL;
	struct ft_stepper st;
	struct ft_pipeline p;
	int ret = EXIT_RUNTIME;
	if (!rd)
		ft_log_err(FT_LOG_PCAP, "%s: %s", file, err);
	if (!map) {
		ft_pcap_close(rd);
		return rd ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (ft_stepper_open(&st, cfg, false) == 0) {
		/* the capture's first timestamp starts the step clock */
		if (ft_pipeline_init(&p, cfg, 0, map, INT64_MIN / 4) == 0) {
			ft_pipeline_load_state(&p);
			ret = replay_loop(cfg, rd, &p, &st, file);
			ft_pipeline_done(&p);
		}
		ft_stepper_close(&st);
	}
	ft_tenant_map_free(map);
	ft_pcap_close(rd);
	return ret;
}

static void collect(struct ft_receiver *rs, unsigned n, struct ft_stats *s)
{
	ft_stats_clear(s);
	for (unsigned i = 0; i < n; i++)
		ft_receiver_collect(&rs[i], s);
}

/* What the main thread keeps while receivers run. */
struct daemon {
	const struct opts *o;
	const struct ft_config *cfg;
	struct ft_receiver *rs;
	unsigned n;
	struct ft_stats stats;
	struct ft_stepper steps;
	_Atomic(const struct ft_tenant_map *) map;
	struct ft_tenant_map *retired[8];       /* replaced maps some thread may still use */
	size_t n_retired;
};

static void free_retired(struct daemon *d)
{
	size_t keep = 0;
	for (size_t i = 0; i < d->n_retired; i++) {
		bool used = false;
		for (unsigned k = 0; k < d->n; k++)
			used |= atomic_load(&d->rs[k].map_in_use) == d->retired[i];
		if (used)
			d->retired[keep++] = d->retired[i];
		else
			ft_tenant_map_free(d->retired[i]);
	}
	d->n_retired = keep;
}

/* SIGHUP: a new configuration's tenant map replaces the old one if it builds; receiving
 * never pauses and the open steps keep their counts. */
static void reload(struct daemon *d)
{
	struct ft_config *cfg = load_config(d->o);
	struct ft_tenant_map *m = cfg ? build_map(cfg) : NULL;
	free_retired(d);
	if (!m || d->n_retired == sizeof(d->retired) / sizeof(d->retired[0])) {
		ft_log_err(FT_LOG_CONFIG, "reload failed: the tenant map and configuration in force are kept");
		ft_tenant_map_free(m);
		ft_config_free(cfg);
		return;
	}
	ft_log_level = cfg->log_level;
	d->retired[d->n_retired++] = (struct ft_tenant_map *)atomic_load(&d->map);
	atomic_store(&d->map, m);
	ft_log_notice(FT_LOG_CONFIG, "reloaded %s: tenant map %s, log level %s (listeners and "
	              "decoder settings change at restart)", cfg->source, ft_tenant_map_id(m),
	              ft_log_level_name(cfg->log_level));
	ft_config_free(cfg);
}

/* Collects closed step parts and writes the steps every thread has closed. */
static void step_tick(struct daemon *d)
{
	int64_t before = INT64_MAX;
	for (unsigned i = 0; i < d->n; i++) {
		int64_t b = ft_receiver_take_steps(&d->rs[i], &d->steps);
		before = b < before ? b : before;
	}
	ft_stepper_commit(&d->steps, before);
}

static void refresh_stats(struct daemon *d)
{
	collect(d->rs, d->n, &d->stats);
	stats_ledger(&d->stats, &d->steps);
	write_stats(d->cfg, &d->stats);
}

#define STEP_TICK_NS (250 * FT_NS_PER_MS)

/* Waits for signals, the step tick and the statistics interval until told to stop. */
static void main_loop(struct daemon *d)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	int64_t next = ft_clock_mono_ns() + d->cfg->stats_interval * FT_NS_PER_SEC;
	for (;;) {
		int64_t wait = next - ft_clock_mono_ns();
		wait = wait < 0 ? 0 : wait > STEP_TICK_NS ? STEP_TICK_NS : wait;
		struct timespec ts = { wait / FT_NS_PER_SEC, wait % FT_NS_PER_SEC };
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			ft_log_notice(FT_LOG_MAIN, "%s received: stopping", strsignal(sig));
			return;
		}
		if (sig == SIGHUP)
			reload(d);
		step_tick(d);
		if (ft_clock_mono_ns() >= next) {
			refresh_stats(d);
			next += d->cfg->stats_interval * FT_NS_PER_SEC;
		}
	}
}

static int start_receivers(struct daemon *d)
{
	char err[256] = "";
	struct ft_step *restore = NULL;
	size_t n_restore = 0;
	int ret = 0;
	ft_stepper_take_open(&d->steps, &restore, &n_restore);
	for (unsigned i = 0; i < d->n && ret == 0; i++)
		if (ft_receiver_start(&d->rs[i], d->cfg, i, i ? &d->rs[0] : NULL, &d->map,
		                      i ? NULL : restore, i ? 0 : n_restore, err, sizeof(err)) < 0)
			ret = EXIT_RUNTIME;
	for (size_t i = 0; i < n_restore; i++)
		ft_step_done(&restore[i]);
	free(restore);
	if (ret)
		ft_log_err(FT_LOG_NET, "%s", err);
	return ret;
}

/* After the threads ended: every closed part goes to the ledger, the open steps to
 * state/steps.json. */
static void finish_steps(struct daemon *d)
{
	step_tick(d);
	ft_stepper_commit(&d->steps, INT64_MAX);
	size_t n = 0;
	for (unsigned i = 0; i < d->n; i++)
		n += d->rs[i].n_open;
	struct ft_step *open = calloc(n + 1, sizeof(*open));
	size_t k = 0;
	for (unsigned i = 0; open && i < d->n; i++) {
		if (d->rs[i].n_open)
			memcpy(open + k, d->rs[i].open_at_exit, d->rs[i].n_open * sizeof(*open));
		k += d->rs[i].n_open;
		d->rs[i].n_open = 0;
	}
	if (open)
		ft_stepper_save_open(&d->steps, open, k);
	free(open);
}

static int run_udp(const struct opts *o, const struct ft_config *cfg)
{
	struct daemon d = { .o = o, .cfg = cfg, .n = cfg->receive_threads };
	struct ft_tenant_map *map = build_map(cfg);
	int ret = EXIT_RUNTIME;
	if (!map)
		return EXIT_USAGE;
	atomic_store(&d.map, map);
	d.rs = calloc(d.n, sizeof(*d.rs));
	if (!d.rs || ft_stepper_open(&d.steps, cfg, true) < 0) {
		free(d.rs);
		ft_tenant_map_free(map);
		return EXIT_RUNTIME;
	}
	ft_stats_init(&d.stats, ft_clock_now_ns(), "udp");
	ret = start_receivers(&d);
	if (ret == 0) {
		ft_log_notice(FT_LOG_MAIN, "flowtallyd %s started: %zu listen address(es), %u receive "
		              "thread(s), tenant map %s, data in %s", FT_VERSION, cfg->n_listen, d.n,
		              ft_tenant_map_id(map), cfg->data_dir);
		refresh_stats(&d);
		main_loop(&d);
	}
	for (unsigned i = 0; i < d.n; i++)
		ft_receiver_join(&d.rs[i]);
	if (ret == 0) {
		finish_steps(&d);
		refresh_stats(&d);
		log_totals(&d.stats);
	}
	for (unsigned i = 0; i < d.n; i++)
		ft_receiver_free(&d.rs[i]);
	ft_stepper_close(&d.steps);
	ft_stats_done(&d.stats);
	free(d.rs);
	d.n = 0;
	free_retired(&d);
	ft_tenant_map_free((struct ft_tenant_map *)atomic_load(&d.map));
	return ret;
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : -errno;
}

static int start(const struct opts *o, struct ft_config *cfg)
{
	int r = make_dir(cfg->data_dir);
	if (r < 0) {
		ft_log_err(FT_LOG_MAIN, "cannot create data directory %s: %s", cfg->data_dir, strerror(-r));
		return EXIT_RUNTIME;
	}
	if (!o->foreground && !o->replay && daemon(1, 0) < 0) {
		ft_log_err(FT_LOG_MAIN, "cannot detach: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (o->pidfile && (r = write_pidfile(o->pidfile)) < 0)
		ft_log_err(FT_LOG_MAIN, "cannot write pid file %s: %s", o->pidfile, strerror(-r));
	if (o->replay)
		return run_replay(cfg, o->replay);
	/* Blocked before any thread starts, so only the main thread's sigtimedwait sees them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return run_udp(o, cfg);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	ft_log_open("flowtallyd", false);
	struct ft_config *cfg = load_config(&o);
	if (!cfg)
		return EXIT_USAGE;
	ft_log_level = cfg->log_level;
	if (!o.foreground && !o.replay)
		ft_log_open("flowtallyd", true);
	int ret = start(&o, cfg);
	if (o.pidfile)
		unlink(o.pidfile);
	ft_config_free(cfg);
	return ret;
}
