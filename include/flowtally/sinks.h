/* flowtally — the daemon's sinks: one table, made in exporters/sinks.c from the list in
 * exporters/sinks.def.  Its first entry is the authoritative ledger; the others are fed
 * from the writer thread's queue. */
#ifndef FLOWTALLY_SINKS_H
#define FLOWTALLY_SINKS_H

#include <stddef.h>

#include "flowtally/sink.h"

extern const struct ft_sink_entry ft_sink_table[];
extern const size_t ft_sink_table_len;

#endif
