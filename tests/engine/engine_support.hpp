#pragma once
// Shared helpers of the engine's end-to-end tests: temp dirs, the shared tools (split.py,
// metrics_check.py) and the built CLI.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_support.hpp"

namespace glasswing::test {

inline const std::filesystem::path kShared = GLASSWING_SHARED_DIR;
inline const std::string kPython = "/usr/bin/python3";

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("glasswing-run-test-" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline int shell(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// split.py of the shared tools, seed 0: DIR/train.csv, DIR/test.csv, DIR/split.json.
inline std::filesystem::path split(const std::string& dataset, const std::filesystem::path& dir) {
  const std::filesystem::path out = dir / dataset;
  const std::string cmd = kPython + " " + shell_quote((kShared / "tools/split.py").string()) + " " +
                          shell_quote((kShared / "datasets" / (dataset + ".csv")).string()) + " --seed 0 --out-dir " +
                          shell_quote(out.string()) + " >/dev/null";
  EXPECT_EQ(shell(cmd), 0) << cmd;
  return out;
}

inline nlohmann::json read_json(const std::filesystem::path& p) { return nlohmann::json::parse(slurp(p)); }

// metrics_check.py's result for a predictions file against the test split.
inline nlohmann::json metrics_check(const std::filesystem::path& pred, const std::filesystem::path& truth,
                                    const std::filesystem::path& dir) {
  const std::filesystem::path out = dir / "metrics.json";
  const std::string cmd = kPython + " " + shell_quote((kShared / "tools/metrics_check.py").string()) + " --pred " +
                          shell_quote(pred.string()) + " --truth " + shell_quote(truth.string()) + " --out " +
                          shell_quote(out.string()) + " >/dev/null";
  EXPECT_EQ(shell(cmd), 0) << cmd;
  return read_json(out);
}

inline bool python_has_optuna() { return shell(kPython + " -c 'import optuna' >/dev/null 2>&1") == 0; }

}  // namespace glasswing::test
