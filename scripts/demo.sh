#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, and opens the Glasswing Studio on the
# bundled demo dataset (data/demo/credit-g.csv). With --headless (or when there is no display),
# runs the job through the CLI instead: the data's profile, then an AutoML run on it (one minute
# at most) into runs/demo/, whose leaderboard it prints.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
headless=0
build_args=()
for a in "$@"; do
  case "$a" in
    --headless) headless=1 ;;
    *) build_args+=("$a") ;;
  esac
done
"$root/scripts/setup-deps.sh"
build=${GLASSWING_BUILD_DIR:-$root/build}
"$root/scripts/build.sh" "${build_args[@]}"
demo="$root/data/demo/credit-g.csv"
if ((!headless)) && [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "demo: no display found (DISPLAY is unset); running headless instead" >&2
  headless=1
fi
if ((headless)); then
  "$build/app/cli/glasswing" inspect "$demo" --target class
  echo
  rm -rf "$root/runs/demo"
  "$build/app/cli/glasswing" run --data "$demo" --target class --time-budget 60 --max-trials 25 \
    --seed 0 --out "$root/runs/demo"
  echo
  exec cat "$root/runs/demo/leaderboard.csv"
fi
exec "$build/app/studio/glasswing-studio" "$demo"
