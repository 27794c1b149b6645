#!/usr/bin/env bash
# The demo's sample traffic, for scripts/demo.sh and tests/integration/demo.sh: NetFlow
# v5 from 4 exporters and v9 from 2 (from 127.0.0.2) to V4, IPFIX over IPv6 to V6;
# 780,004 records, each generator's report in OUT/sent-*.json.  Records last up to a
# second (--flow-length 1; a router's active timeout is a minute), so that they fit the
# demo's 1-second steps: the older part of a record that began before the oldest step
# still open would be counted as late.
#   scripts/demo/send.sh FLOWTALLY V4_HOST:PORT V6_[HOST]:PORT OUT_DIR
set -euo pipefail
ft=$1 v4=$2 v6=$3 out=$4
"$ft" generate --to "$v4" --records 600000 --exporters 4 --rate 2000000 --seed 1 \
	--flow-length 1 --summary >"$out/sent-v5.json"
"$ft" generate --to "$v4" --source 127.0.0.2 --version 9 --records 120000 --exporters 2 \
	--rate 2000000 --seed 2 --flow-length 1 --summary >"$out/sent-v9.json"
"$ft" generate --to "$v6" --version 10 --template v6 --src-prefix 2001:db8:0:1::/64 \
	--dst-prefix 2001:db8:0:2::/64 --records 60000 --rate 2000000 --seed 3 --flow-length 1 \
	--summary >"$out/sent-ipfix.json"
