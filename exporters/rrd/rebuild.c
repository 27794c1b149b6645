/* The series made again from the ledger (rrd.h): the RRD sink in its rebuild mode, fed
 * the ledger's steps in order. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "flowtally/clock.h"
#include "flowtally/diag.h"
#include "flowtally/ledger.h"
#include "flowtally/log.h"
#include "flowtally/rrd.h"
#include "rrd_int.h"

/* The end of the last step of the range in the ledger (0: none); -errno. */
static int range_end(const char *ledger, int64_t from, int64_t to, int64_t *ret)
{
	struct ft_ledger_reader *rd;
	struct ft_step s;
	int r = ft_ledger_reader_open(ledger, from, to, &rd);
	*ret = 0;
	if (r < 0)
		return r;
	while ((r = ft_ledger_reader_next(rd, &s, NULL)) != 0) {
		if (r == 1) {
			*ret = s.start_ms + s.length_ms;
			ft_step_done(&s);
		}
	}
	ft_ledger_reader_free(rd);
	return 0;
}

int ft_rrd_rebuild(const struct ft_rrd_rebuild_opts *o, struct ft_rrd_rebuild_result *ret)
{
	char ledger[4200], when[40];
	struct ft_rrd_conf conf = { .enabled = true, .daemon = (char *)o->daemon,
	                            .daemon_base = (char *)o->daemon_base, .dir = (char *)o->rrd_dir,
	                            .fine_days = o->fine_days };
	struct ft_sink_env env = { .data_dir = o->data_dir, .conf = &conf, .step_ms = o->step_ms };
	struct ft_ledger_reader *rd;
	struct ft_step s;
	void *sink;
	int64_t end;
	*ret = (struct ft_rrd_rebuild_result){ 0 };
	snprintf(ledger, sizeof(ledger), "%s/ledger", o->data_dir);
	int r = range_end(ledger, o->from_ms, o->to_ms, &end);
	if (r < 0)
		return r;
	if (end == 0)
		return 0;
	if ((r = ft_rrd_sink_open(&env, &sink)) < 0)
		return r;
	ft_rrd_sink_set_rebuild(sink, (time_t)(end / 1000), o->force);
	if ((r = ft_ledger_reader_open(ledger, o->from_ms, o->to_ms, &rd)) < 0) {
		ft_rrd_sink_close(sink);
		return r;
	}
	int64_t last_progress = 0;
	uint64_t unreadable = 0;    /* ledger blocks that could not be read */
	while ((r = ft_ledger_reader_next(rd, &s, NULL)) != 0) {
		if (r != 1) {
			if (r < 0)
				unreadable++;
			continue;
		}
		if (s.length_ms != o->step_ms) {
			ft_log_warn(FT_LOG_MAIN, "ledger step %s is %" PRId64 " s long, not %" PRId64 " s: not in "
			            "the series", ft_time_format_utc(s.start_ms * FT_NS_PER_MS, when, sizeof(when)),
			            s.length_ms / 1000, o->step_ms / 1000);
			ft_step_done(&s);
			continue;
		}
		int w = ft_rrd_sink_write_step(sink, &s);
		ft_step_done(&s);
		if (w == -EAGAIN) {
			ft_log_err(FT_LOG_MAIN, "rrdcached at %s is unreachable: rebuild stopped (run it again)",
			           o->daemon);
			r = -EAGAIN;
			break;
		}
		ret->steps++;
		if (o->progress && ft_clock_mono_ns() - last_progress > FT_NS_PER_SEC) {
			last_progress = ft_clock_mono_ns();
			fprintf(stderr, "\rrebuild: %" PRIu64 " steps, up to %s", ret->steps,
			        ft_time_format_utc(s.start_ms * FT_NS_PER_MS, when, sizeof(when)));
		}
	}
	if (o->progress && ret->steps)
		fprintf(stderr, "\n");
	ft_ledger_reader_free(rd);
	ft_rrd_sink_counts(sink, &ret->files, &ret->updates, &ret->refused, &ret->errors);
	ret->errors += unreadable;
	ft_rrd_sink_close(sink);
	return r < 0 ? r : 0;
}
