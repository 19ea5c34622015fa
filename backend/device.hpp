#pragma once
// DeviceContext: the one place that decides CPU or CUDA for a fit (ARCHITECTURE.md habit 5).
//
//   cpu   always the CPU.
//   cuda  the GPU, or glasswing::Error(ErrorKind::Resource) naming what is missing (a CUDA-capable
//         build of the backend, or a visible GPU) and the remedy; the CLI maps it to exit code 5.
//   auto  CUDA when the backend can use it and a GPU is present, else the CPU; the choice and its
//         reason go into FitReport::device_note and, when given, the IssueLog.
//
// jobs: threads for training and prediction, 0 = the library default (all cores). XGBoost takes
// it per booster (nthread); LibTorch's intra-op pool is process-wide (at::set_num_threads), so the
// last fit's value holds for the process.
//
// Thread safety: all functions here are safe to call from any thread.

#include <string>
#include <string_view>

namespace glasswing::backend {

enum class DeviceKind { Auto, Cpu, Cuda };

// "auto" | "cpu" | "cuda"; anything else is a Usage error listing the valid values.
DeviceKind parse_device(std::string_view text);
const char* to_string(DeviceKind kind) noexcept;

struct DeviceContext {
  DeviceKind kind = DeviceKind::Auto;
  int jobs = 0;
};

// What one backend can do on this machine.
struct DeviceSupport {
  std::string backend;      // "xgboost", "torch"
  bool cuda_built = false;  // the linked library was built with CUDA
  int gpu_count = 0;        // GPUs the library can see (0 when not cuda_built)
  std::string detail;       // e.g. "XGBuildInfo: USE_CUDA=false"
};

struct ResolvedDevice {
  bool cuda = false;
  std::string name;  // "cpu" | "cuda:0"
  std::string note;  // what was asked, what was taken and why
};

// Applies the rules above; throws Error(Resource) for an impossible cuda request.
ResolvedDevice resolve_device(const DeviceContext& context, const DeviceSupport& support);

// OpenMP threads (XGBoost's and LibTorch's pools, libgomp) spin while they wait by default; on a
// machine where other work competes for the cores (other programs, or the Studio's own GUI and X
// server) a spinning pool is descheduled mid-barrier and a fit takes up to ten times longer
// (bench/automl: a 35k-row XGBoost fit 74 s spinning, 8.5 s passive). libgomp reads
// OMP_WAIT_POLICY once, when it is loaded at process start, so the executables call this first
// thing in main(): when OMP_WAIT_POLICY is unset it sets it to PASSIVE and re-executes the program
// (/proc/self/exe, same arguments, same process id). A value the user set is kept. Returns only
// when nothing was to be done or the re-execution failed (the program then goes on as it is).
void prefer_passive_openmp(char** argv) noexcept;

}  // namespace glasswing::backend
