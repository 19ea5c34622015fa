#!/usr/bin/env bash
# bench/automl/amlb.sh: Glasswing against AutoGluon's published AMLB scores (1-hour budget, 10-fold
# CV: credit-g AUC 0.791, vehicle log loss 0.296). AMLB's protocol is an outer 10-fold CV: train
# on 9 folds, score the 10th, average over the folds. We cannot reuse OpenML's exact fold files
# (no network), so the folds are sklearn's StratifiedKFold(10, shuffle=True, random_state=0) over
# the shared CSV; each fold gets `glasswing run --time-budget B` and is scored by metrics_check.py.
# --folds K runs only the first K folds (the mean is then over K folds; the table says so).
#   bench/automl/amlb.sh [--budget 300] [--folds 10] [--datasets credit-g,vehicle]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=$(cd "$root/../shared" && pwd)
budget=300
folds=10
datasets=credit-g,vehicle
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) budget=$2; shift 2 ;;
    --folds) folds=$2; shift 2 ;;
    --datasets) datasets=$2; shift 2 ;;
    *) echo "usage: $0 [--budget S] [--folds K] [--datasets a,b]" >&2; exit 2 ;;
  esac
done
cli="${GLASSWING_BUILD_DIR:-$root/build}/app/cli/glasswing"
[[ -x $cli ]] || { echo "build first: scripts/build.sh (missing $cli)" >&2; exit 1; }
py=/usr/bin/python3
out="$root/out/bench-automl/amlb-b$budget"
mkdir -p "$out"
export OMP_WAIT_POLICY=PASSIVE
IFS=, read -ra list <<< "$datasets"
for ds in "${list[@]}"; do
  d="$out/$ds"
  mkdir -p "$d"
  # Fold files: header + the records byte for byte (as split.py does), stratified by the target.
  "$py" - "$shared/datasets/$ds.csv" "$shared/datasets/manifest.tsv" "$d" <<'EOF'
import csv, io, json, os, sys
from sklearn.model_selection import StratifiedKFold
src, manifest, out = sys.argv[1:4]
name = os.path.basename(src)
target = next(r["target"] for r in csv.DictReader(open(manifest), delimiter="\t") if r["file"] == name)
text = open(src, newline="").read()
lines = text.splitlines(keepends=True)
header, records = lines[0], lines[1:]
col = next(csv.reader([header])).index(target)
y = [next(csv.reader([r]))[col] for r in records]
for k, (tr, te) in enumerate(StratifiedKFold(10, shuffle=True, random_state=0).split(records, y)):
    fd = os.path.join(out, f"fold{k}")
    os.makedirs(fd, exist_ok=True)
    open(os.path.join(fd, "train.csv"), "w", newline="").write(header + "".join(records[i] for i in tr))
    open(os.path.join(fd, "test.csv"), "w", newline="").write(header + "".join(records[i] for i in te))
    json.dump({"target": target, "task": "binary" if len(set(y)) == 2 else "multiclass"}, open(os.path.join(fd, "split.json"), "w"))
EOF
  target=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["target"])' "$d/fold0/split.json")
  for ((k = 0; k < folds; ++k)); do
    fd="$d/fold$k"
    echo "== $ds fold $k ($(date -u +%T))" >&2
    rm -rf "$fd/run"
    "$cli" run --data "$fd/train.csv" --target "$target" --test "$fd/test.csv" --time-budget "$budget" --seed 0 \
      --out "$fd/run" > "$fd/run.log" 2>&1 || echo "   run failed: $(tail -1 "$fd/run.log")" >&2
    "$py" "$shared/tools/metrics_check.py" --pred "$fd/run/predictions/test.csv" --truth "$fd/test.csv" > "$fd/metrics.json" 2>/dev/null ||
      echo "   metrics_check failed" >&2
  done
done
"$py" - "$out" "$folds" "$budget" "$root/bench/automl/RESULTS-amlb.md" <<'EOF'
import json, os, statistics, sys
out, folds, budget, results = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
published = {"credit-g": ("roc_auc", 0.791, True), "vehicle": ("log_loss", 0.296, False)}
lines = [f"# bench/automl — against AutoGluon's published AMLB scores ({budget} s per fold)", "",
         f"`bench/automl/amlb.sh --budget {budget} --folds {folds}`: sklearn StratifiedKFold(10, shuffle, seed 0) over the "
         "shared CSV (OpenML's own fold files are not available offline); each fold: `glasswing run --time-budget "
         f"{budget} --seed 0 --test FOLD`, scored by metrics_check.py; mean over the folds run. AutoGluon: AMLB 1-hour, 10-fold.", "",
         "| dataset | metric | folds | Glasswing mean | per fold | AutoGluon (AMLB 1h) | gap | within 1% |", "|---|---|---:|---:|---|---:|---:|:-:|"]
for ds in sorted(os.listdir(out)):
    if ds not in published: continue
    metric, ag, greater = published[ds]
    scores = []
    for k in range(folds):
        p = os.path.join(out, ds, f"fold{k}", "metrics.json")
        if os.path.exists(p): scores.append(json.load(open(p))["metrics"][metric])
    if not scores: continue
    m = statistics.mean(scores)
    gap = (ag - m) / ag if greater else (m - ag) / ag
    lines.append(f"| {ds} | {metric} | {len(scores)} | {m:.4f} | {', '.join(f'{s:.3f}' for s in scores)} | {ag} | "
                 f"{100 * gap:+.1f}% | {'yes' if gap <= 0.01 else 'no'} |")
lines.append("")
lines.append("gap: how much worse than AutoGluon (positive = worse).")
open(results, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
