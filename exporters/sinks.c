/* The table of flowtallyd's sinks (sinks.h, sink.h), made from exporters/sinks.def:
 * adding a sink is its folder under exporters/ and one line there. */
#include <stddef.h>

#include "flowtally/config.h"
#include "flowtally/sinks.h"

#define FT_SINK(name, conf) extern const struct ft_sink_ops ft_##name##_sink;
#include "sinks.def"
#undef FT_SINK

const struct ft_sink_entry ft_sink_table[] = {
#define FT_SINK(name, conf) { &ft_##name##_sink, conf },
#include "sinks.def"
#undef FT_SINK
};

const size_t ft_sink_table_len = sizeof(ft_sink_table) / sizeof(ft_sink_table[0]);
