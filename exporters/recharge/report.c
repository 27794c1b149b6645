/* The month's report as JSON and CSV (recharge.h; the schema and the columns are in the
 * README, "Recharge").  Both are written by hand, field by field in a fixed order, so
 * that identical reports give identical bytes: every number is an exact integer
 * (bytes, pence, bins; the pounds column is pence written with a decimal point), and
 * the only line that changes from run to run is generated_at, which the caller leaves
 * empty to drop. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flowtally/recharge.h"

static const char *const basis_names[] = { "volume", "p95", "peak_share", "equal", "weights" };
static const char *const metric_names[] = { "in", "out", "in_plus_out", "max_in_out" };

static const char *basis_name(uint8_t b)
{
	return b == FT_BASIS__FIXED ? "fixed" : b < 5 ? basis_names[b] : "?";
}

/* "2026-10-01T00:00:00Z"; an open end as "" (membership without a limit). */
static const char *utc(int64_t ms, char buf[32])
{
	if (ms == INT64_MIN || ms == INT64_MAX) {
		buf[0] = 0;
		return buf;
	}
	time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0));
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* An unsigned 128-bit integer in decimal. */
static const char *u128(unsigned __int128 v, char buf[48])
{
	char tmp[48];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = 0;
	return buf;
}

/* ---- JSON ------------------------------------------------------------------------------ */

/* s as a JSON string: '"', '\\' and control characters escaped, other bytes as they are
 * (names and descriptions come from a configuration libconfig read: UTF-8 or ASCII). */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void jvol(FILE *f, const struct ft_volume *v)
{
	fprintf(f, "{\"bytes\": %" PRIu64 ", \"packets\": %" PRIu64 ", \"flows\": %" PRIu64 "}", v->bytes,
	        v->packets, v->flows);
}

static void jp95(FILE *f, const struct ft_p95 *p, const char *ind)
{
	fputc('{', f);
	for (int m = 0; m < 4; m++)
		fprintf(f, "%s\n%s  \"%s\": {\"bin_bytes\": %" PRIu64 ", \"bits_per_s\": %" PRIu64 "}", m ? "," : "",
		        ind, metric_names[m], p->bytes[m], ft_recharge_bin_bps(p->bytes[m]));
	fprintf(f, "\n%s}", ind);
}

static void jtenant(FILE *f, const struct ft_recharge_report *r, const struct ft_statement_tenant *t)
{
	char a[32], b[32];
	fputs("    ", f);
	jstr(f, t->m.name);
	fputs(": {\n      \"display\": ", f);
	jstr(f, t->m.display);
	fputs(",\n      \"cost_centre\": ", f);
	jstr(f, t->m.cost_centre);
	fprintf(f, ",\n      \"membership\": {\"from\": ");
	if (t->m.from_ms == INT64_MIN)
		fputs("null", f);
	else
		fprintf(f, "\"%s\"", utc(t->m.from_ms, a));
	fputs(", \"until\": ", f);
	if (t->m.until_ms == INT64_MAX)
		fputs("null", f);
	else
		fprintf(f, "\"%s\"", utc(t->m.until_ms, b));
	fprintf(f, "},\n      \"bins\": {\"member\": %" PRIu64 ", \"present\": %" PRIu64 "},\n", t->bins_member,
	        t->bins_present);
	fputs("      \"volume\": {\"in\": ", f);
	jvol(f, &t->vin);
	fputs(", \"out\": ", f);
	jvol(f, &t->vout);
	fputs("},\n      \"classes\": {", f);
	for (size_t c = 0; c < t->n_classes; c++) {
		const struct ft_statement_class *k = &t->classes[c];
		fprintf(f, "%s\n        ", c ? "," : "");
		jstr(f, k->name);
		fputs(": {\"in\": ", f);
		jvol(f, &k->vin);
		fputs(", \"out\": ", f);
		jvol(f, &k->vout);
		fputs(", \"p95\": ", f);
		jp95(f, &k->p95, "          ");
		fputs("}", f);
	}
	fprintf(f, "%s},\n      \"p95\": ", t->n_classes ? "\n      " : "");
	jp95(f, &t->p95, "      ");
	fputs(",\n      \"charges\": [", f);
	for (size_t c = 0; c < t->n_charges; c++) {
		const struct ft_statement_charge *ch = &t->charges[c];
		fprintf(f, "%s\n        {\"pool\": ", c ? "," : "");
		jstr(f, ch->pool);
		fprintf(f, ", \"basis\": \"%s\", \"pence\": %" PRIu64, basis_name(ch->basis), ch->pence);
		if (ch->basis == FT_BASIS__FIXED) {
			fputs(", \"description\": ", f);
			jstr(f, ch->description);
		}
		fputc('}', f);
	}
	fprintf(f, "%s],\n      \"total_pence\": %" PRIu64 "\n    }", t->n_charges ? "\n      " : "", t->total_pence);
	(void)r;
}

/* Whether the pool shares among the tenant: a tenant outside its members has no charge
 * line of it. */
static bool in_pool(const struct ft_statement_tenant *t, const struct ft_statement_pool *sp)
{
	for (size_t k = 0; k < t->n_charges; k++)
		if (strcmp(t->charges[k].pool, sp->name) == 0 && t->charges[k].basis == sp->basis)
			return true;
	return false;
}

int ft_report_json(FILE *f, const struct ft_recharge_report *r)
{
	const struct ft_statement *st = r->st;
	const struct ft_bins *b = r->bins;
	char a[32], c[32], n[48];
	fputs("{\n", f);
	if (r->generated_at[0])
		fprintf(f, "  \"generated_at\": \"%s\",\n", r->generated_at);
	fputs("  \"month\": ", f);
	jstr(f, r->month);
	fputs(",\n  \"timezone\": ", f);
	jstr(f, r->zone);
	fprintf(f, ",\n  \"contract_day\": %d,\n", r->contract_day);
	fprintf(f, "  \"period\": {\"start\": \"%s\", \"end\": \"%s\"},\n", utc(st->start_ms, a), utc(st->end_ms, c));
	fprintf(f, "  \"bins\": {\"expected\": %" PRIu64 ", \"present\": %" PRIu64 "},\n", st->bins_expected,
	        st->bins_present);
	fputs("  \"tenants\": {", f);
	for (size_t i = 0; i < st->n_tenants; i++) {
		fputs(i ? ",\n" : "\n", f);
		jtenant(f, r, &st->tenants[i]);
	}
	fprintf(f, "%s},\n", st->n_tenants ? "\n  " : "");
	/* Σ tenants + unattributed = total, each direction */
	struct ft_volume tin = { 0 }, tout = { 0 };
	for (size_t i = 0; i < st->n_tenants; i++) {
		ft_volume_add_checked(&tin, &st->tenants[i].vin);
		ft_volume_add_checked(&tout, &st->tenants[i].vout);
	}
	fputs("  \"unattributed\": {\"in\": ", f);
	jvol(f, &st->unattributed_in);
	fputs(", \"out\": ", f);
	jvol(f, &st->unattributed_out);
	fputs("},\n  \"total\": {\"measured\": ", f);
	jvol(f, &st->total);
	fputs(", \"tenants_in\": ", f);
	jvol(f, &tin);
	fputs(", \"tenants_out\": ", f);
	jvol(f, &tout);
	bool bal = tin.bytes + st->unattributed_in.bytes == st->total.bytes &&
	           tout.bytes + st->unattributed_out.bytes == st->total.bytes;
	fprintf(f, ", \"balances\": %s, \"charged_pence\": %" PRIu64 "},\n", bal ? "true" : "false",
	        st->charged_pence);
	fputs("  \"pools\": [", f);
	for (size_t p = 0; p < st->n_pools; p++) {
		const struct ft_statement_pool *sp = &st->pools[p];
		fprintf(f, "%s\n    {\"name\": ", p ? "," : "");
		jstr(f, sp->name);
		fprintf(f, ", \"basis\": \"%s\", \"amount_pence\": %" PRIu64 ",\n     \"shares\": {", basis_name(sp->basis),
		        sp->amount_pence);
		uint64_t sum = 0;
		bool first = true;
		for (size_t i = 0; i < st->n_tenants; i++) {
			if (!in_pool(&st->tenants[i], sp))
				continue;
			fprintf(f, "%s", first ? "" : ", ");
			jstr(f, st->tenants[i].m.name);
			fprintf(f, ": %" PRIu64, sp->shares[i]);
			sum += sp->shares[i];
			first = false;
		}
		fputs("},\n     \"weights\": {", f);
		first = true;
		for (size_t i = 0; i < st->n_tenants; i++) {
			if (!in_pool(&st->tenants[i], sp))
				continue;
			fprintf(f, "%s", first ? "" : ", ");
			jstr(f, st->tenants[i].m.name);
			fprintf(f, ": %s", u128(sp->weights[i], n));
			first = false;
		}
		fprintf(f, "}, \"charged_pence\": %" PRIu64 "}", sum);
	}
	fprintf(f, "%s],\n", st->n_pools ? "\n  " : "");
	fputs("  \"reconciliation\": [", f);
	for (size_t i = 0; i < r->n_recon; i++) {
		const struct ft_recharge_recon *x = &r->recon[i];
		char ea[FT_ADDR_STRLEN];
		fprintf(f, "%s\n    {\"device\": ", i ? "," : "");
		jstr(f, x->device);
		fputs(", \"interface\": ", f);
		jstr(f, x->interface);
		fprintf(f, ", \"exporter\": \"%s\", \"ifindex\": %u, \"direction\": \"%s\", \"flow_bytes\": %" PRIu64
		        ", \"snmp_octets\": %" PRIu64 ", \"snmp_steps_known\": %" PRIu64 ", \"snmp_steps\": %" PRIu64
		        ", \"difference_ppm\": %" PRId64 ", \"threshold_ppm\": %u, \"partial\": %s, \"flagged\": %s}",
		        ft_addr_format(&x->exporter, ea), (unsigned)x->ifindex, x->direction == FT_DIR_IN ? "in" : "out",
		        x->flow_bytes, x->snmp_octets, x->snmp_known, x->snmp_steps, x->diff_ppm,
		        (unsigned)r->recon_threshold_ppm, x->partial ? "true" : "false", x->flagged ? "true" : "false");
	}
	fprintf(f, "%s],\n", r->n_recon ? "\n  " : "");
	fputs("  \"coverage\": {\n", f);
	fprintf(f, "    \"bins_expected\": %" PRIu64 ", \"bins_present\": %" PRIu64 ", \"bins_missing\": %" PRIu64 ",\n",
	        st->bins_expected, st->bins_present, st->bins_expected - st->bins_present);
	fputs("    \"missing\": [", f);
	for (size_t g = 0; g < r->n_gaps; g++)
		fprintf(f, "%s{\"start\": \"%s\", \"end\": \"%s\", \"bins\": %" PRIu64 "}", g ? ", " : "",
		        utc(r->gaps[g].start_ms, a), utc(r->gaps[g].end_ms, c),
		        ft_recharge_bins(r->gaps[g].start_ms, r->gaps[g].end_ms));
	fprintf(f, "],\n    \"ledger_steps\": %" PRIu64 ", \"damaged_blocks\": %" PRIu64 ", \"breaks\": %" PRIu64
	        ", \"breaks_not_acknowledged\": %" PRIu64 ",\n", b ? b->steps : 0, b ? b->damaged : 0, b ? b->breaks : 0,
	        b ? b->breaks_open : 0);
	/* ledger format 2: what the exporters' counters say of the month */
	uint64_t dg = 0, rec = 0, lost = 0, nt = 0, pe = 0, sc = 0;
	for (size_t i = 0; b && i < b->n_exporters; i++) {
		dg += b->exporters[i].datagrams;
		rec += b->exporters[i].records;
		lost += b->exporters[i].seq_lost;
		nt += b->exporters[i].no_template;
		pe += b->exporters[i].parse_errors;
		sc += b->exporters[i].sampling_changes;
	}
	fprintf(f, "    \"steps_with_counters\": %" PRIu64 ", \"datagrams\": %" PRIu64 ", \"records\": %" PRIu64
	        ", \"sequence_lost\": %" PRIu64 ", \"no_template\": %" PRIu64 ", \"parse_errors\": %" PRIu64
	        ", \"kernel_drops\": %" PRIu64 ", \"sampling_changes\": %" PRIu64 ",\n", b ? b->steps_counted : 0, dg, rec,
	        lost, nt, pe, b ? b->kernel_drops : 0, sc);
	fputs("    \"exporters\": [", f);
	for (size_t i = 0; b && i < b->n_exporters; i++) {
		const struct ft_recharge_exporter *x = &b->exporters[i];
		char ea[FT_ADDR_STRLEN];
		fprintf(f, "%s\n      {\"exporter\": \"%s\", \"domain\": %u, \"ledger\": ", i ? "," : "",
		        ft_addr_format(&x->exporter, ea), (unsigned)x->domain);
		jstr(f, x->source < b->n_sources ? b->sources[x->source].dir : "");
		fprintf(f, ", \"steps\": %" PRIu64 ", \"datagrams\": %" PRIu64 ", \"records\": %" PRIu64
		        ", \"sequence_lost\": %" PRIu64 ", \"no_template\": %" PRIu64 ", \"parse_errors\": %" PRIu64
		        ", \"sampling_changes\": %" PRIu64 ", \"sampling_rate\": {\"first\": %u, \"last\": %u, \"min\": %u, "
		        "\"max\": %u}}", x->steps, x->datagrams, x->records, x->seq_lost, x->no_template, x->parse_errors,
		        x->sampling_changes, (unsigned)x->rate_first, (unsigned)x->rate_last, (unsigned)x->rate_min,
		        (unsigned)x->rate_max);
	}
	fprintf(f, "%s],\n", b && b->n_exporters ? "\n    " : "");
	fputs("    \"snmp\": [", f);
	for (size_t s = 0; s < r->n_snmp; s++) {
		const struct ft_recharge_snmp *x = &r->snmp[s];
		fprintf(f, "%s\n      {\"device\": ", s ? "," : "");
		jstr(f, x->device);
		fputs(", \"interface\": ", f);
		jstr(f, x->interface);
		fprintf(f, ", \"steps_known\": %" PRIu64 ", \"steps_unknown\": %" PRIu64 ", \"in_octets\": %" PRIu64
		        ", \"out_octets\": %" PRIu64 "}", x->steps_known, x->steps_unknown, x->in_octets, x->out_octets);
	}
	fprintf(f, "%s]\n  },\n", r->n_snmp ? "\n    " : "");
	fputs("  \"rrd_check\": {\"state\": ", f);
	fputs(r->rrd.state == FT_RRD_CHECK_AGREES ? "\"agrees\"" : r->rrd.state == FT_RRD_CHECK_DISAGREES ?
	      "\"disagrees\"" : "\"not_done\"", f);
	fprintf(f, ", \"tenants_checked\": %" PRIu64, r->rrd.tenants_checked);
	if (r->rrd.state == FT_RRD_CHECK_NOT_DONE) {
		fputs(", \"why\": ", f);
		jstr(f, r->rrd.why);
	}
	fputs(", \"differences\": [", f);
	for (size_t d = 0; d < r->rrd.n_diffs; d++) {
		const struct ft_recharge_rrd_diff *x = &r->rrd.diffs[d];
		fprintf(f, "%s{\"tenant\": ", d ? ", " : "");
		jstr(f, x->tenant);
		fprintf(f, ", \"metric\": \"%s\", \"ledger_bin_bytes\": %" PRIu64 ", \"rrd_bin_bytes\": %" PRIu64 "}",
		        x->metric < 4 ? metric_names[x->metric] : "?", x->ledger_bytes, x->rrd_bytes);
	}
	fputs("]},\n", f);
	fputs("  \"provenance\": {\n    \"version\": ", f);
	jstr(f, r->version);
	fputs(",\n    \"config\": ", f);
	if (r->config_file[0]) {
		fputs("{\"file\": ", f);
		jstr(f, r->config_file);
		fprintf(f, ", \"sha256\": \"%s\"}", r->config_sha256);
	} else {
		fputs("null", f);
	}
	fputs(",\n    \"tariff\": ", f);
	if (r->tariff) {
		fputs("{\"file\": ", f);
		jstr(f, r->tariff->file);
		fprintf(f, ", \"sha256\": \"%s\"}", r->tariff->sha256);
	} else {
		fputs("null", f);
	}
	fputs(",\n    \"tenant_maps\": [", f);
	for (size_t m = 0; b && m < b->n_maps; m++)
		fprintf(f, "%s\n      {\"id\": \"%s\", \"first_step\": \"%s\", \"end\": \"%s\", \"steps\": %" PRIu64 "}",
		        m ? "," : "", b->maps[m].id, utc(b->maps[m].first_ms, a), utc(b->maps[m].end_ms, c),
		        b->maps[m].steps);
	fprintf(f, "%s]", b && b->n_maps ? "\n    " : "");
	if (b && b->maps_more)
		fprintf(f, ",\n    \"tenant_maps_not_listed\": %" PRIu64, b->maps_more);
	fputs(",\n    \"memberships\": {", f);
	for (size_t i = 0; i < st->n_tenants; i++) {
		const struct ft_statement_member *m = &st->tenants[i].m;
		fprintf(f, "%s\n      ", i ? "," : "");
		jstr(f, m->name);
		fprintf(f, ": {\"from\": %s%s%s, \"until\": %s%s%s}", m->from_ms == INT64_MIN ? "" : "\"",
		        m->from_ms == INT64_MIN ? "null" : utc(m->from_ms, a), m->from_ms == INT64_MIN ? "" : "\"",
		        m->until_ms == INT64_MAX ? "" : "\"", m->until_ms == INT64_MAX ? "null" : utc(m->until_ms, c),
		        m->until_ms == INT64_MAX ? "" : "\"");
	}
	fprintf(f, "%s},\n", st->n_tenants ? "\n    " : "");
	fputs("    \"sources\": [", f);
	for (size_t s = 0; b && s < b->n_sources; s++) {
		fprintf(f, "%s\n      {\"ledger\": ", s ? "," : "");
		jstr(f, b->sources[s].dir);
		fprintf(f, ", \"head\": \"%s\", \"steps\": %" PRIu64 "}", b->sources[s].head, b->sources[s].steps);
	}
	fprintf(f, "%s]\n  },\n", b && b->n_sources ? "\n    " : "");
	fputs("  \"notes\": [", f);
	for (size_t i = 0; i < r->n_notes; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		jstr(f, r->notes[i]);
	}
	fprintf(f, "%s]\n}\n", r->n_notes ? "\n  " : "");
	return ferror(f) ? -EIO : 0;
}

/* ---- CSV ------------------------------------------------------------------------------- */

/* A field: quoted when it holds a comma, a quote or a line end (RFC 4180), and a text
 * that a spreadsheet would take for a formula (=, +, -, @, tab or CR first) gets a leading
 * apostrophe, the usual guard. */
static void cfield(FILE *f, const char *s, bool text)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	if (text && s[0] && strchr("=+-@\t\r", s[0]))
		fputc('\'', f);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	if (quote)
		fputc('"', f);
}

static void cpounds(FILE *f, uint64_t pence)
{
	fprintf(f, "%" PRIu64 ".%02u", pence / 100, (unsigned)(pence % 100));
}

/* One charge line: month, period, the tenant, the line, and the figures. */
static void crow(FILE *f, const struct ft_recharge_report *r, const struct ft_statement_tenant *t, const char *line,
                 const char *pool, const char *basis, const char *desc, const char *quantity, const char *unit,
                 uint64_t pence)
{
	char a[32], c[32];
	cfield(f, r->month, false);
	fputc(',', f);
	fprintf(f, "%s,%s,", utc(r->st->start_ms, a), utc(r->st->end_ms, c));
	cfield(f, t->m.cost_centre, true);
	fputc(',', f);
	cfield(f, t->m.name, true);
	fputc(',', f);
	cfield(f, t->m.display, true);
	fprintf(f, ",%s,", line);
	cfield(f, pool, true);
	fprintf(f, ",%s,", basis);
	cfield(f, desc, true);
	fprintf(f, ",%s,%s,%" PRIu64 ",", quantity, unit, pence);
	cpounds(f, pence);
	fputs("\r\n", f);
}

static const char *quantity_unit(const struct ft_statement_pool *sp)
{
	switch (sp->basis) {
	case FT_BASIS_VOLUME: return "bytes";
	case FT_BASIS_P95: return "bin_bytes";
	case FT_BASIS_PEAK_SHARE: return "peak_bytes";
	case FT_BASIS_EQUAL: return "bins";
	case FT_BASIS_WEIGHTS: return "weight_bins";
	default: return "";
	}
}

int ft_report_csv(FILE *f, const struct ft_recharge_report *r)
{
	const struct ft_statement *st = r->st;
	char q[48];
	fputs("month,period_start,period_end,cost_centre,tenant,display,line,pool,basis,description,quantity,unit,"
	      "pence,pounds\r\n", f);
	for (size_t i = 0; i < st->n_tenants; i++) {
		const struct ft_statement_tenant *t = &st->tenants[i];
		for (size_t c = 0; c < t->n_charges; c++) {
			const struct ft_statement_charge *ch = &t->charges[c];
			if (ch->basis == FT_BASIS__FIXED) {
				crow(f, r, t, "fixed", "", "fixed", ch->description, "", "", ch->pence);
				continue;
			}
			const struct ft_statement_pool *sp = NULL;
			for (size_t p = 0; p < st->n_pools && !sp; p++)
				if (strcmp(st->pools[p].name, ch->pool) == 0)
					sp = &st->pools[p];
			crow(f, r, t, "charge", ch->pool, basis_name(ch->basis), "", sp ? u128(sp->weights[i], q) : "",
			     sp ? quantity_unit(sp) : "", ch->pence);
		}
		crow(f, r, t, "total", "", "", "", "", "", t->total_pence);
	}
	return ferror(f) ? -EIO : 0;
}
