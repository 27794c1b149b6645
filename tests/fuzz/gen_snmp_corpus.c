/* Writes the seed corpus of fuzz_snmp: run by hand,
 *   build/tests/fuzz/gen_snmp_corpus tests/fuzz/corpus/snmp
 * Each seed is a settings byte and the PDUs that answer a poll's requests in turn (as
 * fuzz_snmp reads them), written with tests/unit/snmp_build.h:
 *   whole-3        three interfaces: the names walk in one answer, two counters GETs
 *                  (Counter64 above 2^63, Counter32 at its top);
 *   walk-steps     max_repetitions 2: the names walk one row an answer;
 *   no-ifxtable    ifName answered past its column, keyed by ifDescr: ifTable's 10 columns;
 *   lacking        noSuchObject for the 64-bit counters, noSuchInstance for an ifAlias;
 *   filters        four interfaces, include "eth*";
 *   cap            max_rows 3 of four interfaces;
 *   toobig         the first GET answered tooBig, then one row an answer;
 *   wrong-types    values of other types than their columns', an OID going back;
 *   report         a report (unknown user) before the answer;
 *   walk-refused   the names walk answered genErr;
 *   end-of-view    endOfMibView for both columns. */
#include <stdio.h>
#include <string.h>

#include "../unit/snmp_build.h"

struct agent_if {
	uint32_t ifindex;
	const char *name, *descr, *alias;
	uint64_t hc;
	uint32_t c32;
};

static const struct agent_if ifs[] = {
	{ 1, "lo", "loopback", "", 5, 1 },
	{ 2, "eth0", "Ethernet 0", "uplink", 9223372036854788153ull, 4294967295u },
	{ 3, "eth1", "Ethernet 1", "customer", 18446744073709551615ull, 2147483648u },
	{ 4, "eth2", "Ethernet 2", "", 1ull << 32, 65536 },
};

/* The columns of a row's GET, in the order the walker asks them. */
static const struct { bool x; uint32_t col; } get_x[17] = {
	{ true, 18 }, { true, 15 }, { false, 5 }, { false, 8 }, { true, 19 }, { true, 6 }, { true, 10 },
	{ true, 7 }, { true, 11 }, { false, 10 }, { false, 16 }, { false, 11 }, { false, 17 }, { false, 14 },
	{ false, 20 }, { false, 13 }, { false, 19 },
};

struct seed {
	uint8_t b[SB_SIZE];
	size_t n;
};

static void add(struct seed *o, const struct sb *s)
{
	if (s->overflow || o->n + 2 + s->n > sizeof(o->b)) {
		fprintf(stderr, "a seed does not fit\n");
		return;
	}
	o->b[o->n++] = (uint8_t)(s->n >> 8);
	o->b[o->n++] = (uint8_t)s->n;
	memcpy(o->b + o->n, s->b, s->n);
	o->n += s->n;
}

static void field(struct sb *s, bool x, uint32_t col, const struct agent_if *r)
{
	struct sb_oid o = sb_if_col(x, col, r->ifindex);
	if (x && col == 18)
		sb_vb_str(s, o, r->alias);
	else if (x && col == 15)
		sb_vb_uint(s, o, SB_GAUGE32, 10000);
	else if (x && col == 19)
		sb_vb_uint(s, o, SB_TIMETICKS, 42);
	else if (x)
		sb_vb_uint(s, o, SB_COUNTER64, r->hc + col);
	else if (col == 5)
		sb_vb_uint(s, o, SB_GAUGE32, 4294967295u);
	else if (col == 8)
		sb_vb_int(s, o, 1);
	else
		sb_vb_uint(s, o, SB_COUNTER32, r->c32 + col);
}

/* How a GET's answer treats a column: answered, noSuchObject, of a wrong type. */
enum how { FULL, LACK_HC, WRONG };

static void rows(struct seed *o, const struct agent_if *r, size_t n, bool x, enum how how)
{
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, 0, 0);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < 17; j++) {
			if (!x && get_x[j].x)
				continue;
			struct sb_oid oid = sb_if_col(get_x[j].x, get_x[j].col, r[i].ifindex);
			if (how == LACK_HC && get_x[j].x && get_x[j].col >= 6 && get_x[j].col <= 11)
				sb_vb_empty(&s, oid, SB_NO_SUCH_OBJECT);
			else if (how == LACK_HC && get_x[j].x && get_x[j].col == 18 && i == 1)
				sb_vb_empty(&s, oid, SB_NO_SUCH_INSTANCE);
			else if (how == WRONG && j % 3 == 0)
				sb_vb_oid(&s, oid, oid);
			else
				field(&s, get_x[j].x, get_x[j].col, &r[i]);
		}
	sb_pdu_end(&s);
	add(o, &s);
}

static void scalars(struct sb *s)
{
	sb_vb_uint(s, sb_sys(3), SB_TIMETICKS, 987654321);
	sb_vb_str(s, sb_sys(5), "core-1.example.net");
}

static void ends(struct sb *s)
{
	sb_vb_uint(s, sb_if_col(true, 2, 1), SB_COUNTER32, 5);
	sb_vb_int(s, sb_if_col(false, 3, 1), 6);
}

static void names(struct seed *o, size_t n, bool x)
{
	static const uint32_t ent[] = { 1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 2, 1 };
	struct sb s;
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	scalars(&s);
	for (size_t i = 0; i < n; i++) {
		if (x)
			sb_vb_str(&s, sb_if_col(true, 1, ifs[i].ifindex), ifs[i].name);
		else
			sb_vb_str(&s, sb_oid_of(ent, 13), "chassis");
		sb_vb_str(&s, sb_if_col(false, 2, ifs[i].ifindex), ifs[i].descr);
	}
	ends(&s);
	sb_pdu_end(&s);
	add(o, &s);
}

static void write_seed(const char *dir, const char *name, const struct seed *o)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(o->b, 1, o->n, f) != o->n || fclose(f) != 0)
		fprintf(stderr, "%s: cannot write\n", path);
}

static struct seed o;

static void begin(uint8_t settings)
{
	o.n = 0;
	o.b[o.n++] = settings;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_snmp_corpus OUT_DIR\n");
		return 2;
	}
	const char *dir = argv[1];
	struct sb s;

	begin(0x00);
	names(&o, 3, true);
	rows(&o, ifs, 2, true, FULL);
	rows(&o, ifs + 2, 1, true, FULL);
	write_seed(dir, "whole-3", &o);

	begin(0x40);            /* max_repetitions 2: one row a column an answer */
	for (size_t i = 0; i < 3; i++) {
		sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
		if (i == 0)
			scalars(&s);
		sb_vb_str(&s, sb_if_col(true, 1, ifs[i].ifindex), ifs[i].name);
		sb_vb_str(&s, sb_if_col(false, 2, ifs[i].ifindex), ifs[i].descr);
		sb_pdu_end(&s);
		add(&o, &s);
	}
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	ends(&s);
	sb_pdu_end(&s);
	add(&o, &s);
	rows(&o, ifs, 2, true, FULL);
	rows(&o, ifs + 2, 1, true, FULL);
	write_seed(dir, "walk-steps", &o);

	begin(0x08);            /* keyed by ifDescr */
	names(&o, 4, false);
	rows(&o, ifs, 4, false, FULL);
	write_seed(dir, "no-ifxtable", &o);

	begin(0x00);
	names(&o, 2, true);
	rows(&o, ifs, 2, true, LACK_HC);
	write_seed(dir, "lacking", &o);

	begin(0x10);            /* include "eth*" */
	names(&o, 4, true);
	rows(&o, ifs + 1, 2, true, FULL);
	rows(&o, ifs + 3, 1, true, FULL);
	write_seed(dir, "filters", &o);

	begin(0x01);            /* max_rows 3 */
	names(&o, 4, true);
	rows(&o, ifs, 2, true, FULL);
	rows(&o, ifs + 2, 1, true, FULL);
	write_seed(dir, "cap", &o);

	begin(0x00);
	names(&o, 3, true);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 2, SB_ERR_TOOBIG, 0);
	sb_pdu_end(&s);
	add(&o, &s);
	for (size_t i = 0; i < 3; i++)
		rows(&o, ifs + i, 1, true, FULL);
	write_seed(dir, "toobig", &o);

	begin(0x00);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	scalars(&s);
	sb_vb_int(&s, sb_if_col(true, 1, 1), 7);
	sb_vb_str(&s, sb_if_col(false, 2, 1), ifs[0].descr);
	sb_vb_str(&s, sb_if_col(true, 1, 3), ifs[2].name);
	sb_vb_str(&s, sb_if_col(false, 2, 2), ifs[1].descr);
	sb_vb_str(&s, sb_if_col(true, 1, 2), ifs[1].name);
	sb_vb_str(&s, sb_if_col(false, 2, 3), ifs[2].descr);
	ends(&s);
	sb_pdu_end(&s);
	add(&o, &s);
	rows(&o, ifs, 2, true, WRONG);
	rows(&o, ifs + 2, 1, true, WRONG);
	write_seed(dir, "wrong-types", &o);

	begin(0x00);
	static const uint32_t usm_unknown_user[] = { 1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0 };
	sb_pdu_begin(&s, SB_PDU_REPORT, 0, 0, 0);
	sb_vb_uint(&s, sb_oid_of(usm_unknown_user, 11), SB_COUNTER32, 1);
	sb_pdu_end(&s);
	add(&o, &s);
	names(&o, 1, true);
	rows(&o, ifs, 1, true, FULL);
	write_seed(dir, "report", &o);

	begin(0x00);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, SB_ERR_GENERR, 1);
	scalars(&s);
	sb_pdu_end(&s);
	add(&o, &s);
	write_seed(dir, "walk-refused", &o);

	begin(0x00);
	sb_pdu_begin(&s, SB_PDU_RESPONSE, 1, 0, 0);
	scalars(&s);
	sb_vb_str(&s, sb_if_col(true, 1, 1), ifs[0].name);
	sb_vb_str(&s, sb_if_col(false, 2, 1), ifs[0].descr);
	sb_vb_empty(&s, sb_if_col(true, 1, 1), SB_END_OF_MIB_VIEW);
	sb_vb_empty(&s, sb_if_col(false, 2, 1), SB_END_OF_MIB_VIEW);
	sb_pdu_end(&s);
	add(&o, &s);
	rows(&o, ifs, 1, true, FULL);
	write_seed(dir, "end-of-view", &o);
	return 0;
}
