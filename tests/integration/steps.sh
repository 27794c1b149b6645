#!/usr/bin/env bash
# A block for every step flowtallyd ran, and none for the steps it did not.  With
# 1-second steps and traffic only at the beginning, the ledger (with the steps saved at
# the stop) holds one block for every second from the step holding the start to the
# step holding the stop, contiguous, the quiet ones all zeros with the map in force;
# the flows add up to what was sent.  Stopped for a few seconds and started again, the
# daemon logs the seconds it missed once ("no steps from T1 to T2 (N steps of 1 s):
# flowtallyd was not running"), reports them in stats.json, and writes no block for
# them: the ledger is contiguous on either side of exactly that gap.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

data=$tmp/data
cat >"$tmp/ft.conf" <<CONF
listen = ["127.0.0.1:0"];
exporters = ["127.0.0.0/8"];
data_dir = "$data";
stats_interval = 1;
log_level = "info";
step = 1;
lateness = 1;
tenants = ( { name = "north"; prefixes = [ "10.0.0.0/9" ]; } );
CONF
map=$("$ft" check-config "$tmp/ft.conf" | grep -o '[0-9a-f]\{64\}' | awk 'NR == 1')
[ -n "$map" ] || fail "check-config shows no map identity"

# run LOG SECONDS RECORDS: flowtallyd for SECONDS, with RECORDS sent at once at its
# start (0: none); sets $t_before / $t_ready (epoch seconds around the start) and
# $t_stop (once it has exited).
run() {
	rm -f "$data/stats.json"
	t_before=$(date +%s)
	start_daemon "$ftd" "$tmp/ft.conf" "$1"
	t_ready=$(date +%s)
	port=$(jq '.listeners[0].port' "$data/stats.json")
	if [ "$3" != 0 ]; then
		"$ft" generate --to "127.0.0.1:$port" --records "$3" --rate 50000 --seed "$RANDOM" \
			--summary >>"$tmp/sent.jsonl" || fail "flowtally generate failed"
	fi
	sleep "$2"
	cp "$data/stats.json" "$tmp/stats.last"
	stop_daemon || fail "flowtallyd exited with status $?"
	[ "$(grep -c 'flowtallyd .* started' "$1")" = 1 ] || fail "no start message in $1"
	t_stop=$(date +%s)
	! grep -h '\[\(warning\|err\)\]' "$1" >&2 || fail "warnings or errors logged (above)"
}
# blocks: "START_S N_CELLS FLOWS MAP BYTES" for every block of the ledger, then every
# step saved in state/steps.json (they are written at the next start), by start.
blocks() {
	awk -F'\t' '$1 == "B" { start = $2; cells[start] = $6; map[start] = $4 }
	            $1 == "S" && $3 == "total" { print start, cells[start], $6, map[start], $4 }' \
		"$data"/ledger/*.ledger | while read -r t c f m b; do
		echo "$(date -u -d "$t" +%s) $c $f $m $b"
	done
	if [ -s "$data/state/steps.json" ]; then
		jq -r '.steps[] | "\(.start_ms / 1000 | floor) \(.cells | length) \(.total[2]) \(.map) \(.total[0])"' \
			"$data/state/steps.json"
	fi
}
# contiguous FROM TO: the blocks cover every second of [FROM, TO] once, and no other.
contiguous() {
	blocks | awk -v from="$1" -v to="$2" '
		$1 < from || $1 > to { next }
		{ if (n++ && $1 != last + 1) { printf "after %d comes %d\n", last, $1; bad = 1 } last = $1 }
		END { if (!n) bad = 1; exit bad }' >"$tmp/holes" || { cat "$tmp/holes" >&2; return 1; }
	local got
	got=$(blocks | awk -v from="$1" -v to="$2" '$1 >= from && $1 <= to' | wc -l)
	[ "$got" = $(($2 - $1 + 1)) ]
}
sent() { jq -s 'map(.records) | add' "$tmp/sent.jsonl"; }
flows() { blocks | awk '{ f += $3 } END { print f + 0 }'; }

# 1. Traffic in the first second, then five quiet seconds.
run "$tmp/a.log" 5 3000
first=$(blocks | awk 'NR == 1 { print $1 }')
last=$(blocks | tail -n1 | cut -d' ' -f1)
# The step before the start is open for late records at the start (lateness 1 s): a
# record spanning into it gives it a block.  Quiet steps start at the step holding it.
[ "$first" -ge $((t_before - 1)) ] && [ "$first" -le "$t_ready" ] ||
	fail "the first block starts at $first, not in the steps open at the start ($((t_before - 1)) … $t_ready)"
first_quiet=$(blocks | awk '$3 == 0 && $5 == 0 { print $1; exit }')
[ -n "$first_quiet" ] || fail "no quiet step has a block"
[ "$first_quiet" -ge "$t_before" ] || fail "a quiet step at $first_quiet, before the start ($t_before)"
[ "$last" -ge $((t_stop - 2)) ] && [ "$last" -le "$t_stop" ] ||
	fail "the last block (written or saved) starts at $last; the daemon stopped at $t_stop"
contiguous "$first" "$last" || fail "the blocks of the first run are not one per second from $first to $last"
[ "$(flows)" = "$(sent)" ] || fail "the blocks hold $(flows) flows, $(sent) were sent"
quiet=$(blocks | awk '$3 == 0 && $5 == 0' | wc -l)
[ "$quiet" -ge 3 ] || fail "only $quiet quiet steps among the blocks"
blocks | awk -v map="$map" '$3 == 0 && $5 == 0 && ($2 != 0 || $4 != map) { bad = 1; print } END { exit bad }' >&2 ||
	fail "a quiet step is not all zeros with the map in force ($map)"
jq -e '.sinks.ledger.gap_steps == 0 and .sinks.ledger.gap_from == null' "$tmp/stats.last" >/dev/null ||
	fail "stats.json reports a gap before the first run"
! grep -q 'no steps from' "$tmp/a.log" || fail "a gap was logged at the first start"
note "first run: $((last - first + 1)) steps from $first to $last, $quiet of them quiet, $(flows) flows"

# 2. Three seconds stopped, then a run without traffic.
sleep 3
run "$tmp/b.log" 3 0
msg=$(grep -o 'no steps from .* to .* ([0-9]* steps* of 1 s): flowtallyd was not running' "$tmp/b.log") ||
	{ cat "$tmp/b.log" >&2; fail "no gap logged at the restart"; }
[ "$(grep -c 'no steps from' "$tmp/b.log")" = 1 ] || fail "the gap was logged more than once"
g1=$(date -u -d "$(echo "$msg" | awk '{ print $4 }')" +%s)
g2=$(date -u -d "$(echo "$msg" | awk '{ print $6 }')" +%s)
n=$(echo "$msg" | sed 's/.*(\([0-9]*\) step.*/\1/')
[ "$g1" = $((last + 1)) ] || fail "the gap starts at $g1, the first run's last step ended at $((last + 1))"
[ "$g2" -ge "$t_before" ] && [ "$g2" -le "$t_ready" ] || fail "the gap ends at $g2, not at the second start"
[ "$n" = $((g2 - g1)) ] && [ "$n" -ge 2 ] || fail "$n steps said for a gap of $((g2 - g1)) s"
jq -e --argjson n "$n" '.sinks.ledger | .gap_steps == $n and .gap_from != null and .gap_to != null' \
	"$tmp/stats.last" >/dev/null || fail "stats.json does not report the gap of $n steps: $(jq -c .sinks.ledger "$tmp/stats.last")"
in_gap=$(blocks | awk -v a="$g1" -v b="$g2" '$1 >= a && $1 < b' | wc -l)
[ "$in_gap" = 0 ] || fail "$in_gap blocks inside the gap"
end=$(blocks | tail -n1 | cut -d' ' -f1)
contiguous "$first" $((g1 - 1)) || fail "the first run's blocks are not contiguous once written"
contiguous "$g2" "$end" || fail "the second run's blocks are not one per second from $g2 to $end"
[ "$(flows)" = "$(sent)" ] || fail "after the restart the blocks hold $(flows) flows, $(sent) were sent"
"$ft" ledger verify -d "$data" >/dev/null || fail "ledger verify failed"
note "restart: $msg; blocks on either side, none inside"
echo "steps: ok"
