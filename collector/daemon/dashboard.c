/* The dashboard redraws (dashboard.h): a thread of its own runs `flowtally dashboard`
 * as a child process every dashboard_interval seconds.
 *
 * Why a child and not librrd's graph code in the daemon: rrd_graph writes the axis
 * labels in local time, which takes TZ set for the whole process (setenv beside running
 * threads is undefined behaviour), and cairo and pango in the collector's address space
 * would put the receive path at the mercy of a font or image bug.  A child may crash,
 * hang or leak: the collector only counts it.
 *
 * The thread runs one loop (loop.h) over what it owns: an eventfd through which the
 * control thread hands it new settings or asks it to stop; a periodic timer, the
 * interval; and while a render runs, the child's pidfd (readable once it has ended),
 * the read end of its stderr pipe and a one-shot timer, its bound.  Settings handed over
 * and the counters sit under one mutex, which the control thread takes only to hand
 * settings over and to copy the counters: the receive threads never meet it.
 *
 * Schedule: runs are due at start + k × interval, the first one interval after the
 * thread starts, not at once, so that a daemon restarted in a loop does not draw in a
 * loop (the site of the last run stays until then).  A run due while the last one
 * still runs is skipped and counted, said once per render.  A render still running
 * after its bound (FT_REDRAW_BOUND_INTERVALS intervals, at least FT_REDRAW_BOUND_MIN_S)
 * has missed several redraws already and is probably stuck (an unanswering rrdcached, a
 * hung file system): it gets SIGTERM, SIGKILL GRACE_NS later, and counts as failed and
 * killed.  At the daemon's stop the grace is STOP_GRACE_NS, so the stop never waits long.
 *
 * The child: its own process group, so that the SIGTERM reaches whatever it started
 * too, and a Ctrl-C at the terminal reaches flowtallyd alone, which ends the child
 * itself; every signal at its default and none blocked (the daemon's threads block the
 * signals its control loop reads, and ignore SIGPIPE: a mask and an ignored disposition
 * would survive the exec); stdin and stdout /dev/null, stderr a pipe whose first lines
 * are logged; every other descriptor closed, whatever a library opened without
 * O_CLOEXEC.  Nice +10: the thread lowers its own priority before its first run (Linux
 * keeps the nice value per thread) and a child inherits the value of the thread that
 * spawned it, so there is no moment at which the child runs at the daemon's priority,
 * as a setpriority() on its pid after the spawn would leave.  When the thread's own
 * setpriority() fails, the child's pid is reniced after the spawn instead.  The child
 * runs as the daemon's user, after the drop.  When the child ends, what is left of its
 * group is killed before it is reaped (the pid, a zombie until then, cannot name
 * another process), so nothing a render started outlives it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/log.h"
#include "flowtally/loop.h"
#include "dashboard.h"

#define FT_LOG_DASHBOARD "dashboard"

#ifndef FT_BINDIR
#define FT_BINDIR "/usr/local/bin"
#endif

extern char **environ;

#define NICE 10
#define GRACE_NS (5 * FT_NS_PER_SEC)
#define STOP_GRACE_NS FT_NS_PER_SEC
#define REAP_POLL_NS (100 * FT_NS_PER_MS)   /* without pidfd_open (Linux < 5.3) */
#define ERR_LINES 8                          /* stderr lines kept per run ... */
#define ERR_LINE_MAX 240                     /* ... of this many bytes at most */

struct settings {
	uint32_t interval_s;
	char *command, *config, *data_dir, *out;
};

/* The render in progress. */
struct run {
	pid_t pid;                  /* 0: none */
	int pidfd;                  /* -1: none, a timer polls */
	int err;                    /* the stderr pipe's read end; -1 once closed */
	int64_t start_mono, start_real;
	uint64_t timer;             /* the bound, then the grace; 0 none */
	uint64_t reap_timer;        /* without a pidfd */
	int stage;                  /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
	bool killed;                /* at the bound (not at the stop) */
	bool skip_said;
	char lines[ERR_LINES][ERR_LINE_MAX + 1];
	unsigned n_lines;
	uint64_t more_lines;        /* lines beyond ERR_LINES */
	size_t cur;                 /* bytes of the line being read */
	uint64_t hash;              /* of all the output, to tell a repeated failure */
};

struct ft_redraw {
	pthread_mutex_t mu;         /* guards pending, stop and st */
	struct settings *pending;
	bool stop;
	struct ft_stats_dashboard st;
	int wake;                   /* eventfd: pending or stop */
	pthread_t th;
	bool started, joined;
	/* the thread's own */
	struct ft_loop *loop;
	struct settings *cur;
	uint64_t tick;              /* the periodic timer; 0 while the interval is 0 */
	int64_t last_due;           /* CLOCK_MONOTONIC: the last time a run was due */
	bool renice_child;
	bool stopping;
	struct run run;
	uint64_t last_hash;         /* the last run's result and output */
	char last_result[96];
};

/* ---- settings ----------------------------------------------------------------------------- */

static struct settings *settings_free(struct settings *s)
{
	if (s) {
		free(s->command);
		free(s->config);
		free(s->data_dir);
		free(s->out);
		free(s);
	}
	return NULL;
}

static bool dup_opt(const char *in, char **out)
{
	*out = in ? strdup(in) : NULL;
	return !in || *out;
}

static struct settings *settings_new(const struct ft_redraw_conf *c)
{
	struct settings *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->interval_s = c->interval_s;
	if (!dup_opt(c->command, &s->command) || !dup_opt(c->config, &s->config) ||
	    !dup_opt(c->data_dir, &s->data_dir) || !dup_opt(c->out, &s->out))
		return settings_free(s);
	return s;
}

/* The program a run executes, in buf: the configured command, or flowtally beside
 * flowtallyd, in the build tree, in the install's bindir.  0 or -ENOENT. */
static int find_program(const char *command, char *buf, size_t len)
{
	char exe[PATH_MAX];
	if (command)
		return snprintf(buf, len, "%s", command) < (int)len ? 0 : -ENAMETOOLONG;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
	if (slash) {
		*slash = '\0';
		static const char *const rel[] = { "flowtally", "../cli/flowtally" };
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++)
			if (snprintf(buf, len, "%s/%s", exe, rel[i]) < (int)len && access(buf, X_OK) == 0)
				return 0;
	}
	snprintf(buf, len, "%s", FT_BINDIR "/flowtally");
	return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}

/* ---- the result of a run ------------------------------------------------------------------ */

#define FNV_BASIS 14695981039346656037u

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211u;
	return h;
}

/* A run's result is said at info (drawn) or warning (failed), its stderr lines at
 * notice or warning; a failure the same as the last run's, output included, at debug
 * (stats.json counts it), as is the output of a render the same as the last. */
static void say_result(struct ft_redraw *r, bool ok, const char *result, int64_t ms)
{
	struct run *u = &r->run;
	uint64_t h = fnv(u->hash, result, strlen(result));
	bool same = h == r->last_hash;
	bool was_failing = r->last_result[0] && strcmp(r->last_result, "ok") != 0;
	int level = ok ? FT_LOG_INFO : same ? FT_LOG_DEBUG : FT_LOG_WARNING;
	int lines = ok ? (same ? FT_LOG_DEBUG : FT_LOG_NOTICE) : level;
	if (ok)
		ft_log(level, FT_LOG_DASHBOARD, "drawn in %lld ms into %s%s", (long long)ms, r->cur->out,
		       was_failing ? " (the runs before failed)" : "");
	else
		ft_log(level, FT_LOG_DASHBOARD, "render failed: %s after %lld ms%s", result, (long long)ms,
		       u->n_lines ? "; its standard error:" : "");
	for (unsigned i = 0; i < u->n_lines; i++)
		ft_log(lines, FT_LOG_DASHBOARD, "  %s", u->lines[i]);
	if (u->more_lines)
		ft_log(lines, FT_LOG_DASHBOARD, "  (%llu more line%s)", (unsigned long long)u->more_lines,
		       u->more_lines == 1 ? "" : "s");
	r->last_hash = h;
	snprintf(r->last_result, sizeof(r->last_result), "%s", result);
}

static void count(struct ft_redraw *r, bool ok, int exit_status, int signo, const char *result,
                  int64_t ms)
{
	pthread_mutex_lock(&r->mu);
	r->st.running = false;
	r->st.renders++;
	r->st.failures += !ok;
	r->st.killed += r->run.killed;
	r->st.last_start_ns = r->run.start_real;
	r->st.last_duration_ms = ms;
	r->st.last_exit = exit_status;
	r->st.last_signal = signo;
	snprintf(r->st.last_result, sizeof(r->st.last_result), "%s", result);
	pthread_mutex_unlock(&r->mu);
}

/* ---- its standard error ------------------------------------------------------------------- */

static void take_bytes(struct run *u, const char *b, size_t n)
{
	u->hash = fnv(u->hash, b, n);
	for (size_t i = 0; i < n; i++) {
		char *line = u->n_lines < ERR_LINES ? u->lines[u->n_lines] : NULL;
		if (b[i] == '\n') {
			if (line && u->cur)
				u->n_lines++;
			else if (u->cur)
				u->more_lines++;
			u->cur = 0;
			continue;
		}
		if (line && u->cur < ERR_LINE_MAX) {
			/* what a log line can carry: printable bytes, the rest as '?' */
			line[u->cur] = (unsigned char)b[i] < 0x20 || b[i] == 0x7f ? '?' : b[i];
			line[u->cur + 1] = '\0';
		}
		u->cur++;
	}
}

static void close_err(struct ft_redraw *r)
{
	struct run *u = &r->run;
	if (u->err < 0)
		return;
	if (u->cur)                         /* a last line without its newline */
		take_bytes(u, "\n", 1);
	ft_loop_del_fd(r->loop, u->err);
	close(u->err);
	u->err = -1;
}

/* Reads what is there; at the end of the pipe (or an error) closes it. */
static void read_err(struct ft_redraw *r)
{
	char b[4096];
	for (;;) {
		ssize_t n = read(r->run.err, b, sizeof(b));
		if (n > 0) {
			take_bytes(&r->run, b, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			close_err(r);
		return;
	}
}

static void on_err(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	(void)l, (void)fd, (void)revents;
	read_err(ctx);
}

/* ---- the child ---------------------------------------------------------------------------- */

static void signal_group(struct ft_redraw *r, int signo)
{
	if (kill(-r->run.pid, signo) < 0 && errno == ESRCH)
		kill(r->run.pid, signo);    /* not its group's leader yet: the spawn just returned */
}

static void drop_timer(struct ft_redraw *r, uint64_t *id)
{
	if (*id)
		ft_loop_del_timer(r->loop, *id);
	*id = 0;
}

static int64_t bound_ns(const struct settings *s)
{
	int64_t b = (int64_t)s->interval_s * FT_REDRAW_BOUND_INTERVALS;
	return (b < FT_REDRAW_BOUND_MIN_S ? FT_REDRAW_BOUND_MIN_S : b) * FT_NS_PER_SEC;
}

/* The child has ended (status from waitpid): what is left of its group goes, and the
 * run is counted and said. */
static void ended(struct ft_redraw *r, int status)
{
	struct run *u = &r->run;
	char result[96];
	int64_t ms = (ft_clock_mono_ns() - u->start_mono) / FT_NS_PER_MS;
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !u->killed;
	const char *sig = WIFSIGNALED(status) ? sigabbrev_np(WTERMSIG(status)) : NULL;
	if (u->killed)
		snprintf(result, sizeof(result), "still running at its bound of %lld s: killed by SIG%s",
		         (long long)(bound_ns(r->cur) / FT_NS_PER_SEC), sig ? sig : "?");
	else if (WIFEXITED(status))
		snprintf(result, sizeof(result), ok ? "ok" : "exit status %d", WEXITSTATUS(status));
	else
		snprintf(result, sizeof(result), "killed by SIG%s", sig ? sig : "?");
	read_err(r);
	close_err(r);
	count(r, ok, WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	      result, ms);
	if (r->stopping)
		ft_log_notice(FT_LOG_DASHBOARD, "the render in progress was ended at the stop (%s)", result);
	else
		say_result(r, ok, result, ms);
	drop_timer(r, &u->timer);
	drop_timer(r, &u->reap_timer);
	if (u->pidfd >= 0) {
		ft_loop_del_fd(r->loop, u->pidfd);
		close(u->pidfd);
	}
	*u = (struct run){ .pidfd = -1, .err = -1 };
	if (r->stopping)
		ft_loop_stop(r->loop);
}

/* Reaps the child if it has ended: true then. */
static bool try_reap(struct ft_redraw *r)
{
	int status;
	siginfo_t si = { 0 };
	/* ended? (a zombie still: its pid cannot name another process yet) */
	if (waitid(P_PID, (id_t)r->run.pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
		return false;
	signal_group(r, SIGKILL);
	while (waitpid(r->run.pid, &status, 0) < 0 && errno == EINTR)
		;
	ended(r, status);
	return true;
}

static void on_pidfd(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	(void)l, (void)fd, (void)revents;
	try_reap(ctx);
}

static void on_reap_poll(struct ft_loop *l, uint64_t id, uint64_t exp, void *ctx)
{
	(void)l, (void)id, (void)exp;
	try_reap(ctx);
}

/* The bound passed (SIGTERM), or the grace after SIGTERM (SIGKILL). */
static void on_bound(struct ft_loop *l, uint64_t id, uint64_t exp, void *ctx)
{
	struct ft_redraw *r = ctx;
	(void)id, (void)exp;
	r->run.timer = 0;
	if (r->run.stage == 0) {
		r->run.killed = r->run.killed || !r->stopping;
		r->run.stage = 1;
		signal_group(r, SIGTERM);
		ft_loop_add_timer(l, r->stopping ? STOP_GRACE_NS : GRACE_NS, 0, on_bound, r, &r->run.timer);
	} else {
		r->run.stage = 2;
		signal_group(r, SIGKILL);
	}
}

static int spawn_child(const char *prog, char *const argv[], int err_w, pid_t *ret)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	int e = posix_spawn_file_actions_init(&fa);
	if (e)
		return -e;
	if ((e = posix_spawnattr_init(&at))) {
		posix_spawn_file_actions_destroy(&fa);
		return -e;
	}
	if (!(e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) &&
	    !(e = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)) &&
	    !(e = posix_spawn_file_actions_adddup2(&fa, err_w, 2)) &&
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	    !(e = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) &&
#endif
	    !(e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                                        POSIX_SPAWN_SETSIGDEF)) &&
	    !(e = posix_spawnattr_setpgroup(&at, 0)) && !(e = posix_spawnattr_setsigmask(&at, &none)) &&
	    !(e = posix_spawnattr_setsigdefault(&at, &all)))
		e = strchr(prog, '/') ? posix_spawn(ret, prog, &fa, &at, argv, environ) :
		                        posix_spawnp(ret, prog, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return -e;
}

/* A run that could not start counts as failed. */
static void not_started(struct ft_redraw *r, const char *prog, int err)
{
	char result[96];
	snprintf(result, sizeof(result), "cannot run %.60s: %s", prog, strerror(-err));
	r->run.start_real = ft_clock_now_ns();
	count(r, false, -1, 0, result, 0);
	say_result(r, false, result, 0);
	r->run = (struct run){ .pidfd = -1, .err = -1 };
}

/* COMMAND dashboard [-c CONFIG] [-d DATA_DIR] --out OUT --quiet, in argv[0..10]. */
static void make_argv(const struct settings *s, char *prog, char *argv[static 11])
{
	int n = 0;
	argv[n++] = prog;
	argv[n++] = "dashboard";
	if (s->config)
		argv[n++] = "-c", argv[n++] = s->config;
	if (s->data_dir)
		argv[n++] = "-d", argv[n++] = s->data_dir;
	argv[n++] = "--out";
	argv[n++] = s->out;
	argv[n++] = "--quiet";
	argv[n] = NULL;
}

/* The loop watches the child just spawned: its end, its stderr, its bound. */
static void watch(struct ft_redraw *r)
{
	struct run *u = &r->run;
#ifdef SYS_pidfd_open
	u->pidfd = (int)syscall(SYS_pidfd_open, u->pid, 0);
#endif
	if (u->pidfd < 0 || ft_loop_add_fd(r->loop, u->pidfd, FT_LOOP_READ, on_pidfd, r) < 0) {
		if (u->pidfd >= 0)
			close(u->pidfd);
		u->pidfd = -1;
		ft_loop_add_timer(r->loop, REAP_POLL_NS, REAP_POLL_NS, on_reap_poll, r, &u->reap_timer);
	}
	ft_loop_add_fd(r->loop, u->err, FT_LOOP_READ, on_err, r);
	ft_loop_add_timer(r->loop, bound_ns(r->cur), 0, on_bound, r, &u->timer);
}

static void start_run(struct ft_redraw *r)
{
	char prog[PATH_MAX];
	char *argv[11];
	int p[2];
	int e = find_program(r->cur->command, prog, sizeof(prog));
	if (e < 0) {
		not_started(r, r->cur->command ? r->cur->command : "flowtally (beside flowtallyd, or in " FT_BINDIR ")", e);
		return;
	}
	make_argv(r->cur, prog, argv);
	if (pipe2(p, O_CLOEXEC) < 0) {
		not_started(r, prog, -errno);
		return;
	}
	/* only our end: the child's stderr blocks as any stderr does */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	struct run *u = &r->run;
	*u = (struct run){ .pidfd = -1, .err = p[0], .start_mono = ft_clock_mono_ns(),
	                     .start_real = ft_clock_now_ns(), .hash = FNV_BASIS };
	e = spawn_child(prog, argv, p[1], &u->pid);
	close(p[1]);
	if (e < 0) {
		close(p[0]);
		not_started(r, prog, e);
		return;
	}
	if (r->renice_child)
		setpriority(PRIO_PROCESS, (id_t)u->pid, NICE);
	watch(r);
	pthread_mutex_lock(&r->mu);
	r->st.running = true;
	pthread_mutex_unlock(&r->mu);
	ft_log_debug(FT_LOG_DASHBOARD, "render started: %s (pid %ld)", prog, (long)u->pid);
}

/* ---- the schedule ------------------------------------------------------------------------- */

static void on_tick(struct ft_loop *l, uint64_t id, uint64_t exp, void *ctx)
{
	struct ft_redraw *r = ctx;
	(void)l, (void)id;
	r->last_due = ft_clock_mono_ns();
	if (!r->run.pid) {
		start_run(r);
		return;
	}
	pthread_mutex_lock(&r->mu);
	r->st.skipped += exp;
	pthread_mutex_unlock(&r->mu);
	if (!r->run.skip_said)
		ft_log_notice(FT_LOG_DASHBOARD, "the render started %.1f s ago still runs: runs due meanwhile "
		              "are skipped (stats.json counts them)",
		              (double)(r->last_due - r->run.start_mono) / FT_NS_PER_SEC);
	r->run.skip_said = true;
}

/* New settings: a changed interval counts from the last time a run was due (at once
 * if that is already past). */
static void apply(struct ft_redraw *r, struct settings *s)
{
	uint32_t was = r->cur ? r->cur->interval_s : 0;
	settings_free(r->cur);
	r->cur = s;
	pthread_mutex_lock(&r->mu);
	r->st.interval_s = s->interval_s;
	pthread_mutex_unlock(&r->mu);
	if (s->interval_s == was)
		return;
	drop_timer(r, &r->tick);
	if (!s->interval_s)
		return;
	int64_t every = (int64_t)s->interval_s * FT_NS_PER_SEC;
	int64_t first = r->last_due + every - ft_clock_mono_ns();
	if (!was)
		first = every;
	if (ft_loop_add_timer(r->loop, first > 0 ? first : 0, every, on_tick, r, &r->tick) < 0)
		ft_log_err(FT_LOG_DASHBOARD, "cannot set the redraw timer: no redraws");
	else if (was)
		ft_log_info(FT_LOG_DASHBOARD, "redrawn every %u s from now on", s->interval_s);
}

static void on_wake(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct ft_redraw *r = ctx;
	uint64_t v;
	(void)revents;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* nothing pending: look all the same */
	}
	pthread_mutex_lock(&r->mu);
	struct settings *s = r->pending;
	bool stop = r->stop;
	r->pending = NULL;
	pthread_mutex_unlock(&r->mu);
	if (s)
		apply(r, s);
	if (!stop || r->stopping)
		return;
	r->stopping = true;
	drop_timer(r, &r->tick);
	if (!r->run.pid) {
		ft_loop_stop(l);
		return;
	}
	/* the render is ended: SIGTERM now, SIGKILL after STOP_GRACE_NS */
	drop_timer(r, &r->run.timer);
	r->run.stage = 0;
	on_bound(l, 0, 1, r);
}

static void *thread_main(void *arg)
{
	struct ft_redraw *r = arg;
	r->renice_child = setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), NICE) < 0;
	r->last_due = ft_clock_mono_ns();
	r->run = (struct run){ .pidfd = -1, .err = -1 };
	if (!(r->loop = ft_loop_new()) || ft_loop_add_fd(r->loop, r->wake, FT_LOOP_READ, on_wake, r) < 0 ||
	    ft_loop_run(r->loop) < 0)
		ft_log_err(FT_LOG_DASHBOARD, "the redraw thread's loop failed: no more redraws");
	if (r->run.pid) {
		/* the loop failed under a render: it goes now */
		signal_group(r, SIGKILL);
		while (waitpid(r->run.pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (r->run.err >= 0)
			close(r->run.err);
		if (r->run.pidfd >= 0)
			close(r->run.pidfd);
	}
	r->loop = ft_loop_free(r->loop);
	return NULL;
}

/* ---- the control thread's side ------------------------------------------------------------ */

struct ft_redraw *ft_redraw_new(void)
{
	struct ft_redraw *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake < 0 || pthread_mutex_init(&r->mu, NULL) != 0) {
		if (r->wake >= 0)
			close(r->wake);
		free(r);
		return NULL;
	}
	return r;
}

static void poke(struct ft_redraw *r)
{
	uint64_t one = 1;
	if (write(r->wake, &one, sizeof(one)) < 0) {
		/* the counter is set already */
	}
}

int ft_redraw_set(struct ft_redraw *r, const struct ft_redraw_conf *c)
{
	struct settings *s = settings_new(c);
	if (!s)
		return -ENOMEM;
	pthread_mutex_lock(&r->mu);
	settings_free(r->pending);
	r->pending = s;
	pthread_mutex_unlock(&r->mu);
	poke(r);
	if (r->started || !c->interval_s)
		return 0;
	int e = pthread_create(&r->th, NULL, thread_main, r);
	if (e)
		return -e;
	r->started = true;
	return 0;
}

void ft_redraw_stop(struct ft_redraw *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_mutex_unlock(&r->mu);
	poke(r);
}

void ft_redraw_wait(struct ft_redraw *r)
{
	if (r && r->started && !r->joined) {
		pthread_join(r->th, NULL);
		r->joined = true;
	}
}

struct ft_redraw *ft_redraw_free(struct ft_redraw *r)
{
	if (!r)
		return NULL;
	ft_redraw_stop(r);
	ft_redraw_wait(r);
	settings_free(r->pending);
	settings_free(r->cur);
	pthread_mutex_destroy(&r->mu);
	close(r->wake);
	free(r);
	return NULL;
}

bool ft_redraw_stats(struct ft_redraw *r, struct ft_stats_dashboard *ret)
{
	if (!r || !r->started)
		return false;
	pthread_mutex_lock(&r->mu);
	*ret = r->st;
	pthread_mutex_unlock(&r->mu);
	return true;
}
