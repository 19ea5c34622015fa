#include "automl/search/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "automl/common/error.hpp"

namespace glasswing::search {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kLogSqrt2Pi = 0.9189385332046727;  // log(sqrt(2*pi))
constexpr double kInf = std::numeric_limits<double>::infinity();

// A double in [0, 1) from 53 random bits: the same on every platform (unlike <random>'s
// distributions, whose algorithms are implementation-defined).
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
double uniform(std::mt19937_64& rng, double lo, double hi) { return lo + (hi - lo) * uniform01(rng); }

double norm_cdf(double z) { return 0.5 * std::erfc(-z / kSqrt2); }

double log_norm_cdf(double z) {
  if (z > -30.0) return std::log(norm_cdf(z));
  // Asymptotic expansion of the lower tail.
  const double z2 = z * z;
  return -0.5 * z2 - std::log(-z) - kLogSqrt2Pi + std::log1p(-1.0 / z2 + 3.0 / (z2 * z2));
}

// log(Phi(b) - Phi(a)) for a <= b, accurate in both tails.
double log_gauss_mass(double a, double b) {
  if (b <= 0.0) {
    const double lb = log_norm_cdf(b);
    const double la = log_norm_cdf(a);
    return lb + std::log1p(-std::exp(la - lb));
  }
  if (a >= 0.0) return log_gauss_mass(-b, -a);
  return std::log1p(-norm_cdf(a) - norm_cdf(-b));
}

// Inverse of the standard normal CDF (Acklam's approximation plus one Halley step).
double norm_ppf(double p) {
  if (p <= 0.0) return -kInf;
  if (p >= 1.0) return kInf;
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  double x = 0.0;
  if (p < 0.02425) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else if (p <= 1.0 - 0.02425) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  } else {
    const double q = std::sqrt(-2.0 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  const double e = norm_cdf(x) - p;
  const double u = e * std::sqrt(2.0 * M_PI) * std::exp(0.5 * x * x);
  return x - u / (1.0 + 0.5 * x * u);
}

// A standard normal draw truncated to [a, b], by inverse CDF.
double truncnorm_std(std::mt19937_64& rng, double a, double b) {
  if (a >= 0.0) return -truncnorm_std(rng, -b, -a);  // sample in the left tail for precision
  const double pa = norm_cdf(a);
  const double pb = norm_cdf(b);
  if (!(pb > pa)) return std::clamp(0.0, a, b);
  const double z = norm_ppf(pa + uniform01(rng) * (pb - pa));
  return std::clamp(z, a, b);
}

// The transformed space of a numerical distribution (OPTUNA-COMPAT.md 4.3).
struct Space {
  enum Kind { Continuous, Discrete, IntLog } kind = Continuous;
  bool log = false;  // continuous in log space
  double L = 0, H = 0;
  double low = 0, high = 0, q = 0;
};

Space space_of(const Distribution& d) {
  Space s;
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    s.low = f->low;
    s.high = f->high;
    if (f->log) {
      s.log = true;
      s.L = std::log(f->low);
      s.H = std::log(f->high);
    } else if (f->step) {
      s.kind = Space::Discrete;
      s.q = *f->step;
      s.L = f->low - s.q / 2;
      s.H = f->high + s.q / 2;
    } else {
      s.L = f->low;
      s.H = f->high;
    }
  } else {
    const auto& i = std::get<IntDistribution>(d);
    s.low = static_cast<double>(i.low);
    s.high = static_cast<double>(i.high);
    if (i.log) {
      s.kind = Space::IntLog;
      s.L = std::log(s.low - 0.5);
      s.H = std::log(s.high + 0.5);
    } else {
      s.kind = Space::Discrete;
      s.q = static_cast<double>(i.step);
      s.L = s.low - s.q / 2;
      s.H = s.high + s.q / 2;
    }
  }
  return s;
}

double to_transformed(const Space& s, double v) { return (s.log || s.kind == Space::IntLog) ? std::log(v) : v; }

// Maps a transformed draw back to an internal value on the distribution's grid.
double from_transformed(const Space& s, double x) {
  switch (s.kind) {
    case Space::Continuous: return std::clamp(s.log ? std::exp(x) : x, s.low, s.high);
    case Space::Discrete: return std::clamp(s.low + std::round((x - s.low) / s.q) * s.q, s.low, s.high);
    case Space::IntLog: return std::clamp(std::round(std::exp(x)), s.low, s.high);
  }
  return x;
}

double logsumexp(const std::vector<double>& v) {
  const double m = *std::max_element(v.begin(), v.end());
  if (!std::isfinite(m)) return m;
  double sum = 0;
  for (double x : v) sum += std::exp(x - m);
  return m + std::log(sum);
}

std::optional<std::uint64_t> seed_option(const Json& options) {
  if (!options.contains("seed") || options["seed"].is_null()) return std::nullopt;
  if (!options["seed"].is_number_integer()) throw Error(ErrorKind::Usage, "sampler option seed must be an integer");
  return options["seed"].get<std::uint64_t>();
}

std::uint64_t seed_or_random(std::optional<std::uint64_t> seed) {
  if (seed) return *seed;
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

// ---------------------------------------------------------------------------------- random
RandomSampler::RandomSampler(std::optional<std::uint64_t> seed) : rng_(seed_or_random(seed)) {}

double RandomSampler::sample(std::mt19937_64& rng, const Distribution& d) {
  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    const auto k = c->choices.size();
    return static_cast<double>(std::min<std::size_t>(static_cast<std::size_t>(uniform01(rng) * static_cast<double>(k)), k - 1));
  }
  const Space s = space_of(d);
  return from_transformed(s, uniform(rng, s.L, s.H));
}

double RandomSampler::sample_independent(const SamplingContext&, const std::string&, const Distribution& d) {
  std::lock_guard lock(mutex_);
  return sample(rng_, d);
}

// ------------------------------------------------------------------------------- estimator
std::size_t tpe_default_gamma(std::size_t n) {
  return std::min<std::size_t>(static_cast<std::size_t>(std::ceil(0.1 * static_cast<double>(n))), 25);
}

std::vector<double> tpe_default_weights(std::size_t n) {
  if (n == 0) return {};
  if (n < 25) return std::vector<double>(n, 1.0);
  std::vector<double> w;
  const std::size_t ramp = n - 25;  // numpy linspace(1/n, 1, n-25)
  for (std::size_t i = 0; i < ramp; ++i) {
    const double lo = 1.0 / static_cast<double>(n);
    w.push_back(ramp == 1 ? lo : lo + (1.0 - lo) * static_cast<double>(i) / static_cast<double>(ramp - 1));
  }
  w.insert(w.end(), 25, 1.0);
  return w;
}

namespace detail {

ParzenEstimator1D build_parzen_estimator(const Distribution& d, const std::vector<double>& internal_obs,
                                         const TpeOptions& o) {
  ParzenEstimator1D pe;
  const std::size_t m = internal_obs.size();
  pe.weights = tpe_default_weights(m);
  pe.weights.push_back(o.prior_weight);
  const double total = std::accumulate(pe.weights.begin(), pe.weights.end(), 0.0);
  for (auto& w : pe.weights) w /= total;

  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    const std::size_t k = c->choices.size();
    for (double v : internal_obs) {
      std::vector<double> row(k, o.prior_weight / static_cast<double>(m + 1));
      row[static_cast<std::size_t>(v)] += 1.0;
      const double sum = std::accumulate(row.begin(), row.end(), 0.0);
      for (auto& p : row) p /= sum;
      pe.probs.push_back(std::move(row));
    }
    pe.probs.emplace_back(k, 1.0 / static_cast<double>(k));
    return pe;
  }

  const Space s = space_of(d);
  for (double v : internal_obs) pe.mus.push_back(to_transformed(s, v));
  if (m > 0) {
    // Optuna >= 4.9: neighbour gaps among the observations and the bounds (prior excluded).
    std::vector<std::size_t> order(m);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return pe.mus[x] < pe.mus[y]; });
    std::vector<double> e{s.L};
    for (auto i : order) e.push_back(pe.mus[i]);
    e.push_back(s.H);
    std::vector<double> sorted_sigma(m);
    for (std::size_t i = 0; i < m; ++i) sorted_sigma[i] = std::max(e[i + 1] - e[i], e[i + 2] - e[i + 1]);
    if (!o.consider_endpoints && m >= 2) {
      sorted_sigma[0] = e[2] - e[1];
      sorted_sigma[m - 1] = e[m] - e[m - 1];
    }
    pe.sigmas.resize(m);
    for (std::size_t i = 0; i < m; ++i) pe.sigmas[order[i]] = sorted_sigma[i];
    const double max_sigma = s.H - s.L;
    const double min_sigma =
        o.consider_magic_clip ? (s.H - s.L) / std::min(100.0, 1.0 + static_cast<double>(m + 1)) : 1e-12;
    for (auto& sg : pe.sigmas) sg = std::clamp(sg, min_sigma, max_sigma);
  }
  pe.mus.push_back(0.5 * (s.L + s.H));
  pe.sigmas.push_back(s.H - s.L);
  return pe;
}

double parzen_log_pdf(const ParzenEstimator1D& pe, const Distribution& d, double internal_value) {
  std::vector<double> terms(pe.weights.size());
  if (std::holds_alternative<CategoricalDistribution>(d)) {
    const auto idx = static_cast<std::size_t>(internal_value);
    for (std::size_t j = 0; j < terms.size(); ++j) terms[j] = std::log(pe.weights[j]) + std::log(pe.probs[j][idx]);
    return logsumexp(terms);
  }
  const Space s = space_of(d);
  const double x = to_transformed(s, internal_value);
  for (std::size_t j = 0; j < terms.size(); ++j) {
    const double mu = pe.mus[j];
    const double sg = pe.sigmas[j];
    const double log_norm = log_gauss_mass((s.L - mu) / sg, (s.H - mu) / sg);
    double lk = 0;
    if (s.kind == Space::Continuous) {
      const double z = (x - mu) / sg;
      lk = -0.5 * z * z - std::log(sg) - kLogSqrt2Pi - log_norm;
    } else {
      const double lo = s.kind == Space::Discrete ? std::max(x - s.q / 2, s.L) : std::max(std::log(internal_value - 0.5), s.L);
      const double hi = s.kind == Space::Discrete ? std::min(x + s.q / 2, s.H) : std::min(std::log(internal_value + 0.5), s.H);
      lk = log_gauss_mass((lo - mu) / sg, (hi - mu) / sg) - log_norm;
    }
    terms[j] = std::log(pe.weights[j]) + lk;
  }
  return logsumexp(terms);
}

double parzen_sample(const ParzenEstimator1D& pe, const Distribution& d, std::mt19937_64& rng) {
  // Component j by the cumulative weights (numpy's choice: inverse CDF of one uniform draw).
  const double u = uniform01(rng);
  std::size_t j = 0;
  double cum = 0;
  for (; j + 1 < pe.weights.size(); ++j) {
    cum += pe.weights[j];
    if (u < cum) break;
  }
  if (std::holds_alternative<CategoricalDistribution>(d)) {
    const auto& row = pe.probs[j];
    const double v = uniform01(rng);
    double c = 0;
    for (std::size_t i = 0; i + 1 < row.size(); ++i) {
      c += row[i];
      if (v < c) return static_cast<double>(i);
    }
    return static_cast<double>(row.size() - 1);
  }
  const Space s = space_of(d);
  const double mu = pe.mus[j];
  const double sg = pe.sigmas[j];
  const double z = truncnorm_std(rng, (s.L - mu) / sg, (s.H - mu) / sg);
  return from_transformed(s, std::clamp(mu + sg * z, s.L, s.H));
}

}  // namespace detail

// ------------------------------------------------------------------------------------- TPE
TpeSampler::TpeSampler(TpeOptions options) : options_(options), rng_(seed_or_random(options.seed)) {
  if (options_.n_startup_trials < 0) throw Error(ErrorKind::Usage, "tpe: n_startup_trials must be >= 0");
  if (options_.n_ei_candidates < 1) throw Error(ErrorKind::Usage, "tpe: n_ei_candidates must be >= 1");
  if (!(options_.prior_weight > 0)) throw Error(ErrorKind::Usage, "tpe: prior_weight must be > 0");
}

double TpeSampler::sample_independent(const SamplingContext& ctx, const std::string& param, const Distribution& d) {
  if (is_single(d)) {
    if (const auto* f = std::get_if<FloatDistribution>(&d)) return f->low;
    if (const auto* i = std::get_if<IntDistribution>(&d)) return static_cast<double>(i->low);
    return 0.0;
  }
  if (ctx.directions.size() != 1) {
    throw Error(ErrorKind::Usage, "sampler 'tpe' does not support multi-objective studies yet; use sampler 'random'");
  }
  const double sign = ctx.directions[0] == StudyDirection::Maximize ? -1.0 : 1.0;
  std::vector<const FrozenTrial*> complete, pruned;
  for (const auto& t : ctx.trials) {
    if (t.trial_id == ctx.current.trial_id) continue;
    if (t.state == TrialState::Complete && t.values && t.values->size() == 1) complete.push_back(&t);
    else if (t.state == TrialState::Pruned) pruned.push_back(&t);
  }
  const std::size_t n = complete.size() + pruned.size();
  std::lock_guard lock(mutex_);
  if (n < static_cast<std::size_t>(options_.n_startup_trials)) return RandomSampler::sample(rng_, d);

  // Split (Optuna 4.x _split_trials): best COMPLETE first, then PRUNED by depth and last value.
  std::stable_sort(complete.begin(), complete.end(),
                   [&](auto a, auto b) { return sign * a->values->front() < sign * b->values->front(); });
  auto pruned_key = [&](const FrozenTrial* t) -> std::pair<double, double> {
    if (t->intermediate_values.empty()) return {1.0, 0.0};
    const auto& [step, v] = *t->intermediate_values.rbegin();
    return {-static_cast<double>(step), std::isnan(v) ? kInf : sign * v};
  };
  std::stable_sort(pruned.begin(), pruned.end(), [&](auto a, auto b) { return pruned_key(a) < pruned_key(b); });
  std::vector<const FrozenTrial*> ranked = complete;
  ranked.insert(ranked.end(), pruned.begin(), pruned.end());
  const std::size_t n_below = std::min(tpe_default_gamma(n), ranked.size());
  std::vector<const FrozenTrial*> below(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n_below));
  std::vector<const FrozenTrial*> above(ranked.begin() + static_cast<std::ptrdiff_t>(n_below), ranked.end());
  auto observations = [&](std::vector<const FrozenTrial*>& group) {
    std::sort(group.begin(), group.end(), [](auto a, auto b) { return a->number < b->number; });  // chronological
    std::vector<double> obs;
    for (const auto* t : group) {
      const auto it = t->params.find(param);
      if (it == t->params.end()) continue;
      try {
        const double v = to_internal(d, it->second);
        if (std::holds_alternative<CategoricalDistribution>(d) || std::isfinite(v)) obs.push_back(v);
      } catch (const Error&) {
        // A value the current distribution cannot represent carries no information here.
      }
    }
    return obs;
  };
  const auto below_pe = detail::build_parzen_estimator(d, observations(below), options_);
  const auto above_pe = detail::build_parzen_estimator(d, observations(above), options_);
  double best = 0;
  double best_score = -kInf;
  for (int i = 0; i < options_.n_ei_candidates; ++i) {
    const double x = detail::parzen_sample(below_pe, d, rng_);
    const double score = detail::parzen_log_pdf(below_pe, d, x) - detail::parzen_log_pdf(above_pe, d, x);
    if (i == 0 || score > best_score) {
      best = x;
      best_score = score;
    }
  }
  return best;
}

// -------------------------------------------------------------------------------- registry
namespace {
void check_option_keys(std::string_view sampler, const Json& options, std::initializer_list<const char*> valid) {
  if (!options.is_object()) throw Error(ErrorKind::Usage, "sampler options must be a JSON object");
  for (const auto& [key, _] : options.items()) {
    if (std::find_if(valid.begin(), valid.end(), [&](const char* v) { return key == v; }) == valid.end()) {
      std::string list;
      for (const char* v : valid) list += std::string(list.empty() ? "" : ", ") + v;
      throw Error(ErrorKind::Usage,
                  "sampler '" + std::string(sampler) + "' has no option '" + key + "'; valid options: " + list);
    }
  }
}
}  // namespace

std::vector<std::string> sampler_names() { return {"random", "tpe"}; }

std::unique_ptr<Sampler> make_sampler(std::string_view name, const Json& options) {
  if (name == "random") {
    check_option_keys(name, options, {"seed"});
    return std::make_unique<RandomSampler>(seed_option(options));
  }
  if (name == "tpe") {
    check_option_keys(name, options, {"seed", "n_startup_trials", "n_ei_candidates", "prior_weight",
                                      "consider_magic_clip", "consider_endpoints"});
    TpeOptions o;
    o.seed = seed_option(options);
    try {
      if (options.contains("n_startup_trials")) o.n_startup_trials = options["n_startup_trials"].get<int>();
      if (options.contains("n_ei_candidates")) o.n_ei_candidates = options["n_ei_candidates"].get<int>();
      if (options.contains("prior_weight")) o.prior_weight = options["prior_weight"].get<double>();
      if (options.contains("consider_magic_clip")) o.consider_magic_clip = options["consider_magic_clip"].get<bool>();
      if (options.contains("consider_endpoints")) o.consider_endpoints = options["consider_endpoints"].get<bool>();
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorKind::Usage, std::string("sampler 'tpe': an option has the wrong type (") + e.what() + ")");
    }
    return std::make_unique<TpeSampler>(o);
  }
  std::string list;
  for (const auto& n : sampler_names()) list += (list.empty() ? "" : ", ") + n;
  throw Error(ErrorKind::Usage, "unknown sampler '" + std::string(name) + "'; valid samplers: " + list);
}

}  // namespace glasswing::search
