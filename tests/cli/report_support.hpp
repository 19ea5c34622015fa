#pragma once
// Runs made once with the built CLI and shared by the report tests (cached under the build tree,
// keyed by the CLI binary's size and time, made in a private folder and renamed into place so
// parallel test processes never see half a run).

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/cli/cli_support.hpp"

namespace glasswing::test {

inline std::filesystem::path report_work() {
  struct stat st {};
  std::string key = "x";
  if (::stat(GLASSWING_CLI, &st) == 0) key = std::to_string(st.st_size) + "-" + std::to_string(st.st_mtime);
  const std::filesystem::path dir = std::filesystem::path(GLASSWING_REPORT_WORK) / key;
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::filesystem::path shared_dataset(const std::string& name) {
  return std::filesystem::path(GLASSWING_SHARED_DIR) / "datasets" / name;
}

// Splits a CSV by data row: rows whose index satisfies `keep` go to `out` (header always).
template <class Keep>
void write_rows(const std::filesystem::path& in, const std::filesystem::path& out, Keep keep) {
  std::ifstream src(in);
  std::ofstream dst(out, std::ios::trunc);
  std::string line;
  std::getline(src, line);
  dst << line << '\n';
  for (std::size_t i = 0; std::getline(src, line); ++i)
    if (keep(i, line)) dst << line << '\n';
}

// `glasswing run ARGS --out <cache>/NAME/run` once; returns the run folder. `prepare(dir)` writes
// the inputs into a folder of their own that stays (run.json records their paths); the args name
// files there as {dir}.
template <class Prepare>
std::filesystem::path cached_run(const std::string& name, std::vector<std::string> args, Prepare prepare) {
  namespace fs = std::filesystem;
  const fs::path work = report_work();
  const fs::path final_dir = work / name;
  if (fs::is_regular_file(final_dir / "run" / "run.json")) return final_dir / "run";
  const std::string pid = std::to_string(::getpid());
  const fs::path inputs = work / (name + ".inputs-" + pid);
  const fs::path tmp = work / (name + ".tmp-" + pid);
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  fs::create_directories(inputs);
  prepare(inputs);
  for (auto& a : args) {
    const auto pos = a.find("{dir}");
    if (pos != std::string::npos) a.replace(pos, 5, inputs.string());
  }
  args.insert(args.begin(), "run");
  args.push_back("--out");
  args.push_back((tmp / "run").string());
  const CliResult r = run_cli(args);
  EXPECT_EQ(r.code, 0) << r.err;
  std::error_code ec;
  fs::rename(tmp, final_dir, ec);  // another process may have won the race: use its run
  if (ec) fs::remove_all(tmp, ec);
  return final_dir / "run";
}

// credit-g: rows 0..799 train, 800..999 test (files written into the run's own folder).
inline std::filesystem::path credit_run() {
  return cached_run("credit",
                    {"--data", "{dir}/train.csv", "--test", "{dir}/test.csv", "--target", "class", "--models",
                     "constant,linear,xgboost", "--max-trials", "3", "--cv", "3", "--seed", "3"},
                    [](const std::filesystem::path& tmp) {
                      write_rows(shared_dataset("credit-g.csv"), tmp / "train.csv", [](std::size_t i, auto&) { return i < 800; });
                      write_rows(shared_dataset("credit-g.csv"), tmp / "test.csv", [](std::size_t i, auto&) { return i >= 800; });
                    });
}

}  // namespace glasswing::test
