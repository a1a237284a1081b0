#!/bin/sh
# fastpathd's DHCP server on a veth lab, with real clients in a namespace:
# ISC dhclient, busybox udhcpc and dhcpcd each get a lease from the slow
# path, renew it through the XDP fast path (the stage's ACK counter moves,
# the client sees the ACK) and release it; kill -9 of the daemon between
# lease and renewal loses no lease, and a lease the kernel extended
# survives a kill -9 too. The lease file's disk fills: no ACK leaves either
# path until it is freed, service resumes by itself, and after a kill -9
# every lease a client holds is in the database, none twice; a lease_file
# that is not a lease journal stops the daemon and is left as it was.
. "$(dirname "$0")/lib.sh"
t_require_daemon

# lab: the namespace lab with the peer's address removed (the clients get
# theirs by DHCP), XDP on the peer (XDP_TX on a native veth needs it), and
# fastpathd serving T_DEV with pool .100-.199 and 1-minute leases (LEASE_TIME),
# the lease file in T_TMP (LEASE_DIR).
lab() {
	t_topo_dhcp
	LEASES=${LEASE_DIR:-$T_TMP}/$T_CASE.leases
	cat >"$T_TMP/fastpath.yaml" <<EOF
orchestrator: {ebpf: {interfaces: [$T_DEV], mode: auto}, prometheus_port: 0}
flows: {enabled: false}
dhcp:
  interface: $T_DEV
  server_id: $T_ADDR
  lease_file: $LEASES
  pools:
    - {subnet: $NET.0/24, range: $NET.100-$NET.199, router: $T_ADDR, dns: [$T_ADDR], domain: lab.test, lease_time: ${LEASE_TIME:-1m}}
EOF
	t_res pipeline "$T_DEV"
	daemon_start
}

# daemon_start: fastpathd on the lab's config; returns once it serves.
daemon_start() {
	t_daemon "$T_TMP/fastpath.yaml"
	t_wait 50 fast_path_ready || t_fail "no DHCP stage on $T_DEV: $(cat "$T_TMP/fastpathd.log")"
}

# lease_db_failing: `fastpath health` fails its lease_db check.
lease_db_failing() {
	"$FP" -j health >"$T_TMP/health.json" 2>/dev/null
	[ "$(t_json "$T_TMP/health.json" 'find("name", "lease_db")["ok"]')" = False ]
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
	# before the ACK left, in the journal's room (zeros to the end of a
	# block), which the file is read through as the killed daemon left it.
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	[ $(($(stat -c %s "$LEASES") % 4096)) -eq 0 ] ||
		t_fail "the lease file keeps no room after its records: $(stat -c %s "$LEASES") bytes"
	[ "$(lease_of "$ip" state)" = bound ] || t_fail "the killed daemon's file lacks the lease of $ip"
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

# ---- the lease file's disk fills ----------------------------------------------

# oneshot N: new client N (client identifier key_of N, on the peer) asks for
# a lease and quits; prints the address it was ACKed, or nothing.
oneshot() {
	ip netns exec "$T_NS" timeout -k 2 15 udhcpc -q -n -i "$T_PEER" -s /bin/true \
		-t 2 -T 1 -A 1 -C -x "0x3d:$(key_of "$1" | tr -d :)" 2>&1 |
		sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p'
}

key_of() {
	printf '01:02:00:00:c0:%02x:%02x\n' $(($1 / 256)) $(($1 % 256))
}

# held IP KEY: a client holds IP (KEY: its MAC or client identifier).
held() {
	echo "$1 $2" >>"$T_TMP/held"
}

# mv_client I: a long-lived udhcpc on its own macvlan clI over the peer;
# its pid in UPID<I>, its events in $T_TMP/events.clI. Twenty rebinding
# tries a second apart: it keeps its address through a short outage.
mv_client() {
	ip -n "$T_NS" link add "cl$1" link "$T_PEER" type macvlan mode bridge &&
	ip -n "$T_NS" link set "cl$1" up || t_fail "cannot add macvlan cl$1 over $T_PEER"
	ip netns exec "$T_NS" udhcpc -f -i "cl$1" -s "$T_TMP/mv.sh" -t 20 -T 1 -A 1 \
		>"$T_TMP/cl$1.log" 2>&1 &
	eval "UPID$1=\$!"
	t_res pid $!
}

mv_ip() {
	ip -n "$T_NS" -4 -o addr show dev "cl$1" | awk '{ sub("/.*", "", $4); print $4; exit }'
}

mv_has_ip() {
	[ -n "$(mv_ip "$1")" ]
}

mv_mac() {
	ip -n "$T_NS" -o link show dev "cl$1" | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p'
}

# events I WHAT: how many WHAT events client clI has logged.
events() {
	grep -c "^$2 " "$T_TMP/events.cl$1" 2>/dev/null || true
}

events_above() {
	[ "$(events "$1" "$2")" -gt "$3" ]
}

case_disk_full() {
	command -v udhcpc >/dev/null || t_skip "udhcpc not installed"
	FS=$T_TMP/${T_CASE}fs
	mkdir "$FS" || t_fail "mkdir $FS failed"
	t_res mount "$FS"
	mount -t tmpfs -o size=256k,mode=0700 "$T_CASE" "$FS" || t_skip "cannot mount a tmpfs"
	LEASE_DIR=$FS LEASE_TIME=10m lab
	cat >"$T_TMP/mv.sh" <<EOF
#!/bin/sh
case \$1 in
bound|renew) ip addr replace "\$ip/\$mask" dev "\$interface" ;;
deconfig) ip addr flush dev "\$interface" ;;
esac
echo "\$1 \${ip:-}" >>"$T_TMP/events.\$interface"
EOF
	chmod +x "$T_TMP/mv.sh"
	: >"$T_TMP/held"
	for i in 1 2 3; do
		mv_client $i
	done
	for i in 1 2 3; do
		t_wait 100 mv_has_ip $i || t_fail "client cl$i got no lease: $(cat "$T_TMP/cl$i.log")"
	done
	for n in 1 2; do
		ip=$(oneshot $n)
		[ -n "$ip" ] || t_fail "new client $n got no lease before the disk filled"
		held "$ip" "$(key_of $n)"
	done
	# The disk fills. The journal's last page still takes a few records,
	# so new clients are served, each lease durable, until a write fails.
	dd if=/dev/zero of="$FS/fill" bs=64k >/dev/null 2>&1
	[ "$(df -P "$FS" | awk 'NR == 2 { print $4 }')" -eq 0 ] || t_fail "the tmpfs is not full"
	while [ "$(counter slow_nostore)" -eq 0 ]; do
		n=$((n + 1))
		[ $n -le 60 ] || t_fail "60 new clients and no write failed on the full disk"
		ip=$(oneshot $n)
		[ -z "$ip" ] || held "$ip" "$(key_of $n)"
	done
	echo "the journal failed at new client $n"
	# Health says so (by the daemon's next check, every 10 s; before cl1's
	# renewal below, which must not wait on it).
	t_wait 150 lease_db_failing || t_fail "health does not fail lease_db: $(cat "$T_TMP/health.json")"
	# Now no new client gets an ACK, and the withheld ACK is counted ...
	nostore=$(counter slow_nostore)
	ip=$(oneshot 1000)
	[ -z "$ip" ] || t_fail "a new client was ACKed $ip while the lease file's disk was full"
	[ "$(counter slow_nostore)" -gt "$nostore" ] || t_fail "the withheld ACK was not counted"
	# ... and a renewal is left by the fast path to the server, which
	# withholds its ACK too.
	fast=$(counter fast_ack)
	miss=$(counter miss_nostore)
	nostore=$(counter slow_nostore)
	renews=$(events 1 renew)
	ip1=$(mv_ip 1)
	kill -USR1 "$UPID1"
	t_wait 50 counter_above miss_nostore "$miss" ||
		t_fail "the fast path did not leave the renewal to the server: $(cat "$T_TMP/dstats.json")"
	t_wait 50 counter_above slow_nostore "$nostore" || t_fail "the server did not withhold the renewal's ACK"
	sleep 1
	[ "$(counter fast_ack)" = "$fast" ] || t_fail "the fast path ACKed a renewal that could not be stored"
	[ "$(events 1 renew)" = "$renews" ] || t_fail "cl1 was ACKed a renewal that could not be stored"
	t_wait 50 grep -q "cannot be written" "$T_TMP/fastpathd.log" || t_fail "the daemon did not log the failure"
	# The disk is freed: service resumes by itself. cl1, still rebinding,
	# is ACKed; so is a new client.
	rm -f "$FS/fill"
	t0=$(date +%s%N)
	t_wait 100 events_above 1 renew "$renews" ||
		t_fail "cl1's rebinding was not ACKed after the disk was freed: $(cat "$T_TMP/events.cl1")"
	echo "cl1 ACKed $((($(date +%s%N) - t0) / 1000000)) ms after the disk was freed"
	[ "$(mv_ip 1)" = "$ip1" ] || t_fail "cl1 holds $(mv_ip 1), not its address $ip1"
	ip=$(oneshot 1001)
	[ -n "$ip" ] || t_fail "a new client got no lease after the disk was freed"
	held "$ip" "$(key_of 1001)"
	t_wait 50 grep -q "written again" "$T_TMP/fastpathd.log" || t_fail "the daemon did not log the recovery"
	renewed_on_fast_path kill -USR1 "$UPID2"
	# kill -9, restart: every lease a client holds is in the database, and
	# no address is held twice.
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	daemon_start
	for i in 1 2 3; do
		ip=$(mv_ip $i)
		[ -n "$ip" ] || t_fail "cl$i lost its address: $(cat "$T_TMP/events.cl$i")"
		held "$ip" "$(mv_mac $i)"
	done
	"$FP" -j dhcp leases --file "$LEASES" >"$T_TMP/leases.json" || t_fail "dhcp leases --file failed"
	sed 's/^/held: /' "$T_TMP/held"
	"$T_PY" - "$T_TMP/leases.json" "$T_TMP/held" <<'EOF' || t_fail "the database does not hold what the clients hold"
import json, sys
leases = [l for l in json.load(open(sys.argv[1])) if l["state"] == "bound"]
held = [l.split() for l in open(sys.argv[2]) if l.strip()]
bad = []
for what, ips in (("clients", [h[0] for h in held]), ("the database", [l["ip"] for l in leases])):
    bad += ["%s: %s is held %d times" % (what, ip, ips.count(ip)) for ip in set(ips) if ips.count(ip) > 1]
for ip, key in held:
    l = [x for x in leases if x["ip"] == ip]
    if not l:
        bad.append("%s, held by %s, is not in the database" % (ip, key))
    elif key not in (l[0]["mac"], l[0]["client_id"], l[0]["client_id"][3:]):
        bad.append("%s is held by %s but bound to %s %s" % (ip, key, l[0]["mac"], l[0]["client_id"]))
print("\n".join(bad) or "%d leases held, all in the database" % len(held))
sys.exit(1 if bad else 0)
EOF
	[ "$(wc -l <"$T_TMP/held")" -ge 7 ] || t_fail "fewer clients than expected hold a lease"
	ls "$FS" | grep -q '\.bad-' && t_fail "a torn record was left in the journal: $(ls "$FS")"
	true
}

# A lease_file that is not a lease journal: the daemon refuses to start,
# says why, and leaves the file as it was.
# cache_map FIELD: a field of `bpftool map show` of T_DEV's lease cache.
cache_map() {
	bpftool -j map show pinned "$T_PIN/pipeline/$T_DEV/dhcp_leases" >"$T_TMP/cache.json" 2>/dev/null
	t_json "$T_TMP/cache.json" 'd[a[0]]' "$1"
}

# The lease cache holds what the pool can bind (100 addresses: 128), not
# a million, and the health check knows it cannot fill (the server wrote
# the 100 beside it); `fastpath up` beside the daemon keeps it (the same
# map, not a new one of the CLI's size), so the daemon's cache stays.
case_cache_size() {
	lab
	[ "$(cache_map max_entries)" = 128 ] || t_fail "cache of $(cache_map max_entries), want 128"
	bpftool -j map dump pinned "$T_PIN/pipeline/$T_DEV/dhcp_cfg" >"$T_TMP/cfg.json"
	[ "$(t_json "$T_TMP/cfg.json" 'get("leases_max")')" = 100 ] ||
		t_fail "leases_max: $(cat "$T_TMP/cfg.json")"
	"$FP" health >"$T_TMP/health" 2>&1
	grep -q "map_fill:$T_DEV.*room for every lease the pools can bind" "$T_TMP/health" ||
		t_fail "health: $(cat "$T_TMP/health")"
	id=$(cache_map id)
	t_fp 0 up "$T_DEV" --stages dhcp
	[ "$(cache_map id)" = "$id" ] || t_fail "up made a new cache: map $(cache_map id), was $id"
	[ "$(cache_map max_entries)" = 128 ] || t_fail "up resized the cache to $(cache_map max_entries)"
}

case_foreign_lease_file() {
	t_dummy
	LEASES=$T_TMP/dhcpd.conf
	printf 'subnet 10.0.0.0 netmask 255.255.255.0 {\n  range 10.0.0.10 10.0.0.20;\n}\n' >"$LEASES"
	cp "$LEASES" "$T_TMP/orig"
	cat >"$T_TMP/fastpath.yaml" <<EOF
orchestrator: {ebpf: {interfaces: [$T_DEV], mode: auto}, prometheus_port: 0}
flows: {enabled: false}
dhcp:
  interface: $T_DEV
  server_id: 10.0.0.1
  lease_file: $LEASES
  pools:
    - {subnet: 10.0.0.0/24, range: 10.0.0.100-10.0.0.199, router: 10.0.0.1, lease_time: 1m}
EOF
	t_res pipeline "$T_DEV"
	t_run "$FPD" -c "$T_TMP/fastpath.yaml"
	[ "$T_RC" -ne 0 ] && [ "$T_RC" -ne 124 ] || t_fail "fastpathd did not refuse the foreign lease_file"
	t_stderr_has "refusing to use $LEASES"
	t_stderr_has "not a fastpath lease journal"
	cmp -s "$LEASES" "$T_TMP/orig" || t_fail "the foreign file was changed"
	[ "$(ls "$T_TMP" | grep -c dhcpd.conf)" -eq 1 ] || t_fail "files were created beside it: $(ls "$T_TMP")"
}

t_ok lease_cache_sized_to_the_pool_and_kept_by_up case_cache_size
t_ok dhclient_leases_renews_on_fast_path_releases case_dhclient
t_ok udhcpc_leases_renews_on_fast_path_releases case_udhcpc
t_ok dhcpcd_leases_renews_on_fast_path_releases case_dhcpcd
t_ok relayed_requests_answered_on_fast_path_to_the_relay case_relayed
t_ok kill9_between_lease_and_renewal_loses_no_lease case_kill9_keeps_leases
t_ok disk_full_withholds_acks_resumes_and_kill9_keeps_every_lease case_disk_full
t_ok foreign_lease_file_refused_and_left_unchanged case_foreign_lease_file
t_done
