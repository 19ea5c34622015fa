#include "studies/error.hpp"

namespace glasswing::studies {

std::string_view to_string(StudyErrorKind kind) noexcept {
  switch (kind) {
    case StudyErrorKind::Usage: return "usage";
    case StudyErrorKind::BadInput: return "bad input";
    case StudyErrorKind::Tampered: return "tampered";
    case StudyErrorKind::Storage: return "storage";
  }
  return "unknown";
}

void throw_bad_input(const std::string& message) {
  throw StudyError(StudyErrorKind::BadInput, message);
}
void throw_usage(const std::string& message) { throw StudyError(StudyErrorKind::Usage, message); }
void throw_storage(const std::string& message) {
  throw StudyError(StudyErrorKind::Storage, message);
}

}  // namespace glasswing::studies
