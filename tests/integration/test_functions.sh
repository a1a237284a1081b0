#!/bin/sh
# Functions: fastpathd starts handlers and steers their trigger ports to
# their sockets with sk_lookup, in a namespace each case makes (the
# program is attached to /run/netns/NAME; fastpathd and the CLI stay in
# the root namespace, where bpffs is). Also `fastpath ports register`
# steering a port to a running process's socket (root namespace, on
# loopback, a random high port), and bad configurations.
. "$(dirname "$0")/lib.sh"
t_require
FPD=$T_BUILD/fastpathd
HELLO=$T_BUILD/examples/functions/hello
API=$T_SRCROOT/examples/functions/api.py
CLIENT=$T_SRCROOT/tests/integration/fn_client.py
[ -x "$FPD" ] && [ -x "$HELLO" ] || { echo "not ok - $T_SCRIPT: fastpathd or hello not built"; exit 1; }
if "$FP" -j status 2>/dev/null | grep -q '"running":true'; then
	t_skip_all "a fastpathd is already running on this machine"
fi
ADDR=10.77.0.1

# ns: a namespace T_NS with loopback up and ADDR on it: clients and the
# unrelated sockets use ADDR, fastpathd's sockets are on 127.0.0.1.
ns() {
	T_NS=${T_CASE}n
	t_res ns "$T_NS"
	ip netns add "$T_NS" || t_fail "cannot make namespace $T_NS"
	ip -n "$T_NS" link set lo up
	ip -n "$T_NS" addr add $ADDR/32 dev lo
}

# fn_config FILE HANDLER [KEY: VALUE ...]: one function "hello" on PORT
# in T_NS.
fn_config() {
	f=$1 h=$2
	shift 2
	{
		echo "orchestrator: {prometheus_port: 0}"
		echo "functions:"
		echo "  - id: hello"
		echo "    trigger_port: $PORT"
		echo "    handler_path: $h"
		echo "    netns: $T_NS"
		for kv in "$@"; do echo "    $kv"; done
	} >"$f"
}

# daemon_start CONFIG: fastpathd in the background (DPID), log in
# $T_TMP/fastpathd.log; returns once every instance runs.
daemon_start() {
	"$FPD" -c "$1" --log-level debug 2>>"$T_TMP/fastpathd.log" &
	DPID=$!
	t_res pid "$DPID"
	t_wait 50 fn_running || t_fail "function did not start: $(cat "$T_TMP/fastpathd.log")"
}

fn_list() {
	"$FP" -j functions list >"$T_TMP/fn.json" 2>/dev/null
}

fn_field() {
	fn_list
	t_json "$T_TMP/fn.json" "find('id', 'hello')['$1']"
}

fn_running() {
	[ "$(fn_field state)" = running ]
}

in_ns() {
	timeout -k 2 $T_DEADLINE ip netns exec "$T_NS" "$T_PY" "$CLIENT" "$@"
}

setup() {
	ns
	PORT=$((20000 + $(t_rand 40000)))
	CFG=$T_TMP/fn.yaml
	NSC="ip netns exec $T_NS $T_PY $CLIENT" # for t_run, which needs a command
}

# A request to the trigger port, TCP and UDP, is answered by the handler;
# a socket bound to ADDR:PORT itself gets nothing.
case_trigger_port_answered_by_handler() {
	setup
	fn_config "$CFG" "$HELLO" "protocol: both"
	daemon_start "$CFG"
	ip netns exec "$T_NS" "$T_PY" "$CLIENT" catch $ADDR "$PORT" 6 "$T_TMP/caught" >"$T_TMP/catch.out" &
	t_res pid $!
	t_wait 30 grep -q ready "$T_TMP/catch.out" || t_fail "the unrelated sockets did not bind"
	t_run $NSC tcp $ADDR "$PORT"
	t_stdout_has "hello from hello"
	t_run $NSC udp $ADDR "$PORT"
	t_stdout_has "hello from hello"
	sleep 0.3
	[ ! -s "$T_TMP/caught" ] || t_fail "the socket bound to the port got: $(cat "$T_TMP/caught")"
	[ "$(fn_field connections)" -ge 2 ] || t_fail "connections: $(fn_field connections), want >= 2"
	t_fp 0 functions list
	t_stdout_has hello
}

# The Python handler, the way the seed's api.py is run.
case_python_handler_answers() {
	setup
	fn_config "$CFG" "$API" "protocol: both"
	daemon_start "$CFG"
	t_run $NSC tcp $ADDR "$PORT"
	t_stdout_has "hello from hello"
	t_run $NSC udp $ADDR "$PORT"
	t_stdout_has "hello from hello"
}

# instances: 2 share a reuseport group: 1,000 connections reach both.
case_instances_spread_connections() {
	setup
	fn_config "$CFG" "$HELLO" "instances: 2"
	daemon_start "$CFG"
	t_run $NSC spread $ADDR "$PORT" 1000
	[ "$T_RC" -eq 0 ] || t_fail "client failed"
	spread=$(cat "$T_TMP/out")
	echo "spread: $spread"
	t_json "$T_TMP/out" 'len(d) == 2 and min(d.values()) >= 200 and sum(d.values()) == 1000' >"$T_TMP/ok"
	[ "$(cat "$T_TMP/ok")" = True ] || t_fail "1000 connections spread as $spread, want two pids with >= 200 each"
}

# kill -9 of the handler while a client connects in a loop: no connection
# refused and none waiting in the backlog lost (fastpathd keeps the
# listening socket), the handler restarted. The one connection the
# handler had accepted when it was killed dies with it: at most one error.
case_killed_handler_loses_no_connection() {
	setup
	fn_config "$CFG" "$HELLO"
	daemon_start "$CFG"
	pid=$(fn_field pids | tr -d '[] ')
	in_ns loop $ADDR "$PORT" 3 >"$T_TMP/loop" 2>&1 &
	lp=$!
	sleep 1
	kill -9 "$pid"
	wait $lp
	echo "loop: $(cat "$T_TMP/loop")"
	grep -Eq "refused=0 errors=[01]$" "$T_TMP/loop" || t_fail "loop: $(cat "$T_TMP/loop")"
	grep -q "ok=[1-9]" "$T_TMP/loop" || t_fail "loop: no answer"
	t_wait 30 fn_running || t_fail "not restarted"
	[ "$(fn_field restarts)" -ge 1 ] || t_fail "restarts: $(fn_field restarts)"
	[ "$(fn_field pids | tr -d '[] ')" != "$pid" ] || t_fail "same pid after kill -9"
	t_wait 50 grep -q "killed by signal 9" "$T_TMP/fastpathd.log" || t_fail "the crash is not logged"
}

# fastpath functions restart: a new handler; answered before and after.
case_restart_command() {
	setup
	fn_config "$CFG" "$HELLO" "restart: never"
	daemon_start "$CFG"
	pid=$(fn_field pids | tr -d '[] ')
	t_fp 0 functions restart hello
	t_wait 30 sh -c "[ \"\$('$FP' -j functions list | tr -d ' ' | grep -o '\"pids\":\[[0-9]*\]' | tr -dc 0-9)\" != $pid ]" ||
		t_fail "pid unchanged"
	t_wait 30 fn_running || t_fail "not running after restart"
	t_run $NSC tcp $ADDR "$PORT"
	t_stdout_has "hello from hello"
	t_fp 1 functions restart nosuch
	t_stderr_has "no function"
}

# With /metrics served (libmicrohttpd's thread): every thread of fastpathd
# blocks SIGCHLD and SIGUSR1 (the functions service reads them from its
# signalfd), so a crashed handler is restarted and `functions restart`
# works, and fastpathd survives both.
case_signals_blocked_with_metrics_thread() {
	setup
	MPORT=$((20000 + $(t_rand 40000)))
	fn_config "$CFG" "$HELLO" "env: {FOO: bar, LISTEN_FDS: 9}" "user: root" "group: root"
	sed -i "s/prometheus_port: 0}/prometheus_port: $MPORT, prometheus_address: 127.0.0.1}/" "$CFG"
	daemon_start "$CFG"
	t_wait 30 sh -c "[ \$(ls /proc/$DPID/task | wc -l) -ge 2 ]" ||
		t_fail "no metrics thread: $(cat "$T_TMP/fastpathd.log")"
	for task in /proc/$DPID/task/*; do
		blk=$(awk '/^SigBlk/ {print $2}' "$task/status")
		[ $(( 0x$blk & 0x10200 )) -eq $((0x10200)) ] ||
			t_fail "thread ${task##*/} does not block SIGCHLD and SIGUSR1 (SigBlk $blk)"
	done
	pid=$(fn_field pids | tr -d '[] ')
	# The environment, made before fork: ours, the configured, no duplicate.
	tr '\0' '\n' </proc/"$pid"/environ >"$T_TMP/environ"
	for v in "LISTEN_PID=$pid" LISTEN_FDS=1 LISTEN_FDNAMES=hello FASTPATH_FUNCTION=hello \
		 FASTPATH_INSTANCE=0 FOO=bar; do
		grep -qx "$v" "$T_TMP/environ" || t_fail "handler environment lacks $v: $(cat "$T_TMP/environ")"
	done
	[ "$(grep -c '^LISTEN_FDS=' "$T_TMP/environ")" -eq 1 ] || t_fail "LISTEN_FDS twice"
	t_fp 0 functions restart hello
	t_wait 30 sh -c "[ \"\$('$FP' -j functions list | tr -d ' ' | grep -o '\"pids\":\[[0-9]*\]' | tr -dc 0-9)\" != $pid ]" ||
		t_fail "pid unchanged after functions restart"
	t_wait 30 fn_running || t_fail "not running after restart"
	pid=$(fn_field pids | tr -d '[] ')
	kill -9 "$pid"
	t_wait 50 sh -c "[ \"\$('$FP' -j functions list | tr -d ' ' | grep -o '\"pids\":\[[0-9]*\]' | tr -dc 0-9)\" != $pid ]" ||
		t_fail "not restarted after kill -9"
	t_wait 30 fn_running || t_fail "not running after kill -9"
	kill -0 "$DPID" || t_fail "fastpathd died: $(cat "$T_TMP/fastpathd.log")"
	t_run $NSC tcp $ADDR "$PORT"
	t_stdout_has "hello from hello"
}

# restart: never, handler exits 1: it stays down; connections wait in the
# backlog (not refused) until `functions restart`.
case_never_restarted_backlog_waits() {
	setup
	printf '#!/bin/sh\nexit 1\n' >"$T_TMP/fail.sh"
	chmod +x "$T_TMP/fail.sh"
	fn_config "$CFG" "$T_TMP/fail.sh" "restart: never"
	"$FPD" -c "$CFG" 2>>"$T_TMP/fastpathd.log" &
	DPID=$!
	t_res pid "$DPID"
	t_wait 50 sh -c "'$FP' -j functions list | grep -q '\"state\":\"failed\"'" ||
		t_fail "state is not failed: $("$FP" -j functions list)"
	t_wait 50 grep -q "restart: never" "$T_TMP/fastpathd.log" || t_fail "not logged"
}

# SIGTERM: handlers stopped, bindings and pins gone, the port is the
# bound socket's again.
case_sigterm_stops_and_unbinds() {
	setup
	fn_config "$CFG" "$HELLO"
	daemon_start "$CFG"
	pid=$(fn_field pids | tr -d '[] ')
	ino=$(stat -L -c %i "/run/netns/$T_NS")
	[ -e "$T_PIN/functions/netns:$ino/link" ] || t_fail "no link pinned for the namespace"
	kill -TERM "$DPID"
	t_wait 60 sh -c "! kill -0 $DPID 2>/dev/null" || t_fail "fastpathd did not exit"
	t_alive "$pid" && t_fail "handler $pid still runs"
	[ ! -e "$T_PIN/functions/netns:$ino" ] || t_fail "pins left: $(ls "$T_PIN/functions/netns:$ino")"
	ip netns exec "$T_NS" "$T_PY" "$CLIENT" catch $ADDR "$PORT" 3 "$T_TMP/caught" >"$T_TMP/catch.out" &
	t_res pid $!
	t_wait 30 grep -q ready "$T_TMP/catch.out" || t_fail "the unrelated socket did not bind"
	in_ns tcp $ADDR "$PORT" >/dev/null 2>&1
	sleep 0.3
	grep -q tcp "$T_TMP/caught" || t_fail "the bound socket did not get the connection"
}

# kill -9 of fastpathd: handlers and steering stay; the next fastpathd
# takes over their sockets and restarts them; no connection refused.
case_daemon_restart_takes_over() {
	setup
	fn_config "$CFG" "$HELLO"
	daemon_start "$CFG"
	old=$(fn_field pids | tr -d '[] ')
	in_ns loop $ADDR "$PORT" 4 >"$T_TMP/loop" 2>&1 &
	lp=$!
	sleep 0.5
	kill -9 "$DPID"
	sleep 0.5
	t_alive "$old" || t_fail "handler died with fastpathd"
	daemon_start "$CFG"
	wait $lp
	echo "loop: $(cat "$T_TMP/loop")"
	grep -q "refused=0 errors=0" "$T_TMP/loop" || t_fail "loop: $(cat "$T_TMP/loop")"
	t_wait 50 grep -q "took over the sockets" "$T_TMP/fastpathd.log" || t_fail "no takeover logged"
	t_wait 30 sh -c "! kill -0 $old 2>/dev/null || grep -q '^Z' /proc/$old/stat" || true
	new=$(fn_field pids | tr -d '[] ')
	[ "$new" != "$old" ] || t_fail "same handler pid"
}

# The previous daemon's handler that ignores SIGTERM is killed once its
# grace (5 s) is over: it went on answering beside the new handlers.
case_takeover_kills_handler_ignoring_term() {
	setup
	printf '#!/bin/sh\ntrap "" TERM\nwhile :; do sleep 0.2; done\n' >"$T_TMP/deaf.sh"
	chmod +x "$T_TMP/deaf.sh"
	fn_config "$CFG" "$T_TMP/deaf.sh"
	daemon_start "$CFG"
	old=$(fn_field pids | tr -d '[] ')
	t_res pid "$old"
	kill -9 "$DPID"
	sleep 0.3
	t_alive "$old" || t_fail "the handler died with fastpathd"
	daemon_start "$CFG"
	t_wait 100 sh -c "! kill -0 $old 2>/dev/null || grep -q '^[0-9]* ([^)]*) Z' /proc/$old/stat" ||
		t_fail "the old handler $old still runs 10 s after the takeover"
	t_wait 50 grep -q "outlived its 5000 ms to stop: killed" "$T_TMP/fastpathd.log" ||
		t_fail "the kill is not logged"
}

# Reshaped (instances 2 -> 3) while clients connect, the old handlers
# draining (they stop accepting on SIGTERM and exit 2 s later): no
# connection is reset. The new sockets take a port of their own; on the
# trigger port they joined the old handlers' reuseport group.
case_reshape_while_old_handlers_drain() {
	setup
	cat >"$T_TMP/drain.py" <<'PY'
import signal, socket, time
s = socket.socket(fileno=3)
s.settimeout(0.05)
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
while not stop:
    try:
        c, _ = s.accept()
    except OSError:
        continue
    c.settimeout(2)
    try:
        c.recv(1024)
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello from drain\n")
    except OSError:
        pass
    c.close()
time.sleep(2)
PY
	printf '#!/bin/sh\nexec %s %s\n' "$T_PY" "$T_TMP/drain.py" >"$T_TMP/drain.sh"
	chmod +x "$T_TMP/drain.sh"
	fn_config "$CFG" "$T_TMP/drain.sh" "instances: 2"
	daemon_start "$CFG"
	in_ns loop $ADDR "$PORT" 5 >"$T_TMP/loop" 2>&1 &
	lp=$!
	sleep 1
	fn_config "$CFG" "$T_TMP/drain.sh" "instances: 3"
	kill -HUP "$DPID"
	wait $lp
	echo "loop: $(cat "$T_TMP/loop")"
	grep -q "refused=0 errors=0" "$T_TMP/loop" || t_fail "during the reshape: $(cat "$T_TMP/loop")"
}

# listener PORT: a Python process listening on 127.0.0.1:PORT answering
# "hello from registered"; LPID.
listener() {
	"$T_PY" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
print("ready", flush=True)
while True:
    c, _ = s.accept(); c.recv(1024)
    c.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello from registered\n"); c.close()
' "$1" >"$T_TMP/listener.out" 2>&1 &
	LPID=$!
	t_res pid "$LPID"
	t_wait 30 grep -q ready "$T_TMP/listener.out" || t_fail "listener did not start"
}

# ports register PORT --pid PID: the process's socket (on another port)
# answers PORT; unregister gives the port back.
case_port_registered_from_process() {
	t_free_port
	other=$((T_PORT + 1))
	listener "$other"
	t_fp 0 ports register "$T_PORT" --pid "$LPID"
	t_stdout_has "steered"
	t_run "$T_PY" "$CLIENT" tcp 127.0.0.1 "$T_PORT"
	t_stdout_has "hello from registered"
	t_fp 0 -j ports lookup "$T_PORT"
	t_stdout_has "tcp listen 127.0.0.1:$other"
	t_fp 0 ports unregister "$T_PORT"
	t_run "$T_PY" "$CLIENT" tcp 127.0.0.1 "$T_PORT"
	[ "$T_RC" -ne 0 ] || t_fail "port $T_PORT still answered after unregister"
	t_fp 1 ports register "$T_PORT" --pid "$LPID" --fd 0
	t_stderr_has "not a listening TCP socket"
}

# A registration whose process died: list flags it, the port refuses even
# though another socket now listens on it, unregister gives it back.
case_stale_registration() {
	t_free_port
	listener "$((T_PORT + 1))"
	t_fp 0 ports register "$T_PORT" --pid "$LPID"
	kill -9 "$LPID"
	t_wait 30 sh -c "! kill -0 $LPID 2>/dev/null"
	listener "$T_PORT"
	t_fp 0 ports list
	grep "^ *$T_PORT " "$T_TMP/out" | grep -qw "dead" || t_fail "not flagged dead"
	grep "^ *$T_PORT " "$T_TMP/out" | grep -q "closed" || t_fail "socket not shown closed"
	t_run "$T_PY" "$CLIENT" tcp 127.0.0.1 "$T_PORT"
	[ "$T_RC" -ne 0 ] || t_fail "a stale registration fell through to another socket"
	grep -q "ConnectionRefused" "$T_TMP/err" || t_fail "not refused: $(cat "$T_TMP/err")"
	t_fp 0 ports unregister "$T_PORT"
	t_run "$T_PY" "$CLIENT" tcp 127.0.0.1 "$T_PORT"
	t_stdout_has "hello from registered"
}

# check_bad FILE TEXT...: fastpathd --check refuses FILE and says each TEXT.
check_bad() {
	f=$1
	shift
	t_expect 1 "$FPD" --check -c "$f"
	for s in "$@"; do
		grep -qF -- "$s" "$T_TMP/err" || t_fail "stderr lacks \"$s\""
	done
}

case_bad_configs() {
	c=$T_TMP/bad.yaml
	printf 'functions:\n  - {id: a, trigger_port: 8080, handler_path: /nonexistent/h}\n' >"$c"
	check_bad "$c" "bad.yaml:2: functions[0].handler_path" "No such file"
	printf 'functions:\n  - {id: a, trigger_port: 8080, handler_path: %s}\n  - {id: b, trigger_port: 8080, handler_path: %s, protocol: both}\n' "$HELLO" "$HELLO" >"$c"
	check_bad "$c" "bad.yaml:3: functions[1].trigger_port" "already triggers 'a'"
	printf 'functions:\n  - {id: a, trigger_port: 8080, handler_path: %s, user: nosuchuser%s}\n' "$HELLO" "$$" >"$c"
	check_bad "$c" "functions[0].user" "no user 'nosuchuser"
	printf 'functions:\n  - {id: a, trigger_port: 8080, handler_path: %s, protocol: tpc, restart: sometimes}\n' "$HELLO" >"$c"
	check_bad "$c" "functions[0].protocol" "did you mean 'tcp'" "functions[0].restart"
	printf 'dhcp:\n  interface: lo\n  server_id: 10.0.0.1\n  pools: [{subnet: 10.0.0.0/24, range: 10.0.0.10-10.0.0.20}]\nfunctions:\n  - {id: a, trigger_port: 67, handler_path: %s, protocol: udp}\n' "$HELLO" >"$c"
	check_bad "$c" "functions[0].trigger_port" "DHCP server"
	printf 'functions:\n  - {id: a, trigger_port: 8080, handler_path: %s, addresses: [10.0.0.1/8], instances: 0}\n' "$HELLO" >"$c"
	check_bad "$c" "functions[0].addresses" "host bits" "functions[0].instances"
	printf 'functions:\n  - {id: a, trigger_port: 8081, handler_path: %s, protocol: both, addresses: [10.0.0.0/8, "::/0"], args: [-v], env: {A: b}, instances: 4, restart: always, user: root, group: root}\n' "$HELLO" >"$c"
	t_expect 0 "$FPD" --check -c "$c"
}

t_ok trigger_port_answered_by_handler case_trigger_port_answered_by_handler
t_ok python_handler_answers case_python_handler_answers
t_ok instances_spread_connections case_instances_spread_connections
t_ok killed_handler_loses_no_connection case_killed_handler_loses_no_connection
t_ok restart_command case_restart_command
t_ok signals_blocked_with_metrics_thread case_signals_blocked_with_metrics_thread
t_ok never_restarted_stays_failed case_never_restarted_backlog_waits
t_ok sigterm_stops_and_unbinds case_sigterm_stops_and_unbinds
t_ok daemon_restart_takes_over case_daemon_restart_takes_over
t_ok takeover_kills_old_handler_ignoring_term case_takeover_kills_handler_ignoring_term
t_ok reshape_while_old_handlers_drain_resets_nothing case_reshape_while_old_handlers_drain
t_ok port_registered_from_process case_port_registered_from_process
t_ok stale_registration case_stale_registration
t_ok bad_configs case_bad_configs
t_done
