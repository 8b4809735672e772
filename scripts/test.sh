#!/usr/bin/env bash
# `npm test`: set up (with test-only packages), then every suite: lint (tsc --noEmit +
# architecture rules), ava unit/integration, hw-test on the simulated rig, browser tests.
# Ends with one line `N passed, N failed` counting ava's results.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test || exit 1

echo "== lint"
if ! npm run -s lint; then
  echo "lint failed"
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== ava (unit, integration, hw-test sim rig, browser)"
log=$(mktemp)
# A hard ceiling: a test that leaks a handle keeps its ava worker alive forever; fail instead of
# eating the whole CI budget.
timeout --signal=TERM 40m npx ava --tap "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
pass=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
fail=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
skip=$(grep -E '^# skip [0-9]+' "$log" | tail -1 | awk '{print $3}')
rm -f "$log"
pass=${pass:-0}; fail=${fail:-0}; skip=${skip:-0}
if [[ $rc -ne 0 && $fail -eq 0 ]]; then fail=1; fi
echo "${pass} passed, ${fail} failed, ${skip} skipped"
exit $rc
