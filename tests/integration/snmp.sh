#!/usr/bin/env bash
# The SNMP poller against real net-snmp snmpd agents on 127.0.0.1 (tests/snmpd: IF-MIB
# from a control file this test writes).
#   1. flowtally snmp walk: v2c, v3 authPriv with SHA-1, SHA-256 and SHA-512/AES-256,
#      exact 64-bit counters at a frozen clock (JSON integers, full 64-bit values); a
#      wrong community and nothing on a port (timeout), a wrong v3 password
#      (authentication failure) and an unknown user: exit 1 and one line naming the
#      device.
#   2. flowtallyd polling four devices every 2 s with 2-s steps, on the real clock:
#      - A (v2c): 12.5 MB/s in on xe-0/0/0 (100 Mb/s): the RRD and the exact totals
#        show that rate step by step (within 1 %: the readings' times are estimated
#        to the millisecond); ge-0/0/3's ifCounterDiscontinuityTime changes (its
#        interval is unknown, counted as a discontinuity); xe-0/0/4 moves from ifIndex
#        4 to 40 (re-indexed: the same RRD file goes on, no second file);
#      - B (v2c, no ifXTable): a 32-bit ifInOctets that wraps at 10 MB/s on a 1 Gb/s
#        interface: the wrap is data, every step known at the rate; then its agent away
#        for 15 s (longer than snmp_max_gap): those steps closed as no_answer in the
#        totals, unknown in the RRD, and the series going on when it is back;
#        A's ifIndex 5 has ifIndex 3's name: it is known as "ge-0/0/3#5" (said);
#      - C (v3 SHA-256/AES): its agent restarted mid-run (counters and sysUpTime back to
#        their start): the interval over the restart is unknown, counted as a restart,
#        and no step shows more than the rate (no spike);
#      - D: a port where nothing answers: timing_out with its error in stats.json and
#        flowtally status, while the others are polled every cycle; E: A's agent with
#        a wrong SNMPv3 password: auth_failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
flowtallyd=$1 flowtally=$2 agent=$3 rrd_dump=$4

tmp=$(mktemp -d)
dpid=''
cleanup() {
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	for r in a b c f; do snmpd_stop "$tmp/$r"; done
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
mkdir -p "$tmp/client/cert_indexes"
export SNMP_PERSISTENT_DIR=$tmp/client SNMPCONFPATH=$tmp/client MIBS=""

put() { cat >"$1.new"; mv "$1.new" "$1"; }

# ---- 1. flowtally snmp walk ------------------------------------------------------------

E=1700000000
put "$tmp/f.ctl" <<EOF
epoch $E
clock $((E + 300))
if 1 name=xe-0/0/0 alias="TRANSIT acme" highspeed=10000 in_rate=125000000 in_start=18446744000000000000 out_rate=1000 out_start=5
if 7 name=ge-0/0/7 highspeed=1000 in_rate=1 oper=down
EOF
snmpd_start "$agent" "$tmp/f" "$tmp/f.ctl" ft-walk
F=127.0.0.1:$snmp_port
"$flowtally" snmp walk "$F" -v 2c -c public --json >"$tmp/walk.json" || fail "walk v2c failed"
# 18446744000000000000 + 125000000 * 300 = 18446744037500000000 (< 2^64: no wrap)
jq -e '.sysName == "ft-walk" and (.interfaces | length) == 2 and .interfaces[0].ifIndex == 1
       and .interfaces[0].ifName == "xe-0/0/0" and .interfaces[0].ifAlias == "TRANSIT acme"
       and .interfaces[0].ifHighSpeed == 10000 and .interfaces[0].ifOperStatus == 1
       and .interfaces[1].ifOperStatus == 2 and .interfaces[1].ifIndex == 7' "$tmp/walk.json" >/dev/null ||
	fail "walk v2c: $(cat "$tmp/walk.json")"
# jq's numbers are doubles: the full 64-bit values are checked as text
grep -q '"ifHCInOctets":18446744037500000000,' "$tmp/walk.json" || fail "ifHCInOctets not exact: $(cat "$tmp/walk.json")"
grep -q '"ifHCOutOctets":300005,' "$tmp/walk.json" || fail "ifHCOutOctets not exact"
# 18446744037500000000 mod 2^32 = 18446744037500000000 - 4294967295 * 4294967297 ... computed:
# 2^64 - 36209551616 = 18446744037500000000, so mod 2^32 = 2^32 - 36209551616 mod 2^32
in32=$(( (4294967296 - (36209551616 % 4294967296)) % 4294967296 ))
grep -q "\"ifInOctets\":$in32," "$tmp/walk.json" || fail "ifInOctets is not ifHCInOctets mod 2^32 ($in32)"
note "walk v2c: exact 64-bit counters as JSON integers"

v3() { "$flowtally" snmp walk "$F" -v 3 -l authPriv "$@" -t 1 -r 0; }
v3 -u ftsha -a SHA -A ftauth-sha1 -x AES -X ftpriv-sha1 >"$tmp/v3.txt" || fail "walk v3 SHA-1 failed"
grep -q 'sysName ft-walk' "$tmp/v3.txt" || fail "walk v3 SHA-1: $(cat "$tmp/v3.txt")"
v3 -u ftsha256 -a SHA-256 -A ftauth-sha256 -x AES -X ftpriv-sha256 --json | jq -e '.interfaces | length == 2' >/dev/null ||
	fail "walk v3 SHA-256 failed"
if v3 -u ftsha512 -a SHA-512 -A ftauth-sha512 -x AES-256 -X ftpriv-sha512 >/dev/null 2>"$tmp/e"; then
	note "walk v3: SHA-1/AES, SHA-256/AES and SHA-512/AES-256"
else
	grep -q 'unknown user' "$tmp/e" && note "walk v3: SHA-1, SHA-256 (this agent has no SHA-512 user)" ||
		fail "walk v3 SHA-512/AES-256: $(cat "$tmp/e")"
fi

# fails: exit 1, one line, naming the device
bad() {
	local what=$1 want=$2
	shift 2
	local rc=0
	"$flowtally" snmp walk "$@" -t 1 -r 0 >/dev/null 2>"$tmp/err" || rc=$?
	[ "$rc" = 1 ] || fail "$what: exit $rc, expected 1"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$what: not one line: $(cat "$tmp/err")"
	grep -q "device 127.0.0.1:" "$tmp/err" || fail "$what: the device is not named: $(cat "$tmp/err")"
	grep -q "$want" "$tmp/err" || fail "$what: '$want' not said: $(cat "$tmp/err")"
}
bad "wrong community" "no answer" "$F" -v 2c -c private
bad "wrong v3 password" "authentication failure" "$F" -v 3 -l authPriv -u ftsha -a SHA -A wrong-pass-1 -x AES -X ftpriv-sha1
bad "unknown v3 user" "unknown user" "$F" -v 3 -l authPriv -u nobody -a SHA -A ftauth-sha1 -x AES -X ftpriv-sha1
dead=$(free_udp_port)
bad "nothing answers" "no answer" "127.0.0.1:$dead" -v 2c -c public
rc=0
"$flowtally" snmp walk "$F" -v 2c >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "walk without a community: exit $rc, expected 2"
note "walk: wrong community, wrong password, unknown user, nothing listening: exit 1 naming the device"
snmpd_stop "$tmp/f"

# ---- 2. flowtallyd ---------------------------------------------------------------------

now=$(date +%s)
put "$tmp/a.ctl" <<EOF
epoch $now
if 1 name=xe-0/0/0 highspeed=100 in_rate=12500000 out_rate=1250000 in_start=1000000
if 3 name=ge-0/0/3 highspeed=1000 in_rate=1000000 out_rate=1000000
if 4 name=xe-0/0/4 highspeed=1000 in_rate=2000000 out_rate=1000000
if 5 name=ge-0/0/3 highspeed=1000 in_rate=3000000 out_rate=1000000
EOF
snmpd_start "$agent" "$tmp/a" "$tmp/a.ctl" agent-a
PA=$snmp_port
# 2^32 - 120,000,000: ifInOctets wraps 12 s after the epoch (the daemon polls from
# about 2 s on, for about 30 s)
put "$tmp/b.ctl" <<EOF
epoch $now
noxtable
if 1 name=gi0/1 speed=1000000000 in_rate=10000000 out_rate=100000 in_start=4174967296
EOF
snmpd_start "$agent" "$tmp/b" "$tmp/b.ctl" agent-b
PB=$snmp_port
put "$tmp/c.ctl" <<EOF
epoch $now
if 1 name=et-1/0/0 highspeed=1000 in_rate=5000000 out_rate=5000000 in_start=500000000000
EOF
snmpd_start "$agent" "$tmp/c" "$tmp/c.ctl" agent-c
PC=$snmp_port
PD=$(free_udp_port)

data=$tmp/data
mkdir -p "$data"
cat >"$tmp/ft.conf" <<EOF
data_dir = "$data";
listen = [ "127.0.0.1:0" ];
exporters = [ "127.0.0.1" ];
step = 2;
lateness = 1;
stats_interval = 1;
snmp_interval = 2;
snmp_max_gap = 10;
snmp_devices = (
  { name = "A"; address = "127.0.0.1:$PA"; version = "2c"; community = "public"; timeout = 1; retries = 1; },
  { name = "B"; address = "127.0.0.1:$PB"; version = "2c"; community = "public"; timeout = 1; retries = 1; },
  { name = "C"; address = "127.0.0.1:$PC"; version = "3"; security = "authPriv"; user = "ftsha256";
    auth = "SHA-256"; auth_password = "ftauth-sha256"; priv = "AES"; priv_password = "ftpriv-sha256";
    timeout = 1; retries = 1; },
  { name = "D"; address = "127.0.0.1:$PD"; version = "2c"; community = "public"; timeout = 1; retries = 0; },
  { name = "E"; address = "127.0.0.1:$PA"; exporters = [ "127.0.0.5" ]; version = "3"; user = "ftsha";
    auth = "SHA"; auth_password = "not-the-password"; priv = "AES"; priv_password = "ftpriv-sha1";
    timeout = 1; retries = 0; }
);
EOF
"$flowtally" check-config "$tmp/ft.conf" >"$tmp/check.txt" 2>&1 || fail "check-config: $(cat "$tmp/check.txt")"
grep -q 'device A: SNMPv2c sends its community in clear' "$tmp/check.txt" || fail "check-config does not warn of v2c"
start_daemon "$flowtallyd" "$tmp/ft.conf" "$tmp/d.log"
t0=$(date +%s)

# dev_json NAME: the device's statistics
dev_json() { jq -c --arg n "$1" '.snmp_devices[] | select(.name == $n)' "$data/stats.json"; }
wait_polls() {
	local i
	for i in $(seq 200); do
		[ "$(dev_json "$1" | jq '.polls')" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "device $1 did not reach $2 polls: $(dev_json "$1")"
}
wait_polls A 4
# a discontinuity on ge-0/0/3, then xe-0/0/4 renumbered to 40
sed 's/^if 3 name=ge-0\/0\/3 /if 3 name=ge-0\/0\/3 disc=4242 /' "$tmp/a.ctl" | put "$tmp/a.ctl"
n=$(dev_json A | jq '.polls')
wait_polls A $((n + 2))
sed 's/^if 4 /if 40 /' "$tmp/a.ctl" | put "$tmp/a.ctl"
# C's agent restarts: its counters back to their start, sysUpTime from 0
n=$(dev_json C | jq '.polls')
wait_polls C $((n + 1))
snmpd_stop "$tmp/c"
sleep 1
sed "s/^epoch .*/epoch $(date +%s)/" "$tmp/c.ctl" | put "$tmp/c.ctl"
snmpd_start "$agent" "$tmp/c" "$tmp/c.ctl" agent-c-again "$PC"
# B's agent away for longer than snmp_max_gap (10 s): its steps close as no_answer,
# and when it is back its series goes on
snmpd_stop "$tmp/b"
b_down=$(date +%s)
n=$(dev_json A | jq '.polls')
wait_polls A $((n + 6))
wait_polls C $(($(dev_json C | jq '.polls') + 4))
while [ $(($(date +%s) - b_down)) -lt 15 ]; do sleep 0.5; done
snmpd_start "$agent" "$tmp/b" "$tmp/b.ctl" agent-b-again "$PB"
wait_polls B $(($(dev_json B | jq '.polls') + 4))
"$flowtally" status -d "$data" >"$tmp/status.txt" 2>&1 || true
stop_daemon || fail "flowtallyd exited with an error: $(tail -5 "$tmp/d.log")"
t1=$(date +%s)

# ---- the checks ----

jq -e '.snmp_devices | length == 5' "$data/stats.json" >/dev/null || fail "stats.json has not the 5 devices"
for d in A C; do
	dev_json $d | jq -e '.state == "up" and .failures <= 1' >/dev/null || fail "device $d: $(dev_json $d)"
done
# B was away for 15 s: failing then, up again at the end, its error kept
dev_json B | jq -e '.state == "up" and .failures >= 2 and (.last_error | test("device B .*no answer"))' >/dev/null ||
	fail "device B: $(dev_json B)"
dev_json D | jq -e '.state == "timing_out" and (.last_error | test("device D .*no answer")) and .last_error_at != null' \
	>/dev/null || fail "device D: $(dev_json D)"
grep -q 'D .*timing_out' "$tmp/status.txt" || fail "flowtally status does not show D timing out: $(cat "$tmp/status.txt")"
dev_json E | jq -e '.state == "auth_failure" and (.last_error | test("device E .*authentication failure"))' >/dev/null ||
	fail "device E (wrong password): $(dev_json E)"
grep -q 'E .*auth_failure' "$tmp/status.txt" || fail "flowtally status does not show E's authentication failure"
grep -q 'last error at .*device D' "$tmp/status.txt" || fail "flowtally status does not show D's error"
# the dead device cost the others nothing: A was polled at every cycle
polls=$(dev_json A | jq '.polls') skipped=$(dev_json A | jq '.skipped')
cycles=$(( (t1 - t0) / 2 ))
[ "$polls" -ge $((cycles - 2)) ] && [ "$skipped" = 0 ] || fail "A: $polls polls in $cycles cycles, $skipped skipped"
note "states: A, B, C up; D timing_out and E auth_failure with their errors; A polled at every cycle ($polls of $cycles)"

dev_json A | jq -e '.intervals.discontinuity >= 1 and .reindexed == 1' >/dev/null || fail "A: $(dev_json A)"
dev_json B | jq -e '.intervals.wrap >= 1 and .intervals.impossible == 0 and .intervals.ambiguous == 0' >/dev/null ||
	fail "B: no 32-bit wrap taken as data: $(dev_json B)"
dev_json C | jq -e '.intervals.restart >= 1' >/dev/null || fail "C: the restart was not seen: $(dev_json C)"
grep -q 'interface xe-0/0/4 moved from ifIndex 4 to 40' "$tmp/d.log" || fail "re-indexing not logged"
note "verdicts: discontinuity and re-index on A, wrap on B, restart on C"

# the RRD files: one per interface, the re-indexed one continuing
files=$(cd "$data/rrd/interfaces" && find . -name '*.rrd' | sort | tr '\n' ' ')
[ "$files" = "./A/ge-0%2F0%2F3%235.rrd ./A/ge-0%2F0%2F3.rrd ./A/xe-0%2F0%2F0.rrd ./A/xe-0%2F0%2F4.rrd ./B/gi0%2F1.rrd ./C/et-1%2F0%2F0.rrd " ] ||
	fail "interface files: $files"
grep -q 'interfaces with the same name "ge-0/0/3": ifIndex 3 keeps it, ifIndex 5 is known as "ge-0/0/3#5"' "$tmp/d.log" ||
	fail "two interfaces of one name not said"

# rate FILE DS RATE_BITS: every known step of the finest archive within 1 % of RATE;
# prints "known unknown max", unknown counting only the steps between the first and the
# last known one (not those before the first reading or after the stop)
rate() {
	"$rrd_dump" "$1" 2 $((t0 - 4)) $((t1 + 4)) >"$tmp/dump.txt" || fail "rrd_dump $1"
	awk -v ds="$2" -v want="$3" '$2 == ds {
		if ($3 == "U") { if (k) pend++; next }
		u += pend; pend = 0
		v = $3 / 2; k++; if (v > max) max = v
		if (v < want * 0.99 || v > want * 1.01) bad = bad " " $1 ":" v
	} END { if (bad != "") { print "off:" bad; exit 1 } printf "%d %d %.0f\n", k, u, max }' "$tmp/dump.txt"
}
r=$(rate "$data/rrd/interfaces/A/xe-0%2F0%2F0.rrd" in_bits 100000000) || fail "A xe-0/0/0 in_bits: $r"
[ "${r%% *}" -ge 6 ] || fail "A xe-0/0/0: only ${r%% *} known steps"
r=$(rate "$data/rrd/interfaces/A/xe-0%2F0%2F0.rrd" out_bits 10000000) || fail "A xe-0/0/0 out_bits: $r"
r=$(rate "$data/rrd/interfaces/B/gi0%2F1.rrd" in_bits 80000000) || fail "B gi0/1 (32-bit, wrapping): $r"
[ "${r%% *}" -ge 6 ] || fail "B gi0/1: only ${r%% *} known steps"
read -r known unknown max <<<"$r"
[ "$unknown" -ge 5 ] || fail "B gi0/1: $unknown unknown steps while its agent was away for 15 s"
r=$(rate "$data/rrd/interfaces/A/ge-0%2F0%2F3%235.rrd" in_bits 24000000) || fail "A's second ge-0/0/3 (ifIndex 5): $r"
[ "${r%% *}" -ge 6 ] || fail "A ge-0/0/3#5: only ${r%% *} known steps"
rc=$(rate "$data/rrd/interfaces/C/et-1%2F0%2F0.rrd" in_bits 40000000) || fail "C et-1/0/0 (restart, no spike): $rc"
read -r known unknown max <<<"$rc"
[ "$known" -ge 4 ] && [ "$unknown" -ge 1 ] || fail "C: $known known and $unknown unknown steps around the restart"
note "RRD rates within 1 %: A 100 Mb/s, B 80 Mb/s across 32-bit wraps, C 40 Mb/s with $unknown unknown step(s) at the restart, max $max"
r=$(rate "$data/rrd/interfaces/A/xe-0%2F0%2F4.rrd" in_bits 16000000) || fail "A xe-0/0/4 across the re-index: $r"
read -r known unknown max <<<"$r"
[ "$known" -ge 6 ] || fail "A xe-0/0/4: $known known steps across the re-index"

# the exact totals: the same steps, integers
"$flowtally" snmp totals -d "$data" --json >"$tmp/tot.json" || fail "snmp totals failed"
jq -e '.bad_lines == 0 and (.interfaces | length) == 6' "$tmp/tot.json" >/dev/null || fail "totals: $(cat "$tmp/tot.json")"
jq -e '.interfaces[] | select(.device == "B") | .unknown.no_answer >= 2' "$tmp/tot.json" >/dev/null ||
	fail "B's steps while its agent was away are not in the totals as no_answer: $(jq -c '.interfaces[] | select(.device == "B")' "$tmp/tot.json")"
jq -e '.interfaces[] | select(.device == "A" and .interface == "xe-0/0/0") |
       (.in_octets / .known_steps) as $per | ($per >= 25000000 * 0.99 and $per <= 25000000 * 1.01)' "$tmp/tot.json" >/dev/null ||
	fail "totals of A xe-0/0/0: $(jq -c '.interfaces[0]' "$tmp/tot.json")"
# each known step of the RRD equals the totals' step: the file's sum of known steps
rrd_sum=$(awk '$2 == "in_bits" && $3 != "U" { s += $3 / 8 } END { printf "%.0f\n", s }' < <("$rrd_dump" \
	"$data/rrd/interfaces/A/xe-0%2F0%2F0.rrd" 2 $((t0 - 4)) $((t1 + 4))))
tot=$(jq '.interfaces[] | select(.device == "A" and .interface == "xe-0/0/0") | .in_octets' "$tmp/tot.json")
[ "$rrd_sum" = "$tot" ] || fail "A xe-0/0/0: the RRD's known steps sum to $rrd_sum octets, the totals to $tot"
note "exact totals: A xe-0/0/0 $tot octets in, equal to the RRD's known steps"

# ---- 3. a restart of flowtallyd: the interval over it is booked, nothing twice ----------
[ -s "$data/state/snmp.json" ] || fail "no state/snmp.json saved at the stop"
rm -f "$data/stats.json"
start_daemon "$flowtallyd" "$tmp/ft.conf" "$tmp/d2.log"
wait_for grep -q 'SNMP poller' "$tmp/d2.log" || true
[ ! -e "$data/state/snmp.json" ] || fail "state/snmp.json not taken at the start"
grep -q 'interface reading(s) restored' "$tmp/d2.log" || fail "no readings restored: $(grep snmp "$tmp/d2.log")"
wait_polls A 4
stop_daemon || fail "flowtallyd exited with an error after the restart"
t2=$(date +%s)
"$rrd_dump" "$data/rrd/interfaces/A/xe-0%2F0%2F0.rrd" 2 $((t0 - 4)) $((t2 + 4)) >"$tmp/dump2.txt"
gaps=$(awk '$2 == "in_bits" { if ($3 == "U") { if (k) pend++ } else { u += pend; pend = 0; k++ } }
            END { print u + 0 }' "$tmp/dump2.txt")
[ "$gaps" = 0 ] || fail "A xe-0/0/0: $gaps unknown step(s) between known ones across the restart"
dups=$(cut -f2-4 "$data"/interfaces/*.tsv | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups interface step(s) recorded twice across the restart"
r=$(rate "$data/rrd/interfaces/A/xe-0%2F0%2F0.rrd" in_bits 100000000) || fail "A xe-0/0/0 after the restart: $r"
note "flowtallyd restarted: the readings restored, no unknown step at the restart, no step twice"
echo "snmp: ok"
