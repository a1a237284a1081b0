#!/bin/sh
# fastpath's failures: each wrong input gets its exit status (1 runtime, 2
# usage), an error on stderr that starts with "fastpath: " and says what
# is wrong and what to do, and leaves nothing pinned behind.
. "$(dirname "$0")/lib.sh"
t_require

# t_not_pinned NAME: nothing fastpath keeps for NAME exists.
t_not_pinned() {
	[ ! -e "$T_PIN/progs/$1" ] || t_fail "$T_PIN/progs/$1 was created"
	[ ! -e "$T_PIN/maps/$1" ] || t_fail "$T_PIN/maps/$1 was created"
	[ -z "$(t_links_of "$1")" ] || t_fail "link pins created: $(t_links_of "$1")"
}

case_missing_file() {
	f=$T_TMP/$T_CASE-missing.bpf.o
	t_fp 1 load "$f" --name "${T_CASE}_x"
	t_error_style
	t_stderr_has "$f"
	t_stderr_has "no such file"
}

# load_refused FILE TEXT: loading FILE fails (exit 1) with TEXT in the
# error, and nothing is pinned.
load_refused() {
	name=${T_CASE}_x
	t_res prog "$name"
	t_fp 1 load "$1" --name "$name"
	t_error_style
	t_stderr_has "$2"
	t_not_pinned "$name"
}
# an existing file that is no BPF object
case_text_file() { load_refused /etc/passwd "not a BPF object"; }
case_elf_file() { load_refused /bin/true "not a BPF object"; }

case_two_programs() {
	name=${T_CASE}_two
	t_res prog "$name"
	t_fp 1 load "$T_PROGS/two_progs.bpf.o" --name "$name"
	t_error_style
	t_stderr_has first_pass
	t_stderr_has second_drop
	t_stderr_has "--prog"
	t_not_pinned "$name"
}

case_prog_selects() {
	command -v bpftool >/dev/null 2>&1 || t_skip "bpftool not installed"
	t_load "$T_PROGS/two_progs.bpf.o" --prog second_drop
	bpftool -j prog show pinned "$T_PIN/progs/$T_NAME" >"$T_TMP/prog.json" 2>&1
	got=$(t_json "$T_TMP/prog.json" 'd.get("name")')
	[ "$got" = second_drop ] || t_fail "pinned program is $got, want second_drop"
}

case_verifier() {
	name=${T_CASE}_bad
	t_res prog "$name"
	t_fp 1 load "$T_PROGS/bad_verifier.bpf.o" --name "$name"
	t_error_style
	t_stderr_has "verification failed"
	# The verifier's last words about this program.
	t_stderr_has "invalid access to packet"
	t_not_pinned "$name"
}

# -v prints the whole log: its first line (state at instruction 0) too.
case_verifier_verbose() {
	name=${T_CASE}_bad
	t_res prog "$name"
	t_fp 1 -v load "$T_PROGS/bad_verifier.bpf.o" --name "$name"
	t_stderr_has "verification failed"
	grep -q '^0: R1=ctx' "$T_TMP/err" || t_fail "stderr lacks the log's first line (0: R1=ctx...)"
	t_stderr_has "invalid access to packet"
	t_stderr_has "processed 2 insns"
}

case_name_taken() {
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 1 load "$T_PROGS/xdp_pass.bpf.o" --name "$T_NAME"
	t_error_style
	t_stderr_has "already"
	t_stderr_has "unload"
	[ -e "$T_PIN/progs/$T_NAME" ] || t_fail "the first $T_NAME was removed"
}

# A NAME that is a path must not pin outside progs/.
case_name_is_path() {
	name=${T_CASE}_evil
	for p in "$T_PIN/$name" "$T_PIN/progs/$name"; do
		[ ! -e "$p" ] || t_fail "$p exists before the test"
	done
	t_fp 2 load "$T_PROGS/xdp_pass.bpf.o" --name "../$name"
	t_error_style
	[ ! -e "$T_PIN/$name" ] || { rm -f "$T_PIN/$name"; t_fail "pinned $T_PIN/$name, outside progs/"; }
}

# bpffs refuses '.' in names: a dotted NAME is a usage error, not a
# failure to pin reported as something else.
case_name_with_dot() {
	name=${T_CASE}.x
	t_res prog "$name"
	t_fp 2 load "$T_PROGS/xdp_pass.bpf.o" --name "$name"
	t_error_style
	t_stderr_has "$name"
}

# An object the kernel refuses before its verifier runs (a map it will not
# create) is a runtime failure about the object, not a bad name.
case_map_refused() { load_refused "$T_PROGS/bad_map.bpf.o" "refused it before its verifier ran"; }

# A NAME that a map pinned by its name holds (maps/NAME, a file where a
# program's maps would go in a directory): said so, not "already loaded".
case_name_taken_by_shared_map() {
	t_need_bpftool
	name=${T_CASE}_m
	t_res prog "$name"
	mkdir -p "$T_PIN/maps"
	bpftool map create "$T_PIN/maps/$name" type array key 4 value 4 entries 1 name shared ||
		t_fail "bpftool could not pin a map at maps/$name"
	t_fp 1 load "$T_PROGS/xdp_pass.bpf.o" --name "$name"
	t_error_style
	t_stderr_has "taken by a map shared by name"
	[ -f "$T_PIN/maps/$name" ] || t_fail "the shared map's pin is gone"
	[ ! -e "$T_PIN/progs/$name" ] || t_fail "the program was pinned"
}

case_missing_interface() {
	t_load "$T_PROGS/xdp_pass.bpf.o"
	dev=${T_CASE}nx
	t_fp 1 attach "$T_NAME" "$dev"
	t_error_style
	t_stderr_has "$dev"
	t_stderr_has "ip link show"
	[ -z "$(t_links_of "$T_NAME")" ] || t_fail "link pinned: $(t_links_of "$T_NAME")"
}

case_socket_filter_to_device() {
	t_dummy
	t_load "$T_PROGS/socket_filter.bpf.o"
	t_fp 1 attach "$T_NAME" "$T_DEV"
	t_error_style
	t_stderr_has "socket"
	[ -z "$(t_links_of "$T_NAME")" ] || t_fail "link pinned: $(t_links_of "$T_NAME")"
}

case_xdp_to_cgroup() {
	grep -q " $T_CGROOT cgroup2 " /proc/mounts || t_skip "no cgroup v2 at $T_CGROOT"
	cg=$T_CGROOT/$T_CASE
	t_res cgroup "$cg"
	mkdir "$cg" || t_fail "mkdir $cg failed"
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 1 attach "$T_NAME" "$cg"
	t_error_style
	t_stderr_has "network interface"
	[ -z "$(t_links_of "$T_NAME")" ] || t_fail "link pinned: $(t_links_of "$T_NAME")"
}

# One XDP program per interface: a second is refused, the first stays.
case_second_xdp_program() {
	t_topo
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	first=$T_NAME
	t_fp 0 attach "$first" "$T_DEV"
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 1 attach "$T_NAME" "$T_DEV"
	t_error_style
	t_stderr_has "already has an XDP program"
	t_stderr_has "detach"
	[ -z "$(t_links_of "$T_NAME")" ] || t_fail "link pinned: $(t_links_of "$T_NAME")"
	t_ping_blocked "with the first program still attached"
}

case_attach_twice() {
	t_dummy
	t_load "$T_PROGS/tc_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV"
	t_fp 1 attach "$T_NAME" "$T_DEV"
	t_error_style
	t_stderr_has "already attached"
	[ "$(t_links_of "$T_NAME" | wc -l)" -eq 1 ] || t_fail "link pins: $(t_links_of "$T_NAME")"
}

case_attach_unknown_program() {
	t_dummy
	name=${T_CASE}_none
	t_fp 1 attach "$name" "$T_DEV"
	t_error_style
	t_stderr_has "$name"
	t_no_xdp "$T_DEV"
}

case_unload_unknown_program() {
	name=${T_CASE}_none
	t_fp 1 unload "$name"
	t_error_style
	t_stderr_has "$name"
}

case_detach_not_attached() {
	t_dummy
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 1 detach "$T_NAME" "$T_DEV"
	t_error_style
	t_stderr_has "$T_NAME"
	[ -e "$T_PIN/progs/$T_NAME" ] || t_fail "failed detach removed the program"
}

# As nobody without capabilities: told to become root or grant the
# capabilities. The binary is copied where nobody can run it.
case_unprivileged() {
	command -v setpriv >/dev/null 2>&1 || t_skip "setpriv not installed"
	dir=$(mktemp -d "/tmp/$T_CASE.XXXXXX") || t_fail "mktemp failed"
	t_res dir "$dir"
	cp "$FP" "$T_PROGS/xdp_pass.bpf.o" "$dir/" || t_fail "copy to $dir failed"
	chmod 755 "$dir" "$dir/fastpath"
	chmod 644 "$dir/xdp_pass.bpf.o"
	name=${T_CASE}_nobody
	t_res prog "$name"
	t_expect 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all \
		"$dir/fastpath" load "$dir/xdp_pass.bpf.o" --name "$name"
	t_error_style
	grep -qiE 'root|CAP_BPF' "$T_TMP/err" || t_fail "stderr mentions neither root nor CAP_BPF"
	t_stderr_has "setcap cap_bpf,cap_net_admin+ep"
	t_not_pinned "$name"
}

# An interface whose driver has no native XDP (ifb): --mode native is
# refused with the modes that work, and nothing is left attached.
case_native_unsupported() {
	dev=${T_CASE}i
	t_res link "$dev"
	ip link add "$dev" type ifb 2>/dev/null || t_skip "no ifb devices here"
	ip link set "$dev" up
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 1 attach "$T_NAME" "$dev" --mode native
	t_error_style
	t_stderr_has "native XDP is not supported"
	t_stderr_has "--mode skb"
	t_no_xdp "$dev"
	t_fp 0 attach "$T_NAME" "$dev" --mode auto
	t_stdout_has "fell back to skb"
	# With -j the fallback is in the JSON too.
	t_fp 0 detach "$T_NAME" "$dev"
	t_fp 0 -j attach "$T_NAME" "$dev" --mode auto
	[ "$(t_json "$T_TMP/out" 'get("mode")')" = skb ] || t_fail "-j attach: $(cat "$T_TMP/out")"
	[ -n "$(t_json "$T_TMP/out" 'get("native_error") or ""')" ] ||
		t_fail "-j attach does not say native failed: $(cat "$T_TMP/out")"
}

# Without privileges, run says why and shows the interface's own counters.
case_run_unprivileged_userspace_only() {
	command -v setpriv >/dev/null 2>&1 || t_skip "setpriv not installed"
	t_topo
	dir=$(mktemp -d "/tmp/$T_CASE.XXXXXX") || t_fail "mktemp failed"
	t_res dir "$dir"
	cp "$FP" "$dir/" && chmod 755 "$dir" "$dir/fastpath" || t_fail "copy to $dir failed"
	t_expect 0 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all \
		"$dir/fastpath" run "$T_DEV" --duration 0.5 --interval 0.2
	t_stdout_has "BPF is not used: not root"
	t_stdout_has "userspace-only"
	t_stdout_has "rx "
	t_no_xdp "$T_DEV"
}

# Usage errors: exit 2, before anything is touched.
# With no command at all, the usage text itself is the message.
case_usage_no_args() {
	t_fp 2
	head -n1 "$T_TMP/err" | grep -qE '^(fastpath: |usage: )' ||
		t_fail "stderr starts with neither \"fastpath: \" nor \"usage: \""
}
case_usage_unknown_verb() {
	t_fp 2 frobnicate
	t_error_style
	t_stderr_has frobnicate
}
case_usage_load_no_file() {
	t_fp 2 load
	t_error_style
}
# run's seconds: NaN, an empty word and infinity are no number of seconds
# (NaN made it print without pause, "" ran it forever); nothing attached.
case_usage_run_bad_seconds() {
	t_dummy
	for s in nan "" inf -1; do
		t_fp 2 run "$T_DEV" --interval "$s" --duration 1
		t_stderr_has "takes seconds"
		t_fp 2 run "$T_DEV" --duration "$s"
		t_stderr_has "takes seconds"
	done
	t_no_xdp "$T_DEV"
}

case_usage_bad_mode() {
	t_dummy
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 2 attach "$T_NAME" "$T_DEV" --mode turbo
	t_error_style
	t_stderr_has turbo
	t_no_xdp "$T_DEV"
}
case_usage_bad_direction() {
	t_dummy
	t_load "$T_PROGS/tc_drop_icmp.bpf.o"
	t_fp 2 attach "$T_NAME" "$T_DEV" --direction sideways
	t_error_style
	t_stderr_has sideways
}

# An option the program's type has no use for is refused (it was ignored):
# --mode for TC, --direction for XDP; nothing is attached.
case_usage_option_of_another_type() {
	t_dummy
	t_load "$T_PROGS/tc_drop_icmp.bpf.o"
	t_fp 2 attach "$T_NAME" "$T_DEV" --mode skb
	t_stderr_has "--mode is for XDP programs"
	[ -z "$(t_links_of "$T_NAME")" ] || t_fail "attached: $(t_links_of "$T_NAME")"
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 2 attach "$T_NAME" "$T_DEV" --direction egress
	t_stderr_has "--direction is for TC and cgroup_skb programs"
	t_no_xdp "$T_DEV"
}
case_usage_unknown_option() {
	name=${T_CASE}_x
	t_res prog "$name"
	t_fp 2 load "$T_PROGS/xdp_pass.bpf.o" --name "$name" --frob
	t_error_style
	t_not_pinned "$name"
}

t_ok load_missing_file_names_it case_missing_file
t_ok load_text_file_is_not_a_bpf_object case_text_file
t_ok load_non_bpf_elf_is_not_a_bpf_object case_elf_file
t_ok load_two_programs_without_prog_lists_them case_two_programs
t_ok load_prog_selects_one_of_two case_prog_selects
t_ok load_verifier_rejection_shows_log_tail case_verifier
t_ok load_verbose_shows_whole_verifier_log case_verifier_verbose
t_ok load_name_taken_suggests_unload case_name_taken
t_ok load_name_with_path_is_refused case_name_is_path
t_ok load_name_with_dot_exits_2 case_name_with_dot
t_ok load_map_refused_is_not_a_bad_name case_map_refused
t_ok load_name_taken_by_shared_map_says_so case_name_taken_by_shared_map
t_ok attach_missing_interface_names_it case_missing_interface
t_ok attach_socket_filter_to_device_says_what_fits case_socket_filter_to_device
t_ok attach_xdp_to_cgroup_says_what_fits case_xdp_to_cgroup
t_ok attach_second_xdp_program_refused_first_kept case_second_xdp_program
t_ok attach_same_program_twice_refused case_attach_twice
t_ok attach_unknown_program_names_it case_attach_unknown_program
t_ok unload_unknown_program_names_it case_unload_unknown_program
t_ok detach_not_attached_fails case_detach_not_attached
t_ok unprivileged_load_explains_privileges case_unprivileged
t_ok attach_native_unsupported_suggests_skb case_native_unsupported
t_ok run_unprivileged_falls_back_to_userspace_only case_run_unprivileged_userspace_only
t_ok usage_no_arguments_exits_2 case_usage_no_args
t_ok usage_unknown_verb_exits_2 case_usage_unknown_verb
t_ok usage_load_without_file_exits_2 case_usage_load_no_file
t_ok usage_bad_mode_exits_2 case_usage_bad_mode
t_ok usage_run_bad_seconds_exits_2 case_usage_run_bad_seconds
t_ok usage_bad_direction_exits_2 case_usage_bad_direction
t_ok usage_option_of_another_type_exits_2 case_usage_option_of_another_type
t_ok usage_unknown_option_exits_2 case_usage_unknown_option
t_done
