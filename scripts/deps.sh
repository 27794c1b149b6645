#!/usr/bin/env bash
# Installs the Debian 12 packages flowtally needs, only those missing.
#   scripts/deps.sh build   compiler, meson and the libraries
#   scripts/deps.sh demo    build + snmpd and snmp (the demo polls a local SNMP agent)
#   scripts/deps.sh test    build + Check, clang/libFuzzer, tshark, jq, nfdump, and headless
#                           Chromium with its WebDriver and Selenium (the HTML pages' browser test)
set -euo pipefail

# libmaxminddb is added with the module that links it; rrdtool is
# for the operator (the demo prints an rrdtool fetch), rrdcached, snmpd and snmp for the
# tests, python3 for the shared snmpd fixture's IF-MIB handler (../shared); chromium,
# chromium-driver and python3-selenium load the HTML pages in a real browser.
build_pkgs=(gcc pkg-config meson ninja-build libpcap-dev libconfig-dev libjansson-dev librrd-dev rrdtool libsnmp-dev
            nettle-dev tzdata jq)
test_pkgs=(check clang libclang-rt-14-dev tshark nfdump pmacct procps rrdcached snmpd snmp python3
           chromium chromium-driver python3-selenium)

case "${1:-build}" in
build) want=("${build_pkgs[@]}") ;;
demo) want=("${build_pkgs[@]}" snmpd snmp) ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
*) echo "usage: $0 build|demo|test" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	echo "deps: all ${#want[@]} Debian packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} package(s)"
