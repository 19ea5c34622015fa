#pragma once
// Samplers: choose a value for one parameter of a running trial from the study's history.
//
// Registry: make_sampler(name, options) with names "random" and "tpe"; an unknown name or an
// unknown option key throws Error(ErrorKind::Usage) listing the valid ones (nothing is ignored
// silently). Samplers are seeded (options "seed") and then deterministic: the same history and
// the same call order give the same values.
//
// Thread safety: sample_independent may be called from several threads (an internal mutex
// guards the random engine); determinism then depends on the call order.
// Values are returned in internal form (see distributions.hpp).

#include <cstdint>
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

// What a sampler sees: the study's directions, a snapshot of its trials (all states, taken when
// the current trial sampled its first parameter; it may include the current trial as RUNNING,
// samplers skip it by trial_id) and the current trial with the params suggested so far.
struct SamplingContext {
  const std::vector<StudyDirection>& directions;
  const std::vector<FrozenTrial>& trials;
  const FrozenTrial& current;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string_view name() const = 0;
  // Returns the internal value for parameter `param` of `ctx.current`.
  virtual double sample_independent(const SamplingContext& ctx, const std::string& param, const Distribution& d) = 0;
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

// Univariate TPE with Optuna 4.9's defaults (OPTUNA-COMPAT.md section 4): single-objective only.
struct TpeOptions {
  int n_startup_trials = 10;
  int n_ei_candidates = 24;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  std::optional<std::uint64_t> seed;
};

class TpeSampler final : public Sampler {
 public:
  explicit TpeSampler(TpeOptions options = {});
  std::string_view name() const override { return "tpe"; }
  // Throws Error(Usage) for a multi-objective study (not implemented yet).
  double sample_independent(const SamplingContext& ctx, const std::string& param, const Distribution& d) override;
  const TpeOptions& options() const noexcept { return options_; }

 private:
  TpeOptions options_;
  std::mutex mutex_;
  std::mt19937_64 rng_;
};

// Optuna's default gamma and weights.
std::size_t tpe_default_gamma(std::size_t n);
std::vector<double> tpe_default_weights(std::size_t n);

// Registry. options: a JSON object; "random" takes {"seed"}, "tpe" takes {"seed",
// "n_startup_trials", "n_ei_candidates", "prior_weight", "consider_magic_clip", "consider_endpoints"}.
std::unique_ptr<Sampler> make_sampler(std::string_view name, const Json& options = Json::object());
std::vector<std::string> sampler_names();

namespace detail {
// The univariate Parzen estimator in transformed space, exposed for tests.
struct ParzenEstimator1D {
  std::vector<double> weights;  // normalised, prior last
  std::vector<double> mus;      // numerical: centres (transformed)
  std::vector<double> sigmas;
  std::vector<std::vector<double>> probs;  // categorical: one row per kernel
};
ParzenEstimator1D build_parzen_estimator(const Distribution& d, const std::vector<double>& internal_obs,
                                         const TpeOptions& o);
double parzen_log_pdf(const ParzenEstimator1D& pe, const Distribution& d, double internal_value);
double parzen_sample(const ParzenEstimator1D& pe, const Distribution& d, std::mt19937_64& rng);
}  // namespace detail

}  // namespace glasswing::search
