#!/bin/sh
# Metrics and health on a veth lab: `fastpath metrics` and fastpathd's
# /metrics pass `promtool check metrics` and count exactly the datagrams
# the test sent; /health says ok, and after `ip link set DEV down` behind
# the daemon's back (not its to undo; a pipeline taken down it puts back:
# test_heal.sh) `fastpath health` exits 1 naming the interface; a real
# Prometheus server scrapes fastpathd and returns the same count.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/metrics_lib.sh"
t_require_daemon
command -v promtool >/dev/null || t_skip_all "no promtool (Debian package prometheus)"
command -v curl >/dev/null || t_skip_all "no curl"
N=37

case_cli_metrics_count_what_was_sent() {
	t_topo
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages flows,firewall
	port=$((20000 + $(t_rand 10000)))
	t_fp 0 firewall add "$T_DEV" drop --protocol udp --port "$port"
	t_fp 0 metrics
	cp "$T_TMP/out" "$T_TMP/before"
	promtool_clean "$T_TMP/before"
	send_udp "$port" $N
	t_fp 0 metrics --export "$T_TMP/after"
	promtool_clean "$T_TMP/after"
	b=$(sample "$T_TMP/before" ebpf_packets_dropped_total "interface=\"$T_DEV\"")
	a=$(sample "$T_TMP/after" ebpf_packets_dropped_total "interface=\"$T_DEV\"")
	[ $((a - b)) -eq $N ] || t_fail "dropped went $b -> $a, want +$N"
	l="interface=\"$T_DEV\",stage=\"firewall\",verdict=\"drop\""
	a=$(sample "$T_TMP/after" fastpath_pipeline_packets_total "$l")
	[ "$a" = $N ] || t_fail "firewall stage dropped $a, want $N"
	a=$(sample "$T_TMP/after" fastpath_firewall_rule_packets_total "interface=\"$T_DEV\",rule=\"1\"")
	[ "$a" = $N ] || t_fail "rule 1 counted $a, want $N"
	a=$(sample "$T_TMP/after" fastpath_flows_table_capacity "interface=\"$T_DEV\"")
	[ "$a" != none ] && [ "$a" -gt 0 ] || t_fail "no flows table capacity ($a)"
	# No label is an address: the lab's addresses appear nowhere.
	grep -qF "$T_PEER_ADDR" "$T_TMP/after" && t_fail "an address leaked into a label"
	t_fp 0 -j metrics
	v=$(t_json "$T_TMP/out" '[s["value"] for s in d if s["name"] == "fastpath_firewall_rule_packets_total" and s["labels"] == {"interface": a[0], "rule": "1"}]' "$T_DEV")
	[ "$v" = "[$N]" ] || t_fail "JSON sample of rule 1: $v"
	t_fp 2 metrics extra
}

# The daemon's config: DEV, a drop rule for PORT, the endpoint on
# 127.0.0.1:HTTP.
daemon_config() {
	cat >"$1" <<EOF
orchestrator:
  ebpf:
    enabled: true
    interface: $2
    mode: auto
  prometheus_port: $4
  prometheus_address: 127.0.0.1
firewall:
  policy: allow
  rules:
    - {action: drop, protocol: udp, port: $3}
EOF
}

# daemon_lab: T_DEV, and fastpathd dropping UDP to $port on it and
# serving its endpoint on $http.
daemon_lab() {
	t_topo
	t_res pipeline "$T_DEV"
	port=$((20000 + $(t_rand 10000)))
	http=$(free_port) || t_fail "no free port"
	daemon_config "$T_TMP/c.yaml" "$T_DEV" "$port" "$http"
	daemon_start "$T_TMP/c.yaml" "$http"
}

daemon_start() {
	t_daemon "$1"
	t_wait 50 curl -fsS -o /dev/null "http://127.0.0.1:$2/metrics" ||
		t_fail "fastpathd does not serve /metrics: $(cat "$T_TMP/fastpathd.log")"
}

case_daemon_serves_metrics_and_health() {
	daemon_lab
	send_udp "$port" $N
	t_run curl -fsS "http://127.0.0.1:$http/metrics"
	cp "$T_TMP/out" "$T_TMP/m"
	promtool_clean "$T_TMP/m"
	grep -q "^# TYPE ebpf_packets_dropped_total counter" "$T_TMP/m" || t_fail "no seed metric"
	a=$(sample "$T_TMP/m" ebpf_packets_dropped_total "interface=\"$T_DEV\"")
	[ "$a" = $N ] || t_fail "/metrics: dropped $a, want $N"
	t_run curl -sS -D "$T_TMP/hdr" "http://127.0.0.1:$http/health"
	grep -q "^HTTP/1.1 200" "$T_TMP/hdr" || t_fail "/health status: $(head -1 "$T_TMP/hdr")"
	[ "$(t_json "$T_TMP/out" 'd["ok"]')" = True ] || t_fail "/health not ok: $(cat "$T_TMP/out")"
	t_fp 0 health
	# Behind the daemon's back: the interface goes down; health says so.
	ip link set "$T_DEV" down || t_fail "ip link set $T_DEV down failed"
	t_fp 1 health
	t_stdout_has "interface_up:$T_DEV"
	t_stdout_has "degraded"
	t_fp 1 -j health
	[ "$(t_json "$T_TMP/out" 'find("name", "interface_up:" + a[0])["ok"]' "$T_DEV")" = False ] ||
		t_fail "health -j: $(cat "$T_TMP/out")"
	t_run curl -sS -D "$T_TMP/hdr" "http://127.0.0.1:$http/health"
	grep -q "^HTTP/1.1 503" "$T_TMP/hdr" || t_fail "/health after link down: $(head -1 "$T_TMP/hdr")"
	t_run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/nothing"
	[ "$(cat "$T_TMP/out")" = 404 ] || t_fail "/nothing answered $(cat "$T_TMP/out")"
	t_run curl -sS -X POST -D "$T_TMP/hdr" -o /dev/null "http://127.0.0.1:$http/metrics"
	grep -q "^HTTP/1.1 405" "$T_TMP/hdr" || t_fail "POST /metrics: $(head -1 "$T_TMP/hdr")"
	grep -qi "^Allow: GET, HEAD" "$T_TMP/hdr" || t_fail "the 405 names no Allow: $(cat "$T_TMP/hdr")"
}

# A reload to a port something else holds: the endpoint goes on serving
# where it was (it used to close it first and serve nowhere).
case_port_taken_keeps_endpoint() {
	daemon_lab
	# A port socat holds (a free one may be taken by a connection first).
	for i in 1 2 3 4 5; do
		taken=$(free_port) || t_fail "no free port"
		socat "TCP-LISTEN:$taken,bind=127.0.0.1,reuseaddr,fork" /dev/null 2>/dev/null &
		t_res pid $!
		t_wait 20 sh -c "ss -Hltn 'sport = :$taken' | grep -q ." && break
		taken=
	done
	[ -n "$taken" ] || t_fail "socat listens on no port"
	daemon_config "$T_TMP/c.yaml" "$T_DEV" "$port" "$taken"
	kill -HUP "$DPID"
	t_wait 50 grep -q "cannot serve on 127.0.0.1 port $taken" "$T_TMP/fastpathd.log" ||
		t_fail "the taken port is not logged: $(cat "$T_TMP/fastpathd.log")"
	t_wait 30 curl -fsS -o /dev/null "http://127.0.0.1:$http/metrics" ||
		t_fail "the endpoint on $http is gone: $(cat "$T_TMP/fastpathd.log")"
}

# A real Prometheus scrapes fastpathd every second; its query API returns
# the count sent.
case_prometheus_scrapes_fastpathd() {
	command -v prometheus >/dev/null || t_skip "no prometheus server"
	daemon_lab
	send_udp "$port" $N
	prom=$(free_port) || t_fail "no free port"
	mkdir -p "$T_TMP/prom"
	cat >"$T_TMP/prom.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: fastpathd
    static_configs:
      - targets: ['127.0.0.1:$http']
EOF
	prometheus --config.file="$T_TMP/prom.yml" --storage.tsdb.path="$T_TMP/prom" \
		--web.listen-address="127.0.0.1:$prom" >"$T_TMP/prom.log" 2>&1 &
	t_res pid $!
	q="http://127.0.0.1:$prom/api/v1/query?query=ebpf_packets_dropped_total%7Binterface%3D%22$T_DEV%22%7D"
	got=
	for i in $(seq 60); do
		curl -fsS "$q" >"$T_TMP/q.json" 2>/dev/null &&
		got=$(t_json "$T_TMP/q.json" 'd["data"]["result"][0]["value"][1] if d["data"]["result"] else ""')
		[ -n "$got" ] && [ "${got#ERROR}" = "$got" ] && break
		sleep 0.5
	done
	[ "$got" = $N ] || t_fail "prometheus returned '$got', want $N: $(tail -3 "$T_TMP/prom.log")"
}

t_ok metrics_cli_counts_what_was_sent_and_passes_promtool case_cli_metrics_count_what_was_sent
t_ok metrics_fastpathd_serves_metrics_and_health case_daemon_serves_metrics_and_health
t_ok metrics_prometheus_scrapes_fastpathd case_prometheus_scrapes_fastpathd
t_ok metrics_reload_to_a_taken_port_keeps_the_endpoint case_port_taken_keeps_endpoint
t_done
