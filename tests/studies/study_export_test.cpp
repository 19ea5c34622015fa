// Exports read back by pandas (/usr/bin/python3, tests/studies/check_export.py) with the documented
// columns and row counts; rationale left out on request; summaries by condition.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "studies/error.hpp"
#include "studies/export.hpp"
#include "studies/study_log.hpp"
#include "study_test_util.hpp"

namespace gs = glasswing::studies;
using nlohmann::json;
using study_test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSecret = "my-private-rationale-text";

struct Expected {
  std::map<std::string, int> rows;
  std::map<std::string, std::vector<int>> willingness;  // condition -> ratings
  std::map<std::string, std::map<std::string, int>> actions;
  std::map<std::string, int> participants;
};

// Six participants (balanced: 3 per condition); the last one's session stays open.
fs::path build_study(const TempDir& dir, Expected& x) {
  const fs::path db = dir / "study.db";
  gs::StudyLog::create(db, gs::load_protocol(study_test::example_protocol_path()));
  gs::StudyLog log(db);
  const char* actions[] = {"deploy", "reject", "defer"};
  int events = 0;
  for (int i = 0; i < 6; ++i) {
    const auto s = log.start_session(study_test::numbered("P0", i + 1), {{"locale", "en-GB"}});
    ++events;
    ++x.participants[s.condition_id];
    log.log(s.session_id, "consent", {{"consent_version", "1.0"}, {"agreed", true}});
    log.log(s.session_id, "panel_open", {{"panel", "P1"}, {"task_id", "credit"}});
    log.log(s.session_id, "panel_interact", {{"panel", "P1"}, {"control", "sort"}, {"value", {{"by", "auc"}}}});
    log.log(s.session_id, "panel_close", {{"panel", "P1"}, {"task_id", "credit"}, {"expanded_sections", {"baselines"}}});
    events += 4;
    x.rows["panel_close"]++;
    for (const auto& task : s.task_order) {
      // A run per task: started and finished (its score), or stopped by the participant.
      log.log(s.session_id, "run_start",
              {{"task_id", task}, {"metric", "roc_auc"}, {"time_budget_s", 60}, {"families", {"xgboost", "linear"}}});
      json end = {{"task_id", task}, {"outcome", i % 2 == 0 ? "completed" : "stopped"}, {"trials", 10 + i}};
      if (i % 2 == 0) end["best_score"] = 0.75 + 0.01 * i;
      log.log(s.session_id, "run_end", end);
      x.rows["run_start"]++;
      x.rows["run_end"]++;
      events += 2;
      const int w = 1 + (i + static_cast<int>(task.size())) % 7;
      const std::string action = actions[(i + static_cast<int>(task.size())) % 3];
      log.log(s.session_id, "decision",
              {{"task_id", task}, {"candidate_id", "best"}, {"action", action}, {"willingness", w},
               {"confidence", 4}, {"rationale", std::string(kSecret) + ", \"quoted\", with comma"}});
      x.willingness[s.condition_id].push_back(w);
      ++x.actions[s.condition_id][action];
      x.rows["decision"]++;
      ++events;
      for (const char* item : {"willingness", "confidence", "understandability"}) {
        log.log(s.session_id, "questionnaire",
                {{"questionnaire_id", "post_task"}, {"item_id", item}, {"response", 1 + i}, {"task_id", task}});
        x.rows["questionnaire"]++;
        ++events;
      }
    }
    log.log(s.session_id, "questionnaire",
            {{"questionnaire_id", "exit"}, {"item_id", "comments"}, {"response", "line one\nline two"}});
    x.rows["questionnaire"]++;
    log.log(s.session_id, "card_sort",
            {{"card_sort_id", "info_needs"},
             {"ranking", {"metrics", "visualizations", "data"}},
             {"piles", {{"essential", {"metrics", "visualizations"}}, {"useful", {"data"}}}},
             {"time_ms", 51234}});
    events += 2;
    x.rows["card_sort"]++;
    if (i < 5) {
      log.end_session(s.session_id, {{"reason", "completed"}});
      ++events;
      x.rows["session_end"]++;
    }
  }
  x.rows["participants"] = 6;
  x.rows["sessions"] = 6;
  x.rows["session_start"] = 6;
  x.rows["card_sort_items"] = 6 * 6;
  x.rows["events"] = events;
  x.rows["override"] = 0;
  return db;
}

int run_checker(const fs::path& dir, const std::string& format, const json& expected,
                const std::string& extra = "") {
  const std::string script = std::string(GLASSWING_SOURCE_DIR) + "/tests/studies/check_export.py";
  const std::string cmd = "/usr/bin/python3 '" + script + "' '" + dir.string() + "' " + format +
                          " '" + expected.dump() + "' " + extra + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  std::string out;
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  const int status = pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  return WEXITSTATUS(status);
}

bool folder_contains(const fs::path& dir, const std::string& needle) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (study_test::read_file(entry.path()).find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(study_export, CsvReadsBackInPandas) {
  TempDir dir;
  Expected x;
  const fs::path db = build_study(dir, x);
  const auto result = gs::export_study(db, dir / "csv", {gs::ExportFormat::Csv, true});
  for (const auto& [table, rows] : x.rows) EXPECT_EQ(result.rows.at(table), rows) << table;
  EXPECT_TRUE(fs::exists(dir / "csv/data_dictionary.csv"));
  EXPECT_TRUE(fs::exists(dir / "csv/manifest.json"));
  EXPECT_TRUE(fs::exists(dir / "csv/decision.csv"));
  EXPECT_EQ(run_checker(dir / "csv", "csv", x.rows), 0);
  EXPECT_TRUE(folder_contains(dir / "csv", kSecret));
}

TEST(study_export, JsonlReadsBackInPandas) {
  TempDir dir;
  Expected x;
  const fs::path db = build_study(dir, x);
  gs::export_study(db, dir / "jsonl", {gs::ExportFormat::Jsonl, true});
  EXPECT_TRUE(fs::exists(dir / "jsonl/decision.jsonl"));
  EXPECT_EQ(run_checker(dir / "jsonl", "jsonl", x.rows), 0);
}

TEST(study_export, RationaleCanBeLeftOut) {
  TempDir dir;
  Expected x;
  const fs::path db = build_study(dir, x);
  for (auto format : {gs::ExportFormat::Csv, gs::ExportFormat::Jsonl}) {
    const std::string name = format == gs::ExportFormat::Csv ? "csv" : "jsonl";
    gs::export_study(db, dir / name, {format, false});
    EXPECT_FALSE(folder_contains(dir / name, kSecret)) << name << " export still holds rationale text";
    EXPECT_EQ(run_checker(dir / name, name, x.rows, "--no-rationale"), 0);
  }
}

TEST(study_export, SummaryByCondition) {
  TempDir dir;
  Expected x;
  const fs::path db = build_study(dir, x);
  const json s = gs::summarize_study(db);
  EXPECT_EQ(s["participants"], 6);
  EXPECT_EQ(s["sessions"], 6);
  EXPECT_EQ(s["events"], x.rows["events"]);
  ASSERT_EQ(s["conditions"].size(), 2u);
  for (const auto& c : s["conditions"]) {
    const std::string id = c["condition_id"];
    SCOPED_TRACE(id);
    EXPECT_EQ(c["participants"], x.participants[id]);
    const auto& w = x.willingness[id];
    double sum = 0;
    for (int v : w) sum += v;
    EXPECT_EQ(c["decisions"]["n"], w.size());
    EXPECT_NEAR(c["mean_willingness"].get<double>(), sum / static_cast<double>(w.size()), 1e-9);
    EXPECT_NEAR(c["mean_confidence"].get<double>(), 4.0, 1e-9);
    for (const char* a : {"deploy", "reject", "defer"}) {
      EXPECT_EQ(c["decisions"][a], x.actions[id][a]) << a;
      EXPECT_NEAR(c["decisions"][std::string(a) + "_rate"].get<double>(),
                  x.actions[id][a] / static_cast<double>(w.size()), 1e-9);
    }
    EXPECT_TRUE(c["questionnaire_means"].contains("post_task.understandability"));
    EXPECT_FALSE(c["questionnaire_means"].contains("exit.comments")) << "text items have no mean";
  }
  const std::string text = gs::format_summary(s);
  EXPECT_NE(text.find("condition transparent (With transparency)"), std::string::npos) << text;
  EXPECT_NE(text.find("mean willingness"), std::string::npos) << text;
}

TEST(study_export, RefusesATamperedLog) {
  TempDir dir;
  Expected x;
  const fs::path db = build_study(dir, x);
  {
    // Edit the stored protocol: the chain no longer verifies.
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, "UPDATE meta SET value = replace(value, 'Without transparency', "
                              "'Without') WHERE key = 'protocol'", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  try {
    gs::export_study(db, dir / "out", {});
    FAIL() << "exported a tampered log";
  } catch (const gs::StudyError& e) {
    EXPECT_EQ(e.kind(), gs::StudyErrorKind::Tampered);
    EXPECT_NE(std::string(e.what()).find("does not verify"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_THROW(gs::summarize_study(db), gs::StudyError);
}
