#!/bin/sh
# fastpath's conventions (bpftool's): per-command help, --version, JSON
# results and JSON errors with -j, pretty JSON with -p, programs named as
# NAME, id N or pinned PATH, mode words drv and generic; and the CLI bugs
# a new user hit (issue 12), each pinned by one case.
. "$(dirname "$0")/lib.sh"
t_require

FPD=$T_BUILD/fastpathd

# ---- help and version -------------------------------------------------------

case_cmd_help() {
	t_fp 0 stats --help
	t_stdout_has "usage: fastpath stats"
	t_fp 0 help flows
	t_stdout_has "usage: fastpath flows"
	t_fp 0 firewall help
	t_stdout_has "usage: fastpath firewall list"
	t_fp 0 ports -h
	t_stdout_has "usage: fastpath ports register"
}

case_help_unknown_command() {
	t_fp 2 help frobnicate
	t_error_style
	t_stderr_has frobnicate
}

case_version() {
	t_fp 0 --version
	grep -qE '^fastpath [0-9A-Za-z]' "$T_TMP/out" || t_fail "no version line"
	want=$(sed 's/^fastpath //' "$T_TMP/out")
	t_expect 0 "$FPD" --version
	[ "$(cat "$T_TMP/out")" = "fastpathd $want" ] ||
		t_fail "fastpathd says $(cat "$T_TMP/out"), want fastpathd $want"
}

# ---- JSON ---------------------------------------------------------------------

case_json_error_on_stdout() {
	name=${T_CASE}_none
	t_fp 1 -j unload "$name"
	t_error_style
	got=$(t_json "$T_TMP/out" 'd["error"]')
	case $got in *"$name"*) ;; *) t_fail "JSON error is '$got', want one naming $name" ;; esac
}

case_json_usage_error() {
	t_fp 2 --json frobnicate
	[ "$(t_json "$T_TMP/out" '"error" in d')" = True ] || t_fail "no JSON error on stdout"
}

case_pretty_json() {
	t_fp 0 -p --version
	[ "$(wc -l <"$T_TMP/out")" -gt 1 ] || t_fail "-p printed one line"
	[ "$(t_json "$T_TMP/out" 'd["version"] != ""')" = True ] || t_fail "not JSON"
	t_fp 0 programs --pretty
	[ "$(t_json "$T_TMP/out" 'type(d).__name__')" = list ] || t_fail "programs --pretty is no JSON list"
}

# Every verb answers -j with a JSON result, also those that printed nothing.
case_json_results() {
	t_dummy
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 0 -j attach "$T_NAME" "$T_DEV" --mode skb
	[ "$(t_json "$T_TMP/out" 'd["mode"]')" = skb ] || t_fail "attach: no JSON mode"
	t_fp 0 -j detach "$T_NAME" "$T_DEV"
	[ "$(t_json "$T_TMP/out" 'd["detached"]')" = 1 ] || t_fail "detach: no JSON count"
	t_fp 0 -j unload "$T_NAME"
	[ "$(t_json "$T_TMP/out" 'd["unloaded"]')" = True ] || t_fail "unload: no JSON result"
	t_free_port
	t_fp 0 -j ports register "$T_PORT" --pid $$
	[ "$(t_json "$T_TMP/out" 'd["registered"]')" = True ] || t_fail "ports register: no JSON result"
	t_fp 0 -j ports unregister "$T_PORT"
	[ "$(t_json "$T_TMP/out" '(d["port"], d["registered"])')" = "($T_PORT, False)" ] ||
		t_fail "ports unregister: no JSON result"
}

# ---- naming programs ----------------------------------------------------------

# load FILE.o without --name: the file's base name, so attach NAME works.
case_load_names_after_file() {
	T_NAME=${T_CASE}_fw
	cp "$T_PROGS/xdp_pass.bpf.o" "$T_TMP/$T_NAME.bpf.o" || t_fail "copy failed"
	t_res prog "$T_NAME"
	t_fp 0 load "$T_TMP/$T_NAME.bpf.o"
	t_stdout_has "loaded $T_NAME:"
	[ -e "$T_PIN/progs/$T_NAME" ] || t_fail "not pinned as $T_NAME"
	t_dummy
	t_fp 0 attach "$T_NAME" "$T_DEV" --mode skb
}

case_prog_by_id_and_pin() {
	t_dummy
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 0 -j programs
	id=$(t_json "$T_TMP/out" 'find("name", a[0])["id"]' "$T_NAME")
	t_fp 0 attach id "$id" "$T_DEV" --mode generic
	t_stdout_has "attached $T_NAME"
	[ "$(t_xdp_mode "$T_DEV")" = skb ] || t_fail "generic did not attach in skb mode"
	# A map's pin names no program (its id could be a program's).
	t_need_bpftool
	mkdir -p "$T_PIN/maps"
	t_res prog "${T_CASE}_m"
	bpftool map create "$T_PIN/maps/${T_CASE}_m" type array key 4 value 4 entries 1 name m ||
		t_fail "bpftool could not pin a map"
	t_fp 1 detach pinned "$T_PIN/maps/${T_CASE}_m" "$T_DEV"
	t_stderr_has "not a program"
	[ "$(t_xdp_mode "$T_DEV")" = skb ] || t_fail "detach by a map's pin detached $T_NAME"
	t_fp 0 detach pinned "$T_PIN/progs/$T_NAME" "$T_DEV"
	t_no_xdp "$T_DEV"
	t_fp 0 unload id "$id"
	[ ! -e "$T_PIN/progs/$T_NAME" ] || t_fail "unload id $id left the pin"
}

case_prog_id_not_ours() {
	t_fp 1 detach id 4294967295
	t_error_style
	t_stderr_has "not a program fastpath loaded"
}

case_mode_drv() {
	t_topo
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV" --mode drv
	[ "$(t_xdp_mode "$T_DEV")" = native ] || t_fail "drv did not attach in native mode"
}

# ---- issue 12: crashes and misleading errors ----------------------------------

# The device array outlived by the error that named it (use after free).
case_firewall_list_no_firewall_names_dev() {
	t_dummy
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --mode skb --stages ports
	t_fp 1 firewall list "$T_DEV"
	t_error_style
	t_stderr_has "no firewall on $T_DEV"
}

# A pipeline directory that cannot be read: stats names it, whole.
case_stats_bad_pipeline_names_dev() {
	dev=${T_ID}x  # under IFNAMSIZ, as a pipeline directory is
	mkdir -p "$T_PIN/pipeline/$dev" || t_fail "mkdir in bpffs failed"
	t_res pipeline "$dev"
	t_fp 1 stats
	t_error_style
	t_stderr_has "$dev"
}

case_dhcp_leases_missing_file() {
	f=$T_TMP/${T_CASE}-none.leases
	t_fp 1 dhcp leases --file "$f"
	t_error_style
	t_stderr_has "$f"
	t_fp 1 -j dhcp leases --file "$f"
	[ "$(t_json "$T_TMP/out" '"error" in d')" = True ] || t_fail "no JSON error"
}

# Own program, kernel.bpf_stats_enabled off: no "saw 0 packets".
case_run_counts_off() {
	[ "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)" = 0 ] ||
		t_skip "kernel.bpf_stats_enabled is on here"
	t_topo
	t_expect 0 "$FP" run "$T_DEV" "$T_PROGS/xdp_pass.bpf.o" --duration 0.6 --interval 0.2
	t_stdout_has "run counts are off"
	grep -q "saw 0 packets" "$T_TMP/out" && t_fail "still says it saw 0 packets"
	t_no_xdp "$T_DEV"
}

case_verifier_words() {
	name=${T_CASE}_bad
	t_res prog "$name"
	t_fp 1 load "$T_PROGS/bad_verifier.bpf.o" --name "$name"
	t_stderr_has "rejected by the verifier"
	grep -qi "permission denied" "$T_TMP/err" && t_fail "says Permission denied"
	return 0
}

# An object built without -g: its maps need BTF; say so, not "no such file".
case_no_btf() {
	command -v llvm-objcopy >/dev/null 2>&1 || t_skip "llvm-objcopy not installed"
	f=$T_TMP/${T_CASE}_nobtf.bpf.o
	llvm-objcopy --remove-section=.BTF --remove-section=.BTF.ext \
		"$T_EXAMPLES/xdp_port_count.bpf.o" "$f" || t_fail "llvm-objcopy failed"
	t_res prog "${T_CASE}_nobtf"
	t_fp 1 load "$f"
	t_error_style
	t_stderr_has "no BTF"
	t_stderr_has "clang -g"
	grep -qi "no such file" "$T_TMP/err" && t_fail "says no such file"
	return 0
}

case_sk_skb_attach_says_how() {
	t_dummy
	t_load "$T_PROGS/sk_skb_pass.bpf.o"
	t_fp 1 attach "$T_NAME" "$T_DEV"
	t_error_style
	t_stderr_has "sockmap"
	t_stderr_has "does not attach these yet"
	t_stderr_has "bpftool prog attach"
	t_stderr_has "stream_verdict"
	grep -q "through its proxy" "$T_TMP/err" && t_fail "points at a proxy that does not exist"
	return 0
}

# The XDP program is the pipeline's, held by a bpf_link: ip link ... xdp
# off cannot remove it; fastpath down can.
case_xdp_busy_pipeline_hint() {
	t_dummy
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --mode skb --stages ports
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 1 attach "$T_NAME" "$T_DEV"
	t_error_style
	t_stderr_has "fastpath down $T_DEV"
	grep -q "xdp off" "$T_TMP/err" && t_fail "suggests ip link ... xdp off"
	return 0
}

case_xdp_busy_program_hint() {
	t_dummy
	t_load "$T_PROGS/xdp_pass.bpf.o"
	first=$T_NAME
	t_fp 0 attach "$first" "$T_DEV" --mode skb
	T_NAME=${T_CASE}_second
	t_res prog "$T_NAME"
	t_fp 0 load "$T_PROGS/xdp_pass.bpf.o" --name "$T_NAME"
	t_fp 1 attach "$T_NAME" "$T_DEV"
	t_stderr_has "fastpath detach $first $T_DEV"
}

t_ok help_per_command case_cmd_help
t_ok help_unknown_command_is_usage_error case_help_unknown_command
t_ok version_of_both_binaries case_version
t_ok json_error_on_stdout case_json_error_on_stdout
t_ok json_usage_error_on_stdout case_json_usage_error
t_ok pretty_json case_pretty_json
t_ok json_results_of_every_verb case_json_results
t_ok load_names_program_after_file case_load_names_after_file
t_ok programs_by_id_and_pinned_path case_prog_by_id_and_pin
t_ok program_id_not_ours case_prog_id_not_ours
t_ok mode_drv_is_native case_mode_drv
t_ok firewall_list_without_firewall_names_dev case_firewall_list_no_firewall_names_dev
t_ok stats_unreadable_pipeline_names_dev case_stats_bad_pipeline_names_dev
t_ok dhcp_leases_missing_file_fails_with_path case_dhcp_leases_missing_file
t_ok run_own_program_says_run_counts_off case_run_counts_off
t_ok verifier_rejection_says_verifier case_verifier_words
t_ok object_without_btf_says_rebuild_with_g case_no_btf
t_ok sk_skb_attach_says_what_works case_sk_skb_attach_says_how
t_ok xdp_busy_by_pipeline_says_fastpath_down case_xdp_busy_pipeline_hint
t_ok xdp_busy_by_program_says_fastpath_detach case_xdp_busy_program_hint
t_done
