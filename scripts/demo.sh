#!/usr/bin/env bash
# The main job: install what is needed, build, start flowtallyd on the embedded
# defaults plus a demo tenant map (scripts/demo/flowtally.conf: listening on
# 127.0.0.1:2055 and [::1]:2055, exporters on loopback only, 1-second steps), feed it
# generated NetFlow v5, v9 and IPFIX sample traffic over UDP (IPv4 and IPv6:
# scripts/demo/send.sh), stop it with SIGTERM, and print its per-exporter totals, the
# ledger's per-tenant summary and its verification, next to what was sent.
# Outputs: ./flowtally-data/ (stats.json, ledger/, rrd/, state/), ./demo-out/ (what was sent,
# the daemon's log).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

scripts/deps.sh build
if [ ! -f build/build.ninja ]; then
	meson setup build --buildtype=release -Dtests=disabled >/dev/null
fi
ninja -C build >/dev/null
echo "demo: built build/collector/daemon/flowtallyd and build/collector/cli/flowtally"

ftd=build/collector/daemon/flowtallyd
ft=build/collector/cli/flowtally
data=$top/flowtally-data
out=$top/demo-out
rm -rf "$data" "$out"
mkdir -p "$out"

conf=scripts/demo/flowtally.conf
"$ft" check-config -q "$conf"
"$ftd" --allow-root -f -c "$conf" -d "$data" 2>"$out/flowtallyd.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
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
echo "demo: outputs: $data/stats.json (collector statistics), $data/ledger/ (the step ledger),"
echo "      $data/rrd/ (round-robin series), $out/ (what was sent, the daemon's log)"
[ "$rrd_errors" = 0 ] && [ "$rrd_files" -gt 10 ] || { echo "demo: the RRD files were not all written" >&2; exit 1; }
[ "$sent" = "$got" ] && [ "$sent" = "$ledger" ] || { echo "demo: counts differ" >&2; exit 1; }
