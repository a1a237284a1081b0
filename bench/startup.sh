#!/bin/sh
# Start-up time and memory (issue 18), with peers in the same run:
#   up         `fastpath up DEV` with the daemon's stages (firewall, flows,
#              DHCP), down again between runs; and with firewall and flows
#              only, an interface that serves no DHCP (the program is
#              built for the stages it runs)
#   xdp-filter `xdp-filter load DEV` (xdp-tools), unloaded between runs
#   ip-xdp     `ip link set DEV xdp obj` of the empty program: the floor
#              of loading and attaching any XDP program
#   fastpathd  exec to serving: the example config's sections on the lab's
#              interface with RULES firewall rules and a pool of the
#              example's size (101 addresses); serving is its state file
#              (/run/fastpath/fastpathd.json) naming its pid, which
#              fastpathd writes once its config is applied (pipeline up,
#              rules and DHCP in), just before its control socket listens;
#              timed by bench/start_wait.c, which looks at the file every
#              100 us without taking a core from the daemon (a shell loop
#              of grep and sleep took one of this host's two)
#   fastpathd, /12 pool   the same with the pool the memory run needs
#              (983,039 addresses: the lease cache sized to them)
# Each is the median of RUNS runs. Then the daemon's memory, on the /12
# pool: VmRSS with RULES rules, and again after perfdhcp has bound LEASES
# clients through its slow path (every lease journalled and in its table).
#   sh bench/startup.sh [BUILD] [RULES] [LEASES] [RUNS]     (root)
set -eu
. "$(dirname "$0")/../scripts/lab.sh"
BUILD=${1:-build}
RULES=${2:-10000}
LEASES=${3:-100000}
RUNS=${4:-5}
FPD=$BUILD/fastpathd
FP=$BUILD/fastpath
NS=fpstb$$
DEV=fst$$
PEER=fsp$$
SERVER=10.224.0.1
RELAY=10.224.0.2
PID=

GOAL_UP_MS=50
GOAL_DAEMON_MS=100
GOAL_RSS_KB=20480

lab_need startup perfdhcp xdp-filter
# The daemon's config, lease journal and log, and perfdhcp's output; the
# cleanup below removes it.
TMP=$(mktemp -d /tmp/fpstart.XXXXXX)

# perfdhcp's receive buffer, raised for the run as in dhcp_bench.sh (which
# says why) and put back on exit.
RMEM=$(sysctl -n net.core.rmem_default)
cleanup() {
	sysctl -qw net.core.rmem_default="$RMEM"
	lab_stop
	"$FP" down "$DEV" >/dev/null 2>&1 || true
	xdp-filter unload "$DEV" >/dev/null 2>&1 || true
	ip link del "$DEV" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sysctl -qw net.core.rmem_default=4194304
lab_up "$NS" "$DEV" "$PEER" "$SERVER/12" "$RELAY/12"
ip -n "$NS" link set dev "$PEER" xdp obj "$BUILD/tests/progs/xdp_pass.bpf.o" sec xdp

# The example config (examples/fastpath.yaml), its interfaces the lab's;
# RULES rules: distinct source /24s in 100.64.0.0/10, none the lab's;
# config RANGE: its pool's range.
config() {
	cat <<EOF
orchestrator:
  ebpf: {interfaces: [$DEV], mode: auto}
  prometheus_port: 0
  monitoring_interval: 10s
firewall:
  policy: allow
  rules:
EOF
	awk -v n="$RULES" 'BEGIN { for (i = 0; i < n; i++)
		printf "    - {action: drop, source_ip: 100.%d.%d.0/24}\n", 64 + int(i / 256) % 64, i % 256 }'
	cat <<EOF
flows: {enabled: true, max_flows: 65536, idle_timeout: 30s}
dhcp:
  interface: $DEV
  server_id: $SERVER
  lease_file: $TMP/fp.leases
  pools:
    - {subnet: 10.224.0.0/12, range: $1, router: $SERVER, lease_time: 1h}
EOF
}
config 10.224.1.100-10.224.1.200 >"$TMP/fastpath.yaml"
config 10.224.1.0-10.239.255.254 >"$TMP/leases.yaml"
"$FPD" --check -c "$TMP/fastpath.yaml" >/dev/null
"$FPD" --check -c "$TMP/leases.yaml" >/dev/null

# ms CMD...: the wall time of CMD in ms, one decimal.
ms() {
	a=$(date +%s%N)
	"$@" >/dev/null
	b=$(date +%s%N)
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

up_once() { "$FP" up "$DEV" --stages firewall,flows,dhcp; }
up2_once() { "$FP" up "$DEV" --stages firewall,flows; }
xf_once() { xdp-filter load "$DEV" -m native; }
ipx_once() { ip link set dev "$DEV" xdp obj "$BUILD/tests/progs/xdp_pass.bpf.o" sec xdp; }

# daemon_once CONFIG: fastpathd started on $TMP/CONFIG (PID), the ms from
# exec to serving in $TMP/dm, timed by start_wait (bench/start_wait.c).
daemon_once() {
	rm -f "$TMP"/fp.leases*
	_out=$("$BUILD/bench/start_wait" /run/fastpath/fastpathd.json "$FPD" -c "$TMP/$1" \
		--log-level warn 2>>"$TMP/fastpathd.log") ||
		{ echo "startup: fastpathd died: $(cat "$TMP/fastpathd.log")" >&2; exit 1; }
	PID=${_out% *}
	echo "${_out#* }" >"$TMP/dm"
}

up= up2= xf= ipx= dm= dm12=
for _ in $(seq "$RUNS"); do
	up="$up $(ms up_once)"
	"$FP" down "$DEV" >/dev/null
	up2="$up2 $(ms up2_once)"
	"$FP" down "$DEV" >/dev/null
	xf="$xf $(ms xf_once)"
	xdp-filter unload "$DEV" >/dev/null
	ipx="$ipx $(ms ipx_once)"
	ip link set dev "$DEV" xdp off
	daemon_once fastpath.yaml
	dm="$dm $(cat "$TMP/dm")"
	lab_stop
	"$FP" down "$DEV" >/dev/null 2>&1 || true
	daemon_once leases.yaml
	dm12="$dm12 $(cat "$TMP/dm")"
	lab_stop
	"$FP" down "$DEV" >/dev/null 2>&1 || true
done

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
daemon_once leases.yaml
rss_rules=$(rss "$PID")
# LEASES clients, bound at 8,000 exchanges/s from a client space 20 times
# larger, so nearly every exchange is a new client; perfdhcp runs until
# LEASES exchanges have completed.
ip netns exec "$NS" perfdhcp -4 -l "$RELAY" -r 8000 -R $((LEASES * 20)) \
	-n "$LEASES" -W 2000000 "$SERVER" >"$TMP/perfdhcp.out" 2>&1 || true
bound=$("$FP" -j dhcp leases --file "$TMP/fp.leases" 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d if isinstance(d, list) else d.get("leases", [])))' || echo 0)
rss_leases=$(rss "$PID")
lab_stop

m_up=$(echo "$up" | median)
m_up2=$(echo "$up2" | median)
m_xf=$(echo "$xf" | median)
m_ipx=$(echo "$ipx" | median)
m_dm=$(echo "$dm" | median)
m_dm12=$(echo "$dm12" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", b ? a / b : 0 }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b ? "met" : "MISSED") }'; }

echo "== start-up, median of $RUNS runs ($(nproc) CPUs, kernel $(uname -r))"
printf '%-36s %10s %12s\n' what ms vs_xdp-filter
printf '%-36s %10s %12s\n' "ip link set xdp (empty program)" "$m_ipx" "$(ratio "$m_ipx" "$m_xf")"
printf '%-36s %10s %12s\n' "xdp-filter load" "$m_xf" "1.00x"
printf '%-36s %10s %12s\n' "fastpath up (firewall,flows,dhcp)" "$m_up" "$(ratio "$m_up" "$m_xf")"
printf '%-36s %10s %12s\n' "fastpath up (firewall,flows)" "$m_up2" "$(ratio "$m_up2" "$m_xf")"
printf '%-36s %10s %12s\n' "fastpathd, exec to serving" "$m_dm" "$(ratio "$m_dm" "$m_xf")"
printf '%-36s %10s %12s\n' "fastpathd, /12 pool" "$m_dm12" "$(ratio "$m_dm12" "$m_xf")"
echo "runs: up [$up ] up firewall,flows [$up2 ] xdp-filter [$xf ] ip [$ipx ] fastpathd [$dm ] /12 [$dm12 ]"
echo "== fastpathd memory"
echo "VmRSS with $RULES rules: $rss_rules KB"
echo "VmRSS with $RULES rules and $bound leases: $rss_leases KB"
echo "fastpath up: $m_up ms, goal <= $GOAL_UP_MS ms: $(verdict "$m_up" $GOAL_UP_MS)"
echo "fastpathd to serving with $RULES rules: $m_dm ms, goal <= $GOAL_DAEMON_MS ms: $(verdict "$m_dm" $GOAL_DAEMON_MS)"
echo "fastpathd RSS with $RULES rules and $bound leases: $rss_leases KB, goal <= $GOAL_RSS_KB KB: $(verdict "$rss_leases" $GOAL_RSS_KB)"
[ "$bound" -ge "$LEASES" ] || echo "(only $bound of $LEASES leases were bound: perfdhcp's rate was too high for this machine)"
