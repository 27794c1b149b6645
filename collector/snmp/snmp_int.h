/* SNMP internals shared by the walker (walk.c, net-snmp), the book-keeping
 * (counters.c) and the poller (poller.c). */
#ifndef FT_SNMP_INT_H
#define FT_SNMP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/snmp.h"


/* One device's session and the poll in progress on it (walk.c).  It joins a loop by its
 * socket (ft_snmp_walker_fd) and its next retransmission (ft_snmp_walker_deadline_ns);
 * the owner calls ft_snmp_walker_read when the socket is readable and
 * ft_snmp_walker_timeout when the deadline is past.  A poll ends by calling done once,
 * from inside one of those calls (or from start, when nothing can be sent). */
struct ft_snmp_walker;
typedef void (*ft_snmp_done_fn)(struct ft_snmp_walker *w, int status, void *ctx);

/* Opens the device's session (its socket; no packet is sent): 0, -EINVAL (a setting
 * net-snmp refused: err says which), -ENOMEM. */
int ft_snmp_walker_new(const struct ft_snmp_device *d, struct ft_snmp_walker **ret, char *err, size_t err_size);
struct ft_snmp_walker *ft_snmp_walker_free(struct ft_snmp_walker *w);
/* Starts a poll (a v3 session first learns the agent's engine ID, asynchronously): 0,
 * -EBUSY when one is in progress. */
int ft_snmp_walker_start(struct ft_snmp_walker *w, ft_snmp_done_fn done, void *ctx);
bool ft_snmp_walker_busy(const struct ft_snmp_walker *w);
int ft_snmp_walker_fd(const struct ft_snmp_walker *w);
void ft_snmp_walker_read(struct ft_snmp_walker *w);
/* CLOCK_MONOTONIC ns of the next retransmission or timeout; -1 when nothing waits. */
int64_t ft_snmp_walker_deadline_ns(struct ft_snmp_walker *w);
void ft_snmp_walker_timeout(struct ft_snmp_walker *w);
/* The finished poll (moved into *ret; the walker keeps nothing of it). */
void ft_snmp_walker_take(struct ft_snmp_walker *w, struct ft_snmp_poll *ret);
/* Tests and the fuzz target: buf, the BER of a PDU (as net-snmp's snmp_pdu_parse takes
 * it, after the message header), handed to the walker as the answer to its request in
 * flight.  The first call starts a poll whose requests are made but never sent (no
 * packet leaves); each call then answers the one the walker would send next.  0 when
 * it was an answer (taken, or refused as the walker refuses bad answers), -EBADMSG when
 * net-snmp could not parse it, -ENOENT when the poll is over. */
int ft_snmp_walker_feed(struct ft_snmp_walker *w, const uint8_t *buf, size_t len);
/* The last poll's failure, one line naming the device ("" after a success). */
const char *ft_snmp_walker_error(const struct ft_snmp_walker *w);

#endif
