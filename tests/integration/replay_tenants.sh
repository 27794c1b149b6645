#!/usr/bin/env bash
# A capture is a source like the network: `flowtally replay --by-tenant` and
# `flowtallyd --replay` run it through the same pipeline (allow-list aside) with the
# configured step and lateness, so the per-tenant sums of the one and the ledger of the
# other agree to the byte, late and not-accounted volume included; and both agree with
# what `flowtally generate --expect-tenants` worked out on its own (a plain
# longest-prefix scan sharing no code with the collector).  NetFlow v5 sampled 1 in 10,
# and IPFIX, each written to a pcap file with 1-s steps spanning 20 s of export time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/rules.txt" <<'RULES'
10.0.0.0/9        north
10.128.0.0/10     south
10.144.0.0/12     east
192.168.0.0/17    south
192.168.200.0/21  north
RULES
conf() {  # DATA_DIR
	cat <<CONF
exporters = ["127.0.0.0/8"];
data_dir = "$1";
step = 1;
lateness = 2;
tenants = ( { name = "north"; }, { name = "south"; }, { name = "east"; } );
prefix_files = [ "$tmp/rules.txt" ];
CONF
}

# by_tenant JSON: "tenant dir bytes packets flows" lines of `replay --by-tenant`.
by_tenant() {
	jq -r '(.tenants | to_entries[] | .key as $t | .value | (.out, .in) as $v |
	        "\($t) \(if $v == .out then "out" else "in" end) \($v.bytes) \($v.packets) \($v.flows)"),
	       "unattributed src \(.unattributed.src | "\(.bytes) \(.packets) \(.flows)")",
	       "unattributed dst \(.unattributed.dst | "\(.bytes) \(.packets) \(.flows)")",
	       (["total", "late", "not_accounted"][] as $k | "\($k) - \(.[$k] | "\(.bytes) \(.packets) \(.flows)")")' "$1" |
		sort
}
# ledger JSON: the same lines from `flowtally ledger show --json`.
ledger() {
	jq -r '(.tenants[] | .tenant as $t | "\($t) out \(.out.bytes) \(.out.packets) \(.out.flows)",
	                                    "\($t) in \(.in.bytes) \(.in.packets) \(.in.flows)"),
	       "unattributed src \(.unattributed.out | "\(.bytes) \(.packets) \(.flows)")",
	       "unattributed dst \(.unattributed.in | "\(.bytes) \(.packets) \(.flows)")",
	       (["total", "late", "not_accounted"][] as $k | "\($k) - \(.[$k] | "\(.bytes) \(.packets) \(.flows)")")' "$1" |
		sort
}
# expected JSON: the generator's lines (tenants, unattributed, total).
expected() {
	jq -r '(.tenants | to_entries[] | .key as $t | .value | to_entries[] |
	        "\($t) \(.key) \(.value.bytes) \(.value.packets) \(.value.flows)"),
	       (.unattributed | to_entries[] | "unattributed \(.key) \(.value.bytes) \(.value.packets) \(.value.flows)"),
	       "total - \(([.tenants[].out.bytes] | add) + .unattributed.src.bytes) \(([.tenants[].out.packets] | add) + .unattributed.src.packets) \(.records)"' "$1" |
		sort
}
same() {  # WHAT WANT GOT
	diff -u "$2" "$3" >"$tmp/diff" || { cat "$tmp/diff" >&2; fail "$1"; }
}

for run in "v5 --version 5 --sampling 10" "ipfix --version 10"; do
	set -- $run
	name=$1; shift
	cap=$tmp/$name.pcap
	"$ft" generate --pcap "$cap" --to 127.0.0.1:2055 --records 60000 --exporters 3 --rate 3000 \
		--seed 5 --start 2026-11-25T13:00:00Z --summary --expect-tenants "$tmp/rules.txt" "$@" \
		>"$tmp/$name-sent.json" || fail "$name: flowtally generate failed"
	data=$tmp/$name-data
	conf "$data" >"$tmp/$name.conf"
	"$ft" check-config -q "$tmp/$name.conf" 2>"$tmp/check" || { cat "$tmp/check" >&2; fail "$name: configuration not valid"; }

	"$ft" replay --by-tenant --config "$tmp/$name.conf" "$cap" >"$tmp/$name-bt.json" ||
		fail "$name: flowtally replay --by-tenant failed"
	"$ftd" --allow-root --replay "$cap" -c "$tmp/$name.conf" 2>"$tmp/$name.log" || { cat "$tmp/$name.log" >&2; fail "$name: flowtallyd --replay failed"; }
	"$ft" ledger show -d "$data" --json >"$tmp/$name-ledger.json"

	by_tenant "$tmp/$name-bt.json" >"$tmp/bt"
	ledger "$tmp/$name-ledger.json" >"$tmp/ld"
	same "$name: replay --by-tenant and the ledger of flowtallyd --replay differ" "$tmp/ld" "$tmp/bt"
	expected "$tmp/$name-sent.json" >"$tmp/want"
	grep -v '^\(late\|not_accounted\) ' "$tmp/bt" >"$tmp/bt-core"
	same "$name: the pipeline differs from the generator's own attribution" "$tmp/want" "$tmp/bt-core"
	[ "$(jq .steps "$tmp/$name-ledger.json")" -ge 20 ] || fail "$name: fewer than 20 steps in the ledger"
	"$ft" replay --by-tenant --prefixes "$tmp/rules.txt" "$cap" >"$tmp/$name-bt60.json" ||
		fail "$name: replay --by-tenant --prefixes failed"
	by_tenant "$tmp/$name-bt60.json" | grep -v '^\(late\|not_accounted\) ' >"$tmp/bt60"
	same "$name: --prefixes (default step and lateness) attributes differently" "$tmp/want" "$tmp/bt60"
	note "$name: $(jq .steps "$tmp/$name-ledger.json") steps, late $(jq .late.bytes "$tmp/$name-ledger.json") bytes, all equal"
done
echo "replay-tenants: ok"
