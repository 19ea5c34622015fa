#pragma once
// Internal: a minimal RAII layer over the SQLite C API. Not thread-safe by itself; StudyLog holds a
// mutex around every use of its connection. SQLite errors become StudyError: "not a database" and
// "malformed" as BadInput, everything else (I/O, full disk, locked past the busy timeout) as Storage.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace glasswing::studies::sql {

class Db {
 public:
  enum class Mode { ReadOnly, ReadWrite, Create };
  Db(const std::filesystem::path& path, Mode mode);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }
  void exec(std::string_view sql);
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Stmt {
 public:
  Stmt(const Db& db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int index, std::string_view text);
  Stmt& bind(int index, std::int64_t value);
  Stmt& bind_null(int index);
  bool step();  // true while a row is available; throws on error
  void reset();

  bool is_null(int column) const;
  std::string text(int column) const;
  std::int64_t int64(int column) const;

 private:
  const Db& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back in the destructor unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace glasswing::studies::sql
