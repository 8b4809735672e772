#!/usr/bin/env bash
# Install what the appliance needs, idempotently, then build.
#   scripts/bootstrap.sh run    Debian runtime packages + npm deps + build (npm start)
#   scripts/bootstrap.sh test   the same plus test-only packages (npm test)
# A second run on an installed machine only checks: nothing is reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-run}"

# Runtime: telephony libraries (koffi loads them), prompt generation, fax documents.
RUNTIME_PKGS=(libpri1.4 libss7-2.0 libspandsp2 sox libsox-fmt-base opus-tools espeak-ng ghostscript libtiff-tools)
# Building better-sqlite3 from source when no prebuilt binary can be fetched.
BUILD_PKGS=(python3 make g++)
# Tests: real peers (baresip phones/carrier, SIPp), the browser (+ a CJK font so screenshots
# show the Chinese UI), pty pairs for the console.
TEST_PKGS=(baresip-core sip-tester chromium socat fonts-wqy-microhei)

pkgs=("${RUNTIME_PKGS[@]}" "${BUILD_PKGS[@]}")
[[ "$MODE" == "test" ]] && pkgs+=("${TEST_PKGS[@]}")

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then SUDO=(sudo); else
      echo "bootstrap: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm dependencies: install when node_modules is missing or older than the lockfile.
stamp=node_modules/.bootstrap-stamp
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
  echo "bootstrap: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

# Build (incremental: a no-change build takes a second or two).
if [[ "$MODE" == "run" ]]; then
  npx tsc -p tsconfig.build.json
fi
