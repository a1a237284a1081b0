#!/bin/sh
# fastpath up that fails leaves nothing it created (it left pins that
# `stats` showed as a detached pipeline), and takes nothing down that ran.
. "$(dirname "$0")/lib.sh"
t_require

# no_pipeline DEV: DEV has no pins, no XDP, and stats knows no pipeline.
no_pipeline() {
	[ ! -e "$T_PIN/pipeline/$1" ] ||
		t_fail "the failed up left pins: $(ls "$T_PIN/pipeline/$1" | tr '\n' ' ')"
	t_no_xdp "$1"
	t_fp 1 stats "$1"
	t_stderr_has "no pipeline on $1"
}

# ifb_dev: dev, an interface whose driver has no native XDP (ifb), up.
ifb_dev() {
	dev=${T_CASE}i
	t_res link "$dev"
	t_res pipeline "$dev"
	ip link add "$dev" type ifb 2>/dev/null || t_skip "no ifb devices here"
	ip link set "$dev" up
}

# An interface whose driver has no native XDP (ifb).
case_native_unsupported_leaves_nothing() {
	ifb_dev
	t_fp 1 up "$dev" --mode native --stages flows,ports
	t_stderr_has "native XDP is not supported"
	no_pipeline "$dev"
}

# A chained program the verifier rejects fails the up.
case_rejected_chain_leaves_nothing() {
	t_dummy
	t_res pipeline "$T_DEV"
	t_fp 1 up "$T_DEV" --mode native --chain "$T_PROGS/bad_verifier.bpf.o"
	no_pipeline "$T_DEV"
}

# A pipeline that ran before the failed up keeps running.
case_failed_up_keeps_running_pipeline() {
	t_dummy
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --mode native --stages ports
	t_fp 1 up "$T_DEV" --chain "$T_PROGS/bad_verifier.bpf.o"
	[ -e "$T_PIN/pipeline/$T_DEV/link" ] || t_fail "the failed up took the pipeline down"
	[ "$(t_xdp_mode "$T_DEV")" = native ] || t_fail "no pipeline attached after the failed up"
}

# xdp_prog_id DEV: the id of the XDP program running on DEV.
xdp_prog_id() {
	ip -d link show dev "$1" | sed -n 's/.*prog\/xdp[a-z]* id \([0-9]*\).*/\1/p' | head -n1
}

# An up asking for native mode where the driver has none fails, and the
# pipeline that ran in skb mode runs on, the same program, in skb mode.
case_failed_mode_switch_keeps_pipeline() {
	ifb_dev
	t_fp 0 up "$dev" --stages flows,ports
	[ "$(t_xdp_mode "$dev")" = skb ] || t_fail "up on ifb ran in $(t_xdp_mode "$dev") mode, want skb"
	id=$(xdp_prog_id "$dev")
	t_fp 1 up "$dev" --mode native --stages ports
	t_stderr_has "native XDP is not supported"
	t_stderr_has "runs on as before, in skb mode"
	[ "$(t_xdp_mode "$dev")" = skb ] || t_fail "the failed up left $dev with $(t_xdp_mode "$dev") XDP"
	[ -e "$T_PIN/pipeline/$dev/link" ] || t_fail "the failed up left no link pin"
	[ "$(xdp_prog_id "$dev")" = "$id" ] ||
		t_fail "program $id ran before the failed up, $(xdp_prog_id "$dev") after"
	t_fp 0 flows "$dev" --counters
	t_fp 0 stats "$dev"
}

# A chain file that cannot be chained fails the up before it changes
# anything: the program running (built for flows) is the same.
case_bad_chain_changes_nothing() {
	t_dummy
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages flows,ports
	id=$(xdp_prog_id "$T_DEV")
	t_fp 1 up "$T_DEV" --stages ports --chain "$T_TMP/nonexistent.o"
	t_stderr_has "no such file"
	[ "$(xdp_prog_id "$T_DEV")" = "$id" ] ||
		t_fail "the failed up replaced program $id with $(xdp_prog_id "$T_DEV")"
	t_fp 1 up "$T_DEV" --stages ports --chain "$T_PROGS/bad_verifier.bpf.o"
	[ "$(xdp_prog_id "$T_DEV")" = "$id" ] ||
		t_fail "the rejected chain replaced program $id with $(xdp_prog_id "$T_DEV")"
}

# pin_id NAME: the id of the map pinned as NAME in T_DEV's pipeline.
pin_id() {
	bpftool -j map show pinned "$T_PIN/pipeline/$T_DEV/$1" 2>/dev/null |
		"$T_PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

# A reload that fails puts back the pins it set aside: the flows table is
# to be made larger, and the memory cgroup the up runs in refuses it; the
# running program's table (and the maps pinned with it) stays pinned.
case_failed_reload_keeps_its_pins() {
	[ -f "$T_MEMCG/memory.limit_in_bytes" ] || t_skip "no cgroup v1 memory controller"
	t_dummy
	t_res pipeline "$T_DEV"
	t_fp 0 up "$T_DEV" --stages flows
	flows=$(pin_id flows) meta=$(pin_id flow_meta)
	[ -n "$flows" ] && [ -n "$meta" ] || t_fail "no flows pins after up"
	cg=$T_MEMCG/$T_CASE
	t_res cgroup "$cg"
	mkdir "$cg" && echo 80M >"$cg/memory.limit_in_bytes" || t_fail "cannot make $cg"
	sh -c "echo \$\$ >$cg/cgroup.procs && exec $FP up $T_DEV --stages flows --max-flows 8000000" \
		2>"$T_TMP/up.err" && t_fail "up with an 8M-flow table under 80 MB succeeded"
	grep -q "Cannot allocate memory" "$T_TMP/up.err" || t_fail "up failed otherwise: $(cat "$T_TMP/up.err")"
	[ "$(pin_id flows)" = "$flows" ] && [ "$(pin_id flow_meta)" = "$meta" ] ||
		t_fail "the running pipeline's flows pins are gone: $(ls "$T_PIN/pipeline/$T_DEV" | tr '\n' ' ')"
	[ ! -e "$T_PIN/pipeline/$T_DEV/aside" ] || t_fail "the pins set aside were left there"
	t_fp 0 up "$T_DEV" --stages flows --max-flows 1000
	[ "$(pin_id flows)" != "$flows" ] || t_fail "a table of another size was not made"
}

t_ok up_native_unsupported_leaves_no_pins case_native_unsupported_leaves_nothing
t_ok up_rejected_chain_leaves_no_pins case_rejected_chain_leaves_nothing
t_ok up_failure_keeps_a_running_pipeline case_failed_up_keeps_running_pipeline
t_ok up_failed_reload_keeps_its_pins case_failed_reload_keeps_its_pins
t_ok up_native_failing_keeps_the_skb_pipeline case_failed_mode_switch_keeps_pipeline
t_ok up_with_a_bad_chain_changes_nothing case_bad_chain_changes_nothing
t_done
