#pragma once
// The interface between the backend registry and a training backend built as a loadable module
// (docs/BACKENDS.md, "Loading"). LibTorch is the one such backend: libglasswing_torch.so holds the
// `mlp` and `linear` trainers and is dlopen()ed by the registry on the first request for them, so
// that the CLI and the Studio start without LibTorch's libraries (about 0.6 s of CPU at start-up).
//
// The module exports one C symbol, kTorchEntry, that returns a TorchModule. The module and the
// executable must come from the same build: abi and glasswing_version are checked on load.

#include <memory>
#include <string>

#include "backend/trainer.hpp"

namespace glasswing::backend::module {

// Raise whenever TorchModule, Trainer or the types they pass change shape.
inline constexpr int kAbi = 1;
inline constexpr const char* kTorchFile = "libglasswing_torch.so";
inline constexpr const char* kTorchEntry = "glasswing_torch_module";

struct TorchModule {
  int abi = 0;
  const char* glasswing_version = "";
  std::unique_ptr<Trainer> (*make_mlp)(const Params& params) = nullptr;
  std::unique_ptr<Trainer> (*make_linear)(const Params& params) = nullptr;
  std::unique_ptr<Trainer> (*load)(const std::string& path) = nullptr;
  DeviceSupport (*device_support)() = nullptr;
};

using TorchEntry = const TorchModule* (*)();

}  // namespace glasswing::backend::module
