#pragma once
// The Issue log: notices that must be visible to the user but do not stop the work (a dropped
// column, a GPU request that fell back to CPU, an ignored setting). "Never drop a setting
// silently" (ARCHITECTURE.md habit 3). The CLI prints them as lines; the Studio lists them.
//
// Thread safety: IssueLog may be written from several threads; snapshot() returns a copy.

#include <mutex>
#include <string>
#include <vector>

namespace glasswing {

enum class Severity { Info, Warning, Error };

struct Issue {
  Severity severity = Severity::Info;
  std::string source;   // which part raised it, e.g. "csv", "inference", "device"
  std::string message;  // one sentence naming the input and, where there is one, the remedy
};

const char* to_string(Severity severity) noexcept;

class IssueLog {
 public:
  void add(Severity severity, std::string source, std::string message);
  std::vector<Issue> snapshot() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Issue> issues_;
};

}  // namespace glasswing
