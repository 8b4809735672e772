#!/usr/bin/env bash
# `npm start`: set up what is missing, build, run the appliance on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh run
exec node --enable-source-maps dist/appliance/daemon/main.js "$@"
