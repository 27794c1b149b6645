#!/usr/bin/env bash
# The main job on embedded defaults: install what is needed, build, start flowtallyd
# with no configuration (listening on 127.0.0.1:2055 and [::1]:2055, exporters on
# loopback only), feed it generated NetFlow v5 sample traffic over UDP (IPv4 and IPv6),
# stop it with SIGTERM, and print its per-exporter totals next to what was sent.
# Outputs: ./flowtally-data/ (stats.json), ./demo-out/ (what was sent, the daemon's log).
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

"$ftd" -f -d "$data" 2>"$out/flowtallyd.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	[ -s "$data/stats.json" ] && break
	kill -0 $pid 2>/dev/null || { cat "$out/flowtallyd.log" >&2; echo "demo: flowtallyd did not start (is port 2055 in use?)" >&2; exit 1; }
	sleep 0.1
done

echo "demo: sending sample traffic: 4 exporters on 127.0.0.1, 1 on ::1"
"$ft" generate --to 127.0.0.1:2055 --records 600000 --exporters 4 --rate 2000000 --seed 1 --summary >"$out/sent-ipv4.json"
"$ft" generate --to '[::1]:2055' --records 60000 --exporters 1 --rate 2000000 --seed 2 --summary >"$out/sent-ipv6.json"
sleep 0.5
kill -TERM $pid
wait $pid
trap - EXIT

echo
"$ft" status -d "$data"
echo
sent=$(jq -s 'map(.records) | add' "$out"/sent-ipv*.json)
got=$(jq .totals.records "$data/stats.json")
echo "demo: sent $sent records, flowtallyd counted $got"
echo "demo: outputs: $data/stats.json (collector statistics), $out/ (what was sent, daemon log)"
[ "$sent" = "$got" ] || { echo "demo: counts differ" >&2; exit 1; }
