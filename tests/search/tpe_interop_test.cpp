// TPE against Debian's Python Optuna 3.1 (skipped when /usr/bin/python3 lacks optuna):
// - the multi-objective below/above split equals 3.1's _split_observation_pairs, and the below
//   weights equal Optuna 4.x's formula (computed in Python with Optuna's own WFG hypervolume)
//   and, when every below point is Pareto-optimal (where 3.1 and 4.x agree), 3.1's
//   _calculate_weights_below_for_multi_objective;
// - the single-objective split with pruned trials equals 3.1's;
// - the intersection search space and the group decomposition of a study Python wrote to
//   SQLite (dynamic ranges, conditional params, failed, pruned and running trials) equal
//   Optuna's IntersectionSearchSpace(include_pruned=True) and _GroupDecomposedSearchSpace.
#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "automl/search/sampler.hpp"
#include "automl/search/storage_registry.hpp"
#include "search_test_util.hpp"

namespace glasswing::search {
namespace {

using testing::TempDir;

constexpr const char* kSplitScript = R"PY(
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np
import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial
from optuna._hypervolume import WFG
from optuna.samplers._tpe.sampler import (_get_observation_pairs, _split_observation_pairs,
    _calculate_weights_below_for_multi_objective, default_gamma, EPS)
optuna.logging.set_verbosity(optuna.logging.ERROR)
def case(seed, n, k, mode):
  rng = np.random.RandomState(seed)
  dirs = ["minimize" if rng.rand() < 0.5 else "maximize" for _ in range(k)]
  study = optuna.create_study(directions=dirs)
  signs = np.array([1.0 if d == "minimize" else -1.0 for d in dirs])
  trials = []
  dist = {"x": FloatDistribution(0, 1)}
  for i in range(n):
      if mode == "mo":
          # Points near a few fronts, so that several ranks and the HSSP tie-break matter.
          base = rng.rand(k)
          base /= base.sum()
          vals = (base * (1 + rng.randint(0, 4)) + 0.05 * rng.rand(k)) * signs
          study.add_trial(create_trial(values=list(vals), params={"x": i / n}, distributions=dist))
          trials.append({"state": "COMPLETE", "values": [float(v) for v in vals], "iv": {}})
      else:
          r = rng.rand()
          if r < 0.6:
              v = float(rng.randn())
              study.add_trial(create_trial(value=v, params={"x": i / n}, distributions=dist))
              trials.append({"state": "COMPLETE", "values": [v], "iv": {}})
          else:
              iv = {}
              for s in range(int(rng.randint(0, 4))):
                  iv[s] = float("nan") if rng.rand() < 0.15 else float(rng.randn())
              study.add_trial(create_trial(state=TrialState.PRUNED, params={"x": i / n}, distributions=dist,
                                           intermediate_values=iv))
              trials.append({"state": "PRUNED", "values": None, "iv": {str(s): v for s, v in iv.items()}})
  values, scores, violations = _get_observation_pairs(study, ["x"], False, False)
  below, above = _split_observation_pairs(scores, default_gamma(len(scores)), None)
  out = {"directions": [d.upper() for d in dirs], "trials": trials, "below": sorted(int(i) for i in below)}
  if mode == "mo":
      w31 = _calculate_weights_below_for_multi_objective(scores, below, None)
      out["w31"] = {str(int(i)): float(w) for i, w in zip(below, w31)}
      idx = sorted(int(i) for i in below)
      lv = np.asarray([scores[i][1] for i in idx])
      def dominates(a, b):
          return bool(np.all(a <= b) and np.any(a < b))
      on = [not any(dominates(lv[j], lv[i]) for j in range(len(idx))) for i in range(len(idx))]
      out["single_front"] = all(on)
      worst = lv.max(axis=0)
      ref = np.maximum(1.1 * worst, 0.9 * worst)
      ref[ref == 0] = EPS
      front = lv[on]
      hv = lambda pts: WFG().compute(pts, ref) if len(pts) else 0.0
      total = hv(front)
      contrib = np.zeros(len(idx))
      pos = [i for i in range(len(idx)) if on[i]]
      for j, i in enumerate(pos):
          contrib[i] = total - hv(np.delete(front, j, axis=0))
      w4 = np.maximum(contrib / max(contrib.max(), EPS), EPS) if len(idx) > 1 else np.ones(len(idx))
      out["w4"] = {str(i): float(w) for i, w in zip(idx, w4)}
  return out
print(json.dumps([case(*c) for c in json.loads(sys.argv[1])]))
)PY";

std::vector<FrozenTrial> trials_from(const Json& j) {
  std::vector<FrozenTrial> out;
  for (const auto& t : j["trials"]) {
    FrozenTrial f;
    f.number = static_cast<std::int64_t>(out.size());
    f.trial_id = f.number + 1;
    f.state = trial_state_from_string(t["state"].get<std::string>());
    if (!t["values"].is_null()) f.values = t["values"].get<std::vector<double>>();
    for (const auto& [step, v] : t["iv"].items()) f.intermediate_values[std::stoll(step)] = v.get<double>();
    f.params["x"] = static_cast<double>(f.number) / static_cast<double>(j["trials"].size());
    f.distributions["x"] = make_float_distribution(0, 1);
    out.push_back(std::move(f));
  }
  return out;
}

class SearchTpeInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::python_optuna_available()) GTEST_SKIP() << "/usr/bin/python3 with optuna is not available";
  }
  Json run(const std::string& script, const std::string& args) {
    int rc = 0;
    const auto out = testing::run_python(dir_, script, args, rc);
    EXPECT_EQ(rc, 0) << out;
    return rc == 0 ? parse_python_json(out) : Json();
  }
  TempDir dir_;
};

TEST_F(SearchTpeInterop, MultiObjectiveSplitAndWeightsMatchOptuna) {
  int single_front_cases = 0, hssp_cases = 0;
  const Json all = run(kSplitScript, R"('[[1, 40, 2, "mo"], [2, 95, 2, "mo"], [3, 120, 2, "mo"], [4, 60, 3, "mo"],
      [5, 150, 3, "mo"], [6, 33, 2, "mo"], [7, 250, 2, "mo"], [8, 80, 4, "mo"]]')");
  ASSERT_TRUE(all.is_array());
  int seed = 0;
  for (const auto& py : all) {
    ++seed;
    std::vector<StudyDirection> dirs;
    for (const auto& d : py["directions"]) dirs.push_back(study_direction_from_string(d.get<std::string>()));
    const auto trials = trials_from(py);
    const auto split = detail::split_trials(dirs, trials, -1, false, tpe_default_gamma);
    std::vector<std::int64_t> below;
    for (const auto* t : split.below) below.push_back(t->number);
    EXPECT_EQ(below, py["below"].get<std::vector<std::int64_t>>()) << "seed " << seed;
    EXPECT_EQ(split.below.size() + split.above.size(), trials.size());
    const auto ranks = detail::nondomination_ranks([&] {
      std::vector<std::vector<double>> lv;
      for (const auto& t : trials) {
        std::vector<double> p;
        for (std::size_t i = 0; i < dirs.size(); ++i) p.push_back((dirs[i] == StudyDirection::Maximize ? -1 : 1) * (*t.values)[i]);
        lv.push_back(p);
      }
      return lv;
    }());
    std::map<int, std::size_t> per_rank;
    for (int r : ranks) ++per_rank[r];
    std::size_t cum = 0;
    for (const auto& [r, c] : per_rank) {
      if (cum < below.size() && cum + c > below.size()) ++hssp_cases;  // the split cut a rank
      cum += c;
    }
    const auto w = detail::mo_weights_below(dirs, split.below);
    for (std::size_t i = 0; i < below.size(); ++i) {
      const auto key = std::to_string(below[i]);
      EXPECT_NEAR(w[i], py["w4"][key].get<double>(), 1e-9) << "seed " << seed << " trial " << key;
      if (py["single_front"].get<bool>()) {
        EXPECT_NEAR(w[i], py["w31"][key].get<double>(), 1e-9) << "seed " << seed;
      }
    }
    single_front_cases += py["single_front"].get<bool>();
  }
  // The histories exercise both the HSSP tie-break and the 3.1 == 4.x weight case.
  EXPECT_GE(hssp_cases, 3);
  EXPECT_GE(single_front_cases, 1);
}

TEST_F(SearchTpeInterop, SingleObjectiveSplitWithPrunedTrialsMatchesOptuna) {
  const Json all = run(kSplitScript, R"('[[11, 120, 1, "so"], [12, 120, 1, "so"], [13, 120, 1, "so"]]')");
  ASSERT_TRUE(all.is_array());
  int seed = 10;
  for (const auto& py : all) {
    ++seed;
    const std::vector dirs{study_direction_from_string(py["directions"][0].get<std::string>())};
    const auto trials = trials_from(py);
    const auto split = detail::split_trials(dirs, trials, -1, false, tpe_default_gamma);
    std::vector<std::int64_t> below;
    for (const auto* t : split.below) below.push_back(t->number);
    // Python's indices count the COMPLETE and PRUNED trials in order: here every trial.
    EXPECT_EQ(below, py["below"].get<std::vector<std::int64_t>>()) << "seed " << seed;
  }
}

constexpr const char* kSpaceScript = R"PY(
import json, sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.distributions import distribution_to_json
from optuna.samplers import IntersectionSearchSpace
from optuna.samplers._search_space.group_decomposed import _GroupDecomposedSearchSpace
optuna.logging.set_verbosity(optuna.logging.ERROR)
def objective(t):
    kind = t.suggest_categorical("kind", ["lin", "quad", 3])
    x = t.suggest_float("x", 0, 1 if t.number < 7 else 2)  # range change at trial 7
    t.suggest_int("one", 4, 4)                              # single-valued: never sampled
    t.suggest_int("n", 1, 64, log=True)
    if kind == "lin":
        t.suggest_float("a", -1, 1, step=0.5)
    elif kind == "quad":
        t.suggest_float("b", 1e-3, 1, log=True)
        t.suggest_float("b2", 0, 1)
    if t.number % 5 == 3:
        raise ValueError("fail")
    if t.number % 5 == 4:
        raise optuna.TrialPruned()
    return x
def space(d):
    return {k: distribution_to_json(v) for k, v in sorted(d.items()) if not v.single()}
out = {}
storage = optuna.storages.RDBStorage(sys.argv[1])
for n in (5, 20):  # before and after the range change
    study = optuna.create_study(storage=storage, study_name="spaces%d" % n,
                                sampler=optuna.samplers.RandomSampler(seed=n))
    study.optimize(objective, n_trials=n, catch=(ValueError,))
    running = study.ask()
    running.suggest_float("x", 5, 6)  # RUNNING: ignored
    groups = _GroupDecomposedSearchSpace(include_pruned=True).calculate(study).search_spaces
    groups = sorted([sorted(k for k, v in g.items() if not v.single()) for g in groups])
    out[str(n)] = {"intersection": space(IntersectionSearchSpace(include_pruned=True).calculate(study)),
                   "groups": [g for g in groups if g]}
print(json.dumps(out))
)PY";

TEST_F(SearchTpeInterop, RelativeSearchSpacesMatchOptuna) {
  const auto db = dir_ / "spaces.db";
  const Json all = run(kSpaceScript, "sqlite:///" + db.string());
  ASSERT_TRUE(all.is_object());
  auto storage = make_storage("sqlite:///" + db.string());
  for (const int n : {5, 20}) {
    const Json& py = all[std::to_string(n)];
    const auto trials = storage->get_all_trials(storage->get_study_id_from_name("spaces" + std::to_string(n)));
    Json ours = Json::object();
    for (const auto& [name, d] : detail::intersection_search_space(trials)) ours[name] = distribution_to_json(d);
    EXPECT_EQ(ours.dump(), py["intersection"].dump()) << "n=" << n;
    std::vector<std::vector<std::string>> groups;
    for (const auto& g : detail::group_decomposed_search_space(trials)) {
      std::vector<std::string> names;
      for (const auto& [name, _] : g) names.push_back(name);
      groups.push_back(names);
    }
    std::sort(groups.begin(), groups.end());
    EXPECT_EQ(groups, py["groups"].get<std::vector<std::vector<std::string>>>()) << "n=" << n;
    // The TPE sampler reports the same spaces.
    TpeOptions o;
    o.multivariate = true;
    TpeSampler mv(o);
    const std::vector dirs{StudyDirection::Minimize};
    const FrozenTrial cur;
    EXPECT_EQ(mv.infer_relative_search_space(SamplingContext{dirs, trials, cur}).size(), ours.size());
  }
}

}  // namespace
}  // namespace glasswing::search
