/* Wire decoders of the capture reader: link layer, IPv4, IPv6 and its extension
 * headers, UDP.  Each takes the captured bytes (buf, len), checks the length before
 * every field and writes its out-parameters only when it returns FT_PCAP_OK; a frame
 * cut short or with inconsistent lengths is FT_PCAP_MALFORMED. */
#include "pcap_int.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_DSTOPTS_ 60

/* Address families in a DLT_NULL / DLT_LOOP header.  AF_INET is 2 everywhere;
 * AF_INET6 differs: Linux 10, Windows 23, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30. */
#define BSD_AF_INET 2

bool ft_pcap_link_supported(int linktype)
{
	switch (linktype) {
	case FT_LINK_NULL:
	case FT_LINK_EN10MB:
	case FT_LINK_RAW12:
	case FT_LINK_RAW14:
	case FT_LINK_RAW101:
	case FT_LINK_LOOP:
	case FT_LINK_SLL:
	case FT_LINK_IPV4:
	case FT_LINK_IPV6:
	case FT_LINK_SLL2:
		return true;
	default:
		return false;
	}
}

/* 802.1Q (0x8100), 802.1ad (0x88a8) and the pre-standard QinQ TPID 0x9100. */
static bool is_vlan(uint16_t type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

/* off is where the bytes after the ethertype start.  A VLAN tag is a 2-byte TCI and
 * the next ethertype; Linux cooked captures carry a tag the same way (after a
 * protocol of 0x8100), so one loop serves both. */
static enum ft_pcap_drop by_ethertype(uint16_t type, const uint8_t *buf, size_t len,
                                      size_t off, int *ret_family, size_t *ret_off)
{
	while (is_vlan(type)) {
		if (len - off < 4)
			return FT_PCAP_MALFORMED;
		type = ft_pcap_rd16(buf + off + 2);
		off += 4;
	}
	if (type == ETHERTYPE_IPV4)
		*ret_family = 4;
	else if (type == ETHERTYPE_IPV6)
		*ret_family = 6;
	else
		return FT_PCAP_NOT_IP;
	*ret_off = off;
	return FT_PCAP_OK;
}

/* The 4-byte family is in the capturing host's byte order (DLT_NULL) or big-endian
 * (DLT_LOOP), and files are moved between hosts: accept either order. */
static enum ft_pcap_drop by_bsd_family(const uint8_t *buf, size_t len, int *ret_family,
                                       size_t *ret_off)
{
	if (len < 4)
		return FT_PCAP_MALFORMED;
	uint32_t af = ft_pcap_rd32(buf);
	if (af > 0xffff)
		af = (uint32_t)buf[3] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[1] << 8 | buf[0];
	if (af == BSD_AF_INET)
		*ret_family = 4;
	else if (af == 10 || af == 23 || af == 24 || af == 28 || af == 30)
		*ret_family = 6;
	else
		return FT_PCAP_NOT_IP;
	*ret_off = 4;
	return FT_PCAP_OK;
}

/* Raw IP: the version nibble tells the family, unless the link type already does. */
static enum ft_pcap_drop by_version(int linktype, const uint8_t *buf, size_t len,
                                    int *ret_family, size_t *ret_off)
{
	if (len < 1)
		return FT_PCAP_MALFORMED;
	int v = buf[0] >> 4;
	if (linktype == FT_LINK_IPV4)
		v = 4;
	else if (linktype == FT_LINK_IPV6)
		v = 6;
	if (v != 4 && v != 6)
		return FT_PCAP_NOT_IP;
	*ret_family = v;
	*ret_off = 0;
	return FT_PCAP_OK;
}

/* Ethernet: 6 dst, 6 src, 2 type.  Linux SLL: 2 packet type, 2 ARPHRD, 2 address
 * length, 8 address, 2 protocol.  SLL2: 2 protocol, 2 reserved, 4 ifindex, 2 ARPHRD,
 * 1 packet type, 1 address length, 8 address. */
enum ft_pcap_drop ft_pcap_link(int linktype, const uint8_t *buf, size_t len,
                               int *ret_family, size_t *ret_off)
{
	switch (linktype) {
	case FT_LINK_EN10MB:
		if (len < 14)
			return FT_PCAP_MALFORMED;
		return by_ethertype(ft_pcap_rd16(buf + 12), buf, len, 14, ret_family, ret_off);
	case FT_LINK_SLL:
		if (len < 16)
			return FT_PCAP_MALFORMED;
		return by_ethertype(ft_pcap_rd16(buf + 14), buf, len, 16, ret_family, ret_off);
	case FT_LINK_SLL2:
		if (len < 20)
			return FT_PCAP_MALFORMED;
		return by_ethertype(ft_pcap_rd16(buf), buf, len, 20, ret_family, ret_off);
	case FT_LINK_NULL:
	case FT_LINK_LOOP:
		return by_bsd_family(buf, len, ret_family, ret_off);
	case FT_LINK_RAW12:
	case FT_LINK_RAW14:
	case FT_LINK_RAW101:
	case FT_LINK_IPV4:
	case FT_LINK_IPV6:
		return by_version(linktype, buf, len, ret_family, ret_off);
	default:
		return FT_PCAP_NOT_IP;
	}
}

/* RFC 791 §3.1.  Options (IHL > 5) are skipped; bytes after total length (Ethernet
 * padding) are not part of the packet.  Checksums are not verified: captures taken on
 * the sending host carry the zero checksums of offloading NICs. */
enum ft_pcap_drop ft_pcap_ip4(const uint8_t *buf, size_t len, struct ft_pcap_ip *ret)
{
	if (len < 20 || buf[0] >> 4 != 4)
		return FT_PCAP_MALFORMED;
	size_t hlen = (size_t)(buf[0] & 0x0f) * 4;
	size_t total = ft_pcap_rd16(buf + 2);
	if (hlen < 20 || total < hlen || total > len)
		return FT_PCAP_MALFORMED;
	uint16_t frag = ft_pcap_rd16(buf + 6);   /* 3 flag bits, 13-bit offset in 8-byte units */
	*ret = (struct ft_pcap_ip){
		.family = 4,
		.proto = buf[9],
		.frag = (frag & 0x3fff) != 0,
		.more = (frag & 0x2000) != 0,
		.frag_id = ft_pcap_rd16(buf + 4),
		.frag_off = (uint32_t)(frag & 0x1fff) * 8,
		.frag_limit = (uint32_t)(65535 - hlen),
		.data = buf + hlen,
		.len = total - hlen,
	};
	ft_addr_from_v4_bytes(&ret->src, buf + 12);
	ft_addr_from_v4_bytes(&ret->dst, buf + 16);
	return FT_PCAP_OK;
}

/* RFC 8200 §2: the 40-byte header, then payload length bytes of extension headers and
 * upper-layer data.  A payload length of 0 (jumbogram) leaves nothing to walk. */
enum ft_pcap_drop ft_pcap_ip6(const uint8_t *buf, size_t len, struct ft_pcap_ip *ret)
{
	if (len < 40 || buf[0] >> 4 != 6)
		return FT_PCAP_MALFORMED;
	size_t plen = ft_pcap_rd16(buf + 4);
	if (plen > len - 40)
		return FT_PCAP_MALFORMED;
	struct ft_pcap_ip ip = { .family = 6 };
	ft_addr_from_v6(&ip.src, buf + 8);
	ft_addr_from_v6(&ip.dst, buf + 24);
	enum ft_pcap_drop why = ft_pcap_ip6_ext(buf[6], buf + 40, plen, true, &ip);
	if (why != FT_PCAP_OK)
		return why;
	*ret = ip;
	return FT_PCAP_OK;
}

/* RFC 8200 §4.5: next header, reserved, 13-bit offset (8-byte units) + 2 reserved bits
 * + M flag, 32-bit identification.  off is the fragment header's position in the
 * payload, which counts against the 65535 bytes a payload may have. */
static void ip6_fragment(const uint8_t *h, const uint8_t *buf, size_t len, size_t off,
                         struct ft_pcap_ip *ret)
{
	uint16_t offlg = ft_pcap_rd16(h + 2);
	ret->frag = true;
	ret->more = (offlg & 1) != 0;
	ret->frag_id = ft_pcap_rd32(h + 4);
	ret->frag_off = offlg & 0xfff8u;
	ret->frag_limit = (uint32_t)(65535 - (off + 8));
	ret->proto = h[0];
	ret->data = buf + off + 8;
	ret->len = len - off - 8;
}

static bool is_ext6(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS_ || nh == IPPROTO_ROUTING_ || nh == IPPROTO_DSTOPTS_;
}

/* Walks hop-by-hop, routing and destination options headers (length in 8-byte units
 * after the first 8) and stops at a fragment header or anything else: AH, ESP, the
 * upper layer.  An atomic fragment (offset 0, M clear) is just skipped (RFC 6946).
 * What follows a non-atomic fragment header is fragment data, walked after reassembly. */
enum ft_pcap_drop ft_pcap_ip6_ext(uint8_t nh, const uint8_t *buf, size_t len, bool frag_ok,
                                  struct ft_pcap_ip *ret)
{
	size_t off = 0;
	for (;;) {
		if (nh != IPPROTO_FRAGMENT_ && !is_ext6(nh))
			break;
		if (len - off < 8 || (nh == IPPROTO_FRAGMENT_ && !frag_ok))
			return FT_PCAP_MALFORMED;
		const uint8_t *h = buf + off;
		if (nh == IPPROTO_FRAGMENT_ && (ft_pcap_rd16(h + 2) & 0xfff9u) != 0) {
			ip6_fragment(h, buf, len, off, ret);
			return FT_PCAP_OK;
		}
		size_t hlen = nh == IPPROTO_FRAGMENT_ ? 8 : ((size_t)h[1] + 1) * 8;
		if (hlen > len - off)
			return FT_PCAP_MALFORMED;
		nh = h[0];
		off += hlen;
	}
	ret->frag = false;
	ret->proto = nh;
	ret->data = buf + off;
	ret->len = len - off;
	return FT_PCAP_OK;
}

/* RFC 768: the length field covers header and data and may be shorter than the IP
 * payload, never longer.  Checksums are not verified (see ft_pcap_ip4). */
enum ft_pcap_drop ft_pcap_udp(const uint8_t *buf, size_t len, uint16_t port,
                              struct ft_datagram *ret)
{
	if (len < 8)
		return FT_PCAP_MALFORMED;
	size_t ulen = ft_pcap_rd16(buf + 4);
	if (ulen < 8 || ulen > len)
		return FT_PCAP_MALFORMED;
	uint16_t dport = ft_pcap_rd16(buf + 2);
	if (port != 0 && dport != port)
		return FT_PCAP_OTHER_PORT;
	ret->sport = ft_pcap_rd16(buf);
	ret->dport = dport;
	ret->data = buf + 8;
	ret->len = ulen - 8;
	return FT_PCAP_OK;
}
