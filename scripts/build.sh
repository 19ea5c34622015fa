#!/usr/bin/env bash
# Configures and builds Glasswing into build/ (Release, Ninja, ccache when present).
# Extra arguments go to CMake's configure step, e.g. -DGLASSWING_BUILD_STUDIO=OFF.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GLASSWING_BUILD_DIR:-$root/build}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-Release} "${launcher[@]}" "$@"
cmake --build "$build" --parallel "${GLASSWING_JOBS:-$(nproc)}"
