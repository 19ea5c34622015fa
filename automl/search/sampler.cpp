#include "automl/search/sampler.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

#include "automl/common/error.hpp"
#include "automl/search/parzen_fast.hpp"

namespace glasswing::search {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kLogSqrt2Pi = 0.9189385332046727;  // log(sqrt(2*pi))
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kFarZ = 12.0;             // exp(-72): far below a double's resolution of any mixture
constexpr double kNegligibleLog = -50.0;   // exp(-50) * 1e4 kernels < 1e-17 of the largest term

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
  // One bound beyond kFarZ sigmas, the other within 8: the far tail's mass (< Phi(-12) =
  // 1.8e-33) is below 2^-54 of the near one's (>= Phi(-8) = 6.2e-16), so subtracting it cannot
  // change the rounded difference: skipping its erfc gives the same double.
  if (b > kFarZ && a >= -8.0) return std::log1p(-norm_cdf(a));
  if (a < -kFarZ && b <= 8.0) return std::log1p(-norm_cdf(-b));
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

// space_of for a numerical distribution; valid = false for a categorical one.
struct NumericSpace : Space {
  bool valid = false;
};
NumericSpace space_of_numeric(const Distribution& d) {
  NumericSpace n;
  if (std::holds_alternative<CategoricalDistribution>(d)) return n;
  static_cast<Space&>(n) = space_of(d);
  n.valid = true;
  return n;
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
  w.reserve(n + 1);  // + the prior's weight (mixture_weights)
  const std::size_t ramp = n - 25;  // numpy linspace(1/n, 1, n-25)
  for (std::size_t i = 0; i < ramp; ++i) {
    const double lo = 1.0 / static_cast<double>(n);
    w.push_back(ramp == 1 ? lo : lo + (1.0 - lo) * static_cast<double>(i) / static_cast<double>(ramp - 1));
  }
  w.insert(w.end(), 25, 1.0);
  return w;
}

namespace detail {
namespace {

// Sorts (centre, index) pairs as std::sort would (by centre, ties by index; the pairs are
// distinct, so the order is unique): a stable LSD radix sort on the centres' order-preserving bit
// patterns (-0 as +0), 8 bits a pass, skipping passes where all keys share the byte. Non-finite
// centres: std::sort.
void sort_by_centre(std::vector<std::pair<double, std::size_t>>& v) {
  const std::size_t n = v.size();
  if (n < 64) {
    std::sort(v.begin(), v.end());
    return;
  }
  thread_local std::vector<std::uint64_t> keys, keys_tmp;
  thread_local std::vector<std::pair<double, std::size_t>> tmp;
  keys.resize(n);
  keys_tmp.resize(n);
  tmp.resize(n);
  std::uint64_t all_and = ~std::uint64_t{0}, all_or = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i].first)) {
      std::sort(v.begin(), v.end());
      return;
    }
    const auto bits = std::bit_cast<std::uint64_t>(v[i].first == 0.0 ? 0.0 : v[i].first);  // -0 as +0
    keys[i] = (bits >> 63) ? ~bits : bits | (std::uint64_t{1} << 63);
    all_and &= keys[i];
    all_or |= keys[i];
  }
  const std::uint64_t varying = all_and ^ all_or;
  std::size_t count[256];
  for (unsigned shift = 0; shift < 64; shift += 8) {
    if (((varying >> shift) & 0xff) == 0) continue;  // the same byte everywhere: order unchanged
    std::fill(std::begin(count), std::end(count), std::size_t{0});
    for (std::size_t i = 0; i < n; ++i) ++count[(keys[i] >> shift) & 0xff];
    std::size_t pos = 0;
    for (auto& c : count) {
      const std::size_t here = c;
      c = pos;
      pos += here;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t to = count[(keys[i] >> shift) & 0xff]++;
      keys_tmp[to] = keys[i];
      tmp[to] = v[i];
    }
    keys.swap(keys_tmp);
    v.swap(tmp);
  }
}

std::vector<double> mixture_weights(std::size_t m, const std::vector<double>* predetermined, double prior_weight) {
  std::vector<double> w = predetermined ? *predetermined : tpe_default_weights(m);
  w.push_back(prior_weight);
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (auto& x : w) x /= total;
  return w;
}

// One dimension's kernels (observations first, prior last); `weights` is left empty.
ParzenEstimator1D build_dim(const Distribution& d, const std::vector<double>& obs, bool multivariate,
                            std::size_t n_dims, const TpeOptions& o,
                            const std::vector<std::size_t>* presorted = nullptr) {
  ParzenEstimator1D pe;
  const std::size_t m = obs.size();
  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    const std::size_t k = c->choices.size();
    for (double v : obs) {
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
  pe.mus.reserve(m + 1);
  for (double v : obs) pe.mus.push_back(to_transformed(s, v));
  if (m > 0) {
    if (multivariate) {
      // Optuna <= 4.9 multivariate: one Scott-like bandwidth for every kernel.
      const double sg = 0.2 * std::pow(static_cast<double>(std::max<std::size_t>(m, 1)),
                                       -1.0 / (static_cast<double>(n_dims) + 4.0)) *
                        (s.H - s.L);
      pe.sigmas.assign(m, sg);
    } else {
      // Optuna >= 4.9: neighbour gaps among the observations and the bounds (prior excluded).
      thread_local std::vector<std::pair<double, std::size_t>> sorted;  // (centre, index): ties by index, as a stable sort
      sorted.resize(m);
      if (presorted && presorted->size() == m) {
        // The caller's order by (centre, index): the same as sorting (the order is unique).
        for (std::size_t i = 0; i < m; ++i) sorted[i] = {pe.mus[(*presorted)[i]], (*presorted)[i]};
      } else {
        for (std::size_t i = 0; i < m; ++i) sorted[i] = {pe.mus[i], i};
        sort_by_centre(sorted);
      }
      std::vector<std::size_t> order(m);
      thread_local std::vector<double> e, sorted_sigma;  // buffers reused across calls
      e.clear();
      e.push_back(s.L);
      for (std::size_t i = 0; i < m; ++i) {
        order[i] = sorted[i].second;
        e.push_back(sorted[i].first);
      }
      e.push_back(s.H);
      sorted_sigma.resize(m);
      for (std::size_t i = 0; i < m; ++i) sorted_sigma[i] = std::max(e[i + 1] - e[i], e[i + 2] - e[i + 1]);
      if (!o.consider_endpoints && m >= 2) {
        sorted_sigma[0] = e[2] - e[1];
        sorted_sigma[m - 1] = e[m] - e[m - 1];
      }
      pe.sigmas.resize(m);
      for (std::size_t i = 0; i < m; ++i) pe.sigmas[order[i]] = sorted_sigma[i];
      pe.by_centre = std::move(order);
    }
    const double max_sigma = s.H - s.L;
    const double min_sigma =
        o.consider_magic_clip ? (s.H - s.L) / std::min(100.0, 1.0 + static_cast<double>(m + 1)) : 1e-12;
    for (auto& sg : pe.sigmas) sg = std::clamp(sg, min_sigma, max_sigma);
  }
  pe.mus.push_back(0.5 * (s.L + s.H));
  pe.sigmas.push_back(s.H - s.L);
  pe.log_norms.resize(pe.mus.size());
  for (std::size_t j = 0; j < pe.mus.size(); ++j) {
    const double a = (s.L - pe.mus[j]) / pe.sigmas[j];
    const double b = (s.H - pe.mus[j]) / pe.sigmas[j];
    // Both bounds beyond kFarZ sigmas: the mass is 1 to double precision.
    pe.log_norms[j] = (a < -kFarZ && b > kFarZ) ? 0.0 : log_gauss_mass(a, b);
  }
  return pe;
}

// Adds log k_j(x_c) of one dimension to acc[c * K + j].
void add_log_kernels(const ParzenEstimator1D& dim, const Distribution& d, const std::vector<double>& xs,
                     std::vector<double>& acc) {
  if (std::holds_alternative<CategoricalDistribution>(d)) {
    const std::size_t K = dim.probs.size();
    const std::size_t k = dim.probs.front().size();
    std::vector<double> log_probs(K * k);  // once per call rather than once per candidate
    for (std::size_t j = 0; j < K; ++j) {
      for (std::size_t i = 0; i < k; ++i) log_probs[j * k + i] = std::log(dim.probs[j][i]);
    }
    for (std::size_t c = 0; c < xs.size(); ++c) {
      const auto idx = static_cast<std::size_t>(xs[c]);
      for (std::size_t j = 0; j < K; ++j) acc[c * K + j] += log_probs[j * k + idx];
    }
    return;
  }
  const Space s = space_of(d);
  const std::size_t K = dim.mus.size();
  if (s.kind == Space::Continuous) {
    std::vector<double> cst(K);
    for (std::size_t j = 0; j < K; ++j) cst[j] = -std::log(dim.sigmas[j]) - kLogSqrt2Pi - dim.log_norms[j];
    for (std::size_t c = 0; c < xs.size(); ++c) {
      const double x = to_transformed(s, xs[c]);
      double* row = &acc[c * K];
      for (std::size_t j = 0; j < K; ++j) {
        const double z = (x - dim.mus[j]) / dim.sigmas[j];
        row[j] += -0.5 * z * z + cst[j];
      }
    }
    return;
  }
  // Grid values repeat among the candidates: each distinct value's kernel masses once.
  std::vector<double> seen;
  std::vector<std::vector<double>> masses;
  for (std::size_t c = 0; c < xs.size(); ++c) {
    const double v = xs[c];
    const auto hit = std::find(seen.begin(), seen.end(), v);
    const std::vector<double>* lm = nullptr;
    if (hit != seen.end()) {
      lm = &masses[static_cast<std::size_t>(hit - seen.begin())];
    } else {
      double lo = 0, hi = 0;
      if (s.kind == Space::Discrete) {
        lo = std::max(v - s.q / 2, s.L);
        hi = std::min(v + s.q / 2, s.H);
      } else {
        lo = std::max(std::log(v - 0.5), s.L);
        hi = std::min(std::log(v + 0.5), s.H);
      }
      std::vector<double> m(K);
      for (std::size_t j = 0; j < K; ++j) {
        const double mu = dim.mus[j];
        const double sg = dim.sigmas[j];
        const double a = (lo - mu) / sg;
        const double b = (hi - mu) / sg;
        // More than kFarZ sigmas away: a mass below exp(-kFarZ^2/2). The prior kernel always
        // keeps the mixture far above that, so the term cannot change the double result.
        m[j] = (a > kFarZ || b < -kFarZ) ? -kInf : log_gauss_mass(a, b) - dim.log_norms[j];
      }
      seen.push_back(v);
      masses.push_back(std::move(m));
      lm = &masses.back();
    }
    double* row = &acc[c * K];
    for (std::size_t j = 0; j < K; ++j) row[j] += (*lm)[j];
  }
}

double sample_dim(const ParzenEstimator1D& dim, const Distribution& d, std::size_t j, std::mt19937_64& rng) {
  if (std::holds_alternative<CategoricalDistribution>(d)) {
    const auto& row = dim.probs[j];
    const double v = uniform01(rng);
    double c = 0;
    for (std::size_t i = 0; i + 1 < row.size(); ++i) {
      c += row[i];
      if (v < c) return static_cast<double>(i);
    }
    return static_cast<double>(row.size() - 1);
  }
  const Space s = space_of(d);
  const double mu = dim.mus[j];
  const double sg = dim.sigmas[j];
  const double z = truncnorm_std(rng, (s.L - mu) / sg, (s.H - mu) / sg);
  return from_transformed(s, std::clamp(mu + sg * z, s.L, s.H));
}

// Component j by the cumulative weights (numpy's choice: inverse CDF of one uniform draw).
std::size_t sample_component(const std::vector<double>& cumulative, std::mt19937_64& rng) {
  const double u = uniform01(rng) * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

}  // namespace

ParzenEstimator build_parzen_estimator(const std::vector<Distribution>& dists,
                                       const std::vector<std::vector<double>>& obs,
                                       const std::vector<double>* below_weights, bool multivariate,
                                       const TpeOptions& o, const std::vector<std::vector<std::size_t>>* presorted) {
  ParzenEstimator pe;
  pe.dists = dists;
  const std::size_t m = obs.empty() ? 0 : obs.front().size();
  if (below_weights && below_weights->size() != m) {
    throw Error(ErrorKind::Internal, "tpe: observation weights do not match the observations");
  }
  pe.weights = mixture_weights(m, below_weights, o.prior_weight);
  for (std::size_t i = 0; i < dists.size(); ++i) {
    pe.dims.push_back(build_dim(dists[i], obs[i], multivariate, dists.size(), o,
                                presorted && i < presorted->size() ? &(*presorted)[i] : nullptr));
    pe.dims.back().weights = pe.weights;
  }
  return pe;
}

std::vector<std::vector<double>> parzen_sample(const ParzenEstimator& pe, std::mt19937_64& rng, std::size_t n) {
  std::vector<double> cumulative(pe.weights.size());
  std::partial_sum(pe.weights.begin(), pe.weights.end(), cumulative.begin());
  std::vector<std::vector<double>> out(pe.dims.size(), std::vector<double>(n));
  for (std::size_t c = 0; c < n; ++c) {
    const std::size_t j = sample_component(cumulative, rng);
    for (std::size_t i = 0; i < pe.dims.size(); ++i) out[i][c] = sample_dim(pe.dims[i], pe.dists[i], j, rng);
  }
  return out;
}

namespace {
// Phi(b) - Phi(a) for a <= b, computed on the side where it does not cancel.
double gauss_mass(double a, double b) {
  if (a >= 0.0) return 0.5 * (std::erfc(a / kSqrt2) - std::erfc(b / kSqrt2));
  if (b <= 0.0) return 0.5 * (std::erfc(-b / kSqrt2) - std::erfc(-a / kSqrt2));
  return 1.0 - norm_cdf(a) - norm_cdf(-b);
}

// log(w) of a weights vector: the same mixture weights recur for every param of a trial and
// across trials (they depend on the number of observations only), so their logs are cached.
const std::vector<double>& cached_logs(const std::vector<double>& w) {
  struct Entry {
    std::vector<double> w, logs;
  };
  thread_local Entry entries[4];
  thread_local std::size_t next = 0;
  for (auto& e : entries) {
    if (e.w.size() == w.size() && std::equal(w.begin(), w.end(), e.w.begin())) return e.logs;
  }
  Entry& e = entries[next];
  next = (next + 1) % 4;
  e.w = w;
  e.logs.resize(w.size());
  for (std::size_t j = 0; j < w.size(); ++j) e.logs[j] = std::log(w[j]);
  return e.logs;
}

// One numerical dimension's mixture, summed in linear space (one exp or two erfc per kernel and
// candidate, no per-term log), prepared once per estimator and then evaluated per candidate.
// Each kernel's scale is computed on first use (kernels out of every candidate's reach never
// are) from the weights' logs, by the same expression as an eager loop would, and the terms are
// summed in the same order (by centre, prior last) skipping the same ones (beyond kFarZ): the
// sums are bit-identical to visiting every kernel. Buffers are reused between calls.
class KernelSums {
 public:
  void prepare(const ParzenEstimator& pe) {
    dim_ = &pe.dims.front();
    s_ = space_of(pe.dists.front());
    const auto& dim = *dim_;
    const std::size_t K = pe.weights.size();
    m_ = K - 1;
    // Observation kernels by centre, then the prior: position k holds kernel order[k].
    order_ = &dim.by_centre;
    if (order_->size() != m_) {
      order_buf_.resize(m_);
      std::iota(order_buf_.begin(), order_buf_.end(), 0);
      std::sort(order_buf_.begin(), order_buf_.end(), [&](auto a, auto b) { return dim.mus[a] < dim.mus[b]; });
      order_ = &order_buf_;
    }
    mu_.resize(K);
    inv_sigma_.resize(K);
    arg_.resize(K);  // filled a block at a time (arg_of)
    scales_reset_ = false;
    for (std::size_t k = 0; k < K; ++k) {
      const std::size_t j = kernel(k);
      mu_[k] = dim.mus[j];
      inv_sigma_[k] = 1.0 / dim.sigmas[j];
    }
    const auto& logs = cached_logs(pe.weights);
    log_w_.assign(logs.begin(), logs.end());  // a copy: the cache may evict that entry
    memo_sigma_[0] = memo_sigma_[1] = kNaN;
    memo_log_[0] = memo_log_[1] = 0;
    // Blocks of kBlock consecutive observation kernels with the union of their reach
    // [mu - kReach sigma, mu + kReach sigma]; kReach > kFarZ leaves room for rounding, so a block
    // that does not reach a point holds no kernel within kFarZ sigmas of it.
    n_blocks_ = (m_ + kBlock - 1) / kBlock;
    block_lo_.assign(n_blocks_, kInf);
    block_hi_.assign(n_blocks_, -kInf);
    block_args_.assign(n_blocks_ + 1, 0);
    // For the ranking's bound on the blocks it leaves out (approx_log): per block the smallest
    // sigma and inverse sigma and the largest log weight minus log mass.
    block_min_sigma_.assign(n_blocks_, kInf);
    block_min_inv_.assign(n_blocks_, kInf);
    block_max_wn_.assign(n_blocks_, -kInf);
    block_max_arg_.assign(n_blocks_, kNaN);
    for (std::size_t k = 0; k < m_; ++k) {
      const std::size_t j = (*order_)[k];
      const std::size_t b = k / kBlock;
      const double sg = dim.sigmas[j];
      const double reach = kReach * sg;
      block_lo_[b] = std::min(block_lo_[b], mu_[k] - reach);
      block_hi_[b] = std::max(block_hi_[b], mu_[k] + reach);
      block_min_sigma_[b] = std::min(block_min_sigma_[b], sg);
      block_min_inv_[b] = std::min(block_min_inv_[b], inv_sigma_[k]);
      block_max_wn_[b] = std::max(block_max_wn_[b], log_w_[j] - dim.log_norms[j]);
    }
    // Running max of block_hi_ and min of block_lo_ from the end: blocks before the first whose
    // running max reaches x, or after the last whose running min does, do not reach x.
    hi_prefix_max_.resize(n_blocks_);
    lo_suffix_min_.resize(n_blocks_);
    for (std::size_t b = 0; b < n_blocks_; ++b) hi_prefix_max_[b] = std::max(block_hi_[b], b ? hi_prefix_max_[b - 1] : -kInf);
    for (std::size_t b = n_blocks_; b-- > 0;) {
      lo_suffix_min_[b] = std::min(block_lo_[b], b + 1 < n_blocks_ ? lo_suffix_min_[b + 1] : kInf);
    }
  }

  bool continuous() const { return s_.kind == Space::Continuous; }

  // The mixture's density (continuous) or mass (discrete) at internal value v, exactly as the
  // former eager loop summed it.
  double exact_sum(double v) {
    const std::size_t m = m_;
    double sum = 0;
    if (s_.kind == Space::Continuous) {
      const double x = to_transformed(s_, v);
      const double* mu_p = mu_.data();
      const double* inv_p = inv_sigma_.data();
      auto term = [&](std::size_t k) {
        const double z = (x - mu_p[k]) * inv_p[k];
        // Beyond kFarZ sigmas a kernel adds < exp(-72) of its scale: nothing next to the prior
        // kernel's share (the prior is within one sigma of every point).
        if (z > kFarZ || z < -kFarZ) return;
        sum += scale_of(k) * std::exp(-0.5 * z * z);
      };
      for (std::size_t b = 0; b < n_blocks_; ++b) {
        if (block_hi_[b] < x || block_lo_[b] > x) continue;
        const std::size_t begin = b * kBlock;
        const std::size_t end = std::min(m, begin + kBlock);
        for (std::size_t k = begin; k < end; ++k) term(k);
      }
      term(m);
    } else {
      const double lo = s_.kind == Space::Discrete ? std::max(v - s_.q / 2, s_.L) : std::max(std::log(v - 0.5), s_.L);
      const double hi = s_.kind == Space::Discrete ? std::min(v + s_.q / 2, s_.H) : std::min(std::log(v + 0.5), s_.H);
      auto term = [&](std::size_t k) {
        const double a = (lo - mu_[k]) * inv_sigma_[k];
        const double b = (hi - mu_[k]) * inv_sigma_[k];
        if (a > kFarZ || b < -kFarZ) return;  // negligible, see add_log_kernels
        sum += scale_of(k) * gauss_mass(a, b);
      };
      for (std::size_t b = 0; b < n_blocks_; ++b) {
        if (block_hi_[b] < lo || block_lo_[b] > hi) continue;
        for (std::size_t k = b * kBlock; k < std::min(m, (b + 1) * kBlock); ++k) term(k);
      }
      term(m);
    }
    return sum;
  }

  // Continuous only: for each candidate (internal values xs), an approximation of
  // log(exact_sum(x)) and a bound err with |approx - log(exact_sum(x))| <= err. The same terms as
  // exact_sum (same z, same skips, same blocks), each as fast_exp(arg - z^2/2) instead of
  // exp(arg) * exp(-z^2/2), summed in another order. Bound, for one candidate with n terms
  // T_k (exact path) and T'_k (here):
  //   per term, |T'_k - T_k| <= eta T_k + tau: fast_exp's kFastExpRelErr; the rounding of
  //   arg - z^2/2 (|.| <= 772, so < 772 u = 8.6e-14 relative after exp) and of z^2/2 (< 2 * 72 u);
  //   the exact path's two libm exp (< 1 ulp each) and one product: eta < 1.6e-13, kTermRelErr =
  //   2e-13. tau = 1e-300 covers the clamp at -700 and the exact path's underflow (both terms
  //   below e^-700 ~ 1e-304 there);
  //   each sum of n non-negative terms is within (n-1) u of the exact sum of its terms, in any
  //   order;
  // so |S' - S| <= (eta + 2.1 n u) S + n tau =: rho S for S' >= 1e-200 (rho < 1e-3 always here),
  // and |log S' - log S| <= -log(1 - rho) <= 1.01 rho; std::log's own rounding adds
  // 2 u (1 + |log S'|). err = 2 * (that) for slack.
  // Far blocks: a reached block whose every kernel is more than kNearZ sigmas from x is left out
  // of S' and bounded instead: its kernels' centres lie in [mu_first, mu_last] (sorted), so each
  // |z_k| >= dist(x, [mu_first, mu_last]) * min inv_sigma =: d (less 1e-12 relative for the
  // rounding of z, 4 u), and each exact-path term <= exp(A_b - d^2/2) (1 + 1e-10) with A_b =
  // max(log w - log mass) - log(min sigma) - log sqrt(2 pi) + 1e-9 >= every arg in the block
  // (log is monotone; the 1e-9 and 1e-10 cover the args' roundings and fast_exp's error, for
  // arguments >= -700; below, fast_exp clamps to e^-700 >= the true value).
  // With U = (number of left-out terms) * (the largest of those bounds): S_exact <= S(1 + rho) + U with S >= S'(1 - rho), so
  // log S_exact - log S' <= 1.01 rho + U / S', and 2 U / S' more in err covers it. A left-out
  // block with A_b > 700 declines (the exact path could overflow there).
  // Returns false (nothing decided; the caller scores every candidate exactly) when a sum is
  // outside [1e-200, 1e300] or a reached kernel's log scale exceeds 700 (where the exact path
  // could overflow or the log path would be taken): within those limits every exact sum is
  // positive and finite, as the exact path needs.
  bool approx_log(const std::vector<double>& xs, std::vector<double>& out, std::vector<double>& err) {
    constexpr double kTermRelErr = 2e-13;
    constexpr double kU = 0x1.0p-53;
    constexpr double kTau = 1e-300;
    const std::size_t m = m_;
    const double* mu_p = mu_.data();
    const double* inv_p = inv_sigma_.data();
    out.resize(xs.size());
    err.resize(xs.size());
    for (std::size_t c = 0; c < xs.size(); ++c) {
      const double x = to_transformed(s_, xs[c]);
      double sum = 0;
      double far_max = -kInf;  // the largest bound's log among the left-out blocks' terms
      std::size_t far_n = 0;    // and their number
      std::size_t n = 1;
      // 0: the block does not reach x; 1: summed; 2: left out and bounded.
      // Runs of consecutive summed blocks, one vectorised call each, among the blocks that can
      // reach x (hi_prefix_max_ >= x and lo_suffix_min_ <= x; both are sorted).
      const auto b_begin = static_cast<std::size_t>(
          std::lower_bound(hi_prefix_max_.begin(), hi_prefix_max_.end(), x) - hi_prefix_max_.begin());
      const auto b_end = static_cast<std::size_t>(
          std::upper_bound(lo_suffix_min_.begin(), lo_suffix_min_.end(), x) - lo_suffix_min_.begin());
      std::size_t run_begin = 0, run_end = 0;  // blocks [run_begin, run_end) to sum
      auto flush = [&] {
        if (run_end == run_begin) return;
        const std::size_t begin = run_begin * kBlock;
        const std::size_t len = std::min(m, run_end * kBlock) - begin;
        sum += fast_kernel_sum(x, mu_p + begin, inv_p + begin, arg_.data() + begin, len, kFarZ);
        n += len;
        run_begin = run_end;
      };
      for (std::size_t b = b_begin; b < b_end; ++b) {
        if (block_hi_[b] < x || block_lo_[b] > x) continue;  // beyond kFarZ: no term, as the exact path
        const std::size_t begin = b * kBlock;
        const std::size_t last = std::min(m, begin + kBlock) - 1;
        const double d = std::max(mu_p[begin] - x, x - mu_p[last]) * block_min_inv_[b] * (1.0 - 1e-12);
        if (d > kNearZ) {  // left out and bounded
          const double a = max_arg(b);
          if (!(a <= 700.0)) return false;
          far_max = std::max(far_max, a - 0.5 * d * d);
          far_n += last + 1 - begin;
          continue;
        }
        if (!ensure_block_args(b)) return false;
        if (run_end != b) {
          flush();
          run_begin = b;
        }
        run_end = b + 1;
      }
      flush();
      if (!ensure_prior_arg()) return false;
      const double z = (x - mu_p[m]) * inv_p[m];
      const double prior = (z > kFarZ || z < -kFarZ) ? 0.0 : fast_exp(arg_[m] - 0.5 * z * z);
      sum += prior;
      if (!(sum >= 1e-200 && sum <= 1e300)) return false;
      const double far = far_n == 0 ? 0.0 : static_cast<double>(far_n) * fast_exp(far_max) * (1.0 + 1e-10);
      const double nd = static_cast<double>(n);
      const double rho = kTermRelErr + 2.1 * nd * kU + nd * kTau / sum;
      out[c] = std::log(sum);
      err[c] = 2.0 * (1.01 * rho + 2 * kU * (1 + std::abs(out[c]))) + 2.0 * far / sum;
    }
    return true;
  }

 private:
  static constexpr std::size_t kBlock = 16;
  static constexpr double kReach = kFarZ + 1.0;
  // The ranking sums the blocks within kNearZ sigmas of a candidate and bounds the others
  // (approx_log): exp(-kNearZ^2/2) = 3.7e-6 of a kernel's scale at most.
  static constexpr double kNearZ = 5.0;

  // The bound A_b on the args of block b (see approx_log), computed on first use.
  double max_arg(std::size_t b) {
    if (!(block_max_arg_[b] == block_max_arg_[b])) {
      block_max_arg_[b] = block_max_wn_[b] - log_sigma(block_min_sigma_[b]) - kLogSqrt2Pi + 1e-9;
    }
    return block_max_arg_[b];
  }

  std::size_t kernel(std::size_t k) const { return k == m_ ? m_ : (*order_)[k]; }
  double log_sigma(double sg) {
    for (int i = 0; i < 2; ++i) {
      if (memo_sigma_[i] == sg) return memo_log_[i];
    }
    memo_sigma_[1] = memo_sigma_[0];
    memo_log_[1] = memo_log_[0];
    memo_sigma_[0] = sg;
    memo_log_[0] = std::log(sg);
    return memo_log_[0];
  }
  // log of the scale of the kernel at position k (the same expression as exp'ed below); the args
  // are computed a block at a time (the prior as block n_blocks_), so arg_ needs no reset.
  double arg_of(std::size_t k) {
    ensure_block_args(k == m_ ? n_blocks_ : k / kBlock);
    return arg_[k];
  }
  double scale_of(std::size_t k) {
    if (!scales_reset_) {  // reset on the first exact sum after prepare (the ranking rarely needs one)
      scale_.assign(mu_.size(), kNaN);
      scales_reset_ = true;
    }
    if (!(scale_[k] == scale_[k])) scale_[k] = std::exp(arg_of(k));
    return scale_[k];
  }
  // Every arg of block b (1: computed, 2: some arg > 700); false when one exceeds 700.
  bool ensure_block_args(std::size_t b) {
    if (block_args_[b] == 0) {
      bool ok = true;
      const std::size_t begin = b == n_blocks_ ? m_ : b * kBlock;
      const std::size_t end = b == n_blocks_ ? m_ + 1 : std::min(m_, (b + 1) * kBlock);
      for (std::size_t k = begin; k < end; ++k) {
        const std::size_t j = kernel(k);
        arg_[k] = s_.kind == Space::Continuous
                      ? log_w_[j] - log_sigma(dim_->sigmas[j]) - kLogSqrt2Pi - dim_->log_norms[j]
                      : log_w_[j] - dim_->log_norms[j];
        ok = arg_[k] <= 700.0 && ok;
      }
      block_args_[b] = ok ? 1 : 2;
    }
    return block_args_[b] == 1;
  }
  bool ensure_prior_arg() { return ensure_block_args(n_blocks_); }

  const ParzenEstimator1D* dim_ = nullptr;
  Space s_;
  std::size_t m_ = 0, n_blocks_ = 0;
  const std::vector<std::size_t>* order_ = nullptr;
  std::vector<std::size_t> order_buf_;
  std::vector<double> mu_, inv_sigma_, arg_, scale_, log_w_, block_lo_, block_hi_;
  std::vector<double> block_min_sigma_, block_min_inv_, block_max_wn_, block_max_arg_, hi_prefix_max_, lo_suffix_min_;
  std::vector<unsigned char> block_args_;
  bool scales_reset_ = false;
  double memo_sigma_[2] = {kNaN, kNaN}, memo_log_[2] = {0, 0};
};

// One dimension: nullopt when a sum underflows; the caller then uses logs.
std::optional<std::vector<double>> log_pdf_1d(const ParzenEstimator& pe, const std::vector<double>& xs) {
  const auto& dim = pe.dims.front();
  const auto& d = pe.dists.front();
  const std::size_t K = pe.weights.size();
  std::vector<double> out(xs.size());
  if (std::holds_alternative<CategoricalDistribution>(d)) {
    for (std::size_t c = 0; c < xs.size(); ++c) {
      const auto idx = static_cast<std::size_t>(xs[c]);
      double sum = 0;
      for (std::size_t j = 0; j < K; ++j) sum += pe.weights[j] * dim.probs[j][idx];
      if (!(sum > 0)) return std::nullopt;
      out[c] = std::log(sum);
    }
    return out;
  }
  thread_local KernelSums sums;
  sums.prepare(pe);
  for (std::size_t c = 0; c < xs.size(); ++c) {
    const double sum = sums.exact_sum(xs[c]);
    if (!(sum > 0) || !std::isfinite(sum)) return std::nullopt;
    out[c] = std::log(sum);
  }
  return out;
}
}  // namespace

std::vector<double> parzen_log_pdf(const ParzenEstimator& pe, const std::vector<std::vector<double>>& samples) {
  if (pe.dims.size() == 1) {
    if (auto fast = log_pdf_1d(pe, samples.front())) return std::move(*fast);
  }
  const std::size_t K = pe.weights.size();
  const std::size_t n = samples.empty() ? 0 : samples.front().size();
  std::vector<double> log_w(K);
  for (std::size_t j = 0; j < K; ++j) log_w[j] = std::log(pe.weights[j]);
  std::vector<double> acc(n * K);
  for (std::size_t c = 0; c < n; ++c) std::copy(log_w.begin(), log_w.end(), acc.begin() + static_cast<std::ptrdiff_t>(c * K));
  for (std::size_t i = 0; i < pe.dims.size(); ++i) add_log_kernels(pe.dims[i], pe.dists[i], samples[i], acc);
  std::vector<double> out(n);
  for (std::size_t c = 0; c < n; ++c) {
    const double* row = &acc[c * K];
    const double mx = *std::max_element(row, row + K);
    if (!std::isfinite(mx)) {
      out[c] = mx;
      continue;
    }
    double sum = 0;
    for (std::size_t j = 0; j < K; ++j) {
      const double t = row[j] - mx;
      if (t > kNegligibleLog) sum += std::exp(t);  // smaller terms cannot change a sum >= 1
    }
    out[c] = mx + std::log(sum);
  }
  return out;
}

bool approx_log_pdf_1d(const ParzenEstimator& pe, const std::vector<double>& xs, std::vector<double>& approx,
                       std::vector<double>& err) {
  if (pe.dims.size() != 1 || std::holds_alternative<CategoricalDistribution>(pe.dists.front())) return false;
  thread_local KernelSums sums;
  sums.prepare(pe);
  return sums.continuous() && sums.approx_log(xs, approx, err);
}

std::size_t choose_candidate(const ParzenEstimator& below, const ParzenEstimator& above,
                             const std::vector<std::vector<double>>& samples, bool exact_only) {
  // The first argmax of log l - log g, as Optuna's np.argmax.
  auto first_argmax = [](const std::vector<double>& log_l, const std::vector<double>& log_g) {
    std::size_t best = 0;
    double best_score = -kInf;
    for (std::size_t c = 0; c < log_l.size(); ++c) {
      const double score = log_l[c] - log_g[c];
      if (c == 0 || score > best_score) {
        best = c;
        best_score = score;
      }
    }
    return best;
  };
  const bool one_continuous = below.dims.size() == 1 && above.dims.size() == 1 &&
                              !std::holds_alternative<CategoricalDistribution>(below.dists.front()) &&
                              space_of(below.dists.front()).kind == Space::Continuous;
  if (!exact_only && one_continuous && !samples.empty() && samples.front().size() > 1) {
    // Rank by the bounded approximation, then score exactly only the candidates that can still
    // be the exact argmax. With A_c = approx score, E_c its bound (|A_c - S_c| <= E_c) and b the
    // approximate best: S_b >= A_b - E_b, and a candidate with A_c + E_c < A_b - E_b has
    // S_c < S_b, strictly; so the exact first argmax over the kept candidates (in their order,
    // b among them) is the exact first argmax over all. Where the approximation declines, every
    // candidate is scored exactly as before.
    thread_local KernelSums l, g;
    thread_local std::vector<double> al, el, ag, eg;
    const auto& xs = samples.front();
    l.prepare(below);
    g.prepare(above);
    if (l.approx_log(xs, al, el) && g.approx_log(xs, ag, eg)) {
      constexpr double kU = 0x1.0p-53;
      const std::size_t n = xs.size();
      thread_local std::vector<double> score, bound;
      score.resize(n);
      bound.resize(n);
      std::size_t b = 0;
      for (std::size_t c = 0; c < n; ++c) {
        score[c] = al[c] - ag[c];
        bound[c] = el[c] + eg[c] + 2 * kU * (std::abs(score[c]) + 1);
        if (score[c] > score[b]) b = c;
      }
      const double floor = score[b] - bound[b];
      // b alone within reach of the floor: S_b > S_c for every other c, so b is the exact first
      // argmax without computing any exact score (the usual case).
      std::size_t kept = 0;
      for (std::size_t c = 0; c < n; ++c) kept += score[c] + bound[c] < floor ? 0 : 1;
      if (kept == 1) return b;
      std::size_t best = b;
      double best_score = -kInf;
      bool first = true;
      for (std::size_t c = 0; c < n; ++c) {
        if (score[c] + bound[c] < floor) continue;
        // Positive and finite: approx_log checked the sums' range.
        const double s = std::log(l.exact_sum(xs[c])) - std::log(g.exact_sum(xs[c]));
        if (first || s > best_score) {
          best = c;
          best_score = s;
          first = false;
        }
      }
      return best;
    }
  }
  return first_argmax(parzen_log_pdf(below, samples), parzen_log_pdf(above, samples));
}

ParzenEstimator1D build_parzen_estimator(const Distribution& d, const std::vector<double>& internal_obs,
                                         const TpeOptions& o) {
  auto pe = build_dim(d, internal_obs, false, 1, o);
  pe.weights = mixture_weights(internal_obs.size(), nullptr, o.prior_weight);
  return pe;
}

double parzen_log_pdf(const ParzenEstimator1D& pe, const Distribution& d, double internal_value) {
  std::vector<double> acc(pe.weights.size());
  for (std::size_t j = 0; j < acc.size(); ++j) acc[j] = std::log(pe.weights[j]);
  add_log_kernels(pe, d, {internal_value}, acc);
  return logsumexp(acc);
}

double parzen_sample(const ParzenEstimator1D& pe, const Distribution& d, std::mt19937_64& rng) {
  std::vector<double> cumulative(pe.weights.size());
  std::partial_sum(pe.weights.begin(), pe.weights.end(), cumulative.begin());
  return sample_dim(pe, d, sample_component(cumulative, rng), rng);
}

}  // namespace detail

// ------------------------------------------------------------------------------------- TPE
SearchSpace Sampler::infer_relative_search_space(const SamplingContext&) { return {}; }

std::map<std::string, double> Sampler::sample_relative(const SamplingContext&, const SearchSpace&) { return {}; }

TpeSampler::TpeSampler(TpeOptions options) : options_(options), rng_(seed_or_random(options.seed)) {
  if (options_.n_startup_trials < 0) throw Error(ErrorKind::Usage, "tpe: n_startup_trials must be >= 0");
  if (options_.n_ei_candidates < 1) throw Error(ErrorKind::Usage, "tpe: n_ei_candidates must be >= 1");
  if (!(options_.prior_weight > 0)) throw Error(ErrorKind::Usage, "tpe: prior_weight must be > 0");
  if (options_.group && !options_.multivariate) {
    throw Error(ErrorKind::Usage, "tpe: option group needs multivariate; set \"multivariate\": true");
  }
}

std::optional<std::map<std::string, double>> TpeSampler::sample_space(const SamplingContext& ctx,
                                                                      const SearchSpace& space) {
  // The split is the same for every param of a trial (one history snapshot): computed once. A
  // nonzero snapshot_id vouches that the snapshot is unchanged; without one, a fingerprint of the
  // whole history checks it.
  const bool same_snapshot = split_cache_.valid && split_cache_.data == ctx.trials.data() &&
                             split_cache_.size == ctx.trials.size() && split_cache_.current == ctx.current.trial_id;
  std::uint64_t fp = 0;
  bool reuse = same_snapshot && ctx.snapshot_id != 0 && split_cache_.snapshot_id == ctx.snapshot_id;
  if (!reuse) {
    // What value_of below needs of each trial, read once per snapshot (not once per param).
    auto& keys = split_cache_.keys;
    keys.resize(ctx.trials.size());
    for (std::size_t p = 0; p < ctx.trials.size(); ++p) {
      const auto& t = ctx.trials[p];
      const bool finished = (t.state == TrialState::Complete || t.state == TrialState::Pruned) && t.datetime_complete;
      keys[p] = {finished ? t.trial_id : -1, finished ? t.datetime_complete->time_since_epoch().count() : 0};
    }
    fp = 1469598103934665603ULL;
    auto mix = [&fp](std::uint64_t v) { fp = (fp ^ v) * 1099511628211ULL; };
    for (const auto& t : ctx.trials) {
      mix(static_cast<std::uint64_t>(t.trial_id));
      mix(static_cast<std::uint64_t>(t.state));
      mix(t.params.size() * 131 + t.intermediate_values.size());
      if (t.values) {
        for (double v : *t.values) mix(std::bit_cast<std::uint64_t>(v));
      }
    }
    reuse = same_snapshot && split_cache_.snapshot_id == 0 && ctx.snapshot_id == 0 && split_cache_.fingerprint == fp;
  }
  if (!reuse) {
    split_cache_.split = detail::split_trials(ctx.directions, ctx.trials, ctx.current.trial_id,
                                              options_.constant_liar, tpe_default_gamma);
    split_cache_.data = ctx.trials.data();
    split_cache_.size = ctx.trials.size();
    split_cache_.current = ctx.current.trial_id;
    split_cache_.snapshot_id = ctx.snapshot_id;
    split_cache_.fingerprint = fp;
    split_cache_.valid = true;
  }
  const auto& split = split_cache_.split;
  if (split.n < static_cast<std::size_t>(options_.n_startup_trials)) return std::nullopt;
  std::vector<std::string> names;
  std::vector<Distribution> dists;
  for (const auto& [name, d] : space) {
    names.push_back(name);
    dists.push_back(d);
  }
  // Observations of the trials that have every param of the space (Optuna 4.x); a value the
  // distribution cannot represent drops the trial too.
  // Finished trials' values come from obs_cache_ (the same values, read once per trial).
  std::vector<ObsColumn*> columns(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    ObsColumn& col = obs_cache_[names[i]];
    if (col.study != &ctx.directions || !(col.dist == dists[i])) {
      col.study = &ctx.directions;
      col.dist = dists[i];
      col.at.clear();
      col.sorted.clear();
    }
    columns[i] = &col;
  }
  auto read_value = [](const FrozenTrial& t, const std::string& name, const Distribution& d) {
    const auto it = t.params.find(name);
    if (it == t.params.end()) return kNaN;
    try {
      const double v = to_internal(d, it->second);
      return std::holds_alternative<CategoricalDistribution>(d) || std::isfinite(v) ? v : kNaN;
    } catch (const Error&) {
      return kNaN;  // a value this distribution cannot represent carries no information here
    }
  };
  const FrozenTrial* const base = ctx.trials.data();
  bool from_cache = false;  // set by value_of
  const auto& keys = split_cache_.keys;
  auto value_of = [&](std::size_t i, const FrozenTrial& t) {
    from_cache = false;
    const bool in_snapshot =
        !std::less<const FrozenTrial*>{}(&t, base) && std::less<const FrozenTrial*>{}(&t, base + ctx.trials.size());
    if (!in_snapshot) return read_value(t, names[i], dists[i]);
    const auto pos = static_cast<std::size_t>(&t - base);
    if (keys[pos].trial_id == -1) return read_value(t, names[i], dists[i]);  // not finished: not cached
    const std::int64_t complete_us = keys[pos].complete_us;
    auto& at = columns[i]->at;
    if (pos < at.size() && at[pos].trial_id == keys[pos].trial_id && at[pos].complete_us == complete_us) {
      from_cache = true;
      return at[pos].value;
    }
    if (pos >= at.size()) at.resize(pos + 1);
    auto& sorted = columns[i]->sorted;
    const NumericSpace sp = space_of_numeric(dists[i]);
    if (at[pos].trial_id != -1 && !std::isnan(at[pos].value) && sp.valid) {  // a different trial here now
      const auto it = std::lower_bound(sorted.begin(), sorted.end(),
                                       std::pair{to_transformed(sp, at[pos].value), pos});
      if (it != sorted.end() && it->second == pos) sorted.erase(it);
    }
    at[pos] = {t.trial_id, complete_us, read_value(t, names[i], dists[i])};
    if (!std::isnan(at[pos].value) && sp.valid) {
      const std::pair key{to_transformed(sp, at[pos].value), pos};
      sorted.insert(std::lower_bound(sorted.begin(), sorted.end(), key), key);
    }
    from_cache = true;
    return at[pos].value;
  };
  // One numerical param, univariate bandwidth: the kernels' order by (centre, index) is read off
  // the column's sorted centres (positions of the group's used trials) instead of sorting again;
  // only when every used trial's value came from the cache, so that the column covers them all.
  const bool presort = names.size() == 1 && !options_.multivariate && space_of_numeric(dists[0]).valid;
  auto observations = [&](const std::vector<const FrozenTrial*>& group, std::vector<bool>& used,
                          std::vector<std::vector<std::size_t>>& order) {
    std::vector<std::vector<double>> obs(names.size());
    for (auto& o : obs) o.reserve(group.size());
    used.assign(group.size(), false);
    std::vector<double> row(names.size());
    bool all_cached = presort;
    thread_local std::vector<std::ptrdiff_t> obs_at;  // history position -> observation index
    if (presort) obs_at.assign(ctx.trials.size(), -1);
    for (std::size_t t = 0; t < group.size(); ++t) {
      bool ok = true;
      for (std::size_t i = 0; i < names.size() && ok; ++i) {
        row[i] = value_of(i, *group[t]);
        ok = !std::isnan(row[i]);
      }
      if (!ok) continue;
      if (presort) {
        if (from_cache) obs_at[static_cast<std::size_t>(group[t] - base)] = static_cast<std::ptrdiff_t>(obs[0].size());
        else all_cached = false;
      }
      used[t] = true;
      for (std::size_t i = 0; i < names.size(); ++i) obs[i].push_back(row[i]);
    }
    order.clear();
    if (all_cached) {
      // The column's order restricted to the group's observations. Equal centres must come by
      // observation index: the column orders them by position, which gives the same order when
      // the indices increase with position (checked; else build_dim sorts them itself).
      const std::ptrdiff_t* at_pos = obs_at.data();
      const std::size_t n_pos = obs_at.size();
      std::vector<std::size_t> o;
      o.reserve(obs[0].size());
      double prev_centre = kNaN;
      std::size_t prev_index = 0;
      bool ties_ordered = true;
      for (const auto& [centre, pos] : columns[0]->sorted) {
        if (pos >= n_pos || at_pos[pos] < 0) continue;
        const auto index = static_cast<std::size_t>(at_pos[pos]);
        if (centre == prev_centre && index < prev_index) ties_ordered = false;
        o.push_back(index);
        prev_centre = centre;
        prev_index = index;
      }
      if (ties_ordered && o.size() == obs[0].size()) {
        order.push_back(std::move(o));
      }
    }
    return obs;
  };
  std::vector<bool> used_below, used_above;
  std::vector<std::vector<std::size_t>> order_below, order_above;
  const auto obs_below = observations(split.below, used_below, order_below);
  const auto obs_above = observations(split.above, used_above, order_above);
  std::optional<std::vector<double>> weights_below;
  if (ctx.directions.size() > 1) {
    const auto all = detail::mo_weights_below(ctx.directions, split.below);
    weights_below.emplace();
    for (std::size_t t = 0; t < all.size(); ++t) {
      if (used_below[t]) weights_below->push_back(all[t]);
    }
  }
  const auto pe_below = detail::build_parzen_estimator(dists, obs_below, weights_below ? &*weights_below : nullptr,
                                                       options_.multivariate, options_, &order_below);
  const auto pe_above =
      detail::build_parzen_estimator(dists, obs_above, nullptr, options_.multivariate, options_, &order_above);
  const auto samples = detail::parzen_sample(pe_below, rng_, static_cast<std::size_t>(options_.n_ei_candidates));
  const std::size_t best = detail::choose_candidate(pe_below, pe_above, samples, exact_ranking_);
  std::map<std::string, double> out;
  for (std::size_t i = 0; i < names.size(); ++i) out.emplace(names[i], samples[i][best]);
  return out;
}

double TpeSampler::sample_independent(const SamplingContext& ctx, const std::string& param, const Distribution& d) {
  if (is_single(d)) {
    if (const auto* f = std::get_if<FloatDistribution>(&d)) return f->low;
    if (const auto* i = std::get_if<IntDistribution>(&d)) return static_cast<double>(i->low);
    return 0.0;
  }
  std::lock_guard lock(mutex_);
  const auto values = sample_space(ctx, SearchSpace{{param, d}});
  if (!values) return RandomSampler::sample(rng_, d);  // start-up trials
  return values->at(param);
}

SearchSpace TpeSampler::infer_relative_search_space(const SamplingContext& ctx) {
  if (!options_.multivariate) return {};
  if (!options_.group) return detail::intersection_search_space(ctx.trials);
  SearchSpace out;
  for (const auto& g : detail::group_decomposed_search_space(ctx.trials)) out.insert(g.begin(), g.end());
  return out;
}

std::map<std::string, double> TpeSampler::sample_relative(const SamplingContext& ctx, const SearchSpace& space) {
  if (!options_.multivariate || space.empty()) return {};
  std::lock_guard lock(mutex_);
  if (!options_.group) {
    auto values = sample_space(ctx, space);
    return values ? std::move(*values) : std::map<std::string, double>{};
  }
  std::map<std::string, double> out;
  for (const auto& g : detail::group_decomposed_search_space(ctx.trials)) {
    SearchSpace sub;
    for (const auto& [name, d] : g) {
      if (const auto it = space.find(name); it != space.end()) sub.emplace(name, it->second);
    }
    if (sub.empty()) continue;
    auto values = sample_space(ctx, sub);
    if (!values) return {};  // start-up trials: everything is sampled independently
    out.insert(values->begin(), values->end());
  }
  return out;
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
                                      "consider_magic_clip", "consider_endpoints", "multivariate", "group",
                                      "constant_liar"});
    TpeOptions o;
    o.seed = seed_option(options);
    try {
      if (options.contains("n_startup_trials")) o.n_startup_trials = options["n_startup_trials"].get<int>();
      if (options.contains("n_ei_candidates")) o.n_ei_candidates = options["n_ei_candidates"].get<int>();
      if (options.contains("prior_weight")) o.prior_weight = options["prior_weight"].get<double>();
      if (options.contains("consider_magic_clip")) o.consider_magic_clip = options["consider_magic_clip"].get<bool>();
      if (options.contains("consider_endpoints")) o.consider_endpoints = options["consider_endpoints"].get<bool>();
      if (options.contains("multivariate")) o.multivariate = options["multivariate"].get<bool>();
      if (options.contains("group")) o.group = options["group"].get<bool>();
      if (options.contains("constant_liar")) o.constant_liar = options["constant_liar"].get<bool>();
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
