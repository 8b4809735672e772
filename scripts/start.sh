#!/usr/bin/env bash
# `npm start`: set up what is missing, build, run the appliance on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh run
# --max-semi-space-size=32: a larger young generation, so a call's short-lived objects die there
# instead of being promoted (sip-cps at 1000 offered: 711 -> 952 CPS achieved; see bench/sip-cps.bench.ts).
# The same flags are in image/systemd/hotline-appliance.service and bench/sipp/harness.ts.
exec node --enable-source-maps --max-semi-space-size=32 dist/appliance/daemon/main.js "$@"
