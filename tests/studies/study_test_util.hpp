#pragma once
// Helpers shared by the study tests: scratch folders, the example protocol, small studies.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "studies/protocol.hpp"

namespace study_test {

namespace fs = std::filesystem;

inline fs::path example_protocol_path() {
  return fs::path(GLASSWING_SOURCE_DIR) / "studies/examples/transparency-ab.json";
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline nlohmann::json example_json() { return nlohmann::json::parse(read_file(example_protocol_path())); }

// A fresh folder under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("glasswing-study-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// prefix + number. (Not "P" + std::to_string(i): GCC 12 at -O3 warns falsely (-Wrestrict) on it.)
inline std::string numbered(const char* prefix, long long i) {
  std::ostringstream s;
  s << prefix << i;
  return s.str();
}

inline void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace study_test
