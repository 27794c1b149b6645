/* Options data: what an exporter's options records say about it.
 *
 * Sampling rates per samplerId (IE 48) and per selectorId (IE 302), each a small array
 * searched in order and capped at MAX_SAMPLERS, plus the rate of the whole domain;
 * interface names and descriptions by ifIndex, capped at MAX_IFNAMES;
 * systemInitTimeMilliseconds (IE 160), from which IPFIX sysUpTime flow times count.
 * New entries count against the memory budget (budget.c).
 * ft_exporter_rate() picks a data record's rate from these, under the configuration's
 * override and default.
 */
#include <stdlib.h>
#include <string.h>

#include "flowtally/log.h"
#include "netflow_int.h"

#define MAX_SAMPLERS 256
#define MAX_IFNAMES 8192

static uint32_t lookup_rate(const struct sampler *s, uint32_t n, uint32_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (s[i].id == id)
			return s[i].rate;
	return 0;
}

/* Sets a sampler's rate; returns its previous rate (0: new, or not kept: at the cap,
 * or no room in the memory budget, counted). */
static uint32_t set_rate(struct ft_netflow *nf, struct exporter *e, struct sampler **tab,
                         uint32_t *n, uint32_t id, uint32_t rate)
{
	for (uint32_t i = 0; i < *n; i++) {
		if ((*tab)[i].id == id) {
			uint32_t old = (*tab)[i].rate;
			(*tab)[i].rate = rate;
			return old;
		}
	}
	if (*n >= MAX_SAMPLERS)
		return 0;
	if (!ft_mem_take(nf, e, sizeof(**tab) + (*n ? 0 : FT_MALLOC_OVERHEAD))) {
		e->s.errors[FT_NF_ERR_MEMORY_BUDGET]++;
		return 0;
	}
	struct sampler *t = realloc(*tab, (*n + 1) * sizeof(*t));
	if (!t) {
		ft_mem_give(nf, e, sizeof(**tab) + (*n ? 0 : FT_MALLOC_OVERHEAD));
		return 0;
	}
	t[(*n)++] = (struct sampler){ id, rate };
	*tab = t;
	return 0;
}

uint32_t ft_exporter_rate(const struct exporter *e, const struct ft_rec *r)
{
	uint32_t rate = 0;
	if (e->conf_override_rate)
		return e->conf_override_rate;
	if (ft_rec_has(r, SL_SAMPLER_ID))
		rate = lookup_rate(e->opt.samplers, e->opt.n_samplers, (uint32_t)ft_rec_val(r, SL_SAMPLER_ID));
	if (!rate && ft_rec_has(r, SL_SELECTOR_ID))
		rate = lookup_rate(e->opt.selectors, e->opt.n_selectors, (uint32_t)ft_rec_val(r, SL_SELECTOR_ID));
	if (!rate && ft_rec_has(r, SL_SAMPLING_INTERVAL))
		rate = (uint32_t)ft_rec_val(r, SL_SAMPLING_INTERVAL);
	if (!rate)
		rate = e->opt.default_rate;
	if (!rate)
		rate = e->conf_default_rate;
	return rate ? rate : 1;
}

/* The rate an options (or data) record announces: samplingInterval (34),
 * samplerRandomInterval (50), or (samplingPacketInterval + samplingPacketSpace) /
 * samplingPacketInterval (305/306, RFC 5477), rounded to the nearest whole number. */
static uint32_t announced_rate(const struct ft_rec *r)
{
	if (ft_rec_has(r, SL_SAMPLER_INTERVAL) && ft_rec_val(r, SL_SAMPLER_INTERVAL))
		return (uint32_t)(ft_rec_val(r, SL_SAMPLER_INTERVAL) > UINT32_MAX ? UINT32_MAX : ft_rec_val(r, SL_SAMPLER_INTERVAL));
	if (ft_rec_has(r, SL_SAMPLING_INTERVAL))
		return ft_rec_val(r, SL_SAMPLING_INTERVAL) ? (uint32_t)(ft_rec_val(r, SL_SAMPLING_INTERVAL) > UINT32_MAX ? UINT32_MAX : ft_rec_val(r, SL_SAMPLING_INTERVAL)) : 1;
	if (ft_rec_has(r, SL_PKT_INTERVAL) && ft_rec_val(r, SL_PKT_INTERVAL)) {
		uint64_t iv = ft_rec_val(r, SL_PKT_INTERVAL), sp = ft_rec_has(r, SL_PKT_SPACE) ? ft_rec_val(r, SL_PKT_SPACE) : 0;
		if (iv > UINT32_MAX || sp > UINT32_MAX)
			return 0;
		return (uint32_t)((iv + sp + iv / 2) / iv);
	}
	return 0;
}

/* Counts and logs a change of a rate (old 0: first announcement of a new sampler,
 * which changes nothing unless it differs from the rate in force). */
static void note_rate_change(struct exporter *e, uint32_t old, uint32_t rate, int64_t now,
                             const char *what, uint32_t id)
{
	char a[FT_ADDR_STRLEN];
	if (old == rate || (old == 0 && rate == e->s.sampling_rate))
		return;
	/* the rate in force before this one, for the log: read before it is replaced */
	uint32_t was = old ? old : e->s.sampling_rate;
	e->s.sampling_changes++;
	e->s.sampling_changed_ns = now;
	e->s.sampling_rate = rate;
	if (ft_log_rl_allow(&e->log_rl, now / 1000000000, 10, 3600))
		ft_log_notice(FT_LOG_NETFLOW, "exporter %s domain %u: %s %u sampling rate 1 in %u (was 1 in %u)",
		              ft_addr_format(&e->s.key.addr, a), e->s.key.domain, what, id, rate, was);
}

/* Interface names come from exporters: kept as printable ASCII (anything else becomes
 * '?'), up to the first NUL, so they are safe in logs, JSON and state files. */
static void copy_text(char *dst, size_t size, const uint8_t *src, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len && src[i] && n + 1 < size; i++)
		dst[n++] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[n] = '\0';
}

static void set_ifname(struct ft_netflow *nf, struct exporter *e, const struct ft_rec *r)
{
	struct options *o = &e->opt;
	uint32_t ifindex = (uint32_t)(ft_rec_has(r, SL_SCOPE_INTERFACE) ? ft_rec_val(r, SL_SCOPE_INTERFACE) : ft_rec_val(r, SL_IN_IF));
	struct ifname *f = NULL;
	for (uint32_t i = 0; i < o->n_ifnames && !f; i++)
		if (o->ifnames[i].ifindex == ifindex)
			f = &o->ifnames[i];
	if (!f) {
		size_t more = sizeof(*f) + (o->n_ifnames ? 0 : FT_MALLOC_OVERHEAD);
		if (o->n_ifnames >= MAX_IFNAMES)
			return;
		if (!ft_mem_take(nf, e, more)) {
			e->s.errors[FT_NF_ERR_MEMORY_BUDGET]++;
			return;
		}
		struct ifname *t = realloc(o->ifnames, (o->n_ifnames + 1) * sizeof(*t));
		if (!t) {
			ft_mem_give(nf, e, more);
			return;
		}
		o->ifnames = t;
		f = &t[o->n_ifnames++];
		memset(f, 0, sizeof(*f));
		f->ifindex = ifindex;
	}
	if (r->str[SS_IF_NAME])
		copy_text(f->name, sizeof(f->name), r->str[SS_IF_NAME], r->str_len[SS_IF_NAME]);
	if (r->str[SS_IF_DESC])
		copy_text(f->desc, sizeof(f->desc), r->str[SS_IF_DESC], r->str_len[SS_IF_DESC]);
}

void ft_exporter_options(struct ft_netflow *nf, struct exporter *e, const struct ft_rec *r, int64_t now)
{
	uint32_t rate = announced_rate(r);
	nf->templates_changed = true;
	if (rate && ft_rec_has(r, SL_SAMPLER_ID)) {
		uint32_t id = (uint32_t)ft_rec_val(r, SL_SAMPLER_ID);
		note_rate_change(e, set_rate(nf, e, &e->opt.samplers, &e->opt.n_samplers, id, rate), rate, now, "sampler", id);
	} else if (rate && ft_rec_has(r, SL_SELECTOR_ID)) {
		uint32_t id = (uint32_t)ft_rec_val(r, SL_SELECTOR_ID);
		note_rate_change(e, set_rate(nf, e, &e->opt.selectors, &e->opt.n_selectors, id, rate), rate, now, "selector", id);
	} else if (rate) {
		uint32_t old = e->opt.default_rate;
		e->opt.default_rate = rate;
		note_rate_change(e, old, rate, now, "domain", e->s.key.domain);
	}
	if (r->str[SS_IF_NAME] || r->str[SS_IF_DESC])
		set_ifname(nf, e, r);
	if (ft_rec_has(r, SL_INIT_MS))
		e->opt.init_ms = (int64_t)ft_rec_val(r, SL_INIT_MS);
}

size_t ft_options_mem(const struct options *o)
{
	return (o->n_samplers ? o->n_samplers * sizeof(*o->samplers) + FT_MALLOC_OVERHEAD : 0) +
	       (o->n_selectors ? o->n_selectors * sizeof(*o->selectors) + FT_MALLOC_OVERHEAD : 0) +
	       (o->n_ifnames ? o->n_ifnames * sizeof(*o->ifnames) + FT_MALLOC_OVERHEAD : 0);
}

void ft_options_done(struct options *o)
{
	free(o->samplers);
	free(o->selectors);
	free(o->ifnames);
}
