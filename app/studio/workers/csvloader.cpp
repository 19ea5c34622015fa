#include "workers/csvloader.hpp"

#include <QFile>
#include <QFileInfo>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <chrono>
#include <exception>
#include <new>

namespace glasswing::studio {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Loads run on a pool of their own, not QThreadPool::globalInstance(): Qt's raster engine splits
// large fills across the global pool while the GUI thread paints (workers/background.hpp), and a
// load there would delay them. The pool's threads keep the GUI thread's priority.
QThreadPool* loaderPool() {
  static QThreadPool pool;
  return &pool;
}

// Runs on a pool thread. Catches everything: an exception that reached QtConcurrent would be
// rethrown on the GUI thread as QUnhandledException, and bad input must never crash the Studio.
CsvLoader::Outcome readAndProfile(const QString& path, const std::shared_ptr<CancelToken>& cancel) {
  CsvLoader::Outcome outcome;
  const QString name = QFileInfo(path).fileName();
  try {
    const auto start = Clock::now();
    data::CsvOptions options;
    options.cancel = cancel.get();
    auto dataset = std::make_shared<LoadedDataset>();
    dataset->path = path;
    const std::filesystem::path fsPath(QFile::encodeName(path).toStdString());
    dataset->table = std::make_shared<const data::Table>(
        data::read_csv(fsPath, options, &dataset->csvInfo));
    dataset->readSeconds = secondsSince(start);
    if (cancel->cancelled()) {
      outcome.cancelled = true;
      return outcome;
    }
    const auto profileStart = Clock::now();
    dataset->profiles = data::profile_table(*dataset->table);
    dataset->profileSeconds = secondsSince(profileStart);
    dataset->totalSeconds = secondsSince(start);
    outcome.dataset = std::move(dataset);
  } catch (const Error& error) {
    outcome.cancelled = cancel->cancelled();
    outcome.kind = error.kind();
    outcome.error = QString::fromUtf8(error.what());
  } catch (const std::bad_alloc&) {
    outcome.kind = ErrorKind::Resource;
    outcome.error = QStringLiteral("%1: out of memory while reading the file; close other "
                                   "programs or use a smaller sample of the data.")
                        .arg(name);
  } catch (const std::exception& error) {
    outcome.kind = ErrorKind::Internal;
    outcome.error = QStringLiteral("%1: unexpected error while reading the file (%2); please "
                                   "report this as a bug.")
                        .arg(name, QString::fromUtf8(error.what()));
  } catch (...) {
    outcome.kind = ErrorKind::Internal;
    outcome.error = QStringLiteral("%1: unknown error while reading the file; please report "
                                   "this as a bug.")
                        .arg(name);
  }
  if (outcome.error.trimmed().isEmpty() && !outcome.dataset && !outcome.cancelled) {
    outcome.error = QStringLiteral("%1: the file could not be read.").arg(name);
  }
  return outcome;
}

}  // namespace

CsvLoader::CsvLoader(QObject* parent)
    : QObject(parent), m_watcher(new QFutureWatcher<Outcome>(this)) {
  connect(m_watcher, &QFutureWatcher<Outcome>::finished, this, &CsvLoader::onWorkerDone);
}

CsvLoader::~CsvLoader() {
  // The worker holds its own reference to the token and to nothing of ours, so it may finish
  // after we are gone; cancelling makes it stop at its next poll.
  cancel();
}

void CsvLoader::load(const QString& path) {
  cancel();
  m_cancel = std::make_shared<CancelToken>();
  m_path = path;
  m_loading = true;
  emit started(path);
  // setFuture() detaches the watcher from a superseded future, whose outcome is then dropped.
  m_watcher->setFuture(QtConcurrent::run(loaderPool(), readAndProfile, path, m_cancel));
}

void CsvLoader::cancel() {
  if (m_cancel) m_cancel->cancel();
  m_loading = false;
}

void CsvLoader::onWorkerDone() {
  const bool wasLoading = m_loading;
  m_loading = false;
  const QFuture<Outcome> future = m_watcher->future();
  if (!wasLoading || future.resultCount() == 0) return;  // cancelled by the user
  const Outcome outcome = future.result();
  if (outcome.cancelled) return;
  if (outcome.dataset) {
    emit finished(outcome.dataset);
  } else {
    emit failed(m_path, outcome.error, static_cast<int>(outcome.kind));
  }
}

}  // namespace glasswing::studio
