#!/bin/sh
# fastpath programs / maps / status: the listings show what was loaded and
# attached, as the kernel sees it, in text and as JSON (-j).
. "$(dirname "$0")/lib.sh"
t_require

# t_attached: xdp_drop_icmp loaded as T_NAME and attached to T_DEV in
# native mode.
t_attached() {
	t_topo
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	t_fp 0 attach "$T_NAME" "$T_DEV" --mode native
}

# t_field FILE EXPR: t_json with T_NAME and T_DEV as a[0] and a[1].
t_field() {
	t_json "$1" "$2" "${T_NAME:-}" "${T_DEV:-}"
}

case_programs_json() {
	t_attached
	t_fp 0 -j programs
	cp "$T_TMP/out" "$T_TMP/progs.json"
	[ "$(t_field "$T_TMP/progs.json" 'find("name", a[0])["type"]')" = xdp ] ||
		t_fail "no xdp program $T_NAME in: $(cat "$T_TMP/progs.json")"
	got=$(t_field "$T_TMP/progs.json" \
		'[(x.get("target"), x.get("mode")) for x in get("attached", find("name", a[0]))]')
	[ "$got" = "[('$T_DEV', 'native')]" ] ||
		t_fail "$T_NAME attached to $got, want [('$T_DEV', 'native')]"
}

case_programs_text() {
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 0 programs
	grep -qE "^$T_NAME +[0-9]+ +xdp" "$T_TMP/out" || t_fail "no line for $T_NAME (xdp)"
}

case_unloaded_not_listed() {
	t_load "$T_PROGS/xdp_pass.bpf.o"
	t_fp 0 unload "$T_NAME"
	t_fp 0 -j programs
	cp "$T_TMP/out" "$T_TMP/progs.json"
	[ "$(t_field "$T_TMP/progs.json" 'find("name", a[0])')" = None ] ||
		t_fail "$T_NAME still listed after unload"
}

case_maps_json() {
	t_load "$T_PROGS/xdp_drop_icmp.bpf.o"
	t_fp 0 -j maps
	cp "$T_TMP/out" "$T_TMP/maps.json"
	got=$(t_field "$T_TMP/maps.json" \
		'[m["name"] for m in d if m.get("pin", "").startswith(a[0] + "/")]')
	case $got in
	*".bss'"*) ;;
	*) t_fail "maps of $T_NAME: $got, want its .bss" ;;
	esac
}

# The pinned map is the running program's: its counter holds the drops.
case_map_is_live() {
	command -v bpftool >/dev/null 2>&1 || t_skip "bpftool not installed"
	t_attached
	t_ping_blocked "while attached"
	bss=$(ls -d "$T_PIN/maps/$T_NAME"/*bss* 2>/dev/null | head -n1)
	[ -n "$bss" ] || t_fail "no .bss map pinned under $T_PIN/maps/$T_NAME"
	bpftool -j map dump pinned "$bss" >"$T_TMP/bss.json" 2>&1
	n=$(t_json "$T_TMP/bss.json" 'get("dropped")')
	[ "$n" = 3 ] || t_fail "xdp_drop_icmp's dropped counter is $n, want 3"
}

case_status_dev_json() {
	t_attached
	t_fp 0 -j status "$T_DEV"
	cp "$T_TMP/out" "$T_TMP/status.json"
	got=$(t_field "$T_TMP/status.json" '(lambda x: (x["program"], x["mode"]))(find("name", a[1])["xdp"])')
	[ "$got" = "('$T_NAME', 'native')" ] || t_fail "status of $T_DEV: xdp $got, want ('$T_NAME', 'native')"
}

case_status_dev_text() {
	t_attached
	t_fp 0 status "$T_DEV"
	grep -F -- "$T_DEV" "$T_TMP/out" | grep -F -- "$T_NAME" | grep -q native ||
		t_fail "no line for $T_DEV with $T_NAME and native"
}

case_status_no_xdp() {
	t_topo
	t_fp 0 -j status "$T_DEV"
	cp "$T_TMP/out" "$T_TMP/status.json"
	got=$(t_field "$T_TMP/status.json" 'find("name", a[1])["xdp"]')
	[ "$got" = None ] || t_fail "status of bare $T_DEV: xdp $got, want null"
}

case_status_missing_device() {
	dev=${T_CASE}nx
	t_fp 1 status "$dev"
	t_error_style
	t_stderr_has "$dev"
}

t_ok programs_json_lists_program_and_attachment case_programs_json
t_ok programs_text_lists_program case_programs_text
t_ok programs_unloaded_not_listed case_unloaded_not_listed
t_ok maps_json_lists_program_maps case_maps_json
t_ok maps_pin_is_the_running_programs_map case_map_is_live
t_ok status_json_dev_shows_xdp_program_and_mode case_status_dev_json
t_ok status_text_dev_shows_attachment case_status_dev_text
t_ok status_json_dev_without_xdp_shows_null case_status_no_xdp
t_ok status_missing_device_names_it case_status_missing_device
t_done
