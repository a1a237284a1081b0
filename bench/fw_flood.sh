#!/bin/sh
# A UDP flood on the project's own veth lab, dropped by the same rule set
# in three engines, measured in the same run:
#   fastpath   the pipeline's firewall stage (XDP, native mode on veth)
#   nft-chain  nftables, one rule per line in a netdev ingress chain
#   nft-set    nftables, the address rules as one interval set
# The set has RULES rules: RULES-1 that the flood does not match (source
# prefixes outside the lab), then "drop udp port 9", which it does. Each
# engine's own drop counter over the flood's duration gives packets/s.
# With QUEUES > 1 the veth pair has QUEUES queues each way and QUEUES
# senders, one per CPU (pinned, each its own flow): a veth runs a frame's
# XDP program, or queues it to the stack, on the CPU that sent it, so the
# receive side is spread over the cores as well; packets/s are then also
# given per core.
#   sh bench/fw_flood.sh [BUILD] [RULES] [SECONDS] [QUEUES]     (root)
# On veth, native XDP still pays for the frame copy a real NIC does not.
set -eu
. "$(dirname "$0")/../scripts/lab.sh"
BUILD=${1:-build}
RULES=${2:-10000}
SECS=${3:-3}
QUEUES=${4:-1}
FP=$BUILD/fastpath
FLOOD=$BUILD/bench/udp_flood
NS=fpbench$$
DEV=fpb$$
PEER=fpq$$
HOST=10.198.0.1
CLIENT=10.198.0.2
TMP=$(mktemp -d /tmp/fpbench.XXXXXX)

[ "$(id -u)" -eq 0 ] || { echo "fw_flood: run as root" >&2; exit 1; }
command -v nft >/dev/null || { echo "fw_flood: nft not installed (apt-get install nftables)" >&2; exit 1; }

cleanup() {
	"$FP" down "$DEV" >/dev/null 2>&1 || true
	nft delete table netdev fpbench 2>/dev/null || true
	ip link del "$DEV" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up "$NS" "$DEV" "$PEER" "$HOST/24" "$CLIENT/24" "$QUEUES"
MAC=$(cat "/sys/class/net/$DEV/address")

# The non-matching rules: distinct /24 source prefixes in 100.64.0.0/10
# (room for 16,384), as YAML and as nft; the last rule drops the flood.
[ "$RULES" -ge 1 ] && [ "$RULES" -le 16385 ] ||
	{ echo "fw_flood: RULES must be 1..16385" >&2; exit 2; }
awk -v n="$RULES" 'BEGIN {
	print "policy: allow"; print "rules:"
	for (i = 0; i < n - 1; i++)
		printf "  - {action: drop, source_ip: 100.%d.%d.0/24}\n", 64 + int(i / 256), i % 256
	print "  - {action: drop, protocol: udp, port: 9}"
}' >"$TMP/rules.yaml"
awk -v n="$RULES" -v dev="$DEV" 'BEGIN {
	printf "table netdev fpbench {\n chain in {\n  type filter hook ingress device %s priority 0; policy accept;\n", dev
	for (i = 0; i < n - 1; i++)
		printf "  ip saddr 100.%d.%d.0/24 drop\n", 64 + int(i / 256), i % 256
	print "  udp dport 9 counter drop"; print " }"; print "}"
}' >"$TMP/chain.nft"
awk -v n="$RULES" -v dev="$DEV" 'BEGIN {
	printf "table netdev fpbench {\n set blocked {\n  type ipv4_addr; flags interval;\n  elements = {"
	for (i = 0; i < n - 1; i++)
		printf "%s100.%d.%d.0/24", (i ? ", " : " "), 64 + int(i / 256), i % 256
	printf " }\n }\n chain in {\n  type filter hook ingress device %s priority 0; policy accept;\n", dev
	print "  ip saddr @blocked drop"; print "  udp dport 9 counter drop"; print " }"; print "}"
}' >"$TMP/set.nft"

# flood: QUEUES senders at once, sender i on CPU i (mod the CPUs) with
# source port 20000 + i; prints the packets/s they sent together.
flood() {
	i=0
	while [ "$i" -lt "$QUEUES" ]; do
		ip netns exec "$NS" taskset -c $((i % $(nproc))) "$FLOOD" --dev "$PEER" \
			--dst-mac "$MAC" --src "$CLIENT" --dst "$HOST" --port 9 --sport $((20000 + i)) \
			--seconds "$SECS" >"$TMP/flood.$i" &
		i=$((i + 1))
	done
	wait
	cat "$TMP"/flood.* | sed -n 's/.*: \([0-9]*\) pps/\1/p' | awk '{ s += $1 } END { print s }'
	rm -f "$TMP"/flood.*
}

nft_count() {
	nft list chain netdev fpbench in | sed -n 's/.*udp dport 9 counter packets \([0-9]*\).*/\1/p'
}

fp_drops() {
	"$FP" -j stats "$DEV" | /usr/bin/python3 -c \
		'import json,sys; print(json.load(sys.stdin)[0]["counters"]["firewall"]["drop"]["packets"])'
}

CORES=$(( QUEUES < $(nproc) ? QUEUES : $(nproc) ))
echo "== UDP flood, 64-byte frames, $QUEUES sender(s) and queue(s) on $CORES core(s), ${SECS}s per engine, $RULES rules ($(nproc) CPUs, kernel $(uname -r))"
printf '%-12s %14s %14s %14s %10s\n' engine sent_pps dropped_pps per_core vs_nft_set

"$FP" up "$DEV" --mode native --stages firewall >/dev/null
"$FP" firewall replace "$TMP/rules.yaml" >/dev/null
sent=$(flood)
fp_pps=$(( $(fp_drops) / SECS ))
fp_sent=$sent
"$FP" down "$DEV" >/dev/null

nft -f "$TMP/chain.nft"
sent=$(flood)
chain_pps=$(( $(nft_count) / SECS ))
chain_sent=$sent
nft delete table netdev fpbench

nft -f "$TMP/set.nft"
sent=$(flood)
set_pps=$(( $(nft_count) / SECS ))
set_sent=$sent
nft delete table netdev fpbench

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", b ? a / b : 0 }'; }
printf '%-12s %14s %14s %14s %10s\n' fastpath "$fp_sent" "$fp_pps" $((fp_pps / CORES)) "$(ratio "$fp_pps" "$set_pps")"
printf '%-12s %14s %14s %14s %10s\n' nft-chain "$chain_sent" "$chain_pps" $((chain_pps / CORES)) "$(ratio "$chain_pps" "$set_pps")"
printf '%-12s %14s %14s %14s %10s\n' nft-set "$set_sent" "$set_pps" $((set_pps / CORES)) "1.00x"
# A run where an engine dropped nothing measured nothing: no verdict.
goal() {
	if [ "$fp_pps" -eq 0 ] || [ "$set_pps" -eq 0 ] || [ "$chain_pps" -eq 0 ]; then
		echo "goal: $1: not measured (an engine dropped no packet)"
	else
		echo "goal: $1: $([ "$2" -ge "$3" ] && echo met || echo missed)"
	fi
}
goal "fastpath >= nft-set" "$fp_pps" "$set_pps"
goal "fastpath >= 100x nft-chain" "$fp_pps" $((chain_pps * 100))
