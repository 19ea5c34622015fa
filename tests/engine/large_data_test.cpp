// Large data within the time budget: the search on a row sample (RunSettings::search_rows_max),
// the refit's deadline, and the trainers' deadline inside fit (search: the fit stops and the trial
// fails; refit: `soft_cancel` keeps the rounds/epochs done, the model is never empty).

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/common/cancel.hpp"
#include "automl/engine/run.hpp"
#include "backend/registry.hpp"
#include "backend/trainer.hpp"
#include "tests/engine/engine_support.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using glasswing::test::kPython;
using glasswing::test::kShared;
using glasswing::test::read_json;
using glasswing::test::shell;
using glasswing::test::shell_quote;
using glasswing::test::TempDir;

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// rows x cols of standard normals and a noisy linear target.
struct Synthetic {
  std::vector<float> x, y;
  std::size_t rows = 0, cols = 0;
  glasswing::backend::DataView view() const { return {{x.data(), rows, cols}, y, {}}; }
};
Synthetic synthetic(std::size_t rows, std::size_t cols) {
  Synthetic s;
  s.rows = rows;
  s.cols = cols;
  std::mt19937 rng(1);
  std::normal_distribution<float> n;
  s.x.resize(rows * cols);
  for (auto& v : s.x) v = n(rng);
  for (std::size_t r = 0; r < rows; ++r) {
    float t = 0;
    for (std::size_t c = 0; c < cols; ++c) t += s.x[r * cols + c] * static_cast<float>(c % 3);
    s.y.push_back(t + 0.1f * n(rng));
  }
  return s;
}

struct DeadlineCase {
  std::string trainer;
  glasswing::backend::Params params;  // enough work for minutes
};

void PrintTo(const DeadlineCase& c, std::ostream* os) { *os << c.trainer; }

class FitDeadline : public ::testing::TestWithParam<DeadlineCase> {};

// A deadline 0.4 s ahead: the search's fit (options.cancel) returns one batch or round after it,
// Cancelled; the refit's fit (options.soft_cancel) too, with a usable model of the rounds done.
TEST_P(FitDeadline, ReturnsPromptlyAfterTheDeadline) {
  namespace be = glasswing::backend;
  // The search's fits stop within a batch/round; the refit's once a round/epoch is done, so it
  // gets data where one round/epoch is short (a loaded 2-core machine).
  const Synthetic big = synthetic(60000, 20), small = synthetic(4000, 20);
  for (const bool soft : {false, true}) {
    const Synthetic& data = soft ? small : big;
    auto trainer = be::make_trainer(GetParam().trainer, GetParam().params);
    glasswing::CancelToken token;
    const auto deadline = Clock::now() + std::chrono::milliseconds(400);
    token.set_deadline(deadline);
    be::FitOptions o;
    o.task = be::Task::Regression;
    o.device = be::DeviceContext{be::DeviceKind::Cpu, 2};
    (soft ? o.soft_cancel : o.cancel) = &token;
    const be::FitReport report = trainer->fit(data.view(), nullptr, o);
    const double late = seconds(deadline, Clock::now());
    EXPECT_EQ(report.stop, be::StopReason::Cancelled) << (soft ? "soft" : "cancel");
    // One batch / round late at most: well under a second unloaded; 2 s on a loaded 2-core VM.
    EXPECT_LT(late, 2.0) << (soft ? "soft" : "cancel");
    if (soft) {
      ASSERT_TRUE(trainer->fitted());
      EXPECT_GE(report.rounds, 1);
      const be::Prediction pred = trainer->predict({data.x.data(), 100, data.cols});
      for (const float v : pred.values) EXPECT_TRUE(std::isfinite(v));
    }
  }
  // A soft deadline already passed still trains one round/epoch: a refit is never empty.
  auto trainer = be::make_trainer(GetParam().trainer, GetParam().params);
  glasswing::CancelToken passed;
  passed.set_deadline(Clock::now());
  be::FitOptions o;
  o.task = be::Task::Regression;
  o.device = be::DeviceContext{be::DeviceKind::Cpu, 2};
  o.soft_cancel = &passed;
  const auto t0 = Clock::now();
  const be::FitReport one = trainer->fit(small.view(), nullptr, o);
  EXPECT_EQ(one.stop, be::StopReason::Cancelled);
  EXPECT_EQ(one.rounds, 1);
  EXPECT_TRUE(trainer->fitted());
  EXPECT_LT(seconds(t0, Clock::now()), 5.0);
}

std::vector<DeadlineCase> deadline_cases() {
  std::vector<DeadlineCase> cases;
  for (const auto& name : glasswing::backend::trainer_names()) {
    if (name == "xgboost") cases.push_back({name, {{"n_estimators", 100000}, {"max_depth", 8}}});
    if (name == "linear") cases.push_back({name, {{"max_epochs", 100000}}});
    if (name == "mlp") cases.push_back({name, {{"max_epochs", 100000}}});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Trainers, FitDeadline, ::testing::ValuesIn(deadline_cases()),
                         [](const auto& test_info) { return test_info.param.trainer; });

fs::path split_csv(const fs::path& csv, const std::string& target, const fs::path& out) {
  const std::string cmd = kPython + " " + shell_quote((kShared / "tools/split.py").string()) + " " + shell_quote(csv.string()) +
                          " --target " + target + " --seed 0 --out-dir " + shell_quote(out.string()) + " >/dev/null";
  EXPECT_EQ(shell(cmd), 0) << cmd;
  return out;
}

}  // namespace

// A 15k-row table with the sampling threshold lowered to 5k: the search's folds cover a 5k sample,
// the run ends within budget x 1.1 + 1 s with every artifact, and run.json records the sample.
TEST(LargeData, SearchOnARowSampleWithinTheBudget) {
  TempDir tmp;
  const fs::path d = split_csv(kShared / "datasets/flights-20k.csv", "delay", tmp.path / "d");
  glasswing::engine::RunSettings s;
  s.data = d / "train.csv";
  s.test = d / "test.csv";
  s.target = "delay";
  s.models = {"xgboost", "linear"};
  s.time_budget_s = 12;
  s.search_rows_max = 5000;
  s.out = tmp.path / "run";
  const auto t0 = Clock::now();
  const glasswing::engine::RunResult r = glasswing::engine::run(s);
  const double wall = seconds(t0, Clock::now());
  EXPECT_LE(wall, *s.time_budget_s * 1.1 + 1.0);
  EXPECT_EQ(r.search_rows, 5000u);
  for (const char* f : {"model/manifest.json", "leaderboard.csv", "leaderboard.json", "run.json", "search.db",
                        "predictions/test.csv", "oof/folds.csv"})
    EXPECT_TRUE(fs::exists(s.out / f)) << f;
  const json run = read_json(s.out / "run.json");
  EXPECT_EQ(run["rows"]["train"].get<std::size_t>(), 15000u);
  EXPECT_EQ(run["rows"]["search_rows"].get<std::size_t>(), 5000u);
  EXPECT_EQ(run["rows"]["train_rows"].get<std::size_t>(), r.train_rows);
  EXPECT_EQ(run["settings"]["search_rows_max"].get<std::size_t>(), 5000u);
  EXPECT_TRUE(run["test_score"].is_number());
  EXPECT_GE(run["trials"]["complete"].get<int>(), 2);
  // The folds cover the 5000 sampled rows only.
  std::ifstream folds(s.out / "oof/folds.csv");
  std::string line;
  std::size_t n = 0;
  while (std::getline(folds, line)) ++n;
  EXPECT_EQ(n, 5001u);  // header + rows
  // The refit used every row, or the largest sample that fit, said in an Issue.
  const json manifest = read_json(s.out / "model/manifest.json");
  EXPECT_EQ(manifest["training_rows"].get<std::size_t>(), r.train_rows);
  if (r.train_rows < 15000u) {
    bool said = false;
    for (const auto& i : run["issues"]) said = said || i["message"].get<std::string>().find("refit on a seeded") != std::string::npos;
    EXPECT_TRUE(said) << run["issues"].dump();
  }
  GTEST_LOG_(INFO) << "wall " << wall << " s; train_rows " << r.train_rows << "; timings " << run["timings_s"].dump();
}

// Classification: the sample is stratified (each class's share kept to one row), the search's
// folds cover it, and without a budget the refit uses every row.
TEST(LargeData, StratifiedSampleAndFullRefitWithoutBudget) {
  TempDir tmp;
  glasswing::engine::RunSettings s;
  s.data = kShared / "datasets/telco-churn.csv";
  s.target = "churn";
  s.models = {"linear"};
  s.max_trials = 2;
  s.cv = 3;
  s.search_rows_max = 2000;
  s.out = tmp.path / "run";
  const glasswing::engine::RunResult r = glasswing::engine::run(s);
  EXPECT_EQ(r.search_rows, 2000u);
  EXPECT_EQ(r.train_rows, 7043u);
  const json run = read_json(s.out / "run.json");
  EXPECT_EQ(run["rows"]["search_rows"].get<std::size_t>(), 2000u);
  EXPECT_EQ(run["rows"]["train_rows"].get<std::size_t>(), 7043u);
  // Class shares of the sampled rows (folds.csv) against the whole file, by pandas.
  const fs::path out = tmp.path / "shares.json";
  const std::string py =
      "import json,sys,pandas as pd\n"
      "d=pd.read_csv(sys.argv[1],keep_default_na=False); f=pd.read_csv(sys.argv[2])\n"
      "s=d['churn'].iloc[f['row']]\n"
      "json.dump({'rows':len(f),'unique':int(f['row'].nunique()),'yes':int((s=='Yes').sum()),"
      "'all_yes':int((d['churn']=='Yes').sum()),'all':len(d)},open(sys.argv[3],'w'))\n";
  {
    std::ofstream script(tmp.path / "shares.py");
    script << py;
  }
  ASSERT_EQ(shell(kPython + " " + shell_quote((tmp.path / "shares.py").string()) + " " + shell_quote(s.data.string()) + " " +
                  shell_quote((s.out / "oof/folds.csv").string()) + " " + shell_quote(out.string())),
            0);
  const json shares = read_json(out);
  EXPECT_EQ(shares["rows"].get<int>(), 2000);
  EXPECT_EQ(shares["unique"].get<int>(), 2000);
  const double expected = 2000.0 * shares["all_yes"].get<double>() / shares["all"].get<double>();
  EXPECT_LE(std::abs(shares["yes"].get<double>() - expected), 1.0) << shares.dump();
  // The sample size is stored with the search, so a worker cross-validates on the same folds.
  {
    const fs::path attr = tmp.path / "settings.json";
    ASSERT_EQ(shell(kPython + " -c \"import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                              "open(sys.argv[2],'w').write(c.execute(\\\"select value_json from study_user_attributes where "
                              "key='glasswing.settings'\\\").fetchone()[0])\" " +
                    shell_quote((s.out / "search.db").string()) + " " + shell_quote(attr.string())),
              0);
    EXPECT_EQ(read_json(attr)["search_rows"].get<std::size_t>(), 2000u);
    glasswing::engine::WorkerSettings w;
    w.storage = "sqlite:///" + fs::absolute(s.out / "search.db").string();
    w.search_name = "glasswing-run";
    w.max_trials = 1;
    const glasswing::engine::WorkerResult wr = glasswing::engine::join_search(w);
    EXPECT_EQ(wr.trials_run, 1);
  }
  // Same settings, same sample (seeded): the leaderboard repeats.
  glasswing::engine::RunSettings again = s;
  again.out = tmp.path / "run2";
  (void)glasswing::engine::run(again);
  EXPECT_EQ(read_json(s.out / "leaderboard.json")["candidates"][0]["cv_mean"],
            read_json(again.out / "leaderboard.json")["candidates"][0]["cv_mean"]);
}
