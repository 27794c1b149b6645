/* Byte-order readers for untrusted buffers: the caller checks the length first, these
 * never cast a struct onto the buffer. */
#ifndef FT_NETFLOW_WIRE_H
#define FT_NETFLOW_WIRE_H

#include <stdint.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
