#pragma once
// Performance metrics of PRODUCT.md, with scikit-learn's exact definitions (checked against
// ../shared/tools/metrics_check.py to 1e-9): roc_auc, log_loss, accuracy, balanced_accuracy, f1
// for classification; rmse, mae, r2 for regression. A string-keyed registry gives each metric's
// direction, tasks, inputs and a one-sentence description (the Studio's tooltips).
//
// Conventions: classes are indices 0..K-1 (the engine sorts class labels in byte order, as
// Python sorts strings); probabilities are row-major n x K. A metric that is undefined for the
// data (roc_auc with one class in the truth) returns NaN. Unknown names and inputs of the wrong
// shape throw glasswing::Error (Usage / BadInput) naming the metric and the valid choices.
// All functions are pure and thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::metrics {

enum class Direction { Maximize, Minimize };
enum class TaskKind { Binary, Multiclass, Regression };

struct MetricInfo {
  std::string name;
  Direction direction;
  bool binary, multiclass, regression;  // tasks it applies to
  bool needs_probabilities;             // reads the probabilities (else the hard labels / values)
  std::string description;              // one sentence, for tooltips and reports
};

// Every metric, in PRODUCT.md's order.
const std::vector<MetricInfo>& registry();
// Throws Error(Usage) listing the valid names when `name` is unknown.
const MetricInfo& info(std::string_view name);
// The default metric of a task: roc_auc (binary), log_loss (multiclass), rmse (regression).
std::string_view default_metric(TaskKind task) noexcept;
bool applies(const MetricInfo& metric, TaskKind task) noexcept;

struct Classification {
  std::size_t n_classes = 2;
  std::span<const std::int32_t> y_true;  // class index per row
  std::span<const std::int32_t> y_pred;  // predicted class index per row (hard labels)
  std::span<const double> proba;         // n x n_classes, row-major
  std::int32_t positive = 1;             // the positive class of binary metrics
};

struct Regression {
  std::span<const double> y_true;
  std::span<const double> y_pred;
};

double roc_auc(std::span<const std::int32_t> y_true, std::span<const double> score, std::int32_t positive);
double log_loss(const Classification& data);
double accuracy(std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred);
double balanced_accuracy(std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred);
double f1(std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred, std::int32_t positive);
double rmse(const Regression& data);
double mae(const Regression& data);
double r2(const Regression& data);

// The named metric. For roc_auc the score is the positive class's probability column.
double compute(std::string_view name, const Classification& data);
double compute(std::string_view name, const Regression& data);

// Index of the most probable class per row (first on ties), as predict() does.
std::vector<std::int32_t> argmax_labels(std::span<const double> proba, std::size_t n_classes);

}  // namespace glasswing::metrics
