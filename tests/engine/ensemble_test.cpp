// Greedy ensemble selection (automl/engine/ensemble.hpp): hand-checked cases, the guarantees
// (never worse than the best single on the OOF rows, weights sum to 1, deterministic) on random
// data for every metric, complementary models, rows without predictions, bad inputs.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "automl/common/error.hpp"
#include "automl/engine/ensemble.hpp"
#include "automl/metrics/metrics.hpp"

namespace {

using glasswing::Error;
using glasswing::ErrorKind;
using glasswing::engine::blend;
using glasswing::engine::EnsembleOptions;
using glasswing::engine::EnsembleSelection;
using glasswing::engine::EnsembleTarget;
using glasswing::engine::score_predictions;
using glasswing::engine::select_ensemble;

std::vector<std::span<const double>> spans(const std::vector<std::vector<double>>& v) {
  std::vector<std::span<const double>> out;
  for (const auto& x : v) out.emplace_back(x);
  return out;
}

double sum_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

TEST(Ensemble, HandCheckedRegressionComplementaryErrors) {
  // A is y + 1, B is y - 1: each has rmse 1, their average is exact.
  EnsembleTarget y;
  y.y_value = {0, 0, 10, 10};
  const std::vector<std::vector<double>> c = {{1, 1, 11, 11}, {-1, -1, 9, 9}};
  EnsembleOptions o;
  o.rounds = 4;
  const EnsembleSelection s = select_ensemble(spans(c), y, "rmse", o);
  EXPECT_DOUBLE_EQ(s.single_scores[0], 1.0);
  EXPECT_DOUBLE_EQ(s.single_scores[1], 1.0);
  EXPECT_EQ(s.best_single, 0u);  // tie: the lower index
  // Rounds: A (1), A+B (0), 2A+B (1/3, ties go to A), 2A+2B (0).
  ASSERT_EQ(s.trajectory.size(), 4u);
  EXPECT_DOUBLE_EQ(s.trajectory[0], 1.0);
  EXPECT_DOUBLE_EQ(s.trajectory[1], 0.0);
  EXPECT_NEAR(s.trajectory[2], 1.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(s.trajectory[3], 0.0);
  // The earliest best prefix is kept: one of each.
  EXPECT_EQ(s.rounds_kept, 2u);
  EXPECT_EQ(s.counts, (std::vector<int>{1, 1}));
  EXPECT_EQ(s.weights, (std::vector<double>{0.5, 0.5}));
  EXPECT_DOUBLE_EQ(s.score, 0.0);
  EXPECT_TRUE(s.improves);
  EXPECT_EQ(s.rows_scored, 4u);
}

TEST(Ensemble, HandCheckedLogLossWhereAveragingDoesNotHelp) {
  // y = [1, 0]; P(1): A = [0.9, 0.6], B = [0.6, 0.1].
  // log_loss A = -(ln .9 + ln .4)/2 = 0.5108, B = -(ln .6 + ln .9)/2 = 0.3081,
  // average [0.75, 0.35] = -(ln .75 + ln .65)/2 = 0.3592: B alone stays best.
  EnsembleTarget y;
  y.outputs = 2;
  y.y_class = {1, 0};
  const std::vector<std::vector<double>> c = {{0.1, 0.9, 0.4, 0.6}, {0.4, 0.6, 0.9, 0.1}};
  const EnsembleSelection s = select_ensemble(spans(c), y, "log_loss");
  EXPECT_NEAR(s.single_scores[0], -(std::log(0.9) + std::log(0.4)) / 2, 1e-12);
  EXPECT_NEAR(s.single_scores[1], -(std::log(0.6) + std::log(0.9)) / 2, 1e-12);
  EXPECT_EQ(s.best_single, 1u);
  EXPECT_EQ(s.counts[0], 0);  // B only (repeated B's may round a hair better than one)
  EXPECT_EQ(s.weights, (std::vector<double>{0.0, 1.0}));
  EXPECT_DOUBLE_EQ(s.score, s.best_single_score);
  EXPECT_FALSE(s.improves);
  // The blend of A and B has the hand-computed loss.
  const std::vector<double> w = {1, 1};
  const auto avg = blend(spans(c), w, 2);
  EXPECT_NEAR(score_predictions(avg, y, "log_loss"), -(std::log(0.75) + std::log(0.65)) / 2, 1e-12);
}

TEST(Ensemble, ComplementaryClassifiersBeatBothOnAccuracy) {
  // A is right (confidently) on the first half and mildly wrong on the second; B the reverse.
  EnsembleTarget y;
  y.outputs = 2;
  y.y_class = {1, 1, 0, 0};
  const std::vector<std::vector<double>> c = {{0.1, 0.9, 0.1, 0.9, 0.4, 0.6, 0.4, 0.6},
                                              {0.6, 0.4, 0.6, 0.4, 0.9, 0.1, 0.9, 0.1}};
  for (const std::string metric : {"accuracy", "balanced_accuracy", "f1"}) {
    const EnsembleSelection s = select_ensemble(spans(c), y, metric);
    EXPECT_LT(s.best_single_score, 1.0) << metric;
    EXPECT_DOUBLE_EQ(s.score, 1.0) << metric;
    EXPECT_TRUE(s.improves) << metric;
    EXPECT_GT(s.counts[0], 0) << metric;
    EXPECT_GT(s.counts[1], 0) << metric;
  }
  // Accuracy reads argmax of the averaged probabilities: [0.65 0.65 0.35 0.35] -> all right.
  const EnsembleSelection s = select_ensemble(spans(c), y, "accuracy");
  EXPECT_DOUBLE_EQ(s.best_single_score, 0.5);
  EXPECT_EQ(s.weights, (std::vector<double>{0.5, 0.5}));
}

TEST(Ensemble, RocAucReadsTheAveragedPositiveProbability) {
  // Scores: A ranks rows 0..3 as [.8 .2 .6 .7] (one pair wrong), B as [.6 .4 .7 .1].
  EnsembleTarget y;
  y.outputs = 2;
  y.y_class = {1, 0, 1, 0};
  const std::vector<std::vector<double>> c = {{0.2, 0.8, 0.8, 0.2, 0.4, 0.6, 0.3, 0.7},
                                              {0.4, 0.6, 0.6, 0.4, 0.3, 0.7, 0.9, 0.1}};
  const EnsembleSelection s = select_ensemble(spans(c), y, "roc_auc");
  // A: positives .8,.6 vs negatives .2,.7 -> 3 of 4 pairs; B: .6,.7 vs .4,.1 -> 4 of 4.
  EXPECT_DOUBLE_EQ(s.single_scores[0], 0.75);
  EXPECT_DOUBLE_EQ(s.single_scores[1], 1.0);
  EXPECT_DOUBLE_EQ(s.score, 1.0);
  EXPECT_FALSE(s.improves);  // nothing beats a perfect single
}

struct RandomCase {
  std::string task;
  std::size_t outputs;
  std::vector<std::string> metrics;
};

// Random candidates around a random truth: the guarantees hold for every metric.
TEST(Ensemble, NeverWorseThanBestSingleWeightsSumToOneDeterministic) {
  const std::vector<RandomCase> cases = {
      {"binary", 2, {"roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1"}},
      {"multiclass", 4, {"log_loss", "accuracy", "balanced_accuracy"}},
      {"regression", 1, {"rmse", "mae", "r2"}},
  };
  std::mt19937_64 rng(42);
  for (const auto& rc : cases) {
    for (int rep = 0; rep < 3; ++rep) {
      const std::size_t n = 300, m = 6;
      EnsembleTarget y;
      y.outputs = rc.outputs;
      std::uniform_int_distribution<int> cls(0, static_cast<int>(rc.outputs) - 1);
      std::normal_distribution<double> noise(0.0, 1.0);
      if (rc.task == "regression") {
        for (std::size_t i = 0; i < n; ++i) y.y_value.push_back(noise(rng) * 5);
      } else {
        for (std::size_t i = 0; i < n; ++i) y.y_class.push_back(cls(rng));
      }
      std::vector<std::vector<double>> c(m);
      for (std::size_t j = 0; j < m; ++j) {
        const double skill = 0.3 + 0.25 * static_cast<double>(j % 3);
        for (std::size_t i = 0; i < n; ++i) {
          if (rc.task == "regression") {
            c[j].push_back(y.y_value[i] + noise(rng) * (1.0 + static_cast<double>(j)));
          } else {
            std::vector<double> row(rc.outputs);
            double sum = 0;
            for (std::size_t k = 0; k < rc.outputs; ++k) {
              row[k] = std::exp(noise(rng) + (static_cast<int>(k) == y.y_class[i] ? skill * 2 : 0.0));
              sum += row[k];
            }
            for (double v : row) c[j].push_back(v / sum);
          }
        }
      }
      for (const auto& metric : rc.metrics) {
        const bool maximize = glasswing::metrics::info(metric).direction == glasswing::metrics::Direction::Maximize;
        const EnsembleSelection a = select_ensemble(spans(c), y, metric);
        const EnsembleSelection b = select_ensemble(spans(c), y, metric);
        SCOPED_TRACE(rc.task + " " + metric);
        // Determinism.
        EXPECT_EQ(a.counts, b.counts);
        EXPECT_EQ(a.trajectory, b.trajectory);
        EXPECT_EQ(a.score, b.score);
        // Weights: counts / total, sum to 1.
        EXPECT_NEAR(sum_of(a.weights), 1.0, 1e-12);
        int total = 0;
        for (int k : a.counts) total += k;
        EXPECT_EQ(static_cast<std::size_t>(total), a.rounds_kept);
        for (std::size_t j = 0; j < m; ++j) EXPECT_DOUBLE_EQ(a.weights[j], static_cast<double>(a.counts[j]) / total);
        // Never worse than the best single.
        if (maximize) EXPECT_GE(a.score, a.best_single_score);
        else EXPECT_LE(a.score, a.best_single_score);
        for (double s : a.single_scores)
          if (maximize) EXPECT_GE(a.best_single_score, s);
          else EXPECT_LE(a.best_single_score, s);
        // The reported score is the score of the weighted blend, recomputed independently.
        EXPECT_NEAR(score_predictions(blend(spans(c), a.weights, rc.outputs), y, metric), a.score, 1e-9);
        EXPECT_EQ(a.trajectory.size(), 40u);
        EXPECT_EQ(a.rows_scored, n);
      }
    }
  }
}

TEST(Ensemble, SortedInitialisationStartsWithTheBestN) {
  EnsembleTarget y;
  y.y_value = {0, 0, 10, 10};
  const std::vector<std::vector<double>> c = {{3, 3, 13, 13}, {1, 1, 11, 11}, {-1, -1, 9, 9}};
  EnsembleOptions o;
  o.rounds = 3;
  o.init_best = 2;
  const EnsembleSelection s = select_ensemble(spans(c), y, "rmse", o);
  // Init: candidates 1 and 2 (rmse 1 each) -> exact; the trajectory has the init score first.
  ASSERT_EQ(s.trajectory.size(), 4u);
  EXPECT_DOUBLE_EQ(s.trajectory[0], 0.0);
  EXPECT_EQ(s.counts, (std::vector<int>{0, 1, 1}));
  EXPECT_TRUE(s.improves);
}

TEST(Ensemble, RowsWithoutPredictionsAreLeftOut) {
  // A holdout plan: rows 0 and 1 have no OOF prediction (NaN) in either candidate.
  EnsembleTarget y;
  y.y_value = {100, -100, 0, 0, 10, 10};
  const double nan = std::nan("");
  const std::vector<std::vector<double>> c = {{nan, nan, 1, 1, 11, 11}, {nan, nan, -1, -1, 9, 9}};
  const EnsembleSelection s = select_ensemble(spans(c), y, "rmse");
  EXPECT_EQ(s.rows_scored, 4u);
  EXPECT_DOUBLE_EQ(s.best_single_score, 1.0);
  EXPECT_DOUBLE_EQ(s.score, 0.0);
}

TEST(Ensemble, BlendRenormalisesProbabilities) {
  const std::vector<std::vector<double>> c = {{0.2, 0.8}, {0.5, 0.3}};  // the second does not sum to 1
  const std::vector<double> w = {3, 1};
  const auto b = blend(spans(c), w, 2);
  const double p0 = 0.75 * 0.2 + 0.25 * 0.5, p1 = 0.75 * 0.8 + 0.25 * 0.3;
  EXPECT_NEAR(b[0], p0 / (p0 + p1), 1e-15);
  EXPECT_NEAR(b[1], p1 / (p0 + p1), 1e-15);
  const auto r = blend(spans({{1.0, 2.0}, {3.0, 6.0}}), w, 1);  // regression: weighted mean, no renormalising
  EXPECT_DOUBLE_EQ(r[0], 1.5);
  EXPECT_DOUBLE_EQ(r[1], 3.0);
}

TEST(Ensemble, BadInputs) {
  EnsembleTarget y;
  y.y_value = {0, 1, 2};
  const std::vector<std::vector<double>> ok = {{0, 1, 2}};
  auto kind_of = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return static_cast<int>(e.kind());
    }
    return 0;
  };
  EXPECT_EQ(kind_of([&] { select_ensemble({}, y, "rmse"); }), static_cast<int>(ErrorKind::BadInput));
  EXPECT_EQ(kind_of([&] { select_ensemble(spans({{0, 1}}), y, "rmse"); }), static_cast<int>(ErrorKind::BadInput));
  EXPECT_EQ(kind_of([&] { select_ensemble(spans(ok), y, "nonsense"); }), static_cast<int>(ErrorKind::Usage));
  EXPECT_EQ(kind_of([&] { select_ensemble(spans(ok), y, "roc_auc"); }), static_cast<int>(ErrorKind::Usage));
  const double nan = std::nan("");
  EXPECT_EQ(kind_of([&] { select_ensemble(spans({{nan, nan, nan}}), y, "rmse"); }), static_cast<int>(ErrorKind::BadInput));
  EnsembleTarget one_class;
  one_class.outputs = 2;
  one_class.y_class = {1, 1};
  EXPECT_EQ(kind_of([&] { select_ensemble(spans({{0.5, 0.5, 0.2, 0.8}}), one_class, "roc_auc"); }),
            static_cast<int>(ErrorKind::BadInput));  // undefined metric
  EXPECT_EQ(kind_of([&] { blend(spans(ok), std::vector<double>{0.0}, 1); }), static_cast<int>(ErrorKind::BadInput));
  EnsembleOptions zero;
  zero.rounds = 0;
  EXPECT_EQ(kind_of([&] { select_ensemble(spans(ok), y, "rmse", zero); }), static_cast<int>(ErrorKind::Usage));
}

}  // namespace
