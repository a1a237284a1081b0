# tests/integration/lib.sh: what every end-to-end test script shares.
#
# A script is run from the repository root as
#	sh tests/integration/test_NAME.sh BUILD
# sources this file and declares its cases with t_ok:
#	t_ok xdp_native_drops_icmp case_xdp_native
# Each case prints one line, "ok - NAME", "ok - NAME # SKIP why" or
# "not ok - NAME" followed by "# " diagnostics; the script exits non-zero
# when a case failed (t_done). CASES="NAME NAME..." runs only those cases
# (the others print nothing).
#
# A case is a shell function run in a subshell: it fails by calling t_fail
# (or an assertion that does), which ends only that subshell. Everything a
# case creates is recorded with t_res and removed, newest first, when the
# case ends and again on EXIT/INT/TERM; so cases are independent, a run
# leaves nothing behind, and an interrupted run cleans up too.
#
# Names are unique per run and per case: T_ID is "fpt" + the script's pid
# as 6 hex digits + a random byte (11 characters), a case adds "c<N>"
# (T_CASE). Interface names are T_CASE + "a"/"b": at most 15 characters
# for up to 99 cases, the most IFNAMSIZ allows.
#
# Why the managed veth end stays in the root namespace: `ip netns exec`
# gives its command a fresh /sys without bpffs, so pins under
# /sys/fs/bpf/fastpath are invisible in there. fastpath therefore always
# runs in the root namespace, on T_DEV; only the traffic generators and
# receivers run inside the test namespace T_NS, on T_PEER.

set -u

# ---- locations ------------------------------------------------------------

T_SCRIPT=$(basename "$0" .sh)
T_SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
T_BUILD=${1:-build}
case $T_BUILD in
/*) ;;
*) if [ -d "$T_BUILD" ]; then T_BUILD=$(cd "$T_BUILD" && pwd); else T_BUILD=$T_SRCROOT/$T_BUILD; fi ;;
esac
FP=$T_BUILD/fastpath
T_PROGS=$T_BUILD/tests/progs
T_EXAMPLES=$T_BUILD/examples
T_PIN=/sys/fs/bpf/fastpath
T_CGROOT=/sys/fs/cgroup/unified
T_MEMCG=/sys/fs/cgroup/memory   # cgroup v1's memory controller, where mounted
# Debian's interpreter: the first python3 on PATH may be another one.
if [ -x /usr/bin/python3 ]; then T_PY=/usr/bin/python3; else T_PY=python3; fi
# Every command that could hang gets a deadline, so a broken fastpath makes
# a case fail instead of the suite stall.
T_DEADLINE=20

# ---- names ----------------------------------------------------------------

# t_rand N: a random number in 0..N-1.
t_rand() {
	echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1 ))
}

T_ID=fpt$(printf '%06x' $$)$(od -An -N1 -tx1 /dev/urandom | tr -d ' \n')
T_N=0
T_CASE=
T_FAILED=0
T_TMP=$(mktemp -d "/tmp/$T_ID.XXXXXX") || exit 1
T_RES=$T_TMP/resources
: >"$T_RES"

# t_fastpath ARG...: fastpath with a deadline, for helpers that look at
# its output themselves (cases use t_fp).
t_fastpath() {
	timeout -k 2 $T_DEADLINE "$FP" "$@"
}

# ---- cleanup --------------------------------------------------------------

# t_res KIND ARG: record something to remove when the case (or the run)
# ends. KIND is one of: prog NAME, port PORT, pid PID, ns NAME, link DEV,
# cgroup DIR, dir DIR, pipeline DEV (`fastpath down DEV`), shaper DEV
# (`fastpath shaper remove DEV`), dhcpcd DEV (the state dhcpcd keeps for
# DEV), mount DIR (a filesystem the case mounted on DIR, under T_TMP).
t_res() {
	echo "$*" >>"$T_RES"
}

# t_rm_pins NAME: the pins of a program this run loaded, and nothing else:
# NAME must contain T_ID, so another run's or a user's pins are never hit.
t_rm_pins() {
	case $1 in *"$T_ID"*) ;; *) return 0 ;; esac
	rm -rf "$T_PIN/progs/$1" "$T_PIN/maps/$1"
	for f in "$T_PIN"/links/*"$1"*; do
		[ -e "$f" ] && rm -rf "$f"
	done
	return 0
}

t_undo() {
	kind=$1
	shift
	case $kind in
	prog)
		t_fastpath unload "$1" >/dev/null 2>&1
		t_rm_pins "$1" ;;
	port)
		t_fastpath ports unregister "$1" >/dev/null 2>&1 ;;
	pipeline)
		case $1 in *"$T_ID"*) ;; *) return 0 ;; esac
		t_fastpath down "$1" >/dev/null 2>&1
		rm -rf "$T_PIN/pipeline/$1" ;;
	pid)
		# Up to 5 s to exit (a sanitized fastpathd checks its heap on
		# the way out); killed, it is still waited for: the next case
		# must not find its sockets, pins or lock held.
		kill -TERM "$1" 2>/dev/null || return 0
		t_gone "$1" 50 && return 0
		kill -KILL "$1" 2>/dev/null
		t_gone "$1" 30 ;;
	cgroup)
		case $1 in "$T_CGROOT/$T_ID"*|"$T_MEMCG/$T_ID"*) ;; *) return 0 ;; esac
		[ -d "$1" ] || return 0
		for p in $(cat "$1/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		for i in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$1" 2>/dev/null && break
			sleep 0.1
		done ;;
	ns)
		ip netns pids "$1" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$1" 2>/dev/null ;;
	link)
		ip link del "$1" 2>/dev/null ;;
	shaper)
		case $1 in *"$T_ID"*) ;; *) return 0 ;; esac
		t_fastpath shaper remove "$1" >/dev/null 2>&1
		rm -rf "$T_PIN/shaper/$1" ;;
	dhcpcd)
		# dhcpcd keeps a lease file per interface outside the lab.
		case $1 in *"$T_ID"*) rm -f /var/lib/dhcpcd/"$1"* /run/dhcpcd/"$1"* ;; esac ;;
	dir)
		case $1 in /tmp/*"$T_ID"*|"$T_TMP"/*) rm -rf "$1" ;; esac ;;
	mount)
		case $1 in "$T_TMP"/*) ;; *) return 0 ;; esac
		mountpoint -q "$1" || return 0
		umount "$1" 2>/dev/null || umount -l "$1" ;;
	esac
	return 0
}

# t_gone PID TENTHS: PID stops running within TENTHS of a second.
t_gone() {
	t_n=0
	while t_alive "$1"; do
		[ "$t_n" -lt "$2" ] || return 1
		t_n=$((t_n + 1))
		sleep 0.1
	done
}

# t_alive PID: PID runs (a zombie waiting for its reaper does not).
t_alive() {
	t_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$t_state" ] && [ "${t_state%% *}" != Z ]
}

# t_cleanup: undo what was recorded, newest first.
# t_cleanup: undo what the case recorded, last first, but the processes
# before everything else: one still running can make again what is
# removed before it stops (fastpathd heals a pipeline taken down, and its
# pins then outlive the case).
t_cleanup() {
	[ -s "$T_RES" ] || return 0
	tac "$T_RES" >"$T_RES.rev"
	: >"$T_RES"
	grep '^pid ' "$T_RES.rev" >"$T_RES.first"
	grep -v '^pid ' "$T_RES.rev" >>"$T_RES.first"
	while read -r kind arg; do
		t_undo "$kind" "$arg"
	done <"$T_RES.first"
	rm -f "$T_RES.rev" "$T_RES.first"
}

t_exit() {
	trap - EXIT INT TERM
	t_cleanup
	rm -rf "$T_TMP"
}
trap 't_exit' EXIT
trap 't_exit; exit 130' INT
trap 't_exit; exit 143' TERM

# ---- cases ----------------------------------------------------------------

# t_ok NAME CMD...: run one case and print its line.
t_ok() {
	t_name=$1
	shift
	case " ${CASES:-$t_name} " in *" $t_name "*) ;; *) return 0 ;; esac
	T_N=$((T_N + 1))
	rm -f "$T_TMP/skip"
	(T_CASE=${T_ID}c$T_N; "$@") >"$T_TMP/case.log" 2>&1 </dev/null
	t_rc=$?
	t_cleanup >>"$T_TMP/case.log" 2>&1
	if [ $t_rc -eq 0 ] && [ -f "$T_TMP/skip" ]; then
		echo "ok - $t_name # SKIP $(cat "$T_TMP/skip")"
	elif [ $t_rc -eq 0 ]; then
		echo "ok - $t_name"
	else
		echo "not ok - $t_name"
		sed 's/^/# /' "$T_TMP/case.log"
		T_FAILED=$((T_FAILED + 1))
	fi
}

# t_skip_all WHY: the whole script cannot run here.
t_skip_all() {
	echo "ok - $T_SCRIPT # SKIP $1"
	exit 0
}

# t_done: the script's exit status.
t_done() {
	[ "$T_FAILED" -eq 0 ]
}

# t_require: checks every script makes before its first case.
t_require() {
	[ "$(id -u)" -eq 0 ] || t_skip_all "needs root"
	for tool in ip ping socat timeout od tac ss "$T_PY"; do
		command -v "$tool" >/dev/null 2>&1 || t_skip_all "$tool not installed"
	done
	if [ ! -x "$FP" ]; then
		echo "not ok - $T_SCRIPT: $FP not built"
		exit 1
	fi
}

# t_require_daemon: t_require, and fastpathd built (FPD) and not already
# running on this machine (the tests start their own).
t_require_daemon() {
	t_require
	FPD=$T_BUILD/fastpathd
	[ -x "$FPD" ] || { echo "not ok - $T_SCRIPT: $FPD not built"; exit 1; }
	if "$FP" -j status 2>/dev/null | grep -q '"running":true'; then
		t_skip_all "a fastpathd is already running on this machine"
	fi
}

# ---- inside a case --------------------------------------------------------

# t_skip WHY: end the case as skipped.
t_skip() {
	echo "$*" >"$T_TMP/skip"
	exit 0
}

# t_fail WHY: end the case as failed, showing the last command's output.
t_fail() {
	echo "$*"
	if [ -n "${T_LAST:-}" ]; then
		echo "last command: $T_LAST (exit ${T_RC:-?})"
		[ -s "$T_TMP/out" ] && sed 's/^/stdout: /' "$T_TMP/out" | head -40
		[ -s "$T_TMP/err" ] && sed 's/^/stderr: /' "$T_TMP/err" | head -40
	fi
	exit 1
}

# t_run CMD...: run an external command with a deadline; stdout in
# $T_TMP/out, stderr in $T_TMP/err, exit status in T_RC.
t_run() {
	T_LAST="$*"
	timeout -k 2 $T_DEADLINE "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
	T_RC=$?
	[ $T_RC -ne 124 ] || T_LAST="$T_LAST (timed out after ${T_DEADLINE}s)"
}

# t_expect RC CMD...: run CMD and require exit status RC.
t_expect() {
	t_want=$1
	shift
	t_run "$@"
	[ "$T_RC" -eq "$t_want" ] || t_fail "expected exit $t_want, got $T_RC"
}

# t_fp RC ARGS...: run fastpath and require exit status RC.
t_fp() {
	t_want=$1
	shift
	t_expect "$t_want" "$FP" "$@"
}

# t_stderr_has TEXT / t_stdout_has TEXT: the last command printed TEXT
# (case-insensitive, fixed string).
t_stderr_has() {
	grep -qiF -- "$1" "$T_TMP/err" || t_fail "stderr lacks \"$1\""
}
t_stdout_has() {
	grep -qiF -- "$1" "$T_TMP/out" || t_fail "stdout lacks \"$1\""
}

# t_error_style: the last command's stderr is a fastpath error: it starts
# with "fastpath: ".
t_error_style() {
	head -n1 "$T_TMP/err" | grep -q '^fastpath: ' ||
		t_fail "stderr does not start with \"fastpath: \""
}

# t_json FILE EXPR [ARG...]: print a Python expression over the JSON in
# FILE, bound to d; a[] holds the ARGs; get(key) is the first value of key
# anywhere in d, find(key, value) the first object with key == value.
# Prints "ERROR: ..." when FILE is not JSON or EXPR fails.
t_json() {
	"$T_PY" - "$@" <<'EOF'
import json, sys
def walk(x):
    yield x
    if isinstance(x, dict):
        for v in x.values():
            yield from walk(v)
    elif isinstance(x, list):
        for v in x:
            yield from walk(v)
def get(key, x=None):
    for o in walk(d if x is None else x):
        if isinstance(o, dict) and key in o:
            return o[key]
    return None
def find(key, value, x=None):
    for o in walk(d if x is None else x):
        if isinstance(o, dict) and o.get(key) == value:
            return o
    return None
try:
    d = json.load(open(sys.argv[1]))
    a = sys.argv[3:]
    print(eval(sys.argv[2]))
except Exception as e:
    print("ERROR: %s: %s" % (type(e).__name__, e))
EOF
}

# t_wait TENTHS CMD...: poll CMD every 0.1 s until it succeeds.
t_wait() {
	t_left=$1
	shift
	while [ "$t_left" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		t_left=$((t_left - 1))
	done
	"$@"
}

# t_daemon CONFIG: fastpathd on CONFIG in the background, its log in
# $T_TMP/fastpathd.log, its pid in DPID (stopped when the case ends);
# returns once it has applied CONFIG (its state file names its pid).
t_daemon() {
	"$T_BUILD/fastpathd" -c "$1" 2>>"$T_TMP/fastpathd.log" &
	DPID=$!
	t_res pid "$DPID"
	t_wait 50 t_daemon_ready || t_fail "fastpathd did not start: $(cat "$T_TMP/fastpathd.log")"
}

t_daemon_ready() {
	"$FP" -j status >"$T_TMP/st.json" 2>/dev/null &&
	[ "$(t_json "$T_TMP/st.json" 'get("pid")')" = "$DPID" ]
}

# ---- topology -------------------------------------------------------------

# t_topo: a namespace T_NS and a veth pair, T_DEV (root namespace, address
# T_ADDR) to T_PEER (in T_NS, address T_PEER_ADDR), on a /24 in 10.200/13
# that no address in the root namespace uses. Checks the pair passes ping
# first, so that a later failure to ping is the program's doing.
t_topo() {
	T_NS=${T_CASE}n
	T_DEV=${T_CASE}a
	T_PEER=${T_CASE}b
	for i in 1 2 3 4 5 6 7 8 9 10; do
		t_net=10.$((200 + $(t_rand 50))).$(t_rand 256)
		ip -4 -o addr show | grep -qF " $t_net." || break
	done
	T_ADDR=$t_net.1
	T_PEER_ADDR=$t_net.2
	t_res ns "$T_NS"
	t_res link "$T_DEV"
	ip netns add "$T_NS" || t_fail "ip netns add $T_NS failed"
	ip link add "$T_DEV" type veth peer name "$T_PEER" netns "$T_NS" ||
		t_fail "ip link add $T_DEV failed"
	ip addr add "$T_ADDR/24" dev "$T_DEV" &&
	ip link set "$T_DEV" up &&
	ip -n "$T_NS" addr add "$T_PEER_ADDR/24" dev "$T_PEER" &&
	ip -n "$T_NS" link set "$T_PEER" up &&
	ip -n "$T_NS" link set lo up || t_fail "configuring $T_DEV/$T_PEER failed"
	t_wait 20 t_carrier || t_fail "$T_DEV has no carrier"
	t_ping_ok "baseline, before any program"
}

# t_topo_dhcp: t_topo for a DHCP server on T_DEV: the peer's address
# removed (its clients get theirs by DHCP) and an XDP program on the peer
# (XDP_TX on a native veth needs one there). NET: the /24's first three
# octets.
t_topo_dhcp() {
	t_topo
	ip -n "$T_NS" addr flush dev "$T_PEER"
	ip -n "$T_NS" link set dev "$T_PEER" xdp obj "$T_PROGS/xdp_pass.bpf.o" sec xdp ||
		t_fail "cannot attach XDP to $T_PEER"
	NET=${T_ADDR%.1}
}

# t_dummy: an interface for cases that need one but no traffic (T_DEV, in
# the root namespace): one end of a veth pair, as the dummy module may be
# missing.
t_dummy() {
	T_DEV=${T_CASE}d
	t_res link "$T_DEV"
	ip link add "$T_DEV" type veth peer name "${T_CASE}e" ||
		t_fail "ip link add $T_DEV failed"
	ip link set "$T_DEV" up
}

t_carrier() {
	[ "$(cat "/sys/class/net/$T_DEV/carrier" 2>/dev/null)" = 1 ]
}

# t_ping_received [FROM_NS TO_ADDR]: how many of 3 echo requests were
# answered; by default from T_NS to T_ADDR (into T_DEV's ingress).
t_ping_received() {
	if [ $# -eq 0 ]; then
		set -- "$T_NS" "$T_ADDR"
	fi
	if [ -n "$1" ]; then
		ip netns exec "$1" ping -n -q -c 3 -W 1 -i 0.2 "$2" 2>&1
	else
		ping -n -q -c 3 -W 1 -i 0.2 "$2" 2>&1
	fi | sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p'
}

# t_ping_ok WHEN [FROM_NS TO_ADDR]: all 3 answered.
t_ping_ok() {
	t_when=$1
	shift
	t_got=$(t_ping_received "$@")
	[ "${t_got:-0}" -eq 3 ] || t_fail "ping $t_when: ${t_got:-0}/3 answered, want 3/3"
}

# t_ping_blocked WHEN [FROM_NS TO_ADDR]: none answered.
t_ping_blocked() {
	t_when=$1
	shift
	t_got=$(t_ping_received "$@")
	[ "${t_got:-x}" = 0 ] || t_fail "ping $t_when: ${t_got:-?}/3 answered, want 0/3"
}

# t_xdp_mode DEV: "native", "skb", "offload" or "none", from `ip link`.
t_xdp_mode() {
	ip link show dev "$1" | head -n1 | awk '
		/ xdpgeneric / { print "skb"; exit }
		/ xdpoffload / { print "offload"; exit }
		/ xdp(multi)? / { print "native"; exit }
		{ print "none" }'
}

# t_no_xdp DEV: `ip link show dev DEV` mentions no XDP program.
t_no_xdp() {
	ip link show dev "$1" >"$T_TMP/iplink" 2>&1 || t_fail "ip link show dev $1 failed"
	if grep -q xdp "$T_TMP/iplink"; then
		sed 's/^/ip link: /' "$T_TMP/iplink"
		t_fail "$1 still has an XDP program"
	fi
}

# ---- fastpath objects -----------------------------------------------------

# t_load OBJ [ARG...]: load OBJ (a path) as T_NAME = T_CASE_<base>, where
# base is the object's file name; further ARGs go to `fastpath load`.
t_load() {
	t_obj=$1
	shift
	T_NAME=${T_CASE}_$(basename "$t_obj" .bpf.o)
	t_res prog "$T_NAME"
	t_fp 0 load "$t_obj" --name "$T_NAME" "$@"
	[ -e "$T_PIN/progs/$T_NAME" ] || t_fail "load printed success but $T_PIN/progs/$T_NAME is missing"
}

# t_links_of NAME: the link pins that mention NAME, one a line.
t_links_of() {
	for f in "$T_PIN"/links/*"$1"*; do
		[ -e "$f" ] && echo "$f"
	done
	return 0
}

# t_free_port: a port nobody has registered (T_PORT), recorded so that it
# is unregistered when the case ends. The registry is shared by everything
# on the machine; a random port from 20000-59999 that lookup does not know
# is as good as ours (recording it before registering is then safe).
t_free_port() {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		T_PORT=$((20000 + $(t_rand 40000)))
		t_fastpath ports lookup "$T_PORT" >/dev/null 2>&1 || break
	done
	t_res port "$T_PORT"
}

# ---- traffic --------------------------------------------------------------

# t_udp_listen NS PORT FILE: a UDP receiver in NS (empty: the root
# namespace) appending what it gets on PORT to FILE; returns once bound.
t_udp_listen() {
	: >"$3"
	if [ -n "$1" ]; then
		ip netns exec "$1" timeout 15 socat -u "UDP4-RECV:$2,reuseaddr" "OPEN:$3,creat,append" &
	else
		timeout 15 socat -u "UDP4-RECV:$2,reuseaddr" "OPEN:$3,creat,append" &
	fi
	t_res pid $!
	t_wait 30 t_udp_bound "$1" "$2" || t_fail "UDP receiver on port $2 did not start"
}

t_udp_bound() {
	if [ -n "$1" ]; then
		ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q .
	else
		ss -Hlun "sport = :$2" | grep -q .
	fi
}

# t_udp_send NS ADDR PORT TEXT: one datagram holding TEXT (no newline).
t_udp_send() {
	if [ -n "$1" ]; then
		printf '%s' "$4" | ip netns exec "$1" socat -u - "UDP4-SENDTO:$2:$3"
	else
		printf '%s' "$4" | socat -u - "UDP4-SENDTO:$2:$3"
	fi
}

# t_file_has FILE TEXT: FILE holds TEXT.
t_file_has() {
	grep -qF -- "$2" "$1" 2>/dev/null
}
