// Issue 5 / issue 3 end to end: kill -9 then --resume (heartbeats, stale trials), `glasswing
// worker` joining a run's search (and its bad cases), parallel trials, the XGBoost random forest
// family and pruning on intermediate values. Everything through the built CLI; the search store
// is read back with automl/search (and Python Optuna where it matters).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/search/storage_registry.hpp"
#include "automl/search/study.hpp"
#include "tests/cli/cli_support.hpp"
#include "tests/engine/engine_support.hpp"

extern char** environ;

namespace fs = std::filesystem;
namespace search = glasswing::search;
using glasswing::test::count_lines;
using glasswing::test::kPython;
using glasswing::test::python_has_optuna;
using glasswing::test::read_json;
using glasswing::test::run_cli;
using glasswing::test::shell;
using glasswing::test::shell_quote;
using glasswing::test::slurp;
using glasswing::test::split;
using glasswing::test::TempDir;
using nlohmann::json;

namespace {

std::vector<search::FrozenTrial> trials_of(const std::string& url, const std::string& name) {
  auto storage = search::make_storage(url);
  return storage->get_all_trials(storage->get_study_id_from_name(name));
}

std::string family_and_params(const search::FrozenTrial& t) {
  json j = json::object();
  for (const auto& [k, v] : t.params) j[k] = v;
  return j.dump();
}

void expect_run_directory(const fs::path& dir) {
  for (const char* f : {"run.json", "leaderboard.csv", "leaderboard.json", "model/manifest.json"})
    EXPECT_TRUE(fs::is_regular_file(dir / f)) << f;
  // A single model's pipeline, or an ensemble's members.
  EXPECT_TRUE(fs::is_regular_file(dir / "model/pipeline.json") || fs::is_regular_file(dir / "model/member_0.pipeline.json"));
  EXPECT_TRUE(fs::is_directory(dir / "oof"));
}

// Starts `glasswing ARGS` with stdout+stderr to `log`; returns the pid.
pid_t spawn_cli(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> all{GLASSWING_CLI};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, GLASSWING_CLI, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  EXPECT_EQ(rc, 0);
  return pid;
}

}  // namespace

// kill -9 in the middle of a trial, then --resume: finished trials are kept as they were (numbers,
// params, values), the killed trial becomes FAIL with its reason at once (its process is gone),
// nothing finished runs again, and the run directory is complete.
TEST(EngineResume, KillNineThenResume) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const std::string url = "sqlite:///" + (run_dir / "search.db").string();
  const std::vector<std::string> args{"run", "--data", (data / "train.csv").string(), "--target", "species", "--cv", "3",
                                      "--models", "xgboost,linear", "--max-trials", "12", "--jobs", "1", "--seed", "3",
                                      "--out", run_dir.string()};
  const pid_t pid = spawn_cli(args, tmp.path / "first.log");
  ASSERT_GT(pid, 0);
  // Wait until at least 5 trials finished and a later one is RUNNING (in the middle of its folds).
  std::vector<search::FrozenTrial> before;
  bool ready = false;
  for (int i = 0; i < 600 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!fs::exists(run_dir / "search.db")) continue;
    try {
      before = trials_of(url, "glasswing-run");
    } catch (const glasswing::Error&) {
      continue;  // the study is not there yet
    }
    int finished = 0;
    bool running = false;
    for (const auto& t : before) {
      if (search::is_finished(t.state)) ++finished;
      if (t.state == search::TrialState::Running && t.system_attrs.count("glasswing.owner") > 0) running = true;
    }
    ready = finished >= 5 && running;
  }
  ASSERT_TRUE(ready) << slurp(tmp.path / "first.log");
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  before = trials_of(url, "glasswing-run");
  std::map<std::int64_t, search::FrozenTrial> finished_before;
  std::set<std::int64_t> running_before;
  for (const auto& t : before) {
    if (search::is_finished(t.state)) finished_before.emplace(t.number, t);
    if (t.state == search::TrialState::Running) running_before.insert(t.number);
  }
  ASSERT_GE(finished_before.size(), 5u);
  ASSERT_FALSE(running_before.empty());

  // --resume with the same command.
  std::vector<std::string> again = args;
  again.push_back("--resume");
  const auto r = run_cli(again, "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("set to FAIL"), std::string::npos) << r.err;
  expect_run_directory(run_dir);
  const json run = read_json(run_dir / "run.json");
  EXPECT_EQ(run["trials"]["stale_failed"].get<std::size_t>(), running_before.size());

  const auto after = trials_of(url, "glasswing-run");
  std::set<std::string> finished_params;
  for (const auto& [n, t] : finished_before) {
    const auto& now = after.at(static_cast<std::size_t>(n));
    EXPECT_EQ(now.state, t.state) << n;
    EXPECT_EQ(family_and_params(now), family_and_params(t)) << n;
    EXPECT_EQ(now.values, t.values) << n;
    if (t.state == search::TrialState::Complete) finished_params.insert(family_and_params(t));
  }
  for (const auto n : running_before) {
    const auto& t = after.at(static_cast<std::size_t>(n));
    EXPECT_EQ(t.state, search::TrialState::Fail) << n;
    ASSERT_TRUE(t.system_attrs.count("fail_reason") > 0) << n;
    EXPECT_NE(t.system_attrs.at("fail_reason").get<std::string>().find("ended before it finished"), std::string::npos);
  }
  // Nothing that had finished ran again, nothing is left RUNNING, and the search has its 12 trials.
  std::int64_t finished = 0;
  for (const auto& t : after) {
    EXPECT_NE(t.state, search::TrialState::Running) << t.number;
    if (search::is_finished(t.state)) ++finished;
    if (finished_before.count(t.number) == 0 && t.state == search::TrialState::Complete) {
      EXPECT_EQ(finished_params.count(family_and_params(t)), 0u) << "trial " << t.number << " repeats a finished trial";
    }
  }
  EXPECT_EQ(finished, 12);
  EXPECT_EQ(run["trials"]["this_process"].get<std::int64_t>(),
            12 - static_cast<std::int64_t>(finished_before.size() + running_before.size()));
  // The leaderboard holds every COMPLETE trial, old and new.
  std::size_t complete = 0;
  for (const auto& t : after) complete += t.state == search::TrialState::Complete;
  std::size_t trial_rows = 0;  // a kept ensemble adds a row with trial -1
  const json lb = read_json(run_dir / "leaderboard.json");
  for (const auto& c : lb["candidates"]) trial_rows += c["trial"].get<int>() >= 0 ? 1 : 0;
  EXPECT_EQ(trial_rows, complete);
}

// A worker joins a run's search through the same store and adds trials with new numbers; a later
// `run --resume` finalises with all of them; Python Optuna still loads the study.
TEST(EngineWorker, JoinsTheRunsSearch) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const std::string url = "sqlite:///" + (tmp.path / "store.db").string();
  const std::vector<std::string> base{"run", "--data", (data / "train.csv").string(), "--target", "species", "--cv", "3",
                                      "--models", "xgboost,linear", "--storage", url, "--search", "iris-a",
                                      "--jobs", "1", "--out", (tmp.path / "run").string()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  auto r = run_cli(with({"--max-trials", "4"}), "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto w = run_cli({"worker", "--storage", url, "--search", "iris-a", "--max-trials", "2"}, "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(w.code, 0) << w.err;
  EXPECT_NE(w.out.find("this worker ran 2 trials"), std::string::npos) << w.out;
  auto trials = trials_of(url, "iris-a");
  ASSERT_EQ(trials.size(), 6u);
  for (std::size_t i = 4; i < 6; ++i) {
    EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));
    EXPECT_EQ(trials[i].state, search::TrialState::Complete);
    EXPECT_EQ(trials[i].params.count("model"), 1u);
    EXPECT_EQ(trials[i].user_attrs.count("fold_scores"), 1u);
  }
  // Without --max-trials the worker fills the run's own --max-trials (4): nothing left to do.
  const auto idle = run_cli({"worker", "--storage", url, "--search", "iris-a"});
  EXPECT_EQ(idle.code, 0) << idle.err;
  EXPECT_NE(idle.out.find("this worker ran 0 trials"), std::string::npos) << idle.out;

  // The run finalises with every trial (none run by itself).
  r = run_cli(with({"--max-trials", "6", "--resume"}), "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(r.code, 0) << r.err;
  const json run = read_json(tmp.path / "run/run.json");
  EXPECT_EQ(run["trials"]["complete"], 6);
  EXPECT_EQ(run["trials"]["this_process"], 0);
  EXPECT_EQ(read_json(tmp.path / "run/leaderboard.json")["candidates"].size(), 6u);

  if (python_has_optuna()) {
    const std::string script =
        "import optuna, sys\n"
        "optuna.logging.set_verbosity(optuna.logging.ERROR)\n"
        "s = optuna.storages.RDBStorage(sys.argv[1], skip_compatibility_check=True)\n"
        "st = optuna.load_study(study_name='iris-a', storage=s)\n"
        "print(len(st.trials), sorted(t.number for t in st.trials) == list(range(6)), st.best_trial.number,\n"
        "      st.user_attrs['glasswing.settings']['target'])\n";
    const fs::path py = tmp.path / "load.py";
    std::ofstream(py) << script;
    const fs::path out = tmp.path / "optuna.txt";
    ASSERT_EQ(shell(kPython + " " + shell_quote(py.string()) + " " + shell_quote(url) + " >" + shell_quote(out.string())), 0);
    EXPECT_EQ(slurp(out), "6 True " + std::to_string(run["best"]["trial"].get<int>()) + " species\n");
  }
}

// The bad cases of `glasswing worker`, each one line on stderr with its exit code.
TEST(EngineWorker, BadCases) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const fs::path copy = tmp.path / "train-copy.csv";
  fs::copy_file(data / "train.csv", copy);
  const std::string url = "sqlite:///" + (tmp.path / "store.db").string();
  auto r = run_cli({"run", "--data", copy.string(), "--target", "species", "--cv", "3", "--models", "linear", "--max-trials",
                    "1", "--storage", url, "--search", "s", "--out", (tmp.path / "run").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  auto one_line = [](const glasswing::test::CliResult& res) { EXPECT_EQ(count_lines(res.err), 1u) << res.err; };

  // Unknown search: a usage error (the store is fine; the argument names nothing in it), as
  // `glasswing search show` does; it lists the searches there.
  auto w = run_cli({"worker", "--storage", url, "--search", "nosuch", "--max-trials", "1"});
  EXPECT_EQ(w.code, 2);
  EXPECT_NE(w.err.find("'nosuch' is not in"), std::string::npos) << w.err;
  EXPECT_NE(w.err.find("s"), std::string::npos);
  one_line(w);

  // A search that Glasswing did not make (no glasswing.settings).
  {
    auto storage = search::make_storage(url);
    search::Study::create(storage, "foreign", {search::StudyDirection::Minimize}, search::make_sampler("random"));
  }
  w = run_cli({"worker", "--storage", url, "--search", "foreign", "--max-trials", "1"});
  EXPECT_EQ(w.code, 3);
  EXPECT_NE(w.err.find("not a Glasswing run search"), std::string::npos) << w.err;
  one_line(w);

  // The data file changed since the run.
  {
    std::ofstream out(copy, std::ios::app);
    out << slurp(data / "train.csv").substr(slurp(data / "train.csv").find('\n') + 1, 40) << "\n";
  }
  w = run_cli({"worker", "--storage", url, "--search", "s", "--max-trials", "1"});
  EXPECT_EQ(w.code, 3);
  EXPECT_NE(w.err.find(copy.string()), std::string::npos) << w.err;
  EXPECT_NE(w.err.find("changed"), std::string::npos) << w.err;
  one_line(w);

  // The data file is gone.
  fs::remove(copy);
  w = run_cli({"worker", "--storage", url, "--search", "s", "--max-trials", "1"});
  EXPECT_EQ(w.code, 3);
  EXPECT_NE(w.err.find(copy.string()), std::string::npos) << w.err;
  EXPECT_NE(w.err.find("missing"), std::string::npos) << w.err;
  one_line(w);

  // Usage: missing --search, a bad --max-trials.
  w = run_cli({"worker", "--storage", url});
  EXPECT_EQ(w.code, 2);
  one_line(w);
  w = run_cli({"worker", "--storage", url, "--search", "s", "--max-trials", "0"});
  EXPECT_EQ(w.code, 2);
  one_line(w);
  // Nothing stored was lost: the run's baseline is still there, alone (a run enqueues no more
  // defaults than its --max-trials allows, so none is left WAITING).
  const auto kept = trials_of(url, "s");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].state, search::TrialState::Complete);
}

// --jobs 2: two trials at once (their times overlap), TPE with the constant liar, a valid result.
TEST(EngineParallel, JobsRunTrialsAtOnce) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const auto r = run_cli({"run", "--data", (data / "train.csv").string(), "--target", "species", "--cv", "3", "--models",
                          "xgboost,linear", "--max-trials", "8", "--jobs", "2", "--out", run_dir.string()},
                         "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(r.code, 0) << r.err;
  expect_run_directory(run_dir);
  const json run = read_json(run_dir / "run.json");
  EXPECT_EQ(run["search"]["sampler"], "tpe (constant liar)");
  EXPECT_EQ(run["search"]["parallel_trials"], 2);
  EXPECT_EQ(run["settings"]["threads_per_fit"].get<int>(),
            std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2));
  const auto trials = trials_of("sqlite:///" + (run_dir / "search.db").string(), "glasswing-run");
  ASSERT_EQ(trials.size(), 8u);
  bool overlap = false;
  for (std::size_t i = 1; i < trials.size(); ++i)
    for (std::size_t j = i + 1; j < trials.size(); ++j)
      if (*trials[i].datetime_start < *trials[j].datetime_complete && *trials[j].datetime_start < *trials[i].datetime_complete)
        overlap = true;
  EXPECT_TRUE(overlap) << "no two trials ran at the same time";
  for (const auto& t : trials) EXPECT_TRUE(search::is_finished(t.state)) << t.number;
}

// The XGBoost random forest family: one round of num_parallel_tree trees, learning rate 1, row
// and per-split column sampling below 1; its default is on the leaderboard and beats the baseline.
TEST(EngineFamilies, XGBoostRandomForest) {
  TempDir tmp;
  const fs::path data = split("auto-mpg", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const auto r = run_cli({"run", "--data", (data / "train.csv").string(), "--target", "Miles_per_Gallon", "--cv", "3",
                          "--models", "xgboost_rf", "--max-trials", "2", "--jobs", "1", "--out", run_dir.string()},
                         "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(r.code, 0) << r.err;
  const json lb = read_json(run_dir / "leaderboard.json");
  ASSERT_EQ(lb["candidates"].size(), 2u);
  const json& best = lb["candidates"][0];
  EXPECT_EQ(best["family"], "xgboost_rf");
  EXPECT_EQ(best["params"]["num_parallel_tree"], 100);  // the enqueued default
  EXPECT_LT(best["cv_mean"].get<double>(), 0.5 * lb["candidates"][1]["cv_mean"].get<double>());  // rmse: half the baseline's
  const json manifest = read_json(run_dir / "model/manifest.json");
  EXPECT_EQ(manifest["family"], "xgboost_rf");
  EXPECT_EQ(manifest["trainer"], "xgboost");
  // The saved booster is a forest: one round of num_parallel_tree trees.
  const json model = read_json(run_dir / "model/model.json");
  const json& gb = model["learner"]["gradient_booster"]["model"];
  EXPECT_EQ(gb["gbtree_model_param"]["num_parallel_tree"].get<std::string>(),
            std::to_string(best["params"]["num_parallel_tree"].get<int>()));
  EXPECT_EQ(gb["trees"].size(), best["params"]["num_parallel_tree"].get<std::size_t>());
}

// Pruning on intermediate values: every non-baseline trial reports the running mean CV score after
// each fold; once 8 trials are COMPLETE, Optuna's MedianPruner stops the ones below the median.
TEST(EnginePruning, MedianPrunerOnFoldMeans) {
  TempDir tmp;
  const fs::path data = split("iris", tmp.path);
  const fs::path run_dir = tmp.path / "run";
  const auto r = run_cli({"run", "--data", (data / "train.csv").string(), "--target", "species", "--cv", "3", "--models",
                          "linear", "--max-trials", "20", "--jobs", "1", "--seed", "1", "--out", run_dir.string()},
                         "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(r.code, 0) << r.err;
  const json run = read_json(run_dir / "run.json");
  EXPECT_EQ(run["search"]["pruner"]["name"], "median");
  const auto trials = trials_of("sqlite:///" + (run_dir / "search.db").string(), "glasswing-run");
  ASSERT_EQ(trials.size(), 20u);
  int pruned = 0;
  for (const auto& t : trials) {
    if (t.params.count("baseline") > 0) continue;
    ASSERT_FALSE(t.intermediate_values.empty()) << t.number;
    if (t.state == search::TrialState::Complete) {
      EXPECT_EQ(t.intermediate_values.size(), 3u);
      EXPECT_NEAR(t.intermediate_values.at(2), t.value(), 1e-12);  // the last report is the CV mean
    }
    if (t.state != search::TrialState::Pruned) continue;
    ++pruned;
    EXPECT_LT(t.intermediate_values.size(), 3u) << t.number;
    // Worse than the median of the COMPLETE trials that reported that step before it.
    const auto step = t.intermediate_values.rbegin()->first;
    std::vector<double> earlier;
    for (const auto& o : trials)
      if (o.number < t.number && o.state == search::TrialState::Complete && o.intermediate_values.count(step) > 0)
        earlier.push_back(o.intermediate_values.at(step));
    ASSERT_GE(earlier.size(), 1u);
    std::sort(earlier.begin(), earlier.end());
    const double median = earlier.size() % 2 == 1 ? earlier[earlier.size() / 2]
                                                   : (earlier[earlier.size() / 2 - 1] + earlier[earlier.size() / 2]) / 2;
    EXPECT_GT(t.intermediate_values.rbegin()->second, median) << t.number;  // log_loss: lower is better
    EXPECT_EQ(t.user_attrs.count("pruned_reason"), 1u);
  }
  EXPECT_GE(pruned, 1);
  EXPECT_EQ(run["trials"]["pruned"].get<int>(), pruned);
}
