#pragma once
// HistogramChart: the distribution of one column. Numeric, date and datetime columns get their
// equal-width histogram bins on a value axis; categorical, boolean, text and id columns get
// horizontal bars of their most frequent values. Counts come from the engine's ColumnProfile.
//
// Qt Charts stays inside histogramchart.cpp: this header is all the rest of the Studio sees.

#include <QString>
#include <QWidget>

#include "automl/data/profile.hpp"

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
QT_END_NAMESPACE

namespace glasswing::studio {

class HistogramChart : public QWidget {
  Q_OBJECT

 public:
  enum class Kind { Empty, Bins, Categories };

  explicit HistogramChart(QWidget* parent = nullptr);

  void setProfile(const data::ColumnProfile& profile);
  void clear();

  Kind kind() const { return m_kind; }
  // The number of bars drawn: histogram bins or categories.
  int barCount() const { return m_barCount; }
  QString columnName() const { return m_columnName; }
  QString title() const;
  QChart* chart() const { return m_chart; }

 private:
  // Qt Charts draws titles and labels as rich text: data must be escaped ("<0" is a label).
  QString htmlName() const { return m_columnName.toHtmlEscaped(); }
  void resetChart(const QString& title);
  void showBins(const data::ColumnProfile& profile);
  void showCategories(const data::ColumnProfile& profile);

  QChartView* m_view = nullptr;
  QChart* m_chart = nullptr;
  Kind m_kind = Kind::Empty;
  int m_barCount = 0;
  QString m_columnName;
};

}  // namespace glasswing::studio
