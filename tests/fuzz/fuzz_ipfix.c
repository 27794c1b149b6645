/* Fuzz target for IPFIX: sequences of messages through one struct ft_netflow, so that
 * templates, withdrawals, options data and kept data sets carry over from one message
 * to the next.  The input format and the checks are tpl_target.c's; every datagram is
 * made an IPFIX one (version field 10) whose length field is the datagram's unless the
 * datagram's selector byte asks for it raw.  Seeds: corpus/ipfix/, written by
 * gen_tpl_corpus.c.
 */
#include "fuzz.h"
#include "tpl_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tpl_target_run(data, size, 10);
	return 0;
}
