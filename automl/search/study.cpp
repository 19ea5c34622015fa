#include "automl/search/study.hpp"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace glasswing::search {

// ------------------------------------------------------------------------------------ Trial
Trial::Trial(Study& study, std::int64_t trial_id, std::int64_t number, Json fixed_params)
    : study_(&study), trial_id_(trial_id), number_(number), fixed_params_(std::move(fixed_params)) {}

Json Trial::suggest(const std::string& name, const Distribution& d) {
  if (const auto it = distributions_.find(name); it != distributions_.end()) {
    check_distribution_compatibility(name, it->second, d);
    return params_.at(name);  // a param is suggested once per trial
  }
  double internal = 0;
  if (fixed_params_.is_object() && fixed_params_.contains(name)) {
    internal = to_internal(d, fixed_params_[name]);
  } else {
    // One snapshot of the history per trial: samplers look at the other trials only, and
    // re-reading it for every parameter would cost a full storage read each time.
    FrozenTrial current;
    current.trial_id = trial_id_;
    current.number = number_;
    if (!history_) {
      // The study's kept history (if no other trial holds it), refreshed: only new and
      // unfinished trials are read again (Storage::refresh_trials).
      std::vector<FrozenTrial> history;
      {
        std::lock_guard lock(study_->history_cache_->mutex);
        history.swap(study_->history_cache_->trials);
      }
      study_->storage_->refresh_trials(study_->study_id_, history);
      const std::size_t n = history.size();
      study_->pruner_->filter_for_sampler(study_->name_, current, history);  // Hyperband: own bracket only
      history_reusable_ = history.size() == n;  // the filter only removes trials
      history_ = std::move(history);
      static std::atomic<std::uint64_t> snapshots{0};
      snapshot_id_ = ++snapshots;  // history_ stays unchanged until tell() takes it back
    }
    current.params = params_;
    current.distributions = distributions_;
    const SamplingContext ctx{study_->directions_, *history_, current, snapshot_id_};
    if (!relative_params_) {  // relative (joint) sampling: once per trial, before its first sampled param
      relative_space_ = study_->sampler_->infer_relative_search_space(ctx);
      relative_params_ = relative_space_.empty() ? std::map<std::string, double>{}
                                                 : study_->sampler_->sample_relative(ctx, relative_space_);
    }
    const auto rel = relative_params_->find(name);
    bool use_relative = false;
    if (rel != relative_params_->end()) {
      check_distribution_compatibility(name, relative_space_.at(name), d);
      use_relative = contains(d, rel->second);  // as Optuna: a changed range falls back to independent
    }
    internal = use_relative ? rel->second : study_->sampler_->sample_independent(ctx, name, d);
  }
  study_->storage_->set_trial_param(trial_id_, name, internal, d);
  Json external = to_external(d, internal);
  params_[name] = external;
  distributions_.insert_or_assign(name, d);
  return external;
}

double Trial::suggest_float(const std::string& name, double low, double high, bool log, std::optional<double> step) {
  return suggest(name, make_float_distribution(low, high, log, step)).get<double>();
}

std::int64_t Trial::suggest_int(const std::string& name, std::int64_t low, std::int64_t high, bool log,
                                std::int64_t step) {
  return suggest(name, make_int_distribution(low, high, log, step)).get<std::int64_t>();
}

Json Trial::suggest_categorical(const std::string& name, std::vector<Json> choices) {
  return suggest(name, make_categorical_distribution(std::move(choices)));
}

void Trial::report(double value, std::int64_t step) {
  if (study_->directions_.size() != 1) {
    throw Error(ErrorKind::Usage, "report() is for single-objective studies; study '" + study_->name_ +
                                      "' has " + std::to_string(study_->directions_.size()) + " objectives");
  }
  if (step < 0) throw Error(ErrorKind::Usage, "report(): step must be >= 0, got " + std::to_string(step));
  study_->storage_->set_trial_intermediate_value(trial_id_, step, value);
}

bool Trial::should_prune() {
  if (study_->directions_.size() != 1) {
    throw Error(ErrorKind::Usage, "should_prune() is for single-objective studies; study '" + study_->name_ +
                                      "' has " + std::to_string(study_->directions_.size()) + " objectives");
  }
  const PrunerStudy view(*study_->storage_, study_->study_id_, study_->name_, study_->directions_.front());
  return study_->pruner_->prune(view, study_->storage_->get_trial(trial_id_));
}

void Trial::set_user_attr(const std::string& key, const Json& value) {
  study_->storage_->set_trial_user_attr(trial_id_, key, value);
}

// ------------------------------------------------------------------------------------ Study
Study::Study(std::shared_ptr<Storage> storage, std::shared_ptr<Sampler> sampler, std::shared_ptr<Pruner> pruner,
             std::int64_t id)
    : storage_(std::move(storage)), sampler_(std::move(sampler)), pruner_(std::move(pruner)), study_id_(id) {
  if (!sampler_) throw Error(ErrorKind::Usage, "a study needs a sampler; see make_sampler()");
  if (!pruner_) pruner_ = std::make_shared<NopPruner>();
  const auto info = storage_->get_study(id);
  name_ = info.name;
  directions_ = info.directions;
}

Study Study::create(std::shared_ptr<Storage> storage, const std::string& name,
                    const std::vector<StudyDirection>& directions, std::shared_ptr<Sampler> sampler,
                    std::shared_ptr<Pruner> pruner) {
  const auto id = storage->create_new_study(directions, name);
  return Study(std::move(storage), std::move(sampler), std::move(pruner), id);
}

Study Study::load(std::shared_ptr<Storage> storage, const std::string& name, std::shared_ptr<Sampler> sampler,
                  std::shared_ptr<Pruner> pruner) {
  const auto id = storage->get_study_id_from_name(name);
  return Study(std::move(storage), std::move(sampler), std::move(pruner), id);
}

Trial Study::ask() {
  for (const auto& t : storage_->get_all_trials(study_id_, std::vector{TrialState::Waiting})) {
    if (storage_->set_trial_state_values(t.trial_id, TrialState::Running)) {  // false: another worker took it
      const auto it = t.system_attrs.find(kFixedParamsKey);
      return Trial(*this, t.trial_id, t.number, it == t.system_attrs.end() ? Json::object() : it->second);
    }
  }
  const auto id = storage_->create_new_trial(study_id_);
  return Trial(*this, id, storage_->get_trial(id).number, Json::object());
}

FrozenTrial Study::tell(const Trial& trial, TrialState state, std::optional<std::vector<double>> values) {
  if (state == TrialState::Running || state == TrialState::Waiting) {
    throw Error(ErrorKind::Usage, "tell(): state must be COMPLETE, PRUNED or FAIL");
  }
  if (state == TrialState::Complete) {
    if (!values || values->size() != directions_.size()) {
      throw Error(ErrorKind::Usage, "tell(): study '" + name_ + "' needs " + std::to_string(directions_.size()) +
                                        " objective value(s) for a COMPLETE trial, got " +
                                        std::to_string(values ? values->size() : 0));
    }
    for (double v : *values) {
      if (std::isnan(v)) {
        storage_->set_trial_system_attr(trial.trial_id_, kFailReasonKey, "the objective returned NaN");
        state = TrialState::Fail;
        values.reset();
        break;
      }
    }
  } else if (state == TrialState::Pruned) {
    values.reset();
    const auto t = storage_->get_trial(trial.trial_id_);
    if (const auto last = t.last_step()) {
      const double v = t.intermediate_values.at(*last);
      if (!std::isnan(v)) values = std::vector{v};
    }
  } else {
    values.reset();
  }
  storage_->set_trial_state_values(trial.trial_id_, state, values);
  if (trial.history_ && trial.history_reusable_ && trial.study_ == this) {
    std::lock_guard lock(history_cache_->mutex);
    history_cache_->trials = std::move(*trial.history_);
  }
  trial.history_.reset();
  return storage_->get_trial(trial.trial_id_);
}

void Study::enqueue_trial(const std::map<std::string, Json>& params, const std::map<std::string, Json>& user_attrs) {
  FrozenTrial t;
  t.state = TrialState::Waiting;
  Json fixed = Json::object();
  for (const auto& [k, v] : params) fixed[k] = v;
  t.system_attrs[kFixedParamsKey] = fixed;
  t.user_attrs = user_attrs;
  storage_->create_new_trial(study_id_, &t);
}

namespace {
// Records a trial's heartbeat now and then every `interval` on its own thread (Optuna's
// heartbeat thread) until destroyed; the destructor wakes it at once (condition variable, no
// sleep to wait out) and joins it, also while an exception unwinds.
class HeartbeatThread {
 public:
  HeartbeatThread(Storage& storage, std::int64_t trial_id, std::chrono::seconds interval)
      : storage_(storage), trial_id_(trial_id), interval_(interval) {
    storage_.record_heartbeat(trial_id_);  // before the objective starts; errors reach optimize()
    thread_ = std::thread([this] { run(); });
  }
  ~HeartbeatThread() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  HeartbeatThread(const HeartbeatThread&) = delete;
  HeartbeatThread& operator=(const HeartbeatThread&) = delete;

 private:
  void run() noexcept {
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      try {
        storage_.record_heartbeat(trial_id_);
      } catch (...) {
        // A transient store error: the next interval tries again (the storages retry busy
        // databases themselves); a store that stays broken fails the trial's tell().
      }
      lock.lock();
    }
  }

  Storage& storage_;
  std::int64_t trial_id_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};
}  // namespace

OptimizeReport Study::optimize(const SingleObjective& objective, const OptimizeOptions& options) {
  return optimize(Objective([&](Trial& t) { return std::vector<double>{objective(t)}; }), options);
}

OptimizeReport Study::optimize(const Objective& objective, const OptimizeOptions& options) {
  if (options.n_jobs < 1) throw Error(ErrorKind::Usage, "optimize(): n_jobs must be >= 1");
  if (options.n_trials && *options.n_trials < 0) throw Error(ErrorKind::Usage, "optimize(): n_trials must be >= 0");
  if (options.heartbeat_interval && options.heartbeat_interval->count() <= 0) {
    throw Error(ErrorKind::Usage, "optimize(): heartbeat_interval must be >= 1 s, got " +
                                      std::to_string(options.heartbeat_interval->count()) + " s");
  }
  if (options.grace_period && !options.heartbeat_interval) {
    throw Error(ErrorKind::Usage, "optimize(): grace_period needs heartbeat_interval; set both or neither");
  }
  if (options.grace_period && options.grace_period->count() <= 0) {
    throw Error(ErrorKind::Usage, "optimize(): grace_period must be >= 1 s, got " +
                                      std::to_string(options.grace_period->count()) + " s");
  }
  // Optuna's RDBStorage(heartbeat_interval, grace_period): grace defaults to twice the interval.
  const bool heartbeats = options.heartbeat_interval && storage_->has_heartbeats();
  const std::chrono::seconds interval = options.heartbeat_interval.value_or(std::chrono::seconds(0));
  const std::chrono::seconds grace = options.grace_period.value_or(2 * interval);
  const auto start = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> started{0};
  std::mutex mutex;  // guards report, first_error and the callbacks
  OptimizeReport report;
  std::exception_ptr first_error;
  std::atomic<bool> stop{false};

  auto worker = [&] {
    while (!stop.load()) {
      if (options.cancel && options.cancel->cancelled()) {
        std::lock_guard lock(mutex);
        report.cancelled = true;
        return;
      }
      if (options.timeout && std::chrono::steady_clock::now() - start >= *options.timeout) {
        std::lock_guard lock(mutex);
        report.timed_out = true;
        return;
      }
      if (options.n_trials && started.fetch_add(1) >= *options.n_trials) return;
      try {
        if (heartbeats) {  // as Optuna's _run_trial: a killed worker's trial becomes FAIL first
          const auto stale = storage_->fail_stale_trials(study_id_, grace);
          if (!stale.empty()) {
            std::lock_guard lock(mutex);
            report.n_stale_failed += static_cast<std::int64_t>(stale.size());
          }
        }
        Trial trial = ask();
        TrialState state = TrialState::Complete;
        std::optional<std::vector<double>> values;
        std::optional<HeartbeatThread> heartbeat;
        if (heartbeats) heartbeat.emplace(*storage_, trial.trial_id(), interval);
        try {
          values = objective(trial);
          if (values->size() != directions_.size()) {
            storage_->set_trial_system_attr(trial.trial_id(), kFailReasonKey,
                                            "the objective returned " + std::to_string(values->size()) +
                                                " values; the study has " + std::to_string(directions_.size()) +
                                                " objectives");
            state = TrialState::Fail;
            values.reset();
          }
        } catch (const TrialPruned&) {
          state = TrialState::Pruned;
        } catch (const std::exception& e) {
          storage_->set_trial_system_attr(trial.trial_id(), kFailReasonKey, e.what());
          state = TrialState::Fail;
        }
        heartbeat.reset();  // stopped before the trial finishes, as Optuna
        const auto finished = tell(trial, state, values);
        std::lock_guard lock(mutex);
        ++report.n_trials;
        if (finished.state == TrialState::Complete) ++report.n_complete;
        else if (finished.state == TrialState::Pruned) ++report.n_pruned;
        else ++report.n_failed;
        for (const auto& cb : options.callbacks) cb(finished);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::current_exception();
        stop = true;
        return;
      }
    }
  };
  if (options.n_jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (int i = 0; i < options.n_jobs; ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
  }
  if (first_error) std::rethrow_exception(first_error);
  return report;
}

std::vector<FrozenTrial> Study::trials(const std::optional<std::vector<TrialState>>& states) const {
  return storage_->get_all_trials(study_id_, states);
}

FrozenTrial Study::best_trial() const { return storage_->get_best_trial(study_id_); }

}  // namespace glasswing::search
