# Shared helpers for the integration tests (sourced).  Every test starts what it needs
# itself, by PID, with bounded waits, and only talks to 127.0.0.1 / ::1.

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
note() { echo "  $*"; }

# fixtures_dir: ../shared/fixtures beside the repository (or $FT_FIXTURES).
fixtures_dir() {
	local d=${FT_FIXTURES:-}
	[ -n "$d" ] || d="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/shared/fixtures"
	[ -d "$d/captures" ] || return 1
	echo "$d"
}

# wait_for CMD...: retries for up to 10 s.
wait_for() {
	local i
	for i in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# start_daemon FLOWTALLYD CONFIG LOG: starts flowtallyd in the foreground, sets $dpid, and
# waits for its first stats.json (data_dir is read from $data).
start_daemon() {
	"$1" --allow-root -f -c "$2" 2>"$3" &
	dpid=$!
	wait_for test -s "$data/stats.json" || { cat "$3" >&2; fail "flowtallyd did not start"; }
}

# stop_daemon: SIGTERM, then wait at most 10 s.
stop_daemon() {
	kill -TERM "$dpid" 2>/dev/null || return 0
	local i
	for i in $(seq 100); do
		kill -0 "$dpid" 2>/dev/null || { local rc=0; wait "$dpid" || rc=$?; dpid=; return $rc; }
		sleep 0.1
	done
	kill -KILL "$dpid"
	fail "flowtallyd did not stop within 10 s of SIGTERM"
}

# cflow_decode_as FILE: tshark options, one a line, that decode every UDP destination
# port of FILE (outer header) as NetFlow/IPFIX, except 6343 (sFlow).  Read them with
# `mapfile -t da < <(cflow_decode_as FILE)` and pass "${da[@]}" to tshark.
cflow_decode_as() {
	local p
	for p in $(tshark -r "$1" -T fields -e udp.dstport -E occurrence=f 2>/dev/null | sort -un); do
		[ "$p" = 6343 ] || printf -- '-d\nudp.port==%s,cflow\n' "$p"
	done
}

# snmpd_start AGENT RUNDIR CONTROL SYSNAME [PORT]: flowtally's test SNMP agent
# (tests/snmpd) on a free port of 127.0.0.1 (or PORT: an agent started again):
# sets $snmp_port and $snmp_pid.  Skips (77) when snmpd or
# the net-snmp tools are not installed.
snmpd_start() {
	local d p try
	d=$(cd "$(dirname "${BASH_SOURCE[0]}")/../snmpd" && pwd)
	[ -x /usr/sbin/snmpd ] || skip "/usr/sbin/snmpd is not installed (Debian: snmpd)"
	command -v snmpget >/dev/null || skip "snmpget is not installed (Debian: snmp)"
	mkdir -p "$2"
	snmp_port='' snmp_pid=''
	for try in 1 2 3 4 5 6 7 8; do
		p=${5:-$((20000 + (RANDOM + try * 7) % 20000))}
		if snmp_pid=$(FT_SNMPD_SYSNAME=$4 "$d/start.sh" "$2" "$p" "$1" "$3" 2>"$2/start.err"); then
			snmp_port=$p
			return 0
		fi
		grep -q 'Error opening specified endpoint' "$2/snmpd.log" 2>/dev/null || {
			cat "$2/start.err" >&2; fail "snmpd did not start (see $2/snmpd.log)"; }
	done
	fail "no free port for snmpd"
}

# snmpd_stop RUNDIR: stops the agent started in RUNDIR (by its PID, bounded).
snmpd_stop() {
	"$(cd "$(dirname "${BASH_SOURCE[0]}")/../snmpd" && pwd)/stop.sh" "$1" >/dev/null 2>&1 || true
}

# free_udp_port: a UDP port of 127.0.0.1 nothing listens on now.
free_udp_port() {
	local p h
	for _ in $(seq 50); do
		p=$((40000 + RANDOM % 20000))
		h=$(printf ':%04X ' "$p")
		grep -q "$h" /proc/net/udp /proc/net/udp6 2>/dev/null || { echo "$p"; return 0; }
	done
	echo 39999
}

# The browser tests' needs: sets py to a python3 that imports selenium (Debian's
# python3-selenium is for Debian's python3, which need not be first on PATH) and check
# to browser_check.py, or skips when Chromium, chromedriver or Selenium is missing.
browser_prereqs() {
	py=
	local p
	for p in /usr/bin/python3 "$(command -v python3 || true)"; do
		[ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import selenium' 2>/dev/null && { py=$p; break; }
	done
	[ -n "$py" ] || skip "no python3 can import selenium (Debian: python3-selenium)"
	[ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null || skip "chromium is not installed (Debian: chromium)"
	command -v chromedriver >/dev/null || skip "chromedriver is not installed (Debian: chromium-driver)"
	check=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/browser_check.py
}

# Where a browser test keeps its screenshots (NAME: a folder under the build's
# meson-logs, else a new temporary directory), emptied of old ones: sets shots.
browser_shots() {
	local build=${FT_BUILD_ROOT:-${MESON_BUILD_ROOT:-}}
	if [ -n "$build" ] && [ -d "$build/meson-logs" ]; then
		shots=$build/meson-logs/$1
	else
		shots=$(mktemp -d "${TMPDIR:-/tmp}/ft-$1-XXXXXX")
	fi
	mkdir -p "$shots"
	rm -f "$shots"/*.png
}
