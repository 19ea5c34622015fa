#include "transparency/explain.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "automl/features/pipeline.hpp"
#include "transparency/json_util.hpp"
#include "transparency/util.hpp"

namespace glasswing::transparency {
namespace {

using detail::number_text;
using detail::sorted_quantile;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();



std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Our own Fisher–Yates (std::shuffle differs between standard libraries).
void shuffle(std::vector<std::size_t>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

// `k` of `n` rows (all when k == 0 or k >= n), increasing.
std::vector<std::size_t> sample_rows(std::size_t n, std::size_t k, std::uint64_t seed) {
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{0});
  if (k == 0 || k >= n) return all;
  std::mt19937_64 rng(splitmix(seed));
  for (std::size_t i = 0; i < k; ++i) {
    const auto j = i + static_cast<std::size_t>(rng() % (n - i));
    std::swap(all[i], all[j]);
  }
  all.resize(k);
  std::sort(all.begin(), all.end());
  return all;
}

void check_view(backend::MatrixView x, const char* what) {
  if (x.rows * x.cols > 0 && x.data == nullptr)
    throw Error(ErrorKind::BadInput, std::string(what) + ": the matrix has no data");
}

std::vector<float> take_rows(backend::MatrixView x, const std::vector<std::size_t>& rows) {
  std::vector<float> out(rows.size() * x.cols);
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::copy_n(x.data + rows[i] * x.cols, x.cols, out.begin() + static_cast<std::ptrdiff_t>(i * x.cols));
  return out;
}

std::string name_of(std::span<const std::string> names, std::size_t i) {
  return i < names.size() ? names[i] : "f" + std::to_string(i);
}

void check_names(std::span<const std::string> names, std::size_t cols, const char* what) {
  if (!names.empty() && names.size() != cols)
    throw Error(ErrorKind::BadInput, std::string(what) + ": " + std::to_string(names.size()) + " feature names for " +
                                         std::to_string(cols) + " columns");
}

// Groups with every feature covered once at least; share = 1 / number of groups holding it.
struct Membership {
  std::vector<FeatureGroup> groups;
  std::vector<double> share;
  std::vector<std::string> notices;
};

Membership membership(std::span<const FeatureGroup> groups, std::span<const std::string> names, std::size_t cols) {
  Membership m;
  std::vector<std::size_t> count(cols, 0);
  for (const auto& g : groups) {
    for (const auto f : g.features) {
      if (f >= cols)
        throw Error(ErrorKind::BadInput, "feature group '" + g.name + "' names column " + std::to_string(f) +
                                             " of a matrix with " + std::to_string(cols) + " columns");
      ++count[f];
    }
    m.groups.push_back(g);
  }
  if (groups.empty()) {
    for (std::size_t f = 0; f < cols; ++f) m.groups.push_back({name_of(names, f), {f}});
    std::fill(count.begin(), count.end(), std::size_t{1});
  }
  m.share.assign(cols, 1.0);
  std::vector<std::string> shared;
  for (std::size_t f = 0; f < cols; ++f) {
    if (count[f] == 0) {
      m.groups.push_back({name_of(names, f), {f}});
      m.notices.push_back("feature '" + name_of(names, f) + "' belongs to no column group; it is shown as its own column");
    } else if (count[f] > 1) {
      m.share[f] = 1.0 / static_cast<double>(count[f]);
      shared.push_back(name_of(names, f));
    }
  }
  if (!shared.empty()) {
    std::string list;
    for (const auto& s : shared) list += (list.empty() ? "" : ", ") + s;
    m.notices.push_back("features made from several columns are split equally among them: " + list);
  }
  return m;
}

template <class T, class Key>
void sort_desc(std::vector<T>& v, Key key) {
  std::stable_sort(v.begin(), v.end(), [&](const T& a, const T& b) {
    const double x = key(a), y = key(b);
    if (std::isnan(x)) return false;
    if (std::isnan(y)) return true;
    return x > y;
  });
}

ImportanceMap map_with(std::string kind, std::span<const double> values, std::span<const std::string> names,
                       const Membership& m) {
  ImportanceMap out;
  out.kind = std::move(kind);
  out.notices = m.notices;
  for (std::size_t f = 0; f < values.size(); ++f) out.features.push_back({name_of(names, f), f, values[f]});
  sort_desc(out.features, [](const FeatureImportance& v) { return v.value; });
  for (const auto& g : m.groups) {
    ColumnImportance c;
    c.column = g.name;
    std::vector<std::size_t> order = g.features;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (std::isnan(values[a])) return false;
      if (std::isnan(values[b])) return true;
      return values[a] > values[b];
    });
    for (const auto f : order) {
      c.features.push_back(name_of(names, f));
      c.feature_values.push_back(values[f]);
      if (!std::isnan(values[f])) c.value += values[f] * m.share[f];
    }
    out.columns.push_back(std::move(c));
  }
  std::stable_sort(out.columns.begin(), out.columns.end(),
                   [](const ColumnImportance& a, const ColumnImportance& b) { return a.column < b.column; });
  sort_desc(out.columns, [](const ColumnImportance& v) { return v.value; });
  return out;
}

// ---- scoring ----

struct Scorer {
  metrics::MetricInfo info;
  metrics::TaskKind task;
  std::int32_t positive = 1;
  std::vector<std::int32_t> y_class;
  std::vector<double> y_value;

  double operator()(const backend::Prediction& p) const {
    const std::size_t n = task == metrics::TaskKind::Regression ? y_value.size() : y_class.size();
    if (p.rows != n || p.values.size() != p.rows * p.cols)
      throw Error(ErrorKind::BadInput, "the predict function returned " + std::to_string(p.rows) + " rows for " +
                                           std::to_string(n));
    if (task == metrics::TaskKind::Regression) {
      if (p.cols != 1) throw Error(ErrorKind::BadInput, "a regression prediction must have one column");
      std::vector<double> pred(p.values.begin(), p.values.end());
      return metrics::compute(info.name, metrics::Regression{y_value, pred});
    }
    if (p.cols < 2) throw Error(ErrorKind::BadInput, "a classification prediction needs one probability column per class");
    std::vector<double> proba(p.values.begin(), p.values.end());
    const auto labels = metrics::argmax_labels(proba, p.cols);
    return metrics::compute(info.name, metrics::Classification{p.cols, y_class, labels, proba, positive});
  }
};

}  // namespace

// ---- groups and mapping ----

std::vector<FeatureGroup> groups_by_source(const features::Pipeline& pipeline) {
  std::vector<FeatureGroup> out;
  for (const auto& [name, idx] : pipeline.features_by_source()) out.push_back({name, idx});
  return out;
}

std::vector<std::string> feature_names(const features::Pipeline& pipeline) {
  std::vector<std::string> out;
  for (const auto& f : pipeline.features()) out.push_back(f.name);
  return out;
}

ImportanceMap map_importance(std::string kind, std::span<const double> values, std::span<const std::string> names,
                             std::span<const FeatureGroup> groups) {
  check_names(names, values.size(), "map_importance");
  return map_with(std::move(kind), values, names, membership(groups, names, values.size()));
}

namespace {

backend::Trainer::LinearWeights require_linear_weights(const backend::Trainer& trainer, const char* what) {
  auto w = trainer.linear_weights();
  if (!w)
    throw Error(ErrorKind::Usage, std::string(what) + " needs a linear model (the 'linear' trainer); '" +
                                      trainer.name() + "' has no coefficients");
  if (w->weights.size() != w->outputs * w->features || w->intercepts.size() != w->outputs ||
      w->input_scale.size() != w->features)
    throw Error(ErrorKind::Internal, std::string(what) + ": the trainer's linear weights are inconsistent");
  return *w;
}

}  // namespace

ImportanceMap linear_coefficients(const backend::Trainer& trainer, std::span<const std::string> names,
                                  std::span<const FeatureGroup> groups) {
  const auto w = require_linear_weights(trainer, "linear_coefficients");
  std::vector<double> magnitude(w.features, 0.0);
  for (std::size_t o = 0; o < w.outputs; ++o)
    for (std::size_t f = 0; f < w.features; ++f) magnitude[f] += std::abs(w.weights[o * w.features + f]);
  auto out = map_importance("abs_coefficient", magnitude, names, groups);
  out.notices.insert(out.notices.begin(),
                     w.outputs > 1 ? "|coefficient| per standard deviation of each feature, summed over the " +
                                         std::to_string(w.outputs) + " class outputs; signed values per class below"
                                   : std::string("|coefficient| per standard deviation of each feature; signed values below"));
  return out;
}

LinearCoefficients signed_linear_coefficients(const backend::Trainer& trainer, std::span<const std::string> names,
                                              std::span<const FeatureGroup> groups,
                                              std::span<const std::string> classes) {
  const auto w = require_linear_weights(trainer, "signed_linear_coefficients");
  check_names(names, w.features, "signed_linear_coefficients");
  const Membership m = membership(groups, names, w.features);
  std::vector<std::string> column_of(w.features);
  for (const auto& g : m.groups)
    for (const auto f : g.features)
      if (column_of[f].empty()) column_of[f] = g.name;

  LinearCoefficients out;
  const auto task = trainer.task();
  auto class_name = [&](std::size_t k) { return k < classes.size() ? classes[k] : std::to_string(k); };
  if (task == backend::Task::Regression) {
    out.units = "change of the prediction (target units) per one standard deviation of the feature";
  } else if (task == backend::Task::Binary) {
    out.units = "change of the log-odds of '" + class_name(1) + "' per one standard deviation of the feature";
  } else {
    out.units = "change of each class's softmax logit per one standard deviation of the feature; logits are "
                "defined up to a shift shared by all classes, so compare a feature across classes";
  }
  for (std::size_t o = 0; o < w.outputs; ++o) {
    CoefficientSet set;
    if (task == backend::Task::Regression)
      set.output = "value";
    else if (task == backend::Task::Binary)
      set.output = "log-odds of '" + class_name(1) + "'";
    else
      set.output = "logit of '" + class_name(o) + "'";
    set.intercept = w.intercepts[o];
    for (std::size_t f = 0; f < w.features; ++f) {
      SignedCoefficient c;
      c.feature = name_of(names, f);
      c.column = column_of[f];
      c.index = f;
      c.value = w.weights[o * w.features + f];
      const double sd = w.input_scale[f];
      c.raw = sd > 0.0 ? c.value / sd : c.value;
      set.coefficients.push_back(std::move(c));
    }
    std::stable_sort(set.coefficients.begin(), set.coefficients.end(),
                     [](const SignedCoefficient& a, const SignedCoefficient& b) {
                       return std::abs(a.value) > std::abs(b.value);
                     });
    out.outputs.push_back(std::move(set));
  }
  out.notices = m.notices;
  return out;
}

// ---- permutation importance ----

PermutationReport permutation_importance(const PredictFn& predict, backend::MatrixView x, std::span<const float> y,
                                         const PermutationOptions& o) {
  check_view(x, "permutation_importance");
  if (y.size() != x.rows)
    throw Error(ErrorKind::BadInput, "permutation_importance: " + std::to_string(y.size()) + " labels for " +
                                         std::to_string(x.rows) + " rows");
  if (o.repeats == 0) throw Error(ErrorKind::Usage, "permutation_importance: repeats must be at least 1");
  if (!predict) throw Error(ErrorKind::Usage, "permutation_importance: no predict function");
  check_names(o.feature_names, x.cols, "permutation_importance");
  const std::string metric = o.metric.empty() ? std::string(metrics::default_metric(o.task)) : o.metric;
  const auto& info = metrics::info(metric);
  if (!metrics::applies(info, o.task))
    throw Error(ErrorKind::Usage, "metric '" + metric + "' does not apply to this task");

  PermutationReport rep;
  rep.metric = metric;
  rep.direction = info.direction == metrics::Direction::Maximize ? "maximize" : "minimize";
  rep.repeats = o.repeats;
  rep.seed = o.seed;
  rep.grouped = !o.groups.empty();
  const Membership m = membership(o.groups, o.feature_names, x.cols);

  const auto rows = sample_rows(x.rows, o.max_rows, o.seed);
  rep.rows = rows.size();
  if (rows.size() < x.rows)
    rep.notices.push_back("scored on a seeded sample of " + std::to_string(rows.size()) + " of " +
                          std::to_string(x.rows) + " rows");
  const std::vector<float> orig = take_rows(x, rows);
  std::vector<float> work = orig;
  const backend::MatrixView view{work.data(), rows.size(), x.cols};

  Scorer score{info, o.task, o.positive, {}, {}};
  for (const auto r : rows) {
    if (o.task == metrics::TaskKind::Regression) score.y_value.push_back(y[r]);
    else score.y_class.push_back(static_cast<std::int32_t>(y[r]));
  }
  rep.baseline = score(predict(view));
  rep.available = std::isfinite(rep.baseline);
  if (!rep.available) {
    rep.notices.push_back("metric '" + metric + "' is undefined on these rows; no permutation importance");
    return rep;
  }
  const double sign = info.direction == metrics::Direction::Maximize ? 1.0 : -1.0;
  const std::size_t n = rows.size(), cols = x.cols;
  std::vector<std::size_t> perm(n);
  for (std::size_t gi = 0; gi < m.groups.size(); ++gi) {
    const auto& g = m.groups[gi];
    PermutationItem item;
    item.name = g.name;
    item.features = g.features;
    for (std::size_t r = 0; r < o.repeats; ++r) {
      std::mt19937_64 rng(splitmix(o.seed ^ splitmix((static_cast<std::uint64_t>(gi) << 20) + r + 1)));
      std::iota(perm.begin(), perm.end(), std::size_t{0});
      shuffle(perm, rng);
      for (const auto c : g.features)
        for (std::size_t i = 0; i < n; ++i) work[i * cols + c] = orig[perm[i] * cols + c];
      const double s = score(predict(view));
      for (const auto c : g.features)
        for (std::size_t i = 0; i < n; ++i) work[i * cols + c] = orig[i * cols + c];
      item.drops.push_back(std::isfinite(s) ? sign * (rep.baseline - s) : kNaN);
    }
    double sum = 0.0;
    std::size_t k = 0;
    for (const double d : item.drops)
      if (std::isnan(d)) {
        ++item.undefined;
      } else {
        sum += d;
        ++k;
      }
    item.mean = k > 0 ? sum / static_cast<double>(k) : kNaN;
    double ss = 0.0;
    for (const double d : item.drops)
      if (!std::isnan(d)) ss += (d - item.mean) * (d - item.mean);
    item.sd = k > 0 ? std::sqrt(ss / static_cast<double>(k)) : kNaN;
    rep.items.push_back(std::move(item));
  }
  sort_desc(rep.items, [](const PermutationItem& v) { return v.mean; });
  for (const auto& nt : m.notices) rep.notices.push_back(nt);
  return rep;
}

PermutationReport permutation_importance(const backend::Trainer& trainer, backend::MatrixView x,
                                         std::span<const float> y, const PermutationOptions& options) {
  return permutation_importance([&trainer](backend::MatrixView v) { return trainer.predict(v); }, x, y, options);
}

// ---- SHAP ----

namespace {

std::string shap_units(backend::Task task) {
  switch (task) {
    case backend::Task::Regression: return "label";
    case backend::Task::Binary: return "log-odds";
    case backend::Task::Multiclass: return "margin";
  }
  return "margin";
}

struct ShapCube {
  std::size_t rows = 0, groups = 0, features = 0;
  std::vector<float> v;
  double at(std::size_t r, std::size_t g, std::size_t f) const {
    return static_cast<double>(v[(r * groups + g) * (features + 1) + f]);
  }
  double bias(std::size_t r, std::size_t g) const { return at(r, g, features); }
};

ShapCube shap_of(const backend::Trainer& trainer, backend::MatrixView x) {
  if (!trainer.supports_shap())
    throw Error(ErrorKind::Usage, "trainer '" + trainer.name() + "' has no SHAP values (XGBoost has)");
  auto s = trainer.shap_contributions(x);
  if (s.shape.size() != 3 || s.shape[0] != x.rows || s.shape[2] != x.cols + 1 ||
      s.values.size() != s.shape[0] * s.shape[1] * s.shape[2])
    throw Error(ErrorKind::Internal, "SHAP contributions of an unexpected shape");
  return {s.shape[0], s.shape[1], x.cols, std::move(s.values)};
}

}  // namespace

ShapSummary shap_summary(const backend::Trainer& trainer, backend::MatrixView x, std::span<const std::string> names,
                         std::span<const FeatureGroup> groups, const ShapOptions& o) {
  check_view(x, "shap_summary");
  check_names(names, x.cols, "shap_summary");
  const Membership m = membership(groups, names, x.cols);
  ShapSummary out;
  out.features = x.cols;
  out.units = shap_units(trainer.task());
  const auto rows = sample_rows(x.rows, o.max_rows, o.seed);
  out.rows = rows.size();
  if (rows.size() < x.rows)
    out.notices.push_back("SHAP values of a seeded sample of " + std::to_string(rows.size()) + " of " +
                          std::to_string(x.rows) + " rows");
  if (rows.empty()) {
    out.notices.push_back("no rows to explain");
    return out;
  }
  const std::vector<float> sub = take_rows(x, rows);
  const ShapCube s = shap_of(trainer, {sub.data(), rows.size(), x.cols});
  const std::size_t n = s.rows, F = s.features;
  const auto points = sample_rows(n, o.beeswarm_points, o.seed + 1);
  for (std::size_t g = 0; g < s.groups; ++g) {
    ShapGlobal gl;
    gl.output_class = s.groups > 1 ? static_cast<int>(g) : -1;
    gl.base_value = s.bias(0, g);
    std::vector<double> mean_abs(F, 0.0);
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t f = 0; f < F; ++f) mean_abs[f] += std::abs(s.at(r, g, f));
    for (auto& v : mean_abs) v /= static_cast<double>(n);
    gl.importance = map_with("mean_abs_shap", mean_abs, names, m);
    // Per column: mean |sum of the column's SHAP in each row|.
    std::map<std::string, double> col_value;
    for (const auto& grp : m.groups) {
      double total = 0.0;
      for (std::size_t r = 0; r < n; ++r) {
        double row_sum = 0.0;
        for (const auto f : grp.features) row_sum += s.at(r, g, f) * m.share[f];
        total += std::abs(row_sum);
      }
      col_value[grp.name] = total / static_cast<double>(n);
    }
    for (auto& c : gl.importance.columns) c.value = col_value[c.column];
    std::stable_sort(gl.importance.columns.begin(), gl.importance.columns.end(),
                     [](const ColumnImportance& a, const ColumnImportance& b) { return a.column < b.column; });
    sort_desc(gl.importance.columns, [](const ColumnImportance& v) { return v.value; });
    for (std::size_t k = 0; k < gl.importance.features.size() && k < o.beeswarm_features; ++k) {
      const std::size_t f = gl.importance.features[k].index;
      BeeswarmFeature b;
      b.feature = name_of(names, f);
      b.index = f;
      for (const auto r : points) {
        b.value.push_back(static_cast<double>(sub[r * F + f]));
        b.shap.push_back(s.at(r, g, f));
      }
      gl.beeswarm.push_back(std::move(b));
    }
    out.outputs.push_back(std::move(gl));
  }
  return out;
}

ShapLocal shap_local(const backend::Trainer& trainer, backend::MatrixView x, std::size_t row,
                     std::span<const std::string> names) {
  check_view(x, "shap_local");
  check_names(names, x.cols, "shap_local");
  if (row >= x.rows)
    throw Error(ErrorKind::BadInput, "shap_local: row " + std::to_string(row) + " of a matrix with " +
                                         std::to_string(x.rows) + " rows");
  const backend::MatrixView one{x.data + row * x.cols, 1, x.cols};
  const ShapCube s = shap_of(trainer, one);
  const auto pred = trainer.predict(one);
  ShapLocal out;
  out.row = row;
  out.units = shap_units(trainer.task());
  std::vector<double> margins;
  for (std::size_t g = 0; g < s.groups; ++g) {
    Waterfall w;
    w.output_class = s.groups > 1 ? static_cast<int>(g) : -1;
    w.base_value = s.bias(0, g);
    double sum = w.base_value;
    for (std::size_t f = 0; f < s.features; ++f) {
      const double v = s.at(0, g, f);
      sum += v;
      if (v != 0.0) w.steps.push_back({name_of(names, f), f, static_cast<double>(one.data[f]), v});
    }
    std::stable_sort(w.steps.begin(), w.steps.end(),
                     [](const WaterfallStep& a, const WaterfallStep& b) { return std::abs(a.shap) > std::abs(b.shap); });
    w.margin = sum;
    margins.push_back(sum);
    out.outputs.push_back(std::move(w));
  }
  for (const float p : pred.values) out.model_output.push_back(static_cast<double>(p));
  switch (trainer.task()) {
    case backend::Task::Regression:
      out.output_from_shap = margins;
      out.model_margin = out.model_output.empty() ? kNaN : out.model_output[0];
      break;
    case backend::Task::Binary: {
      const double p1 = 1.0 / (1.0 + std::exp(-margins[0]));
      out.output_from_shap = {1.0 - p1, p1};
      const double q = out.model_output.size() == 2 ? out.model_output[1] : kNaN;
      out.model_margin = q > 0.0 && q < 1.0 ? std::log(q / (1.0 - q)) : kNaN;
      break;
    }
    case backend::Task::Multiclass: {
      const double mx = *std::max_element(margins.begin(), margins.end());
      double z = 0.0;
      for (const double mg : margins) z += std::exp(mg - mx);
      for (const double mg : margins) out.output_from_shap.push_back(std::exp(mg - mx) / z);
      out.model_margin = kNaN;
      break;
    }
  }
  if (out.output_from_shap.size() != out.model_output.size()) {
    out.additivity_error = kNaN;
  } else {
    for (std::size_t i = 0; i < out.model_output.size(); ++i)
      out.additivity_error = std::max(out.additivity_error, std::abs(out.model_output[i] - out.output_from_shap[i]));
  }
  out.additive = out.additivity_error <= 1e-4;
  return out;
}

// ---- PDP and ICE ----

std::vector<PdpTarget> pdp_targets(std::span<const std::size_t> features, std::span<const std::string> names) {
  std::vector<PdpTarget> out;
  for (const auto f : features) out.push_back({name_of(names, f), {f}, {}});
  return out;
}

std::vector<std::size_t> top_features(std::span<const double> importance, std::size_t k) {
  std::vector<std::size_t> idx(importance.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  sort_desc(idx, [&](std::size_t i) { return importance[i]; });
  if (idx.size() > k) idx.resize(k);
  return idx;
}

PdpTarget one_hot_target(const features::Pipeline& pipeline, const std::string& column) {
  PdpTarget t;
  t.name = column;
  const auto by = pipeline.features_by_source();
  const auto it = by.find(column);
  if (it == by.end()) return t;
  const auto& feats = pipeline.features();
  const std::string prefix = column + "=";
  for (const auto f : it->second)
    if (feats[f].step != "one_hot" || feats[f].name.rfind(prefix, 0) != 0) return t;
  t.features = it->second;
  for (const auto f : t.features) t.categories.push_back(feats[f].name.substr(prefix.size()));
  return t;
}

std::vector<PdpCurve> partial_dependence(const PredictFn& predict, backend::MatrixView x,
                                         std::span<const PdpTarget> targets, const PdpOptions& o) {
  check_view(x, "partial_dependence");
  if (!predict) throw Error(ErrorKind::Usage, "partial_dependence: no predict function");
  if (o.grid_points == 0) throw Error(ErrorKind::Usage, "partial_dependence: grid_points must be at least 1");
  if (!(o.grid_low >= 0.0 && o.grid_low <= o.grid_high && o.grid_high <= 1.0))
    throw Error(ErrorKind::Usage, "partial_dependence: the quantile range must satisfy 0 <= low <= high <= 1");
  const auto rows = sample_rows(x.rows, o.ice_rows, o.seed);
  const std::vector<float> sub = take_rows(x, rows);
  const std::size_t m = rows.size(), cols = x.cols;
  std::vector<PdpCurve> out;
  for (const auto& t : targets) {
    if (t.features.empty()) throw Error(ErrorKind::BadInput, "partial_dependence: target '" + t.name + "' has no feature");
    for (const auto f : t.features)
      if (f >= cols)
        throw Error(ErrorKind::BadInput, "partial_dependence: feature " + std::to_string(f) + " of a matrix with " +
                                             std::to_string(cols) + " columns");
    const bool one_hot = !t.categories.empty();
    if (one_hot && t.categories.size() != t.features.size())
      throw Error(ErrorKind::BadInput, "partial_dependence: one-hot target '" + t.name + "' needs one category per column");
    if (!one_hot && t.features.size() != 1)
      throw Error(ErrorKind::BadInput, "partial_dependence: target '" + t.name + "' has several columns but no categories");
    PdpCurve c;
    c.feature = t.name;
    c.features = t.features;
    c.ice_rows = rows;
    if (one_hot) {
      c.kind = "one_hot";
      for (std::size_t k = 0; k < t.categories.size(); ++k) {
        c.grid.push_back(static_cast<double>(k));
        c.grid_labels.push_back(t.categories[k]);
      }
    } else {
      const std::size_t f = t.features[0];
      std::vector<double> vals;
      for (std::size_t r = 0; r < x.rows; ++r) {
        const float v = x.data[r * cols + f];
        if (!std::isnan(v)) vals.push_back(static_cast<double>(v));
      }
      std::sort(vals.begin(), vals.end());
      std::vector<double> uniq = vals;
      uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
      if (uniq.empty()) {
        c.kind = "numeric";
        c.notice = "feature has no non-missing value; no curve";
        out.push_back(std::move(c));
        continue;
      }
      if (uniq.size() <= o.max_categories) {
        c.kind = "categorical";
        c.grid = uniq;
      } else {
        c.kind = "numeric";
        const std::size_t G = o.grid_points;
        for (std::size_t i = 0; i < G; ++i) {
          const double q = G == 1 ? 0.5 * (o.grid_low + o.grid_high)
                                  : o.grid_low + (o.grid_high - o.grid_low) * static_cast<double>(i) /
                                                     static_cast<double>(G - 1);
          const double v = sorted_quantile(vals, q);
          if (c.grid.empty() || v != c.grid.back()) c.grid.push_back(v);
        }
      }
      if (uniq.size() == 1) c.notice = "constant feature: a one-point grid";
      for (const double v : c.grid) c.grid_labels.push_back(number_text(v));
    }
    const std::size_t G = c.grid.size();
    std::vector<float> big(G * m * cols);
    for (std::size_t g = 0; g < G; ++g) {
      float* block = big.data() + g * m * cols;
      std::copy(sub.begin(), sub.end(), block);
      for (std::size_t i = 0; i < m; ++i) {
        if (one_hot) {
          for (std::size_t k = 0; k < t.features.size(); ++k) block[i * cols + t.features[k]] = k == g ? 1.0f : 0.0f;
        } else {
          block[i * cols + t.features[0]] = static_cast<float>(c.grid[g]);
        }
      }
    }
    const auto p = predict({big.data(), G * m, cols});
    if (p.rows != G * m || p.values.size() != p.rows * p.cols || p.cols == 0)
      throw Error(ErrorKind::BadInput, "partial_dependence: the predict function returned an unexpected shape");
    std::vector<std::size_t> outs;
    if (p.cols == 1) {
      outs = {0};
      c.outputs = {"value"};
    } else if (o.output_class >= 0 || p.cols == 2) {
      const auto k = static_cast<std::size_t>(o.output_class >= 0 ? o.output_class : o.positive);
      if (k >= p.cols) throw Error(ErrorKind::Usage, "partial_dependence: no class " + std::to_string(k));
      outs = {k};
      c.outputs = {"P(class " + std::to_string(k) + ")"};
    } else {
      for (std::size_t k = 0; k < p.cols; ++k) {
        outs.push_back(k);
        c.outputs.push_back("P(class " + std::to_string(k) + ")");
      }
    }
    for (const auto k : outs) {
      std::vector<std::vector<double>> ice(m, std::vector<double>(G));
      std::vector<double> pdp(G, 0.0);
      for (std::size_t g = 0; g < G; ++g) {
        for (std::size_t i = 0; i < m; ++i) {
          const double v = static_cast<double>(p.at(g * m + i, k));
          ice[i][g] = v;
          pdp[g] += v;
        }
        pdp[g] = m > 0 ? pdp[g] / static_cast<double>(m) : kNaN;
      }
      c.pdp.push_back(std::move(pdp));
      c.ice.push_back(std::move(ice));
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<PdpCurve> partial_dependence(const backend::Trainer& trainer, backend::MatrixView x,
                                         std::span<const PdpTarget> targets, const PdpOptions& options) {
  return partial_dependence([&trainer](backend::MatrixView v) { return trainer.predict(v); }, x, targets, options);
}

// ---- JSON ----

void to_json(nlohmann::json& j, const FeatureGroup& v) { j = {{"name", v.name}, {"features", v.features}}; }

void to_json(nlohmann::json& j, const FeatureImportance& v) {
  j = {{"feature", v.feature}, {"index", v.index}, {"value", v.value}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const ColumnImportance& v) {
  j = {{"column", v.column}, {"value", v.value}, {"features", v.features}, {"feature_values", v.feature_values}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const ImportanceMap& v) {
  j = {{"kind", v.kind}, {"features", v.features}, {"columns", v.columns}, {"notices", v.notices}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const SignedCoefficient& v) {
  j = {{"feature", v.feature}, {"column", v.column}, {"index", v.index}, {"value", v.value}, {"raw", v.raw}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const CoefficientSet& v) {
  j = {{"output", v.output}, {"intercept", v.intercept}, {"coefficients", v.coefficients}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const LinearCoefficients& v) {
  j = {{"units", v.units}, {"outputs", v.outputs}, {"notices", v.notices}};
}

void to_json(nlohmann::json& j, const PermutationItem& v) {
  j = {{"name", v.name}, {"features", v.features}, {"mean", v.mean},
       {"sd", v.sd},     {"drops", v.drops},       {"undefined", v.undefined}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const PermutationReport& v) {
  j = {{"metric", v.metric}, {"direction", v.direction}, {"baseline", v.baseline}, {"repeats", v.repeats},
       {"seed", v.seed},     {"rows", v.rows},           {"grouped", v.grouped},   {"available", v.available},
       {"items", v.items},   {"notices", v.notices}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const BeeswarmFeature& v) {
  j = {{"feature", v.feature}, {"index", v.index}, {"value", v.value}, {"shap", v.shap}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const ShapGlobal& v) {
  j = {{"output_class", v.output_class}, {"base_value", v.base_value}, {"importance", v.importance},
       {"beeswarm", v.beeswarm}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const ShapSummary& v) {
  j = {{"rows", v.rows}, {"features", v.features}, {"units", v.units}, {"outputs", v.outputs}, {"notices", v.notices}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const WaterfallStep& v) {
  j = {{"feature", v.feature}, {"index", v.index}, {"value", v.value}, {"shap", v.shap}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const Waterfall& v) {
  j = {{"output_class", v.output_class}, {"base_value", v.base_value}, {"steps", v.steps}, {"margin", v.margin}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const ShapLocal& v) {
  j = {{"row", v.row},
       {"units", v.units},
       {"outputs", v.outputs},
       {"model_output", v.model_output},
       {"output_from_shap", v.output_from_shap},
       {"model_margin", v.model_margin},
       {"additivity_error", v.additivity_error},
       {"additive", v.additive}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const PdpCurve& v) {
  j = {{"feature", v.feature}, {"features", v.features}, {"kind", v.kind},         {"grid", v.grid},
       {"grid_labels", v.grid_labels}, {"outputs", v.outputs}, {"pdp", v.pdp}, {"ice", v.ice},
       {"ice_rows", v.ice_rows}, {"notice", v.notice}};
  detail::finite_or_null(j);
}

}  // namespace glasswing::transparency
