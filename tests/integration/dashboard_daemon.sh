#!/usr/bin/env bash
# flowtallyd's dashboard redraws (collector/daemon/dashboard.c), with dashboard_command
# pointing to a stub written here, which records each run (start and end times, argv,
# uid, nice value, process group) and does what $tmp/rec/mode says:
#  1. dashboard_interval = 0: nothing is ever run, stats.json has no "dashboard";
#  2. a SIGHUP sets 1 s: runs one second apart, argv `dashboard -c CONF --out
#     DATA/dashboard --quiet`, nice 10 (the daemon's other threads 0), a process group
#     of its own; as root with
#     user = "nobody", run as nobody; counted in stats.json, "drawn" in the log;
#  3. a stub that exits 3 saying why: logged at warning with its stderr, counted; a
#     reload to a command that does not exist: a failure, said with the reason;
#  4. a stub that takes 2.5 s: stdin and stdout /dev/null, stderr a pipe, no other
#     descriptor (none of the daemon's sockets, eventfds, files); never two at once,
#     the runs due meanwhile skipped and counted;
#  5. a SIGHUP to 2 s: the runs after it come two seconds apart;
#  6. SIGTERM while a stub that ignores SIGTERM runs: flowtallyd is gone within 3 s
#     and leaves no process of the stub's group behind;
#  7. a stub that hangs, ignoring SIGTERM, with a CPU hog per processor: killed at its
#     bound (30 s), counted as failed and killed; while it hogs, 300000 NetFlow records
#     sent are every one counted, with no kernel drop; then a plain run (sleep) has
#     no signal blocked and SIGPIPE not ignored (the daemon's threads have both), and at
#     the stop ends by SIGTERM;
#  8. when this build has `flowtally dashboard`: the real command, found beside
#     flowtallyd in the build tree (no dashboard_command), draws
#     DATA/dashboard/index.html, then graphs once the traffic's step is in the RRD files.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi
      [ -z "${pg:-}" ] || kill -KILL -- "-$pg" 2>/dev/null || true
      [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
rec=$tmp/rec
mkdir "$rec"
chmod 0777 "$rec"
data=$tmp/data

cat >"$rec/stub" <<STUB
#!/bin/sh
# stand-in for flowtally dashboard: records the run, then does what mode says.  Shell
# builtins only until the record is written: at nice 10 on a busy machine every process
# it started would make it slower to say it ran.
d=$rec
read -r mode arg <"\$d/mode"
read -r stat </proc/\$\$/stat
# after "pid (stub)", field 3 of stat(5) is \$1: pgid \$3, nice \$17, start time \$20 (in
# clock ticks since boot: the fork, which the daemon's timer controls)
args="\$*"
set -- \${stat#*) }
pgid=\$3 nice=\${17} forked=\${20}
while read -r k v rest; do [ "\$k" = Uid: ] && uid=\$v; done </proc/\$\$/status
printf 'start %s pid=%s pgid=%s uid=%s nice=%s args=%s\n' "\$forked" \$\$ "\$pgid" "\$uid" "\$nice" "\$args" >>"\$d/runs"
end() { read -r up rest </proc/uptime; printf 'end %s pid=%s\n' "\$up" \$\$ >>"\$d/runs"; }
case \$mode in
exit)	if [ "\$arg" != 0 ]; then
		echo "stub: failing with status \$arg on purpose" >&2
		echo "second line" >&2
	fi
	end
	exit "\$arg" ;;
sleep)	sleep "\$arg"
	end ;;
execsleep)	exec sleep "\$arg" ;;   # a program that leaves its signal mask as it found it
hang)	trap '' TERM
	i=0
	while [ "\$i" -lt "\$arg" ]; do
		( while :; do :; done ) &
		i=\$((i + 1))
	done
	while :; do sleep 0.2; done ;;
esac
exit 0
STUB
chmod 0755 "$rec/stub"
setmode() { echo "$*" >"$rec/mode"; }

user_line=
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$rec/stub" 2>/dev/null; then
	user_line='user = "nobody";'
	want_uid=65534
else
	want_uid=$(id -u)
fi

conf() {  # INTERVAL [COMMAND]
	cat >"$tmp/ft.conf" <<CONF
listen = ["127.0.0.1:0"];
exporters = ["127.0.0.1"];
data_dir = "$data";
receive_buffer = 33554432;
stats_interval = 1;
log_level = "info";
rrd = false;
$user_line
dashboard_interval = $1;
dashboard_command = "${2:-$rec/stub}";
CONF
	chmod 0644 "$tmp/ft.conf"
}
runs() { local n; n=$(grep -c '^start' "$rec/runs" 2>/dev/null) || true; echo "${n:-0}"; }
stat_of() { jq -r ".dashboard.$1" "$data/stats.json"; }
# for wait_for, which runs its command again each time
runs_ge() { [ "$(runs)" -ge "$1" ]; }
stat_ge() { [ "$(stat_of "$1")" -ge "$2" ] 2>/dev/null; }
records_ge() { [ "$(jq '.totals.records' "$data/stats.json")" -ge "$1" ]; }
# starts: the start times, one a line, from line N of the runs on
hz=$(getconf CLK_TCK)
starts_from() { grep '^start' "$rec/runs" | tail -n +"$1" | awk -v hz="$hz" '{ printf "%.2f\n", $2 / hz }'; }
# on_grid INTERVAL TIMES...: the runs of a periodic timer: every gap between
# consecutive times is a whole number k >= 1 of intervals (k > 1: runs skipped, or a
# machine so busy that a run took longer than the interval), within 45 % of one, and
# most gaps are one interval.  Each time is the fork's, late by however long the
# thread, at nice 10, waited for a processor.
on_grid() {
	local i=$1; shift
	printf '%s\n' "$@" | awk -v i="$i" 'NR > 1 { g = ($1 - p) / i; k = int(g + 0.5); n++
		if (k < 1 || g - k > 0.45 || k - g > 0.45) { print "gap " $1 - p; bad = 1 } else if (k == 1) ones++ }
		{ p = $1 } END { if (ones * 2 <= n) { print "most gaps not one interval"; bad = 1 }; exit bad }'
}
# group_alive PGID: a process of that group still exists
group_alive() {
	local f
	for f in /proc/[0-9]*/stat; do
		[ "$(cut -d' ' -f5 "$f" 2>/dev/null)" = "$1" ] && return 0
	done
	return 1
}
group_gone() { ! group_alive "$1"; }

# 1. interval 0: nothing runs
setmode exit 0
conf 0
start_daemon "$ftd" "$tmp/ft.conf" "$tmp/d.log"
sleep 2.5
[ ! -e "$rec/runs" ] || fail "dashboard_interval = 0 ran the command: $(cat "$rec/runs")"
[ "$(jq 'has("dashboard")' "$data/stats.json")" = false ] || fail "stats.json has a dashboard object with the interval 0"
note "1. dashboard_interval = 0: nothing run in 2.5 s, no dashboard object"

# 2. SIGHUP to 1 s: runs a second apart, as specified
conf 1
kill -HUP "$dpid"
wait_for runs_ge 4 || { cat "$tmp/d.log" >&2; fail "fewer than 4 runs within 10 s of dashboard_interval = 1"; }
mapfile -t t < <(starts_from 1)
on_grid 1 "${t[@]:0:4}" || fail "runs not a second apart: ${t[*]}"
line=$(grep -m1 '^start' "$rec/runs")
want_args="args=dashboard -c $tmp/ft.conf --out $data/dashboard --quiet"
[ "${line#* * * * * * }" = "$want_args" ] || fail "argv: '${line#* * * * * * }', not '$want_args'"
pid=$(sed 's/.* pid=\([0-9]*\) .*/\1/' <<<"$line")
grep -q " pgid=$pid uid=$want_uid nice=10 " <<<"$line" ||
	fail "the run is not in its own group as uid $want_uid at nice 10: $line"
# nice +10 is the redraw thread's and its children's alone
nices=$(for f in /proc/"$dpid"/task/*/stat; do read -r l <"$f"; set -- ${l#*) }; echo "${17}"; done | sort | uniq -c | tr -s ' ' | tr '\n' ,)
[ "$nices" = " $(($(ls /proc/"$dpid"/task | wc -l) - 1)) 0, 1 10," ] || fail "the daemon's threads' nice values: $nices"
wait_for stat_ge renders 3 || fail "stats.json counts $(stat_of renders) renders"
[ "$(stat_of failures)" = 0 ] && [ "$(stat_of last_result)" = ok ] && [ "$(stat_of last_exit_status)" = 0 ] &&
	[ "$(stat_of interval_s)" = 1 ] || fail "stats.json: $(jq -c .dashboard "$data/stats.json")"
grep -q 'dashboard: drawn in [0-9]* ms into' "$tmp/d.log" || fail "no 'drawn' line in the log"
note "2. interval 1 s: starts ${t[*]:0:4}; argv, uid $want_uid, nice 10 (threads:$nices), own group; counted"

# 3. a failing run: logged at warning with its stderr, counted
setmode exit 3
wait_for stat_ge failures 1 || fail "a run exiting 3 is not counted as failed"
wait_for grep -q 'warning\] dashboard: render failed: exit status 3 after' "$tmp/d.log" ||
	{ cat "$tmp/d.log" >&2; fail "the failure is not logged at warning"; }
grep -q 'warning\] dashboard:   stub: failing with status 3 on purpose' "$tmp/d.log" || fail "its stderr is not logged"
[ "$(stat_of last_exit_status)" = 3 ] && [ "$(stat_of last_result)" = "exit status 3" ] ||
	fail "stats.json: $(jq -c .dashboard "$data/stats.json")"
note "3. exit 3: logged at warning with its standard error, $(stat_of failures) failure(s) counted"

# 3b. a command that does not exist: a failure, said with the reason, then back
conf 1 "$rec/missing"
kill -HUP "$dpid"
wait_for grep -q "warning\] dashboard: render failed: cannot run $rec/missing: No such file or directory" "$tmp/d.log" ||
	{ tail -3 "$tmp/d.log" >&2; fail "a missing command is not said"; }
wait_for stat_ge failures 2 || fail "a missing command is not counted as a failure"
[ "$(stat_of last_exit_status)" = null ] || fail "stats.json: $(jq -c .dashboard "$data/stats.json")"
conf 1
kill -HUP "$dpid"
note "3b. a missing command: said and counted ($(stat_of last_result))"

# 4. a run longer than the interval: never two at once, skips counted
setmode sleep 2.5
n0=$(runs)
wait_for runs_ge $((n0 + 1)) || fail "no 2.5 s run started"
sleep 0.3
pid=$(grep '^start' "$rec/runs" | tail -1 | sed 's/.* pid=\([0-9]*\) .*/\1/')
fds=$(for f in /proc/"$pid"/fd/*; do printf '%s %s\n' "${f##*/}" "$(readlink "$f")"; done)
[ "$(awk '$1 == 0 {print $2}' <<<"$fds")" = /dev/null ] || fail "stdin is not /dev/null: $fds"
[ "$(awk '$1 == 1 {print $2}' <<<"$fds")" = /dev/null ] || fail "stdout is not /dev/null: $fds"
awk '$1 == 2 {print $2}' <<<"$fds" | grep -q '^pipe:' || fail "stderr is not a pipe: $fds"
[ "$(awk '$1 > 2 && $2 != "'"$rec/stub"'"' <<<"$fds")" = "" ] || fail "the run has other descriptors: $fds"
note "   the run's descriptors: $(tr '\n' ' ' <<<"$fds")"
wait_for stat_ge skipped 3 || fail "no runs skipped while one ran 2.5 s: $(jq -c .dashboard "$data/stats.json")"
wait_for runs_ge $((n0 + 2)) || fail "the runs stopped"
grep 'dashboard: the render started .* still runs' "$tmp/d.log" >/dev/null || fail "the skip is not said"
awk '/^start/ { if (open) { print "overlap at " $2; bad = 1 } open = 1 } /^end/ { open = 0 } END { exit bad }' "$rec/runs" ||
	fail "two runs at once"
note "4. 2.5 s runs every second: no overlap, $(stat_of skipped) skipped"

# 5. SIGHUP to 2 s
setmode exit 0
conf 2
sleep 2.6                      # the last 2.5 s run ends
kill -HUP "$dpid"
n0=$(runs)
wait_for runs_ge $((n0 + 1)) || fail "no run after the reload"
n1=$(runs)
for _ in 1 2 3; do wait_for runs_ge $((n1 + 1)) || fail "the runs stopped after the reload"; n1=$(runs); done
mapfile -t t < <(starts_from $((n0 + 1)))
on_grid 2 "${t[@]}" || fail "runs after the reload to 2 s not two seconds apart: ${t[*]}"
[ "$(stat_of interval_s)" = 2 ] || fail "stats.json: interval_s $(stat_of interval_s)"
grep -q 'dashboard: redrawn every 2 s from now on' "$tmp/d.log" || fail "the new interval is not said"
note "5. reload to 2 s: starts ${t[*]}"

# 6. SIGTERM during a run that ignores SIGTERM: gone within 3 s, nothing left
setmode hang 1
n0=$(runs)
wait_for runs_ge $((n0 + 1)) || fail "no hanging run started"
sleep 0.3
pg=$(grep '^start' "$rec/runs" | tail -1 | sed 's/.* pgid=\([0-9]*\) .*/\1/')
group_alive "$pg" || fail "the hanging run's group $pg is not there"
t0=$(date +%s%N)
stop_daemon || fail "flowtallyd exited with status $? at the stop"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 3000 ] || fail "the stop took $ms ms with a run going"
# SIGKILL is sent before flowtallyd exits; the kernel may take a moment to end them
for _ in $(seq 20); do group_alive "$pg" || break; sleep 0.1; done
! group_alive "$pg" || fail "processes of the run's group $pg outlived flowtallyd by 2 s"
pg=
grep -q 'dashboard: the render in progress was ended at the stop (killed by SIGKILL)' "$tmp/d.log" ||
	{ tail "$tmp/d.log" >&2; fail "the end of the run at the stop is not said"; }
note "6. stop during a run ignoring SIGTERM: $ms ms, its process group gone"

# 7. a hung run with a CPU hog per processor: the receive path counts everything, and
#    the run is killed at its bound
rm -f "$rec/runs" "$data/stats.json"     # start_daemon waits for a new stats.json
setmode hang "$(nproc)"
conf 1
start_daemon "$ftd" "$tmp/ft.conf" "$tmp/d7.log"
port=$(jq '.listeners[0].port' "$data/stats.json")
wait_for runs_ge 1 || fail "no run started"
t_start=$(starts_from 1)
sleep 0.5
pg=$(grep '^start' "$rec/runs" | sed 's/.* pgid=\([0-9]*\) .*/\1/')
before=$(jq '.totals.records' "$data/stats.json")
"$ft" generate --summary --rate 1000000 --to "127.0.0.1:$port" --records 300000 --exporters 4 --seed 7 >"$tmp/gen.json"
want=$(jq '.records' "$tmp/gen.json")
wait_for records_ge $((before + want)) ||
	fail "records counted: $(jq .totals.records "$data/stats.json") of $want sent while the run hogged"
group_alive "$pg" || fail "the hog was not running during the traffic"
[ "$(jq '.totals.records' "$data/stats.json")" = $((before + want)) ] || fail "more records than sent"
[ "$(jq '.totals.kernel_drops' "$data/stats.json")" = 0 ] || fail "kernel drops while the run hogged: $(jq -c .totals "$data/stats.json")"
note "7. $want records sent while $(nproc) CPU hog(s) ran: every one counted, no kernel drop"
setmode execsleep 30           # for the run after the hung one
# bound: max(3 x 1 s, 30 s) = 30 s, then 5 s after SIGTERM a SIGKILL
deadline=$(($(date +%s) + 45))
until [ "$(stat_of killed)" = 1 ] || [ "$(date +%s)" -gt "$deadline" ]; do sleep 0.5; done
[ "$(stat_of killed)" = 1 ] || fail "the hung run was not killed within 45 s: $(jq -c .dashboard "$data/stats.json")"
took=$(awk -v a="$t_start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')   # seconds since boot both
awk -v t="$took" 'BEGIN { exit !(t >= 34 && t <= 40) }' || fail "killed $took s after its start, not 35 (30 + 5)"
[ "$(stat_of failures)" = 1 ] && [ "$(stat_of renders)" = 1 ] && [ "$(stat_of last_signal)" = 9 ] &&
	[ "$(stat_of skipped)" -ge 30 ] || fail "stats.json: $(jq -c .dashboard "$data/stats.json")"
grep -q 'warning\] dashboard: render failed: still running at its bound of 30 s: killed by SIGKILL' "$tmp/d7.log" ||
	fail "the kill is not logged"
"$ft" status -d "$data" | grep -Eq '^dashboard: every 1 s(, one running now)?, 1 renders, 1 failed \(1 killed at the bound\), ' ||
	{ "$ft" status -d "$data" | grep dashboard >&2; fail "flowtally status does not show the redraws"; }
wait_for group_gone "$pg" ||
	fail "the hung run's processes outlived its kill"
pg=
note "7. hung run killed ${took} s after its start (SIGTERM ignored), $(stat_of skipped) runs skipped meanwhile"
# a run that does not ignore SIGTERM ends by it at the stop: the daemon's blocked
# signals and ignored SIGPIPE are not the child's
wait_for runs_ge 2 || fail "no run after the killed one"
sleep 0.3
pid=$(grep '^start' "$rec/runs" | tail -1 | sed 's/.* pid=\([0-9]*\) .*/\1/')
st=$(grep -E '^(Name|SigBlk|SigIgn):' /proc/"$pid"/status | tr '\n' ' ')
grep -q 'Name:	sleep SigBlk:	0000000000000000 ' <<<"$st" || fail "the run blocks signals: $st"
(( (0x$(awk '$1 == "SigIgn:" {print $2}' /proc/"$pid"/status) & 0x1000) == 0 )) || fail "the run ignores SIGPIPE: $st"
t0=$(date +%s%N)
stop_daemon || fail "flowtallyd exited with status $?"
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q 'dashboard: the render in progress was ended at the stop (killed by SIGTERM)' "$tmp/d7.log" ||
	{ tail -3 "$tmp/d7.log" >&2; fail "a run at the stop did not end by SIGTERM"; }
note "7. a plain run: no signal blocked, SIGPIPE not ignored; at the stop ended by SIGTERM, flowtallyd gone in $ms ms"

# 8. the real command
"$ft" dashboard --help >/dev/null 2>&1 || fail "this build's flowtally has no dashboard command"
rm -rf "$data"
cat >"$tmp/real.conf" <<CONF
listen = ["127.0.0.1:0"];
exporters = ["127.0.0.1"];
data_dir = "$data";
stats_interval = 1;
log_level = "info";
step = 5;
lateness = 0;
$user_line
dashboard_interval = 2;
CONF
chmod 0644 "$tmp/real.conf"
start_daemon "$ftd" "$tmp/real.conf" "$tmp/d8.log"
port=$(jq '.listeners[0].port' "$data/stats.json")
"$ft" generate --rate 100000 --to "127.0.0.1:$port" --records 3000 --seed 8 >/dev/null 2>&1 ||
	fail "flowtally generate failed"
deadline=$(($(date +%s) + 60))
until [ -s "$data/dashboard/index.html" ] || [ "$(date +%s)" -gt "$deadline" ]; do sleep 0.5; done
[ -s "$data/dashboard/index.html" ] || { cat "$tmp/d8.log" >&2; fail "no $data/dashboard/index.html within 60 s"; }
wait_for stat_ge renders 1 || fail "no render counted"
# once the step of the traffic is closed and in the RRD files, a render draws graphs
until compgen -G "$data/dashboard/img/*.png" >/dev/null || [ "$(date +%s)" -gt "$deadline" ]; do sleep 0.5; done
compgen -G "$data/dashboard/img/*.png" >/dev/null || { cat "$tmp/d8.log" >&2; ls -R "$data" >&2; fail "no graph drawn within 60 s"; }
[ "$(stat_of failures)" = 0 ] || { cat "$tmp/d8.log" >&2; fail "the real command failed: $(jq -c .dashboard "$data/stats.json")"; }
stop_daemon || fail "flowtallyd exited with status $?"
note "8. the real flowtally dashboard, run by flowtallyd, drew index.html and $(ls "$data/dashboard/img" | grep -c '\.png$') graph(s) (last run $(stat_of last_duration_ms) ms)"
echo "dashboard_daemon: ok"
