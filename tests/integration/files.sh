#!/usr/bin/env bash
# Files flowtallyd writes, as root: never through a symbolic link, with their modes
# whatever the umask.
#  1. Links to decoy files planted at its temporary names (stats.json.tmp, the running
#     marker's, the templates' and the saved steps' in state/): no decoy is written, each
#     refusal is logged naming the path, and the ledger is still written.
#  2. A link planted at today's ledger day file: the decoy is never read nor appended
#     to; the link is set aside in ledger/quarantine/ as a damaged day file is (a break
#     in the chain, to acknowledge), and the day is written afresh.
#  3. A link at the pid file's temporary name: the start fails (exit 1), the decoy stays.
#  4. A symbolic link as the data directory, and one owned by another user: refused.
#  5. Under umask 000 the data directory and its subdirectories are 0750, its files
#     (ledger, state, stats, pid file) 0640; a directory an older version made 0755 is
#     tightened to 0750.
#  6. user = "nobody", group = "nogroup": /proc shows every thread as uid and gid
#     65534 with no capabilities, and it writes the ledger (root's files from 5 given
#     to it); root without user or --allow-root is refused (exit 2).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
[ "$(id -u)" = 0 ] || skip "needs root (the links are planted where a root daemon writes)"
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"

# conf FILE DATA_DIR
conf() {
	cat >"$1" <<CONF
listen = ["127.0.0.1:0"];
exporters = ["127.0.0.0/8"];
data_dir = "$2";
stats_interval = 1;
state_interval = 1;
step = 1;
lateness = 1;
log_level = "info";
CONF
}
# decoy NAME: a file that must never change.
decoy() { printf 'decoy %s\n' "$1" >"$tmp/decoy.$1"; cp "$tmp/decoy.$1" "$tmp/decoy.$1.orig"; echo "$tmp/decoy.$1"; }
untouched() { cmp -s "$tmp/decoy.$1" "$tmp/decoy.$1.orig" || fail "decoy $1 was written through a link"; }
said() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "the log lacks: $2"; }; }
# send PORT SEED: NetFlow v9 records from 127.0.0.1.
send() { "$ft" generate --to "127.0.0.1:$1" --records 200 --version 9 --seed "$2" >/dev/null || fail "generate failed"; }
today=$(date -u +%F).ledger

# 1. links at the temporaries
data=$tmp/d1
mkdir -p "$data/state" "$data/ledger"
chmod 0750 "$data" "$data/state" "$data/ledger"
ln -s "$(decoy stats)" "$data/stats.json.tmp"
ln -s "$(decoy running)" "$data/state/running.json.tmp"
ln -s "$(decoy templates)" "$data/state/templates.state.tmp"
ln -s "$(decoy steps)" "$data/state/steps.json.tmp"
conf "$tmp/1.conf" "$data"
"$ftd" --allow-root -f -c "$tmp/1.conf" 2>"$tmp/1.log" &
dpid=$!
wait_for grep -qF "started:" "$tmp/1.log" || { cat "$tmp/1.log" >&2; fail "flowtallyd did not start"; }
port=$(sed -n 's/.*listening on 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$tmp/1.log")
[ -n "$port" ] || { cat "$tmp/1.log" >&2; fail "no port in the log"; }
send "$port" 1
sleep 3
send "$port" 2
wait_for test -s "$data/ledger/$today" || { cat "$tmp/1.log" >&2; fail "nothing reached the ledger"; }
kill -0 "$dpid" || { cat "$tmp/1.log" >&2; fail "flowtallyd did not keep running"; }
stop_daemon || true
for n in stats running templates steps; do untouched $n; done
said "$tmp/1.log" "cannot write $data/stats.json: it is a symbolic link (refused"
said "$tmp/1.log" "cannot write $data/state/running.json: it is a symbolic link"
said "$tmp/1.log" "cannot save templates to $data/state/templates.state: it is a symbolic link"
"$ft" ledger verify -d "$data" >/dev/null || fail "the ledger written beside the links does not verify"
note "links at the temporaries: refused, decoys untouched, ledger written"

# 2. a link at today's day file
data=$tmp/d2
mkdir -p "$data/ledger"
chmod 0750 "$data" "$data/ledger"
ln -s "$(decoy day)" "$data/ledger/$today"
conf "$tmp/2.conf" "$data"
start_daemon "$ftd" "$tmp/2.conf" "$tmp/2.log"
port=$(jq '.listeners[0].port' "$data/stats.json")
send "$port" 3
said "$tmp/2.log" "ledger: $data/ledger/$today: cannot open: it is a symbolic link (refused"
wait_for sh -c "jq -e '.totals.records >= 200' '$data/stats.json' >/dev/null" ||
	fail "the counters stopped"
stop_daemon || true
untouched day
# the link is set aside as a damaged day file would be, and the day written afresh
[ -L "$(ls -d "$data/ledger/quarantine/$today".* | head -1)" ] || fail "the link was not set aside"
[ -f "$data/ledger/$today" ] && [ ! -L "$data/ledger/$today" ] || fail "today's day file was not written"
"$ft" ledger show -d "$data" --across-breaks >/dev/null || fail "the ledger does not read"
note "a link at today's day file: set aside, never appended to, the day written afresh"

# 3. a link at the pid file's temporary
data=$tmp/d3
conf "$tmp/3.conf" "$data"
mkdir "$tmp/run"
ln -s "$(decoy pid)" "$tmp/run/ft.pid.tmp"
set +e
timeout 20 "$ftd" --allow-root -c "$tmp/3.conf" -p "$tmp/run/ft.pid" 2>"$tmp/3.log"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$tmp/3.log" >&2; fail "a pid file behind a link: exit $rc, not 1"; }
said "$tmp/3.log" "cannot write pid file $tmp/run/ft.pid: it is a symbolic link"
untouched pid
[ ! -e "$tmp/run/ft.pid" ] || fail "a pid file was left"
note "a link at the pid file's temporary: the start fails, the decoy stays"

# 4. the data directory a link, or another user's
mkdir -m 0750 "$tmp/real"
ln -s "$tmp/real" "$tmp/d4"
conf "$tmp/4.conf" "$tmp/d4"
set +e
timeout 20 "$ftd" --allow-root -f -c "$tmp/4.conf" 2>"$tmp/4.log"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$tmp/4.log" >&2; fail "a linked data directory: exit $rc, not 1"; }
said "$tmp/4.log" "$tmp/d4: it is a symbolic link or not a directory (refused"
[ -z "$(ls -A "$tmp/real")" ] || fail "something was written through the linked data directory"
chown 4242 "$tmp/real"
conf "$tmp/4.conf" "$tmp/real"
set +e
timeout 20 "$ftd" --allow-root -f -c "$tmp/4.conf" 2>"$tmp/4.log"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$tmp/4.log" >&2; fail "another user's data directory: exit $rc, not 1"; }
said "$tmp/4.log" "$tmp/real is owned by uid 4242"
note "a linked or foreign data directory: refused"

# 5. modes under umask 000
data=$tmp/d5
mkdir -m 0755 "$data"           # as an older version made it
conf "$tmp/5.conf" "$data"
(umask 000; exec "$ftd" --allow-root -c "$tmp/5.conf" -p "$data/ft.pid" 2>"$tmp/5.log") ||
	{ cat "$tmp/5.log" >&2; fail "a detached start under umask 000 failed"; }
dpid=$(cat "$data/ft.pid")
port=$(jq '.listeners[0].port' "$data/stats.json")
send "$port" 4
wait_for test -s "$data/state/templates.state" || fail "no templates saved"
wait_for test -s "$data/ledger/$today" || fail "nothing reached the ledger"
mode() { stat -c %a "$1"; }
for d in "$data" "$data/state" "$data/ledger"; do
	[ "$(mode "$d")" = 750 ] || fail "$d is mode $(mode "$d"), not 750"
done
for f in "$data/ft.pid" "$data/stats.json" "$data/state/running.json" "$data/state/templates.state" \
         "$data/ledger/$today" "$data/ledger/HEAD"; do
	[ "$(mode "$f")" = 640 ] || fail "$f is mode $(mode "$f"), not 640"
done
stop_daemon || true
[ "$(mode "$data/state/steps.json" 2>/dev/null || echo 640)" = 640 ] || fail "steps.json is not 640"
note "umask 000: directories 0750, files 0640"

# 6. user = "nobody": the sockets and the data directory as root, then nobody with no
#    capabilities, in every thread; what root wrote there before (the run of 5) is given
#    to it, and it goes on writing the ledger.  Without user, root is refused unless
#    --allow-root; an unknown user is a configuration error check-config reports.
conf "$tmp/6.conf" "$data"
printf 'user = "nobody";\ngroup = "nogroup";\n' >>"$tmp/6.conf"
"$ft" check-config "$tmp/6.conf" >/dev/null || fail "check-config refuses user = \"nobody\""
mkdir "$tmp/run6"
chown nobody:nogroup "$tmp/run6"
set +e
timeout 20 "$ftd" -c "$tmp/6.conf" -p "$tmp/run6/ft.pid" 2>"$tmp/6.log"
rc=$?
set -e
if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$tmp"; then
	# A directory above the data directory does not let nobody through (here: a root
	# made by mktemp -d, as in a chroot): the start must refuse, saying so.
	[ "$rc" = 1 ] || { cat "$tmp/6.log" >&2; fail "a data directory nobody cannot reach: exit $rc, not 1"; }
	said "$tmp/6.log" "user nobody cannot use the data directory $data"
	note "user = nobody: a directory above $tmp does not let nobody through here, and the start refused, saying so (the rest of this part needs one that does)"
else
[ "$rc" = 0 ] || { cat "$tmp/6.log" >&2; fail "a start with user = \"nobody\" exited $rc"; }
dpid=$(cat "$tmp/run6/ft.pid")
for st in /proc/"$dpid"/task/*/status; do
	# a short-lived thread may have ended since the listing: read what is there once
	cp "$st" "$tmp/task-status" 2>/dev/null || continue
	st=$tmp/task-status
	grep -qP '^Uid:\t65534\t65534\t65534\t65534$' "$st" || { cat "$st" >&2; fail "a thread is not uid nobody"; }
	grep -qP '^Gid:\t65534\t65534\t65534\t65534$' "$st" || { cat "$st" >&2; fail "a thread is not gid nogroup"; }
	grep -qP '^Groups:\t65534 ?$' "$st" || { cat "$st" >&2; fail "a thread keeps supplementary groups"; }
	for c in CapInh CapPrm CapEff CapAmb; do
		grep -qP "^$c:\t0000000000000000$" "$st" || { cat "$st" >&2; fail "a thread keeps capabilities ($c)"; }
	done
	grep -qP '^NoNewPrivs:\t1$' "$st" || fail "no_new_privs is not set"
done
[ "$(ls /proc/"$dpid"/task | wc -l)" -ge 2 ] || fail "no receive thread was checked"
sleep 1.2   # the next second's step: the ledger must take a new block as nobody
before=$(wc -c <"$data/ledger/$today")
port=$(jq '.listeners[0].port' "$data/stats.json")
send "$port" 6
wait_for sh -c "[ \$(wc -c <'$data/ledger/$today') -gt $before ]" || { cat "$tmp/6.log" >&2; fail "nobody did not write the ledger"; }
owner() { stat -c %U:%G "$1"; }
for f in "$data" "$data/state" "$data/ledger" "$data/ledger/$today" "$data/ledger/HEAD" "$data/stats.json" \
         "$data/state/running.json" "$tmp/run6/ft.pid"; do
	[ "$(owner "$f")" = nobody:nogroup ] || fail "$f is owned by $(owner "$f"), not nobody:nogroup"
done
kill -TERM "$dpid"
wait_for sh -c "! kill -0 $dpid 2>/dev/null" || fail "flowtallyd as nobody did not stop"
dpid=
[ ! -e "$tmp/run6/ft.pid" ] || fail "the pid file was left"
"$ft" ledger verify -d "$data" >/dev/null || fail "the ledger written as nobody does not verify"
note "user = nobody: uid/gid 65534, no capabilities in any thread, the ledger written"
fi

# root without user, and without --allow-root: refused before anything is opened
conf "$tmp/7.conf" "$tmp/d7"
set +e
"$ftd" -f -c "$tmp/7.conf" 2>"$tmp/7.log"
rc=$?
set -e
[ "$rc" = 2 ] || { cat "$tmp/7.log" >&2; fail "root without user or --allow-root: exit $rc, not 2"; }
said "$tmp/7.log" "refusing to run as root: set user = \"NAME\""
said "$tmp/7.log" "--allow-root"
[ ! -e "$tmp/d7" ] || fail "the data directory was made before the refusal"
printf 'user = "no-such-user-ft";\n' >>"$tmp/7.conf"
set +e
"$ft" check-config "$tmp/7.conf" >"$tmp/7.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || { cat "$tmp/7.out" >&2; fail "check-config took an unknown user: exit $rc"; }
said "$tmp/7.out" "7.conf:9: user 'no-such-user-ft' is not a user of this system"
note "root without user: refused (exit 2); an unknown user: check-config says file:line"
