#!/usr/bin/env bash
# RRD output at scale: how long flowtallyd's writer takes to update 10,000 RRD files of
# six data sources every step, written directly and through rrdcached, while it
# receives 1 M NetFlow v5 records/s over loopback without loss; how long the naive way
# takes for the same updates (one `rrdtool update` process per file); and, since the
# 10,000 files are made with one-day archives to fit on the disk, what an update costs
# with the real layout next to that one.  Run by hand, as root (niceness, the receive
# buffer).  It is a benchmark, not a test: it exits 0 whether or not the goals are met.
#
# The files.  A tenant map of T tenants (-t, default 1,667), each owning one /20 of
# 10.0.0.0/9, and three classes (psn, hscn, janet: 10.128.0.0/11, 10.160.0.0/11,
# 10.192.0.0/11; 10.224.0.0/11 and the /20s nobody owns are the internet), so that
# every tenant has five classes (the three, partner and internet) and T × 6 files
# (tenants/T.rrd and tenants/T/C.rrd), plus unattributed.rrd, total.rrd, one file per
# exporter (two) and collector.rrd: 10,007 files by default, all updated every step
# (a file known to the sink that had nothing in a step gets zeros).  flowtallyd runs
# with FT_RRD_BENCH_SHORT=1 (rrd.h): every archive keeps one day, about 0.45 MB a
# file instead of 14 MB, 4.5 GB in all; the real layout would take 140 GB.
#
# The traffic.  Two `flowtally generate` processes (seeds 1 and 2; from 127.0.0.1 and
# 127.0.0.2, two exporters) each send 0.5 M records/s (-r) to 127.0.0.1:PORT with
# sources and destinations drawn from all of 10.0.0.0/8: a generator sends a pool of
# about 123,000 records round and round, and two pools make every tenant and class
# cell appear within the first full step (one pool would leave a few of the rarer
# classes' files out).  flowtallyd is pinned to CPU 0 (every thread: the receive
# thread shares the CPU with the writer), the generators to CPU 1, all at niceness
# -N.  Steps are -s seconds (default 10) with 2 seconds of lateness.
#
# The measurement, for each mode (direct: librrd on the files; rrdcached: a real
# rrdcached started here on a UNIX socket under the work directory, -B -F -w 60 -z
# 30, so that it writes the files out during the run as it would in service, stopped
# by its PID, which flushes what it holds):  flowtallyd is started on the store, the
# generators are started, and stats.json (rewritten every second) is read four times
# a second.  sinks.rrd.last_write_ms is the writer's time for the last step it gave
# the RRD sink; a step is counted once the number of files the sink knows has stopped
# growing (the step that creates them, in direct mode, or that looks at each once
# before its first update, in rrdcached mode, is not), up to -n steps.  Then the
# generators are stopped, the socket drained, flowtallyd's peak resident memory read
# (VmHWM in /proc/PID/status), flowtallyd stopped, and its stats.json totals
# (records, packets, bytes) compared with the generators' reports: the mode is
# lossless when they are equal and the kernel dropped nothing.  The rrdcached mode
# updates the files the direct mode made; at the end total.rrd's last update (after
# rrdcached's flush) must be the last step's end.
#
# The naive way: a copy of the store (the same files), written out to disk, then one
# `rrdtool update FILE TIME:V:V:V:V:V:V` process per file from a shell loop, pinned to
# CPU 0 at the same niceness and with nothing else running (in its favour), timed from
# the first to the last.  Its time over the writer's median per step is the ratio.
#
# The layout check: tests/bench/bench_rrd_layout creates -L files (default 300) of the
# real layout and as many of the short one through the store the sink writes with
# (store.c, librrd), writes them out to disk, and updates each 60 times, one step
# apart; the median per-file update time of both is printed, with their ratio and, if
# the short layout turns out cheaper, the writer's median scaled up by it.  Pages the
# 10,000 real files would not keep in memory are beyond what this shows.
#
# Goals: writer under 2 s per step (direct and rrdcached), lossless at 1 M records/s,
# VmHWM under 128 MB, naive / flowtally at least 10.
set -euo pipefail

prog=rrd
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/bench/ingest_lib.sh
. "$top/tests/bench/ingest_lib.sh"

usage() {
	cat <<EOF
Usage: tests/bench/rrd.sh [OPTION]...
Measure flowtallyd's RRD writer on about 10,000 files, directly and through rrdcached,
at 1 M records/s of ingest, against one rrdtool update process per file; print a table
and whether the goals are met.  Exits 0 either way.

Options
  -B DIR     build directory, relative to the repository or absolute (default
             build-release; set up with --buildtype=release and built if missing)
  -u         bring the build directory up to date (ninja) first
  -t N       tenants (default 1667: 10,002 tenant files, 10,007 in all); 10..2048
  -s SECS    step (default 10; one the archives take: divides 300)
  -n N       steps measured per mode (default 6)
  -r RATE    records/s in all, k and M suffixes (default 1M), shared by two generators
  -L N       files of each layout in the layout check (default 300; 0: skipped)
  -m MODES   modes to measure (default direct,rrdcached)
  -N NICE    niceness of flowtallyd, the generators and the naive loop (default -10
             as root, else 0)
  -w SECS    patience with other work (default 60): each mode first waits for the
             CPUs to be quiet
  -p PORT    UDP port on 127.0.0.1 (default 39071; must be free)
  -h         show this help

Needs 2 CPUs, jq, taskset, rrdtool and rrdcached (Debian packages rrdtool, rrdcached),
and about 10 GB + 4.5 GB free under \$TMPDIR (default /tmp); everything it makes there
is removed at exit.  A run takes 6-10 minutes with the defaults.

Exit status
  0 when the measurements ran, whether or not the goals are met; 1 when something
  kept them from running; 2 for usage errors.
EOF
}

usage_error() { echo "$prog: $*" >&2; exit 2; }

build=build-release update='' tenants=1667 step=10 want_steps=6 rate=1M layout_files=300
modes=direct,rrdcached niceness='' patience=60 port=39071 lateness=2 rcvbuf=$((8 << 20))
while getopts ":B:t:s:n:r:L:m:N:w:p:uh" o; do
	case $o in
	B) build=$OPTARG ;; t) tenants=$OPTARG ;; s) step=$OPTARG ;; n) want_steps=$OPTARG ;;
	r) rate=$OPTARG ;; L) layout_files=$OPTARG ;; m) modes=$OPTARG ;; N) niceness=$OPTARG ;;
	w) patience=$OPTARG ;; p) port=$OPTARG ;; u) update=1 ;; h) usage; exit 0 ;;
	:) usage_error "-$OPTARG needs a value (try -h)" ;; *) usage_error "unknown option -$OPTARG (try -h)" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_error "unexpected argument '$1' (try -h)"
[[ $tenants =~ ^[0-9]+$ ]] && [ "$tenants" -ge 10 ] && [ "$tenants" -le 2048 ] || usage_error "-t: 10..2048"
[[ $step =~ ^[0-9]+$ ]] && [ "$step" -ge 1 ] && [ $((300 % step)) -eq 0 ] || usage_error "-s: a divisor of 300"
[[ $want_steps =~ ^[0-9]+$ ]] && [ "$want_steps" -ge 1 ] || usage_error "-n: a count from 1"
rate=$(to_count "$rate" 1000) && [ "$rate" -ge 1000 ] || usage_error "-r: a rate from 1k"
[[ $layout_files =~ ^[0-9]+$ ]] || usage_error "-L: a count"
[[ $patience =~ ^[0-9]+$ ]] || usage_error "-w: a whole number of seconds"
[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || usage_error "-p: 1024..65535"
run_modes=()
for m in ${modes//,/ }; do
	case $m in direct | rrdcached) run_modes+=("$m") ;; *) usage_error "-m: direct or rrdcached" ;; esac
done
[ ${#run_modes[@]} -gt 0 ] || usage_error "-m: no mode"
if [ -z "$niceness" ]; then
	niceness=0
	[ "$(id -u)" -ne 0 ] || niceness=-10
fi
[[ $niceness =~ ^-?[0-9]+$ ]] && [ "$niceness" -ge -20 ] && [ "$niceness" -le 19 ] || usage_error "-N: -20..19"

[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (flowtallyd on CPU 0, the generators on CPU 1)"
for p in jq taskset awk rrdtool; do command -v $p >/dev/null || die "$p is not installed"; done
for m in "${run_modes[@]}"; do
	[ "$m" != rrdcached ] || command -v rrdcached >/dev/null ||
		die "rrdcached is not installed (apt-get install rrdcached), or leave it out with -m direct"
done

# ---- build ----

[[ $build == /* ]] || build=$top/$build
ftd=$build/collector/daemon/flowtallyd
ft=$build/collector/cli/flowtally
layout_bench=$build/tests/bench/bench_rrd_layout
if [ ! -f "$build/build.ninja" ]; then
	say "setting up $build (release)"
	meson setup "$build" "$top" --buildtype=release -Dtests=disabled >/dev/null
fi
if [ -n "$update" ] || [ ! -x "$ftd" ] || [ ! -x "$ft" ] || [ ! -x "$layout_bench" ]; then
	ninja -C "$build" >/dev/null || die "build failed in $build"
elif ninja -C "$build" -n 2>/dev/null | grep -v 'Regenerating build files' | grep -q '^\[[0-9]'; then
	say "note: $build is behind the sources; measuring the programs as built (-u rebuilds)"
fi

# ---- run-wide state, undone at exit ----

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-rrd.XXXXXX")
tmp=$(cd "$tmp" && pwd -P)     # rrdcached -B compares real paths
n_files=$((tenants * 6 + 5))
short_mb=$((n_files * 450 / 1000))
need_mb=$((2 * short_mb + layout_files * 15 + 1000))
avail_mb=$(df -Pm "$tmp" | awk 'NR == 2 { print $4 }')
if [ "$avail_mb" -lt "$need_mb" ]; then
	rmdir "$tmp"
	die "needs about $need_mb MB free under ${TMPDIR:-/tmp}, has $avail_mb MB"
fi
cpid='' dpid='' gens=()
cleanup() {
	local k
	for k in "${gens[@]}" $cpid $dpid; do kill -KILL "$k" 2>/dev/null || true; done
	for k in "${gens[@]}" $cpid $dpid; do wait "$k" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_hex=$(printf '%04X' "$port")
store=$tmp/store
sock=$tmp/rrdcached.sock
mkdir -p "$store"

# ---- the configuration ----

ft_conf() {  # DIR MODE
	{
		echo "listen = [\"127.0.0.1:$port\"];"
		echo 'exporters = ["127.0.0.1", "127.0.0.2"];'
		echo "data_dir = \"$1/data\";"
		echo "receive_buffer = $rcvbuf;"
		echo 'receive_threads = 1;'
		echo 'log_level = "notice";'
		echo 'stats_interval = 1;'
		echo "step = $step;"
		echo "lateness = $lateness;"
		echo 'rrd = true;'
		echo "rrd_dir = \"$store\";"
		[ "$2" != rrdcached ] || echo "rrdcached = \"unix:$sock\";"
		echo 'sink_queue = 64;'
		echo 'address_space = [ "10.0.0.0/8" ];'
		echo 'classes = ('
		echo '  { name = "psn"; prefixes = [ "10.128.0.0/11" ]; },'
		echo '  { name = "hscn"; prefixes = [ "10.160.0.0/11" ]; },'
		echo '  { name = "janet"; prefixes = [ "10.192.0.0/11" ]; }'
		echo ');'
		echo 'tenants = ('
		awk -v n="$tenants" 'BEGIN { for (i = 0; i < n; i++)
			printf "  { name = \"t%04d\"; prefixes = [ \"10.%d.%d.0/20\" ]; }%s\n", i + 1,
				int(i / 16), (i % 16) * 16, (i < n - 1 ? "," : "") }'
		echo ');'
	} >"$1/ft.conf"
}
mkdir -p "$tmp/check"
ft_conf "$tmp/check" direct
"$ft" check-config -q "$tmp/check/ft.conf" >"$tmp/check/out" 2>&1 || {
	cat "$tmp/check/out" >&2
	die "flowtallyd rejects the configuration"
}

# ---- helpers ----

# stats DIR: "WRITTEN WRITE_MS FILES UPDATES PENDING FILE_ERRORS DROPPED SKIPPED_OLDER" of
# the RRD sink.
stats() {
	jq -r '.sinks.rrd | "\(.steps_written) \(.last_write_ms) \(.files) \(.updates) \(.steps_pending) \(.file_errors) \(.steps_dropped) \(.skipped_older)"' \
		"$1/data/stats.json" 2>/dev/null || true
}

gone() { ! alive "$1"; }

# stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS; 1 if it had to be killed.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	if ! wait_until "$2" gone "$1"; then
		kill -KILL "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
		return 1
	fi
	wait "$1" 2>/dev/null || true
	return 0
}

# median and max of the numbers given
med_max() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%d %d\n", v[int((NR + 1) / 2)], v[NR]; else print "- -" }'
}

fmt_s() { awk -v ms="$1" 'BEGIN { if (ms ~ /^[0-9.]+$/) printf "%.2f s", ms / 1000; else print "?" }'; }
goal() { awk -v v="$1" -v g="$2" -v op="$3" 'BEGIN {
	if (v !~ /^[0-9.]+$/) print "not measured"
	else if ((op == "<" && v + 0 < g + 0) || (op == ">=" && v + 0 >= g + 0)) print "met"
	else print "NOT met" }'; }

# ---- one mode ----

declare -A m_setup m_counts m_steps m_med m_max m_files m_sent m_got m_drops m_lossless m_hwm m_note m_errors
run_mode() {
	local mode=$1 dir samples=() setup=() line w ms files upd pend errs dropped skipped prev_w=0 prev_files=-1 k=0
	dir=$tmp/$mode
	mkdir -p "$dir"
	ft_conf "$dir" "$mode"
	wait_until 5 port_free || die "127.0.0.1:$port is in use (pick another with -p)"
	wait_quiet
	if [ "$mode" = rrdcached ]; then
		rrdcached -g -l "unix:$sock" -b "$tmp" -B -F -w 60 -z 30 -p "$tmp/rrdcached.pid" \
			-o "$tmp/rrdcached.log" >"$tmp/rrdcached.out" 2>&1 &
		dpid=$!
		wait_until 10 test -S "$sock" || { cat "$tmp/rrdcached.out" >&2; die "rrdcached did not start"; }
	fi
	FT_RRD_BENCH_SHORT=1 nice -n "$niceness" taskset -c 0 "$ftd" --allow-root -f -c "$dir/ft.conf" \
		2>"$dir/log" &
	cpid=$!
	wait_until 10 bound && alive "$cpid" || { cat "$dir/log" >&2; die "flowtallyd did not start"; }
	local half=$((rate / 2)) t0=$SECONDS limit
	gens=()
	nice -n "$niceness" "$ft" generate --to "127.0.0.1:$port" --cpu 1 --batch 64 --seed 1 \
		--rate "$half" --duration 3600 --flow-length 5 --src-prefix 10.0.0.0/8 --dst-prefix 10.0.0.0/8 \
		--summary >"$dir/sent1.json" 2>"$dir/gen1.log" &
	gens+=($!)
	nice -n "$niceness" "$ft" generate --to "127.0.0.1:$port" --source 127.0.0.2 --cpu 1 --batch 64 \
		--seed 2 --rate $((rate - half)) --duration 3600 --flow-length 5 --src-prefix 10.0.0.0/8 \
		--dst-prefix 10.0.0.0/8 --summary >"$dir/sent2.json" 2>"$dir/gen2.log" &
	gens+=($!)
	# the steps that make or look at the files come first: room for them, then -n steps
	limit=$((300 + (want_steps + 3) * step))
	say "$mode: flowtallyd (pid $cpid) on CPU 0, 2 generators at $(fmt_rate "$rate")/s in all on CPU 1;" \
		"waiting for $want_steps steps after the files are made or looked at"
	while [ ${#samples[@]} -lt "$want_steps" ] && [ $((SECONDS - t0)) -lt "$limit" ]; do
		alive "$cpid" || { cat "$dir/log" >&2; die "flowtallyd exited during the $mode run"; }
		line=$(stats "$dir")
		[ -n "$line" ] || { sleep 0.25; continue; }
		read -r w ms files upd pend errs dropped skipped <<<"$line"
		if [ "$w" != "$prev_w" ] && [[ $w =~ ^[0-9]+$ ]]; then
			k=$((k + 1))
			local kind=setup
			if [ "$k" -gt 1 ] && [ "$files" = "$prev_files" ]; then
				samples+=("$ms")
				kind=measured
			else
				setup+=("$ms")
			fi
			say "  $mode: step $w written in $(fmt_s "$ms") ($kind; $files files known, $upd updates," \
				"$pend steps pending, $errs file errors)"
			prev_w=$w prev_files=$files
		fi
		sleep 0.25
	done
	[ ${#samples[@]} -ge "$want_steps" ] || say "warning: $mode: only ${#samples[@]} steps measured in $limit s"
	local g
	for g in "${gens[@]}"; do stop_pid "$g" 10 || say "warning: a generator had to be killed"; done
	gens=()
	wait_until 20 drained || say "warning: flowtallyd did not empty its receive queue in 20 s"
	m_hwm[$mode]=$(awk '$1 == "VmHWM:" { printf "%.0f", $2 / 1024 }' "/proc/$cpid/status")
	m_drops[$mode]=$(sock_drops)
	stop_pid "$cpid" 60 || say "warning: flowtallyd did not stop within 60 s of SIGTERM; killed"
	cpid=
	read -r w ms files upd pend errs dropped skipped <<<"$(stats "$dir")"
	m_files[$mode]=$files m_errors[$mode]=$errs
	m_counts[$mode]="$w steps written, $upd updates, $skipped skipped_older, $errs file_errors, $dropped steps dropped"
	m_steps[$mode]=${#samples[@]}
	m_setup[$mode]=$(for x in "${setup[@]}"; do fmt_s "$x"; done | paste -sd, - | sed 's/,/, /g')
	read -r m_med[$mode] m_max[$mode] <<<"$(med_max "${samples[@]}")"
	local sent got
	sent=$(jq -s -r 'map(.records) | add' "$dir/sent1.json" "$dir/sent2.json")
	sent="$sent $(jq -s -r 'map(.packets) | add' "$dir/sent1.json" "$dir/sent2.json")"
	sent="$sent $(jq -s -r 'map(.bytes) | add' "$dir/sent1.json" "$dir/sent2.json")"
	got=$(jq -r '.totals | "\(.records) \(.packets) \(.bytes)"' "$dir/data/stats.json")
	m_sent[$mode]=${sent%% *} m_got[$mode]=${got%% *}
	m_lossless[$mode]=no
	[ "$sent" != "$got" ] || [ "${m_drops[$mode]}" != 0 ] || m_lossless[$mode]=yes
	[ "$sent" = "$got" ] || say "$mode: sent (records packets bytes) $sent, counted $got"
	m_note[$mode]=''
	if [ "$mode" = rrdcached ]; then
		local f0=$SECONDS last
		stop_pid "$dpid" 300 || say "warning: rrdcached did not stop within 300 s of SIGTERM; killed"
		dpid=
		last=$(rrdtool last "$store/total.rrd" 2>/dev/null || echo "?")
		local want_last
		want_last=$(jq -r '.sinks.rrd.last_step' "$dir/data/stats.json" | xargs -I{} date -u -d {} +%s)
		want_last=$((want_last + step))
		m_note[$mode]="rrdcached's flush at its stop: $((SECONDS - f0)) s; total.rrd last update"
		if [ "$last" = "$want_last" ]; then
			m_note[$mode]="${m_note[$mode]} $last = the last step's end"
		else
			m_note[$mode]="${m_note[$mode]} $last, NOT the last step's end $want_last"
		fi
	fi
	grep -E '\[(err|warning)\]' "$dir/log" | head -n 5 >&2 || true
}

# ---- the measurements ----

patience_used=0 patience_warned=''
say "$(nproc) CPUs, kernel $(uname -r); $tenants tenants, $n_files files expected, step $step s," \
	"lateness $lateness s, $(fmt_rate "$rate") records/s, niceness $niceness; work files in $tmp"
for m in "${run_modes[@]}"; do
	run_mode "$m"
	# the files' writeback is done before the next measurement waits for quiet CPUs
	sync
done

# what the store holds, by kind (tenants' files by class)
store_kinds=$(cd "$store" && { find tenants -mindepth 1 -maxdepth 1 -name '*.rrd' | sed 's/.*/tenant/'
	find tenants -mindepth 2 -name '*.rrd' | sed 's|.*/||; s|\.rrd$||'
	find exporters -name '*.rrd' | sed 's/.*/exporter/'; ls -- *.rrd; } | sort | uniq -c |
	awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
say "the store: $store_kinds"

# the naive way, on a copy of the store
naive_s='' naive_files=0 naive_fail=0
say "naive: copying the store ($(du -sm "$store" | cut -f1) MB) and writing it out"
cp -a "$store" "$tmp/naive"
sync
find "$tmp/naive" -name '*.rrd' | LC_ALL=C sort >"$tmp/naive.list"
naive_files=$(wc -l <"$tmp/naive.list")
cat >"$tmp/naive.sh" <<'EOF'
t=$1 fail=0
s=$EPOCHREALTIME
while IFS= read -r f; do
	if [ "${f##*/}" = total.rrd ]; then v=$t:1:2:3:4:5; else v=$t:1:2:3:4:5:6; fi
	rrdtool update "$f" "$v" || fail=$((fail + 1))
done <"$2"
e=$EPOCHREALTIME
echo "$s $e $fail"
EOF
wait_quiet
say "naive: one rrdtool update per file, $naive_files files, pinned to CPU 0"
read -r ns ne naive_fail <<<"$(nice -n "$niceness" taskset -c 0 bash "$tmp/naive.sh" \
	$(($(date +%s) + step)) "$tmp/naive.list" 2>"$tmp/naive.err")"
naive_s=$(awk -v s="$ns" -v e="$ne" 'BEGIN { printf "%.2f", e - s }')
[ "$naive_fail" = 0 ] || say "naive: $naive_fail updates failed: $(head -n 1 "$tmp/naive.err")"
rm -rf "$tmp/naive" "$store"

# the layout check
declare -A l_line
if [ "$layout_files" -gt 0 ]; then
	for l in real short; do
		mkdir -p "$tmp/layout-$l"
		wait_quiet
		say "layout: $layout_files files of the $l layout, 60 updates each"
		if [ $l = short ]; then
			l_line[$l]=$(FT_RRD_BENCH_SHORT=1 nice -n "$niceness" taskset -c 0 "$layout_bench" \
				"$tmp/layout-$l" "$layout_files" 60 "$step")
		else
			l_line[$l]=$(env -u FT_RRD_BENCH_SHORT nice -n "$niceness" taskset -c 0 "$layout_bench" \
				"$tmp/layout-$l" "$layout_files" 60 "$step")
		fi
		say "  $l: ${l_line[$l]}"
		rm -rf "$tmp/layout-$l"
	done
fi
field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$2"; }

# ---- the table ----

echo
echo "RRD output: $n_files files expected ($tenants tenants x 6, unattributed, total, 2 exporters," \
	"collector), step $step s, one-day archives (FT_RRD_BENCH_SHORT=1), ingest $(fmt_rate "$rate") records/s"
printf '%-10s %-8s %-7s %-22s %-16s %-32s %-10s %s\n' mode steps files "write per step med/max" \
	"goal < 2 s" "records sent / counted" "lossless (1)" "VmHWM (goal < 128 MB)"
for m in "${run_modes[@]}"; do
	printf '%-10s %-8s %-7s %-22s %-16s %-32s %-10s %s\n' "$m" "${m_steps[$m]}" "${m_files[$m]}" \
		"$(fmt_s "${m_med[$m]}") / $(fmt_s "${m_max[$m]}")" \
		"$(goal "$(awk -v x="${m_max[$m]}" 'BEGIN { print (x ~ /^[0-9]+$/ ? x / 1000 : "-") }')" 2 "<") (max)" \
		"${m_sent[$m]} / ${m_got[$m]}" \
		"${m_lossless[$m]}$([ "${m_drops[$m]}" = 0 ] || echo ", ${m_drops[$m]} kernel drops")" \
		"${m_hwm[$m]} MB: $(goal "${m_hwm[$m]}" 128 "<")"
	echo "  $m: the sink: ${m_files[$m]} files, ${m_counts[$m]}; the steps before those" \
		"measured ($([ "$m" = direct ] && echo "the files created" || echo "each file looked at once")):" \
		"${m_setup[$m]:-none seen}"
	[ "${m_files[$m]}" = "$n_files" ] || echo "  note: $m: the sink knew ${m_files[$m]} files, not $n_files ($store_kinds)"
	[ "${m_errors[$m]}" = 0 ] || echo "  note: $m: ${m_errors[$m]} file errors"
	[ -z "${m_note[$m]}" ] || echo "  $m: ${m_note[$m]}"
done
echo "(1) records, packets and bytes of stats.json's totals as the generators sent them, no kernel drops"
echo "rrdcached: -B -F -w 60 -z 30, unpinned; flowtallyd pinned to CPU 0 (the writer shares it with the receive thread)"
echo
per_file=$(awk -v s="$naive_s" -v n="$naive_files" 'BEGIN { printf "%.1f", s * 1000 / n }')
echo "naive: one rrdtool update process per file: $naive_files files in $naive_s s ($per_file ms a" \
	"file, $naive_fail failed)"
for m in "${run_modes[@]}"; do
	r=$(awk -v s="$naive_s" -v ms="${m_med[$m]}" 'BEGIN { if (ms ~ /^[0-9]+$/ && ms > 0) printf "%.1f", s * 1000 / ms; else print "?" }')
	echo "ratio naive / flowtally $m (median step): ${r}x (goal >= 10x: $(goal "$r" 10 ">="))"
done
if [ "$layout_files" -gt 0 ]; then
	echo
	rm_=$(field median_us "${l_line[real]}") sm=$(field median_us "${l_line[short]}")
	echo "layout: one update of a file through the store, median over 60 rounds of $layout_files files:"
	echo "  real layout  ($(awk -v b="$(field bytes "${l_line[real]}")" 'BEGIN { printf "%.1f", b / 1e6 }') MB a file):" \
		"$rm_ µs (first round $(field first_us "${l_line[real]}") µs; creating and writing out the files" \
		"$(field create_s "${l_line[real]}") s)"
	echo "  short layout ($(awk -v b="$(field bytes "${l_line[short]}")" 'BEGIN { printf "%.2f", b / 1e6 }') MB a file):" \
		"$sm µs (first round $(field first_us "${l_line[short]}") µs)"
	awk -v r="$rm_" -v s="$sm" -v d="${m_med[direct]:-}" 'BEGIN {
		q = r / s
		printf "  real / short: %.2f: ", q
		if (q <= 1.1) print "the short layout does not flatter the figures above (within 10 %)"
		else {
			printf "the short layout makes an update cheaper"
			if (d ~ /^[0-9]+$/) printf "; the direct median scaled by it: %.2f s (goal < 2 s: %s)", d * q / 1000, (d * q < 2000 ? "met" : "NOT met")
			print ""
		}
	}'
fi
exit 0
