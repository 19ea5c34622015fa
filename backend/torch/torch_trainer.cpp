// LibTorch trainers: an MLP for tabular data and linear / logistic / multinomial regression.
// The only file that includes LibTorch headers (ARCHITECTURE.md habit 11). Compiles against
// Debian's LibTorch 1.13 (CPU) and LibTorch 2.x with CUDA.
#include "backend/torch/torch_trainer.hpp"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/nn.h>
#include <torch/optim/adamw.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numbers>
#include <numeric>
#include <random>

#include "automl/common/error.hpp"
#include "automl/common/issues.hpp"
#include "backend/detail.hpp"
#include "glasswing/common/version.hpp"

namespace glasswing::backend::libtorch {
namespace {

constexpr int kSchema = 1;
constexpr std::int64_t kPredictChunk = 65536;

struct Arch {
  std::int64_t inputs = 0;
  std::int64_t outputs = 1;
  std::int64_t width = 0;
  int depth = 0;  // hidden layers; 0 = linear model
  double dropout = 0;
  bool batch_norm = false;
};

struct NetImpl : torch::nn::Module {
  explicit NetImpl(const Arch& a) {
    std::int64_t in = a.inputs;
    for (int i = 0; i < a.depth; ++i) {
      body->push_back(torch::nn::Linear(in, a.width));
      if (a.batch_norm) body->push_back(torch::nn::BatchNorm1d(a.width));
      body->push_back(torch::nn::ReLU());
      if (a.dropout > 0) body->push_back(torch::nn::Dropout(a.dropout));
      in = a.width;
    }
    head = torch::nn::Linear(in, a.outputs);
    body->push_back(head);
    register_module("body", body);
  }
  torch::Tensor forward(const torch::Tensor& x) { return body->forward(x); }

  torch::nn::Sequential body;
  torch::nn::Linear head{nullptr};
};

// Turns on bf16 autocast for CUDA in its scope (mixed precision; CUDA only).
class AutocastScope {
 public:
  explicit AutocastScope(bool on) : on_(on) {
    if (!on_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    previous_ = at::autocast::is_autocast_enabled(at::kCUDA);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    previous_ = at::autocast::is_enabled();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
#endif
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, previous_);
#else
    at::autocast::set_enabled(previous_);
#endif
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_;
  bool previous_ = false;
};

std::vector<ParamSpec> mlp_table() {
  return {
      {"max_epochs", "int", 100, 1, 100000, "maximum passes over the training data"},
      {"batch_size", "int", 512, 2, 1e7, "rows per optimisation step"},
      {"learning_rate", "float", 3e-3, 1e-6, 10, "peak learning rate of the warm-up + cosine schedule (AdamW)"},
      {"weight_decay", "float", 1e-4, 0, 10, "AdamW decoupled weight decay"},
      {"width", "int", 128, 1, 65536, "units per hidden layer"},
      {"depth", "int", 2, 1, 64, "hidden layers"},
      {"dropout", "float", 0.1, 0, 0.95, "dropout after each hidden layer"},
      {"batch_norm", "int", 1, 0, 1, "batch normalisation after each hidden linear layer (1: on)"},
      {"warmup_fraction", "float", 0.05, 0, 0.9, "share of the planned steps with a linear warm-up"},
      {"early_stopping_rounds", "int", 15, 0, 100000,
       "stop when the evaluation metric has not improved for this many epochs (0: off)"},
      {"mixed_precision", "int", 1, 0, 1, "bf16 autocast on CUDA (1: on); the CPU always trains in float32"},
  };
}

std::vector<ParamSpec> linear_table() {
  return {
      {"max_epochs", "int", 200, 1, 100000, "maximum passes over the training data"},
      {"batch_size", "int", 256, 2, 1e7, "rows per optimisation step (at least rows / 128: at most 128 steps per epoch)"},
      {"learning_rate", "float", 1e-2, 1e-6, 10, "peak learning rate of the warm-up + cosine schedule (AdamW)"},
      {"l1", "float", 0, 0, 100, "L1 penalty on the coefficients (not the intercept)"},
      {"l2", "float", 1e-4, 0, 100, "L2 penalty on the coefficients (not the intercept)"},
      {"warmup_fraction", "float", 0, 0, 0.9, "share of the planned steps with a linear warm-up"},
      {"early_stopping_rounds", "int", 20, 0, 100000,
       "stop when the evaluation metric has not improved for this many epochs (0: off)"},
  };
}

const char* family_name(Family f) { return f == Family::Mlp ? "mlp" : "linear"; }

struct Scaling {
  std::vector<float> mean, scale;  // per input column: z = (x - mean) / scale, NaN -> 0 (the mean)
  float y_mean = 0, y_scale = 1;   // regression target
};

torch::Tensor standardise(MatrixView x, const Scaling& s) {
  auto t = torch::empty({static_cast<std::int64_t>(x.rows), static_cast<std::int64_t>(x.cols)}, torch::kFloat32);
  float* out = t.data_ptr<float>();
  for (std::size_t r = 0; r < x.rows; ++r) {
    for (std::size_t c = 0; c < x.cols; ++c) {
      const float v = x.data[r * x.cols + c];
      out[r * x.cols + c] = std::isnan(v) ? 0.0f : (v - s.mean[c]) / s.scale[c];
    }
  }
  return t;
}

class TorchTrainer final : public Trainer {
 public:
  TorchTrainer(Family family, Params params) : family_(family), params_(std::move(params)) {}

  std::string name() const override { return family_name(family_); }
  std::vector<ParamSpec> param_table() const override { return libtorch::param_table(family_); }
  bool fitted() const override { return net_ != nullptr; }
  Task task() const override { return task_; }
  int num_classes() const override { return classes_; }
  std::size_t num_features() const override { return static_cast<std::size_t>(arch_.inputs); }

  FitReport fit(const DataView& train, const DataView* eval, const FitOptions& options) override {
    const auto start = std::chrono::steady_clock::now();
    validate(train, options, "training");
    if (eval != nullptr) {
      validate(*eval, options, "evaluation");
      if (eval->x.cols != train.x.cols)
        throw_bad_input("evaluation set has " + std::to_string(eval->x.cols) + " columns, training set " +
                        std::to_string(train.x.cols));
    }
    net_.reset();
    const ResolvedDevice resolved = resolve_device(options.device, libtorch::device_support());
    const torch::Device device = resolved.cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    const bool mixed = resolved.cuda && family_ == Family::Mlp && detail::as_int(params_, "mixed_precision") == 1;
    FitReport report;
    report.device = resolved.name;
    report.device_note = resolved.note + (mixed ? "; bf16 mixed precision" : "");
    if (options.issues != nullptr) options.issues->add(Severity::Info, "device", name() + ": " + report.device_note);
    if (options.device.jobs > 0) at::set_num_threads(options.device.jobs);

    task_ = options.task;
    classes_ = task_ == Task::Regression ? 1 : task_ == Task::Binary ? 2 : options.num_classes;
    arch_ = Arch{};
    arch_.inputs = static_cast<std::int64_t>(train.x.cols);
    arch_.outputs = task_ == Task::Multiclass ? classes_ : 1;
    if (family_ == Family::Mlp) {
      arch_.width = detail::as_int(params_, "width");
      arch_.depth = detail::as_int(params_, "depth");
      arch_.dropout = params_.at("dropout");
      arch_.batch_norm = detail::as_int(params_, "batch_norm") == 1;
    }
    fit_scaling(train);

    // Seeds: LibTorch's global generator (initial weights, dropout) and our own shuffling.
    torch::manual_seed(options.seed);
    if (resolved.cuda) torch::cuda::manual_seed_all(options.seed);
    std::mt19937_64 rng(options.seed);

    auto net = std::make_shared<NetImpl>(arch_);
    net->to(device);
    const auto n = static_cast<std::int64_t>(train.x.rows);
    const torch::Tensor x = standardise(train.x, scaling_).to(device);
    const torch::Tensor y = labels(train.y).to(device);
    const torch::Tensor w = train.weights.empty() ? torch::Tensor() : to_tensor(train.weights).to(device);

    const double lr_max = params_.at("learning_rate");
    torch::optim::AdamW optimizer(
        net->parameters(),
        torch::optim::AdamWOptions(lr_max).weight_decay(family_ == Family::Mlp ? params_.at("weight_decay") : 0.0));
    const double l1 = family_ == Family::Linear ? params_.at("l1") : 0.0;
    const double l2 = family_ == Family::Linear ? params_.at("l2") : 0.0;

    // Large data, linear family: at most kLinearStepsPerEpoch steps per epoch (a larger batch), so
    // an epoch over any number of rows costs about as much as one over 32k rows; below that, as set.
    constexpr std::int64_t kLinearStepsPerEpoch = 128;
    std::int64_t batch_setting = detail::as_int(params_, "batch_size");
    if (family_ == Family::Linear)
      batch_setting = std::max(batch_setting, (n + kLinearStepsPerEpoch - 1) / kLinearStepsPerEpoch);
    const std::int64_t batch = std::min<std::int64_t>(batch_setting, n);
    const std::int64_t steps_per_epoch = (n + batch - 1) / batch;
    const int max_epochs = detail::as_int(params_, "max_epochs");
    const int patience = detail::as_int(params_, "early_stopping_rounds");
    const double total_steps = static_cast<double>(steps_per_epoch) * max_epochs;
    const double warmup = std::floor(params_.at("warmup_fraction") * total_steps);
    auto lr_at = [&](double step) {
      // Linear warm-up, then cosine decay to 1% of the peak (a one-cycle-like schedule).
      if (step < warmup) return lr_max * (step + 1) / warmup;
      const double progress = (step - warmup) / std::max(1.0, total_steps - warmup);
      return lr_max * (0.01 + 0.99 * 0.5 * (1 + std::cos(std::numbers::pi * std::min(1.0, progress))));
    };

    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), std::int64_t{0});
    double best = std::numeric_limits<double>::infinity();
    std::vector<torch::Tensor> best_state;
    double step = 0;
    int epochs = 0;
    bool stop = false;
    for (int epoch = 0; epoch < max_epochs && !stop; ++epoch) {
      net->train();
      std::shuffle(order.begin(), order.end(), rng);
      const torch::Tensor perm = torch::from_blob(order.data(), {n}, torch::kInt64).to(device);
      for (std::int64_t b = 0; b < steps_per_epoch; ++b) {
        if (detail::cancelled(options) || detail::soft_cancelled(options, epochs)) {
          report.stop = StopReason::Cancelled;
          stop = true;
          break;
        }
        const std::int64_t lo = b * batch, hi = std::min(n, lo + batch);
        if (arch_.batch_norm && hi - lo < 2) continue;  // batch norm cannot train on one row
        const torch::Tensor idx = perm.slice(0, lo, hi);
        const torch::Tensor xb = x.index_select(0, idx);
        const torch::Tensor yb = y.index_select(0, idx);
        for (auto& group : optimizer.param_groups())
          static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr_at(step));
        optimizer.zero_grad();
        torch::Tensor out;
        {
          AutocastScope autocast(mixed);
          out = net->forward(xb);
        }
        torch::Tensor loss = per_row_loss(out.to(torch::kFloat32), yb);
        loss = w.defined() ? (loss * w.index_select(0, idx)).sum() / w.index_select(0, idx).sum().clamp_min(1e-12)
                           : loss.mean();
        if (l1 > 0) loss = loss + l1 * net->head->weight.abs().sum();
        if (l2 > 0) loss = loss + l2 * net->head->weight.pow(2).sum();
        loss.backward();
        optimizer.step();
        step += 1;
      }
      if (stop) break;
      epochs = epoch + 1;
      net->eval();
      net_ = net;  // evaluate through predict()
      RoundInfo info;
      info.round = epoch;
      info.metric = detail::metric_name(task_);
      info.train_value = detail::kNaN;
      info.eval_value = detail::kNaN;
      if (eval != nullptr) {
        info.eval_value = detail::task_metric(task_, predict(eval->x), eval->y, eval->weights);
      } else {
        info.train_value = detail::task_metric(task_, predict(train.x), train.y, train.weights);
      }
      net_.reset();
      info.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double watched = eval != nullptr ? info.eval_value : info.train_value;
      if (eval == nullptr || watched < best || best_state.empty()) {
        best_state = snapshot(*net);  // also without eval: a cancel mid-epoch keeps the last whole epoch
        best = watched;
        report.best_round = epoch;
      }
      if (options.on_round && !options.on_round(info)) {
        report.stop = StopReason::CallbackStopped;
        break;
      }
      if (eval != nullptr && patience > 0 && epoch - report.best_round >= patience) {
        report.stop = StopReason::EarlyStopped;
        break;
      }
    }
    report.rounds = epochs;
    if (report.best_round >= 0) {
      if (!best_state.empty()) restore(*net, best_state);
      net->eval();
      net_ = net;
      if (family_ == Family::Mlp) importance_ = permutation_importance(eval != nullptr ? *eval : train, rng);
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  }

  Prediction predict(MatrixView xv) const override {
    require_fitted();
    if (xv.cols != static_cast<std::size_t>(arch_.inputs))
      throw_bad_input("prediction data has " + std::to_string(xv.cols) + " columns; the model was trained on " +
                      std::to_string(arch_.inputs));
    torch::NoGradGuard no_grad;
    const auto device = net_->head->weight.device();
    const torch::Tensor x = standardise(xv, scaling_);
    const auto n = static_cast<std::int64_t>(xv.rows);
    std::vector<torch::Tensor> parts;
    for (std::int64_t lo = 0; lo < n; lo += kPredictChunk) {
      const torch::Tensor out = net_->forward(x.slice(0, lo, std::min(n, lo + kPredictChunk)).to(device));
      parts.push_back(out.to(torch::kCPU, torch::kFloat32));
    }
    torch::Tensor out = torch::cat(parts, 0);
    Prediction p;
    p.rows = xv.rows;
    if (task_ == Task::Regression) {
      out = out * scaling_.y_scale + scaling_.y_mean;
      p.cols = 1;
    } else if (task_ == Task::Binary) {
      const torch::Tensor p1 = torch::sigmoid(out);
      out = torch::cat({1 - p1, p1}, 1);
      p.cols = 2;
    } else {
      out = torch::softmax(out, 1);
      p.cols = static_cast<std::size_t>(classes_);
    }
    out = out.contiguous();
    p.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
    return p;
  }

  Importance feature_importance() const override {
    require_fitted();
    torch::NoGradGuard no_grad;
    Importance imp;
    if (family_ == Family::Mlp) {
      // Computed at the end of fit() and stored in the model file.
      imp.kind = std::string("permutation_") + detail::metric_name(task_);
      imp.values = importance_;
      return imp;
    }
    // |coefficients| on standardised inputs, summed over outputs.
    const torch::Tensor v = net_->head->weight.abs().sum(0).to(torch::kCPU, torch::kFloat64).contiguous();
    imp.kind = "abs_coefficient";
    imp.values.assign(v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
    return imp;
  }

  std::optional<LinearWeights> linear_weights() const override {
    if (family_ != Family::Linear) return std::nullopt;
    require_fitted();
    torch::NoGradGuard no_grad;
    // Regression trains on a standardised target: scale back to target units.
    const double unit = task_ == Task::Regression ? static_cast<double>(scaling_.y_scale) : 1.0;
    const double offset = task_ == Task::Regression ? static_cast<double>(scaling_.y_mean) : 0.0;
    const torch::Tensor w = net_->head->weight.to(torch::kCPU, torch::kFloat64).contiguous();
    const torch::Tensor b = net_->head->bias.to(torch::kCPU, torch::kFloat64).contiguous();
    LinearWeights out;
    out.outputs = static_cast<std::size_t>(w.size(0));
    out.features = static_cast<std::size_t>(w.size(1));
    out.weights.assign(w.data_ptr<double>(), w.data_ptr<double>() + w.numel());
    out.intercepts.assign(b.data_ptr<double>(), b.data_ptr<double>() + b.numel());
    for (double& v : out.weights) v *= unit;
    for (double& v : out.intercepts) v = v * unit + offset;
    out.input_mean.assign(scaling_.mean.begin(), scaling_.mean.end());
    out.input_scale.assign(scaling_.scale.begin(), scaling_.scale.end());
    return out;
  }

  void save(const std::string& path) const override {
    require_fitted();
    nlohmann::json h;
    h["schema"] = kSchema;
    h["glasswing_version"] = kVersion;
    h["build"] = std::string(kBuildType) + ", " + kCompiler + ", LibTorch " + TORCH_VERSION;
    h["trainer"] = name();
    h["task"] = to_string(task_);
    h["num_classes"] = classes_;
    h["arch"] = {{"inputs", arch_.inputs}, {"outputs", arch_.outputs}, {"width", arch_.width},
                 {"depth", arch_.depth},   {"dropout", arch_.dropout}, {"batch_norm", arch_.batch_norm}};
    h["input_mean"] = scaling_.mean;
    h["input_scale"] = scaling_.scale;
    h["target_mean"] = scaling_.y_mean;
    h["target_scale"] = scaling_.y_scale;
    h["params"] = params_;
    h["importance"] = importance_;
    h["byte_order"] = "little";
    std::string blob;
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& [key, tensor] : state(*net_)) {
      const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
      tensors.push_back({{"name", key}, {"shape", t.sizes().vec()}, {"offset", blob.size()}, {"dtype", "float32"}});
      blob.append(reinterpret_cast<const char*>(t.data_ptr<float>()), static_cast<std::size_t>(t.numel()) * sizeof(float));
    }
    h["tensors"] = tensors;
    std::string bytes(kMagic);
    bytes += h.dump();
    bytes += '\n';
    bytes += blob;
    detail::write_file_atomic(path, bytes);
  }

  void load_from(const std::string& path) {
    const std::string bytes = detail::read_file(path);
    const auto eol = bytes.find('\n', kMagic.size());
    if (bytes.rfind(kMagic, 0) != 0 || eol == std::string::npos)
      throw_bad_input("'" + path + "' is not a Glasswing LibTorch model");
    nlohmann::json h;
    try {
      h = nlohmann::json::parse(bytes.substr(kMagic.size(), eol - kMagic.size()));
      const int schema = h.at("schema").get<int>();
      if (schema != kSchema)
        throw_bad_input("'" + path + "' has LibTorch model schema " + std::to_string(schema) + "; this build reads " +
                        std::to_string(kSchema) + " (upgrade Glasswing)");
      const std::string task = h.at("task").get<std::string>();
      task_ = task == "binary" ? Task::Binary : task == "multiclass" ? Task::Multiclass : Task::Regression;
      classes_ = h.at("num_classes").get<int>();
      const auto& a = h.at("arch");
      arch_.inputs = a.at("inputs").get<std::int64_t>();
      arch_.outputs = a.at("outputs").get<std::int64_t>();
      arch_.width = a.at("width").get<std::int64_t>();
      arch_.depth = a.at("depth").get<int>();
      arch_.dropout = a.at("dropout").get<double>();
      arch_.batch_norm = a.at("batch_norm").get<bool>();
      scaling_.mean = h.at("input_mean").get<std::vector<float>>();
      scaling_.scale = h.at("input_scale").get<std::vector<float>>();
      scaling_.y_mean = h.at("target_mean").get<float>();
      scaling_.y_scale = h.at("target_scale").get<float>();
      params_ = detail::resolve_params(name(), param_table(), h.at("params").get<Params>());
      importance_ = h.at("importance").get<std::vector<double>>();
    } catch (const nlohmann::json::exception& e) {
      throw_bad_input("'" + path + "' has a damaged LibTorch model header: " + e.what());
    }
    auto net = std::make_shared<NetImpl>(arch_);
    torch::NoGradGuard no_grad;
    const char* blob = bytes.data() + eol + 1;
    const std::size_t blob_size = bytes.size() - eol - 1;
    auto entries = state(*net);
    for (const auto& t : h.at("tensors")) {
      const auto key = t.at("name").get<std::string>();
      auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == key; });
      const auto shape = t.at("shape").get<std::vector<std::int64_t>>();
      const auto offset = t.at("offset").get<std::size_t>();
      if (it == entries.end() || it->second.sizes().vec() != shape ||
          offset + static_cast<std::size_t>(it->second.numel()) * sizeof(float) > blob_size)
        throw_bad_input("'" + path + "' does not match its recorded architecture (tensor " + key + ")");
      auto source = torch::empty(shape, torch::kFloat32);
      std::memcpy(source.data_ptr<float>(), blob + offset, static_cast<std::size_t>(source.numel()) * sizeof(float));
      it->second.copy_(source);
    }
    net->eval();
    net_ = net;
  }

 private:
  void require_fitted() const {
    if (!net_) throw_usage("the " + name() + " model is not trained yet (fit() first, or load_model())");
  }

  // Increase of the task metric when one column is shuffled, on the evaluation set (or up to
  // 2,000 training rows without one); clamped at 0. Model-agnostic and cheap for tabular widths.
  std::vector<double> permutation_importance(const DataView& data, std::mt19937_64& rng) const {
    const std::size_t rows = std::min<std::size_t>(data.x.rows, 2000), cols = data.x.cols;
    std::vector<float> x(data.x.data, data.x.data + rows * cols);
    const std::span<const float> y = data.y.subspan(0, rows);
    const std::span<const float> w = data.weights.empty() ? data.weights : data.weights.subspan(0, rows);
    const MatrixView view{x.data(), rows, cols};
    const double base = detail::task_metric(task_, predict(view), y, w);
    std::vector<double> out(cols, 0.0);
    std::vector<std::size_t> perm(rows);
    for (std::size_t c = 0; c < cols; ++c) {
      std::iota(perm.begin(), perm.end(), std::size_t{0});
      std::shuffle(perm.begin(), perm.end(), rng);
      std::vector<float> column(rows);
      for (std::size_t r = 0; r < rows; ++r) column[r] = x[r * cols + c];
      for (std::size_t r = 0; r < rows; ++r) x[r * cols + c] = column[perm[r]];
      out[c] = std::max(0.0, detail::task_metric(task_, predict(view), y, w) - base);
      for (std::size_t r = 0; r < rows; ++r) x[r * cols + c] = column[r];
    }
    return out;
  }

  void fit_scaling(const DataView& train) {
    const std::size_t d = train.x.cols;
    scaling_.mean.assign(d, 0.0f);
    scaling_.scale.assign(d, 1.0f);
    for (std::size_t c = 0; c < d; ++c) {
      double sum = 0, sq = 0;
      std::size_t count = 0;
      for (std::size_t r = 0; r < train.x.rows; ++r) {
        const double v = train.x.data[r * d + c];
        if (std::isnan(v)) continue;
        sum += v;
        sq += v * v;
        ++count;
      }
      if (count == 0) continue;
      const double mean = sum / static_cast<double>(count);
      const double var = std::max(0.0, sq / static_cast<double>(count) - mean * mean);
      scaling_.mean[c] = static_cast<float>(mean);
      scaling_.scale[c] = var > 1e-24 ? static_cast<float>(std::sqrt(var)) : 1.0f;
    }
    scaling_.y_mean = 0;
    scaling_.y_scale = 1;
    if (task_ == Task::Regression) {
      double sum = 0, sq = 0;
      for (float v : train.y) {
        sum += v;
        sq += static_cast<double>(v) * v;
      }
      const double n = static_cast<double>(train.y.size());
      const double mean = sum / n;
      const double var = std::max(0.0, sq / n - mean * mean);
      scaling_.y_mean = static_cast<float>(mean);
      scaling_.y_scale = var > 1e-24 ? static_cast<float>(std::sqrt(var)) : 1.0f;
    }
  }

  static torch::Tensor to_tensor(std::span<const float> v) {
    return torch::from_blob(const_cast<float*>(v.data()), {static_cast<std::int64_t>(v.size())}, torch::kFloat32).clone();
  }

  torch::Tensor labels(std::span<const float> y) const {
    torch::Tensor t = to_tensor(y);
    if (task_ == Task::Regression) return ((t - scaling_.y_mean) / scaling_.y_scale).unsqueeze(1);
    if (task_ == Task::Binary) return t.unsqueeze(1);
    return t.to(torch::kInt64);
  }

  torch::Tensor per_row_loss(const torch::Tensor& out, const torch::Tensor& y) const {
    if (task_ == Task::Regression) return (out - y).pow(2).squeeze(1);
    if (task_ == Task::Binary)
      return torch::binary_cross_entropy_with_logits(out, y, {}, {}, at::Reduction::None).squeeze(1);
    return -torch::log_softmax(out, 1).gather(1, y.unsqueeze(1)).squeeze(1);
  }

  // Parameters and buffers (batch-norm statistics) by name, in a fixed order.
  static std::vector<std::pair<std::string, torch::Tensor>> state(torch::nn::Module& net) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& item : net.named_parameters()) out.emplace_back(item.key(), item.value());
    for (const auto& item : net.named_buffers()) out.emplace_back(item.key(), item.value());
    return out;
  }
  static std::vector<torch::Tensor> snapshot(torch::nn::Module& net) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> out;
    for (auto& [key, t] : state(net)) out.push_back(t.detach().clone());
    return out;
  }
  static void restore(torch::nn::Module& net, const std::vector<torch::Tensor>& saved) {
    torch::NoGradGuard no_grad;
    auto entries = state(net);
    for (std::size_t i = 0; i < entries.size(); ++i) entries[i].second.copy_(saved[i]);
  }

  Family family_;
  Params params_;
  std::shared_ptr<NetImpl> net_;
  Arch arch_;
  Scaling scaling_;
  std::vector<double> importance_;  // MLP: permutation importance from the end of fit()
  Task task_ = Task::Regression;
  int classes_ = 1;
};

}  // namespace

std::vector<ParamSpec> param_table(Family family) { return family == Family::Mlp ? mlp_table() : linear_table(); }

std::unique_ptr<Trainer> make(Family family, const Params& params) {
  return std::make_unique<TorchTrainer>(family, detail::resolve_params(family_name(family), param_table(family), params));
}

std::unique_ptr<Trainer> load(const std::string& path) {
  // The header names the family; read it first to build the right trainer.
  const std::string bytes = detail::read_file(path);
  const auto eol = bytes.find('\n', kMagic.size());
  Family family = Family::Mlp;
  if (eol != std::string::npos) {
    const auto h = nlohmann::json::parse(bytes.substr(kMagic.size(), eol - kMagic.size()), nullptr, false);
    if (h.is_object() && h.value("trainer", std::string()) == "linear") family = Family::Linear;
  }
  auto trainer = std::make_unique<TorchTrainer>(family, detail::resolve_params(family_name(family), param_table(family), {}));
  trainer->load_from(path);
  return trainer;
}

DeviceSupport device_support() {
  DeviceSupport s;
  s.backend = "torch";
  const bool available = torch::cuda::is_available();
#if GLASSWING_TORCH_CUDA
  s.cuda_built = true;
#else
  s.cuda_built = available;
#endif
  s.gpu_count = available ? static_cast<int>(torch::cuda::device_count()) : 0;
  s.detail = std::string("LibTorch ") + TORCH_VERSION + ", CUDA devices: " + std::to_string(s.gpu_count);
  return s;
}

}  // namespace glasswing::backend::libtorch
