#!/usr/bin/env bash
# bench/ingest: load time and peak memory of Glasswing's CSV reader against pandas.read_csv
# (../shared/tools/bench_csv.py), on flights-3m and fertility, measured in one run on this machine.
# Writes bench/ingest/RESULTS.md (the committed table) and the raw JSON under out/bench-ingest/.
#   bench/ingest/run.sh [--repeat 5]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=$(cd "$root/../shared" && pwd)
repeat=5
[[ "${1:-}" == "--repeat" ]] && repeat=$2
out="$root/out/bench-ingest"
mkdir -p "$out"
bench="${GLASSWING_BUILD_DIR:-$root/build}/bench/ingest/ingest_bench"
[[ -x "$bench" ]] || { echo "build first: scripts/build.sh (missing $bench)" >&2; exit 1; }
[[ -f "$out/flights-3m.csv" ]] || gunzip -c "$shared/datasets/flights-3m.csv.gz" > "$out/flights-3m.csv"
cp -f "$shared/datasets/fertility.csv" "$out/fertility.csv"

files=(flights-3m fertility)
for f in "${files[@]}"; do
  cat "$out/$f.csv" > /dev/null  # warm the page cache for both readers alike
  /usr/bin/python3 "$shared/tools/bench_csv.py" "$out/$f.csv" --repeat "$repeat" --out "$out/$f.pandas.json" > /dev/null
  "$bench" "$out/$f.csv" --repeat "$repeat" > "$out/$f.glasswing.json"
done

/usr/bin/python3 - "$out" "$root/bench/ingest/RESULTS.md" "$repeat" "${files[@]}" <<'PY'
import json, sys, platform, datetime, os, subprocess
out, dest, repeat, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
rows = []
for f in files:
    p = json.load(open(f"{out}/{f}.pandas.json"))
    g = json.load(open(f"{out}/{f}.glasswing.json"))
    speed = p["seconds_median"] / g["seconds_median"]
    mem = g["peak_rss_delta_mib"] / p["peak_rss_delta_mib"]
    rows.append(f"| {f} | {g['rows']:,} | {g['bytes']/1e6:.1f} | {p['seconds_median']:.3f} | {g['seconds_median']:.3f} | "
                f"**{speed:.1f}x** | {p['peak_rss_delta_mib']:.0f} | {g['peak_rss_delta_mib']:.0f} | **{mem:.2f}** |")
text = f"""# bench/ingest: CSV load against pandas.read_csv

Produced by `bench/ingest/run.sh` (median of {repeat} reads each; page cache warm for both; peak RSS
is `ru_maxrss` after the reads minus before, as `../shared/tools/bench_csv.py` reports it).
Goal (issue 2): at least 5x faster than pandas with at most half its peak memory.

| file | rows | MB | pandas s | glasswing s | speed-up | pandas MiB | glasswing MiB | memory ratio |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
""" + "\n".join(rows) + f"""

Machine: {cpu}, {os.cpu_count()} cores; {datetime.date.today()}; pandas {p['versions']['pandas']}
(python {p['versions']['python']}); glasswing reads with {g['threads']} threads.
The machine is shared and noisy: compare the ratios, not the seconds.
"""
open(dest, "w").write(text)
print(text)
PY
