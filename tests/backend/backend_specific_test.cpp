// Registry, device rules, and what only one backend offers (XGBoost's SHAP and Python
// interchange, the LibTorch file format).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "automl/common/error.hpp"
#include "backend/registry.hpp"
#include "shared_data.hpp"

namespace glasswing::backend {
namespace {

bool has_trainer(const std::string& name) {
  const auto names = trainer_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::filesystem::path temp_path(const std::string& stem) {
  return std::filesystem::temp_directory_path() /
         (stem + "-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
}

FitOptions cpu_options(Task task, int classes = 0) {
  FitOptions o;
  o.task = task;
  o.num_classes = classes;
  o.seed = 3;
  o.device.kind = DeviceKind::Cpu;
  o.device.jobs = 2;
  return o;
}

TEST(BackendRegistry, UnknownTrainerListsTheValidNames) {
  try {
    make_trainer("random_forest");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    const std::string what = e.what();
    EXPECT_NE(what.find("random_forest"), std::string::npos);
    for (const auto& n : trainer_names()) EXPECT_NE(what.find(n), std::string::npos) << what;
  }
}

TEST(BackendRegistry, LoadRejectsFilesThatAreNotModels) {
  const auto path = temp_path("gw-not-a-model").string();
  std::ofstream(path) << "hello";
  try {
    load_model(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
  }
  std::filesystem::remove(path);
  EXPECT_THROW(load_model(path), Error);  // missing file
}

TEST(BackendDevice, ParsesTheThreeNamesAndRejectsOthers) {
  EXPECT_EQ(parse_device("auto"), DeviceKind::Auto);
  EXPECT_EQ(parse_device("cpu"), DeviceKind::Cpu);
  EXPECT_EQ(parse_device("cuda"), DeviceKind::Cuda);
  try {
    parse_device("tpu");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("auto, cpu, cuda"), std::string::npos);
  }
}

TEST(BackendDevice, ResolutionRules) {
  const DeviceSupport none{"torch", false, 0, "LibTorch 1.13.0, CUDA devices: 0"};
  const DeviceSupport built_no_gpu{"torch", true, 0, "CUDA devices: 0"};
  const DeviceSupport gpu{"torch", true, 1, "CUDA devices: 1"};
  EXPECT_FALSE(resolve_device({DeviceKind::Cpu, 0}, gpu).cuda);
  EXPECT_TRUE(resolve_device({DeviceKind::Cuda, 0}, gpu).cuda);
  EXPECT_TRUE(resolve_device({DeviceKind::Auto, 0}, gpu).cuda);
  const auto fallback = resolve_device({DeviceKind::Auto, 0}, none);
  EXPECT_FALSE(fallback.cuda);
  EXPECT_NE(fallback.note.find("no CUDA support"), std::string::npos) << fallback.note;
  EXPECT_NE(resolve_device({DeviceKind::Auto, 0}, built_no_gpu).note.find("no CUDA GPU"), std::string::npos);
  for (const auto& s : {none, built_no_gpu}) {
    try {
      resolve_device({DeviceKind::Cuda, 0}, s);
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Resource);
    }
  }
}

// ---- XGBoost ----------------------------------------------------------------------------------

class XGBoostBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!has_trainer("xgboost")) GTEST_SKIP() << "built without XGBoost";
  }
};

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  if (pclose(pipe) != 0) out = "FAILED:" + out;
  return out;
}

TEST_F(XGBoostBackend, PythonXGBoostLoadsTheFileAndPredictsIdentically) {
  struct Case {
    Task task;
    int classes;
    testing::Dense data;
    std::unique_ptr<Trainer> trainer;
  };
  std::vector<Case> cases;
  cases.push_back({Task::Binary, 0, testing::load_dataset("pima-diabetes-na.csv", "diabetes", true, "pos"), {}});  // NaN
  cases.push_back({Task::Multiclass, 3, testing::load_dataset("iris.csv", "species", true), {}});
  cases.push_back({Task::Regression, 0, testing::synthetic(1000, 5, 11), {}});
  const auto dir = temp_path("gw-xgb");
  std::string args;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto& c = cases[i];
    c.trainer = make_trainer("xgboost", {{"n_estimators", 40}});
    c.trainer->fit(c.data.view(), nullptr, cpu_options(c.task, c.classes));
    const auto sub = dir / std::to_string(i);
    std::filesystem::create_directories(sub);
    c.trainer->save((sub / "model.json").string());
    std::ofstream x(sub / "x.bin", std::ios::binary);
    x.write(reinterpret_cast<const char*>(c.data.x.data()), static_cast<std::streamsize>(c.data.x.size() * sizeof(float)));
    args += " " + sub.string() + " " + std::to_string(c.data.cols);
  }
  // One interpreter for all cases: importing xgboost costs seconds.
  std::ofstream(dir / "check.py") << "import sys\n"
                                     "try:\n"
                                     "    import numpy as np, xgboost as xgb\n"
                                     "except ImportError:\n"
                                     "    print('no xgboost'); sys.exit(0)\n"
                                     "a = sys.argv[1:]\n"
                                     "for d, cols in zip(a[0::2], a[1::2]):\n"
                                     "    x = np.fromfile(d + '/x.bin', dtype=np.float32).reshape(-1, int(cols))\n"
                                     "    b = xgb.Booster(model_file=d + '/model.json')\n"
                                     "    p = b.predict(xgb.DMatrix(x, missing=np.nan))\n"
                                     "    p.astype(np.float32).tofile(d + '/py.bin')\n"
                                     "    print(b.attr('glasswing_trainer'))\n";
  const std::string out = run_command("/usr/bin/python3 " + (dir / "check.py").string() + args + " 2>&1");
  if (out == "no xgboost\n") {
    std::filesystem::remove_all(dir);
    GTEST_SKIP() << "/usr/bin/python3 has no xgboost module (Debian python3-xgboost)";
  }
  ASSERT_EQ(out, "xgboost\nxgboost\nxgboost\n");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    SCOPED_TRACE(to_string(c.task));
    std::vector<float> python(c.data.rows * static_cast<std::size_t>(c.task == Task::Multiclass ? c.classes : 1));
    std::ifstream in(dir / std::to_string(i) / "py.bin", std::ios::binary);
    in.read(reinterpret_cast<char*>(python.data()), static_cast<std::streamsize>(python.size() * sizeof(float)));
    ASSERT_EQ(in.gcount(), static_cast<std::streamsize>(python.size() * sizeof(float)));
    const Prediction ours = c.trainer->predict(c.data.matrix());
    double max_diff = 0;
    for (std::size_t r = 0; r < c.data.rows; ++r) {
      if (c.task == Task::Multiclass) {
        for (std::size_t k = 0; k < 3; ++k)
          max_diff = std::max(max_diff, std::abs(static_cast<double>(ours.at(r, k)) - python[r * 3 + k]));
      } else {
        const float v = c.task == Task::Binary ? ours.at(r, 1) : ours.at(r, 0);
        max_diff = std::max(max_diff, std::abs(static_cast<double>(v) - python[r]));
      }
    }
    std::cout << "[ metric ] python xgboost vs ours (" << to_string(c.task) << "), max |diff| = " << max_diff << "\n";
    EXPECT_LE(max_diff, 1e-6);
  }
  std::filesystem::remove_all(dir);
}

TEST_F(XGBoostBackend, ShapContributionsAddUpToTheMargin) {
  const testing::Dense d = testing::synthetic(800, 5, 2, true);
  auto t = make_trainer("xgboost", {{"n_estimators", 30}});
  t->fit(d.view(), nullptr, cpu_options(Task::Binary));
  ASSERT_TRUE(t->supports_shap());
  const auto contrib = t->shap_contributions(d.matrix());
  ASSERT_EQ(contrib.shape, (std::vector<std::size_t>{800, 1, 6}));
  const Prediction p = t->predict(d.matrix());
  for (std::size_t r = 0; r < 800; r += 37) {
    double margin = 0;
    for (std::size_t j = 0; j < 6; ++j) margin += contrib.values[r * 6 + j];
    const double prob = 1 / (1 + std::exp(-margin));
    EXPECT_NEAR(prob, p.at(r, 1), 1e-4);
  }
  const auto inter = t->shap_interactions({d.x.data(), 50, d.cols});  // the first 50 rows
  ASSERT_EQ(inter.shape, (std::vector<std::size_t>{50, 1, 6, 6}));
  // Rows of the interaction matrix sum to the contributions.
  for (std::size_t j = 0; j < 6; ++j) {
    double sum = 0;
    for (std::size_t k = 0; k < 6; ++k) sum += inter.values[j * 6 + k];
    EXPECT_NEAR(sum, contrib.values[j], 1e-3);
  }
}

TEST_F(XGBoostBackend, MulticlassShapHasOneGroupPerClass) {
  const testing::Dense d = testing::load_dataset("iris.csv", "species", true);
  auto t = make_trainer("xgboost", {{"n_estimators", 10}});
  t->fit(d.view(), nullptr, cpu_options(Task::Multiclass, 3));
  EXPECT_EQ(t->shap_contributions(d.matrix()).shape, (std::vector<std::size_t>{150, 3, 5}));
}

TEST_F(XGBoostBackend, EarlyStoppingKeepsTheBestRound) {
  const auto s = testing::split(testing::load_dataset("credit-g.csv", "class", true, "bad"), 0.3, 0.2, 1);
  auto t = make_trainer("xgboost", {{"n_estimators", 2000}, {"early_stopping_rounds", 10}, {"learning_rate", 0.3}});
  const auto train = s.train.view(), eval = s.eval.view();
  const FitReport r = t->fit(train, &eval, cpu_options(Task::Binary));
  EXPECT_EQ(r.stop, StopReason::EarlyStopped);
  EXPECT_EQ(r.rounds, r.best_round + 11);
  // The kept model has exactly best_round + 1 rounds: Python sees the same trees.
  const auto path = temp_path("gw-es").string();
  t->save(path);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(path);
  EXPECT_NE(text.str().find("\"num_trees\":\"" + std::to_string(r.best_round + 1) + "\""), std::string::npos);
}

TEST_F(XGBoostBackend, RefusesXGBoostJsonNotWrittenByGlasswing) {
  const auto path = temp_path("gw-foreign").string() + ".json";
  const std::string script =
      "import numpy as np, xgboost as xgb\n"
      "b = xgb.train({}, xgb.DMatrix(np.eye(4, dtype=np.float32), label=[0,1,0,1]), 2)\n"
      "b.save_model('" + path + "')\n";
  if (run_command("/usr/bin/python3 -c \"" + script + "\" 2>&1").rfind("FAILED", 0) == 0)
    GTEST_SKIP() << "no Python xgboost";
  try {
    load_model(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("not written by Glasswing"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

// ---- LibTorch ---------------------------------------------------------------------------------

class TorchBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!has_trainer("mlp")) GTEST_SKIP() << "built without LibTorch";
  }
};

TEST_F(TorchBackend, ModelFileIsSelfDescribingAndDamageIsDetected) {
  const testing::Dense d = testing::synthetic(500, 4, 4);
  auto t = make_trainer("mlp", {{"max_epochs", 3}, {"width", 16}, {"depth", 3}});
  t->fit(d.view(), nullptr, cpu_options(Task::Regression));
  const auto path = temp_path("gw-mlp").string();
  t->save(path);
  std::ifstream in(path, std::ios::binary);
  std::string magic, header;
  std::getline(in, magic);
  std::getline(in, header);
  EXPECT_EQ(magic, "GLASSWING-TORCH-MODEL");
  for (const char* key : {"\"arch\"", "\"depth\":3", "\"width\":16", "\"input_mean\"", "\"glasswing_version\"",
                          "\"schema\":1", "\"tensors\""})
    EXPECT_NE(header.find(key), std::string::npos) << key;
  in.close();
  // Truncate the tensor data: loading must refuse it.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 64);
  try {
    load_model(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
  }
  std::filesystem::remove(path);
}

TEST_F(TorchBackend, LinearL1ZeroesUselessCoefficients) {
  const testing::Dense d = testing::synthetic(2000, 10, 8);
  auto strong = make_trainer("linear", {{"l1", 0.05}, {"l2", 0}, {"max_epochs", 60}});
  strong->fit(d.view(), nullptr, cpu_options(Task::Regression));
  auto plain = make_trainer("linear", {{"l1", 0}, {"l2", 0}, {"max_epochs", 60}});
  plain->fit(d.view(), nullptr, cpu_options(Task::Regression));
  double useless_strong = 0, useless_plain = 0;
  const auto a = strong->feature_importance().values, b = plain->feature_importance().values;
  for (std::size_t j = 4; j < 10; ++j) {  // columns 4..9 carry no signal
    useless_strong += a[j];
    useless_plain += b[j];
  }
  EXPECT_LT(useless_strong, useless_plain);
}

}  // namespace
}  // namespace glasswing::backend
