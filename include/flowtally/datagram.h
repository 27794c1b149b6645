/* flowtally — one received export datagram: what every source (the UDP listener, the
 * capture reader) hands to decoding.  Sources know nothing of the decoders. */
#ifndef FLOWTALLY_DATAGRAM_H
#define FLOWTALLY_DATAGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"

/* The payload is borrowed: it stays valid until the source's next call. */
struct ft_datagram {
	struct ft_addr src;
	struct ft_addr dst;
	uint16_t sport;
	uint16_t dport;
	int64_t recv_ns;           /* receive time, UTC nanoseconds since the epoch */
	const uint8_t *data;
	size_t len;
};

#endif
