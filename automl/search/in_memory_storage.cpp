#include "automl/search/in_memory_storage.hpp"

#include <algorithm>

namespace glasswing::search {

InMemoryStorage::StudyRec& InMemoryStorage::study_locked(std::int64_t study_id) {
  const auto it = studies_.find(study_id);
  if (it == studies_.end()) {
    throw Error(ErrorKind::Storage, "in-memory storage: no study with id " + std::to_string(study_id));
  }
  return it->second;
}

InMemoryStorage::TrialRec& InMemoryStorage::trial_locked(std::int64_t trial_id) {
  const auto it = trials_.find(trial_id);
  if (it == trials_.end()) {
    throw Error(ErrorKind::Storage, "in-memory storage: no trial with id " + std::to_string(trial_id));
  }
  return it->second;
}

InMemoryStorage::TrialRec& InMemoryStorage::updatable_locked(std::int64_t trial_id) {
  auto& rec = trial_locked(trial_id);
  detail::check_trial_is_updatable(rec.trial.number, rec.trial.state);
  return rec;
}

std::int64_t InMemoryStorage::create_new_study(const std::vector<StudyDirection>& directions, const std::string& name) {
  if (directions.empty()) throw Error(ErrorKind::Usage, "a study needs at least one direction");
  std::lock_guard lock(mutex_);
  for (const auto& [id, s] : studies_) {
    if (s.info.name == name) {
      throw Error(ErrorKind::Storage, "a study named '" + name + "' already exists; load it or pick another name");
    }
  }
  const auto id = next_study_id_++;
  StudyRec rec;
  rec.info.study_id = id;
  rec.info.name = name;
  rec.info.directions = directions;
  studies_.emplace(id, std::move(rec));
  return id;
}

void InMemoryStorage::delete_study(std::int64_t study_id) {
  std::lock_guard lock(mutex_);
  auto& s = study_locked(study_id);
  for (auto tid : s.trial_ids) trials_.erase(tid);
  studies_.erase(study_id);
}

void InMemoryStorage::set_study_user_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  std::lock_guard lock(mutex_);
  study_locked(study_id).info.user_attrs[key] = value;
}

void InMemoryStorage::set_study_system_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  std::lock_guard lock(mutex_);
  study_locked(study_id).info.system_attrs[key] = value;
}

std::int64_t InMemoryStorage::get_study_id_from_name(const std::string& name) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, s] : studies_) {
    if (s.info.name == name) return id;
  }
  throw Error(ErrorKind::Storage, "no study named '" + name + "' in the in-memory storage");
}

StudyInfo InMemoryStorage::get_study(std::int64_t study_id) {
  std::lock_guard lock(mutex_);
  return study_locked(study_id).info;
}

std::vector<StudyInfo> InMemoryStorage::get_all_studies() {
  std::lock_guard lock(mutex_);
  std::vector<StudyInfo> out;
  for (const auto& [id, s] : studies_) out.push_back(s.info);
  return out;
}

std::int64_t InMemoryStorage::create_new_trial(std::int64_t study_id, const FrozenTrial* templ) {
  std::lock_guard lock(mutex_);
  auto& s = study_locked(study_id);
  FrozenTrial t;
  if (templ) {
    detail::check_template(*templ);
    t = *templ;
    for (const auto& [name, dist] : t.distributions) {
      const auto it = s.first_distribution.find(name);
      if (it != s.first_distribution.end()) check_distribution_compatibility(name, it->second, dist);
    }
  } else {
    t.state = TrialState::Running;
    t.datetime_start = now_local();
  }
  t.trial_id = next_trial_id_++;
  t.number = static_cast<std::int64_t>(s.trial_ids.size());
  for (const auto& [name, dist] : t.distributions) s.first_distribution.emplace(name, dist);
  s.trial_ids.push_back(t.trial_id);
  trials_.emplace(t.trial_id, TrialRec{study_id, t});
  return t.trial_id;
}

void InMemoryStorage::set_trial_param(std::int64_t trial_id, const std::string& name, double internal_value,
                                      const Distribution& distribution) {
  std::lock_guard lock(mutex_);
  auto& rec = updatable_locked(trial_id);
  auto& s = study_locked(rec.study_id);
  const auto it = s.first_distribution.find(name);
  if (it != s.first_distribution.end()) check_distribution_compatibility(name, it->second, distribution);
  if (!contains(distribution, internal_value)) {
    throw Error(ErrorKind::Usage, "parameter '" + name + "': value " + python_float_repr(internal_value) +
                                      " lies outside " + distribution_to_json(distribution));
  }
  rec.trial.params[name] = to_external(distribution, internal_value);
  rec.trial.distributions.insert_or_assign(name, distribution);
  s.first_distribution.emplace(name, distribution);
}

bool InMemoryStorage::set_trial_state_values(std::int64_t trial_id, TrialState state,
                                             const std::optional<std::vector<double>>& values) {
  std::lock_guard lock(mutex_);
  auto& rec = updatable_locked(trial_id);
  if (state == TrialState::Running && rec.trial.state != TrialState::Waiting) return false;
  if (values) detail::check_values(*values);
  if (state == TrialState::Running) rec.trial.datetime_start = now_local();
  if (is_finished(state)) rec.trial.datetime_complete = now_local();
  if (values) rec.trial.values = *values;
  rec.trial.state = state;
  return true;
}

void InMemoryStorage::set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step, double value) {
  std::lock_guard lock(mutex_);
  updatable_locked(trial_id).trial.intermediate_values[step] = value;
}

void InMemoryStorage::set_trial_user_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  std::lock_guard lock(mutex_);
  updatable_locked(trial_id).trial.user_attrs[key] = value;
}

void InMemoryStorage::set_trial_system_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  std::lock_guard lock(mutex_);
  updatable_locked(trial_id).trial.system_attrs[key] = value;
}

FrozenTrial InMemoryStorage::get_trial(std::int64_t trial_id) {
  std::lock_guard lock(mutex_);
  return trial_locked(trial_id).trial;
}

std::vector<FrozenTrial> InMemoryStorage::get_all_trials(std::int64_t study_id,
                                                         const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard lock(mutex_);
  std::vector<FrozenTrial> out;
  for (auto tid : study_locked(study_id).trial_ids) {
    const auto& t = trials_.at(tid).trial;
    if (states && std::find(states->begin(), states->end(), t.state) == states->end()) continue;
    out.push_back(t);
  }
  return out;
}

void InMemoryStorage::refresh_trials(std::int64_t study_id, std::vector<FrozenTrial>& trials) {
  std::lock_guard lock(mutex_);
  const auto& ids = study_locked(study_id).trial_ids;
  if (trials.size() > ids.size()) trials.resize(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i < trials.size() && trials[i].trial_id == ids[i] && is_finished(trials[i].state)) continue;  // unchanged
    const auto& t = trials_.at(ids[i]).trial;
    if (i == trials.size()) trials.push_back(t);
    else trials[i] = t;
  }
}

}  // namespace glasswing::search
