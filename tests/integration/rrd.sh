#!/usr/bin/env bash
# Round-robin series written directly (no rrdcached), against the ledger of the same
# run, step by step (rrd_check.sh: every tenant, class, unattributed and total series,
# every data source, read back through librrd's rrd_fetch):
#   1. a live flowtallyd fed generated v5 and IPFIX traffic, tenants and classes with
#      spaces, slashes and non-ASCII characters in their names, each its own file;
#      the exporters' and the collector's files; status and stats.json show the
#      writer; the check is shown to fail against another run's ledger;
#   2. flowtallyd --replay of a generated capture: its series equal its ledger;
#   3. an older capture replayed with its own ledger into the same store: the ledger
#      is written, the RRD updates are skipped as older than the store and counted, no
#      librrd error, and the store still equals the first ledger;
#   4. flowtally rrd rebuild reproduces the series, twice the same; it leaves a file
#      with newer data alone unless --force;
#   5. a foreign file with a tenant's name and a file where a tenant's directory must
#      go: each said with its path and counted, every other file written;
#   6. a full disk (a file-size limit no RRD file fits under): each file said and
#      counted, flowtallyd goes on and the ledger has every step; a rebuild later
#      restores the series;
#   7. rrd = false writes none, and check-config refuses a step the archives cannot
#      hold.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2 dump=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v jq >/dev/null || skip "jq is not installed"
command -v rrdtool >/dev/null || skip "rrdtool is not installed"
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
port=0
check() { "$here/rrd_check.sh" "$ft" "$dump" "$@"; }

conf() {  # FILE DATA [EXTRA]
	cat >"$1" <<EOF
data_dir = "$2";
listen = ["127.0.0.1:$port"];
exporters = ["127.0.0.0/8"];
step = 1;
lateness = 2;
stats_interval = 1;
tenants = (
  { name = "Kent County Council"; prefixes = ["10.0.0.0/10"]; },
  { name = "Ysgol Gymraeg – Ŵ"; prefixes = ["10.64.0.0/10"]; },
  { name = "fire/rescue"; prefixes = ["10.128.0.0/9"]; }
);
classes = ( { name = "psn/core"; prefixes = ["192.168.0.0/17"]; },
            { name = "x.rrd"; prefixes = ["192.168.128.0/18"]; } );
address_space = ["10.0.0.0/8", "192.168.0.0/16"];
${3:-}
EOF
}

# ---- 1. live -------------------------------------------------------------------------------
conf "$tmp/live.conf" "$tmp/live"
"$ft" check-config -q "$tmp/live.conf"
data=$tmp/live
start_daemon "$ftd" "$tmp/live.conf" "$tmp/live.log"
port=$(jq '.listeners[0].port' "$tmp/live/stats.json")
"$ft" generate --to "127.0.0.1:$port" --version 5 --rate 20000 --duration 3 --exporters 2 \
	--src-prefix 10.0.0.0/8 --dst-prefix 192.168.0.0/16 --seed 1 --summary >"$tmp/sent5.json"
"$ft" generate --to "127.0.0.1:$port" --version 10 --rate 20000 --duration 2 \
	--src-prefix 192.168.0.0/16 --dst-prefix 10.0.0.0/8 --seed 2 --summary >"$tmp/sent10.json"
sleep 4
"$ft" status -d "$tmp/live" >"$tmp/status.txt"
grep -q "^rrd: .* steps written" "$tmp/status.txt" || fail "status shows no rrd line: $(cat "$tmp/status.txt")"
stop_daemon
jq -e '.sinks.rrd | .write_errors == 0 and .file_errors == 0 and .steps_dropped == 0 and .files > 10
	and .updates > 50' "$tmp/live/stats.json" >/dev/null || fail "rrd counters: $(jq -c .sinks.rrd "$tmp/live/stats.json")"
sent=$(jq -s 'map(.records) | add' "$tmp"/sent*.json)
[ "$(jq .totals.records "$tmp/live/stats.json")" = "$sent" ] || fail "records lost on the way"
# every name its own file, named as documented
for f in "tenants/Kent%20County%20Council.rrd" "tenants/Ysgol%20Gymraeg%20%E2%80%93%20%C5%B4.rrd" \
	"tenants/fire%2Frescue.rrd" "tenants/fire%2Frescue/psn%2Fcore.rrd" "tenants/Kent%20County%20Council/x%2Errd.rrd" \
	unattributed.rrd total.rrd collector.rrd exporters/127.0.0.1.rrd exporters/127.0.0.1-1.rrd; do
	[ -f "$tmp/live/rrd/$f" ] || fail "no file $f: $(cd "$tmp/live/rrd" && find . -name '*.rrd')"
done
[ "$("$ft" rrd name 'Ysgol Gymraeg – Ŵ' | cut -f2)" = "Ysgol%20Gymraeg%20%E2%80%93%20%C5%B4.rrd" ] ||
	fail "flowtally rrd name disagrees with the file"
rrdtool info "$tmp/live/rrd/exporters/127.0.0.1.rrd" >"$tmp/info-exporter.txt"
rrdtool info "$tmp/live/rrd/collector.rrd" >"$tmp/info-collector.txt"
for ds in datagrams records bytes parse_errors seq_lost no_template; do
	grep -q "^ds\[$ds\].type = \"DERIVE\"" "$tmp/info-exporter.txt" || fail "exporter file without $ds"
done
for ds in records kernel_drops step_close_ms ledger_write_ms rrd_write_ms queue_depth; do
	grep -q "^ds\[$ds\]" "$tmp/info-collector.txt" || fail "collector file without $ds"
done
# the exporters' records, as rates: some were seen
rrdtool fetch "$tmp/live/rrd/exporters/127.0.0.1.rrd" AVERAGE -r 1 -s -60 >"$tmp/fetch-exporter.txt"
awk '$3 ~ /e/ && $3 + 0 > 0 { n++ }
	END { exit n ? 0 : 1 }' "$tmp/fetch-exporter.txt" || fail "the exporter's file shows no records"
check "$tmp/live" "$tmp/live/rrd" 1 | tee "$tmp/check1.txt"
grep -q "equal the ledger" "$tmp/check1.txt"

# ---- 2. replay -------------------------------------------------------------------------------
"$ft" generate --pcap "$tmp/new.pcap" --to 127.0.0.1:2055 --version 9 --rate 3000 --duration 20 \
	--src-prefix 10.0.0.0/8 --dst-prefix 192.168.0.0/16 --seed 3 --start 2026-06-01T12:00:00Z --summary >"$tmp/new.json"
conf "$tmp/r1.conf" "$tmp/r1"
"$ftd" --allow-root -c "$tmp/r1.conf" --replay "$tmp/new.pcap" 2>"$tmp/r1.log"
check "$tmp/r1" "$tmp/r1/rrd" 1 | tee "$tmp/check2.txt"
# the check can fail: the first run's store against this ledger
if check "$tmp/r1" "$tmp/live/rrd" 1 >"$tmp/neg.txt" 2>&1; then
	fail "rrd_check found another run's store equal to this ledger"
fi

# ---- 3. an older capture into the same store, with a ledger of its own ----------------------------
"$ft" generate --pcap "$tmp/old.pcap" --to 127.0.0.1:2055 --version 9 --rate 2000 --duration 10 \
	--src-prefix 10.0.0.0/8 --dst-prefix 192.168.0.0/16 --seed 4 --start 2026-05-01T12:00:00Z --summary >"$tmp/old.json"
conf "$tmp/r2.conf" "$tmp/r2" "rrd_dir = \"$tmp/r1/rrd\";"
"$ftd" --allow-root -c "$tmp/r2.conf" --replay "$tmp/old.pcap" 2>"$tmp/r2.log"
[ "$("$ft" ledger show -d "$tmp/r2" --json | jq .total.flows)" = "$(jq .records "$tmp/old.json")" ] ||
	fail "the older replay's ledger"
jq -e '.sinks.rrd | .skipped_older > 0 and .updates == 0 and .file_errors == 0' "$tmp/r2/stats.json" >/dev/null ||
	fail "older replay: $(jq -c .sinks.rrd "$tmp/r2/stats.json")"
grep -q "skipped as older than the store" "$tmp/r2.log" || fail "the replay does not say what it skipped"
if grep -qi "illegal attempt" "$tmp/r2.log"; then fail "librrd refused an update: $(cat "$tmp/r2.log")"; fi
check "$tmp/r1" "$tmp/r1/rrd" 1 >/dev/null

# ---- 4. rebuild ----------------------------------------------------------------------------------
cp -a "$tmp/r1/rrd" "$tmp/r1-orig"
rm -rf "$tmp/r1/rrd/tenants"
"$ft" rrd rebuild -q -c "$tmp/r1.conf" | tee "$tmp/rebuild1.txt"
RRD_CHECK_STRICT=1 check "$tmp/r1" "$tmp/r1/rrd" 1 >/dev/null
rrdtool fetch "$tmp/r1/rrd/total.rrd" AVERAGE -r 1 -s 1780315190 -e 1780315230 >"$tmp/f1.txt"
"$ft" rrd rebuild -q -c "$tmp/r1.conf" >/dev/null
rrdtool fetch "$tmp/r1/rrd/total.rrd" AVERAGE -r 1 -s 1780315190 -e 1780315230 >"$tmp/f2.txt"
cmp -s "$tmp/f1.txt" "$tmp/f2.txt" || fail "a second rebuild gave other series"
for f in tenants/fire%2Frescue/psn%2Fcore.rrd total.rrd; do
	cmp -s <("$dump" "$tmp/r1-orig/$f" 1 1780315190 1780315230) <("$dump" "$tmp/r1/rrd/$f" 1 1780315190 1780315230) ||
		fail "$f rebuilt is not what the replay wrote"
done
# a range that ends before the store's last update: refused, then forced
rc=0
"$ft" rrd rebuild -q -c "$tmp/r1.conf" --to 2026-06-01T12:00:05Z >"$tmp/rebuild3.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "left alone" "$tmp/rebuild3.txt" || fail "rebuild over newer data: rc $rc, $(cat "$tmp/rebuild3.txt")"
check "$tmp/r1" "$tmp/r1/rrd" 1 >/dev/null
"$ft" rrd rebuild -q --force -c "$tmp/r1.conf" --to 2026-06-01T12:00:05Z >/dev/null
last=$(rrdtool last "$tmp/r1/rrd/total.rrd")
[ "$last" -le 1780315206 ] || fail "--force did not replace the series ($last)"

# ---- 5. damaged and foreign files ------------------------------------------------------------
conf "$tmp/bad.conf" "$tmp/bad"
mkdir -p "$tmp/bad/rrd/tenants"
echo "a spreadsheet, not a database" >"$tmp/bad/rrd/tenants/Kent%20County%20Council.rrd"
: >"$tmp/bad/rrd/tenants/fire%2Frescue"
"$ftd" --allow-root -c "$tmp/bad.conf" --replay "$tmp/new.pcap" 2>"$tmp/bad.log"
grep -q "Kent%20County%20Council.rrd: not a round-robin database" "$tmp/bad.log" || fail "foreign file not said: $(cat "$tmp/bad.log")"
grep -q "fire%2Frescue: cannot create the directory" "$tmp/bad.log" || fail "blocked directory not said"
jq -e '.sinks.rrd | .bad_files == 1 and .file_errors > 1 and (.last_error | length) > 0' "$tmp/bad/stats.json" >/dev/null ||
	fail "bad files: $(jq -c .sinks.rrd "$tmp/bad/stats.json")"
[ "$(cat "$tmp/bad/rrd/tenants/Kent%20County%20Council.rrd")" = "a spreadsheet, not a database" ] || fail "the foreign file was touched"
"$dump" "$tmp/bad/rrd/total.rrd" 1 1780315190 1780315230 >"$tmp/bad-total.txt"
grep -qv " U$" "$tmp/bad-total.txt" || fail "total.rrd not written"
[ "$("$ft" ledger show -d "$tmp/bad" --json | jq .total.flows)" = "$(jq .records "$tmp/new.json")" ] ||
	fail "the ledger lost steps"
# a rebuild leaves the foreign file alone unless --force
rc=0
"$ft" rrd rebuild -q -c "$tmp/bad.conf" >"$tmp/rebuild-bad.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "Kent%20County%20Council.rrd: not a round-robin database.*left as it is" "$tmp/rebuild-bad.txt" ||
	fail "rebuild over a foreign file: rc $rc, $(cat "$tmp/rebuild-bad.txt")"
[ "$(cat "$tmp/bad/rrd/tenants/Kent%20County%20Council.rrd")" = "a spreadsheet, not a database" ] || fail "rebuild replaced the foreign file"
rm "$tmp/bad/rrd/tenants/fire%2Frescue"
"$ft" rrd rebuild -q --force -c "$tmp/bad.conf" >/dev/null
check "$tmp/bad" "$tmp/bad/rrd" 1 >/dev/null

# ---- 6. a full disk: no RRD file fits (a file-size limit, as full_disk.sh) -------------------
conf "$tmp/full.conf" "$tmp/full"
rc=0
bash -c 'ulimit -f 2048; exec "$@"' full "$ftd" --allow-root -c "$tmp/full.conf" --replay "$tmp/new.pcap" \
	2>"$tmp/full.log" || rc=$?
[ "$rc" = 0 ] || fail "flowtallyd stopped with $rc on a full disk: $(tail -3 "$tmp/full.log")"
grep -q "rrd: $tmp/full/rrd/.*\.rrd: cannot create: a file-size limit of 2097152 bytes" "$tmp/full.log" || fail "a full disk is not said: $(cat "$tmp/full.log")"
jq -e '.sinks.rrd | .file_errors > 0 and .updates == 0 and (.last_error | test("cannot create"))' \
	"$tmp/full/stats.json" >/dev/null || fail "full disk: $(jq -c .sinks.rrd "$tmp/full/stats.json")"
[ "$("$ft" ledger show -d "$tmp/full" --json | jq .total.flows)" = "$(jq .records "$tmp/new.json")" ] ||
	fail "the ledger lost steps on a disk the RRD files did not fit"
# room again: the next run makes the files, and they hold the steps it is given
"$ft" rrd rebuild -q -c "$tmp/full.conf" >/dev/null
check "$tmp/full" "$tmp/full/rrd" 1 >/dev/null

# ---- 7. off, and a step the archives cannot hold -----------------------------------------------
conf "$tmp/off.conf" "$tmp/off" "rrd = false;"
"$ftd" --allow-root -c "$tmp/off.conf" --replay "$tmp/new.pcap" 2>/dev/null
[ ! -e "$tmp/off/rrd" ] || fail "rrd = false wrote $tmp/off/rrd"
jq -e '.sinks | has("rrd") | not' "$tmp/off/stats.json" >/dev/null || fail "rrd = false still reports a sink"
conf "$tmp/seven.conf" "$tmp/seven" "step = 7;"
sed -i '/^step = 1;$/d' "$tmp/seven.conf"
rc=0
"$ft" check-config "$tmp/seven.conf" >"$tmp/seven.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "step = 7: RRD output needs a step that divides 300 s" "$tmp/seven.txt" ||
	fail "step 7: rc $rc, $(cat "$tmp/seven.txt")"
conf "$tmp/tcp.conf" "$tmp/tcp" 'rrdcached = "127.0.0.1:42217";'
rc=0
"$ft" check-config "$tmp/tcp.conf" >"$tmp/tcp.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "is a TCP address: .* set rrdcached_base" "$tmp/tcp.txt" || fail "TCP rrdcached without its base: rc $rc, $(cat "$tmp/tcp.txt")"
conf "$tmp/tcp2.conf" "$tmp/tcp" "rrdcached = \"127.0.0.1:42217\"; rrdcached_base = \"/var/lib/rrdcached/db\";"
rc=0
"$ft" check-config "$tmp/tcp2.conf" >"$tmp/tcp2.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "is not inside rrdcached_base /var/lib/rrdcached/db" "$tmp/tcp2.txt" || fail "rrd_dir outside the base: rc $rc, $(cat "$tmp/tcp2.txt")"
echo "rrd: ok"
