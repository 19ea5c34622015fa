#pragma once
// Helpers shared by the data tests: temporary files that clean up after themselves.

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace glasswing::test {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("glasswing-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, std::string_view content) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path shared_dataset(const std::string& name) {
  return std::filesystem::path(GLASSWING_SHARED_DIR) / "datasets" / name;
}

}  // namespace glasswing::test
