#include "automl/common/issues.hpp"

namespace glasswing {

const char* to_string(Severity severity) noexcept {
  switch (severity) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
  }
  return "info";
}

void IssueLog::add(Severity severity, std::string source, std::string message) {
  std::lock_guard lock(mutex_);
  issues_.push_back(Issue{severity, std::move(source), std::move(message)});
}

std::vector<Issue> IssueLog::snapshot() const {
  std::lock_guard lock(mutex_);
  return issues_;
}

std::size_t IssueLog::size() const {
  std::lock_guard lock(mutex_);
  return issues_.size();
}

}  // namespace glasswing
