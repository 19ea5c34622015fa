#include "transparency/search_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <variant>

#include "automl/common/error.hpp"
#include "automl/search/study.hpp"
#include "transparency/json_util.hpp"
#include "transparency/util.hpp"

namespace glasswing::transparency {
namespace {

using search::FrozenTrial;
using search::Json;
using search::TrialState;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// Trials: family, value, times.

std::string family_of(const FrozenTrial& t, const SearchAnalysisOptions& o) {
  if (auto it = t.params.find(o.family_param); it != t.params.end() && it->second.is_string())
    return it->second.get<std::string>();
  if (auto it = t.user_attrs.find("family"); it != t.user_attrs.end() && it->second.is_string())
    return it->second.get<std::string>();
  if (t.params.count(o.baseline_param)) return "constant";
  return "";
}

std::string label_of(const std::string& name, const std::string& family) {
  const std::string prefix = family + ".";
  if (!family.empty() && name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0)
    return name.substr(prefix.size());
  return name;
}

// The single stored value, NaN when none.
double value_of(const FrozenTrial& t) {
  if (!t.values || t.values->empty()) return kNaN;
  return t.values->front();
}

bool usable(const FrozenTrial& t) { return t.state == TrialState::Complete && std::isfinite(value_of(t)); }

double seconds_between(search::DateTime a, search::DateTime b) {
  return std::chrono::duration<double>(b - a).count();
}

// ---------------------------------------------------------------------------------------------
// Parameter space: distributions merged over trials, values in transformed space.

enum class Kind { Float, Int, Categorical };

struct Axis {
  std::string name;
  Kind kind = Kind::Float;
  bool log = true;
  double low = 0.0, high = 0.0;  // external numeric range
  std::vector<Json> choices;
  bool mixed = false;  // numeric and categorical under one name: the later kind is dropped

  double tlow() const { return kind == Kind::Categorical ? 0.0 : log ? std::log(low) : low; }
  double thigh() const {
    return kind == Kind::Categorical ? static_cast<double>(choices.size()) - 1.0 : log ? std::log(high) : high;
  }
  bool single() const { return !(thigh() > tlow()); }
};

bool is_categorical(const search::Distribution& d) {
  return std::holds_alternative<search::CategoricalDistribution>(d);
}

// Merges `d` into `a`; false when `d` cannot share the axis (numeric vs categorical).
bool merge(Axis& a, bool first, const search::Distribution& d) {
  if (first) {
    a.kind = is_categorical(d) ? Kind::Categorical
             : std::holds_alternative<search::IntDistribution>(d) ? Kind::Int
                                                                 : Kind::Float;
  } else if ((a.kind == Kind::Categorical) != is_categorical(d)) {
    a.mixed = true;
    return false;
  }
  if (const auto* c = std::get_if<search::CategoricalDistribution>(&d)) {
    for (const auto& choice : c->choices) {
      const bool known = std::any_of(a.choices.begin(), a.choices.end(),
                                     [&](const Json& x) { return search::choices_equal(x, choice); });
      if (!known) a.choices.push_back(choice);
    }
    return true;
  }
  double lo = 0.0, hi = 0.0;
  bool lg = false;
  if (const auto* f = std::get_if<search::FloatDistribution>(&d)) {
    lo = f->low, hi = f->high, lg = f->log;
    a.kind = Kind::Float;
  } else {
    const auto& i = std::get<search::IntDistribution>(d);
    lo = static_cast<double>(i.low), hi = static_cast<double>(i.high), lg = i.log;
  }
  if (first) {
    a.low = lo, a.high = hi, a.log = lg;
  } else {
    a.low = std::min(a.low, lo), a.high = std::max(a.high, hi), a.log = a.log && lg;
  }
  return true;
}

struct Space {
  std::vector<Axis> axes;                  // by name
  std::vector<std::vector<double>> x;      // [trial][axis], transformed; NaN = absent
};

// The space of `ts` without the family and baseline params. Values a distribution cannot hold
// are absent, with a notice.
Space build_space(const std::vector<const FrozenTrial*>& ts, const SearchAnalysisOptions& o,
                  std::vector<std::string>& notices) {
  std::map<std::string, Axis> axes;
  for (const auto* t : ts)
    for (const auto& [name, dist] : t->distributions) {
      if (name == o.family_param || name == o.baseline_param || !t->params.count(name)) continue;
      const bool first = !axes.count(name);
      Axis& a = axes[name];
      a.name = name;
      merge(a, first, dist);
    }
  Space s;
  std::map<std::string, std::size_t> index;
  for (auto& [name, a] : axes) {
    if (a.mixed)
      notices.push_back("parameter '" + name + "' is numeric in some trials and categorical in others; only the first kind is shown");
    index[name] = s.axes.size();
    s.axes.push_back(std::move(a));
  }
  s.x.assign(ts.size(), std::vector<double>(s.axes.size(), kNaN));
  for (std::size_t r = 0; r < ts.size(); ++r) {
    const FrozenTrial& t = *ts[r];
    for (const auto& [name, value] : t.params) {
      const auto it = index.find(name);
      const auto dit = t.distributions.find(name);
      if (it == index.end() || dit == t.distributions.end()) continue;
      const Axis& a = s.axes[it->second];
      if ((a.kind == Kind::Categorical) != is_categorical(dit->second)) continue;
      double v = kNaN;
      try {
        if (a.kind == Kind::Categorical) {
          const std::size_t i = static_cast<std::size_t>(search::to_internal(dit->second, value));
          const Json& choice = std::get<search::CategoricalDistribution>(dit->second).choices.at(i);
          for (std::size_t k = 0; k < a.choices.size(); ++k)
            if (search::choices_equal(a.choices[k], choice)) v = static_cast<double>(k);
        } else {
          const double raw = search::to_internal(dit->second, value);
          v = a.log ? (raw > 0.0 ? std::log(raw) : kNaN) : raw;
          if (std::isfinite(v)) v = std::clamp(v, a.tlow(), a.thigh());
        }
      } catch (const Error&) {
        v = kNaN;
      }
      if (std::isnan(v))
        notices.push_back("trial " + std::to_string(t.number) + ": the value " + search::dump_python_json(value) +
                          " of '" + name + "' does not fit its distribution; treated as absent");
      s.x[r][it->second] = v;
    }
  }
  return s;
}

double unit_position(const Axis& a, double t) {
  if (std::isnan(t)) return kNaN;
  if (a.single()) return 0.5;
  return (t - a.tlow()) / (a.thigh() - a.tlow());
}

// ---------------------------------------------------------------------------------------------
// Random forest of regression trees, and the functional ANOVA over each tree's leaves.

// Uniform integer in [0, n), by rejection: the same sequence on every standard library.
std::size_t below(std::mt19937_64& rng, std::size_t n) {
  const std::uint64_t range = n;
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
  std::uint64_t r = rng();
  while (r >= limit) r = rng();
  return static_cast<std::size_t>(r % range);
}

struct Feature {
  bool categorical = false;
  std::size_t k = 0;          // categories
  double lo = 0.0, hi = 0.0;  // numeric domain
};

// A leaf's box: numeric [lo, hi] per feature, a category mask for categorical ones.
struct Box {
  std::vector<double> lo, hi;
  std::vector<std::vector<char>> mask;
};

struct Leaf {
  double value = 0.0;
  Box box;
};

class TreeBuilder {
 public:
  TreeBuilder(const std::vector<Feature>& f, const std::vector<std::vector<double>>& x, const std::vector<double>& y,
              const SearchAnalysisOptions& o, std::mt19937_64& rng)
      : f_(f), x_(x), y_(y), o_(o), rng_(rng) {}

  std::vector<Leaf> build(std::vector<std::size_t> ids) {
    Box box;
    for (const auto& f : f_) {
      box.lo.push_back(f.lo);
      box.hi.push_back(f.hi);
      box.mask.emplace_back(f.categorical ? f.k : 0, 1);
    }
    leaves_.clear();
    grow(ids, box, 0);
    return std::move(leaves_);
  }

 private:
  struct Split {
    bool found = false;
    std::size_t feature = 0;
    double threshold = 0.0;
    std::vector<char> left;  // categorical: category -> goes left
    double score = -std::numeric_limits<double>::infinity();
  };

  void grow(const std::vector<std::size_t>& ids, const Box& box, std::size_t depth) {
    double sum = 0.0, ymin = std::numeric_limits<double>::infinity(), ymax = -ymin;
    for (const auto i : ids) {
      sum += y_[i];
      ymin = std::min(ymin, y_[i]);
      ymax = std::max(ymax, y_[i]);
    }
    const double n = static_cast<double>(ids.size());
    Split s;
    if (ids.size() >= o_.min_samples_split && depth < o_.max_depth && ymin < ymax) s = best_split(ids);
    if (!s.found) {
      leaves_.push_back({sum / n, box});
      return;
    }
    std::vector<std::size_t> left, right;
    for (const auto i : ids) (goes_left(s, x_[i][s.feature]) ? left : right).push_back(i);
    Box lbox = box, rbox = box;
    if (f_[s.feature].categorical) {
      for (std::size_t c = 0; c < f_[s.feature].k; ++c) {
        lbox.mask[s.feature][c] = static_cast<char>(box.mask[s.feature][c] && s.left[c]);
        rbox.mask[s.feature][c] = static_cast<char>(box.mask[s.feature][c] && !s.left[c]);
      }
    } else {
      lbox.hi[s.feature] = s.threshold;
      rbox.lo[s.feature] = s.threshold;
    }
    grow(left, lbox, depth + 1);
    grow(right, rbox, depth + 1);
  }

  bool goes_left(const Split& s, double v) const {
    if (f_[s.feature].categorical) return s.left[static_cast<std::size_t>(v)] != 0;
    return v <= s.threshold;
  }

  Split best_split(const std::vector<std::size_t>& ids) {
    // Features in a seeded random order; a later feature wins only when strictly better.
    std::vector<std::size_t> order(f_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[below(rng_, i)]);
    const std::size_t n = ids.size(), min_leaf = std::max<std::size_t>(1, o_.min_samples_leaf);
    double total = 0.0;
    for (const auto i : ids) total += y_[i];
    Split best;
    for (const auto f : order) {
      if (f_[f].categorical) {
        const std::size_t k = f_[f].k;
        std::vector<double> csum(k, 0.0);
        std::vector<std::size_t> ccount(k, 0);
        for (const auto i : ids) {
          const auto c = static_cast<std::size_t>(x_[i][f]);
          csum[c] += y_[i];
          ++ccount[c];
        }
        std::vector<std::size_t> present;
        for (std::size_t c = 0; c < k; ++c)
          if (ccount[c] > 0) present.push_back(c);
        if (present.size() < 2) continue;
        std::stable_sort(present.begin(), present.end(), [&](std::size_t a, std::size_t b) {
          return csum[a] / static_cast<double>(ccount[a]) < csum[b] / static_cast<double>(ccount[b]);
        });
        double lsum = 0.0;
        std::size_t lcount = 0;
        for (std::size_t m = 0; m + 1 < present.size(); ++m) {
          lsum += csum[present[m]];
          lcount += ccount[present[m]];
          if (lcount < min_leaf || n - lcount < min_leaf) continue;
          const double rsum = total - lsum;
          const double score = lsum * lsum / static_cast<double>(lcount) + rsum * rsum / static_cast<double>(n - lcount);
          if (score > best.score) {
            best.found = true;
            best.feature = f;
            best.score = score;
            best.left.assign(k, 0);
            for (std::size_t q = 0; q <= m; ++q) best.left[present[q]] = 1;
            // Categories without samples here go to the side with more samples.
            const bool absent_left = lcount >= n - lcount;
            for (std::size_t c = 0; c < k; ++c)
              if (ccount[c] == 0) best.left[c] = static_cast<char>(absent_left);
          }
        }
      } else {
        std::vector<std::pair<double, double>> xy;
        xy.reserve(n);
        for (const auto i : ids) xy.emplace_back(x_[i][f], y_[i]);
        std::sort(xy.begin(), xy.end());
        double lsum = 0.0;
        for (std::size_t i = 0; i + 1 < n; ++i) {
          lsum += xy[i].second;
          const std::size_t lcount = i + 1;
          if (!(xy[i].first < xy[i + 1].first) || lcount < min_leaf || n - lcount < min_leaf) continue;
          const double rsum = total - lsum;
          const double score = lsum * lsum / static_cast<double>(lcount) + rsum * rsum / static_cast<double>(n - lcount);
          if (score > best.score) {
            best.found = true;
            best.feature = f;
            best.score = score;
            double mid = xy[i].first + (xy[i + 1].first - xy[i].first) / 2.0;
            if (!(mid < xy[i + 1].first)) mid = xy[i].first;
            best.threshold = mid;
            best.left.clear();
          }
        }
      }
    }
    return best;
  }

  const std::vector<Feature>& f_;
  const std::vector<std::vector<double>>& x_;
  const std::vector<double>& y_;
  const SearchAnalysisOptions& o_;
  std::mt19937_64& rng_;
  std::vector<Leaf> leaves_;
};

struct TreeAnova {
  double mean = 0.0;               // f0: the tree's mean over the space
  double variance = 0.0;           // its variance over the space
  std::vector<double> main_effect;  // variance of each feature's marginal
};

TreeAnova tree_anova(const std::vector<Feature>& features, const std::vector<Leaf>& leaves) {
  const std::size_t d = features.size(), L = leaves.size();
  // frac[l][j]: the share of feature j's domain in leaf l.
  std::vector<std::vector<double>> frac(L, std::vector<double>(d, 1.0));
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t j = 0; j < d; ++j) {
      const Feature& f = features[j];
      if (f.categorical) {
        const auto& m = leaves[l].box.mask[j];
        frac[l][j] = static_cast<double>(std::count(m.begin(), m.end(), 1)) / static_cast<double>(f.k);
      } else {
        frac[l][j] = (leaves[l].box.hi[j] - leaves[l].box.lo[j]) / (f.hi - f.lo);
      }
    }
  // rest[l][j]: the product of the other features' shares.
  std::vector<std::vector<double>> rest(L, std::vector<double>(d, 1.0));
  std::vector<double> weight(L, 1.0);
  for (std::size_t l = 0; l < L; ++l) {
    double prefix = 1.0;
    for (std::size_t j = 0; j < d; ++j) {
      rest[l][j] = prefix;
      prefix *= frac[l][j];
    }
    weight[l] = prefix;
    double suffix = 1.0;
    for (std::size_t j = d; j-- > 0;) {
      rest[l][j] *= suffix;
      suffix *= frac[l][j];
    }
  }
  TreeAnova a;
  for (std::size_t l = 0; l < L; ++l) a.mean += weight[l] * leaves[l].value;
  for (std::size_t l = 0; l < L; ++l) a.variance += weight[l] * (leaves[l].value - a.mean) * (leaves[l].value - a.mean);
  a.main_effect.assign(d, 0.0);
  for (std::size_t j = 0; j < d; ++j) {
    const Feature& f = features[j];
    double v = 0.0;
    if (f.categorical) {
      for (std::size_t c = 0; c < f.k; ++c) {
        double marginal = 0.0;
        for (std::size_t l = 0; l < L; ++l)
          if (leaves[l].box.mask[j][c]) marginal += leaves[l].value * rest[l][j];
        v += (marginal - a.mean) * (marginal - a.mean) / static_cast<double>(f.k);
      }
    } else {
      std::vector<double> cuts{f.lo, f.hi};
      for (const auto& leaf : leaves) {
        cuts.push_back(leaf.box.lo[j]);
        cuts.push_back(leaf.box.hi[j]);
      }
      std::sort(cuts.begin(), cuts.end());
      cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
      // The marginal is constant between cuts: each leaf adds value * rest over [lo, hi)
      // (a difference array over the segments, summed left to right).
      std::vector<double> delta(cuts.size(), 0.0);
      for (std::size_t l = 0; l < L; ++l) {
        const auto lo = std::lower_bound(cuts.begin(), cuts.end(), leaves[l].box.lo[j]) - cuts.begin();
        const auto hi = std::lower_bound(cuts.begin(), cuts.end(), leaves[l].box.hi[j]) - cuts.begin();
        delta[static_cast<std::size_t>(lo)] += leaves[l].value * rest[l][j];
        delta[static_cast<std::size_t>(hi)] -= leaves[l].value * rest[l][j];
      }
      double marginal = 0.0;
      for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
        marginal += delta[s];
        const double width = cuts[s + 1] - cuts[s];
        if (!(width > 0.0)) continue;
        v += width / (f.hi - f.lo) * (marginal - a.mean) * (marginal - a.mean);
      }
    }
    a.main_effect[j] = v;
  }
  return a;
}

struct ForestResult {
  ImportanceResult result;
  double mean = kNaN;      // the forest's mean over the space (average of the trees')
  double variance = kNaN;  // the average of the trees' variances
};

ForestResult fanova(const std::vector<const FrozenTrial*>& all, const std::string& scope, const std::string& family,
                    const SearchAnalysisOptions& o, std::vector<std::string>& notices) {
  ForestResult out;
  ImportanceResult& r = out.result;
  r.scope = scope;
  r.method = "fanova";
  std::vector<const FrozenTrial*> ts;
  for (const auto* t : all)
    if (usable(*t)) ts.push_back(t);
  r.trials = ts.size();
  const std::size_t min_trials = std::max<std::size_t>(2, o.min_trials_for_importance);
  if (ts.size() < min_trials) {
    r.reason = "only " + std::to_string(ts.size()) + " completed trial(s) with a finite value; importance needs at least " +
               std::to_string(min_trials);
    return out;
  }
  const Space s = build_space(ts, o, notices);
  // Params present in every trial; single-valued ones get 0 without entering the forest.
  std::vector<std::size_t> used;
  std::vector<std::string> constant;
  for (std::size_t j = 0; j < s.axes.size(); ++j) {
    const bool everywhere = std::all_of(s.x.begin(), s.x.end(), [&](const auto& row) { return !std::isnan(row[j]); });
    if (!everywhere) r.skipped.push_back(s.axes[j].name);
    else if (s.axes[j].single()) constant.push_back(s.axes[j].name);
    else used.push_back(j);
  }
  std::vector<double> y;
  for (const auto* t : ts) y.push_back(value_of(*t));
  const auto [ymin, ymax] = std::minmax_element(y.begin(), y.end());
  if (used.empty()) {
    r.reason = s.axes.empty() ? "the trials have no parameters" : "no parameter is present, with more than one possible value, in every completed trial";
    return out;
  }
  if (!(*ymin < *ymax)) {
    r.reason = "every completed trial has the same value";
    out.mean = *ymin;
    out.variance = 0.0;
    return out;
  }
  std::vector<Feature> features;
  for (const auto j : used) {
    const Axis& a = s.axes[j];
    Feature f;
    f.categorical = a.kind == Kind::Categorical;
    f.k = a.choices.size();
    f.lo = a.tlow();
    f.hi = a.thigh();
    features.push_back(f);
  }
  std::vector<std::vector<double>> x(ts.size(), std::vector<double>(used.size()));
  for (std::size_t r2 = 0; r2 < ts.size(); ++r2)
    for (std::size_t q = 0; q < used.size(); ++q) x[r2][q] = s.x[r2][used[q]];

  std::mt19937_64 rng(o.seed);
  TreeBuilder builder(features, x, y, o, rng);
  const std::size_t d = used.size(), n = ts.size(), n_trees = std::max<std::size_t>(1, o.n_trees);
  std::vector<double> sum(d, 0.0), sumsq(d, 0.0);
  std::size_t counted = 0;
  double mean_sum = 0.0, var_sum = 0.0;
  for (std::size_t tree = 0; tree < n_trees; ++tree) {
    std::vector<std::size_t> sample(n);
    for (auto& i : sample) i = below(rng, n);
    const TreeAnova a = tree_anova(features, builder.build(std::move(sample)));
    mean_sum += a.mean;
    var_sum += a.variance;
    if (!(a.variance > 0.0) || !std::isfinite(a.variance)) continue;
    ++counted;
    for (std::size_t j = 0; j < d; ++j) {
      const double share = a.main_effect[j] / a.variance;
      sum[j] += share;
      sumsq[j] += share * share;
    }
  }
  out.mean = mean_sum / static_cast<double>(n_trees);
  out.variance = var_sum / static_cast<double>(n_trees);
  double total = 0.0;
  std::vector<double> mean(d, 0.0), sd(d, 0.0);
  for (std::size_t j = 0; j < d && counted > 0; ++j) {
    mean[j] = sum[j] / static_cast<double>(counted);
    sd[j] = std::sqrt(std::max(0.0, sumsq[j] / static_cast<double>(counted) - mean[j] * mean[j]));
    total += mean[j];
  }
  if (!(total > 0.0)) {
    r.reason = "no tree of the forest varies with a single parameter";
    return out;
  }
  r.available = true;
  for (std::size_t q = 0; q < d; ++q) {
    const Axis& a = s.axes[used[q]];
    r.params.push_back({family, a.name, label_of(a.name, family), mean[q] / total, sd[q] / total});
  }
  for (const auto& name : constant) r.params.push_back({family, name, label_of(name, family), 0.0, 0.0});
  std::stable_sort(r.params.begin(), r.params.end(),
                   [](const ParamImportance& a, const ParamImportance& b) { return a.importance > b.importance; });
  return out;
}

void sort_importances(std::vector<ParamImportance>& p) {
  std::stable_sort(p.begin(), p.end(), [](const ParamImportance& a, const ParamImportance& b) {
    if (a.importance != b.importance) return a.importance > b.importance;
    if (a.family != b.family) return a.family < b.family;
    return a.name < b.name;
  });
}

std::string problem_reason(const FrozenTrial& t) {
  if (auto it = t.system_attrs.find(search::kFailReasonKey); it != t.system_attrs.end() && it->second.is_string())
    return it->second.get<std::string>();
  if (t.state == TrialState::Pruned) {
    if (const auto step = t.last_step())
      return "pruned at step " + std::to_string(*step) + " (intermediate value " +
             detail::number_text(t.intermediate_values.at(*step)) + ")";
    return "pruned before reporting a step";
  }
  return "no reason recorded";
}

nlohmann::json plain_json(const Json& v) { return nlohmann::json::parse(v.dump()); }

}  // namespace

ImportanceResult fanova_importance(const std::vector<search::FrozenTrial>& trials, const std::string& scope,
                                   const SearchAnalysisOptions& options) {
  std::vector<const FrozenTrial*> ts;
  for (const auto& t : trials) ts.push_back(&t);
  std::vector<std::string> notices;
  return fanova(ts, scope, "", options, notices).result;
}

SearchAnalysis analyze_search(const std::vector<search::FrozenTrial>& trials, search::StudyDirection direction,
                              const SearchAnalysisOptions& o) {
  if (direction == search::StudyDirection::NotSet)
    throw Error(ErrorKind::Usage, "search analysis: the study direction is NOT_SET; pass MINIMIZE or MAXIMIZE");
  const bool maximize = direction == search::StudyDirection::Maximize;
  auto better = [maximize](double a, double b) { return maximize ? a > b : a < b; };

  std::vector<const FrozenTrial*> ts;
  for (const auto& t : trials) {
    if (t.values && t.values->size() > 1)
      throw Error(ErrorKind::BadInput, "search analysis: trial " + std::to_string(t.number) + " has " +
                                           std::to_string(t.values->size()) +
                                           " objective values; only single-objective studies can be analysed");
    ts.push_back(&t);
  }
  std::stable_sort(ts.begin(), ts.end(), [](const auto* a, const auto* b) { return a->number < b->number; });
  for (std::size_t i = 1; i < ts.size(); ++i)
    if (ts[i]->number == ts[i - 1]->number)
      throw Error(ErrorKind::BadInput, "search analysis: trial number " + std::to_string(ts[i]->number) +
                                           " appears twice; pass each trial of one study once");

  SearchAnalysis a;
  a.direction = std::string(search::to_string(direction));
  a.best_value = kNaN;
  a.trials = ts.size();

  std::optional<search::DateTime> first_start;
  for (const auto* t : ts)
    if (t->datetime_start && (!first_start || *t->datetime_start < *first_start)) first_start = t->datetime_start;
  auto since_start = [&](const std::optional<search::DateTime>& when) {
    return when && first_start ? seconds_between(*first_start, *when) : kNaN;
  };

  std::map<std::string, std::vector<const FrozenTrial*>> by_family;
  std::size_t non_finite = 0, no_time = 0;
  for (const auto* t : ts) {
    const std::string family = family_of(*t, o);
    by_family[family].push_back(t);
    switch (t->state) {
      case TrialState::Complete: ++a.complete; break;
      case TrialState::Pruned: ++a.pruned; break;
      case TrialState::Fail: ++a.failed; break;
      case TrialState::Running: ++a.running; break;
      case TrialState::Waiting: ++a.waiting; break;
    }
    if (t->state == TrialState::Complete && !usable(*t)) ++non_finite;
    if (usable(*t)) {
      const double v = value_of(*t);
      if (a.best_trial < 0 || better(v, a.best_value)) {
        a.best_trial = t->number;
        a.best_value = v;
        a.best_family = family;
      }
      BestSoFarPoint p;
      p.number = t->number;
      p.family = family;
      p.elapsed_s = since_start(t->datetime_complete);
      p.value = v;
      p.best = a.best_value;
      p.best_number = a.best_trial;
      a.best_by_trial.push_back(p);
      if (!t->datetime_complete || !first_start) ++no_time;
    }
  }
  if (non_finite > 0)
    a.notices.push_back(std::to_string(non_finite) +
                        " completed trial(s) have a non-finite value; they are left out of best-so-far, "
                        "parallel coordinates, family best/median and importance");
  if (no_time > 0)
    a.notices.push_back(std::to_string(no_time) + " completed trial(s) have no start or completion time; they are left out of best over time");

  // Best over time: by completion time.
  std::vector<BestSoFarPoint> timed;
  for (const auto& p : a.best_by_trial)
    if (!std::isnan(p.elapsed_s)) timed.push_back(p);
  std::stable_sort(timed.begin(), timed.end(),
                   [](const BestSoFarPoint& x, const BestSoFarPoint& y) { return x.elapsed_s < y.elapsed_s; });
  for (std::size_t i = 0; i < timed.size(); ++i) {
    if (i > 0 && !better(timed[i].value, timed[i - 1].best)) {
      timed[i].best = timed[i - 1].best;
      timed[i].best_number = timed[i - 1].best_number;
    } else {
      timed[i].best = timed[i].value;
      timed[i].best_number = timed[i].number;
    }
  }
  a.best_by_time = std::move(timed);

  // Table and problems.
  std::map<std::pair<std::string, std::string>, ReasonCount> reasons;
  for (const auto* t : ts) {
    TrialRow row;
    row.number = t->number;
    row.state = std::string(search::to_string(t->state));
    row.family = family_of(*t, o);
    row.value = value_of(*t);
    row.start_s = since_start(t->datetime_start);
    row.duration_s = t->datetime_start && t->datetime_complete ? seconds_between(*t->datetime_start, *t->datetime_complete) : kNaN;
    for (const auto& [name, value] : t->params) row.params[name] = plain_json(value);
    row.best = t->number == a.best_trial;
    if (t->state == TrialState::Pruned || t->state == TrialState::Fail) {
      row.reason = problem_reason(*t);
      a.problems.push_back({t->number, row.state, row.family, row.reason, t->last_step()});
      ReasonCount& rc = reasons[{row.state, row.reason}];
      rc.state = row.state;
      rc.reason = row.reason;
      ++rc.count;
      rc.trials.push_back(t->number);
    }
    a.table.push_back(std::move(row));
  }
  for (auto& [_, rc] : reasons) a.reasons.push_back(std::move(rc));
  std::stable_sort(a.reasons.begin(), a.reasons.end(), [](const ReasonCount& x, const ReasonCount& y) {
    if (x.count != y.count) return x.count > y.count;
    return x.trials.front() < y.trials.front();
  });

  // Per family: summary, parallel coordinates, importance.
  std::map<std::string, ForestResult> forests;
  for (const auto& [family, members] : by_family) {
    FamilySummary s;
    s.family = family;
    s.trials = members.size();
    s.best_value = s.median_value = s.mean_duration_s = kNaN;
    std::vector<double> values, durations;
    std::vector<const FrozenTrial*> lines;
    for (const auto* t : members) {
      switch (t->state) {
        case TrialState::Complete: ++s.complete; break;
        case TrialState::Pruned: ++s.pruned; break;
        case TrialState::Fail: ++s.failed; break;
        case TrialState::Running: ++s.running; break;
        case TrialState::Waiting: ++s.waiting; break;
      }
      if (search::is_finished(t->state) && t->datetime_start && t->datetime_complete)
        durations.push_back(seconds_between(*t->datetime_start, *t->datetime_complete));
      if (!usable(*t)) continue;
      const double v = value_of(*t);
      values.push_back(v);
      lines.push_back(t);
      if (s.best_trial < 0 || better(v, s.best_value)) {
        s.best_trial = t->number;
        s.best_value = v;
      }
    }
    if (!values.empty()) {
      std::sort(values.begin(), values.end());
      s.median_value = detail::sorted_quantile(values, 0.5);
    }
    if (!durations.empty())
      s.mean_duration_s = std::accumulate(durations.begin(), durations.end(), 0.0) / static_cast<double>(durations.size());
    a.families.push_back(s);

    const Space space = build_space(lines, o, a.notices);
    if (!space.axes.empty() && !lines.empty()) {
      ParallelCoordinates pc;
      pc.family = family;
      for (const auto& ax : space.axes) {
        ParallelAxis pa;
        pa.name = ax.name;
        pa.label = label_of(ax.name, family);
        pa.kind = ax.kind == Kind::Categorical ? "categorical" : ax.kind == Kind::Int ? "int" : "float";
        if (ax.kind == Kind::Categorical) {
          pa.low = 0.0;
          pa.high = static_cast<double>(ax.choices.size()) - 1.0;
          for (const auto& c : ax.choices) pa.choices.push_back(plain_json(c));
        } else {
          pa.log = ax.log;
          pa.low = ax.low;
          pa.high = ax.high;
        }
        pc.axes.push_back(std::move(pa));
      }
      for (std::size_t r = 0; r < lines.size(); ++r) {
        pc.trials.push_back(lines[r]->number);
        pc.values.push_back(value_of(*lines[r]));
        std::vector<double> p;
        for (std::size_t j = 0; j < space.axes.size(); ++j) p.push_back(unit_position(space.axes[j], space.x[r][j]));
        pc.points.push_back(std::move(p));
      }
      a.parallel.push_back(std::move(pc));
    }

    std::vector<std::string> ignored;  // build_space notices were given above
    ForestResult fr = fanova(members, family, family, o, ignored);
    a.family_importance.push_back(fr.result);
    forests.emplace(family, std::move(fr));
  }
  // Notices from build_space may repeat across calls; keep the first of each.
  {
    std::set<std::string> seen;
    std::vector<std::string> unique;
    for (auto& n : a.notices)
      if (seen.insert(n).second) unique.push_back(std::move(n));
    a.notices = std::move(unique);
  }

  // Global importance.
  std::vector<const FrozenTrial*> chosen;  // usable trials with a family choice
  std::map<std::string, std::vector<double>> chosen_values;
  for (const auto* t : ts) {
    const auto it = t->params.find(o.family_param);
    if (it == t->params.end() || !it->second.is_string() || !usable(*t)) continue;
    chosen.push_back(t);
    chosen_values[it->second.get<std::string>()].push_back(value_of(*t));
  }
  if (chosen.empty()) {
    if (by_family.size() == 1) {
      a.importance = forests.begin()->second.result;  // one family: its result is the global one
    } else {
      std::vector<std::string> ignored;
      a.importance = fanova(ts, "global", "", o, ignored).result;
    }
    a.importance.scope = "global";
  } else {
    ImportanceResult& g = a.importance;
    g.scope = "global";
    g.method = "fanova+families";
    g.trials = chosen.size();
    const std::size_t min_trials = std::max<std::size_t>(2, o.min_trials_for_importance);
    if (chosen.size() < min_trials) {
      g.reason = "only " + std::to_string(chosen.size()) +
                 " completed trial(s) with a finite value and a family choice; importance needs at least " +
                 std::to_string(min_trials);
    } else {
      // Each family's mean and variance over its space: the forest's, else the trials'.
      struct Part {
        std::string family;
        double mean, variance;
        const ImportanceResult* own;
      };
      std::vector<Part> parts;
      for (const auto& [family, values] : chosen_values) {
        const auto fit = forests.find(family);
        const ForestResult* fr = fit != forests.end() ? &fit->second : nullptr;
        if (fr && fr->result.available) {
          parts.push_back({family, fr->mean, fr->variance, &fr->result});
        } else {
          const double m = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
          double v = 0.0;
          for (const double x : values) v += (x - m) * (x - m);
          parts.push_back({family, m, v / static_cast<double>(values.size()), nullptr});
        }
      }
      const double k = static_cast<double>(parts.size());
      double f0 = 0.0;
      for (const auto& p : parts) f0 += p.mean / k;
      double between = 0.0, within = 0.0;
      for (const auto& p : parts) {
        between += (p.mean - f0) * (p.mean - f0) / k;
        within += p.variance / k;
      }
      const double total = between + within;
      if (!(total > 0.0) || !std::isfinite(total)) {
        g.reason = "every completed trial has the same value";
      } else {
        g.available = true;
        g.params.push_back({"", o.family_param, o.family_param, between / total, 0.0});
        for (const auto& p : parts) {
          const double share = p.variance / k / total;
          if (!p.own) {
            g.unattributed += share;
            continue;
          }
          for (const auto& q : p.own->params) g.params.push_back({q.family, q.name, q.label, q.importance * share, q.sd * share});
          for (const auto& skipped : p.own->skipped) g.skipped.push_back(skipped);
        }
        sort_importances(g.params);
      }
    }
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// JSON

void to_json(nlohmann::json& j, const BestSoFarPoint& v) {
  j = {{"number", v.number}, {"family", v.family}, {"elapsed_s", v.elapsed_s},
       {"value", v.value},   {"best", v.best},     {"best_number", v.best_number}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const TrialRow& v) {
  j = {{"number", v.number},   {"state", v.state},           {"family", v.family},
       {"value", v.value},     {"start_s", v.start_s},       {"duration_s", v.duration_s},
       {"params", v.params},   {"reason", v.reason},         {"best", v.best}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const TrialProblem& v) {
  j = {{"number", v.number}, {"state", v.state}, {"family", v.family}, {"reason", v.reason},
       {"last_step", v.last_step ? nlohmann::json(*v.last_step) : nlohmann::json(nullptr)}};
}

void to_json(nlohmann::json& j, const ReasonCount& v) {
  j = {{"state", v.state}, {"reason", v.reason}, {"count", v.count}, {"trials", v.trials}};
}

void to_json(nlohmann::json& j, const ParallelAxis& v) {
  j = {{"name", v.name}, {"label", v.label}, {"kind", v.kind}, {"log", v.log},
       {"low", v.low},   {"high", v.high},   {"choices", v.choices}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const ParallelCoordinates& v) {
  j = {{"family", v.family}, {"axes", v.axes}, {"trials", v.trials}, {"points", v.points}, {"values", v.values}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const FamilySummary& v) {
  j = {{"family", v.family},           {"trials", v.trials},         {"complete", v.complete},
       {"pruned", v.pruned},           {"failed", v.failed},         {"running", v.running},
       {"waiting", v.waiting},         {"best_value", v.best_value}, {"median_value", v.median_value},
       {"best_trial", v.best_trial},   {"mean_duration_s", v.mean_duration_s}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const ParamImportance& v) {
  j = {{"family", v.family}, {"name", v.name}, {"label", v.label}, {"importance", v.importance}, {"sd", v.sd}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const ImportanceResult& v) {
  j = {{"scope", v.scope},   {"available", v.available},       {"reason", v.reason},
       {"method", v.method}, {"trials", v.trials},             {"params", v.params},
       {"unattributed", v.unattributed}, {"skipped", v.skipped}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const SearchAnalysis& v) {
  j = {{"direction", v.direction},
       {"trials", v.trials},
       {"complete", v.complete},
       {"pruned", v.pruned},
       {"failed", v.failed},
       {"running", v.running},
       {"waiting", v.waiting},
       {"best_trial", v.best_trial},
       {"best_value", v.best_value},
       {"best_family", v.best_family},
       {"best_by_trial", v.best_by_trial},
       {"best_by_time", v.best_by_time},
       {"table", v.table},
       {"parallel", v.parallel},
       {"problems", v.problems},
       {"reasons", v.reasons},
       {"families", v.families},
       {"importance", v.importance},
       {"family_importance", v.family_importance},
       {"notices", v.notices}};
  detail::finite_or_null(j);
}

}  // namespace glasswing::transparency
