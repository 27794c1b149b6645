/* flowtallyd: the collector daemon.
 *
 * Startup reads the configuration (or the embedded defaults), builds the view the
 * stages read, makes and checks the data directory and binds the sockets; then, with
 * `user`, it drops to that user for good (privs.h) before any file is written or any
 * thread started.  It opens the sinks and starts the receive threads, the UDP source
 * (receiver.c), after the control thread's event loop has blocked the signals it
 * handles, so that only the loop sees them.  The control thread then runs
 * its loop: SIGTERM/SIGINT stop, SIGHUP reloads, a timer hands the closed steps to the
 * sinks every STEP_TICK_NS, another rewrites stats.json every stats_interval.  The SNMP
 * poller runs its own loop on its own thread and hands its closed interface steps to
 * the sinks' queue.  With dashboard_interval, another thread runs `flowtally
 * dashboard` as a child process now and then (dashboard.c).
 * With --replay the same pipeline is fed from a capture file instead, and the daemon
 * exits at its end.
 *
 * Detaching tells the truth: the process forks first, and the parent waits on a pipe
 * while the child, in a session of its own, opens and checks everything (data
 * directory, ledger, sockets, threads).  Ready, the child writes the pid file, moves its
 * logging from standard error to syslog and writes one byte to the pipe: the parent
 * exits 0.  A child that fails has said why on standard error and exits 1 or 2: the
 * parent exits with that status.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/config.h"
#include "flowtally/file.h"
#include "flowtally/log.h"
#include "flowtally/loop.h"
#include "flowtally/pcap.h"
#include "flowtally/pipeline.h"
#include "flowtally/sinks.h"
#include "flowtally/view.h"
#include "ft_version.h"
#include "dashboard.h"
#include "outputs.h"
#include "flowtally/snmp.h"
#include "interfaces.h"
#include "privs.h"
#include "receiver.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

struct opts {
	const char *config;
	const char *replay;
	const char *data_dir;
	const char *pidfile;
	bool foreground;
	bool allow_root;
};

static const char usage_text[] =
"Usage: flowtallyd [OPTION]...\n"
"Receive NetFlow v5, v9 and IPFIX export datagrams over UDP, attribute every byte to a\n"
"tenant or to 'unattributed', write each closed time step to the ledger in\n"
"DATA_DIR/ledger, and keep the collector's statistics in DATA_DIR/stats.json (see\n"
"`flowtally status`).\n"
"\n"
"  -c, --config FILE     read the configuration from FILE (libconfig syntax; check it\n"
"                        first with `flowtally check-config FILE`).  Without it the\n"
"                        embedded defaults apply: listen on 127.0.0.1:2055 and\n"
"                        [::1]:2055, accept exporters on loopback only, data in\n"
"                        ./flowtally-data.\n"
"  -d, --data-dir DIR    use DIR as the data directory (overrides the configuration)\n"
"  -f, --foreground      stay in the foreground and log to standard error; without it\n"
"                        flowtallyd detaches and logs to syslog (facility daemon)\n"
"  -p, --pidfile FILE    write the process ID to FILE (mode 0640) once ready; with\n"
"                        `user`, FILE's directory must be writable by that user\n"
"      --replay FILE     feed a pcap/pcapng capture through the full pipeline instead\n"
"                        of the network (allow-list included), with the capture's\n"
"                        timestamps as the clock; write the ledger and stats.json, exit\n"
"      --allow-root      run as root without `user` in the configuration (refused\n"
"                        otherwise: set user = \"NAME\" to have flowtallyd bind its\n"
"                        sockets and open its data directory as root, then drop to\n"
"                        that user and group with no capabilities)\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show the version and exit\n"
"\n"
"Signals: SIGTERM or SIGINT stop after the datagrams already received are counted (the\n"
"steps still open are saved in DATA_DIR/state/ and restored at the next start); SIGHUP\n"
"re-reads the configuration file and applies its tenant map, log level and dashboard\n"
"redraws (dashboard_interval, dashboard_command, dashboard_dir).\n"
"\n"
"Files: the data directory and its subdirectories are made 0750 and the files in them\n"
"0640, whatever the umask; a symbolic link, a file of another user or a data directory\n"
"others may change is refused with its path, never written through.\n"
"\n"
"Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n";

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "data-dir", required_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' }, { "pidfile", required_argument, NULL, 'p' },
		{ "replay", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { "allow-root", no_argument, NULL, 'R' }, { 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:d:fp:hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'd': o->data_dir = optarg; break;
		case 'f': o->foreground = true; break;
		case 'p': o->pidfile = optarg; break;
		case 'r': o->replay = optarg; break;
		case 'R': o->allow_root = true; break;
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

static void print_findings(const struct ft_diag *d, bool logged)
{
	for (size_t i = 0; i < d->n; i++) {
		if (!logged)
			fprintf(stderr, "flowtallyd: %s\n", d->lines[i]);
		else if (d->warning[i])
			ft_log_warn(FT_LOG_CONFIG, "%s", d->lines[i]);
		else
			ft_log_err(FT_LOG_CONFIG, "%s", d->lines[i]);
	}
}

/* The view a configuration asks for, or NULL.  The map's errors join the findings in d,
 * with its lint; a map that builds keeps its lint's warnings for check-config. */
static struct ft_view *build_view(const struct ft_config *cfg, struct ft_diag *d, bool logged)
{
	struct ft_diag lint = { 0 };
	struct ft_view *v = NULL;
	int r = ft_view_build(cfg, &lint, &v);
	if (v)
		ft_log_info(FT_LOG_CONFIG, "tenant map %s: %zu tenant%s, %zu class%s (check-config shows "
		            "%zu warning%s)", ft_tenant_map_id(v->tenants), ft_tenant_map_n_tenants(v->tenants) - 1,
		            ft_tenant_map_n_tenants(v->tenants) == 2 ? "" : "s", ft_tenant_map_n_classes(v->tenants),
		            ft_tenant_map_n_classes(v->tenants) == 1 ? "" : "es", lint.warnings,
		            lint.warnings == 1 ? "" : "s");
	else if (r == -ENOMEM && !logged)
		fputs("flowtallyd: out of memory while building the tenant map\n", stderr);
	else if (r == -ENOMEM)
		ft_log_err(FT_LOG_CONFIG, "out of memory while building the tenant map");
	if (r < 0)
		ft_diag_move(d, &lint);
	ft_diag_done(&lint);
	return v;
}

/* The configuration (or the embedded defaults) and the view it asks for in *ret_view;
 * NULL when either has errors.  The findings come in file and line order: at the start
 * on standard error, at a reload (logged) through the logger, which is syslog once
 * detached. */
static struct ft_config *load_config(const struct opts *o, bool logged, struct ft_view **ret_view)
{
	struct ft_config *cfg = NULL;
	struct ft_diag d = { 0 };
	struct ft_view *v = NULL;

	if (!o->config)
		cfg = ft_config_new_default();
	else
		ft_config_load(o->config, &cfg, &d);
	if (cfg && !logged)
		ft_log_level = cfg->log_level;    /* at the start, the file's level from here on */
	if (cfg)
		v = build_view(cfg, &d, logged);
	ft_diag_sort(&d);
	print_findings(&d, logged);
	ft_diag_done(&d);
	char *dup = v && o->data_dir ? strdup(o->data_dir) : NULL;
	if (!v || (o->data_dir && !dup)) {
		ft_view_free(v);
		*ret_view = NULL;
		return ft_config_free(cfg);
	}
	if (dup) {
		free(cfg->data_dir);
		cfg->data_dir = dup;
	}
	*ret_view = v;
	return cfg;
}

/* The data directory, with the directories above it that are missing (0755, as
 * mkdir -p), and its own checks (file.h): 0, or EXIT_RUNTIME, said, when it cannot be
 * made or cannot be flowtally's (a link, another owner, a directory above it others may
 * change), as any other failure to start. */
static int make_data_dir(const char *path, uid_t uid, gid_t gid)
{
	char buf[4096], err[4400];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		ft_log_err(FT_LOG_MAIN, "data directory %s: %s", path, strerror(ENAMETOOLONG));
		return EXIT_RUNTIME;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			ft_log_err(FT_LOG_MAIN, "cannot create data directory %s: %s: %s", path, buf, strerror(errno));
			return EXIT_RUNTIME;
		}
		*p = '/';
	}
	int r = ft_file_own_dir(path, uid, gid, err, sizeof(err));
	if (r == 0)
		r = ft_file_check_parents(path, uid, err, sizeof(err));
	if (r < 0)
		ft_log_err(FT_LOG_MAIN, "data directory: %s", err);
	return r == 0 ? 0 : EXIT_RUNTIME;
}

static void write_stats(const struct ft_config *cfg, struct ft_stats *s)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/stats.json", cfg->data_dir);
	int r = ft_stats_write_json(s, path);
	if (r < 0)
		ft_log_err(FT_LOG_STATS, "cannot write %s: %s", path, ft_file_strerror(r));
}

static void stats_sinks(struct ft_stats *s, struct ft_outputs *o)
{
	struct ft_sink_report r[16];
	ft_stats_set_sinks(s, r, ft_outputs_report(o, r, 16));
}

static void log_totals(const struct ft_stats *s)
{
	const struct ft_exporter_stats *t = &s->totals;
	uint64_t errors = 0;
	for (int i = 1; i < FT_NF_ERR__MAX; i++)
		errors += t->errors[i];
#define S_(n) ((n) == 1 ? "" : "s")
	ft_log_notice(FT_LOG_MAIN, "totals: %llu datagram%s (%llu accepted), %llu record%s, %llu byte%s, "
	              "%llu packet%s, %llu parse error%s, %llu rejected datagram%s, %zu exporter%s",
	              (unsigned long long)t->datagrams, S_(t->datagrams), (unsigned long long)t->accepted,
	              (unsigned long long)t->records, S_(t->records), (unsigned long long)t->bytes,
	              S_(t->bytes), (unsigned long long)t->packets, S_(t->packets),
	              (unsigned long long)errors, S_(errors), (unsigned long long)s->rejects.total,
	              S_(s->rejects.total), s->n_exporters, S_(s->n_exporters));
#undef S_
}

/* ---- --replay ----------------------------------------------------------------------------- */

static int counters_of(const struct ft_stats *s, struct ft_counters *c);

struct replay_ctx {
	struct ft_outputs *o;
	struct ft_pipeline *p;
};

/* A replay has one pipeline: every step it closes is complete.  The pipeline's counters
 * go into the ledger with it, then to the sinks at the step's end (the capture's time),
 * as a live collector's do: the exporters' and the collector's series of the RRD. */
static void replay_step(struct ft_step *s, void *ctx)
{
	struct replay_ctx *x = ctx;
	struct ft_stats st;
	struct ft_counters c;
	int64_t end;
	ft_stats_init(&st, 0, "replay");
	bool have = ft_pipeline_stats(x->p, &st) == 0 && counters_of(&st, &c) == 0;
	ft_stats_done(&st);
	if (have)
		ft_outputs_set_counters(x->o, &c);
	ft_outputs_add(x->o, s);
	ft_outputs_commit(x->o, INT64_MAX);
	if (have && ft_outputs_boundary(x->o, &end))
		ft_outputs_counters(x->o, &c);
	if (have)
		free(c.exporters);
}

static int replay(const struct ft_config *cfg, const struct ft_view *v, struct ft_pcap_reader *rd,
                  struct ft_outputs *o, const char *file)
{
	struct ft_pipeline_opts po = { .index = 0, .keep_state = true };
	struct ft_pipeline *p;
	struct ft_stats s;
	/* the capture's first timestamp starts the step clock */
	if (ft_pipeline_new(cfg, &po, v, INT64_MIN / 4, &p) < 0)
		return EXIT_RUNTIME;
	ft_stats_init(&s, ft_clock_now_ns(), "replay");
	ft_pipeline_load_state(p);
	struct replay_ctx rx = { o, p };
	int r = ft_pipeline_replay(p, rd, &(struct ft_step_out){ replay_step, &rx });
	if (r < 0)
		ft_log_err(FT_LOG_PCAP, "%s: read error: %s", file, strerror(-r));
	ft_pipeline_stats(p, &s);
	s.have_pcap = true;
	s.pcap = *ft_pcap_stats(rd);
	ft_outputs_drain(o, 60 * FT_NS_PER_SEC);   /* the sinks' figures once they are done */
	stats_sinks(&s, o);
	write_stats(cfg, &s);
	log_totals(&s);
	ft_stats_done(&s);
	ft_pipeline_free(p);
	return r < 0 ? EXIT_RUNTIME : 0;
}

/* Takes v and rd. */
static int run_replay(const struct ft_config *cfg, struct ft_view *v, struct ft_pcap_reader *rd,
                      const char *file)
{
	struct ft_outputs *o = NULL;
	int ret = EXIT_RUNTIME;
	if (ft_outputs_open(cfg, ft_sink_table, ft_sink_table_len, false, &o) == 0)
		ret = replay(cfg, v, rd, o, file);
	ft_outputs_close(o);
	ft_view_free(v);
	ft_pcap_close(rd);
	return ret;
}

/* ---- the running daemon ------------------------------------------------------------------- */

/* Getting ready: the pid file, and the parent waiting for a detached child. */
struct startup {
	const char *pidfile;
	bool wrote_pidfile;
	int ready_fd;               /* the pipe to the waiting parent; -1 in the foreground */
};

static int write_pidfile(const char *path)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	return ft_file_write_atomic(path, text, (size_t)n);
}

/* Everything is open and the receive threads run: the pid file, then (detached) syslog
 * and the parent's release.  A pid file that cannot be written (a link planted at its
 * temporary name, a directory the daemon's user cannot write) fails the start: whoever
 * reads it would find nothing, or another process.  0 or -1, said. */
static int ready(struct startup *su)
{
	int r;
	if (su->pidfile && (r = write_pidfile(su->pidfile)) < 0) {
		ft_log_err(FT_LOG_MAIN, "cannot write pid file %s: %s", su->pidfile, ft_file_strerror(r));
		return -1;
	}
	su->wrote_pidfile = su->pidfile != NULL;
	if (su->ready_fd < 0)
		return 0;
	ft_log_open("flowtallyd", true);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; null >= 0 && fd <= 2; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	ssize_t w = write(su->ready_fd, "r", 1);
	(void)w;                    /* a parent gone already has nothing to tell */
	close(su->ready_fd);
	su->ready_fd = -1;
	return 0;
}

/* What the control thread keeps while receivers run. */
struct daemon {
	const struct opts *o;
	const struct ft_privs *privs;
	struct startup *su;
	const struct ft_config *cfg;
	struct ft_loop *loop;
	struct ft_views *views;
	struct ft_outputs *out;
	struct ft_receiver *rs;
	unsigned n;
	struct ft_stats stats;
	struct ft_snmp_poller *snmp;    /* the SNMP poller's thread, when devices are configured */
	struct ft_ifstate *ifs;         /* the interfaces it learns, for the view */
	char snmp_state[4200];          /* DATA_DIR/state/snmp.json: its readings across restarts */
	uint64_t ifs_retry;             /* the timer trying a failed interface view again; 0 none */
	struct ft_log_rl ifs_rl;
	struct ft_config *reloaded;     /* the configuration of the last reload (its tenant map
	                                 * rules are those in force), or NULL */
	struct ft_redraw *redraw;       /* the dashboard redraws */
};

/* The redraws of cfg: `flowtally dashboard -c FILE` on this daemon's configuration
 * file, or `-d DATA_DIR` without one.  (flowtally dashboard takes one or the other: with
 * flowtallyd's -d beside -c, it reads the file's data directory, as start_redraw says.) */
static int set_redraw(struct daemon *d, const struct ft_config *cfg)
{
	char out[4200];
	snprintf(out, sizeof(out), "%s/dashboard", d->cfg->data_dir);
	struct ft_redraw_conf rc = { .interval_s = cfg->dashboard_interval, .command = cfg->dashboard_command,
	                             .config = d->o->config, .data_dir = d->o->config ? NULL : d->cfg->data_dir,
	                             .out = cfg->dashboard_dir ? cfg->dashboard_dir : out };
	return ft_redraw_set(d->redraw, &rc);
}

/* A view of cfg with the interface table as the poller knows it now. */
static struct ft_view *view_with_interfaces(struct daemon *d, const struct ft_config *cfg, size_t *ret_n,
                                            size_t *ret_rules)
{
	struct ft_ifsnap snap = { 0 };
	struct ft_diag diag = { 0 };
	struct ft_view *v = NULL;
	if (ft_ifstate_snapshot(d->ifs, &snap) == 0 && ft_view_build_ifs(cfg, snap.ifs, snap.n, &diag, &v) == 0) {
		*ret_n = snap.n;
		*ret_rules = ft_tenant_map_n_if_rules(v->tenants);
	}
	for (size_t i = 0; i < diag.n; i++)
		ft_log_write(diag.warning[i] ? FT_LOG_WARNING : FT_LOG_ERR, FT_LOG_CONFIG, "%s", diag.lines[i]);
	ft_diag_done(&diag);
	ft_ifsnap_done(&snap);
	return v;
}

/* SIGHUP: a new configuration's view replaces the old one if it builds; receiving
 * never pauses and the open steps keep their counts. */
static void on_reload(struct ft_loop *l, int signo, void *ctx)
{
	struct daemon *d = ctx;
	struct ft_view *v;
	struct ft_config *cfg = load_config(d->o, true, &v);
	(void)l, (void)signo;
	if (v && d->ifs) {
		/* the new rules with the interfaces known, in one view */
		size_t n = 0, rules = 0;
		struct ft_view *w = view_with_interfaces(d, cfg, &n, &rules);
		ft_view_free(v);
		v = w;
	}
	if (!v || ft_views_publish(d->views, v) < 0) {
		ft_log_err(FT_LOG_CONFIG, "reload failed: %s", v ? "earlier reloads are still being taken "
		           "up: try again in a moment" : "the tenant map and configuration in force are kept");
		ft_view_free(v);
		ft_config_free(cfg);
		return;
	}
	ft_log_level = cfg->log_level;
	ft_outputs_set_map_id(d->out, ft_tenant_map_id(v->tenants));   /* for the empty steps */
	if (set_redraw(d, cfg) < 0)
		ft_log_err(FT_LOG_CONFIG, "out of memory: the dashboard redraws keep their settings");
	ft_log_notice(FT_LOG_CONFIG, "reloaded %s: tenant map %s, log level %s, dashboard redraws "
	              "(listeners, decoder settings and SNMP devices change at restart)", cfg->source, ft_tenant_map_id(v->tenants),
	              ft_log_level_name(cfg->log_level));
	ft_config_free(d->reloaded);
	d->reloaded = cfg;
}

/* A view that could not be built or published is tried again a little later. */
#define INTERFACES_RETRY_NS (10 * FT_NS_PER_SEC)

static void retry_interfaces(struct ft_loop *l, uint64_t id, uint64_t exp, void *ctx)
{
	struct daemon *d = ctx;
	(void)l, (void)id, (void)exp;
	d->ifs_retry = 0;
	ft_ifstate_poke(d->ifs);
}

/* The poller learned a change of interfaces: a new view resolves the tenant map's
 * interface patterns and tags against them. */
static void on_interfaces(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct daemon *d = ctx;
	size_t n = 0, rules = 0;
	(void)l, (void)fd, (void)revents;
	struct ft_view *v = view_with_interfaces(d, d->reloaded ? d->reloaded : d->cfg, &n, &rules);
	if (!v || ft_views_publish(d->views, v) < 0) {
		if (!d->ifs_retry)
			ft_loop_add_timer(d->loop, INTERFACES_RETRY_NS, 0, retry_interfaces, d, &d->ifs_retry);
		if (ft_log_rl_allow(&d->ifs_rl, ft_clock_mono_ns() / FT_NS_PER_SEC, 3, 3600))
			ft_log_err(FT_LOG_CONFIG, "the interface table changed, but %s: the view in force is kept, and "
			           "tried again in 10 s", v ? "earlier changes are still being taken up" :
			           "the tenant map does not build with it (the errors above)");
		ft_view_free(v);
		return;
	}
	ft_outputs_set_map_id(d->out, ft_tenant_map_id(v->tenants));
	ft_log_notice(FT_LOG_SNMP, "interface table: %zu interface(s), %zu interface rule(s) from it; tenant map %s",
	              n, rules, ft_tenant_map_id(v->tenants));
}

static void on_stop(struct ft_loop *l, int signo, void *ctx)
{
	(void)ctx;
	ft_log_notice(FT_LOG_MAIN, "%s received: stopping", strsignal(signo));
	ft_loop_stop(l);
}

/* After a step was committed: the collector's running counters at its end, for the
 * sinks that graph them. */
/* The collector's running counters in s, as the sinks take them (c->exporters: the
 * caller's to free).  0 or -ENOMEM. */
static int counters_of(const struct ft_stats *s, struct ft_counters *c)
{
	*c = (struct ft_counters){ .records = s->totals.records };
	c->exporters = calloc(s->n_exporters + 1, sizeof(*c->exporters));
	if (!c->exporters)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_exporters; i++) {
		const struct ft_exporter_stats *e = &s->exporters[i];
		struct ft_counters_exporter *x = &c->exporters[c->n_exporters++];
		*x = (struct ft_counters_exporter){ .addr = e->key.addr, .domain = e->key.domain,
		                                     .datagrams = e->datagrams, .records = e->records,
		                                     .bytes = e->bytes, .seq_lost = e->lost_records + e->lost_datagrams,
		                                     .no_template = e->errors[FT_NF_ERR_NO_TEMPLATE],
		                                     .sampling_changes = e->sampling_changes,
		                                     .sampling_rate = e->sampling_rate };
		for (size_t k = 0; k < FT_NF_ERR__MAX; k++)
			x->parse_errors += e->errors[k];
	}
	for (size_t i = 0; i < s->n_listeners; i++)
		c->kernel_drops += s->listeners[i].st.kernel_drops;
	return 0;
}

/* Every receive thread's counters now.  0 or -ENOMEM. */
static int gather_counters(struct daemon *d, struct ft_counters *c)
{
	struct ft_stats s;
	ft_stats_init(&s, 0, "udp");
	int r = 0;
	for (unsigned i = 0; i < d->n && r == 0; i++)
		r = ft_receiver_collect(&d->rs[i], &s);
	if (r == 0)
		r = counters_of(&s, c);
	ft_stats_done(&s);
	return r;
}

/* Collects closed step parts and writes the steps every thread has closed. */
static void step_tick(struct daemon *d)
{
	int64_t before = INT64_MAX, end;
	for (unsigned i = 0; i < d->n; i++) {
		int64_t b = ft_receiver_take_steps(&d->rs[i], d->out);
		before = b < before ? b : before;
	}
	/* the counters go into the ledger with the next step committed, then to the sinks */
	struct ft_counters c;
	bool have = gather_counters(d, &c) == 0;
	if (have)
		ft_outputs_set_counters(d->out, &c);
	ft_outputs_commit(d->out, before);
	if (have && ft_outputs_boundary(d->out, &end))
		ft_outputs_counters(d->out, &c);
	if (have)
		free(c.exporters);
	ft_views_collect(d->views);
}

static void on_step_tick(struct ft_loop *l, uint64_t id, uint64_t expirations, void *ctx)
{
	(void)l, (void)id, (void)expirations;
	step_tick(ctx);
}

static void refresh_stats(struct daemon *d)
{
	ft_stats_clear(&d->stats);
	for (unsigned i = 0; i < d->n; i++)
		ft_receiver_collect(&d->rs[i], &d->stats);
	stats_sinks(&d->stats, d->out);
	if (d->snmp) {
		struct ft_snmp_device_stats *st = calloc(d->cfg->snmp.n_devices + 1, sizeof(*st));
		if (st)
			ft_stats_set_snmp(&d->stats, st, ft_snmp_poller_stats(d->snmp, st, d->cfg->snmp.n_devices));
		free(st);
	}
	d->stats.have_dashboard = ft_redraw_stats(d->redraw, &d->stats.dashboard);
	write_stats(d->cfg, &d->stats);
}

static void on_stats(struct ft_loop *l, uint64_t id, uint64_t expirations, void *ctx)
{
	(void)l, (void)id, (void)expirations;
	refresh_stats(ctx);
}

#define STEP_TICK_NS (250 * FT_NS_PER_MS)

/* Signals first: the loop blocks them here, before any other thread exists, so every
 * thread inherits the mask and only the loop sees them. */
static int make_loop(struct daemon *d)
{
	int64_t every = d->cfg->stats_interval * FT_NS_PER_SEC;
	int r = (d->loop = ft_loop_new()) ? 0 : -errno;
	if (r == 0)
		r = ft_loop_add_signal(d->loop, SIGTERM, on_stop, d);
	if (r == 0)
		r = ft_loop_add_signal(d->loop, SIGINT, on_stop, d);
	if (r == 0)
		r = ft_loop_add_signal(d->loop, SIGHUP, on_reload, d);
	if (r == 0)
		r = ft_loop_add_timer(d->loop, STEP_TICK_NS, STEP_TICK_NS, on_step_tick, d, NULL);
	if (r == 0)
		r = ft_loop_add_timer(d->loop, every, every, on_stats, d, NULL);
	if (r < 0)
		ft_log_err(FT_LOG_MAIN, "cannot set up the control loop: %s", strerror(-r));
	return r;
}

/* The sockets, bound while flowtallyd may still be root, then the drop to its user
 * (privs.h): before any other thread exists, and before it writes a file. */
static int open_receivers(struct daemon *d)
{
	char err[600] = "";
	for (unsigned i = 0; i < d->n; i++) {
		if (ft_receiver_open(&d->rs[i], d->cfg, i, i ? &d->rs[0] : NULL, err, sizeof(err)) < 0) {
			ft_log_err(FT_LOG_NET, "%s", err);
			return -1;
		}
	}
	if (ft_privs_drop(d->privs, err, sizeof(err)) < 0 ||
	    ft_privs_check_reach(d->privs, d->cfg->data_dir, err, sizeof(err)) < 0) {
		ft_log_err(FT_LOG_MAIN, "%s", err);
		return -1;
	}
	if (d->privs->drop)
		ft_log_info(FT_LOG_MAIN, "running as user %s (uid %u, gid %u), no capabilities",
		            d->privs->user, (unsigned)d->privs->uid, (unsigned)d->privs->gid);
	return 0;
}

static int start_receivers(struct daemon *d)
{
	char err[256] = "";
	struct ft_step *restore = NULL;
	size_t n_restore = 0;
	int ret = 0;
	ft_outputs_take_open(d->out, &restore, &n_restore);
	for (unsigned i = 0; i < d->n && ret == 0; i++)
		if (ft_receiver_start(&d->rs[i], i ? &d->rs[0] : NULL, d->views, i ? NULL : restore,
		                      i ? 0 : n_restore, err, sizeof(err)) < 0)
			ret = EXIT_RUNTIME;
	for (size_t i = 0; i < n_restore; i++)
		ft_step_done(&restore[i]);
	free(restore);
	if (ret)
		ft_log_err(FT_LOG_NET, "%s", err);
	return ret;
}

/* After the threads ended: the steps every thread closed go to the sinks; the others
 * (a thread that stopped a moment later may have closed a step that one before it
 * still had open) go with the open steps to state/steps.json. */
static int finish_steps(struct daemon *d)
{
	step_tick(d);
	size_t n = 0;
	for (unsigned i = 0; i < d->n; i++)
		n += d->rs[i].n_open;
	struct ft_step *open = calloc(n + 1, sizeof(*open));
	size_t k = 0;
	if (!open)
		ft_log_err(FT_LOG_MAIN, "out of memory at the stop: the %zu open step part(s) of the "
		           "receive threads are lost", n);
	for (unsigned i = 0; open && i < d->n; i++) {
		if (d->rs[i].n_open)
			memcpy(open + k, d->rs[i].open_at_exit, d->rs[i].n_open * sizeof(*open));
		k += d->rs[i].n_open;
		d->rs[i].n_open = 0;
	}
	int r = ft_outputs_save_open(d->out, open, k);
	free(open);
	return r < 0 || !open ? -1 : 0;
}

/* The poller's closed interface steps go to the sinks' queue (from its thread). */
static void emit_interfaces(void *ctx, const struct ft_if_step *s, size_t n)
{
	struct daemon *d = ctx;
	ft_outputs_interfaces(d->out, s, n);
}

static void polled(void *ctx, const struct ft_snmp_device *dev, int status, const struct ft_snmp_poll *p)
{
	struct daemon *d = ctx;
	ft_ifstate_polled(d->ifs, dev, status, p);
}

/* The SNMP poller, on a thread of its own, when devices are configured. */
static int start_snmp(struct daemon *d)
{
	if (!d->cfg->snmp.n_devices)
		return 0;
	ft_snmp_init("flowtallyd");
	snprintf(d->snmp_state, sizeof(d->snmp_state), "%s/state/snmp.json", d->cfg->data_dir);
	struct ft_snmp_poller_env env = { .conf = &d->cfg->snmp, .step_ms = d->cfg->agg.step_ms,
	                                  .emit = emit_interfaces, .polled = polled, .ctx = d,
	                                  .state_path = d->snmp_state };
	d->ifs = ft_ifstate_new(&d->cfg->snmp);
	int r = d->ifs ? ft_loop_add_fd(d->loop, ft_ifstate_fd(d->ifs), FT_LOOP_READ, on_interfaces, d) : -ENOMEM;
	if (r == 0)
		r = ft_snmp_poller_new(&env, &d->snmp);
	if (r == 0)
		r = ft_snmp_poller_start(d->snmp);
	if (r < 0) {
		ft_log_err(FT_LOG_MAIN, "cannot start the SNMP poller: %s", strerror(-r));
		d->snmp = ft_snmp_poller_free(d->snmp);
		return EXIT_RUNTIME;
	}
	ft_log_info(FT_LOG_MAIN, "SNMP poller: %zu device(s) every %u s", d->cfg->snmp.n_devices,
	            d->cfg->snmp.interval_s);
	return 0;
}

/* The dashboard redraws, on a thread of their own once an interval is set. */
static int start_redraw(struct daemon *d)
{
	int r = (d->redraw = ft_redraw_new()) ? set_redraw(d, d->cfg) : -ENOMEM;
	if (r < 0) {
		ft_log_err(FT_LOG_MAIN, "cannot start the dashboard redraws: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	if (d->cfg->dashboard_interval)
		ft_log_info(FT_LOG_MAIN, "dashboard redrawn every %u s", d->cfg->dashboard_interval);
	if (d->cfg->dashboard_interval && d->o->config && d->o->data_dir)
		ft_log_notice(FT_LOG_MAIN, "the dashboard is drawn from %s's data directory, not from -d %s",
		              d->o->config, d->o->data_dir);
	return 0;
}

static int serve(struct daemon *d)
{
	int ret = start_receivers(d);
	if (ret == 0)
		ret = start_snmp(d);
	if (ret == 0)
		ret = start_redraw(d);
	bool started = ret == 0;
	if (started) {
		ft_log_notice(FT_LOG_MAIN, "flowtallyd %s started: %zu listen address(es), %u receive "
		              "thread(s), tenant map %s, data in %s", FT_VERSION, d->cfg->net.n_listen, d->n,
		              ft_tenant_map_id(ft_views_current(d->views)->tenants), d->cfg->data_dir);
		refresh_stats(d);
		if (ready(d->su) < 0)
			ret = EXIT_RUNTIME;
		else if (ft_loop_run(d->loop) < 0) {
			ft_log_err(FT_LOG_MAIN, "control loop failed: stopping");
			ret = EXIT_RUNTIME;
		}
	}
	ft_redraw_stop(d->redraw);          /* a render in progress ends meanwhile */
	ft_snmp_poller_stop(d->snmp);       /* its last closed steps are queued */
	for (unsigned i = 0; i < d->n; i++)
		ft_receiver_stop(&d->rs[i]);
	for (unsigned i = 0; i < d->n; i++)
		ft_receiver_join(&d->rs[i]);
	if (started) {
		if (finish_steps(d) < 0)
			ret = EXIT_RUNTIME;       /* what was lost is logged */
		/* the last statistics once the sinks have written what they could (the rest is
		 * dropped at the close, within the same bound) */
		ft_outputs_drain(d->out, 15 * FT_NS_PER_SEC);
		ft_redraw_wait(d->redraw);      /* its last run counted */
		refresh_stats(d);
		log_totals(&d->stats);
	}
	d->redraw = ft_redraw_free(d->redraw);
	d->snmp = ft_snmp_poller_free(d->snmp);
	if (d->ifs)
		ft_loop_del_fd(d->loop, ft_ifstate_fd(d->ifs));
	d->ifs = ft_ifstate_free(d->ifs);
	d->reloaded = ft_config_free(d->reloaded);
	return ret;
}

/* Takes v. */
static int run_udp(const struct opts *o, const struct ft_config *cfg, struct ft_view *v,
                   struct startup *su, const struct ft_privs *pv)
{
	struct daemon d = { .o = o, .privs = pv, .su = su, .cfg = cfg, .n = cfg->net.receive_threads };
	int ret = EXIT_RUNTIME;
	if (!(d.views = ft_views_new(v, d.n))) {
		ft_log_err(FT_LOG_MAIN, "out of memory");
		ft_view_free(v);
	}
	else if ((d.rs = calloc(d.n, sizeof(*d.rs))) && open_receivers(&d) == 0 && make_loop(&d) == 0 &&
	         ft_outputs_open(cfg, ft_sink_table, ft_sink_table_len, true, &d.out) == 0) {
		ft_stats_init(&d.stats, ft_clock_now_ns(), "udp");
		ft_outputs_set_map_id(d.out, ft_tenant_map_id(v->tenants));
		ret = serve(&d);
		ft_stats_done(&d.stats);
	}
	for (unsigned i = 0; d.rs && i < d.n; i++)
		ft_receiver_free(&d.rs[i]);
	ft_outputs_close(d.out);
	free(d.rs);
	ft_views_free(d.views);
	ft_loop_free(d.loop);
	return ret;
}

/* The parent of a detached start: waits until the child is ready (0) or has ended
 * (its exit status). */
static int wait_ready(int fd, pid_t child)
{
	char c;
	ssize_t n;
	int st;
	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n == 1)
		return 0;
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_RUNTIME;
}

/* Forks; the parent never returns.  The child gets the write end of the pipe. */
static int detach(struct startup *su)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		exit(wait_ready(p[0], pid));
	}
	close(p[0]);
	su->ready_fd = p[1];
	return setsid() < 0 ? -errno : 0;
}

/* --replay: the capture is opened before the drop (root may have named a file only it
 * can read).  Takes v. */
static int start_replay(const struct opts *o, struct ft_config *cfg, struct ft_view *v,
                        struct startup *su, const struct ft_privs *pv)
{
	char err[600];
	struct ft_pcap_reader *rd = ft_pcap_open(o->replay, err, sizeof(err));
	int r = 0;
	if (!rd)
		ft_log_err(FT_LOG_PCAP, "%s: %s", o->replay, err);
	else if ((r = ft_privs_drop(pv, err, sizeof(err))) < 0 ||
	         (r = ft_privs_check_reach(pv, cfg->data_dir, err, sizeof(err))) < 0)
		ft_log_err(FT_LOG_MAIN, "%s", err);
	if (!rd || r < 0 || ready(su) < 0) {
		ft_pcap_close(rd);
		ft_view_free(v);
		return EXIT_RUNTIME;
	}
	return run_replay(cfg, v, rd, o->replay);
}

/* Takes v. */
static int start(const struct opts *o, struct ft_config *cfg, struct ft_view *v, struct startup *su,
                 const struct ft_privs *pv)
{
	char err[4400];
	int r = !o->foreground && !o->replay ? detach(su) : 0;
	if (r < 0) {
		ft_log_err(FT_LOG_MAIN, "cannot detach: %s", strerror(-r));
		ft_view_free(v);
		return EXIT_RUNTIME;
	}
	if ((r = make_data_dir(cfg->data_dir, pv->uid, pv->gid)) != 0) {
		ft_view_free(v);
		return r;
	}
	if (ft_privs_adopt(pv, cfg->data_dir, err, sizeof(err)) < 0) {
		ft_log_err(FT_LOG_MAIN, "data directory: %s", err);
		ft_view_free(v);
		return EXIT_RUNTIME;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);   /* a file-size limit is a write error, not an end */
	if (!o->replay)
		return run_udp(o, cfg, v, su, pv);
	return start_replay(o, cfg, v, su, pv);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	ft_log_open("flowtallyd", false);
	struct ft_view *v;
	struct ft_config *cfg = load_config(&o, false, &v);
	if (!cfg)
		return EXIT_USAGE;
	ft_log_level = cfg->log_level;
	struct ft_privs pv;
	char err[600];
	if (ft_privs_plan(cfg->user, cfg->group, o.allow_root, &pv, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowtallyd: %s\n", err);
		ft_view_free(v);
		ft_config_free(cfg);
		return EXIT_USAGE;
	}
	struct startup su = { .pidfile = o.pidfile, .ready_fd = -1 };
	int ret = start(&o, cfg, v, &su, &pv);
	if (su.wrote_pidfile)
		unlink(o.pidfile);          /* never another daemon's */
	ft_config_free(cfg);
	return ret;
}
