#!/usr/bin/env bash
# bench/search: the search core (glasswing-bench-search: Study + TPE + storage) against Python
# Optuna 3.1's TPESampler (../shared/tools/bench_tpe.py) on the same functions, dimensions, trial
# counts and seeds, in one run on this machine:
#   (a) sampler time per trial, 1000 trials in memory (timing function/dimension below);
#   (b) the whole ask/tell loop with SQLite storage (files in a temp dir), same trials;
#   (c) quality: best value after 100 and 500 trials, median over the seeds, per function, with a
#       second Python peer, Optuna 3.1 patched to behave as Optuna 4.x (optuna_tpe_variants.py,
#       "optuna4x"), and Mann-Whitney U tests of ours against each peer.
# (a) and (b) run one process at a time; (c) runs --jobs processes at once (its figures are values,
# not times). Both sides use TPE's defaults (univariate, 10 start-up trials).
# Writes bench/search/RESULTS.md (the committed table) and the raw JSON under out/bench-search/.
# Builds nothing: build the target glasswing-bench-search first (GLASSWING_BUILD_DIR picks the
# build folder, default build/).
#   bench/search/run.sh [--timing-trials 1000] [--timing-dims 10] [--timing-functions "sphere mixed"]
#                       [--quality-trials 500] [--quality-dims 5] [--seeds 10] [--long-seeds N] [--jobs 2]
#                       [--functions "sphere rosenbrock ..."] [--peers "optuna optuna4x"] [--resume]
#                       [--report-only]
# (c) runs seeds 0..N-1: the first --long-seeds of them (default: all) for --quality-trials
# trials, the others for 100 trials only (they count at the 100-trial mark). --peers picks the
# Python sides of (c) ("optuna": Optuna 3.1 as installed; "optuna4x": 3.1 patched to 4.x).
# --resume keeps the (c) results already in out/bench-search/quality and runs only the missing
# ones (their file names carry side, function and seed; the trial count must match).
# --report-only rewrites RESULTS.md from the JSON of the last run (out/bench-search/).
# --quality-only keeps the last run's (a) and (b) and redoes (c) (e.g. after an interrupted (c));
# --timing-only keeps the last run's (c) and redoes (a) and (b).
# --memory-only keeps the last run's (b) and (c) and redoes (a) alone (for --timing-functions).
# Default sizing: about 35 minutes on a quiet 2-core machine (with the optuna4x peer), almost all
# of it the Python sides; the session-4 (c) used --seeds 30 --long-seeds 10 (about an hour, loaded).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=$(cd "$root/../shared" && pwd)
timing_trials=1000
timing_dims=10
timing_functions="sphere mixed"
quality_trials=500
quality_dims=5
seeds=10
long_seeds=
peers="optuna optuna4x"
resume=0
jobs=2
functions="sphere rosenbrock rastrigin ackley styblinski_tang mixed"
report_only=0
quality_only=0
timing_only=0
memory_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --timing-trials) timing_trials=$2; shift 2 ;;
    --timing-dims) timing_dims=$2; shift 2 ;;
    --timing-functions) timing_functions=$2; shift 2 ;;
    --quality-trials) quality_trials=$2; shift 2 ;;
    --quality-dims) quality_dims=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --long-seeds) long_seeds=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --resume) resume=1; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    --functions) functions=$2; shift 2 ;;
    --report-only) report_only=1; shift ;;
    --quality-only) quality_only=1; shift ;;
    --timing-only) timing_only=1; shift ;;
    --memory-only) memory_only=1; timing_only=1; shift ;;
    *) echo "usage: $0 [--timing-trials N] [--timing-dims D] [--timing-functions LIST] [--quality-trials N]" \
            "[--quality-dims D] [--seeds N] [--long-seeds N] [--jobs N] [--functions LIST] [--peers LIST] [--resume]" \
            "[--report-only | --quality-only | --timing-only | --memory-only]" >&2; exit 2 ;;
  esac
done
[[ -n $long_seeds ]] || long_seeds=$seeds
((!resume || quality_only)) || { echo "--resume goes with --quality-only" >&2; exit 2; }
for side in $peers; do
  [[ $side == optuna || $side == optuna4x ]] || { echo "--peers: unknown side '$side' (optuna, optuna4x)" >&2; exit 2; }
done
bench="${GLASSWING_BUILD_DIR:-$root/build}/bench/search/glasswing-bench-search"
peer="$shared/tools/bench_tpe.py"
peer4x="$root/bench/search/optuna_tpe_variants.py --variant optuna31+4x"
py=/usr/bin/python3  # Debian's, with optuna 3.1
out="$root/out/bench-search"

if ((!report_only)); then
  [[ -x "$bench" ]] || { echo "build first: cmake --build build --target glasswing-bench-search (missing $bench)" >&2; exit 1; }
  "$py" -c "import optuna" 2>/dev/null || { echo "$py lacks optuna (python3-optuna)" >&2; exit 1; }
  if ((quality_only)); then
    [[ -f $out/meta ]] || { echo "--quality-only: no previous run in $out" >&2; exit 1; }
    ((resume)) || rm -rf "$out/quality"
    grep -v -E '^(quality_trials|quality_dims|seeds|long_seeds|peers|jobs|functions|load_after|seconds|quality_seconds|quality_started)=' "$out/meta" > "$out/meta.keep"
    mv "$out/meta.keep" "$out/meta"
  elif ((memory_only)); then
    [[ -f $out/meta ]] || { echo "--memory-only: no previous run in $out" >&2; exit 1; }
    for fn in $timing_functions; do
      [[ -f $out/timing/glasswing-$fn-sqlite.json ]] || { echo "--memory-only: no previous (b) for $fn in $out" >&2; exit 1; }
      rm -f "$out/timing/"*"-$fn-memory."*
    done
    grep -v -E '^(memory_started|memory_load_before|memory_load_after)=' "$out/meta" > "$out/meta.keep"
    mv "$out/meta.keep" "$out/meta"
  elif ((timing_only)); then
    [[ -f $out/meta ]] || { echo "--timing-only: no previous run in $out" >&2; exit 1; }
    rm -rf "$out/timing"
    grep -v -E '^(timing_trials|timing_dims|timing_functions|load_before|started|load_after_timing|timing_seconds)=' "$out/meta" > "$out/meta.keep"
    mv "$out/meta.keep" "$out/meta"
  else
    rm -rf "$out"
  fi
  mkdir -p "$out/timing" "$out/quality"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
  # One side of one timing case; its process CPU seconds (user+sys) go to NAME.cpu.
  timed_run() {
    local name=$1; shift
    /usr/bin/time -f '%U %S %e' -o "$out/timing/$name.cpu" "$@" --out "$out/timing/$name.json" > /dev/null
  }
  if ((memory_only)); then
    { echo "memory_started='$(date -u +%FT%TZ)'"; echo "memory_load_before='$(loadavg)'"; } >> "$out/meta"
  elif ((timing_only)); then
    { echo "timing_trials=$timing_trials"; echo "timing_dims=$timing_dims"; echo "timing_functions='$timing_functions'"
      echo "load_before='$(loadavg)'"; echo "started='$(date -u +%FT%TZ)'"; } >> "$out/meta"
  elif ((!quality_only)); then
    { echo "timing_trials=$timing_trials"; echo "timing_dims=$timing_dims"; echo "timing_functions='$timing_functions'"
      echo "load_before='$(loadavg)'"; echo "started='$(date -u +%FT%TZ)'"; } > "$out/meta"
  fi
  if ((!timing_only)); then
    { echo "quality_trials=$quality_trials"; echo "quality_dims=$quality_dims"; echo "seeds=$seeds"; echo "long_seeds=$long_seeds"
      echo "peers='$peers'"; echo "jobs=$jobs"; echo "functions='$functions'"; echo "quality_started='$(date -u +%FT%TZ)'"; } >> "$out/meta"
  fi
  start=$SECONDS
  # (a) and (b): ours first, then Optuna's, per case (one process at a time).
  ((quality_only)) && timing_functions=""
  for fn in $timing_functions; do
    storages="memory sqlite"
    ((memory_only)) && storages=memory
    for storage in $storages; do
      common=(--function "$fn" --dims "$timing_dims" --trials "$timing_trials" --seed 0)
      ours=("$bench" "${common[@]}")
      theirs=("$py" "$peer" "${common[@]}")
      if [[ $storage == sqlite ]]; then
        ours+=(--storage "sqlite:///$tmp/ours-$fn.db")
        theirs+=(--storage "sqlite:///$tmp/optuna-$fn.db")
      fi
      echo "[$((SECONDS - start)) s] timing $fn $storage: glasswing" >&2
      timed_run "glasswing-$fn-$storage" "${ours[@]}"
      echo "[$((SECONDS - start)) s] timing $fn $storage: optuna" >&2
      timed_run "optuna-$fn-$storage" "${theirs[@]}"
    done
  done
  if ((memory_only)); then
    echo "memory_load_after='$(loadavg)'" >> "$out/meta"
  elif ((!quality_only)); then
    { echo "load_after_timing='$(loadavg)'"; echo "timing_seconds=$((SECONDS - start))"; } >> "$out/meta"
  fi
  if ((!timing_only)); then
  qstart=$SECONDS
  # (c) quality: every (side, function, seed) as one job, --jobs at a time.
  echo "[$((SECONDS - start)) s] quality: $(wc -w <<<"$functions") functions x $seeds seeds x sides: glasswing $peers" >&2
  # Seeds outer: an interrupted run still covers every function (--report-only reports it).
  # With --resume, a result already there (for the same trial count) is kept.
  for ((s = 0; s < seeds; s++)); do
    trials=$quality_trials
    ((s < long_seeds || quality_trials < 100)) || trials=100
    for fn in $functions; do
      common="--function $fn --dims $quality_dims --trials $trials --seed $s"
      for side in glasswing $peers; do
        f=$out/quality/$side-$fn-s$s.json
        if ((resume)) && [[ -f $f ]] && "$py" -c "import json,sys; sys.exit(json.load(open('$f'))['trials'] != $trials)"; then
          continue
        fi
        case $side in
          glasswing) echo "$bench $common --out $f" ;;
          optuna) echo "$py $peer $common --out $f" ;;
          optuna4x) echo "$py $peer4x $common --out $f" ;;
        esac
      done
    done
  done > "$tmp/jobs"
  xargs -P "$jobs" -I{} sh -c '{} > /dev/null' < "$tmp/jobs"
  {
    echo "load_after='$(loadavg)'"; echo "quality_seconds=$((SECONDS - qstart))"
  } >> "$out/meta"
  fi
fi

[[ -f $out/meta ]] || { echo "no previous run in $out" >&2; exit 1; }
"$py" - "$out" "$root/bench/search/RESULTS.md" <<'PY'
import datetime, glob, json, os, re, statistics, sys
out, dest = sys.argv[1], sys.argv[2]
meta = {}
for line in open(f"{out}/meta"):
    k, v = line.rstrip("\n").split("=", 1)
    meta[k] = v.strip("'")
cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break

def load(path):
    return json.load(open(path))

def proc_cpu(path):  # user + sys seconds of the whole process (/usr/bin/time)
    u, s, _ = open(path).read().split()[-3:]
    return float(u) + float(s)

def div(a, b):
    return a / b if b > 0 else float("inf")

def fmt(x, digits=3):
    if x == 0: return "0"
    if abs(x) >= 1000 or abs(x) < 1e-3: return f"{x:.3g}"
    return f"{x:.{digits}g}" if abs(x) < 1 else f"{x:.{digits + 1}g}" if abs(x) < 100 else f"{x:.0f}"

T = int(meta["timing_trials"]); D = meta["timing_dims"]
rows_a, rows_b, verdict_a, verdict_b = [], [], [], []
versions = {}
for fn in meta["timing_functions"].split():
    g = load(f"{out}/timing/glasswing-{fn}-memory.json"); p = load(f"{out}/timing/optuna-{fn}-memory.json")
    versions = p["versions"]
    gs, ps = g["sampler_s"] / T * 1e3, p["sampler_s"] / T * 1e3
    gself, pself = g["sampler_self_s"] / T * 1e3, p["sampler_self_s"] / T * 1e3
    gcpu, pcpu = proc_cpu(f"{out}/timing/glasswing-{fn}-memory.cpu"), proc_cpu(f"{out}/timing/optuna-{fn}-memory.cpu")
    rows_a.append(f"| {fn} | {fmt(ps)} | {fmt(gs)} | **{div(ps, gs):.0f}x** | {fmt(pself)} | {fmt(gself)} | **{div(pself, gself):.0f}x** | "
                  f"{fmt(p['per_trial_overhead_ms']['median'])} | {fmt(g['per_trial_overhead_ms']['median'])} | "
                  f"{fmt(p['total_wall_s'])} | {fmt(g['total_wall_s'])} | {div(pcpu, gcpu):.0f}x |")
    verdict_a.append((fn, div(ps, gs), div(pself, gself), div(pcpu, gcpu)))
    g = load(f"{out}/timing/glasswing-{fn}-sqlite.json"); p = load(f"{out}/timing/optuna-{fn}-sqlite.json")
    gcpu, pcpu = proc_cpu(f"{out}/timing/glasswing-{fn}-sqlite.cpu"), proc_cpu(f"{out}/timing/optuna-{fn}-sqlite.cpu")
    top = sorted(g["storage_calls"].items(), key=lambda kv: -kv[1]["s"])[:3]
    tops = ", ".join(f"{k} {v['s']:.2f} s/{v['calls']}" for k, v in top)
    rows_b.append(f"| {fn} | {fmt(p['total_wall_s'])} | {fmt(g['total_wall_s'])} | **{div(p['total_wall_s'], g['total_wall_s']):.0f}x** | "
                  f"{fmt(p['per_trial_overhead_ms']['median'])} | {fmt(g['per_trial_overhead_ms']['median'])} | "
                  f"{fmt(p['storage_s'])} | {fmt(g['storage_s'])} | {div(pcpu, gcpu):.0f}x | {tops} |")
    verdict_b.append((fn, div(p["total_wall_s"], g["total_wall_s"]), div(pcpu, gcpu)))

Q = int(meta["quality_trials"]); QD = meta["quality_dims"]
marks = [m for m in ("100", str(Q)) if int(m) <= Q]
FNS = meta["functions"].split()
# Sides of (c): the Python peers of the run (older runs: Optuna 3.1 only), then ours.
sides = [s for s in ("optuna", "optuna4x") if s in meta.get("peers", "optuna").split()] + ["glasswing"]
label = {"optuna": "Optuna 3.1", "optuna4x": "Optuna 3.1+4.x", "glasswing": "ours"}
ST_OPT = -39.16616570377141 * int(QD)
try:
    from scipy.stats import mannwhitneyu
except ImportError:
    mannwhitneyu = None

def mwu(a, b):  # two-sided Mann-Whitney U p-value (scipy's default method)
    if mannwhitneyu is None or len(a) < 2 or len(b) < 2: return float("nan")
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)

def fmt_p(p):
    if p != p: return "n/a"
    s = f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"
    return f"**{s}**" if p < 0.05 else s

values = {}  # (side, fn, mark) -> best values of the runs that reached the mark
for fn in FNS:
    for side in sides:
        runs = [load(f) for f in sorted(glob.glob(f"{out}/quality/{side}-{fn}-s*.json"))]
        for m in marks:
            values[side, fn, m] = [r["best_value_after"][m] for r in runs if m in r["best_value_after"]]
tables_c, worse_c, diff_c = {}, [], {s: [] for s in sides[:-1]}
for m in marks:
    rows = []
    for fn in FNS:
        opt = ST_OPT if fn == "styblinski_tang" else 0.0
        med = {s: statistics.median(values[s, fn, m]) if values[s, fn, m] else float("nan") for s in sides}
        cells = [" / ".join(str(len(values[s, fn, m])) for s in sides)] + [fmt(med[s]) for s in sides]
        if "optuna" in sides:
            gap_g, gap_o = med["glasswing"] - opt, med["optuna"] - opt
            ratio = gap_g / gap_o if gap_o > 0 else float("inf")
            good = med["glasswing"] <= med["optuna"]
            cells += [f"{ratio:.2f}", "yes" if good else "**no**"]
            if not good: worse_c.append((fn, m, ratio))
        for s in sides[:-1]:
            p = mwu(values["glasswing", fn, m], values[s, fn, m])
            cells.append(fmt_p(p))
            if p < 0.05: diff_c[s].append((fn, m, p))
        rows.append(f"| {fn} | " + " | ".join(cells) + " |")
    tables_c[m] = rows
head_c = "| function | runs (" + " / ".join(label[s] for s in sides) + ") | " + " | ".join(label[s] for s in sides)
if "optuna" in sides: head_c += " | gap ours / 3.1 | no worse than 3.1"
head_c += "".join(f" | p ours vs {label[s]}" for s in sides[:-1]) + " |"
sep_c = "|---|---:|" + "---:|" * len(sides) + ("---:|:---:|" if "optuna" in sides else "") + "---:|" * (len(sides) - 1)
side_text = {
    "optuna": "Optuna 3.1 as installed (`bench_tpe.py`)",
    "optuna4x": "Optuna 3.1 patched to behave as Optuna 4.x (`optuna_tpe_variants.py --variant optuna31+4x`: "
                "continuous kernels with the -log(sigma) term, 4.9's bandwidths, 4.7's int-log mass)",
    "glasswing": "ours"}
section_c = f"""## (c) Quality: best value after 100 and {Q} trials, {QD} dimensions, medians over the seeds

Lower is better (all minimised; optima: 0, except styblinski_tang {ST_OPT:.3f}). Seeds
0..{int(meta['seeds']) - 1} ran 100 trials or more, seeds 0..{int(meta.get('long_seeds', meta['seeds'])) - 1} of them {Q}. Sides:
{"".join(f"- {side_text[s]};" + chr(10) for s in sides)}
"gap ours / 3.1" = (our median - optimum) / (Optuna 3.1's median - optimum); "no worse" = our
median <= Optuna 3.1's. p = two-sided Mann-Whitney U over the runs (bold: p < 0.05, not corrected
for the {len(marks) * len(FNS)} tests per peer). The seeds do not pair runs (different random generators).
"""
for m in marks:
    section_c += f"\nAfter {m} trials:\n\n{head_c}\n{sep_c}\n" + "\n".join(tables_c[m]) + "\n"

def mark2(wall_ok, cpu_ok):
    if wall_ok and cpu_ok: return "met"
    if wall_ok: return "met by wall clock, **not** by process CPU"
    if cpu_ok: return "met by process CPU, **not** by wall clock"
    return "**not met**"
def mark(ok): return "met" if ok else "**not met**"
a_ok = mark2(all(r[1] >= 100 for r in verdict_a), all(r[3] >= 100 for r in verdict_a))
b_ok = mark2(all(r[1] >= 20 for r in verdict_b), all(r[2] >= 20 for r in verdict_b))
text = f"""# bench/search: the search core against Python Optuna 3.1's TPE

Produced by `bench/search/run.sh` (the raw JSON is under `out/bench-search/`). Both sides run the
functions of `../shared/tools/bench_tpe.py --list` with the same parameter names, bounds and
order, one `ask` per trial with every parameter sampled in that order, then `tell`; both use TPE's
defaults (univariate, 10 random start-up trials, 24 candidates). Glasswing: `glasswing-bench-search`
(`bench/search/bench_search.cpp`, the `glasswing::search` Study, `make_sampler("tpe")`,
`make_storage`). Python: `bench_tpe.py` (Optuna {versions.get('optuna', '?')}).

Goals (issue 3): sampler time per trial at 1000 trials at least 100x less than Optuna's TPE; the
whole loop with SQLite storage at least 20x faster; best value after 100 and 500 trials (median
over 10 seeds) no worse than Optuna's TPE on each function.

## (a) Sampler time, {T} trials, {D} dimensions, in memory (seed 0)

"sampler" = time inside the sampler per trial, including the history reads it makes
(Optuna: `sample_independent` etc. incl. its storage reads; Glasswing: the suggest calls minus
`set_trial_param`, i.e. sampler + the one history read per trial + Trial bookkeeping). "self" =
without those storage reads. "overhead" = ask + tell per trial, median. "CPU" = whole-process
CPU seconds (user+sys) ratio, less sensitive to other load than the wall-clock figures.

| function | Optuna sampler ms | ours ms | ratio | Optuna self ms | ours self ms | ratio | Optuna overhead ms | ours ms | Optuna total s | ours s | CPU ratio |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
""" + "\n".join(rows_a) + f"""

## (b) Whole loop with SQLite storage, {T} trials, {D} dimensions (seed 0; fresh files in a temp dir)

| function | Optuna total s | ours s | speed-up | Optuna overhead ms (median) | ours ms | Optuna storage s | ours s | CPU ratio | our slowest storage calls (s/calls) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
""" + "\n".join(rows_b) + f"""

""" + section_c + f"""
## Verdict

- (a) sampler time at {T} trials, at least 100x less: {a_ok} ("""
text += "; ".join(f"{fn}: {s:.0f}x incl. history reads, {ss:.0f}x self, {c:.0f}x process CPU" for fn, s, ss, c in verdict_a) + ").\n"
text += f"- (b) whole loop with SQLite, at least 20x faster: {b_ok} ("
text += "; ".join(f"{fn}: {s:.0f}x wall, {c:.0f}x process CPU" for fn, s, c in verdict_b) + ").\n"
text += f"- (c) no worse than Optuna 3.1's TPE (median) on each function: {mark(not worse_c)}"
text += (" (worse: " + "; ".join(f"{fn} at {m}, {r:.2f}x the gap" for fn, m, r in worse_c) + ").\n") if worse_c else ".\n"
for s in sides[:-1]:
    text += f"  Ours vs {label[s]}, Mann-Whitney p < 0.05: " + (
        "; ".join(f"{fn} at {m} (p = {p:.2g})" for fn, m, p in diff_c[s]) if diff_c[s] else "none") + ".\n"
text += f"""
Machine: {cpu}, {os.cpu_count()} cores; run started {meta['started']}, (a)+(b) took {int(meta['timing_seconds']) // 60 if 'timing_seconds' in meta else '?'} min, (c) {int(meta.get('quality_seconds', meta.get('seconds', -60))) // 60 if ('quality_seconds' in meta or 'seconds' in meta) else '? (interrupted)'} min;
load average (1/5/15 min) {meta['load_before']} before, {meta.get('load_after_timing', '?')} after
(a)+(b), {meta.get('load_after', '?')} at the end. (a) and (b) ran one process at a time, (c) {meta['jobs']} at a time.
"""
if "quality_started" in meta:
    text += f"""(c) was rerun (`run.sh --quality-only`) from {meta['quality_started']} ({int(meta.get('quality_seconds', -60)) // 60} min); (a) and (b) are from the run above.
"""
if "memory_started" in meta:
    text += f"""(a) was rerun alone (`run.sh --memory-only`) at {meta['memory_started']}, load average {meta['memory_load_before']}
before, {meta.get('memory_load_after', '?')} after; (b){'' if 'quality_started' in meta else ' and (c)'} from the first run above.
"""
# Hand-written notes (analysis of the figures) follow a "## Notes" heading; a rerun keeps them.
if os.path.exists(dest):
    old = open(dest).read()
    if "\n## Notes" in old:
        text += old[old.index("\n## Notes"):]
open(dest, "w").write(text)
print(text)
PY
