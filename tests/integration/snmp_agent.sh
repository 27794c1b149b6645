#!/usr/bin/env bash
# The SNMP poller's test agent (tests/snmpd): a real net-snmp snmpd on 127.0.0.1 with
# IF-MIB from ifmib_agent, checked with net-snmp's own tools and numeric OIDs.
#   1. ifNumber, the ifName walk and the constant columns;
#   2. exact counters at a frozen clock of epoch+300 (and +300.5): 64-bit octets and
#      packets, the 32-bit ifTable copies, a 32-bit wrap in ifInOctets, a 64-bit wrap in
#      ifHCInOctets, a rate whose rate*dt exceeds 2^64, an error rate;
#   3. the clock stepped by rewriting the control file;
#   4. a rewritten control file: an alias changed, an interface renumbered;
#   5. noxtable: ifTable only, nothing under .1.3.6.1.2.1.31;
#   6. v3: authPriv with SHA/AES, SHA-256/AES (and SHA-512/AES-256 when the tools know
#      it), noAuthNoPriv, a wrong pass phrase (authentication failure), and a wrong v2c
#      community (no answer);
#   7. snmpbulkwalk of ifXTable: 19 varbinds per interface;
#   8. 100 `gen` interfaces: the ifXTable and ifTable bulk walks, timed (< 1 s each).
# Expected values are computed here with shell arithmetic (exact below 2^63) or written
# out with their derivation, never taken from the agent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
agent=$1
snmpd_dir=$(cd "$(dirname "$0")/../snmpd" && pwd)
[ -x /usr/sbin/snmpd ] || skip "/usr/sbin/snmpd is not installed (Debian: snmpd)"
for t in snmpget snmpgetnext snmpwalk snmpbulkwalk; do
	command -v $t >/dev/null || skip "$t is not installed (Debian: snmp)"
done

tmp=$(mktemp -d)
cleanup() {
	"$snmpd_dir/stop.sh" "$tmp/run" || true
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
# (cert_indexes made here, or the first tool says it made it)
mkdir -p "$tmp/run" "$tmp/client/cert_indexes"
# the client tools' state and configuration stay in the test's directory (never
# /var/lib/snmp, ~/.snmp or the host's snmp.conf); no MIB files, numeric OIDs
export SNMP_PERSISTENT_DIR=$tmp/client SNMPCONFPATH=$tmp/client MIBS=""
ctl=$tmp/ifmib.conf

# put_ctl: the control file from stdin, renamed into place so that the agent never
# reads half of it
put_ctl() {
	cat >"$ctl.new"
	mv "$ctl.new" "$ctl"
}

E=1700000000
M32=4294967296
IFX=.1.3.6.1.2.1.31.1.1.1
IFT=.1.3.6.1.2.1.2.2.1
base_ifs() {
	cat <<-EOF
	epoch $E
	if 1 name=xe-0/0/0 alias="TRANSIT: as64500 \"acme\"" highspeed=10000 in_rate=125000000 in_start=4294000000 out_rate=2500000 out_start=1000 in_errors=5 in_errors_rate=2 disc=12345
	if 2 name=xe-0/0/1 alias=PEERING highspeed=100 in_rate=10 in_start=4294966296 out_rate=0 oper=down
	# in_start = 2^64 - 1000: wraps to 0 after 100 s
	if 3 name=ge-0/0/2 in_rate=10 in_start=18446744073709550616 pkt_size=1 mtu=9000
	# rate * 300 s = 3e19 > 2^64
	if 10 name=ae0 highspeed=100000 in_rate=100000000000000000 out_rate=0 type=161
	EOF
}
{ base_ifs; echo "clock $((E + 300))"; } | put_ctl

port='' pid=''
for try in 1 2 3 4 5 6 7 8; do
	p=$((20000 + ($$ + try * 7) % 10000))
	if pid=$(FT_SNMPD_SYSNAME=ft-agent-a "$snmpd_dir/start.sh" "$tmp/run" "$p" "$agent" "$ctl" 2>"$tmp/start.err"); then
		port=$p
		break
	fi
	grep -q 'Error opening specified endpoint' "$tmp/run/snmpd.log" 2>/dev/null || {
		cat "$tmp/start.err" >&2; fail "snmpd did not start"; }
	note "port $p busy, trying another"
done
[ -n "$port" ] || fail "no free port for snmpd"
[ "$(cat /proc/"$pid"/comm)" = snmpd ] || fail "start.sh printed $pid, which is not snmpd"
note "snmpd $pid on 127.0.0.1:$port"
A=127.0.0.1:$port

# get OID...: the values alone, one a line (strings keep their quotes, TimeTicks are
# plain numbers)
get() { snmpget -v2c -c public -On -Oqvt -t 2 -r 1 "$A" "$@"; }
# expect WHAT OID VALUE
expect() {
	local v
	v=$(get "$2") || fail "$1: snmpget $2 failed"
	[ "$v" = "$3" ] || fail "$1: $2 is $v, expected $3"
}

# 1. the table's shape
expect ifNumber .1.3.6.1.2.1.2.1.0 4
expect sysName .1.3.6.1.2.1.1.5.0 '"ft-agent-a"'
names=$(snmpwalk -v2c -c public -On -Oqv "$A" $IFX.1 | tr '\n' ' ')
[ "$names" = '"xe-0/0/0" "xe-0/0/1" "ge-0/0/2" "ae0" ' ] || fail "ifName walk: $names"
idx=$(snmpwalk -v2c -c public -On -Oqv "$A" $IFT.1 | tr '\n' ' ')
[ "$idx" = '1 2 3 10 ' ] || fail "ifIndex walk: $idx"
expect ifAlias.1 $IFX.18.1 '"TRANSIT: as64500 \"acme\""'
expect ifAlias.3 $IFX.18.3 '""'
expect ifHighSpeed.1 $IFX.15.1 10000
expect ifSpeed.1 $IFT.5.1 4294967295
expect ifSpeed.2 $IFT.5.2 100000000
expect ifOperStatus.2 $IFT.8.2 2
expect ifAdminStatus.2 $IFT.7.2 1
expect ifMtu.3 $IFT.4.3 9000
expect ifType.10 $IFT.3.10 161
expect ifDescr.1 $IFT.2.1 '"xe-0/0/0"'
expect ifCounterDiscontinuityTime.1 $IFX.19.1 12345
# the types on the wire, as a poller decodes them
t=$(snmpget -v2c -c public -On "$A" $IFX.6.1 $IFT.10.1 $IFX.15.1 $IFT.8.1 $IFX.19.1 $IFX.1.1 | sed 's/^[^=]*= //; s/:.*//' | tr '\n' ' ')
[ "$t" = 'Counter64 Counter32 Gauge32 INTEGER Timeticks STRING ' ] || fail "types: $t"
note "ifNumber, ifName, ifIndex, constant columns and types as configured"

# 2. counters at epoch + 300
hc1=$((4294000000 + 125000000 * 300))
expect ifHCInOctets.1 $IFX.6.1 $hc1
expect ifInOctets.1 $IFT.10.1 $((hc1 % M32))
expect ifHCOutOctets.1 $IFX.10.1 $((1000 + 2500000 * 300))
# packets: start/pkt_size + (rate/pkt_size) * dt, integer division first as documented
expect ifHCInUcastPkts.1 $IFX.7.1 $((4294000000 / 1000 + 125000000 / 1000 * 300))
expect ifInUcastPkts.1 $IFT.11.1 $(((4294000000 / 1000 + 125000000 / 1000 * 300) % M32))
expect ifInErrors.1 $IFT.14.1 $((5 + 2 * 300))
# 32-bit wrap: 4294966296 + 3000 = 2^32 + 2000
expect ifHCInOctets.2 $IFX.6.2 $((4294966296 + 3000))
expect ifInOctets.2 $IFT.10.2 2000
# 64-bit wrap: 2^64 - 1000 + 3000 = 2^64 + 2000; pkt_size=1, so packets equal octets
expect ifHCInOctets.3 $IFX.6.3 2000
expect ifHCInUcastPkts.3 $IFX.7.3 2000
expect ifInOctets.3 $IFT.10.3 2000
# 1e17 * 300 = 3e19 = 30000000000000000000 - 18446744073709551616 (mod 2^64)
expect ifHCInOctets.10 $IFX.6.10 11553255926290448384
# its low 32 bits as (1e17 mod 2^32) * 300 mod 2^32, which stays below 2^63
expect ifInOctets.10 $IFT.10.10 $(((100000000000000000 % M32) * 300 % M32))
note "counters at epoch+300 exact: HC $hc1, 32-bit $((hc1 % M32)); 32-bit and 64-bit wraps seen"

# 3. the clock stepped: before the 64-bit wrap, then to +300.5 (a fraction of a second)
{ base_ifs; echo "clock $((E + 99))"; } | put_ctl
# 2^64 - 1000 + 990 = 18446744073709551606
expect ifHCInOctets.3@99 $IFX.6.3 18446744073709551606
expect ifInOctets.2@99 $IFT.10.2 $(((4294966296 + 990) % M32))
{ base_ifs; echo "clock $((E + 300)).5"; } | put_ctl
expect ifHCInOctets.1@300.5 $IFX.6.1 $((4294000000 + 125000000 * 300 + 62500000))
expect ifHCInOctets.2@300.5 $IFX.6.2 $((4294966296 + 3005))
expect ifInErrors.1@300.5 $IFT.14.1 $((5 + 601))
note "clock steps by control-file rewrite (E+99 before the 64-bit wrap, E+300.5)"

# 4. a rewritten file: alias changed, ifIndex 3 renumbered to 7
{ base_ifs | sed -e 's/alias=PEERING/alias="PEERING: ix-b"/' -e 's/^if 3 /if 7 /'; echo "clock $((E + 300))"; } | put_ctl
expect "new alias" $IFX.18.2 '"PEERING: ix-b"'
idx=$(snmpwalk -v2c -c public -On -Oqv "$A" $IFX.1 | tr '\n' ' ')
[ "$idx" = '"xe-0/0/0" "xe-0/0/1" "ge-0/0/2" "ae0" ' ] || fail "ifName walk after renumbering: $idx"
expect "renumbered ifHCInOctets" $IFX.6.7 2000
v=$(get $IFX.6.3) || true
case $v in *"No Such Instance"*) ;; *) fail "ifHCInOctets.3 after renumbering: $v" ;; esac
note "rewritten control file picked up: alias, ifIndex 3 -> 7"

# 5. noxtable
{ echo noxtable; base_ifs; echo "clock $((E + 300))"; } | put_ctl
expect "noxtable ifInOctets.1" $IFT.10.1 $((hc1 % M32))
v=$(get $IFX.6.1) || true
case $v in *"No Such"*) ;; *) fail "noxtable: ifHCInOctets.1 is $v" ;; esac
n=$(snmpgetnext -v2c -c public -On "$A" .1.3.6.1.2.1.31)
case $n in .1.3.6.1.2.1.31.*) fail "noxtable: GETNEXT .1.3.6.1.2.1.31 gave $n" ;; esac
n=$(snmpwalk -v2c -c public -On "$A" .1.3.6.1.2.1.2 | wc -l)
[ "$n" = $((1 + 20 * 4)) ] || fail "noxtable: the ifTable walk has $n varbinds"
note "noxtable: ifTable only ($n varbinds), nothing under .1.3.6.1.2.1.31"
{ base_ifs; echo "clock $((E + 300))"; } | put_ctl

# 6. v3 and communities
v3() { snmpget -v3 -On -Oqv -t 2 -r 1 "$@" "$A" $IFX.6.1; }
[ "$(v3 -l authPriv -u ftsha -a SHA -A ftauth-sha1 -x AES -X ftpriv-sha1)" = $hc1 ] ||
	fail "v3 SHA/AES"
[ "$(v3 -l authPriv -u ftsha256 -a SHA-256 -A ftauth-sha256 -x AES -X ftpriv-sha256)" = $hc1 ] ||
	fail "v3 SHA-256/AES"
help=$(snmpget --help 2>&1 || true)
if [[ $help == *AES-256* ]]; then
	[ "$(v3 -l authPriv -u ftsha512 -a SHA-512 -A ftauth-sha512 -x AES-256 -X ftpriv-sha512)" = $hc1 ] ||
		fail "v3 SHA-512/AES-256"
	note "v3 authPriv SHA/AES, SHA-256/AES, SHA-512/AES-256"
else
	note "v3 authPriv SHA/AES, SHA-256/AES (these tools have no AES-256)"
fi
[ "$(v3 -l noAuthNoPriv -u ftnoauth)" = $hc1 ] || fail "v3 noAuthNoPriv"
if out=$(v3 -l authPriv -u ftsha -a SHA -A wrong-pass -x AES -X ftpriv-sha1 2>&1); then
	fail "a wrong v3 pass phrase was answered: $out"
fi
case $out in *"Authentication failure"*) ;; *) fail "wrong v3 pass phrase: $out" ;; esac
if out=$(snmpget -v2c -c private -On -t 0.5 -r 0 "$A" .1.3.6.1.2.1.2.1.0 2>&1); then
	fail "a wrong community was answered: $out"
fi
case $out in *Timeout*) ;; *) fail "wrong community: $out" ;; esac
# ifHCInOctets is Counter64, which SNMPv1 cannot carry
if out=$(snmpget -v1 -c public -On -t 1 -r 0 "$A" $IFX.6.1 2>&1); then
	fail "v1 answered a Counter64: $out"
fi
case $out in *noSuchName*) ;; *) fail "v1 Counter64: $out" ;; esac
note "v3 noAuthNoPriv; wrong pass phrase: authentication failure; wrong community: timeout; v1 Counter64: noSuchName"

# 7. bulk walk of ifXTable
n=$(snmpbulkwalk -v2c -c public -On -Cr25 "$A" $IFX | wc -l)
[ "$n" = $((19 * 4)) ] || fail "ifXTable bulk walk: $n varbinds, expected 76"
note "ifXTable bulk walk: $n varbinds"

# 8. 100 generated interfaces
put_ctl <<-EOF
	epoch $E
	clock $((E + 300))
	gen 100 1 in_rate=1000000 out_rate=500000 highspeed=10000 alias=CUST:t
EOF
expect "gen ifNumber" .1.3.6.1.2.1.2.1.0 100
expect "gen ifName.100" $IFX.1.100 '"gen/100"'
expect "gen ifAlias.42" $IFX.18.42 '"CUST:t42"'
expect "gen ifHCOutOctets.77" $IFX.10.77 $((500000 * 300))
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
n=$(snmpbulkwalk -v2c -c public -On -Cr50 "$A" $IFX | wc -l)
t1=$(ms)
[ "$n" = 1900 ] || fail "gen: ifXTable bulk walk has $n varbinds, expected 1900"
m=$(snmpbulkwalk -v2c -c public -On -Cr50 "$A" .1.3.6.1.2.1.2 | wc -l)
t2=$(ms)
[ "$m" = 2001 ] || fail "gen: ifTable bulk walk has $m varbinds, expected 2001"
note "100 interfaces: ifXTable bulk walk $n varbinds in $((t1 - t0)) ms, ifTable $m in $((t2 - t1)) ms"
[ $((t1 - t0)) -lt 1000 ] || fail "the ifXTable walk of 100 interfaces took $((t1 - t0)) ms"
[ $((t2 - t1)) -lt 1000 ] || fail "the ifTable walk of 100 interfaces took $((t2 - t1)) ms"

"$snmpd_dir/stop.sh" "$tmp/run" || fail "stop.sh failed"
kill -0 "$pid" 2>/dev/null && [ "$(sed 's/.*) \(.\).*/\1/' /proc/"$pid"/stat)" != Z ] &&
	fail "snmpd $pid still runs after stop.sh"
echo "snmp-agent: ok"
