#pragma once
// P7 Hyperparameter importance: fANOVA importance (transparency::SearchAnalysis) globally (the
// family choice "model" and each family's params, by the law of total variance) and per family,
// as sorted horizontal bars with the spread over trees; a scope selector; a table on demand.
// When the search had too few trials the page says why instead of drawing bars.

#include <memory>

#include "panels/insightpage.hpp"

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QTableWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class HBarChart;

class ImportancePage : public InsightPage {
  Q_OBJECT

 public:
  explicit ImportancePage(QWidget* parent = nullptr);

  QString panelId() const override { return QStringLiteral("P7"); }
  QString title() const override { return tr("Hyperparameter importance"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  QString summaryText() const;
  // "global" or a family name.
  QStringList scopes() const;
  bool setScope(const QString& scope);
  QString scope() const;
  HBarChart* chart() const { return m_chart; }
  QTableWidget* table() const { return m_table; }

 private:
  void draw();

  std::shared_ptr<const transparency::RunInsights> m_insights;
  QLabel* m_summary = nullptr;
  QLabel* m_notices = nullptr;
  QComboBox* m_scope = nullptr;
  HBarChart* m_chart = nullptr;
  QTableWidget* m_table = nullptr;
};

}  // namespace glasswing::studio
