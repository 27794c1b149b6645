/* The table of flowtallyd's sinks (sinks.h, sink.h).  Adding a sink: its folder under
 * exporters/ (a library whose ft_<name>_sink is a struct ft_sink_ops), its part of the
 * configuration (collector/config/<name>_conf.c) if it has one, and one line here.
 * The first line stays the ledger: it is authoritative. */
#include "flowtally/ledger.h"
#include "flowtally/sinks.h"

const struct ft_sink_entry ft_sink_table[] = {
	{ &ft_ledger_sink, FT_SINK_NO_CONF },
};

const size_t ft_sink_table_len = sizeof(ft_sink_table) / sizeof(ft_sink_table[0]);
