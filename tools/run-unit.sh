#!/usr/bin/env bash
# Runs each cmocka unit-test binary given, then prints one closing line
# "unit: N passed, N failed" (N counts test cases) and exits non-zero when
# any failed.
set -u
passed=0 failed=0 broken=0
for t in "$@"; do
        out=$("$t" 2>&1); rc=$?
        printf '%s\n' "$out"
        p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
        f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0}))
        if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
                echo "$t: exited $rc without a cmocka summary" >&2
                broken=$((broken + 1)); failed=$((failed + 1))
        fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
