#!/usr/bin/env bash
# Lossless UDP ingest on loopback: for flowtallyd and for nfcapd (nfdump 1.7), in the
# same run, the highest rate (records/s) at which the collector counts every record
# `flowtally generate` sent, and the collector's CPU time per million records at a fixed
# rate.  Run by hand, as root so that the receive buffer can be raised.  It is a
# benchmark, not a test: it exits 0 whether or not the goals are met.
#
# Each trial starts the collector afresh on 127.0.0.1:PORT pinned to CPU 0, sends
# rate × duration records with the generator pinned to CPU 1 (pre-built datagrams,
# sendmmsg batches, token-bucket pacing), waits until the socket's receive queue is
# empty, reads the collector's CPU time, stops it with SIGTERM (it drains the socket and
# writes its counters or its flow file) and compares what it counted with the
# generator's summary.  A rate is lossless when one of its tries (-n) is; the ladder
# of a collector stops at the first rate lossy in every try.
#
# On a shared machine other work would decide the figures: each trial first waits for
# the CPUs to be quiet, collectors and generator run at a raised priority (-N), the CPU
# time that others took during a trial anyway is shown ("others"), and a trial they
# disturbed is run again.  nfcapd writes to tmpfs when it can, so that disk writeback
# (kernel threads, not nfcapd) stays out of both.
#
# The receive buffer lets a collector fall behind unseen: what it has not read when
# the generator stops is read afterwards, and the trial counts as lossless.  So,
# before its ladder, each collector's buffer is measured (the collector is started
# as in a trial, stopped with SIGSTOP and sent more datagrams than fit; what the
# socket kept is what the buffer holds: ingest_lib.sh, hold_probe), every trial
# prints the records it holds as a share of the records the trial sent ("buffer
# could hide 2.7 %"), and the table gives that share at each collector's lossless
# rate, with a warning above 5 %.  The same buffer (-s) is asked for by both
# collectors.
#
# The defaults keep that share at or below 5 % at the rates that matter: the lossless
# rates of the faster collector (5-20 M records/s in v5, 2-12 M in v9 and IPFIX) and
# the CPU measurement at 1 M records/s.  The kernel charges a datagram its truesize,
# 2,304 bytes for the 1,464 bytes of a v5 datagram or the 1,400 of an IPFIX one, so
# -s 8M (16 MiB granted) holds about 7,300 datagrams: 218,000 v5 records, 204,000 v9
# and 138,000 IPFIX ones (18-field template; about 27,000, 25,000 and 17,000 records
# per MiB of -s).  An 8 s trial at 1 M records/s sends 8 M records, of which it can
# hide 2.7 % (v5; 1.7 % IPFIX); at 5 M records/s 0.55 %, at 2 M IPFIX 0.9 %; the 5 %
# are reached only below 0.55 M records/s (v5) or 0.35 M (IPFIX).  The CPU figure is
# thus taken from the ladder's trial at 1 M records/s, with the same duration.  The
# buffer is not made smaller still: 8 MiB is 11 ms of backlog at 20 M v5 records/s,
# room for a scheduling hiccup but not for falling behind.  (The earlier defaults,
# 64 MiB and 3 s, held 1.75 M v5 records: 58 % of a trial at 1 M records/s, 10 % at
# 6 M.)
set -euo pipefail

prog=ingest
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/bench/ingest_lib.sh
. "$top/tests/bench/ingest_lib.sh"

usage() {
	cat <<EOF
Usage: tests/bench/ingest.sh [OPTION]...
Find the highest NetFlow rate that flowtallyd and nfcapd each receive without loss
over 127.0.0.1, and their CPU time per million records at a fixed rate; print a table
and whether flowtallyd meets its goals: a lossless rate >= 3x nfcapd's (when the
generator tops out first, no loss at its ceiling, which the table names) and CPU per
record at the fixed rate <= 1/2 nfcapd's.  Each trial also prints the share of its
records the receive buffer could hide (measured for each collector before its
ladder); the table warns when it is above 5 % at a lossless rate.

  -V VERSION export format the generator sends: 5 (NetFlow v5, 30 records a
             datagram; default), 9 (NetFlow v9) or 10 (IPFIX), the last two with
             the generator's 18-field IPv4 template (resent every 100 datagrams),
             as many records as a 1,464-byte datagram holds
  -B DIR     build directory, relative to the repository or absolute (default
             build-release; set up with --buildtype=release and built if missing)
  -u         bring the build directory up to date (ninja) first
  -d SECS    duration of one trial: each sends rate x SECS records (default 8: with
             the default -s, the buffer can hide at most 2.7 % of a trial at 1M/s
             and 0.55 % at 5M/s; shorter trials let it hide more)
  -r LIST    rate ladder in records/s, ascending, comma-separated; k and M suffixes,
             "max" for as fast as the generator goes (--rate 0, for SECS seconds)
             (default 1M,2M,3M,4M,5M,6M,7M,8M,10M,12M,14M,16M,18M,20M,22M,max)
  -x RATE    fixed rate of the CPU-time measurement (default 1M; taken from the
             ladder's trial at that rate, or run on its own)
  -s BYTES   socket receive buffer for both collectors, k/M/G suffixes allowed
             (default 8M; the kernel grants twice that, 16 MiB, which holds about
             7,300 datagrams: 218,000 v5 records, 138,000 IPFIX ones, 11 ms at
             20M/s).  As root, net.core.rmem_max is raised to it for the run
             (nfcapd -B is capped by it) and restored at exit
  -b N       datagrams per sendmmsg() call of the generator (default 1024; smaller
             batches pace less accurately on a busy machine)
  -n N       tries per rate: a lossy trial is repeated up to N tries in all, and the
             rate counts as lossless if any try is (default 2)
  -w SECS    patience with other work on the machine (default 90): each trial first
             waits for the CPUs to be quiet, and a trial during which other work
             took over 20% of a CPU is run again without using up a try (at most 3
             times per rate); waits and reruns stop when SECS are spent on them
  -p PORT    UDP port on 127.0.0.1 for the collectors, one after the other (default
             39055; must be free)
  -c LIST    collectors to measure (default flowtallyd,nfcapd)
  -N NICE    niceness of the collectors and the generator, the same for both
             collectors (default -10 as root, else 0): other work on the machine
             then takes less of their CPUs
  -f DIR     where nfcapd writes its flow files (default /dev/shm when it has
             1.25 GiB free per second of trial, 10 GiB at -d 8, so that disk
             writeback does not blur the CPU figures; else \$TMPDIR or /tmp)
  -h         show this help

Progress, one line per trial and one per collector for its receive buffer, goes to
standard error; the result table to standard output.  Needs 2 CPUs, jq, taskset, ss,
and nfcapd/nfdump 1.7 for the comparison.  nfcapd's flow files take about 120 bytes
a record, so several GB at its top rates; each is removed after its trial.
EOF
}

build=build-release duration=8 ladder=1M,2M,3M,4M,5M,6M,7M,8M,10M,12M,14M,16M,18M,20M,22M,max cpu_rate=1M
rcvbuf=8M batch=1024 tries=2 port=39055 collectors=flowtallyd,nfcapd update='' patience=90
niceness='' flowdir='' version=5
while getopts ":V:B:d:r:x:s:b:n:p:c:w:N:f:uh" o; do
	case $o in
	B) build=$OPTARG ;; d) duration=$OPTARG ;; r) ladder=$OPTARG ;; x) cpu_rate=$OPTARG ;;
	s) rcvbuf=$OPTARG ;; b) batch=$OPTARG ;; n) tries=$OPTARG ;; p) port=$OPTARG ;;
	c) collectors=$OPTARG ;; w) patience=$OPTARG ;; N) niceness=$OPTARG ;; f) flowdir=$OPTARG ;;
	V) version=$OPTARG ;; u) update=1 ;; h) usage; exit 0 ;;
	:) die "-$OPTARG needs a value (try -h)" ;; *) die "unknown option -$OPTARG (try -h)" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || die "unexpected argument '$1' (try -h)"

case $version in 5 | 9 | 10) ;; *) die "-V: 5, 9 or 10" ;; esac
[[ $duration =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v d="$duration" 'BEGIN { exit !(d > 0) }' ||
	die "-d: '$duration' is not a number of seconds above 0"
rcvbuf=$(to_count "$rcvbuf" 1024) && [ "$rcvbuf" -ge 4096 ] && [ "$rcvbuf" -le $((1 << 30)) ] ||
	die "-s: not a size from 4096 bytes to 1G"
cpu_rate=$(to_count "$cpu_rate" 1000) && [ "$cpu_rate" -gt 0 ] || die "-x: not a rate above 0"
[[ $batch =~ ^[0-9]+$ ]] && [ "$batch" -ge 1 ] && [ "$batch" -le 1024 ] || die "-b: 1..1024"
[[ $tries =~ ^[0-9]+$ ]] && [ "$tries" -ge 1 ] || die "-n: a count from 1"
[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || die "-p: 1024..65535"
[[ $patience =~ ^[0-9]+$ ]] || die "-w: a whole number of seconds"
if [ -z "$niceness" ]; then
	niceness=0
	[ "$(id -u)" -ne 0 ] || niceness=-10
fi
[[ $niceness =~ ^-?[0-9]+$ ]] && [ "$niceness" -ge -20 ] && [ "$niceness" -le 19 ] || die "-N: -20..19"
rates=()
prev=-1
for r in ${ladder//,/ }; do
	v=$(to_count "$r" 1000) || die "-r: '$r' is not a rate (e.g. 2M, 500k, max)"
	[ "$v" -gt 0 ] || [ "$r" = max ] || die "-r: rates must be above 0 (or max)"
	[ "$prev" -ne 0 ] || die "-r: max must come last"
	[ "$v" -eq 0 ] || [ "$v" -gt "$prev" ] || die "-r: the ladder must ascend"
	rates+=("$v")
	prev=$v
done
[ ${#rates[@]} -gt 0 ] || die "-r: empty ladder"
for c in ${collectors//,/ }; do
	case $c in flowtallyd | nfcapd) ;; *) die "-c: unknown collector '$c'" ;; esac
done

[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (collector on CPU 0, generator on CPU 1)"
for p in jq taskset awk; do command -v $p >/dev/null || die "$p is not installed"; done
if [[ ,$collectors, == *,nfcapd,* ]]; then
	command -v nfcapd >/dev/null && command -v nfdump >/dev/null ||
		die "nfcapd/nfdump not installed (apt-get install nfdump), or run with -c flowtallyd"
fi

# ---- build ----

[[ $build == /* ]] || build=$top/$build
ftd=$build/collector/daemon/flowtallyd
ft=$build/collector/cli/flowtally
if [ ! -f "$build/build.ninja" ]; then
	say "setting up $build (release)"
	meson setup "$build" "$top" --buildtype=release -Dtests=disabled >/dev/null
fi
if [ -n "$update" ] || [ ! -x "$ftd" ] || [ ! -x "$ft" ]; then
	ninja -C "$build" >/dev/null || die "build failed in $build"
elif ninja -C "$build" -n 2>/dev/null | grep -q '^\['; then
	say "note: $build is behind the sources; measuring the programs as built (-u rebuilds)"
fi

# ---- run-wide state, undone at exit ----

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-ingest.XXXXXX")
flows=
cpid=''
rmem_old='' rmem_set='' rmem_warned=''
cleanup() {
	if [ -n "$cpid" ]; then kill -KILL "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null; fi
	# Set back only what this run set, not what another run has set since.
	if [ -n "$rmem_old" ] && [ "$(cat /proc/sys/net/core/rmem_max)" = "$rmem_set" ]; then
		echo "$rmem_old" >/proc/sys/net/core/rmem_max || true
	fi
	rm -rf "$tmp"
	if [ -n "$flows" ]; then rm -rf "$flows"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ,$collectors, == *,nfcapd,* ]]; then
	# nfcapd stores at most about 10 M records/s at 120 bytes each.
	if [ -z "$flowdir" ] && [ -w /dev/shm ] && df -Pk /dev/shm | awk -v d="$duration" \
		'NR == 2 { exit !($4 >= 1.25 * d * 1024 * 1024) }'; then
		flowdir=/dev/shm
	fi
	flows=$(mktemp -d "${flowdir:-${TMPDIR:-/tmp}}/ft-ingest-nfcapd.XXXXXX")
fi

ensure_rmem

# ---- helpers ----

port_hex=$(printf '%04X' "$port")

# cpu_ticks PID: utime + stime of the whole process, in clock ticks.
cpu_ticks() {
	local s f
	s=$(cat "/proc/$1/stat") || return 1
	read -r -a f <<<"${s##*) }"
	echo $((f[11] + f[12]))
}

# children_secs FILE: user + system seconds of the waited-for children, from `times`
# run in this shell (not in a subshell, whose counters start at zero).
children_secs() {
	awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }
		printf "%.3f", t }' "$1"
}

# stop_collector: SIGTERM, 30 s to finish (nfcapd writes out its file), then SIGKILL.
# Returns 1 if it had to be killed.
stop_collector() {
	local rc=0
	kill -TERM "$cpid" 2>/dev/null || true
	if ! wait_until 30 eval '! alive "$cpid"'; then
		kill -KILL "$cpid" 2>/dev/null || true
		rc=1
	fi
	wait "$cpid" 2>/dev/null || true
	cpid=
	return $rc
}

start_flowtallyd() {  # DIR
	cat >"$1/ft.conf" <<CONF
listen = ["127.0.0.1:$port"];
exporters = ["127.0.0.1"];
data_dir = "$1/data";
receive_buffer = $rcvbuf;
receive_threads = 1;
log_level = "notice";
CONF
	nice -n "$niceness" taskset -c 0 "$ftd" --allow-root -f -c "$1/ft.conf" 2>"$1/log" &
	cpid=$!
}

start_nfcapd() {  # DIR
	rm -rf "${flows:?}"/*
	# -t 3600: no rotation within a trial; SIGTERM flushes and closes the file.
	nice -n "$niceness" taskset -c 0 nfcapd -w "$flows" -b 127.0.0.1 -p "$port" \
		-B "$rcvbuf" -t 3600 >"$1/log" 2>&1 &
	cpid=$!
}

# received COLLECTOR DIR: records the collector counted (empty if unknown).
received() {
	case $1 in
	flowtallyd) jq -r '.totals.records // empty' "$2/data/stats.json" 2>/dev/null || true ;;
	nfcapd) nfdump -R "$flows" -I 2>/dev/null | awk '$1 == "Flows:" { print $2 }' || true ;;
	esac
}

# effective_rcvbuf COLLECTOR DIR: the receive buffer the kernel granted, as reported.
effective_rcvbuf() {
	case $1 in
	flowtallyd) jq -r '.listeners[0].receive_buffer // "?"' "$2/data/stats.json" 2>/dev/null ;;
	nfcapd) sed -n 's/.*SO_RCVBUF to \([0-9]*\) bytes.*/\1/p' "$2/log" | tail -n 1 ;;
	esac
}

# probe COLLECTOR: what the receive buffer granted to the collector holds, measured
# on the collector started as in a trial (hold_probe); sets hold_records[COLLECTOR]
# and seeds rcvbuf_seen[COLLECTOR], against which the trials' buffers are checked.
probe() {
	local c=$1 dir
	dir=$(mktemp -d "$tmp/$c-probe.XXXXXX")
	wait_until 5 port_free || die "127.0.0.1:$port is in use (pick another with -p)"
	ensure_rmem
	"start_$c" "$dir"
	if ! wait_until 10 bound || ! alive "$cpid"; then
		cat "$dir/log" >&2
		stop_collector || true
		die "$c did not start on 127.0.0.1:$port"
	fi
	hold_probe "$cpid"
	stop_collector || say "warning: $c did not stop within 30 s of SIGTERM; killed"
	hold_note "$c" "$(received "$c" "$dir")"
	hold_records[$c]=$h_records
	[[ ! $h_rb =~ ^[0-9]+$ ]] || rcvbuf_seen[$c]=$h_rb
	rm -rf "$dir"
	if [ "$c" = nfcapd ]; then rm -rf "${flows:?}"/*; fi
}

# trial COLLECTOR RATE: one run; sets t_sent t_got t_rate t_ticks t_drops t_lossless,
# and t_other: CPU seconds that neither the collector nor the generator used meanwhile.
trial() {
	local c=$1 rate=$2 dir gen_args
	dir=$(mktemp -d "$tmp/$c.XXXXXX")
	t_sent=0 t_got="" t_rate=0 t_ticks=0 t_drops=0 t_lossless=0 t_other=0
	wait_until 5 port_free || die "127.0.0.1:$port is in use (pick another with -p)"
	wait_quiet
	ensure_rmem
	"start_$c" "$dir"
	if ! wait_until 10 bound || ! alive "$cpid"; then
		cat "$dir/log" >&2
		stop_collector || true
		die "$c did not start on 127.0.0.1:$port"
	fi
	wait_until 5 granted_ok || true
	if [ "$rate" -eq 0 ]; then
		gen_args=(--rate 0 --duration "$duration")
	else
		gen_args=(--rate "$rate" --records "$(awk -v r="$rate" -v d="$duration" \
			'BEGIN { printf "%.0f", r * d }')")
	fi
	local t0 b0 gen_s
	times >"$dir/times0"
	b0=$(busy_ticks)
	t0=$(cpu_ticks "$cpid")
	nice -n "$niceness" "$ft" generate --to "127.0.0.1:$port" --cpu 1 --batch "$batch" \
		--version "$version" --summary "${gen_args[@]}" >"$dir/sent.json" ||
		die "flowtally generate failed"
	times >"$dir/times1"
	alive "$cpid" || { cat "$dir/log" >&2; die "$c exited during the trial"; }
	# What the kernel holds is still to be read; the CPU time counts its processing.
	wait_until 20 drained || say "warning: $c did not empty its receive queue in 20 s"
	sleep 0.2
	t_ticks=$(($(cpu_ticks "$cpid") - t0))
	gen_s=$(awk -v a="$(children_secs "$dir/times0")" -v b="$(children_secs "$dir/times1")" \
		'BEGIN { print b - a }')
	t_other=$(awk -v b="$(($(busy_ticks) - b0))" -v c="$t_ticks" -v g="$gen_s" -v hz="$hz" \
		'BEGIN { o = (b - c) / hz - g; printf "%.2f", (o > 0 ? o : 0) }')
	t_drops=$(sock_drops)
	stop_collector || say "warning: $c did not stop within 30 s of SIGTERM; killed"
	t_sent=$(jq -r .records "$dir/sent.json")
	t_rate=$(jq -r '.rate_records_per_s | floor' "$dir/sent.json")
	t_got=$(received "$c" "$dir")
	local granted; granted=$(effective_rcvbuf "$c" "$dir")
	if [ -z "${rcvbuf_seen[$c]:-}" ]; then
		rcvbuf_seen[$c]=$granted
	elif [ "$granted" != "${rcvbuf_seen[$c]}" ]; then
		say "warning: $c was granted a receive buffer of $granted bytes this time, not" \
			"${rcvbuf_seen[$c]}: net.core.rmem_max changed during the run?"
	fi
	[ "${t_got:-x}" = "$t_sent" ] && t_lossless=1
	rm -rf "$dir"
	if [ "$c" = nfcapd ]; then rm -rf "${flows:?}"/*; fi
	return 0
}

# run_rate COLLECTOR RATE: up to $tries trials, reporting each; sets the t_* of the
# first lossless try, else of the last, and t_share, the share of its records the
# receive buffer could hide.  A trial during which other processes (or the
# hypervisor) took more than 20% of a CPU is run again without using up a try, at most
# 3 times per rate and while the patience lasts: its loss, its rate and its CPU time
# may all be theirs.
run_rate() {
	local c=$1 rate=$2 try=1 again=0 label verdict t_start
	label=$(if [ "$rate" -eq 0 ]; then echo max; else fmt_rate "$rate"; fi)
	while [ $try -le "$tries" ]; do
		t_start=$SECONDS
		trial "$c" "$rate"
		t_share=$(hide_share "${hold_records[$c]}" "$t_sent")
		local lost=$((t_sent - ${t_got:-0}))
		local secs; secs=$(awk -v t="$t_ticks" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
		local short=
		if [ "$rate" -gt 0 ] && [ "$t_rate" -lt $((rate * 97 / 100)) ]; then
			short=" (generator short of the rate)"
		fi
		verdict=$([ "$t_lossless" = 1 ] && echo lossless || echo LOSSY)
		if awk -v o="$t_other" -v d="$duration" 'BEGIN { exit !(o > 0.2 * d) }'; then
			if [ $again -lt 3 ] && [ "$patience_used" -lt "$patience" ]; then
				verdict="$verdict, but disturbed by other work: run again"
				patience_used=$((patience_used + SECONDS - t_start))
			else
				verdict="$verdict (disturbed by other work)"
				unreliable=$((unreliable + 1))
			fi
		fi
		printf '%s: %-10s %6s/s try %d: sent %s at %s/s%s, received %s, lost %s, ' \
			"$prog" "$c" "$label" "$try" "$t_sent" "$(fmt_rate "$t_rate")" "$short" \
			"${t_got:-?}" "$lost" >&2
		printf 'socket drops %s, cpu %s s, others %s s, buffer could hide %s %%: %s\n' \
			"$t_drops" "$secs" "$t_other" "$t_share" "$verdict" >&2
		case $verdict in
		*"run again") again=$((again + 1)) disturbed=$((disturbed + 1)) ;;
		lossless*) return 0 ;;
		*) try=$((try + 1)) ;;
		esac
	done
	return 0
}

# ---- the measurements ----

hz=$(getconf CLK_TCK)
disturbed=0 unreliable=0 patience_used=0 patience_warned=
declare -A best_rate best_label best_share at_ceiling cpu_per_m cpu_share rcvbuf_seen hold_records
case $version in 5) format="NetFlow v5" ;; 9) format="NetFlow v9" ;; *) format=IPFIX ;; esac
say "$format; $(nproc) CPUs, kernel $(uname -r); collectors on CPU 0, generator on CPU 1, nice" \
	"$niceness; $duration s per trial, batch $batch, receive buffer $rcvbuf, up to $tries" \
	"tries per rate${flows:+; nfcapd writes to $flowdir}"

for c in ${collectors//,/ }; do
	best_rate[$c]=0 best_label[$c]=none best_share[$c]=- at_ceiling[$c]=0 cpu_per_m[$c]=
	cpu_share[$c]="?"
	probe "$c"
	for rate in "${rates[@]}"; do
		run_rate "$c" "$rate"
		if [ "$rate" -eq "$cpu_rate" ] && [ "${t_got:-0}" -gt 0 ]; then
			cpu_per_m[$c]=$(awk -v t="$t_ticks" -v hz="$hz" -v n="$t_got" \
				'BEGIN { printf "%.4f", t / hz / (n / 1e6) }')
			cpu_share[$c]=$t_share
		fi
		[ "$t_lossless" = 1 ] || break
		best_rate[$c]=$t_rate best_share[$c]=$t_share
		best_label[$c]=$(if [ "$rate" -eq 0 ]; then echo max; else fmt_rate "$rate"; fi)
		[ "$rate" -ne 0 ] || at_ceiling[$c]=1
	done
	if [ -z "${cpu_per_m[$c]}" ]; then
		run_rate "$c" "$cpu_rate"
		if [ "${t_got:-0}" -gt 0 ]; then
			cpu_per_m[$c]=$(awk -v t="$t_ticks" -v hz="$hz" -v n="$t_got" \
				'BEGIN { printf "%.4f", t / hz / (n / 1e6) }')
			cpu_share[$c]=$t_share
		fi
	fi
	say "$c: receive buffer granted ${rcvbuf_seen[$c]:-?} bytes, holding ${hold_records[$c]} records"
done

# ---- the table ----

cpu_label=$(fmt_rate "$cpu_rate")
echo
echo "$format over 127.0.0.1, $duration s trials, receive buffer -s $rcvbuf for each collector"
printf '%-12s %-34s %-18s %s\n' collector "lossless up to (records/s)" "buffer could hide" \
	"CPU s per M records at $cpu_label/s"
over=()
for c in ${collectors//,/ }; do
	note=
	if [ "${at_ceiling[$c]}" = 1 ]; then
		note=" (generator ceiling)"
	elif [ "${best_rate[$c]}" -gt 0 ]; then
		note=" (ladder step ${best_label[$c]})"
	fi
	share=${best_share[$c]}
	[ "$share" = - ] || share="$share %"
	if over_share "${best_share[$c]}"; then
		share="$share (> 5 %!)"
		over+=("$c")
	fi
	printf '%-12s %-34s %-18s %s\n' "$c" "${best_rate[$c]}$note" "$share" \
		"${cpu_per_m[$c]:-?} (buffer could hide ${cpu_share[$c]} %)"
done
for c in ${collectors//,/ }; do
	echo "receive buffer of $c: ${rcvbuf_seen[$c]:-?} bytes granted, holding ${hold_records[$c]}" \
		"records (measured with $c stopped)"
done
for c in "${over[@]}"; do
	echo "WARNING: at $c's lossless rate the receive buffer could hide ${best_share[$c]} % of a" \
		"trial's records, more than 5 %: $c may have fallen behind unseen, and its figure is" \
		"too high; use longer trials (-d) or a smaller buffer (-s)"
done
if [ $disturbed -gt 0 ]; then
	echo "note: $disturbed trial(s) were disturbed by other work on this machine and run again"
fi
if [ $unreliable -gt 0 ]; then
	echo "note: $unreliable trial(s) counted although other work disturbed them: the figures" \
		"are not reliable; run again on a quiet machine"
fi
[[ ,$collectors, == *,flowtallyd,* && ,$collectors, == *,nfcapd,* ]] || exit 0

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "?"; else printf "%.2f", a / b }'; }
rate_ratio=$(ratio "${best_rate[flowtallyd]}" "${best_rate[nfcapd]}")
cpu_ratio=$(ratio "${cpu_per_m[flowtallyd]}" "${cpu_per_m[nfcapd]}")
at_least=
[ "${at_ceiling[flowtallyd]}" = 0 ] || at_least=">= "
printf '%-12s %-34s %-18s %s\n' "ratio" "$at_least$rate_ratio (flowtallyd/nfcapd)" "" \
	"$cpu_ratio (flowtallyd/nfcapd)"
echo

met() { awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
	if (v == "?") { print "not measured"; exit }
	ok = op == ">=" ? v >= g : v <= g; print ok ? "met" : "NOT met" }'; }
rate_verdict=$(met "$rate_ratio" '>=' 3)
below=
if [ "${at_ceiling[flowtallyd]}" = 1 ] && [ "$rate_ratio" != "?" ] &&
	awk -v r="$rate_ratio" 'BEGIN { exit !(r < 3) }'; then
	below=1 rate_verdict="not decided"
fi
echo "goal: lossless rate >= 3x nfcapd's: $rate_verdict ($at_least$rate_ratio x)"
if [ -n "$below" ]; then
	echo "  flowtallyd lost nothing at the generator's ceiling: the generator stops at" \
		"$(fmt_rate "${best_rate[flowtallyd]}")/s, below 3x nfcapd, so the ratio is only a lower" \
		"bound and the CPU goal decides"
fi
echo "goal: CPU per M records at $cpu_label/s <= 1/2 nfcapd's: $(met "$cpu_ratio" '<=' 0.5) ($cpu_ratio x)"
exit 0
