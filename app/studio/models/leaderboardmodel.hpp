#pragma once
// LeaderboardModel: the run's candidates, best first (the start of the leaderboard panel, P1):
// rank, trial, family, CV mean ± sd, test score, fit and predict time, hyperparameters. A
// read-only adapter over the engine's LeaderboardRow structs. The constant baseline is always a
// row (the engine guarantees it) and is marked: "(baseline)" after its family, italic, a tinted
// background and BaselineRole = true, so the user can see how much better than a guess each
// candidate is. Sort through a QSortFilterProxyModel with sortRole() == SortRole.

#include <QAbstractTableModel>
#include <QString>
#include <vector>

#include "automl/engine/run.hpp"

namespace glasswing::studio {

class LeaderboardModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { Rank, Trial, Family, CvMean, CvSd, Test, FitSeconds, PredictSeconds, Params,
                ColumnCount };
  static constexpr int SortRole = Qt::UserRole + 1;      // a double, or the text
  static constexpr int BaselineRole = Qt::UserRole + 2;  // true on the constant baseline's row

  explicit LeaderboardModel(QObject* parent = nullptr);

  // `metric` names the score (for the header and its tooltip); `maximize` its direction.
  void setResult(const std::vector<engine::LeaderboardRow>& rows, const QString& metric, bool maximize);
  void clear();
  const std::vector<engine::LeaderboardRow>& rows() const { return m_rows; }
  // The source row of the constant baseline; -1 when there is none.
  int baselineRow() const;

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  std::vector<engine::LeaderboardRow> m_rows;
  QString m_metric;
  QString m_metricDescription;
  bool m_maximize = true;
};

}  // namespace glasswing::studio
