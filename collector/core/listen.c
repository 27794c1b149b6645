/* Listen addresses: "host:port" (listen.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "flowtally/listen.h"
#include "flowtally/parse.h"

int ft_listen_addr_parse(const char *s, struct ft_listen_addr *ret)
{
	struct ft_listen_addr l = { 0 };
	char host[FT_ADDR_STRLEN];
	const char *colon;
	size_t hl;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = close + 1;
		l.v6 = true;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
			return -EINVAL;
		hl = (size_t)(colon - s);
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (strcmp(host, "*") == 0)
			snprintf(host, sizeof(host), "0.0.0.0");
		if (strchr(host, ':'))
			return -EINVAL;      /* IPv6 needs brackets */
	}
	if (ft_addr_parse(host, &l.addr) < 0 || ft_addr_is_v4(&l.addr) == l.v6)
		return -EINVAL;
	uint64_t port;
	if (ft_parse_u64(colon + 1, 0, 65535, &port) < 0)
		return -EINVAL;
	l.port = (uint16_t)port;
	snprintf(l.text, sizeof(l.text), "%s", s);
	*ret = l;
	return 0;
}

socklen_t ft_listen_addr_sockaddr(const struct ft_listen_addr *a, struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (a->v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ret;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr.b, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ret;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(a->port);
	memcpy(&s4->sin_addr, a->addr.b + 12, 4);
	return sizeof(*s4);
}
