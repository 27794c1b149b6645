#!/usr/bin/env bash
# End to end: flowtallyd on free ports of 127.0.0.1 and ::1; `flowtally generate` sends
# NetFlow v5 from several exporters and addresses, with garbage datagrams in between and
# one source outside the allow-list; after SIGTERM, the daemon's per-exporter totals
# must equal what the generator reports it sent, to the byte.  Then the same traffic as
# a capture through `flowtallyd --replay` and `flowtally replay`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
data=$tmp/data
cat >"$tmp/ft.conf" <<CONF
listen = ["127.0.0.1:0", "[::1]:0"];
exporters = ["127.0.0.1", "127.0.0.2", "::1"];
data_dir = "$data";
receive_buffer = 33554432;
stats_interval = 1;
log_level = "info";
CONF
start_daemon "$ftd" "$tmp/ft.conf" "$tmp/daemon.log"
p4=$(jq '.listeners[] | select(.address == "127.0.0.1:0") | .port' "$data/stats.json")
p6=$(jq '.listeners[] | select(.address == "[::1]:0") | .port' "$data/stats.json")
note "flowtallyd pid $dpid on 127.0.0.1:$p4 and [::1]:$p6"

gen() { "$ft" generate --summary --rate 1000000 "$@"; }
gen --to "127.0.0.1:$p4" --records 300000 --exporters 4 --seed 11 >"$tmp/a.json"
printf 'garbage' >"/dev/udp/127.0.0.1/$p4"          # short of a header: an error, not a crash
gen --to "127.0.0.1:$p4" --source 127.0.0.2 --records 30000 --exporters 2 --seed 12 >"$tmp/b.json"
printf '\0\5\0\1' >"/dev/udp/127.0.0.1/$p4"
gen --to "[::1]:$p6" --records 60000 --exporters 3 --seed 13 >"$tmp/c.json"
gen --to "127.0.0.1:$p4" --source 127.0.0.3 --datagrams 7 --seed 14 >"$tmp/rejected.json"
gen --to "127.0.0.1:$p4" --records 9000 --exporters 4 --seed 15 --records-per-datagram 1 \
	--sampling 100 >"$tmp/d.json"
sleep 0.3
stop_daemon || fail "flowtallyd exited with status $?"

# expected: "address engine_id datagrams records bytes packets" per exporter
expect() {  # ADDRESS SUMMARY...
	local addr=$1; shift
	jq -r --arg a "$addr" '.exporters[] | "\($a) \(.engine_id) \(.datagrams) \(.records) \(.bytes) \(.packets)"' "$@"
}
{
	jq -s -r '[.[].exporters[]] | group_by(.engine_id)[] |
		"127.0.0.1 \(.[0].engine_id) \(map(.datagrams)|add) \(map(.records)|add) \(map(.bytes)|add) \(map(.packets)|add)"' \
		"$tmp/a.json" "$tmp/d.json"
	expect 127.0.0.2 "$tmp/b.json"
	expect ::1 "$tmp/c.json"
} | sort >"$tmp/expected"
jq -r '.exporters[] | select(.version == 5) |
	"\(.address) \(.engine_id) \(.datagrams) \(.records) \(.bytes) \(.packets)"' \
	"$data/stats.json" | sort >"$tmp/got"
diff -u "$tmp/expected" "$tmp/got" || fail "per-exporter totals differ from what was sent"
note "$(wc -l <"$tmp/got") exporters match the generator to the byte"

t=$(jq -c .totals "$data/stats.json")
[ "$(jq .lost_records <<<"$t")" = 0 ] || fail "sequence gaps reported: $t"
[ "$(jq .kernel_drops <<<"$t")" = 0 ] || fail "kernel drops reported: $t"
[ "$(jq .parse_errors <<<"$t")" = 2 ] || fail "expected the 2 garbage datagrams as errors: $t"
[ "$(jq -c '.errors | [.short_header, .bad_version]' "$data/stats.json")" = '[1,1]' ] || fail "errors by reason wrong"
[ "$(jq '.rejected.by_source["127.0.0.3"]' "$data/stats.json")" = 7 ] || fail "rejected source not counted"
[ "$(jq '[.exporters[] | select(.address == "127.0.0.1" and .engine_id == 0)][0].sampling_rate' "$data/stats.json")" = 100 ] ||
	fail "sampling rate of the header not kept"
"$ft" status -d "$data" | grep -q "rejected (not in the exporter allow-list): 127.0.0.3, 7 datagrams" ||
	fail "flowtally status does not show the rejected source"
note "errors, rejections, sampling and sequence tracking as expected"

# The same kind of traffic as a capture, through --replay (full pipeline) and replay.
"$ft" generate --pcap "$tmp/sample.pcap" --records 90000 --exporters 3 --seed 21 --summary >"$tmp/p.json"
"$ftd" --allow-root --replay "$tmp/sample.pcap" -d "$tmp/replay" 2>"$tmp/replay.log" || fail "flowtallyd --replay failed"
want=$(jq -c '{datagrams, records, bytes, packets}' "$tmp/p.json")
got=$(jq -c '.totals | {datagrams, records, bytes, packets}' "$tmp/replay/stats.json")
[ "$want" = "$got" ] || fail "flowtallyd --replay: $got, sent $want"
got=$("$ft" replay --totals "$tmp/sample.pcap" | jq -c '{datagrams, records, bytes, packets}')
[ "$want" = "$got" ] || fail "flowtally replay: $got, sent $want"
n=$("$ft" replay --format json "$tmp/sample.pcap" | wc -l)
[ "$n" = "$(jq .records "$tmp/p.json")" ] || fail "replay --format json printed $n lines"
note "capture replay: $want"
echo "e2e_v5: ok"
