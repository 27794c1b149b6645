#!/usr/bin/env bash
# Counters that add up.  flowtallyd on free ports of 127.0.0.1 and ::1 is fed the
# malformed-input corpus of malformed.c: at least 100 datagrams for every reason it
# drops a datagram or part of one, valid traffic between them, 450 datagrams from 301
# sources outside the allow-list, and data sets it cannot keep for want of memory (its
# data segment capped with prlimit for that while).  After SIGTERM, stats.json must
# say, exactly:
#   received (what the listeners read) = accepted + the datagrams dropped whole (the five
#   reasons the README marks "the datagram") + the datagrams the allow-list rejected,
# in total and, without the allow-list, per exporter; every reason's count must be what
# the corpus holds, and the accepted datagrams those it sent to be accepted; and the
# heavy source outside the allow-list, which comes after 300 light ones, is listed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2 gen=$3
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
data=$tmp/data
whole='["short_header", "bad_version", "bad_count", "bad_length", "exporter_limit"]'

# max_exporters: exactly the entries the corpus makes before its exporter_limit cases
"$gen" plan >"$tmp/plan.json"
cat >"$tmp/ft.conf" <<CONF
listen = ["127.0.0.1:0", "[::1]:0"];
exporters = ["127.0.0.1", "::1"];
data_dir = "$data";
receive_buffer = 33554432;
stats_interval = 1;
max_exporters = $(jq .exporters "$tmp/plan.json");
max_templates = 4;
max_template_fields = 200;
max_template_bytes = 5000;
pending_sets = 1000000;
pending_bytes = 1073741824;
log_level = "info";
max_flow_age = 3153600000L;
# no RRD files: their creation allocates and frees some megabytes on the writer thread,
# which would move the out_of_memory cap below with it
rrd = false;
CONF
# Under AddressSanitizer malloc is to return NULL when memory runs out, as glibc's does,
# rather than end the process, so that out_of_memory is tested there too; and freed
# memory is reused at once, as glibc's is: held in ASan's quarantine, it leaves new
# blocks to fresh mappings, which under the data cap below can fail in ASan's own
# bookkeeping, and that ends the process ("Failed to mmap").
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:quarantine_size_mb=0"
start_daemon "$ftd" "$tmp/ft.conf" "$tmp/daemon.log"
p4=$(jq '.listeners[] | select(.address == "127.0.0.1:0") | .port' "$data/stats.json")
p6=$(jq '.listeners[] | select(.address == "[::1]:0") | .port' "$data/stats.json")
note "flowtallyd pid $dpid on 127.0.0.1:$p4 and [::1]:$p6"

received() {  # N: stats.json says the listeners read N datagrams
	jq -e --argjson n "$1" '[.listeners[].datagrams] | add == $n' "$data/stats.json" >/dev/null 2>&1
}
queue_empty() {  # PORT: nothing waits in the receive queue of 127.0.0.1:PORT
	local q
	q=$(awk -v p="$(printf ':%04X' "$1")" 'substr($2, 9) == p { split($5, a, ":"); print a[2] }' /proc/net/udp)
	[ -n "$q" ] && [ $((16#$q)) = 0 ]
}

"$gen" main "$p4" "$p6" >"$tmp/main.json"
sent=$(jq .sent "$tmp/main.json")
wait_for received "$sent" || fail "flowtallyd did not read the $sent datagrams sent: $(jq -c .listeners "$data/stats.json")"
note "corpus: $(jq -c .errors "$tmp/main.json")"

# out_of_memory: the data segment capped a little above what the daemon uses (12 MB,
# half of what the sets need: room for the allocator's own mappings, which
# AddressSanitizer makes in bigger steps and cannot do without), 400 data sets of
# 60,000 bytes wait for their template until memory runs out; then the cap is lifted
# and the template comes.
soft=$(prlimit --pid "$dpid" --data --raw --noheadings -o SOFT)
vmdata=$(awk '/^VmData:/ { print $2 }' "/proc/$dpid/status")
prlimit --pid "$dpid" --data="$(( (vmdata + 12288) * 1024 )):" || fail "prlimit --data failed"
"$gen" oom "$p4" 400 >"$tmp/oom.json"
wait_for queue_empty "$p4" || fail "flowtallyd did not read the out_of_memory cases"
prlimit --pid "$dpid" --data="$soft:" || fail "prlimit could not lift the cap"
"$gen" oom-end "$p4" >"$tmp/oom-end.json"
sent=$((sent + $(jq .sent "$tmp/oom.json") + $(jq .sent "$tmp/oom-end.json")))
wait_for received "$sent" || fail "flowtallyd did not read the $sent datagrams sent: $(jq -c .listeners "$data/stats.json")"
stop_daemon || fail "flowtallyd exited with status $?"
s=$data/stats.json

# what the listeners read: everything sent, nothing lost to the kernel
got=$(jq '[.listeners[].datagrams] | add' "$s")
[ "$got" = "$sent" ] || fail "the listeners read $got datagrams, $sent were sent"
[ "$(jq .totals.kernel_drops "$s")" = 0 ] || fail "kernel drops: $(jq -c .totals "$s")"
[ "$(jq .totals.received "$s")" = "$sent" ] || fail "totals.received is not the listeners' sum"

# the identity, in total: received = accepted + Σ whole-datagram reasons + rejected
jq -e --argjson w "$whole" '
	.totals as $t | ([$w[] as $r | .errors[$r]] | add) as $dropped |
	$t.received == $t.accepted + $dropped + .rejected.datagrams and
	$t.dropped == $dropped and $t.datagrams == $t.accepted + $t.dropped and
	$t.rejected_datagrams == .rejected.datagrams and
	$t.datagrams == ([.exporters[].datagrams] | add) + .errors.exporter_limit' "$s" >/dev/null ||
	fail "received != accepted + dropped + rejected: $(jq -c '{totals, errors, rejected: .rejected.datagrams}' "$s")"
# and per exporter: datagrams = accepted + Σ whole-datagram reasons
bad=$(jq -c --argjson w "$whole" '.exporters[] |
	select(.datagrams != .accepted + ([$w[] as $r | .errors[$r]] | add) or .dropped + .accepted != .datagrams) |
	{address, version, domain, engine_id, datagrams, accepted, dropped, errors}' "$s")
[ -z "$bad" ] || fail "per exporter, datagrams != accepted + dropped: $bad"
note "received $(jq .totals.received "$s") = accepted $(jq .totals.accepted "$s") + dropped $(jq .totals.dropped "$s") + rejected $(jq .rejected.datagrams "$s"), and per exporter ($(jq '.exporters | length' "$s") of them)"

# every reason as many times as the corpus has it, at least 100; out_of_memory: the sets
# the cap refused, every other one decoded when its template came
oomx=$(jq -c '[.exporters[] | select(.version == 10 and .domain == 18)][0]' "$s")
oom_sent=$(jq .sent "$tmp/oom.json")
jq -e --argjson o "$oomx" --argjson n "$oom_sent" \
	'$o.errors.out_of_memory + $o.pending_decoded == $n and $o.errors.no_template == 0 and
	 $o.accepted == $n + 2' <<<null >/dev/null ||
	fail "out_of_memory exporter: $oom_sent sets sent, $oomx"
want=$(jq -s -c --argjson oom "$(jq .errors.out_of_memory "$s")" \
	'.[1].errors as $b | .[0].errors | with_entries(.value += ($b[.key] // 0)) | .out_of_memory = $oom' \
	"$tmp/main.json" "$tmp/oom-end.json")
got=$(jq -c --argjson want "$want" '.errors | with_entries(select(.key | in($want)))' "$s")
[ "$(jq -S -c . <<<"$want")" = "$(jq -S -c . <<<"$got")" ] || fail "errors by reason: $got, the corpus has $want"
# (memory_budget: a global budget, not a case a datagram can be built for among the
# others; memory.sh fills it)
few=$(jq -c '.errors | with_entries(select(.value < 100 and .key != "memory_budget"))' "$s")
[ "$few" = '{}' ] || fail "reasons with fewer than 100 cases: $few"
accepted=$(jq -s '[.[].accepted] | add' "$tmp/main.json" "$tmp/oom.json" "$tmp/oom-end.json")
[ "$(jq .totals.accepted "$s")" = "$accepted" ] || fail "accepted $(jq .totals.accepted "$s"), the corpus has $accepted"
[ "$(jq .rejected.datagrams "$s")" = "$(jq .rejected "$tmp/main.json")" ] || fail "rejected datagrams: $(jq -c .rejected "$s")"
note "errors by reason as sent, each at least 100 times: $got"

# the 301 rejected sources overflow the table of 256: the heavy one, last to come, is
# listed with all it sent, and the listed ones and the others add up
jq -e '.rejected | .by_source["127.0.3.1"] == 150 and (.by_source | length) == 256 and
	([.by_source[]] | add) + .other_sources == .datagrams and .other_source_max >= 1' "$s" >/dev/null ||
	fail "rejected sources: $(jq -c '.rejected | del(.by_source, .by_source_error)' "$s"), 127.0.3.1: $(jq '.rejected.by_source["127.0.3.1"]' "$s")"
note "rejected: the heavy source listed with its 150 datagrams, $(jq .rejected.other_sources "$s") from sources not listed"

"$ft" status -d "$data" >"$tmp/status"
grep -q "^totals: $sent datagrams received: $accepted accepted," "$tmp/status" ||
	fail "flowtally status does not show the datagrams received and accepted"
echo "counters: ok"
