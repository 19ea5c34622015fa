#include "automl/metrics/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "automl/common/error.hpp"

namespace glasswing::metrics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_same_size(std::size_t a, std::size_t b, std::string_view what) {
  if (a != b)
    throw Error(ErrorKind::BadInput, std::string(what) + ": " + std::to_string(a) + " true values but " +
                                         std::to_string(b) + " predictions; give one prediction per row");
}

void check_not_empty(std::size_t n, std::string_view what) {
  if (n == 0) throw Error(ErrorKind::BadInput, std::string(what) + ": no rows to score");
}

// Sum with numpy's pairwise scheme (blocks of 8 below 128 elements), so that long sums round
// the way scikit-learn's do.
double pairwise_sum(const double* x, std::size_t n) {
  if (n < 8) {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += x[i];
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t k = 0; k < 8; ++k) r[k] = x[k];
    std::size_t i = 8;
    for (; i + 8 <= n; i += 8)
      for (std::size_t k = 0; k < 8; ++k) r[k] += x[i + k];
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += x[i];
    return s;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(x, half) + pairwise_sum(x + half, n - half);
}

double mean_of(const std::vector<double>& v) { return pairwise_sum(v.data(), v.size()) / static_cast<double>(v.size()); }

}  // namespace

const std::vector<MetricInfo>& registry() {
  static const std::vector<MetricInfo> metrics = {
      {"roc_auc", Direction::Maximize, true, false, false, true,
       "Area under the ROC curve: the chance that a random positive row is scored above a random negative one "
       "(0.5 is guessing, 1 is perfect)."},
      {"log_loss", Direction::Minimize, true, true, false, true,
       "Mean negative log-probability given to the true class: it punishes confident mistakes (lower is better)."},
      {"accuracy", Direction::Maximize, true, true, false, false,
       "Share of rows whose predicted class is the true class."},
      {"balanced_accuracy", Direction::Maximize, true, true, false, false,
       "Mean of the recall of each class, so that rare classes count as much as common ones."},
      {"f1", Direction::Maximize, true, false, false, false,
       "Harmonic mean of precision and recall of the positive class."},
      {"rmse", Direction::Minimize, false, false, true, false,
       "Root mean squared error, in the target's unit: large errors weigh more."},
      {"mae", Direction::Minimize, false, false, true, false,
       "Mean absolute error, in the target's unit."},
      {"r2", Direction::Maximize, false, false, true, false,
       "Share of the target's variance explained by the model (1 is perfect, 0 is predicting the mean)."},
  };
  return metrics;
}

const MetricInfo& info(std::string_view name) {
  for (const auto& m : registry())
    if (m.name == name) return m;
  std::string valid;
  for (const auto& m : registry()) valid += (valid.empty() ? "" : ", ") + m.name;
  throw Error(ErrorKind::Usage, "unknown metric '" + std::string(name) + "'; valid metrics are " + valid);
}

std::string_view default_metric(TaskKind task) noexcept {
  switch (task) {
    case TaskKind::Binary: return "roc_auc";
    case TaskKind::Multiclass: return "log_loss";
    case TaskKind::Regression: return "rmse";
  }
  return "rmse";
}

bool applies(const MetricInfo& m, TaskKind task) noexcept {
  switch (task) {
    case TaskKind::Binary: return m.binary;
    case TaskKind::Multiclass: return m.multiclass;
    case TaskKind::Regression: return m.regression;
  }
  return false;
}

double roc_auc(std::span<const std::int32_t> y_true, std::span<const double> score, std::int32_t positive) {
  check_same_size(y_true.size(), score.size(), "roc_auc");
  check_not_empty(y_true.size(), "roc_auc");
  // Mann-Whitney U with average ranks for ties: equal to the trapezoidal area under the ROC curve.
  const std::size_t n = y_true.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double rank_sum = 0.0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && score[order[j]] == score[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k)
      if (y_true[order[k]] == positive) {
        rank_sum += avg_rank;
        ++pos;
      }
    i = j;
  }
  const std::size_t neg = n - pos;
  if (pos == 0 || neg == 0) return kNaN;
  const double p = static_cast<double>(pos), q = static_cast<double>(neg);
  return (rank_sum - p * (p + 1.0) / 2.0) / (p * q);
}

double log_loss(const Classification& d) {
  const std::size_t n = d.y_true.size();
  const std::size_t k = d.n_classes;
  check_not_empty(n, "log_loss");
  if (k < 2) throw Error(ErrorKind::BadInput, "log_loss needs at least two classes");
  check_same_size(n * k, d.proba.size(), "log_loss (probabilities)");
  const double eps = std::numeric_limits<double>::epsilon();
  std::vector<double> loss(n);
  std::vector<double> row(k);
  for (std::size_t i = 0; i < n; ++i) {
    // As scikit-learn: clip to [eps, 1 - eps], renormalise the row, then -log p(true class).
    for (std::size_t c = 0; c < k; ++c) row[c] = std::clamp(d.proba[i * k + c], eps, 1.0 - eps);
    const double sum = pairwise_sum(row.data(), k);
    const auto t = static_cast<std::size_t>(d.y_true[i]);
    if (t >= k) throw Error(ErrorKind::BadInput, "log_loss: class index out of range");
    loss[i] = -std::log(row[t] / sum);
  }
  return mean_of(loss);
}

double accuracy(std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred) {
  check_same_size(y_true.size(), y_pred.size(), "accuracy");
  check_not_empty(y_true.size(), "accuracy");
  std::size_t hits = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) hits += y_true[i] == y_pred[i];
  return static_cast<double>(hits) / static_cast<double>(y_true.size());
}

double balanced_accuracy(std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred) {
  check_same_size(y_true.size(), y_pred.size(), "balanced_accuracy");
  check_not_empty(y_true.size(), "balanced_accuracy");
  // Mean recall over the classes present in the truth (scikit-learn drops the others).
  std::int32_t k = 0;
  for (const auto v : y_true) k = std::max(k, v + 1);
  std::vector<std::size_t> support(static_cast<std::size_t>(k), 0), hits(static_cast<std::size_t>(k), 0);
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    const auto t = static_cast<std::size_t>(y_true[i]);
    ++support[t];
    hits[t] += y_true[i] == y_pred[i];
  }
  std::vector<double> recalls;
  for (std::size_t c = 0; c < support.size(); ++c)
    if (support[c] > 0) recalls.push_back(static_cast<double>(hits[c]) / static_cast<double>(support[c]));
  return mean_of(recalls);
}

double f1(std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred, std::int32_t positive) {
  check_same_size(y_true.size(), y_pred.size(), "f1");
  check_not_empty(y_true.size(), "f1");
  std::size_t tp = 0, fp = 0, fn = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    const bool t = y_true[i] == positive, p = y_pred[i] == positive;
    tp += t && p;
    fp += !t && p;
    fn += t && !p;
  }
  const std::size_t denom = 2 * tp + fp + fn;
  return denom == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(denom);
}

double rmse(const Regression& d) {
  check_same_size(d.y_true.size(), d.y_pred.size(), "rmse");
  check_not_empty(d.y_true.size(), "rmse");
  std::vector<double> sq(d.y_true.size());
  for (std::size_t i = 0; i < sq.size(); ++i) sq[i] = (d.y_true[i] - d.y_pred[i]) * (d.y_true[i] - d.y_pred[i]);
  return std::sqrt(mean_of(sq));
}

double mae(const Regression& d) {
  check_same_size(d.y_true.size(), d.y_pred.size(), "mae");
  check_not_empty(d.y_true.size(), "mae");
  std::vector<double> ab(d.y_true.size());
  for (std::size_t i = 0; i < ab.size(); ++i) ab[i] = std::fabs(d.y_true[i] - d.y_pred[i]);
  return mean_of(ab);
}

double r2(const Regression& d) {
  check_same_size(d.y_true.size(), d.y_pred.size(), "r2");
  check_not_empty(d.y_true.size(), "r2");
  const std::size_t n = d.y_true.size();
  const double mean = pairwise_sum(d.y_true.data(), n) / static_cast<double>(n);
  std::vector<double> num(n), den(n);
  for (std::size_t i = 0; i < n; ++i) {
    num[i] = (d.y_true[i] - d.y_pred[i]) * (d.y_true[i] - d.y_pred[i]);
    den[i] = (d.y_true[i] - mean) * (d.y_true[i] - mean);
  }
  const double a = pairwise_sum(num.data(), n), b = pairwise_sum(den.data(), n);
  if (b == 0.0) return a == 0.0 ? 1.0 : 0.0;  // scikit-learn's force_finite
  return 1.0 - a / b;
}

double compute(std::string_view name, const Classification& d) {
  const MetricInfo& m = info(name);
  if (!m.binary && !m.multiclass)
    throw Error(ErrorKind::Usage, "metric '" + m.name + "' is for regression, not classification");
  if (d.n_classes > 2 && !m.multiclass)
    throw Error(ErrorKind::Usage, "metric '" + m.name + "' is for binary tasks; with " + std::to_string(d.n_classes) +
                                      " classes use log_loss, accuracy or balanced_accuracy");
  if (m.name == "roc_auc") {
    std::vector<double> score(d.y_true.size());
    check_same_size(d.y_true.size() * d.n_classes, d.proba.size(), "roc_auc (probabilities)");
    for (std::size_t i = 0; i < score.size(); ++i) score[i] = d.proba[i * d.n_classes + static_cast<std::size_t>(d.positive)];
    return roc_auc(d.y_true, score, d.positive);
  }
  if (m.name == "log_loss") return log_loss(d);
  if (m.name == "accuracy") return accuracy(d.y_true, d.y_pred);
  if (m.name == "balanced_accuracy") return balanced_accuracy(d.y_true, d.y_pred);
  return f1(d.y_true, d.y_pred, d.positive);
}

double compute(std::string_view name, const Regression& d) {
  const MetricInfo& m = info(name);
  if (!m.regression)
    throw Error(ErrorKind::Usage, "metric '" + m.name + "' is for classification; for regression use rmse, mae or r2");
  if (m.name == "rmse") return rmse(d);
  if (m.name == "mae") return mae(d);
  return r2(d);
}

std::vector<std::int32_t> argmax_labels(std::span<const double> proba, std::size_t n_classes) {
  std::vector<std::int32_t> out(n_classes == 0 ? 0 : proba.size() / n_classes);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double* row = proba.data() + i * n_classes;
    out[i] = static_cast<std::int32_t>(std::max_element(row, row + n_classes) - row);
  }
  return out;
}

}  // namespace glasswing::metrics
