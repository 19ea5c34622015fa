#pragma once
// The model bundle: an exported, deployable model (a folder with a manifest), and batch
// prediction from it.
//
// Layout of BUNDLE_DIR (every file is a plain name inside the folder):
//   manifest.json   {"format": "glasswing-bundle", "version": 1|2, "glasswing_version", "build",
//                    "task", "target", "classes", "family", "trainer", "metric", "cv_score", ...,
//                    "input_columns": [{"name", "type", "categories"?}],
//                    "training_rows", "training_summary"?,
//                    "files": [{"path", "role", "sha256"}]}
//   single model (version 1): "pipeline_file": "pipeline.json", "model_file": "model.json" |
//                    "model.bin" | "constant.json"
//   ensemble (version 2): "family": "ensemble", "members": [{"name", "weight", "family",
//                    "trainer", "pipeline_file", "model_file", ...}], each member's files named
//                    member_<i>.pipeline.json and member_<i>.model.json|.bin / .constant.json
//   pipeline.json   a fitted feature Pipeline (features::Pipeline::to_json)
//   model.*         XGBoost JSON (loadable by Python xgboost), the LibTorch file, or the constant
//                   baseline (class priors / mean)
// A single-model bundle still says version 1 (older Glasswing builds read it); version 2 adds
// "members". This build reads both and refuses newer versions.
//
// write_bundle()/write_ensemble_bundle() write into DIR.tmp and rename it over DIR, so a reader
// never sees half a bundle. load_bundle() reads only the files the manifest names inside DIR
// (no "..", no '/', no symbolic links; every listed file must be there and match its sha256),
// runs nothing from them, and throws Error(BadInput) for a missing, foreign, damaged or newer
// bundle, naming the remedy.
//
// Prediction checks the input schema: a column the model reads is required (BadInput naming it);
// extra columns (the target, ids) are ignored; a category not seen in training is treated as
// missing and counted per column. An ensemble predicts the weighted average of its members
// (probabilities renormalised per row).
//
// Thread safety: a loaded Bundle is immutable; predict() may run concurrently.

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/data/table.hpp"
#include "automl/features/pipeline.hpp"
#include "backend/trainer.hpp"

namespace glasswing::engine {

inline constexpr const char* kBundleFormat = "glasswing-bundle";
inline constexpr int kBundleVersion = 2;        // the newest version this build reads (and writes, for ensembles)
inline constexpr int kSingleBundleVersion = 1;  // what single-model bundles say

// A trained model of any family: a backend trainer, or the constant baseline (class priors /
// training mean) held in `constant`.
struct Model {
  std::string family;
  std::unique_ptr<backend::Trainer> trainer;  // null for "constant"
  std::vector<double> constant;
};

// Predictions as doubles, rows x outputs (outputs = classes, or 1 for regression); class
// probabilities are renormalised to sum to 1 per row.
std::vector<double> predict_matrix(const Model& model, const features::FeatureMatrix& x, std::size_t outputs);

// The manifest's description of the training data, from the rows the final model was fitted on
// (all rows when `rows` is empty), `target` excluded:
//   "input_columns": [{"name", "type", "categories" (categorical and boolean columns: the values
//                     seen in training, sorted; left out above 10000 distinct values)}],
//   "training_rows": N,
//   "training_summary": {"rows": N, "columns": {name: {"missing_rate", "mean" (numbers) |
//                        "top", "top_share" (categories, text)}}}
// Usage: manifest.update(describe_training_data(table, target, rows)) before writing the bundle.
nlohmann::ordered_json describe_training_data(const data::Table& table, const std::string& target,
                                              std::span<const std::size_t> rows = {});

// `manifest` carries the run's fields (task, target, classes, metric, input_columns, ...);
// format, version, family, trainer, files and the Glasswing version are added here.
void write_bundle(const std::filesystem::path& dir, const features::Pipeline& pipeline, const Model& model,
                  nlohmann::ordered_json manifest);

// One member of an ensemble to write: borrowed pipeline and model, its weight (> 0; the weights
// are normalised to sum to 1) and what to record about it (e.g. {"trial": 3, "cv_score": ...}).
struct BundleMember {
  const features::Pipeline* pipeline = nullptr;
  const Model* model = nullptr;
  double weight = 0;
  nlohmann::ordered_json about = nlohmann::ordered_json::object();
};
// Writes a version 2 bundle whose model is the weighted average of `members` (members with
// weight 0 are left out; a single remaining member still makes an ensemble bundle).
void write_ensemble_bundle(const std::filesystem::path& dir, const std::vector<BundleMember>& members,
                           nlohmann::ordered_json manifest);

struct LoadedMember {
  std::string name;
  double weight = 1;  // normalised: the members' weights sum to 1
  features::Pipeline pipeline;
  Model model;
};

struct Bundle {
  nlohmann::ordered_json manifest;
  int version = 1;
  std::string task;  // binary|multiclass|regression
  std::string target;
  std::vector<std::string> classes;  // sorted; empty for regression
  std::string family;  // the model family, or "ensemble"
  // The model: a single-model bundle's pipeline and model; for an ensemble, its heaviest member's
  // (ties: the first), which is what the explanation panels describe.
  features::Pipeline pipeline;
  Model model;
  std::vector<LoadedMember> members;  // an ensemble's members (all of them); empty for a single model
  // The input schema: columns the pipelines read (required), training types by name, and the
  // categories seen in training by column (from the manifest, else from the pipelines' encoders).
  std::vector<std::string> required_columns;
  std::map<std::string, data::ColumnType> column_types;
  std::map<std::string, std::vector<std::string>> known_categories;  // sorted

  bool ensemble() const noexcept { return family == "ensemble"; }
  std::size_t outputs() const noexcept { return classes.empty() ? 1 : classes.size(); }
};

Bundle load_bundle(const std::filesystem::path& dir);

struct PredictionTable {
  std::size_t rows = 0;
  std::vector<std::string> classes;  // empty for regression
  std::vector<double> values;        // rows x max(1, classes.size())
};

// Per column: rows whose category was not seen in training (treated as missing).
using UnseenCounts = std::map<std::string, std::size_t>;

// Checks `table` against the bundle's input schema and returns the table the pipelines read: the
// required columns only, categories not seen in training made missing (counted into `unseen`).
// A missing required column: Error(BadInput) naming it (and every other missing one).
data::Table conform_input(const Bundle& bundle, const data::Table& table, UnseenCounts* unseen = nullptr);

// conform_input, then every member's pipeline and model, weighted.
PredictionTable predict(const Bundle& bundle, const data::Table& table, UnseenCounts* unseen = nullptr);

// `prediction` (argmax class label, or the value) and `proba_<class>` per class, 17 digits.
std::string predictions_csv_header(const std::vector<std::string>& classes);
void append_predictions_csv(const PredictionTable& predictions, std::string& out);
// Writes the whole table as CSV, temp file + rename.
void write_predictions_csv(const PredictionTable& predictions, const std::filesystem::path& path);

// Streaming batch prediction of a CSV file (plain or .gz): a reader thread cuts the file into
// chunks of about `chunk_bytes` at row boundaries and parses them (the model's columns typed as
// in training), a worker conforms, transforms and predicts, a writer formats and appends to
// OUT.tmp; at most `queue_chunks` chunks wait between two stages. OUT.tmp is renamed to OUT at
// the end, and removed on an error. Missing columns are checked on the header, before any row.
struct PredictFileOptions {
  std::size_t chunk_bytes = std::size_t{4} << 20;
  std::size_t queue_chunks = 2;
};
struct PredictFileStats {
  std::size_t rows = 0;
  std::size_t chunks = 0;
  std::size_t peak_chunks_in_memory = 0;  // chunks read but not yet written, at most
  UnseenCounts unseen;
  double seconds = 0;
};
PredictFileStats predict_file(const Bundle& bundle, const std::filesystem::path& data, const std::filesystem::path& out,
                              const PredictFileOptions& options = {});

}  // namespace glasswing::engine
