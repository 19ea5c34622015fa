#pragma once
// Study: ask/tell and an optimise loop over a Storage and a Sampler (Optuna's Study and Trial).
//
// - ask() pops the oldest WAITING (enqueued) trial or creates a RUNNING one; its parameters come
//   from "fixed_params" (enqueued), else from the sampler.
// - tell() finishes a trial: COMPLETE needs one value per direction; a NaN value makes it FAIL
//   (as Optuna); PRUNED stores the last intermediate value unless it is NaN; FAIL stores none.
// - optimize() runs ask -> objective -> tell until n_trials, the timeout, or the CancelToken.
//   An exception from the objective makes the trial FAIL with its message in the system
//   attribute "fail_reason" (Optuna 2.x's key), and the loop goes on; throwing TrialPruned
//   makes it PRUNED. Storage failures stop the loop and are rethrown.
// - Pruning: a study has a pruner (default none; see pruner.hpp); Trial::should_prune() asks it
//   with the trial's reports so far. With Hyperband the sampler sees only the trials of the
//   current trial's bracket (Optuna's _filter_study), applied to the trial's history snapshot.
// - Heartbeats: with OptimizeOptions::heartbeat_interval on a storage that has them (SQLite,
//   PostgreSQL), optimize() records the running trial's heartbeat from a background thread every
//   interval while the objective runs, and fails stale trials (heartbeat older than the grace
//   period, e.g. of a killed worker) before each new trial, as Optuna's _run_trial.
//
// Thread safety: a Study may be used from several threads (optimize's n_jobs does so); a Trial
// handle belongs to the thread that asked for it. Errors: glasswing::Error.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "automl/common/cancel.hpp"
#include "automl/search/pruner.hpp"
#include "automl/search/sampler.hpp"
#include "automl/search/storage.hpp"

namespace glasswing::search {

// Thrown by an objective to prune its trial (Optuna's TrialPruned).
class TrialPruned : public std::runtime_error {
 public:
  TrialPruned() : std::runtime_error("trial pruned") {}
};

inline constexpr const char* kFailReasonKey = "fail_reason";
inline constexpr const char* kFixedParamsKey = "fixed_params";

class Study;

// A running trial, handed to the objective.
class Trial {
 public:
  std::int64_t trial_id() const noexcept { return trial_id_; }
  std::int64_t number() const noexcept { return number_; }

  double suggest_float(const std::string& name, double low, double high, bool log = false,
                       std::optional<double> step = std::nullopt);
  std::int64_t suggest_int(const std::string& name, std::int64_t low, std::int64_t high, bool log = false,
                           std::int64_t step = 1);
  Json suggest_categorical(const std::string& name, std::vector<Json> choices);
  // Reports an intermediate value (single-objective studies only).
  void report(double value, std::int64_t step);
  // Whether the study's pruner would prune this trial now, given its reports (Optuna's
  // should_prune; the caller then throws TrialPruned). Single-objective studies only (Usage).
  bool should_prune();
  void set_user_attr(const std::string& key, const Json& value);
  // The params suggested so far (external values).
  const std::map<std::string, Json>& params() const noexcept { return params_; }

 private:
  friend class Study;
  Trial(Study& study, std::int64_t trial_id, std::int64_t number, Json fixed_params);
  Json suggest(const std::string& name, const Distribution& d);

  Study* study_;
  std::int64_t trial_id_;
  std::int64_t number_;
  Json fixed_params_;
  // The study's trials, read at the first sampled param; handed back to the study by tell()
  // (history_reusable_: not filtered by the pruner) so that the next trial refreshes it rather
  // than copying every finished trial again.
  mutable std::optional<std::vector<FrozenTrial>> history_;
  std::uint64_t snapshot_id_ = 0;  // SamplingContext::snapshot_id of history_: unique per snapshot taken
  bool history_reusable_ = false;
  std::optional<std::map<std::string, double>> relative_params_;  // sampler's joint values (internal), once
  SearchSpace relative_space_;
  std::map<std::string, Json> params_;
  std::map<std::string, Distribution> distributions_;
};

struct OptimizeOptions {
  std::optional<std::int64_t> n_trials;                 // nullopt: until timeout or cancel
  std::optional<std::chrono::duration<double>> timeout;  // checked before each new trial
  int n_jobs = 1;                                       // worker threads
  const CancelToken* cancel = nullptr;
  std::vector<std::function<void(const FrozenTrial&)>> callbacks;  // after each finished trial
  // Heartbeats (storages with has_heartbeats(); ignored by the in-memory storage): record the
  // running trial's heartbeat every interval, and before each new trial fail the RUNNING trials
  // whose heartbeat is older than grace_period (default 2 x interval, as Optuna). Both > 0.
  std::optional<std::chrono::seconds> heartbeat_interval;
  std::optional<std::chrono::seconds> grace_period;
};

struct OptimizeReport {
  std::int64_t n_trials = 0;  // trials run by this call
  std::int64_t n_complete = 0, n_pruned = 0, n_failed = 0;
  bool timed_out = false;
  bool cancelled = false;
  std::int64_t n_stale_failed = 0;  // other workers' stale trials this call set to FAIL
};

class Study {
 public:
  using Objective = std::function<std::vector<double>(Trial&)>;
  using SingleObjective = std::function<double(Trial&)>;

  // Creates a study (Error(Storage) if the name exists) or loads an existing one. A null
  // pruner means none (NopPruner).
  static Study create(std::shared_ptr<Storage> storage, const std::string& name,
                      const std::vector<StudyDirection>& directions, std::shared_ptr<Sampler> sampler,
                      std::shared_ptr<Pruner> pruner = nullptr);
  static Study load(std::shared_ptr<Storage> storage, const std::string& name, std::shared_ptr<Sampler> sampler,
                    std::shared_ptr<Pruner> pruner = nullptr);

  std::int64_t study_id() const noexcept { return study_id_; }
  const std::string& name() const noexcept { return name_; }
  const std::vector<StudyDirection>& directions() const noexcept { return directions_; }
  Storage& storage() const noexcept { return *storage_; }
  Sampler& sampler() const noexcept { return *sampler_; }
  Pruner& pruner() const noexcept { return *pruner_; }

  Trial ask();
  FrozenTrial tell(const Trial& trial, TrialState state, std::optional<std::vector<double>> values = std::nullopt);
  FrozenTrial tell(const Trial& trial, double value) { return tell(trial, TrialState::Complete, std::vector{value}); }
  // Adds a WAITING trial whose params are fixed (external values), popped first by ask().
  void enqueue_trial(const std::map<std::string, Json>& params, const std::map<std::string, Json>& user_attrs = {});

  OptimizeReport optimize(const Objective& objective, const OptimizeOptions& options);
  OptimizeReport optimize(const SingleObjective& objective, const OptimizeOptions& options);

  std::vector<FrozenTrial> trials(const std::optional<std::vector<TrialState>>& states = std::nullopt) const;
  FrozenTrial best_trial() const;

 private:
  friend class Trial;
  Study(std::shared_ptr<Storage> storage, std::shared_ptr<Sampler> sampler, std::shared_ptr<Pruner> pruner,
        std::int64_t id);

  std::shared_ptr<Storage> storage_;
  std::shared_ptr<Sampler> sampler_;
  std::shared_ptr<Pruner> pruner_;  // never null
  // A trial history kept between trials (Trial::suggest takes it, Study::tell gives it back;
  // empty while taken). Shared by copies of this Study (same study, same storage).
  struct HistoryCache {
    std::mutex mutex;
    std::vector<FrozenTrial> trials;
  };
  std::shared_ptr<HistoryCache> history_cache_ = std::make_shared<HistoryCache>();
  std::int64_t study_id_;
  std::string name_;
  std::vector<StudyDirection> directions_;
};

}  // namespace glasswing::search
