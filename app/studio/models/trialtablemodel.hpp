#pragma once
// TrialTableModel: every finished trial of the run in progress, in the order the engine reported
// them (the trials table of the search panel, P6): number, state, family, CV score ± sd, best so
// far, elapsed time and, for failed trials, the reason. Rows are appended in batches as the
// RunWorker hands them over.

#include <QAbstractTableModel>
#include <vector>

#include "automl/engine/run.hpp"

namespace glasswing::studio {

class TrialTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { Number, State, Family, Value, Sd, Best, Elapsed, FailReason, ColumnCount };
  static constexpr int SortRole = Qt::UserRole + 1;

  explicit TrialTableModel(QObject* parent = nullptr);

  void append(const std::vector<engine::TrialEvent>& trials);
  void clear();
  const std::vector<engine::TrialEvent>& trials() const { return m_trials; }
  int failedCount() const;

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  std::vector<engine::TrialEvent> m_trials;
};

}  // namespace glasswing::studio
