// Fairness by a column: numbers computed by hand on a tiny example; a missing column, small
// groups and groups without positives give notices, not exceptions.

#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "helpers.hpp"
#include "transparency/fairness.hpp"

using namespace glasswing;
namespace tr = glasswing::transparency;

TEST(Fairness, TinyExampleByHand) {
  // Group a: 5 rows, y = 1 1 0 0 0, pred = 1 0 1 0 0 -> selection 2/5, TPR 1/2, FPR 1/3, acc 3/5.
  // Group b: 4 rows, y = 1 1 1 0,   pred = 1 1 1 1   -> selection 1,   TPR 1,   FPR 1,   acc 3/4.
  const data::Table t = data::read_csv_text("g\na\na\na\na\na\nb\nb\nb\nb\n");
  const std::vector<std::int32_t> y = {1, 1, 0, 0, 0, 1, 1, 1, 0}, p = {1, 0, 1, 0, 0, 1, 1, 1, 1};
  tr::FairnessOptions o;
  o.min_group_size = 2;
  const auto r = tr::fairness(t, "g", y, p, 1, o);
  ASSERT_TRUE(r.available);
  ASSERT_EQ(r.groups.size(), 2u);
  const auto& a = r.groups[0];
  const auto& b = r.groups[1];
  EXPECT_EQ(a.group, "a");
  EXPECT_EQ(a.rows, 5u);
  EXPECT_DOUBLE_EQ(a.selection_rate, 0.4);
  EXPECT_DOUBLE_EQ(a.tpr, 0.5);
  EXPECT_DOUBLE_EQ(a.fpr, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(a.accuracy, 0.6);
  EXPECT_DOUBLE_EQ(b.selection_rate, 1.0);
  EXPECT_DOUBLE_EQ(b.tpr, 1.0);
  EXPECT_DOUBLE_EQ(b.fpr, 1.0);
  EXPECT_DOUBLE_EQ(b.accuracy, 0.75);
  EXPECT_EQ(r.reference_group, "b");
  EXPECT_DOUBLE_EQ(a.disparate_impact, 0.4);
  EXPECT_DOUBLE_EQ(b.disparate_impact, 1.0);
  EXPECT_DOUBLE_EQ(r.min_disparate_impact, 0.4);
  EXPECT_TRUE(r.notices.empty());
  const nlohmann::json j = r;
  EXPECT_EQ(j["groups"][0]["group"], "a");
  EXPECT_DOUBLE_EQ(j["min_disparate_impact"].get<double>(), 0.4);
}

TEST(Fairness, NoticesInsteadOfFailures) {
  const data::Table t = data::read_csv_text("g,x\na,1\na,2\na,3\nb,4\n");
  const std::vector<std::int32_t> y = {1, 0, 1, 0}, p = {1, 0, 0, 1};
  const auto missing = tr::fairness(t, "sex", y, p);
  EXPECT_FALSE(missing.available);
  ASSERT_EQ(missing.notices.size(), 1u);
  EXPECT_NE(missing.notices[0].find("'sex' does not exist"), std::string::npos);
  EXPECT_NE(missing.notices[0].find("g, x"), std::string::npos);

  tr::FairnessOptions o;
  o.min_group_size = 3;
  const auto small = tr::fairness(t, "g", y, p, 1, o);
  ASSERT_TRUE(small.available);
  ASSERT_EQ(small.groups.size(), 2u);
  EXPECT_TRUE(small.groups[1].too_small);  // b: 1 row
  EXPECT_TRUE(std::isnan(small.groups[1].tpr));  // b has no actual positive
  EXPECT_EQ(small.reference_group, "a");
  EXPECT_DOUBLE_EQ(small.min_disparate_impact, 1.0);  // only a counts
  EXPECT_EQ(small.notices.size(), 1u);
  EXPECT_NE(small.notices[0].find("'b'"), std::string::npos);

  o.min_group_size = 10;
  const auto none = tr::fairness(t, "g", y, p, 1, o);
  EXPECT_TRUE(std::isnan(none.min_disparate_impact));
  EXPECT_TRUE(none.reference_group.empty());
  EXPECT_FALSE(none.notices.empty());
  EXPECT_THROW(tr::fairness(t, "g", std::vector<std::int32_t>{1}, std::vector<std::int32_t>{1}), Error);
}

TEST(Fairness, NumericColumnByQuartileOnRealData) {
  const data::Table t = data::read_csv(test::shared_dataset("credit-g.csv"));
  const auto lab = test::class_indices(t, "class");  // bad = 0, good = 1
  const auto proba = test::synthetic_proba(lab.y, 2, 8);
  std::vector<std::int32_t> pred;
  for (std::size_t i = 0; i < lab.y.size(); ++i) pred.push_back(proba[2 * i + 1] >= 0.5 ? 1 : 0);
  const auto r = tr::fairness(t, "age", lab.y, pred, 1);
  ASSERT_TRUE(r.available);
  EXPECT_GE(r.groups.size(), 3u);
  EXPECT_LE(r.groups.size(), 4u);
  std::size_t rows = 0, selected = 0;
  for (const auto& g : r.groups) {
    rows += g.rows;
    selected += g.predicted_positive;
    EXPECT_LE(g.disparate_impact, 1.0);
  }
  EXPECT_EQ(rows, t.rows());
  std::size_t expected_selected = 0;
  for (const auto v : pred) expected_selected += v == 1;
  EXPECT_EQ(selected, expected_selected);
  const auto by_sex = tr::fairness(t, "personal_status", lab.y, pred, 1);
  EXPECT_TRUE(by_sex.available);
}
