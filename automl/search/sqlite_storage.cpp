#include "automl/search/sqlite_storage.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include "automl/search/sqlite_schema.hpp"
#include "glasswing/common/version.hpp"

namespace glasswing::search {
namespace {

// The alembic revisions Optuna has released, oldest first; the last two are readable here.
constexpr const char* kKnownOlderRevisions[] = {"v0.9.0.a", "v1.2.0.a", "v1.3.0.a", "v2.4.0.a", "v2.6.0.a",
                                                "v3.0.0.a", "v3.0.0.b", "v3.0.0.c"};

// SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock; the transaction is retried.
struct Busy {};

std::string where(const std::filesystem::path& p) { return "SQLite storage '" + p.string() + "'"; }

class Stmt {
 public:
  Stmt(sqlite3* db, const std::filesystem::path& path, const char* sql) : db_(db), path_(path) {
    const int rc = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) fail(rc);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  Stmt& bind(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
  Stmt& bind(int i, const std::string& v) {
    return check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Stmt& bind(int i, std::string_view v) { return bind(i, std::string(v)); }
  Stmt& bind(int i, const char* v) { return bind(i, std::string(v)); }
  Stmt& bind_null(int i) { return check(sqlite3_bind_null(stmt_, i)); }
  Stmt& bind(int i, const std::optional<std::string>& v) { return v ? bind(i, *v) : bind_null(i); }

  // True when a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(rc);
  }
  void run() {
    while (step()) {
    }
  }
  bool null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t i64(int c) const { return sqlite3_column_int64(stmt_, c); }
  double f64(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
  }
  std::optional<std::string> opt_text(int c) const { return null(c) ? std::nullopt : std::optional(text(c)); }

 private:
  Stmt& check(int rc) {
    if (rc != SQLITE_OK) fail(rc);
    return *this;
  }
  [[noreturn]] void fail(int rc) const {
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Busy{};
    std::string msg = where(path_) + ": " + sqlite3_errmsg(db_);
    if (primary == SQLITE_NOTADB) msg += "; the file is not an SQLite database, pass an Optuna .db file or a new path";
    else if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM)
      msg += "; check that the file and its folder are writable";
    else if (primary == SQLITE_FULL) msg += "; free disk space and retry";
    throw Error(ErrorKind::Storage, msg);
  }
  sqlite3* db_;
  const std::filesystem::path& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec_sql(sqlite3* db, const std::filesystem::path& path, const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Busy{};
    throw Error(ErrorKind::Storage, where(path) + ": " + msg + " (while running: " + std::string(sql).substr(0, 60) + ")");
  }
}

struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

sqlite3* open_db(const std::filesystem::path& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw Error(ErrorKind::Storage,
                where(path) + ": cannot open (" + msg + "); check the path and that its folder is writable");
  }
  return db;
}

std::set<std::string> table_names(sqlite3* db, const std::filesystem::path& path) {
  std::set<std::string> names;
  Stmt s(db, path, "SELECT name FROM sqlite_master WHERE type='table'");
  while (s.step()) names.insert(s.text(0));
  return names;
}

const char* value_type_of(double v) { return std::isinf(v) ? (v > 0 ? "INF_POS" : "INF_NEG") : "FINITE"; }

double stored_value(const Stmt& s, int value_col, int type_col) {
  const std::string type = s.text(type_col);
  if (type == "FINITE") return s.f64(value_col);
  if (type == "INF_POS") return HUGE_VAL;
  if (type == "INF_NEG") return -HUGE_VAL;
  if (type == "NAN") return std::nan("");
  throw Error(ErrorKind::BadInput, "unknown value type '" + type + "'; expected FINITE, INF_POS, INF_NEG or NAN");
}

}  // namespace

SqliteSchemaInfo inspect_sqlite_file(const std::filesystem::path& path) {
  SqliteSchemaInfo info;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) return info;
  Connection c;
  c.db = open_db(path, SQLITE_OPEN_READONLY);
  // Another process may be writing or recovering the WAL at this moment (several workers opening
  // one file at once): wait for it as the read-write connection does, instead of failing at once.
  sqlite3_busy_timeout(c.db, 5000);
  try {
    const auto tables = table_names(c.db, path);
    if (tables.empty()) return info;
    info.fresh = false;
    if (!tables.count("studies") && !tables.count("version_info")) {
      throw Error(ErrorKind::Storage, where(path) + " is an SQLite database but not an Optuna storage (no studies "
                                                    "table); pass an Optuna .db file or a new path");
    }
    if (tables.count("version_info")) {
      Stmt s(c.db, path, "SELECT schema_version, library_version FROM version_info");
      if (s.step()) {
        if (!s.null(0)) info.schema_version = s.i64(0);
        info.library_version = s.opt_text(1);
      }
    }
    if (tables.count("alembic_version")) {
      Stmt s(c.db, path, "SELECT version_num FROM alembic_version");
      int rows = 0;
      while (s.step()) {
        info.revision = s.text(0);
        ++rows;
      }
      if (rows > 1) {
        throw Error(ErrorKind::Storage, where(path) + " has several alembic_version rows; repair it with `optuna "
                                                      "storage upgrade` before opening it here");
      }
    }
  } catch (const Busy&) {
    throw Error(ErrorKind::Storage, where(path) + " is locked by another process; retry when it has finished writing");
  }
  return info;
}

SqliteStorage::SqliteStorage(std::filesystem::path path, SqliteOptions options)
    : path_(std::move(path)), options_(std::move(options)) {
  if (options_.revision != kOptunaRevision30 && options_.revision != kOptunaRevision32) {
    throw Error(ErrorKind::Usage, "SQLite storage: revision '" + options_.revision + "' cannot be written; use " +
                                      kOptunaRevision32 + " (Optuna >= 3.2) or " + kOptunaRevision30 + " (Optuna 3.0/3.1)");
  }
  if (options_.library_version.empty()) options_.library_version = std::string("glasswing ") + kVersion;

  // 1. Decide, without writing, whether this file can be used.
  const SqliteSchemaInfo info = inspect_sqlite_file(path_);
  const std::string by = info.library_version ? " (written by " + *info.library_version + ")" : "";
  if (info.schema_version && *info.schema_version != 12) {
    throw Error(ErrorKind::Storage, where(path_) + by + " has schema_version " + std::to_string(*info.schema_version) +
                                        "; only Optuna schema 12 (Optuna 3.0 to 5.0) is read; upgrade it with `optuna "
                                        "storage upgrade`; the file was not modified");
  }
  if (info.revision && *info.revision != kOptunaRevision30 && *info.revision != kOptunaRevision32) {
    const bool older = std::find_if(std::begin(kKnownOlderRevisions), std::end(kKnownOlderRevisions),
                                    [&](const char* r) { return *info.revision == r; }) != std::end(kKnownOlderRevisions);
    if (older) {
      throw Error(ErrorKind::Storage, where(path_) + by + " has the old Optuna schema revision " + *info.revision +
                                          "; upgrade it with `optuna storage upgrade --storage sqlite:///" +
                                          path_.string() + "`; the file was not modified");
    }
    throw Error(ErrorKind::Storage, where(path_) + by + " has schema revision " + *info.revision +
                                        ", newer or unknown (readable: v3.0.0.d, v3.2.0.a); open it with the Optuna "
                                        "that wrote it or update Glasswing; the file was not modified");
  }
  revision_ = info.fresh ? std::optional<std::string>(options_.revision) : info.revision;

  // 2. Open for writing and bring the schema up (create_all semantics: only missing tables).
  db_ = open_db(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  try {
    sqlite3_busy_timeout(db_, static_cast<int>(options_.busy_timeout.count()));
    write([&] {
      const auto tables = table_names(db_, path_);
      const bool fresh = !tables.count("studies");
      for (const auto& ddl : sqlite_schema::kDdl) {
        if (std::string_view(ddl.kind) == "table") {
          if (tables.count(ddl.name)) continue;
          if (std::string_view(ddl.name) == "alembic_version" && !fresh) continue;  // never stamp others' files
          exec(ddl.sql);
          if (std::string_view(ddl.name) == "trials" && fresh && revision_ == kOptunaRevision32) {
            exec(sqlite_schema::kTrialsStudyIdIndex);
          }
        } else {
          Stmt s(db_, path_, "SELECT 1 FROM sqlite_master WHERE type='index' AND name=?");
          s.bind(1, ddl.name);
          if (!s.step()) exec(ddl.sql);
        }
      }
      {
        Stmt s(db_, path_, "SELECT COUNT(*) FROM version_info");
        s.step();
        if (s.i64(0) == 0) {
          Stmt ins(db_, path_, "INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, 12, ?)");
          ins.bind(1, options_.library_version).run();
        }
      }
      if (fresh) {
        Stmt s(db_, path_, "SELECT COUNT(*) FROM alembic_version");
        s.step();
        if (s.i64(0) == 0) {
          Stmt ins(db_, path_, "INSERT INTO alembic_version (version_num) VALUES (?)");
          ins.bind(1, *revision_).run();
        }
      }
      return 0;
    });
    if (options_.wal) {
      Stmt s(db_, path_, "PRAGMA journal_mode=WAL");
      s.run();
      if (options_.wal_synchronous_normal) exec("PRAGMA synchronous=NORMAL");
    }
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteStorage::~SqliteStorage() { sqlite3_close_v2(db_); }

void SqliteStorage::exec(const char* sql) { exec_sql(db_, path_, sql); }

std::string SqliteStorage::now_text() const { return format_datetime(options_.utc_times ? now_utc() : now_local()); }

template <class F>
auto SqliteStorage::write(F&& body) -> decltype(body()) {
  std::lock_guard lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.retry_budget;
  std::minstd_rand jitter(static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  for (int attempt = 0;; ++attempt) {
    try {
      exec("BEGIN IMMEDIATE");
      try {
        auto result = body();
        exec("COMMIT");
        return result;
      } catch (...) {
        if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    } catch (const Busy&) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw Error(ErrorKind::Storage, where(path_) + " stayed locked by other writers for " +
                                            std::to_string(options_.retry_budget.count() / 1000) +
                                            " s; retry later or use fewer parallel workers");
      }
      const auto ms = 1 + static_cast<int>(jitter() % static_cast<unsigned>(std::min(50, 5 * (attempt + 1))));
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
  }
}

template <class F>
auto SqliteStorage::read(F&& body) -> decltype(body()) {
  std::lock_guard lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.retry_budget;
  for (;;) {
    try {
      exec("BEGIN");  // one snapshot for all the queries of this read
      try {
        auto result = body();
        exec("COMMIT");
        return result;
      } catch (...) {
        if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    } catch (const Busy&) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw Error(ErrorKind::Storage, where(path_) + " stayed locked for too long; retry later");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

void SqliteStorage::require_study(std::int64_t study_id) {
  Stmt s(db_, path_, "SELECT 1 FROM studies WHERE study_id=?");
  s.bind(1, study_id);
  if (!s.step()) {
    throw Error(ErrorKind::Storage, where(path_) + " has no study with id " + std::to_string(study_id) +
                                        "; list the studies to see valid ids");
  }
}

std::int64_t SqliteStorage::create_new_study(const std::vector<StudyDirection>& directions, const std::string& name) {
  if (directions.empty()) throw Error(ErrorKind::Usage, "a study needs at least one direction");
  return write([&] {
    {
      Stmt s(db_, path_, "SELECT 1 FROM studies WHERE study_name=?");
      s.bind(1, name);
      if (s.step()) {
        throw Error(ErrorKind::Storage, where(path_) + " already has a study named '" + name +
                                            "'; load it or pick another name");
      }
    }
    Stmt ins(db_, path_, "INSERT INTO studies (study_name) VALUES (?)");
    ins.bind(1, name).run();
    const std::int64_t id = sqlite3_last_insert_rowid(db_);
    for (std::size_t k = 0; k < directions.size(); ++k) {
      Stmt d(db_, path_, "INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, ?)");
      d.bind(1, to_string(directions[k])).bind(2, id).bind(3, static_cast<std::int64_t>(k)).run();
    }
    return id;
  });
}

void SqliteStorage::delete_study(std::int64_t study_id) {
  write([&] {
    require_study(study_id);
    // Optuna never enables foreign keys; its ORM cascades. Remove the children explicitly.
    static constexpr const char* kChildren[] = {"trial_params", "trial_values", "trial_intermediate_values",
                                                "trial_user_attributes", "trial_system_attributes",
                                                "trial_heartbeats"};
    for (const char* table : kChildren) {
      const std::string sql = std::string("DELETE FROM ") + table +
                              " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id=?)";
      Stmt s(db_, path_, sql.c_str());
      s.bind(1, study_id).run();
    }
    finished_cache_.erase(study_id);
    for (const char* table : {"trials", "study_directions", "study_user_attributes", "study_system_attributes", "studies"}) {
      const std::string sql = std::string("DELETE FROM ") + table + " WHERE study_id=?";
      Stmt s(db_, path_, sql.c_str());
      s.bind(1, study_id).run();
    }
    return 0;
  });
}

void SqliteStorage::upsert_attr(const char* table, const char* owner, std::int64_t owner_id, const std::string& key,
                                const Json& value) {
  const std::string sql = std::string("INSERT INTO ") + table + " (" + owner + ", \"key\", value_json) VALUES (?, ?, ?) " +
                          "ON CONFLICT(" + owner + ", \"key\") DO UPDATE SET value_json=excluded.value_json";
  Stmt s(db_, path_, sql.c_str());
  s.bind(1, owner_id).bind(2, key).bind(3, dump_python_json(value)).run();
}

void SqliteStorage::set_study_user_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  write([&] {
    require_study(study_id);
    upsert_attr("study_user_attributes", "study_id", study_id, key, value);
    return 0;
  });
}

void SqliteStorage::set_study_system_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  write([&] {
    require_study(study_id);
    upsert_attr("study_system_attributes", "study_id", study_id, key, value);
    return 0;
  });
}

std::int64_t SqliteStorage::get_study_id_from_name(const std::string& name) {
  return read([&] {
    Stmt s(db_, path_, "SELECT study_id FROM studies WHERE study_name=?");
    s.bind(1, name);
    if (!s.step()) {
      throw Error(ErrorKind::Storage, where(path_) + " has no study named '" + name + "'; list the studies to see their names");
    }
    return s.i64(0);
  });
}

StudyInfo SqliteStorage::load_study(std::int64_t study_id, const std::string& name) {
  StudyInfo info;
  info.study_id = study_id;
  info.name = name;
  {
    Stmt s(db_, path_, "SELECT direction, objective FROM study_directions WHERE study_id=? ORDER BY objective");
    s.bind(1, study_id);
    while (s.step()) info.directions.push_back(study_direction_from_string(s.text(0)));
  }
  for (auto [table, target] : {std::pair{"study_user_attributes", &info.user_attrs},
                               std::pair{"study_system_attributes", &info.system_attrs}}) {
    const std::string sql = std::string("SELECT \"key\", value_json FROM ") + table + " WHERE study_id=?";
    Stmt s(db_, path_, sql.c_str());
    s.bind(1, study_id);
    while (s.step()) (*target)[s.text(0)] = parse_python_json(s.text(1));
  }
  return info;
}

StudyInfo SqliteStorage::get_study(std::int64_t study_id) {
  return read([&] {
    Stmt s(db_, path_, "SELECT study_name FROM studies WHERE study_id=?");
    s.bind(1, study_id);
    if (!s.step()) {
      throw Error(ErrorKind::Storage, where(path_) + " has no study with id " + std::to_string(study_id) +
                                          "; list the studies to see valid ids");
    }
    return load_study(study_id, s.text(0));
  });
}

std::vector<StudyInfo> SqliteStorage::get_all_studies() {
  return read([&] {
    std::vector<std::pair<std::int64_t, std::string>> ids;
    {
      Stmt s(db_, path_, "SELECT study_id, study_name FROM studies ORDER BY study_id");
      while (s.step()) ids.emplace_back(s.i64(0), s.text(1));
    }
    std::vector<StudyInfo> out;
    for (const auto& [id, name] : ids) out.push_back(load_study(id, name));
    return out;
  });
}

SqliteStorage::TrialHead SqliteStorage::trial_head(std::int64_t trial_id) {
  Stmt s(db_, path_, "SELECT study_id, number, state FROM trials WHERE trial_id=?");
  s.bind(1, trial_id);
  if (!s.step()) {
    throw Error(ErrorKind::Storage, where(path_) + " has no trial with id " + std::to_string(trial_id));
  }
  return TrialHead{s.i64(0), s.null(1) ? -1 : s.i64(1), trial_state_from_string(s.text(2))};
}

void SqliteStorage::check_param_compatible(std::int64_t study_id, const std::string& name, const Distribution& d) {
  // Optuna (RDBStorage._check_and_set_param_distribution) compares with any one record stored
  // under this name in the study (`.first()`, no ORDER BY). Compatibility is an equivalence
  // (same kind, same log flag, same choices) and every stored record passed this check, so any
  // record gives the same verdict. Without ORDER BY the query stops at the first match instead
  // of visiting every trial of the study (O(trials) per set_trial_param).
  Stmt s(db_, path_,
         "SELECT p.distribution_json FROM trial_params p JOIN trials t ON p.trial_id=t.trial_id "
         "WHERE t.study_id=? AND p.param_name=? LIMIT 1");
  s.bind(1, study_id).bind(2, name);
  if (s.step()) check_distribution_compatibility(name, distribution_from_json(s.text(0)), d);
}

void SqliteStorage::insert_param(std::int64_t trial_id, const std::string& name, double internal, const Distribution& d) {
  if (!contains(d, internal)) {
    throw Error(ErrorKind::Usage, "parameter '" + name + "': value " + python_float_repr(internal) + " lies outside " +
                                      distribution_to_json(d));
  }
  Stmt s(db_, path_,
         "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?) "
         "ON CONFLICT(trial_id, param_name) DO UPDATE SET param_value=excluded.param_value, "
         "distribution_json=excluded.distribution_json");
  s.bind(1, trial_id).bind(2, name).bind(3, internal).bind(4, distribution_to_json(d)).run();
}

void SqliteStorage::upsert_value(std::int64_t trial_id, std::size_t objective, double value) {
  Stmt s(db_, path_,
         "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, ?, ?, ?) "
         "ON CONFLICT(trial_id, objective) DO UPDATE SET value=excluded.value, value_type=excluded.value_type");
  s.bind(1, trial_id).bind(2, static_cast<std::int64_t>(objective));
  if (std::isinf(value)) s.bind_null(3);
  else s.bind(3, value);
  s.bind(4, value_type_of(value)).run();
}

void SqliteStorage::upsert_intermediate(std::int64_t trial_id, std::int64_t step, double value) {
  Stmt s(db_, path_,
         "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) "
         "VALUES (?, ?, ?, ?) ON CONFLICT(trial_id, step) DO UPDATE SET "
         "intermediate_value=excluded.intermediate_value, intermediate_value_type=excluded.intermediate_value_type");
  s.bind(1, trial_id).bind(2, step);
  if (std::isnan(value) || std::isinf(value)) s.bind_null(3);
  else s.bind(3, value);
  s.bind(4, std::isnan(value) ? "NAN" : value_type_of(value)).run();
}

std::int64_t SqliteStorage::create_new_trial(std::int64_t study_id, const FrozenTrial* templ) {
  if (templ) detail::check_template(*templ);
  return write([&] {
    require_study(study_id);
    Stmt ins(db_, path_,
             "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) VALUES (NULL, ?, ?, ?, ?)");
    ins.bind(1, study_id);
    if (templ) {
      ins.bind(2, to_string(templ->state));
      if (templ->datetime_start) ins.bind(3, format_datetime(*templ->datetime_start));
      else ins.bind_null(3);
      if (templ->datetime_complete) ins.bind(4, format_datetime(*templ->datetime_complete));
      else ins.bind_null(4);
    } else {
      ins.bind(2, to_string(TrialState::Running)).bind(3, now_text()).bind_null(4);
    }
    ins.run();
    const std::int64_t trial_id = sqlite3_last_insert_rowid(db_);
    if (templ) {
      for (const auto& [name, dist] : templ->distributions) {
        check_param_compatible(study_id, name, dist);
        insert_param(trial_id, name, to_internal(dist, templ->params.at(name)), dist);
      }
      if (templ->values) {
        for (std::size_t k = 0; k < templ->values->size(); ++k) upsert_value(trial_id, k, (*templ->values)[k]);
      }
      for (const auto& [step, v] : templ->intermediate_values) upsert_intermediate(trial_id, step, v);
      for (const auto& [k, v] : templ->user_attrs) upsert_attr("trial_user_attributes", "trial_id", trial_id, k, v);
      for (const auto& [k, v] : templ->system_attrs) upsert_attr("trial_system_attributes", "trial_id", trial_id, k, v);
    }
    // The number is the count of earlier trials of the study, computed under the write lock.
    Stmt num(db_, path_,
             "UPDATE trials SET number=(SELECT COUNT(trial_id) FROM trials WHERE study_id=? AND trial_id<?) "
             "WHERE trial_id=?");
    num.bind(1, study_id).bind(2, trial_id).bind(3, trial_id).run();
    return trial_id;
  });
}

void SqliteStorage::set_trial_param(std::int64_t trial_id, const std::string& name, double internal_value,
                                    const Distribution& distribution) {
  write([&] {
    const auto head = trial_head(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    check_param_compatible(head.study_id, name, distribution);
    insert_param(trial_id, name, internal_value, distribution);
    return 0;
  });
}

bool SqliteStorage::set_trial_state_values(std::int64_t trial_id, TrialState state,
                                           const std::optional<std::vector<double>>& values) {
  if (values) detail::check_values(*values);
  return write([&] {
    const auto head = trial_head(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    if (state == TrialState::Running && head.state != TrialState::Waiting) return false;
    if (values) {
      for (std::size_t k = 0; k < values->size(); ++k) upsert_value(trial_id, k, (*values)[k]);
    }
    const char* sql = state == TrialState::Running ? "UPDATE trials SET state=?, datetime_start=? WHERE trial_id=?"
                      : is_finished(state)         ? "UPDATE trials SET state=?, datetime_complete=? WHERE trial_id=?"
                                                   : "UPDATE trials SET state=? WHERE trial_id=?";
    Stmt s(db_, path_, sql);
    s.bind(1, to_string(state));
    if (state == TrialState::Running || is_finished(state)) s.bind(2, now_text()).bind(3, trial_id);
    else s.bind(2, trial_id);
    s.run();
    return true;
  });
}

void SqliteStorage::set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step, double value) {
  write([&] {
    const auto head = trial_head(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    upsert_intermediate(trial_id, step, value);
    return 0;
  });
}

void SqliteStorage::set_trial_user_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  write([&] {
    const auto head = trial_head(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    upsert_attr("trial_user_attributes", "trial_id", trial_id, key, value);
    return 0;
  });
}

void SqliteStorage::set_trial_system_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  write([&] {
    const auto head = trial_head(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    upsert_attr("trial_system_attributes", "trial_id", trial_id, key, value);
    return 0;
  });
}

std::vector<FrozenTrial> SqliteStorage::load_trials(bool by_study, std::int64_t key, std::int64_t min_trial_id) {
  const std::string filter = by_study ? "t.study_id=? AND t.trial_id>=?" : "t.trial_id=?";
  std::vector<FrozenTrial> trials;
  std::map<std::int64_t, std::size_t> index;
  {
    const std::string sql =
        "SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete FROM trials t WHERE " + filter +
        " ORDER BY t.trial_id";
    Stmt s(db_, path_, sql.c_str());
    s.bind(1, key);
    if (by_study) s.bind(2, min_trial_id);
    while (s.step()) {
      FrozenTrial t;
      t.trial_id = s.i64(0);
      t.number = s.null(1) ? -1 : s.i64(1);
      t.state = trial_state_from_string(s.text(2));
      if (!s.null(3)) t.datetime_start = parse_datetime(s.text(3));
      if (!s.null(4)) t.datetime_complete = parse_datetime(s.text(4));
      index[t.trial_id] = trials.size();
      trials.push_back(std::move(t));
    }
  }
  if (trials.empty()) return trials;
  auto run = [&](const std::string& cols, const char* table, auto&& fn) {
    const std::string sql = "SELECT x.trial_id, " + cols + " FROM " + table +
                            " x JOIN trials t ON x.trial_id=t.trial_id WHERE " + filter + " ORDER BY 2";
    Stmt s(db_, path_, sql.c_str());
    s.bind(1, key);
    if (by_study) s.bind(2, min_trial_id);
    while (s.step()) fn(trials[index.at(s.i64(0))], s);
  };
  std::map<std::string, Distribution> parsed;  // distribution_json text -> distribution
  run("x.param_id, x.param_name, x.param_value, x.distribution_json", "trial_params", [&](FrozenTrial& t, const Stmt& s) {
    const std::string json = s.text(4);
    auto it = parsed.find(json);
    if (it == parsed.end()) it = parsed.emplace(json, distribution_from_json(json)).first;
    const std::string name = s.text(2);
    t.params[name] = to_external(it->second, s.f64(3));
    t.distributions.insert_or_assign(name, it->second);
  });
  run("x.objective, x.value, x.value_type", "trial_values", [&](FrozenTrial& t, const Stmt& s) {
    if (!t.values) t.values.emplace();
    const auto k = static_cast<std::size_t>(s.i64(1));
    if (t.values->size() <= k) t.values->resize(k + 1, std::nan(""));
    (*t.values)[k] = stored_value(s, 2, 3);
  });
  run("x.step, x.intermediate_value, x.intermediate_value_type", "trial_intermediate_values",
      [&](FrozenTrial& t, const Stmt& s) { t.intermediate_values[s.i64(1)] = stored_value(s, 2, 3); });
  run("x.trial_user_attribute_id, x.\"key\", x.value_json", "trial_user_attributes",
      [&](FrozenTrial& t, const Stmt& s) { t.user_attrs[s.text(2)] = parse_python_json(s.text(3)); });
  run("x.trial_system_attribute_id, x.\"key\", x.value_json", "trial_system_attributes",
      [&](FrozenTrial& t, const Stmt& s) { t.system_attrs[s.text(2)] = parse_python_json(s.text(3)); });
  return trials;
}

FrozenTrial SqliteStorage::get_trial(std::int64_t trial_id) {
  auto trials = read([&] { return load_trials(false, trial_id); });
  if (trials.empty()) throw Error(ErrorKind::Storage, where(path_) + " has no trial with id " + std::to_string(trial_id));
  return std::move(trials.front());
}

std::vector<FrozenTrial> SqliteStorage::get_all_trials(std::int64_t study_id,
                                                       const std::optional<std::vector<TrialState>>& states) {
  return read([&] {
    require_study(study_id);
    std::vector<detail::TrialRowKey> rows;
    {
      Stmt s(db_, path_, "SELECT trial_id, number, state, datetime_start FROM trials WHERE study_id=? ORDER BY trial_id");
      s.bind(1, study_id);
      while (s.step()) {
        std::string state = s.text(2);
        // Only the rows in `states` take part: ask() looks for WAITING trials before every
        // trial, and copying the whole cached history to keep none of it cost O(trials).
        if (states && std::find_if(states->begin(), states->end(),
                                   [&](TrialState st) { return to_string(st) == state; }) == states->end()) {
          continue;
        }
        const auto start = s.opt_text(3);
        rows.push_back({s.i64(0), s.null(1) ? -1 : s.i64(1), std::move(state),
                        start ? std::optional(parse_datetime(*start)) : std::nullopt});
      }
    }
    return detail::merge_with_finished_cache(
        rows, finished_cache_[study_id], [&](std::int64_t first_id) { return load_trials(true, study_id, first_id); },
        states);
  });
}

void SqliteStorage::refresh_trials(std::int64_t study_id, std::vector<FrozenTrial>& trials) {
  // One read (one snapshot): how many leading entries of `trials` stay, and the trials after them.
  auto [keep, tail] = read([&] {
    require_study(study_id);
    std::vector<detail::TrialRowKey> rows;
    {
      Stmt s(db_, path_, "SELECT trial_id, number, state, datetime_start FROM trials WHERE study_id=? ORDER BY trial_id");
      s.bind(1, study_id);
      while (s.step()) {
        const auto start = s.opt_text(3);
        rows.push_back({s.i64(0), s.null(1) ? -1 : s.i64(1), s.text(2),
                        start ? std::optional(parse_datetime(*start)) : std::nullopt});
      }
    }
    std::size_t kept = 0;
    while (kept < rows.size() && kept < trials.size()) {
      const auto& t = trials[kept];
      const auto& row = rows[kept];
      if (!is_finished(t.state) || t.trial_id != row.id || t.number != row.number || to_string(t.state) != row.state ||
          t.datetime_start != row.start) {
        break;
      }
      ++kept;
    }
    const std::vector<detail::TrialRowKey> rest(rows.begin() + static_cast<std::ptrdiff_t>(kept), rows.end());
    auto loaded = rest.empty() ? std::vector<FrozenTrial>{}
                               : detail::merge_with_finished_cache(
                                     rest, finished_cache_[study_id],
                                     [&](std::int64_t first_id) { return load_trials(true, study_id, first_id); },
                                     std::nullopt);
    return std::pair{kept, std::move(loaded)};
  });
  trials.resize(keep);
  std::move(tail.begin(), tail.end(), std::back_inserter(trials));
}

std::int64_t SqliteStorage::get_trial_id_from_study_id_trial_number(std::int64_t study_id, std::int64_t number) {
  return read([&] {
    Stmt s(db_, path_, "SELECT trial_id FROM trials WHERE study_id=? AND number=?");
    s.bind(1, study_id).bind(2, number);
    if (!s.step()) {
      throw Error(ErrorKind::Storage, where(path_) + " has no trial number " + std::to_string(number) +
                                          " in study id " + std::to_string(study_id));
    }
    return s.i64(0);
  });
}

void SqliteStorage::record_heartbeat(std::int64_t trial_id) {
  write([&] {
    trial_head(trial_id);  // the trial must exist
    // CURRENT_TIMESTAMP: UTC, second resolution, as Optuna's ORM default and func.now() write it.
    Stmt s(db_, path_,
           "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, CURRENT_TIMESTAMP) "
           "ON CONFLICT(trial_id) DO UPDATE SET heartbeat=CURRENT_TIMESTAMP");
    s.bind(1, trial_id).run();
    return 0;
  });
}

std::vector<std::int64_t> SqliteStorage::fail_stale_trials(std::int64_t study_id, std::chrono::seconds grace) {
  return write([&] {
    require_study(study_id);
    std::vector<std::int64_t> stale;
    {
      Stmt s(db_, path_,
             "SELECT t.trial_id FROM trials t JOIN trial_heartbeats h ON h.trial_id=t.trial_id "
             "WHERE t.study_id=? AND t.state='RUNNING' "
             "AND (julianday(CURRENT_TIMESTAMP) - julianday(h.heartbeat)) * 86400.0 > ? ORDER BY t.trial_id");
      s.bind(1, study_id).bind(2, static_cast<double>(grace.count()));
      while (s.step()) stale.push_back(s.i64(0));
    }
    for (const auto id : stale) {
      Stmt u(db_, path_, "UPDATE trials SET state='FAIL', datetime_complete=? WHERE trial_id=? AND state='RUNNING'");
      u.bind(1, now_text()).bind(2, id).run();
    }
    return stale;
  });
}

}  // namespace glasswing::search
