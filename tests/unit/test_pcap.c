/* Tests of the capture reader: capture files are written with libpcap's own writer (and
 * one pcapng file by hand) from hand-built frames, read back with ft_pcap_open(), and
 * every datagram and counter is checked.  With FT_FIXTURES set, real captures are read
 * too. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "collector/pcap/pcap_int.h"
#include "flowtally/pcap.h"

#define T0 1764075600000000000LL    /* 2025-11-25T13:00:00Z in ns */
#define SEC 1000000000LL
#define SRC4 "192.0.2.1"
#define DST4 "198.51.100.7"
#define SRC6 "2001:db8::1"
#define DST6 "2001:db8:ffff::2"
#define MICRO PCAP_TSTAMP_PRECISION_MICRO
#define NANO PCAP_TSTAMP_PRECISION_NANO

/* ---- frame builders: each writes header + payload into o and returns the length ---- */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void putle32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed * 31 + (i >> 8));
}

static void pton(int af, const char *s, uint8_t *out)
{
	ck_assert_int_eq(inet_pton(af, s, out), 1);
}

static size_t mk_udp(uint8_t *o, uint16_t sport, uint16_t dport, const uint8_t *pl, size_t n)
{
	memmove(o + 8, pl, n);
	put16(o, sport);
	put16(o + 2, dport);
	put16(o + 4, (uint32_t)(8 + n));
	put16(o + 6, 0);
	return 8 + n;
}

struct ip4 {
	uint8_t proto;
	uint16_t id;
	uint16_t frag;              /* flags and offset field as on the wire */
	const uint8_t *opt;
	size_t optlen;              /* a multiple of 4 */
	const char *src;            /* SRC4 when NULL */
};

static size_t mk_ip4(uint8_t *o, struct ip4 h, const uint8_t *pl, size_t n)
{
	size_t hl = 20 + h.optlen;
	memmove(o + hl, pl, n);
	o[0] = (uint8_t)(0x40 | hl / 4);
	o[1] = 0;
	put16(o + 2, (uint32_t)(hl + n));
	put16(o + 4, h.id);
	put16(o + 6, h.frag);
	o[8] = 64;
	o[9] = h.proto;
	put16(o + 10, 0);
	pton(AF_INET, h.src ? h.src : SRC4, o + 12);
	pton(AF_INET, DST4, o + 16);
	if (h.optlen)
		memcpy(o + 20, h.opt, h.optlen);
	return hl + n;
}

static size_t mk_ip6(uint8_t *o, uint8_t nh, const uint8_t *pl, size_t n)
{
	memmove(o + 40, pl, n);
	put32(o, 0x60000000);
	put16(o + 4, (uint32_t)n);
	o[6] = nh;
	o[7] = 64;
	pton(AF_INET6, SRC6, o + 8);
	pton(AF_INET6, DST6, o + 24);
	return 40 + n;
}

/* Hop-by-hop, routing or destination options header of (units + 1) * 8 bytes. */
static size_t mk_ext6(uint8_t *o, uint8_t nh, uint8_t units, const uint8_t *pl, size_t n)
{
	size_t hl = ((size_t)units + 1) * 8;
	memmove(o + hl, pl, n);
	memset(o, 0, hl);
	o[0] = nh;
	o[1] = units;
	return hl + n;
}

static size_t mk_frag6(uint8_t *o, uint8_t nh, uint32_t id, size_t off, int more,
                       const uint8_t *pl, size_t n)
{
	memmove(o + 8, pl, n);
	o[0] = nh;
	o[1] = 0;
	put16(o + 2, (uint32_t)(off | (more ? 1 : 0)));
	put32(o + 4, id);
	return 8 + n;
}

/* Ethernet with the given VLAN TPIDs in front of type. */
static size_t mk_eth(uint8_t *o, const uint16_t *tpids, size_t ntags, uint16_t type,
                     const uint8_t *pl, size_t n)
{
	size_t hl = 14 + 4 * ntags;
	memmove(o + hl, pl, n);
	memcpy(o, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	for (size_t i = 0; i < ntags; i++) {
		put16(o + 12 + 4 * i, tpids[i]);
		put16(o + 14 + 4 * i, (uint32_t)(100 + i));
	}
	put16(o + 12 + 4 * ntags, type);
	return hl + n;
}

static size_t mk_sll(uint8_t *o, uint16_t proto, const uint8_t *pl, size_t n)
{
	memmove(o + 16, pl, n);
	memcpy(o, "\x00\x00\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00", 14);
	put16(o + 14, proto);
	return 16 + n;
}

static size_t mk_sll2(uint8_t *o, uint16_t proto, const uint8_t *pl, size_t n)
{
	memmove(o + 20, pl, n);
	put16(o, proto);
	memcpy(o + 2, "\x00\x00\x00\x00\x00\x02\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00", 18);
	return 20 + n;
}

static size_t mk_bsd(uint8_t *o, uint32_t af, int big_endian, const uint8_t *pl, size_t n)
{
	memmove(o + 4, pl, n);
	if (big_endian)
		put32(o, af);
	else
		putle32(o, af);
	return 4 + n;
}

/* Common shapes: UDP in IPv4 or IPv6, bare (raw IP) or in Ethernet. */
static size_t udp4(uint8_t *o, uint16_t sport, uint16_t dport, const uint8_t *pl, size_t n)
{
	return mk_ip4(o, (struct ip4){ .proto = 17 }, o, mk_udp(o, sport, dport, pl, n));
}

static size_t udp6(uint8_t *o, uint16_t sport, uint16_t dport, const uint8_t *pl, size_t n)
{
	return mk_ip6(o, 17, o, mk_udp(o, sport, dport, pl, n));
}

static size_t eth_udp4(uint8_t *o, uint16_t dport, const uint8_t *pl, size_t n)
{
	return mk_eth(o, NULL, 0, 0x0800, o, udp4(o, 4444, dport, pl, n));
}

/* Ethernet / IPv4 fragment of the datagram whose IP payload is d. */
static size_t eth_frag4(uint8_t *o, uint16_t id, uint8_t proto, const uint8_t *d, size_t off,
                        size_t len, int more)
{
	struct ip4 h = { .proto = proto, .id = id, .frag = (uint16_t)((more ? 0x2000 : 0) | off / 8) };
	return mk_eth(o, NULL, 0, 0x0800, o, mk_ip4(o, h, d + off, len));
}

/* ---- capture files ---- */

struct cap {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	pcap_t *dead;
	pcap_dumper_t *dump;
	u_int prec;
};

static void cap_open(struct cap *c, int linktype, u_int prec)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(c->dir, sizeof(c->dir), "%s/ft_test_pcap_XXXXXX", tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/t.pcap", c->dir);
	c->prec = prec;
	c->dead = pcap_open_dead_with_tstamp_precision(linktype, 65535, prec);
	ck_assert_ptr_nonnull(c->dead);
	c->dump = pcap_dump_open(c->dead, c->path);
	ck_assert_msg(c->dump != NULL, "%s", pcap_geterr(c->dead));
}

static void cap_add_cut(struct cap *c, const uint8_t *f, size_t caplen, size_t len, int64_t ts)
{
	struct pcap_pkthdr h = { .caplen = (bpf_u_int32)caplen, .len = (bpf_u_int32)len };
	h.ts.tv_sec = ts / SEC;
	h.ts.tv_usec = c->prec == NANO ? ts % SEC : ts % SEC / 1000;
	pcap_dump((u_char *)c->dump, &h, f);
}

static void cap_add(struct cap *c, const uint8_t *f, size_t n, int64_t ts)
{
	cap_add_cut(c, f, n, n, ts);
}

static void cap_close_writer(struct cap *c)
{
	pcap_dump_close(c->dump);
	pcap_close(c->dead);
	c->dump = NULL;
	c->dead = NULL;
}

static struct ft_pcap_reader *cap_read(struct cap *c)
{
	char err[512] = "";
	cap_close_writer(c);
	struct ft_pcap_reader *r = ft_pcap_open(c->path, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	return r;
}

static void cap_done(struct cap *c, struct ft_pcap_reader *r)
{
	ft_pcap_close(r);
	unlink(c->path);
	rmdir(c->dir);
}

/* ---- reading and checking ---- */

#define MAXGOT 128

struct got {
	size_t n;
	int rc;
	struct ft_datagram dg[MAXGOT];
};

/* Reads to the end, keeping a copy of each datagram's payload. */
static void read_all(struct ft_pcap_reader *r, struct got *g)
{
	struct ft_datagram dg;

	g->n = 0;
	while ((g->rc = ft_pcap_next(r, &dg)) == 1) {
		ck_assert_uint_lt(g->n, MAXGOT);
		uint8_t *copy = malloc(dg.len + 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, dg.data, dg.len);
		dg.data = copy;
		g->dg[g->n++] = dg;
	}
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free((void *)g->dg[i].data);
	g->n = 0;
}

/* Writes frames to a capture of the given link type and reads it all back. */
static struct ft_pcap_stats read_back(struct cap *c, uint16_t port, struct got *g)
{
	struct ft_pcap_reader *r = cap_read(c);
	ft_pcap_set_port(r, port);
	read_all(r, g);
	ck_assert_int_eq(g->rc, 0);
	struct ft_pcap_stats st = *ft_pcap_stats(r);
	cap_done(c, r);
	return st;
}

static void assert_addr(const struct ft_addr *a, const char *want)
{
	struct ft_addr w;
	char buf[FT_ADDR_STRLEN];

	ck_assert_int_eq(ft_addr_parse(want, &w), 0);
	ck_assert_msg(ft_addr_equal(a, &w), "address %s, want %s", ft_addr_format(a, buf), want);
}

static void assert_dg(const struct ft_datagram *dg, const char *src, uint16_t sport,
                      const char *dst, uint16_t dport, const uint8_t *pl, size_t n, int64_t ts)
{
	assert_addr(&dg->src, src);
	assert_addr(&dg->dst, dst);
	ck_assert_uint_eq(dg->sport, sport);
	ck_assert_uint_eq(dg->dport, dport);
	ck_assert_uint_eq(dg->len, n);
	ck_assert_mem_eq(dg->data, pl, n);
	ck_assert_int_eq(dg->recv_ns, ts);
}

#define STATS(...) ((struct ft_pcap_stats){ __VA_ARGS__ })

static void assert_stats(const struct ft_pcap_stats *s, struct ft_pcap_stats w)
{
	ck_assert_uint_eq(s->frames, w.frames);
	ck_assert_uint_eq(s->datagrams, w.datagrams);
	ck_assert_uint_eq(s->not_ip, w.not_ip);
	ck_assert_uint_eq(s->not_udp, w.not_udp);
	ck_assert_uint_eq(s->other_port, w.other_port);
	ck_assert_uint_eq(s->truncated, w.truncated);
	ck_assert_uint_eq(s->fragments, w.fragments);
	ck_assert_uint_eq(s->reassembled, w.reassembled);
	ck_assert_uint_eq(s->fragments_incomplete, w.fragments_incomplete);
}

/* ---- link layers ---- */

START_TEST(ethernet_ipv4_udp_is_read)
{
	uint8_t pl[100], f[300], small[4] = { 1, 2, 3, 4 };
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 1);
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_add(&c, f, eth_udp4(f, 2055, pl, sizeof(pl)), T0 + 123456000);
	/* 46 bytes padded to the 60-byte Ethernet minimum: the padding is not payload. */
	size_t n = eth_udp4(f, 2055, small, sizeof(small));
	memset(f + n, 0xee, 60 - n);
	cap_add(&c, f, 60, T0 + SEC);
	struct ft_pcap_reader *r = cap_read(&c);
	read_all(r, &g);
	ck_assert_int_eq(g.rc, 0);
	ck_assert_int_eq(ft_pcap_next(r, &g.dg[0]), 0);     /* the end stays the end */
	ck_assert_uint_eq(g.n, 2);
	assert_dg(&g.dg[0], SRC4, 4444, DST4, 2055, pl, sizeof(pl), T0 + 123456000);
	assert_dg(&g.dg[1], SRC4, 4444, DST4, 2055, small, sizeof(small), T0 + SEC);
	assert_stats(ft_pcap_stats(r), STATS(.frames = 2, .datagrams = 2));
	got_free(&g);
	cap_done(&c, r);
}
END_TEST

START_TEST(vlan_tags_are_skipped)
{
	static const uint16_t q[] = { 0x8100 }, qinq[] = { 0x88a8, 0x8100 },
		old[] = { 0x9100, 0x8100 }, three[] = { 0x88a8, 0x9100, 0x8100 };
	uint8_t pl[40], f[200];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 2);
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_add(&c, f, mk_eth(f, q, 1, 0x0800, f, udp4(f, 1, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_eth(f, qinq, 2, 0x0800, f, udp4(f, 2, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_eth(f, old, 2, 0x0800, f, udp4(f, 3, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_eth(f, three, 3, 0x86dd, f, udp6(f, 4, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_eth(f, qinq, 2, 0x0806, pl, 28), T0);          /* ARP */
	mk_eth(f, qinq, 2, 0x0800, f, udp4(f, 5, 2055, pl, sizeof(pl)));
	cap_add(&c, f, 20, T0);                                             /* cut in a tag */
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 4);
	for (unsigned i = 0; i < 3; i++)
		assert_dg(&g.dg[i], SRC4, (uint16_t)(i + 1), DST4, 2055, pl, sizeof(pl), T0);
	assert_dg(&g.dg[3], SRC6, 4, DST6, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 6, .datagrams = 4, .not_ip = 1, .truncated = 1));
	got_free(&g);
}
END_TEST

START_TEST(linux_cooked_v1_is_read)
{
	uint8_t pl[30], f[200];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 3);
	cap_open(&c, DLT_LINUX_SLL, MICRO);
	cap_add(&c, f, mk_sll(f, 0x0800, f, udp4(f, 1, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_sll(f, 0x86dd, f, udp6(f, 2, 2055, pl, sizeof(pl))), T0);
	/* a VLAN tag left in: protocol 0x8100, then TCI and the inner protocol */
	size_t n = udp4(f, 3, 2055, pl, sizeof(pl));
	memmove(f + 4, f, n);
	memcpy(f, "\x00\x64\x08\x00", 4);
	cap_add(&c, f, mk_sll(f, 0x8100, f, n + 4), T0);
	cap_add(&c, f, mk_sll(f, 0x0806, pl, 28), T0);
	cap_add(&c, f, 15, T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 3);
	assert_dg(&g.dg[0], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0);
	assert_dg(&g.dg[1], SRC6, 2, DST6, 2055, pl, sizeof(pl), T0);
	assert_dg(&g.dg[2], SRC4, 3, DST4, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 5, .datagrams = 3, .not_ip = 1, .truncated = 1));
	got_free(&g);
}
END_TEST

START_TEST(linux_cooked_v2_is_read)
{
	uint8_t pl[30], f[200];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 4);
	cap_open(&c, DLT_LINUX_SLL2, MICRO);
	cap_add(&c, f, mk_sll2(f, 0x0800, f, udp4(f, 1, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_sll2(f, 0x86dd, f, udp6(f, 2, 4739, pl, sizeof(pl))), T0 + 5);
	cap_add(&c, f, mk_sll2(f, 0x88cc, pl, 20), T0);                 /* LLDP */
	cap_add(&c, f, 19, T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 2);
	assert_dg(&g.dg[0], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0);
	assert_dg(&g.dg[1], SRC6, 2, DST6, 4739, pl, sizeof(pl), T0);      /* µs file */
	assert_stats(&st, STATS(.frames = 4, .datagrams = 2, .not_ip = 1, .truncated = 1));
	got_free(&g);
}
END_TEST

START_TEST(raw_ip_is_read)
{
	uint8_t pl[30], f[200];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 5);
	cap_open(&c, DLT_RAW, MICRO);
	cap_add(&c, f, udp4(f, 1, 2055, pl, sizeof(pl)), T0);
	cap_add(&c, f, udp6(f, 2, 2055, pl, sizeof(pl)), T0);
	f[0] = 0x50;
	cap_add(&c, f, 40, T0);                                             /* version 5 */
	cap_add(&c, f, 0, T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 2);
	assert_dg(&g.dg[0], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0);
	assert_dg(&g.dg[1], SRC6, 2, DST6, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 4, .datagrams = 2, .not_ip = 1, .truncated = 1));
	got_free(&g);
}
END_TEST

START_TEST(ipv4_and_ipv6_link_types_are_read)
{
	uint8_t pl[30], f[200];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 6);
	cap_open(&c, DLT_IPV4, MICRO);
	cap_add(&c, f, udp4(f, 1, 2055, pl, sizeof(pl)), T0);
	cap_add(&c, f, udp6(f, 2, 2055, pl, sizeof(pl)), T0);   /* not IPv4: malformed */
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 2, .datagrams = 1, .truncated = 1));
	got_free(&g);

	cap_open(&c, DLT_IPV6, MICRO);
	cap_add(&c, f, udp6(f, 3, 2055, pl, sizeof(pl)), T0);
	st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC6, 3, DST6, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 1, .datagrams = 1));
	got_free(&g);
}
END_TEST

/* LINKTYPE_RAW (101) and OpenBSD's DLT_RAW (14) as pcap_datalink() could report them;
 * libpcap's writer turns every raw type into 101 and its reader back into 12. */
START_TEST(raw_ip_link_numbers_are_accepted)
{
	static const int types[] = { FT_LINK_RAW12, FT_LINK_RAW14, FT_LINK_RAW101 };
	uint8_t pl[10] = "flowtally", f[100];
	struct ft_datagram dg;

	for (size_t i = 0; i < 3; i++) {
		struct ft_pcap_reader *r = ft_pcap_new_link(types[i]);
		ck_assert_ptr_nonnull(r);
		size_t n = udp4(f, 9, 2055, pl, sizeof(pl));
		ck_assert_int_eq(ft_pcap_feed(r, f, n, 42, &dg), 1);
		assert_dg(&dg, SRC4, 9, DST4, 2055, pl, sizeof(pl), 42);
		ft_pcap_finish(r);
		ck_assert_int_eq(ft_pcap_next(r, &dg), 0);
		ft_pcap_close(r);
	}
	ck_assert_ptr_null(ft_pcap_new_link(105));
	ck_assert_ptr_null(ft_pcap_close(NULL));
}
END_TEST

START_TEST(bsd_loopback_takes_either_byte_order)
{
	uint8_t pl[20], f[200];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 7);
	cap_open(&c, DLT_NULL, MICRO);
	cap_add(&c, f, mk_bsd(f, 2, 0, f, udp4(f, 1, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_bsd(f, 2, 1, f, udp4(f, 2, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_bsd(f, 30, 0, f, udp6(f, 3, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_bsd(f, 28, 1, f, udp6(f, 4, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_bsd(f, 10, 0, f, udp6(f, 5, 2055, pl, sizeof(pl))), T0);
	cap_add(&c, f, mk_bsd(f, 7, 0, pl, sizeof(pl)), T0);
	cap_add(&c, f, 3, T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_dg(&g.dg[i], i < 2 ? SRC4 : SRC6, (uint16_t)(i + 1), i < 2 ? DST4 : DST6,
		          2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 7, .datagrams = 5, .not_ip = 1, .truncated = 1));
	got_free(&g);

	cap_open(&c, DLT_LOOP, MICRO);
	cap_add(&c, f, mk_bsd(f, 24, 1, f, udp6(f, 6, 2055, pl, sizeof(pl))), T0);
	st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC6, 6, DST6, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 1, .datagrams = 1));
	got_free(&g);
}
END_TEST

START_TEST(unknown_link_type_fails_to_open)
{
	char err[512] = "";
	struct cap c;

	cap_open(&c, DLT_IEEE802_11, MICRO);
	cap_close_writer(&c);
	ck_assert_ptr_null(ft_pcap_open(c.path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "link type 105 (IEEE802_11") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "not supported") != NULL, "%s", err);
	cap_done(&c, NULL);

	ck_assert_ptr_null(ft_pcap_open("/nonexistent/x.pcap", err, sizeof(err)));
	ck_assert_msg(strstr(err, "No such file") && !strstr(err, "/nonexistent"), "%s", err);
}
END_TEST

/* ---- IP ---- */

START_TEST(ipv4_options_are_skipped)
{
	static const uint8_t opt[8] = { 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00 };
	uint8_t pl[50], u[100], f[200];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 8);
	size_t n = mk_udp(u, 7, 2055, pl, sizeof(pl));
	n = mk_ip4(f, (struct ip4){ .proto = 17, .opt = opt, .optlen = 8 }, u, n);
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x0800, f, n), T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC4, 7, DST4, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 1, .datagrams = 1));
	got_free(&g);
}
END_TEST

START_TEST(ipv6_extension_headers_are_walked)
{
	uint8_t pl[64], u[200], f[400];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 9);
	cap_open(&c, DLT_EN10MB, MICRO);
	/* hop-by-hop -> routing -> destination options -> UDP */
	size_t n = mk_udp(u, 1, 2055, pl, sizeof(pl));
	n = mk_ext6(u, 17, 1, u, n);
	n = mk_ext6(u, 60, 0, u, n);
	n = mk_ext6(u, 43, 2, u, n);
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x86dd, f, mk_ip6(f, 0, u, n)), T0);
	/* destination options alone */
	n = mk_ext6(u, 17, 0, u, mk_udp(u, 2, 2055, pl, sizeof(pl)));
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x86dd, f, mk_ip6(f, 60, u, n)), T0);
	/* an atomic fragment (offset 0, M clear) is no fragment (RFC 6946) */
	n = mk_frag6(u, 17, 77, 0, 0, u, mk_udp(u, 3, 2055, pl, sizeof(pl)));
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x86dd, f, mk_ip6(f, 44, u, n)), T0);
	/* ESP: the walk stops there, not UDP */
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x86dd, f, mk_ip6(f, 50, pl, sizeof(pl))), T0);
	/* destination options claiming 16 bytes in an 8-byte payload */
	memset(u, 0, 8);
	u[0] = 17;
	u[1] = 1;
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x86dd, f, mk_ip6(f, 60, u, 8)), T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_dg(&g.dg[i], SRC6, (uint16_t)(i + 1), DST6, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 5, .datagrams = 3, .not_udp = 1, .truncated = 1));
	got_free(&g);
}
END_TEST

START_TEST(non_udp_packets_are_counted)
{
	uint8_t pl[40], d[3000], f[1600];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 10);
	cap_open(&c, DLT_EN10MB, MICRO);
	size_t n = mk_ip4(f, (struct ip4){ .proto = 6 }, pl, 40);
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x0800, f, n), T0);
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x86dd, f, mk_ip6(f, 58, pl, 40)), T0);
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x0806, pl, 28), T0);
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x0026, pl, 38), T0);           /* 802.3 length */
	/* a fragmented TCP segment is reassembled before it is found not to be UDP */
	fill(d, 2000, 11);
	cap_add(&c, f, eth_frag4(f, 9, 6, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 9, 6, d, 1480, 520, 0), T0);
	cap_add(&c, f, eth_udp4(f, 2055, pl, sizeof(pl)), T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_stats(&st, STATS(.frames = 7, .datagrams = 1, .not_ip = 2, .not_udp = 3,
	                        .fragments = 2, .reassembled = 1));
	got_free(&g);
}
END_TEST

START_TEST(truncated_frames_are_counted)
{
	uint8_t pl[200], f[400];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 12);
	cap_open(&c, DLT_EN10MB, MICRO);
	size_t n = eth_udp4(f, 2055, pl, sizeof(pl));
	cap_add_cut(&c, f, 100, n, T0);          /* snaplen cut the payload */
	cap_add_cut(&c, f, 10, n, T0);           /* ... the Ethernet header */
	cap_add_cut(&c, f, 30, n, T0);           /* ... the IPv4 header */
	cap_add_cut(&c, f, 38, n, T0);           /* ... the UDP header */
	n = mk_eth(f, NULL, 0, 0x86dd, f, udp6(f, 1, 2055, pl, sizeof(pl)));
	cap_add_cut(&c, f, 120, n, T0);          /* IPv6 payload length past the capture */
	cap_add_cut(&c, f, 50, n, T0);           /* ... the IPv6 header */
	cap_add(&c, f, n, T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC6, 1, DST6, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 7, .datagrams = 1, .truncated = 6));
	got_free(&g);
}
END_TEST

START_TEST(malformed_headers_are_counted)
{
	uint8_t pl[100], f[300];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 13);
	cap_open(&c, DLT_EN10MB, MICRO);
	size_t n = eth_udp4(f, 2055, pl, sizeof(pl));
	put16(f + 14 + 20 + 4, 300);             /* UDP length past the packet */
	cap_add(&c, f, n, T0);
	put16(f + 14 + 20 + 4, 7);               /* UDP length below its header */
	cap_add(&c, f, n, T0);
	put16(f + 14 + 20 + 4, 108);
	f[14] = 0x44;                            /* IHL 4 */
	cap_add(&c, f, n, T0);
	f[14] = 0x45;
	put16(f + 14 + 2, 19);                   /* total length below the header */
	cap_add(&c, f, n, T0);
	put16(f + 14 + 2, 128);
	f[14] = 0x65;                            /* IPv6 version in an IPv4 ethertype */
	cap_add(&c, f, n, T0);
	f[14] = 0x45;
	put16(f + 14 + 20 + 4, 50);              /* UDP shorter than IP payload: allowed */
	cap_add(&c, f, n, T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC4, 4444, DST4, 2055, pl, 42, T0);
	assert_stats(&st, STATS(.frames = 6, .datagrams = 1, .truncated = 5));
	got_free(&g);
}
END_TEST

START_TEST(port_filter_keeps_one_port)
{
	uint8_t pl[30], d[3000], f[1600];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 14);
	for (int pass = 0; pass < 2; pass++) {
		cap_open(&c, DLT_EN10MB, MICRO);
		cap_add(&c, f, eth_udp4(f, 2055, pl, sizeof(pl)), T0);
		cap_add(&c, f, eth_udp4(f, 4739, pl, sizeof(pl)), T0);
		cap_add(&c, f, mk_eth(f, NULL, 0, 0x86dd, f, udp6(f, 5, 2055, pl, 30)), T0);
		/* the port is known only once the datagram is whole */
		fill(d, 2000, 15);
		size_t n = mk_udp(d, 6, 9995, d, 1992);
		cap_add(&c, f, eth_frag4(f, 1, 17, d, 1480, n - 1480, 0), T0);
		cap_add(&c, f, eth_frag4(f, 1, 17, d, 0, 1480, 1), T0);
		struct ft_pcap_stats st = read_back(&c, pass == 0 ? 2055 : 0, &g);
		ck_assert_uint_eq(g.n, pass == 0 ? 2 : 4);
		assert_dg(&g.dg[0], SRC4, 4444, DST4, 2055, pl, sizeof(pl), T0);
		if (pass == 0)
			assert_stats(&st, STATS(.frames = 5, .datagrams = 2, .other_port = 2,
			                        .fragments = 2, .reassembled = 1));
		else
			assert_stats(&st, STATS(.frames = 5, .datagrams = 4, .fragments = 2,
			                        .reassembled = 1));
		got_free(&g);
	}
}
END_TEST

/* ---- fragments ---- */

/* The IP payload of a fragmented UDP datagram: header and n bytes from seed. */
static size_t big_udp(uint8_t *d, uint16_t sport, size_t n, unsigned seed, uint8_t *pl)
{
	fill(pl, n, seed);
	return mk_udp(d, sport, 2055, pl, n);
}

START_TEST(ipv4_fragments_in_order)
{
	static uint8_t pl[3000], d[3008], f[1600];
	struct cap c;
	struct got g;

	size_t n = big_udp(d, 1, sizeof(pl), 16, pl);
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_add(&c, f, eth_frag4(f, 0x1234, 17, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 0x1234, 17, d, 1480, 1480, 1), T0 + 1000);
	cap_add(&c, f, eth_frag4(f, 0x1234, 17, d, 2960, n - 2960, 0), T0 + 2000);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0 + 2000);
	assert_stats(&st, STATS(.frames = 3, .datagrams = 1, .fragments = 3, .reassembled = 1));
	got_free(&g);
}
END_TEST

START_TEST(ipv4_fragments_out_of_order)
{
	static uint8_t pa[3000], pb[2000], da[3008], db[2008], f[1600], small[8] = "between";
	struct cap c;
	struct got g;

	size_t na = big_udp(da, 1, sizeof(pa), 17, pa);
	size_t nb = big_udp(db, 2, sizeof(pb), 18, pb);
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_add(&c, f, eth_frag4(f, 7, 17, da, 2960, na - 2960, 0), T0);
	cap_add(&c, f, eth_frag4(f, 8, 17, db, 1480, nb - 1480, 0), T0);
	cap_add(&c, f, eth_frag4(f, 7, 17, da, 0, 1480, 1), T0);
	cap_add(&c, f, eth_udp4(f, 2055, small, sizeof(small)), T0);
	cap_add(&c, f, eth_frag4(f, 8, 17, db, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 7, 17, da, 1480, 1480, 1), T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 3);
	assert_dg(&g.dg[0], SRC4, 4444, DST4, 2055, small, sizeof(small), T0);
	assert_dg(&g.dg[1], SRC4, 2, DST4, 2055, pb, sizeof(pb), T0);
	assert_dg(&g.dg[2], SRC4, 1, DST4, 2055, pa, sizeof(pa), T0);
	assert_stats(&st, STATS(.frames = 6, .datagrams = 3, .fragments = 5, .reassembled = 2));
	got_free(&g);
}
END_TEST

/* Same id, different protocol or source: different datagrams (RFC 791 §3.2). */
START_TEST(ipv4_fragment_key_includes_proto_and_source)
{
	static uint8_t pl[2000], d[2008], f[1600];
	struct cap c;
	struct got g;

	size_t n = big_udp(d, 1, sizeof(pl), 19, pl);
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_add(&c, f, eth_frag4(f, 5, 17, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 5, 6, d, 1480, n - 1480, 0), T0);
	struct ip4 h = { .proto = 17, .id = 5, .frag = 1480 / 8, .src = "192.0.2.99" };
	cap_add(&c, f, mk_eth(f, NULL, 0, 0x0800, f, mk_ip4(f, h, d + 1480, n - 1480)), T0);
	cap_add(&c, f, eth_frag4(f, 5, 17, d, 1480, n - 1480, 0), T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 4, .datagrams = 1, .fragments = 4, .reassembled = 1,
	                        .fragments_incomplete = 2));
	got_free(&g);
}
END_TEST

/* Ethernet / IPv6 [/ hop-by-hop] / fragment header / fragment of d. */
static size_t eth_frag6(uint8_t *o, uint32_t id, const uint8_t *d, size_t off, size_t len,
                        int more, int hbh)
{
	size_t n = mk_frag6(o, 60, id, off, more, d + off, len);
	if (hbh)
		n = mk_ext6(o, 44, 0, o, n);
	return mk_eth(o, NULL, 0, 0x86dd, o, mk_ip6(o, hbh ? 0 : 44, o, n));
}

START_TEST(ipv6_fragments_are_reassembled)
{
	static uint8_t pl[2500], d[2600], f[1600];
	struct cap c;
	struct got g;

	/* The fragmentable part starts with destination options, then UDP. */
	size_t n = mk_ext6(d, 17, 1, d, big_udp(d, 3, sizeof(pl), 20, pl));
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_add(&c, f, eth_frag6(f, 0xdeadbeef, d, 1232, 1232, 1, 0), T0);
	cap_add(&c, f, eth_frag6(f, 0xdeadbeef, d, 2464, n - 2464, 0, 1), T0 + 1);
	cap_add(&c, f, eth_frag6(f, 0xdeadbeef, d, 0, 1232, 1, 1), T0 + 2);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC6, 3, DST6, 2055, pl, sizeof(pl), T0);    /* µs file: +1, +2 ns lost */
	assert_stats(&st, STATS(.frames = 3, .datagrams = 1, .fragments = 3, .reassembled = 1));
	got_free(&g);
}
END_TEST

START_TEST(incomplete_fragments_are_counted_at_end)
{
	static uint8_t pl[3000], d[3008], f[1600];
	struct cap c;

	size_t n = big_udp(d, 1, sizeof(pl), 21, pl);
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_add(&c, f, eth_frag4(f, 1, 17, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 1, 17, d, 2960, n - 2960, 0), T0);
	cap_add(&c, f, eth_frag6(f, 2, d, 1480, 1480, 1, 0), T0);
	struct ft_pcap_reader *r = cap_read(&c);
	struct ft_datagram dg;
	ck_assert_int_eq(ft_pcap_next(r, &dg), 0);
	assert_stats(ft_pcap_stats(r), STATS(.frames = 3, .fragments = 3,
	                                      .fragments_incomplete = 3));
	cap_done(&c, r);
}
END_TEST

START_TEST(overlapping_fragments_are_rejected)
{
	static uint8_t pl[3000], d[3008], other[1480], f[1600];
	struct cap c;
	struct got g;

	size_t n = big_udp(d, 1, sizeof(pl), 22, pl);
	memset(other, 0x5a, sizeof(other));
	cap_open(&c, DLT_EN10MB, MICRO);
	/* id 1: the second fragment reaches back 8 bytes into the first */
	cap_add(&c, f, eth_frag4(f, 1, 17, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 1, 17, d, 1472, n - 1472, 0), T0);
	cap_add(&c, f, eth_frag4(f, 1, 17, d, 1480, n - 1480, 0), T0);  /* a new datagram */
	/* id 2: the same range again with other bytes */
	cap_add(&c, f, eth_frag4(f, 2, 17, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 2, 17, other, 0, 1480, 1), T0);
	/* id 3: an exact duplicate is ignored and the datagram completes (RFC 5722 §4) */
	cap_add(&c, f, eth_frag4(f, 3, 17, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 3, 17, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 3, 17, d, 1480, n - 1480, 0), T0);
	/* id 4: two last fragments that disagree on the end */
	cap_add(&c, f, eth_frag4(f, 4, 17, d, 1480, n - 1480, 0), T0);
	cap_add(&c, f, eth_frag4(f, 4, 17, d, 1480, 16, 0), T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 10, .datagrams = 1, .truncated = 3, .fragments = 10,
	                        .reassembled = 1, .fragments_incomplete = 7));
	got_free(&g);
}
END_TEST

START_TEST(fragments_are_capped_at_64k)
{
	static uint8_t pl[65507], d[65536], f[1600];
	struct cap c;
	struct got g;

	/* the largest IPv4 datagram: 20 + 8 + 65507 = 65535 bytes */
	size_t n = big_udp(d, 1, sizeof(pl), 23, pl);
	cap_open(&c, DLT_EN10MB, MICRO);
	for (size_t off = 0; off < n; off += 1480) {
		size_t len = n - off < 1480 ? n - off : 1480;
		cap_add(&c, f, eth_frag4(f, 1, 17, d, off, len, off + len < n), T0);
	}
	/* one byte more: offset 65512 + 4 bytes ends past 65535 - 20 */
	cap_add(&c, f, eth_frag4(f, 2, 17, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 2, 17, d, 65512, 4, 0), T0);
	/* a middle fragment whose length is not a multiple of 8 */
	cap_add(&c, f, eth_frag4(f, 3, 17, d, 0, 1479, 1), T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0);
	assert_stats(&st, STATS(.frames = 48, .datagrams = 1, .truncated = 2, .fragments = 48,
	                        .reassembled = 1, .fragments_incomplete = 3));
	got_free(&g);
}
END_TEST

START_TEST(full_fragment_table_evicts_oldest)
{
	static uint8_t pl[2000], d[2008], f[1600];
	struct cap c;
	struct got g;

	size_t n = big_udp(d, 1, sizeof(pl), 24, pl);
	cap_open(&c, DLT_EN10MB, MICRO);
	for (uint16_t id = 0; id <= FT_REASM_SLOTS; id++)
		cap_add(&c, f, eth_frag4(f, id, 17, d, 0, 1480, 1), T0);
	for (uint16_t id = 1; id <= FT_REASM_SLOTS; id++)
		cap_add(&c, f, eth_frag4(f, id, 17, d, 1480, n - 1480, 0), T0);
	cap_add(&c, f, eth_frag4(f, 0, 17, d, 1480, n - 1480, 0), T0);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, FT_REASM_SLOTS);
	for (size_t i = 0; i < g.n; i++)
		assert_dg(&g.dg[i], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0);
	/* id 0 was evicted by id 64; its second fragment waits alone until the end */
	assert_stats(&st, STATS(.frames = 130, .datagrams = 64, .fragments = 130,
	                        .reassembled = 64, .fragments_incomplete = 2));
	got_free(&g);
}
END_TEST

START_TEST(stale_fragments_expire)
{
	static uint8_t pl[2000], d[2008], f[1600];
	struct cap c;
	struct got g;

	size_t n = big_udp(d, 1, sizeof(pl), 25, pl);
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_add(&c, f, eth_frag4(f, 1, 17, d, 0, 1480, 1), T0);
	cap_add(&c, f, eth_frag4(f, 2, 17, d, 0, 1480, 1), T0 + 61 * SEC);
	cap_add(&c, f, eth_frag4(f, 1, 17, d, 1480, n - 1480, 0), T0 + 61 * SEC);
	cap_add(&c, f, eth_frag4(f, 2, 17, d, 1480, n - 1480, 0), T0 + 120 * SEC);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 1);
	assert_dg(&g.dg[0], SRC4, 1, DST4, 2055, pl, sizeof(pl), T0 + 120 * SEC);
	assert_stats(&st, STATS(.frames = 4, .datagrams = 1, .fragments = 4, .reassembled = 1,
	                        .fragments_incomplete = 2));
	got_free(&g);
}
END_TEST

/* ---- timestamps and file formats ---- */

START_TEST(nanosecond_timestamps_are_kept)
{
	uint8_t pl[10] = "ns", f[100];
	struct cap c;
	struct got g;

	cap_open(&c, DLT_EN10MB, NANO);
	cap_add(&c, f, eth_udp4(f, 2055, pl, sizeof(pl)), T0 + 123456789);
	cap_add(&c, f, eth_udp4(f, 2055, pl, sizeof(pl)), T0 + 999999999);
	struct ft_pcap_stats st = read_back(&c, 0, &g);
	ck_assert_uint_eq(g.n, 2);
	assert_dg(&g.dg[0], SRC4, 4444, DST4, 2055, pl, sizeof(pl), T0 + 123456789);
	assert_dg(&g.dg[1], SRC4, 4444, DST4, 2055, pl, sizeof(pl), T0 + 999999999);
	assert_stats(&st, STATS(.frames = 2, .datagrams = 2));
	got_free(&g);
}
END_TEST

/* A pcapng file, little-endian: section header, interface description (Ethernet,
 * if_tsresol 9 = nanoseconds), one enhanced packet block per frame. */
static size_t png_header(uint8_t *o)
{
	static const uint32_t shb[7] = { 0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0xffffffff, 0xffffffff, 28 };
	static const uint32_t idb[8] = { 1, 32, 1, 0, 0x00010009, 9, 0, 32 };
	for (int i = 0; i < 7; i++)
		putle32(o + 4 * i, shb[i]);
	for (int i = 0; i < 8; i++)
		putle32(o + 28 + 4 * i, idb[i]);
	return 60;
}

static size_t png_packet(uint8_t *o, const uint8_t *f, size_t n, uint64_t ts)
{
	size_t padded = (n + 3) & ~(size_t)3, total = 32 + padded;
	uint32_t w[7] = { 6, (uint32_t)total, 0, (uint32_t)(ts >> 32), (uint32_t)ts,
	                  (uint32_t)n, (uint32_t)n };
	for (int i = 0; i < 7; i++)
		putle32(o + 4 * i, w[i]);
	memset(o + 28, 0, padded);
	memcpy(o + 28, f, n);
	putle32(o + 28 + padded, (uint32_t)total);
	return total;
}

START_TEST(pcapng_files_are_read)
{
	uint8_t pl[33], f[200], file[1000];
	struct cap c;
	struct got g;

	fill(pl, sizeof(pl), 26);
	cap_open(&c, DLT_EN10MB, MICRO);
	cap_close_writer(&c);
	size_t n = png_header(file);
	n += png_packet(file + n, f, eth_udp4(f, 2055, pl, sizeof(pl)), T0 + 7);
	n += png_packet(file + n, f, mk_eth(f, NULL, 0, 0x86dd, f, udp6(f, 6, 2055, pl, 33)), T0 + 8);
	FILE *fp = fopen(c.path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(file, 1, n, fp), n);
	fclose(fp);
	char err[512] = "";
	struct ft_pcap_reader *r = ft_pcap_open(c.path, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	read_all(r, &g);
	ck_assert_int_eq(g.rc, 0);
	ck_assert_uint_eq(g.n, 2);
	assert_dg(&g.dg[0], SRC4, 4444, DST4, 2055, pl, sizeof(pl), T0 + 7);
	assert_dg(&g.dg[1], SRC6, 6, DST6, 2055, pl, sizeof(pl), T0 + 8);
	assert_stats(ft_pcap_stats(r), STATS(.frames = 2, .datagrams = 2));
	got_free(&g);
	cap_done(&c, r);
}
END_TEST

START_TEST(file_cut_mid_record_is_an_error)
{
	uint8_t pl[50], f[200];
	struct cap c;
	struct ft_datagram dg;

	fill(pl, sizeof(pl), 27);
	cap_open(&c, DLT_EN10MB, MICRO);
	size_t n = eth_udp4(f, 2055, pl, sizeof(pl));
	cap_add(&c, f, n, T0);
	cap_add(&c, f, n, T0);
	cap_close_writer(&c);
	ck_assert_int_eq(truncate(c.path, (off_t)(24 + 2 * 16 + 2 * n - 10)), 0);
	char err[512] = "";
	struct ft_pcap_reader *r = ft_pcap_open(c.path, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_eq(ft_pcap_next(r, &dg), 1);
	ck_assert_int_eq(ft_pcap_next(r, &dg), -EIO);
	ck_assert_int_eq(ft_pcap_next(r, &dg), -EIO);
	assert_stats(ft_pcap_stats(r), STATS(.frames = 1, .datagrams = 1));
	cap_done(&c, r);
}
END_TEST

/* ---- robustness ---- */

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

/* A valid frame of the link type, sometimes fragmented, for the mutator to start from. */
static size_t seed_frame(int lt, uint8_t *f, uint64_t *s)
{
	static const uint16_t qinq[] = { 0x88a8, 0x8100 };
	uint8_t pl[64], d[200];
	size_t n;

	fill(pl, sizeof(pl), rnd(s));
	if (rnd(s) % 3 == 0) {
		n = mk_udp(d, 1, 2055, pl, sizeof(pl));
		size_t off = rnd(s) % 2 ? 0 : 40, len = off ? n - off : 40;
		uint16_t id = (uint16_t)(rnd(s) % 4);
		struct ip4 h = { .proto = 17, .id = id, .frag = (uint16_t)((off ? 0 : 0x2000) | off / 8) };
		n = rnd(s) % 2 ? mk_ip4(f, h, d + off, len)
		               : mk_ip6(f, 44, f, mk_frag6(f, 17, id, off, !off, d + off, len));
	} else {
		n = rnd(s) % 2 ? udp4(f, 1, 2055, pl, sizeof(pl)) : udp6(f, 1, 2055, pl, sizeof(pl));
	}
	int v6 = f[0] >> 4 == 6;
	switch (lt) {
	case DLT_EN10MB:
		return mk_eth(f, qinq, rnd(s) % 3, v6 ? 0x86dd : 0x0800, f, n);
	case DLT_LINUX_SLL:
		return mk_sll(f, v6 ? 0x86dd : 0x0800, f, n);
	case DLT_LINUX_SLL2:
		return mk_sll2(f, v6 ? 0x86dd : 0x0800, f, n);
	case DLT_NULL:
	case DLT_LOOP:
		return mk_bsd(f, v6 ? 30 : 2, rnd(s) % 2, f, n);
	default:
		return n;
	}
}

/* Random and mutated frames through every link type: each frame sits in a buffer of
 * exactly its length, so ASan sees any read past it. */
START_TEST(garbage_frames_never_crash)
{
	static const int types[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
	uint64_t s = 1;

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		struct ft_pcap_reader *r = ft_pcap_new_link(types[t]);
		ck_assert_ptr_nonnull(r);
		ft_pcap_set_port(r, (uint16_t)(t % 2 ? 2055 : 0));
		for (int i = 0; i < 20000; i++) {
			uint8_t f[400];
			size_t n = seed_frame(types[t], f, &s);
			for (uint32_t k = rnd(&s) % 6; k > 0; k--)
				f[rnd(&s) % n] = (uint8_t)rnd(&s);
			if (rnd(&s) % 4 == 0)
				n = rnd(&s) % (n + 1);
			uint8_t *exact = malloc(n ? n : 1);
			ck_assert_ptr_nonnull(exact);
			memcpy(exact, f, n);
			struct ft_datagram dg;
			if (ft_pcap_feed(r, exact, n, (int64_t)rnd(&s) * SEC, &dg) == 1)
				ck_assert_uint_le(dg.len, 65535 - 8);
			free(exact);
		}
		ft_pcap_finish(r);
		const struct ft_pcap_stats *st = ft_pcap_stats(r);
		ck_assert_uint_eq(st->frames, 20000);
		ck_assert_uint_gt(st->datagrams, 0);
		ck_assert_uint_le(st->datagrams + st->not_ip + st->not_udp + st->other_port +
		                  st->truncated, st->frames);
		ft_pcap_close(r);
	}
}
END_TEST

/* Real captures from FT_FIXTURES/captures: each yields datagrams and no read error. */
static int fixtures_dir(char *buf, size_t size)
{
	const char *root = getenv("FT_FIXTURES");
	char probe[PATH_MAX + 64];

	if (root == NULL || *root == '\0')
		return -ENOENT;
	snprintf(buf, size, "%s/captures", root);
	snprintf(probe, sizeof(probe), "%s/ls__nf5_mikrotik.pcap", buf);
	return access(probe, R_OK) == 0 ? 0 : -ENOENT;
}

static void read_fixture(const char *path)
{
	char err[512] = "";
	struct ft_pcap_reader *r = ft_pcap_open(path, err, sizeof(err));
	struct ft_datagram dg;
	int rc;

	ck_assert_msg(r != NULL, "%s", err);
	while ((rc = ft_pcap_next(r, &dg)) == 1)
		ck_assert_uint_gt(dg.dport, 0);
	ck_assert_msg(rc == 0, "%s: read error %d", path, rc);
	ck_assert_msg(ft_pcap_stats(r)->datagrams >= 1, "%s: no datagram", path);
	ft_pcap_close(r);
}

START_TEST(real_captures_yield_datagrams)
{
	char dir[PATH_MAX], path[2 * PATH_MAX];
	int files = 0;

	ck_assert_int_eq(fixtures_dir(dir, sizeof(dir)), 0);
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 5, ".pcap") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		read_fixture(path);
		files++;
	}
	closedir(d);
	ck_assert_int_gt(files, 0);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("pcap");
	TCase *link = tcase_create("link"), *ip = tcase_create("ip"),
	      *frag = tcase_create("fragments"), *file = tcase_create("files");

	tcase_add_test(link, ethernet_ipv4_udp_is_read);
	tcase_add_test(link, vlan_tags_are_skipped);
	tcase_add_test(link, linux_cooked_v1_is_read);
	tcase_add_test(link, linux_cooked_v2_is_read);
	tcase_add_test(link, raw_ip_is_read);
	tcase_add_test(link, ipv4_and_ipv6_link_types_are_read);
	tcase_add_test(link, raw_ip_link_numbers_are_accepted);
	tcase_add_test(link, bsd_loopback_takes_either_byte_order);
	tcase_add_test(link, unknown_link_type_fails_to_open);
	tcase_add_test(ip, ipv4_options_are_skipped);
	tcase_add_test(ip, ipv6_extension_headers_are_walked);
	tcase_add_test(ip, non_udp_packets_are_counted);
	tcase_add_test(ip, truncated_frames_are_counted);
	tcase_add_test(ip, malformed_headers_are_counted);
	tcase_add_test(ip, port_filter_keeps_one_port);
	tcase_add_test(ip, garbage_frames_never_crash);
	tcase_add_test(frag, ipv4_fragments_in_order);
	tcase_add_test(frag, ipv4_fragments_out_of_order);
	tcase_add_test(frag, ipv4_fragment_key_includes_proto_and_source);
	tcase_add_test(frag, ipv6_fragments_are_reassembled);
	tcase_add_test(frag, incomplete_fragments_are_counted_at_end);
	tcase_add_test(frag, overlapping_fragments_are_rejected);
	tcase_add_test(frag, fragments_are_capped_at_64k);
	tcase_add_test(frag, full_fragment_table_evicts_oldest);
	tcase_add_test(frag, stale_fragments_expire);
	tcase_add_test(file, nanosecond_timestamps_are_kept);
	tcase_add_test(file, pcapng_files_are_read);
	tcase_add_test(file, file_cut_mid_record_is_an_error);
	char dir[PATH_MAX];
	if (fixtures_dir(dir, sizeof(dir)) == 0)
		tcase_add_test(file, real_captures_yield_datagrams);
	else
		fprintf(stderr, "test_pcap: FT_FIXTURES/captures not found, real-capture test skipped\n");
	suite_add_tcase(s, link);
	suite_add_tcase(s, ip);
	suite_add_tcase(s, frag);
	suite_add_tcase(s, file);
	return s;
}
