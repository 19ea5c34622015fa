// SQLite storage specifics: Optuna's exact schema and encodings, the shared Optuna fixtures
// (3.1, 4.9, 5.0), refusal of unreadable files without touching them, several connections
// and several processes adding trials to one study.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "automl/search/in_memory_storage.hpp"
#include "automl/search/sqlite_storage.hpp"
#include "automl/search/storage_registry.hpp"
#include "heartbeat_scenario.hpp"
#include "search_test_util.hpp"

namespace glasswing::search {
namespace {

using testing::copy_fixture;
using testing::read_bytes;
using testing::sql;
using testing::TempDir;

const std::string kSchemaQuery =
    "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name";

SqliteOptions v30() {
  SqliteOptions o;
  o.revision = kOptunaRevision30;
  return o;
}

TEST(SearchSqlite, FreshFileHasOptunas32SchemaByDefault) {
  TempDir dir;
  { SqliteStorage s(dir / "a.db"); }
  const auto ours = sql(dir / "a.db", kSchemaQuery);
  const auto theirs = sql(testing::fixture("optuna-4.9-fresh.db"), kSchemaQuery);
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(sql(dir / "a.db", "SELECT version_num FROM alembic_version"), "v3.2.0.a\n");
  EXPECT_EQ(sql(dir / "a.db", "SELECT version_info_id, schema_version FROM version_info"), "1|12\n");
  EXPECT_EQ(sql(dir / "a.db", "PRAGMA journal_mode"), "wal\n");
}

TEST(SearchSqlite, FreshFileHasOptunas30SchemaOnRequest) {
  TempDir dir;
  { SqliteStorage s(dir / "a.db", v30()); }
  EXPECT_EQ(sql(dir / "a.db", kSchemaQuery), sql(testing::fixture("optuna-3.1-fresh.db"), kSchemaQuery));
  EXPECT_EQ(sql(dir / "a.db", "SELECT version_num FROM alembic_version"), "v3.0.0.d\n");
  SqliteStorage again(dir / "a.db");  // the default option never migrates an existing file
  EXPECT_EQ(again.revision(), std::optional<std::string>("v3.0.0.d"));
  EXPECT_EQ(sql(dir / "a.db", "SELECT count(*) FROM sqlite_master WHERE name='ix_trials_study_id'"), "0\n");
}

TEST(SearchSqlite, RowsUseOptunasEncodings) {
  TempDir dir;
  {
    SqliteStorage s(dir / "a.db");
    const auto id = s.create_new_study({StudyDirection::Minimize, StudyDirection::Maximize}, "enc");
    s.set_study_user_attr(id, "nested", parse_python_json(R"({"a": [1, 2.5, null, true], "b": "x"})"));
    const auto t = s.create_new_trial(id);
    s.set_trial_param(t, "c", 3.0, make_categorical_distribution({"adam", "sgd", nullptr, true, 1.5}));
    s.set_trial_param(t, "n", 10.0, make_int_distribution(0, 20, false, 5));
    s.set_trial_intermediate_value(t, 0, std::nan(""));
    s.set_trial_intermediate_value(t, 1, HUGE_VAL);
    s.set_trial_intermediate_value(t, 2, 0.5);
    s.set_trial_user_attr(t, "note", "trial 0");
    s.set_trial_state_values(t, TrialState::Complete, std::vector<double>{HUGE_VAL, 1.25});
  }
  const auto p = dir / "a.db";
  EXPECT_EQ(sql(p, "SELECT direction, objective FROM study_directions ORDER BY objective"), "MINIMIZE|0\nMAXIMIZE|1\n");
  EXPECT_EQ(sql(p, "SELECT value_json FROM study_user_attributes"), "{\"a\": [1, 2.5, null, true], \"b\": \"x\"}\n");
  EXPECT_EQ(sql(p, "SELECT param_name, param_value, typeof(param_value), distribution_json FROM trial_params ORDER BY param_id"),
            "c|3.0|real|{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [\"adam\", \"sgd\", null, true, 1.5]}}\n"
            "n|10.0|real|{\"name\": \"IntDistribution\", \"attributes\": {\"log\": false, \"step\": 5, \"low\": 0, \"high\": 20}}\n");
  EXPECT_EQ(sql(p, "SELECT step, intermediate_value, intermediate_value_type FROM trial_intermediate_values ORDER BY step"),
            "0|NULL|NAN\n1|NULL|INF_POS\n2|0.5|FINITE\n");
  EXPECT_EQ(sql(p, "SELECT objective, value, value_type FROM trial_values ORDER BY objective"),
            "0|NULL|INF_POS\n1|1.25|FINITE\n");
  EXPECT_EQ(sql(p, "SELECT value_json FROM trial_user_attributes"), "\"trial 0\"\n");
  EXPECT_EQ(sql(p, "SELECT number, state FROM trials"), "0|COMPLETE\n");
  const std::regex dt(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\n)");
  EXPECT_TRUE(std::regex_match(sql(p, "SELECT datetime_start, datetime_complete FROM trials"), dt));
}

TEST(SearchSqlite, ReadsOptuna31Sample) {
  TempDir dir;
  SqliteStorage s(copy_fixture("optuna-3.1-sample.db", dir));
  EXPECT_EQ(s.revision(), std::optional<std::string>("v3.0.0.d"));
  const auto studies = s.get_all_studies();
  ASSERT_EQ(studies.size(), 3u);
  EXPECT_EQ(studies[0].name, "single");
  EXPECT_EQ(studies[0].user_attrs.at("owner"), "research");
  EXPECT_EQ(dump_python_json(studies[0].user_attrs.at("nested")), R"({"a": [1, 2.5, null, true], "b": "x"})");
  EXPECT_EQ(studies[0].system_attrs.at("sys_key"), 123);
  EXPECT_EQ(studies[1].directions, (std::vector{StudyDirection::Minimize, StudyDirection::Maximize}));

  const auto trials = s.get_all_trials(studies[0].study_id);
  ASSERT_EQ(trials.size(), 14u);
  const auto& t0 = trials[0];
  EXPECT_EQ(t0.state, TrialState::Complete);
  EXPECT_EQ(t0.params.at("x"), Json(0.9762700785464951));
  EXPECT_EQ(t0.params.at("lr"), Json(0.007257005721594277));
  EXPECT_EQ(t0.params.at("q"), Json(0.75));
  EXPECT_EQ(t0.params.at("n"), Json(10));
  EXPECT_EQ(t0.params.at("m"), Json(13));
  EXPECT_EQ(t0.params.at("c"), Json(true));
  EXPECT_EQ(t0.value(), 6.339921730630335);
  EXPECT_EQ(t0.intermediate_values.size(), 5u);
  EXPECT_EQ(t0.user_attrs.at("note"), "trial 0");
  EXPECT_EQ(dump_python_json(t0.system_attrs.at("sys_t")), R"([1, "two"])");
  EXPECT_EQ(format_datetime(*t0.datetime_start), "2026-11-28 06:09:50.798055");
  EXPECT_EQ(trials[2].state, TrialState::Fail);
  EXPECT_FALSE(trials[2].values);
  const auto& pruned = trials[8];
  EXPECT_EQ(pruned.state, TrialState::Pruned);
  EXPECT_TRUE(std::isnan(pruned.intermediate_values.at(0)));
  EXPECT_EQ(pruned.intermediate_values.at(1), HUGE_VAL);
  EXPECT_EQ(pruned.intermediate_values.at(2), -HUGE_VAL);
  EXPECT_EQ(pruned.intermediate_values.at(3), 42.0);
  EXPECT_EQ(pruned.value(), 42.0);
  EXPECT_EQ(trials[10].value(), HUGE_VAL);
  EXPECT_EQ(trials[11].state, TrialState::Running);
  EXPECT_EQ(trials[12].state, TrialState::Waiting);
  EXPECT_FALSE(trials[12].datetime_start);
  EXPECT_EQ(dump_python_json(trials[12].system_attrs.at("fixed_params")), R"({"x": 1.5})");
  EXPECT_EQ(trials[13].value(), 3.25);

  const auto mo = s.get_all_trials(studies[1].study_id);
  ASSERT_EQ(mo.size(), 4u);
  EXPECT_EQ(mo[0].values->size(), 2u);
  EXPECT_EQ((*mo[0].values)[1], 1.748933985892278);

  // Legacy class names are read as the current classes.
  const auto legacy = s.get_all_trials(studies[2].study_id);
  ASSERT_EQ(legacy.size(), 1u);
  const auto& d = legacy[0].distributions;
  EXPECT_EQ(d.at("u"), Distribution(make_float_distribution(0, 1)));
  EXPECT_EQ(d.at("lu"), Distribution(make_float_distribution(0.001, 1, true)));
  EXPECT_EQ(d.at("du"), Distribution(make_float_distribution(0, 1, false, 0.25)));
  EXPECT_EQ(d.at("iu"), Distribution(make_int_distribution(0, 10, false, 2)));
  EXPECT_EQ(d.at("ilu"), Distribution(make_int_distribution(1, 100, true)));
  EXPECT_EQ(legacy[0].params.at("iu"), Json(4));
}

TEST(SearchSqlite, ContinuesOptuna31SampleWithoutChangingItsRevision) {
  TempDir dir;
  const auto path = copy_fixture("optuna-3.1-sample.db", dir);
  {
    SqliteStorage s(path);
    const auto id = s.get_study_id_from_name("single");
    const auto t = s.create_new_trial(id);
    EXPECT_EQ(s.get_trial(t).number, 14);
    s.set_trial_param(t, "x", 1.0, make_float_distribution(-10, 10));
    EXPECT_THROW(s.set_trial_param(t, "m", 2.0, make_int_distribution(1, 1024)), Error);  // log differs
    s.set_trial_state_values(t, TrialState::Complete, std::vector<double>{0.5});
    // The enqueued trial can be popped.
    const auto waiting = s.get_trial_id_from_study_id_trial_number(id, 12);
    EXPECT_TRUE(s.set_trial_state_values(waiting, TrialState::Running));
  }
  EXPECT_EQ(sql(path, "SELECT version_num FROM alembic_version"), "v3.0.0.d\n");
  EXPECT_EQ(sql(path, "SELECT library_version FROM version_info"), "3.1.0\n");
  EXPECT_EQ(sql(path, "PRAGMA integrity_check"), "ok\n");
}

TEST(SearchSqlite, OpensOptuna49And50FreshFiles) {
  for (const char* name : {"optuna-4.9-fresh.db", "optuna-5.0dev-fresh.db"}) {
    TempDir dir;
    const auto path = copy_fixture(name, dir);
    {
      SqliteStorage s(path);
      EXPECT_EQ(s.revision(), std::optional<std::string>("v3.2.0.a"));
      const auto studies = s.get_all_studies();
      ASSERT_EQ(studies.size(), 1u);  // study "s" with two COMPLETE trials over x in [0, 1]
      EXPECT_EQ(studies[0].name, "s");
      const auto trials = s.get_all_trials(studies[0].study_id);
      ASSERT_EQ(trials.size(), 2u);
      for (const auto& t : trials) {
        EXPECT_EQ(t.state, TrialState::Complete);
        EXPECT_EQ(t.value(), t.params.at("x").get<double>());
        EXPECT_EQ(t.distributions.at("x"), Distribution(make_float_distribution(0, 1)));
      }
      const auto added = s.create_new_trial(studies[0].study_id);
      EXPECT_EQ(s.get_trial(added).number, 2);
      const auto id = s.create_new_study({StudyDirection::Maximize}, "new");
      s.set_trial_state_values(s.create_new_trial(id), TrialState::Complete, std::vector<double>{1.0});
      EXPECT_EQ(s.get_best_trial(id).value(), 1.0);
    }
    EXPECT_EQ(sql(path, "SELECT version_num FROM alembic_version"), "v3.2.0.a\n");
  }
}

TEST(SearchSqlite, FileWithoutAlembicRowIsReadAndLeftUnstamped) {
  TempDir dir;
  const auto path = copy_fixture("optuna-3.1-sample.db", dir);
  sql(path, "DELETE FROM alembic_version");
  {
    SqliteStorage s(path);
    EXPECT_FALSE(s.revision());
    EXPECT_EQ(s.get_all_trials(s.get_study_id_from_name("single")).size(), 14u);
    s.create_new_study({StudyDirection::Minimize}, "added");
  }
  EXPECT_EQ(sql(path, "SELECT count(*) FROM alembic_version"), "0\n");
  const auto path2 = copy_fixture("optuna-4.9-fresh.db", dir);
  sql(path2, "DROP TABLE alembic_version");
  SqliteStorage s2(path2);
  EXPECT_FALSE(s2.revision());
}

void expect_refused_untouched(const std::filesystem::path& path, const std::string& message_part) {
  const auto before = read_bytes(path);
  try {
    SqliteStorage s(path);
    ADD_FAILURE() << "opened " << path;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Storage);
    const std::string what = e.what();
    EXPECT_NE(what.find(message_part), std::string::npos) << what;
    EXPECT_NE(what.find(path.string()), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_EQ(read_bytes(path), before) << path;
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

TEST(SearchSqlite, RefusesNewerOrUnknownRevisionAndLeavesFileUntouched) {
  TempDir dir;
  const auto path = copy_fixture("optuna-4.9-fresh.db", dir);
  sql(path, "UPDATE alembic_version SET version_num='v5.1.0.a'");
  expect_refused_untouched(path, "v5.1.0.a, newer or unknown");
}

TEST(SearchSqlite, RefusesOlderRevisionWithUpgradeRemedy) {
  TempDir dir;
  const auto path = copy_fixture("optuna-3.1-sample.db", dir);
  sql(path, "UPDATE alembic_version SET version_num='v2.6.0.a'");
  expect_refused_untouched(path, "optuna storage upgrade");
}

TEST(SearchSqlite, RefusesOtherSchemaVersionAndForeignFiles) {
  TempDir dir;
  const auto p1 = copy_fixture("optuna-3.1-fresh.db", dir);
  sql(p1, "DELETE FROM alembic_version; UPDATE version_info SET schema_version=11");
  expect_refused_untouched(p1, "schema_version 11");
  const auto p2 = dir / "other.db";
  {
    sqlite3* db = nullptr;
    sqlite3_open(p2.c_str(), &db);
    sqlite3_exec(db, "CREATE TABLE foo (a INTEGER)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  expect_refused_untouched(p2, "not an Optuna storage");
  const auto p3 = dir / "text.db";
  std::ofstream(p3) << "this is not a database, just some text that is long enough to have a header......\n";
  expect_refused_untouched(p3, "not");
}

TEST(SearchSqlite, RejectsUnknownRevisionOption) {
  TempDir dir;
  SqliteOptions o;
  o.revision = "v9";
  EXPECT_THROW(SqliteStorage(dir / "x.db", o), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.db"));
}

TEST(SearchSqlite, SeveralConnectionsInThreads) {
  TempDir dir;
  const auto path = dir / "c.db";
  SqliteStorage main(path);
  const auto id = main.create_new_study({StudyDirection::Minimize}, "conc");
  constexpr int kThreads = 4, kPer = 25;
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&] {
      SqliteStorage own(path);  // its own connection
      for (int i = 0; i < kPer; ++i) {
        const auto t = own.create_new_trial(id);
        own.set_trial_state_values(t, TrialState::Complete, std::vector<double>{1.0});
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto trials = main.get_all_trials(id);
  ASSERT_EQ(trials.size(), static_cast<std::size_t>(kThreads * kPer));
  for (std::size_t i = 0; i < trials.size(); ++i) EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));
}

TEST(SearchSqlite, SeveralProcessesAddTrialsWithoutDuplicatesOrLoss) {
  TempDir dir;
  const auto path = dir / "p.db";
  std::int64_t id = 0;
  {
    SqliteStorage s(path);
    id = s.create_new_study({StudyDirection::Minimize}, "procs");
  }
  constexpr int kProcs = 4, kPer = 30;
  std::vector<pid_t> children;
  for (int w = 0; w < kProcs; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      try {
        SqliteStorage own(path);
        for (int i = 0; i < kPer; ++i) {
          const auto t = own.create_new_trial(id);
          own.set_trial_param(t, "worker", static_cast<double>(w), make_int_distribution(0, 10));
          own.set_trial_state_values(t, TrialState::Complete, std::vector<double>{static_cast<double>(i)});
        }
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
    children.push_back(pid);
  }
  for (auto pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  SqliteStorage s(path);
  const auto trials = s.get_all_trials(id);
  ASSERT_EQ(trials.size(), static_cast<std::size_t>(kProcs * kPer));
  std::map<std::int64_t, int> per_worker;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));
    EXPECT_EQ(trials[i].state, TrialState::Complete);
    ++per_worker[trials[i].params.at("worker").get<std::int64_t>()];
  }
  for (int w = 0; w < kProcs; ++w) EXPECT_EQ(per_worker[w], kPer);
  EXPECT_EQ(sql(path, "PRAGMA integrity_check"), "ok\n");
}

TEST(SearchSqlite, FinishedTrialCacheSeesOtherConnections) {
  TempDir dir;
  const auto path = dir / "cache.db";
  SqliteStorage a(path), b(path);
  const auto id = a.create_new_study({StudyDirection::Minimize}, "s");
  const auto t1 = a.create_new_trial(id);
  a.set_trial_state_values(t1, TrialState::Complete, std::vector{1.0});
  const auto t2 = a.create_new_trial(id);
  ASSERT_EQ(a.get_all_trials(id).size(), 2u);  // t1 is cached now
  b.set_trial_state_values(t2, TrialState::Complete, std::vector{2.0});
  b.create_new_trial(id);
  auto trials = a.get_all_trials(id);
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[1].state, TrialState::Complete);
  EXPECT_EQ(trials[1].value(), 2.0);
  EXPECT_EQ(trials[2].state, TrialState::Running);
  // Another connection deletes the study; ids are reused for new rows with other content.
  b.delete_study(id);
  const auto id2 = b.create_new_study({StudyDirection::Minimize}, "s2");
  FrozenTrial tmpl;
  tmpl.state = TrialState::Complete;
  tmpl.datetime_start = parse_datetime("2020-01-01 00:00:00.000001");
  tmpl.datetime_complete = tmpl.datetime_start;
  for (double v : {10.0, 20.0, 30.0}) {
    tmpl.values = std::vector{v};
    b.create_new_trial(id2, &tmpl);
  }
  EXPECT_EQ(id2, id);  // SQLite reuses the deleted rowid: the case the cache must survive
  trials = a.get_all_trials(id2);
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].value(), 10.0);
  EXPECT_EQ(trials[2].value(), 30.0);
}

TEST(SearchSqlite, KilledWorkersTrialFailsAfterGraceAndTheSearchGoesOn) {
  TempDir dir;
  const auto db = dir / "hb.db";
  contract::killed_worker_scenario([&] { return std::make_unique<SqliteStorage>(db); });
  EXPECT_EQ(testing::sql(db, "PRAGMA integrity_check"), "ok\n");
  // Heartbeats as Optuna writes them: SQLite's CURRENT_TIMESTAMP (UTC, whole seconds).
  const auto rows = testing::sql(db, "SELECT heartbeat FROM trial_heartbeats");
  EXPECT_TRUE(std::regex_search(rows, std::regex("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\n"))) << rows;
  EXPECT_EQ(testing::sql(db, "SELECT COUNT(*) FROM trial_heartbeats"), "4\n");
  EXPECT_THROW(InMemoryStorage().record_heartbeat(1), Error);
}

TEST(SearchStorageRegistry, UrlsInOptunasSpelling) {
  TempDir dir;
  const auto abs = dir / "url.db";
  auto s = make_storage("sqlite:///" + abs.string());  // "sqlite:////tmp/..." = absolute path
  s->create_new_study({StudyDirection::Minimize}, "u");
  EXPECT_TRUE(std::filesystem::exists(abs));
  EXPECT_EQ(make_storage("memory:")->get_all_studies().size(), 0u);
  try {
    make_storage("mysql://user@host/db");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("valid forms: sqlite:///PATH"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_storage("sqlite:///"), Error);
  EXPECT_THROW(make_storage("sqlite:///x.db?timeout=5"), Error);
  EXPECT_THROW(make_storage("redis://x"), Error);
}

}  // namespace
}  // namespace glasswing::search
