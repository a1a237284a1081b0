#!/bin/sh
# The firewall stage with real TCP, UDP and ICMP between namespaces: what
# a rule drops does not arrive, what it allows does, and the rule counters
# equal exactly what was sent.
. "$(dirname "$0")/lib.sh"
t_require

# fw_up: a lab with the pipeline and its firewall stage on T_DEV.
fw_up() {
	t_topo
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages firewall
	# Through before any rule, and the peer's ARP entry made: a ping a
	# rule then blocks is one that reached the program.
	t_ping_ok "before any rule"
}

# rules FILE LINE...: a firewall file with policy allow and these rules.
rules() {
	f=$1
	shift
	{
		echo "policy: ${POLICY:-allow}"
		echo "rules:"
		for r in "$@"; do
			echo "  - $r"
		done
	} >"$f"
}

# send_udp PORT N: N datagrams of 10 bytes from the namespace to T_ADDR.
send_udp() {
	ip netns exec "$T_NS" sh -c "for i in \$(seq $2); do
		printf 0123456789 | socat -u -t 0 - UDP4-SENDTO:$T_ADDR:$1; done"
}

# rule_count INDEX FIELD: a rule's counter on T_DEV.
rule_count() {
	"$FP" -j firewall list "$T_DEV" >"$T_TMP/fw.json"
	t_json "$T_TMP/fw.json" "find('index', $1)['$2']"
}

# dropped_and_counted PORT N RULE: N datagrams to PORT do not arrive, and
# rule RULE counted exactly N packets.
dropped_and_counted() {
	t_udp_listen "" "$1" "$T_TMP/rx$1"
	send_udp "$1" "$2"
	sleep 0.3
	[ ! -s "$T_TMP/rx$1" ] || t_fail "datagrams to port $1, which rule $3 drops, arrived"
	[ "$(rule_count "$3" packets)" = "$2" ] ||
		t_fail "rule $3 counted $(rule_count "$3" packets) packets, want $2"
}

tcp_connects() {
	printf hi | ip netns exec "$T_NS" timeout 3 socat -u - "TCP4:$T_ADDR:$1,connect-timeout=1" 2>/dev/null
}

case_udp_port_dropped_and_counted() {
	fw_up
	rules "$T_TMP/r.yaml" "{action: drop, protocol: udp, port: 7001}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	t_udp_listen "" 7001 "$T_TMP/rx1"
	t_udp_listen "" 7002 "$T_TMP/rx2"
	send_udp 7001 10
	send_udp 7002 5
	sleep 0.3
	[ ! -s "$T_TMP/rx1" ] || t_fail "datagrams to the dropped port arrived"
	got=$(wc -c <"$T_TMP/rx2")
	[ "$got" = 50 ] || t_fail "port 7002 received $got bytes, want 50"
	[ "$(rule_count 1 packets)" = 10 ] || t_fail "rule 1 counted $(rule_count 1 packets) packets, want 10"
	# 14 Ethernet + 20 IPv4 + 8 UDP + 10 payload.
	[ "$(rule_count 1 bytes)" = 520 ] || t_fail "rule 1 counted $(rule_count 1 bytes) bytes, want 520"
}

case_tcp_port_dropped() {
	fw_up
	timeout 10 socat -u TCP4-LISTEN:7003,reuseaddr,fork /dev/null &
	t_res pid $!
	timeout 10 socat -u TCP4-LISTEN:7004,reuseaddr,fork /dev/null &
	t_res pid $!
	sleep 0.3
	tcp_connects 7003 || t_fail "no TCP connection before any rule"
	rules "$T_TMP/r.yaml" "{action: drop, protocol: tcp, port: 7003}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	! tcp_connects 7003 || t_fail "TCP to the dropped port connected"
	tcp_connects 7004 || t_fail "TCP to another port did not connect"
}

case_icmp_dropped_then_flushed() {
	fw_up
	rules "$T_TMP/r.yaml" "{action: drop, protocol: icmp}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	t_ping_blocked "with icmp dropped"
	[ "$(rule_count 1 packets)" = 3 ] || t_fail "rule 1 counted $(rule_count 1 packets), want 3"
	t_fp 0 firewall flush "$T_DEV"
	t_ping_ok "after flush"
}

case_source_cidr_dropped() {
	fw_up
	rules "$T_TMP/r.yaml" "{action: drop, source_ip: $T_PEER_ADDR/32}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	t_ping_blocked "from a dropped source"
}

# Policy drop keeps ARP: the peer resolves T_ADDR afresh and the allowed
# ICMP still gets through, while UDP falls to the policy.
case_policy_drop_keeps_arp() {
	fw_up
	POLICY=drop rules "$T_TMP/r.yaml" "{action: allow, protocol: icmp}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	ip -n "$T_NS" neigh flush dev "$T_PEER"
	t_ping_ok "allowed by rule, with ARP resolved under policy drop"
	t_udp_listen "" 7005 "$T_TMP/rx"
	send_udp 7005 4
	sleep 0.3
	[ ! -s "$T_TMP/rx" ] || t_fail "UDP arrived under policy drop"
	"$FP" -j firewall list "$T_DEV" >"$T_TMP/fw.json"
	[ "$(t_json "$T_TMP/fw.json" 'd[0]["policy_packets"] >= 4')" = True ] ||
		t_fail "the policy counted fewer than 4 packets"
}

case_bad_file_changes_nothing() {
	fw_up
	rules "$T_TMP/r.yaml" "{action: drop, protocol: icmp}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	t_ping_blocked "with icmp dropped"
	rules "$T_TMP/bad.yaml" "{action: allow, protocol: udp}" "{action: drop, protocl: tcp}"
	t_fp 1 firewall check "$T_TMP/bad.yaml"
	t_stderr_has "bad.yaml:4:"
	t_stderr_has "did you mean 'protocol'"
	t_fp 1 firewall replace "$T_TMP/bad.yaml" "$T_DEV"
	t_ping_blocked "after a refused replace"
	[ "$(rule_count 1 packets)" = 6 ] || t_fail "counters changed: $(rule_count 1 packets), want 6"
}

case_counters_survive_replace() {
	fw_up
	rules "$T_TMP/r.yaml" "{action: drop, protocol: icmp}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	t_ping_blocked "with icmp dropped"
	rules "$T_TMP/r2.yaml" "{action: drop, protocol: udp, port: 7009}" "{action: drop, protocol: icmp}"
	t_fp 0 firewall replace "$T_TMP/r2.yaml" "$T_DEV"
	[ "$(rule_count 2 packets)" = 3 ] || t_fail "the unchanged rule restarted at $(rule_count 2 packets), want 3"
	[ "$(rule_count 1 packets)" = 0 ] || t_fail "the new rule starts at $(rule_count 1 packets), want 0"
}

case_add_and_delete() {
	fw_up
	t_fp 0 firewall add "$T_DEV" drop --protocol icmp
	t_ping_blocked "after add"
	t_fp 0 firewall add "$T_DEV" allow --source "$T_PEER_ADDR/32" --at 1
	t_ping_ok "with an allow inserted before the drop"
	t_fp 0 firewall delete "$T_DEV" 1
	t_ping_blocked "after deleting the allow"
	t_fp 2 firewall add "$T_DEV" drop --protocol tcpp
	t_stderr_has "protocol"
}

# xlated: the size of the XDP program on T_DEV, in bytes of BPF.
xlated() {
	id=$(bpftool -j net show dev "$T_DEV" | "$T_PY" -c \
		'import json,sys; print(json.load(sys.stdin)[0]["xdp"][0]["id"])')
	bpftool -j prog show id "$id" | "$T_PY" -c 'import json,sys; print(json.load(sys.stdin)["bytes_xlated"])'
}

# A pipeline is built for its stages: up with ports only, it has no
# firewall code; a rule set loaded into it rebuilds it in place with the
# firewall, which then drops and counts.
case_stage_added_to_a_pipeline_built_without_it() {
	t_topo
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages ports
	small=$(xlated)
	rules "$T_TMP/r.yaml" "{action: drop, protocol: udp, port: 7001}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	big=$(xlated)
	[ "$big" -gt $((small * 2)) ] ||
		t_fail "the program did not gain the firewall: $small -> $big bytes"
	dropped_and_counted 7001 10 1
	t_fp 0 up "$T_DEV" --stages ports
	[ "$(xlated)" = "$small" ] || t_fail "up with ports only kept the firewall's code: $(xlated) bytes"
}

# built NAME: the constant NAME of the program running on T_DEV (its
# .rodata, pinned as "built").
built() {
	bpftool -j map dump pinned "$T_PIN/pipeline/$T_DEV/built" 2>/dev/null |
		"$T_PY" -c 'import json,sys
for f in json.load(sys.stdin)[0]["formatted"]["value"][".rodata"]:
    if "'"$1"'" in f: print(f["'"$1"'"])'
}

# compiled_for: the stages the object running on T_DEV was compiled for.
compiled_for() { built fp_compiled; }

# The firewall alone runs the object compiled for it alone; with another
# stage, the one compiled for every stage; back to the firewall alone,
# its own object again (a reload, not the program built for more).
case_firewall_alone_runs_its_own_object() {
	t_topo
	t_res pipeline "$T_DEV"
	fw=$(( 1 << 2 ))   # FP_STAGE_BIT(FP_STAGE_FIREWALL), bpf/pipeline_abi.h
	t_fp 0 up "$T_DEV" --stages firewall
	[ "$(compiled_for)" = "$fw" ] || t_fail "firewall alone: compiled for $(compiled_for)"
	t_fp 0 up "$T_DEV" --stages firewall,ports
	c=$(compiled_for)
	[ -n "$c" ] && [ "$c" != "$fw" ] || t_fail "firewall and ports: compiled for '$c'"
	t_fp 0 up "$T_DEV" --stages firewall
	[ "$(compiled_for)" = "$fw" ] || t_fail "firewall alone again: compiled for $(compiled_for)"
	rules "$T_TMP/r.yaml" "{action: drop, protocol: udp, port: 7001}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	dropped_and_counted 7001 5 1
}

# A set of ten rule shapes (slots) on a program built for one (up with no
# set): the program is rebuilt for sixteen, the next power of two, before
# the set goes live, so the rule in the tenth slot drops; up with that set
# live keeps sixteen.
case_set_of_many_shapes_rebuilds_for_its_slots() {
	t_topo
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages firewall
	[ "$(built fp_fw_slots)" = 1 ] || t_fail "up built for $(built fp_fw_slots) slots, want 1"
	rules "$T_TMP/r.yaml" \
		"{action: allow, source_ip: 192.0.2.0/24, dest_ip: 198.51.100.0/24}" \
		"{action: allow, source_ip: 192.0.2.0/24, protocol: icmp}" \
		"{action: allow, dest_ip: 198.51.100.0/24, protocol: icmp}" \
		"{action: allow, source_ip: 192.0.2.0/24, protocol: udp, port: 9}" \
		"{action: allow, dest_ip: 198.51.100.0/24, protocol: udp, port: 9}" \
		"{action: allow, source_ip: 192.0.2.0/24, protocol: udp, port: 9-10}" \
		"{action: allow, protocol: udp, source_port: 9, port: 9}" \
		"{action: allow, protocol: udp, source_port: 9-10, port: 9}" \
		"{action: allow, source_ip: 192.0.2.0/24, dest_ip: 198.51.100.0/24, protocol: icmp}" \
		"{action: drop, dest_ip: $T_ADDR/32, protocol: udp, source_port: 1-65535, port: 7001}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	[ "$(built fp_fw_slots)" = 16 ] || t_fail "replace built for $(built fp_fw_slots) slots, want 16"
	dropped_and_counted 7001 5 10
	t_fp 0 up "$T_DEV" --stages firewall
	[ "$(built fp_fw_slots)" = 16 ] || t_fail "up with the set live built for $(built fp_fw_slots) slots"
}

# counters_room: the positions T_DEV's counters hold for one generation
# (fp_fw_counters: two entries a position).
counters_room() {
	bpftool -j map show pinned "$T_PIN/pipeline/$T_DEV/fw_counters" |
		"$T_PY" -c 'import json,sys; print(json.load(sys.stdin)["max_entries"] // 2)'
}

# A set of more rules than the counters have room for (up with no set:
# 1,024 positions) makes them again, larger, before it goes live: what a
# rule kept from the live set counted is carried across both the new map
# and the replace, and it goes on counting.
case_counters_grow_for_a_larger_set() {
	fw_up
	rules "$T_TMP/r.yaml" "{action: drop, protocol: udp, port: 7001}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	dropped_and_counted 7001 4 1
	[ "$(counters_room)" = 1024 ] || t_fail "up made room for $(counters_room) positions, want 1024"
	{
		echo "policy: allow"
		echo "rules:"
		echo "  - {action: drop, protocol: udp, port: 7001}"
		seq 20000 22999 | sed 's/.*/  - {action: drop, protocol: tcp, port: &}/'
	} >"$T_TMP/big.yaml"
	t_fp 0 firewall replace "$T_TMP/big.yaml" "$T_DEV"
	[ "$(counters_room)" = 4096 ] || t_fail "3,001 rules made room for $(counters_room), want 4096"
	[ "$(rule_count 1 packets)" = 4 ] || t_fail "the kept rule restarted at $(rule_count 1 packets), want 4"
	send_udp 7001 3
	[ "$(rule_count 1 packets)" = 7 ] || t_fail "the kept rule counted $(rule_count 1 packets), want 7"
	tcp_connects 22999 || :
	[ "$(rule_count 3001 packets)" -gt 0 ] || t_fail "the last of 3,001 rules counted no SYN"
}

# A set the stage cannot read (one an older build installed: that build
# had no fw_live; here the set's tables are taken out of it and its pin
# removed behind the library's back) is no set to the stage: what it
# dropped arrives, while the library still lists it. The next `fastpath
# up` installs it again from its own list: dropped again, its counts and
# its number (2: a rule for another interface comes first) kept.
case_set_out_of_live_renewed_by_up() {
	fw_up
	rules "$T_TMP/r.yaml" "{action: drop, protocol: udp, port: 7009, interface: fpnone0}" \
		"{action: drop, protocol: udp, port: 7001}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	dropped_and_counted 7001 3 2
	bpftool map delete pinned "$T_PIN/pipeline/$T_DEV/fw_live" key 0 0 0 0 ||
		t_fail "could not empty fw_live"
	rm "$T_PIN/pipeline/$T_DEV/fw_live"
	[ "$(rule_count 2 packets)" = 3 ] ||
		t_fail "without fw_live's pin the set lists rule 2 with $(rule_count 2 packets) packets, want 3"
	t_udp_listen "" 7001 "$T_TMP/rx_out"
	send_udp 7001 2
	sleep 0.3
	[ "$(wc -c <"$T_TMP/rx_out")" = 20 ] ||
		t_fail "with its tables out of fw_live the set still dropped: $(wc -c <"$T_TMP/rx_out") bytes arrived, want 20"
	t_fp 0 up "$T_DEV" --stages firewall
	bpftool map lookup pinned "$T_PIN/pipeline/$T_DEV/fw_live" key 0 0 0 0 >/dev/null 2>&1 ||
		t_fail "up left fw_live empty"
	: >"$T_TMP/rx_out"
	send_udp 7001 4
	sleep 0.3
	[ ! -s "$T_TMP/rx_out" ] || t_fail "datagrams to port 7001 arrived after up renewed the set"
	[ "$(rule_count 2 packets)" = 7 ] ||
		t_fail "rule 2 counted $(rule_count 2 packets) packets, want 7 (3 before, 4 after; renumbered?)"
}

# listed_numbers: the numbers `firewall list` shows for T_DEV's rules.
listed_numbers() {
	"$FP" -j firewall list "$T_DEV" >"$T_TMP/fw.json"
	t_json "$T_TMP/fw.json" "' '.join(str(o['index']) for o in get('rules'))"
}

# A set from a file keeps its rules' numbers (a rule for another
# interface leaves a gap), and delete takes the number the listing
# shows: rule 3 goes, not the rule in second place; there is no rule 1.
# The edited set is numbered by place.
case_delete_takes_the_listed_number() {
	fw_up
	rules "$T_TMP/r.yaml" "{action: drop, protocol: udp, port: 7009, interface: fpnone0}" \
		"{action: drop, protocol: udp, port: 7001}" "{action: drop, protocol: udp, port: 7002}"
	t_fp 0 firewall replace "$T_TMP/r.yaml" "$T_DEV"
	[ "$(listed_numbers)" = "2 3" ] || t_fail "the set lists rules $(listed_numbers), want 2 3"
	t_fp 1 firewall delete "$T_DEV" 1
	t_stderr_has "no rule 1"
	[ "$(listed_numbers)" = "2 3" ] || t_fail "a failed delete left rules $(listed_numbers), want 2 3"
	t_fp 0 firewall delete "$T_DEV" 3
	[ "$(listed_numbers)" = "1" ] || t_fail "after delete 3 the set lists $(listed_numbers), want 1"
	dropped_and_counted 7001 2 1
	t_udp_listen "" 7002 "$T_TMP/rx_out"
	send_udp 7002 2
	sleep 0.3
	[ "$(wc -c <"$T_TMP/rx_out")" = 20 ] ||
		t_fail "rule 3 (port 7002) still dropped after its delete: $(wc -c <"$T_TMP/rx_out") bytes arrived, want 20"
}

t_ok firewall_drops_udp_port_and_counts_exactly case_udp_port_dropped_and_counted
t_ok firewall_drops_tcp_port_only case_tcp_port_dropped
t_ok firewall_drops_icmp_until_flush case_icmp_dropped_then_flushed
t_ok firewall_drops_source_cidr case_source_cidr_dropped
t_ok firewall_policy_drop_keeps_arp case_policy_drop_keeps_arp
t_ok firewall_bad_file_changes_nothing case_bad_file_changes_nothing
t_ok firewall_counters_survive_replace case_counters_survive_replace
t_ok firewall_add_and_delete_from_cli case_add_and_delete
t_ok firewall_delete_takes_the_listed_number case_delete_takes_the_listed_number
t_ok firewall_rebuilds_a_pipeline_built_without_it case_stage_added_to_a_pipeline_built_without_it
t_ok firewall_alone_runs_its_own_object case_firewall_alone_runs_its_own_object
t_ok firewall_set_of_many_shapes_rebuilds_for_its_slots case_set_of_many_shapes_rebuilds_for_its_slots
t_ok firewall_counters_grow_for_a_larger_set case_counters_grow_for_a_larger_set
t_ok firewall_set_out_of_live_renewed_by_up case_set_out_of_live_renewed_by_up
t_done
