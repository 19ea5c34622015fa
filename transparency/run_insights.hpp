#pragma once
// A finished run's transparency content as one data model (panels P1-P10 of PRODUCT.md), read
// from its run directory: the input of the HTML report (report_html.hpp) and, later, the Studio.
//
// load_run_insights(run_dir, options) reads RUN_DIR/run.json, leaderboard.json, the model bundle
// (model/), the out-of-fold predictions (oof/trial_N.csv), the search store named in run.json
// (settings.storage, normally sqlite RUN_DIR/search.db), and re-reads the train (and test) CSV
// named in run.json. It then computes every section as plain data:
//   P1 leaderboard (CV mean, sd, per-fold summary, test score, fit/predict time; the constant and
//      linear baselines marked)           P2 metrics with percentile-bootstrap 95% intervals on the
//      test set, or on the chosen candidate's out-of-fold predictions when the run had no test set
//      (`evaluated_on` says which)        P3 curves (binary; multiclass one-vs-rest + confusion
//      matrix; regression residuals)      P4 data profile and warnings (leakage, ID-like,
//      constant, duplicates, missingness, imbalance, train/test duplicates and drift, overfitting
//      gap)                               P5 the bundle's feature pipeline (column, step, reason)
//   P6/P7 the search's trials (table, best so far, failed trials with reasons)
//   P8 explanations (permutation importance by original column, SHAP global + one row for
//      XGBoost, PDP/ICE of the top columns, linear coefficients, the model's own importance)
//   P9 fairness by InsightOptions::fairness_column       P10 the model card.
// Expensive parts run on seeded row samples whose sizes are recorded (InsightOptions).
//
// Errors: a run directory that is missing, has no run.json, a foreign or damaged run.json, no
// leaderboard.json or no model/ throws glasswing::Error(BadInput) naming exactly what is missing
// and the remedy; a damaged bundle is BadInput from engine::load_bundle. Gaps the report must
// survive are notices, never exceptions: a data file that moved or changed (sha256), a fairness
// column that does not exist, a single-class test set (undefined metrics), an unreadable search
// store, a model family without SHAP.
// Thread safety: load_run_insights is re-entrant (no globals); the result is plain data.
// JSON: to_json(RunInsights) gives one document with one member per section; NaN is null.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/data/profile.hpp"
#include "automl/features/pipeline.hpp"
#include "transparency/curves.hpp"
#include "transparency/explain.hpp"
#include "transparency/fairness.hpp"
#include "transparency/metrics_ci.hpp"
#include "transparency/search_analysis.hpp"
#include "transparency/warnings.hpp"

namespace glasswing::transparency {

struct InsightOptions {
  std::string fairness_column;              // empty: no fairness section (a notice says how to ask)
  std::optional<std::uint64_t> seed;        // none: the run's seed
  std::size_t bootstrap_resamples = 1000;
  std::size_t bootstrap_max_rows = 5000;    // evaluation rows resampled (seeded sample beyond)
  std::size_t permutation_rows = 2000;
  std::size_t permutation_repeats = 5;
  std::size_t shap_rows = 300;             // TreeSHAP is the costly part (trees x leaves x depth^2 per row)
  std::size_t pdp_columns = 3;              // top columns by permutation importance
  std::size_t ice_rows = 50;
  std::size_t data_max_rows = 20000;        // profile, warnings and drift rows (seeded sample beyond)
  std::size_t fit_check_rows = 5000;        // training rows re-scored for the overfitting gap
};

struct LeaderboardEntry {
  int rank = 0;
  std::int64_t trial = 0;
  std::string family;
  std::string params;  // compact JSON of the family's hyperparameters
  double cv_mean = 0.0, cv_sd = 0.0;
  FoldSummary folds;
  std::optional<double> test_score;
  double fit_s = 0.0, predict_s = 0.0;
  bool baseline = false;  // constant or linear family
  bool chosen = false;    // the exported model
};

struct LeaderboardSection {
  std::string metric, direction;
  std::vector<LeaderboardEntry> rows;  // best first
  std::vector<std::string> notices;
};

struct MetricsSection {
  bool available = false;
  std::string evaluated_on;  // "test set" | "out-of-fold predictions of trial N" | ""
  std::size_t rows = 0;      // evaluation rows
  std::size_t rows_resampled = 0;
  BootstrapOptions bootstrap;
  std::vector<MetricInterval> intervals;
  // Every applicable metric per cross-validation fold of the chosen candidate, from its
  // out-of-fold predictions and the run's fold assignment (oof/folds.csv), aggregated.
  std::vector<FoldSummary> per_fold;
  std::string per_fold_of;  // "trial N", or empty with a notice saying why not
  std::vector<std::string> notices;
};

struct CurvesSection {
  bool available = false;
  std::vector<BinaryCurves> binary;            // binary: one; multiclass: one per class (one vs rest)
  std::optional<MulticlassConfusion> confusion;  // classification
  std::optional<RegressionPlots> regression;
  std::vector<std::string> notices;
};

struct DataSection {
  bool available = false;
  std::string path;
  std::size_t rows = 0, columns = 0;
  std::size_t rows_analyzed = 0;
  std::vector<data::ColumnProfile> profiles;
  std::vector<DataWarning> warnings;  // table, train/test and overfitting warnings
  std::vector<FeatureSignal> feature_signals;  // each column's predictive power alone
  std::vector<DriftResult> drift;     // with a test set
  std::vector<std::string> notices;
};

struct PipelineSection {
  std::vector<features::StepRecord> steps;
  std::vector<features::FeatureInfo> features;
  std::size_t input_columns = 0;
};

struct SearchTrial {
  std::int64_t number = 0;
  std::string state;  // COMPLETE | FAIL | PRUNED | RUNNING | WAITING
  std::string family;
  double value = 0.0;     // NaN unless COMPLETE
  double duration_s = 0.0;  // NaN when unknown
  std::string params;     // compact JSON
  std::string fail_reason;
};

struct SearchSection {
  bool available = false;
  std::string storage, study, direction;
  std::vector<SearchTrial> trials;      // by number
  std::vector<double> best_so_far;   // per trial, the best COMPLETE value up to it (NaN before any)
  std::size_t complete = 0, failed = 0, pruned = 0;
  std::optional<SearchAnalysis> analysis;  // best so far, problems, fANOVA importance (P7)
  std::vector<std::string> notices;
};

struct ExplainSection {
  bool available = false;
  std::string evaluated_on;
  std::size_t rows = 0;
  std::optional<PermutationReport> permutation;
  std::optional<ShapSummary> shap;
  std::optional<ShapLocal> shap_local;
  std::vector<PdpCurve> pdp;
  std::optional<ImportanceMap> model_importance;  // the trainer's own (gain, |coefficient|, ...)
  std::optional<ImportanceMap> linear;              // |coefficient| by original column
  std::optional<LinearCoefficients> coefficients;   // signed, per feature and output
  std::vector<std::string> notices;
};

struct FairnessSection {
  bool requested = false;
  std::string evaluated_on;
  std::optional<FairnessReport> report;
  std::vector<std::string> notices;
};

// The evaluation rows behind P2 and P9 of a classification run (the test set, else the chosen
// candidate's out-of-fold rows), kept so that fairness by another column needs no new load.
struct EvaluationRows {
  std::string label;                 // as MetricsSection::evaluated_on
  data::Table table;                 // the rows' data
  std::vector<std::int32_t> y_true;  // class indices
  std::vector<std::int32_t> y_pred;  // the model's classes (argmax)
};

struct ModelCard {
  std::string model;          // "xgboost (trial 5)"
  std::string intended_use;
  std::vector<std::string> data;         // lines
  std::vector<std::string> metrics;      // lines, with intervals
  std::vector<std::string> limitations;  // lines
  std::vector<std::string> warnings;     // the data warnings' messages (Warning and Critical)
  std::vector<std::pair<std::string, std::string>> versions;
  std::uint64_t seed = 0;
};

struct RunInsights {
  std::filesystem::path run_dir;
  nlohmann::json run;  // run.json as written by the engine
  std::string task, target, metric, direction, family;
  std::vector<std::string> classes;
  std::uint64_t seed = 0;
  std::vector<std::string> notices;  // whole-run notices (moved or changed data files, ...)
  LeaderboardSection leaderboard;    // P1
  MetricsSection metrics;            // P2
  CurvesSection curves;              // P3
  DataSection data;                  // P4
  PipelineSection pipeline;          // P5
  SearchSection search;              // P6, P7
  ExplainSection explanations;       // P8
  FairnessSection fairness;          // P9
  ModelCard card;                    // P10
  std::shared_ptr<const EvaluationRows> evaluation;  // classification with evaluation rows; else null
  double seconds = 0.0;              // time taken to compute all of this
  std::vector<std::pair<std::string, double>> timings;  // seconds per step, in order
};

RunInsights load_run_insights(const std::filesystem::path& run_dir, const InsightOptions& options = {});

// P9 by `column` from the evaluation rows `insights` kept: the same section (numbers and notices)
// load_run_insights gives with InsightOptions::fairness_column = column, without running the
// model again (the Studio's column chooser). Never throws for a bad column: notices say why.
FairnessSection fairness_for(const RunInsights& insights, const std::string& column);

void to_json(nlohmann::json& j, const RunInsights& v);

}  // namespace glasswing::transparency
