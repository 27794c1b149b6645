#!/usr/bin/env bash
# The main job: install what is needed, build, start flowtallyd on the embedded
# defaults plus a demo tenant map (scripts/demo/flowtally.conf: listening on
# 127.0.0.1:2055 and [::1]:2055, exporters on loopback only, 1-second steps), feed it
# generated NetFlow v5, v9 and IPFIX sample traffic over UDP (IPv4 and IPv6:
# scripts/demo/send.sh) while it polls a local net-snmp snmpd (tests/snmpd, on a free
# port of 127.0.0.1) for its interfaces' counters every second, stop it with SIGTERM,
# and print its per-exporter totals, the ledger's per-tenant summary and its
# verification, next to what was sent, then the interface series and one interface's
# rate; then October 2026, generated as a capture and replayed with 5-minute steps, and
# its recharge statement under the demo tariff (scripts/demo/tariff.conf) and its
# operations dashboard.  Outputs: ./flowtally-data/ (stats.json, ledger/, rrd/,
# interfaces/, state/), ./recharge/ (the October statement: JSON, CSV,
# HTML), ./dashboard/ (October's dashboard), ./demo-out/ (what was sent, the daemon's
# log, the agent's files, October's data).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

scripts/deps.sh demo
if [ ! -f build/build.ninja ]; then
	meson setup build --buildtype=release -Dtests=disabled >/dev/null
fi
ninja -C build >/dev/null
echo "demo: built build/collector/daemon/flowtallyd and build/collector/cli/flowtally"

ftd=build/collector/daemon/flowtallyd
ft=build/collector/cli/flowtally
data=$top/flowtally-data
out=$top/demo-out
rm -rf "$data" "$out" "$top/recharge" "$top/dashboard"
mkdir -p "$out"

# A router's SNMP agent: a real snmpd serving two interfaces whose counters grow at
# known rates (1 Gb/s in and 500 Mb/s out on the uplink, 100 Mb/s in on the other)
mkdir -p "$out/snmpd"
cat >"$out/snmpd/ifmib.conf" <<CTL
epoch $(date +%s)
if 1 name=xe-0/0/0 descr="Uplink 10G" alias="CORE uplink" highspeed=10000 in_rate=125000000 out_rate=62500000
if 2 name=ge-0/0/1 descr="County Hall 1G" alias="County Hall" highspeed=1000 in_rate=12500000 out_rate=2500000
CTL
snmp_port=''
for p in 16161 16162 16163 16164 16165 16166 16167 16168; do
	if FT_SNMPD_SYSNAME=demo-router tests/snmpd/start.sh "$out/snmpd" $p build/tests/snmpd/ifmib_agent \
		"$out/snmpd/ifmib.conf" >/dev/null 2>"$out/snmpd/start.err"; then
		snmp_port=$p
		break
	fi
done
[ -n "$snmp_port" ] || { cat "$out/snmpd/start.err" >&2; echo "demo: snmpd did not start" >&2; exit 1; }
stop_agent() { tests/snmpd/stop.sh "$out/snmpd" >/dev/null 2>&1 || true; }
trap stop_agent EXIT
echo "demo: a local SNMP agent (net-snmp snmpd, two interfaces) answers on 127.0.0.1:$snmp_port"

conf=$out/flowtally.conf
{
	cat scripts/demo/flowtally.conf
	echo 'snmp_interval = 1;'
	echo "snmp_devices = ( { name = \"router1\"; address = \"127.0.0.1:$snmp_port\"; version = \"2c\";"
	echo '                   community = "public"; timeout = 1; retries = 1; } );'
} >"$conf"
"$ft" check-config -q "$conf" 2>"$out/check-config.txt" || { cat "$out/check-config.txt" >&2; exit 1; }
"$ftd" --allow-root -f -c "$conf" -d "$data" 2>"$out/flowtallyd.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; stop_agent' EXIT
for _ in $(seq 100); do
	[ -s "$data/stats.json" ] && break
	kill -0 $pid 2>/dev/null || { cat "$out/flowtallyd.log" >&2; echo "demo: flowtallyd did not start (is port 2055 in use?)" >&2; exit 1; }
	sleep 0.1
done

echo "demo: sending sample traffic: NetFlow v5 from 4 exporters, v9 from 2, IPFIX over IPv6;" \
	"flows of up to a second, to fit the 1-second steps"
scripts/demo/send.sh "$ft" 127.0.0.1:2055 '[::1]:2055' "$out"
echo "demo: waiting for the last steps to close (step 1 s, lateness 2 s)"
sleep 4
kill -TERM $pid
wait $pid
stop_agent
trap - EXIT

echo
"$ft" status -d "$data"
echo
echo "demo: the ledger, per tenant (bytes, packets and flows sent and received):"
"$ft" ledger show -d "$data"
"$ft" ledger verify -d "$data" >"$out/ledger-verify.txt"
echo "demo: ledger verified: $(tail -1 "$out/ledger-verify.txt")"
sent=$(jq -s 'map(.records) | add' "$out"/sent-*.json)
got=$(jq .totals.records "$data/stats.json")
ledger=$("$ft" ledger show -d "$data" --json | jq .total.flows)
late=$("$ft" ledger show -d "$data" --json | jq -r '"\(.late.bytes) of \(.total.bytes)"')
echo "demo: sent $sent records; flowtallyd counted $got; the ledger holds $ledger"
echo "demo: late: $late bytes (record parts that arrived after their 1-second step and its 2-second lateness window had closed, counted in the oldest step still open)"
rrd_files=$(find "$data/rrd" -name '*.rrd' | wc -l)
rrd_errors=$(jq '.sinks.rrd.write_errors + .sinks.rrd.file_errors' "$data/stats.json")
first=$(date -u -d "$("$ft" ledger show -d "$data" --json | jq -r .first_step)" +%s)
end=$(date -u -d "$("$ft" ledger show -d "$data" --json | jq -r .end)" +%s)
echo "demo: round-robin series: $rrd_files files under $data/rrd/ (tenants/, tenants/TENANT/CLASS.rrd,"
echo "      unattributed.rrd, total.rrd, exporters/, collector.rrd), $rrd_errors write errors; County Council's"
echo "      bytes, packets and flows per second, step by step, as an operator would look at them:"
fetch=(rrdtool fetch "$data/rrd/tenants/county.rrd" AVERAGE -r 1 -s "$first" -e "$end")
echo "      ${fetch[*]}"
"${fetch[@]}" | awk 'NR <= 2 || ($2 != "-nan" && n++ < 5)' | sed 's/^/      /'
echo
if_files=$(cd "$data/rrd" && find interfaces -name '*.rrd' | sort | tr '\n' ' ')
echo "demo: interface series (SNMP, polled every second): $if_files"
uplink=$data/rrd/interfaces/router1/xe-0%2F0%2F0.rrd
fetch=(rrdtool fetch "$uplink" AVERAGE -r 1 -s "$first" -e "$(date +%s)")
echo "      the uplink's bits per second in and out, step by step (the agent counts 1 Gb/s in, 500 Mb/s out):"
echo "      ${fetch[*]}"
"${fetch[@]}" | awk 'NR <= 2 { next } $2 != "-nan" && n++ < 5 { printf "%s %.6g b/s in, %.6g b/s out\n", $1, $2, $3 }' |
	sed 's/^/      /'
echo "demo: the exact interface totals (octets of the steps known, what recharge reconciles flows with):"
"$ft" snmp totals -d "$data" | sed 's/^/      /'
known=$("$ft" snmp totals -d "$data" --json | jq '[.interfaces[] | select(.interface == "xe-0/0/0") | .known_steps] | add // 0')
echo "demo: outputs: $data/stats.json (collector statistics), $data/ledger/ (the step ledger),"
echo "      $data/rrd/ (round-robin series), $data/interfaces/ (interface totals),"
echo "      $out/ (what was sent, the daemon's log, the SNMP agent's files)"

# The monthly recharge needs a month: October 2026 (Europe/London, 8,940 five-minute
# bins), generated into a capture and replayed through flowtallyd with 5-minute steps
# into its own data directory, then shared out under the demo tariff.
month=$out/october
echo
echo "demo: a month for the recharge statement: October 2026 generated as a capture (NetFlow v5, 4 exporters)"
echo "      and replayed through flowtallyd with 5-minute steps into $month/data"
{
	sed -e 's/^step = 1;/step = 300;/' -e 's/^lateness = 2;/lateness = 600;/' scripts/demo/flowtally.conf
	echo "data_dir = \"$month/data\";"
} >"$out/october.conf"
mkdir -p "$month"
"$ft" generate --pcap "$month/october.pcap" --version 5 --exporters 4 --start 2026-09-30T23:00:00Z \
	--duration 2682000 --rate 0.5 --seed 7 --src-prefix 10.0.0.0/8 --dst-prefix 192.168.0.0/16 2>/dev/null
"$ftd" --allow-root -c "$out/october.conf" --replay "$month/october.pcap" 2>"$month/flowtallyd.log" ||
	{ cat "$month/flowtallyd.log" >&2; echo "demo: the replay failed" >&2; exit 1; }
"$ft" recharge --month 2026-10 -c "$out/october.conf" --tariff scripts/demo/tariff.conf --out "$top/recharge" \
	--no-timestamp >"$month/recharge.txt"
"$ft" recharge --month 2026-10 -c "$out/october.conf" --tariff scripts/demo/tariff.conf --no-timestamp \
	>"$month/again.json"
cmp -s "$month/again.json" "$top/recharge/recharge-2026-10.json" ||
	{ echo "demo: two runs of the same month differ" >&2; exit 1; }
st=$top/recharge/recharge-2026-10.json
echo "demo: the recharge statement for October 2026 (scripts/demo/tariff.conf: five cost pools and a fixed charge):"
pounds='def pounds: "£\(. / 100 | floor).\(. % 100 | tostring | if length < 2 then "0" + . else . end)";'
jq -r "$pounds"'"bins: \(.bins.present) of \(.bins.expected) present; RRD cross-check: \(.rrd_check.state); tenants + unattributed = total: \(.total.balances)"' "$st" |
	sed 's/^/      /'
{
	printf 'tenant\tcost centre\tin bytes\tout bytes\tp95 in+out b/s\tcharge\n'
	jq -r "$pounds"'.tenants | to_entries[] | [.key, .value.cost_centre, .value.volume.in.bytes, .value.volume.out.bytes,
	       .value.p95.in_plus_out.bits_per_s, (.value.total_pence | pounds)] | @tsv' "$st"
	jq -r "$pounds"'["(all)", "", .total.tenants_in.bytes, .total.tenants_out.bytes, "", (.total.charged_pence | pounds)] | @tsv' "$st"
} | awk -F'\t' '{ printf "      %-11s %-11s %15s %15s %15s %12s\n", $1, $2, $3, $4, $5, $6 }'
jq -r "$pounds"'"      pools: " + ([.pools[] | "\(.name) \(.amount_pence | pounds) (\(.basis))"] | join(", "))' "$st"
echo "demo: statements (JSON, CSV for finance, HTML for partners; a second run gave the same bytes):"
sed 's/^/      /' "$month/recharge.txt"
[ "$(jq .total.balances "$st")" = true ] && [ "$(jq -r .rrd_check.state "$st")" = agrees ] ||
	{ echo "demo: the statement does not balance or disagrees with the RRD files" >&2; exit 1; }

# The operations dashboard, drawn with librrd from October's RRD files: its tenants,
# exporters and collector health over the month, each tenant's 95th percentile the
# one of the statement.  (The live run's 1-second steps fill no 5-minute row in a
# minute, and the graphs read those rows, as the bills do.)
echo
echo "demo: the operations dashboard for October 2026 (static pages of RRD graphs: open index.html in a browser):"
"$ft" dashboard -c "$out/october.conf" --month 2026-10 --out "$top/dashboard" >"$out/dashboard-october.txt" ||
	{ cat "$out/dashboard-october.txt"; echo "demo: October's dashboard failed" >&2; exit 1; }
sed 's/^/      /' "$out/dashboard-october.txt"
# each tenant's inbound 95th on its page, against the statement's
mismatch=$(jq -r --slurpfile st "$st" '.pages[] | select(.kind == "tenant") | .subject as $t |
	(.images[] | select(.graph == "in") | .values.in_p95) as $in |
	($st[0].tenants[$t].p95.in.bin_bytes) as $want |
	select((($in * 300 / 8) | round) != $want) | "\($t): graph \($in) b/s, statement \($want) bytes"' \
	"$top/dashboard/dashboard.json")
[ -z "$mismatch" ] || { echo "demo: the dashboard's 95th percentiles are not the statement's: $mismatch" >&2; exit 1; }
echo "      October's pages show each tenant's 95th percentile as the statement bills it (checked for every tenant)"
echo "demo: the dashboard: $top/dashboard/index.html"
[ "$known" -ge 2 ] || { echo "demo: the uplink has $known known steps: SNMP polling did not work" >&2; exit 1; }
[ "$rrd_errors" = 0 ] && [ "$rrd_files" -gt 10 ] || { echo "demo: the RRD files were not all written" >&2; exit 1; }
[ "$sent" = "$got" ] && [ "$sent" = "$ledger" ] || { echo "demo: counts differ" >&2; exit 1; }
