#pragma once
// P4 Data: the data warnings first (severity, kind, column, the measured value, what to do),
// then the profile summary, the class balance (classification) and, with a test set, the drift
// of every column (population stability index). Details: every column's profile and each
// feature's predictive power alone (the leakage screen).

#include "panels/insightpage.hpp"
#include "panels/pages/pagecommon.hpp"

QT_BEGIN_NAMESPACE
class QLabel;
class QTableWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class DataPage : public InsightPage {
  Q_OBJECT

 public:
  explicit DataPage(QWidget* parent = nullptr);
  QString panelId() const override { return QStringLiteral("P4"); }
  QString title() const override { return tr("Data"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  QTableWidget* warningTable() const { return m_warnings; }
  QTableWidget* balanceTable() const { return m_balance; }
  QTableWidget* driftTable() const { return m_drift; }
  QTableWidget* profileTable() const { return m_profile; }
  QTableWidget* signalTable() const { return m_signals; }
  QString summaryText() const;

 private:
  pages::PageFrame m_frame;
  QLabel* m_summary = nullptr;
  QTableWidget* m_warnings = nullptr;
  QLabel* m_balanceTitle = nullptr;
  QTableWidget* m_balance = nullptr;
  QLabel* m_driftTitle = nullptr;
  QTableWidget* m_drift = nullptr;
  QTableWidget* m_profile = nullptr;
  QTableWidget* m_signals = nullptr;
};

}  // namespace glasswing::studio
