// One contract, every Storage implementation: the test bodies (storage_contract.hpp) run over the
// in-memory storage and the SQLite storage (both alembic revisions it writes). The PostgreSQL
// storage runs the same bodies in search_postgres_tests.
#include "storage_contract.hpp"

#include "automl/search/in_memory_storage.hpp"
#include "automl/search/sqlite_storage.hpp"

namespace glasswing::search::contract {
namespace {

std::vector<StorageKind> kinds() {
  return {
      {"InMemory", [](const TempDir&) { return std::make_unique<InMemoryStorage>(); }},
      {"SqliteV32",
       [](const TempDir& d) { return std::make_unique<SqliteStorage>(d / "study.db"); }},
      {"SqliteV30",
       [](const TempDir& d) {
         SqliteOptions o;
         o.revision = kOptunaRevision30;
         o.wal = false;  // also exercise the rollback journal
         return std::make_unique<SqliteStorage>(d / "study.db", o);
       }},
  };
}

INSTANTIATE_TEST_SUITE_P(AllStorages, SearchStorageContract, ::testing::ValuesIn(kinds()), name_of_kind);

}  // namespace
}  // namespace glasswing::search::contract
