#!/bin/sh
# AF_XDP receive: the XSK stage steers a UDP port to the AF_XDP socket of
# examples/xsk_echo (copy mode on veth); other ports, removed ports and a
# closed socket reach the kernel stack. fastpath and the echo run in the
# root namespace on T_DEV; the senders in T_NS.
. "$(dirname "$0")/lib.sh"
t_require

ECHO=$T_EXAMPLES/xsk_echo
UDP="$T_PY $T_SRCROOT/tests/integration/xsk_udp.py"

# lab: the veth pair with the pipeline up on T_DEV (XSK and ports stages)
# and a UDP port T_PORT for the case.
lab() {
	t_topo
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages xsk,ports
	T_PORT=$((20000 + $(t_rand 40000)))
}

# echo_start ARGS...: xsk_echo on T_DEV (T_ECHO its pid, output in
# $T_TMP/echo.out); returns once it says which mode it runs in.
echo_start() {
	"$ECHO" "$T_DEV" "$@" >"$T_TMP/echo.out" 2>&1 &
	T_ECHO=$!
	t_res pid "$T_ECHO"
	t_wait 50 grep -q "mode" "$T_TMP/echo.out" ||
		t_fail "xsk_echo did not start: $(cat "$T_TMP/echo.out")"
}

# echo_stop: end xsk_echo and print the datagrams it received.
echo_stop() {
	kill -TERM "$T_ECHO"
	t_wait 50 grep -q "received" "$T_TMP/echo.out" ||
		t_fail "xsk_echo did not stop: $(cat "$T_TMP/echo.out")"
	sed -n 's/.*received \([0-9]*\) datagrams.*/\1/p' "$T_TMP/echo.out"
}

# port_field PORT FIELD: a counter of `fastpath -j xsk ports list T_DEV`.
port_field() {
	t_fastpath -j xsk ports list "$T_DEV" >"$T_TMP/ports.json" 2>&1 || return 0
	t_json "$T_TMP/ports.json" \
		'next((str(o[a[1]]) for o in d if o["port"] == int(a[0])), "absent")' "$1" "$2"
}

case_steered_port_arrives_through_af_xdp() {
	lab
	t_udp_listen "" "$T_PORT" "$T_TMP/stack.txt"
	echo_start "$T_PORT"
	grep -q "copy mode" "$T_TMP/echo.out" || t_fail "not copy mode: $(cat "$T_TMP/echo.out")"
	ip netns exec "$T_NS" $UDP echo "$T_ADDR" "$T_PORT" 20 >"$T_TMP/echoed.txt"
	[ "$(sort -u "$T_TMP/echoed.txt" | wc -l)" = 20 ] ||
		t_fail "echoed $(sort -u "$T_TMP/echoed.txt" | wc -l) of 20: $(cat "$T_TMP/echoed.txt")"
	for i in 0 7 19; do
		grep -qx "xsk-$i-payload" "$T_TMP/echoed.txt" || t_fail "payload $i not echoed intact"
	done
	[ ! -s "$T_TMP/stack.txt" ] || t_fail "the stack got steered datagrams: $(cat "$T_TMP/stack.txt")"
	r=$(port_field "$T_PORT" redirected)
	[ "$r" -ge 20 ] 2>/dev/null || t_fail "port counters: redirected $r, want >= 20"
	t_fastpath -j xsk stats "$T_DEV" >"$T_TMP/stats.json" || t_fail "xsk stats failed"
	[ "$(t_json "$T_TMP/stats.json" 'd[0]["sockets"][0]["mode"]')" = copy ] ||
		t_fail "xsk stats: $(cat "$T_TMP/stats.json")"
	[ "$(t_json "$T_TMP/stats.json" 'd[0]["sockets"][0]["pid"]')" = "$T_ECHO" ] ||
		t_fail "xsk stats names another pid: $(cat "$T_TMP/stats.json")"
}

case_other_ports_reach_the_stack() {
	lab
	other=$((T_PORT + 1))
	t_udp_listen "" "$other" "$T_TMP/stack.txt"
	echo_start "$T_PORT" --count
	t_udp_send "$T_NS" "$T_ADDR" "$other" "to-the-stack"
	t_wait 30 t_file_has "$T_TMP/stack.txt" "to-the-stack" ||
		t_fail "the stack did not get a datagram to an unsteered port"
	[ "$(echo_stop)" = 0 ] || t_fail "the socket got an unsteered datagram"
}

# Every datagram of a stream arrives once, in the socket or in the stack,
# while its port is removed and added again.
case_ports_removed_and_added_while_traffic_flows() {
	lab
	t_udp_listen "" "$T_PORT" "$T_TMP/stack.txt"
	echo_start "$T_PORT" --count
	ip netns exec "$T_NS" $UDP stream "$T_ADDR" "$T_PORT" 300 0.01 >"$T_TMP/sent.txt" &
	sender=$!
	t_res pid "$sender"
	sleep 0.8
	t_fp 0 xsk ports remove "$T_DEV" "$T_PORT"
	[ "$(port_field "$T_PORT" redirected)" = absent ] || t_fail "list still shows the port"
	sleep 0.8
	t_fp 0 xsk ports add "$T_DEV" "$T_PORT"
	wait "$sender"
	sleep 0.3
	xsk=$(echo_stop)
	stack=$(wc -l <"$T_TMP/stack.txt")
	[ "$(cat "$T_TMP/sent.txt")" = 300 ] || t_fail "sender: $(cat "$T_TMP/sent.txt")"
	[ "$xsk" -gt 0 ] && [ "$stack" -gt 0 ] ||
		t_fail "socket $xsk, stack $stack: want both > 0"
	[ $((xsk + stack)) = 300 ] || t_fail "socket $xsk + stack $stack != 300 sent"
}

# SIGKILL: the kernel empties the socket's slot; the port passes to the stack.
case_socket_closed_falls_back_to_stack() {
	lab
	t_udp_listen "" "$T_PORT" "$T_TMP/stack.txt"
	echo_start "$T_PORT"
	ip netns exec "$T_NS" $UDP echo "$T_ADDR" "$T_PORT" 3 >"$T_TMP/echoed.txt"
	[ "$(wc -l <"$T_TMP/echoed.txt")" = 3 ] || t_fail "not echoed before the kill"
	kill -KILL "$T_ECHO"
	t_wait 30 sh -c "! kill -0 $T_ECHO 2>/dev/null" || true
	wait "$T_ECHO" 2>/dev/null
	t_udp_send "$T_NS" "$T_ADDR" "$T_PORT" "after-close"
	t_wait 30 t_file_has "$T_TMP/stack.txt" "after-close" ||
		t_fail "the stack did not get the port's datagram after the socket closed"
	[ "$(port_field "$T_PORT" no_socket)" -ge 1 ] || t_fail "no_socket not counted"
	t_fastpath -j xsk stats "$T_DEV" >"$T_TMP/stats.json" || t_fail "xsk stats failed"
	[ "$(t_json "$T_TMP/stats.json" 'd[0]["sockets"][0]["alive"]')" = False ] ||
		t_fail "xsk stats: $(cat "$T_TMP/stats.json")"
}

# No pipeline on the interface: the echo runs on a plain UDP socket.
case_no_pipeline_falls_back_to_plain_socket() {
	t_topo
	T_PORT=$((20000 + $(t_rand 40000)))
	echo_start "$T_PORT"
	grep -q "socket mode" "$T_TMP/echo.out" || t_fail "not socket mode: $(cat "$T_TMP/echo.out")"
	grep -q "fastpath up" "$T_TMP/echo.out" || t_fail "no reason given: $(cat "$T_TMP/echo.out")"
	ip netns exec "$T_NS" $UDP echo "$T_ADDR" "$T_PORT" 5 >"$T_TMP/echoed.txt"
	[ "$(sort -u "$T_TMP/echoed.txt" | wc -l)" = 5 ] || t_fail "echoed: $(cat "$T_TMP/echoed.txt")"
}

case_cli_errors() {
	t_dummy
	t_fp 1 xsk ports list "$T_DEV"
	t_error_style
	t_stderr_has "fastpath up $T_DEV --stages xsk"
	t_fp 2 xsk ports add "$T_DEV" 0
	t_error_style
	t_fp 2 xsk ports add "$T_DEV" 53 --proto sctp
	t_error_style
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages xsk
	t_fp 0 xsk ports add "$T_DEV" 53 54 --proto udp,tcp
	[ "$(port_field 54 proto)" = udp,tcp ] || t_fail "proto: $(port_field 54 proto)"
	t_fp 0 xsk ports remove "$T_DEV" 53
	t_fp 1 xsk ports remove "$T_DEV" 53
	t_error_style
	t_stderr_has "not steered"
	# An edit is made whole or not at all: 54 stays while 55 is not steered.
	t_fp 1 xsk ports remove "$T_DEV" 54 55
	t_stderr_has "port 55 is not steered"
	[ "$(port_field 54 proto)" = udp,tcp ] || t_fail "a failed remove took port 54"
	t_fp 2 xsk ports remove "$T_DEV" 54 --proto tcp
	t_stderr_has "remove takes no --proto"
	t_fp 0 -j xsk ports add "$T_DEV" 60 61
	[ "$(t_json "$T_TMP/out" 'd["ports"]')" = "[60, 61]" ] || t_fail "-j add: $(cat "$T_TMP/out")"
	# Too many to fit: nothing is steered.
	t_fp 1 xsk ports add "$T_DEV" $(seq 1000 2030)
	t_stderr_has "nothing was steered"
	[ "$(port_field 1000 proto)" != udp ] || t_fail "a failed add steered port 1000"
	# The stage off: refused, not steered for nothing.
	t_fp 0 up "$T_DEV" --stages ports
	t_fp 1 xsk ports add "$T_DEV" 70
	t_stderr_has "fastpath up $T_DEV --stages xsk"
}

t_ok steered_port_arrives_through_af_xdp case_steered_port_arrives_through_af_xdp
t_ok other_ports_reach_the_stack case_other_ports_reach_the_stack
t_ok ports_removed_and_added_while_traffic_flows case_ports_removed_and_added_while_traffic_flows
t_ok socket_closed_falls_back_to_stack case_socket_closed_falls_back_to_stack
t_ok no_pipeline_falls_back_to_plain_socket case_no_pipeline_falls_back_to_plain_socket
t_ok cli_errors case_cli_errors
t_done
