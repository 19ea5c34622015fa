#pragma once
// Fairness by a chosen column (panel P9): per-group selection rate, TPR, FPR, accuracy and the
// disparate impact ratio against the most favoured group (the highest selection rate among
// groups large enough to judge).
//
// Inputs: class indices y_true and y_pred (binary: `positive` is the favourable outcome, every
// other index is negative), one row each, aligned with the table's rows or with `groups`.
// Groups: a categorical column's values; a numeric column with at most 10 distinct values is
// grouped by value, otherwise by quartile (numpy's linear quantiles of the column); missing
// cells form the group "(missing)". Groups are listed largest first (ties: name order).
//
// Bad input that the report must survive is not an exception: a column that does not exist,
// groups smaller than min_group_size, a group without actual positives or negatives (its TPR or
// FPR is NaN), no group large enough to pick a reference — each gives a notice in `notices` and
// `available` says whether any numbers exist. Rows whose lengths differ from the table's throw
// glasswing::Error(BadInput). Thread safety: pure functions. JSON: to_json; NaN serialises as null.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "automl/data/table.hpp"

namespace glasswing::transparency {

struct FairnessOptions {
  std::size_t min_group_size = 30;  // smaller groups are reported but flagged too_small
  std::size_t max_groups = 20;      // categorical values beyond the largest max_groups form "(other)"
};

struct GroupMetrics {
  std::string group;
  std::size_t rows = 0;
  std::size_t actual_positive = 0, predicted_positive = 0;
  double selection_rate = 0.0;     // predicted positive / rows
  double tpr = 0.0;                // true positive rate (recall); NaN without actual positives
  double fpr = 0.0;                // false positive rate; NaN without actual negatives
  double accuracy = 0.0;
  double disparate_impact = 0.0;   // selection_rate / the reference group's; NaN without a reference
  bool too_small = false;          // rows < min_group_size: numbers are shown but unreliable
};

struct FairnessReport {
  std::string column;
  bool available = false;            // false: no numbers, see notices
  std::string reference_group;       // the most favoured group (highest selection rate, not too small)
  double min_disparate_impact = 0.0; // over groups that are not too small; NaN when none; < 0.8 fails the four-fifths rule
  std::vector<GroupMetrics> groups;
  std::vector<std::string> notices;  // one sentence each
};

FairnessReport fairness(const data::Table& table, std::string_view column, std::span<const std::int32_t> y_true,
                        std::span<const std::int32_t> y_pred, std::int32_t positive = 1,
                        const FairnessOptions& options = {});
// The same with a group label per row (already computed).
FairnessReport fairness_by_groups(std::string_view column, std::span<const std::string> groups,
                                  std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred,
                                  std::int32_t positive = 1, const FairnessOptions& options = {});

void to_json(nlohmann::json& j, const GroupMetrics& v);
void to_json(nlohmann::json& j, const FairnessReport& v);

}  // namespace glasswing::transparency
