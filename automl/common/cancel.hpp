#pragma once
// CancelToken: cooperative cancellation for long work (a run, a fit, a CSV load). The owner
// calls cancel() from any thread; workers poll cancelled() at points that come at least every
// few hundred milliseconds. A deadline makes the token report cancellation once it has passed.
//
// Thread safety: every member may be called from any thread.

#include <atomic>
#include <chrono>
#include <stdexcept>

namespace glasswing {

// Thrown by long operations that stop because their CancelToken was cancelled (or its deadline
// passed). Not an error: callers that started the work expect it.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

class CancelToken {
 public:
  using Clock = std::chrono::steady_clock;

  void cancel() noexcept { cancelled_.store(true, std::memory_order_relaxed); }
  void set_deadline(Clock::time_point deadline) noexcept {
    deadline_ns_.store(deadline.time_since_epoch().count(), std::memory_order_relaxed);
  }
  bool cancelled() const noexcept {
    if (cancelled_.load(std::memory_order_relaxed)) return true;
    const auto deadline = deadline_ns_.load(std::memory_order_relaxed);
    return deadline != kNoDeadline && Clock::now().time_since_epoch().count() >= deadline;
  }

 private:
  static constexpr Clock::rep kNoDeadline = Clock::rep{0};
  std::atomic<bool> cancelled_{false};
  std::atomic<Clock::rep> deadline_ns_{kNoDeadline};
};

}  // namespace glasswing
