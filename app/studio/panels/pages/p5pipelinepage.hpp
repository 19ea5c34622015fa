#pragma once
// P5 Pipeline: what the model's feature pipeline did with every input column (column, step,
// reason) and where each model feature comes from (its source columns and the step that made it).
// Choosing a column in the steps table lists that column's features in the provenance table.

#include "panels/insightpage.hpp"
#include "panels/pages/pagecommon.hpp"

QT_BEGIN_NAMESPACE
class QLabel;
class QTableWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class PipelinePage : public InsightPage {
  Q_OBJECT

 public:
  explicit PipelinePage(QWidget* parent = nullptr);
  QString panelId() const override { return QStringLiteral("P5"); }
  QString title() const override { return tr("Pipeline"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  QTableWidget* stepTable() const { return m_steps; }
  QTableWidget* featureTable() const { return m_features; }
  QString summaryText() const;
  // Shows only the features made from `column` in the provenance table ("" shows all).
  void filterFeatures(const QString& column);

 private:
  pages::PageFrame m_frame;
  QLabel* m_summary = nullptr;
  QTableWidget* m_steps = nullptr;
  QLabel* m_filter = nullptr;
  QTableWidget* m_features = nullptr;
};

}  // namespace glasswing::studio
