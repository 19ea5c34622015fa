#pragma once
// The Trainer contract: one interface over every training library (XGBoost, LibTorch), so the
// engine fits, evaluates, explains and saves models without knowing which library does it.
//
// Data: a dense, row-major float matrix that the caller owns and keeps alive for the duration of
// the call (no copy is kept after fit()). NaN marks a missing value: XGBoost handles it natively,
// the LibTorch trainers impute the training mean (recorded in the saved file).
// Labels: regression any finite float; binary 0/1; multiclass 0..k-1 (integers stored as float).
//
// Errors: glasswing::Error. BadInput for inconsistent shapes or labels, Usage for unknown or
// out-of-range parameters (the message lists the valid ones), Resource for a device that is not
// there (--device cuda without a GPU or without a CUDA-capable backend), Storage for files that
// cannot be written or read.
//
// Thread safety: a Trainer object is not thread-safe; use one object per thread. predict() and
// the other const members may run concurrently with each other on one fitted object. The jobs
// setting of LibTorch is process-wide (at::set_num_threads), see DeviceContext.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "backend/device.hpp"

namespace glasswing {
class CancelToken;
class IssueLog;
}  // namespace glasswing

namespace glasswing::backend {

enum class Task { Regression, Binary, Multiclass };
const char* to_string(Task task) noexcept;

// A borrowed dense row-major matrix: element (r, c) is data[r * cols + c].
struct MatrixView {
  const float* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
};

// A borrowed data set: features, labels and optional per-row weights (empty = all 1).
struct DataView {
  MatrixView x;
  std::span<const float> y;
  std::span<const float> weights;
};

// One boosting round or epoch. `value` is the metric on the evaluation set when one was given,
// else on the training set. Metrics are "lower is better": rmse (regression, in label units),
// logloss (binary), mlogloss (multiclass).
struct RoundInfo {
  int round = 0;            // 0-based
  std::string metric;       // "rmse" | "logloss" | "mlogloss"
  double train_value = 0;   // NaN where the trainer does not compute it
  double eval_value = 0;    // NaN without an evaluation set
  double elapsed_s = 0;     // since fit() started
};

// Called once per round on the fitting thread; return false to stop now (pruning). The model
// then keeps the best round seen so far, as with early stopping.
using RoundCallback = std::function<bool(const RoundInfo&)>;

// Numeric, string-keyed parameters. Each trainer documents its table (param_table()); an unknown
// name is a Usage error that lists the valid ones, never silently ignored.
using Params = std::map<std::string, double>;

struct ParamSpec {
  std::string name;
  std::string type;  // "int" | "float"
  double default_value = 0;
  double min = 0;
  double max = 0;
  std::string description;
};

struct FitOptions {
  Task task = Task::Regression;
  int num_classes = 0;          // multiclass only (>= 3 is typical; 2 is allowed)
  std::uint64_t seed = 0;
  DeviceContext device;         // auto|cpu|cuda and jobs
  const CancelToken* cancel = nullptr;  // optional; honoured within a second (deadline too)
  // Optional; like `cancel` but honoured only once a round/epoch has been trained, so the model is
  // never empty: a refit under a deadline stops at it and keeps the rounds/epochs done.
  const CancelToken* soft_cancel = nullptr;
  RoundCallback on_round;       // optional
  IssueLog* issues = nullptr;   // optional; device choice and fall-backs are noted here
};

enum class StopReason { Completed, EarlyStopped, CallbackStopped, Cancelled };
const char* to_string(StopReason reason) noexcept;

struct FitReport {
  std::string device;        // what was actually used: "cpu" or "cuda:0"
  std::string device_note;   // why ("auto: no CUDA GPU found, took cpu", ...)
  double seconds = 0;        // wall time of fit()
  int rounds = 0;            // rounds/epochs run
  int best_round = -1;       // kept round (0-based); the model predicts with it
  StopReason stop = StopReason::Completed;
};

// Dense predictions: rows x cols. Regression: 1 column of values. Binary and multiclass: one
// probability column per class (binary: [P(0), P(1)]).
struct Prediction {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<float> values;
  float at(std::size_t r, std::size_t c) const { return values[r * cols + c]; }
};

struct Importance {
  std::string kind;            // e.g. "gain", "abs_coefficient", "first_layer_weight"
  std::vector<double> values;  // one per input column, >= 0
};

class Trainer {
 public:
  virtual ~Trainer() = default;

  virtual std::string name() const = 0;
  virtual std::vector<ParamSpec> param_table() const = 0;

  // Trains from scratch (a previous model is discarded). `eval` may be null: then no early
  // stopping happens and round values are training values. Cancellation is not an error: the
  // model keeps the best round so far and the report says Cancelled; if nothing was trained yet
  // a later predict() throws Usage.
  virtual FitReport fit(const DataView& train, const DataView* eval, const FitOptions& options) = 0;

  virtual bool fitted() const = 0;
  virtual Task task() const = 0;
  virtual int num_classes() const = 0;    // 1 for regression, 2 for binary
  virtual std::size_t num_features() const = 0;

  virtual Prediction predict(MatrixView x) const = 0;
  virtual Importance feature_importance() const = 0;

  // Linear models only (the `linear` trainer): the signed coefficients. `weights` is outputs x
  // features, row-major, per one standard deviation of each input (the trainer standardises its
  // inputs with `input_mean` and `input_scale`; a raw-unit coefficient is weight / input_scale).
  // Outputs: regression 1 (in target units), binary 1 (log-odds of the second class), multiclass
  // one softmax logit per class. Other trainers: std::nullopt.
  struct LinearWeights {
    std::size_t outputs = 0, features = 0;
    std::vector<double> weights;
    std::vector<double> intercepts;  // one per output, in the same units
    std::vector<double> input_mean, input_scale;
  };
  virtual std::optional<LinearWeights> linear_weights() const { return std::nullopt; }

  // SHAP values (tree explainers). contributions: shape {rows, groups, features + 1} where the
  // last entry is the bias and groups is 1 except for multiclass (one per class); interactions:
  // {rows, groups, features + 1, features + 1}. Values are in margin units (log-odds for
  // classification). Trainers without SHAP support throw Usage; supports_shap() says.
  struct Shap {
    std::vector<std::size_t> shape;
    std::vector<float> values;
  };
  virtual bool supports_shap() const { return false; }
  virtual Shap shap_contributions(MatrixView x) const;
  virtual Shap shap_interactions(MatrixView x) const;

  // Writes a self-describing file (temp file + rename). Read it back with load_model()
  // (registry.hpp). The format depends on the trainer; see docs/BACKENDS.md.
  virtual void save(const std::string& path) const = 0;
};

// Helper for the contract: rows of x must match y and weights, finite labels of the right kind.
void validate(const DataView& data, const FitOptions& options, const char* what);

}  // namespace glasswing::backend
