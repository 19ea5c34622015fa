#pragma once
// P1 Leaderboard: every candidate of the run with its cross-validated score (mean ± sd), the
// per-fold spread, the test score, fit and predict times; baselines and the chosen model marked;
// sortable by any column. Details: each candidate's per-fold scores and hyperparameters.
// interacted("sort") reports the user's sorting only, never the initial sort by rank.

#include "panels/insightpage.hpp"
#include "panels/pages/pagecommon.hpp"

QT_BEGIN_NAMESPACE
class QLabel;
class QTableWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class LeaderboardPage : public InsightPage {
  Q_OBJECT

 public:
  explicit LeaderboardPage(QWidget* parent = nullptr);
  QString panelId() const override { return QStringLiteral("P1"); }
  QString title() const override { return tr("Leaderboard"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  QTableWidget* table() const { return m_table; }
  QTableWidget* foldTable() const { return m_folds; }
  QString summaryText() const;

 private:
  pages::PageFrame m_frame;
  QLabel* m_summary = nullptr;
  QTableWidget* m_table = nullptr;
  QTableWidget* m_folds = nullptr;
  bool m_filling = false;  // setInsights() sorts the table: not the user's sort
};

}  // namespace glasswing::studio
