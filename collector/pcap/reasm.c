/* IP fragment reassembly for the capture reader.
 *
 * A fixed table of FT_REASM_SLOTS pending datagrams, keyed by (source, destination,
 * identification, protocol) for IPv4 (RFC 791 §3.2) and (source, destination,
 * identification) for IPv6 (RFC 8200 §4.5).  Each slot has a FT_REASM_MAX-byte buffer,
 * allocated the first time the slot is used and kept, and a bitmap of the 8-byte blocks
 * received.  Fragments may come in any order.  A fragment that overlaps received bytes
 * abandons its datagram (RFC 5722), unless it repeats them exactly: duplicates are
 * ignored (RFC 5722 §4).  So are, by abandoning, fragments that are misaligned, run past
 * 65535 bytes or disagree on where the datagram ends.  A datagram is complete when its
 * last fragment is in and the bytes received add up to its length.  When the table is
 * full the oldest pending datagram is abandoned; so is one still incomplete 60 s of
 * capture time after its first fragment.  Abandoned datagrams add their fragment counts
 * to t->incomplete.
 */
#include <stdlib.h>
#include <string.h>

#include "pcap_int.h"

void ft_reasm_init(struct ft_reasm *t)
{
	memset(t, 0, sizeof(*t));
}

void ft_reasm_done(struct ft_reasm *t)
{
	for (size_t i = 0; i < FT_REASM_SLOTS; i++)
		free(t->slot[i].buf);
	memset(t, 0, sizeof(*t));
}

/* Empties a slot but keeps its buffer for the next datagram. */
static void release(struct ft_reasm_slot *s)
{
	uint8_t *buf = s->buf;
	memset(s, 0, sizeof(*s));
	s->buf = buf;
}

static void abandon(struct ft_reasm *t, struct ft_reasm_slot *s)
{
	t->incomplete += s->nfrags;
	release(s);
}

void ft_reasm_flush(struct ft_reasm *t)
{
	for (size_t i = 0; i < FT_REASM_SLOTS; i++)
		if (t->slot[i].used)
			abandon(t, &t->slot[i]);
}

/* Capture times need not be monotonic: only a later fragment expires a slot, and the
 * difference is taken unsigned so that no pair of timestamps overflows. */
static void expire(struct ft_reasm *t, int64_t now)
{
	for (size_t i = 0; i < FT_REASM_SLOTS; i++) {
		struct ft_reasm_slot *s = &t->slot[i];
		if (s->used && now > s->first_ns &&
		    (uint64_t)now - (uint64_t)s->first_ns > (uint64_t)FT_REASM_TIMEOUT_NS)
			abandon(t, s);
	}
}

static bool same_datagram(const struct ft_reasm_slot *s, const struct ft_pcap_ip *ip)
{
	return s->used && s->family == ip->family && s->id == ip->frag_id &&
	       (ip->family == 6 || s->proto == ip->proto) &&
	       ft_addr_equal(&s->src, &ip->src) && ft_addr_equal(&s->dst, &ip->dst);
}

static struct ft_reasm_slot *claim(struct ft_reasm *t, struct ft_reasm_slot *s,
                                   const struct ft_pcap_ip *ip, int64_t now)
{
	if (s->buf == NULL && (s->buf = malloc(FT_REASM_MAX)) == NULL)
		return NULL;
	s->used = true;
	s->family = ip->family;
	s->src = ip->src;
	s->dst = ip->dst;
	s->id = ip->frag_id;
	s->proto = ip->family == 4 ? ip->proto : 0;
	s->seq = t->seq++;
	s->first_ns = now;
	return s;
}

/* The slot of ip's datagram: the pending one, else a free one, else the oldest,
 * abandoned.  NULL only when a buffer cannot be allocated. */
static struct ft_reasm_slot *lookup(struct ft_reasm *t, const struct ft_pcap_ip *ip,
                                    int64_t now)
{
	struct ft_reasm_slot *unused = NULL, *oldest = NULL;

	for (size_t i = 0; i < FT_REASM_SLOTS; i++) {
		struct ft_reasm_slot *s = &t->slot[i];
		if (same_datagram(s, ip))
			return s;
		if (!s->used && unused == NULL)
			unused = s;
		if (s->used && (oldest == NULL || s->seq < oldest->seq))
			oldest = s;
	}
	if (unused == NULL) {
		abandon(t, oldest);
		unused = oldest;
	}
	return claim(t, unused, ip, now);
}

static bool block_has(const struct ft_reasm_slot *s, size_t b)
{
	return (s->have[b / 8] >> (b % 8)) & 1;
}

/* How many of the 8-byte blocks under [off, end) were received. */
static size_t blocks_held(const struct ft_reasm_slot *s, size_t off, size_t end)
{
	size_t n = 0;
	for (size_t b = off / 8; b < (end + 7) / 8; b++)
		n += block_has(s, b);
	return n;
}

static void blocks_mark(struct ft_reasm_slot *s, size_t off, size_t end)
{
	for (size_t b = off / 8; b < (end + 7) / 8; b++)
		s->have[b / 8] |= (uint8_t)(1u << (b % 8));
}

/* The last fragment fixes the datagram's length; bytes already past it, or another
 * last fragment with a different end, make the datagram inconsistent. */
static bool set_end(struct ft_reasm_slot *s, const struct ft_pcap_ip *ip, size_t end)
{
	if (ip->more)
		return !s->have_last || end <= s->total;
	if (s->have_last)
		return end == s->total;
	if (s->max_end > end)
		return false;
	s->have_last = true;
	s->total = (uint32_t)end;
	return true;
}

/* Copies one fragment into its slot.  FT_PCAP_HELD: an exact duplicate, ignored. */
static enum ft_pcap_drop place(struct ft_reasm_slot *s, const struct ft_pcap_ip *ip)
{
	size_t off = ip->frag_off, end = off + ip->len;

	/* RFC 8200 §4.5: all but the last fragment are a multiple of 8 bytes long. */
	if (end > ip->frag_limit || end > FT_REASM_MAX || (ip->more && (ip->len == 0 || ip->len % 8)))
		return FT_PCAP_MALFORMED;
	if (!set_end(s, ip, end))
		return FT_PCAP_MALFORMED;
	size_t held = blocks_held(s, off, end);
	if (held > 0) {
		bool dup = held == (end + 7) / 8 - off / 8 && memcmp(s->buf + off, ip->data, ip->len) == 0;
		return dup ? FT_PCAP_HELD : FT_PCAP_MALFORMED;
	}
	memcpy(s->buf + off, ip->data, ip->len);
	blocks_mark(s, off, end);
	s->received += (uint32_t)ip->len;
	if (end > s->max_end)
		s->max_end = (uint32_t)end;
	if (off == 0)
		s->proto = ip->proto;
	return FT_PCAP_OK;
}

enum ft_pcap_drop ft_reasm_add(struct ft_reasm *t, const struct ft_pcap_ip *ip, int64_t ts_ns,
                               struct ft_reasm_out *ret)
{
	expire(t, ts_ns);
	struct ft_reasm_slot *s = lookup(t, ip, ts_ns);
	if (s == NULL) {
		t->incomplete++;
		return FT_PCAP_HELD;
	}
	s->nfrags++;
	if (place(s, ip) == FT_PCAP_MALFORMED) {
		abandon(t, s);
		return FT_PCAP_MALFORMED;
	}
	if (!s->have_last || s->received != s->total)
		return FT_PCAP_HELD;
	*ret = (struct ft_reasm_out){ .proto = s->proto, .data = s->buf, .len = s->total };
	release(s);    /* the buffer stays with the slot until it is claimed again */
	return FT_PCAP_OK;
}
