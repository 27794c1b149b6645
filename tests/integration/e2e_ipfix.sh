#!/usr/bin/env bash
# End to end for NetFlow v9 and IPFIX over UDP: `flowtally generate` sends both (IPv4
# and IPv6 templates, several source IDs / observation domains, templates resent now
# and then) to flowtallyd on 127.0.0.1 and ::1; after SIGTERM the per-exporter totals
# (datagrams, records, bytes, packets, templates) must equal what the generator reports,
# with no sequence gaps and no errors.  (A restart between template and data is
# templates.sh, through flowtallyd --replay, which loads and saves templates the same way.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
data=$tmp/data
cat >"$tmp/ft.conf" <<CONF
listen = ["127.0.0.1:0", "[::1]:0"];
exporters = ["127.0.0.0/8", "::1"];
data_dir = "$data";
stats_interval = 1;
log_level = "info";
CONF
start_daemon "$ftd" "$tmp/ft.conf" "$tmp/daemon.log"
p4=$(jq '.listeners[] | select(.address == "127.0.0.1:0") | .port' "$data/stats.json")
p6=$(jq '.listeners[] | select(.address == "[::1]:0") | .port' "$data/stats.json")
gen() { "$ft" generate --summary --rate 1000000 "$@"; }
gen --to "127.0.0.1:$p4" --version 9 --template v4 --records 60000 --exporters 3 --seed 31 >"$tmp/a.json"
gen --to "127.0.0.1:$p4" --source 127.0.0.2 --version 10 --template v4 --records 60000 --exporters 2 \
	--template-every 20 --seed 32 >"$tmp/b.json"
gen --to "[::1]:$p6" --version 10 --template v6 --records 30000 --exporters 2 --seed 33 >"$tmp/c.json"
sleep 0.3
stop_daemon || fail "flowtallyd exited with status $?"

expect() {  # ADDRESS VERSION SUMMARY
	jq -r --arg a "$1" --arg v "$2" '.exporters[] |
		"\($a) \($v) \(.domain) \(.datagrams) \(.records) \(.bytes) \(.packets) \(.templates)"' "$3"
}
{ expect 127.0.0.1 9 "$tmp/a.json"; expect 127.0.0.2 10 "$tmp/b.json"; expect ::1 10 "$tmp/c.json"; } \
	| sort >"$tmp/expected"
jq -r '.exporters[] | "\(.address) \(.version) \(.domain) \(.datagrams) \(.records) \(.bytes) \(.packets) \(.templates)"' \
	"$data/stats.json" | sort >"$tmp/got"
diff -u "$tmp/expected" "$tmp/got" || fail "per-exporter totals differ from what was sent"
t=$(jq -c .totals "$data/stats.json")
for k in lost_records lost_datagrams parse_errors kernel_drops pending_sets; do
	[ "$(jq ".$k" <<<"$t")" = 0 ] || fail "$k is not 0: $t"
done
note "$(wc -l <"$tmp/got") v9/IPFIX exporters match the generator to the byte"

echo "e2e_ipfix: ok"
