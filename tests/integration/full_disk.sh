#!/usr/bin/env bash
# Closed steps are never dropped.  flowtallyd runs under a file-size limit (ulimit -f,
# as a full disk would: every write past it fails with EFBIG) that the ledger's day file
# reaches while traffic flows: the steps it cannot write stay pending, are saved with
# the open steps at the stop, and the next start (no limit) writes them, so the ledger
# then holds exactly what was sent.  Under a limit that even the saved steps do not fit
# in, the stop says what it lost, with its figures, and exits non-zero.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

cat >"$tmp/p.txt" <<'RULES'
10.0.0.0/9        north
10.128.0.0/10     south
192.168.0.0/17    south
192.168.200.0/21  north
RULES
data=$tmp/data
cat >"$tmp/ft.conf" <<CONF
listen = ["127.0.0.1:0"];
exporters = ["127.0.0.0/8"];
data_dir = "$data";
stats_interval = 1;
log_level = "info";
step = 1;
lateness = 2;
tenants = ( { name = "north"; }, { name = "south"; } );
prefix_files = [ "$tmp/p.txt" ];
CONF

# run LIMIT_KIB LOG SECONDS: flowtallyd under the limit (0: none) for SECONDS of traffic
# from a generator (0: none, and long enough for the restored steps to close), then
# SIGTERM; sets $rc (its exit status).
run() {
	rm -f "$data/stats.json"
	if [ "$1" = 0 ]; then
		"$ftd" --allow-root -f -c "$tmp/ft.conf" 2>"$2" &
	else
		bash -c 'ulimit -f "$1"; exec "$2" --allow-root -f -c "$3"' limit "$1" "$ftd" "$tmp/ft.conf" 2>"$2" &
	fi
	dpid=$!
	wait_for test -s "$data/stats.json" || { cat "$2" >&2; fail "flowtallyd did not start"; }
	port=$(jq '.listeners[0].port' "$data/stats.json")
	if [ "$3" = 0 ]; then
		sleep 4                 # past step + lateness: what was restored is closed
	else
		"$ft" generate --to "127.0.0.1:$port" --records $(($3 * 5000)) --rate 5000 --seed "$RANDOM" \
			--summary >>"$tmp/sent.jsonl" || fail "flowtally generate failed"
	fi
	kill -TERM "$dpid"
	set +e
	wait "$dpid"
	rc=$?
	set -e
	dpid=
}
# flows_held: flows in the ledger and in the saved steps.
flows_held() {
	local l s
	l=$("$ft" ledger show -d "$data" --json | jq .total.flows)
	s=$( [ -s "$data/state/steps.json" ] && jq '[.steps[].total[2]] | add // 0' "$data/state/steps.json" || echo 0)
	echo $((l + s))
}
sent() { jq -s 'map(.records) | add' "$tmp/sent.jsonl"; }
day_size() { stat -c %s "$data"/ledger/*.ledger | sort -n | tail -n1; }

# 1. A first run without a limit, for a day file larger than the steps saved below.
run 0 "$tmp/a.log" 12
[ "$rc" = 0 ] || { cat "$tmp/a.log" >&2; fail "flowtallyd exited $rc"; }

# 2. The day file may grow by 1 KiB: the ledger refuses, the steps stay pending and are
#    saved with the open ones at the stop.
limit=$(( ($(day_size) + 1023) / 1024 + 1 ))
run "$limit" "$tmp/b.log" 6
[ "$rc" = 0 ] || { cat "$tmp/b.log" >&2; fail "flowtallyd under a limit it could save within exited $rc"; }
if [ "$(ls "$data"/ledger/*.ledger | wc -l)" = 1 ]; then    # a new UTC day would have room
	grep -q 'cannot write step .* (kept, retried)' "$tmp/b.log" || { cat "$tmp/b.log" >&2; fail "the ledger never refused a step"; }
	grep -q 'closed step(s) not written .*: saved with the open steps' "$tmp/b.log" ||
		{ cat "$tmp/b.log" >&2; fail "the stop did not say it saved the steps the ledger refused"; }
fi
[ "$(flows_held)" = "$(sent)" ] || fail "ledger + saved steps hold $(flows_held) flows, $(sent) were sent"
note "under a $limit KiB limit: $(jq '.steps | length' "$data/state/steps.json") steps saved, nothing lost"

# 3. The next start, with room again, writes them all.
run 0 "$tmp/c.log" 2
[ "$rc" = 0 ] || { cat "$tmp/c.log" >&2; fail "flowtallyd exited $rc"; }
grep -q 'restored [0-9]* open step' "$tmp/c.log" || { cat "$tmp/c.log" >&2; fail "nothing restored"; }
[ "$(flows_held)" = "$(sent)" ] || fail "after the restart: $(flows_held) flows held, $(sent) sent"
run 0 "$tmp/d.log" 0
# A run without traffic saves only the empty steps of its open window at the stop.
[ ! -s "$data/state/steps.json" ] ||
	jq -e '[.steps[] | select(.total != [0, 0, 0] or .not_accounted != [0, 0, 0] or (.cells | length) > 0)] |
	       length == 0' "$data/state/steps.json" >/dev/null || fail "steps with records still saved after a run with nothing open"
[ "$(flows_held)" = "$(sent)" ] || fail "in the ledger: $(flows_held) flows, $(sent) sent"
"$ft" ledger verify -d "$data" >/dev/null || fail "ledger verify failed"
note "after restarts: the ledger holds all $(sent) flows"

# 4. Not even the saved steps fit: the loss is said, with its figures, and the exit is 1.
run 4 "$tmp/e.log" 10
[ "$rc" = 1 ] || { cat "$tmp/e.log" >&2; fail "a stop that lost steps exited $rc"; }
grep -q 'cannot save [0-9]* step(s) to .*: they are LOST, from .* [0-9]* flows, [0-9]* bytes' "$tmp/e.log" ||
	{ cat "$tmp/e.log" >&2; fail "the loss was not said with its figures"; }
note "$(grep -o 'cannot save [0-9]* step(s)' "$tmp/e.log"): said, exit 1"
echo "full-disk: ok"
