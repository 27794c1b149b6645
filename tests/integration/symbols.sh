#!/usr/bin/env bash
# Every global symbol that flowtally's libraries define starts with ft_ (statics are
# unprefixed): nothing can clash with a library or program that links them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bad=$(nm --defined-only -g "$@" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDBRCGSV]$/ {print $3}' | grep -v '^ft_' | grep -v '^__odr_asan' | sort -u || true)
[ -z "$bad" ] || fail "exported symbols without the ft_ prefix: $bad"
n=$(nm --defined-only -g "$@" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDBRCGSV]$/' | wc -l)
[ "$n" -gt 20 ] || fail "only $n symbols found: wrong arguments?"
echo "symbols: $n exported symbols, all ft_"
