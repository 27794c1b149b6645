#!/usr/bin/env bash
# NetFlow v9 / IPFIX templates that come late or from an earlier run, with the shared
# vendor captures (../shared/fixtures/captures):
# (a) template after data: each capture rebuilt with its template-carrying datagrams
#     moved after the others must decode to the same totals as the original, through
#     `flowtally replay` and `flowtallyd --replay` (data sets wait for their template:
#     RFC 3954 §9, RFC 7011 §9.3);
# (b) restart between template and data: `flowtallyd --replay` of the templates alone,
#     then of the data alone with the same data_dir, must count what the whole capture
#     counts; the data alone in a fresh data_dir decodes nothing and counts every data
#     set as no_template, so the saved state is what made the difference;
# (c) a saved template that disagrees with one the exporter sends is replaced (RFC 3954
#     §7, RFC 7011 §8.4): three captures of exporter 192.0.2.1, observation domain 0,
#     define IPFIX template 256 differently.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
for t in tshark editcap mergecap; do
	command -v "$t" >/dev/null || skip "$t is not installed (Debian packages tshark, wireshark-common)"
done
fx=$(fixtures_dir) || skip "no ../shared/fixtures/captures"
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
cap=$fx/captures

# tsh FILE ARGS...: tshark with every UDP port of FILE decoded as NetFlow/IPFIX.
tsh() {
	local f=$1 da; shift
	mapfile -t da < <(cflow_decode_as "$f")
	tshark -r "$f" "${da[@]}" "$@" 2>/dev/null
}
# scan FILE: one line per frame: number, version, IPv4 and IPv6 source, source ID,
# observation domain, set IDs, template IDs (of template and options template records).
scan() {
	tsh "$1" -T fields -E separator=/t -e frame.number -e cflow.version -e ip.src -e ipv6.src \
		-e cflow.source_id -e cflow.od_id -e cflow.flowset_id -e cflow.template_id
}
# q WHAT SCAN: frames (count), netflow (frames of v9/IPFIX), tframes (frames carrying a
# template or options template set: v9 sets 0 and 1, IPFIX 2 and 3), mixed (those that
# carry data sets too), templates (template records), datasets (data sets outside the
# template frames), early (data sets in a frame before the one that defines their
# template, keyed by exporter address and source ID / observation domain).
q() {
	local files=("$2")
	if [ "$1" = early ]; then files+=("$2"); fi   # two passes: definitions, then data sets
	awk -F'\t' -v what="$1" '
		{
			tpl = dat = 0
			ns = split($7, s, ","); nt = split($8, t, ",")
			for (i = 1; i <= ns; i++) if (s[i] <= 3) tpl = 1; else if (s[i] >= 256) dat++
			k = $2 SUBSEP $3 SUBSEP $4 SUBSEP $5 SUBSEP $6
		}
		what == "frames" { n++ }
		what == "netflow" && $2 >= 9 { n++ }
		what == "tframes" && tpl { printf "%s ", $1 }
		what == "mixed" && tpl && dat { n++ }
		what == "templates" { n += nt }
		what == "datasets" && !tpl { n += dat }
		what == "early" && NR == FNR {
			for (i = 1; i <= nt; i++) if (!((k, t[i]) in def)) def[k, t[i]] = FNR
			next
		}
		what == "early" {
			for (i = 1; i <= ns; i++) if (s[i] >= 256 && (k, s[i]) in def && def[k, s[i]] > FNR) n++
		}
		END { if (what != "tframes") print n + 0 }' "${files[@]}"
}

# split_capture FILE SCAN OUT: OUT.tpl.pcap holds the template frames, OUT.data.pcap the
# others, and OUT.late.pcap the others followed by the template frames (timestamps made
# monotonic, as if the templates had been sent last).
split_capture() {
	local f=$1 out=$3 t
	t=$(q tframes "$2")
	# shellcheck disable=SC2086
	editcap -r "$f" "$out.tpl.pcap" $t
	# shellcheck disable=SC2086
	editcap "$f" "$out.data.pcap" $t
	mergecap -a -w "$out.merged.pcap" "$out.data.pcap" "$out.tpl.pcap"
	editcap -S 0 "$out.merged.pcap" "$out.late.pcap" >/dev/null
}

# conf DIR [LINE]: a configuration accepting every exporter, data in DIR.
conf() {
	printf 'exporters = ["0.0.0.0/0", "::/0"];\ndata_dir = "%s";\n%s\n' "$1" "${2:-}" >"$1.conf"
}
# replayd DIR FILE: flowtallyd --replay FILE with DIR.conf; prints the totals it wrote.
replayd() {
	"$ftd" --allow-root -c "$1.conf" --replay "$2" 2>>"$tmp/daemon.log" ||
		{ tail "$tmp/daemon.log" >&2; fail "flowtallyd --replay $(basename "$2") failed"; }
	jq -c '.totals | {records, bytes, packets, option_records}' "$1/stats.json"
}
errors() { jq -c '.errors | with_entries(select(.value > 0))' "$1/stats.json"; }
total() { jq ".totals.$2" "$1/stats.json"; }
# replay FILE: what `flowtally replay --totals` reports, volatile capture counters left out.
replay() {
	"$ft" replay --totals "$1" 2>/dev/null | jq -S -c '{datagrams, records, bytes, packets, by_version, errors}'
}
saved_templates() {   # DIR: the saved templates (binary files) as JSON
	"$ft" status --templates -d "$1"
}
state_tpl() {   # DIR ID: the saved definition of template ID of 192.0.2.1, IPFIX domain 0
	jq -c --argjson id "$2" '.exporters[] | select(.address == "192.0.2.1" and .version == 10 and .domain == 0) |
		.templates[] | select(.id == $id) | {options, scope, fields}' < <(saved_templates "$1")
}

shopt -s nullglob
v9=()
declare -A sc
for f in "$cap"/*.pcap "$cap"/*.pcapng; do
	sc[$f]=$tmp/scan.$(basename "$f")
	scan "$f" >"${sc[$f]}"
	[ "$(q netflow "${sc[$f]}")" -gt 0 ] && v9+=("$f")
done
[ "${#v9[@]}" -gt 0 ] || skip "no NetFlow v9 or IPFIX capture in $cap"

echo "(a) template after data"
moved=0
for f in "${v9[@]}"; do
	name=$(basename "$f") w=$tmp/a.${name%.*}
	if [ "$(q tframes "${sc[$f]}" | wc -w)" -ge "$(q frames "${sc[$f]}")" ]; then
		note "$name: every datagram carries a template, nothing to move"
		continue
	fi
	split_capture "$f" "${sc[$f]}" "$w"
	scan "$w.late.pcap" >"$w.late.scan"
	early=$(q early "$w.late.scan")
	[ "$early" -gt 0 ] || { note "$name: moving the templates puts no data set ahead of its template"; continue; }
	want=$(replay "$f") got=$(replay "$w.late.pcap")
	[ "$got" = "$want" ] || fail "$name with templates last: flowtally replay gives $got, the original $want"
	conf "$w.d"
	dgot=$(replayd "$w.d" "$w.late.pcap")
	dwant=$(jq -c '{records, bytes, packets, option_records: ([.by_version[].option_records // 0] | add)}' <<<"$want")
	[ "$dgot" = "$dwant" ] || fail "$name with templates last: flowtallyd --replay counts $dgot, the original $dwant"
	[ "$(total "$w.d" pending_decoded)" -gt 0 ] || fail "$name with templates last: flowtallyd decoded no waiting set"
	note "$name: $early data sets ahead of their template; replay and flowtallyd:" \
		"$(jq -c '{records, bytes, packets}' <<<"$got"), errors $(jq -c .errors <<<"$got") as in the original"
	moved=$((moved + 1))
done
[ "$moved" -ge 4 ] || fail "(a) expected at least 4 captures whose templates can be moved after data, found $moved"

echo "(b) restart between template and data"
restarted=0
for f in "${v9[@]}"; do
	name=$(basename "$f") w=$tmp/b.${name%.*}
	t=$(q tframes "${sc[$f]}")
	if [ -z "$t" ] || [ "$(q mixed "${sc[$f]}")" -gt 0 ] || [ "$(wc -w <<<"$t")" -ge "$(q frames "${sc[$f]}")" ]; then
		note "$name: no datagram split between templates only and data only"
		continue
	fi
	split_capture "$f" "${sc[$f]}" "$w"
	conf "$w.orig"
	want=$(replayd "$w.orig" "$f")
	[ "$(jq -c '{records, bytes, packets}' <<<"$want")" = "$(replay "$f" | jq -c '{records, bytes, packets}')" ] ||
		fail "$name: flowtallyd --replay and flowtally replay disagree"
	conf "$w.s"
	got=$(replayd "$w.s" "$w.tpl.pcap")
	[ "$(jq .records <<<"$got")" = 0 ] || fail "$name: the templates-only part holds records: $got"
	saved=$(saved_templates "$w.s" | jq '[.exporters[].templates | length] | add // 0')
	sent=$(q templates "${sc[$f]}")
	[ "$saved" = "$sent" ] || fail "$name: $sent templates sent, $saved saved in state/templates.state"
	got=$(replayd "$w.s" "$w.data.pcap")
	[ "$got" = "$want" ] || fail "$name: after a restart the data alone counts $got, the whole capture $want"
	[ "$(errors "$w.s")" = "$(errors "$w.orig")" ] || fail "$name: after a restart: errors $(errors "$w.s")"
	# Control: the same data-only replay without the saved state.
	conf "$w.fresh"
	fresh=$(replayd "$w.fresh" "$w.data.pcap")
	# (from the data part alone: on the whole file, tshark may stop early in a datagram)
	scan "$w.data.pcap" >"$w.data.scan"
	sets=$(q datasets "$w.data.scan")
	[ "$(jq -c '[.records, .option_records]' <<<"$fresh")" = "[0,0]" ] ||
		fail "$name: the data alone decodes without any template: $fresh"
	[ "$(errors "$w.fresh")" = "{\"no_template\":$sets}" ] ||
		fail "$name: the data alone in a fresh data_dir: errors $(errors "$w.fresh"), expected $sets no_template"
	note "$name: $saved templates saved, then $got; without the state: 0 records, $sets sets no_template"
	restarted=$((restarted + 1))
done
[ "$restarted" -ge 4 ] || fail "(b) expected at least 4 captures to split, found $restarted"

echo "(c) saved template replaced by a disagreeing one"
new=$cap/ls__ipfix_barracuda_ext_uniflow.pcap
if [ ! -f "$new" ]; then
	note "skipped: $(basename "$new") is absent"
else
	split_capture "$new" "${sc[$new]}" "$tmp/c.new"
	conf "$tmp/c.ref"
	want=$(replayd "$tmp/c.ref" "$new")
	newdef=$(state_tpl "$tmp/c.ref" 256)
	[ -n "$newdef" ] || fail "$(basename "$new") does not define IPFIX template 256 for 192.0.2.1, domain 0"
	replaced=0
	for old in "$cap"/ls__ipfix_ixia_256.pcap "$cap"/ls__ipfix_softflowd.pcap; do
		[ -f "$old" ] || continue
		name=$(basename "$old") w=$tmp/c.${name%.*}
		# template_lifetime 0 (never expire): the captures were exported years apart,
		# and the old template must still be live when the new one comes; for the same
		# reason record times are not checked (max_flow_age, max_clock_skew 0).
		conf "$w.s" "template_lifetime = 0; max_flow_age = 0; max_clock_skew = 0;"
		replayd "$w.s" "$old" >/dev/null
		olddef=$(state_tpl "$w.s" 256)
		if [ -z "$olddef" ] || [ "$olddef" = "$newdef" ]; then
			fail "$name does not define template 256 differently from $(basename "$new")"
		fi
		replayd "$w.s" "$tmp/c.new.tpl.pcap" >/dev/null
		[ "$(total "$w.s" template_changes)" -ge 1 ] || fail "$name: the replacement of template 256 is not counted"
		[ "$(state_tpl "$w.s" 256)" = "$newdef" ] || fail "$name: the saved template 256 was not replaced"
		got=$(replayd "$w.s" "$tmp/c.new.data.pcap")
		[ "$got" = "$want" ] || fail "$name, then the new template: the data count $got, expected $want"
		[ "$(errors "$w.s")" = "{}" ] || fail "$name, then the new template: errors $(errors "$w.s")"
		# Control: without the new template, the old one decodes the data otherwise.
		conf "$w.ctl" "template_lifetime = 0;"
		replayd "$w.ctl" "$old" >/dev/null
		ctl=$(replayd "$w.ctl" "$tmp/c.new.data.pcap")
		[ "$ctl" != "$want" ] || fail "$name: the old template decodes the data as the new one does; the test proves nothing"
		note "$name's template 256 ($(jq '.fields | length' <<<"$olddef") fields," \
			"options $(jq .options <<<"$olddef")) saved, replaced by $(basename "$new")'s" \
			"($(jq '.fields | length' <<<"$newdef") fields): data count $got; the old one would give $ctl"
		replaced=$((replaced + 1))
	done
	[ "$replaced" -gt 0 ] || note "skipped: no capture with a different template 256 for 192.0.2.1, domain 0"
fi
echo "templates: ok"
