#!/usr/bin/python3
"""Optuna 3.1's TPE with the two places where it differs from Glasswing's TPE switched one by one,
to tell which of them explains a quality gap:

  --rule 31: the prior centre (L+H)/2 takes part in the neighbour gaps (Optuna 3.1 - 4.8);
  --rule 49: it does not (Optuna 4.9+, OPTUNA-COMPAT.md section 4.3; what Glasswing implements).
  --logpdf 31: Optuna 3.1's _truncnorm.logpdf, which leaves out the -log(scale) term, so every
               continuous kernel's density is sigma_j times too large (wide kernels, above all
               the prior with sigma = H-L, outweigh narrow ones);
  --logpdf fixed: the truncated-normal log density with -log(scale) (what Glasswing computes).

Runs ../shared/tools/bench_tpe.py's loop (same functions, parameters and seeds) in this process
and prints, per checkpoint, the median best value over the seeds.

  bench/search/optuna_tpe_variants.py --function sphere --dims 5 --trials 100 --seeds 10 --rule 49 --logpdf fixed
"""
import argparse
import json
import os
import statistics
import sys

import numpy as np

sys.dont_write_bytecode = True  # nothing written beside the shared tools
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "tools"))
import bench_tpe  # noqa: E402
from optuna.samplers._tpe import parzen_estimator  # noqa: E402
from optuna.samplers._tpe import _truncnorm  # noqa: E402

_original = parzen_estimator._ParzenEstimator._calculate_numerical_params


def _rule49(self, observations, param_name):
    """Univariate bandwidth of Optuna 4.9 (written from OPTUNA-COMPAT.md 4.3): neighbour gaps among
    the observations and the bounds only; then the magic clip with K = m + 1 kernels; the prior
    kernel (centre (L+H)/2, sigma H-L) appended last."""
    p = self._parameters
    if p.multivariate or not p.consider_prior:
        return _original(self, observations, param_name)
    low, high = self._low[param_name], self._high[param_name]
    m = len(observations)
    sigmas = np.empty(m)
    if m > 0:
        order = np.argsort(observations, kind="stable")
        edges = np.concatenate([[low], observations[order], [high]])
        gaps = np.maximum(edges[1:-1] - edges[:-2], edges[2:] - edges[1:-1])
        if not p.consider_endpoints and m >= 2:
            gaps[0] = edges[2] - edges[1]
            gaps[-1] = edges[-2] - edges[-3]
        sigmas[order] = gaps
    k = m + 1
    min_sigma = (high - low) / min(100.0, 1.0 + k) if p.consider_magic_clip else 1e-12
    sigmas = np.clip(sigmas, min_sigma, high - low)
    return (np.concatenate([observations, [0.5 * (low + high)]]),
            np.concatenate([sigmas, [high - low]]))


_original_logpdf = _truncnorm.logpdf


def _logpdf_fixed(x, a, b, loc=0, scale=1):
    return _original_logpdf(x, a, b, loc=loc, scale=scale) - np.log(scale)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--function", required=True, choices=list(bench_tpe.FUNCTIONS))
    ap.add_argument("--dims", type=int, default=5)
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--rule", choices=["31", "49"], default="49")
    ap.add_argument("--logpdf", choices=["31", "fixed"], default="31")
    args = ap.parse_args()
    if args.logpdf == "fixed":
        parzen_estimator.truncnorm.logpdf = _logpdf_fixed
    if args.rule == "49":
        parzen_estimator._ParzenEstimator._calculate_numerical_params = _rule49
    runs = []
    for seed in range(args.seeds):
        ns = argparse.Namespace(function=args.function, dims=args.dims, trials=args.trials, seed=seed,
                                storage=None, multivariate=False, n_startup_trials=10)
        runs.append(bench_tpe.run(ns)["best_value_after"])
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(json.dumps({"function": args.function, "dims": args.dims, "trials": args.trials, "seeds": args.seeds,
                      "rule": args.rule, "logpdf": args.logpdf, "median_best_value_after": medians}))


if __name__ == "__main__":
    main()
