#!/usr/bin/env bash
# Memory is bounded, and restarts stay fast.  flowtallyd (two receive threads, a
# memory_budget of 128M, the template bounds opened wide so that only the budget holds)
# is sent the flood of issue 10 from one exporter on 127.0.0.1: 2,000 datagrams of the
# largest template a datagram can carry (16,000 fields, 64 KB each, 128 MB in all;
# flood.c).  Its resident set (VmHWM, the peak) must stay under the budget plus a fixed
# part (its resident set before the flood and FIXED_MB), the budget must say it refused
# templates, and the templates it kept must still be there.  It is stopped, and started
# again on the same port: the socket must be open within a second of the start
# (polled in /proc/net/udp), and the saved templates restored (its log says when).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2 flood=$3
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
data=$tmp/data
BUDGET_MB=128
FIXED_MB=48
N=2000

conf() {   # PORT
	cat >"$tmp/ft.conf" <<CONF
listen = ["127.0.0.1:$1"];
exporters = ["127.0.0.1"];
data_dir = "$data";
receive_threads = 2;
stats_interval = 1;
memory_budget = "${BUDGET_MB}M";
max_templates = 65535;
max_template_fields = 16384;
max_template_bytes = 1073741824;
log_level = "info";
# the decoders' memory alone: no RRD files (their creation and mappings are the
# writer's, measured by tests/bench/rrd.sh)
rrd = false;
CONF
}
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
ms() { date +%s%3N; }

conf 0
start_daemon "$ftd" "$tmp/ft.conf" "$tmp/a.log"
port=$(jq '.listeners[0].port' "$data/stats.json")
rss0=$(kb "$dpid" VmRSS)
note "started: port $port, resident $((rss0 / 1024)) MB"
"$flood" "$port" "$N" >"$tmp/sent.json" || fail "flood failed"
sent=$(jq .datagrams "$tmp/sent.json")
[ "$sent" = "$N" ] || fail "the flood sent $sent of $N datagrams"
# every datagram read (or dropped by the kernel, counted): the flood is over
arrived() { jq -e --argjson n "$N" '.totals.datagrams + .totals.kernel_drops >= $n' "$data/stats.json" >/dev/null 2>&1; }
wait_for arrived || wait_for arrived || fail "the flood did not arrive: $(jq -c .totals "$data/stats.json")"
sleep 1.2                     # one more stats.json, with the last refusals
hwm=$(kb "$dpid" VmHWM)
s=$data/stats.json
note "after $(jq .bytes "$tmp/sent.json") bytes of templates: peak resident $((hwm / 1024)) MB," \
	"budget $(jq -c .memory "$s"), $(jq .totals.templates_active "$s") templates kept," \
	"errors $(jq -c '.errors | with_entries(select(.value > 0))' "$s")"
jq -e '.memory.limit_bytes == '"$((BUDGET_MB << 20))"' and .memory.used_bytes <= .memory.limit_bytes and
	.memory.refused > 0 and .errors.memory_budget > 0' "$s" >/dev/null ||
	fail "the budget was not kept or its refusals not counted: $(jq -c '{memory, errors}' "$s")"
kept=$(jq .totals.templates_active "$s")
[ "$kept" -gt 100 ] || fail "only $kept templates kept under a budget of $BUDGET_MB MB"
libs=$(ldd "$ftd" 2>/dev/null || true)
if [[ $libs == *libasan* ]]; then
	note "built with AddressSanitizer: its shadow memory and quarantine are no measure; resident set not checked"
else
	limit=$((rss0 + (BUDGET_MB + FIXED_MB) * 1024))
	[ "$hwm" -le "$limit" ] ||
		fail "peak resident set $((hwm / 1024)) MB, over the budget $BUDGET_MB MB + $((rss0 / 1024)) MB at start + $FIXED_MB MB"
fi
"$ft" status -d "$data" | grep -q "^memory: [0-9]* of $((BUDGET_MB << 20)) bytes" ||
	fail "flowtally status does not show the budget: $("$ft" status -d "$data" | grep memory)"

t0=$(ms)
stop_daemon || { cat "$tmp/a.log" >&2; fail "flowtallyd exited with status $?"; }
t1=$(ms)
[ -s "$data/state/templates.state" ] && [ -s "$data/state/templates-1.state" ] || fail "no templates saved at the stop"
size=$(cat "$data"/state/templates*.state | wc -c)
note "stopped in $((t1 - t0)) ms, templates*.state $((size / 1048576)) MB"
[ $((t1 - t0)) -lt 5000 ] || fail "the stop took $((t1 - t0)) ms"

# Again on the same port: the socket is open within a second, the templates restored.
conf "$port"
hexport=$(printf ':%04X ' "$port")
listening() { grep -q "^ *[0-9]*: 0100007F$hexport" /proc/net/udp; }
! listening || fail "port $port is still open"
t0=$(ms)
"$ftd" --allow-root -f -c "$tmp/ft.conf" 2>"$tmp/b.log" &
dpid=$!
for _ in $(seq 500); do listening && break; sleep 0.01; done
t1=$(ms)
listening || { cat "$tmp/b.log" >&2; fail "the restarted flowtallyd did not open port $port"; }
# (what a thread restores takes it most of a second here: the socket must come first)
early=$(grep -c "saved templates restored" "$tmp/b.log" || true)
note "restarted: port $port open after $((t1 - t0)) ms, $early receive threads had restored their templates then"
[ $((t1 - t0)) -lt 1000 ] || fail "the socket opened $((t1 - t0)) ms after the start, not within a second"
[ "$early" = 0 ] || fail "the socket opened only after templates were restored"
restored() { grep -q "receive thread 1: saved templates restored" "$tmp/b.log" &&
	grep -q "receive thread 0: saved templates restored" "$tmp/b.log"; }
wait_for restored || wait_for restored || { cat "$tmp/b.log" >&2; fail "the saved templates were not restored"; }
note "$(grep -o 'receive thread [0-9]: saved templates restored in [0-9.]* s' "$tmp/b.log" | tr '\n' ';')"
back() { jq -e --argjson k "$kept" '.totals.templates_active * 10 >= $k * 9' "$data/stats.json" >/dev/null 2>&1; }
wait_for back || fail "after the restart $(jq .totals.templates_active "$data/stats.json") templates, $kept before"
stop_daemon || { cat "$tmp/b.log" >&2; fail "flowtallyd exited with status $?"; }
echo "memory: ok"
