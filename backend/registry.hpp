#pragma once
// The trainer registry: explicit, string-keyed (ARCHITECTURE.md habit 2). Which names exist
// depends on the build (GLASSWING_WITH_XGBOOST, GLASSWING_WITH_TORCH); trainer_names() says.
//
//   "xgboost"  gradient-boosted trees (XGBoost C API)
//   "mlp"      a multilayer perceptron for tabular data (LibTorch)
//   "linear"   linear / logistic / multinomial regression with L1 and L2 (LibTorch)
//
// Thread safety: all functions may be called from any thread.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/trainer.hpp"

namespace glasswing::backend {

std::vector<std::string> trainer_names();

// Unknown name: Error(Usage) listing the valid names. Unknown or out-of-range params: Usage too.
std::unique_ptr<Trainer> make_trainer(std::string_view name, const Params& params = {});

// Reads any file written by Trainer::save(); the file says which trainer it belongs to. A file
// of a backend missing from this build, or not a Glasswing model, is a BadInput error.
std::unique_ptr<Trainer> load_model(const std::string& path);

// Device capabilities of one registered trainer (for --device auto messages and `glasswing info`).
DeviceSupport device_support(std::string_view trainer_name);

}  // namespace glasswing::backend
