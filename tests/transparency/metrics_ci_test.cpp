// Bootstrap confidence intervals and per-fold aggregation: deterministic for a seed, the interval
// contains the point estimate (computed by glasswing::metrics, the scikit-learn-exact registry),
// intervals narrow with more rows, stratified resampling keeps every class, undefined metrics
// are reported (not thrown), and numpy-equal quantiles.

#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "automl/metrics/metrics.hpp"
#include "helpers.hpp"
#include "transparency/metrics_ci.hpp"

using namespace glasswing;
namespace tr = glasswing::transparency;
namespace m = glasswing::metrics;

namespace {

struct Preds {
  std::size_t k = 0;
  std::vector<std::int32_t> y, hard;
  std::vector<double> proba;
};

Preds predictions(const std::string& file, const std::string& target, std::uint64_t seed) {
  const data::Table t = data::read_csv(test::shared_dataset(file));
  Preds p;
  const auto lab = test::class_indices(t, target);
  p.k = lab.classes.size();
  p.y = lab.y;
  p.proba = test::synthetic_proba(p.y, p.k, seed);
  p.hard = m::argmax_labels(p.proba, p.k);
  return p;
}

}  // namespace

TEST(Bootstrap, BinaryIntervalsContainTheEstimateAndAreSeeded) {
  const Preds p = predictions("credit-g.csv", "class", 11);
  const m::Classification d{p.k, p.y, p.hard, p.proba, 1};
  tr::BootstrapOptions o;
  o.resamples = 300;
  o.seed = 5;
  const auto all = tr::bootstrap_all(m::TaskKind::Binary, d, o);
  ASSERT_EQ(all.size(), 5u);  // roc_auc, log_loss, accuracy, balanced_accuracy, f1
  for (const auto& r : all) {
    EXPECT_NEAR(r.estimate, m::compute(r.metric, d), 1e-12) << r.metric;
    EXPECT_LE(r.low, r.estimate) << r.metric;
    EXPECT_GE(r.high, r.estimate) << r.metric;
    EXPECT_LT(r.low, r.high) << r.metric;
    EXPECT_EQ(r.resamples, 300u);
    EXPECT_EQ(r.skipped, 0u);
    EXPECT_EQ(r.seed, 5u);
    EXPECT_TRUE(r.stratified);
    EXPECT_EQ(r.rows, p.y.size());
  }
  // Same seed, same interval; another seed, another interval.
  const auto again = tr::bootstrap_metric("roc_auc", d, o);
  EXPECT_EQ(again.low, all[0].low);
  EXPECT_EQ(again.high, all[0].high);
  o.seed = 6;
  const auto other = tr::bootstrap_metric("roc_auc", d, o);
  EXPECT_TRUE(other.low != all[0].low || other.high != all[0].high);
  const nlohmann::json j = all[0];
  EXPECT_EQ(j["resamples"], 300);
  EXPECT_EQ(j["seed"], 5);
  EXPECT_EQ(j["metric"], "roc_auc");
}

TEST(Bootstrap, NarrowsWithMoreRows) {
  const Preds p = predictions("telco-churn.csv", "churn", 3);
  tr::BootstrapOptions o;
  o.resamples = 200;
  const std::size_t small = 400;
  const m::Classification few{p.k, std::span(p.y).first(small), std::span(p.hard).first(small),
                              std::span(p.proba).first(small * p.k), 1};
  const m::Classification many{p.k, p.y, p.hard, p.proba, 1};
  for (const char* metric : {"roc_auc", "accuracy", "log_loss"}) {
    const auto a = tr::bootstrap_metric(metric, few, o), b = tr::bootstrap_metric(metric, many, o);
    EXPECT_LT(b.high - b.low, 0.6 * (a.high - a.low)) << metric;  // ~sqrt(400/7043) = 0.24
  }
}

TEST(Bootstrap, MulticlassAndRegression) {
  const Preds p = predictions("vehicle.csv", "Class", 9);
  tr::BootstrapOptions o;
  o.resamples = 100;
  const auto all = tr::bootstrap_all(m::TaskKind::Multiclass, m::Classification{p.k, p.y, p.hard, p.proba, 1}, o);
  ASSERT_EQ(all.size(), 3u);  // log_loss, accuracy, balanced_accuracy
  for (const auto& r : all) {
    EXPECT_LE(r.low, r.estimate) << r.metric;
    EXPECT_GE(r.high, r.estimate) << r.metric;
  }
  const data::Table t = data::read_csv(test::shared_dataset("auto-mpg.csv"));
  const auto* y = t.find("Miles_per_Gallon");
  ASSERT_NE(y, nullptr);
  std::vector<double> yt, yp;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0.0, 3.0);
  for (const double v : y->values()) {
    yt.push_back(v);
    yp.push_back(v + noise(rng));
  }
  const auto reg = tr::bootstrap_all(m::Regression{yt, yp}, o);
  ASSERT_EQ(reg.size(), 3u);
  for (const auto& r : reg) {
    EXPECT_FALSE(r.stratified);
    EXPECT_LE(r.low, r.estimate) << r.metric;
    EXPECT_GE(r.high, r.estimate) << r.metric;
  }
  EXPECT_THROW(tr::bootstrap_metric("roc_auc", m::Regression{yt, yp}, o), Error);
  EXPECT_THROW(tr::bootstrap_metric("rmse", m::Classification{p.k, p.y, p.hard, p.proba, 1}, o), Error);
}

TEST(Bootstrap, StratifiedKeepsRareClassesAndUndefinedIsANotice) {
  // 2 positives in 60 rows: plain resampling would often lose both and leave roc_auc undefined.
  std::vector<std::int32_t> y(60, 0);
  y[7] = y[40] = 1;
  std::vector<double> proba;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double s = y[i] ? 0.6 + 0.001 * static_cast<double>(i) : 0.01 * static_cast<double>(i);
    proba.insert(proba.end(), {1.0 - s, s});
  }
  const auto hard = m::argmax_labels(proba, 2);
  tr::BootstrapOptions o;
  o.resamples = 200;
  const auto r = tr::bootstrap_metric("roc_auc", m::Classification{2, y, hard, proba, 1}, o);
  EXPECT_EQ(r.skipped, 0u);
  EXPECT_FALSE(std::isnan(r.low));
  // One class only: undefined everywhere, reported, not thrown.
  const std::vector<std::int32_t> one(60, 0);
  const auto u = tr::bootstrap_metric("roc_auc", m::Classification{2, one, hard, proba, 1}, o);
  EXPECT_TRUE(std::isnan(u.estimate));
  EXPECT_TRUE(std::isnan(u.low) && std::isnan(u.high));
  EXPECT_EQ(u.skipped, 200u);
  EXPECT_FALSE(u.notice.empty());
  EXPECT_TRUE(nlohmann::json(u)["low"].is_null());
  o.resamples = 0;
  EXPECT_THROW(tr::bootstrap_metric("roc_auc", m::Classification{2, y, hard, proba, 1}, o), Error);
  EXPECT_THROW(tr::bootstrap_metric("auc", m::Classification{2, y, hard, proba, 1}, {}), Error);
}

TEST(Bootstrap, QuantileEqualsNumpy) {
  test::TempDir dir;
  std::vector<double> v;
  std::mt19937_64 rng(2);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int i = 0; i < 37; ++i) v.push_back(std::round(noise(rng) * 10.0) / 10.0);
  std::string arr = "[";
  for (std::size_t i = 0; i < v.size(); ++i) arr += (i ? "," : "") + test::num17(v[i]);
  arr += "]";
  const std::vector<double> qs = {0.0, 0.025, 0.1, 0.5, 0.9, 0.975, 1.0};
  const auto np = test::run_python(
      dir, "import json, numpy as np\nprint(json.dumps(np.quantile(np.array(" + arr + "), [0, 0.025, 0.1, 0.5, 0.9, 0.975, 1]).tolist()))\n",
      "");
  ASSERT_EQ(np.size(), qs.size());
  for (std::size_t i = 0; i < qs.size(); ++i) EXPECT_NEAR(tr::quantile(v, qs[i]), np[i].get<double>(), 1e-12) << qs[i];
  EXPECT_TRUE(std::isnan(tr::quantile({}, 0.5)));
}

TEST(Folds, MeanAndSampleSdByHand) {
  const std::vector<double> folds = {0.8, 0.9, NAN, 0.7};
  const auto s = tr::aggregate_folds("roc_auc", folds);
  EXPECT_EQ(s.folds, 4u);
  EXPECT_EQ(s.undefined, 1u);
  EXPECT_NEAR(s.mean, 0.8, 1e-15);
  EXPECT_NEAR(s.sd, 0.1, 1e-15);  // sqrt((0.01 + 0.01 + 0) / 2)
  EXPECT_DOUBLE_EQ(s.min, 0.7);
  EXPECT_DOUBLE_EQ(s.max, 0.9);
  const auto one = tr::aggregate_folds("rmse", std::vector<double>{2.0});
  EXPECT_TRUE(std::isnan(one.sd));
  EXPECT_TRUE(std::isnan(tr::aggregate_folds("r2", std::vector<double>{}).mean));
  EXPECT_THROW(tr::aggregate_folds("auc", folds), Error);
  const nlohmann::json j = s;
  EXPECT_TRUE(j["values"][2].is_null());
  EXPECT_EQ(j["undefined"], 1);
}
