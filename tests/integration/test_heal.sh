#!/bin/sh
# fastpathd heals what it applied: a pipeline taken down behind its back
# is attached again; pins removed are pinned again on the same maps
# (counters kept); an interface deleted and created again under its name
# gets its pipeline back, and DHCP serves on it again: a new client gets
# a lease and a known one is renewed by the fast path; bpffs unmounted
# (in the daemon's own mount namespace) is mounted again and the
# pipeline pinned and attached there. Each repair is logged and counted
# (fastpath_repairs_total); `fastpath status` says what is wrong while it
# is; an alert runs the alerts.exec hook once, with the alert as JSON.
. "$(dirname "$0")/lib.sh"
t_require_daemon

# config FILE DEV [EXTRA...]: DEV in auto mode, metrics off; each EXTRA
# is a top-level line (orchestrator keys go in ORCH).
config() {
	f=$1
	dev=$2
	shift 2
	cat >"$f" <<EOF
orchestrator:
  ebpf: {interface: $dev, mode: auto}
  prometheus_port: 0
  monitoring_interval: ${ORCH_INTERVAL:-10s}
EOF
	for line in "$@"; do
		echo "$line" >>"$f"
	done
}

# logged TEXT: fastpathd's log holds TEXT (fixed string).
logged() {
	grep -qF -- "$1" "$T_TMP/fastpathd.log"
}

# wait_logged TEXT: within 10 s.
wait_logged() {
	t_wait 100 logged "$1" || t_fail "not logged: \"$1\": $(cat "$T_TMP/fastpathd.log")"
}

attached() {
	[ "$(t_xdp_mode "$T_DEV")" != none ] && "$FP" stats "$T_DEV" >/dev/null 2>&1
}

# repairs WHAT: fastpath_repairs_total{what="WHAT"} as `fastpath metrics` says.
repairs() {
	"$FP" metrics 2>/dev/null | sed -n "s/^fastpath_repairs_total{what=\"$1\"} //p"
}

# map_id PIN: the id of the map pinned at PIN ("" when none).
map_id() {
	bpftool -j map show pinned "$1" 2>/dev/null | "$T_PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null
}

status_clean() {
	"$FP" -j status >"$T_TMP/st.json" 2>/dev/null &&
	[ "$(t_json "$T_TMP/st.json" 'get("problems")')" = "[]" ] &&
	[ "$(t_json "$T_TMP/st.json" 'get("repairing")')" = False ]
}

# ---- cases --------------------------------------------------------------------

# A pipeline taken down or unpinned changes no link a netlink event would
# tell of (the veth peer's is in T_NS): the periodic check finds it.
case_down_behind_back() {
	t_topo
	t_res pipeline "$T_DEV"
	ORCH_INTERVAL=1s config "$T_TMP/c.yaml" "$T_DEV"
	t_daemon "$T_TMP/c.yaml"
	t_wait 50 attached || t_fail "fastpathd attached nothing"
	before=$(repairs attach)
	t_fp 0 down "$T_DEV"
	"$FP" status "$T_DEV" >"$T_TMP/st.txt" 2>&1
	grep -qF "$T_DEV: pipeline missing" "$T_TMP/st.txt" || attached ||
		t_fail "status does not say the pipeline is missing: $(cat "$T_TMP/st.txt")"
	t_wait 50 attached || t_fail "not attached again: $(cat "$T_TMP/fastpathd.log")"
	wait_logged "repaired (attach): pipeline on $T_DEV"
	t_wait 30 sh -c "[ \"\$(\"$FP\" metrics | sed -n 's/^fastpath_repairs_total{what=\"attach\"} //p')\" -gt ${before:-0} ]" ||
		t_fail "fastpath_repairs_total{what=\"attach\"} did not grow from ${before:-0}"
	t_ping_ok "through the repaired pipeline"
	t_wait 30 status_clean || t_fail "status: $(cat "$T_TMP/st.json")"
}

case_pins_removed() {
	t_topo
	t_res pipeline "$T_DEV"
	ORCH_INTERVAL=1s config "$T_TMP/c.yaml" "$T_DEV"
	t_daemon "$T_TMP/c.yaml"
	t_wait 50 attached || t_fail "fastpathd attached nothing"
	dir=$T_PIN/pipeline/$T_DEV
	stats=$(map_id "$dir/stats")
	[ -n "$stats" ] || t_fail "no stats map pinned in $dir"
	# One pin: put back, the link untouched.
	rm -f "$dir/stats"
	t_wait 150 test -e "$dir/stats" || t_fail "$dir/stats not pinned again"
	[ "$(map_id "$dir/stats")" = "$stats" ] || t_fail "stats is another map now"
	wait_logged "repaired (pin): pipeline on $T_DEV: 1 pins were gone"
	# All of them, the link too: detached; pinned and attached again on
	# the same maps, so the counters go on.
	t_ping_ok "before the pins go"
	pass=$("$FP" -j stats "$T_DEV" | "$T_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["counters"]["pipeline"]["pass"]["packets"])')
	[ "${pass:-0}" -gt 0 ] || t_fail "the pipeline counted no packet"
	rm -rf "$dir"
	t_wait 50 attached || t_fail "not attached again: $(cat "$T_TMP/fastpathd.log")"
	[ "$(map_id "$dir/stats")" = "$stats" ] || t_fail "stats is another map after the re-attach"
	now=$("$FP" -j stats "$T_DEV" | "$T_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["counters"]["pipeline"]["pass"]["packets"])')
	[ "${now:-0}" -ge "$pass" ] || t_fail "the counters started over: $now < $pass"
	t_ping_ok "after the repair"
}

# The configured rule set flushed, then edited, behind the daemon's back:
# the periodic check (which reads only the set's size and policy) finds
# each and installs the configuration's set again.
case_firewall_changed() {
	t_topo
	t_res pipeline "$T_DEV"
	ORCH_INTERVAL=1s config "$T_TMP/c.yaml" "$T_DEV" "firewall:" "  policy: allow" \
		"  rules:" "    - {action: drop, protocol: icmp}"
	t_daemon "$T_TMP/c.yaml"
	t_wait 50 attached || t_fail "fastpathd attached nothing"
	t_ping_blocked "with the configured rule"
	t_fp 0 firewall flush "$T_DEV"
	wait_logged "repaired (firewall): firewall on $T_DEV"
	t_ping_blocked "after the flush was repaired"
	: >"$T_TMP/fastpathd.log"
	t_fp 0 firewall add "$T_DEV" allow --protocol icmp --at 1
	wait_logged "repaired (firewall): firewall on $T_DEV"
	t_ping_blocked "after the added rule was repaired"
	"$FP" firewall list "$T_DEV" >"$T_TMP/fw.txt"
	[ "$(grep -c icmp "$T_TMP/fw.txt")" -eq 1 ] || t_fail "not the configured set: $(cat "$T_TMP/fw.txt")"
}

# A rule for another interface is not in this interface's set, and the
# periodic check does not take the set for changed: no repair in four
# checks, and the log counts the rules the interface has.
case_firewall_scoped_rule_not_repaired() {
	t_topo
	t_res pipeline "$T_DEV"
	dev2=${T_CASE}x
	t_res link "$dev2"
	t_res pipeline "$dev2"
	ip link add "$dev2" type veth peer name "${T_CASE}y" || t_fail "ip link add $dev2 failed"
	ip link set "$dev2" up
	ORCH_INTERVAL=1s config "$T_TMP/c.yaml" "$T_DEV" "firewall:" "  policy: allow" \
		"  rules:" "    - {action: drop, protocol: icmp}" \
		"    - {action: drop, protocol: udp, port: 7009, interface: $dev2}"
	sed -i "s/ebpf: {interface: $T_DEV,/ebpf: {interfaces: [$T_DEV, $dev2],/" "$T_TMP/c.yaml"
	t_daemon "$T_TMP/c.yaml"
	t_wait 50 attached || t_fail "fastpathd attached nothing"
	wait_logged "firewall on $T_DEV: 1 rules"
	t_ping_blocked "with the configured rule"
	sleep 4
	! logged "repaired (firewall): firewall on $T_DEV" ||
		t_fail "the set was repaired: $(grep repaired "$T_TMP/fastpathd.log")"
}

# ---- the interface deleted and created again, with DHCP ---------------------

# DHCP on T_DEV as test_dhcp.sh's lab: pool .100-.199, clients in T_NS,
# XDP on the peer (XDP_TX on a native veth needs it).
dhcp_lab() {
	t_topo_dhcp
	t_res pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV" "flows: {enabled: false}" "dhcp:" \
		"  interface: $T_DEV" "  server_id: $T_ADDR" "  lease_file: $T_TMP/leases" \
		"  pools:" \
		"    - {subnet: $NET.0/24, range: $NET.100-$NET.199, router: $T_ADDR, lease_time: 1m}"
	t_daemon "$T_TMP/c.yaml"
	t_wait 50 sh -c "\"$FP\" dhcp stats $T_DEV >/dev/null 2>&1" || t_fail "no DHCP stage"
	cat >"$T_TMP/udhcpc.sh" <<EOF
#!/bin/sh
case \$1 in
bound|renew) ip addr replace "\$ip/\$mask" dev "\$interface" ;;
deconfig) ip addr flush dev "\$interface" ;;
esac
echo "\$1 \${ip:-}" >>"$T_TMP/events"
EOF
	chmod +x "$T_TMP/udhcpc.sh"
}

counter() {
	"$FP" -j dhcp stats "$T_DEV" >"$T_TMP/dstats.json" 2>/dev/null
	t_json "$T_TMP/dstats.json" 'd["counters"][a[0]]' "$1"
}

counter_above() {
	[ "$(counter "$1")" -gt "$2" ] 2>/dev/null
}

has_ip() {
	ip -n "$T_NS" -4 -o addr show dev "$T_PEER" | grep -q inet
}

# known_client: a long-lived udhcpc with a fixed client identifier (the
# lease's key survives a new MAC), its pid in UPID, bound.
known_client() {
	: >"$T_TMP/events"
	ip netns exec "$T_NS" udhcpc -f -i "$T_PEER" -s "$T_TMP/udhcpc.sh" -t 5 -T 1 -A 1 \
		-C -x 0x3d:0102000000c0de >"$T_TMP/udhcpc.log" 2>&1 &
	UPID=$!
	t_res pid "$UPID"
	t_wait 100 has_ip || t_fail "udhcpc got no lease: $(cat "$T_TMP/udhcpc.log")"
}

# recreate: T_DEV and T_PEER deleted and made again under their names.
recreate() {
	ip link del "$T_DEV" || t_fail "ip link del $T_DEV failed"
	t_wait 50 logged "alert interface_missing on $T_DEV" ||
		t_fail "no alert for the deleted interface: $(cat "$T_TMP/fastpathd.log")"
	"$FP" status >"$T_TMP/st.txt" 2>&1
	grep -qF "$T_DEV: interface gone" "$T_TMP/st.txt" || t_fail "status: $(cat "$T_TMP/st.txt")"
	ip link add "$T_DEV" type veth peer name "$T_PEER" netns "$T_NS" &&
	ip -n "$T_NS" link set dev "$T_PEER" xdp obj "$T_PROGS/xdp_pass.bpf.o" sec xdp &&
	ip addr add "$T_ADDR/24" dev "$T_DEV" &&
	ip link set "$T_DEV" up &&
	ip -n "$T_NS" link set "$T_PEER" up || t_fail "re-creating $T_DEV failed"
}

case_recreated_interface() {
	command -v udhcpc >/dev/null || t_skip "udhcpc not installed"
	dhcp_lab
	known_client
	kill "$UPID"
	wait "$UPID" 2>/dev/null
	recreate
	t_wait 50 attached || t_fail "no pipeline on the new $T_DEV: $(cat "$T_TMP/fastpathd.log")"
	wait_logged "repaired (dhcp_sockets): dhcp on $T_DEV"
	# A new client: a lease from the server on the new interface.
	t_run ip netns exec "$T_NS" udhcpc -q -n -i "$T_PEER" -s /bin/true -t 5 -T 1 -A 1 \
		-C -x 0x3d:0102000000beef
	grep -q "lease of $NET.1[0-9][0-9] obtained" "$T_TMP/err" "$T_TMP/out" ||
		t_fail "a new client got no lease on the re-created interface"
	# The known client again: bound, then renewed by the fast path.
	known_client
	acks=$(counter fast_ack)
	slow=$(counter slow_ack)
	sleep 1.1
	kill -USR1 "$UPID"
	t_wait 100 counter_above fast_ack "$acks" ||
		t_fail "the renewal was not answered by the fast path: $(cat "$T_TMP/dstats.json")"
	[ "$(counter slow_ack)" = "$slow" ] || t_fail "the slow path answered the renewal too"
	t_wait 30 status_clean || t_fail "status: $(cat "$T_TMP/st.json")"
}

# ---- bpffs unmounted ----------------------------------------------------------

# in_ns CMD...: CMD in the daemon's mount namespace.
in_ns() {
	nsenter -t "$DPID" -m "$@"
}

case_bpffs_unmounted() {
	command -v nsenter >/dev/null || t_skip "no nsenter"
	t_topo
	t_res link "$T_DEV"
	ORCH_INTERVAL=1s config "$T_TMP/c.yaml" "$T_DEV"
	# fastpathd in a mount namespace of its own, on a bpffs of its own:
	# what it pins there goes when it exits.
	unshare -m --propagation private sh -c 'while mountpoint -q /sys/fs/bpf; do
		umount -l /sys/fs/bpf || exit 1; done
		mount -t bpf bpf /sys/fs/bpf && exec "$0" -c "$1"' \
		"$FPD" "$T_TMP/c.yaml" 2>>"$T_TMP/fastpathd.log" &
	DPID=$!
	t_res pid "$DPID"
	t_wait 50 t_daemon_ready || t_fail "fastpathd did not start: $(cat "$T_TMP/fastpathd.log")"
	t_wait 50 in_ns test -e "$T_PIN/pipeline/$T_DEV/link" || t_fail "nothing pinned"
	[ -e "$T_PIN/pipeline/$T_DEV" ] && t_fail "the pins are not private to the daemon"
	# The daemon may still hold a pin or its lock open (it finishes its
	# start after the link is pinned; slower under ASan): busy for a
	# moment, not refused.
	t_wait 50 in_ns umount /sys/fs/bpf 2>/dev/null ||
		t_fail "cannot unmount bpffs in the daemon's namespace"
	wait_logged "repaired (bpffs): bpffs was not mounted"
	t_wait 50 in_ns test -e "$T_PIN/pipeline/$T_DEV/link" || t_fail "not pinned again"
	wait_logged "repaired (pin): pipeline on $T_DEV"
	t_wait 50 sh -c "[ \"\$(ip link show dev $T_DEV | grep -c xdp)\" -gt 0 ]" ||
		t_fail "$T_DEV has no XDP program after the repair"
	t_ping_ok "through the pipeline after bpffs came back"
}

# ---- alerts -------------------------------------------------------------------

# hooked: the hook was given an interface_missing alert.
hooked() {
	grep -qF '"alert":"interface_missing"' "$T_TMP/alerts" 2>/dev/null
}

case_alert_hook() {
	t_dummy
	t_res pipeline "$T_DEV"
	cat >"$T_TMP/hook" <<EOF
#!/bin/sh
cat >>"$T_TMP/alerts"
EOF
	chmod +x "$T_TMP/hook"
	config "$T_TMP/c.yaml" "$T_DEV" "alerts: {exec: $T_TMP/hook, min_interval: 1m}"
	t_daemon "$T_TMP/c.yaml"
	t_wait 50 attached || t_fail "fastpathd attached nothing"
	ip link del "$T_DEV"
	t_wait 50 hooked || t_fail "the hook did not run: $(cat "$T_TMP/fastpathd.log")"
	grep -F '"alert":"interface_missing"' "$T_TMP/alerts" | head -n1 >"$T_TMP/alert.json"
	[ "$(t_json "$T_TMP/alert.json" 'd["subject"]')" = "$T_DEV" ] &&
	[ "$(t_json "$T_TMP/alert.json" 'd["pid"]')" = "$DPID" ] ||
		t_fail "the hook got: $(cat "$T_TMP/alerts")"
	"$FP" metrics >"$T_TMP/m"
	grep -qx 'fastpath_alerts_active{alert="interface_missing"} 1' "$T_TMP/m" ||
		t_fail "no active alert in the metrics: $(grep alert "$T_TMP/m")"
	# Back, then gone again within min_interval: logged, not run again.
	ip link add "$T_DEV" type veth peer name "${T_CASE}e" && ip link set "$T_DEV" up
	t_wait 50 logged "alert interface_missing on $T_DEV: cleared" || t_fail "not cleared"
	t_wait 50 attached || t_fail "not attached to the new $T_DEV"
	ip link del "$T_DEV"
	t_wait 50 sh -c "[ \$(grep -c 'alert interface_missing on $T_DEV:' $T_TMP/fastpathd.log) -ge 3 ]" ||
		t_fail "the second alert was not logged: $(cat "$T_TMP/fastpathd.log")"
	sleep 0.5
	[ "$(grep -c '"alert":"interface_missing"' "$T_TMP/alerts")" -eq 1 ] ||
		t_fail "the hook ran again within min_interval: $(cat "$T_TMP/alerts")"
	"$FP" metrics >"$T_TMP/m"
	grep -qx 'fastpath_alerts_total{alert="interface_missing"} 2' "$T_TMP/m" ||
		t_fail "alerts_total: $(grep alerts_total "$T_TMP/m")"
}

case_check_refuses_bad_settings() {
	t_dummy
	config "$T_TMP/c.yaml" "$T_DEV" "alerts: {exec: $T_TMP/no-such-hook}"
	sed -i 's/monitoring_interval: .*/monitoring_interval: often/' "$T_TMP/c.yaml"
	t_expect 1 "$FPD" --check -c "$T_TMP/c.yaml"
	t_stderr_has "c.yaml:4: orchestrator.monitoring_interval: 'often' is not a duration"
	t_stderr_has "alerts.exec: $T_TMP/no-such-hook: no such file"
}

t_ok heal_pipeline_taken_down_is_attached_again_and_logged case_down_behind_back
t_ok heal_pins_removed_are_pinned_again_on_the_same_maps case_pins_removed
t_ok heal_firewall_changed_behind_back_is_installed_again case_firewall_changed
t_ok heal_firewall_rule_for_another_interface_is_no_change case_firewall_scoped_rule_not_repaired
t_ok heal_recreated_interface_gets_pipeline_and_dhcp_back case_recreated_interface
t_ok heal_bpffs_unmounted_is_mounted_and_pinned_again case_bpffs_unmounted
t_ok heal_alert_runs_hook_once_per_min_interval case_alert_hook
t_ok heal_check_refuses_bad_interval_and_missing_hook case_check_refuses_bad_settings
t_done
