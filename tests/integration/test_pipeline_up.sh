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

# An interface whose driver has no native XDP (ifb).
case_native_unsupported_leaves_nothing() {
	dev=${T_CASE}i
	t_res link "$dev"
	t_res pipeline "$dev"
	ip link add "$dev" type ifb 2>/dev/null || t_skip "no ifb devices here"
	ip link set "$dev" up
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

t_ok up_native_unsupported_leaves_no_pins case_native_unsupported_leaves_nothing
t_ok up_rejected_chain_leaves_no_pins case_rejected_chain_leaves_nothing
t_ok up_failure_keeps_a_running_pipeline case_failed_up_keeps_running_pipeline
t_done
