/* Writes the hand-built seeds of fuzz_pcap:
 *
 *   build/tests/fuzz/gen_pcap_corpus tests/fuzz/corpus/pcap
 *
 * Built with the project but never run by it: the seeds are committed, and this
 * program says how each was made.  Rerunning it rewrites the seeds it knows and leaves
 * other files alone.  `flowtally generate --pcap` wrote the gen-* seeds (Ethernet,
 * NetFlow v5, v9 and IPFIX over IPv4 and IPv6), in tests/fuzz/corpus/pcap/:
 *
 *   G="build/collector/cli/flowtally generate"
 *   $G --pcap gen-v5 --version 5 --datagrams 3 --seed 1 --exporters 2
 *   $G --pcap gen-v9-v6 --version 9 --template v6 --to '[::1]:2055' --datagrams 3 \
 *      --seed 2 --datagram-size 600
 *   $G --pcap gen-ipfix --version 10 --datagrams 3 --seed 3 --datagram-size 600 \
 *      --to 127.0.0.1:4739
 *   $G --pcap gen-v9 --version 9 --datagrams 2 --seed 4 --datagram-size 1400
 *
 * Here: one capture per link layer the reader decodes (pcap.h), each carrying a
 * NetFlow v5 datagram of one record over IPv4 and IPv6; IPv4 fragments in order, in
 * reverse, with exact duplicates and with one missing; IPv6 fragments in reverse with
 * extension headers before and after the fragment header; pcapng files (little- and
 * big-endian, nanosecond and microsecond if_tsresol, Ethernet and raw IP); frames cut
 * short by the snapshot length; and a file cut mid-record.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1764075600LL          /* 2025-11-25T13:00:00Z */
#define BUF 70000

static const char *out_dir;

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

/* NetFlow v5, one record: 24-byte header + 48-byte record (Cisco's layout). */
static size_t nf5(uint8_t *o, unsigned seed)
{
	memset(o, 0, 72);
	put16(o, 5);
	put16(o + 2, 1);
	put32(o + 4, 3600000);                 /* sysUptime */
	put32(o + 8, (uint32_t)T0);
	put32(o + 16, seed);                   /* flow sequence */
	uint8_t *r = o + 24;
	put32(r, 0x0a000001 + seed);           /* 10.0.0.1 + seed */
	put32(r + 4, 0xc6336407);              /* 198.51.100.7 */
	put16(r + 12, 1);
	put16(r + 14, 2);
	put32(r + 16, 10);                     /* packets */
	put32(r + 20, 1500);                   /* bytes */
	put32(r + 24, 3590000);
	put32(r + 28, 3599000);
	put16(r + 32, 40000);
	put16(r + 34, 443);
	r[38] = 6;
	return 72;
}

static size_t udp(uint8_t *o, uint16_t dport, const uint8_t *pl, size_t n)
{
	memmove(o + 8, pl, n);
	put16(o, 4444);
	put16(o + 2, dport);
	put16(o + 4, (uint32_t)(8 + n));
	put16(o + 6, 0);
	return 8 + n;
}

/* IPv4 header; frag is the flags and offset field as on the wire. */
static size_t ip4(uint8_t *o, uint8_t proto, uint16_t id, uint16_t frag, const uint8_t *pl, size_t n)
{
	memmove(o + 20, pl, n);
	memset(o, 0, 20);
	o[0] = 0x45;
	put16(o + 2, (uint32_t)(20 + n));
	put16(o + 4, id);
	put16(o + 6, frag);
	o[8] = 64;
	o[9] = proto;
	put32(o + 12, 0xc0000201);             /* 192.0.2.1 */
	put32(o + 16, 0x7f000001);
	return 20 + n;
}

static size_t ip6(uint8_t *o, uint8_t nh, const uint8_t *pl, size_t n)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dst[16] = { [15] = 1 };
	memmove(o + 40, pl, n);
	put32(o, 0x60000000);
	put16(o + 4, (uint32_t)n);
	o[6] = nh;
	o[7] = 64;
	memcpy(o + 8, src, 16);
	memcpy(o + 24, dst, 16);
	return 40 + n;
}

/* An options header (hop-by-hop 0, routing 43, destination 60) of 8 bytes. */
static size_t ext6(uint8_t *o, uint8_t nh, const uint8_t *pl, size_t n)
{
	memmove(o + 8, pl, n);
	memset(o, 0, 8);
	o[0] = nh;
	return 8 + n;
}

static size_t frag6(uint8_t *o, uint8_t nh, uint32_t id, size_t off, int more, const uint8_t *pl, size_t n)
{
	memmove(o + 8, pl, n);
	o[0] = nh;
	o[1] = 0;
	put16(o + 2, (uint32_t)(off | (more ? 1 : 0)));
	put32(o + 4, id);
	return 8 + n;
}

static size_t eth(uint8_t *o, int tags, uint16_t type, const uint8_t *pl, size_t n)
{
	size_t hl = 14 + 4 * (size_t)tags;
	memmove(o + hl, pl, n);
	memcpy(o, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	for (int i = 0; i < tags; i++) {
		put16(o + 12 + 4 * i, i == 0 && tags > 1 ? 0x88a8 : 0x8100);
		put16(o + 14 + 4 * i, (uint32_t)(100 + i));
	}
	put16(o + 12 + 4 * tags, type);
	return hl + n;
}

static size_t sll(uint8_t *o, uint16_t proto, const uint8_t *pl, size_t n)
{
	memmove(o + 16, pl, n);
	memcpy(o, "\x00\x00\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00", 14);
	put16(o + 14, proto);
	return 16 + n;
}

static size_t sll2(uint8_t *o, uint16_t proto, const uint8_t *pl, size_t n)
{
	memmove(o + 20, pl, n);
	put16(o, proto);
	memcpy(o + 2, "\x00\x00\x00\x00\x00\x02\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00", 18);
	return 20 + n;
}

static size_t bsd(uint8_t *o, uint32_t af, int big_endian, const uint8_t *pl, size_t n)
{
	memmove(o + 4, pl, n);
	if (big_endian)
		put32(o, af);
	else
		putle32(o, af);
	return 4 + n;
}

/* UDP with a v5 datagram in IPv4 (family 4) or IPv6. */
static size_t packet(uint8_t *o, int family, unsigned seed)
{
	uint8_t pl[80];
	size_t n = udp(o, 2055, pl, nf5(pl, seed));
	return family == 4 ? ip4(o, 17, (uint16_t)seed, 0, o, n) : ip6(o, 17, o, n);
}

/* ---- pcap files through libpcap's writer ---- */

struct cap {
	pcap_t *dead;
	pcap_dumper_t *d;
	int64_t t;
};

static void cap_open(struct cap *c, const char *name, int linktype, u_int prec, int snaplen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	c->dead = pcap_open_dead_with_tstamp_precision(linktype, snaplen, prec);
	c->d = c->dead ? pcap_dump_open(c->dead, path) : NULL;
	if (!c->d) {
		fprintf(stderr, "%s: %s\n", path, c->dead ? pcap_geterr(c->dead) : "pcap_open_dead");
		exit(1);
	}
	c->t = 0;
}

static void cap_add_cut(struct cap *c, const uint8_t *f, size_t caplen, size_t len)
{
	struct pcap_pkthdr h = { .caplen = (bpf_u_int32)caplen, .len = (bpf_u_int32)len };
	h.ts.tv_sec = T0 + c->t / 1000;
	h.ts.tv_usec = (c->t % 1000) * 1000;    /* a millisecond apart */
	c->t++;
	pcap_dump((u_char *)c->d, &h, f);
}

static void cap_add(struct cap *c, const uint8_t *f, size_t n)
{
	cap_add_cut(c, f, n, n);
}

static void cap_close(struct cap *c)
{
	pcap_dump_close(c->d);
	pcap_close(c->dead);
}

/* A capture of linktype whose frames are link(IPv4 packet) and link(IPv6 packet). */
static void link_seed(const char *name, int linktype,
                      size_t (*link)(uint8_t *o, int family, const uint8_t *pl, size_t n))
{
	static uint8_t f[BUF];
	struct cap c;
	cap_open(&c, name, linktype, PCAP_TSTAMP_PRECISION_MICRO, 65535);
	for (int family = 4; family <= 6; family += 2)
		cap_add(&c, f, link(f, family, f, packet(f, family, (unsigned)family)));
	cap_close(&c);
}

static size_t l_eth(uint8_t *o, int fam, const uint8_t *pl, size_t n)
{
	return eth(o, 0, fam == 4 ? 0x0800 : 0x86dd, pl, n);
}

static size_t l_qinq(uint8_t *o, int fam, const uint8_t *pl, size_t n)
{
	return eth(o, fam == 4 ? 1 : 2, fam == 4 ? 0x0800 : 0x86dd, pl, n);
}

static size_t l_sll(uint8_t *o, int fam, const uint8_t *pl, size_t n)
{
	return sll(o, fam == 4 ? 0x0800 : 0x86dd, pl, n);
}

static size_t l_sll2(uint8_t *o, int fam, const uint8_t *pl, size_t n)
{
	return sll2(o, fam == 4 ? 0x0800 : 0x86dd, pl, n);
}

static size_t l_null(uint8_t *o, int fam, const uint8_t *pl, size_t n)
{
	return bsd(o, fam == 4 ? 2 : 10, 0, pl, n);      /* host order: Linux */
}

static size_t l_loop(uint8_t *o, int fam, const uint8_t *pl, size_t n)
{
	return bsd(o, fam == 4 ? 2 : 24, 1, pl, n);      /* big-endian: OpenBSD */
}

static size_t l_raw(uint8_t *o, int fam, const uint8_t *pl, size_t n)
{
	(void)fam;
	memmove(o, pl, n);
	return n;
}

/* ---- fragments ---- */

/* IPv4 fragments of one UDP datagram carrying a v5 datagram of 1 record, cut at
 * 24-byte boundaries (3 fragments), written in the order given; dup repeats one. */
static void frag4_seed(const char *name, const int *order, size_t n_order)
{
	static uint8_t d[200], f[BUF];
	uint8_t pl[80];
	size_t len = udp(d, 2055, pl, nf5(pl, 7)), cut[] = { 0, 24, 48, len };
	struct cap c;
	cap_open(&c, name, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, 65535);
	for (size_t i = 0; i < n_order; i++) {
		int k = order[i];
		size_t off = cut[k], n = cut[k + 1] - cut[k];
		uint16_t field = (uint16_t)((k < 2 ? 0x2000 : 0) | off / 8);
		cap_add(&c, f, eth(f, 0, 0x0800, f, ip4(f, 17, 0x1234, field, d + off, n)));
	}
	cap_close(&c);
}

/* IPv6: hop-by-hop, then a fragment header, then (in the first fragment) a destination
 * options header before UDP; two fragments in reverse order. */
static void frag6_seed(void)
{
	static uint8_t d[200], f[BUF], g[BUF];
	uint8_t pl[80];
	size_t len = ext6(d, 17, d, udp(d, 2055, pl, nf5(pl, 9)));   /* dstopts + UDP */
	struct cap c;
	cap_open(&c, "ipv6-frag-ext-reversed", DLT_EN10MB, PCAP_TSTAMP_PRECISION_NANO, 65535);
	for (int k = 1; k >= 0; k--) {
		size_t off = k ? 40 : 0, n = k ? len - 40 : 40;
		size_t m = frag6(g, 60, 0xabcdef01, off, !k, d + off, n);
		m = ext6(g, 44, g, m);                                  /* hop-by-hop first */
		m = ip6(g, 0, g, m);
		memcpy(f, g, m);
		cap_add(&c, f, eth(f, 0, 0x86dd, f, m));
	}
	cap_close(&c);
}

/* ---- pcapng, written by hand (libpcap reads it, does not write it) ---- */

struct png {
	uint8_t b[BUF];
	size_t n;
	int big;
};

static void png32(struct png *p, uint32_t v)
{
	if (p->big)
		put32(p->b + p->n, v);
	else
		putle32(p->b + p->n, v);
	p->n += 4;
}

/* Section header and one interface description of linktype with if_tsresol res. */
static void png_start(struct png *p, int big, uint32_t linktype, uint8_t res)
{
	p->n = 0;
	p->big = big;
	png32(p, 0x0a0d0d0a), png32(p, 28), png32(p, 0x1a2b3c4d);
	p->b[p->n++] = 0, p->b[p->n++] = 1, p->b[p->n++] = 0, p->b[p->n++] = 0;  /* 1.0 */
	if (big)
		memcpy(p->b + 12, "\x00\x01\x00\x00", 4);
	else
		memcpy(p->b + 12, "\x01\x00\x00\x00", 4);
	png32(p, 0xffffffff), png32(p, 0xffffffff), png32(p, 28);
	/* IDB: type 1, length 32, linktype (16) + reserved, snaplen, option 9 (len 1), end */
	png32(p, 1), png32(p, 32);
	png32(p, big ? linktype << 16 : linktype);
	png32(p, 65535);
	png32(p, big ? 0x00090001 : 0x00010009);
	p->b[p->n++] = res, p->b[p->n++] = 0, p->b[p->n++] = 0, p->b[p->n++] = 0;
	png32(p, 0);
	png32(p, 32);
}

static void png_packet(struct png *p, const uint8_t *f, size_t n, uint64_t ts)
{
	size_t padded = (n + 3) & ~(size_t)3, total = 32 + padded;
	png32(p, 6), png32(p, (uint32_t)total), png32(p, 0);
	png32(p, (uint32_t)(ts >> 32)), png32(p, (uint32_t)ts);
	png32(p, (uint32_t)n), png32(p, (uint32_t)n);
	memset(p->b + p->n, 0, padded);
	memcpy(p->b + p->n, f, n);
	p->n += padded;
	png32(p, (uint32_t)total);
}

static void write_file(const char *name, const uint8_t *b, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void png_seed(const char *name, int big, uint32_t linktype, uint8_t res)
{
	static struct png p;
	static uint8_t f[BUF];
	png_start(&p, big, linktype, res);
	uint64_t ts = res == 9 ? (uint64_t)T0 * 1000000000u : (uint64_t)T0 * 1000000u;
	for (int family = 4; family <= 6; family += 2) {
		size_t n = packet(f, family, (unsigned)family);
		if (linktype == DLT_EN10MB)
			n = l_eth(f, family, f, n);
		png_packet(&p, f, n, ts + (uint64_t)family);
	}
	write_file(name, p.b, p.n);
}

int main(int argc, char **argv)
{
	static uint8_t f[BUF];
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];

	link_seed("link-ethernet", DLT_EN10MB, l_eth);
	link_seed("link-ethernet-vlan-qinq", DLT_EN10MB, l_qinq);
	link_seed("link-sll", DLT_LINUX_SLL, l_sll);
	link_seed("link-sll2", 276, l_sll2);
	link_seed("link-null", DLT_NULL, l_null);
	link_seed("link-loop", 108, l_loop);
	link_seed("link-raw", DLT_RAW, l_raw);
	link_seed("link-ipv4", 228, l_raw);
	link_seed("link-ipv6", 229, l_raw);

	static const int in_order[] = { 0, 1, 2 }, reversed[] = { 2, 1, 0 };
	static const int dup[] = { 0, 1, 1, 2 }, overlap_then_good[] = { 0, 0, 2, 1 };
	frag4_seed("ipv4-frag-in-order", in_order, 3);
	frag4_seed("ipv4-frag-reversed", reversed, 3);
	frag4_seed("ipv4-frag-duplicate", dup, 4);
	frag4_seed("ipv4-frag-incomplete", in_order, 2);
	frag4_seed("ipv4-frag-repeated-first", overlap_then_good, 4);
	frag6_seed();

	png_seed("pcapng-le-nano", 0, DLT_EN10MB, 9);
	png_seed("pcapng-be-micro", 1, DLT_EN10MB, 6);
	png_seed("pcapng-raw", 0, DLT_RAW, 6);

	/* Snapshot length 60: both frames cut short (counted as truncated). */
	struct cap c;
	cap_open(&c, "snaplen-cut", DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, 60);
	for (int family = 4; family <= 6; family += 2) {
		size_t n = l_eth(f, family, f, packet(f, family, 1));
		cap_add_cut(&c, f, 60, n);
	}
	cap_close(&c);

	/* A v5 datagram, then a record header promising more than the file holds. */
	cap_open(&c, "cut-mid-record", DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, 65535);
	cap_add(&c, f, l_eth(f, 4, f, packet(f, 4, 1)));
	cap_add(&c, f, l_eth(f, 4, f, packet(f, 4, 2)));
	cap_close(&c);
	char path[4096];
	snprintf(path, sizeof(path), "%s/cut-mid-record", out_dir);
	FILE *fp = fopen(path, "r+b");
	if (!fp || fseek(fp, 0, SEEK_END) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	long size = ftell(fp);
	fclose(fp);
	if (truncate(path, size - 30) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}
