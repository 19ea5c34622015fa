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

// Empty when the trainer can be used now, else why not, in one line with the remedy: the LibTorch
// trainers (mlp, linear) live in a module loaded on their first use (docs/BACKENDS.md, "Loading"),
// which may be missing or unloadable. Loads that module; the answer is fixed for the process.
// Unknown name: Error(Usage).
std::string trainer_unavailable(std::string_view name);

// Unknown name: Error(Usage) listing the valid names. Unknown or out-of-range params: Usage too.
// A trainer whose module cannot be loaded: Error(Resource) with trainer_unavailable()'s reason.
std::unique_ptr<Trainer> make_trainer(std::string_view name, const Params& params = {});

// Reads any file written by Trainer::save(); the file says which trainer it belongs to. A file
// of a backend missing from this build, or not a Glasswing model, is a BadInput error; one whose
// backend module cannot be loaded is a Resource error.
std::unique_ptr<Trainer> load_model(const std::string& path);

// Device capabilities of one registered trainer (for --device auto messages and `glasswing info`).
// Loads the trainer's module; when that fails, no CUDA and detail "unavailable: <why>".
DeviceSupport device_support(std::string_view trainer_name);

}  // namespace glasswing::backend
