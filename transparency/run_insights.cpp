#include "transparency/run_insights.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/engine/bundle.hpp"
#include "automl/engine/run.hpp"
#include "automl/search/storage_registry.hpp"
#include "automl/search/study.hpp"
#include "glasswing/common/version.hpp"
#include "transparency/json_util.hpp"
#include "transparency/util.hpp"

namespace glasswing::transparency {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& message) { throw Error(ErrorKind::BadInput, message); }

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad("cannot read " + path.string() + "; check its permissions");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// k rows of 0..n-1 (all when k == 0 or k >= n), increasing; our own partial Fisher-Yates over
// mt19937_64, identical across standard libraries.
std::vector<std::size_t> sample_rows(std::size_t n, std::size_t k, std::uint64_t seed) {
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = i;
  if (k == 0 || k >= n) return idx;
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng() % (n - i));
    std::swap(idx[i], idx[j]);
  }
  idx.resize(k);
  std::sort(idx.begin(), idx.end());
  return idx;
}

// The rows `rows` of `t`, as a table of their own (same columns, types and categories).
data::Table take_rows(const data::Table& t, const std::vector<std::size_t>& rows) {
  std::vector<data::Column> cols;
  cols.reserve(t.column_count());
  for (const auto& c : t.columns()) {
    data::Column n;
    if (c.is_numeric()) {
      std::vector<double> v;
      v.reserve(rows.size());
      for (std::size_t r : rows) v.push_back(c.values()[r]);
      n = data::Column::numeric(c.name(), c.type(), std::move(v));
    } else {
      std::vector<std::int32_t> v;
      v.reserve(rows.size());
      for (std::size_t r : rows) v.push_back(c.codes()[r]);
      n = data::Column::dictionary(c.name(), c.type(), std::move(v), c.categories());
    }
    n.set_type(c.type(), c.type_reason());
    cols.push_back(std::move(n));
  }
  return data::Table(std::move(cols));
}

std::string json_string(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double json_number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

metrics::TaskKind task_kind(const std::string& task) {
  return task == "binary" ? metrics::TaskKind::Binary
         : task == "multiclass" ? metrics::TaskKind::Multiclass
                                : metrics::TaskKind::Regression;
}

// A data file named in run.json, checked against its recorded sha256.
struct InputFile {
  std::string role, path, sha256;
  bool usable = false;
  std::string problem;  // why it is not usable
};

InputFile check_input(const json& run, const std::string& role) {
  InputFile f;
  f.role = role;
  const auto it = run.find("inputs");
  if (it == run.end() || !it->is_array()) return f;
  for (const auto& e : *it) {
    if (json_string(e, "role") != role) continue;
    f.path = json_string(e, "path");
    f.sha256 = json_string(e, "sha256");
  }
  if (f.path.empty()) return f;
  std::error_code ec;
  if (!fs::is_regular_file(f.path, ec)) {
    f.problem = "the " + role + " data " + f.path + " has moved or was deleted since the run; put it back there to get the sections that need it";
    return f;
  }
  try {
    const std::string sha = engine::sha256_file(f.path);
    if (!f.sha256.empty() && sha != f.sha256) {
      f.problem = "the " + role + " data " + f.path + " changed since the run (sha256 differs); restore the original file to get the sections that need it";
      return f;
    }
  } catch (const Error& e) {
    f.problem = std::string("the ") + role + " data cannot be read: " + e.what();
    return f;
  }
  f.usable = true;
  return f;
}

// Rows with a known target, their labels, and (classification) class indices.
struct Labeled {
  std::vector<std::size_t> rows;       // rows of the table
  std::vector<std::int32_t> y_class;   // classification
  std::vector<double> y_value;         // regression
  std::size_t unknown_class = 0;       // rows whose class the model does not know (left out)
};

Labeled label_rows(const data::Table& table, const std::string& target, const std::vector<std::string>& classes) {
  Labeled l;
  const data::Column* tc = table.find(target);
  if (tc == nullptr) return l;
  std::map<std::string, std::int32_t> index;
  for (const auto& c : classes) index.emplace(c, static_cast<std::int32_t>(index.size()));
  for (std::size_t r = 0; r < table.rows(); ++r) {
    if (tc->is_missing(r)) continue;
    if (!classes.empty()) {
      const auto it = index.find(tc->cell_text(r));
      if (it == index.end()) {
        ++l.unknown_class;
        continue;
      }
      l.y_class.push_back(it->second);
    } else {
      if (!tc->is_numeric() || !std::isfinite(tc->values()[r])) continue;
      l.y_value.push_back(tc->values()[r]);
    }
    l.rows.push_back(r);
  }
  return l;
}

// Evaluation rows with the model's predictions (rows x outputs).
struct EvalSet {
  bool ok = false;
  std::string label;
  std::vector<std::int32_t> y_class;
  std::vector<double> y_value;
  std::vector<double> pred;
  data::Table table;  // the evaluation rows' data (fairness)
};

// oof/trial_N.csv: "row" (training table row) then one column per class or "prediction".
bool read_oof(const fs::path& path, std::size_t outputs, std::map<std::size_t, std::vector<double>>& out,
              std::string& problem) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    problem = "no out-of-fold predictions for the chosen candidate (" + path.filename().string() + ")";
    return false;
  }
  try {
    data::CsvOptions o;
    o.threads = 1;
    const data::Table t = data::read_csv(path, o);
    if (t.column_count() != outputs + 1 || !t.column(0).is_numeric()) {
      problem = path.string() + " does not have the expected columns";
      return false;
    }
    for (std::size_t r = 0; r < t.rows(); ++r) {
      std::vector<double> v(outputs);
      for (std::size_t c = 0; c < outputs; ++c) {
        const data::Column& col = t.column(c + 1);
        if (!col.is_numeric()) {
          problem = path.string() + " has a non-numeric prediction column";
          return false;
        }
        v[c] = col.values()[r];
      }
      out[static_cast<std::size_t>(t.column(0).values()[r])] = std::move(v);
    }
  } catch (const Error& e) {
    problem = std::string("out-of-fold predictions unreadable: ") + e.what();
    return false;
  }
  return true;
}

backend::Prediction to_prediction(const std::vector<double>& v, std::size_t rows, std::size_t outputs) {
  backend::Prediction p;
  p.rows = rows;
  p.cols = outputs;
  p.values.reserve(v.size());
  for (double d : v) p.values.push_back(static_cast<float>(d));
  return p;
}

std::string compact(const json& j) { return j.is_null() ? std::string() : j.dump(); }

std::string fmt(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

double seconds_between(const std::optional<search::DateTime>& a, const std::optional<search::DateTime>& b) {
  if (!a || !b) return NAN;
  return static_cast<double>((*b - *a).count()) / 1e6;
}

void load_search(RunInsights& ins, const fs::path& run_dir) {
  SearchSection& s = ins.search;
  s.direction = ins.direction;
  const json settings = ins.run.value("settings", json::object());
  s.storage = json_string(settings, "storage");
  s.study = json_string(settings, "search");
  if (s.study.empty()) s.study = "glasswing-run";
  if (s.storage.rfind("sqlite:///", 0) == 0) {
    // Never create a store: open the recorded file, or RUN_DIR/search.db when the folder moved.
    std::error_code ec;
    const fs::path recorded = s.storage.substr(std::string("sqlite:///").size());
    if (!fs::is_regular_file(recorded, ec)) {
      const fs::path local = run_dir / "search.db";
      if (!fs::is_regular_file(local, ec)) {
        s.notices.push_back("the search store " + s.storage + " is gone (and the run folder has no search.db): no trials to show");
        return;
      }
      s.storage = "sqlite:///" + fs::absolute(local).lexically_normal().string();
    }
  }
  try {
    auto storage = search::make_storage(s.storage);
    const std::int64_t id = storage->get_study_id_from_name(s.study);
    const auto trials = storage->get_all_trials(id);
    const bool maximize = ins.direction != "minimize";
    double best = NAN;
    for (const auto& t : trials) {
      SearchTrial row;
      row.number = t.number;
      row.state = std::string(search::to_string(t.state));
      if (auto it = t.user_attrs.find("family"); it != t.user_attrs.end() && it->second.is_string())
        row.family = it->second.get<std::string>();
      else if (auto pit = t.params.find("model"); pit != t.params.end() && pit->second.is_string())
        row.family = pit->second.get<std::string>();
      else if (t.params.count("baseline") > 0)
        row.family = "constant";
      row.value = t.state == search::TrialState::Complete && t.values && t.values->size() == 1 ? t.values->front() : NAN;
      row.duration_s = seconds_between(t.datetime_start, t.datetime_complete);
      json p = json::object();
      for (const auto& [name, value] : t.params)
        if (name != "model" && name != "baseline") p[name] = value;
      row.params = p.empty() ? std::string() : p.dump();
      if (auto it = t.system_attrs.find(search::kFailReasonKey); it != t.system_attrs.end() && it->second.is_string())
        row.fail_reason = it->second.get<std::string>();
      if (t.state == search::TrialState::Complete) ++s.complete;
      if (t.state == search::TrialState::Fail) ++s.failed;
      if (t.state == search::TrialState::Pruned) ++s.pruned;
      if (std::isfinite(row.value) && (!std::isfinite(best) || (maximize ? row.value > best : row.value < best))) best = row.value;
      s.best_so_far.push_back(best);
      s.trials.push_back(std::move(row));
    }
    s.available = true;
    try {
      SearchAnalysisOptions so;
      so.seed = ins.seed;
      s.analysis = analyze_search(trials, maximize ? search::StudyDirection::Maximize : search::StudyDirection::Minimize, so);
    } catch (const Error& e) {
      s.notices.push_back(std::string("the search analysis failed: ") + e.what());
    }
  } catch (const Error& e) {
    s.notices.push_back(std::string("the search store could not be read: ") + e.what());
  }
}

// P9 (load_run_insights and fairness_for): fairness of `rows` by `column`, or notices saying why not.
FairnessSection fairness_section(const RunInsights& ins, const EvaluationRows* rows, const std::string& no_rows,
                                 const std::string& column) {
  FairnessSection fs_;
  fs_.requested = !column.empty();
  if (!fs_.requested) {
    fs_.notices.push_back("no fairness column was chosen; run `glasswing report --run " + ins.run_dir.string() +
                          " --fairness COLUMN`");
  } else if (ins.task == "regression") {
    fs_.notices.push_back("fairness rates (selection rate, TPR, FPR) need a classification task; this run is a regression");
  } else if (ins.task == "multiclass") {
    fs_.notices.push_back("fairness rates are defined for a favourable outcome of a binary task; this run is multiclass");
  } else if (rows == nullptr) {
    fs_.notices.push_back(no_rows);
  } else if (rows->table.find(column) == nullptr) {
    std::string cols;
    for (const auto& c : rows->table.columns())
      if (c.name() != ins.target) cols += (cols.empty() ? "" : ", ") + c.name();
    fs_.notices.push_back("the fairness column '" + column + "' does not exist in the data; choose one of: " + cols);
  } else {
    try {
      fs_.evaluated_on = rows->label;
      fs_.report = fairness(rows->table, column, rows->y_true, rows->y_pred, 1);
      fs_.notices.push_back("favourable outcome: class '" + ins.classes[1] + "' (the positive class)");
    } catch (const Error& e) {
      fs_.notices.push_back(std::string("fairness could not be computed: ") + e.what());
    }
  }
  return fs_;
}

}  // namespace

RunInsights load_run_insights(const fs::path& run_dir, const InsightOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  RunInsights ins;
  ins.run_dir = run_dir;
  const std::string dir = run_dir.string();
  const std::string remedy = "run `glasswing run --data TRAIN.csv --target COLUMN --out " + dir + "` first";
  std::error_code ec;
  if (!fs::exists(run_dir, ec)) bad("run folder " + dir + " does not exist; " + remedy);
  if (!fs::is_directory(run_dir, ec)) bad(dir + " is not a folder; --run takes the folder a `glasswing run` wrote (--out)");
  if (!fs::is_regular_file(run_dir / "run.json", ec))
    bad("run folder " + dir + " has no run.json: not a Glasswing run (or the run did not finish); " + remedy);
  try {
    ins.run = json::parse(read_text(run_dir / "run.json"));
  } catch (const json::parse_error&) {
    bad("run folder " + dir + ": run.json is damaged (not JSON); " + remedy);
  }
  if (!ins.run.is_object() || json_string(ins.run, "format") != "glasswing-run")
    bad("run folder " + dir + ": run.json is not a Glasswing run file (format '" +
        (ins.run.is_object() ? json_string(ins.run, "format") : std::string()) + "', expected 'glasswing-run'); " + remedy);
  if (ins.run.value("version", 0) > 1)
    bad("run folder " + dir + " was written by a newer Glasswing (run.json version " + ins.run["version"].dump() +
        "); update Glasswing to read it");
  for (const char* key : {"task", "target", "metric", "direction"})
    if (json_string(ins.run, key).empty()) bad("run folder " + dir + ": run.json has no '" + key + "'; " + remedy);
  if (!fs::is_regular_file(run_dir / "leaderboard.json", ec))
    bad("run folder " + dir + " has no leaderboard.json: the run is incomplete; " + remedy);
  if (!fs::is_regular_file(run_dir / "model" / "manifest.json", ec))
    bad("run folder " + dir + " has no model bundle (model/manifest.json is missing): the run is incomplete; " + remedy);

  ins.task = json_string(ins.run, "task");
  ins.target = json_string(ins.run, "target");
  ins.metric = json_string(ins.run, "metric");
  ins.direction = json_string(ins.run, "direction");
  if (auto it = ins.run.find("classes"); it != ins.run.end() && it->is_array())
    for (const auto& c : *it)
      if (c.is_string()) ins.classes.push_back(c.get<std::string>());
  ins.seed = options.seed ? *options.seed : ins.run.value("seed", std::uint64_t{0});
  const std::uint64_t seed = ins.seed;
  const bool classification = ins.task != "regression";
  const std::size_t outputs = classification ? ins.classes.size() : 1;
  const metrics::TaskKind kind = task_kind(ins.task);

  const engine::Bundle bundle = engine::load_bundle(run_dir / "model");
  ins.family = bundle.family.empty() ? bundle.model.family : bundle.family;
  if (bundle.classes != ins.classes || bundle.target != ins.target)
    bad("run folder " + dir + ": model/ does not belong to this run.json (target or classes differ); " + remedy);

  auto t_step = std::chrono::steady_clock::now();
  auto mark = [&](const char* step) {
    const auto now = std::chrono::steady_clock::now();
    ins.timings.emplace_back(step, std::chrono::duration<double>(now - t_step).count());
    t_step = now;
  };
  mark("run folder and bundle");
  // ---- P1 leaderboard ----
  json lb;
  try {
    lb = json::parse(read_text(run_dir / "leaderboard.json"));
  } catch (const json::parse_error&) {
    bad("run folder " + dir + ": leaderboard.json is damaged (not JSON); " + remedy);
  }
  if (!lb.is_object() || !lb.contains("candidates") || !lb["candidates"].is_array())
    bad("run folder " + dir + ": leaderboard.json has no candidates list; " + remedy);
  ins.leaderboard.metric = ins.metric;
  ins.leaderboard.direction = ins.direction;
  std::int64_t chosen_trial = bundle.manifest.value("trial", std::int64_t{-1});
  if (chosen_trial < 0 && lb.is_object() && lb.contains("candidates") && lb["candidates"].is_array() && !lb["candidates"].empty())
    chosen_trial = lb["candidates"][0].value("trial", std::int64_t{-1});
  bool has_constant = false, has_linear = false;
  for (const auto& c : lb["candidates"]) {
    LeaderboardEntry e;
    e.rank = c.value("rank", 0);
    e.trial = c.value("trial", std::int64_t{0});
    e.family = json_string(c, "family");
    e.params = c.contains("params") && !c["params"].empty() ? compact(c["params"]) : std::string();
    e.cv_mean = json_number(c, "cv_mean");
    e.cv_sd = json_number(c, "cv_sd");
    std::vector<double> folds;
    if (auto it = c.find("fold_scores"); it != c.end() && it->is_array())
      for (const auto& v : *it) folds.push_back(v.is_number() ? v.get<double>() : NAN);
    e.folds = aggregate_folds(ins.metric, folds);
    if (auto it = c.find("test_score"); it != c.end() && it->is_number()) e.test_score = it->get<double>();
    e.fit_s = json_number(c, "fit_s");
    e.predict_s = json_number(c, "predict_s");
    e.baseline = e.family == "constant" || e.family == "linear";
    has_constant = has_constant || e.family == "constant";
    has_linear = has_linear || e.family == "linear";
    e.chosen = e.trial == chosen_trial;
    ins.leaderboard.rows.push_back(std::move(e));
  }
  if (!has_constant) ins.leaderboard.notices.push_back("the constant baseline did not finish, so there is no floor to compare with");
  if (!has_linear)
    ins.leaderboard.notices.push_back("no linear model on the leaderboard (not in --models, or it failed): the simple baseline is missing");

  // ---- Data files ----
  const InputFile train_file = check_input(ins.run, "train");
  const InputFile test_file = check_input(ins.run, "test");
  if (!train_file.problem.empty()) ins.notices.push_back(train_file.problem);
  if (!test_file.problem.empty()) ins.notices.push_back(test_file.problem);
  std::optional<data::Table> train, test;
  try {
    if (train_file.usable) train = data::read_csv(train_file.path);
  } catch (const Error& e) {
    ins.notices.push_back(std::string("the training data could not be read again: ") + e.what());
  }
  try {
    if (test_file.usable) test = data::read_csv(test_file.path);
  } catch (const Error& e) {
    ins.notices.push_back(std::string("the test data could not be read again: ") + e.what());
  }
  const std::string no_train = "needs the training data, which is not available (see the notice at the top)";

  // The bundle's own predictions (every member of an ensemble, weighted).
  auto predict_rows = [&](const data::Table& table, const std::vector<std::size_t>& rows) {
    return engine::predict(bundle, take_rows(table, rows)).values;
  };

  mark("data files (read, sha256)");
  // ---- The evaluation set: the test set, else the chosen candidate's out-of-fold predictions ----
  EvalSet eval;
  std::vector<std::string> eval_notices;
  if (test) {
    try {
      const Labeled l = label_rows(*test, ins.target, ins.classes);
      if (test->find(ins.target) == nullptr)
        eval_notices.push_back("the test data has no target column '" + ins.target + "'");
      if (l.unknown_class > 0)
        eval_notices.push_back(std::to_string(l.unknown_class) + " test rows have a class the model does not know; they are left out");
      if (!l.rows.empty()) {
        eval.pred = predict_rows(*test, l.rows);
        eval.y_class = l.y_class;
        eval.y_value = l.y_value;
        eval.table = take_rows(*test, l.rows);
        eval.label = "test set";
        eval.ok = true;
      }
    } catch (const Error& e) {
      eval_notices.push_back(std::string("the test set could not be scored: ") + e.what());
    }
  }
  if (!eval.ok && train) {
    std::map<std::size_t, std::vector<double>> oof;
    std::string problem;
    // A kept ensemble (manifest trial -1): the blend it was selected on, oof/ensemble.csv.
    const std::string oof_name = chosen_trial < 0 ? std::string("ensemble") : "trial_" + std::to_string(chosen_trial);
    if (read_oof(run_dir / "oof" / (oof_name + ".csv"), outputs, oof, problem)) {
      const Labeled l = label_rows(*train, ins.target, ins.classes);
      std::vector<std::size_t> rows;
      for (std::size_t i = 0; i < l.rows.size(); ++i) {
        const auto it = oof.find(l.rows[i]);
        if (it == oof.end() || std::any_of(it->second.begin(), it->second.end(), [](double v) { return !std::isfinite(v); }))
          continue;
        rows.push_back(l.rows[i]);
        eval.pred.insert(eval.pred.end(), it->second.begin(), it->second.end());
        if (classification)
          eval.y_class.push_back(l.y_class[i]);
        else
          eval.y_value.push_back(l.y_value[i]);
      }
      if (!rows.empty()) {
        eval.table = take_rows(*train, rows);
        eval.label = "out-of-fold predictions of " + (chosen_trial < 0 ? std::string("the ensemble") : "trial " + std::to_string(chosen_trial)) +
                     " (no test set)";
        eval.ok = true;
      } else {
        eval_notices.push_back("the out-of-fold predictions match no training row");
      }
    } else {
      eval_notices.push_back(problem);
    }
  } else if (!eval.ok) {
    eval_notices.push_back("no test set and the training data is not available: metrics " + no_train);
  }
  const std::size_t n_eval = classification ? eval.y_class.size() : eval.y_value.size();
  std::vector<std::int32_t> y_pred;
  if (eval.ok && classification) y_pred = metrics::argmax_labels(eval.pred, outputs);
  if (eval.ok && classification) {
    std::vector<std::size_t> count(outputs, 0);
    for (auto c : eval.y_class) ++count[static_cast<std::size_t>(c)];
    std::size_t present = 0;
    for (auto c : count) present += c > 0 ? 1 : 0;
    if (present < outputs) {
      std::string missing;
      for (std::size_t k = 0; k < outputs; ++k)
        if (count[k] == 0) missing += (missing.empty() ? "'" : ", '") + ins.classes[k] + "'";
      eval_notices.push_back("the evaluation set (" + eval.label + ") has no row of class " + missing +
                             (present <= 1 ? ": it holds a single class, so roc_auc and the ROC/PR curves are undefined; use a test set with every class"
                                           : ": metrics that need every class are undefined"));
    }
  }

  mark("evaluation predictions");
  // ---- P2 metrics with bootstrap intervals ----
  MetricsSection& m = ins.metrics;
  m.notices = eval_notices;
  m.bootstrap.resamples = options.bootstrap_resamples;
  m.bootstrap.seed = seed;
  if (eval.ok) {
    m.evaluated_on = eval.label;
    m.rows = n_eval;
    const auto sample = sample_rows(n_eval, options.bootstrap_max_rows, seed);
    m.rows_resampled = sample.size();
    if (sample.size() < n_eval)
      m.notices.push_back("intervals are computed on a seeded sample of " + std::to_string(sample.size()) + " of the " +
                          std::to_string(n_eval) + " rows");
    try {
      if (classification) {
        std::vector<std::int32_t> yt, yp;
        std::vector<double> pr;
        for (std::size_t i : sample) {
          yt.push_back(eval.y_class[i]);
          yp.push_back(y_pred[i]);
          pr.insert(pr.end(), eval.pred.begin() + static_cast<std::ptrdiff_t>(i * outputs),
                    eval.pred.begin() + static_cast<std::ptrdiff_t>((i + 1) * outputs));
        }
        metrics::Classification c{outputs, yt, yp, pr, 1};
        m.intervals = bootstrap_all(kind, c, m.bootstrap);
      } else {
        std::vector<double> yt, yp;
        for (std::size_t i : sample) {
          yt.push_back(eval.y_value[i]);
          yp.push_back(eval.pred[i]);
        }
        m.intervals = bootstrap_all(metrics::Regression{yt, yp}, m.bootstrap);
      }
      m.available = true;
    } catch (const Error& e) {
      m.notices.push_back(std::string("metrics could not be computed: ") + e.what());
    }
  }

  // Every metric per fold of the chosen candidate (the selection metric alone is in P1).
  if (train) {
    std::map<std::size_t, std::vector<double>> oof;
    std::string problem;
    std::error_code fec;
    const fs::path folds_csv = run_dir / "oof" / "folds.csv";
    if (!fs::is_regular_file(folds_csv, fec)) {
      m.notices.push_back("per-fold metrics: the run has no oof/folds.csv (the fold of each training row)");
    } else if (!read_oof(run_dir / "oof" / (chosen_trial < 0 ? std::string("ensemble.csv") : "trial_" + std::to_string(chosen_trial) + ".csv"),
                         outputs, oof, problem)) {
      m.notices.push_back("per-fold metrics: " + problem);
    } else {
      try {
        data::CsvOptions co;
        co.threads = 1;
        const data::Table ft = data::read_csv(folds_csv, co);
        const data::Column* fr = ft.find("row");
        const data::Column* ff = ft.find("fold");
        if (fr == nullptr || ff == nullptr || !fr->is_numeric() || !ff->is_numeric())
          throw Error(ErrorKind::BadInput, folds_csv.string() + " lacks numeric 'row' and 'fold' columns");
        std::map<std::size_t, std::size_t> fold_of;
        std::size_t n_folds = 0;
        for (std::size_t r = 0; r < ft.rows(); ++r) {
          const auto f = static_cast<std::size_t>(ff->values()[r]);
          fold_of[static_cast<std::size_t>(fr->values()[r])] = f;
          n_folds = std::max(n_folds, f + 1);
        }
        const Labeled l = label_rows(*train, ins.target, ins.classes);
        std::vector<std::vector<std::size_t>> members(n_folds);  // positions in l
        for (std::size_t i = 0; i < l.rows.size(); ++i) {
          const auto fi = fold_of.find(l.rows[i]);
          const auto pi = oof.find(l.rows[i]);
          if (fi == fold_of.end() || pi == oof.end()) continue;
          if (std::any_of(pi->second.begin(), pi->second.end(), [](double v) { return !std::isfinite(v); })) continue;
          members[fi->second].push_back(i);
        }
        for (const auto& mi : metrics::registry()) {
          if (!metrics::applies(mi, kind)) continue;
          std::vector<double> per;
          for (const auto& rows : members) {
            if (rows.empty()) continue;
            double v = NAN;
            try {
              if (classification) {
                std::vector<std::int32_t> yt;
                std::vector<double> pr;
                for (std::size_t i : rows) {
                  yt.push_back(l.y_class[i]);
                  const auto& pv = oof.at(l.rows[i]);
                  pr.insert(pr.end(), pv.begin(), pv.end());
                }
                const std::vector<std::int32_t> yp = metrics::argmax_labels(pr, outputs);
                v = metrics::compute(mi.name, metrics::Classification{outputs, yt, yp, pr, 1});
              } else {
                std::vector<double> yt, yp;
                for (std::size_t i : rows) {
                  yt.push_back(l.y_value[i]);
                  yp.push_back(oof.at(l.rows[i]).front());
                }
                v = metrics::compute(mi.name, metrics::Regression{yt, yp});
              }
            } catch (const Error&) {
              v = NAN;  // undefined on this fold (e.g. one class only); counted as undefined
            }
            per.push_back(v);
          }
          if (!per.empty()) m.per_fold.push_back(aggregate_folds(mi.name, per));
        }
        if (!m.per_fold.empty()) m.per_fold_of = chosen_trial < 0 ? "the ensemble" : "trial " + std::to_string(chosen_trial);
      } catch (const Error& e) {
        m.per_fold.clear();
        m.notices.push_back(std::string("per-fold metrics: ") + e.what());
      }
    }
  }

  mark("P2 bootstrap");
  // ---- P3 curves ----
  CurvesSection& cv = ins.curves;
  if (eval.ok) {
    try {
      if (ins.task == "binary") {
        std::vector<double> p1(n_eval);
        for (std::size_t i = 0; i < n_eval; ++i) p1[i] = eval.pred[i * 2 + 1];
        BinaryCurves b = binary_curves(eval.y_class, p1, 1);
        b.label = ins.classes.size() > 1 ? ins.classes[1] : std::string();
        cv.binary.push_back(std::move(b));
        cv.confusion = confusion_matrix(eval.y_class, y_pred, outputs, ins.classes);
      } else if (ins.task == "multiclass") {
        cv.binary = one_vs_rest(eval.y_class, eval.pred, outputs, ins.classes);
        cv.confusion = confusion_matrix(eval.y_class, y_pred, outputs, ins.classes);
      } else {
        RegressionPlotOptions ro;
        ro.max_points = 1500;
        ro.seed = seed;
        cv.regression = regression_plots(eval.y_value, eval.pred, ro);
      }
      for (const auto& b : cv.binary)
        if (!b.roc.notice.empty()) cv.notices.push_back((b.label.empty() ? "" : "class '" + b.label + "': ") + b.roc.notice);
      cv.available = true;
    } catch (const Error& e) {
      cv.notices.push_back(std::string("curves could not be computed: ") + e.what());
    }
  } else {
    cv.notices.push_back("no evaluation set: curves " + no_train);
  }

  mark("P3 curves");
  // ---- P4 data ----
  DataSection& d = ins.data;
  d.path = train_file.path;
  if (train) {
    try {
      d.rows = train->rows();
      d.columns = train->column_count();
      const auto rows = sample_rows(train->rows(), options.data_max_rows, seed);
      d.rows_analyzed = rows.size();
      const data::Table sample = take_rows(*train, rows);
      if (rows.size() < train->rows())
        d.notices.push_back("profiles and warnings use a seeded sample of " + std::to_string(rows.size()) + " of the " +
                            std::to_string(train->rows()) + " training rows");
      d.profiles = data::profile_table(sample);
      d.warnings = check_table(sample, ins.target, {}, &d.feature_signals);
      if (test) {
        const auto trows = sample_rows(test->rows(), options.data_max_rows, seed);
        const data::Table tsample = take_rows(*test, trows);
        const auto tt = check_train_test(sample, tsample, ins.target, {}, &d.drift);
        d.warnings.insert(d.warnings.end(), tt.begin(), tt.end());
      }
      // Overfitting: the refit model on (a sample of) its own training rows against the CV score.
      const Labeled l = label_rows(*train, ins.target, ins.classes);
      const auto pick = sample_rows(l.rows.size(), options.fit_check_rows, seed);
      std::vector<std::size_t> fit_rows;
      for (auto i : pick) fit_rows.push_back(l.rows[i]);
      const double cv_score = bundle.manifest.value("cv_score", NAN);
      if (!fit_rows.empty() && std::isfinite(cv_score) && ins.family != "constant") {
        const std::vector<double> pred = predict_rows(*train, fit_rows);
        double train_score = NAN;
        if (classification) {
          std::vector<std::int32_t> yt;
          for (auto i : pick) yt.push_back(l.y_class[i]);
          const auto yp = metrics::argmax_labels(pred, outputs);
          train_score = metrics::compute(ins.metric, metrics::Classification{outputs, yt, yp, pred, 1});
        } else {
          std::vector<double> yt;
          for (auto i : pick) yt.push_back(l.y_value[i]);
          train_score = metrics::compute(ins.metric, metrics::Regression{yt, pred});
        }
        if (auto w = overfitting_gap(ins.metric, train_score, cv_score)) d.warnings.push_back(*w);
      }
      d.available = true;
    } catch (const Error& e) {
      d.notices.push_back(std::string("the data checks failed: ") + e.what());
    }
  } else {
    d.notices.push_back("the data panel " + no_train);
  }

  mark("P4 data checks");
  // ---- P5 pipeline ----
  ins.pipeline.steps = bundle.pipeline.records();
  ins.pipeline.features = bundle.pipeline.features();
  if (auto it = bundle.manifest.find("input_columns"); it != bundle.manifest.end() && it->is_array())
    ins.pipeline.input_columns = it->size();

  // ---- P6/P7 search ----
  load_search(ins, run_dir);

  mark("P5-P7 pipeline and search");
  // ---- P8 explanations ----
  ExplainSection& ex = ins.explanations;
  const data::Table* explain_table = test && eval.ok && eval.label == "test set" ? &eval.table : (train ? &*train : nullptr);
  if (bundle.model.family == "constant") {
    ex.notices.push_back("the chosen model is the constant baseline: it uses no feature, so there is nothing to explain");
  } else if (explain_table == nullptr) {
    ex.notices.push_back("explanations " + no_train);
  } else {
    try {
      const bool on_test = explain_table == &eval.table;
      const Labeled l = label_rows(*explain_table, ins.target, ins.classes);
      const auto pick = sample_rows(l.rows.size(), options.permutation_rows, seed);
      std::vector<std::size_t> rows;
      std::vector<float> y;
      for (auto i : pick) {
        rows.push_back(l.rows[i]);
        y.push_back(classification ? static_cast<float>(l.y_class[i]) : static_cast<float>(l.y_value[i]));
      }
      ex.evaluated_on = on_test ? "test set" : "training rows (the model was fit on them; no test set)";
      if (bundle.ensemble())
        ex.notices.push_back("the model is an ensemble of " + std::to_string(bundle.members.size()) +
                             " members; the explanations describe its heaviest member (" + bundle.model.family + ")");
      ex.rows = rows.size();
      if (rows.size() < l.rows.size())
        ex.notices.push_back("explanations use a seeded sample of " + std::to_string(rows.size()) + " of the " +
                             std::to_string(l.rows.size()) + " rows");
      const features::FeatureMatrix fx = bundle.pipeline.transform(*explain_table, rows);
      const backend::MatrixView x{fx.values.data(), fx.rows, fx.cols};
      const std::vector<std::string> names = feature_names(bundle.pipeline);
      const std::vector<FeatureGroup> groups = groups_by_source(bundle.pipeline);
      const PredictFn predict = [&](backend::MatrixView mv) -> backend::Prediction {
        features::FeatureMatrix m2;
        m2.rows = mv.rows;
        m2.cols = mv.cols;
        m2.values.assign(mv.data, mv.data + mv.rows * mv.cols);
        return to_prediction(engine::predict_matrix(bundle.model, m2, outputs), mv.rows, outputs);
      };
      PermutationOptions po;
      po.metric = ins.metric;
      po.task = kind;
      po.repeats = options.permutation_repeats;
      po.seed = seed;
      po.max_rows = 0;
      po.groups = groups;
      po.feature_names = names;
      ex.permutation = permutation_importance(predict, x, y, po);
      const backend::Trainer* trainer = bundle.model.trainer.get();
      if (trainer != nullptr) {
        const backend::Importance imp = trainer->feature_importance();
        if (imp.values.size() == names.size()) {
          if (trainer->linear_weights()) {
            ex.linear = linear_coefficients(*trainer, names, groups);
            ex.coefficients = signed_linear_coefficients(*trainer, names, groups, ins.classes);
          } else
            ex.model_importance = map_importance(imp.kind, imp.values, names, groups);
        }
        if (trainer->supports_shap()) {
          ShapOptions so;
          so.seed = seed;
          so.max_rows = options.shap_rows;
          so.beeswarm_points = 200;
          so.beeswarm_features = 10;
          ex.shap = shap_summary(*trainer, x, names, groups, so);
          if (x.rows > 0) ex.shap_local = shap_local(*trainer, x, 0, names);
        } else {
          ex.notices.push_back("SHAP values need a tree model (XGBoost); the chosen model is " + ins.family);
        }
      }
      // PDP/ICE of the top columns by permutation importance.
      std::vector<PdpTarget> targets;
      for (const auto& item : ex.permutation->items) {
        if (targets.size() >= options.pdp_columns) break;
        if (!(item.mean > 0)) continue;
        PdpTarget oh = one_hot_target(bundle.pipeline, item.name);
        if (!oh.features.empty()) {
          targets.push_back(std::move(oh));
          continue;
        }
        std::size_t f = item.features.empty() ? names.size() : item.features.front();
        for (auto k : item.features)
          if (names[k] == item.name) f = k;
        if (f < names.size()) targets.push_back(PdpTarget{item.name, {f}, {}});
      }
      PdpOptions pd;
      pd.ice_rows = options.ice_rows;
      pd.seed = seed;
      if (!targets.empty()) ex.pdp = partial_dependence(predict, x, targets, pd);
      ex.notices.insert(ex.notices.end(), ex.permutation->notices.begin(), ex.permutation->notices.end());
      ex.available = true;
    } catch (const Error& e) {
      ex.notices.push_back(std::string("explanations could not be computed: ") + e.what());
    }
  }

  mark("P8 explanations");
  // ---- P9 fairness ----
  std::shared_ptr<EvaluationRows> kept;
  if (eval.ok && classification) {
    kept = std::make_shared<EvaluationRows>();
    kept->label = eval.label;
    kept->table = std::move(eval.table);  // P8 (explain_table) is done with it
    kept->y_true = eval.y_class;
    kept->y_pred = y_pred;
    ins.evaluation = kept;
  }
  ins.fairness = fairness_section(ins, kept.get(), "fairness " + no_train, options.fairness_column);
  const FairnessSection& fs_ = ins.fairness;

  // ---- P10 model card ----
  ModelCard& card = ins.card;
  card.seed = seed;
  card.model = chosen_trial < 0 && bundle.ensemble()
                   ? "ensemble of " + std::to_string(bundle.members.size()) + " candidates"
                   : ins.family + " (trial " + std::to_string(chosen_trial) + ")";
  card.intended_use = "Predicts '" + ins.target + "' (" + ins.task + (classification ? ", classes " : "") +
                      [&] {
                        std::string s;
                        for (const auto& c : ins.classes) s += (s.empty() ? "" : ", ") + c;
                        return s;
                      }() +
                      ") for rows shaped like the training data. A decision aid to be reviewed by a person, "
                      "not an automatic decision maker; use it only on data from the same population and period.";
  card.data.push_back("training data: " + train_file.path + " (" + std::to_string(ins.run.value(json::json_pointer("/rows/train"), 0)) +
                      " rows with a target; sha256 " + train_file.sha256.substr(0, 16) + "...)");
  if (!test_file.path.empty())
    card.data.push_back("test data: " + test_file.path + " (sha256 " + test_file.sha256.substr(0, 16) + "...)");
  else
    card.data.push_back("no separate test set: the scores below are out-of-fold estimates from cross-validation");
  if (auto v = ins.run.find("validation"); v != ins.run.end() && v->is_object())
    card.data.push_back("validation: " + json_string(*v, "kind") + ", " + std::to_string(v->value("folds", 0)) + " folds (" +
                        json_string(*v, "reason") + ")");
  const double cv_best = bundle.manifest.value("cv_score", NAN);
  card.metrics.push_back("cross-validated " + ins.metric + ": " + fmt(cv_best));
  for (const auto& iv : m.intervals)
    card.metrics.push_back(iv.metric + " on " + m.evaluated_on + ": " + fmt(iv.estimate) + " (95% CI " + fmt(iv.low) + " to " +
                           fmt(iv.high) + ", " + std::to_string(iv.resamples) + " bootstrap resamples)");
  for (const auto& r : ins.leaderboard.rows)
    if (r.family == "constant") card.metrics.push_back("constant baseline CV " + ins.metric + ": " + fmt(r.cv_mean));
  if (test_file.path.empty()) card.limitations.push_back("no held-out test set: performance on new data may be lower than shown");
  if (m.rows > 0 && m.rows < 200)
    card.limitations.push_back("only " + std::to_string(m.rows) + " evaluation rows: intervals are wide");
  if (!fs_.report || !fs_.report->available)
    card.limitations.push_back("fairness across groups was not assessed (choose a column with --fairness)");
  if (ins.run.value(json::json_pointer("/trials/stopped_early"), false))
    card.limitations.push_back("the search stopped at its time budget; a longer search may find a better model");
  card.limitations.push_back("the model learns associations in past data, not causes; check it again when the data changes");
  for (const auto& w : d.warnings)
    if (w.severity != Severity::Info) card.warnings.push_back(std::string(to_string(w.severity)) + ": " + w.message);
  card.versions.emplace_back("glasswing", json_string(ins.run, "glasswing_version"));
  card.versions.emplace_back("build", json_string(ins.run, "build"));
  if (auto b = ins.run.find("backends"); b != ins.run.end() && b->is_object())
    for (const auto& [name, detail] : b->items()) card.versions.emplace_back(name, detail.is_string() ? detail.get<std::string>() : detail.dump());
  card.versions.emplace_back("device", json_string(ins.run, "device"));
  card.versions.emplace_back("report generated by", std::string("glasswing ") + kVersion);

  mark("P9-P10 fairness and model card");
  ins.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ins;
}

FairnessSection fairness_for(const RunInsights& insights, const std::string& column) {
  return fairness_section(insights, insights.evaluation.get(),
                          "fairness needs the run's evaluation rows, which these insights do not have (see the metrics notices)",
                          column);
}

namespace {

json profile_json(const data::ColumnProfile& p) {
  json j{{"name", p.name},         {"type", std::string(data::to_string(p.type))},
         {"type_reason", p.type_reason}, {"count", p.count},
         {"missing", p.missing},   {"distinct", p.distinct}};
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  j["min"] = opt(p.min);
  j["max"] = opt(p.max);
  j["mean"] = opt(p.mean);
  j["std"] = opt(p.std);
  json h = json::array();
  for (const auto& b : p.histogram) h.push_back({{"low", b.low}, {"high", b.high}, {"count", b.count}});
  j["histogram"] = h;
  json t = json::array();
  for (const auto& c : p.top) t.push_back({{"value", c.value}, {"count", c.count}});
  j["top"] = t;
  return j;
}

template <class T>
json opt_json(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

}  // namespace

void to_json(json& j, const RunInsights& v) {
  j = json::object();
  j["format"] = "glasswing-run-insights";
  j["version"] = 1;
  j["run_dir"] = v.run_dir.string();
  j["task"] = v.task;
  j["target"] = v.target;
  j["metric"] = v.metric;
  j["direction"] = v.direction;
  j["family"] = v.family;
  j["classes"] = v.classes;
  j["seed"] = v.seed;
  j["notices"] = v.notices;
  j["seconds"] = v.seconds;
  json timings = json::object();
  for (const auto& [step, s] : v.timings) timings[step] = s;
  j["timings_s"] = timings;
  json rows = json::array();
  for (const auto& r : v.leaderboard.rows)
    rows.push_back({{"rank", r.rank},         {"trial", r.trial},       {"family", r.family},
                    {"params", r.params},     {"cv_mean", r.cv_mean},   {"cv_sd", r.cv_sd},
                    {"folds", r.folds},       {"test_score", opt_json(r.test_score)},
                    {"fit_s", r.fit_s},       {"predict_s", r.predict_s}, {"baseline", r.baseline},
                    {"chosen", r.chosen}});
  j["leaderboard"] = {{"metric", v.leaderboard.metric}, {"direction", v.leaderboard.direction}, {"rows", rows},
                      {"notices", v.leaderboard.notices}};
  j["metrics"] = {{"available", v.metrics.available}, {"evaluated_on", v.metrics.evaluated_on}, {"rows", v.metrics.rows},
                  {"rows_resampled", v.metrics.rows_resampled}, {"bootstrap", v.metrics.bootstrap},
                  {"intervals", v.metrics.intervals}, {"per_fold", v.metrics.per_fold},
                  {"per_fold_of", v.metrics.per_fold_of}, {"notices", v.metrics.notices}};
  j["curves"] = {{"available", v.curves.available}, {"binary", v.curves.binary}, {"confusion", opt_json(v.curves.confusion)},
                 {"regression", opt_json(v.curves.regression)}, {"notices", v.curves.notices}};
  json profiles = json::array();
  for (const auto& p : v.data.profiles) profiles.push_back(profile_json(p));
  j["data"] = {{"available", v.data.available}, {"path", v.data.path},         {"rows", v.data.rows},
               {"columns", v.data.columns},     {"rows_analyzed", v.data.rows_analyzed}, {"profiles", profiles},
               {"warnings", v.data.warnings},   {"signals", v.data.feature_signals},   {"drift", v.data.drift},
               {"notices", v.data.notices}};
  json steps = json::array();
  for (const auto& s : v.pipeline.steps) steps.push_back({{"column", s.column}, {"step", s.step}, {"reason", s.reason}});
  json feats = json::array();
  for (const auto& f : v.pipeline.features) feats.push_back({{"name", f.name}, {"sources", f.sources}, {"step", f.step}});
  j["pipeline"] = {{"input_columns", v.pipeline.input_columns}, {"steps", steps}, {"features", feats}};
  json trials = json::array();
  for (const auto& t : v.search.trials)
    trials.push_back({{"number", t.number}, {"state", t.state}, {"family", t.family}, {"value", t.value},
                      {"duration_s", t.duration_s}, {"params", t.params}, {"fail_reason", t.fail_reason}});
  j["search"] = {{"available", v.search.available}, {"storage", v.search.storage}, {"study", v.search.study},
                 {"direction", v.search.direction}, {"trials", trials}, {"best_so_far", v.search.best_so_far},
                 {"complete", v.search.complete}, {"failed", v.search.failed}, {"pruned", v.search.pruned},
                 {"analysis", opt_json(v.search.analysis)},
                 {"notices", v.search.notices}};
  const auto& e = v.explanations;
  j["explanations"] = {{"available", e.available}, {"evaluated_on", e.evaluated_on}, {"rows", e.rows},
                       {"permutation", opt_json(e.permutation)}, {"shap", opt_json(e.shap)},
                       {"shap_local", opt_json(e.shap_local)}, {"pdp", e.pdp},
                       {"model_importance", opt_json(e.model_importance)}, {"linear", opt_json(e.linear)},
                       {"coefficients", opt_json(e.coefficients)},
                       {"notices", e.notices}};
  j["fairness"] = {{"requested", v.fairness.requested}, {"evaluated_on", v.fairness.evaluated_on},
                   {"report", opt_json(v.fairness.report)}, {"notices", v.fairness.notices}};
  json versions = json::object();
  for (const auto& [k, val] : v.card.versions) versions[k] = val;
  j["model_card"] = {{"model", v.card.model},           {"intended_use", v.card.intended_use},
                     {"data", v.card.data},             {"metrics", v.card.metrics},
                     {"limitations", v.card.limitations}, {"warnings", v.card.warnings},
                     {"versions", versions},            {"seed", v.card.seed}};
  detail::finite_or_null(j);
}

}  // namespace glasswing::transparency
