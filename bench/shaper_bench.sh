#!/bin/sh
# Egress shaping on a forwarding hop, against plain tc in the same run:
#   sh bench/shaper_bench.sh [BUILD] [RATE_MBIT] [SECONDS]
# Lab: namespace A -> veth -> this namespace (forwarding, GRO on where the
# driver allows it) -> veth -> namespace B; the shaper sits on the egress
# towards B. Each setting carries a 4-stream iperf3 from A to B while A
# pings B; it prints goodput (and its share of the limit) and ping under
# load p50/p90, for:
#   fastpath tbf      fastpath shaper set DEV --rate R --latency 50ms
#   fastpath htb      the same with two classes (port 5201 70%, rest default)
#   tc tbf            tc qdisc add ... tbf rate R burst 50kb latency 50ms
#   tc htb default    one HTB class at R with its default leaf (pfifo of
#                     txqueuelen packets)
# Needs root and iperf3; turns IPv4 forwarding on for the run and puts back
# what it found.
set -eu
BUILD=${1:-build}
RATE=${2:-100}
SECS=${3:-8}
FP=$BUILD/fastpath
ID=fpsb$$
NA=${ID}a NB=${ID}b DA=${ID}x DB=${ID}y
fwd=$(cat /proc/sys/net/ipv4/ip_forward)

cleanup() {
	ip netns pids "$NA" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns pids "$NB" 2>/dev/null | xargs -r kill 2>/dev/null || true
	"$FP" shaper remove "$DB" >/dev/null 2>&1 || true
	ip link del "$DA" 2>/dev/null || true
	ip link del "$DB" 2>/dev/null || true
	ip netns del "$NA" 2>/dev/null || true
	ip netns del "$NB" 2>/dev/null || true
	echo "$fwd" >/proc/sys/net/ipv4/ip_forward
}
trap cleanup EXIT INT TERM

. "$(dirname "$0")/../scripts/lab.sh"
lab_up "$NA" "$DA" "${ID}p" 10.251.1.1/24 10.251.1.2/24
lab_up "$NB" "$DB" "${ID}q" 10.251.2.1/24 10.251.2.2/24
ip -n "$NA" route add default via 10.251.1.1
ip -n "$NB" route add default via 10.251.2.1
echo 1 >/proc/sys/net/ipv4/ip_forward
# GRO on the hop's receive side makes the large skbs a forwarding hop
# queues (veth needs NAPI for it; not every kernel lets us).
ethtool -K "$DA" gro on >/dev/null 2>&1 || true
ip netns exec "$NB" iperf3 -s -D -p 5201 >/dev/null
ip netns exec "$NB" iperf3 -s -D -p 5202 >/dev/null
sleep 0.5

# run NAME: load, ping under it, one result line.
run() {
	out=$(mktemp)
	ip netns exec "$NA" iperf3 -c 10.251.2.2 -p 5201 -P 4 -t "$SECS" -J >"$out" 2>&1 &
	load=$!
	sleep 1
	pings=$(ip netns exec "$NA" ping -c $(( (SECS - 2) * 10 )) -i 0.1 -W 2 10.251.2.2 |
		sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n)
	wait $load || true
	g=$(/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
print(round(d['end']['sum_received']['bits_per_second']/1e6, 1))" "$out" 2>/dev/null || echo 0)
	rm -f "$out"
	p50=$(echo "$pings" | awk '{v[NR]=$1} END {print NR ? v[int((NR+1)/2)] : "-"}')
	p90=$(echo "$pings" | awk '{v[NR]=$1} END {print NR ? v[int(NR*0.9)] : "-"}')
	share=$(awk -v g="$g" -v r="$RATE" 'BEGIN {printf "%.0f%%", 100 * g / r}')
	printf '%-16s %10s %7s %10s %10s\n' "$1" "$g" "$share" "$p50" "$p90"
}

clear_root() {
	"$FP" shaper remove "$DB" >/dev/null 2>&1 || true
	tc qdisc del dev "$DB" root 2>/dev/null || true
}

echo "== Egress shaping at ${RATE} Mbit/s, latency target 50 ms, forwarding hop ($(nproc) CPUs, kernel $(uname -r))"
printf '%-16s %10s %7s %10s %10s\n' setting "Mbit/s" "limit" "ping p50" "ping p90"
run "no shaping"
"$FP" shaper set "$DB" --rate "${RATE}mbit" --latency 50ms >/dev/null
run "fastpath tbf"
clear_root
"$FP" shaper set "$DB" --rate "${RATE}mbit" --latency 50ms \
	--class "protocol=tcp,port=5201,rate=$((RATE * 7 / 10))mbit" >/dev/null
run "fastpath htb"
clear_root
tc qdisc add dev "$DB" root tbf rate "${RATE}mbit" burst 50kb latency 50ms
run "tc tbf"
clear_root
tc qdisc add dev "$DB" root handle 1: htb default 10
tc class add dev "$DB" parent 1: classid 1:10 htb rate "${RATE}mbit"
run "tc htb default"
clear_root
echo "(goal: 93-100% of the limit and ping p90 <= 50 ms; fastpath's rows against tc's in this run)"
