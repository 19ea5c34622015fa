#pragma once
// Data warnings (panel P4): leakage suspects, ID-like and constant columns, duplicate rows,
// train/test duplicates, heavy missingness, class imbalance, train/test drift per column, and the
// overfitting gap. Plain data over glasswing::data::Table; no I/O.
//
// Every warning has a kind, a severity, the column(s) it is about, one number (`value`, whose
// meaning `value_name` states) and a one-sentence message that names the column and says what
// to do. Thresholds are in WarningOptions; the defaults are documented beside each field.
//
// Methods (all deterministic):
//  - Leakage: the predictive power of each feature alone. Features are binned (numeric: up to 20
//    quantile bins, or one bin per value when there are at most 20 values; categorical: the 20
//    most frequent values plus "other"; missing is a bin of its own). Classification targets:
//    the uncertainty coefficient U = I(bin; target) / H(target) in [0, 1] (1: the feature
//    determines the target), and for binary targets and numeric features with < 10% missing also
//    the single-feature ROC AUC, max(auc, 1 - auc). Regression targets: the correlation ratio
//    eta^2 of the target over the bins and, for numeric features, Pearson r^2; the larger counts.
//  - ID-like: inferred type Id, or an integer/categorical/text column whose non-missing values are
//    (almost) all distinct. Constant: at most one distinct non-missing value (or all missing).
//  - Duplicates: rows are compared by a 64-bit hash of their cells (categorical cells by their
//    text, so tables read separately compare correctly); a collision is vanishingly unlikely.
//  - Drift: population stability index PSI = sum (test% - train%) * ln(test% / train%), shares
//    clipped below at 1e-4. Numeric columns: decile bins whose edges are the train quantiles;
//    categorical columns: the train categories holding >= 1% of train rows (at most 20), plus
//    "other" (rarer or unseen values); missing is a bin of its own. ID-like and constant columns
//    are skipped (a row-unique column always "drifts"). PSI < 0.1: none, < 0.25: moderate
//    (Warning), else major (Critical).
//
// Errors: a `target` that does not exist, is all missing or is constant throws
// glasswing::Error(BadInput) (from data::analyze_target), naming the column. Thread safety: pure
// functions over immutable tables; call from any thread. JSON: to_json for every struct; NaN is null.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "automl/data/table.hpp"

namespace glasswing::transparency {

enum class WarningKind {
  Leakage,
  IdLike,
  Constant,
  DuplicateRows,
  TrainTestDuplicates,
  HeavyMissing,
  ClassImbalance,
  Drift,
  OverfittingGap
};
enum class Severity { Info, Warning, Critical };
std::string_view to_string(WarningKind kind) noexcept;
std::string_view to_string(Severity severity) noexcept;

struct DataWarning {
  WarningKind kind = WarningKind::Leakage;
  Severity severity = Severity::Info;
  std::vector<std::string> columns;  // the columns it is about (empty for whole-table warnings)
  double value = 0.0;
  std::string value_name;  // what `value` measures, e.g. "uncertainty coefficient", "PSI", "share missing"
  std::string message;     // one sentence naming the column and the remedy
};

struct WarningOptions {
  double leakage_u = 0.8;          // uncertainty coefficient at or above which a feature is a leak suspect
  double leakage_auc = 0.98;       // single-feature ROC AUC (binary targets)
  double leakage_r2 = 0.95;        // eta^2 or r^2 (regression targets)
  std::size_t leakage_bins = 20;   // bins (and categories) per feature for the leakage scores
  double id_distinct_share = 0.99; // distinct / non-missing at or above which a column is ID-like
  std::size_t id_min_rows = 20;    // ID-like needs at least this many non-missing values
  double missing_warning = 0.5;    // share missing: Warning at or above
  double missing_critical = 0.9;   //                Critical at or above
  double duplicate_warning = 0.01; // duplicate-row share: Info below, Warning at or above
  double imbalance_warning = 0.2;  // minority / majority class count: Warning below
  double imbalance_critical = 0.05;//                                   Critical below
  double psi_warning = 0.1;        // PSI: Warning at or above
  double psi_critical = 0.25;      //      Critical at or above
  std::size_t drift_bins = 10;     // quantile bins of numeric columns
  double gap_warning = 0.05;       // overfitting gap relative to |CV score|: Warning at or above
  double gap_critical = 0.15;      //                                         Critical at or above
};

// A feature's predictive power alone (every feature, flagged or not: the data panel shows them).
struct FeatureSignal {
  std::string column;
  std::string method;  // "uncertainty coefficient", "roc_auc", "eta^2", "r^2"
  double value = 0.0;
};

// One table with its target: leakage, ID-like, constant, duplicates, missingness, class imbalance.
// Warnings are ordered by kind, then column order. `feature_signals`, when given, receives every
// feature's strongest single-feature score.
std::vector<DataWarning> check_table(const data::Table& table, std::string_view target,
                                     const WarningOptions& options = {},
                                     std::vector<FeatureSignal>* feature_signals = nullptr);

struct DriftBin {
  std::string label;  // "(-inf, 3.5]"-style range, a category, "other" or "missing"
  double train_share = 0.0, test_share = 0.0;
};
struct DriftResult {
  std::string column;
  std::string method;  // "psi quantile bins", "psi categories", or "skipped: ..." with the reason
  double psi = 0.0;    // NaN when skipped
  Severity severity = Severity::Info;  // Info: no drift worth a warning
  std::vector<DriftBin> bins;
};
// Every column present (by name) in both tables, in train's column order.
std::vector<DriftResult> drift(const data::Table& train, const data::Table& test, const WarningOptions& options = {});

// Train against test: test rows duplicating a train row (over the common columns except the
// target) and a Drift warning per drifted column. `drift_out`, when given, receives every
// column's DriftResult.
std::vector<DataWarning> check_train_test(const data::Table& train, const data::Table& test, std::string_view target,
                                          const WarningOptions& options = {},
                                          std::vector<DriftResult>* drift_out = nullptr);

// The gap between the training score and the cross-validated score of a registry metric, in the
// metric's units, positive when training looks better (direction-aware). nullopt when the gap is
// below options.gap_warning relative to |cv_score|. Throws Error(Usage) for an unknown metric.
std::optional<DataWarning> overfitting_gap(std::string_view metric, double train_score, double cv_score,
                                           const WarningOptions& options = {});

void to_json(nlohmann::json& j, const DataWarning& v);
void to_json(nlohmann::json& j, const FeatureSignal& v);
void to_json(nlohmann::json& j, const DriftBin& v);
void to_json(nlohmann::json& j, const DriftResult& v);

}  // namespace glasswing::transparency
