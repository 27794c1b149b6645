#!/usr/bin/env bash
# flowtally snmp walk against the shared snmpd fixture (../shared/fixtures/snmpd: a real
# net-snmp snmpd whose IF-MIB counters follow a control file), with the values its
# README documents: skipped (77) when the fixture is not there.
#   - v2c and v3 (SHA-1/AES and SHA-256/AES users): the four interfaces, names, aliases,
#     speeds, status;
#   - a frozen clock at epoch + 300 s: ifIndex 1 reads ifHCInOctets 41794000000 and
#     ifInOctets 3139294336 (the fixture's own worked example), ifIndex 10's 64-bit
#     counter has wrapped;
#   - a wrong v3 password: authentication failure, exit 1, naming the device.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
flowtally=$1
fx=$(fixtures_dir) || skip "../shared/fixtures is not there"
[ -x "$fx/snmpd/start.sh" ] || skip "no snmpd fixture in $fx"
[ -x /usr/sbin/snmpd ] || skip "/usr/sbin/snmpd is not installed (Debian: snmpd)"
command -v snmpget >/dev/null || skip "snmpget is not installed (Debian: snmp)"
command -v python3 >/dev/null || skip "the fixture's handler needs python3"

tmp=$(mktemp -d)
cleanup() {
	"$fx/snmpd/stop.sh" "$tmp/run" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/run" "$tmp/client/cert_indexes"
export SNMP_PERSISTENT_DIR=$tmp/client SNMPCONFPATH=$tmp/client MIBS=""
E=1700000000
{ echo "epoch $E"; echo "clock $((E + 300))"; grep -v '^#' "$fx/snmpd/ifaces.conf"; } >"$tmp/run/ifaces.conf"
port=''
for try in 1 2 3 4 5; do
	p=$((30000 + (RANDOM + try) % 20000))
	if "$fx/snmpd/start.sh" "$tmp/run" "$p" >/dev/null 2>"$tmp/start.err"; then
		port=$p
		break
	fi
done
[ -n "$port" ] || fail "the fixture's snmpd did not start: $(cat "$tmp/start.err")"
A=127.0.0.1:$port

"$flowtally" snmp walk "$A" -v 2c -c public --json >"$tmp/v2c.json" || fail "walk v2c failed"
jq -e '.sysName == "fixture-router-1" and ([.interfaces[].ifIndex] == [1, 2, 3, 10])
       and ([.interfaces[].ifName] == ["xe-0/0/0", "xe-0/0/1", "ge-0/0/2", "ae0"])
       and .interfaces[0].ifAlias == "TRANSIT:as64500:cust=acme" and .interfaces[0].ifHighSpeed == 10000
       and .interfaces[2].ifOperStatus == 2 and .interfaces[3].ifHighSpeed == 100000' "$tmp/v2c.json" >/dev/null ||
	fail "walk v2c: $(cat "$tmp/v2c.json")"
# the README's worked example, as text (jq's numbers are doubles)
grep -q '"ifIndex":1,[^}]*"ifHCInOctets":41794000000,' "$tmp/v2c.json" || fail "ifHCInOctets.1 is not 41794000000"
grep -q '"ifIndex":1,[^}]*"ifInOctets":3139294336,' "$tmp/v2c.json" || fail "ifInOctets.1 is not 3139294336"
# ae0: (18446744073709000000 + 5000000000 * 300) mod 2^64 = 1499999448384
grep -q '"ifIndex":10,[^}]*"ifHCInOctets":1499999448384,' "$tmp/v2c.json" || fail "ifHCInOctets.10 did not wrap at 2^64"
note "v2c: the fixture's interfaces and its worked example, to the octet"

"$flowtally" snmp walk "$A" -v 3 -l authPriv -u telemetry -a SHA -A authpass-123 -x AES -X privpass-123 --json |
	jq -e '.interfaces | length == 4' >/dev/null || fail "walk v3 SHA-1/AES failed"
"$flowtally" snmp walk "$A" -v 3 -l authPriv -u telemetry256 -a SHA-256 -A authpass-256 -x AES -X privpass-256 --json |
	jq -e '.interfaces | length == 4' >/dev/null || fail "walk v3 SHA-256/AES failed"
rc=0
"$flowtally" snmp walk "$A" -v 3 -l authPriv -u telemetry -a SHA -A wrongpass-1 -x AES -X privpass-123 -t 1 -r 0 \
	>/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" = 1 ] && grep -q "device $A.*authentication failure" "$tmp/err" || fail "wrong password: exit $rc: $(cat "$tmp/err")"
note "v3: SHA-1/AES and SHA-256/AES; a wrong password is an authentication failure naming the device"
echo "snmp_fixture: ok"
