#pragma once
// The model bundle: an exported, deployable candidate (a folder with a manifest), and batch
// prediction from it.
//
// Layout of BUNDLE_DIR:
//   manifest.json   {"format": "glasswing-bundle", "version": 1, "glasswing_version", "task",
//                    "target", "classes", "family", "trainer", "params", "metric", "cv_score",
//                    "input_columns", "files": [{"path", "role"}]}
//   pipeline.json   the fitted feature Pipeline (features::Pipeline::to_json)
//   model.*         the trained model: XGBoost JSON (model.json, loadable by Python xgboost),
//                   the LibTorch file (model.bin), or the constant baseline (constant.json)
// write_bundle() writes into DIR.tmp and renames it over DIR, so a reader never sees half a bundle.
// load_bundle() reads only the files the manifest names inside DIR, runs nothing from them, and
// throws Error(BadInput) for a missing, foreign, damaged or newer bundle, naming the remedy.
//
// Thread safety: a loaded Bundle is immutable; predict() may run concurrently.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/data/table.hpp"
#include "automl/features/pipeline.hpp"
#include "backend/trainer.hpp"

namespace glasswing::engine {

inline constexpr const char* kBundleFormat = "glasswing-bundle";
inline constexpr int kBundleVersion = 1;

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

struct Bundle {
  nlohmann::ordered_json manifest;
  std::string task;  // binary|multiclass|regression
  std::string target;
  std::vector<std::string> classes;  // sorted; empty for regression
  features::Pipeline pipeline;
  Model model;
};

// `manifest` carries the run's fields (task, target, classes, metric, ...); format, version, files
// and the Glasswing version are added here.
void write_bundle(const std::filesystem::path& dir, const features::Pipeline& pipeline, const Model& model,
                  nlohmann::ordered_json manifest);
Bundle load_bundle(const std::filesystem::path& dir);

struct PredictionTable {
  std::size_t rows = 0;
  std::vector<std::string> classes;  // empty for regression
  std::vector<double> values;        // rows x max(1, classes.size())
};

PredictionTable predict(const Bundle& bundle, const data::Table& table);
// Writes `prediction` (+ `proba_<class>` per class) as CSV, temp file + rename.
void write_predictions_csv(const PredictionTable& predictions, const std::filesystem::path& path);

}  // namespace glasswing::engine
