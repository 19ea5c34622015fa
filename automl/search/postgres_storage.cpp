#include "automl/search/postgres_storage.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "glasswing/common/version.hpp"

namespace glasswing::search {
namespace {

constexpr const char* kRevision30 = "v3.0.0.d";
constexpr const char* kRevision32 = "v3.2.0.a";
constexpr const char* kKnownOlderRevisions[] = {"v0.9.0.a", "v1.2.0.a", "v1.3.0.a", "v2.4.0.a", "v2.6.0.a",
                                                "v3.0.0.a", "v3.0.0.b", "v3.0.0.c"};
// Key of the advisory lock that serialises schema creation among concurrent openers.
constexpr const char* kSchemaLockKey = "7290410453";

// A transient failure: serialization failure, deadlock, or a lost connection. Retried.
struct Retry {
  std::string why;
};

// The enum types SQLAlchemy 1.4 creates for Optuna's Enum(PyEnum) columns on PostgreSQL.
struct EnumType {
  const char* name;
  const char* labels;
};
constexpr EnumType kEnums[] = {
    {"studydirection", "'NOT_SET', 'MINIMIZE', 'MAXIMIZE'"},
    {"trialstate", "'RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'"},
    {"trialvaluetype", "'FINITE', 'INF_POS', 'INF_NEG'"},
    {"trialintermediatevaluetype", "'FINITE', 'INF_POS', 'INF_NEG', 'NAN'"},
};

struct Table {
  const char* name;
  const char* sql;
};
// The DDL SQLAlchemy 1.4 emits for Optuna's models on PostgreSQL (CreateTable compiled with the
// postgresql dialect), in dependency order.
constexpr Table kTables[] = {
    {"studies",
     "CREATE TABLE studies (\n\tstudy_id SERIAL NOT NULL, \n\tstudy_name VARCHAR(512) NOT NULL, \n\t"
     "PRIMARY KEY (study_id)\n)"},
    {"version_info",
     "CREATE TABLE version_info (\n\tversion_info_id INTEGER NOT NULL, \n\tschema_version INTEGER, \n\t"
     "library_version VARCHAR(256), \n\tPRIMARY KEY (version_info_id), \n\tCHECK (version_info_id=1)\n)"},
    {"study_directions",
     "CREATE TABLE study_directions (\n\tstudy_direction_id SERIAL NOT NULL, \n\tdirection studydirection NOT NULL, "
     "\n\tstudy_id INTEGER NOT NULL, \n\tobjective INTEGER NOT NULL, \n\tPRIMARY KEY (study_direction_id), \n\t"
     "UNIQUE (study_id, objective), \n\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n)"},
    {"study_system_attributes",
     "CREATE TABLE study_system_attributes (\n\tstudy_system_attribute_id SERIAL NOT NULL, \n\tstudy_id INTEGER, "
     "\n\tkey VARCHAR(512), \n\tvalue_json TEXT, \n\tPRIMARY KEY (study_system_attribute_id), \n\t"
     "UNIQUE (study_id, key), \n\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n)"},
    {"study_user_attributes",
     "CREATE TABLE study_user_attributes (\n\tstudy_user_attribute_id SERIAL NOT NULL, \n\tstudy_id INTEGER, "
     "\n\tkey VARCHAR(512), \n\tvalue_json TEXT, \n\tPRIMARY KEY (study_user_attribute_id), \n\t"
     "UNIQUE (study_id, key), \n\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n)"},
    {"trials",
     "CREATE TABLE trials (\n\ttrial_id SERIAL NOT NULL, \n\tnumber INTEGER, \n\tstudy_id INTEGER, \n\t"
     "state trialstate NOT NULL, \n\tdatetime_start TIMESTAMP WITHOUT TIME ZONE, \n\t"
     "datetime_complete TIMESTAMP WITHOUT TIME ZONE, \n\tPRIMARY KEY (trial_id), \n\t"
     "FOREIGN KEY(study_id) REFERENCES studies (study_id)\n)"},
    {"trial_heartbeats",
     "CREATE TABLE trial_heartbeats (\n\ttrial_heartbeat_id SERIAL NOT NULL, \n\ttrial_id INTEGER NOT NULL, \n\t"
     "heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL, \n\tPRIMARY KEY (trial_heartbeat_id), \n\tUNIQUE (trial_id), "
     "\n\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)"},
    {"trial_intermediate_values",
     "CREATE TABLE trial_intermediate_values (\n\ttrial_intermediate_value_id SERIAL NOT NULL, \n\t"
     "trial_id INTEGER NOT NULL, \n\tstep INTEGER NOT NULL, \n\tintermediate_value FLOAT(53), \n\t"
     "intermediate_value_type trialintermediatevaluetype NOT NULL, \n\t"
     "PRIMARY KEY (trial_intermediate_value_id), \n\tUNIQUE (trial_id, step), \n\t"
     "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)"},
    {"trial_params",
     "CREATE TABLE trial_params (\n\tparam_id SERIAL NOT NULL, \n\ttrial_id INTEGER, \n\t"
     "param_name VARCHAR(512), \n\tparam_value FLOAT(53), \n\tdistribution_json TEXT, \n\t"
     "PRIMARY KEY (param_id), \n\tUNIQUE (trial_id, param_name), \n\t"
     "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)"},
    {"trial_system_attributes",
     "CREATE TABLE trial_system_attributes (\n\ttrial_system_attribute_id SERIAL NOT NULL, \n\ttrial_id INTEGER, "
     "\n\tkey VARCHAR(512), \n\tvalue_json TEXT, \n\tPRIMARY KEY (trial_system_attribute_id), \n\t"
     "UNIQUE (trial_id, key), \n\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)"},
    {"trial_user_attributes",
     "CREATE TABLE trial_user_attributes (\n\ttrial_user_attribute_id SERIAL NOT NULL, \n\ttrial_id INTEGER, "
     "\n\tkey VARCHAR(512), \n\tvalue_json TEXT, \n\tPRIMARY KEY (trial_user_attribute_id), \n\t"
     "UNIQUE (trial_id, key), \n\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)"},
    {"trial_values",
     "CREATE TABLE trial_values (\n\ttrial_value_id SERIAL NOT NULL, \n\ttrial_id INTEGER NOT NULL, \n\t"
     "objective INTEGER NOT NULL, \n\tvalue FLOAT(53), \n\tvalue_type trialvaluetype NOT NULL, \n\t"
     "PRIMARY KEY (trial_value_id), \n\tUNIQUE (trial_id, objective), \n\t"
     "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)"},
    {"alembic_version",
     "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\t"
     "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)"},
};

using Params = std::vector<std::optional<std::string>>;

std::string p(std::int64_t v) { return std::to_string(v); }
std::string p(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string first_line(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  const auto nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl);
  if (s.rfind("ERROR:  ", 0) == 0) s = s.substr(8);
  return s;
}

const char* value_type_of(double v) { return std::isinf(v) ? (v > 0 ? "INF_POS" : "INF_NEG") : "FINITE"; }

std::string normalise_url(const std::string& url) {
  // SQLAlchemy's "postgresql+psycopg2://" → libpq's "postgresql://".
  const auto plus = url.find('+');
  const auto scheme_end = url.find("://");
  if (plus != std::string::npos && scheme_end != std::string::npos && plus < scheme_end) {
    return url.substr(0, plus) + url.substr(scheme_end);
  }
  return url;
}

}  // namespace

std::string redact_postgres_url(const std::string& url) {
  std::string out = url;
  const auto scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const auto auth_begin = scheme_end + 3;
    const auto auth_end = std::min(out.find('/', auth_begin), out.find('?', auth_begin));
    const auto at = out.rfind('@', auth_end == std::string::npos ? out.size() : auth_end);
    if (at != std::string::npos && at > auth_begin) {
      const auto colon = out.find(':', auth_begin);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // password=... among the query options
  for (auto pos = out.find("password="); pos != std::string::npos; pos = out.find("password=", pos + 1)) {
    if (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&') continue;
    const auto end = out.find('&', pos);
    out.replace(pos, (end == std::string::npos ? out.size() : end) - pos, "password=***");
  }
  return out;
}

// ---- libpq result wrapper
class PostgresStorage::Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  Result& operator=(Result&&) = delete;

  int rows() const { return PQntuples(r_); }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
  }
  std::optional<std::string> opt_text(int row, int col) const {
    return null(row, col) ? std::nullopt : std::optional(text(row, col));
  }
  std::int64_t i64(int row, int col) const { return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
  double f64(int row, int col) const { return std::strtod(PQgetvalue(r_, row, col), nullptr); }

 private:
  PGresult* r_;
};

namespace {
double stored_value(const std::string& type, bool is_null, double v) {
  if (type == "FINITE") return is_null ? std::nan("") : v;
  if (type == "INF_POS") return HUGE_VAL;
  if (type == "INF_NEG") return -HUGE_VAL;
  if (type == "NAN") return std::nan("");
  throw Error(ErrorKind::BadInput, "unknown value type '" + type + "'; expected FINITE, INF_POS, INF_NEG or NAN");
}
}  // namespace

std::string PostgresStorage::where() const { return "PostgreSQL storage '" + safe_url_ + "'"; }

std::string PostgresStorage::now_text() const {
  return format_datetime(options_.utc_times ? now_utc() : now_local());
}

void PostgresStorage::connect() {
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  const std::string timeout = std::to_string(options_.connect_timeout.count());
  // Earlier keywords are overridden by the URL's own options, so the URL may set connect_timeout.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "glasswing", url_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    const std::string msg = conn_ ? first_line(PQerrorMessage(conn_)) : "out of memory";
    throw Retry{msg};
  }
  // Doubles are sent and read as text; make sure the server prints them exactly (PG >= 12 does by default).
  PQclear(PQexec(conn_, "SET extra_float_digits = 3"));
  PQclear(PQexec(conn_, "SET client_encoding = 'UTF8'"));
}

PostgresStorage::Result PostgresStorage::query(const std::string& sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& v : params) values.push_back(v ? v->c_str() : nullptr);
  PGresult* raw = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
  const auto status = PQresultStatus(raw);
  if (raw && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return Result(raw);
  const std::string msg = first_line(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_));
  const char* field = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = field ? field : "";
  PQclear(raw);
  if (PQstatus(conn_) != CONNECTION_OK) throw Retry{"connection lost (" + msg + ")"};
  if (code == "40001" || code == "40P01") throw Retry{msg};
  std::string remedy = "; check the server log";
  if (code == "23505") remedy = "; another process wrote the same row at the same time, retry";
  else if (code.rfind("42", 0) == 0) remedy = "; the database does not have Optuna's schema, use a new database";
  else if (code == "53100") remedy = "; free disk space on the server and retry";
  throw Error(ErrorKind::Storage, where() + ": " + msg + remedy);
}

template <class F>
auto PostgresStorage::transaction(bool read_only, F&& body) -> decltype(body()) {
  std::lock_guard lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.retry_budget;
  std::minstd_rand jitter(static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  std::string last_reason;
  for (int attempt = 0;; ++attempt) {
    try {
      if (!conn_ || PQstatus(conn_) != CONNECTION_OK) connect();
      query(read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
      try {
        auto result = body();
        query("COMMIT");
        return result;
      } catch (...) {
        if (conn_ && PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
        throw;
      }
    } catch (const Retry& r) {
      last_reason = r.why;
      if (std::chrono::steady_clock::now() > deadline) {
        throw Error(ErrorKind::Storage, where() + ": " + last_reason + " (retried for " +
                                            std::to_string(options_.retry_budget.count() / 1000) +
                                            " s); check that the server is running and reachable, then retry");
      }
      const auto ms = 5 + static_cast<int>(jitter() % static_cast<unsigned>(std::min(500, 20 * (attempt + 1))));
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
  }
}

PostgresStorage::PostgresStorage(std::string url, PostgresOptions options)
    : url_(normalise_url(url)), safe_url_(redact_postgres_url(url)), options_(std::move(options)) {
  if (options_.revision != kRevision30 && options_.revision != kRevision32) {
    throw Error(ErrorKind::Usage, "PostgreSQL storage: revision '" + options_.revision + "' cannot be written; use " +
                                      kRevision32 + " (Optuna >= 3.2) or " + kRevision30 + " (Optuna 3.0/3.1)");
  }
  if (options_.library_version.empty()) options_.library_version = std::string("glasswing ") + kVersion;
  try {
    connect();
  } catch (const Retry& r) {
    throw Error(ErrorKind::Storage, where() + ": cannot connect (" + r.why +
                                        "); check that the server is running and the URL's user, host, port and "
                                        "database are right");
  }
  try {
    setup_schema();
  } catch (...) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

PostgresStorage::~PostgresStorage() {
  if (conn_) PQfinish(conn_);
}

void PostgresStorage::setup_schema() {
  // 1. Decide, without writing, whether this database can be used.
  struct Info {
    bool fresh = true;
    std::optional<std::string> revision;
    std::optional<std::int64_t> schema_version;
    std::optional<std::string> library_version;
  };
  auto tables_now = [&] {
    std::set<std::string> names;
    auto r = query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()");
    for (int i = 0; i < r.rows(); ++i) names.insert(r.text(i, 0));
    return names;
  };
  const Info info = transaction(true, [&] {
    Info in;
    const auto tables = tables_now();
    in.fresh = !tables.count("studies") && !tables.count("version_info");
    if (in.fresh) return in;
    if (tables.count("version_info")) {
      auto r = query("SELECT schema_version, library_version FROM version_info");
      if (r.rows() > 0) {
        if (!r.null(0, 0)) in.schema_version = r.i64(0, 0);
        in.library_version = r.opt_text(0, 1);
      }
    }
    if (tables.count("alembic_version")) {
      auto r = query("SELECT version_num FROM alembic_version");
      if (r.rows() > 1) {
        throw Error(ErrorKind::Storage, where() + " has several alembic_version rows; repair it with `optuna "
                                                  "storage upgrade` before opening it here");
      }
      if (r.rows() == 1) in.revision = r.text(0, 0);
    }
    return in;
  });
  const std::string by = info.library_version ? " (written by " + *info.library_version + ")" : "";
  if (info.schema_version && *info.schema_version != 12) {
    throw Error(ErrorKind::Storage, where() + by + " has schema_version " + std::to_string(*info.schema_version) +
                                        "; only Optuna schema 12 (Optuna 3.0 to 5.0) is read; upgrade it with `optuna "
                                        "storage upgrade`; the database was not modified");
  }
  if (info.revision && *info.revision != kRevision30 && *info.revision != kRevision32) {
    const bool older = std::find_if(std::begin(kKnownOlderRevisions), std::end(kKnownOlderRevisions),
                                    [&](const char* r) { return *info.revision == r; }) != std::end(kKnownOlderRevisions);
    throw Error(ErrorKind::Storage,
                where() + by + (older ? " has the old Optuna schema revision " + *info.revision +
                                            "; upgrade it with `optuna storage upgrade --storage URL`"
                                      : " has schema revision " + *info.revision +
                                            ", newer or unknown (readable: v3.0.0.d, v3.2.0.a); open it with the "
                                            "Optuna that wrote it or update Glasswing") +
                    "; the database was not modified");
  }
  // 2. Create what is missing, serialised among concurrent openers by an advisory lock.
  revision_ = transaction(false, [&]() -> std::optional<std::string> {
    query(std::string("SELECT pg_advisory_xact_lock(") + kSchemaLockKey + ")");
    const auto tables = tables_now();
    const bool fresh = !tables.count("studies") && !tables.count("version_info");
    for (const auto& e : kEnums) {
      auto r = query("SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                     "WHERE t.typname = $1 AND n.nspname = current_schema()",
                     {std::string(e.name)});
      if (r.rows() == 0) query(std::string("CREATE TYPE ") + e.name + " AS ENUM (" + e.labels + ")");
    }
    for (const auto& t : kTables) {
      if (tables.count(t.name)) continue;
      if (std::string_view(t.name) == "alembic_version" && !fresh) continue;  // never stamp others' databases
      query(t.sql);
      if (std::string_view(t.name) == "studies") {
        query("CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)");
      }
      if (std::string_view(t.name) == "trials" && fresh && options_.revision == kRevision32) {
        query("CREATE INDEX ix_trials_study_id ON trials (study_id)");
      }
    }
    auto vi = query("SELECT COUNT(*) FROM version_info");
    if (vi.i64(0, 0) == 0) {
      query("INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, 12, $1)",
            {options_.library_version});
    }
    if (fresh) {
      auto av = query("SELECT COUNT(*) FROM alembic_version");
      if (av.i64(0, 0) == 0) query("INSERT INTO alembic_version (version_num) VALUES ($1)", {options_.revision});
      return options_.revision;
    }
    if (!tables.count("alembic_version")) return std::nullopt;
    auto av = query("SELECT version_num FROM alembic_version");
    return av.rows() ? std::optional(av.text(0, 0)) : std::nullopt;
  });
}

void PostgresStorage::require_study(std::int64_t study_id, bool lock) {
  auto r = query(lock ? "SELECT 1 FROM studies WHERE study_id = $1 FOR UPDATE" : "SELECT 1 FROM studies WHERE study_id = $1",
                 {p(study_id)});
  if (r.rows() == 0) {
    throw Error(ErrorKind::Storage, where() + " has no study with id " + std::to_string(study_id) +
                                        "; list the studies to see valid ids");
  }
}

std::int64_t PostgresStorage::create_new_study(const std::vector<StudyDirection>& directions, const std::string& name) {
  if (directions.empty()) throw Error(ErrorKind::Usage, "a study needs at least one direction");
  return transaction(false, [&] {
    if (query("SELECT 1 FROM studies WHERE study_name = $1", {name}).rows() > 0) {
      throw Error(ErrorKind::Storage, where() + " already has a study named '" + name + "'; load it or pick another name");
    }
    auto ins = query("INSERT INTO studies (study_name) VALUES ($1) RETURNING study_id", {name});
    const std::int64_t id = ins.i64(0, 0);
    for (std::size_t k = 0; k < directions.size(); ++k) {
      query("INSERT INTO study_directions (direction, study_id, objective) VALUES ($1, $2, $3)",
            {std::string(to_string(directions[k])), p(id), p(static_cast<std::int64_t>(k))});
    }
    return id;
  });
}

void PostgresStorage::delete_study(std::int64_t study_id) {
  transaction(false, [&] {
    require_study(study_id, true);
    static constexpr const char* kChildren[] = {"trial_params", "trial_values", "trial_intermediate_values",
                                                "trial_user_attributes", "trial_system_attributes",
                                                "trial_heartbeats"};
    for (const char* table : kChildren) {
      query(std::string("DELETE FROM ") + table + " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = $1)",
            {p(study_id)});
    }
    for (const char* table : {"trials", "study_directions", "study_user_attributes", "study_system_attributes", "studies"}) {
      query(std::string("DELETE FROM ") + table + " WHERE study_id = $1", {p(study_id)});
    }
    finished_cache_.erase(study_id);
    return 0;
  });
}

void PostgresStorage::upsert_attr(const char* table, const char* owner, std::int64_t owner_id, const std::string& key,
                                  const Json& value) {
  query(std::string("INSERT INTO ") + table + " (" + owner + ", key, value_json) VALUES ($1, $2, $3) ON CONFLICT (" +
            owner + ", key) DO UPDATE SET value_json = EXCLUDED.value_json",
        {p(owner_id), key, dump_python_json(value)});
}

void PostgresStorage::set_study_user_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  transaction(false, [&] {
    require_study(study_id);
    upsert_attr("study_user_attributes", "study_id", study_id, key, value);
    return 0;
  });
}

void PostgresStorage::set_study_system_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  transaction(false, [&] {
    require_study(study_id);
    upsert_attr("study_system_attributes", "study_id", study_id, key, value);
    return 0;
  });
}

std::int64_t PostgresStorage::get_study_id_from_name(const std::string& name) {
  return transaction(true, [&] {
    auto r = query("SELECT study_id FROM studies WHERE study_name = $1", {name});
    if (r.rows() == 0) {
      throw Error(ErrorKind::Storage, where() + " has no study named '" + name + "'; list the studies to see their names");
    }
    return r.i64(0, 0);
  });
}

StudyInfo PostgresStorage::load_study(std::int64_t study_id, const std::string& name) {
  StudyInfo info;
  info.study_id = study_id;
  info.name = name;
  {
    auto r = query("SELECT direction, objective FROM study_directions WHERE study_id = $1 ORDER BY objective",
                   {p(study_id)});
    for (int i = 0; i < r.rows(); ++i) info.directions.push_back(study_direction_from_string(r.text(i, 0)));
  }
  for (auto [table, target] : {std::pair{"study_user_attributes", &info.user_attrs},
                               std::pair{"study_system_attributes", &info.system_attrs}}) {
    auto r = query(std::string("SELECT key, value_json FROM ") + table + " WHERE study_id = $1", {p(study_id)});
    for (int i = 0; i < r.rows(); ++i) (*target)[r.text(i, 0)] = parse_python_json(r.text(i, 1));
  }
  return info;
}

StudyInfo PostgresStorage::get_study(std::int64_t study_id) {
  return transaction(true, [&] {
    auto r = query("SELECT study_name FROM studies WHERE study_id = $1", {p(study_id)});
    if (r.rows() == 0) {
      throw Error(ErrorKind::Storage, where() + " has no study with id " + std::to_string(study_id) +
                                          "; list the studies to see valid ids");
    }
    return load_study(study_id, r.text(0, 0));
  });
}

std::vector<StudyInfo> PostgresStorage::get_all_studies() {
  return transaction(true, [&] {
    auto r = query("SELECT study_id, study_name FROM studies ORDER BY study_id");
    std::vector<StudyInfo> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(load_study(r.i64(i, 0), r.text(i, 1)));
    return out;
  });
}

PostgresStorage::TrialHead PostgresStorage::lock_trial(std::int64_t trial_id) {
  auto r = query("SELECT study_id, number, state FROM trials WHERE trial_id = $1 FOR UPDATE", {p(trial_id)});
  if (r.rows() == 0) throw Error(ErrorKind::Storage, where() + " has no trial with id " + std::to_string(trial_id));
  return TrialHead{r.i64(0, 0), r.null(0, 1) ? -1 : r.i64(0, 1), trial_state_from_string(r.text(0, 2))};
}

void PostgresStorage::check_param_compatible(std::int64_t study_id, const std::string& name, const Distribution& d) {
  auto r = query(
      "SELECT p.distribution_json FROM trial_params p JOIN trials t ON p.trial_id = t.trial_id "
      "WHERE t.study_id = $1 AND p.param_name = $2 ORDER BY p.param_id LIMIT 1",
      {p(study_id), name});
  if (r.rows() > 0) check_distribution_compatibility(name, distribution_from_json(r.text(0, 0)), d);
}

void PostgresStorage::insert_param(std::int64_t trial_id, const std::string& name, double internal,
                                   const Distribution& d) {
  if (!contains(d, internal)) {
    throw Error(ErrorKind::Usage, "parameter '" + name + "': value " + python_float_repr(internal) + " lies outside " +
                                      distribution_to_json(d));
  }
  query("INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (trial_id, param_name) DO UPDATE SET param_value = EXCLUDED.param_value, "
        "distribution_json = EXCLUDED.distribution_json",
        {p(trial_id), name, p(internal), distribution_to_json(d)});
}

void PostgresStorage::upsert_value(std::int64_t trial_id, std::size_t objective, double value) {
  query("INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (trial_id, objective) DO UPDATE SET value = EXCLUDED.value, value_type = EXCLUDED.value_type",
        {p(trial_id), p(static_cast<std::int64_t>(objective)),
         std::isinf(value) ? std::nullopt : std::optional(p(value)), std::string(value_type_of(value))});
}

void PostgresStorage::upsert_intermediate(std::int64_t trial_id, std::int64_t step, double value) {
  const bool special = std::isnan(value) || std::isinf(value);
  query("INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (trial_id, step) DO UPDATE SET "
        "intermediate_value = EXCLUDED.intermediate_value, intermediate_value_type = EXCLUDED.intermediate_value_type",
        {p(trial_id), p(step), special ? std::nullopt : std::optional(p(value)),
         std::string(std::isnan(value) ? "NAN" : value_type_of(value))});
}

std::int64_t PostgresStorage::create_new_trial(std::int64_t study_id, const FrozenTrial* templ) {
  if (templ) detail::check_template(*templ);
  return transaction(false, [&] {
    // Lock the study row (as Optuna): trial creation in one study is serialised across processes.
    require_study(study_id, /*lock=*/true);
    Params ins{p(study_id)};
    if (templ) {
      ins.push_back(std::string(to_string(templ->state)));
      ins.push_back(templ->datetime_start ? std::optional(format_datetime(*templ->datetime_start)) : std::nullopt);
      ins.push_back(templ->datetime_complete ? std::optional(format_datetime(*templ->datetime_complete)) : std::nullopt);
    } else {
      ins.push_back(std::string(to_string(TrialState::Running)));
      ins.push_back(now_text());
      ins.push_back(std::nullopt);
    }
    auto r = query("INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
                   "VALUES (NULL, $1, $2, $3, $4) RETURNING trial_id",
                   ins);
    const std::int64_t trial_id = r.i64(0, 0);
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
    // Under the study lock, in READ COMMITTED: this statement sees every earlier committed trial.
    query("UPDATE trials SET number = (SELECT COUNT(trial_id) FROM trials WHERE study_id = $1 AND trial_id < $2) "
          "WHERE trial_id = $2",
          {p(study_id), p(trial_id)});
    return trial_id;
  });
}

void PostgresStorage::set_trial_param(std::int64_t trial_id, const std::string& name, double internal_value,
                                      const Distribution& distribution) {
  transaction(false, [&] {
    const auto head = lock_trial(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    check_param_compatible(head.study_id, name, distribution);
    insert_param(trial_id, name, internal_value, distribution);
    return 0;
  });
}

bool PostgresStorage::set_trial_state_values(std::int64_t trial_id, TrialState state,
                                             const std::optional<std::vector<double>>& values) {
  if (values) detail::check_values(*values);
  return transaction(false, [&] {
    const auto head = lock_trial(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    if (state == TrialState::Running && head.state != TrialState::Waiting) return false;
    if (values) {
      for (std::size_t k = 0; k < values->size(); ++k) upsert_value(trial_id, k, (*values)[k]);
    }
    if (state == TrialState::Running) {
      query("UPDATE trials SET state = $1, datetime_start = $2 WHERE trial_id = $3",
            {std::string(to_string(state)), now_text(), p(trial_id)});
    } else if (is_finished(state)) {
      query("UPDATE trials SET state = $1, datetime_complete = $2 WHERE trial_id = $3",
            {std::string(to_string(state)), now_text(), p(trial_id)});
    } else {
      query("UPDATE trials SET state = $1 WHERE trial_id = $2", {std::string(to_string(state)), p(trial_id)});
    }
    return true;
  });
}

void PostgresStorage::set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step, double value) {
  transaction(false, [&] {
    const auto head = lock_trial(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    upsert_intermediate(trial_id, step, value);
    return 0;
  });
}

void PostgresStorage::set_trial_user_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  transaction(false, [&] {
    const auto head = lock_trial(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    upsert_attr("trial_user_attributes", "trial_id", trial_id, key, value);
    return 0;
  });
}

void PostgresStorage::set_trial_system_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  transaction(false, [&] {
    const auto head = lock_trial(trial_id);
    detail::check_trial_is_updatable(head.number, head.state);
    upsert_attr("trial_system_attributes", "trial_id", trial_id, key, value);
    return 0;
  });
}

std::vector<FrozenTrial> PostgresStorage::load_trials(bool by_study, std::int64_t key, std::int64_t min_trial_id) {
  const std::string filter = by_study ? "t.study_id = $1 AND t.trial_id >= $2" : "t.trial_id = $1";
  const Params args = by_study ? Params{p(key), p(min_trial_id)} : Params{p(key)};
  std::vector<FrozenTrial> trials;
  std::map<std::int64_t, std::size_t> index;
  {
    auto r = query("SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete FROM trials t WHERE " +
                       filter + " ORDER BY t.trial_id",
                   args);
    for (int i = 0; i < r.rows(); ++i) {
      FrozenTrial t;
      t.trial_id = r.i64(i, 0);
      t.number = r.null(i, 1) ? -1 : r.i64(i, 1);
      t.state = trial_state_from_string(r.text(i, 2));
      if (!r.null(i, 3)) t.datetime_start = parse_datetime(r.text(i, 3));
      if (!r.null(i, 4)) t.datetime_complete = parse_datetime(r.text(i, 4));
      index[t.trial_id] = trials.size();
      trials.push_back(std::move(t));
    }
  }
  if (trials.empty()) return trials;
  auto run = [&](const std::string& cols, const char* table, auto&& fn) {
    auto r = query("SELECT x.trial_id, " + cols + " FROM " + table + " x JOIN trials t ON x.trial_id = t.trial_id WHERE " +
                       filter + " ORDER BY 2",
                   args);
    for (int i = 0; i < r.rows(); ++i) {
      const auto it = index.find(r.i64(i, 0));
      if (it != index.end()) fn(trials[it->second], r, i);
    }
  };
  std::map<std::string, Distribution> parsed;
  run("x.param_id, x.param_name, x.param_value, x.distribution_json", "trial_params",
      [&](FrozenTrial& t, const Result& r, int i) {
        const std::string json = r.text(i, 4);
        auto it = parsed.find(json);
        if (it == parsed.end()) it = parsed.emplace(json, distribution_from_json(json)).first;
        const std::string name = r.text(i, 2);
        t.params[name] = to_external(it->second, r.f64(i, 3));
        t.distributions.insert_or_assign(name, it->second);
      });
  run("x.objective, x.value, x.value_type", "trial_values", [&](FrozenTrial& t, const Result& r, int i) {
    if (!t.values) t.values.emplace();
    const auto k = static_cast<std::size_t>(r.i64(i, 1));
    if (t.values->size() <= k) t.values->resize(k + 1, std::nan(""));
    (*t.values)[k] = stored_value(r.text(i, 3), r.null(i, 2), r.null(i, 2) ? 0.0 : r.f64(i, 2));
  });
  run("x.step, x.intermediate_value, x.intermediate_value_type", "trial_intermediate_values",
      [&](FrozenTrial& t, const Result& r, int i) {
        t.intermediate_values[r.i64(i, 1)] =
            stored_value(r.text(i, 3), r.null(i, 2), r.null(i, 2) ? 0.0 : r.f64(i, 2));
      });
  run("x.trial_user_attribute_id, x.key, x.value_json", "trial_user_attributes",
      [&](FrozenTrial& t, const Result& r, int i) { t.user_attrs[r.text(i, 2)] = parse_python_json(r.text(i, 3)); });
  run("x.trial_system_attribute_id, x.key, x.value_json", "trial_system_attributes",
      [&](FrozenTrial& t, const Result& r, int i) { t.system_attrs[r.text(i, 2)] = parse_python_json(r.text(i, 3)); });
  return trials;
}

FrozenTrial PostgresStorage::get_trial(std::int64_t trial_id) {
  auto trials = transaction(true, [&] { return load_trials(false, trial_id); });
  if (trials.empty()) throw Error(ErrorKind::Storage, where() + " has no trial with id " + std::to_string(trial_id));
  return std::move(trials.front());
}

std::vector<FrozenTrial> PostgresStorage::get_all_trials(std::int64_t study_id,
                                                         const std::optional<std::vector<TrialState>>& states) {
  return transaction(true, [&] {
    require_study(study_id);
    std::vector<detail::TrialRowKey> rows;
    {
      auto r = query("SELECT trial_id, number, state, datetime_start FROM trials WHERE study_id = $1 ORDER BY trial_id",
                     {p(study_id)});
      for (int i = 0; i < r.rows(); ++i) {
        rows.push_back({r.i64(i, 0), r.null(i, 1) ? -1 : r.i64(i, 1), r.text(i, 2),
                        r.null(i, 3) ? std::nullopt : std::optional(parse_datetime(r.text(i, 3)))});
      }
    }
    return detail::merge_with_finished_cache(
        rows, finished_cache_[study_id], [&](std::int64_t first_id) { return load_trials(true, study_id, first_id); },
        states);
  });
}

std::int64_t PostgresStorage::get_trial_id_from_study_id_trial_number(std::int64_t study_id, std::int64_t number) {
  return transaction(true, [&] {
    auto r = query("SELECT trial_id FROM trials WHERE study_id = $1 AND number = $2", {p(study_id), p(number)});
    if (r.rows() == 0) {
      throw Error(ErrorKind::Storage, where() + " has no trial number " + std::to_string(number) + " in study id " +
                                          std::to_string(study_id));
    }
    return r.i64(0, 0);
  });
}

void PostgresStorage::record_heartbeat(std::int64_t trial_id) {
  transaction(false, [&] {
    if (query("SELECT 1 FROM trials WHERE trial_id = $1", {p(trial_id)}).rows() == 0) {
      throw Error(ErrorKind::Storage, where() + " has no trial with id " + std::to_string(trial_id));
    }
    // The database clock, as a naive timestamp in the session's time zone (what Optuna's
    // CURRENT_TIMESTAMP default stores into this TIMESTAMP WITHOUT TIME ZONE column).
    query("INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES ($1, LOCALTIMESTAMP) "
          "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = EXCLUDED.heartbeat",
          {p(trial_id)});
    return 0;
  });
}

std::vector<std::int64_t> PostgresStorage::fail_stale_trials(std::int64_t study_id, std::chrono::seconds grace) {
  return transaction(false, [&] {
    require_study(study_id);
    auto r = query(
        "SELECT t.trial_id FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
        "WHERE t.study_id = $1 AND t.state = 'RUNNING' AND h.heartbeat < LOCALTIMESTAMP - make_interval(secs => $2) "
        "ORDER BY t.trial_id FOR UPDATE OF t",
        {p(study_id), p(static_cast<std::int64_t>(grace.count()))});
    std::vector<std::int64_t> stale;
    for (int i = 0; i < r.rows(); ++i) stale.push_back(r.i64(i, 0));
    for (const auto id : stale) {
      query("UPDATE trials SET state = 'FAIL', datetime_complete = $1 WHERE trial_id = $2 AND state = 'RUNNING'",
            {now_text(), p(id)});
    }
    return stale;
  });
}

}  // namespace glasswing::search
