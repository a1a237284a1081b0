#!/bin/sh
# Runs every benchmark and prints its table.
#   sh bench/run.sh [BUILD] [ARGS...]   (make bench; must be root)
# ARGS go to prog_bench, e.g. -n 1000000 for a quick run, --json.
# The table ends with whether fp_pipeline with no stages is within 1.5x of
# the empty program; FP_BENCH_VERBOSE=1 shows why a program failed to load.
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
