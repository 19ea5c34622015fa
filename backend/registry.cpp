#include "backend/registry.hpp"

#include <fstream>

#include "automl/common/error.hpp"

#if GLASSWING_HAVE_XGBOOST
#include "backend/xgboost/xgboost_trainer.hpp"
#endif
#if GLASSWING_HAVE_TORCH
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

#include "backend/module.hpp"
#include "glasswing/common/version.hpp"
#endif

namespace glasswing::backend {

namespace {

#if GLASSWING_HAVE_TORCH
// The LibTorch backend is a module loaded on the first request (backend/module.hpp), looked for
// in GLASSWING_BACKEND_DIR when set (only there), else beside the executable, in the install
// tree's lib/glasswing, and in this build's own output folder.
struct TorchLoad {
  const module::TorchModule* api = nullptr;
  std::string error;  // why api is null: one line with the remedy
};

std::vector<std::filesystem::path> torch_module_dirs() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("GLASSWING_BACKEND_DIR"); env != nullptr && *env != '\0') return {fs::path(env)};
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path());
    dirs.push_back((exe.parent_path() / GLASSWING_BACKEND_INSTALL_RELDIR).lexically_normal());
  }
  dirs.emplace_back(GLASSWING_BACKEND_BUILD_DIR);
  return dirs;
}

TorchLoad load_torch_module() {
  namespace fs = std::filesystem;
  const std::string remedy = "; reinstall Glasswing or set GLASSWING_BACKEND_DIR to the folder that holds a working " +
                             std::string(module::kTorchFile);
  TorchLoad out;
  std::string looked;
  for (const auto& dir : torch_module_dirs()) {
    const fs::path file = dir / module::kTorchFile;
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      looked += (looked.empty() ? "" : ", ") + dir.string();
      continue;
    }
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      out.error = "cannot load the LibTorch backend " + file.string() + ": " + (why != nullptr ? why : "unknown reason") + remedy;
      return out;
    }
    const auto entry = reinterpret_cast<module::TorchEntry>(dlsym(handle, module::kTorchEntry));
    if (entry == nullptr) {
      out.error = file.string() + " is not a Glasswing backend module (it has no " + module::kTorchEntry + ")" + remedy;
      return out;
    }
    const module::TorchModule* api = entry();
    if (api == nullptr || api->abi != module::kAbi || std::string(api->glasswing_version) != kVersion) {
      out.error = file.string() + " was built for another Glasswing (" +
                  (api != nullptr ? std::string(api->glasswing_version) + ", module ABI " + std::to_string(api->abi) : "?") +
                  "; this is " + kVersion + ", module ABI " + std::to_string(module::kAbi) + ")" + remedy;
      return out;
    }
    out.api = api;  // never unloaded: its trainers and their vtables live as long as the process
    return out;
  }
  out.error = "the LibTorch backend (" + std::string(module::kTorchFile) + ") is not installed: looked in " + looked + remedy;
  return out;
}

const TorchLoad& torch_module() {
  static const TorchLoad loaded = load_torch_module();  // once per process, thread-safe
  return loaded;
}

const module::TorchModule& torch_or_throw() {
  const TorchLoad& t = torch_module();
  if (t.api == nullptr) throw Error(ErrorKind::Resource, t.error);
  return *t.api;
}

bool is_torch_trainer(std::string_view name) { return name == "mlp" || name == "linear"; }
#endif
std::string joined_names() {
  std::string out;
  for (const auto& n : trainer_names()) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? std::string("(none: this build has neither XGBoost nor LibTorch)") : out;
}
}  // namespace

// Explicit registration, no static initialisers (ARCHITECTURE.md anti-patterns).
std::vector<std::string> trainer_names() {
  std::vector<std::string> names;
#if GLASSWING_HAVE_XGBOOST
  names.emplace_back("xgboost");
#endif
#if GLASSWING_HAVE_TORCH
  names.emplace_back("mlp");
  names.emplace_back("linear");
#endif
  return names;
}

std::unique_ptr<Trainer> make_trainer(std::string_view name, const Params& params) {
#if GLASSWING_HAVE_XGBOOST
  if (name == "xgboost") return xgb::make(params);
#endif
#if GLASSWING_HAVE_TORCH
  if (name == "mlp") return torch_or_throw().make_mlp(params);
  if (name == "linear") return torch_or_throw().make_linear(params);
#endif
  (void)params;
  throw_usage("unknown trainer '" + std::string(name) + "'; valid trainers: " + joined_names());
}

DeviceSupport device_support(std::string_view name) {
#if GLASSWING_HAVE_XGBOOST
  if (name == "xgboost") return xgb::device_support();
#endif
#if GLASSWING_HAVE_TORCH
  if (is_torch_trainer(name)) {
    const TorchLoad& t = torch_module();
    if (t.api != nullptr) return t.api->device_support();
    DeviceSupport none;
    none.backend = "torch";
    none.detail = "unavailable: " + t.error;
    return none;
  }
#endif
  throw_usage("unknown trainer '" + std::string(name) + "'; valid trainers: " + joined_names());
}

std::string trainer_unavailable(std::string_view name) {
#if GLASSWING_HAVE_XGBOOST
  if (name == "xgboost") return {};
#endif
#if GLASSWING_HAVE_TORCH
  if (is_torch_trainer(name)) return torch_module().error;
#endif
  throw_usage("unknown trainer '" + std::string(name) + "'; valid trainers: " + joined_names());
}

std::unique_ptr<Trainer> load_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::BadInput, "cannot open model file '" + path + "'");
  std::string head(64, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  const std::string torch_magic = "GLASSWING-TORCH-MODEL\n";
  if (head.rfind(torch_magic, 0) == 0) {
#if GLASSWING_HAVE_TORCH
    const TorchLoad& t = torch_module();
    if (t.api == nullptr) throw Error(ErrorKind::Resource, "model file '" + path + "' needs the LibTorch backend: " + t.error);
    return t.api->load(path);
#else
    throw Error(ErrorKind::BadInput, "model file '" + path + "' needs the LibTorch backend, which this build lacks "
                                     "(rebuild with -DGLASSWING_WITH_TORCH=ON)");
#endif
  }
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && head[first] == '{') {
#if GLASSWING_HAVE_XGBOOST
    return xgb::load(path);
#else
    throw Error(ErrorKind::BadInput, "model file '" + path + "' looks like XGBoost JSON, but this build lacks the "
                                     "XGBoost backend (rebuild with -DGLASSWING_WITH_XGBOOST=ON)");
#endif
  }
  throw Error(ErrorKind::BadInput, "'" + path + "' is not a Glasswing model file (neither XGBoost JSON nor a "
                                   "Glasswing LibTorch model)");
}

}  // namespace glasswing::backend
