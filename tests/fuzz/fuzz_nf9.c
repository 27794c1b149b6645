/* Fuzz target for NetFlow v9: sequences of datagrams through one struct ft_netflow, so
 * that templates, options data and kept data sets carry over from one datagram to the
 * next.  The input format and the checks are tpl_target.c's; every datagram is made a
 * v9 one (version field 9).  Seeds: corpus/nf9/, written by gen_tpl_corpus.c.
 */
#include "fuzz.h"
#include "tpl_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tpl_target_run(data, size, 9);
	return 0;
}
