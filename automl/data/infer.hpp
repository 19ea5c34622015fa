#pragma once
// Type inference (internal to automl/data): decides a column's semantic type from its parsed
// values and the evidence the CSV reader gathered while parsing.

#include <optional>

#include "automl/data/table.hpp"

namespace glasswing::data::detail {

struct ColumnEvidence {
  bool quoted_numeric_codes = false;  // numeric-looking values that the writer quoted as text
  bool leading_zero_codes = false;    // numeric-looking values with leading zeros ("007")
  bool datetime = false;              // parsed as ISO 8601 date/datetime
  bool has_time = false;              // some datetime value has a time of day
  std::optional<ColumnType> forced;   // the user's override
};

// Sets column.type() and its reason.
void infer_column_type(Column& column, const ColumnEvidence& evidence);

}  // namespace glasswing::data::detail
