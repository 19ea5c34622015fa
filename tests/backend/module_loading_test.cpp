// The LibTorch backend is a module loaded on the first request for a torch trainer
// (backend/module.hpp, docs/BACKENDS.md "Loading"): nothing maps LibTorch before that, and a
// missing or broken module is a one-line Resource error (exit 5) or, in a run that has other
// families, a warning that leaves the torch families out.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "backend/registry.hpp"
#include "tests/cli/cli_support.hpp"

namespace fs = std::filesystem;
using glasswing::test::run_cli;
using glasswing::test::shell_quote;
using glasswing::test::slurp;

namespace {

bool torch_mapped() { return slurp("/proc/self/maps").find("libtorch_cpu") != std::string::npos; }

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("glasswing-module-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string iris() { return std::string(GLASSWING_SHARED_DIR) + "/datasets/iris.csv"; }

}  // namespace

TEST(TorchModule, LibTorchIsMappedOnlyOnceATorchTrainerIsAskedFor) {
  ASSERT_FALSE(torch_mapped()) << "this test program must not link LibTorch";
  const auto names = glasswing::backend::trainer_names();
  ASSERT_NE(std::find(names.begin(), names.end(), "mlp"), names.end());
  EXPECT_FALSE(torch_mapped()) << "listing the trainers must not load the module";
  EXPECT_EQ(glasswing::backend::trainer_unavailable("xgboost"), "");
  EXPECT_FALSE(torch_mapped());
  auto t = glasswing::backend::make_trainer("linear");
  EXPECT_EQ(t->name(), "linear");
  EXPECT_TRUE(torch_mapped());
  EXPECT_EQ(glasswing::backend::trainer_unavailable("mlp"), "");
  EXPECT_EQ(glasswing::backend::device_support("mlp").backend, "torch");
}

TEST(TorchModule, CliStartsWithoutLibTorchAndLoadsItForATorchFamily) {
  TempDir t;
  const std::string trace = "LD_DEBUG=files LD_DEBUG_OUTPUT=" + shell_quote((t.path / "ld").string());
  const auto xgb = run_cli({"run", "--data", iris(), "--target", "species", "--models", "xgboost", "--max-trials", "1", "--out",
                            (t.path / "a").string()},
                           trace);
  ASSERT_EQ(xgb.code, 0) << xgb.err;
  std::string loads;
  for (const auto& e : fs::directory_iterator(t.path))
    if (e.path().filename().string().rfind("ld.", 0) == 0) loads += slurp(e.path());
  EXPECT_NE(loads.find("libxgboost"), std::string::npos) << "LD_DEBUG gave no trace";
  EXPECT_EQ(loads.find("libtorch"), std::string::npos) << "an xgboost-only run loaded LibTorch";
}

TEST(TorchModule, MissingModuleLeavesTheTorchFamiliesOutWithAWarning) {
  TempDir t;
  const std::string env = "GLASSWING_BACKEND_DIR=" + shell_quote(t.path.string());
  const auto r = run_cli({"run", "--data", iris(), "--target", "species", "--models", "constant,linear,xgboost", "--max-trials",
                          "1", "--out", (t.path / "run").string()},
                         env);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string run_json = slurp(t.path / "run" / "run.json");
  EXPECT_NE(run_json.find("model family 'linear' left out: the LibTorch backend (libglasswing_torch.so) is not installed"),
            std::string::npos)
      << run_json.substr(0, 2000);
  EXPECT_EQ(run_json.find("\"torch\""), std::string::npos) << "the run did not use LibTorch";
}

TEST(TorchModule, MissingModuleFailsARunOfOnlyTorchFamilies) {
  TempDir t;
  const auto r = run_cli({"run", "--data", iris(), "--target", "species", "--models", "mlp,linear", "--max-trials", "2", "--out",
                          (t.path / "run").string()},
                         "GLASSWING_BACKEND_DIR=" + shell_quote(t.path.string()));
  EXPECT_EQ(r.code, 5) << r.err;
  EXPECT_EQ(glasswing::test::count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("not installed: looked in " + t.path.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("set GLASSWING_BACKEND_DIR"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(t.path / "run" / "run.json"));
}

TEST(TorchModule, BrokenModuleIsAOneLineResourceError) {
  TempDir t;
  std::ofstream(t.path / "libglasswing_torch.so") << "not a shared object\n";
  const auto r = run_cli({"run", "--data", iris(), "--target", "species", "--models", "linear", "--max-trials", "1", "--out",
                          (t.path / "run").string()},
                         "GLASSWING_BACKEND_DIR=" + shell_quote(t.path.string()));
  EXPECT_EQ(r.code, 5) << r.err;
  EXPECT_EQ(glasswing::test::count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("cannot load the LibTorch backend " + (t.path / "libglasswing_torch.so").string()), std::string::npos)
      << r.err;
}

TEST(TorchModule, BundleOfATorchModelNeedsTheModule) {
  TempDir t;
  const auto made = run_cli({"run", "--data", iris(), "--target", "species", "--models", "linear", "--max-trials", "2", "--out",
                             (t.path / "run").string()});
  ASSERT_EQ(made.code, 0) << made.err;
  const fs::path empty = t.path / "empty";
  fs::create_directories(empty);
  const auto r = run_cli({"predict", "--model", (t.path / "run" / "model").string(), "--data", iris(), "--out",
                          (t.path / "p.csv").string()},
                         "GLASSWING_BACKEND_DIR=" + shell_quote(empty.string()));
  EXPECT_EQ(r.code, 5) << r.err;
  EXPECT_EQ(glasswing::test::count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("needs the LibTorch backend"), std::string::npos) << r.err;
  // With the module (found beside the build), the same bundle predicts.
  const auto ok = run_cli({"predict", "--model", (t.path / "run" / "model").string(), "--data", iris(), "--out",
                           (t.path / "p.csv").string()});
  EXPECT_EQ(ok.code, 0) << ok.err;
}
