#!/usr/bin/env bash
# Every test: installs what is needed, then
#   1. a -Werror build (gcc) and all its tests: Check unit suites, fuzz corpora as
#      regression tests, integration tests against tshark and the programs themselves;
#   2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. every libFuzzer target for FT_FUZZ_SECONDS each (default 60), one per core at a
#      time (scripts/fuzz.sh).
# Build directories: build-ci/, build-asan/, build-fuzz/.  Logs: build-*/meson-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test

passed=0 failed=0 skipped=0
tally() {  # BUILD_DIR: adds meson's counts from its last run
	local log=$1/meson-logs/testlog.json
	passed=$((passed + $(grep -c '"result": "OK"' "$log" || true)))
	failed=$((failed + $(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\|UNEXPECTEDPASS\)"' "$log" || true)))
	skipped=$((skipped + $(grep -c '"result": "SKIP"' "$log" || true)))
}

run_suite() {  # BUILD_DIR MESON_SETUP_ARGS...
	local dir=$1; shift
	echo "== $dir: meson setup $*"
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
	local rc=0
	meson test -C "$dir" --verbose --print-errorlogs || rc=$?
	tally "$dir"
	return $rc
}

rc=0
run_suite build-ci -Dwerror=true -Dtests=enabled --buildtype=debugoptimized || rc=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_suite build-asan -Dwerror=true -Dtests=enabled -Db_sanitize=address,undefined \
	-Db_lundef=false --buildtype=debug || rc=1

echo "== fuzzing (clang, libFuzzer, ASan+UBSan), ${FT_FUZZ_SECONDS:-60} s per target, ${FT_FUZZ_JOBS:-$(nproc)} at a time"
if scripts/fuzz.sh "${FT_FUZZ_SECONDS:-60}"; then passed=$((passed + 1)); else failed=$((failed + 1)); rc=1; fi

echo
echo "flowtally: $passed passed, $failed failed, $skipped skipped"
exit $rc
