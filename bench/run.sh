#!/bin/sh
# Runs every benchmark and prints its table.
#   sh bench/run.sh [BUILD] [ARGS...]   (make bench; must be root)
# ARGS go to prog_bench, e.g. -n 1000000 for a quick run, --json.
# The table ends with whether fp_pipeline with no stages is within 1.5x of
# the empty program, the firewall's with its two goals; FP_BENCH_VERBOSE=1
# shows why a program failed to load.
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: run as root (sudo make bench): it loads BPF programs" >&2
	exit 1
fi
if [ ! -x "$BUILD/bench/prog_bench" ]; then
	echo "bench: $BUILD/bench/prog_bench is missing; run make first" >&2
	exit 1
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "== XDP programs under BPF_PROG_TEST_RUN ($(nproc) CPUs${cpu:+, $cpu}, kernel $(uname -r))"
"$BUILD/bench/prog_bench" "$@"
# The firewall's own table: rule sets of 0 to 100,000 against xdp-filter
# (docs/firewall.md); it takes its own options, so none are passed on.
if [ -x "$BUILD/bench/firewall_bench" ]; then
	echo
	echo "== Firewall stage under BPF_PROG_TEST_RUN"
	"$BUILD/bench/firewall_bench"
fi
# The same 10,000 rules in fastpath, an nftables chain and an nftables set
# under a UDP flood on a veth pair (needs nft).
if [ -x "$BUILD/bench/udp_flood" ] && command -v nft >/dev/null; then
	echo
	sh "$(dirname "$0")/fw_flood.sh" "$BUILD" 10000 3
	# Again with the receive side spread: one queue and sender per CPU.
	if [ "$(nproc)" -gt 1 ]; then
		echo
		sh "$(dirname "$0")/fw_flood.sh" "$BUILD" 10000 3 "$(nproc)"
	fi
fi
# Egress shaping on a forwarding hop against plain tc (docs/shaper.md).
if command -v iperf3 >/dev/null; then
	echo
	sh "$(dirname "$0")/shaper_bench.sh" "$BUILD" 100 8
fi
# DHCP exchanges per second against kea-dhcp4 and dnsmasq with perfdhcp,
# and the fast path under a flood of renewals (docs/dhcp.md).
if command -v perfdhcp >/dev/null && command -v kea-dhcp4 >/dev/null &&
   command -v dnsmasq >/dev/null; then
	echo
	sh "$(dirname "$0")/dhcp_bench.sh" "$BUILD" 3
fi
# What the verifier walks to load the pipeline, per stage set: most of
# fastpath up's time and a part of fastpathd's start (startup.sh).
if [ -x "$BUILD/bench/verifier_bench" ]; then
	echo
	"$BUILD/bench/verifier_bench"
fi
# Start-up time of `fastpath up` and fastpathd against xdp-filter's, and
# fastpathd's memory with 10,000 rules and 100,000 leases (needs perfdhcp
# and xdp-filter).
if command -v perfdhcp >/dev/null && command -v xdp-filter >/dev/null; then
	echo
	sh "$(dirname "$0")/startup.sh" "$BUILD" 10000 100000 5
fi
