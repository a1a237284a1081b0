#!/bin/sh
# Health checks made to fail for real on a veth lab: a flows table of 64
# entries a CPU filled with distinct flows (map_fill), a firewall dropping
# most datagrams (drop_ratio), and under fastpathd with the kernel's
# run-time statistics on, a latency threshold of 1 ns and more free disk
# asked for than there is (latency, disk_space), each named by `fastpath
# health` (exit 1) and raised as an alert; the latency metrics are served
# while the statistics are on and gone after a reload turns them off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/metrics_lib.sh"
t_require_daemon
command -v curl >/dev/null || t_skip_all "no curl"
# Someone else's statistics would make "off" untestable.
[ "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)" = 1 ] &&
	t_skip_all "kernel.bpf_stats_enabled is 1: run-time statistics are on for everyone"

# send_udp_ports PORT COUNT STEP: COUNT datagrams from the namespace to
# T_ADDR:PORT, PORT+STEP, ..., each from a socket of its own (a new flow
# when STEP is not 0).
send_udp_ports() {
	ip netns exec "$T_NS" "$T_PY" -c "
import socket
for i in range($2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b'x', ('$T_ADDR', $1 + i * $3))
    s.close()
" || t_fail "sending $2 datagrams failed"
}

# check_ok NAME: the last `fastpath -j health` says whether check NAME
# passed (True/False; None when there was no such check).
check_ok() {
	t_json "$T_TMP/out" 'find("name", a[0])["ok"] if find("name", a[0]) else None' "$1"
}

# only_failing NAME...: the last `fastpath -j health` failed exactly these.
only_failing() {
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	got=$(t_json "$T_TMP/out" '" ".join(sorted(c["name"] for c in d["checks"] if not c["ok"])) + " "')
	[ "$got" = "$want" ] || t_fail "failing checks: '$got', want '$want': $(cat "$T_TMP/out")"
}

case_map_fill_fails_when_a_cpu_region_fills() {
	t_topo
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages flows --max-flows 64
	t_fp 0 -j health
	[ "$(check_ok "map_fill:$T_DEV")" = True ] || t_fail "empty table: $(cat "$T_TMP/out")"
	# 200 flows for 64 entries a CPU: every region they land in fills.
	send_udp_ports 20000 200 1
	t_fp 1 health
	t_stdout_has "degraded"
	grep -q "FAIL *map_fill:$T_DEV .*flows table" "$T_TMP/out" ||
		t_fail "no failing map_fill line: $(cat "$T_TMP/out")"
	t_fp 1 -j health
	only_failing "map_fill:$T_DEV"
	# Without a daemon or kernel.bpf_stats_enabled, nothing measures run times.
	t_fp 0 metrics
	grep -q "latency\|run_time\|run_count" "$T_TMP/out" &&
		t_fail "latency metrics while nothing measures them: $(grep latency "$T_TMP/out")"
	return 0
}

case_drop_ratio_fails_when_the_firewall_drops_most() {
	t_topo
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages firewall
	port=$((20000 + $(t_rand 10000)))
	t_fp 0 firewall add "$T_DEV" drop --protocol udp --port "$port"
	send_udp_ports "$((port + 1))" 20 0
	send_udp_ports "$port" 20 0
	# Half of 40-odd packets dropped is too few to judge.
	t_fp 0 -j health
	[ "$(check_ok "drop_ratio:$T_DEV")" = True ] || t_fail "judged too soon: $(cat "$T_TMP/out")"
	send_udp_ports "$port" 150 0
	t_fp 1 health
	grep -q "FAIL *drop_ratio:$T_DEV .*% of packets dropped" "$T_TMP/out" ||
		t_fail "no failing drop_ratio line: $(cat "$T_TMP/out")"
	t_fp 1 -j health
	only_failing "drop_ratio:$T_DEV"
}

# daemon_config FILE HTTP LATENCY_STATS THRESHOLD_MS DISK_FREE_MB
daemon_config() {
	cat >"$1" <<EOF
orchestrator:
  ebpf: {enabled: true, interface: $T_DEV, mode: auto}
  prometheus_port: $2
  prometheus_address: 127.0.0.1
  monitoring_interval: 1s
  latency_stats: $3
  latency_threshold_ms: $4
  health: {disk_free_mb: $5}
flows: {enabled: true}
dhcp:
  interface: $T_DEV
  server_id: $T_ADDR
  lease_file: $T_TMP/leases
  pools:
    - {subnet: $NET.0/24, range: $NET.100-$NET.199, router: $T_ADDR, lease_time: 1m}
EOF
}

alerts_active() {
	"$FP" metrics 2>/dev/null | awk '$1 == "fastpath_alerts_active{alert=\"health_check_failed\"}" { print $2 }'
}

case_daemon_latency_and_disk_checks() {
	t_topo
	t_res pipeline "$T_DEV"
	NET=${T_ADDR%.1}
	http=$(free_port) || t_fail "no free port"
	# 1 ns: every run is slower; 1 PiB free: no disk has it.
	daemon_config "$T_TMP/c.yaml" "$http" true 0.000001 1073741824
	t_daemon "$T_TMP/c.yaml"
	t_wait 50 curl -fsS -o /dev/null "http://127.0.0.1:$http/metrics" ||
		t_fail "fastpathd does not serve /metrics: $(cat "$T_TMP/fastpathd.log")"
	send_udp_ports 20000 50 0
	t_fp 1 -j health
	only_failing "disk_space" "latency:$T_DEV"
	t_fp 1 health
	grep -q "FAIL *latency:$T_DEV .*us on average" "$T_TMP/out" ||
		t_fail "no failing latency line: $(cat "$T_TMP/out")"
	t_run curl -sS -D "$T_TMP/hdr" "http://127.0.0.1:$http/health"
	grep -q "^HTTP/1.1 503" "$T_TMP/hdr" || t_fail "/health: $(head -1 "$T_TMP/hdr")"
	# The daemon raises an alert per failing check.
	for i in $(seq 50); do
		[ "$(alerts_active)" = 2 ] && break
		sleep 0.2
	done
	[ "$(alerts_active)" = 2 ] ||
		t_fail "alerts active: $(alerts_active); log: $(tail -5 "$T_TMP/fastpathd.log")"
	grep -q "latency:$T_DEV" "$T_TMP/fastpathd.log" || t_fail "no alert line for latency"

	t_run curl -fsS "http://127.0.0.1:$http/metrics"
	cp "$T_TMP/out" "$T_TMP/m"
	v=$(sample "$T_TMP/m" ebpf_latency_microseconds "interface=\"$T_DEV\"")
	awk -v v="$v" 'BEGIN { exit !(v != "none" && v > 0) }' ||
		t_fail "ebpf_latency_microseconds: $v"
	n=$(sample "$T_TMP/m" fastpath_pipeline_run_count_total "interface=\"$T_DEV\"")
	[ "$n" != none ] && [ "$n" -ge 50 ] || t_fail "run count $n, want >= 50"
	v=$(sample "$T_TMP/m" fastpath_pipeline_run_time_seconds_total "interface=\"$T_DEV\"")
	awk -v v="$v" 'BEGIN { exit !(v != "none" && v > 0) }' || t_fail "run time: $v"
	if command -v promtool >/dev/null; then
		promtool check metrics <"$T_TMP/m" >"$T_TMP/lint" 2>&1
		# The seed's name is in microseconds; promtool would have seconds.
		grep -v '^ebpf_latency_microseconds use base unit "seconds"' "$T_TMP/lint" |
			grep -q . && t_fail "promtool: $(head -5 "$T_TMP/lint")"
	fi
	# The CLI reads the same: the daemon says the statistics are on.
	t_fp 0 metrics
	grep -q "^ebpf_latency_microseconds{interface=\"$T_DEV\"} " "$T_TMP/out" ||
		t_fail "fastpath metrics has no latency"

	# Reloaded without them: no latency metric, no latency check, and the
	# kernel stops counting.
	daemon_config "$T_TMP/c.yaml" "$http" false 1 0
	kill -HUP "$DPID"
	t_wait 50 grep -q "reloaded" "$T_TMP/fastpathd.log" || t_fail "no reload"
	t_fp 0 -j health
	[ "$(check_ok "latency:$T_DEV")" = None ] || t_fail "latency checked: $(cat "$T_TMP/out")"
	[ "$(check_ok disk_space)" = True ] || t_fail "disk_space: $(cat "$T_TMP/out")"
	t_run curl -fsS "http://127.0.0.1:$http/metrics"
	grep -q "latency\|run_time\|run_count" "$T_TMP/out" &&
		t_fail "latency metrics after the reload: $(grep latency "$T_TMP/out")"
	id=$(ip -j link show dev "$T_DEV" | "$T_PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])') ||
		t_fail "no XDP program on $T_DEV"
	if command -v bpftool >/dev/null; then
		bpftool -j prog show id "$id" >"$T_TMP/p1.json" || t_fail "bpftool prog show id $id"
		send_udp_ports 20000 30 0
		bpftool -j prog show id "$id" >"$T_TMP/p2.json" || t_fail "bpftool prog show id $id"
		a=$(t_json "$T_TMP/p1.json" 'd.get("run_cnt", 0)')
		b=$(t_json "$T_TMP/p2.json" 'd.get("run_cnt", 0)')
		[ "$a" = "$b" ] || t_fail "the kernel still counts runs: $a -> $b"
	fi
	return 0
}

t_ok health_map_fill_fails_when_a_cpu_region_fills case_map_fill_fails_when_a_cpu_region_fills
t_ok health_drop_ratio_fails_when_the_firewall_drops_most case_drop_ratio_fails_when_the_firewall_drops_most
t_ok health_fastpathd_latency_and_disk_space_checks case_daemon_latency_and_disk_checks
t_done
