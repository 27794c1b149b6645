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
#include "receiver.h"

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

static int run_replay(const struct ft_config *cfg, const char *file)
{
	char err[256];
	struct ft_pcap_reader *rd = ft_pcap_open(file, err, sizeof(err));
	if (!rd) {
		ft_log_err(FT_LOG_PCAP, "%s: %s", file, err);
		return EXIT_RUNTIME;
	}
	struct ft_pipeline p;
	struct ft_stats s;
	struct ft_datagram dg;
	int r;
	if (ft_pipeline_init(&p, cfg, 0) < 0) {
		ft_pcap_close(rd);
		return EXIT_RUNTIME;
	}
	ft_pipeline_load_state(&p);
	ft_stats_init(&s, ft_clock_now_ns(), "replay");
	while ((r = ft_pcap_next(rd, &dg)) > 0)
		ft_pipeline_datagram(&p, &dg);
	if (r < 0)
		ft_log_err(FT_LOG_PCAP, "%s: read error: %s", file, strerror(-r));
	ft_pipeline_finish(&p);
	ft_pipeline_snapshot(&p, &s);
	s.have_pcap = true;
	s.pcap = *ft_pcap_stats(rd);
	write_stats(cfg, &s);
	log_totals(&s);
	ft_stats_done(&s);
	ft_pipeline_done(&p);
	ft_pcap_close(rd);
	return r < 0 ? EXIT_RUNTIME : 0;
}

static void collect(struct ft_receiver *rs, unsigned n, struct ft_stats *s)
{
	ft_stats_clear(s);
	for (unsigned i = 0; i < n; i++)
		ft_receiver_collect(&rs[i], s);
}

static void reload(const struct opts *o)
{
	struct ft_config *cfg = load_config(o);
	if (!cfg) {
		ft_log_err(FT_LOG_CONFIG, "reload failed: configuration kept as it was");
		return;
	}
	ft_log_level = cfg->log_level;
	ft_log_notice(FT_LOG_CONFIG, "reloaded %s: log level %s (listeners and other settings "
	              "change at restart)", cfg->source, ft_log_level_name(cfg->log_level));
	ft_config_free(cfg);
}

/* Waits for signals and the statistics interval until told to stop. */
static void main_loop(const struct opts *o, const struct ft_config *cfg,
                      struct ft_receiver *rs, unsigned n, struct ft_stats *s)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	int64_t next = ft_clock_mono_ns() + cfg->stats_interval * FT_NS_PER_SEC;
	for (;;) {
		int64_t wait = next - ft_clock_mono_ns();
		struct timespec ts = { wait > 0 ? wait / FT_NS_PER_SEC : 0, wait > 0 ? wait % FT_NS_PER_SEC : 0 };
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			ft_log_notice(FT_LOG_MAIN, "%s received: stopping", strsignal(sig));
			return;
		}
		if (sig == SIGHUP)
			reload(o);
		if (ft_clock_mono_ns() >= next) {
			collect(rs, n, s);
			write_stats(cfg, s);
			next += cfg->stats_interval * FT_NS_PER_SEC;
		}
	}
}

static int run_udp(const struct opts *o, const struct ft_config *cfg)
{
	char err[256] = "";
	unsigned n = cfg->receive_threads;
	struct ft_receiver *rs = calloc(n, sizeof(*rs));
	struct ft_stats s;
	int ret = 0;

	if (!rs)
		return EXIT_RUNTIME;
	ft_stats_init(&s, ft_clock_now_ns(), "udp");
	for (unsigned i = 0; i < n && ret == 0; i++)
		if (ft_receiver_start(&rs[i], cfg, i, i ? &rs[0] : NULL, err, sizeof(err)) < 0)
			ret = EXIT_RUNTIME;
	if (ret == 0) {
		ft_log_notice(FT_LOG_MAIN, "flowtallyd %s started: %zu listen address(es), %u receive "
		              "thread(s), data in %s", FT_VERSION, cfg->n_listen, n, cfg->data_dir);
		collect(rs, n, &s);
		write_stats(cfg, &s);
		main_loop(o, cfg, rs, n, &s);
	} else {
		ft_log_err(FT_LOG_NET, "%s", err);
	}
	for (unsigned i = 0; i < n; i++)
		ft_receiver_join(&rs[i]);
	if (ret == 0) {
		collect(rs, n, &s);
		write_stats(cfg, &s);
		log_totals(&s);
	}
	for (unsigned i = 0; i < n; i++)
		ft_receiver_free(&rs[i]);
	ft_stats_done(&s);
	free(rs);
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
