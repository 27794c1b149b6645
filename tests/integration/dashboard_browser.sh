#!/usr/bin/env bash
# The dashboards in a real browser: an RRD directory of the collector's layout made by
# tests/bench/dashboard_gen (4 tenants with two classes each, one of them "Café Nord
# 002", two polled links, two exporters, total, unattributed and the collector, a day
# of 5-minute steps; every archive one day long, FT_RRD_BENCH_SHORT, to keep it small),
# `flowtally dashboard --period all`, then browser_check.py (its self-test is in
# recharge_browser.sh) loads every page in headless Chromium (Debian's chromium, a
# fresh profile, nothing leaving 127.0.0.1):
#  - from file:// URLs: every page loads with no console error, every image loads
#    (naturalWidth > 0), every internal link and fragment resolves, nothing is fetched
#    from outside the folder;
#  - from a server on 127.0.0.1 the checker starts and stops: the same, for a site of
#    the day's pages alone (each crawl follows every link: the whole site twice would
#    take minutes);
#  - a site with one image removed and one link broken: both named, exit status 1;
#  - a screenshot of the overview is kept: under the build's
#    meson-logs/dashboard-browser/, else in a directory printed at the end.
# Skipped (77) when Chromium, chromedriver or Selenium for python3 is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ft=$1 gen=$2

browser_prereqs
command -v jq >/dev/null || skip "jq is not installed"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
browser_shots dashboard-browser

end=1798761600      # 2027-01-01T00:00:00Z
mkdir -p "$tmp/data/rrd"
FT_RRD_BENCH_SHORT=1 timeout 120 "$gen" --dir "$tmp/data/rrd" --tenants 4 --odd-every 3 --classes 2 \
	--links 2 --exporters 2 --days 1 --step 300 --end $end --seed 5 >"$tmp/gen.out" || fail "dashboard_gen"
site=$tmp/site
"$ft" dashboard -d "$tmp/data" --at $end --out "$site" >"$tmp/d.out" 2>"$tmp/d.err" ||
	{ cat "$tmp/d.err" >&2; fail "flowtally dashboard"; }
[ "$(jq .not_drawn "$site/dashboard.json")" = 0 ] || fail "graphs not drawn: $(jq .not_drawn "$site/dashboard.json")"
mapfile -t pages < <(cd "$site" && ls ./*.html | sed 's|^\./||')
want=$((1 + 4 * (1 + 4 + 2 + 2)))
[ ${#pages[@]} = $want ] || fail "${#pages[@]} pages written, $want expected: index.html and 4 periods x 9"
awkward=$(cd "$site" && ls | grep -F 'tenant=Caf%C3%A9%20Nord%20002.day.html') || fail "no page for 'Café Nord 002'"
link=$(cd "$site" && ls | grep '^link=.*\.day\.html$' | head -n1)
exporter=$(cd "$site" && ls | grep '^exporter=.*\.day\.html$' | head -n1)
note "$(tail -n2 "$tmp/d.out" | head -n1)"

run_check() { timeout -k 5 330 "$py" "$check" --timeout 300 "$@"; }

# every page, from file:// (every link is followed from index.html)
rc=0
run_check --screenshot "$shots/overview.png" "$site" index.html >"$tmp/file.out" 2>&1 || rc=$?
[ $rc = 77 ] && { cat "$tmp/file.out"; skip "the browser check cannot run"; }
[ $rc = 0 ] || { cat "$tmp/file.out" >&2; fail "browser_check.py over file://: exit $rc"; }
[ "$(grep -c '^ok ' "$tmp/file.out")" -ge ${#pages[@]} ] || { cat "$tmp/file.out" >&2; fail "not every page checked"; }
grep -q "^ok   $awkward: .*title '[^']*Café Nord 002" "$tmp/file.out" ||
	{ grep -F "$awkward" "$tmp/file.out" >&2; fail "the awkward tenant's page title"; }
[ "$(head -c 8 "$shots/overview.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "no PNG screenshot"
note "file://: ${#pages[@]} pages load in Chromium, every image and link, no console error, nothing external"

# from a server on 127.0.0.1: the day's pages (every link followed from the overview)
day=$tmp/day
"$ft" dashboard -d "$tmp/data" --at $end --period day --out "$day" >/dev/null 2>"$tmp/day.err" ||
	{ cat "$tmp/day.err" >&2; fail "flowtally dashboard --period day"; }
rc=0
run_check --serve "$day" index.html "$awkward" "$link" "$exporter" >"$tmp/serve.out" 2>&1 || rc=$?
[ $rc = 0 ] || { cat "$tmp/serve.out" >&2; fail "browser_check.py --serve: exit $rc"; }
[ "$(grep -c '^ok ' "$tmp/serve.out")" = $((1 + 1 + 4 + 2 + 2)) ] || { cat "$tmp/serve.out" >&2; fail "not every day page checked"; }
note "http://127.0.0.1: the day's $((1 + 1 + 4 + 2 + 2)) pages the same"

# the checker fails on a damaged site, naming page and element
bad=$tmp/bad
cp -r "$day" "$bad"
img=$(jq -r --arg f "$link" '.pages[] | select(.file == $f) | .images[0].file' "$bad/dashboard.json")
rm "$bad/$img"
sed -i 's|</body>|<p><a id="gone" href="gone.html">gone</a></p></body>|' "$bad/$exporter"
rc=0
run_check --serve "$bad" "$link" "$exporter" >"$tmp/bad.out" 2>&1 || rc=$?
[ $rc = 1 ] || { cat "$tmp/bad.out" >&2; fail "a damaged site: exit $rc, want 1"; }
grep -q "^PROBLEM $link: <img .*image did not load" "$tmp/bad.out" || { cat "$tmp/bad.out" >&2; fail "the missing image was not named"; }
grep -q "^PROBLEM $exporter: <a id=\"gone\".*dead link: gone.html" "$tmp/bad.out" ||
	{ cat "$tmp/bad.out" >&2; fail "the dead link was not named"; }
note "a site with an image removed and a dead link put in: exit 1, both named by page and element"
note "screenshot kept: $shots/overview.png"
