/* flowtally — export datagrams from capture files (libpcap).
 *
 * Reads pcap or pcapng files through libpcap and yields the UDP datagrams they carry,
 * whatever the destination port (ft_pcap_set_port() restricts it).  Link layers:
 * Ethernet (with 802.1Q/802.1ad tags), Linux cooked v1 and v2, raw IP, BSD loopback.
 * IPv4 and IPv6; fragmented datagrams are reassembled (IPv4 by id, IPv6 by the
 * fragment header), with a bounded table: fragments that never complete are counted.
 */
#ifndef FLOWTALLY_PCAP_H
#define FLOWTALLY_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "flowtally/datagram.h"

#define FT_LOG_PCAP "pcap"        /* log group (log.h) */

struct ft_pcap_stats {
	uint64_t frames;              /* frames read from the file */
	uint64_t datagrams;           /* UDP datagrams handed out */
	uint64_t not_ip;              /* frames that carry neither IPv4 nor IPv6 */
	uint64_t not_udp;             /* IP packets that are not UDP */
	uint64_t other_port;          /* UDP to a port other than the one asked for */
	uint64_t truncated;           /* frames cut short (snaplen) or malformed headers */
	uint64_t fragments;           /* IP fragments seen */
	uint64_t reassembled;         /* datagrams rebuilt from fragments */
	uint64_t fragments_incomplete;/* fragments of datagrams never completed (at EOF or evicted) */
};

struct ft_pcap_reader;

/* Opens a capture file.  On failure returns NULL and writes the reason into errbuf,
 * without the file name (the caller says which file). */
struct ft_pcap_reader *ft_pcap_open(const char *path, char *errbuf, size_t errlen);
struct ft_pcap_reader *ft_pcap_close(struct ft_pcap_reader *r);

/* Calls fn(ctx) after every frame read from the file (NULL: none), for a progress
 * display; fn may call ft_pcap_position() and ft_pcap_stats(). */
void ft_pcap_set_progress(struct ft_pcap_reader *r, void (*fn)(void *ctx), void *ctx);
/* Bytes of the file read so far, and its size (0 when it has none: a pipe). */
void ft_pcap_position(const struct ft_pcap_reader *r, uint64_t *ret_read, uint64_t *ret_size);

/* 0 = any port (the default). */
void ft_pcap_set_port(struct ft_pcap_reader *r, uint16_t port);

/* Yields the next UDP datagram: 1 when *ret was filled (its data stays valid until the
 * next call), 0 at the end of the file, negative errno on a read error.  recv_ns is
 * the capture timestamp. */
int ft_pcap_next(struct ft_pcap_reader *r, struct ft_datagram *ret);

const struct ft_pcap_stats *ft_pcap_stats(const struct ft_pcap_reader *r);

#endif
