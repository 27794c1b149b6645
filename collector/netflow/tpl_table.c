/* The templates of one exporter (address, version, domain).
 *
 * Open addressing by template ID (real IDs are >= 256, so ID 0 marks an empty slot),
 * grown by doubling at half full, capped at max_templates, and the template last looked
 * up is tried first.  A template is bounded by its fields (max_template_fields, checked
 * before it is compiled) and an exporter's templates by their bytes, slots, fields and
 * plans together (max_template_bytes); those bytes count against the memory budget
 * (budget.c), which can refuse a template too.  A template sent again unchanged only
 * refreshes its time; a different one under a known ID is compiled (template.c) and
 * replaces it, counted and logged.  A withdrawal (RFC 7011 §8.1) rebuilds the table without what it names.
 * Every change marks the state for saving (persist.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/log.h"
#include "netflow_int.h"

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

/* The bytes of a slot array of size entries. */
static size_t slots_mem(uint32_t size)
{
	return size ? size * sizeof(struct ft_template) + FT_MALLOC_OVERHEAD : 0;
}

/* Doubles the table; -FT_NF_ERR_TEMPLATE_BYTES or -FT_NF_ERR_MEMORY_BUDGET when the
 * bigger table does not fit, -FT_NF_ERR_NOMEM. */
static int tpl_grow(struct ft_netflow *nf, struct exporter *e)
{
	struct tpl_table *t = &e->tpls;
	uint32_t nsize = t->size ? t->size * 2 : 16;
	size_t more = slots_mem(nsize) - slots_mem(t->size);
	if (e->tpl_mem + more > nf->o.max_template_bytes)
		return -FT_NF_ERR_TEMPLATE_BYTES;
	if (!ft_mem_take(nf, e, more))
		return -FT_NF_ERR_MEMORY_BUDGET;
	struct ft_template *n = calloc(nsize, sizeof(*n));
	if (!n) {
		ft_mem_give(nf, e, more);
		return -FT_NF_ERR_NOMEM;
	}
	e->tpl_mem += more;
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

/* Whether nt (new, or replacing old) fits the exporter's template bytes and the
 * budget, taking its bytes when it does: 0 or -enum ft_nf_error. */
static int tpl_take(struct ft_netflow *nf, struct exporter *e, const struct ft_template *nt,
                    const struct ft_template *old)
{
	size_t want = ft_tpl_mem(nt), had = old ? ft_tpl_mem(old) : 0;
	if (want <= had)
		return 0;
	if (e->tpl_mem - had + want > nf->o.max_template_bytes)
		return -FT_NF_ERR_TEMPLATE_BYTES;
	if (!ft_mem_take(nf, e, want - had))
		return -FT_NF_ERR_MEMORY_BUDGET;
	e->tpl_mem += want - had;
	return 0;
}

/* Gives back what a template held beyond `keep` bytes. */
static void tpl_give(struct ft_netflow *nf, struct exporter *e, const struct ft_template *t, size_t keep)
{
	size_t had = ft_tpl_mem(t);
	if (had > keep) {
		ft_mem_give(nf, e, had - keep);
		e->tpl_mem -= had - keep;
	}
}

/* RFC 3954 §5.2: a v9 field length is a byte count, and v9 has no variable-length
 * encoding; a 65535-byte field fits in no datagram, so the template can describe no
 * record.  Exporters that borrow IPFIX's marker (RFC 7011 §7) are read that way only
 * when the configuration says so (exporter_settings: v9_variable_length).  True, and
 * logged, when template id is refused for it. */
static bool v9_varlen_refused(struct exporter *e, uint16_t id, const struct ft_tpl_field *f, uint16_t n,
                              int64_t now)
{
	if (e->s.key.version != 9 || e->v9_varlen)
		return false;
	uint16_t i = 0;
	while (i < n && f[i].len != FT_VARLEN)
		i++;
	if (i == n)
		return false;
	char a[FT_ADDR_STRLEN];
	if (ft_log_rl_allow(&e->log_rl, now / 1000000000, 10, 3600))
		ft_log_notice(FT_LOG_NETFLOW, "exporter %s source ID %u: template %u refused: field %u has "
		              "length 65535, which NetFlow v9 cannot carry (set v9_variable_length for an "
		              "exporter that means IPFIX's variable length)", ft_addr_format(&e->s.key.addr, a),
		              e->s.key.domain, id, f[i].id);
	return true;
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
	if (v9_varlen_refused(e, id, f, n, now))
		return -FT_NF_ERR_V9_VARLEN;
	/* before compiling: a plan costs far more than the template's bytes on the wire */
	if (n > nf->o.max_template_fields)
		return -FT_NF_ERR_TEMPLATE_FIELDS;
	if (!t && e->tpls.used >= nf->o.max_templates)
		return -FT_NF_ERR_TEMPLATE_LIMIT;
	if (!t && (e->tpls.used + 1) * 2 > e->tpls.size) {
		int g = tpl_grow(nf, e);
		if (g < 0)
			return g;
	}
	/* what it takes at least (fields and ops; a plan too unless variable-length): a
	 * template that cannot fit is refused without compiling it, so that a flood of
	 * them at the budget costs no more than reading them */
	size_t least = (size_t)n * (sizeof(struct ft_tpl_field) + sizeof(struct ft_op)) +
	               2 * FT_MALLOC_OVERHEAD, had = t ? ft_tpl_mem(t) : 0;
	if (least > had && e->tpl_mem - had + least > nf->o.max_template_bytes)
		return -FT_NF_ERR_TEMPLATE_BYTES;
	if (least > had && !ft_mem_fits(nf, least - had))
		return -FT_NF_ERR_MEMORY_BUDGET;
	struct ft_template nt;
	int r = ft_tpl_compile(&nt, id, f, n, scope, options);
	if (r < 0)
		return -(int)tpl_error(r);
	if ((r = tpl_take(nf, e, &nt, t)) < 0) {
		ft_tpl_done(&nt);
		return r;
	}
	nt.refreshed_ns = now;
	bool empty_fields = nt.empty_fields > 0;
	if (t) {
		log_change(e, t, now);
		e->s.template_changes++;
		tpl_give(nf, e, t, ft_tpl_mem(&nt));
		ft_tpl_done(t);
		*t = nt;
	} else {
		*tpl_probe(e->tpls.slot, e->tpls.size, id) = nt;
		e->tpls.used++;
		e->tpls.last = NULL;
	}
	e->s.templates_active = e->tpls.used;
	e->s.templates_empty_fields += empty_fields;
	nf->templates_changed = true;
	return 0;
}

/* Rebuilds the table without the templates `drop` selects (withdrawal is rare). */
static void tpl_filter(struct ft_netflow *nf, struct exporter *e,
                       bool (*drop)(const struct ft_template *, uint16_t), uint16_t arg)
{
	struct tpl_table *t = &e->tpls;
	struct ft_template *n = calloc(t->size ? t->size : 1, sizeof(*n));
	if (!n)
		return;
	uint32_t used = 0;
	for (uint32_t i = 0; i < t->size; i++) {
		struct ft_template *s = &t->slot[i];
		if (!s->id)
			continue;
		if (drop(s, arg)) {
			tpl_give(nf, e, s, 0);
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
		tpl_filter(nf, e, id == 2 || id == 3 ? drop_kind : drop_id, id);
	e->s.templates_active = e->tpls.used;
	nf->templates_changed = true;
}

void ft_tpl_table_done(struct tpl_table *t)
{
	for (uint32_t i = 0; i < t->size; i++)
		if (t->slot[i].id)
			ft_tpl_done(&t->slot[i]);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}
