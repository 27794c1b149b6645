#!/usr/bin/env bash
# Lossless UDP ingest on loopback with tenant attribution on: for flowtallyd with a tenant
# map of a few thousand prefixes, for nfacctd (pmacct 1.7) doing the same prefix-to-
# tenant accounting, and for nfcapd (nfdump 1.7) storing plain flows, in the same run,
# the highest rate (records/s) at which each collector accounts every record
# `flowtally generate` sent.  Run by hand, as root so that the receive buffer can be
# raised.  It is a benchmark, not a test: it exits 0 whether or not the goals are met.
#
# The method is that of tests/bench/ingest.sh: each trial starts the collector afresh
# on 127.0.0.1:PORT pinned to CPU 0 (every process and thread of it), sends rate x
# duration NetFlow v5 records with the generator pinned to CPU 1, waits until the
# socket's receive queue is empty and the collector has gone idle, stops it by PID
# (it drains, purges and writes what it counted) and compares its count with the
# generator's summary.  A rate is lossless when one of its tries (-n) is; a ladder stops
# at the first rate lossy in every try.  Trials wait for quiet CPUs, and one that other
# work disturbed is run again.
#
# As in ingest.sh, the kernel receive buffer could hide a collector falling behind (it
# reads the backlog after the generator stops), so before its ladder each collector's
# buffer is measured (started as in a trial, stopped with SIGSTOP, sent more
# datagrams than fit: ingest_lib.sh, hold_probe) and every trial prints the records
# it holds as a share of the records the trial sent; the table gives the share at
# each lossless rate and warns above 5 %.  All three ask for the same buffer (-s).
# The defaults, -s 8M (16 MiB granted: about 7,300 datagrams, 218,000 v5 records) and
# 8 s trials, keep the share at or below 5 % from 0.55 M records/s up: 1.1 % at
# nfacctd's 2.5 M, 0.3 % at nfcapd's 8 M, 0.2 % at flowtallyd's 16 M.  (The earlier
# 64 MiB and 3 s held 1.75 M records, 23 % of a trial at 2.5 M records/s.)  Beyond
# the socket, nfacctd's ZeroMQ queue (-q zmq) holds what its plugin has not read yet;
# a trial waits for the plugin to go idle, so that queue may hide the plugin's lag
# (not the core process's).
#
# What "accounted" means for each:
#   flowtallyd  stats.json totals (records, packets, bytes) all as sent, and after the
#               stop the flows of the ledger's blocks plus the open steps saved in
#               state/steps.json add up to the records sent (steps are 60 s, lateness
#               120 s: they stay open during a trial and are saved at SIGTERM).
#   nfacctd     the print plugin's CSV, aggregated per (source tenant, destination
#               tenant): the sums of its FLOWS (one per NetFlow record), PACKETS and
#               BYTES columns all as sent.
#   nfcapd      nfdump -I on its flow file: Flows, Packets and Bytes all as sent.
# The first lossless trial of flowtallyd and of nfacctd also checks the attribution
# itself: per tenant, out (source) and in (destination) flows, packets and bytes, and
# the unattributed volume of each side, against what the generator works out from the
# same prefix file (flowtally generate --expect-tenants).
set -euo pipefail

prog=ingest_tenants
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/bench/ingest_lib.sh
. "$top/tests/bench/ingest_lib.sh"

usage() {
	cat <<EOF
Usage: tests/bench/ingest_tenants.sh [OPTION]...
Find the highest NetFlow v5 rate that flowtallyd and nfacctd, both attributing every
record's source and destination to tenants by longest prefix match, and nfcapd,
storing plain flows, each account without loss over 127.0.0.1 with the same kernel
receive buffer; print a table, the ratios flowtallyd/nfacctd (goal >= 5) and
flowtallyd/nfcapd (goal >= 3), and whether each goal is met.  Exits 0 either way.
Each trial also prints the share of its records the receive buffer could hide
(measured for each collector before its ladder); the table warns when it is above
5 % at a lossless rate.

The tenant map
  Unless -m is given, a map of 4,488 prefixes for 40 tenants (t01 .. t40) is made
  from the generator's default address ranges: 192 /16s and 3,584 /24s of the source
  range 10.0.0.0/8 (the /24s partly inside the /16s, for other tenants, so that the
  longest match matters; 10.224.0.0/11 belongs to nobody), and 200 /24s and 512 /26s
  of the destination range 192.168.0.0/16.  About a quarter of sources and a tenth
  of destinations stay unattributed.  The same "PREFIX TENANT" file is given to
  flowtallyd (prefix_files, every tenant declared in tenants = (...); step 60,
  lateness 120), to the generator (--expect-tenants) and, translated, to nfacctd.

nfacctd's configuration (-a)
  nets    (default) networks_file with one line "ASN,PREFIX" per prefix, where ASN =
          64512 + the tenant's number; nfacctd_as: file and nfacctd_net: file, so
          that src_as and dst_as are the tenant of the longest prefix holding the
          source and the destination (0: none); one print plugin aggregating
          src_as, dst_as, flows, written as CSV when it stops.
  pretag  pre_tag_map instead: per prefix, longest first, "set_tag=N src_net=P
          jeq=dst" rows, then "set_tag2=N dst_net=P" rows (the first one labelled
          dst); aggregating tag, tag2, flows.  The map is scanned row by row for
          every record, so this is far slower: give it a low ladder (-r 10k,...).
  The queue from nfacctd's core process to its plugin (-q): zmq (default; ZeroMQ,
  profile xlarge: it holds whatever the plugin has not read yet) or ring (the
  home-grown circular queue, plugin_pipe_size = the receive buffer,
  plugin_buffer_size = 1/1000 of it, which loses what the plugin does not read in
  time).

Options
  -B DIR     build directory, relative to the repository or absolute (default
             build-release; set up with --buildtype=release and built if missing)
  -u         bring the build directory up to date (ninja) first
  -d SECS    duration of one trial: each sends rate x SECS records (default 8: with
             the default -s, the buffer can hide at most 5 % of a trial from
             0.55M/s up, 1.1 % at 2.5M/s; shorter trials let it hide more)
  -r LIST    rate ladder in records/s, ascending, comma-separated; k and M suffixes,
             "max" for as fast as the generator goes (--rate 0, for SECS seconds)
             (default 0.5M,1M,1.5M,2M,2.5M,3M,4M,5M,6M,7M,8M,10M,12M,13M,14M,
             15M,16M,17M,18M,20M,max)
  -s BYTES   socket receive buffer for all three collectors, k/M/G suffixes allowed
             (default 8M; the kernel grants twice that, which holds about 7,300
             datagrams, 218,000 records): flowtallyd receive_buffer, nfacctd
             nfacctd_pipe_size, nfcapd -B.  As root, net.core.rmem_max is raised to
             it for the run (nfacctd and nfcapd are capped by it) and restored at exit
  -b N       datagrams per sendmmsg() call of the generator (default 1024)
  -n N       tries per rate: a lossy trial is repeated up to N tries in all, and the
             rate counts as lossless if any try is (default 2)
  -w SECS    patience with other work on the machine (default 60): each trial first
             waits for the CPUs to be quiet, and a trial during which other work
             took over 20% of a CPU is run again without using up a try (at most 3
             times per rate); waits and reruns stop when SECS are spent on them
  -T SECS    time budget of the measurements (default 600, for 8 s trials): once
             spent, the ladders still to climb stop where they are, and the table
             says so.  The collectors run in the order nfacctd, nfcapd, flowtallyd,
             so that a cut makes flowtallyd's figure a lower bound rather than
             leaving no ratio
  -p PORT    UDP port on 127.0.0.1 for the collectors, one after the other (default
             39056; must be free)
  -c LIST    collectors to measure (default flowtallyd,nfacctd,nfcapd)
  -m FILE    tenant map: lines "PREFIX TENANT" (# comments), as flowtallyd's
             prefix_files; at most 1,022 tenants, with flowtallyd's tenant names
             (1-31 letters, digits, - _ .).  Its prefixes should be IPv4, within
             10.0.0.0/8 (sources) and 192.168.0.0/16 (destinations)
  -a METHOD  nfacctd's attribution: nets or pretag (default nets; see above)
  -q QUEUE   nfacctd's core-to-plugin queue: zmq or ring (default zmq)
  -h         show this help

Output
  One progress line per trial, and one per collector for its receive buffer, on
  standard error; the table, the ratios and the goals on standard output.  A ratio
  is written ">= R" when flowtallyd lost nothing at the top of its ladder (the
  generator's ceiling, or where the time budget stopped it).

Needs 2 CPUs, jq, taskset, ss, nfacctd (Debian package pmacct) and nfcapd/nfdump 1.7
(package nfdump) for the comparisons: scripts/deps.sh test installs them.  Work files
go under \$TMPDIR (default /tmp) and are removed at exit; nfcapd's flow file takes
about 120 bytes a record, several GB at the top rates, removed after each trial.

Exit status
  0 when the measurements ran, whether or not the goals are met; 1 when something
  kept them from running (a missing program, a collector that does not start, the
  port in use); 2 for usage errors.

Example
  tests/bench/ingest_tenants.sh -u
  tests/bench/ingest_tenants.sh -c nfacctd -a pretag -r 10k,25k,50k,100k
EOF
}

usage_error() { echo "$prog: $*" >&2; exit 2; }

build=build-release duration=8 ladder=0.5M,1M,1.5M,2M,2.5M,3M,4M,5M,6M,7M,8M,10M,12M,13M,14M,15M,16M,17M,18M,20M,max
rcvbuf=8M batch=1024 tries=2 port=39056 collectors=flowtallyd,nfacctd,nfcapd update=
patience=60 budget=600 mapfile='' method=nets queue=zmq version=5
while getopts ":B:d:r:s:b:n:w:T:p:c:m:a:q:uh" o; do
	case $o in
	B) build=$OPTARG ;; d) duration=$OPTARG ;; r) ladder=$OPTARG ;; s) rcvbuf=$OPTARG ;;
	b) batch=$OPTARG ;; n) tries=$OPTARG ;; w) patience=$OPTARG ;; T) budget=$OPTARG ;;
	p) port=$OPTARG ;; c) collectors=$OPTARG ;; m) mapfile=$OPTARG ;; a) method=$OPTARG ;;
	q) queue=$OPTARG ;; u) update=1 ;; h) usage; exit 0 ;;
	:) usage_error "-$OPTARG needs a value (try -h)" ;; *) usage_error "unknown option -$OPTARG (try -h)" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_error "unexpected argument '$1' (try -h)"

[[ $duration =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v d="$duration" 'BEGIN { exit !(d > 0) }' ||
	usage_error "-d: '$duration' is not a number of seconds above 0"
rcvbuf=$(to_count "$rcvbuf" 1024) && [ "$rcvbuf" -ge 4096 ] && [ "$rcvbuf" -le $((1 << 30)) ] ||
	usage_error "-s: not a size from 4096 bytes to 1G"
[[ $batch =~ ^[0-9]+$ ]] && [ "$batch" -ge 1 ] && [ "$batch" -le 1024 ] || usage_error "-b: 1..1024"
[[ $tries =~ ^[0-9]+$ ]] && [ "$tries" -ge 1 ] || usage_error "-n: a count from 1"
[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || usage_error "-p: 1024..65535"
[[ $patience =~ ^[0-9]+$ ]] || usage_error "-w: a whole number of seconds"
[[ $budget =~ ^[0-9]+$ ]] && [ "$budget" -ge 1 ] || usage_error "-T: a whole number of seconds from 1"
case $method in nets | pretag) ;; *) usage_error "-a: nets or pretag" ;; esac
case $queue in zmq | ring) ;; *) usage_error "-q: zmq or ring" ;; esac
[ -z "$mapfile" ] || [ -r "$mapfile" ] || usage_error "-m: cannot read '$mapfile'"
rates=()
prev=-1
for r in ${ladder//,/ }; do
	v=$(to_count "$r" 1000) || usage_error "-r: '$r' is not a rate (e.g. 2M, 500k, max)"
	[ "$v" -gt 0 ] || [ "$r" = max ] || usage_error "-r: rates must be above 0 (or max)"
	[ "$prev" -ne 0 ] || usage_error "-r: max must come last"
	[ "$v" -eq 0 ] || [ "$v" -gt "$prev" ] || usage_error "-r: the ladder must ascend"
	rates+=("$v")
	prev=$v
done
[ ${#rates[@]} -gt 0 ] || usage_error "-r: empty ladder"
declare -A want=()
for c in ${collectors//,/ }; do
	case $c in flowtallyd | nfacctd | nfcapd) want[$c]=1 ;; *) usage_error "-c: unknown collector '$c'" ;; esac
done
[ ${#want[@]} -gt 0 ] || usage_error "-c: no collector"
run_order=()
for c in nfacctd nfcapd flowtallyd; do [ -z "${want[$c]:-}" ] || run_order+=("$c"); done

[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (collector on CPU 0, generator on CPU 1)"
for p in jq taskset awk; do command -v $p >/dev/null || die "$p is not installed"; done
if [ -n "${want[nfacctd]:-}" ]; then
	command -v nfacctd >/dev/null ||
		die "nfacctd not installed (apt-get install pmacct, or scripts/deps.sh test), or leave it out with -c"
fi
if [ -n "${want[nfcapd]:-}" ]; then
	command -v nfcapd >/dev/null && command -v nfdump >/dev/null ||
		die "nfcapd/nfdump not installed (apt-get install nfdump), or leave it out with -c"
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
elif ninja -C "$build" -n 2>/dev/null | grep -v 'Regenerating build files' | grep -q '^\[[0-9]'; then
	say "note: $build is behind the sources; measuring the programs as built (-u rebuilds)"
fi

# ---- run-wide state, undone at exit ----

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-ingest-tenants.XXXXXX")
cpid=
kids=()
rmem_old='' rmem_set=''
cleanup() {
	local k
	if [ -n "$cpid" ]; then kill -KILL "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null; fi
	for k in "${kids[@]}"; do kill -KILL "$k" 2>/dev/null || true; done
	# Restored only if nobody changed it meanwhile.
	if [ -n "$rmem_old" ] && [ "$(cat /proc/sys/net/core/rmem_max)" = "$rmem_set" ]; then
		echo "$rmem_old" >/proc/sys/net/core/rmem_max || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rmem_warned=''
ensure_rmem

# ---- the tenant map, in each collector's form ----

map=$tmp/prefixes.txt
if [ -n "$mapfile" ]; then
	awk '{ sub(/#.*/, "") } NF == 0 { next }
		NF != 2 { printf "%s:%d: expected \"PREFIX TENANT\"\n", FILENAME, FNR > "/dev/stderr"; bad = 1; next }
		{ print $1, $2 } END { exit bad }' "$mapfile" >"$map" || die "-m: $mapfile is not a prefix file"
else
	awk 'BEGIN {
		for (x = 0; x < 192; x++) printf "10.%d.0.0/16 t%02d\n", x, x % 40 + 1
		for (x = 0; x < 224; x++) for (y = 0; y < 16; y++)
			printf "10.%d.%d.0/24 t%02d\n", x, y * 16, (x * 16 + y + 3) % 40 + 1
		for (z = 0; z < 200; z++) printf "192.168.%d.0/24 t%02d\n", z, (z + 11) % 40 + 1
		for (z = 0; z < 256; z += 2) for (k = 0; k < 4; k++)
			printf "192.168.%d.%d/26 t%02d\n", z, k * 64, (z * 4 + k + 7) % 40 + 1
	}' >"$map"
fi
n_prefixes=$(wc -l <"$map")
[ "$n_prefixes" -gt 0 ] || die "the tenant map is empty"
# tenants.txt: "NUMBER NAME", numbered 1.. in name order; 0 is nobody.
awk '{ print $2 }' "$map" | LC_ALL=C sort -u | awk '{ print NR, $1 }' >"$tmp/tenants.txt"
n_tenants=$(wc -l <"$tmp/tenants.txt")
[ "$n_tenants" -le 1022 ] || die "the tenant map has $n_tenants tenants, more than 1,022"

# ft_conf DIR: flowtallyd's configuration for a trial in DIR.
ft_conf() {
	{
		echo "listen = [\"127.0.0.1:$port\"];"
		echo 'exporters = ["127.0.0.1"];'
		echo "data_dir = \"$1/data\";"
		echo "receive_buffer = $rcvbuf;"
		echo 'receive_threads = 1;'
		echo 'log_level = "notice";'
		echo 'step = 60;'
		echo 'lateness = 120;'
		echo "prefix_files = [ \"$map\" ];"
		echo 'tenants = ('
		awk -v n="$n_tenants" '{ printf "  { name = \"%s\"; }%s\n", $2, (NR < n ? "," : "") }' \
			"$tmp/tenants.txt"
		echo ');'
	} >"$1/ft.conf"
}
if [ -n "${want[flowtallyd]:-}" ]; then
	mkdir -p "$tmp/check"
	ft_conf "$tmp/check"
	"$ft" check-config -q "$tmp/check/ft.conf" >"$tmp/check/out" 2>&1 || {
		cat "$tmp/check/out" >&2
		die "flowtallyd rejects the tenant map"
	}
fi

# nfacctd: networks_file "ASN,PREFIX" (ASN = 64512 + tenant number) or pre_tag_map.
awk 'NR == FNR { num[$2] = $1; next } { printf "%d,%s\n", 64512 + num[$2], $1 }' \
	"$tmp/tenants.txt" "$map" >"$tmp/networks.lst"
awk 'NR == FNR { num[$2] = $1; next }
	{ n = split($1, p, "/"); len = n == 2 ? p[2] : ($1 ~ /:/ ? 128 : 32)
	  printf "%d %s %d\n", len, $1, num[$2] }' "$tmp/tenants.txt" "$map" |
	LC_ALL=C sort -s -k1,1nr >"$tmp/bylen.txt"
{
	awk '{ printf "set_tag=%d src_net=%s jeq=dst\n", $3, $2 }' "$tmp/bylen.txt"
	awk '{ printf "set_tag2=%d dst_net=%s%s\n", $3, $2, (NR == 1 ? " label=dst" : "") }' "$tmp/bylen.txt"
} >"$tmp/pretag.map"

nfacctd_conf() {  # DIR
	{
		echo 'daemonize: false'
		echo "logfile: $1/log"
		echo 'nfacctd_ip: 127.0.0.1'
		echo "nfacctd_port: $port"
		echo "nfacctd_pipe_size: $rcvbuf"
		if [ "$method" = nets ]; then
			echo "networks_file: $tmp/networks.lst"
			echo 'nfacctd_as: file'
			echo 'nfacctd_net: file'
		else
			echo "pre_tag_map: $tmp/pretag.map"
			# Rows with jeq take more than one entry each: room to spare.
			echo "maps_entries: $((8 * n_prefixes + 64))"
		fi
		echo 'plugins: print[tenants]'
		if [ "$method" = nets ]; then
			echo 'aggregate[tenants]: src_as, dst_as, flows'
		else
			echo 'aggregate[tenants]: tag, tag2, flows'
		fi
		echo 'print_output[tenants]: csv'
		echo "print_output_file[tenants]: $1/tenants.csv"
		echo 'print_refresh_time[tenants]: 86400'
		if [ "$queue" = zmq ]; then
			echo 'plugin_pipe_zmq[tenants]: true'
			echo 'plugin_pipe_zmq_profile[tenants]: xlarge'
		else
			echo "plugin_pipe_size[tenants]: $rcvbuf"
			echo "plugin_buffer_size[tenants]: $((rcvbuf / 1000 < 10240 ? 10240 : rcvbuf / 1000))"
		fi
	} >"$1/nfacctd.conf"
}

# ---- helpers ----

port_hex=$(printf '%04X' "$port")

# pids_of PID: the process and its children (nfacctd's plugins).
pids_of() {
	echo "$1"
	cat "/proc/$1/task/"*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}

# tree_ticks PID: utime + stime of the process and its children, in clock ticks.
tree_ticks() {
	local p s f t=0
	for p in $(pids_of "$1"); do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		read -r -a f <<<"${s##*) }"
		t=$((t + f[11] + f[12]))
	done
	echo $t
}

# own_secs FILE: user + system seconds of this shell and of its waited-for children
# (the generator, and the helpers that poll the socket and the collector), from
# `times` run in this shell (not in a subshell, whose counters start at zero).
own_secs() {
	awk 'NR <= 2 { for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } }
		END { printf "%.3f", t }' "$1"
}

nfacctd_ready() { grep -q 'waiting for NetFlow' "$1" 2>/dev/null && grep -q '( tenants/print )' "$1"; }

# wait_idle: until the collector (with its children) uses no CPU for 0.5 s, at most
# 30 s: what it queued inside (nfacctd's plugin queue) is processed by then.
wait_idle() {
	local prev=-1 cur still=0 end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		cur=$(tree_ticks "$cpid")
		if [ "$cur" = "$prev" ]; then
			still=$((still + 1))
			[ $still -lt 2 ] || return 0
		else
			still=0
		fi
		prev=$cur
		sleep 0.25
	done
	return 1
}

# stop_collector SIGNAL: by PID, 30 s to finish (purge, write out), then SIGKILL for
# it and the children it had.  Returns 1 if it had to be killed.
stop_collector() {
	local rc=0 k
	kids=()
	for k in $(pids_of "$cpid"); do [ "$k" = "$cpid" ] || kids+=("$k"); done
	kill "-$1" "$cpid" 2>/dev/null || true
	if ! wait_until 30 eval '! alive "$cpid"'; then
		kill -KILL "$cpid" 2>/dev/null || true
		rc=1
	fi
	wait "$cpid" 2>/dev/null || true
	for k in "${kids[@]}"; do
		if wait_until 5 eval '! alive "$k"'; then continue; fi
		kill -KILL "$k" 2>/dev/null || true
		rc=1
	done
	kids=()
	cpid=
	return $rc
}

start_flowtallyd() {  # DIR
	ft_conf "$1"
	taskset -c 0 "$ftd" --allow-root -f -c "$1/ft.conf" 2>"$1/log" &
	cpid=$!
}

start_nfacctd() {  # DIR
	nfacctd_conf "$1"
	taskset -c 0 nfacctd -f "$1/nfacctd.conf" >"$1/stderr" 2>&1 &
	cpid=$!
}

start_nfcapd() {  # DIR
	mkdir -p "$1/flows"
	# -t 3600: no rotation within a trial; SIGTERM flushes and closes the file.
	taskset -c 0 nfcapd -w "$1/flows" -b 127.0.0.1 -p "$port" -B "$rcvbuf" -t 3600 \
		>"$1/log" 2>&1 &
	cpid=$!
}

stop_signal() { if [ "$1" = nfacctd ]; then echo INT; else echo TERM; fi; }

# counted COLLECTOR DIR: "RECORDS PACKETS BYTES" the collector accounted (empty if
# unknown).  flowtallyd: stats.json totals; nfacctd: sums of the CSV's FLOWS,
# PACKETS and BYTES; nfcapd: nfdump -I.
counted() {
	case $1 in
	flowtallyd)
		jq -r '.totals | "\(.records) \(.packets) \(.bytes)"' "$2/data/stats.json" 2>/dev/null || true ;;
	nfacctd)
		[ -s "$2/tenants.csv" ] || return 0
		awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			{ f += $c["FLOWS"]; p += $c["PACKETS"]; b += $c["BYTES"] }
			END { if (c["FLOWS"]) printf "%.0f %.0f %.0f\n", f, p, b }' "$2/tenants.csv" ;;
	nfcapd)
		nfdump -R "$2/flows" -I 2>/dev/null |
			awk '$1 == "Flows:" { f = $2 } $1 == "Packets:" { p = $2 } $1 == "Bytes:" { b = $2 }
				END { if (f != "") print f, p, b }' || true ;;
	esac
}

# ledger_cat DIR: flowtallyd's ledger day files, if any.
ledger_cat() {
	local f
	for f in "$1"/data/ledger/*.ledger; do
		[ ! -e "$f" ] || cat "$f"
	done
	return 0
}

# ledger_flows DIR: flowtallyd's flows in the ledger's blocks plus the open steps it
# saved at the stop; every record is one flow.
ledger_flows() {
	local l s
	l=$(ledger_cat "$1" | awk -F'\t' '$1 == "S" && $3 == "total" { f += $6 } END { printf "%.0f", f }')
	s=$(jq '[.steps[].total[2]] | add // 0' "$1/data/state/steps.json" 2>/dev/null) || s=
	[ -n "$s" ] || { echo "?"; return; }
	echo $((l + s))
}

# expected FILE: the generator's per-tenant figures as lines
# "out|in TENANT FLOWS PACKETS BYTES", unattributed as tenant "-", zero lines left out.
expected() {
	jq -r '(.tenants | to_entries[] |
			"out \(.key) \(.value.out.flows) \(.value.out.packets) \(.value.out.bytes)",
			"in \(.key) \(.value.in.flows) \(.value.in.packets) \(.value.in.bytes)"),
		"out - \(.unattributed.src.flows) \(.unattributed.src.packets) \(.unattributed.src.bytes)",
		"in - \(.unattributed.dst.flows) \(.unattributed.dst.packets) \(.unattributed.dst.bytes)"' "$1" |
		awk '$3 != 0 || $4 != 0 || $5 != 0' | LC_ALL=C sort
}

# attributed COLLECTOR DIR: the same lines from what the collector accounted.
attributed() {
	case $1 in
	flowtallyd)
		{
			jq -r '.steps[] | (.cells[] | "\(.[1]) \(.[0]) \(.[5]) \(.[4]) \(.[3])"),
				"out - \(.unattributed_src[2]) \(.unattributed_src[1]) \(.unattributed_src[0])",
				"in - \(.unattributed_dst[2]) \(.unattributed_dst[1]) \(.unattributed_dst[0])"' \
				"$2/data/state/steps.json" 2>/dev/null || true
			ledger_cat "$2" | awk -F'\t' '
				$1 == "L" { print $4, $3, $8, $7, $6 }
				$1 == "S" && $3 == "unattributed_src" { print "out -", $6, $5, $4 }
				$1 == "S" && $3 == "unattributed_dst" { print "in -", $6, $5, $4 }'
		} ;;
	nfacctd)
		awk -F, -v base="$([ "$method" = nets ] && echo 64512 || echo 0)" '
			NR == FNR { name[$1] = $2; next }
			FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i
				s = c["SRC_AS"] ? c["SRC_AS"] : c["TAG"]; d = c["DST_AS"] ? c["DST_AS"] : c["TAG2"]; next }
			{ for (side = 0; side < 2; side++) {
				n = $(side ? d : s); k = n - base
				t = n == 0 ? "-" : (k in name ? name[k] : "?" n)
				print (side ? "in" : "out"), t, $c["FLOWS"], $c["PACKETS"], $c["BYTES"] } }' \
			FS=' ' "$tmp/tenants.txt" FS=, "$2/tenants.csv" ;;
	esac | awk '{ k = $1 " " $2; f[k] += $3; p[k] += $4; b[k] += $5 }
		END { for (k in f) if (f[k] || p[k] || b[k]) printf "%s %.0f %.0f %.0f\n", k, f[k], p[k], b[k] }' |
		LC_ALL=C sort
}

# started COLLECTOR DIR: the collector started by start_COLLECTOR DIR is bound and
# ready for data, with the receive buffer the kernel grants; else it is stopped and
# the run ends.
started() {
	local c=$1 dir=$2
	if ! wait_until 10 bound || ! alive "$cpid"; then
		cat "$dir/log" "$dir/stderr" 2>/dev/null >&2 || true
		stop_collector "$(stop_signal "$c")" || true
		die "$c did not start on 127.0.0.1:$port"
	fi
	if [ "$c" = nfacctd ]; then
		# The plugin has its map and its queue is connected before data comes.
		wait_until 10 nfacctd_ready "$dir/log" || say "warning: nfacctd's plugin did not report ready"
		sleep 0.5
	fi
	wait_until 5 granted_ok || true
}

# probe COLLECTOR: what the receive buffer granted to the collector holds, measured
# on the collector started as in a trial (hold_probe); sets hold_records[COLLECTOR]
# and hold_rb[COLLECTOR].
probe() {
	local c=$1 dir
	dir=$(mktemp -d "$tmp/$c-probe.XXXXXX")
	wait_until 5 port_free || die "127.0.0.1:$port is in use (pick another with -p)"
	ensure_rmem
	"start_$c" "$dir"
	started "$c" "$dir"
	hold_probe "$cpid"
	wait_idle || say "warning: $c was still busy 30 s after the probe"
	stop_collector "$(stop_signal "$c")" ||
		say "warning: $c did not stop within 30 s of SIG$(stop_signal "$c"); killed"
	local got; got=$(counted "$c" "$dir")
	hold_note "$c" "${got%% *}"
	hold_records[$c]=$h_records hold_rb[$c]=$h_rb
	rm -rf "$dir"
}

# trial COLLECTOR RATE: one run; sets t_sent t_got (records, packets, bytes as
# counted) t_rate t_drops t_lossless t_other t_ledger t_attr.
trial() {
	local c=$1 rate=$2 dir gen_args expect=()
	dir=$(mktemp -d "$tmp/$c.XXXXXX")
	t_sent=0 t_got='' t_rate=0 t_drops=0 t_lossless=0 t_other=0 t_ledger='' t_attr=''
	wait_until 5 port_free || die "127.0.0.1:$port is in use (pick another with -p)"
	wait_quiet
	ensure_rmem
	"start_$c" "$dir"
	started "$c" "$dir"
	local rb; rb=$(sock_rb)
	if [ "$rb" != "${hold_rb[$c]:-?}" ]; then
		say "warning: $c has a receive buffer of $rb bytes this time, not the ${hold_rb[$c]:-?}" \
			"measured before its ladder: net.core.rmem_max changed during the run? The" \
			"share the buffer could hide is off"
	fi
	# The smallest over the collector's trials.
	if [[ ! ${rcvbuf_seen[$c]:-} =~ ^[0-9]+$ ]] || { [[ $rb =~ ^[0-9]+$ ]] && [ "$rb" -lt "${rcvbuf_seen[$c]}" ]; }; then
		rcvbuf_seen[$c]=$rb
	fi
	if [ "$rate" -eq 0 ]; then
		gen_args=(--rate 0 --duration "$duration")
	else
		gen_args=(--rate "$rate" --records "$(awk -v r="$rate" -v d="$duration" \
			'BEGIN { printf "%.0f", r * d }')")
	fi
	[ "$c" = nfcapd ] || [ -n "${attr_result[$c]:-}" ] || expect=(--expect-tenants "$map")
	# CPU time the collector, the generator and this script did not use meanwhile.
	local t0 b0 b1 own_s ticks
	b0=$(busy_ticks)
	t0=$(tree_ticks "$cpid")
	times >"$dir/times0"
	"$ft" generate --to "127.0.0.1:$port" --cpu 1 --batch "$batch" --summary \
		"${expect[@]}" "${gen_args[@]}" >"$dir/sent.json" || die "flowtally generate failed"
	alive "$cpid" || { cat "$dir/log" >&2; die "$c exited during the trial"; }
	wait_until 20 drained || say "warning: $c did not empty its receive queue in 20 s"
	wait_idle || say "warning: $c was still busy 30 s after the generator stopped"
	times >"$dir/times1"
	ticks=$(($(tree_ticks "$cpid") - t0))
	b1=$(busy_ticks)
	own_s=$(awk -v a="$(own_secs "$dir/times0")" -v b="$(own_secs "$dir/times1")" \
		'BEGIN { print b - a }')
	t_other=$(awk -v b="$((b1 - b0))" -v c="$ticks" -v g="$own_s" -v hz="$hz" \
		'BEGIN { o = (b - c) / hz - g; printf "%.2f", (o > 0 ? o : 0) }')
	t_drops=$(sock_drops)
	stop_collector "$(stop_signal "$c")" ||
		say "warning: $c did not stop within 30 s of SIG$(stop_signal "$c"); killed"
	t_sent=$(jq -r '"\(.records) \(.packets) \(.bytes)"' "$dir/sent.json")
	t_rate=$(jq -r '.rate_records_per_s | floor' "$dir/sent.json")
	t_got=$(counted "$c" "$dir")
	if [ "$c" = nfacctd ] && grep -q -E 'WARN|ERROR' "$dir/log"; then
		say "  nfacctd's log: $(grep -E 'WARN|ERROR' "$dir/log" | head -n 1 | cut -c 1-160)"
	fi
	[ "${t_got:-x}" = "$t_sent" ] && t_lossless=1
	if [ "$c" = flowtallyd ]; then
		t_ledger=$(ledger_flows "$dir")
		[ "$t_ledger" = "${t_sent%% *}" ] || t_lossless=0
	fi
	if [ ${#expect[@]} -gt 0 ] && [ $t_lossless = 1 ]; then
		expected "$dir/sent.json" >"$dir/expected"
		attributed "$c" "$dir" >"$dir/attributed"
		if cmp -s "$dir/expected" "$dir/attributed"; then
			t_attr="exact"
		else
			t_attr="DIFFERS"
			say "$c: attribution differs from the generator's (expected < > $c):"
			diff "$dir/expected" "$dir/attributed" | grep '^[<>]' | head -n 10 >&2 || true
		fi
	fi
	rm -rf "$dir"
	return 0
}

# run_rate COLLECTOR RATE: up to $tries trials, reporting each; sets the t_* of the
# first lossless try, else of the last, and t_share, the share of its records the
# receive buffer could hide; returns 1 if the time budget ran out first.
run_rate() {
	local c=$1 rate=$2 try=1 again=0 label verdict t_start
	label=$(if [ "$rate" -eq 0 ]; then echo max; else fmt_rate "$rate"; fi)
	while [ $try -le "$tries" ]; do
		[ $((SECONDS - t_begin)) -lt "$budget" ] || return 1
		t_start=$SECONDS
		trial "$c" "$rate"
		local sent_r=${t_sent%% *} got_r=${t_got%% *}
		t_share=$(hide_share "${hold_records[$c]}" "$sent_r")
		local lost=$((sent_r - ${got_r:-0}))
		local short=
		if [ "$rate" -gt 0 ] && [ "$t_rate" -lt $((rate * 97 / 100)) ]; then
			short=" (generator short of the rate)"
		fi
		verdict=$([ $t_lossless = 1 ] && echo lossless || echo LOSSY)
		if awk -v o="$t_other" -v d="$duration" 'BEGIN { exit !(o > 0.2 * d) }'; then
			if [ $again -lt 3 ] && [ $patience_used -lt "$patience" ]; then
				verdict="$verdict, but disturbed by other work: run again"
				patience_used=$((patience_used + SECONDS - t_start))
			else
				verdict="$verdict (disturbed by other work)"
				unreliable=$((unreliable + 1))
			fi
		fi
		local extra=
		[ -z "$t_ledger" ] || extra=", ledger+open steps $t_ledger flows"
		[ -z "$t_attr" ] || extra="$extra, attribution $t_attr"
		printf '%s: %-10s %6s/s try %d: sent %s at %s/s%s, accounted %s, lost %s%s, ' \
			"$prog" "$c" "$label" "$try" "$sent_r" "$(fmt_rate "$t_rate")" "$short" \
			"${got_r:-?}" "$lost" "$extra" >&2
		printf 'socket drops %s, others %s s, buffer could hide %s %%: %s\n' "$t_drops" \
			"$t_other" "$t_share" "$verdict" >&2
		if [ -n "$t_got" ] && [ "$t_got" != "$t_sent" ] && [ "$got_r" = "$sent_r" ]; then
			say "  $c: records as sent but packets/bytes differ: sent $t_sent, accounted $t_got"
		fi
		case $verdict in
		*"run again") again=$((again + 1)) disturbed=$((disturbed + 1)) ;;
		lossless*)
			[ -z "$t_attr" ] || attr_result[$c]=$t_attr
			return 0 ;;
		*) try=$((try + 1)) ;;
		esac
	done
	return 0
}

# ---- the measurements ----

hz=$(getconf CLK_TCK)
disturbed=0 unreliable=0 patience_used=0 patience_warned=
declare -A best_rate best_label best_share at_top cutoff rcvbuf_seen attr_result hold_records hold_rb
say "$(nproc) CPUs, kernel $(uname -r); collectors on CPU 0, generator on CPU 1;" \
	"$duration s per trial, batch $batch, receive buffer $rcvbuf, up to $tries tries per rate"
say "tenant map: $n_prefixes prefixes, $n_tenants tenants; nfacctd: $method, $queue queue;" \
	"time budget $budget s"
t_begin=$SECONDS

for c in "${run_order[@]}"; do
	best_rate[$c]=0 best_label[$c]=none best_share[$c]=- at_top[$c]=0 cutoff[$c]=0
	hold_records[$c]="?"
	last=${rates[${#rates[@]} - 1]}
	[ $((SECONDS - t_begin)) -ge "$budget" ] || probe "$c"
	for rate in "${rates[@]}"; do
		if ! run_rate "$c" "$rate"; then
			cutoff[$c]=1
			say "$c: time budget spent; its ladder stops at $(fmt_rate "$rate")/s"
			break
		fi
		[ $t_lossless = 1 ] || break
		best_rate[$c]=$t_rate best_share[$c]=$t_share
		best_label[$c]=$(if [ "$rate" -eq 0 ]; then echo max; else fmt_rate "$rate"; fi)
		[ "$rate" -ne "$last" ] || at_top[$c]=1
	done
	if [ -z "${rcvbuf_seen[$c]:-}" ]; then
		attr_result[$c]="not measured"
		continue
	fi
	[ -n "${attr_result[$c]:-}" ] || attr_result[$c]=$([ "$c" = nfcapd ] && echo "none (plain flows)" ||
		echo "not checked (no lossless trial)")
	say "$c: receive buffer (skmem rb, smallest over its trials) ${rcvbuf_seen[$c]} bytes," \
		"holding ${hold_records[$c]} records"
done

# ---- the table ----

echo
printf '%-11s %-19s %-17s %-11s %-13s %-18s %s\n' collector "lossless records/s" "ladder step" \
	"rcvbuf (rb)" "it holds" "buffer could hide" attribution
over=()
for c in flowtallyd nfacctd nfcapd; do
	[ -n "${want[$c]:-}" ] || continue
	step=${best_label[$c]}
	[ "${at_top[$c]}" = 0 ] || step="$step (top)"
	[ "${cutoff[$c]}" = 0 ] || step="$step (cut, -T)"
	attr=${attr_result[$c]}
	case $c in
	flowtallyd) attr="$attr: prefix_files, $n_prefixes prefixes, $n_tenants tenants" ;;
	nfacctd) attr="$attr: $([ "$method" = nets ] && echo networks_file, src_as/dst_as ||
		echo pre_tag_map, tag/tag2), $queue queue" ;;
	esac
	share=${best_share[$c]}
	[ "$share" = - ] || share="$share %"
	if over_share "${best_share[$c]}"; then
		share="$share (> 5 %!)"
		over+=("$c")
	fi
	printf '%-11s %-19s %-17s %-11s %-13s %-18s %s\n' "$c" "${best_rate[$c]}" "$step" \
		"${rcvbuf_seen[$c]:-?}" "${hold_records[$c]} rec" "$share" "$attr"
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
[ -n "${want[flowtallyd]:-}" ] || exit 0

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "?"; else printf "%.2f", a / b }'; }
met() { awk -v v="$1" -v g="$2" 'BEGIN { if (v == "?") print "not measured"; else print (v >= g ? "met" : "NOT met") }'; }
# flowtallyd's figure is a lower bound when it lost nothing at the top of its ladder.
at_least=
[ "${at_top[flowtallyd]}" = 0 ] && [ "${cutoff[flowtallyd]}" = 0 ] || at_least=">= "
echo
for pair in nfacctd:5 nfcapd:3; do
	o=${pair%:*} goal=${pair#*:}
	[ -n "${want[$o]:-}" ] || continue
	r=$(ratio "${best_rate[flowtallyd]}" "${best_rate[$o]}")
	[ "${best_rate[flowtallyd]}" -gt 0 ] || r="?"
	verdict=$(met "$r" "$goal")
	if [ "$r" != "?" ] && [ -n "$at_least" ] && [ "$verdict" = "NOT met" ]; then
		verdict="not decided: flowtallyd's figure is only a lower bound"
	fi
	if [ "$r" != "?" ] && [ "${at_top[$o]}" = 1 ]; then
		verdict="$verdict; $o lost nothing at the top of its ladder either: the ratio may be lower"
	fi
	unknown=
	for x in "$o" flowtallyd; do
		[ -z "$unknown" ] && [ "${best_rate[$x]}" -eq 0 ] || continue
		if [ "${cutoff[$x]}" = 1 ]; then
			unknown="$x: no lossless rate before the time budget (-T) ran out"
		else
			unknown="$x lost records at the lowest rate: lower the ladder with -r"
		fi
	done
	if [ -n "$unknown" ]; then
		echo "ratio flowtallyd/$o: ? ($unknown)"
	else
		echo "ratio flowtallyd/$o: $at_least$r (goal >= $goal: $verdict)"
	fi
done
exit 0
