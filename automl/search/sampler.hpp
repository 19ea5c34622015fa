#pragma once
// Samplers: choose values for the parameters of a running trial from the study's history.
//
// Registry: make_sampler(name, options) with names "random" and "tpe"; an unknown name or an
// unknown option key throws Error(ErrorKind::Usage) listing the valid ones (nothing is ignored
// silently). Samplers are seeded (options "seed") and then deterministic: the same history and
// the same call order give the same values.
//
// Two ways to sample, as Optuna's BaseSampler:
// - relative (joint): once per trial, before its first sampled param, the trial asks
//   infer_relative_search_space and then sample_relative for those params together;
// - independent: every param that the relative step did not cover (or whose requested
//   distribution does not accept the relative value) goes through sample_independent.
//
// Thread safety: the sampling calls may be made from several threads (an internal mutex
// guards the random engine); determinism then depends on the call order.
// Values are returned in internal form (see distributions.hpp).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "automl/search/distributions.hpp"
#include "automl/search/trial.hpp"

namespace glasswing::search {

// Param name -> distribution, ordered by name.
using SearchSpace = std::map<std::string, Distribution>;

// What a sampler sees: the study's directions, a snapshot of its trials (all states, taken when
// the current trial sampled its first parameter; it may include the current trial as RUNNING,
// samplers skip it by trial_id) and the current trial with the params suggested so far.
// snapshot_id (optional, 0 = unknown): a caller that keeps `trials` unchanged while it hands the
// same nonzero id (Study: one id per trial's history snapshot) lets samplers reuse what they
// derived from it for the next param without checking the whole history again.
struct SamplingContext {
  const std::vector<StudyDirection>& directions;
  const std::vector<FrozenTrial>& trials;
  const FrozenTrial& current;
  std::uint64_t snapshot_id = 0;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string_view name() const = 0;
  // Returns the internal value for parameter `param` of `ctx.current`.
  virtual double sample_independent(const SamplingContext& ctx, const std::string& param, const Distribution& d) = 0;
  // The params to sample jointly for ctx.current (empty: none). Default: none.
  virtual SearchSpace infer_relative_search_space(const SamplingContext& ctx);
  // Internal values for (a subset of) `space`; a param left out is sampled independently.
  virtual std::map<std::string, double> sample_relative(const SamplingContext& ctx, const SearchSpace& space);
};

// Uniform sampling in the transformed space, as Optuna's RandomSampler.
class RandomSampler final : public Sampler {
 public:
  explicit RandomSampler(std::optional<std::uint64_t> seed = std::nullopt);
  std::string_view name() const override { return "random"; }
  double sample_independent(const SamplingContext& ctx, const std::string& param, const Distribution& d) override;
  // Shared with TPE's start-up phase; the caller holds the engine.
  static double sample(std::mt19937_64& rng, const Distribution& d);

 private:
  std::mutex mutex_;
  std::mt19937_64 rng_;
};

// TPE as Optuna 4.x's TPESampler (OPTUNA-COMPAT.md section 4), defaults of 4.9: univariate,
// no constant liar. Multi-objective studies use MOTPE (split by non-domination rank and greedy
// hypervolume subset selection, below weights from hypervolume contributions).
struct TpeOptions {
  int n_startup_trials = 10;
  int n_ei_candidates = 24;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  // Joint sampling over the intersection search space; its bandwidth is the Scott-like rule
  // of Optuna <= 4.9, also for the params that fall back to independent sampling.
  bool multivariate = false;
  // With multivariate: one joint model per group of params that always occur together.
  bool group = false;
  // RUNNING trials (other than the current one) join the "above" group, so parallel workers
  // do not all sample near the same good point.
  bool constant_liar = false;
  std::optional<std::uint64_t> seed;
};

namespace detail {
// The below/above groups of trials (see split_trials below).
struct TpeSplit {
  std::vector<const FrozenTrial*> below, above;
  std::size_t n = 0;
};
}  // namespace detail

class TpeSampler final : public Sampler {
 public:
  explicit TpeSampler(TpeOptions options = {});
  std::string_view name() const override { return "tpe"; }
  double sample_independent(const SamplingContext& ctx, const std::string& param, const Distribution& d) override;
  SearchSpace infer_relative_search_space(const SamplingContext& ctx) override;
  std::map<std::string, double> sample_relative(const SamplingContext& ctx, const SearchSpace& space) override;
  const TpeOptions& options() const noexcept { return options_; }
  // Scores every EI candidate by the exact density path instead of ranking them first by the
  // bounded approximation (tests and bench/search/tpe_reference): the samples are the same.
  void set_exact_ranking(bool on) noexcept { exact_ranking_ = on; }

 private:
  // Samples the params of `space` jointly (one param: independent sampling); nullopt during the
  // start-up trials. The caller holds mutex_.
  std::optional<std::map<std::string, double>> sample_space(const SamplingContext& ctx, const SearchSpace& space);

  TpeOptions options_;
  bool exact_ranking_ = false;
  std::mutex mutex_;
  std::mt19937_64 rng_;
  // Internal values of the finished trials' params, kept across trials (a finished trial never
  // changes): per param, by position in the history snapshot, with the trial's id and completion
  // time to check that the position still holds the same trial (else it is read again).
  struct ObsEntry {
    std::int64_t trial_id = -1;
    std::int64_t complete_us = 0;
    double value = 0;  // NaN: the trial cannot be used for this param (absent or not representable)
  };
  struct ObsColumn {
    Distribution dist;
    const void* study = nullptr;  // &ctx.directions: another study starts the column afresh
    std::vector<ObsEntry> at;
    // Numerical: (transformed value, position) of the usable entries of `at`, sorted.
    std::vector<std::pair<double, std::size_t>> sorted;
  };
  std::map<std::string, ObsColumn, std::less<>> obs_cache_;
  // Keyed by the snapshot's address, size, current trial and either the context's snapshot_id
  // (nonzero) or a fingerprint of the whole history.
  struct SplitCache {
    bool valid = false;
    const FrozenTrial* data = nullptr;
    std::size_t size = 0;
    std::int64_t current = 0;
    std::uint64_t snapshot_id = 0;
    std::uint64_t fingerprint = 0;
    detail::TpeSplit split;
    // Per snapshot position: the trial's id and completion time when COMPLETE or PRUNED with a
    // completion time (cacheable in obs_cache_), else trial_id -1.
    struct Key {
      std::int64_t trial_id = -1;
      std::int64_t complete_us = 0;
    };
    std::vector<Key> keys;
  } split_cache_;
};

// Optuna's default gamma and weights.
std::size_t tpe_default_gamma(std::size_t n);
std::vector<double> tpe_default_weights(std::size_t n);

// Registry. options: a JSON object; "random" takes {"seed"}, "tpe" takes {"seed",
// "n_startup_trials", "n_ei_candidates", "prior_weight", "consider_magic_clip", "consider_endpoints",
// "multivariate", "group", "constant_liar"} ("group" needs "multivariate").
std::unique_ptr<Sampler> make_sampler(std::string_view name, const Json& options = Json::object());
std::vector<std::string> sampler_names();

namespace detail {
// The univariate Parzen estimator in transformed space, exposed for tests. In a multivariate
// estimator it is one dimension (its `weights` are then the shared mixture weights).
struct ParzenEstimator1D {
  std::vector<double> weights;  // normalised, prior last
  std::vector<double> mus;      // numerical: centres (transformed)
  std::vector<double> sigmas;
  std::vector<double> log_norms;            // numerical: log mass of each kernel on [L, H]
  std::vector<std::size_t> by_centre;       // numerical, univariate: observation kernels by centre
  std::vector<std::vector<double>> probs;  // categorical: one row per kernel
};
ParzenEstimator1D build_parzen_estimator(const Distribution& d, const std::vector<double>& internal_obs,
                                         const TpeOptions& o);
double parzen_log_pdf(const ParzenEstimator1D& pe, const Distribution& d, double internal_value);
double parzen_sample(const ParzenEstimator1D& pe, const Distribution& d, std::mt19937_64& rng);

// A product-kernel mixture over several params (Optuna's _ParzenEstimator): kernel j of every
// dimension shares the mixture weight weights[j]; the prior kernel is last.
struct ParzenEstimator {
  std::vector<Distribution> dists;
  std::vector<double> weights;
  std::vector<ParzenEstimator1D> dims;
};
// obs[dim][i]: internal values, one row per observation. below_weights: predetermined
// observation weights (multi-objective below), else Optuna's default ramp. multivariate picks
// the Scott-like bandwidth 0.2 * max(m,1)^(-1/(d+4)) * (H-L) instead of neighbour gaps.
// presorted (optional, univariate bandwidth): per dim, the observations' indices ordered by
// (transformed value, index), as the caller already knows them; an empty or short entry: sorted here.
ParzenEstimator build_parzen_estimator(const std::vector<Distribution>& dists,
                                       const std::vector<std::vector<double>>& obs,
                                       const std::vector<double>* below_weights, bool multivariate,
                                       const TpeOptions& o,
                                       const std::vector<std::vector<std::size_t>>* presorted = nullptr);
// TPE's choice among the EI candidates (samples[dim][c]): the first argmax of
// log l(x) - log g(x), l = below, g = above. One continuous param: the candidates are ranked by a
// fast approximation with a proven error bound and only those that can still win are scored
// exactly, so the choice equals the exact one (exact_only: score every candidate exactly).
std::size_t choose_candidate(const ParzenEstimator& below, const ParzenEstimator& above,
                             const std::vector<std::vector<double>>& samples, bool exact_only = false);
// The approximation behind it (one continuous param, else false): approx[c] and err[c] with
// |approx[c] - log density(xs[c])| <= err[c] (the exact path's value); false where it declines.
bool approx_log_pdf_1d(const ParzenEstimator& pe, const std::vector<double>& xs, std::vector<double>& approx,
                       std::vector<double>& err);
// n candidates: result[dim][c].
std::vector<std::vector<double>> parzen_sample(const ParzenEstimator& pe, std::mt19937_64& rng, std::size_t n);
// log density of each candidate (samples[dim][c]).
std::vector<double> parzen_log_pdf(const ParzenEstimator& pe, const std::vector<std::vector<double>>& samples);

// ---- history analysis (tpe.cpp)
// Optuna's IntersectionSearchSpace(include_pruned=True): params present with identical
// distributions in every COMPLETE and PRUNED trial, single-valued ones dropped.
SearchSpace intersection_search_space(const std::vector<FrozenTrial>& trials);
// Optuna's _GroupDecomposedSearchSpace(include_pruned=True): disjoint groups of params such
// that every COMPLETE/PRUNED trial's params are a union of groups (single-valued dropped, empty
// groups removed). Groups are ordered by their smallest param name.
std::vector<SearchSpace> group_decomposed_search_space(const std::vector<FrozenTrial>& trials);

// Optuna 4.x _split_trials: below = best COMPLETE (single-objective: by value; multi-objective:
// by non-domination rank, the last partial rank by greedy HSSP), then PRUNED by (-last step,
// value); above = the rest, plus RUNNING trials other than `exclude_trial_id` when
// constant_liar. Both groups in trial-number order. n = COMPLETE + PRUNED trials considered.
// (struct TpeSplit is defined above TpeSampler.)
TpeSplit split_trials(const std::vector<StudyDirection>& directions, const std::vector<FrozenTrial>& trials,
                      std::int64_t exclude_trial_id, bool constant_liar,
                      const std::function<std::size_t(std::size_t)>& gamma);
// Non-domination ranks (0 = Pareto front) of minimisation vectors; equal vectors share a rank.
// Fronts are peeled only until at least n_below points are ranked; the rest get the next rank
// (Optuna 4.x's _calculate_nondomination_rank(n_below)).
std::vector<int> nondomination_ranks(const std::vector<std::vector<double>>& lvals,
                                     std::size_t n_below = static_cast<std::size_t>(-1));
// Hypervolume dominated by `points` (minimisation) up to `ref`; points not below ref count 0.
double hypervolume(const std::vector<std::vector<double>>& points, const std::vector<double>& ref);
// max(1.1 * worst, 0.9 * worst) per objective, 0 replaced by 1e-12.
std::vector<double> hv_reference_point(const std::vector<std::vector<double>>& lvals);
// Greedy hypervolume subset selection (Optuna 4.x _solve_hssp): `subset_size` of the points,
// returned as positions into `lvals`.
std::vector<std::size_t> solve_hssp(const std::vector<std::vector<double>>& lvals, std::size_t subset_size,
                                    const std::vector<double>& ref);
// Optuna 4.x _calculate_weights_below_for_multi_objective over the below trials (in their order):
// leave-one-out hypervolume contributions of the Pareto-optimal ones normalised by the largest,
// at least 1e-12; trials without values (pruned) get 1e-12.
std::vector<double> mo_weights_below(const std::vector<StudyDirection>& directions,
                                     const std::vector<const FrozenTrial*>& below);
}  // namespace detail

}  // namespace glasswing::search
