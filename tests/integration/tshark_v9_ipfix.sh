#!/usr/bin/env bash
# Every NetFlow v9 and IPFIX capture in ../shared/fixtures/captures: per version, the
# data records, the sum of octetDeltaCount (IE 1) and of packetDeltaCount (IE 2), and the
# options data records of `flowtally replay --totals` must equal tshark's decode of the
# same file.  Where tshark's decode is not the right answer, the file is listed below
# with the RFC section that says why, and flowtally must give the listed values exactly.
# A file tshark decodes without complaint must give flowtally no errors, and a file
# without v9/IPFIX no v9/IPFIX records.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ft=$1
command -v tshark >/dev/null || skip "tshark is not installed (Debian package tshark)"
fx=$(fixtures_dir) || skip "no ../shared/fixtures/captures"

# FILE -> "version records bytes packets option_records no_template" that flowtally must
# report, where tshark differs for a reason of its own.
declare -A expect=(
	[fb__ipt_netflow_v9.pcap]="9 12 12187 35 0 6"
	[ls__nf9_h3c.pcap]="9 16 8729687 6113 0 0"
)
declare -A why=(
	# Two datagrams from 192.168.1.1, source ID 0, UDP source ports 57573 and 37303.
	# Template 259 comes in the first and is used by both (3 records in the first, 9 in
	# the second).  tshark keys templates by UDP port as well, so it leaves the second
	# datagram's 259 sets undecoded.  RFC 3954 §5.1 and §9 scope templates by exporter
	# and source ID, so all 12 records decode (pmacct nfacctd agrees: 12 records, 35
	# packets, 12187 octets).  Template 258 never comes: its 6 data sets are no_template.
	[fb__ipt_netflow_v9.pcap]="RFC 3954 §5.1: templates are scoped by exporter and source ID, not UDP port"
	# Template 3281 gives ipv4RouterSc (IE 43) a length of 2.  tshark throws at it and
	# stops after the first of the datagram's 16 data sets (one record each).  RFC 3954
	# §5.2: the template gives each field its length, and a record is walked by those
	# lengths; flowtally skips IE 43, which it does not use, so all 16 records decode.
	# pmacct nfacctd agrees (16 records, 6113 packets, 8729687 octets), as do the
	# counters read by hand from the 16 sets.
	[ls__nf9_h3c.pcap]="RFC 3954 §5.2: a record is walked by its template's field lengths; tshark stops at IE 43 of length 2"
)

# PDML of tshark's single-pass decode -> one line per version (9, 10):
# "version records option_records octets packets undecoded_sets malformed_frames".
# A data set's records are the "Flow N" subtrees right under it; they are options data
# when their template came in an options template set (v9 set 1, IPFIX set 3), looked up
# the way tshark scopes templates (addresses, ports, source ID / domain).
pdml_totals() {
	awk '
	function indent(s) { match(s, /^ */); return RLENGTH }
	function attr(s, a) {
		if (!match(s, " " a "=\"[^\"]*\"")) return ""
		return substr(s, RSTART + length(a) + 3, RLENGTH - length(a) - 4)
	}
	/^<packet>/ { src = sport = dst = dport = ver = ""; od = 0; setid = -1; bad = 0; next }
	/^<\/packet>/ { if (bad && ver != "") mal[ver]++; next }
	/<proto name="_ws.malformed"/ { bad = 1 }
	/<field name="_ws.expert.severity" .*show="8388608"/ { bad = 1 }   # severity Error
	{
		n = attr($0, "name")
		if (n == "ip.src" || n == "ipv6.src") { if (src == "") src = attr($0, "show"); next }
		if (n == "ip.dst" || n == "ipv6.dst") { if (dst == "") dst = attr($0, "show"); next }
		if (n == "udp.srcport") { if (sport == "") sport = attr($0, "show"); next }
		if (n == "udp.dstport") { if (dport == "") dport = attr($0, "show"); next }
		if (n == "cflow.version") { ver = attr($0, "show"); seen[ver] = 1; next }
		if (n == "cflow.source_id" || n == "cflow.od_id") { od = attr($0, "show"); next }
		if (ver != "9" && ver != "10") next
		d = indent($0)
		if (setid >= 0 && d <= setd) setid = -1
		sh = attr($0, "show")
		if (n == "" && sh ~ /^(Flow)?Set [0-9]+ \[id=[0-9]+\]/) {
			s = sh; sub(/^[^[]*\[id=/, "", s); sub(/\].*/, "", s)
			setid = s + 0; setd = d; inopt = 0; next
		}
		if (setid < 0) next
		key = src SUBSEP sport SUBSEP dst SUBSEP dport SUBSEP od SUBSEP ver
		if (n == "cflow.template_id") {
			if (setid == 0 || setid == 2) kind[key, attr($0, "show")] = "data"
			if (setid == 1 || setid == 3) kind[key, attr($0, "show")] = "options"
			next
		}
		if (setid < 256) next
		if (n == "cflow.no_template_found") { undec[ver]++; next }
		if (n == "" && d == setd + 2 && sh ~ /^Flow [0-9]+( |$)/) {
			inopt = kind[key, setid] == "options"
			if (inopt) opt[ver]++; else rec[ver]++
			next
		}
		if (inopt) next
		if (n == "cflow.octets") oct[ver] += attr($0, "show")
		else if (n == "cflow.packets") pkt[ver] += attr($0, "show")
	}
	END {
		for (v in seen) if (v == "9" || v == "10")
			printf "%s %d %d %.0f %.0f %d %d\n", v, rec[v], opt[v], oct[v], pkt[v], undec[v], mal[v]
	}'
}

oracle() {   # FILE -> pdml_totals of tshark's decode
	local da
	mapfile -t da < <(cflow_decode_as "$1")
	tshark -r "$1" "${da[@]}" -T pdml 2>/dev/null | pdml_totals | sort -n
}

shopt -s nullglob
tested=0 listed=0
note "per capture and version: records bytes packets option_records"
for f in "$fx"/captures/*.pcap "$fx"/captures/*.pcapng; do
	name=$(basename "$f")
	# exit status 3: nothing in the capture decoded (sFlow), its totals still printed
	got=$("$ft" replay --totals "$f" 2>/dev/null) || [ $? = 3 ] || fail "$name: replay failed"
	rows=$(oracle "$f")
	gv=$(jq -r '.by_version | keys | map(select(. == "9" or . == "10")) | join(" ")' <<<"$got")
	tv=$(awk '{ print $1 }' <<<"$rows" | paste -sd " ")
	if [ -z "$rows" ]; then
		[ -z "$gv" ] || fail "$name: tshark sees no NetFlow v9/IPFIX, flowtally decodes version $gv"
		[ -z "${expect[$name]:-}" ] || fail "$name is listed as an exception but holds no v9/IPFIX"
		continue
	fi
	[ "$gv" = "$tv" ] || fail "$name: versions: tshark '$tv', flowtally '$gv'"
	clean=1
	while read -r v r o b k u m; do
		g=$(jq -r --arg v "$v" '.by_version[$v] |
			"\(.records // 0) \(.bytes // 0) \(.packets // 0) \(.option_records // 0)"' <<<"$got")
		t="$r $b $k $o"
		[ "$u $m" = "0 0" ] || { clean=0; t="$t ($u sets undecoded, $m frames malformed)"; }
		if [ -n "${expect[$name]:-}" ]; then
			read -r ev er eb ek eo en <<<"${expect[$name]}"
			[ "$v" = "$ev" ] || fail "$name: expected version $ev, tshark sees $v"
			g="$g, no_template $(jq '.errors.no_template // 0' <<<"$got")"
			note "$name v$v: flowtally $g; tshark $t; expected $er $eb $ek $eo, no_template $en: ${why[$name]}"
			[ "$g" = "$er $eb $ek $eo, no_template $en" ] || fail "$name: flowtally differs from the expected values"
			listed=$((listed + 1))
		else
			note "$name v$v: flowtally $g, tshark $t"
			[ "$t" = "$g" ] || fail "$name: v$v: flowtally differs from tshark"
		fi
	done <<<"$rows"
	# A file tshark decodes without complaint gives flowtally no errors either.
	if [ "$clean" = 1 ] && [ -z "${expect[$name]:-}" ]; then
		e=$(jq -c '.errors | with_entries(select(.value > 0))' <<<"$got")
		[ "$e" = "{}" ] || fail "$name: tshark decodes every set, flowtally reports errors $e"
	fi
	tested=$((tested + 1))
done
[ "$tested" -ge 3 ] || fail "expected at least 3 v9/IPFIX captures, found $tested"
echo "tshark_v9_ipfix: $tested captures: $((tested - listed)) agree with tshark," \
	"$listed give the values expected where tshark is not right"
