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

# Two phases when no files are named: everything but the hardware suite, files in parallel; then
# the hw-test suite one file at a time — on a real card its specs share spans 1 and 2 and cannot
# run side by side, and on the simulated rig its real-time specs (analog caller-ID between rings)
# should not compete for the two cores with the CPU-heavy ones.
total_pass=0; total_fail=0; total_skip=0; rc=0
run_ava() {
  local log
  log=$(mktemp)
  # A hard ceiling: a test that leaks a handle keeps its ava worker alive forever; fail instead of
  # eating the whole CI budget.
  timeout --signal=TERM 40m npx ava --tap "$@" 2>&1 | tee "$log"
  local r=${PIPESTATUS[0]}
  local pass fail skip
  pass=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
  fail=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  skip=$(grep -E '^# skip [0-9]+' "$log" | tail -1 | awk '{print $3}')
  rm -f "$log"
  pass=${pass:-0}; fail=${fail:-0}; skip=${skip:-0}
  if [[ $r -ne 0 && $fail -eq 0 ]]; then fail=1; fi
  total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail)); total_skip=$((total_skip + skip))
  if [[ $r -ne 0 ]]; then rc=$r; fi
}
if [[ $# -gt 0 ]]; then
  echo "== ava $*"
  run_ava "$@"
else
  echo "== ava (unit, integration, browser)"
  run_ava 'appliance/**/*.test.ts' 'drivers/**/*.test.ts' 'control-panel/**/*.test.ts' 'scripts/**/*.test.ts' 'test/**/*.test.ts'
  echo "== ava (hw-test suite on the simulated rig, one file at a time)"
  run_ava --concurrency=1 'hw-test/**/*.test.ts'
fi
echo "${total_pass} passed, ${total_fail} failed, ${total_skip} skipped"
exit $rc
