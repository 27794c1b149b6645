/* Hand-built NetFlow v5 datagrams for the unit tests: every field written byte by byte
 * at its offset from the Cisco v5 format, independently of the decoder. */
#ifndef FT_TEST_NF5_BUILD_H
#define FT_TEST_NF5_BUILD_H

#include <stdint.h>
#include <string.h>

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

struct v5hdr {
	uint16_t count;
	uint32_t uptime, secs, nsecs, seq;
	uint8_t engine_type, engine_id;
	uint16_t sampling;
};

/* Writes a header and count records; record i has srcaddr 10.0.0.i, dstaddr
 * 192.168.1.i, dPkts i+1, dOctets 100*(i+1), First uptime-1000-i, Last uptime-i.
 * Returns the datagram length. */
static inline size_t build_v5(uint8_t *buf, const struct v5hdr *h, unsigned records)
{
	memset(buf, 0, 24 + 48 * (size_t)records);
	put16(buf, 5);
	put16(buf + 2, h->count);
	put32(buf + 4, h->uptime);
	put32(buf + 8, h->secs);
	put32(buf + 12, h->nsecs);
	put32(buf + 16, h->seq);
	buf[20] = h->engine_type;
	buf[21] = h->engine_id;
	put16(buf + 22, h->sampling);
	for (unsigned i = 0; i < records; i++) {
		uint8_t *r = buf + 24 + 48 * i;
		r[0] = 10; r[3] = (uint8_t)i;
		r[4] = 192; r[5] = 168; r[6] = 1; r[7] = (uint8_t)i;
		r[8] = 172; r[9] = 16; r[11] = 1;
		put16(r + 12, 3);
		put16(r + 14, 4);
		put32(r + 16, i + 1);
		put32(r + 20, 100 * (i + 1));
		put32(r + 24, h->uptime - 1000 - i);
		put32(r + 28, h->uptime - i);
		put16(r + 32, 1024);
		put16(r + 34, 443);
		r[37] = 0x1b;
		r[38] = 6;
		r[39] = 0xb8;
		put16(r + 40, 64500);
		put16(r + 42, 64501);
		r[44] = 24;
		r[45] = 16;
	}
	return 24 + 48 * (size_t)records;
}

#endif
