#!/usr/bin/env bash
# Shell helpers shared by the UDP ingest benchmarks (ingest.sh, ingest_tenants.sh), sourced
# by them.  They use the caller's settings: prog (message prefix), port and port_hex
# (127.0.0.1:PORT of the collector under test), rcvbuf (the receive buffer to allow),
# rmem_old, rmem_set and rmem_warned (net.core.rmem_max bookkeeping, restored by the
# caller at exit), patience, patience_used and patience_warned (-w), ft (the flowtally
# program) and version (the export format the generator sends).

die() { echo "$prog: $*" >&2; exit 1; }
say() { echo "$prog: $*" >&2; }

# to_count TEXT: 1.5M -> 1500000, 500k -> 500000, max -> 0, 64M (-s) in binary units.
to_count() {  # TEXT BASE
	awk -v t="$1" -v base="$2" 'BEGIN {
		if (t == "max") { print 0; exit }
		if (t !~ /^[0-9]+(\.[0-9]+)?[kKmMgG]?$/) exit 1
		m = 1; s = substr(t, length(t))
		if (s ~ /[kK]/) m = base; else if (s ~ /[mM]/) m = base^2; else if (s ~ /[gG]/) m = base^3
		printf "%.0f\n", t * m }'
}

# ensure_rmem: net.core.rmem_max at least the receive buffer, checked before every
# trial (other work may lower it meanwhile); the value found first is restored at exit.
ensure_rmem() {
	local cur; cur=$(cat /proc/sys/net/core/rmem_max)
	[ "$cur" -lt "$rcvbuf" ] || return 0
	if [ -w /proc/sys/net/core/rmem_max ]; then
		if [ -z "$rmem_old" ]; then
			rmem_old=$cur rmem_set=$rcvbuf
			say "net.core.rmem_max raised from $cur to $rcvbuf for the run"
		fi
		echo "$rcvbuf" >/proc/sys/net/core/rmem_max
	elif [ -z "$rmem_warned" ]; then
		say "warning: net.core.rmem_max is $cur, below -s $rcvbuf, and cannot be raised" \
			"(not root): the collectors get at most $cur"
		rmem_warned=1
	fi
}

# udp_sock: the /proc/net/udp line of 127.0.0.1:PORT, if bound.
udp_sock() {
	awk -v a="0100007F:$port_hex" '$2 == a' /proc/net/udp
}

# rx_queue: bytes waiting in the socket's receive queue.
rx_queue() {
	local l; l=$(udp_sock)
	[ -n "$l" ] || { echo 0; return; }
	echo $((16#$(awk '{ split($5, q, ":"); print q[2] }' <<<"$l")))
}

# sock_drops: datagrams the kernel dropped on the socket (the last column).
sock_drops() {
	local l; l=$(udp_sock)
	if [ -n "$l" ]; then awk '{ print $NF }' <<<"$l"; else echo 0; fi
}

# busy_ticks: CPU time of the whole machine, in clock ticks (steal included).
busy_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# wait_until SECONDS CMD...: retries CMD every 0.05 s.
wait_until() {
	local end=$((SECONDS + $1)); shift
	while ! "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

# sock_rb: the receive buffer the kernel gave the socket (ss: skmem rb, the
# doubled value SO_RCVBUF reports), or "?".
sock_rb() {
	command -v ss >/dev/null || { echo "?"; return; }
	ss -uamn 2>/dev/null | awk -v a="127.0.0.1:$port" '$4 == a { getline
		if (match($0, /rb[0-9]+/)) print substr($0, RSTART + 2, RLENGTH - 2); exit }'
}

bound() { [ -n "$(udp_sock)" ]; }
drained() { [ "$(rx_queue)" -eq 0 ]; }
port_free() { ! bound; }

# busy_pct SECONDS: how busy the CPUs are (steal included) over the next SECONDS.
busy_pct() {
	local a b
	a=$(head -n 1 /proc/stat)
	sleep "$1"
	b=$(head -n 1 /proc/stat)
	printf '%s\n%s\n' "$a" "$b" | awk '{ idle[NR] = $5 + $6; t[NR] = 0; for (i = 2; i <= 9; i++) t[NR] += $i }
		END { d = t[2] - t[1]; printf "%.0f", (d > 0 ? 100 * (d - idle[2] + idle[1]) / d : 0) }'
}

# wait_quiet: waits for the CPUs to be at most 10% busy, for as long as the run's
# patience (-w) lasts.
wait_quiet() {
	local busy start=$SECONDS
	while [ $((patience_used + SECONDS - start)) -lt "$patience" ]; do
		busy=$(busy_pct 0.5)
		if [ "$busy" -le 10 ]; then
			patience_used=$((patience_used + SECONDS - start))
			return 0
		fi
	done
	patience_used=$patience
	if [ -z "$patience_warned" ]; then
		say "warning: other work keeps the CPUs busy and the -w $patience s of patience are" \
			"used up: trials go on regardless and their figures are not reliable"
		patience_warned=1
	fi
}

# ---- what the receive buffer can hide ----
#
# A collector that falls behind during a trial loses nothing as long as the kernel
# buffer holds the backlog: it reads it after the generator has stopped.  So each run
# measures how many records the buffer granted to a collector holds, and each trial
# prints them as a share of the records it sent.  The kernel charges a datagram its
# skb truesize, not its payload (2,304 bytes for a 1,464-byte v5 or a 1,400-byte
# IPFIX datagram on loopback with Linux 6.18), so the capacity is measured rather than
# worked out from the size: the collector, started as in a trial, is stopped
# (SIGSTOP), sent more datagrams than could fit, and what the socket kept counted.

# granted_ok: the socket has the buffer the kernel grants for -s: twice the size,
# capped by net.core.rmem_max unless the collector forces it (nfcapd sets it after
# binding, so a probe waits for this before stopping the collector).
granted_ok() {
	local rb want max
	rb=$(sock_rb) max=$(cat /proc/sys/net/core/rmem_max)
	want=$((2 * (rcvbuf < max ? rcvbuf : max)))
	[[ $rb =~ ^[0-9]+$ ]] && [ "$rb" -ge "$want" ]
}

# all_stopped PID: every thread of PID has stopped (SIGSTOP delivered).
all_stopped() {
	local f
	for f in /proc/"$1"/task/*/status; do
		awk '$1 == "State:" { exit $2 != "T" }' "$f" 2>/dev/null || return 1
	done
}

# hold_probe PID: PID is a collector bound to 127.0.0.1:$port and ready.  Stops it,
# sends it 3 datagrams per 1,000 bytes of -s (the granted buffer is at most twice
# -s, and no datagram is charged under 1,000 bytes, so the buffer overflows) within
# half a second or so, reads what the socket kept (/proc/net/udp: its queue and its
# drops), lets the collector go on and waits (at most 20 s) until it has read the
# backlog.  Sets h_sent and h_held (datagrams), h_records (h_held times the records
# a datagram of the generator's summary), h_bytes (the queue the kernel accounted
# for them), h_rb (the socket's buffer) and h_full (1 when the kernel dropped some:
# the buffer was full; else the capacity is at least h_held).
hold_probe() {
	local pid=$1 n json drops
	n=$((3 * rcvbuf / 1000 + 512))
	wait_until 5 granted_ok ||
		say "warning: the socket's receive buffer is $(sock_rb) bytes, less than the kernel grants for -s $rcvbuf"
	h_rb=$(sock_rb)
	kill -STOP "$pid"
	wait_until 5 all_stopped "$pid" || die "the collector (pid $pid) did not stop on SIGSTOP within 5 s"
	json=$("$ft" generate --to "127.0.0.1:$port" --cpu 1 --batch 64 --version "$version" \
		--datagrams "$n" --rate $((n * 60)) --summary) || die "flowtally generate failed"
	# Loopback delivers within the send, unless softirqs are deferred to ksoftirqd.
	sleep 0.2
	h_bytes=$(rx_queue) drops=$(sock_drops)
	kill -CONT "$pid"
	h_sent=$(jq -r .datagrams <<<"$json")
	h_held=$((h_sent - drops)) h_full=$((drops > 0 ? 1 : 0))
	h_records=$(jq -r --argjson held "$h_held" \
		'if .datagrams > 0 then .records / .datagrams * $held | round else 0 end' <<<"$json")
	wait_until 20 drained || say "warning: the collector did not read its backlog within 20 s"
}

# hold_note COLLECTOR READ: the probe's result as a progress line; READ is what the
# collector counted of the backlog (empty if unknown).
hold_note() {
	local each="?"
	[ "$h_held" -le 0 ] || each=$((h_bytes / h_held))
	say "$1: its receive buffer ($h_rb bytes) holds $h_held datagrams, $h_records" \
		"records ($each bytes each as the kernel counts them; of $h_sent sent to it" \
		"stopped; it read back ${2:-?} records)"
	[ "$h_full" = 1 ] || say "warning: $1's receive buffer did not fill in the probe:" \
		"it holds at least this, and the shares printed are too low"
}

# hide_share HELD SENT: the share in % of SENT records that HELD records are.
hide_share() {
	awk -v h="$1" -v s="$2" 'BEGIN {
		if (h ~ /^[0-9]+$/ && s > 0) printf "%.1f", 100 * h / s; else print "?" }'
}

# over_share SHARE: SHARE is above the 5 % a trial may hide.
over_share() { awk -v s="$1" 'BEGIN { exit !(s ~ /^[0-9.]+$/ && s + 0 > 5) }'; }

fmt_rate() { awk -v r="$1" 'BEGIN { printf "%.2fM", r / 1e6 }'; }
