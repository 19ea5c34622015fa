#include "charts/insightcharts.hpp"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QPen>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

#include "palette.hpp"

namespace glasswing::studio::insightcharts {
namespace {

QChart* replaceChart(QWidget* chartView, const QString& title) {
  auto* view = qobject_cast<QChartView*>(chartView);
  Q_ASSERT(view != nullptr);
  QChart* old = view->chart();
  auto* chart = new QChart;
  chart->setTitle(title);
  chart->legend()->setAlignment(Qt::AlignBottom);
  view->setChart(chart);
  delete old;
  return chart;
}

}  // namespace

QWidget* newInsightChart(QWidget* parent, const QString& objectName) {
  auto* view = new QChartView(new QChart, parent);
  view->setObjectName(objectName);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumHeight(260);
  view->setMinimumWidth(300);
  return view;
}

void setSeries(QWidget* chartView, const QString& title, const QString& xTitle, const QString& yTitle,
               const std::vector<Series>& series, const std::vector<double>& range) {
  QChart* chart = replaceChart(chartView, title);
  auto* xAxis = new QValueAxis;
  auto* yAxis = new QValueAxis;
  xAxis->setTitleText(xTitle);
  yAxis->setTitleText(yTitle);
  chart->addAxis(xAxis, Qt::AlignBottom);
  chart->addAxis(yAxis, Qt::AlignLeft);
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series) {
    QXYSeries* xy = nullptr;
    if (s.scatter) {
      auto* scatter = new QScatterSeries;
      scatter->setMarkerSize(6.0);
      scatter->setBorderColor(s.color);
      xy = scatter;
    } else {
      xy = new QLineSeries;
    }
    xy->setName(s.name);
    QPen pen(s.color);
    pen.setWidthF(2.0);
    if (s.dashed) pen.setStyle(Qt::DashLine);
    xy->setPen(pen);
    xy->setColor(s.color);
    QList<QPointF> points;
    const std::size_t n = std::min(s.x.size(), s.y.size());
    points.reserve(static_cast<qsizetype>(n));
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      points.append(QPointF(s.x[i], s.y[i]));
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
    xy->replace(points);
    chart->addSeries(xy);
    xy->attachAxis(xAxis);
    xy->attachAxis(yAxis);
  }
  if (range.size() == 4 && range[0] < range[1]) {
    xAxis->setRange(range[0], range[1]);
    yAxis->setRange(range[2], range[3]);
  } else if (x0 <= x1) {
    const double padX = x1 > x0 ? (x1 - x0) * 0.03 : 1.0;
    const double padY = y1 > y0 ? (y1 - y0) * 0.03 : 1.0;
    xAxis->setRange(x0 - padX, x1 + padX);
    yAxis->setRange(y0 - padY, y1 + padY);
  }
  chart->legend()->setVisible(series.size() > 1);
}

void setIntervals(QWidget* chartView, const QString& title, const std::vector<Interval>& intervals) {
  QChart* chart = replaceChart(chartView, title);
  auto* xAxis = new QValueAxis;
  xAxis->setTitleText(QObject::tr("value (dot: estimate; whisker: 95% interval)"));
  auto* yAxis = new QCategoryAxis;
  yAxis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
  chart->addAxis(xAxis, Qt::AlignBottom);
  chart->addAxis(yAxis, Qt::AlignLeft);
  auto* dots = new QScatterSeries;
  dots->setName(QObject::tr("estimate"));
  dots->setColor(palette::vermillion());
  dots->setMarkerSize(9.0);
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0;
  const int n = static_cast<int>(intervals.size());
  for (int i = 0; i < n; ++i) {
    const auto& interval = intervals[static_cast<std::size_t>(i)];
    const double y = static_cast<double>(n - i);  // the first on top
    if (std::isfinite(interval.low) && std::isfinite(interval.high)) {
      auto* whisker = new QLineSeries;
      QPen pen(palette::blue());
      pen.setWidthF(3.0);
      whisker->setPen(pen);
      whisker->append(interval.low, y);
      whisker->append(interval.high, y);
      chart->addSeries(whisker);
      whisker->attachAxis(xAxis);
      whisker->attachAxis(yAxis);
      x0 = std::min(x0, interval.low);
      x1 = std::max(x1, interval.high);
    }
    if (std::isfinite(interval.estimate)) {
      dots->append(interval.estimate, y);
      x0 = std::min(x0, interval.estimate);
      x1 = std::max(x1, interval.estimate);
    }
  }
  // Category end values must increase: label the rows bottom-up.
  for (int i = n - 1; i >= 0; --i) yAxis->append(intervals[static_cast<std::size_t>(i)].label, static_cast<double>(n - i));
  chart->addSeries(dots);
  dots->attachAxis(xAxis);
  dots->attachAxis(yAxis);
  yAxis->setRange(0.5, static_cast<double>(n) + 0.5);
  if (x0 <= x1) {
    const double pad = x1 > x0 ? (x1 - x0) * 0.05 : 0.05;
    xAxis->setRange(x0 - pad, x1 + pad);
  }
  chart->legend()->setVisible(false);
}

void setBars(QWidget* chartView, const QString& title, const QString& yTitle, const std::vector<Bar>& bars,
             const QColor& color) {
  QChart* chart = replaceChart(chartView, title);
  auto* set = new QBarSet(yTitle);
  set->setColor(color);
  QStringList labels;
  double top = 0.0;
  for (const auto& bar : bars) {
    set->append(bar.value);
    labels << bar.label;
    top = std::max(top, bar.value);
  }
  auto* series = new QBarSeries;
  series->setBarWidth(0.95);
  series->append(set);
  chart->addSeries(series);
  auto* xAxis = new QBarCategoryAxis;
  xAxis->append(labels);
  xAxis->setLabelsAngle(-60);
  auto* yAxis = new QValueAxis;
  yAxis->setTitleText(yTitle);
  yAxis->setRange(0.0, top > 0.0 ? top * 1.05 : 1.0);
  chart->addAxis(xAxis, Qt::AlignBottom);
  chart->addAxis(yAxis, Qt::AlignLeft);
  series->attachAxis(xAxis);
  series->attachAxis(yAxis);
  chart->legend()->setVisible(false);
}

}  // namespace glasswing::studio::insightcharts
