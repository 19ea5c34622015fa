#pragma once
// Search analysis (panels P6 and P7): best-so-far over trials and over time, the trials table,
// parallel coordinates of hyperparameters, pruned and failed trials with their reasons, a
// per-family summary and fANOVA-style hyperparameter importance, from a study's FrozenTrials.
//
// Families. A trial's family is its param `family_param` ("model", the engine's family choice)
// when that is a string, else its user attribute "family", else "constant" when it has the param
// `baseline_param` (the engine's constant baseline trial), else "" (a study that is not a
// Glasswing run: one unnamed family). Params named "<family>.<name>" get the label "<name>".
//
// Values. Only single-objective trials are analysed. A COMPLETE trial with a non-finite value
// (NaN, +-inf) is listed in the table and counted, but left out of best-so-far, parallel
// coordinates, the family best/median and importance (a notice says how many).
// Time: seconds since the earliest datetime_start of any trial; a trial without
// datetime_complete is left out of best_by_time (a notice says how many).
//
// Parameter space. Each param's distribution is merged over the trials that have it (numeric:
// the widest range, log only if every trial's is log; categorical: the union of choices in order
// of first appearance), and values are placed in its transformed space: log(value) for log
// distributions, the value for other numeric ones, the choice index for categorical ones.
// Parallel coordinates scale that to [0, 1] (a single-valued axis sits at 0.5).
//
// Importance (per family). Over the family's COMPLETE finite trials and the params present in
// every one of them (other params are noted and skipped): a seeded random forest of CART
// regression trees (bootstrap samples, every feature tried at each split in a seeded random
// order, numeric splits at midpoints, categorical splits as subsets ordered by mean value),
// then, per tree, the functional ANOVA main effects over its leaf partition with the uniform
// measure on the space (Hutter, Hoos and Leyton-Brown 2014): the fraction of the tree's variance
// that each param's marginal explains, averaged over trees and normalised to sum to 1 (`sd` is
// the spread over trees on the same scale). Fewer than `min_trials_for_importance` trials, no
// param, or values that do not vary give `available = false` and a reason.
//
// Importance (global). When trials carry `family_param`, the variance over the whole conditional
// space (uniform over the families with a result, then uniform inside each family's space) is
// split as the law of total variance does: "model" gets the between-family share (the variance
// of the families' forest means), each family's params share its within-family variance by its
// own importances; the within share of a family without importance is `unattributed`. Without a
// family param, the global result is the single family's.
//
// Errors: direction NOT_SET is Error(Usage); a trial with several objective values or a repeated
// trial number is Error(BadInput). A param whose value its distribution cannot hold is treated
// as absent in that trial, with a notice. Pure function, thread-safe, deterministic for a seed.
// JSON: to_json; non-finite numbers become null.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/search/trial.hpp"

namespace glasswing::transparency {

struct SearchAnalysisOptions {
  std::string family_param = "model";       // the family choice in a Glasswing run
  std::string baseline_param = "baseline";  // the constant baseline's single param
  std::size_t min_trials_for_importance = 4;
  std::size_t n_trees = 64;
  std::size_t max_depth = 64;
  std::size_t min_samples_split = 2;
  std::size_t min_samples_leaf = 1;
  std::uint64_t seed = 0;
};

// One COMPLETE trial with a finite value, in trial-number or completion-time order.
struct BestSoFarPoint {
  std::int64_t number = -1;
  std::string family;
  double elapsed_s = 0.0;       // completion time since the first start; NaN without datetimes
  double value = 0.0;
  double best = 0.0;            // best value up to and including this point
  std::int64_t best_number = -1;
};

struct TrialRow {
  std::int64_t number = -1;
  std::string state;            // COMPLETE, PRUNED, FAIL, RUNNING, WAITING
  std::string family;
  double value = 0.0;           // NaN when none is stored (FAIL, RUNNING, some PRUNED)
  double start_s = 0.0;         // since the first start; NaN without datetime_start
  double duration_s = 0.0;      // datetime_complete - datetime_start; NaN when either is missing
  nlohmann::json params = nlohmann::json::object();  // name -> external value
  std::string reason;           // FAIL / PRUNED: why (see `problems`); empty otherwise
  bool best = false;            // the study's best trial
};

// A PRUNED or FAIL trial.
struct TrialProblem {
  std::int64_t number = -1;
  std::string state;
  std::string family;
  std::string reason;  // fail_reason; PRUNED without one: "pruned at step S (intermediate value V)"
  std::optional<std::int64_t> last_step;
};

// Problems with the same state and reason, most frequent first.
struct ReasonCount {
  std::string state;
  std::string reason;
  std::size_t count = 0;
  std::vector<std::int64_t> trials;
};

struct ParallelAxis {
  std::string name;   // as stored, e.g. "xgboost.max_depth"
  std::string label;  // without the "<family>." prefix
  std::string kind;   // "float", "int" or "categorical"
  bool log = false;
  double low = 0.0, high = 0.0;      // numeric: the merged range (external values)
  nlohmann::json choices = nlohmann::json::array();  // categorical: the merged choices
};

struct ParallelCoordinates {
  std::string family;
  std::vector<ParallelAxis> axes;
  std::vector<std::int64_t> trials;         // one line per COMPLETE finite trial
  std::vector<std::vector<double>> points;  // [line][axis] in [0, 1]; NaN where the trial lacks the param
  std::vector<double> values;               // [line]
};

struct FamilySummary {
  std::string family;
  std::size_t trials = 0, complete = 0, pruned = 0, failed = 0, running = 0, waiting = 0;
  double best_value = 0.0;    // over COMPLETE finite values; NaN when none
  double median_value = 0.0;  // numpy median; NaN when none
  std::int64_t best_trial = -1;
  double mean_duration_s = 0.0;  // over finished trials with both datetimes; NaN when none
};

struct ParamImportance {
  std::string family;  // the family whose space holds it; "" for "model" in the global result
  std::string name;
  std::string label;
  double importance = 0.0;
  double sd = 0.0;     // spread over trees (global: scaled by the family's within share)
};

struct ImportanceResult {
  std::string scope;     // a family name, or "global"
  bool available = false;
  std::string reason;    // why not available, else ""
  std::string method;    // "fanova", or "fanova+families" (global with a family choice)
  std::size_t trials = 0;
  std::vector<ParamImportance> params;  // largest first; sum to 1 (global: with unattributed)
  double unattributed = 0.0;            // global: within-family share of families without importance
  std::vector<std::string> skipped;     // params left out (present in only some trials)
};

struct SearchAnalysis {
  std::string direction;  // MINIMIZE or MAXIMIZE
  std::size_t trials = 0, complete = 0, pruned = 0, failed = 0, running = 0, waiting = 0;
  std::int64_t best_trial = -1;
  double best_value = 0.0;  // NaN when no COMPLETE finite trial
  std::string best_family;
  std::vector<BestSoFarPoint> best_by_trial;
  std::vector<BestSoFarPoint> best_by_time;
  std::vector<TrialRow> table;  // by trial number
  std::vector<ParallelCoordinates> parallel;  // per family with at least one axis
  std::vector<TrialProblem> problems;         // by trial number
  std::vector<ReasonCount> reasons;
  std::vector<FamilySummary> families;        // by name
  ImportanceResult importance;                // global
  std::vector<ImportanceResult> family_importance;  // by family name
  std::vector<std::string> notices;
};

SearchAnalysis analyze_search(const std::vector<search::FrozenTrial>& trials, search::StudyDirection direction,
                              const SearchAnalysisOptions& options = {});

// fANOVA importance alone, over the given trials as one family (the params present in all of
// the COMPLETE finite ones, except `family_param` and `baseline_param`); `scope` names the
// result and ParamImportance::family is "".
ImportanceResult fanova_importance(const std::vector<search::FrozenTrial>& trials, const std::string& scope,
                                   const SearchAnalysisOptions& options = {});

void to_json(nlohmann::json& j, const BestSoFarPoint& v);
void to_json(nlohmann::json& j, const TrialRow& v);
void to_json(nlohmann::json& j, const TrialProblem& v);
void to_json(nlohmann::json& j, const ReasonCount& v);
void to_json(nlohmann::json& j, const ParallelAxis& v);
void to_json(nlohmann::json& j, const ParallelCoordinates& v);
void to_json(nlohmann::json& j, const FamilySummary& v);
void to_json(nlohmann::json& j, const ParamImportance& v);
void to_json(nlohmann::json& j, const ImportanceResult& v);
void to_json(nlohmann::json& j, const SearchAnalysis& v);

}  // namespace glasswing::transparency
