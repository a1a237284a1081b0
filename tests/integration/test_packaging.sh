#!/bin/sh
# Packaging: the man pages (lint-clean, every CLI verb in fastpath(8)), the
# bash completion, the systemd unit (verifies, its security score, its
# capability set suffices for fastpathd), the .deb (builds, unpacks, runs)
# and the Kubernetes DaemonSet (schema check).
. "$(dirname "$0")/lib.sh"
t_require
MAN=$T_SRCROOT/docs/man
UNIT_IN=$T_SRCROOT/packaging/fastpathd.service.in
COMPLETION=$T_SRCROOT/packaging/fastpath.bash-completion
K8S=$T_SRCROOT/packaging/kubernetes
# The exposure systemd-analyze gave when docs/deploy.md was written; a
# change that makes it worse fails here.
UNIT_MAX_EXPOSURE=3.0

# t_verbs: every top-level verb of the CLI, one a line: the words `fastpath
# help` lists and the names in src/cli's command tables, so that a verb
# added by anyone is checked.
t_verbs() {
	{
		"$FP" help 2>&1 | sed -n 's/^  \([a-z][a-z0-9-]*\)\( .*\)\{0,1\}$/\1/p'
		sed -n 's/.*{ *"\([a-z][a-z0-9-]*\)", *cmd_[a-z0-9_]* *}.*/\1/p' \
			"$T_SRCROOT"/src/cli/*.c
	} | sort -u
}

case_man_lint() {
	command -v mandoc >/dev/null 2>&1 || t_skip "mandoc not installed (scripts/deps.sh)"
	for p in fastpath.8 fastpathd.8 fastpath.yaml.5; do
		t_expect 0 mandoc -T lint -W warning "$MAN/$p"
		[ ! -s "$T_TMP/out" ] && [ ! -s "$T_TMP/err" ] || t_fail "mandoc -T lint: $p has warnings"
	done
}

case_man_renders() {
	for p in fastpath.8 fastpathd.8 fastpath.yaml.5; do
		T_LAST="man -l $p"
		MANWIDTH=80 man -l "$MAN/$p" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
		T_RC=$?
		[ "$T_RC" -eq 0 ] && [ ! -s "$T_TMP/err" ] || t_fail "man -l $p failed or warned"
		t_stdout_has "SYNOPSIS"
	done
}

case_man_lists_every_verb() {
	t_verbs >"$T_TMP/verbs"
	n=$(wc -l <"$T_TMP/verbs")
	[ "$n" -ge 10 ] || t_fail "found only $n verbs in fastpath help and src/cli: $(cat "$T_TMP/verbs")"
	missing=
	while read -r v; do
		grep -qE "^\.(It )?Cm $v( |\$)" "$MAN/fastpath.8" || missing="$missing $v"
	done <"$T_TMP/verbs"
	[ -z "$missing" ] || t_fail "fastpath(8) has no .Cm entry for:$missing"
}

case_man_fastpathd_lists_every_option() {
	t_run "$T_BUILD/fastpathd" --help
	opts=$(grep -oE -- '--[a-z][a-z-]*' "$T_TMP/out" | sort -u)
	[ -n "$opts" ] || t_fail "fastpathd --help lists no long options"
	for o in $opts; do
		grep -qE "Fl -${o#--}( |\$)" "$MAN/fastpathd.8" || t_fail "fastpathd(8) lacks $o"
	done
}

# t_complete WORD...: COMPREPLY for the command line WORD... (the last
# word is the one being completed), one a line in $T_TMP/out.
t_complete() {
	PATH=$T_BUILD:$PATH FASTPATH_PIN_ROOT=$T_PIN bash -c '
		. "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		case $1 in fastpathd) _fastpathd ;; *) _fastpath ;; esac
		printf "%s\n" "${COMPREPLY[@]}"' "$COMPLETION" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	T_LAST="complete $*"
	T_RC=$?
	[ ! -s "$T_TMP/err" ] || t_fail "the completion wrote to stderr"
}

case_completion_verbs() {
	command -v bash >/dev/null 2>&1 || t_skip "bash not installed"
	t_complete fastpath ""
	t_verbs >"$T_TMP/verbs"
	while read -r v; do
		grep -qx -- "$v" "$T_TMP/out" || t_fail "verb $v not offered"
	done <"$T_TMP/verbs"
	t_complete fastpath -j fi
	[ "$(cat "$T_TMP/out")" = firewall ] || t_fail "'fi' after -j completes to $(cat "$T_TMP/out"), want firewall"
	t_complete fastpath firewall ""
	t_stdout_has replace
}

case_completion_interface() {
	command -v bash >/dev/null 2>&1 || t_skip "bash not installed"
	t_dummy
	t_complete fastpath status "$T_CASE"
	grep -qx -- "$T_DEV" "$T_TMP/out" || t_fail "$T_DEV not offered after status"
	t_complete fastpath firewall list "$T_CASE"
	grep -qx -- "$T_DEV" "$T_TMP/out" || t_fail "$T_DEV not offered after firewall list"
}

case_completion_program() {
	command -v bash >/dev/null 2>&1 || t_skip "bash not installed"
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_complete fastpath attach "$T_CASE"
	[ "$(cat "$T_TMP/out")" = "$T_NAME" ] || t_fail "attach $T_CASE completes to '$(cat "$T_TMP/out")', want $T_NAME"
	t_complete fastpath -v unload "$T_CASE"
	grep -qx -- "$T_NAME" "$T_TMP/out" || t_fail "$T_NAME not offered after unload"
}

case_completion_options() {
	command -v bash >/dev/null 2>&1 || t_skip "bash not installed"
	t_complete fastpath up eth0 --mode ""
	[ "$(tr '\n' ' ' <"$T_TMP/out")" = "native skb auto " ] || t_fail "--mode values: $(cat "$T_TMP/out")"
	t_complete fastpath firewall add eth0 --sp
	[ "$(cat "$T_TMP/out")" = --sport ] || t_fail "firewall add --sp: $(cat "$T_TMP/out")"
	t_complete fastpathd --log-level w
	[ "$(cat "$T_TMP/out")" = warn ] || t_fail "fastpathd --log-level w: $(cat "$T_TMP/out")"
}

# t_unit: the unit as `make install` writes it, with fastpathd in T_BUILD.
t_unit() {
	sed "s|@SBINDIR@|$T_BUILD|g; s|@DOCDIR@|/usr/share/doc/fastpath|g" "$UNIT_IN" \
		>"$T_TMP/fastpathd.service"
}

case_unit_verifies() {
	command -v systemd-analyze >/dev/null 2>&1 || t_skip "systemd-analyze not installed"
	t_unit
	t_expect 0 systemd-analyze verify --man=no "$T_TMP/fastpathd.service"
	[ ! -s "$T_TMP/err" ] || t_fail "systemd-analyze verify complained"
}

case_unit_security_score() {
	command -v systemd-analyze >/dev/null 2>&1 || t_skip "systemd-analyze not installed"
	t_unit
	t_expect 0 systemd-analyze security --offline=yes "$T_TMP/fastpathd.service"
	got=$(sed -n 's/.*Overall exposure level for fastpathd.service: \([0-9.]*\).*/\1/p' "$T_TMP/out")
	[ -n "$got" ] || t_fail "no exposure level in the output"
	awk -v g="$got" -v m="$UNIT_MAX_EXPOSURE" 'BEGIN { exit !(g <= m) }' ||
		t_fail "exposure $got, more than $UNIT_MAX_EXPOSURE (docs/deploy.md)"
	grep -qF "$got" "$T_SRCROOT/docs/deploy.md" || t_fail "docs/deploy.md does not record the score $got"
}

# fastpathd with exactly the unit's CapabilityBoundingSet, as root: it
# attaches the pipeline, applies the firewall, and on SIGHUP replaces the
# rules keeping the counters of the rule that did not change (which reads
# the running rule set's maps by id: the reason for CAP_SYS_ADMIN).
case_unit_capabilities_suffice() {
	command -v setpriv >/dev/null 2>&1 || t_skip "setpriv not installed"
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT_IN" | tr 'A-Z' 'a-z' |
		sed 's/cap_/+/g; s/ /,/g')
	[ -n "$caps" ] || t_fail "no CapabilityBoundingSet in the unit"
	t_topo
	cat >"$T_TMP/c.yaml" <<EOF2
orchestrator:
  ebpf: {interface: $T_DEV, mode: skb}
  prometheus_port: 0
firewall:
  policy: allow
  rules: [{action: drop, protocol: udp, port: 9}]
EOF2
	setpriv --inh-caps=-all,$caps --ambient-caps=-all,$caps --bounding-set=-all,$caps -- \
		"$T_BUILD/fastpathd" -c "$T_TMP/c.yaml" >"$T_TMP/d.log" 2>&1 &
	pid=$!
	t_res pid $pid
	t_res pipeline "$T_DEV"
	t_wait 100 grep -q "firewall on $T_DEV: 1 rules" "$T_TMP/d.log" ||
		t_fail "fastpathd with $caps did not apply the firewall: $(cat "$T_TMP/d.log")"
	grep -q CapEff "/proc/$pid/status" && want=$(sed -n 's/^CapBnd:\t//p' "/proc/$pid/status")
	for i in 1 2 3; do t_udp_send "$T_NS" "$T_ADDR" 9 x; done
	sed -i 's/port: 9}/port: 9}, {action: drop, protocol: tcp, port: 23}/' "$T_TMP/c.yaml"
	kill -HUP $pid
	t_wait 100 grep -q "firewall on $T_DEV: 2 rules" "$T_TMP/d.log" ||
		t_fail "no reload: $(cat "$T_TMP/d.log")"
	t_fp 0 -j firewall list "$T_DEV"
	got=$(t_json "$T_TMP/out" '[r.get("packets") for r in get("rules")]')
	[ "$got" = "[3, 0]" ] || t_fail "rule packets after reload $got, want [3, 0] (bounding set $want): $(cat "$T_TMP/d.log")"
}

case_deb_installs_and_runs() {
	for t in dpkg-buildpackage dh dpkg-deb; do
		command -v $t >/dev/null 2>&1 || t_skip "$t not installed (scripts/deps.sh)"
	done
	out=$T_TMP/deb
	mkdir -p "$out"
	# A copy of the build, so the package build touches nothing of ours.
	cp -a "$T_BUILD/." "$out/"
	rm -rf "$out/deb" "$out"/*.deb
	T_DEADLINE=300 t_expect 0 sh "$T_SRCROOT/packaging/deb.sh" "$out"
	deb=$(ls "$out"/fastpath_*_amd64.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] || t_fail "no fastpath_*.deb in $out"
	t_expect 0 dpkg-deb -x "$deb" "$T_TMP/root"
	for f in usr/sbin/fastpath usr/sbin/fastpathd lib/systemd/system/fastpathd.service \
		usr/share/man/man8/fastpath.8.gz usr/share/man/man8/fastpathd.8.gz \
		usr/share/man/man5/fastpath.yaml.5.gz \
		usr/share/bash-completion/completions/fastpath \
		usr/share/fastpath/examples/fastpath.yaml; do
		[ -e "$T_TMP/root/$f" ] || t_fail "the package lacks /$f"
	done
	grep -q "^ExecStart=/usr/sbin/fastpathd " "$T_TMP/root/lib/systemd/system/fastpathd.service" ||
		t_fail "the packaged unit does not run /usr/sbin/fastpathd"
	# --version where the CLI has it; fastpath help before.
	t_run "$T_TMP/root/usr/sbin/fastpath" --version
	if [ "$T_RC" -ne 0 ]; then
		t_expect 0 "$T_TMP/root/usr/sbin/fastpath" help
		t_stdout_has "usage: fastpath"
	fi
	t_expect 0 "$T_TMP/root/usr/sbin/fastpathd" --help
	t_stdout_has "usage: fastpathd"
}

case_k8s_manifest_schema() {
	"$T_PY" -c 'import jsonschema, yaml' 2>/dev/null ||
		t_skip "python3-jsonschema or python3-yaml not installed (scripts/deps.sh)"
	t_expect 0 "$T_PY" "$K8S/check.py" "$K8S/fastpath-daemonset.yaml" "$K8S/daemonset.schema.json"
	if command -v yamllint >/dev/null 2>&1; then
		t_expect 0 yamllint -d '{extends: default, rules: {line-length: {max: 100}, document-start: disable}}' \
			"$K8S/fastpath-daemonset.yaml"
	fi
	# The check can fail: without hostNetwork, or without CAP_SYS_ADMIN.
	sed 's/hostNetwork: true/hostNetwork: false/' "$K8S/fastpath-daemonset.yaml" >"$T_TMP/bad1.yaml"
	t_expect 1 "$T_PY" "$K8S/check.py" "$T_TMP/bad1.yaml" "$K8S/daemonset.schema.json"
	t_stdout_has hostNetwork
	grep -v '^ *- SYS_ADMIN$' "$K8S/fastpath-daemonset.yaml" >"$T_TMP/bad2.yaml"
	t_expect 1 "$T_PY" "$K8S/check.py" "$T_TMP/bad2.yaml" "$K8S/daemonset.schema.json"
	# The ConfigMap's configuration is one fastpathd accepts.
	"$T_PY" -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap": print(d["data"]["fastpath.yaml"], end="")' \
		"$K8S/fastpath-daemonset.yaml" | sed 's/interface: eth0/interface: lo/' >"$T_TMP/cm.yaml"
	t_expect 0 "$T_BUILD/fastpathd" --check -c "$T_TMP/cm.yaml"
}

t_ok man_pages_lint_clean case_man_lint
t_ok man_pages_render case_man_renders
t_ok man_fastpath_lists_every_cli_verb case_man_lists_every_verb
t_ok man_fastpathd_lists_every_option case_man_fastpathd_lists_every_option
t_ok completion_offers_every_verb case_completion_verbs
t_ok completion_offers_interface_names case_completion_interface
t_ok completion_offers_pinned_programs case_completion_program
t_ok completion_offers_option_values case_completion_options
t_ok unit_passes_systemd_analyze_verify case_unit_verifies
t_ok unit_security_exposure_recorded_and_not_worse case_unit_security_score
t_ok unit_capability_set_runs_fastpathd case_unit_capabilities_suffice
t_ok deb_builds_unpacks_and_runs case_deb_installs_and_runs
t_ok k8s_daemonset_passes_schema_check case_k8s_manifest_schema
t_done
