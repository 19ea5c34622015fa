#pragma once
// The storage of studies and trials: one interface, several implementations (in-memory, SQLite in
// Optuna's exact schema). The operations and their semantics follow Optuna's BaseStorage.
//
// Contract, for every implementation:
// - Thread safety: every method may be called from any thread at any time.
// - Ids: study and trial ids are assigned by the storage; trial ids strictly increase.
//   A trial's `number` is 0-based and dense within its study, assigned atomically with its
//   creation (no duplicates, nothing lost, also across processes for SQLite).
// - Finished trials (COMPLETE, PRUNED, FAIL) never change: any update throws
//   UpdateFinishedTrialError and leaves the trial untouched.
// - Snapshots: get_trial / get_all_trials return copies (FrozenTrial) that never change.
// - Errors: glasswing::Error; ErrorKind::Storage for store problems (unknown id, duplicate study
//   name, I/O), ErrorKind::Usage for misuse (incompatible distribution, NaN objective value).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "automl/common/error.hpp"
#include "automl/search/trial.hpp"

namespace glasswing::search {

// Thrown when a finished trial would be modified (Optuna's UpdateFinishedTrialError).
class UpdateFinishedTrialError : public Error {
 public:
  explicit UpdateFinishedTrialError(const std::string& message) : Error(ErrorKind::Usage, message) {}
};

class Storage {
 public:
  virtual ~Storage() = default;

  // ---- studies
  // Creates a study with one direction per objective. Throws Storage if the name exists.
  virtual std::int64_t create_new_study(const std::vector<StudyDirection>& directions, const std::string& name) = 0;
  // Deletes the study and everything that belongs to it.
  virtual void delete_study(std::int64_t study_id) = 0;
  virtual void set_study_user_attr(std::int64_t study_id, const std::string& key, const Json& value) = 0;
  virtual void set_study_system_attr(std::int64_t study_id, const std::string& key, const Json& value) = 0;
  // Throws Storage naming the study when it does not exist.
  virtual std::int64_t get_study_id_from_name(const std::string& name) = 0;
  virtual StudyInfo get_study(std::int64_t study_id) = 0;
  virtual std::vector<StudyInfo> get_all_studies() = 0;

  // ---- trials
  // Creates a RUNNING trial (start = now), or a copy of `templ` (state, values, params, attrs,
  // intermediate values and datetimes; its id and number are ignored; see
  // detail::check_template for what is refused). Returns the trial id.
  virtual std::int64_t create_new_trial(std::int64_t study_id, const FrozenTrial* templ = nullptr) = 0;
  // Sets a param by its internal value. Throws Usage if the distribution is incompatible with
  // the first one stored under that name in the study, or the value lies outside it.
  virtual void set_trial_param(std::int64_t trial_id, const std::string& name, double internal_value,
                               const Distribution& distribution) = 0;
  // Moves the trial to `state` and stores `values` (if given; none may be NaN).
  // Setting RUNNING succeeds only from WAITING and returns false otherwise (popping an
  // enqueued trial). Finished states set datetime_complete; RUNNING sets datetime_start.
  virtual bool set_trial_state_values(std::int64_t trial_id, TrialState state,
                                      const std::optional<std::vector<double>>& values = std::nullopt) = 0;
  // Reports an intermediate value (NaN and +-inf allowed); a step reported twice is overwritten.
  virtual void set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step, double value) = 0;
  virtual void set_trial_user_attr(std::int64_t trial_id, const std::string& key, const Json& value) = 0;
  virtual void set_trial_system_attr(std::int64_t trial_id, const std::string& key, const Json& value) = 0;

  virtual FrozenTrial get_trial(std::int64_t trial_id) = 0;
  // All trials of the study ordered by number, optionally only those in `states`.
  virtual std::vector<FrozenTrial> get_all_trials(std::int64_t study_id,
                                                  const std::optional<std::vector<TrialState>>& states = std::nullopt) = 0;

  // ---- heartbeats (Optuna's RDBStorage.record_heartbeat and fail_stale_trials; RDB storages only)
  // Whether the two calls below work (false: they throw Usage). Study::optimize asks.
  virtual bool has_heartbeats() const noexcept { return false; }
  // Upserts the trial's trial_heartbeats row with the database clock's now. The default throws
  // Usage (the in-memory storage has no heartbeats, as Optuna's).
  virtual void record_heartbeat(std::int64_t trial_id);
  // Sets FAIL (with datetime_complete) on the study's RUNNING trials whose heartbeat is older than
  // `grace` by the database clock; RUNNING trials without a heartbeat row are left alone (as
  // Optuna). Returns the ids of the trials it failed. The default throws Usage.
  virtual std::vector<std::int64_t> fail_stale_trials(std::int64_t study_id, std::chrono::seconds grace);

  // ---- derived (implemented on top of the above; implementations may override)
  virtual std::int64_t get_trial_id_from_study_id_trial_number(std::int64_t study_id, std::int64_t number);
  virtual std::int64_t get_n_trials(std::int64_t study_id,
                                    const std::optional<std::vector<TrialState>>& states = std::nullopt);
  // Best COMPLETE trial of a single-objective study (+-inf ordered as numbers, unlike Optuna
  // 3.1 on SQLite). Throws Usage when there is none or the study has several objectives.
  virtual FrozenTrial get_best_trial(std::int64_t study_id);
  // Makes `trials` equal to get_all_trials(study_id), reusing its entries of finished trials
  // (same trial_id at the same position; finished trials never change) instead of copying them
  // again: a caller that keeps the vector between calls pays for the new and unfinished trials
  // only. `trials` may hold anything (e.g. empty). The default reads everything.
  virtual void refresh_trials(std::int64_t study_id, std::vector<FrozenTrial>& trials);
};

// Helpers shared by the implementations.
namespace detail {
// A trial's row as the database holds it now: what the finished-trial caches compare with.
struct TrialRowKey {
  std::int64_t id = -1;
  std::int64_t number = -1;
  std::string state;
  std::optional<DateTime> start;
};
// The study's trials (rows ordered by id) from the cache of finished snapshots where the row still
// says the same (an id reused after a deletion elsewhere does not match), loading the rest with
// `load_from(first_uncached_id)`, which returns the trials whose id is at least that; finished
// ones are added to the cache. Then keeps only `states`, when given.
std::vector<FrozenTrial> merge_with_finished_cache(
    const std::vector<TrialRowKey>& rows, std::map<std::int64_t, FrozenTrial>& cache,
    const std::function<std::vector<FrozenTrial>(std::int64_t)>& load_from,
    const std::optional<std::vector<TrialState>>& states);
// Throws UpdateFinishedTrialError when `state` is finished.
void check_trial_is_updatable(std::int64_t trial_number, TrialState state);
// Throws Usage when any value is NaN.
void check_values(const std::vector<double>& values);
// Validates a create_new_trial template (Usage errors): no NaN value; params and distributions
// name the same parameters; every value is representable in and contained by its distribution.
void check_template(const FrozenTrial& templ);
}  // namespace detail

}  // namespace glasswing::search
