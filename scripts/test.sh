#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything, runs every test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh" "$@"
cd "${GLASSWING_BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 900 -j "${GLASSWING_TEST_JOBS:-2}"
