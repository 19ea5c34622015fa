// Feature-step choices in the search (issue 5: "which steps apply is part of the search where it
// matters"): the "<family>.features.<step>" params are stored with each trial (Python Optuna reads
// them), --resume and `glasswing worker` rebuild the trial's pipeline from them, the bundle records
// the chosen pipeline, and `glasswing predict` reproduces the run's test predictions with a
// non-default choice.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/engine/run.hpp"
#include "automl/search/storage_registry.hpp"
#include "tests/cli/cli_support.hpp"
#include "tests/engine/engine_support.hpp"

namespace fs = std::filesystem;
using glasswing::test::kPython;
using glasswing::test::python_has_optuna;
using glasswing::test::read_json;
using glasswing::test::run_cli;
using glasswing::test::shell;
using glasswing::test::shell_quote;
using glasswing::test::slurp;
using glasswing::test::TempDir;
using nlohmann::json;

namespace {

// Rows with every trait that opens a feature step: a 30-category column whose category carries
// the signal (high cardinality), two informative numbers (generated pairs), one with missing
// values (indicators), a heavy-tailed number (scaling); binary target.
void write_data(const fs::path& path, int rows, unsigned seed) {
  std::ofstream out(path);
  out << "city,a,b,heavy,y\n";
  std::uint64_t state = seed * 2654435761u + 1;
  auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (int i = 0; i < rows; ++i) {
    const int city = static_cast<int>(uniform() * 30);
    const double a = uniform() * 4 - 2, b = uniform() * 4 - 2;
    const double heavy = std::pow(uniform(), -2.0);  // Pareto-like tail
    const double logit = (city % 3 == 0 ? 1.2 : -0.6) + a - 0.7 * b + 0.1 * std::log(heavy);
    const bool y = uniform() < 1.0 / (1.0 + std::exp(-2.0 * logit));
    out << "c" << city << ',';
    if (i % 7 == 3) out << "";  // missing
    else out << a;
    out << ',' << b << ',' << heavy << ',' << (y ? "yes" : "no") << '\n';
  }
}

std::vector<glasswing::search::FrozenTrial> trials_of(const std::string& url, const std::string& name) {
  auto storage = glasswing::search::make_storage(url);
  return storage->get_all_trials(storage->get_study_id_from_name(name));
}

// The feature params of a trial ("<family>.features.<step>" -> choice).
std::map<std::string, std::string> feature_params(const glasswing::search::FrozenTrial& t) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : t.params)
    if (k.find(".features.") != std::string::npos) out[k] = v.get<std::string>();
  return out;
}

std::vector<json> pipelines_of(const fs::path& model_dir) {
  std::vector<json> out;
  if (fs::exists(model_dir / "pipeline.json")) out.push_back(read_json(model_dir / "pipeline.json"));
  for (int m = 0; fs::exists(model_dir / ("member_" + std::to_string(m) + ".pipeline.json")); ++m)
    out.push_back(read_json(model_dir / ("member_" + std::to_string(m) + ".pipeline.json")));
  return out;
}

bool has_record(const json& pipeline, const std::string& step, const std::string& words) {
  for (const auto& r : pipeline["records"])
    if (r["step"] == step && r["reason"].get<std::string>().find(words) != std::string::npos) return true;
  return false;
}

}  // namespace

// The family spaces list the feature steps (so the Studio's space dialog and --space edits see them).
TEST(FeatureChoices, FamilySpacesListTheFeatureSteps) {
  auto names = [](const std::string& family) {
    std::map<std::string, std::vector<std::string>> m;
    for (const auto& s : glasswing::engine::family_space(family))
      if (s.name.rfind("features.", 0) == 0) {
        EXPECT_EQ(s.kind, "categorical") << s.name;
        for (const auto& c : s.choices) m[s.name].push_back(c.get<std::string>());
        EXPECT_EQ(s.default_value, s.choices.front()) << family << " " << s.name;  // today's pipeline first
      }
    return m;
  };
  const auto lin = names("linear");
  EXPECT_EQ(lin.at("features.scaling"), (std::vector<std::string>{"standard", "robust"}));
  EXPECT_EQ(lin.at("features.missing_indicators"), (std::vector<std::string>{"on", "off"}));
  EXPECT_EQ(lin.at("features.encoding"), (std::vector<std::string>{"target+frequency", "target", "frequency"}));
  EXPECT_EQ(lin.at("features.generated"), (std::vector<std::string>{"off", "on"}));
  const auto xgb = names("xgboost");
  EXPECT_EQ(xgb.count("features.scaling"), 0u);  // trees: no scaling, NaN handled natively
  EXPECT_EQ(xgb.count("features.missing_indicators"), 0u);
  EXPECT_EQ(xgb.count("features.encoding"), 1u);
  EXPECT_EQ(xgb.count("features.generated"), 1u);
  EXPECT_TRUE(names("constant").empty());
  // A bad choice in a space edit is refused naming it.
  try {
    (void)glasswing::engine::check_space_edits(nlohmann::ordered_json::parse(R"({"linear": {"features.scaling": "minmax"}})"));
    ADD_FAILURE() << "no error";
  } catch (const glasswing::Error& e) {
    EXPECT_NE(std::string(e.what()).find("linear.features.scaling"), std::string::npos) << e.what();
  }
}

// A search stores the feature params with the trials; only the steps the data can use are searched;
// Python Optuna reads them as categorical params.
TEST(FeatureChoices, StoredWithTheTrialsAndReadByOptuna) {
  TempDir tmp;
  write_data(tmp.path / "train.csv", 240, 1);
  const std::string url = "sqlite:///" + (tmp.path / "store.db").string();
  const auto r = run_cli({"run", "--data", (tmp.path / "train.csv").string(), "--target", "y", "--cv", "3", "--max-trials", "9",
                          "--models", "linear,xgboost", "--storage", url, "--search", "fc", "--seed", "3", "--jobs", "1",
                          "--out", (tmp.path / "run").string()},
                         "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto trials = trials_of(url, "fc");
  std::set<std::string> seen_scaling;
  int with_features = 0;
  for (const auto& t : trials) {
    const auto it = t.params.find("model");
    if (it == t.params.end()) continue;  // the constant baseline
    const std::string family = it->second.get<std::string>();
    const auto f = feature_params(t);
    ++with_features;
    EXPECT_EQ(f.count(family + ".features.encoding"), 1u) << family;
    EXPECT_EQ(f.count(family + ".features.generated"), 1u) << family;
    if (family == "linear") {
      EXPECT_EQ(f.count("linear.features.missing_indicators"), 1u);
      seen_scaling.insert(f.at("linear.features.scaling"));
    } else {
      EXPECT_EQ(f.size(), 2u) << family;
    }
  }
  EXPECT_EQ(with_features, 8);
  // The enqueued defaults keep today's pipeline.
  for (const auto& t : trials)
    if (t.system_attrs.count("fixed_params") > 0) {
      const auto f = feature_params(t);
      for (const auto& [k, v] : f)
        EXPECT_TRUE(v == "target+frequency" || v == "off" || v == "on" || v == "standard") << k << "=" << v;
      if (f.count("linear.features.missing_indicators")) {
        EXPECT_EQ(f.at("linear.features.missing_indicators"), "on");
      }
      if (f.count("linear.features.generated")) {
        EXPECT_EQ(f.at("linear.features.generated"), "off");
      }
    }
  // A dataset without a high-cardinality column or missing numbers: those steps are not searched.
  {
    std::ofstream out(tmp.path / "plain.csv");
    out << "a,b,y\n";
    for (int i = 0; i < 90; ++i) out << (i % 10) << ',' << (i * 7 % 13) << ',' << ((i % 10) + (i * 7 % 13) > 10 ? "p" : "q") << '\n';
  }
  const std::string url2 = "sqlite:///" + (tmp.path / "plain.db").string();
  const auto r2 = run_cli({"run", "--data", (tmp.path / "plain.csv").string(), "--target", "y", "--cv", "3", "--max-trials", "3",
                           "--models", "linear", "--storage", url2, "--jobs", "1", "--out", (tmp.path / "run2").string()},
                          "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(r2.code, 0) << r2.err;
  for (const auto& t : trials_of(url2, "glasswing-run"))
    if (t.params.count("model") > 0) {
      const auto f = feature_params(t);
      EXPECT_EQ(f.count("linear.features.encoding"), 0u);
      EXPECT_EQ(f.count("linear.features.missing_indicators"), 0u);
      EXPECT_EQ(f.count("linear.features.scaling"), 1u);
    }

  if (python_has_optuna()) {
    const std::string script =
        "import optuna, sys\n"
        "optuna.logging.set_verbosity(optuna.logging.ERROR)\n"
        "s = optuna.storages.RDBStorage(sys.argv[1], skip_compatibility_check=True)\n"
        "st = optuna.load_study(study_name='fc', storage=s)\n"
        "n = 0\n"
        "for t in st.trials:\n"
        "    for k, v in t.params.items():\n"
        "        if '.features.' in k:\n"
        "            d = t.distributions[k]\n"
        "            assert isinstance(d, optuna.distributions.CategoricalDistribution), k\n"
        "            assert v in d.choices, (k, v)\n"
        "            n += 1\n"
        "print(n)\n";
    const fs::path py = tmp.path / "load.py";
    std::ofstream(py) << script;
    const fs::path out = tmp.path / "optuna.txt";
    ASSERT_EQ(shell(kPython + " " + shell_quote(py.string()) + " " + shell_quote(url) + " >" + shell_quote(out.string())), 0);
    std::size_t expected = 0;
    for (const auto& t : trials) expected += feature_params(t).size();
    EXPECT_EQ(slurp(out), std::to_string(expected) + "\n");
  }
}

// A non-default pipeline (robust scaling, generated features, frequency encoding only, no
// indicators), fixed through a space edit: the bundle records it, predict reproduces the run's
// test predictions, and --resume and a worker rebuild the same pipeline from the stored params.
TEST(FeatureChoices, NonDefaultPipelineResumeWorkerAndPredict) {
  TempDir tmp;
  write_data(tmp.path / "train.csv", 240, 2);
  write_data(tmp.path / "test.csv", 80, 3);
  {
    std::ofstream(tmp.path / "space.json")
        << R"({"linear": {"features.scaling": "robust", "features.generated": "on", "features.encoding": "frequency",)"
           R"( "features.missing_indicators": "off"}})";
  }
  const std::string url = "sqlite:///" + (tmp.path / "store.db").string();
  const fs::path run_dir = tmp.path / "run";
  auto run = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> a{"run", "--data", (tmp.path / "train.csv").string(), "--target", "y", "--test",
                               (tmp.path / "test.csv").string(), "--cv", "3", "--models", "linear", "--space",
                               (tmp.path / "space.json").string(), "--storage", url, "--seed", "5", "--jobs", "1",
                               "--out", run_dir.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_cli(a, "OMP_WAIT_POLICY=PASSIVE");
  };
  auto r = run({"--max-trials", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto w = run_cli({"worker", "--storage", url, "--search", "glasswing-run", "--max-trials", "1"}, "OMP_WAIT_POLICY=PASSIVE");
  ASSERT_EQ(w.code, 0) << w.err;
  r = run({"--max-trials", "5", "--resume"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto trials = trials_of(url, "glasswing-run");
  ASSERT_EQ(trials.size(), 5u);
  for (const auto& t : trials) {
    if (t.params.count("model") == 0) continue;
    const auto f = feature_params(t);
    EXPECT_EQ(f.at("linear.features.scaling"), "robust") << t.number;  // the worker's and the resumed trials too
    EXPECT_EQ(f.at("linear.features.generated"), "on");
    EXPECT_EQ(f.at("linear.features.encoding"), "frequency");
    EXPECT_EQ(f.at("linear.features.missing_indicators"), "off");
  }
  // Every trial of the final process came from earlier processes or the worker: its refit rebuilds
  // the pipeline from the stored params.
  const json run_json = read_json(run_dir / "run.json");
  const auto pipelines = pipelines_of(run_dir / "model");
  ASSERT_FALSE(pipelines.empty());
  for (const auto& p : pipelines) {
    EXPECT_TRUE(has_record(p, "scale", "robustly")) << p["records"].dump();
    EXPECT_TRUE(has_record(p, "frequency_encoding", "target encoding not chosen")) << p["records"].dump();
    bool generated = false, indicator = false;
    for (const auto& s : p["steps"]) {
      if (s["kind"] == "generated_ratio") generated = true;
      if (s["kind"] == "target_encoding") ADD_FAILURE() << "target encoding in " << p["steps"].dump();
      if (s["kind"] == "numeric" && s["params"]["indicator"] == true) indicator = true;
    }
    EXPECT_TRUE(generated);
    EXPECT_FALSE(indicator);
    EXPECT_EQ(p["version"], 2);  // the robust scaler's clip
    EXPECT_EQ(p["clip"], 5.0);
  }
  // The leaderboard shows the choices with the other params.
  const json lb = read_json(run_dir / "leaderboard.json");
  bool shown = false;
  for (const auto& c : lb["candidates"])
    if (c["family"] == "linear" && c["params"].value("features.scaling", "") == "robust") shown = true;
  EXPECT_TRUE(shown) << lb.dump();
  // predict reproduces the run's test predictions bit for bit.
  const fs::path pred = tmp.path / "pred.csv";
  const auto p = run_cli({"predict", "--model", (run_dir / "model").string(), "--data", (tmp.path / "test.csv").string(), "--out",
                          pred.string()});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(slurp(pred), slurp(run_dir / "predictions/test.csv"));
  EXPECT_TRUE(run_json.contains("test_score") || run_json.contains("test")) << run_json.dump();
}
