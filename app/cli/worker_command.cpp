// glasswing worker --storage URL --search NAME: joins a search that `glasswing run` made and runs
// trials only (automl/engine/run.hpp, join_search).

#include <csignal>
#include <cstdio>
#include <iostream>

#include "app/cli/commands.hpp"
#include "app/cli/progress.hpp"
#include "automl/common/cancel.hpp"
#include "automl/common/error.hpp"
#include "automl/engine/run.hpp"

namespace glasswing::cli {

namespace {

struct WorkerOptions {
  engine::WorkerSettings s;
  double time_budget = 0;
  int max_trials = 0;
};

// Ctrl-C stops the worker cleanly: the trial in progress becomes FAIL, finished ones stay.
CancelToken g_worker_interrupt;
extern "C" void on_worker_sigint(int) { g_worker_interrupt.cancel(); }

std::string fmt4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

int worker_main(WorkerOptions& o, const CLI::App& cmd) {
  if (cmd.count("--time-budget") > 0) o.s.time_budget_s = o.time_budget;
  if (cmd.count("--max-trials") > 0) o.s.max_trials = o.max_trials;
  std::signal(SIGINT, on_worker_sigint);
  TrialProgress progress(o.s.time_budget_s);
  auto on_trial = [&progress](const engine::TrialEvent& e) { progress.on_trial(e); };
  const engine::WorkerResult r = engine::join_search(o.s, on_trial, &g_worker_interrupt);
  progress.finish();
  std::signal(SIGINT, SIG_DFL);
  for (const auto& i : r.issues) std::cerr << "note: " << i.source << ": " << i.message << '\n';
  std::cout << "\nsearch '" << r.search_name << "' (" << r.task << ", " << r.metric << "): this worker ran " << r.trials_run
            << " trials (" << r.complete << " complete, " << r.pruned << " pruned, " << r.failed << " failed)";
  if (r.best_value) std::cout << "; best so far: trial " << r.best_trial << " " << fmt4(*r.best_value);
  std::cout << "\nthe run finalises: `glasswing run ... --resume` refits the best and writes the run directory\n";
  return 0;
}

}  // namespace

void add_worker_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<WorkerOptions>();
  CLI::App* cmd = app.add_subcommand("worker", "Join a search that `glasswing run` made and run trials (no refit)");
  cmd->add_option("--storage", o->s.storage, "the run's search store URL")->required();
  cmd->add_option("--search", o->s.search_name, "the run's search name")->required();
  cmd->add_option("--time-budget", o->time_budget, "seconds this worker searches");
  cmd->add_option("--max-trials", o->max_trials, "trials this worker runs (default: up to the run's --max-trials)");
  cmd->add_option("--jobs", o->s.jobs, "trials at once (default 1); each fit gets cores/jobs threads");
  cmd->add_option("--device", o->s.device, "auto|cpu|cuda");
  cmd->callback([o, cmd, &action] { action = [o, cmd] { return worker_main(*o, *cmd); }; });
}

}  // namespace glasswing::cli
