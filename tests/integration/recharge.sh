#!/usr/bin/env bash
# flowtally recharge end to end: flowtallyd replays generated captures of October 2026
# (5-minute steps, RRD files written) into two collectors' data directories, and the
# month's statement is checked against what does not share its code:
#  - volumes against `flowtally ledger show` (the ledger's own sums) over the period;
#  - bins, presence, memberships and the four 95th percentiles of every tenant against
#    a brute force in Python that reads the ledger's text files itself;
#  - every pool's shares add up to its amount; the CSV's pence add up to the JSON's;
#  - the RRD cross-check agrees (librrd's files of the same run);
#  - the same month twice with --no-timestamp: identical bytes, in every format;
#  - a tenant whose prefix starts mid-month is billed from then on;
#  - the exporters' counters in the ledger account for every datagram of the captures;
#  - two ledgers add, and a bin is present only where both have it; one exporter in two
#    ledgers is refused;
#  - a damaged block: the statement is still written, its bins missing, exit status 1;
#  - errors: a tariff error names file:line (2); usage errors (2); no ledger (1).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ftd=$1 ft=$2
command -v jq >/dev/null || skip "jq is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

conf() {  # DATA_DIR RRD(true|false)
	cat <<CONF
exporters = ["127.0.0.0/8"];
data_dir = "$1";
rrd = $2;
step = 300;
lateness = 600;
timezone = "Europe/London";
tenants = (
  { name = "north"; display = "North <&> Council"; cost_centre = "N-1"; prefixes = [ "10.0.0.0/9" ]; },
  { name = "south"; display = "South Trust"; cost_centre = "S-2";
    prefixes = ( { prefix = "10.128.0.0/9"; valid_from = "2026-10-02T12:00:00Z"; } ); },
  { name = "east"; display = "East College"; cost_centre = "E-3"; prefixes = [ "192.168.0.0/17" ]; }
);
classes = ( { name = "psn"; prefixes = [ "192.168.128.0/18" ]; } );
CONF
}
conf "$tmp/a" true >"$tmp/a.conf"
conf "$tmp/b" false >"$tmp/b.conf"
cat >"$tmp/tariff.conf" <<'TARIFF'
pools = (
  { name = "core"; amount_pence = 1250000; basis = "peak_share"; },
  { name = "transit"; amount_pence = 480001; basis = "volume"; direction = "in"; classes = [ "internet" ]; },
  { name = "resilience"; amount_pence = 99999; basis = "p95"; metric = "max_in_out"; members = [ "north", "south" ]; },
  { name = "desk"; amount_pence = 300001; basis = "equal"; prorate = true; },
  { name = "sites"; amount_pence = 700000; basis = "weights";
    weights = ( { tenant = "north"; weight = 12; }, { tenant = "south"; weight = 7; }, { tenant = "east"; weight = 1; } ); }
);
fixed = ( { tenant = "east"; pence = 25000; description = "dark fibre, \"A\" route"; } );
TARIFF

# Collector a: three days from 2026-10-01; collector b: two days, another exporter.
"$ft" generate --pcap "$tmp/a.pcap" --version 5 --exporters 2 --start 2026-10-01T00:00:00Z --duration 259200 \
	--rate 1 --seed 11 --src-prefix 10.0.0.0/8 --dst-prefix 192.168.0.0/16 >/dev/null
"$ft" generate --pcap "$tmp/b.pcap" --version 5 --exporters 1 --source 127.0.0.2 --start 2026-10-01T00:00:00Z \
	--duration 172800 --rate 1 --seed 12 --src-prefix 10.0.0.0/8 --dst-prefix 192.168.0.0/16 >/dev/null
timeout 300 "$ftd" --allow-root -c "$tmp/a.conf" --replay "$tmp/a.pcap" 2>"$tmp/a.log" || { cat "$tmp/a.log" >&2; fail "replay a"; }
timeout 300 "$ftd" --allow-root -c "$tmp/b.conf" --replay "$tmp/b.pcap" 2>"$tmp/b.log" || { cat "$tmp/b.log" >&2; fail "replay b"; }
note "two collectors' ledgers of October 2026 replayed ($(ls "$tmp/a/ledger" | grep -c ledger) and $(ls "$tmp/b/ledger" | grep -c ledger) day files)"

rc=0
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" --tariff "$tmp/tariff.conf" --no-timestamp >"$tmp/a.json" \
	2>"$tmp/a.err" || rc=$?
[ $rc = 0 ] || { cat "$tmp/a.err" >&2; fail "recharge exit status $rc"; }
jq -e . "$tmp/a.json" >/dev/null || fail "the JSON does not parse"
[ "$(jq '.bins.expected' "$tmp/a.json")" = 8940 ] || fail "October 2026 in Europe/London is 8,940 bins, not $(jq .bins.expected "$tmp/a.json")"
[ "$(jq -r '.period.start + " " + .period.end' "$tmp/a.json")" = "2026-09-30T23:00:00Z 2026-11-01T00:00:00Z" ] ||
	fail "period: $(jq -c .period "$tmp/a.json")"
present=$(jq .bins.present "$tmp/a.json")
# the capture covers 2026-10-01T00:00Z .. 10-04T00:00Z: bins from 23:00 on 09-30 are missing
[ "$present" -gt 800 ] && [ "$present" -le 866 ] || fail "bins present: $present (about 864 expected)"
[ "$(jq '.coverage.missing | length' "$tmp/a.json")" -ge 1 ] || fail "no missing runs listed"
[ "$(jq -r '.coverage.missing[0].start' "$tmp/a.json")" = 2026-09-30T23:00:00Z ] || fail "the first missing run"
note "October 2026: 8,940 bins expected, $present present, missing runs listed"

# the exporters' counters in the ledger (format 2): every datagram of the capture, none lost
[ "$(jq .coverage.datagrams "$tmp/a.json")" = 8640 ] || fail "coverage: $(jq .coverage.datagrams "$tmp/a.json") datagrams, the capture has 8640"
[ "$(jq .coverage.records "$tmp/a.json")" = 259200 ] || fail "coverage: records $(jq .coverage.records "$tmp/a.json")"
[ "$(jq '.coverage.sequence_lost + .coverage.no_template + .coverage.parse_errors' "$tmp/a.json")" = 0 ] || fail "losses reported"
[ "$(jq '.coverage.exporters | length' "$tmp/a.json")" = 2 ] || fail "two exporters expected"
[ "$(jq '[.coverage.exporters[].sampling_rate.max] | max' "$tmp/a.json")" = 1 ] || fail "sampling rates"
[ "$(jq '.coverage.steps_with_counters == .coverage.ledger_steps' "$tmp/a.json")" = true ] || fail "steps without counters"
note "coverage: the ledger's exporter counters hold every datagram of the capture (8,640), no losses, rate 1"

# volumes: the statement's against the ledger's own sums over the period
"$ft" ledger show -c "$tmp/a.conf" --json --from 2026-09-30T23:00:00Z --to 2026-11-01T00:00:00Z >"$tmp/show.json"
for t in north south east; do
	for d in in out; do
		a=$(jq -c ".tenants[\"$t\"].volume.$d" "$tmp/a.json")
		b=$(jq -c ".tenants[] | select(.tenant == \"$t\") | .$d" "$tmp/show.json")
		[ "$a" = "$b" ] || fail "$t $d: statement $a, ledger show $b"
	done
done
[ "$(jq -c .total.measured "$tmp/a.json")" = "$(jq -c .total "$tmp/show.json")" ] || fail "total differs from ledger show"
[ "$(jq .total.balances "$tmp/a.json")" = true ] || fail "tenants + unattributed != total"
note "volumes equal ledger show's to the byte; tenants + unattributed = total"

# bins and percentiles by brute force, from the ledger's text
python3 - "$tmp/a/ledger" "$tmp/a.json" <<'PY' || fail "the brute force disagrees"
import sys, os, json, datetime, math
ledger, stmt = sys.argv[1], json.load(open(sys.argv[2]))
def t(s): return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
start, end = t(stmt["period"]["start"]), t(stmt["period"]["end"])
nb = (end - start) // 300
cover = [0] * nb
bins = {}   # (tenant, class, dir) -> {bin: bytes}
for name in sorted(os.listdir(ledger)):
    if not name.endswith(".ledger"): continue
    step_start = length = None
    for line in open(os.path.join(ledger, name)):
        f = line.rstrip("\n").split("\t")
        if f[0] == "B":
            step_start, length = t(f[1]), int(f[2])
        elif f[0] == "L" and start <= step_start < end:
            k = (step_start - start) // 300
            for c in (f[4], ""):
                d = bins.setdefault((f[2], c, f[3]), {})
                d[k] = d.get(k, 0) + int(f[5])
        elif f[0] == "E" and start <= step_start < end:
            cover[(step_start - start) // 300] += length
present = [c == 300 for c in cover]
assert sum(present) == stmt["bins"]["present"], (sum(present), stmt["bins"]["present"])
def p95(v):
    if not v: return 0
    v = sorted(v); r = 0
    while 100 * r < 95 * len(v): r += 1
    return v[r - 1]
for name, ten in stmt["tenants"].items():
    lo = t(ten["membership"]["from"]) if ten["membership"]["from"] else start
    hi = t(ten["membership"]["until"]) if ten["membership"]["until"] else end
    keep = [k for k in range(nb) if present[k] and lo <= start + 300 * k < hi]
    assert len(keep) == ten["bins"]["present"], (name, len(keep), ten["bins"])
    for cls in [""] + sorted(ten["classes"]):
        i = bins.get((name, cls, "in"), {}); o = bins.get((name, cls, "out"), {})
        want = {"in": p95([i.get(k, 0) for k in keep]), "out": p95([o.get(k, 0) for k in keep]),
                "in_plus_out": p95([i.get(k, 0) + o.get(k, 0) for k in keep]),
                "max_in_out": p95([max(i.get(k, 0), o.get(k, 0)) for k in keep])}
        got = ten["p95"] if cls == "" else ten["classes"][cls]["p95"]
        for m, v in want.items():
            assert got[m]["bin_bytes"] == v, (name, cls, m, got[m], v)
            assert got[m]["bits_per_s"] == (v * 8 + 150) // 300, (name, m)
for p in stmt["pools"]:
    assert sum(p["shares"].values()) == p["amount_pence"], p["name"]
for name, ten in stmt["tenants"].items():
    assert sum(c["pence"] for c in ten["charges"]) == ten["total_pence"], name
assert sum(x["total_pence"] for x in stmt["tenants"].values()) == stmt["total"]["charged_pence"]
assert stmt["total"]["charged_pence"] == sum(p["amount_pence"] for p in stmt["pools"]) + 25000
PY
note "bins, presence and every tenant's and class's four 95th percentiles equal a brute force over the ledger files; shares add up"

# the tenant that joins mid-month: south from 2026-10-02T12:00Z
[ "$(jq -r '.tenants.south.membership.from' "$tmp/a.json")" = 2026-10-02T12:00:00Z ] || fail "south's membership"
[ "$(jq '.tenants.south.bins.member' "$tmp/a.json")" = $(( (8940 - 37 * 12) )) ] ||
	fail "south's member bins: $(jq .tenants.south.bins.member "$tmp/a.json") (8,496 from 10-02 12:00Z)"
[ "$(jq '.tenants.north.bins.member' "$tmp/a.json")" = 8940 ] || fail "north's member bins"
note "a tenant joining mid-month is measured and prorated on its own period"

# the RRD cross-check
[ "$(jq -r .rrd_check.state "$tmp/a.json")" = agrees ] || fail "rrd check: $(jq -c .rrd_check "$tmp/a.json")"
[ "$(jq .rrd_check.tenants_checked "$tmp/a.json")" = 3 ] || fail "rrd check: not 3 tenants"
note "the RRD files' 95th percentiles agree with the ledger's"

# provenance
[ "$(jq -r .provenance.tariff.sha256 "$tmp/a.json")" = "$(sha256sum "$tmp/tariff.conf" | cut -d' ' -f1)" ] || fail "tariff hash"
[ "$(jq -r .provenance.config.sha256 "$tmp/a.json")" = "$(sha256sum "$tmp/a.conf" | cut -d' ' -f1)" ] || fail "config hash"
head=$(jq -r '.provenance.sources[0].head' "$tmp/a.json")
grep -q "^E	[^	]*	$head\$" "$tmp"/a/ledger/*.ledger || fail "the head $head is not a block of the ledger"
[ "$(jq '.provenance.tenant_maps | length' "$tmp/a.json")" -ge 1 ] || fail "no tenant map in the provenance"
note "provenance: configuration and tariff hashes, the ledger's head, the maps"

# the same month again: the same bytes, in every format; the CSV adds up
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" --tariff "$tmp/tariff.conf" --no-timestamp --out "$tmp/o1" >/dev/null
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" --tariff "$tmp/tariff.conf" --no-timestamp --out "$tmp/o2" >/dev/null
for f in recharge-2026-10.json recharge-2026-10.csv recharge-2026-10.html recharge-2026-10-south.html; do
	cmp -s "$tmp/o1/$f" "$tmp/o2/$f" || fail "$f differs between two runs"
done
cmp -s "$tmp/o1/recharge-2026-10.json" "$tmp/a.json" || fail "--out's JSON differs from standard output's"
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" --tariff "$tmp/tariff.conf" >"$tmp/ts.json" 2>/dev/null
grep -q '"generated_at": "20' "$tmp/ts.json" || fail "no generated_at line without --no-timestamp"
[ "$(grep -v generated_at "$tmp/ts.json" | cmp -s - "$tmp/a.json" && echo same)" = same ] || fail "generated_at is not the only difference"
csv=$tmp/o1/recharge-2026-10.csv
[ "$(head -1 "$csv" | tr -d '\r')" = "month,period_start,period_end,cost_centre,tenant,display,line,pool,basis,description,quantity,unit,pence,pounds" ] ||
	fail "CSV header: $(head -1 "$csv")"
python3 - "$csv" "$tmp/a.json" <<'PY' || fail "the CSV does not add up"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
st = json.load(open(sys.argv[2]))
lines = [r for r in rows if r["line"] != "total"]
assert sum(int(r["pence"]) for r in lines) == st["total"]["charged_pence"]
for r in rows:
    assert r["pounds"] == "%d.%02d" % (int(r["pence"]) // 100, int(r["pence"]) % 100)
    if r["line"] == "total":
        assert int(r["pence"]) == st["tenants"][r["tenant"]]["total_pence"]
fixed = [r for r in rows if r["line"] == "fixed"]
assert len(fixed) == 1 and fixed[0]["description"] == 'dark fibre, "A" route' and fixed[0]["tenant"] == "east"
assert len(rows) == sum(len(t["charges"]) + 1 for t in st["tenants"].values())
PY
html=$tmp/o1/recharge-2026-10-south.html
grep -q 'South Trust' "$html" || fail "the tenant's page lacks its name"
! grep -q 'North &lt;&amp;&gt; Council' "$html" || fail "south's page shows north"
grep -q 'North &lt;&amp;&gt; Council' "$tmp/o1/recharge-2026-10.html" || fail "names are not escaped in the HTML"
! grep -Eq 'https?:|src=|<link|@import' "$tmp/o1/recharge-2026-10.html" || fail "the HTML is not self-contained"
note "re-run: identical JSON, CSV and HTML; CSV pence = JSON's; the HTML is escaped and self-contained"

# two collectors: their steps add, a bin is present only where both have it
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" -c "$tmp/b.conf" --no-timestamp >"$tmp/ab.json"
"$ft" ledger show -c "$tmp/b.conf" --json --from 2026-09-30T23:00:00Z --to 2026-11-01T00:00:00Z >"$tmp/showb.json"
want=$(( $(jq .total.bytes "$tmp/show.json") + $(jq .total.bytes "$tmp/showb.json") ))
[ "$(jq .total.measured.bytes "$tmp/ab.json")" = "$want" ] || fail "merged total $(jq .total.measured.bytes "$tmp/ab.json"), want $want"
pab=$(jq .bins.present "$tmp/ab.json")
[ "$pab" -lt "$present" ] && [ "$pab" -gt 500 ] || fail "merged bins present: $pab (a's: $present; b covers two days)"
[ "$(jq '.provenance.sources | length' "$tmp/ab.json")" = 2 ] || fail "two sources expected"
[ "$(jq .coverage.datagrams "$tmp/ab.json")" = $((8640 + 5760)) ] || fail "merged datagrams"
# the same exporter in both ledgers is refused: it would be counted twice
cp -r "$tmp/a" "$tmp/c"
rc=0
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" -d "$tmp/c" >/dev/null 2>"$tmp/dup.err" || rc=$?
[ $rc = 2 ] && grep -q 'exporter 127.0.0.1 (domain 0) is in two ledgers' "$tmp/dup.err" || { cat "$tmp/dup.err" >&2; fail "one exporter in two ledgers: exit $rc"; }
rm -rf "$tmp/c"
rc=0
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" -d "$tmp/a" >/dev/null 2>"$tmp/twice.err" || rc=$?
[ $rc = 2 ] && grep -q 'named twice' "$tmp/twice.err" || fail "one ledger named twice: exit $rc"
rc=0
ln -s "$tmp/a" "$tmp/a-link"
"$ft" recharge --month 2026-10 -d "$tmp/a/" -d "$tmp/a-link" >/dev/null 2>"$tmp/twice.err" || rc=$?
[ $rc = 2 ] && grep -q 'named twice' "$tmp/twice.err" || fail "one ledger under two names: exit $rc"
note "two ledgers: volumes add ($want bytes), $pab bins present in both; one ledger named twice is refused"

# a tariff error: file:line, exit status 2
printf 'pools = ( { name = "x"; amount_pence = -5; basis = "equal"; } );\n' >"$tmp/bad.conf"
rc=0
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" --tariff "$tmp/bad.conf" >/dev/null 2>"$tmp/bad.err" || rc=$?
[ $rc = 2 ] && grep -q "$tmp/bad.conf:1:" "$tmp/bad.err" || { cat "$tmp/bad.err" >&2; fail "tariff error: exit $rc"; }
rc=0; "$ft" recharge -c "$tmp/a.conf" >/dev/null 2>&1 || rc=$?
[ $rc = 2 ] || fail "no --month: exit $rc"
rc=0; "$ft" recharge --month 2026-13 -c "$tmp/a.conf" >/dev/null 2>&1 || rc=$?
[ $rc = 2 ] || fail "month 13: exit $rc"
rc=0; "$ft" recharge --month 2026-10 -d "$tmp/none" >/dev/null 2>&1 || rc=$?
[ $rc = 1 ] || fail "no ledger: exit $rc"
"$ft" recharge --help | grep -q 'Exit status' || fail "--help"
note "errors: a tariff's file:line (2), usage (2), no ledger (1)"

# a damaged block: still a statement, its bins missing, exit status 1
day=$tmp/a/ledger/2026-10-02.ledger
python3 - "$day" <<'PY'
import sys
p = sys.argv[1]; lines = open(p).read().split("\n")
for i, l in enumerate(lines):
    if l.startswith("L\t2026-10-02T06:00:00Z"):
        f = l.split("\t"); f[5] = str(int(f[5]) + 1); lines[i] = "\t".join(f); break
open(p, "w").write("\n".join(lines))
PY
rc=0
"$ft" recharge --month 2026-10 -c "$tmp/a.conf" --no-rrd-check --no-timestamp >"$tmp/dmg.json" 2>"$tmp/dmg.err" || rc=$?
[ $rc = 1 ] || { cat "$tmp/dmg.err" >&2; fail "damaged block: exit $rc"; }
grep -q '2026-10-02.ledger:[0-9]*:' "$tmp/dmg.err" || { cat "$tmp/dmg.err" >&2; fail "the damage is not named file:line"; }
[ "$(jq .coverage.damaged_blocks "$tmp/dmg.json")" = 1 ] || fail "damaged_blocks"
[ "$(jq .bins.present "$tmp/dmg.json")" = $((present - 1)) ] || fail "the damaged block's bin is still present"
note "a damaged block: named file:line, its bin missing, the statement written, exit status 1"
