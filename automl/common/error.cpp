#include "automl/common/error.hpp"

namespace glasswing {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Internal: return "internal error";
    case ErrorKind::Usage: return "usage error";
    case ErrorKind::BadInput: return "bad input";
    case ErrorKind::Storage: return "storage error";
    case ErrorKind::Resource: return "resource error";
  }
  return "error";
}

int exit_code(ErrorKind kind) noexcept { return static_cast<int>(kind); }

void throw_bad_input(const std::string& message) { throw Error(ErrorKind::BadInput, message); }
void throw_usage(const std::string& message) { throw Error(ErrorKind::Usage, message); }

}  // namespace glasswing
