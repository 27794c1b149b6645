/* flowtally — event loop: one per thread, over the fds, timers and signals it owns.
 *
 * A module joins a loop by file descriptor: it registers its fds with a callback and a
 * void *ctx, and its timeouts as timers; it never sleeps or polls on its own.  (net-snmp's
 * async API gives its sockets and next timeout through snmp_select_info(); an AgentX
 * subagent gives its socket.)  Built on epoll(7), with a timerfd per timer and one
 * signalfd for all signals, so one wait covers everything.
 *
 * The caller owns what it registers: the loop uses a watched fd and each ctx until the
 * watcher, timer or signal is deleted or the loop freed, and never closes or frees them.
 *
 * A loop is not thread-safe: one thread creates, runs, changes and frees it, and its
 * callbacks run in that thread.  Another thread wakes it through an fd it watches (an
 * eventfd or a pipe).  A callback may add, change and delete any fd watcher, timer or
 * signal of its loop, itself included, and call ft_loop_stop(); a watcher deleted during
 * a round is not called again, even if its event was already pending in that round.  A
 * callback must not run its own loop (ft_loop_run() and ft_loop_run_once() return
 * -EBUSY) nor free it.
 *
 * Each round waits once, then runs the callbacks of what is ready in this order: signals,
 * fds, timers (a reply already waiting on a socket is read before its timeout is handled).
 *
 * Functions returning int return 0 (run_once: a count) or a negative errno, and change
 * nothing on failure.
 */
#ifndef FLOWTALLY_LOOP_H
#define FLOWTALLY_LOOP_H

#include <stdint.h>

/* Fixed caps; adding beyond them returns -ENOSPC. */
#define FT_LOOP_MAX_FDS 256
#define FT_LOOP_MAX_TIMERS 64

/* events asked for (READ, WRITE) and revents reported (all four). */
#define FT_LOOP_READ  0x1u
#define FT_LOOP_WRITE 0x2u
#define FT_LOOP_ERROR 0x4u      /* an error is pending on the fd (EPOLLERR) */
#define FT_LOOP_HUP   0x8u      /* the peer hung up (EPOLLHUP) */

struct ft_loop;

/* revents: what is ready, within the watcher's events, plus FT_LOOP_ERROR and
 * FT_LOOP_HUP, which always come with the READ and WRITE the watcher asked for, so its
 * read() sees the EOF or its write() the error. */
typedef void (*ft_loop_fd_fn)(struct ft_loop *l, int fd, uint32_t revents, void *ctx);
/* expirations: how many intervals passed since the timer last ran (1, or more when the
 * loop fell behind: a periodic timer runs once per round, never to catch up). */
typedef void (*ft_loop_timer_fn)(struct ft_loop *l, uint64_t id, uint64_t expirations,
                                 void *ctx);
typedef void (*ft_loop_signal_fn)(struct ft_loop *l, int signo, void *ctx);

/* NULL with errno set on failure. */
struct ft_loop *ft_loop_new(void);
/* NULL-safe; returns NULL.  Closes the epoll fd, the timerfds and the signalfd; leaves the
 * fds of the watchers still registered open (their owners close them) and never calls
 * a callback.  Restores the signal mask, as ft_loop_del_signal() does for each signal.
 * Call it from the thread that added the signals, never from a callback. */
struct ft_loop *ft_loop_free(struct ft_loop *l);

/* Watches fd (owned by the caller) for events, FT_LOOP_READ and/or FT_LOOP_WRITE;
 * level-triggered: fn runs every round while fd is ready.  -EEXIST if fd is already
 * watched, -EINVAL for no or unknown events, -EPERM for an fd epoll cannot watch (a
 * regular file), -ENOSPC beyond FT_LOOP_MAX_FDS. */
int ft_loop_add_fd(struct ft_loop *l, int fd, uint32_t events, ft_loop_fd_fn fn, void *ctx);
/* Changes the events of a watched fd (fn and ctx stay).  -ENOENT if not watched. */
int ft_loop_mod_fd(struct ft_loop *l, int fd, uint32_t events);
/* Stops watching fd; call it before closing fd (epoll forgets a closed fd only once
 * every duplicate of it is closed too).  -ENOENT if not watched. */
int ft_loop_del_fd(struct ft_loop *l, int fd);

/* Runs fn first_ns from now (CLOCK_MONOTONIC; 0: in the next round), then every
 * interval_ns, or once when interval_ns is 0: a one-shot timer is removed just before its
 * callback runs (so its id is unknown from then on, and the callback may add a new one).
 * Writes the timer's id, never 0 and never reused, to *ret_id when not NULL.  -EINVAL for
 * a negative time, -ENOSPC beyond FT_LOOP_MAX_TIMERS. */
int ft_loop_add_timer(struct ft_loop *l, int64_t first_ns, int64_t interval_ns,
                      ft_loop_timer_fn fn, void *ctx, uint64_t *ret_id);
/* Re-arms timer id as ft_loop_add_timer() would, keeping fn and ctx; expirations not yet
 * run are dropped.  -ENOENT if there is no such timer (deleted, or a one-shot that ran). */
int ft_loop_set_timer(struct ft_loop *l, uint64_t id, int64_t first_ns, int64_t interval_ns);
/* -ENOENT if there is no such timer. */
int ft_loop_del_timer(struct ft_loop *l, uint64_t id);

/* Runs fn in the loop, not in a signal handler, when signo arrives.  Blocks signo in the
 * calling thread (signalfd(2) reads only blocked signals): call it before starting other
 * threads, so they inherit the mask, or block signo in every thread, or one of them
 * receives signo by its disposition instead.  Run the loop in the same thread.  A
 * standard signal raised again before the loop reads it runs fn once.  One loop per
 * process watches a given signal.  -EINVAL for a signal that cannot be caught or blocked
 * (SIGKILL, SIGSTOP, those glibc reserves), -EEXIST if signo is already watched. */
int ft_loop_add_signal(struct ft_loop *l, int signo, ft_loop_signal_fn fn, void *ctx);
/* Stops watching signo.  If ft_loop_add_signal() blocked it (it was not blocked before),
 * discards an instance still pending, which would otherwise take its default action, and
 * unblocks it in the calling thread.  -ENOENT if not watched. */
int ft_loop_del_signal(struct ft_loop *l, int signo);

/* Waits once, up to timeout_ns (-1: until something is ready, 0: not at all), restarting
 * the wait after EINTR for the time left, and runs the callbacks of what is ready.
 * Returns how many ran (0: nothing was ready in time), or negative errno. */
int ft_loop_run_once(struct ft_loop *l, int64_t timeout_ns);
/* Runs rounds until a callback calls ft_loop_stop(): returns 0 after that round, or a
 * negative errno if waiting failed.  A stop before ft_loop_run() is not remembered. */
int ft_loop_run(struct ft_loop *l);
/* Makes ft_loop_run() return after the current round.  From the loop's thread only. */
void ft_loop_stop(struct ft_loop *l);

#endif
