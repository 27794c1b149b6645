/* Statistics snapshots: merged by exporter key, written as JSON with jansson (a
 * well-kept JSON library: correct escaping and number handling for a file that other
 * programs parse), atomically via a temporary file and rename(2). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "flowtally/stats.h"

static uint64_t estimate(const struct ft_source_count *c)
{
	return c->datagrams + c->error;
}

/* The listed source with the lowest estimate: Space-Saving's next to give way. */
static size_t lowest(const struct ft_rejects *r)
{
	size_t j = 0;
	for (size_t i = 1; i < r->n; i++)
		if (estimate(&r->src[i]) < estimate(&r->src[j]))
			j = i;
	return j;
}

static ptrdiff_t find_source(const struct ft_rejects *r, const struct ft_addr *a)
{
	for (size_t i = 0; i < r->n; i++)
		if (ft_addr_equal(&r->src[i].addr, a))
			return (ptrdiff_t)i;
	return -1;
}

void ft_rejects_add(struct ft_rejects *r, const struct ft_addr *a, uint64_t count)
{
	r->total += count;
	if (r->n && ft_addr_equal(&r->src[r->last].addr, a)) {
		r->src[r->last].datagrams += count;
		return;
	}
	ptrdiff_t i = find_source(r, a);
	if (i >= 0) {
		r->src[i].datagrams += count;
		r->last = (size_t)i;
		return;
	}
	/* Not listed, the newcomer may have sent up to floor before (0 until a source gave way). */
	if (r->n < FT_REJECTS_MAX) {
		r->src[r->n] = (struct ft_source_count){ *a, count, r->floor };
		r->last = r->n++;
		return;
	}
	/* The one that gives way may have sent up to its estimate: floor covers it now.  In
	 * one stream floor never exceeds the lowest estimate, so the newcomer's error is
	 * Space-Saving's; after a merge floor can, and then it is the bound. */
	size_t j = lowest(r);
	uint64_t gone = estimate(&r->src[j]);
	r->other += r->src[j].datagrams;
	if (gone > r->floor)
		r->floor = gone;
	r->src[j] = (struct ft_source_count){ *a, count, r->floor };
	r->last = j;
}

static int cmp_estimate_desc(const void *x, const void *y)
{
	uint64_t a = estimate(x), b = estimate(y);
	return (a < b) - (a > b);
}

/* What one side of a merge says of a source the other side lists: its entry, or, when
 * it does not list it, nothing counted and up to its floor sent. */
static void take_side(struct ft_source_count *c, const struct ft_rejects *side)
{
	ptrdiff_t i = find_source(side, &c->addr);
	if (i < 0) {
		c->error += side->floor;
		return;
	}
	c->datagrams += side->src[i].datagrams;
	c->error += side->src[i].error;
}

void ft_rejects_merge(struct ft_rejects *dst, const struct ft_rejects *src)
{
	struct ft_source_count all[2 * FT_REJECTS_MAX];
	size_t n = 0;
	uint64_t floor = dst->floor + src->floor;   /* a source neither lists */
	for (size_t i = 0; i < dst->n; i++) {
		all[n] = dst->src[i];
		take_side(&all[n++], src);
	}
	for (size_t i = 0; i < src->n; i++) {
		if (find_source(dst, &src->src[i].addr) >= 0)
			continue;
		all[n] = src->src[i];
		all[n].error += dst->floor;
		n++;
	}
	dst->total += src->total;
	dst->other += src->other;
	if (n > FT_REJECTS_MAX) {
		qsort(all, n, sizeof(*all), cmp_estimate_desc);
		for (size_t i = FT_REJECTS_MAX; i < n; i++) {
			dst->other += all[i].datagrams;
			if (estimate(&all[i]) > floor)
				floor = estimate(&all[i]);
		}
		n = FT_REJECTS_MAX;
	}
	memcpy(dst->src, all, n * sizeof(*all));
	dst->n = n;
	dst->floor = floor;
	dst->last = 0;
}

void ft_stats_init(struct ft_stats *s, int64_t started_ns, const char *mode)
{
	*s = (struct ft_stats){ .started_ns = started_ns };
	snprintf(s->mode, sizeof(s->mode), "%s", mode);
}

void ft_stats_done(struct ft_stats *s)
{
	free(s->exporters);
	free(s->listeners);
	free(s->sinks);
	free(s->snmp);
	*s = (struct ft_stats){ 0 };
}

void ft_stats_clear(struct ft_stats *s)
{
	s->n_exporters = 0;
	s->n_listeners = 0;
	memset(&s->totals, 0, sizeof(s->totals));
	memset(&s->memory, 0, sizeof(s->memory));
	memset(&s->rejects, 0, sizeof(s->rejects));
	s->agg_refused = 0;
	s->have_pcap = false;
	s->have_dashboard = false;
}

static bool same_key(const struct ft_exporter_key *a, const struct ft_exporter_key *b)
{
	return a->version == b->version && a->domain == b->domain && ft_addr_equal(&a->addr, &b->addr);
}

static int add_exporter(struct ft_stats *s, const struct ft_exporter_stats *e)
{
	for (size_t i = 0; i < s->n_exporters; i++) {
		if (same_key(&s->exporters[i].key, &e->key)) {
			ft_exporter_stats_add(&s->exporters[i], e);
			return 0;
		}
	}
	if (s->n_exporters == s->cap_exporters) {
		size_t cap = s->cap_exporters ? s->cap_exporters * 2 : 16;
		struct ft_exporter_stats *n = realloc(s->exporters, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->exporters = n;
		s->cap_exporters = cap;
	}
	s->exporters[s->n_exporters++] = *e;
	return 0;
}

/* The receive threads share one budget: each reports the same one, so the figures are
 * the largest seen (taken at slightly different moments), never a sum. */
static void memory_merge(struct ft_netflow_memory *dst, const struct ft_netflow_memory *src)
{
	dst->used = src->used > dst->used ? src->used : dst->used;
	dst->limit = src->limit > dst->limit ? src->limit : dst->limit;
	dst->refused = src->refused > dst->refused ? src->refused : dst->refused;
}

int ft_stats_add_netflow(struct ft_stats *s, const struct ft_netflow *nf)
{
	struct ft_netflow_memory mem;
	ft_netflow_memory(nf, &mem);
	memory_merge(&s->memory, &mem);
	size_t n = ft_netflow_exporters(nf, NULL, 0);
	struct ft_exporter_stats *tmp = calloc(n + 1, sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	ft_netflow_exporters(nf, tmp, n);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = add_exporter(s, &tmp[i]);
	free(tmp);
	struct ft_exporter_stats t;
	ft_netflow_totals(nf, &t);
	ft_exporter_stats_add(&s->totals, &t);
	return r;
}

int ft_stats_add_listener(struct ft_stats *s, const char *name, const struct ft_listener_stats *ls)
{
	for (size_t i = 0; i < s->n_listeners; i++) {
		struct ft_listener_stats *d = &s->listeners[i].st;
		if (strcmp(s->listeners[i].name, name) != 0)
			continue;
		d->datagrams += ls->datagrams;
		d->bytes += ls->bytes;
		d->kernel_drops += ls->kernel_drops;
		d->truncated += ls->truncated;
		d->recv_errors += ls->recv_errors;
		return 0;
	}
	struct ft_stats_listener *n = realloc(s->listeners, (s->n_listeners + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->listeners = n;
	snprintf(n[s->n_listeners].name, sizeof(n->name), "%s", name);
	n[s->n_listeners++].st = *ls;
	return 0;
}

int ft_stats_set_sinks(struct ft_stats *s, const struct ft_sink_report *r, size_t n)
{
	struct ft_sink_report *c = realloc(s->sinks, (n + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (n)
		memcpy(c, r, n * sizeof(*c));
	s->sinks = c;
	s->n_sinks = n;
	return 0;
}

int ft_stats_set_snmp(struct ft_stats *s, const struct ft_snmp_device_stats *d, size_t n)
{
	struct ft_snmp_device_stats *c = realloc(s->snmp, (n + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (n)
		memcpy(c, d, n * sizeof(*c));
	s->snmp = c;
	s->n_snmp = n;
	return 0;
}

int ft_stats_merge(struct ft_stats *dst, const struct ft_stats *src)
{
	for (size_t i = 0; i < src->n_exporters; i++)
		if (add_exporter(dst, &src->exporters[i]) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < src->n_listeners; i++)
		if (ft_stats_add_listener(dst, src->listeners[i].name, &src->listeners[i].st) < 0)
			return -ENOMEM;
	ft_exporter_stats_add(&dst->totals, &src->totals);
	memory_merge(&dst->memory, &src->memory);
	ft_rejects_merge(&dst->rejects, &src->rejects);
	dst->agg_refused += src->agg_refused;
	if (src->have_pcap) {
		dst->have_pcap = true;
		dst->pcap = src->pcap;
	}
	return 0;
}

/* JSON integers are signed 64-bit in jansson: a counter beyond that (only garbage from
 * an exporter gets there) is written as the largest one. */
static json_int_t jint(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v;
}

static json_t *time_json(int64_t ns)
{
	char buf[40];
	return ns ? json_string(ft_time_format_utc(ns, buf, sizeof(buf))) : json_null();
}

static json_t *errors_json(const uint64_t errors[FT_NF_ERR__MAX])
{
	json_t *o = json_object();
	for (int i = 1; i < FT_NF_ERR__MAX; i++)
		json_object_set_new(o, ft_nf_error_name(i), json_integer(jint(errors[i])));
	return o;
}

static uint64_t error_sum(const uint64_t errors[FT_NF_ERR__MAX])
{
	uint64_t n = 0;
	for (int i = 1; i < FT_NF_ERR__MAX; i++)
		n += errors[i];
	return n;
}

/* Datagrams dropped whole, each under one reason: datagrams = accepted + dropped. */
static uint64_t dropped_sum(const uint64_t errors[FT_NF_ERR__MAX])
{
	uint64_t n = 0;
	for (int i = 1; i < FT_NF_ERR__MAX; i++)
		if (ft_nf_error_drops_datagram(i))
			n += errors[i];
	return n;
}

static json_t *counters_json(const struct ft_exporter_stats *e)
{
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"datagrams", jint(e->datagrams), "accepted", jint(e->accepted),
		"dropped", jint(dropped_sum(e->errors)), "records", jint(e->records),
		"bytes", jint(e->bytes), "packets", jint(e->packets),
		"lost_records", jint(e->lost_records), "lost_datagrams", jint(e->lost_datagrams),
		"sequence_resets", jint(e->seq_resets), "reordered", jint(e->reordered),
		"parse_errors", jint(error_sum(e->errors)));
	json_object_update_missing_new(o, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"header_count_mismatch", jint(e->header_count_mismatch),
		"refused_bytes", jint(e->refused_bytes), "refused_packets", jint(e->refused_packets),
		"option_records", jint(e->option_records), "templates", jint(e->templates),
		"templates_active", jint(e->templates_active),
		"template_changes", jint(e->template_changes),
		"templates_empty_fields", jint(e->templates_empty_fields),
		"pending_sets", jint(e->pending_sets), "pending_decoded", jint(e->pending_decoded),
		"address_limit", jint(e->address_limit), "evicted_exporters", jint(e->evicted)));
	json_object_update_missing_new(o, json_pack("{s:I,s:I}",
		"withdrawals", jint(e->withdrawals),
		"withdrawals_ignored", jint(e->withdrawals_ignored)));
	return o;
}

static json_t *exporter_json(const struct ft_exporter_stats *e)
{
	char a[FT_ADDR_STRLEN];
	json_t *o = counters_json(e);
	json_object_set_new(o, "address", json_string(ft_addr_format(&e->key.addr, a)));
	json_object_set_new(o, "version", json_integer(e->key.version));
	if (e->key.version == 5) {
		json_object_set_new(o, "engine_type", json_integer(e->key.domain >> 8));
		json_object_set_new(o, "engine_id", json_integer(e->key.domain & 0xff));
	} else {
		json_object_set_new(o, "domain", json_integer(e->key.domain));
	}
	json_object_set_new(o, "sampling_rate", json_integer(e->sampling_rate));
	json_object_set_new(o, "sampling_mode", json_integer(e->sampling_mode));
	json_object_set_new(o, "sampling_changes", json_integer(jint(e->sampling_changes)));
	json_object_set_new(o, "sampling_changed", time_json(e->sampling_changed_ns));
	json_object_set_new(o, "errors", errors_json(e->errors));
	json_object_set_new(o, "first_seen", time_json(e->first_seen_ns));
	json_object_set_new(o, "last_seen", time_json(e->last_seen_ns));
	return o;
}

static json_t *listeners_json(const struct ft_stats *s, uint64_t *ret_drops)
{
	json_t *a = json_array();
	uint64_t drops = 0;
	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct ft_listener_stats *l = &s->listeners[i].st;
		drops += l->kernel_drops;
		json_array_append_new(a, json_pack("{s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			"address", s->listeners[i].name, "port", (int)l->port, "datagrams", jint(l->datagrams),
			"bytes", jint(l->bytes), "kernel_drops", jint(l->kernel_drops),
			"truncated", jint(l->truncated), "receive_errors", jint(l->recv_errors),
			"receive_buffer", jint(l->rcvbuf), "receive_buffer_configured", jint(l->rcvbuf_asked)));
	}
	*ret_drops = drops;
	return a;
}

/* Datagrams the sources handed to the pipelines: every listener's, or the capture's. */
static uint64_t received(const struct ft_stats *s)
{
	uint64_t n = s->have_pcap ? s->pcap.datagrams : 0;
	for (size_t i = 0; i < s->n_listeners; i++)
		n += s->listeners[i].st.datagrams;
	return n;
}

static int cmp_datagrams_desc(const void *x, const void *y)
{
	const struct ft_source_count *a = x, *b = y;
	if (a->datagrams != b->datagrams)
		return (a->datagrams < b->datagrams) - (a->datagrams > b->datagrams);
	return memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
}

/* The listed sources heaviest first; by_source_error only for those that may have sent
 * more than they are listed with. */
static json_t *rejects_json(const struct ft_rejects *r)
{
	char a[FT_ADDR_STRLEN];
	struct ft_source_count src[FT_REJECTS_MAX];
	json_t *by = json_object(), *err = json_object();
	memcpy(src, r->src, r->n * sizeof(*src));
	qsort(src, r->n, sizeof(*src), cmp_datagrams_desc);
	for (size_t i = 0; i < r->n; i++) {
		ft_addr_format(&src[i].addr, a);
		json_object_set_new(by, a, json_integer(jint(src[i].datagrams)));
		if (src[i].error)
			json_object_set_new(err, a, json_integer(jint(src[i].error)));
	}
	return json_pack("{s:I,s:I,s:I,s:o,s:o}", "datagrams", jint(r->total),
	                 "other_sources", jint(r->other), "other_source_max", jint(r->floor),
	                 "by_source", by, "by_source_error", err);
}

static json_t *pcap_json(const struct ft_pcap_stats *p)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"frames", jint(p->frames), "datagrams", jint(p->datagrams),
		"not_ip", jint(p->not_ip), "not_udp", jint(p->not_udp),
		"other_port", jint(p->other_port), "truncated", jint(p->truncated),
		"fragments", jint(p->fragments), "reassembled", jint(p->reassembled),
		"fragments_incomplete", jint(p->fragments_incomplete));
}

/* Every sink's counters, then its own rows, under its name. */
static json_t *sink_json(const struct ft_sink_report *r)
{
	const struct ft_sink_counts *c = &r->c;
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
		"steps_written", jint(c->written), "steps_refused", jint(c->refused),
		"write_errors", jint(c->errors), "steps_dropped", jint(c->dropped),
		"steps_pending", jint(c->pending), "interface_steps_written", jint(c->samples),
		"write_retries", jint(c->retries),
		"last_step", time_json(c->last_ms * FT_NS_PER_MS));
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct ft_sink_stat *row = &r->rows[i];
		json_t *v = row->kind == FT_SINK_STAT_TIME_MS ? time_json(row->value * FT_NS_PER_MS) :
		            row->kind == FT_SINK_STAT_TEXT ? json_string(row->text) : json_integer(row->value);
		json_object_set_new(o, row->name, v ? v : json_null());
	}
	return o;
}

static json_t *sinks_json(const struct ft_stats *s)
{
	json_t *o = json_object();
	for (size_t i = 0; i < s->n_sinks; i++)
		json_object_set_new(o, s->sinks[i].name, sink_json(&s->sinks[i]));
	return o;
}

/* One SNMP device: its state, its last error, its polls and what its intervals were. */
static json_t *snmp_device_json(const struct ft_snmp_device_stats *d)
{
	json_t *v = json_object();
	for (unsigned k = 0; k < FT_SNMP__VERDICTS; k++)
		json_object_set_new(v, ft_snmp_verdict_name(k), json_integer(jint(d->verdicts[k])));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
		"name", d->name, "address", d->address, "state", ft_snmp_state_name(d->state),
		"sys_name", d->sys_name, "last_error", d->last_error,
		"last_error_at", time_json(d->last_error_ms * FT_NS_PER_MS),
		"last_ok_at", time_json(d->last_ok_ms * FT_NS_PER_MS), "last_poll_ms", (json_int_t)d->last_poll_ms,
		"polls", jint(d->polls), "failures", jint(d->failures), "skipped", jint(d->skipped),
		"interfaces", jint(d->interfaces), "rows_over_cap", jint(d->rows_over_cap),
		"filtered", jint(d->filtered), "reindexed", jint(d->reindexed), "steps", jint(d->steps),
		"steps_unknown", jint(d->steps_unknown), "intervals", v);
}

static json_t *dashboard_json(const struct ft_stats_dashboard *d)
{
	return json_pack("{s:I,s:b,s:I,s:I,s:I,s:I,s:o,s:I,s:o,s:o,s:s}",
		"interval_s", (json_int_t)d->interval_s, "running", d->running, "renders", jint(d->renders),
		"failures", jint(d->failures), "killed", jint(d->killed), "skipped", jint(d->skipped),
		"last_start", time_json(d->last_start_ns), "last_duration_ms", (json_int_t)d->last_duration_ms,
		"last_exit_status", d->last_exit >= 0 ? json_integer(d->last_exit) : json_null(),
		"last_signal", d->last_signal ? json_integer(d->last_signal) : json_null(),
		"last_result", d->last_result);
}

static int cmp_exporter(const void *a, const void *b)
{
	const struct ft_exporter_key *x = &((const struct ft_exporter_stats *)a)->key;
	const struct ft_exporter_key *y = &((const struct ft_exporter_stats *)b)->key;
	int c = memcmp(x->addr.b, y->addr.b, 16);
	if (c)
		return c;
	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return x->domain < y->domain ? -1 : x->domain > y->domain;
}

static json_t *stats_json(struct ft_stats *s)
{
	int64_t now = ft_clock_now_ns();
	uint64_t drops;
	json_t *root = json_object();
	json_object_set_new(root, "schema", json_integer(2));
	json_object_set_new(root, "mode", json_string(s->mode));
	json_object_set_new(root, "generated", time_json(now));
	json_object_set_new(root, "started", time_json(s->started_ns));
	json_object_set_new(root, "uptime_s", json_integer((now - s->started_ns) / FT_NS_PER_SEC));
	json_t *totals = counters_json(&s->totals);
	json_object_set_new(root, "listeners", listeners_json(s, &drops));
	json_object_set_new(totals, "kernel_drops", json_integer(jint(drops)));
	json_object_set_new(totals, "rejected_datagrams", json_integer(jint(s->rejects.total)));
	/* = accepted + dropped + rejected_datagrams */
	json_object_set_new(totals, "received", json_integer(jint(received(s))));
	json_object_set_new(totals, "aggregation_refused", json_integer(jint(s->agg_refused)));
	json_object_set_new(root, "totals", totals);
	json_object_set_new(root, "errors", errors_json(s->totals.errors));
	json_object_set_new(root, "memory", json_pack("{s:I,s:I,s:I}",
		"used_bytes", jint(s->memory.used), "limit_bytes", jint(s->memory.limit),
		"refused", jint(s->memory.refused)));
	json_object_set_new(root, "rejected", rejects_json(&s->rejects));
	json_t *ex = json_array();
	if (s->n_exporters)
		qsort(s->exporters, s->n_exporters, sizeof(*s->exporters), cmp_exporter);
	for (size_t i = 0; i < s->n_exporters; i++)
		json_array_append_new(ex, exporter_json(&s->exporters[i]));
	json_object_set_new(root, "exporters", ex);
	if (s->have_pcap)
		json_object_set_new(root, "capture", pcap_json(&s->pcap));
	if (s->n_sinks)
		json_object_set_new(root, "sinks", sinks_json(s));
	if (s->n_snmp) {
		json_t *a = json_array();
		for (size_t i = 0; i < s->n_snmp; i++)
			json_array_append_new(a, snmp_device_json(&s->snmp[i]));
		json_object_set_new(root, "snmp_devices", a);
	}
	if (s->have_dashboard)
		json_object_set_new(root, "dashboard", dashboard_json(&s->dashboard));
	return root;
}

int ft_stats_write_json(struct ft_stats *s, const char *path)
{
	json_t *root = stats_json(s);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	size_t len = strlen(text);
	char *withnl = realloc(text, len + 2);
	if (!withnl) {
		free(text);
		return -ENOMEM;
	}
	withnl[len] = '\n';
	int r = ft_file_write_atomic(path, withnl, len + 1);
	free(withnl);
	return r;
}
