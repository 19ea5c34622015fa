#pragma once
// HBarChart: horizontal bars with optional whiskers, the shape of every importance chart
// (permutation importance with its spread, mean |SHAP|, fANOVA importance, signed coefficients)
// and of a one-row SHAP waterfall (bars that start where the previous one ended).
//
// Each bar is a segment [from, to] on a value axis, so negative values (signed coefficients,
// SHAP contributions) draw to the left of 0 and a waterfall's steps need no stacking. Bars are
// given top first. Qt Charts stays inside hbarchart.cpp.

#include <QColor>
#include <QString>
#include <QWidget>
#include <cmath>
#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
QT_END_NAMESPACE

namespace glasswing::studio {

struct HBar {
  QString label;
  double from = 0.0;  // where the bar starts (0 for a plain bar)
  double to = 0.0;    // where it ends (its value for a plain bar)
  double whiskerLow = std::nan("");   // a whisker (e.g. mean +- sd); NaN: none
  double whiskerHigh = std::nan("");
  QColor color;       // invalid: the palette's numeric-bar colour
  QString tooltip;
};

class HBarChart : public QWidget {
  Q_OBJECT

 public:
  explicit HBarChart(QWidget* parent = nullptr);

  // Replaces the bars (top first). `axisTitle` names the value axis; `zeroLine` draws x = 0.
  void setBars(const QString& title, const QString& axisTitle, const std::vector<HBar>& bars, bool zeroLine = true);
  void clear();

  int barCount() const { return static_cast<int>(m_bars.size()); }
  const std::vector<HBar>& bars() const { return m_bars; }
  int whiskerCount() const { return m_whiskers; }
  QString title() const;
  QChart* chart() const { return m_chart; }
  QChartView* view() const { return m_view; }

 private:
  QChartView* m_view = nullptr;
  QChart* m_chart = nullptr;
  std::vector<HBar> m_bars;
  int m_whiskers = 0;
};

}  // namespace glasswing::studio
