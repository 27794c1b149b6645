/* Internals of the capture reader, shared by pcap.c, decode.c and reasm.c and used by
 * tests/unit/test_pcap.c and fuzz targets: the wire decoders, the fragment table, and a
 * reader that is fed frames directly instead of reading a file. */
#ifndef FT_PCAP_INT_H
#define FT_PCAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"
#include "flowtally/datagram.h"
#include "flowtally/pcap.h"

/* Link types as pcap_datalink() reports them.  Raw IP has three numbers: DLT_RAW is 12
 * (14 on OpenBSD) and a savefile may carry LINKTYPE_RAW, 101, unmapped. */
enum {
	FT_LINK_NULL = 0,
	FT_LINK_EN10MB = 1,
	FT_LINK_RAW12 = 12,
	FT_LINK_RAW14 = 14,
	FT_LINK_RAW101 = 101,
	FT_LINK_LOOP = 108,
	FT_LINK_SLL = 113,
	FT_LINK_IPV4 = 228,
	FT_LINK_IPV6 = 229,
	FT_LINK_SLL2 = 276,
};

/* Why a frame yields no datagram; each reason has one counter in ft_pcap_stats. */
enum ft_pcap_drop {
	FT_PCAP_OK = 0,
	FT_PCAP_NOT_IP,           /* stats.not_ip */
	FT_PCAP_NOT_UDP,          /* stats.not_udp */
	FT_PCAP_OTHER_PORT,       /* stats.other_port */
	FT_PCAP_MALFORMED,        /* stats.truncated: cut short or inconsistent lengths */
	FT_PCAP_HELD,             /* a fragment kept for reassembly: nothing to count */
};

/* Byte-order readers; the caller checks the length first. */
static inline uint16_t ft_pcap_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ft_pcap_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- decode.c: wire decoders, (buf, len) in, never past len ---- */

bool ft_pcap_link_supported(int linktype);

/* Finds the network header of a frame: *ret_family is 4 or 6 and *ret_off its offset. */
enum ft_pcap_drop ft_pcap_link(int linktype, const uint8_t *buf, size_t len,
                               int *ret_family, size_t *ret_off);

/* One IP packet, or one fragment of one. */
struct ft_pcap_ip {
	struct ft_addr src;
	struct ft_addr dst;
	int family;                /* 4 or 6 */
	uint8_t proto;             /* upper-layer protocol; for a fragment, of the datagram */
	bool frag;                 /* data is a fragment: the fields below apply */
	bool more;                 /* more fragments follow (MF / M flag) */
	uint32_t frag_id;
	uint32_t frag_off;         /* bytes from the start of the fragmentable part */
	uint32_t frag_limit;       /* the datagram may not extend past this many bytes */
	const uint8_t *data;       /* upper-layer bytes (the fragment's data for a fragment) */
	size_t len;
};

enum ft_pcap_drop ft_pcap_ip4(const uint8_t *buf, size_t len, struct ft_pcap_ip *ret);
enum ft_pcap_drop ft_pcap_ip6(const uint8_t *buf, size_t len, struct ft_pcap_ip *ret);
/* Walks IPv6 extension headers from next-header nh over buf (RFC 8200 §4); used on a
 * packet and again on a reassembled payload (frag_ok false: no fragment header there). */
enum ft_pcap_drop ft_pcap_ip6_ext(uint8_t nh, const uint8_t *buf, size_t len, bool frag_ok,
                                  struct ft_pcap_ip *ret);
/* Fills ret's ports and payload from a UDP header; port 0 accepts any destination. */
enum ft_pcap_drop ft_pcap_udp(const uint8_t *buf, size_t len, uint16_t port,
                              struct ft_datagram *ret);

/* ---- reasm.c: the bounded fragment table ---- */

#define FT_REASM_SLOTS 64
#define FT_REASM_MAX 65535            /* bytes of one reassembled payload at most */
#define FT_REASM_BLOCKS ((FT_REASM_MAX + 7) / 8)
/* RFC 8200 §4.5: abandon reassembly 60 s after the first fragment (capture time). */
#define FT_REASM_TIMEOUT_NS (60LL * 1000000000LL)

struct ft_reasm_slot {
	bool used;
	int family;
	struct ft_addr src;
	struct ft_addr dst;
	uint32_t id;
	uint8_t proto;             /* IPv4: key; IPv6: from the fragment at offset 0 */
	bool have_first;
	bool have_last;
	uint32_t total;            /* known once the last fragment is in */
	uint32_t max_end;          /* highest end offset received */
	uint32_t received;         /* bytes received, overlap-free */
	uint32_t nfrags;
	uint64_t seq;              /* arrival order, for evicting the oldest */
	int64_t first_ns;
	uint8_t *buf;              /* FT_REASM_MAX bytes, allocated on first use */
	uint8_t have[(FT_REASM_BLOCKS + 7) / 8];   /* one bit per 8-byte block received */
};

struct ft_reasm {
	struct ft_reasm_slot slot[FT_REASM_SLOTS];
	uint64_t seq;
	uint64_t incomplete;       /* fragments of datagrams abandoned (evicted, expired, bad) */
};

/* What ft_reasm_add() returns when a datagram is complete; data is valid until the next
 * call on the table. */
struct ft_reasm_out {
	uint8_t proto;
	const uint8_t *data;
	size_t len;
};

void ft_reasm_init(struct ft_reasm *t);
void ft_reasm_done(struct ft_reasm *t);
/* Adds a fragment (ip->frag set).  FT_PCAP_OK with *ret filled: the datagram is complete.
 * FT_PCAP_HELD: waiting for more.  FT_PCAP_MALFORMED: the fragment overlaps another with
 * different bytes, is misaligned or too long; its datagram is abandoned. */
enum ft_pcap_drop ft_reasm_add(struct ft_reasm *t, const struct ft_pcap_ip *ip, int64_t ts_ns,
                               struct ft_reasm_out *ret);
/* Abandons every pending datagram (end of the capture). */
void ft_reasm_flush(struct ft_reasm *t);

/* ---- pcap.c: a reader fed frames by the caller ---- */

/* A reader without a file, for tests and fuzz targets: NULL when linktype is not one
 * flowtally decodes (or on ENOMEM).  ft_pcap_next() on it returns 0; ft_pcap_stats()
 * and ft_pcap_set_port() work as on a file.  Free it with ft_pcap_close(). */
struct ft_pcap_reader *ft_pcap_new_link(int linktype);
/* Decodes one captured frame of caplen bytes: 1 when *ret was filled (its data stays
 * valid until the next call), 0 when the frame was counted and dropped or held. */
int ft_pcap_feed(struct ft_pcap_reader *r, const uint8_t *frame, size_t caplen,
                 int64_t ts_ns, struct ft_datagram *ret);
/* End of input: pending fragments are counted as incomplete. */
void ft_pcap_finish(struct ft_pcap_reader *r);

#endif
