#pragma once
// Validation splits for a run: how candidates are scored without touching the test file.
//
// choose_validation() picks the scheme from the data (PRODUCT.md: "stratified k-fold CV or
// holdout by data size", overridable), and make_folds() produces the row indices:
//   - k-fold, stratified for classification (each fold keeps the class shares);
//   - group k-fold when the user names a group column (a group never straddles train and
//     validation);
//   - time-ordered folds when the user names a time column (each validation block comes after
//     all of its training rows: an expanding window);
//   - holdout (one stratified split) for large data, where k fits would cost too much.
// Deterministic given the seed. Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace glasswing::engine {

enum class ValidationKind { KFold, StratifiedKFold, GroupKFold, TimeOrdered, Holdout };
std::string_view to_string(ValidationKind kind) noexcept;

struct ValidationRequest {
  std::size_t rows = 0;
  bool classification = false;
  std::optional<int> cv;                 // the user's --cv K (K >= 2), or none
  std::optional<double> holdout;         // the user's holdout fraction in (0, 1), or none
  bool group_column = false;             // the user named a group column
  bool time_column = false;              // the user named a time column
};

struct ValidationPlan {
  ValidationKind kind = ValidationKind::StratifiedKFold;
  std::size_t folds = 5;          // 1 for holdout
  double holdout_fraction = 0.0;  // share of rows held out, for holdout
  std::string reason;             // one sentence for the run manifest and the report
};

// Throws Error(Usage) for contradictory or impossible requests (cv < 2, cv > rows, cv with
// holdout, group and time together), naming the flag and the remedy.
ValidationPlan choose_validation(const ValidationRequest& request);

struct Fold {
  std::vector<std::size_t> train;  // sorted row indices
  std::vector<std::size_t> valid;  // sorted row indices
};

struct FoldInputs {
  std::span<const std::int32_t> classes;  // class index per row (stratification), or empty
  std::span<const std::int32_t> groups;   // group code per row (group k-fold), or empty
  std::span<const double> times;          // time per row (time-ordered), or empty
};

// The folds of `plan` over `rows` rows. Throws Error(BadInput) when the data cannot support the
// plan (fewer groups than folds, a missing time, too few rows), naming the remedy.
std::vector<Fold> make_folds(const ValidationPlan& plan, std::size_t rows, const FoldInputs& inputs,
                             std::uint64_t seed);

}  // namespace glasswing::engine
