#pragma once
// P9 Fairness: per-group metrics by a column the user chooses (selection rate, TPR, FPR,
// accuracy, disparate impact ratio against the most favoured group), as a table and grouped
// bars, with the four-fifths rule in the summary and the transparency module's notices.
//
// The chooser lists the run's categorical and low-cardinality columns (at most 20 distinct
// values, the target excluded; from the data profile). Choosing one computes
// transparency::fairness_for on a worker thread (the evaluation rows the insights kept; no model
// is run); fairnessShown() follows. A column that does not exist, the target, or a run that is not
// binary classification shows a notice instead of numbers.

#include <memory>

#include "panels/insightpage.hpp"

QT_BEGIN_NAMESPACE
class QChartView;
class QComboBox;
class QLabel;
class QTableWidget;
QT_END_NAMESPACE

namespace glasswing::transparency {
struct FairnessSection;
}

namespace glasswing::studio {

class FairnessPage : public InsightPage {
  Q_OBJECT

 public:
  explicit FairnessPage(QWidget* parent = nullptr);
  ~FairnessPage() override;

  QString panelId() const override { return QStringLiteral("P9"); }
  QString title() const override { return tr("Fairness"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  // The columns offered by the chooser.
  QStringList columns() const;
  // Computes fairness by `column` off the GUI thread (any name: a bad one gives a notice).
  void chooseColumn(const QString& column);
  bool busy() const { return m_busy; }
  QString column() const { return m_column; }
  // The section shown (null before a column is chosen).
  std::shared_ptr<const transparency::FairnessSection> section() const { return m_section; }
  QString summaryText() const;
  QString noticeText() const;
  QTableWidget* table() const { return m_table; }
  QWidget* chartView() const;
  int barSetCount() const { return m_barSets; }
  int barCategoryCount() const { return m_barCategories; }

 signals:
  void fairnessShown(const QString& column);

 private:
  void show(const QString& column, std::shared_ptr<const transparency::FairnessSection> section);

  std::shared_ptr<const transparency::RunInsights> m_insights;
  std::shared_ptr<const transparency::FairnessSection> m_section;
  QLabel* m_summary = nullptr;
  QLabel* m_notices = nullptr;
  QComboBox* m_chooser = nullptr;
  QTableWidget* m_table = nullptr;
  QChartView* m_chart = nullptr;
  QString m_column;
  bool m_busy = false;
  int m_barSets = 0, m_barCategories = 0;
  quint64 m_generation = 0;
};

}  // namespace glasswing::studio
