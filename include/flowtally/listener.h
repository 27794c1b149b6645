/* flowtally — UDP receiver for export datagrams.
 *
 * One socket bound to one listen address.  Receives in batches with recvmmsg(2), takes
 * the kernel's receive timestamp (SO_TIMESTAMPNS) and its count of datagrams dropped
 * for want of buffer space (SO_MEMINFO).  With threads > 1, that many listeners on one
 * address share the load (SO_REUSEPORT), each read by its own thread, and a datagram's
 * socket is chosen by its source address, so each exporter stays with one thread.
 */
#ifndef FLOWTALLY_LISTENER_H
#define FLOWTALLY_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/datagram.h"
#include "flowtally/listen.h"

/* Datagrams one ft_listener_recv() reads at most: few enough that a batch (some 23 KiB of
 * 1,464-byte datagrams) is still in the first-level cache when it is decoded. */
#define FT_LISTENER_BATCH 16

#define FT_LOG_NET "net"          /* log group (log.h) */

struct ft_listener_stats {
	uint64_t datagrams;
	uint64_t bytes;
	uint64_t kernel_drops;      /* SO_MEMINFO: dropped by the kernel, buffer full */
	uint64_t truncated;         /* larger than the receive buffer slot (MSG_TRUNC) */
	uint64_t recv_errors;
	uint32_t rcvbuf;            /* what the kernel granted, as getsockopt reports it (Linux
	                             * doubles what it is asked for, for its bookkeeping) */
	uint32_t rcvbuf_asked;      /* what the configuration asked for (receive_buffer) */
	uint16_t port;              /* local port bound */
};

/* The UDP part of the configuration (key names in the README). */
struct ft_listener_conf {
	struct ft_listen_addr *listen;     /* owned by the configuration */
	size_t n_listen;
	uint32_t receive_buffer;    /* SO_RCVBUF bytes per socket */
	uint32_t receive_threads;   /* sockets per listen address (SO_REUSEPORT) */
};

struct ft_listener;

/* Binds a socket, one of `threads` on the same address; join: this process already
 * holds the group's first socket.  The first socket of a group of several is only
 * bound when nothing else listens on the address: SO_REUSEPORT would otherwise let a
 * second collector share the port and take part of the traffic without a word.  On
 * failure returns negative errno and writes the reason to err. */
int ft_listener_open(const struct ft_listen_addr *a, uint32_t rcvbuf, unsigned threads, bool join,
                     struct ft_listener **ret, char *err, size_t errlen);
struct ft_listener *ft_listener_close(struct ft_listener *l);
int ft_listener_fd(const struct ft_listener *l);
/* The local port actually bound (useful with port 0 in tests). */
uint16_t ft_listener_port(const struct ft_listener *l);
const char *ft_listener_name(const struct ft_listener *l);

/* Receives what is waiting, up to max (<= FT_LISTENER_BATCH) datagrams, without
 * blocking.  Returns how many were filled (0 if none waited) or negative errno.  The
 * payloads stay valid until the next call. */
int ft_listener_recv(struct ft_listener *l, struct ft_datagram *dgs, unsigned max);

const struct ft_listener_stats *ft_listener_stats(const struct ft_listener *l);
/* Brings kernel_drops up to date (SO_MEMINFO, Linux 4.13), drops after the last
 * datagram received included. */
void ft_listener_update_drops(struct ft_listener *l);

#endif
