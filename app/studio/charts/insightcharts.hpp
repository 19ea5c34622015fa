#pragma once
// Charts of the Insights pages P2 and P3 (intervals, curves, scatter plots, bars), drawn from
// plain data. Each function fills a chart view made by newInsightChart(), replacing what it
// showed before; Qt Charts stays inside insightcharts.cpp. Colours come from palette.hpp.

#include <QColor>
#include <QString>
#include <QWidget>

#include <vector>

namespace glasswing::studio::insightcharts {

// A line (or scatter) series: points (x[i], y[i]).
struct Series {
  QString name;
  std::vector<double> x, y;
  QColor color;
  bool scatter = false;
  bool dashed = false;
};

// A labelled value with an interval (an estimate and its 95% bounds), drawn as a whisker.
struct Interval {
  QString label;
  double estimate = 0.0, low = 0.0, high = 0.0;
};

struct Bar {
  QString label;
  double value = 0.0;
};

// An empty chart view named `objectName` (antialiased, a minimum height fit for a page).
QWidget* newInsightChart(QWidget* parent, const QString& objectName);
// Line/scatter chart with value axes; `range` (x0, x1, y0, y1) fixes the axes when x0 < x1.
void setSeries(QWidget* chartView, const QString& title, const QString& xTitle, const QString& yTitle,
               const std::vector<Series>& series, const std::vector<double>& range = {});
// One row per interval: a whisker low..high and a dot at the estimate.
void setIntervals(QWidget* chartView, const QString& title, const std::vector<Interval>& intervals);
// Vertical bars, one per label.
void setBars(QWidget* chartView, const QString& title, const QString& yTitle, const std::vector<Bar>& bars,
             const QColor& color);

}  // namespace glasswing::studio::insightcharts
