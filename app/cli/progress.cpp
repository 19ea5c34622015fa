#include "app/cli/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <iostream>

namespace glasswing::cli {

namespace {

std::string fixed4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

}  // namespace

std::string format_trial_line(const engine::TrialEvent& e) {
  char line[320];
  if (e.state == "COMPLETE")
    std::snprintf(line, sizeof line, "trial %3lld  %-10s %s ± %s   best %s (trial %lld)  %6.1f s", static_cast<long long>(e.number),
                  e.family.c_str(), fixed4(e.value).c_str(), fixed4(e.sd).c_str(), fixed4(e.best_value).c_str(),
                  static_cast<long long>(e.best_number), e.elapsed_s);
  else
    std::snprintf(line, sizeof line, "trial %3lld  %-10s %s: %.150s", static_cast<long long>(e.number), e.family.c_str(),
                  e.state.c_str(), e.fail_reason.c_str());
  return line;
}

TrialProgress::TrialProgress(std::optional<double> budget_s, std::optional<bool> live)
    : budget_s_(budget_s), live_(live.value_or(::isatty(STDOUT_FILENO) == 1)), start_(std::chrono::steady_clock::now()) {
  if (!live_) return;
  ticker_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      redraw();
      wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; });
    }
  });
}

TrialProgress::~TrialProgress() { finish(); }

void TrialProgress::finish() {
  {
    std::lock_guard lock(mutex_);
    if (stop_) return;
    stop_ = true;
    if (live_) std::cout << "\r\033[K" << std::flush;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::string TrialProgress::status_line() const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string s = "trials " + std::to_string(trials_) + ": " + std::to_string(complete_) + " complete, " + std::to_string(pruned_) +
                  " pruned, " + std::to_string(failed_) + " failed";
  if (best_number_ >= 0) s += " · best " + fixed4(best_) + " (trial " + std::to_string(best_number_) + ")";
  char t[64];
  if (budget_s_)
    std::snprintf(t, sizeof t, " · %.0f s / %.0f s", elapsed, *budget_s_);
  else
    std::snprintf(t, sizeof t, " · %.0f s", elapsed);
  return s + t;
}

void TrialProgress::redraw() { std::cout << "\r\033[K" << status_line() << std::flush; }

void TrialProgress::on_trial(const engine::TrialEvent& e) {
  std::lock_guard lock(mutex_);
  ++trials_;
  if (e.state == "COMPLETE") ++complete_;
  else if (e.state == "PRUNED") ++pruned_;
  else ++failed_;
  if (e.best_number >= 0 && std::isfinite(e.best_value)) {
    best_ = e.best_value;
    best_number_ = e.best_number;
  }
  if (live_ && !stop_) std::cout << "\r\033[K";
  std::cout << format_trial_line(e) << '\n';
  if (live_ && !stop_) redraw();
  else std::cout << std::flush;
}

}  // namespace glasswing::cli
