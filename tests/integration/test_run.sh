#!/bin/sh
# fastpath run: attaches in the foreground, prints a status banner while it
# runs, and detaches when it gets SIGINT (Ctrl+C) or SIGTERM.
. "$(dirname "$0")/lib.sh"
t_require

# t_run_start ARG...: `fastpath run ARG...` in the background (T_RUN_PID),
# output in $T_TMP/run.out and run.err. A background job of a
# non-interactive shell starts with SIGINT ignored; a terminal's Ctrl+C
# finds it at its default, so put it back.
t_run_start() {
	env --default-signal=INT,TERM "$FP" run "$@" >"$T_TMP/run.out" 2>"$T_TMP/run.err" &
	T_RUN_PID=$!
	t_res pid "$T_RUN_PID"
	T_LAST="fastpath run $*"
}

t_run_alive() {
	kill -0 "$T_RUN_PID" 2>/dev/null
}

t_has_xdp() {
	[ "$(t_xdp_mode "$T_DEV")" != none ]
}

t_banner_shown() {
	grep -qF -- "$T_DEV" "$T_TMP/run.out"
}

# t_run_show: what the background fastpath printed, for a failure.
t_run_show() {
	sed 's/^/run stdout: /' "$T_TMP/run.out" | head -20
	sed 's/^/run stderr: /' "$T_TMP/run.err" | head -20
}

# t_run_attached: running, XDP on T_DEV and the banner (naming T_DEV) out.
t_run_attached() {
	t_wait 50 t_has_xdp || { t_run_show; t_fail "no XDP on $T_DEV 5 s after run started"; }
	t_run_alive || { t_run_show; t_fail "fastpath run exited by itself"; }
	t_wait 30 t_banner_shown || { t_run_show; t_fail "no banner naming $T_DEV on stdout"; }
}

# t_run_stop SIG: send SIG; fastpath must exit 0 within 5 s.
t_run_stop() {
	kill -"$1" "$T_RUN_PID"
	t_wait 50 t_run_dead || {
		t_run_show
		t_fail "fastpath run still running 5 s after SIG$1"
	}
	wait "$T_RUN_PID"
	rc=$?
	[ $rc -eq 0 ] || { t_run_show; t_fail "fastpath run exited $rc after SIG$1, want 0"; }
}

t_run_dead() {
	! t_run_alive
}

# stops_on SIG: the builtin program is attached while it runs; SIG makes
# run detach it and nothing of it stays pinned.
stops_on() {
	t_topo
	t_run_start "$T_DEV"
	t_run_attached
	t_run_stop "$1"
	t_no_xdp "$T_DEV"
	left=$(ls "$T_PIN/links" 2>/dev/null | grep -F -- "$T_DEV")
	[ -z "$left" ] || t_fail "link pins left for $T_DEV: $left"
}
case_sigint() { stops_on INT; }
case_sigterm() { stops_on TERM; }

# run DEV FILE.o runs that program: ping is dropped while it runs and
# answered once it stopped.
case_file() {
	t_topo
	t_run_start "$T_DEV" "$T_PROGS/xdp_drop_icmp.bpf.o"
	t_run_attached
	t_ping_blocked "while fastpath run is running"
	t_run_stop INT
	t_no_xdp "$T_DEV"
	t_ping_ok "after fastpath run stopped"
}

# The builtin program counts into the shared port registry.
case_builtin_counts() {
	t_topo
	sleep 60 &
	pid=$!
	t_res pid "$pid"
	t_free_port
	port=$T_PORT
	t_fp 0 ports register "$port" --pid "$pid"
	t_run_start "$T_DEV"
	t_run_attached
	for i in 1 2 3; do
		t_udp_send "$T_NS" "$T_ADDR" "$port" hello || t_fail "sending to port $port failed"
	done
	t_wait 20 t_counted "$port" 3 || t_fail "port $port: packets $(t_counted "$port"), want 3"
	t_run_stop INT
}

# t_counted PORT [WANT]: print the port's packet count, or test it.
t_counted() {
	t_fastpath -j ports lookup "$1" >"$T_TMP/lookup.json" 2>&1
	n=$(t_json "$T_TMP/lookup.json" 'get("packets")')
	if [ $# -eq 1 ]; then
		echo "$n"
	else
		[ "$n" = "$2" ]
	fi
}

# A device that already has an XDP program: run refuses and, exiting,
# leaves that program alone.
case_device_busy() {
	t_topo
	name=${T_CASE}_xdp_drop_icmp
	t_res prog "$name"
	t_fp 0 load "$T_PROGS/xdp_drop_icmp.bpf.o" --name "$name"
	t_fp 0 attach "$name" "$T_DEV"
	t_fp 1 run "$T_DEV"
	t_error_style
	t_stderr_has "already has an XDP program"
	t_ping_blocked "after the refused run"
}

# An object with two programs: the error names them, as load's does.
case_two_programs() {
	t_dummy
	t_fp 1 run "$T_DEV" "$T_PROGS/two_progs.bpf.o"
	t_error_style
	t_stderr_has first_pass
	t_stderr_has second_drop
	t_no_xdp "$T_DEV"
}

# --mode skb: generic XDP while it runs, and the banner says so.
case_mode_skb() {
	t_topo
	t_run_start "$T_DEV" --mode skb
	t_run_attached
	[ "$(t_xdp_mode "$T_DEV")" = skb ] || t_fail "XDP mode $(t_xdp_mode "$T_DEV"), want skb"
	grep -q 'skb' "$T_TMP/run.out" || { t_run_show; t_fail "banner does not say skb"; }
	t_run_stop INT
	t_no_xdp "$T_DEV"
}

case_missing_device() {
	dev=${T_CASE}nx
	t_fp 1 run "$dev"
	t_error_style
	t_stderr_has "$dev"
}

t_ok run_attaches_and_sigint_detaches case_sigint
t_ok run_sigterm_detaches case_sigterm
t_ok run_with_file_drops_icmp_until_stopped case_file
t_ok run_builtin_counts_registered_port case_builtin_counts
t_ok run_refuses_busy_device_and_keeps_its_program case_device_busy
t_ok run_file_with_two_programs_lists_them case_two_programs
t_ok run_mode_skb_attaches_generic_xdp case_mode_skb
t_ok run_missing_device_names_it case_missing_device
t_done
