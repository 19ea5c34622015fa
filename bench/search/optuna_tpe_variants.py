#!/usr/bin/python3
"""Optuna 3.1's TPE as installed ("optuna31") and patched to behave as Optuna 4.x ("optuna31+4x"),
to compare Glasswing's TPE (which follows 4.x, OPTUNA-COMPAT.md section 4) with the TPE that the
specification describes, not only with the 3.1 that Debian ships.

What Optuna 4.x (read: 4.9 / HEAD, optuna/samplers/_tpe/{sampler,parzen_estimator,
probability_distributions,_truncnorm}.py) does differently from 3.1 in univariate TPE at the
defaults, and what the patches below change in 3.1 (each one can be switched alone):

  logpdf  the continuous kernel density is the truncated-normal density of N(mu, sigma) on [L, H]:
          -z^2/2 - log sqrt(2 pi) - log(sigma) - log mass. 3.1's _truncnorm.logpdf leaves out the
          -log(sigma) term (4.x's _truncnorm.logpdf has it), so each continuous kernel counts
          sigma times too much: wide kernels (the prior, sigma = H-L) outweigh narrow ones.
  rule49  the univariate bandwidths: neighbour gaps among the observations and the bounds only.
          3.1 - 4.8 put the prior centre (L+H)/2 among them (inherited from hyperopt); 4.9 left
          it out (PR #6574, "Remove prior_mu from compute_sigmas"). Then the magic clip with
          K = m + 1 kernels, as before.
  intlog  an int param on a log scale is scored by the mass of [ln(x-0.5), ln(x+0.5)] (4.7+,
          PR #6258), where 3.1 uses the continuous density of ln x. (The bench functions have
          no log int; the patch is there for completeness.)

Everything else that univariate TPE does at the defaults is the same in 3.1 and 4.x (checked by
reading both): start-up (10 random trials, counted over COMPLETE + PRUNED), gamma
min(ceil(0.1 n), 25), the below/above split (stable by value; both groups in trial order),
default_weights and the prior weight 1, the prior kernel ((L+H)/2, H-L), the magic clip
(H-L)/min(100, m+2), consider_endpoints=False, the step/int transforms (L-q/2, H+q/2), the
categorical kernels, 24 candidates drawn from l by component then inverse CDF, and the first
argmax of log l - log g. 4.x's inverse CDF uses Newton steps where 3.1 bisects: the same
function to ~1e-8 relative.

  # one run, the JSON of ../shared/tools/bench_tpe.py (plus "variant"), e.g. for run.sh:
  bench/search/optuna_tpe_variants.py --variant optuna31+4x --function sphere --dims 5 \\
      --trials 100 --seed 3 --out x.json
  # median over seeds 0..N-1:
  bench/search/optuna_tpe_variants.py --variant optuna31+4x --function sphere --seeds 10
  # one patch alone: --variant optuna31+logpdf, optuna31+rule49, optuna31+intlog
"""
import argparse
import json
import math
import os
import statistics
import sys

import numpy as np

sys.dont_write_bytecode = True  # nothing written beside the shared tools
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "tools"))
import bench_tpe  # noqa: E402
from optuna import distributions  # noqa: E402
from optuna.samplers._tpe import _truncnorm  # noqa: E402
from optuna.samplers._tpe import parzen_estimator  # noqa: E402

PATCHES = ("logpdf", "rule49", "intlog")
VARIANTS = {
    "optuna31": (),
    "optuna31+4x": PATCHES,
    "optuna31+logpdf": ("logpdf",),
    "optuna31+rule49": ("rule49",),
    "optuna31+intlog": ("intlog",),
}

_PE = parzen_estimator._ParzenEstimator
_original_numerical_params = _PE._calculate_numerical_params
_original_log_pdf = _PE.log_pdf
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _numerical_params_49(self, observations, param_name):
    """Univariate bandwidths of Optuna 4.9 (written from OPTUNA-COMPAT.md 4.3): neighbour gaps
    among the observations and the bounds only; the magic clip with K = m + 1 kernels; the prior
    kernel (centre (L+H)/2, sigma H-L) appended last."""
    p = self._parameters
    if p.multivariate or not p.consider_prior:
        return _original_numerical_params(self, observations, param_name)
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
    min_sigma = (high - low) / min(100.0, 1.0 + (m + 1)) if p.consider_magic_clip else 1e-12
    sigmas = np.clip(sigmas, min_sigma, high - low)
    return (np.concatenate([observations, [0.5 * (low + high)]]),
            np.concatenate([sigmas, [high - low]]))


def _log_mass(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    return _truncnorm._log_gauss_mass(a.copy(), b.copy())


def _make_log_pdf(patches):
    """3.1's _ParzenEstimator.log_pdf with the chosen 4.x densities (same mixture, same weights)."""

    def log_pdf(self, samples_dict):
        raw = samples_dict
        x = self._transform_to_uniform(samples_dict)
        n = next(iter(x.values())).size
        if n == 0:
            return np.asarray([], dtype=float)
        comp = np.zeros((n, len(self._weights)))
        for name, dist in self._search_space.items():
            xs = x[name]
            if isinstance(dist, distributions.CategoricalDistribution):
                comp += np.log(self._categorical_weights[name].T[xs.astype(int), :])
                continue
            low, high, q = self._low[name], self._high[name], self._q[name]
            mus, sigmas = self._mus[name], self._sigmas[name]
            log_norm = _log_mass((low - mus) / sigmas, (high - mus) / sigmas)
            int_log = isinstance(dist, distributions.IntDistribution) and dist.log
            if int_log and "intlog" in patches:
                v = np.asarray(raw[name], dtype=float)[:, None]
                comp += _log_mass((np.log(v - 0.5) - mus) / sigmas, (np.log(v + 0.5) - mus) / sigmas) - log_norm
            elif q is not None:
                lo = np.maximum(xs - q / 2.0, low)[:, None]
                hi = np.minimum(xs + q / 2.0, high)[:, None]
                comp += _log_mass((lo - mus) / sigmas, (hi - mus) / sigmas) - log_norm
            else:
                z = (xs[:, None] - mus) / sigmas
                dens = -0.5 * z * z - _LOG_SQRT_2PI - log_norm
                if "logpdf" in patches:
                    dens = dens - np.log(sigmas)
                comp += dens
        weighted = comp + np.log(self._weights)
        mx = weighted.max(axis=1)
        return np.log(np.exp(weighted - mx[:, None]).sum(axis=1)) + mx

    return log_pdf


def apply_variant(name):
    """Patches the installed Optuna 3.1 in this process (idempotent: each call starts from 3.1)."""
    if name not in VARIANTS:
        raise SystemExit(f"unknown variant '{name}'; valid: {', '.join(VARIANTS)}")
    patches = VARIANTS[name]
    _PE._calculate_numerical_params = _numerical_params_49 if "rule49" in patches else _original_numerical_params
    _PE.log_pdf = _make_log_pdf(patches) if ("logpdf" in patches or "intlog" in patches) else _original_log_pdf
    return patches


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", default="optuna31+4x", choices=list(VARIANTS))
    ap.add_argument("--function", required=True, choices=list(bench_tpe.FUNCTIONS))
    ap.add_argument("--dims", type=int, default=5)
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--seed", type=int, help="one run with this seed: bench_tpe.py's JSON")
    ap.add_argument("--seeds", type=int, default=10, help="without --seed: medians over seeds 0..N-1")
    ap.add_argument("--out")
    args = ap.parse_args()
    patches = apply_variant(args.variant)

    def one(seed):
        ns = argparse.Namespace(function=args.function, dims=args.dims, trials=args.trials, seed=seed,
                                storage=None, multivariate=False, n_startup_trials=10)
        return bench_tpe.run(ns)

    if args.seed is not None:
        result = one(args.seed)
        result["variant"] = args.variant
        result["patches"] = list(patches)
    else:
        runs = [one(s)["best_value_after"] for s in range(args.seeds)]
        result = {"variant": args.variant, "patches": list(patches), "function": args.function,
                  "dims": args.dims, "trials": args.trials, "seeds": args.seeds,
                  "median_best_value_after": {k: statistics.median(r[k] for r in runs) for k in runs[0]}}
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
