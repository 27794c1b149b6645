#!/usr/bin/env bash
# rrd_check.sh FLOWTALLY RRD_DUMP DATA_DIR RRD_DIR STEP [FROM TO]
#
# Compares the round-robin series under RRD_DIR with the ledger of DATA_DIR step by
# step: every tenant, class, unattributed and total file, every data source, every
# ledger step (starting in [FROM, TO), UNIX seconds, when given).  The ledger side is
# `flowtally ledger show --by-class --json` of each step; the RRD side is librrd's
# rrd_fetch (rrd_dump), the finest AVERAGE × STEP rounded.  A tenant or class the
# ledger does not name in a step must read 0 there (once its file exists: files are
# made on first use, and read unknown before); a file missing for one it names is a
# failure; with RRD_CHECK_STRICT=1 (files made anew at the range's first step, as a
# rebuild makes them) an unknown step before a file's first value is one too.  Prints
# what differs and exits 1, or prints a summary and exits 0.
set -euo pipefail
ft=$1 dump=$2 data=$3 rrd=$4 step=$5 from=${6:-} to=${7:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# the %XX of a file name back to bytes
decode() { printf '%b' "${1//%/\\x}"; }

range=()
[ -n "$from" ] && range+=(--from "$(iso "$from")")
[ -n "$to" ] && range+=(--to "$(iso "$to")")
"$ft" ledger show -d "$data" --json "${range[@]}" >"$tmp/all.json"
first=$(jq -r '.first_step // empty' "$tmp/all.json")
[ -n "$first" ] || { echo "rrd_check: the ledger has no steps in the range" >&2; exit 1; }
t=$(date -u -d "$first" +%s)
end=$(date -u -d "$(jq -r .end "$tmp/all.json")" +%s)

# expected: END <TAB> KEY <TAB> DS <TAB> VALUE, one ledger call per step
: >"$tmp/expected"
: >"$tmp/ends"
while [ "$t" -lt "$end" ]; do
	"$ft" ledger show -d "$data" --json --by-class --from "$(iso "$t")" --to "$(iso $((t + step)))" >"$tmp/s.json"
	if [ "$(jq .steps "$tmp/s.json")" -gt 0 ]; then
		echo $((t + step)) >>"$tmp/ends"
		jq -r --arg e $((t + step)) '
			def six($k): ["in_bytes", .in.bytes], ["out_bytes", .out.bytes], ["in_packets", .in.packets],
			            ["out_packets", .out.packets], ["in_flows", .in.flows], ["out_flows", .out.flows]
			            | [$e, $k, .[0], (.[1] | tostring)] | join("\t");
			(.tenants[] | . as $t | six("T:" + $t.tenant), (.classes[] | six("C:" + $t.tenant + "/" + .class))),
			(.unattributed | [["src_bytes", .out.bytes], ["src_packets", .out.packets], ["src_flows", .out.flows],
			                  ["dst_bytes", .in.bytes], ["dst_packets", .in.packets], ["dst_flows", .in.flows]][]
			 | [$e, "U", .[0], (.[1] | tostring)] | join("\t")),
			([["bytes", .total.bytes], ["packets", .total.packets], ["flows", .total.flows],
			  ["late_bytes", .late.bytes], ["not_accounted_bytes", .not_accounted.bytes]][]
			 | [$e, "TOTAL", .[0], (.[1] | tostring)] | join("\t"))' "$tmp/s.json" >>"$tmp/expected"
	fi
	t=$((t + step))
done
lo=$(head -1 "$tmp/ends") hi=$(tail -1 "$tmp/ends")

# actual: the same from every file
: >"$tmp/actual"
files=0
add() {  # FILE KEY
	files=$((files + 1))
	"$dump" "$1" "$step" $((lo - step)) "$hi" | awk -v k="$2" 'BEGIN { OFS = "\t" } { print $1, k, $2, $3 }' >>"$tmp/actual"
}
[ -f "$rrd/total.rrd" ] && add "$rrd/total.rrd" TOTAL
[ -f "$rrd/unattributed.rrd" ] && add "$rrd/unattributed.rrd" U
shopt -s nullglob
for f in "$rrd"/tenants/*.rrd; do
	n=${f##*/}
	add "$f" "T:$(decode "${n%.rrd}")"
done
for d in "$rrd"/tenants/*/; do
	tn=${d%/}
	tn=${tn##*/}
	for f in "$d"*.rrd; do
		n=${f##*/}
		add "$f" "C:$(decode "$tn")/$(decode "${n%.rrd}")"
	done
done

awk -F'\t' -v ends="$tmp/ends" -v strict="${RRD_CHECK_STRICT:-0}" '
	BEGIN { while ((getline e < ends) > 0) is_end[e] = 1 }
	FNR == NR { want[$1 SUBSEP $2 SUBSEP $3] = $4; need[$2] = 1; next }
	{
		have[$2] = 1
		if (!($1 in is_end))
			next
		k = $1 SUBSEP $2 SUBSEP $3
		# before the first value of a file it did not exist yet (made on first use)
		if ($4 == "U" && !(($2 SUBSEP $3) in begun) && !strict)
			next
		begun[$2 SUBSEP $3] = 1
		w = (k in want) ? want[k] : "0"
		compared++
		if ($4 != w) {
			if (bad < 20)
				printf "rrd_check: %s %s at %s: RRD %s, ledger %s\n", $2, $3, $1, $4, w
			bad++
		}
	}
	END {
		for (k in need)
			if (!(k in have)) {
				printf "rrd_check: the ledger has %s, the RRD directory no file for it\n", k
				bad++
			}
		if (bad) {
			printf "rrd_check: %d difference(s) in %d values\n", bad, compared
			exit 1
		}
		printf "rrd_check: %d values of %d series over %d steps equal the ledger\n", compared, length(have),
		       length(is_end)
	}' "$tmp/expected" "$tmp/actual"
