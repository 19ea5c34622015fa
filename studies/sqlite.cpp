#include "studies/sqlite.hpp"

#include <sqlite3.h>

#include "studies/error.hpp"

namespace glasswing::studies::sql {

Db::Db(const std::filesystem::path& path, Mode mode) : path_(path.string()) {
  int flags = SQLITE_OPEN_FULLMUTEX;
  switch (mode) {
    case Mode::ReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    case Mode::ReadWrite: flags |= SQLITE_OPEN_READWRITE; break;
    case Mode::Create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
  }
  const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw_storage("cannot open study database " + path_ + ": " + message +
                  "; check the path and its permissions");
  }
  sqlite3_extended_result_codes(db_, 1);
  // Several processes may append (the Studio and `glasswing study record`): wait for the writer.
  sqlite3_busy_timeout(db_, 10000);
}

Db::~Db() { sqlite3_close(db_); }

void Db::fail(int rc, std::string_view what) const {
  const int primary = rc & 0xff;
  const std::string detail = std::string(what) + ": " + sqlite3_errmsg(db_);
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    throw_bad_input(path_ + " is not a readable Glasswing study database (" + detail +
                    "); pass a file made by 'glasswing study init'");
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw_storage("study database " + path_ + " is locked by another process (" + detail +
                  "); retry when it is free");
  }
  throw_storage("study database " + path_ + ": " + detail +
                " (check free disk space and permissions)");
}

void Db::exec(std::string_view sql_text) {
  const std::string copy(sql_text);
  const int rc = sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, "executing '" + copy.substr(0, 40) + "'");
}

Stmt::Stmt(const Db& db, std::string_view sql_text) : db_(db) {
  const int rc = sqlite3_prepare_v2(db.get(), sql_text.data(), static_cast<int>(sql_text.size()),
                                    &stmt_, nullptr);
  if (rc != SQLITE_OK) db_.fail(rc, "preparing a query");
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int index, std::string_view value) {
  const int rc = sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                                   SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

Stmt& Stmt::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

bool Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail(rc, "running a query");
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Stmt::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::string Stmt::text(int column) const {
  const unsigned char* value = sqlite3_column_text(stmt_, column);
  if (value == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(value),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::int64_t Stmt::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace glasswing::studies::sql
