#!/bin/sh
# The flows stage on a veth lab with real traffic: UDP datagrams counted
# exactly in both directions, a TCP connection's flags, ping, the filters
# and orders of `fastpath flows`, aging by the CLI and by fastpathd, the
# egress program's link, and a table resized under a running pipeline.
. "$(dirname "$0")/lib.sh"
t_require
FPD=$T_BUILD/fastpathd

# Frame size of a UDP datagram carrying PAYLOAD bytes over IPv4/Ethernet.
udp_frame() {
	echo $((14 + 20 + 8 + $1))
}

# flows_up: the pipeline with the flows stage on T_DEV, taken down when the
# case ends.
flows_up() {
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages flows "$@"
}

# send_udp NS ADDR PORT SPORT COUNT PAYLOAD: COUNT datagrams of PAYLOAD
# bytes, all from source port SPORT, so that they are one flow. NS empty:
# the root namespace.
send_udp() {
	t_data=$(printf "%$6s" "" | tr ' ' x)
	for t_i in $(seq "$5"); do
		if [ -n "$1" ]; then
			printf '%s' "$t_data" | ip netns exec "$1" socat -u - \
				"UDP4-SENDTO:$2:$3,sourceport=$4,reuseaddr"
		else
			printf '%s' "$t_data" | socat -u - "UDP4-SENDTO:$2:$3,sourceport=$4,reuseaddr"
		fi || t_fail "socat could not send datagram $t_i"
	done
}

# flows_json ARGS...: `fastpath -j flows ARGS` into $T_TMP/out.
flows_json() {
	t_fp 0 -j flows "$@"
}

# flow_field DIR PROTO DPORT FIELD: FIELD of the one flow in $T_TMP/out
# with that direction, protocol and destination port ("none" if none).
flow_field() {
	t_json "$T_TMP/out" '([f for f in d if f["direction"] == a[0] and f["protocol"] == a[1]
		and f.get("dport", f.get("icmp_code")) == int(a[2])] or [{a[3]: "none"}])[0][a[3]]' \
		"$1" "$2" "$3" "$4"
}

flow_count() {
	t_json "$T_TMP/out" 'len(d)'
}

rand_port() {
	echo $((20000 + $(t_rand 20000)))
}

case_udp_counted_exactly_ingress() {
	t_topo
	flows_up
	port=$(rand_port)
	sport=$(rand_port)
	t_udp_listen "" "$port" "$T_TMP/rx"
	send_udp "$T_NS" "$T_ADDR" "$port" "$sport" 20 100
	flows_json "$T_DEV" --protocol udp --port "$port"
	[ "$(flow_count)" = 1 ] || t_fail "want exactly one flow to port $port"
	[ "$(flow_field ingress udp "$port" packets)" = 20 ] || t_fail "packets: want 20"
	[ "$(flow_field ingress udp "$port" bytes)" = $((20 * $(udp_frame 100))) ] ||
		t_fail "bytes: want 20 x $(udp_frame 100)"
	[ "$(flow_field ingress udp "$port" sport)" = "$sport" ] || t_fail "source port"
	[ "$(flow_field ingress udp "$port" source)" = "$T_PEER_ADDR" ] || t_fail "source"
	[ "$(flow_field ingress udp "$port" destination)" = "$T_ADDR" ] || t_fail "destination"
	[ "$(flow_field ingress udp "$port" interface)" = "$T_DEV" ] || t_fail "interface"
	[ "$(flow_field ingress udp "$port" verdict)" = pass ] || t_fail "verdict"
}

# Traffic sent out of T_DEV is the egress program's: the same counts.
case_udp_counted_exactly_egress() {
	t_topo
	flows_up
	port=$(rand_port)
	sport=$(rand_port)
	t_udp_listen "$T_NS" "$port" "$T_TMP/rx"
	send_udp "" "$T_PEER_ADDR" "$port" "$sport" 15 200
	flows_json "$T_DEV" --port "$port"
	[ "$(flow_count)" = 1 ] || t_fail "want exactly one flow to port $port"
	[ "$(flow_field egress udp "$port" packets)" = 15 ] || t_fail "packets: want 15"
	[ "$(flow_field egress udp "$port" bytes)" = $((15 * $(udp_frame 200))) ] ||
		t_fail "bytes: want 15 x $(udp_frame 200)"
	[ "$(flow_field egress udp "$port" source)" = "$T_ADDR" ] || t_fail "source"
}

# A TCP connection from the namespace: the client's SYN, ACK and FIN come
# in, the server's SYN-ACK and FIN go out.
case_tcp_flags_seen() {
	t_topo
	flows_up
	port=$(rand_port)
	timeout 15 socat -u "TCP4-LISTEN:$port,reuseaddr" "OPEN:$T_TMP/tcp_rx,creat" &
	t_res pid $!
	t_wait 30 sh -c "ss -Hltn 'sport = :$port' | grep -q ." || t_fail "TCP listener did not start"
	printf hello | ip netns exec "$T_NS" timeout 10 socat -u - "TCP4:$T_ADDR:$port" ||
		t_fail "TCP client failed"
	t_wait 30 t_file_has "$T_TMP/tcp_rx" hello || t_fail "the server got nothing"
	sleep 0.3 # the last ACKs of the close
	flows_json "$T_DEV" --protocol tcp --port "$port"
	in=$(flow_field ingress tcp "$port" tcp_flags)
	for flag in S A F; do
		case $in in *$flag*) ;; *) t_fail "ingress flags '$in' lack $flag" ;; esac
	done
	out=$(t_json "$T_TMP/out" '[f["tcp_flags"] for f in d if f["direction"] == "egress"
		and f["sport"] == int(a[0])][0]' "$port")
	for flag in S A F; do
		case $out in *$flag*) ;; *) t_fail "egress flags '$out' lack $flag" ;; esac
	done
}

case_icmp_ping_flows() {
	t_topo
	flows_up
	t_ping_ok "with the flows stage"
	flows_json "$T_DEV" --protocol icmp
	req=$(t_json "$T_TMP/out" '[f["packets"] for f in d if f["direction"] == "ingress"
		and f["icmp_type"] == 8][0]')
	rep=$(t_json "$T_TMP/out" '[f["packets"] for f in d if f["direction"] == "egress"
		and f["icmp_type"] == 0][0]')
	[ "$req" = 3 ] || t_fail "echo requests in: $req, want 3"
	[ "$rep" = 3 ] || t_fail "echo replies out: $rep, want 3"
	t_fp 0 flows "$T_DEV" --protocol icmp
	t_stdout_has "icmp"
}

case_filters_and_sort() {
	t_topo
	flows_up
	a=$(rand_port)
	b=$((a + 1))
	send_udp "$T_NS" "$T_ADDR" "$a" "$(rand_port)" 6 10
	send_udp "$T_NS" "$T_ADDR" "$b" "$(rand_port)" 2 500
	flows_json "$T_DEV" --protocol udp --min-packets 3
	[ "$(flow_count)" = 1 ] && [ "$(t_json "$T_TMP/out" 'd[0]["dport"]')" = "$a" ] ||
		t_fail "--min-packets 3 should leave port $a alone"
	flows_json "$T_DEV" --protocol udp --dest "$T_ADDR/32" --sort packets --limit 1
	[ "$(t_json "$T_TMP/out" 'd[0]["dport"]')" = "$a" ] || t_fail "--sort packets"
	flows_json "$T_DEV" --protocol udp --dest "$T_ADDR" --sort bytes --limit 1
	[ "$(t_json "$T_TMP/out" 'd[0]["dport"]')" = "$b" ] || t_fail "--sort bytes"
	flows_json "$T_DEV" --source "$T_PEER_ADDR" --port "$b"
	[ "$(flow_count)" = 1 ] || t_fail "--source and --port"
	flows_json "$T_DEV" --source 192.0.2.0/24
	[ "$(flow_count)" = 0 ] || t_fail "--source elsewhere matched"
	flows_json "$T_DEV" --protocol udp --sort age
	[ "$(t_json "$T_TMP/out" 'd[0]["dport"]')" = "$a" ] || t_fail "--sort age: oldest first"
	t_fp 2 flows "$T_DEV" --source 10.0.0.1/8
	t_error_style
	t_stderr_has "host bits"
	t_fp 2 flows "$T_DEV" --sort size
	t_error_style
	# Options that would be ignored are refused: a filter with --counters,
	# --counters with --age, a limit of no flows, --max-flows without flows.
	t_fp 2 flows "$T_DEV" --counters --protocol udp
	t_stderr_has "takes no filter"
	t_fp 2 flows "$T_DEV" --counters --age 5s
	t_stderr_has "not both"
	t_fp 2 flows "$T_DEV" --age 5s --limit 1
	t_fp 2 flows "$T_DEV" --limit 0
	t_fp 2 up "$T_DEV" --stages ports --max-flows 100
	t_stderr_has "add flows to --stages"
}

case_cli_ages_idle_flows() {
	t_topo
	flows_up
	port=$(rand_port)
	send_udp "$T_NS" "$T_ADDR" "$port" "$(rand_port)" 3 10
	t_fp 0 -j flows "$T_DEV" --age 30s
	[ "$(t_json "$T_TMP/out" 'd["aged"]')" = 0 ] || t_fail "a fresh flow was aged"
	sleep 1.2
	t_fp 0 -j flows "$T_DEV" --age 1s
	[ "$(t_json "$T_TMP/out" 'd["aged"]')" -ge 1 ] || t_fail "nothing aged"
	flows_json "$T_DEV" --port "$port"
	[ "$(flow_count)" = 0 ] || t_fail "the idle flow is still listed"
	t_fp 0 -j flows "$T_DEV" --counters
	[ "$(t_json "$T_TMP/out" 'd[0]["aged"]')" -ge 1 ] || t_fail "aged counter"
}

case_daemon_ages_idle_flows() {
	if "$FP" -j status 2>/dev/null | grep -q '"running":true'; then
		t_skip "a fastpathd is already running on this machine"
	fi
	t_topo
	t_res pipeline "$T_DEV"
	cat >"$T_TMP/c.yaml" <<EOF
orchestrator:
  ebpf: {enabled: true, interface: $T_DEV, mode: auto}
  prometheus_port: 0
flows: {enabled: true, max_flows: 4096, idle_timeout: 1s}
EOF
	"$FPD" -c "$T_TMP/c.yaml" --log-level debug 2>"$T_TMP/fastpathd.log" &
	t_res pid $!
	t_wait 50 sh -c "'$FP' flows '$T_DEV' >/dev/null 2>&1" ||
		t_fail "fastpathd did not bring up flows: $(cat "$T_TMP/fastpathd.log")"
	port=$(rand_port)
	send_udp "$T_NS" "$T_ADDR" "$port" "$(rand_port)" 2 10
	flows_json "$T_DEV" --port "$port"
	[ "$(flow_count)" = 1 ] || t_fail "the flow is not there to age"
	t_wait 50 sh -c "'$FP' -j flows '$T_DEV' --port $port | grep -qx '\[\]'" ||
		t_fail "fastpathd did not age the flow out"
	t_wait 50 grep -q "aged out" "$T_TMP/fastpathd.log" || t_fail "no debug line for the aging"
	t_fp 0 -j flows "$T_DEV" --counters
	[ "$(t_json "$T_TMP/out" 'd[0]["per_cpu"]')" = 4096 ] || t_fail "max_flows not applied"
}

# The egress program comes and goes with the stage, and down removes all.
case_egress_link_follows_stage() {
	t_topo
	flows_up
	link=$T_PIN/pipeline/$T_DEV/egress_link
	[ -e "$link" ] || t_fail "no egress link with the flows stage on"
	t_fp 0 up "$T_DEV" --stages ports
	[ ! -e "$link" ] || t_fail "the egress link outlived the flows stage"
	t_fp 0 up "$T_DEV" --stages flows
	[ -e "$link" ] || t_fail "no egress link after turning flows on again"
	t_fp 0 down "$T_DEV"
	[ ! -e "$T_PIN/pipeline/$T_DEV" ] || t_fail "down left pins"
	t_fp 1 flows "$T_DEV"
	t_stderr_has "no pipeline on $T_DEV"
}

# A new max_flows swaps a fresh program and table into the running link:
# the XDP link stays, traffic keeps flowing, flows start over.
case_max_flows_change_reloads() {
	t_topo
	flows_up --max-flows 100
	t_fp 0 -j flows "$T_DEV" --counters
	[ "$(t_json "$T_TMP/out" 'd[0]["per_cpu"]')" = 100 ] || t_fail "max_flows 100 not applied"
	link_id=$(bpftool -j link show pinned "$T_PIN/pipeline/$T_DEV/link" |
		"$T_PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	t_fp 0 up "$T_DEV" --stages flows --max-flows 200
	t_stdout_has "adopted"
	t_fp 0 -j flows "$T_DEV" --counters
	[ "$(t_json "$T_TMP/out" 'd[0]["per_cpu"]')" = 200 ] || t_fail "max_flows 200 not applied"
	now=$(bpftool -j link show pinned "$T_PIN/pipeline/$T_DEV/link" |
		"$T_PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	[ "$now" = "$link_id" ] || t_fail "the XDP link was replaced ($link_id -> $now)"
	t_ping_ok "after the reload"
	flows_json "$T_DEV" --protocol icmp
	[ "$(flow_count)" -ge 2 ] || t_fail "the reloaded pipeline records nothing"
}

t_ok flows_udp_datagrams_counted_exactly_ingress case_udp_counted_exactly_ingress
t_ok flows_udp_datagrams_counted_exactly_egress case_udp_counted_exactly_egress
t_ok flows_tcp_connection_flags_seen_both_ways case_tcp_flags_seen
t_ok flows_ping_counted_as_icmp_flows case_icmp_ping_flows
t_ok flows_filters_and_sort_select_flows case_filters_and_sort
t_ok flows_cli_age_removes_idle_flows case_cli_ages_idle_flows
t_ok flows_fastpathd_ages_idle_flows case_daemon_ages_idle_flows
t_ok flows_egress_link_follows_the_stage case_egress_link_follows_stage
t_ok flows_max_flows_change_reloads_in_place case_max_flows_change_reloads
t_done
