#!/usr/bin/env bash
# Every NetFlow v5 capture in ../shared/fixtures/captures: `flowtally replay --totals`
# must equal tshark's decode of the same file (records, bytes, packets), and the
# datagrams that break the v5 format (count outside 1..30, or a UDP length other than
# 24 + 48 × count, read from tshark's own decode of the header) must be reported as
# errors, not decoded.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ft=$1
command -v tshark >/dev/null || skip "tshark is not installed (Debian package tshark)"
fx=$(fixtures_dir) || skip "no ../shared/fixtures/captures"

oracle() {   # FILE -> "records bytes packets bad_count bad_length" for its v5 datagrams
	local f=$1 args=() p
	for p in $(tshark -r "$f" -T fields -e udp.dstport 2>/dev/null | tr ',' '\n' | sort -u); do
		args+=(-d "udp.port==$p,cflow")
	done
	tshark -r "$f" "${args[@]}" -T fields -E separator=/t -e udp.length -e cflow.version \
		-e cflow.count -e cflow.octets -e cflow.packets 2>/dev/null |
	awk -F'\t' '
		$2 != "5" { next }
		{
			if ($3 < 1 || $3 > 30) { badc++; next }
			if ($1 - 8 != 24 + 48 * $3) { badl++; next }
			n = split($4, o, ","); split($5, p, ",")
			for (i = 1; i <= n; i++) { r++; b += o[i]; k += p[i] }
		}
		END { printf "%d %.0f %.0f %d %d\n", r, b, k, badc, badl }'
}

tested=0
for f in "$fx"/captures/*.pcap; do
	read -r r b k badc badl < <(oracle "$f")
	[ $((r + badc + badl)) -gt 0 ] || continue
	# exit status 3: nothing in the capture decoded (ls__nf5_invalid01), its totals still printed
	got=$("$ft" replay --totals "$f" 2>/dev/null) || [ $? = 3 ] || fail "$(basename "$f"): replay failed"
	gr=$(jq '.by_version["5"].records // 0' <<<"$got")
	gb=$(jq '.by_version["5"].bytes // 0' <<<"$got")
	gk=$(jq '.by_version["5"].packets // 0' <<<"$got")
	gc=$(jq '.errors.bad_count // 0' <<<"$got")
	gl=$(jq '.errors.bad_length // 0' <<<"$got")
	note "$(basename "$f"): tshark $r records $b bytes $k packets, $badc+$badl invalid; flowtally $gr $gb $gk, $gc+$gl"
	[ "$r $b $k $badc $badl" = "$gr $gb $gk $gc $gl" ] || fail "$(basename "$f") differs from tshark"
	tested=$((tested + 1))
done
[ "$tested" -ge 3 ] || fail "expected at least 3 v5 captures, found $tested"
echo "tshark_v5: $tested captures agree with tshark"
