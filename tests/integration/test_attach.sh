#!/bin/sh
# fastpath attach / detach / unload with real traffic: XDP in each mode, TC
# in each direction, cgroup_skb, sk_lookup; what stays pinned and what goes.
# Traffic goes from the test namespace into T_DEV (the root-namespace end
# that fastpath manages) unless a case says otherwise.
. "$(dirname "$0")/lib.sh"
t_require

# xdp_drops_icmp_until_detach MODE: ping fails while xdp_drop_icmp is
# attached in MODE, works again after detach, and no XDP is left.
xdp_drops_icmp_until_detach() {
	t_topo
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV" --mode "$1"
	t_ping_blocked "while attached in $1 mode"
	t_fp 0 detach "$T_NAME" "$T_DEV"
	t_no_xdp "$T_DEV"
	t_ping_ok "after detach"
}

# xdp_mode_reported MODE|"" WANT: attach in MODE (default when empty); the
# CLI says it got WANT and the kernel agrees.
xdp_mode_reported() {
	t_topo
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	if [ -n "$1" ]; then
		t_fp 0 attach "$T_NAME" "$T_DEV" --mode "$1"
	else
		t_fp 0 attach "$T_NAME" "$T_DEV"
	fi
	t_stdout_has "$2 mode"
	got=$(t_xdp_mode "$T_DEV")
	[ "$got" = "$2" ] || t_fail "ip link shows XDP mode $got, want $2"
}

case_xdp_native() { xdp_drops_icmp_until_detach native; }
case_xdp_skb() { xdp_drops_icmp_until_detach skb; }
case_xdp_native_reported() { xdp_mode_reported native native; }
case_xdp_skb_reported() { xdp_mode_reported skb skb; }
case_xdp_auto_is_native() { xdp_mode_reported auto native; }
case_xdp_default_is_native() { xdp_mode_reported "" native; }

case_tc_ingress() {
	t_topo
	t_load "$T_PROGS/tc_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV"
	t_stdout_has ingress
	t_ping_blocked "while attached to ingress"
	t_fp 0 detach "$T_NAME" "$T_DEV"
	t_ping_ok "after detach"
}

# Egress of T_DEV: echo requests from the root namespace to the peer are
# dropped; requests coming in (and their replies going out) are not.
case_tc_egress() {
	t_topo
	t_load "$T_PROGS/tc_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV" --direction egress
	t_stdout_has egress
	t_ping_blocked "out of $T_DEV while attached to egress" "" "$T_PEER_ADDR"
	t_ping_ok "into $T_DEV while attached to egress"
	t_fp 0 detach "$T_NAME" "$T_DEV"
	t_ping_ok "out of $T_DEV after detach" "" "$T_PEER_ADDR"
}

# t_send_from_cgroup CG PORT TEXT: a process that joined CG sends TEXT to
# the peer's PORT. Its exit status is sendto's: a cgroup_skb egress drop
# makes sendto fail with EPERM, so callers that expect a drop ignore it.
t_send_from_cgroup() {
	sh -c 'echo $$ >"$1/cgroup.procs" || exit 1
		printf "%s" "$4" | exec socat -u - "UDP4-SENDTO:$2:$3"' \
		sh "$1" "$T_PEER_ADDR" "$2" "$3"
}

t_need_cgroup2() {
	grep -q " $T_CGROOT cgroup2 " /proc/mounts || t_skip "no cgroup v2 at $T_CGROOT"
}

# A process in the cgroup loses its UDP to 9999 and not to 9998 while
# cgroup_drop_udp is attached to the cgroup's egress; after detach 9999
# gets through. The blocked datagram is sent first, so once the control
# one has arrived the blocked one would have too.
case_cgroup_egress() {
	t_need_cgroup2
	t_topo
	cg=$T_CGROOT/$T_CASE
	t_res cgroup "$cg"
	mkdir "$cg" || t_fail "mkdir $cg failed"
	t_load "$T_PROGS/cgroup_drop_udp.bpf.o"
	t_fp 0 attach "$T_NAME" "$cg" --direction egress
	t_udp_listen "$T_NS" 9999 "$T_TMP/p9999"
	t_udp_listen "$T_NS" 9998 "$T_TMP/p9998"
	t_send_from_cgroup "$cg" 9999 blocked
	t_send_from_cgroup "$cg" 9998 control || t_fail "sending to port 9998 failed"
	t_wait 20 t_file_has "$T_TMP/p9998" control ||
		t_fail "control datagram to port 9998 did not arrive"
	sleep 0.2
	[ -s "$T_TMP/p9999" ] && t_fail "datagram to port 9999 arrived while attached"
	t_fp 0 detach "$T_NAME" "$cg"
	t_send_from_cgroup "$cg" 9999 after || t_fail "sending to port 9999 after detach failed"
	t_wait 20 t_file_has "$T_TMP/p9999" after ||
		t_fail "datagram to port 9999 did not arrive after detach"
}

# A process outside the cgroup is not filtered.
case_cgroup_other_process() {
	t_need_cgroup2
	t_topo
	cg=$T_CGROOT/$T_CASE
	t_res cgroup "$cg"
	mkdir "$cg" || t_fail "mkdir $cg failed"
	t_load "$T_PROGS/cgroup_drop_udp.bpf.o"
	t_fp 0 attach "$T_NAME" "$cg" --direction egress
	t_udp_listen "$T_NS" 9999 "$T_TMP/p9999"
	t_udp_send "" "$T_PEER_ADDR" 9999 outside
	t_wait 20 t_file_has "$T_TMP/p9999" outside ||
		t_fail "datagram to 9999 from outside the cgroup did not arrive"
}

t_need_bpftool() {
	command -v bpftool >/dev/null 2>&1 || t_skip "bpftool not installed"
}

# t_netns_links INO: sk_lookup links the kernel has on netns inode INO.
t_netns_links() {
	bpftool -j link show >"$T_TMP/links.json" 2>/dev/null
	t_json "$T_TMP/links.json" \
		'len([l for l in d if str(l.get("netns_ino")) == a[0]])' "$1"
}

# sk_lookup_pass attached to the namespace runs on lookups there (its
# counter moves), lets delivery proceed, and detach removes the link.
case_sk_lookup() {
	t_need_bpftool
	t_topo
	t_load "$T_PROGS/sk_lookup_pass.bpf.o"
	ns=/run/netns/$T_NS
	ino=$(stat -L -c %i "$ns")
	t_fp 0 attach "$T_NAME" "$ns"
	[ "$(t_netns_links "$ino")" = 1 ] || t_fail "no sk_lookup link on $ns (inode $ino)"
	[ -n "$(t_links_of "$T_NAME")" ] || t_fail "no pin under $T_PIN/links for $T_NAME"
	t_udp_listen "$T_NS" 7777 "$T_TMP/p7777"
	t_udp_send "" "$T_PEER_ADDR" 7777 through
	t_wait 20 t_file_has "$T_TMP/p7777" through ||
		t_fail "datagram did not arrive with sk_lookup_pass attached"
	bss=$(ls -d "$T_PIN/maps/$T_NAME"/*bss* 2>/dev/null | head -n1)
	[ -n "$bss" ] || t_fail "no .bss map pinned under $T_PIN/maps/$T_NAME"
	bpftool -j map dump pinned "$bss" >"$T_TMP/bss.json" 2>&1
	n=$(t_json "$T_TMP/bss.json" 'get("lookups")')
	[ "$n" != None ] && [ "${n#ERROR}" = "$n" ] && [ "$n" -gt 0 ] ||
		t_fail "sk_lookup_pass counted $n lookups, want > 0"
	t_fp 0 detach "$T_NAME" "$ns"
	[ "$(t_netns_links "$ino")" = 0 ] || t_fail "sk_lookup link still on $ns after detach"
	[ -z "$(t_links_of "$T_NAME")" ] || t_fail "link pins left after detach: $(t_links_of "$T_NAME")"
}

# A namespace named by a process in it, /proc/PID/ns/net, is the same
# target as its /run/netns file.
case_sk_lookup_proc() {
	t_need_bpftool
	t_topo
	ip netns exec "$T_NS" sleep 30 &
	pid=$!
	t_res pid "$pid"
	t_wait 20 t_in_ns "$pid" || t_fail "sleep did not enter $T_NS"
	t_load "$T_PROGS/sk_lookup_pass.bpf.o"
	ino=$(stat -L -c %i "/run/netns/$T_NS")
	t_fp 0 attach "$T_NAME" "/proc/$pid/ns/net"
	[ "$(t_netns_links "$ino")" = 1 ] || t_fail "no sk_lookup link on $T_NS (inode $ino)"
	t_fp 0 detach "$T_NAME" "/proc/$pid/ns/net"
	[ "$(t_netns_links "$ino")" = 0 ] || t_fail "sk_lookup link still on $T_NS after detach"
}

t_in_ns() {
	[ "$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null)" = "$(stat -L -c %i "/run/netns/$T_NS")" ]
}

# unload detaches and removes the program's pins: progs/NAME, maps/NAME
# and every links/ entry of NAME.
case_unload_removes_pins() {
	t_topo
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV"
	[ -n "$(t_links_of "$T_NAME")" ] || t_fail "attach pinned no link under $T_PIN/links"
	t_fp 0 unload "$T_NAME"
	[ ! -e "$T_PIN/progs/$T_NAME" ] || t_fail "$T_PIN/progs/$T_NAME still exists"
	[ ! -e "$T_PIN/maps/$T_NAME" ] || t_fail "$T_PIN/maps/$T_NAME still exists"
	[ -z "$(t_links_of "$T_NAME")" ] || t_fail "link pins left: $(t_links_of "$T_NAME")"
	t_no_xdp "$T_DEV"
	t_ping_ok "after unload"
}

# The interface went away: unload still removes every pin.
case_unload_after_interface_gone() {
	t_topo
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV"
	ip link del "$T_DEV" || t_fail "ip link del $T_DEV failed"
	t_fp 0 unload "$T_NAME"
	[ ! -e "$T_PIN/progs/$T_NAME" ] || t_fail "$T_PIN/progs/$T_NAME still exists"
	[ -z "$(t_links_of "$T_NAME")" ] || t_fail "link pins left: $(t_links_of "$T_NAME")"
}

# An interface deleted and made again under its name: the program attaches
# to it again (the old link's pin, which attached nothing, gives way), XDP
# and tcx alike.
case_attach_again_after_interface_recreated() {
	t_dummy
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	xdp=$T_NAME
	t_load "$T_PROGS/tc_drop_icmp.bpf.o"
	tc=$T_NAME
	t_fp 0 attach "$xdp" "$T_DEV" --mode skb
	t_fp 0 attach "$tc" "$T_DEV"
	ip link del "$T_DEV" || t_fail "ip link del $T_DEV failed"
	ip link add "$T_DEV" type veth peer name "${T_CASE}e" || t_fail "ip link add $T_DEV failed"
	ip link set "$T_DEV" up
	t_fp 0 attach "$xdp" "$T_DEV" --mode skb
	[ "$(t_xdp_mode "$T_DEV")" = skb ] || t_fail "no XDP on the new $T_DEV"
	t_fp 0 attach "$tc" "$T_DEV"
	[ "$(t_links_of "$xdp" | wc -l)" = 1 ] && [ "$(t_links_of "$tc" | wc -l)" = 1 ] ||
		t_fail "link pins: $(t_links_of "$T_CASE" | tr '\n' ' ')"
	t_fp 1 attach "$xdp" "$T_DEV" --mode skb
	t_stderr_has "already has an XDP program"
}

# The attachment is a pinned link: it holds after the CLI has exited.
case_attach_outlives_cli() {
	t_need_bpftool
	t_topo
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV"
	pin=$(t_links_of "$T_NAME" | head -n1)
	[ -n "$pin" ] || t_fail "attach pinned no link under $T_PIN/links"
	bpftool -j link show pinned "$pin" >"$T_TMP/link.json" 2>&1
	link_prog=$(t_json "$T_TMP/link.json" 'd.get("prog_id")')
	dev_prog=$(ip -d link show dev "$T_DEV" | sed -n 's/.*prog\/xdp[a-z]* id \([0-9]*\).*/\1/p')
	[ -n "$dev_prog" ] && [ "$link_prog" = "$dev_prog" ] ||
		t_fail "$pin (program $link_prog) is not what runs on $T_DEV (program ${dev_prog:-none})"
	sleep 0.3
	t_ping_blocked "after the attach command exited"
}

# detach without a target removes every attachment of the program and
# keeps it loaded.
case_detach_everywhere() {
	t_topo
	dev2=${T_CASE}x
	t_res link "$dev2"
	ip link add "$dev2" type veth peer name "${T_CASE}y" || t_fail "ip link add $dev2 failed"
	ip link set "$dev2" up
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV"
	t_fp 0 attach "$T_NAME" "$dev2"
	[ "$(t_xdp_mode "$dev2")" != none ] || t_fail "no XDP on $dev2 after attach"
	t_fp 0 detach "$T_NAME"
	t_no_xdp "$T_DEV"
	t_no_xdp "$dev2"
	[ -z "$(t_links_of "$T_NAME")" ] || t_fail "link pins left: $(t_links_of "$T_NAME")"
	[ -e "$T_PIN/progs/$T_NAME" ] || t_fail "detach unloaded the program"
	t_ping_ok "after detach"
}

# detach NAME DEV takes NAME off DEV alone, not off DEV.5 (whose pin
# name begins with DEV's); detached, it is not attached there any more.
case_detach_one_target() {
	d1=${T_CASE#fpt}q
	d2=$d1.5
	t_res link "$d1"
	t_res link "$d2"
	ip link add "$d1" type veth peer name "${d1}p" &&
		ip link add "$d2" type veth peer name "${d1}r" || t_fail "ip link add $d1, $d2 failed"
	ip link set "$d1" up && ip link set "$d2" up || t_fail "ip link set up failed"
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$d1" --mode skb
	t_fp 0 attach "$T_NAME" "$d2" --mode skb
	t_fp 0 detach "$T_NAME" "$d1"
	t_no_xdp "$d1"
	[ "$(t_xdp_mode "$d2")" = skb ] || t_fail "detach from $d1 took $T_NAME off $d2 too"
	[ "$(t_links_of "$T_NAME" | wc -l)" = 1 ] ||
		t_fail "want the one link pin on $d2, have: $(t_links_of "$T_NAME" | tr '\n' ' ')"
	t_fp 1 detach "$T_NAME" "$d1"
}

t_ok xdp_native_drops_icmp_until_detach case_xdp_native
t_ok xdp_skb_drops_icmp_until_detach case_xdp_skb
t_ok xdp_native_mode_reported_and_in_kernel case_xdp_native_reported
t_ok xdp_skb_mode_reported_and_in_kernel case_xdp_skb_reported
t_ok xdp_auto_mode_is_native_on_veth case_xdp_auto_is_native
t_ok xdp_default_mode_is_native_on_veth case_xdp_default_is_native
t_ok tc_ingress_drops_icmp_until_detach case_tc_ingress
t_ok tc_egress_drops_icmp_sent_until_detach case_tc_egress
t_ok cgroup_skb_egress_drops_udp_9999_until_detach case_cgroup_egress
t_ok cgroup_skb_spares_processes_outside case_cgroup_other_process
t_ok sk_lookup_attach_runs_and_detach_removes case_sk_lookup
t_ok sk_lookup_attach_by_proc_pid_ns_net case_sk_lookup_proc
t_ok unload_removes_every_pin case_unload_removes_pins
t_ok unload_after_interface_deleted_removes_pins case_unload_after_interface_gone
t_ok attach_outlives_the_cli case_attach_outlives_cli
t_ok attach_again_after_interface_recreated case_attach_again_after_interface_recreated
t_ok detach_without_target_removes_all_attachments case_detach_everywhere
t_ok detach_from_dev_leaves_dev_dot_5 case_detach_one_target
t_done
