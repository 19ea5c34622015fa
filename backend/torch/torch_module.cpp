// The entry point of libglasswing_torch.so (backend/module.hpp): the only symbol it exports.
#include "backend/module.hpp"
#include "backend/torch/torch_trainer.hpp"
#include "glasswing/common/version.hpp"

namespace {

using namespace glasswing::backend;

std::unique_ptr<Trainer> make_mlp(const Params& params) { return libtorch::make(libtorch::Family::Mlp, params); }
std::unique_ptr<Trainer> make_linear(const Params& params) { return libtorch::make(libtorch::Family::Linear, params); }

const module::TorchModule kModule{module::kAbi, glasswing::kVersion, &make_mlp, &make_linear, &libtorch::load,
                                  &libtorch::device_support};

}  // namespace

extern "C" __attribute__((visibility("default"))) const glasswing::backend::module::TorchModule* glasswing_torch_module() {
  return &kModule;
}
