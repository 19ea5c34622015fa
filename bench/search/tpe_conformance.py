#!/usr/bin/python3
"""Glasswing's TPE against Optuna 3.1 as installed and patched to behave as Optuna 4.x
(optuna_tpe_variants.py), at TPE's defaults, univariate:

  (1) estimator: for random observation sets of every distribution kind (float, float log,
      float step, int step, int, int log, categorical), the univariate Parzen estimator's mixture
      weights, centres, sigmas (or categorical rows) and its log density at random points,
      Glasswing (glasswing-tpe-proposal density) vs Optuna's _ParzenEstimator: max abs differences.
  (2) proposal: given one fixed 100-trial history of each bench function (an Optuna 3.1 TPE run,
      5 dims, seed 0; --history-trials sets its length), the distribution of TPE's next value of a param over many seeds: Glasswing
      (a fresh sampler per seed, and one shared sampler) vs each Optuna variant. Two-sample
      Kolmogorov-Smirnov for numerical params, chi-square for categorical and step ones (p-values;
      a small p says the two proposal distributions differ).

  bench/search/tpe_conformance.py [--samples 2000] [--functions "sphere mixed"] [--history-trials 100]
                                  [--peers "optuna31 optuna31+4x"] [--skip-proposal] [--out FILE]
Needs build/bench/search/glasswing-tpe-proposal (GLASSWING_BUILD_DIR picks the build folder).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from scipy import stats

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import optuna_tpe_variants as variants  # noqa: E402  (also puts ../shared/tools on the path)
import bench_tpe  # noqa: E402
import optuna  # noqa: E402
from optuna.distributions import (CategoricalDistribution, FloatDistribution, IntDistribution,  # noqa: E402
                                  distribution_to_json)
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters  # noqa: E402
from optuna.samplers._tpe.sampler import default_weights  # noqa: E402
from optuna.trial import create_trial  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TOOL = os.path.join(os.environ.get("GLASSWING_BUILD_DIR", os.path.join(ROOT, "build")),
                    "bench", "search", "glasswing-tpe-proposal")
PARAMS = _ParzenEstimatorParameters(True, 1.0, True, False, default_weights, False)  # TPE's defaults

DISTS = [
    FloatDistribution(-5.12, 5.12),
    FloatDistribution(-32.768, 32.768),
    FloatDistribution(1e-5, 1.0, log=True),
    FloatDistribution(0.0, 1.0, step=0.125),
    IntDistribution(0, 100, step=5),
    IntDistribution(-4, 4),
    IntDistribution(1, 1000, log=True),
    CategoricalDistribution(["a", "b", "c", "d", "e"]),
]


def tool(*args):
    if not os.access(TOOL, os.X_OK):
        raise SystemExit(f"build first: cmake --build build --target glasswing-tpe-proposal (missing {TOOL})")
    return json.loads(subprocess.run([TOOL, *args], check=True, capture_output=True, text=True).stdout)


def random_internal(dist, rng, n, centre=None):
    """n internal values of dist; with a centre, clustered around it (as TPE's history is)."""
    if isinstance(dist, CategoricalDistribution):
        return rng.randint(0, len(dist.choices), n).astype(float)
    lo, hi = (np.log(dist.low), np.log(dist.high)) if dist.log else (dist.low, dist.high)
    u = rng.uniform(lo, hi, n) if centre is None else np.clip(centre + 0.05 * (hi - lo) * rng.randn(n), lo, hi)
    x = np.exp(u) if dist.log else u
    if isinstance(dist, IntDistribution) or (isinstance(dist, FloatDistribution) and dist.step):
        step = dist.step or 1
        x = np.clip(dist.low + np.round((x - dist.low) / step) * step, dist.low, dist.high)
    return x.astype(float)


def estimator_check(seed=0):
    rng = np.random.RandomState(seed)
    cases = []
    for dist in DISTS:
        for m in (0, 1, 2, 3, 5, 10, 26, 40):
            for clustered in (False, True):
                lo, hi = (np.log(dist.low), np.log(dist.high)) if getattr(dist, "log", False) else \
                    (0, 0) if isinstance(dist, CategoricalDistribution) else (dist.low, dist.high)
                centre = rng.uniform(lo, hi) if clustered else None
                obs = random_internal(dist, rng, m, centre)
                pts = random_internal(dist, rng, 7)
                cases.append((dist, obs, pts))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cases.json")
        with open(path, "w") as f:
            json.dump({"cases": [{"dist": distribution_to_json(d), "obs": o.tolist(), "points": p.tolist()}
                                 for d, o, p in cases]}, f)
        ours = tool("density", "--in", path)["cases"]
    report = {}
    for variant in ("optuna31", "optuna31+4x"):
        variants.apply_variant(variant)
        worst = {"weights": 0.0, "mus": 0.0, "sigmas": 0.0, "probs": 0.0, "log_pdf": 0.0}
        by_kind = {}
        for (dist, obs, pts), g in zip(cases, ours):
            pe = _ParzenEstimator({"x": obs}, {"x": dist}, PARAMS)
            kind = repr(dist)
            diffs = {"weights": np.max(np.abs(pe._weights - np.array(g["weights"])))}
            if isinstance(dist, CategoricalDistribution):
                diffs["probs"] = np.max(np.abs(pe._categorical_weights["x"] - np.array(g["probs"])))
                lp = pe.log_pdf({"x": pts.astype(int)})
            else:
                diffs["mus"] = np.max(np.abs(pe._mus["x"] - np.array(g["mus"])))
                diffs["sigmas"] = np.max(np.abs(pe._sigmas["x"] - np.array(g["sigmas"])))
                lp = pe.log_pdf({"x": pts})
            diffs["log_pdf"] = np.max(np.abs(lp - np.array(g["log_pdf"])))
            for k, v in diffs.items():
                worst[k] = max(worst[k], float(v))
                by_kind.setdefault(kind, {}).setdefault(k, 0.0)
                by_kind[kind][k] = max(by_kind[kind][k], float(v))
        report[variant] = {"max_abs_diff": worst, "by_distribution": by_kind}
    variants.apply_variant("optuna31")
    return {"cases": len(cases), "variants": report}


def history(function, dims, trials, seed):
    """An Optuna 3.1 TPE run's trials: [(internal params, value)] and the ordered distributions."""
    variants.apply_variant("optuna31")
    ns = argparse.Namespace(function=function, dims=dims, trials=trials, seed=seed, storage=None,
                            multivariate=False, n_startup_trials=10)
    space = bench_tpe.search_space(function, dims)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    for _ in range(ns.trials):
        t = study.ask(space)
        study.tell(t, bench_tpe.evaluate(function, t.params, dims))
    return space, study.trials


def optuna_proposals(space, trials, param, variant, n):
    variants.apply_variant(variant)
    study = optuna.create_study()
    for t in trials:
        study.add_trial(create_trial(params=t.params, distributions=t.distributions, value=t.value))
    frozen = study.trials[-1]
    out = []
    for seed in range(n):
        sampler = optuna.samplers.TPESampler(seed=seed)
        ext = sampler.sample_independent(study, frozen, param, space[param])
        out.append(space[param].to_internal_repr(ext))
    variants.apply_variant("optuna31")
    return np.array(out, dtype=float)


def compare(a, b, discrete):
    if discrete:
        values = np.union1d(a, b)
        table = np.array([[np.sum(a == v) for v in values], [np.sum(b == v) for v in values]])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            return {"test": "chi2", "p": 1.0}
        return {"test": "chi2", "p": float(stats.chi2_contingency(table)[1])}
    r = stats.ks_2samp(a, b)
    return {"test": "ks", "D": float(r.statistic), "p": float(r.pvalue)}


def proposal_check(functions, samples, history_trials=100, peers=("optuna31", "optuna31+4x")):
    out = {}
    for fn in functions:
        space, trials = history(fn, 5, history_trials, 0)
        params = ["x0"] if fn != "mixed" else ["n", "lr", "c", "x0"]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "history.json")
            with open(path, "w") as f:
                json.dump({"dists": [[k, distribution_to_json(d)] for k, d in space.items()],
                           "trials": [{"params": {k: space[k].to_internal_repr(v) for k, v in t.params.items()},
                                       "value": t.value} for t in trials]}, f)
            res = {}
            for p in params:
                discrete = isinstance(space[p], (CategoricalDistribution, IntDistribution))
                ours = np.array(tool("propose", "--history", path, "--param", p, "--samples", str(samples))["samples"])
                ours_shared = np.array(tool("propose", "--history", path, "--param", p, "--samples", str(samples),
                                            "--seed0", "100000", "--shared")["samples"])
                theirs = {v: optuna_proposals(space, trials, p, v, samples) for v in peers}
                runs = (("glasswing", ours), ("glasswing_shared", ours_shared)) + tuple(theirs.items())
                med = {k: float(np.median(v)) for k, v in runs}
                res[p] = {"median": med}
                d = space[p]
                if not isinstance(d, CategoricalDistribution):
                    # Share of the proposals within 5% of the (transformed) range of its centre.
                    lo, hi = (np.log(d.low), np.log(d.high)) if d.log else (d.low, d.high)
                    tf = (lambda v: np.log(v)) if d.log else (lambda v: v)
                    res[p]["near_centre"] = {k: float(np.mean(np.abs(tf(v) - (lo + hi) / 2) <= 0.05 * (hi - lo)))
                                             for k, v in runs}
                res[p].update({f"glasswing_vs_{v}": compare(ours, o, discrete) for v, o in theirs.items()})
                if len(theirs) == 2:
                    res[p]["optuna31_vs_optuna31+4x"] = compare(theirs["optuna31"], theirs["optuna31+4x"], discrete)
                res[p]["glasswing_fresh_vs_shared"] = compare(ours, ours_shared, discrete)
                print(fn, p, json.dumps(res[p]), file=sys.stderr)
        out[fn] = res
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--functions", default=" ".join(bench_tpe.FUNCTIONS))
    ap.add_argument("--history-trials", type=int, default=100, help="trials of the fixed history (default 100)")
    ap.add_argument("--peers", default="optuna31 optuna31+4x", help="Optuna variants to compare with")
    ap.add_argument("--skip-proposal", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    result = {"estimator": estimator_check(), "samples": args.samples}
    print(json.dumps(result["estimator"]["variants"]["optuna31+4x"]["max_abs_diff"]), file=sys.stderr)
    if not args.skip_proposal:
        result["history_trials"] = args.history_trials
        result["proposal"] = proposal_check(args.functions.split(), args.samples, args.history_trials,
                                            tuple(args.peers.split()))
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
