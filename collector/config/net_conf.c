/* The UDP sockets' part of the configuration (struct ft_listener_conf, listener.h):
 * listen, receive_buffer, receive_threads. */
#include <errno.h>
#include <stdlib.h>

#include "config_int.h"

static int apply_listen(struct cctx *c, const config_setting_t *s)
{
	int n = ft_config_string_list(c, s);
	if (n < 0)
		return -EINVAL;
	struct ft_listen_addr *l = calloc((size_t)n + 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	int bad = 0;
	for (int i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(s, (unsigned)i);
		if (ft_listen_addr_parse(v, &l[i]) < 0) {
			ft_config_err(c, s, "listen: '%s' is not host:port (e.g. 127.0.0.1:2055 or [::1]:2055)", v);
			bad++;
		}
	}
	if (n == 0)
		ft_config_err(c, s, "listen: the list is empty; give at least one host:port");
	free(c->cfg->net.listen);
	c->cfg->net.listen = l;
	c->cfg->net.n_listen = (size_t)n;
	return bad || n == 0 ? -EINVAL : 0;
}

#define NET(field) offsetof(struct ft_config, net.field)

static const struct ft_config_key keys[] = {
	{ "listen", FT_KEY_APPLY, 0, 0, 0, apply_listen, false },
	{ "receive_buffer", FT_KEY_U32, 4096, 1LL << 30, NET(receive_buffer), NULL, false },
	{ "receive_threads", FT_KEY_U32, 1, 64, NET(receive_threads), NULL, false },
};

static int init(struct ft_config *c)
{
	c->net.listen = calloc(2, sizeof(*c->net.listen));
	if (!c->net.listen)
		return -ENOMEM;
	ft_listen_addr_parse("127.0.0.1:2055", &c->net.listen[0]);
	ft_listen_addr_parse("[::1]:2055", &c->net.listen[1]);
	c->net.n_listen = 2;
	c->net.receive_buffer = 32u << 20;
	c->net.receive_threads = 1;
	return 0;
}

static void done(struct ft_config *c)
{
	free(c->net.listen);
}

const struct ft_config_section ft_config_net = {
	keys, sizeof(keys) / sizeof(keys[0]), init, NULL, done, NULL,
};
