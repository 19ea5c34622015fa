// `glasswing study ...` end to end: each bad case gets one line on stderr and its exit code
// (PRODUCT.md: 2 usage, 3 bad input data, 4 storage error).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdlib>

#include "study_test_util.hpp"

using nlohmann::json;
using study_test::TempDir;
namespace fs = std::filesystem;

namespace {

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

Result cli(const TempDir& dir, const std::vector<std::string>& args) {
  std::string cmd = quote(GLASSWING_CLI);
  for (const auto& a : args) {
    cmd += ' ';
    cmd += quote(a);
  }
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  cmd.append(" >").append(quote(out.string())).append(" 2>").append(quote(err.string()));
  cmd.append(" </dev/null");
  const int status = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = study_test::read_file(out);
  r.err = study_test::read_file(err);
  return r;
}

// A failure: the exit code, one line on stderr, and `words` in it.
void expect_failure(const Result& r, int code, const std::string& words) {
  EXPECT_EQ(r.code, code) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
  EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
}

class study_cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(GLASSWING_CLI)) GTEST_FAIL() << "build the glasswing CLI first: " << GLASSWING_CLI;
    db = (dir / "study.db").string();
    const Result r = cli(dir, {"study", "init", "--protocol", study_test::example_protocol_path().string(), "--out", db});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  Result run(const std::vector<std::string>& args) { return cli(dir, args); }
  TempDir dir;
  std::string db;
};

void tamper(const std::string& db) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h,
                         "DROP TRIGGER events_append_only_update;"
                         "UPDATE events SET payload = replace(payload, '\"willingness\":2', "
                         "'\"willingness\":7') WHERE kind = 'decision';"
                         "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
                         "BEGIN SELECT RAISE(ABORT, 'append-only'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
}

}  // namespace

TEST_F(study_cli, RecordVerifyExportSummary) {
  Result r = run({"study", "record", db, "--participant", "P01", "--kind", "panel_open", "--json", R"({"panel":"P1"})"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("opened session P01-s1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recorded event 2 (panel_open)"), std::string::npos) << r.out;
  r = run({"study", "record", db, "--participant", "P01", "--kind", "decision", "--json",
           R"({"task_id":"credit","action":"defer","willingness":2,"confidence":3,"rationale":"unsure"})"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("opened session"), std::string::npos) << "reuses the open session: " << r.out;
  r = run({"study", "record", db, "--participant", "P01", "--kind", "session_end"});
  ASSERT_EQ(r.code, 0) << r.err;

  r = run({"study", "verify", db});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("4 events, hash chain verified"), std::string::npos) << r.out;
  r = run({"study", "verify", db, "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  const json report = json::parse(r.out);
  EXPECT_TRUE(report["ok"].get<bool>());
  r = run({"study", "verify", db, "--expect-head", report["head_hash"].get<std::string>()});
  EXPECT_EQ(r.code, 0) << r.err;

  r = run({"study", "export", db, "--format", "jsonl", "--out", (dir / "out").string(), "--no-rationale"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "out/decision.jsonl"));
  EXPECT_EQ(study_test::read_file(dir / "out/decision.jsonl").find("unsure"), std::string::npos);
  r = run({"study", "export", db, "--out", (dir / "csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "csv/data_dictionary.csv"));

  r = run({"study", "summary", db});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("decisions: 1 (deploy 0.00%, reject 0.00%, defer 100.00%)"), std::string::npos) << r.out;
  r = run({"study", "summary", db, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["participants"], 1);
}

TEST_F(study_cli, UsageErrorsExit2) {
  expect_failure(run({"study"}), 2, "glasswing:");
  expect_failure(run({"study", "init", "--protocol", study_test::example_protocol_path().string()}), 2, "--out");
  expect_failure(run({"study", "init", "--protocol", study_test::example_protocol_path().string(), "--out", db}), 2,
                 "already exists");
  expect_failure(run({"study", "export", db, "--format", "xlsx", "--out", (dir / "x").string()}), 2, "xlsx");
  expect_failure(run({"study", "record", db, "--kind", "decision"}), 2, "--participant");
}

TEST_F(study_cli, MalformedProtocolExits3NamingTheField) {
  json doc = study_test::example_json();
  doc["conditions"][1]["panels"][0] = "P0";
  study_test::write_file(dir / "bad.json", doc.dump());
  expect_failure(run({"study", "init", "--protocol", (dir / "bad.json").string(), "--out", (dir / "b.db").string()}), 3,
                 "conditions[1].panels[0]: unknown panel 'P0'");
  EXPECT_FALSE(fs::exists(dir / "b.db"));
  study_test::write_file(dir / "broken.json", "{ \"study_id\": ");
  expect_failure(run({"study", "init", "--protocol", (dir / "broken.json").string(), "--out", (dir / "c.db").string()}), 3,
                 "not valid JSON");
  expect_failure(run({"study", "init", "--protocol", (dir / "none.json").string(), "--out", (dir / "d.db").string()}), 3,
                 "cannot read protocol file");
}

TEST_F(study_cli, BadEventsExit3) {
  expect_failure(run({"study", "record", db, "--participant", "P01", "--kind", "coffee"}), 3, "unknown event kind 'coffee'");
  expect_failure(run({"study", "record", db, "--participant", "P01", "--kind", "panel_open", "--json", "{panel: P1}"}), 3,
                 "--json is not valid JSON");
  expect_failure(run({"study", "record", db, "--participant", "P01", "--kind", "panel_open", "--json", R"({"panel":"P42"})"}),
                 3, "P1 to P11");
  expect_failure(run({"study", "record", db, "--participant", "P01", "--kind", "decision", "--json", R"({"action":"deploy"})"}),
                 3, "is required");
  expect_failure(run({"study", "record", db, "--participant", "Ada Lovelace", "--kind", "export", "--json", R"({"artifact":"log"})"}),
                 3, "not a pseudonymous id");
  expect_failure(run({"study", "record", db, "--participant", "P01", "--kind", "session_end"}), 3, "no open session");
}

TEST_F(study_cli, NotAStudyDatabaseExits3) {
  study_test::write_file(dir / "notes.db", "plain text, not SQLite\n");
  for (const std::string sub : {"verify", "summary"}) {
    expect_failure(run({"study", sub, (dir / "notes.db").string()}), 3, "not a readable Glasswing study");
  }
  expect_failure(run({"study", "export", (dir / "notes.db").string(), "--out", (dir / "o").string()}), 3,
                 "not a readable Glasswing study");
  expect_failure(run({"study", "record", (dir / "notes.db").string(), "--participant", "P1", "--kind", "export",
                      "--json", R"({"artifact":"log"})"}),
                 3, "not a readable Glasswing study");
  expect_failure(run({"study", "verify", (dir / "missing.db").string()}), 3, "does not exist");
}

TEST_F(study_cli, TamperedDatabaseExits3NamingTheFirstBadEvent) {
  ASSERT_EQ(run({"study", "record", db, "--participant", "P01", "--kind", "decision", "--json",
                 R"({"task_id":"credit","action":"reject","willingness":2,"confidence":3})"}).code, 0);
  ASSERT_EQ(run({"study", "record", db, "--participant", "P01", "--kind", "session_end"}).code, 0);
  const Result before = run({"study", "verify", db, "--json"});
  tamper(db);
  expect_failure(run({"study", "verify", db}), 3, "first bad event: 2: event 2 (decision) was changed");
  expect_failure(run({"study", "export", db, "--out", (dir / "o").string()}), 3, "does not verify");
  expect_failure(run({"study", "summary", db}), 3, "does not verify");
  const Result j = run({"study", "verify", db, "--json"});
  EXPECT_EQ(j.code, 3);
  EXPECT_EQ(json::parse(j.out)["first_bad_event"], 2);
}

TEST_F(study_cli, StorageErrorsExit4) {
  // The export folder cannot be created: a file is in the way.
  study_test::write_file(dir / "file", "x");
  expect_failure(run({"study", "export", db, "--out", (dir / "file/sub").string()}), 4, "cannot create the export folder");
  // The database cannot be created in a missing folder.
  expect_failure(run({"study", "init", "--protocol", study_test::example_protocol_path().string(), "--out",
                      (dir / "no/such/folder/s.db").string()}),
                 4, "cannot open");
}
