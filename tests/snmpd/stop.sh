#!/bin/sh
# stop.sh RUNDIR: stops the snmpd that start.sh RUNDIR started, by the PID in
# RUNDIR/snmpd.pid only: SIGTERM, at most 10 s, then SIGKILL.  The handler processes
# exit by themselves when snmpd closes their pipes.  Exit status 0 when it is gone (or
# was not running).
set -eu
run=${1:?usage: stop.sh RUNDIR}
pid=$(cat "$run/snmpd.pid" 2>/dev/null || true)
case $pid in ''|*[!0-9]*) exit 0 ;; esac
# a PID reused by another program after snmpd died is not ours to kill
if [ "$(cat /proc/"$pid"/comm 2>/dev/null || true)" != snmpd ]; then
	rm -f "$run/snmpd.pid"
	exit 0
fi
# alive PID: running and not a zombie (a container's init may be slow to reap one)
alive() {
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' /proc/"$1"/stat 2>/dev/null || true)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
kill -TERM "$pid" 2>/dev/null || true
i=0
while alive "$pid"; do
	if [ $i -ge 100 ]; then
		echo "stop.sh: snmpd $pid still running 10 s after SIGTERM; SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
		i=0
		while alive "$pid" && [ $i -lt 20 ]; do i=$((i + 1)); sleep 0.1; done
		break
	fi
	i=$((i + 1))
	sleep 0.1
done
rm -f "$run/snmpd.pid"
