#!/usr/bin/env bash
# SNMP against flows, end to end: flowtallyd polls a real snmpd (tests/snmpd) every second
# and takes NetFlow v5 from the same router, with accounting interface 1 (both
# directions); then `flowtally recharge` reconciles the month.  Its rows are checked
# against what it does not compute itself: the flow bytes against the P lines of the
# ledger's files summed here, the SNMP octets against `flowtally snmp totals`, the
# difference in ppm and the flag against the threshold, worked out here.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
flowtallyd=$1 flowtally=$2 agent=$3
command -v jq >/dev/null || skip "jq is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

tmp=$(mktemp -d)
dpid=''
cleanup() {
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	snmpd_stop "$tmp/agent"
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

cat >"$tmp/ctl" <<EOF
epoch $(date +%s)
if 1 name=xe-0/0/1 alias="core" highspeed=10000 in_rate=1250000 out_rate=625000
if 2 name=xe-0/0/2 alias="spare" highspeed=10000 in_rate=1000 out_rate=1000
EOF
snmpd_start "$agent" "$tmp/agent" "$tmp/ctl" edge-1
data=$tmp/d
mkdir -p "$data"
cat >"$tmp/f.conf" <<EOF
data_dir = "$data";
listen = [ "127.0.0.1:0" ];
exporters = [ "127.0.0.1" ];
step = 1;
lateness = 2;
stats_interval = 1;
rrd = false;
timezone = "UTC";
recharge_reconcile_percent = 2.5;
snmp_interval = 1;
snmp_devices = ( { name = "edge"; address = "127.0.0.1:$snmp_port"; version = "2c"; community = "public";
                   timeout = 1; retries = 1; } );
tenants = ( { name = "acme"; prefixes = [ "10.0.0.0/8" ]; } );
accounting_points = ( { exporter = "127.0.0.1"; ifindex = 1; direction = "both"; } );
EOF
start_daemon "$flowtallyd" "$tmp/f.conf" "$tmp/f.log"
port=$(jq '.listeners[0].port' "$data/stats.json")
timeout 60 "$flowtally" generate --to "127.0.0.1:$port" --seed 9 --duration 6 --rate 20000 --flow-length 1 \
	--src-prefix 10.0.0.0/8 --dst-prefix 192.168.0.0/16 >/dev/null 2>&1 || fail "generate"
sleep 4
stop_daemon
month=$("$flowtally" ledger show -d "$data" --json | jq -r '.first_step[0:7]')
rc=0
"$flowtally" recharge --month "$month" -c "$tmp/f.conf" --no-rrd-check --no-timestamp >"$tmp/r.json" 2>"$tmp/r.err" || rc=$?
[ $rc = 0 ] || { cat "$tmp/r.err" >&2; fail "recharge: exit $rc"; }
[ "$(jq '.reconciliation | length' "$tmp/r.json")" = 2 ] || fail "reconciliation: $(jq -c .reconciliation "$tmp/r.json")"
"$flowtally" snmp totals -d "$data" --json >"$tmp/totals.json"
python3 - "$tmp/r.json" "$tmp/totals.json" "$data/ledger" <<'PY' || fail "the reconciliation disagrees"
import json, os, sys
st, tot, ledger = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
p = {"in": 0, "out": 0}
month = st["period"]
for name in sorted(os.listdir(ledger)):
    if not name.endswith(".ledger"): continue
    for line in open(os.path.join(ledger, name)):
        f = line.rstrip("\n").split("\t")
        if f[0] == "P" and f[2] == "127.0.0.1" and f[3] == "1" and month["start"] <= f[1] < month["end"]:
            p[f[4]] += int(f[5])
assert p["in"] > 0 and p["out"] > 0, p
ifs = [i for i in tot["interfaces"] if i["interface"] == "xe-0/0/1"]
assert len(ifs) == 1, tot
snmp = ifs[0]
rows = {r["direction"]: r for r in st["reconciliation"]}
for d in ("in", "out"):
    r = rows[d]
    assert r["device"] == "edge" and r["interface"] == "xe-0/0/1" and r["ifindex"] == 1, r
    assert r["flow_bytes"] == p[d], (d, r["flow_bytes"], p[d])
    octets = snmp["in_octets"] if d == "in" else snmp["out_octets"]
    assert r["snmp_octets"] == octets, (d, r["snmp_octets"], octets)
    diff = int((r["flow_bytes"] - octets) * 1000000 / octets)
    assert r["difference_ppm"] == diff, (r["difference_ppm"], diff)
    assert r["threshold_ppm"] == 25000
    assert r["flagged"] == (r["partial"] or abs(diff) > 25000), r
print("in: flows %d, SNMP %d; out: flows %d, SNMP %d" % (p["in"], rows["in"]["snmp_octets"], p["out"], rows["out"]["snmp_octets"]))
PY
note "accounting interface xe-0/0/1 reconciled: flow bytes = the ledger's P lines, SNMP octets = snmp totals, ppm and flag as worked out"
[ "$(jq '.coverage.datagrams > 0 and .coverage.steps_with_counters == .coverage.ledger_steps' "$tmp/r.json")" = true ] ||
	fail "coverage counters: $(jq -c '.coverage | {datagrams, steps_with_counters, ledger_steps}' "$tmp/r.json")"
note "every step the daemon wrote carries its exporters' counters"
"$flowtally" recharge --month "$month" -c "$tmp/f.conf" --no-timestamp >"$tmp/r2.json" 2>/dev/null
[ "$(jq -r '.rrd_check.state + ": " + .rrd_check.why' "$tmp/r2.json")" = "not_done: the configuration writes no RRD files (rrd = false)" ] ||
	fail "rrd check without RRD files: $(jq -c .rrd_check "$tmp/r2.json")"
