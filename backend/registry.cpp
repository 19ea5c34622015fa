#include "backend/registry.hpp"

#include <fstream>

#include "automl/common/error.hpp"

#if GLASSWING_HAVE_XGBOOST
#include "backend/xgboost/xgboost_trainer.hpp"
#endif
#if GLASSWING_HAVE_TORCH
#include "backend/torch/torch_trainer.hpp"
#endif

namespace glasswing::backend {

namespace {
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
  if (name == "mlp") return libtorch::make(libtorch::Family::Mlp, params);
  if (name == "linear") return libtorch::make(libtorch::Family::Linear, params);
#endif
  (void)params;
  throw_usage("unknown trainer '" + std::string(name) + "'; valid trainers: " + joined_names());
}

DeviceSupport device_support(std::string_view name) {
#if GLASSWING_HAVE_XGBOOST
  if (name == "xgboost") return xgb::device_support();
#endif
#if GLASSWING_HAVE_TORCH
  if (name == "mlp" || name == "linear") return libtorch::device_support();
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
    return libtorch::load(path);
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
