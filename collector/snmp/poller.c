/* The SNMP poller: every configured device polled concurrently, each cycle, on one
 * loop (the poller's own thread, or the caller's for one cycle).
 *
 * The loop watches each device session's socket, one timer for the cycles (aligned to
 * snmp_interval in UTC, so polls fall at the same place in every step) and one for
 * net-snmp's retransmissions, set to the earliest any session needs.  A device whose
 * poll is still running when the next cycle comes is skipped for that cycle (counted):
 * a slow device never delays another, nor itself piles up requests.
 *
 * Each finished poll is booked interface by interface: the interface is found by its
 * key (ifName, ifIndex or ifDescr, as configured), its reading classified against the
 * one before (counters.c), and the interval spread over the steps; the steps readings
 * now cover whole are closed and gathered, and given to env->emit once the cycle's last
 * device is done.  Steps no reading can cover any more (older than snmp_max_gap) close
 * as unknown, so an interface that went away or a device that stopped answering still
 * ends its steps.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "flowtally/log.h"
#include "flowtally/loop.h"
#include "snmp_int.h"

struct iface {
	char key[FT_IF_KEY_MAX];
	bool have_prev;
	struct ft_snmp_reading prev;
	int64_t filled_ms;          /* intervals are booked up to here: the last reading, or
	                             * the end of the steps closed as unanswered since */
	struct ft_snmp_acc acc;
	uint32_t ifindex;
	uint64_t speed_bps;
	int32_t oper;
};

struct dev {
	struct ft_snmp_poller *p;
	const struct ft_snmp_device *conf;
	struct ft_snmp_walker *w;
	int fd;                     /* watched by the loop; -1 none */
	struct iface *ifs;          /* sorted by key */
	size_t n_ifs, cap_ifs;
	struct ft_log_rl rl_fail, rl_verdicts, rl_rows, rl_keys;    /* one for each kind of message */
	struct ft_snmp_device_stats st;     /* under p->mu */
	int last_status;
};

struct ft_snmp_poller {
	struct ft_snmp_poller_env env;
	struct dev *devs;
	size_t n_devs;
	struct ft_loop *loop;
	uint64_t net_timer;
	size_t active;              /* polls running */
	bool once;                  /* one cycle, then stop */
	bool halt;                  /* the thread is asked to stop */
	struct ft_if_step *out;     /* closed steps of the cycle */
	size_t n_out, cap_out;
	pthread_mutex_t mu;
	pthread_t thread;
	bool running;
	int stop_fd;                /* eventfd: the thread's stop */
};

const char *ft_snmp_state_name(unsigned s)
{
	static const char *const names[] = { "unpolled", "up", "timing_out", "auth_failure", "failing" };
	return s < sizeof(names) / sizeof(*names) ? names[s] : "?";
}

/* ---- booking ---------------------------------------------------------------------------- */

static struct iface *iface_get(struct dev *d, const char *key)
{
	size_t lo = 0, hi = d->n_ifs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(d->ifs[mid].key, key);
		if (c == 0)
			return &d->ifs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (d->n_ifs == d->cap_ifs) {
		size_t cap = d->cap_ifs ? 2 * d->cap_ifs : 16;
		struct iface *n = realloc(d->ifs, cap * sizeof(*n));
		if (!n)
			return NULL;
		d->ifs = n;
		d->cap_ifs = cap;
	}
	memmove(&d->ifs[lo + 1], &d->ifs[lo], (d->n_ifs - lo) * sizeof(*d->ifs));
	d->n_ifs++;
	struct iface *i = &d->ifs[lo];
	memset(i, 0, sizeof(*i));
	snprintf(i->key, sizeof(i->key), "%s", key);
	ft_snmp_acc_init(&i->acc, d->p->env.step_ms);
	return i;
}

static void out_push(struct ft_snmp_poller *p, const struct ft_if_step *s, size_t n)
{
	if (p->n_out + n > p->cap_out) {
		size_t cap = p->cap_out ? p->cap_out : 256;
		while (cap < p->n_out + n)
			cap *= 2;
		struct ft_if_step *o = realloc(p->out, cap * sizeof(*o));
		if (!o) {
			ft_log_err(FT_LOG_SNMP, "out of memory: %zu interface steps lost", n);
			return;
		}
		p->out = o;
		p->cap_out = cap;
	}
	memcpy(p->out + p->n_out, s, n * sizeof(*s));
	p->n_out += n;
}

/* Closes i's steps ending at or before before_ms into the cycle's output. */
static void iface_close(struct dev *d, struct iface *i, int64_t before_ms)
{
	struct ft_if_step buf[16];
	size_t n;
	while ((n = ft_snmp_acc_close(&i->acc, before_ms, buf, sizeof(buf) / sizeof(*buf))) > 0) {
		uint64_t unknown = 0;
		for (size_t k = 0; k < n; k++) {
			snprintf(buf[k].device, sizeof(buf[k].device), "%s", d->conf->name);
			snprintf(buf[k].key, sizeof(buf[k].key), "%s", i->key);
			buf[k].ifindex = i->ifindex;
			buf[k].speed_bps = i->speed_bps;
			buf[k].oper_status = i->oper;
			unknown += buf[k].known != (1u << FT_IF_COUNTERS) - 1;
		}
		out_push(d->p, buf, n);
		pthread_mutex_lock(&d->p->mu);
		d->st.steps += n;
		d->st.steps_unknown += unknown;
		pthread_mutex_unlock(&d->p->mu);
		if (n < sizeof(buf) / sizeof(*buf))
			break;
	}
}

/* The name an interface is known by: its match_by key; an agent without ifXTable has no
 * ifName, and its ifDescr stands in, as for the filters; with neither, its index. */
static void key_of(const struct dev *d, const struct ft_snmp_if *si, char *key, size_t size)
{
	ft_snmp_if_key(si, d->conf->key, key, size);
	if (!key[0] && d->conf->key == FT_SNMP_BY_IFNAME)
		ft_snmp_if_key(si, FT_SNMP_BY_IFDESCR, key, size);
	if (!key[0])
		snprintf(key, size, "ifIndex.%" PRIu32, si->ifindex);
}

/* One interface of a poll, known by key: classified against its last reading and
 * booked. */
static void book(struct dev *d, const struct ft_snmp_poll *poll, const struct ft_snmp_if *si, const char *key,
                 uint64_t verdicts[FT_SNMP__VERDICTS])
{
	struct iface *i = iface_get(d, key);
	if (!i)
		return;
	struct ft_snmp_reading r;
	ft_snmp_reading_of(poll, si, &r);
	if (i->have_prev) {
		struct ft_snmp_limits lim = { d->p->env.conf->max_gap_ms, d->p->env.conf->speed_tolerance_pct, 2000 };
		struct ft_snmp_delta delta;
		ft_snmp_classify(&i->prev, &r, &lim, &delta);
		unsigned v = delta.verdict[FT_SNMP_IN_OCTETS];
		verdicts[v < FT_SNMP__VERDICTS ? v : FT_SNMP_ABSENT]++;
		if (v == FT_SNMP_REINDEX && ft_log_rl_allow(&d->rl_keys, ft_clock_mono_ns() / FT_NS_PER_SEC, 20, 3600)) {
			ft_log_notice(FT_LOG_SNMP, "device %s: interface %s moved from ifIndex %" PRIu32 " to %" PRIu32
			              " (re-indexed; its series goes on, this interval is unknown)", d->conf->name, key,
			              i->prev.ifindex, r.ifindex);
		}
		if (v == FT_SNMP_REINDEX) {
			pthread_mutex_lock(&d->p->mu);
			d->st.reindexed++;
			pthread_mutex_unlock(&d->p->mu);
		}
		ft_snmp_acc_add(&i->acc, &delta);
	}
	i->prev = r;
	i->have_prev = true;
	i->filled_ms = r.time_ms;
	i->ifindex = si->ifindex;
	i->speed_bps = r.speed_bps;
	i->oper = si->have & FT_SNMP_HAVE_OPER ? si->oper_status : 0;
	iface_close(d, i, r.time_ms);
}

static void log_verdicts(struct dev *d, const uint64_t v[FT_SNMP__VERDICTS])
{
	char text[256];
	size_t used = 0;
	for (unsigned k = 0; k < FT_SNMP__VERDICTS; k++) {
		if (ft_snmp_verdict_ok(k) || k == FT_SNMP_ABSENT || !v[k])
			continue;
		int n = snprintf(text + used, sizeof(text) - used, "%s%s %" PRIu64, used ? ", " : "",
		                 ft_snmp_verdict_name(k), v[k]);
		if (n > 0 && (size_t)n < sizeof(text) - used)
			used += (size_t)n;
	}
	if (used && ft_log_rl_allow(&d->rl_verdicts, ft_clock_mono_ns() / FT_NS_PER_SEC, 5, 3600))
		ft_log_notice(FT_LOG_SNMP, "device %s: intervals left unknown (not data) this poll: %s", d->conf->name,
		              text);
}

struct keyed {
	char key[FT_IF_KEY_MAX];
	size_t row;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->row < y->row ? -1 : x->row > y->row;
}

/* Each interface of a poll under its key.  Two of one poll with the same key (ifDescr
 * is often not unique, and keys are cut at FT_IF_KEY_MAX) would be read as one
 * interface moving between them: the first (lowest ifIndex) keeps the key, the others
 * are known as KEY#IFINDEX, said once. */
static void book_all(struct dev *d, const struct ft_snmp_poll *poll, uint64_t v[FT_SNMP__VERDICTS])
{
	struct keyed *k = calloc(poll->n_ifs + 1, sizeof(*k));
	if (!k)
		return;
	for (size_t j = 0; j < poll->n_ifs; j++) {
		key_of(d, &poll->ifs[j], k[j].key, sizeof(k[j].key));
		k[j].row = j;
	}
	qsort(k, poll->n_ifs, sizeof(*k), cmp_keyed);
	size_t dups = 0, first = 0;
	for (size_t j = 1; j < poll->n_ifs; j++) {
		if (strcmp(k[j].key, k[first].key) != 0) {
			first = j;
			continue;
		}
		char alt[FT_IF_KEY_MAX];
		char idx[16];
		int n = snprintf(idx, sizeof(idx), "#%" PRIu32, poll->ifs[k[j].row].ifindex);
		snprintf(alt, sizeof(alt), "%.*s%s", (int)(sizeof(alt) - 1 - (size_t)n), k[j].key, idx);
		if (!dups++ && ft_log_rl_allow(&d->rl_keys, ft_clock_mono_ns() / FT_NS_PER_SEC, 5, 3600))
			ft_log_warn(FT_LOG_SNMP, "device %s: interfaces with the same %s \"%s\": ifIndex %" PRIu32 " keeps it, "
			            "ifIndex %" PRIu32 " is known as \"%s\" (match_by another column may suit it better)",
			            d->conf->name, d->conf->key == FT_SNMP_BY_IFDESCR ? "ifDescr" : "name", k[j].key,
			            poll->ifs[k[first].row].ifindex, poll->ifs[k[j].row].ifindex, alt);
		memcpy(k[j].key, alt, sizeof(alt));
	}
	/* booked in ifIndex order, as the poll read them */
	struct keyed *by_row = calloc(poll->n_ifs + 1, sizeof(*by_row));
	if (by_row) {
		for (size_t j = 0; j < poll->n_ifs; j++)
			by_row[k[j].row] = k[j];
		for (size_t j = 0; j < poll->n_ifs; j++)
			book(d, poll, &poll->ifs[j], by_row[j].key, v);
	}
	free(by_row);
	free(k);
}

static void booked(struct dev *d, const struct ft_snmp_poll *poll)
{
	uint64_t v[FT_SNMP__VERDICTS] = { 0 };
	book_all(d, poll, v);
	log_verdicts(d, v);
	pthread_mutex_lock(&d->p->mu);
	for (unsigned k = 0; k < FT_SNMP__VERDICTS; k++)
		d->st.verdicts[k] += v[k];
	d->st.interfaces = poll->n_ifs;
	d->st.interfaces_hc = 0;
	for (size_t k = 0; k < poll->n_ifs; k++)
		d->st.interfaces_hc += (poll->ifs[k].have & FT_SNMP_HAVE_HC(0)) != 0;
	d->st.rows_over_cap = poll->rows_over_cap;
	d->st.filtered = poll->filtered;
	snprintf(d->st.sys_name, sizeof(d->st.sys_name), "%.*s", (int)sizeof(d->st.sys_name) - 1, poll->sys_name);
	pthread_mutex_unlock(&d->p->mu);
	if (poll->rows_over_cap && ft_log_rl_allow(&d->rl_rows, ft_clock_mono_ns() / FT_NS_PER_SEC, 5, 3600))
		ft_log_warn(FT_LOG_SNMP, "device %s: %" PRIu64 " interfaces beyond max_rows = %u were not polled",
		            d->conf->name, poll->rows_over_cap, d->conf->max_rows);
}

/* An interface not read for this long (gone, renamed, its device silent) is forgotten:
 * its steps until then were closed as unanswered. */
#define FORGET_MS (3600 * 1000LL)

/* Steps that no reading can cover any more (older than snmp_max_gap) close as unknown,
 * no_answer: an interval of no data is booked up to there, so a device that stopped
 * answering still has a closed step for every step, and comes back with a gap. */
static void close_stale(struct ft_snmp_poller *p, int64_t now_ms)
{
	int64_t step = p->env.step_ms, before = now_ms - p->env.conf->max_gap_ms;
	before -= ((before % step) + step) % step;
	for (size_t k = 0; k < p->n_devs; k++) {
		struct dev *d = &p->devs[k];
		for (size_t j = 0; j < d->n_ifs; j++) {
			struct iface *i = &d->ifs[j];
			if (i->have_prev && before > i->filled_ms) {
				struct ft_snmp_delta none = { .from_ms = i->filled_ms, .to_ms = before };
				for (int c = 0; c < FT_SNMP_N_COUNTERS; c++)
					none.verdict[c] = FT_SNMP_NO_ANSWER;
				ft_snmp_acc_add(&i->acc, &none);
				i->filled_ms = before;
			}
			iface_close(d, i, before);
		}
		/* the interfaces forgotten */
		size_t kept = 0;
		for (size_t j = 0; j < d->n_ifs; j++)
			if (!d->ifs[j].have_prev || d->ifs[j].prev.time_ms >= now_ms - FORGET_MS || d->ifs[j].acc.n)
				d->ifs[kept++] = d->ifs[j];
		d->n_ifs = kept;
	}
}

static void flush_out(struct ft_snmp_poller *p)
{
	if (p->n_out && p->env.emit)
		p->env.emit(p->env.ctx, p->out, p->n_out);
	p->n_out = 0;
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void arm_net(struct ft_snmp_poller *p)
{
	int64_t first = -1;
	for (size_t k = 0; k < p->n_devs; k++) {
		int64_t t = p->devs[k].w ? ft_snmp_walker_deadline_ns(p->devs[k].w) : -1;
		if (t >= 0 && (first < 0 || t < first))
			first = t;
	}
	int64_t in = first < 0 ? FT_NS_PER_SEC : first - ft_clock_mono_ns();
	ft_loop_set_timer(p->loop, p->net_timer, in > 0 ? in : 0, 0);
}

static enum ft_snmp_state state_of(int status)
{
	return status == 0 ? FT_SNMP_UP : status == -ETIMEDOUT ? FT_SNMP_TIMING_OUT
	       : status == -EACCES ? FT_SNMP_AUTH_FAILURE : FT_SNMP_FAILING;
}

static void drop_walker(struct dev *d)
{
	if (d->fd >= 0 && d->p->loop)
		ft_loop_del_fd(d->p->loop, d->fd);
	d->fd = -1;
	d->w = ft_snmp_walker_free(d->w);
}

static void on_done(struct ft_snmp_walker *w, int status, void *ctx)
{
	struct dev *d = ctx;
	struct ft_snmp_poll poll;
	ft_snmp_walker_take(w, &poll);
	int64_t now = ft_clock_now_ns() / FT_NS_PER_MS;
	pthread_mutex_lock(&d->p->mu);
	d->st.polls++;
	d->st.state = (uint8_t)state_of(status);
	d->st.last_poll_ms = poll.finished_ms - poll.started_ms;
	d->st.requests = poll.requests;
	if (status == 0) {
		d->st.last_ok_ms = now;
	} else {
		d->st.failures++;
		d->st.last_error_ms = now;
		snprintf(d->st.last_error, sizeof(d->st.last_error), "%s", ft_snmp_walker_error(w));
	}
	pthread_mutex_unlock(&d->p->mu);
	/* a failure logs when it starts or changes, and again at most hourly */
	bool changed = status != d->last_status;
	if (status != 0 && (ft_log_rl_allow(&d->rl_fail, now / 1000, 1, 3600) || changed))
		ft_log_warn(FT_LOG_SNMP, "%s", ft_snmp_walker_error(w));
	else if (status == 0 && d->last_status != 0 && d->st.polls > 1)
		ft_log_notice(FT_LOG_SNMP, "device %s answers again", d->conf->name);
	d->last_status = status;
	if (status == 0)
		booked(d, &poll);
	if (d->p->env.polled)
		d->p->env.polled(d->p->env.ctx, d->conf, status, &poll);
	ft_snmp_poll_done(&poll);
	d->p->active--;
	if (d->p->active == 0) {
		close_stale(d->p, now);
		flush_out(d->p);
	}
}

static void on_read(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct dev *d = ctx;
	(void)l, (void)fd, (void)revents;
	if (d->w)
		ft_snmp_walker_read(d->w);
}

static void on_net_timer(struct ft_loop *l, uint64_t id, uint64_t exp, void *ctx)
{
	struct ft_snmp_poller *p = ctx;
	(void)l, (void)id, (void)exp;
	p->net_timer = 0;
	for (size_t k = 0; k < p->n_devs; k++)
		if (p->devs[k].w && ft_snmp_walker_busy(p->devs[k].w))
			ft_snmp_walker_timeout(p->devs[k].w);
	if (ft_loop_add_timer(p->loop, FT_NS_PER_SEC, 0, on_net_timer, p, &p->net_timer) < 0)
		p->net_timer = 0;
}

static int open_walker(struct dev *d)
{
	char err[300];
	int r = ft_snmp_walker_new(d->conf, &d->w, err, sizeof(err));
	if (r < 0) {
		if (ft_log_rl_allow(&d->rl_fail, ft_clock_mono_ns() / FT_NS_PER_SEC, 1, 3600))
			ft_log_err(FT_LOG_SNMP, "%s", err);
		pthread_mutex_lock(&d->p->mu);
		d->st.state = FT_SNMP_FAILING;
		d->st.last_error_ms = ft_clock_now_ns() / FT_NS_PER_MS;
		snprintf(d->st.last_error, sizeof(d->st.last_error), "%.*s", (int)sizeof(d->st.last_error) - 1, err);
		pthread_mutex_unlock(&d->p->mu);
		return r;
	}
	d->fd = ft_snmp_walker_fd(d->w);
	r = ft_loop_add_fd(d->p->loop, d->fd, FT_LOOP_READ, on_read, d);
	if (r < 0) {
		ft_log_err(FT_LOG_SNMP, "device %s: cannot watch its socket: %s", d->conf->name, strerror(-r));
		d->fd = -1;
		d->w = ft_snmp_walker_free(d->w);
	}
	return r;
}

static void cycle(struct ft_snmp_poller *p)
{
	for (size_t k = 0; k < p->n_devs; k++) {
		struct dev *d = &p->devs[k];
		if (d->w && ft_snmp_walker_busy(d->w)) {
			pthread_mutex_lock(&p->mu);
			d->st.skipped++;
			pthread_mutex_unlock(&p->mu);
			ft_log_info(FT_LOG_SNMP, "device %s: its last poll still runs; this cycle skips it", d->conf->name);
			continue;
		}
		/* an SNMPv3 session that failed starts again, engine ID discovery included (the
		 * agent may have been replaced, or its keys changed) */
		if (d->w && d->last_status != 0 && d->conf->version == FT_SNMP_V3)
			drop_walker(d);
		if (!d->w && open_walker(d) < 0)
			continue;
		p->active++;
		if (ft_snmp_walker_start(d->w, on_done, d) < 0)
			p->active--;
	}
	if (p->active == 0) {
		close_stale(p, ft_clock_now_ns() / FT_NS_PER_MS);
		flush_out(p);
	}
}

static void on_cycle(struct ft_loop *l, uint64_t id, uint64_t exp, void *ctx)
{
	(void)l, (void)id, (void)exp;
	cycle(ctx);
}

static void on_stop(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct ft_snmp_poller *p = ctx;
	(void)l, (void)revents;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* nothing: the loop stops either way */
	}
	p->halt = true;
}

/* Runs the loop: one cycle now (once), or cycles aligned to the interval until stopped. */
static int run(struct ft_snmp_poller *p, bool once)
{
	p->loop = ft_loop_new();
	if (!p->loop)
		return -errno;
	p->once = once;
	int r = ft_loop_add_timer(p->loop, FT_NS_PER_SEC, 0, on_net_timer, p, &p->net_timer);
	if (r == 0 && !once) {
		int64_t iv = (int64_t)p->env.conf->interval_s * FT_NS_PER_SEC;
		int64_t now = ft_clock_now_ns();
		int64_t first = (now / iv + 1) * iv - now;
		r = ft_loop_add_timer(p->loop, first, iv, on_cycle, p, NULL);
		if (r == 0 && p->stop_fd >= 0)
			r = ft_loop_add_fd(p->loop, p->stop_fd, FT_LOOP_READ, on_stop, p);
	}
	if (r == 0 && once)
		cycle(p);
	while (r == 0) {
		arm_net(p);
		r = ft_loop_run_once(p->loop, -1);
		if (r > 0)
			r = 0;
		if (r == 0 && ((once && p->active == 0) || p->halt))
			break;
	}
	for (size_t k = 0; k < p->n_devs; k++)
		if (p->devs[k].fd >= 0) {
			ft_loop_del_fd(p->loop, p->devs[k].fd);
			p->devs[k].fd = -1;
			p->devs[k].w = ft_snmp_walker_free(p->devs[k].w);
		}
	flush_out(p);
	if (p->stop_fd >= 0 && !once)
		ft_loop_del_fd(p->loop, p->stop_fd);
	p->loop = ft_loop_free(p->loop);
	return r < 0 ? r : 0;
}

static void *thread_main(void *arg)
{
	struct ft_snmp_poller *p = arg;
	int r = run(p, false);
	if (r < 0)
		ft_log_err(FT_LOG_SNMP, "the poller stopped: %s", strerror(-r));
	return NULL;
}

/* ---- across restarts ----------------------------------------------------------------------- */

/* 64-bit values as decimal strings: JSON integers stop at 2^63 in jansson. */
static json_t *u64s(const uint64_t *v, size_t n)
{
	json_t *a = json_array();
	char buf[24];
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v[i]);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static bool get_u64s(const json_t *a, uint64_t *v, size_t n)
{
	if (json_array_size(a) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		char *end;
		if (!s || !*s || *s == '-')
			return false;
		errno = 0;
		unsigned long long x = strtoull(s, &end, 10);
		if (*end || errno)
			return false;
		v[i] = x;
	}
	return true;
}

static json_t *iface_json(const struct iface *i)
{
	const struct ft_snmp_reading *r = &i->prev;
	json_t *steps = json_array();
	for (size_t k = 0; k < i->acc.n; k++) {
		const struct ft_snmp_acc_step *s = &i->acc.steps[k];
		uint64_t verdict[FT_SNMP_N_COUNTERS];
		for (int c = 0; c < FT_SNMP_N_COUNTERS; c++)
			verdict[c] = s->verdict[c];
		json_array_append_new(steps, json_pack("{s:I,s:o,s:o}", "covered_ms", (json_int_t)s->covered_ms,
		                                       "verdict", u64s(verdict, FT_SNMP_N_COUNTERS),
		                                       "v", u64s(s->v, FT_SNMP_N_COUNTERS)));
	}
	return json_pack("{s:s,s:I,s:I,s:b,s:I,s:I,s:b,s:I,s:o,s:b,s:I,s:o,s:I,s:o}", "key", i->key,
	                 "ifindex", (json_int_t)r->ifindex, "time_ms", (json_int_t)r->time_ms, "have_uptime",
	                 r->have_uptime, "uptime", (json_int_t)r->uptime, "uptime_ms", (json_int_t)r->uptime_ms,
	                 "have_disc", r->have_disc, "disc", (json_int_t)r->disc_time, "speed",
	                 u64s(&r->speed_bps, 1), "hc", r->hc, "have", (json_int_t)r->have, "c",
	                 u64s(r->c, FT_SNMP_N_COUNTERS), "first_ms", (json_int_t)i->acc.first_ms, "steps", steps);
}

static void save_state(struct ft_snmp_poller *p)
{
	if (!p->env.state_path)
		return;
	json_t *devs = json_array();
	for (size_t k = 0; k < p->n_devs; k++) {
		const struct dev *d = &p->devs[k];
		json_t *ifs = json_array();
		for (size_t j = 0; j < d->n_ifs; j++)
			if (d->ifs[j].have_prev)
				json_array_append_new(ifs, iface_json(&d->ifs[j]));
		json_array_append_new(devs, json_pack("{s:s,s:s,s:o}", "name", d->conf->name, "address",
		                                      d->conf->address, "interfaces", ifs));
	}
	json_t *root = json_pack("{s:i,s:I,s:I,s:o}", "version", 1, "step_ms", (json_int_t)p->env.step_ms,
	                         "saved_ms", (json_int_t)(ft_clock_now_ns() / FT_NS_PER_MS), "devices", devs);
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	int r = text ? ft_file_write_atomic(p->env.state_path, text, strlen(text)) : -ENOMEM;
	free(text);
	if (r < 0)
		ft_log_err(FT_LOG_SNMP, "cannot save the interfaces' last readings to %s: %s (the next start "
		           "begins their series afresh)", p->env.state_path, ft_file_strerror(r));
}

static bool load_iface(struct dev *d, const json_t *o)
{
	const char *key = json_string_value(json_object_get(o, "key"));
	struct ft_snmp_reading r = { 0 };
	const json_t *steps = json_object_get(o, "steps");
	if (!key || !*key || strlen(key) >= FT_IF_KEY_MAX || !get_u64s(json_object_get(o, "c"), r.c, FT_SNMP_N_COUNTERS) ||
	    !get_u64s(json_object_get(o, "speed"), &r.speed_bps, 1) || json_array_size(steps) > FT_SNMP_ACC_STEPS)
		return false;
	r.ifindex = (uint32_t)json_integer_value(json_object_get(o, "ifindex"));
	r.time_ms = json_integer_value(json_object_get(o, "time_ms"));
	r.have_uptime = json_is_true(json_object_get(o, "have_uptime"));
	r.uptime = (uint32_t)json_integer_value(json_object_get(o, "uptime"));
	r.uptime_ms = json_integer_value(json_object_get(o, "uptime_ms"));
	r.have_disc = json_is_true(json_object_get(o, "have_disc"));
	r.disc_time = (uint32_t)json_integer_value(json_object_get(o, "disc"));
	r.hc = json_is_true(json_object_get(o, "hc"));
	r.have = (uint32_t)json_integer_value(json_object_get(o, "have"));
	/* what the book-keeping takes on trust must hold: steps on the step's boundaries,
	 * covered no more than whole */
	int64_t step = d->p->env.step_ms;
	int64_t first = json_integer_value(json_object_get(o, "first_ms"));
	size_t n = json_array_size(steps);
	if ((first == INT64_MIN && n) || (first != INT64_MIN && (first % step != 0 || first < 0 || first > INT64_MAX / 2)))
		return false;
	for (size_t k = 0; k < n; k++) {
		json_int_t cov = json_integer_value(json_object_get(json_array_get(steps, k), "covered_ms"));
		if (cov < 0 || cov > step)
			return false;
	}
	struct iface *i = iface_get(d, key);
	if (!i)
		return false;
	i->prev = r;
	i->have_prev = true;
	i->filled_ms = r.time_ms;
	i->ifindex = r.ifindex;
	i->speed_bps = r.speed_bps;
	i->acc.first_ms = first;
	i->acc.n = n;
	for (size_t k = 0; k < i->acc.n; k++) {
		const json_t *s = json_array_get(steps, k);
		uint64_t verdict[FT_SNMP_N_COUNTERS];
		struct ft_snmp_acc_step *a = &i->acc.steps[k];
		a->covered_ms = json_integer_value(json_object_get(s, "covered_ms"));
		if (!get_u64s(json_object_get(s, "v"), a->v, FT_SNMP_N_COUNTERS) ||
		    !get_u64s(json_object_get(s, "verdict"), verdict, FT_SNMP_N_COUNTERS))
			return false;
		for (int c = 0; c < FT_SNMP_N_COUNTERS; c++)
			a->verdict[c] = verdict[c] < FT_SNMP__VERDICTS ? (uint8_t)verdict[c] : FT_SNMP_ABSENT;
	}
	return true;
}

/* The readings saved at the last stop, for the devices still configured at the same
 * address; a file that does not read is set aside (file.h) and the series begin afresh. */
static void load_state(struct ft_snmp_poller *p)
{
	if (!p->env.state_path)
		return;
	json_error_t e;
	json_t *root = json_load_file(p->env.state_path, 0, &e);
	if (!root) {
		if (access(p->env.state_path, F_OK) == 0)
			ft_file_damaged(FT_LOG_ERR, FT_LOG_SNMP, p->env.state_path, e.text);
		return;
	}
	size_t restored = 0, bad = 0;
	if (json_integer_value(json_object_get(root, "step_ms")) == p->env.step_ms) {
		size_t k;
		json_t *dj;
		json_array_foreach(json_object_get(root, "devices"), k, dj) {
			const char *name = json_string_value(json_object_get(dj, "name"));
			const char *addr = json_string_value(json_object_get(dj, "address"));
			for (size_t j = 0; name && addr && j < p->n_devs; j++) {
				struct dev *d = &p->devs[j];
				if (strcmp(d->conf->name, name) != 0 || strcmp(d->conf->address, addr) != 0)
					continue;
				size_t m;
				json_t *ij;
				json_array_foreach(json_object_get(dj, "interfaces"), m, ij) {
					if (load_iface(d, ij))
						restored++;
					else
						bad++;
				}
			}
		}
	}
	json_decref(root);
	unlink(p->env.state_path);      /* taken: a crash later must not bring it back */
	if (restored || bad)
		ft_log_notice(FT_LOG_SNMP, "%zu interface reading(s) restored from %s%s", restored, p->env.state_path,
		            bad ? " (some could not be read: those begin afresh)" : "");
}

/* ---- the object ---------------------------------------------------------------------------- */

int ft_snmp_poller_new(const struct ft_snmp_poller_env *env, struct ft_snmp_poller **ret)
{
	struct ft_snmp_poller *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->env = *env;
	p->stop_fd = -1;
	p->n_devs = env->conf->n_devices;
	p->devs = calloc(p->n_devs ? p->n_devs : 1, sizeof(*p->devs));
	if (!p->devs || pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->devs);
		free(p);
		return -ENOMEM;
	}
	for (size_t k = 0; k < p->n_devs; k++) {
		struct dev *d = &p->devs[k];
		d->p = p;
		d->conf = &env->conf->devices[k];
		d->fd = -1;
		snprintf(d->st.name, sizeof(d->st.name), "%s", d->conf->name);
		snprintf(d->st.address, sizeof(d->st.address), "%s", d->conf->address);
	}
	load_state(p);
	*ret = p;
	return 0;
}

int ft_snmp_poller_start(struct ft_snmp_poller *p)
{
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->stop_fd < 0)
		return -errno;
	int r = pthread_create(&p->thread, NULL, thread_main, p);
	if (r != 0) {
		close(p->stop_fd);
		p->stop_fd = -1;
		return -r;
	}
	p->running = true;
	return 0;
}

int ft_snmp_poller_cycle(struct ft_snmp_poller *p)
{
	return p->running ? -EBUSY : run(p, true);
}

void ft_snmp_poller_stop(struct ft_snmp_poller *p)
{
	if (!p || !p->running)
		return;
	uint64_t one = 1;
	if (write(p->stop_fd, &one, sizeof(one)) < 0)
		ft_log_err(FT_LOG_SNMP, "cannot stop the poller: %s", strerror(errno));
	pthread_join(p->thread, NULL);
	p->running = false;
	save_state(p);
}

struct ft_snmp_poller *ft_snmp_poller_free(struct ft_snmp_poller *p)
{
	if (!p)
		return NULL;
	ft_snmp_poller_stop(p);
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	for (size_t k = 0; k < p->n_devs; k++) {
		ft_snmp_walker_free(p->devs[k].w);
		free(p->devs[k].ifs);
	}
	pthread_mutex_destroy(&p->mu);
	free(p->devs);
	free(p->out);
	free(p);
	return NULL;
}

size_t ft_snmp_poller_stats(struct ft_snmp_poller *p, struct ft_snmp_device_stats *ret, size_t cap)
{
	size_t n = p->n_devs < cap ? p->n_devs : cap;
	pthread_mutex_lock(&p->mu);
	for (size_t k = 0; k < n; k++)
		ret[k] = p->devs[k].st;
	pthread_mutex_unlock(&p->mu);
	return n;
}
