#!/usr/bin/env bash
# Shell helpers shared by the UDP ingest benchmarks (ingest.sh, ingest_tenants.sh), sourced
# by them.  They use the caller's settings: prog (message prefix), port and port_hex
# (127.0.0.1:PORT of the collector under test), rcvbuf (the receive buffer to allow),
# rmem_old, rmem_set and rmem_warned (net.core.rmem_max bookkeeping, restored by the
# caller at exit), patience, patience_used and patience_warned (-w).

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

fmt_rate() { awk -v r="$1" 'BEGIN { printf "%.2fM", r / 1e6 }'; }
