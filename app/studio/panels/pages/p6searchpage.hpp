#pragma once
// P6 Search: how the search went. Summary (trials, complete/failed/pruned, the best trial), the
// best score over trials or over time (dots per complete trial, the best-so-far step line, failed
// and pruned trials marked along the bottom), then on demand the trials table (sortable; state,
// family, value, duration, params, the reason a trial failed or was pruned) and the parallel
// coordinates of the chosen family's hyperparameters (normalised axes, a family selector).
// Everything is transparency::SearchSection / SearchAnalysis as computed by the run's insights.

#include <memory>

#include "panels/insightpage.hpp"

QT_BEGIN_NAMESPACE
class QAbstractItemModel;
class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;
QT_END_NAMESPACE

namespace glasswing::studio {

class SearchPage : public InsightPage {
  Q_OBJECT

 public:
  explicit SearchPage(QWidget* parent = nullptr);

  QString panelId() const override { return QStringLiteral("P6"); }
  QString title() const override { return tr("Search"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  QString summaryText() const;
  // The score chart: over trial numbers (default) or over elapsed time.
  void setTimeAxis(bool byTime);
  bool timeAxis() const { return m_byTime; }
  int trialDotCount() const { return m_dotCount; }
  int bestLinePointCount() const { return m_bestCount; }
  int problemMarkCount() const { return m_problemCount; }
  QWidget* scoreChartView() const;
  // The trials table as shown (sortable proxy over one row per trial).
  QAbstractItemModel* trialsModel() const;
  // Parallel coordinates.
  QStringList parallelFamilies() const;
  bool setParallelFamily(const QString& family);
  QString parallelFamily() const;
  int parallelLineCount() const { return m_parallelLines; }
  QStringList parallelAxisLabels() const { return m_parallelAxes; }
  QWidget* parallelChartView() const;

 private:
  void drawScore();
  void drawParallel();

  std::shared_ptr<const transparency::RunInsights> m_insights;
  QLabel* m_summary = nullptr;
  QLabel* m_notices = nullptr;
  QComboBox* m_axisChoice = nullptr;
  QChartView* m_scoreView = nullptr;
  QStandardItemModel* m_trials = nullptr;
  QSortFilterProxyModel* m_proxy = nullptr;
  QTableView* m_table = nullptr;
  QComboBox* m_family = nullptr;
  QChartView* m_parallelView = nullptr;
  bool m_byTime = false;
  int m_dotCount = 0, m_bestCount = 0, m_problemCount = 0, m_parallelLines = 0;
  QStringList m_parallelAxes;
};

}  // namespace glasswing::studio
