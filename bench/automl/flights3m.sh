#!/usr/bin/env bash
# bench/automl/flights3m.sh: the scale check of issue 5 — `glasswing run --time-budget 300` on
# flights-3m (3 million rows; split.py seed 0: 2.25M train / 0.75M test) must end within the
# budget + 10% and within 24 GiB. Measures wall time and peak RSS (GNU time's %M), writes
# bench/automl/RESULTS-flights3m.md and keeps the run under out/bench-automl/flights-3m/.
#   bench/automl/flights3m.sh [--budget 300] [--jobs 1]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=$(cd "$root/../shared" && pwd)
budget=300
jobs=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) budget=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "usage: $0 [--budget S] [--jobs N]" >&2; exit 2 ;;
  esac
done
cli="${GLASSWING_BUILD_DIR:-$root/build}/app/cli/glasswing"
[[ -x $cli ]] || { echo "build first: scripts/build.sh (missing $cli)" >&2; exit 1; }
py=/usr/bin/python3
out="$root/out/bench-automl/flights-3m"
mkdir -p "$out"
if [[ ! -f $out/split.json ]]; then
  "$py" "$shared/tools/split.py" "$shared/datasets/flights-3m.csv.gz" --seed 0 --out-dir "$out" > /dev/null
fi
rm -rf "$out/run"
export OMP_WAIT_POLICY=PASSIVE
load_before=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s.%N)
rc=0
/usr/bin/time -f '%M %e' -o "$out/time.txt" "$cli" run --data "$out/train.csv" --target delay --test "$out/test.csv" \
  --time-budget "$budget" --seed 0 --jobs "$jobs" --out "$out/run" > "$out/run.log" 2>&1 || rc=$?
end=$(date +%s.%N)
load_after=$(cut -d' ' -f1 /proc/loadavg)
read -r maxrss_kib elapsed < "$out/time.txt"
wall=$("$py" -c "print(f'{$end - $start:.1f}')")
rss_gib=$("$py" -c "print(f'{$maxrss_kib / 1048576:.2f}')")
limit=$("$py" -c "print(f'{$budget * 1.1:.0f}')")
summary=$("$py" - "$out/run/run.json" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except OSError:
    print("| (no run.json) | | | | |"); sys.exit()
t = r.get("timings_s", {})
rows = r.get("rows", {})
print(f"| {r['trials']['complete']} complete, {r['trials']['failed']} failed, {r['trials']['pruned']} pruned "
      f"| {r['best']['family']} (CV {r['metric']} {r['best']['cv_score']:.3f}) | {r.get('test_score')} "
      f"| {rows.get('search_rows', '')} / {rows.get('train_rows', '')} "
      f"| read {t.get('read', 0):.1f} s, search {t.get('search', 0):.1f} s, refit {t.get('refit', 0):.1f} s, "
      f"engine total {t.get('total', 0):.1f} s |")
EOF
)
verdict_time=$("$py" -c "print('yes' if $wall <= $budget * 1.1 else 'NO')")
verdict_mem=$("$py" -c "print('yes' if $maxrss_kib <= 24 * 1048576 else 'NO')")
cat > "$root/bench/automl/RESULTS-flights3m.md" <<EOF
# bench/automl — flights-3m at scale

\`bench/automl/flights3m.sh --budget $budget --jobs $jobs\` on $(date -u +%F) ($(nproc) CPUs, load $load_before before /
$load_after after, commit $(git -C "$root" rev-parse --short HEAD)). Train: split.py seed 0 of flights-3m.csv.gz
(2.25M rows; test 0.75M rows). Exit status $rc.

| budget s | wall s (whole command) | limit (budget + 10%) | within | peak RSS GiB | ≤ 24 GiB |
|---:|---:|---:|:-:|---:|:-:|
| $budget | $wall | $limit | $verdict_time | $rss_gib | $verdict_mem |

| trials | best | test rmse | search / refit rows | timings |
|---|---|---|---|---|
$summary
EOF
cat "$root/bench/automl/RESULTS-flights3m.md"
