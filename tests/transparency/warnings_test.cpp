// Data warnings on crafted tables (every kind, with the columns named) and on shared data:
// mpls-stops' constant 'MDC', credit-g with no leak until a copy of the target is added,
// auto-mpg with a leaked copy of a numeric target, train/test duplicates, and drift between two
// halves of a shuffled dataset (none) against a shifted copy (drift).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "helpers.hpp"
#include "transparency/warnings.hpp"

using namespace glasswing;
namespace tr = glasswing::transparency;

namespace {

std::vector<tr::DataWarning> of_kind(const std::vector<tr::DataWarning>& all, tr::WarningKind kind) {
  std::vector<tr::DataWarning> out;
  for (const auto& w : all)
    if (w.kind == kind) out.push_back(w);
  return out;
}

std::vector<std::string> first_columns(const std::vector<tr::DataWarning>& ws) {
  std::vector<std::string> out;
  for (const auto& w : ws) out.push_back(w.columns.empty() ? "" : w.columns.front());
  return out;
}

using Names = std::vector<std::string>;

// A table with a known problem in each column.
std::string crafted_csv(std::size_t n) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::ostringstream s;
  s << "id,const,sparse,noise,leak_label,leak_score,target\n";
  for (std::size_t i = 0; i < n; ++i) {
    const bool yes = i % 7 == 0;  // 1 in 7: imbalanced (ratio 1/6)
    s << 1000 + i * 3 << ",x," << (unit(rng) < 0.75 ? std::string() : std::to_string(unit(rng))) << ","
      << unit(rng) << "," << (yes ? "Y" : "N") << "," << (yes ? 5.0 : 1.0) + unit(rng) << "," << (yes ? "yes" : "no")
      << "\n";
  }
  return s.str();
}

}  // namespace

TEST(DataWarnings, CraftedTableFlagsEachProblem) {
  const data::Table t = data::read_csv_text(crafted_csv(300));
  std::vector<tr::FeatureSignal> signals;
  const auto ws = tr::check_table(t, "target", {}, &signals);
  EXPECT_EQ(first_columns(of_kind(ws, tr::WarningKind::Leakage)), (Names{"leak_label", "leak_score"}));
  EXPECT_EQ(first_columns(of_kind(ws, tr::WarningKind::IdLike)), (Names{"id"}));
  EXPECT_EQ(first_columns(of_kind(ws, tr::WarningKind::Constant)), (Names{"const"}));
  const auto missing = of_kind(ws, tr::WarningKind::HeavyMissing);
  ASSERT_EQ(first_columns(missing), (Names{"sparse"}));
  EXPECT_EQ(missing[0].severity, tr::Severity::Warning);
  EXPECT_GT(missing[0].value, 0.65);
  EXPECT_LT(missing[0].value, 0.85);
  const auto imbalance = of_kind(ws, tr::WarningKind::ClassImbalance);
  ASSERT_EQ(imbalance.size(), 1u);
  EXPECT_NEAR(imbalance[0].value, 43.0 / 257.0, 1e-12);  // 300 rows, every 7th is "yes"
  EXPECT_TRUE(of_kind(ws, tr::WarningKind::DuplicateRows).empty());
  for (const auto& w : ws) {
    EXPECT_FALSE(w.message.empty());
    for (const auto& c : w.columns) EXPECT_NE(w.message.find("'" + c + "'"), std::string::npos) << w.message;
  }
  // The noise feature is measured and weak.
  const auto noise = std::find_if(signals.begin(), signals.end(), [](const auto& s) { return s.column == "noise"; });
  ASSERT_NE(noise, signals.end());
  EXPECT_LT(noise->value, 0.2);
  const nlohmann::json j = ws;
  EXPECT_EQ(j[0]["kind"], "leakage");
  EXPECT_EQ(j[0]["severity"], "critical");
}

TEST(DataWarnings, DuplicateRowsCounted) {
  std::string csv = "a,b,y\n";
  for (int i = 0; i < 50; ++i) csv += std::to_string(i) + ",v" + std::to_string(i % 5) + "," + std::to_string(i % 2) + "\n";
  csv += "3,v3,1\n3,v3,1\n7,v3,1\n";  // two repeats of row 3, one row that differs from row 7 in b
  const auto ws = tr::check_table(data::read_csv_text(csv), "y");
  const auto d = of_kind(ws, tr::WarningKind::DuplicateRows);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].value, 2.0);
  EXPECT_THROW(tr::check_table(data::read_csv_text(csv), "nope"), Error);
}

TEST(DataWarnings, MplsStopsConstantMissingAndImbalance) {
  const data::Table t = data::read_csv(test::shared_dataset("mpls-stops.csv"));
  const auto ws = tr::check_table(t, "personSearch");
  EXPECT_EQ(first_columns(of_kind(ws, tr::WarningKind::Constant)), (Names{"MDC"}));
  EXPECT_EQ(first_columns(of_kind(ws, tr::WarningKind::HeavyMissing)), (Names{"citationIssued"}));
  const auto imb = of_kind(ws, tr::WarningKind::ClassImbalance);
  ASSERT_EQ(imb.size(), 1u);
  EXPECT_NEAR(imb[0].value, 5237.0 / 38462.0, 1e-12);
}

TEST(DataWarnings, CreditGHasNoLeakUntilATargetCopyIsAdded) {
  const data::Table t = data::read_csv(test::shared_dataset("credit-g.csv"));
  std::vector<tr::FeatureSignal> signals;
  const auto ws = tr::check_table(t, "class", {}, &signals);
  EXPECT_TRUE(of_kind(ws, tr::WarningKind::Leakage).empty());
  EXPECT_EQ(signals.size(), 20u);
  for (const auto& s : signals) EXPECT_LT(s.value, 0.5) << s.column << " " << s.method;

  std::vector<data::Column> cols = t.columns();
  const data::Column& y = *t.find("class");
  cols.push_back(data::Column::dictionary("class_copy", y.type(), {y.codes().begin(), y.codes().end()}, y.categories()));
  const auto leaked = tr::check_table(data::Table(std::move(cols)), "class");
  const auto l = of_kind(leaked, tr::WarningKind::Leakage);
  ASSERT_EQ(first_columns(l), (Names{"class_copy"}));
  EXPECT_NEAR(l[0].value, 1.0, 1e-12);
  EXPECT_EQ(l[0].severity, tr::Severity::Critical);
}

TEST(DataWarnings, RegressionLeakOfANumericTarget) {
  const data::Table t = data::read_csv(test::shared_dataset("auto-mpg.csv"));
  std::vector<data::Column> cols = t.columns();
  std::vector<double> copy;
  for (const double v : t.find("Miles_per_Gallon")->values()) copy.push_back(1.609 * v + 3.0);
  cols.push_back(data::Column::numeric("km_per_gallon", data::ColumnType::Float, std::move(copy)));
  std::vector<tr::FeatureSignal> signals;
  const auto ws = tr::check_table(data::Table(std::move(cols)), "Miles_per_Gallon", {}, &signals);
  const auto l = of_kind(ws, tr::WarningKind::Leakage);
  ASSERT_EQ(first_columns(l), (Names{"km_per_gallon"}));
  EXPECT_NEAR(l[0].value, 1.0, 1e-12);
  EXPECT_EQ(l[0].value_name, "r^2");
}

TEST(DataWarnings, TrainTestDuplicates) {
  const data::Table t = data::read_csv(test::shared_dataset("credit-g.csv"));
  std::vector<std::size_t> a(700), b(350);
  std::iota(a.begin(), a.end(), std::size_t{0});
  std::iota(b.begin(), b.end(), std::size_t{650});  // rows 650..699 are in both
  // No duplicate rows within credit-g, so exactly those 50 are found.
  ASSERT_TRUE(of_kind(tr::check_table(t, "class"), tr::WarningKind::DuplicateRows).empty());
  const auto ws = tr::check_train_test(test::take_rows(t, a), test::take_rows(t, b), "class");
  const auto d = of_kind(ws, tr::WarningKind::TrainTestDuplicates);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].value, 50.0);
}

TEST(Drift, ShuffledHalvesDoNotDriftAShiftedCopyDoes) {
  const data::Table t = data::read_csv(test::shared_dataset("telco-churn.csv"));
  std::vector<std::size_t> order(t.rows());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(99));
  const std::vector<std::size_t> first(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2)),
      second(order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2), order.end());
  const data::Table train = test::take_rows(t, first), test_half = test::take_rows(t, second);
  std::vector<tr::DriftResult> results;
  const auto ws = tr::check_train_test(train, test_half, "churn", {}, &results);
  EXPECT_TRUE(of_kind(ws, tr::WarningKind::Drift).empty());
  ASSERT_EQ(results.size(), t.column_count());
  for (const auto& r : results)
    if (!std::isnan(r.psi)) {
      EXPECT_LT(r.psi, 0.05) << r.column;
    }

  // Shift: tenure and monthly_charges up by one standard deviation; contract mostly one value.
  std::vector<data::Column> cols;
  for (const auto& c : test_half.columns()) {
    if (c.name() == "tenure" || c.name() == "monthly_charges") {
      std::vector<double> v(c.values().begin(), c.values().end());
      double mean = 0.0, ss = 0.0;
      for (const double x : v) mean += x / static_cast<double>(v.size());
      for (const double x : v) ss += (x - mean) * (x - mean);
      const double sd = std::sqrt(ss / static_cast<double>(v.size()));
      for (double& x : v) x += sd;
      cols.push_back(data::Column::numeric(c.name(), c.type(), std::move(v)));
    } else if (c.name() == "contract") {
      std::vector<std::int32_t> codes(c.codes().begin(), c.codes().end());
      for (std::size_t i = 0; i < codes.size(); i += 4) codes[i] = 0;
      for (std::size_t i = 1; i < codes.size(); i += 4) codes[i] = 0;
      for (std::size_t i = 2; i < codes.size(); i += 4) codes[i] = 0;
      cols.push_back(data::Column::dictionary(c.name(), c.type(), std::move(codes), c.categories()));
    } else {
      cols.push_back(c);
    }
  }
  const auto shifted = tr::check_train_test(train, data::Table(std::move(cols)), "churn", {}, &results);
  auto drifted = first_columns(of_kind(shifted, tr::WarningKind::Drift));
  std::sort(drifted.begin(), drifted.end());
  EXPECT_EQ(drifted, (Names{"contract", "monthly_charges", "tenure"}));
  for (const auto& r : results) {
    if (r.column == "tenure") {
      EXPECT_EQ(r.method, "psi quantile bins");
      EXPECT_EQ(r.severity, tr::Severity::Critical);
      double train_total = 0.0;
      for (const auto& b : r.bins) train_total += b.train_share;
      EXPECT_NEAR(train_total, 1.0, 1e-12);
    }
  }
  const nlohmann::json j = results;
  EXPECT_EQ(j.size(), t.column_count());
}

TEST(Drift, PsiByHand) {
  // Train: 0.5..99.5 (deciles). Test: all values in the top decile -> PSI from clipped shares.
  std::string train = "x\n", test_csv = "x\n";
  for (int i = 0; i < 100; ++i) train += std::to_string(i) + ".5\n";  // floats: not ID-like
  for (int i = 0; i < 100; ++i) test_csv += "95.5\n";
  const auto r = tr::drift(data::read_csv_text(train), data::read_csv_text(test_csv));
  ASSERT_EQ(r.size(), 1u);
  // 10 train bins of 0.1 each; test: 1.0 in the last bin, 0 (clipped to 1e-4) elsewhere; missing bin 0/0.
  const double expected = 9 * (1e-4 - 0.1) * std::log(1e-4 / 0.1) + (1.0 - 0.1) * std::log(1.0 / 0.1);
  EXPECT_NEAR(r[0].psi, expected, 1e-12);
  EXPECT_EQ(r[0].severity, tr::Severity::Critical);
}

TEST(OverfittingGap, DirectionAware) {
  const auto auc = tr::overfitting_gap("roc_auc", 1.0, 0.8);
  ASSERT_TRUE(auc.has_value());
  EXPECT_NEAR(auc->value, 0.2, 1e-12);
  EXPECT_EQ(auc->severity, tr::Severity::Critical);
  const auto ll = tr::overfitting_gap("log_loss", 0.30, 0.33);  // 0.03 / 0.33 = 9%: warning
  ASSERT_TRUE(ll.has_value());
  EXPECT_NEAR(ll->value, 0.03, 1e-12);
  EXPECT_EQ(ll->severity, tr::Severity::Warning);
  EXPECT_FALSE(tr::overfitting_gap("roc_auc", 0.81, 0.80).has_value());
  EXPECT_FALSE(tr::overfitting_gap("rmse", 5.0, 4.0).has_value());  // worse on train: no gap
  EXPECT_THROW(tr::overfitting_gap("auc", 1.0, 0.8), Error);
}
