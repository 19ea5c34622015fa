#pragma once
// P2 Metrics: every applicable metric with its percentile-bootstrap 95% interval (a table and an
// interval plot), where it was evaluated (the test set, or the chosen candidate's out-of-fold
// predictions), and in Details every metric per cross-validation fold of the chosen candidate.

#include "panels/insightpage.hpp"
#include "panels/pages/pagecommon.hpp"

QT_BEGIN_NAMESPACE
class QLabel;
class QTableWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class MetricsPage : public InsightPage {
  Q_OBJECT

 public:
  explicit MetricsPage(QWidget* parent = nullptr);
  QString panelId() const override { return QStringLiteral("P2"); }
  QString title() const override { return tr("Metrics"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  QTableWidget* intervalTable() const { return m_table; }
  QTableWidget* foldTable() const { return m_folds; }
  QString evaluatedOnText() const;

 private:
  pages::PageFrame m_frame;
  QLabel* m_evaluated = nullptr;
  QTableWidget* m_table = nullptr;
  QWidget* m_chart = nullptr;
  QLabel* m_foldsOf = nullptr;
  QTableWidget* m_folds = nullptr;
};

}  // namespace glasswing::studio
