// Validation splits: folds partition the rows, keep class shares, never split a group, respect
// time order, are deterministic given the seed; bad requests fail with a clear message.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "automl/common/error.hpp"
#include "automl/engine/validation.hpp"

using namespace glasswing;
using namespace glasswing::engine;

namespace {
void expect_partition(const std::vector<Fold>& folds, std::size_t rows, bool every_row_validated = true) {
  std::vector<int> seen(rows, 0);
  for (const auto& f : folds) {
    std::set<std::size_t> train(f.train.begin(), f.train.end());
    for (const auto i : f.valid) {
      EXPECT_EQ(train.count(i), 0u) << "row " << i << " in both train and valid";
      ++seen[i];
    }
    EXPECT_TRUE(std::is_sorted(f.valid.begin(), f.valid.end()));
    EXPECT_TRUE(std::is_sorted(f.train.begin(), f.train.end()));
  }
  if (every_row_validated) {
    for (std::size_t i = 0; i < rows; ++i) EXPECT_EQ(seen[i], 1) << "row " << i;
  }
}
ValidationRequest req(std::size_t rows, bool classification) {
  ValidationRequest r;
  r.rows = rows;
  r.classification = classification;
  return r;
}
}  // namespace

TEST(Validation, ChoosesBySizeAndRequest) {
  EXPECT_EQ(choose_validation(req(1000, true)).kind, ValidationKind::StratifiedKFold);
  EXPECT_EQ(choose_validation(req(1000, true)).folds, 5u);
  EXPECT_EQ(choose_validation(req(1000, false)).kind, ValidationKind::KFold);
  EXPECT_EQ(choose_validation(req(10000, true)).kind, ValidationKind::StratifiedKFold);  // the largest k-fold table
  EXPECT_EQ(choose_validation(req(10001, false)).kind, ValidationKind::Holdout);
  const auto big = choose_validation(req(250000, true));
  EXPECT_EQ(big.kind, ValidationKind::Holdout);
  EXPECT_DOUBLE_EQ(big.holdout_fraction, 0.2);
  EXPECT_NE(big.reason.find("250000 rows"), std::string::npos) << big.reason;
  ValidationRequest r = req(250000, true);
  r.cv = 3;  // the user's choice wins
  EXPECT_EQ(choose_validation(r).kind, ValidationKind::StratifiedKFold);
  EXPECT_EQ(choose_validation(r).folds, 3u);
  r = req(500, false);
  r.group_column = true;
  EXPECT_EQ(choose_validation(r).kind, ValidationKind::GroupKFold);
  r = req(500, false);
  r.time_column = true;
  EXPECT_EQ(choose_validation(r).kind, ValidationKind::TimeOrdered);
}

TEST(Validation, RejectsImpossibleRequests) {
  const auto usage = [](ValidationRequest r, const std::string& fragment) {
    try {
      choose_validation(r);
      ADD_FAILURE() << "expected an error with " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  ValidationRequest r = req(100, true);
  r.cv = 1;
  usage(r, "--cv 1 is too small");
  r.cv = 500;
  usage(r, "more folds than the 100 rows");
  r.cv = 5;
  r.holdout = 0.2;
  usage(r, "exclude each other");
  r = req(100, true);
  r.holdout = 1.5;
  usage(r, "fraction between 0 and 1");
  r = req(100, true);
  r.group_column = r.time_column = true;
  usage(r, "cannot both");
  usage(req(3, true), "too few to validate");
}

TEST(Validation, StratifiedFoldsKeepClassShares) {
  const std::size_t n = 1003;
  std::vector<std::int32_t> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = i % 10 < 7 ? 0 : (i % 10 < 9 ? 1 : 2);  // 70/20/10
  const auto plan = choose_validation(req(n, true));
  const auto folds = make_folds(plan, n, {y, {}, {}}, 7);
  ASSERT_EQ(folds.size(), 5u);
  expect_partition(folds, n);
  std::map<std::int32_t, std::size_t> total;
  for (const auto c : y) ++total[c];
  for (const auto& f : folds) {
    EXPECT_LE(std::max(f.valid.size(), n / 5 + 1) - std::min(f.valid.size(), n / 5), 1u);
    std::map<std::int32_t, std::size_t> count;
    for (const auto i : f.valid) ++count[y[i]];
    for (const auto& [c, t] : total) EXPECT_NEAR(static_cast<double>(count[c]), static_cast<double>(t) / 5.0, 1.0) << c;
  }
  // Deterministic given the seed; another seed gives other folds.
  EXPECT_EQ(make_folds(plan, n, {y, {}, {}}, 7)[0].valid, folds[0].valid);
  EXPECT_NE(make_folds(plan, n, {y, {}, {}}, 8)[0].valid, folds[0].valid);
}

TEST(Validation, HoldoutIsStratifiedAndKeepsEveryClass) {
  const std::size_t n = 200000;
  std::vector<std::int32_t> y(n, 0);
  for (std::size_t i = 0; i < 5; ++i) y[i * 1000] = 1;  // a tiny class
  const auto plan = choose_validation(req(n, true));
  const auto folds = make_folds(plan, n, {y, {}, {}}, 1);
  ASSERT_EQ(folds.size(), 1u);
  expect_partition(folds, n, false);
  EXPECT_NEAR(static_cast<double>(folds[0].valid.size()), 0.2 * n, 2.0);
  std::size_t rare_valid = 0, rare_train = 0;
  for (const auto i : folds[0].valid) rare_valid += y[i] == 1;
  for (const auto i : folds[0].train) rare_train += y[i] == 1;
  EXPECT_EQ(rare_valid, 1u);
  EXPECT_EQ(rare_train, 4u);
}

TEST(Validation, GroupsNeverStraddle) {
  const std::size_t n = 600;
  std::vector<std::int32_t> g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = static_cast<std::int32_t>((i * 7919) % 37);
  ValidationRequest r = req(n, false);
  r.group_column = true;
  const auto folds = make_folds(choose_validation(r), n, {{}, g, {}}, 3);
  ASSERT_EQ(folds.size(), 5u);
  expect_partition(folds, n);
  for (const auto& f : folds) {
    std::set<std::int32_t> train_groups;
    for (const auto i : f.train) train_groups.insert(g[i]);
    for (const auto i : f.valid) EXPECT_EQ(train_groups.count(g[i]), 0u);
  }
  std::vector<std::int32_t> few(n, 0);
  for (std::size_t i = 0; i < n; ++i) few[i] = static_cast<std::int32_t>(i % 3);
  try {
    make_folds(choose_validation(r), n, {{}, few, {}}, 3);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has 3 groups, fewer than the 5 folds"), std::string::npos) << e.what();
  }
}

TEST(Validation, TimeOrderedValidatesOnlyTheFuture) {
  const std::size_t n = 500;
  std::vector<double> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<double>((i * 37) % n / 10);  // shuffled, with ties
  ValidationRequest r = req(n, false);
  r.time_column = true;
  const auto folds = make_folds(choose_validation(r), n, {{}, {}, t}, 0);
  ASSERT_EQ(folds.size(), 5u);
  expect_partition(folds, n, false);
  for (const auto& f : folds) {
    double train_max = -INFINITY, valid_min = INFINITY;
    for (const auto i : f.train) train_max = std::max(train_max, t[i]);
    for (const auto i : f.valid) valid_min = std::min(valid_min, t[i]);
    EXPECT_LT(train_max, valid_min);
  }
  t[17] = NAN;
  EXPECT_THROW(make_folds(choose_validation(r), n, {{}, {}, t}, 0), Error);
}
