// Samplers (registry, random, TPE internals and behaviour) and the Study API (ask/tell,
// enqueue, optimize with failures, pruning, timeout, threads, callbacks, cancellation).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "automl/search/in_memory_storage.hpp"
#include "automl/search/sqlite_storage.hpp"
#include "automl/search/study.hpp"
#include "search_test_util.hpp"

namespace glasswing::search {
namespace {

using testing::TempDir;

TEST(SearchSamplerRegistry, NamesOptionsAndErrors) {
  EXPECT_EQ(sampler_names(), (std::vector<std::string>{"random", "tpe"}));
  EXPECT_EQ(make_sampler("random")->name(), "random");
  EXPECT_EQ(make_sampler("tpe", Json::parse(R"({"seed": 1, "n_startup_trials": 5})"))->name(), "tpe");
  try {
    make_sampler("cmaes");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("valid samplers: random, tpe"), std::string::npos) << e.what();
  }
  try {
    make_sampler("tpe", Json::parse(R"({"multivarite": true})"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'multivarite'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_sampler("tpe", Json::parse(R"({"n_startup_trials": "x"})")), Error);
  EXPECT_THROW(make_sampler("random", Json::parse(R"({"seed": 1.5})")), Error);
}

const std::vector<Distribution>& all_kinds() {
  static const std::vector<Distribution> d{
      make_float_distribution(-10, 10), make_float_distribution(1e-5, 0.1, true),
      make_float_distribution(0, 1, false, 0.25), make_int_distribution(0, 20, false, 5),
      make_int_distribution(1, 1024, true), make_categorical_distribution({"adam", "sgd", nullptr, true, 1.5})};
  return d;
}

TEST(SearchRandomSampler, SeededDeterministicInRangeOnGrid) {
  std::vector<StudyDirection> dirs{StudyDirection::Minimize};
  std::vector<FrozenTrial> none;
  FrozenTrial cur;
  const SamplingContext ctx{dirs, none, cur};
  RandomSampler a(42), b(42), c(43);
  bool differs = false;
  std::set<double> cats;
  for (int i = 0; i < 300; ++i) {
    for (const auto& d : all_kinds()) {
      const double va = a.sample_independent(ctx, "p", d);
      EXPECT_EQ(va, b.sample_independent(ctx, "p", d));
      differs |= va != c.sample_independent(ctx, "p", d);
      EXPECT_TRUE(contains(d, va)) << distribution_to_json(d) << " " << va;
      if (std::holds_alternative<CategoricalDistribution>(d)) cats.insert(va);
    }
  }
  EXPECT_TRUE(differs);
  EXPECT_EQ(cats.size(), 5u);
}

TEST(SearchTpe, GammaAndWeightsAreOptunas) {
  EXPECT_EQ(tpe_default_gamma(0), 0u);
  EXPECT_EQ(tpe_default_gamma(10), 1u);
  EXPECT_EQ(tpe_default_gamma(11), 2u);
  EXPECT_EQ(tpe_default_gamma(1000), 25u);
  EXPECT_TRUE(tpe_default_weights(0).empty());
  EXPECT_EQ(tpe_default_weights(24), std::vector<double>(24, 1.0));
  const auto w = tpe_default_weights(30);
  ASSERT_EQ(w.size(), 30u);
  EXPECT_DOUBLE_EQ(w[0], 1.0 / 30);
  EXPECT_DOUBLE_EQ(w[4], 1.0);
  EXPECT_DOUBLE_EQ(w[2], 1.0 / 30 + (1 - 1.0 / 30) * 0.5);
  EXPECT_EQ(w[29], 1.0);
}

TEST(SearchTpe, ParzenEstimatorMatchesOptuna49) {
  TpeOptions o;
  const auto pe = detail::build_parzen_estimator(make_float_distribution(0, 1), {0.1, 0.3, 0.8}, o);
  ASSERT_EQ(pe.sigmas.size(), 4u);
  EXPECT_NEAR(pe.sigmas[0], 0.2, 1e-12);
  EXPECT_NEAR(pe.sigmas[1], 0.5, 1e-12);
  EXPECT_NEAR(pe.sigmas[2], 0.5, 1e-12);
  EXPECT_EQ(pe.mus[3], 0.5);
  EXPECT_EQ(pe.sigmas[3], 1.0);
  for (double w : pe.weights) EXPECT_DOUBLE_EQ(w, 0.25);
  const auto cat = detail::build_parzen_estimator(make_categorical_distribution({"a", "b", "c"}), {0, 2, 2}, o);
  ASSERT_EQ(cat.probs.size(), 4u);
  EXPECT_NEAR(cat.probs[0][0], 0.714285714, 1e-6);
  EXPECT_NEAR(cat.probs[0][1], 0.142857143, 1e-6);
  EXPECT_NEAR(cat.probs[1][2], 0.714285714, 1e-6);
  EXPECT_NEAR(cat.probs[3][1], 1.0 / 3, 1e-12);
}

TEST(SearchTpe, DensitiesAreNormalised) {
  TpeOptions o;
  const Distribution di = make_int_distribution(0, 20, false, 5);
  const auto pi = detail::build_parzen_estimator(di, {5, 10}, o);
  double sum = 0;
  for (int v = 0; v <= 20; v += 5) sum += std::exp(detail::parzen_log_pdf(pi, di, v));
  EXPECT_NEAR(sum, 1.0, 1e-9);
  const Distribution dl = make_int_distribution(1, 64, true);
  const auto pl = detail::build_parzen_estimator(dl, {2, 3, 50}, o);
  sum = 0;
  for (int v = 1; v <= 64; ++v) sum += std::exp(detail::parzen_log_pdf(pl, dl, v));
  EXPECT_NEAR(sum, 1.0, 1e-9);
  const Distribution df = make_float_distribution(-2, 3);
  const auto pf = detail::build_parzen_estimator(df, {-1.5, 0.1, 2.9}, o);
  sum = 0;
  const int steps = 20000;
  for (int i = 0; i < steps; ++i) sum += std::exp(detail::parzen_log_pdf(pf, df, -2 + 5.0 * (i + 0.5) / steps)) * 5.0 / steps;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 500; ++i) {
    for (const auto& [pe, d] : {std::pair{pi, di}, std::pair{pl, dl}, std::pair{pf, df}}) {
      EXPECT_TRUE(contains(d, detail::parzen_sample(pe, d, rng)));
    }
  }
}

double quadratic(Trial& t) {
  const double x = t.suggest_float("x", -10, 10);
  const auto n = t.suggest_int("n", 0, 20, false, 2);
  const auto c = t.suggest_categorical("c", {"good", "bad", "worse"});
  return (x - 2) * (x - 2) + std::abs(static_cast<double>(n) - 10) + (c == "good" ? 0.0 : 5.0);
}

double best_after(const std::string& sampler, std::uint64_t seed, int n) {
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "q", {StudyDirection::Minimize},
                             make_sampler(sampler, Json{{"seed", seed}}));
  OptimizeOptions o;
  o.n_trials = n;
  study.optimize(quadratic, o);
  return study.best_trial().value();
}

TEST(SearchTpe, DeterministicStartsLikeRandomAndBeatsRandom) {
  auto run = [](const std::string& sampler, std::uint64_t seed, int n) {
    auto study = Study::create(std::make_shared<InMemoryStorage>(), "d", {StudyDirection::Minimize},
                               make_sampler(sampler, Json{{"seed", seed}}));
    OptimizeOptions o;
    o.n_trials = n;
    study.optimize(quadratic, o);
    std::vector<std::map<std::string, Json>> params;
    for (const auto& t : study.trials()) params.push_back(t.params);
    return params;
  };
  const auto a = run("tpe", 7, 25);
  EXPECT_EQ(a, run("tpe", 7, 25));
  EXPECT_NE(a, run("tpe", 8, 25));
  const auto r = run("random", 7, 10);
  EXPECT_EQ(std::vector(a.begin(), a.begin() + 10), r);  // start-up trials are the random sampler's
  std::vector<double> tpe, rnd;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    tpe.push_back(best_after("tpe", seed, 60));
    rnd.push_back(best_after("random", seed, 60));
  }
  std::sort(tpe.begin(), tpe.end());
  std::sort(rnd.begin(), rnd.end());
  EXPECT_LT(tpe[2], rnd[2]) << "median best: tpe " << tpe[2] << " random " << rnd[2];
}

TEST(SearchTpe, MaximizeUsesPrunedTrialsAndSupportsMultiObjective) {
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "m", {StudyDirection::Maximize},
                             make_sampler("tpe", Json{{"seed", 3}, {"n_startup_trials", 5}}));
  OptimizeOptions o;
  o.n_trials = 40;
  study.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", 0, 1);
        t.report(x, 0);
        if (t.number() % 4 == 3) throw TrialPruned();
        return -std::abs(x - 0.8);
      },
      o);
  EXPECT_GT(study.best_trial().value(), -0.05);
  EXPECT_EQ(study.trials(std::vector{TrialState::Pruned}).size(), 10u);
  auto mo = Study::create(std::make_shared<InMemoryStorage>(), "mo", {StudyDirection::Minimize, StudyDirection::Minimize},
                          make_sampler("tpe", Json{{"n_startup_trials", 0}}));
  auto t = mo.ask();
  const double x = t.suggest_float("x", 0, 1);  // MOTPE (tpe_multivariate_test.cpp)
  EXPECT_TRUE(x >= 0 && x <= 1);
}

TEST(SearchStudy, AskTellAndEnqueue) {
  auto storage = std::make_shared<InMemoryStorage>();
  auto study = Study::create(storage, "s", {StudyDirection::Minimize}, make_sampler("random", Json{{"seed", 1}}));
  EXPECT_THROW(Study::create(storage, "s", {StudyDirection::Minimize}, make_sampler("random")), Error);
  study.enqueue_trial({{"x", 0.5}, {"c", "sgd"}}, {{"enq", true}});
  auto t = study.ask();
  EXPECT_EQ(t.number(), 0);
  EXPECT_EQ(t.suggest_float("x", 0, 1), 0.5);
  EXPECT_EQ(t.suggest_float("x", 0, 1), 0.5);  // same param, same value
  EXPECT_EQ(t.suggest_categorical("c", {"adam", "sgd"}), "sgd");
  const double y = t.suggest_float("y", 0, 1);  // not fixed: sampled
  EXPECT_TRUE(y >= 0 && y <= 1);
  EXPECT_THROW(t.suggest_int("x", 0, 1), Error);
  auto done = study.tell(t, 1.5);
  EXPECT_EQ(done.state, TrialState::Complete);
  EXPECT_EQ(done.value(), 1.5);
  EXPECT_EQ(done.user_attrs.at("enq"), true);
  EXPECT_THROW(study.tell(t, 2.0), UpdateFinishedTrialError);

  auto t2 = study.ask();
  EXPECT_EQ(t2.number(), 1);
  EXPECT_THROW(study.tell(t2, TrialState::Complete, std::vector{1.0, 2.0}), Error);
  EXPECT_EQ(study.tell(t2, std::nan("")).state, TrialState::Fail);
  EXPECT_EQ(storage->get_trial(t2.trial_id()).system_attrs.at(kFailReasonKey), "the objective returned NaN");

  auto t3 = study.ask();
  t3.report(3.0, 0);
  t3.report(2.0, 4);
  const auto pruned = study.tell(t3, TrialState::Pruned);
  EXPECT_EQ(pruned.values, std::optional(std::vector{2.0}));
  auto t4 = study.ask();
  t4.report(std::nan(""), 0);
  EXPECT_FALSE(study.tell(t4, TrialState::Pruned).values);
  EXPECT_EQ(study.best_trial().number, 0);
  auto loaded = Study::load(storage, "s", make_sampler("tpe"));
  EXPECT_EQ(loaded.trials().size(), 4u);
  EXPECT_THROW(Study::load(storage, "nope", make_sampler("tpe")), Error);
}

TEST(SearchStudy, OptimizeRecordsFailuresAndGoesOn) {
  auto storage = std::make_shared<InMemoryStorage>();
  auto study = Study::create(storage, "o", {StudyDirection::Minimize}, make_sampler("tpe", Json{{"seed", 0}}));
  int calls = 0;
  OptimizeOptions o;
  o.n_trials = 12;
  o.callbacks.push_back([&](const FrozenTrial&) { ++calls; });
  const auto report = study.optimize(
      [](Trial& t) -> double {
        const double x = t.suggest_float("x", 0, 1);
        if (t.number() % 3 == 1) throw std::runtime_error("deliberate failure " + std::to_string(t.number()));
        if (t.number() % 3 == 2) {
          t.report(x, 0);
          throw TrialPruned();
        }
        return x;
      },
      o);
  EXPECT_EQ(report.n_trials, 12);
  EXPECT_EQ(report.n_complete, 4);
  EXPECT_EQ(report.n_failed, 4);
  EXPECT_EQ(report.n_pruned, 4);
  EXPECT_EQ(calls, 12);
  const auto failed = study.trials(std::vector{TrialState::Fail});
  ASSERT_EQ(failed.size(), 4u);
  EXPECT_EQ(failed[0].system_attrs.at(kFailReasonKey), "deliberate failure 1");
  EXPECT_FALSE(failed[0].values);
  // Wrong number of values is a failed trial too, not a crash.
  OptimizeOptions one;
  one.n_trials = 1;
  study.optimize(Study::Objective([](Trial&) { return std::vector<double>{1.0, 2.0}; }), one);
  EXPECT_EQ(study.trials().back().state, TrialState::Fail);
}

TEST(SearchStudy, OptimizeStopsOnTimeoutAndCancel) {
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "t", {StudyDirection::Minimize}, make_sampler("random"));
  OptimizeOptions o;
  o.timeout = std::chrono::milliseconds(150);
  const auto report = study.optimize(
      [](Trial& t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return t.suggest_float("x", 0, 1);
      },
      o);
  EXPECT_TRUE(report.timed_out);
  EXPECT_GE(report.n_trials, 2);
  EXPECT_LE(report.n_trials, 12);
  CancelToken token;
  OptimizeOptions c;
  c.cancel = &token;
  const auto r2 = study.optimize(
      [&](Trial& t) {
        if (t.number() >= report.n_trials + 2) token.cancel();
        return t.suggest_float("x", 0, 1);
      },
      c);
  EXPECT_TRUE(r2.cancelled);
  EXPECT_EQ(r2.n_trials, 3);
}

TEST(SearchStudy, ParallelJobsOnSqlite) {
  TempDir dir;
  auto storage = std::make_shared<SqliteStorage>(dir / "jobs.db");
  auto study = Study::create(storage, "j", {StudyDirection::Minimize}, make_sampler("tpe", Json{{"seed", 5}}));
  OptimizeOptions o;
  o.n_trials = 30;
  o.n_jobs = 3;
  const auto report = study.optimize(quadratic, o);
  EXPECT_EQ(report.n_trials, 30);
  const auto trials = study.trials();
  ASSERT_EQ(trials.size(), 30u);
  for (std::size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));
    EXPECT_EQ(trials[i].state, TrialState::Complete);
    EXPECT_EQ(trials[i].params.size(), 3u);
  }
}

}  // namespace
}  // namespace glasswing::search
