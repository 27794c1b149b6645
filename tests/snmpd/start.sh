#!/bin/sh
# start.sh RUNDIR PORT AGENT_BINARY [CONTROL_FILE]
#
# Starts net-snmp's snmpd on udp:127.0.0.1:PORT serving IF-MIB from AGENT_BINARY
# (ifmib_agent) and CONTROL_FILE, waits until it answers (at most 5 s) and prints its
# PID, which is also in RUNDIR/snmpd.pid.  Stop it with stop.sh RUNDIR.
#
# RUNDIR holds everything snmpd writes: snmpd.conf (from snmpd.conf.in), snmpd.log and
# persist/ (SNMP_PERSISTENT_DIR: engine ID, boots, USM keys), so nothing goes to
# /var/lib/snmp or ~/.snmp.  Without CONTROL_FILE, RUNDIR/ifmib.conf is written with an
# epoch of now and two interfaces.  The control file is read in place: rewrite it (write
# a new file and mv it over) to change what the agent serves.
#
# Environment: FT_SNMPD_SYSNAME sets sysName (default ft-test-agent), so that several
# agents differ; FT_SNMPD_EXTRA_CONF names a file appended to snmpd.conf.
#
# Exit status: 0 started; 1 snmpd did not start or answer (see RUNDIR/snmpd.log; a busy
# port shows there as "Error opening specified endpoint"); 2 usage.
#
# Client tools write a persistent directory too (/var/lib/snmp as root, ~/.snmp
# otherwise); callers should export SNMP_PERSISTENT_DIR to a directory of their own, as
# this script does for its own snmpget.
set -eu
usage() { echo "usage: start.sh RUNDIR PORT AGENT_BINARY [CONTROL_FILE]" >&2; exit 2; }
[ $# -ge 3 ] && [ $# -le 4 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
run=$1 port=$2 agent=$3 control=${4:-}
case $port in ''|*[!0-9]*) usage ;; esac
[ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || { echo "start.sh: port must be 1024-65535" >&2; exit 2; }
[ -x /usr/sbin/snmpd ] || { echo "start.sh: /usr/sbin/snmpd missing (Debian: snmpd)" >&2; exit 1; }
command -v snmpget >/dev/null || { echo "start.sh: snmpget missing (Debian: snmp), needed to see snmpd answer" >&2; exit 1; }
[ -x "$agent" ] || { echo "start.sh: $agent is not executable" >&2; exit 2; }
mkdir -p "$run/persist/cert_indexes" "$run/client/cert_indexes"
run=$(cd "$run" && pwd)
agent=$(cd "$(dirname "$agent")" && pwd)/$(basename "$agent")
if [ -z "$control" ]; then
	control=$run/ifmib.conf
	cat >"$control" <<-CONF
	epoch $(date +%s)
	if 1 name=eth0 alias="uplink" highspeed=1000 in_rate=1000000 out_rate=500000
	if 2 name=eth1 alias="" highspeed=10000 in_rate=0 out_rate=0 oper=down
	CONF
fi
[ -f "$control" ] || { echo "start.sh: $control: no such file" >&2; exit 2; }
control=$(cd "$(dirname "$control")" && pwd)/$(basename "$control")
# snmpd splits a pass_persist command line on white space and runs it without a shell
case "$agent$control$run" in *[[:space:]]*)
	echo "start.sh: paths with white space cannot be passed to snmpd" >&2; exit 2 ;;
esac
sysname=${FT_SNMPD_SYSNAME:-ft-test-agent}
case $sysname in *[!A-Za-z0-9._/:-]*) echo "start.sh: bad FT_SNMPD_SYSNAME" >&2; exit 2 ;; esac
sed -e "s#@PORT@#$port#g" -e "s#@RUN@#$run#g" -e "s#@AGENT@#$agent#g" \
    -e "s#@CONTROL@#$control#g" -e "s#@SYSNAME@#$sysname#g" \
    "$here/snmpd.conf.in" >"$run/snmpd.conf"
if [ -n "${FT_SNMPD_EXTRA_CONF:-}" ]; then cat "$FT_SNMPD_EXTRA_CONF" >>"$run/snmpd.conf"; fi
rm -f "$run/snmpd.pid"

export SNMP_PERSISTENT_DIR="$run/persist"
export MIBS=""          # numeric OIDs only: no MIB files are loaded or needed
# -C: only our snmpd.conf (not /etc/snmp); -I: snmpd's own ifTable, ifXTable and
# interfaces modules (and smux, which would listen on TCP 199) are not started, so IF-MIB
# comes from the handler alone.  snmpd puts itself in the background and writes -p.
/usr/sbin/snmpd -C -c "$run/snmpd.conf" -p "$run/snmpd.pid" -Lf "$run/snmpd.log" \
	-I -ifTable,ifXTable,interfaces,smux || {
	echo "start.sh: snmpd failed; see $run/snmpd.log" >&2; tail -5 "$run/snmpd.log" >&2; exit 1; }

# the client's own state goes to RUNDIR/client, never /var/lib/snmp or ~/.snmp
export SNMP_PERSISTENT_DIR="$run/client" SNMPCONFPATH="$run/client"
i=0
while [ $i -lt 25 ]; do
	pid=$(cat "$run/snmpd.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then break; fi
	# ifNumber starts the ifTable handler; a GETNEXT into .31 starts the ifXTable one,
	# so both read the control file now and agree on a default epoch
	if [ -n "$pid" ] &&
	   snmpget -v2c -c public -On -t 0.2 -r 0 127.0.0.1:"$port" .1.3.6.1.2.1.2.1.0 >/dev/null 2>&1 &&
	   snmpgetnext -v2c -c public -On -t 0.2 -r 0 127.0.0.1:"$port" .1.3.6.1.2.1.31 >/dev/null 2>&1; then
		echo "$pid"
		exit 0
	fi
	i=$((i + 1))
	sleep 0.2
done
echo "start.sh: snmpd did not answer on 127.0.0.1:$port within 5 s; see $run/snmpd.log" >&2
tail -5 "$run/snmpd.log" >&2 || true
[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
exit 1
