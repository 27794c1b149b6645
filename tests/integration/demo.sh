#!/usr/bin/env bash
# The demo's numbers read naturally: scripts/demo/send.sh's traffic into flowtallyd with
# the demo's configuration (scripts/demo/flowtally.conf, on free ports here instead of
# 2055) lands in the ledger whole, with hardly any of it late (records that fit the
# 1-second steps: none in a release build, a few % under the sanitizers, whose slower
# daemon closes steps by the clock behind its backlog; flows of up to a minute made 86 %
# late), and `flowtally ledger show` says on its late line what late means.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
command -v jq >/dev/null || skip "jq is not installed"
demo=$(cd "$(dirname "$0")/../../scripts/demo" && pwd)
tmp=$(mktemp -d)
dpid=
trap '[ -z "$dpid" ] || kill -KILL "$dpid" 2>/dev/null; rm -rf "$tmp"' EXIT
data=$tmp/data
sed 's/^listen = .*/listen = ["127.0.0.1:0", "[::1]:0"];/' "$demo/flowtally.conf" >"$tmp/demo.conf"
grep -q '"127.0.0.1:0"' "$tmp/demo.conf" || fail "the demo configuration has no listen line to replace"
"$ftd" --allow-root -f -c "$tmp/demo.conf" -d "$data" 2>"$tmp/log" &
dpid=$!
wait_for test -s "$data/stats.json" || { cat "$tmp/log" >&2; fail "flowtallyd did not start"; }
p4=$(jq '.listeners[] | select(.address | startswith("127.")) | .port' "$data/stats.json")
p6=$(jq '.listeners[] | select(.address | startswith("[")) | .port' "$data/stats.json")
"$demo/send.sh" "$ft" "127.0.0.1:$p4" "[::1]:$p6" "$tmp"
sent=$(jq -s 'map(.records) | add' "$tmp"/sent-*.json)
# every step closed and in the ledger (step 1 s, lateness 2 s), then stop
in_ledger() { [ "$("$ft" ledger show -d "$data" --json 2>/dev/null | jq .total.flows)" = "$sent" ]; }
wait_for in_ledger || fail "the ledger does not hold the $sent records sent"
stop_daemon
"$ft" ledger show -d "$data" --json >"$tmp/show.json"
read -r late total < <(jq -r '"\(.late.bytes) \(.total.bytes)"' "$tmp/show.json")
note "demo traffic: $sent records, $late of $total bytes late"
[ "$total" -gt 0 ] || fail "no bytes in the ledger"
[ $((late * 100)) -lt $((total * 10)) ] || fail "$late of $total bytes are late: the demo's flows do not fit its steps"
"$ft" ledger show -d "$data" >"$tmp/show.txt"
grep -q '^late .* (arrived after their step had closed; counted in the oldest step still open)$' "$tmp/show.txt" ||
	fail "ledger show does not say what late is: $(grep '^late' "$tmp/show.txt")"
echo "demo: ok"
