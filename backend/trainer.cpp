#include "backend/trainer.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "automl/common/cancel.hpp"
#include "automl/common/error.hpp"
#include "backend/detail.hpp"

namespace glasswing::backend {

const char* to_string(Task task) noexcept {
  switch (task) {
    case Task::Regression: return "regression";
    case Task::Binary: return "binary";
    case Task::Multiclass: return "multiclass";
  }
  return "?";
}

const char* to_string(StopReason reason) noexcept {
  switch (reason) {
    case StopReason::Completed: return "completed";
    case StopReason::EarlyStopped: return "early_stopped";
    case StopReason::CallbackStopped: return "callback_stopped";
    case StopReason::Cancelled: return "cancelled";
  }
  return "?";
}

Trainer::Shap Trainer::shap_contributions(MatrixView) const {
  throw Error(ErrorKind::Usage, "trainer '" + name() + "' has no SHAP values; use the xgboost trainer");
}

Trainer::Shap Trainer::shap_interactions(MatrixView) const {
  throw Error(ErrorKind::Usage, "trainer '" + name() + "' has no SHAP interactions; use the xgboost trainer");
}

void validate(const DataView& data, const FitOptions& options, const char* what) {
  const std::string name(what);
  if (data.x.rows == 0 || data.x.cols == 0 || data.x.data == nullptr)
    throw_bad_input(name + " set is empty (" + std::to_string(data.x.rows) + " rows, " +
                    std::to_string(data.x.cols) + " columns)");
  if (data.y.size() != data.x.rows)
    throw_bad_input(name + " set has " + std::to_string(data.x.rows) + " rows but " +
                    std::to_string(data.y.size()) + " labels");
  if (!data.weights.empty() && data.weights.size() != data.x.rows)
    throw_bad_input(name + " set has " + std::to_string(data.x.rows) + " rows but " +
                    std::to_string(data.weights.size()) + " weights");
  for (float w : data.weights)
    if (!std::isfinite(w) || w < 0) throw_bad_input(name + " set has a negative or non-finite weight");
  const int k = options.task == Task::Binary ? 2 : options.num_classes;
  if (options.task == Task::Multiclass && k < 2)
    throw_usage("multiclass training needs num_classes >= 2 (got " + std::to_string(k) + ")");
  for (std::size_t i = 0; i < data.y.size(); ++i) {
    const float v = data.y[i];
    if (!std::isfinite(v))
      throw_bad_input(name + " label at row " + std::to_string(i) + " is missing or not finite");
    if (options.task != Task::Regression) {
      if (v != std::floor(v) || v < 0 || v >= static_cast<float>(k))
        throw_bad_input(name + " label " + std::to_string(v) + " at row " + std::to_string(i) +
                        " is not a class code in 0.." + std::to_string(k - 1));
    }
  }
}

namespace detail {

Params resolve_params(std::string_view trainer, const std::vector<ParamSpec>& table, const Params& given) {
  Params out;
  for (const auto& spec : table) out[spec.name] = spec.default_value;
  for (const auto& [key, value] : given) {
    auto it = std::find_if(table.begin(), table.end(), [&](const ParamSpec& s) { return s.name == key; });
    if (it == table.end()) {
      std::string valid;
      for (const auto& spec : table) valid += (valid.empty() ? "" : ", ") + spec.name;
      throw_usage("unknown parameter '" + key + "' for trainer '" + std::string(trainer) +
                  "'; valid parameters: " + valid);
    }
    if (!(value >= it->min && value <= it->max) || (it->type == "int" && value != std::floor(value))) {
      std::ostringstream os;
      os << "parameter '" << key << "' of trainer '" << trainer << "' is " << value << "; it must be "
         << (it->type == "int" ? "an integer " : "") << "in [" << it->min << ", " << it->max << "]";
      throw_usage(os.str());
    }
    out[key] = value;
  }
  return out;
}

int as_int(const Params& params, const std::string& name) {
  return static_cast<int>(std::lround(params.at(name)));
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorKind::Storage, "cannot write model file '" + tmp + "': check the folder exists and is writable");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw Error(ErrorKind::Storage, "writing model file '" + tmp + "' failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(ErrorKind::Storage, "cannot rename '" + tmp + "' to '" + path + "'");
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::BadInput, "cannot open model file '" + path + "'");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

bool cancelled(const FitOptions& options) noexcept {
  return options.cancel != nullptr && options.cancel->cancelled();
}

bool soft_cancelled(const FitOptions& options, int rounds_done) noexcept {
  return rounds_done > 0 && options.soft_cancel != nullptr && options.soft_cancel->cancelled();
}

const char* metric_name(Task task) noexcept {
  switch (task) {
    case Task::Regression: return "rmse";
    case Task::Binary: return "logloss";
    case Task::Multiclass: return "mlogloss";
  }
  return "?";
}

double task_metric(Task task, const Prediction& pred, std::span<const float> y, std::span<const float> w) {
  double sum = 0, wsum = 0;
  for (std::size_t r = 0; r < pred.rows; ++r) {
    const double wr = w.empty() ? 1.0 : static_cast<double>(w[r]);
    double loss = 0;
    if (task == Task::Regression) {
      const double d = static_cast<double>(pred.at(r, 0)) - static_cast<double>(y[r]);
      loss = d * d;
    } else {
      const auto c = static_cast<std::size_t>(y[r]);
      const double p = std::clamp(static_cast<double>(pred.at(r, c)), 1e-15, 1.0 - 1e-15);
      loss = -std::log(p);
    }
    sum += wr * loss;
    wsum += wr;
  }
  const double mean = wsum > 0 ? sum / wsum : kNaN;
  return task == Task::Regression ? std::sqrt(mean) : mean;
}

}  // namespace detail
}  // namespace glasswing::backend
