// Metrics: equal to scikit-learn's on the same predictions (../shared/tools/metrics_check.py,
// run with Debian's /usr/bin/python3) to 1e-9, on several shared datasets; plus edge cases.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "../data/test_util.hpp"
#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/metrics/metrics.hpp"

using namespace glasswing;
namespace m = glasswing::metrics;

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

nlohmann::json run_metrics_check(const std::filesystem::path& pred, const std::filesystem::path& truth,
                                 const std::string& target, const std::string& task) {
  const auto out = pred.parent_path() / "check.json";
  const std::string cmd = "/usr/bin/python3 " + std::string(GLASSWING_SHARED_DIR) + "/tools/metrics_check.py --pred '" +
                          pred.string() + "' --truth '" + truth.string() + "' --target '" + target + "' --task " + task +
                          " --out '" + out.string() + "' > /dev/null";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  std::ifstream in(out);
  return nlohmann::json::parse(in);
}

struct Case {
  std::string file, target, task;
};

// Readable test parameters in CTest's names and failure messages.
void PrintTo(const Case& c, std::ostream* os) { *os << c.file << ":" << c.target << " (" << c.task << ")"; }

}  // namespace

class MetricsVsSklearn : public ::testing::TestWithParam<Case> {};

TEST_P(MetricsVsSklearn, EveryMetricWithin1e9) {
  const Case& c = GetParam();
  test::TempDir dir;
  const data::Table table = data::read_csv(test::shared_dataset(c.file));
  const data::Column* col = table.find(c.target);
  ASSERT_NE(col, nullptr);
  std::mt19937_64 rng(1234);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::ofstream truth(dir.path() / "truth.csv"), pred(dir.path() / "pred.csv");
  truth << csv_field(c.target) << "\n";

  if (c.task == "regression") {
    std::vector<double> y, p;
    for (std::size_t i = 0; i < table.rows(); ++i) {
      if (col->is_missing(i)) continue;
      y.push_back(col->values()[i]);
      p.push_back(y.back() * (1.0 + 0.1 * noise(rng)) + noise(rng));
    }
    pred << "prediction\n";
    for (std::size_t i = 0; i < y.size(); ++i) {
      truth << num(y[i]) << "\n";
      pred << num(p[i]) << "\n";
    }
    truth.close();
    pred.close();
    const auto sk = run_metrics_check(dir.path() / "pred.csv", dir.path() / "truth.csv", c.target, c.task)["metrics"];
    const m::Regression d{y, p};
    for (const char* name : {"rmse", "mae", "r2"}) EXPECT_NEAR(m::compute(name, d), sk[name].get<double>(), 1e-9) << name;
    return;
  }

  // Classes in byte order (Python's string order), as the engine numbers them.
  std::set<std::string> labels;
  for (std::size_t i = 0; i < table.rows(); ++i)
    if (!col->is_missing(i)) labels.insert(col->cell_text(i));
  const std::vector<std::string> classes(labels.begin(), labels.end());
  const std::size_t k = classes.size();
  std::map<std::string, std::int32_t> index;
  for (std::size_t j = 0; j < k; ++j) index[classes[j]] = static_cast<std::int32_t>(j);
  std::vector<std::int32_t> y;
  std::vector<double> proba;
  for (std::size_t i = 0; i < table.rows(); ++i) {
    if (col->is_missing(i)) continue;
    y.push_back(index[col->cell_text(i)]);
    // A noisy model: more mass on the true class; ties (2 decimals), exact 0 and 1 now and then.
    std::vector<double> row(k);
    double sum = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
      row[j] = std::exp(noise(rng) + (static_cast<std::int32_t>(j) == y.back() ? 1.2 : 0.0));
      sum += row[j];
    }
    const double r = unit(rng);
    for (std::size_t j = 0; j < k; ++j) {
      row[j] = std::round(row[j] / sum * 100.0) / 100.0;
      if (r < 0.02) row[j] = static_cast<std::int32_t>(j) == y.back() ? 1.0 : 0.0;  // certain and right
      if (r > 0.98) row[j] = static_cast<std::int32_t>(j) == y.back() ? 0.0 : 1.0 / static_cast<double>(k - 1);  // certain and wrong
    }
    proba.insert(proba.end(), row.begin(), row.end());
  }
  const std::vector<std::int32_t> hard = m::argmax_labels(proba, k);
  pred << "prediction";
  for (const auto& cl : classes) pred << "," << csv_field("proba_" + cl);
  pred << "\n";
  for (std::size_t i = 0; i < y.size(); ++i) {
    truth << csv_field(classes[static_cast<std::size_t>(y[i])]) << "\n";
    pred << csv_field(classes[static_cast<std::size_t>(hard[i])]);
    for (std::size_t j = 0; j < k; ++j) pred << "," << num(proba[i * k + j]);
    pred << "\n";
  }
  truth.close();
  pred.close();
  const auto sk = run_metrics_check(dir.path() / "pred.csv", dir.path() / "truth.csv", c.target, c.task)["metrics"];
  const m::Classification d{k, y, hard, proba, 1};
  std::vector<const char*> names = {"log_loss", "accuracy", "balanced_accuracy"};
  if (c.task == "binary") names.insert(names.end(), {"roc_auc", "f1"});
  for (const char* name : names) {
    ASSERT_TRUE(sk.contains(name)) << name;
    EXPECT_NEAR(m::compute(name, d), sk[name].get<double>(), 1e-9) << c.file << " " << name;
  }
}

INSTANTIATE_TEST_SUITE_P(SharedDatasets, MetricsVsSklearn,
                         ::testing::Values(Case{"credit-g.csv", "class", "binary"},
                                           Case{"telco-churn.csv", "churn", "binary"},
                                           Case{"mpls-stops.csv", "personSearch", "binary"},
                                           Case{"iris.csv", "species", "multiclass"},
                                           Case{"shuttle.csv", "Class", "multiclass"},
                                           Case{"letter.csv", "lettr", "multiclass"},
                                           Case{"diamonds.csv", "price", "regression"},
                                           Case{"auto-mpg.csv", "Miles_per_Gallon", "regression"}),
                         [](const auto& param_info) {
                           std::string n = param_info.param.file.substr(0, param_info.param.file.find('.'));
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(Metrics, EdgeCasesFollowScikitLearn) {
  const std::vector<std::int32_t> one_class = {1, 1, 1};
  EXPECT_TRUE(std::isnan(m::roc_auc(one_class, std::vector<double>{0.1, 0.2, 0.3}, 1)));
  const std::vector<double> y = {3.0, 3.0, 3.0};
  EXPECT_EQ(m::r2({y, y}), 1.0);                                // constant truth, perfect
  EXPECT_EQ(m::r2({y, std::vector<double>{3.0, 3.0, 4.0}}), 0.0);  // constant truth, imperfect
  EXPECT_EQ(m::f1(std::vector<std::int32_t>{0, 0}, std::vector<std::int32_t>{0, 0}, 1), 0.0);
  // balanced accuracy ignores classes that only the predictions have
  EXPECT_DOUBLE_EQ(m::balanced_accuracy(std::vector<std::int32_t>{0, 0, 1, 1}, std::vector<std::int32_t>{0, 2, 1, 1}),
                   0.75);
  EXPECT_DOUBLE_EQ(m::roc_auc(std::vector<std::int32_t>{0, 1, 0, 1}, std::vector<double>{0.5, 0.5, 0.2, 0.9}, 1), 0.875);
}

TEST(Metrics, RegistryAndBadUse) {
  EXPECT_EQ(m::default_metric(m::TaskKind::Binary), "roc_auc");
  EXPECT_EQ(m::default_metric(m::TaskKind::Multiclass), "log_loss");
  EXPECT_EQ(m::default_metric(m::TaskKind::Regression), "rmse");
  EXPECT_EQ(m::registry().size(), 8u);
  for (const auto& info : m::registry()) EXPECT_FALSE(info.description.empty()) << info.name;
  try {
    m::info("auc");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("valid metrics are roc_auc, log_loss"), std::string::npos);
  }
  const std::vector<double> a = {1, 2}, b = {1};
  EXPECT_THROW(m::rmse({a, b}), Error);
  const std::vector<std::int32_t> y = {0, 1, 2};
  const std::vector<double> p(9, 1.0 / 3.0);
  EXPECT_THROW(m::compute("roc_auc", m::Classification{3, y, y, p, 1}), Error);
  EXPECT_THROW(m::compute("rmse", m::Classification{3, y, y, p, 1}), Error);
}
