# Helpers of the metrics tests (test_metrics.sh, test_metrics_custom.sh,
# test_health.sh), sourced after lib.sh.

# free_port: a TCP port nothing listens on, for an HTTP endpoint; below the
# ephemeral range (32768-), where a connection could take it before the bind.
free_port() {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		p=$((10000 + $(t_rand 12000)))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# send_udp PORT COUNT: COUNT datagrams from the namespace to T_ADDR:PORT.
send_udp() {
	ip netns exec "$T_NS" sh -c "for i in \$(seq $2); do
		printf x | socat -u -t 0 - UDP4-SENDTO:$T_ADDR:$1; done"
}

# sample FILE NAME [LABELS]: the value of NAME{LABELS} (NAME alone
# without LABELS) in a text exposition, or "none".
sample() {
	if [ -n "${3:-}" ]; then t_want="$2{$3}"; else t_want=$2; fi
	awk -v want="$t_want" '$1 == want { print $2; found = 1 } END { if (!found) print "none" }' "$1"
}

# promtool_clean FILE: promtool finds nothing to say about FILE.
promtool_clean() {
	promtool check metrics <"$1" >"$T_TMP/lint" 2>&1 ||
		t_fail "promtool check metrics failed: $(head -5 "$T_TMP/lint")"
	[ ! -s "$T_TMP/lint" ] || t_fail "promtool findings: $(head -5 "$T_TMP/lint")"
}
