#pragma once
// Narrow header of the LibTorch backend: no torch include here (ARCHITECTURE.md habit 11).
// File format: the line "GLASSWING-TORCH-MODEL\n", then one line of JSON (architecture, input
// standardisation, target scaling, tensor table), then the raw little-endian float32 tensors.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/trainer.hpp"

namespace glasswing::backend::libtorch {

enum class Family { Mlp, Linear };

inline constexpr std::string_view kMagic = "GLASSWING-TORCH-MODEL\n";

std::vector<ParamSpec> param_table(Family family);
std::unique_ptr<Trainer> make(Family family, const Params& params);
std::unique_ptr<Trainer> load(const std::string& path);
DeviceSupport device_support();

}  // namespace glasswing::backend::libtorch
