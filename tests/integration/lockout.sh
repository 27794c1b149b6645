#!/usr/bin/env bash
# No lockout.  flowtallyd with the default caps (max_exporters 4096,
# max_exporters_per_address 256) is sent 30,000 IPFIX observation domains from one
# address (127.0.0.66, each domain defining a template, so each entry is worth saving;
# flood.c), then one exporter more from 127.0.0.77: the flood must take 256 entries and
# be counted (exporter_limit, address_limit), the newcomer must be accepted and its
# record decoded.  After a stop and a start with the saved state, another newcomer
# (127.0.0.78) must be accepted too.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2 flood=$3
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
data=$tmp/data
N=30000
cat >"$tmp/ft.conf" <<CONF
listen = ["127.0.0.1:0"];
exporters = ["127.0.0.0/8"];
data_dir = "$data";
stats_interval = 1;
CONF
entries() { jq --arg a "$1" '[.exporters[] | select(.address == $a)] | length' "$data/stats.json"; }
# newcomer ADDR: one template and record from ADDR, decoded
newcomer() {
	"$flood" one "$port" "$1" >/dev/null || fail "flood one from $1 failed"
	seen() { jq -e --arg a "$1" 'any(.exporters[]; .address == $a and .records == 1 and .bytes == 4321)' \
		"$data/stats.json" >/dev/null 2>&1; }
	wait_for seen "$1" || fail "the exporter $1 was not accepted: totals $(jq -c '.totals | {datagrams, accepted, address_limit}' \
		"$data/stats.json"), errors $(jq -c '.errors | with_entries(select(.value > 0))' "$data/stats.json")"
}

start_daemon "$ftd" "$tmp/ft.conf" "$tmp/a.log"
port=$(jq '.listeners[0].port' "$data/stats.json")
"$flood" domains "$port" "$N" 127.0.0.66 >"$tmp/sent.json" || fail "the domain flood failed"
arrived() { jq -e --argjson n "$N" '.totals.datagrams + .totals.kernel_drops >= $n' "$data/stats.json" >/dev/null 2>&1; }
wait_for arrived || fail "the flood did not arrive: $(jq -c .totals "$data/stats.json")"
newcomer 127.0.0.77
s=$data/stats.json
[ "$(entries 127.0.0.66)" = 256 ] || fail "the flooding address holds $(entries 127.0.0.66) entries, not 256"
got=$(jq -c '{datagrams: .totals.datagrams, drops: .totals.kernel_drops, address_limit: .totals.address_limit,
	exporter_limit: .errors.exporter_limit}' "$s")
jq -e --argjson n "$N" '.address_limit == .exporter_limit and .address_limit == .datagrams - 1 - 256' <<<"$got" >/dev/null ||
	fail "the flood is not counted as it should: $got"
note "$N domains from 127.0.0.66: 256 entries, the rest counted ($got); 127.0.0.77 accepted"
stop_daemon || { cat "$tmp/a.log" >&2; fail "flowtallyd exited with status $?"; }

rm -f "$data/stats.json"
start_daemon "$ftd" "$tmp/ft.conf" "$tmp/b.log"
port=$(jq '.listeners[0].port' "$data/stats.json")
newcomer 127.0.0.78
[ "$(entries 127.0.0.66)" -le 256 ] || fail "after the restart the flooding address holds $(entries 127.0.0.66) entries"
note "after a restart: 127.0.0.66 holds $(entries 127.0.0.66) entries, 127.0.0.78 accepted"
stop_daemon || { cat "$tmp/b.log" >&2; fail "flowtallyd exited with status $?"; }
echo "lockout: ok"
