#!/usr/bin/env bash
# Installs everything Glasswing needs to build, run and test, from Debian 12's packages.
# Idempotent: when every package is already installed it changes nothing and asks for nothing.
# Used by the README, scripts/build.sh, scripts/test.sh and .ci/run alike.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libraries every build needs
  nlohmann-json3-dev libcli11-dev libsqlite3-dev zlib1g-dev libfmt-dev libssl-dev
  # optional parts (on by default)
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6opengl6-dev libxkbcommon-dev libgl-dev
  libtorch-dev libxgboost-dev xgboost libpq-dev postgresql
  libopenblas0-pthread  # LibTorch and numpy on OpenBLAS rather than the reference BLAS (about 10x for the MLP)
  # tests and their interoperability peers
  libgtest-dev libgmock-dev libbenchmark-dev sqlite3
  python3 python3-optuna python3-psycopg2 python3-sklearn python3-xgboost python3-pandas python3-numpy
  xvfb xauth fonts-dejavu-core
  chromium  # renders report.html headless in tests/cli (report_render_test)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "setup-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-deps: done"
