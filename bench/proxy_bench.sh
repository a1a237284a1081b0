#!/bin/sh
# proxy_bench.sh BUILD: the TCP proxy (sockmap, splice, copy carriers)
# against HAProxy 2.6 (mode tcp, one thread, like fastpath's one loop)
# and a direct connection, on loopback, in one run:
#   bulk   iperf3, 1 and 100 streams, Gbit/s, and CPU seconds per GB
#          (all CPUs of the machine, from /proc/stat: the kernel's share
#          of sockmap is not in the proxy's own process)
#   rr     wrk against a 1 KB HTTP response (an HAProxy http-request
#          return, so the backend is not the bottleneck), 1 and 100
#          connections: requests/s, p50 and p99 latency
# Prints a table and ratios against HAProxy. The proxy runs as
# bench/proxy_run (the engine fastpathd runs, without the daemon).
# BENCH_SECONDS per measurement (default 5).
set -u
BUILD=${1:-build}
SECS=${BENCH_SECONDS:-5}
RUN=$BUILD/bench/proxy_run
for t in haproxy iperf3 wrk; do
	command -v $t >/dev/null || { echo "proxy_bench: $t not installed (make deps)"; exit 1; }
done
[ -x "$RUN" ] || { echo "proxy_bench: $RUN not built"; exit 1; }
TMP=$(mktemp -d /tmp/proxy_bench.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# Below the ephemeral range (32768-60999): a port that a connection of
# an earlier run still holds (FIN_WAIT2, CLOSE_WAIT) cannot be listened
# on, and every row but one came out empty.
B=$((10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 900 * 10))
IPERF=$B; HTTP=$((B + 1))
# ports: direct, haproxy, sockmap, splice, copy; +0 bulk, +10 rr
P_DIRECT=$IPERF; P_HA=$((B + 2)); P_SM=$((B + 3)); P_SP=$((B + 4)); P_CP=$((B + 5))

body=$(head -c 1024 /dev/zero | tr '\0' x)
cat >"$TMP/resp.cfg" <<EOF2
global
  maxconn 9000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend responder
  bind 127.0.0.1:$HTTP
  http-request return status 200 content-type text/plain string "$body"
EOF2
cat >"$TMP/ha.cfg" <<EOF2
global
  maxconn 9000
  nbthread 1
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend bulk
  bind 127.0.0.1:$P_HA
  default_backend iperf
backend iperf
  server s 127.0.0.1:$IPERF
frontend rr
  bind 127.0.0.1:$((P_HA + 10))
  default_backend http
backend http
  server s 127.0.0.1:$HTTP
EOF2
{
	echo "orchestrator: {ebpf: {enabled: false}, prometheus_port: 0}"
	echo "proxy:"
	for m in sockmap:$P_SM splice:$P_SP copy:$P_CP; do
		c=${m%%:*}; p=${m#*:}
		echo "  - {name: ${c}-bulk, listen: 127.0.0.1:$p, backends: [127.0.0.1:$IPERF], accelerate: $c, max_connections: 9000}"
		echo "  - {name: ${c}-rr, listen: 127.0.0.1:$((p + 10)), backends: [127.0.0.1:$HTTP], accelerate: $c, max_connections: 9000}"
	done
} >"$TMP/fp.yaml"

iperf3 -s -p $IPERF >/dev/null 2>&1 & PIDS="$PIDS $!"
haproxy -f "$TMP/resp.cfg" >/dev/null 2>&1 & PIDS="$PIDS $!"
haproxy -f "$TMP/ha.cfg" >/dev/null 2>&1 & PIDS="$PIDS $!"
"$RUN" "$TMP/fp.yaml" "$TMP/state.json" 2>"$TMP/run.log" & PIDS="$PIDS $!"
sleep 1
grep -q sockmap "$TMP/run.log" || echo "proxy_bench: $(cat "$TMP/run.log")"
for p in $IPERF $HTTP $P_HA $((P_HA + 10)) $P_SM $((P_SM + 10)) $P_SP $((P_SP + 10)) $P_CP $((P_CP + 10)); do
	ss -Htln "sport = :$p" | grep -q . ||
		{ echo "proxy_bench: nothing listens on port $p: $(cat "$TMP/run.log")"; exit 1; }
done

busy() {
	awk '/^cpu / {print $2+$3+$4+$7+$8}' /proc/stat
}

# bulk NAME PORT STREAMS: Gbit/s and CPU s/GB.
bulk() {
	c0=$(busy)
	iperf3 -c 127.0.0.1 -p "$2" -t "$SECS" -P "$3" -J >"$TMP/ip.json" 2>/dev/null
	c1=$(busy)
	python3 - "$TMP/ip.json" "$c0" "$c1" "$(getconf CLK_TCK)" <<'EOF2'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    bps = d["end"]["sum_received"]["bits_per_second"]
    gb = d["end"]["sum_received"]["bytes"] / 1e9
    cpu = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4])
    print("%.2f %.2f" % (bps / 1e9, cpu / gb if gb else 0))
except Exception as e:
    print("- -")
EOF2
}

# rr PORT CONNS: requests/s, p50 and p99 in microseconds.
rr() {
	t=1; [ "$2" -gt 1 ] && t=2
	wrk -t$t -c"$2" -d"${SECS}s" --latency "http://127.0.0.1:$1/" >"$TMP/wrk.txt" 2>&1
	python3 - "$TMP/wrk.txt" <<'EOF2'
import re, sys
t = open(sys.argv[1]).read()
def us(s):
    m = re.match(r"([\d.]+)(us|ms|s)", s)
    if not m: return 0
    v = float(m.group(1)); return v * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
p50 = re.search(r"^\s*50%\s+(\S+)", t, re.M); p99 = re.search(r"^\s*99%\s+(\S+)", t, re.M)
err = "errors" if re.search(r"Non-2xx|Socket errors", t) else ""
print("%s %.0f %.0f %s" % (rps.group(1) if rps else "-", us(p50.group(1)) if p50 else 0,
                           us(p99.group(1)) if p99 else 0, err))
EOF2
}

printf "%-9s %11s %9s %11s %9s %12s %8s %8s %12s %8s %8s\n" target "bulk1_Gbps" "cpu_s/GB" \
	"bulk100_Gbps" "cpu_s/GB" "rr1_req/s" "p50_us" "p99_us" "rr100_req/s" "p50_us" "p99_us" | tee "$TMP/table"
for tgt in direct:$P_DIRECT:$HTTP haproxy:$P_HA:$((P_HA + 10)) sockmap:$P_SM:$((P_SM + 10)) \
	   splice:$P_SP:$((P_SP + 10)) copy:$P_CP:$((P_CP + 10)); do
	name=${tgt%%:*}; rest=${tgt#*:}; pb=${rest%%:*}; pr=${rest#*:}
	set -- $(bulk "$name" "$pb" 1) $(bulk "$name" "$pb" 100)
	b1=$1; c1=$2; b100=$3; c100=$4
	set -- $(rr "$pr" 1) ; r1=$1; r1p50=$2; r1p99=$3
	set -- $(rr "$pr" 100) ; r100=$1; r100p50=$2; r100p99=$3
	printf "%-9s %11s %9s %11s %9s %12s %8s %8s %12s %8s %8s\n" "$name" "$b1" "$c1" "$b100" "$c100" \
		"$r1" "$r1p50" "$r1p99" "$r100" "$r100p50" "$r100p99" | tee -a "$TMP/table"
done
python3 - "$TMP/table" <<'EOF2'
import sys
rows = {l.split()[0]: l.split() for l in open(sys.argv[1]).read().splitlines()[1:]}
ha = rows.get("haproxy")
def f(x):
    try: return float(x)
    except ValueError: return 0.0
if ha:
    for name in ("sockmap", "splice", "copy"):
        r = rows.get(name)
        if not r: continue
        def ratio(i):
            return "%.2fx" % (f(r[i]) / f(ha[i])) if f(ha[i]) else "-"
        print("%s vs haproxy: bulk1 %s, bulk100 %s, rr1 %s (p99 %s), rr100 %s (p99 %s), cpu/GB(1) %s" % (
            name, ratio(1), ratio(3), ratio(5), ratio(7), ratio(8), ratio(10), ratio(2)))
EOF2
echo "(goals, issue 15: rr >= 1.5x haproxy, p99 no worse, bulk >= haproxy, cpu/GB lower)"
