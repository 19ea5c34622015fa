// Pruners against real Python Optuna 3.1 (/usr/bin/python3): the same sequences of intermediate
// values (NaN and +-inf included, steps skipped, trials of different lengths) replayed through
// Optuna's pruners and ours give the same decision at every should_prune() call, for every
// pruner and both directions; and a SQLite study we pruned with SuccessiveHalving / Hyperband is
// continued by Python Optuna with the same pruner exactly as we continue it ourselves (same
// decisions, same completed_rung_<k> system attributes as Python reads them). The SQLite files
// live in /dev/shm when there is one (Python's SQLite commits are slow on a busy disk).
// Skipped when /usr/bin/python3 has no optuna module.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include <gtest/gtest.h>

#include "automl/search/in_memory_storage.hpp"
#include "automl/search/pruner.hpp"
#include "automl/search/sqlite_storage.hpp"
#include "automl/search/study.hpp"
#include "search_test_util.hpp"

namespace glasswing::search {
namespace {

using testing::TempDir;

// argv: a JSON file with a list of replay specs [, testing::kPythonDumpScript's file, URL];
// prints the list of decision lists per spec [, then on a second line the URL's canonical dump].
constexpr const char* kPythonReplay = R"PY(
import json, sys, warnings
warnings.simplefilter("ignore")
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
P = {"none": optuna.pruners.NopPruner, "median": optuna.pruners.MedianPruner,
     "percentile": optuna.pruners.PercentilePruner,
     "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
     "hyperband": optuna.pruners.HyperbandPruner}
out = []
for spec in json.load(open(sys.argv[1])):
    pruner = P[spec["pruner"]](**spec["options"])
    if spec["storage"] is None:
        study = optuna.create_study(study_name=spec["study_name"], direction=spec["direction"], pruner=pruner)
    else:
        # RDBStorage used directly: Optuna 3.1's _CachedStorage (what a URL gets) hands the pruner
        # its own cached object for the running trial, whose dict set_trial_system_attr replaces,
        # so SuccessiveHalving counts the trial's own rung value twice; Optuna >= 3.2 re-reads
        # unfinished trials and does not. Without the cache 3.1 behaves as later versions.
        rdb = optuna.storages.RDBStorage(spec["storage"])
        study = optuna.load_study(study_name=spec["study_name"], storage=rdb, pruner=pruner)
        study._storage = rdb
    decisions = []
    for t in spec["trials"]:
        trial = study.ask()
        d = []
        for step, v in zip(t["steps"], t["values"]):
            trial.report(v, step)
            d.append(1 if trial.should_prune() else 0)
            if d[-1]:
                break
        if d and d[-1]:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, t["final"])
        decisions.append(d)
    out.append(decisions)
print(json.dumps(out))
if len(sys.argv) > 3:  # then the canonical dump of a store (one interpreter start fewer)
    dump_script, sys.argv = sys.argv[2], [sys.argv[0], sys.argv[3]]
    exec(open(dump_script).read())
)PY";

struct ReplayTrial {
  std::vector<std::int64_t> steps;
  std::vector<double> values;
  double final_value = 0;
};

// Learning-curve-like reports: a per-trial quality plus a decaying term and noise, rounded to
// two decimals (so ties occur); some trials report every other step or stop early; `specials`
// adds NaN, inf and -inf reports.
std::vector<ReplayTrial> make_trials(int n, int max_steps, std::uint64_t seed, bool specials) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<ReplayTrial> out;
  for (int i = 0; i < n; ++i) {
    ReplayTrial t;
    const double q = u(rng) * 10;
    const int stride = u(rng) < 0.2 ? 2 : 1;
    const int len = u(rng) < 0.7 ? max_steps : 1 + static_cast<int>(u(rng) * max_steps);
    for (int step = 0; step < len; step += stride) {
      double v = std::round((q + 5.0 / (step + 1) + (u(rng) - 0.5) * 0.6) * 100) / 100;
      if (specials) {
        const double r = u(rng);
        if (r < 0.03) v = std::nan("");
        else if (r < 0.04) v = HUGE_VAL;
        else if (r < 0.05) v = -HUGE_VAL;
      }
      t.steps.push_back(step);
      t.values.push_back(v);
    }
    t.final_value = std::round(q * 100) / 100;
    out.push_back(std::move(t));
  }
  return out;
}

Json spec_json(const std::string& pruner, const Json& options, StudyDirection dir, const std::string& study_name,
               const std::optional<std::string>& storage_url, const std::vector<ReplayTrial>& trials) {
  Json spec = Json::object();
  spec["pruner"] = pruner;
  spec["options"] = options;
  spec["direction"] = dir == StudyDirection::Maximize ? "maximize" : "minimize";
  spec["study_name"] = study_name;
  spec["storage"] = storage_url ? Json(*storage_url) : Json(nullptr);
  Json ts = Json::array();
  for (const auto& t : trials) {
    Json j = Json::object();
    j["steps"] = t.steps;
    j["values"] = t.values;
    j["final"] = t.final_value;
    ts.push_back(j);
  }
  spec["trials"] = ts;
  return spec;
}

std::vector<std::vector<int>> replay_cpp(Study& study, const std::vector<ReplayTrial>& trials) {
  std::vector<std::vector<int>> out;
  for (const auto& rt : trials) {
    auto trial = study.ask();
    std::vector<int> d;
    for (std::size_t i = 0; i < rt.steps.size(); ++i) {
      trial.report(rt.values[i], rt.steps[i]);
      d.push_back(trial.should_prune() ? 1 : 0);
      if (d.back()) break;
    }
    if (!d.empty() && d.back()) study.tell(trial, TrialState::Pruned);
    else study.tell(trial, rt.final_value);
    out.push_back(d);
  }
  return out;
}

class SearchPrunerInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::python_optuna_available()) GTEST_SKIP() << "/usr/bin/python3 with optuna is not installed";
  }
  // Runs the replay specs through Python; one decision list per trial per spec. With a URL,
  // `dump` receives Python's canonical dump of that store after the replay.
  std::vector<std::vector<std::vector<int>>> python_replay(const Json& specs, const std::string& dump_url = {},
                                                           nlohmann::json* dump = nullptr) {
    const auto file = dir_ / ("specs" + std::to_string(n_++) + ".json");
    std::ofstream(file) << dump_python_json(specs);
    std::string args = file.string();
    if (!dump_url.empty()) {
      const auto dump_script = dir_ / "dump.py";
      std::ofstream(dump_script) << testing::kPythonDumpScript;
      args += " " + dump_script.string() + " " + dump_url;
    }
    int rc = 0;
    const auto out = testing::run_python(dir_, kPythonReplay, args, rc);
    EXPECT_EQ(rc, 0) << out;
    if (rc != 0) return {};
    const auto eol = out.find('\n');
    if (dump) *dump = nlohmann::json::parse(out.substr(eol + 1));
    return nlohmann::json::parse(out.substr(0, eol)).get<std::vector<std::vector<std::vector<int>>>>();
  }
  TempDir dir_;
  int n_ = 0;
};

struct Scenario {
  const char* pruner;
  const char* options;
  StudyDirection dir;
  int n_trials;
  int max_steps;
};

TEST_F(SearchPrunerInterop, SameDecisionsAsOptuna31AtEveryStep) {
  const std::vector<Scenario> scenarios{
      {"none", "{}", StudyDirection::Minimize, 10, 10},
      {"median", "{}", StudyDirection::Minimize, 25, 12},
      {"median", R"({"n_startup_trials": 3, "n_warmup_steps": 2, "interval_steps": 3, "n_min_trials": 2})",
       StudyDirection::Maximize, 25, 12},
      {"percentile", R"({"percentile": 25.0, "n_startup_trials": 2})", StudyDirection::Minimize, 25, 12},
      {"percentile", R"({"percentile": 80})", StudyDirection::Maximize, 25, 12},
      {"successive_halving", "{}", StudyDirection::Minimize, 30, 16},
      {"successive_halving",
       R"({"min_resource": 2, "reduction_factor": 3, "min_early_stopping_rate": 1, "bootstrap_count": 2})",
       StudyDirection::Maximize, 30, 16},
      {"successive_halving", R"({"min_resource": 1, "reduction_factor": 2})", StudyDirection::Maximize, 30, 12},
      {"hyperband", "{}", StudyDirection::Minimize, 40, 16},
      {"hyperband", R"({"min_resource": 1, "max_resource": 27, "reduction_factor": 3})", StudyDirection::Maximize, 40, 27},
      {"hyperband", R"({"min_resource": 2, "max_resource": 30, "reduction_factor": 2, "bootstrap_count": 1})",
       StudyDirection::Minimize, 40, 16},
  };
  Json specs = Json::array();
  std::vector<std::vector<std::vector<int>>> ours;
  for (std::size_t k = 0; k < scenarios.size(); ++k) {
    const auto& sc = scenarios[k];
    const auto trials = make_trials(sc.n_trials, sc.max_steps, 1000 + k, /*specials=*/k % 2 == 1);
    const std::string name = "replay-" + std::to_string(k);
    specs.push_back(spec_json(sc.pruner, Json::parse(sc.options), sc.dir, name, std::nullopt, trials));
    auto study = Study::create(std::make_shared<InMemoryStorage>(), name, {sc.dir}, make_sampler("random"),
                               make_pruner(sc.pruner, Json::parse(sc.options)));
    ours.push_back(replay_cpp(study, trials));
  }
  const auto theirs = python_replay(specs);
  ASSERT_EQ(theirs.size(), scenarios.size());
  for (std::size_t k = 0; k < scenarios.size(); ++k) {
    const auto& sc = scenarios[k];
    int pruned = 0, calls = 0;
    for (const auto& d : ours[k]) {
      calls += static_cast<int>(d.size());
      pruned += !d.empty() && d.back();
    }
    EXPECT_EQ(ours[k], theirs[k]) << sc.pruner << " " << sc.options << "\nours:   " << Json(ours[k]).dump()
                                  << "\ntheirs: " << Json(theirs[k]).dump();
    // Non-trivial: pruners other than none prune some trials and keep others.
    if (std::string(sc.pruner) != "none") {
      EXPECT_GT(pruned, 0) << sc.pruner << " " << sc.options;
      EXPECT_LT(pruned, sc.n_trials) << sc.pruner << " " << sc.options;
    } else {
      EXPECT_EQ(pruned, 0);
    }
    EXPECT_GT(calls, sc.n_trials);
  }
}

// A folder on tmpfs (/dev/shm) when there is one, else under the test's temp folder.
class FastDir {
 public:
  explicit FastDir(const std::filesystem::path& fallback) {
    std::error_code ec;
    const std::filesystem::path shm = "/dev/shm";
    path_ = (std::filesystem::is_directory(shm, ec) && ::access(shm.c_str(), W_OK) == 0 ? shm : fallback) /
            ("gw-pruner-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~FastDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

TEST_F(SearchPrunerInterop, Python31ContinuesOurPrunedStudyAsWeDo) {
  const FastDir fast(dir_.path());
  const auto db = fast / "pruned.db";
  struct Part {
    std::string study, pruner, options;
    StudyDirection dir;
  };
  constexpr int kPartA = 10, kPartB = 6;
  const std::vector<Part> parts{
      {"sh", "successive_halving", R"({"min_resource": 1, "reduction_factor": 2})", StudyDirection::Minimize},
      {"hb", "hyperband", R"({"min_resource": 1, "max_resource": 8, "reduction_factor": 2})", StudyDirection::Maximize},
  };
  {
    SqliteOptions o;
    o.revision = kOptunaRevision30;  // opened by Optuna 3.1 as it is
    auto storage = std::make_shared<SqliteStorage>(db, o);
    for (std::size_t k = 0; k < parts.size(); ++k) {
      auto study = Study::create(storage, parts[k].study, {parts[k].dir}, make_sampler("random"),
                                 make_pruner(parts[k].pruner, Json::parse(parts[k].options)));
      replay_cpp(study, make_trials(kPartA, 8, 7 + k, false));
    }
  }
  const auto py_db = fast / "continued-by-python.db";
  const auto cpp_db = fast / "continued-by-us.db";
  std::filesystem::copy_file(db, py_db);
  std::filesystem::copy_file(db, cpp_db);

  // Part B: the same reports, continued by Python on one copy and by us on the other, each
  // with a fresh pruner object (as a new process would have).
  Json specs = Json::array();
  std::vector<std::vector<std::vector<int>>> ours;
  auto storage = std::make_shared<SqliteStorage>(cpp_db);
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const auto more = make_trials(kPartB, 8, 70 + k, false);
    specs.push_back(spec_json(parts[k].pruner, Json::parse(parts[k].options), parts[k].dir, parts[k].study,
                              "sqlite:///" + py_db.string(), more));
    auto study = Study::load(storage, parts[k].study, make_sampler("random"),
                             make_pruner(parts[k].pruner, Json::parse(parts[k].options)));
    ours.push_back(replay_cpp(study, more));
  }
  nlohmann::json python_dump;
  const auto theirs = python_replay(specs, "sqlite:///" + py_db.string(), &python_dump);
  ASSERT_EQ(theirs.size(), parts.size());
  for (std::size_t k = 0; k < parts.size(); ++k) {
    EXPECT_EQ(ours[k], theirs[k]) << parts[k].study << "\nours:   " << Json(ours[k]).dump()
                                  << "\ntheirs: " << Json(theirs[k]).dump();
  }

  // Python's reading of the file it continued equals our reading of the file we continued (times
  // aside; the other interop tests show that Python reads what we write as we do): states,
  // values, reports and the rung attributes, written as floats by both.
  auto without_times = [](nlohmann::json j) {
    for (auto& s : j["studies"]) {
      for (auto& t : s["trials"]) {
        t.erase("datetime_start");
        t.erase("datetime_complete");
      }
    }
    return j;
  };
  const auto by_python = without_times(python_dump);
  nlohmann::json by_us;
  {
    SqliteStorage s(cpp_db);
    by_us = without_times(nlohmann::json::parse(testing::canonical_dump(s).dump()));
  }
  EXPECT_EQ(by_python, by_us);
  int rungs_beyond_0 = 0, pruned = 0;
  for (const auto& s : by_us["studies"]) {
    ASSERT_EQ(s["trials"].size(), static_cast<std::size_t>(kPartA + kPartB));
    for (const auto& t : s["trials"]) {
      if (t["system_attrs"].contains("completed_rung_1")) ++rungs_beyond_0;
      if (t["state"] == "PRUNED") ++pruned;
      for (const auto& [k, v] : t["system_attrs"].items()) {
        EXPECT_EQ(k.rfind("completed_rung_", 0), 0u) << k;
        EXPECT_NE(v.get<std::string>().find('.'), std::string::npos) << k << " = " << v;  // a float
      }
    }
  }
  EXPECT_GT(rungs_beyond_0, 3);
  EXPECT_GT(pruned, 5);
}

}  // namespace
}  // namespace glasswing::search
