#include "automl/search/study.hpp"

#include <atomic>
#include <cmath>
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
    if (!history_) history_ = study_->storage_->get_all_trials(study_->study_id_);
    FrozenTrial current;
    current.trial_id = trial_id_;
    current.number = number_;
    current.params = params_;
    current.distributions = distributions_;
    const SamplingContext ctx{study_->directions_, *history_, current};
    internal = study_->sampler_->sample_independent(ctx, name, d);
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

void Trial::set_user_attr(const std::string& key, const Json& value) {
  study_->storage_->set_trial_user_attr(trial_id_, key, value);
}

// ------------------------------------------------------------------------------------ Study
Study::Study(std::shared_ptr<Storage> storage, std::shared_ptr<Sampler> sampler, std::int64_t id)
    : storage_(std::move(storage)), sampler_(std::move(sampler)), study_id_(id) {
  if (!sampler_) throw Error(ErrorKind::Usage, "a study needs a sampler; see make_sampler()");
  const auto info = storage_->get_study(id);
  name_ = info.name;
  directions_ = info.directions;
}

Study Study::create(std::shared_ptr<Storage> storage, const std::string& name,
                    const std::vector<StudyDirection>& directions, std::shared_ptr<Sampler> sampler) {
  const auto id = storage->create_new_study(directions, name);
  return Study(std::move(storage), std::move(sampler), id);
}

Study Study::load(std::shared_ptr<Storage> storage, const std::string& name, std::shared_ptr<Sampler> sampler) {
  const auto id = storage->get_study_id_from_name(name);
  return Study(std::move(storage), std::move(sampler), id);
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

OptimizeReport Study::optimize(const SingleObjective& objective, const OptimizeOptions& options) {
  return optimize(Objective([&](Trial& t) { return std::vector<double>{objective(t)}; }), options);
}

OptimizeReport Study::optimize(const Objective& objective, const OptimizeOptions& options) {
  if (options.n_jobs < 1) throw Error(ErrorKind::Usage, "optimize(): n_jobs must be >= 1");
  if (options.n_trials && *options.n_trials < 0) throw Error(ErrorKind::Usage, "optimize(): n_trials must be >= 0");
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
        Trial trial = ask();
        TrialState state = TrialState::Complete;
        std::optional<std::vector<double>> values;
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
