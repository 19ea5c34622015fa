#pragma once
// Internal: JSON helpers shared by the transparency to_json functions (not installed API).

#include <cmath>

#include <nlohmann/json.hpp>

namespace glasswing::transparency::detail {

// Replaces every non-finite number in `j` by null, so that the in-memory JSON and its text agree
// (JSON has no NaN or infinity).
inline void finite_or_null(nlohmann::json& j) {
  if (j.is_number_float()) {
    if (!std::isfinite(j.get<double>())) j = nullptr;
  } else if (j.is_structured()) {
    for (auto& e : j) finite_or_null(e);
  }
}

}  // namespace glasswing::transparency::detail
