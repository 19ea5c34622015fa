// Pruners (automl/search/pruner.hpp): the registry and its errors, numpy's nanpercentile and
// crc32, each pruner's decisions on hand-built studies (warm-up, interval, NaN, n_min_trials,
// min_resource "auto", bootstrap_count, reduction factor, both directions), the rung system
// attributes, Hyperband's brackets and its filtering of the sampler's history, and
// Trial::should_prune through Study::optimize.
#include <cmath>
#include <limits>
#include <memory>
#include <set>

#include <gtest/gtest.h>

#include "automl/search/in_memory_storage.hpp"
#include "automl/search/pruner.hpp"
#include "automl/search/study.hpp"

namespace glasswing::search {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A study in an in-memory storage with helpers to add trials by hand.
struct HandStudy {
  explicit HandStudy(StudyDirection direction, std::string study_name = "hand")
      : name(std::move(study_name)), dir(direction) {
    id = storage.create_new_study({dir}, name);
  }
  // A finished trial with reports (step -> value).
  std::int64_t add(TrialState state, const std::map<std::int64_t, double>& reports,
                   std::optional<double> value = std::nullopt, const std::map<std::string, Json>& sys = {}) {
    FrozenTrial t;
    t.state = state;
    if (state == TrialState::Complete) t.values = std::vector{value.value_or(0.0)};
    t.intermediate_values = reports;
    t.system_attrs = sys;
    return storage.create_new_trial(id, &t);
  }
  std::int64_t running(const std::map<std::int64_t, double>& reports, const std::map<std::string, Json>& sys = {}) {
    const auto t = storage.create_new_trial(id);
    for (const auto& [s, v] : reports) storage.set_trial_intermediate_value(t, s, v);
    for (const auto& [k, v] : sys) storage.set_trial_system_attr(t, k, v);
    return t;
  }
  bool prune(Pruner& p, std::int64_t trial_id) {
    const PrunerStudy view(storage, id, name, dir);
    return p.prune(view, storage.get_trial(trial_id));
  }
  Json sys(std::int64_t trial_id, const std::string& key) {
    const auto t = storage.get_trial(trial_id);
    const auto it = t.system_attrs.find(key);
    return it == t.system_attrs.end() ? Json() : it->second;
  }

  InMemoryStorage storage;
  std::string name;
  StudyDirection dir;
  std::int64_t id = -1;
};

std::string usage_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

// ------------------------------------------------------------------------------- registry
TEST(SearchPrunerRegistry, NamesDefaultsAndErrors) {
  EXPECT_EQ(pruner_names(), (std::vector<std::string>{"none", "median", "percentile", "successive_halving", "hyperband"}));
  EXPECT_EQ(make_pruner("none")->name(), "none");
  EXPECT_EQ(make_pruner("none", Json())->name(), "none");  // null options = {}
  {
    const auto p = make_pruner("median");
    const auto& o = dynamic_cast<PercentilePruner&>(*p).options();
    EXPECT_EQ(p->name(), "median");
    EXPECT_EQ(o.percentile, 50);
    EXPECT_EQ(o.n_startup_trials, 5);
    EXPECT_EQ(o.n_warmup_steps, 0);
    EXPECT_EQ(o.interval_steps, 1);
    EXPECT_EQ(o.n_min_trials, 1);
  }
  {
    const auto p = make_pruner("percentile", Json::parse(R"({"percentile": 25.5, "n_min_trials": 3})"));
    EXPECT_EQ(dynamic_cast<PercentilePruner&>(*p).options().percentile, 25.5);
    EXPECT_EQ(dynamic_cast<PercentilePruner&>(*p).options().n_min_trials, 3);
  }
  {
    const auto p = make_pruner("successive_halving");
    const auto& o = dynamic_cast<SuccessiveHalvingPruner&>(*p).options();
    EXPECT_FALSE(o.min_resource);  // "auto"
    EXPECT_EQ(o.reduction_factor, 4);
    EXPECT_EQ(o.min_early_stopping_rate, 0);
    EXPECT_EQ(o.bootstrap_count, 0);
    const auto q = make_pruner("successive_halving", Json::parse(R"({"min_resource": "auto", "reduction_factor": 3})"));
    EXPECT_FALSE(dynamic_cast<SuccessiveHalvingPruner&>(*q).options().min_resource);
  }
  {
    const auto p = make_pruner("hyperband");
    const auto& o = dynamic_cast<HyperbandPruner&>(*p).options();
    EXPECT_EQ(o.min_resource, 1);
    EXPECT_FALSE(o.max_resource);
    EXPECT_EQ(o.reduction_factor, 3);
    EXPECT_EQ(o.bootstrap_count, 0);
    EXPECT_EQ(*dynamic_cast<HyperbandPruner&>(*make_pruner("hyperband", Json::parse(R"({"max_resource": 81})")))
                   .options()
                   .max_resource,
              81);
  }

  auto msg = usage_message([] { make_pruner("asha"); });
  EXPECT_NE(msg.find("unknown pruner 'asha'; valid pruners: none, median, percentile, successive_halving, hyperband"),
            std::string::npos)
      << msg;
  msg = usage_message([] { make_pruner("median", Json::parse(R"({"warmup": 3})")); });
  EXPECT_NE(msg.find("has no option 'warmup'; valid options: n_startup_trials, n_warmup_steps, interval_steps, n_min_trials"),
            std::string::npos)
      << msg;
  msg = usage_message([] { make_pruner("none", Json::parse(R"({"x": 1})")); });
  EXPECT_NE(msg.find("valid options: none"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("median", Json::parse("[1]")); });
  EXPECT_NE(msg.find("must be a JSON object"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("median", Json::parse(R"({"n_startup_trials": 2.5})")); });
  EXPECT_NE(msg.find("'n_startup_trials' must be an integer"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("median", Json::parse(R"({"interval_steps": true})")); });
  EXPECT_NE(msg.find("'interval_steps' must be an integer"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("percentile"); });
  EXPECT_NE(msg.find("needs the option 'percentile'"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("percentile", Json::parse(R"({"percentile": 100.5})")); });
  EXPECT_NE(msg.find("percentile must be between 0 and 100, got 100.5"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("median", Json::parse(R"({"interval_steps": 0})")); });
  EXPECT_NE(msg.find("interval_steps must be >= 1"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("median", Json::parse(R"({"n_min_trials": 0})")); });
  EXPECT_NE(msg.find("n_min_trials must be >= 1"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("median", Json::parse(R"({"n_warmup_steps": -1})")); });
  EXPECT_NE(msg.find("n_warmup_steps must be >= 0"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("successive_halving", Json::parse(R"({"min_resource": "fast"})")); });
  EXPECT_NE(msg.find("'min_resource' must be \"auto\" or an integer"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("successive_halving", Json::parse(R"({"min_resource": 0})")); });
  EXPECT_NE(msg.find("min_resource must be \"auto\" or >= 1"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("successive_halving", Json::parse(R"({"reduction_factor": 1})")); });
  EXPECT_NE(msg.find("reduction_factor must be >= 2"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("successive_halving", Json::parse(R"({"bootstrap_count": 2})")); });
  EXPECT_NE(msg.find("bootstrap_count > 0 needs an integer min_resource"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("successive_halving", Json::parse(R"({"min_early_stopping_rate": -1})")); });
  EXPECT_NE(msg.find("min_early_stopping_rate must be >= 0"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("hyperband", Json::parse(R"({"min_resource": 5, "max_resource": 4})")); });
  EXPECT_NE(msg.find("max_resource must be \"auto\" or >= min_resource (5), got 4"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("hyperband", Json::parse(R"({"bootstrap_count": 1})")); });
  EXPECT_NE(msg.find("bootstrap_count > 0 needs an integer max_resource"), std::string::npos) << msg;
  msg = usage_message([] { make_pruner("hyperband", Json::parse(R"({"reduction_factor": 1})")); });
  EXPECT_NE(msg.find("reduction_factor must be >= 2"), std::string::npos) << msg;
  EXPECT_NO_THROW(make_pruner("hyperband", Json::parse(R"({"bootstrap_count": 1, "max_resource": 9})")));
}

// ----------------------------------------------------------------------------- numpy, crc32
TEST(SearchPrunerDetail, NanPercentileIsNumpys) {
  using detail::nanpercentile;
  // Values printed by numpy 1.24's nanpercentile.
  EXPECT_EQ(nanpercentile({4, 1, 3, 2}, 50), 2.5);
  EXPECT_EQ(nanpercentile({1, 2, 3, 4, 5}, 50), 3);
  EXPECT_EQ(nanpercentile({1, 2, 3, 4}, 25), 1.75);
  EXPECT_EQ(nanpercentile({1, 2, 3, 4}, 75), 3.25);
  EXPECT_EQ(nanpercentile({1, 2, 3, 4}, 0), 1);
  EXPECT_EQ(nanpercentile({1, 2, 3, 4}, 100), 4);
  EXPECT_EQ(nanpercentile({7}, 30), 7);
  EXPECT_EQ(nanpercentile({1, kNaN, 3}, 50), 2);  // NaN dropped
  EXPECT_TRUE(std::isnan(nanpercentile({kNaN, kNaN}, 50)));
  EXPECT_TRUE(std::isnan(nanpercentile({}, 50)));
  EXPECT_TRUE(std::isnan(nanpercentile({1, 2, kInf}, 50)));  // numpy's lerp: inf * 0
  EXPECT_EQ(nanpercentile({-kInf, 1, 2}, 50), 1);
  EXPECT_EQ(nanpercentile({1, 2, kInf, kNaN}, 0), 1);
  EXPECT_EQ(nanpercentile({0.1, 0.2, 0.3}, 10), 0.12000000000000001);  // a + diff * gamma
  EXPECT_EQ(nanpercentile({0.1, 0.2, 0.3}, 90), 0.28);                 // b - diff * (1 - gamma)
}

TEST(SearchPrunerDetail, Crc32IsZlibs) {
  EXPECT_EQ(detail::crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(detail::crc32(""), 0u);
  EXPECT_EQ(detail::crc32("study_0"), 0x15f3771cu);  // binascii.crc32(b"study_0")
}

// ------------------------------------------------------------------------------ percentile
TEST(SearchMedianPruner, StartupReportsAndDirection) {
  HandStudy s(StudyDirection::Minimize);
  auto median = make_pruner("median");
  const auto early = s.running({{0, 100.0}});
  EXPECT_FALSE(s.prune(*median, early));  // no COMPLETE trial yet
  for (int i = 1; i <= 4; ++i) s.add(TrialState::Complete, {{0, double(i)}}, double(i));
  EXPECT_FALSE(s.prune(*median, early));  // 4 < n_startup_trials 5
  s.add(TrialState::Complete, {{0, 5.0}}, 5.0);
  s.add(TrialState::Pruned, {{0, -100.0}});  // only COMPLETE trials count
  EXPECT_TRUE(s.prune(*median, early));      // 100 > median 3
  EXPECT_FALSE(s.prune(*median, s.running({{0, 3.0}})));  // equal: kept
  EXPECT_TRUE(s.prune(*median, s.running({{0, 3.0000001}})));
  EXPECT_FALSE(s.prune(*median, s.running({})));  // no reports

  HandStudy m(StudyDirection::Maximize);
  for (int i = 1; i <= 5; ++i) m.add(TrialState::Complete, {{0, double(i)}}, double(i));
  EXPECT_TRUE(m.prune(*median, m.running({{0, 2.5}})));
  EXPECT_FALSE(m.prune(*median, m.running({{0, 3.0}})));
  EXPECT_FALSE(m.prune(*median, m.running({{0, 4.0}})));
}

TEST(SearchMedianPruner, BestOverStepsAgainstThisStep) {
  HandStudy s(StudyDirection::Minimize);
  for (int i = 0; i < 5; ++i) s.add(TrialState::Complete, {{0, 10.0 + i}, {1, 1.0 + i}}, 0);  // median: 12 then 3
  auto median = make_pruner("median");
  // Best over the trial's steps (0.5 at step 0) against the median at its last step (1): kept.
  EXPECT_FALSE(s.prune(*median, s.running({{0, 0.5}, {1, 50.0}})));
  EXPECT_TRUE(s.prune(*median, s.running({{0, 11.0}, {1, 5.0}})));  // best 5 > 3
  // A step no COMPLETE trial reported: fewer than n_min_trials (1) -> kept.
  EXPECT_FALSE(s.prune(*median, s.running({{0, 100.0}, {7, 100.0}})));
  // Maximize takes nanmax and the (100 - p)th percentile.
  HandStudy m(StudyDirection::Maximize);
  for (int i = 0; i < 5; ++i) m.add(TrialState::Complete, {{0, 1.0 + i}}, 0);
  auto p25 = make_pruner("percentile", Json::parse(R"({"percentile": 25})"));  // keeps the top 25 %
  EXPECT_TRUE(m.prune(*p25, m.running({{0, 3.9}})));  // 75th percentile = 4
  EXPECT_FALSE(m.prune(*p25, m.running({{0, 4.0}})));
  auto p75 = make_pruner("percentile", Json::parse(R"({"percentile": 75})"));
  EXPECT_FALSE(m.prune(*p75, m.running({{0, 2.0}})));  // 25th percentile = 2
  EXPECT_TRUE(m.prune(*p75, m.running({{0, 1.9}})));
}

TEST(SearchMedianPruner, WarmupAndInterval) {
  HandStudy s(StudyDirection::Minimize);
  std::map<std::int64_t, double> reports;
  for (int step = 0; step < 12; ++step) reports[step] = 1.0;
  for (int i = 0; i < 5; ++i) s.add(TrialState::Complete, reports, 1.0);
  auto warm = make_pruner("median", Json::parse(R"({"n_warmup_steps": 3})"));
  EXPECT_FALSE(s.prune(*warm, s.running({{0, 9.0}, {1, 9.0}, {2, 9.0}})));  // step 2 < 3
  EXPECT_TRUE(s.prune(*warm, s.running({{0, 9.0}, {1, 9.0}, {2, 9.0}, {3, 9.0}})));

  // Windows of 3 from warm-up step 2: [2,4], [5,7], [8,10]; only the first report in a window is judged.
  auto interval = make_pruner("median", Json::parse(R"({"n_warmup_steps": 2, "interval_steps": 3})"));
  std::map<std::int64_t, double> r;
  std::vector<int> judged;
  for (int step = 0; step < 12; ++step) {
    r[step] = 9.0;
    if (s.prune(*interval, s.running(r))) judged.push_back(step);
  }
  EXPECT_EQ(judged, (std::vector<int>{2, 5, 8, 11}));
  // A report that skips steps is judged when the previous report lies in an earlier window.
  EXPECT_TRUE(s.prune(*interval, s.running({{0, 9.0}, {7, 9.0}})));
  EXPECT_FALSE(s.prune(*interval, s.running({{5, 9.0}, {7, 9.0}})));
  EXPECT_TRUE(s.prune(*interval, s.running({{4, 9.0}, {7, 9.0}})));
}

TEST(SearchMedianPruner, NanAndMinTrials) {
  HandStudy s(StudyDirection::Minimize);
  for (int i = 0; i < 5; ++i) s.add(TrialState::Complete, {{0, 1.0 + i}, {1, i < 2 ? 1.0 : kNaN}}, 0);
  auto median = make_pruner("median");
  EXPECT_TRUE(s.prune(*median, s.running({{0, kNaN}})));             // all of its values NaN: pruned
  EXPECT_FALSE(s.prune(*median, s.running({{0, kNaN}, {1, 0.5}})));  // nanmin 0.5
  // Only 2 COMPLETE trials have a number at step 1 (NaN ones are dropped by nanpercentile, but
  // n_min_trials counts reports): median of {1, 1} = 1.
  EXPECT_TRUE(s.prune(*median, s.running({{0, 9.0}, {1, 9.0}})));
  auto min3 = make_pruner("median", Json::parse(R"({"n_min_trials": 6})"));
  EXPECT_FALSE(s.prune(*min3, s.running({{0, 9.0}, {1, 9.0}})));  // 5 reports at step 1 < 6
  // All COMPLETE values at the step NaN: no percentile, kept.
  HandStudy n(StudyDirection::Minimize);
  for (int i = 0; i < 5; ++i) n.add(TrialState::Complete, {{0, kNaN}}, 0);
  EXPECT_FALSE(n.prune(*median, n.running({{0, 9.0}})));
  // inf: the best value may be inf, and numpy's interpolation may give NaN (then kept).
  HandStudy f(StudyDirection::Minimize);
  for (double v : {1.0, 2.0, kInf}) f.add(TrialState::Complete, {{0, v}}, 0);
  auto one = make_pruner("median", Json::parse(R"({"n_startup_trials": 1})"));
  EXPECT_FALSE(f.prune(*one, f.running({{0, 100.0}})));  // {1, 2, inf}: lerp(2, inf, 0) is NaN: kept
  HandStudy g(StudyDirection::Minimize);
  for (double v : {1.0, 2.0, 3.0}) g.add(TrialState::Complete, {{0, v}}, 0);
  EXPECT_TRUE(g.prune(*one, g.running({{0, kInf}})));    // inf > 2
  EXPECT_FALSE(g.prune(*one, g.running({{0, -kInf}})));
}

// ----------------------------------------------------------------------- successive halving
TEST(SearchSuccessiveHalving, RungsPromotionAndSystemAttributes) {
  HandStudy s(StudyDirection::Minimize);
  auto sh = make_pruner("successive_halving", Json::parse(R"({"min_resource": 1, "reduction_factor": 2})"));
  // Rung 0 is reached at step 1, rung 1 at 2, rung 2 at 4.
  const auto a = s.running({{0, 5.0}});
  EXPECT_FALSE(s.prune(*sh, a));  // step 0 < 1
  EXPECT_TRUE(s.sys(a, "completed_rung_0").is_null());
  s.storage.set_trial_intermediate_value(a, 1, 3.0);
  EXPECT_FALSE(s.prune(*sh, a));  // alone: top max(1, 1/2) -> promoted to rung 1, step 1 < 2
  EXPECT_EQ(s.sys(a, "completed_rung_0"), Json(3.0));
  EXPECT_TRUE(s.sys(a, "completed_rung_0").is_number_float());

  const auto b = s.running({{1, 4.0}});
  EXPECT_TRUE(s.prune(*sh, b));  // {3, 4}: top 1 is 3
  EXPECT_EQ(s.sys(b, "completed_rung_0"), Json(4.0));
  const auto c = s.running({{1, 2.0}});
  EXPECT_FALSE(s.prune(*sh, c));  // {3, 4, 2}: top 1 is 2
  const auto d = s.running({{1, 3.0}});
  EXPECT_FALSE(s.prune(*sh, d));  // {2, 3, 3, 4}: top 2 -> 3, ties count
  // Several rungs in one call: a trial whose first report is at step 4.
  const auto e = s.running({{4, 1.0}});
  EXPECT_FALSE(s.prune(*sh, e));
  for (const char* k : {"completed_rung_0", "completed_rung_1", "completed_rung_2"}) EXPECT_EQ(s.sys(e, k), Json(1.0)) << k;
  EXPECT_TRUE(s.sys(e, "completed_rung_3").is_null());
  // An existing rung attribute is where the trial continues (rung 1 at step 2).
  const auto f = s.running({{2, 9.0}}, {{"completed_rung_0", 0.5}});
  EXPECT_TRUE(s.prune(*sh, f));  // rung 1: {1 (e), 9}: top 1 is 1
  EXPECT_EQ(s.sys(f, "completed_rung_1"), Json(9.0));
  EXPECT_EQ(s.sys(f, "completed_rung_0"), Json(0.5));

  HandStudy m(StudyDirection::Maximize);
  auto shm = make_pruner("successive_halving", Json::parse(R"({"min_resource": 1, "reduction_factor": 2})"));
  EXPECT_FALSE(m.prune(*shm, m.running({{1, 3.0}})));
  EXPECT_TRUE(m.prune(*shm, m.running({{1, 2.0}})));
  EXPECT_FALSE(m.prune(*shm, m.running({{1, 4.0}})));
}

TEST(SearchSuccessiveHalving, NanBootstrapAndEarlyStoppingRate) {
  HandStudy s(StudyDirection::Minimize);
  auto sh = make_pruner("successive_halving", Json::parse(R"({"min_resource": 2, "reduction_factor": 3})"));
  EXPECT_FALSE(s.prune(*sh, s.running({{1, kNaN}})));  // NaN before the promotion step: kept
  const auto n = s.running({{2, kNaN}});
  EXPECT_TRUE(s.prune(*sh, n));  // NaN at the promotion step: pruned, nothing written
  EXPECT_TRUE(s.sys(n, "completed_rung_0").is_null());
  const auto inf = s.running({{2, kInf}});
  EXPECT_FALSE(s.prune(*sh, inf));  // alone, promoted
  EXPECT_EQ(s.sys(inf, "completed_rung_0"), Json(kInf));

  auto boot = make_pruner("successive_halving",
                          Json::parse(R"({"min_resource": 1, "reduction_factor": 2, "bootstrap_count": 2})"));
  HandStudy b(StudyDirection::Minimize);
  EXPECT_TRUE(b.prune(*boot, b.running({{1, 1.0}})));   // 1 competitor <= 2
  EXPECT_TRUE(b.prune(*boot, b.running({{1, 1.0}})));   // 2 <= 2
  EXPECT_FALSE(b.prune(*boot, b.running({{1, 1.0}})));  // 3 > 2, ties promoted

  auto rate = make_pruner("successive_halving",
                          Json::parse(R"({"min_resource": 1, "reduction_factor": 3, "min_early_stopping_rate": 1})"));
  HandStudy r(StudyDirection::Minimize);
  const auto t = r.running({{2, 1.0}});
  EXPECT_FALSE(r.prune(*rate, t));  // the first rung is at 1 * 3^1 = 3
  EXPECT_TRUE(r.sys(t, "completed_rung_0").is_null());
  r.storage.set_trial_intermediate_value(t, 3, 1.0);
  EXPECT_FALSE(r.prune(*rate, t));
  EXPECT_EQ(r.sys(t, "completed_rung_0"), Json(1.0));
  EXPECT_TRUE(r.sys(t, "completed_rung_1").is_null());  // rung 1 at 9
}

TEST(SearchSuccessiveHalving, AutoMinResourceFixedOnce) {
  HandStudy s(StudyDirection::Minimize);
  auto p = make_pruner("successive_halving");
  auto& sh = dynamic_cast<SuccessiveHalvingPruner&>(*p);
  const auto t = s.running({{300, 1.0}});
  EXPECT_FALSE(s.prune(sh, t));  // no COMPLETE trial with reports yet
  EXPECT_FALSE(sh.min_resource());
  s.add(TrialState::Complete, {}, 1.0);           // no reports: does not count
  s.add(TrialState::Pruned, {{999, 1.0}}, 1.0);   // not COMPLETE
  EXPECT_FALSE(s.prune(sh, t));
  EXPECT_FALSE(sh.min_resource());
  s.add(TrialState::Complete, {{0, 1.0}, {250, 1.0}}, 1.0);
  EXPECT_FALSE(s.prune(sh, s.running({{1, 1.0}})));
  EXPECT_EQ(sh.min_resource(), 2);  // max(250 // 100, 1)
  s.add(TrialState::Complete, {{0, 1.0}, {900, 1.0}}, 1.0);
  EXPECT_FALSE(s.prune(sh, s.running({{1, 1.0}})));
  EXPECT_EQ(sh.min_resource(), 2);  // fixed once estimated, as Optuna
  HandStudy small(StudyDirection::Minimize);
  auto q = make_pruner("successive_halving");
  small.add(TrialState::Complete, {{0, 1.0}, {42, 1.0}}, 1.0);
  const auto u = small.running({{1, 1.0}});
  EXPECT_FALSE(small.prune(*q, u));  // min_resource max(0, 1) = 1: promoted alone at step 1
  EXPECT_EQ(small.sys(u, "completed_rung_0"), Json(1.0));
}

// ------------------------------------------------------------------------------- hyperband
TEST(SearchHyperband, BracketsBudgetsAndInitialisation) {
  HandStudy s(StudyDirection::Minimize, "hb-study");
  auto p = make_pruner("hyperband");
  auto& hb = dynamic_cast<HyperbandPruner&>(*p);
  const auto t = s.running({{5, 1.0}});
  EXPECT_FALSE(s.prune(hb, t));  // max_resource "auto": no COMPLETE trial with reports yet
  EXPECT_FALSE(hb.n_brackets());
  EXPECT_FALSE(hb.bracket_of("hb-study", 0));
  std::vector<FrozenTrial> all = s.storage.get_all_trials(s.id);
  hb.filter_for_sampler("hb-study", s.storage.get_trial(t), all);
  EXPECT_EQ(all.size(), 1u);  // nothing filtered before initialisation

  std::map<std::int64_t, double> r;
  for (int step = 0; step < 26; ++step) r[step] = 1.0;
  s.add(TrialState::Complete, r, 1.0);  // max_resource = last step 25 + 1 = 26
  s.prune(hb, t);
  ASSERT_TRUE(hb.n_brackets());
  EXPECT_EQ(*hb.n_brackets(), 3);  // floor(log3(26)) + 1; budgets ceil(3*9/3)=9, ceil(3*3/2)=5, 3
  // Brackets by crc32("hb-study_<number>") % 17 walked through the budgets (9, 5, 3).
  std::set<int> seen;
  for (std::int64_t n = 0; n < 60; ++n) {
    const auto rem = detail::crc32("hb-study_" + std::to_string(n)) % 17u;
    const int expected = rem < 9 ? 0 : rem < 14 ? 1 : 2;
    EXPECT_EQ(hb.bracket_of("hb-study", n), expected) << n;
    seen.insert(expected);
  }
  EXPECT_EQ(seen.size(), 3u);

  // A fixed max_resource needs no trials; max = min gives one bracket.
  auto fixed = make_pruner("hyperband", Json::parse(R"({"min_resource": 2, "max_resource": 2})"));
  HandStudy f(StudyDirection::Minimize);
  EXPECT_FALSE(f.prune(*fixed, f.running({{0, 1.0}})));
  EXPECT_EQ(dynamic_cast<HyperbandPruner&>(*fixed).n_brackets(), 1);
}

TEST(SearchHyperband, EachBracketSeesOnlyItsTrials) {
  // max_resource 9, rf 3: brackets 0 (rungs at 1, 3, 9...), 1 (3, 9) and 2 (9).
  auto p = make_pruner("hyperband", Json::parse(R"({"max_resource": 9})"));
  auto& hb = dynamic_cast<HyperbandPruner&>(*p);
  HandStudy s(StudyDirection::Minimize, "brackets");
  // Find trial numbers of bracket 0 by creating RUNNING trials reporting at step 1.
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(s.running({}));
  hb.prune(PrunerStudy(s.storage, s.id, s.name, s.dir), s.storage.get_trial(ids[0]));  // initialises
  ASSERT_EQ(hb.n_brackets(), 3);
  std::vector<std::int64_t> in0, in1;
  for (const auto id : ids) {
    const auto b = *hb.bracket_of(s.name, s.storage.get_trial(id).number);
    if (b == 0) in0.push_back(id);
    if (b == 1) in1.push_back(id);
  }
  ASSERT_GE(in0.size(), 3u);
  ASSERT_GE(in1.size(), 2u);
  // Bracket 0: rung 0 at step 1 with reduction factor 3.
  s.storage.set_trial_intermediate_value(in0[0], 1, 1.0);
  EXPECT_FALSE(s.prune(hb, in0[0]));
  EXPECT_EQ(s.sys(in0[0], "completed_rung_0"), Json(1.0));
  s.storage.set_trial_intermediate_value(in0[1], 1, 2.0);
  EXPECT_TRUE(s.prune(hb, in0[1]));  // {1, 2}: top 1
  // Bracket 1 does not see bracket 0's rung values: alone at its first rung (step 3).
  s.storage.set_trial_intermediate_value(in1[0], 1, 100.0);
  EXPECT_FALSE(s.prune(hb, in1[0]));  // step 1 < 3
  EXPECT_TRUE(s.sys(in1[0], "completed_rung_0").is_null());
  s.storage.set_trial_intermediate_value(in1[0], 3, 100.0);
  EXPECT_FALSE(s.prune(hb, in1[0]));  // alone in its bracket's rung 0
  EXPECT_EQ(s.sys(in1[0], "completed_rung_0"), Json(100.0));
  s.storage.set_trial_intermediate_value(in1[1], 3, 150.0);
  EXPECT_TRUE(s.prune(hb, in1[1]));  // {100, 150}

  // The sampler's view: only the current trial's bracket.
  auto all = s.storage.get_all_trials(s.id);
  hb.filter_for_sampler(s.name, s.storage.get_trial(in1[0]), all);
  ASSERT_FALSE(all.empty());
  for (const auto& t : all) EXPECT_EQ(hb.bracket_of(s.name, t.number), 1) << t.number;
  EXPECT_LT(all.size(), ids.size());
}

// A sampler that hands every call to a real RandomSampler and records which trial numbers it was shown.
class RecordingSampler final : public Sampler {
 public:
  std::string_view name() const override { return "recording"; }
  double sample_independent(const SamplingContext& ctx, const std::string& param, const Distribution& d) override {
    std::set<std::int64_t> numbers;
    for (const auto& t : ctx.trials) numbers.insert(t.number);
    seen[ctx.current.number] = numbers;
    return inner.sample_independent(ctx, param, d);
  }
  RandomSampler inner{7};
  std::map<std::int64_t, std::set<std::int64_t>> seen;
};

TEST(SearchHyperband, SamplerSeesOnlyTheTrialsBracket) {
  auto sampler = std::make_shared<RecordingSampler>();
  std::shared_ptr<Pruner> pruner = make_pruner("hyperband", Json::parse(R"({"max_resource": 9})"));
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "sampled", {StudyDirection::Minimize}, sampler, pruner);
  OptimizeOptions o;
  o.n_trials = 40;
  const auto rep = study.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", 0, 1);
        for (int step = 0; step < 9; ++step) {
          t.report(x + 1.0 / (step + 1), step);
          if (t.should_prune()) throw TrialPruned();
        }
        return x;
      },
      o);
  EXPECT_EQ(rep.n_trials, 40);
  EXPECT_GT(rep.n_pruned, 0);
  auto& hb = dynamic_cast<HyperbandPruner&>(study.pruner());
  ASSERT_TRUE(hb.n_brackets());
  int filtered = 0;
  for (const auto& [number, shown] : sampler->seen) {
    const auto mine = *hb.bracket_of("sampled", number);
    for (const auto n : shown) EXPECT_EQ(hb.bracket_of("sampled", n), mine) << number << " saw " << n;
    if (number > 0 && shown.size() < static_cast<std::size_t>(number) + 1) ++filtered;
  }
  EXPECT_GT(filtered, 20);  // the history was restricted for nearly every trial
  // Pruned trials keep their last report as value; rungs are in the trials' system attributes.
  int with_rung = 0;
  for (const auto& t : study.trials()) {
    if (t.state == TrialState::Pruned) {
      EXPECT_EQ(t.value(), t.intermediate_values.rbegin()->second);
    }
    with_rung += t.system_attrs.contains("completed_rung_0") ? 1 : 0;
  }
  EXPECT_GT(with_rung, 0);
}

// ------------------------------------------------------------------------------------ Study
TEST(SearchStudyPruning, ShouldPruneThroughOptimize) {
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "p", {StudyDirection::Minimize},
                             make_sampler("random", Json{{"seed", 3}}), make_pruner("median"));
  EXPECT_EQ(study.pruner().name(), "median");
  OptimizeOptions o;
  o.n_trials = 30;
  const auto rep = study.optimize(
      [&](Trial& t) {
        const double x = t.suggest_float("x", 0, 10);
        for (int step = 0; step < 5; ++step) {
          t.report(x + 5 - step, step);
          if (t.should_prune()) throw TrialPruned();
        }
        return x;
      },
      o);
  EXPECT_EQ(rep.n_complete + rep.n_pruned, 30);
  EXPECT_GT(rep.n_pruned, 5);
  EXPECT_GE(rep.n_complete, 5);
  // Every pruned trial was worse at step 0 than the median of the COMPLETE trials before it, and
  // every trial after the 5 start-up ones that was kept was not.
  std::vector<double> complete_x;
  for (const auto& t : study.trials()) {
    const double x = t.params.at("x").get<double>();
    if (t.state == TrialState::Pruned) {
      EXPECT_EQ(t.intermediate_values.size(), 1u);  // judged at its first report
      ASSERT_GE(complete_x.size(), 5u);
      EXPECT_GT(x, detail::nanpercentile(complete_x, 50));
    } else {
      ASSERT_EQ(t.state, TrialState::Complete);
      if (complete_x.size() >= 5) {
        EXPECT_LE(x, detail::nanpercentile(complete_x, 50));
      }
      complete_x.push_back(x);
    }
  }

  // No pruner: never prunes; a multi-objective study refuses should_prune.
  auto plain = Study::create(std::make_shared<InMemoryStorage>(), "n", {StudyDirection::Minimize}, make_sampler("random"));
  EXPECT_EQ(plain.pruner().name(), "none");
  auto trial = plain.ask();
  trial.report(1e9, 0);
  EXPECT_FALSE(trial.should_prune());
  auto mo = Study::create(std::make_shared<InMemoryStorage>(), "mo", {StudyDirection::Minimize, StudyDirection::Maximize},
                          make_sampler("random"), make_pruner("median"));
  auto mt = mo.ask();
  const auto msg = usage_message([&] { mt.should_prune(); });
  EXPECT_NE(msg.find("should_prune() is for single-objective studies"), std::string::npos) << msg;
}

}  // namespace
}  // namespace glasswing::search
