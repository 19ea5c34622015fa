#!/usr/bin/env bash
# Regenerates the Studio screenshots in docs/screenshots/ by running glasswing-studio offscreen
# with --screenshot, all from one real short run:
#   studio-data.png      the Data tab (penguins, one column selected)
#   studio-run.png       the Run tab after a real short run (credit-g, xgboost and linear)
#   studio-P1.png ...    each Insights page of that run (--open-run RUN_DIR --panel P1..P10;
#                        P9 by credit-g's personal_status column)
#   studio-P11.png       the Decision tab about that run
# A page this Studio does not have is skipped with a note (exit 2 from --panel). Needs a build
# with the Studio (scripts/build.sh); GLASSWING_BUILD_DIR picks the build folder (default build/),
# GLASSWING_SHARED_DIR the shared datasets (default ../shared).
#   scripts/screenshots.sh [--max-trials N]   (default 8)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GLASSWING_BUILD_DIR:-$root/build}
shared=${GLASSWING_SHARED_DIR:-$root/../shared}
studio=$build/app/studio/glasswing-studio
trials=8
while (($#)); do
  case $1 in
    --max-trials) trials=$2; shift 2 ;;
    *) echo "usage: scripts/screenshots.sh [--max-trials N]" >&2; exit 2 ;;
  esac
done
if [[ ! -x $studio ]]; then
  echo "screenshots.sh: $studio not found; build it first (scripts/build.sh, or" \
       "cmake --build $build --target glasswing-studio)." >&2
  exit 2
fi
out=$root/docs/screenshots
mkdir -p "$out"
# A throwaway settings folder (the runs do not add to the user's recent files) and runs folder.
config=$(mktemp -d)
runs=$(mktemp -d)
trap 'rm -rf "$config" "$runs"' EXIT

studio() {  # studio OUTPUT.png [studio options...]: 0 written, 2 no such page, else fails
  local png=$1
  shift
  local rc=0
  QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME=$config XDG_RUNTIME_DIR=$config \
    "$studio" --screenshot "$out/$png" --size 1280x800 "$@" || rc=$?
  case $rc in
    0) echo "wrote docs/screenshots/$png" ;;
    2) echo "skipped docs/screenshots/$png: this Studio lacks that page"; rm -f "$out/$png" ;;
    *) echo "screenshots.sh: glasswing-studio failed (exit $rc) for $png" >&2; exit 1 ;;
  esac
}

studio studio-data.png "$shared/datasets/penguins.csv" --column bill_length_mm --timeout 120
# The one real run: the Run tab when it has finished (score chart, leaderboard with its baseline
# row). Families this build lacks are skipped (the constant baseline always runs).
studio studio-run.png "$shared/datasets/credit-g.csv" --target class --run --max-trials "$trials" \
  --time-budget 0 --models linear,xgboost --runs-folder "$runs" --timeout 900
run_dir=$(find "$runs" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[[ -n $run_dir && -f $run_dir/run.json ]] || { echo "screenshots.sh: the run left no run directory in $runs" >&2; exit 1; }
for panel in P1 P2 P3 P4 P5 P6 P7 P8 P9 P10 P11; do
  extra=()
  [[ $panel == P9 ]] && extra=(--fairness-column personal_status)  # fairness by a real column
  studio "studio-$panel.png" --open-run "$run_dir" --panel "$panel" --timeout 300 "${extra[@]}"
done
rm -f "$out/studio-data-panel.png"  # the old name of studio-data.png
