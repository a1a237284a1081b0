# Sourced by the demo and the benchmarks: the veth lab they run on.
#   lab_up NS DEV PEER DEV_ADDR/LEN PEER_ADDR/LEN [QUEUES]
# makes namespace NS and a veth pair, DEV here with DEV_ADDR and PEER in
# NS with PEER_ADDR, both up, and NS's loopback up; QUEUES queues each
# way on both ends (default 1). The caller removes DEV and NS (its own
# cleanup trap).
lab_up() {
	_q=${6:-1}
	ip netns add "$1"
	ip link add "$2" numtxqueues "$_q" numrxqueues "$_q" type veth \
		peer name "$3" numtxqueues "$_q" numrxqueues "$_q"
	ip link set "$3" netns "$1"
	ip addr add "$4" dev "$2"
	ip link set "$2" up
	ip -n "$1" addr add "$5" dev "$3"
	ip -n "$1" link set "$3" up
	ip -n "$1" link set lo up
}

# lab_need NAME TOOL...: exit, saying why as NAME, unless run as root with
# every TOOL installed.
lab_need() {
	_name=$1
	shift
	[ "$(id -u)" -eq 0 ] || { echo "$_name: run as root" >&2; exit 1; }
	for _t in "$@"; do
		command -v "$_t" >/dev/null ||
			{ echo "$_name: $_t not installed (sh scripts/deps.sh)" >&2; exit 1; }
	done
}

# lab_stop: stop the server the caller started in the background, whose
# pid is in PID (nothing when PID is empty), and empty PID.
lab_stop() {
	[ -n "$PID" ] || return 0
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	# Not our child (started by bench/start_wait): gone before we go on.
	while kill -0 "$PID" 2>/dev/null; do sleep 0.01; done
	PID=
}
