#!/bin/sh
# AF_XDP receive against a recvmmsg loop, in one run on the project's veth
# lab: the same one-core UDP flood (build/bench/udp_flood, 64-byte frames,
# one flow) received by examples/xsk_echo --count
#   af_xdp     through the XSK stage and an AF_XDP socket (copy mode on veth)
#   recvmmsg   the same program on a plain UDP socket (--mode socket), the
#              port not steered, so the kernel's UDP stack delivers it
# Received packets per second, and the receiver's CPU (user + system, from
# /proc/PID/stat) per packet. The sender runs on CPU 0, the receiver on
# CPU 1 (when there is one); veth delivers in the sender's softirq, so the
# receiver's CPU is its own work: the rings, or the socket calls and copies.
# Then xsk_bench: the stage's ns under BPF_PROG_TEST_RUN against
# xdp-filter's port lookup.
#   sh bench/xsk_bench.sh [BUILD] [SECONDS]     (root)
set -eu
. "$(dirname "$0")/../scripts/lab.sh"
BUILD=${1:-build}
SECS=${2:-5}
FP=$BUILD/fastpath
FLOOD=$BUILD/bench/udp_flood
ECHO=$BUILD/examples/xsk_echo
NS=fpxb$$
DEV=fpxb$$
PEER=fpxq$$
HOST=10.197.0.1
CLIENT=10.197.0.2
PORT=9
TMP=$(mktemp -d /tmp/fpxsk.XXXXXX)

[ "$(id -u)" -eq 0 ] || { echo "xsk_bench: run as root" >&2; exit 1; }
for f in "$FP" "$FLOOD" "$ECHO" "$BUILD/bench/xsk_bench"; do
	[ -x "$f" ] || { echo "xsk_bench: $f is missing; run make first" >&2; exit 1; }
done

RX_PID=
cleanup() {
	[ -n "$RX_PID" ] && kill "$RX_PID" 2>/dev/null || true
	"$FP" down "$DEV" >/dev/null 2>&1 || true
	ip link del "$DEV" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up "$NS" "$DEV" "$PEER" "$HOST/24" "$CLIENT/24"
MAC=$(cat "/sys/class/net/$DEV/address")
"$FP" up "$DEV" --mode native --stages xsk >/dev/null
TICK=$(getconf CLK_TCK)
RX_CPU=0
[ "$(nproc)" -gt 1 ] && RX_CPU=1

# cpu_ticks PID: utime + stime of PID.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# run NAME MODE: one flood received by xsk_echo in MODE; prints a row.
run() {
	: >"$TMP/rx.out"
	taskset -c "$RX_CPU" "$ECHO" "$DEV" "$PORT" --count --mode "$2" >"$TMP/rx.out" 2>&1 &
	RX_PID=$!
	for i in $(seq 50); do grep -q mode "$TMP/rx.out" && break; sleep 0.1; done
	grep -q "$2 mode" "$TMP/rx.out" || { echo "xsk_bench: $(cat "$TMP/rx.out")" >&2; exit 1; }
	t0=$(cpu_ticks "$RX_PID")
	sent=$(ip netns exec "$NS" taskset -c 0 "$FLOOD" --dev "$PEER" --dst-mac "$MAC" \
		--src "$CLIENT" --dst "$HOST" --port "$PORT" --seconds "$SECS" |
		sed -n 's/.*: \([0-9]*\) pps/\1/p')
	sleep 0.2
	t1=$(cpu_ticks "$RX_PID")
	kill -TERM "$RX_PID"
	wait "$RX_PID" || true
	RX_PID=
	got=$(sed -n 's/.*received \([0-9]*\) datagrams.*/\1/p' "$TMP/rx.out")
	awk -v n="$1" -v s="$sent" -v g="$got" -v secs="$SECS" -v t=$((t1 - t0)) -v hz="$TICK" 'BEGIN {
		printf "%-10s %12d %12d %9.1f%% %12.0f %8.2f\n", n, s, g / secs,
		       s ? 100 * g / (s * secs) : 0, g ? t / hz * 1e9 / g : 0, t / hz / secs
	}'
}

echo "== UDP flood, 64-byte frames, one flow, ${SECS}s each ($(nproc) CPUs, kernel $(uname -r))"
printf '%-10s %12s %12s %10s %12s %8s\n' receiver sent_pps recv_pps received cpu_ns/pkt cores
"$FP" xsk ports add "$DEV" "$PORT" >/dev/null
run af_xdp copy
"$FP" xsk ports remove "$DEV" "$PORT" >/dev/null
run recvmmsg socket
echo
echo "== XSK stage under BPF_PROG_TEST_RUN"
"$BUILD/bench/xsk_bench"
