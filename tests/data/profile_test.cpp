// Column profiles and target analysis, checked against values computed independently here.

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/data/profile.hpp"
#include "test_util.hpp"

using namespace glasswing;
using namespace glasswing::data;

TEST(Profile, NumericMomentsAndHistogram) {
  const Table t = read_csv_text("x\n1\n2\n\n4\n10\n");
  const ColumnProfile p = profile_column(t.column(0));
  EXPECT_EQ(p.count, 4u);
  EXPECT_EQ(p.missing, 1u);
  EXPECT_EQ(p.distinct, 4u);
  EXPECT_DOUBLE_EQ(*p.min, 1.0);
  EXPECT_DOUBLE_EQ(*p.max, 10.0);
  EXPECT_DOUBLE_EQ(*p.mean, 4.25);
  EXPECT_NEAR(*p.std, std::sqrt((3.25 * 3.25 + 2.25 * 2.25 + 0.25 * 0.25 + 5.75 * 5.75) / 3.0), 1e-12);
  ASSERT_EQ(p.histogram.size(), 10u);  // integers over a range of 10: one bin per value
  std::size_t sum = 0;
  for (const auto& b : p.histogram) sum += b.count;
  EXPECT_EQ(sum, 4u);
  EXPECT_EQ(p.histogram.front().count, 1u);
  EXPECT_EQ(p.histogram.back().count, 1u);
}

TEST(Profile, CategoricalTopValues) {
  const Table t = read_csv_text("c\nb\na\n\nb\nc\nb\na\n");
  ProfileOptions o;
  o.top_k = 2;
  const ColumnProfile p = profile_column(t.column(0), o);
  EXPECT_EQ(p.distinct, 3u);
  EXPECT_EQ(p.missing, 1u);
  ASSERT_EQ(p.top.size(), 2u);
  EXPECT_EQ(p.top[0].value, "b");
  EXPECT_EQ(p.top[0].count, 3u);
  EXPECT_EQ(p.top[1].value, "a");
  EXPECT_TRUE(p.histogram.empty());
}

TEST(Profile, HistogramCoversEveryValueOfARealDataset) {
  const Table t = read_csv(test::shared_dataset("diamonds.csv"));
  for (const auto& p : profile_table(t)) {
    std::size_t sum = 0;
    for (const auto& b : p.histogram) sum += b.count;
    if (p.histogram.empty()) {
      EXPECT_FALSE(p.top.empty()) << p.name;
    } else {
      EXPECT_EQ(sum, p.count) << p.name;
    }
  }
}

TEST(Target, InfersTasks) {
  const Table credit = read_csv(test::shared_dataset("credit-g.csv"));
  TargetSummary s = analyze_target(credit, "class");
  EXPECT_EQ(s.task, Task::Binary);
  ASSERT_EQ(s.classes.size(), 2u);
  EXPECT_EQ(s.classes[0].value, "good");
  EXPECT_EQ(s.classes[0].count, 700u);
  EXPECT_NEAR(s.minority_share, 0.3, 1e-12);

  s = analyze_target(read_csv(test::shared_dataset("iris.csv")), "species");
  EXPECT_EQ(s.task, Task::Multiclass);
  EXPECT_EQ(s.classes.size(), 3u);

  s = analyze_target(read_csv(test::shared_dataset("digits.csv")), "digit");
  EXPECT_EQ(s.task, Task::Multiclass);
  EXPECT_EQ(s.classes.size(), 10u);

  s = analyze_target(read_csv(test::shared_dataset("diamonds.csv")), "price");
  EXPECT_EQ(s.task, Task::Regression);
  EXPECT_DOUBLE_EQ(*s.min, 326.0);
  EXPECT_DOUBLE_EQ(*s.max, 18823.0);

  s = analyze_target(read_csv(test::shared_dataset("mpls-stops.csv")), "citationIssued");
  EXPECT_EQ(s.task, Task::Binary);
  EXPECT_GT(s.missing, 0u);
}

TEST(TargetBadInput, MissingConstantAndEmptyTargets) {
  const Table t = read_csv_text("alpha,beta,const,empty\n1,x,7,\n2,y,7,\n3,x,7,\n");
  const auto message = [&](const char* target) {
    try {
      analyze_target(t, target);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadInput);
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message("alhpa"),
            "target column 'alhpa' does not exist (did you mean 'alpha'?); the columns are: alpha, beta, const, empty");
  EXPECT_NE(message("const").find("has the single value '7' in every row"), std::string::npos);
  EXPECT_NE(message("empty").find("is entirely missing"), std::string::npos);
  const Table s = read_csv_text("c\nsame\nsame\n");
  EXPECT_THROW(analyze_target(s, "c"), Error);
}
