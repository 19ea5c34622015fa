// Interoperability with real Python Optuna 3.1 (Debian's python3-optuna, /usr/bin/python3):
// Python opens what we write, we read and continue what Python writes, and both see the same
// studies, trials, params, distributions, values, intermediate values, attributes and times.
// Skipped when /usr/bin/python3 has no optuna module.
#include <cmath>
#include <iostream>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "automl/search/sqlite_storage.hpp"
#include "automl/search/study.hpp"
#include "heartbeat_scenario.hpp"
#include "search_test_util.hpp"

namespace glasswing::search {
namespace {

using testing::TempDir;

class SearchOptunaInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::python_optuna_available()) GTEST_SKIP() << "/usr/bin/python3 with optuna is not installed";
  }
  // Python's canonical dump of the file; fails the test when Python fails.
  nlohmann::json python_dump(const std::filesystem::path& db, bool skip_check = false) {
    int rc = 0;
    const auto out = testing::run_python(dir_, testing::kPythonDumpScript,
                                         "sqlite:///" + db.string() + (skip_check ? " skip" : ""), rc);
    EXPECT_EQ(rc, 0) << out;
    if (rc != 0) return {};
    return nlohmann::json::parse(out);
  }
  static nlohmann::json cpp_dump(const std::filesystem::path& db) {
    SqliteStorage s(db);
    return nlohmann::json::parse(testing::canonical_dump(s).dump());
  }
  TempDir dir_;
};

const Distribution kX = make_float_distribution(-10, 10);
const Distribution kLr = make_float_distribution(1e-5, 0.1, true);
const Distribution kQ = make_float_distribution(0, 1, false, 0.25);
const Distribution kN = make_int_distribution(0, 20, false, 5);
const Distribution kM = make_int_distribution(1, 1024, true);
const Distribution kC = make_categorical_distribution({"adam", "sgd", nullptr, true, 1.5, 7});

// Every kind of content Optuna can hold, written through the Storage API.
void populate(Storage& s) {
  const auto id = s.create_new_study({StudyDirection::Minimize}, "single");
  s.set_study_user_attr(id, "owner", "r\xc3\xa9search \xf0\x9f\x94\xac");
  s.set_study_user_attr(id, "nested", parse_python_json(R"({"a": [1, 2.5, null, true], "b": "x"})"));
  s.set_study_system_attr(id, "specials", parse_python_json("[NaN, Infinity, -Infinity, 1e-05, 1e+16]"));
  for (int i = 0; i < 3; ++i) {
    const auto t = s.create_new_trial(id);
    s.set_trial_param(t, "x", -9.5 + 3.3 * i, kX);
    s.set_trial_param(t, "lr", 1e-5 * std::pow(10.0, i), kLr);
    s.set_trial_param(t, "q", 0.25 * i, kQ);
    s.set_trial_param(t, "n", 5.0 * i, kN);
    s.set_trial_param(t, "m", std::pow(2.0, 3 * i), kM);
    s.set_trial_param(t, "c", static_cast<double>(i * 2), kC);
    s.set_trial_user_attr(t, "note", "trial " + std::to_string(i));
    s.set_trial_system_attr(t, "sys_t", parse_python_json(R"([1, "two"])"));
    for (int step = 0; step < 3; ++step) s.set_trial_intermediate_value(t, step, 10.0 - step - i);
    s.set_trial_state_values(t, TrialState::Complete, std::vector<double>{0.1 * i + 0.123456789});
  }
  {  // pruned with NaN/inf reports, value = last report
    const auto t = s.create_new_trial(id);
    s.set_trial_param(t, "x", 0.5, kX);
    s.set_trial_intermediate_value(t, 0, std::nan(""));
    s.set_trial_intermediate_value(t, 1, HUGE_VAL);
    s.set_trial_intermediate_value(t, 2, -HUGE_VAL);
    s.set_trial_intermediate_value(t, 3, 42.0);
    s.set_trial_state_values(t, TrialState::Pruned, std::vector<double>{42.0});
  }
  {  // failed, with the reason as a system attribute
    const auto t = s.create_new_trial(id);
    s.set_trial_param(t, "c", 3.0, kC);
    s.set_trial_system_attr(t, "fail_reason", "RuntimeError: deliberate failure");
    s.set_trial_state_values(t, TrialState::Fail);
  }
  {  // +inf objective
    const auto t = s.create_new_trial(id);
    s.set_trial_state_values(t, TrialState::Complete, std::vector<double>{HUGE_VAL});
  }
  {  // enqueued (WAITING) and one left RUNNING
    FrozenTrial w;
    w.state = TrialState::Waiting;
    w.system_attrs["fixed_params"] = parse_python_json(R"({"x": 1.5})");
    s.create_new_trial(id, &w);
    s.create_new_trial(id);
  }
  {  // a trial added from a template (Optuna's add_trial)
    FrozenTrial t;
    t.state = TrialState::Complete;
    t.values = std::vector<double>{3.25};
    t.datetime_start = parse_datetime("2026-11-28 06:09:51.350465");
    t.datetime_complete = t.datetime_start;
    t.params = {{"x", 2.0}, {"n", 10}};
    t.distributions = {{"x", kX}, {"n", kN}};
    t.intermediate_values = {{0, 9.0}, {1, 4.0}};
    s.create_new_trial(id, &t);
  }
  const auto mo = s.create_new_study({StudyDirection::Minimize, StudyDirection::Maximize}, "multi");
  for (int i = 0; i < 3; ++i) {
    const auto t = s.create_new_trial(mo);
    s.set_trial_param(t, "a", 0.3 * i, make_float_distribution(0, 1));
    s.set_trial_param(t, "b", 1.0 + i, make_int_distribution(1, 3));
    s.set_trial_state_values(t, TrialState::Complete, std::vector<double>{0.3 * i, 1.0 - 0.3 * i});
  }
}

TEST_F(SearchOptunaInterop, Python31ReadsWhatWeWriteInV30Mode) {
  const auto db = dir_ / "ours.db";
  {
    SqliteOptions o;
    o.revision = kOptunaRevision30;
    SqliteStorage s(db, o);
    populate(s);
  }
  const auto ours = cpp_dump(db);
  ASSERT_EQ(ours["studies"].size(), 2u);
  ASSERT_EQ(ours["studies"][0]["trials"].size(), 9u);
  const auto theirs = python_dump(db);
  EXPECT_EQ(theirs, ours) << "python: " << theirs.dump() << "\nours:   " << ours.dump();
}

TEST_F(SearchOptunaInterop, Python31OpensDefaultFilesOnlyWithSkipCompatibilityCheck) {
  const auto db = dir_ / "ours32.db";
  {
    SqliteStorage s(db);
    populate(s);
  }
  int rc = 0;
  const auto refused = testing::run_python(dir_, testing::kPythonDumpScript, "sqlite:///" + db.string(), rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(refused.find("pip install -U optuna"), std::string::npos) << refused;
  EXPECT_EQ(python_dump(db, /*skip_check=*/true), cpp_dump(db));
}

constexpr const char* kPythonWriter = R"PY(
import math, sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.trial import TrialState
optuna.logging.set_verbosity(optuna.logging.ERROR)
url = sys.argv[1]
study = optuna.create_study(study_name="py", storage=url, direction="maximize",
                            sampler=optuna.samplers.TPESampler(seed=3))
study.set_user_attr("dataset", {"path": "data.csv", "sha256": "ab" * 32})
study.set_system_attr("sys", [1, 2.5, None])
def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    q = trial.suggest_float("q", 0.0, 2.0, step=0.5)
    n = trial.suggest_int("n", 1, 9, step=2)
    m = trial.suggest_int("m", 1, 64, log=True)
    c = trial.suggest_categorical("c", ["a", None, False, 2, 0.5])
    trial.set_user_attr("u", trial.number)
    if trial.number == 1:
        raise RuntimeError("boom")
    for step in range(3):
        trial.report(x + step, step)
    if trial.number == 3:
        raise optuna.TrialPruned()
    return -x * x + math.log(lr) + q + n + m / 64
study.optimize(objective, n_trials=6, catch=(RuntimeError,))
t = study.ask()
t.report(float("nan"), 0)
t.report(float("-inf"), 1)
study.tell(t, state=TrialState.PRUNED)
study.enqueue_trial({"x": 1.0})
mo = optuna.create_study(study_name="py-mo", storage=url, directions=["maximize", "minimize"])
mo.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_int("b", 0, 3)), n_trials=3)
print("ok")
)PY";

constexpr const char* kPythonContinue = R"PY(
import sys, warnings
warnings.simplefilter("ignore")
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.load_study(study_name="py", storage=sys.argv[1],
                          sampler=optuna.samplers.TPESampler(seed=1, n_startup_trials=2))
def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    c = trial.suggest_categorical("c", ["a", None, False, 2, 0.5])
    return -x * x
study.optimize(objective, n_trials=3)
print(len(study.trials), study.best_trial.number)
)PY";

TEST_F(SearchOptunaInterop, WeReadAndContinueWhatPython31WritesAndPythonReadsItBack) {
  const auto db = dir_ / "py.db";
  int rc = 0;
  const auto out = testing::run_python(dir_, kPythonWriter, "sqlite:///" + db.string(), rc);
  ASSERT_EQ(rc, 0) << out;
  // 1. We read exactly what Python reads.
  const auto before = python_dump(db);
  EXPECT_EQ(cpp_dump(db), before);
  ASSERT_EQ(before["studies"][0]["trials"].size(), 8u);
  // 2. We continue the study with the same distributions.
  {
    SqliteStorage s(db);
    EXPECT_EQ(s.revision(), std::optional<std::string>("v3.0.0.d"));
    const auto id = s.get_study_id_from_name("py");
    const auto first = s.get_all_trials(id).front();
    const auto waiting = s.get_trial_id_from_study_id_trial_number(id, 7);
    ASSERT_TRUE(s.set_trial_state_values(waiting, TrialState::Running));
    s.set_trial_param(waiting, "x", 1.0, first.distributions.at("x"));
    s.set_trial_state_values(waiting, TrialState::Complete, std::vector<double>{-1.0});
    for (int i = 0; i < 2; ++i) {
      const auto t = s.create_new_trial(id);
      EXPECT_EQ(s.get_trial(t).number, 8 + i);
      for (const auto& [name, dist] : first.distributions) {
        s.set_trial_param(t, name, first.internal_param(name), dist);
      }
      s.set_trial_intermediate_value(t, 0, 0.5 * i);
      s.set_trial_user_attr(t, "from", "glasswing");
      s.set_trial_state_values(t, i == 0 ? TrialState::Complete : TrialState::Pruned, std::vector<double>{0.25 * i});
    }
    const auto t = s.create_new_trial(id);
    s.set_trial_system_attr(t, "fail_reason", "ValueError: from C++");
    s.set_trial_state_values(t, TrialState::Fail);
  }
  // 3. Python reads the continued study exactly as we do.
  const auto after = python_dump(db);
  EXPECT_EQ(cpp_dump(db), after);
  ASSERT_EQ(after["studies"][0]["trials"].size(), 11u);
  EXPECT_EQ(after["studies"][0]["trials"][9]["user_attrs"]["from"], "\"glasswing\"");
  // 4. Python keeps optimising it (TPE reads our trials), and we read its new trials.
  const auto more = testing::run_python(dir_, kPythonContinue, "sqlite:///" + db.string(), rc);
  ASSERT_EQ(rc, 0) << more;
  EXPECT_EQ(more.substr(0, 3), "14 ");
  SqliteStorage s(db);
  const auto trials = s.get_all_trials(s.get_study_id_from_name("py"));
  ASSERT_EQ(trials.size(), 14u);
  for (std::size_t i = 0; i < trials.size(); ++i) EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));
}

TEST_F(SearchOptunaInterop, SharedFixturesReadAsPythonReadsThem) {
  const auto sample = testing::copy_fixture("optuna-3.1-sample.db", dir_);
  const auto theirs = python_dump(sample);  // before we open it
  EXPECT_EQ(cpp_dump(sample), theirs);
  EXPECT_EQ(python_dump(sample), theirs);  // and Python still reads it after we did
  for (const char* name : {"optuna-4.9-fresh.db", "optuna-5.0dev-fresh.db"}) {
    const auto p = testing::copy_fixture(name, dir_);
    {
      SqliteStorage s(p);
      populate(s);
    }
    EXPECT_EQ(python_dump(p, /*skip_check=*/true), cpp_dump(p)) << name;
  }
}

TEST_F(SearchOptunaInterop, Python31ReadsAStudyOptimisedWithTpe) {
  const auto db = dir_ / "optimised.db";
  {
    SqliteOptions o;
    o.revision = kOptunaRevision30;
    auto study = Study::create(std::make_shared<SqliteStorage>(db, o), "tpe", {StudyDirection::Minimize},
                               make_sampler("tpe", Json{{"seed", 11}}));
    study.enqueue_trial({{"x", 0.25}, {"kind", "b"}});
    OptimizeOptions opt;
    opt.n_trials = 25;
    study.optimize(
        [](Trial& t) {
          const double x = t.suggest_float("x", -3, 3);
          const auto k = t.suggest_int("k", 1, 256, true);
          const auto kind = t.suggest_categorical("kind", {"a", "b", nullptr});
          t.report(x * x, 0);
          if (t.number() == 4) throw std::runtime_error("deliberate failure");
          if (t.number() == 6) throw TrialPruned();
          return x * x + static_cast<double>(k) / 256 + (kind == "a" ? 1.0 : 0.0);
        },
        opt);
  }
  const auto ours = cpp_dump(db);
  EXPECT_EQ(python_dump(db), ours);
  const auto& trials = ours["studies"][0]["trials"];
  ASSERT_EQ(trials.size(), 25u);
  EXPECT_EQ(trials[0]["params"]["x"], "0.25");
  EXPECT_EQ(trials[4]["state"], "FAIL");
  EXPECT_EQ(trials[4]["system_attrs"]["fail_reason"], "\"deliberate failure\"");
  EXPECT_EQ(trials[6]["state"], "PRUNED");
}

TEST_F(SearchOptunaInterop, PythonAndGlasswingProcessesShareOneStudy) {
  // A Python Optuna process and this process add trials to one study at the same time: we keep
  // adding trials until Python has finished its 30, so the two writers overlap.
  const auto db = dir_ / "shared.db";
  SqliteOptions o;
  o.revision = kOptunaRevision30;
  auto storage = std::make_shared<SqliteStorage>(db, o);
  auto study = Study::create(storage, "mix", {StudyDirection::Minimize}, make_sampler("random", Json{{"seed", 1}}));
  int rc = -1;
  std::string py_out;
  CancelToken python_done;
  std::thread python([&] {
    py_out = testing::run_python(dir_, R"PY(
import sys, warnings
warnings.simplefilter("ignore")
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
st = optuna.load_study(study_name="mix", storage=sys.argv[1], sampler=optuna.samplers.RandomSampler(seed=0))
st.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=30)
print("done")
)PY", "sqlite:///" + db.string(), rc);
    python_done.cancel();
  });
  OptimizeOptions opt;
  opt.cancel = &python_done;
  const auto report = study.optimize(
      [](Trial& t) {
        t.set_user_attr("by", "glasswing");
        std::this_thread::sleep_for(std::chrono::milliseconds(40));  // keeps the history small
        return t.suggest_float("x", 0, 1);
      },
      opt);
  python.join();
  ASSERT_EQ(rc, 0) << py_out;
  const auto trials = study.trials();
  ASSERT_EQ(static_cast<std::int64_t>(trials.size()), report.n_trials + 30);
  std::set<std::int64_t> numbers;
  std::int64_t first_python = -1, last_python = -1, last_ours = -1;
  for (const auto& t : trials) {
    numbers.insert(t.number);
    EXPECT_EQ(t.state, TrialState::Complete);
    if (t.user_attrs.count("by")) {
      last_ours = t.number;
    } else {
      if (first_python < 0) first_python = t.number;
      last_python = t.number;
    }
  }
  EXPECT_EQ(numbers.size(), trials.size());
  EXPECT_EQ(*numbers.rbegin(), static_cast<std::int64_t>(trials.size()) - 1);
  EXPECT_LT(first_python, last_ours) << "the writers did not overlap";
  EXPECT_LE(last_python, last_ours);
  EXPECT_EQ(python_dump(db), cpp_dump(db));
  std::cout << "[ info ] " << report.n_trials << " Glasswing trials interleaved with 30 Python trials\n";
}

TEST_F(SearchOptunaInterop, FloatReprAndGridAdjustmentMatchPython) {
  // Doubles from random bit patterns plus edge cases, written by Python's json.dumps and by us.
  std::mt19937_64 rng(2024);
  Json values = Json::array({0.1, 1e-05, 1e15, 1e16, 123456789012345678.0, 5e-324, 1.7976931348623157e308, -0.0});
  for (int i = 0; i < 3000; ++i) {
    std::uint64_t bits = rng();
    double v = 0;
    std::memcpy(&v, &bits, sizeof v);
    if (std::isfinite(v)) values.push_back(v);
    values.push_back(static_cast<double>(static_cast<std::int64_t>(bits % 2000001) - 1000000) / 1000.0);
  }
  std::string hex;
  for (const auto& v : values) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%a\n", v.get<double>());
    hex += buf;
  }
  std::ofstream(dir_ / "floats.txt") << hex;
  // Grid adjustment of high (Python uses decimal arithmetic).
  const double grids[][3] = {{0, 1, 0.3}, {0.1, 1.05, 0.2}, {-1.5, 2.2, 0.7}, {1e-3, 1, 0.003}, {0, 10, 0.1},
                             {0.5, 0.95, 0.15}, {-10, 10, 3.3}, {0, 1, 0.25}};
  Json ours = Json::object();
  ours["floats"] = dump_python_json(values);
  ours["grids"] = Json::array();
  std::string grid_args;
  for (const auto& g : grids) {
    ours["grids"].push_back(distribution_to_json(make_float_distribution(g[0], g[1], false, g[2])));
    grid_args += python_float_repr(g[0]) + "," + python_float_repr(g[1]) + "," + python_float_repr(g[2]) + " ";
  }
  int rc = 0;
  const auto out = testing::run_python(dir_, R"PY(
import json, sys, warnings
warnings.simplefilter("ignore")
from optuna.distributions import FloatDistribution, distribution_to_json
floats = [float.fromhex(l) for l in open(sys.argv[1]).read().split()]
grids = [distribution_to_json(FloatDistribution(*map(float, a.split(",")[:2]), step=float(a.split(",")[2])))
         for a in sys.argv[2:]]
print(json.dumps({"floats": json.dumps(floats), "grids": grids}))
)PY", (dir_ / "floats.txt").string() + " " + grid_args, rc);
  ASSERT_EQ(rc, 0) << out;
  const auto theirs = Json::parse(out);
  EXPECT_EQ(theirs["floats"], ours["floats"]);
  EXPECT_EQ(theirs["grids"], ours["grids"]);
}

// Heartbeats both ways on SQLite: Python Optuna 3.1's fail_stale_trials fails our stale trial
// (both use SQLite's CURRENT_TIMESTAMP), and ours fails a trial whose heartbeat Python recorded.
TEST_F(SearchOptunaInterop, HeartbeatsAreUnderstoodBothWays) {
  const auto db = dir_ / "hb.db";
  SqliteOptions o;
  o.revision = kOptunaRevision30;
  SqliteStorage s(db, o);
  const auto ours = s.create_new_study({StudyDirection::Minimize}, "hb-ours");
  const auto t = s.create_new_trial(ours);
  s.record_heartbeat(t);
  const auto fresh = s.create_new_trial(ours);
  int rc = 0;
  const auto out = testing::run_python(dir_, contract::kPythonHeartbeatScript, "sqlite:///" + db.string(), rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "FAIL,RUNNING\n");
  EXPECT_EQ(s.get_trial(t).state, TrialState::Fail);
  EXPECT_EQ(s.get_trial(fresh).state, TrialState::Running);
  const auto failed = s.fail_stale_trials(s.get_study_id_from_name("hb-py"), std::chrono::seconds(1));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(s.get_trial(failed[0]).state, TrialState::Fail);
}

}  // namespace
}  // namespace glasswing::search
