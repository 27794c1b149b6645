/* The output batch that decoders append flows to (netflow.h, struct ft_flow_batch). */
#include "netflow_int.h"

struct ft_flow *ft_batch_push(struct ft_flow_batch *b)
{
	if (b->n == b->cap && b->flush)
		b->flush(b, b->ctx);
	if (b->n >= b->cap) {
		b->overflow++;
		return NULL;
	}
	return &b->flows[b->n++];
}
