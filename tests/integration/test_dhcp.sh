#!/bin/sh
# fastpathd's DHCP server on a veth lab, with real clients in a namespace:
# ISC dhclient, busybox udhcpc and dhcpcd each get a lease from the slow
# path, renew it through the XDP fast path (the stage's ACK counter moves,
# the client sees the ACK) and release it; kill -9 of the daemon between
# lease and renewal loses no lease, and a lease the kernel extended
# survives a kill -9 too.
. "$(dirname "$0")/lib.sh"
t_require
FPD=$T_BUILD/fastpathd
[ -x "$FPD" ] || { echo "not ok - $T_SCRIPT: $FPD not built"; exit 1; }
if "$FP" -j status 2>/dev/null | grep -q '"running":true'; then
	t_skip_all "a fastpathd is already running on this machine"
fi

# lab: the namespace lab with the peer's address removed (the clients get
# theirs by DHCP), XDP on the peer (XDP_TX on a native veth needs it), and
# fastpathd serving T_DEV with pool .100-.199 and 1-minute leases.
lab() {
	t_topo
	ip -n "$T_NS" addr flush dev "$T_PEER"
	ip -n "$T_NS" link set dev "$T_PEER" xdp obj "$T_PROGS/xdp_pass.bpf.o" sec xdp ||
		t_fail "cannot attach XDP to $T_PEER"
	NET=${T_ADDR%.1}
	LEASES=$T_TMP/$T_CASE.leases
	cat >"$T_TMP/fastpath.yaml" <<EOF
orchestrator: {ebpf: {interfaces: [$T_DEV], mode: auto}, prometheus_port: 0}
flows: {enabled: false}
dhcp:
  interface: $T_DEV
  server_id: $T_ADDR
  lease_file: $LEASES
  pools:
    - {subnet: $NET.0/24, range: $NET.100-$NET.199, router: $T_ADDR, dns: [$T_ADDR], domain: lab.test, lease_time: 1m}
EOF
	t_res pipeline "$T_DEV"
	daemon_start
}

# daemon_start: fastpathd on the lab's config; returns once it serves.
daemon_start() {
	"$FPD" -c "$T_TMP/fastpath.yaml" 2>>"$T_TMP/fastpathd.log" &
	DPID=$!
	t_res pid "$DPID"
	t_wait 50 daemon_ready || t_fail "fastpathd did not start: $(cat "$T_TMP/fastpathd.log")"
	t_wait 50 fast_path_ready || t_fail "no DHCP stage on $T_DEV: $(cat "$T_TMP/fastpathd.log")"
}

daemon_ready() {
	"$FP" -j status >"$T_TMP/st.json" 2>/dev/null &&
	[ "$(t_json "$T_TMP/st.json" 'get("pid")')" = "$DPID" ]
}

fast_path_ready() {
	"$FP" dhcp stats "$T_DEV" >/dev/null 2>&1
}

# counter NAME: one of `fastpath dhcp stats -j`'s counters.
counter() {
	"$FP" -j dhcp stats "$T_DEV" >"$T_TMP/dstats.json" 2>/dev/null
	t_json "$T_TMP/dstats.json" 'd["counters"][a[0]]' "$1"
}

# lease_of IP FIELD: a field of the lease database's entry for IP ("" when
# there is none).
lease_of() {
	"$FP" -j dhcp leases --file "$LEASES" >"$T_TMP/leases.json" 2>/dev/null
	t_json "$T_TMP/leases.json" '(find("ip", a[0]) or {}).get(a[1], "")' "$1" "$2"
}

# client_ip: the address DHCP gave the peer ("" when none).
client_ip() {
	ip -n "$T_NS" -4 -o addr show dev "$T_PEER" | awk '{ sub("/.*", "", $4); print $4; exit }'
}

has_ip() {
	[ -n "$(client_ip)" ]
}

# log_has TEXT: the client's event log holds a line TEXT.
log_has() {
	grep -qx "$1" "$T_TMP/events" 2>/dev/null
}

counter_above() {
	[ "$(counter "$1")" -gt "$2" ] 2>/dev/null
}

# The clients' event scripts: configure the peer's address and write one
# line per event to $T_TMP/events, so nothing outside the lab changes.
write_scripts() {
	cat >"$T_TMP/dhclient.sh" <<EOF
#!/bin/sh
case \$reason in
BOUND|RENEW|REBIND|REBOOT)
	ip addr replace "\$new_ip_address/\$new_subnet_mask" dev "\$interface" ;;
RELEASE|EXPIRE|STOP)
	[ -n "\${old_ip_address:-}" ] && ip addr del "\$old_ip_address/\$old_subnet_mask" dev "\$interface" ;;
esac
echo "\$reason \${new_ip_address:-\${old_ip_address:-}}" >>"$T_TMP/events"
EOF
	cat >"$T_TMP/udhcpc.sh" <<EOF
#!/bin/sh
case \$1 in
bound|renew) ip addr replace "\$ip/\$mask" dev "\$interface" ;;
deconfig) ip addr flush dev "\$interface" ;;
esac
echo "\$1 \${ip:-}" >>"$T_TMP/events"
EOF
	cat >"$T_TMP/dhcpcd.sh" <<EOF
#!/bin/sh
echo "\$reason \${new_ip_address:-\${old_ip_address:-}}" >>"$T_TMP/events"
EOF
	chmod +x "$T_TMP/dhclient.sh" "$T_TMP/udhcpc.sh" "$T_TMP/dhcpcd.sh"
}

# renewed_on_fast_path TRIGGER...: run TRIGGER, then require the stage's
# ACK counter to move and the client to have logged the renewal.
renewed_on_fast_path() {
	acks=$(counter fast_ack)
	slow=$(counter slow_ack)
	"$@"
	t_wait 100 counter_above fast_ack "$acks" ||
		t_fail "the renewal was not answered by the fast path: $(cat "$T_TMP/dstats.json")"
	[ "$(counter slow_ack)" = "$slow" ] ||
		t_fail "the slow path answered the renewal too"
}

# ---- cases ------------------------------------------------------------------

case_dhclient() {
	command -v dhclient >/dev/null || t_skip "dhclient not installed (isc-dhcp-client)"
	lab
	write_scripts
	dh="dhclient -4 -v -cf /dev/null -lf $T_TMP/dhclient.leases -pf $T_TMP/dhclient.pid -sf $T_TMP/dhclient.sh"
	t_run ip netns exec "$T_NS" $dh -1 "$T_PEER"
	[ "$T_RC" -eq 0 ] || t_fail "dhclient got no lease"
	t_res pid "$(cat "$T_TMP/dhclient.pid")"
	ip=$(client_ip)
	case $ip in "$NET".1[0-9][0-9]) ;; *) t_fail "dhclient got '$ip', not an address of the pool" ;; esac
	[ "$(lease_of "$ip" state)" = bound ] || t_fail "the database has no bound lease for $ip"
	[ "$(counter slow_ack)" -ge 1 ] || t_fail "the first lease did not come from the slow path"
	# Stop without a release; started again it asks for its lease back
	# (INIT-REBOOT), which the kernel answers.
	t_run ip netns exec "$T_NS" $dh -x "$T_PEER"
	renewed_on_fast_path t_run ip netns exec "$T_NS" $dh -1 "$T_PEER"
	t_wait 50 log_has "REBOOT $ip" || t_fail "dhclient did not take the ACK: $(cat "$T_TMP/events")"
	t_run ip netns exec "$T_NS" $dh -r "$T_PEER"
	[ "$T_RC" -eq 0 ] || t_fail "dhclient -r failed"
	t_wait 50 counter_above slow_release 0 || t_fail "the release did not reach the server"
	[ "$(lease_of "$ip" state)" = "" ] || t_fail "the lease is still bound after the release"
}

case_udhcpc() {
	command -v udhcpc >/dev/null || t_skip "udhcpc not installed"
	lab
	write_scripts
	ip netns exec "$T_NS" udhcpc -f -i "$T_PEER" -s "$T_TMP/udhcpc.sh" -t 5 -T 1 -A 1 \
		-x hostname:fp-udhcpc >"$T_TMP/udhcpc.log" 2>&1 &
	UPID=$!
	t_res pid "$UPID"
	t_wait 100 has_ip || t_fail "udhcpc got no lease: $(cat "$T_TMP/udhcpc.log")"
	ip=$(client_ip)
	[ "$(lease_of "$ip" hostname)" = fp-udhcpc ] || t_fail "the lease lacks the client's hostname"
	[ -n "$(lease_of "$ip" client_id)" ] || t_fail "udhcpc's client identifier was not the key"
	# SIGUSR1: renew now (a unicast REQUEST from the bound address).
	renewed_on_fast_path kill -USR1 "$UPID"
	t_wait 50 log_has "renew $ip" || t_fail "udhcpc did not take the ACK: $(cat "$T_TMP/events")"
	# SIGUSR2: release.
	kill -USR2 "$UPID"
	t_wait 50 counter_above slow_release 0 || t_fail "the release did not reach the server"
	t_wait 20 sh -c "[ -z \"\$($FP -j dhcp leases --file $LEASES | grep -F '\"$ip\"')\" ]" ||
		t_fail "the lease is still bound after the release"
}

case_dhcpcd() {
	command -v dhcpcd >/dev/null || t_skip "dhcpcd not installed (dhcpcd-base)"
	lab
	write_scripts
	t_res dhcpcd "$T_PEER"
	ip netns exec "$T_NS" dhcpcd -4 -B -A -L -G -c "$T_TMP/dhcpcd.sh" -f /dev/null -t 10 "$T_PEER" \
		>"$T_TMP/dhcpcd.log" 2>&1 &
	t_res pid $!
	t_wait 100 has_ip || t_fail "dhcpcd got no lease: $(cat "$T_TMP/dhcpcd.log")"
	ip=$(client_ip)
	[ "$(lease_of "$ip" state)" = bound ] || t_fail "the database has no bound lease for $ip"
	renewed_on_fast_path t_run ip netns exec "$T_NS" dhcpcd -4 -N "$T_PEER"
	t_wait 50 log_has "RENEW $ip" || t_fail "dhcpcd did not take the ACK: $(cat "$T_TMP/events")"
	t_run ip netns exec "$T_NS" dhcpcd -4 -k "$T_PEER"
	t_wait 50 counter_above slow_release 0 || t_fail "the release did not reach the server"
}

# A relay's exchange (from a UDP socket: a frame with little tailroom, so
# the reply must grow at its head), first through the slow path, then again
# through the fast path, option 82 echoed both times.
case_relayed() {
	lab
	ip -n "$T_NS" addr add "$T_PEER_ADDR/24" dev "$T_PEER"
	relay="$T_PY $T_SRCROOT/tests/integration/dhcp_relay.py $T_PEER_ADDR $T_ADDR 02:0f:00:00:00:01"
	t_run ip netns exec "$T_NS" $relay
	[ "$T_RC" -eq 0 ] || t_fail "the relayed exchange failed"
	first=$(cat "$T_TMP/out")
	[ "$(counter slow_ack)" -eq 1 ] || t_fail "the first ACK did not come from the slow path"
	offers=$(counter fast_offer)
	acks=$(counter fast_ack)
	t_run ip netns exec "$T_NS" $relay
	[ "$T_RC" -eq 0 ] || t_fail "the second relayed exchange failed"
	[ "$(cat "$T_TMP/out")" = "$first" ] || t_fail "the client got another address: $(cat "$T_TMP/out")"
	[ "$(counter fast_offer)" -eq $((offers + 1)) ] && [ "$(counter fast_ack)" -eq $((acks + 1)) ] ||
		t_fail "the fast path did not answer the relay: $(cat "$T_TMP/dstats.json")"
	[ "$(counter fast_errors)" -eq 0 ] || t_fail "the fast path failed to write a reply"
}

case_kill9_keeps_leases() {
	command -v udhcpc >/dev/null || t_skip "udhcpc not installed"
	lab
	write_scripts
	ip netns exec "$T_NS" udhcpc -f -i "$T_PEER" -s "$T_TMP/udhcpc.sh" -t 5 -T 1 -A 1 \
		>"$T_TMP/udhcpc.log" 2>&1 &
	UPID=$!
	t_res pid "$UPID"
	t_wait 100 has_ip || t_fail "udhcpc got no lease: $(cat "$T_TMP/udhcpc.log")"
	ip=$(client_ip)
	# Killed between the lease and its renewal: the lease was on disk
	# before the ACK left.
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	daemon_start
	[ "$(lease_of "$ip" state)" = bound ] || t_fail "the restarted daemon lost the lease of $ip"
	before=$(lease_of "$ip" expires)
	sleep 1.1
	renewed_on_fast_path kill -USR1 "$UPID"
	# Killed right after the kernel extended the lease: the extension is
	# in the ring buffer or on disk, and the next daemon has it either way.
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	daemon_start
	t_wait 30 sh -c "[ \"\$($FP -j dhcp leases --file $LEASES | $T_PY -c 'import json,sys; print([l[\"expires\"] for l in json.load(sys.stdin) if l[\"ip\"] == \"$ip\"][0])')\" -gt $before ]" ||
		t_fail "the extension the kernel made was lost (expires was $before, now $(lease_of "$ip" expires))"
	# A second client gets another address.
	ip netns exec "$T_NS" udhcpc -q -n -i "$T_PEER" -s /bin/true -t 3 -T 1 -C \
		-x 0x3d:01020000c0ffee >"$T_TMP/udhcpc2.log" 2>&1 ||
		t_fail "a second client got no lease: $(cat "$T_TMP/udhcpc2.log")"
	grep -q "lease of $ip obtained" "$T_TMP/udhcpc2.log" &&
		t_fail "the second client got the first client's address $ip"
	true
}

t_ok dhclient_leases_renews_on_fast_path_releases case_dhclient
t_ok udhcpc_leases_renews_on_fast_path_releases case_udhcpc
t_ok dhcpcd_leases_renews_on_fast_path_releases case_dhcpcd
t_ok relayed_requests_answered_on_fast_path_to_the_relay case_relayed
t_ok kill9_between_lease_and_renewal_loses_no_lease case_kill9_keeps_leases
t_done
