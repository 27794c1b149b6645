/* Fuzz target for the SNMP walker's handling of agents' answers (collector/snmp/walk.c):
 * the PDUs net-snmp parses and the walker then checks and stores, through
 * ft_snmp_walker_feed (nothing is sent).  The input is a byte of settings, then PDUs,
 * each a 2-byte big-endian length and its BER (the last one cut to what is left):
 *
 *   SETTINGS  LEN PDU  LEN PDU  ...
 *
 * SETTINGS, two bits each from the lowest: max_rows (1000, 3, 1, 64), the key (ifName,
 * ifIndex, ifDescr, ifName), the filters (none; include "eth*"; exclude "lo*"; include
 * "*0*" and exclude "*1*"), max_repetitions (25, 2, 1, 60).  Each input gets a walker of
 * its own, so no poll sees another's; the PDUs answer its requests in turn, through the
 * names walk to the counters' GETs, until the poll ends.  One still going when they run
 * out is ended as a timeout ends it.
 *
 * Whatever the answers, the poll must hold: at most max_rows rows, by ifIndex strictly
 * increasing within 1..2^31-1; every string NUL-terminated within its buffer; no `have`
 * bit beyond the 19 fields, and a field without its bit zero; no more requests than
 * answers taken, plus the first; after a success, only rows the filters pick, each read
 * at a time; after a failure, an error naming the device.
 *
 * With FT_FUZZ_LOG set, net-snmp's and the walker's messages are logged and each poll
 * is summed up on stderr.
 *
 * Seeds: corpus/snmp/, written by gen_snmp_corpus (its opening comment lists them).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../collector/snmp/snmp_int.h"
#include "flowtally/log.h"
#include "fuzz.h"

#define MAX_FEEDS 512
#define ALL_HAVE 0x7ffffu

static void settings(uint8_t s, struct ft_snmp_device *d)
{
	static const uint32_t rows[] = { 1000, 3, 1, 64 }, reps[] = { 25, 2, 1, 60 };
	static const uint8_t keys[] = { FT_SNMP_BY_IFNAME, FT_SNMP_BY_IFINDEX, FT_SNMP_BY_IFDESCR, FT_SNMP_BY_IFNAME };
	static char *inc_eth[] = { "eth*" }, *exc_lo[] = { "lo*" }, *inc_0[] = { "*0*" }, *exc_1[] = { "*1*" };
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "fz");
	snprintf(d->address, sizeof(d->address), "udp:127.0.0.1:9");
	d->version = FT_SNMP_V2C;
	snprintf(d->community, sizeof(d->community), "public");
	d->timeout_ms = 1000;
	d->max_rows = rows[s & 3];
	d->key = keys[(s >> 2) & 3];
	switch ((s >> 4) & 3) {
	case 1: d->include = inc_eth, d->n_include = 1; break;
	case 2: d->exclude = exc_lo, d->n_exclude = 1; break;
	case 3: d->include = inc_0, d->n_include = 1, d->exclude = exc_1, d->n_exclude = 1; break;
	}
	d->max_repetitions = reps[(s >> 6) & 3];
}

static bool nul_in(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* What the filters say of a row, from the patterns themselves (snmp.h: on the key's
 * name, ifDescr when the key is it or ifName did not come). */
static bool filters_pick(const struct ft_snmp_device *d, const struct ft_snmp_if *r)
{
	const char *name = d->key == FT_SNMP_BY_IFDESCR || !(r->have & FT_SNMP_HAVE_NAME) ? r->descr : r->name;
	bool in = d->n_include == 0;
	for (size_t i = 0; i < d->n_include; i++)
		in |= fnmatch(d->include[i], name, 0) == 0;
	for (size_t i = 0; i < d->n_exclude; i++)
		in &= fnmatch(d->exclude[i], name, 0) != 0;
	return in;
}

static void check_row(const struct ft_snmp_device *d, const struct ft_snmp_if *r, bool ok)
{
	CHECK(r->ifindex >= 1 && r->ifindex <= 0x7fffffffu);
	CHECK((r->have & ~ALL_HAVE) == 0);
	CHECK(nul_in(r->name, sizeof(r->name)) && nul_in(r->alias, sizeof(r->alias)) &&
	      nul_in(r->descr, sizeof(r->descr)));
	CHECK((r->have & FT_SNMP_HAVE_NAME) || r->name[0] == '\0');
	CHECK((r->have & FT_SNMP_HAVE_ALIAS) || r->alias[0] == '\0');
	CHECK((r->have & FT_SNMP_HAVE_DESCR) || r->descr[0] == '\0');
	CHECK((r->have & FT_SNMP_HAVE_HIGHSPEED) || r->high_speed == 0);
	CHECK((r->have & FT_SNMP_HAVE_SPEED) || r->speed == 0);
	CHECK((r->have & FT_SNMP_HAVE_OPER) || r->oper_status == 0);
	CHECK((r->have & FT_SNMP_HAVE_DISC) || r->disc_time == 0);
	for (int i = 0; i < 4; i++)
		CHECK((r->have & FT_SNMP_HAVE_HC(i)) || r->hc[i] == 0);
	for (int i = 0; i < 8; i++)
		CHECK((r->have & FT_SNMP_HAVE_C32(i)) || r->c32[i] == 0);
	/* the counters' fields come only from the GETs, which set the row's time */
	CHECK((r->have & ~(FT_SNMP_HAVE_NAME | FT_SNMP_HAVE_DESCR)) == 0 || r->time_ms != 0);
	/* a poll that failed in its walk keeps the rows it found, unfiltered: none of it is
	 * used (the poller books and shows successful polls only) */
	if (ok)
		CHECK(filters_pick(d, r) && r->time_ms != 0);
}

static void check_poll(const struct ft_snmp_device *d, const struct ft_snmp_poll *p, const char *err,
                       uint32_t taken)
{
	bool ok = err[0] == '\0';
	if (!ok) {
		char want[160];
		int n = snprintf(want, sizeof(want), "device %s (%s): ", d->name, d->address);
		CHECK(n > 0 && strncmp(err, want, (size_t)n) == 0);
	}
	CHECK(p->n_ifs <= d->max_rows);
	CHECK(p->n_ifs == 0 || p->ifs);
	CHECK(nul_in(p->sys_name, sizeof(p->sys_name)));
	CHECK(p->have_uptime || p->sys_uptime == 0);
	CHECK(p->requests >= 1 && p->requests <= taken + 1);
	for (size_t i = 0; i < p->n_ifs; i++) {
		check_row(d, &p->ifs[i], ok);
		if (i)
			CHECK(p->ifs[i - 1].ifindex < p->ifs[i].ifindex);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	if (!inited) {
		ft_log_level = getenv("FT_FUZZ_LOG") ? FT_LOG_DEBUG : FT_LOG_ERR - 1;
		ft_snmp_init("fuzz");
		inited = true;
	}
	if (size < 1)
		return 0;
	struct ft_snmp_device d;
	settings(data[0], &d);
	struct ft_snmp_walker *w = NULL;
	char err[256];
	CHECK(ft_snmp_walker_new(&d, &w, err, sizeof(err)) == 0);
	size_t at = 1;
	uint32_t taken = 0;
	bool started = false;
	for (int i = 0; i < MAX_FEEDS && at + 2 <= size; i++) {
		size_t n = (size_t)data[at] << 8 | data[at + 1];
		at += 2;
		if (n > size - at)
			n = size - at;
		int r = ft_snmp_walker_feed(w, data + at, n);
		at += n;
		started = true;
		CHECK(r == 0 || r == -EBADMSG || r == -ENOENT);
		if (r == -ENOENT)
			break;
		if (r == 0)
			taken++;
	}
	if (started && ft_snmp_walker_busy(w)) {
		ft_snmp_walker_timeout(w);
		CHECK(!ft_snmp_walker_busy(w));
		CHECK(ft_snmp_walker_error(w)[0] != '\0');
	}
	if (started) {
		struct ft_snmp_poll p;
		ft_snmp_walker_take(w, &p);
		check_poll(&d, &p, ft_snmp_walker_error(w), taken);
		if (getenv("FT_FUZZ_LOG"))
			fprintf(stderr, "poll: %zu rows, %u requests, %u answers taken, %llu filtered, %llu over the cap%s%s\n",
			        p.n_ifs, p.requests, taken, (unsigned long long)p.filtered,
			        (unsigned long long)p.rows_over_cap, *ft_snmp_walker_error(w) ? ": " : "",
			        ft_snmp_walker_error(w));
		ft_snmp_poll_done(&p);
	}
	ft_snmp_walker_free(w);
	return 0;
}
