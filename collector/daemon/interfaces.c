/* The interface table between the poller's thread and the control thread
 * (interfaces.h): each device's interfaces from its last successful poll, under a
 * mutex; a change (an interface added, gone, renamed, re-aliased or re-indexed) wakes
 * the control loop through an eventfd, and the control thread takes a copy.  Polls
 * that change nothing (the usual case: counters only) cost a comparison. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "interfaces.h"

struct one {
	uint32_t ifindex;
	char name[FT_SNMP_IFNAME_MAX];
	char alias[FT_SNMP_IFNAME_MAX];
	char descr[FT_SNMP_IFDESCR_MAX];
};

struct dev {
	const struct ft_snmp_device *conf;
	struct one *ifs;
	size_t n;
	bool answered;
};

struct ft_ifstate {
	pthread_mutex_t mu;
	struct dev *devs;
	size_t n_devs;
	int fd;
};

struct ft_ifstate *ft_ifstate_new(const struct ft_snmp_conf *conf)
{
	struct ft_ifstate *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->devs = calloc(conf->n_devices + 1, sizeof(*s->devs));
	s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!s->devs || s->fd < 0 || pthread_mutex_init(&s->mu, NULL) != 0) {
		if (s->fd >= 0)
			close(s->fd);
		free(s->devs);
		free(s);
		return NULL;
	}
	s->n_devs = conf->n_devices;
	for (size_t i = 0; i < s->n_devs; i++)
		s->devs[i].conf = &conf->devices[i];
	return s;
}

struct ft_ifstate *ft_ifstate_free(struct ft_ifstate *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_devs; i++)
		free(s->devs[i].ifs);
	pthread_mutex_destroy(&s->mu);
	close(s->fd);
	free(s->devs);
	free(s);
	return NULL;
}

int ft_ifstate_fd(const struct ft_ifstate *s)
{
	return s->fd;
}

static void fill(struct one *o, const struct ft_snmp_if *i)
{
	memset(o, 0, sizeof(*o));
	o->ifindex = i->ifindex;
	memcpy(o->name, i->name, sizeof(o->name));
	memcpy(o->alias, i->alias, sizeof(o->alias));
	memcpy(o->descr, i->descr, sizeof(o->descr));
}

void ft_ifstate_polled(struct ft_ifstate *s, const struct ft_snmp_device *d, int status, const struct ft_snmp_poll *p)
{
	if (status != 0)
		return;
	struct dev *dv = NULL;
	for (size_t i = 0; i < s->n_devs && !dv; i++)
		if (s->devs[i].conf == d)
			dv = &s->devs[i];
	if (!dv)
		return;
	struct one *n = calloc(p->n_ifs + 1, sizeof(*n));
	if (!n)
		return;                 /* the old table stays: a change is seen at a later poll */
	for (size_t i = 0; i < p->n_ifs; i++)
		fill(&n[i], &p->ifs[i]);
	pthread_mutex_lock(&s->mu);
	bool changed = !dv->answered || dv->n != p->n_ifs || (p->n_ifs && memcmp(dv->ifs, n, p->n_ifs * sizeof(*n)) != 0);
	if (changed) {
		free(dv->ifs);
		dv->ifs = n;
		dv->n = p->n_ifs;
		dv->answered = true;
		n = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	free(n);
	if (changed) {
		uint64_t one = 1;
		if (write(s->fd, &one, sizeof(one)) < 0) {
			/* the counter is already set: the control thread will look */
		}
	}
}

void ft_ifstate_poke(struct ft_ifstate *s)
{
	uint64_t one = 1;
	if (write(s->fd, &one, sizeof(one)) < 0) {
		/* the counter is set already */
	}
}

int ft_ifstate_snapshot(struct ft_ifstate *s, struct ft_ifsnap *ret)
{
	uint64_t v;
	if (read(s->fd, &v, sizeof(v)) < 0) {
		/* nothing pending: a snapshot all the same */
	}
	memset(ret, 0, sizeof(*ret));
	pthread_mutex_lock(&s->mu);
	size_t total = 0;
	for (size_t i = 0; i < s->n_devs; i++)
		total += s->devs[i].n;
	ret->ifs = calloc(total + 1, sizeof(*ret->ifs));
	ret->strings = calloc(total + 1, sizeof(struct one));
	if (!ret->ifs || !ret->strings) {
		pthread_mutex_unlock(&s->mu);
		ft_ifsnap_done(ret);
		return -ENOMEM;
	}
	struct one *copy = (struct one *)ret->strings;
	for (size_t i = 0; i < s->n_devs; i++) {
		const struct dev *dv = &s->devs[i];
		ret->devices += dv->answered;
		for (size_t k = 0; k < dv->n; k++) {
			struct one *o = &copy[ret->n];
			*o = dv->ifs[k];
			ret->ifs[ret->n++] = (struct ft_tenant_if){
				.device = dv->conf->name, .exporters = dv->conf->exporters,
				.n_exporters = dv->conf->n_exporters, .ifindex = o->ifindex,
				.name = o->name, .alias = o->alias, .descr = o->descr,
			};
		}
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void ft_ifsnap_done(struct ft_ifsnap *snap)
{
	free(snap->ifs);
	free(snap->strings);
	memset(snap, 0, sizeof(*snap));
}
