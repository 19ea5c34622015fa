#include "charts/scorechart.hpp"

#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "palette.hpp"

namespace glasswing::studio {

ScoreChart::ScoreChart(QWidget* parent)
    : QWidget(parent), m_view(new QChartView(this)), m_chart(m_view->chart()) {
  m_chart->setTheme(QChart::ChartThemeLight);
  m_chart->setAnimationOptions(QChart::NoAnimation);
  m_chart->setBackgroundRoundness(0);
  m_chart->setMargins(QMargins(8, 4, 12, 4));
  m_chart->legend()->setAlignment(Qt::AlignBottom);
  QFont titleFont = m_chart->titleFont();
  titleFont.setBold(true);
  m_chart->setTitleFont(titleFont);

  m_trials = new QScatterSeries;
  m_trials->setName(tr("trial"));
  m_trials->setMarkerSize(8.0);
  m_trials->setColor(palette::skyBlue());
  m_trials->setBorderColor(palette::blue());
  m_best = new QLineSeries;
  m_best->setName(tr("best so far"));
  QPen bestPen(palette::vermillion());
  bestPen.setWidthF(2.5);
  m_best->setPen(bestPen);
  m_chart->addSeries(m_trials);
  m_chart->addSeries(m_best);

  m_x = new QValueAxis;
  m_x->setTitleText(tr("elapsed (s)"));
  m_x->setLabelFormat(QStringLiteral("%.0f"));
  m_y = new QValueAxis;
  m_y->setLabelFormat(QStringLiteral("%.3f"));
  m_chart->addAxis(m_x, Qt::AlignBottom);
  m_chart->addAxis(m_y, Qt::AlignLeft);
  for (auto* series : {static_cast<QXYSeries*>(m_trials), static_cast<QXYSeries*>(m_best)}) {
    series->attachAxis(m_x);
    series->attachAxis(m_y);
  }
  m_view->setRenderHint(QPainter::Antialiasing);
  m_view->setMinimumHeight(200);
  m_view->setAccessibleName(tr("Score over time"));
  setAccessibleName(tr("Score over time"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_view);
  reset({}, true);
}

void ScoreChart::reset(const QString& metric, bool maximize) {
  m_trials->clear();
  m_best->clear();
  m_bestValue.reset();
  m_any = false;
  m_minY = m_maxY = m_maxX = 0;
  m_updates = 0;
  setMetric(metric, maximize);
  m_x->setRange(0.0, 10.0);
  m_y->setRange(0.0, 1.0);
}

void ScoreChart::setMetric(const QString& metric, bool maximize) {
  m_maximize = maximize;
  m_y->setTitleText(metric.isEmpty() ? tr("CV score") : tr("CV %1").arg(metric.toHtmlEscaped()));
  m_chart->setTitle(metric.isEmpty()
                        ? tr("Score over time")
                        : tr("Score over time (%1, %2)")
                              .arg(metric.toHtmlEscaped(),
                                   maximize ? tr("higher is better") : tr("lower is better")));
}

void ScoreChart::addTrials(const std::vector<engine::TrialEvent>& trials) {
  QList<QPointF> dots;
  QList<QPointF> steps;
  for (const auto& trial : trials) {
    m_maxX = std::max(m_maxX, trial.elapsed_s);
    if (trial.state != "COMPLETE" || !std::isfinite(trial.value)) continue;
    dots.append(QPointF(trial.elapsed_s, trial.value));
    if (!m_any) {
      m_minY = m_maxY = trial.value;
      m_any = true;
    }
    m_minY = std::min(m_minY, trial.value);
    m_maxY = std::max(m_maxY, trial.value);
    // The engine says which score is best so far, so the chart needs no direction of its own.
    if (std::isfinite(trial.best_value) && (!m_bestValue || trial.best_value != *m_bestValue)) {
      if (m_bestValue) steps.append(QPointF(trial.elapsed_s, *m_bestValue));  // the step's riser
      steps.append(QPointF(trial.elapsed_s, trial.best_value));
      m_bestValue = trial.best_value;
    }
  }
  // One append per series per batch: each append() is one repaint of the chart.
  if (!dots.isEmpty()) m_trials->append(dots);
  if (!steps.isEmpty()) m_best->append(steps);
  // Extend the best line to the latest time so it reads as "still the best".
  const int last = m_best->count() - 1;
  if (m_bestValue && last >= 0 && m_best->at(last).x() < m_maxX) {
    const QPointF end(m_maxX, *m_bestValue);
    if (last >= 1 && m_best->at(last).y() == *m_bestValue && m_best->at(last - 1).y() == *m_bestValue) {
      m_best->replace(last, end);  // move the flat tail instead of adding a point per batch
    } else {
      m_best->append(end);
    }
  }
  fitAxes();
  ++m_updates;
}

int ScoreChart::trialPointCount() const { return m_trials->count(); }
int ScoreChart::bestPointCount() const { return m_best->count(); }
QString ScoreChart::title() const { return m_chart->title(); }

void ScoreChart::fitAxes() {
  m_x->setRange(0.0, std::max(1.0, m_maxX * 1.05));
  m_x->applyNiceNumbers();  // round tick labels (0, 20, 40, ...) rather than fractions of the range
  if (!m_any) return;
  double span = m_maxY - m_minY;
  if (!(span > 0.0)) span = std::max(0.05, std::fabs(m_maxY) * 0.1);
  m_y->setRange(m_minY - span * 0.08, m_maxY + span * 0.08);
}

}  // namespace glasswing::studio
