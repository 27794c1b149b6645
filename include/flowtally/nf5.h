/* flowtally — NetFlow version 5 decoder.
 *
 * Stateless: one datagram in, its header and records out.  Sequence tracking and
 * statistics are the caller's (see netflow.h).  Wire format: Cisco "NetFlow Export
 * Datagram Format", version 5: a 24-byte header then count 48-byte records.
 */
#ifndef FLOWTALLY_NF5_H
#define FLOWTALLY_NF5_H

#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"

#define FT_NF5_HEADER_LEN 24
#define FT_NF5_RECORD_LEN 48
#define FT_NF5_MAX_RECORDS 30

struct ft_nf5_header {
	uint16_t version;
	uint16_t count;
	uint32_t sys_uptime_ms;
	uint32_t unix_secs;
	uint32_t unix_nsecs;
	uint32_t flow_sequence;
	uint8_t engine_type;
	uint8_t engine_id;
	uint8_t sampling_mode;       /* top 2 bits of sampling_interval */
	uint16_t sampling_interval;  /* low 14 bits; 0 means unsampled */
};

/* Reads the header only.  0, or -(enum ft_nf_error): SHORT_HEADER or VERSION. */
int ft_nf5_parse_header(const uint8_t *buf, size_t len, struct ft_nf5_header *ret);

/* Decodes a whole datagram.  flows must have room for FT_NF5_MAX_RECORDS.  On success
 * returns the record count (1..30) and fills ret_hdr and flows; on failure returns
 * -(enum ft_nf_error) and fills ret_hdr only when the header itself was readable
 * (count or length errors), else leaves it untouched.  exporter is copied into each
 * record. */
int ft_nf5_decode(const uint8_t *buf, size_t len, const struct ft_addr *exporter,
                  struct ft_nf5_header *ret_hdr, struct ft_flow *flows);

#endif
