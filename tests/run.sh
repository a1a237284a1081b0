#!/bin/sh
# Runs every test and ends with "N passed, N failed".
#   unit and BPF tests: cmocka binaries under BUILD/tests/{unit,bpf}
#   integration tests:  tests/integration/test_*.sh, printing TAP-style
#                       "ok - NAME" / "not ok - NAME" lines
# FILTER=substring runs only the test files whose name contains it.
# FP_SANITIZER_REPORTS=DIR (make test SANITIZE=1): every ASan/UBSan report
# file found in DIR at the end counts as a failure.
set -u
BUILD=${1:-build}
FILTER=${FILTER:-}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM

count() {
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p; s/^ok - .*/1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p; s/^not ok - .*/1/p' "$log" | awk '{s+=$1} END {print s+0}')
	passed=$((passed + p))
	failed=$((failed + f))
}

run_one() {
	case "$*" in *"$FILTER"*) ;; *) return ;; esac
	echo "== $*"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	count
	# A crash or a non-zero exit with no failure line still counts as one.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $* exited $rc"
		failed=$((failed + 1))
	fi
}

export CMOCKA_MESSAGE_OUTPUT=stdout
[ -n "${FP_SANITIZER_REPORTS:-}" ] && mkdir -p "$FP_SANITIZER_REPORTS"
for t in "$BUILD"/tests/unit/test_* "$BUILD"/tests/bpf/test_*; do
	# a binary left in BUILD by a test since renamed or removed
	[ -f "tests/${t#"$BUILD"/tests/}.c" ] || continue
	[ -x "$t" ] && run_one "$t"
done
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] && run_one sh "$t" "$BUILD"
done

# make test SANITIZE=1: each ASan/UBSan report file is one failure.
if [ -n "${FP_SANITIZER_REPORTS:-}" ]; then
	for r in "$FP_SANITIZER_REPORTS"/*; do
		[ -f "$r" ] || continue
		echo "== $r"
		cat "$r"
		echo "not ok - sanitizer report $(basename "$r")"
		failed=$((failed + 1))
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
