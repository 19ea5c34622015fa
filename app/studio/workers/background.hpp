#pragma once
// Background work that must not compete with the GUI thread: runInBackground(f) runs f on a
// thread pool of its own (not QThreadPool::globalInstance()) at the engine worker's nice value
// (RunWorker::kWorkerNice on Linux; nice is per thread there, and the threads f starts, such as
// XGBoost's OpenMP team, inherit it). On a busy 2-core machine the GUI thread and the X server
// then win the CPU over it. A thread that lowered its priority cannot raise it again without
// privileges, hence the separate pool: the global pool's threads keep the GUI's priority. They
// must: Qt 6.4's raster engine splits large gradient and image fills across
// QThreadPool::globalInstance() and the GUI thread waits for them while it paints, so long or
// low-priority work on the global pool would stall painting (bench/studio/RESULTS.md).

#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <cerrno>
#include <utility>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace glasswing::studio {

// Lowers the calling thread's scheduling priority to `nice` (a no-op where it already is lower).
inline void lowerCurrentThreadPriority(int nice) {
#ifdef __linux__
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, tid);
  if (errno == 0 && now >= nice) return;
  (void)setpriority(PRIO_PROCESS, tid, nice);
#else
  (void)nice;
#endif
}

// The pool runInBackground() uses; its threads run at kBackgroundNice.
inline QThreadPool* backgroundPool() {
  static QThreadPool pool;
  return &pool;
}

inline constexpr int kBackgroundNice = 10;  // RunWorker::kWorkerNice

// QtConcurrent::run(f) on backgroundPool(), at kBackgroundNice: returns f's QFuture.
template <typename F>
auto runInBackground(F&& f) {
  return QtConcurrent::run(backgroundPool(), [f = std::forward<F>(f)]() mutable {
    lowerCurrentThreadPriority(kBackgroundNice);
    return f();
  });
}

}  // namespace glasswing::studio
