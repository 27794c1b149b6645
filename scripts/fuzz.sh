#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS [TARGET...]]
#
# Builds the libFuzzer targets with clang, ASan and UBSan in build-fuzz/ (under the
# repository root, or under $FT_BUILD_ROOT when set), then runs each target
# tests/fuzz/fuzz_<name>.c (or only the TARGETs named, e.g. pcap) for SECONDS
# (default 60) on a temporary copy of tests/fuzz/corpus/<name>/, so the committed
# corpus is left as it is.  SECONDS is each target's, not shared: adding a target
# lengthens the run by SECONDS / jobs.  Targets run $FT_FUZZ_JOBS at a time (default
# nproc, one per core), so N targets take about ceil(N / jobs) * SECONDS; to run one
# longer, name it alone (`scripts/fuzz.sh 600 pcap`).  Prints one line per target, in
# name order, when all are done.  Exits 1 when a target found a crash, leak or
# timeout; the line names the saved input (keep it: copy it into the corpus as
# crash-<what> so it becomes a test).
set -euo pipefail

secs=${1:-60}
if ! [[ $secs =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: $0 [SECONDS [TARGET...]]" >&2
	exit 2
fi
shift $(($# > 0 ? 1 : 0))

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FT_BUILD_ROOT:-$root}/build-fuzz
artifacts=$build/fuzz-artifacts

if [[ ! -f $build/build.ninja ]]; then
	# Coverage instrumentation for the libraries (fuzzer-no-link); the targets themselves
	# add -fsanitize=fuzzer.  Meson's -Wl,--no-undefined breaks clang sanitizer links.
	CC=clang meson setup "$build" "$root" -Dfuzz=true -Dtests=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi

names=()
for src in "$root"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	[[ $name == fuzz_main ]] || names+=("${name#fuzz_}")
done
if [[ $# -gt 0 ]]; then
	for name in "$@"; do
		if [[ ! -f $root/tests/fuzz/fuzz_$name.c || $name == main ]]; then
			echo "$0: no fuzz target $name (tests/fuzz/fuzz_$name.c)" >&2
			exit 2
		fi
	done
	names=("$@")
fi
jobs=${FT_FUZZ_JOBS:-$(nproc)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || jobs=1
ninja -C "$build" "${names[@]/#/tests/fuzz/fuzz_}" >/dev/null

# The corpus copies live in the build directory: a cleaner of /tmp cannot take them
# from under a running target.
work=$(mktemp -d "$build/fuzz-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
# UBSan reports are findings too: make them stop the run like ASan's do.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Leaks of the libraries linked (tests/fuzz/lsan.supp says which and why) are not ours.
export LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}

# One target: its corpus copy, its log, and its line into $work/NAME.line.
run_one() {
	local name=$1 corpus=$work/$name log=$artifacts/fuzz_$name.log rc=0
	mkdir -p "$corpus" "$artifacts/$name"
	if [[ -d $root/tests/fuzz/corpus/$name ]]; then
		cp -R "$root/tests/fuzz/corpus/$name/." "$corpus/"
	fi
	# -max_total_time ends the run; timeout(1) is the backstop if it does not.
	timeout -k 10 $((secs + 60)) "$build/tests/fuzz/fuzz_$name" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$name/" "$corpus" >"$log" 2>&1 || rc=$?
	local execs rate cov crash
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1 || true)
	crash=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
	if [[ $rc -eq 0 ]]; then
		echo "fuzz_$name: ok, ${execs:-?} runs in ${secs}s (${rate:-?}/s), ${cov:-no coverage line}"
	else
		echo "fuzz_$name: FAILED (exit $rc) after ${execs:-?} runs, input: ${crash:-none saved}, log: $log"
	fi >"$work/$name.line"
	[[ $rc -eq 0 ]]
}

found=0
running=0
for name in "${names[@]}"; do
	if ((running >= jobs)); then
		wait -n || found=1
		running=$((running - 1))
	fi
	run_one "$name" &
	running=$((running + 1))
done
while ((running > 0)); do
	wait -n || found=1
	running=$((running - 1))
done
for name in "${names[@]}"; do
	cat "$work/$name.line"
done
exit $found
