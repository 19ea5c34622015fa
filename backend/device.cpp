#include "backend/device.hpp"

#include <unistd.h>

#include <cstdlib>

#include "automl/common/error.hpp"

namespace glasswing::backend {

DeviceKind parse_device(std::string_view text) {
  if (text == "auto") return DeviceKind::Auto;
  if (text == "cpu") return DeviceKind::Cpu;
  if (text == "cuda" || text == "gpu") return DeviceKind::Cuda;
  throw_usage("unknown device '" + std::string(text) + "'; valid devices: auto, cpu, cuda");
}

const char* to_string(DeviceKind kind) noexcept {
  switch (kind) {
    case DeviceKind::Auto: return "auto";
    case DeviceKind::Cpu: return "cpu";
    case DeviceKind::Cuda: return "cuda";
  }
  return "?";
}

ResolvedDevice resolve_device(const DeviceContext& context, const DeviceSupport& support) {
  const bool usable = support.cuda_built && support.gpu_count > 0;
  std::string why;
  if (!support.cuda_built)
    why = "the " + support.backend + " library in this build has no CUDA support (" + support.detail + ")";
  else if (support.gpu_count == 0)
    why = "no CUDA GPU is visible to " + support.backend + " (" + support.detail + ")";
  switch (context.kind) {
    case DeviceKind::Cpu: return {false, "cpu", "device cpu: took cpu"};
    case DeviceKind::Cuda:
      if (!usable)
        throw Error(ErrorKind::Resource,
                    "--device cuda: " + why + "; use --device cpu or auto, or run on a machine with an NVIDIA GPU and a "
                    "CUDA build (-DGLASSWING_WITH_CUDA=ON with a CUDA LibTorch)");
      return {true, "cuda:0", "device cuda: took cuda:0"};
    case DeviceKind::Auto:
      if (usable) return {true, "cuda:0", "device auto: took cuda:0 (" + support.detail + ")"};
      return {false, "cpu", "device auto: took cpu because " + why};
  }
  return {false, "cpu", ""};
}

void prefer_passive_openmp(char** argv) noexcept {
  constexpr const char* kMarker = "GLASSWING_OMP_REEXEC";
  if (argv == nullptr || argv[0] == nullptr) return;
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv(kMarker) != nullptr) return;
  if (::setenv("OMP_WAIT_POLICY", "PASSIVE", 0) != 0 || ::setenv(kMarker, "1", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // Not re-executed (no /proc): go on spinning, as before.
}

}  // namespace glasswing::backend
