#!/usr/bin/env bash
# The programs' contracts with their users: --help and --version, exit status 2 for
# usage and configuration errors with file:line, 1 for runtime failures.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status() { set +e; "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; set -e; }
expect_status() {  # WANT CMD...
	local want=$1; shift
	local got; got=$(status "$@")
	[ "$got" = "$want" ] || { cat "$tmp/err" >&2; fail "'$*' exited $got, expected $want"; }
}
expect_err() { grep -qF -- "$1" "$tmp/err" || { cat "$tmp/err" >&2; fail "stderr lacks: $1"; }; }
# named_once PATH: stderr names PATH, and no line names it twice ("cannot open X: X: ...").
named_once() {
	grep -qF -- "$1" "$tmp/err" || { cat "$tmp/err" >&2; fail "stderr does not name $1"; }
	local line
	while IFS= read -r line; do
		[ "$(grep -oF -- "$1" <<<"$line" | wc -l)" -le 1 ] || fail "$1 named more than once: $line"
	done <"$tmp/err"
}

for cmd in "$ftd" "$ft" "$ft replay" "$ft check-config" "$ft status" "$ft generate" "$ft snmp" "$ft snmp walk" \
	"$ft snmp poll" "$ft snmp totals" "$ft recharge"; do
	expect_status 0 $cmd --help
	grep -q "Usage\|SYNOPSIS" "$tmp/out" || fail "$cmd --help prints no usage"
	expect_status 2 $cmd --no-such-option
done
expect_status 0 "$ftd" --version
grep -q "^flowtallyd [0-9]" "$tmp/out" || fail "flowtallyd --version"
expect_status 0 "$ft" --version
expect_status 2 "$ft" no-such-command
expect_err "unknown command 'no-such-command'"
expect_status 2 "$ft"

cat >"$tmp/good.conf" <<'CONF'
# a valid configuration
listen = ["127.0.0.1:2055", "[::1]:2055"];
exporters = ["192.0.2.0/24", "2001:db8::/32"];
data_dir = "/var/lib/flowtally";
CONF
expect_status 0 "$ft" check-config "$tmp/good.conf"
grep -q "valid (0 warnings)" "$tmp/out" || fail "check-config: no verdict printed"

cat >"$tmp/bad.conf" <<'CONF'
listen = ["127.0.0.1:2055"];
exporters = ["192.0.2.0/24"];

receive_buffer = 1;
colour = "blue";
CONF
expect_status 2 "$ft" check-config "$tmp/bad.conf"
expect_err "$tmp/bad.conf:4: 'receive_buffer' = 1 is out of range"
expect_err "$tmp/bad.conf:5: unknown key 'colour'"
expect_status 2 "$ftd" --allow-root -f -c "$tmp/bad.conf"
expect_err "$tmp/bad.conf:5: unknown key 'colour'"

printf 'listen = ["127.0.0.1:2055"];\n' >"$tmp/open.conf"
expect_status 0 "$ft" check-config "$tmp/open.conf"
expect_err "warning: the exporter allow-list ('exporters') is absent: no exporter will be accepted"

expect_status 1 "$ft" check-config "$tmp/missing.conf"
expect_err "$tmp/missing.conf: cannot read: No such file or directory"
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "check-config: more than the reason for a file it cannot read"

# Messages a newcomer reads: what was found where, once.
mkdir "$tmp/confdir"
expect_status 1 "$ft" check-config "$tmp/confdir"
expect_err "$tmp/confdir: is a directory, not a configuration file"
printf 'exporters = ["127.0.0.1"];\nlog_level = = "info";\n' >"$tmp/syntax.conf"
expect_status 2 "$ft" check-config "$tmp/syntax.conf"
expect_err "$tmp/syntax.conf:2: syntax error in \"log_level = = \"info\";\""
printf 'exporters = ["127.0.0.1"];\ntenants = ( { name = "a"; } );\nprefix_files = [ "%s" ];\n' \
	"$tmp/nope.txt" >"$tmp/pf.conf"
expect_status 2 "$ft" check-config "$tmp/pf.conf"
expect_err "$tmp/pf.conf:3: cannot read $tmp/nope.txt: No such file or directory"
[ "$(grep -c "$tmp/nope.txt" "$tmp/err")" = 1 ] || fail "the missing prefix file is named more than once"
# A prefix file missing or with a syntax error: the rest is still linted (the overlap at
# line 3), and every finding comes in file and line order, from check-config and from
# flowtallyd's start alike.
printf '10.9.0.0/16 a\nnot-a-prefix b\n' >"$tmp/ipam.txt"
cat >"$tmp/lint.conf" <<CONF
exporters = ["127.0.0.1"];
tenants = ( { name = "a"; prefixes = ["10.0.0.0/8"]; },
            { name = "b"; prefixes = ["10.0.0.0/8"]; } );
prefix_files = [ "$tmp/nope.txt", "$tmp/ipam.txt" ];
colour = "blue";
CONF
cat >"$tmp/lint.want" <<WANT
$tmp/lint.conf:2: warning: no accounting_points: every record counts, so traffic seen by two routers is counted twice
$tmp/lint.conf:3: 10.0.0.0/8: assigned to tenant 'b' here and to 'a' at $tmp/lint.conf:2 for overlapping periods
$tmp/lint.conf:4: cannot read $tmp/nope.txt: No such file or directory
$tmp/lint.conf:5: unknown key 'colour'
$tmp/ipam.txt:2: 'not-a-prefix' is not a prefix (e.g. 10.1.0.0/16)
WANT
expect_status 2 "$ft" check-config "$tmp/lint.conf"
grep -v ': 4 errors: not valid$' "$tmp/err" | diff "$tmp/lint.want" - >&2 || fail "check-config: findings missing or out of order"
expect_status 2 "$ftd" --allow-root -f -c "$tmp/lint.conf" -d "$tmp/lint-data"
sed 's/^flowtallyd: //' "$tmp/err" | diff "$tmp/lint.want" - >&2 || fail "flowtallyd: findings missing or out of order"
printf 'exporters = ["127.0.0.1"];\ntenants = ( { name = "a"; prefixes = ["10.0.0.0/8"]; } );\n' >"$tmp/warn.conf"
expect_status 0 "$ft" check-config "$tmp/warn.conf"
expect_err "$tmp/warn.conf:2: warning: no accounting_points"
grep -q "1 tenant, 2 classes" "$tmp/out" || fail "check-config: no singular for one tenant"
expect_status 0 "$ft" check-config -q "$tmp/warn.conf"
[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ] || fail "check-config -q printed something for a valid file"
mkdir -p "$tmp/linked"
ln -s /etc/hostname "$tmp/linked/stats.json"
expect_status 1 "$ft" status -d "$tmp/linked"
expect_err "a symbolic link"
expect_status 1 "$ft" status -d "$tmp/nowhere"
expect_status 1 "$ft" replay "$tmp/missing.pcap"
named_once "$tmp/missing.pcap"
expect_err "No such file or directory"
printf 'not a capture\n' >"$tmp/text.pcap"
expect_status 1 "$ft" replay --totals "$tmp/text.pcap"
named_once "$tmp/text.pcap"
expect_status 2 "$ft" replay --port 0 "$tmp/text.pcap"
expect_status 2 "$ft" generate --to 192.0.2.1:2055 --records 1
expect_err "loopback"
expect_status 1 "$ftd" --allow-root --replay "$tmp/missing.pcap" -d "$tmp/d"
named_once "$tmp/missing.pcap"
# A damaged ledger: each problem with its file:line, then what was done with the file
# (set aside; collection goes on), each path once, no "cannot open ...: Bad message".
mkdir -p "$tmp/dmg/ledger"
printf 'junk\n' >"$tmp/dmg/ledger/2026-11-01.ledger"
"$ft" generate --pcap "$tmp/one.pcap" --records 1 2>/dev/null
expect_status 0 "$ftd" --allow-root --replay "$tmp/one.pcap" -d "$tmp/dmg"
expect_err "$tmp/dmg/ledger/2026-11-01.ledger:1: not the header"
expect_err "$tmp/dmg/ledger/2026-11-01.ledger is damaged ("
expect_err "moved to quarantine/2026-11-01.ledger."
named_once "$tmp/dmg/ledger/2026-11-01.ledger"
grep -q "Bad message" "$tmp/err" && fail "the damaged ledger said twice: $(cat "$tmp/err")"
# Saved templates that cannot be read (a symbolic link to itself): named once, with the
# reason, and the replay goes on.
mkdir -p "$tmp/tpl/state"
ln -s templates.json "$tmp/tpl/state/templates.json"
expect_status 0 "$ftd" --allow-root --replay "$tmp/one.pcap" -d "$tmp/tpl"
expect_err "$tmp/tpl/state/templates.json: cannot load the saved templates: Too many levels of symbolic links"
named_once "$tmp/tpl/state/templates.json"

# A replay that decodes nothing says how many datagrams it dropped and why, and exits 3:
# sFlow on the NetFlow port (a capture written here by hand), and a capture with no UDP
# to the port asked for.
sflow_pcap() {  # FILE N: pcap, N Ethernet/IPv4/UDP frames 127.0.0.1:6343 -> :2055, sFlow v5
	local i
	{
		printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00'
		for i in $(seq "$2"); do
			printf '\x00\x10\x27\x6a\x00\x00\x00\x00\x46\x00\x00\x00\x46\x00\x00\x00'       # time, 70 bytes
			printf '\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00'               # Ethernet
			printf '\x45\x00\x00\x38\x00\x01\x40\x00\x40\x11\x00\x00\x7f\x00\x00\x01\x7f\x00\x00\x01'
			printf '\x18\xc7\x08\x07\x00\x24\x00\x00'                                       # UDP
			printf '\x00\x00\x00\x05\x00\x00\x00\x01\x7f\x00\x00\x01\x00\x00\x00\x00'       # sFlow v5
			printf '\x00\x00\x00\x01\x00\x00\x00\x10\x00\x00\x00\x00'                       # no samples
		done
	} >"$1"
}
sflow_pcap "$tmp/sflow.pcap" 3
for mode in "" --totals "--by-tenant --prefixes $tmp/ipam1.txt"; do
	printf '10.0.0.0/8 a\n' >"$tmp/ipam1.txt"
	expect_status 3 "$ft" replay $mode "$tmp/sflow.pcap"
	expect_err "flowtally replay: $tmp/sflow.pcap: nothing decoded: all its 3 UDP datagrams were dropped:"
	expect_err "  bad_version: 3 (not NetFlow v5, v9 or IPFIX: sFlow, for one, is not supported yet)"
done
"$ft" generate --pcap "$tmp/v5.pcap" --to 127.0.0.1:9995 --records 60 2>/dev/null
expect_status 3 "$ft" replay --totals --port 2055 "$tmp/v5.pcap"
expect_err "nothing decoded: no UDP datagram to port 2055 among its 2 frames:"
expect_err "  other_port: 2 (UDP to a port other than 2055)"
grep -q '"other_port":2' "$tmp/out" || fail "replay --totals printed no totals for a capture it decoded nothing of"
expect_status 0 "$ft" replay --totals --port 9995 "$tmp/v5.pcap"
[ ! -s "$tmp/err" ] || fail "replay of a good capture said: $(cat "$tmp/err")"
expect_status 0 "$ft" replay --help
grep -q "^error, 3 nothing in the capture could be decoded" "$tmp/out" || fail "replay --help does not document exit status 3"

# ledger show --tenant: a tenant of the map without traffic shows zeros (exit 0); one in
# no step of the range and in no tenant map is unknown (exit 2), with where it looked.
cat >"$tmp/lt.conf" <<CONF
exporters = ["127.0.0.0/8"];
data_dir = "$tmp/lt";
step = 1;
tenants = ( { name = "north"; prefixes = ["10.0.0.0/9"]; },
            { name = "quiet"; prefixes = ["172.16.0.0/12"]; } );
CONF
"$ft" generate --pcap "$tmp/lt.pcap" --records 300 --start 2026-11-25T13:00:00Z 2>/dev/null
expect_status 0 "$ftd" --allow-root --replay "$tmp/lt.pcap" -c "$tmp/lt.conf"
expect_status 0 "$ft" ledger show -c "$tmp/lt.conf" --tenant north
awk '$1 == "north" && $2 > 0 { ok = 1 } END { exit !ok }' "$tmp/out" || fail "ledger show --tenant north: no traffic"
expect_status 0 "$ft" ledger show -c "$tmp/lt.conf" --tenant quiet
awk '$1 == "quiet" && $2 == 0 && $5 == 0 { ok = 1 } END { exit !ok }' "$tmp/out" || fail "ledger show --tenant quiet: not zeros"
expect_err "tenant 'quiet' has no traffic in the range"
expect_status 2 "$ft" ledger show -c "$tmp/lt.conf" --tenant nosuch
expect_err "unknown tenant 'nosuch': in no step of $tmp/lt/ledger from the first step to the last step, nor in the tenant map of $tmp/lt.conf"
[ ! -s "$tmp/out" ] || fail "ledger show printed sums for an unknown tenant"
expect_status 2 "$ft" ledger show -d "$tmp/lt" --tenant quiet --json --from 2026-11-25
expect_err "unknown tenant 'quiet': in no step of $tmp/lt/ledger from 2026-11-25T00:00:00Z to the last step, and no configuration (-c FILE)"
[ ! -s "$tmp/out" ] || fail "ledger show --json printed sums for an unknown tenant"
expect_status 0 "$ft" ledger show -d "$tmp/lt" --tenant north --json
grep -q '"tenant": "north"' "$tmp/out" || fail "ledger show -d --tenant north"
expect_status 0 "$ft" ledger --help
grep -q "unknown (exit status 2)" "$tmp/out" || fail "ledger --help does not say what an unknown tenant gives"
grep -q "show --tenant names an unknown tenant" "$tmp/out" || fail "ledger --help: exit status of an unknown tenant"
# check-config reads the tariff recharge would (recharge_tariff), with its tenants
cat >"$tmp/tf.conf" <<'TARIFF'
pools = ( { name = "desk"; amount_pence = 1000; basis = "equal"; } );
fixed = ( { tenant = "nosuch"; pence = 5; } );
TARIFF
{ echo "recharge_tariff = \"$tmp/tf.conf\";"; cat "$tmp/lt.conf"; } >"$tmp/rt.conf"
expect_status 2 "$ft" check-config "$tmp/rt.conf"
expect_err "$tmp/tf.conf:2: tenant 'nosuch' is not a tenant"
sed -i 's/nosuch/north/' "$tmp/tf.conf"
expect_status 0 "$ft" check-config "$tmp/rt.conf"
grep -q "tariff $tmp/tf.conf: 1 pool, 1 fixed charge, sha256 $(sha256sum "$tmp/tf.conf" | cut -d' ' -f1)" "$tmp/out" ||
	fail "check-config does not describe the tariff: $(cat "$tmp/out")"
echo "cli: ok"
