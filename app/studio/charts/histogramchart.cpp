#include "charts/histogramchart.hpp"

#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QHorizontalBarSeries>
#include <QLineSeries>
#include <QLocale>
#include <QSet>
#include <QToolTip>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "models/profiletablemodel.hpp"
#include "palette.hpp"

namespace glasswing::studio {
namespace {

using data::ColumnProfile;
using data::ColumnType;

bool isTemporal(ColumnType type) { return type == ColumnType::Datetime || type == ColumnType::Date; }

// A tick interval of 1, 2 or 5 times a power of ten giving at most about `ticks` intervals.
double niceStep(double span, int ticks) {
  if (!(span > 0.0)) return 1.0;
  const double raw = span / ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * power >= raw) return factor * power;
  }
  return 10.0 * power;
}

// A count axis from 0 with whole-number ticks, leaving `headroom` above the tallest bar.
QValueAxis* makeCountAxis(std::size_t maxCount, double headroom, const QString& title) {
  auto* axis = new QValueAxis;
  const double top = std::max(1.0, static_cast<double>(maxCount) * headroom);
  const double step = std::max(1.0, niceStep(top, 5));
  axis->setRange(0.0, std::ceil(top / step) * step);
  axis->setTickType(QValueAxis::TicksDynamic);
  axis->setTickAnchor(0.0);
  axis->setTickInterval(step);
  axis->setLabelFormat(QStringLiteral("%d"));
  axis->setTitleText(title);
  return axis;
}

// QDateTimeAxis labels in local time; the engine's dates are UTC. Plotting each instant at the
// local time that reads like its UTC wall-clock time shows the file's dates unchanged.
double plotX(double value, bool temporal) {
  if (!temporal) return value;
  const QDateTime utc = QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(value * 1000.0), Qt::UTC);
  return static_cast<double>(QDateTime(utc.date(), utc.time(), Qt::LocalTime).toMSecsSinceEpoch());
}

QString countText(std::size_t value) { return QLocale().toString(static_cast<qulonglong>(value)); }


// Bar labels must be unique on a category axis; long values are shortened for the axis only.
// They are returned HTML-escaped, as the axis draws rich text.
QStringList categoryLabels(const std::vector<data::CategoryCount>& top) {
  constexpr qsizetype kMaxLength = 28;
  QStringList labels;
  QSet<QString> seen;
  for (const auto& category : top) {
    QString label = QString::fromStdString(category.value).simplified();
    if (label.isEmpty()) label = QStringLiteral("(blank)");
    if (label.size() > kMaxLength) label = label.left(kMaxLength - 1) + QStringLiteral("…");
    const QString base = label;
    for (int n = 2; seen.contains(label); ++n) label = QStringLiteral("%1 (%2)").arg(base).arg(n);
    seen.insert(label);
    labels << label.toHtmlEscaped();
  }
  return labels;
}

}  // namespace

HistogramChart::HistogramChart(QWidget* parent)
    // The view makes (and owns) a chart; replacing it with setChart() would orphan that one.
    : QWidget(parent), m_view(new QChartView(this)), m_chart(m_view->chart()) {
  m_chart->setTheme(QChart::ChartThemeLight);
  m_chart->setAnimationOptions(QChart::NoAnimation);
  m_chart->legend()->hide();
  m_chart->setBackgroundRoundness(0);
  m_chart->setMargins(QMargins(8, 4, 12, 4));
  QFont titleFont = m_chart->titleFont();
  titleFont.setBold(true);
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
  m_chart->setTitleFont(titleFont);
  m_view->setRenderHint(QPainter::Antialiasing);
  m_view->setMinimumHeight(220);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_view);
  clear();
}

QString HistogramChart::title() const { return m_chart->title(); }

void HistogramChart::clear() {
  resetChart(tr("Select a column to see its distribution"));
  m_columnName.clear();
}

void HistogramChart::resetChart(const QString& title) {
  m_chart->removeAllSeries();
  const auto axes = m_chart->axes();
  for (QAbstractAxis* axis : axes) {
    m_chart->removeAxis(axis);
    delete axis;
  }
  m_chart->setTitle(title);
  m_kind = Kind::Empty;
  m_barCount = 0;
}

void HistogramChart::setProfile(const data::ColumnProfile& profile) {
  m_columnName = QString::fromStdString(profile.name);
  const bool allUnique = !profile.top.empty() && profile.top.front().count <= 1;
  if (!profile.histogram.empty()) {
    showBins(profile);
  } else if (allUnique && profile.count > 1) {
    // Bars of height 1 for the first ten of thousands of names would say nothing.
    resetChart(tr("%1: all %2 values are distinct, so there is no distribution to show")
                   .arg(htmlName(), countText(profile.count)));
  } else if (!profile.top.empty()) {
    showCategories(profile);
  } else if (profile.count == 0) {
    resetChart(tr("%1: all %2 cells are missing").arg(htmlName(), countText(profile.missing)));
  } else if ((profile.min && std::isinf(*profile.min)) || (profile.max && std::isinf(*profile.max))) {
    resetChart(tr("%1: the values include infinity, so equal-width bins cannot be drawn")
                   .arg(htmlName()));
  } else {
    resetChart(tr("%1: no distribution to show").arg(htmlName()));
  }
}

void HistogramChart::showBins(const data::ColumnProfile& profile) {
  resetChart(tr("Distribution of %1").arg(htmlName()));
  const bool temporal = isTemporal(profile.type);

  std::vector<data::HistogramBin> bins = profile.histogram;
  for (const auto& bin : bins) {
    if (!std::isfinite(bin.low) || !std::isfinite(bin.high)) {
      resetChart(tr("%1: the values include infinity, so equal-width bins cannot be drawn")
                     .arg(htmlName()));
      return;
    }
  }
  const bool constant = profile.min && profile.max && *profile.min == *profile.max;
  QString xTitle = bins.size() == 1 ? tr("%1 · 1 bin").arg(htmlName())
                                    : tr("%1 · %2 equal-width bins").arg(htmlName()).arg(bins.size());
  if (constant) {
    xTitle = tr("%1 · constant: every value is %2")
                 .arg(htmlName(), ProfileTableModel::formatValue(profile, *profile.min).toHtmlEscaped());
  }
  if (bins.size() == 1 && !(bins.front().high > bins.front().low)) {
    // A constant column: give its single bar a visible width around the value.
    const double value = bins.front().low;
    const double half = temporal ? 43200.0 : std::max(0.5, std::fabs(value) * 0.05);
    bins.front().low = value - half;
    bins.front().high = value + half;
  }

  // One filled polygon, dropping to zero at every bin edge so the white outline separates bars.
  auto* outline = new QLineSeries;
  std::size_t maxCount = 0;
  for (const auto& bin : bins) {
    const double count = static_cast<double>(bin.count);
    const double low = plotX(bin.low, temporal);
    const double high = plotX(bin.high, temporal);
    outline->append(low, 0.0);
    outline->append(low, count);
    outline->append(high, count);
    outline->append(high, 0.0);
    maxCount = std::max(maxCount, bin.count);
  }
  auto* area = new QAreaSeries(outline);
  outline->setParent(area);  // QAreaSeries does not own its line series; the chart owns the area
  area->setName(m_columnName);
  area->setBrush(palette::numericBars());
  area->setPen(QPen(Qt::white, 1.0));
  m_chart->addSeries(area);

  const double low = bins.front().low;
  const double high = bins.back().high;
  if (profile.missing > 0) xTitle += tr(" · %1 missing not shown").arg(countText(profile.missing));

  QAbstractAxis* xAxis = nullptr;
  if (temporal) {
    auto* axis = new QDateTimeAxis;
    axis->setFormat(profile.type == ColumnType::Date ? QStringLiteral("yyyy-MM-dd")
                                                     : QStringLiteral("yyyy-MM-dd hh:mm"));
    axis->setRange(QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(plotX(low, true))),
                   QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(plotX(high, true))));
    axis->setTickCount(5);
    xAxis = axis;
  } else {
    auto* axis = new QValueAxis;
    axis->setRange(low, high);
    axis->applyNiceNumbers();
    const double step = (axis->max() - axis->min()) / std::max(1, axis->tickCount() - 1);
    const double magnitude = std::max(std::fabs(axis->min()), std::fabs(axis->max()));
    if (magnitude >= 1e7 || (magnitude > 0.0 && magnitude < 1e-3)) {
      axis->setLabelFormat(QStringLiteral("%.3g"));
    } else {
      const int decimals = step >= 1.0 ? 0 : static_cast<int>(std::ceil(-std::log10(step)));
      axis->setLabelFormat(QStringLiteral("%.%1f").arg(decimals));
    }
    xAxis = axis;
  }
  xAxis->setTitleText(xTitle);
  m_chart->addAxis(xAxis, Qt::AlignBottom);
  area->attachAxis(xAxis);
  QValueAxis* yAxis = makeCountAxis(maxCount, 1.05, tr("Rows"));
  m_chart->addAxis(yAxis, Qt::AlignLeft);
  area->attachAxis(yAxis);

  // Hovering a bar tells its range and count.
  const ColumnProfile shown = profile;
  connect(area, &QAreaSeries::hovered, this, [this, bins, temporal, shown](QPointF point, bool on) {
    if (!on) {
      QToolTip::hideText();
      return;
    }
    const double x = point.x();
    for (std::size_t i = 0; i < bins.size(); ++i) {
      const auto& bin = bins[i];
      const bool last = i + 1 == bins.size();
      const double binLow = plotX(bin.low, temporal);
      const double binHigh = plotX(bin.high, temporal);
      if (x >= binLow && (x < binHigh || (last && x <= binHigh))) {
        QToolTip::showText(QCursor::pos(),
                           tr("[%1, %2%3: %4 rows")
                               .arg(ProfileTableModel::formatValue(shown, bin.low),
                                    ProfileTableModel::formatValue(shown, bin.high),
                                    last ? QStringLiteral("]") : QStringLiteral(")"),
                                    countText(bin.count)),
                           m_view);
        return;
      }
    }
  });

  m_kind = Kind::Bins;
  m_barCount = static_cast<int>(bins.size());
}

void HistogramChart::showCategories(const data::ColumnProfile& profile) {
  resetChart(tr("Most frequent values of %1").arg(htmlName()));
  const QStringList labels = categoryLabels(profile.top);

  // Most frequent on top: a horizontal bar chart draws its first category at the bottom.
  auto* set = new QBarSet(tr("Rows"));
  set->setColor(palette::categoryBars());
  set->setBorderColor(palette::categoryBars());
  set->setLabelColor(QColor(0x33, 0x33, 0x33));
  QStringList axisLabels;
  std::size_t maxCount = 0;
  std::size_t shownRows = 0;
  for (qsizetype i = labels.size() - 1; i >= 0; --i) {
    const auto& category = profile.top[static_cast<std::size_t>(i)];
    set->append(static_cast<double>(category.count));
    axisLabels << labels[i];
    maxCount = std::max(maxCount, category.count);
    shownRows += category.count;
  }
  auto* series = new QHorizontalBarSeries;
  series->append(set);
  series->setBarWidth(0.7);
  series->setLabelsVisible(true);
  series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  series->setLabelsFormat(QStringLiteral("@value"));
  m_chart->addSeries(series);

  auto* yAxis = new QBarCategoryAxis;
  yAxis->append(axisLabels);
  QString yTitle = htmlName();
  if (profile.distinct > profile.top.size()) {
    yTitle = tr("%1 · top %2 of %3 distinct values")
                 .arg(htmlName())
                 .arg(profile.top.size())
                 .arg(countText(profile.distinct));
  }
  yAxis->setTitleText(yTitle);
  m_chart->addAxis(yAxis, Qt::AlignLeft);
  series->attachAxis(yAxis);

  QString xTitle = tr("Rows");
  const std::size_t otherRows = profile.count > shownRows ? profile.count - shownRows : 0;
  if (otherRows > 0) xTitle += tr(" · %1 rows in other values").arg(countText(otherRows));
  if (profile.missing > 0) xTitle += tr(" · %1 missing").arg(countText(profile.missing));
  // Headroom for the count labels at the end of the bars.
  QValueAxis* xAxis = makeCountAxis(maxCount, 1.12, xTitle);
  m_chart->addAxis(xAxis, Qt::AlignBottom);
  series->attachAxis(xAxis);

  m_kind = Kind::Categories;
  m_barCount = static_cast<int>(labels.size());
}

}  // namespace glasswing::studio
