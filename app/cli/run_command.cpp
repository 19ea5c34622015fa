// glasswing run --data TRAIN.csv --target COL [...]: search, refit, export (automl/engine/run.hpp).

#include <csignal>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli/commands.hpp"
#include "app/cli/progress.hpp"
#include "automl/common/cancel.hpp"
#include "automl/common/error.hpp"
#include "automl/engine/run.hpp"

namespace glasswing::cli {

namespace {

struct RunOptions {
  engine::RunSettings s;
  std::string models;
  std::string out;
  std::string data, test;
  double time_budget = 0;
  int max_trials = 0;
  int cv = 0;
  std::vector<std::string> column_types;  // COL=TYPE
  std::string space;                      // a JSON file of search-space edits
};

// What writing report.html takes at most on a loaded 2-core machine (the report subsamples), so
// --time-budget covers it.
constexpr double kReportAllowance = 5.0;
// And per data row (training + test): the report reads and scores them (flights-3m, 3M rows: about
// 10 s on a quiet 2-core machine, 26-41 s at load 12; the budget's 10% slack absorbs the rest).
constexpr double kReportPerRow = 8e-6;

// Ctrl-C stops the search cleanly: finished trials make the result.
CancelToken g_interrupt;
extern "C" void on_sigint(int) { g_interrupt.cancel(); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(' ');
    const auto e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

int run_main(RunOptions& o, const CLI::App& cmd) {
  engine::RunSettings& s = o.s;
  s.data = o.data;
  if (!o.test.empty()) s.test = o.test;
  if (cmd.count("--time-budget") > 0) s.time_budget_s = o.time_budget;
  if (cmd.count("--max-trials") > 0) s.max_trials = o.max_trials;
  if (cmd.count("--cv") > 0) s.cv = o.cv;
  s.models = split_list(o.models);
  for (const auto& spec : o.column_types) {
    const auto eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw Error(ErrorKind::Usage, "--column-type '" + spec + "' must be COL=TYPE, for example --column-type zip=categorical");
    s.column_types[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
  if (!o.space.empty()) {
    std::ifstream in(o.space);
    if (!in) throw Error(ErrorKind::BadInput, "--space " + o.space + " cannot be read; give a readable JSON file");
    try {
      s.space = nlohmann::ordered_json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorKind::BadInput, "--space " + o.space + " is not valid JSON (" + e.what() + "); fix the file");
    }
  }
  s.out = o.out;
  s.finalisation_extra_s = kReportAllowance;  // the report below counts towards --time-budget
  s.finalisation_extra_s_per_row = kReportPerRow;
  std::signal(SIGINT, on_sigint);

  TrialProgress progress(s.time_budget_s);
  auto on_trial = [&progress](const engine::TrialEvent& e) { progress.on_trial(e); };
  const engine::RunResult r = engine::run(s, on_trial, &g_interrupt);
  progress.finish();
  std::signal(SIGINT, SIG_DFL);
  // The run's report (transparency lives outside the engine, so the CLI writes it); a failed
  // report never fails the run.
  if (std::string problem; !write_run_report(r.run_dir.string(), problem))
    std::cerr << "warning: report.html was not written: " << problem << " (retry with `glasswing report --run "
              << r.run_dir.string() << "`)\n";

  for (const auto& i : r.issues) std::cerr << "note: " << i.source << ": " << i.message << '\n';
  const auto& best = r.leaderboard[r.chosen];
  std::cout << "\n" << r.task << " task, metric " << r.metric << " (" << (r.maximize ? "higher" : "lower")
            << " is better); trials: " << r.trials_complete << " complete, " << r.trials_pruned << " pruned, "
            << r.trials_failed << " failed\n";
  if (r.ensemble_kept) {
    std::cout << "best: ensemble of";
    for (const auto& m : best.params)
      std::cout << " trial " << m.value("trial", -1) << " (" << m.value("family", "") << ", " << fmt(m.value("weight", 0.0)) << ")";
    std::cout << "; CV " << fmt(best.cv_mean) << " ± " << fmt(best.cv_sd) << " (on the out-of-fold rows it was selected on)";
  } else
    std::cout << "best: trial " << best.trial << " (" << best.family << ") CV " << fmt(best.cv_mean) << " ± " << fmt(best.cv_sd);
  if (r.baseline_cv) std::cout << "; constant baseline CV " << fmt(*r.baseline_cv);
  std::cout << '\n';
  if (r.test_score) std::cout << "test " << r.metric << ": " << fmt(*r.test_score) << '\n';
  std::cout << "device: " << r.device << "; " << fmt(r.seconds) << " s\n";
  std::cout << "run directory: " << r.run_dir.string() << " (model/, leaderboard.csv, leaderboard.json, run.json"
            << (s.storage.empty() ? ", search.db" : "") << ")\n";
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Search models for a target, refit the best, export a bundle");
  cmd->add_option("--data", o->data, "training data (CSV)")->required();
  cmd->add_option("--target", o->s.target, "the column to predict")->required();
  cmd->add_option("--test", o->test, "a test file, scored once at the end (never used for selection)");
  cmd->add_option("--task", o->s.task, "auto|binary|multiclass|regression")
      ->check(CLI::IsMember({"auto", "binary", "multiclass", "regression"}));
  cmd->add_option("--metric", o->s.metric, "auto|roc_auc|log_loss|accuracy|balanced_accuracy|f1|rmse|mae|r2");
  cmd->add_option("--time-budget", o->time_budget,
                  "seconds for the whole run, including refit, test scoring and report (the search stops early enough)");
  cmd->add_option("--max-trials", o->max_trials, "trials in all (default 30 when no time budget is given; with only a time budget: until it ends)");
  cmd->add_option("--cv", o->cv, "cross-validation folds (default: chosen from the data size)");
  cmd->add_option("--seed", o->s.seed, "random seed (default 0)");
  cmd->add_option("--jobs", o->s.jobs, "trials at once (default 1); each fit gets max(1, cores/jobs) threads");
  cmd->add_option("--models", o->models, "comma-separated families: constant, xgboost, xgboost_rf, mlp, linear (default: all)");
  cmd->add_option("--device", o->s.device, "auto|cpu|cuda");
  cmd->add_option("--storage", o->s.storage, "search store URL (default sqlite RUN_DIR/search.db)");
  cmd->add_option("--search", o->s.search_name, "search name in the store (default glasswing-run)");
  cmd->add_option("--out", o->out, "run directory (default ./glasswing-run)");
  cmd->add_option("--ensemble-candidates", o->s.ensemble_candidates,
                  "greedy ensemble selection over the out-of-fold predictions of this many best candidates (default 10; 0: off)");
  cmd->add_option("--column-type", o->column_types,
                  "COL=TYPE (repeatable): the column's type instead of the inferred one: integer, float, numeric, boolean, "
                  "categorical, datetime, date, text, id, or ignore (drop the column)");
  cmd->add_option("--space", o->space,
                  "a JSON file of search-space edits: {\"FAMILY\": {\"PARAM\": value | {\"low\": L, \"high\": H} | [choices]}} "
                  "(a fixed value, a narrower range, a subset of choices; see docs/ENGINE.md)");
  cmd->add_flag("--resume", o->s.resume, "continue the stored search (no finished trial is repeated)");
  cmd->callback([o, cmd, &action] { action = [o, cmd] { return run_main(*o, *cmd); }; });
}

}  // namespace glasswing::cli
