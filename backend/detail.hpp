#pragma once
// Internal helpers shared by the trainers (not part of the public contract).

#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/trainer.hpp"

namespace glasswing::backend::detail {

// Fills defaults, rejects unknown names and out-of-range values (Usage, listing valid names).
Params resolve_params(std::string_view trainer, const std::vector<ParamSpec>& table, const Params& given);

int as_int(const Params& params, const std::string& name);

// Writes `bytes` to path.tmp and renames it over path (Storage error on failure).
void write_file_atomic(const std::string& path, std::string_view bytes);
std::string read_file(const std::string& path);

bool cancelled(const FitOptions& options) noexcept;
// options.soft_cancel: stop once `rounds_done` > 0 and it reports cancellation.
bool soft_cancelled(const FitOptions& options, int rounds_done) noexcept;

// Lower-is-better metric of the task on probabilities / values (rows x cols layout as Prediction).
double task_metric(Task task, const Prediction& pred, std::span<const float> y, std::span<const float> w);
const char* metric_name(Task task) noexcept;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace glasswing::backend::detail
