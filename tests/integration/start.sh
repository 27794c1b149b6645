#!/usr/bin/env bash
# Starts and stops that tell the truth.  A detached flowtallyd returns only once it is
# ready (exit 0, pid file written) or has failed (exit 1 or 2, with the reason on
# standard error): a port already taken (also one shared through SO_REUSEPORT by
# several receive threads), a data directory another flowtallyd holds
# (named by its pid, and its pid file left alone), a data directory that is a file.
# Configuration errors found at SIGHUP are logged, each file:line, not lost on a
# standard error nobody reads.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
cleanup() {
	local f
	for f in "$tmp"/*.pid; do
		[ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
	[ -z "${fpid:-}" ] || kill -KILL "$fpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

conf() {  # FILE DATA_DIR PORT
	cat >"$1" <<CONF
listen = ["127.0.0.1:$3"];
exporters = ["127.0.0.0/8"];
data_dir = "$2";
stats_interval = 1;
CONF
}
# detached CONF PIDFILE: starts a detached flowtallyd, at most 20 s; sets $rc.
detached() {
	set +e
	timeout 20 "$ftd" --allow-root -c "$1" -p "$2" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" != 124 ] || fail "a detached start did not return within 20 s"
}
expect_err() { grep -qF -- "$1" "$tmp/err" || { cat "$tmp/err" >&2; fail "stderr lacks: $1"; }; }

# 1. A detached start returns once ready, with the pid file of the running daemon.
conf "$tmp/a.conf" "$tmp/a" 0
detached "$tmp/a.conf" "$tmp/a.pid"
[ "$rc" = 0 ] || { cat "$tmp/err" >&2; fail "a good detached start exited $rc"; }
[ -s "$tmp/a.pid" ] || fail "no pid file after a detached start returned"
apid=$(cat "$tmp/a.pid")
kill -0 "$apid" || fail "the pid file names no running process"
[ -s "$tmp/a/stats.json" ] || fail "ready, but no stats.json"
port=$(jq '.listeners[0].port' "$tmp/a/stats.json")
jq -e '.listeners[0] | .receive_buffer_configured > 0 and .receive_buffer >= .receive_buffer_configured' \
	"$tmp/a/stats.json" >/dev/null || fail "receive buffer not reported as configured and granted"
note "detached: ready, pid $apid, port $port"

# 2. Its data directory, held by it: the second says by whom, and leaves its pid file.
conf "$tmp/b.conf" "$tmp/a" 0
detached "$tmp/b.conf" "$tmp/b.pid"
[ "$rc" = 1 ] || { cat "$tmp/err" >&2; fail "a second daemon on the same data directory exited $rc"; }
expect_err "$tmp/a is in use by flowtallyd pid $apid (state/running.json)"
[ "$(grep -c "$tmp/a" "$tmp/err")" = 1 ] || fail "the data directory named more than once: $(cat "$tmp/err")"
[ "$(cat "$tmp/a.pid")" = "$apid" ] || fail "the first daemon's pid file was touched"
[ ! -e "$tmp/b.pid" ] || fail "a pid file written by a daemon that did not start"
kill -0 "$apid" || fail "the first daemon is gone"

# 3. Its port, taken: exit 1, the address named.
conf "$tmp/c.conf" "$tmp/c" "$port"
detached "$tmp/c.conf" "$tmp/c.pid"
[ "$rc" = 1 ] || { cat "$tmp/err" >&2; fail "a start on a taken port exited $rc"; }
expect_err "127.0.0.1:$port: Address already in use"
[ ! -e "$tmp/c.pid" ] || fail "a pid file written by a daemon that did not start"

# 3b. With several receive threads (SO_REUSEPORT), a second collector on the port would
#     share it and take part of the traffic without a word: refused the same way.
conf "$tmp/r1.conf" "$tmp/r1" 0
echo 'receive_threads = 2;' >>"$tmp/r1.conf"
detached "$tmp/r1.conf" "$tmp/r1.pid"
[ "$rc" = 0 ] || { cat "$tmp/err" >&2; fail "a start with two receive threads exited $rc"; }
rport=$(jq '.listeners[0].port' "$tmp/r1/stats.json")
conf "$tmp/r2.conf" "$tmp/r2" "$rport"
echo 'receive_threads = 2;' >>"$tmp/r2.conf"
detached "$tmp/r2.conf" "$tmp/r2.pid"
[ "$rc" = 1 ] || { cat "$tmp/err" >&2; fail "a second daemon sharing a SO_REUSEPORT port exited $rc"; }
expect_err "127.0.0.1:$rport: Address already in use (another process listens there)"
kill -TERM "$(cat "$tmp/r1.pid")"

# 4. A data directory that is a file: exit 1, the path named.
: >"$tmp/file"
conf "$tmp/d.conf" "$tmp/file" 0
detached "$tmp/d.conf" "$tmp/d.pid"
[ "$rc" = 1 ] || { cat "$tmp/err" >&2; fail "a data directory that is a file: exit $rc"; }
expect_err "$tmp/file: it is a symbolic link or not a directory"

# 5. A bad configuration: exit 2 before anything starts.
printf 'listen = ["127.0.0.1:0"];\nstep = 7;\n' >"$tmp/e.conf"
detached "$tmp/e.conf" "$tmp/e.pid"
[ "$rc" = 2 ] || fail "a bad configuration exited $rc"
expect_err "$tmp/e.conf:2: step = 7 does not divide a day"

# 6. The first stops at SIGTERM and removes its own pid file.
kill -TERM "$apid"
for _ in $(seq 100); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$apid" 2>/dev/null || fail "flowtallyd did not stop within 10 s of SIGTERM"
[ ! -e "$tmp/a.pid" ] || fail "the pid file is still there after the stop"

# 7. SIGHUP with a broken file: every error logged through the logger, file:line.
conf "$tmp/f.conf" "$tmp/f" 0
"$ftd" --allow-root -f -c "$tmp/f.conf" 2>"$tmp/f.log" &
fpid=$!
data=$tmp/f
wait_for test -s "$tmp/f/stats.json" || { cat "$tmp/f.log" >&2; fail "flowtallyd -f did not start"; }
printf 'listen = ["127.0.0.1:0"];\n\ncolour = "blue";\nstep = 7;\n' >"$tmp/f.conf"
kill -HUP "$fpid"
wait_for grep -q 'reload failed' "$tmp/f.log" || { cat "$tmp/f.log" >&2; fail "no 'reload failed' logged"; }
grep -q "\[err\] config: $tmp/f.conf:3: unknown key 'colour'" "$tmp/f.log" ||
	{ cat "$tmp/f.log" >&2; fail "the reload's error was not logged with file:line"; }
grep -q "\[err\] config: $tmp/f.conf:4: step = 7" "$tmp/f.log" || fail "the reload's second error was not logged"
kill -TERM "$fpid"
wait "$fpid" || fail "flowtallyd -f exited $? after SIGTERM"
fpid=
echo "start: ok"
