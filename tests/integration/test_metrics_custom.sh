#!/bin/sh
# Custom metrics (metrics.custom): a user's own XDP program
# (tests/progs/xdp_count_udp.bpf.c, loaded and attached with fastpath)
# counts the UDP datagrams sent from a namespace in its maps; fastpathd's
# /metrics, `fastpath metrics` and `fastpath -j metrics` export exactly
# that many, from a plain array, a per-CPU array (summed) and a hash map
# (every key a series), and promtool finds nothing to say. An entry whose
# map is missing, or whose values are too wide, is left out with
# fastpath_custom_metric_up 0 and a degraded health check that says why,
# logged once; it comes back when the map appears. A bad metrics:
# section is refused with its line and key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/metrics_lib.sh"
t_require_daemon
command -v promtool >/dev/null || t_skip_all "no promtool (Debian package prometheus)"
command -v curl >/dev/null || t_skip_all "no curl"
N=23

# The user's program on T_DEV, its maps pinned under MAPS.
user_program() {
	t_load "$T_PROGS/xdp_count_udp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV"
	MAPS=$T_PIN/maps/$T_NAME
	[ -e "$MAPS/counts" ] || t_fail "no map pinned at $MAPS/counts"
}

# daemon_config FILE HTTP ENTRIES: userspace-only fastpathd (the user's
# program has the interface), the endpoint on HTTP, ENTRIES under
# metrics.custom, checked every second.
daemon_config() {
	cat >"$1" <<EOF
orchestrator:
  ebpf:
    enabled: false
  prometheus_port: $2
  prometheus_address: 127.0.0.1
  monitoring_interval: 1s
metrics:
  custom:
$3
EOF
}

daemon_start() {
	t_daemon "$1"
	t_wait 50 curl -fsS -o /dev/null "http://127.0.0.1:$2/metrics" ||
		t_fail "fastpathd does not serve /metrics: $(cat "$T_TMP/fastpathd.log")"
}

case_custom_metric_counts_what_the_users_program_counted() {
	t_topo
	user_program
	http=$(free_port) || t_fail "no free port"
	daemon_config "$T_TMP/c.yaml" "$http" "    - name: myapp_udp_packets_total
      type: counter
      help: UDP datagrams my program saw.
      map: $MAPS/counts
      key: 0
      labels: {program: myapp}
    - {name: myapp_udp_cpu_packets_total, type: counter, map: $MAPS/cpu_counts, key: \"00 00 00 00\"}
    - {name: myapp_ipv4_packets_total, type: counter, map: $MAPS/by_proto, all_keys: true, max_keys: 16}"
	daemon_start "$T_TMP/c.yaml" "$http"
	port=$((20000 + $(t_rand 10000)))
	send_udp "$port" $N
	t_run curl -fsS "http://127.0.0.1:$http/metrics"
	cp "$T_TMP/out" "$T_TMP/m"
	promtool_clean "$T_TMP/m"
	grep -qxF "# HELP myapp_udp_packets_total UDP datagrams my program saw." "$T_TMP/m" ||
		t_fail "no HELP line: $(grep myapp "$T_TMP/m")"
	grep -qxF "# TYPE myapp_udp_packets_total counter" "$T_TMP/m" || t_fail "no TYPE line"
	a=$(sample "$T_TMP/m" myapp_udp_packets_total 'program="myapp"')
	[ "$a" = $N ] || t_fail "/metrics: myapp_udp_packets_total $a, want $N"
	a=$(sample "$T_TMP/m" myapp_udp_cpu_packets_total)
	[ "$a" = $N ] || t_fail "/metrics: per-CPU sum $a, want $N"
	a=$(sample "$T_TMP/m" myapp_ipv4_packets_total 'key="17"')
	[ "$a" = $N ] || t_fail "/metrics: by_proto key 17 (UDP) $a, want $N"
	a=$(sample "$T_TMP/m" fastpath_custom_metric_up 'metric="myapp_ipv4_packets_total"')
	[ "$a" = 1 ] || t_fail "fastpath_custom_metric_up $a, want 1"
	# The same without the daemon's endpoint: its configuration, or --config.
	t_fp 0 metrics
	promtool_clean "$T_TMP/out"
	a=$(sample "$T_TMP/out" myapp_udp_packets_total 'program="myapp"')
	[ "$a" = $N ] || t_fail "fastpath metrics (the daemon's config): $a, want $N"
	t_fp 0 metrics --config "$T_TMP/c.yaml" --export "$T_TMP/e"
	promtool_clean "$T_TMP/e"
	a=$(sample "$T_TMP/e" myapp_ipv4_packets_total 'key="17"')
	[ "$a" = $N ] || t_fail "fastpath metrics --config --export: $a, want $N"
	t_fp 0 -j metrics --config "$T_TMP/c.yaml"
	v=$(t_json "$T_TMP/out" '[s["value"] for s in d if s["name"] == "myapp_udp_packets_total" and s["labels"] == {"program": "myapp"}]')
	[ "$v" = "[$N]" ] || t_fail "JSON sample: $v"
	t_run curl -sS -D "$T_TMP/hdr" "http://127.0.0.1:$http/health"
	grep -q "^HTTP/1.1 200" "$T_TMP/hdr" || t_fail "/health: $(head -1 "$T_TMP/hdr") $(cat "$T_TMP/out")"
	[ "$(t_json "$T_TMP/out" 'find("name", "custom_metric:myapp_udp_packets_total")["ok"]')" = True ] ||
		t_fail "/health lacks an ok custom_metric check: $(cat "$T_TMP/out")"
}

case_custom_metric_missing_map_is_skipped_and_said_once() {
	t_topo
	user_program
	late=${T_CASE}late
	http=$(free_port) || t_fail "no free port"
	daemon_config "$T_TMP/c.yaml" "$http" "    - {name: myapp_udp_packets_total, type: counter, map: $MAPS/counts, key: 0}
    - {name: myapp_late_total, type: counter, map: $T_PIN/maps/$late/counts, key: 0}
    - {name: myapp_wide, type: gauge, map: $MAPS/wide, key: 0}"
	daemon_start "$T_TMP/c.yaml" "$http"
	send_udp $((20000 + $(t_rand 10000))) 3
	for i in 1 2 3 4 5; do
		t_run curl -fsS "http://127.0.0.1:$http/metrics"
		[ "$T_RC" = 0 ] || t_fail "/metrics failed with an entry's map missing"
	done
	cp "$T_TMP/out" "$T_TMP/m"
	promtool_clean "$T_TMP/m"
	a=$(sample "$T_TMP/m" myapp_udp_packets_total)
	[ "$a" = 3 ] || t_fail "the readable entry: $a, want 3"
	grep -q '^myapp_late_total' "$T_TMP/m" && t_fail "a sample of the missing map"
	grep -q '^myapp_wide' "$T_TMP/m" && t_fail "a sample of the 16-byte values"
	[ "$(sample "$T_TMP/m" fastpath_custom_metric_up 'metric="myapp_late_total"')" = 0 ] ||
		t_fail "up of the missing map is not 0"
	[ "$(sample "$T_TMP/m" fastpath_custom_metric_up 'metric="myapp_wide"')" = 0 ] ||
		t_fail "up of the wide map is not 0"
	t_run curl -sS -D "$T_TMP/hdr" "http://127.0.0.1:$http/health"
	grep -q "^HTTP/1.1 503" "$T_TMP/hdr" || t_fail "/health: $(head -1 "$T_TMP/hdr")"
	r=$(t_json "$T_TMP/out" 'find("name", "custom_metric:myapp_late_total")["reason"]')
	case $r in *"map missing: nothing pinned at $T_PIN/maps/$late/counts"*) ;;
	*) t_fail "reason of the missing map: $r" ;; esac
	r=$(t_json "$T_TMP/out" 'find("name", "custom_metric:myapp_wide")["reason"]')
	case $r in *"16-byte values: only u32 (4) and u64 (8)"*) ;;
	*) t_fail "reason of the wide map: $r" ;; esac
	t_fp 1 health
	t_stdout_has "custom_metric:myapp_late_total"
	# Several scrapes and checks later, one log line says it.
	sleep 3
	n=$(grep -c "custom_metric:myapp_late_total" "$T_TMP/fastpathd.log")
	[ "$n" = 1 ] || t_fail "logged $n times, want once: $(cat "$T_TMP/fastpathd.log")"
	# The map appears: exported again, and healthy.
	t_res prog "$late"
	t_fp 0 load "$T_PROGS/xdp_count_udp.bpf.o" --name "$late"
	t_run curl -fsS "http://127.0.0.1:$http/metrics"
	[ "$(sample "$T_TMP/out" fastpath_custom_metric_up 'metric="myapp_late_total"')" = 1 ] ||
		t_fail "up stays 0 once the map is pinned"
	grep -q '^myapp_late_total 0$' "$T_TMP/out" || t_fail "no sample once the map is pinned"
	t_fp 1 -j health
	[ "$(t_json "$T_TMP/out" 'find("name", "custom_metric:myapp_late_total")["ok"]')" = True ] ||
		t_fail "health once the map is pinned: $(cat "$T_TMP/out")"
}

case_custom_metric_bad_section_refused() {
	cat >"$T_TMP/bad.yaml" <<EOF
orchestrator:
  ebpf: {enabled: false}
metrics:
  custom:
    - name: fastpath_mine
      type: guage
      map: /tmp/x
EOF
	t_run "$FPD" --check -c "$T_TMP/bad.yaml"
	[ "$T_RC" = 1 ] || t_fail "fastpathd --check exited $T_RC, want 1"
	t_stderr_has "bad.yaml:6: metrics.custom[0].type: 'guage' is not one of gauge, counter (did you mean 'gauge'?)"
	t_stderr_has "bad.yaml:7: metrics.custom[0].map: '/tmp/x' is not a pin under /sys/fs/bpf/"
	t_stderr_has "which value? give key: N"
	t_fp 1 metrics --config "$T_TMP/bad.yaml"
	t_error_style
	t_stderr_has "metrics.custom[0].type"
	t_fp 2 metrics --config
}

t_ok metrics_custom_counts_what_the_users_program_counted case_custom_metric_counts_what_the_users_program_counted
t_ok metrics_custom_missing_map_is_skipped_and_said_once case_custom_metric_missing_map_is_skipped_and_said_once
t_ok metrics_custom_bad_section_refused case_custom_metric_bad_section_refused
t_done
