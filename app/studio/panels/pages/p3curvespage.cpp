#include "panels/pages/p3curvespage.hpp"

#include <QComboBox>
#include <QGridLayout>
#include <QHeaderView>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "charts/insightcharts.hpp"
#include "palette.hpp"
#include "panels/insightsdata.hpp"

namespace glasswing::studio {

using namespace pages;
using insightcharts::Series;

namespace {

std::size_t roundCount(double value) { return value <= 0.0 ? 0 : static_cast<std::size_t>(std::llround(value)); }

double ratio(double a, double b) { return b > 0.0 ? a / b : 0.0; }

}  // namespace

CurvesPage::CurvesPage(QWidget* parent)
    : InsightPage(parent), m_frame(this, tr("No run shown: the curves appear when a run has finished.")) {
  setObjectName(QStringLiteral("P3"));

  // Classification.
  m_classification = new QWidget(this);
  m_classification->setObjectName(QStringLiteral("classificationCurves"));
  auto* cl = new QVBoxLayout(m_classification);
  cl->setContentsMargins(0, 0, 0, 0);
  auto* classRow = new QHBoxLayout;
  m_classLabel = new QLabel(tr("Positive class:"), m_classification);
  m_class = new QComboBox(m_classification);
  m_class->setObjectName(QStringLiteral("classSelector"));
  m_class->setToolTip(tr("Multiclass: the curves show this class against all the others (one vs rest)."));
  classRow->addWidget(m_classLabel);
  classRow->addWidget(m_class);
  classRow->addStretch(1);
  cl->addLayout(classRow);
  m_curveSummary = new QLabel(m_classification);
  m_curveSummary->setObjectName(QStringLiteral("curveSummary"));
  m_curveSummary->setWordWrap(true);
  cl->addWidget(m_curveSummary);

  // The confusion matrix at the chosen threshold.
  auto* thresholdRow = new QHBoxLayout;
  m_slider = new QSlider(Qt::Horizontal, m_classification);
  m_slider->setObjectName(QStringLiteral("thresholdSlider"));
  m_slider->setToolTip(tr("A row is predicted positive when its score is at or above the threshold."));
  m_thresholdLabel = new QLabel(m_classification);
  m_thresholdLabel->setObjectName(QStringLiteral("thresholdLabel"));
  m_thresholdLabel->setMinimumWidth(150);
  m_bestF1 = new QPushButton(tr("Best F1"), m_classification);
  m_bestF1->setObjectName(QStringLiteral("bestF1"));
  m_bestF1->setToolTip(tr("Jump to the threshold that maximises F1 on this data."));
  m_bestBalanced = new QPushButton(tr("Best balanced accuracy"), m_classification);
  m_bestBalanced->setObjectName(QStringLiteral("bestBalancedAccuracy"));
  m_bestBalanced->setToolTip(tr("Jump to the threshold that maximises balanced accuracy on this data."));
  thresholdRow->addWidget(new QLabel(tr("Threshold:"), m_classification));
  thresholdRow->addWidget(m_slider, 1);
  thresholdRow->addWidget(m_thresholdLabel);
  thresholdRow->addWidget(m_bestF1);
  thresholdRow->addWidget(m_bestBalanced);
  cl->addLayout(thresholdRow);
  auto* confusionRow = new QHBoxLayout;
  m_confusion = makeTable(m_classification, QStringLiteral("confusionAtThreshold"),
                          {tr("Predicted negative"), tr("Predicted positive")});
  m_confusion->setRowCount(2);
  m_confusion->setVerticalHeaderLabels({tr("Actual negative"), tr("Actual positive")});
  m_confusion->verticalHeader()->setVisible(true);
  m_confusion->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  m_confusion->setFixedHeight(m_confusion->horizontalHeader()->sizeHint().height() +
                              2 * m_confusion->verticalHeader()->defaultSectionSize() + 2 * m_confusion->frameWidth() + 2);
  m_confusionRates = new QLabel(m_classification);
  m_confusionRates->setObjectName(QStringLiteral("confusionRates"));
  m_confusionRates->setWordWrap(true);
  confusionRow->addWidget(m_confusion, 1);
  confusionRow->addWidget(m_confusionRates, 1);
  cl->addLayout(confusionRow);

  auto* grid = new QGridLayout;
  m_roc = insightcharts::newInsightChart(m_classification, QStringLiteral("rocChart"));
  m_pr = insightcharts::newInsightChart(m_classification, QStringLiteral("prChart"));
  m_calibration = insightcharts::newInsightChart(m_classification, QStringLiteral("calibrationChart"));
  m_gains = insightcharts::newInsightChart(m_classification, QStringLiteral("gainsChart"));
  grid->addWidget(m_roc, 0, 0);
  grid->addWidget(m_pr, 0, 1);
  grid->addWidget(m_calibration, 1, 0);
  grid->addWidget(m_gains, 1, 1);
  cl->addLayout(grid, 1);

  // Regression.
  m_regression = new QWidget(this);
  m_regression->setObjectName(QStringLiteral("regressionPlots"));
  auto* rl = new QVBoxLayout(m_regression);
  rl->setContentsMargins(0, 0, 0, 0);
  m_regressionSummary = new QLabel(m_regression);
  m_regressionSummary->setObjectName(QStringLiteral("regressionSummary"));
  m_regressionSummary->setWordWrap(true);
  rl->addWidget(m_regressionSummary);
  auto* rgrid = new QGridLayout;
  m_residuals = insightcharts::newInsightChart(m_regression, QStringLiteral("residualChart"));
  m_predActual = insightcharts::newInsightChart(m_regression, QStringLiteral("predictedActualChart"));
  m_histogram = insightcharts::newInsightChart(m_regression, QStringLiteral("residualHistogram"));
  rgrid->addWidget(m_residuals, 0, 0);
  rgrid->addWidget(m_predActual, 0, 1);
  rgrid->addWidget(m_histogram, 1, 0, 1, 2);
  rl->addLayout(rgrid, 1);

  m_frame.summary()->addWidget(m_classification, 1);
  m_frame.summary()->addWidget(m_regression, 1);

  // Details: the class confusion matrix (hard labels) and the gains table.
  m_frame.details()->addWidget(new QLabel(tr("Confusion matrix of the predicted classes (rows: actual)."), this));
  m_multiclass = makeTable(this, QStringLiteral("classConfusion"), {});
  m_frame.details()->addWidget(m_multiclass);
  m_frame.details()->addWidget(new QLabel(tr("Cumulative gains and lift, highest scores first."), this));
  m_gainsTable = makeTable(this, QStringLiteral("gainsTable"),
                           {tr("Population"), tr("Gain"), tr("Lift"), tr("Bin lift"), tr("Lowest score")});
  m_frame.details()->addWidget(m_gainsTable, 1);

  connect(m_class, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (!m_insights || index < 0) return;
    showClass(index);
    emit interacted(panelId(), QStringLiteral("select_class"), jsonDetail(QStringLiteral("class"), m_class->itemText(index)));
  });
  connect(m_slider, &QSlider::valueChanged, this, &CurvesPage::onSlider);
  connect(m_bestF1, &QPushButton::clicked, this, [this] {
    setThreshold(m_f1Threshold);
    emit interacted(panelId(), QStringLiteral("best_threshold"), QStringLiteral("{\"criterion\":\"f1\"}"));
  });
  connect(m_bestBalanced, &QPushButton::clicked, this, [this] {
    setThreshold(m_balancedThreshold);
    emit interacted(panelId(), QStringLiteral("best_threshold"),
                    QStringLiteral("{\"criterion\":\"balanced_accuracy\"}"));
  });
}

void CurvesPage::clear() {
  m_insights.reset();
  m_counts.clear();
  {
    const QSignalBlocker blocker(m_class);
    m_class->clear();
  }
  m_multiclass->setRowCount(0);
  m_multiclass->setColumnCount(0);
  m_gainsTable->setRowCount(0);
  m_frame.setNotices({});
  m_frame.showContent(false);
}

void CurvesPage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  m_insights = insights;
  const auto& curves = insights->curves;
  const bool classification = !curves.binary.empty();
  m_classification->setVisible(classification);
  m_regression->setVisible(!classification && curves.regression.has_value());

  // The class confusion matrix (details).
  m_multiclass->setRowCount(0);
  m_multiclass->setColumnCount(0);
  if (curves.confusion) {
    const auto& cm = *curves.confusion;
    const int k = static_cast<int>(cm.matrix.size());
    QStringList labels;
    for (int i = 0; i < k; ++i) {
      const auto index = static_cast<std::size_t>(i);
      labels << (index < cm.labels.size() ? qs(cm.labels[index]) : QString::number(i));
    }
    m_multiclass->setColumnCount(k);
    m_multiclass->setRowCount(k);
    QStringList predicted, actual;
    for (const auto& label : labels) {
      predicted << tr("pred. %1").arg(label);
      actual << tr("actual %1").arg(label);
    }
    m_multiclass->setHorizontalHeaderLabels(predicted);
    m_multiclass->setVerticalHeaderLabels(actual);
    m_multiclass->verticalHeader()->setVisible(true);
    for (int r = 0; r < k; ++r) {
      const auto& row = cm.matrix[static_cast<std::size_t>(r)];
      for (int c = 0; c < k && static_cast<std::size_t>(c) < row.size(); ++c) {
        setNumber(m_multiclass, r, c, static_cast<double>(row[static_cast<std::size_t>(c)]), 12);
      }
    }
    finishTable(m_multiclass);
  }

  if (classification) {
    {
      const QSignalBlocker blocker(m_class);
      m_class->clear();
      for (const auto& b : curves.binary) {
        m_class->addItem(b.label.empty() ? QString::number(b.positive) : qs(b.label));
      }
      m_class->setEnabled(curves.binary.size() > 1);
      m_classLabel->setText(curves.binary.size() > 1 ? tr("Class (one vs rest):") : tr("Positive class:"));
      m_class->setCurrentIndex(0);
    }
    showClass(0);
  } else if (curves.regression) {
    const auto& rp = *curves.regression;
    m_regressionSummary->setText(
        tr("Residual = actual − predicted over %1 row(s): mean %2, sd %3, range %4 to %5. The plots show %6 of them.")
            .arg(rp.rows)
            .arg(num(rp.mean_residual), num(rp.sd_residual), num(rp.min_residual), num(rp.max_residual))
            .arg(rp.predicted.size()));
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t i = 0; i < rp.predicted.size(); ++i) {
      lo = std::min({lo, rp.predicted[i], rp.actual[i]});
      hi = std::max({hi, rp.predicted[i], rp.actual[i]});
    }
    std::vector<double> zeroX, zeroY;
    if (lo <= hi) {
      zeroX = {lo, hi};
      zeroY = {0.0, 0.0};
    }
    insightcharts::setSeries(m_residuals, tr("Residuals vs predicted"), tr("predicted"), tr("residual"),
                             {Series{tr("rows"), rp.predicted, rp.residual, palette::blue(), true, false},
                              Series{tr("zero"), zeroX, zeroY, palette::black(), false, true}});
    insightcharts::setSeries(m_predActual, tr("Predicted vs actual"), tr("actual"), tr("predicted"),
                             {Series{tr("rows"), rp.actual, rp.predicted, palette::bluishGreen(), true, false},
                              Series{tr("perfect"), zeroX, zeroX, palette::black(), false, true}});
    std::vector<insightcharts::Bar> bars;
    for (const auto& bin : rp.residual_histogram) {
      bars.push_back({num(bin.low, 3), static_cast<double>(bin.count)});
    }
    insightcharts::setBars(m_histogram, tr("Residual histogram (bins start at)"), tr("rows"), bars,
                           palette::numericBars());
  }
  m_frame.setNotices(curves.notices);
  m_frame.showContent(true);
}

void CurvesPage::showClass(int index) {
  if (!m_insights || index < 0 || static_cast<std::size_t>(index) >= m_insights->curves.binary.size()) return;
  const auto& b = m_insights->curves.binary[static_cast<std::size_t>(index)];
  m_positives = b.positives;
  m_negatives = b.negatives;
  const double P = static_cast<double>(b.positives);
  const double N = static_cast<double>(b.negatives);

  // The exact counts wherever the curve data carries them: every ROC point (tpr x P, fpr x N),
  // every precision-recall point with a threshold and a precision above 0 (tp = recall x P,
  // fp = tp / precision - tp), and the module's own confusion matrix at its threshold.
  std::map<double, Counts> known;
  auto add = [&](double threshold, std::size_t tp, std::size_t fp) {
    if (!std::isfinite(threshold)) return;
    Counts c;
    c.threshold = threshold;
    c.tp = std::min(tp, b.positives);
    c.fp = std::min(fp, b.negatives);
    c.fn = b.positives - c.tp;
    c.tn = b.negatives - c.fp;
    known.emplace(threshold, c);
  };
  const auto& roc = b.roc;
  for (std::size_t i = 0; i < roc.thresholds.size() && i < roc.tpr.size() && i < roc.fpr.size(); ++i) {
    if (std::isfinite(roc.tpr[i]) && std::isfinite(roc.fpr[i])) {
      add(roc.thresholds[i], roundCount(roc.tpr[i] * P), roundCount(roc.fpr[i] * N));
    }
  }
  const auto& pr = b.pr;
  for (std::size_t i = 0; i < pr.thresholds.size() && i < pr.precision.size() && i < pr.recall.size(); ++i) {
    if (pr.precision[i] > 0.0 && std::isfinite(pr.recall[i])) {
      const double tp = std::round(pr.recall[i] * P);
      add(pr.thresholds[i], roundCount(tp), roundCount(tp / pr.precision[i] - tp));
    }
  }
  add(b.confusion.threshold, b.confusion.tp, b.confusion.fp);
  m_counts.clear();
  for (const auto& entry : known) m_counts.push_back(entry.second);

  m_f1Threshold = b.confusion.threshold;
  m_balancedThreshold = b.confusion.threshold;
  bool hasF1 = false, hasBalanced = false;
  QStringList best;
  for (const auto& choice : b.best) {
    if (choice.criterion == "f1") {
      m_f1Threshold = choice.threshold;
      hasF1 = true;
    } else if (choice.criterion == "balanced_accuracy") {
      m_balancedThreshold = choice.threshold;
      hasBalanced = true;
    }
    best << tr("%1 %2 at threshold %3").arg(qs(choice.criterion), num(choice.value), num(choice.threshold));
  }
  m_bestF1->setEnabled(hasF1 && !m_counts.empty());
  m_bestBalanced->setEnabled(hasBalanced && !m_counts.empty());

  m_curveSummary->setText(tr("%1 positive and %2 negative row(s). ROC AUC %3, average precision %4 (random: %5), "
                             "Brier score %6 (lower is better). Best: %7.")
                              .arg(b.positives)
                              .arg(b.negatives)
                              .arg(num(roc.auc), num(pr.average_precision), num(pr.prevalence),
                                   num(b.calibration.brier), best.isEmpty() ? tr("none") : best.join(QStringLiteral("; "))));
  m_curveSummary->setToolTip(metricTooltip("roc_auc") + QLatin1Char('\n') + metricTooltip("f1") +
                             QLatin1Char('\n') + metricTooltip("balanced_accuracy"));

  insightcharts::setSeries(m_roc, tr("ROC (AUC %1)").arg(num(roc.auc)), tr("false positive rate (FPR)"),
                           tr("TPR (recall)"),
                           {Series{tr("ROC"), roc.fpr, roc.tpr, palette::blue(), false, false},
                            Series{tr("random"), {0.0, 1.0}, {0.0, 1.0}, palette::black(), false, true}},
                           {0.0, 1.0, 0.0, 1.0});
  insightcharts::setSeries(m_pr, tr("Precision-recall (AP %1)").arg(num(pr.average_precision)), tr("recall"),
                           tr("precision"),
                           {Series{tr("precision-recall"), pr.recall, pr.precision, palette::vermillion(), false, false},
                            Series{tr("random"), {0.0, 1.0}, {pr.prevalence, pr.prevalence}, palette::black(), false,
                                   true}},
                           {0.0, 1.0, 0.0, 1.0});
  insightcharts::setSeries(m_calibration, tr("Calibration (Brier %1)").arg(num(b.calibration.brier)),
                           tr("mean predicted probability"), tr("observed share"),
                           {Series{tr("model"), b.calibration.prob_pred, b.calibration.prob_true,
                                   palette::bluishGreen(), false, false},
                            Series{tr("bins"), b.calibration.prob_pred, b.calibration.prob_true,
                                   palette::bluishGreen(), true, false},
                            Series{tr("perfectly calibrated"), {0.0, 1.0}, {0.0, 1.0}, palette::black(), false, true}},
                           {0.0, 1.0, 0.0, 1.0});
  std::vector<double> population{0.0}, gain{0.0};
  for (const auto& bin : b.gains) {
    population.push_back(bin.population);
    gain.push_back(bin.gain);
  }
  insightcharts::setSeries(m_gains, tr("Cumulative gains"), tr("share of rows (highest scores first)"),
                           tr("positives found"),
                           {Series{tr("model"), population, gain, palette::reddishPurple(), false, false},
                            Series{tr("random"), {0.0, 1.0}, {0.0, 1.0}, palette::black(), false, true}},
                           {0.0, 1.0, 0.0, 1.0});
  m_gainsTable->setRowCount(static_cast<int>(b.gains.size()));
  for (std::size_t i = 0; i < b.gains.size(); ++i) {
    const auto& bin = b.gains[i];
    const int r = static_cast<int>(i);
    setNumber(m_gainsTable, r, 0, bin.population);
    setNumber(m_gainsTable, r, 1, bin.gain);
    setNumber(m_gainsTable, r, 2, bin.lift);
    setNumber(m_gainsTable, r, 3, bin.bin_lift);
    setNumber(m_gainsTable, r, 4, bin.min_score);
  }
  finishTable(m_gainsTable);

  {
    const QSignalBlocker blocker(m_slider);
    m_slider->setRange(0, std::max(0, static_cast<int>(m_counts.size()) - 1));
    m_slider->setEnabled(!m_counts.empty());
  }
  setThreshold(b.confusion.threshold);
  showCounts();
}

void CurvesPage::setThreshold(double threshold) {
  if (m_counts.empty()) return;
  std::size_t best = 0;
  for (std::size_t i = 1; i < m_counts.size(); ++i) {
    if (std::abs(m_counts[i].threshold - threshold) < std::abs(m_counts[best].threshold - threshold)) best = i;
  }
  m_settingThreshold = true;
  m_slider->setValue(static_cast<int>(best));  // showCounts() via valueChanged when it moved
  m_settingThreshold = false;
  showCounts();
}

void CurvesPage::onSlider(int position) {
  showCounts();
  // Only the user's moves are interactions: not the default threshold a run's insights set, nor
  // the move of a "best threshold" button (reported as best_threshold).
  if (!m_settingThreshold && position >= 0 && static_cast<std::size_t>(position) < m_counts.size()) {
    emit interacted(panelId(), QStringLiteral("threshold"),
                    QStringLiteral("{\"value\":%1}").arg(m_counts[static_cast<std::size_t>(position)].threshold, 0, 'g',
                                                         17));
  }
}

CurvesPage::Counts CurvesPage::currentCounts() const {
  const int position = m_slider->value();
  if (position < 0 || static_cast<std::size_t>(position) >= m_counts.size()) return {};
  return m_counts[static_cast<std::size_t>(position)];
}

void CurvesPage::showCounts() {
  const Counts c = currentCounts();
  m_thresholdLabel->setText(m_counts.empty() ? tr("no thresholds") : tr("%1").arg(num(c.threshold, 6)));
  setNumber(m_confusion, 0, 0, static_cast<double>(c.tn), 12);
  setNumber(m_confusion, 0, 1, static_cast<double>(c.fp), 12);
  setNumber(m_confusion, 1, 0, static_cast<double>(c.fn), 12);
  setNumber(m_confusion, 1, 1, static_cast<double>(c.tp), 12);
  const double tp = static_cast<double>(c.tp), fp = static_cast<double>(c.fp);
  const double fn = static_cast<double>(c.fn), tn = static_cast<double>(c.tn);
  const double precision = ratio(tp, tp + fp), recall = ratio(tp, tp + fn);
  const double f1 = ratio(2.0 * tp, 2.0 * tp + fp + fn);
  const double accuracy = ratio(tp + tn, tp + tn + fp + fn);
  const double balanced = (recall + ratio(tn, tn + fp)) / 2.0;
  m_confusionRates->setText(tr("At threshold %1: precision %2, recall %3, F1 %4, accuracy %5, balanced accuracy %6.")
                                .arg(num(c.threshold, 6), num(precision), num(recall), num(f1), num(accuracy),
                                     num(balanced)));
}

}  // namespace glasswing::studio
