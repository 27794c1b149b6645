/* Exporters: the table of everything flowtally knows per (address, version, domain).
 *
 * The table is open addressing, grown by doubling up to max_exporters.  Each entry
 * holds its statistics, its templates (open addressing by template ID, capped at
 * max_templates), what options data said (sampling rates per sampler and selector,
 * interface names, system init time) and the data sets waiting for a template.
 * Everything an exporter can make grow has a cap and a counter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/log.h"
#include "netflow_int.h"

static uint64_t key_hash(const struct ft_exporter_key *k)
{
	uint64_t a, b;
	memcpy(&a, k->addr.b, 8);
	memcpy(&b, k->addr.b + 8, 8);
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ b;
	h ^= ((uint64_t)k->domain << 8 | k->version) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

static bool key_equal(const struct ft_exporter_key *a, const struct ft_exporter_key *b)
{
	return a->domain == b->domain && a->version == b->version &&
	       ft_addr_equal(&a->addr, &b->addr);
}

static struct exporter *probe(struct exporter *tab, size_t size, const struct ft_exporter_key *k)
{
	size_t i = key_hash(k) & (size - 1);
	while (tab[i].used && !key_equal(&tab[i].s.key, k))
		i = (i + 1) & (size - 1);
	return &tab[i];
}

static int grow(struct ft_netflow *nf)
{
	size_t nsize = nf->size * 2;
	struct exporter *ntab = calloc(nsize, sizeof(*ntab));
	if (!ntab)
		return -ENOMEM;
	for (size_t i = 0; i < nf->size; i++)
		if (nf->tab[i].used)
			*probe(ntab, nsize, &nf->tab[i].s.key) = nf->tab[i];
	free(nf->tab);
	nf->tab = ntab;
	nf->size = nsize;
	nf->last = NULL;
	return 0;
}

static void apply_conf(const struct ft_netflow *nf, struct exporter *e)
{
	for (size_t i = 0; i < nf->n_conf; i++) {
		const struct ft_exporter_conf *c = &nf->conf[i];
		if (!ft_prefix_contains(&c->match, &e->s.key.addr))
			continue;
		e->conf_default_rate = c->sampling_default;
		e->conf_override_rate = c->sampling_override;
		e->count_totals = c->count_totals;
		return;
	}
}

struct exporter *ft_exporter_get(struct ft_netflow *nf, const struct ft_exporter_key *k, int64_t now)
{
	if (nf->last && key_equal(&nf->last->s.key, k))
		return nf->last;
	struct exporter *e = probe(nf->tab, nf->size, k);
	if (!e->used) {
		if (nf->used >= nf->o.max_exporters)
			return NULL;
		if ((nf->used + 1) * 2 > nf->size) {
			if (grow(nf) < 0)
				return NULL;
			e = probe(nf->tab, nf->size, k);
		}
		*e = (struct exporter){ .used = true, .s = { .key = *k, .first_seen_ns = now } };
		apply_conf(nf, e);
		e->s.sampling_rate = e->conf_override_rate ? e->conf_override_rate :
		                     e->conf_default_rate ? e->conf_default_rate : 1;
		nf->used++;
	}
	nf->last = e;
	return e;
}

struct exporter *ft_exporter_for(struct ft_netflow *nf, const struct ft_datagram *dg,
                                 uint8_t version, uint32_t domain)
{
	struct ft_exporter_key k = { .addr = dg->src, .version = version, .domain = domain };
	struct exporter *e = ft_exporter_get(nf, &k, dg->recv_ns);
	if (!e) {
		nf->overflow.datagrams++;
		nf->overflow.errors[FT_NF_ERR_EXPORTER_LIMIT]++;
		return NULL;
	}
	e->s.datagrams++;
	e->s.last_seen_ns = dg->recv_ns;
	return e;
}

static void tpl_table_done(struct tpl_table *t)
{
	for (uint32_t i = 0; i < t->size; i++)
		if (t->slot[i].id)
			ft_tpl_done(&t->slot[i]);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static void pending_done(struct pending *p)
{
	for (uint32_t i = 0; i < p->n; i++)
		free(p->sets[i].data);
	free(p->sets);
	memset(p, 0, sizeof(*p));
}

void ft_exporter_release(struct exporter *e)
{
	tpl_table_done(&e->tpls);
	pending_done(&e->pend);
	free(e->opt.samplers);
	free(e->opt.selectors);
	free(e->opt.ifnames);
}

void ft_exporter_count(struct ft_netflow *nf, struct exporter *e, enum ft_nf_error err)
{
	if (e)
		e->s.errors[err]++;
	else
		nf->overflow.errors[err]++;
}

/* ---- templates ---------------------------------------------------------------- */

static struct ft_template *tpl_probe(struct ft_template *slot, uint32_t size, uint16_t id)
{
	uint32_t i = (id * 0x9e3779b1u) >> 16 & (size - 1);
	while (slot[i].id && slot[i].id != id)
		i = (i + 1) & (size - 1);
	return &slot[i];
}

struct ft_template *ft_tpl_find(struct tpl_table *t, uint16_t id)
{
	if (t->last && t->last->id == id)
		return t->last;
	if (!t->size)
		return NULL;
	struct ft_template *s = tpl_probe(t->slot, t->size, id);
	if (!s->id)
		return NULL;
	t->last = s;
	return s;
}

static int tpl_grow(struct tpl_table *t)
{
	uint32_t nsize = t->size ? t->size * 2 : 16;
	struct ft_template *n = calloc(nsize, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->size; i++)
		if (t->slot[i].id)
			*tpl_probe(n, nsize, t->slot[i].id) = t->slot[i];
	free(t->slot);
	t->slot = n;
	t->size = nsize;
	t->last = NULL;
	return 0;
}

static enum ft_nf_error tpl_error(int r)
{
	switch (-r) {
	case FT_TPL_EMPTY: return FT_NF_ERR_TEMPLATE_EMPTY;
	case FT_TPL_FIELD_LENGTH: return FT_NF_ERR_FIELD_LENGTH;
	case FT_TPL_SCOPE: return FT_NF_ERR_SCOPE;
	case FT_TPL_TOO_LONG: return FT_NF_ERR_TEMPLATE_TOO_LONG;
	default: return FT_NF_ERR_NOMEM;
	}
}

static void log_change(struct exporter *e, const struct ft_template *old, int64_t now)
{
	char a[FT_ADDR_STRLEN];
	if (!ft_log_rl_allow(&e->log_rl, now / 1000000000, 10, 3600))
		return;
	if (old->loaded)
		ft_log_notice(FT_LOG_NETFLOW, "exporter %s domain %u: saved template %u differs from "
		              "the one just received: replaced", ft_addr_format(&e->s.key.addr, a),
		              e->s.key.domain, old->id);
	else
		ft_log_info(FT_LOG_NETFLOW, "exporter %s domain %u: template %u redefined",
		            ft_addr_format(&e->s.key.addr, a), e->s.key.domain, old->id);
}

int ft_exporter_define(struct ft_netflow *nf, struct exporter *e, uint16_t id,
                       const struct ft_tpl_field *f, uint16_t n, uint16_t scope, bool options,
                       int64_t now)
{
	struct ft_template *t = ft_tpl_find(&e->tpls, id);
	if (t && ft_tpl_same(t, f, n, scope, options)) {
		t->refreshed_ns = now;
		t->loaded = false;
		return 0;
	}
	struct ft_template nt;
	int r = ft_tpl_compile(&nt, id, f, n, scope, options);
	if (r < 0)
		return -(int)tpl_error(r);
	nt.refreshed_ns = now;
	if (t) {
		log_change(e, t, now);
		e->s.template_changes++;
		ft_tpl_done(t);
		*t = nt;
	} else {
		if (e->tpls.used >= nf->o.max_templates ||
		    ((e->tpls.used + 1) * 2 > e->tpls.size && tpl_grow(&e->tpls) < 0)) {
			ft_tpl_done(&nt);
			return e->tpls.used >= nf->o.max_templates ? -FT_NF_ERR_TEMPLATE_LIMIT : -FT_NF_ERR_NOMEM;
		}
		*tpl_probe(e->tpls.slot, e->tpls.size, id) = nt;
		e->tpls.used++;
		e->tpls.last = NULL;
	}
	e->s.templates_active = e->tpls.used;
	nf->templates_changed = true;
	return 0;
}

/* Rebuilds the table without the templates `drop` selects (withdrawal is rare). */
static void tpl_filter(struct tpl_table *t, bool (*drop)(const struct ft_template *, uint16_t), uint16_t arg)
{
	struct ft_template *n = calloc(t->size ? t->size : 1, sizeof(*n));
	if (!n)
		return;
	uint32_t used = 0;
	for (uint32_t i = 0; i < t->size; i++) {
		struct ft_template *s = &t->slot[i];
		if (!s->id)
			continue;
		if (drop(s, arg)) {
			ft_tpl_done(s);
			continue;
		}
		*tpl_probe(n, t->size, s->id) = *s;
		used++;
	}
	free(t->slot);
	t->slot = n;
	t->used = used;
	t->last = NULL;
}

static bool drop_id(const struct ft_template *t, uint16_t id)
{
	return t->id == id;
}

/* RFC 7011 §8.1: template ID 2 withdraws all data templates, 3 all options templates. */
static bool drop_kind(const struct ft_template *t, uint16_t id)
{
	return t->options == (id == 3);
}

void ft_exporter_withdraw(struct ft_netflow *nf, struct exporter *e, uint16_t id)
{
	if (e->tpls.size)
		tpl_filter(&e->tpls, id == 2 || id == 3 ? drop_kind : drop_id, id);
	e->s.templates_active = e->tpls.used;
	nf->templates_changed = true;
}

/* ---- options data ------------------------------------------------------------- */

static uint32_t lookup_rate(const struct sampler *s, uint32_t n, uint32_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (s[i].id == id)
			return s[i].rate;
	return 0;
}

#define MAX_SAMPLERS 256
#define MAX_IFNAMES 8192

/* Sets a sampler's rate; returns its previous rate (0: new). */
static uint32_t set_rate(struct sampler **tab, uint32_t *n, uint32_t id, uint32_t rate)
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
	struct sampler *t = realloc(*tab, (*n + 1) * sizeof(*t));
	if (!t)
		return 0;
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
	e->s.sampling_changes++;
	e->s.sampling_changed_ns = now;
	e->s.sampling_rate = rate;
	if (ft_log_rl_allow(&e->log_rl, now / 1000000000, 10, 3600))
		ft_log_notice(FT_LOG_NETFLOW, "exporter %s domain %u: %s %u sampling rate 1 in %u (was %s%u)",
		              ft_addr_format(&e->s.key.addr, a), e->s.key.domain, what, id, rate,
		              old ? "1 in " : "", old ? old : e->s.sampling_rate);
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

static void set_ifname(struct options *o, const struct ft_rec *r)
{
	uint32_t ifindex = (uint32_t)(ft_rec_has(r, SL_SCOPE_INTERFACE) ? ft_rec_val(r, SL_SCOPE_INTERFACE) : ft_rec_val(r, SL_IN_IF));
	struct ifname *f = NULL;
	for (uint32_t i = 0; i < o->n_ifnames && !f; i++)
		if (o->ifnames[i].ifindex == ifindex)
			f = &o->ifnames[i];
	if (!f) {
		if (o->n_ifnames >= MAX_IFNAMES)
			return;
		struct ifname *t = realloc(o->ifnames, (o->n_ifnames + 1) * sizeof(*t));
		if (!t)
			return;
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
		note_rate_change(e, set_rate(&e->opt.samplers, &e->opt.n_samplers, id, rate), rate, now, "sampler", id);
	} else if (rate && ft_rec_has(r, SL_SELECTOR_ID)) {
		uint32_t id = (uint32_t)ft_rec_val(r, SL_SELECTOR_ID);
		note_rate_change(e, set_rate(&e->opt.selectors, &e->opt.n_selectors, id, rate), rate, now, "selector", id);
	} else if (rate) {
		uint32_t old = e->opt.default_rate;
		e->opt.default_rate = rate;
		note_rate_change(e, old, rate, now, "domain", e->s.key.domain);
	}
	if (r->str[SS_IF_NAME] || r->str[SS_IF_DESC])
		set_ifname(&e->opt, r);
	if (ft_rec_has(r, SL_INIT_MS))
		e->opt.init_ms = (int64_t)ft_rec_val(r, SL_INIT_MS);
}

/* ---- data sets waiting for their template -------------------------------------- */

static void pending_drop_oldest(struct exporter *e)
{
	struct pending *p = &e->pend;
	p->bytes -= p->sets[0].len;
	free(p->sets[0].data);
	memmove(p->sets, p->sets + 1, (p->n - 1) * sizeof(*p->sets));
	p->n--;
	e->s.errors[FT_NF_ERR_NO_TEMPLATE]++;
}

int ft_pending_add(const struct ft_msg *m, uint16_t tid, const uint8_t *data, size_t len)
{
	struct ft_netflow *nf = m->nf;
	struct exporter *e = m->e;
	struct pending *p = &e->pend;
	if (nf->o.max_pending_sets == 0 || len > nf->o.max_pending_bytes) {
		e->s.errors[FT_NF_ERR_NO_TEMPLATE]++;
		return -FT_NF_ERR_NO_TEMPLATE;
	}
	while (p->n && (p->n >= nf->o.max_pending_sets || p->bytes + len > nf->o.max_pending_bytes))
		pending_drop_oldest(e);
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 8;
		struct pending_set *s = realloc(p->sets, cap * sizeof(*s));
		if (!s)
			return -FT_NF_ERR_NOMEM;
		p->sets = s;
		p->cap = cap;
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -FT_NF_ERR_NOMEM;
	memcpy(copy, data, len);
	p->sets[p->n++] = (struct pending_set){ copy, (uint32_t)len, tid, m->uptime, m->export_ms, m->recv_ns };
	p->bytes += len;
	e->s.pending_sets = p->n;
	return 0;
}

void ft_pending_replay(struct ft_msg *m, const struct ft_template *t)
{
	struct exporter *e = m->e;
	struct pending *p = &e->pend;
	uint32_t keep = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		struct pending_set *s = &p->sets[i];
		if (s->tid != t->id) {
			p->sets[keep++] = *s;
			continue;
		}
		/* Decoded under the header times of the message that brought it. */
		struct ft_msg late = { .nf = m->nf, .e = e, .version = e->s.key.version,
		                       .uptime = s->uptime, .export_ms = s->export_ms,
		                       .recv_ns = s->recv_ns, .out = m->out };
		m->late_records += ft_data_set(&late, t, s->data, s->len);
		e->s.pending_decoded++;
		p->bytes -= s->len;
		free(s->data);
	}
	p->n = keep;
	e->s.pending_sets = keep;
}

void ft_netflow_drop_pending(struct ft_netflow *nf)
{
	for (size_t i = 0; i < nf->size; i++) {
		struct exporter *e = &nf->tab[i];
		if (!e->used)
			continue;
		e->s.errors[FT_NF_ERR_NO_TEMPLATE] += e->pend.n;
		pending_done(&e->pend);
		e->s.pending_sets = 0;
	}
}
