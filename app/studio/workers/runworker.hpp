#pragma once
// RunWorker: runs engine::run() on a worker thread of its own (ARCHITECTURE.md habit 7), so the
// window never waits on training.
//
// start() launches the run and returns at once. The engine's per-trial callback only appends to
// a mutex-guarded queue; a GUI-thread timer drains it every kPollMilliseconds and emits
// trialsFinished() with the batch, so the window redraws at most ~5 times a second however
// fast trials finish (coalescing). When the engine returns, exactly one of finished() or
// failed() follows on the GUI thread. stop() cancels through the engine's CancelToken: the
// search stops at its next poll, and the trials that finished make the result (finished()).
// Engine errors never escape: they arrive as failed() with the engine's one-line message.
//
// The worker thread runs at a lower priority (kWorkerNice on Linux) so that the GUI thread wins
// the CPU over training on a busy machine.
//
// Thread safety: use from the GUI thread only. The worker thread shares only the Job (queue under
// a mutex, atomics, the CancelToken) with it. The destructor cancels a run in progress and joins
// its thread (the engine stops within a few hundred milliseconds, then refits the best
// candidate, which is quick for the data the Studio is used with).

#include <QObject>
#include <QString>
#include <memory>
#include <thread>
#include <vector>

#include "automl/engine/run.hpp"

QT_BEGIN_NAMESPACE
class QTimer;
QT_END_NAMESPACE

namespace glasswing::studio {

class RunWorker : public QObject {
  Q_OBJECT

 public:
  static constexpr int kPollMilliseconds = 200;
  // The nice value of the worker thread (and the training threads it starts) on Linux.
  static constexpr int kWorkerNice = 10;

  explicit RunWorker(QObject* parent = nullptr);
  ~RunWorker() override;

  // Starts a run; false (and nothing started) while another one is in progress.
  bool start(const engine::RunSettings& settings);
  // Asks the run in progress to stop; finished() (with the trials done so far) or failed() follows.
  void stop();
  bool isRunning() const { return m_thread.joinable(); }
  bool isStopping() const;
  // Seconds since start() of the run in progress (or the last run's length once it is over).
  double elapsedSeconds() const;
  const engine::RunSettings& settings() const { return m_settings; }

 signals:
  void started();
  // The trials that finished since the last batch, in order; at most one batch per poll.
  void trialsFinished(const std::vector<glasswing::engine::TrialEvent>& trials);
  void finished(std::shared_ptr<const glasswing::engine::RunResult> result);
  // `kind` is the engine's ErrorKind as an int (BadInput = 3, ...); `message` is one line.
  void failed(const QString& message, int kind);

 public:
  // What the worker thread and the GUI thread share; public for the worker, not the interface.
  struct Job;

 private:
  void poll();
  void join();

  std::shared_ptr<Job> m_job;
  std::thread m_thread;
  QTimer* m_timer = nullptr;
  engine::RunSettings m_settings;
  double m_lastElapsed = 0.0;
};

}  // namespace glasswing::studio
