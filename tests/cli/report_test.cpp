// `glasswing report` and the report every `glasswing run` writes (transparency/run_insights.hpp,
// transparency/report_html.hpp): real runs made with the built CLI, then the report's content,
// its self-containedness, and the bad inputs of PRODUCT.md ("Bad input").

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "tests/cli/cli_support.hpp"
#include "tests/cli/report_support.hpp"
#include "transparency/report_html.hpp"
#include "transparency/run_insights.hpp"

namespace fs = std::filesystem;
using glasswing::test::cached_run;
using glasswing::test::count_lines;
using glasswing::test::credit_run;
using glasswing::test::run_cli;
using glasswing::test::shared_dataset;
using glasswing::test::slurp;
using glasswing::test::write_rows;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = glasswing::test::report_work() / ("case-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// The positions of the sections' ids, which must increase (PRODUCT.md's order).
void expect_sections_in_order(const std::string& html) {
  std::size_t last = 0;
  for (int i = 1; i <= 11; ++i) {
    const auto pos = html.find("<section id='p" + std::to_string(i) + "'>");
    ASSERT_NE(pos, std::string::npos) << "section P" << i << " missing";
    EXPECT_GT(pos, last) << "section P" << i << " out of order";
    last = pos;
  }
}

// No network: a CSP that forbids fetching, no URL, no external script, style or image.
void expect_self_contained(const std::string& html) {
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // Exactly one script, inline.
  const auto first = html.find("<script");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(html.find("<script", first + 1), std::string::npos);
}

}  // namespace

TEST(Report, EveryRunWritesOneSelfContainedReport) {
  const fs::path run = credit_run();
  ASSERT_TRUE(fs::is_regular_file(run / "report.html"));
  const std::string html = slurp(run / "report.html");
  expect_sections_in_order(html);
  expect_self_contained(html);
  // Details collapsed until opened; print CSS opens them.
  EXPECT_NE(html.find("<details><summary>"), std::string::npos);
  EXPECT_EQ(html.find("<details open"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Model card"), std::string::npos);
  EXPECT_NE(html.find("95% CI"), std::string::npos);
}

TEST(Report, CreditContentIsTheRunsOwn) {
  const fs::path run = credit_run();
  const fs::path out = fresh_dir("credit-json");
  const auto r = run_cli({"report", "--run", run.string(), "--out", (out / "r.html").string(), "--json", (out / "r.json").string(),
                          "--fairness", "personal_status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote"), std::string::npos);
  const auto j = nlohmann::json::parse(slurp(out / "r.json"));
  const auto run_json = nlohmann::json::parse(slurp(run / "run.json"));
  EXPECT_EQ(j["task"], "binary");
  EXPECT_EQ(j["target"], "class");
  // P1: every leaderboard candidate, baselines marked, the chosen one is the run's best.
  const auto lb = nlohmann::json::parse(slurp(run / "leaderboard.json"));
  ASSERT_EQ(j["leaderboard"]["rows"].size(), lb["candidates"].size());
  bool constant = false, linear = false;
  for (const auto& row : j["leaderboard"]["rows"]) {
    constant = constant || (row["family"] == "constant" && row["baseline"] == true);
    linear = linear || (row["family"] == "linear" && row["baseline"] == true);
    EXPECT_EQ(row["folds"]["folds"].get<std::size_t>(), run_json["validation"]["folds"].get<std::size_t>());
  }
  EXPECT_TRUE(constant);
  EXPECT_TRUE(linear);
  EXPECT_EQ(j["leaderboard"]["rows"][0]["chosen"], true);
  // P2: on the test set (200 rows), every binary metric with an interval around its estimate,
  // the resample count and seed recorded; roc_auc equals the run's own test score.
  EXPECT_EQ(j["metrics"]["evaluated_on"], "test set");
  EXPECT_EQ(j["metrics"]["rows"], 200);
  ASSERT_EQ(j["metrics"]["intervals"].size(), 5u);
  for (const auto& iv : j["metrics"]["intervals"]) {
    EXPECT_EQ(iv["resamples"], 1000);
    EXPECT_LE(iv["low"].get<double>(), iv["estimate"].get<double>());
    EXPECT_GE(iv["high"].get<double>(), iv["estimate"].get<double>());
    if (iv["metric"] == "roc_auc") {
      EXPECT_NEAR(iv["estimate"].get<double>(), run_json["test_score"].get<double>(), 1e-9);
    }
  }
  // P3 curves, P4 data (credit-g has no leak), P5 pipeline, P6 trials, P8 explanations, P9 fairness.
  EXPECT_EQ(j["curves"]["binary"].size(), 1u);
  EXPECT_GT(j["curves"]["binary"][0]["roc"]["auc"].get<double>(), 0.6);
  EXPECT_EQ(j["data"]["rows"], 800);
  EXPECT_EQ(j["data"]["profiles"].size(), 21u);
  EXPECT_FALSE(j["pipeline"]["steps"].empty());
  EXPECT_TRUE(j["search"]["available"]) << j["search"]["notices"];
  EXPECT_EQ(j["search"]["trials"].size(), run_json["trials"]["complete"].get<std::size_t>() +
                                                run_json["trials"]["failed"].get<std::size_t>() +
                                                run_json["trials"]["pruned"].get<std::size_t>());
  EXPECT_TRUE(j["explanations"]["available"]) << j["explanations"]["notices"];
  EXPECT_FALSE(j["explanations"]["permutation"]["items"].empty());
  if (j["family"] == "xgboost") {
    EXPECT_FALSE(j["explanations"]["shap"].is_null());
    EXPECT_TRUE(j["explanations"]["shap_local"]["additive"]);
  }
  EXPECT_TRUE(j["fairness"]["report"]["available"]);
  EXPECT_GE(j["fairness"]["report"]["groups"].size(), 2u);
  EXPECT_EQ(j["model_card"]["seed"], 3);
  const std::string html = slurp(out / "r.html");
  expect_sections_in_order(html);
  EXPECT_NE(html.find("personal_status"), std::string::npos);
}

TEST(Report, RegressionAndMulticlassRuns) {
  const fs::path reg = cached_run("autompg", {"--data", shared_dataset("auto-mpg.csv").string(), "--target", "Miles_per_Gallon",
                                              "--models", "constant,linear,xgboost", "--max-trials", "3", "--cv", "3"},
                                  [](const fs::path&) {});
  const fs::path multi = cached_run("iris", {"--data", shared_dataset("iris.csv").string(), "--target", "species", "--models",
                                             "constant,linear,xgboost", "--max-trials", "3", "--cv", "3"},
                                    [](const fs::path&) {});
  for (const auto& [run, task] : {std::pair{reg, "regression"}, std::pair{multi, "multiclass"}}) {
    ASSERT_TRUE(fs::is_regular_file(run / "report.html")) << run;
    const fs::path out = fresh_dir(task);
    const auto r = run_cli({"report", "--run", run.string(), "--out", (out / "r.html").string(), "--json", (out / "r.json").string()});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(slurp(out / "r.json"));
    EXPECT_EQ(j["task"], task);
    // No test set: metrics on the chosen candidate's out-of-fold predictions, and it says so.
    EXPECT_NE(j["metrics"]["evaluated_on"].get<std::string>().find("out-of-fold"), std::string::npos);
    EXPECT_TRUE(j["metrics"]["available"]);
    EXPECT_EQ(j["metrics"]["intervals"].size(), 3u);  // rmse, mae, r2 / log_loss, accuracy, balanced_accuracy
    if (std::string(task) == "regression") {
      EXPECT_FALSE(j["curves"]["regression"].is_null());
      EXPECT_GT(j["curves"]["regression"]["rows"].get<std::size_t>(), 300u);
    } else {
      EXPECT_EQ(j["curves"]["binary"].size(), 3u);  // one vs rest
      EXPECT_EQ(j["curves"]["confusion"]["matrix"].size(), 3u);
    }
    // Every metric per fold of the chosen candidate (from oof/folds.csv): 3 folds, and the
    // selection metric's per-fold mean equals the leaderboard's CV score of the chosen candidate.
    const auto lb = nlohmann::json::parse(slurp(run / "leaderboard.json"));
    const std::string metric = lb["metric"];
    ASSERT_EQ(j["metrics"]["per_fold"].size(), 3u) << j["metrics"].dump();
    bool found = false;
    for (const auto& f : j["metrics"]["per_fold"]) {
      EXPECT_EQ(f["values"].size(), 3u);
      if (f["metric"] == metric) {
        found = true;
        EXPECT_NEAR(f["mean"].get<double>(), lb["candidates"][0]["cv_mean"].get<double>(), 1e-9);
      }
    }
    EXPECT_TRUE(found) << metric;
    // Fairness was not asked for: a notice, no numbers.
    EXPECT_FALSE(j["fairness"]["requested"]);
    EXPECT_FALSE(j["fairness"]["notices"].empty());
    const std::string html = slurp(out / "r.html");
    expect_sections_in_order(html);
    expect_self_contained(html);
  }
}

TEST(ReportBadInput, MissingFolderExits3NamingIt) {
  const auto r = run_cli({"report", "--run", "/nonexistent/glasswing-run-xyz"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/glasswing-run-xyz does not exist"), std::string::npos) << r.err;
}

TEST(ReportBadInput, FolderWithoutRunJson) {
  const fs::path d = fresh_dir("empty");
  const auto r = run_cli({"report", "--run", d.string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("has no run.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("glasswing run"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "report.html"));
}

TEST(ReportBadInput, ForeignOrDamagedRunJson) {
  const fs::path d = fresh_dir("foreign");
  std::ofstream(d / "run.json") << R"({"format": "something-else", "task": "binary"})";
  auto r = run_cli({"report", "--run", d.string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("not a Glasswing run file"), std::string::npos) << r.err;
  std::ofstream(d / "run.json", std::ios::trunc) << "{ not json";
  r = run_cli({"report", "--run", d.string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("run.json is damaged"), std::string::npos) << r.err;
  std::ofstream(d / "run.json", std::ios::trunc) << R"({"format": "glasswing-run", "version": 9, "task": "binary"})";
  r = run_cli({"report", "--run", d.string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("newer Glasswing"), std::string::npos) << r.err;
  std::ofstream(d / "run.json", std::ios::trunc) << R"({"format": "glasswing-run", "version": 1, "target": "y"})";
  r = run_cli({"report", "--run", d.string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("run.json has no 'task'"), std::string::npos) << r.err;
}

TEST(ReportBadInput, PartialRunNamesWhatIsMissing) {
  const fs::path run = credit_run();
  const fs::path d = fresh_dir("partial");
  fs::copy(run, d / "run", fs::copy_options::recursive);
  const std::string before = slurp(d / "run" / "run.json");
  fs::remove_all(d / "run" / "model");
  auto r = run_cli({"report", "--run", (d / "run").string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("model/manifest.json is missing"), std::string::npos) << r.err;
  fs::remove(d / "run" / "leaderboard.json");
  r = run_cli({"report", "--run", (d / "run").string()});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("no leaderboard.json"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(d / "run" / "run.json"), before);  // nothing stored is touched
}

TEST(ReportBadInput, UnknownFairnessColumnIsANotice) {
  const fs::path run = credit_run();
  const fs::path out = fresh_dir("fair");
  const auto r = run_cli({"report", "--run", run.string(), "--out", (out / "r.html").string(), "--json", (out / "r.json").string(),
                          "--fairness", "no_such_column"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(out / "r.json"));
  EXPECT_TRUE(j["fairness"]["report"].is_null());
  ASSERT_FALSE(j["fairness"]["notices"].empty());
  const std::string notice = j["fairness"]["notices"][0];
  EXPECT_NE(notice.find("'no_such_column' does not exist"), std::string::npos) << notice;
  EXPECT_NE(notice.find("personal_status"), std::string::npos) << notice;  // the valid choices
  EXPECT_NE(slurp(out / "r.html").find("does not exist in the data"), std::string::npos);
}

TEST(ReportBadInput, MovedOrChangedDataIsANotice) {
  const fs::path run = credit_run();
  const fs::path d = fresh_dir("moved");
  fs::copy(run, d / "run", fs::copy_options::recursive);
  // Point run.json at a copy of the training data, then change the copy.
  auto rj = nlohmann::json::parse(slurp(d / "run" / "run.json"));
  const fs::path train = d / "train.csv";
  fs::copy_file(rj["inputs"][0]["path"].get<std::string>(), train);
  rj["inputs"][0]["path"] = train.string();
  std::ofstream(d / "run" / "run.json", std::ios::trunc) << rj.dump(2);
  std::ofstream(train, std::ios::app) << "\n";  // one byte more: another sha256
  auto r = run_cli({"report", "--run", (d / "run").string(), "--json", (d / "a.json").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(slurp(d / "a.json"));
  ASSERT_FALSE(j["notices"].empty());
  EXPECT_NE(j["notices"][0].get<std::string>().find("changed since the run"), std::string::npos) << j["notices"];
  EXPECT_FALSE(j["data"]["available"]);
  EXPECT_TRUE(j["metrics"]["available"]);  // the test set is still there
  fs::remove(train);
  r = run_cli({"report", "--run", (d / "run").string(), "--json", (d / "b.json").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(slurp(d / "b.json"));
  EXPECT_NE(j["notices"][0].get<std::string>().find("moved or was deleted"), std::string::npos) << j["notices"];
  EXPECT_NE(slurp(d / "run" / "report.html").find("moved or was deleted"), std::string::npos);
}

TEST(ReportBadInput, SingleClassTestSetIsANotice) {
  const fs::path run = cached_run("credit-oneclass",
                                  {"--data", "{dir}/train.csv", "--test", "{dir}/test.csv", "--target", "class", "--models",
                                   "constant,xgboost", "--max-trials", "2", "--cv", "3"},
                                  [](const fs::path& dir) {
                                    write_rows(shared_dataset("credit-g.csv"), dir / "train.csv", [](std::size_t i, auto&) { return i < 800; });
                                    write_rows(shared_dataset("credit-g.csv"), dir / "test.csv", [](std::size_t i, const std::string& line) {
                                      return i >= 800 && line.find(",good") != std::string::npos;
                                    });
                                  });
  ASSERT_TRUE(fs::is_regular_file(run / "run.json"));
  const fs::path out = fresh_dir("oneclass");
  const auto r = run_cli({"report", "--run", run.string(), "--out", (out / "r.html").string(), "--json", (out / "r.json").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(out / "r.json"));
  EXPECT_EQ(j["metrics"]["evaluated_on"], "test set");
  bool said = false;
  for (const auto& n : j["metrics"]["notices"]) said = said || n.get<std::string>().find("single class") != std::string::npos;
  EXPECT_TRUE(said) << j["metrics"]["notices"];
  for (const auto& iv : j["metrics"]["intervals"])
    if (iv["metric"] == "roc_auc") {
      EXPECT_TRUE(iv["estimate"].is_null());
    }
  EXPECT_NE(slurp(out / "r.html").find("single class"), std::string::npos);
}

TEST(Report, UserStringsAreEscaped) {
  // A column name and class labels that are HTML: they must appear escaped, never as markup.
  const fs::path run = cached_run("xss", {"--data", "{dir}/train.csv", "--target", "y", "--models", "constant,xgboost", "--max-trials", "2", "--cv", "3"},
                                  [](const fs::path& dir) {
                                    std::ofstream f(dir / "train.csv");
                                    f << "\"<script>alert('x')</script>\",amount,y\n";
                                    for (int i = 0; i < 300; ++i)
                                      f << (i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c") << "," << (i * 37 % 101) << ","
                                        << ((i * 37 % 101) > 50 ? "<b>yes</b>" : "\"no&<i>\"") << "\n";
                                  });
  const std::string html = slurp(run / "report.html");
  ASSERT_FALSE(html.empty());
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<b>yes</b>"), std::string::npos);
  EXPECT_EQ(html.find("<i>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;yes&lt;/b&gt;"), std::string::npos);
  expect_self_contained(html);
}

TEST(ReportHtml, EscapeAndAtomicWrite) {
  EXPECT_EQ(glasswing::transparency::html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  const fs::path run = credit_run();
  const auto ins = glasswing::transparency::load_run_insights(run);
  const fs::path d = fresh_dir("atomic");
  glasswing::transparency::write_report_html(ins, d / "r.html");
  EXPECT_TRUE(fs::is_regular_file(d / "r.html"));
  EXPECT_FALSE(fs::exists(d / "r.html.tmp"));
  // A folder that is not there: a Storage error, nothing half-written.
  EXPECT_THROW(glasswing::transparency::write_report_html(ins, d / "nope" / "r.html"), glasswing::Error);
  // The same run, seed and options give the same content (timing aside).
  const auto again = glasswing::transparency::load_run_insights(run);
  nlohmann::json a = ins, b = again;
  for (const char* timing : {"seconds", "timings_s"}) {
    a.erase(timing);
    b.erase(timing);
  }
  EXPECT_EQ(a, b);
}

TEST(ReportBadInput, AFailedReportNeverFailsTheRun) {
  // report.html is a non-empty folder: the report cannot be moved into place; the run succeeds
  // with a one-line warning and its artifacts are all there.
  const fs::path d = fresh_dir("failing-report");
  fs::create_directories(d / "run" / "report.html" / "keep");
  const auto r = run_cli({"run", "--data", shared_dataset("iris.csv").string(), "--target", "species", "--models", "constant",
                          "--max-trials", "1", "--cv", "3", "--out", (d / "run").string()});
  EXPECT_EQ(r.code, 0) << r.err;
  std::size_t warnings = 0;
  for (std::size_t pos = r.err.find("warning: report.html was not written"); pos != std::string::npos;
       pos = r.err.find("warning: report.html was not written", pos + 1))
    ++warnings;
  EXPECT_EQ(warnings, 1u) << r.err;
  EXPECT_TRUE(fs::is_regular_file(d / "run" / "run.json"));
  EXPECT_TRUE(fs::is_regular_file(d / "run" / "model" / "manifest.json"));
  EXPECT_TRUE(fs::is_directory(d / "run" / "report.html" / "keep"));
}
