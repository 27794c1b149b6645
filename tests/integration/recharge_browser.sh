#!/usr/bin/env bash
# flowtally recharge's HTML in a real browser: a short month of data (six hours of a
# generated capture replayed by flowtallyd, a tiny tariff), `flowtally recharge --out`,
# then browser_check.py loads every statement page in headless Chromium, from file://
# URLs and from a server on 127.0.0.1: each page loads, logs no console error, has its
# images, links only to what exists beside it and loads nothing from elsewhere.
#  - first the checker's self-test: good pages pass, and a broken image, a corrupt one,
#    a corrupt SVG, dead links and #fragments, external links, scripts, style sheets,
#    frames and SVG images, files outside ROOT, a script that throws and a console
#    error are each caught by name; no browser process outlives the check;
#  - then a statement page with a fault put in is caught too, by page and element;
#  - a full-page screenshot of the statement and of a tenant's page is kept: under the
#    build's meson-logs/recharge-browser/, else in a directory printed at the end.
# Skipped (77) when Chromium, chromedriver or Selenium for python3 is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2

browser_prereqs

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
browser_shots recharge-browser

# bounded: the checker's own watchdog is 120 s, this one is the last word
run_check() { timeout -k 5 150 "$py" "$check" "$@"; }

rc=0
run_check --self-test >"$tmp/self.out" 2>&1 || rc=$?
[ $rc = 77 ] && { cat "$tmp/self.out"; skip "the browser check cannot run"; }
[ $rc = 0 ] || { cat "$tmp/self.out" >&2; fail "browser_check.py --self-test: exit $rc"; }
grep -q 'all caught' "$tmp/self.out" || { cat "$tmp/self.out" >&2; fail "the self-test's summary"; }
note "$(tail -1 "$tmp/self.out")"

cat >"$tmp/a.conf" <<CONF
exporters = ["127.0.0.0/8"];
data_dir = "$tmp/a";
rrd = false;
step = 300;
lateness = 600;
timezone = "Europe/London";
tenants = (
  { name = "north"; display = "North <&> Council"; cost_centre = "N-1"; prefixes = [ "10.0.0.0/9" ]; },
  { name = "south"; display = "South Trust"; cost_centre = "S-2"; prefixes = [ "10.128.0.0/9" ]; }
);
classes = ( { name = "psn"; prefixes = [ "192.168.128.0/18" ]; } );
CONF
cat >"$tmp/tariff.conf" <<'TARIFF'
pools = (
  { name = "core"; amount_pence = 100000; basis = "peak_share"; },
  { name = "desk"; amount_pence = 30001; basis = "equal"; }
);
fixed = ( { tenant = "south"; pence = 2500; description = "fibre <\"B\"> route"; } );
TARIFF
"$ft" generate --pcap "$tmp/a.pcap" --version 5 --exporters 1 --start 2026-10-01T00:00:00Z --duration 21600 \
	--rate 1 --seed 11 --src-prefix 10.0.0.0/8 --dst-prefix 192.168.0.0/16 >/dev/null
timeout 60 "$ftd" --allow-root -c "$tmp/a.conf" --replay "$tmp/a.pcap" 2>"$tmp/a.log" || { cat "$tmp/a.log" >&2; fail "replay"; }
out=$tmp/out
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" --tariff "$tmp/tariff.conf" --out "$out" >/dev/null 2>"$tmp/r.err" ||
	{ cat "$tmp/r.err" >&2; fail "flowtally recharge --out"; }
pages=(recharge-2026-10.html recharge-2026-10-north.html recharge-2026-10-south.html)
for p in "${pages[@]}"; do [ -s "$out/$p" ] || fail "recharge did not write $p"; done
[ "$(ls "$out"/*.html | wc -l)" = ${#pages[@]} ] || fail "pages written: $(ls "$out")"
note "six hours of October 2026 replayed; recharge wrote ${#pages[@]} pages"

# checked: all pages, every one visited, the right title, no problem
browse() {  # HOW(file|serve) SCREENSHOT PAGE...
	local how=$1 shot=$2 rc=0
	shift 2
	local opt=()
	[ "$how" = serve ] && opt=(--serve)
	run_check "${opt[@]}" --screenshot "$shot" "$out" "$@" >"$tmp/$how.out" 2>&1 || rc=$?
	cat "$tmp/$how.out"
	[ $rc = 0 ] || fail "browser_check.py ($how) over the statement: exit $rc"
	[ "$(grep -c '^ok ' "$tmp/$how.out")" = $# ] || fail "browser_check.py ($how): not every page checked"
	grep -q "^ok   recharge-2026-10.html: .*title 'Network recharge statement 2026-10'" "$tmp/$how.out" ||
		fail "browser_check.py ($how): the statement's title"
	[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "no PNG screenshot at $shot"
}
browse file "$shots/recharge-2026-10.png" "${pages[@]}"
note "file://: ${#pages[@]} pages load in Chromium with no console error, broken image or link, nothing external"
browse serve "$shots/recharge-2026-10-south.png" recharge-2026-10-south.html recharge-2026-10.html recharge-2026-10-north.html
note "http://127.0.0.1: the same"

# the checker fails on a statement page with a fault put in, naming page and element
bad=$tmp/bad
cp -r "$out" "$bad"
sed -i 's|</body>|<p><a id="to-tenant" href="recharge-2026-10-west.html">west</a></p><script>null.x</script></body>|' \
	"$bad/recharge-2026-10-north.html"
rc=0
timeout -k 5 150 "$py" "$check" --serve "$bad" "${pages[@]}" >"$tmp/bad.out" 2>&1 || rc=$?
[ $rc = 1 ] || { cat "$tmp/bad.out" >&2; fail "a damaged statement page: exit $rc, want 1"; }
grep -q '^PROBLEM recharge-2026-10-north.html: <a id="to-tenant".*dead link: recharge-2026-10-west.html' "$tmp/bad.out" ||
	{ cat "$tmp/bad.out" >&2; fail "the dead link was not named"; }
grep -q '^PROBLEM recharge-2026-10-north.html: console (javascript):.*TypeError' "$tmp/bad.out" ||
	{ cat "$tmp/bad.out" >&2; fail "the script error was not named"; }
[ "$(grep -c '^PROBLEM' "$tmp/bad.out")" = 2 ] || { cat "$tmp/bad.out" >&2; fail "problems other than the two put in"; }
note "a statement page with a dead link and a throwing script: exit 1, both named by page and element"

ls "$shots"/*.png | grep -c png | grep -qx 2 || fail "screenshots: $(ls "$shots")"
note "screenshots kept: $shots/recharge-2026-10.png, $shots/recharge-2026-10-south.png"
