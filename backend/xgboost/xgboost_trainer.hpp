#pragma once
// Narrow header of the XGBoost backend: no XGBoost include here (ARCHITECTURE.md habit 11).
// The model file is plain XGBoost JSON (Python xgboost loads it); Glasswing's metadata lives in
// the booster's attributes (glasswing_schema, glasswing_trainer, task, num_classes, ...).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/trainer.hpp"

namespace glasswing::backend::xgb {

std::vector<ParamSpec> param_table();
std::unique_ptr<Trainer> make(const Params& params);
std::unique_ptr<Trainer> load(const std::string& path);
DeviceSupport device_support();

}  // namespace glasswing::backend::xgb
