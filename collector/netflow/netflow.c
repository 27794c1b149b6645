/* Datagram dispatch and statistics.
 *
 * ft_netflow_input() reads the version and hands the datagram to nf5.c, nf9.c or
 * ipfix.c, which sit above the shared v9/IPFIX set walk (sets.c), the turning of
 * template records into flows (records.c) and the per-exporter tables (exporter.c,
 * tpl_table.c, options.c, pending.c).  Every datagram is counted against exactly one
 * exporter entry: the one its header names, or (address, version 0) when the header is
 * unreadable, or the overflow entry when the table is full.  There it counts either as
 * accepted, by its format once the header, the exporter entry and the length have
 * passed, or as dropped whole under exactly one reason (ft_nf_error_drops_datagram());
 * what goes wrong in its sets after that is counted per set and leaves it accepted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netflow_int.h"
#include "wire.h"

static const char *const error_names[FT_NF_ERR__MAX] = {
	[FT_NF_OK] = "ok",
	[FT_NF_ERR_SHORT_HEADER] = "short_header",
	[FT_NF_ERR_VERSION] = "bad_version",
	[FT_NF_ERR_COUNT] = "bad_count",
	[FT_NF_ERR_LENGTH] = "bad_length",
	[FT_NF_ERR_EXPORTER_LIMIT] = "exporter_limit",
	[FT_NF_ERR_SET_LENGTH] = "bad_set_length",
	[FT_NF_ERR_SET_ID] = "bad_set_id",
	[FT_NF_ERR_TEMPLATE_EMPTY] = "template_no_fields",
	[FT_NF_ERR_TEMPLATE_OVERFLOW] = "template_overflow",
	[FT_NF_ERR_TEMPLATE_ID] = "bad_template_id",
	[FT_NF_ERR_FIELD_LENGTH] = "bad_field_length",
	[FT_NF_ERR_SCOPE] = "bad_scope",
	[FT_NF_ERR_TEMPLATE_TOO_LONG] = "template_too_long",
	[FT_NF_ERR_TEMPLATE_LIMIT] = "template_limit",
	[FT_NF_ERR_VARLEN] = "varlen_overrun",
	[FT_NF_ERR_PADDING] = "bad_padding",
	[FT_NF_ERR_NO_TEMPLATE] = "no_template",
	[FT_NF_ERR_NOMEM] = "out_of_memory",
	[FT_NF_ERR_V9_VARLEN] = "v9_variable_length",
	[FT_NF_ERR_MEMORY_BUDGET] = "memory_budget",
	[FT_NF_ERR_TEMPLATE_FIELDS] = "template_fields",
	[FT_NF_ERR_TEMPLATE_BYTES] = "template_bytes",
	[FT_NF_ERR_IMPLAUSIBLE_COUNTER] = "implausible_counter",
	[FT_NF_ERR_TIME_RANGE] = "time_out_of_range",
};

const char *ft_nf_error_name(enum ft_nf_error e)
{
	if ((unsigned)e >= FT_NF_ERR__MAX)
		return "unknown";
	return error_names[e];
}

/* The checks a datagram passes before its sets are read (its header, its exporter entry,
 * v5 count and length, the IPFIX length field): failing one leaves nothing to keep. */
bool ft_nf_error_drops_datagram(enum ft_nf_error e)
{
	return e == FT_NF_ERR_SHORT_HEADER || e == FT_NF_ERR_VERSION || e == FT_NF_ERR_COUNT ||
	       e == FT_NF_ERR_LENGTH || e == FT_NF_ERR_EXPORTER_LIMIT;
}

static int copy_conf(struct ft_netflow *nf, const struct ft_netflow_conf *o)
{
	if (!o || !o->n_exporters)
		return 0;
	nf->conf = malloc(o->n_exporters * sizeof(*nf->conf));
	if (!nf->conf)
		return -ENOMEM;
	memcpy(nf->conf, o->exporters, o->n_exporters * sizeof(*nf->conf));
	nf->n_conf = o->n_exporters;
	return 0;
}

struct ft_netflow *ft_netflow_new(const struct ft_netflow_conf *opts)
{
	struct ft_netflow *nf = calloc(1, sizeof(*nf));
	if (!nf)
		return NULL;
	if (opts)
		nf->o = *opts;
	nf->o.exporters = NULL;
	if (!nf->o.max_exporters)
		nf->o.max_exporters = FT_NETFLOW_DEFAULT_MAX_EXPORTERS;
	if (!nf->o.max_templates)
		nf->o.max_templates = FT_NETFLOW_DEFAULT_MAX_TEMPLATES;
	if (!nf->o.max_pending_sets)
		nf->o.max_pending_sets = FT_NETFLOW_DEFAULT_PENDING_SETS;
	if (!nf->o.max_pending_bytes)
		nf->o.max_pending_bytes = FT_NETFLOW_DEFAULT_PENDING_BYTES;
	if (!nf->o.memory_budget)
		nf->o.memory_budget = FT_NETFLOW_DEFAULT_MEMORY_BUDGET;
	if (!nf->o.max_template_fields)
		nf->o.max_template_fields = FT_NETFLOW_DEFAULT_TEMPLATE_FIELDS;
	if (nf->o.max_template_fields > FT_SCRATCH_FIELDS)
		nf->o.max_template_fields = FT_SCRATCH_FIELDS;
	if (!nf->o.max_template_bytes)
		nf->o.max_template_bytes = FT_NETFLOW_DEFAULT_TEMPLATE_BYTES;
	if (!nf->o.max_flow_bytes)
		nf->o.max_flow_bytes = FT_NETFLOW_DEFAULT_MAX_FLOW_BYTES;
	if (!nf->o.max_flow_packets)
		nf->o.max_flow_packets = FT_NETFLOW_DEFAULT_MAX_FLOW_PACKETS;
	nf->size = 64;
	nf->tab = calloc(nf->size, sizeof(*nf->tab));
	nf->scratch = malloc(FT_SCRATCH_FIELDS * sizeof(*nf->scratch));
	nf->budget = ft_budget_new(nf->o.memory_budget);
	if (!nf->tab || !nf->scratch || !nf->budget || copy_conf(nf, opts) < 0)
		return ft_netflow_free(nf);
	/* the first table is the decoder's fixed part: held whatever the budget */
	nf->mem = nf->size * sizeof(*nf->tab) + FT_MALLOC_OVERHEAD;
	atomic_fetch_add(&nf->budget->used, nf->mem);
	return nf;
}

struct ft_netflow *ft_netflow_free(struct ft_netflow *nf)
{
	if (!nf)
		return NULL;
	for (size_t i = 0; nf->tab && i < nf->size; i++)
		if (nf->tab[i].used)
			ft_exporter_release(&nf->tab[i]);
	free(nf->tab);
	free(nf->conf);
	free(nf->scratch);
	if (nf->budget) {
		atomic_fetch_sub(&nf->budget->used, nf->mem);
		ft_budget_unref(nf->budget);
	}
	free(nf);
	return NULL;
}

bool ft_netflow_dirty(const struct ft_netflow *nf)
{
	return nf->templates_changed;
}

/* ---- dispatch ------------------------------------------------------------------- */

/* A datagram whose header could not be read is counted against (address, version 0). */
static int drop_unreadable(struct ft_netflow *nf, const struct ft_datagram *dg, int err)
{
	struct exporter *e = ft_exporter_for(nf, dg, 0, 0);
	if (!e)
		return -FT_NF_ERR_EXPORTER_LIMIT;
	e->s.errors[-err]++;
	return err;
}

int ft_netflow_input(struct ft_netflow *nf, const struct ft_datagram *dg, struct ft_flow_batch *out)
{
	int r;

	if (dg->len < 2)
		return drop_unreadable(nf, dg, -FT_NF_ERR_SHORT_HEADER);
	switch (rd16(dg->data)) {
	case 5:
		r = ft_nf5_input(nf, dg, out);
		break;
	case 9:
		r = ft_nf9_input(nf, dg, out);
		break;
	case 10:
		r = ft_ipfix_input(nf, dg, out);
		break;
	default:
		r = -FT_NF_ERR_VERSION;
		break;
	}
	if (r == -FT_NF_ERR_SHORT_HEADER || r == -FT_NF_ERR_VERSION)
		return drop_unreadable(nf, dg, r);
	return r;
}

/* ---- statistics ----------------------------------------------------------------- */

size_t ft_netflow_exporters(const struct ft_netflow *nf, struct ft_exporter_stats *ret, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < nf->size; i++) {
		if (!nf->tab[i].used)
			continue;
		if (n < cap)
			ret[n] = nf->tab[i].s;
		n++;
	}
	return n;
}

void ft_netflow_totals(const struct ft_netflow *nf, struct ft_exporter_stats *ret)
{
	struct ft_exporter_stats t = { 0 };
	for (size_t i = 0; i < nf->size; i++)
		if (nf->tab[i].used)
			ft_exporter_stats_add(&t, &nf->tab[i].s);
	ft_exporter_stats_add(&t, &nf->overflow);
	ft_exporter_stats_add(&t, &nf->retired);
	memset(&t.key, 0, sizeof(t.key));
	*ret = t;
}
