#!/usr/bin/env bash
# flowtally dashboard end to end: flowtallyd replays three days of generated NetFlow of
# October 2026 (5-minute steps, RRD files written), then:
#  - the month's pages: every tenant's 95th percentiles in and out, as the graphs print
#    them (dashboard.json), equal the bytes of the 95th bin of `flowtally recharge` for
#    the same month (its ledger, not the RRD files);
#  - every image the pages name exists, is a PNG of the size its definition gives, and
#    the month-to-date volume equals the statement's volume;
#  - every period (--period all): every page of every subject exists, with index.html;
#  - a tenant named with spaces, non-ASCII and HTML's characters: its page file, its
#    title escaped in the page, its graph drawn;
#  - the same input twice gives the same pages and dashboard.json;
#  - a broken definition file: exit status 1, the error as file:line on stderr and on
#    the overview, the other pages drawn;
#  - an empty data directory: a site saying there is no data yet, exit status 0;
#  - usage errors exit 2.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v jq >/dev/null || skip "jq is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

awkward='Cyngor Môn & Co <x>'
cat >"$tmp/a.conf" <<CONF
exporters = ["127.0.0.0/8"];
data_dir = "$tmp/a";
step = 300;
lateness = 600;
timezone = "Europe/London";
tenants = (
  { name = "north"; display = "North Council"; cost_centre = "N-1"; prefixes = [ "10.0.0.0/9" ]; },
  { name = "$awkward"; display = "Ynys Môn"; cost_centre = "Y-2"; prefixes = [ "10.128.0.0/9" ]; },
  { name = "east"; display = "East College"; cost_centre = "E-3"; prefixes = [ "192.168.0.0/17" ]; }
);
classes = ( { name = "psn"; prefixes = [ "192.168.128.0/18" ]; } );
CONF
"$ft" generate --pcap "$tmp/a.pcap" --version 5 --exporters 2 --start 2026-10-01T00:00:00Z --duration 259200 \
	--rate 1 --seed 21 --src-prefix 10.0.0.0/8 --dst-prefix 192.168.0.0/16 >/dev/null
timeout 300 "$ftd" --allow-root -c "$tmp/a.conf" --replay "$tmp/a.pcap" 2>"$tmp/a.log" || { cat "$tmp/a.log" >&2; fail "replay"; }
note "three days of October 2026 replayed"

"$ft" recharge --month 2026-10 -c "$tmp/a.conf" --no-timestamp >"$tmp/recharge.json" 2>"$tmp/recharge.err" ||
	{ cat "$tmp/recharge.err" >&2; fail "recharge"; }

# ---- the month: the graphs' 95th percentiles are the statement's -------------------------
rc=0
"$ft" dashboard -c "$tmp/a.conf" --month 2026-10 --out "$tmp/month" >"$tmp/month.out" 2>"$tmp/month.err" || rc=$?
[ $rc = 0 ] || { cat "$tmp/month.err" >&2; fail "dashboard --month: exit status $rc"; }
[ "$(tail -n1 "$tmp/month.out")" = "$tmp/month/index.html" ] || fail "the last line is not index.html's path: $(tail -n1 "$tmp/month.out")"
[ -s "$tmp/month/index.html" ] || fail "no index.html"
python3 - "$tmp/recharge.json" "$tmp/month" <<'PY' || fail "the dashboard and the statement disagree"
import json, struct, sys, os
st = json.load(open(sys.argv[1]))
site = sys.argv[2]
d = json.load(open(os.path.join(site, "dashboard.json")))
assert d["spans"] == ["month"], d["spans"]
pages = {(p["kind"], p["subject"]): p for p in d["pages"]}
checked = 0
for name, t in st["tenants"].items():
    p = pages[("tenant", name)]
    imgs = {i["graph"]: i for i in p["images"]}
    for graph, direction in (("in", "in"), ("out", "out")):
        im = imgs[graph]
        assert im["drawn"], (name, graph, im["error"])
        v = im["values"][direction + "_p95"]
        bits = t["p95"][direction]["bits_per_s"]
        bin_bytes = t["p95"][direction]["bin_bytes"]
        got = v * 300 / 8
        if abs(got - round(got)) > 1e-6 or round(got) != bin_bytes:
            sys.exit(f"{name} {direction}: the graph's 95th is {v} b/s = {got} bytes a bin, the statement's {bin_bytes} ({bits} b/s)")
        checked += 1
    # the month so far: the statement's volumes
    m = imgs["month"]
    assert m["period"] == "month_to_date", m["period"]
    for direction in ("in", "out"):
        vol = t["volume"][direction]["bytes"] if isinstance(t["volume"][direction], dict) else t["volume"][direction]
        got = m["values"][direction + "_total"]
        if abs(got - vol) > 0.5:
            sys.exit(f"{name} {direction}: month to date {got} bytes, the statement {vol}")
# every image named exists, is a PNG, and is the size librrd says and the definition gives
sizes = {"overview": (800, 200), "tenant": (800, 220), "link": (800, 200), "exporter": (800, 200)}
drawn = 0
for p in d["pages"]:
    for im in p["images"]:
        if not im["drawn"]:
            assert im["no_data"], (p["file"], im["graph"], im["error"])
            continue
        b = open(os.path.join(site, im["file"]), "rb").read(24)
        assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", im["file"]
        w, h = struct.unpack(">II", b[16:24])
        assert (w, h) == (im["width"], im["height"]) == sizes[p["kind"]], (im["file"], w, h)
        drawn += 1
    assert os.path.exists(os.path.join(site, p["file"])), p["file"]
print(f"  {checked} tenant percentiles equal the statement's; {drawn} images of the configured sizes")
PY
note "the month's pages: every tenant's 95th in and out and its month-to-date volume are the statement's"

# the awkward name: its page, escaped, and its graph
page="$tmp/month/tenant=Cyngor%20M%C3%B4n%20%26%20Co%20%3Cx%3E.month.html"
[ -s "$page" ] || fail "no page for '$awkward': $(ls "$tmp/month")"
grep -qF 'Cyngor Môn &amp; Co &lt;x&gt;' "$page" || fail "the name is not in its page, escaped"
! grep -qF '<x>' "$page" || fail "the name's '<x>' reaches the page unescaped"
[ "$(jq -r --arg n "$awkward" '.pages[] | select(.subject == $n) | .images[0].drawn' "$tmp/month/dashboard.json")" = true ] ||
	fail "the awkward tenant's graph is not drawn"
note "a tenant named '$awkward': its page, escaped, and its graphs"

# ---- every period ------------------------------------------------------------------------
"$ft" dashboard -c "$tmp/a.conf" --at 2026-10-04T00:00:00Z --out "$tmp/all" --quiet 2>"$tmp/all.err" ||
	{ cat "$tmp/all.err" >&2; fail "dashboard --period all"; }
[ ! -s "$tmp/all.err" ] || { cat "$tmp/all.err" >&2; fail "dashboard --quiet wrote to stderr"; }
tenants=$(jq '.tenants | length' "$tmp/recharge.json")
exporters=$(find "$tmp/a/rrd" -path "*/exporters/*.rrd" | wc -l)
want=$((4 * (1 + tenants + exporters)))
[ "$(jq '.pages | length' "$tmp/all/dashboard.json")" = "$want" ] ||
	fail "pages: $(jq '.pages | length' "$tmp/all/dashboard.json"), $want expected (4 periods x (overview + $tenants tenants + $exporters exporters))"
for s in day week month year; do
	[ -s "$tmp/all/overview.$s.html" ] || fail "no overview.$s.html"
	[ -s "$tmp/all/tenant=north.$s.html" ] || fail "no tenant=north.$s.html"
done
cmp -s "$tmp/all/index.html" "$tmp/all/overview.day.html" || fail "index.html is not the first period's overview"
[ "$(jq '[.pages[].images[] | select(.drawn)] | length' "$tmp/all/dashboard.json")" -gt 0 ] || fail "nothing drawn"
# the month-to-date graph is drawn once, for every period's page
[ "$(jq -r '[.pages[] | select(.subject == "north") | .images[] | select(.graph == "month") | .file] | unique | length' \
	"$tmp/all/dashboard.json")" = 1 ] || fail "the month-to-date graph is not one image shared by the periods"
note "every period: $want pages, index.html the day's overview"

# ---- the same input, the same pages -------------------------------------------------------
"$ft" dashboard -c "$tmp/a.conf" --month 2026-10 --out "$tmp/month2" >/dev/null 2>&1 || fail "second run"
for f in index.html dashboard.json "tenant=north.month.html"; do
	cmp -s "$tmp/month/$f" "$tmp/month2/$f" || fail "$f differs between two runs over the same files"
done
note "the same files twice: the same pages and dashboard.json"

# ---- a broken definition: file:line, the others drawn -------------------------------------
mkdir "$tmp/defs"
cp "$src"/dashboards/*.conf "$tmp/defs/"
line=$(grep -n 'ds = "in_bytes"; for_each = "class"' "$tmp/defs/tenant.conf" | head -n1 | cut -d: -f1)
sed -i "${line}s/ds = \"in_bytes\"/ds = \"in_bytez\"/" "$tmp/defs/tenant.conf"
rc=0
"$ft" dashboard -c "$tmp/a.conf" --month 2026-10 --definitions "$tmp/defs" --out "$tmp/broken" >"$tmp/broken.out" \
	2>"$tmp/broken.err" || rc=$?
[ $rc = 1 ] || fail "a broken definition: exit status $rc, not 1"
grep -q "tenant.conf:$line: .*in_bytez" "$tmp/broken.err" || { cat "$tmp/broken.err" >&2; fail "the error is not named as tenant.conf:$line"; }
grep -q "tenant.conf:$line:" "$tmp/broken/index.html" || fail "the overview does not show the refused file"
[ "$(jq '[.pages[] | select(.kind == "tenant")] | length' "$tmp/broken/dashboard.json")" = 0 ] || fail "tenant pages drawn from a refused file"
[ "$(jq '[.pages[] | select(.kind == "overview") | .images[] | select(.drawn)] | length' "$tmp/broken/dashboard.json")" -gt 0 ] ||
	fail "the overview was not drawn beside the broken file"
note "a broken tenant.conf: exit 1, tenant.conf:$line named on stderr and on the overview, the other pages drawn"

# ---- no data yet -------------------------------------------------------------------------
rc=0
"$ft" dashboard -d "$tmp/empty" --out "$tmp/e" >"$tmp/e.out" 2>"$tmp/e.err" || rc=$?
[ $rc = 0 ] || { cat "$tmp/e.err" >&2; fail "an empty data directory: exit status $rc"; }
[ "$(jq .empty "$tmp/e/dashboard.json")" = true ] || fail "an empty directory is not an empty site"
grep -qi "no data" "$tmp/e/index.html" || fail "the empty site's overview does not say there is no data yet"
note "an empty data directory: a site saying there is no data yet"

# ---- usage --------------------------------------------------------------------------------
for args in "--period fortnight" "--at yesterday" "--month 2026-10 --at 1790000000" "-c $tmp/a.conf -d $tmp/a" \
	"--format gif" "--jobs 0" "--month 2026-13" "extra"; do
	rc=0
	# shellcheck disable=SC2086
	"$ft" dashboard $args --out "$tmp/u" >/dev/null 2>"$tmp/u.err" || rc=$?
	[ $rc = 2 ] || fail "dashboard $args: exit status $rc, not 2"
	[ -s "$tmp/u.err" ] || fail "dashboard $args: nothing said"
done
"$ft" dashboard --help | grep -q "Exit status" || fail "--help"
note "usage errors exit 2; --help"
echo "ok"
