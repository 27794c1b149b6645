#!/usr/bin/env bash
# The operations dashboards at scale: the full site (every period: day, week, month,
# year) drawn by `flowtally dashboard` from an RRD directory of the real layout for 200
# tenants (each with its own file and three classes: internet, janet, internal), 50
# SNMP-polled links and 20 exporters, plus total, unattributed and the collector: 873
# files, about 12.5 GB, at the collector's default 60-second step.
#
# The files are made once by tests/bench/dashboard_gen (full-size archives; see its
# opening comment for the names and values) through the RRD sink's own store, filled
# for the last D days (-D, default 35) before the render's time AT.  AT is the start
# of the current month (UTC) unless -a says otherwise, so that the month pages cover a
# whole month (the last render of a month, the longest month page there is), not the
# day or two since the first.
#
# The measurement.  Before each timed run the files are written out and the page cache
# dropped (echo 3 > /proc/sys/vm/drop_caches) when that is permitted (root), so that
# the run reads them from the disk, as a render after a quiet night does; otherwise
# the output says "warm".  Then
#   flowtally dashboard -d DATA --out OUT --period all --at AT [--jobs N]
# (the built-in definitions: the repository's dashboards/) is timed with GNU time (wall, user + system CPU of it and its workers,
# peak resident set of the largest process), and the site checked by
# tests/bench/dashboard_pages.py: every page of every span (overview, each tenant,
# link and exporter) and index.html exist, each page shows one image per graph of its
# definition, and every image it shows is a PNG there.
#
# The peer, in the same run and from a cold cache again: plain `rrdtool graph`
# (Debian's rrdtool program) drawing the same images (the same DEF, CDEF, VDEF and
# drawing lines, for_each expanded; dashboard_pages.py rrdtool), one process per
# image, two at a time (xargs -P 2), and again through two long-lived `rrdtool -`
# processes (its pipe mode: no process start per image), so that the reader sees what
# librrd itself costs.
# It is given the advantages the script's opening comment in dashboard_pages.py lists
# (no ranking of the top tenants, no xport of the numbers).
#
# Goal: the full dashboard in under 60 s on this (2-CPU) machine.  Exits 1 when it is
# missed or the site is incomplete, 77 (skip) when a program is missing, the disk has
# too little room, or this build's flowtally has no dashboard command (the generator
# and the peer are still run, and their figures printed).
set -euo pipefail

prog=dashboard.sh
top=$(cd "$(dirname "$0")/../.." && pwd)
build=build-release
tmpbase=${TMPDIR:-/tmp}
keep=${KEEP:-}
tenants=200 links=50 exporters=20 classes=3 days=35 at='' jobs='' peer=1 goal=60

usage() {
	cat <<EOF
Usage: tests/bench/dashboard.sh [OPTION]...
Generate an RRD directory of the real layout (200 tenants x 3 classes, 50 links, 20
exporters), draw the full dashboard with flowtally dashboard from a cold page cache,
check every page and image, time plain rrdtool graph on the same images, and compare
with the 60 s goal.

Options
  -B DIR   build directory, relative to the repository or absolute (default
           build-release; meson setup build-release --buildtype=release)
  -T DIR   where the work directory is made (default \$TMPDIR or /tmp; about 13 GB)
  -t N     tenants (default 200)     -l N  links (default 50)
  -e N     exporters (default 20)    -C N  classes (default 3)
  -D N     days of data before the render's time (default 35)
  -a TIME  the render's time, UNIX seconds, a multiple of 300 (default: the start of
           the current month, UTC)
  -j N     --jobs given to flowtally dashboard (default: its own)
  -P       leave the rrdtool peer out
  -k       keep the work directory (also KEEP=1)
  -h       this help
EOF
}

while getopts "B:T:t:l:e:C:D:a:j:Pkh" opt; do
	case $opt in
	B) build=$OPTARG ;; T) tmpbase=$OPTARG ;; t) tenants=$OPTARG ;; l) links=$OPTARG ;;
	e) exporters=$OPTARG ;; C) classes=$OPTARG ;; D) days=$OPTARG ;; a) at=$OPTARG ;;
	j) jobs=$OPTARG ;; P) peer= ;; k) keep=1 ;; h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }
for v in "$tenants" "$links" "$exporters" "$classes" "$days" ${jobs:+"$jobs"} ${at:+"$at"}; do
	[[ $v =~ ^[0-9]+$ ]] || { echo "$prog: '$v' is not a whole number" >&2; exit 2; }
done
[ "$keep" != 0 ] || keep=
case $build in /*) ;; *) build=$top/$build ;; esac
if [ -z "$at" ]; then
	at=$(date -u -d "$(date -u +%Y-%m-01) 00:00" +%s)
fi
[ $((at % 300)) -eq 0 ] || { echo "$prog: -a: a multiple of 300" >&2; exit 2; }

gen=$build/tests/bench/dashboard_gen
cli=$build/collector/cli/flowtally
pages_py=$top/tests/bench/dashboard_pages.py
for p in "$gen" "$cli"; do
	if [ ! -x "$p" ]; then
		echo "$prog: $p is missing (meson setup $build --buildtype=release; ninja -C $build)" >&2
		exit 77
	fi
done
for p in python3 rrdtool xargs /usr/bin/time; do
	command -v "$p" >/dev/null || { echo "$prog: $p is not installed" >&2; exit 77; }
done
have_cmd=1
if ! "$cli" dashboard --help >/dev/null 2>&1; then
	have_cmd=
	echo "$prog: this build's flowtally has no dashboard command: the generator and the peer only" >&2
fi

# room: the files (13.3 MB a six-source file, 11.1 MB total.rrd, 22.2 MB an
# interface's, at 60-second steps), the two sites, and a margin
n_files=$((tenants * (1 + classes) + exporters + links + 3))
need_mb=$(((tenants * (1 + classes) + exporters + 3) * 134 / 10 + links * 223 / 10 + 1500))
avail_mb=$(df -Pm "$tmpbase" | awk 'NR == 2 { print $4 }')
if [ "$avail_mb" -lt "$need_mb" ]; then
	echo "$prog: $tmpbase has $avail_mb MB free, the $n_files files need about $need_mb MB: skipped" >&2
	exit 77
fi

work=$(mktemp -d "$tmpbase/flowtally-dashboard-bench.XXXXXX")
cleanup() {
	if [ -n "$keep" ]; then
		echo "$prog: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cache=warm
drop_cache() {
	sync
	if [ "$(id -u)" = 0 ] && { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
		cache=cold
	else
		echo "$prog: cannot drop the page cache (not root, or not permitted): the run is warm and flatters" >&2
		cache=warm
	fi
}

# timed LOG CMD...: CMD under GNU time, its verbose report in LOG; the exit status of CMD
timed() {
	local log=$1
	shift
	/usr/bin/time -v -o "$log" "$@"
}
# fig LOG: "WALL CPU RSS_MB" from GNU time's report
fig() {
	awk -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
		/User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
		END { printf "%.1f %.1f %.0f\n", w, u + s, r / 1024 }' "$1"
}

# ---- the files ----

data=$work/data
rrd=$data/rrd
mkdir -p "$data"
echo "== generating $n_files RRD files (real layout, 60 s step, $days days before" \
	"$(date -u -d "@$at" '+%Y-%m-%d %H:%M UTC')) into $rrd"
gen_line=$("$gen" --dir "$rrd" --tenants "$tenants" --classes "$classes" --links "$links" \
	--exporters "$exporters" --days "$days" --end "$at")
gen_s=$(sed -E 's/.*seconds=([0-9.]+).*/\1/' <<<"$gen_line")
updates=$(sed -E 's/.*updates=([0-9]+).*/\1/' <<<"$gen_line")
size_mb=$(du -sm "$rrd" | cut -f1)
echo "generated in $gen_s s: $gen_line; $size_mb MB on disk"

# ---- flowtally dashboard ----

spans=day,week,month,year
fail=0 ft_wall='' ft_cpu='' ft_rss='' ft_cache='' check_line='' ft_status=''
if [ -n "$have_cmd" ]; then
	out=$work/site
	drop_cache
	ft_cache=$cache
	echo "== ($cache page cache) $cli dashboard -d $data --out $out --period all --at $at${jobs:+ --jobs $jobs}"
	ft_status=0
	timed "$work/ft.time" "$cli" dashboard -d "$data" --out "$out" --period all --at "$at" \
		${jobs:+--jobs "$jobs"} >"$work/ft.out" 2>"$work/ft.err" || ft_status=$?
	tail -n 5 "$work/ft.err" >&2 || true
	read -r ft_wall ft_cpu ft_rss <<<"$(fig "$work/ft.time")"
	[ "$ft_status" = 0 ] || { echo "$prog: flowtally dashboard exited with $ft_status" >&2; fail=1; }
	check_line=$(python3 "$pages_py" check "$top/dashboards" "$rrd" "$out" "$spans") || fail=1
	n_png=$(find "$out" -name '*.png' | wc -l)
	n_html=$(find "$out" -name '*.html' | wc -l)
	echo "flowtally: $ft_wall s wall, $ft_cpu s CPU, $ft_rss MB peak RSS; wrote $n_png PNG files," \
		"$n_html HTML pages; check: $check_line"
fi

# ---- the peer: rrdtool graph, one process per image, two at a time ----

pr_wall='' pr_cpu='' pr_rss='' pr_n=0 pr_cache='' pp_wall='' pp_cpu='' pp_rss=''
if [ -n "$peer" ]; then
	mkdir -p "$work/peer"
	python3 "$pages_py" rrdtool "$top/dashboards" "$rrd" "$work/peer" "$at" "$spans" >"$work/peer.cmds"
	pr_n=$(wc -l <"$work/peer.cmds")
	drop_cache
	pr_cache=$cache
	echo "== ($cache page cache) rrdtool graph: $pr_n images, one process each, xargs -P 2"
	pr_status=0
	# each bash runs 25 rrdtool processes in turn; a failed one is counted, not fatal
	timed "$work/peer.time" xargs -P 2 -d '\n' -n 25 bash -c \
		'f=0; for c; do eval "$c" >/dev/null || f=$((f + 1)); done; exit $((f > 0))' _ \
		<"$work/peer.cmds" 2>"$work/peer.err" || pr_status=$?
	read -r pr_wall pr_cpu pr_rss <<<"$(fig "$work/peer.time")"
	pr_png=$(find "$work/peer" -name '*.png' | wc -l)
	[ "$pr_status" = 0 ] || echo "$prog: some rrdtool graph runs failed: $(grep -v '^Command' "$work/peer.err" | head -n 1)" >&2
	echo "rrdtool graph: $pr_wall s wall, $pr_cpu s CPU, $pr_rss MB largest process; $pr_png of $pr_n PNG files"
	# the same images through two long-lived `rrdtool -` (its pipe mode, one command a
	# line): librrd's drawing without a process start per image
	rm -rf "$work/peer"
	mkdir -p "$work/peer"
	for h in 0 1; do
		awk -v h=$h 'NR % 2 == h { sub(/^rrdtool /, ""); print }' "$work/peer.cmds" >"$work/pipe$h.cmds"
	done
	drop_cache
	echo "== ($cache page cache) rrdtool - (pipe mode): the same $pr_n images, two processes"
	timed "$work/pipe.time" bash -c 'rrdtool - <"$1" >"$1.out" 2>&1 & rrdtool - <"$2" >"$2.out" 2>&1 & wait' _ \
		"$work/pipe0.cmds" "$work/pipe1.cmds" || true
	read -r pp_wall pp_cpu pp_rss <<<"$(fig "$work/pipe.time")"
	pp_ok=$(cat "$work/pipe0.cmds.out" "$work/pipe1.cmds.out" | grep -c '^OK ' || true)
	pp_png=$(find "$work/peer" -name '*.png' | wc -l)
	grep -h -m 1 '^ERROR' "$work/pipe0.cmds.out" "$work/pipe1.cmds.out" >&2 || true
	echo "rrdtool -: $pp_wall s wall, $pp_cpu s CPU, $pp_rss MB largest process; $pp_ok OK, $pp_png PNG files"
fi

# ---- the summary ----

echo
echo "dashboard: $tenants tenants x $classes classes, $links links, $exporters exporters: $n_files RRD files," \
	"$size_mb MB, $days days at 60 s before $(date -u -d "@$at" '+%Y-%m-%d %H:%M UTC'), $updates updates" \
	"generated in $gen_s s; periods $spans"
if [ -n "$peer" ]; then
	echo "peer:      rrdtool graph ($pr_cache cache), $pr_n images, 2 at a time: $pr_wall s wall, $pr_cpu s CPU;" \
		"the same through two rrdtool - pipes: $pp_wall s wall, $pp_cpu s CPU"
fi
if [ -z "$have_cmd" ]; then
	echo "flowtally: no dashboard command in $cli: not measured"
	exit 77
fi
verdict=PASS
awk -v w="$ft_wall" -v g="$goal" 'BEGIN { exit !(w + 0 < g + 0) }' || { verdict=FAIL; fail=1; }
[ "$fail" = 0 ] || verdict=FAIL
ratio() { awk -v a="$ft_wall" -v b="$1" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "-" }'; }
echo "flowtally: full dashboard ($ft_cache cache): $ft_wall s wall, $ft_cpu s CPU, $ft_rss MB peak RSS;" \
	"$check_line; time / rrdtool graph's $(ratio "$pr_wall"), / rrdtool -'s $(ratio "$pp_wall");" \
	"goal < $goal s: $verdict"
exit $fail
