#!/bin/sh
# fastpath ports: the registry's answers and errors, and the counts that
# xdp_port_count keeps for registered ports from real traffic.
#
# The registry is one pair of pinned maps shared by every user of this
# machine, so a case only ever looks at its own entries: ports chosen at
# random among the free ones, and pids of processes it started.
. "$(dirname "$0")/lib.sh"
t_require

# t_handler: a process to register ports to (T_PID), ended with the case.
t_handler() {
	sleep 60 &
	T_PID=$!
	t_res pid "$T_PID"
}

# t_mine PID...: this case's registry entries ("port pid" lines, sorted)
# among those in `fastpath -j ports list`.
t_mine() {
	t_fastpath -j ports list >"$T_TMP/list.json" 2>"$T_TMP/list.err" ||
		t_fail "fastpath -j ports list failed: $(cat "$T_TMP/list.err")"
	t_json "$T_TMP/list.json" \
		'"\n".join(sorted("%s %s" % (o["port"], o["pid"]) for o in d if str(o.get("pid")) in a))' "$@"
}

# t_lookup PORT FIELD: one field of `fastpath -j ports lookup PORT`.
t_lookup() {
	t_fastpath -j ports lookup "$1" >"$T_TMP/lookup.json" 2>"$T_TMP/lookup.err" || {
		echo "lookup failed: $(cat "$T_TMP/lookup.err")"
		return 0
	}
	t_json "$T_TMP/lookup.json" 'get(a[0])' "$2"
}

case_roundtrip() {
	t_handler
	t_free_port
	t_fp 0 ports register "$T_PORT" --pid "$T_PID"
	[ "$(t_lookup "$T_PORT" pid)" = "$T_PID" ] || t_fail "lookup: pid $(t_lookup "$T_PORT" pid), want $T_PID"
	[ "$(t_lookup "$T_PORT" packets)" = 0 ] || t_fail "lookup: packets $(t_lookup "$T_PORT" packets), want 0"
	[ "$(t_mine "$T_PID")" = "$T_PORT $T_PID" ] || t_fail "list shows: $(t_mine "$T_PID")"
	t_fp 0 ports unregister "$T_PORT"
	t_fp 1 ports lookup "$T_PORT"
	t_error_style
	t_stderr_has "not registered"
	[ -z "$(t_mine "$T_PID")" ] || t_fail "list still shows: $(t_mine "$T_PID")"
}

# bad_port PORT: refused as a usage error; the registry gets nothing.
bad_port() {
	t_handler
	t_fp 2 ports register "$1" --pid "$T_PID"
	t_error_style
	t_stderr_has "port"
	t_stderr_has "$1"
	[ -z "$(t_mine "$T_PID")" ] || t_fail "list shows: $(t_mine "$T_PID")"
}
case_port_zero() { bad_port 0; }
case_port_65536() { bad_port 65536; }
case_port_word() { bad_port http; }

case_missing_pid() {
	t_free_port
	sh -c 'exit 0' &
	pid=$!
	wait "$pid"
	kill -0 "$pid" 2>/dev/null && t_skip "pid $pid was reused at once"
	t_fp 1 ports register "$T_PORT" --pid "$pid"
	t_error_style
	t_stderr_has "$pid"
	t_fp 1 ports lookup "$T_PORT"
}

case_registered_twice() {
	t_handler
	first=$T_PID
	t_handler
	t_free_port
	t_fp 0 ports register "$T_PORT" --pid "$first"
	t_fp 1 ports register "$T_PORT" --pid "$T_PID"
	t_error_style
	t_stderr_has "already registered"
	[ "$(t_mine "$first" "$T_PID")" = "$T_PORT $first" ] ||
		t_fail "list shows: $(t_mine "$first" "$T_PID"), want $T_PORT $first"
}

case_unregister_unknown() {
	t_free_port
	t_fp 1 ports unregister "$T_PORT"
	t_error_style
	t_stderr_has "$T_PORT"
}

# t_send_udp N PORT: N datagrams of 10 bytes from the namespace to T_ADDR,
# 52 bytes each on the wire (Ethernet 14 + IPv4 20 + UDP 8 + 10).
t_send_udp() {
	i=0
	while [ $i -lt "$1" ]; do
		t_udp_send "$T_NS" "$T_ADDR" "$2" 0123456789 || t_fail "sending to port $2 failed"
		i=$((i + 1))
	done
}

t_packets_are() {
	[ "$(t_lookup "$1" packets)" = "$2" ]
}

# t_port_count_attached: xdp_port_count on T_DEV.
t_port_count_attached() {
	t_topo
	t_load "$T_EXAMPLES/xdp_port_count.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV"
}

# N datagrams to a registered port: lookup counts exactly N packets and
# their bytes; datagrams to another port are not counted on it.
case_counts() {
	t_handler
	t_free_port
	t_port_count_attached
	t_fp 0 ports register "$T_PORT" --pid "$T_PID"
	t_send_udp 2 $((T_PORT + 1))
	t_send_udp 5 "$T_PORT"
	t_wait 20 t_packets_are "$T_PORT" 5 ||
		t_fail "lookup: packets $(t_lookup "$T_PORT" packets), want 5"
	[ "$(t_lookup "$T_PORT" bytes)" = 260 ] ||
		t_fail "lookup: bytes $(t_lookup "$T_PORT" bytes), want 5 * 52 = 260"
}

# --addr: only datagrams to that destination count.
case_counts_addr() {
	t_handler
	t_free_port
	t_port_count_attached
	t_fp 0 ports register "$T_PORT" --pid "$T_PID" --addr "$T_ADDR"
	other=$T_PORT
	t_free_port
	t_fp 0 ports register "$T_PORT" --pid "$T_PID" --addr 10.199.0.1
	t_send_udp 3 "$other"
	t_send_udp 3 "$T_PORT"
	t_wait 20 t_packets_are "$other" 3 ||
		t_fail "port $other for $T_ADDR: packets $(t_lookup "$other" packets), want 3"
	[ "$(t_lookup "$T_PORT" packets)" = 0 ] ||
		t_fail "port $T_PORT for 10.199.0.1: packets $(t_lookup "$T_PORT" packets), want 0"
}

# t_foreign_registry ARG...: run `fastpath ARG...` (via t_run) in a private
# mount namespace with its own bpffs, where the registry's pins are maps of
# another layout (the hash maps of an older fastpath: key 2 bytes). The
# machine's real registry is not touched.
t_foreign_registry() {
	for tool in unshare bpftool; do
		command -v $tool >/dev/null 2>&1 || t_skip "$tool not installed"
	done
	t_run unshare -m --propagation private sh -c '
		mount -t bpf bpf /sys/fs/bpf || exit 90
		m=/sys/fs/bpf/fastpath/maps
		mkdir -p $m &&
		bpftool map create $m/fp_ports type hash key 2 value 16 \
			entries 65536 name fp_ports &&
		bpftool map create $m/fp_port_stats type percpu_hash key 2 \
			value 16 entries 65536 name fp_port_stats || exit 90
		exec "$@"' sh "$FP" "$@"
	[ "$T_RC" -ne 90 ] || t_skip "cannot make a private bpffs: $(cat "$T_TMP/err")"
}

# A registry left by another fastpath: refused, and the error names the
# pinned map to remove, rather than a bare errno or a wrong answer.
foreign_layout() {
	t_foreign_registry "$@"
	[ "$T_RC" -eq 1 ] || t_fail "expected exit 1, got $T_RC"
	t_error_style
	t_stderr_has "maps/fp_ports"
}
case_foreign_register() {
	sleep 60 &
	t_res pid $!
	foreign_layout ports register 40000 --pid $!
}
case_foreign_list() { foreign_layout ports list; }

t_ok ports_register_lookup_list_unregister case_roundtrip
t_ok ports_register_port_0_exits_2 case_port_zero
t_ok ports_register_port_65536_exits_2 case_port_65536
t_ok ports_register_non_numeric_port_exits_2 case_port_word
t_ok ports_register_missing_pid_fails case_missing_pid
t_ok ports_register_twice_says_already_registered case_registered_twice
t_ok ports_unregister_unknown_port_fails case_unregister_unknown
t_ok ports_count_udp_datagrams_to_registered_port case_counts
t_ok ports_count_only_to_registered_address case_counts_addr
t_ok ports_register_refuses_foreign_registry_layout case_foreign_register
t_ok ports_list_refuses_foreign_registry_layout case_foreign_list
t_done
