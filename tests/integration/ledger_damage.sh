#!/usr/bin/env bash
# The ledger never stops collection, and no damage goes unreported.
#   1. A changed digit in an older day file: flowtallyd starts, its full check in the
#      background reports the file, and stats.json / flowtally status flag it.
#   2. A changed digit in the newest day file: flowtallyd starts all the same, moves
#      the file into ledger/quarantine/, keeps its verified blocks, and writes a break;
#      verify names the break, show refuses to sum across it until it is acknowledged
#      (or --across-breaks), and `flowtally ledger acknowledge` clears the flag.
#   3. The newest block removed: verify sees it through ledger/HEAD, and the next start
#      writes a truncated break.
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
lateness = 2;
CONF
led=$data/ledger

# bump FILE N: adds 1 to the last number of the first S line of the Nth block (1-based).
bump() {
	awk -v n="$2" -F'\t' 'BEGIN { OFS = "\t" }
		/^B\t/ { b++ }
		/^S\t/ && b == n && !done { $NF = $NF + 1; done = 1 }
		{ print }' "$1" >"$1.new"
	mv "$1.new" "$1"
}
attention() { jq '.sinks.ledger.attention' "$data/stats.json"; }
attention_is() { [ "$(attention)" = "$1" ]; }
checked() { [ "$(jq '.sinks.ledger.checked' "$data/stats.json")" != '"never"' ] &&
	[ "$(jq '.sinks.ledger.checked' "$data/stats.json")" != 0 ]; }

# Two days of steps from a capture across midnight, then a few seconds live.
"$ft" generate --pcap "$tmp/c.pcap" --to 127.0.0.1:2055 --start 2026-11-20T23:59:50Z --rate 1000 \
	--records 20000 --seed 7 >/dev/null || fail "flowtally generate --pcap failed"
"$ftd" --allow-root --replay "$tmp/c.pcap" -c "$tmp/ft.conf" 2>"$tmp/replay.log" || { cat "$tmp/replay.log" >&2; fail "replay failed"; }
[ -s "$led/2026-11-20.ledger" ] && [ -s "$led/2026-11-21.ledger" ] || fail "the replay did not write two day files"
"$ft" ledger verify -d "$data" >/dev/null || fail "a fresh ledger does not verify"

# 1. damage in the older file
bump "$led/2026-11-20.ledger" 2
rm -f "$data/stats.json"; start_daemon "$ftd" "$tmp/ft.conf" "$tmp/a.log"
wait_for checked || { cat "$tmp/a.log" >&2; fail "the full check at start did not finish"; }
wait_for attention_is 1 || fail "stats.json: attention $(attention), want 1 (the damaged older file)"
[ "$(jq '.sinks.ledger.damaged_files' "$data/stats.json")" = 1 ] || fail "damaged_files is not 1"
grep -q 'to look into: damaged: 2026-11-20.ledger:[0-9]*: ' "$tmp/a.log" || { cat "$tmp/a.log" >&2; fail "the damage was not logged"; }
"$ft" status -d "$data" | grep -q '^ATTENTION: the ledger has 1 thing to look into' || fail "status does not flag it"
port=$(jq '.listeners[0].port' "$data/stats.json")
"$ft" generate --to "127.0.0.1:$port" --records 6000 --rate 3000 --seed 8 >/dev/null || fail "generate failed"
sleep 4
stop_daemon || fail "flowtallyd exited non-zero"
note "an older damaged day file: started, flagged, logged"

# 2. damage in the newest file
newest=$(ls "$led"/*.ledger | tail -n1)
steps_before=$(grep -c '^B' "$newest")
bump "$newest" 2
rm -f "$data/stats.json"; start_daemon "$ftd" "$tmp/ft.conf" "$tmp/b.log"
grep -q "ledger: $newest is damaged ([0-9]* problems*, the first at line [0-9]*: .*moved to quarantine/" "$tmp/b.log" ||
	{ cat "$tmp/b.log" >&2; fail "the quarantine was not logged"; }
[ "$(ls "$led/quarantine" | wc -l)" = 1 ] || fail "nothing in quarantine/"
cmp -s "$led/quarantine/"* /dev/null && fail "the quarantined file is empty"
[ "$(grep -c '^B' "$led/quarantine/"*)" = "$steps_before" ] || fail "the quarantined file is not the damaged file whole"
wait_for checked || fail "no full check"
wait_for attention_is 2 || fail "attention $(attention), want 2 (the break and the older file)"
set +e
"$ft" ledger verify -d "$data" >"$tmp/verify.out" 2>"$tmp/verify.err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "verify exited $rc with a break not acknowledged"
grep -q '^break .*: break (quarantine) at .*set aside in quarantine/.*NOT acknowledged' "$tmp/verify.out" ||
	{ cat "$tmp/verify.out" >&2; fail "verify does not name the break"; }
set +e
"$ft" ledger show -d "$data" --from 2026-11-21 >/dev/null 2>"$tmp/show.err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'crosses 1 break in the chain not acknowledged' "$tmp/show.err" ||
	{ cat "$tmp/show.err" >&2; fail "show summed across a break not acknowledged (exit $rc)"; }
"$ft" ledger show -d "$data" --from 2026-11-21 --across-breaks >/dev/null 2>"$tmp/show.err" ||
	fail "show --across-breaks failed"
set +e
"$ft" ledger acknowledge -d "$data" >"$tmp/ack.out"; rc=$?
set -e
[ "$rc" = 1 ] && [ "$(grep -c '^to acknowledge' "$tmp/ack.out")" = 2 ] || { cat "$tmp/ack.out" >&2; fail "acknowledge does not list 2"; }
"$ft" ledger acknowledge -d "$data" --all --note "looked into, test" >/dev/null || fail "acknowledge --all failed"
grep -q $'^A\t.*\tlooked into, test$' "$led/acknowledged" || fail "the acknowledgement is not recorded with its note"
wait_for attention_is 0 || fail "attention stays $(attention) after acknowledging"
"$ft" status -d "$data" | grep -q ATTENTION && fail "status still flags it"
"$ft" ledger show -d "$data" --from 2026-11-21 >/dev/null || fail "show refuses an acknowledged break"
"$ft" ledger acknowledge -d "$data" >/dev/null || fail "acknowledge still lists something"
stop_daemon || fail "flowtallyd exited non-zero"
note "a damaged newest day file: quarantined, break named, show refused, acknowledged"

# 3. the newest block removed, as a hand or a tool could
newest=$(ls "$led"/*.ledger | tail -n1)
last_b=$(grep -n '^B' "$newest" | tail -n1 | cut -d: -f1)
head -n $((last_b - 1)) "$newest" >"$tmp/cut" && cat "$tmp/cut" >"$newest"
set +e
"$ft" ledger verify -d "$data" >/dev/null 2>"$tmp/verify.err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'HEAD: the chain ends with block .* but HEAD names block' "$tmp/verify.err" ||
	{ cat "$tmp/verify.err" >&2; fail "verify did not see the removed block (exit $rc)"; }
rm -f "$data/stats.json"; start_daemon "$ftd" "$tmp/ft.conf" "$tmp/c.log"
grep -q 'blocks were removed from the end of the newest day file, or day files deleted; a break record' "$tmp/c.log" ||
	{ cat "$tmp/c.log" >&2; fail "the start did not report the removed block"; }
stop_daemon || fail "flowtallyd exited non-zero"
{ "$ft" ledger verify -d "$data" 2>/dev/null || true; } | grep -q '^break .*break (truncated)' || fail "no truncated break"
note "a removed block: seen by verify through HEAD, a break at the next start"

# 4. sums that agree with the totals only modulo 2^64, hand-written with right hashes
# and no HEAD (a ledger without one reads): two out cells of 2^63 bytes, total 1000
wrap=$tmp/wrap
mkdir -p "$wrap/ledger"
t=2026-11-02T10:00:00Z
zeros=0000000000000000000000000000000000000000000000000000000000000000
block=$(printf '%s\n' \
	"B	$t	60	-	$zeros	3" \
	"L	$t	acme	out	internet	9223372036854775808	1	1" \
	"L	$t	beta	out	internet	9223372036854775808	1	1" \
	"L	$t	beta	in	internet	1000	4	4" \
	"S	$t	unattributed_src	1000	2	2" \
	"S	$t	unattributed_dst	0	0	0" \
	"S	$t	total	1000	4	4" \
	"S	$t	late	0	0	0" \
	"S	$t	not_accounted	0	0	0")
{
	printf 'H\tflowtally-ledger\t1\t2026-11-02\n%s\n' "$block"
	printf 'E\t%s\t%s\n' "$t" "$(printf '%s\n' "$block" | sha256sum | cut -d' ' -f1)"
} >"$wrap/ledger/2026-11-02.ledger"
set +e
"$ft" ledger verify -d "$wrap" >/dev/null 2>"$tmp/verify.err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q '2026-11-02.ledger:2: the attribution contract fails' "$tmp/verify.err" ||
	{ cat "$tmp/verify.err" >&2; fail "verify passed sums that wrap (exit $rc)"; }
[ "$(grep -c . "$tmp/verify.err")" = 1 ] || { cat "$tmp/verify.err" >&2; fail "verify found more than the sums"; }
note "sums that wrap to the totals: verify fails, naming the block"
echo "ledger-damage: ok"
