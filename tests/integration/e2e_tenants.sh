#!/usr/bin/env bash
# End to end, per tenant: flowtallyd (step 1 s, lateness 2 s) attributes generated
# NetFlow v5 (sampled and not), v9 and IPFIX (IPv4 and IPv6) traffic, and the ledger's
# sums per tenant and direction (over classes and steps), unattributed source and
# destination, and total must equal, to the byte, what `flowtally generate
# --expect-tenants` worked out with its own longest-prefix scan of the same rules.
#   1. reload: a SIGHUP in the middle with the same rules in another order (the map's
#      identity must not change), then, in a second phase well after the first one's
#      steps closed, a SIGHUP to a map that moves one prefix to another tenant;
#   2. clean restart with steps still open: saved in state/steps.json, restored at the
#      next start, nothing lost or counted twice;
#   3. kill -9 once every step was written: the next start says the last run did not
#      stop cleanly, and the ledger holds exactly what was sent;
#   4. two receive threads, fed at once from addresses the socket filter sends to
#      different threads: steps merged from both, a stop with steps open in both (the
#      threads stop a moment apart), a restart, and nothing lost or counted twice.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
dpid=
trap 'if [ -n "$dpid" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
STEP=1 LATENESS=2

# ---- the rules -------------------------------------------------------------------------

# Phase 1.  10.192.0.0/10 and most of 192.168.192.0/18 belong to nobody; gamma's /12
# lies inside beta's /10 and delta's /52 inside alpha's /49, so the longest prefix
# decides.  The generator draws IPv4 addresses from 10.0.0.0/8 and 192.168.0.0/16 and
# IPv6 ones from 2001:db8:1::/48 and 2001:db8:2::/48.
cat >"$tmp/p1.txt" <<'EOF'
# prefix            tenant
10.0.0.0/9          alpha
10.128.0.0/10       beta
10.144.0.0/12       gamma
192.168.0.0/17      beta
192.168.128.0/18    gamma
192.168.200.0/21    alpha   # inside the unattributed 192.168.192.0/18
2001:db8:1::/49     alpha
2001:db8:1:8000::/52 delta
2001:db8:2::/50     delta
EOF
# Phase 2: gamma's 10.144.0.0/12 moves to delta.
sed 's|^10\.144\.0\.0/12 *gamma|10.144.0.0/12       delta|' "$tmp/p1.txt" >"$tmp/p2.txt"
grep -q '^10.144.0.0/12 *delta' "$tmp/p2.txt" || fail "could not derive the phase 2 rules"

# tenants_conf RULES [reverse]: the rules as the configuration's tenants (in order of
# first appearance, or with tenants and each tenant's prefixes reversed).
tenants_conf() {
	awk -v rev="${2:-}" '
		/^[ \t]*(#|$)/ { next }
		{ if (!($2 in n)) order[++nt] = $2; p[$2, ++n[$2]] = $1 }
		END {
			print "tenants = ("
			for (i = 1; i <= nt; i++) {
				t = order[rev ? nt + 1 - i : i]; list = ""
				for (j = 1; j <= n[t]; j++)
					list = list (j > 1 ? ", " : "") "\"" p[t, rev ? n[t] + 1 - j : j] "\""
				printf "  { name = \"%s\"; prefixes = [ %s ]; }%s\n", t, list, i < nt ? "," : ""
			}
			print ");"
		}' "$1"
}
# write_conf FILE RULES [reverse]: a complete configuration for data directory $data.
write_conf() {
	{
		cat <<CONF
listen = ["127.0.0.1:0"];
exporters = ["127.0.0.0/8", "::1"];
data_dir = "$data";
receive_buffer = 33554432;
receive_threads = ${THREADS:-1};
stats_interval = 1;
log_level = "info";
step = $STEP;
lateness = $LATENESS;
classes = ( { name = "psn"; prefixes = [ "10.192.0.0/10" ]; } );
CONF
		tenants_conf "$2" "${3:-}"
	} >"$1.tmp"
	mv "$1.tmp" "$1"
}
map_of_conf() { "$ft" check-config "$1" 2>/dev/null | grep -o 'tenant map [0-9a-f]\{64\}' | head -n1 | grep -o '[0-9a-f]\{64\}'; }

# ---- sums ------------------------------------------------------------------------------

# Lines "KEY1 KEY2 BYTES PACKETS FLOWS" summed by key; all-zero keys left out.  Sums stay
# far below 2^53, where awk's doubles are exact.
sum_up() {
	awk '{ k = $1 " " $2; b[k] += $3; p[k] += $4; f[k] += $5 }
	     END { for (k in b) if (b[k] || p[k] || f[k]) printf "%s %.0f %.0f %.0f\n", k, b[k], p[k], f[k] }' |
		sort
}
# expected SUMMARY...: what the generator runs say the ledger must hold; the total is
# Σ out + unattributed src (and the test checks it equals Σ in + unattributed dst).
expected() {
	jq -r '(.tenants | to_entries[] | .key as $t | .value | to_entries[] |
	        "\($t) \(.key) \(.value.bytes) \(.value.packets) \(.value.flows)"),
	       (.unattributed | to_entries[] |
	        "unattributed \(.key) \(.value.bytes) \(.value.packets) \(.value.flows)")' "$@" |
		awk '{ print } $2 == "out" || $2 == "src" { print "total -", $3, $4, $5 }
		     $2 == "in" || $2 == "dst" { print "total_in -", $3, $4, $5 }' | sum_up
}
# ledger_lines DATA_DIR: the ledger's cells (over classes) and step totals, plus the
# open steps saved in state/steps.json, as lines for sum_up.
ledger_lines() {
	local files=("$1"/ledger/*.ledger)
	[ ! -e "${files[0]}" ] || awk -F'\t' '
		$1 == "L" { print $3, $4, $6, $7, $8 }
		$1 == "S" && $3 == "unattributed_src" { print "unattributed src", $4, $5, $6 }
		$1 == "S" && $3 == "unattributed_dst" { print "unattributed dst", $4, $5, $6 }
		$1 == "S" && ($3 == "total" || $3 == "not_accounted") { print $3, "-", $4, $5, $6 }
		$1 == "S" && $3 == "total" { print "total_in -", $4, $5, $6 }' "${files[@]}"
	if [ -s "$1/state/steps.json" ]; then
		jq -r '.steps[] | (.cells[] | "\(.[0]) \(.[1]) \(.[3]) \(.[4]) \(.[5])"),
		       "unattributed src \(.unattributed_src | map(tostring) | join(" "))",
		       "unattributed dst \(.unattributed_dst | map(tostring) | join(" "))",
		       "total - \(.total | map(tostring) | join(" "))",
		       "total_in - \(.total | map(tostring) | join(" "))",
		       "not_accounted - \(.not_accounted | map(tostring) | join(" "))"' "$1/state/steps.json"
	fi
	return 0
}
ledger_flows() { ledger_lines "$1" | sum_up | awk '$1 == "total" { print $5 }'; }
want_flows() { expected "$@" | awk '$1 == "total" { print $5 } END { if (!NR) print 0 }'; }
saved_steps() { [ -s "$1/state/steps.json" ] && jq '.steps | length' "$1/state/steps.json" || echo 0; }

# compare WHAT DATA_DIR SUMMARY...: ledger (and saved open steps) against the runs.
compare() {
	local what=$1 dir=$2; shift 2
	expected "$@" >"$tmp/want"
	awk '$1 == "total" { t = $3 " " $4 " " $5 } $1 == "total_in" { i = $3 " " $4 " " $5 }
	     END { exit !(t == i) }' "$tmp/want" || fail "$what: the generator's out and in totals differ"
	ledger_lines "$dir" | sum_up >"$tmp/got"
	if ! diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		cat "$tmp/diff" >&2
		explain "$tmp/want" "$tmp/got" >&2
		grep -h '\[\(err\|warning\)\]' "$tmp"/*.log >&2 || true
		fail "$what: the ledger differs from what was sent (lines: key bytes packets flows)"
	fi
	note "$what: $(grep -c . "$tmp/got") sums equal to the byte, total $(awk '$1 == "total" { print $3 " bytes, " $5 " flows" }' "$tmp/got")"
}
# explain WANT GOT: the differences per key, ledger minus expected.
explain() {
	awk 'NR == FNR { w[$1 " " $2] = $3 " " $4 " " $5; next }
	     { g[$1 " " $2] = $3 " " $4 " " $5 }
	     END {
		for (k in w) if (!(k in g)) g[k] = "0 0 0"
		for (k in g) {
			if (!(k in w)) w[k] = "0 0 0"
			if (w[k] == g[k]) continue
			split(w[k], a); split(g[k], b)
			printf "  %s: ledger - expected = %.0f bytes, %.0f packets, %.0f flows\n", k, b[1] - a[1], b[2] - a[2], b[3] - a[3]
		}
	     }' "$1" "$2"
}

# ---- running things --------------------------------------------------------------------

# start LOG: starts flowtallyd on $tmp/ft.conf (data in $data) and sets $port.
start() {
	rm -f "$data/stats.json"
	start_daemon "$ftd" "$tmp/ft.conf" "$1"
	port=$(jq '.listeners[0].port' "$data/stats.json")
	wait_for grep -q 'flowtallyd .* started' "$1" || fail "no start message in $1"
}
# gen OUT RULES ARGS...: sends to the daemon, expected totals with RULES, summary in OUT.
gen() {
	local out=$1 rules=$2; shift 2
	"$ft" generate --to "127.0.0.1:$port" --rate 500000 --summary --expect-tenants "$rules" "$@" >"$out" ||
		fail "flowtally generate $* failed"
	[ "$(jq .send_errors "$out")" -ge 0 ] || fail "no summary from flowtally generate $*"
}
# wait_flows FLOWS: until the ledger holds that many flows, i.e. every step with records
# of the runs so far is closed and written (flow counts go to a record's last step), or
# 15 s pass.
wait_flows() {
	local i
	for i in $(seq 150); do
		[ "$(ledger_flows "$data")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
check_clean() {  # LOG...: no error logged, nothing lost on the way
	! grep -h '\[err\]' "$@" >&2 || fail "errors logged"
	local t
	t=$(jq -c '.totals | {kernel_drops, parse_errors, rejected_datagrams}' "$data/stats.json")
	[ "$t" = '{"kernel_drops":0,"parse_errors":0,"rejected_datagrams":0}' ] ||
		fail "datagrams lost or refused on the way: $t"
}
verify_ledger() {  # DATA_DIR
	if "$ft" ledger --help >/dev/null 2>&1; then
		"$ft" ledger verify -d "$1" >"$tmp/verify.out" 2>&1 ||
			{ cat "$tmp/verify.out" >&2; fail "flowtally ledger verify -d $1 failed"; }
		note "flowtally ledger verify: ok"
	else
		note "flowtally ledger is missing: ledger verify not checked"
	fi
}
map_in_log() { grep -o "$2.*tenant map [0-9a-f]\{64\}" "$1" | grep -o '[0-9a-f]\{64\}' | tail -n1; }

# ---- 1. reload ---------------------------------------------------------------------------
data=$tmp/reload
write_conf "$tmp/ft.conf" "$tmp/p1.txt"
id1=$(map_of_conf "$tmp/ft.conf")
write_conf "$tmp/reordered.conf" "$tmp/p1.txt" reverse
write_conf "$tmp/moved.conf" "$tmp/p2.txt"
[ -n "$id1" ] && [ "$(map_of_conf "$tmp/reordered.conf")" = "$id1" ] ||
	fail "check-config: the same rules in another order give another map identity"
[ "$(map_of_conf "$tmp/moved.conf")" != "$id1" ] || fail "check-config: the moved prefix keeps the map identity"
start "$tmp/r.log"
[ "$(map_in_log "$tmp/r.log" started)" = "$id1" ] || fail "flowtallyd started with another map than check-config's"
note "flowtallyd pid $dpid on 127.0.0.1:$port, map ${id1:0:12}"

gen "$tmp/r1.json" "$tmp/p1.txt" --records 30000 --exporters 2 --sampling 10 --seed 1
gen "$tmp/r2.json" "$tmp/p1.txt" --source 127.0.0.2 --records 15000 --seed 2 \
	--src-prefix 192.168.0.0/16 --dst-prefix 10.0.0.0/8
cp "$tmp/reordered.conf" "$tmp/ft.conf"
kill -HUP "$dpid"
wait_for grep -q 'reloaded' "$tmp/r.log" || fail "no 'reloaded' in the log after SIGHUP"
[ "$(map_in_log "$tmp/r.log" reloaded)" = "$id1" ] || fail "the reordered map has another identity after reload"
gen "$tmp/r3.json" "$tmp/p1.txt" --source 127.0.0.4 --records 15000 --seed 3 --sampling 3 \
	--src-prefix 10.0.0.0/8 --dst-prefix 10.0.0.0/8
gen "$tmp/r4.json" "$tmp/p1.txt" --source 127.0.0.3 --version 10 --records 15000 --seed 4 --exporters 2
gen "$tmp/r5.json" "$tmp/p1.txt" --source 127.0.0.5 --version 10 --template v6 --records 8000 --seed 5
gen "$tmp/r6.json" "$tmp/p1.txt" --source 127.0.0.6 --version 9 --records 8000 --seed 6 \
	--src-prefix 10.0.0.0/8 --dst-prefix 10.0.0.0/8
t1=$(date +%s.%N)
phase1=("$tmp"/r[1-6].json)
wait_flows "$(want_flows "${phase1[@]}")" || { compare "reload, phase 1" "$data" "${phase1[@]}"; fail "phase 1 incomplete"; }
compare "reload, phase 1 (a reload with the rules reordered in the middle)" "$data" "${phase1[@]}"

# Phase 2, more than step + lateness after phase 1, so no step holds both.
sleep "$(awk -v t1="$t1" -v now="$(date +%s.%N)" -v w=$((STEP + LATENESS + 1)) 'BEGIN { d = t1 + w - now; print (d > 0 ? d : 0) }')"
cp "$tmp/moved.conf" "$tmp/ft.conf"
kill -HUP "$dpid"
reloads() { [ "$(grep -c reloaded "$tmp/r.log")" = "$1" ]; }
wait_for reloads 2 || fail "no second 'reloaded' in the log"
id2=$(map_in_log "$tmp/r.log" reloaded)
[ "$id2" = "$(map_of_conf "$tmp/moved.conf")" ] || fail "reloaded map $id2 is not the moved map"
# The main thread logs 'reloaded' when it swaps the map in; each receive thread takes the
# new map at its next tick (at most 100 ms when idle), and what it drained before that
# tick is still attributed with the old map.  Phase 2 starts once they surely have it.
sleep 0.5
gen "$tmp/s1.json" "$tmp/p2.txt" --records 15000 --seed 7 --sampling 7 \
	--src-prefix 10.0.0.0/8 --dst-prefix 10.0.0.0/8
gen "$tmp/s2.json" "$tmp/p2.txt" --source 127.0.0.3 --version 10 --records 10000 --seed 8
phase2=("$tmp"/s[1-2].json)
[ "$(jq '.tenants.delta.out.flows' "$tmp/s1.json")" -gt 0 ] || fail "phase 2 sends nothing from the moved prefix"
wait_flows "$(want_flows "${phase1[@]}" "${phase2[@]}")" || true
stop_daemon || fail "flowtallyd exited with status $?"
check_clean "$tmp/r.log"
[ "$(saved_steps "$data")" = 0 ] || note "$(saved_steps "$data") open step(s) saved at the stop (counted too)"
compare "reload, both phases" "$data" "${phase1[@]}" "${phase2[@]}"
# Steps written before the second reload carry the first map, those after it the second.
maps=$(awk -F'\t' '$1 == "B" { print $4 }' "$data"/ledger/*.ledger | uniq | tr '\n' ' ')
[ "$maps" = "$id1 $id2 " ] || fail "map identities in the ledger's steps: $maps"
verify_ledger "$data"

# ---- 2. clean restart with open steps --------------------------------------------------
data=$tmp/restart
write_conf "$tmp/ft.conf" "$tmp/p1.txt"
start "$tmp/a.log"
gen "$tmp/a1.json" "$tmp/p1.txt" --records 20000 --exporters 3 --sampling 20 --seed 11
gen "$tmp/a2.json" "$tmp/p1.txt" --source 127.0.0.3 --version 10 --template v6 --records 6000 --seed 12
stop_daemon || fail "flowtallyd exited with status $?"
n=$(saved_steps "$data")
[ "$n" -gt 0 ] || fail "no open steps saved in state/steps.json at the stop"
grep -q "saved $n open step" "$tmp/a.log" || fail "the log does not say the open steps were saved"
compare "restart, at the stop (ledger + saved open steps)" "$data" "$tmp"/a[1-2].json
start "$tmp/b.log"
grep -q "restored $n open step" "$tmp/b.log" || { cat "$tmp/b.log" >&2; fail "the log does not say $n open steps were restored"; }
[ ! -e "$data/state/steps.json" ] || fail "state/steps.json still there after the restore"
gen "$tmp/a3.json" "$tmp/p1.txt" --records 20000 --exporters 3 --sampling 20 --seed 13
gen "$tmp/a4.json" "$tmp/p1.txt" --source 127.0.0.3 --version 10 --records 6000 --seed 14
wait_flows "$(want_flows "$tmp"/a[1-4].json)" || true
stop_daemon || fail "flowtallyd exited with status $?"
check_clean "$tmp/a.log" "$tmp/b.log"
compare "restart with $n open steps" "$data" "$tmp"/a[1-4].json
verify_ledger "$data"

# ---- 3. kill -9 after every step was written ---------------------------------------------
data=$tmp/kill
write_conf "$tmp/ft.conf" "$tmp/p1.txt"
start "$tmp/k.log"
gen "$tmp/k1.json" "$tmp/p1.txt" --records 20000 --exporters 2 --sampling 5 --seed 21
gen "$tmp/k2.json" "$tmp/p1.txt" --source 127.0.0.3 --version 9 --template v6 --records 6000 --seed 22
wait_flows "$(want_flows "$tmp"/k[1-2].json)" || { compare "kill -9, before" "$data" "$tmp"/k[1-2].json; fail "steps not closed"; }
kill -KILL "$dpid"
{ wait "$dpid"; } 2>/dev/null || true
dpid=
[ -e "$data/state/running.json" ] || fail "no state/running.json left by the killed daemon"
start "$tmp/l.log"
grep -q 'did not stop cleanly' "$tmp/l.log" || { cat "$tmp/l.log" >&2; fail "the log does not say the last run did not stop cleanly"; }
compare "kill -9, after the restart" "$data" "$tmp"/k[1-2].json
gen "$tmp/k3.json" "$tmp/p1.txt" --records 20000 --exporters 2 --sampling 5 --seed 23
wait_flows "$(want_flows "$tmp"/k[1-3].json)" || true
stop_daemon || fail "flowtallyd exited with status $?"
check_clean "$tmp/k.log" "$tmp/l.log"
compare "kill -9, then more traffic" "$data" "$tmp"/k[1-3].json
verify_ledger "$data"
# ---- 4. two receive threads ------------------------------------------------------------
data=$tmp/threads
THREADS=2 write_conf "$tmp/ft.conf" "$tmp/p1.txt"
start "$tmp/t.log"
# gen_both NAME1 NAME2 SEED: v5 from 127.0.0.1 (thread 1) and IPFIX from 127.0.0.2
# (thread 0: the filter takes the address modulo the thread count), sent at once.
gen_both() {
	gen "$tmp/$1.json" "$tmp/p1.txt" --records 20000 --exporters 2 --sampling 5 --seed "$3" &
	local a=$!
	gen "$tmp/$2.json" "$tmp/p1.txt" --source 127.0.0.2 --version 10 --records 12000 --seed "$(($3 + 1))" &
	local b=$!
	wait "$a" && wait "$b" || fail "flowtally generate failed"
}
gen_both t1 t2 31
stop_daemon || fail "flowtallyd exited with status $?"
compare "two threads, at the stop (ledger + saved open steps)" "$data" "$tmp"/t[1-2].json
start "$tmp/u.log"
gen_both t3 t4 33
wait_flows "$(want_flows "$tmp"/t[1-4].json)" || true
stop_daemon || fail "flowtallyd exited with status $?"
check_clean "$tmp/t.log" "$tmp/u.log"
! grep -h 'already in the ledger' "$tmp/t.log" "$tmp/u.log" >&2 || fail "a step was written before every thread had closed it"
compare "two threads, after a restart" "$data" "$tmp"/t[1-4].json
verify_ledger "$data"
echo "e2e_tenants: ok"
