#!/usr/bin/env bash
# The monthly recharge at scale: a generated month of ledger blocks for 200 tenants ×
# 5 classes (2,000 L lines a step, with the five S lines and SHA-256 chaining of the
# real format) at 60-second steps (44,700 steps, some 89 M L lines, about 5 GB) and at
# 300-second steps (8,940 steps, about 1 GB), each read as a recharge reads it
# (tests/bench/bench_recharge: ft_bins_read of October 2026 in Europe/London, every
# block verified, then ft_statement_build for the 200 tenants under a tariff of one
# pool of each basis), with wall time, CPU time and peak RSS (getrusage ru_maxrss).
#
# The months are written by tests/bench/recharge_gen with ft_ledger_append, as
# flowtallyd writes (fsync per block, HEAD per block), then checked with `flowtally
# ledger verify` (skip with -V).  Before each measured read the page cache is dropped
# (echo 3 > /proc/sys/vm/drop_caches) when that is permitted (root), so the read is
# from the disk, as a monthly run finds it; otherwise it is said, and the read is warm.
#
# Limits: the 60 s month under 30 s and 256 MB, the 300 s month under 10 s (and, the
# same code, under 256 MB).  Exits 1 when a limit is missed, 77 (skip) when the disk
# under the work directory has too little room or a program is missing.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=build-release
keep=
verify=1
tmpbase=${TMPDIR:-/tmp}
steps="60 300"

usage() {
	cat <<EOF
Usage: tests/bench/recharge.sh [OPTION]...
Generate a month of ledger at 60 s and at 300 s steps (200 tenants × 5 classes), time
the core of a recharge over each with a cold page cache, and compare with the limits.

Options
  -B DIR   build directory, relative to the repository or absolute (default build-release;
           set it up with --buildtype=release -Dtests=enabled)
  -T DIR   where the work directory is made (default \$TMPDIR or /tmp)
  -s LIST  step lengths to run, of 60 and 300 (default "60 300")
  -V       do not run flowtally ledger verify on the generated months
  -k       keep the work directory (its path is printed)
  -h       this help
EOF
}

while getopts "B:T:s:Vkh" opt; do
	case $opt in
	B) build=$OPTARG ;;
	T) tmpbase=$OPTARG ;;
	s) steps=$OPTARG ;;
	V) verify= ;;
	k) keep=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
case $build in /*) ;; *) build=$top/$build ;; esac

gen=$build/tests/bench/recharge_gen
bench=$build/tests/bench/bench_recharge
cli=$build/collector/cli/flowtally
for p in "$gen" "$bench" "$cli"; do
	if [ ! -x "$p" ]; then
		echo "recharge.sh: $p is missing (meson setup $build --buildtype=release -Dtests=enabled; ninja -C $build)" >&2
		exit 77
	fi
done

# room: about 5.1 GB for the 60 s month, 1.1 GB for the 300 s one, with a margin
need_kb=0
for s in $steps; do
	case $s in
	60) need_kb=$((need_kb + 6 * 1024 * 1024)) ;;
	300) need_kb=$((need_kb + 3 * 1024 * 1024 / 2)) ;;
	*) echo "recharge.sh: step $s: only 60 and 300" >&2; exit 2 ;;
	esac
done
avail_kb=$(df -Pk "$tmpbase" | awk 'NR == 2 { print $4 }')
if [ "$avail_kb" -lt "$need_kb" ]; then
	echo "recharge.sh: $tmpbase has $((avail_kb / 1024)) MB free, the months need $((need_kb / 1024)) MB: skipped" >&2
	exit 77
fi

work=$(mktemp -d "$tmpbase/flowtally-recharge-bench.XXXXXX")
cleanup() {
	if [ -n "$keep" ]; then
		echo "recharge.sh: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

drop_cache() {
	sync
	if [ "$(id -u)" = 0 ] && { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null; then
		cache=cold
	else
		echo "recharge.sh: cannot drop the page cache (not root, or not permitted): the read is warm and flatters" >&2
		cache=warm
	fi
}

fail=0
declare -A wall cpu rss gen_s size_mb cache_of
for s in $steps; do
	data=$work/data-$s
	mkdir -p "$data"
	echo "== ${s} s steps: generating into $data/ledger"
	t0=$(date +%s.%N)
	"$gen" -s "$s" -m append "$data/ledger"
	t1=$(date +%s.%N)
	gen_s[$s]=$(printf '%.1f' "$(echo "$t1 - $t0" | bc)")
	size_mb[$s]=$(du -sm "$data/ledger" | cut -f1)
	echo "generated in ${gen_s[$s]} s, ${size_mb[$s]} MB"
	if [ -n "$verify" ]; then
		if ! "$cli" ledger verify -d "$data" > "$work/verify-$s.txt" 2>&1; then
			cat "$work/verify-$s.txt" >&2
			echo "recharge.sh: flowtally ledger verify refused the generated month" >&2
			exit 1
		fi
		grep -E '^(steps|cells|result)' "$work/verify-$s.txt"
	fi
	drop_cache
	cache_of[$s]=$cache
	echo "measuring ($cache page cache): $bench $data/ledger"
	if ! "$bench" "$data/ledger" | tee "$work/bench-$s.txt"; then
		echo "recharge.sh: bench_recharge failed on the ${s} s month" >&2
		exit 1
	fi
	wall[$s]=$(awk '$1 == "wall_s" { print $2 }' "$work/bench-$s.txt")
	cpu[$s]=$(awk '$1 == "cpu_s" { print $2 }' "$work/bench-$s.txt")
	rss[$s]=$(awk '$1 == "maxrss_mb" { print $2 }' "$work/bench-$s.txt")
	rm -rf "$data"          # room for the next month
done

echo
printf '%-6s %-9s %-10s %-10s %-14s %-8s %-8s %s\n' step cache gen_s size_MB wall_s cpu_s rss_MB limits
for s in $steps; do
	if [ "$s" = 60 ]; then lim_t=30; else lim_t=10; fi
	lim_m=256
	ok=ok
	if [ "$(echo "${wall[$s]} >= $lim_t" | bc)" = 1 ] || [ "$(echo "${rss[$s]} >= $lim_m" | bc)" = 1 ]; then
		ok=MISSED
		fail=1
	fi
	printf '%-6s %-9s %-10s %-10s %-14s %-8s %-8s < %s s, < %s MB: %s\n' "$s" "${cache_of[$s]}" "${gen_s[$s]}" \
		"${size_mb[$s]}" "${wall[$s]}" "${cpu[$s]}" "${rss[$s]}" "$lim_t" "$lim_m" "$ok"
done
exit $fail
