// PostgreSQL storage against a real, throwaway PostgreSQL 15 server that this executable starts on
// loopback (initdb + pg_ctl in a temp folder; stopped and removed at the end, also on failure):
// the shared storage contract, the schema against the one Python Optuna 3.1 creates, processes
// adding trials to one study, and interop with Python Optuna 3.1 (psycopg2) both ways.
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "automl/search/postgres_storage.hpp"
#include "automl/search/storage_registry.hpp"
#include "heartbeat_scenario.hpp"
#include "glasswing/common/version.hpp"
#include "storage_contract.hpp"

namespace glasswing::search {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr const char* kBin = "/usr/lib/postgresql/15/bin";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string tail_of(const fs::path& file, std::size_t n = 1500) {
  const auto text = testing::read_bytes(file);
  return text.size() > n ? text.substr(text.size() - n) : text;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// The throwaway server, shared by every test of this executable.
class PgServer : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!fs::exists(fs::path(kBin) / "initdb")) {
      missing_ = true;
      why_ = std::string(kBin) + "/initdb not found; install Debian's postgresql-15 (scripts/setup-deps.sh)";
      return;
    }
    char tmpl[] = "/tmp/gw-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      why_ = "cannot create a temp folder for the server";
      return;
    }
    dir_ = tmpl;
    // initdb refuses to run as root: run the server's tools as the postgres user.
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (!pw || ::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        why_ = "running as root but there is no 'postgres' user to run initdb as";
        return;
      }
      as_ = "runuser -u postgres -- ";
    }
    const auto initdb_log = dir_ / "initdb.log";
    if (!run("timeout 60 " + as_ + kBin + "/initdb -D " + (dir_ / "data").string() +
             " -A trust -U glasswing -E UTF8 --no-sync > " + initdb_log.string() + " 2>&1")) {
      why_ = "initdb failed: " + tail_of(initdb_log);
      return;
    }
    for (int attempt = 0; attempt < 3 && !ok_; ++attempt) {
      port_ = free_port();
      const std::string opts = "-p " + std::to_string(port_) + " -k " + dir_.string() +
                               " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off";
      ok_ = run("timeout 60 " + as_ + kBin + "/pg_ctl -D " + (dir_ / "data").string() + " -o " + shell_quote(opts) +
                " -l " + (dir_ / "log").string() + " start -w -t 30 > /dev/null 2>&1");
      started_ = started_ || fs::exists(dir_ / "data" / "postmaster.pid");
    }
    if (!ok_) why_ = "pg_ctl start failed; server log tail:\n" + tail_of(dir_ / "log");
  }

  void TearDown() override {
    if (dir_.empty()) return;
    if (started_ || ok_) {
      if (!run("timeout 60 " + as_ + kBin + "/pg_ctl -D " + (dir_ / "data").string() +
               " stop -m fast -w -t 30 > /dev/null 2>&1")) {
        const auto pid_text = testing::read_bytes(dir_ / "data" / "postmaster.pid");
        const long pid = std::atol(pid_text.c_str());
        if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
      }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Every test calls this first.
  bool usable(std::string& why) const {
    why = why_;
    return ok_;
  }
  bool missing() const { return missing_; }
  std::string url(const std::string& db) const {
    return "postgresql://glasswing@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }
  // A new, empty database; returns its URL.
  std::string new_database() {
    static std::atomic<int> counter{0};
    const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    exec(url("postgres"), "CREATE DATABASE " + name);
    return url(name);
  }
  // Runs SQL; returns rows as "a|b|c" lines (NULL as "NULL"); fails the test on error.
  static std::string exec(const std::string& url, const std::string& sql) {
    PGconn* c = PQconnectdb(url.c_str());
    std::string out;
    if (PQstatus(c) != CONNECTION_OK) {
      ADD_FAILURE() << "cannot connect to " << url << ": " << PQerrorMessage(c);
      PQfinish(c);
      return out;
    }
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      ADD_FAILURE() << "SQL failed: " << sql << ": " << PQresultErrorMessage(r);
    } else {
      for (int i = 0; i < PQntuples(r); ++i) {
        for (int j = 0; j < PQnfields(r); ++j) {
          if (j) out += '|';
          out += PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j);
        }
        out += '\n';
      }
    }
    PQclear(r);
    PQfinish(c);
    return out;
  }

 private:
  static bool run(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }
  fs::path dir_;
  std::string as_;
  std::string why_;
  int port_ = 0;
  bool ok_ = false;
  bool started_ = false;
  bool missing_ = false;
};

PgServer* const server = dynamic_cast<PgServer*>(::testing::AddGlobalTestEnvironment(new PgServer));

#define REQUIRE_SERVER()                          \
  do {                                            \
    std::string why_;                             \
    if (!server->usable(why_)) {                  \
      if (server->missing()) GTEST_SKIP() << why_; \
      FAIL() << why_;                             \
    }                                             \
  } while (0)

bool python_psycopg2_available() {
  if (!testing::python_optuna_available()) return false;
  const std::string cmd = std::string(testing::kPython) + " -c 'import psycopg2' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// ---- the shared contract over PostgreSQL (a new database per test)
std::vector<contract::StorageKind> pg_kinds() {
  return {
      {"Postgres",
       [](const TempDir&) -> std::unique_ptr<Storage> {
         std::string why;
         if (!server->usable(why)) {
           if (server->missing()) return nullptr;  // skipped
           throw Error(ErrorKind::Storage, "no test server: " + why);
         }
         return std::make_unique<PostgresStorage>(server->new_database());
       }},
  };
}
}  // namespace
}  // namespace glasswing::search

namespace glasswing::search::contract {
INSTANTIATE_TEST_SUITE_P(Postgres, SearchStorageContract, ::testing::ValuesIn(glasswing::search::pg_kinds()),
                         name_of_kind);
}  // namespace glasswing::search::contract

namespace glasswing::search {
namespace {

const Distribution kX = make_float_distribution(-10, 10);
const Distribution kLr = make_float_distribution(1e-5, 0.1, true);
const Distribution kQ = make_float_distribution(0, 1, false, 0.25);
const Distribution kN = make_int_distribution(0, 20, false, 5);
const Distribution kM = make_int_distribution(1, 1024, true);
const Distribution kC = make_categorical_distribution({"adam", "sgd", nullptr, true, 1.5, 7});

// The schema as information_schema / pg_catalog describe it.
std::string describe_schema(const std::string& url) {
  std::string out;
  out += "-- columns\n" + PgServer::exec(url,
                                         "SELECT table_name, column_name, ordinal_position, data_type, udt_name, "
                                         "character_maximum_length, numeric_precision, is_nullable, column_default "
                                         "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 3");
  out += "-- constraints\n" + PgServer::exec(url,
                                             "SELECT conrelid::regclass, conname, contype, pg_get_constraintdef(oid) "
                                             "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 2");
  out += "-- indexes\n" +
         PgServer::exec(url, "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 2");
  out += "-- enums\n" + PgServer::exec(url,
                                       "SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) "
                                       "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY 1 ORDER BY 1");
  out += "-- sequences\n" + PgServer::exec(url,
                                           "SELECT sequencename, data_type, start_value, increment_by FROM pg_sequences "
                                           "WHERE schemaname = 'public' ORDER BY 1");
  out += "-- bookkeeping\n" + PgServer::exec(url, "SELECT schema_version FROM version_info") +
         PgServer::exec(url, "SELECT version_num FROM alembic_version");
  return out;
}

TEST(SearchPostgres, SchemaIsTheOnePythonOptuna31Creates) {
  REQUIRE_SERVER();
  if (!python_psycopg2_available()) GTEST_SKIP() << "/usr/bin/python3 lacks optuna or psycopg2";
  TempDir dir;
  const auto py_url = server->new_database();
  int rc = 0;
  const auto out = testing::run_python(
      dir, "import sys, optuna\noptuna.storages.RDBStorage(sys.argv[1])\nprint('ok')\n", py_url, rc);
  ASSERT_EQ(rc, 0) << out;
  const auto ours30 = server->new_database();
  PostgresOptions o;
  o.revision = kOptunaRevision30;
  { PostgresStorage s(ours30, o); }
  const auto python_schema = describe_schema(py_url);
  EXPECT_NE(python_schema.find("trialstate|RUNNING,COMPLETE,PRUNED,FAIL,WAITING"), std::string::npos) << python_schema;
  EXPECT_EQ(describe_schema(ours30), python_schema);
  // The default revision adds only Optuna >= 3.2's index and its alembic revision.
  const auto ours32 = server->new_database();
  { PostgresStorage s(ours32); }
  auto schema32 = describe_schema(ours32);
  const std::string idx = "trials|ix_trials_study_id|CREATE INDEX ix_trials_study_id ON public.trials USING btree (study_id)\n";
  const auto at = schema32.find(idx);
  ASSERT_NE(at, std::string::npos) << schema32;
  schema32.erase(at, idx.size());
  ASSERT_NE(schema32.rfind("v3.2.0.a"), std::string::npos) << schema32;
  schema32.replace(schema32.rfind("v3.2.0.a"), 8, "v3.0.0.d");
  EXPECT_EQ(schema32, python_schema);
}

TEST(SearchPostgres, BookkeepingReopenAndRefusal) {
  REQUIRE_SERVER();
  const auto url = server->new_database();
  {
    PostgresStorage s(url);
    EXPECT_EQ(s.revision(), std::optional<std::string>(kOptunaRevision32));
    s.create_new_study({StudyDirection::Minimize}, "keep");
  }
  EXPECT_EQ(PgServer::exec(url, "SELECT version_info_id, schema_version, library_version FROM version_info"),
            "1|12|glasswing " + std::string(kVersion) + "\n");
  {
    PostgresStorage again(url);  // reopening changes nothing
    EXPECT_EQ(again.get_all_studies().size(), 1u);
  }
  PgServer::exec(url, "UPDATE alembic_version SET version_num = 'v9.9.9.z'");
  const auto before = PgServer::exec(url, "SELECT * FROM studies") + describe_schema(url);
  try {
    PostgresStorage refused(url);
    FAIL() << "a newer revision was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Storage);
    EXPECT_NE(std::string(e.what()).find("v9.9.9.z"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not modified"), std::string::npos) << e.what();
  }
  EXPECT_EQ(PgServer::exec(url, "SELECT * FROM studies") + describe_schema(url), before);
}

TEST(SearchPostgres, ErrorsNameTheUrlWithoutPasswordAndTheRemedy) {
  REQUIRE_SERVER();
  const int closed = free_port();
  const std::string url = "postgresql://glasswing:s3cret@127.0.0.1:" + std::to_string(closed) + "/nope";
  const auto t0 = std::chrono::steady_clock::now();
  try {
    PostgresStorage s(url);
    FAIL() << "connected to a closed port";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::Storage);
    EXPECT_NE(msg.find("postgresql://glasswing@127.0.0.1:" + std::to_string(closed) + "/nope"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
    EXPECT_NE(msg.find("check that the server is running"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
  EXPECT_EQ(redact_postgres_url("postgresql://u:pw@h:5/db?sslmode=disable&password=x"),
            "postgresql://u@h:5/db?sslmode=disable&password=***");
  // A database without Optuna's tables but with a clashing one is refused clearly.
  const auto other = server->new_database();
  PgServer::exec(other, "CREATE TABLE version_info (x INTEGER)");
  EXPECT_THROW(PostgresStorage{other}, Error);
}

TEST(SearchPostgres, RegistryOpensPostgresqlUrls) {
  REQUIRE_SERVER();
  const auto url = server->new_database();
  auto s = make_storage(url);
  s->create_new_study({StudyDirection::Maximize}, "r");
  auto s2 = make_storage("postgresql+psycopg2" + url.substr(std::string("postgresql").size()));
  EXPECT_EQ(s2->get_study_id_from_name("r"), s->get_study_id_from_name("r"));
  bool listed = false;
  for (const auto& f : storage_url_forms()) listed = listed || f.rfind("postgresql://", 0) == 0;
  EXPECT_TRUE(listed);
}

// Four worker processes, each with its own connection, add 50 trials each to one study.
TEST(SearchPostgres, FourProcessesTimesFiftyTrialsGiveNumbers0To199) {
  REQUIRE_SERVER();
  const auto url = server->new_database();
  std::int64_t study_id = 0;
  {
    PostgresStorage s(url);
    study_id = s.create_new_study({StudyDirection::Minimize}, "dist");
  }
  constexpr int kWorkers = 4;
  constexpr int kTrials = 50;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWorkers; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        PostgresStorage s(url);
        for (int i = 0; i < kTrials; ++i) {
          const auto t = s.create_new_trial(study_id);
          s.set_trial_param(t, "x", static_cast<double>(w), kX);
          s.set_trial_user_attr(t, "worker", w);
          s.set_trial_state_values(t, TrialState::Complete, std::vector<double>{static_cast<double>(i)});
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "worker %d: %s\n", w, e.what());
        code = 1;
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (const pid_t pid : pids) {
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        for (const pid_t p : pids) ::kill(p, SIGKILL);
        ::waitpid(pid, &status, 0);
        FAIL() << "workers did not finish in 60 s";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  PostgresStorage s(url);
  const auto trials = s.get_all_trials(study_id);
  ASSERT_EQ(trials.size(), static_cast<std::size_t>(kWorkers * kTrials));
  std::map<int, int> per_worker;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));  // ordered by trial id: dense and unique
    EXPECT_EQ(trials[i].state, TrialState::Complete);
    if (i > 0) {
      EXPECT_GT(trials[i].trial_id, trials[i - 1].trial_id);
    }
    ++per_worker[trials[i].user_attrs.at("worker").get<int>()];
  }
  for (int w = 0; w < kWorkers; ++w) EXPECT_EQ(per_worker[w], kTrials);
  EXPECT_EQ(PgServer::exec(url, "SELECT COUNT(DISTINCT number), MIN(number), MAX(number) FROM trials"), "200|0|199\n");
}

TEST(SearchPostgres, KilledWorkersTrialFailsAfterGraceAndTheSearchGoesOn) {
  REQUIRE_SERVER();
  const auto url = server->new_database();
  contract::killed_worker_scenario([&] { return std::make_unique<PostgresStorage>(url); });
  EXPECT_EQ(PgServer::exec(url, "SELECT COUNT(*) FROM trial_heartbeats"), "4\n");
}

// ---- interop with Python Optuna 3.1 over PostgreSQL
class SearchPostgresInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_SERVER();
    if (!python_psycopg2_available()) GTEST_SKIP() << "/usr/bin/python3 lacks optuna or psycopg2";
  }
  nlohmann::json python_dump(const std::string& url) {
    int rc = 0;
    const auto out = testing::run_python(dir_, testing::kPythonDumpScript, url, rc);
    EXPECT_EQ(rc, 0) << out;
    return rc == 0 ? nlohmann::json::parse(out) : nlohmann::json();
  }
  static nlohmann::json cpp_dump(const std::string& url) {
    PostgresStorage s(url);
    return nlohmann::json::parse(testing::canonical_dump(s).dump());
  }
  TempDir dir_;
};

TEST_F(SearchPostgresInterop, Python31ReadsWhatWeWriteIdentically) {
  const auto url = server->new_database();
  {
    PostgresOptions o;
    o.revision = kOptunaRevision30;
    PostgresStorage s(url, o);
    const auto id = s.create_new_study({StudyDirection::Minimize}, "single");
    s.set_study_user_attr(id, "owner", "r\xc3\xa9search");
    s.set_study_system_attr(id, "specials", parse_python_json("[NaN, Infinity, -Infinity, 1e-05, 1e+16]"));
    for (int i = 0; i < 3; ++i) {
      const auto t = s.create_new_trial(id);
      s.set_trial_param(t, "x", -9.5 + 3.3 * i, kX);
      s.set_trial_param(t, "lr", 1e-5 * std::pow(10.0, i), kLr);
      s.set_trial_param(t, "q", 0.25 * i, kQ);
      s.set_trial_param(t, "n", 5.0 * i, kN);
      s.set_trial_param(t, "m", std::pow(2.0, 3 * i), kM);
      s.set_trial_param(t, "c", static_cast<double>(i * 2), kC);
      s.set_trial_user_attr(t, "note", "trial " + std::to_string(i));
      for (int step = 0; step < 3; ++step) s.set_trial_intermediate_value(t, step, 10.0 - step - i + 0.1);
      s.set_trial_state_values(t, TrialState::Complete, std::vector<double>{0.1 * i + 0.123456789});
    }
    const auto pruned = s.create_new_trial(id);
    s.set_trial_intermediate_value(pruned, 0, std::nan(""));
    s.set_trial_intermediate_value(pruned, 1, HUGE_VAL);
    s.set_trial_intermediate_value(pruned, 2, -HUGE_VAL);
    s.set_trial_state_values(pruned, TrialState::Pruned);
    const auto failed = s.create_new_trial(id);
    s.set_trial_system_attr(failed, "fail_reason", "ValueError: boom");
    s.set_trial_state_values(failed, TrialState::Fail);
    s.create_new_trial(id);  // still running
    FrozenTrial waiting;
    waiting.state = TrialState::Waiting;
    waiting.system_attrs["fixed_params"] = parse_python_json(R"({"x": 0.5})");
    s.create_new_trial(id, &waiting);
    const auto mo = s.create_new_study({StudyDirection::Maximize, StudyDirection::Minimize}, "multi");
    const auto t = s.create_new_trial(mo);
    s.set_trial_param(t, "a", 0.3, make_float_distribution(0, 1));
    s.set_trial_state_values(t, TrialState::Complete, std::vector<double>{HUGE_VAL, -0.0});
  }
  const auto py = python_dump(url);
  EXPECT_EQ(py, cpp_dump(url));
  ASSERT_EQ(py["studies"].size(), 2u);
  EXPECT_EQ(py["studies"][0]["trials"].size(), 7u);
}

constexpr const char* kPythonWriter = R"PY(
import math, sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.trial import TrialState
optuna.logging.set_verbosity(optuna.logging.ERROR)
url = sys.argv[1]
study = optuna.create_study(study_name="py", storage=url, direction="maximize",
                            sampler=optuna.samplers.TPESampler(seed=3))
study.set_user_attr("dataset", {"path": "data.csv", "sha256": "ab" * 32})
def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    q = trial.suggest_float("q", 0.0, 2.0, step=0.5)
    n = trial.suggest_int("n", 1, 9, step=2)
    m = trial.suggest_int("m", 1, 64, log=True)
    c = trial.suggest_categorical("c", ["a", None, False, 2, 0.5])
    trial.set_user_attr("u", trial.number)
    if trial.number == 1:
        raise RuntimeError("boom")
    for step in range(3):
        trial.report(x + step, step)
    if trial.number == 3:
        raise optuna.TrialPruned()
    return -x * x + math.log(lr) + q + n + m / 64
study.optimize(objective, n_trials=6, catch=(RuntimeError,))
t = study.ask()
t.report(float("nan"), 0)
t.report(float("-inf"), 1)
study.tell(t, state=TrialState.PRUNED)
study.enqueue_trial({"x": 1.0})
mo = optuna.create_study(study_name="py-mo", storage=url, directions=["maximize", "minimize"])
mo.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_int("b", 0, 3)), n_trials=3)
print("ok")
)PY";

TEST_F(SearchPostgresInterop, WeReadAndContinueWhatPython31WritesAndPythonReadsItBack) {
  const auto url = server->new_database();
  int rc = 0;
  const auto out = testing::run_python(dir_, kPythonWriter, url, rc);
  ASSERT_EQ(rc, 0) << out;
  const auto before = python_dump(url);
  EXPECT_EQ(cpp_dump(url), before);
  ASSERT_EQ(before["studies"][0]["trials"].size(), 8u);
  {
    PostgresStorage s(url);
    EXPECT_EQ(s.revision(), std::optional<std::string>(kOptunaRevision30));
    const auto id = s.get_study_id_from_name("py");
    const auto first = s.get_all_trials(id).front();
    const auto waiting = s.get_trial_id_from_study_id_trial_number(id, 7);
    ASSERT_TRUE(s.set_trial_state_values(waiting, TrialState::Running));
    s.set_trial_param(waiting, "x", 1.0, first.distributions.at("x"));
    s.set_trial_state_values(waiting, TrialState::Complete, std::vector<double>{-1.0});
    const auto t = s.create_new_trial(id);
    EXPECT_EQ(s.get_trial(t).number, 8);
    for (const auto& [name, dist] : first.distributions) s.set_trial_param(t, name, first.internal_param(name), dist);
    s.set_trial_user_attr(t, "from", "glasswing");
    s.set_trial_state_values(t, TrialState::Complete, std::vector<double>{0.25});
  }
  const auto after = python_dump(url);
  EXPECT_EQ(cpp_dump(url), after);
  ASSERT_EQ(after["studies"][0]["trials"].size(), 9u);
  EXPECT_EQ(after["studies"][0]["trials"][8]["user_attrs"]["from"], "\"glasswing\"");
}

// Heartbeats both ways: Python Optuna 3.1's fail_stale_trials fails our stale trial, and ours
// fails a trial whose heartbeat Python recorded (same clock and time zone convention).
TEST_F(SearchPostgresInterop, HeartbeatsAreUnderstoodBothWays) {
  const auto url = server->new_database();
  PostgresOptions o;
  o.revision = kOptunaRevision30;
  PostgresStorage s(url, o);
  const auto ours = s.create_new_study({StudyDirection::Minimize}, "hb-ours");
  const auto t = s.create_new_trial(ours);
  s.record_heartbeat(t);
  const auto fresh = s.create_new_trial(ours);
  int rc = 0;
  const auto out = testing::run_python(dir_, contract::kPythonHeartbeatScript, url, rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "FAIL,RUNNING\n");
  EXPECT_EQ(s.get_trial(t).state, TrialState::Fail);
  EXPECT_EQ(s.get_trial(fresh).state, TrialState::Running);
  const auto py = s.get_study_id_from_name("hb-py");
  const auto failed = s.fail_stale_trials(py, std::chrono::seconds(1));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(s.get_trial(failed[0]).state, TrialState::Fail);
}

}  // namespace
}  // namespace glasswing::search
