// The hash-chained event log: appends, validation of events, threads, and detection of each kind
// of tampering (edit, deletion, reordering, truncation, forged append, protocol edit).

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "studies/error.hpp"
#include "studies/event_kinds.hpp"
#include "studies/hash.hpp"
#include "studies/study_log.hpp"
#include "study_test_util.hpp"

namespace gs = glasswing::studies;
using nlohmann::json;
using study_test::TempDir;
namespace fs = std::filesystem;

namespace {

fs::path new_study(const TempDir& dir, const json& doc = study_test::example_json()) {
  const fs::path db = dir / "study.db";
  gs::StudyLog::create(db, gs::parse_protocol(doc.dump()));
  return db;
}

// Runs SQL on the database directly, as someone tampering with the file would.
void raw_sql(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  const std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

int raw_sql_rc(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(h);
  return rc;
}

const char* const kUnlock =
    "DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete;";
const char* const kRelock = R"sql(
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'study events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'study events are append-only'); END;
)sql";

// A study with two participants and 10 events: P01 (transparent) 1..6, P02 (opaque) 7..10.
fs::path small_study(const TempDir& dir) {
  const fs::path db = new_study(dir);
  gs::StudyLog log(db);
  const auto s1 = log.start_session("P01");                                    // 1
  log.log(s1.session_id, "consent", {{"consent_version", "1.0"}, {"agreed", true}});  // 2
  log.log(s1.session_id, "panel_open", {{"panel", "P1"}, {"task_id", "credit"}});    // 3
  log.log(s1.session_id, "panel_close", {{"panel", "P1"}, {"task_id", "credit"}});   // 4
  log.log(s1.session_id, "decision",
          {{"task_id", "credit"}, {"candidate_id", "best"}, {"action", "deploy"},
           {"willingness", 6}, {"confidence", 5}, {"rationale", "good AUC"}});       // 5
  log.end_session(s1.session_id, {{"reason", "completed"}});                         // 6
  const auto s2 = log.start_session("P02");                                          // 7
  log.log(s2.session_id, "panel_open", {{"panel", "P11"}});                          // 8
  log.log(s2.session_id, "decision",
          {{"task_id", "credit"}, {"action", "reject"}, {"willingness", 2}, {"confidence", 4}});  // 9
  log.end_session(s2.session_id);                                                    // 10
  return db;
}

void expect_tampered(const fs::path& db, std::int64_t first_bad, const std::string& words) {
  const gs::VerifyReport r = gs::verify_study(db);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, first_bad) << r.problem;
  EXPECT_NE(r.problem.find(words), std::string::npos) << r.problem;
}

void expect_error(const std::function<void()>& f, gs::StudyErrorKind kind, const std::string& words) {
  try {
    f();
    FAIL() << "no error; expected one mentioning '" << words << "'";
  } catch (const gs::StudyError& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(study_log, AppendsAndVerifies) {
  TempDir dir;
  const fs::path db = small_study(dir);
  const gs::StudyData data = gs::read_study(db);
  ASSERT_TRUE(data.report.ok) << data.report.problem;
  EXPECT_EQ(data.report.events, 10);
  ASSERT_EQ(data.participants.size(), 2u);
  EXPECT_NE(data.participants[0].condition_id, data.participants[1].condition_id)
      << "balanced assignment puts the first two participants in different conditions";
  ASSERT_EQ(data.sessions.size(), 2u);
  EXPECT_EQ(data.sessions[0].session_id, "P01-s1");
  EXPECT_EQ(data.sessions[0].end_reason.value_or(""), "completed");
  EXPECT_EQ(data.sessions[0].events, 6);
  // The chain: each event links to the one before; event 1 to the genesis hash.
  const gs::Protocol p = gs::parse_protocol(study_test::example_json().dump());
  EXPECT_EQ(data.events[0].prev_hash, gs::genesis_hash(p.canonical_text()));
  for (std::size_t i = 1; i < data.events.size(); ++i) {
    EXPECT_EQ(data.events[i].prev_hash, data.events[i - 1].hash);
    EXPECT_EQ(gs::sha256_hex(gs::canonical_event(data.events[i])), data.events[i].hash);
  }
  EXPECT_EQ(data.report.head_hash, data.events.back().hash);
}

TEST(study_log, Sha256MatchesKnownVector) {
  EXPECT_EQ(gs::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(study_log, ParticipantKeepsConditionAcrossSessions) {
  TempDir dir;
  const fs::path db = new_study(dir);
  gs::StudyLog log(db);
  const auto a = log.start_session("P01", {{"locale", "en-GB"}});
  EXPECT_TRUE(a.new_participant);
  log.end_session(a.session_id);
  const auto b = log.start_session("P01");
  EXPECT_FALSE(b.new_participant);
  EXPECT_EQ(b.session_id, "P01-s2");
  EXPECT_EQ(b.condition_id, a.condition_id);
  EXPECT_EQ(b.task_order, a.task_order);
  expect_error([&] { log.start_session("P01"); }, gs::StudyErrorKind::BadInput, "already has open session");
}

TEST(study_log, BalancedAssignmentThroughTheLog) {
  TempDir dir;
  const fs::path db = new_study(dir);
  gs::StudyLog log(db);
  std::map<std::string, int> counts;
  for (int i = 0; i < 11; ++i) {
    const auto s = log.start_session(study_test::numbered("P", 100 + i));
    ++counts[s.condition_id];
    EXPECT_LE(std::abs(counts["transparent"] - counts["opaque"]), 1);
  }
  EXPECT_EQ(counts["transparent"] + counts["opaque"], 11);
}

TEST(study_log, DwellAndDurationAreComputed) {
  TempDir dir;
  const fs::path db = new_study(dir);
  gs::StudyLog log(db);
  const auto s = log.start_session("P01");
  log.log(s.session_id, "panel_open", {{"panel", "P11"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  log.log(s.session_id, "panel_close", {{"panel", "P11"}});
  log.log(s.session_id, "panel_close", {{"panel", "P11"}, {"dwell_ms", 12.5}});
  log.end_session(s.session_id);
  const auto data = gs::read_study(db);
  const json closed = json::parse(data.events[2].payload);
  ASSERT_TRUE(closed.contains("dwell_ms"));
  EXPECT_GE(closed["dwell_ms"].get<double>(), 30.0);
  EXPECT_EQ(json::parse(data.events[3].payload)["dwell_ms"], 12.5);
  EXPECT_GE(data.sessions[0].duration_ms.value_or(0), 30.0);
}

TEST(study_log, RejectsBadEvents) {
  TempDir dir;
  const fs::path db = new_study(dir);
  gs::StudyLog log(db);
  // Balanced, seed fixed: find one session in each condition.
  auto s1 = log.start_session("P01");
  auto s2 = log.start_session("P02");
  const std::string opaque = s1.condition_id == "opaque" ? s1.session_id : s2.session_id;
  const std::string clear = s1.condition_id == "opaque" ? s2.session_id : s1.session_id;
  const auto bad = gs::StudyErrorKind::BadInput;
  const json decision{{"task_id", "credit"}, {"action", "deploy"}, {"willingness", 5}, {"confidence", 5}};

  expect_error([&] { log.log(clear, "coffee_break", json::object()); }, bad, "unknown event kind 'coffee_break'");
  expect_error([&] { log.log(clear, "decision", json::array()); }, bad, "must be a JSON object");
  expect_error([&] { log.log(clear, "panel_open", json::object()); }, bad, "field 'panel' is required");
  expect_error([&] { log.log(clear, "panel_open", {{"panel", "P1"}, {"colour", "red"}}); }, bad,
               "field 'colour' is not a field");
  expect_error([&] { log.log(clear, "panel_open", {{"panel", "P99"}}); }, bad, "P1 to P11");
  expect_error([&] { log.log(opaque, "panel_open", {{"panel", "P8"}}); }, bad,
               "which condition 'opaque' does not show");
  json d = decision;
  d["willingness"] = 8;
  expect_error([&] { log.log(clear, "decision", d); }, bad, "field 'willingness' must be an integer from 1 to 7");
  d = decision;
  d["action"] = "ship";
  expect_error([&] { log.log(clear, "decision", d); }, bad, "deploy, reject, defer");
  d = decision;
  d["task_id"] = "mnist";
  expect_error([&] { log.log(clear, "decision", d); }, bad, "'mnist' is not a task");
  d = decision;
  d["candidate_id"] = "xgb-17";
  expect_error([&] { log.log(clear, "decision", d); }, bad, "not a candidate of task 'credit'");
  expect_error([&] { log.log(clear, "questionnaire", {{"questionnaire_id", "post_task"}, {"item_id", "fun"}, {"response", 3}}); },
               bad, "'fun' is not an item");
  expect_error([&] { log.log(clear, "questionnaire", {{"questionnaire_id", "post_task"}, {"item_id", "confidence"}, {"response", "high"}}); },
               bad, "must be an integer from 1 to 7");
  expect_error([&] { log.log(clear, "questionnaire", {{"questionnaire_id", "exit"}, {"item_id", "comments"}, {"response", 4}}); },
               bad, "must be text");
  expect_error([&] { log.log(clear, "card_sort", {{"card_sort_id", "info_needs"}, {"ranking", {"metrics", "unicorns"}}, {"piles", json::object()}}); },
               bad, "unknown card 'unicorns'");
  expect_error([&] { log.log(clear, "card_sort", {{"card_sort_id", "info_needs"}, {"ranking", {"metrics"}}}); },
               bad, "'piles' is required");
  expect_error([&] { log.log(clear, "consent", {{"consent_version", "0.9"}, {"agreed", true}}); }, bad,
               "protocol's consent is version '1.0'");
  expect_error([&] { log.log(clear, "run_end", {{"task_id", "credit"}}); }, bad, "field 'outcome' is required");
  expect_error([&] { log.log(clear, "run_end", {{"outcome", "crashed"}}); }, bad, "completed, stopped, failed");
  expect_error([&] { log.log(clear, "run_end", {{"outcome", "completed"}, {"trials", 2.5}}); }, bad,
               "field 'trials' must be");
  expect_error([&] { log.log(clear, "run_start", {{"families", {"xgboost", 3}}}); }, bad, "an array of strings");
  expect_error([&] { log.log(clear, "run_start", {{"task_id", "mnist"}}); }, bad, "'mnist' is not a task");
  expect_error([&] { log.log(clear, "session_end", json::object()); }, gs::StudyErrorKind::Usage, "end_session");
  expect_error([&] { log.end_session(clear, {{"duration_ms", 5}}); }, bad, "filled in by the log");
  expect_error([&] { log.log("P77-s1", "panel_open", {{"panel", "P1"}}); }, bad, "does not exist");
  expect_error([&] { log.start_session("Jane Doe"); }, bad, "not a pseudonymous id");
  expect_error([&] { log.start_session("jane@example.org"); }, bad, "not a pseudonymous id");
  log.end_session(clear);
  expect_error([&] { log.log(clear, "panel_open", {{"panel", "P1"}}); }, bad, "has ended");
  expect_error([&] { log.end_session(clear); }, bad, "already ended");
  // None of the rejected events reached the log.
  const auto r = gs::verify_study(db);
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events, 3);
}

TEST(study_log, RecordOpensASessionWhenNoneIsOpen) {
  TempDir dir;
  const fs::path db = new_study(dir);
  gs::StudyLog log(db);
  std::optional<gs::SessionInfo> opened;
  const auto r1 = log.record("Q7", "questionnaire",
                             {{"questionnaire_id", "exit"}, {"item_id", "trust_tool"}, {"response", 5}}, &opened);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->session_id, "Q7-s1");
  EXPECT_EQ(r1.seq, 2);
  opened.reset();
  log.record("Q7", "questionnaire", {{"questionnaire_id", "exit"}, {"item_id", "comments"}, {"response", "ok"}}, &opened);
  EXPECT_FALSE(opened.has_value()) << "reuses the open session";
  log.record("Q7", "session_end", {{"reason", "completed"}});
  EXPECT_FALSE(log.open_session("Q7").has_value());
  expect_error([&] { log.record("Q7", "session_end"); }, gs::StudyErrorKind::BadInput, "no open session");
  expect_error([&] { log.record("Q7", "nonsense"); }, gs::StudyErrorKind::BadInput, "unknown event kind");
  EXPECT_TRUE(gs::verify_study(db).ok);
}

TEST(study_log, ManyThreadsOneLog) {
  TempDir dir;
  const fs::path db = new_study(dir);
  gs::StudyLog log(db);
  constexpr int kThreads = 6, kEach = 20;
  const auto shared = log.start_session("SHARED");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        const auto own = log.start_session(study_test::numbered("T", t));
        for (int i = 0; i < kEach; ++i) {
          log.log(own.session_id, "panel_interact", {{"panel", "P1"}, {"control", "sort"}, {"value", i}});
          log.log(shared.session_id, "panel_interact", {{"panel", "P1"}, {"control", "hover"}, {"value", t}});
        }
        log.end_session(own.session_id);
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const auto data = gs::read_study(db);
  ASSERT_TRUE(data.report.ok) << data.report.problem;
  EXPECT_EQ(data.report.events, 1 + kThreads * (2 + 2 * kEach));
}

TEST(study_log, TwoHandlesOnOneFileKeepOneChain) {
  TempDir dir;
  const fs::path db = new_study(dir);
  gs::StudyLog a(db), b(db);  // e.g. the Studio and `glasswing study record`
  std::thread ta([&] { for (int i = 0; i < 15; ++i) a.record("A1", "export", {{"artifact", "report"}}); });
  std::thread tb([&] { for (int i = 0; i < 15; ++i) b.record("B1", "export", {{"artifact", "model"}}); });
  ta.join();
  tb.join();
  const auto r = gs::verify_study(db);
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events, 32);
}

TEST(study_log, VerifyWhileAnotherThreadAppends) {
  TempDir dir;
  const fs::path db = new_study(dir);
  gs::StudyLog log(db);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 60; ++i) log.record("W1", "panel_interact", {{"panel", "P2"}, {"control", "sort"}});
    done = true;
  });
  int checks = 0;
  while (!done || checks == 0) {
    const auto r = gs::verify_study(db);  // a consistent snapshot: never a half-written event
    ASSERT_TRUE(r.ok) << r.problem;
    ++checks;
  }
  writer.join();
  EXPECT_EQ(gs::verify_study(db).events, 61);
}

TEST(study_log, PrivacyNoMachineNamesUnlessAsked) {
  {
    TempDir dir;
    const fs::path db = new_study(dir);
    gs::StudyLog log(db);
    const auto s = log.start_session("P01");
    const json p = json::parse(gs::read_study(db).events[0].payload);
    EXPECT_FALSE(p.contains("machine"));
    EXPECT_FALSE(p.contains("os_user"));
    EXPECT_FALSE(s.session_id.empty());
  }
  {
    TempDir dir;
    json doc = study_test::example_json();
    doc["privacy"]["record_machine"] = true;
    const fs::path db = new_study(dir, doc);
    gs::StudyLog log(db);
    log.start_session("P01");
    const json p = json::parse(gs::read_study(db).events[0].payload);
    EXPECT_TRUE(p.contains("machine"));
    EXPECT_TRUE(p.contains("os_user"));
  }
}

TEST(study_log, AppendOnlyTriggersRefuseUpdateAndDelete) {
  TempDir dir;
  const fs::path db = small_study(dir);
  EXPECT_NE(raw_sql_rc(db, "UPDATE events SET payload = '{}' WHERE seq = 3"), SQLITE_OK);
  EXPECT_NE(raw_sql_rc(db, "DELETE FROM events WHERE seq = 3"), SQLITE_OK);
  EXPECT_TRUE(gs::verify_study(db).ok);
}

TEST(study_log, DetectsAnEditedEvent) {
  TempDir dir;
  const fs::path db = small_study(dir);
  raw_sql(db, std::string(kUnlock) +
                  "UPDATE events SET payload = replace(payload, '\"willingness\":6', "
                  "'\"willingness\":7') WHERE seq = 5;" + kRelock);
  expect_tampered(db, 5, "event 5 (decision) was changed");
}

TEST(study_log, DetectsAnEditedEnvelope) {
  TempDir dir;
  const fs::path db = small_study(dir);
  raw_sql(db, std::string(kUnlock) + "UPDATE events SET participant_id = 'P02' WHERE seq = 4;" + kRelock);
  expect_tampered(db, 4, "event 4");
}

TEST(study_log, DetectsADeletedEvent) {
  TempDir dir;
  const fs::path db = small_study(dir);
  raw_sql(db, std::string(kUnlock) + "DELETE FROM events WHERE seq = 4;" + kRelock);
  expect_tampered(db, 4, "event 4 is missing");
}

TEST(study_log, DetectsADeletionHiddenByRenumbering) {
  TempDir dir;
  const fs::path db = small_study(dir);
  raw_sql(db, std::string(kUnlock) +
                  "DELETE FROM events WHERE seq = 4; UPDATE events SET seq = seq - 1 WHERE seq > 4;" +
                  kRelock);
  expect_tampered(db, 4, "does not link");
}

TEST(study_log, DetectsReorderedEvents) {
  TempDir dir;
  const fs::path db = small_study(dir);
  // Swap events 3 and 5 (keeping the seq numbers in place).
  raw_sql(db, std::string(kUnlock) +
                  "UPDATE events SET seq = -3 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 5;"
                  "UPDATE events SET seq = 5 WHERE seq = -3;" + kRelock);
  expect_tampered(db, 3, "does not link");
}

TEST(study_log, DetectsTruncation) {
  TempDir dir;
  const fs::path db = small_study(dir);
  raw_sql(db, std::string(kUnlock) + "DELETE FROM events WHERE seq >= 9;" + kRelock);
  expect_tampered(db, 9, "events at the end were deleted");
  // Appending onto a truncated log is refused.
  gs::StudyLog log(db);
  expect_error([&] { log.record("P03", "export", {{"artifact", "log"}}); }, gs::StudyErrorKind::Tampered,
               "chain head does not match");
}

TEST(study_log, DetectsAForgedAppend) {
  TempDir dir;
  const fs::path db = small_study(dir);
  raw_sql(db, "INSERT INTO events (seq, ts_utc, mono_ns, session_id, participant_id, kind, payload, "
              "prev_hash, hash) SELECT 11, ts_utc, mono_ns, session_id, participant_id, kind, payload, "
              "hash, 'ffff' FROM events WHERE seq = 10;");
  expect_tampered(db, 11, "event 11 (session_end) was changed");
}

TEST(study_log, DetectsAnEditedProtocol) {
  TempDir dir;
  const fs::path db = small_study(dir);
  raw_sql(db, "UPDATE meta SET value = replace(value, '\"P1\",\"P11\"', '\"P1\",\"P8\",\"P11\"') "
              "WHERE key = 'protocol';");
  const auto r = gs::verify_study(db);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("protocol"), std::string::npos) << r.problem;
}

TEST(study_log, DetectsRemovedTriggers) {
  TempDir dir;
  const fs::path db = small_study(dir);
  raw_sql(db, kUnlock);
  expect_tampered(db, 0, "append-only triggers");
}

TEST(study_log, RefusesFilesThatAreNotStudies) {
  TempDir dir;
  const auto bad = gs::StudyErrorKind::BadInput;
  expect_error([&] { gs::verify_study(dir / "missing.db"); }, bad, "does not exist");
  study_test::write_file(dir / "notes.txt", "these are my notes, not a database\n");
  expect_error([&] { gs::verify_study(dir / "notes.txt"); }, bad, "not a readable Glasswing study");
  expect_error([&] { gs::StudyLog log(dir / "notes.txt"); }, bad, "not a readable Glasswing study");
  raw_sql(dir / "other.db", "CREATE TABLE t (x INTEGER);");
  expect_error([&] { gs::verify_study(dir / "other.db"); }, bad, "not a Glasswing study");
  expect_error([&] { gs::verify_study(dir.path()); }, bad, "is not a file");
  const fs::path db = new_study(dir);
  fs::copy_file(db, dir / "newer.db");
  raw_sql(dir / "newer.db", "UPDATE meta SET value = '2' WHERE key = 'schema_version';");
  expect_error([&] { gs::verify_study(dir / "newer.db"); }, bad, "has study schema version 2");
  expect_error([&] { gs::StudyLog::create(db, gs::load_protocol(study_test::example_protocol_path())); },
               gs::StudyErrorKind::Usage, "already exists");
  expect_error([&] { gs::StudyLog::create(dir / "no/such/dir/x.db", gs::load_protocol(study_test::example_protocol_path())); },
               gs::StudyErrorKind::Storage, "cannot open");
}

// docs/STUDIES.md §3 documents every event kind and every field of it.
TEST(study_docs, EveryEventKindAndFieldIsDocumented) {
  const std::string doc = study_test::read_file(fs::path(GLASSWING_SOURCE_DIR) / "docs/STUDIES.md");
  ASSERT_FALSE(doc.empty());
  for (const auto& kind : gs::event_kinds()) {
    const std::string head = "| `" + kind.kind + "` |";
    const auto at = doc.find(head, doc.find("## 3. Event kinds"));
    ASSERT_NE(at, std::string::npos) << "kind " << kind.kind << " has no row in docs/STUDIES.md";
    const std::string row = doc.substr(at, doc.find('\n', at) - at);
    for (const auto& f : kind.fields) {
      EXPECT_NE(row.find("`" + f.name + "`"), std::string::npos)
          << "field " << kind.kind << "." << f.name << " is not documented";
    }
  }
}
