#pragma once
// Helpers shared by the search tests: temp folders, fixture paths, raw SQLite access, running
// Debian's Python Optuna, and a canonical JSON dump of a storage that Python can produce too.

#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "automl/search/storage.hpp"

namespace glasswing::search::testing {

namespace fs = std::filesystem;

inline fs::path fixture(const std::string& name) { return fs::path(GLASSWING_SHARED_DIR) / "fixtures" / "optuna" / name; }

// A fresh folder per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
    for (auto& c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    static int counter = 0;
    path_ = fs::temp_directory_path() / ("gw-search-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline fs::path copy_fixture(const std::string& name, const TempDir& dir) {
  const auto dst = dir / name;
  fs::copy_file(fixture(name), dst, fs::copy_options::overwrite_existing);
  fs::permissions(dst, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
  return dst;
}

inline std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs SQL on a file with a plain connection; returns rows as "a|b|c" lines (NULL as "NULL").
inline std::string sql(const fs::path& db_path, const std::string& query) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    ADD_FAILURE() << "cannot open " << db_path;
    return {};
  }
  sqlite3_busy_timeout(db, 10000);
  std::string out;
  char* err = nullptr;
  auto cb = [](void* arg, int n, char** vals, char**) {
    auto* o = static_cast<std::string*>(arg);
    for (int i = 0; i < n; ++i) {
      if (i) *o += '|';
      *o += vals[i] ? vals[i] : "NULL";
    }
    *o += '\n';
    return 0;
  };
  if (sqlite3_exec(db, query.c_str(), cb, &out, &err) != SQLITE_OK) {
    ADD_FAILURE() << "SQL failed: " << query << ": " << (err ? err : "?");
    sqlite3_free(err);
  }
  sqlite3_close(db);
  return out;
}

constexpr const char* kPython = "/usr/bin/python3";

// Runs `/usr/bin/python3 script.py args...` and captures stdout; rc receives the exit status.
inline std::string run_python(const TempDir& dir, const std::string& script, const std::string& args, int& rc) {
  static int n = 0;
  const auto file = dir / ("script" + std::to_string(n++) + ".py");
  std::ofstream(file) << script;
  const auto err = dir / "python-stderr.txt";
  const std::string cmd = std::string(kPython) + " " + file.string() + " " + args + " 2>" + err.string();
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::string out;
  if (!pipe) {
    rc = -1;
    return out;
  }
  std::array<char, 4096> buf{};
  std::size_t got = 0;
  while ((got = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), got);
  const int status = ::pclose(pipe);
  rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc != 0) out += "\n[stderr]\n" + read_bytes(err);
  return out;
}

inline bool python_optuna_available() {
  if (!fs::exists(kPython)) return false;
  const std::string cmd = std::string(kPython) + " -c 'import optuna' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// The canonical dump: every leaf value is the text json.dumps would write for it, so int vs
// float, true vs 1 and the exact bits of every double are compared.
inline Json canonical_dump(Storage& storage) {
  Json out = Json::object();
  Json studies = Json::array();
  auto dumps = [](const std::map<std::string, Json>& m) {
    Json o = Json::object();
    for (const auto& [k, v] : m) o[k] = dump_python_json(v);
    return o;
  };
  for (const auto& info : storage.get_all_studies()) {
    Json s = Json::object();
    s["name"] = info.name;
    s["directions"] = Json::array();
    for (auto d : info.directions) s["directions"].push_back(std::string(to_string(d)));
    s["user_attrs"] = dumps(info.user_attrs);
    s["system_attrs"] = dumps(info.system_attrs);
    Json trials = Json::array();
    for (const auto& t : storage.get_all_trials(info.study_id)) {
      Json j = Json::object();
      j["number"] = t.number;
      j["state"] = std::string(to_string(t.state));
      if (t.values) {
        j["values"] = Json::array();
        for (double v : *t.values) j["values"].push_back(python_float_repr(v));
      } else {
        j["values"] = nullptr;
      }
      j["params"] = dumps(t.params);
      Json dists = Json::object();
      for (const auto& [k, d] : t.distributions) dists[k] = distribution_to_json(d);
      j["distributions"] = dists;
      Json inter = Json::object();
      for (const auto& [step, v] : t.intermediate_values) inter[std::to_string(step)] = python_float_repr(v);
      j["intermediate_values"] = inter;
      j["user_attrs"] = dumps(t.user_attrs);
      j["system_attrs"] = dumps(t.system_attrs);
      j["datetime_start"] = t.datetime_start ? Json(format_datetime(*t.datetime_start)) : Json(nullptr);
      j["datetime_complete"] = t.datetime_complete ? Json(format_datetime(*t.datetime_complete)) : Json(nullptr);
      trials.push_back(j);
    }
    s["trials"] = trials;
    studies.push_back(s);
  }
  out["studies"] = studies;
  return out;
}

// The same dump made by Python Optuna through optuna.load_study. argv: URL [skip].
inline constexpr const char* kPythonDumpScript = R"PY(
import json, sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.distributions import distribution_to_json
try:
    from optuna.distributions import _convert_old_distribution_to_new_distribution as conv
except ImportError:
    conv = lambda d: d
optuna.logging.set_verbosity(optuna.logging.ERROR)
kw = {"skip_compatibility_check": True} if len(sys.argv) > 2 and sys.argv[2] == "skip" else {}
storage = optuna.storages.RDBStorage(sys.argv[1], **kw)
def fmt(dt):
    return None if dt is None else dt.strftime("%Y-%m-%d %H:%M:%S.%f")
def dumps(m):
    return {k: json.dumps(v) for k, v in m.items()}
studies = []
for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
    st = optuna.load_study(study_name=summary.study_name, storage=storage)
    trials = []
    for t in st.get_trials(deepcopy=False):
        trials.append({
            "number": t.number,
            "state": t.state.name,
            "values": None if t.values is None else [json.dumps(v) for v in t.values],
            "params": dumps(t.params),
            "distributions": {k: distribution_to_json(conv(d)) for k, d in t.distributions.items()},
            "intermediate_values": {str(k): json.dumps(v) for k, v in t.intermediate_values.items()},
            "user_attrs": dumps(t.user_attrs),
            "system_attrs": dumps(t.system_attrs),
            "datetime_start": fmt(t.datetime_start),
            "datetime_complete": fmt(t.datetime_complete),
        })
    studies.append({"name": st.study_name, "directions": [d.name for d in st.directions],
                    "user_attrs": dumps(st.user_attrs), "system_attrs": dumps(st.system_attrs),
                    "trials": trials})
print(json.dumps({"studies": studies}))
)PY";

}  // namespace glasswing::search::testing
