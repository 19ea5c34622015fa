#pragma once
// Trial progress of `glasswing run` and `glasswing worker` (PRODUCT.md: a live progress line on a
// terminal, plain log lines otherwise).
//
// Every finished trial prints one plain line on stdout. When stdout is a terminal, a status line
// below them ("trials 12: 10 complete, 1 pruned, 1 failed · best 0.7861 (trial 8) · 23 s / 60 s")
// is redrawn in place twice a second by a background thread, so the elapsed time moves while a
// long trial trains; it is erased before each trial line and when the printer is finished.
// Thread safety: on_trial() may be called from any thread (parallel trials).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "automl/engine/run.hpp"

namespace glasswing::cli {

// One plain line for a finished trial (the same in both modes, and in logs).
std::string format_trial_line(const engine::TrialEvent& e);

class TrialProgress {
 public:
  // `budget_s`: the time budget shown beside the elapsed time (none: elapsed only).
  // `live`: redraw a status line; default: whether stdout is a terminal.
  explicit TrialProgress(std::optional<double> budget_s, std::optional<bool> live = std::nullopt);
  ~TrialProgress();
  TrialProgress(const TrialProgress&) = delete;
  TrialProgress& operator=(const TrialProgress&) = delete;

  void on_trial(const engine::TrialEvent& e);
  // Erases the status line and stops the redraw thread (idempotent; the destructor calls it).
  void finish();

 private:
  std::string status_line() const;  // callers hold mutex_
  void redraw();                    // callers hold mutex_

  std::optional<double> budget_s_;
  bool live_ = false;
  std::chrono::steady_clock::time_point start_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::int64_t trials_ = 0, complete_ = 0, pruned_ = 0, failed_ = 0;
  double best_ = 0;
  std::int64_t best_number_ = -1;
  std::thread ticker_;
};

}  // namespace glasswing::cli
