#!/bin/sh
# fastpath demo: a namespace lab joined by veth; fastpathd applies a
# built-in configuration (the XDP pipeline on the lab's interface, with a
# firewall rule, flow records, a DHCP server and a function: a Python
# handler reached through its trigger port); real UDP and ICMP
# traffic; fastpath status, stats, firewall and flows while it flows; a
# DHCP client that leases from the daemon and renews through the XDP
# fast path; the
# daemon stops and the data plane keeps counting; then the CLI loads and
# attaches a user program of its own. Everything it makes is removed on
# exit, however it exits.
#   sh examples/demo.sh [BUILD]        (make demo)
set -eu
. "$(dirname "$0")/../scripts/lab.sh"
BUILD=${1:-build}
FP="$BUILD/fastpath"
FPD="$BUILD/fastpathd"
NS="fpdemo$$"
DEV="fpd$$"
PEER="fpp$$"
NAME="demo_count"
PORT=8080
FN_PORT=8081
HANDLER=$(cd "$(dirname "$0")" && pwd)/functions/api.py
HOST=10.250.0.1
CLIENT=10.250.0.2
TMP=$(mktemp -d /tmp/fpdemo.XXXXXX)
DPID=
CPID=

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }
for b in "$FP" "$FPD"; do
	[ -x "$b" ] || { echo "demo: $b is missing; run make first" >&2; exit 1; }
done

cleanup() {
	[ -n "$CPID" ] && kill -TERM "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	"$FP" down "$DEV" >/dev/null 2>&1 || true
	"$FP" unload "$NAME" >/dev/null 2>&1 || true
	"$FP" ports unregister "$PORT" >/dev/null 2>&1 || true
	ip link del "$DEV" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

# traffic N: N datagrams to the registered port, 5 to port 9, 3 pings.
traffic() {
	echo
	echo "== traffic from $NS: $1 UDP datagrams to $HOST:$PORT, 5 to port 9, 3 pings"
	ip netns exec "$NS" sh -c "
		for i in \$(seq $1); do echo hello | socat -u -t 0 - UDP4-SENDTO:$HOST:$PORT; done
		for i in \$(seq 5); do echo other | socat -u -t 0 - UDP4-SENDTO:$HOST:9; done
		ping -q -c 3 -i 0.2 -W 1 $HOST >/dev/null || true"
}

echo "== lab: $DEV ($HOST, this namespace) <-> $PEER ($CLIENT, namespace $NS)"
lab_up "$NS" "$DEV" "$PEER" "$HOST/24" "$CLIENT/24"

cat >"$TMP/fastpath.yaml" <<EOF
# The demo's built-in configuration: the pipeline on the lab interface,
# a firewall that drops UDP to port 9, and flow records.
orchestrator:
  ebpf:
    enabled: true
    interface: $DEV
    mode: auto
  prometheus_port: 0
firewall:
  policy: allow
  rules:
    - {action: drop, protocol: udp, port: 9}
flows: {enabled: true, max_flows: 4096, idle_timeout: 60s}
dhcp:
  interface: $DEV
  server_id: $HOST
  lease_file: $TMP/dhcp4.leases
  pools:
    - {subnet: 10.250.0.0/24, range: 10.250.0.100-10.250.0.150, router: $HOST, lease_time: 10m}
# A function: fastpathd starts api.py with its socket as fd 3 and steers
# TCP to $HOST:$FN_PORT to it with sk_lookup (docs/functions.md).
functions:
  - {id: hello-api, trigger_port: $FN_PORT, handler_path: $HANDLER, addresses: [$HOST/32]}
EOF
echo
echo "== configuration ($TMP/fastpath.yaml)"
cat "$TMP/fastpath.yaml"

step "$FPD" --check -c "$TMP/fastpath.yaml"
echo
echo "\$ $FPD -c $TMP/fastpath.yaml &"
"$FPD" -c "$TMP/fastpath.yaml" 2>"$TMP/fastpathd.log" &
DPID=$!
for i in $(seq 50); do
	"$FP" -j status 2>/dev/null | grep -q "\"pid\":$DPID" && break
	sleep 0.1
done
for i in $(seq 50); do
	"$FP" -j functions list 2>/dev/null | grep -q '"state":"running"' && break
	sleep 0.1
done
sed 's/^/  /' "$TMP/fastpathd.log"

echo
echo "== a function: an HTTP request from $NS to $HOST:$FN_PORT reaches api.py"
step "$FP" functions list
echo
printf '%s\n' "\$ printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ip netns exec $NS socat -t 2 - TCP:$HOST:$FN_PORT"
printf 'GET / HTTP/1.0\r\n\r\n' | ip netns exec "$NS" timeout 5 socat -t 2 - "TCP:$HOST:$FN_PORT" | sed 's/^/  /'

step "$FP" ports register "$PORT" --pid $$
traffic 20
step "$FP" status "$DEV"
step "$FP" stats "$DEV"
step "$FP" firewall list "$DEV"
step "$FP" flows "$DEV" --sort packets --limit 8
step "$FP" ports list

echo
echo "== DHCP: udhcpc in $NS leases an address (slow path, in fastpathd), then renews it (fast path, XDP_TX)"
# XDP_TX on a native-mode veth reaches the peer only if it runs XDP too.
ip -n "$NS" link set dev "$PEER" xdp obj "$BUILD/tests/progs/xdp_pass.bpf.o" sec xdp
printf '#!/bin/sh\n[ "$1" = bound ] && ip addr add "$ip/$mask" dev "$interface"\necho "  udhcpc: $1 ${ip:-}"\n' >"$TMP/udhcpc.sh"
chmod +x "$TMP/udhcpc.sh"
ip netns exec "$NS" udhcpc -f -i "$PEER" -s "$TMP/udhcpc.sh" -t 5 -T 1 -A 1 -x hostname:demo-client 2>/dev/null &
CPID=$!
for i in $(seq 50); do
	"$FP" dhcp leases 2>/dev/null | grep -q demo-client && break
	sleep 0.1
done
step "$FP" dhcp leases
kill -USR1 "$CPID"
sleep 1
step "$FP" dhcp stats "$DEV"
kill -TERM "$CPID"
wait "$CPID" 2>/dev/null || true
CPID=

echo
echo "== stop the daemon: the data plane stays and keeps counting; its function stops"
kill -TERM "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=
sed 's/^/  /' "$TMP/fastpathd.log" | tail -n 2
traffic 10
step "$FP" ports list

echo
echo "== the CLI on its own: the pipeline makes way for a user program"
step "$FP" down "$DEV"
step "$FP" load "$BUILD/examples/xdp_port_count.bpf.o" --name "$NAME"
step "$FP" attach "$NAME" "$DEV" --mode auto
traffic 5
step "$FP" programs
step "$FP" detach "$NAME" "$DEV"
if ip link show dev "$DEV" | grep -q xdp; then
	echo "demo: $DEV still has an XDP program" >&2
	exit 1
fi
echo
echo "== $DEV has no XDP program left; the demo removes its lab and pins"
