#pragma once
// SQLite Storage in Optuna's exact RDB schema (OPTUNA-COMPAT.md sections 0-3): Python Optuna opens
// the files this writes, and this reads and continues files Optuna 3.0-5.0 wrote.
//
// Opening a path:
// - A missing or empty file gets the 13 Optuna tables, version_info (1, 12, library_version) and
//   alembic_version = options.revision (v3.2.0.a with index ix_trials_study_id by default;
//   v3.0.0.d for Optuna 3.0/3.1 users, who cannot open v3.2.0.a files).
// - An existing file is first inspected through a read-only connection. Revisions v3.0.0.d and
//   v3.2.0.a, and files without an alembic row (schema_version 12), are accepted and kept as they
//   are (never migrated or stamped). Anything else - an older or newer/unknown revision, another
//   schema_version, a non-Optuna or non-SQLite file - throws Error(ErrorKind::Storage) with the
//   path and the remedy, and the file is left byte-for-byte untouched.
// - Then missing tables are created (as Optuna's create_all does), WAL and the busy timeout set.
//
// Concurrency: thread-safe (one connection per object, guarded by a mutex). Several objects or
// processes may share a file: every write is one BEGIN IMMEDIATE transaction, retried on
// SQLITE_BUSY, and a trial's number is computed inside the transaction that inserts it.
// Datetimes are written as Optuna <= 4.9 does (writer-local time) unless options.utc_times.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "automl/search/storage.hpp"

struct sqlite3;

namespace glasswing::search {

inline constexpr const char* kOptunaRevision30 = "v3.0.0.d";  // Optuna 3.0.x and 3.1.x
inline constexpr const char* kOptunaRevision32 = "v3.2.0.a";  // Optuna 3.2 through 5.0

struct SqliteOptions {
  std::string revision = kOptunaRevision32;  // for new files only: kOptunaRevision30 or 32
  bool utc_times = false;                    // true: Optuna 5.0 convention (naive UTC)
  bool wal = true;                           // journal_mode=WAL (multi-process readers/writers)
  // With WAL: synchronous=NORMAL. The file stays consistent after any crash; a power failure
  // may lose the last committed trials. false = FULL (an fsync per commit, much slower).
  bool wal_synchronous_normal = true;
  std::chrono::milliseconds busy_timeout{30000};
  std::chrono::milliseconds retry_budget{120000};  // total time spent retrying a busy write
  std::string library_version;                     // version_info.library_version; default "glasswing <version>"
};

// What an existing file holds, read without modifying it.
struct SqliteSchemaInfo {
  bool fresh = true;                       // missing, empty, or no tables
  std::optional<std::string> revision;     // alembic_version.version_num, if a row exists
  std::optional<std::int64_t> schema_version;
  std::optional<std::string> library_version;
};

// Reads the version bookkeeping; throws Error(Storage) for a file that cannot be read as SQLite.
SqliteSchemaInfo inspect_sqlite_file(const std::filesystem::path& path);

class SqliteStorage final : public Storage {
 public:
  // Throws Error(Storage) as described above.
  explicit SqliteStorage(std::filesystem::path path, SqliteOptions options = {});
  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  // The file's alembic revision (nullopt when it has no alembic row).
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
  // Keeps the leading finished trials of `trials` whose rows still say the same, reads the rest.
  void refresh_trials(std::int64_t study_id, std::vector<FrozenTrial>& trials) override;
  bool has_heartbeats() const noexcept override { return true; }
  void record_heartbeat(std::int64_t trial_id) override;
  std::vector<std::int64_t> fail_stale_trials(std::int64_t study_id, std::chrono::seconds grace) override;

 private:
  template <class F>
  auto write(F&& body) -> decltype(body());
  template <class F>
  auto read(F&& body) -> decltype(body());
  void exec(const char* sql);
  std::string now_text() const;
  // by_study: the study's trials with trial_id >= min_trial_id; else the one trial `key`.
  std::vector<FrozenTrial> load_trials(bool by_study, std::int64_t key, std::int64_t min_trial_id = 0);
  struct TrialHead {
    std::int64_t study_id;
    std::int64_t number;
    TrialState state;
  };
  TrialHead trial_head(std::int64_t trial_id);
  void check_param_compatible(std::int64_t study_id, const std::string& name, const Distribution& d);
  void insert_param(std::int64_t trial_id, const std::string& name, double internal, const Distribution& d);
  void upsert_value(std::int64_t trial_id, std::size_t objective, double value);
  void upsert_intermediate(std::int64_t trial_id, std::int64_t step, double value);
  void upsert_attr(const char* table, const char* owner, std::int64_t owner_id, const std::string& key,
                   const Json& value);
  void require_study(std::int64_t study_id);
  StudyInfo load_study(std::int64_t study_id, const std::string& name);

  std::filesystem::path path_;
  SqliteOptions options_;
  std::optional<std::string> revision_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  // Finished trials never change, so they are read once (as Optuna's _CachedStorage does).
  // study_id -> trial_id -> snapshot; guarded by mutex_.
  std::map<std::int64_t, std::map<std::int64_t, FrozenTrial>> finished_cache_;
};

}  // namespace glasswing::search
