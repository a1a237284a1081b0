#!/bin/sh
# fastpathd on a veth lab: it applies its config, counts real traffic,
# survives kill -9 without losing a passing packet, is adopted by the next
# daemon, keeps its state when a reload fails, and says when it runs in
# userspace-only mode.
. "$(dirname "$0")/lib.sh"
t_require_daemon

# config FILE DEV [ENABLED]: a minimal configuration for DEV.
config() {
	cat >"$1" <<EOF
orchestrator:
  ebpf:
    enabled: ${3:-true}
    interface: $2
    mode: auto
  prometheus_port: 0
EOF
}


# pipeline_prog DEV: the id of the XDP program on DEV (0: none).
pipeline_prog() {
	"$FP" -j status "$1" >"$T_TMP/dev.json" 2>/dev/null
	t_json "$T_TMP/dev.json" '(get("xdp") or {}).get("id", 0)'
}

# pass_count DEV: packets the pipeline on DEV passed.
pass_count() {
	"$FP" -j stats "$1" >"$T_TMP/stats.json" 2>/dev/null
	t_json "$T_TMP/stats.json" 'd[0]["counters"]["pipeline"]["pass"]["packets"]'
}

# is_native DEV / lines_at_least FILE N: conditions for t_wait, which
# must re-evaluate them on each try.
is_native() {
	[ "$(t_xdp_mode "$1")" = native ]
}

lines_at_least() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# A pipeline this case brought up goes when the case ends.
with_pipeline() {
	t_res pipeline "$1"
}

case_counts_traffic() {
	t_topo
	with_pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	t_daemon "$T_TMP/c.yaml"
	is_native "$T_DEV" || t_fail "no native XDP on $T_DEV"
	port=$((20000 + $(t_rand 20000)))
	t_res port "$port"
	t_fp 0 ports register "$port" --pid $$
	before=$(pass_count "$T_DEV")
	ip netns exec "$T_NS" sh -c "for i in \$(seq 25); do
		printf x | socat -u -t 0 - UDP4-SENDTO:$T_ADDR:$port; done"
	t_fp 0 -j ports lookup "$port"
	got=$(t_json "$T_TMP/out" 'd["packets"]')
	[ "$got" = 25 ] || t_fail "port $port counted $got packets, want 25"
	after=$(pass_count "$T_DEV")
	[ $((after - before)) -ge 25 ] || t_fail "pipeline passed $((after - before)), want >= 25"
}

# Traffic flows through kill -9 and the restart: every datagram arrives,
# and the new daemon adopts the program instead of replacing it.
case_kill9_loses_nothing() {
	t_topo
	with_pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	t_daemon "$T_TMP/c.yaml"
	id=$(pipeline_prog "$T_DEV")
	port=$((20000 + $(t_rand 20000)))
	t_res port "$port"
	t_fp 0 ports register "$port" --pid $$
	t_udp_listen "" "$port" "$T_TMP/rx"
	ip netns exec "$T_NS" sh -c "for i in \$(seq 200); do
		echo \$i | socat -u -t 0 - UDP4-SENDTO:$T_ADDR:$port; sleep 0.005; done" &
	sender=$!
	t_res pid "$sender"
	sleep 0.3
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	"$FP" status >"$T_TMP/st.txt" 2>&1
	grep -q "daemon: not running" "$T_TMP/st.txt" || t_fail "status does not see the daemon gone"
	t_daemon "$T_TMP/c.yaml"
	wait "$sender"
	t_wait 20 lines_at_least "$T_TMP/rx" 200
	got=$(sort -un "$T_TMP/rx" | wc -l)
	[ "$got" = 200 ] || t_fail "received $got of 200 datagrams"
	t_fp 0 -j ports lookup "$port"
	got=$(t_json "$T_TMP/out" 'd["packets"]')
	[ "$got" = 200 ] || t_fail "port $port counted $got of 200 across the restart"
	t_wait 50 grep -q "adopted" "$T_TMP/fastpathd.log" || t_fail "the restarted daemon did not adopt"
	[ "$(pipeline_prog "$T_DEV")" = "$id" ] || t_fail "program $id was replaced"
}

case_term_keeps_data_plane() {
	t_topo
	with_pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	t_daemon "$T_TMP/c.yaml"
	id=$(pipeline_prog "$T_DEV")
	kill -TERM "$DPID"
	wait "$DPID"
	rc=$?
	[ $rc -eq 0 ] || t_fail "fastpathd exited $rc on SIGTERM"
	[ "$(pipeline_prog "$T_DEV")" = "$id" ] || t_fail "SIGTERM took the pipeline down"
	t_daemon "$T_TMP/c.yaml"
	[ "$(pipeline_prog "$T_DEV")" = "$id" ] || t_fail "a second start replaced program $id"
}

case_sighup_broken_file_keeps_state() {
	t_topo
	with_pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	t_daemon "$T_TMP/c.yaml"
	id=$(pipeline_prog "$T_DEV")
	sed -i 's/mode: auto/mdoe: auto/' "$T_TMP/c.yaml"
	kill -HUP "$DPID"
	t_wait 30 grep -q "reload failed" "$T_TMP/fastpathd.log" || t_fail "no reload failure logged"
	t_wait 50 grep -q "c.yaml:5: orchestrator.ebpf.mdoe" "$T_TMP/fastpathd.log" ||
		t_fail "the log does not name file, line and key: $(cat "$T_TMP/fastpathd.log")"
	kill -0 "$DPID" || t_fail "fastpathd died on a bad reload"
	[ "$(pipeline_prog "$T_DEV")" = "$id" ] || t_fail "the bad reload changed the pipeline"
	t_ping_ok "after the failed reload"
}

# A reload that drops the interface takes its pipeline down; one that adds
# it back brings it up.
case_sighup_applies_new_file() {
	t_topo
	with_pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	t_daemon "$T_TMP/c.yaml"
	config "$T_TMP/c.yaml" "$T_DEV" false
	kill -HUP "$DPID"
	t_wait 30 grep -q "userspace-only" "$T_TMP/fastpathd.log" || t_fail "reload not applied"
	t_wait 20 t_no_xdp "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	kill -HUP "$DPID"
	t_wait 30 is_native "$T_DEV" || t_fail "pipeline not back after reload"
}

case_userspace_only_mode() {
	t_topo
	config "$T_TMP/c.yaml" "$T_DEV" false
	t_daemon "$T_TMP/c.yaml"
	t_wait 50 grep -q "userspace-only mode: orchestrator.ebpf.enabled is false" "$T_TMP/fastpathd.log" ||
		t_fail "the log does not say userspace-only"
	t_fp 0 status
	t_stdout_has "userspace-only mode"
	t_no_xdp "$T_DEV"
}

# The firewall section is applied, and a reload without it removes it.
case_firewall_from_config() {
	t_topo
	with_pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	cp "$T_TMP/c.yaml" "$T_TMP/plain.yaml"
	printf 'firewall:\n  policy: allow\n  rules:\n    - {action: drop, protocol: icmp}\n' >>"$T_TMP/c.yaml"
	t_daemon "$T_TMP/c.yaml"
	t_ping_blocked "with the configured rule"
	cp "$T_TMP/plain.yaml" "$T_TMP/c.yaml"
	kill -HUP "$DPID"
	t_wait 30 grep -q "firewall on $T_DEV: removed" "$T_TMP/fastpathd.log" ||
		t_fail "reload did not remove the firewall"
	t_ping_ok "after the reload without a firewall"
}

case_check_rejects_bad_file() {
	t_topo
	printf 'orchestrator:\n  ebpf:\n    interface: %s\n    mode: nativ\n' "$T_DEV" >"$T_TMP/bad.yaml"
	t_expect 1 "$FPD" --check -c "$T_TMP/bad.yaml"
	t_stderr_has "bad.yaml:4: orchestrator.ebpf.mode"
	t_expect 1 "$FPD" -c "$T_TMP/bad.yaml"
	t_no_xdp "$T_DEV"
}

case_check_rejects_missing_interface() {
	config "$T_TMP/c.yaml" "${T_CASE}zz"
	t_expect 1 "$FPD" --check -c "$T_TMP/c.yaml"
	t_stderr_has "no network interface named '${T_CASE}zz'"
}

# Settings once accepted with a "not implemented yet" warning (metrics,
# issue 13; functions, issue 14) are implemented: valid, and no warning.
case_check_warns_of_unimplemented_settings() {
	cat >"$T_TMP/todo.yaml" <<EOF
orchestrator:
  ebpf: {enabled: false}
  prometheus_port: 9100
functions:
  - {id: api, trigger_port: 8080, handler_path: /bin/true}
EOF
	t_expect 0 "$FPD" --check -c "$T_TMP/todo.yaml"
	t_stdout_has "todo.yaml: valid"
	grep -q "warning" "$T_TMP/err" && t_fail "an implemented setting warns: $(cat "$T_TMP/err")"
	config "$T_TMP/c.yaml" lo false
	t_expect 0 "$FPD" --check -c "$T_TMP/c.yaml"
	! grep -q "warning" "$T_TMP/err" || t_fail "a plain file warns: $(cat "$T_TMP/err")"
}

case_second_daemon_refused() {
	t_topo
	with_pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	t_daemon "$T_TMP/c.yaml"
	t_expect 1 "$FPD" -c "$T_TMP/c.yaml"
	t_stderr_has "another fastpathd is running (pid $DPID)"
}

# xdp_program naming a missing file: --check and a real start both refuse
# it, naming the file, and attach nothing (they crashed, rc 139).
case_missing_xdp_program_refused() {
	t_dummy
	with_pipeline "$T_DEV"
	missing=$T_TMP/missing.bpf.o
	config "$T_TMP/c.yaml" "$T_DEV"
	sed -i "s|^    mode: auto\$|&\n    xdp_program: $missing|" "$T_TMP/c.yaml"
	t_expect 1 "$FPD" --check -c "$T_TMP/c.yaml"
	grep -qF "$missing: no such file" "$T_TMP/err" || t_fail "--check does not name $missing"
	t_expect 1 "$FPD" -c "$T_TMP/c.yaml"
	grep -qF "$missing: no such file" "$T_TMP/err" || t_fail "the start does not name $missing"
	t_no_xdp "$T_DEV"
	[ ! -e "$T_PIN/pipeline/$T_DEV" ] || t_fail "the refused start left pins"
}

# A start refused by the last of its checks (a function's handler), on an
# interface with no pipeline yet: the program it loaded meanwhile on its
# second thread is dropped: nothing attached, nothing pinned for DEV.
case_refused_start_leaves_no_trace() {
	t_topo
	with_pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	cat >>"$T_TMP/c.yaml" <<EOF
firewall:
  rules:
    - {action: drop, protocol: udp, port: 7001}
functions:
  - {id: api, trigger_port: 8080, handler_path: $T_TMP/missing-handler}
EOF
	[ ! -e "$T_PIN/pipeline/$T_DEV" ] || t_fail "$T_DEV has pins before the start"
	t_expect 1 "$FPD" -c "$T_TMP/c.yaml"
	t_stderr_has "missing-handler"
	t_no_xdp "$T_DEV"
	[ ! -e "$T_PIN/pipeline/$T_DEV" ] || t_fail "the refused start left pins: $(ls "$T_PIN/pipeline/$T_DEV")"
}

# Without root or capabilities, fastpathd says why it cannot run.
case_unprivileged_says_why() {
	command -v setpriv >/dev/null 2>&1 || t_skip "setpriv not installed"
	dir=$(mktemp -d "/tmp/$T_CASE.XXXXXX") || t_fail "mktemp failed"
	t_res dir "$dir"
	cp "$FPD" "$dir/" && chmod 755 "$dir" "$dir/fastpathd" || t_fail "copy to $dir failed"
	config "$dir/c.yaml" lo && chmod 644 "$dir/c.yaml"
	t_expect 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$dir/fastpathd" -c "$dir/c.yaml"
	[ -s "$T_TMP/err" ] || t_fail "fastpathd exited 1 and said nothing"
	t_stderr_has "needs root"
	t_stderr_has "CAP_BPF"
}

# fastpath debug --log-level changes a running daemon's level over its
# root-only control socket; --log-file takes the log off stderr. The log
# and the state file are 0600, and a link planted at the state file's
# path is replaced, not followed.
case_debug_log_level() {
	t_dummy
	t_res pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	mkdir -p /run/fastpath
	echo kept >"$T_TMP/victim"
	ln -sf "$T_TMP/victim" /run/fastpath/fastpathd.json
	"$FPD" -c "$T_TMP/c.yaml" --log-file "$T_TMP/d.log" 2>"$T_TMP/stderr" &
	DPID=$!
	t_res pid "$DPID"
	t_wait 50 t_daemon_ready || t_fail "fastpathd did not start: $(cat "$T_TMP/d.log")"
	t_wait 30 test -S /run/fastpath/control.sock || t_fail "no control socket"
	[ "$(stat -c %a /run/fastpath/control.sock)" = 600 ] ||
		t_fail "the control socket is $(stat -c %a /run/fastpath/control.sock), not 600"
	grep -q "starting with" "$T_TMP/d.log" || t_fail "--log-file got nothing"
	[ "$(stat -c %a "$T_TMP/d.log")" = 600 ] || t_fail "the log is $(stat -c %a "$T_TMP/d.log")"
	[ "$(stat -c %a /run/fastpath/fastpathd.json)" = 600 ] ||
		t_fail "the state file is $(stat -c %a /run/fastpath/fastpathd.json), not 600"
	[ "$(cat "$T_TMP/victim")" = kept ] || t_fail "the state was written through the planted link"
	[ ! -L /run/fastpath/fastpathd.json ] || t_fail "the planted link is still the state file"
	[ -s "$T_TMP/stderr" ] && t_fail "logged on stderr too: $(cat "$T_TMP/stderr")"
	grep -q " debug: " "$T_TMP/d.log" && t_fail "debug lines at level info"
	t_fp 2 debug --log-level loud
	t_fp 0 debug --log-level debug
	t_stdout_has "log level debug (was info)"
	grep -q "log level debug (was info)" "$T_TMP/d.log" || t_fail "the change is not logged"
	# A link event is logged at debug now.
	ip link add "${T_CASE}x" type veth peer name "${T_CASE}y" && t_res link "${T_CASE}x"
	t_wait 50 grep -q "debug: netlink: link ${T_CASE}x" "$T_TMP/d.log" ||
		t_fail "no debug line after the change: $(cat "$T_TMP/d.log")"
	if command -v setpriv >/dev/null 2>&1; then
		t_expect 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$FP" debug --log-level info
		t_stderr_has "run as root"
	fi
	kill -TERM "$DPID"
	t_wait 50 sh -c "! kill -0 $DPID 2>/dev/null" || t_fail "fastpathd did not exit"
	[ -e /run/fastpath/control.sock ] && t_fail "the control socket outlived the daemon"
	t_fp 1 debug --log-level info
	t_stderr_has "fastpathd is not running"
}

# fastpath reload: the daemon's answer is the reload's outcome. A bad
# file: exit 1 naming file, line and key, the running state kept; a good
# one: exit 0 and it is applied when the command returns (no waiting).
case_reload_answers_with_outcome() {
	t_topo
	with_pipeline "$T_DEV"
	config "$T_TMP/c.yaml" "$T_DEV"
	t_daemon "$T_TMP/c.yaml"
	t_wait 30 test -S /run/fastpath/control.sock || t_fail "no control socket"
	id=$(pipeline_prog "$T_DEV")
	cp "$T_TMP/c.yaml" "$T_TMP/good.yaml"
	sed -i 's/mode: auto/mdoe: auto/' "$T_TMP/c.yaml"
	t_fp 1 reload
	t_stderr_has "the running configuration stays"
	t_stderr_has "c.yaml:5: orchestrator.ebpf.mdoe"
	[ "$(pipeline_prog "$T_DEV")" = "$id" ] || t_fail "the bad reload changed the pipeline"
	cp "$T_TMP/good.yaml" "$T_TMP/c.yaml"
	printf 'firewall:\n  policy: allow\n  rules:\n    - {action: drop, protocol: icmp}\n' >>"$T_TMP/c.yaml"
	t_fp 0 reload
	t_stdout_has "reloaded $T_TMP/c.yaml"
	t_ping_blocked "right after the reload answered"
	t_fp 2 reload now
}

t_ok fastpathd_counts_traffic_on_its_interface case_counts_traffic
t_ok fastpathd_kill9_and_restart_lose_no_packet case_kill9_loses_nothing
t_ok fastpathd_sigterm_leaves_pipeline_and_restart_adopts case_term_keeps_data_plane
t_ok fastpathd_sighup_with_broken_file_keeps_state case_sighup_broken_file_keeps_state
t_ok fastpathd_sighup_applies_a_new_file case_sighup_applies_new_file
t_ok fastpathd_userspace_only_when_ebpf_disabled case_userspace_only_mode
t_ok fastpathd_applies_and_removes_the_configured_firewall case_firewall_from_config
t_ok fastpathd_check_rejects_bad_file_and_attaches_nothing case_check_rejects_bad_file
t_ok fastpathd_check_rejects_missing_interface case_check_rejects_missing_interface
t_ok fastpathd_check_implemented_settings_do_not_warn case_check_warns_of_unimplemented_settings
t_ok fastpathd_refuses_a_second_instance case_second_daemon_refused
t_ok fastpathd_refuses_a_missing_xdp_program_by_name case_missing_xdp_program_refused
t_ok fastpathd_refused_start_leaves_no_trace case_refused_start_leaves_no_trace
t_ok fastpathd_unprivileged_says_why case_unprivileged_says_why
t_ok fastpathd_debug_sets_log_level_over_root_only_socket case_debug_log_level
t_ok fastpathd_reload_answers_with_its_outcome case_reload_answers_with_outcome
t_done
