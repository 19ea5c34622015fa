#pragma once
// Storages by URL, in Optuna's (SQLAlchemy's) spelling, so the same string works in Python:
//   "sqlite:///relative/path.db"  "sqlite:////absolute/path.db"  "memory:" (in-memory, not shared)
//   "postgresql://user[:password]@host[:port]/db" (also postgres://, postgresql+psycopg2://), when
//   built with GLASSWING_WITH_POSTGRES; sqlite_options' revision, utc_times and library_version
//   then apply to a new PostgreSQL database.
// An unknown or unsupported scheme throws Error(ErrorKind::Usage) listing the valid forms.
// The returned storage is shared by its users (Study objects hold it); see storage.hpp for the
// thread-safety contract.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "automl/search/sqlite_storage.hpp"

namespace glasswing::search {

std::shared_ptr<Storage> make_storage(std::string_view url, const SqliteOptions& sqlite_options = {});
// The accepted URL forms, for messages and help texts.
std::vector<std::string> storage_url_forms();

}  // namespace glasswing::search
