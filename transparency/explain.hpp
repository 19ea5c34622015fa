#pragma once
// Explanations (panel P5) as plain data: permutation importance with its spread over repeats,
// SHAP from tree models (XGBoost's native contributions: global mean |SHAP|, beeswarm points,
// one row's waterfall), partial dependence (PDP) and individual conditional expectation (ICE)
// curves, linear coefficients, and any per-feature importance mapped back to the original
// columns through the feature pipeline's provenance.
//
// Matrices are the trainers' input: dense row-major float, NaN = missing (backend::MatrixView).
// Labels `y` are as the trainers take them: class index 0..k-1 stored as float for
// classification, the value for regression. A model is either a backend::Trainer or a
// PredictFn (any function from a matrix to a backend::Prediction: regression one column of
// values, classification one probability column per class), so everything here can be tested
// without a real model.
//
// Feature groups: a FeatureGroup names a set of matrix columns that belong together — normally
// one original column and every feature made from it (groups_by_source: a one-hot column's
// indicators, its missing indicator, date parts, generated ratios). A generated feature made
// from several columns (a/b) belongs to each of their groups; where importances are summed per
// column (map_importance, SHAP per column) its share is split equally among its sources, so the
// column totals add up to the feature total; permutation by group permutes it with each source.
//
// Randomness: every seeded choice (permutations, row samples) uses std::mt19937_64 with our own
// Fisher–Yates / selection code (no std::shuffle or std distributions, whose output differs
// between standard libraries), so results are identical for the same inputs, seed and build.
//
// Errors: shapes that disagree (rows of x vs y, feature names vs columns, a feature index out of
// range, a row out of range), an unknown metric or one that does not apply to the task, repeats
// == 0, a trainer without SHAP support for the SHAP functions, or a non-linear trainer for
// linear_coefficients throw glasswing::Error (BadInput / Usage). Gaps the report must survive
// (a metric undefined on the evaluation rows, a constant feature with a one-point grid,
// subsampling) are notices in the result.
// Thread safety: pure functions; a Trainer's const members may run concurrently (trainer.hpp).
// JSON: every result struct has to_json (nlohmann ADL); non-finite numbers serialise as null.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "automl/metrics/metrics.hpp"
#include "backend/trainer.hpp"

namespace glasswing::features {
class Pipeline;
}

namespace glasswing::transparency {

using PredictFn = std::function<backend::Prediction(backend::MatrixView)>;

// Matrix columns that belong together (normally one original column and its encodings).
struct FeatureGroup {
  std::string name;
  std::vector<std::size_t> features;  // matrix column indices, increasing
};

// One group per original column of the fitted pipeline (Pipeline::features_by_source), in
// column-name order.
std::vector<FeatureGroup> groups_by_source(const features::Pipeline& pipeline);
// The pipeline's output feature names, one per matrix column.
std::vector<std::string> feature_names(const features::Pipeline& pipeline);

// ---- Importance mapped to original columns ---------------------------------------------------

struct FeatureImportance {
  std::string feature;
  std::size_t index = 0;  // matrix column
  double value = 0.0;
};

struct ColumnImportance {
  std::string column;
  double value = 0.0;                  // sum of its features' values (shared features: their share)
  std::vector<std::string> features;   // contributing encoded features, largest first
  std::vector<double> feature_values;  // each one's full value (before any sharing), same order
};

struct ImportanceMap {
  std::string kind;                         // e.g. "gain", "abs_coefficient", "mean_abs_shap"
  std::vector<FeatureImportance> features;  // every feature, largest first (ties: index order)
  std::vector<ColumnImportance> columns;    // every group, largest first (ties: name order)
  std::vector<std::string> notices;         // shared features, features in no group
};

// `values` is one number per matrix column (NaN is left out of the sums and listed as NaN);
// `names` the same length (empty: "f0", "f1", ...). `groups` may be empty: then every feature is
// its own column. A feature in no group becomes a column of its own, with a notice.
ImportanceMap map_importance(std::string kind, std::span<const double> values, std::span<const std::string> names,
                             std::span<const FeatureGroup> groups);

// ---- Linear coefficients ---------------------------------------------------------------------
// The `linear` trainer's coefficients (backend::Trainer::linear_weights), per one standard
// deviation of each encoded feature (the trainer standardises its inputs), so sizes compare
// across features. linear_coefficients: |coefficient| summed over the outputs, mapped to the
// original columns (for ranking columns). signed_linear_coefficients: the signed value of every
// feature per output (regression: target units; binary: log-odds of the second class;
// multiclass: one softmax logit per class, which are defined only up to a shared shift, so
// compare a feature's values between classes, not their level), with the original column of each
// feature and its raw-unit value (per unit of the encoded feature). A trainer without linear
// weights: Error(Usage).
ImportanceMap linear_coefficients(const backend::Trainer& trainer, std::span<const std::string> names,
                                  std::span<const FeatureGroup> groups);

struct SignedCoefficient {
  std::string feature;
  std::string column;      // the original column (empty when the feature is in no group)
  std::size_t index = 0;   // matrix column
  double value = 0.0;      // per one standard deviation of the feature
  double raw = 0.0;        // per unit of the encoded feature (value / its standard deviation)
};

struct CoefficientSet {
  std::string output;      // "value" | "log-odds of '<class>'" | "logit of '<class>'"
  double intercept = 0.0;  // the output at the mean of every feature
  std::vector<SignedCoefficient> coefficients;  // every feature, largest |value| first (ties: index)
};

struct LinearCoefficients {
  std::string units;       // what one value means, in words
  std::vector<CoefficientSet> outputs;
  std::vector<std::string> notices;
};

// `classes`: the class labels (binary: 2, multiclass: one per output); empty for regression.
LinearCoefficients signed_linear_coefficients(const backend::Trainer& trainer, std::span<const std::string> names,
                                              std::span<const FeatureGroup> groups,
                                              std::span<const std::string> classes);

// ---- Permutation importance ------------------------------------------------------------------
// Importance of a group = quality lost when its columns are permuted (the same row permutation
// for every column of the group, so encoded columns stay consistent): baseline score minus the
// permuted score for a metric to maximise, permuted minus baseline for one to minimise
// (scikit-learn's permutation_importance with its greater-is-better scorers). Positive = the
// model relies on it; about 0 = unused; negative = noise. `mean` and `sd` are over the repeats
// (sd with ddof = 0, as scikit-learn's importances_std); repeats whose permuted score is NaN are
// left out and counted. Rows beyond max_rows are subsampled (seeded) once for all repeats.

struct PermutationOptions {
  std::string metric;                          // registry name; empty = the task's default metric
  metrics::TaskKind task = metrics::TaskKind::Binary;
  std::size_t repeats = 5;
  std::uint64_t seed = 0;
  std::size_t max_rows = 10000;                // 0 = all rows
  std::int32_t positive = 1;                   // binary metrics' positive class
  std::vector<FeatureGroup> groups;            // empty: one group per matrix column
  std::vector<std::string> feature_names;      // for ungrouped names; empty: "f0", "f1", ...
};

struct PermutationItem {
  std::string name;                   // the group (original column) or feature
  std::vector<std::size_t> features;  // matrix columns permuted together
  double mean = 0.0;                  // mean drop; NaN when every repeat was undefined
  double sd = 0.0;                    // ddof = 0
  std::vector<double> drops;          // one per repeat (NaN = undefined)
  std::size_t undefined = 0;          // repeats with a NaN score
};

struct PermutationReport {
  std::string metric;
  std::string direction;   // "maximize" | "minimize"
  double baseline = 0.0;   // the metric on the unpermuted rows
  std::size_t repeats = 0;
  std::uint64_t seed = 0;
  std::size_t rows = 0;    // rows scored (after subsampling)
  bool grouped = false;
  bool available = false;  // false: baseline undefined, see notices
  std::vector<PermutationItem> items;  // largest mean first (NaN last; ties: input order)
  std::vector<std::string> notices;
};

PermutationReport permutation_importance(const PredictFn& predict, backend::MatrixView x, std::span<const float> y,
                                         const PermutationOptions& options);
PermutationReport permutation_importance(const backend::Trainer& trainer, backend::MatrixView x,
                                         std::span<const float> y, const PermutationOptions& options);

// ---- SHAP ------------------------------------------------------------------------------------
// From Trainer::shap_contributions (XGBoost's native TreeSHAP, margin units: log-odds for
// binary, per-class raw scores for multiclass, label units for squared-error regression).
// Binary and regression have one output ("class" -1 in the results below); multiclass one per
// class (0..k-1).

struct ShapOptions {
  std::size_t beeswarm_features = 20;   // top features (by mean |SHAP|) that get beeswarm points
  std::size_t beeswarm_points = 500;    // rows per beeswarm feature (seeded sample; all if fewer)
  std::uint64_t seed = 0;
  std::size_t max_rows = 5000;          // rows explained for the global summary (seeded sample)
};

struct BeeswarmFeature {
  std::string feature;
  std::size_t index = 0;
  std::vector<double> value;  // feature value (NaN = missing → null)
  std::vector<double> shap;   // same length
};

struct ShapGlobal {
  int output_class = -1;            // -1: the single output (binary: class 1's log-odds)
  double base_value = 0.0;          // the bias (expected margin), same for every row
  ImportanceMap importance;         // kind "mean_abs_shap": per feature, and per column (see below)
  std::vector<BeeswarmFeature> beeswarm;  // top features, largest mean |SHAP| first
};

// Per column: the mean over rows of |sum of the column's features' SHAP values in that row|
// (SHAP is additive, so this is the column's own SHAP value; shared features count by their
// share). ImportanceMap::columns[].feature_values hold each feature's mean |SHAP|.
struct ShapSummary {
  std::size_t rows = 0;        // rows explained
  std::size_t features = 0;
  std::string units;           // "log-odds" | "margin" | "label"
  std::vector<ShapGlobal> outputs;  // one (binary, regression) or one per class
  std::vector<std::string> notices;
};

ShapSummary shap_summary(const backend::Trainer& trainer, backend::MatrixView x, std::span<const std::string> names,
                         std::span<const FeatureGroup> groups, const ShapOptions& options = {});

struct WaterfallStep {
  std::string feature;
  std::size_t index = 0;
  double value = 0.0;  // the feature's value in the row (NaN = missing)
  double shap = 0.0;
};

struct Waterfall {
  int output_class = -1;
  double base_value = 0.0;
  std::vector<WaterfallStep> steps;  // every feature with a non-zero contribution, largest |shap| first
  double margin = 0.0;               // base_value + sum of all contributions
};

struct ShapLocal {
  std::size_t row = 0;
  std::string units;
  std::vector<Waterfall> outputs;    // one, or one per class
  // The additivity check: the model's own prediction against the one implied by the margins
  // (sigmoid for binary, softmax over the classes for multiclass, identity for regression).
  std::vector<double> model_output;      // predict(): probabilities per class, or the value
  std::vector<double> output_from_shap;  // the same from base + sum
  double model_margin = 0.0;             // binary: logit(P(1)) of predict(); regression: the value; multiclass NaN
  double additivity_error = 0.0;         // max |model_output - output_from_shap|
  bool additive = false;                 // additivity_error <= 1e-4
};

ShapLocal shap_local(const backend::Trainer& trainer, backend::MatrixView x, std::size_t row,
                     std::span<const std::string> names);

// ---- PDP and ICE -----------------------------------------------------------------------------
// For each requested feature: a grid, the model output on copies of the sampled rows with the
// feature set to each grid value (ICE, one curve per row), and the PDP = the mean of the ICE
// curves at each grid point. Output: regression the value; binary P(positive); multiclass the
// probability of `output_class` (-1 = every class: one PDP and one set of ICE curves per class).
// Numeric grid: numpy linear quantiles of the
// feature's non-missing values at grid_points evenly spaced levels in [grid_low, grid_high],
// duplicates removed; a feature with at most max_categories distinct values uses those values.
// One-hot groups (every feature of the group made by the pipeline's one_hot step) can be given
// as categorical features: the grid is the categories, each set as 1 with the others 0.
// Note: generated features (a/b) computed from a feature are not updated when it is varied.

struct PdpOptions {
  std::size_t grid_points = 20;
  double grid_low = 0.05, grid_high = 0.95;  // quantile range of the numeric grid
  std::size_t max_categories = 12;
  std::size_t ice_rows = 100;                // seeded sample of rows; all when fewer
  std::uint64_t seed = 0;
  int output_class = -1;                     // classification: -1 = the positive class (binary) / every class
  std::int32_t positive = 1;
};

struct PdpCurve {
  std::string feature;
  std::vector<std::size_t> features;   // the matrix column (or a one-hot group's columns)
  std::string kind;                    // "numeric" | "categorical" | "one_hot"
  std::vector<double> grid;            // values (one_hot: 0..categories-1)
  std::vector<std::string> grid_labels;  // categories for one_hot, else the values as text
  std::vector<std::string> outputs;    // what each pdp row is: "value", "P(class 1)", ...
  std::vector<std::vector<double>> pdp;  // per output, one value per grid point
  std::vector<std::vector<std::vector<double>>> ice;  // per output, per sampled row, per grid point
  std::vector<std::size_t> ice_rows;   // the sampled rows of x
  std::string notice;
};

struct PdpTarget {
  std::string name;                    // feature or column name
  std::vector<std::size_t> features;   // one matrix column, or a one-hot group's columns
  std::vector<std::string> categories; // one_hot only: one label per column
};

// Plain features by index (names as given, or "f<i>").
std::vector<PdpTarget> pdp_targets(std::span<const std::size_t> features, std::span<const std::string> names);
// The k features with the largest importance (NaN last), as targets.
std::vector<std::size_t> top_features(std::span<const double> importance, std::size_t k);
// A one-hot column of the pipeline as one categorical target; empty features when the column is
// not one-hot encoded.
PdpTarget one_hot_target(const features::Pipeline& pipeline, const std::string& column);

std::vector<PdpCurve> partial_dependence(const PredictFn& predict, backend::MatrixView x,
                                         std::span<const PdpTarget> targets, const PdpOptions& options = {});
std::vector<PdpCurve> partial_dependence(const backend::Trainer& trainer, backend::MatrixView x,
                                         std::span<const PdpTarget> targets, const PdpOptions& options = {});

// ---- JSON ------------------------------------------------------------------------------------
void to_json(nlohmann::json& j, const FeatureGroup& v);
void to_json(nlohmann::json& j, const FeatureImportance& v);
void to_json(nlohmann::json& j, const ColumnImportance& v);
void to_json(nlohmann::json& j, const ImportanceMap& v);
void to_json(nlohmann::json& j, const SignedCoefficient& v);
void to_json(nlohmann::json& j, const CoefficientSet& v);
void to_json(nlohmann::json& j, const LinearCoefficients& v);
void to_json(nlohmann::json& j, const PermutationItem& v);
void to_json(nlohmann::json& j, const PermutationReport& v);
void to_json(nlohmann::json& j, const BeeswarmFeature& v);
void to_json(nlohmann::json& j, const ShapGlobal& v);
void to_json(nlohmann::json& j, const ShapSummary& v);
void to_json(nlohmann::json& j, const WaterfallStep& v);
void to_json(nlohmann::json& j, const Waterfall& v);
void to_json(nlohmann::json& j, const ShapLocal& v);
void to_json(nlohmann::json& j, const PdpCurve& v);

}  // namespace glasswing::transparency
