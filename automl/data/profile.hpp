#pragma once
// Per-column profiles and the target summary: the content of the data panel (P4) and of
// `glasswing inspect`. Plain data; no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "automl/data/table.hpp"

namespace glasswing::data {

struct HistogramBin {
  double low = 0.0;   // inclusive
  double high = 0.0;  // exclusive, except for the last bin
  std::size_t count = 0;
};

struct CategoryCount {
  std::string value;
  std::size_t count = 0;
};

struct ColumnProfile {
  std::string name;
  ColumnType type = ColumnType::Float;
  std::string type_reason;
  std::size_t count = 0;     // non-missing cells
  std::size_t missing = 0;
  std::size_t distinct = 0;  // distinct non-missing values
  // Numeric, datetime and date columns (datetime/date in seconds since the epoch).
  std::optional<double> min, max, mean, std;  // std: sample standard deviation (n-1)
  std::vector<HistogramBin> histogram;        // equal-width bins over [min, max]
  // Dictionary columns: the most frequent values, most frequent first (ties: first seen first).
  std::vector<CategoryCount> top;
};

struct ProfileOptions {
  std::size_t top_k = 10;
  std::size_t bins = 20;
};

ColumnProfile profile_column(const Column& column, const ProfileOptions& options = {});
std::vector<ColumnProfile> profile_table(const Table& table, const ProfileOptions& options = {});

enum class Task { Binary, Multiclass, Regression };
std::string_view to_string(Task task) noexcept;

struct TargetSummary {
  std::string name;
  Task task = Task::Regression;
  std::size_t missing = 0;  // rows whose target is missing (they are dropped for training)
  // Classification: every class with its count, most frequent first; minority share in [0, 1].
  std::vector<CategoryCount> classes;
  double minority_share = 0.0;
  // Regression: the range and moments of the target.
  std::optional<double> min, max, mean, std;
  std::string reason;  // why this task was inferred
};

// Infers the task of `target`. Throws Error(BadInput) naming the column and the remedy when the
// target does not exist (listing close names), is entirely missing, or is constant.
TargetSummary analyze_target(const Table& table, std::string_view target);

}  // namespace glasswing::data
