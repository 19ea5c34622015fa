// Explanations: permutation importance on functions whose answer is known (only feature 0
// matters; two columns that cancel out unless permuted together), importance mapped to original
// columns by hand, SHAP of a real XGBoost model on credit-g (each row adds up to the margin;
// contributions and margins equal Python xgboost's pred_contribs / output_margin), multiclass
// SHAP on iris, PDP/ICE of f(x) = 2*x0 + x1 by hand, linear coefficients, and JSON shapes.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "automl/features/pipeline.hpp"
#include "backend/registry.hpp"
#include "helpers.hpp"
#include "transparency/explain.hpp"

using namespace glasswing;
namespace tr = glasswing::transparency;
using backend::MatrixView;
using backend::Prediction;

namespace {

double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

struct Dense {
  std::size_t rows = 0, cols = 0;
  std::vector<float> x;
  MatrixView view() const { return {x.data(), rows, cols}; }
  float at(std::size_t r, std::size_t c) const { return x[r * cols + c]; }
};

Dense uniform(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Dense d{rows, cols, std::vector<float>(rows * cols)};
  for (auto& v : d.x) v = static_cast<float>(unit(rng));
  return d;
}

// A model from a per-row function: regression (one column) or binary (P(0), P(1)).
tr::PredictFn model(std::function<double(const float*)> f, bool binary = false) {
  return [f, binary](MatrixView x) {
    Prediction p;
    p.rows = x.rows;
    p.cols = binary ? 2 : 1;
    for (std::size_t r = 0; r < x.rows; ++r) {
      const double v = f(x.data + r * x.cols);
      if (binary) p.values.push_back(static_cast<float>(1.0 - v));
      p.values.push_back(static_cast<float>(v));
    }
    return p;
  };
}

const tr::PermutationItem& item(const tr::PermutationReport& r, const std::string& name) {
  for (const auto& i : r.items)
    if (i.name == name) return i;
  ADD_FAILURE() << "no item " << name;
  return r.items.front();
}

const std::vector<std::string> kAbcd = {"a", "b", "c", "d"};

// credit-g through the feature pipeline, and an XGBoost model on it.
struct CreditModel {
  features::Pipeline pipeline;
  features::FeatureMatrix m;
  std::vector<float> y;
  std::unique_ptr<backend::Trainer> trainer;
  MatrixView view() const { return {m.values.data(), m.rows, m.cols}; }
};

backend::FitOptions cpu(backend::Task task, int classes = 0) {
  backend::FitOptions o;
  o.task = task;
  o.num_classes = classes;
  o.seed = 5;
  o.device.kind = backend::DeviceKind::Cpu;
  o.device.jobs = 1;  // small models; OpenMP spin-waiting hurts on a busy machine
  return o;
}

CreditModel fit_dataset(const std::string& file, const std::string& target, bool multiclass) {
  CreditModel c;
  const data::Table t = data::read_csv(test::shared_dataset(file));
  const auto lab = test::class_indices(t, target);
  for (const auto v : lab.y) c.y.push_back(static_cast<float>(v));
  const auto kind = multiclass ? features::TargetKind::Multiclass : features::TargetKind::Binary;
  c.pipeline = features::Pipeline::fit(t, target, lab.rows, {kind, lab.classes.size(), c.y}, {}, &c.m);
  c.trainer = backend::make_trainer("xgboost", {{"n_estimators", 60}, {"max_depth", 4}, {"early_stopping_rounds", 0}});
  c.trainer->fit({c.view(), c.y, {}}, nullptr,
                 cpu(multiclass ? backend::Task::Multiclass : backend::Task::Binary,
                     static_cast<int>(lab.classes.size())));
  return c;
}

bool has_xgboost() {
  const auto names = backend::trainer_names();
  return std::find(names.begin(), names.end(), "xgboost") != names.end();
}

// numpy.quantile(values, q), linear, written plainly.
double np_quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  if (lo + 1 >= v.size()) return v.back();
  return v[lo] + (pos - static_cast<double>(lo)) * (v[lo + 1] - v[lo]);
}

}  // namespace

// ---- permutation importance ----

TEST(Explain, PermutationOnlyFeatureZeroMattersRegression) {
  const Dense d = uniform(2000, 4, 11);
  std::vector<float> y(d.rows);
  for (std::size_t r = 0; r < d.rows; ++r) y[r] = 3.0f * d.at(r, 0);
  const auto f = model([](const float* row) { return 3.0 * static_cast<double>(row[0]); });
  tr::PermutationOptions o;
  o.task = metrics::TaskKind::Regression;
  o.metric = "rmse";
  o.repeats = 5;
  o.seed = 7;
  o.feature_names = kAbcd;
  const auto rep = tr::permutation_importance(f, d.view(), y, o);
  EXPECT_TRUE(rep.available);
  EXPECT_EQ(rep.direction, "minimize");
  EXPECT_NEAR(rep.baseline, 0.0, 1e-6);
  ASSERT_EQ(rep.items.size(), 4u);
  EXPECT_EQ(rep.items[0].name, "a");
  ASSERT_EQ(rep.items[0].drops.size(), 5u);
  // Permuting a U(0,1) column: rmse = 3 * sqrt(E[(u - u')^2]) = 3 * sqrt(1/6).
  EXPECT_NEAR(rep.items[0].mean, 3.0 * std::sqrt(1.0 / 6.0), 0.06);
  EXPECT_GT(rep.items[0].sd, 0.0);
  EXPECT_LT(rep.items[0].sd, 0.05);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(rep.items[i].mean, 0.0) << rep.items[i].name;
    EXPECT_EQ(rep.items[i].sd, 0.0);
  }
  // Seeded: the same seed repeats itself, another seed permutes differently.
  const auto again = tr::permutation_importance(f, d.view(), y, o);
  EXPECT_EQ(again.items[0].drops, rep.items[0].drops);
  o.seed = 8;
  const auto other = tr::permutation_importance(f, d.view(), y, o);
  EXPECT_NE(other.items[0].drops, rep.items[0].drops);
}

TEST(Explain, PermutationOnlyFeatureZeroMattersBinary) {
  const Dense d = uniform(3000, 4, 12);
  std::mt19937_64 rng(99);
  const auto p1 = [](const float* row) { return 1.0 / (1.0 + std::exp(-8.0 * (static_cast<double>(row[0]) - 0.5))); };
  std::vector<float> y(d.rows);
  for (std::size_t r = 0; r < d.rows; ++r) y[r] = unit(rng) < p1(&d.x[r * d.cols]) ? 1.0f : 0.0f;
  tr::PermutationOptions o;  // binary, default metric roc_auc
  o.repeats = 4;
  o.seed = 1;
  o.feature_names = kAbcd;
  const auto rep = tr::permutation_importance(model(p1, true), d.view(), y, o);
  EXPECT_EQ(rep.metric, "roc_auc");
  EXPECT_EQ(rep.direction, "maximize");
  EXPECT_GT(rep.baseline, 0.8);
  EXPECT_EQ(rep.items[0].name, "a");
  EXPECT_GT(rep.items[0].mean, 0.25);  // AUC falls to about 0.5
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(rep.items[i].mean, 0.0);
  // Subsampling is recorded.
  o.max_rows = 500;
  const auto small = tr::permutation_importance(model(p1, true), d.view(), y, o);
  EXPECT_EQ(small.rows, 500u);
  EXPECT_FALSE(small.notices.empty());
  // One class only: roc_auc is undefined, a notice instead of numbers.
  const std::vector<float> zeros(d.rows, 0.0f);
  const auto undefined = tr::permutation_importance(model(p1, true), d.view(), zeros, o);
  EXPECT_FALSE(undefined.available);
  EXPECT_TRUE(undefined.items.empty());
  EXPECT_FALSE(undefined.notices.empty());
}

TEST(Explain, PermutationGroupsPermuteColumnsTogether) {
  // x1 = -x0, f = x0 + x1 + x2 = x2: permuting x0 and x1 with one permutation changes nothing;
  // permuting either alone breaks the cancellation.
  Dense d = uniform(1500, 4, 13);
  for (std::size_t r = 0; r < d.rows; ++r) d.x[r * 4 + 1] = -d.at(r, 0);
  const auto f = model([](const float* row) {
    return static_cast<double>(row[0]) + static_cast<double>(row[1]) + static_cast<double>(row[2]);
  });
  std::vector<float> y(d.rows);
  for (std::size_t r = 0; r < d.rows; ++r) y[r] = d.at(r, 2);
  tr::PermutationOptions o;
  o.task = metrics::TaskKind::Regression;
  o.metric = "mae";
  o.repeats = 3;
  o.feature_names = {"a=x", "a=y", "b", "c"};
  const auto single = tr::permutation_importance(f, d.view(), y, o);
  EXPECT_FALSE(single.grouped);
  EXPECT_GT(item(single, "a=x").mean, 0.1);
  EXPECT_GT(item(single, "a=y").mean, 0.1);
  o.groups = {{"a", {0, 1}}, {"b", {2}}, {"c", {3}}};
  const auto grouped = tr::permutation_importance(f, d.view(), y, o);
  EXPECT_TRUE(grouped.grouped);
  ASSERT_EQ(grouped.items.size(), 3u);
  EXPECT_EQ(grouped.items[0].name, "b");
  EXPECT_GT(grouped.items[0].mean, 0.2);
  EXPECT_EQ(item(grouped, "a").mean, 0.0);
  EXPECT_EQ(item(grouped, "a").features, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(item(grouped, "c").mean, 0.0);
}

TEST(Explain, PermutationBadInput) {
  const Dense d = uniform(50, 2, 1);
  const auto f = model([](const float* row) { return static_cast<double>(row[0]); });
  std::vector<float> y(50, 0.5f);
  tr::PermutationOptions o;
  o.task = metrics::TaskKind::Regression;
  EXPECT_THROW(tr::permutation_importance(f, d.view(), std::span<const float>(y).first(49), o), Error);
  o.repeats = 0;
  EXPECT_THROW(tr::permutation_importance(f, d.view(), y, o), Error);
  o.repeats = 2;
  o.metric = "no_such_metric";
  EXPECT_THROW(tr::permutation_importance(f, d.view(), y, o), Error);
  o.metric = "roc_auc";  // not a regression metric
  EXPECT_THROW(tr::permutation_importance(f, d.view(), y, o), Error);
  o.metric = "rmse";
  o.groups = {{"a", {5}}};
  EXPECT_THROW(tr::permutation_importance(f, d.view(), y, o), Error);
  o.groups = {};
  o.feature_names = {"only one"};
  EXPECT_THROW(tr::permutation_importance(f, d.view(), y, o), Error);
}

// ---- importance mapped to columns ----

TEST(Explain, ImportanceMapsToColumnsByHand) {
  const double nan = std::nan("");
  const std::vector<double> v = {4, 1, 2, nan, 3};
  const std::vector<std::string> names = {"a=x", "a=y", "b", "c", "a/b"};
  const std::vector<tr::FeatureGroup> groups = {{"a", {0, 1, 4}}, {"b", {2, 4}}, {"c", {3}}};
  const auto m = tr::map_importance("gain", v, names, groups);
  ASSERT_EQ(m.columns.size(), 3u);
  EXPECT_EQ(m.columns[0].column, "a");
  EXPECT_DOUBLE_EQ(m.columns[0].value, 4 + 1 + 1.5);  // a/b is split between a and b
  EXPECT_EQ(m.columns[0].features, (std::vector<std::string>{"a=x", "a/b", "a=y"}));
  EXPECT_EQ(m.columns[1].column, "b");
  EXPECT_DOUBLE_EQ(m.columns[1].value, 2 + 1.5);
  EXPECT_EQ(m.columns[2].column, "c");
  EXPECT_EQ(m.columns[2].value, 0.0);
  ASSERT_EQ(m.features.size(), 5u);
  EXPECT_EQ(m.features[0].feature, "a=x");
  EXPECT_EQ(m.features[1].feature, "a/b");
  EXPECT_EQ(m.features[4].feature, "c");  // NaN last
  ASSERT_EQ(m.notices.size(), 1u);
  EXPECT_NE(m.notices[0].find("a/b"), std::string::npos);
  // A feature in no group is its own column, with a notice.
  const std::vector<tr::FeatureGroup> partial = {{"a", {0, 1}}};
  const auto p = tr::map_importance("gain", std::span<const double>(v).first(3), std::span(names).first(3), partial);
  ASSERT_EQ(p.columns.size(), 2u);
  EXPECT_EQ(p.columns[0].column, "a");
  EXPECT_EQ(p.columns[1].column, "b");
  EXPECT_EQ(p.notices.size(), 1u);
  // JSON: NaN is null.
  const nlohmann::json j = m;
  EXPECT_TRUE(j["features"][4]["value"].is_null());
  EXPECT_TRUE(j["columns"][2]["feature_values"][0].is_null());
  EXPECT_EQ(nlohmann::json::parse(j.dump()), j);
  EXPECT_THROW(tr::map_importance("gain", v, std::span(names).first(2), groups), Error);
}

TEST(Explain, PipelineGroupsAndOneHotTargets) {
  const data::Table t = data::read_csv(test::shared_dataset("credit-g.csv"));
  const auto lab = test::class_indices(t, "class");
  std::vector<float> y(lab.y.begin(), lab.y.end());
  features::FeatureMatrix m;
  const auto p = features::Pipeline::fit(t, "class", lab.rows, {features::TargetKind::Binary, 2, y}, {}, &m);
  const auto groups = tr::groups_by_source(p);
  const auto names = tr::feature_names(p);
  ASSERT_EQ(names.size(), m.cols);
  const auto purpose = std::find_if(groups.begin(), groups.end(), [](const auto& g) { return g.name == "purpose"; });
  ASSERT_NE(purpose, groups.end());
  EXPECT_GT(purpose->features.size(), 3u);
  for (const auto f : purpose->features) EXPECT_EQ(names[f].rfind("purpose=", 0), 0u) << names[f];
  const auto target = tr::one_hot_target(p, "purpose");
  EXPECT_EQ(target.features, purpose->features);
  ASSERT_EQ(target.categories.size(), target.features.size());
  EXPECT_TRUE(tr::one_hot_target(p, "duration").features.empty());  // numeric: not one-hot
  EXPECT_TRUE(tr::one_hot_target(p, "no such column").features.empty());
}

// ---- SHAP ----

TEST(Explain, ShapOfXGBoostOnCreditG) {
  if (!has_xgboost()) GTEST_SKIP() << "built without XGBoost";
  const CreditModel c = fit_dataset("credit-g.csv", "class", false);
  const auto names = tr::feature_names(c.pipeline);
  const auto groups = tr::groups_by_source(c.pipeline);
  tr::ShapOptions o;
  o.beeswarm_features = 5;
  o.beeswarm_points = 200;
  o.seed = 2;
  const auto s = tr::shap_summary(*c.trainer, c.view(), names, groups, o);
  EXPECT_EQ(s.rows, c.m.rows);
  EXPECT_EQ(s.units, "log-odds");
  ASSERT_EQ(s.outputs.size(), 1u);
  const auto& g = s.outputs[0];
  EXPECT_EQ(g.output_class, -1);
  ASSERT_EQ(g.beeswarm.size(), 5u);
  for (const auto& b : g.beeswarm) {
    EXPECT_EQ(b.value.size(), 200u);
    EXPECT_EQ(b.shap.size(), 200u);
  }
  EXPECT_EQ(g.beeswarm[0].feature, g.importance.features[0].feature);
  for (std::size_t i = 1; i < g.importance.features.size(); ++i)
    EXPECT_GE(g.importance.features[i - 1].value, g.importance.features[i].value);
  // A column's mean |sum| is at most the sum of its features' mean |SHAP| (triangle inequality).
  for (const auto& col : g.importance.columns) {
    double sum = 0;
    for (const double v : col.feature_values) sum += v;
    EXPECT_LE(col.value, sum + 1e-9) << col.column;
    EXPECT_GE(col.value, 0.0);
  }
  // Sensible: the strongest columns of credit-g (checking account status, duration, amount).
  const std::string top = g.importance.columns[0].column;
  EXPECT_TRUE(top == "checking_status" || top == "duration" || top == "credit_amount") << top;
  // Consistent with XGBoost's gain: the top SHAP feature is among the top quarter by gain.
  const auto gain = c.trainer->feature_importance();
  ASSERT_EQ(gain.kind, "gain");
  const auto by_gain = tr::top_features(gain.values, std::max<std::size_t>(5, gain.values.size() / 4));
  EXPECT_NE(std::find(by_gain.begin(), by_gain.end(), g.importance.features[0].index), by_gain.end())
      << g.importance.features[0].feature;

  // Local: every row adds up (sigmoid(base + sum) = P(1)); the waterfall is sorted by |SHAP|.
  for (std::size_t row = 0; row < 40; ++row) {
    const auto l = tr::shap_local(*c.trainer, c.view(), row, names);
    ASSERT_EQ(l.outputs.size(), 1u);
    EXPECT_TRUE(l.additive) << row;
    EXPECT_LE(l.additivity_error, 1e-4);
    EXPECT_NEAR(l.outputs[0].base_value, g.base_value, 1e-6);
    if (l.model_output[1] > 0.01 && l.model_output[1] < 0.99) {
      EXPECT_NEAR(l.model_margin, l.outputs[0].margin, 1e-4);
    }
    for (std::size_t i = 1; i < l.outputs[0].steps.size(); ++i)
      EXPECT_GE(std::abs(l.outputs[0].steps[i - 1].shap), std::abs(l.outputs[0].steps[i].shap));
  }
  EXPECT_THROW(tr::shap_local(*c.trainer, c.view(), c.m.rows, names), Error);

  // Python xgboost on the same model and rows: pred_contribs equal ours, base + sum = output_margin.
  test::TempDir dir;
  const auto model = dir.path() / "model.json";
  c.trainer->save(model.string());
  const std::size_t rows = 30;
  {
    std::ofstream x(dir.path() / "x.bin", std::ios::binary);
    x.write(reinterpret_cast<const char*>(c.m.values.data()),
            static_cast<std::streamsize>(rows * c.m.cols * sizeof(float)));
  }
  const auto py = test::run_python(dir,
                                   "import sys, json\n"
                                   "try:\n"
                                   "    import numpy as np, xgboost as xgb\n"
                                   "except ImportError:\n"
                                   "    print(json.dumps({'skip': True})); sys.exit(0)\n"
                                   "d, cols = sys.argv[1], int(sys.argv[2])\n"
                                   "x = np.fromfile(d + '/x.bin', dtype=np.float32).reshape(-1, cols)\n"
                                   "b = xgb.Booster(model_file=d + '/model.json')\n"
                                   "m = xgb.DMatrix(x, missing=np.nan)\n"
                                   "c = b.predict(m, pred_contribs=True)\n"
                                   "o = b.predict(m, output_margin=True)\n"
                                   "print(json.dumps({'contribs': c.astype(float).tolist(), "
                                   "'margin': o.astype(float).tolist()}))\n",
                                   dir.path().string() + " " + std::to_string(c.m.cols));
  if (py.contains("skip")) GTEST_SKIP() << "/usr/bin/python3 has no xgboost module";
  const auto ours = c.trainer->shap_contributions({c.m.values.data(), rows, c.m.cols});
  double max_diff = 0, max_margin = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t f = 0; f <= c.m.cols; ++f)
      max_diff = std::max(max_diff, std::abs(static_cast<double>(ours.values[r * (c.m.cols + 1) + f]) -
                                             py["contribs"][r][f].get<double>()));
    const auto l = tr::shap_local(*c.trainer, c.view(), r, names);
    max_margin = std::max(max_margin, std::abs(l.outputs[0].margin - py["margin"][r].get<double>()));
  }
  std::cout << "[ metric ] SHAP vs Python pred_contribs max |diff| = " << max_diff
            << ", base + sum vs output_margin max |diff| = " << max_margin << "\n";
  EXPECT_LE(max_diff, 1e-6);
  EXPECT_LE(max_margin, 1e-4);
}

TEST(Explain, ShapMulticlassAndPermutationWithATrainer) {
  if (!has_xgboost()) GTEST_SKIP() << "built without XGBoost";
  const CreditModel c = fit_dataset("iris.csv", "species", true);
  const auto names = tr::feature_names(c.pipeline);
  const auto groups = tr::groups_by_source(c.pipeline);
  const auto s = tr::shap_summary(*c.trainer, c.view(), names, groups);
  EXPECT_EQ(s.units, "margin");
  ASSERT_EQ(s.outputs.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(s.outputs[static_cast<std::size_t>(k)].output_class, k);
    const auto top = s.outputs[static_cast<std::size_t>(k)].importance.columns[0].column;
    EXPECT_TRUE(top == "petal_length" || top == "petal_width") << k << ": " << top;
  }
  for (std::size_t row = 0; row < c.m.rows; row += 7) {
    const auto l = tr::shap_local(*c.trainer, c.view(), row, names);
    ASSERT_EQ(l.outputs.size(), 3u);
    EXPECT_EQ(l.model_output.size(), 3u);
    EXPECT_TRUE(l.additive) << row << ": " << l.additivity_error;
    EXPECT_TRUE(std::isnan(l.model_margin));
  }
  tr::PermutationOptions o;
  o.task = metrics::TaskKind::Multiclass;
  o.metric = "accuracy";
  o.repeats = 3;
  o.groups = groups;
  const auto rep = tr::permutation_importance(*c.trainer, c.view(), c.y, o);
  ASSERT_EQ(rep.items.size(), groups.size());
  EXPECT_TRUE(rep.items[0].name == "petal_length" || rep.items[0].name == "petal_width") << rep.items[0].name;
  EXPECT_GT(rep.items[0].mean, 0.05);
}

// ---- PDP and ICE ----

TEST(Explain, PdpOfALinearFunctionByHand) {
  Dense d = uniform(500, 3, 21);
  for (std::size_t r = 0; r < d.rows; ++r) d.x[r * 3 + 2] = static_cast<float>(r % 3);  // three levels
  const auto f = model([](const float* row) { return 2.0 * static_cast<double>(row[0]) + static_cast<double>(row[1]); });
  tr::PdpOptions o;
  o.grid_points = 11;
  o.ice_rows = 50;
  o.seed = 3;
  const std::vector<std::size_t> which = {0, 2};
  const auto targets = tr::pdp_targets(which, std::vector<std::string>{"x0", "x1", "x2"});
  const auto curves = tr::partial_dependence(f, d.view(), targets, o);
  ASSERT_EQ(curves.size(), 2u);
  const auto& c = curves[0];
  EXPECT_EQ(c.feature, "x0");
  EXPECT_EQ(c.kind, "numeric");
  ASSERT_EQ(c.grid.size(), 11u);
  std::vector<double> col0;
  for (std::size_t r = 0; r < d.rows; ++r) col0.push_back(d.at(r, 0));
  for (std::size_t g = 0; g < 11; ++g)
    EXPECT_NEAR(c.grid[g], np_quantile(col0, 0.05 + 0.09 * static_cast<double>(g)), 1e-12);
  ASSERT_EQ(c.ice_rows.size(), 50u);
  double mean_x1 = 0;
  for (const auto r : c.ice_rows) mean_x1 += d.at(r, 1);
  mean_x1 /= 50.0;
  ASSERT_EQ(c.pdp.size(), 1u);
  ASSERT_EQ(c.ice.size(), 1u);
  ASSERT_EQ(c.ice[0].size(), 50u);
  for (std::size_t g = 0; g < 11; ++g) {
    EXPECT_NEAR(c.pdp[0][g], 2.0 * c.grid[g] + mean_x1, 1e-5);
    for (std::size_t i = 0; i < 50; ++i) EXPECT_NEAR(c.ice[0][i][g], 2.0 * c.grid[g] + d.at(c.ice_rows[i], 1), 1e-5);
    if (g > 0) {
      EXPECT_NEAR((c.pdp[0][g] - c.pdp[0][g - 1]) / (c.grid[g] - c.grid[g - 1]), 2.0, 1e-3);
    }
  }
  // x2 has three levels: a categorical grid, and a flat PDP (f ignores it).
  const auto& k = curves[1];
  EXPECT_EQ(k.kind, "categorical");
  EXPECT_EQ(k.grid, (std::vector<double>{0, 1, 2}));
  for (const double v : k.pdp[0]) EXPECT_NEAR(v, k.pdp[0][0], 1e-12);
  // Seeded sample: the same seed gives the same rows.
  EXPECT_EQ(tr::partial_dependence(f, d.view(), targets, o)[0].ice_rows, c.ice_rows);
  EXPECT_THROW(tr::partial_dependence(f, d.view(), tr::pdp_targets(std::vector<std::size_t>{3}, {}), o), Error);
}

TEST(Explain, PdpOneHotAndClassOutputs) {
  // Three one-hot columns, f = 1, 2 or 3 by category; probabilities for the class outputs.
  Dense d{90, 3, std::vector<float>(270, 0.0f)};
  for (std::size_t r = 0; r < 90; ++r) d.x[r * 3 + r % 3] = 1.0f;
  const auto f = model([](const float* row) {
    return 1.0 * static_cast<double>(row[0]) + 2.0 * static_cast<double>(row[1]) + 3.0 * static_cast<double>(row[2]);
  });
  const std::vector<tr::PdpTarget> t = {{"colour", {0, 1, 2}, {"red", "green", "blue"}}};
  const auto c = tr::partial_dependence(f, d.view(), t);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, "one_hot");
  EXPECT_EQ(c[0].grid_labels, (std::vector<std::string>{"red", "green", "blue"}));
  ASSERT_EQ(c[0].pdp[0].size(), 3u);
  EXPECT_NEAR(c[0].pdp[0][0], 1.0, 1e-12);
  EXPECT_NEAR(c[0].pdp[0][1], 2.0, 1e-12);
  EXPECT_NEAR(c[0].pdp[0][2], 3.0, 1e-12);
  // Binary: P(class 1); multiclass: one curve per class.
  const auto bin = tr::partial_dependence(model([](const float* row) { return static_cast<double>(row[0]) * 0.5; }, true),
                                          d.view(), t);
  EXPECT_EQ(bin[0].outputs, (std::vector<std::string>{"P(class 1)"}));
  EXPECT_NEAR(bin[0].pdp[0][0], 0.5, 1e-7);
  const tr::PredictFn three = [](MatrixView x) {
    Prediction p{x.rows, 3, {}};
    for (std::size_t r = 0; r < x.rows; ++r)
      for (std::size_t k = 0; k < 3; ++k) p.values.push_back(x.data[r * 3 + k]);
    return p;
  };
  const auto multi = tr::partial_dependence(three, d.view(), t);
  ASSERT_EQ(multi[0].pdp.size(), 3u);
  ASSERT_EQ(multi[0].ice.size(), 3u);
  EXPECT_NEAR(multi[0].pdp[2][2], 1.0, 1e-12);
  EXPECT_NEAR(multi[0].pdp[2][0], 0.0, 1e-12);
  EXPECT_EQ(tr::top_features(std::vector<double>{0.1, std::nan(""), 0.5, 0.3}, 2), (std::vector<std::size_t>{2, 3}));
}

// ---- linear coefficients ----

TEST(Explain, LinearCoefficientsMapToColumns) {
  const auto names_avail = backend::trainer_names();
  if (std::find(names_avail.begin(), names_avail.end(), "linear") == names_avail.end())
    GTEST_SKIP() << "built without LibTorch";
  const Dense d = uniform(400, 3, 31);
  std::vector<float> y(d.rows);
  for (std::size_t r = 0; r < d.rows; ++r) y[r] = 3.0f * d.at(r, 1) + 0.1f * d.at(r, 0);
  auto t = backend::make_trainer("linear", {{"max_epochs", 60}, {"batch_size", 32}, {"learning_rate", 0.05}});
  t->fit({d.view(), y, {}}, nullptr, cpu(backend::Task::Regression));
  const std::vector<std::string> names = {"u=1", "v", "u=2"};
  const std::vector<tr::FeatureGroup> groups = {{"u", {0, 2}}, {"v", {1}}};
  const auto m = tr::linear_coefficients(*t, names, groups);
  EXPECT_EQ(m.kind, "abs_coefficient");
  ASSERT_FALSE(m.notices.empty());
  EXPECT_NE(m.notices[0].find("signed values below"), std::string::npos);
  ASSERT_EQ(m.columns.size(), 2u);
  EXPECT_EQ(m.columns[0].column, "v");
  EXPECT_EQ(m.features[0].feature, "v");
  if (has_xgboost()) {
    auto x = backend::make_trainer("xgboost", {{"n_estimators", 3}});
    x->fit({d.view(), y, {}}, nullptr, cpu(backend::Task::Regression));
    EXPECT_THROW(tr::linear_coefficients(*x, names, groups), Error);
    EXPECT_THROW(tr::shap_local(*t, d.view(), 0, names), Error);  // the linear trainer has no SHAP
  }
}

// Signed coefficients recover the generating model's signs and sizes: regression in target
// units, binary in log-odds of the second class, multiclass one logit per class.
TEST(Explain, SignedLinearCoefficients) {
  const auto names_avail = backend::trainer_names();
  if (std::find(names_avail.begin(), names_avail.end(), "linear") == names_avail.end())
    GTEST_SKIP() << "built without LibTorch";
  const Dense d = uniform(600, 3, 47);
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::vector<tr::FeatureGroup> groups = {{"a", {0}}, {"bc", {1, 2}}};
  {  // regression: y = 3a - 2b + 0c + 5
    std::vector<float> y(d.rows);
    for (std::size_t r = 0; r < d.rows; ++r) y[r] = 3.0f * d.at(r, 0) - 2.0f * d.at(r, 1) + 5.0f;
    auto t = backend::make_trainer("linear", {{"max_epochs", 200}, {"batch_size", 32}, {"learning_rate", 0.05}});
    t->fit({d.view(), y, {}}, nullptr, cpu(backend::Task::Regression));
    const auto c = tr::signed_linear_coefficients(*t, names, groups, {});
    ASSERT_EQ(c.outputs.size(), 1u);
    EXPECT_EQ(c.outputs[0].output, "value");
    ASSERT_EQ(c.outputs[0].coefficients.size(), 3u);
    const auto& top = c.outputs[0].coefficients;
    EXPECT_EQ(top[0].feature, "a");
    EXPECT_EQ(top[0].column, "a");
    EXPECT_NEAR(top[0].raw, 3.0, 0.15);
    EXPECT_EQ(top[1].feature, "b");
    EXPECT_EQ(top[1].column, "bc");
    EXPECT_NEAR(top[1].raw, -2.0, 0.15);
    EXPECT_LT(top[1].value, 0.0);
    EXPECT_NEAR(top[2].raw, 0.0, 0.15);
    // value = raw x the feature's standard deviation: the prediction at the means is the intercept.
    double mean_y = 0.0;
    for (float v : y) mean_y += v;
    mean_y /= static_cast<double>(y.size());
    EXPECT_NEAR(c.outputs[0].intercept, mean_y, 0.1);
    const auto p = t->predict(d.view());
    for (std::size_t r = 0; r < 5; ++r) {
      double lin = 0.0;
      auto w = t->linear_weights();
      ASSERT_TRUE(w.has_value());
      lin = w->intercepts[0];
      for (std::size_t f = 0; f < 3; ++f) lin += w->weights[f] * (d.at(r, f) - w->input_mean[f]) / w->input_scale[f];
      EXPECT_NEAR(lin, p.values[r], 1e-4);  // the weights are the model's own
    }
  }
  {  // binary: P(y=1) rises with b, falls with c
    std::vector<float> y(d.rows);
    for (std::size_t r = 0; r < d.rows; ++r) y[r] = d.at(r, 1) - d.at(r, 2) > 0.0f ? 1.0f : 0.0f;
    auto t = backend::make_trainer("linear", {{"max_epochs", 60}, {"batch_size", 32}, {"learning_rate", 0.05}});
    t->fit({d.view(), y, {}}, nullptr, cpu(backend::Task::Binary));
    const std::vector<std::string> classes = {"no", "yes"};
    const auto c = tr::signed_linear_coefficients(*t, names, groups, classes);
    ASSERT_EQ(c.outputs.size(), 1u);
    EXPECT_EQ(c.outputs[0].output, "log-odds of 'yes'");
    double wb = 0.0, wc = 0.0, wa = 0.0;
    for (const auto& k : c.outputs[0].coefficients) (k.feature == "a" ? wa : k.feature == "b" ? wb : wc) = k.value;
    EXPECT_GT(wb, 1.0);
    EXPECT_LT(wc, -1.0);
    EXPECT_LT(std::abs(wa), 0.25 * wb);
  }
  {  // multiclass: class k is the largest of the three features
    std::vector<float> y(d.rows);
    for (std::size_t r = 0; r < d.rows; ++r) {
      std::size_t k = 0;
      for (std::size_t f = 1; f < 3; ++f)
        if (d.at(r, f) > d.at(r, k)) k = f;
      y[r] = static_cast<float>(k);
    }
    auto t = backend::make_trainer("linear", {{"max_epochs", 60}, {"batch_size", 32}, {"learning_rate", 0.05}});
    auto o = cpu(backend::Task::Multiclass);
    o.num_classes = 3;
    t->fit({d.view(), y, {}}, nullptr, o);
    const std::vector<std::string> classes = {"x", "y", "z"};
    const auto c = tr::signed_linear_coefficients(*t, names, groups, classes);
    ASSERT_EQ(c.outputs.size(), 3u);
    EXPECT_EQ(c.outputs[2].output, "logit of 'z'");
    for (std::size_t k = 0; k < 3; ++k) {  // each class's own feature has its largest coefficient
      const auto& top = c.outputs[k].coefficients.front();
      EXPECT_EQ(top.index, k) << c.outputs[k].output;
      EXPECT_GT(top.value, 0.0);
    }
  }
  if (has_xgboost()) {
    std::vector<float> y(d.rows, 0.0f);
    for (std::size_t r = 0; r < d.rows; ++r) y[r] = d.at(r, 0);
    auto x = backend::make_trainer("xgboost", {{"n_estimators", 3}});
    x->fit({d.view(), y, {}}, nullptr, cpu(backend::Task::Regression));
    EXPECT_FALSE(x->linear_weights().has_value());
    EXPECT_THROW(tr::signed_linear_coefficients(*x, names, groups, {}), Error);
  }
}

// ---- JSON ----

TEST(Explain, JsonShapes) {
  const Dense d = uniform(300, 2, 41);
  std::vector<float> y(d.rows);
  for (std::size_t r = 0; r < d.rows; ++r) y[r] = d.at(r, 0);
  const auto f = model([](const float* row) { return static_cast<double>(row[0]); });
  tr::PermutationOptions o;
  o.task = metrics::TaskKind::Regression;
  o.repeats = 2;
  const nlohmann::json p = tr::permutation_importance(f, d.view(), y, o);
  for (const char* key : {"metric", "direction", "baseline", "repeats", "seed", "rows", "grouped", "available", "items",
                          "notices"})
    EXPECT_TRUE(p.contains(key)) << key;
  ASSERT_EQ(p["items"].size(), 2u);
  EXPECT_EQ(p["items"][0]["name"], "f0");
  EXPECT_EQ(p["items"][0]["drops"].size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(p.dump()), p);
  const nlohmann::json c = tr::partial_dependence(f, d.view(), tr::pdp_targets(std::vector<std::size_t>{0}, {}));
  ASSERT_EQ(c.size(), 1u);
  for (const char* key : {"feature", "features", "kind", "grid", "grid_labels", "outputs", "pdp", "ice", "ice_rows"})
    EXPECT_TRUE(c[0].contains(key)) << key;
  EXPECT_EQ(nlohmann::json::parse(c.dump()), c);
  tr::ShapLocal l;
  l.model_margin = std::nan("");
  l.outputs.push_back({-1, 0.5, {{"a", 0, std::nan(""), 0.25}}, 0.75});
  const nlohmann::json lj = l;
  EXPECT_TRUE(lj["model_margin"].is_null());
  EXPECT_TRUE(lj["outputs"][0]["steps"][0]["value"].is_null());
  EXPECT_EQ(lj["outputs"][0]["steps"][0]["shap"], 0.25);
  EXPECT_EQ(nlohmann::json::parse(lj.dump()), lj);
}
