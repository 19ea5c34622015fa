#pragma once
// P8 Explanations: what the chosen model relies on (transparency::ExplainSection). Summary: the
// columns it relies on most. On demand, in tabs: permutation importance with its spread over the
// repeats (bars with whiskers); SHAP global (mean |SHAP| per column and a beeswarm of the top
// features, coloured by the feature's value); one row's SHAP waterfall with a row chooser (other
// rows are explained on a worker thread, see workers/rowexplainer.hpp); PDP with ICE lines for
// the top columns (a column selector); linear coefficients (signed bars) or the model's own
// importance. A family without SHAP gets a notice instead of the SHAP tabs' charts.

#include <cstddef>
#include <memory>

#include "panels/insightpage.hpp"

QT_BEGIN_NAMESPACE
class QChartView;
class QComboBox;
class QLabel;
class QSpinBox;
class QTabWidget;
QT_END_NAMESPACE

namespace glasswing::transparency {
struct ShapLocal;
}

namespace glasswing::studio {

class HBarChart;

class ExplanationsPage : public InsightPage {
  Q_OBJECT

 public:
  explicit ExplanationsPage(QWidget* parent = nullptr);
  ~ExplanationsPage() override;

  QString panelId() const override { return QStringLiteral("P8"); }
  QString title() const override { return tr("Explanations"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  QString summaryText() const;
  QString shapNoticeText() const;
  QTabWidget* tabs() const { return m_tabs; }
  HBarChart* permutationChart() const { return m_permutation; }
  HBarChart* shapChart() const { return m_shap; }
  HBarChart* waterfallChart() const { return m_waterfall; }
  HBarChart* coefficientChart() const { return m_coefficients; }
  QComboBox* coefficientOutputs() const { return m_coefOutput; }
  QWidget* beeswarmView() const;
  int beeswarmPointCount() const { return m_beeswarmPoints; }
  QStringList beeswarmFeatures() const { return m_beeswarmFeatures; }
  // PDP/ICE.
  QStringList pdpColumns() const;
  bool setPdpColumn(const QString& column);
  int iceLineCount() const { return m_iceLines; }
  int pdpPointCount() const { return m_pdpPoints; }
  QWidget* pdpView() const;
  // One row: the row shown, and choosing another (explained on a worker thread; waterfallShown
  // is emitted when it is drawn, or the page's row notice says why it could not be).
  std::size_t waterfallRow() const { return m_waterfallRow; }
  void chooseRow(std::size_t row);
  bool rowBusy() const { return m_rowBusy; }
  QString rowNoticeText() const;

 signals:
  void waterfallShown(qulonglong row);

 private:
  void drawShap();
  void drawBeeswarm(int output);
  void drawWaterfall(const transparency::ShapLocal& local, const QString& rowLabel);
  void drawPdp();
  void drawCoefficients();

  std::shared_ptr<const transparency::RunInsights> m_insights;
  QLabel* m_summary = nullptr;
  QLabel* m_notices = nullptr;
  QTabWidget* m_tabs = nullptr;
  HBarChart* m_permutation = nullptr;
  QLabel* m_shapNotice = nullptr;
  HBarChart* m_shap = nullptr;
  QChartView* m_beeswarm = nullptr;
  QComboBox* m_shapOutput = nullptr;
  HBarChart* m_waterfall = nullptr;
  QSpinBox* m_row = nullptr;
  QLabel* m_rowNotice = nullptr;
  QComboBox* m_pdpColumn = nullptr;
  QChartView* m_pdp = nullptr;
  QComboBox* m_coefOutput = nullptr;
  QLabel* m_coefficientNotice = nullptr;
  HBarChart* m_coefficients = nullptr;
  int m_beeswarmPoints = 0, m_iceLines = 0, m_pdpPoints = 0;
  QStringList m_beeswarmFeatures;
  std::size_t m_waterfallRow = 0;
  bool m_rowBusy = false;
  struct RowJob;
  std::shared_ptr<RowJob> m_rowJob;  // the newest row explanation in progress
};

}  // namespace glasswing::studio
