// The `glasswing` CLI as a user runs it: `inspect` output (table and JSON), and the documented
// exit codes with one clear line on stderr for every bad input.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../data/test_util.hpp"
#include "cli_support.hpp"

using glasswing::test::count_lines;
using glasswing::test::run_cli;
using glasswing::test::shared_dataset;
using glasswing::test::TempDir;

TEST(CliInspect, JsonHasRowsColumnsAndTarget) {
  const auto r = run_cli({"inspect", shared_dataset("penguins.csv").string(), "--target", "species", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["rows"], 344);
  ASSERT_EQ(j["columns"].size(), 8u);
  const auto& bill = j["columns"][2];
  EXPECT_EQ(bill["name"], "bill_length_mm");
  EXPECT_EQ(bill["type"], "float");
  EXPECT_EQ(bill["missing"], 2);
  EXPECT_GT(bill["distinct"].get<int>(), 100);
  EXPECT_TRUE(bill.contains("mean") && bill.contains("std") && bill.contains("histogram"));
  EXPECT_EQ(j["columns"][1]["type"], "categorical");
  EXPECT_EQ(j["columns"][1]["top"][0]["value"], "Biscoe");
  EXPECT_EQ(j["target"]["task"], "multiclass");
  EXPECT_EQ(j["target"]["classes"][0]["value"], "Adelie");
  EXPECT_EQ(j["target"]["classes"][0]["count"], 152);
  EXPECT_NEAR(j["target"]["minority_share"].get<double>(), 68.0 / 344.0, 1e-12);
}

TEST(CliInspect, ReadableTableWithRegressionTarget) {
  const auto r = run_cli({"inspect", shared_dataset("diamonds.csv").string(), "--target", "price"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("53940 rows x 10 columns"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("target 'price': regression"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("range 326 .. 18823"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("carat"), std::string::npos);
}

TEST(CliInspect, BinaryTargetShowsClassBalance) {
  const auto r = run_cli({"inspect", shared_dataset("credit-g.csv").string(), "--target", "class"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("target 'class': binary"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("minority class share 30.0%"), std::string::npos) << r.out;
}

TEST(CliInspect, TheBundledDemoDataWorks) {
  const auto r = run_cli({"inspect", std::string(GLASSWING_SOURCE_DIR) + "/data/demo/credit-g.csv", "--target", "class"});
  EXPECT_EQ(r.code, 0) << r.err;
}

// ---- Bad input: exit 3 (data) or 2 (usage), exactly one line on stderr ----------------------

class CliBadInput : public ::testing::Test {
 protected:
  void expect_error(const std::vector<std::string>& args, int code, const std::string& fragment) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, code) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  TempDir dir;
};

TEST_F(CliBadInput, MissingFile) {
  expect_error({"inspect", "/no/such/file.csv"}, 3, "glasswing: /no/such/file.csv: no such file; check the path");
}

TEST_F(CliBadInput, EmptyFile) {
  expect_error({"inspect", dir.write("e.csv", "").string()}, 3, "the file is empty");
}

TEST_F(CliBadInput, HeaderOnly) {
  expect_error({"inspect", dir.write("h.csv", "a,b\n").string()}, 3, "header but no data rows");
}

TEST_F(CliBadInput, RaggedRow) {
  expect_error({"inspect", dir.write("r.csv", "a,b\n1,2\n3\n").string()}, 3,
               "r.csv:3: expected 2 fields but found 1 (ragged row)");
}

TEST_F(CliBadInput, UnterminatedQuote) {
  expect_error({"inspect", dir.write("q.csv", "a,b\n1,\"2\n").string()}, 3, "q.csv:2: unterminated quoted field");
}

TEST_F(CliBadInput, InvalidUtf8) {
  expect_error({"inspect", dir.write("u.csv", "a,b\n1,\xff\xfe\n").string()}, 3, "u.csv:2: invalid UTF-8");
}

TEST_F(CliBadInput, DuplicateAndEmptyColumnNames) {
  expect_error({"inspect", dir.write("d.csv", "a,a\n1,2\n").string()}, 3, "duplicate column name 'a'");
  expect_error({"inspect", dir.write("n.csv", "a,\n1,2\n").string()}, 3, "column 2 has an empty name");
}

TEST_F(CliBadInput, TargetThatDoesNotExist) {
  expect_error({"inspect", shared_dataset("iris.csv").string(), "--target", "specie"}, 3,
               "target column 'specie' does not exist (did you mean 'species'?)");
}

TEST_F(CliBadInput, ConstantTarget) {
  expect_error({"inspect", dir.write("c.csv", "x,y\n1,k\n2,k\n3,k\n").string(), "--target", "y"}, 3,
               "target column 'y' has the single value 'k' in every row");
}

TEST_F(CliBadInput, EntirelyMissingTarget) {
  expect_error({"inspect", dir.write("m.csv", "x,y\n1,\n2,NA\n").string(), "--target", "y"}, 3,
               "target column 'y' is entirely missing");
}

TEST_F(CliBadInput, UsageErrors) {
  expect_error({"inspect"}, 2, "data is required");
  expect_error({"frobnicate"}, 2, "glasswing:");
  expect_error({"inspect", shared_dataset("iris.csv").string(), "--type", "x=numberish"}, 2, "unknown type");
}

// PRODUCT.md: a live progress line on a terminal, plain log lines otherwise.
TEST(CliRunProgress, LiveLineOnATerminalPlainLinesOtherwise) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("glasswing-progress-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  const std::string data = std::string(GLASSWING_SHARED_DIR) + "/datasets/iris.csv";
  // Not a terminal: one plain line per trial, no control characters.
  const auto plain = glasswing::test::run_cli({"run", "--data", data, "--target", "species", "--models", "constant,linear",
                                               "--max-trials", "3", "--out", (dir / "plain").string()});
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(plain.out.find('\033'), std::string::npos);
  EXPECT_EQ(plain.out.find('\r'), std::string::npos);
  EXPECT_NE(plain.out.find("trial   0  constant"), std::string::npos) << plain.out;
  // A terminal (script(1) gives the command a pseudo-terminal): the status line is drawn in place
  // and erased before each trial line.
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "script(1) is not installed";
  const fs::path typescript = dir / "tty.out";
  std::string cmd = std::string(GLASSWING_CLI) + " run --data " + glasswing::test::shell_quote(data) +
                    " --target species --models constant,linear --max-trials 3 --out " +
                    glasswing::test::shell_quote((dir / "tty").string());
  const std::string outer = "script -qfec " + glasswing::test::shell_quote(cmd) + " " +
                            glasswing::test::shell_quote(typescript.string()) + " >/dev/null 2>&1 </dev/null";
  ASSERT_EQ(std::system(outer.c_str()), 0);
  const std::string tty = glasswing::test::slurp(typescript);
  EXPECT_NE(tty.find("\r\033[K"), std::string::npos) << tty;
  EXPECT_NE(tty.find("trials 3: 3 complete, 0 pruned, 0 failed"), std::string::npos) << tty;
  EXPECT_NE(tty.find("trial   0  constant"), std::string::npos);
  fs::remove_all(dir);
}
