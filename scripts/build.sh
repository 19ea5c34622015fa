#!/usr/bin/env bash
# Configures and builds Glasswing into build/ (Release, Ninja, ccache when present).
# Extra arguments go to CMake's configure step, e.g. -DGLASSWING_BUILD_STUDIO=OFF.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GLASSWING_BUILD_DIR:-$root/build}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  # Relative paths in the cache keys, so that another clone (CI's) reuses the same entries.
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
  export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-Release} "${launcher[@]}" "$@"
cmake --build "$build" --parallel "${GLASSWING_JOBS:-$(nproc)}"
