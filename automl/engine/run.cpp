#include "automl/engine/run.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
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

features::PipelineOptions pipeline_options(const std::string& family, std::uint64_t seed) {
  features::PipelineOptions o;
  o.seed = seed;
  if (family_scaled(family)) {
    o.impute = true;
    o.scale = true;
  }
  return o;
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

// The family's hyperparameters for a trial (a conditional space: names carry the family).
backend::Params suggest_params(search::Trial& trial, const std::string& family) {
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
  return m;
}

// The family params of a finished trial, back as trainer params (no sampling).
backend::Params params_of(const search::FrozenTrial& t, const std::string& family) {
  backend::Params p;
  const std::string prefix = family + ".";
  for (const auto& [name, value] : t.params)
    if (name.rfind(prefix, 0) == 0) p[name.substr(prefix.size())] = value.get<double>();
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
                     const CancelToken* cancel, IssueLog* issues) {
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
  fo.issues = issues;
  const backend::DataView train{{x.values.data(), x.rows, x.cols}, y, {}};
  backend::DataView eval;
  if (ex != nullptr) eval = backend::DataView{{ex->values.data(), ex->rows, ex->cols}, ey, {}};
  out.report = out.model.trainer->fit(train, ex != nullptr ? &eval : nullptr, fo);
  if (out.report.stop == backend::StopReason::Cancelled)
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

// ---- Per-fold feature matrices (the pipeline is deterministic, so one per fold and kind) ------

struct FoldMatrices {
  features::FeatureMatrix train, valid;
  std::vector<float> y_train, y_valid;
};

class FoldCache {
 public:
  FoldCache(const Prepared& p, const std::vector<Fold>& folds, std::uint64_t seed) : p_(p), folds_(folds), seed_(seed) {}
  const FoldMatrices& get(std::size_t fold, bool scaled) {
    std::lock_guard lock(mutex_);
    auto& slot = cache_[{fold, scaled}];
    if (!slot) {
      auto fm = std::make_unique<FoldMatrices>();
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
                                  pipeline_options(scaled ? "linear" : "xgboost", seed_), &fm->train);
      fm->valid = pipe.transform(p_.table, valid_rows);
      slot = std::move(fm);
    }
    return *slot;
  }

 private:
  const Prepared& p_;
  const std::vector<Fold>& folds_;
  std::uint64_t seed_;
  std::mutex mutex_;
  std::map<std::pair<std::size_t, bool>, std::unique_ptr<FoldMatrices>> cache_;
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

int threads_per_fit(int jobs) {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, jobs));
}

Problem load_problem(const fs::path& data, const std::string& target, const std::string& task, const std::string& metric_setting,
                     std::optional<int> cv, std::uint64_t seed, std::vector<std::string> families, IssueLog& issues) {
  Problem pb;
  const auto t_read = Clock::now();
  pb.data = fs::absolute(data).lexically_normal();
  pb.data_sha = sha256_file(data);
  data::Table table = data::read_csv(data);
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

// Scores trials of a Problem: the objective shared by `run` and `worker`.
class TrialRunner {
 public:
  TrialRunner(const Problem& pb, backend::DeviceContext device, CancelToken& token, search::Storage& storage)
      : pb_(pb), device_(device), token_(token), cache_(pb.p, pb.folds, pb.seed), heartbeats_(storage) {}

  // Cross-validates one candidate; the trial value is the mean fold score.
  double evaluate(search::Trial& trial, const std::string& family, const backend::Params& params) {
    const Prepared& p = pb_.p;
    trial.set_user_attr("family", family);
    std::vector<double> pred(p.rows.size() * p.outputs(), NAN);
    std::vector<double> scores, fit_s, predict_s, best_rounds;
    for (std::size_t f = 0; f < pb_.folds.size(); ++f) {
      const FoldMatrices& fm = cache_.get(f, family_scaled(family));
      check_time_for_fold(family);
      FitOutcome fit = fit_model(p, family, params, fm.train, fm.y_train, &fm.valid, fm.y_valid, pb_.seed + f, device_,
                                 &token_, nullptr);
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
        fold_fit_s_[family] = fit.report.seconds;
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
    return evaluate(trial, family, suggest_params(trial, family));
  }

  // The constant baseline as a trial of its own, with the single param "baseline" (so that the
  // TPE's "model" choice never spends a trial on it). A BadInput makes it FAIL.
  search::FrozenTrial run_baseline(search::Study& study) {
    search::Trial t = study.ask();
    const Heartbeats::Scope beat(heartbeats_, t.trial_id());
    (void)t.suggest_categorical("baseline", {Json("constant")});
    try {
      return study.tell(t, evaluate(t, "constant", {}));
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
  Heartbeats heartbeats_;
  std::mutex mutex_;
  std::map<std::int64_t, std::vector<double>> oof_;  // trial number -> rows x outputs
  std::string device_used_ = "cpu";
  std::map<std::string, double> fold_fit_s_;  // family -> its latest fold fit time
  std::atomic<Clock::rep> deadline_{0};

  void check_time_for_fold(const std::string& family) {
    const Clock::rep deadline = deadline_.load();
    if (deadline == 0 || family == "constant") return;
    double est = 0;
    {
      std::lock_guard lock(mutex_);
      const auto it = fold_fit_s_.find(family);
      if (it == fold_fit_s_.end()) return;
      est = it->second;
    }
    const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(est));
    if (end.time_since_epoch().count() > deadline) {
      token_.cancel();  // the search is over: no later trial would fit either
      throw Error(ErrorKind::Resource, "stopped by the time budget: its next fold (about " + num(est) +
                                           " s) would not finish before the search's deadline");
    }
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

Clock::time_point after(Clock::time_point t0, double seconds) {
  return t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// --time-budget covers the whole run: the search stops early enough for the finalisation (refit
// of the chosen candidate or the ensemble's members, test scoring, artifacts, and what the caller
// does after run(), e.g. the CLI's report). The reserve is estimated from what the search
// measured and updated as trials finish; it stays within [kReserveFloor, kReserveCap] x budget.
constexpr double kReserveFloor = 0.05;
constexpr double kReserveCap = 0.5;
constexpr double kArtifactsAllowance = 0.5;  // s: bundle, leaderboard, oof files, run.json

class FinalisationReserve {
 public:
  // rows_scale: all training rows / a fold's training rows; predict_scale: test rows / a fold's
  // validation rows (0 without --test); refit_candidates: how many of the best candidates the
  // finalisation may refit (the ensemble's members); fixed_s: seconds needed whatever the model.
  FinalisationReserve(double budget_s, bool maximize, double rows_scale, double predict_scale, std::size_t refit_candidates,
                      double fixed_s)
      : budget_s_(budget_s), maximize_(maximize), rows_scale_(rows_scale), predict_scale_(predict_scale),
        refit_candidates_(refit_candidates), fixed_s_(fixed_s) {}

  // Notes a finished trial (COMPLETE ones count; the constant baseline costs nothing to refit).
  void note(const search::FrozenTrial& t) {
    if (t.state != search::TrialState::Complete || t.params.count("baseline") > 0) return;
    const double fit = mean_of(json_doubles(t.user_attrs, "fit_s"));
    const double predict = mean_of(json_doubles(t.user_attrs, "predict_s"));
    std::lock_guard lock(mutex_);
    done_.push_back({t.value(), fit, predict});
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
      s += rows_scale_ * best[i].fit_s + predict_scale_ * best[i].predict_s;
    return s;
  }
  // The reserve: the estimate within the floor and the cap.
  double seconds() const { return std::clamp(estimate_s(), kReserveFloor * budget_s_, kReserveCap * budget_s_); }
  // Refit + prediction estimate of one candidate (for the optional test scores at the end).
  double candidate_s(const search::FrozenTrial& t) const {
    return rows_scale_ * mean_of(json_doubles(t.user_attrs, "fit_s")) +
           predict_scale_ * mean_of(json_doubles(t.user_attrs, "predict_s"));
  }

 private:
  struct Done {
    double value, fit_s, predict_s;
  };
  double budget_s_;
  bool maximize_;
  double rows_scale_, predict_scale_;
  std::size_t refit_candidates_;
  double fixed_s_;
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
  const std::vector<std::string> families = check_families(settings.models);
  if (settings.metric != "auto") (void)metrics::info(settings.metric);  // Usage error listing the valid names
  const int fit_threads = threads_per_fit(settings.jobs);
  backend::DeviceContext device{backend::parse_device(settings.device), fit_threads};
  for (const auto& f : families)
    if (f != "constant") (void)backend::resolve_device(device, backend::device_support(trainer_of(f)));  // Resource for cuda without GPU

  // ---- Data, metric, validation ----
  const Problem pb = load_problem(settings.data, settings.target, settings.task, settings.metric, settings.cv, settings.seed,
                                  families, issues);
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
                {"max_trials", max_trials ? Json(*max_trials) : Json(nullptr)}};
    storage->set_study_user_attr(id, kSettingsKey, stored);
  }
  search::Study& study = *study_holder;

  // ---- The search ----
  CancelToken token;
  // The budget covers the whole run: the search's deadline leaves a finalisation reserve that is
  // re-estimated after every finished trial (FinalisationReserve).
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
    double predict_scale = 0, fixed = kArtifactsAllowance + std::max(0.0, settings.finalisation_extra_s);
    if (!settings.test.empty()) {
      // The test file's rows and read time, guessed from its size relative to the training file.
      std::error_code e1, e2;
      const auto test_bytes = fs::file_size(settings.test, e1), data_bytes = fs::file_size(settings.data, e2);
      const double ratio = e1 || e2 || data_bytes == 0 ? 1.0 : static_cast<double>(test_bytes) / static_cast<double>(data_bytes);
      predict_scale = ratio * rows / std::max(1.0, valid_rows);
      fixed += ratio * pb.read_s;
    }
    reserve.emplace(*settings.time_budget_s, maximize, rows / std::max(1.0, train_rows), predict_scale,
                    settings.ensemble_candidates >= 2 ? std::size_t{5} : std::size_t{1}, fixed);
    for (const auto& t : study.trials()) reserve->note(t);
    set_deadline(token, t_start, *settings.time_budget_s - reserve->seconds());
  }
  CancelForwarder forward(outside_cancel, token);
  TrialRunner runner(pb, device, token, *storage);
  auto move_deadline = [&](const search::FrozenTrial& t) {
    if (!reserve) return;
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
  if (!has_baseline && !token.cancelled()) {
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
    for (const auto& f : by_cost) study.enqueue_trial(default_params(f));
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
                                     ? after(t_start, *settings.time_budget_s - std::max(0.0, settings.finalisation_extra_s))
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
  } else {
    decision.reason = "ensembling is off (ensemble_candidates < 2)";
  }
  if (decision.kept && reserve) {
    double refit_est = 0;
    for (std::size_t k = 0; k < ens_cands.size(); ++k)
      if (selection->counts[k] > 0) refit_est += reserve->candidate_s(*ens_cands[k]);
    if (after(Clock::now(), refit_est) > t_end) {
      decision.kept = false;
      decision.reason = "the ensemble would improve the out-of-fold score, but refitting its members (about " + num(refit_est) +
                        " s) would overrun the time budget";
    }
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
  struct Refit {
    features::Pipeline pipeline;
    FitOutcome fit;
  };
  std::map<std::int64_t, Refit> refits;  // by trial number: each candidate is refit once
  auto refit = [&](const search::FrozenTrial& t, IssueLog* log) -> const Refit& {
    if (const auto it = refits.find(t.number); it != refits.end()) return it->second;
    const std::string family = family_of(t);
    const backend::Params params = refit_params(family, params_of(t, family), json_doubles(t.user_attrs, "best_rounds"));
    Refit r;
    features::FeatureMatrix x;
    r.pipeline = features::Pipeline::fit(p.table, p.target, p.rows, features::TargetView{target_kind(p.task), p.outputs(), p.y},
                                         pipeline_options(family, settings.seed), &x, log);
    r.fit = fit_model(p, family, params, x, p.y, nullptr, {}, settings.seed, device, nullptr, log);
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
    const data::Table test = data::read_csv(settings.test);
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
      row.test_score = test_score(refit(*complete[i], nullptr));
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
  manifest.update(describe_training_data(p.table, p.target, p.rows));
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
  for (const auto& name : backend::trainer_names()) backends[name] = backend::device_support(name).detail;
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
                          {"finalisation_extra_s", settings.finalisation_extra_s}};
  run_json["seed"] = settings.seed;
  run_json["task"] = p.task;
  run_json["target"] = p.target;
  run_json["classes"] = p.classes;
  run_json["metric"] = metric;
  run_json["direction"] = maximize ? "maximize" : "minimize";
  run_json["rows"] = {{"train", p.rows.size()}, {"dropped_missing_target", p.dropped}};
  run_json["validation"] = {{"kind", std::string(to_string(plan.kind))}, {"folds", folds.size()}, {"reason", plan.reason}};
  run_json["device"] = device_used;
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
                           {"after_run_allowance", settings.finalisation_extra_s},
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
  const std::vector<std::string> families = check_families(models);
  backend::DeviceContext device{backend::parse_device(settings.device), threads_per_fit(settings.jobs)};
  for (const auto& f : families)
    if (f != "constant") (void)backend::resolve_device(device, backend::device_support(trainer_of(f)));
  const Problem pb = load_problem(data, target, task, metric, cv, seed, families, issues);
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
