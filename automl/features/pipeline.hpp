#pragma once
// Feature engineering: a Pipeline turns a typed Table into the dense float matrix that the
// trainers take, and records every decision (column, step, reason) for the transparency panels.
//
// Per input column, by its inferred type:
//   integer/float  -> the value (NaN kept, or median-imputed) + a missing indicator when the
//                     training rows had missing values
//   boolean        -> 0/1
//   categorical    -> one-hot when it has at most `max_one_hot` categories in training; else
//                     out-of-fold target encoding (one column per class for multiclass) plus
//                     frequency encoding, or either alone (options.high_cardinality)
//   datetime/date  -> year, month, day, day of week (+ hour for datetimes) and days since 1970
//   text           -> hashed token counts (or dropped with a notice)
//   id, constant, suspected leaks -> dropped, with the reason
// then optional generated features (ratios and differences of the strongest numeric pairs) and
// optional scaling (for the MLP and linear models): standard, or robust (median/IQR, clipped).
//
// fit_transform() learns from training rows and returns their matrix: target encodings there
// are out-of-fold, so a row's own target never enters its encoding. transform() applies the
// learned steps to any table with the same columns (by name); unseen categories and missing
// values are handled, a missing column is Error(BadInput) naming it. to_json()/from_json()
// round-trip a fitted pipeline exactly (it travels in the model bundle).
//
// Thread safety: a fitted Pipeline is immutable; transform() may run concurrently.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/common/issues.hpp"
#include "automl/data/table.hpp"

namespace glasswing::features {

enum class TargetKind { Binary, Multiclass, Regression };

// The training target, aligned with the rows passed to fit_transform(): class index (0..k-1)
// for classification, the value for regression. No missing values.
struct TargetView {
  TargetKind kind = TargetKind::Regression;
  std::size_t n_classes = 0;  // classification only
  std::span<const float> y;
};

// How a categorical column with more than max_one_hot categories is encoded.
enum class HighCardinality { TargetAndFrequency, Target, Frequency };

struct PipelineOptions {
  std::size_t max_one_hot = 10;   // categories up to this many are one-hot encoded
  HighCardinality high_cardinality = HighCardinality::TargetAndFrequency;
  bool impute = false;            // median-impute numbers (trees take NaN natively)
  bool missing_indicators = true;
  bool scale = false;             // standardise every output column (MLP, linear)
  bool robust_scale = false;      // with scale: centre on the median, divide by IQR/1.349 (the
                                  // standard deviation when the IQR is 0), clip to +-robust_clip
  double robust_clip = 5.0;
  bool text_hashing = true;       // hashed token counts for text columns; false drops them
  std::size_t hash_buckets = 32;
  bool generated = false;         // ratios and differences of the strongest numeric pairs
  std::size_t generated_pairs_from = 4;  // top-k numeric columns that pair up
  bool drop_leaks = true;         // drop columns that predict the target almost perfectly
  std::size_t target_encoding_folds = 5;
  double target_encoding_smoothing = 10.0;  // pseudo-count of the prior
  std::set<std::string> exclude;  // columns the user excluded
  std::uint64_t seed = 0;
};

// Where one output feature comes from.
struct FeatureInfo {
  std::string name;                  // e.g. "age", "purpose=radio/tv", "date.month", "a/b"
  std::vector<std::string> sources;  // original columns
  std::string step;                  // the step that made it
};

// A decision about an input column (kept, encoded, dropped) and why.
struct StepRecord {
  std::string column;
  std::string step;
  std::string reason;
};

// A dense row-major float matrix with the provenance of each column.
struct FeatureMatrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<float> values;
  float at(std::size_t r, std::size_t c) const { return values[r * cols + c]; }
};

// What the data offers the feature-step choices (so a search only varies a step that can change
// the features): computed from `rows` of `table` (all when empty), the target and `exclude` left out.
struct DataTraits {
  bool high_cardinality = false;  // a categorical column with more than max_one_hot categories
  bool missing_numbers = false;   // a numeric column with a missing value
  std::size_t numeric = 0;        // numeric (integer/float) columns
};
DataTraits describe_data(const data::Table& table, const std::string& target, std::span<const std::size_t> rows,
                         const PipelineOptions& options = {});

class Pipeline {
 public:
  Pipeline();
  ~Pipeline();
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;

  // Learns every step from `rows` of `table` (all rows when empty), excluding `target`, and
  // returns the training matrix. Notices (dropped columns, ...) go to `issues` when given.
  static Pipeline fit(const data::Table& table, const std::string& target, std::span<const std::size_t> rows,
                      const TargetView& y, const PipelineOptions& options, FeatureMatrix* train_matrix,
                      IssueLog* issues = nullptr);

  // The matrix of `rows` of `table` (all rows when empty).
  FeatureMatrix transform(const data::Table& table, std::span<const std::size_t> rows = {}) const;

  const std::vector<FeatureInfo>& features() const;
  const std::vector<StepRecord>& records() const;
  // Each output feature's original columns, for mapping importances back.
  std::map<std::string, std::vector<std::size_t>> features_by_source() const;

  nlohmann::json to_json() const;
  static Pipeline from_json(const nlohmann::json& j);  // Error(BadInput) on a foreign document

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace glasswing::features
