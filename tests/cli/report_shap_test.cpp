// SHAP values from a run's bundle equal Python xgboost's pred_contribs on the same model file
// (model/model.json) and the same transformed rows, and each row sums to the margin.

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "automl/data/csv.hpp"
#include "automl/engine/bundle.hpp"
#include "tests/cli/cli_support.hpp"
#include "tests/cli/report_support.hpp"
#include "transparency/explain.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::vector<double>> read_matrix(const fs::path& p) {
  std::vector<std::vector<double>> m;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream s(line);
    std::string cell;
    while (std::getline(s, cell, ',')) row.push_back(std::stod(cell));
    m.push_back(std::move(row));
  }
  return m;
}

const char* kPython = R"PY(
import sys
import numpy as np
import xgboost as xgb
x = np.genfromtxt(sys.argv[2], delimiter=",", ndmin=2)
booster = xgb.Booster(model_file=sys.argv[1])
d = xgb.DMatrix(x, missing=np.nan)
np.savetxt(sys.argv[3], booster.predict(d, pred_contribs=True), delimiter=",", fmt="%.10g")
np.savetxt(sys.argv[4], booster.predict(d, output_margin=True).reshape(-1, 1), delimiter=",", fmt="%.10g")
)PY";

}  // namespace

TEST(ReportShap, BundleShapEqualsPythonXgboostPredContribs) {
  const fs::path run = glasswing::test::cached_run(
      "credit-xgb",
      {"--data", glasswing::test::shared_dataset("credit-g.csv").string(), "--target", "class", "--models", "constant,xgboost",
       "--max-trials", "2", "--cv", "3"},
      [](const fs::path&) {});
  const glasswing::engine::Bundle bundle = glasswing::engine::load_bundle(run / "model");
  ASSERT_EQ(bundle.model.family, "xgboost");
  ASSERT_TRUE(bundle.model.trainer);
  ASSERT_TRUE(fs::is_regular_file(run / "model" / "model.json"));

  const auto table = glasswing::data::read_csv(glasswing::test::shared_dataset("credit-g.csv"));
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < 120; ++r) rows.push_back(r * 7 % table.rows());
  const auto fx = bundle.pipeline.transform(table, rows);
  const glasswing::backend::MatrixView x{fx.values.data(), fx.rows, fx.cols};
  const auto shap = bundle.model.trainer->shap_contributions(x);
  ASSERT_EQ(shap.shape.size(), 3u);
  ASSERT_EQ(shap.shape[0], fx.rows);
  ASSERT_EQ(shap.shape[1], 1u);
  ASSERT_EQ(shap.shape[2], fx.cols + 1);

  // The same transformed rows for Python (17 digits; NaN = missing).
  const fs::path dir = glasswing::test::report_work() / ("shap-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "x.csv");
    char buf[40];
    for (std::size_t r = 0; r < fx.rows; ++r) {
      for (std::size_t c = 0; c < fx.cols; ++c) {
        const float v = fx.at(r, c);
        if (std::isnan(v)) {
          out << (c ? ",nan" : "nan");
        } else {
          std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
          out << (c ? "," : "") << buf;
        }
      }
      out << '\n';
    }
    std::ofstream(dir / "check.py") << kPython;
  }
  const std::string cmd = "/usr/bin/python3 " + glasswing::test::shell_quote((dir / "check.py").string()) + " " +
                          glasswing::test::shell_quote((run / "model" / "model.json").string()) + " " +
                          glasswing::test::shell_quote((dir / "x.csv").string()) + " " +
                          glasswing::test::shell_quote((dir / "contribs.csv").string()) + " " +
                          glasswing::test::shell_quote((dir / "margin.csv").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto py = read_matrix(dir / "contribs.csv");
  const auto margin = read_matrix(dir / "margin.csv");
  ASSERT_EQ(py.size(), fx.rows);
  ASSERT_EQ(margin.size(), fx.rows);
  double max_diff = 0.0, max_sum_diff = 0.0;
  for (std::size_t r = 0; r < fx.rows; ++r) {
    ASSERT_EQ(py[r].size(), fx.cols + 1);
    double sum = 0.0;
    for (std::size_t c = 0; c <= fx.cols; ++c) {
      const double ours = static_cast<double>(shap.values[r * (fx.cols + 1) + c]);
      max_diff = std::max(max_diff, std::abs(ours - py[r][c]));
      sum += ours;
    }
    max_sum_diff = std::max(max_sum_diff, std::abs(sum - margin[r][0]));
  }
  EXPECT_LE(max_diff, 1e-5) << "max |ours - pred_contribs|";
  EXPECT_LE(max_sum_diff, 1e-4) << "max |sum of contributions - output_margin|";
  std::printf("bundle SHAP vs python pred_contribs: max |diff| %.3g; row sum vs margin: max |diff| %.3g\n", max_diff, max_sum_diff);

  // The report's local explanation says the same: base + contributions give the model's P(1).
  const auto names = glasswing::transparency::feature_names(bundle.pipeline);
  const auto local = glasswing::transparency::shap_local(*bundle.model.trainer, x, 5, names);
  EXPECT_TRUE(local.additive) << local.additivity_error;
  EXPECT_NEAR(local.outputs[0].margin, margin[5][0], 1e-4);
  fs::remove_all(dir);
}
