// XGBoost through its C API (Debian libxgboost 1.7). The only file that includes xgboost headers.
#include "backend/xgboost/xgboost_trainer.hpp"

#include <xgboost/c_api.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "automl/common/error.hpp"
#include "automl/common/issues.hpp"
#include "backend/detail.hpp"
#include "glasswing/common/version.hpp"

namespace glasswing::backend::xgb {
namespace {

constexpr const char* kSchema = "1";

void check(int rc, const char* what) {
  if (rc != 0) throw Error(ErrorKind::Internal, std::string("XGBoost ") + what + " failed: " + XGBGetLastError());
}

class DMatrix {
 public:
  DMatrix(MatrixView x, std::span<const float> y, std::span<const float> w, int jobs) {
    check(XGDMatrixCreateFromMat_omp(x.data, static_cast<bst_ulong>(x.rows), static_cast<bst_ulong>(x.cols),
                                     std::numeric_limits<float>::quiet_NaN(), &handle_, jobs),
          "creating a DMatrix");
    if (!y.empty()) check(XGDMatrixSetFloatInfo(handle_, "label", y.data(), y.size()), "setting labels");
    if (!w.empty()) check(XGDMatrixSetFloatInfo(handle_, "weight", w.data(), w.size()), "setting weights");
  }
  ~DMatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

struct BoosterDeleter {
  void operator()(void* h) const { XGBoosterFree(h); }
};
using Booster = std::unique_ptr<void, BoosterDeleter>;

std::string get_attr(BoosterHandle h, const char* key) {
  const char* out = nullptr;
  int success = 0;
  check(XGBoosterGetAttr(h, key, &out, &success), "reading an attribute");
  return success != 0 && out != nullptr ? std::string(out) : std::string();
}

// Parses "[3]\ttrain-rmse:1.5\teval-rmse:2.5" into the values of `train` and `eval`.
void parse_eval(const char* text, double& train, double& eval) {
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    const auto dash = token.find('-');
    const auto colon = token.rfind(':');
    if (dash == std::string::npos || colon == std::string::npos) continue;
    const double v = std::strtod(token.c_str() + colon + 1, nullptr);
    if (token.compare(0, dash, "train") == 0) train = v;
    if (token.compare(0, dash, "eval") == 0) eval = v;
  }
}

class XGBoostTrainer final : public Trainer {
 public:
  explicit XGBoostTrainer(Params params) : params_(std::move(params)) {}

  std::string name() const override { return "xgboost"; }
  std::vector<ParamSpec> param_table() const override { return xgb::param_table(); }
  bool fitted() const override { return booster_ != nullptr; }
  Task task() const override { return task_; }
  int num_classes() const override { return classes_; }
  std::size_t num_features() const override { return features_; }
  bool supports_shap() const override { return true; }

  FitReport fit(const DataView& train, const DataView* eval, const FitOptions& options) override {
    const auto start = std::chrono::steady_clock::now();
    validate(train, options, "training");
    if (eval != nullptr) {
      validate(*eval, options, "evaluation");
      if (eval->x.cols != train.x.cols)
        throw_bad_input("evaluation set has " + std::to_string(eval->x.cols) + " columns, training set " +
                        std::to_string(train.x.cols));
    }
    booster_.reset();
    const ResolvedDevice device = resolve_device(options.device, xgb::device_support());
    if (options.issues != nullptr) options.issues->add(Severity::Info, "device", "xgboost: " + device.note);

    task_ = options.task;
    classes_ = task_ == Task::Regression ? 1 : task_ == Task::Binary ? 2 : options.num_classes;
    features_ = train.x.cols;
    const int jobs = options.device.jobs > 0 ? options.device.jobs : 0;

    DMatrix dtrain(train.x, train.y, train.weights, jobs);
    std::unique_ptr<DMatrix> deval;
    if (eval != nullptr) deval = std::make_unique<DMatrix>(eval->x, eval->y, eval->weights, jobs);
    std::vector<DMatrixHandle> dmats{dtrain.get()};
    std::vector<const char*> names{"train"};
    if (deval) {
      dmats.push_back(deval->get());
      names.push_back("eval");
    }

    BoosterHandle raw = nullptr;
    check(XGBoosterCreate(dmats.data(), dmats.size(), &raw), "creating a booster");
    Booster booster(raw);
    auto set = [&](const char* key, const std::string& value) {
      check(XGBoosterSetParam(raw, key, value.c_str()), "setting a parameter");
    };
    auto num = [&](const char* key, const char* param) {
      std::ostringstream os;
      os.precision(17);
      os << params_.at(param);
      set(key, os.str());
    };
    switch (task_) {
      case Task::Regression: set("objective", "reg:squarederror"); break;
      case Task::Binary: set("objective", "binary:logistic"); break;
      case Task::Multiclass:
        set("objective", "multi:softprob");
        set("num_class", std::to_string(classes_));
        break;
    }
    set("eval_metric", detail::metric_name(task_));
    set("tree_method", device.cuda ? "gpu_hist" : "hist");
    if (device.cuda) set("gpu_id", "0");
    set("seed", std::to_string(options.seed % 2147483647ULL));
    if (jobs > 0) set("nthread", std::to_string(jobs));
    set("verbosity", "1");
    num("eta", "learning_rate");
    num("max_depth", "max_depth");
    num("min_child_weight", "min_child_weight");
    num("subsample", "subsample");
    num("colsample_bytree", "colsample_bytree");
    num("colsample_bynode", "colsample_bynode");
    num("num_parallel_tree", "num_parallel_tree");
    num("lambda", "reg_lambda");
    num("alpha", "reg_alpha");
    num("gamma", "gamma");
    num("max_bin", "max_bin");

    FitReport report;
    report.device = device.name;
    report.device_note = device.note;
    const int max_rounds = detail::as_int(params_, "n_estimators");
    const int patience = detail::as_int(params_, "early_stopping_rounds");
    double best = std::numeric_limits<double>::infinity();
    int best_round = -1;
    int done = 0;
    for (int round = 0; round < max_rounds; ++round) {
      if (detail::cancelled(options) || detail::soft_cancelled(options, done)) {
        report.stop = StopReason::Cancelled;
        break;
      }
      check(XGBoosterUpdateOneIter(raw, round, dtrain.get()), "training a round");
      done = round + 1;
      // Nobody reads the training metric without an evaluation set and a callback: skip it.
      if (!deval && !options.on_round) {
        best_round = round;
        continue;
      }
      const char* text = nullptr;
      check(XGBoosterEvalOneIter(raw, round, dmats.data(), names.data(), dmats.size(), &text), "evaluating a round");
      RoundInfo info;
      info.round = round;
      info.metric = detail::metric_name(task_);
      info.train_value = detail::kNaN;
      info.eval_value = detail::kNaN;
      parse_eval(text, info.train_value, info.eval_value);
      info.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double watched = deval ? info.eval_value : info.train_value;
      // Without an evaluation set every round is kept (no early stopping).
      if (!deval || watched < best) {
        best = watched;
        best_round = round;
      }
      if (options.on_round && !options.on_round(info)) {
        report.stop = StopReason::CallbackStopped;
        break;
      }
      if (deval && patience > 0 && round - best_round >= patience) {
        report.stop = StopReason::EarlyStopped;
        break;
      }
    }
    report.rounds = done;
    report.best_round = best_round;
    if (best_round >= 0 && best_round + 1 < done) {
      // Keep only the best rounds, so the saved model predicts the same in Python xgboost.
      BoosterHandle sliced = nullptr;
      check(XGBoosterSlice(raw, 0, best_round + 1, 1, &sliced), "slicing to the best round");
      booster.reset(sliced);
    }
    if (best_round >= 0) {
      booster_ = std::move(booster);
      write_attributes();
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  }

  Prediction predict(MatrixView x) const override {
    const auto [shape, values] = run_predict(x, 0);
    Prediction p;
    p.rows = x.rows;
    if (task_ == Task::Binary) {
      p.cols = 2;
      p.values.resize(x.rows * 2);
      for (std::size_t r = 0; r < x.rows; ++r) {
        p.values[2 * r] = 1.0f - values[r];
        p.values[2 * r + 1] = values[r];
      }
    } else {
      p.cols = task_ == Task::Regression ? 1 : static_cast<std::size_t>(classes_);
      p.values = values;
    }
    if (p.values.size() != p.rows * p.cols) throw Error(ErrorKind::Internal, "XGBoost returned an unexpected shape");
    return p;
  }

  Shap shap_contributions(MatrixView x) const override {
    auto [shape, values] = run_predict(x, 2);
    return {std::move(shape), std::move(values)};
  }
  Shap shap_interactions(MatrixView x) const override {
    auto [shape, values] = run_predict(x, 4);
    return {std::move(shape), std::move(values)};
  }

  Importance feature_importance() const override {
    require_fitted();
    Importance imp;
    imp.kind = "gain";
    imp.values.assign(features_, 0.0);
    bst_ulong n = 0, dim = 0;
    const char** names = nullptr;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    check(XGBoosterFeatureScore(booster_.get(), R"({"importance_type": "gain"})", &n, &names, &dim, &shape, &scores),
          "computing feature importance");
    const std::size_t per = dim == 2 ? static_cast<std::size_t>(shape[1]) : 1;
    for (bst_ulong i = 0; i < n; ++i) {
      // Features without names are called f0, f1, ... by XGBoost.
      const std::size_t index = std::strtoul(names[i] + 1, nullptr, 10);
      if (index >= features_) continue;
      for (std::size_t j = 0; j < per; ++j) imp.values[index] += static_cast<double>(scores[i * per + j]);
    }
    return imp;
  }

  void save(const std::string& path) const override {
    require_fitted();
    bst_ulong len = 0;
    const char* data = nullptr;
    check(XGBoosterSaveModelToBuffer(booster_.get(), R"({"format": "json"})", &len, &data), "saving the model");
    detail::write_file_atomic(path, std::string_view(data, len));
  }

  void adopt(Booster booster, const std::string& path) {
    booster_ = std::move(booster);
    auto* h = booster_.get();
    const std::string schema = get_attr(h, "glasswing_schema");
    if (get_attr(h, "glasswing_trainer") != "xgboost" || schema.empty())
      throw_bad_input("'" + path + "' is XGBoost JSON but was not written by Glasswing (no glasswing_* attributes)");
    if (schema != kSchema)
      throw_bad_input("'" + path + "' has Glasswing model schema " + schema + "; this build reads schema " + kSchema +
                      " (upgrade Glasswing)");
    const std::string task = get_attr(h, "glasswing_task");
    task_ = task == "binary" ? Task::Binary : task == "multiclass" ? Task::Multiclass : Task::Regression;
    classes_ = std::stoi(get_attr(h, "glasswing_num_classes"));
    features_ = std::stoul(get_attr(h, "glasswing_num_features"));
  }

 private:
  void require_fitted() const {
    if (!booster_) throw_usage("the xgboost model is not trained yet (fit() first, or load_model())");
  }

  void write_attributes() {
    auto* h = booster_.get();
    auto attr = [&](const char* key, const std::string& value) {
      check(XGBoosterSetAttr(h, key, value.c_str()), "setting an attribute");
    };
    attr("glasswing_schema", kSchema);
    attr("glasswing_version", kVersion);
    int major = 0, minor = 0, patch = 0;
    XGBoostVersion(&major, &minor, &patch);
    attr("glasswing_build", std::string(kBuildType) + ", " + kCompiler + ", XGBoost " + std::to_string(major) + "." +
                                std::to_string(minor) + "." + std::to_string(patch));
    attr("glasswing_trainer", "xgboost");
    attr("glasswing_task", to_string(task_));
    attr("glasswing_num_classes", std::to_string(classes_));
    attr("glasswing_num_features", std::to_string(features_));
    nlohmann::json params(params_);
    attr("glasswing_params", params.dump());
  }

  // type: 0 value, 2 SHAP contributions, 4 SHAP interactions (XGBoost's numbering).
  std::pair<std::vector<std::size_t>, std::vector<float>> run_predict(MatrixView x, int type) const {
    require_fitted();
    if (x.cols != features_)
      throw_bad_input("prediction data has " + std::to_string(x.cols) + " columns; the model was trained on " +
                      std::to_string(features_));
    DMatrix dm(x, {}, {}, 0);
    const std::string config = R"({"type": )" + std::to_string(type) +
                               R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": true})";
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    check(XGBoosterPredictFromDMatrix(booster_.get(), dm.get(), config.c_str(), &shape, &dim, &result), "predicting");
    std::vector<std::size_t> out_shape(shape, shape + dim);
    std::size_t total = 1;
    for (auto s : out_shape) total *= s;
    return {std::move(out_shape), std::vector<float>(result, result + total)};
  }

  Params params_;
  Booster booster_;
  Task task_ = Task::Regression;
  int classes_ = 1;
  std::size_t features_ = 0;
};

}  // namespace

std::vector<ParamSpec> param_table() {
  return {
      {"n_estimators", "int", 500, 1, 100000, "maximum boosting rounds"},
      {"learning_rate", "float", 0.1, 1e-4, 1, "shrinkage per round (eta)"},
      {"max_depth", "int", 6, 0, 32, "maximum tree depth (0: no limit)"},
      {"min_child_weight", "float", 1, 0, 1e6, "minimum hessian sum in a leaf"},
      {"subsample", "float", 1, 0.05, 1, "row fraction per tree"},
      {"colsample_bytree", "float", 1, 0.05, 1, "column fraction per tree"},
      {"colsample_bynode", "float", 1, 0.05, 1, "column fraction per split (random forest mode)"},
      {"num_parallel_tree", "int", 1, 1, 10000, "trees per round (random forest mode)"},
      {"reg_lambda", "float", 1, 0, 1e6, "L2 penalty on leaf weights"},
      {"reg_alpha", "float", 0, 0, 1e6, "L1 penalty on leaf weights"},
      {"gamma", "float", 0, 0, 1e6, "minimum loss reduction to split"},
      {"max_bin", "int", 256, 2, 65536, "histogram bins per feature (hist)"},
      {"early_stopping_rounds", "int", 50, 0, 100000,
       "stop when the evaluation metric has not improved for this many rounds (0: off)"},
  };
}

std::unique_ptr<Trainer> make(const Params& params) {
  return std::make_unique<XGBoostTrainer>(detail::resolve_params("xgboost", param_table(), params));
}

std::unique_ptr<Trainer> load(const std::string& path) {
  const std::string bytes = detail::read_file(path);
  BoosterHandle raw = nullptr;
  check(XGBoosterCreate(nullptr, 0, &raw), "creating a booster");
  Booster booster(raw);
  if (XGBoosterLoadModelFromBuffer(raw, bytes.data(), bytes.size()) != 0)
    throw_bad_input("cannot read XGBoost model '" + path + "': " + XGBGetLastError());
  Params params;
  const std::string stored = get_attr(raw, "glasswing_params");
  if (!stored.empty()) {
    try {
      params = nlohmann::json::parse(stored).get<Params>();
    } catch (const nlohmann::json::exception&) {
      throw_bad_input("'" + path + "' has unreadable glasswing_params");
    }
  }
  auto trainer = std::make_unique<XGBoostTrainer>(detail::resolve_params("xgboost", param_table(), params));
  trainer->adopt(std::move(booster), path);
  return trainer;
}

DeviceSupport device_support() {
  DeviceSupport s;
  s.backend = "xgboost";
  const char* info = nullptr;
  check(XGBuildInfo(&info), "reading build info");
  const auto json = nlohmann::json::parse(info, nullptr, false);
  s.cuda_built = json.is_object() && json.value("USE_CUDA", false);
  // XGBoost has no device query in its C API; the NVIDIA driver's control node stands in.
  s.gpu_count = s.cuda_built && std::filesystem::exists("/dev/nvidiactl") ? 1 : 0;
  s.detail = std::string("XGBuildInfo: USE_CUDA=") + (s.cuda_built ? "true" : "false");
  return s;
}

}  // namespace glasswing::backend::xgb
