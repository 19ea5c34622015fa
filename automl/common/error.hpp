#pragma once
// Typed errors of the engine. "Exceptions inside, values at the edges": library code throws
// glasswing::Error with a kind that the CLI maps to its documented exit code and the Studio
// shows in its Issues panel. Messages name the input and the remedy, on one line.

#include <stdexcept>
#include <string>
#include <string_view>

namespace glasswing {

// The kinds of failure, with the CLI exit code each maps to (PRODUCT.md, "Exit codes").
enum class ErrorKind {
  Internal = 1,  // a bug or an unexpected state
  Usage = 2,     // bad command-line use or contradictory settings
  BadInput = 3,  // bad input data, target or bundle
  Storage = 4,   // a search store cannot be opened, read or written
  Resource = 5,  // out of memory, no GPU when one was required, ...
};

std::string_view to_string(ErrorKind kind) noexcept;
int exit_code(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// Shorthands for the common kinds.
[[noreturn]] void throw_bad_input(const std::string& message);
[[noreturn]] void throw_usage(const std::string& message);

}  // namespace glasswing
