#include "automl/engine/run.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/data/profile.hpp"
#include "automl/engine/bundle.hpp"
#include "automl/engine/ensemble.hpp"
#include "automl/engine/validation.hpp"
#include "automl/features/pipeline.hpp"
#include "automl/metrics/metrics.hpp"
#include "automl/search/pruner.hpp"
#include "automl/search/storage_registry.hpp"
#include "automl/search/study.hpp"
#include "backend/registry.hpp"
#include "glasswing/common/version.hpp"

namespace glasswing::engine {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using search::Json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kDefaultSearchName = "glasswing-run";
constexpr int kDefaultMaxTrials = 30;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// ---- The prepared training data ------------------------------------------------------------

struct Prepared {
  data::Table table;
  std::string target;
  std::string task;  // binary|multiclass|regression
  std::vector<std::string> classes;
  std::vector<std::size_t> rows;   // table rows with a target (the run's row i is table row rows[i])
  std::vector<float> y;            // per run row: class index or value
  std::vector<std::int32_t> y_class;
  std::vector<double> y_value;
  std::size_t dropped = 0;
  std::size_t outputs() const { return classes.empty() ? 1 : classes.size(); }
  bool classification() const { return !classes.empty(); }
};

features::TargetKind target_kind(const std::string& task) {
  return task == "binary" ? features::TargetKind::Binary
         : task == "multiclass" ? features::TargetKind::Multiclass
                                : features::TargetKind::Regression;
}
backend::Task backend_task(const std::string& task) {
  return task == "binary" ? backend::Task::Binary : task == "multiclass" ? backend::Task::Multiclass : backend::Task::Regression;
}
metrics::TaskKind metric_task(const std::string& task) {
  return task == "binary" ? metrics::TaskKind::Binary
         : task == "multiclass" ? metrics::TaskKind::Multiclass
                                : metrics::TaskKind::Regression;
}

Prepared prepare(data::Table table, const std::string& target, const std::string& task_setting, IssueLog& issues) {
  Prepared p;
  const data::TargetSummary summary = data::analyze_target(table, target);
  const data::Column& col = *table.find(target);
  std::string task = task_setting == "auto" ? std::string(data::to_string(summary.task)) : task_setting;
  if (task_setting != "auto" && task_setting != "binary" && task_setting != "multiclass" && task_setting != "regression")
    throw Error(ErrorKind::Usage, "unknown --task '" + task_setting + "'; valid: auto, binary, multiclass, regression");
  for (std::size_t r = 0; r < table.rows(); ++r)
    if (!col.is_missing(r)) p.rows.push_back(r);
  p.dropped = table.rows() - p.rows.size();
  if (p.dropped > 0)
    issues.add(Severity::Warning, "target",
               std::to_string(p.dropped) + " rows have no value in target '" + target + "' and were dropped");
  if (task == "regression") {
    if (!col.is_numeric())
      throw Error(ErrorKind::BadInput, "target '" + target + "' is not numeric, so it cannot be a regression target; use --task auto");
    for (const std::size_t r : p.rows) {
      const double v = col.values()[r];
      if (!std::isfinite(v)) throw Error(ErrorKind::BadInput, "target '" + target + "' has a non-finite value in data row " + std::to_string(r + 1));
      p.y_value.push_back(v);
      p.y.push_back(static_cast<float>(v));
    }
  } else {
    std::set<std::string> labels;
    for (const std::size_t r : p.rows) labels.insert(col.cell_text(r));
    p.classes.assign(labels.begin(), labels.end());  // byte order, as Python sorts strings
    if (p.classes.size() < 2)
      throw Error(ErrorKind::BadInput, "target '" + target + "' has a single class; a model cannot learn a constant");
    if (task == "binary" && p.classes.size() != 2)
      throw Error(ErrorKind::Usage, "--task binary but target '" + target + "' has " + std::to_string(p.classes.size()) +
                                        " classes; use --task multiclass or auto");
    if (task == "multiclass" && p.classes.size() > 200)
      throw Error(ErrorKind::BadInput, "target '" + target + "' has " + std::to_string(p.classes.size()) +
                                           " distinct values, too many classes; use --task regression");
    if (task == "multiclass" && p.classes.size() == 2) {
      task = "binary";
      issues.add(Severity::Warning, "target", "--task multiclass but target '" + target + "' has 2 classes: run as binary");
    }
    std::map<std::string, std::int32_t> index;
    for (const auto& c : p.classes) index.emplace(c, static_cast<std::int32_t>(index.size()));
    for (const std::size_t r : p.rows) {
      const std::int32_t k = index[col.cell_text(r)];
      p.y_class.push_back(k);
      p.y.push_back(static_cast<float>(k));
    }
  }
  p.task = task;
  p.target = target;
  p.table = std::move(table);
  return p;
}

// ---- Scoring ----------------------------------------------------------------------------------

// `pred`: positions.size() x outputs.
double score_rows(const Prepared& p, const std::string& metric, std::span<const std::size_t> positions,
                  const std::vector<double>& pred) {
  if (p.classification()) {
    std::vector<std::int32_t> truth;
    truth.reserve(positions.size());
    for (const std::size_t i : positions) truth.push_back(p.y_class[i]);
    const auto labels = metrics::argmax_labels(pred, p.outputs());
    return metrics::compute(metric, metrics::Classification{p.outputs(), truth, labels, pred, 1});
  }
  std::vector<double> truth;
  truth.reserve(positions.size());
  for (const std::size_t i : positions) truth.push_back(p.y_value[i]);
  return metrics::compute(metric, metrics::Regression{truth, pred});
}

// ---- Families and their search spaces ---------------------------------------------------------

bool family_scaled(const std::string& family) { return family == "linear" || family == "mlp"; }

// ---- Feature-step choices: part of each family's space where they can change its features ----
// Categorical params "<family>.features.<step>", stored with the trial like the hyperparameters
// (so Python Optuna reads them and --resume / a worker rebuild the trial's pipeline). The first
// choice of each is the pipeline as it was before the choices were searched: the enqueued
// defaults use it, and a trial without the param (an earlier search) gets it too.
const std::vector<std::string> kEncodingChoices{"target+frequency", "target", "frequency"};
const std::vector<std::string> kScalingChoices{"standard", "robust"};
const std::vector<std::string> kOffOn{"off", "on"};
const std::vector<std::string> kOnOff{"on", "off"};

std::string feature_param(const std::string& family, const char* step) { return family + ".features." + step; }

// The feature steps searched for a family on data with these traits, with their choices.
std::vector<std::pair<std::string, const std::vector<std::string>*>> feature_space(const std::string& family,
                                                                                   const features::DataTraits& d) {
  std::vector<std::pair<std::string, const std::vector<std::string>*>> space;
  if (family == "constant") return space;
  // High-cardinality categoricals: target encoding, frequency encoding or both.
  if (d.high_cardinality) space.emplace_back("encoding", &kEncodingChoices);
  // Ratios and differences of the strongest numeric pairs.
  if (d.numeric >= 2) space.emplace_back("generated", &kOffOn);
  if (family_scaled(family)) {
    // Missing-value indicators matter where numbers are imputed (trees take NaN natively).
    if (d.missing_numbers) space.emplace_back("missing_indicators", &kOnOff);
    space.emplace_back("scaling", &kScalingChoices);
  }
  return space;
}

// A trial's choice of a feature step (the first choice when absent).
std::string feature_choice(const std::map<std::string, Json>& params, const std::string& family, const char* step,
                           const std::vector<std::string>& choices) {
  const auto it = params.find(feature_param(family, step));
  return it != params.end() && it->second.is_string() ? it->second.get<std::string>() : choices.front();
}

// The feature pipeline of a family with a trial's feature-step choices.
features::PipelineOptions pipeline_options(const std::string& family, const std::map<std::string, Json>& params,
                                           std::uint64_t seed) {
  features::PipelineOptions o;
  o.seed = seed;
  if (family == "constant") return o;
  const std::string enc = feature_choice(params, family, "encoding", kEncodingChoices);
  o.high_cardinality = enc == "target"      ? features::HighCardinality::Target
                       : enc == "frequency" ? features::HighCardinality::Frequency
                                            : features::HighCardinality::TargetAndFrequency;
  o.generated = feature_choice(params, family, "generated", kOffOn) == "on";
  if (family_scaled(family)) {
    o.impute = true;
    o.scale = true;
    o.missing_indicators = feature_choice(params, family, "missing_indicators", kOnOff) == "on";
    o.robust_scale = feature_choice(params, family, "scaling", kScalingChoices) == "robust";
  }
  return o;
}

// A key naming a pipeline (its options that the search varies), for the per-fold cache.
std::string pipeline_key(const features::PipelineOptions& o) {
  return std::to_string(static_cast<int>(o.high_cardinality)) + (o.generated ? "g" : "-") + (o.impute ? "i" : "-") +
         (o.missing_indicators ? "m" : "-") + (o.scale ? (o.robust_scale ? "r" : "s") : "-");
}

// The backend trainer of a family ("xgboost_rf" is XGBoost in random-forest mode).
std::string trainer_of(const std::string& family) { return family == "xgboost_rf" ? std::string("xgboost") : family; }

// The params a family fixes (not searched).
void add_fixed_params(const std::string& family, backend::Params& p) {
  if (family == "xgboost") {
    p["early_stopping_rounds"] = 30;
  } else if (family == "xgboost_rf") {
    // XGBoost's random forest: one round of num_parallel_tree trees, no shrinkage, row and column
    // sampling below 1 (per split), an almost unregularised leaf weight.
    p["n_estimators"] = 1;
    p["learning_rate"] = 1;
    p["reg_lambda"] = 1e-5;
    p["early_stopping_rounds"] = 0;
  } else if (family == "linear") {
    p["max_epochs"] = 200;
    p["early_stopping_rounds"] = 20;
  } else if (family == "mlp") {
    p["early_stopping_rounds"] = 8;
  }
}

// What suggest_params asks its trial for, with the user's search-space edits applied
// (RunSettings::space, normalised by check_space_edits): a fixed value becomes a single-value
// distribution (the store still holds it as the trial's param), a range or choices narrow the
// family's. Without a trial it records each parameter's spec and answers its low end or first
// choice (family_space), so the spaces are written once, in suggest_params.
class Suggester {
 public:
  Suggester(search::Trial& trial, const Json& edits) : trial_(&trial), edits_(&edits) {}
  explicit Suggester(std::vector<ParamSpec>& record) : record_(&record) {}

  double suggest_float(const std::string& name, double low, double high, bool log = false) {
    if (record_ != nullptr) {
      note(name, "float", low, high, log, {});
      return low;
    }
    if (const Json* e = edit(name)) {
      low = e->is_object() ? e->at("low").get<double>() : e->get<double>();
      high = e->is_object() ? e->at("high").get<double>() : low;
    }
    return trial_->suggest_float(name, low, high, log);
  }
  std::int64_t suggest_int(const std::string& name, std::int64_t low, std::int64_t high, bool log = false) {
    if (record_ != nullptr) {
      note(name, "int", static_cast<double>(low), static_cast<double>(high), log, {});
      return low;
    }
    if (const Json* e = edit(name)) {
      low = e->is_object() ? e->at("low").get<std::int64_t>() : e->get<std::int64_t>();
      high = e->is_object() ? e->at("high").get<std::int64_t>() : low;
    }
    return trial_->suggest_int(name, low, high, log);
  }
  Json suggest_categorical(const std::string& name, std::vector<Json> choices) {
    if (record_ != nullptr) {
      note(name, "categorical", 0, 0, false, choices);
      return choices.front();
    }
    if (const Json* e = edit(name)) {
      if (e->is_array()) choices.assign(e->begin(), e->end());
      else choices = {*e};
    }
    return trial_->suggest_categorical(name, std::move(choices));
  }

 private:
  // The edit of "FAMILY.PARAM" (nullptr: none).
  const Json* edit(const std::string& name) const {
    const auto dot = name.find('.');
    if (dot == std::string::npos || edits_ == nullptr) return nullptr;
    const auto f = edits_->find(name.substr(0, dot));
    if (f == edits_->end()) return nullptr;
    const auto e = f->find(name.substr(dot + 1));
    return e == f->end() ? nullptr : &*e;
  }
  void note(const std::string& name, const char* kind, double low, double high, bool log, std::vector<Json> choices) {
    ParamSpec spec;
    const auto dot = name.find('.');
    spec.name = dot == std::string::npos ? name : name.substr(dot + 1);
    spec.kind = kind;
    spec.low = low;
    spec.high = high;
    spec.log = log;
    spec.choices = std::move(choices);
    record_->push_back(std::move(spec));
  }
  search::Trial* trial_ = nullptr;
  const Json* edits_ = nullptr;
  std::vector<ParamSpec>* record_ = nullptr;
};

// The family's hyperparameters for a trial (a conditional space: names carry the family).
backend::Params suggest_params(Suggester& trial, const std::string& family) {
  backend::Params p;
  if (family == "xgboost") {
    p["max_depth"] = static_cast<double>(trial.suggest_int("xgboost.max_depth", 2, 10));
    p["learning_rate"] = trial.suggest_float("xgboost.learning_rate", 0.01, 0.3, true);
    p["min_child_weight"] = trial.suggest_float("xgboost.min_child_weight", 0.5, 20.0, true);
    p["subsample"] = trial.suggest_float("xgboost.subsample", 0.5, 1.0);
    p["colsample_bytree"] = trial.suggest_float("xgboost.colsample_bytree", 0.4, 1.0);
    p["reg_lambda"] = trial.suggest_float("xgboost.reg_lambda", 1e-3, 10.0, true);
    p["n_estimators"] = static_cast<double>(trial.suggest_int("xgboost.n_estimators", 50, 1000, true));
    add_fixed_params(family, p);
  } else if (family == "xgboost_rf") {
    p["num_parallel_tree"] = static_cast<double>(trial.suggest_int("xgboost_rf.num_parallel_tree", 50, 500, true));
    p["max_depth"] = static_cast<double>(trial.suggest_int("xgboost_rf.max_depth", 4, 16));
    p["min_child_weight"] = trial.suggest_float("xgboost_rf.min_child_weight", 0.1, 10.0, true);
    p["subsample"] = trial.suggest_float("xgboost_rf.subsample", 0.5, 0.95);
    p["colsample_bynode"] = trial.suggest_float("xgboost_rf.colsample_bynode", 0.2, 0.95);
    add_fixed_params(family, p);
  } else if (family == "linear") {
    p["l1"] = trial.suggest_float("linear.l1", 1e-6, 1e-1, true);
    p["l2"] = trial.suggest_float("linear.l2", 1e-6, 1.0, true);
    add_fixed_params(family, p);
  } else if (family == "mlp") {
    p["width"] = static_cast<double>(trial.suggest_int("mlp.width", 32, 256, true));
    p["depth"] = static_cast<double>(trial.suggest_int("mlp.depth", 1, 3));
    p["dropout"] = trial.suggest_float("mlp.dropout", 0.0, 0.4);
    p["learning_rate"] = trial.suggest_float("mlp.learning_rate", 1e-4, 1e-2, true);
    p["max_epochs"] = static_cast<double>(trial.suggest_int("mlp.max_epochs", 10, 60));
    add_fixed_params(family, p);
  }
  return p;
}

// Suggests the family's feature-step choices (those that can change its features on this data).
std::map<std::string, Json> suggest_feature_params(Suggester& trial, const std::string& family,
                                                   const features::DataTraits& d) {
  std::map<std::string, Json> chosen;
  for (const auto& [step, choices] : feature_space(family, d)) {
    const std::string name = feature_param(family, step.c_str());
    chosen[name] = trial.suggest_categorical(name, std::vector<Json>(choices->begin(), choices->end()));
  }
  return chosen;
}

// Every feature step a family may search (for family_space: the data decides which apply).
constexpr features::DataTraits kAllFeatureSteps{true, true, 2};

// Strong defaults, one per family (enqueued first); external values of the params above.
std::map<std::string, Json> default_params(const std::string& family) {
  std::map<std::string, Json> m{{"model", family}};
  if (family == "xgboost") {
    m["xgboost.max_depth"] = 6;
    m["xgboost.learning_rate"] = 0.05;
    m["xgboost.min_child_weight"] = 1.0;
    m["xgboost.subsample"] = 0.8;
    m["xgboost.colsample_bytree"] = 0.8;
    m["xgboost.reg_lambda"] = 1.0;
    m["xgboost.n_estimators"] = 500;
  } else if (family == "xgboost_rf") {
    // A moderate forest: the default runs early in a time-budgeted search, and a forest of
    // depth-12 trees cost 15 s on 600 rows of a 4-class problem (5 folds).
    m["xgboost_rf.num_parallel_tree"] = 100;
    m["xgboost_rf.max_depth"] = 10;
    m["xgboost_rf.min_child_weight"] = 1.0;
    m["xgboost_rf.subsample"] = 0.8;
    m["xgboost_rf.colsample_bynode"] = 0.6;
  } else if (family == "linear") {
    m["linear.l1"] = 1e-5;
    m["linear.l2"] = 1e-4;
  } else if (family == "mlp") {
    m["mlp.width"] = 128;
    m["mlp.depth"] = 2;
    m["mlp.dropout"] = 0.1;
    m["mlp.learning_rate"] = 3e-3;
    m["mlp.max_epochs"] = 40;
  }
  // Today's pipeline: the first choice of each feature step (used only where the step is searched).
  if (family != "constant") {
    m[feature_param(family, "encoding")] = kEncodingChoices.front();
    m[feature_param(family, "generated")] = kOffOn.front();
    if (family_scaled(family)) {
      m[feature_param(family, "missing_indicators")] = kOnOff.front();
      m[feature_param(family, "scaling")] = kScalingChoices.front();
    }
  }
  return m;
}

// Further strong defaults, enqueued after every family's first: a shallower, slower-learning,
// more regularised XGBoost (5-fold CV with early stopping, Python xgboost on the train splits:
// pima 0.826 vs 0.817 for the first default, breast-w 0.9905 vs 0.9902, credit-g 0.779 vs 0.782;
// it also differs enough from the first to help an ensemble).
std::vector<std::map<std::string, Json>> more_default_params(const std::string& family) {
  std::vector<std::map<std::string, Json>> out;
  if (family == "xgboost") {
    auto m = default_params(family);
    m["xgboost.max_depth"] = 4;
    m["xgboost.learning_rate"] = 0.03;
    m["xgboost.min_child_weight"] = 3.0;
    m["xgboost.subsample"] = 0.8;
    m["xgboost.colsample_bytree"] = 0.6;
    m["xgboost.reg_lambda"] = 2.0;
    m["xgboost.n_estimators"] = 1000;
    out.push_back(std::move(m));
  }
  return out;
}

// The family params of a finished trial, back as trainer params (no sampling).
backend::Params params_of(const search::FrozenTrial& t, const std::string& family) {
  backend::Params p;
  const std::string prefix = family + ".";
  const std::string features_prefix = prefix + "features.";
  for (const auto& [name, value] : t.params)
    if (name.rfind(prefix, 0) == 0 && name.rfind(features_prefix, 0) != 0) p[name.substr(prefix.size())] = value.get<double>();
  add_fixed_params(family, p);
  return p;
}

// ---- Fitting one model ------------------------------------------------------------------------

struct FitOutcome {
  Model model;
  backend::FitReport report;
};

FitOutcome fit_model(const Prepared& p, const std::string& family, const backend::Params& params,
                     const features::FeatureMatrix& x, std::span<const float> y, const features::FeatureMatrix* ex,
                     std::span<const float> ey, std::uint64_t seed, const backend::DeviceContext& device,
                     const CancelToken* cancel, IssueLog* issues, const CancelToken* soft_cancel = nullptr,
                     backend::RoundCallback on_round = {}) {
  FitOutcome out;
  out.model.family = family;
  const auto t0 = Clock::now();
  if (family == "constant") {
    const std::size_t k = p.outputs();
    out.model.constant.assign(k, 0.0);
    if (p.classification()) {
      for (const float v : y) out.model.constant[static_cast<std::size_t>(v)] += 1.0;
      for (auto& c : out.model.constant) c /= static_cast<double>(y.size());
    } else {
      double s = 0;
      for (const float v : y) s += static_cast<double>(v);
      out.model.constant[0] = s / static_cast<double>(y.size());
    }
    out.report.device = "cpu";
    out.report.seconds = seconds_since(t0);
    return out;
  }
  out.model.trainer = backend::make_trainer(trainer_of(family), params);
  backend::FitOptions fo;
  fo.task = backend_task(p.task);
  fo.num_classes = p.task == "multiclass" ? static_cast<int>(p.outputs()) : 0;
  fo.seed = seed;
  fo.device = device;
  fo.cancel = cancel;
  fo.soft_cancel = soft_cancel;  // a refit under a deadline: keeps the rounds done when cut
  fo.on_round = std::move(on_round);
  fo.issues = issues;
  const backend::DataView train{{x.values.data(), x.rows, x.cols}, y, {}};
  backend::DataView eval;
  if (ex != nullptr) eval = backend::DataView{{ex->values.data(), ex->rows, ex->cols}, ey, {}};
  out.report = out.model.trainer->fit(train, ex != nullptr ? &eval : nullptr, fo);
  if (out.report.stop == backend::StopReason::Cancelled && !(soft_cancel != nullptr && out.model.trainer->fitted()))
    throw Error(ErrorKind::Resource, "stopped by the time budget (or Ctrl-C) during the fit");
  return out;
}

// The rounds/epochs to use when refitting on all rows: the folds' mean best round (+1).
backend::Params refit_params(const std::string& family, backend::Params params, const std::vector<double>& best_rounds) {
  if (family == "constant" || family == "xgboost_rf" || best_rounds.empty()) return params;
  double mean = 0;
  for (const double r : best_rounds) mean += r + 1.0;
  mean /= static_cast<double>(best_rounds.size());
  const double rounds = std::max(1.0, std::round(mean));
  if (family == "xgboost") params["n_estimators"] = rounds;
  else params["max_epochs"] = rounds;
  params["early_stopping_rounds"] = 0;
  return params;
}

// ---- Per-fold feature matrices (the pipeline is deterministic, so one per fold and pipeline) ---

struct FoldMatrices {
  features::FeatureMatrix train, valid;
  std::vector<float> y_train, y_valid;
  std::size_t bytes() const {
    return (train.values.size() + valid.values.size() + y_train.size() + y_valid.size()) * sizeof(float);
  }
};

// Least recently used matrices are evicted beyond kFoldCacheBytes, but never the last
// kFoldCacheKeep pipelines' worth (a pipeline's folds are refitted when evicted and needed again).
constexpr std::size_t kFoldCacheBytes = std::size_t{1} << 30;
constexpr std::size_t kFoldCacheKeep = 2;

class FoldCache {
 public:
  FoldCache(const Prepared& p, const std::vector<Fold>& folds) : p_(p), folds_(folds) {}
  std::shared_ptr<const FoldMatrices> get(std::size_t fold, const features::PipelineOptions& options) {
    std::lock_guard lock(mutex_);
    const std::pair<std::size_t, std::string> key{fold, pipeline_key(options)};
    auto& slot = cache_[key];
    slot.used = ++clock_;
    if (!slot.m) {
      const auto t_built = Clock::now();
      auto fm = std::make_shared<FoldMatrices>();
      const Fold& f = folds_[fold];
      std::vector<std::size_t> train_rows, valid_rows;
      for (const std::size_t i : f.train) {
        train_rows.push_back(p_.rows[i]);
        fm->y_train.push_back(p_.y[i]);
      }
      for (const std::size_t i : f.valid) {
        valid_rows.push_back(p_.rows[i]);
        fm->y_valid.push_back(p_.y[i]);
      }
      // Fitted on the fold's training rows only; the validation rows are transformed.
      const features::Pipeline pipe =
          features::Pipeline::fit(p_.table, p_.target, train_rows,
                                  features::TargetView{target_kind(p_.task), p_.outputs(), fm->y_train},
                                  options, &fm->train);
      fm->valid = pipe.transform(p_.table, valid_rows);
      // The feature pipeline's cost per row (fit + transform), for the refit's time estimate.
      seconds_per_row_ = std::max(seconds_per_row_, seconds_since(t_built) / static_cast<double>(std::max<std::size_t>(
                                                                                  1, train_rows.size() + valid_rows.size())));
      bytes_ += fm->bytes();
      slot.m = std::move(fm);
      evict();
    }
    return slot.m;
  }

 private:
  struct Slot {
    std::shared_ptr<const FoldMatrices> m;
    std::uint64_t used = 0;
  };
  void evict() {
    const std::size_t keep = kFoldCacheKeep * std::max<std::size_t>(1, folds_.size());
    while (bytes_ > kFoldCacheBytes && cache_.size() > keep) {
      auto oldest = cache_.begin();
      for (auto it = cache_.begin(); it != cache_.end(); ++it)
        if (it->second.used < oldest->second.used) oldest = it;
      bytes_ -= oldest->second.m ? oldest->second.m->bytes() : 0;
      cache_.erase(oldest);  // a fit still using it holds its own reference
    }
  }
  const Prepared& p_;
  const std::vector<Fold>& folds_;
  std::mutex mutex_;
  std::map<std::pair<std::size_t, std::string>, Slot> cache_;
  std::uint64_t clock_ = 0;
  std::size_t bytes_ = 0;
  double seconds_per_row_ = 0;

 public:
  // The slowest feature pipeline seen so far, in seconds per row (fit on a fold's training rows
  // and transform of its validation rows); 0 before any.
  double seconds_per_row() {
    std::lock_guard lock(mutex_);
    return seconds_per_row_;
  }
};

// ---- Files --------------------------------------------------------------------------------

void write_file_atomic(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Error(ErrorKind::Storage, "cannot write " + path.string() + "; check the permissions and free space");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw Error(ErrorKind::Storage, "cannot write " + path.string() + ": " + ec.message());
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string num(double v) {
  if (std::isnan(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::vector<double> json_doubles(const std::map<std::string, Json>& attrs, const std::string& key) {
  std::vector<double> v;
  if (auto it = attrs.find(key); it != attrs.end() && it->second.is_array())
    for (const auto& x : it->second) v.push_back(x.is_number() ? x.get<double>() : NAN);
  return v;
}

double mean_of(const std::vector<double>& v) {
  if (v.empty()) return 0;
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double sd_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean_of(v);
  double s = 0;
  for (const double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// Runs `until` on a helper thread polling `from` every 50 ms, to forward an outside cancel.
class CancelForwarder {
 public:
  CancelForwarder(const CancelToken* from, CancelToken& to) {
    if (from == nullptr) return;
    thread_ = std::thread([this, from, &to] {
      while (!stop_.load()) {
        if (from->cancelled()) {
          to.cancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~CancelForwarder() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  CancelForwarder(const CancelForwarder&) = delete;
  CancelForwarder& operator=(const CancelForwarder&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};


// ---- Heartbeats and stale trials -------------------------------------------------------------

constexpr const char* kOwnerKey = "glasswing.owner";
constexpr const char* kRetryOfKey = "glasswing.retry_of";
constexpr const char* kSettingsKey = "glasswing.settings";
constexpr const char* kDefaultsKey = "glasswing.defaults_enqueued";
constexpr auto kHeartbeatInterval = std::chrono::seconds(5);
constexpr auto kHeartbeatGrace = std::chrono::seconds(30);

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// The start time of a process (field 22 of /proc/PID/stat, clock ticks since boot), "" when it
// does not exist or is a zombie. With the pid it names a process even when pids are reused.
std::string process_start(long long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!in || !std::getline(in, text)) return "";
  const auto close = text.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream fields(text.substr(close + 1));
  std::vector<std::string> f;
  std::string x;
  while (fields >> x) f.push_back(x);
  if (f.size() < 20 || f[0] == "Z" || f[0] == "X") return "";  // f[0] is field 3 (state)
  return f[19];
}

Json owner_json() {
  const long long pid = static_cast<long long>(::getpid());
  return Json{{"host", host_name()}, {"pid", pid}, {"start", process_start(pid)}};
}

// Records a heartbeat for each trial this process is running (at its start, then every
// kHeartbeatInterval on a helper thread), and marks the trial with its owner process, so that a
// later --resume or worker can tell a live trial from one whose process was killed.
class Heartbeats {
 public:
  explicit Heartbeats(search::Storage& storage) : storage_(storage), owner_(owner_json()) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Heartbeats() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  Heartbeats(const Heartbeats&) = delete;
  Heartbeats& operator=(const Heartbeats&) = delete;

  class Scope {
   public:
    Scope(Heartbeats& h, std::int64_t trial_id) : h_(h), id_(trial_id) { h_.begin(id_); }
    ~Scope() { h_.end(id_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Heartbeats& h_;
    std::int64_t id_;
  };

 private:
  void begin(std::int64_t id) {
    storage_.set_trial_system_attr(id, kOwnerKey, owner_);
    beat(id);
    std::lock_guard lock(mutex_);
    live_.insert(id);
  }
  void end(std::int64_t id) {
    std::lock_guard lock(mutex_);
    live_.erase(id);
  }
  void beat(std::int64_t id) {
    if (!enabled_.load()) return;
    try {
      storage_.record_heartbeat(id);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Usage) enabled_.store(false);  // a store without heartbeats
      // A missed beat otherwise (a busy store): the next one tries again.
    }
  }
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, kHeartbeatInterval, [this] { return stop_; });
      if (stop_) break;
      const std::set<std::int64_t> ids = live_;
      lock.unlock();
      for (const auto id : ids) beat(id);
      lock.lock();
    }
  }

  search::Storage& storage_;
  Json owner_;
  std::atomic<bool> enabled_{true};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::set<std::int64_t> live_;
  std::thread thread_;
};

// Before a process adds trials to a search: RUNNING trials whose process is gone become FAIL.
// - Trials of a process on this host that no longer runs (killed): at once, with the reason.
// - Any other trial whose heartbeat is older than kHeartbeatGrace (Storage::fail_stale_trials).
// - A RUNNING trial with neither an owner nor a heartbeat (another writer) is left as it is; it
//   blocks nothing: only finished trials count towards --max-trials and nobody waits for it.
// A killed trial that was an enqueued default is enqueued once more (user attr glasswing.retry_of).
// Returns how many trials it failed.
std::int64_t fail_stale(search::Study& study, IssueLog& issues) {
  search::Storage& st = study.storage();
  const std::string host = host_name();
  std::vector<std::int64_t> failed;
  std::int64_t unknown = 0;
  for (const auto& t : study.trials({{search::TrialState::Running}})) {
    const auto it = t.system_attrs.find(kOwnerKey);
    if (it == t.system_attrs.end() || !it->second.is_object()) {
      ++unknown;
      continue;
    }
    const Json& o = it->second;
    if (o.value("host", std::string()) != host) continue;
    const long long pid = o.value("pid", 0LL);
    const std::string start = o.value("start", std::string());
    if (pid > 0 && !start.empty() && process_start(pid) == start) continue;  // still running
    try {
      st.set_trial_system_attr(t.trial_id, search::kFailReasonKey,
                               "its process (pid " + std::to_string(pid) + " on " + host + ") ended before it finished");
      st.set_trial_state_values(t.trial_id, search::TrialState::Fail);
      failed.push_back(t.trial_id);
    } catch (const search::UpdateFinishedTrialError&) {
      // It finished meanwhile.
    }
  }
  try {
    for (const auto id : st.fail_stale_trials(study.study_id(), kHeartbeatGrace)) failed.push_back(id);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Usage) throw;  // a store without heartbeats
  }
  for (const auto id : failed) {
    const search::FrozenTrial t = st.get_trial(id);
    const auto fixed = t.system_attrs.find(search::kFixedParamsKey);
    if (fixed == t.system_attrs.end() || !fixed->second.is_object() || t.user_attrs.count(kRetryOfKey) > 0) continue;
    std::map<std::string, Json> params;
    for (const auto& [k, v] : fixed->second.items()) params.emplace(k, v);
    study.enqueue_trial(params, {{kRetryOfKey, t.number}});
  }
  if (!failed.empty())
    issues.add(Severity::Warning, "search", std::to_string(failed.size()) +
                                                " RUNNING trial(s) of a process that ended (or stopped sending heartbeats) "
                                                "were set to FAIL; finished trials are kept");
  if (unknown > 0)
    issues.add(Severity::Info, "search", std::to_string(unknown) +
                                             " RUNNING trial(s) without an owner or heartbeat were left as they are");
  return static_cast<std::int64_t>(failed.size());
}

// The search's sampler: seeded TPE; with parallel trials, TPE's constant liar (RUNNING trials
// count as bad ones) so that the workers do not all sample near the same good point.
std::shared_ptr<search::Sampler> make_search_sampler(std::uint64_t seed, int jobs) {
  Json o{{"seed", seed}};
  if (jobs > 1) o["constant_liar"] = true;
  return search::make_sampler("tpe", o);
}

// Optuna's MedianPruner on the running mean CV score after each fold, once kPrunerStartup trials
// are COMPLETE (the baseline and the defaults then have scores to compare with).
constexpr int kPrunerStartup = 8;
std::shared_ptr<search::Pruner> make_search_pruner() {
  return search::make_pruner("median", Json{{"n_startup_trials", kPrunerStartup}, {"n_warmup_steps", 0}});
}

// ---- The user's column types and search-space edits (RunSettings) -------------------------

// RunSettings::column_types as the CSV reader's types ("ignore" is not one; Usage for an unknown name).
std::map<std::string, data::ColumnType> csv_types(const std::map<std::string, std::string>& types) {
  std::map<std::string, data::ColumnType> out;
  for (const auto& [col, name] : types) {
    if (name == "ignore") continue;
    const auto t = name == "numeric" ? std::optional<data::ColumnType>(data::ColumnType::Float) : data::column_type_from_string(name);
    if (!t)
      throw Error(ErrorKind::Usage, "unknown column type '" + name + "' for column '" + col + "'; valid: " + join(column_type_choices()));
    out[col] = *t;
  }
  return out;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
bool parses_as_number(std::string_view text) {
  const std::string s(trimmed(text));
  if (s.empty()) return false;
  char* end = nullptr;
  (void)std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}
bool looks_like_date(std::string_view text) {  // YYYY-MM-DD...
  const std::string_view s = trimmed(text);
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  for (const std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}
bool is_time_type(data::ColumnType t) { return t == data::ColumnType::Datetime || t == data::ColumnType::Date; }

// After the reader refused a numeric or date type for a column: says which column, how many values
// do not fit and the first one (the reader stops at the first). Returns when it finds none.
void explain_type_failure(const fs::path& path, const std::map<std::string, data::ColumnType>& types) {
  data::CsvOptions relaxed;  // the text types only: these cannot fail
  for (const auto& [col, t] : types)
    if (!(t == data::ColumnType::Integer || t == data::ColumnType::Float || is_time_type(t))) relaxed.column_types[col] = t;
  const data::Table table = data::read_csv(path, relaxed);
  for (const auto& [col, type] : types) {
    const data::Column* c = table.find(col);
    if (c == nullptr || relaxed.column_types.count(col) > 0) continue;
    const bool want_date = is_time_type(type);
    std::size_t bad = 0, present = 0, first = 0;
    for (std::size_t r = 0; r < c->size(); ++r) {
      if (c->is_missing(r)) continue;
      ++present;
      const bool ok = c->is_numeric() ? want_date == is_time_type(c->type())
                                      : (want_date ? looks_like_date(c->cell_text(r)) : parses_as_number(c->cell_text(r)));
      if (!ok && bad++ == 0) first = r;
    }
    if (bad == 0) continue;
    throw Error(ErrorKind::BadInput, path.string() + ": column '" + col + "' was set to type " + std::string(data::to_string(type)) +
                                         ", but " + std::to_string(bad) + " of its " + std::to_string(present) + " values are not " +
                                         (want_date ? "ISO 8601 dates" : "numbers") + " (the first: '" + c->cell_text(first) +
                                         "' in data row " + std::to_string(first + 1) +
                                         "); choose another type for it (e.g. categorical) or fix those values");
  }
}

// Reads a data file with the user's column types (RunSettings::column_types); "ignore" drops the
// column. `training`: the run's data (an ignored column must exist and cannot be the target).
data::Table read_typed(const fs::path& path, const std::map<std::string, std::string>& types, const std::string& target,
                       bool training) {
  data::CsvOptions options;
  options.column_types = csv_types(types);
  data::Table table;
  try {
    table = data::read_csv(path, options);
  } catch (const Error& e) {
    // The reader's only usage error: a type for a column that the file lacks.
    if (e.kind() == ErrorKind::Usage)
      throw Error(ErrorKind::BadInput, std::string(e.what()) + "; check the column's name or drop its type");
    if (e.kind() == ErrorKind::BadInput && !options.column_types.empty()) explain_type_failure(path, options.column_types);
    throw;
  }
  for (const auto& [col, type] : options.column_types) {
    const data::Column* c = table.find(col);
    if (c == nullptr) continue;
    std::size_t bad = 0, first = 0;
    if (type == data::ColumnType::Integer) {
      for (std::size_t r = 0; r < c->size(); ++r)
        if (!c->is_missing(r) && c->values()[r] != std::floor(c->values()[r]) && bad++ == 0) first = r;
      if (bad > 0)
        throw Error(ErrorKind::BadInput, path.string() + ": column '" + col + "' was set to type integer, but " + std::to_string(bad) +
                                             " of its values have a fractional part (the first: " + c->cell_text(first) +
                                             " in data row " + std::to_string(first + 1) + "); choose float (numeric) for it");
    } else if (type == data::ColumnType::Boolean) {
      std::set<std::int32_t> used;
      for (const auto code : c->codes())
        if (code >= 0) used.insert(code);
      if (used.size() > 2)
        throw Error(ErrorKind::BadInput, path.string() + ": column '" + col + "' was set to type boolean, but it holds " +
                                             std::to_string(used.size()) + " distinct values (e.g. '" + c->categories()[static_cast<std::size_t>(*used.begin())] +
                                             "', '" + c->categories()[static_cast<std::size_t>(*std::next(used.begin()))] + "', '" +
                                             c->categories()[static_cast<std::size_t>(*std::next(used.begin(), 2))] +
                                             "'); choose categorical for it");
    }
  }
  std::set<std::string> ignored;
  for (const auto& [col, type] : types) {
    if (type != "ignore") continue;
    if (training && col == target)
      throw Error(ErrorKind::BadInput, "column '" + col + "' is the target, so it cannot be ignored; choose another target or another type");
    if (training && table.find(col) == nullptr)
      throw Error(ErrorKind::BadInput, path.string() + ": column '" + col + "' (set to ignore) is not in the file; check its name or drop its type");
    ignored.insert(col);
  }
  if (ignored.empty()) return table;
  std::vector<data::Column> kept;
  for (const auto& c : table.columns())
    if (ignored.count(c.name()) == 0) kept.push_back(c);
  return data::Table(std::move(kept));
}

// The enqueued strong defaults inside the user's space edits: a fixed value replaces the
// default, a range clamps it, choices without it give their first.
std::map<std::string, Json> apply_space_edits(std::map<std::string, Json> params, const Json& space) {
  for (auto& [key, value] : params) {
    const auto dot = key.find('.');
    if (dot == std::string::npos) continue;
    const auto f = space.find(key.substr(0, dot));
    if (f == space.end()) continue;
    const auto e = f->find(key.substr(dot + 1));
    if (e == f->end()) continue;
    if (e->is_object()) {
      if (!value.is_number()) continue;
      const double v = std::clamp(value.get<double>(), e->at("low").get<double>(), e->at("high").get<double>());
      value = e->at("low").is_number_integer() ? Json(static_cast<std::int64_t>(std::llround(v))) : Json(v);
    } else if (e->is_array()) {
      if (std::find(e->begin(), e->end(), value) == e->end()) value = e->front();
    } else {
      value = *e;
    }
  }
  return params;
}

// Order-insensitive comparison of two stored JSON settings.
bool same_json(const Json& a, const Json& b) { return nlohmann::json::parse(a.dump()) == nlohmann::json::parse(b.dump()); }

// ---- The problem a search optimises (rebuilt by a worker from the search's attributes) -----

struct Problem {
  Prepared p;
  std::string metric;
  bool maximize = true;
  ValidationPlan plan;
  std::vector<Fold> folds;
  std::vector<std::string> families;  // "constant" first
  std::vector<Json> family_choices;   // the TPE's "model" choices (all but constant)
  std::uint64_t seed = 0;
  std::optional<int> cv;
  fs::path data;  // absolute
  std::string data_sha;
  double read_s = 0;
  std::map<std::string, std::string> column_types;  // RunSettings::column_types
  Json space = Json::object();                       // RunSettings::space, checked and normalised
};

// The families of --models (Usage for an unknown one), "constant" always first.
std::vector<std::string> check_families(const std::vector<std::string>& models) {
  const std::vector<std::string> available = family_names();
  std::vector<std::string> families;
  if (models.empty()) {
    families = available;
  } else {
    for (const auto& m : models) {
      if (std::find(available.begin(), available.end(), m) == available.end())
        throw Error(ErrorKind::Usage, "unknown model family '" + m + "' in --models; valid: " + join(available));
      if (std::find(families.begin(), families.end(), m) == families.end()) families.push_back(m);
    }
  }
  if (std::find(families.begin(), families.end(), "constant") == families.end()) families.insert(families.begin(), "constant");
  return families;
}

// Families whose trainer cannot be loaded (the LibTorch module missing or broken: docs/BACKENDS.md,
// "Loading") are left out with a warning; Resource when the user named only such families, or
// (`all_needed`, a worker of a stored search) when any family cannot be trained here.
std::vector<std::string> usable_families(const std::vector<std::string>& families, bool asked, bool all_needed,
                                         IssueLog& issues) {
  std::vector<std::string> out;
  std::string first_reason;
  for (const auto& f : families) {
    const std::string why = f == "constant" ? std::string() : backend::trainer_unavailable(trainer_of(f));
    if (why.empty()) {
      out.push_back(f);
      continue;
    }
    if (all_needed) throw Error(ErrorKind::Resource, "cannot train model family '" + f + "' here: " + why);
    if (first_reason.empty()) first_reason = why;
    issues.add(Severity::Warning, "models", "model family '" + f + "' left out: " + why);
  }
  if (asked && out.size() == 1 && families.size() > 1)  // only "constant" is left of what was asked
    throw Error(ErrorKind::Resource, "none of the model families in --models can be trained: " + first_reason);
  return out;
}

int threads_per_fit(int jobs) {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, jobs));
}

Problem load_problem(const fs::path& data, const std::string& target, const std::string& task, const std::string& metric_setting,
                     std::optional<int> cv, std::uint64_t seed, std::vector<std::string> families, IssueLog& issues,
                     const std::map<std::string, std::string>& column_types = {}, const Json& space = Json::object()) {
  Problem pb;
  pb.space = check_space_edits(space);
  const auto t_read = Clock::now();
  pb.data = fs::absolute(data).lexically_normal();
  pb.data_sha = sha256_file(data);
  data::Table table = read_typed(data, column_types, target, true);
  pb.column_types = column_types;
  pb.p = prepare(std::move(table), target, task, issues);
  pb.read_s = seconds_since(t_read);
  pb.metric = metric_setting == "auto" ? std::string(metrics::default_metric(metric_task(pb.p.task))) : metric_setting;
  const metrics::MetricInfo& minfo = metrics::info(pb.metric);
  if (!metrics::applies(minfo, metric_task(pb.p.task))) {
    std::vector<std::string> valid;
    for (const auto& m : metrics::registry())
      if (metrics::applies(m, metric_task(pb.p.task))) valid.push_back(m.name);
    throw Error(ErrorKind::Usage, "metric '" + pb.metric + "' does not apply to a " + pb.p.task + " task; valid: " + join(valid));
  }
  pb.maximize = minfo.direction == metrics::Direction::Maximize;
  ValidationRequest vr;
  vr.rows = pb.p.rows.size();
  vr.classification = pb.p.classification();
  vr.cv = cv;
  pb.plan = choose_validation(vr);
  pb.folds = make_folds(pb.plan, pb.p.rows.size(), FoldInputs{pb.p.y_class, {}, {}}, seed);
  pb.families = std::move(families);
  for (const auto& f : pb.families)
    if (f != "constant") pb.family_choices.emplace_back(f);
  pb.seed = seed;
  pb.cv = cv;
  return pb;
}

Clock::time_point after(Clock::time_point t0, double seconds) {
  return t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Scores trials of a Problem: the objective shared by `run` and `worker`.
class TrialRunner {
 public:
  TrialRunner(const Problem& pb, backend::DeviceContext device, CancelToken& token, search::Storage& storage)
      : pb_(pb), device_(device), token_(token), cache_(pb.p, pb.folds),
        traits_(features::describe_data(pb.p.table, pb.p.target, pb.p.rows)), heartbeats_(storage) {}

  // Cross-validates one candidate; the trial value is the mean fold score.
  double evaluate(search::Trial& trial, const std::string& family, const backend::Params& params,
                  const features::PipelineOptions& pipeline) {
    const Prepared& p = pb_.p;
    trial.set_user_attr("family", family);
    std::vector<double> pred(p.rows.size() * p.outputs(), NAN);
    std::vector<double> scores, fit_s, predict_s, best_rounds;
    for (std::size_t f = 0; f < pb_.folds.size(); ++f) {
      const std::shared_ptr<const FoldMatrices> fold_matrices = cache_.get(f, pipeline);
      const FoldMatrices& fm = *fold_matrices;
      check_time_for_fold(family, params, fit_s);
      // After each round/epoch: a fit projected to end after the search's deadline even if only
      // half of its rounds left run (time per round x rounds left / 2: early stopping often ends
      // it sooner) stops now rather than run until the deadline cuts it.
      double late_s = -1;
      const double max_rounds = max_rounds_of(family, params);
      backend::RoundCallback watch;
      if (max_rounds > 1)
        watch = [this, max_rounds, &late_s](const backend::RoundInfo& info) {
          const Clock::rep deadline = deadline_.load();
          if (deadline == 0 || info.elapsed_s < 1.0) return true;
          const double left =
              0.5 * info.elapsed_s / static_cast<double>(info.round + 1) * (max_rounds - static_cast<double>(info.round + 1));
          const auto end = after(Clock::now(), left);
          if (end.time_since_epoch().count() <= deadline) return true;
          late_s = std::chrono::duration<double>(end.time_since_epoch() - Clock::duration(deadline)).count();
          return false;
        };
      FitOutcome fit = fit_model(p, family, params, fm.train, fm.y_train, &fm.valid, fm.y_valid, pb_.seed + f, device_,
                                 &token_, nullptr, nullptr, std::move(watch));
      if (late_s >= 0)
        throw Error(ErrorKind::Resource, "stopped to keep the time budget: after " + std::to_string(fit.report.rounds) + " of " +
                                             num(max_rounds) + " rounds/epochs, even half of the rest would end about " +
                                             num(late_s) + " s after the search's deadline");
      if (family != "constant") {
        std::lock_guard lock(mutex_);
        device_used_ = fit.report.device;
      }
      const auto t_pred = Clock::now();
      const std::vector<double> fold_pred = predict_matrix(fit.model, fm.valid, p.outputs());
      predict_s.push_back(seconds_since(t_pred));
      fit_s.push_back(fit.report.seconds);
      if (family != "constant") {
        std::lock_guard lock(mutex_);
        fold_cost_[family] = fit.report.seconds / cost_units(family, params);
        min_fold_s_ = std::min(min_fold_s_, fit.report.seconds);
      }
      best_rounds.push_back(fit.report.best_round >= 0 ? fit.report.best_round : fit.report.rounds - 1);
      const double s = score_rows(p, pb_.metric, pb_.folds[f].valid, fold_pred);
      if (!std::isfinite(s))
        throw Error(ErrorKind::BadInput, "fold " + std::to_string(f) + " scored " + num(s) + " (" + pb_.metric + ")");
      scores.push_back(s);
      // Pruning on intermediate values: the running mean CV score after each fold (step = fold).
      if (family != "constant") {
        trial.report(mean_of(scores), static_cast<std::int64_t>(f));
        if (f + 1 < pb_.folds.size() && trial.should_prune()) {
          trial.set_user_attr("fold_scores", Json(scores));
          trial.set_user_attr("pruned_reason", "after fold " + std::to_string(f + 1) + " of " + std::to_string(pb_.folds.size()) +
                                                   ", mean " + num(mean_of(scores)) + " is worse than the median of earlier trials");
          throw search::TrialPruned();
        }
      }
      for (std::size_t i = 0; i < pb_.folds[f].valid.size(); ++i)
        for (std::size_t c = 0; c < p.outputs(); ++c)
          pred[pb_.folds[f].valid[i] * p.outputs() + c] = fold_pred[i * p.outputs() + c];
    }
    trial.set_user_attr("fold_scores", Json(scores));
    trial.set_user_attr("cv_sd", sd_of(scores));
    trial.set_user_attr("fit_s", Json(fit_s));
    trial.set_user_attr("predict_s", Json(predict_s));
    trial.set_user_attr("best_rounds", Json(best_rounds));
    {
      std::lock_guard lock(mutex_);
      oof_[trial.number()] = std::move(pred);
    }
    return mean_of(scores);
  }

  // A TPE trial: the family, then its conditional space.
  double objective(search::Trial& trial) {
    const Heartbeats::Scope beat(heartbeats_, trial.trial_id());
    const std::string family = trial.suggest_categorical("model", pb_.family_choices).get<std::string>();
    Suggester suggester(trial, pb_.space);  // the user's search-space edits applied
    const backend::Params params = suggest_params(suggester, family);
    const auto feature_params = suggest_feature_params(suggester, family, traits_);
    return evaluate(trial, family, params, pipeline_options(family, feature_params, pb_.seed));
  }

  // The constant baseline as a trial of its own, with the single param "baseline" (so that the
  // TPE's "model" choice never spends a trial on it). A BadInput makes it FAIL.
  search::FrozenTrial run_baseline(search::Study& study) {
    search::Trial t = study.ask();
    const Heartbeats::Scope beat(heartbeats_, t.trial_id());
    (void)t.suggest_categorical("baseline", {Json("constant")});
    try {
      return study.tell(t, evaluate(t, "constant", {}, pipeline_options("constant", {}, pb_.seed)));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::BadInput) throw;
      study.storage().set_trial_system_attr(t.trial_id(), search::kFailReasonKey, e.what());
      return study.tell(t, search::TrialState::Fail);
    }
  }

  // The search's deadline (the time budget less the finalisation reserve; none: 0). A fold whose
  // fit would clearly not finish before it is not started (fits that cannot stop within a round,
  // such as a random forest's single round, would overrun it).
  void set_deadline(Clock::time_point deadline) { deadline_.store(deadline.time_since_epoch().count()); }
  // The feature pipeline's measured cost in seconds per row (for the refit's estimate).
  double pipeline_seconds_per_row() { return cache_.seconds_per_row(); }

  std::map<std::int64_t, std::vector<double>>& oof() { return oof_; }
  std::string device_used() {
    std::lock_guard lock(mutex_);
    return device_used_;
  }

 private:
  const Problem& pb_;
  backend::DeviceContext device_;
  CancelToken& token_;
  FoldCache cache_;
  features::DataTraits traits_;  // which feature steps can change the features (feature_space)
  Heartbeats heartbeats_;
  std::mutex mutex_;
  std::map<std::int64_t, std::vector<double>> oof_;  // trial number -> rows x outputs
  std::string device_used_ = "cpu";
  std::map<std::string, double> fold_cost_;  // family -> seconds per cost unit of its latest fold fit
  double min_fold_s_ = std::numeric_limits<double>::infinity();  // the shortest fold fit seen
  int skipped_in_a_row_ = 0;
  std::atomic<Clock::rep> deadline_{0};

  // The most rounds/epochs a fit of these params runs (0: unknown or a single round).
  static double max_rounds_of(const std::string& family, const backend::Params& params) {
    const char* key = family == "xgboost" ? "n_estimators" : family == "mlp" || family == "linear" ? "max_epochs" : nullptr;
    if (key == nullptr) return 0;
    const auto it = params.find(key);
    return it != params.end() ? it->second : 0;
  }

  // A fit's cost grows about linearly with these units on the same rows: rounds x depth (trees),
  // epochs x width x depth (MLP), epochs (linear), with the params' most rounds/epochs (a fit that
  // stopped early is taken as typical of its family).
  static double cost_units(const std::string& family, const backend::Params& params) {
    auto get = [&params](const char* name, double fallback) {
      const auto it = params.find(name);
      return it != params.end() ? it->second : fallback;
    };
    double units = 1;
    if (family == "xgboost") units = get("n_estimators", 500) * get("max_depth", 6);
    else if (family == "xgboost_rf") units = get("num_parallel_tree", 300) * get("max_depth", 12);
    else if (family == "mlp") units = get("max_epochs", 40) * get("width", 128) * get("depth", 2);
    else if (family == "linear") units = get("max_epochs", 200);
    return std::max(1.0, units);
  }

  // Before each fold: its estimated fit time (the trial's own earlier folds, else the family's
  // latest fold fit scaled by cost_units; XGBoost's two families stand in for each other) must end
  // before the search's deadline, else the trial is not run further: FAIL with the reason. When
  // not even the shortest fold fit seen would fit, or after 5 such trials in a row, the search ends.
  void check_time_for_fold(const std::string& family, const backend::Params& params, const std::vector<double>& done_folds) {
    const Clock::rep deadline = deadline_.load();
    if (deadline == 0 || family == "constant") return;
    double est = 0;
    {
      std::lock_guard lock(mutex_);
      if (!done_folds.empty()) {
        est = *std::max_element(done_folds.begin(), done_folds.end());
      } else {
        auto it = fold_cost_.find(family);
        if (it == fold_cost_.end() && family == "xgboost_rf") it = fold_cost_.find("xgboost");
        if (it == fold_cost_.end() && family == "xgboost") it = fold_cost_.find("xgboost_rf");
        if (it == fold_cost_.end()) return;  // nothing measured yet: the trainers' deadline still holds
        est = it->second * cost_units(family, params);
      }
    }
    const auto now = Clock::now();
    if (after(now, est).time_since_epoch().count() <= deadline) {
      if (done_folds.empty()) {
        std::lock_guard lock(mutex_);
        skipped_in_a_row_ = 0;
      }
      return;
    }
    bool over = false;
    {
      std::lock_guard lock(mutex_);
      over = ++skipped_in_a_row_ >= 5 || after(now, min_fold_s_).time_since_epoch().count() > deadline;
    }
    if (over) token_.cancel();  // the search is over: no trial would fit any more
    throw Error(ErrorKind::Resource, "skipped to keep the time budget: its " +
                                         std::string(done_folds.empty() ? "first" : "next") + " fold (about " + num(est) +
                                         " s) would not finish before the search's deadline");
  }
};

// Prints/forwards each finished trial with the best so far.
class TrialReporter {
 public:
  TrialReporter(const search::Study& study, bool maximize, Clock::time_point t0, const TrialCallback& cb)
      : maximize_(maximize), t0_(t0), cb_(cb) {
    for (const auto& t : study.trials({{search::TrialState::Complete}})) note(t.value(), t.number);
  }
  void operator()(const search::FrozenTrial& t) {
    TrialEvent e;
    e.number = t.number;
    if (auto it = t.user_attrs.find("family"); it != t.user_attrs.end()) e.family = it->second.get<std::string>();
    else if (auto pit = t.params.find("model"); pit != t.params.end()) e.family = pit->second.get<std::string>();
    e.state = std::string(search::to_string(t.state));
    e.value = NAN;
    if (t.state == search::TrialState::Complete) {
      e.value = t.value();
      if (auto it = t.user_attrs.find("cv_sd"); it != t.user_attrs.end()) e.sd = it->second.get<double>();
      note(e.value, t.number);
    }
    if (auto it = t.system_attrs.find(search::kFailReasonKey); it != t.system_attrs.end() && it->second.is_string())
      e.fail_reason = it->second.get<std::string>();
    if (auto it = t.user_attrs.find("pruned_reason"); it != t.user_attrs.end() && it->second.is_string())
      e.fail_reason = it->second.get<std::string>();
    e.best_value = best_value_.value_or(NAN);
    e.best_number = best_number_;
    e.elapsed_s = seconds_since(t0_);
    if (cb_) cb_(e);
  }
  std::optional<double> best_value() const { return best_value_; }
  std::int64_t best_number() const { return best_number_; }

 private:
  void note(double v, std::int64_t number) {
    if (!best_value_ || (maximize_ ? v > *best_value_ : v < *best_value_)) {
      best_value_ = v;
      best_number_ = number;
    }
  }
  bool maximize_;
  Clock::time_point t0_;
  const TrialCallback& cb_;
  std::optional<double> best_value_;
  std::int64_t best_number_ = -1;
};

std::int64_t count_finished(const search::Study& study) {
  std::int64_t n = 0;
  for (const auto& t : study.trials())
    if (search::is_finished(t.state)) ++n;
  return n;
}

void set_deadline(CancelToken& token, Clock::time_point t0, std::optional<double> budget_s) {
  if (budget_s)
    token.set_deadline(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*budget_s)));
}


// ---- Large data: the search runs on a row sample ----------------------------------------------

// A seeded sample of `count` of the run's rows (indices into Prepared::rows, sorted); for
// classification stratified by class (each class's share kept, largest remainders rounded up,
// every class at least once). All rows when count >= their number.
std::vector<std::size_t> sample_rows(const Prepared& p, std::size_t count, std::uint64_t seed) {
  const std::size_t n = p.rows.size();
  std::vector<std::size_t> chosen;
  if (count >= n) {
    chosen.resize(n);
    std::iota(chosen.begin(), chosen.end(), std::size_t{0});
    return chosen;
  }
  std::mt19937_64 rng(seed ^ 0x5EED5A3B1E5ULL);
  if (p.classification()) {
    std::vector<std::vector<std::size_t>> by_class(p.outputs());
    for (std::size_t i = 0; i < n; ++i) by_class[static_cast<std::size_t>(p.y_class[i])].push_back(i);
    std::vector<std::size_t> quota(by_class.size());
    std::vector<std::pair<double, std::size_t>> remainder;
    std::size_t taken = 0;
    for (std::size_t c = 0; c < by_class.size(); ++c) {
      const double exact = static_cast<double>(count) * static_cast<double>(by_class[c].size()) / static_cast<double>(n);
      quota[c] = static_cast<std::size_t>(std::floor(exact));
      remainder.emplace_back(exact - std::floor(exact), c);
      taken += quota[c];
    }
    std::stable_sort(remainder.begin(), remainder.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t j = 0; taken < count && j < remainder.size(); ++j, ++taken) ++quota[remainder[j].second];
    for (std::size_t c = 0; c < by_class.size(); ++c) {
      auto& rows = by_class[c];
      const std::size_t q = std::min(rows.size(), std::max(quota[c], rows.empty() ? std::size_t{0} : std::size_t{1}));
      std::shuffle(rows.begin(), rows.end(), rng);
      chosen.insert(chosen.end(), rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(q));
    }
  } else {
    chosen.resize(n);
    std::iota(chosen.begin(), chosen.end(), std::size_t{0});
    std::shuffle(chosen.begin(), chosen.end(), rng);
    chosen.resize(count);
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

// Above `max_rows` training rows (0: never) the search's folds cover a seeded (stratified) sample
// of max_rows rows: the validation plan is chosen for the sample's size and its folds index the
// run's rows. Returns the rows the search uses (all of them when not sampled).
std::size_t limit_search_rows(Problem& pb, std::size_t max_rows, IssueLog* issues) {
  const std::size_t n = pb.p.rows.size();
  if (max_rows == 0 || n <= max_rows) return n;
  const std::vector<std::size_t> sample = sample_rows(pb.p, max_rows, pb.seed);
  ValidationRequest vr;
  vr.rows = sample.size();
  vr.classification = pb.p.classification();
  vr.cv = pb.cv;
  pb.plan = choose_validation(vr);
  std::vector<std::int32_t> classes;
  if (pb.p.classification())
    for (const std::size_t i : sample) classes.push_back(pb.p.y_class[i]);
  pb.folds = make_folds(pb.plan, sample.size(), FoldInputs{classes, {}, {}}, pb.seed);
  for (auto& f : pb.folds) {
    for (auto& i : f.train) i = sample[i];
    for (auto& i : f.valid) i = sample[i];
  }
  if (issues != nullptr)
    issues->add(Severity::Info, "run", "the search uses a seeded " + std::string(pb.p.classification() ? "stratified " : "") +
                                           "sample of " + std::to_string(sample.size()) + " of the " + std::to_string(n) +
                                           " training rows (large data: trials stay short); the chosen model is refit on all "
                                           "rows when the time budget allows");
  return sample.size();
}

// --time-budget covers the whole run: the search stops early enough for the finalisation (refit
// of the chosen candidate or the ensemble's members, test scoring, artifacts, and what the caller
// does after run(), e.g. the CLI's report). The reserve is estimated from what the search
// measured and updated as trials finish: the caller's part plus the engine's (with a margin, at
// least kReserveFloor x budget), at most kReserveCap x budget (FinalisationReserve::seconds).
constexpr double kReserveFloor = 0.05;
constexpr double kReserveCap = 0.35;
// The engine's own finalisation estimate is taken x kReserveMargin + kReserveSlackS (the
// estimates come from fold fits measured under the same load, but the ensemble selection, test
// reading and file writes are not measured; a refit cut short by the budget is a far worse model).
constexpr double kReserveMargin = 1.5;
constexpr double kReserveSlackS = 1.0;
constexpr double kArtifactsAllowance = 0.5;  // s: bundle, leaderboard, oof files, run.json
constexpr double kArtifactsPerRowS = 5e-7;   // s per training row and out-of-fold file written
constexpr std::size_t kRefitRowsMin = 1000;  // a refit under the budget uses at least this many rows

class FinalisationReserve {
 public:
  // rows_scale: all training rows / a fold's training rows; predict_scale: test rows / a fold's
  // validation rows (0 without --test); refit_candidates: how many of the best candidates the
  // finalisation may refit (the ensemble's members); fixed_s: seconds needed whatever the model,
  // of which after_run_s is the caller's part after run() (the CLI's report).
  FinalisationReserve(double budget_s, bool maximize, double rows_scale, double predict_scale, std::size_t refit_candidates,
                      double fixed_s, double after_run_s)
      : budget_s_(budget_s), maximize_(maximize), rows_scale_(rows_scale), predict_scale_(predict_scale),
        refit_candidates_(refit_candidates), fixed_s_(fixed_s), after_run_s_(after_run_s) {}

  // Notes a finished trial (COMPLETE ones count; the constant baseline costs nothing to refit).
  void note(const search::FrozenTrial& t) {
    if (t.state != search::TrialState::Complete || t.params.count("baseline") > 0) return;
    const double fit = mean_of(json_doubles(t.user_attrs, "fit_s"));
    const double predict = mean_of(json_doubles(t.user_attrs, "predict_s"));
    std::lock_guard lock(mutex_);
    done_.push_back({t.value(), fit, predict});
  }
  // Seconds the finalisation needs besides the candidates' fits (the feature pipeline on all rows).
  void set_pipeline_s(double seconds) {
    std::lock_guard lock(mutex_);
    pipeline_s_ = seconds;
  }
  // The estimated finalisation time (before the floor and cap).
  double estimate_s() const {
    std::lock_guard lock(mutex_);
    std::vector<Done> best = done_;
    std::stable_sort(best.begin(), best.end(), [this](const Done& a, const Done& b) {
      return maximize_ ? a.value > b.value : a.value < b.value;
    });
    double s = fixed_s_;
    for (std::size_t i = 0; i < best.size() && i < refit_candidates_; ++i)
      s += rows_scale_ * best[i].fit_s + predict_scale_ * best[i].predict_s + pipeline_s_;
    return s;
  }
  // The reserve: the caller's part, plus the engine's part of the estimate with its margin and at
  // least kReserveFloor x budget; at most kReserveCap x budget unless the caller's part and the
  // floor alone exceed that.
  double seconds() const {
    const double engine = std::max(kReserveFloor * budget_s_, kReserveMargin * (estimate_s() - after_run_s_) + kReserveSlackS);
    return std::min(after_run_s_ + engine, std::max(kReserveCap * budget_s_, after_run_s_ + kReserveFloor * budget_s_));
  }
  // Refit + prediction estimate of one candidate (for the optional test scores at the end).
  double candidate_s(const search::FrozenTrial& t) const {
    return rows_scale_ * mean_of(json_doubles(t.user_attrs, "fit_s")) +
           predict_scale_ * mean_of(json_doubles(t.user_attrs, "predict_s"));
  }
  // The refit's fit on all training rows (the fold fit time scaled by rows), and the test
  // file's prediction, of one candidate.
  double refit_fit_s(const search::FrozenTrial& t) const { return rows_scale_ * mean_of(json_doubles(t.user_attrs, "fit_s")); }
  double test_predict_s(const search::FrozenTrial& t) const {
    return predict_scale_ * mean_of(json_doubles(t.user_attrs, "predict_s"));
  }
  double pipeline_s() const {
    std::lock_guard lock(mutex_);
    return pipeline_s_;
  }
  double fixed_s() const { return fixed_s_; }
  double after_run_s() const { return after_run_s_; }

 private:
  struct Done {
    double value, fit_s, predict_s;
  };
  double budget_s_;
  bool maximize_;
  double rows_scale_, predict_scale_;
  std::size_t refit_candidates_;
  double fixed_s_;
  double after_run_s_;
  double pipeline_s_ = 0;
  mutable std::mutex mutex_;
  std::vector<Done> done_;
};

}  // namespace

std::vector<std::string> family_names() {
  std::vector<std::string> names{"constant"};
  for (const auto& n : backend::trainer_names()) {
    names.push_back(n);
    if (n == "xgboost") names.emplace_back("xgboost_rf");
  }
  return names;
}

std::vector<std::string> column_type_choices() {
  std::vector<std::string> names;
  for (const auto n : data::column_type_names()) names.emplace_back(n);
  names.emplace_back("numeric");
  names.emplace_back("ignore");
  return names;
}

std::vector<ParamSpec> family_space(const std::string& family) {
  const std::vector<std::string> names = family_names();
  if (std::find(names.begin(), names.end(), family) == names.end())
    throw Error(ErrorKind::Usage, "unknown model family '" + family + "'; valid: " + join(names));
  std::vector<ParamSpec> specs;
  Suggester recorder(specs);
  (void)suggest_params(recorder, family);
  (void)suggest_feature_params(recorder, family, kAllFeatureSteps);
  const auto defaults = default_params(family);
  for (auto& s : specs)
    if (const auto it = defaults.find(family + "." + s.name); it != defaults.end()) s.default_value = it->second;
  return specs;
}

namespace {

Json check_param_edit(const std::string& label, const ParamSpec& spec, const Json& e) {
  if (spec.kind == "categorical") {
    std::vector<std::string> valid;
    for (const auto& c : spec.choices) valid.push_back(c.dump());
    const auto check = [&](const Json& v) {
      if (std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end())
        throw Error(ErrorKind::BadInput, "search space: " + label + ": " + v.dump() + " is not one of its choices (" + join(valid) + ")");
    };
    if (e.is_object()) throw Error(ErrorKind::BadInput, "search space: " + label + " is categorical: give a choice or a list of choices, not a range");
    if (!e.is_array()) {
      check(e);
      return e;
    }
    if (e.empty()) throw Error(ErrorKind::BadInput, "search space: " + label + ": the list of choices is empty; give at least one of " + join(valid));
    Json out = Json::array();
    for (const auto& v : e) {
      check(v);
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    return out;
  }
  const bool integer = spec.kind == "int";
  const std::string bounds = "[" + num(spec.low) + ", " + num(spec.high) + "]";
  const auto number = [&](const Json& v) {
    if (!v.is_number() || (integer && v.get<double>() != std::floor(v.get<double>())))
      throw Error(ErrorKind::BadInput, "search space: " + label + " takes " + (integer ? "an integer" : "a number") + " in " + bounds +
                                           ", not " + v.dump());
    return v.get<double>();
  };
  const auto as_json = [&](double v) { return integer ? Json(static_cast<std::int64_t>(v)) : Json(v); };
  if (e.is_array())
    throw Error(ErrorKind::BadInput, "search space: " + label + " is numeric: give a value or {\"low\": L, \"high\": H}, not a list");
  if (e.is_object()) {
    if (e.size() != 2 || !e.contains("low") || !e.contains("high"))
      throw Error(ErrorKind::BadInput, "search space: " + label + ": a range is {\"low\": L, \"high\": H}, not " + e.dump());
    const double lo = number(e.at("low")), hi = number(e.at("high"));
    if (lo > hi)
      throw Error(ErrorKind::BadInput, "search space: " + label + ": low (" + num(lo) + ") is above high (" + num(hi) + "); give low <= high");
    if (lo < spec.low || hi > spec.high)
      throw Error(ErrorKind::BadInput, "search space: " + label + ": the range [" + num(lo) + ", " + num(hi) +
                                           "] is outside the family's bounds " + bounds + "; narrow it within them");
    return Json{{"low", as_json(lo)}, {"high", as_json(hi)}};
  }
  const double v = number(e);
  if (v < spec.low || v > spec.high)
    throw Error(ErrorKind::BadInput, "search space: " + label + ": " + num(v) + " is outside the family's bounds " + bounds);
  return as_json(v);
}

}  // namespace

Json check_space_edits(const Json& space) {
  if (space.is_null()) return Json::object();
  if (!space.is_object())
    throw Error(ErrorKind::BadInput, "search space: expected a JSON object {\"FAMILY\": {\"PARAM\": value | {\"low\": L, \"high\": H} | "
                                     "[choices]}}, not " + std::string(space.type_name()));
  const std::vector<std::string> families = family_names();
  Json out = Json::object();
  for (const auto& [family, params] : space.items()) {
    if (std::find(families.begin(), families.end(), family) == families.end() || family == "constant") {
      std::vector<std::string> valid(families.begin() + 1, families.end());
      throw Error(ErrorKind::BadInput, "search space: unknown model family '" + family + "'; valid: " + join(valid));
    }
    if (!params.is_object())
      throw Error(ErrorKind::BadInput, "search space: family '" + family + "' takes an object {\"PARAM\": edit}, not " + params.dump());
    const std::vector<ParamSpec> specs = family_space(family);
    Json edits = Json::object();
    for (const auto& [name, e] : params.items()) {
      const auto it = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.name == name; });
      if (it == specs.end()) {
        std::vector<std::string> valid;
        for (const auto& s : specs) valid.push_back(s.name);
        throw Error(ErrorKind::BadInput, "search space: family '" + family + "' has no parameter '" + name + "'; its parameters: " + join(valid));
      }
      edits[name] = check_param_edit(family + "." + name, *it, e);
    }
    if (!edits.empty()) out[family] = std::move(edits);
  }
  return out;
}


std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::BadInput, "cannot read " + path.string() + " to hash it");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    throw Error(ErrorKind::Internal, "OpenSSL cannot start a sha256 digest");
  }
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    if (n > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(n));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += hex[md[i] >> 4];
    s += hex[md[i] & 15];
  }
  return s;
}

EnsembleDecision decide_ensemble(const EnsembleSelection& selection, std::string_view metric) {
  EnsembleDecision d;
  std::size_t members = 0;
  for (const int c : selection.counts)
    if (c > 0) ++members;
  const std::string scores = std::string(metric) + " " + num(selection.score) + " vs " + num(selection.best_single_score);
  d.kept = selection.improves;
  if (d.kept)
    d.reason = "the ensemble of " + std::to_string(members) + " candidates beats the best single candidate on the out-of-fold rows (" +
               scores + ")";
  else if (members < 2)
    d.reason = "the greedy selection kept only the best single candidate (" + scores + ")";
  else
    d.reason = "the ensemble is not strictly better than the best single candidate on the out-of-fold rows (" + scores + ")";
  return d;
}

RunResult run(const RunSettings& settings, const TrialCallback& on_trial, const CancelToken* outside_cancel) {
  const auto t_start = Clock::now();
  IssueLog issues;
  RunResult result;

  // ---- Settings that need no data: fail fast ----
  if (settings.data.empty()) throw Error(ErrorKind::Usage, "--data is required");
  if (settings.target.empty()) throw Error(ErrorKind::Usage, "--target is required");
  if (settings.max_trials && *settings.max_trials < 1) throw Error(ErrorKind::Usage, "--max-trials must be at least 1");
  if (settings.time_budget_s && !(*settings.time_budget_s > 0)) throw Error(ErrorKind::Usage, "--time-budget must be positive (seconds)");
  if (settings.jobs < 1) throw Error(ErrorKind::Usage, "--jobs must be at least 1 (trials at once)");
  const std::vector<std::string> families = usable_families(check_families(settings.models), !settings.models.empty(), false, issues);
  (void)csv_types(settings.column_types);       // Usage for an unknown type name
  (void)check_space_edits(settings.space);      // BadInput naming the family and parameter
  if (settings.metric != "auto") (void)metrics::info(settings.metric);  // Usage error listing the valid names
  const int fit_threads = threads_per_fit(settings.jobs);
  backend::DeviceContext device{backend::parse_device(settings.device), fit_threads};
  for (const auto& f : families)
    if (f != "constant") (void)backend::resolve_device(device, backend::device_support(trainer_of(f)));  // Resource for cuda without GPU

  // ---- Data, metric, validation ----
  Problem pb = load_problem(settings.data, settings.target, settings.task, settings.metric, settings.cv, settings.seed,
                            families, issues, settings.column_types, settings.space);
  // Large data: the search runs on a seeded row sample (RunSettings::search_rows_max).
  const std::size_t search_rows = limit_search_rows(pb, settings.search_rows_max, &issues);
  const Prepared& p = pb.p;
  const std::string& metric = pb.metric;
  const bool maximize = pb.maximize;
  const std::vector<Fold>& folds = pb.folds;
  const ValidationPlan& plan = pb.plan;
  const std::string& data_sha = pb.data_sha;
  result.task = p.task;
  result.classes = p.classes;
  result.metric = metric;
  result.maximize = maximize;

  // ---- Run directory ----
  const fs::path run_dir = settings.out.empty() ? fs::path("glasswing-run") : settings.out;
  {
    std::error_code ec;
    fs::create_directories(run_dir, ec);
    const fs::path probe = run_dir / ".write-test";
    std::ofstream test(probe);
    if (ec || !test)
      throw Error(ErrorKind::Storage, "cannot write into the run directory " + run_dir.string() +
                                          (ec ? ": " + ec.message() : std::string()) + "; choose a writable --out");
    test.close();
    fs::remove(probe, ec);
  }
  result.run_dir = run_dir;

  // ---- The search store ----
  std::string url = settings.storage;
  if (url.empty()) url = "sqlite:///" + fs::absolute(run_dir / "search.db").lexically_normal().string();
  std::shared_ptr<search::Storage> storage = search::make_storage(url);
  const std::string search_name = settings.search_name.empty() ? kDefaultSearchName : settings.search_name;
  bool existing = false;
  for (const auto& s : storage->get_all_studies())
    if (s.name == search_name) existing = true;
  if (existing && !settings.resume)
    throw Error(ErrorKind::Storage, "the store " + url + " already holds a search named '" + search_name +
                                        "'; pass --resume to continue it, --search NAME for a new one, or another --out");
  // A resumed search samples with the seed moved on by its trial count: the plain seed would
  // propose the first process's random start-up trials again (still deterministic).
  std::uint64_t sampler_seed = settings.seed;
  if (existing)
    sampler_seed += 0x9E3779B97F4A7C15ULL *
                    static_cast<std::uint64_t>(storage->get_n_trials(storage->get_study_id_from_name(search_name)));
  std::shared_ptr<search::Sampler> sampler = make_search_sampler(sampler_seed, settings.jobs);
  std::shared_ptr<search::Pruner> pruner = make_search_pruner();
  std::optional<int> max_trials;
  if (settings.max_trials) max_trials = *settings.max_trials;
  else if (!settings.time_budget_s) max_trials = kDefaultMaxTrials;
  if (!settings.max_trials && !settings.time_budget_s)
    issues.add(Severity::Info, "run", "neither --max-trials nor --time-budget was given: running " +
                                          std::to_string(kDefaultMaxTrials) + " trials");
  std::optional<search::Study> study_holder;
  std::int64_t stale_failed = 0;
  if (existing) {
    study_holder.emplace(search::Study::load(storage, search_name, sampler, pruner));
    const auto info = storage->get_study(study_holder->study_id());
    if (auto it = info.user_attrs.find("glasswing.data_sha256"); it != info.user_attrs.end() && it->second != Json(data_sha))
      throw Error(ErrorKind::BadInput, "--resume: search '" + search_name + "' was run on other data (sha256 differs from " +
                                           settings.data.string() + "); use the same --data or a new --search");
    if (auto it = info.user_attrs.find("glasswing.metric"); it != info.user_attrs.end() && it->second != Json(metric))
      throw Error(ErrorKind::Usage, "--resume: search '" + search_name + "' optimises " + it->second.dump() +
                                        ", not '" + metric + "'; use the same --metric or a new --search");
    if (auto it = info.user_attrs.find(kSettingsKey); it != info.user_attrs.end() && it->second.is_object()) {
      const Json stored_types = it->second.value("column_types", Json::object());
      if (!same_json(stored_types, Json(pb.column_types)))
        throw Error(ErrorKind::Usage, "--resume: search '" + search_name + "' was run with column types " + stored_types.dump() +
                                          ", not " + Json(pb.column_types).dump() + "; pass the same --column-type or a new --search");
      const Json stored_space = it->second.value("space", Json::object());
      if (!same_json(stored_space, pb.space))
        throw Error(ErrorKind::Usage, "--resume: search '" + search_name + "' was run with search space " + stored_space.dump() +
                                          ", not " + pb.space.dump() + "; pass the same --space or a new --search");
    }
    stale_failed = fail_stale(*study_holder, issues);
  } else {
    study_holder.emplace(search::Study::create(storage, search_name,
                                               {maximize ? search::StudyDirection::Maximize : search::StudyDirection::Minimize},
                                               sampler, pruner));
    const auto id = study_holder->study_id();
    storage->set_study_user_attr(id, "glasswing.data_sha256", data_sha);
    storage->set_study_user_attr(id, "glasswing.target", p.target);
    storage->set_study_user_attr(id, "glasswing.task", p.task);
    storage->set_study_user_attr(id, "glasswing.metric", metric);
    // What a worker needs to rebuild the objective (join_search).
    Json stored{{"format", "glasswing-search"},
                {"version", 1},
                {"data", pb.data.string()},
                {"data_sha256", data_sha},
                {"target", p.target},
                {"task", p.task},
                {"metric", metric},
                {"cv", settings.cv ? Json(*settings.cv) : Json(nullptr)},
                {"folds", folds.size()},
                {"validation", std::string(to_string(plan.kind))},
                {"seed", settings.seed},
                {"models", families},
                {"max_trials", max_trials ? Json(*max_trials) : Json(nullptr)},
                {"column_types", pb.column_types},
                {"space", pb.space},
                {"search_rows", search_rows < p.rows.size() ? Json(search_rows) : Json(nullptr)}};
    storage->set_study_user_attr(id, kSettingsKey, stored);
  }
  search::Study& study = *study_holder;

  // ---- The search ----
  CancelToken token;
  // The budget covers the whole run: the search's deadline leaves a finalisation reserve that is
  // re-estimated after every finished trial (FinalisationReserve).
  // The test file's size relative to the training file's (its rows and read time are guessed from it).
  double test_ratio = 0;
  if (!settings.test.empty()) {
    std::error_code e1, e2;
    const auto test_bytes = fs::file_size(settings.test, e1), data_bytes = fs::file_size(settings.data, e2);
    test_ratio = e1 || e2 || data_bytes == 0 ? 1.0 : static_cast<double>(test_bytes) / static_cast<double>(data_bytes);
  }
  // What the caller does after run() within the budget (the CLI's report): a fixed allowance and
  // one per data row (training rows and the test file's).
  const double after_run_s = std::max(0.0, settings.finalisation_extra_s) +
                             std::max(0.0, settings.finalisation_extra_s_per_row) * static_cast<double>(p.rows.size()) *
                                 (1.0 + test_ratio);
  std::optional<FinalisationReserve> reserve;
  if (settings.time_budget_s) {
    double train_rows = 0, valid_rows = 0;
    for (const auto& f : folds) {
      train_rows += static_cast<double>(f.train.size());
      valid_rows += static_cast<double>(f.valid.size());
    }
    train_rows /= static_cast<double>(std::max<std::size_t>(1, folds.size()));
    valid_rows /= static_cast<double>(std::max<std::size_t>(1, folds.size()));
    const double rows = static_cast<double>(p.rows.size());
    // Artifacts: a fixed allowance and the out-of-fold files (one line per training row each).
    double predict_scale = 0, fixed = kArtifactsAllowance + after_run_s +
                                      kArtifactsPerRowS * rows * static_cast<double>(settings.oof_keep + 1);
    if (!settings.test.empty()) {
      predict_scale = test_ratio * rows / std::max(1.0, valid_rows);
      fixed += test_ratio * pb.read_s;
    }
    reserve.emplace(*settings.time_budget_s, maximize, rows / std::max(1.0, train_rows), predict_scale,
                    settings.ensemble_candidates >= 2 ? std::size_t{5} : std::size_t{1}, fixed, after_run_s);
    for (const auto& t : study.trials()) reserve->note(t);
    set_deadline(token, t_start, *settings.time_budget_s - reserve->seconds());
  }
  CancelForwarder forward(outside_cancel, token);
  TrialRunner runner(pb, device, token, *storage);
  auto move_deadline = [&](const search::FrozenTrial& t) {
    if (!reserve) return;
    reserve->set_pipeline_s(runner.pipeline_seconds_per_row() * static_cast<double>(p.rows.size()));
    reserve->note(t);
    const auto deadline = after(t_start, *settings.time_budget_s - reserve->seconds());
    token.set_deadline(deadline);
    runner.set_deadline(deadline);
  };
  if (reserve) runner.set_deadline(after(t_start, *settings.time_budget_s - reserve->seconds()));
  TrialReporter reporter(study, maximize, t_start, on_trial);
  const auto t_search = Clock::now();
  std::int64_t ran_here = 0;
  // The constant baseline first (cheap; it guarantees a result): trial 0 of a new search, or
  // again on --resume when the killed process never finished it.
  bool has_baseline = false;
  bool has_enqueued = false;
  for (const auto& t : study.trials()) {
    if (t.state == search::TrialState::Complete && t.params.count("baseline") > 0) has_baseline = true;
    if (t.system_attrs.count(search::kFixedParamsKey) > 0) has_enqueued = true;
  }
  if (storage->get_study(study.study_id()).user_attrs.count(kDefaultsKey) > 0) has_enqueued = true;
  // It runs even when a small budget's deadline has already passed (loading took it): a run
  // always has a result; only Ctrl-C skips it.
  if (!has_baseline && !(outside_cancel != nullptr && outside_cancel->cancelled())) {
    const search::FrozenTrial baseline = runner.run_baseline(study);
    move_deadline(baseline);
    reporter(baseline);
    ++ran_here;
  }
  if (!has_enqueued) {
    // Then one strong default per family, once per search.
    // Cheapest first, so a short budget still sees several families.
    std::vector<std::string> by_cost;
    for (const char* f : {"linear", "xgboost", "mlp", "xgboost_rf"})
      if (std::find(families.begin(), families.end(), f) != families.end()) by_cost.emplace_back(f);
    for (const auto& f : families)
      if (f != "constant" && std::find(by_cost.begin(), by_cost.end(), f) == by_cost.end()) by_cost.push_back(f);
    // Never more than --max-trials allows: a default left WAITING would outlive the run.
    std::int64_t room = max_trials ? std::max<std::int64_t>(0, *max_trials - count_finished(study))
                                   : std::numeric_limits<std::int64_t>::max();
    auto enqueue = [&](const std::map<std::string, Json>& params) {
      if (room <= 0) return;
      study.enqueue_trial(apply_space_edits(params, pb.space));
      --room;
    };
    for (const auto& f : by_cost) enqueue(default_params(f));
    for (const auto& f : by_cost)
      for (const auto& d : more_default_params(f)) enqueue(d);
    storage->set_study_user_attr(study.study_id(), kDefaultsKey, true);
  }
  search::OptimizeOptions oo;
  if (max_trials)
    oo.n_trials = pb.family_choices.empty() ? 0 : std::max<std::int64_t>(0, *max_trials - count_finished(study));
  else if (pb.family_choices.empty())
    oo.n_trials = 0;
  oo.n_jobs = settings.jobs;
  oo.cancel = &token;
  oo.callbacks.push_back([&reporter, &move_deadline](const search::FrozenTrial& t) {
    move_deadline(t);
    reporter(t);
  });
  search::OptimizeReport report;
  if (!oo.n_trials || *oo.n_trials > 0)
    report = study.optimize(search::Study::SingleObjective([&runner](search::Trial& t) { return runner.objective(t); }), oo);
  ran_here += report.n_trials;
  const double search_s = seconds_since(t_search);
  const auto t_final = Clock::now();
  // Where the engine's work must end for the whole run to keep the budget.
  const Clock::time_point t_end = settings.time_budget_s
                                     ? after(t_start, *settings.time_budget_s - after_run_s)
                                     : Clock::time_point::max();
  const bool stopped_early = report.timed_out || report.cancelled;
  if (stopped_early || token.cancelled())
    issues.add(Severity::Info, "run", "the search stopped at the time budget (or Ctrl-C) after " +
                                          std::to_string(ran_here) + " trials; finished trials make the result");
  std::string device_used = runner.device_used();
  auto& oof = runner.oof();
  const double read_s = pb.read_s;

  // ---- Leaderboard ----
  const std::vector<search::FrozenTrial> all = study.trials();
  std::vector<const search::FrozenTrial*> complete;
  for (const auto& t : all) {
    if (t.state == search::TrialState::Complete) {
      complete.push_back(&t);
      ++result.trials_complete;
    } else if (t.state == search::TrialState::Fail) {
      ++result.trials_failed;
    } else if (t.state == search::TrialState::Pruned) {
      ++result.trials_pruned;
    }
  }
  if (complete.empty())
    throw Error(ErrorKind::Resource, "no trial finished within the budget; give a larger --time-budget");
  std::stable_sort(complete.begin(), complete.end(), [&](const auto* a, const auto* b) {
    const double va = a->value(), vb = b->value();
    if (va != vb) return maximize ? va > vb : va < vb;
    return a->number < b->number;
  });
  auto family_of = [](const search::FrozenTrial& t) {
    const auto it = t.params.find("model");
    return it != t.params.end() ? it->second.get<std::string>() : std::string("constant");
  };
  for (std::size_t i = 0; i < complete.size(); ++i) {
    const auto& t = *complete[i];
    LeaderboardRow row;
    row.rank = static_cast<int>(i + 1);
    row.trial = t.number;
    row.family = family_of(t);
    row.params = ordered_json::object();
    for (const auto& [name, value] : t.params)
      if (name.rfind(row.family + ".", 0) == 0) row.params[name.substr(row.family.size() + 1)] = value;
    row.cv_mean = t.value();
    row.fold_scores = json_doubles(t.user_attrs, "fold_scores");
    row.cv_sd = sd_of(row.fold_scores);
    row.fit_s = mean_of(json_doubles(t.user_attrs, "fit_s"));
    row.predict_s = mean_of(json_doubles(t.user_attrs, "predict_s"));
    if (row.family == "constant" && !result.baseline_cv) result.baseline_cv = row.cv_mean;
    result.leaderboard.push_back(std::move(row));
  }

  // ---- Ensemble selection over the out-of-fold predictions of the best distinct candidates ----
  // (selected and scored on the same OOF rows, so its CV score is optimistic: "selected_on": "oof")
  ordered_json ensemble_json{{"selected_on", "oof"}, {"candidates_max", settings.ensemble_candidates}};
  std::vector<const search::FrozenTrial*> ens_cands;
  std::optional<EnsembleSelection> selection;
  EnsembleDecision decision;
  if (settings.ensemble_candidates >= 2) {
    std::set<std::string> seen;
    std::size_t without_oof = 0;
    for (const auto* t : complete) {
      if (ens_cands.size() >= settings.ensemble_candidates) break;
      if (family_of(*t) == "constant") continue;
      std::string key;
      for (const auto& [name, value] : t->params) key += name + "=" + value.dump() + ";";
      if (!seen.insert(key).second) continue;  // a retried default: the same candidate
      if (oof.count(t->number) == 0) {
        ++without_oof;
        continue;
      }
      ens_cands.push_back(t);
    }
    if (without_oof > 0)
      issues.add(Severity::Info, "ensemble", std::to_string(without_oof) + " of the best candidates ran in an earlier process "
                                             "(--resume or a worker): their out-of-fold predictions are not available, so the "
                                             "ensemble selection left them out");
    if (ens_cands.size() < 2) {
      decision.reason = "fewer than 2 candidates (other than the constant baseline) with out-of-fold predictions from this process";
    } else {
      // Under a budget, only candidates whose refits fit in what is left take part: the best
      // single candidate (ens_cands[0]) always, then the next ones while the refits of all of
      // them, with the reserve's margin, still end before the budget's end less the test scoring
      // and artifacts; the candidates left out for time are recorded.
      if (reserve) {
        const double available =
            (std::chrono::duration<double>(t_end - Clock::now()).count() - (reserve->fixed_s() - reserve->after_run_s()) -
             kReserveSlackS) / kReserveMargin;
        ordered_json left_out = ordered_json::array();
        std::vector<const search::FrozenTrial*> kept{ens_cands.front()};
        double total = reserve->candidate_s(*ens_cands.front());
        for (std::size_t k = 1; k < ens_cands.size(); ++k) {
          const double c = reserve->candidate_s(*ens_cands[k]);
          if (total + c <= available) {
            total += c;
            kept.push_back(ens_cands[k]);
          } else {
            left_out.push_back({{"trial", ens_cands[k]->number}, {"family", family_of(*ens_cands[k])}, {"refit_estimate_s", c}});
          }
        }
        ens_cands = std::move(kept);
        if (!left_out.empty()) ensemble_json["left_out_for_time"] = left_out;
      }
      if (ens_cands.size() < 2) {
        decision.reason = "the ensemble's candidates could not be refit within the time budget (refit estimates in "
                          "left_out_for_time)";
      } else {
        std::vector<std::span<const double>> preds;
        for (const auto* t : ens_cands) preds.emplace_back(oof.at(t->number));
        EnsembleTarget y;
        y.outputs = p.outputs();
        y.y_class = p.y_class;
        y.y_value = p.y_value;
        try {
          selection = select_ensemble(preds, y, metric);
          decision = decide_ensemble(*selection, metric);
        } catch (const Error& e) {
          decision.reason = std::string("ensemble selection failed: ") + e.what();
        }
      }
    }
  } else {
    decision.reason = "ensembling is off (ensemble_candidates < 2)";
  }
  ensemble_json["kept"] = decision.kept;
  ensemble_json["reason"] = decision.reason;
  if (selection) {
    ordered_json cands = ordered_json::array();
    for (std::size_t k = 0; k < ens_cands.size(); ++k)
      cands.push_back({{"trial", ens_cands[k]->number}, {"family", family_of(*ens_cands[k])},
                       {"oof_score", selection->single_scores[k]}, {"count", selection->counts[k]}, {"weight", selection->weights[k]}});
    ensemble_json["candidates"] = cands;
    ensemble_json["oof_score"] = selection->score;
    ensemble_json["best_single_oof_score"] = selection->best_single_score;
    ensemble_json["best_single_trial"] = ens_cands[selection->best_single]->number;
    ensemble_json["rounds_kept"] = selection->rounds_kept;
    ensemble_json["rows_scored"] = selection->rows_scored;
    ensemble_json["trajectory"] = selection->trajectory;
  }
  // The ensemble's members (candidate index, weight) and its per-fold scores, when kept.
  std::vector<std::size_t> ens_members;
  std::vector<double> ens_weights;
  if (decision.kept) {
    for (std::size_t k = 0; k < ens_cands.size(); ++k)
      if (selection->counts[k] > 0) {
        ens_members.push_back(k);
        ens_weights.push_back(selection->weights[k]);
      }
    std::vector<std::span<const double>> preds;
    for (const std::size_t k : ens_members) preds.emplace_back(oof.at(ens_cands[k]->number));
    const std::vector<double> blended = blend(preds, ens_weights, p.outputs());
    LeaderboardRow row;
    row.trial = -1;
    row.family = "ensemble";
    row.params = ordered_json::array();
    for (std::size_t m = 0; m < ens_members.size(); ++m) {
      const auto& t = *ens_cands[ens_members[m]];
      row.params.push_back({{"trial", t.number}, {"family", family_of(t)}, {"weight", ens_weights[m]}});
      row.fit_s += mean_of(json_doubles(t.user_attrs, "fit_s"));
      row.predict_s += mean_of(json_doubles(t.user_attrs, "predict_s"));
    }
    for (const auto& fold : folds) {
      std::vector<double> fp;
      fp.reserve(fold.valid.size() * p.outputs());
      for (const std::size_t i : fold.valid)
        for (std::size_t c = 0; c < p.outputs(); ++c) fp.push_back(blended[i * p.outputs() + c]);
      row.fold_scores.push_back(score_rows(p, metric, fold.valid, fp));
    }
    row.cv_mean = mean_of(row.fold_scores);
    row.cv_sd = sd_of(row.fold_scores);
    ensemble_json["cv_mean"] = row.cv_mean;
    ensemble_json["cv_sd"] = row.cv_sd;
    // Ranked by its CV mean among the candidates (ties: after them).
    std::size_t at = 0;
    while (at < result.leaderboard.size() &&
           !(maximize ? row.cv_mean > result.leaderboard[at].cv_mean : row.cv_mean < result.leaderboard[at].cv_mean))
      ++at;
    result.leaderboard.insert(result.leaderboard.begin() + static_cast<std::ptrdiff_t>(at), std::move(row));
    for (std::size_t i = 0; i < result.leaderboard.size(); ++i) result.leaderboard[i].rank = static_cast<int>(i + 1);
    result.chosen = at;
    result.ensemble_kept = true;
  }
  // The leaderboard row of a trial.
  auto row_of = [&](std::int64_t number) -> LeaderboardRow& {
    for (auto& r : result.leaderboard)
      if (r.trial == number) return r;
    throw Error(ErrorKind::Internal, "trial " + std::to_string(number) + " is not on the leaderboard");
  };

  // ---- Refit on all training rows (the chosen candidate, or the ensemble's members) ----
  const auto t_refit = Clock::now();
  // With a budget: all rows when the estimated refit (the folds' fit time scaled by rows, and the
  // feature pipeline) ends before the budget's end less the test scoring and artifacts, else the
  // largest seeded (stratified) sample that does; the refit's fits stop at that point (keeping
  // the rounds/epochs done) when the estimate was short.
  std::vector<std::size_t> refit_sample_rows;  // table rows of a sampled refit (empty: all rows)
  std::vector<float> refit_sample_y;
  CancelToken refit_deadline;
  const CancelToken* refit_soft_cancel = nullptr;
  if (reserve) {
    std::vector<const search::FrozenTrial*> to_refit;
    for (const std::size_t k : ens_members) to_refit.push_back(ens_cands[k]);
    if (to_refit.empty()) to_refit.push_back(complete.front());
    double fit_all = 0, after_refit = reserve->fixed_s() - after_run_s;
    for (const auto* t : to_refit) {
      if (family_of(*t) == "constant") continue;
      fit_all += reserve->refit_fit_s(*t) + runner.pipeline_seconds_per_row() * static_cast<double>(p.rows.size());
      after_refit += reserve->test_predict_s(*t);
    }
    const auto refit_end = after(t_end, -after_refit);
    const double available = std::chrono::duration<double>(refit_end - Clock::now()).count();
    const std::size_t n_all = p.rows.size();
    if (fit_all > available && fit_all > 0) {
      const double share = std::max(0.0, available) / fit_all;
      const std::size_t n = std::clamp<std::size_t>(static_cast<std::size_t>(share * static_cast<double>(n_all)),
                                                    std::min<std::size_t>(n_all, kRefitRowsMin), n_all);
      if (n < n_all) {
        for (const std::size_t i : sample_rows(p, n, settings.seed + 1)) {
          refit_sample_rows.push_back(p.rows[i]);
          refit_sample_y.push_back(p.y[i]);
        }
        issues.add(Severity::Warning, "run", "the chosen model was refit on a seeded " +
                                                 std::string(p.classification() ? "stratified " : "") + "sample of " +
                                                 std::to_string(refit_sample_rows.size()) + " of the " + std::to_string(n_all) +
                                                 " training rows: a refit on all of them (about " + num(fit_all) +
                                                 " s) would not end within the time budget (" + num(std::max(0.0, available)) +
                                                 " s left for it); give a larger --time-budget to use every row");
      }
    }
    refit_deadline.set_deadline(refit_end);
    refit_soft_cancel = &refit_deadline;
  }
  const bool refit_sampled = !refit_sample_rows.empty();
  const std::vector<std::size_t>& refit_rows = refit_sampled ? refit_sample_rows : p.rows;
  const std::vector<float>& refit_y = refit_sampled ? refit_sample_y : p.y;
  result.search_rows = search_rows;
  result.train_rows = refit_rows.size();
  struct Refit {
    features::Pipeline pipeline;
    FitOutcome fit;
    bool cut = false;  // stopped at the budget's end with the rounds/epochs done so far
  };
  std::map<std::int64_t, Refit> refits;  // by trial number: each candidate is refit once
  auto refit = [&](const search::FrozenTrial& t, IssueLog* log) -> const Refit& {
    if (const auto it = refits.find(t.number); it != refits.end()) return it->second;
    const std::string family = family_of(t);
    const backend::Params params = refit_params(family, params_of(t, family), json_doubles(t.user_attrs, "best_rounds"));
    Refit r;
    features::FeatureMatrix x;
    r.pipeline = features::Pipeline::fit(p.table, p.target, refit_rows,
                                         features::TargetView{target_kind(p.task), p.outputs(), refit_y},
                                         pipeline_options(family, t.params, settings.seed), &x, log);
    r.fit = fit_model(p, family, params, x, refit_y, nullptr, {}, settings.seed, device, nullptr, log, refit_soft_cancel);
    if (r.fit.report.stop == backend::StopReason::Cancelled) {
      r.cut = true;
      if (log != nullptr)
        log->add(Severity::Warning, "run", "the refit of trial " + std::to_string(t.number) + " (" + family + ") stopped at the time "
                                           "budget after " + std::to_string(r.fit.report.rounds) + " rounds/epochs; the model keeps them");
    }
    return refits.emplace(t.number, std::move(r)).first->second;
  };
  std::vector<const Refit*> member_refits;
  for (const std::size_t k : ens_members) member_refits.push_back(&refit(*ens_cands[k], &issues));
  const Refit& chosen = decision.kept ? *member_refits.front() : refit(*complete.front(), &issues);
  for (const Refit* r : member_refits)
    if (r->fit.model.trainer) device_used = r->fit.report.device;
  if (chosen.fit.model.trainer) device_used = chosen.fit.report.device;
  result.device = device_used;
  const double refit_s = seconds_since(t_refit);

  // ---- Test file: scored once, never used for selection ----
  std::string test_sha;
  if (!settings.test.empty()) {
    test_sha = sha256_file(settings.test);
    const data::Table test = read_typed(settings.test, pb.column_types, p.target, false);
    const data::Column* tc = test.find(p.target);
    if (tc == nullptr) throw Error(ErrorKind::BadInput, "test file " + settings.test.string() + " has no target column '" + p.target + "'");
    std::vector<std::size_t> test_rows;
    std::vector<std::size_t> positions;
    Prepared tp;
    tp.classes = p.classes;
    tp.task = p.task;
    std::map<std::string, std::int32_t> index;
    for (const auto& c : p.classes) index.emplace(c, static_cast<std::int32_t>(index.size()));
    for (std::size_t r = 0; r < test.rows(); ++r) {
      if (tc->is_missing(r)) continue;
      if (p.classification()) {
        const auto it = index.find(tc->cell_text(r));
        if (it == index.end())
          throw Error(ErrorKind::BadInput, "test file " + settings.test.string() + " has class '" + tc->cell_text(r) +
                                               "' in row " + std::to_string(r + 1) + ", which the training data lacks");
        tp.y_class.push_back(it->second);
      } else {
        tp.y_value.push_back(tc->is_numeric() ? tc->values()[r] : NAN);
      }
      positions.push_back(test_rows.size());
      test_rows.push_back(r);
    }
    auto test_predictions = [&](const Refit& r) {
      const auto x = r.pipeline.transform(test, test_rows);
      return predict_matrix(r.fit.model, x, p.outputs());
    };
    auto test_score = [&](const Refit& r) { return score_rows(tp, metric, positions, test_predictions(r)); };
    {
      // The chosen model's predictions, one row per test row with a target (metrics_check.py's format).
      PredictionTable pt;
      pt.rows = test_rows.size();
      pt.classes = p.classes;
      if (decision.kept) {
        std::vector<std::vector<double>> member_preds;
        for (const Refit* r : member_refits) member_preds.push_back(test_predictions(*r));
        std::vector<std::span<const double>> spans(member_preds.begin(), member_preds.end());
        pt.values = blend(spans, normalise_weights(normalise_weights(ens_weights)), p.outputs());
        for (std::size_t m = 0; m < ens_members.size(); ++m)
          row_of(ens_cands[ens_members[m]]->number).test_score = score_rows(tp, metric, positions, member_preds[m]);
      } else {
        pt.values = test_predictions(chosen);
      }
      result.test_score = score_rows(tp, metric, positions, pt.values);
      std::error_code ec;
      fs::create_directories(run_dir / "predictions", ec);
      if (ec) throw Error(ErrorKind::Storage, "cannot create " + (run_dir / "predictions").string() + ": " + ec.message());
      write_predictions_csv(pt, run_dir / "predictions" / "test.csv");
    }
    result.leaderboard[result.chosen].test_score = result.test_score;
    // The next best candidates and the baseline get a test score too (P1 shows them side by side).
    // With a time budget, only while the refit fits before the budget's end.
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < complete.size(); ++i) {
      LeaderboardRow& row = row_of(complete[i]->number);
      if (row.test_score || (i >= 3 && row.family != "constant")) continue;
      if (reserve && row.family != "constant" && refits.count(complete[i]->number) == 0 &&
          after(Clock::now(), reserve->candidate_s(*complete[i])) > t_end) {
        ++skipped;
        continue;
      }
      const Refit& r = refit(*complete[i], nullptr);
      if (r.cut) {  // stopped at the budget's end: not the candidate as searched
        ++skipped;
        continue;
      }
      row.test_score = test_score(r);
    }
    if (skipped > 0)
      issues.add(Severity::Info, "run", "the test scores of " + std::to_string(skipped) +
                                            " more candidates were left out to keep the time budget");
  }

  // ---- Artifacts ----
  const LeaderboardRow& chosen_row = result.leaderboard[result.chosen];
  ordered_json manifest;
  manifest["task"] = p.task;
  manifest["target"] = p.target;
  manifest["classes"] = p.classes;
  manifest["metric"] = metric;
  manifest["cv_score"] = chosen_row.cv_mean;
  manifest["cv_folds"] = folds.size();
  manifest["trial"] = chosen_row.trial;
  manifest["params"] = chosen_row.params;
  manifest["device"] = device_used;
  manifest.update(describe_training_data(p.table, p.target, refit_rows));
  if (decision.kept) {
    manifest["ensemble"] = ensemble_json;
    std::vector<BundleMember> members;
    for (std::size_t m = 0; m < ens_members.size(); ++m) {
      const auto& t = *ens_cands[ens_members[m]];
      members.push_back({&member_refits[m]->pipeline, &member_refits[m]->fit.model, ens_weights[m],
                         {{"trial", t.number}, {"cv_score", t.value()}}});
    }
    write_ensemble_bundle(run_dir / "model", members, manifest);
  } else {
    write_bundle(run_dir / "model", chosen.pipeline, chosen.fit.model, manifest);
  }

  ordered_json lb = ordered_json::array();
  std::string csv = "rank,trial,family,params,cv_mean,cv_sd,test_score,fit_s,predict_s\n";
  for (const auto& row : result.leaderboard) {
    lb.push_back({{"rank", row.rank},
                  {"trial", row.trial},
                  {"family", row.family},
                  {"params", row.params},
                  {"cv_mean", row.cv_mean},
                  {"cv_sd", row.cv_sd},
                  {"fold_scores", row.fold_scores},
                  {"test_score", row.test_score ? ordered_json(*row.test_score) : ordered_json(nullptr)},
                  {"fit_s", row.fit_s},
                  {"predict_s", row.predict_s}});
    csv += std::to_string(row.rank) + "," + std::to_string(row.trial) + "," + row.family + "," + csv_field(row.params.dump()) +
           "," + num(row.cv_mean) + "," + num(row.cv_sd) + "," + (row.test_score ? num(*row.test_score) : "") + "," +
           num(row.fit_s) + "," + num(row.predict_s) + "\n";
  }
  write_file_atomic(run_dir / "leaderboard.json",
                    ordered_json{{"metric", metric}, {"direction", maximize ? "maximize" : "minimize"}, {"candidates", lb}}.dump(2) + "\n");
  write_file_atomic(run_dir / "leaderboard.csv", csv);

  // Out-of-fold predictions of the best few candidates that ran in this process (and of a kept
  // ensemble: oof/ensemble.csv, the blend it was selected on).
  {
    std::error_code ec;
    fs::create_directories(run_dir / "oof", ec);
    auto write_oof = [&](const std::vector<double>& pred, const std::string& name) {
      std::string text = "row";
      if (p.classification())
        for (const auto& c : p.classes) {
          text += ',';
          text += csv_field(std::string("proba_").append(c));
        }
      else
        text += ",prediction";
      text += "\n";
      for (std::size_t i = 0; i < p.rows.size(); ++i) {
        text += std::to_string(p.rows[i]);
        for (std::size_t c = 0; c < p.outputs(); ++c) {
          text += ',';
          text += num(pred[i * p.outputs() + c]);
        }
        text += "\n";
      }
      write_file_atomic(run_dir / "oof" / name, text);
    };
    std::size_t written = 0;
    for (const auto* t : complete) {
      if (written >= settings.oof_keep) break;
      const auto it = oof.find(t->number);
      if (it == oof.end()) continue;
      write_oof(it->second, "trial_" + std::to_string(t->number) + ".csv");
      ++written;
    }
    // The fold of each training row, so the report can score every metric per fold.
    {
      std::string text = "row,fold\n";
      std::vector<std::pair<std::size_t, std::size_t>> rows;
      for (std::size_t f = 0; f < folds.size(); ++f)
        for (const std::size_t i : folds[f].valid) rows.emplace_back(p.rows[i], f);
      std::sort(rows.begin(), rows.end());
      for (const auto& [row, f] : rows) text += std::to_string(row) + "," + std::to_string(f) + "\n";
      write_file_atomic(run_dir / "oof" / "folds.csv", text);
    }
    if (decision.kept) {
      std::vector<std::span<const double>> preds;
      for (const std::size_t k : ens_members) preds.emplace_back(oof.at(ens_cands[k]->number));
      write_oof(blend(preds, ens_weights, p.outputs()), "ensemble.csv");
    }
  }

  result.seconds = seconds_since(t_start);
  result.issues = issues.snapshot();
  ordered_json families_json = families;
  ordered_json run_json;
  run_json["format"] = "glasswing-run";
  run_json["version"] = 1;
  run_json["glasswing_version"] = kVersion;
  run_json["build"] = std::string(kBuildType) + ", " + kCompiler;
  run_json["trainers"] = backend::trainer_names();
  ordered_json backends = ordered_json::object();
  // The backends this run used: asking for another would load its module (docs/BACKENDS.md, "Loading").
  for (const auto& name : backend::trainer_names())
    if (std::any_of(families.begin(), families.end(), [&](const std::string& f) { return trainer_of(f) == name; }))
      backends[name] = backend::device_support(name).detail;
  run_json["backends"] = backends;
  run_json["inputs"] = ordered_json::array();
  run_json["inputs"].push_back({{"role", "train"}, {"path", fs::absolute(settings.data).string()}, {"sha256", data_sha}});
  if (!settings.test.empty())
    run_json["inputs"].push_back({{"role", "test"}, {"path", fs::absolute(settings.test).string()}, {"sha256", test_sha}});
  run_json["settings"] = {{"target", settings.target},
                          {"task", settings.task},
                          {"metric", settings.metric},
                          {"time_budget_s", settings.time_budget_s ? ordered_json(*settings.time_budget_s) : ordered_json(nullptr)},
                          {"max_trials", max_trials ? ordered_json(*max_trials) : ordered_json(nullptr)},
                          {"cv", settings.cv ? ordered_json(*settings.cv) : ordered_json(nullptr)},
                          {"seed", settings.seed},
                          {"jobs", settings.jobs},
                          {"threads_per_fit", fit_threads},
                          {"models", families_json},
                          {"device", settings.device},
                          {"storage", url},
                          {"search", search_name},
                          {"resume", settings.resume},
                          {"ensemble_candidates", settings.ensemble_candidates},
                          {"finalisation_extra_s", settings.finalisation_extra_s},
                          {"finalisation_extra_s_per_row", settings.finalisation_extra_s_per_row},
                          {"search_rows_max", settings.search_rows_max},
                          {"column_types", pb.column_types},
                          {"space", pb.space}};
  run_json["seed"] = settings.seed;
  run_json["task"] = p.task;
  run_json["target"] = p.target;
  run_json["classes"] = p.classes;
  run_json["metric"] = metric;
  run_json["direction"] = maximize ? "maximize" : "minimize";
  run_json["rows"] = {{"train", p.rows.size()},
                      {"dropped_missing_target", p.dropped},
                      {"search_rows", search_rows},          // rows the search's folds cover (a sample for large data)
                      {"train_rows", refit_rows.size()}};    // rows the exported model was refit on
  run_json["validation"] = {{"kind", std::string(to_string(plan.kind))}, {"folds", folds.size()}, {"reason", plan.reason}};
  run_json["device"] = device_used;
  // libgomp's wait policy, read at process start (backend::prefer_passive_openmp); null: unset (spinning).
  const char* omp_wait = std::getenv("OMP_WAIT_POLICY");
  run_json["openmp_wait_policy"] = omp_wait != nullptr ? ordered_json(omp_wait) : ordered_json(nullptr);
  run_json["trials"] = {{"complete", result.trials_complete},
                        {"failed", result.trials_failed},
                        {"pruned", result.trials_pruned},
                        {"this_process", ran_here},
                        {"stale_failed", stale_failed},
                        {"stopped_early", stopped_early}};
  run_json["search"] = {{"sampler", settings.jobs > 1 ? "tpe (constant liar)" : "tpe"},
                        {"pruner", {{"name", "median"}, {"n_startup_trials", kPrunerStartup}, {"n_warmup_steps", 0},
                                    {"on", "running mean CV score after each fold"}}},
                        {"parallel_trials", settings.jobs},
                        {"heartbeat_interval_s", std::chrono::seconds(kHeartbeatInterval).count()},
                        {"heartbeat_grace_s", std::chrono::seconds(kHeartbeatGrace).count()}};
  run_json["best"] = {{"trial", chosen_row.trial},
                      {"family", chosen_row.family},
                      {"cv_score", chosen_row.cv_mean},
                      {"cv_sd", chosen_row.cv_sd}};
  run_json["best_single"] = {{"trial", complete.front()->number},
                             {"family", family_of(*complete.front())},
                             {"cv_score", complete.front()->value()}};
  run_json["ensemble"] = ensemble_json;
  run_json["baseline_cv"] = result.baseline_cv ? ordered_json(*result.baseline_cv) : ordered_json(nullptr);
  run_json["test_score"] = result.test_score ? ordered_json(*result.test_score) : ordered_json(nullptr);
  run_json["timings_s"] = {{"read", read_s},
                           {"search", search_s},
                           {"refit", refit_s},
                           {"finalisation", seconds_since(t_final)},
                           {"reserve", reserve ? ordered_json(reserve->seconds()) : ordered_json(nullptr)},
                           {"reserve_estimate", reserve ? ordered_json(reserve->estimate_s()) : ordered_json(nullptr)},
                           {"after_run_allowance", after_run_s},
                           {"total", result.seconds}};
  ordered_json issues_json = ordered_json::array();
  for (const auto& i : result.issues)
    issues_json.push_back({{"severity", to_string(i.severity)}, {"source", i.source}, {"message", i.message}});
  run_json["issues"] = issues_json;
  write_file_atomic(run_dir / "run.json", run_json.dump(2) + "\n");
  return result;
}


WorkerResult join_search(const WorkerSettings& settings, const TrialCallback& on_trial, const CancelToken* outside_cancel) {
  const auto t_start = Clock::now();
  IssueLog issues;
  WorkerResult result;
  if (settings.storage.empty()) throw Error(ErrorKind::Usage, "--storage is required (the URL of the run's search store)");
  if (settings.search_name.empty()) throw Error(ErrorKind::Usage, "--search is required (the name of the run's search)");
  if (settings.max_trials && *settings.max_trials < 1) throw Error(ErrorKind::Usage, "--max-trials must be at least 1");
  if (settings.time_budget_s && !(*settings.time_budget_s > 0)) throw Error(ErrorKind::Usage, "--time-budget must be positive (seconds)");
  if (settings.jobs < 1) throw Error(ErrorKind::Usage, "--jobs must be at least 1 (trials at once)");
  result.search_name = settings.search_name;

  std::shared_ptr<search::Storage> storage = search::make_storage(settings.storage);
  std::optional<search::StudyInfo> info;
  std::vector<std::string> names;
  for (auto& s : storage->get_all_studies()) {
    names.push_back(s.name);
    if (s.name == settings.search_name) info = std::move(s);
  }
  if (!info)
    throw Error(ErrorKind::Usage, "--search '" + settings.search_name + "' is not in " + settings.storage +
                                      (names.empty() ? std::string("; the store holds no search") : "; it holds: " + join(names)));
  const auto sit = info->user_attrs.find(kSettingsKey);
  if (sit == info->user_attrs.end() || !sit->second.is_object() || sit->second.value("format", std::string()) != "glasswing-search")
    throw Error(ErrorKind::BadInput, "search '" + settings.search_name + "' in " + settings.storage +
                                         " is not a Glasswing run search (no glasswing.settings attribute); a worker joins searches "
                                         "that `glasswing run` made");
  const Json& st = sit->second;
  fs::path data;
  std::string sha, target, task, metric;
  std::optional<int> cv, stored_max;
  std::uint64_t seed = 0;
  std::size_t stored_folds = 0;
  std::vector<std::string> models;
  std::map<std::string, std::string> column_types;
  Json space = Json::object();
  try {
    if (st.value("version", 0) > 1)
      throw Error(ErrorKind::BadInput, "search '" + settings.search_name + "' was made by a newer Glasswing; update this one");
    data = st.at("data").get<std::string>();
    sha = st.at("data_sha256").get<std::string>();
    target = st.at("target").get<std::string>();
    task = st.at("task").get<std::string>();
    metric = st.at("metric").get<std::string>();
    if (!st.at("cv").is_null()) cv = st.at("cv").get<int>();
    if (!st.at("max_trials").is_null()) stored_max = st.at("max_trials").get<int>();
    seed = st.at("seed").get<std::uint64_t>();
    stored_folds = st.at("folds").get<std::size_t>();
    models = st.at("models").get<std::vector<std::string>>();
    column_types = st.value("column_types", Json::object()).get<std::map<std::string, std::string>>();
    space = st.value("space", Json::object());
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::BadInput, "search '" + settings.search_name + "': unreadable glasswing.settings attribute (" +
                                         std::string(e.what()) + "); start a new run");
  }
  std::error_code ec;
  if (!fs::is_regular_file(data, ec))
    throw Error(ErrorKind::BadInput, "the data file " + data.string() + " of search '" + settings.search_name +
                                         "' is missing; put it back at that path (a worker reads the run's data)");
  if (sha256_file(data) != sha)
    throw Error(ErrorKind::BadInput, "the data file " + data.string() + " changed since search '" + settings.search_name +
                                         "' started (sha256 differs); restore the original file or start a new run");
  const std::vector<std::string> families = usable_families(check_families(models), true, true, issues);
  backend::DeviceContext device{backend::parse_device(settings.device), threads_per_fit(settings.jobs)};
  for (const auto& f : families)
    if (f != "constant") (void)backend::resolve_device(device, backend::device_support(trainer_of(f)));
  Problem pb = load_problem(data, target, task, metric, cv, seed, families, issues, column_types, space);
  if (const auto it = st.find("search_rows"); it != st.end() && it->is_number_unsigned())
    (void)limit_search_rows(pb, it->get<std::size_t>(), nullptr);  // the run's row sample
  if (pb.folds.size() != stored_folds)
    throw Error(ErrorKind::Internal, "search '" + settings.search_name + "': this Glasswing makes " +
                                         std::to_string(pb.folds.size()) + " folds where the run made " +
                                         std::to_string(stored_folds) + "; use the same Glasswing version as the run");
  result.task = pb.p.task;
  result.metric = pb.metric;
  result.maximize = pb.maximize;

  // Each worker samples with its own seed: the same seed as the run would propose its trials again.
  std::random_device rd;
  const std::uint64_t worker_seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ static_cast<std::uint64_t>(::getpid());
  search::Study study =
      search::Study::load(storage, settings.search_name, make_search_sampler(worker_seed, settings.jobs), make_search_pruner());
  result.stale_failed = fail_stale(study, issues);

  CancelToken token;
  set_deadline(token, t_start, settings.time_budget_s);
  CancelForwarder forward(outside_cancel, token);
  TrialRunner runner(pb, device, token, *storage);
  TrialReporter reporter(study, pb.maximize, t_start, on_trial);
  search::OptimizeOptions oo;
  if (settings.max_trials) {
    oo.n_trials = *settings.max_trials;
  } else if (!settings.time_budget_s) {
    if (!stored_max)
      throw Error(ErrorKind::Usage, "search '" + settings.search_name +
                                        "' has no trial limit (its run has only a time budget); give --max-trials or --time-budget");
    oo.n_trials = std::max<std::int64_t>(0, *stored_max - count_finished(study));
    if (*oo.n_trials == 0)
      issues.add(Severity::Info, "worker", "search '" + settings.search_name + "' already has its " + std::to_string(*stored_max) +
                                               " trials; give --max-trials N to add more");
  }
  if (pb.family_choices.empty()) oo.n_trials = 0;
  oo.n_jobs = settings.jobs;
  oo.cancel = &token;
  oo.callbacks.push_back([&reporter](const search::FrozenTrial& t) { reporter(t); });
  search::OptimizeReport report;
  if (!oo.n_trials || *oo.n_trials > 0)
    report = study.optimize(search::Study::SingleObjective([&runner](search::Trial& t) { return runner.objective(t); }), oo);
  result.trials_run = report.n_trials;
  result.complete = report.n_complete;
  result.failed = report.n_failed;
  result.pruned = report.n_pruned;
  result.stopped_early = report.timed_out || report.cancelled;
  result.best_value = reporter.best_value();
  result.best_trial = reporter.best_number();
  result.seconds = seconds_since(t_start);
  result.issues = issues.snapshot();
  return result;
}

}  // namespace glasswing::engine
