#pragma once
// In-memory Storage: the same contract as the SQLite storage, nothing persisted.
// Thread-safe (one mutex); snapshots are copies. Lives as long as the object.

#include <map>
#include <mutex>

#include "automl/search/storage.hpp"

namespace glasswing::search {

class InMemoryStorage final : public Storage {
 public:
  std::int64_t create_new_study(const std::vector<StudyDirection>& directions, const std::string& name) override;
  void delete_study(std::int64_t study_id) override;
  void set_study_user_attr(std::int64_t study_id, const std::string& key, const Json& value) override;
  void set_study_system_attr(std::int64_t study_id, const std::string& key, const Json& value) override;
  std::int64_t get_study_id_from_name(const std::string& name) override;
  StudyInfo get_study(std::int64_t study_id) override;
  std::vector<StudyInfo> get_all_studies() override;

  std::int64_t create_new_trial(std::int64_t study_id, const FrozenTrial* templ = nullptr) override;
  void set_trial_param(std::int64_t trial_id, const std::string& name, double internal_value,
                       const Distribution& distribution) override;
  bool set_trial_state_values(std::int64_t trial_id, TrialState state,
                              const std::optional<std::vector<double>>& values = std::nullopt) override;
  void set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step, double value) override;
  void set_trial_user_attr(std::int64_t trial_id, const std::string& key, const Json& value) override;
  void set_trial_system_attr(std::int64_t trial_id, const std::string& key, const Json& value) override;
  FrozenTrial get_trial(std::int64_t trial_id) override;
  std::vector<FrozenTrial> get_all_trials(std::int64_t study_id,
                                          const std::optional<std::vector<TrialState>>& states = std::nullopt) override;
  // Copies only the trials that are new or unfinished in `trials` (one lock: a consistent snapshot).
  void refresh_trials(std::int64_t study_id, std::vector<FrozenTrial>& trials) override;

 private:
  struct StudyRec {
    StudyInfo info;
    std::vector<std::int64_t> trial_ids;
    std::map<std::string, Distribution> first_distribution;
  };
  struct TrialRec {
    std::int64_t study_id;
    FrozenTrial trial;
  };
  StudyRec& study_locked(std::int64_t study_id);
  TrialRec& trial_locked(std::int64_t trial_id);
  TrialRec& updatable_locked(std::int64_t trial_id);

  std::mutex mutex_;
  std::map<std::int64_t, StudyRec> studies_;
  std::map<std::int64_t, TrialRec> trials_;
  std::int64_t next_study_id_ = 1;
  std::int64_t next_trial_id_ = 1;
};

}  // namespace glasswing::search
