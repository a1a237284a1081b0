#!/bin/sh
# Scrape cost of fastpathd's /metrics, the issue's shape (issue 13): IFACES
# interfaces (default 4; veth pairs whose peers are in a namespace this
# script creates) each with the pipeline, the flows and firewall stages
# and RULES firewall rules (default 10,000), the endpoint on 127.0.0.1;
# prints the median and the worst of COUNT scrapes (curl's time_total:
# connect, collect, render, transfer; the goal line is on it), the median
# time to the first byte (connect, collect, render), the daemon's CPU
# time per scrape (utime + stime over the COUNT scrapes: what load from
# others on the machine does not inflate) and the body's size.
#   sh bench/metrics_scrape.sh BUILD [RULES] [COUNT] [IFACES]
# PERF=FILE: record the daemon with `perf record -g` into FILE meanwhile.
# Needs root. Run it under the integration lock: it uses the bpffs pins.
set -eu
BUILD=${1:-build}
RULES=${2:-10000}
COUNT=${3:-50}
IFACES=${4:-4}
GOAL_MS=20
FP=$BUILD/fastpath
FPD=$BUILD/fastpathd
ID=fpb$(printf '%04x' $$)
NS=${ID}n
TMP=$(mktemp -d)
DPID=

cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	for i in $(seq "$IFACES"); do
		"$FP" down "${ID}a$i" >/dev/null 2>&1 || true
		ip link del "${ID}a$i" 2>/dev/null || true
	done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

ip netns add "$NS"
devs=
for i in $(seq "$IFACES"); do
	ip link add "${ID}a$i" type veth peer name "${ID}b$i" netns "$NS"
	ip link set "${ID}a$i" up
	ip -n "$NS" link set "${ID}b$i" up
	devs="$devs${devs:+, }${ID}a$i"
done
for i in 1 2 3 4 5 6 7 8 9 10; do
	HTTP=$((30000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))
	ss -Hltn "sport = :$HTTP" | grep -q . || break
done
{
	printf 'orchestrator:\n  ebpf:\n    interfaces: [%s]\n  prometheus_port: %s\n' "$devs" "$HTTP"
	printf 'firewall:\n  policy: allow\n  rules:\n'
	i=0
	while [ $i -lt "$RULES" ]; do
		printf '    - {action: drop, source_ip: 10.%d.%d.0/24}\n' $((i / 256 % 256)) $((i % 256))
		i=$((i + 1))
	done
} >"$TMP/c.yaml"
"$FPD" -c "$TMP/c.yaml" 2>"$TMP/log" &
DPID=$!
for i in $(seq 600); do
	curl -fsS "http://127.0.0.1:$HTTP/metrics" 2>/dev/null >"$TMP/m" &&
		[ "$(grep -c '^fastpath_firewall_rules{' "$TMP/m")" -ge "$IFACES" ] && break
	sleep 0.1
done
for i in $(seq "$IFACES"); do
	rules=$(awk -v d="${ID}a$i" '$1 == "fastpath_firewall_rules{interface=\"" d "\"}" { print $2 }' "$TMP/m")
	[ "$rules" = "$RULES" ] || { echo "metrics_scrape: ${ID}a$i: ${rules:-no} rules installed, want $RULES" >&2; cat "$TMP/log" >&2; exit 1; }
done
size=$(wc -c <"$TMP/m")
PPID_PERF=
if [ -n "${PERF:-}" ]; then
	perf record -q -g -p "$DPID" -o "$PERF" >/dev/null 2>&1 &
	PPID_PERF=$!
	sleep 1
fi
# cpu_ticks: fastpathd's utime + stime, in clock ticks.
cpu_ticks() {
	sed 's/.*) //' "/proc/$DPID/stat" | awk '{ print $12 + $13 }'
}
c0=$(cpu_ticks)
for i in $(seq "$COUNT"); do
	curl -fsS -o /dev/null -w '%{time_total} %{time_starttransfer}\n' "http://127.0.0.1:$HTTP/metrics"
done >"$TMP/tt"
c1=$(cpu_ticks)
sort -n "$TMP/tt" >"$TMP/t"
awk '{ print $2 }' "$TMP/tt" | sort -n >"$TMP/first"
first=$(awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }' "$TMP/first")
cpu=$(awk -v d=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$COUNT" 'BEGIN { printf "%.1f", d * 1000 / hz / n }')
if [ -n "$PPID_PERF" ]; then
	kill -INT "$PPID_PERF"
	wait "$PPID_PERF" || true
fi
median=$(awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }' "$TMP/t")
worst=$(awk 'END { printf "%.1f", $1 * 1000 }' "$TMP/t")
ifs="$IFACES interfaces"
[ "$IFACES" = 1 ] && ifs="1 interface"
echo "metrics scrape: $RULES firewall rules on $ifs, $size bytes: median $median ms, worst $worst ms of $COUNT; first byte (collected and rendered) median $first ms; fastpathd CPU $cpu ms a scrape"
met=$(awk -v m="$median" -v g="$GOAL_MS" 'BEGIN { print (m <= g) ? "met" : "MISSED" }')
echo "metrics scrape, $RULES rules x $ifs: median $median ms, goal <= $GOAL_MS ms: $met"
