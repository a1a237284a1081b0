#!/bin/sh
# Scrape cost of fastpathd's /metrics: one veth with the pipeline, the
# flows and firewall stages and RULES firewall rules (default 10,000), the
# endpoint on 127.0.0.1; prints the median and the worst of COUNT scrapes
# (curl's time_total: connect, render, transfer) and the body's size.
#   sh bench/metrics_scrape.sh BUILD [RULES] [COUNT]
# Needs root. Run it under the integration lock: it uses the bpffs pins.
set -eu
BUILD=${1:-build}
RULES=${2:-10000}
COUNT=${3:-50}
FP=$BUILD/fastpath
FPD=$BUILD/fastpathd
ID=fpb$(printf '%04x' $$)
DEV=${ID}a
TMP=$(mktemp -d)
DPID=

cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	"$FP" down "$DEV" >/dev/null 2>&1 || true
	ip link del "$DEV" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

ip link add "$DEV" type veth peer name "${ID}b"
ip link set "$DEV" up
ip link set "${ID}b" up
for i in 1 2 3 4 5 6 7 8 9 10; do
	HTTP=$((30000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))
	ss -Hltn "sport = :$HTTP" | grep -q . || break
done
{
	printf 'orchestrator:\n  ebpf:\n    interface: %s\n  prometheus_port: %s\n' "$DEV" "$HTTP"
	printf 'firewall:\n  policy: allow\n  rules:\n'
	i=0
	while [ $i -lt "$RULES" ]; do
		printf '    - {action: drop, source_ip: 10.%d.%d.0/24}\n' $((i / 256 % 256)) $((i % 256))
		i=$((i + 1))
	done
} >"$TMP/c.yaml"
"$FPD" -c "$TMP/c.yaml" 2>"$TMP/log" &
DPID=$!
for i in $(seq 300); do
	curl -fsS -o /dev/null "http://127.0.0.1:$HTTP/metrics" 2>/dev/null && break
	sleep 0.1
done
rules=$(curl -fsS "http://127.0.0.1:$HTTP/metrics" | awk -v d="$DEV" '$1 == "fastpath_firewall_rules{interface=\"" d "\"}" { print $2 }')
[ "$rules" = "$RULES" ] || { echo "metrics_scrape: $rules rules installed, want $RULES" >&2; cat "$TMP/log" >&2; exit 1; }
size=$(curl -fsS "http://127.0.0.1:$HTTP/metrics" | wc -c)
for i in $(seq "$COUNT"); do
	curl -fsS -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$HTTP/metrics"
done | sort -n >"$TMP/t"
median=$(awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }' "$TMP/t")
worst=$(awk 'END { printf "%.1f", $1 * 1000 }' "$TMP/t")
echo "metrics scrape: $RULES firewall rules on 1 interface, $size bytes: median $median ms, worst $worst ms of $COUNT (goal <= 20 ms)"
