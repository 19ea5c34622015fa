#pragma once
// Performance curves (panel P3) as plain data: ROC, precision-recall and average precision,
// calibration (reliability diagram) and Brier score, the confusion matrix at a threshold and the
// thresholds that maximise F1 and balanced accuracy, lift/gains; one-vs-rest for multiclass;
// residual plots for regression.
//
// Binary inputs: `y_true` holds class indices, `score` the positive class's probability (or any
// score for ROC/PR/lift), `positive` says which index is positive (every other index is
// negative). Points equal scikit-learn 1.2's on the same inputs (checked in tests to 1e-9):
//   roc_curve            sklearn.metrics.roc_curve(drop_intermediate=True); the first threshold is
//                        max(score) + 1, as scikit-learn 1.2 writes it (later versions write inf)
//   pr_curve             sklearn.metrics.precision_recall_curve (recall decreasing, last point (1, 0)
//                        has no threshold)
//   average_precision    sklearn.metrics.average_precision_score
//   calibration_curve    sklearn.calibration.calibration_curve (empty bins are left out)
//   brier_score          sklearn.metrics.brier_score_loss
// A row is predicted positive when score >= threshold (scikit-learn's convention for the
// thresholds above).
//
// Errors: inputs of different lengths, empty inputs, n_bins == 0, a probability outside [0, 1]
// for calibration/Brier throw glasswing::Error(BadInput). Curves that are undefined (ROC with one
// class) are not errors: the rates are NaN and `notice` says why.
// Thread safety: pure functions. JSON: every struct has to_json; non-finite numbers are null.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace glasswing::transparency {

struct RocCurve {
  std::vector<double> fpr, tpr, thresholds;  // same length; thresholds decreasing
  double auc = 0.0;                          // trapezoidal area under (fpr, tpr)
  std::string notice;
};
RocCurve roc_curve(std::span<const std::int32_t> y_true, std::span<const double> score, std::int32_t positive = 1);

struct PrCurve {
  std::vector<double> precision, recall;  // n + 1 points, recall decreasing, ends at (precision 1, recall 0)
  std::vector<double> thresholds;         // n points, increasing
  double average_precision = 0.0;
  double prevalence = 0.0;  // share of positives: the precision of a random ranking (baseline)
  std::string notice;
};
PrCurve pr_curve(std::span<const std::int32_t> y_true, std::span<const double> score, std::int32_t positive = 1);
double average_precision(std::span<const std::int32_t> y_true, std::span<const double> score, std::int32_t positive = 1);

enum class BinStrategy { Uniform, Quantile };
struct CalibrationCurve {
  std::string strategy;              // "uniform" or "quantile"
  std::size_t n_bins = 0;            // bins asked for
  std::vector<double> edges;         // n_bins + 1 edges (quantile edges may repeat)
  std::vector<double> prob_true;     // per non-empty bin: share of positives
  std::vector<double> prob_pred;     // per non-empty bin: mean predicted probability
  std::vector<std::size_t> count;    // per non-empty bin: rows
  double brier = 0.0;
};
CalibrationCurve calibration_curve(std::span<const std::int32_t> y_true, std::span<const double> proba,
                                   std::size_t n_bins = 10, BinStrategy strategy = BinStrategy::Uniform,
                                   std::int32_t positive = 1);
double brier_score(std::span<const std::int32_t> y_true, std::span<const double> proba, std::int32_t positive = 1);

struct ConfusionMatrix {
  double threshold = 0.5;
  // Rows: actual negative, actual positive; columns: predicted negative, predicted positive
  // (sklearn.metrics.confusion_matrix with labels [negative, positive]).
  std::size_t tn = 0, fp = 0, fn = 0, tp = 0;
  double precision = 0.0, recall = 0.0, f1 = 0.0, accuracy = 0.0, balanced_accuracy = 0.0;  // 0 when undefined, as sklearn
};
ConfusionMatrix confusion_at(std::span<const std::int32_t> y_true, std::span<const double> score, double threshold,
                             std::int32_t positive = 1);

// K x K confusion matrix of hard labels (sklearn.metrics.confusion_matrix with labels 0..K-1):
// matrix[actual][predicted]. Throws Error(BadInput) on different lengths or an index outside 0..K-1.
struct MulticlassConfusion {
  std::vector<std::string> labels;               // class names when given, else empty
  std::vector<std::vector<std::size_t>> matrix;  // rows: actual class; columns: predicted class
};
MulticlassConfusion confusion_matrix(std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred,
                                     std::size_t n_classes, const std::vector<std::string>& labels = {});

struct ThresholdChoice {
  std::string criterion;  // "f1" or "balanced_accuracy"
  double threshold = 0.0; // among the distinct scores; the highest on ties
  double value = 0.0;     // the criterion at that threshold
};
// The thresholds (among the distinct scores) that maximise F1 and balanced accuracy.
std::vector<ThresholdChoice> best_thresholds(std::span<const std::int32_t> y_true, std::span<const double> score,
                                             std::int32_t positive = 1);

struct GainsBin {
  double population = 0.0;   // cumulative share of rows, highest scores first, in (0, 1]
  double gain = 0.0;         // cumulative share of all positives captured
  double lift = 0.0;         // gain / population (1 = random)
  double bin_lift = 0.0;     // positive rate in this bin / overall positive rate
  double min_score = 0.0;    // lowest score in the bin
};
// Rows ranked by score, highest first (ties: input order), cut into n_bins near-equal bins.
std::vector<GainsBin> lift_gains(std::span<const std::int32_t> y_true, std::span<const double> score,
                                 std::size_t n_bins = 10, std::int32_t positive = 1);

struct BinaryCurves {
  std::int32_t positive = 1;
  std::string label;  // the positive class's name, when known
  std::size_t positives = 0, negatives = 0;
  RocCurve roc;
  PrCurve pr;
  CalibrationCurve calibration;
  ConfusionMatrix confusion;           // at `threshold`
  std::vector<ThresholdChoice> best;   // F1 and balanced accuracy
  std::vector<GainsBin> gains;
};
struct CurveOptions {
  double threshold = 0.5;
  std::size_t calibration_bins = 10;
  BinStrategy calibration_strategy = BinStrategy::Uniform;
  std::size_t gains_bins = 10;
};
BinaryCurves binary_curves(std::span<const std::int32_t> y_true, std::span<const double> proba_positive,
                           std::int32_t positive = 1, const CurveOptions& options = {});
// One-vs-rest: class k against all others, scored by column k of the n x K row-major `proba`.
// `labels` (optional, K names) fill BinaryCurves::label.
std::vector<BinaryCurves> one_vs_rest(std::span<const std::int32_t> y_true, std::span<const double> proba,
                                      std::size_t n_classes, const std::vector<std::string>& labels = {},
                                      const CurveOptions& options = {});

struct HistogramBin {
  double low = 0.0, high = 0.0;  // [low, high); the last bin includes high
  std::size_t count = 0;
};
struct RegressionPlots {
  std::size_t rows = 0;
  // Plot points: a seeded random subsample of at most max_points rows, in row order.
  std::vector<std::size_t> index;
  std::vector<double> predicted, actual, residual;  // residual = actual - predicted
  // Statistics over all rows.
  double mean_residual = 0.0, sd_residual = 0.0;  // sd: population (n)
  double min_residual = 0.0, max_residual = 0.0;
  std::vector<HistogramBin> residual_histogram;  // equal-width bins over all residuals
  std::uint64_t seed = 0;
};
struct RegressionPlotOptions {
  std::size_t max_points = 2000;
  std::size_t histogram_bins = 30;
  std::uint64_t seed = 0;
};
// Throws Error(BadInput) on different lengths or a non-finite value.
RegressionPlots regression_plots(std::span<const double> y_true, std::span<const double> y_pred,
                                 const RegressionPlotOptions& options = {});

void to_json(nlohmann::json& j, const RocCurve& v);
void to_json(nlohmann::json& j, const PrCurve& v);
void to_json(nlohmann::json& j, const CalibrationCurve& v);
void to_json(nlohmann::json& j, const ConfusionMatrix& v);
void to_json(nlohmann::json& j, const MulticlassConfusion& v);
void to_json(nlohmann::json& j, const ThresholdChoice& v);
void to_json(nlohmann::json& j, const GainsBin& v);
void to_json(nlohmann::json& j, const BinaryCurves& v);
void to_json(nlohmann::json& j, const HistogramBin& v);
void to_json(nlohmann::json& j, const RegressionPlots& v);

}  // namespace glasswing::transparency
