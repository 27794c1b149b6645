#!/usr/bin/env bash
# Interface tenant rules from SNMP, end to end: flowtallyd A polls a real snmpd (tests/snmpd)
# whose interfaces say whose they are, and attributes NetFlow v5 records by them; flowtallyd
# B, the oracle, has the same rules written out as exporter + ifIndex.  The same seeded
# records go to both: their ledgers must hold the same tenants, to the byte.
#   ifIndex 7   alias "CUST [tenant:exeter] 1G"          -> exeter (interface_tag)
#   ifIndex 9   alias "Devon County link"                -> devon (ifalias = "Devon*")
#   ifIndex 12  alias "[tenant:devon] backup"            -> cornwall: the configuration's
#               own exporter + ifIndex rule wins over the tag
#   ifIndex 20  alias "[tenant:nobody]"                  -> nobody's: a warning
# Then the alias of ifIndex 9 changes: the next poll takes devon's rule away (logged with a
# new tenant map), without a restart; and `flowtally replay --interfaces` names the
# interfaces of a capture's records from the same agent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
flowtallyd=$1 flowtally=$2 agent=$3
command -v jq >/dev/null || skip "jq is not installed"

tmp=$(mktemp -d)
pa='' pb=''
cleanup() {
	[ -n "$pa" ] && kill -KILL "$pa" 2>/dev/null
	[ -n "$pb" ] && kill -KILL "$pb" 2>/dev/null
	snmpd_stop "$tmp/agent"
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
put() { cat >"$1.new"; mv "$1.new" "$1"; }

put "$tmp/ctl" <<EOF
epoch $(date +%s)
if 7 name=ge-0/0/7 alias="CUST [tenant:exeter] 1G"
if 9 name=ge-0/0/9 alias="Devon County link"
if 12 name=xe-1/1/12 alias="[tenant:devon] backup"
if 20 name=ge-0/0/20 alias="[tenant:nobody]"
EOF
snmpd_start "$agent" "$tmp/agent" "$tmp/ctl" edge-1

common() {
	cat <<-EOF
	data_dir = "$1";
	listen = [ "127.0.0.1:0" ];
	exporters = [ "127.0.0.1" ];
	step = 2;
	lateness = 1;
	stats_interval = 1;
	rrd = false;
	EOF
}
{ common "$tmp/a"; cat <<EOF
interface_tag = "tenant";
snmp_interval = 1;
snmp_devices = ( { name = "edge"; address = "127.0.0.1:$snmp_port"; version = "2c"; community = "public";
                   timeout = 1; retries = 1; } );
tenants = (
  { name = "exeter"; },
  { name = "devon"; interfaces = ( { device = "edge"; ifalias = "Devon*"; } ); },
  { name = "cornwall"; interfaces = ( { exporter = "127.0.0.1"; ifindex = 12; } ); }
);
EOF
} >"$tmp/a.conf"
{ common "$tmp/b"; cat <<EOF
tenants = (
  { name = "exeter"; interfaces = ( { exporter = "127.0.0.1"; ifindex = 7; } ); },
  { name = "devon"; interfaces = ( { exporter = "127.0.0.1"; ifindex = 9; } ); },
  { name = "cornwall"; interfaces = ( { exporter = "127.0.0.1"; ifindex = 12; } ); }
);
EOF
} >"$tmp/b.conf"
mkdir -p "$tmp/a" "$tmp/b"
"$flowtally" check-config "$tmp/a.conf" >"$tmp/check.txt" 2>&1 || fail "check-config: $(cat "$tmp/check.txt")"

data=$tmp/a
start_daemon "$flowtallyd" "$tmp/a.conf" "$tmp/a.log"
pa=$dpid
data=$tmp/b
start_daemon "$flowtallyd" "$tmp/b.conf" "$tmp/b.log"
pb=$dpid
wait_for grep -q 'interface table: 4 interface(s), 2 interface rule(s)' "$tmp/a.log" ||
	fail "A did not build its interface rules: $(grep snmp "$tmp/a.log" | tail -3)"
grep -q 'ge-0/0/20 (ifIndex 20) of device edge is tagged \[tenant:nobody\], but there is no tenant nobody' "$tmp/a.log" ||
	fail "the tag of an unknown tenant is not warned of"
note "A: 2 interface rules from the interface table (the explicit rule of ifIndex 12 kept)"

send() {
	local port
	port=$(jq '.listeners[0].port' "$1/stats.json")
	"$flowtally" generate --to "127.0.0.1:$port" --seed 5 --records 20000 --rate 200000 --summary >"$1.gen" ||
		fail "flowtally generate to $1 failed"
}
flows() { "$flowtally" ledger show -d "$1" --json 2>/dev/null | jq '.total.flows // 0'; }
sent() { jq '.records' "$1.gen"; }
settle() {
	local i
	for i in $(seq 150); do
		[ "$(flows "$1")" = "$(sent "$1")" ] && return 0
		sleep 0.1
	done
	fail "$1: the ledger holds $(flows "$1") flows of $(sent "$1") sent"
}
send "$tmp/a"
send "$tmp/b"
settle "$tmp/a"
settle "$tmp/b"
"$flowtally" ledger show -d "$tmp/a" --json | jq -S '{tenants, unattributed, total}' >"$tmp/a.sum"
"$flowtally" ledger show -d "$tmp/b" --json | jq -S '{tenants, unattributed, total}' >"$tmp/b.sum"
cmp -s "$tmp/a.sum" "$tmp/b.sum" || fail "A's ledger differs from the oracle's: $(diff "$tmp/a.sum" "$tmp/b.sum" | head -20)"
for t in exeter devon cornwall; do
	[ "$(jq --arg t $t '[.tenants[] | select(.tenant == $t) | .out.bytes] | add // 0' "$tmp/a.sum")" -gt 0 ] || fail "tenant $t got nothing"
done
note "A's ledger equals the oracle's, tenant by tenant, to the byte ($(sent "$tmp/a") records)"

# the alias of ifIndex 9 no longer matches: devon's interface rule goes at the next poll
sed 's/alias="Devon County link"/alias="spare"/' "$tmp/ctl" | put "$tmp/ctl"
wait_for grep -q 'interface table: 4 interface(s), 1 interface rule(s)' "$tmp/a.log" ||
	fail "the alias change did not reach the tenant map: $(grep snmp "$tmp/a.log" | tail -3)"
note "a changed alias changes the rules at the next poll, with a new tenant map"

# flowtally replay --interfaces: the records of a capture named by the interfaces the
# device's agent knows (ifIndex 7, 9, 12 and 20; the generator's records use 1..64)
"$flowtally" generate --pcap "$tmp/cap.pcap" --seed 6 --records 3000 >/dev/null || fail "generate --pcap failed"
"$flowtally" replay --format json --interfaces "$tmp/a.conf" "$tmp/cap.pcap" >"$tmp/flows.json" 2>"$tmp/replay.err" ||
	fail "replay --interfaces failed: $(cat "$tmp/replay.err")"
jq -s -e '(map(select(.in_if == 7)) | length > 0 and all(.in_if_name == "ge-0/0/7" and .in_if_alias == "CUST [tenant:exeter] 1G"))
          and (map(select(.out_if == 12)) | length > 0 and all(.out_if_name == "xe-1/1/12"))
          and (map(select(.in_if == 3)) | length > 0 and all(has("in_if_name") | not))' "$tmp/flows.json" >/dev/null ||
	fail "replay --interfaces: records not named by their interfaces: $(head -2 "$tmp/flows.json")"
note "replay --interfaces: records name their input and output interfaces where the agent knows them"
dpid=$pa; stop_daemon || fail "A exited with an error"; pa=''
dpid=$pb; stop_daemon || fail "B exited with an error"; pb=''
echo "snmp_tenants: ok"
