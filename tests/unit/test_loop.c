/* The event loop: fd readiness, deletion during a round, timers, signals, stop, caps.
 * No assertion on tight timing: waits run in rounds until a few seconds' deadline. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/clock.h"
#include "flowtally/loop.h"

#define DEADLINE_NS (5 * FT_NS_PER_SEC)
#define MS FT_NS_PER_MS
#define HOUR (3600 * FT_NS_PER_SEC)

/* Runs rounds until *count reaches want or the deadline passed; returns *count. */
static int run_until(struct ft_loop *l, const int *count, int want)
{
	int64_t end = ft_clock_mono_ns() + DEADLINE_NS;
	while (*count < want && ft_clock_mono_ns() < end)
		ck_assert_int_ge(ft_loop_run_once(l, 100 * MS), 0);
	return *count;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void make_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static bool is_blocked(int signo)
{
	sigset_t cur;
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	return sigismember(&cur, signo) == 1;
}

static void set_blocked(int signo, bool block)
{
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, signo);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &one, NULL);
}

/* What an fd callback saw. */
struct seen {
	int calls;
	int fd;
	uint32_t revents;
};

static void on_fd(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct seen *s = ctx;
	(void)l;
	s->calls++;
	s->fd = fd;
	s->revents = revents;
}

/* ---- fds ---- */

START_TEST(pipe_reports_data_to_read_while_it_waits)
{
	struct ft_loop *l = ft_loop_new();
	struct seen s = { 0 };
	int p[2];
	make_pipe(p);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(ft_loop_add_fd(l, p[0], FT_LOOP_READ, on_fd, &s), 0);
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_int_eq(s.fd, p[0]);
	ck_assert_uint_eq(s.revents, FT_LOOP_READ);
	ck_assert_int_eq(ft_loop_run_once(l, 0), 1);       /* level-triggered: still there */
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);
	ck_assert_int_eq(s.calls, 2);
	ck_assert_int_eq(ft_loop_del_fd(l, p[0]), 0);
	l = ft_loop_free(l);
	ck_assert_ptr_null(l);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(pipe_reports_room_to_write)
{
	struct ft_loop *l = ft_loop_new();
	struct seen s = { 0 };
	int p[2];
	make_pipe(p);
	ck_assert_int_eq(ft_loop_add_fd(l, p[1], FT_LOOP_WRITE, on_fd, &s), 0);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_int_eq(s.fd, p[1]);
	ck_assert_uint_eq(s.revents, FT_LOOP_WRITE);
	ft_loop_free(l);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(eof_comes_as_read_with_hup)
{
	struct ft_loop *l = ft_loop_new();
	struct seen s = { 0 };
	int p[2];
	char c;
	make_pipe(p);
	ck_assert_int_eq(ft_loop_add_fd(l, p[0], FT_LOOP_READ, on_fd, &s), 0);
	close(p[1]);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_uint_eq(s.revents, FT_LOOP_READ | FT_LOOP_HUP);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	ft_loop_free(l);
	close(p[0]);
}
END_TEST

START_TEST(closed_reader_comes_as_write_with_error)
{
	struct ft_loop *l = ft_loop_new();
	struct seen s = { 0 };
	int p[2];
	make_pipe(p);
	ck_assert_int_eq(ft_loop_add_fd(l, p[1], FT_LOOP_WRITE, on_fd, &s), 0);
	close(p[0]);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_uint_eq(s.revents & ~(uint32_t)FT_LOOP_HUP, FT_LOOP_WRITE | FT_LOOP_ERROR);
	ft_loop_free(l);
	close(p[1]);
}
END_TEST

START_TEST(mod_changes_the_events_watched)
{
	struct ft_loop *l = ft_loop_new();
	struct seen s = { 0 };
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	ck_assert_int_eq(ft_loop_add_fd(l, sv[0], FT_LOOP_READ, on_fd, &s), 0);
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);       /* writable, but not asked */
	ck_assert_int_eq(ft_loop_mod_fd(l, sv[0], FT_LOOP_WRITE), 0);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_uint_eq(s.revents, FT_LOOP_WRITE);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert_int_eq(ft_loop_mod_fd(l, sv[0], FT_LOOP_READ | FT_LOOP_WRITE), 0);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_uint_eq(s.revents, FT_LOOP_READ | FT_LOOP_WRITE);
	ck_assert_int_eq(ft_loop_mod_fd(l, sv[0], FT_LOOP_READ), 0);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_uint_eq(s.revents, FT_LOOP_READ);
	ck_assert_int_eq(ft_loop_mod_fd(l, sv[0], 0), -EINVAL);
	ck_assert_int_eq(ft_loop_mod_fd(l, sv[1], FT_LOOP_READ), -ENOENT);
	ck_assert_int_eq(s.calls, 3);
	ft_loop_free(l);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Two readable pipes whose callbacks act on each other: whichever runs first acts. */
struct pair {
	struct ft_loop *l;
	int fd[2];
	int calls[2];
	bool acted;
	struct seen fresh;
};

static int other(const struct pair *p, int fd)
{
	return fd == p->fd[0] ? p->fd[1] : p->fd[0];
}

static void on_del_self(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct pair *p = ctx;
	(void)revents;
	p->calls[fd == p->fd[1]]++;
	ck_assert_int_eq(ft_loop_del_fd(l, fd), 0);
	ck_assert_int_eq(ft_loop_del_fd(l, fd), -ENOENT);
}

static void on_del_other(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct pair *p = ctx;
	(void)revents;
	p->calls[fd == p->fd[1]]++;
	if (!p->acted)
		ck_assert_int_eq(ft_loop_del_fd(l, other(p, fd)), 0);
	p->acted = true;
}

static void on_readd_other(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct pair *p = ctx;
	(void)revents;
	p->calls[fd == p->fd[1]]++;
	if (!p->acted) {
		ck_assert_int_eq(ft_loop_del_fd(l, other(p, fd)), 0);
		int r = ft_loop_add_fd(l, other(p, fd), FT_LOOP_READ, on_fd, &p->fresh);
		ck_assert_int_eq(r, 0);
	}
	p->acted = true;
}

static void on_mod_other(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct pair *p = ctx;
	(void)revents;
	p->calls[fd == p->fd[1]]++;
	if (!p->acted)
		ck_assert_int_eq(ft_loop_mod_fd(l, other(p, fd), FT_LOOP_WRITE), 0);
	p->acted = true;
}

/* Two pipes, both readable, their read ends watched by fn. */
static void pair_open(struct pair *p, int pipes[2][2], ft_loop_fd_fn fn)
{
	*p = (struct pair){ .l = ft_loop_new() };
	ck_assert_ptr_nonnull(p->l);
	for (int i = 0; i < 2; i++) {
		make_pipe(pipes[i]);
		ck_assert_int_eq(write(pipes[i][1], "x", 1), 1);
		p->fd[i] = pipes[i][0];
		ck_assert_int_eq(ft_loop_add_fd(p->l, p->fd[i], FT_LOOP_READ, fn, p), 0);
	}
}

static void pair_close(struct pair *p, int pipes[2][2])
{
	p->l = ft_loop_free(p->l);
	for (int i = 0; i < 2; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
}

START_TEST(callback_may_delete_its_own_watcher)
{
	struct pair p;
	int pipes[2][2];
	pair_open(&p, pipes, on_del_self);
	ck_assert_int_eq(ft_loop_run_once(p.l, DEADLINE_NS), 2);
	ck_assert_int_eq(ft_loop_run_once(p.l, 0), 0);    /* readable, no longer watched */
	ck_assert_int_eq(p.calls[0], 1);
	ck_assert_int_eq(p.calls[1], 1);
	pair_close(&p, pipes);
}
END_TEST

START_TEST(watcher_deleted_while_pending_is_not_called)
{
	struct pair p;
	int pipes[2][2];
	pair_open(&p, pipes, on_del_other);
	ck_assert_int_eq(ft_loop_run_once(p.l, DEADLINE_NS), 1);
	ck_assert_int_eq(p.calls[0] + p.calls[1], 1);
	int survivor = p.calls[1];
	ck_assert_int_eq(ft_loop_run_once(p.l, 0), 1);
	ck_assert_int_eq(p.calls[survivor], 2);
	ck_assert_int_eq(p.calls[!survivor], 0);
	pair_close(&p, pipes);
}
END_TEST

START_TEST(fd_added_again_in_a_round_waits_for_the_next)
{
	struct pair p;
	int pipes[2][2];
	pair_open(&p, pipes, on_readd_other);
	ck_assert_int_eq(ft_loop_run_once(p.l, DEADLINE_NS), 1);
	ck_assert_int_eq(p.fresh.calls, 0);     /* the old watcher's event is not its */
	ck_assert_int_eq(ft_loop_run_once(p.l, 0), 2);
	ck_assert_int_eq(p.fresh.calls, 1);
	ck_assert_int_eq(p.calls[0] + p.calls[1], 2);
	pair_close(&p, pipes);
}
END_TEST

START_TEST(event_no_longer_asked_for_is_not_delivered)
{
	struct pair p;
	int pipes[2][2];
	pair_open(&p, pipes, on_mod_other);
	ck_assert_int_eq(ft_loop_run_once(p.l, DEADLINE_NS), 1);
	ck_assert_int_eq(p.calls[0] + p.calls[1], 1);
	pair_close(&p, pipes);
}
END_TEST

START_TEST(duplicate_unknown_and_bad_fds_are_refused)
{
	struct ft_loop *l = ft_loop_new();
	struct seen s = { 0 };
	int p[2];
	make_pipe(p);
	int file = memfd_create("loop-test", MFD_CLOEXEC);
	int closed = dup(p[0]);
	close(closed);
	ck_assert_int_ge(file, 0);
	ck_assert_int_eq(ft_loop_add_fd(l, p[0], FT_LOOP_READ, on_fd, &s), 0);
	ck_assert_int_eq(ft_loop_add_fd(l, p[0], FT_LOOP_READ, on_fd, &s), -EEXIST);
	ck_assert_int_eq(ft_loop_add_fd(l, p[0], FT_LOOP_WRITE, on_fd, NULL), -EEXIST);
	ck_assert_int_eq(ft_loop_mod_fd(l, p[1], FT_LOOP_WRITE), -ENOENT);
	ck_assert_int_eq(ft_loop_del_fd(l, p[1]), -ENOENT);
	ck_assert_int_eq(ft_loop_add_fd(l, p[1], 0, on_fd, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_fd(l, p[1], 0x10, on_fd, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_fd(l, p[1], FT_LOOP_ERROR, on_fd, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_fd(l, p[1], FT_LOOP_WRITE, NULL, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_fd(l, -1, FT_LOOP_READ, on_fd, &s), -EBADF);
	ck_assert_int_eq(ft_loop_add_fd(l, closed, FT_LOOP_READ, on_fd, &s), -EBADF);
	ck_assert_int_eq(ft_loop_add_fd(l, file, FT_LOOP_READ, on_fd, &s), -EPERM);
	ck_assert_int_eq(ft_loop_add_fd(NULL, p[1], FT_LOOP_READ, on_fd, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_mod_fd(NULL, p[0], FT_LOOP_READ), -EINVAL);
	ck_assert_int_eq(ft_loop_del_fd(NULL, p[0]), -EINVAL);
	ck_assert_int_eq(ft_loop_del_fd(l, p[0]), 0);
	ck_assert_int_eq(ft_loop_del_fd(l, p[0]), -ENOENT);
	ck_assert_int_eq(ft_loop_add_fd(l, p[0], FT_LOOP_READ, on_fd, &s), 0);
	ft_loop_free(l);
	close(file);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* ---- timers ---- */

/* What a timer callback saw; a callback may stop the loop at a count, or delete another
 * timer. */
struct tick {
	int calls;
	uint64_t id;
	uint64_t expirations;
	int stop_at;
	uint64_t other;
};

static void on_tick(struct ft_loop *l, uint64_t id, uint64_t expirations, void *ctx)
{
	struct tick *t = ctx;
	t->calls++;
	t->id = id;
	t->expirations = expirations;
	if (t->stop_at && t->calls == t->stop_at)
		ft_loop_stop(l);
}

START_TEST(one_shot_timer_runs_once_then_goes)
{
	struct ft_loop *l = ft_loop_new();
	struct tick t = { 0 };
	uint64_t id = 0;
	ck_assert_int_eq(ft_loop_add_timer(l, 1 * MS, 0, on_tick, &t, &id), 0);
	ck_assert_uint_ne(id, 0);
	ck_assert_int_eq(run_until(l, &t.calls, 1), 1);
	ck_assert_uint_eq(t.id, id);
	ck_assert_uint_eq(t.expirations, 1);
	ck_assert_int_eq(ft_loop_del_timer(l, id), -ENOENT);
	ck_assert_int_eq(ft_loop_set_timer(l, id, 1 * MS, 0), -ENOENT);
	ck_assert_int_eq(ft_loop_run_once(l, 20 * MS), 0);
	ck_assert_int_eq(t.calls, 1);
	ft_loop_free(l);
}
END_TEST

START_TEST(timer_due_now_runs_in_the_next_round)
{
	struct ft_loop *l = ft_loop_new();
	struct tick t = { 0 };
	ck_assert_int_eq(ft_loop_add_timer(l, 0, 0, on_tick, &t, NULL), 0);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_int_eq(t.calls, 1);
	ft_loop_free(l);
}
END_TEST

START_TEST(periodic_timer_runs_until_deleted)
{
	struct ft_loop *l = ft_loop_new();
	struct tick t = { 0 };
	uint64_t id;
	ck_assert_int_eq(ft_loop_add_timer(l, 1 * MS, 1 * MS, on_tick, &t, &id), 0);
	ck_assert_int_eq(run_until(l, &t.calls, 5), 5);
	ck_assert_uint_eq(t.id, id);
	ck_assert_int_eq(ft_loop_del_timer(l, id), 0);
	ck_assert_int_eq(ft_loop_del_timer(l, id), -ENOENT);
	sleep_ms(10);
	ck_assert_int_eq(ft_loop_run_once(l, 10 * MS), 0);
	ck_assert_int_eq(t.calls, 5);
	ft_loop_free(l);
}
END_TEST

START_TEST(late_periodic_timer_runs_once_with_its_expirations)
{
	struct ft_loop *l = ft_loop_new();
	struct tick t = { 0 };
	ck_assert_int_eq(ft_loop_add_timer(l, 1 * MS, 1 * MS, on_tick, &t, NULL), 0);
	sleep_ms(50);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_int_eq(t.calls, 1);
	ck_assert_uint_ge(t.expirations, 10);     /* some 50 */
	ft_loop_free(l);
}
END_TEST

START_TEST(set_timer_rearms_and_drops_what_was_due)
{
	struct ft_loop *l = ft_loop_new();
	struct tick t = { 0 };
	uint64_t id;
	ck_assert_int_eq(ft_loop_add_timer(l, HOUR, 0, on_tick, &t, &id), 0);
	ck_assert_int_eq(ft_loop_set_timer(l, id, 1 * MS, 0), 0);
	ck_assert_int_eq(run_until(l, &t.calls, 1), 1);
	ck_assert_int_eq(ft_loop_add_timer(l, 1 * MS, 1 * MS, on_tick, &t, &id), 0);
	sleep_ms(20);
	ck_assert_int_eq(ft_loop_set_timer(l, id, HOUR, 0), 0);
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);
	ck_assert_int_eq(ft_loop_set_timer(l, id, 1 * MS, 1 * MS), 0);
	ck_assert_int_eq(run_until(l, &t.calls, 4), 4);
	ck_assert_int_eq(ft_loop_set_timer(l, id, -1, 0), -EINVAL);
	ck_assert_int_eq(ft_loop_set_timer(l, id, 0, -1), -EINVAL);
	ck_assert_int_eq(ft_loop_set_timer(l, 0, 1 * MS, 0), -ENOENT);
	ck_assert_int_eq(ft_loop_add_timer(l, -1, 0, on_tick, &t, &id), -EINVAL);
	ck_assert_int_eq(ft_loop_add_timer(l, 0, 0, NULL, &t, &id), -EINVAL);
	ck_assert_int_eq(ft_loop_del_timer(l, 0), -ENOENT);
	ft_loop_free(l);
}
END_TEST

/* Deletes the other timer, once, and adds one due at once, in the slot that freed. */
static void on_tick_del_other(struct ft_loop *l, uint64_t id, uint64_t expirations, void *ctx)
{
	struct tick *t = ctx;
	on_tick(l, id, expirations, ctx);
	if (t->other) {
		ck_assert_int_eq(ft_loop_del_timer(l, t->other), 0);
		ck_assert_int_eq(ft_loop_add_timer(l, 0, 0, on_tick, t + 2, NULL), 0);
	}
	t->other = 0;
}

START_TEST(timer_deleted_while_pending_is_not_run)
{
	struct ft_loop *l = ft_loop_new();
	struct tick t[3] = { { 0 } };       /* the two timers, then the one added */
	uint64_t a, b;
	/* periodic (slowly), so the one that runs keeps its slot */
	ck_assert_int_eq(ft_loop_add_timer(l, 1 * MS, HOUR, on_tick_del_other,
	                                   &t[0], &a), 0);
	ck_assert_int_eq(ft_loop_add_timer(l, 1 * MS, HOUR, on_tick_del_other,
	                                   &t[1], &b), 0);
	t[0].other = b;           /* whichever runs first deletes the other */
	t[1].other = a;
	sleep_ms(20);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_int_eq(t[0].calls + t[1].calls, 1);
	ck_assert_int_eq(t[2].calls, 0);    /* not on the deleted timer's event */
	ck_assert_int_eq(run_until(l, &t[2].calls, 1), 1);
	ck_assert_int_eq(ft_loop_run_once(l, 20 * MS), 0);
	ck_assert_int_eq(t[0].calls + t[1].calls, 1);
	ft_loop_free(l);
}
END_TEST

/* The shape of a net-snmp join: each one-shot timeout is followed by a new one. */
static void on_tick_again(struct ft_loop *l, uint64_t id, uint64_t expirations, void *ctx)
{
	struct tick *t = ctx;
	on_tick(l, id, expirations, ctx);
	ck_assert_int_eq(ft_loop_del_timer(l, id), -ENOENT);
	if (t->calls < 3)
		ck_assert_int_eq(ft_loop_add_timer(l, 1 * MS, 0, on_tick_again, t, NULL), 0);
}

START_TEST(one_shot_callback_may_add_the_next_timer)
{
	struct ft_loop *l = ft_loop_new();
	struct tick t = { 0 };
	ck_assert_int_eq(ft_loop_add_timer(l, 1 * MS, 0, on_tick_again, &t, NULL), 0);
	ck_assert_int_eq(run_until(l, &t.calls, 3), 3);
	ck_assert_int_eq(ft_loop_run_once(l, 20 * MS), 0);
	ft_loop_free(l);
}
END_TEST

/* ---- signals ---- */

struct sig {
	int calls;
	int signo;
	int stop_at;
};

static void on_signal(struct ft_loop *l, int signo, void *ctx)
{
	struct sig *s = ctx;
	s->calls++;
	s->signo = signo;
	if (s->stop_at && s->calls == s->stop_at)
		ft_loop_stop(l);
}

START_TEST(signal_runs_its_callback_in_the_loop)
{
	struct ft_loop *l = ft_loop_new();
	struct sig s = { 0 };
	set_blocked(SIGUSR1, false);
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR1, on_signal, &s), 0);
	ck_assert(is_blocked(SIGUSR1));
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(run_until(l, &s.calls, 1), 1);
	ck_assert_int_eq(s.signo, SIGUSR1);
	ck_assert_int_eq(pthread_kill(pthread_self(), SIGUSR1), 0);
	ck_assert_int_eq(run_until(l, &s.calls, 2), 2);
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);
	ft_loop_free(l);
}
END_TEST

static void *send_sigusr2(void *arg)
{
	(void)arg;
	kill(getpid(), SIGUSR2);
	return NULL;
}

START_TEST(signal_sent_from_another_thread_reaches_the_loop)
{
	struct ft_loop *l = ft_loop_new();
	struct sig s = { 0 };
	pthread_t th;
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR2, on_signal, &s), 0);
	/* started after: the thread inherits the mask, so the process-wide signal waits */
	ck_assert_int_eq(pthread_create(&th, NULL, send_sigusr2, NULL), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(run_until(l, &s.calls, 1), 1);
	ck_assert_int_eq(s.signo, SIGUSR2);
	ft_loop_free(l);
}
END_TEST

START_TEST(free_restores_the_signal_mask)
{
	struct sig s1 = { 0 }, s2 = { 0 };
	set_blocked(SIGUSR1, false);
	set_blocked(SIGUSR2, true);
	struct ft_loop *l = ft_loop_new();
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR1, on_signal, &s1), 0);
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR2, on_signal, &s2), 0);
	ck_assert(is_blocked(SIGUSR1));
	raise(SIGUSR1);           /* still pending at free: discarded, not fatal */
	l = ft_loop_free(l);
	ck_assert(!is_blocked(SIGUSR1));
	ck_assert(is_blocked(SIGUSR2));       /* blocked before: left as it was */
	ck_assert_int_eq(s1.calls, 0);
	l = ft_loop_new();
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR1, on_signal, &s1), 0);
	raise(SIGUSR1);
	ck_assert_int_eq(ft_loop_del_signal(l, SIGUSR1), 0);
	ck_assert(!is_blocked(SIGUSR1));
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);
	ck_assert_int_eq(ft_loop_del_signal(l, SIGUSR1), -ENOENT);
	ft_loop_free(l);
	ck_assert_ptr_null(ft_loop_free(NULL));
	set_blocked(SIGUSR2, false);
}
END_TEST

START_TEST(bad_and_duplicate_signals_are_refused)
{
	struct ft_loop *l = ft_loop_new();
	struct sig s = { 0 };
	ck_assert_int_eq(ft_loop_add_signal(l, SIGKILL, on_signal, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_signal(l, SIGSTOP, on_signal, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_signal(l, 0, on_signal, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_signal(l, -1, on_signal, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_signal(l, NSIG, on_signal, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_signal(l, 32, on_signal, &s), -EINVAL);  /* glibc's own */
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR1, NULL, &s), -EINVAL);
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR1, on_signal, &s), 0);
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR1, on_signal, &s), -EEXIST);
	ck_assert_int_eq(ft_loop_add_signal(l, SIGRTMIN, on_signal, &s), 0);
	ck_assert_int_eq(ft_loop_del_signal(l, SIGUSR2), -ENOENT);
	ck_assert_int_eq(ft_loop_del_signal(l, NSIG), -EINVAL);
	ck_assert_int_eq(ft_loop_add_signal(NULL, SIGUSR2, on_signal, &s), -EINVAL);
	ft_loop_free(l);
}
END_TEST

/* ---- rounds ---- */

static int order[8], n_order;

static void log_fd(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	(void)l, (void)fd, (void)revents, (void)ctx;
	order[n_order++] = 'f';
}

static void log_timer(struct ft_loop *l, uint64_t id, uint64_t expirations, void *ctx)
{
	(void)l, (void)id, (void)expirations, (void)ctx;
	order[n_order++] = 't';
}

static void log_signal(struct ft_loop *l, int signo, void *ctx)
{
	(void)l, (void)signo, (void)ctx;
	order[n_order++] = 's';
}

START_TEST(signals_run_before_fds_and_fds_before_timers)
{
	struct ft_loop *l = ft_loop_new();
	int p[2];
	make_pipe(p);
	ck_assert_int_eq(ft_loop_add_timer(l, 0, 0, log_timer, NULL, NULL), 0);
	ck_assert_int_eq(ft_loop_add_fd(l, p[0], FT_LOOP_READ, log_fd, NULL), 0);
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR1, log_signal, NULL), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	raise(SIGUSR1);
	sleep_ms(10);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 3);
	ck_assert_int_eq(n_order, 3);
	ck_assert_int_eq(order[0], 's');
	ck_assert_int_eq(order[1], 'f');
	ck_assert_int_eq(order[2], 't');
	ft_loop_free(l);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(stop_from_a_callback_ends_run)
{
	struct ft_loop *l = ft_loop_new();
	struct tick t = { .stop_at = 3 };
	struct sig s = { .stop_at = 1 };
	ck_assert_int_eq(ft_loop_add_timer(l, 1 * MS, 1 * MS, on_tick, &t, NULL), 0);
	ck_assert_int_eq(ft_loop_run(l), 0);
	ck_assert_int_eq(t.calls, 3);
	t.stop_at = 5;            /* the stop is not remembered: run goes on */
	ck_assert_int_eq(ft_loop_run(l), 0);
	ck_assert_int_eq(t.calls, 5);
	/* as the daemon stops: SIGTERM's callback */
	t.stop_at = 0;
	ck_assert_int_eq(ft_loop_add_signal(l, SIGTERM, on_signal, &s), 0);
	raise(SIGTERM);
	ck_assert_int_eq(ft_loop_run(l), 0);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(ft_loop_run(NULL), -EINVAL);
	ft_loop_stop(NULL);
	ft_loop_free(l);
}
END_TEST

START_TEST(poll_returns_zero_when_nothing_is_ready)
{
	struct ft_loop *l = ft_loop_new();
	struct seen s = { 0 };
	struct tick t = { 0 };
	int p[2];
	make_pipe(p);
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);       /* nothing registered */
	ck_assert_int_eq(ft_loop_add_fd(l, p[0], FT_LOOP_READ, on_fd, &s), 0);
	ck_assert_int_eq(ft_loop_add_timer(l, HOUR, 0, on_tick, &t, NULL), 0);
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);
	int64_t start = ft_clock_mono_ns();
	ck_assert_int_eq(ft_loop_run_once(l, 20 * MS), 0);
	ck_assert_int_ge(ft_clock_mono_ns() - start, 10 * MS);   /* it waited, not spun */
	ck_assert_int_eq(ft_loop_run_once(l, -2), -EINVAL);
	ck_assert_int_eq(ft_loop_run_once(NULL, 0), -EINVAL);
	ck_assert_int_eq(s.calls + t.calls, 0);
	ft_loop_free(l);
	close(p[0]);
	close(p[1]);
}
END_TEST

static void on_fd_nested(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	on_fd(l, fd, revents, ctx);
	ck_assert_int_eq(ft_loop_run_once(l, 0), -EBUSY);
	ck_assert_int_eq(ft_loop_run(l), -EBUSY);
}

START_TEST(running_from_a_callback_is_refused)
{
	struct ft_loop *l = ft_loop_new();
	struct seen s = { 0 };
	int p[2];
	make_pipe(p);
	ck_assert_int_eq(ft_loop_add_fd(l, p[1], FT_LOOP_WRITE, on_fd_nested, &s), 0);
	ck_assert_int_eq(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_int_eq(s.calls, 1);
	ft_loop_free(l);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(caps_refuse_one_more)
{
	struct ft_loop *l = ft_loop_new();
	struct seen s = { 0 };
	struct tick t = { 0 };
	int efd[FT_LOOP_MAX_FDS + 1];
	uint64_t id;
	for (int i = 0; i <= FT_LOOP_MAX_FDS; i++)
		ck_assert_int_ge(efd[i] = eventfd(0, EFD_CLOEXEC), 0);
	for (int i = 0; i < FT_LOOP_MAX_FDS; i++)
		ck_assert_int_eq(ft_loop_add_fd(l, efd[i], FT_LOOP_READ, on_fd, &s), 0);
	int last = efd[FT_LOOP_MAX_FDS];
	ck_assert_int_eq(ft_loop_add_fd(l, last, FT_LOOP_READ, on_fd, &s), -ENOSPC);
	ck_assert_int_eq(ft_loop_del_fd(l, efd[7]), 0);
	ck_assert_int_eq(ft_loop_add_fd(l, last, FT_LOOP_READ, on_fd, &s), 0);
	for (int i = 0; i < FT_LOOP_MAX_TIMERS; i++)
		ck_assert_int_eq(ft_loop_add_timer(l, HOUR, 0, on_tick, &t, &id), 0);
	ck_assert_int_eq(ft_loop_add_timer(l, HOUR, 0, on_tick, &t, NULL), -ENOSPC);
	ck_assert_int_eq(ft_loop_del_timer(l, id), 0);
	ck_assert_int_eq(ft_loop_add_timer(l, HOUR, 0, on_tick, &t, NULL), 0);
	ck_assert_int_eq(ft_loop_run_once(l, 0), 0);
	ft_loop_free(l);
	for (int i = 0; i <= FT_LOOP_MAX_FDS; i++)
		close(efd[i]);
}
END_TEST

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

START_TEST(free_with_everything_registered_leaves_only_the_callers_fds)
{
	struct seen s = { 0 };
	struct tick t = { 0 };
	struct sig g = { 0 };
	int p[2];
	make_pipe(p);
	int before = count_open_fds();
	struct ft_loop *l = ft_loop_new();
	ck_assert_int_eq(ft_loop_add_fd(l, p[0], FT_LOOP_READ, on_fd, &s), 0);
	ck_assert_int_eq(ft_loop_add_fd(l, p[1], FT_LOOP_WRITE, on_fd, &s), 0);
	ck_assert_int_eq(ft_loop_add_timer(l, 0, 1 * MS, on_tick, &t, NULL), 0);
	ck_assert_int_eq(ft_loop_add_timer(l, HOUR, 0, on_tick, &t, NULL), 0);
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR1, on_signal, &g), 0);
	ck_assert_int_eq(ft_loop_add_signal(l, SIGUSR2, on_signal, &g), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_ge(ft_loop_run_once(l, DEADLINE_NS), 1);
	ck_assert_int_gt(count_open_fds(), before);
	ft_loop_free(l);
	ck_assert_int_eq(count_open_fds(), before);
	ck_assert_int_ge(fcntl(p[0], F_GETFD), 0);
	ck_assert_int_ge(fcntl(p[1], F_GETFD), 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("fds");
	tcase_add_test(tc, pipe_reports_data_to_read_while_it_waits);
	tcase_add_test(tc, pipe_reports_room_to_write);
	tcase_add_test(tc, eof_comes_as_read_with_hup);
	tcase_add_test(tc, closed_reader_comes_as_write_with_error);
	tcase_add_test(tc, mod_changes_the_events_watched);
	tcase_add_test(tc, callback_may_delete_its_own_watcher);
	tcase_add_test(tc, watcher_deleted_while_pending_is_not_called);
	tcase_add_test(tc, fd_added_again_in_a_round_waits_for_the_next);
	tcase_add_test(tc, event_no_longer_asked_for_is_not_delivered);
	tcase_add_test(tc, duplicate_unknown_and_bad_fds_are_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("timers");
	tcase_add_test(tc, one_shot_timer_runs_once_then_goes);
	tcase_add_test(tc, timer_due_now_runs_in_the_next_round);
	tcase_add_test(tc, periodic_timer_runs_until_deleted);
	tcase_add_test(tc, late_periodic_timer_runs_once_with_its_expirations);
	tcase_add_test(tc, set_timer_rearms_and_drops_what_was_due);
	tcase_add_test(tc, timer_deleted_while_pending_is_not_run);
	tcase_add_test(tc, one_shot_callback_may_add_the_next_timer);
	suite_add_tcase(s, tc);
	tc = tcase_create("signals");
	tcase_add_test(tc, signal_runs_its_callback_in_the_loop);
	tcase_add_test(tc, signal_sent_from_another_thread_reaches_the_loop);
	tcase_add_test(tc, free_restores_the_signal_mask);
	tcase_add_test(tc, bad_and_duplicate_signals_are_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("rounds");
	tcase_add_test(tc, signals_run_before_fds_and_fds_before_timers);
	tcase_add_test(tc, stop_from_a_callback_ends_run);
	tcase_add_test(tc, poll_returns_zero_when_nothing_is_ready);
	tcase_add_test(tc, running_from_a_callback_is_refused);
	tcase_add_test(tc, caps_refuse_one_more);
	tcase_add_test(tc, free_with_everything_registered_leaves_only_the_callers_fds);
	suite_add_tcase(s, tc);
	return s;
}
