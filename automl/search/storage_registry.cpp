#include "automl/search/storage_registry.hpp"

#include "automl/search/in_memory_storage.hpp"
#ifdef GLASSWING_WITH_POSTGRES
#include "automl/search/postgres_storage.hpp"
#endif

namespace glasswing::search {

std::vector<std::string> storage_url_forms() {
#ifdef GLASSWING_WITH_POSTGRES
  return {"sqlite:///PATH", "postgresql://USER@HOST:PORT/DB", "memory:"};
#else
  return {"sqlite:///PATH", "memory:"};
#endif
}

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
#ifdef GLASSWING_WITH_POSTGRES
  for (std::string_view scheme : {"postgresql://", "postgres://", "postgresql+"}) {
    if (url.substr(0, scheme.size()) == scheme) {
      // The revision, time convention and library version apply to new databases as to new files.
      PostgresOptions o;
      o.revision = sqlite_options.revision;
      o.utc_times = sqlite_options.utc_times;
      o.library_version = sqlite_options.library_version;
      return std::make_shared<PostgresStorage>(std::string(url), o);
    }
  }
#endif
  std::string forms;
  for (const auto& f : storage_url_forms()) forms += (forms.empty() ? "" : ", ") + f;
  const bool postgres = url.substr(0, 10) == "postgresql";
  throw Error(ErrorKind::Usage, "unsupported storage URL '" + std::string(url) + "'" +
                                    (postgres ? " (this build has no PostgreSQL storage; configure with -DGLASSWING_WITH_POSTGRES=ON)" : "") +
                                    "; valid forms: " + forms);
}

}  // namespace glasswing::search
