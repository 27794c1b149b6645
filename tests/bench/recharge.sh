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
# Then, beside it in the same run and from a cold cache again, the command itself:
# `flowtally recharge --month 2026-10 -d DATA --tariff T --no-rrd-check --no-timestamp`
# writing its JSON, timed with its peak RSS by the kernel's own rusage of the child
# (python3's resource module), so what the figure includes is what a user runs (the
# tariff read, the members, the statement, the JSON).
#
# Limits: the 60 s month under 30 s and 256 MB, the 300 s month under 10 s (and, the
# same code, under 256 MB), for the command; the core's figures are printed beside it.  Exits 1 when a limit is missed, 77 (skip) when the disk
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
declare -A wall cpu rss gen_s size_mb cache_of cwall ccpu crss
cat >"$work/tariff.conf" <<'TARIFF'
pools = (
  { name = "core";     amount_pence = 1250000; basis = "peak_share"; },
  { name = "internet"; amount_pence = 480000;  basis = "volume"; direction = "in"; },
  { name = "capacity"; amount_pence = 999999;  basis = "p95"; metric = "max_in_out"; },
  { name = "desk";     amount_pence = 300001;  basis = "equal"; },
  { name = "sites";    amount_pence = 700000;  basis = "weights";
    weights = ( { tenant = "tenant-0000"; weight = 12; }, { tenant = "tenant-0001"; weight = 7; } ); }
);
TARIFF
# run_timed OUT CMD...: runs CMD with standard output into OUT; prints "wall_s W",
# "cpu_s C", "maxrss_mb M" of the child, from the kernel's rusage
run_timed() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
out = open(sys.argv[1], "w")
t = time.monotonic()
rc = subprocess.run(sys.argv[2:], stdout=out).returncode
w = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("wall_s %.2f\ncpu_s %.2f\nmaxrss_mb %.1f" % (w, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024))
sys.exit(rc)
PY
}
command -v python3 >/dev/null || { echo "recharge.sh: python3 is needed to time the command" >&2; exit 77; }
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
	drop_cache
	echo "measuring ($cache page cache): $cli recharge --month 2026-10 -d $data --tariff $work/tariff.conf --no-rrd-check --no-timestamp"
	if ! run_timed "$work/statement-$s.json" "$cli" recharge --month 2026-10 -d "$data" --tariff "$work/tariff.conf" \
		--no-rrd-check --no-timestamp | tee "$work/cmd-$s.txt"; then
		echo "recharge.sh: flowtally recharge failed on the ${s} s month" >&2
		exit 1
	fi
	cwall[$s]=$(awk '$1 == "wall_s" { print $2 }' "$work/cmd-$s.txt")
	ccpu[$s]=$(awk '$1 == "cpu_s" { print $2 }' "$work/cmd-$s.txt")
	crss[$s]=$(awk '$1 == "maxrss_mb" { print $2 }' "$work/cmd-$s.txt")
	jq -e '.tenants | length == 200' "$work/statement-$s.json" >/dev/null ||
		{ echo "recharge.sh: the statement does not have the 200 tenants" >&2; exit 1; }
	rm -rf "$data"          # room for the next month
done

echo
printf '%-6s %-9s %-8s %-8s %-22s %-22s %s\n' step cache gen_s size_MB "command wall/cpu/rss" "core wall/cpu/rss" limits
for s in $steps; do
	if [ "$s" = 60 ]; then lim_t=30; else lim_t=10; fi
	lim_m=256
	ok=ok
	if [ "$(echo "${cwall[$s]} >= $lim_t" | bc)" = 1 ] || [ "$(echo "${crss[$s]} >= $lim_m" | bc)" = 1 ]; then
		ok=MISSED
		fail=1
	fi
	printf '%-6s %-9s %-8s %-8s %-22s %-22s < %s s, < %s MB: %s\n' "$s" "${cache_of[$s]}" "${gen_s[$s]}" \
		"${size_mb[$s]}" "${cwall[$s]} s ${ccpu[$s]} s ${crss[$s]} MB" "${wall[$s]} s ${cpu[$s]} s ${rss[$s]} MB" \
		"$lim_t" "$lim_m" "$ok"
done
exit $fail
