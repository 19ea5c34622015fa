// End-to-end tests of `glasswing run` and `glasswing predict` (issue 5, first slice): the run
// directory, the leaderboard against the constant baseline, Python Optuna reading search.db,
// predictions checked by ../shared/tools/metrics_check.py, determinism, resume, bad inputs.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "automl/engine/bundle.hpp"
#include "automl/engine/run.hpp"
#include "tests/cli/cli_support.hpp"
#include "tests/engine/engine_support.hpp"

namespace fs = std::filesystem;
using glasswing::test::count_lines;
using glasswing::test::kPython;
using glasswing::test::metrics_check;
using glasswing::test::python_has_optuna;
using glasswing::test::read_json;
using glasswing::test::shell;
using glasswing::test::split;
using glasswing::test::TempDir;
using glasswing::test::run_cli;
using glasswing::test::shell_quote;
using glasswing::test::slurp;
using nlohmann::json;

namespace {

const json& candidate(const json& leaderboard, const std::string& family) {
  for (const auto& c : leaderboard["candidates"])
    if (c["family"] == family) return c;
  static const json none;
  ADD_FAILURE() << "no " << family << " candidate";
  return none;
}

// Runs and checks the artifacts every run has; returns run.json.
json run_ok(const std::vector<std::string>& args, const fs::path& run_dir) {
  std::vector<std::string> all{"run"};
  all.insert(all.end(), args.begin(), args.end());
  all.insert(all.end(), {"--out", run_dir.string(), "--jobs", "1"});
  const auto r = run_cli(all, "OMP_WAIT_POLICY=PASSIVE");
  EXPECT_EQ(r.code, 0) << r.err;
  for (const char* f : {"run.json", "leaderboard.csv", "leaderboard.json", "model/manifest.json"})
    EXPECT_TRUE(fs::is_regular_file(run_dir / f)) << f;
  // A single model's pipeline, or an ensemble's members.
  EXPECT_TRUE(fs::is_regular_file(run_dir / "model/pipeline.json") || fs::is_regular_file(run_dir / "model/member_0.pipeline.json"));
  EXPECT_NE(r.out.find("best: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("constant baseline"), std::string::npos) << r.out;
  return fs::exists(run_dir / "run.json") ? read_json(run_dir / "run.json") : json();
}

bool better(const json& run, double a, double b) { return run["direction"] == "maximize" ? a > b : a < b; }

// The leaderboard's trial rows (without a kept ensemble's row, trial -1).
json trial_rows(const json& leaderboard) {
  json rows = json::array();
  for (const auto& c : leaderboard["candidates"])
    if (c["trial"].get<int>() >= 0) rows.push_back(c);
  return rows;
}

}  // namespace

TEST(EngineRun, CreditGEndToEndWithOptunaAndPredict) {
  TempDir tmp;
  const fs::path data = split("credit-g", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const json run = run_ok({"--data", (data / "train.csv").string(), "--target", "class", "--test",
                           (data / "test.csv").string(), "--max-trials", "6", "--cv", "3", "--seed", "0"},
                          run_dir);
  ASSERT_FALSE(run.is_null());
  EXPECT_EQ(run["task"], "binary");
  EXPECT_EQ(run["metric"], "roc_auc");
  EXPECT_EQ(run["trials"]["complete"], 6);
  EXPECT_EQ(run["validation"]["folds"], 3);
  const json split_info = read_json(data / "split.json");
  EXPECT_EQ(run["inputs"][0]["sha256"], split_info["train_sha256"]);
  EXPECT_EQ(run["inputs"][1]["sha256"], split_info["test_sha256"]);
  EXPECT_TRUE(fs::is_regular_file(run_dir / "search.db"));
  EXPECT_TRUE(fs::is_directory(run_dir / "oof"));

  // The leaderboard has the constant baseline, and the best candidate beats it.
  const json lb = read_json(run_dir / "leaderboard.json");
  const bool ensemble = run["ensemble"]["kept"].get<bool>();
  ASSERT_EQ(lb["candidates"].size(), ensemble ? 7u : 6u);
  const json& base = candidate(lb, "constant");
  EXPECT_DOUBLE_EQ(base["cv_mean"].get<double>(), 0.5);
  const json trials = trial_rows(lb);
  const json& best = trials[0];  // the best single trial
  EXPECT_EQ(lb["candidates"][0]["rank"], 1);
  EXPECT_GT(best["cv_mean"].get<double>(), 0.70);
  EXPECT_EQ(best["fold_scores"].size(), 3u);
  EXPECT_DOUBLE_EQ(run["baseline_cv"].get<double>(), 0.5);
  EXPECT_GT(run["test_score"].get<double>(), 0.65);
  const std::string csv = slurp(run_dir / "leaderboard.csv");
  EXPECT_EQ(count_lines(csv), ensemble ? 8u : 7u);
  EXPECT_EQ(csv.rfind("rank,trial,family,params,cv_mean,cv_sd,test_score,fit_s,predict_s\n", 0), 0u);

  // The bundle manifest.
  const json manifest = read_json(run_dir / "model/manifest.json");
  EXPECT_EQ(manifest["format"], "glasswing-bundle");
  EXPECT_EQ(manifest["classes"], json({"bad", "good"}));
  EXPECT_EQ(manifest["trial"], run["best"]["trial"]);
  EXPECT_EQ(manifest["family"], ensemble ? "ensemble" : best["family"]);
  // The input schema with the categories seen in training, and the training-data summary.
  ASSERT_EQ(manifest["input_columns"].size(), 20u);
  EXPECT_EQ(manifest["input_columns"][0]["name"], "checking_status");
  EXPECT_EQ(manifest["input_columns"][0]["type"], "categorical");
  EXPECT_EQ(manifest["input_columns"][0]["categories"], json({"0<=X<200", "<0", ">=200", "no checking"}));
  EXPECT_EQ(manifest["training_rows"], 750);
  EXPECT_EQ(manifest["training_summary"]["rows"], 750);
  EXPECT_EQ(manifest["training_summary"]["columns"].size(), 20u);
  EXPECT_TRUE(manifest["training_summary"]["columns"]["duration"].contains("mean"));
  EXPECT_TRUE(manifest["training_summary"]["columns"]["purpose"].contains("top"));

  // Python Optuna sees the trials.
  if (python_has_optuna()) {
    const std::string script =
        "import optuna, sys\n"
        "optuna.logging.set_verbosity(optuna.logging.ERROR)\n"
        "s = optuna.storages.RDBStorage(sys.argv[1], skip_compatibility_check=True)\n"
        "st = optuna.load_study(study_name='glasswing-run', storage=s)\n"
        "done = [t for t in st.trials if t.state == optuna.trial.TrialState.COMPLETE]\n"
        "print(len(st.trials), len(done), st.best_trial.number, repr(st.best_value), st.direction.name)\n";
    const fs::path py = tmp.path / "load.py";
    std::ofstream(py) << script;
    const fs::path out = tmp.path / "optuna.txt";
    ASSERT_EQ(shell(kPython + " " + shell_quote(py.string()) + " " +
                    shell_quote("sqlite:///" + (run_dir / "search.db").string()) + " >" + shell_quote(out.string())),
              0);
    std::istringstream in(slurp(out));
    int n = 0, complete = 0, best_number = -1;
    double best_value = 0;
    std::string direction;
    in >> n >> complete >> best_number >> best_value >> direction;
    EXPECT_EQ(n, 6);
    EXPECT_EQ(complete, 6);
    EXPECT_EQ(best_number, best["trial"].get<int>());
    EXPECT_NEAR(best_value, best["cv_mean"].get<double>(), 1e-12);
    EXPECT_EQ(direction, "MAXIMIZE");
  } else {
    GTEST_LOG_(INFO) << "python3 lacks optuna: Optuna interop part skipped";
  }

  // predict on the test split; sklearn's metrics agree with the run's test score.
  const fs::path pred = tmp.path / "pred.csv";
  const auto p = run_cli({"predict", "--model", (run_dir / "model").string(), "--data", (data / "test.csv").string(), "--out",
                          pred.string()});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(slurp(pred).rfind("prediction,proba_bad,proba_good\n", 0), 0u);
  const json m = metrics_check(pred, data / "test.csv", tmp.path);
  EXPECT_EQ(m["n"], 250);
  EXPECT_LT(m["proba_row_sum_max_abs_dev"].get<double>(), 1e-9);
  EXPECT_NEAR(m["metrics"]["roc_auc"].get<double>(), run["test_score"].get<double>(), 1e-9);

  // The run's own test predictions (RUNDIR/predictions/test.csv) give the same score.
  ASSERT_TRUE(fs::is_regular_file(run_dir / "predictions/test.csv"));
  EXPECT_EQ(slurp(run_dir / "predictions/test.csv"), slurp(pred));
  const json own = metrics_check(run_dir / "predictions/test.csv", data / "test.csv", tmp.path);
  EXPECT_NEAR(own["metrics"]["roc_auc"].get<double>(), run["test_score"].get<double>(), 1e-9);
}

TEST(EngineRun, RegressionAutoMpg) {
  TempDir tmp;
  const fs::path data = split("auto-mpg", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const json run = run_ok({"--data", (data / "train.csv").string(), "--target", "Miles_per_Gallon", "--test",
                           (data / "test.csv").string(), "--max-trials", "4", "--cv", "3", "--models", "xgboost,linear"},
                          run_dir);
  ASSERT_FALSE(run.is_null());
  EXPECT_EQ(run["task"], "regression");
  EXPECT_EQ(run["metric"], "rmse");
  EXPECT_TRUE(better(run, run["best"]["cv_score"].get<double>(), run["baseline_cv"].get<double>()));
  EXPECT_LT(run["test_score"].get<double>(), 5.0);  // the target's sd is about 7.8

  const fs::path pred = tmp.path / "pred.csv";
  const auto p = run_cli({"predict", "--model", (run_dir / "model").string(), "--data", (data / "test.csv").string(), "--out",
                          pred.string()});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(slurp(pred).rfind("prediction\n", 0), 0u);
  const json m = metrics_check(pred, data / "test.csv", tmp.path);
  EXPECT_NEAR(m["metrics"]["rmse"].get<double>(), run["test_score"].get<double>(), 1e-4);
  // The run's own test predictions: the same rmse as run.json's test score.
  const json own = metrics_check(run_dir / "predictions/test.csv", data / "test.csv", tmp.path);
  EXPECT_EQ(own["n"], m["n"]);
  EXPECT_NEAR(own["metrics"]["rmse"].get<double>(), run["test_score"].get<double>(), 1e-9);
}

TEST(EngineRun, MulticlassIris) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const json run = run_ok({"--data", (data / "train.csv").string(), "--target", "species", "--test",
                           (data / "test.csv").string(), "--max-trials", "4", "--cv", "3", "--models", "xgboost,linear"},
                          run_dir);
  ASSERT_FALSE(run.is_null());
  EXPECT_EQ(run["task"], "multiclass");
  EXPECT_EQ(run["metric"], "log_loss");
  EXPECT_EQ(run["classes"], json({"setosa", "versicolor", "virginica"}));
  EXPECT_TRUE(better(run, run["best"]["cv_score"].get<double>(), run["baseline_cv"].get<double>()));

  const fs::path pred = tmp.path / "pred.csv";
  ASSERT_EQ(run_cli({"predict", "--model", (run_dir / "model").string(), "--data", (data / "test.csv").string(), "--out",
                     pred.string()})
                .code,
            0);
  const json m = metrics_check(pred, data / "test.csv", tmp.path);
  EXPECT_LT(m["proba_row_sum_max_abs_dev"].get<double>(), 1e-9);
  EXPECT_NEAR(m["metrics"]["log_loss"].get<double>(), run["test_score"].get<double>(), 1e-6);
  EXPECT_GT(m["metrics"]["accuracy"].get<double>(), 0.85);
}

TEST(EngineRun, SameSeedSameLeaderboard) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  auto leaderboard = [&](const std::string& name) {
    run_ok({"--data", (data / "train.csv").string(), "--target", "species", "--max-trials", "6", "--cv", "3", "--seed", "7",
            "--models", "xgboost,linear,mlp"},
           tmp.path / name);
    json lb = read_json(tmp.path / name / "leaderboard.json");
    for (auto& c : lb["candidates"]) {
      c.erase("fit_s");
      c.erase("predict_s");
    }
    return lb;
  };
  const json a = leaderboard("a");
  const json b = leaderboard("b");
  EXPECT_EQ(trial_rows(a).size(), 6u);
  EXPECT_EQ(a.dump(), b.dump());  // the ensemble selection, when kept, is deterministic too
}

TEST(EngineRun, ResumeContinuesWithoutRepeatingTrials) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const std::vector<std::string> base{"--data", (data / "train.csv").string(), "--target", "species", "--cv", "3",
                                      "--models", "xgboost,linear"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  json run = run_ok(with({"--max-trials", "3"}), run_dir);
  EXPECT_EQ(run["trials"]["complete"], 3);
  // The same store again without --resume: a storage error that names the remedy.
  const auto again = run_cli({"run", "--data", (data / "train.csv").string(), "--target", "species", "--out",
                              run_dir.string(), "--max-trials", "3"});
  EXPECT_EQ(again.code, 4);
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
  EXPECT_EQ(count_lines(again.err), 1u) << again.err;
  run = run_ok(with({"--max-trials", "5", "--resume"}), run_dir);
  EXPECT_EQ(run["trials"]["complete"], 5);
  EXPECT_EQ(run["trials"]["this_process"], 2);
  const json lb = read_json(run_dir / "leaderboard.json");
  std::set<int> numbers;
  for (const auto& c : trial_rows(lb)) numbers.insert(c["trial"].get<int>());
  EXPECT_EQ(numbers, (std::set<int>{0, 1, 2, 3, 4}));
  // The earlier process's trials have no out-of-fold predictions here: an Issue says so when one
  // of them is among the best candidates the ensemble selection would have used (here: all are).
  bool said = false;
  for (const auto& i : run["issues"])
    if (i["source"] == "ensemble" && i["message"].get<std::string>().find("earlier process") != std::string::npos) said = true;
  EXPECT_TRUE(said) << run["issues"].dump();
}

// Anytime: a time budget stops the search; whatever finished is a valid result.
TEST(EngineRun, TimeBudgetStopsWithAValidResult) {
  TempDir tmp;
  const fs::path data = split("credit-g", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const json run = run_ok({"--data", (data / "train.csv").string(), "--target", "class", "--time-budget", "3", "--cv", "3"},
                          run_dir);
  ASSERT_FALSE(run.is_null());
  EXPECT_TRUE(run["trials"]["stopped_early"].get<bool>());
  EXPECT_GE(run["trials"]["complete"].get<int>(), 1);
  EXPECT_LT(run["timings_s"]["search"].get<double>(), 3.0 + 2.0);  // a fit notices the deadline within a round
  EXPECT_TRUE(fs::is_regular_file(run_dir / "model/manifest.json"));
}

// --time-budget covers the whole command (search, refit, test scoring, artifacts and report.html):
// on 10k diamonds rows, where the refit and the report take seconds (the report alone 2-6 s on
// a loaded 2-core machine), the child process ends within budget x 1.1 + 1 s, measured here,
// with every artifact.
TEST(EngineRun, TimeBudgetCoversTheWholeRun) {
  TempDir tmp;
  {
    std::ifstream in(glasswing::test::kShared / "datasets/diamonds.csv");
    std::ofstream out(tmp.path / "diamonds-10k.csv");
    std::string line;
    for (int i = 0; i <= 10000 && std::getline(in, line); ++i) out << line << '\n';
  }
  const std::string cmd = kPython + " " + shell_quote((glasswing::test::kShared / "tools/split.py").string()) + " " +
                          shell_quote((tmp.path / "diamonds-10k.csv").string()) +
                          " --target price --task regression --seed 0 --out-dir " +
                          shell_quote((tmp.path / "d").string()) + " >/dev/null";
  ASSERT_EQ(shell(cmd), 0);
  const fs::path run_dir = tmp.path / "run";
  const double budget = 15;
  const auto t0 = std::chrono::steady_clock::now();
  const json run = run_ok({"--data", (tmp.path / "d/train.csv").string(), "--test", (tmp.path / "d/test.csv").string(), "--target",
                           "price", "--models", "xgboost,linear", "--cv", "3", "--time-budget", "15"},
                          run_dir);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LE(wall, budget * 1.1 + 1.0);
  ASSERT_FALSE(run.is_null());
  for (const char* f : {"report.html", "predictions/test.csv", "oof"}) EXPECT_TRUE(fs::exists(run_dir / f)) << f;
  EXPECT_TRUE(run["test_score"].is_number());
  EXPECT_GE(run["trials"]["complete"].get<int>(), 2);  // the baseline and at least one model
  // run.json says what was reserved for the finalisation and what it took.
  const json& t = run["timings_s"];
  // The reserve: the CLI's part plus at least 5% of the budget for the engine's finalisation; at
  // most 35% of the budget unless those two alone are more.
  const double after_run = t["after_run_allowance"].get<double>();
  EXPECT_GE(t["reserve"].get<double>(), after_run + 0.05 * budget - 1e-9);
  EXPECT_LE(t["reserve"].get<double>(), std::max(0.35 * budget, after_run + 0.05 * budget) + 1e-9);
  EXPECT_GT(t["finalisation"].get<double>(), 0.0);
  // The CLI's report: 5 s and 8 us per data row (7,500 training rows and about 2,500 test rows).
  EXPECT_NEAR(t["after_run_allowance"].get<double>(), 5.0 + 8e-6 * 10000, 0.05);
  // The engine's part ends before the budget less what the CLI needs afterwards (its report).
  EXPECT_LE(t["total"].get<double>(), budget - 5.0 + 0.1 * budget) << t.dump();
  GTEST_LOG_(INFO) << "wall " << wall << " s; timings " << t.dump();
}

// Ctrl-C (SIGINT) stops the search cleanly: exit 0 with the result so far.
TEST(EngineRun, InterruptKeepsTheResultSoFar) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const fs::path log = tmp.path / "log.txt";
  const std::string cmd = "OMP_WAIT_POLICY=PASSIVE " + shell_quote(GLASSWING_CLI) + " run --data " +
                          shell_quote((data / "train.csv").string()) +
                          " --target species --cv 3 --max-trials 100000 --jobs 1 --models xgboost,linear --out " +
                          shell_quote(run_dir.string()) + " >" + shell_quote(log.string()) + " 2>&1 & pid=$!; " +
                          "for i in $(seq 1 200); do grep -q 'trial   4' " + shell_quote(log.string()) +
                          " 2>/dev/null && break; sleep 0.1; done; kill -INT $pid; wait $pid";
  EXPECT_EQ(shell("bash -c " + shell_quote(cmd)), 0) << slurp(log);
  ASSERT_TRUE(fs::is_regular_file(run_dir / "run.json")) << slurp(log);
  const json run = read_json(run_dir / "run.json");
  EXPECT_TRUE(run["trials"]["stopped_early"].get<bool>());
  EXPECT_GE(run["trials"]["complete"].get<int>(), 5);
  EXPECT_TRUE(fs::is_regular_file(run_dir / "model/manifest.json"));
}

TEST(EngineRun, RowsWithoutTargetAreDroppedAndSaid) {
  TempDir tmp;
  const fs::path csv = tmp.path / "d.csv";
  {
    std::ofstream out(csv);
    out << "x,z,y\n";
    std::mt19937 rng(1);
    for (int i = 0; i < 120; ++i) {
      const int x = static_cast<int>(rng() % 100);
      out << x << ',' << (rng() % 7) << ',' << (i % 10 == 0 ? "" : (x > 50 ? "hi" : "lo")) << '\n';
    }
  }
  const auto r = run_cli({"run", "--data", csv.string(), "--target", "y", "--out", (tmp.path / "run").string(), "--max-trials",
                          "2", "--cv", "3", "--models", "linear", "--jobs", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("12 rows have no value in target 'y' and were dropped"), std::string::npos) << r.err;
  const json run = read_json(tmp.path / "run/run.json");
  EXPECT_EQ(run["rows"]["dropped_missing_target"], 12);
  EXPECT_EQ(run["rows"]["train"], 108);
}

// OpenMP pools wait passively unless the user chose otherwise: the CLI re-executes itself with
// OMP_WAIT_POLICY=PASSIVE when it is unset (spinning pools on a busy machine made fits up to 10x
// slower), and run.json says which policy the run had.
TEST(EngineRun, OpenMpWaitsPassivelyUnlessTheUserChose) {
  TempDir tmp;
  const fs::path csv = fs::path(GLASSWING_SHARED_DIR) / "datasets" / "iris.csv";
  auto run_with = [&](const std::string& env, const std::string& name) {
    const auto r = run_cli({"run", "--data", csv.string(), "--target", "species", "--out", (tmp.path / name).string(),
                            "--max-trials", "1", "--models", "constant"},
                           env);
    EXPECT_EQ(r.code, 0) << r.err;
    return read_json(tmp.path / name / "run.json");
  };
  EXPECT_EQ(run_with("env -u OMP_WAIT_POLICY -u GLASSWING_OMP_REEXEC", "unset")["openmp_wait_policy"], "PASSIVE");
  EXPECT_EQ(run_with("env -u GLASSWING_OMP_REEXEC OMP_WAIT_POLICY=ACTIVE", "active")["openmp_wait_policy"], "ACTIVE");
}

// Every bad input of a run: its error kind (= exit code) and a one-line message. Checked through
// the API (no process start-up per case); a few through the CLI for the exit code and stderr.
TEST(EngineRun, BadInputsExitCodesAndOneLine) {
  namespace engine = glasswing::engine;
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const std::string train = (data / "train.csv").string();
  const fs::path constant = tmp.path / "constant.csv";
  std::ofstream(constant) << "a,b,y\n1,2,3\n2,3,3\n4,5,3\n5,1,3\n";
  const fs::path blocker = tmp.path / "file";
  std::ofstream(blocker) << "x";
  auto settings = [&](const std::string& csv, const std::string& target) {
    engine::RunSettings s;
    s.data = csv;
    s.target = target;
    s.out = tmp.path / "r";
    s.max_trials = 1;
    s.jobs = 1;
    return s;
  };
  struct Case {
    std::string what;
    engine::RunSettings s;
    int code;
    std::string needle;
  };
  std::vector<Case> cases;
  cases.push_back({"missing target", settings(train, "nope"), 3, "does not exist"});
  cases.push_back({"constant target", settings(constant.string(), "y"), 3, "single value"});
  cases.push_back({"missing file", settings((tmp.path / "missing.csv").string(), "y"), 3, "missing.csv"});
  auto s = settings(train, "species");
  s.models = {"xgboost", "forest"};
  cases.push_back({"unknown family", s, 2, "valid: constant, "});
  s = settings(train, "species");
  s.metric = "foo";
  cases.push_back({"unknown metric", s, 2, "roc_auc"});
  s = settings(train, "species");
  s.metric = "rmse";
  cases.push_back({"metric for another task", s, 2, "does not apply to a multiclass task"});
  s = settings(train, "species");
  s.task = "binary";
  cases.push_back({"binary with 3 classes", s, 2, "3 classes"});
  s = settings(train, "species");
  s.task = "regression";
  cases.push_back({"regression on labels", s, 3, "not numeric"});
  s = settings(train, "species");
  s.max_trials = 0;
  cases.push_back({"zero trials", s, 2, "--max-trials"});
  s = settings(train, "species");
  s.cv = 1;
  cases.push_back({"cv 1", s, 2, "cv"});
  s = settings(train, "species");
  s.device = "tpu";
  cases.push_back({"unknown device", s, 2, "auto"});
  s = settings(train, "species");
  s.storage = "mysql://x";
  cases.push_back({"unknown storage", s, 2, "sqlite"});
  s = settings(train, "species");
  s.out = blocker / "run";
  cases.push_back({"unwritable out", s, 4, "--out"});
  for (const auto& c : cases) {
    try {
      (void)engine::run(c.s);
      ADD_FAILURE() << c.what << ": no error";
    } catch (const glasswing::Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(glasswing::exit_code(e.kind()), c.code) << c.what << ": " << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << c.what << ": " << msg;
      EXPECT_NE(msg.find(c.needle), std::string::npos) << c.what << ": " << msg;
    }
  }
  // --device cuda without a GPU (this build's libraries are CPU-only unless GLASSWING_WITH_CUDA).
  s = settings(train, "species");
  s.device = "cuda";
  s.models = {"xgboost"};
  try {
    (void)engine::run(s);
  } catch (const glasswing::Error& e) {
    EXPECT_EQ(glasswing::exit_code(e.kind()), 5) << e.what();
  }

  // Through the CLI: the exit code and exactly one line on stderr.
  const std::vector<std::pair<std::vector<std::string>, int>> cli{
      {{"run", "--data", train, "--target", "nope"}, 3},
      {{"run", "--data", train, "--target", "species", "--models", "forest"}, 2},
      {{"run", "--target", "species"}, 2},
      {{"run", "--data", train, "--target", "species", "--out", (blocker / "run").string()}, 4},
  };
  for (const auto& [args, code] : cli) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, code) << args[3] << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  }
}

TEST(EngineRun, PredictBadInputs) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  run_ok({"--data", (data / "train.csv").string(), "--target", "species", "--max-trials", "2", "--cv", "2", "--models", "xgboost"},
         run_dir);
  const fs::path pred = (tmp.path / "p.csv");
  auto predict = [&](const fs::path& model, const fs::path& csv, const fs::path& out) {
    return run_cli({"predict", "--model", model.string(), "--data", csv.string(), "--out", out.string()});
  };
  // Extra columns (the target) are ignored; the bundle works on the test file without its target.
  const fs::path no_target = tmp.path / "no_target.csv";
  {
    std::ofstream out(no_target);
    out << "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n";
  }
  const auto ok = predict(run_dir / "model", no_target, pred);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(count_lines(slurp(pred)), 3u);
  struct Case {
    std::string what;
    fs::path model, csv, out;
    int code;
  };
  // A foreign bundle (no manifest), a damaged manifest, a foreign manifest, a missing model column.
  const fs::path foreign = tmp.path / "foreign";
  fs::create_directories(foreign);
  const fs::path damaged = tmp.path / "damaged";
  fs::copy(run_dir / "model", damaged);
  std::ofstream(damaged / "manifest.json") << "{\"format\": \"glasswing-bundle\", \"version\": 1";
  const fs::path other = tmp.path / "other";
  fs::copy(run_dir / "model", other);
  std::ofstream(other / "manifest.json") << R"({"format": "something-else", "version": 1})";
  const fs::path newer = tmp.path / "newer";
  fs::copy(run_dir / "model", newer);
  {
    json m = read_json(run_dir / "model/manifest.json");
    m["version"] = 99;
    std::ofstream(newer / "manifest.json") << m.dump();
  }
  const fs::path broken_model = tmp.path / "broken_model";
  fs::copy(run_dir / "model", broken_model);
  std::ofstream(broken_model / "model.json") << "{not json";
  const fs::path missing_col = tmp.path / "missing_col.csv";
  std::ofstream(missing_col) << "sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n";
  const std::vector<Case> cases{
      {"foreign dir", foreign, data / "test.csv", pred, 3},
      {"no such dir", tmp.path / "nope", data / "test.csv", pred, 3},
      {"damaged manifest", damaged, data / "test.csv", pred, 3},
      {"foreign manifest", other, data / "test.csv", pred, 3},
      {"newer bundle", newer, data / "test.csv", pred, 3},
      {"damaged model", broken_model, data / "test.csv", pred, 3},
      {"missing column", run_dir / "model", missing_col, pred, 3},
      {"unwritable out", run_dir / "model", data / "test.csv", tmp.path / "no/such/dir/p.csv", 4},
  };
  for (const auto& c : cases) {
    const auto r = predict(c.model, c.csv, c.out);
    EXPECT_EQ(r.code, c.code) << c.what << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << c.what << ": " << r.err;
  }
}

// Ensembling at the end of a run: greedy selection with replacement over the out-of-fold
// predictions of the best distinct candidates; kept only when strictly better than the best
// single candidate. Checked for consistency whichever way the decision goes.
TEST(EngineRun, EnsembleOfTheBestCandidates) {
  TempDir tmp;
  const fs::path data = split("credit-g", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const json run = run_ok({"--data", (data / "train.csv").string(), "--target", "class", "--test", (data / "test.csv").string(),
                           "--models", "constant,linear,mlp,xgboost", "--max-trials", "8", "--cv", "3", "--seed", "0"},
                          run_dir);
  ASSERT_FALSE(run.is_null());
  const json& e = run["ensemble"];
  ASSERT_TRUE(e.is_object()) << run.dump();
  EXPECT_EQ(e["selected_on"], "oof");
  ASSERT_TRUE(e.contains("candidates")) << e.dump();
  EXPECT_FALSE(e["reason"].get<std::string>().empty());
  // The candidates: distinct COMPLETE trials (not the constant), best first by CV mean.
  const json lb = read_json(run_dir / "leaderboard.json");
  const json trials = trial_rows(lb);
  std::size_t members = 0;
  double weight_sum = 0;
  for (const auto& c : e["candidates"]) {
    EXPECT_NE(c["family"], "constant");
    members += c["count"].get<int>() > 0;
    weight_sum += c["weight"].get<double>();
  }
  EXPECT_GE(e["candidates"].size(), 2u);
  EXPECT_NEAR(weight_sum, 1.0, 1e-12);
  EXPECT_EQ(e["candidates"][0]["trial"], trials[0]["trial"]);  // the best single trial (not the constant here)
  const double score = e["oof_score"].get<double>(), single = e["best_single_oof_score"].get<double>();
  EXPECT_GE(score, single);  // round 1 is the best single candidate
  // The decision follows `improves`: strictly better with 2+ members.
  const bool kept = e["kept"].get<bool>();
  EXPECT_EQ(kept, members >= 2 && score > single) << e.dump();
  const json manifest = read_json(run_dir / "model/manifest.json");
  if (kept) {
    // The bundle: version 2 with the members and weights summing to 1.
    EXPECT_EQ(manifest["version"], 2);
    EXPECT_EQ(manifest["family"], "ensemble");
    ASSERT_EQ(manifest["members"].size(), members);
    double sum = 0;
    for (const auto& m : manifest["members"]) {
      EXPECT_GT(m["weight"].get<double>(), 0);
      sum += m["weight"].get<double>();
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
    EXPECT_EQ(manifest["ensemble"]["oof_score"], e["oof_score"]);
    // The leaderboard's ensemble row: members with weights, CV mean of the blended folds, test score.
    std::size_t rows = 0;
    for (const auto& c : lb["candidates"])
      if (c["family"] == "ensemble") {
        ++rows;
        EXPECT_EQ(c["trial"], -1);
        EXPECT_EQ(c["params"].size(), members);
        EXPECT_EQ(c["fold_scores"].size(), 3u);
        EXPECT_TRUE(c["test_score"].is_number());
        EXPECT_NEAR(c["test_score"].get<double>(), run["test_score"].get<double>(), 1e-12);
        EXPECT_NEAR(c["cv_mean"].get<double>(), run["best"]["cv_score"].get<double>(), 1e-12);
      }
    EXPECT_EQ(rows, 1u);
    EXPECT_EQ(run["best"]["family"], "ensemble");
    EXPECT_EQ(run["best"]["trial"], -1);
    EXPECT_TRUE(fs::is_regular_file(run_dir / "oof/ensemble.csv"));
    EXPECT_EQ(count_lines(slurp(run_dir / "oof/ensemble.csv")), 751u);
  } else {
    EXPECT_EQ(manifest["version"], 1);
    EXPECT_EQ(trial_rows(lb).size(), lb["candidates"].size());
    EXPECT_EQ(run["best"]["trial"], lb["candidates"][0]["trial"]);
    GTEST_LOG_(INFO) << "ensemble not kept: " << e["reason"].get<std::string>();
  }
  // predictions/test.csv comes from the exported model: `glasswing predict` with the bundle
  // writes the same file, and sklearn's roc_auc of it is the run's test score.
  const fs::path pred = tmp.path / "pred.csv";
  const auto p = run_cli({"predict", "--model", (run_dir / "model").string(), "--data", (data / "test.csv").string(), "--out",
                          pred.string()});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(slurp(run_dir / "predictions/test.csv"), slurp(pred));
  const json m = metrics_check(pred, data / "test.csv", tmp.path);
  EXPECT_LT(m["proba_row_sum_max_abs_dev"].get<double>(), 1e-9);
  EXPECT_NEAR(m["metrics"]["roc_auc"].get<double>(), run["test_score"].get<double>(), 1e-9);
}

// The kept decision is exactly select_ensemble's `improves`, with a reason either way.
TEST(EngineApi, EnsembleDecisionFollowsImproves) {
  using glasswing::engine::EnsembleTarget;
  // Two regressors with opposite errors: their average is exact, so the ensemble improves.
  EnsembleTarget y;
  y.y_value = {1, 2, 3, 4, 5, 6};
  std::vector<double> a, b;
  for (std::size_t i = 0; i < y.y_value.size(); ++i) {
    const double err = i % 2 == 0 ? 0.5 : -0.5;
    a.push_back(y.y_value[i] + err);
    b.push_back(y.y_value[i] - err);
  }
  const auto sel = glasswing::engine::select_ensemble({a, b}, y, "rmse");
  ASSERT_TRUE(sel.improves);
  const auto kept = glasswing::engine::decide_ensemble(sel, "rmse");
  EXPECT_TRUE(kept.kept);
  EXPECT_NE(kept.reason.find("beats the best single candidate"), std::string::npos) << kept.reason;
  // The same candidate twice: nothing to gain, the single candidate is exported.
  const auto same = glasswing::engine::select_ensemble({a, a}, y, "rmse");
  ASSERT_FALSE(same.improves);
  const auto single = glasswing::engine::decide_ensemble(same, "rmse");
  EXPECT_FALSE(single.kept);
  EXPECT_NE(single.reason.find("only the best single candidate"), std::string::npos) << single.reason;
  // Two members that are not strictly better (a tie): not kept, and the reason says so.
  glasswing::engine::EnsembleSelection tie = sel;
  tie.score = tie.best_single_score;
  tie.improves = false;
  const auto tied = glasswing::engine::decide_ensemble(tie, "rmse");
  EXPECT_FALSE(tied.kept);
  EXPECT_NE(tied.reason.find("not strictly better"), std::string::npos) << tied.reason;
}

TEST(EngineApi, Sha256AndFamilies) {
  TempDir tmp;
  std::ofstream(tmp.path / "abc") << "abc";
  EXPECT_EQ(glasswing::engine::sha256_file(tmp.path / "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(glasswing::engine::sha256_file(tmp.path / "none"), glasswing::Error);
  const auto families = glasswing::engine::family_names();
  ASSERT_FALSE(families.empty());
  EXPECT_EQ(families.front(), "constant");
}
