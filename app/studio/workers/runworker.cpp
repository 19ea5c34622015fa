#include "workers/runworker.hpp"

#include <QTimer>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <new>
#include <optional>

#include "automl/common/cancel.hpp"
#include "automl/common/error.hpp"
#include "workers/background.hpp"

namespace glasswing::studio {

using Clock = std::chrono::steady_clock;

// What the worker thread and the GUI thread share. Held by shared_ptr on both sides.
struct RunWorker::Job {
  CancelToken cancel;
  Clock::time_point start = Clock::now();
  std::mutex mutex;                          // guards the members below
  std::vector<engine::TrialEvent> pending;   // finished trials not yet handed to the GUI
  std::shared_ptr<const engine::RunResult> result;
  QString error;
  ErrorKind kind = ErrorKind::Internal;
  std::atomic<bool> done{false};
  std::atomic<bool> stopping{false};
};

namespace {

// Runs on the worker thread. Catches everything: bad input must never take the Studio down.
void runJob(const std::shared_ptr<RunWorker::Job>& job, const engine::RunSettings& settings);

}  // namespace

RunWorker::RunWorker(QObject* parent) : QObject(parent), m_timer(new QTimer(this)) {
  m_timer->setInterval(kPollMilliseconds);
  connect(m_timer, &QTimer::timeout, this, &RunWorker::poll);
}

RunWorker::~RunWorker() {
  if (m_job) m_job->cancel.cancel();
  join();
}

bool RunWorker::start(const engine::RunSettings& settings) {
  if (isRunning()) return false;
  m_settings = settings;
  m_job = std::make_shared<Job>();
  m_lastElapsed = 0.0;
  std::shared_ptr<Job> job = m_job;
  m_thread = std::thread([job, settings] { runJob(job, settings); });
  m_timer->start();
  emit started();
  return true;
}

void RunWorker::stop() {
  if (!m_job || !isRunning()) return;
  m_job->stopping = true;
  m_job->cancel.cancel();
}

bool RunWorker::isStopping() const { return m_job && isRunning() && m_job->stopping; }

double RunWorker::elapsedSeconds() const {
  if (!isRunning() || !m_job) return m_lastElapsed;
  return std::chrono::duration<double>(Clock::now() - m_job->start).count();
}

void RunWorker::join() {
  if (m_thread.joinable()) m_thread.join();
}

void RunWorker::poll() {
  if (!m_job) return;
  const bool done = m_job->done.load();  // read before draining: no trial can follow `done`
  std::vector<engine::TrialEvent> batch;
  {
    std::lock_guard lock(m_job->mutex);
    batch.swap(m_job->pending);
  }
  if (!batch.empty()) emit trialsFinished(batch);
  if (!done) return;
  m_timer->stop();
  m_lastElapsed = std::chrono::duration<double>(Clock::now() - m_job->start).count();
  join();  // the thread has finished its work: this returns at once
  const std::shared_ptr<Job> job = std::move(m_job);
  std::shared_ptr<const engine::RunResult> result;
  QString error;
  ErrorKind kind = ErrorKind::Internal;
  {
    std::lock_guard lock(job->mutex);
    result = job->result;
    error = job->error;
    kind = job->kind;
  }
  if (result) {
    m_lastElapsed = result->seconds;
    emit finished(result);
  } else {
    emit failed(error, static_cast<int>(kind));
  }
}

namespace {

static_assert(RunWorker::kWorkerNice == kBackgroundNice, "the run and other background work share one nice value");

void runJob(const std::shared_ptr<RunWorker::Job>& job, const engine::RunSettings& settings) {
  // Linux: nice is per thread, and the threads the engine starts (its search and fold threads,
  // XGBoost's OpenMP team, LibTorch's pools) inherit it, so every training thread runs at
  // kWorkerNice (checked with `ps -L` during a Studio run: bench/studio/RESULTS.md). On a busy
  // machine the GUI thread then wins the CPU over training; training still gets every core
  // nothing else wants.
  lowerCurrentThreadPriority(RunWorker::kWorkerNice);
  std::shared_ptr<const engine::RunResult> result;
  QString error;
  ErrorKind kind = ErrorKind::Internal;
  try {
    auto onTrial = [&job](const engine::TrialEvent& event) {
      std::lock_guard lock(job->mutex);
      job->pending.push_back(event);
    };
    result = std::make_shared<const engine::RunResult>(engine::run(settings, onTrial, &job->cancel));
  } catch (const Error& e) {
    kind = e.kind();
    error = QString::fromUtf8(e.what());
  } catch (const Cancelled&) {
    kind = ErrorKind::Resource;
    error = QStringLiteral("The run was stopped before any trial finished; start it again and "
                           "let at least one trial finish.");
  } catch (const std::bad_alloc&) {
    kind = ErrorKind::Resource;
    error = QStringLiteral("Out of memory during the run; close other programs, use a smaller "
                           "sample of the data or fewer model families.");
  } catch (const std::exception& e) {
    kind = ErrorKind::Internal;
    error = QStringLiteral("Unexpected error during the run (%1); please report this as a bug.")
                .arg(QString::fromUtf8(e.what()));
  } catch (...) {
    kind = ErrorKind::Internal;
    error = QStringLiteral("Unknown error during the run; please report this as a bug.");
  }
  if (!result && error.trimmed().isEmpty()) error = QStringLiteral("The run failed without a message.");
  {
    std::lock_guard lock(job->mutex);
    job->result = std::move(result);
    job->error = std::move(error);
    job->kind = kind;
  }
  job->done = true;
}

}  // namespace

}  // namespace glasswing::studio
