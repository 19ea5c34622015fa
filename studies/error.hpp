#pragma once
// Errors of the user-study module. studies/ does not depend on the engine, so it has its own error
// type; the CLI maps each kind to the documented exit code (PRODUCT.md: 2 usage, 3 bad input
// data, 4 storage error). Messages are one line, name the input (file, field, event) and say what
// to do.

#include <stdexcept>
#include <string>
#include <string_view>

namespace glasswing::studies {

enum class StudyErrorKind {
  Usage,     // contradictory or impossible request (e.g. `init` onto an existing file)     -> 2
  BadInput,  // malformed protocol, unknown event kind, bad payload, not a study database   -> 3
  Tampered,  // the hash chain or its derived tables do not verify                          -> 3
  Storage,   // SQLite could not open, read, write or sync; a file could not be written     -> 4
};

std::string_view to_string(StudyErrorKind kind) noexcept;

class StudyError : public std::runtime_error {
 public:
  StudyError(StudyErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  StudyErrorKind kind() const noexcept { return kind_; }

 private:
  StudyErrorKind kind_;
};

[[noreturn]] void throw_bad_input(const std::string& message);
[[noreturn]] void throw_usage(const std::string& message);
[[noreturn]] void throw_storage(const std::string& message);

}  // namespace glasswing::studies
