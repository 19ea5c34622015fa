#include "automl/search/storage_registry.hpp"

#include "automl/search/in_memory_storage.hpp"

namespace glasswing::search {

std::vector<std::string> storage_url_forms() { return {"sqlite:///PATH", "memory:"}; }

std::shared_ptr<Storage> make_storage(std::string_view url, const SqliteOptions& sqlite_options) {
  constexpr std::string_view kSqlite = "sqlite:///";
  if (url == "memory:") return std::make_shared<InMemoryStorage>();
  if (url.substr(0, kSqlite.size()) == kSqlite) {
    const std::string path(url.substr(kSqlite.size()));  // "sqlite:////abs" keeps the leading '/'
    if (path.empty()) {
      throw Error(ErrorKind::Usage, "storage URL '" + std::string(url) + "' has no file path; use sqlite:///PATH");
    }
    if (path.find('?') != std::string::npos) {
      throw Error(ErrorKind::Usage, "storage URL '" + std::string(url) +
                                        "': URL options are not supported; remove the part after '?'");
    }
    return std::make_shared<SqliteStorage>(path, sqlite_options);
  }
  std::string forms;
  for (const auto& f : storage_url_forms()) forms += (forms.empty() ? "" : ", ") + f;
  const bool postgres = url.substr(0, 10) == "postgresql";
  throw Error(ErrorKind::Usage, "unsupported storage URL '" + std::string(url) + "'" +
                                    (postgres ? " (PostgreSQL storage is not implemented yet)" : "") +
                                    "; valid forms: " + forms);
}

}  // namespace glasswing::search
