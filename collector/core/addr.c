/* Addresses and prefixes in flowtally's one 16-byte form (IPv4 mapped into IPv6). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flowtally/flow.h"
#include "flowtally/parse.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void ft_addr_from_v4(struct ft_addr *a, uint32_t v4)
{
	memcpy(a->b, v4_mapped, 12);
	a->b[12] = v4 >> 24;
	a->b[13] = v4 >> 16;
	a->b[14] = v4 >> 8;
	a->b[15] = v4;
}

void ft_addr_from_v4_bytes(struct ft_addr *a, const uint8_t v4[4])
{
	memcpy(a->b, v4_mapped, 12);
	memcpy(a->b + 12, v4, 4);
}

void ft_addr_from_v6(struct ft_addr *a, const uint8_t v6[16])
{
	memcpy(a->b, v6, 16);
}

bool ft_addr_is_v4(const struct ft_addr *a)
{
	return memcmp(a->b, v4_mapped, 12) == 0;
}

bool ft_addr_equal(const struct ft_addr *a, const struct ft_addr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

char *ft_addr_format(const struct ft_addr *a, char buf[FT_ADDR_STRLEN])
{
	if (ft_addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, FT_ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a->b, buf, FT_ADDR_STRLEN);
	return buf;
}

int ft_addr_parse(const char *s, struct ft_addr *ret)
{
	uint8_t tmp[16];

	if (inet_pton(AF_INET, s, tmp) == 1) {
		ft_addr_from_v4_bytes(ret, tmp);
		return 0;
	}
	if (inet_pton(AF_INET6, s, tmp) == 1) {
		ft_addr_from_v6(ret, tmp);
		return 0;
	}
	return -EINVAL;
}

static void mask_to(struct ft_addr *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		if (bits < 8)
			a->b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

int ft_prefix_parse(const char *s, struct ft_prefix *ret)
{
	char host[FT_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	struct ft_prefix p;

	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (ft_addr_parse(host, &p.addr) < 0)
		return -EINVAL;
	bool v4 = strchr(host, ':') == NULL;
	uint64_t max = v4 ? 32 : 128, len = max;
	if (slash && ft_parse_u64(slash + 1, 0, max, &len) < 0)
		return -EINVAL;
	p.len = (uint8_t)(v4 ? len + 96 : len);
	mask_to(&p.addr, p.len);
	*ret = p;
	return 0;
}

bool ft_prefix_contains(const struct ft_prefix *p, const struct ft_addr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr.b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xff00u >> rest);
	return (a->b[full] & m) == p->addr.b[full];
}

char *ft_prefix_format(const struct ft_prefix *p, char *buf, size_t size)
{
	char a[FT_ADDR_STRLEN];
	bool v4 = ft_addr_is_v4(&p->addr) && p->len >= 96;

	snprintf(buf, size, "%s/%u", ft_addr_format(&p->addr, a), v4 ? p->len - 96u : p->len);
	return buf;
}
