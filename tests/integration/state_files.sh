#!/usr/bin/env bash
# Garbage in a state file is reported and the file kept aside, and flowtallyd starts
# all the same.  DATA_DIR/state/ holds the running marker (running.json), the open
# steps saved at a stop (steps.json) and each receive thread's templates
# (templates.state, templates-1.state: binary, with a checksum; templates.json and
# templates-1.json as earlier versions wrote them, still read for an upgrade).  Each is
# filled with garbage before a start: the log names the file and what is wrong (line
# and column where JSON does not parse, the checksum of a binary file), a
# marker that cannot be read still gives the unclean-stop warning (with "?"), each file
# is renamed to NAME.damaged-YYYYMMDDTHHMMSSZ with its bytes as they were, and the
# daemon receives, stops cleanly and saves new state.  A second damaged marker is set
# aside beside the first, never over it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

data=$tmp/data
state=$data/state
cat >"$tmp/ft.conf" <<CONF
listen = ["127.0.0.1:0"];
exporters = ["127.0.0.0/8"];
data_dir = "$data";
receive_threads = 2;
stats_interval = 1;
step = 1;
lateness = 1;
CONF
mkdir -p "$state"
printf '{"pid": 4242, "alive": "2026-12-01T10:00:00.000Z", "oldest_op' >"$state/running.json"
printf '{"schema":1,"steps":[{"start_ms":1764000000000,"length_ms":1000,"map":"m","total":[5,1,1],"unattributed_src":[5,1,1],"unattributed_dst":[0,0,0],"late":[0,0,0],"not_accounted":[0,0,0],"cells":[]}]}' \
	>"$state/steps.json"
printf '\x00\x01 not json' >"$state/templates.json"
printf '{"schema":1,"exporters":[{"address":"no such address","version":9,"domain":0,"templates":[]}]}' \
	>"$state/templates-1.json"
printf 'FTTPLST\n\0\0\0\2 then garbage and no checksum' >"$state/templates-1.state"
for f in running steps templates templates-1; do cp "$state/$f.json" "$tmp/$f.orig"; done
cp "$state/templates-1.state" "$tmp/templates-1.state.orig"

# aside NAME [EXT]: the files NAME.EXT (json) was set aside as.
aside() { find "$state" -maxdepth 1 -name "$1.${2:-json}.damaged-*" | sort; }
# said LEVEL TEXT: how many lines of the log at LEVEL hold TEXT.
said() { grep -F "[$1]" "$tmp/a.log" | grep -cF -- "$2" || true; }

start_daemon "$ftd" "$tmp/ft.conf" "$tmp/a.log"
port=$(jq '.listeners[0].port' "$data/stats.json")
"$ft" generate --to "127.0.0.1:$port" --records 300 --version 9 --seed 5 --summary >"$tmp/sent.json" ||
	fail "flowtally generate failed"
kill -0 "$dpid" || { cat "$tmp/a.log" >&2; fail "flowtallyd did not keep running"; }

# running.json: a warning naming it and what is wrong, then the unclean stop with "?"
[ "$(said warning "$state/running.json: the running marker cannot be read (line 1, column ")" = 1 ] ||
	{ cat "$tmp/a.log" >&2; fail "the damaged running marker was not reported with its line and column"; }
[ "$(said warning "the last run did not stop cleanly (alive at ?)")" = 1 ] ||
	{ cat "$tmp/a.log" >&2; fail "no unclean-stop warning for a damaged running marker"; }
# steps.json (a step that does not balance), templates.json (not JSON), templates-1.json
# (an entry without an address): an error each, naming the file and the fault
[ "$(said err "$state/steps.json: the saved open steps cannot be used (steps[0] (start_ms 1764000000000): it does not balance")" = 1 ] ||
	{ cat "$tmp/a.log" >&2; fail "the damaged saved steps were not reported once, with what is wrong"; }
[ "$(said err "$state/templates.json: the saved templates are damaged (line 1, column ")" = 1 ] ||
	{ cat "$tmp/a.log" >&2; fail "the damaged templates.json was not reported once, with its line and column"; }
[ "$(said err "$state/templates-1.json: the saved templates are damaged (1 of 1 exporter entries not valid, the first exporters[0]: no address")" = 1 ] ||
	{ cat "$tmp/a.log" >&2; fail "the damaged templates-1.json was not reported once, with what is wrong"; }
[ "$(said err "$state/templates-1.state: the saved templates are damaged (checksum 0x")" = 1 ] ||
	{ cat "$tmp/a.log" >&2; fail "the damaged templates-1.state was not reported once, with its checksum"; }
a=$(aside templates-1 state)
[ "$(echo "$a" | grep -c .)" = 1 ] || fail "templates-1.state was not set aside once: '$a'"
cmp -s "$a" "$tmp/templates-1.state.orig" || fail "$a does not hold what templates-1.state held"
for f in running steps templates templates-1; do
	a=$(aside "$f")
	[ "$(echo "$a" | grep -c .)" = 1 ] || fail "$f.json was not set aside once: '$a'"
	[[ "$a" =~ /$f\.json\.damaged-[0-9]{8}T[0-9]{6}Z$ ]] || fail "$f.json set aside as $a"
	cmp -s "$a" "$tmp/$f.orig" || fail "$a does not hold what $f.json held"
	grep -qF "the file is kept as $a" "$tmp/a.log" || fail "the log does not say $f.json is kept as $a"
done
[ "$(grep -c '\[err\]' "$tmp/a.log")" = 4 ] || { cat "$tmp/a.log" >&2; fail "errors logged beyond the four files"; }
stop_daemon || { cat "$tmp/a.log" >&2; fail "flowtallyd exited with status $?"; }
[ ! -e "$state/running.json" ] || fail "running.json is left after a clean stop"
[ -f "$state/templates.state" ] && [ -f "$state/templates-1.state" ] ||
	fail "the receive threads did not save templates.state and templates-1.state at the stop"
"$ft" status --templates -d "$data" | jq -e '.exporters | length > 0' >/dev/null ||
	fail "no templates saved at the stop"
note "five damaged state files reported and set aside, the daemon ran and stopped cleanly"

# A second damaged marker: beside the first, which stays as it was.
printf 'garbage, again' >"$state/running.json"
rm -f "$data/stats.json"
start_daemon "$ftd" "$tmp/ft.conf" "$tmp/b.log"
stop_daemon || fail "flowtallyd exited with status $?"
grep -qF "the last run did not stop cleanly (alive at ?)" "$tmp/b.log" || fail "no unclean-stop warning the second time"
mapfile -t both < <(aside running)
[ "${#both[@]}" = 2 ] || fail "the second damaged marker was not set aside beside the first: ${both[*]}"
{ cmp -s "${both[0]}" "$tmp/running.orig" && [ "$(cat "${both[1]}")" = "garbage, again" ]; } ||
	{ cmp -s "${both[1]}" "$tmp/running.orig" && [ "$(cat "${both[0]}")" = "garbage, again" ]; } ||
	fail "the damaged markers do not hold what they held"
! grep -q 'templates.*damaged\|steps.json.*damaged' "$tmp/b.log" || fail "good state files reported as damaged"
note "a second damaged marker kept beside the first"
echo "state_files: ok"
