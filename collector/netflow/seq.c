/* Sequence numbers: lost, reordered and restarted exports, per exporter.
 *
 * Each format counts its own unit: v5 sequence numbers count records, v9 datagrams
 * (RFC 3954 §5.1) and IPFIX data records (RFC 7011 §3.1).  A forward jump adds the gap
 * to the lost count; a small backward jump is a reordered datagram, which gives back
 * what its early successor had counted as lost; a jump with sysUptime back by more
 * than a minute is an exporter restart, which resets tracking.
 */
#include "netflow_int.h"

/* How far behind the expected sequence a datagram may arrive and still count as
 * reordered rather than as an exporter restart. */
#define REORDER_WINDOW 65536u
/* sysUptime going back by more than this (ms) means the exporter restarted. */
#define RESTART_UPTIME_MS 60000u

/* Tracks a sequence that advances by `count` per datagram; *lost grows by gaps.
 * uptime_back: the exporter's clock went back far enough to mean a restart. */
void ft_seq_track(struct exporter *e, uint32_t seq, uint32_t count, bool uptime_back, uint64_t *lost)
{
	if (e->seq_valid && seq != e->next_seq) {
		uint32_t ahead = seq - e->next_seq;
		uint32_t behind = e->next_seq - seq;
		if (ahead < 0x80000000u && !uptime_back) {
			*lost += ahead;
		} else if (behind <= REORDER_WINDOW && !uptime_back) {
			/* A late datagram: its records were counted lost when its successor came. */
			e->s.reordered++;
			*lost -= *lost < count ? *lost : count;
			return;
		} else {
			e->s.seq_resets++;
		}
	}
	e->seq_valid = true;
	e->next_seq = seq + count;
}

/* True when sysUptime went back by more than any datagram stays in flight. */
bool ft_uptime_back(struct exporter *e, uint32_t uptime)
{
	bool back = e->seq_valid && uptime < e->last_uptime && e->last_uptime - uptime > RESTART_UPTIME_MS;
	if (!e->seq_valid || uptime >= e->last_uptime || back)
		e->last_uptime = uptime;
	return back;
}
