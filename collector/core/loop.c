/* Event loop on epoll(7).
 *
 * Data structures: one struct ft_loop holds fixed tables, so adding never allocates:
 * FT_LOOP_MAX_FDS fd watchers, FT_LOOP_MAX_TIMERS timers (each with its own timerfd) and
 * one entry per signal number, all signals read through one signalfd.  A slot is in use
 * while its serial is non-zero.  Each registration takes a new serial from a counter
 * (never reused; a timer's serial is its id), and epoll's data word carries
 * serial | kind | slot, so an event names one registration, not just a slot or an fd
 * number that may have been deleted and reused since the wait.
 *
 * Dispatch: ft_loop_run_once() waits once, then walks the ready events three times,
 * signals, then fds, then timers (a reply already waiting is read before the timeout that
 * would give up on it; a stop or reload is seen before more input).  An event whose
 * registration's serial no longer matches is skipped: that is how a watcher deleted by
 * an earlier callback of the same round is never called.  A timer's expirations are
 * read from its timerfd just before its callback; a timer re-armed since the wait reads
 * nothing and is skipped.  Everything is level-triggered, so whatever a round skips or
 * leaves unread is reported again by the next wait.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/loop.h"

/* Dispatch order, and the kind in an event's tag. */
enum kind { KIND_SIGNAL, KIND_FD, KIND_TIMER, N_KINDS };

/* One wait sees everything registered: no event waits behind others for a round. */
#define MAX_EVENTS (FT_LOOP_MAX_FDS + FT_LOOP_MAX_TIMERS + 1)
_Static_assert(FT_LOOP_MAX_FDS <= 256 && FT_LOOP_MAX_TIMERS <= 256, "a tag has 8 bits of slot");

struct watch {
	uint64_t serial;        /* 0: free */
	int fd;
	uint32_t events;        /* FT_LOOP_READ | FT_LOOP_WRITE */
	ft_loop_fd_fn fn;
	void *ctx;
};

struct timer {
	uint64_t serial;        /* the id; 0: free */
	int fd;                 /* timerfd */
	int64_t interval_ns;
	ft_loop_timer_fn fn;
	void *ctx;
};

struct sigwatch {
	ft_loop_signal_fn fn;   /* NULL: not watched */
	void *ctx;
};

struct ft_loop {
	int epfd;
	int sigfd;              /* -1 until the first signal */
	bool dispatching;
	bool stop;
	uint64_t next_serial;
	sigset_t watched;       /* the signalfd's mask */
	sigset_t owned;         /* blocked by this loop, to unblock again */
	struct watch fds[FT_LOOP_MAX_FDS];
	struct timer timers[FT_LOOP_MAX_TIMERS];
	struct sigwatch sigs[NSIG];
};

static uint64_t tag(enum kind kind, unsigned slot, uint64_t serial)
{
	return serial << 16 | (uint64_t)kind << 8 | slot;
}

static enum kind tag_kind(uint64_t t) { return (enum kind)(t >> 8 & 0xff); }
static unsigned tag_slot(uint64_t t) { return (unsigned)(t & 0xff); }
static uint64_t tag_serial(uint64_t t) { return t >> 16; }

struct ft_loop *ft_loop_new(void)
{
	struct ft_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;
		free(l);
		errno = e;
		return NULL;
	}
	l->sigfd = -1;
	l->next_serial = 1;
	sigemptyset(&l->watched);
	sigemptyset(&l->owned);
	return l;
}

static void release_signal(struct ft_loop *l, int signo);

struct ft_loop *ft_loop_free(struct ft_loop *l)
{
	if (!l)
		return NULL;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&l->owned, s) == 1)
			release_signal(l, s);
	for (unsigned i = 0; i < FT_LOOP_MAX_TIMERS; i++)
		if (l->timers[i].serial)
			close(l->timers[i].fd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	close(l->epfd);
	free(l);
	return NULL;
}

/* ---- fd watchers ---- */

static bool valid_events(uint32_t events)
{
	return events && !(events & ~(FT_LOOP_READ | FT_LOOP_WRITE));
}

static uint32_t epoll_events(uint32_t events)
{
	return (events & FT_LOOP_READ ? (uint32_t)EPOLLIN : 0) |
	       (events & FT_LOOP_WRITE ? (uint32_t)EPOLLOUT : 0);
}

static struct watch *find_fd(struct ft_loop *l, int fd)
{
	for (unsigned i = 0; i < FT_LOOP_MAX_FDS; i++)
		if (l->fds[i].serial && l->fds[i].fd == fd)
			return &l->fds[i];
	return NULL;
}

static struct watch *free_watch(struct ft_loop *l)
{
	for (unsigned i = 0; i < FT_LOOP_MAX_FDS; i++)
		if (!l->fds[i].serial)
			return &l->fds[i];
	return NULL;
}

int ft_loop_add_fd(struct ft_loop *l, int fd, uint32_t events, ft_loop_fd_fn fn, void *ctx)
{
	if (!l || !fn || !valid_events(events))
		return -EINVAL;
	if (fd < 0)
		return -EBADF;
	if (find_fd(l, fd))
		return -EEXIST;
	struct watch *w = free_watch(l);
	if (!w)
		return -ENOSPC;
	uint64_t serial = l->next_serial;
	struct epoll_event ev = { .events = epoll_events(events),
	                          .data.u64 = tag(KIND_FD, (unsigned)(w - l->fds), serial) };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->next_serial++;
	*w = (struct watch){ .serial = serial, .fd = fd, .events = events, .fn = fn,
	                     .ctx = ctx };
	return 0;
}

int ft_loop_mod_fd(struct ft_loop *l, int fd, uint32_t events)
{
	if (!l || !valid_events(events))
		return -EINVAL;
	struct watch *w = find_fd(l, fd);
	if (!w)
		return -ENOENT;
	struct epoll_event ev = { .events = epoll_events(events),
	                          .data.u64 = tag(KIND_FD, (unsigned)(w - l->fds), w->serial) };
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

int ft_loop_del_fd(struct ft_loop *l, int fd)
{
	if (!l)
		return -EINVAL;
	struct watch *w = find_fd(l, fd);
	if (!w)
		return -ENOENT;
	/* Fails only when the caller closed fd first; the watcher goes all the same. */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*w = (struct watch){ .fd = -1 };
	return 0;
}

/* ---- timers ---- */

static struct timespec to_timespec(int64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / FT_NS_PER_SEC),
	                          .tv_nsec = (long)(ns % FT_NS_PER_SEC) };
}

static int arm(int fd, int64_t first_ns, int64_t interval_ns)
{
	/* An it_value of zero would disarm the timer: "now" is the next nanosecond. */
	struct itimerspec its = { .it_value = to_timespec(first_ns ? first_ns : 1),
	                          .it_interval = to_timespec(interval_ns) };
	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

static struct timer *find_timer(struct ft_loop *l, uint64_t id)
{
	for (unsigned i = 0; id && i < FT_LOOP_MAX_TIMERS; i++)
		if (l->timers[i].serial == id)
			return &l->timers[i];
	return NULL;
}

static struct timer *free_timer(struct ft_loop *l)
{
	for (unsigned i = 0; i < FT_LOOP_MAX_TIMERS; i++)
		if (!l->timers[i].serial)
			return &l->timers[i];
	return NULL;
}

static void clear_timer(struct ft_loop *l, struct timer *t)
{
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, t->fd, NULL);
	close(t->fd);
	*t = (struct timer){ .fd = -1 };
}

int ft_loop_add_timer(struct ft_loop *l, int64_t first_ns, int64_t interval_ns,
                      ft_loop_timer_fn fn, void *ctx, uint64_t *ret_id)
{
	if (!l || !fn || first_ns < 0 || interval_ns < 0)
		return -EINVAL;
	struct timer *t = free_timer(l);
	if (!t)
		return -ENOSPC;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	uint64_t id = l->next_serial;
	struct epoll_event ev = { .events = EPOLLIN,
	                          .data.u64 = tag(KIND_TIMER, (unsigned)(t - l->timers), id) };
	int r = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
	if (r == 0)
		r = arm(fd, first_ns, interval_ns);
	if (r < 0) {
		close(fd);     /* which also takes it out of the epoll set */
		return r;
	}
	l->next_serial++;
	*t = (struct timer){ .serial = id, .fd = fd, .interval_ns = interval_ns, .fn = fn,
	                     .ctx = ctx };
	if (ret_id)
		*ret_id = id;
	return 0;
}

int ft_loop_set_timer(struct ft_loop *l, uint64_t id, int64_t first_ns, int64_t interval_ns)
{
	if (!l || first_ns < 0 || interval_ns < 0)
		return -EINVAL;
	struct timer *t = find_timer(l, id);
	if (!t)
		return -ENOENT;
	int r = arm(t->fd, first_ns, interval_ns);
	if (r == 0)
		t->interval_ns = interval_ns;
	return r;
}

int ft_loop_del_timer(struct ft_loop *l, uint64_t id)
{
	if (!l)
		return -EINVAL;
	struct timer *t = find_timer(l, id);
	if (!t)
		return -ENOENT;
	clear_timer(l, t);
	return 0;
}

/* ---- signals ---- */

static int set_sigfd(struct ft_loop *l, const sigset_t *mask)
{
	if (l->sigfd >= 0)
		return signalfd(l->sigfd, mask, 0) < 0 ? -errno : 0;
	int fd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag(KIND_SIGNAL, 0, 0) };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	l->sigfd = fd;
	return 0;
}

int ft_loop_add_signal(struct ft_loop *l, int signo, ft_loop_signal_fn fn, void *ctx)
{
	sigset_t one, old, want;
	sigemptyset(&one);
	if (!l || !fn || signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP ||
	    sigaddset(&one, signo) < 0)
		return -EINVAL;
	if (l->sigs[signo].fn)
		return -EEXIST;
	/* Blocked before the signalfd asks for it, so an instance arriving in between waits
	 * for the loop instead of taking its default action. */
	int r = pthread_sigmask(SIG_BLOCK, &one, &old);
	if (r)
		return -r;
	bool was_blocked = sigismember(&old, signo) == 1;
	want = l->watched;
	sigaddset(&want, signo);
	r = set_sigfd(l, &want);
	if (r < 0) {
		if (!was_blocked)
			pthread_sigmask(SIG_UNBLOCK, &one, NULL);
		return r;
	}
	if (!was_blocked)
		sigaddset(&l->owned, signo);
	l->watched = want;
	l->sigs[signo] = (struct sigwatch){ .fn = fn, .ctx = ctx };
	return 0;
}

/* Unblocks a signal this loop blocked, after taking the instances still pending: as
 * nothing handles them any more, they would take the default action (end the process,
 * for SIGTERM or SIGHUP). */
static void release_signal(struct ft_loop *l, int signo)
{
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, signo);
	const struct timespec zero = { 0, 0 };
	while (sigtimedwait(&one, NULL, &zero) == signo || errno == EINTR)
		;
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	sigdelset(&l->owned, signo);
}

int ft_loop_del_signal(struct ft_loop *l, int signo)
{
	if (!l || signo <= 0 || signo >= NSIG)
		return -EINVAL;
	if (!l->sigs[signo].fn)
		return -ENOENT;
	sigset_t want = l->watched;
	sigdelset(&want, signo);
	int r = set_sigfd(l, &want);
	if (r < 0)
		return r;
	l->watched = want;
	l->sigs[signo] = (struct sigwatch){ 0 };
	if (sigismember(&l->owned, signo) == 1)
		release_signal(l, signo);
	return 0;
}

/* ---- dispatch ---- */

/* What the watcher sees: see ft_loop_fd_fn. */
static uint32_t revents(uint32_t want, uint32_t ep)
{
	uint32_t r = (ep & EPOLLIN ? FT_LOOP_READ : 0) | (ep & EPOLLOUT ? FT_LOOP_WRITE : 0) |
	             (ep & EPOLLERR ? FT_LOOP_ERROR : 0) | (ep & EPOLLHUP ? FT_LOOP_HUP : 0);
	if (r & (FT_LOOP_ERROR | FT_LOOP_HUP))
		r |= want;
	return r & (want | FT_LOOP_ERROR | FT_LOOP_HUP);
}

static int run_fd(struct ft_loop *l, uint64_t t, uint32_t ep)
{
	struct watch *w = &l->fds[tag_slot(t)];
	if (w->serial != tag_serial(t))
		return 0;
	uint32_t r = revents(w->events, ep);
	if (!r)
		return 0;     /* what was ready is no longer asked for (ft_loop_mod_fd) */
	w->fn(l, w->fd, r, w->ctx);
	return 1;
}

static int run_timer(struct ft_loop *l, uint64_t t)
{
	struct timer *tm = &l->timers[tag_slot(t)];
	uint64_t n;
	if (tm->serial != tag_serial(t) || read(tm->fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;
	ft_loop_timer_fn fn = tm->fn;
	void *ctx = tm->ctx;
	if (tm->interval_ns == 0)
		clear_timer(l, tm);
	fn(l, tag_serial(t), n, ctx);
	return 1;
}

static int run_signals(struct ft_loop *l)
{
	struct signalfd_siginfo si[8];
	ssize_t n = read(l->sigfd, si, sizeof(si));
	int ran = 0;
	for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(si[0]); i++) {
		int signo = (int)si[i].ssi_signo;
		if (signo > 0 && signo < NSIG && l->sigs[signo].fn) {
			l->sigs[signo].fn(l, signo, l->sigs[signo].ctx);
			ran++;
		}
	}
	return ran;
}

static int run_event(struct ft_loop *l, const struct epoll_event *ev)
{
	switch (tag_kind(ev->data.u64)) {
	case KIND_SIGNAL:
		return run_signals(l);
	case KIND_FD:
		return run_fd(l, ev->data.u64, ev->events);
	case KIND_TIMER:
		return run_timer(l, ev->data.u64);
	default:
		return 0;
	}
}

/* epoll_wait() counts milliseconds: round up, so a short wait does not spin. */
static int to_ms(int64_t ns)
{
	if (ns < 0)
		return -1;
	int64_t ms = ns / FT_NS_PER_MS + (ns % FT_NS_PER_MS != 0);
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int wait_events(struct ft_loop *l, struct epoll_event *ev, int64_t timeout_ns)
{
	int64_t deadline = timeout_ns > 0 ? ft_clock_mono_ns() + timeout_ns : 0;
	for (;;) {
		int n = epoll_wait(l->epfd, ev, MAX_EVENTS, to_ms(timeout_ns));
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
		if (timeout_ns > 0) {
			timeout_ns = deadline - ft_clock_mono_ns();
			timeout_ns = timeout_ns < 0 ? 0 : timeout_ns;
		}
	}
}

int ft_loop_run_once(struct ft_loop *l, int64_t timeout_ns)
{
	struct epoll_event ev[MAX_EVENTS];
	if (!l || timeout_ns < -1)
		return -EINVAL;
	if (l->dispatching)
		return -EBUSY;
	int n = wait_events(l, ev, timeout_ns);
	if (n <= 0)
		return n;
	int ran = 0;
	l->dispatching = true;
	for (int kind = 0; kind < N_KINDS; kind++)
		for (int i = 0; i < n; i++)
			if ((int)tag_kind(ev[i].data.u64) == kind)
				ran += run_event(l, &ev[i]);
	l->dispatching = false;
	return ran;
}

int ft_loop_run(struct ft_loop *l)
{
	if (!l)
		return -EINVAL;
	if (l->dispatching)
		return -EBUSY;
	l->stop = false;
	while (!l->stop) {
		int r = ft_loop_run_once(l, -1);
		if (r < 0)
			return r;
	}
	return 0;
}

void ft_loop_stop(struct ft_loop *l)
{
	if (l)
		l->stop = true;
}
