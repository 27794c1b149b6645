/* flowtally — the normalized flow record.
 *
 * Every decoder (NetFlow v5, v9, IPFIX) fills struct ft_flow; nothing downstream of the
 * decoders parses packets.  Addresses are held in one 16-byte form: IPv6 as is, IPv4 as
 * an IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), so that one
 * longest-prefix-match structure and one hash serve both families.
 */
#ifndef FLOWTALLY_FLOW_H
#define FLOWTALLY_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ft_addr {
	uint8_t b[16];          /* network byte order; IPv4 is ::ffff:a.b.c.d */
};

/* Longest text form of an address, with room for a terminating NUL. */
#define FT_ADDR_STRLEN 46

void ft_addr_from_v4(struct ft_addr *a, uint32_t v4_host_order);
void ft_addr_from_v4_bytes(struct ft_addr *a, const uint8_t v4[4]);
void ft_addr_from_v6(struct ft_addr *a, const uint8_t v6[16]);
bool ft_addr_is_v4(const struct ft_addr *a);
/* Writes the text form (dotted quad for IPv4-mapped addresses) into buf; returns buf. */
char *ft_addr_format(const struct ft_addr *a, char buf[FT_ADDR_STRLEN]);
/* Parses "192.0.2.1" or "2001:db8::1"; 0 or -EINVAL. */
int ft_addr_parse(const char *s, struct ft_addr *ret);
bool ft_addr_equal(const struct ft_addr *a, const struct ft_addr *b);

/* An address prefix, e.g. 10.0.0.0/8 (stored as ::ffff:10.0.0.0/104) or 2001:db8::/32. */
struct ft_prefix {
	struct ft_addr addr;
	uint8_t len;            /* 0..128 in the 16-byte form */
};
/* Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a host prefix). 0 or -EINVAL. */
int ft_prefix_parse(const char *s, struct ft_prefix *ret);
bool ft_prefix_contains(const struct ft_prefix *p, const struct ft_addr *a);
char *ft_prefix_format(const struct ft_prefix *p, char *buf, size_t size);

enum ft_flow_flags {
	FT_FLOW_SAMPLED        = 1u << 0,  /* the exporter sampled; sampling_rate says how */
	FT_FLOW_TIMES_ABSOLUTE = 1u << 1,  /* start/end come from the record, not the export time */
	FT_FLOW_SECOND_HALF    = 1u << 2,  /* the other direction of a biflow record: same
	                                    * data record as the flow before it */
	FT_FLOW_NOT_ACCOUNTED  = 1u << 3,  /* volume must not be accounted (total counters,
	                                    * unless the exporter is configured to count them) */
};

/* Which exported counter bytes/packets come from. */
enum ft_counter {
	FT_COUNTER_DELTA = 0,     /* octetDeltaCount/packetDeltaCount (IE 1/2), v5 dOctets/dPkts */
	FT_COUNTER_POST,          /* postOctetDeltaCount/postPacketDeltaCount (IE 23/24) */
	FT_COUNTER_REVERSE,       /* RFC 5103 reverse IE 1/2: the second half of a biflow */
	FT_COUNTER_INITIATOR,     /* initiatorOctets/Packets (IE 231/298, Cisco NSEL) */
	FT_COUNTER_RESPONDER,     /* responderOctets/Packets (IE 232/299): second half */
	FT_COUNTER_TOTAL,         /* octetTotalCount/packetTotalCount (IE 85/86) */
};

struct ft_flow {
	struct ft_addr exporter;   /* address the export datagram came from */
	uint32_t domain;           /* v5: engine_type << 8 | engine_id; v9: source ID; IPFIX: observation domain */
	int64_t start_ms;          /* UTC, milliseconds since the Unix epoch */
	int64_t end_ms;
	struct ft_addr src;
	struct ft_addr dst;
	struct ft_addr nexthop;
	uint64_t bytes;            /* as exported: not corrected for sampling */
	uint64_t packets;
	uint64_t post_bytes;       /* IE 23/24 when the record also has them (else 0) */
	uint64_t post_packets;
	uint64_t total_bytes;      /* IE 85/86 when the record also has them (else 0) */
	uint64_t total_packets;
	struct ft_addr bgp_nexthop;
	uint32_t sampling_rate;    /* 1 in N packets; 1 when unsampled */
	uint32_t in_if;
	uint32_t out_if;
	uint32_t src_as;
	uint32_t dst_as;
	uint16_t sport;
	uint16_t dport;
	uint16_t vlan;             /* (ingress) VLAN */
	uint16_t post_vlan;        /* egress VLAN (IE 59 postVlanId, 254 postDot1qVlanId), 0 none */
	uint8_t proto;
	uint8_t tcp_flags;
	uint8_t tos;
	uint8_t src_mask;          /* prefix length as exported (IPv4: 0..32) */
	uint8_t dst_mask;
	uint8_t version;           /* 5, 9 or 10 */
	uint8_t sampling_mode;     /* v5 header: 0 none, 1 deterministic, 2 random */
	uint8_t flags;             /* enum ft_flow_flags */
	uint8_t counter;           /* enum ft_counter */
	uint8_t direction;         /* flowDirection (IE 61): 0 ingress, 1 egress, 255 unknown */
};

#endif
