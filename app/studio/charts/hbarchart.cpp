#include "charts/hbarchart.hpp"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>

#include "palette.hpp"

namespace glasswing::studio {

HBarChart::HBarChart(QWidget* parent) : QWidget(parent), m_view(new QChartView(this)), m_chart(m_view->chart()) {
  m_chart->setTheme(QChart::ChartThemeLight);
  m_chart->setAnimationOptions(QChart::NoAnimation);
  m_chart->setBackgroundRoundness(0);
  m_chart->setMargins(QMargins(8, 4, 12, 4));
  m_chart->legend()->hide();
  QFont titleFont = m_chart->titleFont();
  titleFont.setBold(true);
  m_chart->setTitleFont(titleFont);
  m_view->setRenderHint(QPainter::Antialiasing);
  m_view->setMinimumHeight(220);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_view);
}

QString HBarChart::title() const { return m_chart->title(); }

void HBarChart::clear() {
  m_chart->removeAllSeries();
  for (auto* axis : m_chart->axes()) {
    m_chart->removeAxis(axis);
    delete axis;
  }
  m_bars.clear();
  m_whiskers = 0;
  m_chart->setTitle({});
}

void HBarChart::setBars(const QString& title, const QString& axisTitle, const std::vector<HBar>& bars, bool zeroLine) {
  clear();
  m_bars = bars;
  m_chart->setTitle(title.toHtmlEscaped());
  setAccessibleName(title);
  m_view->setAccessibleName(title);
  const int n = static_cast<int>(bars.size());
  auto* x = new QValueAxis;
  x->setTitleText(axisTitle.toHtmlEscaped());
  x->setLabelFormat(QStringLiteral("%.3g"));
  auto* y = new QCategoryAxis;
  y->setLabelsPosition(QCategoryAxis::AxisLabelsPositionCenter);
  y->setMin(-0.5);
  y->setMax(std::max(0.5, n - 0.5));
  y->setGridLineVisible(false);
  m_chart->addAxis(x, Qt::AlignBottom);
  m_chart->addAxis(y, Qt::AlignLeft);
  double lo = 0.0, hi = 0.0;
  auto widen = [&](double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  };
  // Row i from the top sits at y = n - 1 - i; the category labels go bottom up.
  const qreal barWidth = std::clamp(160.0 / std::max(1, n), 6.0, 22.0);
  for (int i = n - 1; i >= 0; --i) {
    const HBar& bar = bars[static_cast<std::size_t>(i)];
    const double row = n - 1 - i;
    y->append(bar.label.isEmpty() ? QStringLiteral(" ") : bar.label.toHtmlEscaped(), row + 0.5);  // labels are rich text
    widen(bar.from);
    widen(bar.to);
    if (!std::isfinite(bar.from) || !std::isfinite(bar.to)) continue;
    auto* series = new QLineSeries;
    QPen pen(bar.color.isValid() ? bar.color : palette::numericBars());
    pen.setWidthF(barWidth);
    pen.setCapStyle(Qt::FlatCap);
    series->setPen(pen);
    series->append(bar.from, row);
    series->append(bar.to, row);
    series->setName(bar.label);
    m_chart->addSeries(series);
    series->attachAxis(x);
    series->attachAxis(y);
    if (std::isfinite(bar.whiskerLow) && std::isfinite(bar.whiskerHigh)) {
      widen(bar.whiskerLow);
      widen(bar.whiskerHigh);
      auto* whisker = new QLineSeries;
      QPen wpen(palette::black());
      wpen.setWidthF(1.5);
      whisker->setPen(wpen);
      const double cap = std::min(0.25, barWidth / 60.0);
      // |-----| : the caps as short vertical strokes at both ends.
      whisker->append(bar.whiskerLow, row - cap);
      whisker->append(bar.whiskerLow, row + cap);
      whisker->append(bar.whiskerLow, row);
      whisker->append(bar.whiskerHigh, row);
      whisker->append(bar.whiskerHigh, row - cap);
      whisker->append(bar.whiskerHigh, row + cap);
      m_chart->addSeries(whisker);
      whisker->attachAxis(x);
      whisker->attachAxis(y);
      ++m_whiskers;
    }
  }
  if (zeroLine && lo < 0.0 && hi > 0.0) {
    auto* zero = new QLineSeries;
    QPen zpen(palette::black());
    zpen.setWidthF(1.0);
    zero->setPen(zpen);
    zero->append(0.0, -0.5);
    zero->append(0.0, std::max(0.5, n - 0.5));
    m_chart->addSeries(zero);
    zero->attachAxis(x);
    zero->attachAxis(y);
  }
  double span = hi - lo;
  if (!(span > 0.0)) span = 1.0;
  x->setRange(lo - (lo < 0.0 ? span * 0.05 : 0.0), hi + span * 0.05);
}

}  // namespace glasswing::studio
