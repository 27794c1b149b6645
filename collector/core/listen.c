/* Listen addresses: "host:port" (listen.h). */
#include <errno.h>
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
