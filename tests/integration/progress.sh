#!/usr/bin/env bash
# Long work shows one updating line on standard error when that is a terminal, and
# nothing otherwise: flowtally generate, replay, ledger verify and recharge share the helper
# (collector/cli/progress.c).  Without a terminal (as here) their standard error stays
# clean; under a pseudo-terminal (script(1), util-linux) generate --duration shows the
# line, written over with carriage returns, at most four times a second, and clears it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. No terminal: nothing but the usual output, from work long enough to show a line.
"$ft" generate --to 127.0.0.1:9 --duration 1 --rate 3000 --summary >"$tmp/sent.json" 2>"$tmp/err"
[ ! -s "$tmp/err" ] || fail "generate without a terminal wrote to standard error: $(od -c "$tmp/err" | head -3)"
grep -q '"records":' "$tmp/sent.json" || fail "generate printed no summary"
cat >"$tmp/p.conf" <<CONF
exporters = ["127.0.0.0/8"];
data_dir = "$tmp/d";
step = 1;
tenants = ( { name = "north"; prefixes = ["10.0.0.0/9"]; } );
CONF
"$ft" generate --pcap "$tmp/p.pcap" --records 3000 --records-per-datagram 1 --rate 100 \
	--start 2026-11-25T13:00:00Z 2>/dev/null
"$ft" replay --totals "$tmp/p.pcap" >/dev/null 2>"$tmp/err"
[ ! -s "$tmp/err" ] || fail "replay without a terminal wrote to standard error: $(head -c 200 "$tmp/err")"
"$ftd" --allow-root --replay "$tmp/p.pcap" -c "$tmp/p.conf" 2>/dev/null
"$ft" ledger verify -d "$tmp/d" >/dev/null 2>"$tmp/err"
[ ! -s "$tmp/err" ] || fail "ledger verify without a terminal wrote to standard error: $(head -c 200 "$tmp/err")"
"$ft" recharge --month 2026-11 -c "$tmp/p.conf" --no-rrd-check >/dev/null 2>"$tmp/err"
[ ! -s "$tmp/err" ] || fail "recharge without a terminal wrote to standard error: $(head -c 200 "$tmp/err")"

# 2. A terminal: the line comes, is rewritten, and goes.
command -v script >/dev/null || skip "script (util-linux) is not installed"
script -qec "$ft generate --to 127.0.0.1:9 --duration 1.5 --rate 3000 --summary" /dev/null >"$tmp/tty"
tr '\r' '\n' <"$tmp/tty" >"$tmp/lines"
n=$(grep -c '^flowtally generate: [0-9.]* s of 1.5 s, [0-9]* records sent ([0-9]* records/s)' "$tmp/lines" || true)
note "generate --duration 1.5 on a terminal: $n progress lines"
[ "$n" -ge 1 ] || fail "no progress line on a terminal: $(od -c "$tmp/tty" | head -5)"
# the first after 0.5 s, then at most one each 0.25 s until the end at 1.5 s
[ "$n" -le 6 ] || fail "$n progress lines in 1.5 s: more than four a second"
grep -qE $'\r {20,}\r' "$tmp/tty" || fail "the progress line is not cleared at the end"
grep -q '"records":' "$tmp/tty" || fail "generate on a terminal printed no summary"
echo "progress: ok"
