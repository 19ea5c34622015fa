#pragma once
// ScoreChart: the search's score over time (part of the search panel, P6): one dot per completed
// trial (its mean CV score against the time it finished) and a step line of the best score so
// far. Points arrive in batches (RunWorker coalesces them), so the chart redraws at most a few
// times a second however fast trials finish.
//
// Qt Charts stays inside scorechart.cpp: this header is all the rest of the Studio sees.

#include <QString>
#include <QWidget>
#include <optional>
#include <vector>

#include "automl/engine/run.hpp"

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QLineSeries;
class QScatterSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace glasswing::studio {

class ScoreChart : public QWidget {
  Q_OBJECT

 public:
  explicit ScoreChart(QWidget* parent = nullptr);

  // Starts an empty chart for a run scored by `metric` (empty: not known yet).
  void reset(const QString& metric, bool maximize);
  // Names the metric once it is known (the engine chooses it when the setting is "auto").
  void setMetric(const QString& metric, bool maximize);
  bool maximize() const { return m_maximize; }
  void addTrials(const std::vector<engine::TrialEvent>& trials);
  // Points drawn: completed trials, and the steps of the best-so-far line.
  int trialPointCount() const;
  int bestPointCount() const;
  // How many times the chart was redrawn with new points (one per addTrials() batch).
  int updateCount() const { return m_updates; }
  QString title() const;
  QChart* chart() const { return m_chart; }
  QChartView* view() const { return m_view; }

 private:
  void fitAxes();

  QChartView* m_view = nullptr;
  QChart* m_chart = nullptr;
  QScatterSeries* m_trials = nullptr;
  QLineSeries* m_best = nullptr;
  QValueAxis* m_x = nullptr;
  QValueAxis* m_y = nullptr;
  std::optional<double> m_bestValue;
  double m_minY = 0, m_maxY = 0, m_maxX = 0;
  bool m_maximize = true;
  bool m_any = false;
  int m_updates = 0;
};

}  // namespace glasswing::studio
