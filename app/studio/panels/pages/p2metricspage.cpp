#include "panels/pages/p2metricspage.hpp"

#include <QLabel>
#include <QVBoxLayout>

#include "charts/insightcharts.hpp"
#include "panels/insightsdata.hpp"

namespace glasswing::studio {

using namespace pages;

MetricsPage::MetricsPage(QWidget* parent)
    : InsightPage(parent), m_frame(this, tr("No run shown: the metrics appear when a run has finished.")) {
  setObjectName(QStringLiteral("P2"));
  m_evaluated = new QLabel(this);
  m_evaluated->setObjectName(QStringLiteral("evaluatedOn"));
  m_evaluated->setWordWrap(true);
  m_table = makeTable(this, QStringLiteral("metricIntervals"),
                      {tr("Metric"), tr("Estimate"), tr("95% low"), tr("95% high"), tr("Resamples"), tr("Note")});
  m_table->setSortingEnabled(true);
  m_chart = insightcharts::newInsightChart(this, QStringLiteral("intervalChart"));
  m_frame.summary()->addWidget(m_evaluated);
  m_frame.summary()->addWidget(m_table);
  m_frame.summary()->addWidget(m_chart, 1);
  m_foldsOf = new QLabel(this);
  m_foldsOf->setObjectName(QStringLiteral("foldsOf"));
  m_foldsOf->setWordWrap(true);
  m_folds = makeTable(this, QStringLiteral("metricFolds"), {tr("Metric"), tr("Mean"), tr("sd"), tr("Min"), tr("Max")});
  m_folds->setSortingEnabled(true);
  m_frame.details()->addWidget(m_foldsOf);
  m_frame.details()->addWidget(m_folds, 1);
  m_frame.details()->addStretch(100);  // fixed-height tables stay at the top
}

QString MetricsPage::evaluatedOnText() const { return m_evaluated->text(); }

void MetricsPage::clear() {
  m_table->setRowCount(0);
  m_folds->setRowCount(0);
  m_evaluated->clear();
  m_foldsOf->clear();
  insightcharts::setIntervals(m_chart, QString(), {});
  m_frame.setNotices({});
  m_frame.showContent(false);
}

void MetricsPage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  const auto& section = insights->metrics;
  if (section.available) {
    QString text = tr("Evaluated on the %1 (%n row(s)).", "", static_cast<int>(section.rows))
                       .arg(qs(section.evaluated_on));
    if (section.rows_resampled > 0 && section.rows_resampled < section.rows) {
      text += tr(" The bootstrap resamples a seeded sample of %1 rows.").arg(section.rows_resampled);
    }
    text += tr(" Intervals: %1 percentile-bootstrap resamples at %2% (seed %3).")
                .arg(section.bootstrap.resamples)
                .arg(section.bootstrap.level * 100.0, 0, 'g', 3)
                .arg(section.bootstrap.seed);
    m_evaluated->setText(text);
  } else {
    m_evaluated->setText(tr("No metrics: the run has no evaluation data (see the notices)."));
  }

  m_table->setSortingEnabled(false);
  m_table->setRowCount(static_cast<int>(section.intervals.size()));
  std::vector<insightcharts::Interval> plotted;
  for (std::size_t i = 0; i < section.intervals.size(); ++i) {
    const auto& interval = section.intervals[i];
    const int r = static_cast<int>(i);
    setText(m_table, r, 0, qs(interval.metric), metricTooltip(interval.metric));
    setNumber(m_table, r, 1, interval.estimate);
    setNumber(m_table, r, 2, interval.low);
    setNumber(m_table, r, 3, interval.high);
    setNumber(m_table, r, 4, static_cast<double>(interval.resamples - interval.skipped), 8);
    setText(m_table, r, 5, qs(interval.notice), qs(interval.notice));
    plotted.push_back({qs(interval.metric), interval.estimate, interval.low, interval.high});
  }
  m_table->setSortingEnabled(true);
  finishTable(m_table);
  insightcharts::setIntervals(m_chart, tr("Metrics with 95% bootstrap intervals"), plotted);

  if (!section.per_fold_of.empty()) {
    m_foldsOf->setText(tr("Every metric on each cross-validation fold of %1 (its out-of-fold predictions).")
                           .arg(qs(section.per_fold_of)));
  } else {
    m_foldsOf->setText(tr("No per-fold metrics (see the notices)."));
  }
  std::size_t maxFolds = 0;
  for (const auto& fold : section.per_fold) maxFolds = std::max(maxFolds, fold.values.size());
  QStringList headers{tr("Metric"), tr("Mean"), tr("sd"), tr("Min"), tr("Max")};
  for (std::size_t f = 0; f < maxFolds; ++f) headers << tr("Fold %1").arg(f + 1);
  m_folds->setSortingEnabled(false);
  m_folds->setColumnCount(static_cast<int>(headers.size()));
  m_folds->setHorizontalHeaderLabels(headers);
  m_folds->setRowCount(static_cast<int>(section.per_fold.size()));
  for (std::size_t i = 0; i < section.per_fold.size(); ++i) {
    const auto& fold = section.per_fold[i];
    const int r = static_cast<int>(i);
    setText(m_folds, r, 0, qs(fold.metric), metricTooltip(fold.metric));
    setNumber(m_folds, r, 1, fold.mean);
    setNumber(m_folds, r, 2, fold.sd);
    setNumber(m_folds, r, 3, fold.min);
    setNumber(m_folds, r, 4, fold.max);
    for (std::size_t f = 0; f < fold.values.size(); ++f) setNumber(m_folds, r, 5 + static_cast<int>(f), fold.values[f]);
  }
  m_folds->setSortingEnabled(true);
  finishTable(m_folds);
  m_frame.setNotices(section.notices);
  m_frame.showContent(true);
}

}  // namespace glasswing::studio
