#pragma once
// The study/trial model, as Optuna defines it (OPTUNA-COMPAT.md section 3).
//
// FrozenTrial is an immutable snapshot: storages return copies, never references into their
// state, so a snapshot can be handed to another thread and read without locks.
// Datetimes are naive wall-clock times with microsecond resolution, exactly what Optuna stores
// (writer-local time up to Optuna 4.9, UTC from 5.0; the file does not say which).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "automl/search/distributions.hpp"
#include "automl/search/json.hpp"

namespace glasswing::search {

// Stored by member name: RUNNING, COMPLETE, PRUNED, FAIL, WAITING.
enum class TrialState { Running, Complete, Pruned, Fail, Waiting };
// Stored by member name: NOT_SET, MINIMIZE, MAXIMIZE.
enum class StudyDirection { NotSet, Minimize, Maximize };

std::string_view to_string(TrialState s) noexcept;
std::string_view to_string(StudyDirection d) noexcept;
// Throw Error(BadInput) listing the valid names for an unknown string.
TrialState trial_state_from_string(std::string_view s);
StudyDirection study_direction_from_string(std::string_view s);
// COMPLETE, PRUNED and FAIL are finished: such a trial never changes again.
bool is_finished(TrialState s) noexcept;

// A naive (zone-less) timestamp, microseconds.
using DateTime = std::chrono::time_point<std::chrono::local_t, std::chrono::microseconds>;
// "YYYY-MM-DD HH:MM:SS.ffffff" (always six fraction digits), as SQLAlchemy writes DATETIME.
std::string format_datetime(DateTime t);
// Accepts "YYYY-MM-DD HH:MM:SS[.f{1,6}]" and "YYYY-MM-DDTHH:MM:SS..."; throws BadInput otherwise.
DateTime parse_datetime(std::string_view text);
// The writer's local wall-clock time (Optuna <= 4.9) or UTC (Optuna 5.0).
DateTime now_local();
DateTime now_utc();

struct FrozenTrial {
  std::int64_t trial_id = -1;  // storage-wide id, strictly increasing
  std::int64_t number = -1;    // 0-based, dense within the study
  TrialState state = TrialState::Running;
  std::optional<std::vector<double>> values;  // one per objective; nullopt = none stored
  std::optional<DateTime> datetime_start;
  std::optional<DateTime> datetime_complete;
  std::map<std::string, Json> params;  // external values
  std::map<std::string, Distribution> distributions;
  std::map<std::string, Json> user_attrs;
  std::map<std::string, Json> system_attrs;
  std::map<std::int64_t, double> intermediate_values;  // step -> value (NaN and +-inf allowed)

  // The single objective value; throws Error(Usage) for multi-objective or missing values.
  double value() const;
  // The last reported step, if any.
  std::optional<std::int64_t> last_step() const;
  // Internal (stored) value of a param; throws Error(Usage) for an unknown name.
  double internal_param(const std::string& name) const;
};

struct StudyInfo {
  std::int64_t study_id = -1;
  std::string name;
  std::vector<StudyDirection> directions;
  std::map<std::string, Json> user_attrs;
  std::map<std::string, Json> system_attrs;
};

}  // namespace glasswing::search
