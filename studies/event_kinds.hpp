#pragma once
// The event kinds of a study log and the fields of each kind's payload: one table that drives
// payload validation, the export columns and the export's data dictionary (docs/STUDIES.md).

#include <string>
#include <string_view>
#include <vector>

namespace glasswing::studies {

enum class FieldType {
  String,      // UTF-8 text
  Integer,     // 64-bit integer
  Number,      // integer or floating point
  Boolean,     // true / false
  Enum,        // one of `values`
  Panel,       // P1..P11, and shown in the participant's condition
  Rating,      // integer on the protocol's scale (decision scale or the questionnaire item's)
  StringList,  // array of strings (exported as a JSON text column in CSV)
  Json,        // any JSON value (exported as JSON text)
};

std::string_view to_string(FieldType type) noexcept;

struct FieldSpec {
  std::string name;
  FieldType type;
  bool required;
  bool system;  // filled in by the log (clients may not supply it)
  std::string description;
  std::vector<std::string> values;  // Enum only
};

struct KindSpec {
  std::string kind;
  std::string description;
  std::vector<FieldSpec> fields;
  const FieldSpec* find(std::string_view field) const;
};

// All kinds, in a stable order (the export writes one table per kind in this order).
const std::vector<KindSpec>& event_kinds();
// nullptr when unknown.
const KindSpec* find_kind(std::string_view kind);
// "session_start, session_end, ..." for error messages.
std::string kind_names();

}  // namespace glasswing::studies
