/*
 * ifmib_agent: the IF-MIB behind the test snmpd (tests/snmpd/start.sh), a net-snmp
 * pass_persist handler whose counters the tests drive through a control file.
 *
 *   pass_persist .1.3.6.1.2.1.2  ifmib_agent CONTROL_FILE
 *   pass_persist .1.3.6.1.2.1.31 ifmib_agent CONTROL_FILE
 *
 * Data structures and flow.  The control file (format in tests/snmpd/README.md) is
 * parsed into an array of interfaces sorted by ifIndex.  From that array a flat table
 * of every instance the agent serves is built: ifNumber.0, then ifTable column by
 * column, then ifXTable column by column, each with its full OID.  Built in that order
 * the table is already in lexicographic OID order, so GET and GETNEXT are one binary
 * search each.  A row holds only (interface, column); its value is computed when asked,
 * from the interface's start values, rates and the current time, so a frozen clock that
 * the test steps gives exact counter values.
 *
 * The file is stat()ed before each request and parsed again only when its mtime (ns),
 * size or inode changed.  A file that does not parse keeps the previous table, so a test
 * that writes a bad file sees the old state rather than an empty agent; the error goes
 * to stderr.  Tests should write a new file and rename() it into place, so the agent
 * never reads half a file.
 *
 * snmpd starts one process per pass_persist line.  A GETNEXT answer stays inside the
 * subtree the request came from (.1.3.6.1.2.1.2 or .1.3.6.1.2.1.31), because snmpd
 * hands a request to the process registered for that subtree only; an answer from the
 * other subtree would be out of order for it.
 *
 * Counter arithmetic is modulo 2^64 without floating point: rate * dt with dt in whole
 * seconds plus nanoseconds is split so that no product can overflow (see advance()).
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L   /* clock_gettime, st_mtim */
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define NS_PER_S 1000000000ull
#define MAX_ARCS 128      /* net-snmp's MAX_OID_LEN */
#define MAX_TEXT 256      /* ifDescr, ifName, ifAlias */
#define MAX_IFS 100000    /* cap on the interfaces of one control file */
#define LINE_MAX_LEN 8192

/* Counters an interface advances: start value plus rate per second. */
enum ctr {
	C_IN_OCTETS, C_OUT_OCTETS,
	C_IN_UCAST, C_OUT_UCAST,
	C_IN_MCAST, C_OUT_MCAST,
	C_IN_BCAST, C_OUT_BCAST,
	C_IN_ERRORS, C_OUT_ERRORS,
	C_IN_DISCARDS, C_OUT_DISCARDS,
	C_IN_UNKNOWN,
	C_COUNT
};

/* Key prefixes in the control file: <prefix>_start and <prefix>_rate. */
static const char *const ctr_names[C_COUNT] = {
	"in_octets", "out_octets", "in_ucast", "out_ucast", "in_mcast", "out_mcast",
	"in_bcast", "out_bcast", "in_errors", "out_errors", "in_discards", "out_discards",
	"in_unknown",
};

struct ctr_val {
	uint64_t start, rate;
	bool start_set, rate_set;
};

struct iface {
	uint32_t index;
	char name[MAX_TEXT], descr[MAX_TEXT], alias[MAX_TEXT];
	bool descr_set;
	uint8_t mac[6];
	bool mac_set;
	uint64_t highspeed;          /* Mb/s */
	uint64_t speed;              /* b/s, ifSpeed */
	bool speed_set;
	uint64_t pkt_size;
	struct ctr_val c[C_COUNT];
	long oper, admin, mtu, type, promisc, connector, trap_enable;
	uint32_t disc, last_change;  /* TimeTicks */
};

enum tree { T_IFNUMBER, T_IFTABLE, T_IFXTABLE };

struct row {
	uint32_t arcs[12];
	uint8_t len;
	uint8_t tree, col;
	uint32_t ifi;                /* position in the interface array */
};

struct model {
	struct iface *ifs;
	size_t n_ifs;
	struct row *rows;
	size_t n_rows;
	bool noxtable;
	int64_t epoch_ns;
	bool epoch_set;
	int64_t clock_ns;
	bool clock_set;
};

static const uint32_t oid_ifnumber[] = {1, 3, 6, 1, 2, 1, 2, 1, 0};
static const uint32_t oid_ifentry[] = {1, 3, 6, 1, 2, 1, 2, 2, 1};
static const uint32_t oid_ifxentry[] = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1};

/* ifTable columns served: 12 and 18 (the NUcast counters) are deprecated by RFC 2863
 * and left out, as most agents do. */
static const uint8_t iftable_cols[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17,
				       19, 20, 21, 22};

static struct model cur;
static const char *ctl_path;
/* the default epoch: the file's mtime when this process first read it */
static int64_t first_mtime_ns;
static bool first_read_done;

/* ---- control file parsing ---- */

struct parse {
	const char *path;
	unsigned line;
	bool failed;
};

static void perr(struct parse *p, const char *fmt, const char *what)
{
	fprintf(stderr, "ifmib_agent: %s:%u: ", p->path, p->line);
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
	p->failed = true;
}

/* Splits a line into words; a double-quoted part may hold spaces (\" and \\ escape).
 * '#' outside quotes ends the line.  The words are written into the line in place. */
static int split_words(char *s, char **words, int max)
{
	int n = 0;
	char *w = s;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s == '\0' || *s == '#')
			return n;
		if (n == max)
			return -1;
		words[n++] = w;
		bool quoted = false;
		while (*s != '\0') {
			if (quoted) {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				else if (*s == '"') {
					quoted = false;
					s++;
					continue;
				}
			} else if (*s == '"') {
				quoted = true;
				s++;
				continue;
			} else if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
				break;
			}
			*w++ = *s++;
		}
		if (quoted)
			return -2;
		bool end = *s == '\0';
		*w++ = '\0';
		if (!end)
			s++;
		/* w never passes s: each word is copied over the text it came from, shorter
		 * by the quotes it lost */
		if (end)
			return n;
	}
}

static bool parse_u64(const char *s, uint64_t *ret)
{
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*ret = v;
	return true;
}

/* UNIX seconds with an optional fraction, possibly negative, into nanoseconds. */
static bool parse_time_ns(const char *s, int64_t *ret)
{
	bool neg = *s == '-';
	if (neg)
		s++;
	uint64_t sec = 0, frac = 0, scale = NS_PER_S;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		sec = sec * 10 + (uint64_t)(*s - '0');
		if (sec > 9000000000ull)
			return false;
	}
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*s - '0') * scale;
			}
		}
	}
	if (*s != '\0')
		return false;
	int64_t v = (int64_t)(sec * NS_PER_S + frac);
	*ret = neg ? -v : v;
	return true;
}

static bool parse_status(const char *s, long *ret)
{
	static const char *const names[] = {"up", "down", "testing", "unknown", "dormant",
					    "notPresent", "lowerLayerDown"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (long)i + 1;
			return true;
		}
	uint64_t v;
	if (!parse_u64(s, &v) || v < 1 || v > 7)
		return false;
	*ret = (long)v;
	return true;
}

static bool parse_truth(const char *s, long *ret)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "yes") == 0)
		*ret = 1;
	else if (strcmp(s, "false") == 0 || strcmp(s, "2") == 0 || strcmp(s, "no") == 0)
		*ret = 2;
	else
		return false;
	return true;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return true;
}

static bool copy_text(struct parse *p, char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n >= MAX_TEXT) {
		perr(p, "text longer than 255 bytes: %s", src);
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

static void iface_defaults(struct iface *f, uint32_t index)
{
	memset(f, 0, sizeof *f);
	f->index = index;
	f->highspeed = 1000;
	f->pkt_size = 1000;
	f->oper = 1;
	f->admin = 1;
	f->mtu = 1500;
	f->type = 6;            /* ethernetCsmacd */
	f->promisc = 2;
	f->connector = 1;
	f->trap_enable = 1;
}

/* Applies one key=value to an interface.  For `gen`, name/descr/alias are prefixes that
 * the caller completes with the index. */
static bool apply_key(struct parse *p, struct iface *f, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv) {
		perr(p, "expected key=value, got: %s", kv);
		return false;
	}
	char key[64];
	size_t kl = (size_t)(eq - kv);
	if (kl >= sizeof key) {
		perr(p, "unknown key: %s", kv);
		return false;
	}
	memcpy(key, kv, kl);
	key[kl] = '\0';
	const char *v = eq + 1;
	uint64_t u;

	if (strcmp(key, "name") == 0)
		return copy_text(p, f->name, v);
	if (strcmp(key, "descr") == 0) {
		f->descr_set = true;
		return copy_text(p, f->descr, v);
	}
	if (strcmp(key, "alias") == 0)
		return copy_text(p, f->alias, v);
	if (strcmp(key, "oper") == 0 || strcmp(key, "admin") == 0) {
		if (!parse_status(v, key[0] == 'o' ? &f->oper : &f->admin))
			goto bad;
		return true;
	}
	if (strcmp(key, "promisc") == 0) {
		if (!parse_truth(v, &f->promisc))
			goto bad;
		return true;
	}
	if (strcmp(key, "connector") == 0) {
		if (!parse_truth(v, &f->connector))
			goto bad;
		return true;
	}
	if (strcmp(key, "trap") == 0) {
		if (!parse_truth(v, &f->trap_enable))
			goto bad;
		return true;
	}
	if (strcmp(key, "mac") == 0) {
		if (!parse_mac(v, f->mac))
			goto bad;
		f->mac_set = true;
		return true;
	}
	if (!parse_u64(v, &u))
		goto bad;
	if (strcmp(key, "highspeed") == 0) {
		f->highspeed = u;
	} else if (strcmp(key, "speed") == 0) {
		f->speed = u;
		f->speed_set = true;
	} else if (strcmp(key, "pkt_size") == 0) {
		if (u == 0)
			goto bad;
		f->pkt_size = u;
	} else if (strcmp(key, "mtu") == 0 || strcmp(key, "type") == 0) {
		if (u > INT32_MAX)
			goto bad;
		*(key[0] == 'm' ? &f->mtu : &f->type) = (long)u;
	} else if (strcmp(key, "disc") == 0 || strcmp(key, "last_change") == 0) {
		if (u > UINT32_MAX)
			goto bad;
		*(key[0] == 'd' ? &f->disc : &f->last_change) = (uint32_t)u;
	} else if (strcmp(key, "in_rate") == 0 || strcmp(key, "out_rate") == 0) {
		struct ctr_val *c = &f->c[key[0] == 'i' ? C_IN_OCTETS : C_OUT_OCTETS];
		c->rate = u;
		c->rate_set = true;
	} else if (strcmp(key, "in_start") == 0 || strcmp(key, "out_start") == 0) {
		struct ctr_val *c = &f->c[key[0] == 'i' ? C_IN_OCTETS : C_OUT_OCTETS];
		c->start = u;
		c->start_set = true;
	} else {
		/* <counter>, <counter>_start, <counter>_rate; in_pkts/out_pkts name the unicast
		 * packet counters */
		char base[64];
		snprintf(base, sizeof base, "%s", key);
		bool rate = false;
		size_t bl = strlen(base);
		if (bl > 5 && strcmp(base + bl - 5, "_rate") == 0) {
			rate = true;
			base[bl - 5] = '\0';
		} else if (bl > 6 && strcmp(base + bl - 6, "_start") == 0) {
			base[bl - 6] = '\0';
		}
		if (strcmp(base, "in_pkts") == 0)
			strcpy(base, "in_ucast");
		else if (strcmp(base, "out_pkts") == 0)
			strcpy(base, "out_ucast");
		for (int i = 0; i < C_COUNT; i++)
			if (strcmp(base, ctr_names[i]) == 0) {
				if (rate) {
					f->c[i].rate = u;
					f->c[i].rate_set = true;
				} else {
					f->c[i].start = u;
					f->c[i].start_set = true;
				}
				return true;
			}
		perr(p, "unknown key: %s", key);
		return false;
	}
	return true;
bad:
	perr(p, "bad value: %s", kv);
	return false;
}

/* Fills what the other keys imply: ifSpeed from ifHighSpeed, the unicast packet counters
 * from the octet counters and pkt_size, the description and MAC from the index. */
static void iface_finish(struct iface *f)
{
	if (!f->speed_set) {
		uint64_t hs = f->highspeed;
		f->speed = hs > UINT32_MAX / 1000000u ? UINT32_MAX : hs * 1000000u;
	}
	if (f->speed > UINT32_MAX)
		f->speed = UINT32_MAX;
	if (f->highspeed > UINT32_MAX)
		f->highspeed = UINT32_MAX;
	for (int d = 0; d < 2; d++) {
		const struct ctr_val *o = &f->c[d == 0 ? C_IN_OCTETS : C_OUT_OCTETS];
		struct ctr_val *pk = &f->c[d == 0 ? C_IN_UCAST : C_OUT_UCAST];
		if (!pk->start_set)
			pk->start = o->start / f->pkt_size;
		if (!pk->rate_set)
			pk->rate = o->rate / f->pkt_size;
	}
	if (!f->descr_set)
		memcpy(f->descr, f->name, sizeof f->descr);
	if (!f->mac_set) {
		f->mac[0] = 0x02;
		f->mac[1] = 0x00;
		f->mac[2] = (uint8_t)(f->index >> 24);
		f->mac[3] = (uint8_t)(f->index >> 16);
		f->mac[4] = (uint8_t)(f->index >> 8);
		f->mac[5] = (uint8_t)f->index;
	}
}

static int cmp_iface(const void *a, const void *b)
{
	const struct iface *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

static bool push_iface(struct parse *p, struct model *m, size_t *cap, const struct iface *f)
{
	if (m->n_ifs == MAX_IFS) {
		perr(p, "more than %s interfaces", "100000");
		return false;
	}
	if (m->n_ifs == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct iface *n = realloc(m->ifs, nc * sizeof *n);
		if (n == NULL) {
			perr(p, "%s", "out of memory");
			return false;
		}
		m->ifs = n;
		*cap = nc;
	}
	m->ifs[m->n_ifs++] = *f;
	return true;
}

static bool parse_index(struct parse *p, const char *s, uint32_t *ret)
{
	uint64_t u;
	if (!parse_u64(s, &u) || u < 1 || u > INT32_MAX) {
		perr(p, "bad ifIndex (1..2147483647): %s", s);
		return false;
	}
	*ret = (uint32_t)u;
	return true;
}

static void line_directive(struct parse *p, struct model *m, size_t *cap, char **w, int n)
{
	if (strcmp(w[0], "epoch") == 0 || strcmp(w[0], "clock") == 0) {
		int64_t t;
		if (n != 2 || !parse_time_ns(w[1], &t)) {
			perr(p, "expected `%s UNIX_SECONDS[.FRACTION]`", w[0]);
			return;
		}
		if (w[0][0] == 'e') {
			m->epoch_ns = t;
			m->epoch_set = true;
		} else {
			m->clock_ns = t;
			m->clock_set = true;
		}
	} else if (strcmp(w[0], "noxtable") == 0) {
		if (n != 1)
			perr(p, "%s takes no arguments", w[0]);
		m->noxtable = true;
	} else if (strcmp(w[0], "if") == 0) {
		uint32_t idx;
		struct iface f;
		if (n < 2) {
			perr(p, "%s", "expected `if INDEX key=value...`");
			return;
		}
		if (!parse_index(p, w[1], &idx))
			return;
		iface_defaults(&f, idx);
		snprintf(f.name, sizeof f.name, "if%" PRIu32, idx);
		for (int i = 2; i < n; i++)
			if (!apply_key(p, &f, w[i]))
				return;
		iface_finish(&f);
		push_iface(p, m, cap, &f);
	} else if (strcmp(w[0], "gen") == 0) {
		uint64_t count;
		uint32_t first = 1;
		int i = 2;
		if (n < 2 || !parse_u64(w[1], &count) || count > MAX_IFS) {
			perr(p, "%s", "expected `gen COUNT [FIRST_INDEX] key=value...`");
			return;
		}
		if (n > 2 && strchr(w[2], '=') == NULL) {
			if (!parse_index(p, w[2], &first))
				return;
			i = 3;
		}
		if ((uint64_t)first + count - 1 > INT32_MAX) {
			perr(p, "%s", "gen: indexes beyond 2147483647");
			return;
		}
		struct iface t;
		iface_defaults(&t, first);
		strcpy(t.name, "gen/");
		for (; i < n; i++)
			if (!apply_key(p, &t, w[i]))
				return;
		for (uint64_t k = 0; k < count; k++) {
			struct iface f = t;
			f.index = first + (uint32_t)k;
			/* the prefixes get the index; a text too long is cut, which is harmless */
			snprintf(f.name, sizeof f.name, "%.200s%" PRIu32, t.name, f.index);
			if (t.descr_set)
				snprintf(f.descr, sizeof f.descr, "%.200s%" PRIu32, t.descr, f.index);
			if (t.alias[0] != '\0')
				snprintf(f.alias, sizeof f.alias, "%.200s%" PRIu32, t.alias, f.index);
			iface_finish(&f);
			if (!push_iface(p, m, cap, &f))
				return;
		}
	} else {
		perr(p, "unknown directive: %s", w[0]);
	}
}

static void model_free(struct model *m)
{
	free(m->ifs);
	free(m->rows);
	memset(m, 0, sizeof *m);
}

static void add_row(struct model *m, const uint32_t *prefix, size_t plen, uint8_t tree,
		    uint8_t col, uint32_t ifi, bool with_index)
{
	struct row *r = &m->rows[m->n_rows++];
	memcpy(r->arcs, prefix, plen * sizeof *prefix);
	r->len = (uint8_t)plen;
	r->tree = tree;
	r->col = col;
	r->ifi = ifi;
	if (with_index) {
		r->arcs[r->len++] = col;
		r->arcs[r->len++] = m->ifs[ifi].index;
	}
}

/* The rows in OID order: ifNumber.0 < ifEntry.C.I < ifXEntry.C.I, each table column by
 * column and, within a column, by ifIndex (the interfaces are sorted). */
static bool build_rows(struct model *m)
{
	size_t ncol = sizeof iftable_cols + (m->noxtable ? 0 : 19);
	m->rows = malloc((1 + ncol * m->n_ifs) * sizeof *m->rows);
	if (m->rows == NULL)
		return false;
	m->n_rows = 0;
	add_row(m, oid_ifnumber, 9, T_IFNUMBER, 0, 0, false);
	for (size_t c = 0; c < sizeof iftable_cols; c++)
		for (size_t i = 0; i < m->n_ifs; i++)
			add_row(m, oid_ifentry, 9, T_IFTABLE, iftable_cols[c], (uint32_t)i, true);
	if (!m->noxtable)
		for (uint8_t c = 1; c <= 19; c++)
			for (size_t i = 0; i < m->n_ifs; i++)
				add_row(m, oid_ifxentry, 10, T_IFXTABLE, c, (uint32_t)i, true);
	return true;
}

static bool load(struct model *m, const char *path, int64_t mtime_ns)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "ifmib_agent: %s: %s\n", path, strerror(errno));
		return false;
	}
	struct parse p = {.path = path};
	size_t cap = 0;
	char buf[LINE_MAX_LEN], line[LINE_MAX_LEN];
	size_t ll = 0;
	memset(m, 0, sizeof *m);
	while (fgets(buf, sizeof buf, fp) != NULL) {
		p.line++;
		size_t bl = strlen(buf);
		while (bl > 0 && (buf[bl - 1] == '\n' || buf[bl - 1] == '\r'))
			buf[--bl] = '\0';
		bool cont = bl > 0 && buf[bl - 1] == '\\';
		if (cont)
			buf[--bl] = ' ';
		if (ll + bl + 2 > sizeof line) {
			perr(&p, "%s", "line too long");
			break;
		}
		memcpy(line + ll, buf, bl);
		ll += bl;
		line[ll] = '\0';
		if (cont)
			continue;
		char *w[4096];
		int n = split_words(line, w, (int)(sizeof w / sizeof w[0]));
		ll = 0;
		if (n == -2)
			perr(&p, "%s", "unterminated quote");
		else if (n < 0)
			perr(&p, "%s", "too many words");
		else if (n > 0)
			line_directive(&p, m, &cap, w, n);
		if (p.failed)
			break;
	}
	fclose(fp);
	if (p.failed) {
		model_free(m);
		return false;
	}
	qsort(m->ifs, m->n_ifs, sizeof *m->ifs, cmp_iface);
	/* a later line for the same ifIndex replaces the earlier one */
	size_t k = 0;
	for (size_t i = 0; i < m->n_ifs; i++) {
		if (k > 0 && m->ifs[k - 1].index == m->ifs[i].index)
			k--;
		m->ifs[k++] = m->ifs[i];
	}
	m->n_ifs = k;
	if (!m->epoch_set)
		m->epoch_ns = mtime_ns;
	if (!build_rows(m)) {
		fprintf(stderr, "ifmib_agent: out of memory\n");
		model_free(m);
		return false;
	}
	return true;
}

/* Re-reads the control file when it changed. */
static void refresh(void)
{
	static struct timespec seen_mtime;
	static off_t seen_size = -1;
	static ino_t seen_ino;
	struct stat st;
	if (stat(ctl_path, &st) != 0)
		return;
	if (seen_size == st.st_size && seen_ino == st.st_ino &&
	    seen_mtime.tv_sec == st.st_mtim.tv_sec && seen_mtime.tv_nsec == st.st_mtim.tv_nsec)
		return;
	int64_t mtime_ns = (int64_t)st.st_mtim.tv_sec * (int64_t)NS_PER_S + st.st_mtim.tv_nsec;
	if (!first_read_done) {
		first_mtime_ns = mtime_ns;
		first_read_done = true;
	}
	struct model m;
	if (load(&m, ctl_path, first_mtime_ns)) {
		model_free(&cur);
		cur = m;
	}
	seen_mtime = st.st_mtim;
	seen_size = st.st_size;
	seen_ino = st.st_ino;
}

/* ---- values ---- */

static int64_t now_ns(void)
{
	if (cur.clock_set)
		return cur.clock_ns;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * (int64_t)NS_PER_S + ts.tv_nsec;
}

/* (start + floor(rate * dt)) mod 2^64 for dt = sec + ns/1e9 seconds, 0 <= ns < 1e9.
 * rate * sec is taken mod 2^64 directly (unsigned multiplication is exact mod 2^64,
 * also for a negative sec in two's complement).  For the fraction, rate = hi*1e9 + lo,
 * so rate*ns/1e9 = hi*ns + lo*ns/1e9 with lo*ns < 1e18: no product overflows. */
static uint64_t advance(const struct ctr_val *c, int64_t sec, uint64_t ns)
{
	uint64_t hi = c->rate / NS_PER_S, lo = c->rate % NS_PER_S;
	return c->start + c->rate * (uint64_t)sec + hi * ns + lo * ns / NS_PER_S;
}

static uint64_t ctr_now(const struct iface *f, enum ctr which)
{
	int64_t dt = now_ns() - cur.epoch_ns;
	int64_t sec = dt / (int64_t)NS_PER_S, ns = dt % (int64_t)NS_PER_S;
	if (ns < 0) {
		ns += (int64_t)NS_PER_S;
		sec--;
	}
	return advance(&f->c[which], sec, (uint64_t)ns);
}

struct out {
	char buf[1024];
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void out_put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < sizeof o->buf - o->len ? (size_t)n : sizeof o->buf - o->len - 1;
}

static void put_oid(struct out *o, const struct row *r)
{
	for (unsigned i = 0; i < r->len; i++)
		out_put(o, ".%" PRIu32, r->arcs[i]);
	out_put(o, "\n");
}

static void put_c32(struct out *o, uint64_t v)
{
	out_put(o, "counter\n%" PRIu64 "\n", v & 0xffffffffu);
}

static void put_c64(struct out *o, uint64_t v)
{
	out_put(o, "counter64\n%" PRIu64 "\n", v);
}

static void put_value(struct out *o, const struct row *r)
{
	if (r->tree == T_IFNUMBER) {
		out_put(o, "integer\n%zu\n", cur.n_ifs);
		return;
	}
	const struct iface *f = &cur.ifs[r->ifi];
	if (r->tree == T_IFTABLE) {
		switch (r->col) {
		case 1: out_put(o, "integer\n%" PRIu32 "\n", f->index); return;
		case 2: out_put(o, "string\n%s\n", f->descr); return;
		case 3: out_put(o, "integer\n%ld\n", f->type); return;
		case 4: out_put(o, "integer\n%ld\n", f->mtu); return;
		case 5: out_put(o, "gauge\n%" PRIu64 "\n", f->speed); return;
		case 6:
			out_put(o, "octet\n%02x %02x %02x %02x %02x %02x\n", f->mac[0], f->mac[1],
				f->mac[2], f->mac[3], f->mac[4], f->mac[5]);
			return;
		case 7: out_put(o, "integer\n%ld\n", f->admin); return;
		case 8: out_put(o, "integer\n%ld\n", f->oper); return;
		case 9: out_put(o, "timeticks\n%" PRIu32 "\n", f->last_change); return;
		case 10: put_c32(o, ctr_now(f, C_IN_OCTETS)); return;
		case 11: put_c32(o, ctr_now(f, C_IN_UCAST)); return;
		case 13: put_c32(o, ctr_now(f, C_IN_DISCARDS)); return;
		case 14: put_c32(o, ctr_now(f, C_IN_ERRORS)); return;
		case 15: put_c32(o, ctr_now(f, C_IN_UNKNOWN)); return;
		case 16: put_c32(o, ctr_now(f, C_OUT_OCTETS)); return;
		case 17: put_c32(o, ctr_now(f, C_OUT_UCAST)); return;
		case 19: put_c32(o, ctr_now(f, C_OUT_DISCARDS)); return;
		case 20: put_c32(o, ctr_now(f, C_OUT_ERRORS)); return;
		case 21: out_put(o, "gauge\n0\n"); return;
		case 22: out_put(o, "objectid\n.0.0\n"); return;
		}
	} else {
		switch (r->col) {
		case 1: out_put(o, "string\n%s\n", f->name); return;
		case 2: put_c32(o, ctr_now(f, C_IN_MCAST)); return;
		case 3: put_c32(o, ctr_now(f, C_IN_BCAST)); return;
		case 4: put_c32(o, ctr_now(f, C_OUT_MCAST)); return;
		case 5: put_c32(o, ctr_now(f, C_OUT_BCAST)); return;
		case 6: put_c64(o, ctr_now(f, C_IN_OCTETS)); return;
		case 7: put_c64(o, ctr_now(f, C_IN_UCAST)); return;
		case 8: put_c64(o, ctr_now(f, C_IN_MCAST)); return;
		case 9: put_c64(o, ctr_now(f, C_IN_BCAST)); return;
		case 10: put_c64(o, ctr_now(f, C_OUT_OCTETS)); return;
		case 11: put_c64(o, ctr_now(f, C_OUT_UCAST)); return;
		case 12: put_c64(o, ctr_now(f, C_OUT_MCAST)); return;
		case 13: put_c64(o, ctr_now(f, C_OUT_BCAST)); return;
		case 14: out_put(o, "integer\n%ld\n", f->trap_enable); return;
		case 15: out_put(o, "gauge\n%" PRIu64 "\n", f->highspeed); return;
		case 16: out_put(o, "integer\n%ld\n", f->promisc); return;
		case 17: out_put(o, "integer\n%ld\n", f->connector); return;
		case 18: out_put(o, "string\n%s\n", f->alias); return;
		case 19: out_put(o, "timeticks\n%" PRIu32 "\n", f->disc); return;
		}
	}
	out_put(o, "integer\n0\n");   /* not reached: every row's column is listed above */
}

/* ---- lookup ---- */

struct req_oid {
	uint64_t arcs[MAX_ARCS];
	size_t len;
	bool longer;         /* more arcs than MAX_ARCS: greater than any prefix of them */
};

static bool parse_oid(const char *s, struct req_oid *o)
{
	o->len = 0;
	o->longer = false;
	while (*s == ' ')
		s++;
	if (*s == '.')
		s++;
	while (*s != '\0' && *s != '\n' && *s != '\r') {
		if (*s < '0' || *s > '9')
			return false;
		uint64_t v = 0;
		for (; *s >= '0' && *s <= '9'; s++)
			v = v > UINT64_MAX / 10 ? UINT64_MAX : v * 10 + (uint64_t)(*s - '0');
		if (o->len < MAX_ARCS)
			o->arcs[o->len++] = v;
		else
			o->longer = true;
		if (*s == '.')
			s++;
	}
	return true;
}

/* <0, 0, >0 as the row's OID sorts before, equal to or after the request. */
static int cmp_row(const struct row *r, const struct req_oid *q)
{
	size_t n = r->len < q->len ? r->len : q->len;
	for (size_t i = 0; i < n; i++)
		if (r->arcs[i] != q->arcs[i])
			return r->arcs[i] < q->arcs[i] ? -1 : 1;
	if (r->len == q->len && !q->longer)
		return 0;
	return r->len < q->len || q->longer ? -1 : 1;
}

/* First row not before the request (strictly after it when `after`). */
static size_t lower_bound(const struct req_oid *q, bool after)
{
	size_t lo = 0, hi = cur.n_rows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_row(&cur.rows[mid], q);
		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool in_subtree(const struct row *r, const struct req_oid *q)
{
	/* the subtree of the request: .1.3.6.1.2.1.X, as registered in snmpd.conf */
	size_t n = q->len < 7 ? q->len : 7;
	if (r->len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (r->arcs[i] != q->arcs[i])
			return false;
	return true;
}

static const struct row *find(const struct req_oid *q, bool next)
{
	size_t i = lower_bound(q, next);
	if (i == cur.n_rows)
		return NULL;
	const struct row *r = &cur.rows[i];
	if (!next)
		return cmp_row(r, q) == 0 ? r : NULL;
	return in_subtree(r, q) ? r : NULL;
}

/* ---- protocol ---- */

static void reply(const struct out *o)
{
	fwrite(o->buf, 1, o->len, stdout);
	fflush(stdout);
}

static void reply_str(const char *s)
{
	fputs(s, stdout);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CONTROL_FILE\n", argv[0]);
		return 2;
	}
	ctl_path = argv[1];
	static char iobuf[1 << 16];
	setvbuf(stdout, iobuf, _IOFBF, sizeof iobuf);
	char cmd[LINE_MAX_LEN], arg[LINE_MAX_LEN];
	while (fgets(cmd, sizeof cmd, stdin) != NULL) {
		cmd[strcspn(cmd, "\r\n")] = '\0';
		if (strcmp(cmd, "PING") == 0) {
			reply_str("PONG\n");
		} else if (strcmp(cmd, "get") == 0 || strcmp(cmd, "getnext") == 0) {
			if (fgets(arg, sizeof arg, stdin) == NULL)
				break;
			struct req_oid q;
			refresh();
			const struct row *r = parse_oid(arg, &q) ? find(&q, cmd[3] == 'n') : NULL;
			if (r == NULL) {
				reply_str("NONE\n");
				continue;
			}
			struct out o = {.len = 0};
			put_oid(&o, r);
			put_value(&o, r);
			reply(&o);
		} else if (strcmp(cmd, "set") == 0) {
			/* the OID, then "TYPE VALUE"; IF-MIB is read-only here */
			if (fgets(arg, sizeof arg, stdin) == NULL || fgets(arg, sizeof arg, stdin) == NULL)
				break;
			reply_str("not-writable\n");
		}
		/* anything else (an empty line) gets no answer, as snmpd expects none */
	}
	model_free(&cur);
	return 0;
}
