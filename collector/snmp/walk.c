/* One device's SNMP session and the walk of IF-MIB on it (net-snmp's asynchronous
 * single-session API).
 *
 * A poll runs in up to three phases, one request in flight at a time (devices run in
 * parallel, each at the pace of its agent):
 *   discover  SNMPv3 only, while the agent's engine ID is unknown: an empty
 *             unauthenticated GET, whose report carries it (RFC 3414 section 4), then the
 *             user's keys are localised to it.  net-snmp would otherwise probe
 *             synchronously inside its send and stall every other device;
 *   names     GETBULK walk of ifName (ifXTable) and ifDescr (ifTable), sysUpTime.0 and
 *             sysName.0 as non-repeaters of the first request: which interfaces there
 *             are, before filters and the row cap pick those worth reading;
 *   counters  GET of the picked rows, several rows a request, every other column: one
 *             row's counters arrive in one answer, at one time.
 * Answers are checked before use: a varbind outside the column asked for, of the wrong
 * type, or an OID that does not increase ends that column (counted in err), never the
 * others.  An agent answering tooBig gets fewer rows a request.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include "flowtally/clock.h"
#include "flowtally/log.h"
#include "snmp_int.h"

/* ---- the columns ---------------------------------------------------------------------------- */

enum field { F_NAME, F_DESCR, F_ALIAS, F_HIGHSPEED, F_SPEED, F_OPER, F_DISC,
             F_HC0, F_HC1, F_HC2, F_HC3, F_C0, F_C1, F_C2, F_C3, F_C4, F_C5, F_C6, F_C7, F__N };

static const oid if_entry[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1 };            /* ifTable's ifEntry */
static const oid ifx_entry[] = { 1, 3, 6, 1, 2, 1, 31, 1, 1, 1 };       /* ifXTable's ifXEntry */
/* asked for without their instance (a GETBULK non-repeater is a GETNEXT); answered as .0 */
static const oid sys_uptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid sys_name[] = { 1, 3, 6, 1, 2, 1, 1, 5, 0 };
#define SCALAR_ASK_LEN(o) (OID_LENGTH(o) - 1)

struct column {
	bool x;                     /* in ifXTable (else ifTable) */
	oid col;
	u_char type;                /* the ASN.1 type the MIB gives it */
};

/* IF-MIB (RFC 2863) columns, by field. */
static const struct column columns[F__N] = {
	[F_NAME] = { true, 1, ASN_OCTET_STR },          /* ifName */
	[F_DESCR] = { false, 2, ASN_OCTET_STR },        /* ifDescr */
	[F_ALIAS] = { true, 18, ASN_OCTET_STR },        /* ifAlias */
	[F_HIGHSPEED] = { true, 15, ASN_GAUGE },        /* ifHighSpeed */
	[F_SPEED] = { false, 5, ASN_GAUGE },            /* ifSpeed */
	[F_OPER] = { false, 8, ASN_INTEGER },           /* ifOperStatus */
	[F_DISC] = { true, 19, ASN_TIMETICKS },         /* ifCounterDiscontinuityTime */
	[F_HC0] = { true, 6, ASN_COUNTER64 },           /* ifHCInOctets */
	[F_HC1] = { true, 10, ASN_COUNTER64 },          /* ifHCOutOctets */
	[F_HC2] = { true, 7, ASN_COUNTER64 },           /* ifHCInUcastPkts */
	[F_HC3] = { true, 11, ASN_COUNTER64 },          /* ifHCOutUcastPkts */
	[F_C0] = { false, 10, ASN_COUNTER },            /* ifInOctets */
	[F_C1] = { false, 16, ASN_COUNTER },            /* ifOutOctets */
	[F_C2] = { false, 11, ASN_COUNTER },            /* ifInUcastPkts */
	[F_C3] = { false, 17, ASN_COUNTER },            /* ifOutUcastPkts */
	[F_C4] = { false, 14, ASN_COUNTER },            /* ifInErrors */
	[F_C5] = { false, 20, ASN_COUNTER },            /* ifOutErrors */
	[F_C6] = { false, 13, ASN_COUNTER },            /* ifInDiscards */
	[F_C7] = { false, 19, ASN_COUNTER },            /* ifOutDiscards */
};

static const uint32_t have_bit[F__N] = {
	FT_SNMP_HAVE_NAME, FT_SNMP_HAVE_DESCR, FT_SNMP_HAVE_ALIAS, FT_SNMP_HAVE_HIGHSPEED, FT_SNMP_HAVE_SPEED,
	FT_SNMP_HAVE_OPER, FT_SNMP_HAVE_DISC, FT_SNMP_HAVE_HC(0), FT_SNMP_HAVE_HC(1), FT_SNMP_HAVE_HC(2),
	FT_SNMP_HAVE_HC(3), FT_SNMP_HAVE_C32(0), FT_SNMP_HAVE_C32(1), FT_SNMP_HAVE_C32(2), FT_SNMP_HAVE_C32(3),
	FT_SNMP_HAVE_C32(4), FT_SNMP_HAVE_C32(5), FT_SNMP_HAVE_C32(6), FT_SNMP_HAVE_C32(7),
};

/* The column's OID (entry.col) into o; its length. */
static size_t column_oid(enum field f, oid *o)
{
	const oid *e = columns[f].x ? ifx_entry : if_entry;
	size_t n = columns[f].x ? OID_LENGTH(ifx_entry) : OID_LENGTH(if_entry);
	memcpy(o, e, n * sizeof(oid));
	o[n] = columns[f].col;
	return n + 1;
}

/* ---- the walker ----------------------------------------------------------------------------- */

enum phase { P_IDLE, P_DISCOVER, P_NAMES, P_COUNTERS };

#define NAME_COLS 2             /* F_NAME, F_DESCR */
#define VARBINDS_PER_GET 48     /* a GET's varbinds: rows × columns */
#define MAX_REQUESTS_PER_ROW 4  /* a poll giving up on an agent that never ends its table */

struct walker_col {
	enum field f;
	oid at[MAX_OID_LEN];        /* where the walk is */
	size_t at_len;
	bool done;
};

struct ft_snmp_walker {
	const struct ft_snmp_device *dev;
	void *sess;
	enum phase phase;
	ft_snmp_done_fn done;
	void *ctx;
	struct ft_snmp_poll poll;
	size_t cap;                 /* of poll.ifs */
	int reqid;
	int64_t sent_ms;            /* wall clock, for the rows' times */
	struct walker_col cols[NAME_COLS];
	bool first_names;           /* the next names request carries the non-repeaters */
	bool has_x;                 /* ifName answered: the agent has ifXTable */
	/* counters phase: rows [next_row, next_row + batch) are in flight */
	size_t next_row, batch_rows, rows_per_get;
	enum field get_fields[F__N];
	size_t n_get_fields;
	uint32_t bad_values;
	bool dry;                   /* ft_snmp_walker_feed: requests are made, never sent */
	int report;                 /* the SNMPv3 report an agent answered with (SNMPERR_*), or 0 */
	char err[256];
};

static void fail(struct ft_snmp_walker *w, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finish(struct ft_snmp_walker *w, int status)
{
	w->phase = P_IDLE;
	w->reqid = 0;
	w->poll.finished_ms = ft_clock_now_ns() / FT_NS_PER_MS;
	if (status == 0)
		w->err[0] = '\0';
	if (w->done)
		w->done(w, status, w->ctx);
}

static void fail(struct ft_snmp_walker *w, int status, const char *fmt, ...)
{
	int n = snprintf(w->err, sizeof(w->err), "device %s (%s): ", w->dev->name, w->dev->address);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(w->err))
		vsnprintf(w->err + n, sizeof(w->err) - (size_t)n, fmt, ap);
	va_end(ap);
	finish(w, status);
}

static int callback(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic);

/* Sends pdu (taken) for the walk: false when it could not be sent (the poll failed). */
static bool send_pdu(struct ft_snmp_walker *w, netsnmp_pdu *pdu)
{
	w->sent_ms = ft_clock_now_ns() / FT_NS_PER_MS;
	w->poll.requests++;
	w->report = 0;              /* a report is about the request it answers */
	if (w->dry) {
		w->reqid = (int)w->poll.requests;
		snmp_free_pdu(pdu);
		return true;
	}
	int id = snmp_sess_async_send(w->sess, pdu, callback, w);
	if (id == 0) {
		int liberr = 0, syserr = 0;
		char *msg = NULL;
		snmp_sess_error(w->sess, &syserr, &liberr, &msg);
		snmp_free_pdu(pdu);
		fail(w, -EIO, "cannot send: %s", msg ? msg : "unknown error");
		free(msg);
		return false;
	}
	w->reqid = id;
	return true;
}

/* ---- discover ------------------------------------------------------------------------------- */

static bool send_discover(struct ft_snmp_walker *w)
{
	netsnmp_pdu *p = snmp_pdu_create(SNMP_MSG_GET);
	if (!p)
		return fail(w, -ENOMEM, "out of memory"), false;
	p->version = SNMP_VERSION_3;
	p->securityName = strdup("");
	p->securityNameLen = 0;
	p->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
	p->securityModel = SNMP_SEC_MODEL_USM;
	w->phase = P_DISCOVER;
	return send_pdu(w, p);
}

static bool send_names(struct ft_snmp_walker *w);

/* The report to the discovery request carries the engine ID (RFC 3414 section 4). */
static void got_discover(struct ft_snmp_walker *w, const netsnmp_pdu *pdu)
{
	netsnmp_session *s = snmp_sess_session(w->sess);
	if (!pdu->securityEngineIDLen) {
		fail(w, -EIO, "the agent's answer to the engine ID discovery carries no engine ID");
		return;
	}
	/* what net-snmp remembers of this engine's boots and time goes: an agent whose
	 * state was wiped counts its boots from 1 again, and a time window kept from before
	 * would refuse even its notInTimeWindow reports for ever */
	free_enginetime(pdu->securityEngineID, pdu->securityEngineIDLen);
	if (!s->securityEngineIDLen) {
		s->securityEngineID = netsnmp_memdup(pdu->securityEngineID, pdu->securityEngineIDLen);
		if (!s->securityEngineID) {
			fail(w, -ENOMEM, "out of memory");
			return;
		}
		s->securityEngineIDLen = pdu->securityEngineIDLen;
	}
	if (!s->contextEngineIDLen) {
		s->contextEngineID = netsnmp_memdup(s->securityEngineID, s->securityEngineIDLen);
		if (s->contextEngineID)
			s->contextEngineIDLen = s->securityEngineIDLen;
	}
	if (usm_create_user_from_session(s) != SNMPERR_SUCCESS) {
		fail(w, -EINVAL, "cannot set up USM user %s for the agent's engine ID", w->dev->user);
		return;
	}
	send_names(w);
}

/* ---- names ---------------------------------------------------------------------------------- */

static void start_names(struct ft_snmp_walker *w)
{
	static const enum field f[NAME_COLS] = { F_NAME, F_DESCR };
	for (size_t i = 0; i < NAME_COLS; i++) {
		w->cols[i].f = f[i];
		w->cols[i].at_len = column_oid(f[i], w->cols[i].at);
		w->cols[i].done = false;
	}
	w->first_names = true;
	w->has_x = false;
}

static bool send_names(struct ft_snmp_walker *w)
{
	netsnmp_pdu *p = snmp_pdu_create(SNMP_MSG_GETBULK);
	if (!p)
		return fail(w, -ENOMEM, "out of memory"), false;
	w->phase = P_NAMES;
	p->non_repeaters = 0;
	if (w->first_names) {
		snmp_add_null_var(p, sys_uptime, SCALAR_ASK_LEN(sys_uptime));
		snmp_add_null_var(p, sys_name, SCALAR_ASK_LEN(sys_name));
		p->non_repeaters = 2;
	}
	size_t live = 0;
	for (size_t i = 0; i < NAME_COLS; i++)
		if (!w->cols[i].done) {
			snmp_add_null_var(p, w->cols[i].at, w->cols[i].at_len);
			live++;
		}
	p->max_repetitions = (long)(w->dev->max_repetitions / (live ? live : 1));
	if (p->max_repetitions < 1)
		p->max_repetitions = 1;
	return send_pdu(w, p);
}

/* The row of ifIndex idx (found or added in order); NULL when the cap is reached.  Each
 * interface comes once per column walked: only the walk of one column (count) counts
 * those beyond the cap. */
static struct ft_snmp_if *row(struct ft_snmp_walker *w, uint32_t idx, bool add, bool count)
{
	struct ft_snmp_poll *p = &w->poll;
	size_t lo = 0, hi = p->n_ifs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->ifs[mid].ifindex < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->n_ifs && p->ifs[lo].ifindex == idx)
		return &p->ifs[lo];
	if (!add)
		return NULL;
	if (p->n_ifs >= w->dev->max_rows) {
		if (count)
			p->rows_over_cap++;
		return NULL;
	}
	if (p->n_ifs == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct ft_snmp_if *n = realloc(p->ifs, cap * sizeof(*n));
		if (!n)
			return NULL;
		p->ifs = n;
		w->cap = cap;
	}
	memmove(&p->ifs[lo + 1], &p->ifs[lo], (p->n_ifs - lo) * sizeof(*p->ifs));
	p->n_ifs++;
	memset(&p->ifs[lo], 0, sizeof(*p->ifs));
	p->ifs[lo].ifindex = idx;
	return &p->ifs[lo];
}

static void copy_string(char *dst, size_t size, const netsnmp_variable_list *v)
{
	size_t n = v->val_len < size - 1 ? v->val_len : size - 1;
	memcpy(dst, v->val.string, n);
	dst[n] = '\0';
	/* a NUL inside would cut the name short where it is used as text */
	for (size_t i = 0; i < n; i++)
		if (dst[i] == '\0')
			dst[i] = ' ';
}

/* Stores v as field f of row r: false when its type is not the column's. */
static bool store(struct ft_snmp_if *r, enum field f, const netsnmp_variable_list *v)
{
	if (v->type != columns[f].type)
		return false;
	switch (f) {
	case F_NAME: copy_string(r->name, sizeof(r->name), v); break;
	case F_DESCR: copy_string(r->descr, sizeof(r->descr), v); break;
	case F_ALIAS: copy_string(r->alias, sizeof(r->alias), v); break;
	case F_HIGHSPEED: r->high_speed = (uint32_t)*v->val.integer; break;
	case F_SPEED: r->speed = (uint32_t)*v->val.integer; break;
	case F_OPER: r->oper_status = (int32_t)*v->val.integer; break;
	case F_DISC: r->disc_time = (uint32_t)*v->val.integer; break;
	case F_HC0: case F_HC1: case F_HC2: case F_HC3:
		r->hc[f - F_HC0] = ((uint64_t)v->val.counter64->high << 32) | (uint32_t)v->val.counter64->low;
		break;
	default:
		r->c32[f - F_C0] = (uint32_t)*v->val.integer;
		break;
	}
	r->have |= have_bit[f];
	return true;
}

/* The ifIndex of a column instance (column OID + one sub-identifier); 0 when v is not
 * one of column c. */
static uint32_t instance_of(const netsnmp_variable_list *v, const oid *c, size_t c_len)
{
	if (v->name_length != c_len + 1 || snmp_oid_compare(v->name, c_len, c, c_len) != 0)
		return 0;
	oid idx = v->name[c_len];
	return idx >= 1 && idx <= 0x7fffffff ? (uint32_t)idx : 0;
}

static void got_scalars(struct ft_snmp_walker *w, netsnmp_variable_list **vp)
{
	for (int i = 0; i < 2 && *vp; i++, *vp = (*vp)->next_variable) {
		const netsnmp_variable_list *v = *vp;
		if (snmp_oid_compare(v->name, v->name_length, sys_uptime, OID_LENGTH(sys_uptime)) == 0 &&
		    v->type == ASN_TIMETICKS) {
			w->poll.have_uptime = true;
			w->poll.sys_uptime = (uint32_t)*v->val.integer;
			w->poll.uptime_ms = (w->sent_ms + ft_clock_now_ns() / FT_NS_PER_MS) / 2;
		} else if (snmp_oid_compare(v->name, v->name_length, sys_name, OID_LENGTH(sys_name)) == 0 &&
		           v->type == ASN_OCTET_STR) {
			copy_string(w->poll.sys_name, sizeof(w->poll.sys_name), v);
		}
	}
}

static bool start_counters(struct ft_snmp_walker *w);

static void got_names(struct ft_snmp_walker *w, netsnmp_pdu *pdu)
{
	netsnmp_variable_list *v = pdu->variables;
	if (w->first_names)
		got_scalars(w, &v);
	w->first_names = false;
	size_t live[NAME_COLS], n_live = 0;
	for (size_t i = 0; i < NAME_COLS; i++)
		if (!w->cols[i].done)
			live[n_live++] = i;
	bool progress = false;
	for (size_t k = 0; v && n_live; v = v->next_variable, k++) {
		struct walker_col *c = &w->cols[live[k % n_live]];
		if (c->done)
			continue;
		oid base[MAX_OID_LEN];
		size_t base_len = column_oid(c->f, base);
		uint32_t idx = v->type == SNMP_ENDOFMIBVIEW ? 0 : instance_of(v, base, base_len);
		if (!idx || snmp_oid_compare(v->name, v->name_length, c->at, c->at_len) <= 0) {
			c->done = true;     /* past the column, the end of the view, or not increasing */
			continue;
		}
		memcpy(c->at, v->name, v->name_length * sizeof(oid));
		c->at_len = v->name_length;
		progress = true;
		/* every interface has an ifEntry, so ifDescr counts those beyond the cap; ifName
		 * (ifXEntry augments ifEntry) only of an agent whose ifDescr walk has ended */
		struct ft_snmp_if *r = row(w, idx, true, c->f == F_DESCR || w->cols[1].done);
		if (r && !store(r, c->f, v))
			w->bad_values++;
		if (c->f == F_NAME)
			w->has_x = true;
	}
	bool more = false;
	for (size_t i = 0; i < NAME_COLS; i++)
		more |= !w->cols[i].done;
	uint64_t limit = (uint64_t)w->dev->max_rows * MAX_REQUESTS_PER_ROW + 16;
	if (more && progress && w->poll.requests < limit) {
		send_names(w);
		return;
	}
	start_counters(w);
}

/* ---- counters ------------------------------------------------------------------------------- */

static bool picked(const struct ft_snmp_device *d, const struct ft_snmp_if *r)
{
	const char *name = d->key == FT_SNMP_BY_IFDESCR || !(r->have & FT_SNMP_HAVE_NAME) ? r->descr : r->name;
	bool in = d->n_include == 0;
	for (size_t i = 0; !in && i < d->n_include; i++)
		in = fnmatch(d->include[i], name, 0) == 0;
	for (size_t i = 0; in && i < d->n_exclude; i++)
		in = fnmatch(d->exclude[i], name, 0) != 0;
	return in;
}

static bool send_counters(struct ft_snmp_walker *w);

static bool start_counters(struct ft_snmp_walker *w)
{
	struct ft_snmp_poll *p = &w->poll;
	size_t kept = 0;
	for (size_t i = 0; i < p->n_ifs; i++) {
		if (picked(w->dev, &p->ifs[i]))
			p->ifs[kept++] = p->ifs[i];
		else
			p->filtered++;
	}
	p->n_ifs = kept;
	w->n_get_fields = 0;
	for (enum field f = F_ALIAS; f < F__N; f++)
		if (w->has_x || !columns[f].x)
			w->get_fields[w->n_get_fields++] = f;
	w->rows_per_get = VARBINDS_PER_GET / w->n_get_fields;
	if (w->rows_per_get < 1)
		w->rows_per_get = 1;
	w->next_row = 0;
	w->phase = P_COUNTERS;
	if (!p->n_ifs) {
		finish(w, 0);
		return true;
	}
	return send_counters(w);
}

static bool send_counters(struct ft_snmp_walker *w)
{
	netsnmp_pdu *p = snmp_pdu_create(SNMP_MSG_GET);
	if (!p)
		return fail(w, -ENOMEM, "out of memory"), false;
	size_t left = w->poll.n_ifs - w->next_row;
	w->batch_rows = left < w->rows_per_get ? left : w->rows_per_get;
	for (size_t r = 0; r < w->batch_rows; r++) {
		uint32_t idx = w->poll.ifs[w->next_row + r].ifindex;
		for (size_t j = 0; j < w->n_get_fields; j++) {
			oid o[MAX_OID_LEN];
			size_t n = column_oid(w->get_fields[j], o);
			o[n++] = idx;
			snmp_add_null_var(p, o, n);
		}
	}
	return send_pdu(w, p);
}

static void got_counters(struct ft_snmp_walker *w, const netsnmp_pdu *pdu)
{
	if (pdu->errstat == SNMP_ERR_TOOBIG && w->batch_rows > 1) {
		w->rows_per_get = w->batch_rows / 2;
		send_counters(w);
		return;
	}
	int64_t t = (w->sent_ms + ft_clock_now_ns() / FT_NS_PER_MS) / 2;
	const netsnmp_variable_list *v = pdu->variables;
	for (size_t r = 0; r < w->batch_rows; r++) {
		struct ft_snmp_if *row_ = &w->poll.ifs[w->next_row + r];
		row_->time_ms = t;
		for (size_t j = 0; j < w->n_get_fields && v; j++, v = v->next_variable) {
			oid o[MAX_OID_LEN];
			size_t n = column_oid(w->get_fields[j], o);
			/* noSuchObject, noSuchInstance (the column or the row is not there), or an
			 * error status: the field stays absent */
			if (pdu->errstat != SNMP_ERR_NOERROR || instance_of(v, o, n) != row_->ifindex)
				continue;
			if (v->type != SNMP_NOSUCHOBJECT && v->type != SNMP_NOSUCHINSTANCE && !store(row_, w->get_fields[j], v))
				w->bad_values++;
		}
	}
	w->next_row += w->batch_rows;
	if (w->next_row < w->poll.n_ifs)
		send_counters(w);
	else
		finish(w, 0);
}

/* ---- net-snmp's callback -------------------------------------------------------------------- */

static const char *report_text(int rt)
{
	switch (rt) {
	case SNMPERR_UNKNOWN_USER_NAME: return "unknown user";
	case SNMPERR_AUTHENTICATION_FAILURE: return "authentication failure (wrong password or protocol)";
	case SNMPERR_DECRYPTION_ERR: return "decryption error (wrong privacy password or protocol)";
	case SNMPERR_UNSUPPORTED_SEC_LEVEL: return "security level not supported for this user";
	case SNMPERR_NOT_IN_TIME_WINDOW: return "not in time window";
	case SNMPERR_UNKNOWN_ENG_ID: return "unknown engine ID";
	default: return NULL;
	}
}

static void got_response(struct ft_snmp_walker *w, netsnmp_pdu *pdu)
{
	if (pdu->command == SNMP_MSG_REPORT) {
		if (w->phase == P_DISCOVER) {
			got_discover(w, pdu);
			return;
		}
		/* net-snmp retries a notInTimeWindow report itself; any other report ends the
		 * request with a security error next */
		w->report = snmpv3_get_report_type(pdu);
		return;
	}
	if (pdu->command != SNMP_MSG_RESPONSE)
		return;
	if (w->phase == P_DISCOVER) {
		/* an agent that answered the empty request: the engine ID came with it */
		got_discover(w, pdu);
		return;
	}
	if (w->phase == P_NAMES) {
		if (pdu->errstat != SNMP_ERR_NOERROR) {
			fail(w, -EIO, "the agent refused the walk: %s", snmp_errstring((int)pdu->errstat));
			return;
		}
		got_names(w, pdu);
	} else if (w->phase == P_COUNTERS) {
		got_counters(w, pdu);
	}
}

static int callback(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct ft_snmp_walker *w = magic;
	(void)s;
	/* an unauthenticated report (wrong password, unknown user) comes with request ID
	 * 0: with one request in flight, it is about that one */
	bool report0 = reqid == 0 && pdu && pdu->command == SNMP_MSG_REPORT;
	if (w->phase == P_IDLE || (reqid != w->reqid && !report0))
		return 1;               /* a second word on a request already dealt with */
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
		got_response(w, pdu);
		break;
	case NETSNMP_CALLBACK_OP_RESEND:
		/* the answer will be to this transmission: its reading's time is from here */
		w->sent_ms = ft_clock_now_ns() / FT_NS_PER_MS;
		break;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		/* notInTimeWindow is net-snmp's to retry, not an authentication failure */
		if (w->report && w->report != SNMPERR_NOT_IN_TIME_WINDOW && report_text(w->report))
			fail(w, -EACCES, "%s", report_text(w->report));
		else
			fail(w, -ETIMEDOUT, "no answer (timeout after %u retr%s)%s", w->dev->retries,
			     w->dev->retries == 1 ? "y" : "ies",
			     w->dev->version == FT_SNMP_V3 && w->dev->level == FT_SNMP_AUTHPRIV
			         ? ": with SNMPv3 a wrong privacy password or protocol also looks like this" : "");
		break;
	case NETSNMP_CALLBACK_OP_SEC_ERROR: {
		/* the report to the discovery request comes as a security error (unknown
		 * engine ID), before the same message as a received one */
		if (w->phase == P_DISCOVER && pdu && pdu->securityEngineIDLen) {
			got_discover(w, pdu);
			break;
		}
		const char *t = report_text(w->report ? w->report : (pdu ? snmpv3_get_report_type(pdu) : 0));
		fail(w, -EACCES, "%s", t ? t : "SNMPv3 security error");
		break;
	}
	case NETSNMP_CALLBACK_OP_SEND_FAILED:
		fail(w, -EIO, "cannot send the request");
		break;
	default:
		break;
	}
	return 1;
}

/* ---- the session ---------------------------------------------------------------------------- */

static const oid *auth_oid(uint8_t a, size_t *len)
{
	*len = USM_AUTH_PROTO_SHA_LEN;
	switch (a) {
	case FT_SNMP_SHA1: return usmHMACSHA1AuthProtocol;
	case FT_SNMP_SHA224: return usmHMAC128SHA224AuthProtocol;
	case FT_SNMP_SHA256: return usmHMAC192SHA256AuthProtocol;
	case FT_SNMP_SHA384: return usmHMAC256SHA384AuthProtocol;
	case FT_SNMP_SHA512: return usmHMAC384SHA512AuthProtocol;
	default: *len = OID_LENGTH(usmNoAuthProtocol); return usmNoAuthProtocol;
	}
}

static const oid *priv_oid(uint8_t p, size_t *len)
{
	switch (p) {
	case FT_SNMP_AES128: *len = OID_LENGTH(usmAESPrivProtocol); return usmAESPrivProtocol;
	case FT_SNMP_AES192: *len = OID_LENGTH(usmAES192PrivProtocol); return usmAES192PrivProtocol;
	case FT_SNMP_AES256: *len = OID_LENGTH(usmAES256PrivProtocol); return usmAES256PrivProtocol;
	default: *len = OID_LENGTH(usmNoPrivProtocol); return usmNoPrivProtocol;
	}
}

static int set_v3(const struct ft_snmp_device *d, netsnmp_session *s, char *err, size_t err_size)
{
	s->version = SNMP_VERSION_3;
	s->securityName = (char *)d->user;
	s->securityNameLen = strlen(d->user);
	s->securityModel = SNMP_SEC_MODEL_USM;
	s->securityLevel = d->level == FT_SNMP_AUTHPRIV ? SNMP_SEC_LEVEL_AUTHPRIV
	                   : d->level == FT_SNMP_AUTHNOPRIV ? SNMP_SEC_LEVEL_AUTHNOPRIV : SNMP_SEC_LEVEL_NOAUTH;
	if (d->level == FT_SNMP_NOAUTH)
		return 0;
	s->securityAuthProto = (oid *)auth_oid(d->auth, &s->securityAuthProtoLen);
	s->securityAuthKeyLen = USM_AUTH_KU_LEN;
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen, (const u_char *)d->auth_pass,
	                strlen(d->auth_pass), s->securityAuthKey, &s->securityAuthKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, err_size, "device %s: cannot make the authentication key (password of 8 characters or more?)",
		         d->name);
		return -EINVAL;
	}
	if (d->level != FT_SNMP_AUTHPRIV)
		return 0;
	s->securityPrivProto = (oid *)priv_oid(d->priv, &s->securityPrivProtoLen);
	s->securityPrivKeyLen = USM_PRIV_KU_LEN;
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen, (const u_char *)d->priv_pass,
	                strlen(d->priv_pass), s->securityPrivKey, &s->securityPrivKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, err_size, "device %s: cannot make the privacy key (password of 8 characters or more?)",
		         d->name);
		return -EINVAL;
	}
	return 0;
}

int ft_snmp_walker_new(const struct ft_snmp_device *d, struct ft_snmp_walker **ret, char *err, size_t err_size)
{
	netsnmp_session s;
	snmp_sess_init(&s);
	s.peername = (char *)d->address;
	s.timeout = (long)d->timeout_ms * 1000;
	s.retries = (int)d->retries;
	/* never the synchronous engine ID probe: the walker discovers it asynchronously */
	s.flags |= SNMP_FLAGS_DONT_PROBE;
	if (d->version == FT_SNMP_V2C) {
		s.version = SNMP_VERSION_2c;
		s.community = (u_char *)d->community;
		s.community_len = strlen(d->community);
	} else {
		int r = set_v3(d, &s, err, err_size);
		if (r < 0)
			return r;
	}
	struct ft_snmp_walker *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->dev = d;
	w->sess = snmp_sess_open(&s);
	if (!w->sess) {
		int liberr = 0, syserr = 0;
		char *msg = NULL;
		snmp_error(&s, &syserr, &liberr, &msg);
		snprintf(err, err_size, "device %s: cannot open a session to %s: %s", d->name, d->address,
		         msg ? msg : "unknown error");
		free(msg);
		free(w);
		return -EINVAL;
	}
	snmp_sess_session(w->sess)->flags |= SNMP_FLAGS_DONT_PROBE;     /* open clears it */
	*ret = w;
	return 0;
}

struct ft_snmp_walker *ft_snmp_walker_free(struct ft_snmp_walker *w)
{
	if (!w)
		return NULL;
	w->done = NULL;
	if (w->sess)
		snmp_sess_close(w->sess);
	ft_snmp_poll_done(&w->poll);
	free(w);
	return NULL;
}

int ft_snmp_walker_start(struct ft_snmp_walker *w, ft_snmp_done_fn done, void *ctx)
{
	if (w->phase != P_IDLE)
		return -EBUSY;
	ft_snmp_poll_done(&w->poll);
	w->cap = 0;
	w->done = done;
	w->ctx = ctx;
	w->report = 0;
	w->bad_values = 0;
	w->poll.started_ms = ft_clock_now_ns() / FT_NS_PER_MS;
	start_names(w);
	netsnmp_session *s = snmp_sess_session(w->sess);
	if (s->version == SNMP_VERSION_3 && !s->securityEngineIDLen)
		send_discover(w);
	else
		send_names(w);
	return 0;
}

bool ft_snmp_walker_busy(const struct ft_snmp_walker *w)
{
	return w->phase != P_IDLE;
}

int ft_snmp_walker_fd(const struct ft_snmp_walker *w)
{
	netsnmp_transport *t = snmp_sess_transport(w->sess);
	return t ? t->sock : -1;
}

void ft_snmp_walker_read(struct ft_snmp_walker *w)
{
	netsnmp_large_fd_set fds;
	netsnmp_large_fd_set_init(&fds, ft_snmp_walker_fd(w) + 1);
	netsnmp_large_fd_setfd(ft_snmp_walker_fd(w), &fds);
	snmp_sess_read2(w->sess, &fds);
	netsnmp_large_fd_set_cleanup(&fds);
}

int64_t ft_snmp_walker_deadline_ns(struct ft_snmp_walker *w)
{
	if (w->phase == P_IDLE)
		return -1;
	int numfds = 0, block = 1;
	struct timeval tv = { 0, 0 };
	netsnmp_large_fd_set fds;
	netsnmp_large_fd_set_init(&fds, ft_snmp_walker_fd(w) + 1);
	snmp_sess_select_info2(w->sess, &numfds, &fds, &tv, &block);
	netsnmp_large_fd_set_cleanup(&fds);
	if (block)
		return -1;
	return ft_clock_mono_ns() + (int64_t)tv.tv_sec * FT_NS_PER_SEC + (int64_t)tv.tv_usec * 1000;
}

void ft_snmp_walker_timeout(struct ft_snmp_walker *w)
{
	snmp_sess_timeout(w->sess);
	/* a poll whose request net-snmp no longer holds, with no word of it, would wait for
	 * ever */
	if (w->phase != P_IDLE && ft_snmp_walker_deadline_ns(w) < 0)
		fail(w, w->report ? -EACCES : -EIO, "%s",
		     report_text(w->report) ? report_text(w->report) : "the request ended without an answer");
}

void ft_snmp_walker_take(struct ft_snmp_walker *w, struct ft_snmp_poll *ret)
{
	*ret = w->poll;
	memset(&w->poll, 0, sizeof(w->poll));
	w->cap = 0;
}

int ft_snmp_walker_feed(struct ft_snmp_walker *w, const uint8_t *buf, size_t len)
{
	if (!w->dry) {
		/* the first feed starts a poll whose requests are never sent */
		w->dry = true;
		if (ft_snmp_walker_start(w, NULL, NULL) < 0)
			return -EBUSY;
	}
	if (w->phase == P_IDLE)
		return -ENOENT;
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_RESPONSE);
	if (!pdu)
		return -ENOMEM;
	u_char *copy = malloc(len ? len : 1);
	if (!copy) {
		snmp_free_pdu(pdu);
		return -ENOMEM;
	}
	memcpy(copy, buf, len);
	size_t left = len;
	int r = snmp_pdu_parse(pdu, copy, &left) == 0 ? 0 : -EBADMSG;
	if (r == 0 && pdu->command != SNMP_MSG_RESPONSE && pdu->command != SNMP_MSG_REPORT)
		r = -EBADMSG;
	if (r == 0)
		callback(NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE, NULL, w->reqid, pdu, w);
	snmp_free_pdu(pdu);
	free(copy);
	return r;
}

const char *ft_snmp_walker_error(const struct ft_snmp_walker *w)
{
	return w->err;
}

void ft_snmp_poll_done(struct ft_snmp_poll *p)
{
	free(p->ifs);
	memset(p, 0, sizeof(*p));
}
