#include "transparency/curves.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "transparency/json_util.hpp"

#include "automl/common/error.hpp"
#include "automl/metrics/metrics.hpp"

namespace glasswing::transparency {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_binary(std::span<const std::int32_t> y, std::span<const double> s, const char* what) {
  if (y.size() != s.size())
    throw_bad_input(std::string(what) + ": y_true has " + std::to_string(y.size()) + " rows but the scores have " +
                    std::to_string(s.size()));
  if (y.empty()) throw_bad_input(std::string(what) + ": no rows");
  for (const double v : s)
    if (!std::isfinite(v)) throw_bad_input(std::string(what) + ": a score is NaN or infinite; predictions must be finite");
}

void check_probability(std::span<const double> p, const char* what) {
  for (const double v : p)
    if (v < 0.0 || v > 1.0) throw_bad_input(std::string(what) + ": a probability is outside [0, 1]");
}

// scikit-learn's _binary_clf_curve: one point per distinct score, scores decreasing; counts of
// true and false positives when predicting positive at score >= threshold.
struct ClfCurve {
  std::vector<double> fps, tps, thresholds;
};
ClfCurve binary_clf_curve(std::span<const std::int32_t> y, std::span<const double> s, std::int32_t positive) {
  const std::size_t n = s.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s[a] > s[b]; });
  ClfCurve c;
  double tp = 0.0;
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t i = order[r];
    if (y[i] == positive) tp += 1.0;
    if (r + 1 == n || s[order[r + 1]] != s[i]) {
      c.tps.push_back(tp);
      c.fps.push_back(static_cast<double>(r + 1) - tp);
      c.thresholds.push_back(s[i]);
    }
  }
  return c;
}

std::size_t draw(std::mt19937_64& rng, std::size_t n) {
  const double u = std::ldexp(static_cast<double>(rng() >> 11), -53);
  const auto i = static_cast<std::size_t>(u * static_cast<double>(n));
  return i < n ? i : n - 1;
}

// numpy.percentile(values, q * 100) with the linear method (values sorted).
double np_percentile_sorted(const std::vector<double>& sorted, double q100) {
  const double q = q100 / 100.0;
  const std::size_t n = sorted.size();
  const double virt = static_cast<double>(n - 1) * q;
  double a, b, t;
  if (virt >= static_cast<double>(n - 1)) {
    a = b = sorted[n - 1];
    t = virt + 1.0;
  } else {
    const double prev = std::floor(virt);
    const auto i = static_cast<std::size_t>(prev);
    a = sorted[i];
    b = sorted[i + 1];
    t = virt - prev;
  }
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

// numpy.linspace(0, 1, n + 1)[i].
double linspace01(std::size_t i, std::size_t n) {
  if (i == n) return 1.0;
  return static_cast<double>(i) * (1.0 / static_cast<double>(n));
}

double safe_div(double a, double b) { return b == 0.0 ? 0.0 : a / b; }

}  // namespace

RocCurve roc_curve(std::span<const std::int32_t> y_true, std::span<const double> score, std::int32_t positive) {
  check_binary(y_true, score, "roc_curve");
  ClfCurve c = binary_clf_curve(y_true, score, positive);
  if (c.fps.size() > 2) {
    ClfCurve kept;
    for (std::size_t i = 0; i < c.fps.size(); ++i) {
      bool keep = i == 0 || i + 1 == c.fps.size();
      if (!keep) {
        const double dfps = c.fps[i + 1] - 2.0 * c.fps[i] + c.fps[i - 1];
        const double dtps = c.tps[i + 1] - 2.0 * c.tps[i] + c.tps[i - 1];
        keep = dfps != 0.0 || dtps != 0.0;
      }
      if (keep) {
        kept.fps.push_back(c.fps[i]);
        kept.tps.push_back(c.tps[i]);
        kept.thresholds.push_back(c.thresholds[i]);
      }
    }
    c = std::move(kept);
  }
  RocCurve r;
  c.fps.insert(c.fps.begin(), 0.0);
  c.tps.insert(c.tps.begin(), 0.0);
  r.thresholds = c.thresholds;
  r.thresholds.insert(r.thresholds.begin(), c.thresholds.front() + 1.0);
  const double fn = c.fps.back(), tn = c.tps.back();
  for (std::size_t i = 0; i < c.fps.size(); ++i) {
    r.fpr.push_back(fn > 0.0 ? c.fps[i] / fn : kNaN);
    r.tpr.push_back(tn > 0.0 ? c.tps[i] / tn : kNaN);
  }
  r.auc = metrics::roc_auc(y_true, score, positive);
  if (fn <= 0.0) r.notice = "no negative rows: the false positive rate and the AUC are undefined";
  if (tn <= 0.0) r.notice = "no positive rows: the true positive rate and the AUC are undefined";
  return r;
}

PrCurve pr_curve(std::span<const std::int32_t> y_true, std::span<const double> score, std::int32_t positive) {
  check_binary(y_true, score, "pr_curve");
  const ClfCurve c = binary_clf_curve(y_true, score, positive);
  const std::size_t m = c.tps.size();
  const double total_pos = c.tps.back();
  PrCurve r;
  for (std::size_t k = m; k-- > 0;) {
    const double ps = c.tps[k] + c.fps[k];
    r.precision.push_back(ps != 0.0 ? c.tps[k] / ps : 0.0);
    r.recall.push_back(total_pos == 0.0 ? 1.0 : c.tps[k] / total_pos);
    r.thresholds.push_back(c.thresholds[k]);
  }
  r.precision.push_back(1.0);
  r.recall.push_back(0.0);
  double ap = 0.0;
  for (std::size_t i = 0; i + 1 < r.recall.size(); ++i) ap += (r.recall[i] - r.recall[i + 1]) * r.precision[i];
  r.average_precision = ap;
  r.prevalence = total_pos / static_cast<double>(y_true.size());
  if (total_pos == 0.0) r.notice = "no positive rows: recall is set to 1 at every threshold, as scikit-learn does";
  return r;
}

double average_precision(std::span<const std::int32_t> y_true, std::span<const double> score, std::int32_t positive) {
  return pr_curve(y_true, score, positive).average_precision;
}

double brier_score(std::span<const std::int32_t> y_true, std::span<const double> proba, std::int32_t positive) {
  check_binary(y_true, proba, "brier_score");
  check_probability(proba, "brier_score");
  double sum = 0.0;
  for (std::size_t i = 0; i < proba.size(); ++i) {
    const double d = (y_true[i] == positive ? 1.0 : 0.0) - proba[i];
    sum += d * d;
  }
  return sum / static_cast<double>(proba.size());
}

CalibrationCurve calibration_curve(std::span<const std::int32_t> y_true, std::span<const double> proba,
                                   std::size_t n_bins, BinStrategy strategy, std::int32_t positive) {
  check_binary(y_true, proba, "calibration_curve");
  check_probability(proba, "calibration_curve");
  if (n_bins == 0) throw_bad_input("calibration_curve: n_bins must be at least 1");
  CalibrationCurve r;
  r.n_bins = n_bins;
  r.strategy = strategy == BinStrategy::Uniform ? "uniform" : "quantile";
  if (strategy == BinStrategy::Uniform) {
    for (std::size_t i = 0; i <= n_bins; ++i) r.edges.push_back(linspace01(i, n_bins));
  } else {
    std::vector<double> sorted(proba.begin(), proba.end());
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i <= n_bins; ++i) r.edges.push_back(np_percentile_sorted(sorted, linspace01(i, n_bins) * 100.0));
  }
  // np.searchsorted(edges[1:-1], p, side="left"): the number of inner edges strictly below p.
  const auto inner_begin = r.edges.begin() + 1, inner_end = r.edges.end() - 1;
  std::vector<double> sums(n_bins + 1, 0.0), trues(n_bins + 1, 0.0);
  std::vector<std::size_t> totals(n_bins + 1, 0);
  for (std::size_t i = 0; i < proba.size(); ++i) {
    const auto bin = static_cast<std::size_t>(std::lower_bound(inner_begin, inner_end, proba[i]) - inner_begin);
    sums[bin] += proba[i];
    trues[bin] += y_true[i] == positive ? 1.0 : 0.0;
    ++totals[bin];
  }
  for (std::size_t b = 0; b < totals.size(); ++b) {
    if (totals[b] == 0) continue;
    const auto t = static_cast<double>(totals[b]);
    r.prob_true.push_back(trues[b] / t);
    r.prob_pred.push_back(sums[b] / t);
    r.count.push_back(totals[b]);
  }
  r.brier = brier_score(y_true, proba, positive);
  return r;
}

ConfusionMatrix confusion_at(std::span<const std::int32_t> y_true, std::span<const double> score, double threshold,
                             std::int32_t positive) {
  check_binary(y_true, score, "confusion_at");
  ConfusionMatrix c;
  c.threshold = threshold;
  for (std::size_t i = 0; i < score.size(); ++i) {
    const bool actual = y_true[i] == positive, predicted = score[i] >= threshold;
    if (actual)
      ++(predicted ? c.tp : c.fn);
    else
      ++(predicted ? c.fp : c.tn);
  }
  const auto tp = static_cast<double>(c.tp), fp = static_cast<double>(c.fp), fn = static_cast<double>(c.fn),
             tn = static_cast<double>(c.tn);
  c.precision = safe_div(tp, tp + fp);
  c.recall = safe_div(tp, tp + fn);
  c.f1 = safe_div(2.0 * tp, 2.0 * tp + fp + fn);
  c.accuracy = (tp + tn) / (tp + tn + fp + fn);
  const bool has_pos = tp + fn > 0.0, has_neg = tn + fp > 0.0;
  c.balanced_accuracy = has_pos && has_neg ? (tp / (tp + fn) + tn / (tn + fp)) / 2.0
                        : has_pos          ? tp / (tp + fn)
                                           : tn / (tn + fp);
  return c;
}

MulticlassConfusion confusion_matrix(std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred,
                                     std::size_t n_classes, const std::vector<std::string>& labels) {
  if (y_true.size() != y_pred.size()) throw_bad_input("confusion_matrix: y_true and y_pred differ in length");
  if (!labels.empty() && labels.size() != n_classes) throw_bad_input("confusion_matrix: labels must name every class");
  MulticlassConfusion c;
  c.labels = labels;
  c.matrix.assign(n_classes, std::vector<std::size_t>(n_classes, 0));
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    if (y_true[i] < 0 || y_pred[i] < 0 || static_cast<std::size_t>(y_true[i]) >= n_classes ||
        static_cast<std::size_t>(y_pred[i]) >= n_classes)
      throw_bad_input("confusion_matrix: row " + std::to_string(i) + " has a class index outside 0.." +
                      std::to_string(n_classes - 1));
    ++c.matrix[static_cast<std::size_t>(y_true[i])][static_cast<std::size_t>(y_pred[i])];
  }
  return c;
}

std::vector<ThresholdChoice> best_thresholds(std::span<const std::int32_t> y_true, std::span<const double> score,
                                             std::int32_t positive) {
  check_binary(y_true, score, "best_thresholds");
  const ClfCurve c = binary_clf_curve(y_true, score, positive);
  const double pos = c.tps.back(), neg = c.fps.back();
  ThresholdChoice f1{"f1", c.thresholds.front(), -1.0}, ba{"balanced_accuracy", c.thresholds.front(), -1.0};
  for (std::size_t i = 0; i < c.tps.size(); ++i) {
    const double tp = c.tps[i], fp = c.fps[i], fn = pos - tp, tn = neg - fp;
    const double f = safe_div(2.0 * tp, 2.0 * tp + fp + fn);
    const double b = pos > 0.0 && neg > 0.0 ? (tp / pos + tn / neg) / 2.0 : pos > 0.0 ? tp / pos : tn / neg;
    if (f > f1.value) f1 = {"f1", c.thresholds[i], f};
    if (b > ba.value) ba = {"balanced_accuracy", c.thresholds[i], b};
  }
  return {f1, ba};
}

std::vector<GainsBin> lift_gains(std::span<const std::int32_t> y_true, std::span<const double> score,
                                 std::size_t n_bins, std::int32_t positive) {
  check_binary(y_true, score, "lift_gains");
  if (n_bins == 0) throw_bad_input("lift_gains: n_bins must be at least 1");
  const std::size_t n = score.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  double total_pos = 0.0;
  for (const auto y : y_true) total_pos += y == positive ? 1.0 : 0.0;
  const double rate = total_pos / static_cast<double>(n);
  std::vector<GainsBin> out;
  double cum_pos = 0.0;
  for (std::size_t b = 0; b < n_bins; ++b) {
    const std::size_t lo = b * n / n_bins, hi = (b + 1) * n / n_bins;
    if (hi == lo) continue;
    double bin_pos = 0.0;
    for (std::size_t r = lo; r < hi; ++r) bin_pos += y_true[order[r]] == positive ? 1.0 : 0.0;
    cum_pos += bin_pos;
    GainsBin g;
    g.population = static_cast<double>(hi) / static_cast<double>(n);
    g.gain = total_pos > 0.0 ? cum_pos / total_pos : kNaN;
    g.lift = g.gain / g.population;
    g.bin_lift = total_pos > 0.0 ? bin_pos / static_cast<double>(hi - lo) / rate : kNaN;
    g.min_score = score[order[hi - 1]];
    out.push_back(g);
  }
  return out;
}

BinaryCurves binary_curves(std::span<const std::int32_t> y_true, std::span<const double> proba_positive,
                           std::int32_t positive, const CurveOptions& options) {
  BinaryCurves r;
  r.positive = positive;
  for (const auto y : y_true) ++(y == positive ? r.positives : r.negatives);
  r.roc = roc_curve(y_true, proba_positive, positive);
  r.pr = pr_curve(y_true, proba_positive, positive);
  r.calibration = calibration_curve(y_true, proba_positive, options.calibration_bins, options.calibration_strategy, positive);
  r.confusion = confusion_at(y_true, proba_positive, options.threshold, positive);
  r.best = best_thresholds(y_true, proba_positive, positive);
  r.gains = lift_gains(y_true, proba_positive, options.gains_bins, positive);
  return r;
}

std::vector<BinaryCurves> one_vs_rest(std::span<const std::int32_t> y_true, std::span<const double> proba,
                                      std::size_t n_classes, const std::vector<std::string>& labels,
                                      const CurveOptions& options) {
  if (n_classes < 2 || proba.size() != y_true.size() * n_classes)
    throw_bad_input("one_vs_rest: proba must be n x n_classes (row-major) with n_classes >= 2");
  if (!labels.empty() && labels.size() != n_classes) throw_bad_input("one_vs_rest: labels must name every class");
  std::vector<BinaryCurves> out;
  std::vector<double> column(y_true.size());
  for (std::size_t k = 0; k < n_classes; ++k) {
    for (std::size_t i = 0; i < y_true.size(); ++i) column[i] = proba[i * n_classes + k];
    out.push_back(binary_curves(y_true, column, static_cast<std::int32_t>(k), options));
    if (!labels.empty()) out.back().label = labels[k];
  }
  return out;
}

RegressionPlots regression_plots(std::span<const double> y_true, std::span<const double> y_pred,
                                 const RegressionPlotOptions& options) {
  if (y_true.size() != y_pred.size()) throw_bad_input("regression_plots: y_true and y_pred differ in length");
  if (y_true.empty()) throw_bad_input("regression_plots: no rows");
  if (options.histogram_bins == 0) throw_bad_input("regression_plots: histogram_bins must be at least 1");
  const std::size_t n = y_true.size();
  RegressionPlots r;
  r.rows = n;
  r.seed = options.seed;
  std::vector<double> res(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(y_true[i]) || !std::isfinite(y_pred[i]))
      throw_bad_input("regression_plots: row " + std::to_string(i) + " has a NaN or infinite value");
    res[i] = y_true[i] - y_pred[i];
  }
  // Plot subsample: a partial Fisher-Yates shuffle, then row order.
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  if (n > options.max_points) {
    std::mt19937_64 rng(options.seed);
    for (std::size_t i = 0; i < options.max_points; ++i) std::swap(idx[i], idx[i + draw(rng, n - i)]);
    idx.resize(options.max_points);
    std::sort(idx.begin(), idx.end());
  }
  r.index = idx;
  for (const auto i : idx) {
    r.predicted.push_back(y_pred[i]);
    r.actual.push_back(y_true[i]);
    r.residual.push_back(res[i]);
  }
  double sum = 0.0;
  for (const double v : res) sum += v;
  r.mean_residual = sum / static_cast<double>(n);
  double ss = 0.0;
  for (const double v : res) ss += (v - r.mean_residual) * (v - r.mean_residual);
  r.sd_residual = std::sqrt(ss / static_cast<double>(n));
  r.min_residual = *std::min_element(res.begin(), res.end());
  r.max_residual = *std::max_element(res.begin(), res.end());
  const std::size_t bins = r.max_residual > r.min_residual ? options.histogram_bins : 1;
  const double width = (r.max_residual - r.min_residual) / static_cast<double>(bins);
  for (std::size_t b = 0; b < bins; ++b)
    r.residual_histogram.push_back({r.min_residual + width * static_cast<double>(b),
                                    b + 1 == bins ? r.max_residual : r.min_residual + width * static_cast<double>(b + 1), 0});
  for (const double v : res) {
    std::size_t b = width > 0.0 ? static_cast<std::size_t>((v - r.min_residual) / width) : 0;
    if (b >= bins) b = bins - 1;
    ++r.residual_histogram[b].count;
  }
  return r;
}

void to_json(nlohmann::json& j, const RocCurve& v) {
  j = {{"fpr", v.fpr}, {"tpr", v.tpr}, {"thresholds", v.thresholds}, {"auc", v.auc}, {"notice", v.notice}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const PrCurve& v) {
  j = {{"precision", v.precision},
       {"recall", v.recall},
       {"thresholds", v.thresholds},
       {"average_precision", v.average_precision},
       {"prevalence", v.prevalence},
       {"notice", v.notice}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const CalibrationCurve& v) {
  j = {{"strategy", v.strategy},   {"n_bins", v.n_bins},       {"edges", v.edges}, {"prob_true", v.prob_true},
       {"prob_pred", v.prob_pred}, {"count", v.count},         {"brier", v.brier}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const ConfusionMatrix& v) {
  j = {{"threshold", v.threshold},
       {"matrix", {{v.tn, v.fp}, {v.fn, v.tp}}},
       {"tn", v.tn}, {"fp", v.fp}, {"fn", v.fn}, {"tp", v.tp},
       {"precision", v.precision}, {"recall", v.recall}, {"f1", v.f1}, {"accuracy", v.accuracy},
       {"balanced_accuracy", v.balanced_accuracy}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const MulticlassConfusion& v) {
  j = {{"labels", v.labels}, {"matrix", v.matrix}};
}
void to_json(nlohmann::json& j, const ThresholdChoice& v) {
  j = {{"criterion", v.criterion}, {"threshold", v.threshold}, {"value", v.value}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const GainsBin& v) {
  j = {{"population", v.population}, {"gain", v.gain}, {"lift", v.lift}, {"bin_lift", v.bin_lift},
       {"min_score", v.min_score}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const BinaryCurves& v) {
  j = {{"positive", v.positive}, {"label", v.label},          {"positives", v.positives}, {"negatives", v.negatives},
       {"roc", v.roc},           {"pr", v.pr},                {"calibration", v.calibration},
       {"confusion", v.confusion}, {"best_thresholds", v.best}, {"gains", v.gains}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const HistogramBin& v) {
  j = {{"low", v.low}, {"high", v.high}, {"count", v.count}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const RegressionPlots& v) {
  j = {{"rows", v.rows},
       {"seed", v.seed},
       {"index", v.index},
       {"predicted", v.predicted},
       {"actual", v.actual},
       {"residual", v.residual},
       {"mean_residual", v.mean_residual},
       {"sd_residual", v.sd_residual},
       {"min_residual", v.min_residual},
       {"max_residual", v.max_residual},
       {"residual_histogram", v.residual_histogram}};
  detail::finite_or_null(j);
}

}  // namespace glasswing::transparency
