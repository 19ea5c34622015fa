#pragma once
// P3 Curves. Classification: ROC, precision-recall, calibration (reliability diagram and Brier
// score), cumulative gains and lift, and the confusion matrix at a threshold chosen with a slider
// (counts recomputed from the curve data, which carries the exact counts at every threshold where
// they change; buttons jump to the F1- and balanced-accuracy-maximising thresholds); multiclass:
// one class against the rest (a class selector) and the K x K confusion matrix. Regression:
// residuals against predicted values, predicted against actual, and the residual histogram.
// A slider move emits interacted("P3", "threshold", {"value": ...}).

#include <vector>

#include "panels/insightpage.hpp"
#include "panels/pages/pagecommon.hpp"

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QTableWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class CurvesPage : public InsightPage {
  Q_OBJECT

 public:
  explicit CurvesPage(QWidget* parent = nullptr);
  QString panelId() const override { return QStringLiteral("P3"); }
  QString title() const override { return tr("Curves"); }
  void setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) override;
  void clear() override;

  // The counts at one threshold (a row is predicted positive when its score >= threshold).
  struct Counts {
    double threshold = 0.0;
    std::size_t tp = 0, fp = 0, fn = 0, tn = 0;
  };
  // Every threshold of the shown class at which the curve data gives the exact counts, ascending.
  const std::vector<Counts>& thresholdCounts() const { return m_counts; }
  // The counts shown now.
  Counts currentCounts() const;
  QSlider* thresholdSlider() const { return m_slider; }
  QComboBox* classSelector() const { return m_class; }
  QPushButton* bestF1Button() const { return m_bestF1; }
  QPushButton* bestBalancedButton() const { return m_bestBalanced; }
  QTableWidget* confusionTable() const { return m_confusion; }
  QTableWidget* multiclassTable() const { return m_multiclass; }
  // Selects the slider position whose threshold is closest to `threshold`.
  void setThreshold(double threshold);

 private:
  void showClass(int index);
  void onSlider(int position);
  void showCounts();

  pages::PageFrame m_frame;
  std::shared_ptr<const transparency::RunInsights> m_insights;
  QWidget* m_classification = nullptr;
  QWidget* m_regression = nullptr;
  QComboBox* m_class = nullptr;
  QLabel* m_classLabel = nullptr;
  QLabel* m_curveSummary = nullptr;
  QWidget* m_roc = nullptr;
  QWidget* m_pr = nullptr;
  QWidget* m_calibration = nullptr;
  QWidget* m_gains = nullptr;
  QSlider* m_slider = nullptr;
  QLabel* m_thresholdLabel = nullptr;
  QPushButton* m_bestF1 = nullptr;
  QPushButton* m_bestBalanced = nullptr;
  QTableWidget* m_confusion = nullptr;
  QLabel* m_confusionRates = nullptr;
  QTableWidget* m_multiclass = nullptr;
  QTableWidget* m_gainsTable = nullptr;
  QLabel* m_regressionSummary = nullptr;
  QWidget* m_residuals = nullptr;
  QWidget* m_predActual = nullptr;
  QWidget* m_histogram = nullptr;
  std::vector<Counts> m_counts;
  std::size_t m_positives = 0, m_negatives = 0;
  double m_f1Threshold = 0.0, m_balancedThreshold = 0.0;
  bool m_settingThreshold = false;  // setThreshold() moves the slider: not the user's move
};

}  // namespace glasswing::studio
