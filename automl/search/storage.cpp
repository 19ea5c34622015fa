#include "automl/search/storage.hpp"

#include <algorithm>
#include <cmath>

namespace glasswing::search {

std::int64_t Storage::get_trial_id_from_study_id_trial_number(std::int64_t study_id, std::int64_t number) {
  for (const auto& t : get_all_trials(study_id)) {
    if (t.number == number) return t.trial_id;
  }
  throw Error(ErrorKind::Storage, "no trial number " + std::to_string(number) + " in study id " +
                                      std::to_string(study_id) + "; list the trials to see valid numbers");
}

std::int64_t Storage::get_n_trials(std::int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  return static_cast<std::int64_t>(get_all_trials(study_id, states).size());
}

void Storage::refresh_trials(std::int64_t study_id, std::vector<FrozenTrial>& trials) {
  trials = get_all_trials(study_id);
}

FrozenTrial Storage::get_best_trial(std::int64_t study_id) {
  const auto info = get_study(study_id);
  if (info.directions.size() != 1) {
    throw Error(ErrorKind::Usage, "study '" + info.name + "' has several objectives; a single best trial is undefined");
  }
  const bool maximize = info.directions[0] == StudyDirection::Maximize;
  const auto trials = get_all_trials(study_id, std::vector<TrialState>{TrialState::Complete});
  const FrozenTrial* best = nullptr;
  for (const auto& t : trials) {
    if (!t.values || t.values->empty()) continue;
    if (!best || (maximize ? t.values->front() > best->values->front() : t.values->front() < best->values->front())) {
      best = &t;
    }
  }
  if (!best) throw Error(ErrorKind::Usage, "study '" + info.name + "' has no COMPLETE trial yet");
  return *best;
}

void Storage::record_heartbeat(std::int64_t /*trial_id*/) {
  throw Error(ErrorKind::Usage, "this storage has no heartbeats; use an SQLite or PostgreSQL storage");
}

std::vector<std::int64_t> Storage::fail_stale_trials(std::int64_t /*study_id*/, std::chrono::seconds /*grace*/) {
  throw Error(ErrorKind::Usage, "this storage has no heartbeats; use an SQLite or PostgreSQL storage");
}

namespace detail {

std::vector<FrozenTrial> merge_with_finished_cache(
    const std::vector<TrialRowKey>& rows, std::map<std::int64_t, FrozenTrial>& cache,
    const std::function<std::vector<FrozenTrial>(std::int64_t)>& load_from,
    const std::optional<std::vector<TrialState>>& states) {
  const auto cached = [&](const TrialRowKey& row) -> const FrozenTrial* {
    const auto it = cache.find(row.id);
    if (it == cache.end()) return nullptr;
    const auto& t = it->second;
    const bool same = t.number == row.number && to_string(t.state) == row.state && t.datetime_start == row.start;
    return same ? &t : nullptr;
  };
  // Every trial below the first one that is not cached comes from the cache.
  std::size_t first_uncached = 0;
  while (first_uncached < rows.size() && cached(rows[first_uncached])) ++first_uncached;
  std::vector<FrozenTrial> out;
  out.reserve(rows.size());
  for (std::size_t i = 0; i < first_uncached; ++i) out.push_back(cache.at(rows[i].id));
  if (first_uncached < rows.size()) {
    for (auto& t : load_from(rows[first_uncached].id)) {
      if (is_finished(t.state)) cache.insert_or_assign(t.trial_id, t);
      out.push_back(std::move(t));
    }
  }
  if (states) {
    std::erase_if(out, [&](const FrozenTrial& t) {
      return std::find(states->begin(), states->end(), t.state) == states->end();
    });
  }
  return out;
}
void check_trial_is_updatable(std::int64_t trial_number, TrialState state) {
  if (is_finished(state)) {
    throw UpdateFinishedTrialError("trial " + std::to_string(trial_number) + " is already finished (" +
                                   std::string(to_string(state)) + "); finished trials cannot be changed");
  }
}

void check_values(const std::vector<double>& values) {
  for (double v : values) {
    if (std::isnan(v)) {
      throw Error(ErrorKind::Usage, "objective value is NaN; report the trial as FAIL instead");
    }
  }
}
void check_template(const FrozenTrial& templ) {
  if (templ.values) check_values(*templ.values);
  for (const auto& [name, value] : templ.params) {
    if (!templ.distributions.count(name)) {
      throw Error(ErrorKind::Usage, "trial template: parameter '" + name + "' has no distribution");
    }
  }
  for (const auto& [name, dist] : templ.distributions) {
    const auto it = templ.params.find(name);
    if (it == templ.params.end()) {
      throw Error(ErrorKind::Usage, "trial template: distribution '" + name + "' has no parameter value");
    }
    if (!contains(dist, to_internal(dist, it->second))) {
      throw Error(ErrorKind::Usage, "trial template: parameter '" + name + "' = " + dump_python_json(it->second) +
                                        " lies outside " + distribution_to_json(dist));
    }
  }
}
}  // namespace detail

}  // namespace glasswing::search
