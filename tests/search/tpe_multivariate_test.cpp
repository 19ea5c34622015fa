// TPE beyond univariate single-objective: relative (multivariate, group) sampling and the
// Trial hook, constant liar, multi-objective TPE (split, hypervolume, below weights), options,
// determinism and quality checks. Interop with Python Optuna is in tpe_interop_test.cpp.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <set>

#include <gtest/gtest.h>

#include "automl/search/in_memory_storage.hpp"
#include "automl/search/study.hpp"

namespace glasswing::search {
namespace {

// A finished trial with the given params (external values) and values.
FrozenTrial make_trial(std::int64_t number, TrialState state, const std::map<std::string, Json>& params,
                       const std::map<std::string, Distribution>& dists,
                       std::optional<std::vector<double>> values = std::nullopt) {
  FrozenTrial t;
  t.trial_id = number + 100;
  t.number = number;
  t.state = state;
  t.params = params;
  t.distributions = dists;
  t.values = std::move(values);
  return t;
}

const Distribution kX = make_float_distribution(0, 1);
const Distribution kY = make_int_distribution(0, 10);
const Distribution kC = make_categorical_distribution({"a", "b"});

TEST(SearchTpeOptions, RegistryAcceptsNewOptionsAndRejectsBadOnes) {
  auto s = make_sampler("tpe", Json{{"multivariate", true}, {"group", true}, {"constant_liar", true}, {"seed", 1}});
  const auto* tpe = dynamic_cast<TpeSampler*>(s.get());
  ASSERT_NE(tpe, nullptr);
  EXPECT_TRUE(tpe->options().multivariate);
  EXPECT_TRUE(tpe->options().group);
  EXPECT_TRUE(tpe->options().constant_liar);
  auto expect_usage = [](const Json& o, const std::string& needle) {
    try {
      make_sampler("tpe", o);
      ADD_FAILURE() << "accepted " << o.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_usage(Json{{"group", true}}, "group needs multivariate");
  expect_usage(Json{{"multivariate", 1}}, "wrong type");
  expect_usage(Json{{"constant_lier", true}}, "constant_liar");  // the list of valid options
  expect_usage(Json{{"constant_lier", true}}, "'constant_lier'");
}

TEST(SearchTpeSpaces, IntersectionIsOptunasIncludePruned) {
  const Distribution x2 = make_float_distribution(0, 2);
  const Distribution single = make_int_distribution(3, 3);
  std::vector<FrozenTrial> h;
  EXPECT_TRUE(detail::intersection_search_space(h).empty());
  h.push_back(make_trial(0, TrialState::Complete, {{"x", 0.5}, {"y", 1}, {"c", "a"}, {"s", 3}},
                         {{"x", kX}, {"y", kY}, {"c", kC}, {"s", single}}, std::vector{1.0}));
  h.push_back(make_trial(1, TrialState::Pruned, {{"x", 0.5}, {"y", 2}, {"c", "b"}, {"s", 3}},
                         {{"x", kX}, {"y", kY}, {"c", kC}, {"s", single}}));
  // FAIL, RUNNING and WAITING trials do not count, whatever their params.
  h.push_back(make_trial(2, TrialState::Fail, {{"x", 0.5}}, {{"x", kX}}));
  h.push_back(make_trial(3, TrialState::Running, {}, {}));
  auto space = detail::intersection_search_space(h);
  EXPECT_EQ(space.size(), 3u);  // the single-valued "s" is not sampled
  EXPECT_TRUE(space.count("x") && space.count("y") && space.count("c"));
  // A changed distribution removes the param; a missing param too.
  h.push_back(make_trial(4, TrialState::Complete, {{"x", 1.5}, {"c", "a"}}, {{"x", x2}, {"c", kC}}, std::vector{2.0}));
  space = detail::intersection_search_space(h);
  ASSERT_EQ(space.size(), 1u);
  EXPECT_EQ(space.begin()->first, "c");
}

TEST(SearchTpeSpaces, GroupDecomposition) {
  const Distribution kZ = make_float_distribution(-1, 1);
  std::vector<FrozenTrial> h;
  h.push_back(make_trial(0, TrialState::Complete, {{"a", 0.1}, {"b", 1}}, {{"a", kX}, {"b", kY}}, std::vector{1.0}));
  h.push_back(make_trial(1, TrialState::Complete, {{"a", 0.1}, {"b", 1}, {"c", "a"}}, {{"a", kX}, {"b", kY}, {"c", kC}},
                         std::vector{1.0}));
  h.push_back(make_trial(2, TrialState::Pruned, {{"d", 0.0}}, {{"d", kZ}}));
  h.push_back(make_trial(3, TrialState::Fail, {{"a", 0.1}, {"e", 0.0}}, {{"a", kX}, {"e", kZ}}));
  const auto groups = detail::group_decomposed_search_space(h);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].size(), 2u);  // {a, b}
  EXPECT_TRUE(groups[0].count("a") && groups[0].count("b"));
  EXPECT_TRUE(groups[1].count("c"));
  EXPECT_TRUE(groups[2].count("d"));
}

TEST(SearchTpeSplit, ConstantLiarPutsOtherRunningTrialsAbove) {
  std::vector<FrozenTrial> h;
  for (int i = 0; i < 12; ++i) {
    h.push_back(make_trial(i, TrialState::Complete, {{"x", 0.1 * (i % 10)}}, {{"x", kX}}, std::vector{double(i)}));
  }
  h.push_back(make_trial(12, TrialState::Running, {{"x", 0.2}}, {{"x", kX}}));
  h.push_back(make_trial(13, TrialState::Running, {}, {}));  // the current trial
  const std::vector dirs{StudyDirection::Minimize};
  auto off = detail::split_trials(dirs, h, h[13].trial_id, false, tpe_default_gamma);
  EXPECT_EQ(off.n, 12u);
  EXPECT_EQ(off.below.size(), 2u);
  EXPECT_EQ(off.above.size(), 10u);
  auto on = detail::split_trials(dirs, h, h[13].trial_id, true, tpe_default_gamma);
  EXPECT_EQ(on.n, 12u);  // running trials do not count towards gamma or the start-up
  EXPECT_EQ(on.below.size(), 2u);
  ASSERT_EQ(on.above.size(), 11u);
  EXPECT_EQ(on.above.back()->number, 12);  // chronological order, the running one included
  EXPECT_EQ(on.below[0]->number, 0);
  EXPECT_EQ(on.below[1]->number, 1);
}

// The liar keeps samples away from a point that running workers are already evaluating.
TEST(SearchTpeSplit, ConstantLiarSpreadsSamples) {
  std::vector<FrozenTrial> h;
  for (int i = 0; i < 30; ++i) {
    const double x = (i + 0.5) / 30.0;
    h.push_back(make_trial(i, TrialState::Complete, {{"x", x}}, {{"x", kX}}, std::vector{(x - 0.5) * (x - 0.5)}));
  }
  for (int i = 0; i < 8; ++i) {
    h.push_back(make_trial(30 + i, TrialState::Running, {{"x", 0.49 + 0.0025 * i}}, {{"x", kX}}));
  }
  const std::vector dirs{StudyDirection::Minimize};
  FrozenTrial cur;
  cur.trial_id = 999;
  const SamplingContext ctx{dirs, h, cur};
  auto near_share = [&](bool liar) {
    int near = 0;
    const int n = 300;
    TpeOptions o;
    o.constant_liar = liar;
    for (int seed = 0; seed < n; ++seed) {
      o.seed = static_cast<std::uint64_t>(seed);
      TpeSampler s(o);
      const double x = s.sample_independent(ctx, "x", kX);
      near += std::abs(x - 0.5) < 0.02;
    }
    return static_cast<double>(near) / n;
  };
  const double without = near_share(false);
  const double with = near_share(true);
  EXPECT_LT(with, 0.6 * without) << "share of samples within 0.02 of the running trials: " << with << " vs "
                                 << without;
}

TEST(SearchTpeMultiObjective, HypervolumeHandCases) {
  EXPECT_DOUBLE_EQ(detail::hypervolume({{1, 2}, {2, 1}}, {3, 3}), 3.0);
  EXPECT_DOUBLE_EQ(detail::hypervolume({{1, 2}, {2, 1}, {2, 2}}, {3, 3}), 3.0);  // dominated point adds nothing
  EXPECT_DOUBLE_EQ(detail::hypervolume({{0, 0, 0}}, {1, 1, 1}), 1.0);
  EXPECT_NEAR(detail::hypervolume({{0, .5, .5}, {.5, 0, .5}, {.5, .5, 0}}, {1, 1, 1}), 0.5, 1e-12);
  EXPECT_NEAR(detail::hypervolume({{0, .5, .5, .5}, {.5, .5, .5, 0}}, {1, 1, 1, 1}), 2 * 0.125 - 0.0625, 1e-12);
  const auto ref = detail::hv_reference_point({{1, -2, 0}, {4, -1, 0}});
  ASSERT_EQ(ref.size(), 3u);
  EXPECT_NEAR(ref[0], 4.4, 1e-12);
  EXPECT_NEAR(ref[1], -0.9, 1e-12);
  EXPECT_EQ(ref[2], 1e-12);
}

TEST(SearchTpeMultiObjective, NondominationRanks) {
  const std::vector<std::vector<double>> p{{1, 5}, {2, 2}, {5, 1}, {3, 3}, {2, 2}, {6, 6}, {4, 4}};
  EXPECT_EQ(detail::nondomination_ranks(p), (std::vector<int>{0, 0, 0, 1, 0, 3, 2}));
  // Peeling stops once n_below points are ranked; the rest share the next rank.
  EXPECT_EQ(detail::nondomination_ranks(p, 3), (std::vector<int>{0, 0, 0, 1, 0, 1, 1}));
}

TEST(SearchTpeMultiObjective, SplitByRankThenHypervolumeSubsetSelection) {
  // Rank 0: (0,2.5), (2.5,0); rank 1: (1,5), (3,3), (5,1); the rest are worse. n=30 -> 3 below:
  // both rank-0 points, then the rank-1 point with the largest hypervolume contribution for the
  // reference point 1.1 * (5, 5): (3,3) with 2.5^2 against 4.5 * 0.5 for the others.
  std::vector<FrozenTrial> h;
  const std::vector<std::vector<double>> front{{0, 2.5}, {1, 5}, {3, 3}, {5, 1}, {2.5, 0}};
  for (std::size_t i = 0; i < front.size(); ++i) {
    h.push_back(make_trial(static_cast<std::int64_t>(i), TrialState::Complete, {{"x", 0.1}}, {{"x", kX}}, front[i]));
  }
  for (int i = 5; i < 30; ++i) {
    h.push_back(make_trial(i, TrialState::Complete, {{"x", 0.2}}, {{"x", kX}}, std::vector{7.0 + i, 7.0 + i}));
  }
  const std::vector dirs{StudyDirection::Minimize, StudyDirection::Minimize};
  const auto split = detail::split_trials(dirs, h, -1, false, tpe_default_gamma);
  ASSERT_EQ(split.below.size(), 3u);
  EXPECT_EQ(split.below[0]->number, 0);
  EXPECT_EQ(split.below[1]->number, 2);
  EXPECT_EQ(split.below[2]->number, 4);
  EXPECT_EQ(split.above.size(), 27u);
  // The same history as maximisation of the negated second objective gives the same split.
  for (auto& t : h) (*t.values)[1] = -(*t.values)[1];
  const auto split2 =
      detail::split_trials({StudyDirection::Minimize, StudyDirection::Maximize}, h, -1, false, tpe_default_gamma);
  ASSERT_EQ(split2.below.size(), 3u);
  EXPECT_EQ(split2.below[1]->number, 2);
}

TEST(SearchTpeMultiObjective, BelowWeightsFromParetoContributions) {
  // Front (1,4), (2,2), (4,1) and (3,3) dominated by (2,2); reference 1.1 * (4,4).
  // Exclusive areas: 1 * 0.4, 2 * 2, 0.4 * 1 -> weights 0.1, 1, 0.1; the dominated point EPS.
  std::vector<FrozenTrial> below;
  const std::vector<std::vector<double>> v{{1, 4}, {2, 2}, {3, 3}, {4, 1}};
  for (std::size_t i = 0; i < v.size(); ++i) {
    below.push_back(make_trial(static_cast<std::int64_t>(i), TrialState::Complete, {}, {}, v[i]));
  }
  below.push_back(make_trial(4, TrialState::Pruned, {}, {}));  // no values: EPS
  std::vector<const FrozenTrial*> ptrs;
  for (const auto& t : below) ptrs.push_back(&t);
  const auto w = detail::mo_weights_below({StudyDirection::Minimize, StudyDirection::Minimize}, ptrs);
  ASSERT_EQ(w.size(), 5u);
  EXPECT_NEAR(w[0], 0.1, 1e-12);
  EXPECT_NEAR(w[1], 1.0, 1e-12);
  EXPECT_EQ(w[2], 1e-12);
  EXPECT_NEAR(w[3], 0.1, 1e-12);
  EXPECT_EQ(w[4], 1e-12);
  // One feasible trial: weight 1.
  const auto one = detail::mo_weights_below({StudyDirection::Minimize, StudyDirection::Minimize}, {ptrs[0]});
  EXPECT_EQ(one, std::vector{1.0});
}

TEST(SearchTpeMultiObjective, HsspPicksGreedyContributionsIn3D) {
  // Boxes up to (2,2,2): 1, 0.02, 0.02, 0.96 -> first (1,1,1); then (1.2,1.2,0.5) adds
  // 0.96 - 0.8*0.8*1 = 0.32 against 0.02 - 0.01 for the others.
  const std::vector<std::vector<double>> p{{1, 1, 1}, {0, 1.9, 1.9}, {1.9, 0, 1.9}, {1.2, 1.2, 0.5}};
  const auto sel = detail::solve_hssp(p, 2, {2, 2, 2});
  ASSERT_EQ(sel.size(), 2u);
  EXPECT_EQ(sel[0], 0u);
  EXPECT_EQ(sel[1], 3u);
  // Duplicates: every distinct point first, then the earliest duplicates.
  const auto dup = detail::solve_hssp({{1, 2}, {1, 2}, {2, 1}, {2, 1}}, 3, {3, 3});
  EXPECT_EQ(dup, (std::vector<std::size_t>{0, 1, 2}));
}

// One-dimensional densities are summed in linear space (fast path); they must equal the
// log-space mixture, which multivariate estimators use.
TEST(SearchTpeEstimator, FastOneDimensionalDensityEqualsLogSpaceMixture) {
  std::mt19937_64 rng(3);
  TpeOptions o;
  for (const auto& d : {Distribution(make_float_distribution(-3, 7)), Distribution(make_float_distribution(1e-4, 1, true)),
                        Distribution(make_int_distribution(0, 40, false, 2)), Distribution(make_int_distribution(1, 500, true)),
                        Distribution(make_categorical_distribution({"a", "b", "c", "d"}))}) {
    std::vector<double> obs;
    for (int i = 0; i < 300; ++i) obs.push_back(RandomSampler::sample(rng, d));
    for (bool mv : {false, true}) {
      const auto pe = detail::build_parzen_estimator({d}, {obs}, nullptr, mv, o);
      const auto xs = detail::parzen_sample(pe, rng, 50);
      const auto fast = detail::parzen_log_pdf(pe, xs);
      for (std::size_t c = 0; c < 50; ++c) {
        auto one = pe.dims[0];
        EXPECT_NEAR(fast[c], detail::parzen_log_pdf(one, d, xs[0][c]), 1e-9) << distribution_to_json(d);
        EXPECT_TRUE(contains(d, xs[0][c]));
      }
    }
  }
}

double zdt_like(Trial& t, double& f2) {
  const double x = t.suggest_float("x", 0, 1);
  const double y = t.suggest_float("y", 0, 1);
  const double g = 1 + 9 * y;
  f2 = g * (1 - std::sqrt(x / g));
  return x;
}

double mo_hypervolume(const std::string& sampler, const Json& options, int n) {
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "mo", {StudyDirection::Minimize, StudyDirection::Minimize},
                             make_sampler(sampler, options));
  OptimizeOptions o;
  o.n_trials = n;
  study.optimize(Study::Objective([](Trial& t) {
                   double f2 = 0;
                   const double f1 = zdt_like(t, f2);
                   return std::vector{f1, f2};
                 }),
                 o);
  std::vector<std::vector<double>> pts;
  for (const auto& t : study.trials(std::vector{TrialState::Complete})) pts.push_back(*t.values);
  return detail::hypervolume(pts, {1.1, 11.0});
}

TEST(SearchTpeMultiObjective, MotpeRunsAndBeatsRandom) {
  std::vector<double> tpe, rnd;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    tpe.push_back(mo_hypervolume("tpe", Json{{"seed", seed}}, 80));
    rnd.push_back(mo_hypervolume("random", Json{{"seed", seed}}, 80));
  }
  std::sort(tpe.begin(), tpe.end());
  std::sort(rnd.begin(), rnd.end());
  EXPECT_GT(tpe[2], rnd[2]) << "median hypervolume: tpe " << tpe[2] << " random " << rnd[2];
  // Multivariate MOTPE and determinism.
  EXPECT_EQ(mo_hypervolume("tpe", Json{{"seed", 4}, {"multivariate", true}}, 30),
            mo_hypervolume("tpe", Json{{"seed", 4}, {"multivariate", true}}, 30));
}

// A real TPE sampler with call counters, to check the Trial's relative-sampling protocol.
class CountingTpe final : public Sampler {
 public:
  explicit CountingTpe(TpeOptions o) : tpe_(o) {}
  std::string_view name() const override { return "tpe"; }
  double sample_independent(const SamplingContext& ctx, const std::string& p, const Distribution& d) override {
    ++independent;
    independent_names.insert(p);
    return tpe_.sample_independent(ctx, p, d);
  }
  SearchSpace infer_relative_search_space(const SamplingContext& ctx) override {
    ++infer;
    return tpe_.infer_relative_search_space(ctx);
  }
  std::map<std::string, double> sample_relative(const SamplingContext& ctx, const SearchSpace& space) override {
    ++relative;
    last_relative = tpe_.sample_relative(ctx, space);
    return last_relative;
  }
  TpeSampler tpe_;
  int independent = 0, infer = 0, relative = 0;
  std::set<std::string> independent_names;
  std::map<std::string, double> last_relative;
};

TEST(SearchTpeRelative, TrialHookUsesRelativeParamsOncePerTrial) {
  TpeOptions o;
  o.multivariate = true;
  o.seed = 11;
  o.n_startup_trials = 5;
  auto sampler = std::make_shared<CountingTpe>(o);
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "r", {StudyDirection::Minimize}, sampler);
  OptimizeOptions opt;
  opt.n_trials = 12;
  study.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", -5, 5);
        const auto n = t.suggest_int("n", 0, 4);
        return x * x + static_cast<double>(n);
      },
      opt);
  EXPECT_EQ(sampler->infer, 12);
  EXPECT_EQ(sampler->relative, 11);  // trial 0 has an empty relative space (no finished trial)
  // Trial 0 and the 4 more start-up trials sample both params independently; the 7 trials
  // after the start-up take both from sample_relative.
  EXPECT_EQ(sampler->independent, 10);
  const auto last = study.trials().back();
  ASSERT_EQ(sampler->last_relative.size(), 2u);
  EXPECT_EQ(last.internal_param("x"), sampler->last_relative.at("x"));
  EXPECT_EQ(last.internal_param("n"), sampler->last_relative.at("n"));
}

TEST(SearchTpeRelative, DynamicAndConditionalSpaces) {
  TpeOptions o;
  o.multivariate = true;
  o.seed = 3;
  o.n_startup_trials = 4;
  auto sampler = std::make_shared<CountingTpe>(o);
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "dyn", {StudyDirection::Minimize}, sampler);
  OptimizeOptions opt;
  opt.n_trials = 30;
  study.optimize(
      [](Trial& t) {
        const auto kind = t.suggest_categorical("kind", {"lin", "quad"});
        double v = 0;
        if (kind == "lin") v = t.suggest_float("a", 0, 1);  // conditional
        else v = 0.5 + t.suggest_float("b", -1, 1) * t.suggest_float("b", -1, 1);
        // A range that grows with the trial number: never in the intersection space.
        const double r = t.suggest_float("r", 0, 1.0 + static_cast<double>(t.number()));
        return v + 0.01 * r;
      },
      opt);
  for (const auto& t : study.trials()) {
    ASSERT_EQ(t.state, TrialState::Complete);
    EXPECT_EQ(t.params.size(), 3u);
    EXPECT_LE(t.params.at("r").get<double>(), 1.0 + static_cast<double>(t.number));
  }
  // Only "kind" is in every trial with one distribution; a, b and r go through sample_independent.
  EXPECT_EQ(sampler->independent_names, (std::set<std::string>{"kind", "a", "b", "r"}));
  EXPECT_EQ(sampler->last_relative.size(), 1u);
  EXPECT_TRUE(sampler->last_relative.count("kind"));

  // group=True: {kind, r}, {a}, {b} are sampled jointly per group, nothing independently once
  // every group has been seen (r's range still changes, so it falls back to independent).
  TpeOptions g = o;
  g.group = true;
  auto gs = std::make_shared<CountingTpe>(g);
  auto gstudy = Study::create(std::make_shared<InMemoryStorage>(), "grp", {StudyDirection::Minimize}, gs);
  gstudy.optimize(
      [](Trial& t) {
        const auto kind = t.suggest_categorical("kind", {"lin", "quad"});
        const double x = t.suggest_float("x", 0, 1);
        const double extra = kind == "lin" ? t.suggest_float("a", 0, 1) : t.suggest_float("b", -1, 1);
        return x + extra * extra;
      },
      opt);
  EXPECT_EQ(gs->tpe_.infer_relative_search_space(
                SamplingContext{gstudy.directions(), gstudy.trials(), FrozenTrial{}}).size(),
            4u);
  const int independent_before = gs->independent;
  OptimizeOptions more;
  more.n_trials = 5;
  gstudy.optimize(
      [](Trial& t) {
        const auto kind = t.suggest_categorical("kind", {"lin", "quad"});
        const double x = t.suggest_float("x", 0, 1);
        const double extra = kind == "lin" ? t.suggest_float("a", 0, 1) : t.suggest_float("b", -1, 1);
        return x + extra * extra;
      },
      more);
  EXPECT_EQ(gs->independent, independent_before);  // all params came from the groups
}

TEST(SearchTpeRelative, EnqueuedParamsWinOverRelativeOnes) {
  TpeOptions o;
  o.multivariate = true;
  o.seed = 5;
  o.n_startup_trials = 2;
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "enq", {StudyDirection::Minimize},
                             std::make_shared<TpeSampler>(o));
  OptimizeOptions opt;
  opt.n_trials = 5;
  auto objective = [](Trial& t) { return t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1); };
  study.optimize(objective, opt);
  study.enqueue_trial({{"x", 0.25}});
  OptimizeOptions one;
  one.n_trials = 1;
  study.optimize(objective, one);
  const auto t = study.trials().back();
  EXPECT_EQ(t.params.at("x"), 0.25);
  EXPECT_GE(t.params.at("y").get<double>(), 0.0);
}

// f has a narrow valley along x = y: a model of the joint distribution finds it faster.
double correlated(Trial& t) {
  const double x = t.suggest_float("x", -3, 3);
  const double y = t.suggest_float("y", -3, 3);
  return (x - y) * (x - y) * 20 + 0.1 * (x + y - 2) * (x + y - 2);
}

std::vector<double> best_values(const Json& base, const std::string& sampler, int n, int seeds) {
  std::vector<double> out;
  for (int seed = 0; seed < seeds; ++seed) {
    Json o = base;
    o["seed"] = seed;
    auto study = Study::create(std::make_shared<InMemoryStorage>(), "c", {StudyDirection::Minimize}, make_sampler(sampler, o));
    OptimizeOptions opt;
    opt.n_trials = n;
    study.optimize(correlated, opt);
    out.push_back(study.best_trial().value());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SearchTpeRelative, MultivariateBeatsRandomOnACorrelatedFunction) {
  const auto mv = best_values(Json{{"multivariate", true}}, "tpe", 200, 5);
  const auto rnd = best_values(Json::object(), "random", 200, 5);
  const auto uni = best_values(Json::object(), "tpe", 200, 5);
  EXPECT_LT(mv[2], rnd[2]) << "median best: multivariate " << mv[2] << ", random " << rnd[2];
  EXPECT_LT(mv[4], rnd[2]) << "worst of multivariate " << mv[4] << " vs median random " << rnd[2];
  RecordProperty("median_best_multivariate", std::to_string(mv[2]));
  RecordProperty("median_best_univariate", std::to_string(uni[2]));
  RecordProperty("median_best_random", std::to_string(rnd[2]));
  std::cout << "median best of 5 seeds x 200 trials: multivariate " << mv[2] << ", univariate " << uni[2]
            << ", random " << rnd[2] << "\n";
}

TEST(SearchTpeRelative, DeterministicWithSeedInEveryMode) {
  auto run = [](const Json& o) {
    auto study = Study::create(std::make_shared<InMemoryStorage>(), "d", {StudyDirection::Minimize}, make_sampler("tpe", o));
    OptimizeOptions opt;
    opt.n_trials = 25;
    study.optimize(correlated, opt);
    std::vector<std::map<std::string, Json>> params;
    for (const auto& t : study.trials()) params.push_back(t.params);
    return params;
  };
  for (const auto& mode : {Json{{"multivariate", true}}, Json{{"multivariate", true}, {"group", true}},
                           Json{{"constant_liar", true}}}) {
    Json a = mode, b = mode;
    a["seed"] = 9;
    b["seed"] = 10;
    EXPECT_EQ(run(a), run(a)) << mode.dump();
    EXPECT_NE(run(a), run(b)) << mode.dump();
  }
}

}  // namespace
}  // namespace glasswing::search
