// Search analysis (P6, P7): best-so-far by hand, the trials table, reasons for pruned and failed
// trials, family summaries, parallel coordinates in transformed space, fANOVA importance on
// studies where the answer is known, and the ranking of Optuna 3.1's FanovaImportanceEvaluator
// (Debian /usr/bin/python3) on the same trials.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "automl/search/in_memory_storage.hpp"
#include "automl/search/sampler.hpp"
#include "automl/search/sqlite_storage.hpp"
#include "automl/search/study.hpp"
#include "helpers.hpp"
#include "transparency/search_analysis.hpp"

using namespace glasswing;
namespace tr = glasswing::transparency;
using search::FrozenTrial;
using search::Json;
using search::StudyDirection;
using search::TrialState;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

const search::DateTime kT0 = search::parse_datetime("2026-01-01 12:00:00");

search::DateTime at(double seconds) {
  return kT0 + std::chrono::microseconds(static_cast<std::int64_t>(std::llround(seconds * 1e6)));
}

// A finished trial by hand: started at `start` s, finished at `end` s (NaN: no time stored).
FrozenTrial trial(std::int64_t number, TrialState state, std::optional<double> value, double start = kNaN,
                  double end = kNaN) {
  FrozenTrial t;
  t.trial_id = number + 1;
  t.number = number;
  t.state = state;
  if (value) t.values = std::vector<double>{*value};
  if (!std::isnan(start)) t.datetime_start = at(start);
  if (!std::isnan(end)) t.datetime_complete = at(end);
  return t;
}

void set_param(FrozenTrial& t, const std::string& name, const search::Distribution& d, const Json& external) {
  t.params[name] = external;
  t.distributions[name] = d;
}

// A real study (in-memory storage, seeded random sampler) over `objective`.
std::vector<FrozenTrial> run_study(const search::Study::SingleObjective& objective, int n, std::uint64_t seed,
                                   StudyDirection direction = StudyDirection::Minimize) {
  auto study = search::Study::create(std::make_shared<search::InMemoryStorage>(), "s", {direction},
                                     search::make_sampler("random", Json{{"seed", seed}}));
  search::OptimizeOptions o;
  o.n_trials = n;
  study.optimize(objective, o);
  return study.trials();
}

const tr::ParamImportance* find(const tr::ImportanceResult& r, const std::string& name) {
  for (const auto& p : r.params)
    if (p.name == name) return &p;
  return nullptr;
}

double importance_sum(const tr::ImportanceResult& r) {
  double s = r.unattributed;
  for (const auto& p : r.params) s += p.importance;
  return s;
}

// value = 8x + 2 {0, 1, 2}[c] + 3 log10(z), z log-uniform on [0.1, 1]; y does not matter.
// Main-effect variances: x 5.3, c 2.7, z 0.75 (about 0.6 in linear space, where Optuna 3.1
// places log params; a narrow log range keeps the two spaces comparable), y 0.
double xczy(search::Trial& t) {
  const double x = t.suggest_float("x", 0.0, 1.0);
  const double y = t.suggest_float("y", -5.0, 5.0);
  const double z = t.suggest_float("z", 0.1, 1.0, true);
  const auto c = t.suggest_categorical("c", {"a", "b", "c"}).get<std::string>();
  (void)y;
  return 8.0 * x + 2.0 * (c == "a" ? 0.0 : c == "b" ? 1.0 : 2.0) + 3.0 * std::log10(z);
}

}  // namespace

TEST(SearchAnalysis, EmptyStudy) {
  const auto a = tr::analyze_search({}, StudyDirection::Minimize);
  EXPECT_EQ(a.direction, "MINIMIZE");
  EXPECT_EQ(a.trials, 0u);
  EXPECT_EQ(a.best_trial, -1);
  EXPECT_TRUE(std::isnan(a.best_value));
  EXPECT_TRUE(a.best_by_trial.empty());
  EXPECT_TRUE(a.best_by_time.empty());
  EXPECT_TRUE(a.table.empty());
  EXPECT_TRUE(a.families.empty());
  EXPECT_TRUE(a.parallel.empty());
  EXPECT_FALSE(a.importance.available);
  EXPECT_NE(a.importance.reason.find("needs at least 4"), std::string::npos) << a.importance.reason;
  const nlohmann::json j = a;
  EXPECT_TRUE(j["best_value"].is_null());
  EXPECT_EQ(j["importance"]["available"], false);
  EXPECT_TRUE(nlohmann::json::parse(j.dump()).is_object());
}

TEST(SearchAnalysis, BadInput) {
  EXPECT_THROW(
      {
        try {
          (void)tr::analyze_search({}, StudyDirection::NotSet);
        } catch (const Error& e) {
          EXPECT_EQ(e.kind(), ErrorKind::Usage);
          EXPECT_NE(std::string(e.what()).find("NOT_SET"), std::string::npos);
          throw;
        }
      },
      Error);
  FrozenTrial multi = trial(0, TrialState::Complete, 1.0);
  multi.values = std::vector<double>{1.0, 2.0};
  try {
    (void)tr::analyze_search({multi}, StudyDirection::Minimize);
    ADD_FAILURE() << "multi-objective accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("single-objective"), std::string::npos) << e.what();
  }
  try {
    (void)tr::analyze_search({trial(3, TrialState::Complete, 1.0), trial(3, TrialState::Complete, 2.0)},
                             StudyDirection::Minimize);
    ADD_FAILURE() << "repeated trial number accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("trial number 3 appears twice"), std::string::npos) << e.what();
  }
  // A value its distribution cannot hold: absent in that trial, with a notice.
  FrozenTrial odd = trial(0, TrialState::Complete, 1.0);
  set_param(odd, "c", search::make_categorical_distribution({"a", "b"}), "zzz");
  FrozenTrial ok = trial(1, TrialState::Complete, 2.0);
  set_param(ok, "c", search::make_categorical_distribution({"a", "b"}), "b");
  const auto a = tr::analyze_search({odd, ok}, StudyDirection::Minimize);
  ASSERT_EQ(a.parallel.size(), 1u);
  EXPECT_TRUE(std::isnan(a.parallel[0].points[0][0]));
  EXPECT_DOUBLE_EQ(a.parallel[0].points[1][0], 1.0);
  bool noticed = false;
  for (const auto& n : a.notices) noticed = noticed || n.find("trial 0: the value \"zzz\" of 'c'") != std::string::npos;
  EXPECT_TRUE(noticed) << nlohmann::json(a.notices).dump();
}

TEST(SearchAnalysis, BestSoFarMinimizeAndMaximize) {
  // Values 5 3 4 1 2; trial 1 finishes last (t = 20 s), the others in number order.
  std::vector<FrozenTrial> ts{trial(0, TrialState::Complete, 5.0, 1.0, 3.0),
                              trial(1, TrialState::Complete, 3.0, 2.0, 20.0),
                              trial(2, TrialState::Complete, 4.0, 3.0, 5.0),
                              trial(3, TrialState::Complete, 1.0, 5.0, 8.0),
                              trial(4, TrialState::Complete, 2.0, 8.0, 9.5)};
  const auto mn = tr::analyze_search(ts, StudyDirection::Minimize);
  ASSERT_EQ(mn.best_by_trial.size(), 5u);
  const std::vector<double> best_min{5, 3, 3, 1, 1};
  const std::vector<std::int64_t> best_min_n{0, 1, 1, 3, 3};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(mn.best_by_trial[i].number, static_cast<std::int64_t>(i));
    EXPECT_EQ(mn.best_by_trial[i].best, best_min[i]) << i;
    EXPECT_EQ(mn.best_by_trial[i].best_number, best_min_n[i]) << i;
  }
  EXPECT_EQ(mn.best_trial, 3);
  EXPECT_EQ(mn.best_value, 1.0);
  // Over time (first start = 1 s): completions at 2, 4, 7, 8.5, 19 s are trials 0, 2, 3, 4, 1.
  ASSERT_EQ(mn.best_by_time.size(), 5u);
  const std::vector<std::int64_t> order{0, 2, 3, 4, 1};
  const std::vector<double> elapsed{2.0, 4.0, 7.0, 8.5, 19.0}, best_time{5, 4, 1, 1, 1};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(mn.best_by_time[i].number, order[i]);
    EXPECT_DOUBLE_EQ(mn.best_by_time[i].elapsed_s, elapsed[i]);
    EXPECT_EQ(mn.best_by_time[i].best, best_time[i]);
  }
  // The table: durations, starts, best flag.
  ASSERT_EQ(mn.table.size(), 5u);
  EXPECT_DOUBLE_EQ(mn.table[1].duration_s, 18.0);
  EXPECT_DOUBLE_EQ(mn.table[1].start_s, 1.0);
  EXPECT_TRUE(mn.table[3].best);
  EXPECT_FALSE(mn.table[0].best);

  const auto mx = tr::analyze_search(ts, StudyDirection::Maximize);
  EXPECT_EQ(mx.direction, "MAXIMIZE");
  EXPECT_EQ(mx.best_trial, 0);
  for (const auto& p : mx.best_by_trial) EXPECT_EQ(p.best, 5.0);
  ASSERT_EQ(mx.families.size(), 1u);
  EXPECT_EQ(mx.families[0].family, "");
  EXPECT_EQ(mx.families[0].best_value, 5.0);
  EXPECT_EQ(mx.families[0].best_trial, 0);
  EXPECT_EQ(mn.families[0].best_value, 1.0);
  EXPECT_EQ(mn.families[0].median_value, 3.0);
  EXPECT_DOUBLE_EQ(mn.families[0].mean_duration_s, (2.0 + 18.0 + 2.0 + 3.0 + 1.5) / 5.0);
}

TEST(SearchAnalysis, AllFailedAndPrunedReasons) {
  std::vector<FrozenTrial> ts{trial(0, TrialState::Fail, std::nullopt, 0.0, 1.0),
                              trial(1, TrialState::Fail, std::nullopt, 1.0, 2.0),
                              trial(2, TrialState::Fail, std::nullopt, 2.0, 3.0),
                              trial(3, TrialState::Fail, std::nullopt)};
  ts[0].system_attrs["fail_reason"] = "fold 0 scored nan (roc_auc)";
  ts[1].system_attrs["fail_reason"] = "out of memory";
  ts[2].system_attrs["fail_reason"] = "fold 0 scored nan (roc_auc)";
  const auto a = tr::analyze_search(ts, StudyDirection::Maximize);
  EXPECT_EQ(a.failed, 4u);
  EXPECT_EQ(a.best_trial, -1);
  EXPECT_TRUE(a.best_by_trial.empty());
  ASSERT_EQ(a.problems.size(), 4u);
  EXPECT_EQ(a.problems[3].reason, "no reason recorded");
  ASSERT_EQ(a.reasons.size(), 3u);
  EXPECT_EQ(a.reasons[0].reason, "fold 0 scored nan (roc_auc)");
  EXPECT_EQ(a.reasons[0].count, 2u);
  EXPECT_EQ(a.reasons[0].trials, (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(a.reasons[0].state, "FAIL");
  EXPECT_EQ(a.table[1].reason, "out of memory");
  ASSERT_EQ(a.families.size(), 1u);
  EXPECT_EQ(a.families[0].failed, 4u);
  EXPECT_TRUE(std::isnan(a.families[0].best_value));
  EXPECT_TRUE(std::isnan(a.table[3].duration_s));
  EXPECT_FALSE(a.importance.available);

  // Pruned: the stored reason if any, else the last step and its value.
  FrozenTrial p = trial(0, TrialState::Pruned, 0.7, 0.0, 1.0);
  p.intermediate_values = {{0, 0.5}, {3, 0.7}};
  FrozenTrial q = trial(1, TrialState::Pruned, std::nullopt, 1.0, 2.0);
  const auto b = tr::analyze_search({p, q}, StudyDirection::Maximize);
  ASSERT_EQ(b.problems.size(), 2u);
  EXPECT_EQ(b.problems[0].reason, "pruned at step 3 (intermediate value 0.7)");
  EXPECT_EQ(b.problems[0].last_step, 3);
  EXPECT_EQ(b.problems[1].reason, "pruned before reporting a step");
  EXPECT_FALSE(b.problems[1].last_step.has_value());
  EXPECT_EQ(b.table[0].value, 0.7);  // a pruned trial keeps its stored value in the table
  EXPECT_EQ(b.best_trial, -1);       // but is never the best
  const nlohmann::json j = b;
  EXPECT_TRUE(j["problems"][1]["last_step"].is_null());
  EXPECT_EQ(j["problems"][0]["last_step"], 3);
}

TEST(SearchAnalysis, NonFiniteValues) {
  std::vector<FrozenTrial> ts{trial(0, TrialState::Complete, 2.0, 0.0, 1.0), trial(1, TrialState::Complete, kInf, 1.0, 2.0),
                              trial(2, TrialState::Complete, -kInf, 2.0, 3.0), trial(3, TrialState::Complete, kNaN, 3.0, 4.0),
                              trial(4, TrialState::Complete, 1.0, 4.0, 5.0)};
  for (auto& t : ts) set_param(t, "x", search::make_float_distribution(0, 1), 0.1 * static_cast<double>(t.number));
  for (const auto dir : {StudyDirection::Minimize, StudyDirection::Maximize}) {
    const auto a = tr::analyze_search(ts, dir);
    EXPECT_EQ(a.complete, 5u);
    ASSERT_EQ(a.best_by_trial.size(), 2u);  // only the finite ones
    EXPECT_EQ(a.best_trial, dir == StudyDirection::Minimize ? 4 : 0);
    ASSERT_FALSE(a.notices.empty());
    EXPECT_NE(a.notices[0].find("3 completed trial(s) have a non-finite value"), std::string::npos) << a.notices[0];
    ASSERT_EQ(a.parallel.size(), 1u);
    EXPECT_EQ(a.parallel[0].trials, (std::vector<std::int64_t>{0, 4}));
    EXPECT_EQ(a.families[0].median_value, 1.5);
    const nlohmann::json j = a;
    EXPECT_TRUE(j["table"][1]["value"].is_null());
    EXPECT_TRUE(j["table"][3]["value"].is_null());
    EXPECT_TRUE(nlohmann::json::parse(j.dump()).is_object());
  }
}

TEST(SearchAnalysis, TooFewTrialsForImportance) {
  auto ts = run_study([](search::Trial& t) { return t.suggest_float("x", 0, 1); }, 3, 1);
  const auto a = tr::analyze_search(ts, StudyDirection::Minimize);
  EXPECT_FALSE(a.importance.available);
  EXPECT_EQ(a.importance.reason, "only 3 completed trial(s) with a finite value; importance needs at least 4");
  EXPECT_TRUE(a.importance.params.empty());
  // All values equal: not available either.
  auto flat = run_study([](search::Trial& t) { return 0.0 * t.suggest_float("x", 0, 1) + 1.0; }, 10, 1);
  const auto b = tr::analyze_search(flat, StudyDirection::Minimize);
  EXPECT_FALSE(b.importance.available);
  EXPECT_EQ(b.importance.reason, "every completed trial has the same value");
}

TEST(SearchAnalysis, ImportanceFindsTheParameterThatMatters) {
  const auto objective = [](search::Trial& t) {
    const double x = t.suggest_float("x", -2.0, 2.0);
    const double y = t.suggest_float("y", 0.0, 1.0);
    (void)y;
    return x * x + 0.5 * x;
  };
  const auto ts = run_study(objective, 60, 11);
  const auto a = tr::analyze_search(ts, StudyDirection::Minimize);
  ASSERT_TRUE(a.importance.available) << a.importance.reason;
  EXPECT_EQ(a.importance.method, "fanova");
  EXPECT_EQ(a.importance.trials, 60u);
  ASSERT_EQ(a.importance.params.size(), 2u);
  EXPECT_EQ(a.importance.params[0].name, "x");
  EXPECT_GT(a.importance.params[0].importance, 0.8);
  EXPECT_LT(find(a.importance, "y")->importance, 0.1);
  EXPECT_NEAR(importance_sum(a.importance), 1.0, 1e-12);
  // Deterministic for a seed; another seed moves the numbers, not the answer.
  const auto again = tr::analyze_search(ts, StudyDirection::Minimize);
  EXPECT_EQ(nlohmann::json(again.importance).dump(), nlohmann::json(a.importance).dump());
  tr::SearchAnalysisOptions o;
  o.seed = 99;
  const auto other = tr::fanova_importance(ts, "x-vs-y", o);
  ASSERT_TRUE(other.available);
  EXPECT_EQ(other.scope, "x-vs-y");
  EXPECT_NE(find(other, "x")->importance, find(a.importance, "x")->importance);
  EXPECT_GT(find(other, "x")->importance, 0.8);
  // The same with the direction reversed: importance does not depend on it.
  const auto mx = tr::analyze_search(ts, StudyDirection::Maximize);
  EXPECT_EQ(nlohmann::json(mx.importance).dump(), nlohmann::json(a.importance).dump());
}

TEST(SearchAnalysis, LogParamsAreAnalysedInLogSpace) {
  // value = log10(lr)^2-ish: all the variation is in log space. The same trials with the param
  // stored as ln(lr) on a linear distribution give the same importances, to the last bit.
  const auto objective = [](search::Trial& t) {
    const double lr = t.suggest_float("lr", 1e-5, 1.0, true);
    const double w = t.suggest_float("w", 0.0, 1.0);
    return std::log10(lr) + 0.2 * w;
  };
  const auto ts = run_study(objective, 50, 5);
  const auto a = tr::analyze_search(ts, StudyDirection::Minimize);
  ASSERT_TRUE(a.importance.available);
  EXPECT_GT(find(a.importance, "lr")->importance, 0.8);
  std::vector<FrozenTrial> relinear = ts;
  for (auto& t : relinear) {
    const double lr = t.params.at("lr").get<double>();
    t.params.erase("lr");
    t.distributions.erase("lr");
    set_param(t, "lr", search::make_float_distribution(std::log(1e-5), std::log(1.0)), std::log(lr));
  }
  const auto b = tr::analyze_search(relinear, StudyDirection::Minimize);
  ASSERT_TRUE(b.importance.available);
  EXPECT_EQ(find(b.importance, "lr")->importance, find(a.importance, "lr")->importance);
  EXPECT_EQ(find(b.importance, "w")->importance, find(a.importance, "w")->importance);
  // Parallel coordinates place the log param by its logarithm.
  ASSERT_EQ(a.parallel.size(), 1u);
  const auto& pc = a.parallel[0];
  ASSERT_EQ(pc.axes[0].name, "lr");
  EXPECT_TRUE(pc.axes[0].log);
  for (std::size_t r = 0; r < pc.trials.size(); ++r) {
    const double lr = ts[static_cast<std::size_t>(pc.trials[r])].params.at("lr").get<double>();
    EXPECT_NEAR(pc.points[r][0], (std::log(lr) - std::log(1e-5)) / -std::log(1e-5), 1e-12);
  }
}

TEST(SearchAnalysis, CategoricalParams) {
  const auto objective = [](search::Trial& t) {
    const auto opt = t.suggest_categorical("optimizer", {"sgd", "adam", "rmsprop", "lbfgs"}).get<std::string>();
    const double m = t.suggest_float("momentum", 0.0, 1.0);
    return (opt == "adam" ? 0.0 : opt == "sgd" ? 3.0 : opt == "rmsprop" ? 1.0 : 5.0) + 0.3 * m;
  };
  const auto ts = run_study(objective, 60, 2);
  const auto a = tr::analyze_search(ts, StudyDirection::Minimize);
  ASSERT_TRUE(a.importance.available);
  EXPECT_EQ(a.importance.params[0].name, "optimizer");
  EXPECT_GT(a.importance.params[0].importance, 0.8);
  ASSERT_EQ(a.parallel.size(), 1u);
  const auto& ax = a.parallel[0].axes[1];
  EXPECT_EQ(ax.name, "optimizer");
  EXPECT_EQ(ax.kind, "categorical");
  EXPECT_EQ(ax.choices.size(), 4u);
  for (std::size_t r = 0; r < a.parallel[0].trials.size(); ++r) {
    const auto& t = ts[static_cast<std::size_t>(a.parallel[0].trials[r])];
    const std::string opt = t.params.at("optimizer").get<std::string>();
    const double index = opt == "sgd" ? 0 : opt == "adam" ? 1 : opt == "rmsprop" ? 2 : 3;
    EXPECT_DOUBLE_EQ(a.parallel[0].points[r][1], index / 3.0);
  }
}

TEST(SearchAnalysis, MultiFamilyConditionalSpaces) {
  // Shaped like an engine run: a constant baseline trial, then a "model" choice with
  // conditional "<family>.<name>" params; some trials fail or are pruned.
  auto study = search::Study::create(std::make_shared<search::InMemoryStorage>(), "run", {StudyDirection::Maximize},
                                     search::make_sampler("random", Json{{"seed", 4}}));
  {
    auto t = study.ask();
    (void)t.suggest_categorical("baseline", {Json("constant")});
    t.set_user_attr("family", "constant");
    study.tell(t, 0.5);
  }
  search::OptimizeOptions o;
  o.n_trials = 90;
  study.optimize(
      [](search::Trial& t) -> double {
        const std::string family = t.suggest_categorical("model", {"xgboost", "linear"}).get<std::string>();
        t.set_user_attr("family", family);
        if (family == "xgboost") {
          const double lr = t.suggest_float("xgboost.learning_rate", 0.01, 0.3, true);
          const auto depth = t.suggest_int("xgboost.max_depth", 2, 10);
          if (depth == 10) throw std::runtime_error("xgboost: depth 10 ran out of memory");
          return 1.0 - 0.15 * std::pow(std::log(lr / 0.1), 2.0) + 0.001 * static_cast<double>(depth);
        }
        const double l2 = t.suggest_float("linear.l2", 1e-6, 1.0, true);
        t.report(0.6, 0);
        if (l2 > 0.5) throw search::TrialPruned();
        return 0.7 - 0.002 * std::log(l2);
      },
      o);
  const auto ts = study.trials();
  const auto a = tr::analyze_search(ts, StudyDirection::Maximize);
  EXPECT_EQ(a.trials, 91u);
  ASSERT_EQ(a.families.size(), 3u);
  EXPECT_EQ(a.families[0].family, "constant");
  EXPECT_EQ(a.families[0].complete, 1u);
  const auto& lin = a.families[1];
  const auto& xgb = a.families[2];
  EXPECT_EQ(lin.family, "linear");
  EXPECT_EQ(xgb.family, "xgboost");
  EXPECT_EQ(lin.trials + xgb.trials, 90u);
  EXPECT_GT(xgb.failed, 0u);
  EXPECT_GT(lin.pruned, 0u);
  EXPECT_EQ(a.failed, xgb.failed);
  EXPECT_EQ(a.pruned, lin.pruned);
  EXPECT_EQ(a.best_family, "xgboost");
  // Reasons: the failures share one message.
  bool saw_fail = false;
  for (const auto& r : a.reasons)
    if (r.state == "FAIL") {
      EXPECT_EQ(r.reason, "xgboost: depth 10 ran out of memory");
      EXPECT_EQ(r.count, xgb.failed);
      saw_fail = true;
    }
  EXPECT_TRUE(saw_fail);
  // Parallel coordinates: one set per family with params, labels without the prefix.
  ASSERT_EQ(a.parallel.size(), 2u);
  EXPECT_EQ(a.parallel[0].family, "linear");
  ASSERT_EQ(a.parallel[1].axes.size(), 2u);
  EXPECT_EQ(a.parallel[1].axes[0].name, "xgboost.learning_rate");
  EXPECT_EQ(a.parallel[1].axes[0].label, "learning_rate");
  EXPECT_EQ(a.parallel[1].axes[1].kind, "int");
  for (const auto& pc : a.parallel)
    for (const auto& row : pc.points)
      for (const double p : row) {
        EXPECT_GE(p, 0.0);
        EXPECT_LE(p, 1.0);
      }
  // Importance per family and global.
  ASSERT_EQ(a.family_importance.size(), 3u);
  EXPECT_FALSE(a.family_importance[0].available);  // constant: one trial
  const auto& xi = a.family_importance[2];
  ASSERT_TRUE(xi.available) << xi.reason;
  EXPECT_EQ(xi.params[0].name, "xgboost.learning_rate");
  EXPECT_GT(xi.params[0].importance, 0.8);
  const auto& g = a.importance;
  ASSERT_TRUE(g.available) << g.reason;
  EXPECT_EQ(g.method, "fanova+families");
  EXPECT_EQ(g.trials, lin.complete + xgb.complete);
  EXPECT_NEAR(importance_sum(g), 1.0, 1e-9);
  ASSERT_NE(find(g, "model"), nullptr);
  ASSERT_NE(find(g, "linear.l2"), nullptr);
  // Over the uniform measure: xgboost's mean 0.807 and variance 0.048 (learning rate), linear's
  // mean 0.714 and variance 3.2e-5, so between-family variance (0.093/2)^2 = 0.0022 and
  // within-family (0.048 + 3.2e-5)/2 = 0.024: learning rate 0.92, model 0.08, l2 0.001.
  EXPECT_EQ(g.params[0].name, "xgboost.learning_rate");
  EXPECT_NEAR(g.params[0].importance, 0.92, 0.05);
  EXPECT_NEAR(find(g, "model")->importance, 0.08, 0.04);
  EXPECT_LT(find(g, "linear.l2")->importance, 0.01);
  EXPECT_GT(find(g, "linear.l2")->importance, 0.0);
  EXPECT_EQ(find(g, "model")->family, "");
  EXPECT_EQ(find(g, "linear.l2")->family, "linear");
  const nlohmann::json j = a;
  EXPECT_EQ(j["family_importance"].size(), 3u);
  EXPECT_EQ(j["table"][0]["params"]["baseline"], "constant");
}

TEST(SearchAnalysis, RankingMatchesOptunaFanova) {
  const auto ts = run_study(xczy, 60, 21);
  tr::SearchAnalysisOptions o;
  const auto a = tr::analyze_search(ts, StudyDirection::Minimize, o);
  ASSERT_TRUE(a.importance.available);
  std::vector<std::string> ours;
  for (const auto& p : a.importance.params) ours.push_back(p.name);

  nlohmann::json data = nlohmann::json::array();
  for (const auto& t : ts) {
    nlohmann::json p = nlohmann::json::parse(Json(t.params).dump());
    data.push_back({{"params", p}, {"value", t.value()}});
  }
  const test::TempDir dir;
  const auto in = dir.write("trials.json", data.dump());
  const std::string script = R"PY(
import json, sys
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.importance import FanovaImportanceEvaluator
optuna.logging.set_verbosity(optuna.logging.ERROR)
dists = {"x": FloatDistribution(0.0, 1.0), "y": FloatDistribution(-5.0, 5.0),
         "z": FloatDistribution(0.1, 1.0, log=True), "c": CategoricalDistribution(["a", "b", "c"])}
study = optuna.create_study()
for t in json.load(open(sys.argv[1])):
    study.add_trial(optuna.trial.create_trial(params=t["params"], distributions=dists, value=t["value"]))
out = {}
for seed in (0, 1):
    imp = FanovaImportanceEvaluator(seed=seed).evaluate(study)
    out[str(seed)] = [[k, v] for k, v in imp.items()]
print(json.dumps(out))
)PY";
  const auto py = test::run_python(dir, script, "'" + in.string() + "'");
  for (const auto& [seed, ranking] : py.items()) {
    std::vector<std::string> theirs;
    for (const auto& kv : ranking) theirs.push_back(kv[0].get<std::string>());
    EXPECT_EQ(theirs, ours) << "Optuna seed " << seed << ": " << ranking.dump() << "\nours: " << nlohmann::json(a.importance).dump();
  }
  EXPECT_EQ(ours, (std::vector<std::string>{"x", "c", "z", "y"}));
}

TEST(SearchAnalysis, OptunaWrittenStudy) {
  // Optuna 3.1's own file (shared fixture): every state, a +inf COMPLETE value, NaN/inf
  // intermediate values, step/log/int/categorical distributions with null, bool and float choices.
  const test::TempDir dir;
  const auto db = dir.path() / "sample.db";
  std::filesystem::copy_file(std::filesystem::path(GLASSWING_SHARED_DIR) / "fixtures/optuna/optuna-3.1-sample.db", db);
  search::SqliteStorage storage(db);
  const auto ts = storage.get_all_trials(storage.get_study_id_from_name("single"));
  ASSERT_EQ(ts.size(), 14u);
  const auto a = tr::analyze_search(ts, StudyDirection::Minimize);
  EXPECT_EQ(a.complete, 5u);
  EXPECT_EQ(a.pruned, 5u);
  EXPECT_EQ(a.failed, 2u);
  EXPECT_EQ(a.running, 1u);
  EXPECT_EQ(a.waiting, 1u);
  // Trial 10's value is +inf: listed, not plotted.
  ASSERT_EQ(a.best_by_trial.size(), 4u);
  EXPECT_EQ(a.best_trial, 13);
  EXPECT_EQ(a.best_value, 3.25);
  EXPECT_TRUE(std::isinf(a.table[10].value));
  EXPECT_EQ(a.best_by_trial[1].best, a.best_by_trial[0].value);  // 34.19 does not beat 6.34
  EXPECT_EQ(a.best_by_time.size(), 4u);
  EXPECT_DOUBLE_EQ(a.table[0].duration_s, 0.065451);
  EXPECT_TRUE(std::isnan(a.table[11].duration_s));  // RUNNING
  EXPECT_TRUE(std::isnan(a.table[12].start_s));     // WAITING
  ASSERT_EQ(a.problems.size(), 7u);
  EXPECT_EQ(a.problems[1].number, 3);
  EXPECT_EQ(a.problems[1].reason, "pruned at step 0 (intermediate value 42.7141)");
  for (const auto& p : a.parallel)
    for (const auto& row : p.points)
      for (const double v : row)
        if (!std::isnan(v)) {
          EXPECT_GE(v, 0.0);
          EXPECT_LE(v, 1.0);
        }
  const nlohmann::json j = a;
  EXPECT_TRUE(j["table"][10]["value"].is_null());
  EXPECT_TRUE(nlohmann::json::parse(j.dump()).is_object());
}
