#pragma once
// JSON values as Optuna stores them (attribute `value_json`, `distribution_json`).
//
// Python's json.dumps is the reference writer: separators ", " and ": ", ASCII-only output
// (\uXXXX escapes), floats in repr() form (shortest round trip, "1e-05", "10.0"), and the
// non-standard tokens NaN, Infinity and -Infinity. Objects keep insertion order (ordered_json),
// so a value read from Optuna is written back with the same key order.
//
// Thread safety: free functions, no shared state. Errors: parse_python_json throws
// glasswing::Error(ErrorKind::BadInput) naming the offending text.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace glasswing::search {

using Json = nlohmann::ordered_json;

// Python repr() of a double as json.dumps writes it (NaN/Infinity/-Infinity for non-finite).
std::string python_float_repr(double value);

// json.dumps(value) with Python's default settings.
std::string dump_python_json(const Json& value);

// json.loads(text): standard JSON plus NaN, Infinity and -Infinity outside strings.
Json parse_python_json(std::string_view text);

}  // namespace glasswing::search
