#!/bin/sh
# fastpath demo: a namespace lab joined by veth, the example XDP program
# loaded and attached with the CLI, real UDP traffic, then status and
# counters. Everything it makes is removed on exit, however it exits.
#   sh examples/demo.sh [BUILD]        (make demo)
set -eu
BUILD=${1:-build}
FP="$BUILD/fastpath"
NS="fpdemo$$"
DEV="fpd$$"
PEER="fpp$$"
NAME="demo_count"
PORT=8080
HOST=10.250.0.1
CLIENT=10.250.0.2

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }

cleanup() {
	"$FP" unload "$NAME" >/dev/null 2>&1 || true
	"$FP" ports unregister "$PORT" >/dev/null 2>&1 || true
	ip link del "$DEV" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "== lab: $DEV ($HOST, this namespace) <-> $PEER ($CLIENT, namespace $NS)"
ip netns add "$NS"
ip link add "$DEV" type veth peer name "$PEER"
ip link set "$PEER" netns "$NS"
ip addr add "$HOST/24" dev "$DEV"
ip link set "$DEV" up
ip -n "$NS" addr add "$CLIENT/24" dev "$PEER"
ip -n "$NS" link set "$PEER" up
ip -n "$NS" link set lo up

step "$FP" load "$BUILD/examples/xdp_port_count.bpf.o" --name "$NAME"
step "$FP" attach "$NAME" "$DEV" --mode auto
step "$FP" ports register "$PORT" --pid $$

echo
echo "== traffic: 20 UDP datagrams to $HOST:$PORT, 5 to port 9, 3 pings"
ip netns exec "$NS" sh -c "
	for i in \$(seq 20); do echo hello | socat - UDP4-SENDTO:$HOST:$PORT; done
	for i in \$(seq 5); do echo other | socat - UDP4-SENDTO:$HOST:9; done
	ping -q -c 3 -i 0.2 -W 1 $HOST >/dev/null"

step "$FP" status "$DEV"
step "$FP" programs
step "$FP" ports list
step "$FP" detach "$NAME" "$DEV"
echo
if ip link show dev "$DEV" | grep -q xdp; then
	echo "demo: $DEV still has an XDP program" >&2
	exit 1
fi
echo "== $DEV has no XDP program left; the demo cleans up its namespace and pins"
