#pragma once
// Search-space distributions, identical in meaning and serialisation to Optuna's
// FloatDistribution, IntDistribution and CategoricalDistribution (OPTUNA-COMPAT.md section 2).
//
// Values have two forms, as in Optuna:
// - internal: a double, as stored in `trial_params.param_value` (the value itself for float and
//   int, the index into `choices` for categorical);
// - external: a Json value as the user sees it (float, integer, or the choice itself).
//
// Construction (make_*) validates like Optuna's constructors and lowers `high` to the last grid
// point when (high - low) is not a multiple of `step`. Invalid arguments throw
// glasswing::Error(ErrorKind::Usage); unreadable JSON throws ErrorKind::BadInput.
// All types are plain values; free functions are thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "automl/search/json.hpp"

namespace glasswing::search {

struct FloatDistribution {
  double low = 0.0;
  double high = 0.0;
  bool log = false;
  std::optional<double> step;  // nullopt = continuous (Python None)
  bool operator==(const FloatDistribution&) const = default;
};

struct IntDistribution {
  std::int64_t low = 0;
  std::int64_t high = 0;
  bool log = false;
  std::int64_t step = 1;
  bool operator==(const IntDistribution&) const = default;
};

struct CategoricalDistribution {
  // Each choice is null, bool, integer, float or string. Order matters (internal = index).
  std::vector<Json> choices;
  bool operator==(const CategoricalDistribution& other) const;
};

using Distribution = std::variant<FloatDistribution, IntDistribution, CategoricalDistribution>;

FloatDistribution make_float_distribution(double low, double high, bool log = false,
                                          std::optional<double> step = std::nullopt);
IntDistribution make_int_distribution(std::int64_t low, std::int64_t high, bool log = false,
                                      std::int64_t step = 1);
CategoricalDistribution make_categorical_distribution(std::vector<Json> choices);

// Optuna's class name: "FloatDistribution", "IntDistribution" or "CategoricalDistribution".
std::string_view distribution_name(const Distribution& d);

// Exactly Optuna's distribution_to_json text, e.g.
// {"name": "FloatDistribution", "attributes": {"step": null, "low": -10.0, "high": 10.0, "log": false}}
std::string distribution_to_json(const Distribution& d);

// Optuna's json_to_distribution: the three current classes, the legacy classes
// (Uniform, LogUniform, DiscreteUniform, IntUniform, IntLogUniform; mapped to the current ones)
// and the abbreviated {"type": ...} form. Unknown names or keys throw BadInput.
Distribution distribution_from_json(std::string_view text);

// Optuna's check_distribution_compatibility: same class; same `log` for float/int; equal
// choices for categorical. Throws Error(Usage) naming `param_name` when incompatible.
void check_distribution_compatibility(const std::string& param_name, const Distribution& stored,
                                      const Distribution& requested);

// Choice equality as Python's ==: NaN equals NaN, and 1 == 1.0 == true.
bool choices_equal(const Json& a, const Json& b);

// Conversions. to_internal throws Usage when the value is not representable (wrong type or,
// for categorical, not among the choices). to_external truncates like Python's int().
double to_internal(const Distribution& d, const Json& external);
Json to_external(const Distribution& d, double internal);

// Whether an internal value lies inside the distribution (range and grid; index for choices).
bool contains(const Distribution& d, double internal);
// Whether the distribution has exactly one possible value (Optuna does not sample those).
bool is_single(const Distribution& d);

}  // namespace glasswing::search
