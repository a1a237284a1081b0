#!/bin/sh
# Egress shaping on a veth lab, measured with iperf3 and ping: the limit
# held (goodput 93-100% of it), ping under load within latency_target, two
# classes sharing by their rates (kernel byte counters within 5%), line
# rate back after remove, bad input changing nothing, and a root qdisc
# replaced behind fastpath's back reported as gone.
. "$(dirname "$0")/lib.sh"
t_require
command -v iperf3 >/dev/null || t_skip_all "iperf3 is not installed"

LIMIT_MBIT=50

# shaped ARGS...: `fastpath shaper set T_DEV ARGS`, removed when the case ends.
shaped() {
	t_res shaper "$T_DEV"
	t_fp 0 shaper set "$T_DEV" "$@"
}

# iperf_server PORT: iperf3 in T_NS, for one test, in the background.
iperf_server() {
	ip netns exec "$T_NS" iperf3 -s -1 -p "$1" >/dev/null 2>&1 &
	t_res pid $!
	t_wait 30 sh -c "ip netns exec $T_NS ss -ltn | grep -q ':$1 '" ||
		t_fail "iperf3 did not listen on $1"
}

# goodput_mbit FILE: what the receiver got, from iperf3's JSON.
goodput_mbit() {
	t_json "$1" "int(d['end']['sum_received']['bits_per_second'] / 1e6)"
}

# iperf_to PORT SECONDS OUT [ARG...]: from the root namespace (out of
# T_DEV, so through the shaper) to T_NS, JSON into OUT.
iperf_to() {
	t_p=$1 t_s=$2 t_o=$3
	shift 3
	timeout -k 2 $((t_s + 10)) iperf3 -c "$T_PEER_ADDR" -p "$t_p" -t "$t_s" -J "$@" \
		>"$t_o" 2>&1 || t_fail "iperf3 to port $t_p failed: $(tail -n 3 "$t_o")"
}

case_limit_held() {
	t_topo
	shaped --rate ${LIMIT_MBIT}mbit --latency 50ms
	t_stdout_has "tbf"
	iperf_server 5201
	iperf_to 5201 3 "$T_TMP/i.json"
	g=$(goodput_mbit "$T_TMP/i.json")
	echo "# goodput $g Mbit/s at a ${LIMIT_MBIT} Mbit/s limit"
	# Headers take ~4% of a full frame: 93-100% of the limit.
	[ "$g" -ge $((LIMIT_MBIT * 93 / 100)) ] && [ "$g" -le "$LIMIT_MBIT" ] ||
		t_fail "goodput $g Mbit/s is not 93-100% of $LIMIT_MBIT"
}

case_ping_under_load() {
	t_topo
	shaped --rate ${LIMIT_MBIT}mbit --latency 50ms
	iperf_server 5201
	iperf_to 5201 4 "$T_TMP/i.json" -P 4 &
	t_load=$!
	sleep 1
	# Echo replies leave T_DEV, behind the bulk traffic in the queue.
	ip netns exec "$T_NS" ping -c 20 -i 0.1 -W 1 "$T_ADDR" >"$T_TMP/ping" 2>&1
	wait $t_load
	p90=$(sed -n 's/.*time=\([0-9.]*\) ms/\1/p' "$T_TMP/ping" | sort -n |
		awk '{v[NR]=$1} END {if (NR < 15) print "none"; else print int(v[int(NR*0.9)])}')
	echo "# ping under load: p90 $p90 ms, target 50 ms"
	[ "$p90" != none ] || t_fail "fewer than 15 of 20 pings answered"
	[ "$p90" -le 50 ] || t_fail "p90 $p90 ms is above the 50 ms latency target"
	g=$(goodput_mbit "$T_TMP/i.json")
	[ "$g" -ge $((LIMIT_MBIT * 90 / 100)) ] || t_fail "the load only reached $g Mbit/s"
}

case_classes_share() {
	t_topo
	shaped --rate ${LIMIT_MBIT}mbit --latency 50ms \
		--class "protocol=tcp,port=5201,rate=35mbit,priority=1" \
		--class "protocol=tcp,port=5202,rate=15mbit,priority=1"
	t_stdout_has "htb"
	iperf_server 5201
	iperf_server 5202
	iperf_to 5201 5 "$T_TMP/a.json" &
	t_a=$!
	iperf_to 5202 5 "$T_TMP/b.json" &
	t_b=$!
	sleep 1.5
	t_fp 0 -j shaper stats "$T_DEV" --interval 2
	cp "$T_TMP/out" "$T_TMP/stats.json"
	wait $t_a $t_b
	for c in 16:35 17:15; do
		id=$(( (0xfa57 << 16) | ${c%%:*} ))
		want=${c#*:}
		got=$(t_json "$T_TMP/stats.json" \
			"int(find('classid', int(a[0]))['measured_bps'] / 1e5)" "$id")
		echo "# class $(printf %x "$id"): $got x 100 kbit/s measured, $want Mbit/s configured"
		# The kernel's byte counters, so headers count: within 5%.
		[ "$got" -ge $((want * 10 * 95 / 100)) ] && [ "$got" -le $((want * 10 * 105 / 100)) ] ||
			t_fail "class $(printf %x "$id") ran at $got x 100 kbit/s, not $want Mbit/s +-5%"
	done
	[ -e "$T_PIN/shaper/$T_DEV/link" ] || t_fail "the classifier's link is not pinned"
}

case_remove_restores_line_rate() {
	t_topo
	shaped --rate ${LIMIT_MBIT}mbit --class "rate=10mbit"
	t_fp 0 shaper remove "$T_DEV"
	t_stdout_has "removed"
	tc qdisc show dev "$T_DEV" root | grep -q 'fa57:' && t_fail "our root qdisc is still there"
	[ -e "$T_PIN/shaper/$T_DEV" ] && t_fail "the classifier's pins are still there"
	iperf_server 5201
	iperf_to 5201 2 "$T_TMP/i.json"
	g=$(goodput_mbit "$T_TMP/i.json")
	echo "# goodput after remove: $g Mbit/s"
	[ "$g" -gt $((LIMIT_MBIT * 4)) ] || t_fail "only $g Mbit/s after remove"
	# Removing what is not there is no error.
	t_fp 0 shaper remove "$T_DEV"
}

case_bad_input_changes_nothing() {
	t_dummy
	shaped --rate ${LIMIT_MBIT}mbit
	before=$(tc qdisc show dev "$T_DEV" root)
	t_fp 2 shaper set "$T_DEV" --rate ${LIMIT_MBIT}mbit \
		--class "rate=40mbit" --class "rate=20mbit"
	t_stderr_has "add up to more than bandwidth_limit"
	t_error_style
	t_fp 2 shaper set "$T_DEV" --rate 10mbit --class "port=80,rate=1mbit"
	t_stderr_has "protocol"
	t_fp 2 shaper set "$T_DEV" --rate fast
	t_stderr_has "not a rate"
	t_fp 2 shaper set "$T_DEV" --rate 1gbit --latency 10us
	[ "$(tc qdisc show dev "$T_DEV" root)" = "$before" ] ||
		t_fail "the root qdisc changed: $(tc qdisc show dev "$T_DEV" root)"
}

case_replaced_behind_our_back() {
	t_dummy
	shaped --rate ${LIMIT_MBIT}mbit
	tc qdisc replace dev "$T_DEV" root pfifo || t_fail "tc could not replace the root"
	t_fp 1 shaper list "$T_DEV"
	t_stderr_has "no fastpath shaper"
}

case_missing_device() {
	t_fp 1 shaper set "${T_ID}zz" --rate 10mbit
	t_stderr_has "no interface"
	t_error_style
}

case_json_list() {
	t_dummy
	shaped --rate ${LIMIT_MBIT}mbit --class "protocol=udp,port=53,rate=1mbit"
	t_fp 0 -j shaper list "$T_DEV"
	# The root, the default class fa57:1 and the configured class fa57:10.
	[ "$(t_json "$T_TMP/out" "d[0]['mechanism'] + ' ' + ' '.join(c['class'] for c in d[0]['classes'])")" = \
	  "htb root fa57:1 fa57:10" ] ||
		t_fail "list -j does not show htb with the root, the default and the class"
}

# shaper_config FILE [CLASSES]: fastpathd on T_DEV (skb mode, no flows),
# shaping it at LIMIT_MBIT (with a class when CLASSES is given).
shaper_config() {
	cat >"$1" <<EOF
orchestrator:
  ebpf: {interface: $T_DEV, mode: skb}
  prometheus_port: 0
flows: {enabled: false}
shaper:
  - interface: $T_DEV
    bandwidth_limit: ${LIMIT_MBIT}mbit
    latency_target: 50ms
EOF
	[ -z "${2:-}" ] || cat >>"$1" <<EOF
    classes:
      - {match: {protocol: tcp, port: 5201}, rate: 20mbit, priority: 1}
EOF
}

root_is() {
	tc qdisc show dev "$T_DEV" root | grep -q "^qdisc $1 fa57: "
}

# daemon_alone: the daemon cases need the machine's one fastpathd.
daemon_alone() {
	if "$FP" -j status 2>/dev/null | grep -q '"running":true'; then
		t_skip "a fastpathd is already running on this machine"
	fi
}

case_daemon_applies_and_restores() {
	daemon_alone
	t_dummy
	t_res pipeline "$T_DEV"
	t_res shaper "$T_DEV"
	shaper_config "$T_TMP/c.yaml" classes
	t_daemon "$T_TMP/c.yaml"
	t_wait 30 root_is htb || t_fail "no htb root: $(tc qdisc show dev "$T_DEV")"
	t_wait 50 grep -q "shaper on $T_DEV: applied, htb" "$T_TMP/fastpathd.log" ||
		t_fail "not logged: $(cat "$T_TMP/fastpathd.log")"
	[ -e "$T_PIN/shaper/$T_DEV/link" ] || t_fail "the classifier is not attached"
	# Replaced behind fastpathd's back: put back within its check interval.
	tc qdisc replace dev "$T_DEV" root pfifo || t_fail "tc could not replace the root"
	t_wait 60 root_is htb || t_fail "not put back: $(tc qdisc show dev "$T_DEV")"
	# The line is written once the repair is done, just after the root shows.
	t_wait 50 grep -q "put back" "$T_TMP/fastpathd.log" ||
		t_fail "the repair is not logged: $(cat "$T_TMP/fastpathd.log")"
	# A reload without classes: TBF; without the section: the default back.
	shaper_config "$T_TMP/c.yaml"
	kill -HUP "$DPID"
	t_wait 30 root_is tbf || t_fail "reload did not switch to tbf"
	[ -e "$T_PIN/shaper/$T_DEV" ] && t_fail "the classifier's pins outlived its classes"
	sed -i '/^shaper:/,$d' "$T_TMP/c.yaml"
	kill -HUP "$DPID"
	t_wait 30 sh -c "! tc qdisc show dev $T_DEV root | grep -q fa57:" ||
		t_fail "the shaper outlived its section"
}

case_check_refuses_bad_shaper() {
	t_dummy
	shaper_config "$T_TMP/c.yaml"
	sed -i "s/bandwidth_limit: ${LIMIT_MBIT}mbit/bandwidth_limit: 5mbit/" "$T_TMP/c.yaml"
	echo "    classes: [{rate: 10mbit}]" >>"$T_TMP/c.yaml"
	before=$(tc qdisc show dev "$T_DEV" root)
	t_expect 1 "$T_BUILD/fastpathd" --check -c "$T_TMP/c.yaml"
	t_stderr_has "c.yaml:6: shaper[0]: classes[0].rate must be above 0 and at most bandwidth_limit"
	[ "$(tc qdisc show dev "$T_DEV" root)" = "$before" ] || t_fail "--check touched the qdisc"
}

t_ok shaper_tbf_holds_bandwidth_limit case_limit_held
t_ok shaper_ping_under_load_within_latency_target case_ping_under_load
t_ok shaper_two_classes_share_by_their_rates case_classes_share
t_ok shaper_remove_restores_line_rate case_remove_restores_line_rate
t_ok shaper_bad_input_changes_nothing case_bad_input_changes_nothing
t_ok shaper_root_replaced_behind_our_back_is_reported case_replaced_behind_our_back
t_ok shaper_missing_device_named case_missing_device
t_ok shaper_list_json_shows_mechanism_and_classes case_json_list
t_ok shaper_fastpathd_applies_restores_and_removes case_daemon_applies_and_restores
t_ok shaper_check_refuses_a_bad_section_by_line case_check_refuses_bad_shaper
t_done
