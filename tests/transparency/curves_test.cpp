// Curves: equal to scikit-learn 1.2's (Debian's /usr/bin/python3) on the same seeded synthetic
// predictions over shared datasets, to 1e-9: roc_curve, precision_recall_curve,
// average_precision_score, calibration_curve (uniform and quantile), brier_score_loss,
// confusion_matrix at thresholds, and the F1 / balanced-accuracy-maximising thresholds
// (brute force over the distinct scores), the K x K confusion matrix of argmax labels.
// Multiclass datasets go one-vs-rest.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "automl/metrics/metrics.hpp"
#include "helpers.hpp"
#include "transparency/curves.hpp"

using namespace glasswing;
namespace tr = glasswing::transparency;

namespace {

const char* const kScript = R"PY(
import json, sys, warnings
import numpy as np
from sklearn.metrics import (roc_curve, precision_recall_curve, average_precision_score,
                             brier_score_loss, confusion_matrix, f1_score, balanced_accuracy_score)
from sklearn.calibration import calibration_curve
warnings.simplefilter("ignore")
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, ndmin=2)
y = data[:, 0].astype(int)
k = data.shape[1] - 1
P = data[:, 1:]
out = [{"cmk": confusion_matrix(y, P.argmax(axis=1), labels=list(range(k))).tolist()}]
for c in (range(k) if k > 2 else [1]):
    p = data[:, 1 + c]
    t = (y == c).astype(int)
    r = {}
    fpr, tpr, th = roc_curve(t, p, drop_intermediate=True)
    r["roc"] = [fpr.tolist(), tpr.tolist(), th.tolist()]
    pr, rc, pth = precision_recall_curve(t, p)
    r["pr"] = [pr.tolist(), rc.tolist(), pth.tolist()]
    r["ap"] = float(average_precision_score(t, p))
    r["brier"] = float(brier_score_loss(t, p))
    for name, nb, strat in (("cal_u10", 10, "uniform"), ("cal_u7", 7, "uniform"), ("cal_q7", 7, "quantile"), ("cal_q10", 10, "quantile")):
        pt, pp = calibration_curve(t, p, n_bins=nb, strategy=strat)
        r[name] = [pt.tolist(), pp.tolist()]
    r["q7_edges"] = np.percentile(p, np.linspace(0, 1, 8) * 100).tolist()
    r["cm"] = {str(th_): confusion_matrix(t, (p >= th_).astype(int), labels=[0, 1]).ravel().tolist() for th_ in (0.3, 0.5, 0.77)}
    best = {}
    for crit, fn in (("f1", lambda pred: f1_score(t, pred, zero_division=0)), ("balanced_accuracy", lambda pred: balanced_accuracy_score(t, pred))):
        vals = [(fn((p >= u).astype(int)), u) for u in np.unique(p)]
        m = max(v for v, _ in vals)
        best[crit] = [m, max(u for v, u in vals if v >= m - 1e-12)]
    r["best"] = best
    out.append(r)
print(json.dumps(out))
)PY";

void expect_vec(const std::vector<double>& ours, const nlohmann::json& theirs, const std::string& what) {
  ASSERT_EQ(ours.size(), theirs.size()) << what;
  for (std::size_t i = 0; i < ours.size(); ++i) EXPECT_NEAR(ours[i], theirs[i].get<double>(), 1e-9) << what << " [" << i << "]";
}

struct Case {
  std::string file, target;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.file << " (target " << c.target << ")"; }

}  // namespace

class CurvesVsSklearn : public ::testing::TestWithParam<Case> {};

TEST_P(CurvesVsSklearn, EveryCurveWithin1e9) {
  const Case& c = GetParam();
  test::TempDir dir;
  const data::Table table = data::read_csv(test::shared_dataset(c.file));
  const test::Labelled lab = test::class_indices(table, c.target);
  const std::size_t k = lab.classes.size();
  const std::vector<double> proba = test::synthetic_proba(lab.y, k, 42 + k, k > 2 ? 2 : 3);
  {
    std::ofstream csv(dir.path() / "pred.csv");
    csv << "y";
    for (std::size_t j = 0; j < k; ++j) csv << ",p" << j;
    csv << "\n";
    for (std::size_t i = 0; i < lab.y.size(); ++i) {
      csv << lab.y[i];
      for (std::size_t j = 0; j < k; ++j) csv << "," << test::num17(proba[i * k + j]);
      csv << "\n";
    }
  }
  const nlohmann::json sk = test::run_python(dir, kScript, "'" + (dir.path() / "pred.csv").string() + "'");
  std::vector<std::int32_t> positives;
  if (k == 2)
    positives = {1};
  else
    for (std::size_t j = 0; j < k; ++j) positives.push_back(static_cast<std::int32_t>(j));
  ASSERT_EQ(sk.size(), positives.size() + 1);
  // K x K confusion matrix of the argmax labels.
  const auto cmk = tr::confusion_matrix(lab.y, metrics::argmax_labels(proba, k), k, lab.classes);
  EXPECT_EQ(nlohmann::json(cmk.matrix), sk[0]["cmk"]) << c.file;
  const auto ovr = tr::one_vs_rest(lab.y, proba, k, lab.classes);
  ASSERT_EQ(ovr.size(), k);
  for (std::size_t n = 0; n < positives.size(); ++n) {
    const std::int32_t pos = positives[n];
    const auto& r = sk[n + 1];
    const std::string tag = c.file + " class " + std::to_string(pos);
    std::vector<double> score(lab.y.size());
    for (std::size_t i = 0; i < lab.y.size(); ++i) score[i] = proba[i * k + static_cast<std::size_t>(pos)];

    const tr::RocCurve roc = tr::roc_curve(lab.y, score, pos);
    expect_vec(roc.fpr, r["roc"][0], tag + " roc fpr");
    expect_vec(roc.tpr, r["roc"][1], tag + " roc tpr");
    expect_vec(roc.thresholds, r["roc"][2], tag + " roc thresholds");
    const tr::PrCurve pr = tr::pr_curve(lab.y, score, pos);
    expect_vec(pr.precision, r["pr"][0], tag + " precision");
    expect_vec(pr.recall, r["pr"][1], tag + " recall");
    expect_vec(pr.thresholds, r["pr"][2], tag + " pr thresholds");
    EXPECT_NEAR(pr.average_precision, r["ap"].get<double>(), 1e-9) << tag;
    EXPECT_NEAR(tr::average_precision(lab.y, score, pos), r["ap"].get<double>(), 1e-9) << tag;
    EXPECT_NEAR(tr::brier_score(lab.y, score, pos), r["brier"].get<double>(), 1e-9) << tag;
    for (const auto& [name, bins, strategy] :
         {std::tuple{"cal_u10", 10, tr::BinStrategy::Uniform}, std::tuple{"cal_u7", 7, tr::BinStrategy::Uniform},
          std::tuple{"cal_q7", 7, tr::BinStrategy::Quantile}, std::tuple{"cal_q10", 10, tr::BinStrategy::Quantile}}) {
      const auto cal = tr::calibration_curve(lab.y, score, static_cast<std::size_t>(bins), strategy, pos);
      expect_vec(cal.prob_true, r[name][0], tag + " " + name + " prob_true");
      expect_vec(cal.prob_pred, r[name][1], tag + " " + name + " prob_pred");
      EXPECT_EQ(std::accumulate(cal.count.begin(), cal.count.end(), std::size_t{0}), lab.y.size());
      if (std::string(name) == "cal_q7") expect_vec(cal.edges, r["q7_edges"], tag + " quantile edges");
    }
    for (const double th : {0.3, 0.5, 0.77}) {
      const tr::ConfusionMatrix cm = tr::confusion_at(lab.y, score, th, pos);
      const auto& m = r["cm"][nlohmann::json(th).dump()];
      ASSERT_EQ(m.size(), 4u) << th;
      EXPECT_EQ(cm.tn, m[0].get<std::size_t>()) << tag << " " << th;
      EXPECT_EQ(cm.fp, m[1].get<std::size_t>()) << tag << " " << th;
      EXPECT_EQ(cm.fn, m[2].get<std::size_t>()) << tag << " " << th;
      EXPECT_EQ(cm.tp, m[3].get<std::size_t>()) << tag << " " << th;
    }
    const auto best = tr::best_thresholds(lab.y, score, pos);
    ASSERT_EQ(best.size(), 2u);
    for (const auto& b : best) {
      EXPECT_NEAR(b.value, r["best"][b.criterion][0].get<double>(), 1e-9) << tag << " " << b.criterion;
      EXPECT_EQ(b.threshold, r["best"][b.criterion][1].get<double>()) << tag << " " << b.criterion;
    }
    // The one-vs-rest bundle holds the same curves.
    const auto& bundle = ovr[static_cast<std::size_t>(pos)];
    EXPECT_EQ(bundle.label, lab.classes[static_cast<std::size_t>(pos)]);
    EXPECT_EQ(bundle.roc.fpr, roc.fpr);
    EXPECT_EQ(bundle.pr.average_precision, pr.average_precision);
  }
}

INSTANTIATE_TEST_SUITE_P(SharedDatasets, CurvesVsSklearn,
                         ::testing::Values(Case{"credit-g.csv", "class"}, Case{"telco-churn.csv", "churn"},
                                           Case{"sonar.csv", "Class"}, Case{"iris.csv", "species"},
                                           Case{"vehicle.csv", "Class"}),
                         [](const auto& param_info) {
                           std::string n = param_info.param.file.substr(0, param_info.param.file.find('.'));
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(Curves, LiftGainsByHand) {
  // 10 rows, 4 positives; ranked by score: 1 1 0 1 0 0 1 0 0 0.
  const std::vector<std::int32_t> y = {0, 1, 0, 1, 0, 0, 1, 0, 0, 1};
  const std::vector<double> s = {0.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.95};
  const auto g = tr::lift_gains(y, s, 5);
  ASSERT_EQ(g.size(), 5u);
  EXPECT_DOUBLE_EQ(g[0].population, 0.2);
  EXPECT_DOUBLE_EQ(g[0].gain, 0.5);   // 2 of 4 positives in the top 20%
  EXPECT_DOUBLE_EQ(g[0].lift, 2.5);
  EXPECT_DOUBLE_EQ(g[1].gain, 0.75);  // 0.8, 0.7 -> one more
  EXPECT_DOUBLE_EQ(g[1].bin_lift, 0.5 / 0.4);
  EXPECT_DOUBLE_EQ(g[4].gain, 1.0);
  EXPECT_DOUBLE_EQ(g[4].lift, 1.0);
  EXPECT_DOUBLE_EQ(g[0].min_score, 0.9);
}

TEST(Curves, UndefinedAndBadInput) {
  const std::vector<std::int32_t> one = {1, 1, 1};
  const std::vector<double> s = {0.2, 0.5, 0.9};
  const auto roc = tr::roc_curve(one, s, 1);
  EXPECT_TRUE(std::isnan(roc.fpr[1]));
  EXPECT_FALSE(roc.notice.empty());
  EXPECT_THROW(tr::roc_curve(one, std::vector<double>{0.1}, 1), Error);
  EXPECT_THROW(tr::calibration_curve(one, std::vector<double>{0.1, 1.5, 0.2}), Error);
  EXPECT_THROW(tr::calibration_curve(one, s, 0), Error);
  EXPECT_THROW(tr::roc_curve(one, std::vector<double>{0.1, NAN, 0.2}, 1), Error);
}

TEST(Curves, RegressionPlots) {
  const data::Table t = data::read_csv(test::shared_dataset("diamonds.csv"));
  const data::Column* price = t.find("price");
  ASSERT_NE(price, nullptr);
  std::vector<double> y(price->values().begin(), price->values().end()), p;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (const double v : y) p.push_back(v * (1.0 + 0.1 * noise(rng)));
  tr::RegressionPlotOptions opt;
  opt.max_points = 500;
  opt.seed = 3;
  const auto r = tr::regression_plots(y, p, opt);
  EXPECT_EQ(r.rows, y.size());
  ASSERT_EQ(r.index.size(), 500u);
  EXPECT_TRUE(std::is_sorted(r.index.begin(), r.index.end()));
  EXPECT_EQ(std::adjacent_find(r.index.begin(), r.index.end()), r.index.end());  // no repeats
  for (std::size_t i = 0; i < r.index.size(); ++i) {
    EXPECT_EQ(r.actual[i], y[r.index[i]]);
    EXPECT_EQ(r.residual[i], y[r.index[i]] - p[r.index[i]]);
  }
  // Statistics over all rows, not the subsample.
  double sum = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) sum += y[i] - p[i];
  EXPECT_NEAR(r.mean_residual, sum / static_cast<double>(y.size()), 1e-9);
  std::size_t counted = 0;
  for (const auto& b : r.residual_histogram) counted += b.count;
  EXPECT_EQ(counted, y.size());
  // Seeded: the same seed picks the same points, another seed others.
  EXPECT_EQ(tr::regression_plots(y, p, opt).index, r.index);
  opt.seed = 4;
  EXPECT_NE(tr::regression_plots(y, p, opt).index, r.index);
  const nlohmann::json j = r;
  EXPECT_EQ(j["predicted"].size(), 500u);
  EXPECT_EQ(j["residual_histogram"].size(), 30u);
}

TEST(Curves, JsonRoundTrips) {
  const std::vector<std::int32_t> y = {0, 1, 0, 1, 1, 0};
  const std::vector<double> s = {0.1, 0.8, 0.4, 0.6, 0.9, 0.3};
  const tr::BinaryCurves c = tr::binary_curves(y, s);
  const nlohmann::json j = c;
  const auto back = nlohmann::json::parse(j.dump());
  EXPECT_EQ(back["roc"]["fpr"].get<std::vector<double>>(), c.roc.fpr);
  EXPECT_EQ(back["confusion"]["matrix"][1][1].get<std::size_t>(), c.confusion.tp);
  EXPECT_EQ(back["best_thresholds"].size(), 2u);
  EXPECT_DOUBLE_EQ(back["calibration"]["brier"].get<double>(), c.calibration.brier);
}
