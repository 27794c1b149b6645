/* flowtally — UDP addresses to receive on (and to send test traffic to): "host:port"
 * with IPv6 in brackets. */
#ifndef FLOWTALLY_LISTEN_H
#define FLOWTALLY_LISTEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "flowtally/flow.h"

struct ft_listen_addr {
	struct ft_addr addr;
	uint16_t port;
	bool v6;                    /* an AF_INET6 socket */
	char text[64];              /* as written, for logs and statistics */
};

/* Parses "192.0.2.1:2055", "[2001:db8::1]:2055", "*:2055" (IPv4 any), "[::]:2055".
 * 0 or -EINVAL. */
int ft_listen_addr_parse(const char *s, struct ft_listen_addr *ret);

/* The socket address of a (AF_INET6 when a->v6, an IPv4-mapped address included;
 * else AF_INET) into *ret; returns its length. */
socklen_t ft_listen_addr_sockaddr(const struct ft_listen_addr *a, struct sockaddr_storage *ret);

#endif
