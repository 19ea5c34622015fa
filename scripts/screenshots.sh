#!/usr/bin/env bash
# Regenerates the Studio screenshots in docs/screenshots/ by running glasswing-studio offscreen
# with --screenshot: the data panel, and the Run tab after a real short run (--run). Needs a
# build with the Studio (scripts/build.sh); GLASSWING_BUILD_DIR picks the build folder (default
# build/), GLASSWING_SHARED_DIR the shared datasets (default ../shared).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GLASSWING_BUILD_DIR:-$root/build}
shared=${GLASSWING_SHARED_DIR:-$root/../shared}
studio=$build/app/studio/glasswing-studio
if [[ ! -x $studio ]]; then
  echo "screenshots.sh: $studio not found; build it first (scripts/build.sh, or" \
       "cmake --build $build --target glasswing-studio)." >&2
  exit 2
fi
out=$root/docs/screenshots
mkdir -p "$out"
# A throwaway settings folder, so that the run does not add to the user's recent files.
config=$(mktemp -d)
trap 'rm -rf "$config"' EXIT

shot() {  # shot OUTPUT.png DATA.csv [studio options...]
  local png=$1 data=$2
  shift 2
  QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME=$config XDG_RUNTIME_DIR=$config \
    "$studio" "$data" --screenshot "$out/$png" --size 1280x800 --timeout 120 "$@"
  echo "wrote docs/screenshots/$png"
}

shot studio-data-panel.png "$shared/datasets/penguins.csv" --column bill_length_mm
# The Run tab after a real short run: the score chart, the leaderboard with its baseline row.
# Families this build lacks are skipped (the constant baseline always runs).
runs=$(mktemp -d)
trap 'rm -rf "$config" "$runs"' EXIT
shot studio-run.png "$shared/datasets/penguins.csv" --target species --run --max-trials 8 \
  --time-budget 0 --models linear,xgboost --runs-folder "$runs" --timeout 900
