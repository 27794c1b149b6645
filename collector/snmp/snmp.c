/* net-snmp for the process, and one device polled once in the calling thread (for
 * `flowtally snmp walk`: the poller's own walker on a loop of its own). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "flowtally/clock.h"
#include "flowtally/log.h"
#include "flowtally/loop.h"
#include "snmp_int.h"

/* net-snmp's own messages go to flowtally's log, at debug: what matters reaches the
 * walker's callback and is reported once, naming the device. */
static int log_handler(int major, int minor, void *server, void *client)
{
	(void)major, (void)minor, (void)client;
	const struct snmp_log_message *m = server;
	if (m && m->msg) {
		size_t n = strlen(m->msg);
		while (n && m->msg[n - 1] == '\n')
			n--;
		ft_log_debug(FT_LOG_SNMP, "net-snmp: %.*s", (int)n, m->msg);
	}
	return 0;
}

void ft_snmp_init(const char *app)
{
	/* no snmp.conf, MIB files or persistent state of net-snmp's own: everything the
	 * poller needs is in flowtally's configuration, and OIDs are numeric */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
	netsnmp_set_mib_directory("");
	snmp_disable_log();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_handler, NULL);
	snmp_enable_calllog();
	init_snmp(app);
}

struct walk_ctx {
	struct ft_loop *loop;
	struct ft_snmp_walker *w;
	uint64_t timer;
	int status;
	bool over;
};

static void arm(struct walk_ctx *c)
{
	int64_t at = ft_snmp_walker_deadline_ns(c->w);
	int64_t in = at < 0 ? FT_NS_PER_SEC : at - ft_clock_mono_ns();
	ft_loop_set_timer(c->loop, c->timer, in > 0 ? in : 0, 0);
}

static void on_done(struct ft_snmp_walker *w, int status, void *ctx)
{
	struct walk_ctx *c = ctx;
	(void)w;
	c->status = status;
	c->over = true;
	ft_loop_stop(c->loop);
}

static void on_read(struct ft_loop *l, int fd, uint32_t revents, void *ctx)
{
	struct walk_ctx *c = ctx;
	(void)l, (void)fd, (void)revents;
	ft_snmp_walker_read(c->w);
	if (!c->over)
		arm(c);
}

static void on_timer(struct ft_loop *l, uint64_t id, uint64_t exp, void *ctx)
{
	struct walk_ctx *c = ctx;
	(void)l, (void)exp;
	c->timer = 0;
	ft_snmp_walker_timeout(c->w);
	if (!c->over && ft_loop_add_timer(c->loop, 0, 0, on_timer, c, &c->timer) == 0)
		arm(c);
	(void)id;
}

int ft_snmp_walk(const struct ft_snmp_device *d, struct ft_snmp_poll *ret, char *err, size_t err_size)
{
	struct walk_ctx c = { .status = -EIO };
	int r = ft_snmp_walker_new(d, &c.w, err, err_size);
	if (r < 0)
		return r;
	c.loop = ft_loop_new();
	if (!c.loop) {
		ft_snmp_walker_free(c.w);
		snprintf(err, err_size, "device %s: %s", d->name, strerror(errno));
		return -ENOMEM;
	}
	int fd = ft_snmp_walker_fd(c.w);
	r = ft_loop_add_fd(c.loop, fd, FT_LOOP_READ, on_read, &c);
	if (r == 0)
		r = ft_loop_add_timer(c.loop, FT_NS_PER_SEC, 0, on_timer, &c, &c.timer);
	if (r == 0)
		r = ft_snmp_walker_start(c.w, on_done, &c);
	if (r == 0 && !c.over) {
		arm(&c);
		r = ft_loop_run(c.loop);
	}
	if (r == 0)
		r = c.status;
	if (r == 0)
		ft_snmp_walker_take(c.w, ret);
	else
		snprintf(err, err_size, "%s", *ft_snmp_walker_error(c.w) ? ft_snmp_walker_error(c.w) : strerror(-r));
	ft_loop_del_fd(c.loop, fd);
	ft_loop_free(c.loop);
	ft_snmp_walker_free(c.w);
	return r;
}
