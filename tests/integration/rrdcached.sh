#!/usr/bin/env bash
# The RRD sink through a real rrdcached, which the test starts itself in a temporary
# directory (foreground, its own journal, base directory, a UNIX socket and a TCP port
# on 127.0.0.1).  Each series is compared with the ledger step by step (rrd_check.sh)
# after rrdcached was told to write what it holds:
#   1. the UNIX socket: one collector, traffic for a few seconds, a clean stop;
#   2. TCP 127.0.0.1: two collectors at once (data directories, listen ports and RRD
#      directories of their own) through the one rrdcached; each has its exporter file;
#   3. rrdcached stopped (SIGTERM) for several steps while the collector receives, then
#      started again on the same socket and journal: the sink waits and retries (write_
#      retries > 0), drops nothing, and the series hold every step of the run;
#   3b. the same with a queue of 2 steps: the oldest are dropped, said and counted, and
#      when rrdcached is back the sink takes the hole from the ledger: nothing lost;
#   4. kill -9 of the collector in the middle of its traffic and a start on the same data
#      directory: no file errors, no update refused as older ("illegal attempt to
#      update"), nothing counted twice;
#   5. `flowtally rrd rebuild` through rrdcached: the series equal the ledger (every
#      file now starts at the first step, so a step before a file was made must read 0),
#      and a second rebuild reads back the same.
# In 1 to 4 the collector makes a file at the first step that has something for it, so
# the steps before read unknown there, which rrd_check.sh allows; an unknown step after
# a file's first value is still a difference.
# KEEP=1 keeps the temporary directory; RRDCACHED_SHARED_VIA=unix runs 2 through the UNIX
# socket instead of TCP.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2 dump=$3
check=$(dirname "$0")/rrd_check.sh
command -v jq >/dev/null || skip "jq is not installed"
command -v rrdcached >/dev/null || skip "rrdcached is not installed (Debian: rrdcached)"
command -v rrdtool >/dev/null || skip "rrdtool is not installed (Debian: rrdtool)"
tmp=$(mktemp -d)
cpid=
# at the end, whatever this shell started that still runs (collectors, generators; a
# job already waited for is not listed), then rrdcached
cleanup() {
	local p
	jobs -p >"$tmp/jobs" 2>/dev/null || true
	while read -r p; do
		[ "$p" = "$cpid" ] || kill -KILL "$p" 2>/dev/null || true
	done <"$tmp/jobs"
	stop_cached >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
STEP=1 LATENESS=2
base=$tmp/base sock=$tmp/rrdcached.sock
mkdir -p "$base" "$tmp/journal"

# ---- rrdcached -------------------------------------------------------------------------

tcp_up() {  # rrdcached answers STATS on its TCP port
	timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && echo STATS >&3 && head -n1 <&3' _ "$cport" 2>/dev/null |
		grep -q 'Statistics follow'
}
cached_up() { kill -0 "$cpid" 2>/dev/null && [ -S "$sock" ] && tcp_up; }
# start_cached [PORT]: rrdcached in the foreground on $sock and 127.0.0.1:PORT (a free
# port when not given: a random one, another when rrdcached cannot listen on it); sets
# $cpid and $cport.
start_cached() {
	for _ in 1 2 3 4 5; do
		cport=${1:-$((20000 + RANDOM % 40000))}
		rrdcached -g -j "$tmp/journal" -b "$base" -p "$tmp/rrdcached.pid" -o "$tmp/rrdcached.log" \
			-l "unix:$sock" -l "127.0.0.1:$cport" >>"$tmp/rrdcached.out" 2>&1 &
		cpid=$!
		for _ in $(seq 50); do
			cached_up && return 0
			kill -0 "$cpid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$cpid" 2>/dev/null || true
		wait "$cpid" 2>/dev/null || true
		cpid=
		[ -z "${1:-}" ] || break
	done
	cat "$tmp/rrdcached.out" "$tmp/rrdcached.log" >&2 2>/dev/null || true
	fail "rrdcached did not start"
}
# stop_cached: SIGTERM, at most 10 s.  What it holds stays in its journal (no -F).
stop_cached() {
	[ -n "$cpid" ] || return 0
	kill -TERM "$cpid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$cpid" 2>/dev/null || { wait "$cpid" 2>/dev/null || true; cpid=; return 0; }
		sleep 0.1
	done
	kill -KILL "$cpid" 2>/dev/null || true
	cpid=
	fail "rrdcached did not stop within 10 s of SIGTERM"
}
# flush DIR: rrdcached writes what it holds of every file under DIR.
flush() {
	local files
	mapfile -t files < <(find "$1" -name '*.rrd' | sort)
	[ "${#files[@]}" -gt 0 ] || fail "no RRD files under $1"
	rrdtool flushcached --daemon "unix:$sock" "${files[@]}" || fail "rrdtool flushcached failed for $1"
}

# ---- flowtallyd ------------------------------------------------------------------------

# The map: alpha sends (10.0.0.0/9), beta receives (192.168.0.0/17), class psn is
# 192.168.192.0/18; the rest of the generator's 10.0.0.0/8 and 192.168.0.0/16 is nobody's.
# alpha's files: internet, partner (to beta), psn; beta's: internet, partner.
# write_conf FILE DATA_DIR RRD_DIR DAEMON [PORT]
write_conf() {
	cat >"$1" <<CONF
listen = ["127.0.0.1:${5:-0}"];
exporters = ["127.0.0.0/8"];
data_dir = "$2";
receive_buffer = 33554432;
stats_interval = 1;
log_level = "info";
step = $STEP;
lateness = $LATENESS;
rrd = true;
rrdcached = "$4";
rrdcached_base = "$base";
rrd_dir = "$3";
sink_queue = ${QUEUE:-256};
classes = ( { name = "psn"; prefixes = [ "192.168.192.0/18" ]; } );
tenants = (
  { name = "alpha"; prefixes = [ "10.0.0.0/9" ]; },
  { name = "beta"; prefixes = [ "192.168.0.0/17" ]; }
);
CONF
}
# ft_start CONF DATA_DIR LOG: flowtallyd in the foreground; sets $pid and $port.
ft_start() {
	rm -f "$2/stats.json"
	"$ftd" --allow-root -f -c "$1" 2>>"$3" &
	pid=$!
	wait_for test -s "$2/stats.json" || { cat "$3" >&2; fail "flowtallyd ($1) did not start"; }
	port=$(jq '.listeners[0].port' "$2/stats.json")
}
# ft_stop PID: SIGTERM, at most 10 s, exit status 0.
ft_stop() {
	kill -TERM "$1"
	for _ in $(seq 100); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1" || fail "flowtallyd $1 exited with status $?"
			return 0
		fi
		sleep 0.1
	done
	kill -KILL "$1"
	fail "flowtallyd $1 did not stop within 10 s of SIGTERM"
}
# gen PORT SECONDS SEED [ARGS...]: short records at 4000 a second, summary on stdout.
gen() {
	local p=$1 s=$2 seed=$3
	shift 3
	"$ft" generate --to "127.0.0.1:$p" --rate 4000 --duration "$s" --flow-length 1 --seed "$seed" \
		--summary "$@" || fail "flowtally generate failed"
}
# caught_up DATA_DIR T: the ledger and the RRD sink have written the step holding T.
caught_up() {
	local want
	want=$(date -u -d "@$2" +%Y-%m-%dT%H:%M:%S.000Z)
	jq -e --arg w "$want" '.sinks.ledger.last_step != null and .sinks.ledger.last_step >= $w and
	       .sinks.rrd.last_step == .sinks.ledger.last_step' "$1/stats.json" >/dev/null 2>&1
}
# wait_caught_up DATA_DIR [SECONDS]: until the step of now (less one second) is written
# to both, or SECONDS (default 15) pass.
wait_caught_up() {
	local t
	t=$(($(date +%s) - 1))
	for _ in $(seq $((${2:-15} * 10))); do
		caught_up "$1" "$t" && return 0
		jq -e '.sinks.rrd | .write_errors == 0 and .file_errors == 0' "$1/stats.json" >/dev/null 2>&1 ||
			[ ! -s "$1/stats.json" ] || fail_sink "$1"
		sleep 0.1
	done
	jq .sinks "$1/stats.json" >&2
	fail "$1: the ledger and the RRD sink did not reach $(date -u -d "@$t" +%T) within ${2:-15} s"
}
rrd_stats() { jq -c '.sinks.rrd' "$1/stats.json"; }
fail_sink() {  # DATA_DIR
	local why=
	! grep -q 'not under rrdcached_base' "$1/stats.json" ||
		why=" (over TCP the paths are sent relative to rrdcached_base)"
	fail "$1: the RRD sink fails$why: $(rrd_stats "$1")"
}
# clean_rrd DATA_DIR: the RRD sink's counters say nothing went wrong.
clean_rrd() {
	jq -e '.sinks.rrd | .write_errors == 0 and .steps_dropped == 0 and .file_errors == 0 and
	       .bad_files == 0 and .skipped_older == 0 and .last_error == "" and .updates > 0 and .files > 0' "$1/stats.json" >/dev/null ||
		fail "$1: the RRD sink reports trouble: $(rrd_stats "$1")"
}
no_refusals() {  # LOG...: no update librrd or rrdcached refused
	! grep -h 'illegal attempt\|\[err\]' "$@" "$tmp/rrdcached.log" >&2 ||
		fail "errors or refused updates logged (above)"
}

# compare WHAT DATA_DIR RRD_DIR [strict]: every series equals the ledger, all nine of them
# (alpha, its three classes, beta, its two, unattributed, total), over three steps or
# more; strict: no step unknown before a file's first value either (RRD_CHECK_STRICT).
compare() {
	local out
	if ! out=$(RRD_CHECK_STRICT=$([ "${4:-}" = strict ] && echo 1 || echo 0) bash "$check" "$ft" "$dump" "$2" "$3" \
		"$STEP" 2>&1); then
		echo "$out" >&2
		fail "$1: the RRD series differ from the ledger"
	fi
	echo "$out" | grep -q ' of 9 series over ' || { echo "$out" >&2; fail "$1: not the nine series expected"; }
	[ "$(echo "$out" | sed -n 's/.* over \([0-9]*\) steps.*/\1/p')" -ge 3 ] || { echo "$out" >&2; fail "$1: too few steps"; }
	[ "$("$ft" ledger show -d "$2" --json | jq .total.bytes)" -gt 0 ] || fail "$1: the ledger holds no traffic"
	note "$1: $out"
}
exporter_files() {  # RRD_DIR: the exporter and collector files exist
	compgen -G "$1/exporters/*.rrd" >/dev/null || fail "$1: no exporters/*.rrd"
	[ -f "$1/collector.rrd" ] || fail "$1: no collector.rrd"
}

start_cached
note "rrdcached pid $cpid on unix:$sock and 127.0.0.1:$cport"

# ---- 1. the UNIX socket ----------------------------------------------------------------
d1=$tmp/one r1=$base/one
write_conf "$tmp/one.conf" "$d1" "$r1" "unix:$sock"
ft_start "$tmp/one.conf" "$d1" "$tmp/one.log"
gen "$port" 4 11 >"$tmp/one.gen"
wait_caught_up "$d1"
clean_rrd "$d1"
ft_stop "$pid"
flush "$r1"
compare "1. unix socket" "$d1" "$r1"
exporter_files "$r1"
no_refusals "$tmp/one.log"
rm -rf "$r1"

# ---- 2. two collectors over TCP at once --------------------------------------------------
da=$tmp/tcp_a db=$tmp/tcp_b ra=$base/tcp_a rb=$base/tcp_b
via=127.0.0.1:$cport
[ "${RRDCACHED_SHARED_VIA:-}" != unix ] || via=unix:$sock
write_conf "$tmp/a.conf" "$da" "$ra" "$via"
write_conf "$tmp/b.conf" "$db" "$rb" "$via"
ft_start "$tmp/a.conf" "$da" "$tmp/a.log"
pa=$pid porta=$port
ft_start "$tmp/b.conf" "$db" "$tmp/b.log"
pb=$pid portb=$port
gen "$porta" 4 21 >"$tmp/a.gen" &
ga=$!
gen "$portb" 4 22 --version 10 --exporters 2 >"$tmp/b.gen" &
gb=$!
wait "$ga" || fail "flowtally generate (a) failed"
wait "$gb" || fail "flowtally generate (b) failed"
wait_caught_up "$da"
wait_caught_up "$db"
clean_rrd "$da"
clean_rrd "$db"
ft_stop "$pa"
ft_stop "$pb"
flush "$ra"
flush "$rb"
compare "2. $via, collector a" "$da" "$ra"
compare "2. $via, collector b" "$db" "$rb"
exporter_files "$ra"
exporter_files "$rb"
[ "$(compgen -G "$rb/exporters/*.rrd" | wc -l)" -ge 2 ] || fail "collector b: not one file for each of its two exporters"
no_refusals "$tmp/a.log" "$tmp/b.log"
rm -rf "$ra" "$rb"

# ---- 3. rrdcached stopped for several steps ----------------------------------------------
d3=$tmp/outage r3=$base/outage
write_conf "$tmp/outage.conf" "$d3" "$r3" "unix:$sock"
ft_start "$tmp/outage.conf" "$d3" "$tmp/outage.log"
gen "$port" 10 31 >"$tmp/outage.gen" &
g=$!
sleep 3
stop_cached
note "3. rrdcached stopped"
sleep 4
[ "$(jq '.sinks.rrd.write_retries' "$d3/stats.json")" -gt 0 ] ||
	fail "3. rrdcached stopped for 4 s, yet no write retried: $(rrd_stats "$d3")"
start_cached "$cport"
note "3. rrdcached started again, pid $cpid"
wait "$g" || fail "flowtally generate failed"
wait_caught_up "$d3" 40
s=$(rrd_stats "$d3")
jq -e '.write_retries > 0 and .steps_dropped == 0 and .write_errors == 0 and .file_errors == 0 and
       .bad_files == 0' <<<"$s" >/dev/null || fail "3. the RRD sink after the outage: $s"
ft_stop "$pid"
flush "$r3"
compare "3. rrdcached stopped and started again ($(jq -r '"\(.write_retries) retries"' <<<"$s"))" "$d3" "$r3"
! grep -h 'illegal attempt' "$tmp/outage.log" "$tmp/rrdcached.log" >&2 || fail "3. refused updates (above)"
rm -rf "$r3"

# ---- 3b. the same with a queue too short for the outage ----------------------------------
# The oldest steps are dropped (loudly, counted), and when rrdcached is back the sink
# takes the hole from the ledger: in the end the series hold every step all the same.
d3b=$tmp/outage-short r3b=$base/outage-short
QUEUE=2 write_conf "$tmp/outage-short.conf" "$d3b" "$r3b" "unix:$sock"
ft_start "$tmp/outage-short.conf" "$d3b" "$tmp/outage-short.log"
gen "$port" 10 35 >"$tmp/outage-short.gen" &
g=$!
sleep 3
stop_cached
sleep 5
start_cached "$cport"
wait "$g" || fail "flowtally generate failed"
wait_caught_up "$d3b" 40
s=$(rrd_stats "$d3b")
jq -e '.steps_dropped > 0 and .caught_up > 0 and .write_errors == 0 and .file_errors == 0' <<<"$s" >/dev/null ||
	fail "3b. a short queue through an outage: $s"
grep -q 'sink queue full' "$tmp/outage-short.log" || fail "3b. the drops were not said"
ft_stop "$pid"
flush "$r3b"
compare "3b. a queue of 2 steps through the outage ($(jq -r '"\(.steps_dropped) dropped, \(.caught_up) taken from the ledger"' <<<"$s"))" "$d3b" "$r3b"
rm -rf "$r3b"

# ---- 4. kill -9 of the collector ---------------------------------------------------------
d4=$tmp/kill r4=$base/kill
write_conf "$tmp/kill.conf" "$d4" "$r4" "unix:$sock"
ft_start "$tmp/kill.conf" "$d4" "$tmp/kill.log"
gen "$port" 6 41 >"$tmp/kill1.gen" &
g=$!
sleep 4
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
wait "$g" || fail "flowtally generate failed"
ft_start "$tmp/kill.conf" "$d4" "$tmp/kill2.log"
grep -q 'did not stop cleanly' "$tmp/kill2.log" || { cat "$tmp/kill2.log" >&2; fail "4. no word of the unclean stop"; }
gen "$port" 3 42 >"$tmp/kill2.gen"
wait_caught_up "$d4"
clean_rrd "$d4"
ft_stop "$pid"
flush "$r4"
compare "4. kill -9 and a start again" "$d4" "$r4"
no_refusals "$tmp/kill2.log"

# ---- 5. rebuild through rrdcached --------------------------------------------------------
# the series of scenario 4, made again from its ledger
snapshot() {  # RRD_DIR OUT: every volume file read back over the ledger's range
	local f lo hi
	lo=$(date -u -d "$("$ft" ledger show -d "$d4" --json | jq -r .first_step)" +%s)
	hi=$(date -u -d "$("$ft" ledger show -d "$d4" --json | jq -r .end)" +%s)
	: >"$2"
	while read -r f; do
		echo "== ${f#"$1"/} $(rrdtool info "$f" | grep '^last_update')" >>"$2"
		"$dump" "$f" "$STEP" $((lo - STEP)) "$hi" >>"$2"
	done < <(find "$1" -name '*.rrd' ! -path '*/exporters/*' ! -name collector.rrd | sort)
}
"$ft" rrd rebuild -q -c "$tmp/kill.conf" >"$tmp/rebuild1.out" 2>&1 ||
	{ cat "$tmp/rebuild1.out" >&2; fail "5. flowtally rrd rebuild failed"; }
flush "$r4"
compare "5. after a rebuild" "$d4" "$r4" strict
snapshot "$r4" "$tmp/rebuild1.dump"
"$ft" rrd rebuild -q -c "$tmp/kill.conf" >"$tmp/rebuild2.out" 2>&1 ||
	{ cat "$tmp/rebuild2.out" >&2; fail "5. the second flowtally rrd rebuild failed"; }
flush "$r4"
snapshot "$r4" "$tmp/rebuild2.dump"
cmp -s "$tmp/rebuild1.dump" "$tmp/rebuild2.dump" ||
	{ diff "$tmp/rebuild1.dump" "$tmp/rebuild2.dump" | head -20 >&2; fail "5. a second rebuild reads back otherwise"; }
note "5. a second rebuild: the same $(grep -c '^==' "$tmp/rebuild1.dump") files, $(wc -l <"$tmp/rebuild1.dump") lines"
! grep -h 'illegal attempt' "$tmp/rebuild1.out" "$tmp/rebuild2.out" "$tmp/rrdcached.log" >&2 || fail "5. refused updates (above)"
rm -rf "$r4"

stop_cached
echo "rrdcached: ok"
