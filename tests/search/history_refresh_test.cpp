// The history a trial hands to its sampler: Storage::refresh_trials (the in-memory override
// copies only new and unfinished trials, the default reads everything) and the history a Study
// keeps between trials (taken by the first sampled param, given back by tell); the kernel
// order of the univariate estimator (radix-sorted centres).
#include <algorithm>
#include <cmath>
#include <memory>

#include <gtest/gtest.h>

#include "automl/search/in_memory_storage.hpp"
#include "automl/search/sqlite_storage.hpp"
#include "automl/search/study.hpp"
#include "search_test_util.hpp"

namespace glasswing::search {
namespace {

using testing::TempDir;

void expect_same(const std::vector<FrozenTrial>& a, const std::vector<FrozenTrial>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("trial position " + std::to_string(i));
    EXPECT_EQ(a[i].trial_id, b[i].trial_id);
    EXPECT_EQ(a[i].number, b[i].number);
    EXPECT_EQ(a[i].state, b[i].state);
    EXPECT_EQ(a[i].values, b[i].values);
    EXPECT_EQ(a[i].datetime_start, b[i].datetime_start);
    EXPECT_EQ(a[i].datetime_complete, b[i].datetime_complete);
    EXPECT_EQ(a[i].params, b[i].params);
    EXPECT_EQ(a[i].distributions, b[i].distributions);
    EXPECT_EQ(a[i].user_attrs, b[i].user_attrs);
    EXPECT_EQ(a[i].system_attrs, b[i].system_attrs);
    EXPECT_EQ(a[i].intermediate_values, b[i].intermediate_values);
  }
}

void refresh_matches_get_all_trials(Storage& s) {
  const auto id = s.create_new_study({StudyDirection::Minimize}, "r");
  const auto other = s.create_new_study({StudyDirection::Minimize}, "other");
  const auto x = make_float_distribution(0, 1, false, std::nullopt);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(s.create_new_trial(id));
    s.set_trial_param(ids.back(), "x", 0.25 * i, x);
  }
  s.set_trial_state_values(ids[0], TrialState::Complete, std::vector{1.0});
  s.set_trial_intermediate_value(ids[1], 3, 0.5);

  std::vector<FrozenTrial> kept;  // from empty
  s.refresh_trials(id, kept);
  expect_same(kept, s.get_all_trials(id));

  // Changes to trials that stay RUNNING show (their rows look the same).
  s.set_trial_intermediate_value(ids[1], 4, 0.25);
  s.set_trial_user_attr(ids[2], "k", "v");
  s.refresh_trials(id, kept);
  expect_same(kept, s.get_all_trials(id));

  // Changes to unfinished trials and new trials show; finished ones are kept.
  s.set_trial_state_values(ids[1], TrialState::Pruned);
  s.set_trial_user_attr(ids[2], "k2", "v2");
  s.set_trial_state_values(ids[3], TrialState::Fail);
  ids.push_back(s.create_new_trial(id));
  s.refresh_trials(id, kept);
  expect_same(kept, s.get_all_trials(id));

  // A vector of another study's trials (other ids, more of them) is replaced entirely.
  for (int i = 0; i < 7; ++i) s.create_new_trial(other);
  std::vector<FrozenTrial> foreign = s.get_all_trials(other);
  for (auto& t : foreign) t.state = TrialState::Complete;  // would be kept if matched by position only
  s.refresh_trials(id, foreign);
  expect_same(foreign, s.get_all_trials(id));

  // A stale entry at a finished trial's position but with another id is replaced too.
  std::vector<FrozenTrial> stale = s.get_all_trials(id);
  stale[0].trial_id = ids[2];
  s.refresh_trials(id, stale);
  expect_same(stale, s.get_all_trials(id));

  EXPECT_THROW(s.refresh_trials(9999, kept), Error);
}

TEST(SearchHistory, RefreshTrialsEqualsGetAllTrialsInMemory) {
  InMemoryStorage s;
  refresh_matches_get_all_trials(s);
}

TEST(SearchHistory, RefreshTrialsEqualsGetAllTrialsSqlite) {
  TempDir dir;
  SqliteStorage s(dir / "r.db");
  refresh_matches_get_all_trials(s);
}

// Trial params of a seeded TPE study run with an interleaved ask/tell pattern (two trials open
// at once, told out of order, some failing, some pruned). kept = false tells through a copy of
// the Study, which does not take the trial's history back: every trial then reads the whole
// history (refresh from empty).
std::vector<std::map<std::string, Json>> interleaved_run(const std::shared_ptr<Storage>& storage, bool kept) {
  auto study = Study::create(storage, "h", {StudyDirection::Minimize}, make_sampler("tpe", Json{{"seed", 11}}));
  Study copy = study;
  Study& teller = kept ? study : copy;
  auto suggest = [](Trial& t) {
    const double a = t.suggest_float("a", -3, 3);
    const double b = t.suggest_float("b", 1e-3, 10, true);
    const auto n = t.suggest_int("n", 0, 8);
    const auto c = t.suggest_categorical("c", {Json("x"), Json("y"), Json("z")});
    return a * a + std::log(b) * std::log(b) + static_cast<double>(n) + (c == "y" ? 0.0 : 1.0);
  };
  for (int round = 0; round < 20; ++round) {
    Trial first = study.ask();
    const double v1 = suggest(first);
    Trial second = study.ask();
    const double v2 = suggest(second);
    teller.tell(second, v2);
    if (round % 7 == 3) teller.tell(first, TrialState::Fail);
    else if (round % 5 == 4) teller.tell(first, TrialState::Pruned);
    else teller.tell(first, v1);
  }
  std::vector<std::map<std::string, Json>> out;
  for (const auto& t : study.trials()) out.push_back(t.params);
  return out;
}

TEST(SearchHistory, KeptHistorySamplesAsAFreshReadEveryTrial) {
  // The same seed gives the same trials with the kept (refreshed) history as with a whole read
  // per trial, in memory and on SQLite.
  TempDir dir;
  const auto fresh = interleaved_run(std::make_shared<InMemoryStorage>(), false);
  ASSERT_EQ(fresh.size(), 40u);
  EXPECT_EQ(interleaved_run(std::make_shared<InMemoryStorage>(), true), fresh);
  EXPECT_EQ(interleaved_run(std::make_shared<SqliteStorage>(dir / "kept.db"), true), fresh);
  EXPECT_EQ(interleaved_run(std::make_shared<SqliteStorage>(dir / "fresh.db"), false), fresh);
}

}  // namespace
}  // namespace glasswing::search

namespace glasswing::search {
namespace {

// The univariate estimator orders its kernels by centre, ties by observation index (what a
// stable sort gives): also with many duplicates, negative values and both zeros, where the
// sort switches from std::sort to its radix path (>= 64 observations).
TEST(SearchTpe, KernelOrderByCentreTiesByIndex) {
  for (std::size_t m : {10u, 64u, 300u}) {
    std::vector<double> obs;
    for (std::size_t i = 0; i < m; ++i) {
      const double v = static_cast<double>(static_cast<int>((i * 37) % 23) - 11) / 4.0;  // duplicates, < 0
      obs.push_back(i % 5 == 0 ? (i % 10 == 0 ? -0.0 : 0.0) : v);
    }
    const auto d = make_float_distribution(-3, 3, false, std::nullopt);
    const auto pe = detail::build_parzen_estimator(Distribution{d}, obs, TpeOptions{});
    std::vector<std::size_t> expected(m);
    for (std::size_t i = 0; i < m; ++i) expected[i] = i;
    std::stable_sort(expected.begin(), expected.end(), [&](auto a, auto b) { return obs[a] < obs[b]; });
    EXPECT_EQ(pe.by_centre, expected) << m << " observations";
  }
}

}  // namespace
}  // namespace glasswing::search
