/* flowtally replay: decode a capture with the daemon's decoding code (ft_netflow_input)
 * and print the records (JSON lines) or the totals (one JSON object); with --by-tenant,
 * feed it through the daemon's whole pipeline (pipeline.h: the capture is a source like
 * the network) and sum the closed steps per tenant (tenant_report.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "flowtally/clock.h"
#include "flowtally/netflow.h"
#include "flowtally/parse.h"
#include "flowtally/config.h"
#include "flowtally/pcap.h"
#include "flowtally/pipeline.h"
#include "flowtally/snmp.h"
#include "flowtally/stats.h"
#include "flowtally/view.h"
#include "tenant_report.h"

static const char usage_text[] =
"Usage: flowtally replay [--port N] [--format json|text] [--totals] CAPTURE\n"
"       flowtally replay --format json --interfaces FILE [--port N] CAPTURE\n"
"       flowtally replay --by-tenant (--config FILE | --prefixes FILE) CAPTURE\n"
"Read a pcap or pcapng CAPTURE of export traffic, take the UDP datagrams in it (to any\n"
"port unless --port), and decode them with exactly the code flowtallyd uses.  Link\n"
"layers: Ethernet (VLAN tags allowed), Linux cooked, raw IP, BSD loopback; IPv4 and\n"
"IPv6; fragmented datagrams are reassembled.  No allow-list is applied.\n"
"\n"
"  -p, --port N        only datagrams sent to UDP port N\n"
"  -f, --format FMT    json: one JSON object per flow record (JSON lines);\n"
"                      text (default): a summary table\n"
"  -t, --totals        print one JSON object with the totals:\n"
"                      {\"datagrams\":N,\"records\":N,\"bytes\":N,\"packets\":N,\n"
"                       \"by_version\":{\"5\":{\"records\":N,\"bytes\":N,\"packets\":N},\n"
"                                     \"9\":{...},\"10\":{...}},\n"
"                       \"errors\":{\"reason\":N},\"capture\":{...}}\n"
"                      bytes and packets are the octetDeltaCount/packetDeltaCount\n"
"                      sums (IE 1/2); other counters appear under their own keys\n"
"                      (post_bytes, reverse_bytes, initiator_bytes, responder_bytes,\n"
"                      total_bytes, and the same for packets) and option_records\n"
"                      counts options data records\n"
"  -b, --by-tenant     attribute the flows to tenants with the daemon's own pipeline\n"
"                      (tenant map, sampling correction, steps of the configured\n"
"                      step and lateness, the capture's time as the clock; no\n"
"                      allow-list) and print one\n"
"                      JSON object: {\"tenants\":{\"NAME\":{\"out\":{\"bytes\":N,\n"
"                      \"packets\":N,\"flows\":N},\"in\":{...},\"classes\":{\"CLASS\":\n"
"                      {\"out\":{...},\"in\":{...}}}}},\"unattributed\":{\"src\":{...},\n"
"                      \"dst\":{...}},\"total\":{...},\"late\":{...},\n"
"                      \"not_accounted\":{...},\"map\":\"ID\"}; bytes and packets are\n"
"                      sampling-corrected, flows count records\n"
"  -c, --config FILE   with --by-tenant: the tenant map (and exporter settings,\n"
"                      step, lateness) of this flowtallyd configuration\n"
"  -P, --prefixes FILE with --by-tenant: a plain file of 'prefix tenant' lines\n"
"                      (IPv4 and IPv6, # comments) instead of a configuration;\n"
"                      the embedded defaults' step (60 s) and lateness (120 s)\n"
"                      apply\n"
"  -i, --interfaces FILE  with --format json: poll the snmp_devices of this\n"
"                      configuration once first (as flowtallyd's poller does) and\n"
"                      give each record the names and aliases of its input and output\n"
"                      interfaces (in_if_name, in_if_alias, out_if_name,\n"
"                      out_if_alias) where a device of that exporter knows them\n"
"  -h, --help          show this help and exit\n"
"\n"
"While a long replay runs, one line on standard error shows how much of the capture\n"
"is read, when standard error is a terminal (nothing otherwise).\n"
"Bytes and packets are as exported, not corrected for sampling.\n"
"\n"
"Exit status: 0 success, 1 the capture cannot be read, 2 usage or configuration\n"
"error, 3 nothing in the capture could be decoded: every UDP datagram was dropped\n"
"(sFlow, say, which is not supported yet), or there was none (to --port N); how many\n"
"and why, per reason, on standard error.\n";

/* Volumes per counter kind (enum ft_counter); bytes/packets of the totals are the
 * octetDeltaCount/packetDeltaCount sums (v5 dOctets/dPkts), as other decoders report. */
struct vtotals {
	uint64_t records, option_records;
	uint64_t bytes[6], packets[6];
	uint64_t post_bytes, post_packets, total_bytes, total_packets;  /* carried alongside */
};

struct replay {
	bool json, totals, by_tenant;
	const char *config, *prefixes, *interfaces;
	struct ft_view *ifview;     /* --interfaces: the interface table polled at the start */
	uint64_t datagrams;
	struct vtotals by_version[256];
	uint64_t errors[FT_NF_ERR__MAX];
};

static const char *const counter_keys[6] = { "", "post_", "reverse_", "initiator_", "responder_", "total_" };

static const char *const counter_names[6] = { "delta", "post", "reverse", "initiator", "responder", "total" };

/* The interface's name and alias from the interface table, when it knows them. */
static void print_if(const struct ft_view *v, const struct ft_flow *f, uint32_t ifindex, const char *side)
{
	const struct ft_view_if *i = v && ifindex ? ft_view_interface(v, &f->exporter, ifindex) : NULL;
	if (!i)
		return;
	printf(",\"%s_if_name\":", side);
	ft_cli_json_string(stdout, i->name);
	printf(",\"%s_if_alias\":", side);
	ft_cli_json_string(stdout, i->alias);
}

static void print_flow(const struct ft_flow *f, const struct ft_view *ifview)
{
	char ex[FT_ADDR_STRLEN], src[FT_ADDR_STRLEN], dst[FT_ADDR_STRLEN], nh[FT_ADDR_STRLEN], bgp[FT_ADDR_STRLEN];
	char start[40], end[40];
	printf("{\"exporter\":\"%s\",\"domain\":%" PRIu32 ",\"version\":%u,"
	       "\"start\":\"%s\",\"end\":\"%s\",\"start_ms\":%" PRId64 ",\"end_ms\":%" PRId64 ","
	       "\"src\":\"%s\",\"dst\":\"%s\",\"nexthop\":\"%s\",\"bgp_nexthop\":\"%s\","
	       "\"sport\":%u,\"dport\":%u,\"proto\":%u,\"tcp_flags\":%u,\"tos\":%u,"
	       "\"in_if\":%" PRIu32 ",\"out_if\":%" PRIu32 ",\"direction\":%u,"
	       "\"src_as\":%" PRIu32 ",\"dst_as\":%" PRIu32 ",\"src_mask\":%u,\"dst_mask\":%u,"
	       "\"vlan\":%u,\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"counter\":\"%s\","
	       "\"accounted\":%s,\"second_half\":%s,"
	       "\"sampling_rate\":%" PRIu32 ",\"sampling_mode\":%u",
	       ft_addr_format(&f->exporter, ex), f->domain, f->version,
	       ft_time_format_utc(f->start_ms * FT_NS_PER_MS, start, sizeof(start)),
	       ft_time_format_utc(f->end_ms * FT_NS_PER_MS, end, sizeof(end)), f->start_ms, f->end_ms,
	       ft_addr_format(&f->src, src), ft_addr_format(&f->dst, dst),
	       ft_addr_format(&f->nexthop, nh), ft_addr_format(&f->bgp_nexthop, bgp),
	       f->sport, f->dport, f->proto, f->tcp_flags, f->tos,
	       f->in_if, f->out_if, f->direction, f->src_as, f->dst_as, f->src_mask, f->dst_mask, f->vlan,
	       f->bytes, f->packets, counter_names[f->counter < 6 ? f->counter : 0],
	       f->flags & FT_FLOW_NOT_ACCOUNTED ? "false" : "true",
	       f->flags & FT_FLOW_SECOND_HALF ? "true" : "false", f->sampling_rate, f->sampling_mode);
	print_if(ifview, f, f->in_if, "in");
	print_if(ifview, f, f->out_if, "out");
	puts("}");
}

static void account(struct ft_flow_batch *b, void *ctx)
{
	struct replay *rp = ctx;
	for (size_t i = 0; i < b->n; i++) {
		const struct ft_flow *f = &b->flows[i];
		struct vtotals *v = &rp->by_version[f->version];
		v->records += !(f->flags & FT_FLOW_SECOND_HALF);
		v->bytes[f->counter] += f->bytes;
		v->packets[f->counter] += f->packets;
		v->post_bytes += f->post_bytes;
		v->post_packets += f->post_packets;
		v->total_bytes += f->total_bytes;
		v->total_packets += f->total_packets;
		if (rp->json)
			print_flow(f, rp->ifview);
	}
	b->n = 0;
}

/* Options records and errors come from the exporters' statistics. */
static void collect_stats(struct replay *rp, struct ft_netflow *nf)
{
	size_t n = ft_netflow_exporters(nf, NULL, 0);
	struct ft_exporter_stats *e = calloc(n + 1, sizeof(*e)), t;
	if (e) {
		ft_netflow_exporters(nf, e, n);
		for (size_t i = 0; i < n; i++)
			rp->by_version[e[i].key.version].option_records += e[i].option_records;
		free(e);
	}
	ft_netflow_totals(nf, &t);
	memcpy(rp->errors, t.errors, sizeof(rp->errors));
}

/* ---- a capture that gave nothing ---- */

/* What a drop reason means, for a reader without the README's table at hand. */
static const char *const drop_why[FT_NF_ERR__MAX] = {
	[FT_NF_ERR_SHORT_HEADER] = "shorter than a NetFlow header",
	[FT_NF_ERR_VERSION] = "not NetFlow v5, v9 or IPFIX: sFlow, for one, is not supported yet",
	[FT_NF_ERR_COUNT] = "a v5 record count outside 1 to 30",
	[FT_NF_ERR_LENGTH] = "the datagram's length disagrees with its header",
	[FT_NF_ERR_EXPORTER_LIMIT] = "more exporters than max_exporters",
	[FT_NF_ERR_SET_LENGTH] = "a set shorter than its header or running past the message",
	[FT_NF_ERR_SET_ID] = "a reserved set ID",
	[FT_NF_ERR_TEMPLATE_EMPTY] = "a v9 template with no fields",
	[FT_NF_ERR_TEMPLATE_OVERFLOW] = "a template running past its set",
	[FT_NF_ERR_TEMPLATE_ID] = "a template ID below 256",
	[FT_NF_ERR_FIELD_LENGTH] = "a field length its element cannot have",
	[FT_NF_ERR_SCOPE] = "an options template without a usable scope",
	[FT_NF_ERR_TEMPLATE_TOO_LONG] = "a template whose records fit in no message",
	[FT_NF_ERR_TEMPLATE_LIMIT] = "more templates than max_templates",
	[FT_NF_ERR_VARLEN] = "a variable-length field running past its set",
	[FT_NF_ERR_PADDING] = "non-zero bytes after the last record of a set",
	[FT_NF_ERR_NO_TEMPLATE] = "data sets whose template is not in the capture",
	[FT_NF_ERR_NOMEM] = "out of memory",
	[FT_NF_ERR_IMPLAUSIBLE_COUNTER] = "a record whose counters no link could carry (max_flow_bytes, max_flow_packets)",
	[FT_NF_ERR_TIME_RANGE] = "a record whose times lie outside max_flow_age / max_clock_skew, or before its exporter booted",
};

static void drop_line(const char *reason, uint64_t n, const char *why)
{
	if (n)
		fprintf(stderr, "  %s: %" PRIu64 " (%s)\n", reason, n, why);
}

/* Says why nothing was decoded when nothing was (no record, options record or
 * template): true then.  t: the decoder's totals of the datagrams of ps. */
static bool nothing_decoded(const char *path, uint16_t port, const struct ft_exporter_stats *t,
                            const struct ft_pcap_stats *ps)
{
	uint64_t datagrams = ps->datagrams;
	char other[64] = "UDP to another port", to[32] = "";
	if (t->records || t->option_records || t->templates)
		return false;
	if (port) {
		snprintf(other, sizeof(other), "UDP to a port other than %u", port);
		snprintf(to, sizeof(to), " to port %u", port);
	}
	if (datagrams == 1)
		fprintf(stderr, "flowtally replay: %s: nothing decoded: its one UDP datagram%s was "
		        "dropped:\n", path, to);
	else if (datagrams)
		fprintf(stderr, "flowtally replay: %s: nothing decoded: all its %" PRIu64 " UDP datagrams%s "
		        "were dropped:\n", path, datagrams, to);
	else
		fprintf(stderr, "flowtally replay: %s: nothing decoded: no UDP datagram%s among its "
		        "%" PRIu64 " frame%s%s\n", path, to, ps->frames, ft_cli_s(ps->frames),
		        ps->frames ? ":" : "");
	for (int e = 1; e < FT_NF_ERR__MAX; e++)
		drop_line(ft_nf_error_name(e), t->errors[e], drop_why[e]);
	drop_line("not_ip", ps->not_ip, "not an IPv4 or IPv6 packet");
	drop_line("not_udp", ps->not_udp, "IP, but not UDP");
	drop_line("other_port", ps->other_port, other);
	drop_line("truncated", ps->truncated, "cut short by the capture's snapshot length, or malformed");
	drop_line("fragments_incomplete", ps->fragments_incomplete, "fragments of datagrams never completed");
	return true;
}

static void print_extra(const char *key, uint64_t v)
{
	if (v)
		printf(",\"%s\":%" PRIu64, key, v);
}

static void print_version_json(const struct vtotals *t)
{
	char key[32];
	printf("{\"records\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64,
	       t->records, t->bytes[0], t->packets[0]);
	for (int c = 1; c < 6; c++) {
		snprintf(key, sizeof(key), "%sbytes", counter_keys[c]);
		print_extra(key, t->bytes[c] + (c == 1 ? t->post_bytes : c == 5 ? t->total_bytes : 0));
		snprintf(key, sizeof(key), "%spackets", counter_keys[c]);
		print_extra(key, t->packets[c] + (c == 1 ? t->post_packets : c == 5 ? t->total_packets : 0));
	}
	print_extra("option_records", t->option_records);
	putchar('}');
}

static void print_totals_json(const struct replay *rp, const struct ft_pcap_stats *ps)
{
	uint64_t records = 0, bytes = 0, packets = 0;
	for (int v = 0; v < 256; v++) {
		records += rp->by_version[v].records;
		bytes += rp->by_version[v].bytes[0];
		packets += rp->by_version[v].packets[0];
	}
	printf("{\"datagrams\":%" PRIu64 ",\"records\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64
	       ",\"by_version\":{", rp->datagrams, records, bytes, packets);
	const char *sep = "";
	for (int v = 1; v < 256; v++) {
		const struct vtotals *t = &rp->by_version[v];
		if (!t->records && !t->option_records)
			continue;
		printf("%s\"%d\":", sep, v);
		print_version_json(t);
		sep = ",";
	}
	printf("},\"errors\":{");
	sep = "";
	for (int e = 1; e < FT_NF_ERR__MAX; e++) {
		if (!rp->errors[e])
			continue;
		printf("%s\"%s\":%" PRIu64, sep, ft_nf_error_name(e), rp->errors[e]);
		sep = ",";
	}
	printf("},\"capture\":{\"frames\":%" PRIu64 ",\"udp_datagrams\":%" PRIu64 ",\"not_ip\":%" PRIu64
	       ",\"not_udp\":%" PRIu64 ",\"other_port\":%" PRIu64 ",\"truncated\":%" PRIu64
	       ",\"fragments\":%" PRIu64 ",\"reassembled\":%" PRIu64 ",\"fragments_incomplete\":%" PRIu64 "}}\n",
	       ps->frames, ps->datagrams, ps->not_ip, ps->not_udp, ps->other_port, ps->truncated,
	       ps->fragments, ps->reassembled, ps->fragments_incomplete);
}

static void print_text(const struct replay *rp, const struct ft_pcap_stats *ps)
{
	printf("%-10s %12s %16s %14s %14s\n", "version", "records", "bytes", "packets", "option records");
	for (int v = 1; v < 256; v++) {
		const struct vtotals *t = &rp->by_version[v];
		if (t->records || t->option_records)
			printf("%-10d %12" PRIu64 " %16" PRIu64 " %14" PRIu64 " %14" PRIu64 "\n", v, t->records,
			       t->bytes[0], t->packets[0], t->option_records);
	}
	printf("\n%" PRIu64 " frames, %" PRIu64 " UDP datagrams decoded\n", ps->frames, rp->datagrams);
	for (int e = 1; e < FT_NF_ERR__MAX; e++)
		if (rp->errors[e])
			printf("dropped (%s): %" PRIu64 " datagram%s\n", ft_nf_error_name(e), rp->errors[e],
			       ft_cli_s(rp->errors[e]));
}

/* The progress line of a replay, on a terminal: how much of the file is read. */
struct watch {
	struct ft_progress line;
	const struct ft_pcap_reader *rd;
};

static void show_progress(void *ctx)
{
	struct watch *w = ctx;
	uint64_t done, size;
	if (!ft_progress_due(&w->line))
		return;
	ft_pcap_position(w->rd, &done, &size);
	const struct ft_pcap_stats *ps = ft_pcap_stats(w->rd);
	char at[64] = "";
	if (size)
		snprintf(at, sizeof(at), "%.0f %% of %.1f MB, ", 100.0 * (double)done / (double)size,
		         (double)size / 1e6);
	ft_progress_show(&w->line, "flowtally replay: %s%" PRIu64 " frames read, %" PRIu64 " UDP datagrams",
	                 at, ps->frames, ps->datagrams);
}

/* streaming: records go to standard output as they are read, so no line goes between
 * them on the same terminal. */
static struct ft_pcap_reader *open_capture(const char *path, uint16_t port, struct watch *w,
                                           bool streaming)
{
	char err[256];
	struct ft_pcap_reader *rd = ft_pcap_open(path, err, sizeof(err));
	if (!rd) {
		fprintf(stderr, "flowtally replay: %s: %s\n", path, err);
		return NULL;
	}
	ft_pcap_set_port(rd, port);
	ft_progress_init(&w->line);
	w->line.on = w->line.on && !(streaming && isatty(STDOUT_FILENO));
	w->rd = rd;
	if (w->line.on)
		ft_pcap_set_progress(rd, show_progress, w);
	return rd;
}

/* Decoding only: the records, or their totals. */
static int run_decode(struct replay *rp, const char *path, uint16_t port, const struct ft_config *cfg)
{
	struct watch w;
	struct ft_pcap_reader *rd = open_capture(path, port, &w, rp->json);
	if (!rd)
		return FT_EXIT_FAILURE;
	struct ft_netflow *nf = ft_netflow_new(&cfg->netflow);
	struct ft_flow flows[256];
	struct ft_flow_batch b = { .flows = flows, .cap = 256, .flush = account, .ctx = rp };
	struct ft_datagram dg;
	int r = -ENOMEM;
	while (nf && (r = ft_pcap_next(rd, &dg)) > 0) {
		ft_netflow_input(nf, &dg, &b);
		rp->datagrams++;
	}
	if (nf) {
		account(&b, rp);
		ft_netflow_drop_pending(nf);
		collect_stats(rp, nf);
	}
	ft_progress_done(&w.line);
	if (r < 0)
		fprintf(stderr, "flowtally replay: %s: %s\n", path, strerror(-r));
	else if (rp->totals)
		print_totals_json(rp, ft_pcap_stats(rd));
	else if (!rp->json)
		print_text(rp, ft_pcap_stats(rd));
	struct ft_exporter_stats t = { .records = 1 };
	if (nf) {
		ft_netflow_totals(nf, &t);
		ft_netflow_free(nf);
	}
	if (r == 0 && nothing_decoded(path, port, &t, ft_pcap_stats(rd)))
		r = 1;
	ft_pcap_close(rd);
	return r < 0 ? FT_EXIT_FAILURE : r ? FT_EXIT_NOTHING : FT_EXIT_OK;
}

static void print_diag(struct ft_diag *d, bool warnings)
{
	for (size_t i = 0; i < d->n; i++)
		if (warnings || !d->warning[i])
			fprintf(stderr, "%s\n", d->lines[i]);
	ft_diag_done(d);
}

/* The capture through the daemon's pipeline, as a source, and its steps summed. */
static int run_by_tenant(const char *path, uint16_t port, const struct ft_config *cfg)
{
	struct ft_pipeline_opts po = { .accept_all = true };
	struct ft_diag d = { 0 };
	struct ft_view *v = NULL;
	int r = ft_view_build(cfg, &d, &v);
	ft_diag_sort(&d);
	print_diag(&d, false);      /* the lint's warnings are for check-config */
	if (r < 0)
		return r == -EINVAL ? FT_EXIT_USAGE : FT_EXIT_FAILURE;
	struct watch w;
	struct ft_pcap_reader *rd = open_capture(path, port, &w, false);
	struct tenant_report *t = rd ? tenant_report_new(v->tenants) : NULL;
	struct ft_pipeline *p = NULL;
	int ret = FT_EXIT_FAILURE;
	/* the capture's first timestamp starts the step clock, as in flowtallyd --replay */
	if (t && ft_pipeline_new(cfg, &po, v, INT64_MIN / 4, &p) == 0) {
		r = ft_pipeline_replay(p, rd, &(struct ft_step_out){ tenant_report_step, t });
		ft_progress_done(&w.line);
		if (r < 0)
			fprintf(stderr, "flowtally replay: %s: %s\n", path, strerror(-r));
		else
			tenant_report_print(t);
		ret = r < 0 || tenant_report_bad_steps(t) ? FT_EXIT_FAILURE : FT_EXIT_OK;
		struct ft_stats s;
		ft_stats_init(&s, 0, "replay");
		if (ret == FT_EXIT_OK && ft_pipeline_stats(p, &s) == 0 &&
		    nothing_decoded(path, port, &s.totals, ft_pcap_stats(rd)))
			ret = FT_EXIT_NOTHING;
		ft_stats_done(&s);
	}
	ft_pipeline_free(p);
	tenant_report_free(t);
	ft_pcap_close(rd);
	ft_view_free(v);
	return ret;
}

/* The configuration: a file, or the embedded defaults with a prefix file's tenants. */
static int replay_config(const struct replay *rp, struct ft_config **ret)
{
	struct ft_diag d = { 0 };
	int r;
	if (rp->config) {
		r = ft_config_load(rp->config, ret, &d);
	} else {
		*ret = ft_config_new_default();
		r = *ret ? 0 : -ENOMEM;
		if (r == 0 && rp->prefixes)
			r = ft_tenant_conf_read_prefixes(&(*ret)->tenants, rp->prefixes, true, FT_TIME_MIN,
			                                 FT_TIME_MAX, &d);

	}
	print_diag(&d, true);
	if (r < 0)
		*ret = ft_config_free(*ret);
	return r < 0 ? (r == -EINVAL ? FT_EXIT_USAGE : FT_EXIT_FAILURE) : FT_EXIT_OK;
}

/* --interfaces: every device of the file polled once, its interfaces into a view. */
struct if_list {
	struct ft_tenant_if *ifs;
	struct ft_snmp_if *rows;
	size_t n;
};

static void collect_ifs(void *ctx, const struct ft_snmp_device *d, int status, const struct ft_snmp_poll *p)
{
	struct if_list *l = ctx;
	if (status != 0)
		return;
	struct ft_tenant_if *ifs = realloc(l->ifs, (l->n + p->n_ifs + 1) * sizeof(*ifs));
	struct ft_snmp_if *rows = ifs ? realloc(l->rows, (l->n + p->n_ifs + 1) * sizeof(*rows)) : NULL;
	if (ifs)
		l->ifs = ifs;
	if (!rows)
		return;
	l->rows = rows;
	for (size_t i = 0; i < p->n_ifs; i++)
		l->rows[l->n + i] = p->ifs[i];
	for (size_t i = 0; i < p->n_ifs; i++)
		l->ifs[l->n + i] = (struct ft_tenant_if){ .device = d->name, .exporters = d->exporters,
		                                          .n_exporters = d->n_exporters, .ifindex = p->ifs[i].ifindex };
	l->n += p->n_ifs;
}

static int poll_interfaces(struct replay *rp)
{
	struct ft_config *cfg = NULL;
	if (ft_cli_load_config(rp->interfaces, &cfg) < 0)
		return FT_EXIT_USAGE;
	struct if_list l = { 0 };
	struct ft_snmp_poller *p = NULL;
	struct ft_snmp_poller_env env = { .conf = &cfg->snmp, .step_ms = cfg->agg.step_ms, .polled = collect_ifs,
	                                  .ctx = &l };
	ft_snmp_init("flowtally");
	if (ft_snmp_poller_new(&env, &p) == 0)
		ft_snmp_poller_cycle(p);
	struct ft_snmp_device_stats st[FT_SNMP_DEVICES_MAX];
	size_t n = p ? ft_snmp_poller_stats(p, st, FT_SNMP_DEVICES_MAX) : 0;
	for (size_t i = 0; i < n; i++)
		if (st[i].state != FT_SNMP_UP)
			fprintf(stderr, "flowtally replay: %s (its interfaces have no names)\n", st[i].last_error);
	/* the rows moved while the list grew: the names are pointed at now */
	for (size_t i = 0; i < l.n; i++) {
		l.ifs[i].name = l.rows[i].name;
		l.ifs[i].alias = l.rows[i].alias;
		l.ifs[i].descr = l.rows[i].descr;
	}
	int r = ft_view_build_ifs(cfg, l.ifs, l.n, NULL, &rp->ifview);
	ft_snmp_poller_free(p);
	free(l.ifs);
	free(l.rows);
	ft_config_free(cfg);
	return r < 0 ? FT_EXIT_USAGE : FT_EXIT_OK;
}

static int run_with_config(struct replay *rp, const char *path, uint16_t port)
{
	struct ft_config *cfg = NULL;
	int ret = rp->interfaces ? poll_interfaces(rp) : FT_EXIT_OK;
	if (ret == FT_EXIT_OK)
		ret = replay_config(rp, &cfg);
	if (ret == FT_EXIT_OK)
		ret = rp->by_tenant ? run_by_tenant(path, port, cfg) : run_decode(rp, path, port, cfg);
	ft_config_free(cfg);
	rp->ifview = ft_view_free(rp->ifview);
	return ret;
}

static int parse_port(const char *s, uint16_t *ret)
{
	uint64_t v;
	int r = ft_parse_u64(s, 1, 65535, &v);
	if (r == 0)
		*ret = (uint16_t)v;
	return r;
}

int ft_cmd_replay(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "port", required_argument, NULL, 'p' }, { "format", required_argument, NULL, 'f' },
		{ "totals", no_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
		{ "by-tenant", no_argument, NULL, 'b' }, { "config", required_argument, NULL, 'c' },
		{ "prefixes", required_argument, NULL, 'P' }, { "interfaces", required_argument, NULL, 'i' }, { 0 },
	};
	struct replay *rp = calloc(1, sizeof(*rp));
	uint16_t port = 0;
	int c, ret = rp ? -1 : FT_EXIT_FAILURE;
	optind = 1;
	while (ret < 0 && (c = getopt_long(argc, argv, "p:f:thbc:P:i:", lopts, NULL)) != -1) {
		if (c == 'p' && parse_port(optarg, &port) < 0) {
			fprintf(stderr, "flowtally replay: --port '%s' is not a port number (1-65535)\n", optarg);
			ret = FT_EXIT_USAGE;
		} else if (c == 'f' && strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
			fprintf(stderr, "flowtally replay: --format must be json or text, not '%s'\n", optarg);
			ret = FT_EXIT_USAGE;
		} else if (c == 'f') {
			rp->json = strcmp(optarg, "json") == 0;
		} else if (c == 't') {
			rp->totals = true;
		} else if (c == 'b') {
			rp->by_tenant = true;
		} else if (c == 'c') {
			rp->config = optarg;
		} else if (c == 'P') {
			rp->prefixes = optarg;
		} else if (c == 'i') {
			rp->interfaces = optarg;
		} else if (c == 'h') {
			fputs(usage_text, stdout);
			ret = FT_EXIT_OK;
		} else if (c != 'p' && c != 'b' && c != 'c' && c != 'P' && c != 'i') {
			fputs(usage_text, stderr);
			ret = FT_EXIT_USAGE;
		}
	}
	if (ret < 0 && optind != argc - 1) {
		fputs(usage_text, stderr);
		ret = FT_EXIT_USAGE;
	}
	if (ret < 0 && rp->by_tenant && !rp->config == !rp->prefixes) {
		fprintf(stderr, "flowtally replay: --by-tenant needs --config FILE or --prefixes FILE\n");
		ret = FT_EXIT_USAGE;
	}
	if (ret < 0 && rp->interfaces && !rp->json) {
		fprintf(stderr, "flowtally replay: --interfaces names the interfaces of --format json's records\n");
		ret = FT_EXIT_USAGE;
	}
	if (ret < 0 && rp->by_tenant && (rp->json || rp->totals)) {
		fprintf(stderr, "flowtally replay: --by-tenant prints its own JSON: no --totals or --format json\n");
		ret = FT_EXIT_USAGE;
	}
	if (ret < 0)
		ret = run_with_config(rp, argv[optind], port);
	free(rp);
	return ret;
}
