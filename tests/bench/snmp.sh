#!/usr/bin/env bash
# SNMP interface polling at scale: how long one cycle of flowtally's poller takes over A
# agents of I interfaces each (default 20 x 100 = 2,000 interfaces), with its CPU time
# and memory per interface; and, in the same run, against the same agents, what a simple
# poller pays (snmpbulkwalk, one agent after the other) and what Prometheus'
# snmp_exporter pays (Debian 12's prometheus-snmp-exporter 0.21, its if_mib module, all
# targets scraped at once).  Run by hand, as root (the exporter is installed with
# apt-get if missing).  It is a benchmark, not a test: it exits 0 whether or not the
# goals are met.
#
# The flowtally side is `flowtally snmp poll --config FILE`: one cycle of flowtallyd's
# poller (every snmp_devices entry at once, on one thread, net-snmp's asynchronous API),
# in a process started for each cycle, so every cycle also pays the process' start-up,
# net-snmp's initialisation and new sessions, which flowtallyd pays once: figures
# against flowtally, not for it.  The block "THE FLOWTALLY SIDE" holds it.
#
# The agents.  A real net-snmp snmpd per agent (tests/snmpd/start.sh, pass_persist
# handler ifmib_agent) on consecutive free UDP ports of 127.0.0.1 from -p, each serving
# I interfaces (`gen I 1 ...`: 10 Gb/s ports with 100 Mb/s in and 50 Mb/s out, 1,000-byte
# packets, a few errors and discards growing) and its own sysName; plus one agent of one
# interface for the memory baseline.  They run for the whole bench and are stopped by PID
# at exit.  All of them have answered a full walk of both tables before any cycle is
# timed, so that no tool pays for the handlers' first read of their control file.
#
# What each tool reads, per agent:
#   flowtally: GETBULK of ifName and ifDescr (max-repetitions 25 shared by the two
#     columns), then GETs of 17 other IF-MIB columns of every row plus sysUpTime and
#     sysName: 19 columns of the 39 in ifTable and ifXTable, the ones it needs.
#   snmpbulkwalk: the whole of ifXTable (.1.3.6.1.2.1.31.1.1.1, 19 columns) and of
#     ifTable (.1.3.6.1.2.1.2.2.1, 20 columns here): two processes per agent, as a
#     poller that shells out to the net-snmp tools does; -Cr25 (net-snmp's default is
#     10): the same max-repetitions as the exporter and flowtally, so that none of the
#     three is held back by smaller PDUs.  Its CPU time includes each process' start-up,
#     which is what such a poller pays every cycle.
#   snmp_exporter: its if_mib module as upstream generated it for 0.21.0 (Debian's
#     /etc/prometheus/snmp.yml is only a comment; tests/bench/snmp_exporter_if_mib.yml
#     says where the module comes from): a get of sysUpTime, walks of
#     .1.3.6.1.2.1.2 (ifNumber and ifTable) and .1.3.6.1.2.1.31.1.1 (ifXTable), i.e.
#     every column of both tables, with ifAlias, ifDescr and ifName as labels; v2c
#     community public, max-repetitions 25 (0.21's defaults).  The exporter is started
#     here, once, and kept running, as it would be in service; one scrape round before
#     the cycles warms it up as a long-running exporter is warm.  Its HTTP answers are
#     part of each cycle, as Prometheus sees them.
# So snmpbulkwalk and the exporter read about twice the varbinds flowtally reads (39
# columns, not 19): that is what the two do when told to poll IF-MIB interfaces, and
# neither can ask for 19 columns of a row in one request.  The varbinds or PDUs each
# got are printed.
#
# A cycle, repeated -c times (default 5), in this order each time so that whatever else
# the machine does falls on all three alike: flowtally (all agents at once), then
# snmpbulkwalk (agent after agent), then the exporter (one curl process, --parallel,
# fetching every target at once, as Prometheus scrapes them).  Each waits for quiet CPUs
# first (-w).  Wall time: bash's EPOCHREALTIME around the cycle.  CPU time (user +
# system): for flowtally and snmpbulkwalk the children's rusage that bash's `times`
# reports (getrusage(RUSAGE_CHILDREN), milliseconds; the kernel's sum of user and system
# time is the scheduler's exact runtime, only its split is sampled), before and after the
# cycle, so every process of the cycle is counted and nothing else; for the exporter
# utime + stime of /proc/PID/stat (all its threads; clock ticks, 10 ms) before and after
# its cycle, so curl's own CPU is not counted (Prometheus' is not either); and from the
# first cycle to the last over the cycles, which also holds whatever it does after it
# has answered (the garbage collector) and while idle, printed beside it.
# The agents' CPU (snmpd and its handlers) is counted for none: they serve all three.
# Memory: flowtally's peak resident set (ru_maxrss, which the command prints) in a cycle
# of its own, not timed, over all agents and
# over the baseline agent of one interface; per interface is (all - processes x
# baseline) / interfaces, so that each process' fixed cost comes off (one process for
# the poller).  The exporter's VmHWM after the cycles is printed beside it.
#
# A figure counts only when the cycle read every interface: flowtally's output must
# hold A x I interfaces with ifHCInOctets, snmpbulkwalk's A x I ifHCInOctets and
# A x I ifInOctets varbinds, each exporter scrape I ifHCInOctets samples; a cycle short
# of that is reported and the tool's figures are void.
#
# What loopback cannot show.  The agents run on this machine and share its CPUs with
# the tools; each varbind costs snmpd and its handler a pipe exchange (about 10 µs here,
# tests/snmpd/README.md), more when 20 agents and their 40 handlers contend for the
# CPUs at once.  A concurrent poller's cycle cannot be shorter than the agents' CPU for
# its requests over the CPUs, and a sequential one waits for no network: a device on a
# network answers each request after a round trip, with its own CPU, and that wait,
# paid request after request, is what concurrency saves.  So the snmpbulkwalk ratio
# measured here is the least a sequential poller loses, and the table prints the bound
# the agents set ("agents' CPU / CPUs").  -l MS puts a network's round trip between the
# tools and the agents (a relay, below): the same for all three tools, so that what a
# poller does while it waits for an answer shows.  The relay is python3 and needs CPU of
# its own (printed), on the same CPUs, and its timers fire late when the CPUs are busy
# (printed too): its round trips are -l or longer, more so in the concurrent cycles.
#
# Goals (the issue): A x I >= 2,000 interfaces over >= 20 agents polled by flowtally
# within 5 s every cycle (the max); snmpbulkwalk's median cycle >= 10 x flowtally's;
# flowtally's median cycle no slower than the exporter's; flowtally's CPU per cycle at
# most half the exporter's.
set -euo pipefail

prog=snmp
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/bench/ingest_lib.sh
. "$top/tests/bench/ingest_lib.sh"

usage() {
	cat <<EOF
Usage: tests/bench/snmp.sh [OPTION]...
Poll A snmpd agents of I interfaces each on 127.0.0.1 with flowtally, with snmpbulkwalk
one agent after the other and with Prometheus' snmp_exporter (all at once); print each
one's cycle time, CPU time and memory, the ratios and whether flowtally meets its goals.
Exits 0 either way.

Options
  -a N       agents (default 20)
  -i N       interfaces per agent (default 100)
  -c N       cycles (default 5)
  -B DIR     build directory, relative to the repository or absolute (default
             build-release; set up with --buildtype=release -Dtests=enabled and built
             if missing, or switched to -Dtests=enabled: the agents need ifmib_agent)
  -u         bring the build directory up to date (ninja) first
  -p PORT    first UDP port of the agents on 127.0.0.1 (default 20161; the next free
             ones are taken)
  -l MS      round trip of a network added to every request by a relay (python3)
             between the tools and the agents (default 0: no relay, direct)
  -P PORT    TCP port of the exporter on 127.0.0.1 (default 39116; must be free)
  -w SECS    patience with other work (default 60): each trial first waits for the
             CPUs to be quiet
  -h         show this help

Needs snmpd and snmp (Debian packages; scripts/deps.sh test), jq, curl
and prometheus-snmp-exporter, which is installed with apt-get when
missing and run as root (it is not part of scripts/deps.sh: only this bench uses it; a
service the package starts is stopped and never used).  A run takes about 45 s
with the defaults (plus the release build the first time), about 2 minutes with -l 1.

Exit status
  0 when the measurements ran, whether or not the goals are met; 1 when something
  kept them from running; 2 for usage errors.
EOF
}

usage_error() { echo "$prog: $*" >&2; exit 2; }

agents=20 ifaces=100 cycles=5 build=build-release update='' base_port=20161 http_port=39116 patience=60 rtt_ms=0
while getopts ":a:i:c:B:p:P:l:w:uh" o; do
	case $o in
	a) agents=$OPTARG ;; i) ifaces=$OPTARG ;; c) cycles=$OPTARG ;; B) build=$OPTARG ;;
	p) base_port=$OPTARG ;; P) http_port=$OPTARG ;; l) rtt_ms=$OPTARG ;; w) patience=$OPTARG ;; u) update=1 ;;
	h) usage; exit 0 ;;
	:) usage_error "-$OPTARG needs a value (try -h)" ;; *) usage_error "unknown option -$OPTARG (try -h)" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_error "unexpected argument '$1' (try -h)"
[[ $agents =~ ^[0-9]+$ ]] && [ "$agents" -ge 1 ] && [ "$agents" -le 500 ] || usage_error "-a: 1..500"
[[ $ifaces =~ ^[0-9]+$ ]] && [ "$ifaces" -ge 1 ] && [ "$ifaces" -le 100000 ] || usage_error "-i: 1..100000"
[[ $cycles =~ ^[0-9]+$ ]] && [ "$cycles" -ge 1 ] || usage_error "-c: a count from 1"
[[ $base_port =~ ^[0-9]+$ ]] && [ "$base_port" -ge 1024 ] && [ "$base_port" -le 65000 ] || usage_error "-p: 1024..65000"
[[ $http_port =~ ^[0-9]+$ ]] && [ "$http_port" -ge 1024 ] && [ "$http_port" -le 65535 ] || usage_error "-P: 1024..65535"
[[ $patience =~ ^[0-9]+$ ]] || usage_error "-w: a whole number of seconds"
[[ $rtt_ms =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v l="$rtt_ms" 'BEGIN { exit !(l <= 1000) }' ||
	usage_error "-l: milliseconds, 0..1000"
[[ $rtt_ms =~ ^0+(\.0+)?$ ]] && rtt_ms=0

for p in jq curl awk snmpbulkwalk /usr/sbin/snmpd; do
	command -v "$p" >/dev/null || die "$p is not installed (snmpd, snmp, jq, curl)"
done
exporter=/usr/bin/prometheus-snmp-exporter
if [ ! -x "$exporter" ]; then
	[ "$(id -u)" = 0 ] || die "prometheus-snmp-exporter is not installed; run as root to have it installed"
	say "installing prometheus-snmp-exporter (apt-get), which only this bench uses"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		prometheus-snmp-exporter >/dev/null || die "apt-get install prometheus-snmp-exporter failed"
	[ -x "$exporter" ] || die "$exporter missing after apt-get install"
fi
# The package's service (systemd or init.d) would only get in the way of nothing: it
# listens on :9116 with a snmp.yml that has no modules.  Stopped if it runs, never used.
if command -v systemctl >/dev/null && systemctl is-active -q prometheus-snmp-exporter 2>/dev/null; then
	say "stopping the prometheus-snmp-exporter service (this bench runs its own)"
	systemctl stop prometheus-snmp-exporter || true
fi
exporter_conf=$top/tests/bench/snmp_exporter_if_mib.yml
[ -f "$exporter_conf" ] || die "$exporter_conf missing"

# ---- build ----

[[ $build == /* ]] || build=$top/$build
ft=$build/collector/cli/flowtally
ifmib_agent=$build/tests/snmpd/ifmib_agent
if [ ! -f "$build/build.ninja" ]; then
	say "setting up $build (release, -Dtests=enabled for ifmib_agent)"
	meson setup "$build" "$top" --buildtype=release -Dtests=enabled >/dev/null
elif [ ! -x "$ifmib_agent" ]; then
	say "switching $build to -Dtests=enabled (the agents need ifmib_agent)"
	meson configure "$build" -Dtests=enabled >/dev/null
fi
if [ -n "$update" ] || [ ! -x "$ft" ] || [ ! -x "$ifmib_agent" ]; then
	ninja -C "$build" >/dev/null || die "build failed in $build"
elif ninja -C "$build" -n 2>/dev/null | grep -v 'Regenerating build files' | grep -q '^\[[0-9]'; then
	say "note: $build is behind the sources; measuring the programs as built (-u rebuilds)"
fi
[ -x "$ifmib_agent" ] || die "$ifmib_agent missing: set up $build with -Dtests=enabled"
buildtype=$(meson introspect --buildoptions "$build" 2>/dev/null |
	jq -r '.[] | select(.name == "buildtype") | .value' 2>/dev/null || echo "?")
[ "$buildtype" = release ] ||
	say "note: $build is a $buildtype build; flowtally's CPU figures are for that, not for release"

# ---- run-wide state, undone at exit ----

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-snmp.XXXXXX")
agent_dirs=() agent_ports=() epid=''
cleanup() {
	local d spids=()
	if [ -n "$epid" ]; then
		kill -TERM "$epid" 2>/dev/null || true
		wait_until 5 gone "$epid" || kill -KILL "$epid" 2>/dev/null || true
		wait "$epid" 2>/dev/null || true
	fi
	if [ -n "${relay_pid:-}" ]; then
		kill -TERM "$relay_pid" 2>/dev/null || true
		wait_until 5 gone "$relay_pid" || kill -KILL "$relay_pid" 2>/dev/null || true
		wait "$relay_pid" 2>/dev/null || true
	fi
	# stop.sh: SIGTERM by PID, SIGKILL after 10 s; all at once, so at most about 10 s
	for d in "${agent_dirs[@]}"; do "$top/tests/snmpd/stop.sh" "$d" & spids+=($!); done
	[ ${#spids[@]} -eq 0 ] || wait "${spids[@]}" || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gone() { ! alive "$1"; }

# the client tools' state and configuration (net-snmp's, for snmpbulkwalk and flowtally
# alike) go to a directory of the run's own, never /var/lib/snmp, ~/.snmp or /etc/snmp
mkdir -p "$tmp/client/cert_indexes"
export SNMP_PERSISTENT_DIR=$tmp/client SNMPCONFPATH=$tmp/client MIBS=""

# ---- the agents ----

udp_bound() { awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a { f = 1 } END { exit !f }' /proc/net/udp; }
tcp_bound() { awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp; }
! tcp_bound "$http_port" || die "127.0.0.1:$http_port (TCP) is in use (pick another with -P)"

next_port=$base_port
start_agent() {  # NAME COUNT: starts an agent of COUNT interfaces on the next free port
	local name=$1 n=$2 dir=$tmp/agents/$1 tries=0
	mkdir -p "$dir"
	# 10 Gb/s ports carrying 100 Mb/s in and 50 Mb/s out in 1,000-byte packets, with
	# errors and discards that grow now and then
	cat >"$dir/ifmib.conf" <<-CONF
	epoch $(($(date +%s) - 86400))
	gen $n 1 name=xe-0/0/ descr="10GE port " alias="customer link " highspeed=10000 \
	  in_rate=12500000 out_rate=6250000 in_start=123456789012 out_start=98765432109 \
	  in_errors_rate=1 out_discards_rate=2
	CONF
	while :; do
		[ "$next_port" -le 65535 ] || die "no free UDP port left above -p $base_port"
		if ! udp_bound "$next_port" &&
		   FT_SNMPD_SYSNAME=$name "$top/tests/snmpd/start.sh" "$dir" "$next_port" "$ifmib_agent" \
			"$dir/ifmib.conf" >/dev/null 2>"$dir/start.err"; then
			break
		fi
		# a port taken between the check and snmpd's bind shows as this; anything else is fatal
		grep -q 'Error opening specified endpoint' "$dir/snmpd.log" 2>/dev/null ||
			udp_bound "$next_port" || { cat "$dir/start.err" >&2; die "agent $name did not start"; }
		next_port=$((next_port + 1)) tries=$((tries + 1))
		[ "$tries" -lt 200 ] || die "200 ports in use from $base_port on"
	done
	agent_dirs+=("$dir") agent_ports+=("$next_port")
	next_port=$((next_port + 1))
}

t0=$EPOCHREALTIME
for ((k = 1; k <= agents; k++)); do start_agent "a$k" "$ifaces"; done
start_agent base 1
base_port_used=${agent_ports[$agents]}
ports=("${agent_ports[@]:0:$agents}")
say "$agents agents of $ifaces interfaces each on 127.0.0.1 UDP ${ports[0]}..${ports[$((agents - 1))]}" \
	"and a baseline agent of 1 interface on $base_port_used, started in" \
	"$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"

# ---- the network's round trip (-l) ----
#
# With -l MS, every tool polls the agents through a relay (python3, asyncio, one
# process) that listens on a port of its own per agent, passes each request on at once
# and each answer MS later, as a device MS away on a network would answer (a round trip
# is a round trip to the tool, whichever way it is spent).  How late its timers fired
# (mean and max) is printed: -l is a floor, and the relay's own time is on top.  Each client socket gets its own socket towards the agent, so
# answers go back to the socket that asked.  The relay's CPU is printed; it serves all
# three tools alike.  Without -l, the tools talk to the agents directly.
relay_pid=''
if [ "$rtt_ms" != 0 ]; then
	command -v python3 >/dev/null || die "-l needs python3"
	cat >"$tmp/relay.py" <<'EOF'
import asyncio, selectors, signal, sys, time
# the whole round trip is added to the answer: one timer a request, so the loop's
# wake-up error counts once; select(2) takes microseconds (epoll rounds up to ms)
rtt = float(sys.argv[1]) / 1000.0
pairs = [tuple(int(x) for x in a.split(":")) for a in sys.argv[2:]]
late = [0, 0.0, 0.0]            # answers, sum and max of their lateness (s)

def answer(down, data, client, due):
    d = time.monotonic() - due
    late[0] += 1; late[1] += d; late[2] = max(late[2], d)
    down.sendto(data, client)

class Up(asyncio.DatagramProtocol):
    def __init__(self, down, client):
        self.down, self.client = down, client
    def datagram_received(self, data, addr):
        due = time.monotonic() + rtt
        loop.call_at(loop.time() + rtt, answer, self.down, data, self.client, due)

class Down(asyncio.DatagramProtocol):
    def __init__(self, agent):
        self.agent, self.ups, self.pending = agent, {}, {}
    def connection_made(self, t):
        self.t = t
    def datagram_received(self, data, addr):
        up = self.ups.get(addr)
        if up is not None:
            up.sendto(data)
        elif addr in self.pending:
            self.pending[addr].append(data)
        else:
            self.pending[addr] = [data]
            loop.create_task(self.open(addr))
    async def open(self, addr):
        up, _ = await loop.create_datagram_endpoint(lambda: Up(self.t, addr),
                                                    remote_addr=("127.0.0.1", self.agent))
        self.ups[addr] = up
        for data in self.pending.pop(addr):
            up.sendto(data)

def report():
    n = late[0]
    print("late %d %.0f %.0f" % (n, late[1] / n * 1e6 if n else 0, late[2] * 1e6), flush=True)
    loop.stop()

async def main():
    for listen, agent in pairs:
        await loop.create_datagram_endpoint(lambda a=agent: Down(a), local_addr=("127.0.0.1", listen))
    loop.add_signal_handler(signal.SIGTERM, report)
    print("ready", flush=True)

loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
loop.run_until_complete(main())
loop.run_forever()
EOF
	relay_args=() relay_ports=()
	for p in "${agent_ports[@]}"; do
		while udp_bound "$next_port"; do next_port=$((next_port + 1)); done
		[ "$next_port" -le 65535 ] || die "no free UDP port left for the relay"
		relay_args+=("$next_port:$p") relay_ports+=("$next_port")
		next_port=$((next_port + 1))
	done
	python3 "$tmp/relay.py" "$rtt_ms" "${relay_args[@]}" >"$tmp/relay.out" 2>"$tmp/relay.err" &
	relay_pid=$!
	wait_until 10 grep -q ready "$tmp/relay.out" && alive "$relay_pid" ||
		{ cat "$tmp/relay.err" >&2; die "the relay did not start"; }
	ports=("${relay_ports[@]:0:$agents}")
	base_port_used=${relay_ports[$agents]}
	say "relay (pid $relay_pid): $rtt_ms ms round trip added, the agents polled through UDP" \
		"${ports[0]}..${ports[$((agents - 1))]} (baseline $base_port_used)"
fi

# the configurations flowtally polls: all agents, and the baseline agent alone
ft_conf() {  # FILE PORT...
	local f=$1 p first=1 k=0
	shift
	{
		echo "data_dir = \"$tmp/ftdata\";"
		echo 'snmp_devices = ('
		for p in "$@"; do
			k=$((k + 1))
			[ $first = 1 ] || echo ','
			first=0
			printf '  { name = "a%d"; address = "127.0.0.1:%d"; version = "2c"; community = "public"; timeout = 2; retries = 1; }' "$k" "$p"
		done
		echo
		echo ');'
	} >"$f"
	sed -n 's/^ *{ name = "\([^"]*\)".*/\1/p' "$f" >"$f.devices"
	"$ft" check-config -q "$f" >"$tmp/check.out" 2>&1 || { cat "$tmp/check.out" >&2; die "flowtally rejects $f"; }
}
ft_conf "$tmp/all.conf" "${ports[@]}"
ft_conf "$tmp/base.conf" "$base_port_used"

# ==== THE FLOWTALLY SIDE ================================================================
#
# flowtally_cycle CONFIG OUT: one polling cycle of every device of CONFIG; what it read
#   goes under the directory OUT (made empty beforehand).  Timed by the caller (wall
#   time and the CPU time of every process it waits for), so it runs nothing else.
# flowtally_ifaces CONFIG OUT: prints how many interfaces with ifHCInOctets that cycle
#   read, over all devices (not timed).
# flowtally_hwm CONFIG OUT: runs one cycle (not timed) and prints the poller's peak
#   resident memory in kB and the number of processes it is the sum of (1 for the
#   poller), so that the fixed cost of each comes off the per-interface figure.
#
# `flowtally snmp poll --config CONFIG --json`: the poller's own cycle (ft_snmp_poller_cycle),
# every device at once on one thread of one process, as flowtallyd polls them.  Its peak
# memory is the process' ru_maxrss, which the command prints itself.
flowtally_cycle() {
	"$ft" snmp poll --config "$1" --json >"$2/poll.json" 2>"$2/poll.err" || true
}
flowtally_ifaces() {
	jq '[.cycles[].interfaces_hc] | min' "$2/poll.json"
}
flowtally_hwm() {
	"$ft" snmp poll --config "$1" --json >"$2/poll.json" 2>"$2/poll.err" || true
	echo "$(jq .max_rss_kb "$2/poll.json") 1"
}
flowtally_kind="flowtally snmp poll: every agent at once, one process, one thread"
# ==== end of THE FLOWTALLY SIDE =======================================================

# ---- helpers ----

# children_ms FILE: user + system time of the children waited for, in ms, from what bash's
# times wrote to FILE.  times runs in the main shell with its output redirected (in a
# command substitution it would report a fresh subshell's children: none), and no
# command substitution or pipe forks between the two readings of a cycle.
children_ms() {
	awk 'NR == 2 {
		t = 0
		for (i = 1; i <= 2; i++) { split($i, p, /m|s/); t += p[1] * 60000 + p[2] * 1000 }
		printf "%.0f\n", t }' "$1"
}
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }  # utime + stime
clk_tck=$(getconf CLK_TCK)
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'; }
med_max() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%s %s\n", v[int((NR + 1) / 2)], v[NR]; else print "- -" }'
}
fresh() { rm -rf "$1"; mkdir -p "$1"; }

# snmpbulkwalk over every agent, one after the other, two tables each
bulk_cycle() {  # OUT
	local p
	for p in "${ports[@]}"; do
		snmpbulkwalk -v2c -c public -On -Cr25 -t 2 -r 1 "127.0.0.1:$p" .1.3.6.1.2.1.31.1.1.1 \
			>"$1/$p.x" 2>>"$1/err"
		snmpbulkwalk -v2c -c public -On -Cr25 -t 2 -r 1 "127.0.0.1:$p" .1.3.6.1.2.1.2.2.1 \
			>"$1/$p.t" 2>>"$1/err"
	done
}
bulk_count() {  # OUT: "IFHCINOCTETS IFINOCTETS VARBINDS"
	local hc in vb
	hc=$(cat "$1"/*.x | grep -c '^\.1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.[0-9]* = Counter64: ' || true)
	in=$(cat "$1"/*.t | grep -c '^\.1\.3\.6\.1\.2\.1\.2\.2\.1\.10\.[0-9]* = Counter32: ' || true)
	vb=$(cat "$1"/*.x "$1"/*.t | grep -c '^\.1\.3\.6' || true)
	echo "$hc $in $vb"
}

# the exporter: one curl process fetching every target at once
exporter_cycle() {  # OUT
	local p args=()
	for p in "${ports[@]}"; do
		args+=(-o "$1/$p.prom" "http://127.0.0.1:$http_port/snmp?target=127.0.0.1:$p&module=if_mib")
	done
	curl -s -S --parallel --parallel-immediate --parallel-max "$agents" --max-time 60 "${args[@]}" \
		2>>"$1/err" || true
}
exporter_count() {  # OUT: "TARGETS_COMPLETE IFHCINOCTETS PDUS"
	local p n ok=0 all=0 pdus=0 x
	for p in "${ports[@]}"; do
		n=$(grep -c '^ifHCInOctets{' "$1/$p.prom" 2>/dev/null || true)
		all=$((all + ${n:-0}))
		[ "${n:-0}" != "$ifaces" ] || ok=$((ok + 1))
		x=$(awk '$1 == "snmp_scrape_pdus_returned" { print $2 }' "$1/$p.prom" 2>/dev/null || true)
		pdus=$((pdus + ${x:-0}))
	done
	echo "$ok $all $pdus"
}

# ---- the exporter, started once ----

"$exporter" --config.file="$exporter_conf" --web.listen-address="127.0.0.1:$http_port" \
	>"$tmp/exporter.log" 2>&1 &
epid=$!
wait_until 10 tcp_bound "$http_port" && alive "$epid" || { cat "$tmp/exporter.log" >&2; die "the exporter did not start"; }
exporter_version=$("$exporter" --version 2>&1 | sed -n '1s/^snmp_exporter, version \([^ ]*\).*/\1/p')

# ---- warming up: every agent's handlers, and the exporter as in service ----

fresh "$tmp/warm"
bulk_cycle "$tmp/warm"
read -r hc in vb <<<"$(bulk_count "$tmp/warm")"
[ "$hc" = $((agents * ifaces)) ] && [ "$in" = $((agents * ifaces)) ] ||
	die "the agents do not serve $((agents * ifaces)) interfaces (a walk found $hc in ifXTable, $in in ifTable)"
fresh "$tmp/warm"
exporter_cycle "$tmp/warm"
read -r eok _ _ <<<"$(exporter_count "$tmp/warm")"
[ "$eok" = "$agents" ] || say "warning: the exporter's warm-up round got all interfaces from $eok of $agents targets"

# ---- the agents' CPU ----
#
# snmpd and its two handlers per agent serve every tool; their CPU per cycle shows how
# much of a cycle is the agents' work, which on this machine shares the CPUs with the
# poller (on a network each device has its own).  schedstat's runtime (ns; every one of
# them is single-threaded), read outside the timed windows.
agent_pids=()
for d in "${agent_dirs[@]:0:$agents}"; do
	p=$(cat "$d/snmpd.pid")
	agent_pids+=("$p")
	for t in /proc/"$p"/task/*/children; do
		read -r -a kids <"$t" || true
		agent_pids+=("${kids[@]}")
	done
done
[ ${#agent_pids[@]} -eq $((3 * agents)) ] ||
	say "note: ${#agent_pids[@]} agent processes found, not $((3 * agents)) (snmpd and two handlers each)"
relay_ms() {
	[ -n "$relay_pid" ] || { echo 0; return; }
	awk '{ printf "%.0f\n", $1 / 1e6 }' "/proc/$relay_pid/schedstat"
}
agent_ms() {
	local p
	for p in "${agent_pids[@]}"; do cat "/proc/$p/schedstat" 2>/dev/null || true; done |
		awk '{ s += $1 } END { printf "%.0f\n", s / 1e6 }'
}

# ---- the cycles ----

patience_used=0 patience_warned=''
n_all=$((agents * ifaces))
f_wall=() f_cpu=() b_wall=() b_cpu=() e_wall=() e_cpu=() f_ag=() b_ag=() e_ag=() f_rl=() b_rl=() e_rl=()
f_void=0 b_void=0 e_void=0 b_vb=0 e_pdus=0 f_reqs=0
e_ticks0=$(proc_ticks "$epid")
for ((c = 1; c <= cycles; c++)); do
	# flowtally
	fresh "$tmp/ft"
	wait_quiet
	a0=$(agent_ms) r0=$(relay_ms)
	times >"$tmp/times0"; w0=$EPOCHREALTIME
	flowtally_cycle "$tmp/all.conf" "$tmp/ft"
	w1=$EPOCHREALTIME; times >"$tmp/times1"
	f_ag+=($(($(agent_ms) - a0))) f_rl+=($(($(relay_ms) - r0)))
	c0=$(children_ms "$tmp/times0") c1=$(children_ms "$tmp/times1")
	got=$(flowtally_ifaces "$tmp/all.conf" "$tmp/ft")
	f_wall+=("$(ms_between "$w0" "$w1")") f_cpu+=($((c1 - c0)))
	[ "$got" = "$n_all" ] || { f_void=1; say "cycle $c: flowtally read $got of $n_all interfaces"; }
	if [ "$c" = 1 ]; then
		f_reqs=$(jq '[.cycles[0].states[].requests] | add' "$tmp/ft/poll.json" 2>/dev/null || echo "?")
	fi
	# snmpbulkwalk
	fresh "$tmp/bulk"
	wait_quiet
	a0=$(agent_ms) r0=$(relay_ms)
	times >"$tmp/times0"; w0=$EPOCHREALTIME
	bulk_cycle "$tmp/bulk"
	w1=$EPOCHREALTIME; times >"$tmp/times1"
	b_ag+=($(($(agent_ms) - a0))) b_rl+=($(($(relay_ms) - r0)))
	c0=$(children_ms "$tmp/times0") c1=$(children_ms "$tmp/times1")
	read -r hc in vb <<<"$(bulk_count "$tmp/bulk")"
	b_wall+=("$(ms_between "$w0" "$w1")") b_cpu+=($((c1 - c0))) b_vb=$vb
	[ "$hc" = "$n_all" ] && [ "$in" = "$n_all" ] ||
		{ b_void=1; say "cycle $c: snmpbulkwalk read $hc ifHCInOctets and $in ifInOctets of $n_all"; }
	# the exporter (its CPU is read around all the cycles: wait_quiet between them costs it nothing)
	fresh "$tmp/exp"
	wait_quiet
	a0=$(agent_ms) r0=$(relay_ms) k0=$(proc_ticks "$epid")
	w0=$EPOCHREALTIME
	exporter_cycle "$tmp/exp"
	w1=$EPOCHREALTIME
	k1=$(proc_ticks "$epid")
	e_cpu+=("$(awk -v a="$k0" -v b="$k1" -v t="$clk_tck" 'BEGIN { printf "%.0f", (b - a) * 1000 / t }')")
	e_ag+=($(($(agent_ms) - a0))) e_rl+=($(($(relay_ms) - r0)))
	read -r eok eall pdus <<<"$(exporter_count "$tmp/exp")"
	e_wall+=("$(ms_between "$w0" "$w1")") e_pdus=$pdus
	[ "$eok" = "$agents" ] ||
		{ e_void=1; say "cycle $c: the exporter returned all $ifaces interfaces for $eok of $agents targets ($eall ifHCInOctets)"; }
	say "cycle $c: flowtally ${f_wall[-1]} ms (CPU ${f_cpu[-1]} ms, agents ${f_ag[-1]} ms)," \
		"snmpbulkwalk ${b_wall[-1]} ms (CPU ${b_cpu[-1]} ms, agents ${b_ag[-1]} ms)," \
		"exporter ${e_wall[-1]} ms (CPU ${e_cpu[-1]} ms, agents ${e_ag[-1]} ms)"
done
e_all=$(awk -v a="$e_ticks0" -v b="$(proc_ticks "$epid")" -v t="$clk_tck" -v n="$cycles" \
	'BEGIN { printf "%.0f", (b - a) * 1000 / t / n }')
e_hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$epid/status")

# flowtally's memory: all agents, and the baseline
fresh "$tmp/ft"
wait_quiet
read -r f_hwm f_procs <<<"$(flowtally_hwm "$tmp/all.conf" "$tmp/ft")"
got=$(flowtally_ifaces "$tmp/all.conf" "$tmp/ft")
[ "$got" = "$n_all" ] || { f_void=1; say "memory cycle: flowtally read $got of $n_all interfaces"; }
fresh "$tmp/ft"
times >"$tmp/times0"; w0=$EPOCHREALTIME
read -r f_hwm_base _ <<<"$(flowtally_hwm "$tmp/base.conf" "$tmp/ft")"
w1=$EPOCHREALTIME; times >"$tmp/times1"
f_base_cpu=$(($(children_ms "$tmp/times1") - $(children_ms "$tmp/times0")))
f_base_wall=$(ms_between "$w0" "$w1")
got=$(flowtally_ifaces "$tmp/base.conf" "$tmp/ft")
[ "$got" = 1 ] || say "warning: the baseline cycle read $got interfaces, not 1"

relay_late=''
if [ -n "$relay_pid" ]; then
	kill -TERM "$relay_pid" 2>/dev/null || true
	wait_until 5 gone "$relay_pid" || kill -KILL "$relay_pid" 2>/dev/null || true
	wait "$relay_pid" 2>/dev/null || true
	relay_pid_was=$relay_pid relay_pid=''
	read -r _ rl_n rl_mean rl_max <<<"$(grep '^late' "$tmp/relay.out" || echo "late ? ? ?")"
	relay_late="its timers fired $rl_mean µs late on average (max $rl_max µs) over $rl_n answers"
fi

# ---- the table ----

read -r fw_med fw_max <<<"$(med_max "${f_wall[@]}")"
read -r fc_med fc_max <<<"$(med_max "${f_cpu[@]}")"
read -r bw_med bw_max <<<"$(med_max "${b_wall[@]}")"
read -r bc_med bc_max <<<"$(med_max "${b_cpu[@]}")"
read -r ew_med ew_max <<<"$(med_max "${e_wall[@]}")"
read -r ec_med ec_max <<<"$(med_max "${e_cpu[@]}")"
read -r fa_med _ <<<"$(med_max "${f_ag[@]}")"
read -r ba_med _ <<<"$(med_max "${b_ag[@]}")"
read -r ea_med _ <<<"$(med_max "${e_ag[@]}")"
read -r fr_med _ <<<"$(med_max "${f_rl[@]}")"
read -r br_med _ <<<"$(med_max "${b_rl[@]}")"
read -r er_med _ <<<"$(med_max "${e_rl[@]}")"
void_note() { [ "$1" = 0 ] || echo " VOID: a cycle missed interfaces"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "?" }'; }
verdict() {  # VALUE OP GOAL VOID...
	local v=$1 op=$2 g=$3 x
	shift 3
	for x in "$@"; do [ "$x" = 0 ] || { echo "MISS (void: interfaces missing)"; return; }; done
	awk -v v="$v" -v g="$g" -v op="$op" 'BEGIN {
		if (v !~ /^[0-9.]+$/) print "MISS (not measured)"
		else if ((op == "<=" && v + 0 <= g + 0) || (op == ">=" && v + 0 >= g + 0)) print "PASS"
		else print "MISS" }'
}
per_if_us() { awk -v ms="$1" -v n="$n_all" 'BEGIN { printf "%.1f", ms * 1000 / n }'; }
mb() { awk -v kb="$1" 'BEGIN { if (kb ~ /^[0-9]+$/) printf "%.1f MB", kb / 1024; else print "?" }'; }
per_if_kb=$(awk -v a="$f_hwm" -v b="$f_hwm_base" -v p="$f_procs" -v n="$n_all" 'BEGIN { printf "%.2f", (a - p * b) / n }')
spread=''
[[ $per_if_kb != -* ]] || spread=" (below zero: less than the processes' RSS differ by)"

echo
echo "SNMP polling: $agents agents x $ifaces interfaces = $n_all interfaces, round trip +$rtt_ms ms (snmpd $(/usr/sbin/snmpd -v 2>/dev/null |
	sed -n 's/^NET-SNMP version: *//p') on 127.0.0.1), $cycles cycles, $(nproc) CPUs, kernel $(uname -r)"
printf '%-14s %-20s %-18s %-14s %-12s %s\n' tool "cycle wall med/max" "CPU/cycle med/max" "CPU/interface" \
	"agents' CPU" "memory"
printf '%-14s %-20s %-18s %-14s %-12s %s\n' flowtally "$fw_med / $fw_max ms" "$fc_med / $fc_max ms" \
	"$(per_if_us "$fc_med") µs" "$fa_med ms" "$(mb "$f_hwm") in $f_procs process(es) (baseline: 1 interface $(mb "$f_hwm_base")); $per_if_kb kB/interface$spread$(void_note $f_void)"
printf '%-14s %-20s %-18s %-14s %-12s %s\n' snmpbulkwalk "$bw_med / $bw_max ms" "$bc_med / $bc_max ms" \
	"$(per_if_us "$bc_med") µs" "$ba_med ms" "-$(void_note $b_void)"
printf '%-14s %-20s %-18s %-14s %-12s %s\n' snmp_exporter "$ew_med / $ew_max ms" "$ec_med / $ec_max ms" \
	"$(per_if_us "$ec_med") µs" "$ea_med ms" "VmHWM $(mb "$e_hwm") after the cycles$(void_note $e_void)"
echo "flowtally: $flowtally_kind; $f_reqs requests in cycle 1; memory: peak RSS of a cycle of its own, summed"
echo "  over its $f_procs process(es); per interface (that - $f_procs x baseline) / $n_all; the baseline cycle (1 agent,"
echo "  1 interface, one process) took $f_base_wall ms and $f_base_cpu ms of CPU: a process' fixed cost"
echo "agents' CPU: snmpd and its handlers, median per cycle (they share the $(nproc) CPUs with the tools)"
if [ -n "$relay_late" ]; then
	echo "relay (pid $relay_pid_was): $rtt_ms ms round trip added to every request; its CPU per cycle (median): flowtally $fr_med ms," \
		"snmpbulkwalk $br_med ms, exporter $er_med ms; $relay_late"
else
	echo "no network round trip: the tools talk to the agents on loopback directly (-l adds one)"
fi
echo "snmpbulkwalk: ifXTable and ifTable of each agent, -Cr25, one process per table, agent after agent:"
echo "  $b_vb varbinds a cycle; CPU of its $((2 * agents)) processes, start-up included"
echo "snmp_exporter $exporter_version: module if_mib (walks 1.3.6.1.2.1.2 and 1.3.6.1.2.1.31.1.1, gets sysUpTime),"
echo "  one curl --parallel fetching the $agents targets at once; $e_pdus varbinds returned in the last cycle"
echo "  (snmp_scrape_pdus_returned); CPU: utime+stime of the exporter around each cycle (10 ms ticks), curl not counted;"
echo "  from the first cycle to the last, divided by the cycles (idle time and any work after answering included): $e_all ms"
echo
r_bulk=$(ratio "$bw_med" "$fw_med")
r_exp=$(ratio "$fw_med" "$ew_med")
r_cpu=$(ratio "$fc_med" "$ec_med")
big=0
[ "$agents" -ge 20 ] && [ "$n_all" -ge 2000 ] && big=1
echo "goal: >= 2,000 interfaces over >= 20 agents within 5 s a cycle: $n_all over $agents, slowest cycle" \
	"$fw_max ms: $([ $big = 1 ] && verdict "$fw_max" "<=" 5000 $f_void || echo "MISS (too few agents or interfaces for the goal)")"
echo "goal: snmpbulkwalk / flowtally wall (median) >= 10: $r_bulk: $(verdict "$r_bulk" ">=" 10 $f_void $b_void)"
echo "goal: flowtally / exporter wall (median) <= 1: $r_exp: $(verdict "$r_exp" "<=" 1 $f_void $e_void)"
echo "goal: flowtally / exporter CPU per cycle (median) <= 0.5: $r_cpu: $(verdict "$r_cpu" "<=" 0.5 $f_void $e_void)"
bound=$(awk -v a="$fa_med" -v n="$(nproc)" 'BEGIN { printf "%.0f", a / n }')
[ -n "$relay_late" ] || echo "note: the agents' CPU for flowtally's requests over the $(nproc) CPUs is $bound ms, the shortest a concurrent" \
	"cycle can be here at this concurrency: snmpbulkwalk / that = $(ratio "$bw_med" "$bound"), the most any poller could reach on loopback"
echo "note: flowtally is a $buildtype build ($build)"
[ -z "$patience_warned" ] || echo "note: the CPUs were busy with other work during the run; figures are not reliable"
exit 0
