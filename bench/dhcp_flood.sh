#!/bin/sh
# Legitimate DHCP clients during a DISCOVER flood from random MACs.
#
# A veth lab: fastpathd serves DEV (pool of 100 addresses, offer_hold 5s,
# the default rate limits); in the namespace, a flooder broadcasts
# DISCOVERs, each from a new random MAC, at RATE a second on the peer
# (unrelayed, as a rogue host on the segment would: yersinia, dhcpstarv),
# and never REQUESTs. Once the flood has run 5 s (RATE x offer_hold
# offers: the pool is spoken for many times over), CLIENTS busybox udhcpc
# clients, each on its own macvlan over the peer, ask for leases. Printed:
# how many got one within WAIT seconds and how long they took, against
# the same clients with no flood in the same run.
#   sh bench/dhcp_flood.sh [BUILD] [RATE] [CLIENTS] [WAIT]     (root)
set -eu
. "$(dirname "$0")/../scripts/lab.sh"
BUILD=${1:-build}
RATE=${2:-3000}
CLIENTS=${3:-20}
WAIT=${4:-30}
FPD=$BUILD/fastpathd
FP=$BUILD/fastpath
NS=fpdhf$$
DEV=fdf$$
PEER=fdg$$
SERVER=10.209.0.1
TMP=$(mktemp -d /tmp/fpdhcpf.XXXXXX)
PY=/usr/bin/python3
PID=
FLOOD=

[ "$(id -u)" -eq 0 ] || { echo "dhcp_flood: run as root" >&2; exit 1; }
command -v udhcpc >/dev/null || { echo "dhcp_flood: udhcpc (busybox) not installed" >&2; exit 1; }

stop() {
	for p in $FLOOD $PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	FLOOD= PID=
}

cleanup() {
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	stop
	"$FP" down "$DEV" >/dev/null 2>&1 || true
	ip link del "$DEV" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up "$NS" "$DEV" "$PEER" "$SERVER/24" 10.209.0.2/24
ip -n "$NS" addr flush dev "$PEER"
# XDP_TX on a native-mode veth reaches the peer only if it runs XDP too.
ip -n "$NS" link set dev "$PEER" xdp obj "$BUILD/tests/progs/xdp_pass.bpf.o" sec xdp
for i in $(seq 1 "$CLIENTS"); do
	ip -n "$NS" link add "cl$i" link "$PEER" type macvlan mode bridge
	ip -n "$NS" link set "cl$i" up
done

cat >"$TMP/fastpath.yaml" <<EOF
orchestrator: {ebpf: {interfaces: [$DEV], mode: native}, prometheus_port: 0}
flows: {enabled: false}
dhcp:
  interface: $DEV
  server_id: $SERVER
  lease_file: $TMP/fp.leases
  offer_hold: 5s
  pools:
    - {subnet: 10.209.0.0/24, range: 10.209.0.100-10.209.0.199, router: $SERVER, lease_time: 1h}
EOF

# The client's script: the time of each event, per interface.
cat >"$TMP/event.sh" <<EOF
#!/bin/sh
echo "\$(date +%s%N) \$1 \${ip:-}" >>"$TMP/events.\$interface"
EOF
chmod +x "$TMP/event.sh"

# The flooder: DISCOVERs broadcast from random MACs at RATE a second,
# paced in 1 ms slots; prints what it sent when killed.
cat >"$TMP/flood.py" <<'EOF'
import os, signal, socket, struct, sys, time
dev, rate = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
def frame():
    mac = bytes([2]) + os.urandom(5)
    xid = struct.unpack("!I", os.urandom(4))[0]
    dhcp = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI", 1, 1, 6, 0, xid, 0, 0x8000,
                       bytes(4), bytes(4), bytes(4), bytes(4), mac, bytes(64), bytes(128),
                       0x63825363) + bytes([53, 1, 1, 55, 3, 1, 3, 6, 255])
    udp = struct.pack("!HHHH", 68, 67, 8 + len(dhcp), 0) + dhcp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes(4), b"\xff" * 4)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\xff" * 6 + mac + b"\x08\x00" + ip + udp
sent, t0 = 0, time.monotonic()
def done(*_):
    el = time.monotonic() - t0
    print("%d %.1f" % (sent, sent / el if el else 0), flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
while True:
    due = int((time.monotonic() - t0) * rate)
    while sent < due:
        s.send(frame())
        sent += 1
    time.sleep(0.001)
EOF

counter() {
	"$FP" -j dhcp stats "$DEV" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"
}

# clients NAME: start every client at once, wait until all are bound or
# WAIT seconds pass; prints "NAME: bound/CLIENTS, time to lease median
# and max in ms".
clients() {
	rm -f "$TMP"/events.*
	start=$(date +%s%N)
	pids=
	for i in $(seq 1 "$CLIENTS"); do
		ip netns exec "$NS" udhcpc -f -i "cl$i" -s "$TMP/event.sh" -t 100 -T 1 -A 1 \
			>/dev/null 2>&1 &
		pids="$pids $!"
	done
	end=$((start + WAIT * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		[ "$(cat "$TMP"/events.* 2>/dev/null | grep -c ' bound ')" -ge "$CLIENTS" ] && break
		sleep 0.1
	done
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	cat "$TMP"/events.* 2>/dev/null | awk -v s="$start" -v n="$CLIENTS" -v name="$1" '
		$2 == "bound" && !seen[$3]++ { t[++b] = ($1 - s) / 1e6 }
		END {
			# sort the times
			for (i = 1; i <= b; i++) for (j = i + 1; j <= b; j++)
				if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
			printf "%-22s %3d/%d bound, time to lease: median %s ms, max %s ms\n", name, b, n,
			       b ? sprintf("%.0f", t[int((b + 1) / 2)]) : "-", b ? sprintf("%.0f", t[b]) : "-"
		}'
}

start_fastpath() {
	rm -f "$TMP"/fp.leases*
	"$FPD" -c "$TMP/fastpath.yaml" --log-level warn >>"$TMP/fastpathd.log" 2>&1 &
	PID=$!
	for _ in $(seq 1 50); do
		"$FP" dhcp stats "$DEV" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "dhcp_flood: fastpathd did not start: $(cat "$TMP/fastpathd.log")" >&2
	exit 1
}

echo "== $CLIENTS udhcpc clients, pool of 100, offer_hold 5s, $(nproc) CPUs"
# Both runs start the clients 5 s after the daemon.
start_fastpath
sleep 5
clients "no flood"
stop

start_fastpath
ip netns exec "$NS" "$PY" "$TMP/flood.py" "$PEER" "$RATE" >"$TMP/flood.out" 2>&1 &
FLOOD=$!
sleep 5
o0=$(counter slow_offer) d0=$(counter rx_discover)
clients "flood of $RATE/s"
o1=$(counter slow_offer) d1=$(counter rx_discover)
kill "$FLOOD"
wait "$FLOOD" 2>/dev/null || true
FLOOD=
bound=$("$FP" -j dhcp leases --file "$TMP/fp.leases" | "$PY" -c 'import json,sys; print(sum(1 for l in json.load(sys.stdin) if l["state"] == "bound"))')
stop
set -- $(cat "$TMP/flood.out")
echo "flooder: ${1:-?} DISCOVERs sent, ${2:-?}/s; during the clients' run the server saw" \
	"$((d1 - d0)) DISCOVERs and sent $((o1 - o0)) OFFERs"
echo "leases bound at the end: $bound (the flood REQUESTs nothing, so only the clients')"
