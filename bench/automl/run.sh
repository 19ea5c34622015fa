#!/usr/bin/env bash
# bench/automl: `glasswing run` against the Python peers of ../shared/tools/baseline.py on the same
# train/test splits (split.py, seed 0), the same wall-clock budget and the same 2 threads, in one
# run on this machine. For each dataset (all of ../shared/datasets except flights-3m by default):
#   1. split.py DATA --seed 0                          -> out/bench-automl/DS/{train,test}.csv
#   2. baseline.py --method all --budget B --seed 0    -> peers.json (constant, hgb, optuna-xgb)
#   3. glasswing run --time-budget B --seed 0 --test   -> run/ (run.json, predictions/test.csv)
#   4. metrics_check.py on Glasswing's test predictions (the same sklearn code scores both sides)
# The metric is AMLB's: roc_auc (binary), log_loss (multiclass), rmse (regression).
# Writes bench/automl/RESULTS.md (the committed table) and the raw JSON under out/bench-automl/.
# Builds nothing: run scripts/build.sh first (GLASSWING_BUILD_DIR picks the build folder).
#   bench/automl/run.sh [--budget 60] [--datasets a,b,c] [--jobs 1] [--report-only]
#                       [--out DIR] [--results FILE]   (a trial run that leaves the committed table alone)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=$(cd "$root/../shared" && pwd)
budget=60
datasets=""
jobs=1
report_only=0
out=""
results=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) budget=$2; shift 2 ;;
    --datasets) datasets=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --report-only) report_only=1; shift ;;
    --out) out=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    *) echo "usage: $0 [--budget S] [--datasets a,b] [--jobs N] [--report-only] [--out DIR] [--results FILE]" >&2; exit 2 ;;
  esac
done
cli="${GLASSWING_BUILD_DIR:-$root/build}/app/cli/glasswing"
[[ -n $out ]] || out="$root/out/bench-automl/b$budget"
[[ -n $results ]] || results="$root/bench/automl/RESULTS-b$budget.md"
py=/usr/bin/python3
tools="$shared/tools"
if [[ -z $datasets ]]; then
  datasets=$(awk -F'\t' 'NR > 1 && $1 != "flights-3m.csv" { sub(/\.csv$/, "", $1); print $1 }' "$shared/datasets/manifest.tsv" | paste -sd,)
fi
export OMP_WAIT_POLICY=PASSIVE  # see bench/train/run.sh: both sides use libgomp

if ((!report_only)); then
  [[ -x $cli ]] || { echo "build first: scripts/build.sh (missing $cli)" >&2; exit 1; }
  mkdir -p "$out"
  {
    echo "date=$(date -u +%FT%TZ)"
    echo "budget=$budget"
    echo "jobs=$jobs"
    echo "cpus=$(nproc)"
    echo "load_before=$(cut -d' ' -f1 /proc/loadavg)"
    echo "commit=$(git -C "$root" rev-parse --short HEAD)"
  } > "$out/meta"
  IFS=, read -ra list <<< "$datasets"
  for ds in "${list[@]}"; do
    d="$out/$ds"
    src="$shared/datasets/$ds.csv"
    [[ -f $src ]] || src="$src.gz"
    echo "== $ds ($(date -u +%T))" >&2
    rm -rf "$d"
    mkdir -p "$d"
    "$py" "$tools/split.py" "$src" --seed 0 --out-dir "$d" > /dev/null
    target=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["target"])' "$d/split.json")
    # Glasswing first, then the peers (alternating order would not change a ratio of test scores).
    start=$(date +%s.%N)
    if ! /usr/bin/time -f '%M' -o "$d/glasswing.maxrss" "$cli" run --data "$d/train.csv" --target "$target" --test "$d/test.csv" \
        --time-budget "$budget" --seed 0 --jobs "$jobs" --out "$d/run" > "$d/glasswing.log" 2>&1; then
      echo "   glasswing run failed: $(tail -1 "$d/glasswing.log")" >&2
    fi
    end=$(date +%s.%N)
    echo "$start $end" > "$d/glasswing.wall"
    if [[ -f $d/run/predictions/test.csv ]]; then
      "$py" "$tools/metrics_check.py" --pred "$d/run/predictions/test.csv" --truth "$d/test.csv" > "$d/glasswing-metrics.json" 2> "$d/metrics_check.log" ||
        echo "   metrics_check failed: $(tail -1 "$d/metrics_check.log")" >&2
    fi
    "$py" "$tools/baseline.py" --train "$d/train.csv" --test "$d/test.csv" --method all --budget "$budget" --seed 0 \
      --out "$d/peers.json" > /dev/null 2> "$d/peers.log" || echo "   baseline.py failed: $(tail -1 "$d/peers.log")" >&2
  done
  echo "load_after=$(cut -d' ' -f1 /proc/loadavg)" >> "$out/meta"
fi

"$py" "$root/bench/automl/summarize.py" "$out" "$results"
echo "wrote $results" >&2
