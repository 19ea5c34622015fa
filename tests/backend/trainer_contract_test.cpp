// The Trainer contract: each TEST_P body runs over every trainer registered in this build.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "automl/common/cancel.hpp"
#include "automl/common/error.hpp"
#include "automl/common/issues.hpp"
#include "backend/registry.hpp"
#include "shared_data.hpp"

namespace glasswing::backend {
namespace {

using testing::Dense;
using testing::Split;

const Split& credit_g() {
  static const Split s = testing::split(testing::load_dataset("credit-g.csv", "class", true, "bad"), 0.3, 0.2, 42);
  return s;
}
const Split& diamonds() {
  // 10k of the 53,940 rows keep each fit to seconds on two cores.
  static const Split s = testing::split(testing::load_dataset("diamonds.csv", "price", false, "", 10000), 0.3, 0.2, 42);
  return s;
}
const Split& iris() {
  static const Split s = testing::split(testing::load_dataset("iris.csv", "species", true), 0.3, 0.2, 42);
  return s;
}

std::filesystem::path temp_path(const std::string& stem) {
  return std::filesystem::temp_directory_path() /
         (stem + "-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
}

FitOptions options_for(Task task, int classes = 0) {
  FitOptions o;
  o.task = task;
  o.num_classes = classes;
  o.seed = 7;
  o.device.kind = DeviceKind::Cpu;
  o.device.jobs = 1;
  return o;
}

// Small budgets for the contracts that are not about accuracy.
Params quick(const std::string& trainer) {
  if (trainer == "xgboost") return {{"n_estimators", 20}};
  if (trainer == "mlp") return {{"max_epochs", 8}, {"width", 32}};
  return {{"max_epochs", 8}};
}

// Lower bounds for learning sanity (defaults, test split). A linear model cannot follow price's
// convex growth in carat, so its diamonds bound is lower (docs/BACKENDS.md).
double diamonds_r2_bound(const std::string& trainer) { return trainer == "linear" ? 0.90 : 0.95; }

class TrainerContract : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Trainer> make(const Params& p = {}) const { return make_trainer(GetParam(), p); }
};

// 5-fold cross-validation: a single 300-row test split of credit-g moves the AUC by +-0.04.
TEST_P(TrainerContract, LearnsCreditGWithDefaults) {
  const Dense d = testing::load_dataset("credit-g.csv", "class", true, "bad");
  double sum = 0;
  int rounds = 0;
  double seconds = 0;
  constexpr int kFolds = 5;
  for (int fold = 0; fold < kFolds; ++fold) {
    const Split s = testing::fold(d, kFolds, fold, 0.2, 42);
    auto t = make();
    const auto train = s.train.view(), eval = s.eval.view();
    const FitReport report = t->fit(train, &eval, options_for(Task::Binary));
    ASSERT_TRUE(t->fitted());
    EXPECT_EQ(report.device, "cpu");
    EXPECT_GT(report.seconds, 0);
    EXPECT_GE(report.best_round, 0);
    rounds += report.rounds;
    seconds += report.seconds;
    const Prediction p = t->predict(s.test.matrix());
    ASSERT_EQ(p.rows, s.test.rows);
    ASSERT_EQ(p.cols, 2u);
    std::vector<float> score;
    for (std::size_t r = 0; r < p.rows; ++r) {
      EXPECT_NEAR(p.at(r, 0) + p.at(r, 1), 1.0f, 1e-5f);
      score.push_back(p.at(r, 1));
    }
    sum += testing::auc(score, s.test.y);
  }
  const double auc = sum / kFolds;
  std::cout << "[ metric ] " << GetParam() << " credit-g 5-fold CV AUC = " << auc << " (" << rounds << " rounds, "
            << seconds << " s in all)\n";
  EXPECT_GE(auc, 0.75);
}

TEST_P(TrainerContract, LearnsDiamondsWithDefaults) {
  const auto& s = diamonds();
  auto t = make();
  const auto train = s.train.view(), eval = s.eval.view();
  const FitReport report = t->fit(train, &eval, options_for(Task::Regression));
  const Prediction p = t->predict(s.test.matrix());
  ASSERT_EQ(p.cols, 1u);
  const double r2 = testing::r2(p.values, s.test.y);
  std::cout << "[ metric ] " << GetParam() << " diamonds (10k rows) test R2 = " << r2 << " (" << report.rounds
            << " rounds, " << report.seconds << " s)\n";
  EXPECT_GE(r2, diamonds_r2_bound(GetParam()));
}

TEST_P(TrainerContract, LearnsIrisMulticlass) {
  const auto& s = iris();
  auto t = make();
  const auto train = s.train.view(), eval = s.eval.view();
  t->fit(train, &eval, options_for(Task::Multiclass, 3));
  EXPECT_EQ(t->num_classes(), 3);
  const Prediction p = t->predict(s.test.matrix());
  ASSERT_EQ(p.cols, 3u);
  int correct = 0;
  for (std::size_t r = 0; r < p.rows; ++r) {
    float sum = 0;
    std::size_t arg = 0;
    for (std::size_t c = 0; c < 3; ++c) {
      sum += p.at(r, c);
      if (p.at(r, c) > p.at(r, arg)) arg = c;
    }
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
    correct += static_cast<float>(arg) == s.test.y[r];
  }
  EXPECT_GE(static_cast<double>(correct) / static_cast<double>(p.rows), 0.85);
}

TEST_P(TrainerContract, SaveLoadRoundTripGivesIdenticalPredictions) {
  struct Case {
    const Split* data;
    Task task;
    int classes;
  };
  for (const Case& c : {Case{&credit_g(), Task::Binary, 0}, Case{&iris(), Task::Multiclass, 3},
                        Case{&diamonds(), Task::Regression, 0}}) {
    SCOPED_TRACE(to_string(c.task));
    auto t = make(quick(GetParam()));
    const auto train = c.data->train.view(), eval = c.data->eval.view();
    t->fit(train, &eval, options_for(c.task, c.classes));
    const auto path = temp_path("gw-model").string();
    t->save(path);
    ASSERT_FALSE(std::filesystem::exists(path + ".tmp"));
    auto loaded = load_model(path);
    std::filesystem::remove(path);
    EXPECT_EQ(loaded->name(), GetParam());
    EXPECT_EQ(loaded->task(), c.task);
    EXPECT_EQ(loaded->num_classes(), t->num_classes());
    EXPECT_EQ(loaded->num_features(), t->num_features());
    const Prediction before = t->predict(c.data->test.matrix());
    const Prediction after = loaded->predict(c.data->test.matrix());
    ASSERT_EQ(before.values.size(), after.values.size());
    for (std::size_t i = 0; i < before.values.size(); ++i) ASSERT_EQ(before.values[i], after.values[i]) << "at " << i;
    EXPECT_EQ(t->feature_importance().values, loaded->feature_importance().values);
  }
}

TEST_P(TrainerContract, ReportsIntermediateValuesEveryRoundAndStopsOnRequest) {
  const auto& s = credit_g();
  auto t = make(quick(GetParam()));
  const auto train = s.train.view(), eval = s.eval.view();
  std::vector<RoundInfo> seen;
  FitOptions o = options_for(Task::Binary);
  o.on_round = [&](const RoundInfo& info) {
    seen.push_back(info);
    return info.round < 4;  // ask to stop after the fifth round (pruning)
  };
  const FitReport report = t->fit(train, &eval, o);
  ASSERT_EQ(seen.size(), 5u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].round, static_cast<int>(i));
    EXPECT_EQ(seen[i].metric, "logloss");
    EXPECT_TRUE(std::isfinite(seen[i].eval_value));
    EXPECT_GE(seen[i].elapsed_s, 0);
  }
  EXPECT_EQ(report.stop, StopReason::CallbackStopped);
  EXPECT_EQ(report.rounds, 5);
  EXPECT_TRUE(t->fitted());

  // Without an evaluation set every round reports its training value, and all rounds run.
  seen.clear();
  o.on_round = [&](const RoundInfo& info) {
    seen.push_back(info);
    return true;
  };
  const FitReport all = t->fit(train, nullptr, o);
  EXPECT_EQ(static_cast<int>(seen.size()), all.rounds);
  EXPECT_EQ(all.stop, StopReason::Completed);
  for (const auto& info : seen) EXPECT_TRUE(std::isfinite(info.train_value));
}

TEST_P(TrainerContract, CancelsWithinOneSecond) {
  // Enough work for minutes; cancel from another thread after 300 ms. XGBoost checks between
  // rounds, so a round (and the first round's quantile sketch) must take well under a second.
  const Dense big = testing::synthetic(50000, 20, 3);
  auto t = make({{GetParam() == "xgboost" ? "n_estimators" : "max_epochs", 100000}});
  CancelToken token;
  FitOptions o = options_for(Task::Regression);
  o.cancel = &token;
  std::atomic<bool> running{true};
  std::chrono::steady_clock::time_point cancelled_at;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancelled_at = std::chrono::steady_clock::now();
    token.cancel();
  });
  const FitReport report = t->fit(big.view(), nullptr, o);
  const auto returned = std::chrono::steady_clock::now();
  canceller.join();
  EXPECT_EQ(report.stop, StopReason::Cancelled);
  EXPECT_LT(std::chrono::duration<double>(returned - cancelled_at).count(), 1.0);

  // A deadline in the past cancels as well.
  CancelToken deadline;
  deadline.set_deadline(std::chrono::steady_clock::now());
  o.cancel = &deadline;
  const FitReport none = t->fit(big.view(), nullptr, o);
  EXPECT_EQ(none.stop, StopReason::Cancelled);
  EXPECT_FALSE(t->fitted());
  EXPECT_THROW(t->predict(big.matrix()), Error);
}

TEST_P(TrainerContract, CudaRequestWithoutGpuIsAResourceError) {
  const DeviceSupport support = device_support(GetParam());
  const auto& s = iris();
  auto t = make(quick(GetParam()));
  FitOptions o = options_for(Task::Multiclass, 3);
  o.device.kind = DeviceKind::Cuda;
  if (support.cuda_built && support.gpu_count > 0) {
    EXPECT_EQ(t->fit(s.train.view(), nullptr, o).device, "cuda:0");
    return;
  }
  try {
    t->fit(s.train.view(), nullptr, o);
    FAIL() << "expected a Resource error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Resource);
    EXPECT_EQ(exit_code(e.kind()), 5);
    EXPECT_NE(std::string(e.what()).find("--device cuda"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--device cpu"), std::string::npos) << e.what();
  }
}

TEST_P(TrainerContract, AutoDeviceSaysWhatItTook) {
  const auto& s = iris();
  auto t = make(quick(GetParam()));
  IssueLog issues;
  FitOptions o = options_for(Task::Multiclass, 3);
  o.device.kind = DeviceKind::Auto;
  o.issues = &issues;
  const FitReport report = t->fit(s.train.view(), nullptr, o);
  const DeviceSupport support = device_support(GetParam());
  EXPECT_EQ(report.device, support.cuda_built && support.gpu_count > 0 ? "cuda:0" : "cpu");
  EXPECT_NE(report.device_note.find("auto: took " + report.device), std::string::npos) << report.device_note;
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues.snapshot()[0].source, "device");
}

TEST_P(TrainerContract, DeterministicOnCpuGivenASeed) {
  const auto& s = credit_g();
  const auto train = s.train.view(), eval = s.eval.view();
  auto a = make(quick(GetParam()));
  auto b = make(quick(GetParam()));
  a->fit(train, &eval, options_for(Task::Binary));
  b->fit(train, &eval, options_for(Task::Binary));
  EXPECT_EQ(a->predict(s.test.matrix()).values, b->predict(s.test.matrix()).values);
}

TEST_P(TrainerContract, HandlesMissingValues) {
  Dense d = testing::synthetic(2000, 6, 5, true);
  for (std::size_t i = 0; i < d.x.size(); i += 7) d.x[i] = std::nanf("");
  auto t = make(quick(GetParam()));
  t->fit(d.view(), nullptr, options_for(Task::Binary));
  const Prediction p = t->predict(d.matrix());
  for (float v : p.values) ASSERT_TRUE(std::isfinite(v));
  std::vector<float> score;
  for (std::size_t r = 0; r < p.rows; ++r) score.push_back(p.at(r, 1));
  EXPECT_GT(testing::auc(score, d.y), 0.8);
}

TEST_P(TrainerContract, HonoursRowWeights) {
  // The clean rows, then the same rows with flipped labels at weight 0: the model must learn the
  // clean labels. With equal weights the two halves cancel out.
  const Dense clean = testing::synthetic(2000, 6, 12, true);
  Dense mixed = clean;
  mixed.rows *= 2;
  mixed.x.insert(mixed.x.end(), clean.x.begin(), clean.x.end());
  for (float v : clean.y) mixed.y.push_back(1 - v);
  std::vector<float> weights(clean.rows, 1.0f);
  weights.resize(mixed.rows, 0.0f);
  DataView view = mixed.view();
  view.weights = weights;
  auto t = make(quick(GetParam()));
  t->fit(view, nullptr, options_for(Task::Binary));
  const Prediction p = t->predict(clean.matrix());
  std::vector<float> score;
  for (std::size_t r = 0; r < p.rows; ++r) score.push_back(p.at(r, 1));
  EXPECT_GT(testing::auc(score, clean.y), 0.8);
}

TEST_P(TrainerContract, FeatureImportanceFindsTheSignal) {
  const Dense d = testing::synthetic(3000, 8, 9);
  auto t = make(quick(GetParam()));
  t->fit(d.view(), nullptr, options_for(Task::Regression));
  const Importance imp = t->feature_importance();
  ASSERT_EQ(imp.values.size(), 8u);
  EXPECT_FALSE(imp.kind.empty());
  for (double v : imp.values) EXPECT_GE(v, 0);
  // Column 0 carries the strongest signal (2 * x0) in every family.
  EXPECT_EQ(std::max_element(imp.values.begin(), imp.values.end()) - imp.values.begin(), 0);
}

TEST_P(TrainerContract, RejectsBadInputAndUnknownParameters) {
  try {
    make({{"no_such_parameter", 1}});
    FAIL() << "expected a Usage error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("valid parameters"), std::string::npos);
  }
  Dense d = testing::synthetic(50, 3, 1, true);
  d.y[3] = 2;  // not a binary label
  auto t = make(quick(GetParam()));
  try {
    t->fit(d.view(), nullptr, options_for(Task::Binary));
    FAIL() << "expected a BadInput error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
  }
  EXPECT_FALSE(t->fitted());
  EXPECT_THROW(t->predict(d.matrix()), Error);
}

INSTANTIATE_TEST_SUITE_P(AllTrainers, TrainerContract, ::testing::ValuesIn(trainer_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return param_info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TrainerContract);

}  // namespace
}  // namespace glasswing::backend
