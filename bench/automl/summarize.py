#!/usr/bin/python3
"""Turns one bench/automl run (out/bench-automl/bB/) into the committed markdown table.

Usage: summarize.py OUT_DIR RESULTS.md
Glasswing's test score is metrics_check.py's (sklearn) score of run/predictions/test.csv; the
peers' scores are baseline.py's, computed by the same sklearn code on the same test file.
"""
import json
import os
import sys


def read_meta(path):
    meta = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                meta[k] = v
    return meta


def main():
    out, results = sys.argv[1], sys.argv[2]
    meta = read_meta(os.path.join(out, "meta"))
    rows = []
    for ds in sorted(os.listdir(out)):
        d = os.path.join(out, ds)
        if not os.path.isdir(d) or not os.path.exists(os.path.join(d, "split.json")):
            continue
        split = json.load(open(os.path.join(d, "split.json")))
        row = {"dataset": ds, "task": split["task"], "n_train": split["n_train"], "n_test": split["n_test"]}
        peers = {}
        if os.path.exists(os.path.join(d, "peers.json")):
            for p in json.load(open(os.path.join(d, "peers.json"))):
                peers[p["method"]] = p
        row["peers"] = peers
        metric = next((p["metric"] for p in peers.values()), None)
        greater = next((p["greater_is_better"] for p in peers.values()), None)
        row["metric"], row["greater"] = metric, greater
        gm = os.path.join(d, "glasswing-metrics.json")
        row["glasswing"] = None
        if os.path.exists(gm) and metric:
            m = json.load(open(gm))["metrics"]
            row["glasswing"] = m.get(metric)
        rj = os.path.join(d, "run", "run.json")
        row["run"] = json.load(open(rj)) if os.path.exists(rj) else None
        wall = os.path.join(d, "glasswing.wall")
        if os.path.exists(wall):
            a, b = open(wall).read().split()
            row["wall_s"] = float(b) - float(a)
        rss = os.path.join(d, "glasswing.maxrss")
        if os.path.exists(rss):
            try:
                row["maxrss_mib"] = int(open(rss).read().split()[-1]) / 1024
            except (ValueError, IndexError):
                pass
        rows.append(row)

    def better(a, b, greater):
        if a is None or b is None:
            return None
        return a > b if greater else a < b

    def fmt(v):
        return "—" if v is None else f"{v:.4f}"

    lines = []
    lines.append(f"# bench/automl — {meta.get('budget', '?')} s budget")
    lines.append("")
    lines.append(
        f"One run on this machine ({meta.get('cpus', '?')} CPUs, {meta.get('date', '?')}, commit "
        f"{meta.get('commit', '?')}, load {meta.get('load_before', '?')} before / {meta.get('load_after', '?')} after), "
        f"`bench/automl/run.sh --budget {meta.get('budget', '?')}`. Splits: `split.py --seed 0` (25% test, stratified "
        "for classification). Peers: `baseline.py --method all --budget B --seed 0` (2 threads; optuna-xgb's refit "
        "comes after its budget). Glasswing: `glasswing run --time-budget B --seed 0 --jobs "
        f"{meta.get('jobs', '?')} --test` (the refit comes after the budget too); its test predictions are scored by "
        "`metrics_check.py`, the same sklearn code that scores the peers. Metric: AMLB's (roc_auc ↑ binary, "
        "log_loss ↓ multiclass, rmse ↓ regression)."
    )
    lines.append("")
    lines.append("| dataset | task | n train | metric | constant | hgb | optuna-xgb | **Glasswing** | best family | trials | wall s | beats both | ≥ constant |")
    lines.append("|---|---|---:|---|---:|---:|---:|---:|---|---:|---:|:-:|:-:|")
    n_both = n_const = n = 0
    for r in rows:
        p = r["peers"]
        g = r["glasswing"]
        c = p.get("constant", {}).get("score")
        h = p.get("hgb", {}).get("score")
        o = p.get("optuna-xgb", {}).get("score")
        gr = r["greater"]
        both = better(g, h, gr) and better(g, o, gr) if g is not None and h is not None and o is not None else None
        const_ok = None if g is None or c is None else (g >= c if gr else g <= c)
        n += 1
        n_both += 1 if both else 0
        n_const += 1 if const_ok else 0
        run = r["run"] or {}
        fam = (run.get("best") or {}).get("family", "—")
        trials = run.get("trials", {})
        t = trials.get("complete")
        lines.append(
            f"| {r['dataset']} | {r['task']} | {r['n_train']} | {r['metric']} | {fmt(c)} | {fmt(h)} | {fmt(o)} | **{fmt(g)}** | "
            f"{fam} | {t if t is not None else '—'} | {r.get('wall_s', 0):.0f} | "
            f"{'yes' if both else ('—' if both is None else 'no')} | {'yes' if const_ok else ('—' if const_ok is None else 'NO')} |"
        )
    lines.append("")
    if n:
        lines.append(
            f"**Glasswing beats both hgb and optuna-xgb on {n_both} of {n} datasets ({100.0 * n_both / n:.0f}%; goal ≥ 75%); "
            f"no worse than constant on {n_const} of {n}.**"
        )
    lines.append("")
    open(results, "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
