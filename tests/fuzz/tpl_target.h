/* The stateful driver behind fuzz_nf9 and fuzz_ipfix (tpl_target.c). */
#ifndef FT_FUZZ_TPL_TARGET_H
#define FT_FUZZ_TPL_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Runs one fuzz input through a fresh struct ft_netflow, every datagram's version field
 * set to version (9 or 10); aborts when a check fails. */
void tpl_target_run(const uint8_t *data, size_t size, uint16_t version);

#endif
