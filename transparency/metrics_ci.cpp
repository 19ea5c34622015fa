#include "transparency/metrics_ci.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "transparency/json_util.hpp"
#include "transparency/util.hpp"

#include "automl/common/error.hpp"

namespace glasswing::transparency {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A uniform index in [0, n) from 53 random bits; the same on every standard library (unlike
// std::uniform_int_distribution), so a seed gives the same interval everywhere.
std::size_t draw(std::mt19937_64& rng, std::size_t n) {
  const double u = std::ldexp(static_cast<double>(rng() >> 11), -53);
  const auto i = static_cast<std::size_t>(u * static_cast<double>(n));
  return i < n ? i : n - 1;
}

void check_options(const BootstrapOptions& o) {
  if (o.resamples == 0) throw_usage("bootstrap: resamples must be at least 1 (1000 is usual)");
  if (!(o.level > 0.0 && o.level < 1.0))
    throw_usage("bootstrap: level must be in (0, 1), e.g. 0.95, got " + std::to_string(o.level));
}

MetricInterval make_result(std::string_view metric, double estimate, std::vector<double>& values,
                           std::size_t skipped, std::size_t rows, bool stratified, const BootstrapOptions& o) {
  MetricInterval r;
  r.metric = std::string(metric);
  r.estimate = estimate;
  r.level = o.level;
  r.resamples = o.resamples;
  r.skipped = skipped;
  r.seed = o.seed;
  r.stratified = stratified;
  r.rows = rows;
  if (std::isnan(estimate)) {
    r.low = r.high = kNaN;
    r.notice = r.metric + " is undefined on these rows (e.g. only one class present), so it has no interval";
    return r;
  }
  if (values.empty()) {
    r.low = r.high = kNaN;
    r.notice = r.metric + " was undefined on every resample, so it has no interval";
    return r;
  }
  const double alpha = (1.0 - o.level) / 2.0;
  r.low = quantile(values, alpha);
  r.high = quantile(std::move(values), 1.0 - alpha);
  if (skipped > 0)
    r.notice = std::to_string(skipped) + " of " + std::to_string(o.resamples) + " resamples left " + r.metric +
               " undefined and were skipped";
  return r;
}

void check_shape(const metrics::Classification& d) {
  const std::size_t n = d.y_true.size();
  if (d.n_classes < 2) throw_bad_input("bootstrap: n_classes must be at least 2");
  if (d.y_pred.size() != n || (!d.proba.empty() && d.proba.size() != n * d.n_classes))
    throw_bad_input("bootstrap: y_true, y_pred and proba (n x n_classes) must describe the same rows");
  for (const auto y : d.y_true)
    if (y < 0 || static_cast<std::size_t>(y) >= d.n_classes)
      throw_bad_input("bootstrap: a class index in y_true is outside 0.." + std::to_string(d.n_classes - 1));
}

std::vector<MetricInterval> bootstrap_classification(const std::vector<std::string>& names,
                                                     const metrics::Classification& d, const BootstrapOptions& o) {
  check_options(o);
  check_shape(d);
  const std::size_t n = d.y_true.size(), k = d.n_classes;
  // Rows of each class: stratified resampling draws within each class.
  std::vector<std::vector<std::size_t>> by_class(k);
  for (std::size_t i = 0; i < n; ++i) by_class[static_cast<std::size_t>(d.y_true[i])].push_back(i);

  std::vector<double> estimates;
  for (const auto& name : names) estimates.push_back(metrics::compute(name, d));

  std::mt19937_64 rng(o.seed);
  std::vector<std::vector<double>> values(names.size());
  std::vector<std::size_t> skipped(names.size(), 0);
  std::vector<std::int32_t> yt(n), yp(n);
  std::vector<double> pr(d.proba.size());
  for (std::size_t b = 0; b < o.resamples; ++b) {
    std::size_t pos = 0;
    for (const auto& rows : by_class) {
      for (std::size_t r = 0; r < rows.size(); ++r, ++pos) {
        const std::size_t i = rows[draw(rng, rows.size())];
        yt[pos] = d.y_true[i];
        yp[pos] = d.y_pred[i];
        if (!pr.empty()) std::copy_n(d.proba.begin() + static_cast<std::ptrdiff_t>(i * k), k, pr.begin() + static_cast<std::ptrdiff_t>(pos * k));
      }
    }
    const metrics::Classification rd{k, yt, yp, pr, d.positive};
    for (std::size_t m = 0; m < names.size(); ++m) {
      const double v = metrics::compute(names[m], rd);
      if (std::isnan(v))
        ++skipped[m];
      else
        values[m].push_back(v);
    }
  }
  std::vector<MetricInterval> out;
  for (std::size_t m = 0; m < names.size(); ++m)
    out.push_back(make_result(names[m], estimates[m], values[m], skipped[m], n, true, o));
  return out;
}

std::vector<MetricInterval> bootstrap_regression(const std::vector<std::string>& names, const metrics::Regression& d,
                                                 const BootstrapOptions& o) {
  check_options(o);
  const std::size_t n = d.y_true.size();
  if (d.y_pred.size() != n) throw_bad_input("bootstrap: y_true and y_pred must have the same number of rows");
  std::vector<double> estimates;
  for (const auto& name : names) estimates.push_back(metrics::compute(name, d));
  std::mt19937_64 rng(o.seed);
  std::vector<std::vector<double>> values(names.size());
  std::vector<std::size_t> skipped(names.size(), 0);
  std::vector<double> yt(n), yp(n);
  for (std::size_t b = 0; b < o.resamples && n > 0; ++b) {
    for (std::size_t r = 0; r < n; ++r) {
      const std::size_t i = draw(rng, n);
      yt[r] = d.y_true[i];
      yp[r] = d.y_pred[i];
    }
    const metrics::Regression rd{yt, yp};
    for (std::size_t m = 0; m < names.size(); ++m) {
      const double v = metrics::compute(names[m], rd);
      if (std::isnan(v))
        ++skipped[m];
      else
        values[m].push_back(v);
    }
  }
  if (n == 0)
    for (auto& s : skipped) s = o.resamples;
  std::vector<MetricInterval> out;
  for (std::size_t m = 0; m < names.size(); ++m)
    out.push_back(make_result(names[m], estimates[m], values[m], skipped[m], n, false, o));
  return out;
}

}  // namespace

double quantile(std::vector<double> values, double q) {
  if (!(q >= 0.0 && q <= 1.0)) throw_usage("quantile: q must be in [0, 1]");
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  return detail::sorted_quantile(values, q);
}

MetricInterval bootstrap_metric(std::string_view metric, const metrics::Classification& data,
                                const BootstrapOptions& options) {
  const auto& info = metrics::info(metric);
  if (!info.binary && !info.multiclass)
    throw_usage("bootstrap: " + info.name + " is a regression metric; pass regression data");
  return bootstrap_classification({info.name}, data, options).front();
}

MetricInterval bootstrap_metric(std::string_view metric, const metrics::Regression& data,
                                const BootstrapOptions& options) {
  const auto& info = metrics::info(metric);
  if (!info.regression) throw_usage("bootstrap: " + info.name + " is a classification metric; pass classification data");
  return bootstrap_regression({info.name}, data, options).front();
}

std::vector<MetricInterval> bootstrap_all(metrics::TaskKind task, const metrics::Classification& data,
                                          const BootstrapOptions& options) {
  if (task == metrics::TaskKind::Regression) throw_usage("bootstrap_all: pass regression data for a regression task");
  std::vector<std::string> names;
  for (const auto& m : metrics::registry())
    if (metrics::applies(m, task) && (!m.needs_probabilities || !data.proba.empty())) names.push_back(m.name);
  return bootstrap_classification(names, data, options);
}

std::vector<MetricInterval> bootstrap_all(const metrics::Regression& data, const BootstrapOptions& options) {
  std::vector<std::string> names;
  for (const auto& m : metrics::registry())
    if (m.regression) names.push_back(m.name);
  return bootstrap_regression(names, data, options);
}

FoldSummary aggregate_folds(std::string_view metric, std::span<const double> per_fold) {
  FoldSummary s;
  s.metric = metrics::info(metric).name;
  s.values.assign(per_fold.begin(), per_fold.end());
  s.folds = per_fold.size();
  std::vector<double> ok;
  for (const double v : per_fold)
    if (std::isnan(v))
      ++s.undefined;
    else
      ok.push_back(v);
  if (ok.empty()) {
    s.mean = s.sd = s.min = s.max = kNaN;
    return s;
  }
  double sum = 0.0;
  for (const double v : ok) sum += v;
  s.mean = sum / static_cast<double>(ok.size());
  if (ok.size() < 2) {
    s.sd = kNaN;
  } else {
    double ss = 0.0;
    for (const double v : ok) ss += (v - s.mean) * (v - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(ok.size() - 1));
  }
  s.min = *std::min_element(ok.begin(), ok.end());
  s.max = *std::max_element(ok.begin(), ok.end());
  return s;
}

void to_json(nlohmann::json& j, const BootstrapOptions& v) {
  j = {{"resamples", v.resamples}, {"level", v.level}, {"seed", v.seed}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const MetricInterval& v) {
  j = {{"metric", v.metric},   {"estimate", v.estimate},   {"low", v.low},   {"high", v.high},
       {"level", v.level},     {"resamples", v.resamples}, {"skipped", v.skipped}, {"seed", v.seed},
       {"stratified", v.stratified}, {"rows", v.rows},     {"method", v.method}, {"notice", v.notice}};
  detail::finite_or_null(j);
}

void to_json(nlohmann::json& j, const FoldSummary& v) {
  j = {{"metric", v.metric}, {"values", v.values}, {"folds", v.folds}, {"undefined", v.undefined},
       {"mean", v.mean},     {"sd", v.sd},         {"min", v.min},     {"max", v.max}};
  detail::finite_or_null(j);
}

}  // namespace glasswing::transparency
