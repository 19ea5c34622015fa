#pragma once
// Pruners: decide from a running trial's intermediate values whether to stop it early, with
// Optuna 3.1's algorithms and defaults (OPTUNA-COMPAT.md section 5; logic unchanged to HEAD):
// NopPruner, PercentilePruner (MedianPruner = percentile 50), SuccessiveHalvingPruner and
// HyperbandPruner. Their decisions equal Optuna's for the same study (a test replays the same
// reports through Python Optuna), and the state they keep in the store is Optuna's:
// SuccessiveHalving (also inside Hyperband) writes the trial system attribute
// "completed_rung_<k>" = the trial's last reported value when it reaches rung k (a JSON float),
// so a study pruned here can be continued by Python Optuna with the same pruner and vice versa.
// Hyperband's bracket is not stored (neither does Optuna): it is
// crc32("<study name>_<trial number>") walked through the brackets' budgets.
// (Optuna 3.1 on an RDB URL counts a trial's own rung value twice through its storage cache;
// Optuna 3.1 in memory and >= 3.2 do not, nor do we: see docs/SEARCH.md.)
//
// Registry: make_pruner(name, options) with names none, median, percentile,
// successive_halving, hyperband; an unknown name, an unknown option key, a wrongly typed or
// out-of-range option throws Error(ErrorKind::Usage) listing the valid ones.
//
// State and threads: like Optuna's, SuccessiveHalving with min_resource "auto" and Hyperband
// with max_resource "auto" fix that value the first time they see a COMPLETE trial with
// reports, and keep it for the pruner object's life (a new process estimates it afresh).
// prune() may be called from several threads (an internal mutex guards that state).
// Single-objective studies only (Study enforces it).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "automl/search/json.hpp"
#include "automl/search/storage.hpp"
#include "automl/search/trial.hpp"

namespace glasswing::search {

// What a pruner sees of a study: its name and direction, its trials (all of them, or those a
// filter keeps: Hyperband's bracket study) and the storage it writes system attributes to.
class PrunerStudy {
 public:
  using Filter = std::function<bool(const FrozenTrial&)>;
  PrunerStudy(Storage& storage, std::int64_t study_id, std::string name, StudyDirection direction,
              Filter filter = {});

  Storage& storage() const noexcept { return *storage_; }
  std::int64_t study_id() const noexcept { return study_id_; }
  const std::string& name() const noexcept { return name_; }
  StudyDirection direction() const noexcept { return direction_; }
  // The visible trials ordered by number, optionally only those in `states`.
  std::vector<FrozenTrial> trials(const std::optional<std::vector<TrialState>>& states = std::nullopt) const;
  // The same study seen through an additional filter.
  PrunerStudy restricted(Filter filter) const;

 private:
  Storage* storage_;
  std::int64_t study_id_;
  std::string name_;
  StudyDirection direction_;
  Filter filter_;
};

class Pruner {
 public:
  virtual ~Pruner() = default;
  virtual std::string_view name() const = 0;
  // Whether `trial` (a fresh snapshot with its reports) should be pruned now. May write system
  // attributes of `trial` (SuccessiveHalving's rungs).
  virtual bool prune(const PrunerStudy& study, const FrozenTrial& trial) = 0;
  // Optuna's pruners._filter_study: removes from `trials` those a sampler must not see when it
  // samples for `trial` of study `study_name`. Only Hyperband removes any (other brackets).
  virtual void filter_for_sampler(const std::string& study_name, const FrozenTrial& trial,
                                  std::vector<FrozenTrial>& trials) const;
};

// Never prunes (Optuna's NopPruner).
class NopPruner final : public Pruner {
 public:
  std::string_view name() const override { return "none"; }
  bool prune(const PrunerStudy& study, const FrozenTrial& trial) override;
};

struct PercentileOptions {
  double percentile = 50;   // in [0, 100]: trials worse than this percentile are pruned
  int n_startup_trials = 5;  // no pruning until this many COMPLETE trials
  std::int64_t n_warmup_steps = 0;
  std::int64_t interval_steps = 1;
  int n_min_trials = 1;  // COMPLETE trials that reported the current step, at least
};

// Optuna's PercentilePruner; MedianPruner is percentile 50 (name() says "median" then).
class PercentilePruner final : public Pruner {
 public:
  // Throws Error(Usage) for out-of-range options.
  explicit PercentilePruner(PercentileOptions options = {}, bool median = false);
  std::string_view name() const override { return median_ ? "median" : "percentile"; }
  bool prune(const PrunerStudy& study, const FrozenTrial& trial) override;
  const PercentileOptions& options() const noexcept { return options_; }

 private:
  PercentileOptions options_;
  bool median_;
};

struct SuccessiveHalvingOptions {
  std::optional<std::int64_t> min_resource;  // nullopt = "auto"
  std::int64_t reduction_factor = 4;
  std::int64_t min_early_stopping_rate = 0;
  std::int64_t bootstrap_count = 0;
};

// Optuna's SuccessiveHalvingPruner (asynchronous successive halving).
class SuccessiveHalvingPruner final : public Pruner {
 public:
  // Throws Error(Usage) for out-of-range options (and bootstrap_count > 0 with "auto").
  explicit SuccessiveHalvingPruner(SuccessiveHalvingOptions options = {});
  std::string_view name() const override { return "successive_halving"; }
  bool prune(const PrunerStudy& study, const FrozenTrial& trial) override;
  const SuccessiveHalvingOptions& options() const noexcept { return options_; }
  // The min_resource in use: the option, or the "auto" estimate once made.
  std::optional<std::int64_t> min_resource() const;

 private:
  SuccessiveHalvingOptions options_;
  mutable std::mutex mutex_;
  std::optional<std::int64_t> min_resource_;
};

struct HyperbandOptions {
  std::int64_t min_resource = 1;
  std::optional<std::int64_t> max_resource;  // nullopt = "auto"
  std::int64_t reduction_factor = 3;
  std::int64_t bootstrap_count = 0;
};

// Optuna's HyperbandPruner: brackets of SuccessiveHalving pruners (min_early_stopping_rate =
// bracket id), each seeing only the trials of its own bracket; the sampler, too, sees only the
// current trial's bracket (filter_for_sampler). Until it is initialised (max_resource known)
// it never prunes and filters nothing, as Optuna.
class HyperbandPruner final : public Pruner {
 public:
  explicit HyperbandPruner(HyperbandOptions options = {});
  std::string_view name() const override { return "hyperband"; }
  bool prune(const PrunerStudy& study, const FrozenTrial& trial) override;
  void filter_for_sampler(const std::string& study_name, const FrozenTrial& trial,
                          std::vector<FrozenTrial>& trials) const override;
  const HyperbandOptions& options() const noexcept { return options_; }
  // The number of brackets and the bracket of a trial number; nullopt before initialisation.
  std::optional<int> n_brackets() const;
  std::optional<int> bracket_of(const std::string& study_name, std::int64_t trial_number) const;

 private:
  // Fixed at initialisation, then shared read-only (also by the bracket filters).
  struct Layout {
    std::vector<std::int64_t> budgets;  // per bracket
    std::int64_t total = 0;
    int bracket_of(const std::string& study_name, std::int64_t trial_number) const;
  };
  void try_initialise(const PrunerStudy& study);  // the caller holds mutex_

  HyperbandOptions options_;
  mutable std::mutex mutex_;
  std::optional<std::int64_t> max_resource_;
  std::shared_ptr<const Layout> layout_;  // null until initialised
  std::vector<std::unique_ptr<SuccessiveHalvingPruner>> brackets_;
};

// Registry. options: a JSON object (null = {}):
//   none: {}
//   median: {n_startup_trials, n_warmup_steps, interval_steps, n_min_trials}
//   percentile: {percentile (required), n_startup_trials, n_warmup_steps, interval_steps, n_min_trials}
//   successive_halving: {min_resource ("auto" or int >= 1), reduction_factor, min_early_stopping_rate, bootstrap_count}
//   hyperband: {min_resource, max_resource ("auto" or int), reduction_factor, bootstrap_count}
std::unique_ptr<Pruner> make_pruner(std::string_view name, const Json& options = Json::object());
std::vector<std::string> pruner_names();

namespace detail {
// numpy.nanpercentile(values, q) with the default linear method, bit for bit (NaNs dropped; NaN
// when none is left; numpy's lerp, so e.g. an interpolation touching inf may give NaN).
double nanpercentile(std::vector<double> values, double q);
// zlib's crc32 (Python's binascii.crc32).
std::uint32_t crc32(std::string_view bytes) noexcept;
}  // namespace detail

}  // namespace glasswing::search
