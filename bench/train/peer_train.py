#!/usr/bin/python3
"""bench/train peer: Python xgboost / torch on the same data, parameters and threads as train_bench.

Run with Debian's /usr/bin/python3 (python3-xgboost, python3-torch, python3-numpy).

  peer_train.py xgboost CSV TARGET regression|binary --out PREFIX [--positive L] [--threads 2]
                [--rounds 200] [--max-depth 6] [--eta 0.1] [--max-bin 256] [--seed 0]
                [--ours PREFIX_OF_TRAIN_BENCH]
  peer_train.py mlp CSV TARGET regression --out PREFIX [--threads 2] [--epochs 6] [--width 128]
                [--depth 2] [--batch 512] [--eval-every 10] [--seed 0] [--ours PREFIX]

The encoding is train_bench's, done independently here (csv module, float() then float32;
non-numeric columns as codes in sorted order; the reader's NA tokens and "" as NaN). With --ours,
it is compared with train_bench's PREFIX.x.f32 / PREFIX.y.f32 bit for bit (a mismatch is an error),
and for xgboost OUR saved model (PREFIX.model) is loaded with xgb.Booster and its predictions are
compared with ours (PREFIX.pred.f32) bit for bit. Prints one JSON object.
"""
import argparse
import csv
import json
import math
import os
import resource
import sys
import time

import numpy as np

NA = {"", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "?", "-", "#N/A", "."}


def encode(path, target, binary, positive):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r]
    t = header.index(target)
    cols, names = [], []
    for c, name in enumerate(header):
        if c == t:
            continue
        cells = [r[c] for r in body]
        try:
            col = [math.nan if s in NA else float(s) for s in cells]
        except ValueError:
            levels = sorted({s for s in cells if s not in NA})
            code = {s: float(i) for i, s in enumerate(levels)}
            col = [math.nan if s in NA else code[s] for s in cells]
        cols.append(np.asarray(col, dtype=np.float64).astype(np.float32))
        names.append(name)
    x = np.ascontiguousarray(np.stack(cols, axis=1))
    if binary:
        y = np.asarray([1.0 if r[t] == positive else 0.0 for r in body], dtype=np.float32)
    else:
        y = np.asarray([float(r[t]) for r in body], dtype=np.float64).astype(np.float32)
    return x, y, names


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def same_bits(a, b):
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def run_xgboost(a, x, y, out):
    import xgboost as xgb

    # The parameters backend/xgboost/xgboost_trainer.cpp sets (defaults for the ones we do not pass).
    params = {
        "objective": "binary:logistic" if a.task == "binary" else "reg:squarederror",
        "eval_metric": "logloss" if a.task == "binary" else "rmse",
        "tree_method": "hist",
        "seed": a.seed,
        "nthread": a.threads,
        "verbosity": 1,
        "eta": a.eta,
        "max_depth": a.max_depth,
        "min_child_weight": 1.0,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "lambda": 1.0,
        "alpha": 0.0,
        "gamma": 0.0,
        "max_bin": a.max_bin,
    }
    # Our fit() evaluates the training metric after every round (the on_round contract);
    # --watch does the same here (evals=[(dtrain, "train")]), without it xgb.train does not.
    c0, t0 = cpu_seconds(), time.perf_counter()
    dtrain = xgb.DMatrix(x, label=y, missing=np.nan, nthread=a.threads)
    evals = [(dtrain, "train")] if a.watch else []
    booster = xgb.train(params, dtrain, num_boost_round=a.rounds, evals=evals, verbose_eval=False)
    out["fit_s"] = time.perf_counter() - t0
    out["fit_cpu_s"] = cpu_seconds() - c0
    out["watch"] = bool(a.watch)
    out["rounds"] = booster.num_boosted_rounds()
    out["params"] = params
    dall = xgb.DMatrix(x, missing=np.nan, nthread=a.threads)
    peer_pred = booster.predict(dall).astype(np.float32)
    if a.ours:
        ours = np.fromfile(a.ours + ".pred.f32", dtype="<f4")
        loaded = xgb.Booster(model_file=a.ours + ".model")
        loaded.set_param({"nthread": a.threads})
        theirs = loaded.predict(dall).astype(np.float32)
        out["exported_pred_bit_equal"] = same_bits(ours, theirs)
        out["exported_pred_max_abs_diff"] = float(np.max(np.abs(ours.astype(np.float64) - theirs)))
        out["exported_pred_rows"] = int(theirs.shape[0])
        # The model Python trained itself against ours (same data, parameters, seed, threads).
        out["peer_model_pred_bit_equal"] = same_bits(ours, peer_pred)
        out["peer_model_pred_max_abs_diff"] = float(np.max(np.abs(ours.astype(np.float64) - peer_pred)))


def run_mlp(a, x, y, out):
    import torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    every = a.eval_every
    is_eval = (np.arange(x.shape[0]) % every) == every - 1 if every > 0 else np.zeros(x.shape[0], bool)
    xt, yt, xe, ye = x[~is_eval], y[~is_eval], x[is_eval], y[is_eval]
    out["train_rows"], out["eval_rows"] = int(xt.shape[0]), int(xe.shape[0])
    c0, t0 = cpu_seconds(), time.perf_counter()
    # Standardisation as the trainer does it (population std over non-missing, NaN -> the mean).
    xt64 = xt.astype(np.float64)
    mean = np.nanmean(xt64, axis=0)
    var = np.maximum(0.0, np.nanmean(xt64 * xt64, axis=0) - mean * mean)
    scale = np.where(var > 1e-24, np.sqrt(var), 1.0).astype(np.float32)
    mean = mean.astype(np.float32)
    ym = float(np.float32(yt.astype(np.float64).mean()))
    ys = float(np.float32(math.sqrt(max(0.0, (yt.astype(np.float64) ** 2).mean() - ym * ym))))

    def standardise(m):
        z = (m - mean) / scale
        z[np.isnan(m)] = 0.0
        return torch.from_numpy(np.ascontiguousarray(z, dtype=np.float32))

    X = standardise(xt)
    Y = ((torch.from_numpy(yt) - ym) / ys).unsqueeze(1)
    layers, width = [], x.shape[1]
    for _ in range(a.depth):
        layers += [torch.nn.Linear(width, a.width), torch.nn.BatchNorm1d(a.width), torch.nn.ReLU(), torch.nn.Dropout(0.1)]
        width = a.width
    layers.append(torch.nn.Linear(width, 1))
    net = torch.nn.Sequential(*layers)
    lr_max, n = 3e-3, X.shape[0]
    opt = torch.optim.AdamW(net.parameters(), lr=lr_max, weight_decay=1e-4)
    batch = min(a.batch, n)
    steps_per_epoch = (n + batch - 1) // batch
    total = steps_per_epoch * a.epochs
    warmup = math.floor(0.05 * total)

    def lr_at(step):
        if step < warmup:
            return lr_max * (step + 1) / warmup
        progress = (step - warmup) / max(1.0, total - warmup)
        return lr_max * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))

    rng = np.random.default_rng(a.seed)
    order = np.arange(n, dtype=np.int64)
    step, best, stamps, cpu_stamps, rmse = 0, math.inf, [], [], []
    best_state = None
    for epoch in range(a.epochs):
        net.train()
        rng.shuffle(order)
        perm = torch.from_numpy(order)
        for b in range(steps_per_epoch):
            lo, hi = b * batch, min(n, (b + 1) * batch)
            if hi - lo < 2:
                continue
            idx = perm[lo:hi]
            xb, yb = X.index_select(0, idx), Y.index_select(0, idx)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            opt.zero_grad()
            loss = (net(xb) - yb).pow(2).squeeze(1).mean()
            loss.backward()
            opt.step()
            step += 1
        # Per-epoch evaluation, as the trainer does: predict the evaluation set, RMSE in label units.
        net.eval()
        with torch.no_grad():
            pe = net(standardise(xe)) * ys + ym
            value = float(torch.sqrt(((pe.squeeze(1) - torch.from_numpy(ye)) ** 2).double().mean()))
        rmse.append(value)
        if value < best or best_state is None:
            best, best_state = value, [t.detach().clone() for t in net.state_dict().values()]
        stamps.append(time.perf_counter() - t0)
        cpu_stamps.append(cpu_seconds())
    out["fit_cpu_s"] = cpu_seconds() - c0
    epochs = [stamps[i] - stamps[i - 1] for i in range(1, len(stamps))]
    epochs_cpu = [cpu_stamps[i] - cpu_stamps[i - 1] for i in range(1, len(cpu_stamps))]
    out["epoch_cpu_s"] = epochs_cpu
    out["epoch_cpu_s_median"] = float(np.median(epochs_cpu)) if epochs_cpu else float("nan")
    out["first_epoch_s"] = stamps[0]
    out["epoch_s"] = epochs
    out["epoch_s_median"] = float(np.median(epochs)) if epochs else float("nan")
    out["fit_s"] = stamps[-1]
    out["rounds"] = a.epochs
    out["eval_rmse"] = rmse
    out["torch_threads"] = torch.get_num_threads()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("trainer", choices=["xgboost", "mlp"])
    p.add_argument("csv")
    p.add_argument("target")
    p.add_argument("task", choices=["regression", "binary"])
    p.add_argument("--out", required=True)
    p.add_argument("--positive", default="")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--max-depth", type=int, default=6)
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--max-bin", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--eval-every", type=int, default=10)
    p.add_argument("--watch", type=int, default=0)
    p.add_argument("--ours", default="")
    a = p.parse_args()

    x, y, names = encode(a.csv, a.target, a.task == "binary", a.positive)
    out = {"side": "python", "trainer": a.trainer, "data": a.csv, "task": a.task, "rows": int(x.shape[0]),
           "cols": int(x.shape[1]), "features": names, "threads": a.threads}
    if a.ours:
        ox = np.fromfile(a.ours + ".x.f32", dtype="<f4")
        oy = np.fromfile(a.ours + ".y.f32", dtype="<f4")
        out["same_data_bits"] = same_bits(ox, x.reshape(-1)) and same_bits(oy, y)
        if not out["same_data_bits"]:
            print(json.dumps(out, indent=1))
            sys.exit("peer_train: our encoding differs from train_bench's (%s)" % a.ours)
    import importlib

    lib = importlib.import_module("xgboost" if a.trainer == "xgboost" else "torch")
    out["versions"] = {"python": sys.version.split()[0], "numpy": np.__version__, a.trainer if a.trainer == "xgboost"
                       else "torch": lib.__version__}
    (run_xgboost if a.trainer == "xgboost" else run_mlp)(a, x, y, out)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
