#!/bin/sh
# Functions: what a function costs (docs/functions.md).
#   sh bench/functions_bench.sh [BUILD] [STARTS] [REQUESTS]
#
# 1. Cold start: fork of the handler to its first answered request, p50
#    and p99 over STARTS (50) starts, for the C handler (hello) and the
#    Python one (api.py). The client connects at once; the connection
#    waits in the backlog until the handler accepts.
# 2. The cost of steering: REQUESTS (2000) sequential requests (a new TCP
#    connection each) to the same handler bound directly to its port
#    (systemd-socket-activate) and steered to by sk_lookup (fastpathd),
#    alternating three rounds each; medians of p50, p99 and connections/s,
#    and the ratio (goal: steered <= 5% slower).
# 3. Restart under load: a client connects in a loop for 10 s while the
#    handler is killed (kill -9) every 2 s; connections refused (goal: 0).
# Everything runs in a namespace the script makes and removes; fastpathd
# runs in this one (it needs bpffs) and steers in that one.
set -eu
BUILD=${1:-build}
STARTS=${2:-50}
REQS=${3:-2000}
TOP=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
FP=$BUILD/fastpath
FPD=$BUILD/fastpathd
HELLO=$BUILD/examples/functions/hello
API=$TOP/examples/functions/api.py
CLIENT=$TOP/tests/integration/fn_client.py
PY=/usr/bin/python3
NS=fpbfn$$
ADDR=10.77.0.1
DIRECT=18080
STEERED=18081
TMP=$(mktemp -d /tmp/fpbfn.XXXXXX)
DPID=
SPID=

[ "$(id -u)" -eq 0 ] || { echo "functions_bench: run as root" >&2; exit 1; }
for b in "$FP" "$FPD" "$HELLO"; do
	[ -x "$b" ] || { echo "functions_bench: $b is missing; run make first" >&2; exit 1; }
done
command -v systemd-socket-activate >/dev/null ||
	{ echo "functions_bench: needs systemd-socket-activate (package systemd)" >&2; exit 1; }

cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add $ADDR/32 dev lo
in_ns() { ip netns exec "$NS" "$PY" "$CLIENT" "$@"; }

echo "== functions ($(nproc) CPUs, kernel $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "-- cold start: fork to first answered request, $STARTS starts"
printf '%-22s %10s %10s\n' handler p50_ms p99_ms
printf '%-22s %10s %10s\n' "hello (C)" $(in_ns coldstart "$HELLO" - "$STARTS")
printf '%-22s %10s %10s\n' "api.py (Python)" $(in_ns coldstart "$API" - "$STARTS")

echo
echo "-- steering cost: $REQS sequential connections, same handler, 3 rounds each"
ip netns exec "$NS" systemd-socket-activate -l $ADDR:$DIRECT "$HELLO" 2>/dev/null &
SPID=$!
cat >"$TMP/fn.yaml" <<EOF2
orchestrator: {prometheus_port: 0}
functions:
  - {id: bench, trigger_port: $STEERED, handler_path: $HELLO, netns: $NS}
EOF2
"$FPD" -c "$TMP/fn.yaml" 2>"$TMP/fastpathd.log" &
DPID=$!
for i in $(seq 50); do
	"$FP" -j functions list 2>/dev/null | grep -q '"state":"running"' && break
	sleep 0.1
done
in_ns tcp $ADDR $DIRECT >/dev/null && in_ns tcp $ADDR $STEERED >/dev/null
: >"$TMP/direct"
: >"$TMP/steered"
for r in 1 2 3; do
	in_ns latency $ADDR $DIRECT "$REQS" >>"$TMP/direct"
	in_ns latency $ADDR $STEERED "$REQS" >>"$TMP/steered"
done
median() { sort -n | sed -n 2p; }
col() { awk -v c="$2" '{print $c}' "$1" | median; }
printf '%-22s %10s %10s %10s\n' path p50_us p99_us conn/s
for p in direct steered; do
	printf '%-22s %10s %10s %10s\n' "$p" "$(col "$TMP/$p" 1)" "$(col "$TMP/$p" 2)" "$(col "$TMP/$p" 3)"
done
awk -v d50="$(col "$TMP/direct" 1)" -v s50="$(col "$TMP/steered" 1)" \
    -v d99="$(col "$TMP/direct" 2)" -v s99="$(col "$TMP/steered" 2)" \
    -v dc="$(col "$TMP/direct" 3)" -v sc="$(col "$TMP/steered" 3)" 'BEGIN {
	printf "steered/direct: p50 %.3fx, p99 %.3fx, connections/s %.3fx\n", s50 / d50, s99 / d99, sc / dc
	printf "goal steered <= 5%% slower (p50 and connections/s): %s\n",
	       (s50 / d50 <= 1.05 && sc / dc >= 0.95) ? "met" : "NOT met"
}'

echo
echo "-- restart under load: 10 s connect loop, handler killed every 2 s"
in_ns loop $ADDR $STEERED 10 >"$TMP/loop" &
LP=$!
for k in 1 2 3 4; do
	sleep 2
	pid=$("$FP" -j functions list | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["pids"][0])')
	[ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null || true
done
wait $LP
restarts=$("$FP" -j functions list | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["restarts"])')
echo "$(cat "$TMP/loop") restarts=$restarts"
grep -q "refused=0 errors=0" "$TMP/loop" && echo "goal 0 refused: met" || echo "goal 0 refused: NOT met"
