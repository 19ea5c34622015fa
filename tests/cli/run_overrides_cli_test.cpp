// `glasswing run --column-type COL=TYPE` and `--space FILE.json` as a user types them: every bad
// value exits 2 (usage) or 3 (bad input) with one line on stderr and nothing stored; a good run
// records them and `glasswing predict` reads its data with the run's types.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace fs = std::filesystem;
using glasswing::test::count_lines;
using glasswing::test::run_cli;

namespace {

struct Dir {
  fs::path path;
  Dir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("glasswing-overrides-cli-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// 48 rows; "code" holds codes with leading zeros in one of three spellings, "name" is mostly numbers.
fs::path write_data(const fs::path& dir) {
  const fs::path p = dir / "data.csv";
  std::ofstream out(p);
  out << "x,code,name,y\n";
  for (int i = 0; i < 48; ++i) {
    const double x = std::cos(i * 0.9) * 2;
    out << x << ',' << (i % 3 == 0 ? "01" : i % 3 == 1 ? "02" : "10") << ',' << (i == 5 ? std::string("n/x") : std::to_string(i))
        << ',' << ((x > 0) != (i % 8 == 0) ? "up" : "down") << '\n';
  }
  return p;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

}  // namespace

TEST(RunOverridesCli, BadColumnTypesAndSpacesExitWithOneLine) {
  Dir dir;
  const fs::path data = write_data(dir.path);
  write(dir.path / "bad.json", "{\"xgboost\": {\"max_depth\": {\"low\": 8, \"high\": 4}}}");
  write(dir.path / "unknown.json", "{\"xgboost\": {\"depth\": 4}}");
  write(dir.path / "broken.json", "{\"xgboost\": ");
  const struct {
    std::vector<std::string> args;
    int code;
    const char* says;
  } cases[] = {
      {{"--column-type", "code"}, 2, "must be COL=TYPE"},
      {{"--column-type", "code="}, 2, "must be COL=TYPE"},
      {{"--column-type", "code=catgorical"}, 2, "unknown column type 'catgorical'"},
      {{"--column-type", "zip=categorical"}, 3, "column 'zip'"},
      {{"--column-type", "name=float"}, 3, "1 of its 48 values are not numbers (the first: 'n/x' in data row 6)"},
      {{"--column-type", "y=ignore"}, 3, "is the target"},
      {{"--space", (dir.path / "missing.json").string()}, 3, "cannot be read"},
      {{"--space", (dir.path / "broken.json").string()}, 3, "is not valid JSON"},
      {{"--space", (dir.path / "unknown.json").string()}, 3, "family 'xgboost' has no parameter 'depth'"},
      {{"--space", (dir.path / "bad.json").string()}, 3, "xgboost.max_depth: low (8) is above high (4)"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"run", "--data", data.string(), "--target", "y", "--models", "xgboost", "--max-trials", "2",
                                  "--out", (dir.path / "run").string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, c.code) << c.args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_FALSE(fs::exists(dir.path / "run" / "search.db"));
  }
}

TEST(RunOverridesCli, RunRecordsTypesAndSpaceAndPredictAppliesThem) {
  Dir dir;
  const fs::path data = write_data(dir.path);
  write(dir.path / "space.json", "{\"xgboost\": {\"max_depth\": 2, \"n_estimators\": {\"low\": 50, \"high\": 80}}}");
  const fs::path run = dir.path / "run";
  const auto r = run_cli({"run", "--data", data.string(), "--target", "y", "--models", "xgboost", "--max-trials", "3", "--cv", "3",
                          "--ensemble-candidates", "0", "--column-type", "code=categorical", "--column-type", "name=ignore",
                          "--space", (dir.path / "space.json").string(), "--out", run.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto run_json = nlohmann::json::parse(glasswing::test::slurp(run / "run.json"));
  EXPECT_EQ(run_json["settings"]["column_types"], (nlohmann::json{{"code", "categorical"}, {"name", "ignore"}}));
  EXPECT_EQ(run_json["settings"]["space"]["xgboost"]["max_depth"], 2);
  const auto manifest = nlohmann::json::parse(glasswing::test::slurp(run / "model" / "manifest.json"));
  for (const auto& c : manifest["input_columns"]) {
    EXPECT_NE(c["name"], "name");
    if (c["name"] == "code") {
      EXPECT_EQ(c["type"], "categorical");
    }
  }
  // The leading zeros are categories in predict too: "01" and "10" stay apart.
  const auto p = run_cli({"predict", "--model", (run / "model").string(), "--data", data.string(), "--out",
                          (dir.path / "pred.csv").string()});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(p.err.find("unseen"), std::string::npos) << p.err;
  EXPECT_EQ(count_lines(glasswing::test::slurp(dir.path / "pred.csv")), 49u);
}
