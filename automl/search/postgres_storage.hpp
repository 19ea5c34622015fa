#pragma once
// PostgreSQL Storage (libpq) in Optuna's exact RDB schema as SQLAlchemy 1.4 creates it on
// PostgreSQL: SERIAL keys, VARCHAR(n), TEXT, FLOAT(53) (= DOUBLE PRECISION), TIMESTAMP WITHOUT
// TIME ZONE, and the native ENUM types studydirection, trialstate, trialvaluetype and
// trialintermediatevaluetype. Python Optuna opens the databases this writes (same URL), and this
// reads and continues databases Optuna 3.0-5.0 wrote. Many processes on many machines may share
// one study.
//
// URL: postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?libpq options] (also postgres:// and
// SQLAlchemy's postgresql+DRIVER://). Messages name the URL without its password.
//
// Opening: the version bookkeeping is read first; the same revisions as SqliteStorage are accepted
// (v3.0.0.d, v3.2.0.a, no alembic row with schema_version 12); anything else is refused with the
// remedy and nothing is written. Then, under a transaction-level advisory lock (so concurrent
// openers do not race), missing enum types and tables are created (create_all semantics), and a
// fresh database gets version_info (1, 12, library_version) and alembic_version = revision.
//
// Concurrency: thread-safe (one connection per object, guarded by a mutex). Every operation is
// one transaction; serialization failures and deadlocks (SQLSTATE 40001/40P01) and lost
// connections are retried (with reconnection) with jitter for up to retry_budget. A new trial
// locks its study row (SELECT ... FOR UPDATE, as Optuna) and gets number = COUNT of the study's
// earlier trials in the same transaction: no duplicate numbers across processes and machines.
// Reads run in one REPEATABLE READ snapshot. Updates lock the trial row, so a WAITING trial is
// popped by exactly one worker.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "automl/search/storage.hpp"

struct pg_conn;

namespace glasswing::search {

struct PostgresOptions {
  std::string revision = "v3.2.0.a";  // for new databases only: "v3.0.0.d" (Optuna 3.0/3.1) or "v3.2.0.a"
  bool utc_times = false;             // true: Optuna 5.0 convention (naive UTC)
  std::chrono::seconds connect_timeout{10};
  std::chrono::milliseconds retry_budget{60000};  // total time spent retrying one operation
  std::string library_version;                    // version_info.library_version; default "glasswing <version>"
};

// The URL with any password removed (for messages and logs).
std::string redact_postgres_url(const std::string& url);

class PostgresStorage final : public Storage {
 public:
  // Throws Error(Storage) naming the URL and the remedy (cannot connect, refused schema, ...).
  explicit PostgresStorage(std::string url, PostgresOptions options = {});
  ~PostgresStorage() override;
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

  // The database's alembic revision (nullopt when it has no alembic row).
  const std::optional<std::string>& revision() const noexcept { return revision_; }

  std::int64_t create_new_study(const std::vector<StudyDirection>& directions, const std::string& name) override;
  void delete_study(std::int64_t study_id) override;
  void set_study_user_attr(std::int64_t study_id, const std::string& key, const Json& value) override;
  void set_study_system_attr(std::int64_t study_id, const std::string& key, const Json& value) override;
  std::int64_t get_study_id_from_name(const std::string& name) override;
  StudyInfo get_study(std::int64_t study_id) override;
  std::vector<StudyInfo> get_all_studies() override;

  std::int64_t create_new_trial(std::int64_t study_id, const FrozenTrial* templ = nullptr) override;
  void set_trial_param(std::int64_t trial_id, const std::string& name, double internal_value,
                       const Distribution& distribution) override;
  bool set_trial_state_values(std::int64_t trial_id, TrialState state,
                              const std::optional<std::vector<double>>& values = std::nullopt) override;
  void set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step, double value) override;
  void set_trial_user_attr(std::int64_t trial_id, const std::string& key, const Json& value) override;
  void set_trial_system_attr(std::int64_t trial_id, const std::string& key, const Json& value) override;
  FrozenTrial get_trial(std::int64_t trial_id) override;
  std::vector<FrozenTrial> get_all_trials(std::int64_t study_id,
                                          const std::optional<std::vector<TrialState>>& states = std::nullopt) override;
  std::int64_t get_trial_id_from_study_id_trial_number(std::int64_t study_id, std::int64_t number) override;
  bool has_heartbeats() const noexcept override { return true; }
  void record_heartbeat(std::int64_t trial_id) override;
  std::vector<std::int64_t> fail_stale_trials(std::int64_t study_id, std::chrono::seconds grace) override;

 private:
  class Result;
  template <class F>
  auto transaction(bool read_only, F&& body) -> decltype(body());
  void connect();
  Result query(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});
  std::string where() const;
  std::string now_text() const;
  void setup_schema();
  std::vector<FrozenTrial> load_trials(bool by_study, std::int64_t key, std::int64_t min_trial_id = 0);
  struct TrialHead {
    std::int64_t study_id;
    std::int64_t number;
    TrialState state;
  };
  TrialHead lock_trial(std::int64_t trial_id);
  void require_study(std::int64_t study_id, bool lock = false);
  void check_param_compatible(std::int64_t study_id, const std::string& name, const Distribution& d);
  void insert_param(std::int64_t trial_id, const std::string& name, double internal, const Distribution& d);
  void upsert_value(std::int64_t trial_id, std::size_t objective, double value);
  void upsert_intermediate(std::int64_t trial_id, std::int64_t step, double value);
  void upsert_attr(const char* table, const char* owner, std::int64_t owner_id, const std::string& key,
                   const Json& value);
  StudyInfo load_study(std::int64_t study_id, const std::string& name);

  std::string url_;
  std::string safe_url_;
  PostgresOptions options_;
  std::optional<std::string> revision_;
  pg_conn* conn_ = nullptr;
  std::mutex mutex_;
  // Finished trials never change: read once per object (as Optuna's _CachedStorage); guarded by mutex_.
  std::map<std::int64_t, std::map<std::int64_t, FrozenTrial>> finished_cache_;
};

}  // namespace glasswing::search
