#pragma once
// CsvLoader: reads and profiles a CSV file off the GUI thread (ARCHITECTURE.md habit 7).
//
// load() starts the work on Qt's global thread pool and returns at once; exactly one of
// finished() or failed() follows on the GUI thread for each load that is not superseded. A
// second load() cancels the first (through the engine's CancelToken) and its outcome is never
// reported. Engine errors never escape: they arrive as failed() with the engine's one-line
// message, which names the file and the remedy.
//
// Thread safety: use from the GUI thread only. The worker shares nothing mutable with it but the
// CancelToken, which is thread-safe.

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <memory>
#include <vector>

#include "automl/common/cancel.hpp"
#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/data/profile.hpp"
#include "automl/data/table.hpp"

namespace glasswing::studio {

// A loaded file: immutable once built, shared between the panels that show it.
struct LoadedDataset {
  QString path;
  std::shared_ptr<const data::Table> table;
  std::vector<data::ColumnProfile> profiles;
  data::CsvInfo csvInfo;
  double readSeconds = 0.0;
  double profileSeconds = 0.0;
  double totalSeconds = 0.0;
};

class CsvLoader : public QObject {
  Q_OBJECT

 public:
  explicit CsvLoader(QObject* parent = nullptr);
  ~CsvLoader() override;

  void load(const QString& path);
  void cancel();
  bool isLoading() const { return m_loading; }

 signals:
  void started(const QString& path);
  void finished(std::shared_ptr<const glasswing::studio::LoadedDataset> dataset);
  // `kind` is the engine's ErrorKind as an int (BadInput = 3, ...); `message` is one line.
  void failed(const QString& path, const QString& message, int kind);

 public:
  // What the worker hands back; public for QFuture, not part of the interface.
  struct Outcome {
    std::shared_ptr<const LoadedDataset> dataset;
    QString error;
    ErrorKind kind = ErrorKind::Internal;
    bool cancelled = false;
  };

 private:
  void onWorkerDone();

  QFutureWatcher<Outcome>* m_watcher = nullptr;
  std::shared_ptr<CancelToken> m_cancel;
  QString m_path;
  bool m_loading = false;
};

}  // namespace glasswing::studio
