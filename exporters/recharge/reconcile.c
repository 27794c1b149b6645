/* SNMP against flows (recharge.h): for each accounting interface an SNMP device also
 * polls, the month's octets its counters say it carried against the bytes of the
 * accounted records the ledgers say it carried (sampling corrected).  They are never
 * equal — SNMP counts frames with their link-layer headers, flows count IP bytes, and a
 * sampled exporter's figures are estimates — so the difference is shown in parts per
 * million and flagged past a threshold the configuration sets: what a large difference
 * means (an exporter not exporting everything, a wrong sampling rate, an interface
 * missing from the accounting points) is for an operator to look into. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/recharge.h"

static const struct ft_recharge_point *point_of(const struct ft_bins *b, const struct ft_addr *e, uint32_t ifindex,
                                                uint8_t dir)
{
	for (size_t i = 0; i < b->n_points; i++)
		if (b->points[i].ifindex == ifindex && b->points[i].direction == dir &&
		    ft_addr_equal(&b->points[i].exporter, e))
			return &b->points[i];
	return NULL;
}

static int cmp_recon(const void *x, const void *y)
{
	const struct ft_recharge_recon *a = x, *b = y;
	int c = strcmp(a->device, b->device);
	if (!c)
		c = strcmp(a->interface, b->interface);
	if (!c)
		c = (a->direction < b->direction) - (a->direction > b->direction);   /* in (1) first */
	if (!c)
		c = memcmp(a->exporter.b, b->exporter.b, sizeof(a->exporter.b));
	return c;
}

/* (flow - snmp) / snmp in ppm, rounded toward zero, within int64 */
static int64_t diff_ppm(uint64_t flow, uint64_t snmp)
{
	if (!snmp)
		return 0;
	__int128 d = (__int128)flow - (__int128)snmp;
	__int128 q = d * 1000000 / (__int128)snmp;
	return q > INT64_MAX ? INT64_MAX : q < INT64_MIN ? INT64_MIN : (int64_t)q;
}

int ft_recharge_reconcile(const struct ft_bins *b, const struct ft_recharge_if *ifs, size_t n_ifs,
                          uint32_t threshold_ppm, struct ft_recharge_recon **ret, size_t *ret_n)
{
	size_t most = 0;
	for (size_t i = 0; i < n_ifs; i++)
		most += 2 * ifs[i].n_exporters;
	struct ft_recharge_recon *v = calloc(most + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < n_ifs; i++) {
		const struct ft_recharge_if *f = &ifs[i];
		for (size_t e = 0; e < f->n_exporters; e++)
			for (int d = FT_DIR_IN; d >= FT_DIR_OUT; d--) {
				const struct ft_recharge_point *p = point_of(b, &f->exporters[e], f->ifindex, (uint8_t)d);
				if (!p)
					continue;
				struct ft_recharge_recon *r = &v[n++];
				memcpy(r->device, f->device, sizeof(r->device));
				memcpy(r->interface, f->interface, sizeof(r->interface));
				r->exporter = f->exporters[e];
				r->ifindex = f->ifindex;
				r->direction = (uint8_t)d;
				r->flow_bytes = p->v.bytes;
				r->snmp_octets = d == FT_DIR_IN ? f->in_octets : f->out_octets;
				r->snmp_known = d == FT_DIR_IN ? f->in_known : f->out_known;
				r->snmp_steps = f->steps;
				r->partial = r->snmp_known < r->snmp_steps;
				r->diff_ppm = diff_ppm(r->flow_bytes, r->snmp_octets);
				uint64_t mag = r->diff_ppm < 0 ? (uint64_t)0 - (uint64_t)r->diff_ppm : (uint64_t)r->diff_ppm;
				r->flagged = r->partial || mag > threshold_ppm || (!r->snmp_octets && r->flow_bytes);
			}
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_recon);
	*ret = v;
	*ret_n = n;
	return 0;
}
