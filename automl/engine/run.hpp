#pragma once
// A run (PRODUCT.md vocabulary): data + settings -> a search -> a leaderboard -> a chosen model.
//
// run() reads the training CSV, infers or checks the task, drops rows without a target (an
// Issue says how many), plans the validation (validation.hpp) and searches over model families
// with the TPE sampler of automl/search: each trial picks a family ("constant", "linear", "mlp",
// "xgboost", "xgboost_rf") and that family's hyperparameters (a conditional space), fits the feature Pipeline on
// each fold's training rows only, trains, scores the fold's validation rows, and reports the mean
// CV score. Strong defaults (one per family) and the constant baseline are enqueued first, so
// they are always on the leaderboard. A failed fit makes its trial FAIL with the reason; the
// search goes on. The search stops at max_trials or at the time budget (whatever finished is a
// valid result; the budget covers the whole run, see RunSettings::time_budget_s). Then greedy
// ensemble selection runs over the out-of-fold predictions of the best distinct candidates
// (ensemble.hpp); the ensemble is kept when strictly better than the best single candidate on
// those rows (decide_ensemble). The chosen candidate, or the ensemble's members, are refit on all
// training rows and written as a bundle (version 2 for an ensemble), with the training-data
// description of describe_training_data (bundle.hpp). Large data: above
// RunSettings::search_rows_max rows the search runs on a seeded (stratified) row sample, and with
// a time budget the refit uses the largest sample whose estimated refit fits (all rows when it
// does) and stops at its deadline keeping the rounds/epochs done (docs/ENGINE.md, step 8).
//
// Artifacts in settings.out (the run directory): model/ (bundle.hpp), leaderboard.csv,
// leaderboard.json, run.json, oof/ (out-of-fold predictions of the best candidates), and
// search.db (the Optuna-schema SQLite store) unless settings.storage names another store.
//
// Errors: glasswing::Error: Usage (bad settings, unknown model family or metric: the message
// lists the valid ones), BadInput (data, target), Storage (store or run directory), Resource
// (--device cuda without a GPU). Deterministic given the seed when no time budget cuts it short
// and jobs == 1 (trials one after another); `jobs` > 1 runs trials in parallel (not deterministic).
// Each trial in progress sends heartbeats and names its process (trial system attr
// "glasswing.owner"); --resume and workers fail the RUNNING trials of dead processes first.
// Thread safety: run() may be called from any thread; the callback runs on the calling thread.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/common/cancel.hpp"
#include "automl/common/issues.hpp"
#include "automl/engine/ensemble.hpp"

namespace glasswing::engine {

struct RunSettings {
  std::filesystem::path data;
  std::string target;
  std::filesystem::path test;           // optional; scored once at the end, never used for selection
  std::string task = "auto";            // auto|binary|multiclass|regression
  std::string metric = "auto";          // auto or a name of metrics::registry()
  // Wall-clock budget of the whole run, from the call of run() to its return plus
  // `finalisation_extra_s`: the search stops early enough for the refit, test scoring and
  // artifacts (a reserve estimated from the trials' fit and predict times, 5-50 % of the budget).
  std::optional<double> time_budget_s;
  double finalisation_extra_s = 0;      // seconds the caller needs after run() within the budget (the CLI's report)
  double finalisation_extra_s_per_row = 0;  // and per data row (training + test rows), e.g. the report reading and scoring them
  std::optional<int> max_trials;        // trials in total in the search (incl. enqueued defaults)
  std::optional<int> cv;                // folds; none: chosen from the data size
  std::uint64_t seed = 0;
  int jobs = 1;                         // trials at once; each fit gets max(1, cores / jobs) threads
  std::vector<std::string> models;      // families; empty: every one this build has
  std::string device = "auto";          // auto|cpu|cuda
  std::string storage;                  // Optuna URL; empty: sqlite RUN_DIR/search.db
  std::string search_name;              // empty: "glasswing-run"
  std::filesystem::path out;            // the run directory (created)
  bool resume = false;                  // continue the search stored under search_name
  std::size_t oof_keep = 3;             // out-of-fold predictions written for this many best candidates
  std::size_t ensemble_candidates = 10; // ensemble selection over the OOF predictions of this many best
                                        // distinct candidates (not the constant); < 2: no ensemble
  // Large data: above this many training rows the search's folds cover a seeded sample of this
  // many rows (stratified by class for classification), so trials stay short; the refit uses all
  // rows when its estimated time fits the budget, else the largest sample that does (an Issue
  // says so). 0: never sample.
  std::size_t search_rows_max = 200000;
  // The user's column types (column name -> a name of data::column_type_names(), "numeric" (=
  // float) or "ignore" (the column is dropped)), applied when the data (and --test) is read;
  // recorded in run.json, the bundle's input schema and the search (worker, --resume).
  std::map<std::string, std::string> column_types;
  // Search-space edits (see check_space_edits): {"FAMILY": {"PARAM": EDIT, ...}, ...} where EDIT is
  // a value (fixed), {"low": L, "high": H} (a narrower range) or [choices] (a subset of a
  // categorical parameter's choices). Stored in the search, so worker and --resume search the same space.
  nlohmann::ordered_json space = nlohmann::ordered_json::object();
};

// One searched parameter of a family, as suggest_params asks for it (the single source of truth:
// family_space records what suggest_params suggests, with the family's strong default).
struct ParamSpec {
  std::string name;          // without the family prefix, e.g. "max_depth"
  std::string kind;          // int | float | categorical
  double low = 0, high = 0;  // int and float
  bool log = false;
  std::vector<nlohmann::ordered_json> choices;  // categorical
  nlohmann::ordered_json default_value;  // the family's enqueued default (null when it has none)
};

// The searched parameters of `family` ("constant": none). Usage for an unknown family.
std::vector<ParamSpec> family_space(const std::string& family);

// Validates search-space edits (RunSettings::space) against the families' spaces and returns them
// normalised (integers as integers, ranges as {"low","high"}). Error(BadInput), one line naming the
// family and parameter: not an object, an unknown family or parameter, a value of the wrong type,
// a value or range outside the family's bounds, low > high, a choice the parameter does not have.
nlohmann::ordered_json check_space_edits(const nlohmann::ordered_json& space);

// The column types a run accepts (RunSettings::column_types): the data types, "numeric" and "ignore".
std::vector<std::string> column_type_choices();

// The model families a run can search, for this build ("constant" always).
std::vector<std::string> family_names();

// One finished trial, as the CLI prints it.
struct TrialEvent {
  std::int64_t number = 0;
  std::string family;
  std::string state;         // COMPLETE | FAIL | PRUNED
  double value = 0;          // mean CV score (NaN unless COMPLETE)
  double sd = 0;
  double best_value = 0;     // best so far (NaN while none)
  std::int64_t best_number = -1;
  double elapsed_s = 0;
  std::string fail_reason;
};

struct LeaderboardRow {
  int rank = 0;
  std::int64_t trial = 0;
  std::string family;
  nlohmann::ordered_json params;      // the family's hyperparameters
  double cv_mean = 0, cv_sd = 0;
  std::vector<double> fold_scores;
  std::optional<double> test_score;   // with --test, for the refit candidates
  double fit_s = 0;                   // mean fit time per fold
  double predict_s = 0;               // mean predict time per fold
};

struct RunResult {
  std::filesystem::path run_dir;
  std::string task;      // binary|multiclass|regression
  std::string metric;
  bool maximize = true;
  std::vector<std::string> classes;
  std::vector<LeaderboardRow> leaderboard;  // best first (by CV mean; an ensemble row has trial -1)
  std::size_t chosen = 0;                   // the exported model's row in leaderboard
  bool ensemble_kept = false;               // the bundle is an ensemble (family "ensemble")
  std::optional<double> baseline_cv;        // the constant baseline's CV score
  std::optional<double> test_score;         // the chosen model's test score
  std::string device;                       // what the final fit used
  std::int64_t trials_complete = 0, trials_failed = 0, trials_pruned = 0;
  std::size_t search_rows = 0;              // training rows the search's folds cover (a sample for large data)
  std::size_t train_rows = 0;               // training rows the exported model was refit on
  double seconds = 0;
  std::vector<Issue> issues;
};

using TrialCallback = std::function<void(const TrialEvent&)>;

// Runs the whole job; see the header comment. `cancel` (optional) stops the search early like
// the time budget does (Ctrl-C).
RunResult run(const RunSettings& settings, const TrialCallback& on_trial = {}, const CancelToken* cancel = nullptr);

// `glasswing worker`: joins a search that `run` made and runs trials only (no refit, no run
// directory; the run that owns the directory, or a later `run --resume`, finalises). The
// objective is rebuilt from the search's study user attribute "glasswing.settings" (data path and
// sha256, target, task, metric, folds, seed, families).
struct WorkerSettings {
  std::string storage;                  // the run's store URL (required)
  std::string search_name;              // the run's search (required)
  std::optional<double> time_budget_s;  // wall-clock budget of this worker
  std::optional<int> max_trials;        // trials this worker runs; none: up to the search's own max_trials
  int jobs = 1;                         // trials at once
  std::string device = "auto";
};

struct WorkerResult {
  std::string search_name, task, metric;
  bool maximize = true;
  std::int64_t trials_run = 0, complete = 0, failed = 0, pruned = 0;
  std::int64_t stale_failed = 0;        // RUNNING trials of dead processes set to FAIL on joining
  std::optional<double> best_value;     // the search's best so far
  std::int64_t best_trial = -1;
  bool stopped_early = false;
  double seconds = 0;
  std::vector<Issue> issues;
};

// Errors: Usage (unknown search: the message lists the store's searches; no limit given for a
// search without one), BadInput (not a Glasswing run search; its data file missing or changed),
// Storage (the store), Resource (cuda without a GPU).
WorkerResult join_search(const WorkerSettings& settings, const TrialCallback& on_trial = {},
                         const CancelToken* cancel = nullptr);

// The run's decision on an ensemble selection over `candidates` candidates: kept exactly when
// `selection.improves` (strictly better than the best single candidate on the OOF rows, 2+
// members); `reason` says why in words (run.json "ensemble.reason").
struct EnsembleDecision {
  bool kept = false;
  std::string reason;
};
EnsembleDecision decide_ensemble(const EnsembleSelection& selection, std::string_view metric);

// sha256 of a file as lowercase hex (OpenSSL EVP). Error(BadInput) when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace glasswing::engine
